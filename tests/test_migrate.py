"""Schema migrations: Alembic revisions, the schema check a crawl makes, `newsbot db`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect

import pipelines.state  # noqa: F401  (its tables share the models' metadata)
from newsbot.demo import SiteServer
from pipelines import dbcli, migrate
from pipelines.db import make_engine
from pipelines.schema import LONG_TEXT_COLUMNS, Base

# Every table the models define: the migrations must create exactly these.
TABLES = set(Base.metadata.tables)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names()) - {migrate.VERSION_TABLE}
            # The search index (SQLite FTS5) keeps shadow tables of its own.
            return {n for n in names if not n.startswith("articles_fts")}
    finally:
        engine.dispose()


def _diff(engine: Engine, metadata: MetaData) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True,
                              "include_object": migrate.include_object}
        )
        return compare_metadata(context, metadata)


# --- revisions -------------------------------------------------------------------------------


def test_upgrade_downgrade_and_upgrade_again(database_url):
    """A fresh database goes up to head, down to base (no tables) and up again."""
    assert migrate.current(database_url) is None

    migrate.upgrade(database_url)
    assert (migrate.current(database_url), _tables(database_url)) == (migrate.head(), TABLES)

    migrate.downgrade(database_url, "base")
    assert (migrate.current(database_url), _tables(database_url)) == (None, set())

    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.head()


def test_models_and_migrations_agree(engine):
    """The schema the migrations build is the one the models describe (`alembic check`)."""
    assert _diff(engine, Base.metadata) == []

    # The comparison is not blind: a table the migrations lack is reported.
    extra = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(extra)
    Table("summaries", extra, Column("id", Integer, primary_key=True))
    assert [change[0] for change in _diff(engine, extra)] == ["add_table"]


def test_long_text_is_compressed_with_lz4_on_postgresql(postgres_url):
    """On a PostgreSQL built with lz4, the long text columns use it; the others the default."""
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            choices = connection.exec_driver_sql(
                "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
            ).scalar()
            if "lz4" not in choices:
                pytest.skip("this PostgreSQL was built without lz4")
            migrate.upgrade(engine)
            found = {
                (table, column): method
                for table, column, method in connection.exec_driver_sql(
                    "SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute"
                    " WHERE attrelid::regclass::text = ANY(%(tables)s) AND attnum > 0"
                    " AND NOT attisdropped",
                    {"tables": list(LONG_TEXT_COLUMNS)},
                )
            }
    finally:
        engine.dispose()
    lz4 = {key for key, method in found.items() if method == "l"}
    assert lz4 == {(t, c) for t, columns in LONG_TEXT_COLUMNS.items() for c in columns}


# --- check_current ---------------------------------------------------------------------------


def test_an_empty_database_is_brought_to_head(database_url):
    """A database with no tables gets the schema when a crawl first opens it."""
    engine = make_engine(database_url)
    try:
        migrate.check_current(engine)
        assert migrate.current(engine) == migrate.head()
        migrate.check_current(engine)  # at head: nothing to do
    finally:
        engine.dispose()
    assert _tables(database_url) == TABLES


def test_an_empty_database_can_be_refused(database_url):
    """With upgrade_empty=False, an empty database is out of date like any other."""
    engine = make_engine(database_url)
    try:
        with pytest.raises(migrate.SchemaOutOfDate, match=r"is empty.*run `newsbot db upgrade`"):
            migrate.check_current(engine, upgrade_empty=False)
    finally:
        engine.dispose()


def test_an_older_revision_is_out_of_date(engine, newer_migrations):
    """A database at an older revision raises SchemaOutOfDate saying what to run."""
    with pytest.raises(migrate.SchemaOutOfDate) as error:
        migrate.check_current(engine)
    where = engine.url.render_as_string(hide_password=True)
    at = migrate.current(engine)
    assert str(error.value) == (
        f"the database at {where} is at revision {at}, newsbot needs 9001: run `newsbot db upgrade`"
    )

    migrate.upgrade(engine)
    migrate.check_current(engine)


def test_an_unknown_revision_is_out_of_date(engine):
    """A database a newer newsbot migrated says so, and asks for a newer newsbot."""
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(migrate.SchemaOutOfDate, match="9999, which this newsbot does not know"):
        migrate.check_current(engine)


def test_tables_without_a_revision_are_out_of_date(database_url):
    """Tables made without migrations (an older newsbot's create_all) are not touched."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
        with pytest.raises(migrate.SchemaOutOfDate, match=r"has tables \(articles\) but no"):
            migrate.check_current(engine)
    finally:
        engine.dispose()


# --- a crawl against an out-of-date schema ---------------------------------------------------

# Runs `python -m newsbot.cli ARGS` with the migrations of newer_migrations (argv[1]).
_CLI_WITH_MIGRATIONS = (
    "import pathlib, runpy, sys, pipelines.migrate as m;"
    " m.MIGRATIONS = pathlib.Path(sys.argv.pop(1));"
    " runpy.run_module('newsbot.cli', run_name='__main__', alter_sys=True)"
)


def test_crawl_stops_at_once_on_an_out_of_date_schema(
    tmp_path, database_url, engine, newer_migrations
):
    """`newsbot crawl` on a database at an older revision fetches nothing, prints the command
    to run, and exits non-zero with finish reason schema_out_of_date."""
    (tmp_path / "site").mkdir()
    stats_path = tmp_path / "stats.json"
    with SiteServer(tmp_path / "site") as server:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                _CLI_WITH_MIGRATIONS,
                str(newer_migrations),
                "crawl",
                f"{server.base_url}/",
                "-q",
                "--stats-json",
                str(stats_path),
            ],
            env={**os.environ, "NEWSBOT_DATABASE_URL": database_url},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        fetched = list(server.requests)
    assert result.returncode == 1
    assert "newsbot needs 9001: run `newsbot db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr
    assert fetched == []
    stats = json.loads(stats_path.read_text())
    assert stats["finish_reason"] == "schema_out_of_date"
    assert migrate.current(engine) != "9001"  # the crawl did not migrate it


# --- newsbot db ------------------------------------------------------------------------------


def test_db_commands(tmp_path, database_url, capsys):
    """`newsbot db current/upgrade/downgrade` report and move the database's revision."""
    head = migrate.head()

    assert dbcli.main(["current", "--db", database_url]) == 1
    assert "none (newsbot needs" in capsys.readouterr().out

    assert dbcli.main(["upgrade", "--db", database_url]) == 0
    assert f"is at revision {head}" in capsys.readouterr().out
    assert dbcli.main(["current", "--db", database_url]) == 0
    assert capsys.readouterr().out == f"{head} (head)\n"

    assert dbcli.main(["downgrade", "base", "--db", database_url]) == 0
    assert "base (no tables)" in capsys.readouterr().out
    assert _tables(database_url) == set()


def test_db_upgrade_takes_the_database_from_the_environment(tmp_path, monkeypatch, capsys):
    """Without --db, `newsbot db upgrade` uses NEWSBOT_DATABASE_URL, as `newsbot crawl` does."""
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", url)

    assert dbcli.main(["upgrade"]) == 0

    assert migrate.current(url) == migrate.head()


def test_db_upgrade_brings_an_older_database_to_head(engine, newer_migrations, capsys):
    """`newsbot db upgrade` is what the out-of-date message asks for, and it works."""
    url = engine.url.render_as_string(hide_password=False)

    assert dbcli.main(["upgrade", "--db", url]) == 0

    assert migrate.current(url) == "9001"
    migrate.check_current(engine)
    assert dbcli.main(["downgrade", "0001", "--db", url]) == 0
    assert migrate.current(url) == "0001"
