"""Site parsers: the generic extractor, plus what one site needs and no other.

A site parser is a small class (one module per site under ``newsbot/sites/parsers``). It runs
:func:`newsbot.extract` with the site's time zone, then applies only what the class sets:

- selector constants (CSS, or XPath when they start with ``/`` or ``(``), each used only when
  set and only when it matches: ``title_selector``, ``date_selector`` (the element's
  ``datetime``/``content`` attribute or its text), ``author_selector`` (every match is one
  author), ``body_selector`` (the article's container(s), read by the generic body reader) and
  ``drop_selectors`` (removed before anything is read);
- ``fix(article, tree)`` for logic no selector can say.

A redesign is a subclass in the same module with a later ``VALID_FROM``: the version valid on
the day a page was fetched reads it, so the fixtures stored before the redesign keep passing.
No Scrapy import.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
import sys
from typing import ClassVar

from lxml import etree
from lxml.cssselect import CSSSelector

from newsbot.extraction import ExtractionError, extract, parse_html
from newsbot.extraction.content import prune, read_article
from newsbot.extraction.dates import iso, parse_date
from newsbot.extraction.decode import decode_html
from newsbot.extraction.textutil import collapse
from newsbot.items import Article
from newsbot.sites.registry import Site, get_site, site_for_url

logger = logging.getLogger(__name__)

_MIN_BODY_CHARS = 80  # below this a site's own body selector found no article


class SiteParser:
    """The generic extractor in a site's time zone; subclasses override what they must."""

    SITE: ClassVar[str | None] = None  # the registry name of the site the class reads
    VALID_FROM: ClassVar[dt.date | None] = None

    title_selector: ClassVar[str | None] = None
    date_selector: ClassVar[str | None] = None
    author_selector: ClassVar[str | None] = None
    body_selector: ClassVar[str | None] = None
    drop_selectors: ClassVar[tuple[str, ...]] = ()

    def __init__(self, site: Site | None = None, default_tz: dt.tzinfo = dt.UTC) -> None:
        if site is None and self.SITE:
            site = get_site(self.SITE)
        self.site = site
        self.tz: dt.tzinfo = site.tz if site else default_tz

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} for {self.site.name if self.site else 'any site'}>"

    # -- versions ---------------------------------------------------------------------------
    @classmethod
    def versions(cls) -> list[type[SiteParser]]:
        """The layouts of this parser's site: the parser classes of its module, oldest first."""
        if cls is SiteParser:
            return [SiteParser]
        # The oldest ancestor defined in the same module (a shared base imported from
        # elsewhere is not a layout of this site), and its subclasses in that module.
        root = [c for c in cls.__mro__ if c.__module__ == cls.__module__
                and issubclass(c, SiteParser) and c is not SiteParser][-1]
        module = vars(sys.modules[cls.__module__]).values()
        family = {cls, root} | {
            c for c in module
            if isinstance(c, type) and issubclass(c, root) and c.__module__ == cls.__module__
        }
        return sorted(family, key=lambda c: (c.VALID_FROM or dt.date.min, len(c.__mro__)))

    @classmethod
    def version_for(cls, day: dt.date | dt.datetime | None = None) -> type[SiteParser]:
        """The version valid on ``day`` (the latest one when ``day`` is ``None``)."""
        versions = cls.versions()
        if day is None:
            return versions[-1]
        if isinstance(day, dt.datetime):
            day = day.date()
        valid = [v for v in versions if v.VALID_FROM is None or day >= v.VALID_FROM]
        return valid[-1] if valid else versions[0]

    # -- parsing ----------------------------------------------------------------------------
    def parse(
        self,
        html: bytes | str,
        url: str,
        content_type: str | None = None,
        fetched_at: dt.datetime | dt.date | None = None,
        *,
        require_article: bool = False,
    ) -> Article:
        """The article of one page.

        ``fetched_at`` is when the page was fetched: it picks the layout version and is "now"
        for relative dates. Raises :class:`~newsbot.extraction.ExtractionError` like
        :func:`newsbot.extract`.
        """
        if fetched_at is not None:
            version = type(self).version_for(fetched_at)
            if version is not type(self):
                return version(self.site, self.tz).parse(
                    html, url, content_type, fetched_at, require_article=require_article
                )
        if not self._overrides():
            return self._generic(html, url, content_type, fetched_at, require_article)
        return self._parse(html, url, content_type, fetched_at, require_article)

    def _generic(self, html: bytes | str, url: str, content_type: str | None,
                 fetched_at: dt.datetime | dt.date | None, require_article: bool) -> Article:
        """The generic extractor, in the site's zone, with the fetch time as "now"."""
        return extract(html, url, content_type=content_type, default_tz=self.tz,
                       now=_now(fetched_at), require_article=require_article)

    def fix(self, article: Article, tree: etree._Element) -> Article:
        """Site logic run last on the article and the page's tree; the default does nothing."""
        return article

    def _overrides(self) -> bool:
        cls = type(self)
        return bool(
            cls.title_selector or cls.date_selector or cls.author_selector or cls.body_selector
            or cls.drop_selectors or cls.fix is not SiteParser.fix
        )

    def _parse(
        self,
        html: bytes | str,
        url: str,
        content_type: str | None,
        fetched_at: dt.datetime | dt.date | None,
        require_article: bool,
    ) -> Article:
        if not html or not html.strip():
            raise ExtractionError("empty", "the page is empty")
        text, _encoding = decode_html(html, content_type)
        if self.drop_selectors:
            root = parse_html(text)
            for selector in self.drop_selectors:
                for el in _select(selector, root):
                    _drop(el)
            text = etree.tostring(root, encoding="unicode", method="html")
        own_body = self.body_selector is not None
        article = self._generic(text, url, content_type, fetched_at,
                                require_article and not own_body)
        tree = parse_html(text)
        if self.title_selector:
            article.title = _first_text(self.title_selector, tree) or article.title
        if self.date_selector:
            self._apply_date(article, tree, fetched_at)
        if self.author_selector:
            authors = list(dict.fromkeys(_texts(self.author_selector, tree)))
            article.authors = authors or article.authors
        if own_body and not self._apply_body(article, text, url):
            logger.debug("%r: body selector matched nothing on %s", self, url)
            if require_article:  # the generic reading decides
                return self._generic(text, url, content_type, fetched_at, True)
        if require_article and own_body and sum(map(len, article.paragraphs)) < _MIN_BODY_CHARS:
            raise ExtractionError("no_article", f"no article found on {url}")
        return self.fix(article, tree)

    def _apply_date(
        self, article: Article, tree: etree._Element, fetched_at: dt.datetime | dt.date | None
    ) -> None:
        now = _now(fetched_at)
        for el in _select(self.date_selector, tree):
            raw = el.get("datetime") or el.get("content") or collapse("".join(el.itertext()))
            parsed = parse_date(raw, self.tz, now=now) if raw else None
            if parsed:
                article.published_at, article.published_raw = iso(parsed), raw
                return

    def _apply_body(self, article: Article, text: str, url: str) -> bool:
        """Read the body from the site's container(s); ``False`` when none matched."""
        root = parse_html(text)  # a tree of its own: reading prunes it
        containers = _select(self.body_selector, root)
        if not containers:
            return False
        prune(root)
        content = read_article(containers, url, article.title)
        article.headings, article.paragraphs = content.headings, content.paragraphs
        article.captions, article.images = content.captions, content.images
        article.blocks = content.blocks
        return True


@functools.lru_cache(maxsize=256)
def _compiled(selector: str) -> etree.XPath:
    if selector.startswith(("/", "(")):
        return etree.XPath(selector)
    return CSSSelector(selector, translator="html")


def _select(selector: str, root: etree._Element) -> list[etree._Element]:
    return [el for el in _compiled(selector)(root) if isinstance(el, etree._Element)]


def _texts(selector: str, root: etree._Element) -> list[str]:
    return [t for t in (collapse("".join(el.itertext())) for el in _select(selector, root)) if t]


def _first_text(selector: str, root: etree._Element) -> str | None:
    return next(iter(_texts(selector, root)), None)


def _drop(el: etree._Element) -> None:
    """Remove an element, keeping its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


@functools.lru_cache(maxsize=64)
def _parser_class(path: str) -> type[SiteParser]:
    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, SiteParser)):
        raise TypeError(f"{path} is not a SiteParser")
    return cls


def _now(fetched_at: dt.datetime | dt.date | None) -> dt.datetime | None:
    """The fetch time as "now" for relative dates (a bare date says too little)."""
    return fetched_at if isinstance(fetched_at, dt.datetime) else None


def parser_for(
    url: str, on: dt.date | dt.datetime | None = None, *, default_tz: dt.tzinfo = dt.UTC
) -> SiteParser:
    """The parser for ``url``: its site's parser version valid on ``on`` (the day the page was
    fetched; today's layout when ``None``), or the generic one in the site's time zone, or in
    ``default_tz`` for a site the registry does not know."""
    site = site_for_url(url)
    if site is None:
        return SiteParser(None, default_tz)
    if site.parser is None:
        return SiteParser(site)
    return _parser_class(site.parser).version_for(on)(site)


__all__ = ["SiteParser", "parser_for"]
