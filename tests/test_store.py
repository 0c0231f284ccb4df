"""The store: batch upserts into SQLite and PostgreSQL, and the pipeline around them."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from newsbot.items import Article
from pipelines import DEFAULTS, StorePipeline, schema
from pipelines.db import upsert_articles

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
    assert [{k: v for k, v in r.items() if k != "failed_at"} for r in records] == [
        a.to_dict() for a in batch
    ]
    assert all(dt.datetime.fromisoformat(r["failed_at"]).tzinfo for r in records)
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
