"""How sure the offline judge is of each verdict: the share of verdicts it got
right, on the even cards of the labelled sets (old and adversarial), in the
band of match score the verdict fell in. ``python bench/confidence.py`` measures
the table on the even cards and checks it on the odd ones.

A key point whose best span was ruled out (it said the opposite, or only listed
terms) has its own row: those calls are much surer than a low score alone."""

from __future__ import annotations

from bisect import bisect_right

# Upper edges of the score bands, relative to the thresholds: a score s falls
# in band k where EDGES[k-1] <= s - partial < EDGES[k] (partial = the partial
# threshold, so band edges move with calibration).
EDGES = (-0.2, -0.1, -0.05, 0.0, 0.06, 0.15)
# Accuracy (mentioned vs not) per band on the even cards; measured by bench/confidence.py.
BAND_ACCURACY = (0.87, 0.86, 0.74, 0.82, 0.56, 0.67, 0.98)
# Measured 41/41 on the even cards; shipped below certainty.
RULED_OUT_ACCURACY = 0.95
# A point made partial by the meaning path (said in other words): measured the same way.
MEANING = 0.63
# Below this a verdict is unsure: the report says "I could not confirm ..."
# instead of "Cover this point", and a claim is not called made.
CONFIDENT = 0.75


def band(score: float, partial: float) -> int:
    return bisect_right(EDGES, score - partial)


def key_point_confidence(score: float, partial: float, ruled_out: bool) -> float:
    if ruled_out:
        return RULED_OUT_ACCURACY
    return BAND_ACCURACY[band(score, partial)]


# Claim mistakes, measured the same way (bench/confidence.py prints them):
# called made (a close match whose sentence does not deny it), denied by the
# answer, nothing like it in the answer, and the unsure band between.
CLAIM_ACCURACY = {"made": 0.8, "denied": 0.9, "absent": 0.9, "between": 0.5}


def claim_confidence(score: float, made_at: float, absent_below: float, denied: bool) -> float:
    if denied:
        return CLAIM_ACCURACY["denied"]
    if score >= made_at:
        return CLAIM_ACCURACY["made"]
    if score < absent_below:
        return CLAIM_ACCURACY["absent"]
    return CLAIM_ACCURACY["between"]
