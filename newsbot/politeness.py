"""Politeness: say who the crawler is, with a URL where the site's owner can reach its operator.

The user agent is ``newsbot/<major.minor> (+NEWSBOT_CONTACT_URL)``. ``settings.py`` builds it
from the default contact URL; the :class:`ContactUserAgent` add-on builds it again when
``NEWSBOT_CONTACT_URL`` is given with a higher priority than ``USER_AGENT`` (``-s
NEWSBOT_CONTACT_URL=https://example.org/crawler``), so that a contact URL set on the command
line, in scrapyd or in a cron line reaches the user agent, and ``-s USER_AGENT=...`` still wins.
The other politeness settings (robots.txt, AutoThrottle, per-domain concurrency) are plain Scrapy
settings in ``newsbot/settings.py``.
"""

from __future__ import annotations

from typing import Any

from newsbot import __version__


def user_agent(contact_url: str) -> str:
    """``newsbot/<major.minor> (+contact_url)``."""
    return f"newsbot/{'.'.join(__version__.split('.')[:2])} (+{contact_url})"


class ContactUserAgent:
    """Add-on: ``USER_AGENT`` follows ``NEWSBOT_CONTACT_URL`` unless it was set itself."""

    def update_settings(self, settings: Any) -> None:
        contact = settings.get("NEWSBOT_CONTACT_URL")
        priority = settings.getpriority("NEWSBOT_CONTACT_URL")
        if contact and priority is not None and priority > (
            settings.getpriority("USER_AGENT") or 0
        ):
            settings.set("USER_AGENT", user_agent(contact), priority=priority)
