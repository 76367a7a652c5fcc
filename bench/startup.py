"""Launch to the question, measured from outside, over the virtual PulseAudio devices.

    python bench/startup.py [--runs 5] [--card cross-entropy-vs-mse] [--pulse-rt DIR] [-- extra practice flags]

Each run launches the real command (``voicecoach practice --card CARD --offline
--json``), streams the virtual speaker's monitor and watches PulseAudio's
events (``pactl subscribe``: a new source-output is the microphone being
opened). Once the question and its start tone have played, the run is
stopped with Ctrl-C (SIGINT); nothing is answered. Per run and as medians:

  launch_to_sound    launch -> the question's first sound on the speaker (target <= 1.5 s)
  max_gap            the longest silence inside the question as played (target <= 0.15 s
                     beyond what the synthesizer put there: synth_gap)
  stretch            the question's played length minus its synthesized length (a stutter
                     lengthens it)
  mic_open_vs_end    the microphone stream's creation minus the question's last sound
                     (target <= 0.2 s; negative = open before the question ended)

Without --pulse-rt it starts a private PulseAudio (tests/virtual.pa)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.turn_e2e import start_pulse  # noqa: E402
from tests.realtime import FRAME_S, SR, SpeakerWatch, gaps, question_audio, trim  # noqa: E402

VOICECOACH = str(Path(sys.executable).parent / "voicecoach")


class PulseEvents:
    """``pactl subscribe`` in a thread: the monotonic time of each new
    source-output (a recording stream) and sink-input (a playback stream)."""

    def __init__(self, env: dict) -> None:
        self.events: list[tuple[float, str]] = []
        self.proc = subprocess.Popen(["pactl", "subscribe"], stdout=subprocess.PIPE, text=True, env={**os.environ, **env})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if "'new'" in line:
                self.events.append((time.monotonic(), "mic" if "source-output" in line else "play" if "sink-input" in line else "other"))

    def first(self, kind: str, after: float) -> float:
        return next((t for t, k in self.events if k == kind and t >= after), float("nan"))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def question_text(card: str) -> str:
    from voicecoach.content.questions import load_bank

    return load_bank().get(card).title


def run_once(env: dict, tmp: Path, card: str, q: np.ndarray, extra: list[str]) -> dict:
    home = tmp / f"home-{time.monotonic_ns()}"
    watch = SpeakerWatch(env)
    events = PulseEvents(env)
    watch.settle()  # a monitor that just started times sounds late
    launched = time.monotonic()
    proc = subprocess.Popen([VOICECOACH, "practice", "--card", card, "--offline", "--json", *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **env, "VOICECOACH_HOME": str(home)})
    try:
        first = watch.wait_for_sound(float(os.environ.get("STARTUP_TIMEOUT", "60")))
        # wait for the question and its tone, then for 1.5 s of silence after them
        deadline = first + len(q) / SR + 20
        end = float("nan")
        while time.monotonic() < deadline:
            time.sleep(0.1)
            loud, t0 = watch.sound_frames()
            hits = np.flatnonzero(loud)
            last = t0 + hits[-1] * FRAME_S + FRAME_S
            if last > first + 0.8 * len(q) / SR and time.monotonic() - last > 1.5:
                end = last
                break
        if end != end:
            loud, t0 = watch.sound_frames()
            raise RuntimeError(f"no end of question found; sound runs: {_runs(loud, t0 - launched)}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        watch.close()
        events.close()
    played, t0 = watch.audio()
    loud, _ = watch.sound_frames()
    runs = [r for r in _runs(loud, t0) if first - 0.05 <= r[0] <= end]
    # the question's last sound: the end of the run before the start tone (a short run at the end)
    tone = len(runs) > 1 and runs[-1][1] - runs[-1][0] <= 0.2
    q_end = runs[-2][1] if tone else runs[-1][1]
    i0 = int((first - t0) * SR)
    q_played = trim(played[i0 : int((q_end - t0) * SR)])
    if os.environ.get("STARTUP_DUMP"):
        import soundfile as sf

        sf.write(os.environ["STARTUP_DUMP"], played[i0:], SR)
    mic = events.first("mic", launched)
    return {
        "launch_to_sound": round(first - launched, 3),
        "max_gap": round(max(gaps(q_played), default=0.0), 3),
        "synth_gap": round(max(gaps(q), default=0.0), 3),
        "stretch": round(len(q_played) / SR - len(q) / SR, 3),
        "mic_open_vs_end": round(mic - q_end, 3),
        "launch_to_mic": round(mic - launched, 3),
        "question_s": round(len(q) / SR, 2),
        "tone_heard": bool(tone),
        "gaps": [round(g, 2) for g in gaps(q_played)[:6]],
    }


def _runs(loud: np.ndarray, t0: float) -> list:
    idx = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(int), [0]])))
    return [(round(t0 + a * FRAME_S, 2), round(t0 + b * FRAME_S, 2)) for a, b in zip(idx[::2], idx[1::2])]


def _mkdir(p: Path) -> Path:
    p.mkdir()
    return p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--card", default="cross-entropy-vs-mse")
    ap.add_argument("--pulse-rt", default=None)
    ap.add_argument("extra", nargs="*", help="extra practice flags, after --")
    a = ap.parse_args()
    q = question_audio(question_text(a.card))
    with tempfile.TemporaryDirectory(prefix="vc-startup-") as tmp:
        tmp = Path(tmp)
        env = ({"XDG_RUNTIME_DIR": a.pulse_rt, "PULSE_SERVER": f"unix:{a.pulse_rt}/pulse/native", "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"}
               if a.pulse_rt else start_pulse(_mkdir(tmp / "rt")))
        rows = []
        try:
            for _ in range(a.runs):
                r = run_once(env, tmp, a.card, q, a.extra)
                rows.append(r)
                print(json.dumps(r), flush=True)
        finally:
            if not a.pulse_rt:
                subprocess.run(["pulseaudio", "--kill"], env={**os.environ, "XDG_RUNTIME_DIR": str(tmp / "rt"), "HOME": str(tmp / "rt")},
                               capture_output=True)
    for key in ("launch_to_sound", "max_gap", "stretch", "mic_open_vs_end"):
        vals = [r[key] for r in rows if r[key] == r[key]]
        if vals:
            print(f"{key:16s} median {statistics.median(vals):6.3f}  min {min(vals):6.3f}  max {max(vals):6.3f}  (n={len(vals)})")


if __name__ == "__main__":
    main()
