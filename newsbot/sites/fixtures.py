"""Site fixtures: a stored page and what newsbot extracted from it, pinned as the expected output.

``newsbot savefixture URL`` fetches a live page, reads it with its site's parser and writes
``<site>_<YYYY-MM-DD>.html.gz`` (the page as fetched) and ``<site>_<YYYY-MM-DD>.json``
(the URL, content type, fetch date and the expected fields). ``tests/test_sites.py`` re-reads
every stored page field by field, so a change in the extractor or a site parser that alters a
pinned site's output fails a test. Read the JSON before committing it: it pins what newsbot
says, right or wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsbot.extraction import ExtractionError
from newsbot.items import Article
from newsbot.sites.base import parser_for
from newsbot.sites.registry import site_for_url

FIELDS = ("title", "published_at", "authors", "headings", "paragraphs", "captions", "language")
# A fixture without these pins nothing worth keeping.
REQUIRED_FIELDS = ("title", "paragraphs", "language")
DEFAULT_DIR = Path("tests/sites")


def fixture_name(url: str, day: dt.date, name: str | None = None) -> str:
    """``<site>_<YYYY-MM-DD>``: the registry's name for the site, else the host."""
    if not name:
        site = site_for_url(url)
        host = (urlsplit(url).hostname or "page").removeprefix("www.")
        name = site.name if site else host.replace(".", "_").replace("-", "_")
    return f"{name}_{day.isoformat()}"


def expected(article: Article) -> dict[str, Any]:
    """The fields a fixture pins."""
    data = article.to_dict()
    return {field: data[field] for field in FIELDS}


def save_fixture(
    url: str,
    html: bytes,
    content_type: str | None,
    article: Article,
    directory: str | Path = DEFAULT_DIR,
    *,
    fetched: dt.datetime | dt.date | None = None,
    name: str | None = None,
    note: str | None = None,
) -> Path:
    """Write the page and its extraction; return the JSON file's path.

    ``fetched`` is when the page was fetched (now by default): its day names the files, and on
    re-reading it picks the site parser's version and is "now" for relative dates. An existing
    fixture is never overwritten: a second one of the same day gets a ``_2``, ``_3`` ...
    suffix. ``note`` says where the page comes from or why an expectation is what it is.
    """
    empty = [field for field in REQUIRED_FIELDS if not getattr(article, field)]
    if empty:
        raise ValueError(f"nothing to pin for {url}: no {', '.join(empty)} extracted")
    fetched = fetched or dt.datetime.now(dt.UTC).replace(microsecond=0)
    day = fetched.date() if isinstance(fetched, dt.datetime) else fetched
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = fixture_name(url, day, name)
    suffix = 1
    while (directory / f"{stem}.json").exists():
        suffix += 1
        stem = f"{fixture_name(url, day, name)}_{suffix}"
    page = directory / f"{stem}.html.gz"
    page.write_bytes(gzip.compress(html, mtime=0))
    record = {
        "url": url,
        "content_type": content_type,
        "fetched": fetched.isoformat(),
        "page": page.name,
        "expected": expected(article),
    }
    if note:
        record["note"] = note
    path = directory / f"{stem}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return path


def load_fixture(path: str | Path) -> tuple[dict[str, Any], bytes]:
    """A fixture's record and its stored page."""
    path = Path(path)
    record = json.loads(path.read_text("utf-8"))
    return record, gzip.decompress(path.with_name(record["page"]).read_bytes())


def reparse(path: str | Path) -> tuple[dict[str, Any], Article]:
    """A fixture's record and what the current code extracts from its page."""
    record, html = load_fixture(path)
    raw = record["fetched"]
    fetched = dt.datetime.fromisoformat(raw) if "T" in raw else dt.date.fromisoformat(raw)
    parser = parser_for(record["url"], fetched)
    return record, parser.parse(html, record["url"], record.get("content_type"), fetched)


def _fetch(url: str, timeout: float) -> tuple[bytes, str | None, str]:
    from newsbot.settings import USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read(), response.headers.get("Content-Type"), response.geturl()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments, for ``newsbot savefixture`` and for :func:`main`."""
    parser.add_argument("url", help="the article's URL")
    parser.add_argument("--name", help="fixture name prefix (default: the site's registry name)")
    parser.add_argument("--dir", default=str(DEFAULT_DIR),
                        help="where to write (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for the page (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    """Fetch ``args.url``, read it with its site's parser and save it as a fixture."""
    if not args.url.startswith(("http://", "https://")):
        print(f"newsbot savefixture: not an http(s) URL: {args.url}", file=sys.stderr)
        return 2
    try:
        html, content_type, final_url = _fetch(args.url, args.timeout)
    except OSError as error:  # URLError and HTTPError are OSErrors
        print(f"newsbot savefixture: cannot fetch {args.url}: {error}", file=sys.stderr)
        return 1
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    site_parser = parser_for(final_url, now)
    try:
        article = site_parser.parse(html, final_url, content_type, now)
        path = save_fixture(final_url, html, content_type, article, args.dir, fetched=now,
                            name=args.name)
    except (ExtractionError, ValueError) as error:
        print(f"newsbot savefixture: {error}", file=sys.stderr)
        return 1
    print(f"{path} ({site_parser!r})")
    print(f"  title: {article.title}")
    print(f"  published_at: {article.published_at}  authors: {', '.join(article.authors) or '-'}")
    print(f"  {len(article.paragraphs)} paragraphs, {len(article.headings)} headings, "
          f"{len(article.captions)} captions")
    print("Check the JSON against the page before committing it.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``newsbot savefixture URL [--name NAME] [--dir DIR] [--timeout SECONDS]``."""
    parser = argparse.ArgumentParser(
        prog="newsbot savefixture",
        description="Store a live page and its current extraction as a regression fixture.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
