"""Language of an article: what the page declares, checked against the text itself.

Pages often declare the wrong language (a WordPress theme left on ``en-US`` over Arabic text),
and Persian and Urdu share the Arabic script, so the text decides when it disagrees with the
declaration. Three kinds of evidence tell the Arabic-script languages apart: letters Arabic
does not use (Persian پ چ ژ گ; Urdu adds ٹ ڈ ڑ ں ے ہ ھ), each language's commonest words and
forms (Arabic في من على, the article ال and the ending ة; Persian است این را که از), and, for
Latin text, English function words. Persian written with the Arabic forms of yeh and kaf
(ي ك instead of ی ک) is still Persian: the words are compared with those letters folded.
"""

from __future__ import annotations

import re

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_PERSIAN_LETTERS = re.compile(r"[\u067e\u0686\u0698\u06af]")  # پ چ ژ گ (Urdu uses them too)
# ٹ ڈ ڑ ں ے ۓ ہ ۂ ۃ ھ: Urdu, never Persian or Arabic.
_URDU_LETTERS = re.compile(r"[\u0679\u0688\u0691\u06ba\u06d2\u06d3\u06c1\u06c2\u06c3\u06be]")
_PERSIAN_YEH_KAF = re.compile(r"[\u06cc\u06a9]")  # ی ک: Persian and Urdu forms of ي ك
_FOLD = str.maketrans("یکۀ", "يكه")
_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # tashkeel and tatweel, inside words
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3]+")
# Arabic's article (الكتاب، والكتاب، بالكتاب، للكتاب) and feminine ending (جديدة): Persian
# and Urdu have them only in borrowed words.
_ARABIC_FORM = re.compile(r"^(?:[وفبك]?ال|لل)..|..ة$")
_ARABIC_WORDS = frozenset((
    "في", "من", "على", "إلى", "الى", "أن", "إن", "عن", "مع", "التي", "الذي", "الذين", "هذا",
    "هذه", "ذلك", "كان", "كانت", "قال", "قد", "بعد", "حيث", "أو", "كما", "بين", "خلال", "حتى",
    "لم", "لن", "وقال", "إنه", "أنه",
))
_PERSIAN_WORDS = frozenset((  # yeh and kaf folded to the Arabic forms
    "است", "اين", "را", "كه", "از", "براي", "شده", "شد", "بود", "هاي", "نيز", "كرد", "گفت",
    "يك", "مي", "شود", "بايد", "كند", "دارد", "آن", "خود", "تا", "ها", "اند", "در", "با",
))
_ENGLISH_WORDS = frozenset((  # common English words that other Latin-script languages lack
    "the", "and", "of", "is", "that", "for", "with", "said", "has", "have", "are", "were",
    "from", "this", "which", "been", "will", "who", "they", "their", "would", "also", "its",
    "after", "about", "than", "he", "she",
))
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Declared Arabic-script languages the letters cannot tell from Persian, Urdu or Arabic.
_OTHER_ARABIC_SCRIPT = frozenset(("ps", "ku", "ckb", "sd", "ug", "ks", "bal", "lrc", "mzn",
                                  "glk", "azb", "pnb", "skr", "bqi", "sdh", "hac"))
_MIN_LETTERS = 20
_SAMPLE = 20000


def _primary(tag: str | None) -> str | None:
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def _arabic_script_language(sample: str) -> str:
    raw_words = _ARABIC_WORD.findall(_MARKS.sub("", sample))
    words = [w.translate(_FOLD) for w in raw_words]
    arabic = sum(1 for w in words if w in _ARABIC_WORDS or _ARABIC_FORM.search(w))
    persian = sum(1 for w in words if w in _PERSIAN_WORDS)
    persian += len(_PERSIAN_LETTERS.findall(sample))
    # Weak evidence: Arabic typed on a Persian keyboard has them too.
    persian += 0.5 * sum(1 for w in raw_words if _PERSIAN_YEH_KAF.search(w))
    urdu = len(_URDU_LETTERS.findall(sample))
    if urdu >= 3 and urdu > arabic:
        return "ur"
    if persian >= 2 and persian > arabic:
        return "fa"
    return "ar"


def _looks_english(sample: str) -> bool:
    words = _LATIN_WORD.findall(sample.lower())
    hits = [w for w in words if w in _ENGLISH_WORDS]
    # Several different ones, and not lost in a long foreign text (recipes and lists are thin).
    return len(set(hits)) >= 3 and len(hits) >= 0.03 * len(words)


def script_language(text: str) -> str | None:
    """The language the text itself points to: ``ar``, ``fa``, ``ur``, ``en``, else ``None``.

    ``None`` when there is too little text, or for Latin text that is not plainly English.
    """
    sample = text[:_SAMPLE]
    arabic = len(_ARABIC_SCRIPT.findall(sample))
    latin = len(_LATIN.findall(sample))
    if arabic < _MIN_LETTERS and latin < _MIN_LETTERS:
        return None
    if arabic <= latin:
        return "en" if _looks_english(sample) else None
    return _arabic_script_language(sample)


def detect_language(declared: list[str | None], text: str) -> str | None:
    """The article's language as a primary subtag (``ar``, ``fa``, ``en`` ...).

    ``declared`` holds what the page says (``<html lang>``, ``og:locale``, JSON-LD
    ``inLanguage`` ...), first choice first; the text overrides it when they disagree.
    """
    declared_code = next((code for code in map(_primary, declared) if code), None)
    by_text = script_language(text)
    if by_text is None:
        return declared_code
    if declared_code in _OTHER_ARABIC_SCRIPT and by_text in ("ar", "fa", "ur"):
        return declared_code  # Pashto, Kurdish ...: letters we do not tell apart
    return by_text
