"""``newsbot serve``: the web app on the configured database, read-only.

It listens on 127.0.0.1 unless told otherwise. Any other address needs an access token in
``NEWSBOT_WEB_TOKEN`` (at least 16 characters); with one, every request must carry it (see
:mod:`newsbot.web.guard`). On a loopback address without a token, only requests that name the
machine itself in their Host header are answered, which keeps pages on other sites from reaching
the app through DNS rebinding.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TOKEN_ENV = "NEWSBOT_WEB_TOKEN"
MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address to bind) is this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot serve",
        description="Serve the search pages and the JSON API on the database, read-only.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help=f"address to listen on (default 127.0.0.1; others need {TOKEN_ENV})")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--db", help="database URL (default: NEWSBOT_DATABASE_URL or "
                                     "sqlite:///data/newsbot.db)")
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(args.host) and not token:
        print(f"newsbot serve: refusing to listen on {args.host} without an access token: set "
              f"{TOKEN_ENV} (e.g. to the output of `python -c 'import secrets; "
              f"print(secrets.token_urlsafe(32))'`), or use --host 127.0.0.1", file=sys.stderr)
        return 2
    if token and len(token) < MIN_TOKEN_CHARS:
        print(f"newsbot serve: {TOKEN_ENV} is too short (at least {MIN_TOKEN_CHARS} characters)",
              file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print(f"newsbot serve: no such port: {args.port}", file=sys.stderr)
        return 2

    import uvicorn

    from newsbot.web.app import create_app, default_database_url
    from newsbot.web.db import DatabaseUnavailable, check
    from newsbot.web.guard import LOOPBACK_HOSTS

    url = args.db or default_database_url()
    allowed = None if token else [*LOOPBACK_HOSTS, args.host.strip("[]").lower()]
    try:
        app = create_app(url, token, allowed_hosts=allowed)
        check(app.state.engine)
    except DatabaseUnavailable as error:
        print(f"newsbot serve: {error}", file=sys.stderr)
        return 1
    shown = "[" + args.host + "]" if ":" in args.host else args.host
    print(f"newsbot: serving {app.state.database} read-only at http://{shown}:{args.port}/"
          + (" (token required)" if token else ""), file=sys.stderr, flush=True)
    uvicorn.run(
        app,
        host=args.host.strip("[]"),
        port=args.port,
        log_level=args.log_level,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
    return 0


@contextmanager
def running(app: Any, host: str = "127.0.0.1", **config: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread on a free port; yield its base URL.

    For tests, benchmarks and screenshots: ``with running(create_app(url)) as base: ...``.
    """
    import uvicorn

    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that say it, and
    # without it Nagle's algorithm adds 40 ms to every response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    options = {"log_level": "warning", "server_header": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
