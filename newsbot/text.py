"""Arabic text normalisation: the display form (``clean``) and the search form (``search_key``).

Both functions are pure, take a ``str`` and return a ``str``; anything else raises
``TypeError``.  They are used everywhere text is normalised: the pipelines, the
database's search columns, and the search query itself (``newsbot normalize
[--form clean|search]``), so a term normalised by an analyst matches the stored key.

``clean(text)`` -- display form.  Keeps diacritics, hamza forms, ة and ى, digits and
punctuation; only repairs encoding noise:

1. Letter presentation forms (U+FB50-FDCF, U+FE70-FEFE) become their letters (NFKC on
   those characters only; ﷺ ﷲ ﷼ and ½ ² lie outside these ranges and stay).  NFC at
   the end, so a decomposed hamza (ا + U+0654) becomes أ.
2. Bidi and invisible marks are deleted (U+200C-200F, U+061C, U+202A-202E,
   U+2066-2069, U+FEFF, U+00AD, U+2060-2064, U+180E), which also joins a Persian-style
   ZWNJ word (می‌خواهم -> میخواهم -> ميخواهم).  NBSP, U+2000-200A, U+200B, U+202F,
   U+205F, U+3000 (and U+1680, the one other horizontal ``str.isspace`` character) are
   spaces.
3. ک -> ك, ھ -> ه; ی -> ى at the end of a word, ي elsewhere.
4. Tatweel between two Arabic letters (diacritics in between allowed) is removed;
   elsewhere it is kept (``الـ 900``, ``1445هـ``, ``دمشق ـ سانا``).
5. Filter-dodging breaks are joined: a tatweel next to one of ``. · • * _ -`` inside a
   word, with at least two letters before it (``الجـ.رائم``), or a separator (one of
   those or a space) with tatweel on both sides after at least one letter
   (``قـ.ـتل``, ``إسرائـ ـيل``).  Abbreviations have no tatweel next to the dot, or are
   not followed by a letter, so they stay (``د.محمد``, ``1445هـ.``, ``الـ-19``).
6. Whitespace: every line break (``\\r\\n``, ``\\r``, ``\\v``, ``\\f``, U+001C-001E,
   U+0085, U+2028, U+2029) becomes ``\\n``; runs of horizontal space become one space;
   lines are trimmed; at most one blank line in a row; the text is trimmed at both ends.

``search_key(text)`` -- search form, always computed from ``clean(text)``: all Arabic
diacritics (U+0610-061A, U+064B-065F, U+0670, U+06D6-06ED, U+08D3-08FF) and every
tatweel removed; NFKC; أ إ آ ٱ -> ا; ى ی -> ي; ة -> ه; digits ٠-٩ ۰-۹ -> 0-9;
``str.lower()``; and all whitespace, newlines included, collapsed to single spaces (a
search key is one line, so a phrase split over two lines is still found).

Because ``search_key`` starts with ``clean`` and both are idempotent,
``search_key(clean(x)) == search_key(x)`` for every ``x``.

pyarabic (the project's Arabic toolkit) supplies the character tables used below.
Several of its normalisers are wrong for this specification and are not used; see the
comments marked "pyarabic:".
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pyarabic import araby

__all__ = ["clean", "search_key"]

# ---------------------------------------------------------------------------
# Character tables (from pyarabic where it has them)
# ---------------------------------------------------------------------------

_TATWEEL = araby.TATWEEL  # U+0640
_ALEF = araby.ALEF
_YEH = araby.YEH
_HEH = araby.HEH
_KAF = araby.KAF
_ALEF_MAKSURA = araby.ALEF_MAKSURA
_TEH_MARBUTA = araby.TEH_MARBUTA
_FARSI_YEH = "\u06cc"  # ی
_KEHEH = "\u06a9"  # ک
_HEH_DOACHASHMEE = "\u06be"  # ھ

# أ إ آ ٱ.  pyarabic: its ALEFAT table also holds ALEF_MAKSURA and the small alef,
# which is why araby.normalize_alef turns "على" into "علا"; take only the alefs.
_ALEF_VARIANTS = (
    araby.ALEF_HAMZA_ABOVE,
    araby.ALEF_HAMZA_BELOW,
    araby.ALEF_MADDA,
    araby.ALEF_WASLA,
)

# Arabic-Indic (٠-٩) and Extended Arabic-Indic / Persian (۰-۹) digits.
_DIGIT_TABLE = {
    ord(d): str(i)
    for digits in (araby.NUMBERS_EAST, araby.NUMBERS_PERS)
    for i, d in enumerate(digits)
}

# Arabic blocks: Arabic, Arabic Supplement, Arabic Extended-B, Arabic Extended-A.
_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x089F), (0x08A0, 0x08FF))


def _char_class(codepoints) -> str:
    """Return the inside of a regex character class matching exactly ``codepoints``."""
    cps = sorted(set(codepoints))
    parts = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = chr(cps[i]), chr(cps[j])
        parts.append(re.escape(lo) if i == j else f"{re.escape(lo)}-{re.escape(hi)}")
        i = j + 1
    return "".join(parts)


def _arabic_category(*categories: str) -> str:
    return _char_class(
        cp
        for lo, hi in _ARABIC_BLOCKS
        for cp in range(lo, hi + 1)
        if unicodedata.category(chr(cp)) in categories
    )


# A "letter" for the word rules (3, 4, 5): an Arabic letter (category Lo, so not the
# tatweel, which is Lm).  A "mark": a non-spacing Arabic mark (harakat, shadda, hamza
# above/below, Quranic marks); marks sit on the letter before them.
_L = _arabic_category("Lo")
_M = _arabic_category("Mn")

# Search-form diacritics, exactly the spec's ranges, plus tatweel.  pyarabic's
# araby.DIACRITICS (category Mn in U+0600-06FE) is a subset: it misses U+08D3-08FF and
# the non-Mn Quranic signs in U+06D6-06ED.  pyarabic's strip_tashkeel is right for the
# eight harakat it knows, but first loops over the text in Python (araby.is_vocalized,
# which on unvocalised text reads every character), so one compiled regex does the
# work here; bench/bench_text.py prints both speeds.
_DIACRITIC_CLASS = _char_class(
    list(range(0x0610, 0x061B))
    + list(range(0x064B, 0x0660))
    + [0x0670]
    + list(range(0x06D6, 0x06EE))
    + list(range(0x08D3, 0x0900))
)
_DIACRITICS_TATWEEL_RE = re.compile(f"[{_DIACRITIC_CLASS}{_TATWEEL}]")

# ---------------------------------------------------------------------------
# clean: rules 1, 2 and 6 (presentation forms, invisible marks, whitespace)
# ---------------------------------------------------------------------------

# re scans for a pattern that starts with a literal or a bare class fast; a leading
# alternation, "[...]+" or "[...]{2,}" is 2-5 times slower on long text.  So every odd
# character (rare in news text) is found by one class and mapped by _fix_char.
_PRESENTATION = [*range(0xFB50, 0xFDD0), *range(0xFE70, 0xFEFF)]
_INVISIBLE = [
    *range(0x200C, 0x2010),
    0x061C,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0xFEFF,
    0x00AD,
    *range(0x2060, 0x2065),
    0x180E,
]
# Horizontal space other than " ": the spec's list plus the other horizontal
# str.isspace() characters (tab, U+001F, U+1680).
_ODD_SPACE = [0x09, 0x1F, 0xA0, 0x1680, *range(0x2000, 0x200C), 0x202F, 0x205F, 0x3000]
# Line breaks other than "\n" (str.splitlines' list; "\r\n" is replaced first).
_ODD_LINE_BREAK = [0x0D, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
_ODD_CHAR_RE = re.compile(
    f"[{_char_class(_PRESENTATION + _INVISIBLE + _ODD_SPACE + _ODD_LINE_BREAK)}]"
)
_ODD_CHAR_MAP = {
    **{chr(cp): "" for cp in _INVISIBLE},
    **{chr(cp): " " for cp in _ODD_SPACE},
    **{chr(cp): "\n" for cp in _ODD_LINE_BREAK},
}
_SPACES_RE = re.compile("  +")
_BLANK_LINES_RE = re.compile("\n\n\n+")


def _fix_char(match: re.Match) -> str:
    char = match.group()
    fixed = _ODD_CHAR_MAP.get(char)
    if fixed is None:  # a presentation form: NFKC on it alone
        fixed = unicodedata.normalize("NFKC", char)
    return fixed


def _whitespace(text: str) -> str:
    """Rule 6 on text with only " " and "\n" left: single spaces, trimmed lines, at
    most one blank line in a row, no space or line break at either end."""
    if "  " in text:
        text = _SPACES_RE.sub(" ", text)
    if "\n" in text:
        # Only single spaces are left, so two replaces trim every line.
        text = text.replace(" \n", "\n").replace("\n ", "\n")
        if "\n\n\n" in text:
            text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip(" \n")


# ---------------------------------------------------------------------------
# clean: rules 3-5 (word rules)
# ---------------------------------------------------------------------------

# pyarabic: araby.strip_tatweel deletes every tatweel, including the meaningful ones
# ("1445هـ", "الـ 900"), so it is not used; tatweel goes only between two letters.
# (The lookbehind comes after the literal tatweel so that re can scan for the literal.)
_TATWEEL_BETWEEN_LETTERS_RE = re.compile(
    f"{_TATWEEL}(?<=[{_L}{_M}]{_TATWEEL})[{_TATWEEL}{_M}]*(?=[{_L}])"
)

# Rule 5 candidates, always followed by a letter: tatweel(s) + separator + optional
# tatweel(s), or tatweel(s) + space + tatweel(s) (_BREAK_RE); separator + tatweel(s)
# (_SEP_BREAK_RE).  How many letters must come before is checked in _join_break.
_BREAK_SEPARATORS = ".\u00b7\u2022*_-"  # . · • * _ -
_SEP_CLASS = re.escape(_BREAK_SEPARATORS)
_BREAK_RE = re.compile(f"{_TATWEEL}{_TATWEEL}*(?:[{_SEP_CLASS}]{_TATWEEL}*| {_TATWEEL}+)(?=[{_L}])")
_SEP_BREAK_RE = re.compile(f"[{_SEP_CLASS}]{_TATWEEL}+(?=[{_L}])")
_LETTER_SET = frozenset(re.findall(f"[{_L}]", "".join(map(chr, range(0x0600, 0x0900)))))
_MARK_SET = frozenset(re.findall(f"[{_M}]", "".join(map(chr, range(0x0600, 0x0900)))))

# ی is word-final unless a letter (possibly after marks, or a tatweel) follows it.
_FINAL_FARSI_YEH_RE = re.compile(f"{_FARSI_YEH}(?![{_M}]*[{_L}{_TATWEEL}])")


def _join_break(match: re.Match, rejected: list[int]) -> str:
    """Delete a rule-5 break if enough letters of the same word come before it.

    A kept candidate is noted in ``rejected``: a join elsewhere may yet reach it.
    """
    found = match.group()
    # Tatweel on both sides of the separator is never an abbreviation: one letter is
    # enough (قـ.ـتل).  A single-sided break needs two (الجـ.رائم, not 1445هـ.).
    needed = 1 if found[0] == _TATWEEL and found[-1] == _TATWEEL else 2
    text, i, letters = match.string, match.start(), 0
    while i > 0 and letters < needed:
        char = text[i - 1]
        if char in _LETTER_SET:
            letters += 1
        elif char not in _MARK_SET and char != _TATWEEL:
            # Marks and tatweel are skipped: rule 4 may yet delete that tatweel
            # (بـتـ.رائم), and the count must not depend on the order of the rules.
            break
        i -= 1
    if letters >= needed:
        return ""
    rejected.append(match.start())
    return found


def _drop_tatweel(match: re.Match) -> str:
    return match.group().replace(_TATWEEL, "")


def _word_rules(text: str) -> str:
    """Rules 5, 4 and 3, in that order (a joined word is one word for rule 3)."""
    if _TATWEEL in text:
        # A join can bring a kept candidate within reach (الجـ.رـ.ائم): repeat while a
        # pass both joined something and kept something.
        while True:
            rejected: list[int] = []
            repl = functools.partial(_join_break, rejected=rejected)
            joined = _SEP_BREAK_RE.sub(repl, _BREAK_RE.sub(repl, text))
            if not rejected or len(joined) == len(text):
                text = joined
                break
            text = joined
        if _TATWEEL in text:
            text = _TATWEEL_BETWEEN_LETTERS_RE.sub(_drop_tatweel, text)
    text = text.replace(_KEHEH, _KAF).replace(_HEH_DOACHASHMEE, _HEH)
    if _FARSI_YEH in text:
        text = _FINAL_FARSI_YEH_RE.sub(_ALEF_MAKSURA, text).replace(_FARSI_YEH, _YEH)
    return text


def _nfc_suspects() -> tuple[str, str]:
    """Characters that can make a text non-NFC: (changed by NFC or may compose with the
    character before them, combining class != 0).  No code point at or above U+30000
    has a decomposition or a combining class (Unicode 14)."""
    changing, combining = set(), set()
    for cp in range(0x30000):
        char = chr(cp)
        ccc = unicodedata.combining(char)
        decomposition = unicodedata.decomposition(char)
        if ccc:
            combining.add(cp)
        if not decomposition:
            continue
        if unicodedata.normalize("NFC", char) != char:
            changing.add(cp)
        parts = decomposition.split()
        if not parts[0].startswith("<") and len(parts) == 2:
            pair = chr(int(parts[0], 16)) + chr(int(parts[1], 16))
            if unicodedata.normalize("NFC", pair) == char:  # primary composite
                changing.add(int(parts[1], 16))
    changing.update(range(0x1161, 0x1176))  # Hangul vowel jamo compose with L
    changing.update(range(0x11A8, 0x11C3))  # Hangul trailing jamo compose with LV
    return _coarse_class(changing), _coarse_class(combining)


def _coarse_class(codepoints: set[int]) -> str:
    """Exact BMP members, plus one covering range per plane above it.

    re checks a class's non-BMP ranges one by one for every character, which makes a
    class with a hundred of them crawl (about 20 MB/s); a few wide ranges keep it fast,
    and matching too much here only costs a needless (harmless) normalisation.
    """
    planes: dict[int, list[int]] = {}
    for cp in codepoints:
        if cp >= 0x10000:
            planes.setdefault(cp >> 16, []).append(cp)
    wide = "".join(f"{chr(min(cps))}-{chr(max(cps))}" for cps in planes.values())
    return _char_class(cp for cp in codepoints if cp < 0x10000) + wide


_NFC_CHANGING, _NFC_COMBINING = _nfc_suspects()
# A text is NFC unless it holds a character NFC changes or composes, or two combining
# marks in a row (possibly out of canonical order).  Written as one class followed by a
# check, because re scans for a leading class fast and for an alternation slowly.
_NFC_SUSPECT_RE = re.compile(
    f"[{_NFC_CHANGING}{_NFC_COMBINING}](?:(?<=[{_NFC_CHANGING}])|(?=[{_NFC_COMBINING}]))"
)
_NFC_WHOLE_TEXT = 4096


def _nfc(text: str) -> str:
    """NFC, applied only to the words that need it on long text.

    unicodedata.normalize returns at once when its quick check passes, but one decomposed
    hamza sends a 10 MB string through the full algorithm (about 50 MB/s).  A space is a
    safe cut (a starter that composes with nothing), so long text is normalised a
    space-delimited span at a time, around each suspect character only.
    """
    if len(text) <= _NFC_WHOLE_TEXT:
        return unicodedata.normalize("NFC", text)
    match = _NFC_SUSPECT_RE.search(text)
    if match is None:
        return text
    parts = []
    pos = 0
    while match is not None:
        start = text.rfind(" ", pos, match.start())
        if start == -1:
            start = pos
        end = text.find(" ", match.end())
        if end == -1:
            end = len(text)
        parts.append(text[pos:start])
        parts.append(unicodedata.normalize("NFC", text[start:end]))
        pos = end
        match = _NFC_SUSPECT_RE.search(text, pos)
    parts.append(text[pos:])
    return "".join(parts)


def _as_str(text: object) -> str:
    if type(text) is str:
        return text
    if isinstance(text, str):
        return str(text)  # a plain str out, whatever subclass came in
    raise TypeError(f"expected str, got {type(text).__name__}")


def clean(text: str) -> str:
    """Return the display form of ``text``: encoding noise repaired, wording untouched."""
    text = _as_str(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if text.isascii():
        # Only whitespace can change, and str.find (memchr) beats a regex scan here.
        if (
            "\t" in text
            or "\r" in text
            or "\v" in text
            or "\f" in text
            or "\x1c" in text
            or "\x1d" in text
            or "\x1e" in text
            or "\x1f" in text
        ):
            text = _ODD_CHAR_RE.sub(_fix_char, text)
        return _whitespace(text)  # ASCII is already NFC
    # Rules 1, 2 and the odd whitespace; whitespace is settled before the word rules
    # so that they see single spaces (إسرائـ\u00a0ـيل is a break too).
    text = _ODD_CHAR_RE.sub(_fix_char, text)
    text = _whitespace(text)
    text = _word_rules(text)
    return _nfc(text)


# ---------------------------------------------------------------------------
# search_key
# ---------------------------------------------------------------------------

# Eastern digits are found by one class scan and then replaced by chained str.replace,
# which skips a missing digit at memory speed (str.translate is about 25 MB/s on
# non-ASCII text).
_EASTERN_DIGIT_RE = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
_DIGIT_PAIRS = tuple((chr(cp), digit) for cp, digit in _DIGIT_TABLE.items())
_ALEF_HAMZA_ABOVE, _ALEF_HAMZA_BELOW, _ALEF_MADDA, _ALEF_WASLA = _ALEF_VARIANTS


def _western_digits(text: str) -> str:
    for digit, ascii_digit in _DIGIT_PAIRS:
        text = text.replace(digit, ascii_digit)
    return text


def search_key(text: str) -> str:
    """Return the search form of ``text``; the same function normalises queries."""
    text = clean(_as_str(text))
    if not text.isascii():
        # The spec lists NFKC first; removing diacritics and tatweel first gives the
        # same result (clean's output is NFC, and outside the presentation forms that
        # clean already expanded no character's NFKC holds a diacritic or tatweel),
        # and it means NFKC sees the text as it will stay: deleting a mark could
        # otherwise leave a sequence NFKC would compose (e + U+06E5 + U+0301).
        text = _DIACRITICS_TATWEEL_RE.sub("", text)
        text = unicodedata.normalize("NFKC", text)
        # pyarabic: araby.normalize_hamza would turn "الأمريكي" into "الءمريكي" (its
        # default "uniform" method maps every hamza carrier to ء) and normalize_alef
        # also folds ى into ا ("على" -> "علا"); here only the alef carriers fold.
        # ی cannot come out of clean, but NFKC of ﷼ (RIAL SIGN) is "ریال".
        text = (
            text.replace(_ALEF_HAMZA_ABOVE, _ALEF)
            .replace(_ALEF_HAMZA_BELOW, _ALEF)
            .replace(_ALEF_MADDA, _ALEF)
            .replace(_ALEF_WASLA, _ALEF)
            .replace(_ALEF_MAKSURA, _YEH)
            .replace(_FARSI_YEH, _YEH)
            .replace(_TEH_MARBUTA, _HEH)
        )
        if _EASTERN_DIGIT_RE.search(text) is not None:
            text = _western_digits(text)
    text = text.lower()
    # One line: newlines become spaces; removals (e.g. "دمشق ـ سانا") and NFKC
    # (e.g. "¨" -> " \u0308") can leave doubled or edge spaces.
    if "\n" in text:
        text = text.replace("\n\n", " ").replace("\n", " ")
    if "  " in text:
        text = _SPACES_RE.sub(" ", text)
    return text.strip(" ")
