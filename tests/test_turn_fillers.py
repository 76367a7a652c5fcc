"""The second (verbatim) decode only where a filler may be: spots from the
plain decode's word timings and the audio, windows around them, fillers
merged back in place (voicecoach/verbatim.py)."""

from __future__ import annotations

import numpy as np

from voicecoach.models import Transcript, Word
from voicecoach.engines.verbatim import filler_spots, gated_fillers, windows

SR = 16000


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), np.float32)


def transcript(*words: tuple[str, float, float]) -> Transcript:
    ws = [Word(word=w, start=a, end=b, probability=0.9) for w, a, b in words]
    return Transcript(text=" ".join(w.word for w in ws), words=ws)


# 0-1 s "the", "cache"; 1.0-1.5 s voice the plain decode has no word for (an
# "um"); 1.5-2.5 s "is", "fast"; 2.5-4.0 s silence; 4.0-4.5 s "done"; silence
AUDIO = np.concatenate([tone(1.5), tone(1.0), silence(1.5), tone(0.5), silence(1.5)])
PLAIN = transcript(("the", 0.0, 0.4), ("cache", 0.4, 1.0), ("is", 1.5, 2.0), ("fast.", 2.0, 2.5), ("done.", 4.0, 4.5))


def test_a_voiced_gap_is_a_spot_and_a_silent_one_is_not():
    spots = filler_spots(PLAIN, AUDIO)
    assert (1.0, 1.5) in spots
    assert all(not (a >= 2.5 and b <= 4.0) for a, b in spots)  # the silent pause


def test_context_filler_words_and_stretched_words_are_spots():
    t = transcript(("so", 0.0, 0.3), ("the", 0.3, 0.5), ("caaache", 0.5, 1.6), ("works.", 1.6, 2.0))
    spots = filler_spots(t, tone(2.0))
    assert (0.0, 0.3) in spots and (0.5, 1.6) in spots
    assert (0.3, 0.5) not in spots


def test_windows_are_padded_joined_and_clipped():
    assert windows([(1.0, 1.5), (2.0, 2.2), (8.0, 8.5)], duration=9.0, pad=1.0) == [(0.0, 3.2), (7.0, 9.0)]


def test_fillers_heard_in_a_window_are_merged_at_their_place_and_only_windows_are_decoded():
    asked: list[float] = []

    def decode(part):
        asked.append(len(part) / SR)
        # the window is 0.0-2.5 s (then 0.6 s of silence): the verbatim decode hears the "um" at 1.1 s
        return transcript(("the", 0.0, 0.4), ("cache", 0.4, 1.0), ("um,", 1.1, 1.4), ("is", 1.5, 2.0), ("fast.", 2.0, 2.5))

    out, reheard = gated_fillers(PLAIN, AUDIO, decode)
    assert [w.word for w in out.words] == ["the", "cache", "um,", "is", "fast.", "done."]
    assert out.words[2].start == 1.1
    assert len(asked) == 1 and asked[0] < len(AUDIO) / SR  # not the whole answer
    assert reheard == 2.5


def test_windows_are_decoded_in_one_call_and_mapped_back_to_their_place():
    # voice without a word at 1.0-1.5 s and 8.0-8.5 s; silence at 4-6 s and 10-11 s
    audio = np.concatenate([tone(1.5), silence(0.5), tone(2.0), silence(2.0), tone(4.0), silence(1.0)])
    plain = transcript(("a", 0.0, 0.5), ("a2", 0.5, 1.0), ("c", 2.0, 2.8), ("c2", 2.8, 3.6), ("c3", 3.6, 4.0),
                       ("d", 6.0, 6.8), ("d2", 6.8, 7.5), ("d3", 7.5, 8.0), ("e", 8.5, 9.3), ("e2", 9.3, 10.0))
    calls = []

    def decode(part):
        calls.append(len(part) / SR)
        # windows 0.0-3.0 s (at 0.0) and 7.0-9.5 s (at 3.6 = 3.0 + 0.6 of silence):
        # an "uh" at 3.6 + 1.1 -> 8.1 s; an "um" cut at the second window's end
        return transcript(("a", 0.0, 0.5), ("d3", 4.1, 4.6), ("uh,", 4.7, 5.0), ("e", 5.1, 5.9), ("um", 6.0, 6.1))

    out, reheard = gated_fillers(plain, audio, decode)
    assert len(calls) == 1 and reheard == 5.5
    assert [w.word for w in out.words] == ["a", "a2", "c", "c2", "c3", "d", "d2", "d3", "uh,", "e", "e2"]
    assert out.words[8].start == 8.1


def test_no_spot_no_second_decode():
    t = transcript(("the", 0.0, 0.5), ("cache", 0.5, 1.0), ("is", 1.0, 1.5), ("fast.", 1.5, 2.0))
    calls = []
    out, reheard = gated_fillers(t, tone(2.0), lambda part: calls.append(part))
    assert out is t and reheard == 0.0 and not calls


def test_a_looping_window_decode_keeps_the_plain_words():
    out, _ = gated_fillers(PLAIN, AUDIO, lambda part: None)
    assert [w.word for w in out.words] == [w.word for w in PLAIN.words]
