"""Incremental crawls: a scheduled re-crawl fetches only what is new.

``Incremental`` is a spider middleware, in the manner of scrapy-deltafetch. When the spider
opens it loads, in one go, the article URLs of the crawled hosts that are already known
(:func:`pipelines.state.known_urls`): stored as articles, or fetched before with success and
found to hold no article. It then looks at every article request the spider yields (those
with ``meta["newsbot_article"]``; feeds, sitemaps and section pages are always fetched):

- a URL not known is fetched;
- a known URL is skipped and counted (once) as ``newsbot/skipped/known``, unless the spider
  runs with ``-a refresh=1`` or the last fetch is older than ``NEWSBOT_REFRESH_AFTER_DAYS``
  (0: never by age); then it is re-checked with a conditional request (``If-None-Match`` with
  the stored ``ETag``, ``If-Modified-Since`` with the stored ``Last-Modified``), counted (once)
  as ``newsbot/refresh/checked``. A ``304`` answer reaches the spider, which counts it as
  ``newsbot/unchanged`` and stores nothing; a ``200`` is read and stored as usual (a changed
  article becomes a new version).

Each article response's status, validators and body hash are written to ``fetch_state`` in
batches of ``NEWSBOT_STATE_BATCH_SIZE``, and when the spider closes. A row is written only once
the spider has handled its response, so a crawl killed midway never marks a page as done
before its article was handed to the pipelines.

The database is ``NEWSBOT_DATABASE_URL`` (the environment variable first, as for the store).
When it cannot be read, the crawl goes on as a full crawl, with an error in the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from newsbot.discovery import site_host
from newsbot.items import Article
from pipelines.store import DEFAULTS as _STORE_DEFAULTS

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "NEWSBOT_INCREMENTAL": True,  # skip article URLs already stored
    "NEWSBOT_REFRESH_AFTER_DAYS": 0,  # re-check a stored article this old (days); 0: never
    "NEWSBOT_STATE_BATCH_SIZE": 200,  # fetch-state rows written per transaction
}
_ARTICLE = "newsbot_article"
_ERRORS = (SQLAlchemyError, OSError)


class Incremental:
    """Spider middleware: skip known article URLs, re-check old ones conditionally."""

    def __init__(
        self,
        crawler: Any,
        database_url: str,
        *,
        refresh_after: dt.timedelta | None = None,
        batch_size: int = DEFAULTS["NEWSBOT_STATE_BATCH_SIZE"],
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.database_url = database_url
        self.refresh_after = refresh_after
        self.batch_size = batch_size
        self.known: dict[str, Any] = {}
        self._engine: Engine | None = None
        self._pending: dict[int, dict[str, Any]] = {}  # id(response) -> row being filled
        self._rows: list[dict[str, Any]] = []  # rows done, waiting to be written
        self._decided: set[str] = set()  # known URLs already skipped or re-checked

    @classmethod
    def from_crawler(cls, crawler: Any) -> Incremental:
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_INCREMENTAL", DEFAULTS["NEWSBOT_INCREMENTAL"]):
            raise NotConfigured("NEWSBOT_INCREMENTAL is off")
        days = settings.getfloat(
            "NEWSBOT_REFRESH_AFTER_DAYS", DEFAULTS["NEWSBOT_REFRESH_AFTER_DAYS"]
        )
        middleware = cls(
            crawler,
            os.environ.get("NEWSBOT_DATABASE_URL")
            or settings.get("NEWSBOT_DATABASE_URL", _STORE_DEFAULTS["NEWSBOT_DATABASE_URL"]),
            refresh_after=dt.timedelta(days=days) if days > 0 else None,
            batch_size=settings.getint(
                "NEWSBOT_STATE_BATCH_SIZE", DEFAULTS["NEWSBOT_STATE_BATCH_SIZE"]
            ),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # -- signals ------------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        from pipelines import state
        from pipelines.db import make_engine

        hosts = getattr(spider, "hosts", None)
        try:
            self._engine = make_engine(self.database_url)
            self.known = state.known_urls(self._engine, hosts)
        except _ERRORS as exc:
            logger.error("Cannot read what earlier crawls fetched; crawling everything: %s",
                         _describe(exc))
            self.known = {}
        self.stats.set_value("newsbot/incremental/known", len(self.known))
        logger.info("%d article URLs already known on %s", len(self.known),
                    ", ".join(sorted(hosts or ())) or "every site")

    def spider_closed(self, spider: Any, reason: str) -> None:
        self._flush()
        if self._engine is not None:
            self._engine.dispose()

    # -- spider middleware --------------------------------------------------------------------
    def process_spider_input(self, response: Response) -> None:
        request = response.request
        if request is None or not request.meta.get(_ARTICLE):
            return
        self._pending[id(response)] = {
            "url": _listed_url(response),
            "site": site_host(_listed_url(response)) or None,
            "last_fetched_at": dt.datetime.now(dt.UTC),
            "last_status": response.status,
            "etag": _header(response, b"ETag"),
            "last_modified": _header(response, b"Last-Modified"),
            "content_hash": hashlib.sha256(response.body).hexdigest()
            if response.status == 200
            else None,
        }

    def process_spider_output(
        self, response: Response, result: Iterable[Any]
    ) -> Iterator[Any]:
        row = self._pending.pop(id(response), None)
        for output in result:
            output = self._filter(output, row)
            if output is not None:
                yield output
        self._done(row)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        row = self._pending.pop(id(response), None)
        async for output in result:
            output = self._filter(output, row)
            if output is not None:
                yield output
        self._done(row)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self._pending.pop(id(response), None)  # not handled: not done

    # -- decisions ----------------------------------------------------------------------------
    def _filter(self, output: Any, row: dict[str, Any] | None) -> Any:
        if isinstance(output, Request):
            return self._request(output) if output.meta.get(_ARTICLE) else output
        if row is not None and isinstance(output, Article):
            row["canonical_url"] = output.canonical_url or output.url
        return output

    def _request(self, request: Request) -> Request | None:
        known = self.known.get(request.url)
        if known is None:
            return request
        first = request.url not in self._decided  # counted once, however often it is listed
        self._decided.add(request.url)
        spider = self.crawler.spider
        due = self.refresh_after is not None and (
            dt.datetime.now(dt.UTC) - known.fetched_at >= self.refresh_after
        )
        if not (getattr(spider, "refresh", False) or due):
            if first:
                self.stats.inc_value("newsbot/skipped/known")
                logger.debug("Already stored, not fetched again: %s", request.url)
            return None
        if first:
            self.stats.inc_value("newsbot/refresh/checked")
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        statuses = list(request.meta.get("handle_httpstatus_list", ()))
        request.meta["handle_httpstatus_list"] = [*statuses, 304]
        return request

    def _done(self, row: dict[str, Any] | None) -> None:
        if row is None:
            return
        self._rows.append(row)
        if len(self._rows) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        from pipelines import state

        rows, self._rows = self._rows, []
        if not rows or self._engine is None:
            return
        try:
            state.record_fetches(self._engine, rows)
        except _ERRORS as exc:
            # Only the next crawl's work grows: it fetches these pages again.
            logger.error("Could not record the fetch state of %d pages: %s", len(rows),
                         _describe(exc))
            self.stats.inc_value("newsbot/incremental/state_errors")


def _listed_url(response: Response) -> str:
    """The URL the article was listed and requested under (before any redirect)."""
    return (response.meta.get("redirect_urls") or [response.request.url])[0]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _describe(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


__all__ = ["DEFAULTS", "Incremental"]
