"""The site registry: what newsbot knows of each outlet, read from ``sites.toml``.

The data (domains, feeds, sitemaps, the article URL pattern, the time zone) lives in the TOML
file; this module only loads, checks and looks it up. No Scrapy import.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

_REQUIRED = ("name", "title", "home", "domains", "article_url_pattern", "timezone")
_OPTIONAL = ("feeds", "sitemaps", "language", "parser", "sample_article_url")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    title: str
    home: str
    domains: tuple[str, ...]
    article_url_pattern: str
    timezone: str = "UTC"
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    language: str = "ar"
    parser: str | None = None  # dotted path of a SiteParser class
    sample_article_url: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        """The zone of dates the site prints without an offset."""
        return ZoneInfo(self.timezone)

    @property
    def seeds(self) -> tuple[str, ...]:
        """Where a crawl of the whole site starts: its feeds and sitemaps."""
        return self.feeds + self.sitemaps

    def is_article_url(self, url: str) -> bool:
        """Whether ``url``'s path (percent-decoded) matches the site's article pattern."""
        return re.search(self.article_url_pattern, _path(url)) is not None

    def owns(self, url: str) -> bool:
        """Whether ``url`` is on one of the site's domains."""
        return _match_length(self, url) > 0


def _path(url: str) -> str:
    return unquote(urlsplit(url).path or "/")


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def _match_length(site: Site, url: str) -> int:
    """How specific the best of ``site``'s domain entries matching ``url`` is (0: none)."""
    host, path = _host(url), _path(url).rstrip("/")
    best = 0
    for entry in site.domains:
        domain, _, prefix = entry.partition("/")
        if host != domain and not host.endswith("." + domain):
            continue
        if prefix and path != "/" + prefix and not path.startswith(f"/{prefix}/"):
            continue
        best = max(best, len(entry))
    return best


def _site(entry: dict[str, Any], source: str) -> Site:
    label = entry.get("name", "<unnamed>")
    missing = [key for key in _REQUIRED if not entry.get(key)]
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if missing or unknown:
        raise ValueError(
            f"{source}: site {label!r}: missing {missing or 'nothing'}, unknown keys "
            f"{unknown or 'none'}"
        )
    if not _NAME.match(entry["name"]):
        raise ValueError(f"{source}: site name {label!r} must be a lowercase identifier")
    try:
        re.compile(entry["article_url_pattern"])
        ZoneInfo(entry["timezone"])
    except (re.error, ValueError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{source}: site {label!r}: {error}") from error
    domains = tuple(d.lower().removeprefix("www.").strip("/") for d in entry["domains"])
    return Site(
        name=entry["name"],
        title=entry["title"],
        home=entry["home"],
        domains=domains,
        article_url_pattern=entry["article_url_pattern"],
        timezone=entry["timezone"],
        feeds=tuple(entry.get("feeds", ())),
        sitemaps=tuple(entry.get("sitemaps", ())),
        language=entry.get("language", "ar"),
        parser=entry.get("parser"),
        sample_article_url=entry.get("sample_article_url"),
    )


@functools.cache
def load_sites(path: str | Path | None = None) -> dict[str, Site]:
    """All sites by name, from ``path`` or the bundled ``sites.toml`` (read once)."""
    if path is None:
        text, source = resources.files(__package__).joinpath("sites.toml").read_text("utf-8"), \
            "sites.toml"
    else:
        text, source = Path(path).read_text("utf-8"), str(path)
    sites: dict[str, Site] = {}
    owners: dict[str, str] = {}
    for entry in tomllib.loads(text).get("site", []):
        site = _site(entry, source)
        if site.name in sites:
            raise ValueError(f"{source}: two sites named {site.name!r}")
        for domain in site.domains:
            if domain in owners:
                raise ValueError(
                    f"{source}: domain {domain!r} is in both {owners[domain]!r} and {site.name!r}"
                )
            owners[domain] = site.name
        sites[site.name] = site
    return sites


def get_site(name: str) -> Site:
    """The site called ``name``; ``KeyError`` names the known sites otherwise."""
    sites = load_sites()
    try:
        return sites[name]
    except KeyError:
        raise KeyError(
            f"no site named {name!r} in the registry; known sites: {', '.join(sorted(sites))}"
        ) from None


def site_for_url(url: str) -> Site | None:
    """The site ``url`` belongs to (subdomains included, ``www.`` ignored), or ``None``."""
    best, best_length = None, 0
    for site in load_sites().values():
        length = _match_length(site, url)
        if length > best_length:
            best, best_length = site, length
    return best


__all__ = ["Site", "get_site", "load_sites", "site_for_url"]
