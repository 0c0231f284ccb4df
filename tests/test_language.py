"""Every article gets a language; Arabic-script pages in Persian or Urdu are not called Arabic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsbot import extract
from newsbot.extraction.language import detect_language, script_language
from newsbot.items import Article
from pipelines.validate import ValidatePipeline

PAGES = Path(__file__).parent / "pages"
PERSIAN_PAGES = sorted((PAGES / "not-arabic").glob("*.html"))
ARABIC_PAGES = sorted((PAGES / "arabic").glob("*.html"))

ARABIC = ("قال وزير الخارجية في مؤتمر صحفي اليوم إن المفاوضات مع الجانب الآخر ستستأنف الأسبوع "
          "المقبل، وإن الحكومة تأمل في التوصل إلى اتفاق يضمن وقف إطلاق النار.")
PERSIAN = ("وزیر امور خارجه در نشست خبری امروز گفت که مذاکرات با طرف مقابل هفته آینده از سر "
           "گرفته می‌شود و دولت امیدوار است به توافقی برای آتش‌بس برسد.")
# Written for these tests: "The foreign minister said at a press conference today that talks
# with the other side will resume next week and that the government hopes for a ceasefire."
URDU = ("وزیر خارجہ نے آج ایک پریس کانفرنس میں کہا کہ دوسرے فریق کے ساتھ مذاکرات اگلے ہفتے "
        "دوبارہ شروع ہوں گے اور حکومت کو امید ہے کہ جنگ بندی کا معاہدہ ہو جائے گا۔ "
        "انہوں نے بتایا کہ یہ بات چیت شہر کے مرکز میں ہوگی۔")
ENGLISH = ("The foreign minister said at a press conference today that talks with the other "
           "side will resume next week, and that the government hopes to reach an agreement.")
FRENCH = ("Le ministre des affaires étrangères a déclaré aujourd'hui que les négociations "
          "reprendront la semaine prochaine et que le gouvernement espère un accord.")


def _url(html_path: Path) -> str:
    gold = html_path.with_name(html_path.name.replace(".html", ".gold.date.json"))
    return json.loads(gold.read_text("utf-8"))["url"]


# -- real pages through extract() ------------------------------------------------------------
@pytest.mark.parametrize("path", PERSIAN_PAGES, ids=lambda p: p.stem)
def test_persian_pages_are_persian(path):
    """The three Persian news pages of the corpus come out of extract() as 'fa'."""
    assert extract(path.read_bytes(), url=_url(path)).language == "fa"


_LANG_DECLARATIONS = re.compile(
    rb'(lang=["\']?|content=["\'])fa(?:[-_]IR)?(["\'\s>])', re.IGNORECASE
)


@pytest.mark.parametrize("path", PERSIAN_PAGES, ids=lambda p: p.stem)
def test_persian_pages_declared_arabic_are_still_persian(path):
    """With every 'fa' declaration rewritten to 'ar', the text still makes the page 'fa'."""
    html, count = _LANG_DECLARATIONS.subn(rb"\1ar\2", path.read_bytes())
    assert count >= 1
    assert extract(html, url=_url(path)).language == "fa"


@pytest.mark.parametrize("path", ARABIC_PAGES, ids=lambda p: p.stem)
def test_arabic_pages_are_arabic(path):
    """Every stored Arabic page is 'ar', beirutobserver's lang="en-US" and the undeclared too."""
    gold = json.loads(path.with_name(path.stem + ".gold.json").read_text("utf-8"))
    assert extract(path.read_bytes(), url=gold["url"]).language == "ar"


def test_persian_title_alone_is_persian():
    """A Persian headline alone (no body yet) is already 'fa'."""
    assert script_language("ورود 50 هزار میلیارد تومان نقدینگی به بورس در 3 ماه") == "fa"


# -- declared against written -----------------------------------------------------------------
@pytest.mark.parametrize(("declared", "text", "expected"), [
    # the text decides when it disagrees
    (["en-US"], ARABIC, "ar"),  # a WordPress theme left on English
    (["ar"], PERSIAN, "fa"),
    (["ar-SA"], URDU, "ur"),
    (["fa"], ARABIC, "ar"),  # an Iranian site's Arabic edition on the Persian template
    (["ar"], ENGLISH, "en"),  # an Arabic site's English section on the Arabic template
    # nothing declared: the text alone
    ([], ARABIC, "ar"),
    ([None, ""], PERSIAN, "fa"),
    ([], URDU, "ur"),
    ([], ENGLISH, "en"),
    # Latin text that is not English: the declaration, or nothing
    (["fr-FR"], FRENCH, "fr"),
    ([], FRENCH, None),
    # too little text to tell: the declaration
    (["ar"], "عاجل", "ar"),
    (["en_GB"], "Breaking", "en"),
    ([], "", None),
    # the first usable declaration wins; junk tags are skipped
    ([None, "??", "ar-EG", "en"], ARABIC, "ar"),
    # languages written in Persian letters that the letters cannot tell apart keep their tag
    (["ps"], PERSIAN, "ps"),
    (["ckb-IQ"], PERSIAN, "ckb"),
])
def test_detect_language(declared, text, expected):
    """The declared language stands unless the text plainly says otherwise."""
    assert detect_language(declared, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    (ARABIC, "ar"),
    (PERSIAN, "fa"),
    (PERSIAN.translate(str.maketrans("یک", "يك")), "fa"),  # typed with Arabic yeh and kaf
    (URDU, "ur"),
    (ENGLISH, "en"),
    (FRENCH, None),
    # fully voweled Arabic (the marks split no words)
    ("قَالَ الْوَزِيرُ إِنَّ الْخُطَّةَ سَتُنَفَّذُ عَلَى مَرَاحِلَ خِلَالَ الْعَامِ الْمُقْبِلِ فِي كُلِّ "
     "الْمُحَافَظَاتِ.", "ar"),
    # Arabic that borrows Persian letters for foreign names stays Arabic
    ("أعلنت شركة گوگل اليوم عن ميزة جديدة في محرك البحث، وقال متحدث باسم الشركة في پاريس "
     "إن الخدمة ستتوفر في كل الدول العربية خلال الأسابيع المقبلة.", "ar"),
    # Arabic typed on a Persian keyboard (ی ک everywhere) stays Arabic
    (ARABIC.translate(str.maketrans("يك", "یک")), "ar"),
    # an Arabic article quoting one Urdu sentence stays Arabic
    (f"{ARABIC} {ARABIC} وقال المتحدث بالأردية: «یہ بات چیت اگلے ہفتے ہوگی» مضيفاً أن الوفد "
     "سيصل غداً إلى العاصمة.", "ar"),
    # an English article with an Arabic name in it stays English
    (f"{ENGLISH} The talks were held in Doha (الدوحة).", "en"),
    ("Kindle for PCをCtrl＋Alt＋Kのショートカットキーで立ち上がらなくする方法", None),
])
def test_script_language(text, expected):
    """The letters and commonest words of the text point to its language."""
    assert script_language(text) == expected


# -- the crawl keeps only the languages it wants ---------------------------------------------
PARA = "قال الوزير إن الخطة ستنفذ على مراحل خلال العام المقبل في كل المحافظات."


def _pipeline(languages):
    settings = {"NEWSBOT_MIN_BODY_CHARS": 40}
    if languages is not None:
        settings["NEWSBOT_LANGUAGES"] = languages
    crawler = get_crawler(settings_dict=settings)
    crawler.stats = crawler._create_stats() if hasattr(crawler, "_create_stats") else crawler.stats
    return ValidatePipeline.from_crawler(crawler), crawler


def _article(language):
    return Article(url="http://x.test/a", title="عنوان", paragraphs=[PARA], language=language,
                   published_at="2025-03-09T10:30:00+03:00")


@pytest.mark.parametrize(("languages", "language"), [
    ("ar", "fa"),
    ("ar", "ur"),
    ("ar", None),  # no language could be told: not what an Arabic crawl asked for
    ("ar,en", "fa"),
    (["ar", "en"], "ur"),
    (" AR , EN ", "fr"),
])
def test_unwanted_language_is_dropped_and_counted(languages, language):
    """With NEWSBOT_LANGUAGES set, another language is dropped under newsbot/dropped/language."""
    pipeline, crawler = _pipeline(languages)
    with pytest.raises(DropItem, match="language"):
        pipeline.process_item(_article(language))
    assert crawler.stats.get_value("newsbot/dropped/language") == 1


@pytest.mark.parametrize(("languages", "language"), [
    ("ar", "ar"),
    ("ar,en", "en"),
    (["ar", "en"], "ar"),
    (" AR , EN ", "en"),
    (None, "fa"),  # not set: every language is kept
    ("", "ur"),
    ([], None),
])
def test_wanted_language_is_kept(languages, language):
    """An article in a wanted language, or any language when none are listed, passes."""
    pipeline, crawler = _pipeline(languages)
    article = _article(language)
    assert pipeline.process_item(article) is article
    assert crawler.stats.get_value("newsbot/dropped/language") is None


def test_persian_page_is_dropped_by_an_arabic_crawl():
    """A real Persian page, extracted and validated with NEWSBOT_LANGUAGES=ar, is dropped."""
    path = PERSIAN_PAGES[0]
    article = extract(path.read_bytes(), url=_url(path))
    pipeline, crawler = _pipeline("ar")
    with pytest.raises(DropItem, match="language fa"):
        pipeline.process_item(article)
    assert crawler.stats.get_value("newsbot/dropped/language") == 1
