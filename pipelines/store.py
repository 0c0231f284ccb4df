"""The item pipeline that stores articles in batches, and never loses them.

Items are buffered and upserted one batch per transaction. A batch that fails for a transient
reason (a lost connection, a locked file) is retried with backoff; a batch that still fails is
appended to a dead-letter file of JSON lines, which ``newsbot db replay FILE`` stores later
(:mod:`pipelines.replay`).

When the spider opens, the database's schema is checked (:func:`pipelines.migrate.check_current`):
an empty database gets the schema, one at an older revision stops the crawl before anything is
fetched, with finish reason ``schema_out_of_date`` and an error saying to run
``newsbot db upgrade``. (Each crawl is recorded in ``crawl_runs`` by ``newsbot.runs``.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy.exceptions import CloseSpider, DropItem
from sqlalchemy import make_url
from sqlalchemy.orm import sessionmaker

from newsbot.items import Article
from pipelines.db import TRANSIENT_ERRORS, make_engine, upsert_articles
from pipelines.migrate import SchemaOutOfDate, check_current
from pipelines.replay import append as append_deadletters

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "NEWSBOT_DATABASE_URL": "sqlite:///data/newsbot.db",
    "NEWSBOT_STORE_BATCH_SIZE": 100,
    "NEWSBOT_STORE_FLUSH_SECONDS": 5.0,
    "NEWSBOT_STORE_RETRIES": 3,
    "NEWSBOT_STORE_RETRY_BACKOFF": 0.5,
    "NEWSBOT_DEADLETTER_PATH": "data/deadletter.jsonl",
}

# Failures worth another attempt; anything else goes to the dead-letter file at once.
_TRANSIENT = TRANSIENT_ERRORS
_T = TypeVar("_T")


class StorePipeline:
    """Upsert articles into the database in batches of ``NEWSBOT_STORE_BATCH_SIZE``."""

    def __init__(
        self,
        database_url: str,
        *,
        crawler: Crawler,
        batch_size: int = DEFAULTS["NEWSBOT_STORE_BATCH_SIZE"],
        flush_seconds: float = DEFAULTS["NEWSBOT_STORE_FLUSH_SECONDS"],
        retries: int = DEFAULTS["NEWSBOT_STORE_RETRIES"],
        retry_backoff: float = DEFAULTS["NEWSBOT_STORE_RETRY_BACKOFF"],
        deadletter_path: str | Path = DEFAULTS["NEWSBOT_DEADLETTER_PATH"],
    ) -> None:
        self.database_url = database_url
        self.crawler = crawler
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.deadletter_path = Path(deadletter_path)
        self._engine: Engine | None = None
        self._session: sessionmaker[Session] | None = None
        self._buffer: list[Article] = []
        self._buffered_since = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        pipeline = cls(
            os.environ.get("NEWSBOT_DATABASE_URL")
            or settings.get("NEWSBOT_DATABASE_URL", DEFAULTS["NEWSBOT_DATABASE_URL"]),
            crawler=crawler,
            batch_size=settings.getint(
                "NEWSBOT_STORE_BATCH_SIZE", DEFAULTS["NEWSBOT_STORE_BATCH_SIZE"]
            ),
            flush_seconds=settings.getfloat(
                "NEWSBOT_STORE_FLUSH_SECONDS", DEFAULTS["NEWSBOT_STORE_FLUSH_SECONDS"]
            ),
            retries=settings.getint("NEWSBOT_STORE_RETRIES", DEFAULTS["NEWSBOT_STORE_RETRIES"]),
            retry_backoff=settings.getfloat(
                "NEWSBOT_STORE_RETRY_BACKOFF", DEFAULTS["NEWSBOT_STORE_RETRY_BACKOFF"]
            ),
            deadletter_path=settings.get(
                "NEWSBOT_DEADLETTER_PATH", DEFAULTS["NEWSBOT_DEADLETTER_PATH"]
            ),
        )
        return pipeline

    def open_spider(self) -> None:
        where = make_url(self.database_url).render_as_string(hide_password=True)
        logger.info("Storing articles in %s", where)
        try:
            self._open()
        except SchemaOutOfDate as exc:
            # Stop before the first request: nothing crawled can be stored in this schema.
            logger.error("Cannot crawl: %s", exc)
            raise CloseSpider("schema_out_of_date") from exc
        except _TRANSIENT as exc:
            # Not fatal: every flush tries again, and dead-letters what it cannot store.
            logger.error("Cannot open the database yet: %s", _describe(exc))

    def process_item(self, item: Any) -> Any:
        if not self._buffer:
            self._buffered_since = time.monotonic()
        self._buffer.append(_as_article(item))
        if (
            len(self._buffer) >= self.batch_size
            or time.monotonic() - self._buffered_since >= self.flush_seconds
        ):
            self._flush()
        return item

    def close_spider(self) -> None:
        self._flush()
        if self._engine is not None:
            self._engine.dispose()

    def _open(self) -> sessionmaker[Session]:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        if self._session is None:
            check_current(self._engine)
            self._session = sessionmaker(self._engine)
        return self._session

    def _flush(self) -> None:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        # One time for every attempt: a retry after a commit whose answer was lost is a no-op.
        now = dt.datetime.now(dt.UTC)

        def store() -> tuple[int, int]:
            with self._open().begin() as session:
                return upsert_articles(session, batch, now)

        try:
            new, updated = self._retrying(f"Storing {len(batch)} articles", store)
        except _Failed as failed:
            self._deadletter(batch, now, failed.attempts, failed.__cause__)
            return
        stats = self.crawler.stats
        stats.inc_value("newsbot/stored/new", new)
        stats.inc_value("newsbot/stored/updated", updated)
        stats.inc_value("newsbot/store/batches")
        logger.debug("Stored %d articles: %d new, %d updated", len(batch), new, updated)

    def _retrying(self, what: str, action: Callable[[], _T], attempts: int | None = None) -> _T:
        """``action()``, tried again with backoff after a transient failure.

        Raises :class:`_Failed` (from the last error) when no attempt succeeds, or at once
        when the failure is not transient.
        """
        attempts = attempts or self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return action()
            except _TRANSIENT as exc:
                if attempt == attempts:
                    raise _Failed(attempt) from exc
                delay = self.retry_backoff * 2 ** (attempt - 1)
                logger.warning(
                    "%s failed (attempt %d of %d), retrying in %.1f s: %s",
                    what,
                    attempt,
                    attempts,
                    delay,
                    _describe(exc),
                )
                self.crawler.stats.inc_value("newsbot/store/retries")
                time.sleep(delay)
            except Exception as exc:  # whatever the cause, the caller must not lose data
                raise _Failed(attempt) from exc
        raise AssertionError("unreachable")

    def _deadletter(
        self, batch: list[Article], crawled_at: dt.datetime, attempts: int, exc: BaseException
    ) -> None:
        failed_at = dt.datetime.now(dt.UTC).isoformat()
        records = [
            {**article.to_dict(), "crawled_at": crawled_at.isoformat(), "failed_at": failed_at}
            for article in batch
        ]
        try:
            append_deadletters(self.deadletter_path, records)
        except OSError:
            logger.critical(
                "Could not store %d articles, nor write them to %s: %s",
                len(batch),
                self.deadletter_path,
                json.dumps(records, ensure_ascii=False),
                exc_info=True,
            )
            raise
        self.crawler.stats.inc_value("newsbot/store/deadlettered", len(batch))
        logger.error(
            "Could not store %d articles after %d attempt(s); appended them to %s: %s",
            len(batch),
            attempts,
            self.deadletter_path,
            _describe(exc),
            exc_info=not isinstance(exc, _TRANSIENT),
        )


class _Failed(Exception):
    """Every attempt failed; ``__cause__`` is the last error."""

    def __init__(self, attempts: int) -> None:
        super().__init__(attempts)
        self.attempts = attempts


def _as_article(item: Any) -> Article:
    """The item as an :class:`Article`; a dict may carry extra keys such as ``body``."""
    if isinstance(item, Article):
        return item
    if isinstance(item, Mapping):
        try:
            return Article.from_dict(item)
        except ValueError as exc:
            raise DropItem(str(exc)) from exc
    raise TypeError(f"StorePipeline expects an Article or a dict, not {type(item).__name__}")


def _describe(exc: BaseException) -> str:
    """One line for the log: the driver's message, not the statement and its parameters."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"
