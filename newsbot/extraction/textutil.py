"""Small text helpers shared by the extraction modules."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
# C0 controls (but tab and line breaks, which are white space) and DEL: never text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def collapse(text: str) -> str:
    """Runs of white space (NBSP and newlines included) to one space, trimmed; control
    characters removed."""
    return _SPACE.sub(" ", CONTROL.sub("", text)).strip()
