"""A crawl warns when a site's article pages stop giving articles: the usual sign of a redesign.

``ExtractionHealth`` is a Scrapy extension. For each site it keeps the last
``NEWSBOT_HEALTH_WINDOW`` article pages fetched (a 200 HTML response whose URL matches the
site's ``article_url_pattern``; on a site the registry does not know, whose URL looks like an
article's to :func:`newsbot.discovery.looks_like_article_url`) and
whether each gave an item. When fewer than ``NEWSBOT_HEALTH_MIN_YIELD`` of them did, it logs a
warning, once per site and crawl, and sets the stats ``newsbot/health/<site>/empty_ratio`` and
``newsbot/health/<site>/flagged`` (1).

Scrapy signals say when a page gave an item (``item_scraped``; ``item_dropped`` when the
pipelines rejected it), never when it gave none. So a page with no outcome yet counts as empty
only once it is settled: when a later article page of the same site has an outcome (Scrapy
works through responses in order), when a whole window of newer article pages has arrived since,
or when the crawl ends.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newsbot.discovery import looks_like_article_url
from newsbot.sites.registry import site_for_url

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "NEWSBOT_HEALTH_ENABLED": True,
    "NEWSBOT_HEALTH_WINDOW": 20,  # article pages per site
    "NEWSBOT_HEALTH_MIN_YIELD": 0.5,  # share of them that must give an article
}
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")


@dataclass(slots=True)
class _Page:
    url: str
    gave: bool | None = None  # None: no outcome yet


@dataclass(slots=True)
class _Site:
    pages: deque[_Page]
    flagged: bool = False


class ExtractionHealth:
    def __init__(self, stats, window: int = 20, min_yield: float = 0.5) -> None:
        if window < 1 or not 0 < min_yield <= 1:
            raise ValueError(
                f"NEWSBOT_HEALTH_WINDOW must be >= 1 and NEWSBOT_HEALTH_MIN_YIELD in (0, 1], "
                f"not {window} and {min_yield}"
            )
        self.stats = stats
        self.window = window
        self.min_yield = min_yield
        self.sites: dict[str, _Site] = {}
        self._waiting: dict[str, tuple[str, _Page]] = {}  # url -> (site, page)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_HEALTH_ENABLED", DEFAULTS["NEWSBOT_HEALTH_ENABLED"]):
            raise NotConfigured("NEWSBOT_HEALTH_ENABLED is off")
        extension = cls(
            crawler.stats,
            window=settings.getint("NEWSBOT_HEALTH_WINDOW", DEFAULTS["NEWSBOT_HEALTH_WINDOW"]),
            min_yield=settings.getfloat(
                "NEWSBOT_HEALTH_MIN_YIELD", DEFAULTS["NEWSBOT_HEALTH_MIN_YIELD"]
            ),
        )
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    # -- signal handlers ----------------------------------------------------------------------
    def response_received(self, response: Response, request=None, spider=None) -> None:
        name = _article_site(response)
        if name is None:
            return
        site = self.sites.get(name)
        if site is None:
            site = self.sites[name] = _Site(deque(maxlen=2 * self.window))
        if len(site.pages) == site.pages.maxlen:  # the oldest page leaves for good
            self._waiting.pop(site.pages[0].url, None)
        page = _Page(response.url)
        site.pages.append(page)
        self._waiting[response.url] = (name, page)
        self._judge(name, site)

    def item_scraped(self, item=None, response: Response | None = None, spider=None) -> None:
        self._outcome(response, gave=True)

    def item_dropped(self, item=None, response: Response | None = None, exception=None,
                     spider=None) -> None:
        self._outcome(response, gave=False)  # the pipelines found no article in it

    def item_error(self, item=None, response: Response | None = None, spider=None,
                   failure=None) -> None:
        self._outcome(response, gave=True)  # the page gave an article; storing it failed

    def spider_closed(self, spider=None, reason: str | None = None) -> None:
        for name, site in self.sites.items():
            self._judge(name, site, final=True)
        self._waiting.clear()

    # -- the judgement ------------------------------------------------------------------------
    def _outcome(self, response: Response | None, gave: bool) -> None:
        if response is None:
            return
        waiting = self._waiting.pop(response.url, None)
        if waiting is None:
            return
        name, page = waiting
        page.gave = gave
        self._judge(name, self.sites[name])

    def _settled(self, site: _Site, final: bool) -> list[_Page]:
        pages = list(site.pages)
        if final:
            return pages
        last_known = max((i for i, p in enumerate(pages) if p.gave is not None), default=-1)
        return [
            p for i, p in enumerate(pages)
            if p.gave is not None or i < last_known or len(pages) - 1 - i >= self.window
        ]

    def _judge(self, name: str, site: _Site, final: bool = False) -> None:
        if site.flagged:
            return
        settled = self._settled(site, final)[-self.window:]
        if len(settled) < self.window:
            return
        gave = sum(1 for p in settled if p.gave)
        empty_ratio = round(1 - gave / len(settled), 3)
        self.stats.set_value(f"newsbot/health/{name}/empty_ratio", empty_ratio)
        if gave < self.min_yield * len(settled):
            site.flagged = True
            self.stats.set_value(f"newsbot/health/{name}/flagged", 1)
            logger.warning(
                "site %s: only %d of %d article pages gave an article — its layout may have "
                "changed", name, gave, len(settled),
            )


def _article_site(response: Response) -> str | None:
    """The name the response's site is counted under, if the response is an article page."""
    if response.status != 200:
        return None
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    if content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
        return None
    site = site_for_url(response.url)
    if site is not None:
        return site.name if site.is_article_url(response.url) else None
    # An unknown site: the URL heuristic that discovery follows links by (not every HTML page:
    # its section and tag pages would count as empty articles).
    host = urlsplit(response.url).hostname
    return host.removeprefix("www.") if host and looks_like_article_url(response.url) else None


__all__ = ["DEFAULTS", "ExtractionHealth"]
