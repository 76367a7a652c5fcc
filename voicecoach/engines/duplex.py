"""Speaking while listening: the interviewer's audio plays while the
microphone is already open.

What the microphone hears during and right after the interviewer's speech is
kept, so an answer that starts the moment the question sounds finished is
recorded from its first word. If the candidate starts talking over the
interviewer (barge-in), the playback stops and the audio from their first
word on is handed to whatever listens next (the answer, a spoken command).

Echo: with a loudspeaker the microphone hears the interviewer too, and that
must not count as the candidate speaking. In ``auto`` mode speech heard in
the first ``ECHO_GUARD_S`` of the interviewer's sound (counted from its first
non-silent sample) is taken for echo (a
person does not interrupt within the first half-second or so): barge-in is
then switched off for the rest of the session (headphones avoid this).
``on`` trusts the microphone (headphones); ``off`` never stops the playback.

No library is imported here: playback, the microphone and the speech
detector are passed in."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

SR = 16000
FRAME = 512  # the speech detector's frame (Silero, 32 ms)
ECHO_GUARD_S = 0.8  # speech this early in the interviewer's sound is echo, not the candidate
BARGE_SPEECH_S = 0.25  # this much speech running (about a syllable or two) stops the interviewer
PRE_SPEECH_S = 0.3  # kept before the first speech frame (a soft onset the detector is late on)
TAIL_MARGIN_S = 0.3  # kept before the interviewer's last sound (the capture-time estimate is rough)


class Mic(Protocol):
    def read(self, timeout: float = 0.1) -> tuple[float, np.ndarray] | None: ...


@dataclass
class Heard:
    """What came of speaking: the audio to hand on, whether the candidate
    spoke over the interviewer, when the interviewer's sound ended."""

    blocks: list[np.ndarray] = field(default_factory=list)
    barged_in: bool = False
    sound_end: float = 0.0
    echo: bool = False  # speech was heard while the interviewer's first words played


@dataclass
class BargeIn:
    """The barge-in policy of a session: ``mode`` is auto, on or off; ``auto``
    turns itself off once it hears echo."""

    mode: str = "auto"
    echo_seen: bool = False

    @property
    def active(self) -> bool:
        return self.mode == "on" or (self.mode == "auto" and not self.echo_seen)


def speak_and_listen(
    samples: np.ndarray,
    rate: int,
    play: Callable[..., None],
    playing: Callable[[], bool],
    stop: Callable[[], None],
    mic: Mic,
    detector: Callable[[np.ndarray], float] | None,
    policy: BargeIn,
    threshold: float = 0.5,
    on_started: Callable[[], None] | None = None,
    quick: bool = False,
) -> Heard:
    """Play ``samples`` and watch the microphone until the sound ends (or the
    candidate speaks over it and ``policy`` allows barge-in). Returns the
    microphone audio that belongs to what comes next."""
    history: deque[tuple[float, np.ndarray]] = deque()
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    lead = loud[0] / rate if len(loud) else 0.0  # the interviewer's first sound, into the samples
    started = time.monotonic()
    duration = len(samples) / rate
    play(samples, rate, blocking=False, quick=quick)  # quick: a shallow buffer (engines/player.py)
    if on_started is not None:  # work that must not delay the first sound starts now
        on_started()
    run = 0  # consecutive speech frames
    run_start: float | None = None
    onset: float | None = None
    carry = np.zeros(0, np.float32)
    carry_t = 0.0
    while True:
        got = mic.read(0.03)
        if got is not None:
            t, block = got
            history.append((t, block))
            while history and history[0][0] < t - 10.0:  # a ring of the last 10 s
                history.popleft()
            if detector is not None and policy.mode != "off":
                if not len(carry):
                    carry_t = t
                carry = np.concatenate([carry, block])
                while len(carry) >= FRAME:
                    frame, carry = carry[:FRAME], carry[FRAME:]
                    frame_t = carry_t
                    carry_t += FRAME / SR
                    if detector(frame) >= threshold:
                        run += 1
                        run_start = frame_t if run == 1 else run_start
                    else:
                        run = 0
                    if run * FRAME / SR >= BARGE_SPEECH_S and run_start is not None:
                        if run_start - started < lead + ECHO_GUARD_S and policy.mode == "auto" and not policy.echo_seen:
                            policy.echo_seen = True  # the speaker's own voice: stop listening for barge-in
                        elif policy.active:
                            onset = run_start
                            break
            if onset is not None:
                stop()
                break
        now = time.monotonic()
        if not playing() or now > started + duration + 5.0:
            break
    end = time.monotonic()
    keep_from = onset - PRE_SPEECH_S if onset is not None else end - TAIL_MARGIN_S
    blocks = []
    for t, block in history:
        if t + len(block) / SR <= keep_from:
            continue
        skip = max(0, int(round((keep_from - t) * SR)))
        blocks.append(block[skip:])
    return Heard(blocks=blocks, barged_in=onset is not None, sound_end=end, echo=policy.echo_seen)


class LateDetector:
    """A speech detector built in a background thread, so the sound starts
    without waiting for it (building Silero imports onnxruntime). Until it is
    ready every frame counts as non-speech: barge-in in the first moments of
    the interviewer's sound is ignored anyway (``ECHO_GUARD_S``)."""

    def __init__(self, factory: Callable[[], Callable[[np.ndarray], float]]) -> None:
        import threading

        self._detector: Callable[[np.ndarray], float] | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, args=(factory,), name="detector")  # not a daemon: see coach._warm_judge

    def start(self) -> "LateDetector":
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        self.start()
        self._thread.join(timeout)
        return self.ready

    def _build(self, factory) -> None:
        try:
            self._detector = factory()
        except BaseException as exc:  # noqa: BLE001 - no detector: no barge-in, the sound still plays
            self.error = exc

    @property
    def ready(self) -> bool:
        return self._detector is not None

    def __call__(self, frame: np.ndarray) -> float:
        d = self._detector
        return d(frame) if d is not None else 0.0


@dataclass
class Voice:
    """The interviewer's speaker and the candidate's microphone together: the
    coach speaks through it, and a barge-in leaves the microphone open, with
    what was heard, for whoever listens next (``take_carry``)."""

    play: Callable[..., None]  # play(samples, rate, blocking=..., quick=...)
    playing: Callable[[], bool]
    stop: Callable[[], None]
    open_mic: Callable[[], Mic]  # an open microphone (audio.Microphone)
    detector: Callable[[], Callable[[np.ndarray], float]]  # a fresh speech detector (Silero)
    policy: BargeIn = field(default_factory=BargeIn)
    warn: Callable[[str], None] = lambda message: None
    carry: tuple[Mic, list[np.ndarray]] | None = None

    def speak(self, samples: np.ndarray, rate: int, mic: Mic | None = None, on_started: Callable[[], None] | None = None,
              quick: bool = False) -> Heard:
        """Play with the microphone open (``mic``, or one opened here: kept
        open as the carry if the candidate spoke over it, else closed).
        ``on_started`` runs once the sound has been handed to the speaker
        (e.g. loading models: they never delay the first sound); the speech
        detector for barge-in is built then too."""
        own = mic is None
        mic = mic if mic is not None else self.open_mic()
        was_echo = self.policy.echo_seen
        late = LateDetector(self.detector) if self.policy.mode != "off" else None

        def started() -> None:
            if late is not None:
                late.start()
            if on_started is not None:
                on_started()

        try:
            heard = speak_and_listen(samples, rate, self.play, self.playing, self.stop, mic, late, self.policy, on_started=started, quick=quick)
        except BaseException:
            if own:
                mic.close()
            raise
        if heard.echo and not was_echo:
            self.warn("The microphone hears the speaker: speaking over the interviewer will not interrupt it (use headphones for that).")
        if own:
            if heard.barged_in:
                self.release()
                self.carry = (mic, heard.blocks)
            else:
                mic.close()
        return heard

    def take_carry(self) -> tuple[Mic, list[np.ndarray]] | None:
        carry, self.carry = self.carry, None
        return carry

    def release(self) -> None:
        """Close a microphone left open by a barge-in nobody listened to."""
        if self.carry is not None:
            self.carry[0].close()
            self.carry = None
