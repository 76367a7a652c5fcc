"""Transcribe while the candidate speaks: the recording is cut at VAD pauses
into chunks of at least ``min_chunk_s``, each transcribed in the background,
so when the answer ends only the last chunk is left."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from .models import Transcript, Word

SR = 16000


class StreamingTranscriber:
    """Feed audio with ``add``; call ``poll`` with the VAD's closed segments as
    they appear; ``finish`` returns the whole answer's Transcript."""

    def __init__(self, get_transcriber, min_chunk_s: float = 10.0, pad_s: float = 0.25) -> None:
        self._get = get_transcriber  # a callable, so model loading can overlap recording
        self.min_chunk_s = min_chunk_s  # long enough for Whisper to have context
        self.pad_s = pad_s
        self._audio: list[np.ndarray] = []
        self._n = 0
        self._lock = threading.Lock()
        self._chunk_start = 0.0
        self._jobs: list[tuple[float, Future]] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-stream")
        self.chunks_done_early = 0

    def add(self, chunk: np.ndarray) -> None:
        with self._lock:
            self._audio.append(chunk)
            self._n += len(chunk)

    def audio(self) -> np.ndarray:
        with self._lock:
            return np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)

    def _slice(self, start_s: float, end_s: float) -> np.ndarray:
        a = self.audio()
        return a[int(start_s * SR) : int(end_s * SR)]

    def _submit(self, start_s: float, end_s: float) -> None:
        piece = self._slice(start_s, end_s)
        self._jobs.append((start_s, self._pool.submit(lambda: self._get().transcribe(piece))))
        self._chunk_start = end_s

    def poll(self, segments: list[tuple[float, float]]) -> None:
        """Cut after the latest closed segment once the chunk is long enough.
        The cut falls inside the pause (segments close after >= 0.6 s of silence)."""
        if not segments:
            return
        _, seg_end = segments[-1]
        cut = seg_end + self.pad_s
        if cut - self._chunk_start >= self.min_chunk_s and cut * SR <= self._n:
            self._submit(self._chunk_start, cut)

    def finish(self, end_s: float | None = None) -> Transcript:
        """Transcribe what is left and merge all chunks (times made absolute)."""
        total = self._n / SR if end_s is None else end_s
        if total - self._chunk_start > 0.05 or not self._jobs:
            self._submit(self._chunk_start, total)
        words: list[Word] = []
        texts: list[str] = []
        engine = model = ""
        for offset, fut in self._jobs:
            t = fut.result()
            engine, model = t.engine, t.model
            if t.text:
                texts.append(t.text)
            for w in t.words:
                words.append(Word(word=w.word, start=round(w.start + offset, 3), end=round(w.end + offset, 3), probability=w.probability))
        self.chunks_done_early = max(0, len(self._jobs) - 1)
        self._pool.shutdown(wait=False)
        return Transcript(text=" ".join(texts), words=words, engine=engine, model=model, duration_s=round(total, 3))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
