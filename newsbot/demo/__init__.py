"""The bundled demo news site and the local HTTP server that serves it.

The site lives in ``site/``: article pages in several real-world layouts, a listing page, an
RSS feed, a sitemap index with a news sitemap, and robots.txt. ``manifest.json`` gives each
file's ``Content-Type`` (one page is served as windows-1256 with no charset in the header).
XML files carry ``{BASE}`` where the server's own address belongs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SITE_DIR = Path(__file__).with_name("site")
_GUESS = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}


class SiteServer:
    """Serve a folder on 127.0.0.1 in a background thread (``with SiteServer(dir) as s:``).

    ``overrides`` maps a path to ``(status, headers, body)`` for tests that need broken
    responses. Files are served as a static web server serves them: with an ``ETag`` (a hash of
    the body) and a ``Last-Modified`` (the file's time), and ``304 Not Modified`` to a
    conditional request they satisfy (``not_modified`` lists those paths). ``delay`` seconds
    are spent on each request before answering (a slow site), or on the paths a dict of delays
    names. ``requests`` lists every path asked for, in order; ``log`` the same with the
    request's headers.
    """

    def __init__(self, root: Path = SITE_DIR, host: str = "127.0.0.1", port: int = 0,
                 overrides: dict[str, tuple[int, dict[str, str], bytes]] | None = None,
                 delay: float | dict[str, float] = 0.0) -> None:
        self.root = Path(root)
        self.overrides = overrides or {}
        self.delay = delay
        self.requests: list[str] = []
        self.log: list[tuple[str, dict[str, str]]] = []
        self.not_modified: list[str] = []
        self._files: dict[str, tuple[tuple[int, int], tuple]] = {}
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @cached_property
    def manifest(self) -> dict[str, dict[str, str]]:
        path = self.root / "manifest.json"
        return json.loads(path.read_text("utf-8")).get("pages", {}) if path.exists() else {}

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _file(self, path: str, file: Path) -> tuple[bytes, str, dict[str, str], int]:
        """A file's body, type, validators and time; read again only when it changed."""
        stat = file.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._files.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        body = file.read_bytes()
        if file.suffix == ".xml":
            body = body.replace(b"{BASE}", self.base_url.encode())
        content_type = self.manifest.get(path, {}).get("content_type") or _GUESS.get(
            file.suffix, "application/octet-stream")
        mtime = int(stat.st_mtime)
        validators = {"ETag": f'"{hashlib.sha1(body).hexdigest()[:20]}"',
                      "Last-Modified": formatdate(mtime, usegmt=True)}
        self._files[path] = (key, (body, content_type, validators, mtime))
        return body, content_type, validators, mtime

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # persistent connections, as real servers keep

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                server.requests.append(path)  # list.append is atomic
                server.log.append((path, dict(self.headers.items())))
                delay = (server.delay.get(path, 0.0) if isinstance(server.delay, dict)
                         else server.delay)
                if delay:
                    time.sleep(delay)
                if path in server.overrides:
                    status, headers, body = server.overrides[path]
                    # A broken answer (a wrong Content-Length) ends with its connection.
                    self.close_connection = True
                    self._send(status, {**headers, "Connection": "close"}, body)
                    return
                if path.endswith("/"):
                    path += "index.html"
                file = (server.root / path.lstrip("/")).resolve()
                if server.root.resolve() not in file.parents or not file.is_file():
                    self._send(404, {"Content-Type": "text/html; charset=utf-8"},
                               b"<html><body><h1>404</h1></body></html>")
                    return
                body, content_type, validators, mtime = server._file(path, file)
                if self._fresh(validators["ETag"], mtime):
                    server.not_modified.append(path)
                    self._send(304, validators, b"")
                    return
                self._send(200, {"Content-Type": content_type, **validators}, body)

            def _fresh(self, etag: str, mtime: int) -> bool:
                """Whether the request's conditions say the client's copy is current."""
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match is not None:
                    return etag in (tag.strip() for tag in if_none_match.split(","))
                since = self.headers.get("If-Modified-Since")
                if since:
                    try:
                        return mtime <= parsedate_to_datetime(since).timestamp()
                    except (TypeError, ValueError):
                        return False
                return False

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304 and not any(k.lower() == "content-length" for k in headers):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def seed_urls(base_url: str) -> list[str]:
    """Where a crawl of the demo site starts: the listing, the feed and the sitemap."""
    return [f"{base_url}/", f"{base_url}/feed.xml", f"{base_url}/sitemap.xml"]
