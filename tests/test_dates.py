"""Publication dates as Arabic pages write them, parsed into timezone-aware datetimes.

Every case runs with the site's zone ``Asia/Riyadh`` (UTC+3, no DST) and a fixed fetch time,
``NOW`` = 2025-03-25 12:00 in Riyadh. A case marked ``MISS`` is one dateparser alone gets
wrong (usually ``None``); ``test_dateparser_alone_gets_the_marked_cases_wrong`` proves each.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import dateparser
import pytest
from hijridate import Hijri
from hypothesis import given
from hypothesis import strategies as st

from newsbot.extraction.dates import iso, parse_date

TZ = ZoneInfo("Asia/Riyadh")
NOW = dt.datetime(2025, 3, 25, 12, 0, tzinfo=TZ)
MISS = True  # dateparser alone gets this case wrong
OK = False


def _parse(raw: str) -> str | None:
    return iso(parse_date(raw, TZ, now=NOW))


def _day(month: int, year: int = 2024, day: int = 15) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}T00:00:00+03:00"


# -- month names, every tradition ------------------------------------------------------------
LEVANTINE = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
             "تشرين الأول", "تشرين الثاني", "كانون الأول"]
EGYPTIAN = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
            "أكتوبر", "نوفمبر", "ديسمبر"]
ALGERIAN_TUNISIAN = ["جانفي", "فيفري", "مارس", "أفريل", "ماي", "جوان", "جويلية", "أوت", "سبتمبر",
                     "أكتوبر", "نوفمبر", "ديسمبر"]
MOROCCAN = ["يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر",
            "أكتوبر", "نونبر", "دجنبر"]
# Spellings without hamza or with another one, as sites type them.
VARIANTS = [("كانون ثاني", 1), ("اذار", 3), ("ايار", 5), ("اب", 8), ("ايلول", 9),
            ("تشرين الاول", 10), ("تشرين أول", 10), ("تشرين ثاني", 11), ("كانون الاول", 12),
            ("كانون أول", 12), ("إبريل", 4), ("ابريل", 4), ("اغسطس", 8), ("اكتوبر", 10),
            ("افريل", 4), ("اوت", 8)]
MONTH_CASES = [
    (tradition, name, number)
    for tradition, names in (("levantine", LEVANTINE), ("egyptian", EGYPTIAN),
                             ("maghrebi", ALGERIAN_TUNISIAN), ("moroccan", MOROCCAN))
    for number, name in enumerate(names, start=1)
] + [("variant", name, number) for name, number in VARIANTS]


@pytest.mark.parametrize(("tradition", "name", "number"), MONTH_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in MONTH_CASES])
def test_every_month_name_of_every_tradition(tradition, name, number):
    """'15 <month> 2024' parses to the 15th of that month in every naming tradition."""
    assert _parse(f"15 {name} 2024") == _day(number)


@pytest.mark.parametrize(("tradition", "name", "number"), MONTH_CASES,
                         ids=[f"{t}-{n}" for t, n, _ in MONTH_CASES])
def test_every_month_name_with_arabic_indic_digits(tradition, name, number):
    """The same dates written with Arabic-Indic digits parse the same."""
    assert _parse(f"١٥ {name} ٢٠٢٤") == _day(number)


# -- the table -------------------------------------------------------------------------------
CASES = [
    # raw, expected ISO (None: not a publication date), dateparser alone gets it wrong
    # digits: Arabic-Indic and Persian (Extended Arabic-Indic)
    ("٢٤ نيسان / أبريل ٢٠٢٠ ٠٩:٢٢ مساءً", "2020-04-24T21:22:00+03:00", MISS),  # None
    ("۲۴ مارس ۲۰۲۰", "2020-03-24T00:00:00+03:00", OK),
    ("٢٠٢٤/٠٣/٢٥", "2024-03-25T00:00:00+03:00", OK),
    ("۱۴۰۳/۰۱/۰۵", None, MISS),  # a Persian solar year, not a Hijri one: 1403 AH is 1982
    # ص/م and other marks of a 12-hour clock
    ("15 يناير 2024 10:30 ص", "2024-01-15T10:30:00+03:00", OK),
    ("15 يناير 2024 10:30 م", "2024-01-15T22:30:00+03:00", OK),
    ("24 مارس 2025 12:30 ص", "2025-03-24T00:30:00+03:00", OK),
    ("24 مارس 2025 12:30 م", "2025-03-24T12:30:00+03:00", OK),
    ("24 مارس 2025 - 3:05 مساءً", "2025-03-24T15:05:00+03:00", OK),
    ("24 مارس 2025 الساعة 9:00 صباحا", "2025-03-24T09:00:00+03:00", OK),
    ("24 مارس 2025 1:15 ظهراً", "2025-03-24T13:15:00+03:00", MISS),  # None
    ("24 مارس 2025 22:30 م", "2025-03-24T22:30:00+03:00", OK),  # a 24-hour clock with a mark
    ("9:00 م 24 مارس 2025", "2025-03-24T21:00:00+03:00", OK),
    ("March 24, 2025 3:45 pm", "2025-03-24T15:45:00+03:00", OK),
    ("25 مارس 2024م", "2024-03-25T00:00:00+03:00", MISS),  # None: م after a year is the era
    ("25 مارس 2024 ميلادية", "2024-03-25T00:00:00+03:00", MISS),  # None
    # weekday names are noise; a weekday or a clock time alone names no day
    ("الاثنين 15 يناير 2024 - 10:30 م", "2024-01-15T22:30:00+03:00", OK),
    ("الثلاثاء، 12 مارس 2024 - 09:15 صباحاً", "2024-03-12T09:15:00+03:00", OK),
    ("يوم الاثنين 24 مارس 2025", "2025-03-24T00:00:00+03:00", MISS),  # None
    ("الجمعة 24 مارس 2025", "2025-03-24T00:00:00+03:00", OK),  # the wrong weekday is ignored
    ("الاثنين", None, MISS),  # dateparser: the latest Monday
    ("الأحد 10:30", None, MISS),  # dateparser: a Sunday
    ("3:45 PM", None, MISS),  # dateparser: today
    # two-digit years
    ("24/03/25", "2025-03-24T00:00:00+03:00", OK),
    ("24-03-25 10:30 م", "2025-03-24T22:30:00+03:00", OK),
    ("15 يناير 24", "2024-01-15T00:00:00+03:00", OK),
    ("24/03/89", None, MISS),  # 1989: too old to be a publication date
    # Hijri, alone and with the Gregorian date beside it (the Gregorian one wins)
    ("15 رمضان 1445هـ", "2024-03-25T00:00:00+03:00", MISS),  # None
    ("15 رمضان 1445 هـ", "2024-03-25T00:00:00+03:00", MISS),  # None
    ("١٥ رمضان ١٤٤٥ هـ", "2024-03-25T00:00:00+03:00", MISS),  # None
    ("1 شوال 1445 هجرية", "2024-04-10T00:00:00+03:00", MISS),  # None; Eid al-Fitr 2024
    ("10 ذو الحجة 1445هـ", "2024-06-16T00:00:00+03:00", MISS),  # None; Eid al-Adha 2024
    ("10 ذي الحجة 1445", "2024-06-16T00:00:00+03:00", MISS),  # None
    ("1445/09/15 هـ", "2024-03-25T00:00:00+03:00", MISS),  # year 1445 AD
    ("15/09/1445هـ", "2024-03-25T00:00:00+03:00", MISS),  # year 1445 AD
    ("1445/09/15", "2024-03-25T00:00:00+03:00", MISS),  # unmarked: no news is from 1445 AD
    ("15 رمضان 1445هـ 10:30 م", "2024-03-25T22:30:00+03:00", MISS),  # None
    ("الاثنين 15 رمضان 1445هـ الموافق 25 مارس 2024م", "2024-03-25T00:00:00+03:00", MISS),
    ("1445/09/14هـ - 2024/03/25م", "2024-03-25T00:00:00+03:00", MISS),  # Gregorian wins
    ("الأحد 14 رمضان 1445 هـ - 24 مارس 2024 م 10:30 ص", "2024-03-24T10:30:00+03:00", MISS),
    ("31 رمضان 1445هـ", None, OK),  # Ramadan has 29 or 30 days
    ("15 رمضان 1300هـ", None, OK),  # before hijridate's range (1343-1500 AH)
    # relative times, counted back from NOW (2025-03-25 12:00 Riyadh)
    ("منذ ساعتين", "2025-03-25T10:00:00+03:00", OK),
    ("منذ 5 دقائق", "2025-03-25T11:55:00+03:00", OK),
    ("منذ ٥ دقائق", "2025-03-25T11:55:00+03:00", OK),
    ("منذ 3 ساعات", "2025-03-25T09:00:00+03:00", OK),
    ("قبل 3 ساعات", "2025-03-25T09:00:00+03:00", OK),
    ("نشر منذ 3 ساعات", "2025-03-25T09:00:00+03:00", MISS),  # None
    ("منذ ثلاث ساعات", "2025-03-25T09:00:00+03:00", MISS),  # None
    ("قبل ساعة", "2025-03-25T11:00:00+03:00", MISS),  # None
    ("منذ ساعة", "2025-03-25T11:00:00+03:00", MISS),  # None
    ("منذ ساعة ونصف", "2025-03-25T10:30:00+03:00", MISS),  # None
    ("منذ دقيقة", "2025-03-25T11:59:00+03:00", MISS),  # None
    ("منذ حوالي 20 دقيقة", "2025-03-25T11:40:00+03:00", MISS),  # None
    ("منذ يومين", "2025-03-23T12:00:00+03:00", OK),
    ("منذ أسبوع", "2025-03-18T12:00:00+03:00", MISS),  # None
    ("منذ شهر", "2025-02-25T12:00:00+03:00", MISS),  # None
    ("منذ ساعات", None, OK),  # "some hours ago": nothing to count back
    ("2 hours ago", "2025-03-25T10:00:00+03:00", OK),
    ("الآن", "2025-03-25T12:00:00+03:00", OK),
    # a day without a time is that day's midnight, as for any date-only string
    ("أمس", "2025-03-24T00:00:00+03:00", MISS),  # dateparser: yesterday at NOW's clock
    ("yesterday", "2025-03-24T00:00:00+03:00", MISS),  # same
    ("أمس 10:30", "2025-03-24T10:30:00+03:00", OK),
    ("أمس الساعة 10:30 م", "2025-03-24T22:30:00+03:00", OK),
    ("اليوم 10:30", "2025-03-25T10:30:00+03:00", OK),
    ("آخر تحديث: اليوم 09:15 ص", "2025-03-25T09:15:00+03:00", MISS),  # None
    ("أول أمس", "2025-03-23T00:00:00+03:00", MISS),  # None
    ("اليوم السابع", None, OK),  # a newspaper's name, not today
    # a date inside a longer line
    ("تم نشره الجمعة 24 نيسان / أبريل 2020 09:22 مساءً", "2020-04-24T21:22:00+03:00", MISS),
    ("نشر في: 24 أبريل 2020", "2020-04-24T00:00:00+03:00", MISS),  # None
    ("آخر تحديث: 25 مارس 2024 - 10:30 ص", "2024-03-25T10:30:00+03:00", MISS),  # None
    ("اليوم السابع - 24 أغسطس 2020", "2020-08-24T00:00:00+03:00", MISS),  # None
    ("بتاريخ 2024/03/25", "2024-03-25T00:00:00+03:00", MISS),  # None
    ("القاهرة في 24-08-2020 الساعة 09:23 م", "2020-08-24T21:23:00+03:00", MISS),  # None
    # ISO 8601 and RFC 2822: an offset is kept, a naive value is in the site's zone
    ("2024-03-25T10:30:00Z", "2024-03-25T10:30:00+00:00", OK),
    ("2024-03-25T10:30:00+03:00", "2024-03-25T10:30:00+03:00", OK),
    ("2024-03-25T10:30:00+0200", "2024-03-25T10:30:00+02:00", OK),
    ("2024-03-25T10:30:00.123456Z", "2024-03-25T10:30:00+00:00", OK),
    ("2024-03-25T10:30:00", "2024-03-25T10:30:00+03:00", OK),
    ("2024-03-25 10:30:00", "2024-03-25T10:30:00+03:00", OK),
    ("2024-03-25", "2024-03-25T00:00:00+03:00", OK),
    ("Mon, 25 Mar 2024 10:30:00 +0300", "2024-03-25T10:30:00+03:00", OK),
    # garbage
    ("", None, OK),
    ("   ", None, OK),
    ("hello world", None, OK),
    ("غير متوفر", None, OK),
    ("العدد 5", None, OK),
    ("00/00/0000", None, OK),
    ("32 يناير 2024", None, OK),
    ("2024-13-45", None, OK),
    ("٢٠٢٠" * 60, None, OK),  # longer than any date
    # too old, or in the future beyond NOW + 2 days
    ("1 يناير 1900", None, MISS),
    ("1985-05-01T10:00:00Z", None, MISS),
    ("15 يناير 2030", None, MISS),
    ("2025-03-28T00:00:00+03:00", None, MISS),
    ("2025-03-27T11:00:00+03:00", "2025-03-27T11:00:00+03:00", OK),  # within the 2-day slack
]


@pytest.mark.parametrize(("raw", "expected", "_miss"), CASES, ids=[c[0][:40] for c in CASES])
def test_parse_date(raw, expected, _miss):
    """Each way a page writes a date gives the expected aware datetime, or None."""
    assert _parse(raw) == expected


def _dateparser_alone(raw: str) -> str | None:
    base = NOW.replace(tzinfo=None)
    parsed = dateparser.parse(raw, languages=["ar", "en"],
                              settings={"RELATIVE_BASE": base, "DATE_ORDER": "DMY"})
    if parsed is None:
        return None
    return iso(parsed if parsed.tzinfo else parsed.replace(tzinfo=TZ))


MISSES = [(raw, expected) for raw, expected, miss in CASES if miss]


@pytest.mark.parametrize(("raw", "expected"), MISSES, ids=[c[0][:40] for c in MISSES])
def test_dateparser_alone_gets_the_marked_cases_wrong(raw, expected):
    """dateparser on the raw string (with the same base time) misses each case marked MISS."""
    assert _dateparser_alone(raw) != expected


UNKNOWN_TO_DATEPARSER = [(name, number) for tradition, name, number in MONTH_CASES
                         if tradition in ("levantine", "maghrebi", "moroccan")
                         and name not in EGYPTIAN]


@pytest.mark.parametrize(("name", "number"), UNKNOWN_TO_DATEPARSER)
def test_dateparser_alone_does_not_know_levantine_or_maghrebi_months(name, number):
    """dateparser gives None for '15 شباط 2024' and the like, which parse_date reads."""
    assert dateparser.parse(f"15 {name} 2024", languages=["ar"]) is None
    assert _parse(f"15 {name} 2024") == _day(number)


# -- Hijri months ----------------------------------------------------------------------------
HIJRI_MONTHS = [
    ("محرم", 1), ("المحرم", 1), ("صفر", 2), ("ربيع الأول", 3), ("ربيع الاول", 3),
    ("ربيع الثاني", 4), ("ربيع الآخر", 4), ("جمادى الأولى", 5), ("جمادى الاولى", 5),
    ("جمادى الآخرة", 6), ("جمادى الثانية", 6), ("رجب", 7), ("شعبان", 8), ("رمضان", 9),
    ("شوال", 10), ("ذو القعدة", 11), ("ذي القعدة", 11), ("ذو الحجة", 12), ("ذي الحجة", 12),
]


@pytest.mark.parametrize(("name", "number"), HIJRI_MONTHS)
def test_every_hijri_month_name(name, number):
    """'1 <Hijri month> 1445هـ' is the Gregorian day hijridate gives for that month."""
    expected = Hijri(1445, number, 1).to_gregorian()
    assert _parse(f"1 {name} 1445هـ") == f"{expected.isoformat()}T00:00:00+03:00"


# -- time zones and the fetch time -----------------------------------------------------------
def test_relative_times_are_instants_whatever_the_zone():
    """'منذ ساعتين' is two hours before the fetch, whatever zone the site is in."""
    for tz in (dt.UTC, TZ, ZoneInfo("America/New_York")):
        assert parse_date("منذ ساعتين", tz, now=NOW) == NOW - dt.timedelta(hours=2)


def test_relative_times_count_real_hours_across_a_dst_change():
    """Two hours before 04:00 EDT, the night New York springs forward, is 01:00 EST."""
    new_york = ZoneInfo("America/New_York")
    now = dt.datetime(2025, 3, 9, 4, 0, tzinfo=new_york)
    assert iso(parse_date("منذ ساعتين", new_york, now=now)) == "2025-03-09T01:00:00-05:00"


def test_today_and_yesterday_are_the_sites_days():
    """Just after midnight in Riyadh (still the day before in UTC) 'اليوم' is Riyadh's day."""
    now = dt.datetime(2025, 3, 25, 1, 0, tzinfo=TZ)  # 2025-03-24 22:00 UTC
    assert iso(parse_date("اليوم 00:30", TZ, now=now)) == "2025-03-25T00:30:00+03:00"
    assert iso(parse_date("أمس", TZ, now=now)) == "2025-03-24T00:00:00+03:00"
    assert iso(parse_date("أمس", dt.UTC, now=now)) == "2025-03-23T00:00:00+00:00"


def test_naive_strings_take_the_default_zone_and_offsets_are_kept():
    """A date without an offset is in default_tz; one with an offset keeps it."""
    cairo = ZoneInfo("Africa/Cairo")
    assert iso(parse_date("24 أغسطس 2020 09:23 م", cairo, now=NOW)) == "2020-08-24T21:23:00+02:00"
    assert iso(parse_date("2020-08-24T09:23:00+04:30", cairo, now=NOW)) == "2020-08-24T09:23:00+04:30"


def test_now_must_be_timezone_aware():
    """A naive fetch time is a programming error, not a date to guess about."""
    with pytest.raises(ValueError, match="aware"):
        parse_date("منذ ساعتين", now=dt.datetime(2025, 3, 25, 12, 0))


def test_now_defaults_to_the_current_time():
    """Without now, relative times count from the current time and the future is refused."""
    before = dt.datetime.now(dt.UTC)
    parsed = parse_date("منذ ساعتين")
    assert parsed is not None
    assert before - dt.timedelta(hours=2, seconds=5) <= parsed <= dt.datetime.now(dt.UTC)
    next_week = (before + dt.timedelta(days=7)).date().isoformat()
    assert parse_date(next_week) is None


def test_iso_strings_do_not_import_dateparser_or_hijridate():
    """JSON-LD dates stay fast: parsing ISO 8601 imports neither dateparser nor hijridate."""
    code = (
        "import sys\n"
        "from newsbot.extraction.dates import parse_date\n"
        "assert parse_date('2024-03-25T10:30:00+03:00') is not None\n"
        "assert parse_date('2024-03-25') is not None\n"
        "print(sorted(m for m in ('dateparser', 'hijridate') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


_DATEISH = st.lists(
    st.sampled_from(list("0123456789٠١٢٣٤٥٦٧٨٩/-:. ،هـمص") + EGYPTIAN[:3]
                    + ["منذ", "ساعة", "أمس", "اليوم", "رمضان", "شباط", "Z", "T", "PM"]),
    max_size=12,
).map("".join)


@given(_DATEISH)
def test_any_text_gives_an_aware_plausible_date_or_none(raw):
    """parse_date never raises on text, and what it returns is aware, after 1990, not future."""
    parsed = parse_date(raw, TZ, now=NOW)
    if parsed is not None:
        assert parsed.tzinfo is not None
        assert parsed.year >= 1990
        assert parsed <= NOW + dt.timedelta(days=2)
