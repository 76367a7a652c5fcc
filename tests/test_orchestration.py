"""The interview loop with fake engines (orchestration only), the store, and
delivery metrics on hand-made word timings."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from voicecoach.analysis import delivery
from voicecoach.cli.base import full_hint
from voicecoach.errors import Interrupted, NoSpeechError
from voicecoach.models import Recording, Transcript, Word
from voicecoach.core.coach import AnswerInput, Lazy, strip_closing_phrase
from tests.conftest import feed_like_the_microphone
from voicecoach.store.db import Store
from voicecoach.engines.stt import FakeTranscriber

from tests.fakes import fake_record, make_coach


def test_microphone_attempt_speaks_records_scores_and_saves(tmp_path, bank, monkeypatch):
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    coach, synth, played = make_coach(tmp_path, record=fake_record(20))
    card = bank.get("cross-entropy-vs-mse")
    sid = coach.store.new_session("practice")
    result = coach.attempt(card, AnswerInput(), sid)
    assert synth.spoken[0] == card.title  # the question was spoken first
    assert "out of 100" in synth.spoken[-1]  # then the feedback
    assert len(played) >= 4  # question, two cues, feedback
    assert result.answer_source == "microphone" and result.stop_reason == "silence"
    assert result.delivery.duration_s == 20.0
    assert [r.attempt_id for r in coach.store.results(result.attempt_id)] == [result.attempt_id]
    assert coach.store.attempt(result.attempt_id)["status"] == "scored"


def test_ctrl_c_while_recording_keeps_the_audio(tmp_path, bank, monkeypatch):
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    coach, _, _ = make_coach(tmp_path, record=fake_record(20, raise_after=7))
    sid = coach.store.new_session("practice")
    with pytest.raises(Interrupted) as info:
        coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), sid)
    assert "7 s recorded so far are saved" in info.value.message
    [row] = coach.store.attempts()
    assert row["status"] == "incomplete" and row["duration_s"] == 7.0
    import soundfile as sf

    assert sf.info(row["audio_path"]).duration == 7.0


def test_no_speech_from_microphone(tmp_path, bank, monkeypatch):
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    coach, _, _ = make_coach(tmp_path, record=fake_record(15, reason="no_speech"))
    with pytest.raises(NoSpeechError, match="didn't hear"):
        coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
    assert coach.store.attempts()[0]["status"] == "no_speech"


def test_typed_answer_has_no_audio_and_no_delivery(tmp_path, bank):
    coach, synth, played = make_coach(tmp_path, speak=False)
    r = coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(text="Cross entropy is for classification."), coach.store.new_session("score"))
    assert r.delivery is None and r.audio_path is None and synth.spoken == [] and played == []


def test_closing_phrase_is_removed_with_its_words():
    words = [Word(word=w, start=i * 0.4, end=i * 0.4 + 0.3) for i, w in enumerate("It is the standard loss. That's my answer.".split())]
    t = strip_closing_phrase(Transcript(text="It is the standard loss. That's my answer.", words=words))
    assert t.text == "It is the standard loss." and [w.word for w in t.words][-1] == "loss."


def test_store_migrates_an_empty_database_and_reopens(tmp_path):
    from voicecoach.store.db import MIGRATIONS

    s = Store(tmp_path / "db.sqlite", tmp_path / "audio")
    assert s.schema_version() == len(MIGRATIONS) == 4
    s.close()
    s2 = Store(tmp_path / "db.sqlite", tmp_path / "audio")
    assert s2.schema_version() == 4
    tables = {r[0] for r in sqlite3.connect(tmp_path / "db.sqlite").execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "attempts", "results", "plans"} <= tables


def test_store_migrates_a_version_1_database_keeping_data(tmp_path, bank):
    from voicecoach.store.db import MIGRATIONS

    db = sqlite3.connect(tmp_path / "db.sqlite")
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    card = bank.get("cross-entropy-vs-mse")
    db.execute("INSERT INTO sessions (id, started_at, mode) VALUES ('s1', '2026-01-01T00:00:00+00:00', 'practice')")
    db.execute("INSERT INTO attempts (id, session_id, card_id, card_json, created_at, status, answer_source) VALUES "
               "('a1', 's1', ?, ?, '2026-01-01T00:00:01+00:00', 'incomplete', 'microphone')", (card.id, card.model_dump_json()))
    db.commit()
    db.close()
    s = Store(tmp_path / "db.sqlite", tmp_path / "audio")
    assert s.schema_version() == 4
    row = s.attempt("a1")
    assert row["status"] == "incomplete" and row["parent_id"] is None
    assert s.card_of("a1").id == card.id
    assert s.find("a1") == ("attempt", "a1") and s.find("s1") == ("session", "s1")


def test_corrupt_database_is_a_clear_error(tmp_path):
    from voicecoach.errors import StoreError

    (tmp_path / "db.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the session database"):
        Store(tmp_path / "db.sqlite", tmp_path / "audio")


# ------------------------------------------------------------------- delivery


def words_from(spec: list[tuple[str, float, float]]) -> list[Word]:
    return [Word(word=w, start=s, end=e) for w, s, e in spec]


def test_delivery_pace_pauses_and_fillers():
    spec, t = [], 1.0
    for i in range(60):  # 60 words at 2.5 words/s with one 3 s pause in the middle
        spec.append((f"word{i}", t, t + 0.3))
        t += 0.4 + (3.0 if i == 29 else 0.0)
    spec[10] = ("um,", spec[10][1], spec[10][2])
    d = delivery.measure(Transcript(text=" ".join(w for w, _, _ in spec), words=words_from(spec)), duration_s=t + 2)
    assert d.word_count == 60
    assert d.time_to_first_word_s == 1.0
    assert d.pause_count == 1 and abs(d.longest_pause_s - 3.1) < 0.01 and d.pauses[0].before_word == "word30"
    assert d.filler_count == 1 and d.fillers[0].word == "um"
    span_min = (spec[-1][2] - spec[0][1]) / 60
    assert abs(d.words_per_minute - 60 / span_min) < 0.5


def test_context_fillers_count_only_when_set_off():
    like_verb = words_from([("I", 0, 0.2), ("like", 0.25, 0.5), ("trees", 0.55, 0.8)])
    assert delivery.find_fillers(like_verb) == []
    like_filler = words_from([("it", 0, 0.2), ("was,", 0.25, 0.5), ("like,", 0.55, 0.8), ("big", 1.3, 1.5)])
    assert [f.word for f in delivery.find_fillers(like_filler)] == ["like"]
    so_start = words_from([("So,", 0, 0.2), ("the", 0.3, 0.4), ("answer", 0.45, 0.7)])
    assert [f.word for f in delivery.find_fillers(so_start)] == ["so"]
    you_know = words_from([("it's,", 0, 0.2), ("you", 0.6, 0.7), ("know,", 0.75, 0.9), ("fine", 1.4, 1.6)])
    assert [f.word for f in delivery.find_fillers(you_know)] == ["you know"]


def test_hedges_are_counted():
    w = words_from([(x, i * 0.3, i * 0.3 + 0.2) for i, x in enumerate("I think it is maybe probably fine".split())])
    assert delivery.find_hedges(w) == ["i think", "maybe", "probably"]


# ------------------------------------------------------------ faults, injected


def test_microphone_lost_mid_answer_keeps_the_audio(tmp_path, bank, monkeypatch):
    from voicecoach.errors import AudioDeviceError

    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))

    def record(path, endpointer, **kw):
        from voicecoach.engines.audiofile import WavWriter

        w = WavWriter(path)
        w.write(np.full(16000 * 4, 0.1, np.float32))
        w.close()
        err = AudioDeviceError("the microphone stopped delivering audio (was it unplugged?)", hint="What was recorded so far is saved.")
        err.partial_recording = Recording(path=str(path), sample_rate=16000, duration_s=4.0, stop_reason="device_error")
        raise err

    coach, _, _ = make_coach(tmp_path, record=record)
    with pytest.raises(AudioDeviceError, match="unplugged"):
        coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
    [row] = coach.store.attempts()
    assert row["status"] == "incomplete" and row["duration_s"] == 4.0


def test_ctrl_c_while_scoring_marks_the_attempt_incomplete(tmp_path, bank, monkeypatch):
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))
    coach, _, _ = make_coach(tmp_path, record=fake_record(10))

    class Boom:
        def judge(self, *a):
            raise KeyboardInterrupt

    coach.engines.judge = Lazy(lambda: Boom())
    with pytest.raises(Interrupted, match="audio is saved") as info:
        coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
    assert info.value.step.kind == "rescore" and "voicecoach rescore" in full_hint(info.value)
    assert coach.store.attempts()[0]["status"] == "incomplete"


def test_clipping_and_quiet_input_warn(tmp_path, bank, monkeypatch):
    monkeypatch.setattr("voicecoach.engines.vad.SileroVAD", lambda: (lambda frame: 0.0))

    def rec_with(level):
        def record(path, endpointer, on_audio, **kw):
            from voicecoach.engines.audiofile import WavWriter

            chunk = np.clip(level * np.sin(np.linspace(0, 2000, 16000 * 5)), -1, 1).astype(np.float32)
            w = WavWriter(path)
            w.write(chunk)
            on_audio(chunk)  # as audio.record does for every chunk it writes
            w.close()
            return Recording(path=str(path), sample_rate=16000, duration_s=5.0, stop_reason="silence")

        return record

    for level, words in ((3.0, "clipped"), (0.005, "very quiet")):
        coach, _, _ = make_coach(tmp_path / words.replace(" ", ""), record=rec_with(level))
        coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(), coach.store.new_session("practice"))
        assert any(e[0] == "warn" and words in e[1] for e in coach.ui.events), coach.ui.events


def test_unusable_data_directory_is_a_clear_error(tmp_path):
    from tests.conftest import run_cli

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    proc = run_cli(["score", "--card", "cross-entropy-vs-mse", "--text", "hello there"], env={"VOICECOACH_HOME": str(blocker / "home")})
    assert proc.returncode == 10
    assert "cannot create the data directory" in proc.stderr and "VOICECOACH_HOME" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_two_processes_write_to_one_store(tmp_path, bank):
    """A second voicecoach writing at the same time waits for the lock."""
    import threading

    card = bank.get("cross-entropy-vs-mse")
    Store(tmp_path / "db.sqlite", tmp_path / "audio").close()
    errors = []

    def work():
        store = Store(tmp_path / "db.sqlite", tmp_path / "audio")  # its own connection, as another process has
        try:
            for _ in range(20):
                sid = store.new_session("practice")
                store.new_attempt(sid, card, "text")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert len(Store(tmp_path / "db.sqlite", tmp_path / "audio").attempts(limit=100)) == 40


def test_files_in_home_are_private(tmp_path, bank):
    coach, _, _ = make_coach(tmp_path, speak=False)
    coach.attempt(bank.get("cross-entropy-vs-mse"), AnswerInput(text="Cross entropy for classification."), coach.store.new_session("s"))
    home = coach.settings.home  # made private by the app itself, not by this test
    assert (home.stat().st_mode & 0o077) == 0
    assert (coach.settings.db_path.stat().st_mode & 0o077) == 0


def test_api_key_never_reaches_records_or_messages(tmp_path, bank, monkeypatch):
    from voicecoach.engines.llm import map_exception, redact

    key = "sk-live-SUPERSECRET-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    err = map_exception(RuntimeError(f"Incorrect API key provided: {key}"), "gpt-4o-mini")
    assert key not in err.message and key not in redact(f"api_key={key}")


def test_streaming_buffer_grows_without_copies_per_pause():
    """The answer so far is one growing buffer: what audio() returned stays
    valid after growth, and equals the chunks concatenated."""
    from voicecoach.engines.streaming import StreamingTranscriber

    st = StreamingTranscriber(lambda: FakeTranscriber("x"))
    rng = np.random.default_rng(0)
    chunks = [rng.standard_normal(rng.integers(100, 40000)).astype(np.float32) for _ in range(100)]
    early = None
    for i, c in enumerate(chunks):
        st.add(c)
        if i == 10:
            early = st.audio()
    assert np.array_equal(st.audio(), np.concatenate(chunks))  # about 2 million samples: past the first 60 s capacity
    assert np.array_equal(early, np.concatenate(chunks[:11]))
    assert not st.audio().flags.writeable
    st.close()


def test_spoken_summary_keeps_the_capital_i_after_first():
    """The summary read "First, i could not confirm ..." (a fix starting with
    "I" lowercased after the ordinal); names and acronyms keep their case too."""
    from voicecoach.analysis.feedback import _after_comma

    assert _after_comma("I could not confirm this point") == "I could not confirm this point"
    assert _after_comma("MSE fits regression") == "MSE fits regression"
    assert _after_comma("Cover this point: X") == "cover this point: X"


def test_fluent_speech_without_long_pauses_is_still_transcribed_while_spoken():
    """25 s of speech with only 0.3 s pauses (no 0.6 s segment break) is cut
    at a short pause once a chunk is 10 s long: by the end of the answer
    only its tail is left to transcribe."""
    from voicecoach.engines.streaming import StreamingTranscriber
    from voicecoach.engines.vad import Endpointer, EnergyVAD

    sr = 16000
    word = (0.3 * np.sin(2 * np.pi * 200 * np.arange(int(1.7 * sr)) / sr)).astype(np.float32)
    gap = np.zeros(int(0.3 * sr), np.float32)
    audio = np.concatenate([np.concatenate([word, gap]) for _ in range(13)] + [np.zeros(3 * sr, np.float32)])
    ep = Endpointer(EnergyVAD(), end_silence_s=2.0)
    st = StreamingTranscriber(lambda: FakeTranscriber("x"))
    feed_like_the_microphone(audio, ep, st)
    assert not ep.segments[:-1]  # no pause long enough for a segment break before the end
    assert len(st._jobs) == 2  # two chunks of about 10 s cut at the 0.3 s pauses, while speaking
    starts = [s for s, _ in st._jobs]
    assert abs(starts[1] - 11.85) < 0.05  # the middle of the first pause past 10 s (words end at 2i + 1.7 s)
    st.finish(st._n / sr, last_speech_s=ep.last_speech_end)
    assert len(st._jobs) == 3 and st.chunks_done_early == 2


def test_the_turn_check_reads_the_streamed_tail_instead_of_decoding_again():
    """When a pause begins the tail is transcribed; the end-of-turn check
    at that pause takes its words from there (no decode of its own), and
    decodes itself only when no transcript reaches the pause."""
    from voicecoach.engines.streaming import StreamingTranscriber
    from voicecoach.engines.turn import TurnJudge
    from voicecoach.engines.vad import Endpointer, EnergyVAD

    sr = 16000
    tone = (0.3 * np.sin(2 * np.pi * 200 * np.arange(3 * sr) / sr)).astype(np.float32)
    audio = np.concatenate([tone, np.zeros(2 * sr, np.float32)])
    decoded: list[int] = []

    class Sure:
        def __call__(self, audio) -> float:
            return 0.95

    def quick(audio):
        decoded.append(len(audio))
        return [Word(word="the", start=0, end=0.2, probability=0.9)]  # would veto the end

    judge = TurnJudge(Sure(), quick, fall=None)
    ep = Endpointer(EnergyVAD(), end_silence_s=4.0, turn=judge)

    class Heard(FakeTranscriber):
        def transcribe(self, audio):
            t = super().transcribe(audio)
            return t.model_copy(update={"words": [w.model_copy(update={"probability": 0.9}) for w in t.words]})

    st = StreamingTranscriber(lambda: Heard("we added dropout."))
    assert st.words_until(None) is None and st.words_until(1.0) is None  # nothing transcribed yet
    judge.words_hint = lambda: st.words_until(ep.last_speech_end)
    ended = feed_like_the_microphone(audio, ep, st)
    assert ended and ep.end_reason == "turn" and not decoded
    assert judge.last_text.endswith("dropout.")
    judge.words_hint = lambda: None  # no transcript reaches the pause: the check decodes
    assert judge(audio) == 0.0 and decoded
    st.close()


def test_the_turn_check_gets_the_plain_words_before_the_filler_pass():
    """The tail's plain decode is handed over at once; the second (filler)
    decode may still be running when the end-of-turn check reads it."""
    import threading

    from voicecoach.engines.streaming import StreamingTranscriber

    release = threading.Event()

    class TwoPass(FakeTranscriber):
        reports_plain = True

        def transcribe(self, audio, on_plain=None):
            t = super().transcribe(audio)
            if on_plain is not None:
                on_plain(t)
            release.wait(10)  # the filler pass
            return t

    st = StreamingTranscriber(lambda: TwoPass("we added dropout."))
    st.add(np.zeros(16000 * 3, np.float32))
    st.poll([(0.2, 2.0)])  # a pause began after 2.0 s: the tail is transcribed speculatively
    words = st.words_until(2.0, timeout=5)
    assert words is not None and words[-1].word == "dropout."
    assert not st._spec[2].done()  # the filler pass has not finished
    release.set()
    assert st._spec[2].result(5).text == "we added dropout."
    st.close()


def test_only_the_answers_tail_is_transcribed_short():
    """Chunks cut while the candidate speaks get Whisper's full window; the
    tail (the speculative one at a pause, or what is left at the end), which
    the candidate waits for, asks the engine to encode it at its length."""
    from voicecoach.engines.streaming import StreamingTranscriber
    from voicecoach.engines.vad import Endpointer, EnergyVAD

    sr = 16000
    calls: list[tuple[float, bool]] = []

    class Short(FakeTranscriber):
        short_encoder = True

        def transcribe(self, audio, short: bool = False):
            calls.append((round(len(audio) / sr, 1), short))
            return super().transcribe(audio)

    word = (0.3 * np.sin(2 * np.pi * 200 * np.arange(int(1.7 * sr)) / sr)).astype(np.float32)
    gap = np.zeros(int(0.3 * sr), np.float32)
    for pause_s, tail_kind in ((3.0, "speculative"), (0.0, "left at the end")):
        calls.clear()
        audio = np.concatenate([np.concatenate([word, gap]) for _ in range(13)] + [np.zeros(int(pause_s * sr), np.float32)])
        ep = Endpointer(EnergyVAD(), end_silence_s=2.0)
        st = StreamingTranscriber(lambda: Short("x"))
        feed_like_the_microphone(audio, ep, st)
        st.finish(st._n / sr, last_speech_s=ep.last_speech_end)
        assert [short for _, short in calls] == [False, False, True], (tail_kind, calls)
        assert calls[0][0] >= 10 and calls[1][0] >= 10 and calls[2][0] < 10


def test_a_closing_phrase_heard_with_an_ellipsis_is_dropped():
    """Whisper sometimes writes the closing phrase trailing off ("that's my
    answer...", seen in a real-time run over PulseAudio): it is still dropped."""
    for ending in ("That's my answer...", "That's my answer…", "That's my answer!", "That's my answer"):
        t = Transcript(text=f"We added dropout. {ending}", words=[], engine="x", model="")
        assert strip_closing_phrase(t).text == "We added dropout.", ending
