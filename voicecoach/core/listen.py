"""Listening while the answer is recorded: each segment the voice activity
detector closes is transcribed in the background to hear a closing phrase
("that's my answer") or a request to repeat the question."""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import numpy as np

from voicecoach.core.answer_text import CLOSING_PHRASES
from voicecoach.core.parts import Lazy
from voicecoach.engines.audiofile import SAMPLE_RATE

# Asked as the first thing in an answer, this re-reads the question.
REPEAT_REQUEST = re.compile(r"\b(repeat (the|that|your)( question)?|say (that|it) again|come again|pardon)\b", re.I)


class PhraseWatcher:
    """Transcribes each segment the VAD closes, in the background, to notice a
    closing phrase ("that's my answer") and stop recording."""

    def __init__(self, endpointer, transcriber: Lazy, audio: Callable[[], np.ndarray], allow_repeat: bool = False) -> None:
        self.endpointer = endpointer
        self.allow_repeat = allow_repeat
        self.transcriber = transcriber
        self.audio = audio
        self._seen = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phrase")
        self._pending: Future | None = None

    def _classify(self, start_s: float, end_s: float, first: bool) -> str | None:
        a = self.audio()[int(max(0.0, start_s - 0.2) * SAMPLE_RATE) : int((end_s + 0.3) * SAMPLE_RATE)]
        stt = self.transcriber.get()
        # a quick greedy decode where the engine has one: the full transcription
        # (beam search, then the filler pass) took 2-3 s of CPU beside the
        # tail's own, and the end of the answer waits for this verdict (settle)
        quick = getattr(stt, "quick_words", None)
        text = " ".join(w.word for w in quick(a)) if quick is not None else stt.transcribe(a).text.strip()
        if first and REPEAT_REQUEST.search(text):
            return "repeat"
        return "phrase" if CLOSING_PHRASES.search(text) else None

    def check(self) -> str | None:
        if self._pending is not None and self._pending.done():
            try:
                found = self._pending.result()
                if found:
                    return found
            except Exception:
                pass  # a failed look-ahead never stops the recording
            self._pending = None
        segs = self.endpointer.segments
        if len(segs) > self._seen and self._pending is None:
            first = self.allow_repeat and self._seen == 0 and len(segs) == 1
            self._seen = len(segs)
            start, end = segs[-1]
            # A closing phrase comes after a pause, as a short utterance of its
            # own (so does "could you repeat the question?" as the first thing
            # said); checking only short segments keeps the CPU for transcription.
            if end - start <= 3.0:
                self._pending = self._pool.submit(self._classify, start, end, first)
        return None

    def settle(self, timeout_s: float = 3.0) -> str | None:
        """The verdict on a segment still being checked (when the recording
        has just ended), waiting a moment for it."""
        if self._pending is None:
            return None
        try:
            return self._pending.result(timeout=timeout_s)
        except Exception:  # noqa: BLE001 - a timeout or a failed check decides nothing
            return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
