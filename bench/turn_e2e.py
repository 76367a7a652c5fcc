"""The spoken turn in real time, through the virtual PulseAudio devices.

    python bench/turn_e2e.py [--runs 3] [--mode after|barge] [--offset 0.3] [--pulse-rt DIR]
                             [--answer short|complete|resume] [--keep DIR]

Runs `voicecoach practice` on one card while streaming what it plays from the
virtual speaker's monitor. The answer (espeak-ng) is spoken into the virtual
microphone --offset s after the question's last sound (mode after), or 1.5 s
into the question (mode barge). Prints per run and as medians:
  launch -> question's first sound; largest silent gap inside the question as
  played, next to the largest gap the synthesizer put there; mic open delay
  (the answer's first sound vs the start of the saved WAV: how much of the
  answer's beginning is missing, <= 0 = nothing lost); end of the answer ->
  the first sound after it (the opener, "Thanks, 1 minute 20: a good
  length.", or the end tone where the opener cannot play), with where the
  time goes (answer end -> end decided -> that sound heard); the opener's
  largest gap as played next to the synthesizer's; end of the answer -> the
  scored summary's first sound (asked for -> heard) and the silence between
  the opener's end and the summary;
  why the recording stopped; WER of the transcript.
Without --pulse-rt it starts a private PulseAudio (tests/virtual.pa)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import espeak_wav, wer  # noqa: E402
from tests.realtime import FRAME_S, SR, SpeakerWatch, gaps, question_audio, speak_at, trim  # noqa: E402

VOICECOACH = str(Path(sys.executable).parent / "voicecoach")
CARD = "cross-entropy-vs-mse"
ANSWERS = {
    # a short answer that covers one key point of five
    "short": ("I would use cross entropy for classification, because it compares the predicted probabilities with the true labels. "
              "Mean squared error assumes Gaussian noise, which does not fit class labels. It is the standard loss for logistic regression."),
    # an answer that covers the card (in its own words): once its pauses are
    # judged to cover most key points, they get the early end-of-turn looks
    "complete": ("For classification I use cross entropy, the negative log of the probability the model gives the true class, so it is the "
                 "negative log likelihood of the labels. Mean squared error is the negative log likelihood under Gaussian noise, so it suits "
                 "real valued targets. With a softmax output the gradient of cross entropy on the logits is p minus y, so a confident wrong "
                 "prediction still gets a large gradient. Squared error through a sigmoid is multiplied by its derivative, which is almost zero "
                 "when the output saturates, so learning is slow. The Brier score, squared error on probabilities, is still a proper scoring "
                 "rule for evaluating forecasts."),
}
# the complete answer, a pause that sounds final (1.3 s), then one more sentence:
# the end tone sounds in the pause, the candidate goes on, the answer resumes
PAUSE = " || "
ANSWERS["resume"] = ANSWERS["complete"] + PAUSE + "For example, a logistic regression trained with squared error learns slowly from its worst mistakes."
ANSWER = ANSWERS["short"]
KEEP: Path | None = None  # --keep


def start_pulse(rt: Path) -> dict:
    rt.mkdir(parents=True, exist_ok=True)
    os.chmod(rt, 0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("PULSE_SERVER", "ALSA_CONFIG_PATH")}
    env.update(XDG_RUNTIME_DIR=str(rt), HOME=str(rt))
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n", f"--file={ROOT / 'tests' / 'virtual.pa'}", "--use-pid-file=yes"],
                   env=env, check=True, capture_output=True, timeout=30)
    client = {"XDG_RUNTIME_DIR": str(rt), "PULSE_SERVER": f"unix:{rt}/pulse/native", "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"}
    for _ in range(50):
        if subprocess.run(["pactl", "info"], env={**os.environ, **client}, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    return client


def question_text() -> str:
    from voicecoach.content.questions import load_bank

    return load_bank().get(CARD).title


def run_once(env: dict, tmp: Path, mode: str, offset: float, extra: list[str], text: str = ANSWER) -> dict:
    """One practice run; returns its figures (times in s)."""
    import soundfile as sf

    q = question_audio(question_text())
    answer_wav = answer_audio(text, tmp)
    text = text.replace(PAUSE, " ")
    answer = trim(sf.read(str(answer_wav), dtype="float32")[0])
    home = tmp / f"home-{time.monotonic_ns()}"
    watch = SpeakerWatch(env)
    watch.settle()  # a monitor that just started times sounds late
    launched = time.monotonic()
    proc = subprocess.Popen([VOICECOACH, "practice", "--question", CARD, "--json", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **env, "VOICECOACH_HOME": str(home), "VOICECOACH_TIMINGS_FILE": str(home / "t.jsonl")})
    try:
        first = watch.wait_for_sound(120)
        q_end = first + len(q) / SR  # the question's last sound (its speech, before the tone)
        when = q_end + offset if mode == "after" else first + 1.5
        player = speak_at(env, answer_wav, when)
        started = time.monotonic()
        player.wait(timeout=120)
        answer_end = started + len(answer) / SR
        out, err = proc.communicate(timeout=240)
        time.sleep(0.5)
    finally:
        if proc.poll() is None:
            proc.kill()
        watch.close()
    if proc.returncode != 0:
        raise RuntimeError(err)
    result = json.loads(out.splitlines()[-1])
    loud, t0 = watch.sound_frames()
    lost_s = watch.lost_s()  # > ~0.05: the monitor dropped audio; this run's sound timings are off
    times = t0 + np.arange(len(loud)) * FRAME_S
    played, _ = watch.audio()
    i0 = int((first - t0) * SR)
    q_played = trim(played[i0 : i0 + len(q) + int(0.05 * SR)])
    after = np.flatnonzero(loud & (times > answer_end))
    tone_at = times[after[0]] if len(after) else float("nan")  # the first sound after the answer: the opener or the tone
    saved, _ = sf.read(result["audio_path"], dtype="float32")
    if KEEP is not None:  # the saved answers, to replay their transcription
        import shutil

        KEEP.mkdir(parents=True, exist_ok=True)
        shutil.copy(result["audio_path"], KEEP / Path(result["audio_path"]).name)
        # and what the speaker played from the answer's start (an opener the answer went on over, the opener, the summary)
        sf.write(str(KEEP / f"speaker-{Path(result['audio_path']).stem}.wav"), played[max(0, int((started - t0) * SR)):], SR)
    # how much of the answer's start is missing from the saved WAV: align the
    # answer (as played into the mic) against the start of the saved audio
    lost = _missing_start(answer, saved)
    timings = [json.loads(x) for x in (home / "t.jsonl").read_text().splitlines()] if (home / "t.jsonl").exists() else None
    t = timings[-1] if timings else {}
    # the coach's marks on this clock (time.monotonic() is system-wide)
    decided = t["t0"] + t["decided"] if t.get("t0") and t.get("decided") is not None else float("nan")
    spoke = t["t0"] + t["speaking_started"] if t.get("t0") and t.get("speaking_started") is not None else float("nan")
    # the scored summary: the first sound after it was asked for
    later = np.flatnonzero(loud & (times > spoke)) if spoke == spoke else []
    feedback_at = times[later[0]] if len(later) else float("nan")
    opener_gap = synth_gap = opener_to_summary = opener_heard = said_s = None
    if t.get("opener_text") and len(after):
        said = question_audio(t["opener_text"])  # as synthesized, silence trimmed
        i1 = int((tone_at - t0) * SR)
        opener_gap = round(max(gaps(trim(played[i1 : i1 + len(said) + int(0.05 * SR)])), default=0.0), 3)
        synth_gap = round(max(gaps(said), default=0.0), 3)
        said_s = round(len(said) / SR, 3)
        heard = np.flatnonzero(loud & (times > tone_at) & (times < feedback_at))
        opener_to_summary = round(feedback_at - times[heard[-1]] - FRAME_S, 3) if len(heard) else None
        opener_heard = round(times[heard[-1]] + FRAME_S - tone_at, 3) if len(heard) else None
    during = np.flatnonzero(loud & (times > started + 0.8) & (times < min(answer_end, started + 5)))
    return {
        "monitor_lost_s": lost_s,
        "launch_to_question": round(first - launched, 3),
        "question_max_gap": round(max(gaps(q_played), default=0.0), 3),
        "synth_max_gap": round(max(gaps(q), default=0.0), 3),
        "answer_start_lost_s": round(lost, 3),
        "first_after_end": "opener" if t.get("opener_text") else "tone",
        "opener": t.get("opener_text"),
        "end_to_tone": round(tone_at - answer_end, 3),  # the first sound after the answer (opener or tone)
        "end_to_feedback": round(feedback_at - answer_end, 3),  # the scored summary
        "end_to_decided": round(decided - answer_end, 3),  # the end of turn decided (the opener or tone is asked for then)
        "decided_to_tone": round(tone_at - decided, 3),  # asking for the opener or tone -> its first sound
        "speak_to_feedback": round(feedback_at - spoke, 3),  # asking for the summary's sound -> its first sound
        "opener_max_gap": opener_gap, "opener_synth_max_gap": synth_gap,  # the opener as played vs as synthesized
        "opener_to_summary_s": opener_to_summary,  # silence between the opener's last sound and the summary
        "opener_heard_s": opener_heard, "opener_synth_s": said_s,  # the opener's first to last sound, as heard vs as synthesized (none cut off)
        "interviewer_sound_after_barge_s": round(len(during) * FRAME_S, 2) if mode == "barge" else None,
        "stop_reason": result["stop_reason"],
        "wer": round(wer(text, result["transcript"]["text"]), 3),
        "covered": sum(k["verdict"] == "covered" for k in result["key_points"]),
        "transcript_end": result["transcript"]["text"][-50:],
        "transcript_start": result["transcript"]["text"][:40],
        "timings": timings,
        "saved_s": round(len(saved) / SR, 2), "answer_s": round(len(answer) / SR, 2),
    }


def answer_audio(text: str, tmp: Path, pause_s: float = 1.3) -> Path:
    """The answer as espeak-ng speaks it; each PAUSE in the text is pause_s of silence."""
    import soundfile as sf

    parts = text.split(PAUSE)
    if len(parts) == 1:
        return espeak_wav(text, tmp / "answer.wav", rate_wpm=160)
    clips = [trim(sf.read(str(espeak_wav(part, tmp / f"part{i}.wav", rate_wpm=160)), dtype="float32")[0]) for i, part in enumerate(parts)]
    gap = np.zeros(int(pause_s * SR), np.float32)
    joined = np.concatenate([x for clip in clips for x in (clip, gap)][:-1])
    sf.write(str(tmp / "answer.wav"), joined, SR, subtype="PCM_16")
    return tmp / "answer.wav"


def _missing_start(answer: np.ndarray, saved: np.ndarray) -> float:
    """Seconds of the answer's beginning missing from ``saved`` (negative: the
    saved audio starts that much before the answer), by cross-correlating the
    answer's first second with the saved audio's first 10 s."""
    from scipy.signal import fftconvolve

    head = answer[: SR]
    hay = saved[: SR * 10]
    if len(hay) < len(head):
        return float("nan")
    corr = fftconvolve(hay, head[::-1], mode="valid")
    k = int(np.argmax(corr))  # the answer's start sits at sample k of the saved audio
    if corr[k] < 0.3 * float(np.dot(head, head)):
        # the start is not there: find where the saved audio begins inside the answer
        corr2 = fftconvolve(answer[: SR * 15], hay[: SR][::-1], mode="valid")
        return int(np.argmax(corr2)) / SR
    return -k / SR


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mode", choices=["after", "barge"], default="after")
    ap.add_argument("--offset", type=float, default=0.3)
    ap.add_argument("--pulse-rt", default=None)
    ap.add_argument("--answer", choices=sorted(ANSWERS), default="short", help="short: covers one key point of five; complete: covers the card; resume: complete, a 1.3 s pause, one more sentence")
    ap.add_argument("--keep", type=Path, default=None, help="copy each saved answer WAV here")
    ap.add_argument("extra", nargs="*", help="extra practice flags, after --")
    a = ap.parse_args()
    global KEEP
    KEEP = a.keep
    with tempfile.TemporaryDirectory(prefix="vc-turn-") as tmp:
        tmp = Path(tmp)
        env = ({"XDG_RUNTIME_DIR": a.pulse_rt, "PULSE_SERVER": f"unix:{a.pulse_rt}/pulse/native", "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"}
               if a.pulse_rt else start_pulse(tmp / "rt"))
        rows = []
        for i in range(a.runs):
            r = run_once(env, tmp, a.mode, a.offset, a.extra, ANSWERS[a.answer])
            rows.append(r)
            print(json.dumps(r), flush=True)
        if not a.pulse_rt:
            subprocess.run(["pulseaudio", "--kill"], env={**os.environ, "XDG_RUNTIME_DIR": str(tmp / "rt"), "HOME": str(tmp / "rt")}, capture_output=True)
    for key in ("launch_to_question", "question_max_gap", "answer_start_lost_s", "end_to_decided", "decided_to_tone", "end_to_tone",
                "opener_max_gap", "opener_to_summary_s", "speak_to_feedback", "end_to_feedback", "wer"):
        vals = [r[key] for r in rows if r[key] is not None and r[key] == r[key]]
        if vals:
            print(f"{key:22s} median {statistics.median(vals):6.3f}  min {min(vals):6.3f}  max {max(vals):6.3f}")


if __name__ == "__main__":
    main()
