"""Filler recall of the Whisper set-up, with and without its verbatim prompt.

    python bench/fillers.py              # 10 espeak-ng answers, tiny.en, keep_fillers False vs True
    python bench/fillers.py --model base.en

Each answer is synthesized with espeak-ng (several voices and rates) from a
text with known fillers. The reference fillers are what ``delivery.find_fillers``
finds in the text itself (so "like" in "I like it" is not one); the hypothesis
is what it finds in Whisper's words aligned to the audio, as ``measure`` does.
Fillers are matched per answer as multisets of words (order and time ignored).
Prints filler recall and precision (all, pure "um/uh", context "so/like/you
know"), and WER against the verbatim text and with pure fillers removed from
both sides (the content WER the judge sees). Then pause timing: silences of
1.5 s and 0.6 s inserted between sentences, measured from Whisper's word
timings alone and after alignment to the waveform."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import espeak_wav, wer  # noqa: E402
from voicecoach.analysis import delivery  # noqa: E402
from voicecoach.analysis import prosody  # noqa: E402
from voicecoach.models import Word  # noqa: E402
from voicecoach.analysis.wording import PURE_FILLERS, norm  # noqa: E402

SR = 16000

# (text, espeak voice, rate in wpm). Commas mark the fillers that are set off;
# some answers use "like", "so" and "actually" as ordinary words too.
ANSWERS = [
    ("So, um, I think the main reason is overfitting. Um, we added dropout, and, uh, the validation loss went down.", "en-us", 150),
    ("Well, uh, I would start with the data. Um, then, like, I would check the labels, you know, for noise.", "en-us", 165),
    ("Uh, I'd say, um, gradient descent converges faster with, um, normalized features.", "en", 150),
    ("So, the cache sits in front of the database. It's, like, a key value store, and, uh, entries expire after an hour.", "en-us+m3", 160),
    ("I like this approach because it is simple. Um, the index is, basically, a sorted copy of the column, so lookups are fast.", "en", 140),
    ("Um, so, I led the migration. We, uh, moved one service at a time, and, you know, nothing broke.", "en-us+f3", 155),
    ("Actually, uh, the p value is the chance of data this extreme if the null is true. It is, um, not the chance the null is true.", "en-us", 170),
    ("The model was, I mean, too big for the data. Uh, we pruned it, and, um, accuracy actually went up.", "en-gb-x-rp", 150),
    ("Um, uh, a transaction is all or nothing. So, if one step fails, uh, everything rolls back.", "en-us+m3", 175),
    ("Hmm, I would use a queue here. Um, the producer writes, and, like, the consumer reads at its own pace, uh, with retries.", "en-us", 160),
]

PAUSE_CLIPS = [
    (("First I would check the training data for leaks", "Next I would look at the validation curve carefully",
      "Finally I would add regularization to the model"), "en-us", 130),
    (("We moved the service to a queue", "Next we measured the latency under load", "Finally we removed the old code path"), "en", 180),
    (("The index is a sorted copy of the column", "Lookups use a binary search on it", "Writes get slower because the index changes"), "en-us+f3", 150),
]


def reference_fillers(text: str) -> list[str]:
    words = [Word(word=tok, start=i * 0.4, end=i * 0.4 + 0.3) for i, tok in enumerate(text.split())]
    return [f.word for f in delivery.find_fillers(words)]


def strip_pure(text: str) -> str:
    return " ".join(t for t in text.split() if norm(t) not in PURE_FILLERS)


def synth(text: str, voice: str, rate: int, tmp: Path) -> np.ndarray:
    import soundfile as sf

    data, _ = sf.read(str(espeak_wav(text, tmp / "clip.wav", rate_wpm=rate, voice=voice)), dtype="float32")
    loud = np.flatnonzero(np.abs(data) > 1e-3)
    return data[loud[0] : loud[-1] + 1]


def pad(*parts) -> np.ndarray:
    return np.concatenate([np.zeros(int(p * SR), np.float32) if isinstance(p, float) else p for p in parts])


def run_fillers(transcribers: dict, clips: list[tuple[str, np.ndarray]]) -> None:
    print(f"\nFillers: {len(clips)} answers, {sum(len(reference_fillers(t)) for t, _ in clips)} reference fillers")
    print(f"{'setting':<20} {'recall':>7} {'(pure)':>7} {'(ctx)':>7} {'precis.':>8} {'WER':>6} {'WER-content':>12} {'s/answer':>9}")
    for name, tr in transcribers.items():
        tp = fn = fp = 0
        pure = Counter()
        ctx = Counter()
        refs, hyps = [], []
        t0 = time.time()
        for text, audio in clips:
            hyp_t = tr.transcribe(audio)
            d = delivery.measure(hyp_t, audio=audio)
            ref, hyp = Counter(reference_fillers(text)), Counter(f.word for f in d.fillers)
            hit = ref & hyp
            tp, fn, fp = tp + sum(hit.values()), fn + sum((ref - hyp).values()), fp + sum((hyp - ref).values())
            for w, n in ref.items():
                bucket = pure if w in PURE_FILLERS else ctx
                bucket["ref"] += n
                bucket["hit"] += hit[w]
            refs.append(text)
            hyps.append(hyp_t.text)
        secs = (time.time() - t0) / len(clips)
        recall, precision = tp / max(tp + fn, 1), tp / max(tp + fp, 1)
        w_all = wer(" ".join(refs), " ".join(hyps))
        w_content = wer(" ".join(strip_pure(r) for r in refs), " ".join(strip_pure(h) for h in hyps))
        print(f"{name:<20} {recall:>7.1%} {pure['hit'] / max(pure['ref'], 1):>7.1%} {ctx['hit'] / max(ctx['ref'], 1):>7.1%} "
              f"{precision:>8.1%} {w_all:>6.1%} {w_content:>12.1%} {secs:>9.2f}")
        if "-v" in sys.argv:
            for (text, _), h in zip(clips, hyps):
                print(f"    ref: {text}\n    hyp: {h}")


def run_pauses(transcriber, tmp: Path) -> None:
    print("\nPause timing (inserted 1.5 s and 0.6 s silences; error of start and duration, mean / max):")
    errs = {"word timings": [], "aligned to audio": []}
    for sentences, voice, rate in PAUSE_CLIPS:
        a, b, c = (synth(s, voice, rate, tmp) for s in sentences)
        audio = pad(1.0, a, 1.5, b, 0.6, c, 1.0)
        truth = [(1.0 + len(a) / SR, 1.5), (1.0 + (len(a) + len(b)) / SR + 1.5, 0.6)]
        words = transcriber.transcribe(audio).words
        for name, ws in (("word timings", words), ("aligned to audio", delivery.align_to_audio(words, prosody.silences(audio) or []))):
            found = delivery.find_pauses(ws, 0.1)
            for start, dur in truth:
                p = min(found, key=lambda p: abs(p.start - start), default=None)
                errs[name].append((abs(p.start - start), abs(p.duration_s - dur)) if p else (dur, dur))
    for name, e in errs.items():
        e = np.array(e)
        print(f"  {name:<18} start {e[:, 0].mean():.2f} / {e[:, 0].max():.2f} s   duration {e[:, 1].mean():.2f} / {e[:, 1].max():.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("-v", action="store_true", help="print each reference and hypothesis")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is not installed (install.sh --dev installs it)")
    from voicecoach.engines.stt import FasterWhisperTranscriber

    transcribers = {
        "plain": FasterWhisperTranscriber(args.model, beam_size=5, keep_fillers=False),
        "verbatim, gated": FasterWhisperTranscriber(args.model, beam_size=5, keep_fillers=True),
        "verbatim, whole": FasterWhisperTranscriber(args.model, beam_size=5, keep_fillers=True),
    }
    transcribers["verbatim, whole"].gate_fillers = False  # the second decode over the whole answer
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clips = [(text, pad(0.5, synth(text, voice, rate, tmp), 0.5)) for text, voice, rate in ANSWERS]
        print(f"faster-whisper {args.model}, beam 5, espeak-ng voices {sorted({v for _, v, _ in ANSWERS})}")
        run_fillers(transcribers, clips)
        run_pauses(transcribers["plain"], tmp)


if __name__ == "__main__":
    main()
