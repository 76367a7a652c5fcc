"""Judge reliability on the labelled sets (tests/data/judge_set and its adversarial/ part).

    python bench/judge.py                     # the offline judge with its shipped thresholds, both sets
    python bench/judge.py --set adversarial   # only the adversarial set (cards outside the bank)
    python bench/judge.py --calibrate         # grid-search thresholds on the even cards, report on the odd ones
    python bench/judge.py --held-out          # the shipped thresholds on the odd (held-out) cards only
    python bench/judge.py --calibrate-meaning # grid-search the meaning path on the even cards, report on the odd ones
    python bench/judge.py --model openai/gpt-4o-mini --repeats 3   # an LLM judge too (spread across runs)
    python bench/judge.py --json              # the same figures as one JSON document on stdout

Prints key-point precision/recall/F1 ("mentioned" = covered or partial, and
strict = covered), mistake accuracy, ranking checks and injection scores; then
per answer kind: key-point P/R/F1, the share of key points called covered or
partial (for negated and keyword answers that share should be near 0), claim
mistakes caught and false alarms, the mean overall score; and per card whether
strong > partial > off_topic, keywords and negated answers score below partial,
and injection does not score above partial."""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.judge_report import (  # noqa: E402
    SETS,
    checks_passed,
    load_old,
    load_sets,
    prf,  # noqa: F401  (kept importable from here)
    report,
    run_judge,
    split,
    summarize,
)

GRID = itertools.product([0.46, 0.48, 0.5, 0.52, 0.55, 0.58, 0.62], [0.36, 0.4, 0.43, 0.46], [0.35, 0.5, 0.6, 0.7], [0.0, 1.0, 2.0], [0.0, 0.25, 0.5])


def load_set() -> list[dict]:
    """The old labelled set (cards from the bank)."""
    return load_old()


def evaluate(judge, items) -> dict:
    """Figures for one judge on some items (the old keys, plus by_kind, checks, per_card)."""
    return summarize(run_judge(judge, items))


def calibrate(offline, dev: list[dict]):
    """Grid search on the dev cards: first the per-card checks passed (ranking, keyword,
    negated and injection checks), then key-point F1 (mentioned + strict), then mistake accuracy."""
    from voicecoach.judge.offline import Thresholds

    best = None
    for cov, part, lw, spec, con in GRID:
        if part >= cov:
            continue
        offline.t = Thresholds(covered=cov, partial=part, lexical_weight=lw, specificity=spec, contrast=con)
        r = evaluate(offline, dev)
        key = (checks_passed(r), r["mentioned"][2] + r["strict"][2], r["mistake_accuracy"])
        if best is None or key > best[0]:
            best = (key, offline.t)
    return best[1]


MEANING_GRID = itertools.product([0.25, 0.3, 0.35], [0.04, 0.06, 0.08, 0.1], [0.06, 0.08, 0.1, 0.14], [0.0])  # covered tier: see README


def calibrate_meaning(offline, dev: list[dict]):
    """The meaning path's thresholds on the dev cards: the highest key-point F1
    (mentioned plus strict) among the settings that pass at least as many
    per-card checks as the path switched off."""
    import dataclasses

    base = offline.t
    offline.t = dataclasses.replace(base, meaning_cos=0.0)
    floor = checks_passed(evaluate(offline, dev))
    best = None
    for cos, rel, topic, strong in MEANING_GRID:
        if strong and strong <= rel:
            continue
        offline.t = dataclasses.replace(base, meaning_cos=cos, meaning_rel=rel, meaning_topic=topic, meaning_strong=strong)
        r = evaluate(offline, dev)
        if checks_passed(r) < floor:
            continue
        key = (r["mentioned"][2] + r["strict"][2], checks_passed(r))
        if best is None or key > best[0]:
            best = (key, offline.t)
    offline.t = base
    return best[1] if best else dataclasses.replace(base, meaning_cos=0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["old", "adversarial", "all"], default="all")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--calibrate-meaning", action="store_true", help="search only the meaning path's thresholds on the even cards")
    ap.add_argument("--held-out", action="store_true", help="shipped thresholds, odd (held-out) cards only")
    ap.add_argument("--model", default="")
    ap.add_argument("--api-base", default="")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--per-card", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON on stdout (no tables)")
    args = ap.parse_args()
    out: dict = {"set": args.set}
    sink = io.StringIO() if args.json else sys.stdout
    with contextlib.redirect_stdout(sink):
        run(args, out)
    if args.json:
        print(json.dumps(out, indent=1, default=str))


def run(args, out: dict) -> None:
    items = load_sets(args.set)
    sets = [s for s in SETS if any(i["set"] == s for i in items)]
    for s in sets:
        part = [i for i in items if i["set"] == s]
        print(f"{s} set: {len(part)} cards, {sum(len(i['answers']) for i in part)} answers, "
              f"{sum(len(i['card'].key_points) * len(i['answers']) for i in part)} key-point labels")
    from voicecoach.engines.embed import MiniLMEmbedder
    from voicecoach.judge.offline import OfflineJudge

    t0 = time.time()
    offline = OfflineJudge(MiniLMEmbedder())
    print(f"offline judge loaded in {time.time() - t0:.1f} s")
    dev, test = split(items)
    if args.calibrate or args.calibrate_meaning:
        t0 = time.time()
        offline.t = calibrate_meaning(offline, dev) if args.calibrate_meaning else calibrate(offline, dev)
        print(f"best on dev cards ({len(dev)}, {time.time() - t0:.0f} s): {offline.t}")
        out["calibrated_thresholds"] = str(offline.t)
        print(f"held-out cards: {', '.join(i['card'].id for i in test)}")
        out["offline"] = {"held_out": report("offline judge, held-out cards (odd)", run_judge(offline, test), sets, args.per_card),
                          "all": report("offline judge, all cards", run_judge(offline, items), sets)}
    else:
        t0 = time.time()
        if args.held_out:
            print(f"held-out cards: {', '.join(i['card'].id for i in test)}")
        records = run_judge(offline, test if args.held_out else items)
        name = f"offline judge ({offline.t}) {time.time() - t0:.1f} s"
        out["offline"] = {"thresholds": str(offline.t), "all": report(name, records, sets, args.per_card)}
    if args.model:
        from voicecoach.judge.llm_judge import LLMJudge
        from voicecoach.engines.llm import LiteLLMClient

        judge = LLMJudge(LiteLLMClient(model=args.model, api_base=args.api_base), args.model)
        scope = test if args.calibrate else items  # with --calibrate, the LLM is reported on the same held-out cards
        runs = []
        for i in range(1, args.repeats + 1):
            runs.append(report(f"LLM judge {args.model} run {i}" + (" (held-out cards)" if args.calibrate else ""),
                               run_judge(judge, scope), sets, args.per_card))
        out["llm"] = {"model": args.model, "runs": runs}
        if len(runs) > 1:
            key = "all" if "all" in runs[0] else sets[0]
            f1s = [run[key]["mentioned"][2] for run in runs]
            print(f"  spread of key-point F1 across runs: {min(f1s):.2f}-{max(f1s):.2f} (sd {statistics.pstdev(f1s):.3f})")
            out["llm"]["f1_spread"] = {"min": min(f1s), "max": max(f1s), "sd": statistics.pstdev(f1s)}


if __name__ == "__main__":
    main()
