"""The practice pages without a browser: the typed path, the audio route (by
attempt id only), and the practice socket driven by a fake page (frames of
real speech in, events out) with fake engines."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from starlette.testclient import TestClient

from tests.conftest import ROOT
from voicecoach.core.app import App
from voicecoach.engines.embed import HashEmbedder
from voicecoach.judge.offline import OfflineJudge
from voicecoach.core.coach import Engines, Lazy
from voicecoach.engines.stt import FakeTranscriber
from voicecoach.engines.tts import FakeSynthesizer
from voicecoach.web.security import COOKIE
from voicecoach.web.server import create_app

TOKEN = "t0ken-of-this-run"
ORIGIN = {"origin": "http://testserver"}
ANSWER = "Cross entropy compares the predicted probabilities with the true labels and punishes confident mistakes."


@pytest.fixture
def core(monkeypatch):
    monkeypatch.setenv("VOICECOACH_END_SILENCE", "1.0")
    monkeypatch.setenv("VOICECOACH_BARGE_IN", "off")
    app = App.from_flags()
    app._engines = Engines(synthesizer=Lazy(FakeSynthesizer), transcriber=Lazy(lambda: FakeTranscriber(ANSWER)),
                           judge=Lazy(lambda: OfflineJudge(HashEmbedder())), turn=None)
    return app


@pytest.fixture
def client(core):
    with TestClient(create_app(core, TOKEN, {"testserver"}), base_url="http://testserver", follow_redirects=False) as c:
        c.cookies.set(COOKIE, TOKEN)
        yield c
    # a spoken session's worker may still be finishing (it holds the one microphone slot)
    from voicecoach.web.practice_socket import MIC_LOCK

    end = time.monotonic() + 60
    while MIC_LOCK.locked() and time.monotonic() < end:
        time.sleep(0.1)


def a_card(core):
    return next(c for c in core.bank.cards.values() if not c.is_behavioral)


def speech_frames(tmp_path, seconds_silence: float = 6.0) -> list[bytes]:
    """A spoken sentence (espeak-ng) then silence, as the page sends it:
    100 ms frames of 16 kHz int16."""
    from tests.conftest import espeak_wav
    import soundfile as sf

    wav = espeak_wav("I would use cross entropy because it punishes confident mistakes.", tmp_path / "a.wav",
                     lead_s=0.3, tail_s=seconds_silence)
    audio, _ = sf.read(str(wav), dtype="int16")
    return [audio[i:i + 1600].tobytes() for i in range(0, len(audio), 1600)]


# ------------------------------------------------------------------- pages


def test_practice_page_lists_filters_and_the_interview_form(client, core):
    r = client.get("/practice")
    assert r.status_code == 200
    assert "Random question" in r.text and "Start an interview" in r.text and "Review queue" in r.text
    card = a_card(core)
    r = client.get("/practice", params={"difficulty": card.difficulty, "category": card.category})
    assert card.title in r.text


def test_random_question_redirects_to_a_question_page(client):
    r = client.get("/practice/random")
    assert r.status_code == 303 and r.headers["location"].startswith("/practice/q/")
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "Answer out loud" in page.text and "Type your answer" in page.text
    assert client.get("/practice/random", params={"search": "zzzz-no-such-words"}).status_code == 404


def test_unknown_question_is_a_page_not_a_traceback(client):
    r = client.get("/practice/q/no-such-card")
    assert r.status_code == 404 and "no such question" in r.text and "Traceback" not in r.text


def test_interview_page_draws_n_cards(client):
    r = client.get("/practice/interview", params={"n": 2, "persona": "tough"})
    assert r.status_code == 200 and "tough interviewer" in r.text and "2 questions" in r.text


# ------------------------------------------------------------------ typed


def test_typed_answer_is_scored_saved_and_rendered(client, core):
    card = a_card(core)
    r = client.post("/practice/answer", data={"card": card.id, "text": ANSWER}, headers=ORIGIN)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["attempt_id"] and "Key points" in data["html"] and "vc-result" in data["html"]
    assert data["summary_url"] == f"/practice/summary/{data['attempt_id']}.wav"
    store = core.open_store()
    assert store.latest_result(data["attempt_id"]).transcript.text == ANSWER
    store.close()
    wav = client.get(data["summary_url"])
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
    # a typed answer has no audio
    assert client.get(f"/audio/{data['attempt_id']}").status_code == 404


def test_typed_answer_errors_are_sentences(client, core):
    assert client.post("/practice/answer", data={"card": a_card(core).id, "text": "  "}, headers=ORIGIN).json()["error"] == "The answer is empty."
    r = client.post("/practice/answer", data={"card": "nope", "text": "x"}, headers=ORIGIN)
    assert r.status_code == 404 and "no such question" in r.json()["error"]
    # another site cannot post an answer
    assert client.post("/practice/answer", data={"card": a_card(core).id, "text": ANSWER},
                       headers={"origin": "http://attacker.example"}).status_code == 403


def test_question_is_spoken_as_wav(client, core):
    r = client.get(f"/practice/question/{a_card(core).id}.wav")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content[:4] == b"RIFF"
    assert core.engines.synthesizer.get().spoken == [a_card(core).title]
    assert client.get("/practice/question/nope.wav").status_code == 404


# ------------------------------------------------------------ audio by id


def test_audio_is_served_by_attempt_id_only(client, core, tmp_path):
    from voicecoach.engines.audiofile import write_wav

    store = core.open_store()
    session = store.new_session("practice")
    attempt_id, path = store.new_attempt(session, a_card(core), "microphone")
    write_wav(path, np.zeros(1600, np.float32))
    store.close()
    r = client.get(f"/audio/{attempt_id}")
    assert r.status_code == 200 and r.content[:4] == b"RIFF" and r.headers["content-type"] == "audio/wav"
    assert client.get("/audio/unknown-id").status_code == 404
    # no path ever reaches the file system
    assert client.get("/audio/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get(f"/audio/{path}").status_code == 404


def test_audio_outside_the_audio_folder_is_never_served(client, core, tmp_path):
    store = core.open_store()
    attempt_id, _ = store.new_attempt(store.new_session("practice"), a_card(core), "microphone")
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF....")
    store._conn.execute("UPDATE attempts SET audio_path=? WHERE id=?", (str(secret), attempt_id))
    store._conn.commit()
    store.close()
    assert client.get(f"/audio/{attempt_id}").status_code == 404


# ----------------------------------------------------------------- socket


class FakePage:
    """Plays the page's part on the socket: reports sounds as played, sends
    the microphone's frames when listening starts."""

    def __init__(self, ws, frames: list[bytes], hang_up_after: int | None = None) -> None:
        self.ws, self.frames, self.hang_up_after = ws, frames, hang_up_after
        self.events: list[dict] = []

    def run(self, until: str = "done", limit: int = 2000) -> list[dict]:
        for _ in range(limit):
            ev = json.loads(self.ws.receive_text())
            self.events.append(ev)
            if ev["type"] == "play":
                self.ws.send_text(json.dumps({"type": "ended", "id": ev["id"]}))
            elif ev["type"] == "listening" and ev["on"]:
                for i, f in enumerate(self.frames):
                    if self.hang_up_after is not None and i == self.hang_up_after:
                        return self.events
                    self.ws.send_bytes(f)
            elif ev["type"] == "between":
                self.ws.send_text(json.dumps({"type": "command", "command": "next"}))
            if ev["type"] in (until, "error", "busy"):
                return self.events
        raise AssertionError("no end")


def kinds(events):
    return [e["type"] for e in events]


def test_a_spoken_answer_over_the_socket(client, core, tmp_path):
    card = a_card(core)
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "mode": "single", "card": card.id, "answer": "voice"}))
        events = FakePage(ws, speech_frames(tmp_path)).run()
    k = kinds(events)
    assert "error" not in k, [e for e in events if e["type"] == "error"]
    assert k.index("card") < k.index("play") < k.index("listening") < k.index("result") < k.index("done")
    assert any(e["type"] == "tick" for e in events)
    assert any(e["type"] == "partial" and "cross entropy" in e["text"].lower() for e in events)  # the live transcript
    result = next(e for e in events if e["type"] == "result")
    assert "Key points" in result["html"] and f'/audio/{result["attempt_id"]}' in result["html"]
    played = [e for e in events if e["type"] == "play"]
    assert len(played) >= 2  # the question (with its start tone) and the spoken summary
    assert client.get(played[0]["url"]).content[:4] == b"RIFF"
    audio = client.get(f"/audio/{result['attempt_id']}")
    assert audio.status_code == 200 and len(audio.content) > 16000 * 2  # over a second of the answer
    store = core.open_store()
    assert store.attempt(result["attempt_id"])["status"] == "scored"
    store.close()


def test_im_done_button_stops_the_answer(client, core, tmp_path):
    card = a_card(core)
    frames = speech_frames(tmp_path, seconds_silence=0.0)[:20]  # 2 s of speech, no end
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "mode": "single", "card": card.id, "answer": "voice"}))
        page = FakePage(ws, frames)
        page.run(until="listening")
        for f in frames:
            ws.send_bytes(f)
        ws.send_text(json.dumps({"type": "stop"}))
        events = page.run()
    result = next(e for e in events if e["type"] == "result")
    store = core.open_store()
    assert store.latest_result(result["attempt_id"]).stop_reason == "stopped"
    store.close()


def _wait_status(core, wanted: str, timeout: float = 10.0):
    """The latest spoken attempt, once its status is ``wanted``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        store = core.open_store()
        rows = [r for r in store.attempts(limit=5) if r["answer_source"] == "microphone"]
        store.close()
        if rows and rows[0]["status"] == wanted:
            return rows[0]
        time.sleep(0.1)
    raise AssertionError(f"no attempt became {wanted}: {[dict(r) for r in rows]}")


def test_tab_closed_mid_answer_keeps_the_audio_as_incomplete(client, core, tmp_path):
    import soundfile as sf

    card = a_card(core)
    frames = speech_frames(tmp_path)
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "mode": "single", "card": card.id, "answer": "voice"}))
        FakePage(ws, frames, hang_up_after=15).run(until="never")
        time.sleep(0.5)  # the frames reach the recorder
    row = _wait_status(core, "incomplete")
    audio, rate = sf.read(row["audio_path"], dtype="float32")
    assert rate == 16000 and len(audio) >= 14 * 1600  # what was received is on disk
    assert row["duration_s"] is not None and row["duration_s"] >= 1.4


def test_a_second_spoken_tab_is_told_why_not(client, core, tmp_path):
    card = a_card(core)
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as first:
        first.send_text(json.dumps({"type": "start", "mode": "single", "card": card.id, "answer": "voice"}))
        FakePage(first, []).run(until="listening")
        with client.websocket_connect("/ws/practice", headers=ORIGIN) as second:
            second.send_text(json.dumps({"type": "start", "mode": "single", "card": card.id, "answer": "voice"}))
            ev = json.loads(second.receive_text())
            assert ev["type"] == "busy" and "Another tab" in ev["message"] and "type your answer" in ev["message"]
        # typing works in the second tab meanwhile
        r = client.post("/practice/answer", data={"card": card.id, "text": ANSWER}, headers=ORIGIN)
        assert r.status_code == 200
        first.send_text(json.dumps({"type": "stop"}))
    # once the first tab is gone, a new spoken session may start
    _wait_status(core, "incomplete")
    from voicecoach.web.practice_socket import MIC_LOCK

    end = time.monotonic() + 10
    while MIC_LOCK.locked() and time.monotonic() < end:
        time.sleep(0.1)
    assert not MIC_LOCK.locked()


def test_bad_start_and_unknown_card_are_sentences(client):
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text("not json")
        ev = json.loads(ws.receive_text())
        assert ev["type"] == "error" and "Traceback" not in ev["message"]
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "mode": "single", "card": "nope", "answer": "voice"}))
        ev = json.loads(ws.receive_text())
        assert ev["type"] == "error" and "no such question" in ev["message"].lower()


def test_an_unexpected_failure_reaches_the_page_as_a_sentence(client, core, tmp_path):
    def broken():
        raise RuntimeError("boom inside the judge")

    core._engines.judge = Lazy(broken)
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "mode": "interview", "cards": [a_card(core).id], "answer": "text"}))
        events = FakePage(ws, []).run(until="ask_text")
        ws.send_text(json.dumps({"type": "answer_text", "text": ANSWER}))
        events = FakePage(ws, []).run(until="error")
    err = events[-1]
    assert err["type"] == "error" and "RuntimeError" in err["message"] and "boom" not in err["message"]


def test_typed_interview_with_a_follow_up(client, core):
    cards = [c.id for c in core.bank.cards.values() if not c.is_behavioral][:2]
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "mode": "interview", "cards": cards, "answer": "text", "persona": "friendly"}))
        page = FakePage(ws, [])
        asked = []
        for _ in range(4):  # question 1, its follow-up, question 2, its follow-up
            ev = page.run(until="ask_text")[-1]
            assert ev["type"] == "ask_text", page.events[-3:]
            asked.append(ev["prompt"])
            ws.send_text(json.dumps({"type": "answer_text", "text": "It compares probabilities."}))
        events = page.run()
    assert asked[0] == core.bank.cards[cards[0]].title and asked[2] == core.bank.cards[cards[1]].title
    assert "Can you" in asked[1] or "could you" in asked[1].lower()  # the follow-up
    k = kinds(events)
    assert k.count("result") >= 4 and "between" in k and k[-1] == "done"
    intro = next(e["text"] for e in events if e["type"] == "interviewer")
    assert "Hi, thanks for joining" in intro and "Score my answer" in intro and "empty line" not in intro  # the page's words
    assert not any("empty line" in s for s in core.engines.synthesizer.get().spoken)
    assert any(e["type"] == "info" and e.get("link") == "/history" for e in events)


def test_server_killed_mid_answer_loses_nothing_received(tmp_path, isolated_home):
    """The server process dies (SIGKILL) while the candidate speaks: the WAV
    on disk holds every frame the server had received."""
    import os
    import signal
    import subprocess
    import sys

    import soundfile as sf
    from websockets.sync.client import connect

    port_file = tmp_path / "port"
    env = {**os.environ, "VOICECOACH_HOME": str(isolated_home), "VOICECOACH_BARGE_IN": "off", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", f"from tests.browser import run_fake_server; run_fake_server({str(port_file)!r})"],
                            env=env, cwd=ROOT)
    try:
        end = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text()) and time.monotonic() < end:
            time.sleep(0.1)
        port = int(port_file.read_text())
        frames = speech_frames(tmp_path, seconds_silence=0.0)[:25]
        with connect(f"ws://127.0.0.1:{port}/ws/practice", origin=f"http://127.0.0.1:{port}",
                     additional_headers={"Cookie": f"{COOKIE}=browser-test-token"}) as ws:
            ws.send(json.dumps({"type": "start", "mode": "single", "card": "cross-entropy-vs-mse", "answer": "voice"}))
            while True:
                ev = json.loads(ws.recv(timeout=60))
                if ev["type"] == "play":
                    ws.send(json.dumps({"type": "ended", "id": ev["id"]}))
                if ev["type"] == "listening" and ev["on"]:
                    break
            for f in frames:
                ws.send(f)
            # wait until the server has the frames (the ticks report the audio it holds)
            while True:
                ev = json.loads(ws.recv(timeout=30))
                if ev["type"] == "tick" and ev["elapsed"] >= len(frames) * 0.1 - 0.01:
                    break
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    wavs = list((isolated_home / "audio").glob("*.wav"))
    assert len(wavs) == 1
    audio, rate = sf.read(str(wavs[0]), dtype="int16")
    sent = np.frombuffer(b"".join(frames), dtype="<i2")
    assert rate == 16000 and len(audio) == len(sent) and np.array_equal(audio, sent)


def test_spoken_interview_with_a_follow_up(client, core, tmp_path):
    card = a_card(core)
    frames = speech_frames(tmp_path)
    with client.websocket_connect("/ws/practice", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "mode": "interview", "cards": [card.id], "answer": "voice", "persona": "tough",
                                 "follow_ups": 1}))
        events = FakePage(ws, frames).run()
    k = kinds(events)
    assert "error" not in k, [e for e in events if e["type"] == "error"]
    results = [e for e in events if e["type"] == "result"]
    assert len(results) == 3  # the answer, the follow-up answer, the card scored on both
    assert results[1]["parent_id"] == results[0]["attempt_id"] and results[1]["prompt"] != card.title
    assert k.count("listening") == 4  # on and off, twice
    said = [e["text"] for e in events if e["type"] == "interviewer"]
    assert said[0].startswith("1 question") and any(results[1]["prompt"] == s for s in said)
