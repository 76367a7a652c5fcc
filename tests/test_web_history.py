"""The history pages of the web app over a real store, filled through the real
Coach with the offline judge (bag-of-words embedder, no model loaded):
filters, an attempt page, audio by id, compare, review, delete and export."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from tests.test_history import STRONG, WEAK
from tests.test_orchestration import fake_record, make_coach
from voicecoach.core.app import App
from voicecoach.core.coach import AnswerInput
from voicecoach.web.security import COOKIE
from voicecoach.web.server import create_app

TOKEN = "t0ken-of-this-run"
ORIGIN = {"origin": "http://testserver"}


def client_for() -> TestClient:
    app = create_app(App.from_flags(), TOKEN, {"testserver"})
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    c.cookies.set(COOKIE, TOKEN)
    return c


@pytest.fixture
def client(isolated_home):
    with client_for() as c:
        yield c


@pytest.fixture
def filled(tmp_path, isolated_home, bank, monkeypatch):
    """Two typed attempts at one card (weak, then strong), one at another card,
    and one spoken attempt (a fake microphone, a WAV saved) in a second session."""
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    coach, _, _ = make_coach(tmp_path, speak=False, record=fake_record(12))
    assert coach.settings.home == isolated_home
    sid = coach.store.new_session("practice")
    ce = bank.get("cross-entropy-vs-mse")
    weak = coach.attempt(ce, AnswerInput(text=WEAK), sid)
    strong = coach.attempt(ce, AnswerInput(text=STRONG), sid)
    other = coach.attempt(bank.get("mla-l1-vs-l2"), AnswerInput(text="Regularization adds a penalty."), sid)
    sid2 = coach.store.new_session("practice")
    spoken = coach.attempt(bank.get("mla-l1-vs-l2"), AnswerInput(), sid2)
    coach.store.close()
    return {"weak": weak, "strong": strong, "other": other, "spoken": spoken, "sessions": (sid, sid2)}


def test_empty_history_says_what_to_do(client):
    r = client.get("/history")
    assert r.status_code == 200
    assert "No attempts yet: practise a question" in r.text and 'href="/practice"' in r.text
    r = client.get("/review")
    assert r.status_code == 200 and "Nothing to review yet" in r.text
    r = client.get("/compare")
    assert r.status_code == 200 and "Nothing to compare yet" in r.text


def test_history_lists_attempts_with_charts_and_filters(filled, client):
    r = client.get("/history")
    assert r.status_code == 200
    for a in ("weak", "strong", "other", "spoken"):
        assert f'/attempts/{filled[a].attempt_id}"' in r.text
    assert "4 attempts" in r.text
    assert r.text.count('<svg class="chart"') == 1  # progress across attempts
    assert "By category" in r.text and 'class="spark"' in r.text
    assert "Key points you miss most" in r.text and 'class="strip"' in r.text

    r = client.get("/history", params={"card": "cross-entropy-vs-mse"})
    assert "2 attempts (filtered, of 4)" in r.text
    assert filled["other"].attempt_id not in r.text
    assert "Key points of this question" in r.text and "/practice/q/cross-entropy-vs-mse" in r.text
    r = client.get("/history", params={"category": "Machine Learning", "status": "scored"})
    assert "4 attempts (filtered, of 4)" in r.text
    r = client.get("/history", params={"status": "interrupted"})
    assert "No attempts match these filters" in r.text
    r = client.get("/history", params={"since": "2000-01-01", "until": "2000-12-31"})
    assert "No attempts match these filters" in r.text
    r = client.get("/history", params={"since": "yesterday"})
    assert "is not a date" in r.text and "4 attempts" in r.text  # a bad date is said and left out


def test_attempt_page_shows_transcript_feedback_and_links(filled, client):
    spoken = filled["spoken"]
    r = client.get(f"/attempts/{spoken.attempt_id}")
    assert r.status_code == 200
    assert f'src="/audio/{spoken.attempt_id}"' in r.text and "<audio" in r.text
    assert 'class="w"' in r.text and "data-start=" in r.text  # words in time: a click seeks
    assert "has-audio" in r.text and "Key point" in r.text
    assert str(filled["spoken"].scores.overall) in r.text
    assert spoken.audio_path not in r.text  # never a path
    # the strong typed attempt links to a compare with the weak one before it
    strong = filled["strong"]
    r = client.get(f"/attempts/{strong.attempt_id}")
    assert f"/compare?a={filled['weak'].attempt_id}&amp;b={strong.attempt_id}" in r.text
    assert "<audio" not in r.text  # a typed answer has no recording
    assert client.get("/attempts/a-no-such-attempt").status_code == 404


def test_audio_is_served_by_attempt_id_only(filled, client):
    spoken = filled["spoken"]
    r = client.get(f"/audio/{spoken.attempt_id}")  # the route is the practice pages'; the attempt page plays it
    assert r.status_code == 200 and r.content[:4] == b"RIFF"
    assert client.get("/audio/a-no-such-attempt").status_code == 404
    assert client.get(f"/audio/{filled['weak'].attempt_id}").status_code == 404  # typed: no recording
    for bad in ("../home/sessions.db", "..%2F..%2Fetc%2Fpasswd", spoken.audio_path.lstrip("/")):
        assert client.get(f"/audio/{bad}").status_code == 404


def test_compare_two_attempts(filled, client):
    weak, strong = filled["weak"], filled["strong"]
    r = client.get("/compare", params={"a": weak.attempt_id, "b": strong.attempt_id})
    assert r.status_code == 200
    assert "Gained" in r.text and "Lost" not in r.text
    change = strong.scores.overall - weak.scores.overall
    assert f"{change:+d}" in r.text
    # the order given does not matter: before is the older one
    r2 = client.get("/compare", params={"a": strong.attempt_id, "b": weak.attempt_id})
    assert f"{change:+d}" in r2.text
    r = client.get("/compare", params={"card": "cross-entropy-vs-mse"})
    assert r.status_code == 200 and "Gained" in r.text
    r = client.get("/compare")
    assert "/compare?card=cross-entropy-vs-mse" in r.text
    r = client.get("/compare", params={"a": weak.attempt_id, "b": filled["other"].attempt_id})
    assert r.status_code == 400 and "different questions" in r.text
    assert client.get("/compare", params={"card": "nothing-here"}).status_code == 400


def test_review_queue_links_to_practice(filled, client):
    r = client.get("/review")
    assert r.status_code == 200
    assert "/practice/q/mla-l1-vs-l2" in r.text and "Practise this" in r.text
    assert "/practice/interview?card=mla-l1-vs-l2&amp;card=cross-entropy-vs-mse" in r.text  # all of them, as an interview
    assert "key points covered" in r.text  # why it is due


def test_delete_needs_post_and_the_apps_origin(filled, client):
    weak = filled["weak"]
    url = f"/attempts/{weak.attempt_id}/delete"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403  # no Origin: refused by the guard
    assert client.post(url, headers={"origin": "http://attacker.example"}).status_code == 403
    assert client.get(f"/attempts/{weak.attempt_id}").status_code == 200  # still there
    r = client.post(url, headers=ORIGIN)
    assert r.status_code == 303 and r.headers["location"].startswith("/history?deleted=attempt")
    assert client.get(f"/attempts/{weak.attempt_id}").status_code == 404
    assert "Deleted the attempt" in client.get(r.headers["location"]).text
    assert client.post(url, headers=ORIGIN).status_code == 404


def test_delete_a_session_removes_its_recordings(filled, client, isolated_home):
    spoken = filled["spoken"]
    from pathlib import Path

    wav = Path(spoken.audio_path)
    assert wav.is_file()
    page = client.get(f"/attempts/{filled['weak'].attempt_id}").text
    sid, sid2 = filled["sessions"]
    assert f"/sessions/{sid}/delete" in page  # the first session has three attempts
    r = client.post(f"/sessions/{sid2}/delete", headers=ORIGIN)
    assert r.status_code == 303
    assert not wav.exists()
    assert client.get(f"/attempts/{spoken.attempt_id}").status_code == 404
    assert client.post("/sessions/s-nope/delete", headers=ORIGIN).status_code == 404


def test_export_downloads_everything_as_the_cli_does(filled, client):
    from tests.conftest import run_cli

    r = client.get("/export")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    data = json.loads(r.text)
    cli = json.loads(run_cli(["export"]).stdout)
    assert data == cli
    ids = {a["attempt_id"] for s in data["sessions"] for a in s["attempts"]}
    assert filled["spoken"].attempt_id in ids and len(ids) == 4


def test_pages_need_the_token(filled):
    with client_for() as c:
        c.cookies.clear()
        for url in ("/history", f"/attempts/{filled['weak'].attempt_id}", "/review", "/export", "/compare"):
            assert c.get(url).status_code == 403


def test_an_unscored_attempt_and_a_follow_up(filled, client, bank, isolated_home):
    """An answer interrupted before scoring is listed and shown (with what was
    typed); a follow-up answer's id leads to its attempt."""
    from voicecoach.core.app import App

    store = App.from_flags().open_store()
    try:
        sid = filled["sessions"][0]
        cut, _ = store.new_attempt(sid, bank.get("mla-l1-vs-l2"), "text")
        store.keep_text(cut, "L1 gives sparse weights and")
        store.mark(cut, "interrupted")
        follow, _ = store.new_attempt(sid, bank.get("cross-entropy-vs-mse"), "text", parent_id=filled["strong"].attempt_id, prompt="Why?")
    finally:
        store.close()
    r = client.get("/history", params={"status": "interrupted"})
    assert f"/attempts/{cut}" in r.text and "1 attempt (filtered, of 5)" in r.text
    r = client.get(f"/attempts/{cut}")
    assert r.status_code == 200 and "Not scored" in r.text and "L1 gives sparse weights and" in r.text
    r = client.get(f"/attempts/{follow}")
    assert r.status_code == 303 and r.headers["location"] == f"/attempts/{filled['strong'].attempt_id}"


def test_a_long_history_lists_the_latest_first_then_all(filled, client, monkeypatch):
    monkeypatch.setattr("voicecoach.web.history_data.SHOWN", 2)
    r = client.get("/history")
    assert "4 attempts" in r.text and r.text.count('class="nowrap"><a href="/attempts/') == 2
    assert "Show all 4 attempts" in r.text and "all=1" in r.text
    r = client.get("/history", params={"all": "1"})
    assert r.text.count('class="nowrap"><a href="/attempts/') == 4 and "Show all" not in r.text


def test_the_plan_filter(filled, client, bank):
    from voicecoach.core.app import App

    store = App.from_flags().open_store()
    try:
        sid = store.new_session("interview", plan="ml-engineer")
        aid, _ = store.new_attempt(sid, bank.get("cross-entropy-vs-mse"), "text")
        store.insert_result(filled["strong"].model_copy(update={"attempt_id": aid}), filled["strong"].created_at)
    finally:
        store.close()
    r = client.get("/history")
    assert '<option selected>ml-engineer</option>' not in r.text and "<option>ml-engineer</option>" in r.text
    r = client.get("/history", params={"plan": "ml-engineer"})
    assert "1 attempt (filtered, of 5)" in r.text and f"/attempts/{aid}" in r.text


def test_score_an_attempt_again(filled, tmp_path, isolated_home):
    """Rescore with the app's judge (here the test coach's offline judge): a
    new score is added, the earlier one kept and listed."""
    from voicecoach.core.app import App

    coach, _, _ = make_coach(tmp_path, speak=False)
    core = App.from_flags()
    core._engines = coach.engines  # the bag-of-words offline judge: no model to load
    coach.store.close()
    weak = filled["weak"].attempt_id
    with TestClient(create_app(core, TOKEN, {"testserver"}), base_url="http://testserver", follow_redirects=False) as c:
        c.cookies.set(COOKIE, TOKEN)
        assert c.post(f"/attempts/{weak}/rescore").status_code == 403  # the app's own origin only
        r = c.post(f"/attempts/{weak}/rescore", headers=ORIGIN)
        assert r.status_code == 303 and r.headers["location"] == f"/attempts/{weak}?rescored=1"
        page = c.get(r.headers["location"]).text
        assert "Scored again" in page and page.count("hash-bow") >= 2  # both scorings listed
        assert c.post("/attempts/a-nope/rescore", headers=ORIGIN).status_code == 404
    store = core.open_store()
    assert len(store.results(weak)) == 2
    store.close()
