"""The normalising and validating pipelines."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsbot.items import Article
from pipelines.normalize import NormalizePipeline
from pipelines.validate import ValidatePipeline

PARA = "قال الوزير إن الخطة ستنفذ على مراحل خلال العام المقبل في كل المحافظات."


def test_normalize_fills_the_clean_display_form():
    """Invisible marks, presentation forms and stray tatweel go; diacritics and hamza stay."""
    article = Article(
        url="http://x.test/a", title="\u200fالـمـجلس  البلدي\u200f",
        headings=["\ufef7\ufee3\ufee6"], paragraphs=[f"{PARA}\u200c", "\u200b \u200e", "عَلِمَ"],
        captions=["صورة\u00a0الوزير"],
        images=[{"src": "http://x.test/i.jpg", "alt": None, "caption": "صورة\u00a0الوزير",
                 "credit": None}],
        blocks=[{"type": "paragraph", "text": f"{PARA}\u200c"}, {"type": "paragraph", "text": "\u200b"}],
    )
    result = NormalizePipeline().process_item(article)
    assert result.title == "المجلس البلدي"
    assert result.headings == ["لأمن"]
    assert result.paragraphs == [PARA, "عَلِمَ"]  # the blank one is gone, diacritics kept
    assert result.captions == ["صورة الوزير"]
    assert result.images[0]["caption"] == "صورة الوزير"
    assert result.blocks == [{"type": "paragraph", "text": PARA}]


def test_normalize_accepts_dict_items():
    """A dict item with the article's keys becomes an Article."""
    result = NormalizePipeline().process_item({"url": "http://x.test/a", "title": "عنوان",
                                               "body": "ignored, derived"})
    assert isinstance(result, Article)
    assert result.title == "عنوان"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"title": None}, "no_title"),
    ({"paragraphs": ["قصير"]}, "short_body"),
    ({"published_at": "yesterday"}, "bad_published_at"),
    ({"published_at": "2025-03-09T10:30:00"}, "naive_published_at"),
])
def test_validate_drops_with_a_counted_reason(changes, reason):
    """An article without a title, with too little text or a bad date is dropped and counted."""
    crawler = get_crawler(settings_dict={"NEWSBOT_MIN_BODY_CHARS": 40})
    crawler.stats = crawler._create_stats() if hasattr(crawler, "_create_stats") else crawler.stats
    pipeline = ValidatePipeline.from_crawler(crawler)
    article = Article(url="http://x.test/a", title="عنوان", paragraphs=[PARA],
                      published_at="2025-03-09T10:30:00+03:00")
    assert pipeline.process_item(article) is article
    for key, value in changes.items():
        setattr(article, key, value)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(article)
    assert crawler.stats.get_value(f"newsbot/dropped/{reason}") == 1


def test_normalize_removes_control_characters():
    """NUL and other control characters never reach the store (PostgreSQL refuses NUL)."""
    article = Article(url="http://x.test/a", title="عنوان\x00", paragraphs=[f"{PARA}\x00\x01"],
                      images=[{"src": "http://x.test/i.jpg", "alt": "\x07", "caption": "صورة\x00",
                               "credit": None}])
    result = NormalizePipeline().process_item(article)
    assert result.title == "عنوان"
    assert result.paragraphs == [PARA]
    assert result.images[0]["alt"] is None and result.images[0]["caption"] == "صورة"
