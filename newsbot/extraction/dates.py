"""Publication dates: machine-readable strings first, Arabic prose as the fallback.

``parse_date`` turns what a page says into a timezone-aware ``datetime``. ISO 8601 (the usual
form of JSON-LD and ``article:published_time``) goes through the standard library. Relative
times ("منذ ساعتين", "أمس 10:30") are counted back from the fetch time, and Hijri dates
("15 رمضان 1445هـ") converted with hijridate, both here: dateparser gets them wrong or not at
all. Anything else goes through dateparser, after the month names it does not know (Levantine
and Maghrebi), Arabic-Indic digits, weekday names and the ص/م marks have been rewritten into
forms it does. A date before 1990, or more than two days after the fetch time, is not a
publication date.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from dateutil import parser as _dateutil_parser
from dateutil.relativedelta import relativedelta

_MIN_YEAR = 1990
_MAX_AHEAD = dt.timedelta(days=2)
_LETTER = r"\u0621-\u064a"

# dateparser knows the Egyptian/Gulf month names (يناير ...); these are rewritten to them.
_MONTH_ALIASES = {
    # Levantine / Iraqi
    "كانون الثاني": "يناير",
    "كانون ثاني": "يناير",
    "شباط": "فبراير",
    "آذار": "مارس",
    "اذار": "مارس",
    "نيسان": "أبريل",
    "أيار": "مايو",
    "ايار": "مايو",
    "حزيران": "يونيو",
    "تموز": "يوليو",
    "آب": "أغسطس",
    "اب": "أغسطس",
    "أيلول": "سبتمبر",
    "ايلول": "سبتمبر",
    "تشرين الأول": "أكتوبر",
    "تشرين الاول": "أكتوبر",
    "تشرين أول": "أكتوبر",
    "تشرين الثاني": "نوفمبر",
    "تشرين ثاني": "نوفمبر",
    "كانون الأول": "ديسمبر",
    "كانون الاول": "ديسمبر",
    "كانون أول": "ديسمبر",
    # Maghrebi (Algeria, Tunisia) and Moroccan spellings
    "جانفي": "يناير",
    "فيفري": "فبراير",
    "أفريل": "أبريل",
    "افريل": "أبريل",
    "ماي": "مايو",
    "جوان": "يونيو",
    "جويلية": "يوليو",
    "أوت": "أغسطس",
    "اوت": "أغسطس",
    "يوليوز": "يوليو",
    "غشت": "أغسطس",
    "شتنبر": "سبتمبر",
    "نونبر": "نوفمبر",
    "دجنبر": "ديسمبر",
}
_MONTH_RE = re.compile(
    rf"(?<![{_LETTER}])("
    + "|".join(sorted(map(re.escape, _MONTH_ALIASES), key=len, reverse=True))
    + rf")(?![{_LETTER}])"
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_TASHKEEL_RE = re.compile(r"[\u064b-\u065f\u0670]")
# "10:30 م" / "مساءً" is PM, "10:30 ص" / "صباحاً" is AM (tashkeel is gone by then).
_AMPM_RE = re.compile(
    rf"(\d{{1,2}})(:\d{{2}}(?::\d{{2}})?)\s*(ص|م|صباحا|مساء|مساءا|فجرا|ظهرا|عصرا)(?![{_LETTER}])"
)
_AM_WORDS = frozenset(("ص", "صباحا", "فجرا"))
# "2024م" / "2024 ميلادية": the Gregorian era, not PM.
_ERA_RE = re.compile(rf"(?<!\d)((?:19|20)\d\d)\s*(?:م|ميلادي[ةه]?)(?![{_LETTER}])")
# Weekday names are noise for a parser (and a wrong one can mislead it): they go.
_WEEKDAY_RE = re.compile(
    rf"(?<![{_LETTER}])(?:يوم\s+)?ال(?:أحد|احد|اثنين|إثنين|أثنين|ثلاثاء|ثلاثا|أربعاء|اربعاء"
    rf"|خميس|جمعة|جمعه|سبت)(?![{_LETTER}])"
)
# "24 نيسان / أبريل 2020": a month written twice, in two traditions.
_DOUBLE_MONTH_RE = re.compile(
    rf"([{_LETTER}]+(?: [{_LETTER}]+)?)\s*[/\\(-]\s*([{_LETTER}]+)\)?"
)
_EGYPTIAN_MONTHS = frozenset(
    ("يناير", "فبراير", "مارس", "أبريل", "ابريل", "إبريل", "مايو", "يونيو", "يوليو", "أغسطس",
     "اغسطس", "سبتمبر", "أكتوبر", "اكتوبر", "نوفمبر", "ديسمبر")
)
_ISO_HINT = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")

_MONTH_NAMES = "|".join(sorted(_EGYPTIAN_MONTHS, key=len, reverse=True))
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?"
_GAP = r"\s*(?:[-|,–—]|الساعة|في|at)?\s*(?:الساعة\s*)?"
_DAY_MONTH_YEAR = (
    rf"\d{{1,2}}\s+(?:{_MONTH_NAMES})\s*,?\s*\d{{4}}"
    rf"|(?:{_MONTH_NAMES})\s+\d{{1,2}}\s*,?\s*\d{{4}}"
    r"|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}(?!\d))"
)
# The date inside a longer line ("تم نشره الجمعة 24 أبريل 2020 09:22 PM"), with its time.
_EMBEDDED_DATE_RE = re.compile(
    rf"(?:{_CLOCK}{_GAP})?(?:{_DAY_MONTH_YEAR})(?:{_GAP}{_CLOCK})?"
)
_CLOCK_RE = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?")
# Something that names a day: without it a string (a weekday, a clock time) is not a date.
_DAY_RE = re.compile(
    rf"(?<!\d)\d{{4}}(?!\d)|\d{{1,2}}[/.-]\d{{1,2}}|\d\s*(?:{_MONTH_NAMES})|(?:{_MONTH_NAMES})\s*\d"
    r"|(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*\d)"
    r"|(?i:\d\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec))"
)
_GREGORIAN_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")

# -- Hijri ------------------------------------------------------------------------------------
_HIJRI_MONTHS = (
    (r"(?:ال)?محرم", 1),
    (r"صفر", 2),
    (r"ربيع (?:ال)?[أا]ول", 3),
    (r"ربيع (?:ال)?(?:ثاني|[آا]خر)", 4),
    (r"جماد[ىي] (?:ال)?[أا]ول[ىي]?", 5),
    (r"جماد[ىي] (?:ال)?(?:[آا]خر[ةه]?|ثاني[ةه]?)", 6),
    (r"رجب", 7),
    (r"شعبان", 8),
    (r"رمضان", 9),
    (r"شوال", 10),
    (r"ذ[وي] ال?قعد[ةه]", 11),
    (r"ذ[وي] الحج[ةه]", 12),
)
_HIJRI_MONTH_RES = tuple((re.compile(pattern), number) for pattern, number in _HIJRI_MONTHS)
_HIJRI_YEAR = r"1[34]\d\d"
_HIJRI_MARK = rf"(?:\s*(?:ه|هجري[ةه]?)(?![{_LETTER}]))"
_HIJRI_RE = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})\s+(?P<month>{'|'.join(p for p, _ in _HIJRI_MONTHS)})"
    rf"\s*,?\s*(?P<y>{_HIJRI_YEAR})(?!\d){_HIJRI_MARK}?"
    rf"|(?<!\d)(?P<y2>{_HIJRI_YEAR})[/.-](?P<m2>\d{{1,2}})[/.-](?P<d2>\d{{1,2}})(?!\d){_HIJRI_MARK}?"
    rf"|(?<!\d)(?P<d3>\d{{1,2}})[/.-](?P<m3>\d{{1,2}})[/.-](?P<y3>{_HIJRI_YEAR})(?!\d){_HIJRI_MARK}?"
)

# -- Relative times ---------------------------------------------------------------------------
# unit word -> (unit, count the word implies: 1 singular, 2 dual, None plural)
_UNITS = {
    "ثانية": ("seconds", 1), "ثوان": ("seconds", None), "ثواني": ("seconds", None),
    "ثانيتين": ("seconds", 2), "ثانيتان": ("seconds", 2),
    "دقيقة": ("minutes", 1), "دقائق": ("minutes", None), "دقايق": ("minutes", None),
    "دقيقتين": ("minutes", 2), "دقيقتان": ("minutes", 2),
    "ساعة": ("hours", 1), "ساعات": ("hours", None), "ساعتين": ("hours", 2),
    "ساعتان": ("hours", 2),
    "يوم": ("days", 1), "أيام": ("days", None), "ايام": ("days", None), "يومين": ("days", 2),
    "يومان": ("days", 2),
    "أسبوع": ("weeks", 1), "اسبوع": ("weeks", 1), "أسابيع": ("weeks", None),
    "اسابيع": ("weeks", None), "أسبوعين": ("weeks", 2), "اسبوعين": ("weeks", 2),
    "أسبوعان": ("weeks", 2),
    "شهر": ("months", 1), "أشهر": ("months", None), "اشهر": ("months", None),
    "شهور": ("months", None), "شهرين": ("months", 2), "شهران": ("months", 2),
    "سنة": ("years", 1), "عام": ("years", 1), "سنوات": ("years", None),
    "سنين": ("years", None), "أعوام": ("years", None), "اعوام": ("years", None),
    "سنتين": ("years", 2), "سنتان": ("years", 2), "عامين": ("years", 2), "عامان": ("years", 2),
}
_NUMBER_WORDS = {
    "واحد": 1, "واحدة": 1, "ثلاث": 3, "ثلاثة": 3, "أربع": 4, "اربع": 4, "أربعة": 4, "اربعة": 4,
    "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7, "ثمان": 8, "ثماني": 8,
    "ثمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10, "عشرة": 10,
}
_UNIT_ALT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_NUMBER_ALT = "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
_PART = (
    rf"(?:(?:\d+|{_NUMBER_ALT}|نصف)\s*)?(?:{_UNIT_ALT})(?![{_LETTER}])"
    rf"(?:\s+(?:واحدة|واحد)(?![{_LETTER}]))?"
)
_AGO_RE = re.compile(
    rf"(?<![{_LETTER}])(?:منذ|قبل)\s+(?:(?:حوالي|حوالى|نحو|أكثر من|اكثر من)\s+)?"
    rf"(?P<parts>{_PART}(?:\s*و\s*{_PART})*)(?P<half>\s*و\s*نصف)?"
)
_PART_RE = re.compile(
    rf"(?:(?P<n>\d+|{_NUMBER_ALT}|نصف)\s*)?(?P<unit>{_UNIT_ALT})(?![{_LETTER}])"
)
_EN_AGO_RE = re.compile(
    r"(?i)\b(?P<n>\d+|an?|one)\s+(?P<unit>second|minute|hour|day|week|month|year)s?\s+ago\b"
)
_LABEL = rf"[{_LETTER}\s:|،,.-]*?"  # "نشر", "آخر تحديث:" before a relative day
_RELATIVE_DAY_RE = re.compile(
    rf"^{_LABEL}(?<![{_LETTER}])(?P<day>أول من أمس|أول من امس|أول أمس|اول امس|قبل أمس|أمس|امس"
    rf"|البارحة|اليوم|(?i:yesterday|today))(?![{_LETTER}])"
    rf"\s*[-|,،]?\s*(?:الساعة\s*|(?i:at)\s*)?(?P<clock>{_CLOCK})?\s*$"
)
_DAYS_BACK = {"اليوم": 0, "today": 0, "أمس": 1, "امس": 1, "البارحة": 1, "yesterday": 1}
_NOW_RE = re.compile(rf"^{_LABEL}(?<![{_LETTER}])(?:الآن|الان|للتو|(?i:just now|now))\s*$")


def _to_aware(value: dt.datetime, default_tz: dt.tzinfo) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=default_tz)
    if isinstance(value.tzinfo, dt.timezone):
        return value
    # dateutil's and dateparser's own offset classes become a plain fixed offset.
    return value.replace(tzinfo=dt.timezone(value.utcoffset()))


def _ampm(match: re.Match) -> str:
    hour, rest, mark = int(match.group(1)), match.group(2), match.group(3)
    if hour > 12 or hour == 0:  # a 24-hour clock with a stray mark
        return f"{match.group(1)}{rest}"
    # ظهراً is "around noon": 11 ظهراً is late morning, 1 ظهراً early afternoon.
    am = hour == 11 if mark == "ظهرا" else mark in _AM_WORDS
    return f"{match.group(1)}{rest} {'AM' if am else 'PM'}"


def _normalise_arabic(raw: str) -> str:
    text = _TASHKEEL_RE.sub("", raw.translate(_DIGITS)).replace("،", " ").replace("ـ", "")
    text = _MONTH_RE.sub(lambda m: _MONTH_ALIASES[m.group(1)], text)
    text = _DOUBLE_MONTH_RE.sub(_one_month, text)
    text = _AMPM_RE.sub(_ampm, text)
    text = _ERA_RE.sub(r"\1", text)
    return _WEEKDAY_RE.sub(" ", text)


def _one_month(match: re.Match) -> str:
    first, second = match.group(1), match.group(2)
    if first in _EGYPTIAN_MONTHS and second in _EGYPTIAN_MONTHS:
        return f"{second} "
    return match.group(0)


def _clock(text: str | None) -> dt.time:
    match = _CLOCK_RE.search(text or "")
    if not match:
        return dt.time()
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if match.group(4):
        hour = hour % 12 + (12 if match.group(4) == "PM" else 0)
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return dt.time()


def _iso(raw: str, default_tz: dt.tzinfo) -> dt.datetime | None:
    text = raw.replace(" ", "T", 1) if " " in raw[:11] else raw
    try:
        return _to_aware(dt.datetime.fromisoformat(text.replace("Z", "+00:00")), default_tz)
    except ValueError:
        try:
            return _to_aware(_dateutil_parser.isoparse(text), default_tz)
        except (ValueError, OverflowError):
            return None


def _relative(text: str, local_now: dt.datetime) -> dt.datetime | None:
    """"منذ ساعتين", "قبل 5 دقائق", "أمس 10:30", "2 hours ago", counted back from ``local_now``."""
    if _DAY_RE.search(text):
        return None  # a line that gives a real date ("اليوم السابع - 24 أغسطس 2020")
    if _NOW_RE.match(text):
        return local_now.replace(microsecond=0)
    day = _RELATIVE_DAY_RE.match(text)
    if day:
        word = day.group("day").lower()
        back = _DAYS_BACK.get(word, 2)  # the rest are "the day before yesterday"
        date = local_now.date() - dt.timedelta(days=back)
        return dt.datetime.combine(date, _clock(day.group("clock")), local_now.tzinfo)
    ago = _AGO_RE.search(text)
    if ago:
        delta = relativedelta()
        unit = None
        for part in _PART_RE.finditer(ago.group("parts")):
            unit, implied = _UNITS[part.group("unit")]
            word = part.group("n")
            if word == "نصف":
                count = 0.5
            elif word:
                count = int(word) if word.isdigit() else _NUMBER_WORDS[word]
            elif implied is not None:
                count = implied
            else:
                return None  # "منذ ساعات": some hours ago, no number to count back
            delta += _delta(unit, count)
        if ago.group("half") and unit:
            delta += _delta(unit, 0.5)
        return _back(local_now, delta)
    ago = _EN_AGO_RE.search(text)
    if ago:
        word = ago.group("n").lower()
        count = int(word) if word.isdigit() else 1
        return _back(local_now, _delta(ago.group("unit").lower() + "s", count))
    return None


def _back(local_now: dt.datetime, delta: relativedelta) -> dt.datetime:
    # In UTC, so that "two hours ago" is two hours even across a DST change.
    return (local_now.astimezone(dt.UTC) - delta).astimezone(local_now.tzinfo).replace(
        microsecond=0)


def _delta(unit: str, count: float) -> relativedelta:
    if unit in ("months", "years"):
        whole = int(count)
        return relativedelta(**{unit: whole}, days=round((count - whole) * 30))
    return relativedelta(seconds=round(count * dt.timedelta(**{unit: 1}).total_seconds()))


def _hijri(match: re.Match, rest: str, default_tz: dt.tzinfo) -> dt.datetime | None:
    from hijridate import Hijri  # only Hijri dates need it

    if match.group("month"):
        month_name = match.group("month")
        month = next(n for pattern, n in _HIJRI_MONTH_RES if pattern.fullmatch(month_name))
        year, day = int(match.group("y")), int(match.group("d"))
    elif match.group("y2"):
        year, month, day = (int(match.group(k)) for k in ("y2", "m2", "d2"))
    else:
        year, month, day = (int(match.group(k)) for k in ("y3", "m3", "d3"))
    try:
        date = Hijri(year, month, day).to_gregorian()
    except (ValueError, OverflowError):
        return None
    return dt.datetime.combine(date, _clock(rest), default_tz)


@lru_cache(maxsize=1)
def _dateparser():
    import dateparser  # slow to import; only prose dates need it

    return dateparser


def _prose(text: str, default_tz: dt.tzinfo, local_now: dt.datetime) -> dt.datetime | None:
    if not _DAY_RE.search(text):
        return None  # a weekday or a clock time alone names no day
    embedded = _EMBEDDED_DATE_RE.search(text)
    if embedded:
        text = embedded.group(0)
    settings = {
        "PREFER_DAY_OF_MONTH": "first",
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
    }
    parsed = _dateparser().parse(text, languages=["ar", "en"], settings=settings)
    return _to_aware(parsed, default_tz) if parsed is not None else None


def _parse(raw: str, default_tz: dt.tzinfo, now: dt.datetime) -> dt.datetime | None:
    if _ISO_HINT.match(raw):
        parsed = _iso(raw, default_tz)
        if parsed is not None:
            return parsed
    text = _normalise_arabic(raw)
    local_now = now.astimezone(default_tz)
    relative = _relative(text, local_now)
    if relative is not None:
        return relative
    hijri = _HIJRI_RE.search(text)
    if hijri:
        rest = f"{text[:hijri.start()]} {text[hijri.end():]}"
        if _GREGORIAN_YEAR_RE.search(rest):  # "... 1445هـ الموافق 25 مارس 2024م"
            gregorian = _prose(rest, default_tz, local_now)
            if gregorian is not None:
                return gregorian
        return _hijri(hijri, rest, default_tz)
    return _prose(text, default_tz, local_now)


def parse_date(
    raw: str | None, default_tz: dt.tzinfo = dt.UTC, *, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Parse a date as a page writes it; ``None`` when it is not a publication date.

    A value without an offset is taken to be in ``default_tz``. ``now`` is when the page was
    fetched (timezone-aware; the current time if not given): relative times count back from
    it, and a date more than two days after it, or before 1990, gives ``None``.
    """
    if not raw:
        return None
    raw = raw.strip()
    if not raw or len(raw) > 200:
        return None
    if now is None:
        now = dt.datetime.now(dt.UTC)
    elif now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("parse_date: now must be timezone-aware")
    parsed = _parse(raw, default_tz, now)
    if parsed is None or parsed.year < _MIN_YEAR or parsed > now + _MAX_AHEAD:
        return None
    return parsed


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision."""
    return value.isoformat(timespec="seconds") if value else None
