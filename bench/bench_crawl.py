"""End-to-end crawl throughput and extraction cost on a generated Arabic news site.

    python bench/bench_crawl.py [--articles 2000] [--kb 100] [--sample 200]

Generates a site of N article pages (about KB kilobytes each, the size of real news pages with
their inline scripts, navigation and sidebars) plus a sitemap, serves it from 127.0.0.1, runs
``newsbot crawl`` on the sitemap into a fresh SQLite database in a child process, and prints:

- pages/s end to end (articles stored / crawl time, from Scrapy's own stats);
- extraction ms/page for ``newsbot.extract`` and, when installed, ``trafilatura.extract`` on
  the same pages, in this process.

Nothing here touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsbot import extract
from newsbot.demo import SiteServer

WORDS = ["أعلنت", "وزارة", "الصحة", "اليوم", "عن", "خطة", "جديدة", "لتطوير", "المستشفيات", "الحكومية", "في", "المحافظات", "وقال", "المتحدث", "الرسمي", "إن", "الحكومة", "تعمل", "على", "توفير", "الخدمات", "للمواطنين", "وأضاف", "أن", "المشروع", "يشمل", "بناء", "مراكز", "طبية", "حديثة", "وتدريب", "الكوادر", "وفي", "سياق", "متصل", "أكد", "رئيس", "المجلس", "البلدي", "أن", "أعمال", "الصيانة", "ستنتهي", "قبل", "نهاية", "العام", "الجاري", "مشيرا", "إلى", "أن", "الميزانية", "المخصصة", "بلغت", "ملايين", "الدنانير", "كما", "شهدت", "الأسواق", "ارتفاعا", "في", "أسعار", "الخضار", "والفواكه", "بسبب", "موجة", "الحر", "التي", "تضرب", "المنطقة", "منذ", "أسبوعين", "بينما", "توقعت", "الأرصاد", "الجوية", "انخفاض", "درجات", "الحرارة", "خلال", "الأيام", "المقبلة"]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _page(i: int, rng: random.Random, kb: int) -> str:
    title = _sentence(rng, 9)
    paragraphs = "".join(f"<p>{_sentence(rng, rng.randint(25, 60))}.</p>" for _ in range(12))
    nav = "".join(f'<li><a href="/section/{j}">{_sentence(rng, 2)}</a></li>' for j in range(60))
    most_read = "".join(f'<li><a href="/news/{rng.randint(1, 10**6)}">{_sentence(rng, 8)}</a></li>'
                        for _ in range(10))
    related = "".join(f'<div class="post"><a href="/news/{rng.randint(1, 10**6)}">'
                      f"{_sentence(rng, 8)}</a></div>" for _ in range(6))
    comments = "".join(f'<li class="comment"><p>{_sentence(rng, 20)}</p></li>' for _ in range(5))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": f"2025-03-{1 + i % 28:02d}T10:{i % 60:02d}:00+03:00",
                     "author": {"@type": "Person", "name": "محرر الموقع"}}, ensure_ascii=False)
    html = f"""<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{title} - أخبار البنش</title><meta property="og:type" content="article">
<meta property="og:title" content="{title}"><script type="application/ld+json">{ld}</script>
<style>{'body{margin:0;padding:0} .x{color:#333} ' * 40}</style></head><body>
<header class="site-header"><a class="logo" href="/">أخبار البنش</a><nav><ul>{nav}</ul></nav></header>
<div class="container"><main><article><h1>{title}</h1><div class="post-meta">10 مارس 2025</div>
<figure class="wp-caption"><img src="/images/{i}.jpg" alt="{title}"><figcaption
class="wp-caption-text">{_sentence(rng, 7)}</figcaption></figure>
<div class="entry-content">{paragraphs}<h2>{_sentence(rng, 4)}</h2>{paragraphs[:800]}</div>
<div class="share-buttons"><a href="#">فيسبوك</a><a href="#">تويتر</a></div>
<div class="related-posts"><h3>مقالات ذات صلة</h3>{related}</div>
<div id="comments"><ol>{comments}</ol></div></article></main>
<aside class="sidebar"><h3>الأكثر قراءة</h3><ul>{most_read}</ul></aside></div>
<footer class="site-footer">جميع الحقوق محفوظة</footer>
"""
    filler = "<script>var tracking = {" + ", ".join(f'"k{j}": {j}' for j in range(40)) + "};</script>\n"
    while len(html.encode()) < kb * 1024:
        html += filler
    return html + "</body></html>"


def build_site(root: Path, articles: int, kb: int) -> list[Path]:
    rng = random.Random(20251125)
    (root / "news").mkdir(parents=True)
    pages = []
    for i in range(articles):
        path = root / "news" / f"article-{i:05d}.html"
        path.write_text(_page(i, rng, kb), "utf-8")
        pages.append(path)
    urls = "".join(f"<url><loc>{{BASE}}/news/{p.name}</loc></url>" for p in pages)
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>", "utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    return pages


def crawl(base_url: str, workdir: Path) -> dict:
    stats_path = workdir / "stats.json"
    env = {**os.environ, "NEWSBOT_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}"}
    settings = {
        "AUTOTHROTTLE_ENABLED": "False",  # a benchmark of the pipeline, not of politeness
        "CONCURRENT_REQUESTS": "32",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
        "LOGSTATS_INTERVAL": "0",
    }
    command = [sys.executable, "-m", "newsbot.cli", "crawl", f"{base_url}/sitemap.xml", "-q",
               "--stats-json", str(stats_path)]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    subprocess.run(command, env=env, cwd=workdir, check=True, timeout=1800)
    return json.loads(stats_path.read_text())


def time_extractors(pages: list[Path], sample: int) -> dict[str, list[float]]:
    chosen = pages[:: max(1, len(pages) // sample)][:sample]
    bodies = [p.read_bytes() for p in chosen]
    timings: dict[str, list[float]] = {"newsbot": []}
    extract(bodies[0], url="http://bench.test/warmup")
    for body in bodies:
        start = time.perf_counter()
        extract(body, url="http://bench.test/news/1")
        timings["newsbot"].append((time.perf_counter() - start) * 1000)
    try:
        import trafilatura
    except ImportError:
        return timings
    timings["trafilatura"] = []
    trafilatura.extract(bodies[0].decode())
    for body in bodies:
        start = time.perf_counter()
        trafilatura.extract(body.decode("utf-8"), url="http://bench.test/news/1")
        timings["trafilatura"].append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--sample", type=int, default=200, help="pages timed for extraction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        pages = build_site(workdir / "site", args.articles, args.kb)
        size = statistics.mean(p.stat().st_size for p in pages) / 1024
        print(f"site: {len(pages)} articles, {size:.0f} KB/page mean, "
              f"generated in {time.perf_counter() - started:.1f} s")
        with SiteServer(workdir / "site") as server:
            stats = crawl(server.base_url, workdir)
        stored = stats.get("newsbot/stored/new", 0)
        elapsed = float(stats["elapsed_time_seconds"])
        print(f"crawl: {stored} articles stored of {len(pages)} in {elapsed:.1f} s -> "
              f"{stored / elapsed:.0f} pages/s end to end into SQLite "
              f"(dropped: {sum(v for k, v in stats.items() if k.startswith('newsbot/dropped/'))})")
        for name, values in time_extractors(pages, args.sample).items():
            print(f"extraction {name:<12} mean {statistics.mean(values):6.2f} ms/page   "
                  f"median {statistics.median(values):6.2f} ms/page   (n={len(values)})")


if __name__ == "__main__":
    main()
