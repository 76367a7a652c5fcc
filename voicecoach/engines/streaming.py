"""Transcribe while the candidate speaks: the recording is cut at VAD pauses
into chunks of at least ``min_chunk_s``, each transcribed in the background,
so when the answer ends only the last chunk is left."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from voicecoach.models import Transcript, Word

SR = 16000


class StreamingTranscriber:
    """Feed audio with ``add``; call ``poll`` with the VAD's closed segments as
    they appear; ``finish`` returns the whole answer's Transcript."""

    def __init__(self, get_transcriber, min_chunk_s: float = 10.0, pad_s: float = 0.25, warm=None) -> None:
        self._get = get_transcriber  # a callable, so model loading can overlap recording
        # Called (in the background) with the whole answer transcribed so far
        # when a pause might be the end: lets the judge fill its caches.
        self._warm = warm
        self._spec: tuple[float, float, Future] | None = None  # (start, end, job) for a tail that may be the last
        self.min_chunk_s = min_chunk_s  # long enough for Whisper to have context
        self.pad_s = pad_s
        # The answer so far, in one growing buffer (capacity doubles), so
        # slicing it at every pause copies nothing.
        self._buf = np.zeros(SR * 60, np.float32)
        self._n = 0
        self._lock = threading.Lock()
        self._chunk_start = 0.0
        self._jobs: list[tuple[float, Future]] = []
        # Each job's plain words (before the filler pass), as soon as they are
        # known: what the end-of-turn check reads (words_until).
        self._plain: dict[Future, Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-stream")
        # Warming the judge runs beside the transcription, not inside its job:
        # the end-of-turn check waits for a tail's words, not for the judge.
        self._warm_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-warm")
        self.chunks_done_early = 0
        self.used_speculative = False
        # Each transcription: (audio start s, end s, submitted, started, plain words, done), monotonic.
        self.jobs_log: list[list[float | None]] = []

    def add(self, chunk: np.ndarray) -> None:
        chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
        with self._lock:
            end = self._n + len(chunk)
            if end > len(self._buf):
                grown = np.zeros(max(end, 2 * len(self._buf)), np.float32)
                grown[: self._n] = self._buf[: self._n]
                self._buf = grown  # views handed out earlier keep the old buffer alive
            self._buf[self._n : end] = chunk
            self._n = end

    def audio(self) -> np.ndarray:
        """The answer so far (a read-only view: written samples never change)."""
        with self._lock:
            view = self._buf[: self._n]
        view = view.view()
        view.flags.writeable = False
        return view

    def _slice(self, start_s: float, end_s: float) -> np.ndarray:
        return self.audio()[int(start_s * SR) : int(end_s * SR)]

    def _submit(self, start_s: float, end_s: float, short: bool = False) -> None:
        piece = self._slice(start_s, end_s)
        self._jobs.append((start_s, self._start(piece, start_s, list(self._jobs), short=short)))
        self._chunk_start = end_s

    def _start(self, piece: np.ndarray, start_s: float, jobs: list, short: bool = False) -> Future:
        """Transcribe ``piece`` in the background; ``short``: it may be the
        answer's last piece, which the candidate waits for: encoded at its
        length where the engine can (stt.short_frames)."""
        plain: Future = Future()
        entry = [round(start_s, 2), round(start_s + len(piece) / SR, 2), time.monotonic(), None, None, None]
        self.jobs_log.append(entry)
        job = self._pool.submit(self._speculate, piece, start_s, jobs, plain, entry, short)
        self._plain[job] = plain
        return job

    def poll(self, segments: list[tuple[float, float]], pauses: list[float] = ()) -> None:
        """Cut after the latest closed segment once the chunk is long enough.
        The cut falls inside the pause (segments close after >= 0.6 s of
        silence). A shorter tail is transcribed speculatively: if the pause
        turns out to be the end of the answer, that result is used as is.
        Speech that runs on without such a pause is cut at the first shorter
        pause (``pauses``: their middles) once the chunk is long enough, so
        a fluent answer is not left to transcribe whole when it ends."""
        if segments:
            _, seg_end = segments[-1]
            cut = seg_end + self.pad_s
            if cut * SR <= self._n and cut > self._chunk_start:
                if cut - self._chunk_start >= self.min_chunk_s:
                    self._submit(self._chunk_start, cut)
                    return
                if self._spec is None or self._spec[1] != cut:
                    start = self._chunk_start
                    self._spec = (start, cut, self._start(self._slice(start, cut), start, list(self._jobs), short=True))
        later = [p for p in pauses if p - self._chunk_start >= self.min_chunk_s and p * SR <= self._n]
        if later:
            self._submit(self._chunk_start, later[0])

    def words_until(self, end_s: float | None, timeout: float = 2.0) -> list[Word] | None:
        """The last transcribed words if the chunk or speculative tail that
        ends at the pause after ``end_s`` (where speech last ended) is, or
        within ``timeout`` becomes, done; else None. For the end-of-turn
        check: the tail was started when the pause began, with the full
        decode, so the check needs no decode of its own."""
        if end_s is None:
            return None
        spec = self._spec
        if spec is not None and spec[0] == self._chunk_start and spec[1] >= end_s:
            fut = spec[2]
        elif self._jobs and self._chunk_start >= end_s and self._chunk_start - end_s < 1.0:
            fut = self._jobs[-1][1]
        else:
            return None
        try:
            return list(self._plain.get(fut, fut).result(timeout=timeout).words)
        except Exception:  # noqa: BLE001 - still running or failed: the caller decodes itself
            return None

    def _speculate(self, piece: np.ndarray, start: float, jobs: list, plain: Future | None = None, entry: list | None = None,
                   short: bool = False) -> Transcript:
        if entry is not None:
            entry[3] = time.monotonic()

        def settle(value=None, error=None) -> None:
            if plain is None or plain.done():
                return
            if entry is not None:
                entry[4] = time.monotonic()
            if error is not None:
                plain.set_exception(error)
            else:
                plain.set_result(value)

        try:
            tr = self._get()
            # engines that can say their plain words before the filler pass do
            kw = {"on_plain": settle} if getattr(tr, "reports_plain", False) else {}
            if short and getattr(tr, "short_encoder", False):
                kw["short"] = True
            t = tr.transcribe(piece, **kw)
        except BaseException as exc:
            settle(error=exc)
            raise
        settle(t)
        if entry is not None:
            entry[5] = time.monotonic()
        if self._warm is not None:
            try:
                self._warm_pool.submit(self._warm_with, jobs + [(start, _done(t))], start + len(piece) / SR)
            except RuntimeError:  # the answer is over: nothing to warm
                pass
        return t

    def _warm_with(self, jobs: list, end: float) -> None:
        try:
            self._warm(self._merge(jobs, end))
        except Exception:  # noqa: BLE001 - warming is an optimisation only
            pass

    def finish(self, end_s: float | None = None, last_speech_s: float | None = None) -> Transcript:
        """Transcribe what is left and merge all chunks (times made absolute).
        ``last_speech_s``: where the VAD last heard speech; if a speculative
        tail already covers it, nothing is left to transcribe."""
        total = self._n / SR if end_s is None else end_s
        spec = self._spec
        if spec and last_speech_s is not None and spec[0] == self._chunk_start and spec[1] >= last_speech_s:
            self._jobs.append((spec[0], spec[2]))
            self.used_speculative = True
        elif last_speech_s is not None and last_speech_s <= self._chunk_start and self._jobs:
            pass  # only the end-of-answer silence is left
        elif total - self._chunk_start > 0.05 or not self._jobs:
            self._submit(self._chunk_start, total, short=True)
        result = self._merge(self._jobs, total)
        self.chunks_done_early = max(0, len(self._jobs) - 1)
        self._pool.shutdown(wait=False)
        self._warm_pool.shutdown(wait=False, cancel_futures=True)
        return result

    def _merge(self, jobs: list, total: float) -> Transcript:
        words: list[Word] = []
        texts: list[str] = []
        engine = model = ""
        for offset, fut in jobs:
            t = fut.result()
            engine, model = t.engine, t.model
            if t.text:
                texts.append(t.text)
            for w in t.words:
                start = round(w.start + offset, 3)
                if words and start < words[-1].start:  # a chunk's first word timed into the pause before it
                    start = words[-1].start
                words.append(Word(word=w.word, start=start, end=max(start, round(w.end + offset, 3)), probability=w.probability))
        return Transcript(text=" ".join(texts), words=words, engine=engine, model=model, duration_s=round(total, 3))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._warm_pool.shutdown(wait=False, cancel_futures=True)


def _done(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def cut_points(audio: np.ndarray, piece_s: float = 60.0, search_s: float = 15.0) -> list[int]:
    """Where to cut a long recording into pieces of at most ``piece_s``: at
    the quietest 0.3 s in the last ``search_s`` before each limit (a pause,
    in speech), so no word is split."""
    frame = SR // 100  # 10 ms
    cuts, start = [], 0
    while len(audio) - start > piece_s * SR:
        lo, hi = start + int((piece_s - search_s) * SR), start + int(piece_s * SR)
        seg = audio[lo:hi]
        n = len(seg) // frame
        energy = np.einsum("ij,ij->i", seg[: n * frame].reshape(n, frame), seg[: n * frame].reshape(n, frame))
        run = np.convolve(energy, np.ones(30), mode="valid")  # 0.3 s windows
        k = int(np.argmin(run))
        start = lo + (k + 15) * frame  # the middle of the quietest window
        cuts.append(start)
    return cuts


def transcribe_in_pieces(transcriber, audio: np.ndarray, piece_s: float = 60.0) -> Transcript:
    """A long recording transcribed piece by piece (cut at pauses): the
    engine never holds the whole file's spectrogram (a 20-minute file peaked
    at 1.8 GB at once). Pieces are views, not copies."""
    bounds = [0, *cut_points(audio, piece_s), len(audio)]
    if len(bounds) == 2:
        return transcriber.transcribe(audio)
    jobs = [(a / SR, _done(transcriber.transcribe(audio[a:b]))) for a, b in zip(bounds, bounds[1:])]
    return StreamingTranscriber._merge(None, jobs, len(audio) / SR)
