"""اليوم السابع (youm7.com).

Its ``article:published_time`` and ``article:modified_time`` end in ``Z`` but hold Cairo
wall-clock time: the story's date line under the headline shows the same hour and minute. So a
``Z`` time is read as Africa/Cairo, unless the date line shows another time (then the ``Z``
might be true, and the generic reading stands).
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from newsbot.extraction.dates import iso, parse_date
from newsbot.items import Article
from newsbot.sites.base import SiteParser


class Youm7Parser(SiteParser):
    SITE = "youm7"

    # "الإثنين، 24 أغسطس 2020 09:23 ص" under the headline, in Cairo time.
    story_date_selector = "span.newsStoryDate"

    def fix(self, article: Article, tree: etree._Element) -> Article:
        published = _utc(article.published_at)
        if published is None or not (article.published_raw or "").endswith(("Z", "+00:00")):
            return article
        shown = self._story_date(tree)
        if shown is not None and _minute(shown) != _minute(published):
            return article
        article.published_at = iso(published.replace(tzinfo=self.tz))
        modified = _utc(article.modified_at)
        if modified is not None:
            article.modified_at = iso(modified.replace(tzinfo=self.tz))
        return article

    def _story_date(self, tree: etree._Element) -> dt.datetime | None:
        for el in tree.cssselect(self.story_date_selector):
            parsed = parse_date("".join(el.itertext()), self.tz)
            if parsed:
                return parsed
        return None


def _utc(value: str | None) -> dt.datetime | None:
    """``value`` when it is an ISO time at offset zero."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.utcoffset() == dt.timedelta(0) else None


def _minute(value: dt.datetime) -> tuple[int, ...]:
    """The wall-clock time to the minute, whatever the zone."""
    return value.timetuple()[:5]
