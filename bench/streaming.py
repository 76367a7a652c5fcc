"""Streamed vs whole-file transcription quality, on several answers.

    python bench/streaming.py [--answers 4] [--seconds 70] [--pauses 0.3,1.2]
                              [--long-tail] [--show]

Each answer is real human speech (Debian's asterisk prompts, with their
reference texts) joined with short pauses. It is fed through the same path
the microphone takes (Silero endpointer + StreamingTranscriber, in 0.1 s
blocks, faster than real time), then the same audio is transcribed whole.
Prints WER both ways per answer and pooled, and how many chunks were cut.
--long-tail: the answer's last piece encoded in Whisper's full 30 s window,
as every other piece (by default it is encoded at its length, for speed:
stt.short_frames). --show: each answer's word errors, streamed and whole."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import stream_like_the_microphone, wer, wer_words  # noqa: E402
from tests.test_speech import spoken_answers  # noqa: E402
from voicecoach.engines.stt import FasterWhisperTranscriber  # noqa: E402

SR = 16000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=70.0)
    ap.add_argument("--pauses", type=lambda x: tuple(float(v) for v in x.split(",")), default=(0.3, 1.2),
                    help="pauses between prompts, low,high (s)")
    ap.add_argument("--long-tail", action="store_true", help="encode the last piece in the full 30 s window")
    ap.add_argument("--show", action="store_true", help="print each answer's word errors")
    args = ap.parse_args()
    stt = FasterWhisperTranscriber(keep_fillers=True)
    if args.long_tail:
        stt.short_encoder = False
    refs, streamed, whole = [], [], []
    t0 = time.perf_counter()
    for n, (audio, ref) in enumerate(spoken_answers(args.answers, args.seconds, pauses=args.pauses), 1):
        streamed_t, chunks = stream_like_the_microphone(audio, stt)
        s_text = streamed_t.text
        w_text = stt.transcribe(audio).text
        refs.append(ref)
        streamed.append(s_text)
        whole.append(w_text)
        cut = f" (the answer ended at {streamed_t.duration_s:.1f} s: a silence as long as the end bound)" if streamed_t.duration_s < len(audio) / SR - 3.0 else ""  # (each answer ends with 2.5 s of silence)
        print(f"answer {n}: {len(audio) / SR:.0f} s, {chunks} chunks: WER streamed {wer(ref, s_text):.1%}, whole file {wer(ref, w_text):.1%}{cut}")
        if args.show:
            print(f"  streamed: {errors(ref, s_text)}\n  whole:    {errors(ref, w_text)}")
    print(f"pooled over {len(refs)} answers: WER streamed {wer(' '.join(refs), ' '.join(streamed)):.1%}, "
          f"whole file {wer(' '.join(refs), ' '.join(whole)):.1%}  ({time.perf_counter() - t0:.0f} s)")


def errors(ref: str, hyp: str) -> str:
    """The words that differ: [reference -> heard], [-missing], [+extra]."""
    import difflib

    r, h = wer_words(ref), wer_words(hyp)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=r, b=h, autojunk=False).get_opcodes():
        if op == "replace":
            out.append(f"[{' '.join(r[i1:i2])} -> {' '.join(h[j1:j2])}]")
        elif op == "delete":
            out.append(f"[-{' '.join(r[i1:i2])}]")
        elif op == "insert":
            out.append(f"[+{' '.join(h[j1:j2])}]")
    return " ".join(out) or "(none)"


if __name__ == "__main__":
    main()
