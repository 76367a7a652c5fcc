"""The web app: routes from each page module behind the security guard, and
`run()` that serves it on 127.0.0.1 (a free port unless one is given)."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path
from typing import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from voicecoach.core.app import App
from voicecoach.errors import VoicecoachError
from voicecoach.web.security import Guard
from voicecoach.web.steps import step_link
from voicecoach.web.templating import render

HERE = Path(__file__).parent


async def home(request: Request):
    core: App = request.app.state.core
    return render(request, "home.html", cards=len(core.bank.cards), categories=sorted({c.category for c in core.bank.cards.values()}))


def create_app(core: App, token: str, hosts: set[str]):
    """The ASGI app (a Starlette app wrapped in the Guard)."""
    from voicecoach.web import cards, history, practice

    routes = [Route("/", home, name="home"), *practice.routes(), *history.routes(), *cards.routes(),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]

    async def voicecoach_error(request: Request, exc: VoicecoachError):
        text, href = step_link(exc.step)
        return render(request, "error.html", status_code=400, message=exc.message, hint=exc.hint, step_text=text, step_href=href)

    async def not_found(request: Request, exc):
        return render(request, "error.html", status_code=404, message="There is no such page.", hint="", step_text="", step_href="")

    app = Starlette(routes=routes, exception_handlers={VoicecoachError: voicecoach_error, 404: not_found})
    app.state.core = core
    app.state.token = token
    return Guard(app, token, hosts)


def allowed_hosts(host: str, port: int) -> set[str]:
    names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
    if host in ("0.0.0.0", "::"):
        names = {"127.0.0.1", "localhost", socket.gethostname()}
        try:
            names |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
        except OSError:
            pass
    return {f"{n}:{port}" for n in names}


def has_desktop() -> bool:
    """A graphical browser can open: not a Linux console or SSH session
    (where Python's webbrowser would start a text browser in the terminal)."""
    import os
    import sys

    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one, chosen without a race)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    return sock


def run(core: App, host: str = "127.0.0.1", port: int = 0, announce: Callable[[str], None] = print,
        open_browser: bool = True, token: str | None = None) -> None:
    """Serve until Ctrl-C. Prints the URL (with this run's token)."""
    import uvicorn

    sock = bind(host, port)
    port = sock.getsockname()[1]
    token = token or secrets.token_urlsafe(18)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/?token={token}"
    app = create_app(core, token, allowed_hosts(host, port))
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", ws_max_size=4 * 1024 * 1024,
                            timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    announce(url)
    if open_browser and has_desktop():
        import threading
        import webbrowser

        def show() -> None:
            try:
                webbrowser.open(url)
            except webbrowser.Error:
                pass  # the URL is printed

        threading.Timer(0.5, show).start()
    server.run(sockets=[sock])
