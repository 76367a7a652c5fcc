"""Loading and scoring the labelled judge sets for bench/judge.py.

Two sets: the old one (tests/data/judge_set/*.yaml, cards from the bank) and
the adversarial one (tests/data/judge_set/adversarial, cards outside the bank,
parsed with the project's own card loader). ``run_judge`` judges every answer
once; ``summarize`` turns those records into the figures (so a threshold
search can re-summarize cheaply)."""

from __future__ import annotations

from pathlib import Path

import yaml

from voicecoach.models import Transcript
from voicecoach.content.questions import load_bank, parse_card

ROOT = Path(__file__).resolve().parent.parent
SET_DIR = ROOT / "tests" / "data" / "judge_set"
ADV_DIR = SET_DIR / "adversarial"
SETS = ("old", "adversarial")
# Kinds in report order; anything else found in a file is reported after these.
KINDS = ("strong", "partial", "own_words", "mixed", "wrong_claim", "negated", "keywords", "off_topic", "injection")


def load_old() -> list[dict]:
    bank = load_bank()
    items = []
    for f in sorted(SET_DIR.glob("*.yaml")):
        d = yaml.safe_load(f.read_text())
        items.append({"set": "old", "card": bank.get(d["card"]), "answers": d["answers"]})
    return items


def load_adversarial() -> list[dict]:
    """Cards from adversarial/cards/<id>.yaml (validated by voicecoach.content.questions.parse_card),
    answers from adversarial/<id>.yaml; sorted by card id."""
    items = []
    for f in sorted(ADV_DIR.glob("*.yaml")):
        d = yaml.safe_load(f.read_text())
        card = parse_card(ADV_DIR / "cards" / f"{d['card']}.yaml")
        items.append({"set": "adversarial", "card": card, "answers": d["answers"]})
    return sorted(items, key=lambda i: i["card"].id)


def load_sets(which: str = "all") -> list[dict]:
    return (load_old() if which in ("old", "all") else []) + (load_adversarial() if which in ("adversarial", "all") else [])


def split(items: list[dict]) -> tuple[list[dict], list[dict]]:
    """Even cards (dev) and odd cards (held out), within each set."""
    dev, test = [], []
    for s in SETS:
        part = [i for i in items if i["set"] == s]
        dev += part[0::2]
        test += part[1::2]
    return dev, test


def run_judge(judge, items: list[dict]) -> list[dict]:
    """One record per answer: the judge's verdicts beside the gold labels."""
    records = []
    for item in items:
        card = item["card"]
        for ans in item["answers"]:
            v = judge.judge(card, Transcript(text=" ".join(ans["text"].split())), None)
            records.append({
                "set": item["set"], "card": card.id, "kind": ans["kind"], "overall": v.scores.overall,
                "kp": [(got.verdict, gold) for got, gold in zip(v.key_points, ans["key_points"])],
                "mistakes": [(m.kind.value, got.verdict, gold) for m, got, gold in zip(card.common_mistakes, v.mistakes, ans["mistakes"])],
            })
    return records


def prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in pairs)
    fp = sum(p and not g for p, g in pairs)
    fn = sum(g and not p for p, g in pairs)
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _kind_figures(recs: list[dict]) -> dict:
    kp = [p for r in recs for p in r["kp"]]
    tp = sum(g != "missing" and v != "missing" for v, g in kp)
    called = sum(v != "missing" for v, _ in kp)
    gold_pos = sum(g != "missing" for _, g in kp)
    prec, rec = _ratio(tp, called), _ratio(tp, gold_pos)
    stp = sum(g == "covered" and v == "covered" for v, g in kp)
    scalled, sgold = sum(v == "covered" for v, _ in kp), sum(g == "covered" for _, g in kp)
    sprec, srec = _ratio(stp, scalled), _ratio(stp, sgold)
    claims = [(v, g) for r in recs for k, v, g in r["mistakes"] if k == "claim"]
    made = [v for v, g in claims if g == "made"]
    clean = [v for v, g in claims if g != "made"]
    f1 = lambda p, r: None if p is None or r is None else (2 * p * r / (p + r) if p + r else 0.0)  # noqa: E731
    return {
        "answers": len(recs), "key_points": len(kp),
        "precision": prec, "recall": rec, "f1": f1(prec, rec),
        "strict_precision": sprec, "strict_recall": srec, "strict_f1": f1(sprec, srec),
        "called_share": _ratio(called, len(kp)),  # judged covered|partial, whatever the gold says
        "claims_made": len(made), "claims_caught": sum(v == "made" for v in made),
        "claims_not_made": len(clean), "false_alarms": sum(v == "made" for v in clean),
        "mean_overall": _ratio(sum(r["overall"] for r in recs), len(recs)),
    }


CHECKS = {  # name: (kinds needed, passes)
    "strong_over_partial": (("strong", "partial"), lambda o: o["strong"] > o["partial"]),
    "strong_over_off_topic": (("strong", "off_topic"), lambda o: o["strong"] > o["off_topic"]),
    "strong_partial_off_topic_ordered": (("strong", "partial", "off_topic"), lambda o: o["strong"] > o["partial"] > o["off_topic"]),
    "keywords_below_partial": (("keywords", "partial"), lambda o: o["keywords"] < o["partial"]),
    "negated_below_partial": (("negated", "partial"), lambda o: o["negated"] < o["partial"]),
    "injection_not_above_partial": (("injection", "partial"), lambda o: o["injection"] <= o["partial"]),
}


def summarize(records: list[dict]) -> dict:
    """The old figures (same keys as before) plus per-kind figures and per-card checks."""
    mentioned = [(v != "missing", g != "missing") for r in records for v, g in r["kp"]]
    strict = [(v == "covered", g == "covered") for r in records for v, g in r["kp"]]
    ms = [(v, g) for r in records for _, v, g in r["mistakes"]]
    decided = [(v == "made") == (g == "made") for v, g in ms if v != "unsure"]
    cards: dict[str, dict[str, int]] = {}
    for r in records:
        cards.setdefault(r["card"], {})[r["kind"]] = r["overall"]
    checks, failures = {}, {}
    for name, (need, ok) in CHECKS.items():
        eligible = [(cid, o) for cid, o in cards.items() if all(k in o for k in need)]
        passed = sum(ok(o) for _, o in eligible)
        checks[name] = f"{passed}/{len(eligible)}"
        failures[name] = [cid for cid, o in eligible if not ok(o)]
    kinds = sorted({r["kind"] for r in records}, key=lambda k: (KINDS.index(k) if k in KINDS else len(KINDS), k))
    inj = [o["injection"] for o in cards.values() if "injection" in o]
    return {
        "cards": len(cards), "answers": len(records),
        "mentioned": prf(mentioned), "strict": prf(strict),
        "mistake_accuracy": sum(v == ("made" if g == "made" else "not_made") for v, g in ms) / max(1, len(ms)),
        "mistake_decided_accuracy": sum(decided) / max(1, len(decided)), "mistake_decided_share": len(decided) / max(1, len(ms)),
        "strong_over_partial": checks["strong_over_partial"], "strong_over_off_topic": checks["strong_over_off_topic"],
        "injection_not_above_partial": checks["injection_not_above_partial"], "injection_max": max(inj) if inj else None,
        "checks": checks, "check_failures": failures,
        "by_kind": {k: _kind_figures([r for r in records if r["kind"] == k]) for k in kinds},
        "all_kinds": _kind_figures(records),
        "per_card": list(cards.items()),
    }


def checks_passed(summary: dict) -> int:
    return sum(int(v.split("/")[0]) for v in summary["checks"].values())


# ------------------------------------------------------------------ printing


def _f(x, width=5) -> str:
    return f"{x:{width}.2f}" if isinstance(x, float) else f"{'-':>{width}}"


def show(name: str, r: dict) -> None:
    """The old summary lines."""
    p, rc, f = r["mentioned"]
    sp, sr, sf = r["strict"]
    print(f"{name}")
    print(f"  key points, mentioned (covered|partial): precision {p:.2f} recall {rc:.2f} F1 {f:.2f}")
    print(f"  key points, strict (covered):           precision {sp:.2f} recall {sr:.2f} F1 {sf:.2f}")
    print(f"  mistakes: accuracy {r['mistake_accuracy']:.2f} (unsure counted wrong); "
          f"{r['mistake_decided_accuracy']:.2f} on the {r['mistake_decided_share']:.0%} it decided")
    print(f"  strong > partial on {r['strong_over_partial']} cards; strong > off-topic on {r['strong_over_off_topic']}; "
          f"injection <= partial on {r['injection_not_above_partial']} (highest injection score {r['injection_max']})")


def show_kinds(r: dict) -> None:
    """Per-kind table (mentioned = covered|partial; 'called' = share of key points judged
    covered|partial; claims = claim mistakes made that the judge caught; false alarms = claim
    mistakes judged made though not made) and the per-card checks."""
    print(f"  {'kind':11s} {'ans':>4s} {'P':>5s} {'R':>5s} {'F1':>5s} {'sF1':>5s} {'called':>6s} {'claims':>7s} {'f.alarm':>7s} {'score':>5s}")
    for kind, k in [*r["by_kind"].items(), ("ALL", r["all_kinds"])]:
        claims = f"{k['claims_caught']}/{k['claims_made']}"
        alarms = f"{k['false_alarms']}/{k['claims_not_made']}"
        print(f"  {kind:11s} {k['answers']:4d} {_f(k['precision'])} {_f(k['recall'])} {_f(k['f1'])} {_f(k['strict_f1'])} "
              f"{_f(k['called_share'], 6)} {claims:>7s} {alarms:>7s} {k['mean_overall']:5.0f}")
    c = r["checks"]
    print(f"  checks: strong>partial>off_topic {c['strong_partial_off_topic_ordered']}; keywords<partial {c['keywords_below_partial']}; "
          f"negated<partial {c['negated_below_partial']}; injection<=partial {c['injection_not_above_partial']}")


def show_cards(r: dict) -> None:
    kinds = list(r["by_kind"])
    print("  " + f"{'card':36s}" + "".join(f"{k[:9]:>10s}" for k in kinds) + "  failed checks")
    for cid, o in r["per_card"]:
        failed = [n for n, ids in r["check_failures"].items() if cid in ids]
        print("  " + f"{cid[:36]:36s}" + "".join(f"{o[k]:10d}" if k in o else f"{'':10s}" for k in kinds) + "  " + ", ".join(failed))


def report(name: str, records: list[dict], sets: list[str], per_card: bool = False) -> dict:
    """Print the figures for each set present (and both together) and return them."""
    out = {}
    groups = [(s, [r for r in records if r["set"] == s]) for s in sets]
    if len(sets) > 1:
        groups.append(("all", records))
    for s, recs in groups:
        if not recs:
            continue
        r = summarize(recs)
        out[s] = r
        show(f"{name}: {s} set ({r['cards']} cards, {r['answers']} answers)", r)
        show_kinds(r)
        if per_card:
            show_cards(r)
    return out
