"""Fill the display form of every text field with :func:`newsbot.text.clean`.

The text stays as published; ``clean`` only removes what no reader sees (bidi and zero-width
marks, presentation-form ligatures, stray tatweel, filter-dodging breaks, extra white space).
"""

from __future__ import annotations

from newsbot.extraction.textutil import CONTROL
from newsbot.items import Article
from newsbot.text import clean as _clean

_SCALARS = ("title", "description", "section")
_LISTS = ("authors", "tags", "headings", "paragraphs", "captions")


def clean(value: str) -> str:
    """The display form, without control characters (PostgreSQL refuses NUL in text)."""
    return _clean(CONTROL.sub("", value))


def _clean_opt(value: str | None) -> str | None:
    return (clean(value) or None) if value else None


def normalize_article(article: Article) -> Article:
    """Clean every text field in place; entries that clean to nothing are removed."""
    for name in _SCALARS:
        setattr(article, name, _clean_opt(getattr(article, name)))
    for name in _LISTS:
        setattr(article, name, [t for t in map(clean, getattr(article, name)) if t])
    for image in article.images:
        for key in ("alt", "caption", "credit"):
            image[key] = _clean_opt(image.get(key))
    blocks = []
    for block in article.blocks:
        if block["type"] == "image":
            block = {**block, **{k: _clean_opt(block.get(k)) for k in ("alt", "caption", "credit")}}
        else:
            text = clean(block["text"])
            if not text:
                continue
            block = {**block, "text": text}
        blocks.append(block)
    article.blocks = blocks
    return article


class NormalizePipeline:
    def process_item(self, item: Article | dict) -> Article:
        article = item if isinstance(item, Article) else Article.from_dict(item)
        return normalize_article(article)
