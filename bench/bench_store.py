"""Throughput of pipelines.db.upsert_articles into SQLite and PostgreSQL.

Run:  .venv/bin/python bench/bench_store.py [--articles 2000] [--batch-size 100] [--kb 6]
      [--single 300] [--repeat 3] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each article carries ~--kb KB (UTF-8) of Arabic paragraphs (about 20 KB as an item in JSON:
the text is in paragraphs, blocks and body), a title, a heading, tags, captions and two
images. Every pass stores the articles the way StorePipeline does: one transaction per
batch, through the same upsert (sites, article, version 1, images). Passes:

  single-row commits  new articles, one transaction each (--single articles)
  insert              new articles in batches of --batch-size (a crawl of a new site)
  unchanged           the same articles again, same content: only the crawl is counted
  changed             the same articles with one paragraph edited: new text, version 2,
                      new images

SQLite writes to a file in a temporary directory (WAL, synchronous=NORMAL); PostgreSQL to a
throwaway database created and dropped here, once with the schema as migrated (lz4 on the
long text columns when the server has it) and once with those columns set back to pglz,
PostgreSQL's default; and once with synchronous_commit=off (not what newsbot does: a crash of
the server could lose the last commits). Each figure is the best of --repeat runs, each on a
new database (other work on the machine only ever makes a run slower). Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import sessionmaker

from newsbot.items import Article
from pipelines.db import make_engine, upsert_articles
from pipelines.migrate import upgrade
from pipelines.schema import LONG_TEXT_COLUMNS

SEED = 20241125
_PROSE = (
    "قال أعلن أكد أشار أضاف أوضح الرئيس الوزير الحكومة البرلمان المجلس وزير الخارجية "
    "الأمم المتحدة مجلس الأمن القاهرة دمشق بيروت بغداد الرياض غزة القدس في من إلى على "
    "عن مع بعد قبل خلال بين حول منذ حتى أن إن لكن إذا كما أيضا حيث التي الذي هذا هذه "
    "اليوم أمس الأسبوع الشهر العام الماضي المقبل المفاوضات الاتفاق الانتخابات الاقتصاد "
    "مُحَمَّد ٢٠٢٤ ١٥ «المصدر» — 2024"
)
WORDS = _PROSE.split()


def _articles(count: int, kb: int, rng: random.Random, tag: str) -> list[Article]:
    out = []
    for n in range(count):
        paragraphs, size = [], 0
        while size < kb * 1000:
            text = " ".join(rng.choices(WORDS, k=rng.randint(40, 90))) + "."
            paragraphs.append(text)
            size += len(text.encode("utf-8"))
        heading = " ".join(rng.choices(WORDS, k=5))
        out.append(
            Article(
                url=f"https://news.example.com/{tag}/{n}",
                canonical_url=f"https://news.example.com/{tag}/{n}",
                site="news.example.com",
                title=" ".join(rng.choices(WORDS, k=10)),
                description=" ".join(rng.choices(WORDS, k=25)),
                authors=["سارة الحسيني"],
                published_at="2024-11-25T12:00:00+03:00",
                published_raw="الاثنين 25 نوفمبر 2024",
                language="ar",
                section="سياسة",
                tags=rng.choices(WORDS, k=4),
                headings=[heading],
                paragraphs=paragraphs,
                captions=["تعليق على الصورة", "صورة أرشيفية"],
                images=[
                    {
                        "src": f"https://cdn.example.com/{tag}/{n}/{i}.jpg",
                        "alt": "صورة",
                        "caption": ["تعليق على الصورة", "صورة أرشيفية"][i],
                        "credit": "أ ف ب",
                    }
                    for i in range(2)
                ],
                blocks=[
                    {"type": "heading", "text": heading, "level": 2},
                    *({"type": "paragraph", "text": p} for p in paragraphs),
                ],
            )
        )
    return out


def _edited(article: Article) -> Article:
    """The article after a correction: one paragraph rewritten, images moved on the CDN."""
    paragraphs = [*article.paragraphs[:-1], article.paragraphs[-1] + " (تصحيح)"]
    return Article(
        **{
            **{name: getattr(article, name) for name in Article.__dataclass_fields__},
            "paragraphs": paragraphs,
            "images": [{**i, "src": i["src"] + "?v=2"} for i in article.images],
        }
    )


def _rate(engine: Engine, articles: list[Article], batch_size: int) -> float:
    session = sessionmaker(engine)
    start = time.perf_counter()
    for at in range(0, len(articles), batch_size):
        with session.begin() as s:
            upsert_articles(s, articles[at : at + batch_size], dt.datetime.now(dt.UTC))
    return len(articles) / (time.perf_counter() - start)


PASSES = ("single-row commits", "insert", "unchanged", "changed")  # the last three in batches


def _passes(
    url: str, articles: list[Article], single: list[Article], batch_size: int
) -> list[float]:
    upgrade(url)
    engine = make_engine(url)
    try:
        return [
            _rate(engine, single, 1),
            _rate(engine, articles, batch_size),
            _rate(engine, articles, batch_size),
            _rate(engine, [_edited(a) for a in articles], batch_size),
        ]
    finally:
        engine.dispose()


def _best(databases: Callable[[], AbstractContextManager[str]], repeat: int, *args) -> str:
    """The best of ``repeat`` runs of every pass, each run on a new database."""
    runs = []
    for _ in range(repeat):
        with databases() as url:
            runs.append(_passes(url, *args))
    best = [max(rates) for rates in zip(*runs, strict=True)]
    return "".join(f"{rate:>{len(name) + 3}.0f}" for rate, name in zip(best, PASSES, strict=True))


@contextmanager
def _sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.db"


@contextmanager
def _postgres_database(admin_url: str, tune: str = "", async_commit: bool = False) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"newsbot_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
                " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        if async_commit:
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
            engine.dispose()
        if tune:
            engine = create_engine(url)
            with engine.begin() as connection:
                for table, columns in LONG_TEXT_COLUMNS.items():
                    for column in columns:
                        connection.exec_driver_sql(
                            f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {tune}"
                        )
            engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _compression(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'articles'::regclass AND attname = 'body'"
        ).scalar()
    engine.dispose()
    return {"l": "lz4", "p": "pglz"}.get(found or "", "pglz (default)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--kb", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()

    rng = random.Random(SEED)
    articles = _articles(args.articles, args.kb, rng, "a")
    single = _articles(args.single, args.kb, rng, "s")
    item_kb = sum(len(_json(a)) for a in articles) / len(articles) / 1000
    body_kb = sum(len(a.body.encode()) for a in articles) / len(articles) / 1000
    print(
        f"{args.articles} articles of {item_kb:.1f} KB as JSON items ({body_kb:.1f} KB of body"
        f" text, 1 heading, {len(articles[0].paragraphs)} paragraphs, 2 images each);"
        f" {args.single} for single-row commits, batches of {args.batch_size} for the rest;"
        f" articles per second, best of {args.repeat}:"
    )
    print(f"{'':35}" + "".join(f"{name:>{len(name) + 3}}" for name in PASSES))
    work = (articles, single, args.batch_size)
    print(f"{'sqlite (WAL, synchronous=NORMAL)':35}{_best(_sqlite_database, args.repeat, *work)}")
    pg = args.postgres
    for label, databases in (
        ("postgresql, as migrated", lambda: _postgres_database(pg)),
        ("postgresql, pglz (the default)", lambda: _postgres_database(pg, tune="pglz")),
        ("postgresql, synchronous_commit=off", lambda: _postgres_database(pg, async_commit=True)),
    ):
        print(f"{label:35}{_best(databases, args.repeat, *work)}")
    with _postgres_database(pg) as url:
        print(f"(as migrated, this server's long text columns use {_compression(url)})")


def _json(article: Article) -> bytes:
    return json.dumps(article.to_dict(), ensure_ascii=False).encode("utf-8")


if __name__ == "__main__":
    main()
