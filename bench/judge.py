"""Judge reliability on the labelled set (tests/data/judge_set).

    python bench/judge.py                 # the offline judge with its shipped thresholds
    python bench/judge.py --calibrate     # grid-search thresholds on the even cards, report on the odd ones
    python bench/judge.py --model openai/gpt-4o-mini --repeats 3   # an LLM judge (spread across runs)

Prints key-point precision/recall/F1 ("mentioned" = covered or partial, and
strict = covered), mistake accuracy, ranking checks and injection scores."""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.models import Transcript  # noqa: E402
from voicecoach.questions import load_bank  # noqa: E402

SET_DIR = ROOT / "tests" / "data" / "judge_set"


def load_set() -> list[dict]:
    bank = load_bank()
    items = []
    for f in sorted(SET_DIR.glob("*.yaml")):
        d = yaml.safe_load(f.read_text())
        items.append({"card": bank.get(d["card"]), "answers": d["answers"]})
    return items


def prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in pairs)
    fp = sum(p and not g for p, g in pairs)
    fn = sum(g and not p for p, g in pairs)
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def evaluate(judge, items) -> dict:
    mentioned, strict, mistakes, decided = [], [], [], []
    rank_partial = rank_off = inj_ok = 0
    injection_scores = []
    per_card = []
    for item in items:
        card = item["card"]
        overall = {}
        for ans in item["answers"]:
            v = judge.judge(card, Transcript(text=" ".join(ans["text"].split())), None)
            overall[ans["kind"]] = v.scores.overall
            for got, gold in zip(v.key_points, ans["key_points"]):
                mentioned.append((got.verdict != "missing", gold != "missing"))
                strict.append((got.verdict == "covered", gold == "covered"))
            for got, gold in zip(v.mistakes, ans["mistakes"]):
                if got.verdict != "unsure":
                    decided.append((got.verdict == "made") == (gold == "made"))
                mistakes.append(got.verdict == ("made" if gold == "made" else "not_made"))
        rank_partial += overall["strong"] > overall["partial"]
        rank_off += overall["strong"] > overall["off_topic"]
        inj_ok += overall["injection"] <= overall["partial"]
        injection_scores.append(overall["injection"])
        per_card.append((card.id, overall))
    n = len(items)
    return {
        "mentioned": prf(mentioned), "strict": prf(strict),
        "mistake_accuracy": sum(mistakes) / len(mistakes), "mistake_decided_accuracy": sum(decided) / max(1, len(decided)),
        "mistake_decided_share": len(decided) / len(mistakes),
        "strong_over_partial": f"{rank_partial}/{n}", "strong_over_off_topic": f"{rank_off}/{n}",
        "injection_not_above_partial": f"{inj_ok}/{n}", "injection_max": max(injection_scores), "per_card": per_card,
    }


def show(name: str, r: dict) -> None:
    p, rc, f = r["mentioned"]
    sp, sr, sf = r["strict"]
    print(f"{name}")
    print(f"  key points, mentioned (covered|partial): precision {p:.2f} recall {rc:.2f} F1 {f:.2f}")
    print(f"  key points, strict (covered):           precision {sp:.2f} recall {sr:.2f} F1 {sf:.2f}")
    print(f"  mistakes: accuracy {r['mistake_accuracy']:.2f} (unsure counted wrong); "
          f"{r['mistake_decided_accuracy']:.2f} on the {r['mistake_decided_share']:.0%} it decided")
    print(f"  strong > partial on {r['strong_over_partial']} cards; strong > off-topic on {r['strong_over_off_topic']}; "
          f"injection <= partial on {r['injection_not_above_partial']} (highest injection score {r['injection_max']})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--model", default="")
    ap.add_argument("--api-base", default="")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--per-card", action="store_true")
    args = ap.parse_args()
    items = load_set()
    print(f"labelled set: {len(items)} cards x 5 answers, {sum(len(i['card'].key_points) for i in items) * 5} key-point labels")
    from voicecoach.embed import MiniLMEmbedder
    from voicecoach.judge.offline import OfflineJudge, Thresholds

    t0 = time.time()
    offline = OfflineJudge(MiniLMEmbedder())
    print(f"offline judge loaded in {time.time() - t0:.1f} s")
    if args.calibrate:
        dev, test = items[0::2], items[1::2]
        best = None
        grid = itertools.product([0.46, 0.48, 0.5, 0.52, 0.55, 0.58, 0.62], [0.36, 0.4, 0.43, 0.46], [0.35, 0.5, 0.6, 0.7], [0.0, 1.0, 2.0], [0.0, 0.25, 0.5])
        for cov, part, lw, spec, con in grid:
            if part >= cov:
                continue
            offline.t = Thresholds(covered=cov, partial=part, lexical_weight=lw, specificity=spec, contrast=con)
            r = evaluate(offline, dev)
            # First the ranking checks (strong over partial and off-topic, injection not over partial), then F1, then mistakes.
            ranked = sum(int(r[k].split("/")[0]) for k in ("strong_over_partial", "strong_over_off_topic", "injection_not_above_partial"))
            key = (ranked, r["mentioned"][2] + r["strict"][2], r["mistake_accuracy"])
            if best is None or key > best[0]:
                best = (key, offline.t)
        print(f"best on dev cards: {best[1]}")
        offline.t = best[1]
        show("held-out cards (odd)", evaluate(offline, test))
        show("all cards", evaluate(offline, items))
        return
    t0 = time.time()
    r = evaluate(offline, items)
    show(f"offline judge ({offline.t}) {time.time() - t0:.1f} s", r)
    if args.per_card:
        for cid, o in r["per_card"]:
            print(f"  {cid:40s} {o}")
    if args.model:
        from voicecoach.judge.llm_judge import LLMJudge
        from voicecoach.llm import LiteLLMClient

        judge = LLMJudge(LiteLLMClient(model=args.model, api_base=args.api_base), args.model)
        runs = [evaluate(judge, items) for _ in range(args.repeats)]
        for i, run in enumerate(runs, 1):
            show(f"LLM judge {args.model} run {i}", run)
        if len(runs) > 1:
            f1s = [run["mentioned"][2] for run in runs]
            print(f"  spread of key-point F1 across runs: {min(f1s):.2f}-{max(f1s):.2f} (sd {statistics.pstdev(f1s):.3f})")


if __name__ == "__main__":
    main()
