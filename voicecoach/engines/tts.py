"""Text to speech. pyttsx3 (espeak-ng) synthesizes to a WAV file, which the
audio module plays: one audio path, with errors we can catch (pyttsx3's own
``say()`` fails silently without a sound device)."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from voicecoach.errors import SpeechSynthesisError, Step


class Synthesizer(Protocol):
    name: str

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Mono float32 samples and their sample rate."""


def speakable(text: str) -> str:
    """Plain sentences for the voice: no markup, symbols read naturally."""
    text = re.sub(r"[*_`#>|\[\]]", " ", text)
    text = text.replace("%", " percent").replace("&", " and ").replace("/", " or ")
    text = re.sub(r"\s+", " ", text)
    return text.strip()


# espeak-ng is one library state per process, driven through one C callback:
# two threads synthesizing at once can crash the process (a segfault in
# espeak's Synth was seen once in the test suite), so synthesis takes turns.
_LOCK = threading.RLock()


class Pyttsx3Synthesizer:
    name = "pyttsx3"

    def __init__(self, voice: str = "", rate: int = 165, volume: float = 1.0) -> None:
        try:
            import pyttsx3

            with _LOCK, contextlib.redirect_stdout(io.StringIO()):
                self._engine = pyttsx3.init()
        except Exception as exc:  # pyttsx3 raises bare RuntimeError/OSError when espeak-ng is absent
            raise SpeechSynthesisError(
                f"cannot start the speech engine: {exc}",
                hint="Install espeak-ng (sudo apt-get install espeak-ng).", step=Step("no_speak"),
            ) from exc
        self._done = threading.Event()
        self._engine.connect("finished-utterance", lambda name, completed: self._done.set())
        if voice:
            ids = {v.id for v in self._engine.getProperty("voices")}
            if voice not in ids:
                raise SpeechSynthesisError(f"unknown voice {voice!r}", step=Step("list_voices"))
            self._engine.setProperty("voice", voice)
        self._engine.setProperty("rate", int(rate))
        self._engine.setProperty("volume", float(volume))

    def voices(self) -> list[tuple[str, str]]:
        return [(v.id, v.name) for v in self._engine.getProperty("voices")]

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        import soundfile as sf

        text = text.strip()
        if not text:
            return np.zeros(0, dtype=np.float32), 22050
        with _LOCK, tempfile.TemporaryDirectory(prefix="voicecoach-tts-") as tmp:
            out = Path(tmp) / "speech.wav"
            self._done.clear()
            try:
                # pyttsx3 prints "Audio saved to ..." (on stdout, which --json keeps for JSON)
                with contextlib.redirect_stdout(io.StringIO()):
                    self._engine.save_to_file(text, str(out))
                    self._engine.runAndWait()
                    # pyttsx3 issue 219: runAndWait can return before the file is complete.
                    self._done.wait(timeout=30)
                    deadline = time.monotonic() + 5
                    while (not out.exists() or out.stat().st_size <= 44) and time.monotonic() < deadline:
                        time.sleep(0.01)
                    time.sleep(0.02)
            except Exception as exc:
                raise SpeechSynthesisError(f"speech synthesis failed: {exc}") from exc
            if not out.exists():
                raise SpeechSynthesisError("the speech engine produced no audio", hint="Check that espeak-ng works: espeak-ng 'hello'.")
            data, rate = sf.read(str(out), dtype="float32", always_2d=True)
        return data.mean(axis=1), int(rate)


class FakeSynthesizer:
    """For orchestration tests: a short tone per sentence, and a log of texts."""

    name = "fake"

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        self.spoken.append(text)
        return np.zeros(int(0.05 * 16000), dtype=np.float32), 16000
