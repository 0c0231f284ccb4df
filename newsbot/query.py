"""The read side of the database: search, one article, streams for export, stats.

Used by ``newsbot search|export|stats`` (:mod:`newsbot.querycli`) and by the web app.

Search works on the search form of the text (:func:`newsbot.text.search_key`), which the
store writes to ``title_search`` and ``text_search``; the query goes through the same function,
so "جرائم" finds "الجرائم", "والجرائم", "الجـ.رائم" and "الجرائِم". The query's words are its
terms, and an article matches when its text holds every term (a term may sit inside a word:
after و, ال, ب ...). SQLite looks terms of three characters or more up in the FTS5 trigram
index ``articles_fts`` and ranks by BM25 with the title weighing ten times the text; PostgreSQL
uses ``LIKE '%term%'``, served by trigram GIN indexes (``pg_trgm``), and ranks by
``word_similarity`` to the title. On both, articles whose title holds every term come first
(revision ``0002_search`` makes the indexes). Snippets are made here, from the display text of
the hits only. Every value from the caller reaches the database as a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Date, Engine, cast, func, select, text
from sqlalchemy.exc import OperationalError

from newsbot.text import search_key
from pipelines.schema import article_versions, articles, crawl_runs, images

MAX_QUERY_CHARS = 200  # after normalisation
MAX_LIMIT = 100
TOTAL_CAP = 10_000  # matches counted at most; beyond, SearchResult.total_capped
SNIPPET_CHARS = 200
STATEMENT_TIMEOUT = 5.0  # seconds
# Longer text is refused before it is normalised: it would seldom fit MAX_QUERY_CHARS, and
# normalising megabytes takes time.
_RAW_QUERY_CHARS = 20 * MAX_QUERY_CHARS
_TITLE_WEIGHT = 10.0  # BM25 weight of title_search against text_search (SQLite)
_FTS_MIN_CHARS = 3  # the trigram index finds nothing shorter
_TIE_SLACK = 50  # candidates past the page, for ties in BM25 that the date breaks (SQLite)
# PostgreSQL settings for a scan in date order (see _postgres_common_page).
_ORDERED_SCAN = {
    "enable_bitmapscan": "off",
    "enable_seqscan": "off",
    "enable_sort": "off",
    "max_parallel_workers_per_gather": "0",
}
_SNIPPET_LEAD = 40  # characters of context before the first match
_ELLIPSIS = "…"
# Control characters and lone surrogates: nothing in the stored text, not storable in
# PostgreSQL (NUL) or not encodable at all (surrogates). They separate terms.
_UNSEARCHABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
_SEARCH_COLUMNS = ("title_search", "text_search")
# What an export gives for each article: every column but the search form, then its images.
EXPORT_COLUMNS: tuple[str, ...] = (
    *(column.name for column in articles.columns if column.name not in _SEARCH_COLUMNS),
    "images",
)
_IMAGE_FIELDS = ("position", "src", "alt", "caption", "credit")


class QueryError(ValueError):
    """The search or its filters cannot be run as given; the message says why."""


@dataclass
class Hit:
    """One article found: what a result list shows."""

    id: int
    title: str
    site: str | None
    url: str
    published_at: dt.datetime | None
    snippet: str  # display text around the first match, whitespace collapsed
    highlights: list[tuple[int, int]]  # [start, end) spans of matching words in snippet
    score: float  # higher is better; comparable within one search only
    title_highlights: list[tuple[int, int]] = field(default_factory=list)  # spans in title


@dataclass
class SearchResult:
    query: str
    key: str  # the search form of the query
    total: int  # matching articles, at most TOTAL_CAP
    hits: list[Hit]
    elapsed_ms: float
    total_capped: bool = False  # more than TOTAL_CAP articles match ("10000+")


# --- search ----------------------------------------------------------------------------------


def parse_query(query: str) -> tuple[str, list[str]]:
    """The search form of ``query`` and its terms (distinct, in order); QueryError if unusable."""
    if not isinstance(query, str):
        raise QueryError(f"the query must be text, not {type(query).__name__}")
    if len(query) > _RAW_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(query):,} characters; at most {MAX_QUERY_CHARS})"
        )
    key = " ".join(_UNSEARCHABLE_RE.sub(" ", search_key(query)).split())
    if not key:
        raise QueryError("the query is empty: give a word to search for")
    if len(key) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(key)} characters once normalised;"
            f" at most {MAX_QUERY_CHARS})"
        )
    return key, list(dict.fromkeys(key.split()))


def search(
    engine: Engine,
    query: str,
    *,
    site: str | None = None,
    since: dt.date | dt.datetime | str | None = None,
    until: dt.date | dt.datetime | str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResult:
    """Articles whose title, headings, paragraphs or captions hold every term of ``query``.

    ``site`` is a site's host as stored (``youm7.com``); ``since`` and ``until`` bound the
    publication time, inclusive (a date means the whole UTC day; a naive time is UTC), and
    exclude articles without one. Raises :class:`QueryError` for an empty or too long query,
    a ``limit`` outside 1..100, a negative ``offset``, ``since`` after ``until``, or a search
    that runs longer than ``STATEMENT_TIMEOUT``.
    """
    started = time.perf_counter()
    key, terms = parse_query(query)
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    if type(offset) is not int or offset < 0:
        raise QueryError(f"offset must be a whole number, 0 or more, not {offset!r}")
    filters = _Filters.make(site, since, until)
    page = _sqlite_page if engine.dialect.name == "sqlite" else _postgres_page
    with _bounded(engine) as connection:
        found, ranked = page(connection, terms, filters, limit, offset)
        rows = _hit_rows(connection, [id_ for id_, _ in ranked])
    hits = [_hit(rows[id_], score, terms) for id_, score in ranked if id_ in rows]
    return SearchResult(
        query=query,
        key=key,
        total=min(found, TOTAL_CAP),
        hits=hits,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        total_capped=found > TOTAL_CAP,
    )


@dataclass(frozen=True)
class _Filters:
    site: str | None
    since: dt.datetime | None  # inclusive
    before: dt.datetime | None  # exclusive

    @classmethod
    def make(cls, site: Any, since: Any, until: Any) -> _Filters:
        if site is not None and not isinstance(site, str):
            raise QueryError(f"site must be text, not {type(site).__name__}")
        if site and _UNSEARCHABLE_RE.search(site):
            raise QueryError(f"site {site!r} holds control characters: no site is named so")
        start = _bound(since, "since")
        end = _bound(until, "until")
        if end is None:
            before = None
        elif _is_day(until):  # until a day: to the end of that day
            before = end + dt.timedelta(days=1)
        else:
            before = end + dt.timedelta(microseconds=1)
        if start is not None and before is not None and start >= before:
            raise QueryError(f"since ({since}) is after until ({until})")
        return cls(site or None, start, before)

    def sql(self, alias: str) -> tuple[list[str], dict[str, Any]]:
        where, params = [], {}
        if self.site is not None:
            where.append(f"{alias}.site = :site")
            params["site"] = self.site
        if self.since is not None:
            where.append(f"{alias}.published_at >= :since")
            params["since"] = self.since
        if self.before is not None:
            where.append(f"{alias}.published_at < :before")
            params["before"] = self.before
        return where, params


def _bound(value: Any, name: str) -> dt.datetime | None:
    """A date, datetime or ISO string as an aware UTC datetime (a date: its midnight, UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = (
                dt.date.fromisoformat(value)
                if len(value) <= 10
                else dt.datetime.fromisoformat(value)
            )
        except ValueError:
            raise QueryError(
                f"{name} must be a date (YYYY-MM-DD) or a time, not {value!r}"
            ) from None
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise QueryError(f"{name} must be a date or a time, not {type(value).__name__}")


def _is_day(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= 10
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _like(term: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching ``term`` anywhere."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(term: str) -> str:
    """``term`` as an FTS5 string: every character literal, ``"`` doubled."""
    return '"' + term.replace('"', '""') + '"'


# A page is (matches counted up to TOTAL_CAP + 1, [(id, score)] best first).
_Page = tuple[int, list[tuple[int, float]]]
# A match as collected: (id, in title, score, published_at); ranked by _rank.
_Match = tuple[int, bool, float, Any]


def _rank(matches: list[_Match], limit: int, offset: int) -> list[tuple[int, float]]:
    """The page of ``matches`` in the order of the SQL of each backend: title matches first,
    then by score, the newest (undated last), the highest id."""
    ordered = sorted(matches, key=lambda m: m[0], reverse=True)
    ordered.sort(key=lambda m: (m[3] is not None, m[3] or 0), reverse=True)
    ordered.sort(key=lambda m: (m[1], m[2]), reverse=True)
    return [(id_, score) for id_, _, score, _ in ordered[offset : offset + limit]]


def _collect(connection: Connection, sql: str, params: dict[str, Any]) -> list[_Match]:
    """Up to TOTAL_CAP + 1 matches with what ranks them, in one pass over the index:
    counting and ranking a few thousand matches in Python beats rechecking them twice."""
    found = connection.execute(text(f"{sql} LIMIT :cap"), {**params, "cap": TOTAL_CAP + 1})
    return [
        (id_, bool(in_title), float(score or 0.0), when) for id_, in_title, score, when in found
    ]


def _sqlite_page(
    connection: Connection, terms: list[str], filters: _Filters, limit: int, offset: int
) -> _Page:
    """FTS5 MATCH for terms of 3+ characters, LIKE on text_search for shorter ones; title
    matches first, then BM25 (title weighing ``_TITLE_WEIGHT``), then the newest."""
    long_terms = [term for term in terms if len(term) >= _FTS_MIN_CHARS]
    short_terms = [term for term in terms if len(term) < _FTS_MIN_CHARS]
    where, params = filters.sql("a")
    for i, term in enumerate(short_terms):
        where.append(f"a.text_search LIKE :short{i} ESCAPE '\\'")
        params[f"short{i}"] = _like(term)
    in_title = [f"a.title_search LIKE :short{i} ESCAPE '\\'" for i in range(len(short_terms))]
    if long_terms:
        params["match"] = " ".join(map(_phrase, long_terms))
        params["title_match"] = f"title_search : ({params['match']})"
        if not where:
            return _sqlite_fts_page(connection, params, limit, offset)
        # The title's own index: reading title_search from the row would mean reading past
        # the long columns stored before it.
        in_title.insert(
            0, "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :title_match)"
        )
        where.insert(0, "articles_fts MATCH :match")
        sql_from = "articles_fts JOIN articles AS a ON a.id = articles_fts.rowid"
        score = f"-bm25(articles_fts, {_TITLE_WEIGHT}, 1.0)"
    else:
        sql_from, score = "articles AS a", "0.0"
    select_ = (
        f"SELECT a.id, ({' AND '.join(in_title)}) AS in_title, {score} AS score, a.published_at"
        f" FROM {sql_from} WHERE {' AND '.join(where)}"
    )
    matches = _collect(connection, select_, params)
    if len(matches) <= TOTAL_CAP:
        return len(matches), _rank(matches, limit, offset)
    ranked = connection.execute(
        text(
            f"{select_} ORDER BY in_title DESC, score DESC,"
            " a.published_at IS NULL, a.published_at DESC, a.id DESC"
            " LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    return len(matches), [(id_, score) for id_, _, score, _ in ranked]


def _sqlite_fts_page(connection: Connection, params: dict, limit: int, offset: int) -> _Page:
    """Long terms and no filter: the index alone ranks, the rows are read for the best only.

    The best ``offset + limit`` (and ``_TIE_SLACK`` more) by title match and BM25 come from
    FTS5; their publication times then break ties. Reading every match's row to sort by it
    would be four times slower for a common word.
    """
    found = connection.execute(
        text(
            "SELECT count(*) FROM (SELECT 1 FROM articles_fts"
            " WHERE articles_fts MATCH :match LIMIT :cap)"
        ),
        {**params, "cap": TOTAL_CAP + 1},
    ).scalar_one()
    candidates = connection.execute(
        text(
            "SELECT rowid, rowid IN (SELECT rowid FROM articles_fts"
            " WHERE articles_fts MATCH :title_match) AS in_title,"
            f" -bm25(articles_fts, {_TITLE_WEIGHT}, 1.0) AS score"
            " FROM articles_fts WHERE articles_fts MATCH :match"
            " ORDER BY in_title DESC, score DESC LIMIT :k"
        ),
        {**params, "k": offset + limit + _TIE_SLACK},
    ).all()
    published = dict(
        connection.execute(
            select(articles.c.id, articles.c.published_at).where(
                articles.c.id.in_([row[0] for row in candidates])
            )
        ).all()
    )
    matches = [(id_, bool(t), score, published.get(id_)) for id_, t, score in candidates]
    return found, _rank(matches, limit, offset)


def _postgres_page(
    connection: Connection, terms: list[str], filters: _Filters, limit: int, offset: int
) -> _Page:
    """LIKE '%term%' on text_search (trigram GIN index); title matches first, by
    ``word_similarity`` to the title, then the newest.

    The index finds candidates, each rechecked against its text (read from TOAST); a word
    whose trigrams are common has many candidates, so they are rechecked once, counted and
    ranked here. Past TOTAL_CAP matches, when an ordered scan pays (see
    :func:`_postgres_common_page`), the page is read in date order instead.
    """
    where, params = filters.sql("a")
    for i, term in enumerate(terms):
        where.insert(i, f"a.text_search LIKE :term{i}")
        params[f"term{i}"] = _like(term)
    params["key"] = " ".join(terms)
    in_title = " AND ".join(f"a.title_search LIKE :term{i}" for i in range(len(terms)))
    select_ = (
        f"SELECT a.id, coalesce({in_title}, false) AS in_title,"
        f" CASE WHEN {in_title} THEN 1 + word_similarity(:key, a.title_search) ELSE 0 END"
        f" AS score, a.published_at FROM articles AS a WHERE {' AND '.join(where)}"
    )
    matches = _collect(connection, select_, params)
    if len(matches) <= TOTAL_CAP:
        return len(matches), _rank(matches, limit, offset)
    if _ordered_scan_pays(connection, len(matches), offset + limit):
        return len(matches), _postgres_common_page(
            connection, where, in_title, filters, params, limit, offset
        )
    ranked = connection.execute(
        text(
            f"{select_} ORDER BY score DESC, a.published_at DESC NULLS LAST, a.id DESC"
            " LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    return len(matches), [(id_, score) for id_, _, score, _ in ranked]


def _count(connection: Connection, where: str, params: dict[str, Any], cap: int) -> int:
    return connection.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM articles AS a WHERE {where} LIMIT :cap) AS m"),
        {**params, "cap": cap},
    ).scalar_one()


def _ordered_scan_pays(connection: Connection, found: int, wanted: int) -> bool:
    """Whether reading articles newest first finds ``wanted`` of ``found`` matches sooner
    than rechecking all of them: it reads about wanted * rows / found articles."""
    rows = connection.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = 'articles'::regclass"
    ).scalar_one()
    return wanted * max(rows, found) / max(found, 1) < found


def _postgres_common_page(
    connection: Connection,
    where: list[str],
    in_title: str,
    filters: _Filters,
    params: dict[str, Any],
    limit: int,
    offset: int,
) -> list[tuple[int, float]]:
    """The page of a common word, in the order of the general query: title matches (found by
    the title's index: the title is part of the text), then the rest newest first, read in
    publication order from its index and stopped at the page's end."""
    title_where = " AND ".join([in_title, *filters.sql("a")[0]])
    titles = _count(connection, title_where, params, offset + 1)
    page = connection.execute(
        text(
            "SELECT a.id, 1 + word_similarity(:key, a.title_search) AS score"
            f" FROM articles AS a WHERE {title_where}"
            " ORDER BY score DESC, a.published_at DESC NULLS LAST, a.id DESC"
            " LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    rest = " AND ".join([*where, f"NOT coalesce({in_title}, false)"])
    skip = max(0, offset - titles)
    if len(page) == limit:
        return [(id_, score) for id_, score in page]
    # Newest first, in the order of ix_articles_published_at, stopping at the page's end.
    # The planner expects few matches (it cannot tell from LIKE) and would rather read
    # them all and sort; so no bitmap, sequential or parallel scans, and no sort: ties in
    # the time are read whole and broken by id here.
    for setting, value in _ORDERED_SCAN.items():
        connection.exec_driver_sql(f"SET LOCAL {setting} = {value}")
    dated = connection.execute(
        text(
            f"SELECT a.id, a.published_at FROM articles AS a WHERE {rest}"
            " AND a.published_at IS NOT NULL ORDER BY a.published_at DESC LIMIT :want"
        ),
        {**params, "want": skip + limit - len(page)},
    ).all()
    for setting in _ORDERED_SCAN:
        connection.exec_driver_sql(f"RESET {setting}")
    exhausted = len(dated) < skip + limit - len(page)
    if dated and not exhausted:
        dated += connection.execute(
            text(
                f"SELECT a.id, a.published_at FROM articles AS a"
                f" WHERE {rest} AND a.published_at = :last"
            ),
            {**params, "last": dated[-1][1]},
        ).all()
    ordered = sorted(set(dated), key=lambda row: (row[1], row[0]), reverse=True)
    page += [(id_, 0.0) for id_, _ in ordered[skip : skip + limit - len(page)]]
    if len(page) < limit and exhausted:
        page += connection.execute(
            text(
                f"SELECT a.id, 0.0 FROM articles AS a WHERE {rest} AND a.published_at IS NULL"
                " ORDER BY a.id DESC LIMIT :limit OFFSET :offset"
            ),
            {**params, "limit": limit - len(page), "offset": max(0, skip - len(dated))},
        ).all()
    return [(id_, score) for id_, score in page]


@contextmanager
def _bounded(engine: Engine) -> Iterator[Connection]:
    """A read transaction whose statements are cancelled after ``STATEMENT_TIMEOUT``."""
    with engine.connect() as connection:
        try:
            if connection.dialect.name == "postgresql":
                with connection.begin():
                    connection.exec_driver_sql(
                        f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT * 1000)}"
                    )
                    yield connection
                return
            raw = connection.connection.driver_connection
            deadline = time.monotonic() + STATEMENT_TIMEOUT
            raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
            try:
                with connection.begin():
                    yield connection
            finally:
                raw.set_progress_handler(None, 0)
        except OperationalError as exc:
            if _is_timeout(exc):
                raise QueryError(
                    f"the search took longer than {STATEMENT_TIMEOUT:g} s and was stopped:"
                    " narrow it with longer words or filters"
                ) from None
            raise


def _is_timeout(exc: OperationalError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled
        return True
    return "interrupted" in str(orig)  # SQLite, stopped by the progress handler


def _hit_rows(connection: Connection, ids: list[int]) -> dict[int, Mapping[str, Any]]:
    if not ids:
        return {}
    columns = ("id", "title", "site", "url", "published_at", "body", "headings", "captions")
    found = connection.execute(
        select(*(articles.c[name] for name in columns)).where(articles.c.id.in_(ids))
    )
    return {row.id: row._mapping for row in found}


def _hit(row: Mapping[str, Any], score: float, terms: list[str]) -> Hit:
    title = row["title"] or ""
    snippet, highlights = make_snippet(
        [row["body"] or "", *(row["headings"] or ()), *(row["captions"] or ()), title], terms
    )
    return Hit(
        id=row["id"],
        title=title,
        site=row["site"],
        url=row["url"],
        published_at=_utc(row["published_at"]),
        snippet=snippet,
        highlights=highlights,
        score=float(score or 0.0),
        title_highlights=mark_words(title, terms),
    )


# --- snippets --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65_536)
def _word_key(word: str) -> str:
    return search_key(word)


def _word_matches(word: str, terms: list[str]) -> bool:
    key = _word_key(word)
    return any(term in key for term in terms)


_WORD_RE = re.compile(r"\S+")
_PUNCTUATION = "".join(chr(cp) for cp in range(0x3000) if unicodedata.category(chr(cp))[0] in "PS")


def mark_words(text_: str, terms: list[str]) -> list[tuple[int, int]]:
    """Spans of the words of ``text_`` whose search form holds one of ``terms``."""
    return [
        _trimmed(m.group(), m.start(), terms)
        for m in _WORD_RE.finditer(text_)
        if _word_matches(m.group(), terms)
    ]


def _trimmed(word: str, start: int, terms: list[str]) -> tuple[int, int]:
    """The span of ``word`` at ``start`` without the punctuation around it ("«الجرائم»،"),
    unless a term needs it."""
    inner = word.strip(_PUNCTUATION)
    if not inner or not _word_matches(inner, terms):
        return start, start + len(word)
    at = start + word.index(inner)
    return at, at + len(inner)


def make_snippet(texts: list[str], terms: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """About ``SNIPPET_CHARS`` of display text around the first word matching a term.

    ``texts`` are searched in order (body, headings, captions, title); the snippet comes from
    the first that has a match, or is the start of the first non-empty one. Words are joined
    by single spaces, a cut is shown by "…"; the spans are those of the matching words.
    """
    for text_ in texts:
        words = text_.split()
        marked = [i for i, word in enumerate(words) if _word_matches(word, terms)]
        if marked:
            return _window(words, marked, terms)
    first = next((t for t in texts if t.strip()), "")
    return _window(first.split(), [], terms)


def _window(
    words: list[str], marked: list[int], terms: list[str]
) -> tuple[str, list[tuple[int, int]]]:
    if not words:
        return "", []
    first = marked[0] if marked else 0
    start, lead = first, 0
    while start > 0 and lead + len(words[start - 1]) + 1 <= _SNIPPET_LEAD:
        start -= 1
        lead += len(words[start]) + 1
    parts: list[str] = [_ELLIPSIS] if start > 0 else []
    spans: list[tuple[int, int]] = []
    marked_set = set(marked)
    length = len(parts[0]) + 1 if parts else 0
    end = start
    while end < len(words) and (end == start or length + len(words[end]) <= SNIPPET_CHARS):
        word = words[end]
        if len(word) > SNIPPET_CHARS:  # a URL or a run without spaces
            word = word[:SNIPPET_CHARS] + _ELLIPSIS
        if end in marked_set:
            spans.append(_trimmed(word, length, terms))
        parts.append(word)
        length += len(word) + 1
        end += 1
    if end < len(words):
        parts.append(_ELLIPSIS)
    return " ".join(parts), spans


# --- one article -----------------------------------------------------------------------------


def get_article(engine: Engine, article_id: int) -> dict[str, Any] | None:
    """Every column of article ``article_id``, its ``images`` (by position) and ``versions``
    (``version``, ``crawled_at``, ``content_hash``, ``title``, ``paragraphs``; oldest first);
    None when there is no such article. Times are aware, in UTC."""
    if type(article_id) is not int:
        raise QueryError(f"an article id is a whole number, not {article_id!r}")
    with engine.connect() as connection:
        row = connection.execute(select(articles).where(articles.c.id == article_id)).first()
        if row is None:
            return None
        article = _plain(row._mapping)
        article["images"] = [
            _plain(image._mapping)
            for image in connection.execute(
                select(images).where(images.c.article_id == article_id).order_by(images.c.position)
            )
        ]
        article["versions"] = [
            _plain(version._mapping)
            for version in connection.execute(
                select(
                    article_versions.c.version,
                    article_versions.c.crawled_at,
                    article_versions.c.content_hash,
                    article_versions.c.title,
                    article_versions.c.paragraphs,
                )
                .where(article_versions.c.article_id == article_id)
                .order_by(article_versions.c.version)
            )
        ]
    return article


# --- streams ---------------------------------------------------------------------------------


def iter_articles(
    engine: Engine,
    *,
    site: str | None = None,
    since: dt.date | dt.datetime | str | None = None,
    until: dt.date | dt.datetime | str | None = None,
    batch_size: int = 500,
) -> Iterator[dict[str, Any]]:
    """Every article (the ``EXPORT_COLUMNS``: all but the search form, with ``images``), by id.

    Rows come from a server-side cursor ``batch_size`` at a time, with the images of each
    batch read in one query, so memory does not grow with the table. ``site``, ``since``
    and ``until`` filter as in :func:`search`.
    """
    for batch in iter_article_batches(
        engine, site=site, since=since, until=until, batch_size=batch_size
    ):
        yield from batch


def iter_article_batches(
    engine: Engine,
    *,
    site: str | None = None,
    since: dt.date | dt.datetime | str | None = None,
    until: dt.date | dt.datetime | str | None = None,
    batch_size: int = 500,
) -> Iterator[list[dict[str, Any]]]:
    """:func:`iter_articles` a list of at most ``batch_size`` articles at a time."""
    if type(batch_size) is not int or batch_size < 1:
        raise QueryError(f"batch_size must be a whole number, 1 or more, not {batch_size!r}")
    filters = _Filters.make(site, since, until)
    stmt = select(*(articles.c[name] for name in EXPORT_COLUMNS[:-1])).order_by(articles.c.id)
    if filters.site is not None:
        stmt = stmt.where(articles.c.site == filters.site)
    if filters.since is not None:
        stmt = stmt.where(articles.c.published_at >= filters.since)
    if filters.before is not None:
        stmt = stmt.where(articles.c.published_at < filters.before)
    with engine.connect() as connection, connection.begin():
        result = connection.execution_options(yield_per=batch_size).execute(stmt)
        for partition in result.partitions():
            batch = [_plain(row._mapping) for row in partition]
            by_id: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in batch}
            for image in connection.execute(
                select(images.c.article_id, *(images.c[name] for name in _IMAGE_FIELDS))
                .where(images.c.article_id.in_(list(by_id)))
                .order_by(images.c.article_id, images.c.position)
            ):
                by_id[image.article_id].append(
                    {name: image._mapping[name] for name in _IMAGE_FIELDS}
                )
            for row in batch:
                row["images"] = by_id[row["id"]]
            yield batch


# --- stats -----------------------------------------------------------------------------------


def site_counts(engine: Engine, days: int = 14) -> list[dict[str, Any]]:
    """Articles published per site and per UTC day over the last ``days`` days (today
    included): ``{site, day, count}`` by day, then site. Articles without a publication time
    are not counted."""
    if type(days) is not int or days < 1:
        raise QueryError(f"days must be a whole number, 1 or more, not {days!r}")
    today = dt.datetime.now(dt.UTC).date()
    start = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), dt.UTC)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
    if engine.dialect.name == "postgresql":
        day = cast(func.timezone("UTC", articles.c.published_at), Date)
    else:  # the UTC wall time, as text
        day = func.date(articles.c.published_at)
    stmt = (
        select(articles.c.site, day.label("day"), func.count().label("count"))
        .where(articles.c.published_at >= start, articles.c.published_at < end)
        .group_by(articles.c.site, day)
        .order_by(day, articles.c.site)
    )
    with engine.connect() as connection:
        return [
            {"site": site, "day": _date(value), "count": count}
            for site, value, count in connection.execute(stmt)
        ]


def recent_runs(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    """The last ``limit`` crawl runs, newest first, with every column of ``crawl_runs``."""
    if type(limit) is not int or limit < 1:
        raise QueryError(f"limit must be a whole number, 1 or more, not {limit!r}")
    stmt = (
        select(crawl_runs)
        .order_by(crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [_plain(row._mapping) for row in connection.execute(stmt)]


def sites_summary(engine: Engine) -> list[dict[str, Any]]:
    """``{site, articles, last_published, last_crawled}`` per site, most articles first."""
    stmt = (
        select(
            articles.c.site,
            func.count().label("articles"),
            func.max(articles.c.published_at).label("last_published"),
            func.max(articles.c.last_crawled_at).label("last_crawled"),
        )
        .group_by(articles.c.site)
        .order_by(func.count().desc(), articles.c.site)
    )
    with engine.connect() as connection:
        return [_plain(row._mapping) for row in connection.execute(stmt)]


# --- values ----------------------------------------------------------------------------------


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aware UTC time; SQLite gives back the UTC wall time without a zone."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _utc(value) if isinstance(value, dt.datetime) else value
        for key, value in mapping.items()
    }
