"""Alembic's environment for newsbot, configured by :mod:`pipelines.migrate` (no alembic.ini).

``pipelines.migrate`` passes an open connection in ``config.attributes["connection"]``; without
one (``alembic -x url=... upgrade head`` from a hand-made config) the URL comes from
``sqlalchemy.url`` or ``-x url=``. SQLite gets ``render_as_batch`` so that a later
``ALTER TABLE`` is done the SQLite way (copy and rename).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import make_url, pool

import pipelines.state  # noqa: F401  (its tables share the models' metadata)
from pipelines.db import make_engine
from pipelines.migrate import include_object
from pipelines.schema import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: use pipelines.migrate, or alembic -x url=URL")
    return url


def _configure(dialect: str, **kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=dialect == "sqlite",
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = _url()
    _configure(make_url(url).get_backend_name(), url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection.dialect.name, connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection.dialect.name, connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
