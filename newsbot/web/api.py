"""The JSON API: ``/api/search``, ``/api/articles/{id}``, ``/api/sites``, ``/api/runs``,
``/api/export``. The pages use it; its OpenAPI description is at ``/openapi.json``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from newsbot import query
from newsbot.web import views
from newsbot.web.params import (
    BadParameter,
    Page,
    PerPage,
    QueryText,
    Since,
    SiteName,
    Until,
    search_params,
)

router = APIRouter(prefix="/api", tags=["api"])

ArticleId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The article's id.")]
EXPORT_LIMIT = 10_000  # rows of a search's export (a filter-only export has no limit)


class Error(BaseModel):
    detail: str = Field(description="What was wrong, in English.")
    param: str | None = Field(None, description="The parameter at fault, if one was.")


class Hit(BaseModel):
    id: int
    title: str | None
    site: str | None
    url: str
    published_at: str | None = Field(description="ISO 8601, UTC.")
    snippet: str
    highlights: list[tuple[int, int]] = Field(
        description="Character spans [start, end) of the matched words in the snippet."
    )
    title_highlights: list[tuple[int, int]] = Field(
        [], description="Character spans of the matched words in the title."
    )
    score: float
    href: str = Field(description="The article in the API.")


class SearchResponse(BaseModel):
    query: str
    key: str = Field(description="The query's search form (newsbot.text.search_key).")
    total: int
    total_capped: bool = Field(description="True when total is a lower bound.")
    page: int
    per_page: int
    pages: int
    elapsed_ms: float = Field(description="Time the database search took.")
    hits: list[Hit]


class Image(BaseModel):
    position: int | None = None
    src: str
    alt: str | None = None
    caption: str | None = None
    credit: str | None = None


class Version(BaseModel):
    version: int
    crawled_at: str | None
    content_hash: str | None = None
    title: str | None = None
    paragraphs: list[str] = []


class Change(BaseModel):
    version: int = Field(description="The version that made the change (from version - 1).")
    crawled_at: str | None
    title: list[tuple[str, str]] | None = Field(
        description='Word diff of the title: ["=", text], ["+", added], ["-", removed]; '
        "null if it did not change."
    )
    paragraphs: list[list[tuple[str, str]]] = Field(
        description='Word diff of each changed paragraph; ["=", "…"] marks skipped ones.'
    )


class Article(BaseModel):
    id: int
    url: str
    canonical_url: str | None = None
    site: str | None = None
    title: str | None = None
    description: str | None = None
    authors: list[str] = []
    published_at: str | None = None
    published_raw: str | None = None
    modified_at: str | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = []
    headings: list[str] = []
    paragraphs: list[str] = []
    captions: list[str] = []
    blocks: list[dict[str, Any]] = []
    body: str | None = None
    content_hash: str | None = None
    version: int | None = None
    first_seen_at: str | None = None
    last_crawled_at: str | None = None
    crawl_count: int | None = None
    images: list[Image] = []
    versions: list[Version] = []
    changes: list[Change] = Field([], description="What each version changed, newest first.")


class SiteSummary(BaseModel):
    site: str | None
    articles: int
    last_published: str | None
    last_crawled: str | None
    broken: bool = Field(description="The site's last crawl flagged its extraction as failing.")
    empty_ratio: float | None = Field(
        None, description="Share of its article pages that gave no article in that crawl."
    )


class DayCount(BaseModel):
    site: str | None
    day: str
    count: int


class Sites(BaseModel):
    model_config = {"populate_by_name": True}

    sites: list[SiteSummary]
    from_: str = Field(alias="from", description="First day of per_day (UTC).")
    to: str = Field(description="Last day of per_day: the newest article's, today at the latest.")
    per_day: list[DayCount]


class Run(BaseModel):
    id: int
    spider: str | None = None
    sites: list[str] = []
    started_at: str | None = None
    finished_at: str | None = None
    status: str | None = None
    pages: int | None = None
    items_stored: int | None = None
    items_dropped: dict[str, int] = {}
    errors: int | None = None
    flagged_sites: list[str] = Field([], description="Sites whose extraction the run flagged.")


_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": Error, "description": "A parameter is wrong."},
    503: {"model": Error, "description": "The database took too long or is unavailable."},
}


@router.get("/search", response_model=SearchResponse, responses=_ERRORS)
def search(
    request: Request,
    q: QueryText = "",
    site: SiteName = None,
    since: Since = None,
    until: Until = None,
    page: Page = 1,
    per_page: PerPage = 20,
) -> dict[str, Any]:
    """Ranked search, with the matched words of each hit's snippet as character spans."""
    params = search_params(q, site, since, until, page, per_page)
    if not params.q:
        raise BadParameter("q", "the query is empty", "اكتب كلمة للبحث.")
    result = views.search(request.app.state.engine, params)
    return views.search_json(result, params)


@router.get("/articles/{article_id}", response_model=Article,
            responses={404: {"model": Error}, **_ERRORS})
def article(request: Request, article_id: ArticleId) -> dict[str, Any]:
    """One article: its text, images with captions, and its versions with what changed."""
    found = views.article(request.app.state.engine, article_id)
    if found is None:
        raise HTTPException(404, f"no article {article_id}")
    return views.article_json(found)


@router.get("/sites", response_model=Sites, response_model_by_alias=True, responses=_ERRORS)
def sites(
    request: Request,
    days: Annotated[int, Query(ge=1, le=366, description="Days of per-day counts.")] = 14,
) -> dict[str, Any]:
    """Each site's article count, latest article and crawl, health; articles per day."""
    state = request.app.state
    return views.sites_json(state.engine, state.site_cache.get(state.engine), days)


@router.get("/runs", response_model=list[Run], responses=_ERRORS)
def runs(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100, description="How many runs, newest first.")] = 10,
) -> list[dict[str, Any]]:
    """The latest crawl runs with their status and counts."""
    return [views.run_json(run) for run in views.runs(request.app.state.engine, limit)]


@router.get(
    "/export",
    responses={
        200: {
            "content": {"text/csv": {}, "application/x-ndjson": {}},
            "description": "The result set, streamed: CSV (UTF-8 with BOM) or JSON lines.",
        },
        **_ERRORS,
    },
    response_class=StreamingResponse,
)
def export(
    request: Request,
    format: Annotated[Literal["csv", "jsonl"], Query(description="csv or jsonl.")] = "csv",
    q: QueryText = "",
    site: SiteName = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    """The current result set as a file.

    With ``q``: the search's hits, best first (at most 10,000), with the columns of the result
    list (rank, id, score, published_at, site, title, url, snippet). Without ``q``: every
    article the filters keep, by id, with all its columns and its images."""
    params = search_params(q, site, since, until, 1, 20)
    state = request.app.state
    # A search's rows come page by page through the search; an article stream may take as
    # long as the client takes to read it, so it has an engine of its own (see web.db).
    engine = state.engine if params.q else state.export_engine
    rows = views.export_rows(engine, params, limit=EXPORT_LIMIT)
    name = "newsbot-search" if params.q else "newsbot-articles"
    if format == "csv":
        columns = views.EXPORT_COLUMNS if params.q else query.EXPORT_COLUMNS
        body: Iterator[str] = _csv(rows, columns)
        media = "text/csv; charset=utf-8"
    else:
        body = (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        media = "application/x-ndjson; charset=utf-8"
    return StreamingResponse(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{name}.{format}"'},
    )


def _csv(rows: Iterator[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    """CSV with a byte order mark, so that Excel reads the Arabic as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell: lists of text joined by " | ", other structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = " | ".join(value)
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    # A cell that starts like a formula is not run by a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
