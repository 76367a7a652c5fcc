"""The answer's last piece, encoded at 30 s (Whisper's window) or at its length.

    python bench/tails.py [--tails 40] [--margins 2:8,1:0]

When the answer ends, the candidate waits for its last piece (the tail: up to
~10 s since the last chunk was cut) to be transcribed. Whisper's encoder is
fed 30 s of audio whatever the speech; faster-whisper (CTranslate2) also runs
it on a shorter input. This builds --tails tails of real human speech (Debian
asterisk prompts in a row with 0.3-0.9 s pauses, 3-11 s or one prompt more,
then 0.5 s of silence: tests/test_speech.spoken_answers), transcribes each with the app's transcriber (tiny.en, beam 5,
filler pass on) at 30 s and with ``short=True`` at each MARGIN:FLOOR (s) of
--margins (stt.SHORT_MARGIN_S / SHORT_FLOOR_S), and prints WER (mean of the
tails, and pooled), seconds per tail and the ratio to 30 s. The filler pass is
encoded short in every row (the app does so): only its fillers are kept."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import wer  # noqa: E402
from tests.test_speech import spoken_answers  # noqa: E402


def tails(n: int, seed: int = 3) -> list[tuple[np.ndarray, str]]:
    """n tails: 3-11 s of consecutive prompts (pauses 0.3-0.9 s) and 0.5 s
    of silence, at most 14.5 s in all (the longest prompts come first)."""
    pieces = spoken_answers(3 * n, seconds=(3.0, 11.0), seed=seed, pauses=(0.3, 0.9), end_s=0.5)
    return [(audio, ref) for audio, ref in pieces if len(audio) <= 14.5 * 16000][:n]


def run(stt, pieces, short: bool) -> tuple[float, float, float]:
    hyps, t0 = [], time.perf_counter()
    for audio, _ in pieces:
        hyps.append(stt.transcribe(audio, short=short).text)
    secs = (time.perf_counter() - t0) / len(pieces)
    refs = [r for _, r in pieces]
    return float(np.mean([wer(r, h) for r, h in zip(refs, hyps)])), wer(" ".join(refs), " ".join(hyps)), secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tails", type=int, default=40)
    ap.add_argument("--margins", default="2:8", help="MARGIN:FLOOR pairs in seconds, comma-separated")
    a = ap.parse_args()
    from voicecoach.engines import stt as stt_mod

    pieces = tails(a.tails)
    secs = [len(x) / 16000 for x, _ in pieces]
    print(f"{len(pieces)} tails of human speech, {min(secs):.1f}-{max(secs):.1f} s (median {np.median(secs):.1f})")
    stt = stt_mod.FasterWhisperTranscriber("tiny.en", beam_size=5, keep_fillers=True)  # the app's default set-up
    stt.transcribe(pieces[0][0])  # warm-up
    base = run(stt, pieces, short=False)
    print(f"{'encoder input':24s} {'WER % (mean)':>12s} {'WER % (pooled)':>14s} {'s a tail':>9s} {'ratio':>6s}")
    print(f"{'30 s':24s} {100 * base[0]:12.2f} {100 * base[1]:14.2f} {base[2]:9.2f} {1.0:6.2f}")
    for pair in a.margins.split(","):
        margin, floor = (float(x) for x in pair.split(":"))
        stt_mod.SHORT_MARGIN_S, stt_mod.SHORT_FLOOR_S = margin, floor
        r = run(stt, pieces, short=True)
        print(f"{f'length+{margin:g} s, >= {floor:g} s':24s} {100 * r[0]:12.2f} {100 * r[1]:14.2f} {r[2]:9.2f} {r[2] / base[2]:6.2f}")


if __name__ == "__main__":
    main()
