"""Publication dates: machine-readable strings first, Arabic prose as the fallback.

``parse_date`` turns what a page says into a timezone-aware ``datetime``. ISO 8601 (the usual
form of JSON-LD and ``article:published_time``) goes through the standard library; anything else
through dateparser, after the month names it does not know (Levantine and Maghrebi) and
Arabic-Indic digits have been rewritten into forms it does.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from dateutil import parser as _dateutil_parser

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
    r"(?<![\u0621-\u064a])("
    + "|".join(sorted(map(re.escape, _MONTH_ALIASES), key=len, reverse=True))
    + r")(?![\u0621-\u064a])"
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# "10:30 م" / "مساءً" is PM, "10:30 ص" / "صباحاً" is AM.
_AMPM_RE = re.compile(
    r"(\d{1,2}:\d{2}(?::\d{2})?)\s*(ص|م|صباحا|صباحاً|مساء|مساءً|مساءا)(?![\u0621-\u064a])"
)
# "24 نيسان / أبريل 2020": a month written twice, in two traditions.
_DOUBLE_MONTH_RE = re.compile(
    r"([\u0621-\u064a]+(?: [\u0621-\u064a]+)?)\s*[/\\(-]\s*([\u0621-\u064a]+)\)?"
)
_EGYPTIAN_MONTHS = frozenset(
    ("يناير", "فبراير", "مارس", "أبريل", "ابريل", "إبريل", "مايو", "يونيو", "يوليو", "أغسطس",
     "اغسطس", "سبتمبر", "أكتوبر", "اكتوبر", "نوفمبر", "ديسمبر")
)
_ISO_HINT = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def _to_aware(value: dt.datetime, default_tz: dt.tzinfo) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=default_tz)


_TASHKEEL_RE = re.compile(r"[\u064b-\u065f\u0670]")
_MONTH_NAMES = "|".join(sorted(_EGYPTIAN_MONTHS | {"إبريل"}, key=len, reverse=True))
_TIME = r"(?:\s*[-|,]?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?"
# The date inside a longer line ("تم نشره الجمعة 24 أبريل 2020 09:22 PM").
_EMBEDDED_DATE_RE = re.compile(
    rf"\d{{1,2}}\s+(?:{_MONTH_NAMES})\s*,?\s*\d{{4}}{_TIME}"
    rf"|(?:{_MONTH_NAMES})\s+\d{{1,2}}\s*,?\s*\d{{4}}{_TIME}"
    rf"|\d{{4}}[/.-]\d{{1,2}}[/.-]\d{{1,2}}{_TIME}"
    rf"|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{4}}{_TIME}"
)


def _normalise_arabic(raw: str) -> str:
    text = _TASHKEEL_RE.sub("", raw.translate(_DIGITS)).replace("،", " ").replace("ـ", "")
    text = _MONTH_RE.sub(lambda m: _MONTH_ALIASES[m.group(1)], text)
    text = _DOUBLE_MONTH_RE.sub(_one_month, text)
    return _AMPM_RE.sub(lambda m: f"{m.group(1)} {'AM' if m.group(2).startswith('ص') else 'PM'}",
                        text)


def _one_month(match: re.Match) -> str:
    first, second = match.group(1), match.group(2)
    if first in _EGYPTIAN_MONTHS and second in _EGYPTIAN_MONTHS:
        return f"{second} "
    return match.group(0)


@lru_cache(maxsize=1)
def _dateparser():
    import dateparser  # slow to import; only prose dates need it

    return dateparser


def parse_date(
    raw: str | None, default_tz: dt.tzinfo = dt.UTC, *, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Parse a date as a page writes it; ``None`` when it is not a date.

    A value without an offset is taken to be in ``default_tz``.
    """
    if not raw:
        return None
    raw = raw.strip()
    if not raw or len(raw) > 200:
        return None
    if _ISO_HINT.match(raw):
        iso = raw.replace(" ", "T", 1) if " " in raw[:11] else raw
        try:
            return _to_aware(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")), default_tz)
        except ValueError:
            try:
                return _to_aware(_dateutil_parser.isoparse(iso), default_tz)
            except (ValueError, OverflowError):
                pass
    text = _normalise_arabic(raw)
    settings = {
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY",
    }
    if now is not None:
        settings["RELATIVE_BASE"] = now.replace(tzinfo=None)
    embedded = _EMBEDDED_DATE_RE.search(text)
    if embedded:
        text = embedded.group(0)
    parsed = _dateparser().parse(text, languages=["ar", "en"], settings=settings)
    if parsed is None:
        return None
    return _to_aware(parsed, default_tz)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision."""
    return value.isoformat(timespec="seconds") if value else None
