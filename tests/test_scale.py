"""Scale-out with scrapy-redis: crawler processes share one frontier in Redis and one
PostgreSQL database; every URL is fetched once in all, every article stored once, and no
process leaves while another may still add work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from crawlkit import articles, env, settings_args

from newsbot.demo import SiteServer
from newsbot.demo.generated import article_path, build_site
from newsbot.scale import key_prefix

redis = pytest.importorskip("redis")
REDIS_URL = os.environ.get("NEWSBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKER = {
    "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "NEWSBOT_REDIS_CLOSE_AFTER_SECONDS": 1.0,
    "NEWSBOT_STORE_BATCH_SIZE": 50,
}


@pytest.fixture
def frontier() -> Iterator[str]:
    """A frontier name of this test's own on the Redis server; its keys are deleted after."""
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.ConnectionError as exc:
        message = f"Redis is unreachable at {REDIS_URL}: {exc}"
        if os.environ.get("NEWSBOT_REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    keys = list(server.scan_iter(f"{key_prefix('news', name)}:*"))
    if keys:
        server.delete(*keys)
    server.close()


def _start(workdir: Path, database_url: str, frontier: str, urls: list[str], name: str,
           **settings) -> tuple[subprocess.Popen, Path]:
    stats = workdir / f"stats-{name}.json"
    command = [sys.executable, "-m", "newsbot.cli", "crawl", *urls, "-q", "--log-level", "INFO",
               "--stats-json", str(stats), *settings_args({**WORKER, **settings})]
    process = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=env(database_url, NEWSBOT_REDIS_URL=REDIS_URL, NEWSBOT_FRONTIER=frontier))
    return process, stats


def _finish(process: subprocess.Popen, stats: Path, timeout: float = 120) -> dict:
    _, log = process.communicate(timeout=timeout)
    assert process.returncode == 0, log[-4000:]
    assert "DeprecationWarning" not in log, log[-4000:]
    result = json.loads(stats.read_text())
    result["_log"] = log
    return result


def _fetched_once(requests: list[str], workers: int) -> Counter:
    counts = Counter(requests)
    assert counts.pop("/robots.txt") == workers  # each process reads robots.txt itself
    assert set(counts.values()) == {1}, counts.most_common(5)
    return counts


def test_two_processes_share_the_frontier(tmp_path, postgres_url, frontier):
    """Two processes crawl a 500-article site into one PostgreSQL database: each URL is fetched
    once in all, each article stored once, both do work, and neither leaves while the other is
    still reading a sitemap that adds more (the second sitemap answers after 2 s)."""
    site = tmp_path / "site"
    build_site(site, articles=500, kb=4, per_sitemap=250)
    with SiteServer(site, delay={"/sitemap-news-1.xml": 2.0}) as server:
        seed = [f"{server.base_url}/sitemap.xml"]
        runs = [_start(tmp_path, postgres_url, frontier, seed, name,
                       NEWSBOT_CONTACT_URL=f"https://example.org/worker-{name}")
                for name in ("a", "b")]
        stats = [_finish(*run) for run in runs]
        counts = _fetched_once(list(server.requests), workers=2)
        by_worker = {(path, headers["User-Agent"][-2]) for path, headers in server.log}
    assert {article_path(i) for i in range(500)} <= set(counts)
    assert len(counts) == 500 + 3  # the articles, the sitemap index and its two sitemaps
    for worker in stats:
        assert worker["finish_reason"] == "finished"
        assert worker["scheduler/dequeued/redis"] > 50
    # Both worked on each sitemap's half of the site: neither left while the second sitemap
    # was still coming.
    for worker in "ab":
        for half in (range(0, 250), range(250, 500)):
            assert any((article_path(i), worker) in by_worker for i in half), (worker, half)
    assert sum(s.get("newsbot/stored/new", 0) for s in stats) == 500
    stored = articles(postgres_url)
    assert len(stored) == 500 and {row.crawl_count for row in stored} == {1}
    server_redis = redis.Redis.from_url(REDIS_URL)
    prefix = key_prefix("news", frontier)
    assert server_redis.zcard(f"{prefix}:requests") == 0
    assert server_redis.get(f"{prefix}:finished") is not None
    assert server_redis.hlen(f"{prefix}:workers") == 0


def test_the_next_crawl_of_a_finished_frontier_starts_afresh(tmp_path, frontier):
    """Once a crawl has finished, the next one on the same frontier reads the sitemaps again
    (the duplicate filter is reset once), and skips the articles it has stored."""
    database_url = f"sqlite:///{tmp_path / 'newsbot.db'}"
    site = tmp_path / "site"
    build_site(site, articles=20, kb=4, per_sitemap=10)
    with SiteServer(site) as server:
        seed = [f"{server.base_url}/sitemap.xml"]
        first = _finish(*_start(tmp_path, database_url, frontier, seed, "first"))
        server.requests.clear()
        second = _finish(*_start(tmp_path, database_url, frontier, seed, "second"))
        fetched = sorted(server.requests)
    assert first["newsbot/stored/new"] == 20
    assert "starting it afresh" in second["_log"]
    assert fetched == ["/robots.txt", "/sitemap-news-0.xml", "/sitemap-news-1.xml",
                       "/sitemap.xml"]
    assert second["newsbot/skipped/known"] == 20


def test_an_interrupted_crawl_is_resumed_by_the_next_process(tmp_path, postgres_url, frontier):
    """A process stopped midway (SIGTERM) leaves the rest of the queue in Redis; the next one
    resumes it: nothing is lost and nothing fetched twice."""
    site = tmp_path / "site"
    build_site(site, articles=80, kb=4)
    with SiteServer(site, delay=0.05) as server:
        seed = [f"{server.base_url}/sitemap.xml"]
        process, stats = _start(tmp_path, postgres_url, frontier, seed, "stopped",
                                CONCURRENT_REQUESTS=2, CONCURRENT_REQUESTS_PER_DOMAIN=2)
        deadline = time.monotonic() + 60
        while sum(p.startswith("/news/") for p in server.requests) < 20:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        stopped = json.loads(stats.read_text())
        queued = redis.Redis.from_url(REDIS_URL).zcard(f"{key_prefix('news', frontier)}:requests")
        resumed = _finish(*_start(tmp_path, postgres_url, frontier, seed, "resumed"))
        _fetched_once(list(server.requests), workers=2)
    assert stopped["finish_reason"] == "shutdown"
    assert 0 < queued < 80
    assert resumed["scheduler/dequeued/redis"] == queued
    assert stopped["newsbot/stored/new"] + resumed["newsbot/stored/new"] == 80
    assert len(articles(postgres_url)) == 80
