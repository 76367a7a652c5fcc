"""The question bank: every shipped card is valid and complete; malformed
cards are rejected with messages naming file and field; user banks merge."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from voicecoach.errors import CardError
from voicecoach.models import MistakeKind
from voicecoach.content.questions import BUILTIN_BANK, card_files, load_bank, parse_card, resolve_card

SEED = BUILTIN_BANK / "machine-learning" / "cross-entropy-vs-mse.yaml"


def test_every_shipped_card_loads(bank):
    files = card_files(BUILTIN_BANK)
    assert bank.problems == []
    assert len(bank.cards) == len(files) >= 150


def test_bank_spread_over_categories(bank):
    counts = Counter(c.category for c in bank.cards.values())
    assert len(counts) >= 6
    assert counts["Machine Learning"] >= 55
    for cat in ("Deep Learning", "Statistics & Probability", "Software Engineering & System Design", "Behavioral"):
        assert counts[cat] >= 20, cat
    assert counts["Data & SQL"] >= 15


def test_every_card_is_complete(bank):
    for card in bank.cards.values():
        assert 3 <= len(card.key_points) <= 6, card.id
        assert 2 <= len(card.common_mistakes) <= 4, card.id
        words = len(card.sample_answer.split())
        assert 80 <= words <= 200, (card.id, words)
        assert len(card.why_asked.split()) >= 15 and len(card.how_to_answer.split()) >= 20, card.id
        for m in card.common_mistakes:
            if m.kind == MistakeKind.omission:
                assert m.key_point is not None, (card.id, m.text)


def test_card_ids_match_file_names(bank):
    for cid, path in bank.sources.items():
        assert path.stem == cid


TEMPLATE_WORDS = {"difference", "between", "explain", "would", "when", "use", "each", "tell", "time", "describe", "walk", "through", "how", "what", "why"}


def _topic(title: str) -> set[str]:
    from voicecoach.judge.text import content_stems

    return content_stems(title) - TEMPLATE_WORDS


def test_no_near_duplicate_titles(bank):
    """Titles that share most of their topic words ask the same question."""
    titles = [(c.id, _topic(c.title)) for c in bank.cards.values()]
    for i, (a_id, a) in enumerate(titles):
        for b_id, b in titles[i + 1 :]:
            jaccard = len(a & b) / max(1, len(a | b))
            assert jaccard < 0.6, f"{a_id} and {b_id} ask nearly the same question ({sorted(a & b)})"


def test_near_duplicate_rule_catches_a_reworded_title():
    a = _topic("When should you use cross-entropy loss instead of mean squared error?")
    b = _topic("Why use cross-entropy loss rather than mean squared error?")
    assert len(a & b) / len(a | b) >= 0.6


def _write(tmp_path: Path, data, name="card.yaml") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return p


def _seed_data() -> dict:
    return yaml.safe_load(SEED.read_text())


@pytest.mark.parametrize(
    "mutate, field, words",
    [
        (lambda d: d.pop("key_points"), "key_points", "required field is missing"),
        (lambda d: d.update(key_points=[]), "key_points", "at least one key point"),
        (lambda d: d.update(difficulty="Impossible"), "difficulty", "Easy, Medium or Hard"),
        (lambda d: d.update(key_points="just one string"), "key_points", "valid list"),
        (lambda d: d.update(colour="blue"), "colour", "unknown field"),
        (lambda d: d.update(time_limit_s="soon"), "time_limit_s", "valid integer"),
        (lambda d: d.update(common_mistakes=[{"text": "Says something wrong", "kind": "guess"}]), "common_mistakes.0.kind", "claim"),
    ],
)
def test_malformed_card_names_file_and_field(tmp_path, mutate, field, words):
    data = _seed_data()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(CardError) as info:
        parse_card(path)
    msg = str(info.value)
    assert str(path) in msg and field in msg and words in msg, msg


def test_bad_yaml_reports_line(tmp_path):
    path = _write(tmp_path, "id: x\ntitle: [unclosed\n")
    with pytest.raises(CardError, match=r"not valid YAML at line \d+"):
        parse_card(path)


def test_json_cards_are_accepted(tmp_path):
    import json

    data = _seed_data()
    data["id"] = "json-card"
    path = tmp_path / "json-card.json"
    path.write_text(json.dumps(data))
    assert parse_card(path).id == "json-card"


def test_bare_string_mistakes_get_a_kind(tmp_path):
    data = _seed_data()
    data["common_mistakes"] = ["Using MSE for multi-class classification.", "Not explaining the gradient benefit."]
    card = parse_card(_write(tmp_path, data))
    assert [m.kind for m in card.common_mistakes] == [MistakeKind.claim, MistakeKind.omission]


def test_user_bank_merges_and_bad_card_does_not_hide_the_rest(tmp_path):
    data = _seed_data()
    data["id"] = "my-own-question"
    data["title"] = "How would you explain gradient clipping to a new teammate?"
    user = tmp_path / "mine"
    user.mkdir()
    _write(user, data, "my-own-question.yaml")
    _write(user, "id: broken\n", "broken.yaml")
    bank = load_bank([user])
    assert "my-own-question" in bank.cards
    assert len(bank.cards) > 150  # the built-in bank is all there
    assert len(bank.problems) == 1 and "broken.yaml" in str(bank.problems[0])


def test_id_clash_names_both_files(tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    clash = _write(user, _seed_data(), "copy.yaml")
    bank = load_bank([user])
    [problem] = bank.problems
    text = str(problem)
    assert str(clash) in text and str(SEED) in text


def test_resolve_card_by_id_and_path(bank, tmp_path):
    assert resolve_card("cross-entropy-vs-mse", bank).id == "cross-entropy-vs-mse"
    data = _seed_data()
    data["id"] = "outside"
    path = _write(tmp_path, data, "outside.yaml")
    assert resolve_card(str(path), bank).id == "outside"
    with pytest.raises(CardError, match="no question with id"):
        resolve_card("no-such-card", bank)


def test_import_round_trips_a_question_page(tmp_path):
    from tests.conftest import run_cli

    page = Path(__file__).parent / "data" / "import-page.txt"
    proc = run_cli(["questions", "import", str(page), "--out", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    [path] = tmp_path.glob("*.yaml")
    card = parse_card(path)
    assert card.title == "How do you decide the number of trees in a random forest?"
    assert card.category == "Machine Learning" and card.difficulty == "Easy"
    assert len(card.key_points) == 3 and card.key_points[1] == "The out-of-bag error curve shows where returns flatten."
    assert card.sample_answer.startswith("I pick the number of trees") and card.sample_answer.endswith("in real time.")
    assert "Practice" not in card.sample_answer
    kinds = [(m.kind.value, m.key_point) for m in card.common_mistakes]
    assert kinds == [("claim", None), ("omission", 2)]


def test_import_the_seed_page(tmp_path):
    from voicecoach.content.importer import parse_page

    seed = Path(__file__).resolve().parents[2] / "shared" / "seed-card.txt"
    if not seed.exists():
        pytest.skip("the shared seed page is not beside this checkout")
    imported = parse_page(seed.read_text(encoding="utf-8"))
    assert imported.missing == []
    from voicecoach.models import Card

    card = Card.model_validate(imported.data)
    assert card.category == "Machine Learning" and card.difficulty == "Medium"
    assert len(card.key_points) == 4 and len(card.common_mistakes) == 3


def test_import_reports_missing_sections(tmp_path):
    from tests.conftest import run_cli

    page = tmp_path / "page.md"
    page.write_text("# What is a p-value?\n\nStatistics\nEasy\n\n## Sample Answer\n\nIt is a probability computed assuming the null hypothesis.\n")
    proc = run_cli(["questions", "import", str(page), "--out", str(tmp_path / "out")])
    assert proc.returncode == 3
    assert "why_asked" in proc.stderr and "key_points" in proc.stderr and "common_mistakes" in proc.stderr
    assert list((tmp_path / "out").glob("*.draft"))


# ------------------------------------------------------------------ bank quality


def _overlap(a: str, b: str) -> float:
    from voicecoach.judge.text import content_stems

    sa, sb = content_stems(a), content_stems(b)
    return len(sa & sb) / max(1, len(sa | sb))


def test_key_points_of_a_card_are_distinct(bank):
    """The judge grades each key point alone: two points that share most of their
    words grade the same sentence twice."""
    for card in bank.cards.values():
        kps = card.key_points
        for i in range(len(kps)):
            for j in range(i + 1, len(kps)):
                assert _overlap(kps[i], kps[j]) < 0.6, (card.id, i + 1, j + 1)


def test_key_points_are_not_copied_across_cards(bank):
    counts = Counter(" ".join(k.lower().split()) for c in bank.cards.values() for k in c.key_points)
    repeated = {k: n for k, n in counts.items() if n > 1}
    assert not repeated, repeated


def test_behavioral_key_points_are_not_boilerplate(bank):
    """STAR stays, but each card's points say what that question probes: a generic
    'gives a measurable result' point belongs on a few cards, not on all of them."""
    behavioral = [c for c in bank.cards.values() if c.category == "Behavioral"]
    generic = [c.id for c in behavioral if any("measurable" in k.lower() for k in c.key_points)]
    assert len(generic) <= len(behavioral) // 4, generic
    # The point about the outcome differs from card to card.
    last_points = [c.key_points[-1] for c in behavioral]
    for i, a in enumerate(last_points):
        for b in last_points[i + 1 :]:
            assert _overlap(a, b) < 0.5, (a, b)


def test_omission_mistakes_point_at_distinct_key_points(bank):
    for card in bank.cards.values():
        targets = [m.key_point for m in card.common_mistakes if m.kind == MistakeKind.omission]
        assert all(1 <= t <= len(card.key_points) for t in targets), card.id
        assert len(targets) == len(set(targets)), (card.id, targets)
        assert any(m.kind == MistakeKind.claim for m in card.common_mistakes), card.id


def test_difficulties_are_spread(bank):
    by_cat: dict[str, Counter] = {}
    for c in bank.cards.values():
        by_cat.setdefault(c.category, Counter())[c.difficulty] += 1
    for cat, counts in by_cat.items():
        total = sum(counts.values())
        assert counts["Easy"] >= 2 and counts["Hard"] >= 2, (cat, counts)
        assert counts["Medium"] <= 0.75 * total, (cat, counts)
    design = [c for c in bank.cards.values() if "system-design" in c.tags]
    assert sum(c.difficulty == "Hard" for c in design) >= 5, [(c.id, c.difficulty) for c in design]


def test_judge_set_labels_match_their_cards(bank):
    """Every labelled answer has one label per key point and per mistake of the
    card as it is now, so editing a card without relabelling fails here."""
    set_dir = Path(__file__).parent / "data" / "judge_set"
    files = sorted(set_dir.glob("*.yaml"))
    assert files
    for f in files:
        data = yaml.safe_load(f.read_text())
        card = bank.get(data["card"])
        for ans in data["answers"]:
            assert len(ans["key_points"]) == len(card.key_points), (f.name, ans["kind"])
            assert len(ans["mistakes"]) == len(card.common_mistakes), (f.name, ans["kind"])
            assert set(ans["key_points"]) <= {"covered", "partial", "missing"}, f.name
            assert set(ans["mistakes"]) <= {"made", "not_made"}, f.name
