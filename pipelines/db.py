"""Engine set-up and the batch upsert of articles, for SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, insert, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from newsbot.items import Article
from pipelines.schema import Base, articles, images

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)
_DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Columns an upsert must not overwrite: the row's identity and its history.
_KEPT_ON_UPDATE = frozenset({"id", "canonical_url", "first_seen_at", "crawl_count"})


def _json_dumps(value: Any) -> str:
    # Arabic stays readable (and three times smaller) in the database.
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file gets its directory and its PRAGMAs."""
    parsed = make_url(url)
    engine = create_engine(parsed, json_serializer=_json_dumps)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def create_schema(engine: Engine) -> None:
    """Create the tables that do not exist yet."""
    Base.metadata.create_all(engine)


def upsert_articles(
    session: Session, batch: Sequence[Article], now: dt.datetime
) -> tuple[int, int]:
    """Insert or update ``batch`` in one statement; return ``(new, updated)``.

    Items are keyed by canonical URL (their URL when they have none); the last of duplicates
    wins. An update keeps ``first_seen_at``, adds one to ``crawl_count`` and replaces the
    article's images.
    """
    by_key = {article.canonical_url or article.url: article for article in batch}
    if not by_key:
        return 0, 0
    existing = set(
        session.scalars(
            select(articles.c.canonical_url).where(articles.c.canonical_url.in_(by_key))
        )
    )

    insert_ = _DIALECT_INSERTS[session.get_bind().dialect.name]
    stmt = insert_(articles)
    stmt = stmt.on_conflict_do_update(
        index_elements=[articles.c.canonical_url],
        set_={
            **{
                column.name: stmt.excluded[column.name]
                for column in articles.columns
                if column.name not in _KEPT_ON_UPDATE
            },
            "crawl_count": articles.c.crawl_count + 1,
        },
    ).returning(articles.c.id, articles.c.canonical_url)
    rows = [_article_row(key, article, now) for key, article in by_key.items()]
    ids = {key: article_id for article_id, key in session.execute(stmt, rows)}

    session.execute(delete(images).where(images.c.article_id.in_(list(ids.values()))))
    image_rows = [
        row for key, article in by_key.items() for row in _image_rows(ids[key], article.images)
    ]
    if image_rows:
        session.execute(insert(images), image_rows)

    updated = len(existing)
    return len(by_key) - updated, updated


def _article_row(key: str, article: Article, now: dt.datetime) -> dict[str, Any]:
    return {
        "url": article.url,
        "canonical_url": key,
        "site": article.site,
        "title": article.title,
        "description": article.description,
        "authors": list(article.authors or ()),
        "published_at": to_utc(article.published_at),
        "published_raw": article.published_raw,
        "modified_at": to_utc(article.modified_at),
        "language": article.language,
        "section": article.section,
        "tags": list(article.tags or ()),
        "headings": list(article.headings or ()),
        "paragraphs": list(article.paragraphs or ()),
        "captions": list(article.captions or ()),
        "blocks": list(article.blocks or ()),
        "body": article.body,
        "first_seen_at": now,
        "last_crawled_at": now,
        "crawl_count": 1,
    }


def _image_rows(article_id: int, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "article_id": article_id,
            "position": position,
            "src": image["src"],
            "alt": image.get("alt"),
            "caption": image.get("caption"),
            "credit": image.get("credit"),
        }
        for position, image in enumerate(items or ())
    ]


def to_utc(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO 8601 time as an aware UTC datetime; a time without offset is taken as UTC."""
    if value is None:
        return None
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)
