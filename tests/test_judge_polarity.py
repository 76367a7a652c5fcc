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


def _story_card():
    from voicecoach.models import Card

    return Card(
        id="bh-slow-release",
        title="Tell me about a time a release you owned went out late.",
        category="Behavioral",
        difficulty="Medium",
        why_asked="Checks ownership, communication and what the candidate learned from a delay.",
        how_to_answer="Set the scene and your role, say what you did, give the outcome with a number, and a lesson.",
        key_points=[
            "Sets up the situation and their own role.",
            "What they personally did once the delay was clear.",
            "The outcome, ideally with a number.",
            "A lesson they took away from it.",
        ],
        sample_answer="I owned the billing release last spring. When it slipped I told the team the same day and cut scope. "
        "We shipped two weeks late but with no incidents. I learned to pad estimates for migrations.",
        common_mistakes=[{"text": "Blames others for the delay.", "kind": "claim"}],
    )


def test_star_patterns_credit_neither_a_list_nor_a_denial(embedder):
    from voicecoach.judge.offline import OfflineJudge
    from voicecoach.models import Transcript

    card, judge = _story_card(), OfflineJudge(embedder)
    listed = judge.judge(card, Transcript(text="Um, so, release, situation, my role, delay, actions, outcome, numbers, lessons learned, estimates."), None)
    assert [k.verdict for k in listed.key_points] == ["missing"] * 4
    denied = judge.judge(card, Transcript(text="I was on the billing team when the release slipped two weeks. I didn't take away any lesson from it, honestly."), None)
    assert denied.key_points[3].verdict == "missing"
    told = judge.judge(card, Transcript(text="I was on the billing team when the release slipped two weeks. Looking back, the lesson I took away is to pad estimates for migrations."), None)
    assert told.key_points[3].verdict != "missing"
