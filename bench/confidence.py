"""Calibrate the offline judge's confidence (voicecoach/judge/confidence.py).

    python bench/confidence.py

Runs the judge on the labelled sets (tests/data/judge_set and its adversarial/
folder), bins every key-point verdict by its match score relative to the
partial threshold (and apart: points whose best span was ruled out, and points
found by the meaning path), and prints
the share judged right (mentioned or not, against the label) per band: on the
even cards (the table to ship) and on the odd ones (the check)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.judge import load_set  # noqa: E402
from voicecoach.judge import confidence  # noqa: E402
from voicecoach.models import Transcript  # noqa: E402
from voicecoach.content.questions import parse_card  # noqa: E402

ADV = ROOT / "tests" / "data" / "judge_set" / "adversarial"


def load_adversarial() -> list[dict]:
    items = []
    for f in sorted(ADV.glob("adv-*.yaml")):
        d = yaml.safe_load(f.read_text())
        items.append({"card": parse_card(ADV / "cards" / f"{d['card']}.yaml"), "answers": d["answers"]})
    return items


def table(judge, items) -> dict:
    bins: dict[object, list[int]] = {}
    for item in items:
        for ans in item["answers"]:
            v = judge.judge(item["card"], Transcript(text=" ".join(ans["text"].split())), None)
            for got, gold in zip(v.key_points, ans["key_points"]):
                ok = (got.verdict != "missing") == (gold != "missing")
                key = ("ruled_out" if got.note.startswith("ruled out") else "meaning" if got.note.startswith("said in other words")
                       else confidence.band(got.similarity or 0.0, judge.t.partial))
                bins.setdefault(key, []).append(ok)
                bins.setdefault("all", []).append(ok)
    return bins


def main() -> None:
    from voicecoach.engines.embed import MiniLMEmbedder
    from voicecoach.judge.offline import OfflineJudge

    judge = OfflineJudge(MiniLMEmbedder())
    old, adv = load_set(), load_adversarial()
    for name, items in (("even cards (calibration)", old[0::2] + adv[0::2]), ("odd cards (check)", old[1::2] + adv[1::2])):
        bins = table(judge, items)
        print(name)
        for key in [*range(len(confidence.EDGES) + 1), "ruled_out", "meaning", "all"]:
            oks = bins.get(key, [])
            shipped = {"ruled_out": confidence.RULED_OUT_ACCURACY, "meaning": confidence.MEANING}.get(key) if isinstance(key, str) else confidence.BAND_ACCURACY[key]
            acc = f"{sum(oks) / len(oks):.2f}" if oks else "  - "
            print(f"  band {key!s:10s} n={len(oks):4d} accuracy {acc}" + (f" (shipped {shipped:.2f})" if shipped is not None else ""))


if __name__ == "__main__":
    main()
