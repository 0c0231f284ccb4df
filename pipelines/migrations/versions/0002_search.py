"""Full-text search on the search form of articles (``title_search``, ``text_search``).

SQLite: an FTS5 table ``articles_fts`` with the trigram tokenizer (SQLite 3.34 or later),
whose content is ``articles`` itself (``content='articles'``: the text is not stored twice),
kept in sync by three triggers on ``articles``. A trigram index matches any substring of three
characters or more, so "جرائم" finds "والجرائم" in the search form. The index is rebuilt
from the rows already there.

PostgreSQL: the ``pg_trgm`` extension and GIN trigram indexes on both columns, which serve
``LIKE '%term%'``. PostgreSQL keeps them in sync itself. ``pg_trgm`` is a trusted extension
(PostgreSQL 13 and later): the database's owner may create it. The downgrade drops the indexes
but leaves the extension, which something else may use.

A later revision that rebuilds ``articles`` on SQLite (``batch_alter_table``: copy and rename)
drops these triggers with the old table and must create them again.

Revision ID: 0002_search
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002_search"
down_revision = "0001"
branch_labels = None
depends_on = None

# Written out here, not imported: a revision must not change later.
_SQLITE_UP = (
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title_search, text_search, content='articles', content_rowid='id', tokenize='trigram')",
    # An external-content index is told what to forget with the row's old values.
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN"
    " INSERT INTO articles_fts(rowid, title_search, text_search)"
    " VALUES (new.id, new.title_search, new.text_search);"
    " END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title_search, text_search)"
    " VALUES ('delete', old.id, old.title_search, old.text_search);"
    " END",
    # Only when the search form changed: a re-crawl of unchanged text re-indexes nothing.
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title_search, text_search ON articles"
    " WHEN old.title_search IS NOT new.title_search OR old.text_search IS NOT new.text_search"
    " BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title_search, text_search)"
    " VALUES ('delete', old.id, old.title_search, old.text_search);"
    " INSERT INTO articles_fts(rowid, title_search, text_search)"
    " VALUES (new.id, new.title_search, new.text_search);"
    " END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)
_POSTGRES_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_articles_title_search_trgm ON articles USING gin (title_search gin_trgm_ops)",
    "CREATE INDEX ix_articles_text_search_trgm ON articles USING gin (text_search gin_trgm_ops)",
)
_POSTGRES_DOWN = (
    "DROP INDEX IF EXISTS ix_articles_text_search_trgm",
    "DROP INDEX IF EXISTS ix_articles_title_search_trgm",
)


def upgrade() -> None:
    for statement in _statements(_SQLITE_UP, _POSTGRES_UP):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(_SQLITE_DOWN, _POSTGRES_DOWN):
        op.execute(statement)


def _statements(sqlite: tuple[str, ...], postgresql: tuple[str, ...]) -> tuple[str, ...]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite
    if dialect == "postgresql":
        return postgresql
    raise NotImplementedError(
        f"newsbot's search index supports SQLite and PostgreSQL, not {dialect}"
    )
