"""The database schema: one place defines the tables the store writes.

``Article`` and ``Image`` here are rows; the item is :class:`newsbot.items.Article`, and column
names equal its field names where they correspond. Times
are ``TIMESTAMP WITH TIME ZONE`` and written in UTC (SQLite has no time zones: it keeps the UTC
wall time and reads it back naive). Lists are ``JSON``; images are rows of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        dt.datetime: DateTime(timezone=True),
        str: Text,
    }


class Article(Base):
    """One article, keyed by its canonical URL; re-crawls update it in place."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str]
    canonical_url: Mapped[str] = mapped_column(unique=True)
    site: Mapped[str | None] = mapped_column(index=True)
    title: Mapped[str | None]
    description: Mapped[str | None]
    authors: Mapped[list[str]] = mapped_column(JSON)
    published_at: Mapped[dt.datetime | None]
    published_raw: Mapped[str | None]
    modified_at: Mapped[dt.datetime | None]
    language: Mapped[str | None]
    section: Mapped[str | None]
    tags: Mapped[list[str]] = mapped_column(JSON)
    headings: Mapped[list[str]] = mapped_column(JSON)
    paragraphs: Mapped[list[str]] = mapped_column(JSON)
    captions: Mapped[list[str]] = mapped_column(JSON)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    body: Mapped[str | None]
    first_seen_at: Mapped[dt.datetime]
    last_crawled_at: Mapped[dt.datetime]
    crawl_count: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    images: Mapped[list[Image]] = relationship(
        back_populates="article",
        order_by="Image.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"schema.Article(id={self.id!r}, canonical_url={self.canonical_url!r})"


class Image(Base):
    """One image of an article, at its position in the article's image list."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    src: Mapped[str]
    alt: Mapped[str | None]
    caption: Mapped[str | None]
    credit: Mapped[str | None]

    article: Mapped[Article] = relationship(back_populates="images")

    def __repr__(self) -> str:
        return f"schema.Image(article_id={self.article_id!r}, position={self.position!r})"


articles = Article.__table__
images = Image.__table__
