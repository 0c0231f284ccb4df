"""``newsbot search``, ``newsbot export`` and ``newsbot stats``: the database, read.

Each ``*_main(argv)`` takes the arguments after its command and returns the exit status::

    newsbot search QUERY... [--site S] [--since D] [--until D] [--limit N] [--offset N] [--json]
    newsbot export [--format jsonl|csv|parquet] [--site S] [--since D] [--until D] [--output FILE]
    newsbot stats  [--days N] [--runs N] [--json]

The database is ``--db``, else ``NEWSBOT_DATABASE_URL``, else the default of
:mod:`pipelines.store` (``sqlite:///data/newsbot.db``). Dates are ``YYYY-MM-DD`` (a whole UTC
day) or ISO times. Exit status: 0 done, 1 the database cannot be read, 2 bad arguments or query.
Parquet needs pyarrow: ``pip install 'newsbot[parquet]'``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from newsbot import query
from pipelines.migrate import SchemaOutOfDate, check_current

_DB_HELP = "database URL (default: NEWSBOT_DATABASE_URL or sqlite:///data/newsbot.db)"
_BOLD, _PLAIN = "\x1b[1m", "\x1b[0m"
_QUOTES = ("«", "»")
FORMATS = ("jsonl", "csv", "parquet")
_EXPORT_BATCH = 1000


class _Refused(Exception):
    """The command cannot run; the message says why (exit status ``status``)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# --- search ----------------------------------------------------------------------------------


def search_main(argv: Sequence[str] | None = None) -> int:
    """``newsbot search``: the best matches, each with a snippet, or ``--json``."""
    parser = _parser("search", "find articles whose title, headings, text or captions match")
    parser.add_argument("query", nargs="+", help="words to find (all of them), in any form")
    _add_filters(parser)
    parser.add_argument("--limit", type=int, default=20, help="results to show (1-100; 20)")
    parser.add_argument("--offset", type=int, default=0, help="results to skip (0)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    def run(engine: Engine) -> None:
        result = query.search(
            engine,
            " ".join(args.query),
            site=args.site,
            since=args.since,
            until=args.until,
            limit=args.limit,
            offset=args.offset,
        )
        if args.json:
            json.dump(result_json(result), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            _print_result(result, sys.stdout, offset=args.offset, bold=sys.stdout.isatty())

    return _run("search", args, run)


def result_json(result: query.SearchResult) -> dict[str, Any]:
    """A search result as JSON-ready data (times in ISO 8601)."""
    return {
        "query": result.query,
        "key": result.key,
        "total": result.total,
        "total_capped": result.total_capped,
        "elapsed_ms": round(result.elapsed_ms, 1),
        "hits": [
            {
                "id": hit.id,
                "title": hit.title,
                "site": hit.site,
                "url": hit.url,
                "published_at": _iso(hit.published_at),
                "snippet": hit.snippet,
                "highlights": [list(span) for span in hit.highlights],
                "title_highlights": [list(span) for span in hit.title_highlights],
                "score": hit.score,
            }
            for hit in result.hits
        ],
    }


def _print_result(
    result: query.SearchResult, out: IO[str], *, offset: int = 0, bold: bool = False
) -> None:
    total = f"{result.total:,}+" if result.total_capped else f"{result.total:,}"
    out.write(f"{total} articles match «{result.key}» ({result.elapsed_ms:.0f} ms)\n")
    for n, hit in enumerate(result.hits, start=offset + 1):
        when = hit.published_at.strftime("%Y-%m-%d %H:%M") if hit.published_at else "-"
        title = mark(hit.title, hit.title_highlights, bold=bold) or "(no title)"
        out.write(f"\n{n}. {title}\n")
        out.write(f"   {hit.site or '-'} · {when} · {hit.url}\n")
        if hit.snippet:
            out.write(f"   {mark(hit.snippet, hit.highlights, bold=bold)}\n")


def mark(text: str, spans: Sequence[tuple[int, int]], *, bold: bool = False) -> str:
    """``text`` with each span between «» (or in ANSI bold when ``bold``)."""
    start_mark, end_mark = (_BOLD, _PLAIN) if bold else _QUOTES
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        out += [text[at:start], start_mark, text[start:end], end_mark]
        at = end
    out.append(text[at:])
    return "".join(out)


# --- export ----------------------------------------------------------------------------------


def export_main(argv: Sequence[str] | None = None) -> int:
    """``newsbot export``: every article (filtered), streamed as JSON lines, CSV or Parquet."""
    parser = _parser("export", "write the articles out as JSON lines, CSV or Parquet")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="(default jsonl)")
    _add_filters(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    args = parser.parse_args(argv)
    if args.format == "parquet":
        problem = _parquet_problem(to_terminal=args.output is None and sys.stdout.isatty())
        if problem:
            print(f"newsbot export: {problem}", file=sys.stderr)
            return 2

    def run(engine: Engine) -> None:
        batches = query.iter_article_batches(
            engine,
            site=args.site,
            since=args.since,
            until=args.until,
            batch_size=_EXPORT_BATCH,
        )
        writer = _WRITERS[args.format]
        with _output(args.output, binary=args.format == "parquet") as out:
            count = writer(batches, out)
        if args.output:
            print(f"{count:,} articles written to {args.output}", file=sys.stderr)

    return _run("export", args, run)


def _export_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def write_jsonl(batches: Iterator[list[dict[str, Any]]], out: IO[str]) -> int:
    """One JSON object per line and article, keys in ``query.EXPORT_COLUMNS`` order."""
    count = 0
    for batch in batches:
        out.writelines(
            json.dumps(
                {key: _export_value(row[key]) for key in query.EXPORT_COLUMNS},
                ensure_ascii=False,
            )
            + "\n"
            for row in batch
        )
        count += len(batch)
    return count


def write_csv(batches: Iterator[list[dict[str, Any]]], out: IO[str]) -> int:
    """A header and one row per article; lists and objects as JSON, None as an empty cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(query.EXPORT_COLUMNS)
    count = 0
    for batch in batches:
        writer.writerows([_csv_cell(row[key]) for key in query.EXPORT_COLUMNS] for row in batch)
        count += len(batch)
    return count


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return "" if value is None else value


def parquet_schema() -> Any:
    """The Arrow schema of an export: lists of text as lists, blocks and images as structs."""
    import pyarrow as pa

    text_list = pa.list_(pa.string())
    when = pa.timestamp("us", tz="UTC")
    block = pa.struct(
        [
            ("type", pa.string()),
            ("text", pa.string()),
            ("level", pa.int64()),
            ("src", pa.string()),
            ("alt", pa.string()),
            ("caption", pa.string()),
            ("credit", pa.string()),
        ]
    )
    image = pa.struct(
        [
            ("position", pa.int64()),
            ("src", pa.string()),
            ("alt", pa.string()),
            ("caption", pa.string()),
            ("credit", pa.string()),
        ]
    )
    types = {
        "id": pa.int64(),
        "site_id": pa.int64(),
        "version": pa.int64(),
        "crawl_count": pa.int64(),
        "published_at": when,
        "modified_at": when,
        "first_seen_at": when,
        "last_crawled_at": when,
        "authors": text_list,
        "tags": text_list,
        "headings": text_list,
        "paragraphs": text_list,
        "captions": text_list,
        "blocks": pa.list_(block),
        "images": pa.list_(image),
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in query.EXPORT_COLUMNS])


def write_parquet(batches: Iterator[list[dict[str, Any]]], out: IO[bytes]) -> int:
    """A Parquet file, one row group per batch (Snappy-compressed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="snappy") as writer:
        for batch in batches:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


_WRITERS: dict[str, Callable[[Iterator[list[dict[str, Any]]], Any], int]] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
}


def _parquet_problem(*, to_terminal: bool) -> str | None:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return "Parquet export needs pyarrow: pip install 'newsbot[parquet]'"
    if to_terminal:
        return "Parquet is binary: give --output FILE or redirect stdout"
    return None


@contextlib.contextmanager
def _output(path: str | None, *, binary: bool) -> Iterator[IO[Any]]:
    if path is None:
        out = sys.stdout.buffer if binary else sys.stdout
        yield out
        out.flush()
        return
    target = Path(path)
    if binary:
        with target.open("wb") as out:
            yield out
    else:
        with target.open("w", encoding="utf-8", newline="") as out:
            yield out


# --- stats -----------------------------------------------------------------------------------


def stats_main(argv: Sequence[str] | None = None) -> int:
    """``newsbot stats``: articles per site and per day, and the last crawl runs."""
    parser = _parser("stats", "articles per site and per day, and the last crawl runs")
    parser.add_argument("--days", type=int, default=14, help="days of articles per day (14)")
    parser.add_argument("--runs", type=int, default=10, help="crawl runs to list (10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    def run(engine: Engine) -> None:
        sites = query.sites_summary(engine)
        per_day = query.site_counts(engine, days=args.days)
        runs = query.recent_runs(engine, limit=args.runs)
        if args.json:
            data = {"sites": sites, "per_day": per_day, "runs": runs}
            json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=_json_default)
            sys.stdout.write("\n")
            return
        _print_stats(sites, per_day, runs, args.days, sys.stdout)

    return _run("stats", args, run)


def _print_stats(
    sites: list[dict[str, Any]],
    per_day: list[dict[str, Any]],
    runs: list[dict[str, Any]],
    days: int,
    out: IO[str],
) -> None:
    def when(value: dt.datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    total = sum(row["articles"] for row in sites)
    width = max([len("site"), *(len(row["site"] or "-") for row in sites)])
    out.write(f"Articles: {total:,} from {len(sites)} sites\n\n")
    out.write(f"  {'site':<{width}}  {'articles':>9}  {'last published':<16}  last crawled\n")
    for row in sites:
        out.write(
            f"  {row['site'] or '-':<{width}}  {row['articles']:>9,}"
            f"  {when(row['last_published']):<16}  {when(row['last_crawled'])}\n"
        )

    today = dt.datetime.now(dt.UTC).date()
    day_list = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    counts = {(row["site"], row["day"]): row["count"] for row in per_day}
    names = list(dict.fromkeys(row["site"] for row in sites))
    out.write(f"\nArticles per day of publication (UTC, last {days} days)\n\n")
    out.write(f"  {'site':<{width}}" + "".join(f"  {d:%m-%d}" for d in day_list) + "\n")
    for name in names:
        cells = "".join(f"  {counts.get((name, d), 0) or '.':>5}" for d in day_list)
        out.write(f"  {name or '-':<{width}}{cells}\n")

    out.write(f"\nLast {len(runs)} crawl runs\n\n")
    out.write(
        f"  {'id':>5}  {'started (UTC)':<16}  {'took':>8}  {'status':<20}"
        f"  {'pages':>7}  {'stored':>7}  {'dropped':>7}  {'errors':>6}  sites\n"
    )
    for run in runs:
        took = "-"
        if run["finished_at"] and run["started_at"]:
            seconds = (run["finished_at"] - run["started_at"]).total_seconds()
            took = f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.0f} min"
        dropped = sum((run["items_dropped"] or {}).values())
        out.write(
            f"  {run['id']:>5}  {when(run['started_at']):<16}  {took:>8}  {run['status']:<20}"
            f"  {run['pages']:>7,}  {run['items_stored']:>7,}  {dropped:>7,}  {run['errors']:>6,}"
            f"  {', '.join(run['sites'] or [])}\n"
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# --- shared ----------------------------------------------------------------------------------


def _parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"newsbot {command}", description=description)
    parser.add_argument("--db", help=_DB_HELP)
    return parser


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", help="only this site (its host, as stored: youm7.com)")
    parser.add_argument("--since", help="published on or after (YYYY-MM-DD or ISO time, UTC)")
    parser.add_argument("--until", help="published on or before (YYYY-MM-DD or ISO time, UTC)")


def database_url(given: str | None) -> str:
    from pipelines.store import DEFAULTS

    return given or os.environ.get("NEWSBOT_DATABASE_URL") or DEFAULTS["NEWSBOT_DATABASE_URL"]


def _open(url: str) -> Engine:
    """An engine on an existing database at the schema's head revision."""
    from pipelines.db import make_engine

    parsed = make_url(url)
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        is_file = database and database != ":memory:" and not database.startswith("file:")
        if is_file and not Path(database).is_file():
            raise _Refused(f"no database at {where}: crawl first, or give --db")
    engine = make_engine(url)
    try:
        check_current(engine, upgrade_empty=False)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _run(command: str, args: argparse.Namespace, body: Callable[[Engine], None]) -> int:
    try:
        engine = _open(database_url(args.db))
        try:
            body(engine)
        finally:
            engine.dispose()
    except _Refused as exc:
        print(f"newsbot {command}: {exc}", file=sys.stderr)
        return exc.status
    except query.QueryError as exc:
        print(f"newsbot {command}: {exc}", file=sys.stderr)
        return 2
    except SchemaOutOfDate as exc:
        print(f"newsbot {command}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        print(f"newsbot {command}: {type(cause).__name__}: {cause}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `newsbot export | head`
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stops the flush at exit failing
        return 0
    return 0


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
