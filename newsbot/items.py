"""The article item: one place defines its fields.

Names follow schema.org's NewsArticle in snake_case. A field that is absent is ``None`` or
``[]``, never ``""``. This module imports nothing from Scrapy: Scrapy handles dataclass items
through itemadapter, and the page parsers build them without a crawler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict


class Image(TypedDict):
    src: str
    alt: str | None
    caption: str | None
    credit: str | None


class Block(TypedDict, total=False):
    """One piece of the article in reading order.

    ``type`` is ``"heading"`` (with ``text`` and ``level`` 2-6), ``"paragraph"`` (with ``text``)
    or ``"image"`` (with the :class:`Image` keys).
    """

    type: Literal["heading", "paragraph", "image"]
    text: str
    level: int
    src: str
    alt: str | None
    caption: str | None
    credit: str | None


@dataclass(slots=True)
class Article:
    url: str
    canonical_url: str | None = None
    site: str | None = None
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None  # ISO 8601 with offset
    published_raw: str | None = None  # the string the date was read from
    modified_at: str | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    @property
    def body(self) -> str | None:
        """The paragraphs joined by blank lines."""
        return "\n\n".join(self.paragraphs) or None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        """An article from a mapping of its fields (extra keys such as ``body`` ignored)."""
        if not data.get("url"):
            raise ValueError("an article needs a url")
        return cls(**{key: value for key, value in data.items() if key in _FIELD_NAMES})

    def to_dict(self) -> dict[str, Any]:
        """All fields, ``body`` included, as plain JSON-ready data."""
        data = asdict(self)
        data["body"] = self.body
        return data


_FIELD_NAMES = frozenset(Article.__dataclass_fields__)
FIELDS: tuple[str, ...] = (*Article.__dataclass_fields__, "body")
