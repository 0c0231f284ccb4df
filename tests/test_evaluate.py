"""The extraction scorer: tokens, shingle F1, per-page scores, case loading and the command."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from newsbot.evaluate import (
    PageScore,
    body_score,
    load_cases,
    main,
    score_article,
    shingles,
    summarise,
    tokens,
)

PAGES = Path(__file__).parent / "pages"
YOUM7 = PAGES / "arabic" / "youm7_1691196862.gold.json"


def _words(start: int, stop: int) -> str:
    return " ".join(f"w{i}" for i in range(start, stop))


def _gold(**fields) -> dict:
    base = {"title": "عنوان الخبر", "published_at": "2020-08-24T09:23:13+00:00",
            "headings": [], "paragraphs": [_words(0, 10)], "captions": [],
            "must_include": [], "must_exclude": []}
    return {**base, **fields}


# -- tokens and shingles -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Hello, world! It's 3.5%", ["Hello", "world", "It", "s", "3", "5"]),
    ("snake_case -- dash—dash", ["snake_case", "dash", "dash"]),
    ("قال: «نعم»، ثم ٢٠٢٠.", ["قال", "نعم", "ثم", "٢٠٢٠"]),
    ("مُحَمَّدٌ رسولٌ أيضاً", ["مُحَمَّدٌ", "رسولٌ", "أيضاً"]),
    ("", []),
    (None, []),
])
def test_tokens(text, expected):
    """Tokens are runs of word characters and their combining marks; punctuation separates."""
    assert tokens(text) == expected


def test_vowelled_arabic_is_not_cut_into_letters():
    """A word with harakat stays one token and differs from its unvowelled form."""
    assert len(tokens("مُحَمَّد")) == 1
    assert tokens("مُحَمَّد") != tokens("محمد")


def test_shingles():
    """Runs of four tokens, counted; a text of four tokens or fewer is a single shingle."""
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b") == {("a", "b"): 1}
    assert shingles("a b c d a b c d")[("a", "b", "c", "d")] == 2
    assert shingles(" , ") == {}


# -- body precision, recall, F1 ----------------------------------------------------------------


@pytest.mark.parametrize(("gold", "got", "precision", "recall", "f1"), [
    ("a b c d e f", "a b c d e f", 1.0, 1.0, 1.0),
    ("a b c d e f", "a b c d e", 1.0, 2 / 3, 0.8),  # 2 of 3 shingles
    ("a b c d e f", "a b c d e f x", 0.75, 1.0, 6 / 7),  # one extra shingle of 4
    ("a b c d e f", "x y z", 0.0, 0.0, 0.0),
    ("a b c d e f", "", None, 0.0, 0.0),  # nothing extracted: no precision
])
def test_body_score_hand_cases(gold, got, precision, recall, f1):
    """Shingle precision, recall and F1 on small texts, to the last digit."""
    score = body_score(gold, got)
    if precision is None:
        assert score.precision is None
    else:
        assert score.precision == pytest.approx(precision)
    assert score.recall == pytest.approx(recall)
    assert score.f1 == pytest.approx(f1)


def test_body_exact_ignores_punctuation_and_spacing_only():
    """The exact-match flag compares token sequences: spacing and punctuation do not count."""
    assert body_score("Hello,  world.\nBye!", "Hello world Bye").exact
    assert not body_score("Hello world Bye", "Hello world bye").exact


# -- per-page scores ---------------------------------------------------------------------------


def test_perfect_extraction_scores_one_everywhere():
    """The gold's own fields, fed back, score 1 on every metric and break no snippet rule."""
    gold = json.loads(YOUM7.read_text("utf-8"))
    score = score_article(gold, gold["title"], gold["published_at"], gold["headings"],
                          gold["paragraphs"], gold["captions"])
    assert score.title_ok and score.date_ok and score.datetime_ok and score.body_exact
    assert (score.body_precision, score.body_recall, score.body_f1) == (1.0, 1.0, 1.0)
    assert score.headings_f1 == 1.0
    assert score.caption_recall == 1.0
    assert score.snippet_violations == 0


def test_missing_paragraph_lowers_recall_by_its_share_of_shingles():
    """Three paragraphs of five distinct words (12 shingles); dropping the last keeps 7 of them."""
    paragraphs = [_words(0, 5), _words(5, 10), _words(10, 15)]
    score = score_article(_gold(paragraphs=paragraphs), None, None, [], paragraphs[:2], [])
    assert score.body_precision == 1.0
    assert score.body_recall == pytest.approx(7 / 12)
    assert score.body_f1 == pytest.approx(2 * 7 / 12 / (1 + 7 / 12))
    assert not score.body_exact


def test_snippet_violations_are_counted():
    """A must_include snippet that is missing and a must_exclude one that is present count."""
    gold = _gold(must_include=["w1 w2", "not there"], must_exclude=["w8  w9", "اقرأ أيضاً"])
    score = score_article(gold, None, None, [], [_words(0, 10)], [])
    assert score.missing_snippets == ["not there"]
    assert score.unwanted_snippets == ["w8  w9"]  # white space collapsed before matching
    assert score.snippet_violations == 2


def test_snippets_are_looked_for_in_headings_too():
    """A snippet from a heading is found; it need not be in a paragraph."""
    score = score_article(_gold(must_include=["عنوان فرعي"]), None, None, ["عنوان فرعي"],
                          [_words(0, 10)], [])
    assert score.snippet_violations == 0


def test_title_is_compared_after_white_space_collapsing():
    """Runs of white space and NBSP do not matter; a site name glued on does."""
    gold = _gold(title="وزير الرى يشهد توقيع عقد")
    assert score_article(gold, " وزير\u00a0الرى  يشهد\nتوقيع عقد ", None, [], [], []).title_ok
    assert not score_article(gold, "وزير الرى يشهد توقيع عقد - اليوم السابع", None, [], [],
                             []).title_ok
    assert not score_article(gold, None, None, [], [], []).title_ok


@pytest.mark.parametrize(("gold", "got", "date_ok", "datetime_ok"), [
    ("2020-08-24T09:23:13+00:00", "2020-08-24T09:23:13+00:00", True, True),
    ("2020-08-24T09:23:13+00:00", "2020-08-24T11:23:13+02:00", True, True),  # same instant
    ("2020-08-24T09:23:13+00:00", "2020-08-24T09:23:13+02:00", True, False),
    ("2020-08-24T09:23:13+00:00", "2020-08-24", True, False),  # no time
    ("2020-08-24T23:30:00+03:00", "2020-08-24T20:30:00+00:00", True, True),  # gold's offset
    ("2020-08-24T09:23:13+00:00", "2020-08-25T09:23:13+00:00", False, False),
    ("2020-08-24T09:23:13+00:00", None, False, False),
    ("2020-08-24T09:23:13+00:00", "not a date", False, False),
    ("2020-08-24", "2020-08-24T22:00:00+03:00", True, None),  # gold has no time
    ("2020-08-24", "2020-08-23", False, None),
])
def test_dates(gold, got, date_ok, datetime_ok):
    """The date must match; the time, when the gold has one, must be the same instant."""
    score = score_article(_gold(published_at=gold), None, got, [], [], [])
    assert (score.date_ok, score.datetime_ok) == (date_ok, datetime_ok)


def test_gold_without_offset_is_read_in_its_timezone():
    """A gold time without an offset is local time in the gold's ``timezone``."""
    gold = _gold(published_at="2025-03-09T08:15:00", timezone="Asia/Riyadh")
    score = score_article(gold, None, "2025-03-09T05:15:00+00:00", [], [], [])
    assert score.datetime_ok


@pytest.mark.parametrize(("gold", "got", "f1"), [
    (["أ", "ب"], ["أ", "ب"], 1.0),
    (["أ", "ب"], ["أ", "ج"], 0.5),
    (["أ", "ب"], ["أ"], 2 / 3),
    ([], [], 1.0),  # no headings, none found
    ([], ["تابعونا"], 0.0),
    (["أ"], [], 0.0),
])
def test_headings_f1(gold, got, f1):
    """Headings are scored as a multiset F1 of their texts."""
    score = score_article(_gold(headings=gold), None, None, got, [], [])
    assert score.headings_f1 == pytest.approx(f1)


def test_caption_recall():
    """The share of gold captions found; undefined without gold captions or for a blind tool."""
    gold = _gold(captions=["صورة أولى", "صورة ثانية"])
    assert score_article(gold, None, None, [], [], ["صورة أولى", "غيرها"]).caption_recall == 0.5
    assert score_article(_gold(), None, None, [], [], ["غيرها"]).caption_recall is None
    assert score_article(gold, None, None, None, [], None).caption_recall is None
    assert score_article(gold, None, None, None, [], None).headings_f1 is None


def test_zyte_gold_scores_the_body_only():
    """A Zyte entry has only a body: the other fields are None; the body includes headings."""
    gold = {"url": "https://example.com/a", "articleBody": "Head line\nw0 w1 w2 w3 w4"}
    score = score_article(gold, "Title", "2020-01-01", ["Head line"], [_words(0, 5)], [],
                          body="Head line\nw0 w1 w2 w3 w4")
    assert score.body_f1 == 1.0
    assert (score.title_ok, score.date_ok, score.headings_f1, score.caption_recall,
            score.snippet_violations) == (None, None, None, None, None)
    without_body = score_article(gold, None, None, ["Head line"], [_words(0, 5)], [])
    assert without_body.body_recall < 1.0  # paragraphs alone miss the heading


def test_summary_means_and_the_benchmark_f1():
    """Means leave None out; body F1 is the harmonic mean of mean P and mean R (Zyte's)."""
    pages = [
        PageScore(title_ok=True, body_precision=1.0, body_recall=1.0, body_f1=1.0),
        PageScore(title_ok=False, body_precision=0.5, body_recall=1.0, body_f1=2 / 3),
        PageScore(title_ok=None, body_precision=None, body_recall=0.0, body_f1=0.0),
    ]
    overall = summarise(pages)
    assert overall["title_ok"] == 0.5
    assert overall["body_precision"] == 0.75
    assert overall["body_recall"] == pytest.approx(2 / 3)
    assert overall["body_f1"] == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))
    assert overall["body_f1_page_mean"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert overall["headings_f1"] is None


# -- loading -----------------------------------------------------------------------------------


def test_load_newsbot_gold_directory(tmp_path: Path):
    """NAME.gold.json with a sibling NAME.html, or with a demo-site "page"."""
    (tmp_path / "one.html").write_bytes("<p>نص</p>".encode())
    (tmp_path / "one.gold.json").write_text(json.dumps(
        {"url": "https://example.com/1", "timezone": "Africa/Cairo", "paragraphs": ["نص"]}))
    (tmp_path / "two.gold.json").write_text(json.dumps(
        {"page": "news/local/2025-03-10-water-cut-four-districts.html",
         "url": "http://demo.newsbot.test/x.html", "paragraphs": []}))
    one, two = load_cases(tmp_path)
    assert (one.name, one.url, one.timezone, one.encoding) == (
        "one", "https://example.com/1", "Africa/Cairo", None)
    assert one.html == "<p>نص</p>".encode()
    assert one.gold["paragraphs"] == ["نص"]
    assert two.name == "two" and "قطع المياه" in two.html.decode("utf-8")


def test_load_zyte_directory(tmp_path: Path):
    """ground-truth.json and html/ID.html.gz give cases with a body-only gold, in UTF-8."""
    html = "<html><body><p>It’s a body.</p></body></html>"
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "abc123.html.gz").write_bytes(gzip.compress(html.encode("utf-8")))
    (tmp_path / "ground-truth.json").write_text(json.dumps(
        {"abc123": {"url": "https://example.com/a", "articleBody": "It’s a body."}}))
    [case] = load_cases(tmp_path)
    assert (case.name, case.url, case.encoding) == ("abc123", "https://example.com/a", "utf-8")
    assert case.html.decode("utf-8") == html
    assert case.gold == {"url": "https://example.com/a", "articleBody": "It’s a body."}


def test_load_empty_directory_fails(tmp_path: Path):
    """A directory with no gold is an error, not an empty score."""
    with pytest.raises(FileNotFoundError):
        load_cases(tmp_path)


# -- the command -------------------------------------------------------------------------------


def test_main_prints_a_line_per_page(capsys):
    """`newsbot eval tests/pages/arabic` prints one row per page and an overall row."""
    assert main([str(PAGES / "arabic")]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name.removesuffix(".gold.json") for p in (PAGES / "arabic").glob("*.gold.json"))
    rows = [line for line in out.splitlines() if line.split(" ", 1)[0] in names]
    assert [row.split()[0] for row in rows] == names
    assert all(row.split()[1] == "newsbot" for row in rows)
    assert any(line.startswith("overall") for line in out.splitlines())
    assert "ms/page" in out


def test_main_json_and_only(capsys):
    """--json gives per-page and overall figures; --only keeps the pages named."""
    assert main([str(PAGES / "demo"), "--only", "br_split", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    newsbot = report["tools"]["newsbot"]
    assert [p["name"] for p in newsbot["pages"]] == ["br_split"]
    assert newsbot["overall"]["pages"] == 1
    assert {"body_f1", "body_f1_page_mean", "ms_per_page"} <= set(newsbot["overall"])


def test_main_compares_trafilatura(capsys):
    """--compare trafilatura scores it on the same pages, side by side."""
    pytest.importorskip("trafilatura")
    assert main([str(PAGES / "demo"), "--only", "br_split", "--compare", "trafilatura",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["tools"]) == ["newsbot", "trafilatura"]
    traf = report["tools"]["trafilatura"]["pages"][0]
    assert traf["caption_recall"] is None  # trafilatura does not separate captions
    assert traf["body_recall"] > 0.5


def test_main_reports_a_missing_directory(tmp_path: Path, capsys):
    """A directory without gold files is reported, with exit status 2."""
    assert main([str(tmp_path)]) == 2
    assert "no *.gold.json" in capsys.readouterr().err
