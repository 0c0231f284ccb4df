"""Every XPath the extractor uses, compiled once."""

from __future__ import annotations

from lxml import etree

X = etree.XPath

JSONLD = X('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]')
META = X("//meta[@content]")
TITLE = X("//head/title//text() | (//title)[1]//text()")
H1 = X("//body//h1")
CANONICAL = X('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
HTML_LANG = X("/html/@lang | /html/@xml:lang")
ARTICLE_TAGS = X('//meta[@property="article:tag"]')
AUTHOR_NODES = X(
    '//*[@rel="author" or @itemprop="author"]'
    ' | //*[contains(concat(" ", normalize-space(@class), " "), " author-name ")'
    ' or contains(concat(" ", normalize-space(@class), " "), " byline ")]'
)
TIME_PUBLISHED = X(
    '//*[@itemprop="datePublished"]/@content | //*[@itemprop="datePublished"]/@datetime'
    " | //time[@pubdate]/@datetime | //article//time/@datetime | //time/@datetime"
)
# Visible dates: elements whose class or id speak of a date.
DATE_NODES = X(
    '//*[contains(translate(@class, "DATE", "date"), "date")'
    ' or contains(translate(@class, "TIME", "time"), "time")'
    ' or contains(translate(@id, "DATE", "date"), "date")]'
)

PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "article.published",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "cxenseparse:recs:publishtime",
)
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "last-modified",
)
