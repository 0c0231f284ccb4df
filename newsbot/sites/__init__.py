"""Sites: the registry of outlets (``sites.toml``) and the few site parsers they need.

``site_for_url(url)`` says which outlet a URL belongs to; ``parser_for(url, day)`` gives the
parser to read its pages with (the generic extractor in the site's time zone, unless the site
has a parser of its own). No Scrapy import here; the crawl health check is ``sites.health``.
"""

from newsbot.sites.base import SiteParser, parser_for
from newsbot.sites.registry import Site, get_site, load_sites, site_for_url

__all__ = ["Site", "SiteParser", "get_site", "load_sites", "parser_for", "site_for_url"]
