"""Pure helpers the pages use: highlighted snippets, dates, version diffs, the per-day chart.

Everything that ends up in HTML is escaped here or by Jinja2; functions that return markup
return :class:`markupsafe.Markup` built from escaped parts only.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# Month names as Arab news sites write them in most countries (Egypt, the Gulf, the Maghreb).
_MONTHS = (
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
)
# Bounds on the work a version diff may do: longer texts are compared paragraph by paragraph.
_MAX_DIFF_WORDS = 20_000
# A word and the white space after it (or white space at the start).
_WORD_RE = re.compile(r"\S+\s*|\s+")


def highlight(snippet: str | None, spans: Iterable[Sequence[int]] | None) -> Markup:
    """``snippet`` escaped, with the character ``spans`` (start, end) wrapped in ``<mark>``.

    Spans out of range, empty or overlapping an earlier one are ignored.
    """
    if not snippet:
        return Markup("")
    parts: list[str] = []
    position = 0
    for span in sorted((s for s in spans or () if len(s) == 2), key=lambda s: (s[0], s[1])):
        start, end = int(span[0]), int(span[1])
        if start < position or end <= start or end > len(snippet):
            continue
        parts.append(str(escape(snippet[position:start])))
        parts.append(f"<mark>{escape(snippet[start:end])}</mark>")
        position = end
    parts.append(str(escape(snippet[position:])))
    return Markup("".join(parts))


def as_utc(value: dt.datetime | dt.date | str | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives back naive UTC wall time)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso(value: dt.datetime | str | None) -> str | None:
    """ISO 8601 in UTC with its offset, for JSON and ``<time datetime>``."""
    when = as_utc(value)
    return when.isoformat() if when else None


def arabic_date(value: dt.datetime | dt.date | str | None, *, time: bool = True) -> str:
    """``11 مارس 2025 · 08:40 UTC``: day, Arabic month name, year, and the UTC time."""
    when = as_utc(value)
    if when is None:
        return "—"
    day = f"{when.day} {_MONTHS[when.month - 1]} {when.year}"
    return f"{day} · {when:%H:%M} UTC" if time else day


def results_count(total: int, capped: bool = False) -> str:
    """"12 نتيجة", "5 نتائج", "نتيجتان": the count as Arabic says it (digits kept Western)."""
    if capped:
        return f"أكثر من {total:,} نتيجة"
    if total == 0:
        return "لا نتائج"
    if total == 1:
        return "نتيجة واحدة"
    if total == 2:
        return "نتيجتان"
    if 3 <= total % 100 <= 10:
        return f"{total:,} نتائج"
    return f"{total:,} نتيجة"


def arabic_day(value: dt.date) -> str:
    """``11 مارس``: a chart label."""
    return f"{value.day} {_MONTHS[value.month - 1]}"


def web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL a page may link to, else ``None`` (no ``javascript:``)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


# --- version diffs ---------------------------------------------------------------------------

# One piece of a diff: "=" unchanged, "+" added, "-" removed, and its text.
Piece = tuple[str, str]


def word_diff(old: str, new: str) -> list[Piece]:
    """The word-level difference from ``old`` to ``new`` as ``(op, text)`` pieces.

    Words keep the spaces after them, so joining the texts of the "=" and "+" pieces gives
    ``new`` back and of the "=" and "-" pieces gives ``old`` back.
    """
    old_words, new_words = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _add(pieces, "=", "".join(new_words[j1:j2]))
            continue
        if op in ("delete", "replace"):
            _add(pieces, "-", "".join(old_words[i1:i2]))
        if op in ("insert", "replace"):
            _add(pieces, "+", "".join(new_words[j1:j2]))
    return pieces


def paragraphs_diff(old: Sequence[str], new: Sequence[str]) -> list[list[Piece]]:
    """What changed between two versions' paragraphs: one list of pieces per paragraph.

    Paragraphs are matched first; a paragraph replaced by another gets a word-level diff, one
    added or removed is a single "+" or "-" piece, and unchanged ones are left out (their
    place shows as a ``[("=", "…")]`` gap marker where they were skipped).
    """
    old, new = list(old or ()), list(new or ())
    words = sum(len(p.split()) for p in old) + sum(len(p.split()) for p in new)
    by_words = words <= _MAX_DIFF_WORDS
    out: list[list[Piece]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            if not out or out[-1] != [("=", "…")]:
                out.append([("=", "…")])
            continue
        if op == "replace" and by_words:
            pairs = list(zip(old[i1:i2], new[j1:j2], strict=False))
            out.extend(word_diff(a, b) for a, b in pairs)
            out.extend([("-", p)] for p in old[i1 + len(pairs):i2])
            out.extend([("+", p)] for p in new[j1 + len(pairs):j2])
            continue
        out.extend([("-", p)] for p in old[i1:i2])
        out.extend([("+", p)] for p in new[j1:j2])
    if out and out[0] == [("=", "…")]:
        out.pop(0)
    if out and out[-1] == [("=", "…")]:
        out.pop()
    return out


def version_changes(versions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each version after the first, what changed since the one before.

    Returns ``[{"version", "title": pieces | None, "paragraphs": [pieces, ...]}]``, newest
    first; ``title`` is ``None`` when the title did not change.
    """
    changes = []
    for before, after in itertools.pairwise(versions):
        old_title, new_title = before.get("title") or "", after.get("title") or ""
        changes.append({
            "version": after.get("version"),
            "crawled_at": after.get("crawled_at"),
            "title": word_diff(old_title, new_title) if old_title != new_title else None,
            "paragraphs": paragraphs_diff(
                before.get("paragraphs") or [], after.get("paragraphs") or []
            ),
        })
    changes.reverse()
    return changes


def diff_html(pieces: Iterable[Piece]) -> Markup:
    """Diff pieces as HTML: ``<ins>`` for added words, ``<del>`` for removed ones."""
    html = []
    for op, text in pieces:
        if op == "+":
            html.append(f"<ins>{escape(text)}</ins>")
        elif op == "-":
            html.append(f"<del>{escape(text)}</del>")
        else:
            html.append(str(escape(text)))
    return Markup("".join(html))


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _add(pieces: list[Piece], op: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1][0] == op:
        pieces[-1] = (op, pieces[-1][1] + text)
    else:
        pieces.append((op, text))


# --- the per-day chart -----------------------------------------------------------------------


def day_range(end: dt.date, days: int) -> list[dt.date]:
    """The ``days`` days up to and including ``end``, oldest first."""
    return [end - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def bar_chart(
    counts: dict[dt.date, int],
    days: Sequence[dt.date],
    *,
    width: int = 720,
    height: int = 180,
    labels: bool = True,
    title: str = "",
) -> Markup:
    """An inline SVG bar chart of ``counts`` over ``days`` (time runs left to right).

    No script and no inline style: the page's stylesheet colours it through classes, so it
    works offline and under the app's Content-Security-Policy.
    """
    if not days:
        return Markup("")
    top = max([counts.get(day, 0) for day in days] + [1])
    axis = 22 if labels else 0
    head = 16 if labels else 0
    plot = height - axis - head
    slot = width / len(days)
    bar = max(1.0, slot * 0.7)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" dir="ltr">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts.append(
        f'<line class="axis" x1="0" y1="{head + plot}" x2="{width}" y2="{head + plot}"/>'
    )
    label_every = max(1, round(len(days) / 7))
    for index, day in enumerate(days):
        count = counts.get(day, 0)
        x = index * slot + (slot - bar) / 2
        h = plot * count / top
        y = head + plot - h
        tip = f"{arabic_day(day)}: {count}"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if labels and count:
            parts.append(
                f'<text class="value" x="{x + bar / 2:.1f}" y="{y - 3:.1f}" '
                f'text-anchor="middle">{count}</text>'
            )
        last = len(days) - 1
        if labels and (index == last or (index % label_every == 0 and last - index >= label_every)):
            parts.append(
                f'<text class="label" x="{x + bar / 2:.1f}" y="{height - 5}" '
                f'text-anchor="middle">{escape(arabic_day(day))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
