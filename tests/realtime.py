"""Real-time helpers over the virtual PulseAudio devices (the ``pulse``
fixture): watch what the app plays on the virtual speaker as it plays, and
speak into the virtual microphone at a chosen moment. Shared by the
end-to-end tests and bench/turn_e2e.py."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import numpy as np

SR = 16000
FRAME_S = 0.01


class SpeakerWatch:
    """Streams the speaker's monitor (parec, 16 kHz s16le) in a thread and
    keeps it with arrival times, so a test can react to what it hears."""

    def __init__(self, env: dict, threshold: float = 0.003) -> None:
        self.threshold = threshold
        self._chunks: list[np.ndarray] = []
        self._times: list[float] = []  # monotonic arrival time of each chunk's end
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(["parec", "--device=speaker.monitor", "--format=s16le", "--rate=16000", "--channels=1",
                                      "--latency-msec=20", "--raw"], stdout=subprocess.PIPE, env={**os.environ, **env})
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            data = self.proc.stdout.read(640)  # 20 ms
            if not data:
                return
            now = time.monotonic()
            with self._lock:
                self._chunks.append(np.frombuffer(data, "<i2").astype(np.float32) / 32768)
                self._times.append(now)

    def settle(self, seconds: float = 2.0, timeout: float = 15.0) -> None:
        """Wait until the monitor has delivered audio steadily for ``seconds``.
        parec's first second or so arrives late and in a burst, so a sound
        heard then is timed late: the same playback measured 0.27 s after
        its start with the watch settled 3 s, 0.56 s at 1.2 s and 0.98 s at
        0.8 s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                first = self._times[0] if self._times else None
            if first is not None and time.monotonic() - first >= seconds:
                return
            time.sleep(0.05)
        raise TimeoutError("the speaker's monitor delivers no audio")

    def audio(self) -> tuple[np.ndarray, float]:
        """Everything heard, and the monotonic time of its first sample."""
        with self._lock:
            if not self._chunks:
                return np.zeros(0, np.float32), time.monotonic()
            a = np.concatenate(self._chunks)
            return a, self._times[-1] - len(a) / SR

    def lost_s(self) -> float:
        """How much audio the monitor delivered less than the time it ran
        (parec drops blocks when it falls behind: the timeline after a drop
        is then early, and the sounds in it shortened)."""
        with self._lock:
            if len(self._times) < 2:
                return 0.0
            got = sum(len(c) for c in self._chunks[1:]) / SR
            return round((self._times[-1] - self._times[0]) - got, 3)

    def sound_frames(self) -> tuple[np.ndarray, float]:
        """Per 10 ms frame: whether it holds sound; and the time of frame 0."""
        a, t0 = self.audio()
        n = len(a) // int(SR * FRAME_S)
        rms = np.sqrt(np.mean(a[: n * int(SR * FRAME_S)].reshape(n, -1) ** 2, axis=1)) if n else np.zeros(0)
        return rms > self.threshold, t0

    def wait_for_sound(self, timeout: float) -> float:
        """The monotonic time the first sound was heard."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            loud, t0 = self.sound_frames()
            hits = np.flatnonzero(loud)
            if len(hits):
                return t0 + hits[0] * FRAME_S
            time.sleep(0.01)
        raise TimeoutError("nothing was played")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def trim(audio: np.ndarray, threshold: float = 0.003) -> np.ndarray:
    """Drop leading and trailing silence."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[loud[0] : loud[-1] + 1] if len(loud) else audio[:0]


def gaps(audio: np.ndarray, threshold: float = 0.003) -> list[float]:
    """The silent stretches (s) inside ``audio`` (10 ms frames)."""
    f = int(SR * FRAME_S)
    n = len(audio) // f
    loud = np.sqrt(np.mean(audio[: n * f].reshape(n, f) ** 2, axis=1)) > threshold
    idx = np.flatnonzero(loud)
    if len(idx) < 2:
        return []
    d = np.diff(idx)
    return sorted(((d[d > 1] - 1) * FRAME_S).tolist(), reverse=True)


def question_audio(text: str, voice: str = "gmw/en", rate: int = 165) -> np.ndarray:
    """The question as the app synthesizes it (pyttsx3, the default voice),
    at 16 kHz, silence trimmed."""
    from voicecoach.engines.audiofile import resample
    from voicecoach.engines.tts import Pyttsx3Synthesizer, speakable

    samples, r = Pyttsx3Synthesizer(voice, rate).synthesize(speakable(text))
    return trim(resample(samples, r, SR))


def speak_at(env: dict, wav, when: float) -> subprocess.Popen:
    """Start playing ``wav`` into the virtual microphone at monotonic ``when``."""
    delay = when - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    return subprocess.Popen(["paplay", "--device=micfeed", "--latency-msec=20", str(wav)], env={**os.environ, **env})
