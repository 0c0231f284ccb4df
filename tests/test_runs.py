"""Crawl runs: each crawl is recorded with its outcome, `newsbot runs` lists them, a site whose
pages come out empty is flagged in its run, and cron's lock keeps a crawl from running twice."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from crawlkit import env, last_run, newsbot_crawl
from sqlalchemy import select

from newsbot import runs
from newsbot.demo import SiteServer
from newsbot.demo.generated import build_site
from newsbot.locking import EXIT_LOCKED, LockHeld, crawl_lock, run_locked
from pipelines.db import make_engine
from pipelines.state import crawl_run_sites

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    build_site(root, articles=10, kb=4)
    return root


def _site_rows(database_url: str, run_id: int) -> dict[str, dict]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {row.site: row._asdict() for row in connection.execute(
                select(crawl_run_sites).where(crawl_run_sites.c.run_id == run_id))}
    finally:
        engine.dispose()


def test_a_crawl_is_recorded_with_its_outcome(site, tmp_path, database_url, capsys):
    """The run's row says what ran, when, how it ended, what it fetched, stored and dropped."""
    overrides = {"/news/article-00002.html": (404, HTML, b"<html><body>404</body></html>"),
                 "/news/article-00003.html": (200, HTML, b"")}
    with SiteServer(site, overrides=overrides) as server:
        stats = newsbot_crawl(tmp_path, database_url, [f"{server.base_url}/sitemap.xml"])
    run = last_run(database_url)
    assert run.id == stats["newsbot/run/id"]
    assert (run.spider, run.sites, run.status) == ("news", ["127.0.0.1"], "finished")
    assert run.started_at < run.finished_at
    assert run.pages == stats["response_received_count"] == 13  # robots, 2 sitemaps, 10 pages
    assert run.items_stored == 8
    assert run.items_dropped == {"http_404": 1, "empty": 1}
    assert run.errors == stats.get("log_count/ERROR", 0) == 0
    assert run.stats["newsbot/stored/new"] == 8
    sites = _site_rows(database_url, run.id)
    assert sites["127.0.0.1"]["pages"] == 13
    assert sites["127.0.0.1"]["items"] == 8
    assert sites["127.0.0.1"]["flagged"] is False

    assert runs.main(["--db", database_url, "--limit", "5"]) == 0
    listed = capsys.readouterr().out
    assert f"{run.id:>5}" in listed and "finished" in listed and "news: 127.0.0.1" in listed


def test_a_site_whose_pages_come_out_empty_is_flagged_in_its_run(site, tmp_path, database_url,
                                                                  capsys):
    """When most article pages give no article (a redesign), the run flags the site."""
    blank = (b'<html><head><meta property="og:type" content="article"><title>x</title></head>'
             b"<body><div id='app'></div></body></html>")
    overrides = {f"/news/article-{i:05d}.html": (200, HTML, blank) for i in range(8)}
    with SiteServer(site, overrides=overrides) as server:
        newsbot_crawl(tmp_path, database_url, [f"{server.base_url}/sitemap.xml"],
                      {"NEWSBOT_HEALTH_WINDOW": 5})
    run = last_run(database_url)
    sites = _site_rows(database_url, run.id)
    assert sites["127.0.0.1"]["flagged"] is True
    assert sites["127.0.0.1"]["empty_ratio"] >= 0.5
    assert runs.main(["--db", database_url]) == 0
    assert "FLAGGED: 127.0.0.1" in capsys.readouterr().out


def test_an_unreachable_database_does_not_stop_the_crawl(site, tmp_path):
    """With no database to record the run in, the crawl still runs to its end; the log says
    why nothing was recorded."""
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:9/newsbot"  # the discard port: refused
    with SiteServer(site) as server:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "news", "-a",
             f"url={server.base_url}/feed.xml", "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "NEWSBOT_STORE_RETRIES=0", "-s", "LOG_LEVEL=INFO"],
            env=env(nowhere), cwd=tmp_path, capture_output=True, text=True, timeout=120)
        fetched = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Could not record the start of the crawl run" in result.stderr
    assert "Could not record the end of the crawl run" in result.stderr
    assert "'finish_reason': 'finished'" in result.stderr
    assert sum(path.startswith("/news/") for path in fetched) == 10
    assert (tmp_path / "data" / "deadletter.jsonl").exists()  # the store kept the articles


def test_runs_lists_nothing_yet_and_fails_clearly_without_a_database(database_url, tmp_path,
                                                                      capsys):
    """`newsbot runs` on a fresh database says so; on no database it says why it cannot."""
    from pipelines.db import create_schema

    engine = make_engine(database_url)
    create_schema(engine)
    engine.dispose()
    assert runs.main(["--db", database_url]) == 0
    assert "no crawl runs" in capsys.readouterr().out
    assert runs.main(["--db", "postgresql+psycopg://postgres@127.0.0.1:9/x"]) == 1
    assert "cannot read the crawl runs" in capsys.readouterr().err


# --- the cron lock ---------------------------------------------------------------------------

_HOLD = """
import sys, time
from newsbot.locking import crawl_lock
with crawl_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_crawl_stops_at_once_while_the_lock_is_held(tmp_path, capsys):
    """While one process holds the lock, another gets EXIT_LOCKED and a message naming the
    holder, without running; once the holder is gone the lock is free again."""
    lock = tmp_path / "data" / "crawl.lock"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(lock)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        ran = []
        started = time.monotonic()
        assert run_locked(lock, lambda: ran.append(1) or 0) == EXIT_LOCKED
        assert time.monotonic() - started < 1
        assert ran == []
        message = capsys.readouterr().err
        assert f"another crawl holds {lock} (pid {holder.pid} on " in message
        assert "not starting" in message
        with pytest.raises(LockHeld), crawl_lock(lock):
            pass
    finally:
        holder.kill()  # killed, not released: the kernel frees the lock all the same
        holder.wait()
    assert run_locked(lock, lambda: 0) == 0


# --- registered sites ------------------------------------------------------------------------

_WITH_REGISTRY = """
import functools, sys
from scrapy.cmdline import execute
import newsbot.sites
from newsbot.sites import registry
raw = registry.load_sites.__wrapped__
registry.load_sites = newsbot.sites.load_sites = functools.cache(
    lambda path=None: raw(path or sys.argv[1]))
execute(["scrapy", "crawl", "news", *sys.argv[2:]])
"""
_SITE = """
[[site]]
name = "{name}"
title = "موقع {name}"
home = "{base}/"
domains = ["{host}"]
{sources}
article_url_pattern = '^/news/article-\\d+\\.html$'
sample_article_url = "{base}/news/article-00001.html"
timezone = "Asia/Riyadh"
"""


def test_registered_sites_are_crawled_from_what_they_publish(tmp_path, database_url):
    """`-a site=NAME` starts from the site's feeds, sitemaps and home page and fetches only URLs
    its article pattern matches; `-a site=all` crawls every registered site; the run records
    the sites by name."""
    for name in ("alpha", "beta"):
        build_site(tmp_path / name, articles=6, kb=4)
    home = tmp_path / "alpha" / "index.html"
    home.write_text(home.read_text("utf-8").replace(
        "</ul>", '<li><a href="/opinion/a-long-opinion-piece-here">رأي</a></li></ul>'), "utf-8")
    with SiteServer(tmp_path / "alpha") as alpha, \
            SiteServer(tmp_path / "beta", host="127.0.0.2") as beta:
        registry = tmp_path / "sites.toml"
        registry.write_text(
            _SITE.format(name="alpha", base=alpha.base_url, host="127.0.0.1",
                         sources=f'feeds = ["{alpha.base_url}/feed.xml"]')
            + _SITE.format(name="beta", base=beta.base_url, host="127.0.0.2",
                           sources=f'sitemaps = ["{beta.base_url}/sitemap.xml"]'), "utf-8")

        def crawl(site: str) -> subprocess.CompletedProcess:
            result = subprocess.run(
                [sys.executable, "-c", _WITH_REGISTRY, str(registry), "-a", f"site={site}",
                 "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSBOT_STORE_FLUSH_SECONDS=0"],
                env=env(database_url), cwd=tmp_path, capture_output=True, text=True,
                timeout=120)
            assert result.returncode == 0, result.stderr[-3000:]
            return result

        crawl("beta")
        assert set(alpha.requests) == set()
        assert set(beta.requests) >= {"/sitemap.xml", "/", "/news/article-00005.html"}
        assert last_run(database_url).sites == ["beta"]

        crawl("all")
        assert {"/feed.xml", "/", "/news/article-00000.html"} <= set(alpha.requests)
        assert "/opinion/a-long-opinion-piece-here" not in alpha.requests
        assert "/sitemap.xml" not in alpha.requests  # alpha publishes a feed only
    run = last_run(database_url)
    assert run.sites == ["alpha", "beta"]
    assert run.stats["newsbot/skipped/not_article"] >= 1
    assert run.stats["newsbot/skipped/known"] == 6  # beta's, stored by the first crawl
    assert run.items_stored == 6
    assert set(_site_rows(database_url, run.id)) == {"alpha", "beta"}


def test_newsbot_crawl_with_a_held_lock_exits_at_once(site, tmp_path):
    """`newsbot crawl --lock FILE` started while another crawl holds FILE fetches nothing and
    exits with status 75 and a message naming the holder."""
    lock = tmp_path / "data" / "crawl.lock"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(lock)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with SiteServer(site) as server:
            result = subprocess.run(
                [sys.executable, "-m", "newsbot.cli", "crawl", f"{server.base_url}/feed.xml",
                 "--lock", str(lock)],
                env=env(f"sqlite:///{tmp_path / 'x.db'}"), cwd=tmp_path, capture_output=True,
                text=True, timeout=60)
            fetched = list(server.requests)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == EXIT_LOCKED
    assert f"another crawl holds {lock} (pid {holder.pid}" in result.stderr
    assert fetched == []
