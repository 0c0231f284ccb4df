"""What is not the article: markup, class names and Arabic phrases that mark boilerplate.

Kept apart from the extractor so that the lists can grow without touching its logic.
"""

from __future__ import annotations

import re

# Removed with their content wherever they are.
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "video",
    "audio",
    "canvas",
    "map",
    "input",
    "button",
    "select",
    "textarea",
    "dialog",
)
# Page furniture: removed unless they hold the article itself.
FURNITURE_TAGS = frozenset({"nav", "aside", "footer", "header", "menu"})

# Tokens of class/id values (split on space, "-" and "_") that mark boilerplate.
_NEGATIVE_TOKENS = (
    "share|sharing|shares|sharer|social|socials|sociallinks|addthis|sharethis|"
    "related|relatedposts|relatedarticles|relatedstories|comment|comments|commentlist|respond|"
    "disqus|sidebar|widget|widgets|newsletter|subscribe|subscription|cookie|cookies|consent|gdpr|"
    "ad|ads|adv|advert|adverts|advertisement|advertising|adsbygoogle|adslot|dfp|banner|"
    "breadcrumb|breadcrumbs|popup|modal|promo|sponsor|sponsored|outbrain|taboola|"
    "mostread|mostviewed|trending|popular|tags|tagcloud|taglist|keywords|skip|skiplink|"
    "navbar|nav|navigation|menu|footer|masthead|pagination|pager|pages|authorbox|"
    "author-bio|author-info|author-description|about-author|author-box|author-card|bio|rating|print|toolbar|follow|"
    "sronly|visuallyhidden|screenreadertext|offscreen|readmore|readalso|"
    "recommended|recommendations|morenews|also|ticker|marquee|"
    "login|signup|search|weather|prayer|poll|video|embed|playlist|gallery-nav|meta|postmeta|byline"
)
NEGATIVE_RE = re.compile(rf"(?:^|[\s_-])(?:{_NEGATIVE_TOKENS})(?=$|[\s_-])", re.IGNORECASE)
# Class names that mark the article body; an element matching both is kept.
POSITIVE_RE = re.compile(
    r"article[-_]?(?:body|content|text|details?)|entry[-_]?content|post[-_]?(?:body|content|text)|"
    r"story[-_]?(?:body|content|text)|news[-_]?(?:body|content|text|details?)|"
    r"td-post-content|content-inner|main[-_]?content|body[-_]?text|articlebody|itemfulltext",
    re.IGNORECASE,
)
# Words that make a boilerplate-named element worth keeping on the lenient second pass.
MAYBE_CONTENT_RE = re.compile(r"article|body|content|main|column|story|entry|blog|text", re.I)
# Screen-reader-only text, dropped even inside the article (BBC's "التعليق على الصورة،").
SCREEN_READER_RE = re.compile(
    r"(?:^|\s)(?:sr-only|screen-reader-text|visually-hidden|visuallyhidden|offscreen|"
    r"screenreader-only|a11y-hidden)(?:$|\s)",
    re.IGNORECASE,
)
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

_A = "[اأإآ]"  # alef with or without hamza, as people type it
_PHRASES = (
    rf"{_A}قر{_A}ء?\s*(?:[اأ]يض[اًا]+|كذلك|المزيد|ايضا)",  # اقرأ أيضاً / إقرأ أيضا / اقرأ المزيد
    r"(?:شاهد|طالع|تابع)\s*(?:[اأ]يض[اًا]+|كذلك)",
    r"للمزيد\s*(?:من|:)",
    r"(?:مقالات|أخبار|اخبار|مواضيع|موضوعات|قصص|روابط)\s*(?:ذات\s*صلة|متعلقة|مقترحة|مشابهة)",
    r"ذات\s*صلة",
    r"(?:نبذة\s*)?عن\s*(?:الكاتب|الكاتبة|المؤلف|المحرر)|about\s+the\s+author",
    r"(?:مقالات|أخبار|اخبار|مواضيع)\s*(?:أخرى|اخرى)|المزيد\s*من\s*(?:الأخبار|المقالات|مقالات)",
    r"(?:المقال|المقالة|الآراء|المقالات)\s.{0,25}(?:يعبر|تعبر|يعبّر|تعبّر)\s*عن\s*(?:رأي|آراء)",
    r"ال[أا]كثر\s*(?:قراءة|قراءه|مشاهدة|تداولا|تداولاً|تعليقا|شعبية|شيوعا)",
    r"قد\s*(?:يعجبك|يهمك)",
    r"تابعونا\s*(?:على|عبر)",
    r"تخط[ىي]\s*(?:إلى|الى)\s*المحتوى",
    r"{_A}شترك\s*(?:في|ب)?\s*(?:النشرة|نشرتنا)".replace("{_A}", _A),
    r"شارك(?:\s*(?:على|عبر|المقال|الخبر|هذا))?\s*[:：]?$",
    r"(?:الوسوم|الكلمات\s*المفتاحية|كلمات\s*دالة|وسوم)\s*[:：]?",
    r"(?:التعليقات|تعليقات|أضف\s*تعليق|اترك\s*تعليقا|اترك\s*تعليقاً|اترك\s*ردا|اترك\s*رداً)",
    r"(?:read\s+(?:also|more)|related\s+(?:articles|posts|stories)|most\s+read|skip\s+to\s+content)",
    r"(?:إعلان|اعلان|advertisement|sponsored)\W*$",  # an ad slot's label
)
BOILERPLATE_PHRASE_RE = re.compile(r"^\W{0,3}(?:" + "|".join(_PHRASES) + ")", re.IGNORECASE)
# A block that starts like this and is short is a read-also line or a section label.
MAX_LABEL_CHARS = 80

# Screen-reader labels that survive as text (when the span carries no telling class).
CAPTION_LABEL_RE = re.compile(
    r"^(?:التعليق\s*على\s*الصورة|تعليق\s*الصورة|الصورة)\s*[،,:]\s*", re.IGNORECASE
)
CREDIT_LABEL_RE = re.compile(r"^(?:صدر|مصدر)\s*الصورة\s*[،,:]\s*|^(?:photo|image)\s*:\s*", re.I)
# "مازن الأحمد - نُشر: 17 مارس 2025 - 06:10 آخر تحديث: ...": a byline and date line.
DATELINE_RE = re.compile(
    r"(?:نُشر|نشر|تاريخ النشر|آخر تحديث|تم التحديث|published|updated)\s*(?:في|on)?\s*[:：]?\s*"
    r"[^.!؟?]{0,40}?(?:\d{4}|\d{1,2}:\d{2})",
    re.IGNORECASE,
)
BYLINE_RE = re.compile(
    r"^(?:كتب|كتبت|كتبه|بقلم|تحرير|إعداد|اعداد|متابعة|تقرير|ترجمة)\s*[:：]?\s*\S.{0,50}$"
)

_DATE_WORDS = frozenset(
    """
    يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر
    ديسمبر كانون الثاني الأول الاول شباط آذار اذار نيسان أيار ايار حزيران تموز آب اب أيلول ايلول
    تشرين جانفي فيفري أفريل افريل ماي جوان جويلية أوت اوت يوليوز غشت شتنبر نونبر دجنبر
    السبت الأحد الاحد الإثنين الاثنين الثلاثاء الأربعاء الاربعاء الخميس الجمعة
    ص م صباحا صباحاً مساء مساءً مساءا في الساعة هـ ه بتوقيت غرينتش مكة
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday am pm gmt utc at
    """.split()
)
_YEAR = re.compile(r"(?:19|20)\d\d|[١۱][٩۹][٠-٩۰-۹]{2}|[٢۲][٠۰][٠-٩۰-۹]{2}")
_DATE_TOKEN_STRIP = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹/:.,،-–|()"


def is_date_line(text: str) -> bool:
    """A line that is only a date ("الأحد 9 مارس 2025 - 10:30"), not a sentence with a year."""
    if len(text) > 80 or not _YEAR.search(text):
        return False
    for token in text.lower().split():
        word = token.strip(_DATE_TOKEN_STRIP)
        if word and word not in _DATE_WORDS:
            return False
    return True
