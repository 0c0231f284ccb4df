"""Scrapy settings for newsbot; every ``NEWSBOT_*`` default is defined here or in the component
that owns it (``pipelines.store.DEFAULTS``) and only read through ``from_crawler``."""

from newsbot.incremental import DEFAULTS as _INCREMENTAL_DEFAULTS
from newsbot.politeness import user_agent as _user_agent
from newsbot.runs import DEFAULTS as _RUNS_DEFAULTS
from newsbot.scale import DEFAULTS as _SCALE_DEFAULTS
from newsbot.sites.health import DEFAULTS as _HEALTH_DEFAULTS
from pipelines.store import DEFAULTS as _STORE_DEFAULTS

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
NEWSPIDER_MODULE = "newsbot.spiders"

# Be a good citizen: say who we are, obey robots.txt, adapt to the site's speed.
# Where a site's owner reaches whoever runs the crawler; the user agent carries it
# (-s NEWSBOT_CONTACT_URL=... rebuilds it: newsbot.politeness.ContactUserAgent).
NEWSBOT_CONTACT_URL = "https://github.com/newsbot/newsbot"
USER_AGENT = _user_agent(NEWSBOT_CONTACT_URL)  # newsbot/0.1 (+https://...)
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
# Record each crawl in crawl_runs (after the health check, whose verdicts it records).
EXTENSIONS = {"newsbot.sites.health.ExtractionHealth": 500, "newsbot.runs.CrawlRuns": 510}
globals().update(_HEALTH_DEFAULTS)  # NEWSBOT_HEALTH_ENABLED, _WINDOW, _MIN_YIELD
globals().update(_RUNS_DEFAULTS)  # NEWSBOT_RUNS_ENABLED

# Incremental re-crawls: article URLs already stored are not fetched again (-a refresh=1, or
# NEWSBOT_REFRESH_AFTER_DAYS > 0, re-checks them with conditional requests). Before
# HttpErrorMiddleware (50), so that it sees every article response.
SPIDER_MIDDLEWARES = {"newsbot.incremental.Incremental": 45}
globals().update(_INCREMENTAL_DEFAULTS)  # NEWSBOT_INCREMENTAL, _REFRESH_AFTER_DAYS, ...

# Scale-out: with NEWSBOT_REDIS_URL set, processes share a scrapy-redis frontier (newsbot.scale).
ADDONS = {"newsbot.politeness.ContactUserAgent": 0, "newsbot.scale.RedisScaleOut": 10}
globals().update(_SCALE_DEFAULTS)  # NEWSBOT_REDIS_URL, NEWSBOT_FRONTIER, ...

# For development: -s HTTPCACHE_ENABLED=True keeps every response under .scrapy/httpcache and
# replays it on the next run (never in production: a cached page is never re-fetched).
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 0  # 0: cached responses never expire
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
