"""The web app (``newsbot serve``): its JSON API and pages, on a database a real crawl filled.

The demo site is crawled once per session with ``newsbot demo`` into SQLite, and once per
module into PostgreSQL; the API tests run on both. A second crawl of a corrected article gives
the version-diff tests an article with two versions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from newsbot.demo import SITE_DIR, SiteServer, seed_urls
from newsbot.text import search_key
from newsbot.web import create_app
from newsbot.web import views as web_views
from newsbot.web.db import DatabaseUnavailable, is_timeout, readonly_engine
from newsbot.web.render import highlight, paragraphs_diff, results_count, web_url, word_diff
from newsbot.web.serve import is_loopback
from newsbot.web.serve import main as serve_main

PAGES = Path(__file__).parent / "pages"
GOLD = {p.name.removesuffix(".gold.json"): json.loads(p.read_text("utf-8"))
        for p in (PAGES / "demo").glob("*.gold.json")}
TOKEN = "s3cret-token-for-tests-0123456789"
GOLD_PAGE = "/news/economy/2025/03/11/gold-record-high.html"
CORRECTIONS = (("بنسبة 1.2 في المئة", "بنسبة 1.5 في المئة"),
               ("للجلسة الخامسة على التوالي", "للجلسة السادسة على التوالي"))


def newsbot(*args: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "newsbot.cli", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    """The demo site, crawled by `newsbot demo` into SQLite."""
    where = tmp_path_factory.mktemp("web-demo")
    newsbot("demo", cwd=where)
    return f"sqlite:///{where / 'data' / 'newsbot.db'}"


@pytest.fixture(scope="module")
def postgresql_url(postgres_admin: Engine, tmp_path_factory) -> Iterator[str]:
    """The demo site, crawled by `newsbot demo --db` into a new PostgreSQL database."""
    name = f"newsbot_test_{uuid.uuid4().hex[:16]}"
    with postgres_admin.connect() as connection:
        connection.exec_driver_sql(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
            " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    url = postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        newsbot("demo", "--db", url, cwd=tmp_path_factory.mktemp("web-demo-pg"))
        yield url
    finally:
        with postgres_admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="module")
def client(database: str) -> Iterator[TestClient]:
    with TestClient(create_app(database)) as client:
        yield client


@pytest.fixture(scope="session")
def versioned_url(tmp_path_factory) -> str:
    """The gold article crawled, corrected by its site, and crawled again: two versions."""
    where = tmp_path_factory.mktemp("web-versions")
    url = f"sqlite:///{where / 'newsbot.db'}"
    html = (SITE_DIR / GOLD_PAGE.lstrip("/")).read_text("utf-8")
    for old, new in CORRECTIONS:
        html = html.replace(old, new)
    with SiteServer() as site:
        newsbot("crawl", site.base_url + GOLD_PAGE, "--db", url, "-q", cwd=where)
        site.overrides[GOLD_PAGE] = (200, {"Content-Type": "text/html; charset=utf-8"},
                                     html.encode("utf-8"))
        newsbot("crawl", site.base_url + GOLD_PAGE, "--db", url, "-q",
                "-s", "NEWSBOT_INCREMENTAL=0", cwd=where)
    return url


@pytest.fixture(scope="session")
def broken_url(tmp_path_factory) -> str:
    """The demo site crawled, then crawled again after a "redesign" left its articles empty."""
    where = tmp_path_factory.mktemp("web-broken")
    url = f"sqlite:///{where / 'newsbot.db'}"
    empty = (200, {"Content-Type": "text/html; charset=utf-8"},
             "<html><head><title>الواحة</title></head><body><div>قريباً</div></body></html>".encode())
    with SiteServer() as site:
        newsbot("crawl", *seed_urls(site.base_url), "--db", url, "-q", cwd=where)
        for gold in GOLD.values():
            site.overrides[urlsplit(gold["url"]).path] = empty
        newsbot("crawl", *seed_urls(site.base_url), "--db", url, "-q",
                "-s", "NEWSBOT_HEALTH_WINDOW=5", "-s", "NEWSBOT_INCREMENTAL=0", cwd=where)
    return url


def find(client: TestClient, q: str, **params) -> dict:
    response = client.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def article_id(client: TestClient, gold: str) -> int:
    title = GOLD[gold]["title"]
    hits = find(client, title, per_page=5)["hits"]
    return next(hit["id"] for hit in hits if hit["title"] == title)


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "gold"), [
    ("الذهب", "span_br_agency"),
    ("الحافلات", "opinion_bom"),
    ("الاقبال على الملاذات", "span_br_agency"),  # typed without the hamza
    ("مَعْرِضُ الكِتاب", "levantine_gallery"),  # typed with diacritics
    ("ميناء  الرأس\tالأبيض", "story_section_video"),  # odd spacing
    ("٣٢٠ دار نشر", "levantine_gallery"),  # Arabic-Indic digits
])
def test_an_arabic_query_finds_its_article_first(client, q, gold):
    """A query typed as people type it finds the article, with its words marked."""
    result = find(client, q)
    assert result["hits"], result
    top = result["hits"][0]
    assert top["title"] == GOLD[gold]["title"]
    assert top["highlights"]
    terms = search_key(q).split()
    for start, end in top["highlights"]:
        assert any(term in search_key(top["snippet"][start:end]) for term in terms)


def test_search_answers_with_count_time_and_pages(client):
    """The result carries the total, the time the search took, and the paging."""
    result = find(client, "الواحة")
    assert result["total"] == len(result["hits"]) >= 5
    assert result["total_capped"] is False
    assert result["elapsed_ms"] > 0
    assert (result["page"], result["per_page"], result["pages"]) == (1, 20, 1)
    assert result["key"] == "الواحه"
    assert all(hit["href"] == f"/api/articles/{hit['id']}" for hit in result["hits"])


def test_pages_cover_the_results_once(client):
    """Paging two at a time gives every hit once, in the order of the full list."""
    full = find(client, "الواحة")
    seen = []
    for page in range(1, full["pages"] * 10):
        result = find(client, "الواحة", per_page=2, page=page)
        assert result["pages"] == -(-full["total"] // 2)
        if not result["hits"]:
            break
        seen += [hit["id"] for hit in result["hits"]]
    assert seen == [hit["id"] for hit in full["hits"]]


def test_site_filter(client):
    """site= keeps that site's articles; an unknown site has none."""
    everything = find(client, "الواحة")
    assert find(client, "الواحة", site="127.0.0.1")["total"] == everything["total"]
    assert find(client, "الواحة", site="no-such-site.example")["total"] == 0


@pytest.mark.parametrize(("since", "until"), [
    ("2025-03-14", None),
    (None, "2025-03-11"),
    ("2025-03-12", "2025-03-12"),
    ("2025-03-12T12:00:00+03:00", "2025-03-14T09:15:00+03:00"),
])
def test_date_filters_bound_publication(client, since, until):
    """since/until keep articles published in the range, a day meaning the whole UTC day."""
    everything = find(client, "الواحة")["hits"]
    params = {k: v for k, v in (("since", since), ("until", until)) if v}
    kept = find(client, "الواحة", **params)["hits"]

    def inside(published: str) -> bool:
        day = published[:10]
        if since and (day < since if len(since) == 10 else published < _utc(since)):
            return False
        return not (until and (day > until if len(until) == 10 else published > _utc(until)))

    assert [h["id"] for h in kept] == [h["id"] for h in everything if inside(h["published_at"])]
    assert 0 < len(kept) < len(everything)


def _utc(value: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).isoformat()


# --- articles --------------------------------------------------------------------------------


@pytest.mark.parametrize("gold", ["levantine_gallery", "bbc_like", "span_br_agency"])
def test_article_has_text_images_and_captions(client, gold):
    """An article comes with its paragraphs, its images by position and its captions."""
    expected = GOLD[gold]
    article = client.get(f"/api/articles/{article_id(client, gold)}").json()
    assert article["title"] == expected["title"]
    assert article["paragraphs"] == expected["paragraphs"]
    assert article["captions"] == expected["captions"]
    assert [image["position"] for image in article["images"]] == list(range(len(article["images"])))
    assert all(image["src"].startswith("http://127.0.0.1:") for image in article["images"])
    assert [v["version"] for v in article["versions"]] == [1]
    assert article["changes"] == []
    assert "text_search" not in article and "title_search" not in article


def test_article_page_shows_the_article(client):
    """The page has the title, the site, the paragraphs, the captions and the original link."""
    gold = GOLD["levantine_gallery"]
    html = client.get(f"/articles/{article_id(client, 'levantine_gallery')}").text
    assert '<html lang="ar" dir="rtl">' in html
    assert gold["title"] in html
    for caption in gold["captions"]:
        assert f"{caption}</figcaption>" in html
    assert gold["paragraphs"][0] in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "الرابط الأصلي" in html


def test_unknown_article_is_404(client):
    """An id no article has: 404, JSON on the API and a page in the browser."""
    assert client.get("/api/articles/987654321").status_code == 404
    assert client.get("/api/articles/987654321").json() == {"detail": "no article 987654321"}
    page = client.get("/articles/987654321")
    assert page.status_code == 404
    assert "لا توجد مقالة بهذا الرقم" in page.text


# --- pages -----------------------------------------------------------------------------------


def test_search_page_renders_results_right_to_left(client):
    """The search page is RTL from the first byte and shows marked hits, the count and time."""
    response = client.get("/", params={"q": "الذهب"})
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert '<html lang="ar" dir="rtl">' in html
    assert GOLD["span_br_agency"]["title"].split()[1] in html
    assert "<mark>الذهب</mark>" in html
    assert "نتيجة واحدة" in html and "ملّي ثانية" in html
    assert "/api/export?" in html


def test_search_page_without_a_query_introduces_the_database(client):
    html = client.get("/").text
    assert "ابحث في <strong>12</strong> مقالة" in html
    assert 'name="q"' in html and 'type="date"' in html


def test_sites_page_and_api(client):
    """Articles per site and per day, the last runs and their status."""
    sites = client.get("/api/sites").json()
    assert [(s["site"], s["articles"], s["broken"]) for s in sites["sites"]] == [
        ("127.0.0.1", 12, False)]
    assert sum(day["count"] for day in sites["per_day"]) == 12
    assert (sites["from"], sites["to"]) == ("2025-03-04", "2025-03-17")
    runs = client.get("/api/runs").json()
    assert runs[0]["status"] == "finished" and runs[0]["items_stored"] == 12
    html = client.get("/sites").text
    assert '<svg class="chart"' in html and "finished" in html and "127.0.0.1" in html


def test_a_site_whose_articles_came_out_empty_is_flagged(broken_url):
    """A site the last crawl's health check flagged shows as broken, with its empty share."""
    with TestClient(create_app(broken_url)) as client:
        site = client.get("/api/sites").json()["sites"][0]
        assert (site["site"], site["articles"], site["broken"], site["empty_ratio"]) == (
            "127.0.0.1", 12, True, 1.0)
        runs = client.get("/api/runs").json()
        assert runs[0]["flagged_sites"] == ["127.0.0.1"]
        assert runs[0]["items_dropped"].get("no_article") == 12
        assert runs[-1]["flagged_sites"] == []
        html = client.get("/sites").text
        assert "مواقع يبدو استخراجها معطلاً" in html and "100٪ من صفحات المقالات فارغة" in html


def test_a_later_clean_crawl_clears_the_flag():
    flagged = {"id": 1, "sites": ["a.example"], "stats": {
        "newsbot/health/a.example/flagged": 1, "newsbot/health/a.example/empty_ratio": 0.8}}
    clean = {"id": 2, "sites": ["a.example"], "stats": {}}
    assert web_views.broken_sites([flagged])["a.example"]["empty_ratio"] == 0.8
    assert web_views.broken_sites([clean, flagged]) == {}
    assert set(web_views.broken_sites([flagged, clean])) == {"a.example"}


def test_static_assets_are_served_from_the_package(client):
    """CSS and JavaScript come from the app itself; no page names another host's asset."""
    html = client.get("/", params={"q": "الذهب"}).text
    assert "https://" not in html.split("<main")[0]
    for asset in ("style.css", "app.js", "icon.svg"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200 and response.content
    css = client.get("/static/style.css").text
    assert '"Noto Naskh Arabic"' in css and "Tahoma" in css


# --- export ----------------------------------------------------------------------------------


def test_export_csv_has_the_result_set(client):
    """CSV of a search: a byte order mark for Excel, a header, one row per hit, in order."""
    hits = find(client, "الواحة")["hits"]
    response = client.get("/api/export", params={"q": "الواحة", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [int(row["id"]) for row in rows] == [hit["id"] for hit in hits]
    assert rows[0]["title"] == hits[0]["title"]


def test_export_jsonl_of_filters_has_whole_articles(client):
    """JSON lines without a query: every article the filters keep, with its text and images."""
    response = client.get("/api/export", params={"format": "jsonl", "since": "2025-03-12"})
    assert response.status_code == 200
    rows = [json.loads(line) for line in response.text.splitlines()]
    since = dt.datetime(2025, 3, 12, tzinfo=dt.UTC)
    assert len(rows) == sum(1 for g in GOLD.values()
                            if dt.datetime.fromisoformat(g["published_at"]) >= since)
    by_title = {row["title"]: row for row in rows}
    gallery = by_title[GOLD["levantine_gallery"]["title"]]
    assert gallery["paragraphs"] == GOLD["levantine_gallery"]["paragraphs"]
    assert [i["caption"] for i in gallery["images"]] == GOLD["levantine_gallery"]["captions"]


def test_export_csv_of_everything(client):
    response = client.get("/api/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 12
    assert {row["title"] for row in rows} == {g["title"] for g in GOLD.values()}


# --- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/articles/{article_id}", "/api/sites", "/api/runs",
            "/api/export"} <= set(spec["paths"])
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params["per_page"]["schema"]["maximum"] == 100
    assert params["q"]["schema"]["maxLength"] == 1000
    assert "/" not in spec["paths"]  # the pages are not API
    assert client.get("/docs").status_code == 404  # Swagger UI would need a CDN


# --- hostile input ---------------------------------------------------------------------------

LITERAL = [
    '"', "'", '"الذهب', "الذهب OR الفضة", "NEAR(الذهب الفضة)", "الذه*", "title_search:الذهب",
    "^الذهب", "'; DROP TABLE articles; --", "%", "_", "\\", "الذهب AND NOT", "(", "{}",
    "<script>alert(1)</script>", "ا' OR '1'='1", "%FF", "\ufeff", "🙂", "\u202eالذهب",
]


@pytest.mark.parametrize("q", LITERAL)
def test_search_syntax_is_only_text(client, q):
    """Quotes, FTS operators and SQL are searched for as text: an answer, never an error."""
    response = client.get("/api/search", params={"q": q})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:  # only for a query with nothing to search for
        assert "empty" in response.json()["detail"]
    page = client.get("/", params={"q": q})
    assert page.status_code in (200, 422)
    assert "<script>alert(1)</script>" not in page.text
    assert client.get("/api/sites").json()["sites"][0]["articles"] == 12


def asgi_get(app, path: str, query: dict[str, str]) -> tuple[int, bytes]:
    """GET through the ASGI interface itself: httpx refuses URLs over 64 KB."""
    import asyncio
    from urllib.parse import urlencode

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": urlencode(query).encode(), "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


@pytest.mark.parametrize(("path", "language"), [("/api/search", "q: String should have"),
                                                ("/", "نص البحث أطول")])
def test_a_100kb_query_is_refused(client, path, language):
    """A 100 KB query (600 KB in the URL): 422 with a short message, the query not echoed."""
    status, body = asgi_get(client.app, path, {"q": "ا" * 100_000})
    assert status == 422
    assert language in body.decode("utf-8")
    assert len(body) < 20_000 and b"Traceback" not in body


def test_a_100kb_query_over_http_is_a_400(sqlite_url):
    """Through uvicorn, a request line that long is refused by the HTTP parser: 400."""
    import http.client
    from urllib.parse import urlsplit

    from newsbot.web.serve import running

    with running(create_app(sqlite_url)) as base:
        where = urlsplit(base)
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
        connection.request("GET", "/api/search?q=" + quote("ا" * 100_000))
        assert connection.getresponse().status == 400
        connection.close()


@pytest.mark.parametrize(("path", "params", "status", "message"), [
    ("/api/search", {"q": "ا" * 5000}, 422, "q"),
    ("/api/search", {"q": "ذهب " * 300}, 422, "q"),
    ("/api/search", {"q": "ا" * 201}, 422, "longer than 200"),
    ("/api/search", {"q": ""}, 422, "empty"),
    ("/api/search", {"q": "   "}, 422, "empty"),
    ("/api/search", {}, 422, "empty"),
    ("/api/search", {"q": "الذهب\x00"}, 422, "control"),
    ("/api/search", {"q": "الذهب", "since": "2025-13-45"}, 422, "since"),
    ("/api/search", {"q": "الذهب", "since": "yesterday"}, 422, "since"),
    ("/api/search", {"q": "الذهب", "until": "2025-03-01T25:00"}, 422, "until"),
    ("/api/search", {"q": "الذهب", "since": "9999-12-31T23:59:59-23:59"}, 422, "since"),
    ("/api/search", {"q": "الذهب", "since": "2025-03-14", "until": "2025-03-01"}, 422, "after"),
    ("/api/search", {"q": "الذهب", "since": "1" * 5000}, 422, "since"),
    ("/api/search", {"q": "الذهب", "page": "-1"}, 422, "page"),
    ("/api/search", {"q": "الذهب", "page": "0"}, 422, "page"),
    ("/api/search", {"q": "الذهب", "page": "abc"}, 422, "page"),
    ("/api/search", {"q": "الذهب", "page": "9" * 40}, 422, "page"),
    ("/api/search", {"q": "الذهب", "page": "1001", "per_page": "10"}, 422, "first 10000"),
    ("/api/search", {"q": "الذهب", "per_page": "1000"}, 422, "per_page"),
    ("/api/search", {"q": "الذهب", "per_page": "0"}, 422, "per_page"),
    ("/api/search", {"q": "الذهب", "site": "x" * 300}, 422, "site"),
    ("/api/articles/-1", {}, 422, "article_id"),
    ("/api/articles/abc", {}, 422, "article_id"),
    ("/api/articles/" + "9" * 30, {}, 422, "article_id"),
    ("/api/export", {"q": "الذهب", "format": "xml"}, 422, "format"),
    ("/api/export", {"q": "الذهب", "until": "not-a-date"}, 422, "until"),
    ("/api/runs", {"limit": "100000"}, 422, "limit"),
    ("/api/nothing-here", {}, 404, "Not Found"),
])
def test_bad_input_is_a_clear_4xx(client, path, params, status, message):
    """Bad input: the right 4xx with a message naming the problem, never the input echoed."""
    response = client.get(path, params=params)
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert message in body["detail"], body
    assert len(response.content) < 2000
    assert "Traceback" not in response.text


@pytest.mark.parametrize(("params", "arabic"), [
    ({"q": "ا" * 5000}, "نص البحث أطول"),
    ({"q": "الذهب", "page": "-1"}, "رقم الصفحة"),
    ({"q": "الذهب", "per_page": "1000"}, "عدد النتائج في الصفحة"),
    ({"q": "الذهب", "since": "2025-02-30"}, "التاريخ غير صالح"),
    ({"q": "الذهب", "since": "2025-03-14", "until": "2025-03-01"}, "تاريخ البداية بعد"),
])
def test_bad_input_on_the_page_is_explained_in_arabic(client, params, arabic):
    """The search page answers bad input with 422, the form, and a message in Arabic."""
    response = client.get("/", params=params)
    assert response.status_code == 422
    assert arabic in response.text
    assert 'id="search-form"' in response.text
    assert "Traceback" not in response.text
    assert len(response.text) < 20_000  # the 100 KB query is not echoed back


def test_a_crash_shows_no_trace(database, monkeypatch):
    """An internal error is logged and answered with a generic 500, without its details."""
    def explode(*args, **kwargs):
        raise RuntimeError("secret detail /etc/passwd")

    monkeypatch.setattr(web_views.query, "get_article", explode)
    with TestClient(create_app(database), raise_server_exceptions=False) as client:
        api = client.get("/api/articles/1")
        page = client.get("/articles/1")
    assert api.status_code == 500 and api.json() == {"detail": "internal error"}
    assert page.status_code == 500 and "حدث خطأ داخلي" in page.text
    for response in (api, page):
        assert "secret detail" not in response.text and "Traceback" not in response.text


# --- safety ----------------------------------------------------------------------------------


def test_the_app_cannot_write(client):
    """The app's engines are read-only: a write through them fails, the data stays."""
    for engine in (client.app.state.engine, client.app.state.export_engine):
        for statement in ("DELETE FROM articles", "UPDATE articles SET title = 'x'",
                          "CREATE TABLE evil (id integer)"):
            with engine.connect() as connection, pytest.raises(DBAPIError):
                connection.execute(text(statement))
                connection.commit()
    with client.app.state.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 12


def test_statements_have_a_time_budget(database):
    """A statement that runs too long is stopped and recognised as a timeout."""
    engine = readonly_engine(database, timeout=0.2)
    slow = ("SELECT pg_sleep(2)" if database.startswith("postgresql") else
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r")
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
            connection.execute(text(slow)).all()
        assert is_timeout(raised.value)
    finally:
        engine.dispose()


def test_token_is_required_when_set(sqlite_url):
    """With a token, requests need it: as a bearer header, or once in the URL, then a cookie."""
    with TestClient(create_app(sqlite_url, token=TOKEN)) as client:
        denied = client.get("/api/search", params={"q": "الذهب"})
        assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/api/search", params={"q": "الذهب"},
                          headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/openapi.json").status_code == 401
        page = client.get("/", params={"q": "الذهب"})
        assert page.status_code == 401 and "مطلوب رمز الدخول" in page.text
        assert client.get("/api/search", params={"q": "الذهب"},
                          headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/api/search", params={"q": "الذهب", "token": TOKEN}).status_code == 200
        assert client.get("/static/style.css").status_code == 200  # public package files

        opened = client.get(f"/?q={quote('الذهب')}&token={TOKEN}", follow_redirects=False)
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/?q={quote('الذهب')}"
        cookie = opened.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
        assert client.get(opened.headers["location"]).status_code == 200  # the cookie is kept
        client.cookies.clear()
        assert client.get("/sites").status_code == 401


def test_host_header_is_checked_on_loopback(sqlite_url):
    """Bound to loopback, only requests naming the machine are answered (no DNS rebinding)."""
    app = create_app(sqlite_url, allowed_hosts=["127.0.0.1", "localhost", "::1"])
    with TestClient(app, base_url="http://evil.example") as client:
        assert client.get("/").status_code == 400
        for host in ("127.0.0.1:8000", "localhost", "[::1]:8000"):
            assert client.get("/", headers={"host": host}).status_code == 200


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_serve_refuses_a_public_address_without_a_token(monkeypatch, capsys, sqlite_url):
    monkeypatch.delenv("NEWSBOT_WEB_TOKEN", raising=False)
    assert serve_main(["--host", "0.0.0.0", "--db", sqlite_url]) == 2
    assert "NEWSBOT_WEB_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("NEWSBOT_WEB_TOKEN", "short")
    assert serve_main(["--host", "0.0.0.0", "--db", sqlite_url]) == 2
    assert "too short" in capsys.readouterr().err


def test_serve_explains_a_missing_database(tmp_path, capsys):
    assert serve_main(["--db", f"sqlite:///{tmp_path / 'none.db'}"]) == 1
    assert "no database at" in capsys.readouterr().err
    with pytest.raises(DatabaseUnavailable):
        readonly_engine(f"sqlite:///{tmp_path / 'none.db'}")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.4", False),
    ("example.com", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


# --- versions --------------------------------------------------------------------------------


def test_versions_show_what_changed(versioned_url):
    """A corrected article has two versions; the newer one's words are marked as changed."""
    with TestClient(create_app(versioned_url)) as client:
        hit = find(client, "الذهب")["hits"][0]
        article = client.get(f"/api/articles/{hit['id']}").json()
        assert [v["version"] for v in article["versions"]] == [1, 2]
        assert article["version"] == 2 and article["crawl_count"] == 2
        change = article["changes"][0]
        assert change["version"] == 2 and change["title"] is None
        pieces = [piece for paragraph in change["paragraphs"] for piece in paragraph]
        assert ["-", "1.2 "] in pieces and ["+", "1.5 "] in pieces
        assert ["-", "الخامسة "] in pieces and ["+", "السادسة "] in pieces
        html = client.get(f"/articles/{hit['id']}").text
        assert "<del>1.2 </del><ins>1.5 </ins>" in html
        assert "من النسخة 1 إلى النسخة 2" in html


# --- the pieces ------------------------------------------------------------------------------


def test_word_diff_rebuilds_both_texts():
    old, new = "ارتفع الذهب اليوم بنسبة 1.2", "ارتفع سعر الذهب اليوم بنسبة 1.5 في المئة"
    pieces = word_diff(old, new)
    assert "".join(t for op, t in pieces if op != "+") == old
    assert "".join(t for op, t in pieces if op != "-") == new
    assert ("+", "سعر ") in pieces


def test_paragraphs_diff_marks_skipped_paragraphs():
    diff = paragraphs_diff(["أ", "ب", "ج", "د"], ["أ", "ب ب", "ج", "هـ"])
    assert diff == [[("+", "ب "), ("=", "ب")], [("=", "…")], [("-", "د"), ("+", "هـ")]]


def test_highlight_escapes_and_marks():
    assert str(highlight("<b>الذهب</b>", [(3, 8), (0, 99), (5, 4)])) == (
        "&lt;b&gt;<mark>الذهب</mark>&lt;/b&gt;")


@pytest.mark.parametrize(("url", "ok"), [
    ("https://www.youm7.com/a/1", True), ("http://x.test/", True),
    ("javascript:alert(1)", False), ("data:text/html,x", False), ("//evil", False), (None, False),
])
def test_only_web_links_are_linked(url, ok):
    assert (web_url(url) is not None) is ok


@pytest.mark.parametrize(("n", "text"), [
    (0, "لا نتائج"), (1, "نتيجة واحدة"), (2, "نتيجتان"), (5, "5 نتائج"), (11, "11 نتيجة"),
    (103, "103 نتائج"), (1500, "1,500 نتيجة"),
])
def test_results_count_in_arabic(n, text):
    assert results_count(n) == text
