"""The app's front door: the Host check, the access token and the security headers.

One pure ASGI middleware, so streamed exports pass through untouched.

With a token, every request except the packaged static files must carry it, in one of:

- ``Authorization: Bearer <token>`` (scripts, ``curl``);
- the ``newsbot_session`` cookie, which the app sets (``HttpOnly``, ``SameSite=Strict``) when a
  page is opened once with ``?token=<token>``; that request is redirected to the same URL
  without the token, so the token does not stay in the address bar or the history;
- ``?token=<token>`` on an API request.

Tokens are compared in constant time. The cookie holds an HMAC of the token, not the token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "newsbot_session"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Pages may show images from the articles' sites; everything else comes from the app itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: http: https:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_PUBLIC_PREFIX = "/static/"
_UNAUTHORIZED_PAGE = """<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>مطلوب رمز الدخول · newsbot</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="narrow"><h1>مطلوب رمز الدخول</h1>
<p>هذه النسخة من نيوزبوت محمية برمز. افتح الرابط الذي أعطاك إياه مسؤول النظام
(ينتهي بـ <code dir="ltr">?token=…</code>).</p>
<p lang="en" dir="ltr">This newsbot needs an access token: open the link with
<code>?token=…</code> you were given, or send <code>Authorization: Bearer …</code>.</p>
</main></body></html>
"""


def session_value(token: str) -> str:
    """The cookie value that stands for ``token``."""
    return hmac.new(token.encode("utf-8"), b"newsbot-web-session", hashlib.sha256).hexdigest()


def _same(given: str | None, expected: str) -> bool:
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def _host(header: str) -> str:
    """The host name of a Host header, without its port (IPv6 in brackets too)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """Check the Host header and the token; add the security headers to every response."""

    def __init__(
        self, app: ASGIApp, *, token: str | None = None, allowed_hosts: Iterable[str] | None = None
    ) -> None:
        self.app = app
        self.token = token or None
        self.session = session_value(token) if token else None
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope.get("path", "")
        host = _host(headers.get("host", ""))
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            await _plain(send, 400, "Bad Host header\n")
            return
        extra: list[tuple[bytes, bytes]] = list(_HEADERS)
        if self.token and not path.startswith(_PUBLIC_PREFIX):
            extra.append((b"cache-control", b"no-store"))
            verdict = self._authorize(scope, headers)
            if verdict == "redirect":
                await self._redirect_without_token(scope, send)
                return
            if verdict != "ok":
                await self._unauthorized(path, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in extra if k not in names),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _authorize(self, scope: Scope, headers: dict[str, str]) -> str:
        assert self.token is not None and self.session is not None
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and _same(credentials.strip(), self.token):
            return "ok"
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is no session
            cookie = SimpleCookie()
        if COOKIE in cookie and _same(cookie[COOKIE].value, self.session):
            return "ok"
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [value for name, value in query if name == "token"]
        if given and _same(given[-1], self.token):
            api = scope["path"].startswith("/api/") or scope["path"] == "/openapi.json"
            return "ok" if api or scope["method"] != "GET" else "redirect"
        return "denied"

    async def _redirect_without_token(self, scope: Scope, send: Send) -> None:
        assert self.session is not None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        rest = urlencode([(k, v) for k, v in query if k != "token"])
        location = scope["path"] + (f"?{rest}" if rest else "")
        cookie = f"{COOKIE}={self.session}; Path=/; HttpOnly; SameSite=Strict"
        await send({
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("latin-1", "replace")),
                (b"set-cookie", cookie.encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
                *_HEADERS,
            ],
        })
        await send({"type": "http.response.body", "body": b""})

    async def _unauthorized(self, path: str, send: Send) -> None:
        if path.startswith("/api/") or path == "/openapi.json":
            body = json.dumps({"detail": "a valid access token is required"}).encode()
            content_type = b"application/json"
        else:
            body = _UNAUTHORIZED_PAGE.encode()
            content_type = b"text/html; charset=utf-8"
        await send({
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="newsbot"'),
                (b"cache-control", b"no-store"),
                *_HEADERS,
            ],
        })
        await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *_HEADERS,
        ],
    })
    await send({"type": "http.response.body", "body": body})
