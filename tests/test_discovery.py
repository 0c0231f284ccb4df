"""Discovery: what a fetched document is, and which article URLs it lists."""

from __future__ import annotations

import gzip

import pytest

from newsbot.discovery import (
    listing_links,
    looks_like_article_url,
    parse_feed,
    parse_sitemap,
    same_site,
    sniff,
)

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.test/a/1001</loc><news:news><news:publication>
    <news:name>N</news:name><news:language>ar</news:language></news:publication>
    <news:publication_date>2025-03-09T10:30:00+03:00</news:publication_date>
    <news:title>t</news:title></news:news></url>
  <url><loc> https://news.test/a/1002 </loc><lastmod>2025-03-10</lastmod></url>
</urlset>"""
INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.test/sitemap-1.xml</loc></sitemap>
<sitemap><loc>https://news.test/sitemap-2.xml.gz</loc></sitemap></sitemapindex>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>أخبار</title><entry><title>خبر</title><link href="https://news.test/a/7"/>
<id>x</id><updated>2025-03-09T10:30:00Z</updated><published>2025-03-09T10:30:00Z</published>
</entry></feed>""".encode()
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>https://news.test/a/8</link><pubDate>Sun, 09 Mar 2025 07:30:00 GMT</pubDate></item>
<item><title>no link</title></item></channel></rss>"""


@pytest.mark.parametrize(("body", "content_type", "kind"), [
    (URLSET, "application/xml", "sitemap"),
    (INDEX, "text/xml", "sitemap"),
    (gzip.compress(URLSET), "application/x-gzip", "sitemap"),
    (ATOM, "application/atom+xml", "feed"),
    (RSS, "application/rss+xml; charset=utf-8", "feed"),
    (RSS, "text/html", "feed"),  # servers mislabel feeds; the root element decides
    (b"<!doctype html><html><body></body></html>", "text/html", "html"),
    (b"", None, "html"),  # nothing to go by: the page parser names it (empty)
    (b"\x89PNG\r\n", "image/png", "other"),
])
def test_sniff(body, content_type, kind):
    """Sitemaps, feeds and HTML are told apart by their root element, then their type."""
    assert sniff(body, content_type, "https://news.test/x") == kind


def test_news_sitemap_gives_urls_with_publication_dates():
    """A Google News sitemap gives each URL with its publication date (lastmod is not one)."""
    children, pages = parse_sitemap(URLSET, "https://news.test/sitemap.xml")
    assert children == []
    assert [(p.url, p.published) for p in pages] == [
        ("https://news.test/a/1001", "2025-03-09T10:30:00+03:00"),
        ("https://news.test/a/1002", None),
    ]


def test_sitemap_index_and_gzip():
    """A sitemap index lists child sitemaps; a gzipped sitemap is read like a plain one."""
    children, pages = parse_sitemap(INDEX, "https://news.test/sitemap.xml")
    assert children == ["https://news.test/sitemap-1.xml", "https://news.test/sitemap-2.xml.gz"]
    assert pages == []
    _, pages = parse_sitemap(gzip.compress(URLSET), "https://news.test/s.xml.gz")
    assert len(pages) == 2


def test_feeds_give_entry_links():
    """RSS and Atom entries give their links and dates; entries without a link are skipped."""
    assert [(e.url, e.published) for e in parse_feed(ATOM, "https://news.test/feed")] == [
        ("https://news.test/a/7", "2025-03-09T10:30:00Z")]
    assert [e.url for e in parse_feed(RSS, "https://news.test/rss")] == ["https://news.test/a/8"]


@pytest.mark.parametrize(("url", "expected"), [
    ("https://news.test/news/2025/03/09/council-budget.html", True),
    ("https://news.test/article/20431", True),
    ("https://news.test/%D8%AA%D8%B1%D9%83%D9%89-%D8%A2%D9%84-%D8%A7%D9%84%D8%B4%D9%8A%D8%AE/", True),
    ("https://news.test/", False),
    ("https://news.test/section/sports", False),
    ("https://news.test/tag/economy-news-today", False),
    ("https://news.test/author/laila-mansour-1", False),
    ("https://news.test/about.html", False),
    ("https://news.test/images/photo-2025-03.jpg", False),
    ("mailto:desk@news.test", False),
])
def test_article_shaped_urls(url, expected):
    """Article URLs carry an id or a slug; sections, tags, authors and files do not count."""
    assert looks_like_article_url(url) is expected


def test_listing_links_stay_on_site_and_are_unique():
    """A listing's article links are resolved, de-duplicated and kept to the same site."""
    html = b"""<html><body><a href="/news/2025/a-b-c.html">1</a><a href="/news/2025/a-b-c.html#x">1</a>
    <a href="https://sub.news.test/article/12345">2</a><a href="https://other.test/article/12345">3</a>
    <a href="/section/sport">4</a><a href="javascript:void(0)">5</a></body></html>"""
    links = listing_links(html, "https://www.news.test/", {"news.test"})
    assert links == ["https://www.news.test/news/2025/a-b-c.html", "https://sub.news.test/article/12345"]


def test_same_site_matches_subdomains_only():
    """A subdomain is the same site; a look-alike domain is not."""
    assert same_site("https://m.news.test/a", {"news.test"})
    assert not same_site("https://evilnews.test/a", {"news.test"})
