"""Drop, with a counted reason, articles that are not worth storing."""

from __future__ import annotations

import datetime as dt
import logging

from scrapy.exceptions import DropItem

from newsbot.items import Article

logger = logging.getLogger(__name__)


def problems(article: Article, min_body_chars: int) -> str | None:
    """The reason an article cannot be stored (a stats key), or ``None``."""
    if not article.url:
        return "no_url"
    if not article.title:
        return "no_title"
    if sum(map(len, article.paragraphs)) < min_body_chars:
        return "short_body"
    for name in ("published_at", "modified_at"):
        value = getattr(article, name)
        if value is not None:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except (TypeError, ValueError):
                return f"bad_{name}"
            if parsed.tzinfo is None:
                return f"naive_{name}"
    return None


class ValidatePipeline:
    def __init__(self, min_body_chars: int, crawler=None) -> None:
        self.min_body_chars = min_body_chars
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("NEWSBOT_MIN_BODY_CHARS", 80), crawler=crawler)

    def process_item(self, item: Article) -> Article:
        reason = problems(item, self.min_body_chars)
        if reason:
            if self.crawler is not None:
                self.crawler.stats.inc_value(f"newsbot/dropped/{reason}")
            raise DropItem(f"{reason}: {item.url}")
        return item
