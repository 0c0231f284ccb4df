"""The bundled demo news site and the local HTTP server that serves it.

The site lives in ``site/``: article pages in several real-world layouts, a listing page, an
RSS feed, a sitemap index with a news sitemap, and robots.txt. ``manifest.json`` gives each
file's ``Content-Type`` (one page is served as windows-1256 with no charset in the header).
XML files carry ``{BASE}`` where the server's own address belongs.
"""

from __future__ import annotations

import json
import threading
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
    responses.
    """

    def __init__(self, root: Path = SITE_DIR, host: str = "127.0.0.1", port: int = 0,
                 overrides: dict[str, tuple[int, dict[str, str], bytes]] | None = None) -> None:
        self.root = Path(root)
        self.overrides = overrides or {}
        self.requests: list[str] = []
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                server.requests.append(path)
                if path in server.overrides:
                    status, headers, body = server.overrides[path]
                    self._send(status, headers, body)
                    return
                if path.endswith("/"):
                    path += "index.html"
                file = (server.root / path.lstrip("/")).resolve()
                if server.root.resolve() not in file.parents or not file.is_file():
                    self._send(404, {"Content-Type": "text/html; charset=utf-8"},
                               b"<html><body><h1>404</h1></body></html>")
                    return
                body = file.read_bytes()
                if file.suffix == ".xml":
                    body = body.replace(b"{BASE}", server.base_url.encode())
                content_type = server.manifest.get(path, {}).get("content_type") or _GUESS.get(
                    file.suffix, "application/octet-stream")
                self._send(200, {"Content-Type": content_type}, body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if not any(k.lower() == "content-length" for k in headers):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def seed_urls(base_url: str) -> list[str]:
    """Where a crawl of the demo site starts: the listing, the feed and the sitemap."""
    return [f"{base_url}/", f"{base_url}/feed.xml", f"{base_url}/sitemap.xml"]
