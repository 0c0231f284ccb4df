"""Read-only, time-bounded database engines for the web app.

The app never writes. A SQLite file is opened read-only (a ``file:...?mode=ro`` URI) with
``PRAGMA query_only``; a PostgreSQL session is ``READ ONLY``. Every statement gets a time
budget: PostgreSQL's ``statement_timeout``, and for SQLite a progress handler that interrupts
a statement (and the fetching of its rows) once its budget is spent. A statement that runs out
of time raises :class:`sqlalchemy.exc.OperationalError`; :func:`is_timeout` tells it apart.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import DBAPIError

from pipelines.db import make_engine

DEFAULT_TIMEOUT = 5.0  # seconds per statement
_SQLITE_CHECK_EVERY = 10_000  # virtual machine instructions between two looks at the clock


class DatabaseUnavailable(Exception):
    """The database cannot be served: no such file, no server, or no newsbot tables."""


def readonly_engine(url: str | URL, *, timeout: float | None = DEFAULT_TIMEOUT) -> Engine:
    """An engine on ``url`` that cannot write and gives each statement ``timeout`` seconds.

    ``timeout=None``: no budget on SQLite (an export streams for as long as its client reads;
    SQLite's budget would count the client's time too), ``DEFAULT_TIMEOUT`` per statement on
    PostgreSQL, where it counts only the server's work (each ``FETCH`` of a cursor).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        # Not pipelines.db.make_engine: its PRAGMA journal_mode=WAL is a write, which a
        # read-only connection to a file in another journal mode refuses.
        engine = create_engine(_sqlite_readonly_url(parsed))
        _readonly_sqlite(engine)
        if timeout is not None:
            _bound_sqlite(engine, timeout)
    elif backend == "postgresql":
        engine = make_engine(parsed, pool_pre_ping=True, pool_timeout=10)
        _bound_postgresql(engine, DEFAULT_TIMEOUT if timeout is None else timeout)
    else:
        raise DatabaseUnavailable(f"unsupported database: {backend} (SQLite or PostgreSQL)")
    return engine


def check(engine: Engine) -> None:
    """Raise :class:`DatabaseUnavailable` unless ``engine`` reaches a newsbot database."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise DatabaseUnavailable(f"cannot open {where}: {reason}") from error
    if "articles" not in tables:
        raise DatabaseUnavailable(
            f"{where} has no newsbot tables: run `newsbot demo` or `newsbot crawl` first"
        )


def is_timeout(error: BaseException) -> bool:
    """Whether ``error`` is a statement stopped by its time budget."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    if getattr(orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled
        return True
    return type(orig).__name__ == "OperationalError" and str(orig) == "interrupted"


def _sqlite_readonly_url(parsed: URL) -> URL:
    database = parsed.database or ""
    if not database or database == ":memory:":
        raise DatabaseUnavailable("an in-memory SQLite database has nothing to serve")
    if database.startswith("file:"):  # already a URI: make sure it is read-only
        query = {**parsed.query, "mode": "ro", "uri": "true"}
        return parsed.set(query=query)
    path = Path(database).resolve()
    if not path.is_file():
        raise DatabaseUnavailable(
            f"no database at {path}: run `newsbot demo` or `newsbot crawl` first"
        )
    return URL.create(
        "sqlite+pysqlite",
        database="file:" + quote(str(path)),
        query={"mode": "ro", "uri": "true"},
    )


class _Budget:
    """The deadline of the statement running on one SQLite connection."""

    __slots__ = ("deadline",)

    def __init__(self) -> None:
        self.deadline: float | None = None

    def spent(self) -> int:
        deadline = self.deadline
        return 1 if deadline is not None and time.monotonic() > deadline else 0


def _readonly_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA query_only=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
        finally:
            cursor.close()


def _bound_sqlite(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _connect(_dbapi_connection: Any, record: Any) -> None:
        record.info["newsbot_budget"] = _Budget()

    @event.listens_for(engine, "before_cursor_execute")
    def _start(connection: Any, *_args: Any) -> None:
        # The budget covers the statement and the fetching of its rows, until the next one.
        # The handler is set again each time: newsbot.query sets its own and then clears it.
        budget = connection.info.get("newsbot_budget")
        if budget is not None:
            budget.deadline = time.monotonic() + timeout
            connection.connection.driver_connection.set_progress_handler(
                budget.spent, _SQLITE_CHECK_EVERY
            )

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        budget = record.info.get("newsbot_budget")
        if budget is not None:
            budget.deadline = None


def _bound_postgresql(engine: Engine, timeout: float) -> None:
    milliseconds = max(1, int(timeout * 1000))

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cursor.execute(f"SET statement_timeout = {milliseconds}")
        finally:
            cursor.close()
        dbapi_connection.commit()
