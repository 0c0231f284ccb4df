"""Drop, with a counted reason, articles that are not worth storing."""

from __future__ import annotations

import datetime as dt
import logging

from scrapy.exceptions import DropItem

from newsbot.items import Article

logger = logging.getLogger(__name__)


def problems(
    article: Article, min_body_chars: int, languages: frozenset[str] = frozenset()
) -> str | None:
    """The reason an article cannot be stored (a stats key), or ``None``.

    ``languages``, when not empty, are the languages the crawl wants; an article in another,
    or in none that could be told, is not stored.
    """
    if not article.url:
        return "no_url"
    if not article.title:
        return "no_title"
    if sum(map(len, article.paragraphs)) < min_body_chars:
        return "short_body"
    if languages and article.language not in languages:
        return "language"
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
    def __init__(self, min_body_chars: int, crawler=None, languages=()) -> None:
        self.min_body_chars = min_body_chars
        self.crawler = crawler
        self.languages = frozenset(code.strip().lower() for code in languages if code.strip())

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        # A list, or a comma-separated string from the command line ("-s NEWSBOT_LANGUAGES=ar,en").
        return cls(
            settings.getint("NEWSBOT_MIN_BODY_CHARS", 80),
            crawler=crawler,
            languages=settings.getlist("NEWSBOT_LANGUAGES"),
        )

    def process_item(self, item: Article) -> Article:
        reason = problems(item, self.min_body_chars, self.languages)
        if reason:
            if self.crawler is not None:
                self.crawler.stats.inc_value(f"newsbot/dropped/{reason}")
            if reason == "language":
                raise DropItem(f"language {item.language or 'unknown'} not wanted: {item.url}")
            raise DropItem(f"{reason}: {item.url}")
        return item
