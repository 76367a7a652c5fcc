"""The practice pages in a real browser: Debian's Chromium driven by
Playwright, with a fake microphone that plays a WAV made with the project's
own voice (pyttsx3/espeak-ng), and the real engines (Whisper tiny.en, Silero
VAD, Smart Turn, the offline judge). A whole spoken attempt, a typed
attempt, a typed interview with a follow-up, and a refused microphone; a
screenshot of every state goes to $VOICECOACH_ARTIFACTS or tests/artifacts/
(practice/), the measured times to practice/times.json."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from tests.browser import artifacts, chromium, load_ms, open_app, serve, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CARD = "cross-entropy-vs-mse"
ANSWER = ("For classification I use cross-entropy, because it is the negative log-likelihood of the labels. "
          "With a softmax output, the gradient on the logits is p minus y, "
          "so it stays large when a confident prediction is wrong. That's my answer.")


def record_times(**values) -> None:
    path = artifacts("practice") / "times.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(values)
    path.write_text(json.dumps(data, indent=1))


@pytest.fixture(scope="module")
def warm_core(tmp_path_factory):
    """One app with its engines loaded before the browser starts (so the fake
    microphone's timeline, which starts when the page opens it, is known)."""
    import os

    from voicecoach.core.app import App

    home = tmp_path_factory.mktemp("home")
    old = {k: os.environ.get(k) for k in ("VOICECOACH_HOME", "VOICECOACH_LOCAL_SERVERS", "VOICECOACH_TIMINGS_FILE")}
    os.environ.update(VOICECOACH_HOME=str(home), VOICECOACH_LOCAL_SERVERS="none",
                      VOICECOACH_TIMINGS_FILE=str(home / "timings.jsonl"))
    core = App.from_flags(offline=True)
    core.engines.ready(speak=True)
    core.engines.judge.get()
    yield core
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def core(warm_core, monkeypatch):
    # each test's own data (the autouse isolated_home moved VOICECOACH_HOME): the app keeps the module's
    monkeypatch.setenv("VOICECOACH_HOME", str(warm_core.settings.home))
    return warm_core


def answer_wav(core, path, lead_s: float, tail_s: float = 6.0, gap_s: float = 0.7):
    """The spoken answer in the interviewer's own voice (16 kHz mono), after
    ``lead_s`` of silence (the question plays meanwhile), a pause of
    ``gap_s`` after each sentence (as people pause: long enough for the live
    transcript, which updates at pauses of 0.6 s, short of the 1 s at which
    the end-of-turn model may end a finished sentence) and ``tail_s`` of
    silence (the end of the turn)."""
    import re

    import soundfile as sf

    from voicecoach.engines.audiofile import resample

    parts = [np.zeros(int(lead_s * 16000), np.float32)]
    for sentence in re.split(r"(?<=[.!?])\s+", ANSWER):
        samples, rate = core.engines.synthesizer.get().synthesize(sentence)
        speech = resample(np.asarray(samples, np.float32), rate, 16000)
        loud = np.flatnonzero(np.abs(speech) > 0.01)
        speech = speech[loud[0]:loud[-1] + 1]  # the voice's own silence trimmed: the gap is exact
        parts += [0.8 * speech, np.zeros(int(gap_s * 16000), np.float32)]
    parts.append(np.zeros(int(tail_s * 16000), np.float32))
    audio = np.concatenate(parts)
    sf.write(str(path), audio, 16000, subtype="PCM_16")
    return path


def question_seconds(core, text: str) -> float:
    from voicecoach.engines.tts import speakable

    samples, rate = core.engines.synthesizer.get().synthesize(speakable(text))
    return len(samples) / rate


def test_a_whole_spoken_attempt(core, tmp_path):
    card = core.bank.cards[CARD]
    lead = question_seconds(core, card.title) + 4.0  # the question, its tone, the socket and a margin
    wav = answer_wav(core, tmp_path / "answer.wav", lead_s=lead)
    with serve(core) as (base, _), chromium(fake_audio=wav) as browser:
        page = open_app(browser, base)
        page.goto(f"{base}/practice")
        record_times(practice_page_load_ms=round(load_ms(page)))
        shot(page, "01-choose")
        page.goto(f"{base}/practice/q/{CARD}")
        record_times(question_page_load_ms=round(load_ms(page)))
        shot(page, "02-question")
        page.click("#start-voice")
        page.wait_for_function("() => window.voicecoachTimes.play !== undefined", timeout=60000)
        shot(page, "03-question-spoken")
        page.wait_for_function("() => window.voicecoachTimes.listening_on !== undefined", timeout=60000)
        # the live transcript shows words (at the first pause; late on a busy machine)
        page.wait_for_function("() => window.voicecoachTimes.partial !== undefined || window.voicecoachTimes.result !== undefined",
                               timeout=240000)
        shot(page, "04-live-transcript")
        live = page.inner_text("#transcript").lower() if page.is_visible("#transcript") else ""
        page.wait_for_selector(".vc-result", timeout=420000)
        times = page.evaluate("() => window.voicecoachTimes")
        assert "partial" in times and times["partial"] < times["result"], times
        live = live or page.evaluate("() => document.getElementById('transcript').textContent").lower()
        assert "cross" in live or "entropy" in live or "classification" in live, live
        shot(page, "05-feedback")
        html = page.inner_html("#feedback")
        assert "covered" in html and "Key points" in html and "Spoken summary" in html
        attempt_id = page.get_attribute(".vc-result", "data-attempt")
        # the attempt is saved, with its audio
        store = core.open_store()
        row = store.attempt(attempt_id)
        assert row["status"] == "scored" and row["answer_source"] == "microphone"
        result = store.latest_result(attempt_id)
        store.close()
        assert "entropy" in result.transcript.text.lower()
        assert result.stop_reason in ("phrase", "silence")
        # its audio plays, from an evidence quote's moment
        quote = page.query_selector(".vc-result button.quote")
        assert quote is not None, "no evidence quote to click"
        quote.click()
        page.wait_for_function("() => { const a = document.querySelector('audio.attempt-audio'); return a && !a.paused && a.currentTime > 0; }",
                               timeout=15000)
        t = page.evaluate("() => document.querySelector('audio.attempt-audio').currentTime")
        assert t >= float(quote.get_attribute("data-t")) - 0.5
        page.wait_for_selector("#after:not([hidden])", timeout=60000)  # the spoken summary played, then done
        shot(page, "06-feedback-done")
    # From the end of the spoken answer to the feedback in the browser: the
    # end-of-turn wait (server: audio heard after the last speech) plus the
    # browser's time from "listening off" to the feedback's arrival.
    timing = [json.loads(line) for line in (core.settings.home / "timings.jsonl").read_text().splitlines()][-1]
    end_of_turn_s = timing["audio_s"] - timing["last_speech_s"]
    to_feedback_s = (times["result"] - times["listening_off"]) / 1000
    record_times(spoken_end_of_turn_s=round(end_of_turn_s, 2), spoken_listening_off_to_feedback_s=round(to_feedback_s, 2),
                 spoken_answer_end_to_feedback_s=round(end_of_turn_s + to_feedback_s, 2), end_reason=timing.get("end_reason"))
    import os

    record_times(load_average_1min=os.getloadavg()[0])  # the machine's load while measured (2 cores shared)
    assert end_of_turn_s + to_feedback_s < 420


def test_a_typed_attempt(core, tmp_path):
    with serve(core) as (base, _), chromium() as browser:
        page = open_app(browser, base)
        page.goto(f"{base}/practice/q/{CARD}")
        page.click("#start-text")
        page.fill("#answer-text", ANSWER.replace(" That's my answer.", ""))
        shot(page, "10-typed-answer")
        started = time.monotonic()
        page.click("#submit-text")
        page.wait_for_selector(".vc-result", timeout=60000)
        record_times(typed_submit_to_feedback_s=round(time.monotonic() - started, 2))
        assert "Delivery" in page.inner_text(".vc-result") and "not measured" in page.inner_text(".vc-result .scores")
        assert page.locator(".vc-result .kp-covered").count() >= 1
        shot(page, "11-typed-feedback")


def test_a_typed_interview_with_a_follow_up(core):
    with serve(core) as (base, _), chromium() as browser:
        page = open_app(browser, base)
        page.goto(f"{base}/practice/interview?card={CARD}&card=dl-overfit-small-batch&persona=friendly")
        shot(page, "20-interview-start")
        page.click("#start-text")
        page.wait_for_selector("#typed:not([hidden])", timeout=60000)
        assert page.inner_text("#typed-label") == core.bank.cards[CARD].title
        page.fill("#answer-text", "Cross-entropy is the negative log-likelihood of the labels, so it suits classification.")
        shot(page, "21-interview-first-question")
        page.click("#submit-text")
        # the follow-up asks about a point the answer missed
        page.wait_for_function("() => !document.getElementById('typed').hidden && document.getElementById('typed-label').textContent !== "
                               + json.dumps(core.bank.cards[CARD].title), timeout=60000)
        follow_up = page.inner_text("#typed-label")
        assert "?" in follow_up and follow_up != core.bank.cards[CARD].title
        shot(page, "22-interview-follow-up")
        page.fill("#answer-text", "With a softmax output the gradient on the logits is p minus y, large when a confident prediction is wrong.")
        page.click("#submit-text")
        page.wait_for_selector("#between:not([hidden])", timeout=60000)
        assert page.locator(".vc-result").count() >= 2
        shot(page, "23-interview-between")
        page.click("#between [data-command=stop]")
        page.wait_for_selector("#after:not([hidden])", timeout=60000)
        assert "interview is saved" in page.inner_text("#dialogue")
        shot(page, "24-interview-done")


def test_microphone_refused_offers_typing(core):
    with serve(core) as (base, _), chromium(deny_mic=True) as browser:
        page = open_app(browser, base)
        page.goto(f"{base}/practice/q/{CARD}")
        page.click("#start-voice")
        page.wait_for_selector("#problem:not([hidden])", timeout=20000)
        assert "microphone" in page.inner_text("#problem").lower()
        assert page.is_visible("#typed") and page.is_visible("#answer-text")
        assert "Traceback" not in page.content()
        shot(page, "30-mic-refused")
