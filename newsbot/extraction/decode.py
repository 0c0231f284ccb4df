"""Bytes to text: HTTP charset, BOM, ``<meta>`` declaration, then detection.

w3lib implements the WHATWG order of precedence (and its aliases: ``iso-8859-1`` means
windows-1252, ``iso-8859-6`` is kept apart from windows-1256); charset-normalizer guesses when
nothing is declared, which is how old Arabic sites in windows-1256 or ISO-8859-6 come out
readable.
"""

from __future__ import annotations

import charset_normalizer
from w3lib.encoding import html_to_unicode, resolve_encoding

# A declared charset that yields more than this share of U+FFFD is treated as wrong.
_MAX_REPLACEMENT_SHARE = 0.01


def _detect(data: bytes) -> str | None:
    match = charset_normalizer.from_bytes(data[:65536]).best()
    return match.encoding if match else None


def decode_html(body: bytes | str, content_type: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for an HTML document.

    ``content_type`` is the HTTP ``Content-Type`` header, if any. A declared encoding that does
    not fit the bytes (many replacement characters) gives way to detection.
    """
    if isinstance(body, str):
        return body, "unicode"
    header = content_type or ""
    encoding, text = html_to_unicode(header, body, auto_detect_fun=_detect)
    if text.count("\ufffd") > max(2, len(text) * _MAX_REPLACEMENT_SHARE):
        detected = _detect(body)
        if detected and resolve_encoding(detected) != encoding:
            candidate = body.decode(detected, errors="replace")
            if candidate.count("\ufffd") < text.count("\ufffd"):
                return candidate, resolve_encoding(detected) or detected
    return text, encoding


__all__ = ["decode_html"]
