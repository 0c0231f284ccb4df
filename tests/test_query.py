"""The read side: search, one article, export streams, stats, and their commands."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import time
import tracemalloc

import pytest
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import sessionmaker

from newsbot import query, querycli
from newsbot.items import Article
from newsbot.text import search_key
from pipelines.db import upsert_articles
from pipelines.schema import articles, crawl_runs

NOW = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.UTC)


def _article(
    n: int | str,
    title: str | None,
    *paragraphs: str,
    site: str = "a.example",
    published: str | None = "2025-03-15T10:00:00+00:00",
    headings: tuple[str, ...] = (),
    captions: tuple[str, ...] = (),
    images: tuple[dict, ...] = (),
) -> Article:
    url = f"https://{site}/news/{n}"
    return Article(
        url=url,
        canonical_url=url,
        site=site,
        title=title,
        published_at=published,
        paragraphs=list(paragraphs),
        headings=list(headings),
        captions=list(captions),
        images=list(images),
    )


def _store(engine, *items: Article, now: dt.datetime = NOW) -> None:
    with sessionmaker(engine).begin() as session:
        upsert_articles(session, list(items), now)


def _urls(result: query.SearchResult) -> list[str]:
    return [hit.url for hit in result.hits]


def _found(engine, text: str, **filters) -> set[str]:
    return set(_urls(query.search(engine, text, limit=100, **filters)))


def _url(n: int | str, site: str = "a.example") -> str:
    return f"https://{site}/news/{n}"


# --- matching --------------------------------------------------------------------------------


def test_a_word_finds_its_prefixed_broken_and_vocalised_forms(engine):
    """ "جرائم" finds الجرائم, والجرائم, الجـ.رائم and الجرائِم, and not unrelated text."""
    _store(
        engine,
        _article(1, "تقرير عن الجرائم الإلكترونية", "نص التقرير."),
        _article(2, "خبر", "ارتفعت معدلات السرقة والجرائم في المدينة."),
        _article(3, "خبر آخر", "حملة على الجـ.رائم المنظمة."),
        _article(4, "عنوان", "نص", captions=("صورة من موقع الجرائِم",)),
        _article(5, "الجريمة والعقاب", "رواية عن جريمة واحدة."),
        _article(6, "مباراة كرة القدم", "فاز الفريق."),
    )

    result = query.search(engine, "جرائم")

    assert set(_urls(result)) == {_url(1), _url(2), _url(3), _url(4)}
    assert (result.total, result.total_capped, result.key) == (4, False, "جرائم")
    # The query is normalised as the stored text is.
    assert _found(engine, "الجرائِم") == {_url(1), _url(2), _url(3), _url(4)}
    assert _found(engine, "الجـ.رائم") == {_url(1), _url(2), _url(3), _url(4)}


def test_headings_and_captions_are_searched(engine):
    """A word only in a heading or a caption finds its article."""
    _store(
        engine,
        _article(1, "عنوان", "نص", headings=("ميناء طرطوس",)),
        _article(2, "عنوان", "نص", captions=("صورة من ميناء اللاذقية",)),
    )
    assert _found(engine, "طرطوس") == {_url(1)}
    assert _found(engine, "ميناء") == {_url(1), _url(2)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("غز", {1, 2}),  # two letters: not in the trigram index, found all the same
        ("ة", {1, 2, 3}),  # one letter (ة is searched as ه)
        ("غز قصف", {1}),  # a short term and a long one
        ("في غز", {2}),  # two short terms
    ],
)
def test_short_terms_are_found(engine, text, expected):
    """Terms of one or two letters match like longer ones."""
    _store(
        engine,
        _article(1, "قصف على غزة", "نص."),
        _article(2, "خبر", "مساعدات في غزة."),
        _article(3, "الضفة الغربية", "نص."),
    )
    assert _found(engine, text) == {_url(n) for n in expected}


def test_every_term_must_match(engine):
    """Words are ANDed, in any order and anywhere in the article."""
    _store(
        engine,
        _article(1, "الجرائم", "في الحرب الأهلية."),
        _article(2, "الجرائم", "الاقتصادية."),
        _article(3, "الحرب", "الباردة."),
    )
    assert _found(engine, "جرائم الحرب") == {_url(1)}
    assert _found(engine, "الحرب جرائم") == {_url(1)}
    assert _found(engine, "جرائم حرب باردة") == set()


def test_a_title_match_comes_first(engine):
    """An article with the word in its title outranks one that repeats it in its text."""
    _store(
        engine,
        _article(1, "أخبار اليوم", *["الانتخابات البرلمانية والانتخابات المحلية"] * 20),
        _article(2, "نتائج الانتخابات", "أعلنت اللجنة النتائج."),
        _article(3, "الطقس", "مشمس."),
    )
    result = query.search(engine, "انتخابات")
    assert _urls(result) == [_url(2), _url(1)]
    assert result.hits[0].score >= result.hits[1].score


def test_recent_articles_come_first_among_equals(engine):
    """Without a title match, the newest article comes first."""
    _store(
        engine,
        _article(1, "خبر", "الانتخابات.", published="2025-03-01T10:00:00+00:00"),
        _article(2, "خبر", "الانتخابات.", published="2025-03-10T10:00:00+00:00"),
        _article(3, "خبر", "الانتخابات.", published=None),
    )
    assert _urls(query.search(engine, "انتخابات")) == [_url(2), _url(1), _url(3)]


# --- filters and pages -----------------------------------------------------------------------


def test_site_since_and_until_filter(engine):
    """--site keeps one site; since/until bound the publication time, a date meaning its
    whole UTC day; an article without a date is left out by either."""
    _store(
        engine,
        _article(1, "الانتخابات", site="a.example", published="2025-03-01T08:00:00+00:00"),
        _article(2, "الانتخابات", site="b.example", published="2025-03-10T23:30:00+00:00"),
        _article(3, "الانتخابات", site="a.example", published="2025-03-11T00:00:00+00:00"),
        _article(4, "الانتخابات", site="a.example", published=None),
    )
    a1, b2, a3, a4 = _url(1), _url(2, "b.example"), _url(3), _url(4)

    assert _found(engine, "انتخابات") == {a1, b2, a3, a4}
    assert _found(engine, "انتخابات", site="a.example") == {a1, a3, a4}
    assert _found(engine, "انتخابات", site="c.example") == set()
    assert _found(engine, "انتخابات", since=dt.date(2025, 3, 10)) == {b2, a3}
    assert _found(engine, "انتخابات", until=dt.date(2025, 3, 10)) == {a1, b2}
    assert _found(engine, "انتخابات", since="2025-03-10", until="2025-03-10") == {b2}
    assert _found(engine, "انتخابات", until=dt.datetime(2025, 3, 10, 23, 0)) == {a1}
    assert _found(
        engine, "انتخابات", site="a.example", since=dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
    ) == {a1, a3}
    # A time in another zone is compared in UTC: 02:45+03:00 is 23:45 UTC the day before.
    plus3 = dt.timezone(dt.timedelta(hours=3))
    assert _found(engine, "انتخابات", since=dt.datetime(2025, 3, 11, 2, 45, tzinfo=plus3)) == {a3}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "2025-03-11", "until": "2025-03-10"}, "is after until"),
        ({"since": "yesterday"}, "since must be a date"),
        ({"until": 20250310}, "until must be a date"),
        ({"limit": 0}, "limit must be"),
        ({"limit": 101}, "limit must be"),
        ({"limit": "10"}, "limit must be"),
        ({"offset": -1}, "offset must be"),
        ({"site": ["a.example"]}, "site must be text"),
    ],
)
def test_bad_filters_are_refused(engine, kwargs, message):
    """Bad limits, offsets and dates raise QueryError (a ValueError) saying what is wrong."""
    with pytest.raises(query.QueryError, match=message):
        query.search(engine, "انتخابات", **kwargs)
    assert issubclass(query.QueryError, ValueError)


def test_pages_cover_every_match_once(engine):
    """limit and offset page through the ranked matches without gaps or repeats."""
    _store(
        engine,
        *(
            _article(n, f"خبر {n}", "الانتخابات.", published=f"2025-03-{n - 9:02d}T10:00:00+00:00")
            for n in range(10, 35)  # titles of one length: BM25 ties, recency decides
        ),
        _article(99, "أخبار", "الطقس."),
    )
    pages = [query.search(engine, "انتخابات", limit=10, offset=at) for at in (0, 10, 20, 30)]

    assert [len(page.hits) for page in pages] == [10, 10, 5, 0]
    assert all(page.total == 25 for page in pages)
    urls = [url for page in pages for url in _urls(page)]
    assert urls == [_url(n) for n in range(34, 9, -1)]  # newest first
    assert urls == _urls(query.search(engine, "انتخابات", limit=100))


def test_the_total_is_capped(engine, monkeypatch):
    """Past TOTAL_CAP matches the count stops and says so."""
    monkeypatch.setattr(query, "TOTAL_CAP", 3)
    _store(engine, *(_article(n, "الانتخابات") for n in range(5)))
    result = query.search(engine, "انتخابات")
    assert (result.total, result.total_capped, len(result.hits)) == (3, True, 5)


def _ranking_fixture(engine) -> None:
    dates = [f"2025-03-{1 + n % 9:02d}T10:00:00+00:00" for n in range(24)]  # ties in time
    _store(
        engine,
        *(
            _article(
                n,
                f"الانتخابات {n}" if n % 6 == 0 else f"خبر {n}",
                "نص عن الانتخابات.",
                published=when,
            )
            for n, when in enumerate(dates)
        ),
        *(_article(100 + n, "خبر", "الانتخابات بلا تاريخ.", published=None) for n in range(4)),
        _article(200, "الطقس", "مشمس."),
    )


def _pages(engine, **filters) -> list[list[str]]:
    return [
        _urls(query.search(engine, "انتخابات", limit=7, offset=at, **filters))
        for at in range(0, 35, 7)
    ]


def test_every_plan_ranks_alike(engine, monkeypatch):
    """However a search is run, pages come in one order: on SQLite, from the index alone or
    joined with the rows (any filter); on PostgreSQL, past TOTAL_CAP matches, in date order
    or whole."""
    _ranking_fixture(engine)
    expected = _pages(engine, site="a.example")
    assert [len(page) for page in expected] == [7, 7, 7, 7, 0]
    assert sorted(url for page in expected for url in page) == sorted(
        [_url(n) for n in range(24)] + [_url(n) for n in range(100, 104)]
    )
    assert _pages(engine) == expected
    monkeypatch.setattr(query, "TOTAL_CAP", 5)
    for pays in (True, False):
        monkeypatch.setattr(query, "_ordered_scan_pays", lambda *_args, pays=pays: pays)
        assert _pages(engine) == expected
        assert _pages(engine, site="a.example") == expected
    assert query.search(engine, "انتخابات").total_capped


# --- snippets --------------------------------------------------------------------------------


def test_highlights_point_at_the_matching_words(engine):
    """Each highlight is a word of the snippet whose search form holds a term; the snippet
    is display text (vocalised, as published) around the first match."""
    long_before = " ".join(["كلام"] * 100)
    body = f"{long_before} قالت الشرطة إن الجرائِم تراجعت، وإن جرائم السرقة والجرائم الأخرى أقل."
    _store(engine, _article(1, "تقرير الشرطة عن الجرائم", body))

    [hit] = query.search(engine, "شرطه جرائم").hits

    marked = [hit.snippet[start:end] for start, end in hit.highlights]
    assert marked == ["الشرطة", "الجرائِم", "جرائم", "والجرائم"]
    assert hit.snippet.startswith("… ")  # cut: the match is far into the text
    assert len(hit.snippet) <= query.SNIPPET_CHARS + 10
    assert "الجرائِم تراجعت،" in hit.snippet  # display form, vocalised as published
    assert [hit.title[s:e] for s, e in hit.title_highlights] == ["الشرطة", "الجرائم"]
    for start, end in hit.highlights:
        assert any(term in search_key(hit.snippet[start:end]) for term in ("شرطه", "جرائم"))


def test_a_snippet_falls_back_to_headings_captions_and_title(engine):
    """When the body does not hold the word, the snippet comes from where it is."""
    _store(
        engine,
        _article(1, "عنوان", "نص بلا كلمة.", captions=("صورة من ميناء طرطوس",)),
        _article(2, "ميناء طرطوس", "نص بلا كلمة."),
    )
    hits = {hit.url: hit for hit in query.search(engine, "طرطوس").hits}
    caption, title = hits[_url(1)], hits[_url(2)]
    assert caption.snippet == "صورة من ميناء طرطوس"
    assert [caption.snippet[s:e] for s, e in caption.highlights] == ["طرطوس"]
    assert title.snippet == "ميناء طرطوس"


def test_make_snippet_bounds_its_length():
    """A long text gives a window of about SNIPPET_CHARS, cut with "…" on both sides; a
    word longer than the window is cut too."""
    words = [f"كلمة{n}" for n in range(200)]
    words[100] = "الهدف"
    snippet, spans = query.make_snippet([" ".join(words)], ["هدف"])
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet) <= query.SNIPPET_CHARS + 4
    assert [snippet[s:e] for s, e in spans] == ["الهدف"]

    snippet, spans = query.make_snippet(["ا" * 1000 + "هدف"], ["هدف"])
    assert len(snippet) == query.SNIPPET_CHARS + 1 and spans == [(0, len(snippet))]
    assert query.make_snippet(["", "  "], ["x"]) == ("", [])


# --- the index follows the store -------------------------------------------------------------


def test_an_updated_article_is_found_by_its_new_text_only(engine):
    """A re-crawl with new text re-indexes the article; an unchanged re-crawl keeps it."""
    _store(engine, _article(1, "خبر", "الجرائم الإلكترونية."), _article(2, "آخر", "الطقس."))
    _store(engine, _article(1, "خبر", "الانتخابات البلدية."), now=NOW + dt.timedelta(hours=1))

    assert _found(engine, "جرائم") == set()
    assert _found(engine, "انتخابات") == {_url(1)}

    # Unchanged text: only the crawl is counted, the index is untouched.
    _store(engine, _article(1, "خبر", "الانتخابات البلدية."), now=NOW + dt.timedelta(hours=2))
    _store(engine, _article(2, "آخر", "الطقس."), now=NOW + dt.timedelta(hours=2))
    assert _found(engine, "انتخابات") == {_url(1)}
    assert _found(engine, "طقس") == {_url(2)}
    _check_index(engine)


def test_a_deleted_article_is_gone(engine):
    """An article deleted from the table is no longer found."""
    _store(engine, _article(1, "الجرائم", "نص."), _article(2, "الجرائم", "نص."))
    with engine.begin() as connection:
        connection.execute(delete(articles).where(articles.c.canonical_url == _url(1)))
    assert _found(engine, "جرائم") == {_url(2)}
    assert query.search(engine, "جرائم").total == 1
    _check_index(engine)


def test_a_batch_with_new_and_changed_articles_is_indexed(engine):
    """One upsert of new, changed and unchanged articles leaves the index exact."""
    _store(engine, *(_article(n, f"خبر {n}", "قديم") for n in range(10)))
    _store(
        engine,
        *(_article(n, f"خبر {n}", "جديد" if n % 2 else "قديم") for n in range(15)),
        now=NOW + dt.timedelta(hours=1),
    )
    assert _found(engine, "قديم") == {_url(n) for n in range(0, 15, 2)}
    assert _found(engine, "جديد") == {_url(n) for n in range(1, 15, 2)}
    _check_index(engine)


def _check_index(engine) -> None:
    """SQLite: the FTS index agrees with the articles (FTS5's own integrity check)."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"
            )


# --- one article -----------------------------------------------------------------------------


def test_get_article_gives_columns_images_and_versions(engine):
    """get_article: every column, images by position, versions oldest first."""
    pictures = (
        {"src": "https://a.example/1.jpg", "alt": "أ", "caption": "الأولى", "credit": "أ ف ب"},
        {"src": "https://a.example/2.jpg", "alt": None, "caption": None, "credit": None},
    )
    _store(engine, _article(1, "العنوان الأول", "الفقرة الأولى.", images=pictures))
    _store(
        engine,
        _article(1, "العنوان المصحح", "الفقرة المصححة.", images=pictures[::-1]),
        now=NOW + dt.timedelta(hours=1),
    )
    [hit] = query.search(engine, "مصحح").hits

    article = query.get_article(engine, hit.id)

    assert article["title"] == "العنوان المصحح"
    assert article["paragraphs"] == ["الفقرة المصححة."]
    assert article["published_at"] == dt.datetime(2025, 3, 15, 10, tzinfo=dt.UTC)
    assert article["last_crawled_at"] == NOW + dt.timedelta(hours=1)
    assert set(article) >= {c.name for c in articles.columns} | {"images", "versions"}
    assert [(i["position"], i["src"]) for i in article["images"]] == [
        (0, "https://a.example/2.jpg"),
        (1, "https://a.example/1.jpg"),
    ]
    assert [
        (v["version"], v["title"], v["paragraphs"], v["crawled_at"]) for v in article["versions"]
    ] == [
        (1, "العنوان الأول", ["الفقرة الأولى."], NOW),
        (2, "العنوان المصحح", ["الفقرة المصححة."], NOW + dt.timedelta(hours=1)),
    ]
    assert all(len(v["content_hash"]) == 64 for v in article["versions"])
    assert query.get_article(engine, hit.id + 1000) is None
    with pytest.raises(query.QueryError):
        query.get_article(engine, "1 OR 1=1")


# --- stats -----------------------------------------------------------------------------------


def test_site_counts_and_sites_summary(engine):
    """Articles per site and per UTC day of publication, within the window; per site totals."""
    today = dt.datetime.now(dt.UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    yesterday, old = today - dt.timedelta(days=1), today - dt.timedelta(days=30)
    _store(
        engine,
        _article(1, "أ", site="a.example", published=today.isoformat()),
        _article(2, "ب", site="a.example", published=today.isoformat()),
        _article(3, "ج", site="a.example", published=yesterday.isoformat()),
        _article(4, "د", site="b.example", published=yesterday.isoformat()),
        _article(5, "ه", site="b.example", published=old.isoformat()),
        _article(6, "و", site="b.example", published=None),
    )

    assert query.site_counts(engine, days=7) == [
        {"site": "a.example", "day": yesterday.date(), "count": 1},
        {"site": "b.example", "day": yesterday.date(), "count": 1},
        {"site": "a.example", "day": today.date(), "count": 2},
    ]
    assert len(query.site_counts(engine, days=31)) == 4
    assert query.sites_summary(engine) == [
        {"site": "a.example", "articles": 3, "last_published": today, "last_crawled": NOW},
        {"site": "b.example", "articles": 3, "last_published": yesterday, "last_crawled": NOW},
    ]


def test_recent_runs_newest_first(engine):
    """recent_runs lists crawl runs, newest first, with aware UTC times."""
    with engine.begin() as connection:
        connection.execute(
            insert(crawl_runs),
            [
                {
                    "spider": "news",
                    "sites": ["a.example"],
                    "started_at": NOW - dt.timedelta(hours=n),
                    "finished_at": NOW - dt.timedelta(hours=n) + dt.timedelta(minutes=5),
                    "status": "finished",
                    "pages": 10 * n,
                    "items_stored": n,
                    "items_dropped": {"empty_body": 1},
                    "errors": 0,
                }
                for n in range(1, 5)
            ],
        )
    runs = query.recent_runs(engine, limit=3)
    assert [run["pages"] for run in runs] == [10, 20, 30]
    assert runs[0]["started_at"] == NOW - dt.timedelta(hours=1)
    assert runs[0]["items_dropped"] == {"empty_body": 1}


# --- export ----------------------------------------------------------------------------------


def _export_fixture(engine) -> list[Article]:
    items = [
        _article(
            1,
            'عنوان "مقتبس"، وفاصلة',
            "الفقرة الأولى.",
            "الفقرة الثانية،\nبسطر جديد.",
            headings=("عنوان فرعي",),
            captions=("تعليق",),
            images=(
                {
                    "src": "https://a.example/1.jpg",
                    "alt": None,
                    "caption": "تعليق",
                    "credit": "وكالة",
                },
            ),
        ),
        _article(2, None, "نص فقط.", site="b.example", published=None),
        _article(3, "ثالث", "نص.", published="2025-03-18T10:00:00+00:00"),
    ]
    items[0].authors = ["سارة الحسيني"]
    items[0].tags = ["سياسة", "انتخابات"]
    items[0].blocks = [
        {"type": "heading", "text": "عنوان فرعي", "level": 2},
        {"type": "paragraph", "text": "الفقرة الأولى."},
        {
            "type": "image",
            "src": "https://a.example/1.jpg",
            "alt": None,
            "caption": "تعليق",
            "credit": "وكالة",
        },
    ]
    _store(engine, *items)
    return items


def _expected(engine) -> list[dict]:
    """What an export must hold: iter_articles, checked here against get_article."""
    rows = list(query.iter_articles(engine, batch_size=2))
    for row in rows:
        full = query.get_article(engine, row["id"])
        assert {k: v for k, v in row.items() if k != "images"} == {
            k: full[k] for k in query.EXPORT_COLUMNS if k != "images"
        }
        assert row["images"] == [
            {k: i[k] for k in ("position", "src", "alt", "caption", "credit")}
            for i in full["images"]
        ]
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    return rows


def _db(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_iter_articles_filters(engine):
    """iter_articles takes the same site/since/until filters as search."""
    _export_fixture(engine)
    assert [r["url"] for r in query.iter_articles(engine, site="b.example")] == [
        _url(2, "b.example")
    ]
    assert [r["url"] for r in query.iter_articles(engine, since="2025-03-16")] == [_url(3)]
    assert [r["url"] for r in query.iter_articles(engine, until="2025-03-16")] == [_url(1)]


def test_export_jsonl_round_trip(engine, tmp_path):
    """JSON lines: one object per article with every exported column, times in ISO 8601."""
    _export_fixture(engine)
    expected = _expected(engine)
    out = tmp_path / "articles.jsonl"

    assert querycli.export_main(["--db", _db(engine), "--output", str(out)]) == 0

    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line, row in zip(lines, expected, strict=True):
        data = json.loads(line)
        assert list(data) == list(query.EXPORT_COLUMNS)
        for key, value in row.items():
            if isinstance(value, dt.datetime):
                assert dt.datetime.fromisoformat(data[key]) == value
            else:
                assert data[key] == value, key


def test_export_csv_round_trip(engine, tmp_path):
    """CSV: a header, one row per article, lists as JSON, None as an empty cell."""
    _export_fixture(engine)
    expected = _expected(engine)
    out = tmp_path / "articles.csv"

    assert querycli.export_main(["--db", _db(engine), "--format", "csv", "-o", str(out)]) == 0

    with out.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 3
    for got, row in zip(rows, expected, strict=True):
        assert list(got) == list(query.EXPORT_COLUMNS)
        for key, value in row.items():
            if isinstance(value, list | dict):
                assert json.loads(got[key]) == value, key
            elif isinstance(value, dt.datetime):
                assert dt.datetime.fromisoformat(got[key]) == value
            elif value is None:
                assert got[key] == ""
            else:
                assert got[key] == str(value), key


def test_export_parquet_round_trip(engine, tmp_path):
    """Parquet: typed columns (times in UTC, lists as lists, images as structs)."""
    pq = pytest.importorskip("pyarrow.parquet")
    _export_fixture(engine)
    expected = _expected(engine)
    out = tmp_path / "articles.parquet"

    assert querycli.export_main(["--db", _db(engine), "--format", "parquet", "-o", str(out)]) == 0

    table = pq.read_table(out)
    assert table.column_names == list(query.EXPORT_COLUMNS)
    for got, row in zip(table.to_pylist(), expected, strict=True):
        for key, value in row.items():
            if key == "blocks":  # structs: every key, absent ones None
                assert [{k: v for k, v in b.items() if v is not None} for b in got[key]] == [
                    {k: v for k, v in b.items() if v is not None} for b in value
                ]
            else:
                assert got[key] == value, key


def test_export_parquet_without_pyarrow_says_what_to_install(engine, monkeypatch, capsys):
    """Without pyarrow, --format parquet fails at once with the pip command."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert querycli.export_main(["--db", _db(engine), "--format", "parquet", "-o", "x.pq"]) == 2
    assert "pip install 'newsbot[parquet]'" in capsys.readouterr().err


def test_export_to_stdout_with_filters(engine, capsys):
    """Without --output the export goes to stdout; --site and --since filter it."""
    _export_fixture(engine)
    assert (
        querycli.export_main(["--db", _db(engine), "--site", "a.example", "--since", "2025-03-16"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["url"] for line in lines] == [_url(3)]


def _bulk(engine, start: int, count: int, text: str) -> None:
    session = sessionmaker(engine)
    for at in range(start, start + count, 500):
        batch = [_article(n, f"خبر رقم {n}", text) for n in range(at, min(at + 500, start + count))]
        with session.begin() as s:
            upsert_articles(s, batch, NOW)


def _export_peak(engine, path) -> int:
    tracemalloc.start()
    try:
        with path.open("w", encoding="utf-8") as out:
            querycli.write_jsonl(query.iter_article_batches(engine, batch_size=500), out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow  # about 15 s on SQLite, 20-25 s on PostgreSQL
def test_export_memory_does_not_grow_with_the_table(engine, tmp_path):
    """Exporting 20,000 articles of ~5 KB takes no more memory than exporting 5,000."""
    started = time.perf_counter()
    text = " ".join(["نص تجريبي طويل عن الأخبار المحلية والدولية"] * 60)  # ~5 KB in UTF-8
    assert 4500 < len(text.encode("utf-8")) < 5500
    _bulk(engine, 0, 5000, text)
    small = _export_peak(engine, tmp_path / "small.jsonl")
    _bulk(engine, 5000, 15000, text)
    large = _export_peak(engine, tmp_path / "large.jsonl")

    with (tmp_path / "large.jsonl").open(encoding="utf-8") as file:
        assert sum(1 for _ in file) == 20000
    assert large < 50 * 2**20
    assert large < small * 1.5 + 2**20, (small, large)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(articles)).scalar() == 20000
    print(
        f"export peak: {small / 2**20:.1f} MB for 5,000, {large / 2**20:.1f} MB for 20,000;"
        f" {time.perf_counter() - started:.1f} s in all"
    )


# --- the commands ----------------------------------------------------------------------------


def test_search_command_prints_marked_snippets(engine, capsys):
    """`newsbot search` prints each hit with its matches between «»."""
    _store(engine, _article(1, "تقرير", "ارتفعت الجرائم في المدينة."))
    assert querycli.search_main(["--db", _db(engine), "جرائم"]) == 0
    out = capsys.readouterr().out
    assert "1 articles match «جرائم»" in out
    assert "ارتفعت «الجرائم» في المدينة." in out
    assert _url(1) in out


def test_search_command_json(engine, capsys):
    """`newsbot search --json` prints the SearchResult as JSON."""
    _store(engine, _article(1, "الجرائم", "ارتفعت الجرائم.", published="2025-03-15T10:00:00+03:00"))
    assert querycli.search_main(["--db", _db(engine), "--json", "--limit", "5", "الجرائم"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["key"], data["total"], data["total_capped"]) == ("الجرائم", 1, False)
    [hit] = data["hits"]
    assert hit["published_at"] == "2025-03-15T07:00:00+00:00"
    assert [hit["snippet"][s:e] for s, e in hit["highlights"]] == ["الجرائم"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "the query is empty"),
        (["x", "--limit", "500"], "limit must be"),
        (["x", "--since", "2025-13-01"], "since must be a date"),
    ],
)
def test_search_command_refuses_bad_input(engine, capsys, args, message):
    """A bad query or filter: a one-line error and exit status 2."""
    assert querycli.search_main(["--db", _db(engine), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_commands_refuse_a_missing_or_old_database(tmp_path, capsys, monkeypatch):
    """No database file: exit 1 and say so (no file is created); the default comes from
    NEWSBOT_DATABASE_URL."""
    missing = tmp_path / "none" / "newsbot.db"
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{missing}")
    assert querycli.search_main(["جرائم"]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists()

    empty = tmp_path / "empty.db"
    empty.touch()
    assert querycli.stats_main(["--db", f"sqlite:///{empty}"]) == 1
    assert "newsbot db upgrade" in capsys.readouterr().err


def test_stats_command(engine, capsys):
    """`newsbot stats` shows articles per site, per day and the last crawl runs."""
    today = dt.datetime.now(dt.UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    _store(
        engine,
        _article(1, "أ", site="a.example", published=today.isoformat()),
        _article(2, "ب", site="b.example", published=today.isoformat()),
    )
    with engine.begin() as connection:
        connection.execute(
            insert(crawl_runs),
            {
                "spider": "news",
                "sites": ["a.example", "b.example"],
                "started_at": NOW,
                "finished_at": NOW + dt.timedelta(seconds=42),
                "status": "finished",
                "pages": 7,
                "items_stored": 2,
                "items_dropped": {"empty_body": 3},
                "errors": 1,
            },
        )
    assert querycli.stats_main(["--db", _db(engine), "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "Articles: 2 from 2 sites" in out
    assert f"{today:%m-%d}" in out
    assert "42 s" in out and "finished" in out and "a.example, b.example" in out

    assert querycli.stats_main(["--db", _db(engine), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {row["site"] for row in data["sites"]} == {"a.example", "b.example"}
    assert data["per_day"][0]["day"] == today.date().isoformat()
    assert data["runs"][0]["items_dropped"] == {"empty_body": 3}


def test_mark_wraps_spans():
    """mark puts «» (or ANSI bold) around each span."""
    assert querycli.mark("أ ب ج", [(2, 3)]) == "أ «ب» ج"
    assert (
        querycli.mark("أ ب ج", [(0, 1), (4, 5)], bold=True) == "\x1b[1mأ\x1b[0m ب \x1b[1mج\x1b[0m"
    )
