"""End-of-answer detection with the Silero VAD model that faster-whisper ships
(ONNX, run with onnxruntime: no torch)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

SAMPLE_RATE = 16000
FRAME = 512  # Silero's window at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous frame the v6 model expects in front


class SpeechDetector(Protocol):
    def __call__(self, frame: np.ndarray) -> float:
        """Speech probability for one 512-sample float32 frame."""


def silero_model_path() -> Path:
    import faster_whisper  # the model file ships inside faster-whisper

    return Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"


class SileroVAD:
    """Streaming Silero: call with consecutive 512-sample frames."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1  # one frame is tiny; threads only add overhead
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path or silero_model_path()), sess_options=opts, providers=["CPUExecutionProvider"])
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        frame = np.asarray(frame, dtype=np.float32)
        x = np.concatenate([self._context, frame])[None, :]
        p, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT:]
        return float(np.asarray(p).reshape(-1)[0])


class EnergyVAD:
    """A loudness threshold, for tests of the endpointing logic only."""

    def __init__(self, threshold_db: float = -40.0) -> None:
        self.threshold_db = threshold_db

    def __call__(self, frame: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)) + 1e-12))
        return 1.0 if 20 * np.log10(rms) > self.threshold_db else 0.0


@dataclass
class Endpointer:
    """Feeds audio through a detector and decides when the answer is over.

    With an end-of-turn model (``turn``: the last 8 s of audio -> probability
    that the speaker has finished), each pause is judged when its silence
    reaches each of ``turn_checks_s``: a finished answer ends there. Whatever
    the model says, ``end_silence_s`` of non-speech after speech ends the
    answer. Pauses of at least ``segment_pause_s`` mark segment boundaries (for
    transcribing while the candidate speaks); ``pauses`` keeps the middle of
    every shorter pause too (where a long stretch without one may be cut)."""

    detector: SpeechDetector
    end_silence_s: float = 2.5
    turn: Callable[[np.ndarray], float] | None = None
    # First look right after the pause starts (a finished answer ends fast);
    # a second look a moment later, when the trailing silence is clearer.
    # Two looks at each pause, both must say "finished" (bench/turn.py: one
    # look at 0.25 s cut 19 of 24 answers with pauses short; two at 0.5 and
    # 1.0 s, with the words check, 3 of 24; at 0.5 and 0.8 s over 0.7 with
    # the last three words heard surely, 1 of 24 and 0.8 s when it ends).
    # But real answers pause about a second between sentences, and the model
    # calls a complete sentence finished: at 0.5/0.8 s an 82 s answer of real
    # speech (bench/latency.py, 1 s between sentences) was cut at 22 s. Looks
    # at 1.2 and 1.6 s keep such answers whole (bench/turn.py --set all: 2 of
    # 40 cut off mid-sentence, as at 0.5/0.8 s; the model ends a finished
    # answer 1.5-1.7 s after its last word, or the silence limit does).
    turn_checks_s: tuple[float, ...] = (1.2, 1.6)
    # Earlier looks once the answer has said what the card asks (``fast_ok``,
    # asked as each pause starts), then the usual ones: the end is likely,
    # and a falling voice at a finished-sounding pause ends the answer at
    # 0.4/0.55 s. bench/turn.py --set all (recorded at every look, replayed
    # with model and pitch), looks then 1.2/1.6: no cut-off of 40 at 0.3/0.4,
    # 0.4/0.5, 0.4/0.55, 0.45/0.6 or 0.5/0.7; median end 0.63 s at 0.4/0.55
    # (0.75 s at 0.5/0.7, 0.66 s at 0.45/0.6). Both looks come before the
    # speculative tail's transcription starts (segment_pause_s): the second
    # look at 0.7 s ran beside Whisper, 0.29 s instead of 0.17 s
    # (bench/turn_e2e.py). Not for every answer: real speech pauses about a
    # second between sentences, and a complete sentence sounds finished (the
    # candidate who goes on after the end tone resumes the answer anyway).
    fast_checks_s: tuple[float, ...] = (0.4, 0.55)
    fast_ok: Callable[[], bool] | None = None
    turn_threshold: float = 0.7  # over the model's own 0.5: it took mid-sentence pauses of espeak-ng speech for ends
    turn_agree: int = 2  # consecutive checks of one pause that must say "finished"
    threshold: float = 0.5  # Silero's recommended speech probability cut-off
    segment_pause_s: float = 0.6
    cut_pause_s: float = 0.25  # shorter pauses are still places to cut a long stretch of speech
    min_speech_s: float = 0.25  # ignore clicks and coughs shorter than this
    samples_seen: int = 0
    speech_s: float = 0.0
    last_speech_end: float | None = None
    first_speech: float | None = None
    _buf: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _silence_run: float = 0.0
    _in_speech: bool = False
    _segment_start: float | None = None
    segments: list[tuple[float, float]] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)  # middles of pauses >= cut_pause_s between speech
    end_reason: str | None = None  # "turn" (the model) or "silence" (end_silence_s)
    turn_log: list[tuple[float, float, float]] = field(default_factory=list)  # (time, silence so far, probability)
    check_s: list[float] = field(default_factory=list)  # how long each end-of-turn check took (wall clock)
    decided_at: float | None = None  # time.monotonic() when the end was decided
    # Run the end-of-turn checks in a worker thread, not in the microphone's
    # loop: a check (0.1 s idle, 0.2-0.4 s while Whisper transcribes beside
    # it; seconds when it waited for the tail's words) held the loop, the
    # audio piled up, and every later decision came that much late. A result
    # counts when it arrives, if no speech came in between.
    background: bool = False
    _agreed: int = 0
    _pending: list = field(default_factory=list)  # (pause's last_speech_end, t, silence, future)
    _looks: tuple[float, ...] = ()
    fast_pauses: int = 0  # pauses that got the early looks
    resumed: int = 0  # ends the candidate spoke after (audio.record's resume_s): the answer went on
    hold_checks: bool = False  # no end-of-turn checks (the end is decided; only speech matters now)
    _pool: object = None
    _ring: np.ndarray = field(default_factory=lambda: np.zeros(SAMPLE_RATE * 8, dtype=np.float32))

    def recent(self) -> np.ndarray:
        """The last 8 s of audio fed (zeros before the start)."""
        i = self.samples_seen % len(self._ring)
        return np.concatenate([self._ring[i:], self._ring[:i]])

    def _judge_turn(self, t: float, before: float) -> bool:
        if self.turn is None or not self.heard_speech or self.hold_checks:
            return False
        if before == 0.0:  # a new pause: which looks it gets
            fast = self.fast_ok is not None and self._fast()
            self.fast_pauses += fast
            self._looks = (*self.fast_checks_s, *self.turn_checks_s) if fast else self.turn_checks_s  # then the usual looks
        crossed = [c for c in self._looks or self.turn_checks_s if before < c <= self._silence_run]
        if not crossed:
            return False
        if self.background:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turn-check")
            self._pending.append((self.last_speech_end, t, self._silence_run, self._pool.submit(self._timed_check, self.recent(), self._silence_run)))
            return False
        return self._verdict(t, self._silence_run, self._timed_check(self.recent(), self._silence_run))

    def _fast(self) -> bool:
        try:
            return bool(self.fast_ok())
        except Exception:  # noqa: BLE001 - no answer: the usual looks
            return False

    def _timed_check(self, audio: np.ndarray, silence_s: float) -> float:
        started = time.monotonic()
        try:
            # a judge that wants it hears where the pause began (turn.pause_window)
            return float(self.turn(audio, silence_s) if getattr(self.turn, "wants_silence", False) else self.turn(audio))
        finally:
            self.check_s.append(round(time.monotonic() - started, 3))

    def _verdict(self, t: float, silence: float, p: float) -> bool:
        self.turn_log.append((round(t, 3), round(silence, 3), round(p, 3)))
        self._agreed = self._agreed + 1 if p >= self.turn_threshold else 0
        return self._agreed >= self.turn_agree

    def _collect(self) -> bool:
        """Background checks that have finished, in order: True if they end
        the answer. A check of a pause the candidate has since spoken after
        no longer counts."""
        ended = False
        while self._pending and self._pending[0][3].done():
            speech_end, t, silence, fut = self._pending.pop(0)
            if speech_end != self.last_speech_end or ended:
                continue
            try:
                p = fut.result()
            except Exception:  # noqa: BLE001 - a failed check says nothing: the silence limit still ends the answer
                continue
            ended = self._verdict(t, silence, p)
        return ended

    def close(self) -> None:
        """Stop the background checks (the answer is over)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._pending.clear()

    @property
    def heard_speech(self) -> bool:
        return self.speech_s >= self.min_speech_s

    @property
    def silence_s(self) -> float:
        return self._silence_run

    def feed(self, samples: np.ndarray) -> bool:
        """Add float32 samples in [-1, 1]; True once the answer has ended."""
        self._buf = np.concatenate([self._buf, np.asarray(samples, dtype=np.float32).reshape(-1)])
        ended = False
        frame_s = FRAME / SAMPLE_RATE
        while len(self._buf) >= FRAME:
            frame, self._buf = self._buf[:FRAME], self._buf[FRAME:]
            t = self.samples_seen / SAMPLE_RATE
            i = self.samples_seen % len(self._ring)
            self._ring[i : i + FRAME] = frame  # FRAME divides the ring's length
            self.samples_seen += FRAME
            if self.detector(frame) >= self.threshold:
                if self.heard_speech and self._silence_run >= self.cut_pause_s:
                    self.pauses.append(round(t - self._silence_run / 2, 3))
                self.speech_s += frame_s
                if self.first_speech is None:
                    self.first_speech = t
                if self._segment_start is None:
                    self._segment_start = t
                self._silence_run = 0.0
                self._agreed = 0
                self._in_speech = True
                self.last_speech_end = t + frame_s
            else:
                before = self._silence_run
                self._silence_run += frame_s
                if not ended and self._judge_turn(t + frame_s, before):
                    ended, self.end_reason = True, "turn"
                if self._in_speech and self._silence_run >= self.segment_pause_s and self._segment_start is not None:
                    self.segments.append((self._segment_start, self.last_speech_end or t))
                    self._segment_start = None
                    self._in_speech = False
                if self.heard_speech and self._silence_run >= self.end_silence_s and not ended:
                    ended, self.end_reason = True, "silence"
            if ended:
                break  # what follows the end is not part of the answer
        if not ended and self._pending and self._collect():
            ended, self.end_reason = True, "turn"
        if ended:
            self.decided_at = time.monotonic()
        return ended
