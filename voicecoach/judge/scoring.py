"""Scores computed in code from verdicts and delivery metrics. Both judges use
these, so an LLM cannot award more coverage than its verified quotes support."""

from __future__ import annotations

from voicecoach.models import Card, Delivery, KeyPointResult, MistakeResult

VERDICT_WEIGHT = {"covered": 1.0, "partial": 0.5, "missing": 0.0}
# Below this many words an answer cannot show structure or delivery at all.
SUBSTANTIAL_WORDS = 40


def coverage_fraction(key_points: list[KeyPointResult]) -> float:
    if not key_points:
        return 0.0
    return sum(VERDICT_WEIGHT[k.verdict] for k in key_points) / len(key_points)


def coverage_score(key_points: list[KeyPointResult]) -> int:
    return max(1, min(5, 1 + round(4 * coverage_fraction(key_points))))


def delivery_score(card: Card, delivery: Delivery | None, word_count: int) -> tuple[int | None, list[str]]:
    """1-5 from pace, fillers, long pauses and length; None for a typed
    answer (nothing was measured, so it is left out of the overall)."""
    if delivery is None:
        return None, ["Delivery was not measured: the answer was typed."]
    if word_count < 15:
        return 1, ["The answer was too short to judge delivery."]
    score = 5.0
    notes = []
    wpm = delivery.words_per_minute
    if wpm > 185:
        score -= 1.5 if wpm > 210 else 1
        notes.append(f"Slow down: {wpm:.0f} words per minute is hard to follow (aim for 120-165).")
    elif wpm < 100:
        score -= 1.5 if wpm < 80 else 1
        notes.append(f"Pick up the pace: {wpm:.0f} words per minute sounds hesitant (aim for 120-165).")
    fpm = delivery.fillers_per_minute
    if fpm > 3:
        score -= 1.5 if fpm > 6 else 1
        notes.append(f"Cut the fillers: {delivery.filler_count} in the answer ({fpm:.1f} a minute).")
    if delivery.pause_count >= 3 or delivery.longest_pause_s > 4:
        score -= 1
        notes.append(f"Fewer long pauses: {delivery.pause_count} pauses over a second, the longest {delivery.longest_pause_s:.1f} s.")
    lo, hi = card.target_range_s
    speaking = delivery.duration_s - delivery.time_to_first_word_s
    if speaking < lo * 0.5:
        score -= 1
        notes.append(f"Say more: the answer lasted {speaking:.0f} s; interviewers expect about {lo}-{hi} s.")
    elif speaking > hi * 1.5:
        score -= 1
        notes.append(f"Be more concise: {speaking:.0f} s is long; aim for {lo}-{hi} s.")
    return max(1, min(5, round(score))), notes


def overall(card: Card, key_points: list[KeyPointResult], mistakes: list[MistakeResult], structure: int, delivery: int | None, word_count: int) -> int:
    """0-100. Coverage carries most of the weight; structure and delivery count
    only in proportion to how substantial the answer is; each wrong claim made
    costs 10 points. Delivery not measured (None) is left out: the other
    weights are scaled up to fill its share."""
    cov = coverage_fraction(key_points)
    substance = min(1.0, word_count / SUBSTANTIAL_WORDS) * (0.3 + 0.7 * cov)
    score = 100 * (0.7 * cov + 0.15 * substance * (structure - 1) / 4)
    if delivery is None:
        score /= 0.85
    else:
        score += 100 * 0.15 * substance * (delivery - 1) / 4
    claims = sum(1 for m in mistakes if m.kind.value == "claim" and m.verdict == "made")
    score -= 10 * claims
    return int(max(0, min(100, round(score))))
