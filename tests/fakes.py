"""The fakes that tests share: a UI that records what it was asked to show,
a coach on fake engines (orchestration tests only: every adapter also has
tests against the real thing), a microphone recording of a fixed length.
The scripted OpenAI-compatible server is tests/openai_server.py."""

from __future__ import annotations

import contextlib

import numpy as np

from voicecoach.config import load_settings
from voicecoach.engines.embed import HashEmbedder
from voicecoach.judge.offline import OfflineJudge
from voicecoach.models import Recording
from voicecoach.core.coach import Coach, Engines, Lazy
from voicecoach.store.db import Store
from voicecoach.engines.stt import FakeTranscriber
from voicecoach.engines.tts import FakeSynthesizer
from tests.openai_server import ChatServer, Scripted  # noqa: F401  (the fake chat server, for one import place)


class RecordingUI:
    def __init__(self):
        self.events = []

    def show_card(self, card):
        self.events.append(("card", card.id))

    def status(self, message):
        self.events.append(("status", message))
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def listening(self):
        self.events.append(("listening",))
        yield lambda tick: None

    def info(self, m):
        self.events.append(("info", m))

    def warn(self, m):
        self.events.append(("warn", m))

    def show_result(self, result, card):
        self.events.append(("result", result.scores.overall))


def make_coach(tmp_path, text="Cross entropy compares predicted probabilities with the labels.", record=None, speak=True):
    settings = load_settings(home=tmp_path / "home", speak=speak)
    synth = FakeSynthesizer()
    played = []
    engines = Engines(synthesizer=Lazy(lambda: synth), transcriber=Lazy(lambda: FakeTranscriber(text)), judge=Lazy(lambda: OfflineJudge(HashEmbedder())))
    store = Store(settings.db_path, settings.audio_dir)
    coach = Coach(settings=settings, engines=engines, store=store, ui=RecordingUI(), play=lambda s, r, blocking=True, quick=False: played.append(len(s)), record=record)
    return coach, synth, played


def fake_record(seconds=20.0, reason="silence", raise_after=None):
    def record(path, endpointer, limit_s, no_speech_timeout_s, device, should_stop, on_tick, on_audio, **kw):
        from voicecoach.engines.audiofile import WavWriter

        w = WavWriter(path)
        for i in range(int(seconds)):
            chunk = np.full(16000, 0.1, np.float32)
            w.write(chunk)
            on_audio(chunk)
            if raise_after is not None and i + 1 >= raise_after:
                w.close()
                exc = KeyboardInterrupt()
                exc.partial_recording = Recording(path=str(path), sample_rate=16000, duration_s=w.duration_s, stop_reason="interrupted")
                raise exc
        w.close()
        return Recording(path=str(path), sample_rate=16000, duration_s=w.duration_s, stop_reason=reason)

    return record
