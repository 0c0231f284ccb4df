"""The database schema: one place defines the tables the store writes.

``Article`` and ``Image`` here are rows; the item is :class:`newsbot.items.Article`, and column
names equal its field names where they correspond. Times are ``TIMESTAMP WITH TIME ZONE`` and
written in UTC (SQLite has no time zones: it keeps the UTC wall time and reads it back naive).
Lists are ``JSON``; images are rows of their own.

``articles`` holds the current version of each article; ``article_versions`` every version of
its content (a row per change of ``content_hash``, version 1 included); ``sites`` one row per
site host; ``crawl_runs`` one row per crawl. ``title_search`` and ``text_search`` hold the
search form (:func:`newsbot.text.search_key`) for full-text indexes.

Every change here needs an Alembic revision in ``pipelines/migrations/versions``;
``tests/test_migrations.py`` fails while the models and the migrations disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Columns that hold an article's long text; PostgreSQL compresses them with lz4 when it can
# (see the initial migration).
LONG_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "articles": ("headings", "paragraphs", "captions", "blocks", "body", "text_search"),
    "article_versions": ("headings", "paragraphs", "captions", "body"),
    "crawl_runs": ("stats",),
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        dt.datetime: DateTime(timezone=True),
        str: Text,
    }


class Site(Base):
    """A news site, named by its host as the item's ``site`` field gives it (``youm7.com``)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    domain: Mapped[str | None]
    title: Mapped[str | None]
    first_seen_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"schema.Site(id={self.id!r}, name={self.name!r})"


class Article(Base):
    """One article, keyed by its canonical URL; a re-crawl updates it in place.

    When a re-crawl finds other content (``content_hash``), ``version`` goes up by one and the
    new content is also added to ``article_versions``.
    """

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str]
    canonical_url: Mapped[str] = mapped_column(unique=True)
    site: Mapped[str | None] = mapped_column(index=True)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str | None]
    description: Mapped[str | None]
    authors: Mapped[list[str]] = mapped_column(JSON)
    published_at: Mapped[dt.datetime | None] = mapped_column(index=True)
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
    content_hash: Mapped[str] = mapped_column(String(64))
    title_search: Mapped[str | None]
    text_search: Mapped[str | None]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    first_seen_at: Mapped[dt.datetime]
    last_crawled_at: Mapped[dt.datetime]
    crawl_count: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    images: Mapped[list[Image]] = relationship(
        back_populates="article",
        order_by="Image.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article",
        order_by="ArticleVersion.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"schema.Article(id={self.id!r}, canonical_url={self.canonical_url!r})"


class ArticleVersion(Base):
    """The content of an article as one crawl found it; version 1 is the first crawl's."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None]
    headings: Mapped[list[str]] = mapped_column(JSON)
    paragraphs: Mapped[list[str]] = mapped_column(JSON)
    captions: Mapped[list[str]] = mapped_column(JSON)
    body: Mapped[str | None]
    crawled_at: Mapped[dt.datetime]

    article: Mapped[Article] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"schema.ArticleVersion(article_id={self.article_id!r}, version={self.version!r})"


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


class CrawlRun(Base):
    """One crawl: what ran, when, how it ended and what it stored.

    ``status`` is ``running`` until the crawl ends, then Scrapy's finish reason (``finished``,
    ``shutdown``, ``closespider_timeout`` ...). A run left at ``running`` after its process
    is gone was killed.
    """

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str]
    sites: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str]
    pages: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    items_stored: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    items_dropped: Mapped[dict[str, int]] = mapped_column(JSON)
    errors: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"schema.CrawlRun(id={self.id!r}, spider={self.spider!r}, status={self.status!r})"


sites = Site.__table__
articles = Article.__table__
article_versions = ArticleVersion.__table__
images = Image.__table__
crawl_runs = CrawlRun.__table__
