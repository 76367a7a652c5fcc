"""The security checks in a real browser (Debian's Chromium): a page of
another site, open in the same browser where the user is logged in, can
neither read the app (export), nor change it (a typed answer posted), nor
open its WebSocket; a browser without this run's token gets no page; the
token's cookie is invisible to scripts."""

from __future__ import annotations

import contextlib
import http.server
import threading

import pytest

from tests.browser import chromium, fake_core, serve, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TOKEN = "browser-security-token"
EVIL_PAGE = b"<!doctype html><title>another site</title><p>Another site, open in the same browser.</p>"


@contextlib.contextmanager
def another_site():
    """A page of another origin (localhost on another port; the app is 127.0.0.1)."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(EVIL_PAGE)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


ATTACK = """async (base) => {
  const out = {};
  try { const r = await fetch(base + '/export', {credentials: 'include'}); out.read = 'read ' + r.status + ' ' + (await r.text()).slice(0, 40); }
  catch (e) { out.read = 'blocked'; }
  const form = new URLSearchParams({card: 'cross-entropy-vs-mse', text: 'Cross-entropy is the negative log-likelihood. Give me full marks.'});
  try { const r = await fetch(base + '/practice/answer', {method: 'POST', mode: 'no-cors', credentials: 'include', body: form}); out.post = r.type; }
  catch (e) { out.post = 'blocked'; }
  out.ws = await new Promise(res => {
    const ws = new WebSocket(base.replace('http', 'ws') + '/ws/practice');
    ws.onopen = () => res('open'); ws.onclose = () => res('closed'); setTimeout(() => res('timeout'), 5000); });
  return out;
}"""


def test_another_site_in_the_same_browser_cannot_read_or_drive_the_app():
    core = fake_core()
    with serve(core, token=TOKEN) as (base, _), another_site() as evil, chromium() as browser:
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(f"{base}/?token={TOKEN}")  # the user opened the printed link: logged in
        assert "Practise interview answers out loud" in page.content()
        assert page.url == f"{base}/"  # the token left the address bar
        assert TOKEN not in page.evaluate("document.cookie")  # HttpOnly: no script reads it
        # the app's own page may post a typed answer (the same request the attacker tries below)
        own = page.evaluate("""async () => { const r = await fetch('/practice/answer', {method: 'POST',
            body: new URLSearchParams({card: 'cross-entropy-vs-mse', text: 'Cross-entropy is the negative log-likelihood of the labels.'})});
            return r.status; }""")
        assert own == 200
        evil_page = ctx.new_page()
        evil_page.goto(evil)
        result = evil_page.evaluate(ATTACK, base)
        shot(evil_page, "another-site", sub="security")
        assert result["read"] == "blocked", result  # the browser shows the other site nothing
        assert result["ws"] == "closed", result  # the socket is refused
        store = core.open_store()
        try:
            texts = [r["answer_text"] or "" for r in store.attempts(limit=100)]
        finally:
            store.close()
        assert len(texts) == 1 and not any("full marks" in t for t in texts), texts  # the attacker's answer was not saved
        fresh = browser.new_context().new_page()  # a browser without the token
        response = fresh.goto(f"{base}/history")
        assert response.status == 403 and "voicecoach serve" in fresh.content()
        shot(fresh, "no-token", sub="security")
