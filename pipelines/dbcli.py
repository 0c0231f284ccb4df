"""``newsbot db``: schema migrations and the replay of dead letters.

``main(argv)`` takes the arguments after ``db``::

    newsbot db upgrade   [--db URL] [--revision REV]   migrate forward (default: to head)
    newsbot db downgrade REV [--db URL]                 migrate back (``base``: drop every table)
    newsbot db current   [--db URL]                     the database's revision; exit 1 if not head
    newsbot db replay    FILE [--db URL] [--batch-size N]  store a dead-letter file's items
    newsbot db revision  MESSAGE                        write a new revision (for developers)

The database is ``--db``, else ``NEWSBOT_DATABASE_URL`` from the environment, else the
default ``sqlite:///data/newsbot.db`` (the same one ``newsbot crawl`` uses).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Sequence

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from pipelines import migrate
from pipelines.db import make_engine
from pipelines.store import DEFAULTS


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``newsbot db ARGV``; return the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    steps = logging.getLogger("alembic.runtime.migration")  # "Running upgrade 0001 -> 0002"
    steps.setLevel(logging.INFO)
    steps.addFilter(lambda record: record.getMessage().startswith("Running"))
    try:
        return args.func(args)
    except (migrate.SchemaOutOfDate, FileNotFoundError) as exc:
        print(f"newsbot db: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        print(f"newsbot db {args.command}: {type(cause).__name__}: {cause}", file=sys.stderr)
        return 1


def _database(args: argparse.Namespace) -> str:
    return args.db or os.environ.get("NEWSBOT_DATABASE_URL") or DEFAULTS["NEWSBOT_DATABASE_URL"]


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _upgrade(args: argparse.Namespace) -> int:
    url = _database(args)
    migrate.upgrade(url, args.revision)
    print(f"{_where(url)} is at revision {migrate.current(url)}")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    url = _database(args)
    migrate.downgrade(url, args.revision)
    print(f"{_where(url)} is at revision {migrate.current(url) or 'base (no tables)'}")
    return 0


def _current(args: argparse.Namespace) -> int:
    url = _database(args)
    at, head = migrate.current(url), migrate.head()
    if at == head:
        print(f"{at} (head)")
        return 0
    print(f"{at or 'none'} (newsbot needs {head}: run `newsbot db upgrade`)")
    return 1


def _replay(args: argparse.Namespace) -> int:
    from pipelines.replay import replay

    stored, failed = replay(args.file, _database(args), batch_size=args.batch_size)
    kept = f", {failed} kept in {args.file}" if failed else ""
    print(f"{stored} articles stored in {_where(_database(args))}{kept}")
    return 1 if failed else 0


def _revision(args: argparse.Namespace) -> int:
    """Autogenerate a revision from the models' difference to head, on a scratch SQLite."""
    from alembic import command

    head = migrate.head()
    rev_id = f"{int(head) + 1:04d}" if head.isdigit() else None
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/head.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                script = command.revision(
                    migrate.config(connection),
                    message=args.message,
                    autogenerate=True,
                    rev_id=rev_id,
                )
        finally:
            engine.dispose()
    path = getattr(script, "path", None)
    print(f"wrote {path}: review it, and write a real downgrade")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot db", description="Schema migrations and dead-letter replay."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    db_help = "database URL (default: NEWSBOT_DATABASE_URL or sqlite:///data/newsbot.db)"

    p = sub.add_parser("upgrade", help="migrate the database forward (default: to head)")
    p.add_argument("--db", help=db_help)
    p.add_argument("--revision", default="head", help="target revision (default: head)")
    p.set_defaults(func=_upgrade)

    p = sub.add_parser("downgrade", help="migrate the database back to REVISION")
    p.add_argument("revision", help="target revision; `base` drops every table")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=_downgrade)

    p = sub.add_parser("current", help="print the database's revision; exit 1 if not head")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=_current)

    p = sub.add_parser("replay", help="store the items of a dead-letter file")
    p.add_argument("file", help="a dead-letter JSONL file, e.g. data/deadletter.jsonl")
    p.add_argument("--db", help=db_help)
    p.add_argument("--batch-size", type=int, default=100)
    p.set_defaults(func=_replay)

    p = sub.add_parser("revision", help="write a new revision from the models (developers)")
    p.add_argument("message", help="what the revision does, e.g. 'add articles.summary'")
    p.set_defaults(func=_revision)
    return parser


if __name__ == "__main__":
    sys.exit(main())
