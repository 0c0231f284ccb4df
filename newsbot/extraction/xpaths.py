"""Every XPath the extractor uses, compiled once."""

from __future__ import annotations

from lxml import etree

X = etree.XPath

JSONLD = X('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]')
META = X("//meta[@content]")
TITLE = X("//head/title//text() | (//title)[1]//text()")
H1 = X("//body//h1")
ELEMENT_WITH_TEXT = X("//body//*[normalize-space(.)=$t]")
CANONICAL = X('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
HTML_LANG = X("/html/@lang | /html/@xml:lang")
ARTICLE_TAGS = X('//meta[@property="article:tag"]')


def _class_contains(*words: str) -> str:
    """An XPath test on @class for each word, as written and capitalised (no translate():
    it costs a string copy per element)."""
    variants = {v for w in words for v in (w, w.capitalize(), w.upper())}
    return " or ".join(f'contains(@class, "{v}")' for v in sorted(variants))


# Bylines in the page: schema.org and rel markup, then class names that speak of an author.
AUTHOR_NODES = X(
    '//*[@rel="author" or @itemprop="author"]'
    f' | //body//*[@class][{_class_contains("author", "writer", "writeBy", "byline", "reporter")}]'
)
TIME_PUBLISHED = X(
    '//*[@itemprop="datePublished"]/@content | //*[@itemprop="datePublished"]/@datetime'
    " | //time[@pubdate]/@datetime | //article//time/@datetime | //time/@datetime"
)
# Visible dates: elements whose class or id speak of a date.
DATE_NODES = X(
    f'//body//*[@class][{_class_contains("date", "time", "publish", "created", "posted")}]'
    ' | //body//*[@id][contains(@id, "date") or contains(@id, "Date")]'
)
# Short texts anywhere in the body, for a date written in prose.
SHORT_TEXTS = X("//body//text()[string-length(normalize-space()) > 7]"
                "[string-length(normalize-space()) < 120]")

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
