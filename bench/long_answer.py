"""A 20-minute answer: peak memory, its growth, and the time limit.

    python bench/long_answer.py [--minutes 20] [--only file,stages,record,practice] [--speed 4] [--fake-stt]

The answer is real human speech (Debian's asterisk prompts, looped, with
0.3-1.2 s pauses between them, like a speaker's). Each scenario runs in its
own process, so peaks do not mix; RSS is read from /proc (VmRSS now, VmHWM the
kernel's peak so far).

  file      `voicecoach score --answer-file` on a WAV of --minutes, run as the
            CLI itself; RSS sampled every 50 ms, stage times from
            VOICECOACH_TIMINGS_FILE.
  stages    the same calls in process (cli._coach, Coach.attempt), with the
            peak RSS of each stage (the kernel's peak, reset between stages).
  record    audio.record() alone, with the Silero endpointer, fed by a fake
            sounddevice InputStream (0.1 s int16 blocks, --speed x real time,
            0 = as fast as it takes them) with --minutes + 30 s of speech and
            the time limit set to --minutes.
  practice  the microphone path of `voicecoach practice`: Coach.attempt with
            audio.record, the closing-phrase watcher, the streaming transcriber
            (Whisper tiny.en, or --fake-stt), delivery, the offline judge and
            the store; same fake stream and limit.

For record and practice it prints RSS at 1, 5, 10 and 20 minutes of audio,
why and when recording stopped, and the WAV's size."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VOICECOACH = str(Path(sys.executable).parent / "voicecoach")
SR = 16000
BLOCK = 1600  # 0.1 s, what PortAudio delivers with latency="high"
CARD = "bh-leading-a-project"
MARKS = (1, 5, 10, 20)


def rss_mb(pid: str | int = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS


# ---------------------------------------------------------------- the speech


def make_speech(path: Path, seconds: float, seed: int = 7) -> int:
    """Write ``seconds`` of looped asterisk prompts (none with a closing
    phrase such as "that's all") to ``path`` as it goes. Returns clips used."""
    sys.path.insert(0, str(ROOT))
    from tests.test_speech import asterisk_clips
    from voicecoach.engines.audiofile import WavWriter, read_audio
    from voicecoach.core.answer_text import CLOSING_PHRASES

    rng = np.random.default_rng(seed)
    clips = [read_audio(c) for c, ref in asterisk_clips(400) if not CLOSING_PHRASES.search(ref) and "thank" not in ref.lower()]
    clips = [c for c in clips if 1.5 * SR <= len(c) <= 20 * SR]  # sentences, not the 73 s tutorial
    clips = [clips[i] for i in rng.permutation(len(clips))]
    need, used = int(seconds * SR), 0
    with WavWriter(path) as w:
        while w.frames < need:
            clip = clips[used % len(clips)]
            used += 1
            part = np.concatenate([clip, np.zeros(int(rng.uniform(0.3, 1.2) * SR), np.float32)])
            w.write(part[: need - w.frames])
    return used


class FakeInputStream:
    """sounddevice.InputStream over a WAV file: a thread calls the callback
    with int16 blocks, ``speed`` times faster than real time (0: no pause)."""

    delivered = 0  # samples handed to the callback, read by the tick hook

    def __init__(self, source: Path, speed: float, callback, **_kw) -> None:
        self.source, self.speed, self.callback = source, speed, callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import soundfile as sf

        class Status:
            input_overflow = False

        t0 = time.monotonic()
        with sf.SoundFile(str(self.source)) as f:
            while not self._stop.is_set():
                block = f.read(BLOCK, dtype="int16", always_2d=True)
                if len(block) == 0:
                    return
                self.callback(block, len(block), None, Status())
                FakeInputStream.delivered += len(block)
                if self.speed:
                    delay = t0 + FakeInputStream.delivered / SR / self.speed - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)

    latency = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def close(self) -> None:
        pass

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def fake_microphone(source: Path, speed: float) -> None:
    import sounddevice as sd

    sd.InputStream = lambda **kw: FakeInputStream(source, speed, **kw)


class Marks:
    """on_tick hook: RSS when the recording passes each mark (minutes)."""

    def __init__(self, minutes: float) -> None:
        self.todo = [m for m in MARKS if m < minutes] + [minutes]
        self.rows: list[dict] = []
        self.t0 = time.monotonic()

    def __call__(self, tick) -> None:
        if self.todo and tick.elapsed_s >= self.todo[0] * 60 - 0.05:
            rss, hwm = rss_mb()
            stream = STREAMS[-1] if STREAMS else None
            queued = stream._pool._work_queue.qsize() if stream is not None else 0  # transcription jobs waiting
            self.rows.append({"minute": self.todo.pop(0), "rss": rss, "peak": hwm, "wall_s": time.monotonic() - self.t0,
                              "backlog_s": FakeInputStream.delivered / SR - tick.elapsed_s, "stt_queue": queued})


STREAMS: list = []  # the practice path's StreamingTranscriber, to show its queue (diagnostics only)


def watch_streams() -> None:
    from voicecoach.engines import streaming

    init = streaming.StreamingTranscriber.__init__

    def remember(self, *a, **kw):
        init(self, *a, **kw)
        STREAMS.append(self)

    streaming.StreamingTranscriber.__init__ = remember


# ---------------------------------------------------------------- scenarios


def child_record(args) -> dict:
    from voicecoach.engines.audio import record
    from voicecoach.engines.vad import Endpointer, SileroVAD

    fake_microphone(args.source, args.speed)
    endpointer = Endpointer(SileroVAD(), end_silence_s=2.5)
    marks = Marks(args.minutes)
    base = rss_mb()[0]
    out = Path(args.tmp) / "recorded.wav"
    rec = record(out, endpointer, limit_s=args.minutes * 60, no_speech_timeout_s=15.0, on_tick=marks)
    return {"base": base, "marks": marks.rows, "stop": rec.stop_reason, "duration_s": rec.duration_s,
            "wav_bytes": out.stat().st_size, "wall_s": time.monotonic() - marks.t0, "after": rss_mb()}


class BenchUI:
    """The Coach's UI, silent; snapshots the peak when recording ends."""

    def __init__(self, marks: Marks) -> None:
        self.marks, self.recording_peak, self.warnings = marks, None, []

    def show_card(self, card) -> None:
        pass

    @contextlib.contextmanager
    def status(self, message):
        if self.recording_peak is None and message.startswith("Transcribing the end"):
            self.recording_peak = rss_mb()[1]
            reset_peak()  # from here VmHWM is the peak of finishing, scoring and saving
        yield

    @contextlib.contextmanager
    def listening(self):
        yield self.marks

    def info(self, message) -> None:
        pass

    def warn(self, message) -> None:
        self.warnings.append(message)

    def show_result(self, result, card) -> None:
        pass


class StageUI(BenchUI):
    """Peak RSS per stage of Coach.attempt, cut at the UI's status messages."""

    def __init__(self) -> None:
        super().__init__(Marks(1))
        self.stages: list[tuple[str, float, float]] = []  # (stage, peak MB, seconds)
        self._t = time.monotonic()

    def cut(self, name: str) -> None:
        self.stages.append((name, rss_mb()[1], time.monotonic() - self._t))
        reset_peak()
        self._t = time.monotonic()

    @contextlib.contextmanager
    def status(self, message):
        self.cut({"Transcribing your answer...": "read the file, keep a 16 kHz copy (write_wav)",
                  "Scoring against the rubric...": "delivery metrics (prosody on the audio)"}.get(message, message))
        yield
        self.cut({"Transcribing your answer...": "transcribe (Whisper tiny.en, VAD filter)",
                  "Scoring against the rubric...": "judge (offline)"}.get(message, message))


def child_file(args) -> dict:
    """What `voicecoach score --answer-file` runs (cli._coach, Coach.attempt),
    with a UI that notes the peak of each stage."""
    from voicecoach.cli.base import _coach, _settings
    from voicecoach.content.questions import load_bank
    from voicecoach.core.coach import AnswerInput

    os.environ["VOICECOACH_HOME"] = str(Path(args.tmp) / "home-stages")
    settings = _settings(speak=False)
    coach = _coach(settings, True, need_mic=False)
    coach.ui = ui = StageUI()
    card = load_bank().get(CARD)
    coach.engines.transcriber.get(), coach.engines.judge.get()  # models loaded before the first stage
    base = rss_mb()[0]
    reset_peak()
    ui._t = time.monotonic()
    result = coach.attempt(card, AnswerInput(file=args.source), coach.store.new_session("score"))
    ui.cut("feedback and save")
    return {"base": base, "stages": ui.stages, "words": len(result.transcript.words), "duration_s": result.delivery.duration_s}


def child_practice(args) -> dict:
    from voicecoach.engines import audio
    from voicecoach.core.app import make_engines as _engines
    from voicecoach.config import ensure_home, load_settings
    from voicecoach.content.questions import load_bank
    from voicecoach.core.coach import AnswerInput, Coach, Lazy
    from voicecoach.store.db import Store
    from voicecoach.engines.stt import FakeTranscriber

    fake_microphone(args.source, args.speed)
    watch_streams()
    settings = load_settings(home=Path(args.tmp) / "home", speak=False)
    ensure_home(settings)
    engines = _engines(settings)
    if args.fake_stt:
        text = "I led the migration of our data platform and we planned it in stages so each team could test their part first"
        engines.transcriber = Lazy(lambda: FakeTranscriber(text))
    marks = Marks(args.minutes)
    ui = BenchUI(marks)
    coach = Coach(settings=settings, engines=engines, store=Store(settings.db_path, settings.audio_dir), ui=ui, record=audio.record)
    card = load_bank().get(CARD).model_copy(update={"time_limit_s": int(args.minutes * 60)})  # as --time-limit does
    engines.prewarm(speak=False, audio=True)
    engines.transcriber.get(), engines.judge.get()  # loaded before the clock starts
    base = rss_mb()[0]
    marks.t0 = time.monotonic()
    result = coach.attempt(card, AnswerInput(), coach.store.new_session("practice"))
    t = coach.timings
    cache = getattr(getattr(engines.judge.get(), "embedder", None), "_cache", {})  # the embedder's text -> vector cache
    return {"cached_embeddings": len(cache), "cache_mb": sum(v.nbytes + len(k) for k, v in cache.items()) / 1e6,
            "base": base, "marks": marks.rows, "stop": result.stop_reason, "duration_s": result.delivery.duration_s,
            "wav_bytes": Path(result.audio_path).stat().st_size, "wall_s": time.monotonic() - marks.t0,
            "recording_peak": ui.recording_peak, "after_peak": rss_mb()[1], "after": rss_mb(),
            "words": len(result.transcript.words), "chunks_early": t.get("chunks_early"),
            "finish_s": t["transcribed"] - t["recording_ended"], "score_s": t["written_feedback"] - t["transcribed"]}


def run_file(answer: Path, tmp: Path) -> dict:
    """The CLI itself, sampled from outside."""
    timings = tmp / "timings.jsonl"
    env = {**os.environ, "VOICECOACH_HOME": str(tmp / "home-file"), "VOICECOACH_TIMINGS_FILE": str(timings)}
    t0 = time.monotonic()
    proc = subprocess.Popen([VOICECOACH, "score", "--card", CARD, "--answer-file", str(answer), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    samples = []
    out: dict = {}
    reader = threading.Thread(target=lambda: out.update(zip(("stdout", "stderr"), proc.communicate())))
    reader.start()
    while proc.poll() is None:
        with contextlib.suppress(OSError):
            samples.append((time.monotonic(), *rss_mb(proc.pid)))
        time.sleep(0.05)
    reader.join()
    if proc.returncode != 0:
        raise SystemExit(f"score --answer-file failed ({proc.returncode}): {out.get('stderr', '')[-2000:]}")
    marks = json.loads(timings.read_text().splitlines()[-1])  # absolute monotonic times (no recording)
    result = json.loads(out["stdout"])

    def rss_at(t: float) -> float:
        before = [s[1] for s in samples if s[0] <= t]
        return before[-1] if before else float("nan")

    def peak_between(a: float, b: float) -> float:
        return max((s[2] for s in samples if a <= s[0] <= b), default=float("nan"))

    return {"wall_s": time.monotonic() - t0, "transcribed_s": marks["transcribed"] - t0, "judged_s": marks["judged"] - t0,
            "rss_transcribed": rss_at(marks["transcribed"]), "peak_transcribe": peak_between(t0, marks["transcribed"]),
            "peak": max(s[2] for s in samples), "words": len(result["transcript"]["words"]),
            "duration_s": result["delivery"]["duration_s"]}


def spawn(kind: str, args, source: Path, tmp: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--source", str(source), "--tmp", str(tmp), "--minutes", str(args.minutes),
           "--speed", str(args.speed)] + (["--fake-stt"] if args.fake_stt else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def show_marks(r: dict, queue: bool = False) -> None:
    print(f"  RSS before recording {r['base']:.0f} MB")
    for m in r["marks"]:
        print(f"  at {m['minute']:>4g} min of audio: RSS {m['rss']:6.0f} MB (+{m['rss'] - r['base']:.0f}), peak so far {m['peak']:6.0f} MB, "
              f"wall {m['wall_s']:6.1f} s, not yet read {m['backlog_s']:.1f} s" + (f", {m['stt_queue']} transcription jobs queued" if queue else ""))
    print(f"  stopped: {r['stop']} at {r['duration_s']:.2f} s (limit {r['limit_s']:.0f} s); "
          f"WAV {r['wav_bytes'] / 1e6:.1f} MB (16-bit mono: {r['duration_s'] * SR * 2 / 1e6:.1f} MB expected)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--only", default="file,stages,record,practice")
    ap.add_argument("--speed", type=float, default=4.0, help="x real time for the fake microphone; 0 = as fast as it is read")
    ap.add_argument("--fake-stt", action="store_true", help="practice: a fake transcriber instead of Whisper tiny.en")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--source", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        out = {"record": child_record, "practice": child_practice, "stages": child_file}[args.child](args)
        out["limit_s"] = args.minutes * 60
        print(json.dumps(out))
        return
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="vc-long-") as tmp:
        tmp = Path(tmp)
        answer, mic = tmp / "answer.wav", tmp / "mic.wav"
        clips = make_speech(answer, args.minutes * 60)
        make_speech(mic, args.minutes * 60 + 30)
        print(f"answer: {args.minutes:g} min of asterisk speech ({clips} prompts with pauses), WAV {answer.stat().st_size / 1e6:.1f} MB; "
              f"{os.cpu_count()} CPUs")
        if "file" in only:
            r = run_file(answer, tmp)
            print(f"(a) voicecoach score --answer-file: {r['duration_s']:.0f} s of audio, {r['words']} words, wall {r['wall_s']:.0f} s")
            print(f"  transcribed after {r['transcribed_s']:.0f} s: RSS {r['rss_transcribed']:.0f} MB, peak while decoding and transcribing "
                  f"{r['peak_transcribe']:.0f} MB")
            print(f"  judged after {r['judged_s']:.0f} s; peak RSS of the whole command {r['peak']:.0f} MB")
        if "stages" in only:
            r = spawn("stages", args, answer, tmp)
            print(f"(a') the same, in process, peak RSS per stage ({r['duration_s']:.0f} s of audio, {r['words']} words; "
                  f"models loaded: RSS {r['base']:.0f} MB)")
            for name, peak, secs in r["stages"]:
                print(f"  {name:48s} peak {peak:6.0f} MB (+{peak - r['base']:.0f})  {secs:6.1f} s")
        if "record" in only:
            r = spawn("record", args, mic, tmp)
            print(f"(b1) audio.record() + Silero endpointer, fake microphone at {args.speed:g}x: wall {r['wall_s']:.0f} s")
            show_marks(r)
        if "practice" in only:
            r = spawn("practice", args, mic, tmp)
            stt = "fake transcriber" if args.fake_stt else "Whisper tiny.en"
            print(f"(b2) practice microphone path (Coach.attempt, streaming {stt}, offline judge), fake microphone at {args.speed:g}x: "
                  f"wall {r['wall_s']:.0f} s, {r['words']} words, {r['chunks_early']} chunks transcribed while speaking")
            show_marks(r, queue=True)
            print(f"  peak while recording {r['recording_peak']:.0f} MB; peak while finishing, scoring and saving {r['after_peak']:.0f} MB "
                  f"(end of transcription {r['finish_s']:.1f} s, scoring {r['score_s']:.1f} s after)")
            print(f"  the judge's embedding cache holds {r['cached_embeddings']} texts ({r['cache_mb']:.1f} MB); it is never emptied")


if __name__ == "__main__":
    main()
