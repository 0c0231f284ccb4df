"""Search latency (newsbot.query.search) on 100,000 generated Arabic articles.

Run:  .venv/bin/python bench/bench_search.py [--articles 100000] [--queries 200]
      [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgresql]

The articles are made up but shaped like news: a vocabulary of a few thousand words built
from Arabic roots and patterns, drawn with Zipf frequencies (a few words in every article, most
in few), often with و, ال, ب, ل attached; a title of 6-12 words and paragraphs of 2-4 KB of
text in all (UTF-8), ten sites, a year of publication dates; a fixed seed. They go into a new
SQLite file and a new PostgreSQL database (dropped at the end) through
``pipelines.db.upsert_articles`` in batches of 1,000, so the search index is filled by the same
triggers and indexes as a crawl's. Printed: the load time, then the median and 95th percentile
of --queries searches (1-3 terms, common, middling and rare words, with and without a prefix,
as typed; each call timed whole, snippets included), and apart from them a few searches for
two-letter terms only, which no trigram index can serve. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import sessionmaker

from newsbot.items import Article
from newsbot.query import search
from pipelines.db import make_engine, upsert_articles
from pipelines.migrate import upgrade

SEED = 20261126
BATCH = 1000
SITES = [f"site{n}.example.com" for n in range(10)]
_ROOTS = (
    "كتب درس علم عمل حكم قتل جرم سلم حرب قوم شرك صدر نشر خبر وزر رأس جلس نصر فتح قرر "
    "سأل جمع بحث حمل دفع رفع وضع نظر شرح فهم قدم طلب سكن زرع صنع تجر نقل سفر وصل دخل "
    "خرج رجع بدأ نهى حدث كشف عرض قبض هجم دمر بني حفظ منع سمح قبل رفض وقع عقد نظم ظهر "
    "شهد ذكر قصد عدل حقق حكى روى سجل قيد أمن غلب هزم فوز لعب ربح خسر بيع شرى سعر نفط "
    "غزو صلح فرض ضرب حصر نزح لجأ هرب عبر سقط صعد نزل مطر برد حرق غرق هزز مرض علج "
    "صحف طبع سمع بصر قرأ رسم خطب وعد نفذ خطط رقب حمى دعم مول بنك نقد صرف دين ضرب "
    "قرض ربط فصل وحد شمل جنب قطع صدق كذب عرف جهل ولد موت حيي زوج سكت نطق ضحك بكى "
    "غضب رضي خوف أمل رجو شكر حمد صبر عجل بطؤ كثر قلل كبر صغر طول قصر وسع ضيق بعد قرب"
).split()
_PATTERNS = (
    "فعل فاعل مفعول تفعيل فعال فعيل مفعل افتعال استفعال تفاعل فعالة مفاعلة فعول افعال "
    "فعلات فاعلون مفعولة فعالات تفعيلات يفعل تفعل نفعل افعل فعلوا"
).split()
# The most frequent words of any Arabic news text; not searched for (but see SHORT_QUERIES).
_FUNCTION_WORDS = (
    "في من إلى على عن مع أن إن التي الذي هذا هذه بعد قبل خلال بين حول منذ حتى كما أيضا "
    "حيث قد لا لم لن ما هو هي كان كانت وقال وأضاف"
).split()
_PREFIXES = ("", "", "", "", "و", "ال", "ال", "وال", "ب", "بال", "ل", "لل")


def _word(root: str, pattern: str) -> str:
    f, a, l_ = root
    return (
        pattern.replace("ف", "\0")
        .replace("ع", "\1")
        .replace("ل", "\2")
        .translate({0: f, 1: a, 2: l_})
    )


def vocabulary() -> list[str]:
    """Distinct words, most frequent first (their order is their Zipf rank)."""
    rng = random.Random(SEED)
    words = list(dict.fromkeys(_word(r, p) for r in _ROOTS for p in _PATTERNS))
    rng.shuffle(words)
    return [*_FUNCTION_WORDS, *(w for w in words if w not in _FUNCTION_WORDS)]


class Corpus:
    """Deterministic article text drawn from :func:`vocabulary` with Zipf weights."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary()
        self.function_words = frozenset(_FUNCTION_WORDS)
        weights = [1 / (rank + 1) for rank in range(len(self.words))]
        total, acc = sum(weights), 0.0
        self.cum = []
        for w in weights:
            acc += w
            self.cum.append(acc / total)

    def words_(self, k: int) -> list[str]:
        rng = self.rng
        picked = rng.choices(self.words, cum_weights=self.cum, k=k)
        return [
            rng.choice(_PREFIXES) + w if w not in self.function_words and rng.random() < 0.35 else w
            for w in picked
        ]

    def article(self, n: int, start: dt.datetime) -> Article:
        rng = self.rng
        title = " ".join(self.words_(rng.randint(6, 12)))
        target = rng.randint(2000, 4000)  # bytes of paragraph text
        paragraphs, size = [], 0
        while size < target:
            text = " ".join(self.words_(rng.randint(20, 50))) + "."
            paragraphs.append(text)
            size += len(text.encode("utf-8"))
        site = SITES[n % len(SITES)]
        published = start + dt.timedelta(seconds=rng.randint(0, 365 * 86400))
        return Article(
            url=f"https://{site}/news/{n}",
            canonical_url=f"https://{site}/news/{n}",
            site=site,
            title=title,
            published_at=published.isoformat(),
            language="ar",
            headings=[" ".join(self.words_(5))],
            paragraphs=paragraphs,
            captions=[" ".join(self.words_(6))],
        )


def queries(count: int, seed: int = SEED + 1) -> list[str]:
    """1-3 terms; each common (top 50), middling (50-500) or rare (500+), maybe prefixed."""
    rng = random.Random(seed)
    words = vocabulary()[len(_FUNCTION_WORDS) :]
    bands = ((0, 50), (50, 500), (500, len(words)))
    out = []
    for _ in range(count):
        terms = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            low, high = rng.choice(bands)
            word = words[rng.randrange(low, high)]
            terms.append(rng.choice(("", "", "و", "ال", "وال")) + word)
        out.append(" ".join(terms))
    return out


SHORT_QUERIES = ("في", "من", "عن", "مع", "في من")


def load(engine: Engine, count: int) -> float:
    corpus = Corpus()
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    session = sessionmaker(engine)
    began = time.perf_counter()
    for at in range(0, count, BATCH):
        batch = [corpus.article(n, start) for n in range(at, min(at + BATCH, count))]
        with session.begin() as s:
            upsert_articles(s, batch, dt.datetime.now(dt.UTC))
        print(f"\r  loaded {at + len(batch):,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return time.perf_counter() - began


def timings(engine: Engine, texts: list[str]) -> tuple[list[float], int]:
    for text in texts[:5]:  # warm the caches
        search(engine, text)
    spent, found = [], 0
    for text in texts:
        began = time.perf_counter()
        result = search(engine, text)
        spent.append((time.perf_counter() - began) * 1000)
        found += bool(result.hits)
    return spent, found


def report(name: str, engine: Engine, count: int, n_queries: int) -> None:
    seconds = load(engine, count)
    if engine.dialect.name == "postgresql":  # as autovacuum would, after a bulk load
        raw = create_engine(engine.url, isolation_level="AUTOCOMMIT")
        with raw.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE articles")
        raw.dispose()
    print(f"{name}: loaded {count:,} articles in {seconds:.0f} s ({count / seconds:.0f}/s)")
    spent, found = timings(engine, queries(n_queries))
    p95 = statistics.quantiles(spent, n=20)[-1]
    print(
        f"{name}: {len(spent)} searches, {found} with hits:"
        f" median {statistics.median(spent):.1f} ms, p95 {p95:.1f} ms, max {max(spent):.0f} ms"
    )
    short, _ = timings(engine, list(SHORT_QUERIES))
    print(
        f"{name}: two-letter terms only ({', '.join(SHORT_QUERIES)}):"
        f" median {statistics.median(short):.0f} ms, max {max(short):.0f} ms"
    )


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.db"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"newsbot_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
                " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    print(f"vocabulary: {len(vocabulary()):,} words")
    databases = {"sqlite": sqlite_database, "postgresql": lambda: postgres_database(args.postgres)}
    for name, database in databases.items():
        if args.only and name != args.only:
            continue
        with database() as url:
            upgrade(url)
            engine = make_engine(url)
            try:
                report(name, engine, args.articles, args.queries)
            finally:
                engine.dispose()


if __name__ == "__main__":
    main()
