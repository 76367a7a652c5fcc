"""The offline judge with the real embedding model on the labelled answer set."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench.judge import evaluate, load_set
from voicecoach.engines.embed import HashEmbedder
from voicecoach.judge.offline import OfflineJudge, Thresholds, contrast
from voicecoach.models import Card, MistakeKind, Transcript



@pytest.fixture(scope="module")
def report(offline_judge):
    return evaluate(offline_judge, load_set())


@pytest.mark.slow
def test_key_point_f1_on_labelled_set(report):
    """0.86-0.87 F1 (precision 0.81) with the meaning path, which credits a
    partial answer with some points it only talks around (0.89 / 0.89 without)."""
    precision, recall, f1 = report["mentioned"]
    assert f1 >= 0.85, report["mentioned"]
    assert precision >= 0.78 and recall >= 0.90


@pytest.mark.slow
def test_own_words_on_held_out_adversarial_cards(offline_judge):
    """The odd adversarial cards (not used to choose any threshold): a correct
    answer in the candidate's own words has at least 45% of its points found
    (0.50 measured; 0.20 without the meaning path), keyword lists stay below
    the partial answer on every card, and strong > partial > off-topic holds."""
    from bench.judge_report import load_adversarial, split

    _, test = split(load_adversarial())
    r = evaluate(offline_judge, test)
    assert r["by_kind"]["own_words"]["recall"] >= 0.45, r["by_kind"]["own_words"]
    assert r["by_kind"]["own_words"]["precision"] >= 0.9
    n = len(test)
    assert r["checks"]["keywords_below_partial"] == f"{n}/{n}", r["check_failures"]
    assert r["checks"]["strong_partial_off_topic_ordered"] == f"{n}/{n}", r["check_failures"]


@pytest.mark.slow
def test_rankings_and_injection(report):
    n = len(report["per_card"])
    assert report["strong_over_off_topic"] == f"{n}/{n}"
    assert report["strong_over_partial"] == f"{n}/{n}"
    assert report["injection_not_above_partial"] == f"{n}/{n}"
    assert report["injection_max"] <= 50


@pytest.mark.slow
def test_one_word_answer_scores_near_zero(offline_judge, bank):
    v = offline_judge.judge(bank.get("cross-entropy-vs-mse"), Transcript(text="Classification."), None)
    assert v.scores.overall <= 10 and v.scores.coverage == 1


@pytest.mark.slow
def test_evidence_carries_its_time(offline_judge, bank, whisper, tmp_path):
    from tests.conftest import espeak_wav
    from voicecoach.engines.audiofile import read_audio

    wav = espeak_wav("Let me think. Cross entropy keeps the gradient large when the model is confidently wrong.", tmp_path / "a.wav", voice="en", lead_s=1.0)
    t = whisper.transcribe(read_audio(wav))
    v = offline_judge.judge(bank.get("cross-entropy-vs-mse"), t, None)
    kp3 = v.key_points[2]
    assert kp3.verdict in ("covered", "partial") and kp3.evidence_start_s is not None and kp3.evidence_start_s >= 0.9


@pytest.mark.slow
def test_negated_claim_is_not_called_made(offline_judge, bank):
    card = bank.get("cross-entropy-vs-mse")
    v = offline_judge.judge(card, Transcript(text="You should never use MSE as the loss for multi-class classification; use cross entropy."), None)
    claim = next(m for m in v.mistakes if m.kind == MistakeKind.claim)
    assert claim.verdict in ("not_made", "unsure")


# A hand-written card whose key points share most of their vocabulary (TCP,
# UDP, packets, connection): only the words specific to each point tell them apart.
TRANSPORT = Card(
    id="tcp-vs-udp",
    title="When would you choose UDP over TCP?",
    category="Networking",
    difficulty="Medium",
    why_asked="Checks that the candidate knows what each transport protocol guarantees.",
    how_to_answer="Say what TCP guarantees, what UDP gives up, and when that trade is worth it.",
    key_points=[
        "TCP opens a connection with a handshake before any data is sent.",
        "TCP retransmits lost packets and delivers packets in order.",
        "UDP sends packets with no connection and no retransmission, so latency is lower.",
        "UDP suits real-time traffic such as voice calls and games, where a late packet is useless.",
    ],
    sample_answer=(
        "TCP first opens a connection with a three-way handshake. After that it acknowledges every segment, resends "
        "whatever is lost and hands the data over in order. UDP just fires off datagrams with no connection and no "
        "resending, which keeps latency low. That makes UDP the better fit for live voice, video calls and games, "
        "where a packet that arrives late is worthless anyway."
    ),
    common_mistakes=[{"text": "Claims UDP is more reliable than TCP.", "kind": "claim"}],
)
# Makes all four points, mostly in its own words.
TRANSPORT_STRONG = (
    "Before sending anything, TCP does a handshake to set up a connection. Then it keeps track of what arrived, "
    "resends lost packets and makes sure they come out in order. UDP skips the connection and never resends, so there "
    "is less delay. That is why I would use UDP for a video call or an online game: a packet that shows up late is no "
    "use to anyone."
)
# Makes only the first point, and repeats the vocabulary all the points share.
TRANSPORT_SHARED_WORDS = (
    "TCP and UDP both move packets between machines. With TCP there is a handshake that opens a connection before "
    "data flows. UDP packets and TCP packets travel over the same networks, and both protocols are used for all kinds "
    "of traffic."
)


def test_shared_words_weigh_less_than_specific_ones():
    judge = OfflineJudge(HashEmbedder())
    w = judge.word_weights(TRANSPORT)
    # "packet" is in three key points, "udp" in two, "handshake" in one only.
    assert w["packet"] < w["udp"] < w["handshake"]
    assert w["handshake"] == w["latency"]
    assert OfflineJudge(HashEmbedder(), replace(Thresholds(), specificity=0)).word_weights(TRANSPORT) is None


def test_contrast_penalises_a_span_another_key_point_matches_better():
    score = np.array([[0.8, 0.2], [0.5, 0.6], [0.5, 0.6]])
    out = contrast(score, 0.5)
    # Span 0 is key point 1's: the others lose half their gap to it; the best keeps its score.
    assert out[0, 0] == pytest.approx(0.8) and out[1, 0] == pytest.approx(0.5 - 0.5 * 0.3)
    # Span 1 is matched equally well by key points 2 and 3: neither is penalised.
    assert out[1, 1] == pytest.approx(0.6) and out[2, 1] == pytest.approx(0.6)
    assert out[0, 1] == pytest.approx(0.2 - 0.5 * 0.4)
    assert contrast(score, 0.0) is score
    assert np.array_equal(contrast(score[:1], 0.5), score[:1])  # one key point: nothing to contrast with


@pytest.mark.slow
def test_shared_vocabulary_earns_no_key_point_it_does_not_make(embedder):
    judge = OfflineJudge(embedder)
    strong = judge.judge(TRANSPORT, Transcript(text=TRANSPORT_STRONG), None)
    shared = judge.judge(TRANSPORT, Transcript(text=TRANSPORT_SHARED_WORDS), None)
    assert [k.verdict for k in strong.key_points] == ["covered"] * 4
    assert [k.verdict for k in shared.key_points] == ["covered", "missing", "missing", "missing"]
    assert "handshake" in shared.key_points[0].evidence
    assert strong.scores.overall - shared.scores.overall >= 40

    # The same thresholds without the discrimination credit the shared words with points the answer never makes.
    plain = OfflineJudge(embedder, replace(judge.t, specificity=0.0, contrast=0.0))
    undiscriminating = plain.judge(TRANSPORT, Transcript(text=TRANSPORT_SHARED_WORDS), None)
    assert sum(k.verdict != "missing" for k in undiscriminating.key_points[1:]) >= 2
    assert undiscriminating.scores.overall >= shared.scores.overall + 20
    assert strong.scores.overall >= plain.judge(TRANSPORT, Transcript(text=TRANSPORT_STRONG), None).scores.overall  # at no cost to the strong answer
