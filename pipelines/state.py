"""What the crawler remembers between runs: each URL's last fetch, and each run's per-site tally.

``fetch_state`` holds one row per fetched article URL: when it was last fetched, with which
status, its validators (``ETag``, ``Last-Modified``) for a conditional re-check, and the
SHA-256 of the body it gave. ``crawl_run_sites`` holds, for each row of ``crawl_runs``, one row
per site the run touched: its pages, its articles, and whether the extraction health check
flagged it (its article pages came out empty).

The spider's side (:mod:`newsbot.incremental`, :mod:`newsbot.runs`) reaches these tables only
through the functions here: :func:`known_urls` once per crawl, :func:`record_fetches` in
batches, :func:`start_run`, :func:`finish_run` and :func:`list_runs`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    Float,
    ForeignKey,
    String,
    UniqueConstraint,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from pipelines.schema import Base, articles, crawl_runs

_DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Statuses of a fetch that was handled: the page need not be fetched again.
_DONE = (200, 203, 304)


class FetchState(Base):
    """The last fetch of one article URL (the URL as it was listed and requested)."""

    __tablename__ = "fetch_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(unique=True)
    canonical_url: Mapped[str | None] = mapped_column(index=True)
    site: Mapped[str | None] = mapped_column(index=True)  # host without "www.", as articles.site
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]  # the HTTP date, as the server wrote it
    last_fetched_at: Mapped[dt.datetime]
    last_status: Mapped[int]
    content_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the body

    def __repr__(self) -> str:
        return f"state.FetchState(url={self.url!r}, last_status={self.last_status!r})"


class CrawlRunSite(Base):
    """One site in one crawl run: what the run fetched and stored there, and its health."""

    __tablename__ = "crawl_run_sites"
    __table_args__ = (UniqueConstraint("run_id", "site"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    site: Mapped[str]
    pages: Mapped[int]
    items: Mapped[int]
    empty_ratio: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool]

    def __repr__(self) -> str:
        return f"state.CrawlRunSite(run_id={self.run_id!r}, site={self.site!r})"


fetch_state = FetchState.__table__
crawl_run_sites = CrawlRunSite.__table__


# --- fetch state -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Known:
    """What is known of a URL before fetching it again."""

    fetched_at: dt.datetime  # the last fetch (or store) of it, UTC
    stored: bool  # an article is stored under this URL
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # of the body last fetched


def known_urls(engine: Engine, hosts: Iterable[str] | None = None) -> dict[str, Known]:
    """The article URLs on ``hosts`` (and their subdomains; every host when None) that need no
    new fetch, with what a conditional re-check needs: two queries, for a whole crawl.

    A URL is known when an article is stored under it (as its URL or its canonical URL, or as
    the URL it was listed under), or when it was fetched with success and gave no article
    (nothing to store, nothing to lose). A page that gave an article which is not stored (the
    crawl was killed before the store's batch) is not known: it is fetched again.
    """
    hosts = sorted(set(hosts)) if hosts is not None else None
    found: dict[str, Known] = {}
    with engine.connect() as connection:
        query = select(
            articles.c.url, articles.c.canonical_url, articles.c.last_crawled_at
        ).where(*_on_hosts(articles.c.site, hosts))
        for url, canonical_url, crawled_at in connection.execute(query):
            known = Known(_as_utc(crawled_at), stored=True)
            found[url] = known
            found[canonical_url] = known
        query = select(
            fetch_state.c.url,
            fetch_state.c.canonical_url,
            fetch_state.c.etag,
            fetch_state.c.last_modified,
            fetch_state.c.last_fetched_at,
            fetch_state.c.content_hash,
        ).where(fetch_state.c.last_status.in_(_DONE), *_on_hosts(fetch_state.c.site, hosts))
        for url, canonical_url, etag, last_modified, fetched_at, hash_ in connection.execute(
            query
        ):
            article = found.get(url) or (found.get(canonical_url) if canonical_url else None)
            if canonical_url and article is None:
                continue  # gave an article that is not stored
            fetched_at = _as_utc(fetched_at)
            found[url] = Known(
                max(fetched_at, article.fetched_at) if article else fetched_at,
                stored=article is not None,
                etag=etag,
                last_modified=last_modified,
                content_hash=hash_,
            )
    return found


def _on_hosts(column: Any, hosts: Sequence[str] | None) -> list[Any]:
    if hosts is None:
        return []
    if not hosts:
        return [false()]
    return [or_(*(or_(column == host, column.like(f"%.{host}")) for host in hosts))]


def record_fetches(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert fetch-state rows (keys: the columns of ``fetch_state`` but ``id``) by URL.

    A row whose ``etag``, ``last_modified``, ``content_hash`` or ``canonical_url`` is None keeps
    the stored value (a 304 answer carries no new body).
    """
    if not rows:
        return
    by_url = {row["url"]: row for row in rows}
    with engine.begin() as connection:
        insert_ = _DIALECT_INSERTS[connection.dialect.name](fetch_state)
        excluded = insert_.excluded
        kept = ("etag", "last_modified", "content_hash", "canonical_url", "site")
        statement = insert_.on_conflict_do_update(
            index_elements=[fetch_state.c.url],
            set_={
                "last_fetched_at": excluded.last_fetched_at,
                "last_status": excluded.last_status,
                **{name: func.coalesce(excluded[name], fetch_state.c[name]) for name in kept},
            },
        )
        connection.execute(statement, [_fetch_row(row) for row in by_url.values()])


def _fetch_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": row["url"],
        "canonical_url": row.get("canonical_url"),
        "site": row.get("site"),
        "etag": row.get("etag"),
        "last_modified": row.get("last_modified"),
        "last_fetched_at": row["last_fetched_at"],
        "last_status": row["last_status"],
        "content_hash": row.get("content_hash"),
    }


# --- crawl runs ------------------------------------------------------------------------------


def start_run(engine: Engine, row: dict[str, Any]) -> int:
    """Insert a ``crawl_runs`` row (its columns but ``id``) and return its id; the row of the
    same spider and start, when an earlier attempt inserted it (a commit whose answer was
    lost)."""
    with engine.begin() as connection:
        found = connection.scalar(
            select(crawl_runs.c.id).where(
                crawl_runs.c.spider == row["spider"], crawl_runs.c.started_at == row["started_at"]
            )
        )
        if found is not None:
            return found
        return connection.execute(insert(crawl_runs).returning(crawl_runs.c.id), row).scalar_one()


def finish_run(
    engine: Engine, run_id: int | None, row: dict[str, Any], sites: Sequence[dict[str, Any]]
) -> int:
    """Update run ``run_id`` with ``row`` (insert it when ``run_id`` is None: the start could
    not be recorded) and write its per-site rows; return the run's id."""
    with engine.begin() as connection:
        if run_id is None:
            run_id = connection.execute(
                insert(crawl_runs).returning(crawl_runs.c.id), row
            ).scalar_one()
        else:
            connection.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(row))
        if sites:
            connection.execute(
                crawl_run_sites.delete().where(crawl_run_sites.c.run_id == run_id)
            )
            connection.execute(
                insert(crawl_run_sites), [{**site, "run_id": run_id} for site in sites]
            )
    return run_id


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    spider: str
    sites: list[str]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    pages: int
    items_stored: int
    items_dropped: dict[str, int]
    errors: int
    flagged: list[str]


def list_runs(engine: Engine, limit: int = 20) -> list[RunSummary]:
    """The ``limit`` latest runs, newest first, with the sites each flagged."""
    with engine.connect() as connection:
        runs = connection.execute(
            select(crawl_runs).order_by(crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc())
            .limit(limit)
        ).mappings().all()
        flagged: dict[int, list[str]] = {}
        if runs:
            for run_id, site in connection.execute(
                select(crawl_run_sites.c.run_id, crawl_run_sites.c.site)
                .where(
                    crawl_run_sites.c.run_id.in_([run["id"] for run in runs]),
                    crawl_run_sites.c.flagged,
                )
                .order_by(crawl_run_sites.c.site)
            ):
                flagged.setdefault(run_id, []).append(site)
    return [
        RunSummary(
            id=run["id"],
            spider=run["spider"],
            sites=list(run["sites"] or ()),
            started_at=_as_utc(run["started_at"]),
            finished_at=_as_utc(run["finished_at"]) if run["finished_at"] else None,
            status=run["status"],
            pages=run["pages"],
            items_stored=run["items_stored"],
            items_dropped=dict(run["items_dropped"] or {}),
            errors=run["errors"],
            flagged=flagged.get(run["id"], []),
        )
        for run in runs
    ]


def _as_utc(when: dt.datetime) -> dt.datetime:
    # SQLite gives back the UTC wall time without a zone.
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


__all__ = [
    "CrawlRunSite",
    "FetchState",
    "Known",
    "RunSummary",
    "crawl_run_sites",
    "fetch_state",
    "finish_run",
    "known_urls",
    "list_runs",
    "record_fetches",
    "start_run",
]
