"""Article metadata: JSON-LD first, then OpenGraph and ``<meta>``, then the DOM.

Works on a parsed lxml tree; returns plain values. Nothing here looks at the article body.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newsbot.extraction import xpaths
from newsbot.extraction.textutil import collapse

logger = logging.getLogger(__name__)

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "askpublicnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
    "scholarlyarticle",
    "techarticle",
}
_PAGE_TYPES = {"webpage", "itempage", "collectionpage"}
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—»«·•:/]{1,2}\s+|\s*\|\s*|\s*::\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(slots=True)
class Metadata:
    title: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    authors: list[str] = field(default_factory=list)
    published_raw: str | None = None
    modified_raw: str | None = None
    languages: list[str | None] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    is_article: bool = False  # JSON-LD or og:type says this page is an article


def _load_json(text: str) -> Any:
    text = _CONTROL.sub(" ", text.strip())
    if text.startswith("<!--"):
        text = text.removeprefix("<!--").removesuffix("-->")
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def _walk_jsonld(node: Any):
    if isinstance(node, list):
        for child in node:
            yield from _walk_jsonld(child)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in node:
                yield from _walk_jsonld(node[key])


def _types(node: dict) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower().rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _names(value: Any) -> list[str]:
    """Names from a schema.org Person/Organization value (str, dict or list of either)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return _names(name) if name else []
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _str(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or value.get("url")
    if isinstance(value, str):
        return collapse(value) or None
    return None


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = re.split(r"[,،]", value)
    elif isinstance(value, list):
        parts = [v for v in value if isinstance(v, str)]
    else:
        return []
    return [p for p in (collapse(p) for p in parts) if p]


def _jsonld_objects(tree: etree._Element) -> tuple[dict | None, list[dict]]:
    """The article object of the page (if any), and every object found."""
    objects: list[dict] = []
    for script in xpaths.JSONLD(tree):
        data = _load_json(script.text or "")
        if data is not None:
            objects.extend(_walk_jsonld(data))
    article = next((o for o in objects if _types(o) & _ARTICLE_TYPES), None)
    if article is None:
        dated_pages = (o for o in objects if _types(o) & _PAGE_TYPES and o.get("datePublished"))
        article = next(dated_pages, None)
    return article, objects


def _meta_map(tree: etree._Element) -> dict[str, str]:
    """``<meta>`` contents keyed by lower-cased property/name/itemprop; the first one wins."""
    found: dict[str, str] = {}
    for meta in xpaths.META(tree):
        content = meta.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                found.setdefault(key.strip().lower(), content.strip())
    return found


def strip_site_name(title: str, site_names: list[str]) -> str:
    """Remove a site name joined to a headline by " - ", " | ", " :: " and the like."""
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    folded = [s.casefold() for s in site_names if s]
    kept = [p for p in parts if not any(s in p.casefold() or p.casefold() in s for s in folded)]
    if kept and len(kept) < len(parts):
        # Rejoin the headline's own parts with the separators it had.
        first, last = title.find(kept[0]), title.rfind(kept[-1]) + len(kept[-1])
        return title[first:last].strip()
    return title


def _first_h1_matching(
    tree: etree._Element, titles: list[str], site_names: list[str]
) -> str | None:
    folded_sites = {s.casefold() for s in site_names if s}
    for h1 in xpaths.H1(tree)[:5]:
        text = collapse("".join(h1.itertext()))
        if len(text) < 8 or text.casefold() in folded_sites:
            continue
        if any(text in t and len(text) >= 0.4 * len(t) for t in titles):
            return text
    return None


def _part_shown_in_body(tree: etree._Element, title: str) -> str | None:
    """The part of a "site - headline" title that the page shows on its own (in a title cell)."""
    parts = sorted((p.strip() for p in _TITLE_SEPARATORS.split(title)), key=len, reverse=True)
    if len(parts) < 2:
        return None
    return next((p for p in parts if len(p) >= 8 and xpaths.ELEMENT_WITH_TEXT(tree, t=p)), None)


def _host_names(url: str) -> list[str]:
    host = urlsplit(url).hostname or ""
    host = host.removeprefix("www.")
    label = host.split(".")[0]
    return [host, label] if label else []


def extract_metadata(tree: etree._Element, url: str) -> Metadata:
    meta = _meta_map(tree)
    article, objects = _jsonld_objects(tree)
    ld = article or {}
    md = Metadata()

    publisher = _names(ld.get("publisher"))
    website = next((o for o in objects if "website" in _types(o)), {})
    site_names = [
        n
        for n in (meta.get("og:site_name"), *publisher, _str(website.get("name")),
                  meta.get("application-name"), meta.get("twitter:site", "").lstrip("@"))
        if n and not n.startswith("http")
    ]
    site_names += _host_names(url)
    md.site_name = site_names[0] if site_names else None

    # Title: the h1 when the <title>/og:title contain it, else a stripped candidate.
    title_tag = collapse("".join(xpaths.TITLE(tree)))
    raw_titles = [
        t
        for t in (_str(ld.get("headline")), meta.get("og:title"), meta.get("twitter:title"),
                  title_tag, _str(ld.get("name")))
        if t
    ]
    raw_titles = [collapse(t) for t in raw_titles]
    h1 = _first_h1_matching(tree, raw_titles, site_names)
    if h1:
        md.title = h1
    elif raw_titles:
        md.title = _part_shown_in_body(tree, raw_titles[0]) or strip_site_name(
            raw_titles[0], site_names) or None
    if md.title and md.title in title_tag:
        # What the <title> adds to the headline is the site's name.
        rest = (p.strip(" -|–—»«·•:/") for p in title_tag.split(md.title))
        site_names += [p for p in rest if len(p) > 2]

    md.description = collapse(
        _str(ld.get("description")) or meta.get("og:description") or meta.get("description") or ""
    ) or None

    canonical = (
        next(iter(xpaths.CANONICAL(tree)), None) or meta.get("og:url") or _str(ld.get("url"))
    )
    if canonical:
        canonical = urljoin(url, canonical.strip())
        if urlsplit(canonical).scheme in ("http", "https"):
            md.canonical_url = canonical

    authors = _names(ld.get("author"))
    if not authors:
        authors = [a for a in (meta.get("author"), meta.get("article:author"),
                               meta.get("sailthru.author"), meta.get("parsely-author")) if a]
    md.authors = _clean_authors(authors, site_names)
    if not md.authors:
        nodes = [n for n in xpaths.AUTHOR_NODES(tree) if _is_leafish(n)][:3]
        md.authors = _clean_authors([collapse("".join(n.itertext())) for n in nodes], site_names)

    md.published_raw = (
        _str(ld.get("datePublished"))
        or next((meta[k] for k in xpaths.PUBLISHED_META if k in meta), None)
        or next(iter(xpaths.TIME_PUBLISHED(tree)), None)
    )
    md.modified_raw = _str(ld.get("dateModified")) or next(
        (meta[k] for k in xpaths.MODIFIED_META if k in meta), None
    )
    md.languages = [
        _str(ld.get("inLanguage")),
        next(iter(xpaths.HTML_LANG(tree)), None),
        meta.get("content-language"),
        meta.get("og:locale"),
    ]
    md.section = _str(ld.get("articleSection")) or meta.get("article:section")
    md.tags = _keywords(ld.get("keywords")) or [
        collapse(m.get("content", "")) for m in xpaths.ARTICLE_TAGS(tree) if m.get("content")
    ]
    md.image = _str(ld.get("image")) or meta.get("og:image")
    og_type = meta.get("og:type", "").lower()
    md.is_article = (article is not None and bool(_types(article) & _ARTICLE_TYPES)) or og_type in (
        "article",
        "news",
        "article:news",
    )
    return md


def _is_leafish(el: etree._Element) -> bool:
    """A byline element holds a name, not a whole author box."""
    text = collapse("".join(el.itertext()))
    return 2 < len(text) <= 60


_BYLINE_PREFIX = re.compile(
    r"^(?:by|بقلم|بواسطة|كتبت|كتبه|كتب|تحرير|إعداد|اعداد|متابعة|تقرير|الكاتب|الكاتبة)\s*[:：]?\s*",
    re.IGNORECASE,
)
# A desk, not a person: "المحرر الاقتصادي", "محرر الموقع", "فريق التحرير".
_DESK = re.compile(r"^(?:ال)?محرر(?:\s|$)|^فريق\s+التحرير|^(?:staff|editorial|newsroom)\b", re.I)
# What follows a name in a byline box: a date, a time, a separator.
_AFTER_NAME = re.compile(r"\s*(?:[|،,]|\d|[٠-٩]).*$")
# "حسام أبو العلا - القاهرة": a dateline place after the name.
_PLACE_SUFFIX = re.compile(r"\s+[-–—]\s+\S+(?:\s\S+)?$")


def _clean_authors(names: list[str], site_names: list[str]) -> list[str]:
    folded_sites = {s.casefold().strip() for s in site_names}
    seen: dict[str, None] = {}
    for name in names:
        name = _PLACE_SUFFIX.sub("", _AFTER_NAME.sub("", _BYLINE_PREFIX.sub("", collapse(name))))
        if (
            not name
            or name.startswith(("http://", "https://", "/"))
            or len(name) > 80
            or name.casefold() in folded_sites
            or _DESK.match(name)
        ):
            continue
        seen.setdefault(name, None)
    return list(seen)
