"""Page parsing: ``(url, html) -> Article``, with no Scrapy import.

``extract`` is the library face of newsbot; the spider and the ``newsbot extract`` command both
call it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import urlsplit

from lxml import etree

from newsbot.extraction import xpaths
from newsbot.extraction.content import Content, body_chars, extract_content
from newsbot.extraction.dates import iso, parse_date
from newsbot.extraction.decode import decode_html
from newsbot.extraction.language import detect_language
from newsbot.extraction.metadata import Metadata, extract_metadata
from newsbot.extraction.textutil import collapse
from newsbot.items import Article

logger = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
# Below this much body text a page that does not say it is an article is not one.
MIN_ARTICLE_CHARS = 300
_MAX_LISTING_LINK_DENSITY = 0.35
# A first pass that finds less body text than this is tried again, leniently.
_RETRY_BELOW_CHARS = 600


class ExtractionError(ValueError):
    """The page cannot give an article; ``reason`` is a short stats key (``empty``, ...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_html(text: str) -> etree._Element:
    """Decoded page text to an lxml tree (comments and processing instructions dropped)."""
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                              no_network=True)
    root = etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    if root is None:
        raise ExtractionError("empty", "the page has no HTML content")
    return root


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|[١۱][٩۹][٠-٩۰-۹]{2}|[٢۲][٠۰][٠-٩۰-۹]{2}")
# In an element named for dates, a Hijri year or a relative time is worth reading too; in any
# short text it is not (teasers say "منذ 3 ساعات" of other articles).
_DATEISH = re.compile(
    _YEAR.pattern + r"|(?<!\d)1[34]\d\d(?!\d)|[١۱][٣٤۳۴][٠-٩۰-۹]{2}|منذ|قبل|أمس|امس|اليوم"
)


def _visible_date(
    root: etree._Element, default_tz: dt.tzinfo, now: dt.datetime | None
) -> tuple[str, dt.datetime] | None:
    """A date shown on the page: in an element named for dates, else in any short text."""
    named = [
        el.get("datetime") or el.get("content") or collapse("".join(el.itertext()))
        for el in xpaths.DATE_NODES(root)[:30]
    ]
    candidates = [(raw, _DATEISH) for raw in named]
    candidates += [(collapse(t), _YEAR) for t in xpaths.SHORT_TEXTS(root)]
    for raw, wanted in candidates:
        if raw and 4 <= len(raw) <= 120 and wanted.search(raw):
            parsed = parse_date(raw, default_tz, now=now)
            if parsed:
                return raw, parsed
    return None


def extract(
    html: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    default_tz: dt.tzinfo = dt.UTC,
    now: dt.datetime | None = None,
    require_article: bool = False,
) -> Article:
    """Extract the article of one page.

    ``html`` is the page as bytes (decoded by HTTP charset, BOM, ``<meta>``, then detection) or
    as text. ``content_type`` is the HTTP header, if known. Dates without an offset are taken to
    be in ``default_tz``; relative dates ("منذ ساعتين") count back from ``now``, the time the
    page was fetched (timezone-aware; the current time when ``None``).

    Raises :class:`ExtractionError` when the input is not an HTML page at all (``empty``,
    ``not_html``), and, with ``require_article``, when the page holds no article
    (``no_article``: a listing, an index, an error page).
    """
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and mime not in _HTML_TYPES:
        raise ExtractionError("not_html", f"not an HTML page: {mime}")
    if not html or not html.strip():
        raise ExtractionError("empty", "the page is empty")
    text, _encoding = decode_html(html, content_type)
    if "<" not in text[:2048] and not mime:
        raise ExtractionError("not_html", "the page has no markup")
    root = parse_html(text)

    md = extract_metadata(root, url)
    published = parse_date(md.published_raw, default_tz, now=now)
    published_raw = md.published_raw if published else None
    if published is None:
        found = _visible_date(root, default_tz, now)
        if found:
            published_raw, published = found
    modified = parse_date(md.modified_raw, default_tz, now=now)

    try:
        content = _content(root, text, url, md.title)
    except RecursionError as error:  # libxml2 caps nesting at 256; this is a backstop
        raise ExtractionError("malformed", f"the page is nested too deeply: {url}") from error
    if require_article and not _looks_like_article(md, content.paragraphs, content.link_density):
        raise ExtractionError("no_article", f"no article found on {url}")

    body_text = " ".join(content.paragraphs) or (md.description or "")
    return Article(
        url=url,
        canonical_url=md.canonical_url or url,
        site=_site(md.canonical_url or url),
        title=md.title,
        description=md.description,
        authors=md.authors,
        published_at=iso(published),
        published_raw=published_raw,
        modified_at=iso(modified),
        language=detect_language(md.languages, f"{md.title or ''} {body_text}"),
        section=md.section,
        tags=md.tags,
        headings=content.headings,
        paragraphs=content.paragraphs,
        captions=content.captions,
        images=content.images,
        blocks=content.blocks,
    )


def _content(root: etree._Element, text: str, url: str, title: str | None) -> Content:
    content = extract_content(root, url, title)
    if body_chars(content) < _RETRY_BELOW_CHARS:
        # The strict pass may have pruned the article's own wrapper ("modal-enabled",
        # "with-sidebar"): parse again and prune leniently; keep the richer result.
        second = extract_content(parse_html(text), url, title, lenient=True)
        if body_chars(second) > 1.5 * body_chars(content) and second.link_density < 0.5:
            return second
    return content


def _site(url: str) -> str | None:
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


def _looks_like_article(md: Metadata, paragraphs: list[str], link_density: float) -> bool:
    chars = sum(map(len, paragraphs))
    if not paragraphs or chars < 80:
        return False
    if md.is_article:
        return True
    return chars >= MIN_ARTICLE_CHARS and link_density <= _MAX_LISTING_LINK_DENSITY and (
        max(map(len, paragraphs)) >= 150
    )


__all__ = ["ExtractionError", "extract"]
