"""Resume: a long crawl run with JOBDIR can be stopped and resumed with nothing lost and
nothing fetched twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter

from crawlkit import articles, env, settings_args

from newsbot.demo import SiteServer
from newsbot.demo.generated import article_path, build_site

PAGES = 200


def _crawl(tmp_path, database_url, seed, name):
    stats = tmp_path / f"stats-{name}.json"
    command = [sys.executable, "-m", "newsbot.cli", "crawl", seed, "-q", "--log-level", "INFO",
               "--stats-json", str(stats),
               *settings_args({"JOBDIR": tmp_path / "job", "CONCURRENT_REQUESTS": 4,
                               "CONCURRENT_REQUESTS_PER_DOMAIN": 4})]
    process = subprocess.Popen(command, cwd=tmp_path, env=env(database_url),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, stats


def test_a_stopped_jobdir_crawl_resumes_without_loss_or_refetch(tmp_path, database_url):
    """SIGTERM midway stops the crawl cleanly (requests in flight are finished and stored); the
    same command with the same JOBDIR fetches exactly the pages not fetched yet."""
    site = tmp_path / "site"
    build_site(site, articles=PAGES, kb=4, per_sitemap=100)
    with SiteServer(site, delay=0.04) as server:
        seed = f"{server.base_url}/sitemap.xml"
        process, stats_path = _crawl(tmp_path, database_url, seed, "first")
        deadline = time.monotonic() + 60
        while sum(p.startswith("/news/") for p in server.requests) < 50:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=60)
        first = json.loads(stats_path.read_text())
        fetched_first = sum(p.startswith("/news/") for p in server.requests)

        process, stats_path = _crawl(tmp_path, database_url, seed, "second")
        _, log = process.communicate(timeout=120)
        assert process.returncode == 0, log[-3000:]
        second = json.loads(stats_path.read_text())
        counts = Counter(server.requests)

    assert first["finish_reason"] == "shutdown"
    assert 50 <= fetched_first < PAGES  # stopped midway
    assert second["finish_reason"] == "finished"
    assert counts.pop("/robots.txt") == 2  # each run reads it
    assert set(counts.values()) == {1}, counts.most_common(3)  # nothing fetched twice
    assert {article_path(i) for i in range(PAGES)} <= set(counts)  # nothing lost
    assert first["newsbot/stored/new"] + second["newsbot/stored/new"] == PAGES
    stored = articles(database_url)
    assert len(stored) == PAGES and {row.crawl_count for row in stored} == {1}
