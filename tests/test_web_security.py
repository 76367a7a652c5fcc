"""The web app's guard: this run's token, the Host header and the Origin
(another site open in the same browser cannot drive the app or read it)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from voicecoach.core.app import App
from voicecoach.web.security import COOKIE
from voicecoach.web.server import allowed_hosts, create_app

TOKEN = "t0ken-of-this-run"


@pytest.fixture
def client():
    app = create_app(App.from_flags(), TOKEN, {"testserver", "127.0.0.1:8765"})
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def test_no_token_no_page(client):
    r = client.get("/")
    assert r.status_code == 403
    assert "voicecoach serve" in r.text  # says how to get in


def test_the_token_in_the_link_becomes_a_cookie_and_a_clean_url(client):
    r = client.get(f"/?token={TOKEN}")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert f"{COOKIE}={TOKEN}" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
    r = client.get("/")
    assert r.status_code == 200 and "Practise interview answers out loud" in r.text


def test_a_wrong_token_is_refused(client):
    assert client.get("/?token=guess").status_code == 403
    client.cookies.set(COOKIE, "guess")
    assert client.get("/").status_code == 403


def test_dns_rebinding_host_is_refused(client):
    client.cookies.set(COOKIE, TOKEN)
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"host": "attacker.example:8765"}).status_code == 421


def test_another_origin_cannot_change_anything(client):
    client.cookies.set(COOKIE, TOKEN)
    assert client.post("/", headers={"origin": "http://attacker.example"}).status_code == 403
    # no Origin and no same-site Referer on a change: refused too
    assert client.post("/").status_code == 403
    # the app's own origin passes the guard (the route then answers 405: no POST on /)
    assert client.post("/", headers={"origin": "http://testserver"}).status_code == 405


def test_websocket_needs_own_origin_and_token(client):
    from starlette.websockets import WebSocketDisconnect

    client.cookies.set(COOKIE, TOKEN)
    for headers in ({"origin": "http://attacker.example"}, {}):
        with pytest.raises(WebSocketDisconnect) as err:
            with client.websocket_connect("/ws/anything", headers=headers) as ws:
                ws.receive_text()
        assert err.value.code == 1008
    client.cookies.clear()
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws/anything", headers={"origin": "http://testserver"}) as ws:
            ws.receive_text()


def test_static_files_need_the_token_too(client):
    assert client.get("/static/style.css").status_code == 403
    client.cookies.set(COOKIE, TOKEN)
    assert client.get("/static/style.css").status_code == 200


def test_allowed_hosts():
    assert allowed_hosts("127.0.0.1", 5000) == {"127.0.0.1:5000", "localhost:5000"}
    assert "10.1.2.3:80" in allowed_hosts("10.1.2.3", 80) and "localhost:80" not in allowed_hosts("10.1.2.3", 80)


def test_serve_prints_the_url_and_serves(tmp_path):
    """The real command: a free port, the URL with the token, a page behind it."""
    import re
    import subprocess
    import time
    import urllib.request

    from tests.conftest import VOICECOACH

    proc = subprocess.Popen([VOICECOACH, "serve", "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
        assert m, line
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        for _ in range(50):
            try:
                page = opener.open(m.group(0), timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "Start practising" in page
    finally:
        proc.terminate()
        proc.wait(10)


def test_an_error_page_words_the_next_step_for_the_browser(client):
    """Errors carry their next step as data; the page offers a link, not a command line."""
    from voicecoach.errors import NoSpeechError, Step
    from voicecoach.web.steps import step_link

    text, href = step_link(Step("type_answer"))
    assert href.startswith("/practice") and "--" not in text
    assert step_link(Step("rescore", {"attempt_id": "a1"}))[1] == "/attempts/a1"
    assert step_link(None) == ("", "")
    assert NoSpeechError("x", step=Step("type_answer")).step.kind == "type_answer"
