"""Schema migrations (Alembic, configured here: no ``alembic.ini``).

The revisions live in ``pipelines/migrations/versions``. ``newsbot db upgrade`` runs
:func:`upgrade`; the store calls :func:`check_current` when a crawl opens the database: a
database without tables is brought to the newest revision there and then (the default SQLite
file needs no set-up), one at an older revision stops the crawl with
:class:`SchemaOutOfDate`, whose message says which command to run.
"""

from __future__ import annotations

import atexit
import functools
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, make_url, pool

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# Taken while PostgreSQL is migrated, so that two crawls starting on an empty database do not
# both create the tables.
_PG_LOCK_KEY = 0x6E657773626F74  # "newsbot"


class SchemaOutOfDate(RuntimeError):
    """The database's schema is not the one this newsbot writes."""


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, with ``connection`` for ``env.py`` to migrate."""
    cfg = Config()
    cfg.set_main_option("script_location", _script_location())
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def _script_location() -> str:
    """The migrations folder; when newsbot runs from a zipped egg (scrapyd), Alembic cannot
    read it there, so it is copied once to a temporary folder."""
    if MIGRATIONS.is_dir():
        return str(MIGRATIONS)
    return str(_extracted_migrations())


@functools.cache
def _extracted_migrations() -> Path:
    target = Path(tempfile.mkdtemp(prefix="newsbot-migrations-")) / "migrations"
    atexit.register(shutil.rmtree, target.parent, ignore_errors=True)

    def copy(source, destination: Path) -> None:
        destination.mkdir(parents=True, exist_ok=True)
        for entry in source.iterdir():
            if entry.is_dir():
                if entry.name != "__pycache__":
                    copy(entry, destination / entry.name)
            elif entry.name.endswith((".py", ".mako")):
                (destination / entry.name).write_bytes(entry.read_bytes())

    copy(resources.files("pipelines") / "migrations", target)
    return target


def head() -> str:
    """The newest revision: the one newsbot writes."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(target: str | Engine) -> str | None:
    """The revision the database at ``target`` (a URL or an engine) is at; None when empty."""
    with _engine(target) as engine, engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Migrate the database at ``target`` forward to ``revision`` (``newsbot db upgrade``)."""
    with _engine(target) as engine, _migrating(engine) as connection:
        command.upgrade(config(connection), revision)


def downgrade(target: str | Engine, revision: str) -> None:
    """Migrate the database at ``target`` back to ``revision`` (``base``: no tables at all)."""
    with _engine(target) as engine, _migrating(engine) as connection:
        command.downgrade(config(connection), revision)


def check_current(engine: Engine, *, upgrade_empty: bool = True) -> None:
    """Return when the database is at :func:`head`; raise :class:`SchemaOutOfDate` if not.

    A database with no tables at all is upgraded to head first (unless ``upgrade_empty`` is
    false).
    """
    needed = head()
    with engine.connect() as connection:
        at = MigrationContext.configure(connection).get_current_revision()
        tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
    if at == needed:
        return
    where = make_url(engine.url).render_as_string(hide_password=True)
    if at is None and not tables:
        if not upgrade_empty:
            raise SchemaOutOfDate(
                f"the database at {where} is empty, newsbot needs revision {needed}:"
                " run `newsbot db upgrade`"
            )
        logger.info("Creating the newsbot schema (revision %s) in %s", needed, where)
        upgrade(engine)
        return
    if at is None:
        raise SchemaOutOfDate(
            f"the database at {where} has tables ({', '.join(sorted(tables))}) but no newsbot"
            f" schema revision, newsbot needs revision {needed}: use an empty database, or"
            " drop these tables and run `newsbot db upgrade`"
        )
    known = {script.revision for script in ScriptDirectory.from_config(config()).walk_revisions()}
    if at not in known:
        raise SchemaOutOfDate(
            f"the database at {where} is at revision {at}, which this newsbot does not know"
            f" (it needs {needed}): a newer newsbot has migrated it; upgrade newsbot"
        )
    raise SchemaOutOfDate(
        f"the database at {where} is at revision {at}, newsbot needs {needed}:"
        " run `newsbot db upgrade`"
    )


@contextmanager
def _engine(target: str | Engine) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    from pipelines.db import make_engine

    engine = make_engine(target, poolclass=pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction; on PostgreSQL, holding the migration lock."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        yield connection


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """What autogenerate compares: everything but the search index, which the migrations
    build by hand (SQLite's FTS5 table and its shadow tables, PostgreSQL's trigram indexes)."""
    if type_ == "table" and name and name.startswith("articles_fts"):
        return False
    return not (type_ == "index" and name and name.endswith("_trgm"))
