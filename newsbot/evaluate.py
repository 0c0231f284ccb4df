"""The extraction scorer behind ``newsbot eval DIR``: extracted fields against hand-written gold.

A directory of cases is either

- newsbot gold: ``NAME.gold.json`` beside ``NAME.html`` (or with ``"page"``, a path under the
  bundled demo site), holding ``title``, ``published_at``, ``headings``, ``paragraphs``,
  ``captions``, ``must_include``, ``must_exclude`` and optionally ``timezone`` (the IANA zone of
  dates the page prints without an offset); or
- a Zyte article-extraction-benchmark checkout: ``ground-truth.json`` (page id ->
  ``{url, articleBody}``) and ``html/ID.html.gz`` (UTF-8).

Metrics, per page (a field the gold does not have is ``None`` and left out of every mean):

- ``title_ok``: the title equals the gold's after white space is collapsed.
- ``date_ok``: the calendar date is the gold's (in the gold's offset when both have one);
  ``datetime_ok``, only when the gold has a time: the same instant.
- body precision/recall/F1, as in scrapinghub/article-extraction-benchmark's ``evaluate.py``:
  the text is cut into word tokens (:func:`tokens`), the tokens into overlapping 4-token
  shingles, and the two multisets of shingles are compared. A page whose extraction is empty
  has no precision (it is left out of the precision mean) and recall 0. The body is the
  paragraphs against gold ``paragraphs``, or the whole extracted text in reading order
  (headings too) against a Zyte ``articleBody``. ``body_exact``: the token sequences are equal
  (the benchmark's "accuracy").
- ``headings_f1``: F1 of the multisets of headings (white space collapsed); no headings in the
  gold and none extracted is 1.
- ``caption_recall``: the share of the gold captions extracted exactly (pages without gold
  captions: ``None``).
- snippet violations: ``must_include`` snippets missing from the extracted headings and
  paragraphs plus ``must_exclude`` snippets found in them.

Overall, each metric is the mean over the pages that have it. Body F1 is given two ways: the
benchmark's, the harmonic mean of the mean precision and the mean recall (comparable with its
published figures), and the mean of the per-page F1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import importlib.util
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from newsbot.extraction.textutil import collapse

DEMO_SITE = Path(__file__).parent / "demo" / "site"
SHINGLE_SIZE = 4
"""Tokens per shingle, as in the Zyte benchmark."""


def _mark_ranges() -> str:
    """The combining marks (Unicode category M*) of the BMP as a regex class body."""
    ranges: list[str] = []
    start = prev = None
    for code in range(0x0300, 0x10000):
        if unicodedata.category(chr(code))[0] == "M":
            if prev is not None and code == prev + 1:
                prev = code
                continue
            if start is not None:
                ranges.append(f"{chr(start)}-{chr(prev)}")
            start = prev = code
    if start is not None:
        ranges.append(f"{chr(start)}-{chr(prev)}")
    return "".join(ranges)


# The benchmark's tokens are ``\w+``. Python's ``\w`` leaves out combining marks, which would cut
# a vowelled Arabic word (مُحَمَّد) into letters, so marks count as word characters here.
_TOKEN = re.compile(rf"\w[\w{_mark_ranges()}]*")


def tokens(text: str | None) -> list[str]:
    """The word tokens of ``text``, the unit of body precision and recall.

    A token is a run of word characters (letters, digits, ``_``) and the combining marks that
    go with them; punctuation, symbols and white space separate tokens and are dropped. There
    is no case folding, Unicode normalisation or Arabic folding: both sides are compared as
    published, and every language is cut the same way.
    """
    return _TOKEN.findall(text or "")


def shingles(text: str | None, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """The multiset of runs of ``size`` consecutive tokens; a shorter text is one shingle."""
    toks = tokens(text)
    if len(toks) <= size:
        return Counter([tuple(toks)] if toks else [])
    return Counter(tuple(toks[i : i + size]) for i in range(len(toks) - size + 1))


class BodyScore(NamedTuple):
    precision: float | None
    recall: float | None
    f1: float | None
    exact: bool


def body_score(gold: str, extracted: str, size: int = SHINGLE_SIZE) -> BodyScore:
    """Shingle precision, recall and F1 of ``extracted`` against ``gold``, and token equality.

    Precision is ``None`` when nothing was extracted and recall ``None`` when the gold is empty;
    F1 is 0 when either is 0 or nothing was extracted, ``None`` when the gold is empty.
    """
    true, pred = shingles(gold, size), shingles(extracted, size)
    tp = sum((true & pred).values())
    n_true, n_pred = sum(true.values()), sum(pred.values())
    precision = tp / n_pred if n_pred else None
    recall = tp / n_true if n_true else None
    if recall is None:
        f1 = None
    elif not precision or not recall:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return BodyScore(precision, recall, f1, tokens(gold) == tokens(extracted))


def _multiset_f1(gold: Iterable[str], got: Iterable[str]) -> float:
    true, pred = Counter(map(collapse, gold)), Counter(map(collapse, got))
    if not true and not pred:
        return 1.0
    tp = sum((true & pred).values())
    if not tp:
        return 0.0
    precision, recall = tp / sum(pred.values()), tp / sum(true.values())
    return 2 * precision * recall / (precision + recall)


def _recall(gold: Iterable[str], got: Iterable[str]) -> float | None:
    true, pred = Counter(map(collapse, gold)), Counter(map(collapse, got))
    if not true:
        return None
    return sum((true & pred).values()) / sum(true.values())


def _parse_iso(value: str | None, zone: str | None) -> dt.date | dt.datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None and zone:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed


def _dates(gold_value: str | None, zone: str | None, got_value: str | None):
    """``(date_ok, datetime_ok)`` of an extracted ISO date against the gold's."""
    gold = _parse_iso(gold_value, zone)
    if gold is None:
        return None, None
    has_time = isinstance(gold, dt.datetime)
    got = _parse_iso(got_value, None)
    if got is None:
        return False, (False if has_time else None)
    aware = has_time and gold.tzinfo is not None
    if aware and isinstance(got, dt.datetime) and got.tzinfo is not None:
        date_ok = got.astimezone(gold.tzinfo).date() == gold.date()
    else:
        date_ok = (got.date() if isinstance(got, dt.datetime) else got) == (
            gold.date() if has_time else gold
        )
    if not has_time:
        return date_ok, None
    if not isinstance(got, dt.datetime) or (got.tzinfo is None) != (gold.tzinfo is None):
        return date_ok, False
    return date_ok, got == gold


@dataclass
class PageScore:
    """One tool's scores on one page; ``None`` where the gold or the tool cannot say."""

    title_ok: bool | None = None
    date_ok: bool | None = None
    datetime_ok: bool | None = None
    body_precision: float | None = None
    body_recall: float | None = None
    body_f1: float | None = None
    body_exact: bool | None = None
    headings_f1: float | None = None
    caption_recall: float | None = None
    missing_snippets: list[str] | None = None
    unwanted_snippets: list[str] | None = None
    name: str = ""
    tool: str = ""
    ms: float | None = None
    error: str | None = None

    @property
    def snippet_violations(self) -> int | None:
        if self.missing_snippets is None and self.unwanted_snippets is None:
            return None
        return len(self.missing_snippets or ()) + len(self.unwanted_snippets or ())

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "snippet_violations": self.snippet_violations}


def score_article(
    gold: dict[str, Any],
    title: str | None,
    published_at: str | None,
    headings: list[str] | None,
    paragraphs: list[str] | None,
    captions: list[str] | None,
    body: str | None = None,
) -> PageScore:
    """Score one extraction against one gold mapping (newsbot gold or a Zyte entry).

    ``None`` for ``headings`` or ``captions`` means the tool does not tell them apart; ``body``
    is the whole extracted text in reading order, compared with a Zyte ``articleBody`` (the
    paragraphs joined by newlines when it is not given).
    """
    score = PageScore()
    paragraphs = paragraphs or []
    if "title" in gold:
        score.title_ok = bool(title) and collapse(title) == collapse(gold["title"] or "")
    if "published_at" in gold:
        score.date_ok, score.datetime_ok = _dates(
            gold["published_at"], gold.get("timezone"), published_at
        )
    if "paragraphs" in gold:
        gold_body, got_body = "\n".join(gold["paragraphs"]), "\n".join(paragraphs)
    elif "articleBody" in gold:
        gold_body = gold["articleBody"] or ""
        got_body = body if body is not None else "\n".join(paragraphs)
    else:
        gold_body = got_body = None
    if gold_body is not None:
        result = body_score(gold_body, got_body or "")
        score.body_precision, score.body_recall, score.body_f1, score.body_exact = result
    if "headings" in gold and headings is not None:
        score.headings_f1 = _multiset_f1(gold["headings"], headings)
    if "captions" in gold and captions is not None:
        score.caption_recall = _recall(gold["captions"], captions)
    text = collapse(" ".join([*(headings or []), *paragraphs]))
    if "must_include" in gold:
        score.missing_snippets = [s for s in gold["must_include"] if collapse(s) not in text]
    if "must_exclude" in gold:
        score.unwanted_snippets = [s for s in gold["must_exclude"] if collapse(s) in text]
    return score


# -- cases -------------------------------------------------------------------------------------


@dataclass
class Case:
    """One page to score: its bytes, URL and gold."""

    name: str
    url: str
    html: bytes
    gold: dict[str, Any]
    timezone: str | None = None
    encoding: str | None = None  # known charset, as an HTTP header would give it


def load_cases(path: str | Path) -> list[Case]:
    """The cases of a newsbot gold directory or of a Zyte benchmark directory, by name."""
    path = Path(path)
    truth = path / "ground-truth.json"
    if truth.is_file():
        entries = json.loads(truth.read_text("utf-8"))
        return [
            Case(
                name=key,
                url=entry.get("url") or "",
                html=gzip.decompress((path / "html" / f"{key}.html.gz").read_bytes()),
                gold={"url": entry.get("url"), "articleBody": entry.get("articleBody") or ""},
                encoding="utf-8",
            )
            for key, entry in sorted(entries.items())
        ]
    cases = []
    for gold_path in sorted(path.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text("utf-8"))
        name = gold_path.name.removesuffix(".gold.json")
        page = DEMO_SITE / gold["page"] if "page" in gold else gold_path.with_name(f"{name}.html")
        cases.append(Case(name=name, url=gold.get("url") or page.resolve().as_uri(),
                          html=page.read_bytes(), gold=gold, timezone=gold.get("timezone")))
    if not cases:
        raise FileNotFoundError(f"no *.gold.json or ground-truth.json in {path}")
    return cases


# -- extractors --------------------------------------------------------------------------------


class Extraction(NamedTuple):
    """What an extractor gives for scoring; ``None`` where it does not tell a field apart."""

    title: str | None
    published_at: str | None
    headings: list[str] | None
    paragraphs: list[str]
    captions: list[str] | None
    body: str | None = None  # all of the article text in reading order
    error: str | None = None


def run_newsbot(case: Case) -> Extraction:
    """newsbot's :func:`~newsbot.extract` with the case's zone and known charset."""
    from newsbot.extraction import ExtractionError, extract

    content_type = f"text/html; charset={case.encoding}" if case.encoding else None
    zone = ZoneInfo(case.timezone) if case.timezone else dt.UTC
    try:
        article = extract(case.html, url=case.url, content_type=content_type, default_tz=zone)
    except ExtractionError as error:
        return Extraction(None, None, [], [], [], "", error=f"{error.reason}: {error}")
    texts = [b["text"] for b in article.blocks if b.get("type") in ("heading", "paragraph")]
    body = "\n".join(texts or [*article.headings, *article.paragraphs])
    return Extraction(article.title, article.published_at, article.headings, article.paragraphs,
                      article.captions, body)


def run_trafilatura(case: Case) -> Extraction:
    """trafilatura's defaults, as the Zyte benchmark runs it (``include_comments=False``).

    The body is its text, one paragraph a line; its ``<head>`` elements are the headings, the
    other lines the paragraphs. It gives a date without a time, and no captions.
    """
    import trafilatura

    html: bytes | str = case.html.decode(case.encoding) if case.encoding else case.html
    doc = trafilatura.bare_extraction(html, url=case.url or None, with_metadata=True,
                                      include_comments=False)
    if doc is None:
        return Extraction(None, None, [], [], None, "", error="no extraction")
    text = doc.text or ""
    lines = [collapse(line) for line in text.splitlines() if line.strip()]
    heads = [] if doc.body is None else [
        collapse("".join(el.itertext())) for el in doc.body.iter("head")
    ]
    headings = [h for h in heads if h and h in lines]
    left = Counter(headings)
    paragraphs = []
    for line in lines:
        if left[line]:
            left[line] -= 1
        else:
            paragraphs.append(line)
    return Extraction(doc.title, doc.date, headings, paragraphs, None, text)


EXTRACTORS: dict[str, Callable[[Case], Extraction]] = {
    "newsbot": run_newsbot,
    "trafilatura": run_trafilatura,
}


def score_cases(cases: Sequence[Case], tool: str) -> list[PageScore]:
    """Run one extractor on every case (after one untimed warm-up run) and score it."""
    run = EXTRACTORS[tool]
    if cases:
        run(cases[0])  # lazy imports and caches are not the pages' cost
    scores = []
    for case in cases:
        start = time.perf_counter()
        got = run(case)
        ms = (time.perf_counter() - start) * 1000
        score = score_article(case.gold, got.title, got.published_at, got.headings,
                              got.paragraphs, got.captions, body=got.body)
        score.name, score.tool, score.ms, score.error = case.name, tool, ms, got.error
        scores.append(score)
    return scores


def _mean(values: Iterable[float | bool | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return statistics.fmean(present) if present else None


def _harmonic(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def summarise(scores: Sequence[PageScore]) -> dict[str, Any]:
    """The overall figures of one tool: means over the pages that have each metric."""
    precision = _mean(s.body_precision for s in scores)
    recall = _mean(s.body_recall for s in scores)
    violations = [s.snippet_violations for s in scores if s.snippet_violations is not None]
    return {
        "pages": len(scores),
        "errors": sum(1 for s in scores if s.error),
        "title_ok": _mean(s.title_ok for s in scores),
        "date_ok": _mean(s.date_ok for s in scores),
        "datetime_ok": _mean(s.datetime_ok for s in scores),
        "body_precision": precision,
        "body_recall": recall,
        # The benchmark's F1: harmonic mean of the mean precision and the mean recall.
        "body_f1": _harmonic(precision, recall),
        "body_f1_page_mean": _mean(s.body_f1 for s in scores),
        "body_exact": _mean(s.body_exact for s in scores),
        "headings_f1": _mean(s.headings_f1 for s in scores),
        "caption_recall": _mean(s.caption_recall for s in scores),
        "snippet_violations": sum(violations) if violations else None,
        "pages_with_violations": sum(1 for v in violations if v) if violations else None,
        "ms_per_page": _mean(s.ms for s in scores),
        "ms_median": statistics.median(ms) if (ms := [s.ms for s in scores if s.ms]) else None,
    }


# -- command -----------------------------------------------------------------------------------

# (header, width, format of a float): booleans print as yes/no, None as "-".
_COLUMNS = (
    ("title", 5, ".3f"), ("date", 5, ".3f"), ("time", 5, ".3f"), ("P", 6, ".3f"),
    ("R", 6, ".3f"), ("F1", 6, ".3f"), ("exact", 5, ".3f"), ("head", 6, ".3f"),
    ("capR", 6, ".3f"), ("snip", 4, ".0f"), ("ms", 7, ".1f"),
)


def _cell(value: Any, width: int, spec: str) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:{spec}}"
    else:
        text = str(value)
    return text.rjust(width)


def _row(label: str, tool: str, values: Sequence[Any], name_width: int) -> str:
    cells = " ".join(_cell(v, w, f) for v, (_, w, f) in zip(values, _COLUMNS, strict=True))
    return f"{label[:name_width]:<{name_width}} {tool:<11} {cells}"


def _page_values(s: PageScore) -> list[Any]:
    return [s.title_ok, s.date_ok, s.datetime_ok, s.body_precision, s.body_recall, s.body_f1,
            s.body_exact, s.headings_f1, s.caption_recall, s.snippet_violations, s.ms]


def _overall_values(o: dict[str, Any]) -> list[Any]:
    return [o["title_ok"], o["date_ok"], o["datetime_ok"], o["body_precision"],
            o["body_recall"], o["body_f1"], o["body_exact"], o["headings_f1"],
            o["caption_recall"], o["snippet_violations"], o["ms_per_page"]]


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else f"{value:{spec}}"


def _print_report(results: dict[str, list[PageScore]], out) -> None:
    """Per page a row for each tool, then the overall rows, then body F1 both ways."""
    tools = list(results)
    names = [s.name for s in results[tools[0]]]
    width = min(max([len(n) for n in names] + [7]), 28)
    header = " ".join(title.rjust(w) for title, w, _ in _COLUMNS)
    print(f"{'page':<{width}} {'tool':<11} {header}", file=out)
    for i, name in enumerate(names):
        for tool in tools:
            s = results[tool][i]
            line = _row(name if tool == tools[0] else "", tool, _page_values(s), width)
            notes = [*(f"missing {x!r}" for x in s.missing_snippets or ()),
                     *(f"unwanted {x!r}" for x in s.unwanted_snippets or ())]
            if s.error:
                notes.insert(0, s.error)
            print(line + (f"  {'; '.join(notes)}" if notes else ""), file=out)
    overall = {tool: summarise(scores) for tool, scores in results.items()}
    print(file=out)
    for tool, o in overall.items():
        print(_row("overall", tool, _overall_values(o), width), file=out)
    print(file=out)
    for tool, o in overall.items():
        pages = f"{o['pages']} page{'' if o['pages'] == 1 else 's'}"
        print(f"{tool}: {pages}, body F1 {_fmt(o['body_f1'])} (benchmark: harmonic "
              f"mean of mean P and mean R), mean of per-page F1 {_fmt(o['body_f1_page_mean'])}, "
              f"{o['errors']} pages without extraction, {_fmt(o['ms_per_page'], '.1f')} ms/page "
              f"(median {_fmt(o['ms_median'], '.1f')})", file=out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot eval",
        description="Score newsbot's extraction against gold files (see newsbot.evaluate).",
    )
    parser.add_argument("directory", metavar="DIR",
                        help="NAME.html + NAME.gold.json files, or a Zyte benchmark directory")
    parser.add_argument("--compare", action="append", default=[], choices=["trafilatura"],
                        help="also score this extractor, side by side, when it is installed")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="score only this page (a name or the start of one); repeatable")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``newsbot eval DIR [--compare trafilatura] [--json] [--only NAME]``."""
    args = build_parser().parse_args(argv)
    try:
        cases = load_cases(args.directory)
    except (FileNotFoundError, NotADirectoryError) as error:
        print(f"newsbot eval: {error}", file=sys.stderr)
        return 2
    if args.only:
        cases = [c for c in cases if any(c.name.startswith(n) for n in args.only)]
        if not cases:
            print(f"newsbot eval: no page named {', '.join(args.only)}", file=sys.stderr)
            return 2
    tools = ["newsbot"]
    for tool in dict.fromkeys(args.compare):
        if importlib.util.find_spec(tool) is None:
            print(f"newsbot eval: {tool} is not installed; scoring newsbot alone",
                  file=sys.stderr)
        else:
            tools.append(tool)
    results = {tool: score_cases(cases, tool) for tool in tools}
    if args.json:
        report = {
            "directory": str(args.directory),
            "tools": {
                tool: {"overall": summarise(scores),
                       "pages": [s.to_dict() for s in scores]}
                for tool, scores in results.items()
            },
        }
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        _print_report(results, sys.stdout)
    return 0


__all__ = [
    "Case", "Extraction", "PageScore", "body_score", "load_cases", "main", "run_newsbot",
    "run_trafilatura", "score_article", "shingles", "summarise", "tokens",
]

if __name__ == "__main__":
    sys.exit(main())
