"""Small text helpers shared by the extraction modules."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Runs of white space (NBSP and newlines included) to one space, trimmed."""
    return _SPACE.sub(" ", text).strip()
