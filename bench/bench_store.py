"""Throughput of pipelines.db.upsert_articles into SQLite and PostgreSQL.

Run:  .venv/bin/python bench/bench_store.py [--batches 20] [--batch-size 100] [--kb 10]
      [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each article carries ~--kb KB (UTF-8) of Arabic paragraphs, a title, tags and two images.
One batch = one transaction (as StorePipeline does it). The first pass inserts new rows,
the second upserts the same canonical URLs again (all updates, images replaced). SQLite
writes to a file in a temporary directory (WAL, synchronous=NORMAL); PostgreSQL to a
throwaway database created and dropped here. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from newsbot.items import Article
from pipelines.db import create_schema, make_engine, upsert_articles

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
                headings=[" ".join(rng.choices(WORDS, k=5))],
                paragraphs=paragraphs,
                captions=["صورة أرشيفية"],
                images=[
                    {
                        "src": f"https://cdn.example.com/{tag}/{n}/{i}.jpg",
                        "alt": "صورة",
                        "caption": "تعليق على الصورة",
                        "credit": "أ ف ب",
                    }
                    for i in range(2)
                ],
                blocks=[{"type": "paragraph", "text": p} for p in paragraphs],
            )
        )
    return out


def _run(url: str, batches: list[list[Article]]) -> tuple[float, float]:
    engine = make_engine(url)
    create_schema(engine)
    session = sessionmaker(engine)
    rates = []
    for _ in ("insert", "update"):
        start = time.perf_counter()
        for batch in batches:
            with session.begin() as s:
                upsert_articles(s, batch, dt.datetime.now(dt.UTC))
        rates.append(sum(map(len, batches)) / (time.perf_counter() - start))
    engine.dispose()
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--kb", type=int, default=10)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()

    rng = random.Random(SEED)
    batches = [_articles(args.batch_size, args.kb, rng, f"b{b}") for b in range(args.batches)]
    body_kb = sum(len(a.body.encode()) for a in batches[0]) / len(batches[0]) / 1000
    print(
        f"{args.batches} batches x {args.batch_size} articles, {body_kb:.1f} KB of body text"
        " each (also kept as paragraphs and blocks JSON), 2 images each"
    )

    with tempfile.TemporaryDirectory() as tmp:
        new, updated = _run(f"sqlite:///{tmp}/bench.db", batches)
    print(f"sqlite      insert {new:8.0f} rows/s   upsert-update {updated:8.0f} rows/s")

    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"newsbot_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
                " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        new, updated = _run(url, batches)
        print(f"postgresql  insert {new:8.0f} rows/s   upsert-update {updated:8.0f} rows/s")
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
