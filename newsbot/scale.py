"""Scale-out: several crawler processes, on one machine or many, share one frontier in Redis.

With ``NEWSBOT_REDIS_URL`` set (a setting or the environment variable), the
:class:`RedisScaleOut` add-on makes scrapy-redis supply the scheduler and the duplicate filter:
every process started with the same spider and ``NEWSBOT_FRONTIER`` pushes the requests it
finds to one queue in Redis and pulls its work from there, and a URL any of them has requested
is not requested again by any. Each process stores its articles itself (point them all at one
PostgreSQL database with ``NEWSBOT_DATABASE_URL``).

scrapy-redis does not decide when such a crawl is over; :class:`Scheduler` (a subclass of its
scheduler) does, so that no work is lost:

- Each process registers itself in Redis and, every ``NEWSBOT_REDIS_POLL_SECONDS``, says whether
  it has work in hand (requests downloading or being parsed, start requests not yet read) and
  runs its engine's loop, which takes what other processes queued (an idle Scrapy engine would
  otherwise look only every 5 seconds).
- A process whose engine is idle closes only when the shared queue is empty, no live process has
  work in hand, and nothing was taken from the queue or worked on for
  ``NEWSBOT_REDIS_CLOSE_AFTER_SECONDS``. A process that stops reporting for
  ``NEWSBOT_REDIS_WORKER_TTL_SECONDS`` (killed) no longer holds the others back.
- The queue and the duplicate filter are never deleted by a closing process
  (``SCHEDULER_PERSIST``). A crawl that ended that way is marked finished, and the first process
  of the next crawl on the same frontier starts it afresh (clears the queue and the filter, once,
  atomically). A crawl that was interrupted (every process stopped with requests still queued)
  is not finished: the next processes resume it.
- ``python -m newsbot.scale reset`` clears a frontier deliberately (``status`` shows it).

The per-domain limits (``CONCURRENT_REQUESTS_PER_DOMAIN``, AutoThrottle) hold per process: with
N processes on one site, divide them by N. robots.txt is fetched once per process.

Requires the ``scale`` extra: ``pip install 'newsbot[scale]'`` (scrapy-redis and redis).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.misc import load_object

try:  # the "scale" extra; without it, RedisScaleOut refuses NEWSBOT_REDIS_URL
    from redis.exceptions import RedisError
    from scrapy_redis.scheduler import Scheduler as _RedisScheduler
except ImportError:  # pragma: no cover
    _RedisScheduler = object
    RedisError = OSError

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "NEWSBOT_REDIS_URL": "",  # e.g. redis://127.0.0.1:6379/0; empty: one process, no Redis
    # Name of the shared frontier (also from the environment); empty: the spider's name alone.
    "NEWSBOT_FRONTIER": "",
    "NEWSBOT_REDIS_POLL_SECONDS": 0.5,
    "NEWSBOT_REDIS_CLOSE_AFTER_SECONDS": 3.0,
    "NEWSBOT_REDIS_WORKER_TTL_SECONDS": 30.0,
}
# Keys of a frontier, after "newsbot:<spider>[:<frontier>]:".
_QUEUE, _SEEN, _WORKERS, _ACTIVE, _FINISHED = (
    "requests", "dupefilter", "workers", "active", "finished"
)
# Start a finished frontier afresh, once: whichever process runs this first does it.
_RESET_IF_FINISHED = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return 1
end
return 0
"""


def redis_url(settings: Any) -> str:
    """``NEWSBOT_REDIS_URL`` from the environment, else from the settings ('' when unset)."""
    return os.environ.get("NEWSBOT_REDIS_URL") or settings.get("NEWSBOT_REDIS_URL") or ""


def frontier_name(settings: Any) -> str:
    """``NEWSBOT_FRONTIER`` from the environment, else from the settings ('' when unset)."""
    return os.environ.get("NEWSBOT_FRONTIER") or settings.get("NEWSBOT_FRONTIER") or ""


def key_prefix(spider: str, frontier: str = "") -> str:
    """Where a frontier's keys live in Redis: ``newsbot:<spider>[:<frontier>]``."""
    return f"newsbot:{spider}:{frontier}" if frontier else f"newsbot:{spider}"


class RedisScaleOut:
    """Add-on: with ``NEWSBOT_REDIS_URL`` set, schedule through the shared Redis frontier."""

    def update_settings(self, settings: Any) -> None:
        url = redis_url(settings)
        if not url:
            return
        try:
            import scrapy_redis  # noqa: F401
        except ImportError as error:
            raise ImportError(
                "NEWSBOT_REDIS_URL is set but scrapy-redis is not installed: "
                "pip install 'newsbot[scale]'"
            ) from error
        prefix = key_prefix("%(spider)s", frontier_name(settings))
        for name, value in {
            "SCHEDULER": "newsbot.scale.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": url,
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": f"{prefix}:{_QUEUE}",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:{_SEEN}",
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        }.items():
            settings.set(name, value, priority="addon")


class Scheduler(_RedisScheduler):  # type: ignore[misc,valid-type]
    """scrapy-redis's scheduler, with a close that loses no work and Scrapy 2.19's stats API."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> Scheduler:
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        scheduler.poll = settings.getfloat(
            "NEWSBOT_REDIS_POLL_SECONDS", DEFAULTS["NEWSBOT_REDIS_POLL_SECONDS"]
        )
        scheduler.close_after = settings.getfloat(
            "NEWSBOT_REDIS_CLOSE_AFTER_SECONDS", DEFAULTS["NEWSBOT_REDIS_CLOSE_AFTER_SECONDS"]
        )
        scheduler.worker_ttl = settings.getfloat(
            "NEWSBOT_REDIS_WORKER_TTL_SECONDS", DEFAULTS["NEWSBOT_REDIS_WORKER_TTL_SECONDS"]
        )
        scheduler.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        scheduler.done = False
        scheduler.loop = None
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    # -- the frontier's life ------------------------------------------------------------------
    def open(self, spider: Any) -> None:
        self.spider = spider
        prefix = self.queue_key.rsplit(":", 1)[0] % {"spider": spider.name}
        self.keys = {name: f"{prefix}:{name}" for name in (_QUEUE, _SEEN, _WORKERS, _ACTIVE,
                                                          _FINISHED)}
        if self.server.eval(_RESET_IF_FINISHED, 4, self.keys[_FINISHED], self.keys[_QUEUE],
                            self.keys[_SEEN], self.keys[_ACTIVE]):
            logger.info("The last crawl of frontier %s finished: starting it afresh", prefix)
        self._report(busy=True)
        # scrapy-redis's open(), but for Spider.log (deprecated).
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if len(self.queue):
            logger.info("Resuming the crawl of frontier %s: %d requests queued", prefix,
                        len(self.queue))
        self.stats.set_value("newsbot/scale/frontier", prefix)
        self.stats.set_value("newsbot/scale/worker", self.worker)
        self.loop = create_looping_call(self._tick)
        self.loop.start(self.poll, now=False)

    def close(self, reason: str) -> None:
        # Never flush: other processes may still be working on this frontier.
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        pipe = self.server.pipeline()
        pipe.hdel(self.keys[_WORKERS], self.worker)
        if self.done and reason == "finished":
            pipe.set(self.keys[_FINISHED], self._now())
        pipe.execute()
        if not self.done:
            left = len(self.queue)
            if left:
                logger.info("%d requests stay queued in %s for the next crawl", left,
                            self.keys[_QUEUE])

    # -- scrapy-redis, without the spider argument Scrapy 2.19 deprecates ---------------------
    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        request = self.queue.pop(self.idle_before_close)
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    # -- when to close ------------------------------------------------------------------------
    def spider_idle(self, spider: Any = None) -> None:
        """This process has nothing to do: close only when no process has, for a while."""
        self._report(busy=False)
        if self._crawl_done():
            self.done = True
            logger.info("Frontier %s: queue empty and every worker idle for %.1f s: closing",
                        self.keys[_QUEUE].rsplit(":", 1)[0], self.close_after)
            return
        raise DontCloseSpider

    def _crawl_done(self) -> bool:
        pipe = self.server.pipeline()
        pipe.time()
        pipe.zcard(self.keys[_QUEUE])
        pipe.hgetall(self.keys[_WORKERS])
        pipe.get(self.keys[_ACTIVE])
        (seconds, micros), queued, workers, active = pipe.execute()
        now = seconds + micros / 1e6
        if queued:
            return False
        if active is not None and now - float(active) < self.close_after:
            return False
        stale = []
        for worker, value in workers.items():
            state = json.loads(value)
            if now - state["seen"] > self.worker_ttl:
                stale.append(worker)
            elif state["busy"]:
                return False
        if stale:
            self.server.hdel(self.keys[_WORKERS], *stale)
            logger.warning("Workers gone silent, no longer waited for: %s",
                           ", ".join(w.decode() for w in stale))
        return True

    def _tick(self) -> None:
        """Say whether this process has work in hand, and run its engine's loop: it takes
        requests the other processes queued, or (idle) asks again whether the crawl is over.
        Left alone, an idle engine would look only on its 5-second heartbeat."""
        engine = self.crawler.engine
        try:
            busy = not engine.spider_is_idle()
            self._report(busy)
        except RuntimeError:  # closing
            return
        except RedisError as exc:  # a blip: the next tick tries again
            logger.warning("Cannot reach Redis: %s", exc)
            return
        slot = getattr(engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def _report(self, busy: bool) -> None:
        now = self._now()
        pipe = self.server.pipeline()
        pipe.hset(self.keys[_WORKERS], self.worker, json.dumps({"busy": busy, "seen": now}))
        if busy:
            pipe.set(self.keys[_ACTIVE], now)
        pipe.execute()

    def _now(self) -> float:
        """Redis's clock: the one the processes of every machine share."""
        seconds, micros = self.server.time()
        return seconds + micros / 1e6


# --- python -m newsbot.scale status|reset ----------------------------------------------------


def _describe(server: Any, prefix: str) -> dict[str, Any]:
    seconds, micros = server.time()
    now = seconds + micros / 1e6
    workers = {
        worker.decode(): json.loads(value)
        for worker, value in server.hgetall(f"{prefix}:{_WORKERS}").items()
    }
    finished = server.get(f"{prefix}:{_FINISHED}")
    return {
        "frontier": prefix,
        "queued": server.zcard(f"{prefix}:{_QUEUE}"),
        "seen": server.scard(f"{prefix}:{_SEEN}"),
        "workers": {
            name: {"busy": state["busy"], "seen_seconds_ago": round(now - state["seen"], 1)}
            for name, state in workers.items()
        },
        "finished_seconds_ago": round(now - float(finished), 1) if finished else None,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m newsbot.scale status|reset``: look at or clear a shared frontier."""
    parser = argparse.ArgumentParser(
        prog="newsbot frontier",
        description="Look at, or clear, the frontier (queue and duplicate filter) that crawler "
        "processes share in Redis.",
    )
    parser.add_argument("action", choices=("status", "reset"))
    parser.add_argument("--redis", default=os.environ.get("NEWSBOT_REDIS_URL"),
                        help="Redis URL (default: NEWSBOT_REDIS_URL)")
    parser.add_argument("--spider", default="news")
    parser.add_argument("--frontier", default=os.environ.get("NEWSBOT_FRONTIER", ""),
                        help="the NEWSBOT_FRONTIER the crawls use (default: none)")
    parser.add_argument("--force", action="store_true",
                        help="reset even while workers are registered")
    args = parser.parse_args(argv)
    if not args.redis:
        parser.error("give --redis URL or set NEWSBOT_REDIS_URL")
    import redis

    server = redis.Redis.from_url(args.redis)
    prefix = key_prefix(args.spider, args.frontier)
    described = _describe(server, prefix)
    if args.action == "status":
        print(json.dumps(described, indent=1))
        return 0
    if described["workers"] and not args.force:
        print(f"newsbot frontier: {len(described['workers'])} workers are registered on "
              f"{prefix}; stop them first or use --force", file=sys.stderr)
        return 1
    server.delete(*(f"{prefix}:{name}" for name in (_QUEUE, _SEEN, _WORKERS, _ACTIVE,
                                                     _FINISHED)))
    print(f"cleared {prefix}: {described['queued']} queued requests, {described['seen']} "
          "seen fingerprints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
