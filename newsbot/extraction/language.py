"""Language of an article: what the page declares, checked against the script of its text.

Pages often declare the wrong language (a WordPress theme left on ``en-US`` over Arabic text),
and Persian and Urdu share the Arabic script, so the text decides when it disagrees with the
declaration. Letters that only Persian or Urdu use tell them apart from Arabic.
"""

from __future__ import annotations

import re

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Letters Arabic does not use: Persian پ چ ژ گ ک ی, Urdu adds ٹ ڈ ڑ ں ے ھ.
_PERSIAN = re.compile(r"[\u067e\u0686\u0698\u06af\u06a9\u06cc]")
_URDU = re.compile(r"[\u0679\u0688\u0691\u06ba\u06d2\u06be]")
_ARABIC_ONLY = re.compile(r"[\u0629\u064a\u0643]")  # ة ي ك, rare in Persian and Urdu text
_SAMPLE = 20000


def _primary(tag: str | None) -> str | None:
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def script_language(text: str) -> str | None:
    """The language the letters of ``text`` point to, for Arabic-script and Latin text."""
    sample = text[:_SAMPLE]
    arabic = len(_ARABIC_SCRIPT.findall(sample))
    latin = len(_LATIN.findall(sample))
    if arabic < 20 and latin < 20:
        return None
    if arabic <= latin:
        return None  # Latin script: the declaration is all we have
    persian = len(_PERSIAN.findall(sample))
    urdu = len(_URDU.findall(sample))
    arabic_only = len(_ARABIC_ONLY.findall(sample))
    if urdu > 0.01 * arabic and urdu > arabic_only:
        return "ur"
    if persian > 0.01 * arabic and persian > arabic_only:
        return "fa"
    return "ar"


def detect_language(declared: list[str | None], text: str) -> str | None:
    """The article's language as a primary subtag (``ar``, ``fa``, ``en`` ...)."""
    declared_code = next((code for code in map(_primary, declared) if code), None)
    by_script = script_language(text)
    if by_script is None:
        return declared_code
    if declared_code in (None, by_script):
        return by_script
    # Declared Arabic-script language that the letters do not contradict strongly stays.
    if declared_code in {"ar", "fa", "ur", "ps", "ku", "ckb", "sd", "ug"} and by_script == "ar":
        return declared_code
    return by_script
