"""The ``news`` spider: discovery only.

``scrapy crawl news -a url=URL`` where URL (or several, separated by spaces or commas) is an
article, a section or listing page, an RSS/Atom feed, or a sitemap (index, news sitemap, gzip);
``scrapy crawl news -a site=NAME`` (several: ``a,b``; every registered site: ``all``) starts
from what the registry says the site publishes: its feeds, its sitemaps and its home page.
The spider finds article URLs on the same site (on a registered site, those its
``article_url_pattern`` matches) and hands each fetched page to the page parser
(:func:`newsbot.extract`); everything that does not become an item is counted under
``newsbot/dropped/<reason>`` and logged.

Article requests carry ``meta["newsbot_article"]``: :mod:`newsbot.incremental` skips those
already stored (``-a refresh=1`` re-checks them with a conditional request instead); a
``304 Not Modified`` answer is counted as ``newsbot/unchanged`` and gives no item.
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
from newsbot.sites import registry as _registry

logger = logging.getLogger(__name__)


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        url: str | None = None,
        site: str | None = None,
        follow: str = "auto",
        refresh: str = "0",
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if not url and not site:
            raise ValueError(
                "news spider: give the URL or the registered site to crawl, e.g. "
                "scrapy crawl news -a url=URL or scrapy crawl news -a site=NAME (or site=all)"
            )
        self.seed_urls = [u for u in re.split(r"[\s,]+", url or "") if u]
        bad = [u for u in self.seed_urls if not u.startswith(("http://", "https://", "file://"))]
        if bad:
            raise ValueError(f"news spider: not an http(s) URL: {', '.join(bad)}")
        if follow not in ("auto", "0", "1"):
            raise ValueError("news spider: follow must be auto, 0 or 1")
        if str(refresh) not in ("0", "1"):
            raise ValueError("news spider: refresh must be 0 or 1")
        # auto: follow links from listing pages only; 1: from articles too; 0: never.
        self.follow = follow
        # Re-check stored articles (conditional requests) instead of skipping them.
        self.refresh = str(refresh) == "1"
        self.hosts = {discovery.site_host(u) for u in self.seed_urls}
        # The registry names of the sites crawled (-a site=), for the crawl's record.
        self.site_names: list[str] = []
        self._claimed: dict[str, bool] = {}  # host -> whether a registered site may own it
        for registered in _sites(site) if site else ():
            self.site_names.append(registered.name)
            for seed in (*registered.seeds, registered.home):
                if seed not in self.seed_urls:
                    self.seed_urls.append(seed)
            self.hosts.update(domain.partition("/")[0] for domain in registered.domains)

    @property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.get("NEWSBOT_DEFAULT_TIMEZONE", "UTC"))

    @property
    def crawled_sites(self) -> list[str]:
        """What this crawl covers: the registry names given, else the seeds' hosts."""
        return sorted(self.site_names) or sorted(self.hosts)

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
        if response.status == 304:  # a conditional re-check: the stored version is current
            self._count("newsbot/unchanged")
            return
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
            site = self._registered(item.url)
            if site is not None and not site.is_article_url(item.url):
                self._count("newsbot/skipped/not_article")
                logger.debug("Not an article URL of %s: %s", site.name, item.url)
                continue
            yield scrapy.Request(
                item.url,
                callback=self.parse_article,
                errback=self.on_error,
                meta={"newsbot_listed_date": item.published, "newsbot_article": True},
            )

    def _registered(self, url: str) -> _registry.Site | None:
        """``site_for_url``, without going through the registry for hosts no site claims."""
        host = discovery.site_host(url)
        claimed = self._claimed.get(host)
        if claimed is None:
            claimed = self._claimed[host] = _claimed(host)
        return site_for_url(url) if claimed else None

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(key)

    def _drop(self, reason: str, url: str, detail: str) -> None:
        self._count(f"newsbot/dropped/{reason}")
        logger.warning("Dropped %s (%s): %s", url, reason, detail)


def _sites(names: str) -> list[_registry.Site]:
    """The registered sites ``names`` (comma or space separated) stands for; ``all``: every one."""
    wanted = [n for n in re.split(r"[\s,]+", names) if n]
    if wanted == ["all"]:
        return list(_registry.load_sites().values())
    try:
        return [_registry.get_site(name) for name in wanted]
    except KeyError as error:
        raise ValueError(f"news spider: {error.args[0]}") from None


def _claimed(host: str) -> bool:
    """Whether a domain of a registered site is ``host`` or a parent of it."""
    return any(
        host == domain or host.endswith("." + domain)
        for site in _registry.load_sites().values()
        for domain in (entry.partition("/")[0] for entry in site.domains)
    )


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
