"""A generated Arabic news site of any size, for crawl tests and benchmarks.

``build_site(root, articles=500)`` writes N article pages (``/news/article-00000.html`` ...), each
a full page of its own text with the navigation, "most read" and "related" blocks a real news
page carries, and the site's discovery documents: a sitemap index whose news sitemaps list the
articles with their publication dates, an RSS feed of the latest, a home page linking the
latest, and robots.txt. Serve it with :class:`newsbot.demo.SiteServer`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = (
    "أعلنت وزارة الصحة اليوم عن خطة جديدة لتطوير المستشفيات الحكومية في المحافظات وقال المتحدث "
    "الرسمي إن الحكومة تعمل على توفير الخدمات للمواطنين وأضاف أن المشروع يشمل بناء مراكز طبية "
    "حديثة وتدريب الكوادر وفي سياق متصل أكد رئيس المجلس البلدي أن أعمال الصيانة ستنتهي قبل نهاية "
    "العام الجاري مشيرا إلى أن الميزانية المخصصة بلغت ملايين الدنانير كما شهدت الأسواق ارتفاعا "
    "في أسعار الخضار والفواكه بسبب موجة الحر التي تضرب المنطقة منذ أسبوعين بينما توقعت الأرصاد "
    "الجوية انخفاض درجات الحرارة خلال الأيام المقبلة"
).split()


def article_path(i: int) -> str:
    return f"/news/article-{i:05d}.html"


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _published(i: int) -> str:
    return f"2025-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+03:00"


def article_page(i: int, rng: random.Random, kb: int = 20, title: str | None = None) -> str:
    """Article ``i``: about ``kb`` kilobytes, its title unique to it."""
    title = title or f"{_sentence(rng, 7)} رقم {i}"
    paragraphs = "".join(f"<p>{_sentence(rng, rng.randint(25, 50))}.</p>" for _ in range(8))
    nav = "".join(f'<li><a href="/section/{j}">{_sentence(rng, 2)}</a></li>' for j in range(30))
    most_read = "".join(f'<li><a href="/news/{rng.randint(1, 10**6)}">{_sentence(rng, 8)}</a>'
                        "</li>" for _ in range(8))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": _published(i),
                     "author": {"@type": "Person", "name": "محرر الموقع"}}, ensure_ascii=False)
    html = f"""<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{title} - أخبار مولدة</title><meta property="og:type" content="article">
<meta property="og:title" content="{title}"><script type="application/ld+json">{ld}</script>
</head><body><header class="site-header"><a class="logo" href="/">أخبار مولدة</a>
<nav><ul>{nav}</ul></nav></header><div class="container"><main><article><h1>{title}</h1>
<div class="entry-content">{paragraphs}</div>
<div class="share-buttons"><a href="#">فيسبوك</a><a href="#">تويتر</a></div></article></main>
<aside class="sidebar"><h3>الأكثر قراءة</h3><ul>{most_read}</ul></aside></div>
<footer class="site-footer">جميع الحقوق محفوظة</footer>
"""
    filler = "<script>var t = {" + ", ".join(f'"k{j}": {j}' for j in range(40)) + "};</script>\n"
    while len(html.encode()) < kb * 1024:
        html += filler
    return html + "</body></html>"


def build_site(root: Path, articles: int = 500, kb: int = 20, per_sitemap: int = 250,
               seed: int = 20251126) -> list[str]:
    """Write the site under ``root``; return the article paths, in order."""
    rng = random.Random(seed)
    root = Path(root)
    (root / "news").mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(articles):
        path = article_path(i)
        (root / path.lstrip("/")).write_text(article_page(i, rng, kb), "utf-8")
        paths.append(path)
    children = []
    for n, start in enumerate(range(0, articles, per_sitemap)):
        urls = "".join(
            f"<url><loc>{{BASE}}{article_path(i)}</loc><news:news><news:publication_date>"
            f"{_published(i)}</news:publication_date></news:news></url>"
            for i in range(start, min(start + per_sitemap, articles))
        )
        name = f"sitemap-news-{n}.xml"
        (root / name).write_text(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>',
            "utf-8")
        children.append(name)
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<sitemap><loc>{{BASE}}/{name}</loc></sitemap>" for name in children)
        + "</sitemapindex>", "utf-8")
    latest = list(range(articles - 1, max(-1, articles - 21), -1))
    items = "".join(f"<item><title>{i}</title><link>{{BASE}}{article_path(i)}</link></item>"
                    for i in latest)
    (root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>أخبار مولدة</title>{items}'
        "</channel></rss>", "utf-8")
    links = "".join(f'<li><a href="{article_path(i)}">خبر {i}</a></li>' for i in latest)
    (root / "index.html").write_text(
        '<html><head><meta property="og:type" content="website"><title>أخبار مولدة</title>'
        f"</head><body><ul>{links}</ul></body></html>", "utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", "utf-8")
    return paths


__all__ = ["article_page", "article_path", "build_site"]
