"""What the pages and the API show, read through :mod:`newsbot.query`.

The functions here turn the data layer's rows into JSON-ready dicts and template contexts;
none of them writes SQL.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine

from newsbot import query
from newsbot.web.params import BadParameter, SearchParams
from newsbot.web.render import iso, version_changes

# Columns of a search's export: the result list as the page shows it.
EXPORT_COLUMNS = ("rank", "id", "score", "published_at", "site", "title", "url", "snippet")
CHART_DAYS = 14
# How far back the chart may look for a database whose newest article is old (the demo's).
_MAX_CHART_LOOKBACK = 3660
_HEALTH_PREFIX = "newsbot/health/"


def search(engine: Engine, params: SearchParams) -> query.SearchResult:
    """Run the search; a query the data layer refuses becomes a :class:`BadParameter`."""
    try:
        return query.search(
            engine,
            params.q,
            site=params.site,
            since=params.since,
            until=params.until,
            limit=params.per_page,
            offset=params.offset,
        )
    except query.QueryError as error:
        raise BadParameter("q", str(error), _arabic_query_error(str(error))) from None


def _arabic_query_error(message: str) -> str:
    if "empty" in message:
        return "اكتب كلمة للبحث."
    if "too long" in message and "took" not in message:
        return f"نص البحث طويل جداً (الحد {query.MAX_QUERY_CHARS} حرف)."
    if "took longer" in message:
        return "استغرق البحث وقتاً أطول من المسموح؛ أضف كلمات أطول أو ضيّق المرشحات."
    if "since" in message:
        return "تاريخ البداية بعد تاريخ النهاية."
    return "تعذّر تنفيذ هذا البحث."


def pages(result: query.SearchResult, params: SearchParams) -> int:
    return max(1, math.ceil(result.total / params.per_page))


def hit_json(hit: query.Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "site": hit.site,
        "url": hit.url,
        "published_at": iso(hit.published_at),
        "snippet": hit.snippet,
        "highlights": [list(span) for span in hit.highlights],
        "title_highlights": [list(span) for span in hit.title_highlights],
        "score": hit.score,
        "href": f"/api/articles/{hit.id}",
    }


def search_json(result: query.SearchResult, params: SearchParams) -> dict[str, Any]:
    return {
        "query": result.query,
        "key": result.key,
        "total": result.total,
        "total_capped": result.total_capped,
        "page": params.page,
        "per_page": params.per_page,
        "pages": pages(result, params),
        "elapsed_ms": round(result.elapsed_ms, 2),
        "hits": [hit_json(hit) for hit in result.hits],
    }


def article(engine: Engine, article_id: int) -> dict[str, Any] | None:
    try:
        return query.get_article(engine, article_id)
    except query.QueryError as error:
        raise BadParameter("article_id", str(error), "رقم المقالة غير صالح.") from None


def article_json(found: dict[str, Any]) -> dict[str, Any]:
    out = {
        key: iso(value) if isinstance(value, dt.datetime) else value
        for key, value in found.items()
        if key not in ("title_search", "text_search", "images", "versions")
    }
    out["images"] = found.get("images") or []
    out["versions"] = [
        {**version, "crawled_at": iso(version.get("crawled_at"))}
        for version in found.get("versions") or []
    ]
    out["changes"] = [
        {**change, "crawled_at": iso(change.get("crawled_at"))}
        for change in version_changes(found.get("versions") or [])
    ]
    return out


def export_rows(engine: Engine, params: SearchParams, *, limit: int) -> Iterator[dict[str, Any]]:
    """The rows of an export. The first page is read now, so a bad request fails before the
    response starts; the rest is read as the response streams."""
    if not params.q:
        batches = query.iter_article_batches(
            engine, site=params.site, since=params.since, until=params.until
        )
        try:
            first = next(batches, [])
        except query.QueryError as error:
            raise BadParameter("q", str(error), _arabic_query_error(str(error))) from None
        return _article_rows(first, batches)
    page_size = query.MAX_LIMIT
    first_page = search(engine, _page(params, 0, page_size))
    return _hit_rows(engine, params, first_page, page_size, limit)


def _article_rows(
    first: list[dict[str, Any]], rest: Iterator[list[dict[str, Any]]]
) -> Iterator[dict[str, Any]]:
    yield from map(_export_article, first)
    for batch in rest:
        yield from map(_export_article, batch)


def _export_article(row: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if isinstance(v, dt.datetime) else v for k, v in row.items()}


def _page(params: SearchParams, offset: int, size: int) -> SearchParams:
    return SearchParams(params.q, params.site, params.since, params.until,
                        offset // size + 1, size)


def _hit_rows(
    engine: Engine, params: SearchParams, result: query.SearchResult, page_size: int, limit: int
) -> Iterator[dict[str, Any]]:
    rank = 0
    while True:
        for hit in result.hits:
            rank += 1
            if rank > limit:
                return
            yield {
                "rank": rank,
                "id": hit.id,
                "score": round(hit.score, 4),
                "published_at": iso(hit.published_at),
                "site": hit.site,
                "title": hit.title,
                "url": hit.url,
                "snippet": hit.snippet,
            }
        if len(result.hits) < page_size or rank >= min(limit, result.total):
            return
        result = search(engine, _page(params, rank, page_size))


# --- sites and runs --------------------------------------------------------------------------


class SiteCache:
    """``sites_summary``, read at most once a minute: it reads every article (0.4-0.9 s for
    100,000 in SQLite), and the search form's site list and the sites page need it."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value: list[dict[str, Any]] | None = None
        self._read_at = 0.0

    def get(self, engine: Engine) -> list[dict[str, Any]]:
        with self._lock:
            if self._value is None or time.monotonic() - self._read_at > self.ttl:
                self._value = query.sites_summary(engine)
                self._read_at = time.monotonic()
            return self._value


def runs(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    return query.recent_runs(engine, limit)


def health(run: dict[str, Any]) -> dict[str, float | None]:
    """The sites a run flagged as giving no articles, with their share of empty pages."""
    stats = run.get("stats") or {}
    flagged: dict[str, float | None] = {}
    for key, value in stats.items():
        if key.startswith(_HEALTH_PREFIX) and key.endswith("/flagged") and value:
            site = key[len(_HEALTH_PREFIX):-len("/flagged")]
            ratio = stats.get(f"{_HEALTH_PREFIX}{site}/empty_ratio")
            flagged[site] = float(ratio) if isinstance(ratio, int | float) else None
    return flagged


def broken_sites(recent: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Sites whose latest crawl (among ``recent``, newest first) flagged their extraction."""
    latest: dict[str, dict[str, Any]] = {}
    for run in recent:
        flagged = health(run)
        for site in [*(run.get("sites") or []), *flagged]:
            if site in latest:
                continue
            latest[site] = {"run": run.get("id"), "started_at": run.get("started_at"),
                            "flagged": site in flagged, "empty_ratio": flagged.get(site)}
    return {site: state for site, state in latest.items() if state["flagged"]}


def run_json(run: dict[str, Any]) -> dict[str, Any]:
    out = {
        key: iso(value) if isinstance(value, dt.datetime) else value
        for key, value in run.items()
        if key != "stats"
    }
    out["items_dropped"] = run.get("items_dropped") or {}
    out["sites"] = run.get("sites") or []
    out["flagged_sites"] = sorted(health(run))
    return out


def chart_window(
    engine: Engine, summary: list[dict[str, Any]], days: int = CHART_DAYS
) -> tuple[list[dt.date], list[dict[str, Any]]]:
    """The ``days`` days up to the newest article (today at the latest), and the per-site
    counts of those days.

    A live database's newest article is from today; an archive's (or the demo's) is older, and
    its chart then shows its last active days rather than two empty weeks.
    """
    today = dt.datetime.now(dt.UTC).date()
    newest = [row["last_published"] for row in summary if row.get("last_published")]
    end = min(today, max(newest).date()) if newest else today
    lookback = (today - end).days + days
    if lookback > _MAX_CHART_LOOKBACK:
        end, lookback = today, days
    window = [end - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    counts = [
        row for row in query.site_counts(engine, lookback) if window[0] <= row["day"] <= end
    ]
    return window, counts


def sites_json(engine: Engine, summary: list[dict[str, Any]], days: int) -> dict[str, Any]:
    broken = broken_sites(runs(engine, 20))
    window, counts = chart_window(engine, summary, days)
    return {
        "sites": [
            {
                "site": row["site"],
                "articles": row["articles"],
                "last_published": iso(row.get("last_published")),
                "last_crawled": iso(row.get("last_crawled")),
                "broken": row["site"] in broken,
                "empty_ratio": broken.get(row["site"], {}).get("empty_ratio"),
            }
            for row in summary
        ],
        "from": window[0].isoformat(),
        "to": window[-1].isoformat(),
        "per_day": [
            {"site": row["site"], "day": row["day"].isoformat(), "count": row["count"]}
            for row in counts
        ],
    }
