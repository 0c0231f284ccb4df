"""The web app for analysts: search, read and compare articles in the browser (``newsbot serve``).

Needs the ``web`` extra (FastAPI, Jinja2, uvicorn). :func:`create_app` builds the ASGI app.
"""

from newsbot.web.app import create_app

__all__ = ["create_app"]
