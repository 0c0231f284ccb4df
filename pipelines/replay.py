"""The dead-letter file, and storing its items later (``newsbot db replay FILE``).

When the store cannot write a batch, it appends the batch's items to a file of JSON lines:
each line is the item's fields (:meth:`newsbot.items.Article.to_dict`) plus ``crawled_at``
(when the crawl tried to store it) and ``failed_at``. :func:`replay` stores them through the
same upsert as a crawl, as crawled at ``crawled_at``, so a replay never overwrites what a
later crawl stored, and an item that did reach the database before its batch failed is not
counted twice. The lines that store are removed from the file; the others stay.

The file is locked (``flock``) while it is written or replayed, so a crawl may append to it
while a replay runs; the crawl waits for the replay to finish.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import sessionmaker

from newsbot.items import Article
from pipelines.db import TRANSIENT_ERRORS, make_engine, to_utc, upsert_articles
from pipelines.migrate import check_current

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)


def append(path: str | Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Append ``records`` to the dead-letter file at ``path`` as JSON lines, and sync them."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    with _locked(path) as lines:
        lines.write(text)
        lines.flush()
        os.fsync(lines.fileno())


def replay(path: str | Path, database_url: str, batch_size: int = 100) -> tuple[int, int]:
    """Store the items of the dead-letter file at ``path``; return ``(stored, failed)``.

    The file is rewritten (atomically) with only the lines that failed: lines that are not
    an item, and items the database refused. When the database cannot be reached, the
    remaining lines stay for the next replay. Replaying the same lines twice stores them once.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no dead-letter file at {path}")
    engine = make_engine(database_url)
    try:
        check_current(engine)
        session = sessionmaker(engine)
        with _locked(path) as lines:
            lines.seek(0)
            kept, stored = _store(session, lines.read().splitlines(), batch_size)
            _rewrite(path, kept)
    finally:
        engine.dispose()
    logger.info("Replayed %s: %d stored, %d left in the file", path, stored, len(kept))
    return stored, len(kept)


def _store(session: sessionmaker, lines: list[str], batch_size: int) -> tuple[list[str], int]:
    """Store the items of ``lines``; return the lines to keep and how many were stored."""
    failed: set[int] = set()
    items: list[tuple[int, Article, dt.datetime]] = []
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            items.append((number, Article.from_dict(record), _crawled_at(record)))
        except (ValueError, TypeError) as exc:
            logger.error("Line %d is not an article, kept: %s", number + 1, exc)
            failed.add(number)
    stored = 0
    batches = list(_batches(items, batch_size))
    for index, batch in enumerate(batches):
        try:
            _upsert(session, batch)
        except TRANSIENT_ERRORS as exc:
            logger.error("The database failed, the remaining items stay in the file: %s", exc)
            failed.update(number for rest in batches[index:] for number, _, _ in rest)
            break
        except Exception:
            # One item the database refuses must not keep the others out: try them one by one.
            for item in batch:
                try:
                    _upsert(session, [item])
                except Exception as exc:
                    logger.error("Line %d could not be stored, kept: %s", item[0] + 1, exc)
                    failed.add(item[0])
                else:
                    stored += 1
        else:
            stored += len(batch)
    return [line for number, line in enumerate(lines) if number in failed], stored


def _upsert(session: sessionmaker, batch: list[tuple[int, Article, dt.datetime]]) -> None:
    with session.begin() as transaction:
        upsert_articles(transaction, [article for _, article, _ in batch], batch[0][2])


def _batches(
    items: list[tuple[int, Article, dt.datetime]], size: int
) -> Iterator[list[tuple[int, Article, dt.datetime]]]:
    """Runs of up to ``size`` items crawled at the same time (the batches that failed)."""
    batch: list[tuple[int, Article, dt.datetime]] = []
    for item in items:
        if batch and (len(batch) >= size or item[2] != batch[0][2]):
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


def _crawled_at(record: Mapping[str, Any]) -> dt.datetime:
    when = record.get("crawled_at") or record.get("failed_at")
    return to_utc(when) if when else dt.datetime.now(dt.UTC)


def _rewrite(path: Path, lines: list[str]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


@contextmanager
def _locked(path: Path) -> Iterator[IO[str]]:
    """``path`` opened for appending and reading, locked against other writers.

    After waiting for the lock, the file may have been replaced by a replay: then the new
    file is opened and locked instead.
    """
    while True:
        lines = path.open("a+", encoding="utf-8")
        if fcntl is None:
            break
        fcntl.flock(lines.fileno(), fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino == os.fstat(lines.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        lines.close()
    try:
        yield lines
    finally:
        lines.close()  # closing releases the lock
