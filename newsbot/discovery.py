"""Finding articles: what kind of document a URL gave, and the article URLs it lists.

Pure functions over bytes and strings, with no Scrapy import: feeds go through feedparser,
sitemaps through lxml, listing pages through lxml with a URL heuristic for article links.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
from lxml import etree

_XML_HEAD = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<([\w:]+)", re.S
)
_NON_ARTICLE_PATH = re.compile(
    r"/(?:tags?|category|categories|section|sections|author|authors|writer|page|search|login|"
    r"register|signup|account|feed|rss|comments?|wp-admin|wp-login|wp-content|wp-json|cdn-cgi|"
    r"video|videos|gallery|photos|live|contact|about|privacy|terms|advertise)(?:/|\.\w{3,5}$|$)",
    re.IGNORECASE,
)
_FILE_EXT = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|json|xml|rss|pdf|zip|gz|mp[34]|avi|mov|webm|woff2?|ttf)$",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(r"\d{3,}")
_SLUG = re.compile(r"[^/]*(?:-|%2d|_)[^/]*(?:-|%2d|_)[^/]*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ListedUrl:
    url: str
    published: str | None = None  # a date the feed or news sitemap gives for it


def sniff(body: bytes, content_type: str | None, url: str) -> str:
    """``sitemap``, ``feed``, ``html`` or ``other`` for a fetched document."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if body[:2] == b"\x1f\x8b":
        return "sitemap" if _root_tag(_gunzip(body)) in ("urlset", "sitemapindex") else "other"
    root = _root_tag(body)
    if root in ("urlset", "sitemapindex"):
        return "sitemap"
    if root in ("rss", "feed", "rdf:rdf", "rdf"):
        return "feed"
    # HTML, or nothing declared: the page parser decides (and names empty pages).
    if not mime or mime in ("text/html", "application/xhtml+xml", "text/plain") or root == "html":
        return "html"
    return "other"


def _root_tag(body: bytes) -> str | None:
    match = _XML_HEAD.match(body[:4096])
    return match.group(1).decode("ascii", "ignore").lower() if match else None


def _gunzip(body: bytes, limit: int = 50 * 1024 * 1024) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        return stream.read(limit)


def parse_sitemap(body: bytes, base_url: str) -> tuple[list[str], list[ListedUrl]]:
    """``(child sitemaps, page URLs)`` of a sitemap or sitemap index (gzip too)."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    parser = etree.XMLParser(recover=True, remove_comments=True, resolve_entities=False,
                             no_network=True, huge_tree=True)
    root = etree.fromstring(body, parser)
    if root is None:
        return [], []
    children: list[str] = []
    pages: list[ListedUrl] = []
    is_index = etree.QName(root).localname.lower() == "sitemapindex"
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc, published = None, None
        for child in node.iter():
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname.lower()
            if name == "loc" and loc is None and child.text:
                loc = urljoin(base_url, child.text.strip())
            elif name == "publication_date" and child.text:
                published = child.text.strip()
        if loc:
            if is_index:
                children.append(loc)
            else:
                pages.append(ListedUrl(loc, published))
    return children, pages


def parse_feed(body: bytes, base_url: str) -> list[ListedUrl]:
    """Entry links of an RSS or Atom feed, with their publication dates."""
    feed = feedparser.parse(body)
    found = []
    for entry in feed.entries:
        link = entry.get("link")
        if link:
            found.append(ListedUrl(urljoin(base_url, link), entry.get("published")))
    return found


def same_site(url: str, hosts: set[str]) -> bool:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return any(host == h or host.endswith("." + h) for h in hosts)


def looks_like_article_url(url: str) -> bool:
    """Whether a URL is shaped like an article's (a long id or a slug), not a section's."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    path = parts.path
    if not path or path == "/" or _FILE_EXT.search(path) or _NON_ARTICLE_PATH.search(path):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(_LONG_NUMBER.search(path) or _SLUG.fullmatch(last) or
                (last.endswith((".html", ".htm", ".php", ".aspx")) and len(last) > 8))


def listing_links(html: bytes | str, base_url: str, hosts: set[str]) -> list[str]:
    """Article-shaped links of a listing page on the same site, in page order, unique."""
    parser = etree.HTMLParser(remove_comments=True, no_network=True)
    root = etree.fromstring(html if isinstance(html, bytes) else html.encode("utf-8"), parser)
    if root is None:
        return []
    base = next(iter(root.xpath("//base/@href")), None)
    base = urljoin(base_url, base) if base else base_url
    seen: dict[str, None] = {}
    for href in root.xpath("//a/@href"):
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = urldefrag(urljoin(base, href)).url
        if same_site(url, hosts) and looks_like_article_url(url):
            seen.setdefault(url, None)
    return list(seen)


def site_host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")
