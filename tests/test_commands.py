"""Between-question commands: matching spoken and typed replies, the
interview's command flow (fakes), and the listening window on the real audio
stack (a spoken "skip" through the virtual microphone, real Whisper)."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import numpy as np
import pytest

from tests.conftest import espeak_wav
from tests.fakes import fake_record, make_coach
from voicecoach.engines import audio
from voicecoach.core.commands import match_command, typed_command
from voicecoach.core.interview import Interview
from voicecoach.core.coach import AnswerInput, Lazy


@pytest.mark.parametrize(
    "reply, command",
    [
        ("Next.", "next"),
        ("the next...", "next"),
        ("Okay, let's move on.", "next"),
        ("Continue, please.", "next"),
        ("Could you repeat the question?", "repeat"),
        ("Can I try that one again?", "repeat"),
        ("Skip this one, please.", "skip"),
        ("Pass.", "skip"),
        ("Hold on, give me a minute.", "pause"),
        ("Pause.", "pause"),
        ("I'd like to stop here.", "stop"),
        ("I'm done, thanks.", "stop"),
        ("Skip it, actually no, let's stop.", "stop"),  # the most cautious wins
        ("But I don't know.", None),
        ("", None),
    ],
)
def test_spoken_replies_map_to_commands(reply, command):
    assert match_command(reply) == command


def test_typed_replies_map_to_commands():
    assert [typed_command(x) for x in ["\n", "r\n", "S", " p ", "q", "n", "skip", "xyz"]] == ["next", "repeat", "skip", "pause", "stop", "next", "skip", None]


def scripted(replies):
    """A fake listening window: returns the scripted (command, heard) pairs
    in order and records the windows' lengths."""
    calls = []

    def listen(seconds):
        calls.append(seconds)
        return replies.pop(0)

    return listen, calls


def run_interview(tmp_path, bank, replies, ids=("cross-entropy-vs-mse", "mla-l1-vs-l2", "mla-bias-variance-tradeoff")):
    coach, synth, _ = make_coach(tmp_path)
    listen, calls = scripted(list(replies))
    run = Interview(coach, follow_ups=0, typed=lambda prompt: "Cross entropy compares predicted probabilities with the labels.",
                    listen=listen, command_window_s=4.0)
    results = run.run([bank.get(i) for i in ids], coach.store.new_session("interview"))
    return [r.card_id for r in results], synth.spoken, calls, coach.ui.events


def test_spoken_skip_repeat_and_silence_steer_the_interview(tmp_path, bank):
    cards, spoken, calls, _ = run_interview(tmp_path, bank, [("repeat", "repeat that"), (None, ""), ("skip", "skip")])
    # after 1: ask 1 again; then silence goes on to 2; then 'skip' passes over 3
    assert cards == ["cross-entropy-vs-mse", "cross-entropy-vs-mse", "mla-l1-vs-l2"]
    assert calls == [4.0, 4.0, 4.0]
    assert any("say next" in s.lower() for s in spoken)  # the first window explains the commands
    assert sum("Ready for the next question" in s for s in spoken) == 2  # later windows are short


def test_unclear_reply_is_asked_again_then_goes_on(tmp_path, bank):
    cards, spoken, calls, events = run_interview(tmp_path, bank, [(None, "banana"), ("stop", "stop")])
    assert cards == ["cross-entropy-vs-mse"]  # stopped after the first question
    assert any("didn't catch that" in s for s in spoken)
    assert ("info", 'Heard: "banana"') in events
    cards, spoken, _, _ = run_interview(tmp_path / "b", bank, [(None, "banana"), (None, "mumble"), (None, "")])
    assert len(cards) == 3  # two unclear replies: carry on rather than stall


def test_pause_waits_until_continue(tmp_path, bank):
    replies = [("pause", "hold on"), (None, ""), (None, ""), ("pause", "wait"), ("next", "continue"), (None, "")]
    cards, spoken, calls, events = run_interview(tmp_path, bank, replies)
    assert cards == ["cross-entropy-vs-mse", "mla-l1-vs-l2", "mla-bias-variance-tradeoff"]
    assert calls[1:5] == [10.0, 10.0, 10.0, 10.0]  # while paused, silence does not end the pause
    assert any(s.startswith("Paused") for s in spoken)


def test_listen_for_command_prefers_a_typed_key_and_handles_silence(tmp_path, monkeypatch):
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    coach, _, _ = make_coach(tmp_path, record=fake_record(3, reason="no_speech"))
    assert coach.listen_for_command(3.0) == (None, "")  # nothing said
    typed = iter(["stop"])
    coach, _, _ = make_coach(tmp_path / "k", record=stoppable_record())
    assert coach.listen_for_command(3.0, keys=lambda: next(typed, None)) == ("stop", "")
    coach, _, _ = make_coach(tmp_path / "n", record=None)
    assert coach.listen_for_command(3.0) == (None, "")  # no microphone: no window


def stoppable_record():
    def record(path, endpointer, limit_s, no_speech_timeout_s, device, should_stop, on_audio, on_tick=None, **kw):
        for _ in range(int(limit_s * 10)):
            on_audio(np.zeros(1600, np.float32))
            if should_stop():
                break
        return None

    return record


@pytest.mark.pulse
@pytest.mark.slow
def test_spoken_command_through_the_virtual_microphone(pulse, tmp_path, monkeypatch, whisper):
    """The real recorder and VAD on the virtual mic, real Whisper: a spoken
    "skip this one please" during the window comes back as 'skip'."""
    for k, v in pulse.items():
        monkeypatch.setenv(k, v)
    coach, _, _ = make_coach(tmp_path, record=audio.record)
    coach.engines.transcriber = Lazy(lambda: whisper)
    reply = espeak_wav("Skip this one, please.", tmp_path / "skip.wav", voice="en")
    env = {**os.environ, **pulse}

    def speak():
        time.sleep(1.0)
        subprocess.run(["paplay", "--device=micfeed", str(reply)], env=env, check=True, timeout=30)

    t = threading.Thread(target=speak)
    t.start()
    command, heard = coach.listen_for_command(8.0)
    t.join()
    assert command == "skip", heard
    assert "skip" in heard.lower()
    # and a window with nothing said ends at its limit with no command
    start = time.monotonic()
    assert coach.listen_for_command(2.0) == (None, "")
    assert time.monotonic() - start < 6


def test_repeat_request_at_the_start_of_an_answer_rereads_the_question(tmp_path, bank, monkeypatch):
    """Fakes: the first recording stops with 'repeat' (as the phrase watcher
    reports it), so the question is said again and the answer recorded anew."""
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    reasons = ["repeat", "repeat", "repeat", "silence"]
    inner = fake_record(5)

    def record(path, endpointer, limit_s, no_speech_timeout_s, device, should_stop, on_tick, on_audio, **kw):
        rec = inner(path, endpointer, limit_s, no_speech_timeout_s, device, should_stop, on_tick, on_audio)
        return rec.model_copy(update={"stop_reason": reasons.pop(0)})

    coach, synth, _ = make_coach(tmp_path, record=record)
    card = bank.get("cross-entropy-vs-mse")
    result = coach.attempt(card, AnswerInput(), coach.store.new_session("practice"))
    assert sum(s == card.title for s in synth.spoken) == 3  # asked, then repeated twice at most
    assert result.stop_reason == "repeat"  # the third 'repeat' is not honoured: that recording is the answer
    assert reasons == ["silence"]


def test_phrase_watcher_tells_a_repeat_request_from_a_closing_phrase():
    from voicecoach.core.listen import PhraseWatcher
    from voicecoach.engines.stt import FakeTranscriber
    from voicecoach.engines.vad import Endpointer, EnergyVAD

    def watcher(text, allow_repeat=True, segments=((0.5, 2.0),)):
        ep = Endpointer(EnergyVAD())
        ep.segments = list(segments)
        w = PhraseWatcher(ep, Lazy(lambda: FakeTranscriber(text)), lambda: np.zeros(16000 * 4, np.float32), allow_repeat=allow_repeat)
        assert w.check() is None  # submitted in the background
        found = w.settle()  # what the recorder asks when the answer has ended meanwhile
        w.close()
        return found

    assert watcher("Sorry, could you repeat the question?") == "repeat"
    assert watcher("Sorry, could you repeat the question?", allow_repeat=False) is None
    assert watcher("Could you say that again?", segments=((0.5, 2.0), (3.0, 4.0))) is None  # only as the first thing said
    assert watcher("And that's my answer.") == "phrase"
    assert watcher("The gradient is larger.") is None


@pytest.mark.pulse
@pytest.mark.slow
def test_spoken_repeat_request_through_the_virtual_microphone(pulse, tmp_path, bank, monkeypatch, whisper):
    """Real recorder, VAD and Whisper on the virtual mic: "could you repeat
    the question?" as the first thing said gets the question again, and the
    answer recorded after it is the one scored."""
    for k, v in pulse.items():
        monkeypatch.setenv(k, v)
    coach, synth, _ = make_coach(tmp_path, record=audio.record)
    coach.engines.transcriber = Lazy(lambda: whisper)
    clips = [espeak_wav("Sorry, could you repeat the question?", tmp_path / "rep.wav", voice="en"),
             espeak_wav("Cross entropy compares predicted probabilities with the true labels. That's my answer.", tmp_path / "ans.wav", voice="en")]
    env = {**os.environ, **pulse}

    def speak():
        for n, clip in enumerate(clips, 1):
            deadline = time.time() + 60
            while sum(e == ("listening",) for e in coach.ui.events) < n and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            subprocess.run(["paplay", "--device=micfeed", str(clip)], env=env, check=True, timeout=30)

    t = threading.Thread(target=speak)
    t.start()
    card = bank.get("cross-entropy-vs-mse")
    result = coach.attempt(card, AnswerInput(), coach.store.new_session("practice"))
    t.join()
    assert sum(s == card.title for s in synth.spoken) == 2, result.transcript.text
    assert ("info", "Repeating the question.") in coach.ui.events
    assert "repeat" not in result.transcript.text.lower() and "cross" in result.transcript.text.lower()
