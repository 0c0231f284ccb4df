"""The web app end to end, in headless Chromium: an analyst searches, reads, pages, errs.

Drives Debian's ``/usr/bin/chromium`` (or ``NEWSBOT_CHROMIUM``) with Playwright; Playwright's
own browsers are never downloaded. Without Chromium the tests are skipped, unless
``NEWSBOT_REQUIRE_BROWSER`` is set (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from newsbot.web import create_app
from newsbot.web.serve import running

CHROMIUM = os.environ.get("NEWSBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAGES = Path(__file__).parent / "pages"
GOLD = {p.name.removesuffix(".gold.json"): json.loads(p.read_text("utf-8"))
        for p in (PAGES / "demo").glob("*.gold.json")}


def _browser_or_skip():
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright is not installed (pip install playwright)"
    if missing is None and not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if missing:
        if os.environ.get("NEWSBOT_REQUIRE_BROWSER"):
            pytest.fail(missing)  # CI: a skipped browser test is not a pass
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    """The web app on 127.0.0.1, on the database `newsbot demo` filled."""
    where = tmp_path_factory.mktemp("web-browser")
    result = subprocess.run([sys.executable, "-m", "newsbot.cli", "demo"], cwd=where,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    with running(create_app(f"sqlite:///{where / 'data' / 'newsbot.db'}")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert errors == [], errors  # no script error, nothing the CSP blocked


def test_search_read_and_see_captions(page, base_url):
    """Type an Arabic query, see the article with its word marked, open it, see its captions."""
    gold = GOLD["span_br_agency"]
    page.goto(base_url + "/")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"

    page.fill("#q", "الذهب")
    page.press("#q", "Enter")
    first = page.locator(".hit").first
    first.locator(".hit-title").wait_for()
    assert first.locator(".hit-title").inner_text() == gold["title"]
    assert "الذهب" in first.locator(".snippet mark").all_inner_texts()
    assert page.locator(".count").inner_text().startswith("نتيجة واحدة")
    assert "q=" in page.url  # the search is in the address, to share or go back to

    first.locator(".hit-title").click()
    page.wait_for_url("**/articles/*")
    assert page.locator("h1").inner_text() == gold["title"]
    for caption in gold["captions"]:
        assert page.get_by_text(caption).is_visible()
    assert page.locator("a.original").get_attribute("href").startswith("http://127.0.0.1:")

    page.go_back()
    page.locator(".hit-title").first.wait_for()
    assert page.locator("#q").input_value() == "الذهب"


def test_figures_carry_their_captions(page, base_url):
    """An article's images are shown with their captions under them."""
    gold = GOLD["levantine_gallery"]
    page.goto(base_url + "/?q=" + quote("معرض الكتاب"))
    page.get_by_role("link", name=gold["title"]).click()
    page.wait_for_url("**/articles/*")
    assert page.locator("figure figcaption").all_inner_texts() == gold["captions"]


def test_paging_through_results_without_reloading(page, base_url):
    """The pager fetches the next page through the API and updates the address."""
    page.goto(base_url + "/?q=" + quote("الواحة") + "&per_page=3")
    titles_1 = page.locator(".hit-title").all_inner_texts()
    assert len(titles_1) == 3
    page.evaluate("window.__same_document = true")
    page.get_by_role("link", name="التالي ←").click()
    page.wait_for_function("document.querySelector('.pager .muted').textContent.includes('صفحة 2')")
    titles_2 = page.locator(".hit-title").all_inner_texts()
    assert len(titles_2) == 3 and not set(titles_1) & set(titles_2)
    assert "page=2" in page.url
    assert page.evaluate("window.__same_document") is True  # no reload: the API served it


def test_a_bad_date_range_is_explained(page, base_url):
    """Dates in the wrong order: the page says so in Arabic."""
    page.goto(base_url + "/")
    page.click("details.filters summary")
    page.fill("#q", "الواحة")
    page.fill("input[name=since]", "2025-03-14")
    page.fill("input[name=until]", "2025-03-01")
    page.press("#q", "Enter")
    page.locator(".notice.error").wait_for()
    assert "تاريخ البداية بعد تاريخ النهاية" in page.locator(".notice.error").inner_text()


def test_readable_on_a_phone(browser, base_url):
    """At phone width nothing is wider than the screen."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        for path in ("/?q=" + quote("الواحة"), "/sites"):
            page.goto(base_url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        page.goto(base_url + "/?q=" + quote("الذهب"))
        page.locator(".hit-title").first.click()
        page.wait_for_url("**/articles/*")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
