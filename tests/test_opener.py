"""The first words after an answer (feedback.opener): its length, spoken the
moment the end is decided, before the end of it is transcribed; stopped if
the candidate goes on; the scored summary waits for it; with a loudspeaker
(echo heard) the end tone plays instead, since the microphone would hear
the opener and take it for the answer going on."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from voicecoach.analysis.feedback import _speakable, opener
from voicecoach.core.coach import AnswerInput, Lazy
from voicecoach.engines.duplex import BargeIn, Heard
from voicecoach.models import Recording
from tests.fakes import make_coach


@pytest.mark.parametrize("seconds, said", [
    (80.4, "Thanks, 1 minute 20: a good length."),
    (120.0, "Thanks, 2 minutes."),  # at a bound: the length only, no verdict
    (61.0, "Thanks, 1 minute 1."),
    (64.0, "Thanks, 1 minute 4: a good length."),
    (35.2, "Thanks, 35 seconds: on the short side."),
    (150.0, "Thanks, 2 minutes 30: on the long side."),
])
def test_the_opener_says_the_length_and_judges_it_only_clear_of_the_bounds(seconds, said):
    assert opener(seconds, (60, 120)) == said


def test_clock_times_are_read_out_in_the_singular_and_plural():
    assert _speakable("Your answer took 1:40; then 2:00 and 0:35.") == "Your answer took 1 minute 40 seconds; then 2 minutes and 35 seconds."
    assert _speakable("1:01") == "1 minute 1 second"


class FakeVoice:
    """The speaker and microphone together: logs sounds; a sound plays until
    ``playing`` has been asked three times (however long scoring takes)."""

    def __init__(self, mode: str = "on", echo: bool = False) -> None:
        self.policy = BargeIn(mode, echo_seen=echo)
        self.carry = None
        self.log: list[tuple] = []
        self.left = 0

    def play(self, samples, rate, blocking=True, quick=False):
        self.log.append(("play", round(len(samples) / rate, 2), quick))
        self.left = 3

    def playing(self) -> bool:
        self.left -= 1
        return self.left >= 0

    def stop(self) -> None:
        self.log.append(("stop",))
        self.left = 0

    def open_mic(self):
        return SimpleNamespace(close=lambda: None)

    def speak(self, samples, rate, mic=None, on_started=None, quick=False):
        self.log.append(("speak", "while the opener played" if self.left > 0 else "after", quick))
        if on_started is not None:
            on_started()
        return Heard()

    def release(self) -> None:
        pass


def ends_by_the_model(answer_s: float = 80.0, resume: bool = False, reason: str = "turn"):
    """A recording whose end the end-of-turn model decides after ``answer_s``
    of speech (``resume``: then the candidate goes on, and it ends again)."""
    def record(path, endpointer, limit_s, no_speech_timeout_s, device, should_stop, on_tick, on_audio, **kw):
        from voicecoach.engines.audiofile import WavWriter

        w = WavWriter(path)
        for _ in range(5):
            chunk = np.full(16000, 0.1, np.float32)
            w.write(chunk)
            on_audio(chunk)
        w.close()
        endpointer.first_speech, endpointer.last_speech_end, endpointer.end_reason = 0.5, 0.5 + answer_s, reason
        kw["on_end"]()
        if resume:
            kw["on_resume"]()
            endpointer.last_speech_end += 10.0
            kw["on_end"]()
        return Recording(path=str(path), sample_rate=16000, duration_s=w.duration_s, stop_reason="silence")

    return record


def coach_with(tmp_path, monkeypatch, voice: FakeVoice, record):
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    # the fake voice says when its sound ends (the real wait also stops at the opener's known length)
    monkeypatch.setattr("voicecoach.core.coach.OPENER_LEAD_S", 30.0)
    coach, synth, _ = make_coach(tmp_path, record=record)
    coach.voice, coach.play = voice, voice.play
    coach.engines.turn = Lazy(lambda: (lambda audio: 0.9))
    return coach, synth


def test_the_opener_plays_at_the_end_and_the_summary_waits_for_it(tmp_path, bank, monkeypatch):
    voice = FakeVoice("on")
    coach, synth = coach_with(tmp_path, monkeypatch, voice, ends_by_the_model(80.0))
    coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
    assert "Thanks, 1 minute 20: a good length." in synth.spoken
    plays = [e for e in voice.log if e[0] == "play"]
    assert plays == [("play", 0.05, True)]  # the opener, with the shallow buffer; no end tone
    # the scored summary did not cut the opener off, and follows it with the same shallow buffer
    assert voice.log[-1] == ("speak", "after", True)
    assert "out of 100" in synth.spoken[-1]
    assert coach.opener_said == "Thanks, 1 minute 20: a good length."


def test_going_on_stops_the_opener_and_the_next_end_says_the_new_length(tmp_path, bank, monkeypatch):
    voice = FakeVoice("on")
    coach, synth = coach_with(tmp_path, monkeypatch, voice, ends_by_the_model(80.0, resume=True))
    coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
    assert ("stop",) in voice.log
    openers = [t for t in synth.spoken if t.startswith("Thanks")]
    assert openers == ["Thanks, 1 minute 20: a good length.", "Thanks, 1 minute 30: a good length."]


def test_with_echo_heard_the_end_tone_plays_instead(tmp_path, bank, monkeypatch):
    voice = FakeVoice("auto", echo=True)  # the microphone hears the speaker: it would take the opener for the answer
    coach, synth = coach_with(tmp_path, monkeypatch, voice, ends_by_the_model(80.0))
    coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
    assert not [t for t in synth.spoken if t.startswith("Thanks")]
    assert ("play", 0.15, False) in voice.log  # the end tone (0.15 s)
    assert voice.log[-1][0] == "speak" and voice.log[-1][2] is False  # the summary, with the deep buffer


def test_an_end_with_nothing_more_to_listen_for_gets_the_opener_even_with_echo(tmp_path, bank, monkeypatch):
    voice = FakeVoice("auto", echo=True)  # the silence bound ended it: no grace, the microphone is done
    coach, synth = coach_with(tmp_path, monkeypatch, voice, ends_by_the_model(30.0, reason="silence"))
    coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
    assert "Thanks, 30 seconds: on the short side." in synth.spoken


def test_the_summary_waits_for_the_openers_last_sound_not_the_players_padding(tmp_path, monkeypatch):
    import time

    coach, _ = coach_with(tmp_path, monkeypatch, FakeVoice("on"), None)
    coach.voice.playing = lambda: True  # the player pads every sound with silence and reports it as playing
    coach.opener, coach._opener_until = "Thanks, 1 minute 20: a good length.", time.monotonic() + 0.3
    start = time.monotonic()
    assert coach._let_opener_finish() is True
    assert 0.28 <= time.monotonic() - start <= 0.6
    assert coach._let_opener_finish() is False  # (nothing playing now)
