"""Extraction on stored real pages and the demo site, field by field against hand-written gold.

Each ``*.gold.json`` was written by reading its page, not by running newsbot. A page's gold may
name the site's ``timezone`` (what the site registry knows) for dates printed without an offset.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsbot import extract

PAGES = Path(__file__).parent / "pages"
DEMO_SITE = Path(__file__).parents[1] / "newsbot" / "demo" / "site"
FIELDS = ("title", "published_at", "language", "authors", "headings", "paragraphs", "captions")
_SPACE = re.compile(r"\s+")


def _gold_files() -> list[Path]:
    return sorted(PAGES.glob("*/*.gold.json"))


def _html_path(gold_path: Path, gold: dict) -> Path:
    if "page" in gold:  # a demo page, kept in the package
        return DEMO_SITE / gold["page"]
    return gold_path.with_name(gold_path.name.replace(".gold.json", ".html"))


_cache: dict[Path, tuple[dict, dict]] = {}


def _extracted(gold_path: Path) -> tuple[dict, dict]:
    if gold_path not in _cache:
        gold = json.loads(gold_path.read_text("utf-8"))
        tz = ZoneInfo(gold.get("timezone", "UTC"))
        article = extract(_html_path(gold_path, gold).read_bytes(), url=gold["url"], default_tz=tz)
        _cache[gold_path] = gold, article.to_dict()
    return _cache[gold_path]


def _norm(value):
    if isinstance(value, str):
        return _SPACE.sub(" ", value).strip()
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name.removesuffix('.gold.json')}"


CASES = [(path, name) for path in _gold_files() for name in FIELDS]


def test_there_are_gold_pages():
    """The golden set holds the six Arabic corpus pages and the demo articles."""
    names = {p.parent.name for p in _gold_files()}
    assert {"arabic", "demo"} <= names
    assert len([p for p in _gold_files() if p.parent.name == "arabic"]) == 6


@pytest.mark.parametrize(("gold_path", "field"), CASES,
                         ids=[f"{_id(p)}:{f}" for p, f in CASES])
def test_field_matches_gold(gold_path: Path, field: str):
    """Each extracted field equals the hand-written expectation (white space aside)."""
    gold, got = _extracted(gold_path)
    if field in ("title", "paragraphs", "language"):
        assert gold[field], f"empty expectation for {field} in {gold_path.name}"
    assert _norm(got[field]) == _norm(gold[field])


@pytest.mark.parametrize("gold_path", _gold_files(), ids=_id)
def test_snippets(gold_path: Path):
    """The body holds what it must and none of the page's boilerplate."""
    gold, got = _extracted(gold_path)
    text = _norm(" ".join([*got["paragraphs"], *got["headings"]]))
    for snippet in gold["must_include"]:
        assert _norm(snippet) in text
    for snippet in gold["must_exclude"]:
        assert _norm(snippet) not in text
