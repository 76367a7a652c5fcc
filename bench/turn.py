"""End of turn on synthesized answers with pauses: false cut-offs and end delays.

    python bench/turn.py                      # default settings (Silero + Smart Turn, end_silence 4 s)
    python bench/turn.py --no-model           # silence only
    python bench/turn.py --checks 0.25,1.0 --threshold 0.5 --end-silence 4
    python bench/turn.py --fall 0             # without the pitch check
    python bench/turn.py --words              # with the last-words check (streamed tail), as before
    python bench/turn.py --record F --set all; python bench/turn.py --replay F --checks 0.5,0.7
                                              # signals once, then any looks in seconds

Each answer (24 of them, two or three sentences, espeak-ng with several voices
and rates) has a pause of 1-3 s inserted in the middle of a sentence (SSML
<break>, so the voice keeps its mid-sentence intonation), pauses of 0.2-0.8 s
between sentences, and 6 s of silence at the end. The audio runs through the
same Endpointer the microphone path uses (Silero VAD + the end-of-turn model),
block by block, faster than real time.

Prints per answer where the turn ended, then: false cut-offs (the turn ended
before the answer's last sound: in a mid-sentence pause or between
sentences), and the distribution of end delays (the answer's last sound ->
the end decision; add the audio path's ~0.1-0.2 s for the end tone)."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SR = 16000
# "|" marks the mid-sentence pause; "." ends sentences. (text, voice, wpm, mid pause s, between-sentence pause s)
ANSWERS = [
    ("I would use cross entropy for classification because | it compares the predicted probabilities with the labels. Mean squared error fits regression better.", "en-us", 160, 2.0, 0.5),
    ("The main reason is that the | validation loss kept rising while the training loss fell. So we added dropout.", "en-us", 150, 3.0, 0.6),
    ("First I would check the data. Then I would look at | the learning rate and the batch size.", "en", 170, 1.5, 0.4),
    ("An index is a sorted copy of a column. It makes lookups fast, but | every write has to update it too.", "en-us+m3", 160, 2.5, 0.7),
    ("In my last project I led the migration to | a message queue. We moved one service at a time and nothing broke.", "en-us+f3", 155, 3.0, 0.5),
    ("A transaction is all or nothing. If one step fails | everything rolls back to the state before it started.", "en-gb-x-rp", 150, 2.0, 0.8),
    ("The p value is the probability of data at least this extreme if | the null hypothesis is true. It is not the chance that the null is true.", "en-us", 165, 1.0, 0.3),
    ("I disagreed with my manager about the deadline, so I | asked for a meeting and showed her the risks. We agreed to cut the scope.", "en", 160, 2.5, 0.5),
    ("Regularization adds a penalty on the weights. L two shrinks them smoothly, while L one | pushes some of them to exactly zero.", "en-us+m3", 150, 3.0, 0.6),
    ("To design a rate limiter I would use a token bucket per user, stored in | a shared cache with an expiry.", "en-us", 175, 2.0, 0.4),
    ("Overfitting means the model learns the noise in the training data. You can detect it when | the validation error starts going up.", "en-us+f3", 160, 1.5, 0.7),
    ("Gradient descent updates the weights in the direction of | the negative gradient. The step size is the learning rate.", "en", 145, 2.5, 0.5),
    ("A hash map gives constant time lookups on average, but in the worst case | when many keys collide, it degrades to linear time.", "en-gb-x-rp", 165, 3.0, 0.4),
    ("I would start by asking the customer what | problem they are really trying to solve. Then I would write it down and confirm it.", "en-us", 155, 2.0, 0.8),
    ("Precision is the share of predicted positives that are correct. Recall is the share of | actual positives that we find.", "en-us+m3", 170, 1.0, 0.5),
    ("The bias variance trade off says that a simpler model has | higher bias but lower variance. A complex one is the opposite.", "en", 160, 3.0, 0.6),
    ("When the service went down I rolled back the release, and then I | wrote a post mortem with the team.", "en-us+f3", 150, 2.5, 0.5),
    ("Batch normalization normalizes each layer's inputs over the mini batch. It makes training faster and | less sensitive to initialization.", "en-us", 165, 2.0, 0.7),
    ("My biggest weakness is that I | sometimes take on too much. I now plan my week and say no more often.", "en-gb-x-rp", 155, 3.0, 0.5),
    ("A foreign key links a row to a row in another table, and the database | refuses changes that would break that link.", "en-us+m3", 160, 1.5, 0.4),
    ("I chose Postgres over a document store because the data is relational and | we needed transactions across tables.", "en", 170, 2.5, 0.6),
    ("The learning rate was too high, so the loss | jumped around instead of going down. Lowering it fixed the problem.", "en-us", 150, 2.0, 0.8),
    ("Cross validation splits the data into k folds. Each fold is used once for | testing and the rest for training.", "en-us+f3", 160, 3.0, 0.5),
    ("To reduce latency we added a cache in front of the database, and | the ninety fifth percentile dropped from two seconds to two hundred milliseconds.", "en", 165, 1.5, 0.7),
]

# Held out: written after the rules were tuned on ANSWERS, never used to tune
# them (``--set holdout``). Pauses after content words too ("...a cache | for
# the hot keys"), where the words so far could end a sentence.
HOLDOUT = [
    ("We measured the | latency of every request for a week. The slow ones all hit the same table.", "en-us", 160, 2.0, 0.5),
    ("I would put a cache | in front of the hot keys and give each entry a short expiry.", "en", 155, 3.0, 0.6),
    ("The model was overfitting, so we | collected more data and added weight decay.", "en-us+m3", 165, 2.5, 0.5),
    ("A queue decouples the producer from | the consumer. If the consumer is slow, messages wait instead of failing.", "en-gb-x-rp", 150, 1.5, 0.7),
    ("My manager asked me to lead the project even though | I had never managed anyone before. I learned a lot.", "en-us+f3", 160, 3.0, 0.4),
    ("Logistic regression outputs a probability between | zero and one, which we compare with a threshold.", "en-us", 170, 2.0, 0.6),
    ("The hardest bug I fixed was a race condition in | the payment service. Two requests could charge the same card twice.", "en", 150, 2.5, 0.8),
    ("Normalization removes duplicate data. Each fact is stored | in exactly one place, so updates cannot disagree.", "en-us+m3", 160, 1.0, 0.5),
    ("To find the median of a stream I would keep two heaps, a max heap for | the lower half and a min heap for the upper half.", "en-us", 165, 3.0, 0.5),
    ("When we launched the feature, the sign ups | doubled in the first month. Retention stayed flat, though.", "en-us+f3", 155, 2.0, 0.6),
    ("I think the most important skill for this role is | listening to what users actually need.", "en-gb-x-rp", 160, 2.5, 0.4),
    ("Dropout randomly turns off neurons during training, which | stops the network from relying on any single feature.", "en", 170, 1.5, 0.7),
    ("A left join keeps every row from the first table, and | fills the missing columns with nulls.", "en-us", 150, 3.0, 0.5),
    ("We chose Kafka because we needed | replay. Consumers can read old messages again after a failure.", "en-us+m3", 160, 2.0, 0.6),
    ("The variance of the estimate goes down as | the sample size grows. That is why larger tests are more reliable.", "en-us+f3", 165, 2.5, 0.5),
    ("I handled the conflict by talking to each person | separately first. Then we met together and agreed on a plan.", "en", 155, 3.0, 0.7),
]


def synth(text: str, voice: str, wpm: int, mid_s: float, between_s: float, tmp: Path) -> tuple[np.ndarray, float]:
    """The answer as 16 kHz float32 with 6 s of silence after it, and the time
    of its last sound."""
    import soundfile as sf

    from voicecoach.engines.audiofile import resample

    ssml = text.replace("|", f'<break time="{int(mid_s * 1000)}ms"/>')
    ssml = ssml.replace(". ", f'. <break time="{int(between_s * 1000)}ms"/> ')
    raw = tmp / "a.wav"
    subprocess.run(["espeak-ng", "-m", "-v", voice, "-s", str(wpm), "-w", str(raw), f"<speak>{ssml}</speak>"], check=True, capture_output=True)
    data, r = sf.read(str(raw), dtype="float32")
    data = resample(data, r, SR)
    loud = np.flatnonzero(np.abs(data) > 0.003)
    data = data[loud[0] : loud[-1] + 1]
    lead = np.zeros(int(0.5 * SR), np.float32)
    audio = np.concatenate([lead, data, np.zeros(6 * SR, np.float32)])
    return audio, (len(lead) + len(data)) / SR, _longest_gap(audio[: len(lead) + len(data)])


def _longest_gap(audio: np.ndarray) -> tuple[float, float]:
    """(start, end) of the longest silence inside the speech: the mid-sentence pause."""
    f = 160
    n = len(audio) // f
    loud = np.flatnonzero(np.sqrt(np.mean(audio[: n * f].reshape(n, f) ** 2, axis=1)) > 0.003)
    d = np.diff(loud)
    k = int(np.argmax(d))
    return (loud[k] + 1) * f / SR, loud[k + 1] * f / SR


def run(audio: np.ndarray, args, turn, stt=None) -> tuple[float | None, str | None, list, float]:
    """Feed the answer as the microphone path does. With ``stt`` (the app's
    transcriber), the answer is also transcribed while it is fed and the
    words check reads the tail's transcript, as in the app (waiting for it:
    fed faster than real time, the tail has had no time to finish)."""
    from voicecoach.engines.streaming import StreamingTranscriber
    from voicecoach.engines.vad import Endpointer, SileroVAD

    ep = Endpointer(SileroVAD(), end_silence_s=args.end_silence, turn=turn, turn_checks_s=tuple(args.checks), turn_threshold=args.threshold, turn_agree=args.agree)
    block = 1600  # 0.1 s, as the microphone delivers
    spent = 0.0
    if turn is not None and hasattr(turn, "last_text"):
        turn.last_text = ""
    stream = StreamingTranscriber(lambda: stt) if stt is not None and turn is not None else None
    if stream is not None:
        turn.words_hint = lambda: stream.words_until(ep.last_speech_end, timeout=30)
    try:
        for k in range(0, len(audio), block):
            t = time.perf_counter()
            if stream is not None:
                stream.add(audio[k : k + block])
            ended = ep.feed(audio[k : k + block])
            if stream is not None:
                stream.poll(ep.segments, ep.pauses)
            spent = max(spent, time.perf_counter() - t)
            if ended:
                return ep.samples_seen / SR, ep.end_reason, ep.turn_log, spent
        return None, None, ep.turn_log, spent
    finally:
        if stream is not None:
            stream.close()
            turn.words_hint = None


GRID = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.6)  # silences (s) at which --record hears the signals (the words are decoded at the first: as the default looks do)


class Recorder:
    """For --record: the end-of-turn signals at every GRID point of every
    pause (Smart Turn's probability, the quick words), never ending a turn."""

    def __init__(self, judge) -> None:
        self.judge = judge
        self.log: list = []

    wants_silence = True  # as TurnJudge: the pitch is heard where the pause began

    def __call__(self, audio: np.ndarray, silence_s: float | None = None) -> float:
        from voicecoach.engines.turn import SR as TSR, WINDOW_S, pause_window

        from voicecoach.analysis.prosody import final_pitch_ratio

        p = self.judge.model(audio)
        window = np.asarray(audio, dtype=np.float32)[-TSR * WINDOW_S :]
        words = self.judge._words(window) if self.judge.words_of else []
        pitch = final_pitch_ratio(pause_window(audio, silence_s))
        self.log.append((round(p, 4), [(w.word, w.probability) for w in words], None if pitch is None else round(pitch, 4)))
        return 0.0


def record(args, answers, turn, path: Path) -> None:
    import json

    from voicecoach.engines.vad import Endpointer, SileroVAD

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (text, voice, wpm, mid, between) in enumerate(answers):
            audio, end, gap = synth(text, voice, wpm, mid, between, Path(tmp))
            rec = Recorder(turn)
            ep = Endpointer(SileroVAD(), end_silence_s=args.end_silence, turn=rec, turn_checks_s=GRID, turn_agree=99)
            for k in range(0, len(audio), 1600):
                if ep.feed(audio[k : k + 1600]):
                    break
            checks = [[t, sil, p, words, pitch] for (t, sil, _), (p, words, pitch) in zip(ep.turn_log, rec.log)]
            rows.append({"i": i, "voice": voice, "end": end, "gap": gap, "silence_end": ep.samples_seen / SR, "checks": checks})
            print(f"{i:2d} recorded {len(checks)} checks", flush=True)
    path.write_text(json.dumps(rows))


def replay(args, path: Path) -> None:
    """The end-of-turn rule (voicecoach.engines.turn.looks_finished, the Endpointer's
    looks and agreement) applied to recorded signals: seconds instead of minutes."""
    import json

    from voicecoach.models import Word
    from voicecoach.engines.turn import looks_finished

    rows = json.loads(path.read_text())
    delays, cut = [], []
    for r in rows:
        pauses: dict[float, dict[float, tuple]] = {}
        for t, sil, p, words, *pitch in r["checks"]:
            c = max(g for g in GRID if g <= sil + 1e-6)  # the look this frame made
            pauses.setdefault(round(t - sil, 2), {})[c] = (p, words, sil, pitch[0] if pitch else None)
        ended = None
        for start in sorted(pauses):
            agreed = 0
            for c in args.checks:
                got = pauses[start].get(c)
                if got is None:
                    break  # the pause was shorter (or c is not a GRID point)
                p, words, sil, pitch = got
                ws = [Word(word=w, start=0, end=0, probability=pr) for w, pr in words]
                level = args.fall is not None and pitch is not None and pitch >= args.fall
                heard = args.no_words or looks_finished(ws, args.min_word_p, args.tail, args.need_stop, args.parse)
                ok = p >= args.threshold and not level and heard
                agreed = agreed + 1 if ok else 0
                if agreed >= args.agree:
                    ended = start + sil
                    break
            if ended is not None:
                break
        at = ended if ended is not None else r["silence_end"]
        if at < r["end"]:
            g0, g1 = r["gap"]
            cut.append((r["i"], "mid-sentence" if g0 <= at <= g1 + 0.2 else "between sentences"))
        else:
            delays.append(at - r["end"])
    _summary(cut, delays, len(rows))


def _summary(cut: list, delays: list, n: int) -> None:
    mid_cuts = [i for i, w in cut if w == "mid-sentence"]
    print(f"\nfalse cut-offs: {len(cut)} of {n} answers; in the mid-sentence pause: {len(mid_cuts)} {mid_cuts}; "
          f"between sentences: {len(cut) - len(mid_cuts)} {[i for i, w in cut if w != 'mid-sentence']}")
    if delays:
        q = np.percentile(delays, [0, 25, 50, 75, 90, 100])
        print("end delay (last sound -> end decision), s: min {:.2f}  p25 {:.2f}  median {:.2f}  p75 {:.2f}  p90 {:.2f}  max {:.2f}".format(*q))
        print(f"ended by the model within 1.0 s: {sum(d <= 1.0 for d in delays)} of {len(delays)}; mean {statistics.mean(delays):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-model", action="store_true")
    ap.add_argument("--words", action="store_true", help="add the last-words check (the app does not use it: model and pitch decide)")
    ap.add_argument("--checks", type=lambda s: [float(x) for x in s.split(",")], default=None)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--agree", type=int, default=None)
    ap.add_argument("--end-silence", type=float, default=None)
    ap.add_argument("--min-word-p", type=float, default=None)
    ap.add_argument("--tail", type=int, default=None, help="how many last words must be heard surely")
    ap.add_argument("--need-stop", action="store_true", help="replay: the quick decode must end the sentence")
    ap.add_argument("--parse", action="store_true", help="replay: the last sentence must parse as a main clause (spaCy)")
    ap.add_argument("--quick-words", action="store_true", help="the words check decodes the last 8 s itself (as before the app read the streamed tail)")
    ap.add_argument("--fall", type=float, default=None, help="pitch check: the end's pitch must be below this share of the median (0: no check)")
    ap.add_argument("--record", type=Path, default=None, help="write the signals at every GRID point to this file (no verdicts)")
    ap.add_argument("--replay", type=Path, default=None, help="apply the rule to signals written by --record")
    ap.add_argument("--set", choices=["dev", "holdout", "all"], default="dev", help="dev: the 24 answers the rules were tuned on; holdout: 16 others")
    args = ap.parse_args()
    args.no_words = not args.words
    from voicecoach.config import Settings
    from voicecoach.engines.vad import Endpointer

    defaults = Endpointer(detector=None)
    args.checks = args.checks or list(defaults.turn_checks_s)
    args.threshold = args.threshold if args.threshold is not None else defaults.turn_threshold
    args.agree = args.agree or defaults.turn_agree
    args.end_silence = args.end_silence or Settings.model_fields["end_silence_s"].default
    from voicecoach.engines.turn import TurnJudge as _TJ
    import inspect

    judge_defaults = inspect.signature(_TJ.__init__).parameters
    args.min_word_p = args.min_word_p if args.min_word_p is not None else judge_defaults["min_word_p"].default
    args.tail = args.tail or judge_defaults["tail"].default
    args.fall = _TJ.FALL if args.fall is None else (args.fall or None)
    if args.replay:
        print(f"replay: checks at {args.checks} s, threshold {args.threshold}, agree {args.agree}, min word p {args.min_word_p}, tail {args.tail}, fall {args.fall}")
        replay(args, args.replay)
        return
    turn = None
    stt = None
    if not args.no_model:
        from voicecoach.engines.turn import SmartTurn, TurnJudge

        words_of = None
        if not args.no_words:
            from voicecoach.engines.stt import FasterWhisperTranscriber

            words_of = FasterWhisperTranscriber("tiny.en").quick_words
            if not args.quick_words:
                s = Settings()
                stt = FasterWhisperTranscriber(s.stt_model, s.stt_beam_size, keep_fillers=s.stt_verbatim)
        turn = TurnJudge(SmartTurn(), words_of, threshold=args.threshold, min_word_p=args.min_word_p, tail=args.tail, fall=args.fall)
    if args.record:
        record(args, {"dev": ANSWERS, "holdout": HOLDOUT, "all": ANSWERS + HOLDOUT}[args.set], turn, args.record)
        return
    print(f"checks at {args.checks} s of silence, threshold {args.threshold}, agree {args.agree}, end_silence {args.end_silence} s, model {'on' if turn else 'off'}, "
          f"words check {'off' if args.no_words or not turn else 'quick decode' if not stt else 'streamed tail'}, pitch fall {args.fall if turn else 'off'}")
    delays, cut, slowest = [], [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        answers = {"dev": ANSWERS, "holdout": HOLDOUT, "all": ANSWERS + HOLDOUT}[args.set]
        for i, (text, voice, wpm, mid, between) in enumerate(answers):
            audio, end, (g0, g1) = synth(text, voice, wpm, mid, between, Path(tmp))
            at, why, log, spent = run(audio, args, turn, stt)
            slowest = max(slowest, spent)
            if at is None:
                status = "never ended"
            elif at < end:
                where = "mid-sentence" if g0 <= at <= g1 + 0.2 else "between sentences"
                status = f"CUT OFF {where} at {at:.2f} s"
                cut.append((i, where))
            else:
                status = f"ended +{at - end:.2f} s ({why})"
                delays.append(at - end)
            probs = " ".join(f"{p:.2f}@{s:.2f}" for _, s, p in log) + (f" | {turn.last_text[-30:]!r}" if turn is not None and getattr(turn, "last_text", "") else "")
            print(f"{i:2d} {voice:11s} mid {mid:.1f}s between {between:.1f}s  {status:40s} turn p: {probs}")
    _summary(cut, delays, len(answers))
    print(f"slowest feed() of a 0.1 s block: {slowest * 1000:.0f} ms")


if __name__ == "__main__":
    main()
