"""End to end: a real crawl of pages served from 127.0.0.1 into a real database."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from crawlkit import newsbot_crawl
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from newsbot.demo import SiteServer
from pipelines.schema import Article, Image

PAGES = Path(__file__).parent / "pages" / "arabic"
GOLD = {p.name.removesuffix(".gold.json"): json.loads(p.read_text("utf-8"))
        for p in sorted(PAGES.glob("*.gold.json"))}


def _article_path(name: str) -> str:
    return f"/news/2020/{name.replace('_', '-')}.html"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Six real Arabic articles, a listing, an RSS feed, a sitemap index and robots.txt."""
    root = tmp_path / "site"
    (root / "news" / "2020").mkdir(parents=True)
    (root / "private").mkdir()
    for name in GOLD:
        shutil.copy(PAGES / f"{name}.html", root / _article_path(name).lstrip("/"))
    (root / "private" / "secret-2020.html").write_text("<html><body><p>secret</p></body></html>")
    links = "".join(f'<li><a href="{_article_path(n)}">{GOLD[n]["title"]}</a></li>' for n in GOLD)
    (root / "index.html").write_text(
        '<html><head><meta property="og:type" content="website"><title>آخر الأخبار</title></head>'
        f'<body><nav><a href="/">الرئيسية</a></nav><ul>{links}'
        '<li><a href="/private/secret-2020.html">سري</a></li></ul></body></html>', "utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    now = format_datetime(datetime(2020, 12, 1, tzinfo=UTC))
    items = "".join(f"<item><title>t</title><link>{{BASE}}{_article_path(n)}</link>"
                    f"<pubDate>{now}</pubDate></item>" for n in list(GOLD)[:3])
    (root / "feed.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>f'
                                   f"</title>{items}</channel></rss>")
    urls = "".join(f"<url><loc>{{BASE}}{_article_path(n)}</loc><news:news><news:publication_date>"
                   f"2020-12-01T10:00:00+03:00</news:publication_date></news:news></url>"
                   for n in list(GOLD)[3:])
    (root / "sitemap-news.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>{BASE}/sitemap-news.xml</loc></sitemap></sitemapindex>")
    return root


def crawl(urls: list[str], database_url: str, workdir: Path, **settings: str) -> dict:
    """Run `newsbot crawl` in a child process (a Twisted reactor runs once per process)."""
    return newsbot_crawl(workdir, database_url, urls, settings)


def rows(database_url: str) -> list[Article]:
    engine = create_engine(database_url)
    with Session(engine) as session:
        found = session.execute(select(Article).order_by(Article.url)).scalars().all()
        for row in found:
            row.image_count = session.scalar(select(func.count()).where(Image.article_id == row.id))
    engine.dispose()
    return found


def test_listing_crawl_stores_every_article(site, tmp_path, database_url):
    """Crawling a listing stores each linked article once, with its fields and image rows."""
    with SiteServer(site) as server:
        stats = crawl([f"{server.base_url}/"], database_url, tmp_path)
        assert "/private/secret-2020.html" not in server.requests  # robots.txt obeyed
    stored = rows(database_url)
    assert len(stored) == 6
    assert stats["newsbot/stored/new"] == 6
    titles = {row.title for row in stored}
    assert titles == {g["title"] for g in GOLD.values()}
    youm7 = next(r for r in stored if "youm7" in r.url)
    assert youm7.paragraphs == GOLD["youm7_1691196862"]["paragraphs"]
    assert youm7.image_count == 1
    assert youm7.body == "\n\n".join(youm7.paragraphs)


def test_feed_and_sitemap_index_are_followed(site, tmp_path, database_url):
    """An RSS feed and a sitemap index with a news sitemap lead to their articles."""
    with SiteServer(site) as server:
        stats = crawl([f"{server.base_url}/feed.xml", f"{server.base_url}/sitemap.xml"],
                      database_url, tmp_path)
    assert stats["newsbot/pages/feed"] == 1
    assert stats["newsbot/pages/sitemap"] == 2
    assert len(rows(database_url)) == 6


def test_second_crawl_updates_instead_of_duplicating(site, tmp_path, database_url):
    """Re-crawling (incremental skipping off) updates each row (upsert on the canonical URL),
    never adds a second one."""
    with SiteServer(site) as server:
        crawl([f"{server.base_url}/"], database_url, tmp_path)
        page = site / _article_path("beirutobserver_1764731404").lstrip("/")
        page.write_bytes(page.read_bytes().replace("سرقة منزل".encode(), "سطو على منزل".encode()))
        stats = crawl([f"{server.base_url}/"], database_url, tmp_path,
                      NEWSBOT_INCREMENTAL="False")
    stored = rows(database_url)
    assert len(stored) == 6
    assert stats["newsbot/stored/updated"] == 6
    assert all(row.crawl_count == 2 for row in stored)
    assert any(row.title.startswith("سطو على منزل") for row in stored)


def test_bad_pages_are_counted_drops_not_crashes(site, tmp_path, database_url):
    """Empty, non-HTML, 404, 500, truncated and article-less pages are logged, counted drops."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    overrides = {
        "/news/2020/empty-page-1.html": (200, html, b""),
        "/news/2020/binary-file-2.html": (200, {"Content-Type": "application/octet-stream"},
                                          b"\x00\x01\x02" * 100),
        "/news/2020/server-error-3.html": (500, html, b"<html><body>error</body></html>"),
        "/news/2020/truncated-page-4.html": (200, {**html, "Content-Length": "50000"},
                                             b"<html><body><p>" + "نص ".encode() * 200),
        "/news/2020/no-article-5.html": (200, html, (
            '<html><head><meta property="og:type" content="website"></head><body><ul>'
            + "".join(f'<li><a href="/x/{i}">رابط رقم {i}</a></li>' for i in range(20))
            + "</ul></body></html>").encode()),
    }
    listing = (site / "index.html").read_text("utf-8").replace(
        "</ul>", "".join(f'<li><a href="{p}">x</a></li>' for p in overrides)
        + '<li><a href="/news/2020/missing-page-6.html">x</a></li></ul>')
    (site / "index.html").write_text(listing, "utf-8")
    with SiteServer(site, overrides=overrides) as server:
        stats = crawl([f"{server.base_url}/"], database_url, tmp_path)
    for reason in ("empty", "not_html", "http_500", "truncated", "no_article", "http_404"):
        assert stats.get(f"newsbot/dropped/{reason}") == 1, reason
        assert f"({reason})" in stats["_log"]
    assert stats["finish_reason"] == "finished"
    assert len(rows(database_url)) == 6


def test_article_url_is_stored_without_following_its_links(site, tmp_path, database_url):
    """Given one article URL, the spider stores that article and fetches nothing else."""
    path = _article_path("elbaladtv_1806793639")
    with SiteServer(site) as server:
        stats = crawl([f"{server.base_url}{path}"], database_url, tmp_path)
        fetched = set(server.requests)
    assert fetched == {"/robots.txt", path}
    assert stats["newsbot/stored/new"] == 1
    assert [row.title for row in rows(database_url)] == [GOLD["elbaladtv_1806793639"]["title"]]
