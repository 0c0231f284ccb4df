"""Scrapy settings for newsbot; every ``NEWSBOT_*`` default is defined here or in the component
that owns it (``pipelines.store.DEFAULTS``) and only read through ``from_crawler``."""

from newsbot.sites.health import DEFAULTS as _HEALTH_DEFAULTS
from pipelines.store import DEFAULTS as _STORE_DEFAULTS

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
NEWSPIDER_MODULE = "newsbot.spiders"

# Be a good citizen: say who we are, obey robots.txt, adapt to the site's speed.
USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot/newsbot)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# One item per response: more item slots only start idle asyncio tasks (scrapy#5182).
CONCURRENT_ITEMS = 1

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

# Dates written without an offset are read in this zone (a site's own zone overrides it).
NEWSBOT_DEFAULT_TIMEZONE = "UTC"
# An article needs a title and this many characters of body text to be stored.
NEWSBOT_MIN_BODY_CHARS = 80
# Languages to keep, as primary subtags ("ar", or "ar,en" with -s); empty keeps every language.
NEWSBOT_LANGUAGES: list[str] = []
globals().update(_STORE_DEFAULTS)

# Warn (log and stats) when a site's article pages start coming out empty: a redesign.
EXTENSIONS = {"newsbot.sites.health.ExtractionHealth": 500}
globals().update(_HEALTH_DEFAULTS)  # NEWSBOT_HEALTH_ENABLED, _WINDOW, _MIN_YIELD

# For development: HTTPCACHE_ENABLED = True keeps every response under .scrapy/httpcache.
HTTPCACHE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
