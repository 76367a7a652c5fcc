"""History over saved attempts: listings, trends, comparisons and the review
queue (spaced repetition over missed key points). Pure logic over the store."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from statistics import mean

from voicecoach.models import AttemptResult, Card
from voicecoach.store.db import Store


def rows(store: Store, card_id: str | None = None, category: str | None = None, limit: int = 500, plan: str | None = None) -> list[dict]:
    out = []
    for a in store.attempts(card_id=card_id, limit=limit, main_only=True, plan=plan):  # a follow-up is part of its attempt
        card = store.parse_card(a)
        if category and category.lower() not in card.category.lower():
            continue
        out.append({
            "attempt_id": a["id"], "session_id": a["session_id"], "created_at": a["created_at"], "card_id": a["card_id"],
            "category": card.category, "status": a["status"], "source": a["answer_source"],
            "overall": a["overall"], "coverage": a["coverage"], "words_per_minute": a["words_per_minute"],
            "filler_count": a["filler_count"], "judge": a["judge_kind"], "follow_ups": a["follow_ups"],
        })
    return out


def category_trends(history: list[dict]) -> dict[str, dict]:
    """Per category: attempts, mean overall, and the change from the earlier
    half of attempts to the later half."""
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(history, key=lambda r: r["created_at"]):
        if r["overall"] is not None:
            by_cat[r["category"]].append(r)
    out = {}
    for cat, rs in by_cat.items():
        scores = [r["overall"] for r in rs]
        half = len(scores) // 2
        change = mean(scores[half:]) - mean(scores[:half]) if half else 0.0
        out[cat] = {"attempts": len(scores), "mean_overall": round(mean(scores), 1), "change": round(change, 1)}
    return out


def key_point_record(store: Store, card_id: str) -> dict[str, dict]:
    """For one card: how often each key point was covered across attempts."""
    out: dict[str, dict] = {}
    for a in reversed(store.attempts(card_id=card_id, main_only=True)):
        r = store.latest_result(a["id"])
        if not r:
            continue
        for k in r.key_points:
            rec = out.setdefault(k.key_point, {"covered": 0, "partial": 0, "missing": 0, "last": ""})
            rec[k.verdict] += 1
            rec["last"] = k.verdict
    return out


@dataclass
class Comparison:
    before: AttemptResult
    after: AttemptResult
    gained: list[str]
    lost: list[str]
    score_change: dict[str, int]
    delivery_change: dict[str, float]


def compare(before: AttemptResult, after: AttemptResult) -> Comparison:
    b = {k.key_point: k.verdict for k in before.key_points}
    a = {k.key_point: k.verdict for k in after.key_points}
    rank = {"missing": 0, "partial": 1, "covered": 2}
    gained = [kp for kp in a if kp in b and rank[a[kp]] > rank[b[kp]]]
    lost = [kp for kp in a if kp in b and rank[a[kp]] < rank[b[kp]]]
    scores = {k: getattr(after.scores, k) - getattr(before.scores, k) for k in ("overall", "coverage", "structure", "delivery")
              if getattr(after.scores, k) is not None and getattr(before.scores, k) is not None}
    delivery: dict[str, float] = {}
    if before.delivery and after.delivery:
        for k in ("words_per_minute", "filler_count", "fillers_per_minute", "pause_count", "longest_pause_s", "duration_s"):
            delivery[k] = round(getattr(after.delivery, k) - getattr(before.delivery, k), 2)
    return Comparison(before, after, gained, lost, scores, delivery)


def review_queue(store: Store, n: int = 3, now: datetime | None = None) -> list[tuple[Card, float, str]]:
    """Cards to practise again: those whose key points were most often missed,
    weighted up the longer it has been since they were practised (a point
    missed last week is due; one missed an hour ago can wait)."""
    now = now or datetime.now(timezone.utc)
    by_card: dict[str, list] = defaultdict(list)
    for a in store.attempts(limit=2000, main_only=True):
        if a["overall"] is None:
            continue
        by_card[a["card_id"]].append(a)
    scored = []
    for card_id, attempts in by_card.items():
        misses = []
        for a in attempts:
            r = store.latest_result(a["id"])
            if r and r.key_points:
                misses.append(sum(k.verdict != "covered" for k in r.key_points) / len(r.key_points))
        if not misses:
            continue
        recent = misses[0]  # attempts come newest first
        miss_rate = 0.6 * recent + 0.4 * mean(misses)
        last = datetime.fromisoformat(attempts[0]["created_at"])
        days = max(0.0, (now - last).total_seconds() / 86400)
        # the interval grows with consecutive good answers (spaced repetition)
        streak = 0
        for m in misses:
            if m > 0.25:
                break
            streak += 1
        interval = 2.0 ** streak
        priority = miss_rate * min(3.0, 0.5 + days / interval)
        if priority <= 0:
            continue
        last_r = store.latest_result(attempts[0]["id"])
        kps = last_r.key_points if last_r else []
        missing = sum(k.verdict == "missing" for k in kps)
        partial = sum(k.verdict == "partial" for k in kps)
        ago = ("less than an hour" if days * 24 < 1 else f"{days * 24:.0f} hours" if days < 1
               else f"{days:.0f} day{'s' if round(days) != 1 else ''}")
        why = (f"last time {len(kps) - missing - partial} of {len(kps)} key points covered"
               + (f" ({missing} missing, {partial} partly)" if missing and partial else f" ({missing} missing)" if missing else f" ({partial} partly)" if partial else "")
               + f", score {attempts[0]['overall']}; practised {ago} ago")
        scored.append((store.parse_card(attempts[0]), round(priority, 3), why))
    scored.sort(key=lambda x: -x[1])
    return scored[:n]


def common_names(exported: dict) -> dict:
    """The names every --json output uses, added beside export's own (kept as
    documented aliases): session_id (id), attempt_id (id), prompt
    (prompt_text), database_version (schema_version: the database's, not
    the per-answer schema_version)."""
    exported["database_version"] = exported.get("schema_version")
    for sess in exported.get("sessions", []):
        sess.setdefault("session_id", sess.get("id"))
        for a in sess.get("attempts", []):
            a.setdefault("attempt_id", a.get("id"))
            a.setdefault("prompt", a.get("prompt_text"))
    return exported
