"""Speech-to-text engines side by side, on real human speech (asterisk prompts).

    python bench/stt.py              # the 40 longest prompts with plain reference texts
    python bench/stt.py --clips 10   # quicker

For each engine and model available offline (faster-whisper tiny.en at beam 1
and 5, openai-whisper tiny.en greedy) prints: load time, first-call time (a
short warm-up clip; includes openai-whisper's numba JIT for word timings),
real-time factor (transcribe time / audio time), corpus WER, and peak RSS.
Each engine runs in a fresh subprocess, so peak RSS is that engine's own.
Settings are the adapters' own (word timestamps on; faster-whisper int8 + VAD)."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import wer  # noqa: E402
from tests.test_speech import ASTERISK_DIR, ASTERISK_TEXT, asterisk_clips  # noqa: E402

# (label, engine, beam size); openai-whisper decodes greedily (temperature 0).
ENGINES = [
    ("faster-whisper tiny.en beam 1", "faster-whisper", 1),
    ("faster-whisper tiny.en beam 5", "faster-whisper", 5),
    ("openai-whisper tiny.en greedy", "openai-whisper", 1),
]


def child(engine: str, beam: int, n_clips: int) -> dict:
    """Runs in its own process: load, warm up, transcribe, report as JSON."""
    from voicecoach.engines.audiofile import read_audio
    from voicecoach.engines.stt_engines import make_transcriber

    clips = asterisk_clips(n_clips)
    warmup = asterisk_clips(200)[-1][0]  # a short prompt outside the measured set
    t0 = time.perf_counter()
    stt = make_transcriber(engine, "tiny.en", beam_size=beam)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    stt.transcribe(read_audio(warmup))
    first_s = time.perf_counter() - t0
    audio_s = busy_s = 0.0
    refs, hyps = [], []
    for path, ref in clips:
        audio = read_audio(path)
        t0 = time.perf_counter()
        text = stt.transcribe(audio).text
        busy_s += time.perf_counter() - t0
        audio_s += len(audio) / 16000
        refs.append(ref)
        hyps.append(text)
    return {
        "load_s": load_s, "first_s": first_s, "audio_s": audio_s, "rtf": busy_s / audio_s,
        "wer": wer(" ".join(refs), " ".join(hyps)), "clips": len(clips),
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def prepare_openai_checkpoint() -> str:
    """Convert tiny.en for openai-whisper once (in a subprocess), so the table's
    load time is the everyday one, not the first-run conversion."""
    code = (
        "import time; from voicecoach.engines.stt import embedded_model_path; "
        "from voicecoach.engines.stt_openai import cached_checkpoint, models_dir; "
        "t = time.perf_counter(); p = cached_checkpoint(embedded_model_path(), models_dir(), 'tiny.en'); "
        "print(f'{p} ({time.perf_counter() - t:.1f} s)')"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return run.stdout.strip() if run.returncode == 0 else f"failed: {run.stderr.strip().splitlines()[-1:]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=40, help="how many of the longest prompts (default 40)")
    ap.add_argument("--child", nargs=2, metavar=("ENGINE", "BEAM"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not ASTERISK_DIR.exists() or not ASTERISK_TEXT.exists():
        sys.exit("needs the asterisk prompts: apt-get install asterisk-core-sounds-en-wav asterisk-core-sounds-en")
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.clips)))
        return

    print(f"openai-whisper checkpoint: {prepare_openai_checkpoint()}")
    rows = []
    for label, engine, beam in ENGINES:
        print(f"running {label} ...", file=sys.stderr, flush=True)
        run = subprocess.run([sys.executable, __file__, "--child", engine, str(beam), "--clips", str(args.clips)],
                             capture_output=True, text=True, cwd=ROOT)
        if run.returncode != 0:
            rows.append((label, None, (run.stderr.strip().splitlines() or ["?"])[-1]))
            continue
        rows.append((label, json.loads(run.stdout.strip().splitlines()[-1]), ""))

    done = [r for _, r, _ in rows if r]
    if done:
        print(f"\n{done[0]['clips']} asterisk prompts, {done[0]['audio_s'] / 60:.1f} min of audio\n")
    print(f"{'engine':32s} {'load s':>7s} {'1st call s':>10s} {'RTF':>6s} {'WER %':>6s} {'peak RSS MB':>11s}")
    for label, r, err in rows:
        if r is None:
            print(f"{label:32s} failed: {err}")
        else:
            print(f"{label:32s} {r['load_s']:7.2f} {r['first_s']:10.2f} {r['rtf']:6.3f} {100 * r['wer']:6.1f} {r['peak_rss_mb']:11.0f}")


if __name__ == "__main__":
    main()
