"""The newsbot command as a user runs it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.demo import SiteServer
from newsbot.items import FIELDS

PAGES = Path(__file__).parent / "pages"


def newsbot(*args: str, cwd: Path | None = None, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "newsbot.cli", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_extract_prints_the_article_as_json():
    """`newsbot extract FILE --url URL` prints one JSON object with every field of the item."""
    gold = json.loads((PAGES / "arabic" / "youm7_1691196862.gold.json").read_text("utf-8"))
    result = newsbot("extract", str(PAGES / "arabic" / "youm7_1691196862.html"), "--url", gold["url"])
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert tuple(article) == FIELDS
    assert article["title"] == gold["title"]
    assert article["paragraphs"] == gold["paragraphs"]
    assert article["site"] == "youm7.com"


def test_extract_fetches_an_http_url():
    """`newsbot extract URL` fetches the page and honours its HTTP charset (windows-1256)."""
    with SiteServer() as server:
        result = newsbot("extract", f"{server.base_url}/archives/4471.html")
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["title"] == "أمطار غزيرة وانخفاض حاد في درجات الحرارة يضربان المناطق الشمالية"
    assert article["url"].endswith("/archives/4471.html")


@pytest.mark.parametrize(("args", "message"), [
    (["extract", "/no/such/page.html"], "no such file"),
    (["extract", str(PAGES / "encodings" / "README.md"), "--content-type", "application/pdf"],
     "not an HTML page"),
    (["extract", str(PAGES / "arabic" / "youm7_1691196862.html"), "--timezone", "Mars/Olympus"],
     "unknown time zone"),
])
def test_extract_errors_are_clear(args, message):
    """Bad input gives a one-line error and a non-zero exit, not a traceback."""
    result = newsbot(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_crawls_the_bundled_site_into_sqlite(tmp_path):
    """`newsbot demo` stores the twelve demo articles in data/newsbot.db and lists them."""
    result = newsbot("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "12 articles in sqlite:///data/newsbot.db" in result.stdout
    assert "12 articles" in result.stderr  # the progress lines
    with sqlite3.connect(tmp_path / "data" / "newsbot.db") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (12,)
        titles = {t for (t,) in db.execute("SELECT title FROM articles")}
        captions = db.execute("SELECT sum(json_array_length(captions)) FROM articles").fetchone()
    gold = [json.loads(p.read_text("utf-8")) for p in (PAGES / "demo").glob("*.gold.json")]
    assert titles == {g["title"] for g in gold}
    assert captions[0] == sum(len(g["captions"]) for g in gold)
    assert "NEWSBOT-PRIVATE-CANARY" not in result.stdout + result.stderr


def test_normalize_reads_stdin():
    """`newsbot normalize --form search` prints the search form of its input."""
    result = newsbot("normalize", "--form", "search", stdin="الجـ.رائمُ")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "الجرائم"


def test_savefixture_pins_a_served_page(tmp_path):
    """`newsbot savefixture URL --dir D` stores the page and its extraction as a fixture."""
    with SiteServer() as server:
        result = newsbot("savefixture", f"{server.base_url}/article/20431", "--name", "demo",
                         "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert len(saved) == 2 and saved[0].endswith(".html.gz") and saved[1].endswith(".json")
    expected = json.loads((tmp_path / saved[1]).read_text("utf-8"))
    assert expected["expected"]["title"] == "شركة ناشئة من الواحة تطلق تطبيقاً يربط المزارعين بالأسواق مباشرة"


def test_eval_scores_a_gold_directory():
    """`newsbot eval DIR` prints a line per page and an overall line."""
    result = newsbot("eval", str(PAGES / "arabic"))
    assert result.returncode == 0, result.stderr
    assert "youm7_1691196862" in result.stdout
    assert "overall" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["crawl"], "give URLs to crawl, or --site NAME"),
    (["crawl", "--site", "nosuchsite"], "no site named 'nosuchsite'"),
])
def test_crawl_usage_errors_are_clear(args, message):
    """`newsbot crawl` without a start, or with an unknown site, says so in one line (exit 2)."""
    result = newsbot(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
