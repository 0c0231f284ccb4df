"""Crawl runs: each crawl is recorded in the database, and ``newsbot runs`` lists them.

``CrawlRuns`` is a Scrapy extension. When the spider opens it inserts a ``crawl_runs`` row with
status ``running``; when it closes it sets the end, the status (Scrapy's finish reason:
``finished``, ``shutdown``, ``closespider_timeout`` ...), the pages fetched
(``response_received_count``), the articles stored (``newsbot/stored/*``), the pages dropped by
reason (``newsbot/dropped/<reason>``), the errors logged (``log_count/ERROR``) and the final
stats; and one ``crawl_run_sites`` row per site with its pages, its articles and whether the
extraction health check flagged it (``newsbot/health/<site>/flagged``: its article pages came
out empty). A run still ``running`` after its process is gone was killed.

The database is ``NEWSBOT_DATABASE_URL`` (the environment variable first, as for the store);
when it cannot be written the crawl goes on, with the error in the log.

    newsbot runs [--limit N] [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, TypeVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from newsbot.discovery import site_host
from newsbot.sites.registry import site_for_url
from pipelines.store import DEFAULTS as _STORE_DEFAULTS

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "NEWSBOT_RUNS_ENABLED": True,
}
_ERRORS = (SQLAlchemyError, OSError)
_TRANSIENT = (OperationalError, InterfaceError)  # a lost connection: worth another try
_T = TypeVar("_T")


class CrawlRuns:
    """Record each crawl in ``crawl_runs`` (and its sites in ``crawl_run_sites``)."""

    def __init__(self, crawler: Any, database_url: str, attempts: int = 3,
                 backoff: float = 0.25) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.attempts = attempts
        self.backoff = backoff
        self.run_id: int | None = None
        self.started_at = dt.datetime.now(dt.UTC)
        self._pages: Counter[str] = Counter()
        self._items: Counter[str] = Counter()
        self._unclaimed: set[str] = set()  # hosts no registered site claims

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRuns:
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_RUNS_ENABLED", DEFAULTS["NEWSBOT_RUNS_ENABLED"]):
            raise NotConfigured("NEWSBOT_RUNS_ENABLED is off")
        extension = cls(
            crawler,
            os.environ.get("NEWSBOT_DATABASE_URL")
            or settings.get("NEWSBOT_DATABASE_URL", _STORE_DEFAULTS["NEWSBOT_DATABASE_URL"]),
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    # -- signals ------------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        from pipelines import state

        self.started_at = dt.datetime.now(dt.UTC)
        stats = self.crawler.stats
        stats.set_value("newsbot/run/host", socket.gethostname())
        stats.set_value("newsbot/run/pid", os.getpid())
        row = self._row(spider, "running", final=False)
        try:
            self.run_id = _retrying(lambda engine: state.start_run(engine, row),
                                    self.database_url, self.attempts, self.backoff)
        except _ERRORS as exc:
            logger.error("Could not record the start of the crawl run: %s", _describe(exc))
            return
        stats.set_value("newsbot/run/id", self.run_id)
        logger.info("Crawl run %d started", self.run_id)

    def spider_closed(self, spider: Any, reason: str) -> None:
        from pipelines import state

        row, sites = self._row(spider, reason, final=True), self._sites()
        try:
            self.run_id = _retrying(
                lambda engine: state.finish_run(engine, self.run_id, row, sites),
                self.database_url, self.attempts, self.backoff)
        except _ERRORS as exc:
            logger.error("Could not record the end of the crawl run: %s", _describe(exc))
            return
        self.crawler.stats.set_value("newsbot/run/id", self.run_id)
        flagged = [site["site"] for site in self._sites() if site["flagged"]]
        logger.info("Crawl run %d ended: %s%s", self.run_id, reason,
                    f"; flagged sites: {', '.join(flagged)}" if flagged else "")

    def response_received(self, response: Any, request: Any = None, spider: Any = None) -> None:
        self._pages[self._site_name(response.url)] += 1

    def item_scraped(self, item: Any = None, response: Any = None, spider: Any = None) -> None:
        if response is not None:
            self._items[self._site_name(response.url)] += 1

    def _site_name(self, url: str) -> str:
        """A site's name as the health check counts it: its registry name, else its host."""
        host = site_host(url)
        if host not in self._unclaimed:
            site = site_for_url(url)
            if site is not None:
                return site.name
            if not any(host == d or host.endswith("." + d) for d in _registered_hosts()):
                self._unclaimed.add(host)  # no registered site can own it: skip the registry
        return host

    # -- rows ---------------------------------------------------------------------------------
    def _row(self, spider: Any, status: str, final: bool) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats()
        sites = getattr(spider, "crawled_sites", None)
        if sites is None:
            sites = sorted(getattr(spider, "hosts", None) or ())
        return {
            "spider": getattr(spider, "name", None) or "unknown",
            "sites": list(sites),
            "started_at": self.started_at,
            "finished_at": dt.datetime.now(dt.UTC) if final else None,
            "status": status,
            "pages": stats.get("response_received_count", 0),
            "items_stored": sum(
                count for key, count in stats.items() if key.startswith("newsbot/stored/")
            ),
            "items_dropped": {
                key.removeprefix("newsbot/dropped/"): count
                for key, count in sorted(stats.items())
                if key.startswith("newsbot/dropped/")
            },
            "errors": stats.get("log_count/ERROR", 0),
            "stats": json.loads(json.dumps(stats, default=str)) if final else None,
        }

    def _sites(self) -> list[dict[str, Any]]:
        stats = self.crawler.stats.get_stats()
        names = set(self._pages) | set(self._items)
        names |= {
            key.split("/")[2] for key in stats if key.startswith("newsbot/health/")
        }
        return [
            {
                "site": name,
                "pages": self._pages[name],
                "items": self._items[name],
                "empty_ratio": stats.get(f"newsbot/health/{name}/empty_ratio"),
                "flagged": bool(stats.get(f"newsbot/health/{name}/flagged")),
            }
            for name in sorted(names)
            if name
        ]


def _registered_hosts() -> set[str]:
    from newsbot.sites import registry

    return {
        entry.partition("/")[0] for site in registry.load_sites().values()
        for entry in site.domains
    }


def _retrying(action: Callable[[Engine], _T], url: str, attempts: int, backoff: float) -> _T:
    """``action(engine)`` on a fresh engine, tried again after a lost connection; the last
    failure propagates."""
    for attempt in range(1, attempts + 1):
        try:
            with _engine(url) as engine:
                return action(engine)
        except _TRANSIENT as exc:
            if attempt == attempts:
                raise
            logger.warning("Recording the crawl run failed (attempt %d of %d): %s", attempt,
                           attempts, _describe(exc))
            time.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    """A short-lived engine: a crawl touches ``crawl_runs`` twice."""
    from pipelines.db import make_engine

    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _describe(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


# --- newsbot runs ----------------------------------------------------------------------------


def _database_url(given: str | None) -> str:
    if given:
        return given
    if os.environ.get("NEWSBOT_DATABASE_URL"):
        return os.environ["NEWSBOT_DATABASE_URL"]
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings().get(
        "NEWSBOT_DATABASE_URL", _STORE_DEFAULTS["NEWSBOT_DATABASE_URL"]
    )


def _duration(run: Any) -> str:
    if run.finished_at is None:
        return "-"
    seconds = int((run.finished_at - run.started_at).total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def main(argv: list[str] | None = None) -> int:
    """``newsbot runs``: the latest crawl runs, newest first."""
    parser = argparse.ArgumentParser(
        prog="newsbot runs", description="List the latest crawl runs, newest first."
    )
    parser.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument("--db", help="database URL (default: NEWSBOT_DATABASE_URL or "
                                     "sqlite:///data/newsbot.db)")
    parser.add_argument("--json", action="store_true", help="one JSON object per run")
    args = parser.parse_args(argv)

    from pipelines import state

    try:
        with _engine(_database_url(args.db)) as engine:
            runs = state.list_runs(engine, args.limit)
    except _ERRORS as exc:
        print(f"newsbot runs: cannot read the crawl runs: {_describe(exc)}", file=sys.stderr)
        return 1
    if args.json:
        for run in runs:
            print(json.dumps(asdict(run), default=str, ensure_ascii=False))
        return 0
    if not runs:
        print("no crawl runs recorded yet")
        return 0
    print(f"{'id':>5}  {'started (UTC)':<16}  {'took':>8}  {'status':<20} {'pages':>6} "
          f"{'stored':>6} {'dropped':>7} {'errors':>6}  sites")
    for run in runs:
        dropped = sum(run.items_dropped.values())
        sites = ", ".join(run.sites) or "-"
        if run.flagged:
            sites += f"  FLAGGED: {', '.join(run.flagged)}"
        print(f"{run.id:>5}  {run.started_at:%Y-%m-%d %H:%M}  {_duration(run):>8}  "
              f"{run.status:<20} {run.pages:>6} {run.items_stored:>6} {dropped:>7} "
              f"{run.errors:>6}  {run.spider}: {sites}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
