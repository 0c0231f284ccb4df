"""newsbot's web app: search, read and compare Arabic articles in the browser, and a JSON API.

``create_app()`` builds the ASGI app on a database it opens read-only. Pages are rendered with
Jinja2 from the templates in ``templates/``; CSS, JavaScript and the icon are served from
``static/`` (nothing comes from a CDN). Every error reaches the client as a clear 4xx (or a
generic 5xx page), never as a stack trace.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import make_url
from starlette.exceptions import HTTPException as StarletteHTTPException

from newsbot import __version__
from newsbot.web import api, pages, views
from newsbot.web.db import DEFAULT_TIMEOUT, is_timeout, readonly_engine
from newsbot.web.guard import Guard
from newsbot.web.params import MAX_RAW_QUERY, BadParameter
from newsbot.web.render import arabic_date, diff_html, highlight, iso, results_count, web_url

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

# What a page says about a parameter FastAPI itself refused (type or bounds).
_ARABIC_PARAM_ERRORS = {
    "q": f"نص البحث أطول من {MAX_RAW_QUERY} حرف.",
    "page": "رقم الصفحة غير صالح: يبدأ من 1.",
    "per_page": "عدد النتائج في الصفحة بين 1 و100.",
    "article_id": "رقم المقالة غير صالح.",
    "since": "التاريخ غير صالح؛ اكتبه هكذا: 2025-03-11.",
    "until": "التاريخ غير صالح؛ اكتبه هكذا: 2025-03-11.",
    "site": "اسم الموقع غير صالح.",
    "format": "صيغة التصدير إما csv أو jsonl.",
}
_STATUS_PAGES = {
    404: "الصفحة غير موجودة.",
    405: "هذه الطريقة غير مسموحة هنا.",
    503: "قاعدة البيانات مشغولة أو غير متاحة الآن؛ حاول بعد قليل.",
    500: "حدث خطأ داخلي. سُجّل الخطأ لدى المسؤول.",
}


def default_database_url() -> str:
    from pipelines.store import DEFAULTS

    return os.environ.get("NEWSBOT_DATABASE_URL") or DEFAULTS["NEWSBOT_DATABASE_URL"]


def create_app(
    database_url: str | None = None,
    token: str | None = None,
    *,
    allowed_hosts: Iterable[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> FastAPI:
    """The web app on ``database_url`` (default: ``NEWSBOT_DATABASE_URL`` or newsbot's default).

    With ``token``, every request but the static files needs it (see :mod:`newsbot.web.guard`).
    ``allowed_hosts`` limits the Host header (``newsbot serve`` on a loopback address passes the
    loopback names, so a page on another site cannot reach the app through DNS rebinding).
    ``timeout`` bounds each database statement, in seconds.
    """
    url = database_url or default_database_url()
    engine = readonly_engine(url, timeout=timeout)
    export_engine = readonly_engine(url, timeout=None)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()
        export_engine.dispose()

    app = FastAPI(
        title="newsbot",
        version=__version__,
        summary="Search, read and compare the Arabic articles newsbot crawled (read-only).",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the machine may have no internet
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.export_engine = export_engine
    app.state.database = make_url(url).render_as_string(hide_password=True)
    app.state.site_cache = views.SiteCache()
    app.state.templates = _templates()
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_handlers(app)
    app.add_middleware(Guard, token=token, allowed_hosts=allowed_hosts)
    return app


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.filters.update(
        highlight=highlight, date=arabic_date, iso=iso, diff=diff_html, web_url=web_url,
        results=results_count,
        number=lambda n: f"{n:,}" if isinstance(n, int) else n,
    )
    versions = {path.name: _digest(path) for path in STATIC.iterdir() if path.is_file()}
    env.globals["asset"] = lambda name: f"/static/{name}?v={versions.get(name, '0')}"
    env.globals["version"] = __version__
    return templates


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/openapi.json"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, error: BadParameter) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(error), "param": error.param}, 422)
        return pages.error_page(request, 422, error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        # The message names the parameter and the rule; it never echoes the input back.
        problems = []
        first_param = None
        for item in error.errors():
            location = [str(part) for part in item.get("loc", ()) if part not in ("query", "path")]
            param = location[-1] if location else "request"
            first_param = first_param or param
            problems.append(f"{param}: {item.get('msg', 'invalid')}")
        detail = "; ".join(problems) or "invalid request"
        if _wants_json(request):
            return JSONResponse({"detail": detail, "param": first_param}, 422)
        arabic = _ARABIC_PARAM_ERRORS.get(first_param or "", "الطلب غير صالح.")
        return pages.error_page(request, 422, BadParameter(first_param or "", detail, arabic))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers = getattr(error, "headers", None)
        if _wants_json(request):
            return JSONResponse({"detail": error.detail}, error.status_code, headers=headers)
        message = _STATUS_PAGES.get(error.status_code, str(error.detail))
        if error.status_code == 404 and request.url.path.startswith("/articles/"):
            message = "لا توجد مقالة بهذا الرقم."
        return pages.error_page(request, error.status_code, message)

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        if is_timeout(error):
            logger.warning("%s %s: database statement timed out", request.method, request.url.path)
            status, detail = 503, "the database took too long to answer; narrow the request"
        else:
            logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
            status, detail = 500, "internal error"
        if _wants_json(request):
            return JSONResponse({"detail": detail}, status)
        try:
            return pages.error_page(request, status, _STATUS_PAGES[status])
        except Exception:  # the error page itself failed: plain text, still no trace
            return Response(_STATUS_PAGES[status], status, media_type="text/plain; charset=utf-8")
