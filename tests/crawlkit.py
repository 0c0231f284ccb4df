"""Helpers for the end-to-end tests of scheduled crawls: run crawls in child processes (a
Twisted reactor runs once per process) and read what they left in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from pipelines.schema import Article, CrawlRun

# A local site answers at once: no politeness delays, one retry, store every item at once.
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "1",
    "NEWSBOT_STORE_FLUSH_SECONDS": "0",
    "LOG_LEVEL": "INFO",
}


def env(database_url: str | None, **extra: str) -> dict[str, str]:
    """This environment without newsbot's and Scrapy's variables, with the database given
    (none: the settings say) and ``extra``."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("NEWSBOT_", "SCRAPY_"))}
    if database_url is not None:
        base["NEWSBOT_DATABASE_URL"] = database_url
    return {**base, "SCRAPY_SETTINGS_MODULE": "newsbot.settings", **extra}


def settings_args(settings: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in {**FAST, **settings}.items():
        args += ["-s", f"{key}={value}"]
    return args


def scrapy_crawl(workdir: Path, database_url: str, spider_args: dict[str, str],
                 settings: dict[str, Any] | None = None, timeout: float = 120,
                 **extra_env: str) -> subprocess.CompletedProcess:
    """``scrapy crawl news -a K=V ... -s K=V ...`` in ``workdir``; asserts it exits 0."""
    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    for key, value in spider_args.items():
        command += ["-a", f"{key}={value}"]
    command += settings_args(settings or {})
    result = subprocess.run(command, env=env(database_url, **extra_env), cwd=workdir,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def newsbot_crawl(workdir: Path, database_url: str, urls: list[str],
                  settings: dict[str, Any] | None = None, timeout: float = 120) -> dict:
    """``newsbot crawl URL... --stats-json`` in ``workdir``; returns the final stats."""
    stats_path = workdir / f"stats-{len(list(workdir.glob('stats-*')))}.json"
    command = [sys.executable, "-m", "newsbot.cli", "crawl", *urls, "-q",
               "--log-level", "INFO", "--stats-json", str(stats_path),
               *settings_args(settings or {})]
    result = subprocess.run(command, env=env(database_url), cwd=workdir,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]
    stats = json.loads(stats_path.read_text())
    stats["_log"] = result.stderr
    return stats


def articles(database_url: str) -> list[Article]:
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            return list(session.execute(select(Article).order_by(Article.url)).scalars())
    finally:
        engine.dispose()


def last_run(database_url: str) -> CrawlRun:
    """The row the CrawlRuns extension wrote for the latest finished crawl."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            latest = session.execute(
                select(CrawlRun).where(CrawlRun.finished_at.is_not(None))
                .order_by(CrawlRun.id.desc())
            ).scalars().first()
            assert latest is not None, "no finished crawl run recorded"
            run_id = latest.stats["newsbot/run/id"]
            return session.get(CrawlRun, run_id)
    finally:
        engine.dispose()
