"""Helpers for real-browser tests: the app served on 127.0.0.1 in a thread,
Debian's Chromium driven by Playwright (never `playwright install`) with a
fake microphone that plays a WAV, and screenshots saved as test artefacts
(to $VOICECOACH_ARTIFACTS or tests/artifacts/)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def artifacts(sub: str = "") -> Path:
    out = Path(os.environ.get("VOICECOACH_ARTIFACTS") or ROOT / "tests" / "artifacts") / sub
    out.mkdir(parents=True, exist_ok=True)
    return out


def shot(page, name: str, sub: str = "practice", full_page: bool = True) -> Path:
    path = artifacts(sub) / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@contextlib.contextmanager
def serve(core=None, token: str = "browser-test-token"):
    """Serve the app (``core``: an App, by default built from the environment,
    so VOICECOACH_HOME decides where data goes) on a free port in a thread.
    Yields (base URL, core); the URL to open first is f"{base}/?token={token}"."""
    import uvicorn

    from voicecoach.core.app import App
    from voicecoach.web.server import allowed_hosts, bind, create_app

    core = core or App.from_flags()
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(core, token, allowed_hosts("127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", core
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def chromium_args(fake_audio: Path | None = None, deny_mic: bool = False) -> list[str]:
    args = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
    if deny_mic:
        args += ["--deny-permission-prompts", "--use-fake-device-for-media-stream"]
    else:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
        if fake_audio is not None:
            args.append(f"--use-file-for-fake-audio-capture={Path(fake_audio).resolve()}")
    return args


@contextlib.contextmanager
def chromium(fake_audio: Path | None = None, deny_mic: bool = False):
    """A headless Chromium (Debian's) whose microphone plays ``fake_audio``
    (looped), or that refuses the microphone (``deny_mic``)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=chromium_args(fake_audio, deny_mic))
        try:
            yield browser
        finally:
            browser.close()


def open_app(browser, base: str, token: str = "browser-test-token", width: int = 1280, height: int = 900):
    """A page logged in with this run's token (the link `voicecoach serve` prints)."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.goto(f"{base}/?token={token}")
    return page


def load_ms(page) -> float:
    """The page's load time (navigation start to the load event), in ms."""
    return page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; }")


def fake_core():
    """An app with fake engines (a fixed transcript, a silent voice, the
    offline judge on hashed embeddings): the socket's plumbing, fast."""
    from voicecoach.core.app import App
    from voicecoach.engines.embed import HashEmbedder
    from voicecoach.judge.offline import OfflineJudge
    from voicecoach.core.coach import Engines, Lazy
    from voicecoach.engines.stt import FakeTranscriber
    from voicecoach.engines.tts import FakeSynthesizer

    core = App.from_flags()
    core._engines = Engines(synthesizer=Lazy(FakeSynthesizer), transcriber=Lazy(lambda: FakeTranscriber("An answer.")),
                            judge=Lazy(lambda: OfflineJudge(HashEmbedder())), turn=None)
    return core


def run_fake_server(port_file: str, token: str = "browser-test-token") -> None:
    """Serve ``fake_core()`` until killed; the port is written to ``port_file``
    (for tests that stop the server process mid-answer)."""
    import uvicorn

    from voicecoach.web.server import allowed_hosts, bind, create_app

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(fake_core(), token, allowed_hosts("127.0.0.1", port))
    Path(port_file).write_text(str(port))
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="websockets-sansio")).run(sockets=[sock])
