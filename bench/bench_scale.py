"""Scale-out throughput: one crawler process against two sharing a Redis frontier.

    python bench/bench_scale.py [--articles 2000] [--kb 100] [--concurrency 16] [--repeat 3]

Generates an Arabic news site of N article pages (about KB kilobytes each, the size of real
pages) with a sitemap index, serves it from memory on 127.0.0.1 (a lean server: it stands for
remote sites), and crawls it three times into fresh
PostgreSQL databases (the server the tests use; ``NEWSBOT_TEST_POSTGRES_URL`` to change it):

1. one process, Scrapy's own scheduler (no Redis): the baseline;
2. one process with ``NEWSBOT_REDIS_URL`` (the scale-out code path, alone);
3. two processes with ``NEWSBOT_REDIS_URL`` and one frontier.

For each it prints the pages per second between the first and the last article request the
server saw (process start-up and the idle wait before closing are not counted), and the
ratio of (3) to (2), medians of ``--repeat`` runs. It first measures how well this machine
runs two CPU-bound processes at once: the ceiling of that ratio. Every URL must be fetched once in all and every article stored once;
the benchmark checks both. The machine's cores are shared by the crawlers, the site's server,
PostgreSQL and Redis. Nothing here touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text

from newsbot.demo.generated import build_site
from newsbot.scale import key_prefix
from pipelines.schema import Article

POSTGRES_ADMIN_URL = os.environ.get(
    "NEWSBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("NEWSBOT_REDIS_URL", "redis://127.0.0.1:6379/0")


_TYPES = {".html": b"text/html; charset=utf-8", ".xml": b"application/xml",
          ".txt": b"text/plain; charset=utf-8"}


class StaticSite:
    """The generated site, from memory, by a lean HTTP/1.1 server on 127.0.0.1 (asyncio, in a
    thread): it stands for remote sites, whose CPU is not the crawler machine's, so it should
    take as little of this machine's as it can. ``requests`` lists the paths asked for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.base_url = ""

    def __enter__(self) -> StaticSite:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._files = {}
        for file in self.root.rglob("*"):
            if file.is_file():
                body = file.read_bytes().replace(b"{BASE}", self.base_url.encode())
                kind = _TYPES.get(file.suffix, b"application/octet-stream")
                self._files["/" + file.relative_to(self.root).as_posix()] = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                    % (kind, len(body)) + body)
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = unquote(head.split(b" ", 2)[1].decode("latin-1").split("?")[0])
                self.requests.append(path)
                writer.write(self._files.get(path, missing))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class Clock:
    """Samples the server's request log: when the first and the last article was asked for."""

    def __init__(self, server: StaticSite) -> None:
        self.server = server
        self.first = self.last = None
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Clock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        seen = 0
        while not self._stop.wait(0.005):
            count = sum(1 for path in self.server.requests[seen:] if path.startswith("/news/"))
            seen = len(self.server.requests)
            if count:
                now = time.perf_counter()
                self.first = self.first or now
                self.last = now
                self.count += count


def _database(admin, name: str) -> str:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING "
                                   "'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    return admin.url.set(database=name).render_as_string(hide_password=False)


def _crawl(workdir: Path, seed: str, database_url: str, workers: int, redis: bool,
           concurrency: int) -> list[dict]:
    frontier = f"bench-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SCRAPY_"))}
    env["NEWSBOT_DATABASE_URL"] = database_url
    if redis:
        env |= {"NEWSBOT_REDIS_URL": REDIS_URL, "NEWSBOT_FRONTIER": frontier}
    settings = {
        "AUTOTHROTTLE_ENABLED": "False",  # a benchmark of the pipeline, not of politeness
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "LOGSTATS_INTERVAL": "0",
        "NEWSBOT_REDIS_CLOSE_AFTER_SECONDS": "1",
    }
    processes = []
    for n in range(workers):
        stats = workdir / f"stats-{frontier}-{n}.json"
        command = [sys.executable, "-m", "newsbot.cli", "crawl", seed, "-q",
                   "--stats-json", str(stats)]
        for key, value in settings.items():
            command += ["-s", f"{key}={value}"]
        log = (workdir / f"crawl-{frontier}-{n}.log").open("w")
        processes.append((subprocess.Popen(command, env=env, cwd=workdir, stderr=log), stats))
    results = []
    for process, stats in processes:
        if process.wait(timeout=1800) != 0:
            raise SystemExit(f"a crawler process failed (exit {process.returncode})")
        results.append(json.loads(stats.read_text()))
    if redis:
        import redis as redis_client

        server = redis_client.Redis.from_url(REDIS_URL)
        keys = list(server.scan_iter(f"{key_prefix('news', frontier)}:*"))
        if keys:
            server.delete(*keys)
    return results


def _stored(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(Article))
        twice = connection.scalar(select(func.count()).where(Article.crawl_count != 1))
    engine.dispose()
    return rows, twice


def _cpu_scaling(loops: int = 20_000_000) -> float:
    """How much faster two CPU-bound processes get through two loads than one does."""
    code = f"for i in range({loops}): pass"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    one = time.perf_counter() - started
    started = time.perf_counter()
    pair = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    for process in pair:
        process.wait()
    return 2 * one / (time.perf_counter() - started)


def _measure(admin, workdir: Path, args, workers: int, redis: bool) -> tuple[float, str]:
    """One crawl of the site into a fresh database: its pages/s and a line saying so."""
    name = f"newsbot_bench_{uuid.uuid4().hex[:8]}"
    database_url = _database(admin, name)
    try:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = time.process_time()
        with StaticSite(workdir / "site") as server, Clock(server) as clock:
            stats = _crawl(workdir, f"{server.base_url}/sitemap.xml", database_url, workers,
                           redis, args.concurrency)
            time.sleep(0.05)
        own = time.process_time() - own
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        crawlers = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        requests = Counter(server.requests)
        requests.pop("/robots.txt", None)
        rows, twice = _stored(database_url)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if set(requests.values()) != {1}:
        raise SystemExit("a URL was fetched twice")
    if (rows, twice) != (args.articles, 0):
        raise SystemExit(f"{rows} articles stored, {twice} of them twice")
    rate = clock.count / (clock.last - clock.first)
    split = " + ".join(str(s.get("newsbot/stored/new", 0)) for s in stats)
    return rate, (f"{rate:7.1f} pages/s   (stored per process: {split}; CPU per page: crawlers "
                  f"{crawlers / rows * 1000:.1f} ms with start-up, site server "
                  f"{own / rows * 1000:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16,
                        help="CONCURRENT_REQUESTS of each process")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each set-up")
    args = parser.parse_args()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT 1"))
    print(f"this machine: two CPU-bound processes run at {_cpu_scaling():.2f}x one "
          f"({os.cpu_count()} cores); the ceiling for the ratio below")
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-scale-") as tmp:
        workdir = Path(tmp)
        build_site(workdir / "site", articles=args.articles, kb=args.kb)
        print(f"site: {args.articles} articles of about {args.kb} KB; the cores are shared by "
              "the crawlers, the site's server, PostgreSQL and Redis")
        rates: dict[tuple[int, bool], list[float]] = {}
        for _ in range(args.repeat):
            for label, workers, redis in (("1 process, no Redis", 1, False),
                                          ("1 process, Redis frontier", 1, True),
                                          ("2 processes, Redis frontier", 2, True)):
                rate, line = _measure(admin, workdir, args, workers, redis)
                rates.setdefault((workers, redis), []).append(rate)
                print(f"{label:<28} {line}", flush=True)
        one, two = (statistics.median(rates[(n, True)]) for n in (1, 2))
        print(f"two processes / one process (Redis frontier, medians of {args.repeat}): "
              f"{two:.1f} / {one:.1f} pages/s = {two / one:.2f}x")
    admin.dispose()


if __name__ == "__main__":
    main()
