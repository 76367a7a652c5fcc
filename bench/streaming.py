"""Streamed vs whole-file transcription quality, on several answers.

    python bench/streaming.py [--answers 4] [--seconds 70] [--pauses 0.3,1.2]

Each answer is real human speech (Debian's asterisk prompts, with their
reference texts) joined with short pauses. It is fed through the same path
the microphone takes (Silero endpointer + StreamingTranscriber, in 0.1 s
blocks, faster than real time), then the same audio is transcribed whole.
Prints WER both ways per answer and pooled, and how many chunks were cut."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import stream_like_the_microphone, wer  # noqa: E402
from tests.test_speech import spoken_answers  # noqa: E402
from voicecoach.engines.stt import FasterWhisperTranscriber  # noqa: E402

SR = 16000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=70.0)
    ap.add_argument("--pauses", type=lambda x: tuple(float(v) for v in x.split(",")), default=(0.3, 1.2),
                    help="pauses between prompts, low,high (s)")
    args = ap.parse_args()
    stt = FasterWhisperTranscriber(keep_fillers=True)
    refs, streamed, whole = [], [], []
    t0 = time.perf_counter()
    for n, (audio, ref) in enumerate(spoken_answers(args.answers, args.seconds, pauses=args.pauses), 1):
        streamed_t, chunks = stream_like_the_microphone(audio, stt)
        s_text = streamed_t.text
        w_text = stt.transcribe(audio).text
        refs.append(ref)
        streamed.append(s_text)
        whole.append(w_text)
        print(f"answer {n}: {len(audio) / SR:.0f} s, {chunks} chunks: WER streamed {wer(ref, s_text):.1%}, whole file {wer(ref, w_text):.1%}")
    print(f"pooled over {len(refs)} answers: WER streamed {wer(' '.join(refs), ' '.join(streamed)):.1%}, "
          f"whole file {wer(' '.join(refs), ' '.join(whole)):.1%}  ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
