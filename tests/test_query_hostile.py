"""Search with hostile input: it answers or raises QueryError, never a database error."""

from __future__ import annotations

import contextlib
import datetime as dt
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from newsbot import query
from newsbot.items import Article
from pipelines.db import upsert_articles
from pipelines.schema import articles

NOW = dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC)
TEXTS = [
    ("الجرائم الإلكترونية", "ارتفعت الجرائم بنسبة 50% في عام 2024."),
    (
        'O\'Brien says "no"',
        "A quote: 'yes' and \"no\"; 100% sure_thing C:\\path (NEAR) AND OR NOT.",
    ),
    ("مباراة كرة القدم", "فاز الفريق 3-1 😀 في المباراة النهائية."),
]

HOSTILE = [
    '"',
    '""',
    '"""',
    "'",
    "''",
    "جرائم'",
    '"جرائم',
    "*",
    "جرا*",
    "NEAR",
    "NEAR(جرائم الإلكترونية)",
    "NEAR(a b, 2)",
    "OR",
    "AND",
    "NOT",
    "جرائم OR كرة",
    "جرائم NOT كرة",
    "^جرائم",
    "^",
    ":",
    "title_search:جرائم",
    "{title_search text_search}: جرائم",
    "text_search : x",
    "(",
    ")",
    "(جرائم",
    "((((",
    "%",
    "%%",
    "_",
    "50%",
    "sure_thing",
    "\\",
    "C:\\path",
    "\\%",
    "'; DROP TABLE articles; --",
    '"; DROP TABLE articles; --',
    "1 OR 1=1",
    "') OR ('1'='1",
    "*/ SELECT * FROM articles /*",
    "\x00",
    "جرائم\x00",
    "a\x00b",
    "\x01\x02\x1f",
    "😀",
    "😀😀😀",
    "\u200f\u200e",  # RTL and LTR marks only
    "\u200fجرائم\u200f",
    "\u202eجرائم",
    "\ufeff",
    "\ud800",  # a lone surrogate
    "جرائم\udfff",
    "+ - ~ @ # $ & | ! ?",
    "-جرائم",
    "a" * 200,
    "ج" * 199 + " x",
    "NULL",
    "null",
    "%' OR '1'='1",
    "$1",
    "%(x)s",
    ":match",
]


def _store(engine) -> None:
    items = [
        Article(
            url=f"https://a.example/{n}",
            canonical_url=f"https://a.example/{n}",
            site="a.example",
            title=title,
            paragraphs=[body],
            published_at="2025-03-15T10:00:00+00:00",
        )
        for n, (title, body) in enumerate(TEXTS)
    ]
    with sessionmaker(engine).begin() as session:
        upsert_articles(session, items, NOW)


def _intact(engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(articles)).scalar() == 3
    assert {hit.title for hit in query.search(engine, "جرائم").hits} == {"الجرائم الإلكترونية"}


@pytest.fixture
def stocked(engine):
    _store(engine)
    return engine


@pytest.mark.parametrize("text", HOSTILE, ids=[f"{n:02d}" for n in range(len(HOSTILE))])
def test_hostile_queries_answer_or_refuse(stocked, text):
    """Quotes, FTS5 syntax, LIKE wildcards, SQL, NUL, emoji, bidi marks: results or QueryError."""
    try:
        result = query.search(stocked, text)
    except query.QueryError:
        pass
    else:
        assert result.total == len(result.hits) <= 3
        for hit in result.hits:
            assert all(0 <= s < e <= len(hit.snippet) for s, e in hit.highlights)
    _intact(stocked)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'", {1}),  # literal characters, not syntax
        ('"no"', {1}),
        ("50%", {0}),
        ("%", {0, 1}),
        ("_", {1}),
        ("sure_thing", {1}),
        ("c:\\path", {1}),
        ("\\", {1}),
        ("(near)", {1}),
        ("near", {1}),
        ("or", {1}),  # in "or" of OR and in "sure"... as a substring
        ("not", {1}),
        ("😀", {2}),
        ("\u200fجرائم\u200f", {0}),  # bidi marks are dropped, as in the stored text
        ("جرائم\x00", {0}),
    ],
)
def test_special_characters_are_searched_literally(stocked, text, expected):
    """Operators and wildcards match themselves; invisible marks and NUL are ignored."""
    found = {int(hit.url.rsplit("/", 1)[1]) for hit in query.search(stocked, text).hits}
    assert found == expected


@pytest.mark.parametrize(
    "text",
    ["", " ", "\t\n  \u00a0", "\u200f\u200e", "\x00", "\x00 \x01", "\u0640"],
    ids=["empty", "space", "whitespace", "marks", "nul", "controls", "tatweel"],
)
def test_empty_queries_are_refused(stocked, text):
    """A query with nothing searchable left raises QueryError saying so."""
    with pytest.raises(query.QueryError, match="empty"):
        query.search(stocked, text)


@pytest.mark.parametrize("size", [201, 5_000, 1_000_000])
def test_long_queries_are_refused_fast(stocked, size):
    """Over MAX_QUERY_CHARS once normalised, a query is refused (not truncated), at once."""
    text = ("جرائم " * (size // 6 + 1))[:size]
    started = time.perf_counter()
    with pytest.raises(query.QueryError, match="too long"):
        query.search(stocked, text)
    assert time.perf_counter() - started < 0.5
    _intact(stocked)


def test_a_query_long_only_before_normalisation_is_accepted(stocked):
    """Diacritics and spaces do not count against the limit: it applies to the search form."""
    text = "الجَرَائِمُ" + " " * 250
    assert len(text) > query.MAX_QUERY_CHARS
    assert query.search(stocked, text).total == 1


@pytest.mark.parametrize(
    "filters",
    [
        {"site": "'; DROP TABLE articles; --"},
        {"site": "%"},
        {"site": "a.example' OR '1'='1"},
        {"site": "\x00"},
    ],
)
def test_hostile_filters_match_nothing(stocked, filters):
    """A site is compared as a value: hostile ones match no article."""
    with contextlib.suppress(query.QueryError):
        assert query.search(stocked, "جرائم", **filters).hits == []
    _intact(stocked)


@pytest.mark.parametrize("value", ["2025-03-15'; DROP TABLE articles; --", "now()", "1=1", "\x00"])
def test_hostile_dates_are_refused(stocked, value):
    """A date that is not a date raises QueryError."""
    with pytest.raises(query.QueryError):
        query.search(stocked, "جرائم", since=value)
    _intact(stocked)


def test_a_slow_search_is_stopped(stocked, monkeypatch):
    """A search running past STATEMENT_TIMEOUT is cancelled and reported as a QueryError."""
    monkeypatch.setattr(query, "STATEMENT_TIMEOUT", 0.001)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"

    def forever(connection, *args):
        connection.exec_driver_sql(slow)

    monkeypatch.setattr(query, "_sqlite_page", forever)
    monkeypatch.setattr(query, "_postgres_page", forever)
    started = time.perf_counter()
    with pytest.raises(query.QueryError, match="took longer"):
        query.search(stocked, "جرائم")
    assert time.perf_counter() - started < 5
    monkeypatch.undo()
    _intact(stocked)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=60))
def test_any_text_answers_or_refuses(stocked, text):
    """Whatever the text, search returns results or raises QueryError."""
    with contextlib.suppress(query.QueryError):
        query.search(stocked, text, limit=5)
