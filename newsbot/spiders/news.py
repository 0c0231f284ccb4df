"""The ``news`` spider: discovery only.

``scrapy crawl news -a url=URL`` where URL (or several, separated by spaces or commas) is an
article, a section or listing page, an RSS/Atom feed, or a sitemap (index, news sitemap, gzip).
The spider finds article URLs on the same site and hands each fetched page to the page parser
(:func:`newsbot.extract`); everything that does not become an item is counted under
``newsbot/dropped/<reason>`` and logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import scrapy
from scrapy.exceptions import IgnoreRequest, ResponseDataLossError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsbot import discovery
from newsbot.extraction import ExtractionError
from newsbot.extraction.dates import iso, parse_date
from newsbot.items import Article
from newsbot.sites import parser_for, site_for_url

logger = logging.getLogger(__name__)


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, url: str | None = None, follow: str = "auto", *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not url:
            raise ValueError(
                "news spider: give the URL to crawl, e.g. scrapy crawl news -a url=URL"
            )
        self.seed_urls = [u for u in re.split(r"[\s,]+", url) if u]
        bad = [u for u in self.seed_urls if not u.startswith(("http://", "https://", "file://"))]
        if bad:
            raise ValueError(f"news spider: not an http(s) URL: {', '.join(bad)}")
        if follow not in ("auto", "0", "1"):
            raise ValueError("news spider: follow must be auto, 0 or 1")
        # auto: follow links from listing pages only; 1: from articles too; 0: never.
        self.follow = follow
        self.hosts = {discovery.site_host(u) for u in self.seed_urls}

    @property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.get("NEWSBOT_DEFAULT_TIMEZONE", "UTC"))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.seed_urls:
            yield scrapy.Request(url, callback=self.parse_seed, errback=self.on_error)

    # -- callbacks ----------------------------------------------------------------------------
    def parse_seed(self, response: Response) -> Iterator[Any]:
        """A URL given by the user or listed by a sitemap index: find out what it is."""
        kind = discovery.sniff(response.body, _content_type(response), response.url)
        self._count(f"newsbot/pages/{kind}")
        if kind == "sitemap":
            yield from self._from_sitemap(response)
        elif kind == "feed":
            yield from self._from_listed(discovery.parse_feed(response.body, response.url))
        elif kind == "html":
            article = self._article(response, count_drop=False)
            if article is not None:
                yield article
            if self.follow == "1" or (self.follow == "auto" and article is None):
                self._count("newsbot/pages/listing")
                links = discovery.listing_links(response.body, response.url, self.hosts)
                yield from self._from_listed([discovery.ListedUrl(u) for u in links])
        else:
            self._drop("not_html", response.url, _content_type(response) or "unknown type")

    def parse_article(self, response: Response) -> Iterator[Any]:
        article = self._article(response, count_drop=True)
        if article is not None:
            listed = response.meta.get("newsbot_listed_date")
            if article.published_at is None and listed:
                site = site_for_url(response.url)
                published = parse_date(listed, site.tz if site else self._tz,
                                       now=_fetched_at(response))
                article.published_at, article.published_raw = iso(published), listed
            yield article
            if self.follow == "1":
                links = discovery.listing_links(response.body, response.url, self.hosts)
                yield from self._from_listed([discovery.ListedUrl(u) for u in links])

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            self._drop(f"http_{status}", request.url, f"HTTP {status}")
        elif failure.check(IgnoreRequest):
            self._count("newsbot/skipped/ignored")
            logger.info("Skipped %s: %s", request.url, failure.getErrorMessage())
        elif failure.check(ResponseDataLossError):
            self._drop("truncated", request.url, "the response ended before its Content-Length")
        else:
            self._drop("download_error", request.url, failure.getErrorMessage())

    # -- helpers ------------------------------------------------------------------------------
    def _article(self, response: Response, count_drop: bool) -> Article | None:
        """The page's article, read by its site's parser (the generic one for unknown sites)."""
        fetched = _fetched_at(response)
        parser = parser_for(response.url, fetched, default_tz=self._tz)
        try:
            return parser.parse(response.body, response.url, _content_type(response), fetched,
                                require_article=True)
        except ExtractionError as error:
            if count_drop or error.reason != "no_article":
                self._drop(error.reason, response.url, str(error))
            return None

    def _from_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        children, pages = discovery.parse_sitemap(response.body, response.url)
        for child in children:
            yield scrapy.Request(child, callback=self.parse_seed, errback=self.on_error)
        yield from self._from_listed(pages)

    def _from_listed(self, listed: list[discovery.ListedUrl]) -> Iterator[scrapy.Request]:
        for item in listed:
            if not discovery.same_site(item.url, self.hosts):
                self._count("newsbot/skipped/offsite")
                continue
            yield scrapy.Request(
                item.url,
                callback=self.parse_article,
                errback=self.on_error,
                meta={"newsbot_listed_date": item.published},
            )

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(key)

    def _drop(self, reason: str, url: str, detail: str) -> None:
        self._count(f"newsbot/dropped/{reason}")
        logger.warning("Dropped %s (%s): %s", url, reason, detail)


def _fetched_at(response: Response) -> dt.datetime:
    """When the page was fetched: the response's Date header (right for cached replays too),
    else now."""
    value = response.headers.get(b"Date")
    if value:
        try:
            fetched = parsedate_to_datetime(value.decode("latin-1"))
            if fetched.tzinfo is not None:
                return fetched
        except (TypeError, ValueError, IndexError):
            pass
    return dt.datetime.now(dt.UTC)


def _content_type(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None
