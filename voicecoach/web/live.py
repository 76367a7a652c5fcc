"""The browser as the coach's microphone, speaker and screen.

A practice WebSocket carries, from the page, the microphone's audio (binary
frames: 16 kHz mono int16) and the page's events (a sound ended, "I'm done",
a typed answer, a command between questions); to the page, JSON events (the
card, status, level and elapsed time, the live transcript, the feedback, a
sound to play). The coach itself runs unchanged in a worker thread:

- ``SocketMic`` has ``audio.Microphone``'s interface (``read``, ``close``,
  ``opened_at``), so ``audio.record`` and ``duplex.Voice`` listen to the
  browser exactly as they listen to a sound card (VAD, end of turn, streaming
  Whisper, the closing phrase);
- ``BrowserSpeaker`` plays a sound in the page (``play``/``playing``/``stop``,
  as ``duplex.Voice`` expects) and learns from the page when it ended;
- ``WebUI`` implements the coach's UI protocol by sending events.
"""

from __future__ import annotations

import contextlib
import io
import queue
import re
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from voicecoach.engines.audiofile import SAMPLE_RATE
from voicecoach.errors import AudioDeviceError

Send = Callable[[dict], None]  # thread-safe: queue one JSON event for the page
GONE_HINT = "What was recorded so far is saved as an incomplete attempt."


class PageGone(Exception):
    """The page closed or lost its connection while the coach waited for it."""


class SocketMic:
    """A microphone fed by the page. Frames that arrive while nobody listens
    are dropped (the page streams all the time once the microphone is on)."""

    def __init__(self) -> None:
        self._q: queue.Queue[tuple[float, np.ndarray]] = queue.Queue()
        self._open = False
        self.gone = False
        self.opened_at = time.monotonic()
        self.frames_in = 0  # samples received while open (for tests and logs)

    def open(self) -> "SocketMic":
        """Start listening (``duplex.Voice.open_mic``): older frames are dropped."""
        with self._q.mutex:
            self._q.queue.clear()
        self._open = True
        self.opened_at = time.monotonic()
        return self

    def feed(self, pcm: bytes) -> None:
        """A binary frame from the page (int16 little-endian, 16 kHz mono)."""
        if not self._open or len(pcm) < 2:
            return
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
        self.frames_in += len(samples)
        self._q.put((time.monotonic() - len(samples) / SAMPLE_RATE, samples))

    def hang_up(self) -> None:
        self.gone = True

    def read(self, timeout: float = 0.1) -> tuple[float, np.ndarray] | None:
        try:
            return self._q.get(timeout=0 if self.gone else timeout)
        except queue.Empty:
            if self.gone:  # record() keeps what it has and marks the attempt incomplete
                raise AudioDeviceError("the page closed or lost its connection while you were answering", hint=GONE_HINT) from None
            return None

    def close(self) -> None:
        self._open = False


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit mono WAV in memory (what the page plays)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.asarray(samples, dtype=np.float32).reshape(-1), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


class Clips:
    """Sounds waiting to be fetched by the page (``/practice/clip/{id}``):
    random ids, the last few kept."""

    def __init__(self, keep: int = 32) -> None:
        self._clips: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.keep = keep

    def add(self, data: bytes) -> str:
        clip_id = secrets.token_urlsafe(9)
        with self._lock:
            self._clips[clip_id] = data
            while len(self._clips) > self.keep:
                self._clips.popitem(last=False)
        return clip_id

    def get(self, clip_id: str) -> bytes | None:
        with self._lock:
            return self._clips.get(clip_id)


class BrowserSpeaker:
    """Plays sounds in the page. ``playing()`` is true until the page says
    the sound ended (or it cannot have: its length plus a margin passed)."""

    def __init__(self, send: Send, clips: Clips) -> None:
        self.send = send
        self.clips = clips
        self._current: str | None = None
        self._ended = threading.Event()
        self._ended.set()
        self._deadline = 0.0
        self.gone = False

    def play(self, samples: np.ndarray, rate: int, blocking: bool = True, quick: bool = False) -> None:
        """``quick`` is for the local player's buffer: the page plays at once anyway."""
        if self.gone:
            return
        clip_id = self.clips.add(wav_bytes(samples, rate))
        self._current = clip_id
        self._ended.clear()
        self._deadline = time.monotonic() + len(samples) / rate + 5.0
        self.send({"type": "play", "id": clip_id, "url": f"/practice/clip/{clip_id}"})
        if blocking:
            while self.playing():
                self._ended.wait(0.1)

    def playing(self) -> bool:
        return not self.gone and not self._ended.is_set() and time.monotonic() < self._deadline

    def stop(self) -> None:
        self.send({"type": "stop_audio"})
        self._ended.set()

    def ended(self, clip_id: str | None) -> None:
        """The page finished (or could not play) a sound."""
        if clip_id is None or clip_id == self._current:
            self._ended.set()

    def hang_up(self) -> None:
        self.gone = True
        self._ended.set()


_MARKUP = re.compile(r"\[/?[a-z][a-z ]*\]")  # rich markup in messages written for the terminal


def plain(message: str) -> str:
    return _MARKUP.sub("", message)


HOW_TO_FINISH = "press Score my answer when you're done"  # how a typed answer ends in the page


class WebUI:
    """The coach's UI protocol (session.UI), as events for the page."""

    def __init__(self, send: Send, render_result: Callable[[Any], str], tick_every_s: float = 0.1) -> None:
        self.send = send
        self.render_result = render_result
        self.tick_every_s = tick_every_s
        self.stop_requested = threading.Event()  # "I'm done" pressed (a stop check)

    def show_card(self, card) -> None:
        self.send({"type": "card", "id": card.id, "title": card.title, "category": card.category,
                   "difficulty": card.difficulty, "limit_s": card.answer_limit_s})

    @contextlib.contextmanager
    def status(self, message: str):
        self.send({"type": "status", "text": message})
        try:
            yield
        finally:
            self.send({"type": "status", "text": ""})

    @contextlib.contextmanager
    def listening(self):
        self.stop_requested.clear()
        self.send({"type": "listening", "on": True})
        last = [0.0]

        def on_tick(t) -> None:
            now = time.monotonic()
            if now - last[0] >= self.tick_every_s:
                last[0] = now
                self.send({"type": "tick", "elapsed": round(t.elapsed_s, 2), "limit": t.limit_s,
                           "level": round(max(-90.0, t.level_db), 1), "speech": bool(t.heard_speech)})

        try:
            yield on_tick
        finally:
            self.send({"type": "listening", "on": False})

    def stop_check(self) -> str | None:
        return "stopped" if self.stop_requested.is_set() else None

    def partial(self, transcript) -> None:
        self.send({"type": "partial", "text": transcript.text})

    def info(self, message: str) -> None:
        text = plain(message)
        if text.startswith("Interviewer:"):
            self.send({"type": "interviewer", "text": text.removeprefix("Interviewer:").strip()})
        elif text.startswith("Session ") and "voicecoach report" in text:
            self.send({"type": "info", "text": "The interview is saved: see it in History.", "link": "/history"})
        else:
            self.send({"type": "info", "text": text})

    def warn(self, message: str) -> None:
        self.send({"type": "warn", "text": plain(message)})

    def show_result(self, result, card) -> None:
        self.send({"type": "result", "attempt_id": result.attempt_id, "parent_id": result.parent_id,
                   "prompt": result.prompt, "overall": result.scores.overall, "html": self.render_result(result)})


_clips_lock = threading.Lock()


def clips_of(app) -> Clips:
    """The sounds waiting for the page, one store per app."""
    with _clips_lock:
        if not hasattr(app.state, "practice_clips"):
            app.state.practice_clips = Clips()
        return app.state.practice_clips
