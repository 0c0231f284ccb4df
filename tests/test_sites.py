"""The site registry, site parsers and their versions, pinned site fixtures, the redesign warning."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from newsbot import extract
from newsbot.demo import SiteServer
from newsbot.extraction import ExtractionError
from newsbot.items import Article
from newsbot.sites import SiteParser, get_site, load_sites, parser_for, site_for_url
from newsbot.sites import fixtures as fx
from newsbot.sites.health import ExtractionHealth
from newsbot.sites.parsers.youm7 import Youm7Parser

HERE = Path(__file__).parent
FIXTURES = HERE / "sites"
CORPUS = HERE / "pages" / "arabic"
SITES = load_sites()
MAJOR = ("aljazeera", "alarabiya", "bbc_arabic", "skynewsarabia", "aawsat", "enabbaladi",
         "syriatv", "youm7", "hespress", "independentarabia", "france24", "rt_arabic",
         "cnn_arabic", "alquds")
CORPUS_SITES = ("youm7", "akhbarelyom", "alyaum", "almadenahnews", "elbaladtv", "beirutobserver")
_SPACE = re.compile(r"\s+")


def _norm(value):
    if isinstance(value, str):
        return _SPACE.sub(" ", value).strip()
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


# -- the registry -----------------------------------------------------------------------------
def test_registry_holds_the_outlets_the_corpus_and_the_demo():
    """The bundled registry names the major outlets, the corpus sites and the demo site."""
    assert set(MAJOR) | set(CORPUS_SITES) | {"demo"} <= set(SITES)


def test_at_least_twelve_arabic_outlets_can_be_discovered():
    """Every outlet but the demo site lists a feed or a sitemap, and twelve or more are Arabic."""
    for site in SITES.values():
        if site.name != "demo":
            assert site.feeds or site.sitemaps, site.name
        for url in site.seeds:
            assert url.startswith("https://"), url
    arabic = [s for s in SITES.values() if s.language == "ar" and s.seeds]
    assert len([s for s in arabic if s.name in MAJOR]) >= 12


def test_every_domain_belongs_to_one_site():
    """No domain entry is listed twice."""
    domains = [d for site in SITES.values() for d in site.domains]
    assert len(domains) == len(set(domains))


@pytest.mark.parametrize("site", SITES.values(), ids=lambda s: s.name)
def test_site_entry_is_consistent(site):
    """Its zone exists, its pattern matches its sample article and not its home page."""
    assert ZoneInfo(site.timezone)
    assert site.title and site.language == "ar"
    assert site.sample_article_url, "give a sample_article_url to test the pattern on"
    assert site.is_article_url(site.sample_article_url)
    assert not site.is_article_url(site.home)
    assert site_for_url(site.sample_article_url) is site
    assert site_for_url(site.home) is site
    if site.parser:
        assert issubclass(type(parser_for(site.sample_article_url)), SiteParser)


@pytest.mark.parametrize(("url", "name"), [
    ("https://www.youm7.com/story/2020/8/24/x/4943459", "youm7"),
    ("https://youm7.com/story/2020/8/24/x/4943459", "youm7"),
    ("https://m.youm7.com/amp/2020/8/24/x/4943459", "youm7"),
    ("https://mubasher.aljazeera.net/news/x", "aljazeera"),
    ("https://WWW.Hespress.com/x-974269.html", "hespress"),
    ("https://www.bbc.com/arabic/articles/c9l3wq2e8kzo", "bbc_arabic"),
    ("https://www.bbc.co.uk/arabic", "bbc_arabic"),
    ("https://www.bbc.com/news/world-123", None),
    ("https://www.bbc.com/arabicx", None),
    ("https://www.france24.com/ar/x/20240121-y", "france24"),
    ("https://www.france24.com/fr/x/20240121-y", None),
    ("https://arabic.rt.com/world/1-x/", "rt_arabic"),
    ("https://www.rt.com/news/1-x/", None),
    ("https://notyoum7.com/story/2020/8/24/x/1", None),
    ("http://demo.newsbot.test/archives/4471.html", "demo"),
    ("https://example.com/", None),
])
def test_site_for_url(url, name):
    """Subdomains belong to their site, www. and case do not matter, a path scopes a host."""
    site = site_for_url(url)
    assert (site.name if site else None) == name


def test_get_site_names_the_known_sites_when_it_fails():
    """An unknown name raises KeyError listing the sites there are."""
    assert get_site("youm7").timezone == "Africa/Cairo"
    with pytest.raises(KeyError, match=r"known sites: .*youm7"):
        get_site("nosuchsite")


@pytest.mark.parametrize(("toml", "message"), [
    ('[[site]]\nname="a"\ntitle="t"\nhome="https://a.test/"\ndomains=["a.test"]\n'
     'article_url_pattern="^/x"\ntimezone="UTC"\n'
     '[[site]]\nname="b"\ntitle="t"\nhome="https://a.test/"\ndomains=["www.a.test"]\n'
     'article_url_pattern="^/x"\ntimezone="UTC"\n', "domain 'a.test' is in both"),
    ('[[site]]\nname="a"\ntitle="t"\nhome="https://a.test/"\ndomains=["a.test"]\n'
     'article_url_pattern="^/x"\n', "missing \\['timezone'\\]"),
    ('[[site]]\nname="a"\ntitle="t"\nhome="https://a.test/"\ndomains=["a.test"]\n'
     'article_url_pattern="^/x"\ntimezone="Mars/Olympus"\n', "site 'a'"),
    ('[[site]]\nname="a"\ntitle="t"\nhome="https://a.test/"\ndomains=["a.test"]\n'
     'article_url_pattern="^/x"\ntimezone="UTC"\nfeed="https://a.test/rss"\n', "unknown keys"),
])
def test_a_bad_registry_is_refused(tmp_path, toml, message):
    """Duplicate domains, missing keys, unknown zones and misspelt keys stop the load."""
    path = tmp_path / "sites.toml"
    path.write_text(toml, "utf-8")
    with pytest.raises(ValueError, match=message):
        load_sites(path)


# -- site parsers -----------------------------------------------------------------------------
# One site's layouts, as a site module would hold them: versions are the parser classes of a
# module, so this module holds no other module-level parser.
class _Layout(SiteParser):
    SITE = "demo"


class _Redesign(_Layout):
    VALID_FROM = dt.date(2024, 3, 1)
    title_selector = "h1.new-headline"


def test_the_version_valid_on_the_fetch_day_is_chosen():
    """A redesign is a subclass with a later VALID_FROM; older pages keep the older version."""
    assert _Layout.versions() == [_Layout, _Redesign]
    assert _Layout.version_for(dt.date(2024, 2, 29)) is _Layout
    assert _Redesign.version_for(dt.date(2024, 2, 29)) is _Layout
    assert _Layout.version_for(dt.date(2024, 3, 1)) is _Redesign
    assert _Layout.version_for(dt.datetime(2025, 1, 1, tzinfo=dt.UTC)) is _Redesign
    assert _Layout.version_for(None) is _Redesign
    assert SiteParser.versions() == [SiteParser]

    class Unrelated(SiteParser):  # another site's parser is never one of these versions
        SITE = "demo"

    assert Unrelated.versions() == [Unrelated]


_PAGE = """<html lang="ar"><head><title>عنوان قديم - الموقع</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2020-01-01T10:00:00Z"></head><body>
<h1 class="old">عنوان قديم</h1><h1 class="new-headline">العنوان الجديد للمقال</h1>
<div class="promo"><p>اشترك الآن في النشرة البريدية لتصلك آخر الأخبار والتقارير والتحليلات كل صباح.</p></div>
<span class="when">2020-01-02 08:30</span><a class="by">سامر الحداد</a><a class="by">هالة يوسف</a>
<div class="story"><p>هذه هي الفقرة الأولى من نص المقال وفيها ما يكفي من الكلمات لتعد فقرة حقيقية من الخبر.</p>
<h2>عنوان فرعي</h2><p>وهذه فقرة ثانية من نص المقال تكمل الخبر وتضيف إليه تفاصيل أخرى عن الموضوع نفسه.</p></div>
</body></html>"""
_URL = "http://demo.newsbot.test/news/2020/01/02/story.html"


def test_parse_with_a_fetch_time_uses_that_days_version():
    """parse(fetched_at=...) on any version reads the page with the version valid then."""
    old = _Layout().parse(_PAGE, _URL, fetched_at=dt.date(2020, 1, 2))
    new = _Layout().parse(_PAGE, _URL, fetched_at=dt.date(2024, 6, 1))
    assert new.title == "العنوان الجديد للمقال"
    assert old.title != new.title
    assert type(parser_for(_URL, dt.date(2020, 1, 2))) is SiteParser  # demo has no parser


def test_selectors_override_only_what_they_name():
    """Selector constants replace their field when they match; the rest is the generic result."""

    class Parser(SiteParser):
        SITE = "demo"
        date_selector = "span.when"
        author_selector = "a.by"
        body_selector = "div.story"
        drop_selectors = ("div.promo",)

    generic = SiteParser(get_site("demo")).parse(_PAGE, _URL)
    article = Parser().parse(_PAGE, _URL)
    assert article.published_at == "2020-01-02T08:30:00+03:00"  # Asia/Riyadh, the demo's zone
    assert article.published_raw == "2020-01-02 08:30"
    assert article.authors == ["سامر الحداد", "هالة يوسف"]
    assert article.headings == ["عنوان فرعي"]
    assert [len(p) > 60 for p in article.paragraphs] == [True, True]
    assert not any("اشترك" in p for p in article.paragraphs)
    assert [b["type"] for b in article.blocks] == ["paragraph", "heading", "paragraph"]
    assert article.title == generic.title


def test_a_body_selector_that_matches_nothing_leaves_the_generic_body():
    """After a redesign the old container is gone; the generic reading stands (or drops)."""

    class Parser(SiteParser):
        SITE = "demo"
        body_selector = "div.gone"

    generic = SiteParser(get_site("demo")).parse(_PAGE, _URL, require_article=True)
    assert Parser().parse(_PAGE, _URL, require_article=True).paragraphs == generic.paragraphs
    with pytest.raises(ExtractionError) as error:
        Parser().parse("<html><body><p>قصير</p></body></html>", _URL, require_article=True)
    assert error.value.reason == "no_article"


def test_a_site_without_a_parser_reads_in_its_own_time_zone():
    """parser_for gives the generic parser with the site's zone, or the default zone."""
    parser = parser_for("https://www.alyaum.com/articles/1/x/y")
    assert type(parser) is SiteParser and parser.tz == ZoneInfo("Asia/Riyadh")
    unknown = parser_for("https://example.com/a", default_tz=ZoneInfo("Africa/Tunis"))
    assert unknown.site is None and unknown.tz == ZoneInfo("Africa/Tunis")


_YOUM7_HTML = (CORPUS / "youm7_1691196862.html").read_bytes()
_YOUM7_URL = json.loads((CORPUS / "youm7_1691196862.gold.json").read_text("utf-8"))["url"]


def test_youm7_reads_its_z_times_as_cairo_time():
    """youm7's "Z" time is the Cairo time its date line shows, so it is read as +02:00."""
    parser = parser_for(_YOUM7_URL, dt.date(2020, 8, 24))
    assert isinstance(parser, Youm7Parser)
    generic = extract(_YOUM7_HTML, _YOUM7_URL, default_tz=ZoneInfo("Africa/Cairo"))
    article = parser.parse(_YOUM7_HTML, _YOUM7_URL)
    assert generic.published_at == "2020-08-24T09:23:13+00:00"
    assert article.published_at == "2020-08-24T09:23:13+02:00"
    assert article.published_raw == "2020-08-24T09:23:13Z"
    assert article.modified_at == "2020-08-24T09:23:13+02:00"
    assert article.paragraphs == generic.paragraphs


def test_youm7_keeps_a_z_time_its_date_line_contradicts():
    """When the date line shows another time, the Z may be true and is left alone."""
    html = _YOUM7_HTML.replace("2020 09:23 ص</span>".encode(), "2020 11:23 ص</span>".encode())
    assert html != _YOUM7_HTML
    assert Youm7Parser().parse(html, _YOUM7_URL).published_at == "2020-08-24T09:23:13+00:00"


# -- pinned fixtures --------------------------------------------------------------------------
def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


_reparsed: dict[Path, tuple[dict, dict]] = {}


def _reparse(path: Path) -> tuple[dict, dict]:
    if path not in _reparsed:
        record, article = fx.reparse(path)
        _reparsed[path] = record, article.to_dict()
    return _reparsed[path]


def test_the_corpus_sites_are_pinned():
    """Each corpus site has a stored fixture."""
    assert {p.name.split("_2")[0] for p in _fixture_files()} >= set(CORPUS_SITES)


CASES = [(path, name) for path in _fixture_files() for name in fx.FIELDS]


@pytest.mark.parametrize(("path", "field"), CASES, ids=[f"{p.stem}:{f}" for p, f in CASES])
def test_fixture_field(path, field):
    """Each pinned field comes out as stored (white space aside); key fields are not empty."""
    record, got = _reparse(path)
    wanted = record["expected"][field]
    if field in fx.REQUIRED_FIELDS:
        assert wanted, f"empty expectation for {field} in {path.name}"
    assert _norm(got[field]) == _norm(wanted)


def test_save_fixture_round_trip(tmp_path):
    """A saved fixture re-reads to the same fields and is never overwritten."""
    html = (CORPUS / "alyaum_1784190729.html").read_bytes()
    url = "https://www.alyaum.com/articles/6291787/القارات-السبع/طهران-تدفن-زادة-وتتهم-المعارضة-الإيرانية-باغتياله"
    fetched = dt.datetime(2020, 12, 1, 9, 0, tzinfo=dt.UTC)
    article = parser_for(url, fetched).parse(html, url, "text/html; charset=utf-8", fetched)
    first = fx.save_fixture(url, html, "text/html; charset=utf-8", article, tmp_path,
                            fetched=fetched)
    second = fx.save_fixture(url, html, "text/html; charset=utf-8", article, tmp_path,
                             fetched=fetched)
    assert first.name == "alyaum_2020-12-01.json" and second.name == "alyaum_2020-12-01_2.json"
    assert gzip.decompress((tmp_path / "alyaum_2020-12-01.html.gz").read_bytes()) == html
    record, again = fx.reparse(first)
    assert record["fetched"] == "2020-12-01T09:00:00+00:00"
    assert fx.expected(again) == record["expected"] == fx.expected(article)


def test_save_fixture_refuses_an_empty_extraction(tmp_path):
    """A page that gave no title or body pins nothing."""
    with pytest.raises(ValueError, match="nothing to pin"):
        fx.save_fixture("https://example.com/a", b"<html></html>", None,
                        Article(url="https://example.com/a"), tmp_path)
    assert not list(tmp_path.iterdir())


def test_savefixture_command(tmp_path, monkeypatch, capsys):
    """`newsbot savefixture URL` fetches, extracts with the site's parser and saves."""
    def fake_fetch(url, timeout):
        assert url == _YOUM7_URL
        return _YOUM7_HTML, "text/html; charset=utf-8", url

    monkeypatch.setattr(fx, "_fetch", fake_fetch)
    assert fx.main([_YOUM7_URL, "--dir", str(tmp_path)]) == 0
    [path] = tmp_path.glob("youm7_*.json")
    record = json.loads(path.read_text("utf-8"))
    assert record["expected"]["published_at"] == "2020-08-24T09:23:13+02:00"
    assert "Youm7Parser" in capsys.readouterr().out
    assert fx.main(["ftp://example.com/x"]) == 2

    def failing_fetch(url, timeout):
        raise OSError("connection refused")

    monkeypatch.setattr(fx, "_fetch", failing_fetch)
    assert fx.main([_YOUM7_URL, "--dir", str(tmp_path)]) == 1


# -- the redesign warning ---------------------------------------------------------------------
def _health(**settings) -> tuple[ExtractionHealth, object]:
    crawler = get_crawler(settings_dict=settings)
    return ExtractionHealth.from_crawler(crawler), crawler


def _receive(crawler, url: str, status: int = 200, content_type: str = "text/html") -> Response:
    response = HtmlResponse(url, status=status, body=b"<html></html>",
                            headers={"Content-Type": content_type}, encoding="utf-8")
    crawler.signals.send_catch_log(signal=signals.response_received, response=response,
                                   request=Request(url), spider=None)
    return response


def _youm7(i: int) -> str:
    return f"https://www.youm7.com/story/2024/1/{i % 28 + 1}/x/{1000 + i}"


def test_health_warns_once_when_a_site_stops_giving_articles(caplog):
    """Fewer than half of the last N article pages gave an item: one warning, flagged stats."""
    _, crawler = _health(NEWSBOT_HEALTH_WINDOW=4)
    with caplog.at_level(logging.WARNING, logger="newsbot.sites.health"):
        for i in range(12):
            response = _receive(crawler, _youm7(i))
            if i < 2:
                crawler.signals.send_catch_log(signal=signals.item_scraped, item=object(),
                                               response=response, spider=None)
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["site youm7: only 1 of 4 article pages gave an article — its layout may "
                        "have changed"]
    assert crawler.stats.get_value("newsbot/health/youm7/flagged") == 1
    assert crawler.stats.get_value("newsbot/health/youm7/empty_ratio") == 0.75


def test_health_stays_quiet_while_pages_give_articles(caplog):
    """Items (late ones too) and pipeline drops below the threshold raise no warning."""
    health, crawler = _health(NEWSBOT_HEALTH_WINDOW=4)
    pending = []
    with caplog.at_level(logging.WARNING, logger="newsbot.sites.health"):
        for i in range(20):
            pending.append(_receive(crawler, _youm7(i)))
            if len(pending) == 3:  # items arrive two responses late
                response = pending.pop(0)
                signal = signals.item_dropped if i % 4 == 0 else signals.item_scraped
                crawler.signals.send_catch_log(signal=signal, item=object(), response=response,
                                               exception=Exception(), spider=None)
        for response in pending:
            crawler.signals.send_catch_log(signal=signals.item_scraped, item=object(),
                                           response=response, spider=None)
        health.spider_closed(None, "finished")  # other extensions were never opened
    assert not caplog.records
    assert crawler.stats.get_value("newsbot/health/youm7/flagged") is None
    assert crawler.stats.get_value("newsbot/health/youm7/empty_ratio") < 0.5


def test_health_counts_only_article_pages():
    """Only article pages count: by the site's pattern, or by their URL's shape elsewhere."""
    health, crawler = _health(NEWSBOT_HEALTH_WINDOW=2)
    _receive(crawler, "https://www.youm7.com/")
    _receive(crawler, "https://www.youm7.com/Section/65")
    _receive(crawler, _youm7(1), status=404)
    _receive(crawler, "https://www.youm7.com/rss/SectionRss?SectionID=65",
             content_type="application/rss+xml")
    assert not health.sites
    _receive(crawler, "https://unknown.example.com/news/")  # a section, by its URL
    _receive(crawler, "https://unknown.example.com/2024/01/a-long-story-slug")
    _receive(crawler, "https://www.unknown.example.com/story/123456")
    assert list(health.sites) == ["unknown.example.com"]
    assert len(health.sites["unknown.example.com"].pages) == 2


def test_health_judges_the_rest_when_the_crawl_ends(caplog):
    """Pages still without an outcome at the end count as empty."""
    health, crawler = _health(NEWSBOT_HEALTH_WINDOW=3)
    with caplog.at_level(logging.WARNING, logger="newsbot.sites.health"):
        for i in range(3):
            _receive(crawler, _youm7(i))
        assert not caplog.records
        health.spider_closed(None, "finished")  # other extensions were never opened
    assert len(caplog.records) == 1
    assert crawler.stats.get_value("newsbot/health/youm7/flagged") == 1


def test_health_can_be_switched_off():
    """NEWSBOT_HEALTH_ENABLED=False leaves the extension out; bad numbers are refused."""
    with pytest.raises(NotConfigured):
        _health(NEWSBOT_HEALTH_ENABLED=False)
    with pytest.raises(ValueError, match="NEWSBOT_HEALTH_MIN_YIELD"):
        _health(NEWSBOT_HEALTH_MIN_YIELD=1.5)


def test_health_warns_in_a_real_crawl(tmp_path):
    """A crawl of a site whose article pages come out empty ends with the site flagged."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    names = [p.name.removesuffix(".gold.json") for p in sorted(CORPUS.glob("*.gold.json"))]
    for name in names[:2]:
        (root / "news" / f"{name}.html").write_bytes((CORPUS / f"{name}.html").read_bytes())
    for i in range(6):  # a redesign the extractor cannot read: the text is drawn by script
        (root / "news" / f"story-{i}.html").write_text(
            '<html><head><title>خبر</title></head><body><div id="app"></div>'
            "<script>render()</script></body></html>", "utf-8")
    links = "".join(f'<li><a href="/news/{p.name}">{p.stem}</a></li>'
                    for p in sorted((root / "news").iterdir()))
    (root / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>", "utf-8")
    stats_path = tmp_path / "stats.json"
    env = {**os.environ, "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'news.db'}"}
    with SiteServer(root) as server:
        result = subprocess.run(
            [sys.executable, "-m", "newsbot.cli", "crawl", f"{server.base_url}/index.html", "-q",
             "--stats-json", str(stats_path), "-s", "AUTOTHROTTLE_START_DELAY=0",
             "-s", "NEWSBOT_STORE_FLUSH_SECONDS=0",
             "-s", 'EXTENSIONS={"newsbot.sites.health.ExtractionHealth": 500}',
             "-s", "NEWSBOT_HEALTH_WINDOW=5"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(stats_path.read_text())
    assert stats["item_scraped_count"] == 2
    assert stats["newsbot/health/127.0.0.1/flagged"] == 1
    assert "site 127.0.0.1: only" in result.stderr
