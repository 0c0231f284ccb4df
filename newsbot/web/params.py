"""The request parameters of a search, checked before any of them reaches the database.

Every bad value raises :class:`BadParameter`, which the app answers with a 422: JSON with an
English ``detail`` on the API, the page with an Arabic message in the browser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

from newsbot.text import search_key

MAX_RAW_QUERY = 1000  # characters as typed; longer input is refused before it is normalised
MAX_QUERY = 200  # characters of the normalised query (the search key)
MAX_PER_PAGE = 100
MAX_RESULTS = 10_000  # how deep a result list can be paged (page * per_page)
_MAX_SITE = 255
_MAX_DATE = 40


class BadParameter(ValueError):
    """A request parameter that cannot be used; ``arabic`` is the message pages show."""

    def __init__(self, param: str, message: str, arabic: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message
        self.arabic = arabic


@dataclass(frozen=True, slots=True)
class SearchParams:
    q: str
    site: str | None
    since: dt.datetime | None
    until: dt.datetime | None
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def query_string(self, **changes: object) -> dict[str, str]:
        """The parameters as they go in a link (empty ones left out), with ``changes``."""
        values: dict[str, object] = {
            "q": self.q,
            "site": self.site,
            "since": self.since.date().isoformat() if self.since else None,
            "until": self.until.date().isoformat() if self.until else None,
            "page": self.page if self.page != 1 else None,
            "per_page": self.per_page if self.per_page != 20 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


# The parameters as FastAPI reads them (their bounds go into the OpenAPI description).
QueryText = Annotated[str, Query(
    max_length=MAX_RAW_QUERY,
    description="The search, as people type it; normalised with newsbot.text.search_key "
    f"(at most {MAX_QUERY} characters once normalised).",
    examples=["الذهب"],
)]
SiteName = Annotated[str | None, Query(
    max_length=_MAX_SITE, description="Only articles of this site (its host, e.g. youm7.com)."
)]
Since = Annotated[str | None, Query(
    max_length=_MAX_DATE,
    description="Published on or after this day (YYYY-MM-DD) or time (ISO 8601; UTC if no offset).",
)]
Until = Annotated[str | None, Query(
    max_length=_MAX_DATE,
    description="Published on or before this day (YYYY-MM-DD, the whole day) or time (ISO 8601).",
)]
Page = Annotated[int, Query(ge=1, le=MAX_RESULTS, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Results per page.")]


def search_params(
    q: str, site: str | None, since: str | None, until: str | None, page: int, per_page: int
) -> SearchParams:
    """Check and convert the raw parameters; raise :class:`BadParameter`."""
    query = check_query(q)
    site = check_site(site)
    start = parse_when("since", since, end_of_day=False)
    end = parse_when("until", until, end_of_day=True)
    if start and end and start > end:
        raise BadParameter("since", "since is after until", "تاريخ البداية بعد تاريخ النهاية.")
    if page < 1:
        raise BadParameter("page", "page must be 1 or more", "رقم الصفحة يبدأ من 1.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadParameter(
            "per_page", f"per_page must be between 1 and {MAX_PER_PAGE}",
            f"عدد النتائج في الصفحة بين 1 و{MAX_PER_PAGE}.",
        )
    if page * per_page > MAX_RESULTS:
        raise BadParameter(
            "page", f"only the first {MAX_RESULTS} results can be paged through; narrow the search",
            f"لا يمكن تصفّح أكثر من أول {MAX_RESULTS} نتيجة؛ ضيّق البحث.",
        )
    return SearchParams(query, site, start, end, page, per_page)


def check_query(q: str | None) -> str:
    """The query as typed, stripped; too long or with control characters is refused."""
    q = (q or "").strip()
    if len(q) > MAX_RAW_QUERY:
        raise BadParameter(
            "q", f"the query is longer than {MAX_RAW_QUERY} characters",
            f"نص البحث أطول من {MAX_RAW_QUERY} حرف.",
        )
    if _has_control(q):
        raise BadParameter(
            "q", "the query contains control characters", "نص البحث يحوي رموز تحكم غير مقبولة."
        )
    if len(search_key(q)) > MAX_QUERY:
        raise BadParameter(
            "q", f"the query is longer than {MAX_QUERY} characters once normalised",
            f"نص البحث أطول من {MAX_QUERY} حرف.",
        )
    return q


def check_site(site: str | None) -> str | None:
    site = (site or "").strip()
    if not site:
        return None
    if len(site) > _MAX_SITE or _has_control(site):
        raise BadParameter("site", "not a site name", "اسم الموقع غير صالح.")
    return site


def parse_when(param: str, value: str | None, *, end_of_day: bool) -> dt.datetime | None:
    """A day (``YYYY-MM-DD``) or an ISO 8601 time as an aware UTC datetime.

    A day starts at 00:00 UTC for ``since`` and ends at 23:59:59.999999 UTC for ``until``.
    """
    value = (value or "").strip()
    if not value:
        return None
    arabic = "التاريخ غير صالح؛ اكتبه هكذا: 2025-03-11."
    if len(value) > _MAX_DATE:
        raise BadParameter(param, "not a date (YYYY-MM-DD)", arabic)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            clock = dt.time.max if end_of_day else dt.time.min
            return dt.datetime.combine(day, clock, tzinfo=dt.UTC)
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadParameter(param, "not a date (YYYY-MM-DD) or ISO 8601 time", arabic) from None
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    try:
        return when.astimezone(dt.UTC)
    except OverflowError:
        raise BadParameter(param, "date out of range", arabic) from None


def _has_control(text: str) -> bool:
    return any((ord(c) < 32 and c not in "\t\n\r") or c == "\x7f" for c in text)
