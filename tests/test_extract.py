"""The page parser on small pages: decoding, metadata, body rules and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot import Article, ExtractionError, extract
from newsbot.extraction.metadata import strip_site_name
from newsbot.items import FIELDS

PAGES = Path(__file__).parent / "pages"
PARA = "وقال المتحدث باسم الوزارة إن الاجتماع تناول خطط العام المقبل وآليات تنفيذها في المحافظات كافة."


def page(body: str, head: str = "", lang: str = "ar") -> str:
    return f'<html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


@pytest.mark.parametrize("name", ["chromium_windows-1256_no_charset", "chromium_iso-8859-6_no_charset"])
def test_undeclared_legacy_encodings_decode_to_arabic(name):
    """A page in windows-1256 or ISO-8859-6 without any charset declaration comes out as Arabic."""
    article = extract((PAGES / "encodings" / f"{name}.html").read_bytes(), url="http://x.test/a")
    text = " ".join(article.paragraphs)
    assert "كتائب الشهيد عز الدين القسام" in text
    assert article.language == "ar"


def test_meta_charset_beats_detection():
    """The <meta> charset decides when the HTTP header says nothing."""
    html = page(f"<article><h1>عنوان</h1><p>{PARA}</p></article>").replace(
        '<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')
    article = extract(html.encode("cp1256"), url="http://x.test/a", content_type="text/html")
    assert article.paragraphs == [PARA]


def test_http_charset_beats_meta():
    """The HTTP charset wins over a wrong <meta> declaration."""
    html = page(f"<p>{PARA}</p>").replace("utf-8", "iso-8859-1")
    article = extract(html.encode("utf-8"), url="http://x.test/a",
                      content_type="text/html; charset=UTF-8")
    assert article.paragraphs == [PARA]


def test_bom_is_honoured():
    """A UTF-8 byte order mark decodes the page as UTF-8."""
    html = page(f"<p>{PARA}</p>").replace('<meta charset="utf-8">', "")
    article = extract(b"\xef\xbb\xbf" + html.encode("utf-8"), url="http://x.test/a")
    assert article.paragraphs == [PARA]


def test_str_and_bytes_give_the_same_article():
    """extract() takes the page as str or bytes."""
    html = page(f"<article><h1>عنوان الخبر هنا</h1><p>{PARA}</p></article>")
    assert extract(html, url="http://x.test/a") == extract(html.encode(), url="http://x.test/a")


def test_jsonld_graph_metadata():
    """Metadata comes from a NewsArticle inside a JSON-LD @graph, before OpenGraph."""
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "أخبار الواحة"},
        {"@type": ["NewsArticle"], "headline": "افتتاح مكتبة عامة جديدة",
         "datePublished": "2025-03-09T10:30:00+03:00", "dateModified": "2025-03-10T08:00:00+03:00",
         "author": [{"@type": "Person", "name": "سارة أحمد"}, {"@type": "Person", "name": "علي حسن"}],
         "inLanguage": "ar", "articleSection": "ثقافة", "keywords": "مكتبات، ثقافة"}]}
    head = (f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
            '<meta property="og:title" content="عنوان آخر - أخبار الواحة">'
            '<title>افتتاح مكتبة عامة جديدة | أخبار الواحة</title>')
    article = extract(page(f"<p>{PARA}</p>", head), url="http://x.test/a")
    assert article.title == "افتتاح مكتبة عامة جديدة"
    assert article.published_at == "2025-03-09T10:30:00+03:00"
    assert article.modified_at == "2025-03-10T08:00:00+03:00"
    assert article.authors == ["سارة أحمد", "علي حسن"]
    assert article.section == "ثقافة"
    assert article.tags == ["مكتبات", "ثقافة"]


@pytest.mark.parametrize(("title", "site", "expected"), [
    ("افتتاح مكتبة عامة - أخبار الواحة", "أخبار الواحة", "افتتاح مكتبة عامة"),
    ("افتتاح مكتبة عامة | أخبار الواحة", "أخبار الواحة", "افتتاح مكتبة عامة"),
    ("أخبار الواحة :: افتتاح مكتبة عامة", "أخبار الواحة", "افتتاح مكتبة عامة"),
    ("الدوري - الأهلي يفوز | أخبار الواحة", "أخبار الواحة", "الدوري - الأهلي يفوز"),
    ("عنوان بلا اسم موقع", "أخبار الواحة", "عنوان بلا اسم موقع"),
])
def test_site_name_is_stripped_from_titles(title, site, expected):
    """The site's name, joined by - | :: and the like, is not part of the headline."""
    assert strip_site_name(title, [site]) == expected


def test_title_is_the_h1_that_the_title_tag_contains():
    """Without metadata, the <h1> that the <title> repeats is the headline."""
    html = page(f"<h1>أخبار الواحة</h1><article><h1>ارتفاع أسعار الخضار في الأسواق</h1><p>{PARA}</p>"
                "</article>", "<title>ارتفاع أسعار الخضار في الأسواق - أخبار الواحة</title>")
    assert extract(html, url="http://x.test/a").title == "ارتفاع أسعار الخضار في الأسواق"


def test_boilerplate_is_left_out():
    """Share buttons, read-also lines, related posts, most-read, comments and the like are not body."""
    body = f"""
    <a class="skip-link" href="#c">تخطى إلى المحتوى</a>
    <nav><a href="/">الرئيسية</a></nav>
    <div class="container"><article><h1>عنوان</h1>
      <div class="entry-content">
        <p>{PARA}</p>
        <p>اقرأ أيضاً: <a href="/x">خبر آخر عن شيء آخر تماماً</a></p>
        <h2>تفاصيل الاجتماع</h2>
        <p>{PARA[::-1]}</p>
        <div class="share-buttons"><a>شارك على فيسبوك</a></div>
      </div>
      <div class="related-posts"><h3>مقالات ذات صلة</h3><p>عنوان مقال مرتبط طويل بما يكفي ليبدو كفقرة حقيقية</p></div>
      <div id="comments"><p>تعليق من قارئ يقول إن هذا الخبر مهم جدا ويستحق المتابعة</p></div>
    </article>
    <aside class="sidebar"><h3>الأكثر قراءة</h3><p>خبر شائع جدا في الموقع يقرؤه الجميع كل يوم</p></aside></div>
    <div class="newsletter">اشترك في النشرة البريدية لتصلك آخر الأخبار</div>
    <div class="cookie-banner">نستخدم ملفات تعريف الارتباط لتحسين تجربتك</div>
    <footer>جميع الحقوق محفوظة</footer>"""
    article = extract(page(body), url="http://x.test/a")
    assert article.paragraphs == [PARA, PARA[::-1]]
    assert article.headings == ["تفاصيل الاجتماع"]
    assert [b["type"] for b in article.blocks] == ["paragraph", "heading", "paragraph"]


def test_br_split_text_and_captions():
    """<br>-separated lines are paragraphs; figcaptions and caption cells are captions, not body."""
    body = f"""<div class="story">{PARA}<br><br>{PARA[:60]} ثم أضاف تفاصيل أخرى مهمة للقراء.<br>
    <figure><img src="/a.jpg" alt="صورة"><figcaption><span class="visually-hidden">التعليق على الصورة،
    </span>الوزير خلال الاجتماع</figcaption></figure>
    <table><tr><td><img src="/b.jpg"></td></tr><tr><td class="caption">مبنى الوزارة</td></tr></table>
    {PARA[::-1]}</div>"""
    article = extract(page(body), url="http://x.test/news/1")
    assert article.paragraphs == [PARA, f"{PARA[:60]} ثم أضاف تفاصيل أخرى مهمة للقراء.", PARA[::-1]]
    assert article.captions == ["الوزير خلال الاجتماع", "مبنى الوزارة"]
    assert [i["src"] for i in article.images] == ["http://x.test/a.jpg", "http://x.test/b.jpg"]
    assert article.images[0]["caption"] == "الوزير خلال الاجتماع"


def test_item_has_every_field():
    """The article carries every field of the item, body as paragraphs joined by blank lines."""
    article = extract(page(f"<p>{PARA}</p><p>{PARA}</p>"), url="http://x.test/a")
    data = article.to_dict()
    assert tuple(data) == FIELDS
    assert data["body"] == f"{PARA}\n\n{PARA}"
    assert Article.from_dict(data) == article


def test_declared_english_on_arabic_text_is_arabic():
    """A theme's lang="en-US" over Arabic text does not make the article English."""
    assert extract(page(f"<p>{PARA}</p>", lang="en-US"), url="http://x.test/a").language == "ar"


@pytest.mark.parametrize(("body", "content_type", "reason"), [
    (b"", "text/html", "empty"),
    (b"   \n ", None, "empty"),
    (b"%PDF-1.4 binary", "application/pdf", "not_html"),
    (b'{"json": true}', "application/json", "not_html"),
])
def test_bad_input_raises_a_reasoned_error(body, content_type, reason):
    """Input that is not an HTML page raises ExtractionError with a stats reason."""
    with pytest.raises(ExtractionError) as info:
        extract(body, url="http://x.test/a", content_type=content_type)
    assert info.value.reason == reason


def test_page_without_article_is_refused_when_an_article_is_required():
    """A listing of links is not an article."""
    links = "".join(f'<li><a href="/news/{i}">عنوان خبر رقم {i} في القائمة</a></li>' for i in range(30))
    html = page(f"<ul>{links}</ul>", '<meta property="og:type" content="website">')
    with pytest.raises(ExtractionError) as info:
        extract(html, url="http://x.test/", require_article=True)
    assert info.value.reason == "no_article"


def test_truncated_page_still_gives_what_arrived():
    """A page cut off mid-tag gives the paragraphs that arrived, without an error."""
    html = page(f"<article><h1>عنوان</h1><p>{PARA}</p><p>{PARA[::-1]}</p></article>")
    cut = html[: html.index(PARA[::-1]) + 20]
    article = extract(cut, url="http://x.test/a")
    assert article.paragraphs[0] == PARA


@pytest.mark.parametrize("depth", [100, 300, 3000])
def test_absurdly_nested_page_does_not_crash(depth):
    """A page nested thousands of levels deep gives an article or a reasoned error, no crash."""
    html = "<html><body>" + "<div>" * depth + f"<p>{PARA}</p>" + "</div>" * depth + "</body></html>"
    try:
        article = extract(html.encode(), url="http://x.test/a")
    except ExtractionError as error:
        assert error.reason == "malformed"
    else:
        assert article.paragraphs in ([PARA], [])
