"""What a sentence claims: lists of terms, negation scope, antonyms, swapped
contrast terms (spaCy's small English model), and report wording that follows
the judge's confidence."""

from __future__ import annotations

import pytest

from voicecoach.engines.embed import HashEmbedder
from voicecoach.judge import claims, structure
from voicecoach.judge.offline import OfflineJudge, content_fixes
from voicecoach.models import Card, KeyPointResult, MistakeKind, MistakeResult

L1L2 = Card(
    id="l1-vs-l2",
    title="What is the difference between L1 and L2 regularization?",
    category="Machine Learning",
    difficulty="Medium",
    why_asked="Checks that the candidate knows what each penalty does to the weights.",
    how_to_answer="Say what each penalty adds and what it does to the weights.",
    key_points=["L1 pushes many weights to exactly zero, giving sparse models.", "L2 shrinks all weights smoothly towards zero."],
    sample_answer="L1 adds absolute values and pushes many weights to exactly zero; L2 adds squares and shrinks them smoothly.",
    common_mistakes=[{"text": "Claims L2 gives sparse weights.", "kind": "claim"}],
)


@pytest.fixture(scope="module")
def parser():
    from voicecoach.judge.nlp import SpacyParser

    return SpacyParser()


def test_a_list_of_terms_states_nothing():
    assert claims.is_list_like("Um, L1, L2, sparsity, weights, feature selection, lasso, ridge.")
    assert not claims.is_list_like("L1 pushes weights to zero, so you get sparsity, and L2 just shrinks them.")


def test_contrast_terms_from_the_title():
    assert claims.contrast_terms(L1L2) == [("l1", "l2")]


@pytest.mark.slow
def test_negation_scope_reverses_the_point_it_covers(parser):
    point = claims.make_claim(parser, L1L2.key_points[0])
    said = claims.make_claim(parser, "L1 does not push any weights to zero.")
    assert claims.reversal(point, said, claims.contrast_terms(L1L2)).startswith("negated")
    # A negation about something else leaves the point alone.
    other = claims.make_claim(parser, "L1 pushes many weights to exactly zero, which is not what you want for correlated inputs.")
    assert claims.reversal(point, other, []) == ""
    # "not just" adds, it does not deny.
    more = claims.make_claim(parser, "L1 pushes weights to exactly zero, not just small.")
    assert claims.reversal(point, more, []) == ""


@pytest.mark.slow
def test_swapped_contrast_terms_and_antonyms(parser):
    pairs = claims.contrast_terms(L1L2)
    point = claims.make_claim(parser, L1L2.key_points[0])
    assert "l2" in claims.reversal(point, claims.make_claim(parser, "It is L2 that pushes many weights to exactly zero."), pairs)
    faster = claims.make_claim(parser, "UNION ALL is faster because it skips the duplicate check.")
    assert "slow" in claims.reversal(faster, claims.make_claim(parser, "UNION ALL is slower because of the duplicate check."), [])


@pytest.mark.slow
def test_negated_and_listed_answers_cover_nothing_but_a_plain_one_does(embedder):
    from voicecoach.models import Transcript

    judge = OfflineJudge(embedder)
    plain = judge.judge(L1L2, Transcript(text="L1 pushes many weights to exactly zero, so the model is sparse. L2 shrinks all the weights smoothly towards zero."), None)
    negated = judge.judge(L1L2, Transcript(text="L1 does not push weights to exactly zero and the model is never sparse. L2 does not shrink the weights towards zero at all."), None)
    listed = judge.judge(L1L2, Transcript(text="Um, L1, L2, weights, zero, sparse models, shrinks, smoothly. Yeah."), None)
    assert [k.verdict for k in plain.key_points] == ["covered", "covered"]
    assert [k.verdict for k in negated.key_points] == ["missing", "missing"]
    assert all(k.note.startswith("ruled out") for k in negated.key_points)
    assert [k.verdict for k in listed.key_points] == ["missing", "missing"]
    assert plain.scores.overall > 60 > 20 > max(negated.scores.overall, listed.scores.overall)
    assert all(k.confidence is not None and 0 <= k.confidence <= 1 for k in plain.key_points + negated.key_points)


def test_star_parts_as_user_cards_phrase_them():
    assert structure.star_part("Context: who asked for what, and what was at stake.") == "situation"
    assert structure.star_part("Sets the scene: what the process was and why it was a problem.") == "situation"
    assert structure.star_part("Their own steps to change it, told in the first person.") == "action"
    assert structure.star_part("What happened in the end, ideally with a number.") == "result"
    assert structure.star_part("A lesson they took away from it.") == "reflection"


def test_unsure_verdicts_are_worded_as_unconfirmed():
    sure = KeyPointResult(key_point="L2 shrinks weights.", verdict="missing", confidence=0.9)
    unsure = KeyPointResult(key_point="L1 gives sparse models.", verdict="missing", confidence=0.6)
    claim = MistakeResult(mistake="Claims L2 gives sparse weights.", kind=MistakeKind.claim, verdict="made", confidence=0.5)
    fixes = content_fixes([sure, unsure], [claim])
    assert fixes[0] == "Cover this point: L2 shrinks weights."
    assert fixes[1].startswith("I could not confirm this point in your answer; say it explicitly") and "L1 gives sparse" in fixes[1]
    assert not any("Correct this" in f for f in fixes)


def test_judge_runs_without_a_parser():
    from voicecoach.models import Transcript

    v = OfflineJudge(HashEmbedder(), parser=None).judge(L1L2, Transcript(text="L1 pushes weights to zero. L2, ridge, lasso, sparse, zero, weights."), None)
    assert len(v.key_points) == 2
