"""The HTML pages: search (``/``), an article (``/articles/{id}``), the sites (``/sites``).

They are rendered on the server, so they work without JavaScript; ``static/app.js`` then runs
searches through ``/api/search`` without reloading the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from newsbot.web import views
from newsbot.web.api import ArticleId
from newsbot.web.params import (
    BadParameter,
    Page,
    PerPage,
    QueryText,
    SearchParams,
    Since,
    SiteName,
    Until,
    search_params,
)
from newsbot.web.render import bar_chart, version_changes, web_url

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def search_context(request: Request, raw: dict[str, str]) -> dict[str, Any]:
    """What the search form needs whatever happened: the sites, and the values typed."""
    try:
        sites = request.app.state.site_cache.get(request.app.state.engine)
    except Exception:  # the form can do without its site list
        sites = []
    return {
        "sites": sites,
        "form": {key: (raw.get(key) or "")[:1000] for key in ("q", "site", "since", "until")},
        "params": None,
        "result": None,
        "error": None,
    }


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: QueryText = "",
    site: SiteName = None,
    since: Since = None,
    until: Until = None,
    page: Page = 1,
    per_page: PerPage = 20,
) -> HTMLResponse:
    context = search_context(request, dict(request.query_params))
    params: SearchParams = search_params(q, site, since, until, page, per_page)
    context["params"] = params
    if params.q:
        result = views.search(request.app.state.engine, params)
        context["result"] = result
        context["pages"] = views.pages(result, params)
    return render(request, "search.html", context)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: ArticleId) -> HTMLResponse:
    found = views.article(request.app.state.engine, article_id)
    if found is None:
        raise HTTPException(404, f"no article {article_id}")
    back = request.query_params.get("q", "")[:1000]
    figures = [b for b in found.get("blocks") or [] if b.get("type") == "image"]
    shown = {figure.get("src") for figure in figures}
    captioned = {i.get("caption") for i in [*figures, *(found.get("images") or [])]}
    return render(request, "article.html", {
        "article": found,
        "original": web_url(found.get("url")),
        "other_images": [i for i in found.get("images") or [] if i.get("src") not in shown],
        # Captions the extractor found but could not tie to an image.
        "loose_captions": [c for c in found.get("captions") or [] if c not in captioned],
        "changes": version_changes(found.get("versions") or []),
        "back": back,
    })


@router.get("/sites", response_class=HTMLResponse)
def sites_page(request: Request) -> HTMLResponse:
    engine = request.app.state.engine
    summary = request.app.state.site_cache.get(engine)
    recent = views.runs(engine, 10)
    broken = views.broken_sites(views.runs(engine, 20))
    window, counts = views.chart_window(engine, summary)
    total: dict[dt.date, int] = {}
    per_site: dict[str | None, dict[dt.date, int]] = {}
    for row in counts:
        total[row["day"]] = total.get(row["day"], 0) + row["count"]
        per_site.setdefault(row["site"], {})[row["day"]] = row["count"]
    return render(request, "sites.html", {
        "summary": summary,
        "runs": [{**run, "flagged": views.health(run)} for run in recent],
        "broken": broken,
        "window": window,
        "chart": bar_chart(total, window, title="المقالات المنشورة يومياً في كل المواقع"),
        "sparks": {
            site: bar_chart(days, window, width=140, height=28, labels=False,
                            title=f"{site}: المقالات يومياً")
            for site, days in per_site.items()
        },
    })


def error_page(request: Request, status: int, error: BadParameter | str) -> HTMLResponse:
    """A page for a request that went wrong: the search form with the message for ``/``."""
    message = error.arabic if isinstance(error, BadParameter) else error
    if request.url.path == "/":
        context = search_context(request, dict(request.query_params))
        context["error"] = message
        return render(request, "search.html", context, status)
    return render(request, "error.html", {"status": status, "message": message}, status)
