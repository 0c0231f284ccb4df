"""Search requests end to end through the web app (HTTP, uvicorn), on 100,000 articles.

Run:  .venv/bin/python bench/bench_web.py [--articles 100000] [--requests 200]
      [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgresql]
      [--db URL]   (time an existing database instead of generating one)

The articles and the queries are bench/bench_search.py's (generated Arabic news, 1-3 terms as
typed, a fixed seed), loaded into a new SQLite file and a new PostgreSQL database. The app runs
as ``newsbot serve`` (``python -m newsbot.web.serve``) in a process of its own, on 127.0.0.1; a
client on one kept-alive HTTP connection, as a browser's, times each request from sending it to
the last byte of the answer. Printed: median and 95th percentile of
``/api/search`` (JSON) and of ``/`` (the HTML results page), then of an article page and the
sites page. The target is a median under 150 ms. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_search import load, postgres_database, queries, sqlite_database
from sqlalchemy import create_engine

from pipelines.db import make_engine
from pipelines.migrate import upgrade


def timed(connection: http.client.HTTPConnection, path: str) -> tuple[float, int, bytes]:
    began = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    return (time.perf_counter() - began) * 1000, response.status, body


def summary(name: str, spent: list[float]) -> str:
    p95 = statistics.quantiles(spent, n=20)[-1] if len(spent) >= 2 else spent[0]
    return (f"{name}: {len(spent)} requests, median {statistics.median(spent):.1f} ms,"
            f" p95 {p95:.1f} ms, max {max(spent):.0f} ms")


@contextmanager
def serving(database_url: str) -> Iterator[tuple[str, int]]:
    """``newsbot serve --db URL`` on a free port, in a child process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, "-m", "newsbot.web.serve", "--db", database_url, "--port", str(port),
         "--log-level", "warning"],
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("newsbot serve did not start") from None
                time.sleep(0.1)
        yield "127.0.0.1", port
    finally:
        child.terminate()
        child.wait(10)


def bench(label: str, url: str, n_requests: int) -> None:
    texts = queries(n_requests)
    with serving(url) as (host, port):
        connection = http.client.HTTPConnection(host, port, timeout=60)
        for text in texts[:5]:  # warm the caches and the connection
            timed(connection, "/api/search?" + urlencode({"q": text}))
        api, html, found, ids = [], [], 0, []
        for text in texts:
            spent, status, body = timed(connection, "/api/search?" + urlencode({"q": text}))
            assert status == 200, (status, body[:300])
            result = json.loads(body)
            found += bool(result["hits"])
            ids += [hit["id"] for hit in result["hits"][:1]]
            api.append(spent)
            spent, status, body = timed(connection, "/?" + urlencode({"q": text}))
            assert status == 200, (status, body[:300])
            html.append(spent)
        articles = [timed(connection, f"/articles/{id_}")[0] for id_ in ids[:50]]
        sites = [timed(connection, "/sites")[0] for _ in range(5)]
        connection.close()
    print(f"{label}: {found} of {len(texts)} searches with hits")
    print(f"{label}: " + summary("GET /api/search", api))
    print(f"{label}: " + summary("GET /?q= (HTML)", html))
    if articles:
        print(f"{label}: " + summary("GET /articles/{id}", articles))
    print(f"{label}: " + summary("GET /sites", sites))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--db", help="an existing newsbot database to time instead")
    args = parser.parse_args()
    if args.db:
        bench("database", args.db, args.requests)
        return
    databases = {"sqlite": sqlite_database, "postgresql": lambda: postgres_database(args.postgres)}
    for name, database in databases.items():
        if args.only and name != args.only:
            continue
        with database() as url:
            upgrade(url)
            engine = make_engine(url)
            try:
                seconds = load(engine, args.articles)
            finally:
                engine.dispose()
            if name == "postgresql":  # as autovacuum would, after a bulk load
                raw = create_engine(url, isolation_level="AUTOCOMMIT")
                with raw.connect() as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE articles")
                raw.dispose()
            print(f"{name}: loaded {args.articles:,} articles in {seconds:.0f} s")
            bench(name, url, args.requests)


if __name__ == "__main__":
    main()
