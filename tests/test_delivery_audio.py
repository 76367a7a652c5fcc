"""Delivery analytics: pure functions on hand-made word timings, the voice
measures on synthetic tones, and the whole measure on espeak-ng speech
transcribed by the real Whisper (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import espeak_wav
from voicecoach.analysis import delivery
from voicecoach.analysis import moments
from voicecoach.analysis import prosody
from voicecoach.analysis import wording
from voicecoach.models import Card, Delivery, KeyPointResult, Pause, Transcript, Word

SR = 16000


def timed(text: str, start: float = 0.0, wps: float = 2.5, gaps: dict[int, float] | None = None) -> list[Word]:
    """Words of ``text`` at ``wps`` words a second (each 80% of its slot),
    with an extra silence of gaps[i] seconds after word i."""
    out, t = [], start
    for i, token in enumerate(text.split()):
        out.append(Word(word=token, start=round(t, 3), end=round(t + 0.8 / wps, 3)))
        t += 1 / wps + (gaps or {}).get(i, 0.0)
    return out


def card(category: str = "Machine Learning") -> Card:
    return Card(
        id="test-card", title="A question for testing", category=category, difficulty="Easy",
        why_asked="To check the length verdicts work.", how_to_answer="Answer it clearly and concisely.",
        key_points=["Regularization reduces overfitting."], sample_answer="A sample answer that is long enough to pass validation.",
        common_mistakes=["Confusing bias with variance."],
    )


# ------------------------------------------------------------ pace (pure)


def test_pace_windows_follow_the_rate():
    words = timed(" ".join(["w"] * 25), wps=2.5) + timed(" ".join(["w"] * 40), start=10.0, wps=4.0)
    windows = delivery.pace_windows(words)
    assert [w.start for w in windows] == [0.0, 10.0]
    assert abs(windows[0].wpm - 150) < 8 and abs(windows[1].wpm - 240) < 12


def test_pace_window_short_tail_joins_the_last_window():
    words = timed(" ".join(["w"] * 33), wps=2.5)  # 13 s: one window of 10 s would leave a 3 s tail
    assert len(delivery.pace_windows(words)) == 1


def test_articulation_rate_leaves_out_pauses_over_a_quarter_second():
    words = timed(" ".join(["w"] * 20), wps=2.0, gaps={4: 2.0, 9: 0.2, 14: 3.0})
    span = words[-1].end - words[0].start
    plain = 20 / span * 60
    # 0.1 s between words (slots of 0.5 s, words of 0.4 s) stays; 2.1, 0.3 and 3.1 s go
    expected = 20 / (span - 2.1 - 0.3 - 3.1) * 60
    assert abs(delivery.articulation_wpm(words) - expected) < 0.5
    assert delivery.articulation_wpm(words) > plain


@pytest.mark.parametrize(
    "rates, trend",
    [((2.5, 2.5), "steady"), ((2.5, 3.5), "sped up at the end"), ((3.0, 2.0), "slowed down at the end"), ((2.5, 2.75), "steady")],
)
def test_pace_trend_compares_the_last_third(rates, trend):
    early, late = rates
    first = timed(" ".join(["w"] * int(20 * early)), wps=early)  # 20 s
    second = timed(" ".join(["w"] * int(10 * late)), start=20.0, wps=late)  # 10 s
    assert delivery.pace_trend(first + second) == trend


def test_pace_trend_needs_a_long_enough_answer():
    assert delivery.pace_trend(timed("a short answer of six words", wps=2.5)) is None


# ---------------------------------------------------------- pauses (pure)


def test_every_gap_is_classified():
    words = [Word(word=w, start=s, end=e) for w, s, e in [
        ("a", 0.0, 0.3), ("b", 0.3, 0.6),  # no gap
        ("c", 0.7, 1.0),  # 0.1 brief
        ("d", 1.5, 1.8),  # 0.5 medium
        ("e", 3.3, 3.6),  # 1.5 long
        ("f", 3.8, 4.0),  # 0.2 medium (the boundary)
        ("g", 5.0, 5.2),  # 1.0 medium (long is over 1 s)
    ]]
    c = delivery.classify_pauses(words)
    assert (c.brief, c.medium, c.long) == (1, 3, 1)


def test_measure_reports_pause_classes_longest_pause_and_first_word():
    words = timed("first I would check the data then the labels and finally the model", start=2.0, gaps={3: 2.5, 8: 0.5})
    d = delivery.measure(Transcript(text="", words=words), duration_s=12.0)
    assert d.time_to_first_word_s == 2.0
    assert d.longest_pause == Pause(start=words[3].end, duration_s=2.58, before_word="the")  # 0.08 s word gap + 2.5 s
    assert d.longest_pause_s == 2.58 and d.pause_count == 1
    assert (d.pause_classes.medium, d.pause_classes.long) == (1, 1)
    assert d.timings_from == "words" and d.voice is None and d.length is None


def test_align_moves_word_edges_onto_measured_silences():
    # Whisper let "leaks" run 0.7 s into a 1.5 s silence and started "then" early
    words = [Word(word="for", start=0.9, end=1.2), Word(word="leaks.", start=1.2, end=2.5),
             Word(word="then", start=3.0, end=3.4), Word(word="I", start=3.4, end=3.6)]
    quiet = [(0.0, 1.0), (2.0, 3.5), (2.6, 2.7), (3.7, 5.0)]
    a = delivery.align_to_audio(words, quiet)
    assert a[0].start == 1.0  # speech began where the leading silence ended
    assert (a[1].end, a[2].start) == (2.0, 3.5)  # the longest silence at a boundary is its pause
    assert a[2].end >= a[2].start
    assert a[3].end == 3.7  # speech ended where the trailing silence began
    assert delivery.find_pauses(a, 1.0) == [Pause(start=2.0, duration_s=1.5, before_word="then")]
    far = delivery.align_to_audio(words, [(0.0, 2.5)])  # a leading silence 1.6 s off Whisper's first word is not trusted
    assert far[0].start == 0.9


def test_align_closes_gaps_the_audio_shows_as_sound():
    words = [Word(word="so", start=0.0, end=0.3), Word(word="then", start=0.8, end=1.1)]  # a dropped "um" in between
    a = delivery.align_to_audio(words, [])
    assert a[0].end == a[1].start == 0.55


# ----------------------------------------------------------- wording (pure)


def test_repetition_finds_repeated_words_and_phrases():
    w = timed("the the model overfits so we added dropout and then the model overfits less with dropout um um added")
    r = wording.find_repetition(w)
    assert r.repeated_word_count == 1 and r.repeated_words == ["the the"]  # "um um" are fillers, counted as such
    assert r.repeated_phrase_count == 1 and r.repeated_phrases == ["the model overfits"]
    assert wording.find_repetition(timed("it is a cat and it is a dog")).repeated_phrase_count == 0  # only function words


def test_vocabulary_variety_is_type_token_ratio_then_mattr():
    assert wording.vocabulary_variety(timed("the model")) is None
    varied = timed("gradient descent updates weights using batches while momentum smooths noisy steps toward minima")
    repetitive = timed("model model data model data model data model data model data model")
    assert wording.vocabulary_variety(varied) == 1.0
    assert wording.vocabulary_variety(repetitive) == round(2 / 12, 3)
    long_varied = timed(" ".join(f"term{i}" for i in range(120)))
    long_cycled = timed(" ".join(f"term{i % 20}" for i in range(120)))
    assert wording.vocabulary_variety(long_varied) == 1.0
    assert wording.vocabulary_variety(long_cycled) == 0.4  # 20 types in every 50-word window


def test_pronouns_i_versus_we():
    w = timed("I led the migration and we shipped it. I'm proud that I'd planned it, we've learned\u2019 and I\u2019ve grown.")
    assert wording.count_pronouns(w) == {"i": 4, "we": 2}
    d = delivery.measure(Transcript(text="", words=w))
    assert (d.i_count, d.we_count) == (4, 2)


# ------------------------------------------------------------ length (pure)


@pytest.mark.parametrize(
    "seconds, category, verdict, advice",
    [(30, "Machine Learning", "short", "Develop it"), (55, "Machine Learning", "short", ""), (90, "Machine Learning", "ok", ""),
     (130, "Machine Learning", "long", ""), (200, "Machine Learning", "long", "Lead with the answer"),
     (100, "Behavioral", "ok", ""), (60, "Behavioral", "short", "the situation, what you did and the result")],
)
def test_length_against_the_target_range(seconds, category, verdict, advice):
    c = card(category)
    check = delivery.check_length(seconds, c)
    assert check.verdict == verdict and (check.target_min_s, check.target_max_s) == c.target_range_s
    assert (advice in check.advice) if advice else check.advice == ""


def test_measure_checks_length_only_with_a_card():
    words = timed(" ".join(["word"] * 50), wps=2.5)  # 20 s
    t = Transcript(text="", words=words)
    assert delivery.measure(t).length is None
    assert delivery.measure(t, card=card()).length.verdict == "short"


# ----------------------------------------------------------- moments (pure)


def delivery_with(pauses: list[Pause], **kw) -> Delivery:
    base = dict(duration_s=60, word_count=150, words_per_minute=150.0, filler_count=0, fillers=[], fillers_per_minute=0.0,
                pause_count=len(pauses), pauses=pauses, longest_pause_s=max((p.duration_s for p in pauses), default=0.0),
                time_to_first_word_s=1.0)
    base.update(kw)
    return Delivery(**base)


def test_pause_moments_name_the_pause_before_a_key_point():
    d = delivery_with([Pause(start=10.0, duration_s=1.4, before_word="so"), Pause(start=38.9, duration_s=3.1, before_word="we")])
    kps = [
        KeyPointResult(key_point="Regularization is any change that reduces overfitting.", verdict="covered",
                       evidence="we add regularization", evidence_start_s=42.0),
        KeyPointResult(key_point="Dropout randomly zeroes activations during training.", verdict="partial",
                       evidence="we could drop some units at random", evidence_start_s=14.5),
        KeyPointResult(key_point="Weight decay shrinks weights.", verdict="missing"),
    ]
    assert moments.pause_moments(d, kps) == [
        'a 1.4 s pause at 0:10, a few seconds before you said "we could drop some units at random"',
        "a 3.1 s pause at 0:39, just before you mentioned regularization",
    ]
    far = [KeyPointResult(key_point="Regularization is a penalty.", verdict="covered", evidence="x", evidence_start_s=30.0)]
    assert moments.pause_moments(d, far) == []  # no long pause within 5 s before it
    assert moments.pause_moments(None, kps) == []


def test_baseline_needs_five_answers_and_names_differences():
    past = [delivery_with([], words_per_minute=w, fillers_per_minute=f, longest_pause_s=p)
            for w, f, p in [(140, 2.0, 1.5), (142, 1.5, 2.0), (150, 2.5, 1.0), (138, 2.0, 1.8), (145, 3.0, 2.2)]]
    today = delivery_with([], words_per_minute=171, fillers_per_minute=4.5, longest_pause_s=4.0)
    assert moments.compare_to_baseline(today, past[:4]) == []
    assert moments.compare_to_baseline(today, past) == [
        "171 wpm, faster than your usual 142 wpm",
        "4.5 fillers a minute, more than your usual 2.0",
        "a longest pause of 4.0 s, longer than your usual 1.8 s",
    ]
    usual = delivery_with([], words_per_minute=146, fillers_per_minute=2.2, longest_pause_s=2.0)
    assert moments.compare_to_baseline(usual, past) == []
    calm = delivery_with([], words_per_minute=120, fillers_per_minute=0.5, longest_pause_s=1.0)
    assert moments.compare_to_baseline(calm, past) == ["120 wpm, slower than your usual 142 wpm", "0.5 fillers a minute, fewer than your usual 2.0"]


# ------------------------------------------------- voice on synthetic audio


def tone(f0: np.ndarray, level_db: np.ndarray) -> np.ndarray:
    """A harmonic-rich tone (10 harmonics, 1/k) following per-sample f0 and level."""
    phase = 2 * np.pi * np.cumsum(f0) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 11))
    return (0.1 * 10 ** (level_db / 20) * x).astype(np.float32)


N = 10 * SR
T = np.arange(N) / SR
CONSTANT_150 = np.full(N, 150.0)
GLIDE = 120 + 100 * (0.5 - 0.5 * np.cos(2 * np.pi * T / 2.5))  # 120 to 220 Hz and back, every 2.5 s
STEADY = np.zeros(N)
SWELLING = 6 * np.sin(2 * np.pi * T / 1.7)  # +-6 dB


def test_monotone_flat_tone():
    v = prosody.measure_voice(tone(CONSTANT_150, STEADY))
    assert abs(v.pitch_median_hz - 150) < 2
    assert v.monotone and v.pitch_variation_st < 0.5
    assert v.flat and v.loudness_variation_db < 0.5


def test_gliding_tone_is_not_monotone():
    v = prosody.measure_voice(tone(GLIDE, STEADY))
    assert not v.monotone and v.pitch_variation_st > 3
    assert 150 < v.pitch_median_hz < 200
    assert v.flat


def test_swelling_tone_is_not_flat_but_monotone():
    v = prosody.measure_voice(tone(CONSTANT_150, SWELLING))
    assert v.monotone and not v.flat and v.loudness_variation_db > 3


def test_varied_tone_with_noise_and_gaps():
    rng = np.random.default_rng(0)
    x = tone(GLIDE, SWELLING)
    x[3 * SR : 4 * SR] = 0  # a silent second is not voiced
    x = x + (0.001 * rng.standard_normal(N)).astype(np.float32)
    v = prosody.measure_voice(x)
    assert not v.monotone and not v.flat
    assert 8.0 < v.voiced_s < 9.2


def test_no_voice_in_noise_or_silence():
    rng = np.random.default_rng(1)
    assert prosody.measure_voice((0.05 * rng.standard_normal(3 * SR)).astype(np.float32)) is None
    assert prosody.measure_voice(np.zeros(3 * SR, np.float32)) is None


def test_silences_between_tone_bursts():
    burst = tone(np.full(SR, 150.0), np.zeros(SR))
    z = lambda s: np.zeros(int(s * SR), np.float32)  # noqa: E731
    x = np.concatenate([z(0.5), burst, z(1.5), burst, z(0.6), burst, z(0.05), burst])
    x = x + (0.0005 * np.random.default_rng(2).standard_normal(len(x))).astype(np.float32)
    assert prosody.silences(x) == [(0.0, 0.5), (1.5, 3.0), (4.0, 4.6)]  # the 50 ms gap is under the minimum
    steady_noise = (0.05 * np.random.default_rng(3).standard_normal(5 * SR)).astype(np.float32)
    assert prosody.silences(steady_noise) is None  # no dynamic range: cannot tell


# --------------------------------------------------- espeak + Whisper (slow)


def speech(text: str, path: Path, rate: int, voice: str = "en-us") -> np.ndarray:
    """espeak-ng speech with its own leading/trailing silence cut off exactly."""
    import soundfile as sf

    data, _ = sf.read(str(espeak_wav(text, path, rate_wpm=rate, voice=voice)), dtype="float32")
    loud = np.flatnonzero(np.abs(data) > 1e-3)
    return data[loud[0] : loud[-1] + 1]


def pad(*parts: np.ndarray | float) -> np.ndarray:
    return np.concatenate([np.zeros(int(p * SR), np.float32) if isinstance(p, float) else p for p in parts])


RATE_TEXT = (
    "I would start by looking at the training data and the labels, then I would check how the model does on a held out "
    "set. If the gap between the two is large, the model is probably overfitting, so I would add more data or make the "
    "model smaller."
)


@pytest.fixture(scope="module")
def verbatim_whisper():
    from voicecoach.engines.stt import FasterWhisperTranscriber

    return FasterWhisperTranscriber("tiny.en", beam_size=5, keep_fillers=True)


@pytest.mark.slow
def test_words_per_minute_follows_the_speaking_rate(whisper, tmp_path):
    measured, reference = {}, {}
    for rate in (120, 180):
        clip = speech(RATE_TEXT, tmp_path / f"r{rate}.wav", rate)
        audio = pad(1.0, clip, 1.0)
        # reference: the text's words over the speech span in the waveform (espeak's -s is only approximate)
        reference[rate] = len(RATE_TEXT.split()) / (len(clip) / SR) * 60
        d = delivery.measure(whisper.transcribe(audio), audio=audio)
        measured[rate] = d.words_per_minute
        assert d.timings_from == "audio"
        assert abs(d.words_per_minute / reference[rate] - 1) < 0.10, (rate, d.words_per_minute, reference[rate])
        assert abs(d.time_to_first_word_s - 1.0) < 0.15
        assert d.articulation_wpm >= d.words_per_minute
    ratio, expected = measured[180] / measured[120], reference[180] / reference[120]
    assert abs(ratio / expected - 1) < 0.10, (ratio, expected)
    assert expected > 1.25  # the two rates really differ


@pytest.mark.slow
@pytest.mark.parametrize("rate", [130, 180])
def test_inserted_silences_are_found_and_classified(whisper, tmp_path, rate):
    a = speech("First I would check the training data for leaks", tmp_path / "a.wav", rate)
    b = speech("Next I would look at the validation curve carefully", tmp_path / "b.wav", rate)
    c = speech("Finally I would add regularization to the model", tmp_path / "c.wav", rate)
    audio = pad(1.0, a, 1.5, b, 0.6, c, 1.0)
    long_at = 1.0 + len(a) / SR
    medium_at = long_at + 1.5 + len(b) / SR
    t = whisper.transcribe(audio)
    d = delivery.measure(t, audio=audio)
    [long_pause] = d.pauses
    assert abs(long_pause.start - long_at) < 0.15 and abs(long_pause.duration_s - 1.5) < 0.15
    assert long_pause.before_word == "next"
    aligned = delivery.align_to_audio(t.words, prosody.silences(audio))
    medium = [p for p in delivery.find_pauses(aligned, 0.2) if p.duration_s <= 1.0]
    assert len(medium) == 1 and abs(medium[0].start - medium_at) < 0.15 and abs(medium[0].duration_s - 0.6) < 0.15
    assert d.pause_classes.long == 1 and d.pause_classes.medium == 1
    assert d.longest_pause == long_pause and d.pause_count == 1


@pytest.mark.slow
def test_fillers_in_speech_are_reported(whisper, verbatim_whisper, tmp_path):
    text = "So, um, I think, uh, the main reason is overfitting. Um, we added dropout, and, uh, the validation loss went down."
    audio = pad(0.5, speech(text, tmp_path / "f.wav", 150), 0.5)
    d = delivery.measure(verbatim_whisper.transcribe(audio), audio=audio)
    words = [f.word for f in d.fillers]
    assert words.count("um") >= 1 and words.count("uh") >= 1 and len(words) >= 4, words
    assert "so" in words and "i think" in d.hedges
    assert d.fillers_per_minute > 10
    # without the verbatim prompt Whisper drops "um"/"uh" but keeps the sentence-initial "So,"
    plain = delivery.measure(whisper.transcribe(audio), audio=audio)
    assert "so" in [f.word for f in plain.fillers] and plain.filler_count < d.filler_count


@pytest.mark.slow
def test_measure_with_audio_and_card_on_speech(whisper, tmp_path, bank):
    audio = pad(1.0, speech(RATE_TEXT + " Does that answer your question?", tmp_path / "s.wav", 160), 1.5)
    c = bank.get("cross-entropy-vs-mse")
    d = delivery.measure(whisper.transcribe(audio), duration_s=len(audio) / SR, audio=audio, card=c)
    assert d.voice is not None and 70 < d.voice.pitch_median_hz < 200 and d.voice.voiced_s > 3
    assert d.length.verdict == "short" and "Develop it" in d.length.advice
    assert d.i_count >= 3 and d.vocabulary_variety > 0.6
    assert d.pace_windows and abs(d.pace_windows[0].start - d.time_to_first_word_s) < 0.06
    assert d.pace_trend in ("steady", "sped up at the end", "slowed down at the end")
    # the --json contract only grows: old fields are all still there
    old = {"duration_s", "word_count", "words_per_minute", "filler_count", "fillers", "fillers_per_minute", "pause_count",
           "pauses", "longest_pause_s", "time_to_first_word_s", "hedge_count", "hedges"}
    assert old <= set(d.model_dump())
    assert Delivery.model_validate_json(d.model_dump_json()) == d


@pytest.mark.slow
def test_noisy_recording_falls_back_to_word_timings(whisper, tmp_path):
    rng = np.random.default_rng(4)
    clean = pad(1.0, speech(RATE_TEXT, tmp_path / "n.wav", 160), 1.0)
    noisy = clean + (0.03 * rng.standard_normal(len(clean))).astype(np.float32)  # about 12 dB SNR
    d = delivery.measure(whisper.transcribe(noisy), audio=noisy)
    assert d.timings_from == "words" and d.word_count > 30
