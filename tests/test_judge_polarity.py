"""Polarity checks of the offline judge (judge/claims.py) on the real spaCy
model: negations that deny a point in several pieces, "or" lists under one
"not", "I don't know what ...", swapped contrasts ("on X, not on Y"), words
built to deny ("useless") and prefix antonyms; and that agreeing sentences are
left alone. The sentences are written for these tests (no card of the sets)."""

from __future__ import annotations

import pytest

from voicecoach.judge import claims

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parser():
    from voicecoach.judge.nlp import SpacyParser

    return SpacyParser()


def rev(parser, point: str, said: str) -> str:
    return claims.reversal(claims.make_claim(parser, point), claims.make_claim(parser, said), [])


@pytest.mark.parametrize(
    "point, said",
    [
        # Three negations, one word of the point each: together they deny it.
        ("Context: who set the deadline and what depended on it.", "There wasn't any real deadline, I don't remember who set it, and nothing depended on it."),
        # One "not" over an "or": both halves are denied.
        ("How they measured the latency and compared it with the old version.", "I didn't measure it carefully or compare anything with the old version."),
        # A negated "know" denies its clause.
        ("What the final latency was, ideally with a number.", "I don't know what the final latency was."),
        # The contrast swapped.
        ("Fit the scaler on the training data, not on the test data.", "You fit the scaler on the test data, not on the training data."),
        # "useless" denies using it.
        ("Use the bootstrap when the sample is small and the formula is unknown.", "When the sample is small the bootstrap is useless."),
        # A prefix antonym.
        ("A false positive is likely when the threshold is low.", "With a low threshold a false positive is unlikely."),
        # The main verb negated, one word of the point under it, the sentence otherwise about the point.
        ("Explains what they personally changed once the build broke.", "Once the build broke I didn't personally change anything."),
    ],
)
def test_reversed(parser, point, said):
    assert rev(parser, point, said), said


@pytest.mark.parametrize(
    "point, said",
    [
        ("Fit the scaler on the training data, not on the test data.", "I fit the scaler on the training data and never touch the test data."),
        ("Fit the scaler on the training data, not on the test data.", "Fit it on the training data, not the test data."),
        ("How they measured the latency and compared it with the old version.", "I measured the latency and compared it with the old version, not just the averages."),
        ("The median is robust to outliers.", "The median is robust to outliers, which is not true of the mean."),
        ("What the final latency was, ideally with a number.", "In the end the latency dropped from 900 to 300 milliseconds, which I didn't expect."),
    ],
)
def test_agreeing_sentences_are_left_alone(parser, point, said):
    assert rev(parser, point, said) == "", said
