"""The store: batch upserts into SQLite and PostgreSQL, and the pipeline around them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, create_engine, event, func, make_url, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from newsbot.demo import SiteServer
from newsbot.items import Article
from newsbot.text import search_key
from pipelines import DEFAULTS, StorePipeline, schema
from pipelines.db import content_hash, upsert_articles
from pipelines.migrate import current, upgrade
from pipelines.replay import replay

# Item fields whose stored value must equal the item's, character for character.
STORED_AS_IS = (
    *("url", "site", "title", "description", "authors", "published_raw", "language"),
    *("section", "tags", "headings", "paragraphs", "captions", "blocks", "body"),
)
NOW = dt.datetime(2024, 11, 25, 9, 0, tzinfo=dt.UTC)

# Display text kept as published: harakat, tatweel, a decomposed alef-madda (U+0627 U+0653,
# which NFC would fold to U+0622), Arabic-Indic digits, RLM/ZWNJ, guillemets and an emoji.
TITLE = "وَزِيرُ الخارجـــية: «المفاوضات مستمرة» حتى ١٥ نوفمبر \u200f"
PARAGRAPHS = [
    "قال مصدر مطّلع إن الجولة الجديدة من المحادثات ستُعقد في القاهرة يوم الأحد.",
    "وأضاف أن الوفد \u0627\u0653ثر الانتظار\u200c حتى يصل الرد المكتوب 🕊️،"
    " بحسب ما نقلته وكالة الأنباء.",
    "Reuters contributed — ٢٠٢٤/١١/٢٥",
]


def _article(n: int, **changes) -> Article:
    article = Article(
        url=f"https://news.example.com/ar/{n}?utm_source=rss",
        canonical_url=f"https://news.example.com/ar/{n}",
        site="news.example.com",
        title=f"{TITLE} {n}",
        description="ملخص الخبر",
        authors=["سارة الحسيني", "محمد عبد الله"],
        published_at="2024-11-25T12:00:00+03:00",
        published_raw="الاثنين 25 نوفمبر 2024 - 12:00",
        language="ar",
        section="سياسة",
        tags=["مصر", "مفاوضات"],
        headings=["خلفية"],
        paragraphs=list(PARAGRAPHS),
        captions=["صورة أرشيفية"],
        images=[
            {
                "src": f"https://cdn.example.com/{n}/{i}.jpg",
                "alt": f"صورة {i}",
                "caption": f"تعليق {i}" if i else None,
                "credit": "أ ف ب",
            }
            for i in range(3)
        ],
        blocks=[
            {"type": "heading", "text": "خلفية", "level": 2},
            {"type": "paragraph", "text": PARAGRAPHS[0]},
        ],
    )
    for name, value in changes.items():
        setattr(article, name, value)
    return article


def _upsert(engine: Engine, batch: list[Article], now: dt.datetime = NOW) -> tuple[int, int]:
    with sessionmaker(engine).begin() as session:
        return upsert_articles(session, batch, now)


def _stored(engine: Engine) -> list[schema.Article]:
    with Session(engine) as session:
        query = select(schema.Article).options(selectinload(schema.Article.images))
        return list(session.scalars(query.order_by(schema.Article.id)))


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives back the UTC wall time without a zone."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# --- upsert_articles ------------------------------------------------------------------------


def test_batch_is_stored_with_images_in_order_and_arabic_intact(engine):
    """A batch of Arabic articles is stored once each, images as ordered rows, text unchanged."""
    batch = [_article(n) for n in range(3)]

    assert _upsert(engine, batch) == (3, 0)

    stored = _stored(engine)
    assert [row.canonical_url for row in stored] == [a.canonical_url for a in batch]
    for row, article in zip(stored, batch, strict=True):
        for name in STORED_AS_IS:
            assert getattr(row, name) == getattr(article, name), name
        assert [(i.position, i.src, i.alt, i.caption, i.credit) for i in row.images] == [
            (p, i["src"], i["alt"], i["caption"], i["credit"]) for p, i in enumerate(article.images)
        ]
        assert (row.crawl_count, _utc(row.first_seen_at), _utc(row.last_crawled_at)) == (
            1,
            NOW,
            NOW,
        )
    assert _count(engine, schema.Image) == 9


def test_reupsert_updates_the_row_in_place(engine):
    """Upserting a known canonical URL updates its row, replaces its images, counts the crawl."""
    _upsert(engine, [_article(1), _article(2)])
    later = NOW + dt.timedelta(hours=6)
    changed = _article(
        1,
        title="عنوان مُحدَّث",
        paragraphs=["فقرة جديدة بعد التحديث."],
        images=[
            {"src": "https://cdn.example.com/new.jpg", "alt": None, "caption": None, "credit": None}
        ],
    )

    assert _upsert(engine, [changed], now=later) == (0, 1)

    first, second = _stored(engine)
    assert (first.title, first.paragraphs, first.body) == (
        "عنوان مُحدَّث",
        ["فقرة جديدة بعد التحديث."],
        "فقرة جديدة بعد التحديث.",
    )
    assert [(i.position, i.src) for i in first.images] == [(0, "https://cdn.example.com/new.jpg")]
    assert first.crawl_count == 2
    assert _utc(first.first_seen_at) == NOW
    assert _utc(first.last_crawled_at) == later
    assert (second.crawl_count, len(second.images)) == (1, 3)
    assert _count(engine, schema.Article) == 2
    assert _count(engine, schema.Image) == 4


def test_duplicates_in_one_batch_give_one_row(engine):
    """Two items with one canonical URL in a batch make one row, and the last one wins."""
    first = _article(7, url="https://news.example.com/ar/7?page=1", title="الأول")
    last = _article(7, url="https://news.example.com/ar/7?page=2", title="الأخير", images=[])

    assert _upsert(engine, [first, last]) == (1, 0)

    (row,) = _stored(engine)
    assert (row.url, row.title, row.images, row.crawl_count) == (last.url, "الأخير", [], 1)


def test_article_without_canonical_url_is_keyed_by_its_url(engine):
    """An item without a canonical URL is stored under its URL."""
    _upsert(engine, [_article(3, canonical_url=None)])

    (row,) = _stored(engine)
    assert row.canonical_url == row.url == "https://news.example.com/ar/3?utm_source=rss"


@pytest.mark.parametrize(
    ("published_at", "instant"),
    [
        ("2024-11-25T12:00:00+03:00", dt.datetime(2024, 11, 25, 9, 0, tzinfo=dt.UTC)),
        ("2024-12-31T23:30:00-05:00", dt.datetime(2025, 1, 1, 4, 30, tzinfo=dt.UTC)),
        ("2024-11-25T09:00:00.250000Z", dt.datetime(2024, 11, 25, 9, 0, 0, 250000, dt.UTC)),
        (None, None),
    ],
)
def test_published_at_is_stored_as_the_same_instant(engine, published_at, instant):
    """A publication time with an offset is stored as the same instant in UTC; None stays None."""
    _upsert(engine, [_article(1, published_at=published_at, modified_at=published_at)])

    (row,) = _stored(engine)
    stored = [None if v is None else _utc(v) for v in (row.published_at, row.modified_at)]
    assert stored == [instant, instant]


def _versions(engine: Engine, canonical_url: str) -> list[schema.ArticleVersion]:
    with Session(engine) as session:
        query = (
            select(schema.ArticleVersion)
            .join(schema.Article)
            .where(schema.Article.canonical_url == canonical_url)
            .order_by(schema.ArticleVersion.version)
        )
        return list(session.scalars(query))


# --- versions, content hash, search columns, sites -------------------------------------------


def test_first_store_is_version_1(engine):
    """A new article is version 1, and its content is also the first row of its history."""
    article = _article(1)
    _upsert(engine, [article])

    (row,) = _stored(engine)
    (first,) = _versions(engine, article.canonical_url)
    assert (row.version, row.content_hash) == (1, content_hash(article))
    assert (first.version, first.content_hash, _utc(first.crawled_at)) == (1, row.content_hash, NOW)
    assert (first.title, first.headings, first.paragraphs, first.captions, first.body) == (
        article.title,
        article.headings,
        article.paragraphs,
        article.captions,
        article.body,
    )


def test_changed_content_adds_version_2_and_keeps_version_1(engine):
    """A re-crawl that finds an edited paragraph stores version 2 with the new text; version 1
    keeps the old one."""
    before = _article(1)
    after = _article(1, paragraphs=[*PARAGRAPHS[:2], "تصحيح: الجولة ستعقد يوم الاثنين."])
    later = NOW + dt.timedelta(hours=6)
    _upsert(engine, [before])

    assert _upsert(engine, [after], now=later) == (0, 1)

    (row,) = _stored(engine)
    assert (row.version, row.content_hash, row.paragraphs) == (
        2,
        content_hash(after),
        after.paragraphs,
    )
    first, second = _versions(engine, after.canonical_url)
    assert (first.version, first.paragraphs, first.body) == (1, before.paragraphs, before.body)
    assert (second.version, second.paragraphs, second.body) == (2, after.paragraphs, after.body)
    assert (_utc(first.crawled_at), _utc(second.crawled_at)) == (NOW, later)
    assert row.crawl_count == 2


def test_identical_content_adds_no_version(engine):
    """A re-crawl with the same text adds no version: it counts the crawl and refreshes the
    metadata, and leaves the text and the images as they were."""
    _upsert(engine, [_article(1)])
    later = NOW + dt.timedelta(days=1)
    again = _article(1, tags=["مصر", "مفاوضات", "القاهرة"], blocks=[], images=[])

    assert _upsert(engine, [again], now=later) == (0, 1)

    (row,) = _stored(engine)
    assert (row.version, row.crawl_count, _utc(row.last_crawled_at)) == (1, 2, later)
    assert row.tags == ["مصر", "مفاوضات", "القاهرة"]
    assert (row.blocks, len(row.images)) == (_article(1).blocks, 3)
    assert [v.version for v in _versions(engine, again.canonical_url)] == [1]


def test_retrying_a_batch_that_was_committed_changes_nothing(engine):
    """Storing a batch again with the same crawl time (a retry after a lost commit answer)
    adds no row, no version and no crawl."""
    batch = [_article(1), _article(2, title="عنوان آخر")]
    _upsert(engine, batch)

    assert _upsert(engine, batch) == (2, 0)

    assert [(r.crawl_count, r.version, len(r.images)) for r in _stored(engine)] == [(1, 1, 3)] * 2
    assert _count(engine, schema.ArticleVersion) == 2


def test_an_older_item_does_not_overwrite_a_newer_crawl(engine):
    """A dead letter replayed after a later crawl stored the article changes nothing."""
    newer = _article(1, title="العنوان بعد التصحيح")
    _upsert(engine, [newer], now=NOW + dt.timedelta(hours=1))

    assert _upsert(engine, [_article(1)], now=NOW) == (0, 1)

    (row,) = _stored(engine)
    assert (row.title, row.version, row.crawl_count) == (newer.title, 1, 1)
    assert _count(engine, schema.ArticleVersion) == 1


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({"url": "https://news.example.com/other", "tags": [], "images": []}, True),
        ({"description": "ملخص آخر", "published_at": None, "blocks": []}, True),
        ({"title": TITLE + " 2"}, False),
        ({"headings": []}, False),
        ({"headings": [], "paragraphs": ["خلفية", *PARAGRAPHS]}, False),  # moved, not equal
        ({"captions": ["صورة جديدة"]}, False),
        ({"paragraphs": [PARAGRAPHS[0] + PARAGRAPHS[1], PARAGRAPHS[2]]}, False),
    ],
)
def test_content_hash_covers_the_text_and_only_the_text(changes, same):
    """The hash changes with the title, headings, paragraphs and captions, not the metadata."""
    assert (content_hash(_article(1, **changes)) == content_hash(_article(1))) is same


def test_content_hash_is_stable():
    """The hash of an article never changes between runs or versions of newsbot (a change
    would make every stored article look edited at its next crawl)."""
    assert content_hash(_article(1)) == (
        "c3af83630df45990b141500729901a6f895c0efa900a6b6c27080b2576ef477d"
    )


def test_search_columns_hold_the_search_form(engine):
    """title_search and text_search hold search_key() of the title and of all the text; a
    filter-dodging break and a diacritic in a paragraph are folded away."""
    article = _article(1, paragraphs=["وقعت الجـ.رائمُ في المدينة", *PARAGRAPHS])
    _upsert(engine, [article])

    (row,) = _stored(engine)
    assert row.title_search == search_key(article.title)
    assert row.text_search == search_key(
        "\n".join([article.title, *article.headings, *article.paragraphs, *article.captions])
    )
    assert "وقعت الجرائم في المدينه" in row.text_search  # ة -> ه as well
    assert "الجـ.رائمُ" in row.body  # the display text stays as published
    assert row.title_search.startswith("وزير الخارجيه: «المفاوضات مستمره» حتي 15 نوفمبر")


def test_sites_get_one_row_each(engine):
    """Each site host gets one row, found again by later batches; articles point to it."""
    _upsert(engine, [_article(1), _article(2, site="youm7.com")])
    _upsert(engine, [_article(3)], now=NOW + dt.timedelta(hours=1))

    with Session(engine) as session:
        found = {s.name: s for s in session.scalars(select(schema.Site))}
    assert sorted(found) == ["news.example.com", "youm7.com"]
    assert _utc(found["news.example.com"].first_seen_at) == NOW
    assert {r.canonical_url.rsplit("/", 1)[1]: r.site_id for r in _stored(engine)} == {
        "1": found["news.example.com"].id,
        "2": found["youm7.com"].id,
        "3": found["news.example.com"].id,
    }


def test_a_batch_takes_a_fixed_number_of_statements(engine):
    """However many articles a batch has, it is written in the same number of statements
    (at most nine: a batch with new, changed and unchanged articles)."""
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    counts = []
    _upsert(engine, [_article(n) for n in range(50)])
    try:
        for size, now in ((3, NOW + dt.timedelta(hours=1)), (60, NOW + dt.timedelta(hours=2))):
            statements.clear()
            # a third of each batch unchanged, a third changed, a third new
            batch = [
                *(_article(n) for n in range(0, size // 3)),
                *(_article(n, title=f"تحديث {now}") for n in range(size // 3, 2 * size // 3)),
                *(_article(1000 * size + n) for n in range(size // 3)),
            ]
            _upsert(engine, batch, now=now)
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1] == 9


# --- StorePipeline --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_database_url_from_environment(monkeypatch):
    monkeypatch.delenv("NEWSBOT_DATABASE_URL", raising=False)


def _pipeline(tmp_path, database_url: str, **settings) -> StorePipeline:
    crawler = get_crawler(
        settings_dict={
            "NEWSBOT_DATABASE_URL": database_url,
            "NEWSBOT_DEADLETTER_PATH": str(tmp_path / "deadletter.jsonl"),
            "NEWSBOT_STORE_FLUSH_SECONDS": 3600,
            "NEWSBOT_STORE_RETRY_BACKOFF": 0,
            **settings,
        }
    )
    return StorePipeline.from_crawler(crawler)


def _run(pipe: StorePipeline, items) -> None:
    pipe.open_spider()
    for item in items:
        assert pipe.process_item(item) is item
    pipe.close_spider()


def _stat(pipe: StorePipeline, key: str):
    return pipe.crawler.stats.get_value(key)


def test_pipeline_flushes_a_partial_batch_on_close(tmp_path, database_url, engine):
    """Items short of a full batch wait in the buffer and are stored when the spider closes."""
    pipe = _pipeline(tmp_path, database_url)
    pipe.open_spider()
    for n in range(3):
        pipe.process_item(_article(n))
    assert _count(engine, schema.Article) == 0

    pipe.close_spider()

    assert _count(engine, schema.Article) == 3
    assert (_stat(pipe, "newsbot/stored/new"), _stat(pipe, "newsbot/store/batches")) == (3, 1)


def test_pipeline_writes_one_transaction_per_batch(tmp_path, database_url, engine):
    """With batch size 2, five items are written in three transactions."""
    pipe = _pipeline(tmp_path, database_url, NEWSBOT_STORE_BATCH_SIZE=2)

    _run(pipe, [_article(n) for n in range(5)])

    assert _count(engine, schema.Article) == 5
    assert _stat(pipe, "newsbot/store/batches") == 3
    assert _stat(pipe, "newsbot/stored/new") == 5


def test_pipeline_flushes_an_old_partial_batch_at_the_next_item(tmp_path, database_url, engine):
    """A partial batch older than NEWSBOT_STORE_FLUSH_SECONDS is flushed by the next item."""
    pipe = _pipeline(tmp_path, database_url, NEWSBOT_STORE_FLUSH_SECONDS=0.05)
    pipe.open_spider()
    pipe.process_item(_article(1))
    pipe._buffered_since -= 1  # the first item has waited a second
    pipe.process_item(_article(2))

    assert _count(engine, schema.Article) == 2
    pipe.close_spider()
    assert _stat(pipe, "newsbot/store/batches") == 1


def test_pipeline_counts_recrawled_articles_as_updated(tmp_path, database_url, engine):
    """A second crawl of the same articles, given as dicts, counts them as updated."""
    _run(_pipeline(tmp_path, database_url), [_article(1), _article(2)])
    pipe = _pipeline(tmp_path, database_url)

    _run(pipe, [_article(1).to_dict(), _article(2).to_dict(), _article(3).to_dict()])

    assert (_stat(pipe, "newsbot/stored/new"), _stat(pipe, "newsbot/stored/updated")) == (1, 2)
    assert [row.crawl_count for row in _stored(engine)] == [2, 2, 1]


def test_out_of_date_schema_closes_the_spider_before_it_starts(
    tmp_path, database_url, engine, newer_migrations, caplog
):
    """A database at an older revision makes open_spider close the spider, with the reason
    schema_out_of_date and an error saying which command to run; nothing is written."""
    pipe = _pipeline(tmp_path, database_url)

    with pytest.raises(CloseSpider) as closing:
        pipe.open_spider()
    pipe.close_spider()

    assert closing.value.reason == "schema_out_of_date"
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    at = current(engine)
    assert f"is at revision {at}, newsbot needs 9001: run `newsbot db upgrade`" in error
    assert _count(engine, schema.CrawlRun) == 0


def test_lost_postgres_connections_are_retried(tmp_path, postgres_url):
    """When PostgreSQL drops the pipeline's connections, the retry reconnects and stores."""
    pipe = _pipeline(tmp_path, postgres_url, NEWSBOT_STORE_BATCH_SIZE=2)
    killer = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    pipe.open_spider()
    try:
        for n in range(5):
            if n == 2:
                with killer.connect() as connection:
                    killed = (
                        connection.exec_driver_sql(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                        .scalars()
                        .all()
                    )
                assert killed and all(killed)
            pipe.process_item(_article(n))
        pipe.close_spider()
    finally:
        killer.dispose()

    check = create_engine(postgres_url)
    try:
        assert _count(check, schema.Article) == 5
        assert _count(check, schema.Image) == 15
    finally:
        check.dispose()
    assert _stat(pipe, "newsbot/store/retries") >= 1
    assert _stat(pipe, "newsbot/store/batches") == 3
    assert _stat(pipe, "newsbot/store/deadlettered") is None
    assert not (tmp_path / "deadletter.jsonl").exists()


@pytest.fixture(params=["sqlite-under-a-file", "sqlite-is-a-directory", "postgresql-missing"])
def broken_database_url(request, tmp_path) -> str:
    """A database URL every connection attempt fails on."""
    if request.param == "sqlite-under-a-file":
        (tmp_path / "not-a-directory").write_text("")
        return f"sqlite:///{tmp_path / 'not-a-directory' / 'newsbot.db'}"
    if request.param == "sqlite-is-a-directory":
        (tmp_path / "newsbot.db").mkdir()
        return f"sqlite:///{tmp_path / 'newsbot.db'}"
    admin = request.getfixturevalue("postgres_admin")
    return admin.url.set(database="newsbot_test_missing").render_as_string(hide_password=False)


def test_failing_database_sends_items_to_the_deadletter_file(tmp_path, broken_database_url, caplog):
    """When every attempt fails, the items go to the dead-letter file and the crawl goes on."""
    pipe = _pipeline(tmp_path, broken_database_url, NEWSBOT_STORE_BATCH_SIZE=2)
    batch = [_article(n) for n in range(5)]

    with caplog.at_level(logging.WARNING, logger="pipelines.store"):
        _run(pipe, batch)

    lines = (tmp_path / "deadletter.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [
        {k: v for k, v in r.items() if k not in ("crawled_at", "failed_at")} for r in records
    ] == [a.to_dict() for a in batch]
    for record in records:
        crawled_at = dt.datetime.fromisoformat(record["crawled_at"])
        assert crawled_at.tzinfo
        assert crawled_at <= dt.datetime.fromisoformat(record["failed_at"])
    assert _stat(pipe, "newsbot/store/deadlettered") == 5
    assert _stat(pipe, "newsbot/store/retries") == 3 * DEFAULTS["NEWSBOT_STORE_RETRIES"]
    assert _stat(pipe, "newsbot/store/batches") is None
    deadletter_errors = [
        r
        for r in caplog.records
        if r.levelno == logging.ERROR and "deadletter.jsonl" in r.getMessage()
    ]
    assert len(deadletter_errors) == 3


def test_deadlettered_items_can_be_stored_later(tmp_path, database_url, engine):
    """Dead-letter lines fed back to the pipeline store the articles they came from."""
    batch = [_article(n) for n in range(3)]
    lines = [json.dumps({**a.to_dict(), "failed_at": NOW.isoformat()}) for a in batch]

    _run(_pipeline(tmp_path, database_url), [json.loads(line) for line in lines])

    assert [row.title for row in _stored(engine)] == [a.title for a in batch]


def test_database_url_comes_from_the_environment_first(tmp_path, monkeypatch):
    """NEWSBOT_DATABASE_URL in the environment beats the setting, which beats the default."""
    assert (
        StorePipeline.from_crawler(get_crawler()).database_url == (DEFAULTS["NEWSBOT_DATABASE_URL"])
    )
    assert _pipeline(tmp_path, "sqlite:///from-setting.db").database_url == (
        "sqlite:///from-setting.db"
    )
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "postgresql+psycopg://env/newsbot")
    assert _pipeline(tmp_path, "sqlite:///from-setting.db").database_url == (
        "postgresql+psycopg://env/newsbot"
    )


# --- a real crawl while PostgreSQL drops the store's connections ------------------------------

KILL_PAGES = 60


def _news_site(root: Path, pages: int) -> list[str]:
    """A listing linking ``pages`` short Arabic articles; returns the articles' paths."""
    paths = [f"/news/2024/11/25/article-{n:03d}.html" for n in range(pages)]
    for n, path in enumerate(paths):
        page = root / path.lstrip("/")
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
            f"<title>خبر رقم {n} عن المفاوضات</title>"
            '<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2024-11-25T12:{n % 60:02d}:00+03:00">'
            f"</head><body><article><h1>خبر رقم {n} عن المفاوضات</h1>"
            f"<p>قال مصدر مطلع إن الجولة رقم {n} من المحادثات ستعقد في القاهرة يوم الأحد المقبل"
            " بحضور الوفود كافة.</p><h2>خلفية</h2>"
            "<p>وأضاف المصدر أن الوفد ينتظر الرد المكتوب قبل أن يحدد موعد الجلسة التالية، بحسب ما"
            " نقلته الوكالة.</p>"
            f'<figure><img src="/img/{n}.jpg"><figcaption>صورة أرشيفية للاجتماع {n}</figcaption>'
            "</figure></article></body></html>",
            "utf-8",
        )
    links = "".join(f'<li><a href="{p}">خبر {n}</a></li>' for n, p in enumerate(paths))
    (root / "index.html").write_text(
        '<html><head><meta property="og:type" content="website"><title>آخر الأخبار</title>'
        f"</head><body><ul>{links}</ul></body></html>",
        "utf-8",
    )
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    return paths


class _Killer(threading.Thread):
    """Terminates every connection to a database every ``interval`` seconds until stopped."""

    def __init__(self, admin: Engine, database: str, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.admin, self.database, self.interval = admin, database, interval
        self.killed = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        with self.admin.connect() as connection:
            while not self._stopping.wait(self.interval):
                self.killed += sum(
                    connection.exec_driver_sql(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = %(db)s AND pid <> pg_backend_pid()",
                        {"db": self.database},
                    ).scalars()
                )

    def stop(self) -> None:
        self._stopping.set()
        self.join()


@pytest.mark.parametrize("retries", [3, 0], ids=["retried", "dead-lettered"])
def test_crawl_stores_every_article_once_while_connections_are_killed(
    tmp_path, postgres_admin, postgres_url, retries
):
    """A crawl of 60 pages while every connection to PostgreSQL is killed every 100 ms: with
    retries, and a replay of whatever went to the dead-letter file, each article is stored
    exactly once, as version 1. Without retries, every batch that meets a killed connection
    goes to the dead-letter file, and the replay stores it."""
    paths = _news_site(tmp_path / "site", KILL_PAGES)
    deadletter = tmp_path / "data" / "deadletter.jsonl"
    stats_path = tmp_path / "stats.json"
    killer = _Killer(postgres_admin, make_url(postgres_url).database)
    upgrade(postgres_url)  # the crawl would create the schema; killed mid-way, it could not
    with SiteServer(tmp_path / "site") as server:
        killer.start()
        try:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "newsbot.cli",
                    "crawl",
                    f"{server.base_url}/",
                    "-q",
                    "--stats-json",
                    str(stats_path),
                    "-s",
                    "NEWSBOT_STORE_BATCH_SIZE=5",
                    "-s",
                    "AUTOTHROTTLE_START_DELAY=0",
                    "-s",
                    "NEWSBOT_STORE_RETRY_BACKOFF=0.02",
                    "-s",
                    f"NEWSBOT_STORE_RETRIES={retries}",
                    "-s",
                    f"NEWSBOT_DEADLETTER_PATH={deadletter}",
                ],
                env={**os.environ, "NEWSBOT_DATABASE_URL": postgres_url},
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            killer.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(stats_path.read_text())
    assert stats["finish_reason"] == "finished"
    assert killer.killed > 0
    if retries:
        assert stats.get("newsbot/store/retries", 0) > 0
    else:
        assert stats.get("newsbot/store/deadlettered", 0) > 0

    if deadletter.exists():
        stored, failed = replay(deadletter, postgres_url)
        assert (stored, failed) == (stats.get("newsbot/store/deadlettered", 0), 0)

    check = create_engine(postgres_url)
    try:
        with Session(check) as session:
            urls = session.scalars(select(schema.Article.url)).all()
            versions = session.execute(
                select(schema.ArticleVersion.article_id, schema.ArticleVersion.version)
            ).all()
            article_versions = session.scalars(select(schema.Article.version)).all()
            runs = session.scalars(select(schema.CrawlRun.status)).all()
    finally:
        check.dispose()
    assert sorted(urls) == sorted(f"{server.base_url}{p}" for p in paths)
    assert len(versions) == KILL_PAGES
    assert {version for _, version in versions} == {1} == set(article_versions)
    assert len({article_id for article_id, _ in versions}) == KILL_PAGES
    if retries:
        assert runs == ["finished"]
