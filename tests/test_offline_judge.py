"""The offline judge with the real embedding model on the labelled answer set."""

from __future__ import annotations

import pytest

from bench.judge import evaluate, load_set
from voicecoach.models import MistakeKind, Transcript

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(offline_judge):
    return evaluate(offline_judge, load_set())


def test_key_point_f1_on_labelled_set(report):
    precision, recall, f1 = report["mentioned"]
    assert f1 >= 0.8, report["mentioned"]
    assert precision >= 0.8


def test_rankings_and_injection(report):
    n = len(report["per_card"])
    assert report["strong_over_off_topic"] == f"{n}/{n}"
    assert int(report["strong_over_partial"].split("/")[0]) >= n - 2
    assert report["injection_not_above_partial"] == f"{n}/{n}"
    assert report["injection_max"] <= 50


def test_one_word_answer_scores_near_zero(offline_judge, bank):
    v = offline_judge.judge(bank.get("cross-entropy-vs-mse"), Transcript(text="Classification."), None)
    assert v.scores.overall <= 10 and v.scores.coverage == 1


def test_evidence_carries_its_time(offline_judge, bank, whisper, tmp_path):
    from tests.conftest import espeak_wav
    from voicecoach.audiofile import read_audio

    wav = espeak_wav("Let me think. Cross entropy keeps the gradient large when the model is confidently wrong.", tmp_path / "a.wav", voice="en", lead_s=1.0)
    t = whisper.transcribe(read_audio(wav))
    v = offline_judge.judge(bank.get("cross-entropy-vs-mse"), t, None)
    kp3 = v.key_points[2]
    assert kp3.verdict in ("covered", "partial") and kp3.evidence_start_s is not None and kp3.evidence_start_s >= 0.9


def test_negated_claim_is_not_called_made(offline_judge, bank):
    card = bank.get("cross-entropy-vs-mse")
    v = offline_judge.judge(card, Transcript(text="You should never use MSE as the loss for multi-class classification; use cross entropy."), None)
    claim = next(m for m in v.mistakes if m.kind == MistakeKind.claim)
    assert claim.verdict in ("not_made", "unsure")
