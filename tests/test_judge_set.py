"""The labelled judge sets are well formed: every adversarial card validates
with the project's card loader, stays out of the bank, and every answer's label
lists match its card (fast: no model is loaded)."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from bench.judge_report import ADV_DIR, load_adversarial, load_old, split
from voicecoach.models import MistakeKind
from voicecoach.content.questions import card_files, parse_card

KINDS_EVERY_CARD = {"strong", "partial", "own_words", "negated", "keywords", "mixed", "off_topic"}
ADV_CARD_FILES = card_files(ADV_DIR / "cards")


@pytest.mark.parametrize("path", ADV_CARD_FILES, ids=lambda p: p.stem)
def test_adversarial_card_is_valid_and_outside_the_bank(path, bank):
    card = parse_card(path)
    assert card.id == path.stem and card.id.startswith("adv-")
    assert card.id not in bank.cards
    assert 4 <= len(card.key_points) <= 6
    assert 2 <= len(card.common_mistakes) <= 4
    assert any(m.kind == MistakeKind.claim for m in card.common_mistakes)
    assert all(m.key_point for m in card.common_mistakes if m.kind == MistakeKind.omission)
    assert 80 <= len(card.sample_answer.split()) <= 200


def test_adversarial_set_spread():
    items = load_adversarial()
    assert len(items) == len(ADV_CARD_FILES) >= 14
    assert len({p.stem for p in ADV_DIR.glob("*.yaml")}) == len(items)  # one answer file per card
    cats = Counter(i["card"].category for i in items)
    assert len(cats) >= 6 and cats["Behavioral"] >= 3
    assert sum("injection" in {a["kind"] for a in i["answers"]} for i in items) >= len(items) // 3


@pytest.mark.parametrize("item", load_old() + load_adversarial(), ids=lambda i: f"{i['set']}-{i['card'].id}")
def test_labels_match_the_card(item):
    card = item["card"]
    kinds = [a["kind"] for a in item["answers"]]
    assert len(kinds) == len(set(kinds)), kinds
    if item["set"] == "adversarial":
        assert KINDS_EVERY_CARD <= set(kinds)
    for a in item["answers"]:
        where = (card.id, a["kind"])
        assert a["text"].strip(), where
        assert len(a["key_points"]) == len(card.key_points), where
        assert len(a["mistakes"]) == len(card.common_mistakes), where
        assert set(a["key_points"]) <= {"covered", "partial", "missing"}, where
        assert set(a["mistakes"]) <= {"made", "not_made"}, where
        if item["set"] == "adversarial":
            # An omission is made exactly when its key point is missing.
            for m, label in zip(card.common_mistakes, a["mistakes"]):
                if m.kind == MistakeKind.omission:
                    assert label == ("made" if a["key_points"][m.key_point - 1] == "missing" else "not_made"), (where, m.text)
            if a["kind"] in ("negated", "keywords", "off_topic"):
                assert set(a["key_points"]) == {"missing"}, where
            if a["kind"] == "own_words":
                assert set(a["key_points"]) == {"covered"}, where


def test_answer_files_name_their_card():
    for f in sorted(ADV_DIR.glob("*.yaml")):
        assert yaml.safe_load(f.read_text())["card"] == f.stem


def test_split_is_even_and_odd_within_each_set():
    items = load_old() + load_adversarial()
    dev, test = split(items)
    for s in ("old", "adversarial"):
        ids = [i["card"].id for i in items if i["set"] == s]
        assert [i["card"].id for i in dev if i["set"] == s] == ids[0::2]
        assert [i["card"].id for i in test if i["set"] == s] == ids[1::2]


class GoldJudge:
    """Answers every answer with its gold labels: the bench's figures must then be perfect."""

    RANK = {"strong": 90, "own_words": 88, "partial": 50, "mixed": 40, "wrong_claim": 45, "injection": 10, "keywords": 5, "negated": 3, "off_topic": 1}

    def __init__(self, items):
        self.gold = {" ".join(a["text"].split()): a for i in items for a in i["answers"]}

    def judge(self, card, transcript, delivery):
        from voicecoach.models import JudgeInfo, KeyPointResult, MistakeResult, Scores, Verdicts

        a = self.gold[transcript.text]
        return Verdicts(
            key_points=[KeyPointResult(key_point=k, verdict=v) for k, v in zip(card.key_points, a["key_points"])],
            mistakes=[MistakeResult(mistake=m.text, kind=m.kind, verdict=v) for m, v in zip(card.common_mistakes, a["mistakes"])],
            scores=Scores(structure=3, delivery=3, coverage=3, overall=self.RANK[a["kind"]]), fixes=[],
            judge=JudgeInfo(kind="offline", model="gold", prompt_version="test"),
        )


def test_bench_figures_for_a_perfect_judge():
    from bench.judge_report import run_judge, summarize

    items = load_old() + load_adversarial()
    r = summarize(run_judge(GoldJudge(items), items))
    assert r["mentioned"] == (1.0, 1.0, 1.0) and r["strict"] == (1.0, 1.0, 1.0)
    assert r["mistake_accuracy"] == 1.0
    for name, got in r["checks"].items():
        passed, n = got.split("/")
        assert passed == n and int(n) > 0, name
    assert r["by_kind"]["own_words"]["recall"] == 1.0
    assert r["by_kind"]["negated"]["called_share"] == 0.0 and r["by_kind"]["keywords"]["called_share"] == 0.0
    neg = r["by_kind"]["negated"]
    assert neg["claims_caught"] == neg["claims_made"] > 0 and neg["false_alarms"] == 0
