"""Engine set-up and the batch upsert of articles, for SQLite and PostgreSQL.

:func:`upsert_articles` writes a batch in at most nine statements, whatever its size: a read
of the stored rows' hashes, two for the sites, an update of the unchanged articles, an upsert
of the new and changed ones and a read of their ids, an insert of their versions, and a
delete and an insert of their images. Many rows go in one ``executemany`` (psycopg sends
them in one pipeline) rather than one multi-row ``VALUES ... RETURNING``, which PostgreSQL
runs at half the speed for rows of this size (``bench/bench_store.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    insert,
    make_url,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from newsbot.items import Article
from newsbot.text import search_key
from pipelines.schema import article_versions, articles, images, sites

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)
# Failures worth another attempt: a lost connection, a locked or full SQLite file, no server.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError, OSError)
_DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# A version is the article's text, as one crawl found it.
_VERSION_COLUMNS = ("content_hash", "title", "headings", "paragraphs", "captions", "body")
# Columns an upsert of new content must not overwrite: the row's identity and its history.
_KEPT_ON_UPDATE = frozenset({"id", "canonical_url", "first_seen_at", "crawl_count", "version"})


def _json_dumps(value: Any) -> str:
    # Arabic stays readable (and three times smaller) in the database.
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; a SQLite file gets its directory and its PRAGMAs.

    ``kwargs`` go to :func:`sqlalchemy.create_engine`.
    """
    parsed = make_url(url)
    # A failed batch must not dump a hundred articles into the log with its error.
    kwargs.setdefault("hide_parameters", True)
    engine = create_engine(parsed, json_serializer=_json_dumps, **kwargs)
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
    """Bring the database to the newest schema revision (``newsbot db upgrade``)."""
    from pipelines.migrate import upgrade

    upgrade(engine)


# --- content ---------------------------------------------------------------------------------


def content_hash(article: Article) -> str:
    """SHA-256 (hex) of the article's text: title, headings, paragraphs and captions.

    The text is hashed as stored: in a crawl, the display form that
    :class:`pipelines.normalize.NormalizePipeline` made, so invisible differences (bidi marks,
    spacing, presentation forms) are not edits. Each part is hashed with its kind and length,
    so text moved from one part to another is an edit too.
    """
    digest = hashlib.sha256()
    for kind, texts in (
        (b"t", [article.title] if article.title else []),
        (b"h", article.headings or ()),
        (b"p", article.paragraphs or ()),
        (b"c", article.captions or ()),
    ):
        for text_ in texts:
            encoded = text_.encode("utf-8")
            digest.update(b"%s%d:" % (kind, len(encoded)))
            digest.update(encoded)
    return digest.hexdigest()


def search_columns(article: Article) -> dict[str, str | None]:
    """``title_search`` and ``text_search``: the search form of the title, and of the title,
    headings, paragraphs and captions joined by newlines."""
    parts = [
        *([article.title] if article.title else ()),
        *(article.headings or ()),
        *(article.paragraphs or ()),
        *(article.captions or ()),
    ]
    return {
        "title_search": (search_key(article.title) or None) if article.title else None,
        "text_search": search_key("\n".join(parts)) or None,
    }


# --- upsert ----------------------------------------------------------------------------------


def upsert_articles(
    session: Session, batch: Sequence[Article], now: dt.datetime
) -> tuple[int, int]:
    """Store ``batch`` as crawled at ``now``; return ``(new, updated)``.

    Items are keyed by canonical URL (their URL when they have none); the last of duplicates
    wins. A new article gets version 1; an article whose content hash changed gets the new
    content, ``version + 1`` and a row in ``article_versions``, and its images are replaced;
    an unchanged one only gets its crawl counted and its metadata refreshed. Every update
    keeps ``first_seen_at`` and adds one to ``crawl_count``.

    Storing the same batch with the same ``now`` twice changes nothing the second time (a
    retry after a commit whose answer was lost), and an item older than the stored row is
    ignored (a late replay of a dead letter); both count as stored.
    """
    by_key = {article.canonical_url or article.url: article for article in batch}
    if not by_key:
        return 0, 0
    now = _as_utc(now)
    stored = {
        key: (id_, hash_, _as_utc(first), _as_utc(last))
        for key, id_, hash_, first, last in session.execute(
            select(
                articles.c.canonical_url,
                articles.c.id,
                articles.c.content_hash,
                articles.c.first_seen_at,
                articles.c.last_crawled_at,
            ).where(articles.c.canonical_url.in_(by_key))
        )
    }
    site_ids = _site_ids(session, {a.site for a in by_key.values() if a.site}, now)

    rows, unchanged, new, updated = [], [], 0, 0
    for key, article in by_key.items():
        hash_ = content_hash(article)
        site_id = site_ids.get(article.site) if article.site else None
        known = stored.get(key)
        if known is None:
            rows.append(_article_row(key, article, now, site_id, hash_))
            new += 1
            continue
        id_, known_hash, first_seen_at, last_crawled_at = known
        if last_crawled_at >= now:  # stored by an earlier attempt, or newer already
            new, updated = (new + 1, updated) if first_seen_at == now else (new, updated + 1)
        elif known_hash == hash_:
            unchanged.append({"_id": id_, **_metadata(article, site_id)})
            updated += 1
        else:
            rows.append(_article_row(key, article, now, site_id, hash_))
            updated += 1

    if unchanged:
        session.execute(
            update(articles)
            .where(articles.c.id == bindparam("_id"), articles.c.last_crawled_at < now)
            # the metadata columns are set from the parameters' keys
            .values(crawl_count=articles.c.crawl_count + 1, last_crawled_at=now),
            unchanged,
        )
    if rows:
        _store_content(session, rows, by_key, now)
    return new, updated


def _site_ids(session: Session, names: set[str], now: dt.datetime) -> dict[str, int]:
    if not names:
        return {}
    insert_ = _DIALECT_INSERTS[session.get_bind().dialect.name]
    session.execute(
        insert_(sites).on_conflict_do_nothing(index_elements=[sites.c.name]),
        [{"name": name, "domain": name, "first_seen_at": now} for name in sorted(names)],
    )
    found = session.execute(select(sites.c.name, sites.c.id).where(sites.c.name.in_(names)))
    return {name: id_ for name, id_ in found}


def _store_content(
    session: Session,
    rows: list[dict[str, Any]],
    by_key: dict[str, Article],
    now: dt.datetime,
) -> None:
    """Upsert new and changed articles, add their versions, replace their images."""
    insert_ = _DIALECT_INSERTS[session.get_bind().dialect.name]
    stmt = insert_(articles)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[articles.c.canonical_url],
        set_={
            **{c.name: excluded[c.name] for c in articles.columns if c.name not in _KEPT_ON_UPDATE},
            "version": articles.c.version
            + case((articles.c.content_hash == excluded.content_hash, 0), else_=1),
            "crawl_count": articles.c.crawl_count + 1,
        },
        # Never let an older crawl (a late replay) overwrite a newer one.
        where=articles.c.last_crawled_at < excluded.last_crawled_at,
    )
    # executemany, then one SELECT: with RETURNING, SQLAlchemy would send one multi-row
    # VALUES statement, which PostgreSQL runs at half the speed.
    session.execute(stmt, rows)
    written = {
        key: (id_, version)
        for key, id_, version, last_crawled_at in session.execute(
            select(
                articles.c.canonical_url,
                articles.c.id,
                articles.c.version,
                articles.c.last_crawled_at,
            ).where(articles.c.canonical_url.in_([row["canonical_url"] for row in rows]))
        )
        if _as_utc(last_crawled_at) == now  # not a row a newer crawl had stored already
    }
    if not written:
        return
    row_of = {row["canonical_url"]: row for row in rows}
    session.execute(
        insert_(article_versions).on_conflict_do_nothing(
            index_elements=[article_versions.c.article_id, article_versions.c.version]
        ),
        [
            {
                "article_id": id_,
                "version": version,
                **{column: row_of[key][column] for column in _VERSION_COLUMNS},
                "crawled_at": now,
            }
            for key, (id_, version) in written.items()
        ],
    )
    session.execute(delete(images).where(images.c.article_id.in_([i for i, _ in written.values()])))
    image_rows = [
        image for key, (id_, _) in written.items() for image in _image_rows(id_, by_key[key])
    ]
    if image_rows:
        session.execute(insert(images), image_rows)


def _metadata(article: Article, site_id: int | None) -> dict[str, Any]:
    return {
        "url": article.url,
        "site": article.site,
        "site_id": site_id,
        "description": article.description,
        "authors": list(article.authors or ()),
        "published_at": to_utc(article.published_at),
        "published_raw": article.published_raw,
        "modified_at": to_utc(article.modified_at),
        "language": article.language,
        "section": article.section,
        "tags": list(article.tags or ()),
    }


def _article_row(
    key: str, article: Article, now: dt.datetime, site_id: int | None, hash_: str
) -> dict[str, Any]:
    return {
        "canonical_url": key,
        **_metadata(article, site_id),
        "title": article.title,
        "headings": list(article.headings or ()),
        "paragraphs": list(article.paragraphs or ()),
        "captions": list(article.captions or ()),
        "blocks": list(article.blocks or ()),
        "body": article.body,
        "content_hash": hash_,
        **search_columns(article),
        "version": 1,
        "first_seen_at": now,
        "last_crawled_at": now,
        "crawl_count": 1,
    }


def _image_rows(article_id: int, article: Article) -> list[dict[str, Any]]:
    return [
        {
            "article_id": article_id,
            "position": position,
            "src": image["src"],
            "alt": image.get("alt"),
            "caption": image.get("caption"),
            "credit": image.get("credit"),
        }
        for position, image in enumerate(article.images or ())
    ]


def to_utc(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO 8601 time as an aware UTC datetime; a time without offset is taken as UTC."""
    if value is None:
        return None
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return _as_utc(when)


def _as_utc(when: dt.datetime) -> dt.datetime:
    # SQLite gives back the UTC wall time without a zone.
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
