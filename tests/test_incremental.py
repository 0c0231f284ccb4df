"""Incremental re-crawls: only what is new is fetched; stored articles are re-checked with
conditional requests when refresh is asked or they are old enough."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from crawlkit import articles, last_run, newsbot_crawl, scrapy_crawl
from sqlalchemy import select

from newsbot.demo import SiteServer
from newsbot.demo.generated import article_path, build_site
from pipelines.db import make_engine
from pipelines.state import fetch_state, known_urls

ARTICLES = 12
DISCOVERY = {"/robots.txt", "/", "/feed.xml", "/sitemap.xml", "/sitemap-news-0.xml",
             "/sitemap-news-1.xml"}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    build_site(root, articles=ARTICLES, kb=4, per_sitemap=8)
    return root


def _seeds(base_url: str) -> list[str]:
    return [f"{base_url}/", f"{base_url}/feed.xml", f"{base_url}/sitemap.xml"]


def _edit(site: Path, i: int) -> None:
    page = site / article_path(i).lstrip("/")
    text = page.read_text("utf-8")
    page.write_text(re.sub(rf"رقم {i}(?!\d)", f"رقم {i} (محدّث)", text), "utf-8")


def test_second_crawl_of_an_unchanged_site_makes_only_discovery_requests(
        site, tmp_path, database_url):
    """The re-crawl reads robots.txt, the home page, the feed and the sitemaps, and nothing
    else: every article it finds listed is already stored."""
    with SiteServer(site) as server:
        first = newsbot_crawl(tmp_path, database_url, _seeds(server.base_url))
        assert first["newsbot/stored/new"] == ARTICLES
        server.requests.clear()
        second = newsbot_crawl(tmp_path, database_url, _seeds(server.base_url))
        fetched = sorted(server.requests)
    assert set(fetched) == DISCOVERY
    assert len(fetched) == len(DISCOVERY)
    assert second["newsbot/incremental/known"] >= ARTICLES
    assert second["newsbot/skipped/known"] == ARTICLES
    assert not any(key.startswith("newsbot/stored/") and value
                   for key, value in second.items())
    assert len(articles(database_url)) == ARTICLES


def test_refresh_refetches_with_conditional_requests_and_stores_the_change(
        site, tmp_path, database_url):
    """With -a refresh=1 every stored article is re-checked: unchanged ones answer 304 and are
    not stored again, the changed one is fetched and stored as a new version."""
    with SiteServer(site) as server:
        seeds = " ".join(_seeds(server.base_url))
        scrapy_crawl(tmp_path, database_url, {"url": seeds})
        _edit(site, 3)
        server.requests.clear()
        scrapy_crawl(tmp_path, database_url, {"url": seeds, "refresh": "1"})
        not_modified = set(server.not_modified)
        fetched = server.requests
    article_paths = {article_path(i) for i in range(ARTICLES)}
    assert sorted(p for p in fetched if p in article_paths) == sorted(article_paths)  # once each
    assert not_modified == article_paths - {article_path(3)}
    stats = last_run(database_url).stats
    assert stats["newsbot/refresh/checked"] == ARTICLES
    assert stats["newsbot/unchanged"] == ARTICLES - 1
    assert stats["newsbot/stored/updated"] == 1
    assert stats.get("newsbot/stored/new", 0) == 0
    stored = {row.url.removeprefix(server.base_url): row for row in articles(database_url)}
    assert len(stored) == ARTICLES
    changed = stored[article_path(3)]
    assert changed.title.endswith("(محدّث)") and changed.version == 2
    assert all(row.version == 1 and row.crawl_count == 1
               for path, row in stored.items() if path != article_path(3))


def test_articles_older_than_the_refresh_age_are_rechecked(site, tmp_path, database_url):
    """NEWSBOT_REFRESH_AFTER_DAYS re-checks a stored article once its last fetch is that old;
    younger ones are skipped."""
    with SiteServer(site) as server:
        newsbot_crawl(tmp_path, database_url, [f"{server.base_url}/sitemap.xml"])
        young = newsbot_crawl(tmp_path, database_url, [f"{server.base_url}/sitemap.xml"],
                              {"NEWSBOT_REFRESH_AFTER_DAYS": 1})
        time.sleep(1.2)
        server.not_modified.clear()
        old = newsbot_crawl(tmp_path, database_url, [f"{server.base_url}/sitemap.xml"],
                            {"NEWSBOT_REFRESH_AFTER_DAYS": 1 / 86400})  # one second
        not_modified = len(server.not_modified)
    assert young["newsbot/skipped/known"] == ARTICLES
    assert "newsbot/refresh/checked" not in young
    assert old["newsbot/refresh/checked"] == ARTICLES
    assert old["newsbot/unchanged"] == not_modified == ARTICLES


def test_fetch_state_keeps_validators_and_what_needs_no_new_fetch(site, tmp_path, database_url):
    """Each article URL's status, ETag, Last-Modified and body hash are stored; a page that gave
    no article is known (not fetched again), a 404 is not."""
    overrides = {"/news/article-00005.html": (404, {"Content-Type": "text/html"}, b"gone")}
    empty = site / "news" / "no-article-here-2020.html"
    empty.write_text('<html><head><meta property="og:type" content="website"></head>'
                     "<body><p>لا شيء</p></body></html>", "utf-8")
    index = site / "index.html"
    index.write_text(index.read_text("utf-8").replace(
        "</ul>", '<li><a href="/news/no-article-here-2020.html">x</a></li></ul>'), "utf-8")
    with SiteServer(site, overrides=overrides) as server:
        newsbot_crawl(tmp_path, database_url, _seeds(server.base_url))
        base = server.base_url
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = {row.url.removeprefix(base): row
                    for row in connection.execute(select(fetch_state))}
        known = known_urls(engine, ["127.0.0.1"])
    finally:
        engine.dispose()
    ok = rows[article_path(0)]
    assert (ok.last_status, ok.site, len(ok.content_hash)) == (200, "127.0.0.1", 64)
    assert ok.etag.startswith('"') and ok.last_modified.endswith("GMT")
    assert ok.canonical_url == f"{base}{article_path(0)}"
    assert rows["/news/article-00005.html"].last_status == 404
    assert rows["/news/no-article-here-2020.html"].canonical_url is None
    assert f"{base}/news/no-article-here-2020.html" in known
    assert f"{base}/news/article-00005.html" not in known
    assert known[f"{base}{article_path(0)}"].stored
    assert known[f"{base}{article_path(0)}"].etag == ok.etag
