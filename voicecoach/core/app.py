"""The app object: one per process (or per web server), built from settings.

It owns the question bank and the engines (built lazily, shared, thread-safe)
and makes stores and coaches for whoever needs them. A SQLite connection
belongs to one thread, so each caller opens its own store (`open_store`).
Front ends pass in what is theirs: the UI, how to play and record, the stop
checks (Enter in a terminal, a button in a page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from voicecoach.config import Settings, ensure_home, load_settings
from voicecoach.content.questions import Bank, load_bank

Warn = Callable[[str], None]


def _ignore(_message: str) -> None:
    pass


def make_engines(settings: Settings, warn: Warn = _ignore):
    """The lazily built engines: synthesizer, transcriber, judge, end of turn."""
    from voicecoach.core.coach import Engines, Lazy

    def synth():
        if settings.voice.startswith("piper"):
            from voicecoach.engines.tts_piper import PiperSynthesizer

            return PiperSynthesizer(settings.voice, settings.tts_rate, settings.tts_volume)
        from voicecoach.engines.tts import Pyttsx3Synthesizer

        return Pyttsx3Synthesizer(settings.voice, settings.tts_rate, settings.tts_volume)

    def stt():
        from voicecoach.engines.stt_engines import make_transcriber

        return make_transcriber(settings.stt_engine, settings.stt_model, settings.stt_beam_size,
                                keep_fillers=settings.stt_verbatim, cache_dir=settings.home / "models")

    def judge():
        from voicecoach.judge import make_judge

        return make_judge(settings)

    transcriber = Lazy(stt)

    def turn():
        from voicecoach.engines.turn import TurnJudge, load_turn_model

        model = load_turn_model(warn=warn)
        if model is None:
            return None
        # the model and the voice's fall decide; no words: waiting for the
        # tail's transcript put the end 2 s or more after the answer, and on
        # bench/turn.py's 40 answers the words check stopped no cut-off the
        # pitch check let through, at any looks from 0.5/0.7 s to 1.2/1.6 s
        return TurnJudge(model)

    return Engines(synthesizer=Lazy(synth), transcriber=transcriber, judge=Lazy(judge), turn=Lazy(turn))


@dataclass
class App:
    """Settings, the bank and the engines of one run of voicecoach."""

    settings: Settings
    banks: tuple[Path, ...] = ()
    warn: Warn = _ignore
    _bank: Bank | None = field(default=None, repr=False)
    _engines: Any = field(default=None, repr=False)

    @classmethod
    def from_flags(cls, banks: tuple[Path, ...] | list[Path] = (), warn: Warn = _ignore, **flags) -> "App":
        return cls(settings=load_settings(**flags), banks=tuple(banks), warn=warn)

    @property
    def bank(self) -> Bank:
        if self._bank is None:
            self._bank = load_bank([self.settings.user_bank, *self.banks])
        return self._bank

    def reload_bank(self) -> Bank:
        """After a card was written to the user's bank."""
        self._bank = None
        return self.bank

    @property
    def engines(self):
        if self._engines is None:
            self._engines = make_engines(self.settings, self.warn)
        return self._engines

    def open_store(self):
        """A store for the calling thread (SQLite connections stay in theirs)."""
        from voicecoach.store.db import Store

        ensure_home(self.settings)
        return Store(self.settings.db_path, self.settings.audio_dir)

    def coach(self, ui, *, store=None, play=None, record=None, voice=None, stop_checks=()):
        """A coach for one front end's session: its UI, audio in and out."""
        from voicecoach.core.coach import Coach

        return Coach(settings=self.settings, engines=self.engines, store=store or self.open_store(), ui=ui, play=play,
                     record=record, stop_checks=list(stop_checks), voice=voice)
