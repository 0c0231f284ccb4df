"""The ``newsbot`` command: ``extract``, ``crawl``, ``demo``, ``normalize``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsbot import __version__

_SETTINGS_MODULE = "newsbot.settings"


def _fetch(url: str, timeout: float = 30.0) -> tuple[bytes, str | None, str]:
    from newsbot.settings import USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read(), response.headers.get("Content-Type"), response.geturl()


def cmd_extract(args: argparse.Namespace) -> int:
    import datetime as dt

    from newsbot.extraction import ExtractionError
    from newsbot.sites import parser_for

    page: str = args.page
    content_type = args.content_type
    if page.startswith(("http://", "https://")):
        body, fetched_type, final_url = _fetch(page)
        content_type = content_type or fetched_type
        url = args.url or final_url
    else:
        path = Path(page)
        if not path.is_file():
            print(f"newsbot extract: no such file: {page}", file=sys.stderr)
            return 2
        body = path.read_bytes()
        url = args.url or path.resolve().as_uri()
    # The page is read as a crawl reads it: by its site's parser, in its site's time zone.
    fetched = dt.datetime.now(dt.UTC)
    parser = parser_for(url, fetched, default_tz=args.timezone)
    try:
        article = parser.parse(body, url, content_type, fetched)
    except ExtractionError as error:
        print(f"newsbot extract: {error} ({error.reason})", file=sys.stderr)
        return 1
    json.dump(article.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    from newsbot.text import clean, search_key

    text = sys.stdin.read()
    sys.stdout.write((search_key if args.form == "search" else clean)(text))
    sys.stdout.write("\n")
    return 0


def _settings(overrides: dict[str, Any]):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", _SETTINGS_MODULE)
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    return settings


def _run_spider(
    urls: list[str], overrides: dict[str, Any], progress: bool, **spider_args: str
) -> dict[str, Any]:
    """Run the news spider to completion in this process; return its final stats."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from newsbot.spiders.news import NewsSpider

    process = CrawlerProcess(_settings(overrides))
    crawler = process.create_crawler(NewsSpider)
    if progress:
        counts = {"pages": 0, "items": 0, "dropped": 0}

        def show(line: str) -> None:
            print(f"[{counts['pages']:3d} pages {counts['items']:3d} articles "
                  f"{counts['dropped']:2d} dropped] {line}", file=sys.stderr, flush=True)

        def on_response(response, request, spider):
            counts["pages"] += 1

        def on_item(item, response, spider):
            counts["items"] += 1
            show(f"{item.title}")

        def on_dropped(item, response, exception, spider):
            counts["dropped"] += 1
            show(f"dropped: {exception}")

        crawler.signals.connect(on_response, signal=signals.response_received)
        crawler.signals.connect(on_item, signal=signals.item_scraped)
        crawler.signals.connect(on_dropped, signal=signals.item_dropped)
    if urls:
        spider_args["url"] = " ".join(urls)
    process.crawl(crawler, **spider_args)
    process.start()
    return crawler.stats.get_stats()


def _print_stats(stats: dict[str, Any], args: argparse.Namespace) -> None:
    keys = sorted(k for k in stats if k.startswith("newsbot/"))
    for key in keys:
        print(f"  {key}: {stats[key]}", file=sys.stderr)
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(stats, default=str, indent=1), "utf-8")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    if args.db:
        os.environ["NEWSBOT_DATABASE_URL"] = args.db
    overrides: dict[str, Any] = {}
    for pair in args.set or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"newsbot: -s takes NAME=VALUE, not {pair!r}")
        overrides[key] = value
    return overrides


def cmd_crawl(args: argparse.Namespace) -> int:
    if not args.urls and not args.site:
        print("newsbot crawl: give URLs to crawl, or --site NAME (or --site all)", file=sys.stderr)
        return 2
    if args.site and args.site != "all":
        from newsbot.sites import get_site

        try:
            for name in args.site.split(","):
                get_site(name.strip())
        except KeyError as error:
            print(f"newsbot crawl: {error.args[0]}", file=sys.stderr)
            return 2
    if args.lock:
        from newsbot.locking import run_locked

        return run_locked(args.lock, lambda: _crawl(args))
    return _crawl(args)


def _crawl(args: argparse.Namespace) -> int:
    overrides = {"LOG_LEVEL": args.log_level, **_overrides(args)}
    spider_args = {}
    if args.site:
        spider_args["site"] = args.site
    if args.refresh:
        spider_args["refresh"] = "1"
    stats = _run_spider(args.urls, overrides, progress=not args.quiet, **spider_args)
    _print_stats(stats, args)
    reason = stats.get("finish_reason")
    if reason != "finished":
        print(f"newsbot crawl: the crawl stopped: {reason}", file=sys.stderr)
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from newsbot.demo import SiteServer, seed_urls

    overrides = {
        "LOG_LEVEL": args.log_level,
        # The demo server answers in a millisecond; start AutoThrottle there, not at 1 s.
        "AUTOTHROTTLE_START_DELAY": 0.0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        # The demo site's dates without an offset are in its own zone.
        "NEWSBOT_DEFAULT_TIMEZONE": "Asia/Riyadh",
        **_overrides(args),
    }
    with SiteServer() as server:
        print(f"Serving the demo site at {server.base_url}/ and crawling it ...", file=sys.stderr)
        stats = _run_spider(seed_urls(server.base_url), overrides, progress=True)
    _print_stats(stats, args)
    _print_stored(os.environ.get("NEWSBOT_DATABASE_URL") or _settings({})["NEWSBOT_DATABASE_URL"])
    return 0 if stats.get("finish_reason") == "finished" else 1


def _print_stored(database_url: str) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pipelines.db import make_engine
    from pipelines.schema import Article

    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.execute(select(Article).order_by(Article.published_at)).scalars().all()
        print(f"\n{len(rows)} articles in {database_url}\n")
        print(f"{'published (UTC)':<17} {'H':>2} {'P':>3} {'C':>2}  title")
        for row in rows:
            date = f"{row.published_at:%Y-%m-%d %H:%M}" if row.published_at else "-"
            print(f"{date:<17} {len(row.headings or []):>2} {len(row.paragraphs or []):>3} "
                  f"{len(row.captions or []):>2}  {row.title}")
    engine.dispose()


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"unknown time zone: {name}") from error


# Commands whose module parses its own arguments: ``newsbot NAME ARGS...`` -> module.main(ARGS).
_DELEGATED = {
    "eval": ("newsbot.evaluate", "score extraction against gold pages (and trafilatura)"),
    "savefixture": ("newsbot.sites.fixtures",
                    "store a live page and its extraction as a site's regression fixture"),
    "db": ("pipelines.dbcli", "database: upgrade, downgrade, current, replay FILE"),
    "search": ("newsbot.querycli:search_main", "search the stored articles (Arabic-aware)"),
    "export": ("newsbot.querycli:export_main", "export articles as jsonl, csv or parquet"),
    "stats": ("newsbot.querycli:stats_main", "articles per site and per day, last crawl runs"),
    "serve": ("newsbot.web.serve", "serve the search pages and JSON API, read-only"),
    "runs": ("newsbot.runs", "list the last crawl runs and what they did"),
    "frontier": ("newsbot.scale", "the shared Redis frontier: status, reset"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("extract", help="print the article newsbot extracts from a page, as JSON")
    p.add_argument("page", help="an HTML file or an http(s) URL")
    p.add_argument("--url", help="the page's URL (for links and the site); default: PAGE")
    p.add_argument("--content-type", help="the HTTP Content-Type the page was served with")
    p.add_argument("--timezone", type=_timezone, default=ZoneInfo("UTC"),
                   help="zone of dates written without an offset, for sites the registry "
                        "does not know (default UTC)")
    p.set_defaults(func=cmd_extract)

    for name, func, text in (
        ("crawl", cmd_crawl, "crawl URLs (articles, listings, feeds, sitemaps) into the database"),
        ("demo", cmd_demo, "serve the bundled demo site on 127.0.0.1 and crawl it into SQLite"),
    ):
        p = sub.add_parser(name, help=text)
        if name == "crawl":
            p.add_argument("urls", nargs="*", metavar="URL",
                           help="articles, listings, feeds or sitemaps to start from")
            p.add_argument("--site", metavar="NAME",
                           help="crawl registered site(s) from their feeds and sitemaps: "
                                "a name, names separated by commas, or all")
            p.add_argument("--refresh", action="store_true",
                           help="re-check stored articles with conditional requests")
            p.add_argument("--lock", metavar="FILE",
                           help="hold this lock file while crawling; exit at once (status 75) "
                                "if another crawl holds it (for cron)")
            p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
        p.add_argument("--db", help="database URL (default: NEWSBOT_DATABASE_URL or "
                                    "sqlite:///data/newsbot.db)")
        p.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
        p.add_argument("--stats-json", metavar="FILE", help="write the crawl's final stats here")
        p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                       help="override a Scrapy or newsbot setting (repeatable)")
        p.set_defaults(func=func)

    for name, (_module, text) in _DELEGATED.items():
        sub.add_parser(name, help=text, add_help=False)

    p = sub.add_parser("normalize", help="normalise Arabic text from stdin to stdout")
    p.add_argument("--form", choices=("clean", "search"), default="clean")
    p.set_defaults(func=cmd_normalize)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in _DELEGATED:
        import importlib

        module_name, _, function = _DELEGATED[argv[0]][0].partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, function or "main")(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
