"""Who may talk to the local server: the browser that opened the link
`voicecoach serve` printed, and no other site.

- Every request needs this run's random token: in the URL once (then a
  cookie, HttpOnly and SameSite=Strict, and a redirect to the clean URL).
- The Host header must name this server (DNS rebinding: a hostile name that
  resolves to 127.0.0.1 carries its own Host).
- A request that changes something, and every WebSocket, must come from this
  server's own origin (another site open in the same browser cannot drive
  the app or read recordings).
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

COOKIE = "voicecoach_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


class Guard:
    """ASGI middleware: token, Host and Origin checks for HTTP and WebSocket."""

    def __init__(self, app, token: str, hosts: set[str]) -> None:
        self.app = app
        self.token = token
        self.hosts = {h.lower() for h in hosts}  # "127.0.0.1:8765", "localhost:8765"

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return await self._deny(scope, receive, send, 421, "This server answers only to its own address (wrong Host header).")
        origin = headers.get("origin")
        own = {f"http://{h}" for h in self.hosts}
        if origin is not None and origin.lower() not in own:
            return await self._deny(scope, receive, send, 403, "Requests from other sites are refused.")
        if scope["type"] == "websocket" and origin is None:
            return await self._deny(scope, receive, send, 403, "A WebSocket must come from the app's own page.")
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and origin is None and not _same_site_referer(headers, own):
            return await self._deny(scope, receive, send, 403, "Changes must come from the app's own page.")
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            cookie = SimpleCookie()
        has_cookie = COOKIE in cookie and _same(cookie[COOKIE].value, self.token)
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        query = dict(pairs)
        if scope["type"] == "http" and "token" in query:
            if not _same(query["token"], self.token):
                return await self._deny(scope, receive, send, 403, "This link's token is not this server's. Open the link that voicecoach serve printed in its terminal.")
            rest = urlencode([(k, v) for k, v in pairs if k != "token"])
            location = scope["path"] + (f"?{rest}" if rest else "")
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", location.encode("latin-1")),
                (b"set-cookie", f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0")]})
            return await send({"type": "http.response.body", "body": b""})
        if not has_cookie:
            return await self._deny(scope, receive, send, 403, "Open the link that voicecoach serve printed in its terminal: it carries this run's token.")
        return await self.app(scope, receive, send)

    async def _deny(self, scope, receive, send, status: int, message: str):
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            return await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        body = _page(status, message).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _same_site_referer(headers: dict, own: set[str]) -> bool:
    ref = headers.get("referer", "").lower()
    return any(ref == o or ref.startswith(o + "/") for o in own)


def _page(status: int, message: str) -> str:
    from html import escape

    return (f"<!doctype html><meta charset=utf-8><title>voicecoach: {status}</title>"
            f"<body style='font-family:sans-serif;max-width:40rem;margin:3rem auto'>"
            f"<h1>voicecoach</h1><p>{escape(message)}</p></body>")
