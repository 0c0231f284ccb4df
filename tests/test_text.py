"""Tests for newsbot.text: clean (display form) and search_key (search form)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyarabic import araby

import newsbot.text as text_module
from newsbot.text import clean, search_key

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------
# Table: (input, clean, search_key)
# ---------------------------------------------------------------------------

CASES = [
    # Rule 1: presentation forms -> letters; NFC (decomposed hamza composes).
    pytest.param("\ufefb", "لا", "لا", id="lam-alef-ligature"),
    # pyarabic's normalize_ligature would give لا here, dropping the hamza.
    pytest.param("\ufef7", "لأ", "لا", id="lam-alef-hamza-ligature"),
    pytest.param("\ufef9 \ufef5", "لإ لآ", "لا لا", id="lam-alef-hamza-below-madda"),
    pytest.param("\ufe91\ufeb4\ufee2", "بسم", "بسم", id="presentation-letters"),
    pytest.param("ب\ufe77ت", "بَت", "بت", id="presentation-fatha-medial-is-tatweel-fatha"),
    pytest.param(
        "ﷺ ﷲ ﷼ ½ ²",
        "ﷺ ﷲ ﷼ ½ ²",
        "صلي الله عليه وسلم الله ريال 1\u20442 2",
        id="kept-ligatures-and-numbers",
    ),
    pytest.param("ا\u0654مريكا", "أمريكا", "امريكا", id="decomposed-hamza-above"),
    pytest.param("ا\u0655سلام", "إسلام", "اسلام", id="decomposed-hamza-below"),
    pytest.param("ا\u0653خر", "آخر", "اخر", id="decomposed-madda"),
    pytest.param("سو\u0654ال", "سؤال", "سؤال", id="decomposed-waw-hamza"),
    # Rule 2: invisible and bidi marks deleted; odd spaces become spaces.
    pytest.param("\u200fالجرائم\u200e", "الجرائم", "الجرائم", id="rlm-lrm"),
    pytest.param(
        "\u202bغزة\u202c \u2067القدس\u2069", "غزة القدس", "غزه القدس", id="embedding-isolate"
    ),
    pytest.param("\ufeffبيان", "بيان", "بيان", id="bom"),
    pytest.param("ال\u00adجرائم", "الجرائم", "الجرائم", id="soft-hyphen"),
    pytest.param("ال\u2060جرائم\u061c", "الجرائم", "الجرائم", id="word-joiner-alm"),
    pytest.param("می\u200cخواهم", "ميخواهم", "ميخواهم", id="zwnj-inside-word"),
    pytest.param("غزة\u00a0اليوم", "غزة اليوم", "غزه اليوم", id="nbsp"),
    pytest.param("غزة\u200bاليوم", "غزة اليوم", "غزه اليوم", id="zero-width-space"),
    pytest.param("غزة\u2009\u3000اليوم", "غزة اليوم", "غزه اليوم", id="thin-and-ideographic-space"),
    # Rule 3: Persian letter variants.
    pytest.param("کتاب", "كتاب", "كتاب", id="keheh"),
    pytest.param("ھذا", "هذا", "هذا", id="heh-doachashmee"),
    pytest.param("فی البیت", "فى البيت", "في البيت", id="farsi-yeh-final-and-medial"),
    pytest.param("علی.", "على.", "علي.", id="farsi-yeh-before-punctuation"),
    # Rule 4: tatweel between letters removed, meaningful tatweel kept.
    pytest.param("العـــربية", "العربية", "العربيه", id="decorative-tatweel"),
    pytest.param("بـَت", "بَت", "بت", id="tatweel-carrying-fatha"),
    pytest.param("الـ 900", "الـ 900", "ال 900", id="al-tatweel-number"),
    pytest.param("1445هـ", "1445هـ", "1445ه", id="hijri-year"),
    pytest.param("ـالعربية", "ـالعربية", "العربيه", id="leading-tatweel"),
    # pyarabic's strip_tatweel would delete the tatweel of "هـ" in clean as well.
    pytest.param(
        "عام ١٤٤٥هـ الموافق", "عام ١٤٤٥هـ الموافق", "عام 1445ه الموافق", id="hijri-eastern"
    ),
    # Rule 5: filter-dodging breaks joined...
    pytest.param("الجـ.رائم", "الجرائم", "الجرائم", id="break-dot"),
    pytest.param("الاحـ.تلال", "الاحتلال", "الاحتلال", id="break-dot-2"),
    pytest.param("قـ.ـتل", "قتل", "قتل", id="break-tatweel-both-sides-one-letter"),
    pytest.param("فلسطـ.ـين", "فلسطين", "فلسطين", id="break-tatweel-both-sides"),
    pytest.param("إسرائـ ـيل", "إسرائيل", "اسرائيل", id="break-space"),
    pytest.param("إسرائـ\u00a0\u00a0ـيل", "إسرائيل", "اسرائيل", id="break-nbsp-run"),
    pytest.param("الجـ·رائم", "الجرائم", "الجرائم", id="break-middle-dot"),
    pytest.param("الجـ•رائم", "الجرائم", "الجرائم", id="break-bullet"),
    pytest.param("الجـ*رائم", "الجرائم", "الجرائم", id="break-star"),
    pytest.param("الجـ_رائم", "الجرائم", "الجرائم", id="break-underscore"),
    pytest.param("الجـ-رائم", "الجرائم", "الجرائم", id="break-hyphen"),
    pytest.param("الجـ.رـ.ائم", "الجرائم", "الجرائم", id="break-twice"),
    pytest.param("بـتـ.رائم", "بترائم", "بترائم", id="break-after-decorative-tatweel"),
    pytest.param("الجـ\u200f.رائم", "الجرائم", "الجرائم", id="break-with-invisible-mark"),
    pytest.param(
        "وقعت الجـ.رائم في غزة",
        "وقعت الجرائم في غزة",
        "وقعت الجرائم في غزه",
        id="break-in-sentence",
    ),
    # ... while abbreviations stay.
    pytest.param("د.محمد", "د.محمد", "د.محمد", id="abbr-doctor"),
    pytest.param("أ.د.", "أ.د.", "ا.د.", id="abbr-professor"),
    pytest.param("ص.ب", "ص.ب", "ص.ب", id="abbr-po-box"),
    pytest.param("ق.م", "ق.م", "ق.م", id="abbr-bc"),
    pytest.param("ج.م.ع", "ج.م.ع", "ج.م.ع", id="abbr-egypt"),
    pytest.param("1445هـ.", "1445هـ.", "1445ه.", id="abbr-hijri-dot"),
    pytest.param("2023م.", "2023م.", "2023م.", id="abbr-gregorian-dot"),
    pytest.param("دمشق ـ سانا", "دمشق ـ سانا", "دمشق سانا", id="dateline-dash"),
    pytest.param("الـ-19", "الـ-19", "ال-19", id="al-tatweel-hyphen-number"),
    pytest.param("قـ.رائم", "قـ.رائم", "ق.رائم", id="one-letter-one-sided-not-joined"),
    # Rule 6: whitespace.
    pytest.param("  غزة   اليوم  ", "غزة اليوم", "غزه اليوم", id="space-runs-and-ends"),
    pytest.param("غزة\t\tاليوم", "غزة اليوم", "غزه اليوم", id="tabs"),
    pytest.param(" أ \n ب ", "أ\nب", "ا ب", id="lines-trimmed"),
    pytest.param("أ\n\n\n\n\nب", "أ\n\nب", "ا ب", id="one-blank-line"),
    pytest.param("أ\r\nب\rج\u2028د", "أ\nب\nج\nد", "ا ب ج د", id="line-break-kinds"),
    pytest.param("\n\n أ \n\n", "أ", "ا", id="blank-lines-at-ends"),
    pytest.param("", "", "", id="empty"),
    pytest.param(" \n\t\u200f ", "", "", id="only-whitespace-and-marks"),
    # Search form: diacritics, Quranic marks, folds, digits, case.
    pytest.param("الْعَرَبِيَّةُ", "الْعَرَبِيَّةُ", "العربيه", id="harakat-shadda"),
    pytest.param("ٱلرَّحْمَٰنِ", "ٱلرَّحْمَٰنِ", "الرحمن", id="quranic-wasla-dagger-alef"),
    pytest.param("رَيْبَ ۛ فِيهِ ۛ", "رَيْبَ ۛ فِيهِ ۛ", "ريب فيه", id="quranic-pause-marks"),
    pytest.param("ب\u08f0ت\u0610", "ب\u08f0ت\u0610", "بت", id="extended-a-and-honorific-marks"),
    # pyarabic's normalize_hamza gives "الءمريكي"; normalize_alef turns على into علا.
    pytest.param("الأمريكي على", "الأمريكي على", "الامريكي علي", id="hamza-alef-maksura"),
    pytest.param("أإآٱ", "أإآٱ", "اااا", id="alef-forms"),
    pytest.param("مدرسة", "مدرسة", "مدرسه", id="teh-marbuta"),
    pytest.param(
        "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹",
        "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹",
        "0123456789 0123456789",
        id="eastern-and-persian-digits",
    ),
    pytest.param("CNN: Biden", "CNN: Biden", "cnn: biden", id="latin-lower-cased"),
    pytest.param("\uff21\ufb01", "\uff21\ufb01", "afi", id="nfkc-fullwidth-and-fi-ligature"),
]


@pytest.mark.parametrize(("raw", "expected_clean", "expected_search"), CASES)
def test_table(raw: str, expected_clean: str, expected_search: str) -> None:
    """clean and search_key give the expected forms for every case of the issue."""
    assert clean(raw) == expected_clean
    assert search_key(raw) == expected_search
    assert search_key(expected_clean) == expected_search


_INVISIBLE = [
    chr(cp)
    for cp in [
        *range(0x200C, 0x2010),
        0x061C,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0xFEFF,
        0x00AD,
        *range(0x2060, 0x2065),
        0x180E,
    ]
]
_SPACES = [chr(cp) for cp in [0x00A0, *range(0x2000, 0x200C), 0x202F, 0x205F, 0x3000]]


@pytest.mark.parametrize("mark", _INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_mark_deleted(mark: str) -> None:
    """Every bidi or invisible mark of rule 2 is deleted, joining the word around it."""
    assert clean(f"بي{mark}ان") == "بيان"


@pytest.mark.parametrize("space", _SPACES, ids=lambda c: f"U+{ord(c):04X}")
def test_odd_space_becomes_space(space: str) -> None:
    """Every space character of rule 2 becomes an ordinary space."""
    assert clean(f"غزة{space}اليوم") == "غزة اليوم"


def test_presentation_forms_all_expanded() -> None:
    """No character of U+FB50-FDCF or U+FE70-FEFE that NFKC would change survives clean."""
    for cp in [*range(0xFB50, 0xFDD0), *range(0xFE70, 0xFEFF)]:
        out = clean(f"ب{chr(cp)}ت")
        assert all(
            unicodedata.normalize("NFKC", c) == c for c in out if "\ufb50" <= c <= "\ufeff"
        ), hex(cp)


@pytest.mark.parametrize("value", [None, b"text", 1, ["a"]])
def test_non_str_rejected(value: object) -> None:
    """Both functions take str only and raise TypeError on anything else."""
    with pytest.raises(TypeError):
        clean(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        search_key(value)  # type: ignore[arg-type]


def test_str_subclass_gives_plain_str() -> None:
    """A str subclass is accepted, and a plain str comes back even when nothing changes."""

    class Headline(str):
        pass

    for value in ("غزة", "Gaza", ""):
        assert type(clean(Headline(value))) is str
        assert type(search_key(Headline(value))) is str


# ---------------------------------------------------------------------------
# pyarabic, where it is right for this spec
# ---------------------------------------------------------------------------


def test_pyarabic_tables_agree() -> None:
    """pyarabic's tashkeel, diacritics, tatweel and digit tables are all folded as it says."""
    for mark in (*araby.TASHKEEL, *araby.DIACRITICS, araby.TATWEEL, araby.SMALL_ALEF):
        assert search_key(f"ب{mark}ت") == "بت", f"U+{ord(mark):04X}"
    for east, pers, west in zip(
        araby.NUMBERS_EAST, araby.NUMBERS_PERS, araby.NUMBERS_WEST, strict=True
    ):
        assert search_key(east + pers) == west + west
    for alef in (
        araby.ALEF_MADDA,
        araby.ALEF_HAMZA_ABOVE,
        araby.ALEF_HAMZA_BELOW,
        araby.ALEF_WASLA,
    ):
        assert search_key(alef) == araby.ALEF
    assert search_key(araby.TEH_MARBUTA) == araby.HEH
    assert search_key(araby.ALEF_MAKSURA) == araby.YEH


# Letters search_key keeps as they are (no alef, teh marbuta or maksura folds).
_PLAIN_LETTERS = [
    c
    for c in araby.LETTERS
    if c
    not in (
        araby.ALEF_MADDA,
        araby.ALEF_HAMZA_ABOVE,
        araby.ALEF_HAMZA_BELOW,
        araby.TEH_MARBUTA,
        araby.ALEF_MAKSURA,
        araby.ALEF_WASLA,
    )
]


def _vocalised_text(marks: list[str]) -> st.SearchStrategy[str]:
    letter = st.sampled_from(_PLAIN_LETTERS)
    vocalised = st.tuples(letter, st.lists(st.sampled_from(marks), max_size=2)).map(
        lambda lm: lm[0] + "".join(lm[1])
    )
    word = st.lists(vocalised, min_size=1, max_size=8).map("".join)
    return st.lists(word, min_size=1, max_size=8).map(" ".join)


@PROPERTY
@given(_vocalised_text(list(araby.TASHKEEL)))
def test_matches_pyarabic_strip_tashkeel(text: str) -> None:
    """On vocalised text search_key removes the harakat exactly as pyarabic's strip_tashkeel."""
    assert search_key(text) == araby.strip_tashkeel(text)


# pyarabic's strip_diacritics also drops a combining hamza or madda (U+0653-0655); the spec
# composes them first (و + U+0654 is ؤ, which search_key keeps), so those three are left out.
@PROPERTY
@given(_vocalised_text([d for d in araby.DIACRITICS if d not in "\u0653\u0654\u0655"]))
def test_matches_pyarabic_strip_diacritics(text: str) -> None:
    """On text with Quranic marks search_key removes them as pyarabic's strip_diacritics."""
    assert search_key(text) == araby.strip_diacritics(text)


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

_PIECES = [
    *"ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآٱىةیکھؤئ",
    "ـ",
    "ـ.",
    ".ـ",
    "ـ ـ",
    ".",
    "-",
    "_",
    "*",
    "·",
    "•",
    " ",
    "  ",
    "\n",
    "\n\n\n",
    "\t",
    "\r\n",
    "\r",
    "\u2028",
    "\u00a0",
    "\u200c",
    "\u200b",
    "\u200f",
    "\ufeff",
    "\u00ad",
    "\u0654",
    "\u0653",
    "\u0655",
    "\u064e",
    "\u0651",
    "\u064b",
    "\u0670",
    "\u06e5",
    "\u06db",
    "\u08f0",
    "١",
    "۴",
    "5",
    "A",
    "b",
    "é",
    "e\u0301",
    "\u0301",
    "\ufefb",
    "\ufef7",
    "\ufe70",
    "\ufe77",
    "\ufe91",
    "\ufdfa",
    "\ufdf2",
    "\ufdfc",
    "½",
    "¨",
    "ﬁ",
    "Ａ",
    "İ",
    "ß",
    "Σ",
    "ς",
]
arabic_news_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.characters()), max_size=40).map(
    "".join
)
any_text = st.one_of(arabic_news_text, st.text())


@PROPERTY
@given(any_text)
def test_clean_idempotent(text: str) -> None:
    """clean(clean(x)) == clean(x)."""
    once = clean(text)
    assert clean(once) == once


@PROPERTY
@given(any_text)
def test_search_key_idempotent(text: str) -> None:
    """search_key(search_key(x)) == search_key(x)."""
    once = search_key(text)
    assert search_key(once) == once


@PROPERTY
@given(any_text)
def test_search_key_of_clean(text: str) -> None:
    """search_key(clean(x)) == search_key(x): storing the clean form loses nothing for search."""
    assert search_key(clean(text)) == search_key(text)


@PROPERTY
@given(any_text)
def test_search_key_is_one_line(text: str) -> None:
    """The search form has no line break, no double space, and no space at either end."""
    key = search_key(text)
    assert "\n" not in key and "  " not in key and key == key.strip(" ")


@PROPERTY
@given(st.lists(arabic_news_text, min_size=1, max_size=6))
def test_paragraphs_equal_whole_text(paragraphs: list[str]) -> None:
    """Cleaning paragraph by paragraph equals cleaning them joined by a blank line."""
    cleaned = [clean(p) for p in paragraphs]
    assert clean("\n\n".join(paragraphs)) == "\n\n".join(c for c in cleaned if c)


def _arabic_or_noise(char: str) -> bool:
    cp = ord(char)
    return (
        0x0600 <= cp <= 0x08FF
        or 0xFB50 <= cp <= 0xFDFF
        or 0xFE70 <= cp <= 0xFEFF
        or 0x1100 <= cp <= 0x11FF
        or 0xA960 <= cp <= 0xA97F
        or 0xD7B0 <= cp <= 0xD7FF  # jamo
        or char in _INVISIBLE
        or char == "\u200b"
    )


# Non-Arabic text: Latin, Greek, Cyrillic, CJK, other letters, digits, punctuation, symbols,
# spaces and line breaks.  Marks and Hangul jamo are left out (NFC would compose them with
# the letter before), and so is every character NFKC changes (fullwidth letters, "ﬁ", "²",
# "¨": the search form is NFKC by design), except whitespace, which is the point.
_NON_ARABIC_CHAR = st.characters(
    categories=(
        "Lu",
        "Ll",
        "Lt",
        "Lm",
        "Lo",
        "Nd",
        "Nl",
        "No",
        "Pc",
        "Pd",
        "Ps",
        "Pe",
        "Pi",
        "Pf",
        "Po",
        "Sm",
        "Sc",
        "Sk",
        "So",
        "Zs",
    ),
).filter(
    lambda c: not _arabic_or_noise(c) and (c.isspace() or unicodedata.normalize("NFKC", c) == c)
)
_WHITESPACE = st.sampled_from(
    [
        " ",
        "  ",
        "\t",
        "\n",
        "\n\n\n",
        "\r\n",
        "\r",
        "\v",
        "\f",
        "\x1f",
        "\x85",
        "\u2028",
        "\u2029",
        "\u00a0",
        "\u2003",
        "\u3000",
    ]
)
non_arabic_text = st.lists(
    st.one_of(
        _NON_ARABIC_CHAR,
        _WHITESPACE,
        st.sampled_from(list("The quick brown FOX, Москва 北京 ΑΘΗΝΑ 2024!")),
    ),
    max_size=60,
).map("".join)


def _whitespace_normalised(text: str) -> str:
    """Reference for rule 6, written independently of newsbot.text."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub("\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


@PROPERTY
@given(non_arabic_text)
def test_non_arabic_clean_changes_only_whitespace(text: str) -> None:
    """clean leaves non-Arabic text alone except for whitespace (rule 6)."""
    assert clean(text) == _whitespace_normalised(text)


@PROPERTY
@given(non_arabic_text)
def test_non_arabic_search_key_changes_only_whitespace_and_case(text: str) -> None:
    """search_key of non-Arabic text is its words, lower-cased (str.lower), single-spaced."""
    assert search_key(text) == " ".join(text.split()).lower()


@PROPERTY
@given(
    st.lists(
        st.sampled_from(
            [
                "ا",
                "ب",
                " ",
                "\n",
                "\u0654",
                "\u064e",
                "\u0651",
                "e",
                "\u0301",
                "\u0300",
                "\u1100",
                "\u1161",
                "\u11a8",
                "\u212b",
                "\u0344",
                "\U0001d15e",
                "\U0002f800",
                "\U00011131",
                "\U00011127",
            ]
        ),
        max_size=120,
    ).map("".join),
    st.integers(min_value=0, max_value=40),
)
def test_long_text_nfc_matches_unicodedata(text: str, threshold: int) -> None:
    """The word-by-word NFC used on long text equals unicodedata's NFC of the whole text."""
    saved = text_module._NFC_WHOLE_TEXT
    text_module._NFC_WHOLE_TEXT = threshold
    try:
        assert text_module._nfc(text) == unicodedata.normalize("NFC", text)
    finally:
        text_module._NFC_WHOLE_TEXT = saved
