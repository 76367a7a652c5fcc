"""How many of a perfect LLM judge's correct verdicts survive the quote check,
and how many irrelevant quotes still support a verdict.

A scripted perfect judge says "covered" for every key point of the strong
answers (tests/data/judge_set) and of the own-words answers
(tests/data/llm_quotes.yaml), quoting the words that state it. Irrelevant
quotes: for each key point, the sentence another key point was quoted from
(same answer), every sentence of the off-topic answers, and the injection
answers' requests to the grader.

    PYTHONPATH=. .venv/bin/python bench/llm_verify.py

"before" is the shared-word check (llm_judge.relevant), "after" the check by
meaning (judge/verify.py); "sure" is the share kept with high confidence.
"""

from __future__ import annotations

import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.judge import load_embedder  # noqa: E402
from voicecoach.judge.llm_judge import JudgeReply, relevant, verify  # noqa: E402
from voicecoach.judge.verify import QuoteVerifier, is_meta, verbatim  # noqa: E402
from voicecoach.models import Transcript  # noqa: E402
from voicecoach.content.questions import load_bank  # noqa: E402


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if len(s.split()) >= 3]


def judge_set() -> dict[str, dict[str, str]]:
    out = {}
    for f in sorted((ROOT / "tests/data/judge_set").glob("*.yaml")):
        d = yaml.safe_load(f.read_text())
        out[d["card"]] = {a["kind"]: a["text"] for a in d["answers"]}
    return out


def perfect_reply(card, quotes: dict[int, str]) -> JudgeReply:
    return JudgeReply.model_validate({
        "key_points": [{"index": i, "verdict": "covered" if i in quotes else "missing", "quote": quotes.get(i, "")}
                       for i in range(1, len(card.key_points) + 1)],
        "mistakes": [{"index": i, "verdict": "not_made", "quote": ""} for i in range(1, len(card.common_mistakes) + 1)],
        "structure": 4, "delivery": 4, "coverage": 5, "overall": 90, "top_fixes": [],
    })


def run(items, verifier, bank) -> dict[str, list[tuple[bool, bool, bool]]]:
    """items: (group, card id, answer text, key point index, quote) ->
    per group: (old kept, new kept, new kept with high confidence)."""
    out = defaultdict(list)
    for group, card_id, text, i, quote in items:
        card = bank.get(card_id)
        old = verbatim(quote, text) and relevant(quote, card.key_points[i - 1])
        kps, _ = verify(card, Transcript(text=text), perfect_reply(card, {i: quote}), verifier)
        k = kps[i - 1]
        out[group].append((old, k.verdict == "covered", k.verdict == "covered" and (k.confidence or 0) >= 0.85))
    return out


def main() -> None:
    bank = load_bank([ROOT / "tests" / "data" / "llm_cards"], include_builtin=False)  # the cards the quotes were picked for
    js = judge_set()
    data = yaml.safe_load((ROOT / "tests/data/llm_quotes.yaml").read_text())["answers"]
    correct, wrong = [], []
    for a in data:
        text = a.get("text") or js[a["card"]][a["kind"]]
        quotes = a["quotes"]
        for i, q in enumerate(quotes, 1):
            correct.append((a["kind"], a["card"], text, i, q))
            if a["kind"] == "strong":
                for j, other in enumerate(quotes, 1):
                    if j != i and other not in q and q not in other:
                        wrong.append(("another point's sentence", a["card"], text, i, other))
    for card_id, kinds in js.items():
        card = bank.get(card_id)
        for s in sentences(kinds["off_topic"]):
            for i in range(1, len(card.key_points) + 1):
                wrong.append(("off-topic sentence", card_id, kinds["off_topic"], i, s))
        for s in sentences(kinds["injection"]):
            if is_meta(s) or re.search(r"\b(marks|grading|rubric|score)\b", s, re.I):
                for i in range(1, len(card.key_points) + 1):
                    wrong.append(("request to the grader", card_id, kinds["injection"], i, s))
    t0 = time.monotonic()
    verifier = QuoteVerifier(load_embedder())
    right = run(correct, verifier, bank)
    bad = run(wrong, verifier, bank)
    secs = time.monotonic() - t0
    print("correct 'covered' verdicts kept (a perfect judge's quotes):")
    print(f"  {'answers':26s} {'n':>4s} {'before':>7s} {'after':>7s} {'sure':>7s}")
    for g, rows in right.items():
        n = len(rows)
        print(f"  {g:26s} {n:4d} {sum(r[0] for r in rows) / n:7.0%} {sum(r[1] for r in rows) / n:7.0%} {sum(r[2] for r in rows) / n:7.0%}")
    print("irrelevant quotes that still support 'covered' (lower is better):")
    for g, rows in bad.items():
        n = len(rows)
        print(f"  {g:26s} {n:4d} {sum(r[0] for r in rows) / n:7.0%} {sum(r[1] for r in rows) / n:7.0%} {sum(r[2] for r in rows) / n:7.0%}")
    print(f"({len(correct) + len(wrong)} checks in {secs:.1f} s, model load included)")


if __name__ == "__main__":
    main()
