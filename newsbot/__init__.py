"""newsbot: crawl Arabic news sites, extract their articles, store them for analysts.

>>> from newsbot import extract
>>> article = extract(html_bytes, url="https://example.com/news/1")
"""

from newsbot.extraction import ExtractionError, extract
from newsbot.items import Article

__all__ = ["Article", "ExtractionError", "extract"]
__version__ = "0.1.0"
