"""End-of-speech to feedback latency, through the real audio stack.

    python bench/latency.py [--runs 3] [--answer answer.wav]

Starts a private PulseAudio with a virtual microphone and speaker, runs
`voicecoach practice` on the embedded defaults, and "speaks" a recorded answer
(default: a ~70 s answer made from Debian's asterisk prompts, real human
speech) into the microphone in real time. From the timings voicecoach writes
(VOICECOACH_TIMINGS_FILE) it prints, per run and as median and spread:
  written feedback latency = report on screen - recording ended (the VAD's
  silence window is not counted: recording ends when it has elapsed),
  its parts (last chunk's transcription, judge, rendering), spoken feedback
  start, and the process's peak RSS."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VOICECOACH = str(Path(sys.executable).parent / "voicecoach")
ASTERISK = Path("/usr/share/asterisk/sounds/en_US_f_Allison")


def make_answer(path: Path, seconds: float = 70.0) -> Path:
    """Real human speech: asterisk prompts with short natural pauses."""
    sys.path.insert(0, str(ROOT))
    from voicecoach.engines.audiofile import read_audio, write_wav

    from tests.test_speech import asterisk_clips

    parts, refs, total = [], [], 0.0
    for c, ref in asterisk_clips(60)[5:]:
        a = read_audio(c)
        parts += [a, np.zeros(int(0.5 * 16000), np.float32)]
        refs.append(ref)
        total += len(a) / 16000 + 0.5
        if total >= seconds:
            break
    write_wav(path, np.concatenate(parts))
    REFERENCE.append(" ".join(refs))
    return path


REFERENCE: list[str] = []


def start_pulse(rt: Path) -> dict:
    env = dict(os.environ, XDG_RUNTIME_DIR=str(rt), HOME=str(rt))
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n", f"--file={ROOT / 'tests' / 'virtual.pa'}"],
                   env=env, check=True, capture_output=True)
    for _ in range(50):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    return {"XDG_RUNTIME_DIR": str(rt), "PULSE_SERVER": f"unix:{rt}/pulse/native"}


def one_run(answer: Path, pulse_env: dict, home: Path, timings: Path, end_silence: float) -> dict:
    env = {**os.environ, **pulse_env, "VOICECOACH_HOME": str(home), "VOICECOACH_TIMINGS_FILE": str(timings)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.Popen([VOICECOACH, "practice", "-q", "cross-entropy-vs-mse", "--json", "--end-silence", str(end_silence)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    while True:
        line = proc.stderr.readline()
        if not line or "Listening" in line:
            break
    time.sleep(0.3)
    subprocess.run(["paplay", "--device=micfeed", str(answer)], env=env, check=True)
    out, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"practice failed: {err[-2000:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = json.loads(timings.read_text().strip().splitlines()[-1])
    if os.environ.get("VC_DEBUG"):
        print(t)
    t["peak_rss_mb"] = round(max(rss, before) / 1024)
    res = json.loads(out)
    t["words"] = len(res["transcript"]["words"])
    t["text"] = res["transcript"]["text"]
    t["audio_path"] = res["audio_path"]
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--answer", type=Path, default=None)
    ap.add_argument("--end-silence", type=float, default=2.5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vc-latency-") as tmp:
        tmp = Path(tmp)
        answer = args.answer or make_answer(tmp / "answer.wav")
        import soundfile as sf

        print(f"answer: {answer} ({sf.info(str(answer)).duration:.0f} s), end silence {args.end_silence} s, {args.runs} runs")
        rt = tmp / "rt"
        rt.mkdir(mode=0o700)
        pulse_env = start_pulse(rt)
        rows = []
        try:
            for i in range(args.runs):
                r = one_run(answer, pulse_env, tmp / "home", tmp / "timings.jsonl", args.end_silence)
                rows.append(r)
                print(f"run {i + 1}: written feedback {r['written_feedback']:.2f} s after recording ended "
                      f"(transcribe tail {r['transcribed']:.2f} s, judge {r['judged'] - r['transcribed']:.2f} s, "
                      f"render {r['written_feedback'] - r['judged']:.2f} s); spoken feedback starts {r.get('speaking_started', float('nan')):.2f} s; "
                      f"{r.get('chunks_early', 0)} chunks transcribed while speaking"
                      f"{', speculative tail used' if r.get('speculative_tail') else ''}; peak RSS {r['peak_rss_mb']} MB")
        finally:
            subprocess.run(["pulseaudio", "--kill"], env=dict(os.environ, XDG_RUNTIME_DIR=str(rt), HOME=str(rt)), capture_output=True)
        for key in ("written_feedback", "transcribed", "speaking_started"):
            vals = [r[key] for r in rows if key in r]
            if vals:
                print(f"{key:18s} median {statistics.median(vals):.2f} s  range {min(vals):.2f}-{max(vals):.2f} s")
        print(f"peak RSS           max {max(r['peak_rss_mb'] for r in rows)} MB")
        if REFERENCE:
            from tests.conftest import wer
            from voicecoach.engines.audiofile import read_audio
            from voicecoach.engines.stt import FasterWhisperTranscriber

            whole = FasterWhisperTranscriber(keep_fillers=True).transcribe(read_audio(rows[-1]["audio_path"])).text
            streamed = statistics.median(wer(REFERENCE[0], r["text"]) for r in rows)
            print(f"WER against the reference: streamed while speaking {streamed:.1%} (median of runs), whole file at once {wer(REFERENCE[0], whole):.1%}")


if __name__ == "__main__":
    main()
