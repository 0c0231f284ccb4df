"""Dead letters: the file the store writes when the database fails, and its replay."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import pipelines.replay
from newsbot.items import Article
from pipelines import dbcli, schema
from pipelines.db import upsert_articles
from pipelines.replay import append, replay

CRAWLED_AT = dt.datetime(2024, 11, 25, 9, 0, tzinfo=dt.UTC)


def _article(n: int, **changes) -> Article:
    return Article(
        url=f"https://news.example.com/ar/{n}",
        site="news.example.com",
        title=f"عنوان الخبر رقم {n}",
        paragraphs=[f"نص الخبر رقم {n} كما نشر في الموقع.", "فقرة ثانية."],
        captions=["صورة أرشيفية"],
        images=[
            {
                "src": f"https://cdn.example.com/{n}.jpg",
                "alt": None,
                "caption": "صورة أرشيفية",
                "credit": None,
            }
        ],
        **changes,
    )


def _deadletters(path, articles, crawled_at=CRAWLED_AT) -> None:
    """Dead letters as the store writes them."""
    append(
        path,
        [
            {
                **a.to_dict(),
                "crawled_at": crawled_at.isoformat(),
                "failed_at": (crawled_at + dt.timedelta(seconds=2)).isoformat(),
            }
            for a in articles
        ],
    )


def _rows(engine) -> list[tuple[str, int, int, int]]:
    with Session(engine) as session:
        versions = (
            select(func.count())
            .where(schema.ArticleVersion.article_id == schema.Article.id)
            .scalar_subquery()
        )
        return session.execute(
            select(
                schema.Article.url, schema.Article.crawl_count, schema.Article.version, versions
            ).order_by(schema.Article.url)
        ).all()


def test_replay_stores_dead_letters_once_and_empties_the_file(tmp_path, database_url, engine):
    """Replayed items are stored, as crawled when the crawl met them, the file ends up empty,
    and a second replay is a no-op."""
    path = tmp_path / "data" / "deadletter.jsonl"
    _deadletters(path, [_article(n) for n in range(5)])

    assert replay(path, database_url, batch_size=2) == (5, 0)

    assert path.read_text() == ""
    rows = _rows(engine)
    assert [(crawls, version, versions) for _, crawls, version, versions in rows] == [(1, 1, 1)] * 5
    with Session(engine) as session:
        crawled = set(session.scalars(select(schema.Article.last_crawled_at)))
        assert {t.replace(tzinfo=t.tzinfo or dt.UTC) for t in crawled} == {CRAWLED_AT}
        assert session.scalar(select(func.count()).select_from(schema.Image)) == 5

    assert replay(path, database_url) == (0, 0)
    assert _rows(engine) == rows


def test_replaying_the_same_lines_twice_stores_them_once(tmp_path, database_url, engine):
    """A copy of a dead-letter file replayed after the original changes nothing."""
    path, copy = tmp_path / "deadletter.jsonl", tmp_path / "copy.jsonl"
    _deadletters(path, [_article(n) for n in range(3)])
    copy.write_bytes(path.read_bytes())

    replay(path, database_url)
    rows = _rows(engine)
    assert replay(copy, database_url) == (3, 0)

    assert _rows(engine) == rows


def test_bad_lines_stay_in_the_file(tmp_path, database_url, engine):
    """A line that is not an article stays, and does not keep the others out."""
    path = tmp_path / "deadletter.jsonl"
    _deadletters(path, [_article(1)])
    with path.open("a", encoding="utf-8") as lines:
        lines.write("{not json\n")
        lines.write(json.dumps({"title": "بلا رابط"}, ensure_ascii=False) + "\n")
    _deadletters(path, [_article(2)])

    assert replay(path, database_url) == (2, 2)

    assert path.read_text(encoding="utf-8").splitlines() == [
        "{not json",
        json.dumps({"title": "بلا رابط"}, ensure_ascii=False),
    ]
    assert len(_rows(engine)) == 2


def test_an_unreachable_database_keeps_every_line(tmp_path):
    """When the database cannot be opened, the file is left as it was."""
    path = tmp_path / "deadletter.jsonl"
    _deadletters(path, [_article(n) for n in range(3)])
    before = path.read_bytes()
    (tmp_path / "db").write_text("")  # a file where the database's directory should be

    with pytest.raises(OSError):
        replay(path, f"sqlite:///{tmp_path / 'db' / 'newsbot.db'}")

    assert path.read_bytes() == before


def test_a_database_failing_mid_replay_keeps_the_rest(tmp_path, database_url, engine, monkeypatch):
    """When the database fails after some batches, their lines go and the others stay."""
    path = tmp_path / "deadletter.jsonl"
    _deadletters(path, [_article(n) for n in range(5)])
    lines = path.read_text(encoding="utf-8").splitlines()
    calls = []

    def upsert_then_fail(session, batch, now):
        calls.append(len(batch))
        if len(calls) == 2:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return upsert_articles(session, batch, now)

    monkeypatch.setattr(pipelines.replay, "upsert_articles", upsert_then_fail)

    assert replay(path, database_url, batch_size=2) == (2, 3)

    assert path.read_text(encoding="utf-8").splitlines() == lines[2:]
    assert len(_rows(engine)) == 2


def test_a_dead_letter_written_during_a_replay_is_kept(tmp_path, database_url, monkeypatch):
    """A crawl that dead-letters while a replay runs waits for it, then writes to the file
    the replay left: nothing is lost to the rename."""
    path = tmp_path / "deadletter.jsonl"
    _deadletters(path, [_article(1)])
    store, writers = pipelines.replay._store, []

    def store_while_a_crawl_writes(*args):
        writer = threading.Thread(target=_deadletters, args=(path, [_article(2)]))
        writer.start()
        writer.join(0.2)
        assert writer.is_alive()  # waiting for the replay's lock
        writers.append(writer)
        return store(*args)

    monkeypatch.setattr(pipelines.replay, "_store", store_while_a_crawl_writes)

    assert replay(path, database_url) == (1, 0)

    writers[0].join(5)
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["url"] == "https://news.example.com/ar/2"


def test_db_replay_command(tmp_path, database_url, engine, capsys):
    """`newsbot db replay FILE --db URL` stores the file's articles and says how many."""
    path = tmp_path / "deadletter.jsonl"
    _deadletters(path, [_article(n) for n in range(4)])

    assert dbcli.main(["replay", str(path), "--db", database_url]) == 0

    assert "4 articles stored in" in capsys.readouterr().out
    assert len(_rows(engine)) == 4
    assert dbcli.main(["replay", str(tmp_path / "missing.jsonl"), "--db", database_url]) == 1
    assert "no dead-letter file" in capsys.readouterr().err
