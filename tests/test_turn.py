"""The end-of-turn detector: Smart Turn's features, and its verdict on
synthesized speech (a finished sentence vs one cut mid-clause), alone and
through the Endpointer."""

from __future__ import annotations

import importlib.util

import time

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import espeak_wav
from voicecoach.engines import turn
from voicecoach.engines.vad import Endpointer, EnergyVAD

SR = 16000
needs_model = pytest.mark.skipif(turn.model_path() is None, reason="Smart Turn model not installed (pip install --no-deps pipecat-ai==1.14.0)")


def speech(text: str, tmp_path, tail_s: float = 0.5, **kw) -> np.ndarray:
    data, _ = sf.read(str(espeak_wav(text, tmp_path / "s.wav", lead_s=0.3, tail_s=tail_s, **kw)), dtype="float32")
    return data


def test_features_shape_and_left_padding():
    a = np.random.default_rng(0).standard_normal(SR * 3).astype(np.float32) * 0.1
    f = turn.log_mel(a)
    assert f.shape == (80, 800) and f.dtype == np.float32
    w = turn.last_window(a)
    assert len(w) == SR * 8 and not w[: SR * 5].any() and np.array_equal(w[SR * 5 :], a)
    assert np.array_equal(turn.last_window(np.arange(SR * 9, dtype=np.float32)), np.arange(SR, SR * 9, dtype=np.float32))


@needs_model
def test_features_match_the_reference_extractor():
    """Our numpy log-mel equals the one shipped beside the model."""
    src = turn.model_path().parent.parent / "_whisper_features.py"
    if not src.exists():
        pytest.skip("reference extractor not beside the model")
    spec = importlib.util.spec_from_file_location("ref_features", src)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    a = np.random.default_rng(1).standard_normal(SR * 5).astype(np.float32) * 0.1
    assert np.abs(ref.compute_whisper_log_mel_features(turn.last_window(a)) - turn.log_mel(a)).max() < 1e-4


def test_missing_model_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("VOICECOACH_SMART_TURN_MODEL", str(tmp_path / "nope.onnx"))
    warnings = []
    assert turn.load_turn_model(warn=warnings.append) is None
    assert "pipecat-ai" in warnings[0] and "silence" in warnings[0]


def test_unfinished_words():
    assert turn.sounds_unfinished("the main reason is that the")
    assert turn.sounds_unfinished("I would use it because")
    assert not turn.sounds_unfinished("so we added dropout.")


def test_endpointer_asks_the_turn_model_at_each_pause_and_ends_on_agreement():
    calls = []

    def model(audio):
        calls.append(len(audio))
        return 0.9

    ep = Endpointer(EnergyVAD(), end_silence_s=4.0, turn=model, turn_checks_s=(0.5, 1.0), turn_agree=2)
    tone = (0.3 * np.sin(np.arange(SR) * 0.1)).astype(np.float32)
    ended_at = None
    for k, block in enumerate(np.split(np.concatenate([tone, np.zeros(SR * 3, np.float32)]), 40)):
        if ep.feed(block):
            ended_at = (k + 1) * 0.1
            break
    assert ep.end_reason == "turn" and len(calls) == 2 and all(n == SR * 8 for n in calls)
    assert 1.9 <= ended_at <= 2.2  # 1 s of sound, then the second look at 1.0 s of silence


def test_endpointer_without_agreement_waits_for_the_silence():
    ep = Endpointer(EnergyVAD(), end_silence_s=2.0, turn=lambda a: 0.1, turn_checks_s=(0.5, 1.0), turn_agree=2)
    tone = (0.3 * np.sin(np.arange(SR) * 0.1)).astype(np.float32)
    audio = np.concatenate([tone, np.zeros(SR * 3, np.float32)])
    ended = [ep.feed(b) for b in np.split(audio, 40)]
    assert ep.end_reason == "silence" and ended.index(True) >= 29


def _feed_in_real_time(ep, audio, block_s=0.1):
    """Feed blocks at the pace a microphone delivers them. Returns when feed()
    first said the answer was over (s from the start, or None) and the
    longest a single feed() call took."""
    start = time.monotonic()
    n = int(SR * block_s)
    worst = 0.0
    for k in range(0, len(audio), n):
        time.sleep(max(0.0, start + k / SR - time.monotonic()))
        t0 = time.monotonic()
        done = ep.feed(audio[k : k + n])
        worst = max(worst, time.monotonic() - t0)
        if done:
            return time.monotonic() - start, worst
    return None, worst


def test_background_checks_keep_the_loop_in_real_time_and_end_when_they_agree():
    # a check that takes 0.6 s (a slow check on a loaded machine) must not
    # hold up the microphone's loop: feed() stays quick and the end comes when
    # the second check's verdict arrives, not 0.6 s later per check
    def slow(audio):
        time.sleep(0.6)
        return 0.9

    ep = Endpointer(EnergyVAD(), end_silence_s=4.0, turn=slow, turn_checks_s=(0.5, 1.0), turn_agree=2, background=True)
    tone = (0.3 * np.sin(np.arange(SR) * 0.1)).astype(np.float32)
    ended_at, worst = _feed_in_real_time(ep, np.concatenate([tone, np.zeros(SR * 4, np.float32)]))
    ep.close()
    assert worst < 0.3, worst  # the loop never waited for a check
    assert ep.end_reason == "turn" and len(ep.turn_log) == 2
    # checks start at 1.5 s and 2.0 s; one worker: verdicts at ~2.1 and ~2.7 s
    assert 2.5 <= ended_at <= 3.3, ended_at


def test_background_check_of_a_pause_the_candidate_spoke_after_does_not_count():
    # the verdict on the first pause arrives after speech resumed: it is dropped,
    # and the second pause's own looks decide
    def slow(audio):
        time.sleep(0.7)
        return 0.9

    ep = Endpointer(EnergyVAD(), end_silence_s=6.0, turn=slow, turn_checks_s=(0.5, 0.6), turn_agree=2, background=True)
    tone = (0.3 * np.sin(np.arange(SR) * 0.1)).astype(np.float32)
    gap = np.zeros(int(SR * 0.7), np.float32)
    audio = np.concatenate([tone, gap, tone, np.zeros(SR * 4, np.float32)])
    ended_at, _ = _feed_in_real_time(ep, audio)
    ep.close()
    assert ep.end_reason == "turn"
    assert ended_at > 2.7 + 0.5, ended_at  # not before the second pause's looks
    assert all(t > 2.7 for t, _, _ in ep.turn_log)  # only the second pause's verdicts were counted


@pytest.mark.slow
@needs_model
def test_smart_turn_hears_complete_vs_cut_mid_clause(tmp_path):
    model = turn.SmartTurn()
    complete = model(speech("It is the standard loss for logistic regression.", tmp_path, tail_s=0.5))
    cut = model(speech("I would use cross entropy for classification because it", tmp_path, tail_s=0.5))
    assert complete > 0.5 > cut


@pytest.mark.slow
@needs_model
def test_words_veto_a_mid_clause_pause(tmp_path, whisper):
    """Smart Turn takes this espeak-ng pause for an end; the last words do not."""
    judge = turn.TurnJudge(turn.SmartTurn(), whisper.quick_words)
    audio = speech("The main reason is that the", tmp_path, tail_s=1.0)
    assert judge.model(audio) > 0.5
    assert judge(audio) == 0.0
    assert judge(speech("So we added dropout to the model.", tmp_path, tail_s=1.0)) > 0.5


def test_fillers_of_the_verbatim_decode_join_the_plain_words():
    from voicecoach.models import Transcript, Word
    from voicecoach.engines.verbatim import merge_fillers

    def t(spec):
        words = [Word(word=w, start=s, end=s + 0.3) for w, s in spec]
        return Transcript(text=" ".join(w for w, _ in spec), words=words, engine="x", model="x")

    plain = t([("So", 0.0), ("the", 0.5), ("cache", 0.9), ("expires.", 1.3)])
    verbatim = t([("So,", 0.0), ("um,", 0.3), ("the", 0.6), ("cash", 0.9), ("uh", 1.2), ("expires.", 1.5)])
    merged = merge_fillers(plain, verbatim)
    assert merged.text == "So, um, the cache uh expires."  # plain words (with the verbatim comma after "So"), fillers added
    assert [w.start for w in merged.words] == sorted(w.start for w in merged.words)
    assert merge_fillers(plain, t([("So", 0.0), ("the", 0.5)])) is plain


def test_long_audio_is_cut_in_the_pauses():
    from voicecoach.engines.streaming import cut_points

    a = np.random.default_rng(0).standard_normal(SR * 200).astype(np.float32) * 0.1
    a[SR * 55 : SR * 56] = 0  # a pause inside the search window of the first cut
    cuts = cut_points(a, piece_s=60)
    assert 55 <= cuts[0] / SR <= 56 and len(cuts) == 3 and all(b - a <= SR * 60 for a, b in zip([0, *cuts], [*cuts, len(a)]))


def test_looks_finished_wants_the_last_words_heard_surely_and_no_dangling_word():
    from voicecoach.models import Word

    def ws(*spec):
        return [Word(word=w, start=i, end=i + 0.3, probability=p) for i, (w, p) in enumerate(spec)]

    assert turn.looks_finished(ws(("we", 0.9), ("added", 0.9), ("dropout.", 0.8)))
    assert not turn.looks_finished(ws(("do", 0.23), ("a", 0.84), ("cut.", 0.96)))  # a garbled decode of a pause
    assert turn.looks_finished(ws(("do", 0.23), ("a", 0.84), ("cut.", 0.96)), tail=1)
    assert not turn.looks_finished(ws(("reason", 0.9), ("is", 0.9), ("that", 0.9)))
    assert not turn.looks_finished([])
    assert not turn.looks_finished(ws(("it", 0.9), ("was", 0.9), ("slow", 0.9)), need_stop=True)


def test_a_bare_subordinate_clause_or_noun_phrase_is_not_a_finished_sentence():
    if turn._parser() is None:
        pytest.skip("spaCy's English pipeline is not installed")
    assert not turn.sentence_complete("If one step fails.")
    assert not turn.sentence_complete("A foreign key links a row to another table, and the database.")
    assert turn.sentence_complete("We moved one service at a time and nothing broke.")


def _buzz(f0: np.ndarray) -> np.ndarray:
    """A voiced sound (ten harmonics) following a pitch contour (Hz per sample)."""
    phase = 2 * np.pi * np.cumsum(f0) / SR
    return (0.1 * sum(np.sin(k * phase) / k for k in range(1, 11))).astype(np.float32)


PAUSE = np.zeros(SR // 2, np.float32)
LEVEL = np.concatenate([_buzz(np.full(SR * 2, 150.0)), PAUSE])
FALLING = np.concatenate([_buzz(np.concatenate([np.full(int(SR * 1.6), 150.0), np.linspace(150.0, 105.0, int(SR * 0.4))])), PAUSE])


def test_final_pitch_ratio_hears_a_fall_and_a_level_end():
    from voicecoach.analysis.prosody import final_pitch_ratio

    assert abs(final_pitch_ratio(LEVEL) - 1.0) < 0.03
    assert final_pitch_ratio(FALLING) < 0.8  # the last 160 ms at 105-120 Hz, the median 150 Hz
    assert final_pitch_ratio(np.concatenate([_buzz(np.full(SR // 4, 150.0)), PAUSE])) is None  # too little voicing to say


class _Sure:
    """An end-of-turn model that always hears an end."""

    def __call__(self, audio) -> float:
        return 0.95


def test_a_voice_that_stays_up_is_not_an_end():
    judge = turn.TurnJudge(_Sure())
    assert judge(LEVEL) == 0.0 and judge.last_pitch > turn.TurnJudge.FALL
    assert judge(FALLING) == 0.95
    assert turn.TurnJudge(_Sure(), fall=None)(LEVEL) == 0.95


@pytest.mark.slow
@needs_model
def test_pitch_vetoes_a_pause_the_model_and_the_words_take_for_an_end(tmp_path, whisper):
    """A held-out answer of bench/turn.py that the model and the words cut
    off: "We chose Kafka because we needed | replay." paused before "replay"
    sounds finished to Smart Turn and reads "...because we needed." The voice
    did not fall, so it is not an end."""
    import subprocess

    from voicecoach.engines.audiofile import resample

    wav = tmp_path / "cut.wav"
    subprocess.run(["espeak-ng", "-m", "-v", "en-us+m3", "-s", "160", "-w", str(wav),
                    '<speak>We chose Kafka because we needed <break time="2000ms"/> replay.</speak>'], check=True, capture_output=True)
    data, r = sf.read(str(wav), dtype="float32")
    data = resample(data, r, SR)
    loud = np.flatnonzero(np.abs(data) > 0.003)
    gap = np.flatnonzero(np.diff(loud) > SR // 2)[0]  # the inserted pause
    cut = np.concatenate([np.zeros(SR // 2, np.float32), data[: loud[gap] + 1], np.zeros(int(SR * 1.2), np.float32)])
    without = turn.TurnJudge(turn.SmartTurn(), whisper.quick_words, fall=None)
    assert without(cut) >= 0.7  # cut off without the pitch check
    judge = turn.TurnJudge(turn.SmartTurn(), whisper.quick_words)
    assert judge(cut) == 0.0 and judge.last_pitch >= judge.FALL


@pytest.mark.slow
def test_human_statements_end_with_a_fall():
    """Real speech: most finished prompts of a human speaker end well below
    the pitch check's line, so it rarely delays a real end."""
    from tests.test_speech import asterisk_clips
    from voicecoach.analysis.prosody import final_pitch_ratio
    from voicecoach.engines.audiofile import read_audio

    ratios = [final_pitch_ratio(np.concatenate([read_audio(c), PAUSE])) for c, _ in asterisk_clips(40)]
    ratios = [r for r in ratios if r is not None]
    assert len(ratios) >= 35
    assert sum(r < turn.TurnJudge.FALL for r in ratios) >= 0.9 * len(ratios)


def test_a_pause_after_an_answer_that_covers_the_card_gets_the_early_looks_then_the_usual_ones():
    seen = []

    def model(audio):
        seen.append(round(ep.silence_s, 2))
        return 0.9 if len(seen) != 2 else 0.1  # the second look (0.7 s) says "not yet"

    covered = [False]
    ep = Endpointer(EnergyVAD(), end_silence_s=4.0, turn=model, turn_checks_s=(1.2, 1.6), fast_checks_s=(0.5, 0.7),
                    fast_ok=lambda: covered[0])
    tone = (0.3 * np.sin(np.arange(SR) * 0.1)).astype(np.float32)
    quiet = np.zeros(SR * 3, np.float32)
    for block in np.split(np.concatenate([tone, np.zeros(SR, np.float32)]), 20):  # not covered: looks at 1.2 s only
        assert not ep.feed(block)
    assert seen == [] and ep.fast_pauses == 0
    covered[0] = True
    ended = [ep.feed(b) for b in np.split(np.concatenate([tone, quiet]), 40)]
    assert ep.fast_pauses == 1 and ep.end_reason == "turn"
    # looks at 0.5 (yes), 0.7 (no), 1.2 (yes), 1.6 (yes): two in a row end it at 1.6 s
    assert [round(s, 1) for s in seen] == [0.5, 0.7, 1.2, 1.6]
    assert ended.index(True) in (25, 26)  # 1 s of sound + 1.6 s of silence, in 0.1 s blocks


def test_a_fast_ok_that_fails_means_the_usual_looks():
    def broken():
        raise RuntimeError("judge crashed")

    ep = Endpointer(EnergyVAD(), end_silence_s=4.0, turn=lambda a: 0.9, turn_checks_s=(1.2, 1.6), fast_ok=broken)
    tone = (0.3 * np.sin(np.arange(SR) * 0.1)).astype(np.float32)
    ended = [ep.feed(b) for b in np.split(np.concatenate([tone, np.zeros(SR * 3, np.float32)]), 40)]
    assert ep.end_reason == "turn" and ep.fast_pauses == 0 and ended.index(True) in (25, 26)


def test_the_pitch_check_hears_the_same_audio_at_every_look_of_a_pause(tmp_path):
    """The final pitch is measured where the pause began, so every look at
    one pause gets the same verdict (a window ending at the look slid with
    it and the ratio cycled around the 0.85 line: yes, no, yes, ...)."""
    voice = speech("The Brier score is still a proper scoring rule for evaluating forecasts.", tmp_path, tail_s=0.0)
    audio = np.concatenate([np.zeros(3 * turn.SR, np.float32), voice, np.zeros(2 * turn.SR, np.float32)])
    speech_end = 3 * turn.SR + len(voice)
    ratios = []
    for look in (0.5, 0.6, 0.7, 1.2, 1.6):
        heard = audio[: speech_end + int(look * turn.SR)][-turn.SR * 8 :]  # what the Endpointer's ring holds
        window = turn.pause_window(heard, look)
        assert np.array_equal(window, audio[speech_end + int(turn.PITCH_PAD_S * turn.SR) - len(window) : speech_end + int(turn.PITCH_PAD_S * turn.SR)])
        judge = turn.TurnJudge(lambda a: 0.95)
        judge(heard, look)
        ratios.append(judge.last_pitch)
    assert ratios[0] is not None and len(set(ratios)) == 1, ratios
    assert len(turn.pause_window(audio[: turn.SR], 0.7)) == 0.6 * turn.SR  # a short buffer: what there is


def test_the_pitch_is_measured_once_a_pause(tmp_path, monkeypatch):
    """Later looks at one pause hear the same window: its pitch is not measured
    again (each measure costs CPU the end decision waits for); a new pause is."""
    from voicecoach.analysis import prosody

    calls = []
    real = prosody.final_pitch_ratio
    monkeypatch.setattr(prosody, "final_pitch_ratio", lambda a: calls.append(len(a)) or real(a))
    voice = speech("The Brier score is still a proper scoring rule.", tmp_path, tail_s=0.0)
    audio = np.concatenate([np.zeros(turn.SR, np.float32), voice, np.zeros(2 * turn.SR, np.float32)])
    speech_end = turn.SR + len(voice)
    judge = turn.TurnJudge(lambda a: 0.95)
    for look in (0.5, 0.7, 1.2):
        judge(audio[: speech_end + int(look * turn.SR)][-turn.SR * 8 :], look)
    assert len(calls) == 1
    again = np.concatenate([audio[: speech_end + turn.SR], voice])  # the answer went on: another pause
    judge(np.concatenate([again, np.zeros(turn.SR // 2, np.float32)])[-turn.SR * 8 :], 0.5)
    assert len(calls) == 2 and judge.last_pitch is not None
