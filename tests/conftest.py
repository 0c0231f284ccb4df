"""Database fixtures: each test gets a fresh SQLite file or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import OperationalError

from pipelines.db import create_schema, make_engine

# The maintenance database of the server the tests create their databases on.
POSTGRES_ADMIN_URL = os.environ.get(
    "NEWSBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the maintenance database; skips when the server is down."""
    engine = create_engine(
        POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        where = make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)
        message = f"PostgreSQL is unreachable at {where}: {exc.orig}"
        if os.environ.get("NEWSBOT_REQUIRE_POSTGRES"):
            pytest.fail(message)  # CI: a skipped half of the suite is not a pass
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"newsbot_test_{uuid.uuid4().hex[:16]}"
    with postgres_admin.connect() as connection:
        connection.exec_driver_sql(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
            " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    try:
        yield postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with postgres_admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh database of each kind; the SQLite file's directory does not exist yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'newsbot.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on ``database_url`` with the schema migrated to head."""
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


_LATER_REVISION = '''"""A revision newer than any newsbot has: makes the real head look out of date."""

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("note")
'''


@pytest.fixture
def newer_migrations(tmp_path, monkeypatch) -> Path:
    """newsbot's migrations plus a revision 9001 after head, in use for this test.

    A database upgraded to the real head is then "at an older revision". Returns the
    migrations directory, for a child process to use the same (see tests/test_migrate.py).
    """
    import pipelines.migrate

    real_head = pipelines.migrate.head()
    copy = tmp_path / "migrations"
    shutil.copytree(
        pipelines.migrate.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    (copy / "versions" / "9001_later.py").write_text(_LATER_REVISION.format(down=real_head))
    monkeypatch.setattr(pipelines.migrate, "MIGRATIONS", copy)
    return copy
