"""Word accuracy with filler keeping on, against the plain decode, for both engines.

    python bench/words.py [--prompts 15] [--engines faster-whisper,openai-whisper]

Real human speech: the --prompts longest Debian asterisk prompts joined with
1 s gaps into one answer (about 6 minutes for 15), as in issue 15. For each
engine, tiny.en: WER of the plain decode (keep_fillers off) and of the
default set-up (keep_fillers on: plain words + fillers of a verbatim decode),
then the two engines' WER against each other (agreement). Each engine
transcribes the whole answer in 30 s windows itself, as `score --answer-file`
does; faster-whisper at beam 1 here so the engines decode alike (openai-whisper
is greedy)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import wer  # noqa: E402
from tests.test_speech import asterisk_clips  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=15)
    ap.add_argument("--engines", default="faster-whisper,openai-whisper")
    ap.add_argument("--beam", type=int, default=1)
    a = ap.parse_args()
    from voicecoach.engines.audiofile import read_audio
    from voicecoach.engines.stt_engines import make_transcriber

    parts, refs = [], []
    for path, ref in asterisk_clips(a.prompts):
        parts += [read_audio(path), np.zeros(16000, np.float32)]
        refs.append(ref)
    audio = np.concatenate(parts)
    ref = " ".join(refs)
    print(f"{a.prompts} asterisk prompts, {len(audio) / 16000:.0f} s, {len(ref.split())} words")
    texts = {}
    for engine in a.engines.split(","):
        for keep, gate in ((False, True), (True, True), (True, False)):
            tr = make_transcriber(engine, "tiny.en", beam_size=a.beam, keep_fillers=keep)
            if keep and not hasattr(tr, "gate_fillers") and not gate:
                continue  # this engine has no gate: its "fillers kept" row is the whole second decode
            if hasattr(tr, "gate_fillers"):
                tr.gate_fillers = gate
            t0 = time.time()
            text = tr.transcribe(audio).text
            if gate:
                texts[(engine, keep)] = text
            name = "plain" if not keep else "fillers kept" + (", whole" if not gate else ", gated" if hasattr(tr, "gate_fillers") else "")
            again = f"   second decode over {getattr(tr, 'reheard_s', 0.0):.0f} s" if keep and hasattr(tr, "reheard_s") else ""
            print(f"{engine:15s} {name:21s} WER {wer(ref, text):6.2%}   {time.time() - t0:6.1f} s{again}")
    engines = a.engines.split(",")
    if len(engines) == 2:
        for keep in (False, True):
            x, y = texts[(engines[0], keep)], texts[(engines[1], keep)]
            print(f"engines' agreement ({'fillers kept' if keep else 'plain'}): WER of one against the other {wer(x, y):.2%}; "
                  f"their WERs differ by {abs(wer(ref, x) - wer(ref, y)):.2%}")


if __name__ == "__main__":
    main()
