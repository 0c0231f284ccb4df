"""Take the screenshots in docs/web.md: ``python docs/screenshots/take.py``.

Serves the bundled demo site, crawls it into a temporary SQLite database, then serves a
correction of one article and crawls it again (so the article page has a version diff to
show), starts the web app and photographs its pages in headless Chromium (Debian's
``/usr/bin/chromium``, or ``NEWSBOT_CHROMIUM``), driven by Playwright. The demo site stays up
meanwhile, so the articles' images load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

from newsbot.demo import SITE_DIR, SiteServer, seed_urls
from newsbot.web import create_app
from newsbot.web.serve import running

OUT = Path(__file__).parent
CHROMIUM = os.environ.get("NEWSBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
GOLD = "/news/economy/2025/03/11/gold-record-high.html"
# The correction the second crawl finds: two figures changed and a sentence added.
EDITS = (
    ("بنسبة 1.2 في المئة", "بنسبة 1.5 في المئة"),
    ("للجلسة الخامسة على التوالي", "للجلسة السادسة على التوالي"),
    ("تراجع ملحوظ في حركة الشراء", "تراجع حاد في حركة الشراء"),
)
QUERY = "الواحة"


def crawl(database_url: str, urls: list[str], *options: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "newsbot.cli", "crawl", *urls, "--db", database_url, "-q",
         "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
         "-s", "NEWSBOT_DEFAULT_TIMEZONE=Asia/Riyadh", *options],
        check=True, capture_output=True, timeout=180,
    )


def corrected(path: str) -> bytes:
    html = (SITE_DIR / path.lstrip("/")).read_text("utf-8")
    for old, new in EDITS:
        assert old in html, old
        html = html.replace(old, new)
    return html.encode("utf-8")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, SiteServer() as site:
        url = f"sqlite:///{tmp}/newsbot.db"
        crawl(url, seed_urls(site.base_url))
        site.overrides[GOLD] = (200, {"Content-Type": "text/html; charset=utf-8"}, corrected(GOLD))
        crawl(url, [site.base_url + GOLD], "-s", "NEWSBOT_INCREMENTAL=0")
        with running(create_app(url)) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            desktop = browser.new_page(viewport={"width": 1280, "height": 860})
            desktop.goto(base + "/")
            desktop.click("details.filters summary")
            desktop.fill("#q", QUERY)
            desktop.press("#q", "Enter")
            desktop.wait_for_selector(".hit mark")
            desktop.screenshot(path=OUT / "search.png", full_page=True)

            desktop.fill("#q", "الذهب")
            desktop.press("#q", "Enter")
            desktop.wait_for_selector(".hit-title:has-text('الذهب يسجل')")
            desktop.click(".hit-title >> nth=0")
            desktop.wait_for_selector("article.article")
            desktop.wait_for_load_state("networkidle")
            desktop.screenshot(path=OUT / "article.png", full_page=True)

            desktop.goto(base + "/sites")
            desktop.screenshot(path=OUT / "sites.png", full_page=True)

            phone = browser.new_page(
                viewport={"width": 390, "height": 844}, device_scale_factor=2,
                is_mobile=True, has_touch=True,
            )
            phone.goto(base + "/?q=" + quote(QUERY))
            phone.wait_for_selector(".hit mark")
            phone.screenshot(path=OUT / "search-phone.png")
            browser.close()
    for name in ("search", "article", "sites", "search-phone"):
        print(OUT / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
