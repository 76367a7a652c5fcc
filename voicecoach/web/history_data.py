"""What the history pages show, read from a store: the filtered attempt list,
trends by category and by key point, one attempt with its neighbours. The
queries themselves are voicecoach.store.history's (the CLI's); this only selects and
shapes them for the templates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from voicecoach.store import history as h
from voicecoach.store import tally
from voicecoach.render.charts import progress_chart
from voicecoach.store.db import Store
from voicecoach.web.history_charts import sparkline, verdict_strip

LIMIT = 5000  # attempts read for one page: years of daily practice
SHOWN = 100  # attempts listed before "show all": the page stays light
KEY_POINT_ATTEMPTS = 300  # the latest scored attempts whose key points are read (each is a saved record to parse)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILTERS = ("category", "card", "plan", "status", "since", "until")  # "all" (list every attempt) is no filter


@dataclass
class Filters:
    category: str = ""
    card: str = ""
    plan: str = ""
    status: str = ""
    since: str = ""  # local date, YYYY-MM-DD, inclusive
    until: str = ""
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, query) -> "Filters":
        f = cls(**{k: (query.get(k) or "").strip() for k in FILTERS})
        for name in ("since", "until"):
            value = getattr(f, name)
            if value and not DATE.match(value):
                f.problems.append(f"'{value}' is not a date like 2026-11-29: the {name} filter was left out.")
                setattr(f, name, "")
        return f

    @property
    def active(self) -> bool:
        return any(getattr(self, k) for k in FILTERS)

    def keep(self, row: dict) -> bool:
        day = tally.local_time(row["created_at"])[:10]
        return ((not self.status or row["status"] == self.status) and (not self.since or day >= self.since)
                and (not self.until or day <= self.until))


def titles(store_rows: list[dict], bank) -> dict[str, str]:
    """Card id -> title: the bank's, else the id (a card since deleted)."""
    return {r["card_id"]: (bank.cards[r["card_id"]].title if r["card_id"] in bank.cards else r["card_id"]) for r in store_rows}


def history_page(store: Store, bank, f: Filters, show_all: bool = False) -> dict:
    every = h.rows(store, limit=LIMIT)
    sessions = store.sessions(limit=100_000)
    plans = sorted({s["plan_name"] for s in sessions if s["plan_name"]})
    # h.rows' filters (card, category as part of the name, plan), applied to the rows already read: one query, not two
    in_plan = {s["id"] for s in sessions if s["plan_name"] == f.plan} if f.plan else None
    items = [r for r in every if (not f.card or r["card_id"] == f.card) and (not f.category or f.category.lower() in r["category"].lower())
             and (in_plan is None or r["session_id"] in in_plan) and f.keep(r)]
    names = titles(every, bank)
    trends = h.category_trends(items)
    oldest_first = list(reversed(items))
    categories = []
    for cat, t in sorted(trends.items()):
        points = [(r["created_at"], r["overall"]) for r in oldest_first if r["category"] == cat and r["overall"] is not None]
        categories.append({"name": cat, **t, "svg": sparkline(points)})
    scored = [r for r in oldest_first if r["overall"] is not None]
    shown = items if show_all else items[:SHOWN]
    return {
        "items": [dict(r, title=names.get(r["card_id"], r["card_id"]), when=tally.local_time(r["created_at"])) for r in shown],
        "matching": len(items),
        "total": len(every),
        "options": {"category": sorted({r["category"] for r in every}),
                    "card": sorted({(r["card_id"], names[r["card_id"]]) for r in every}, key=lambda c: c[1].lower()),
                    "plan": plans, "status": sorted({r["status"] for r in every})},
        "categories": categories,
        "progress": progress_chart(scored) if len(scored) > 1 else "",
        "key_points": key_points(store, items, names, only_card=f.card or None),
        "key_points_over": min(len(scored), KEY_POINT_ATTEMPTS),
        "key_points_cut": len(scored) > KEY_POINT_ATTEMPTS,
    }


def key_points(store: Store, items: list[dict], names: dict[str, str], only_card: str | None = None, top: int = 10) -> list[dict]:
    """Each key point's verdicts over time (oldest first). For one card: all
    its key points in the card's order; else the ``top`` most often missed."""
    seq: dict[tuple[str, str], list[tuple[str, str]]] = {}
    latest = [r for r in items if r["overall"] is not None][:KEY_POINT_ATTEMPTS]  # items come newest first
    for r in reversed(latest):
        result = store.latest_result(r["attempt_id"])
        for k in result.key_points if result else ():
            seq.setdefault((r["card_id"], k.key_point), []).append((r["created_at"], k.verdict))
    out = []
    for (card_id, text), verdicts in seq.items():
        counts = {v: sum(1 for _, x in verdicts if x == v) for v in ("covered", "partial", "missing")}
        miss = (counts["missing"] + 0.5 * counts["partial"]) / len(verdicts)
        out.append({"card_id": card_id, "title": names.get(card_id, card_id), "key_point": text, **counts,
                    "attempts": len(verdicts), "last": verdicts[-1][1], "miss": miss, "svg": verdict_strip(verdicts)})
    if only_card:
        return out  # insertion order: the card's own order of key points
    out.sort(key=lambda k: (k["last"] == "covered", -k["miss"], -k["attempts"]))
    return [k for k in out if k["miss"] > 0][:top]


def neighbours(store: Store, attempt_id: str, card_id: str) -> tuple[str | None, str | None]:
    """The previous and next scored attempts at the same card (for compare)."""
    ids = [a["id"] for a in store.attempts(card_id=card_id, limit=LIMIT, main_only=True) if a["overall"] is not None or a["id"] == attempt_id]
    if attempt_id not in ids:
        return None, None
    i = ids.index(attempt_id)  # newest first
    return (ids[i + 1] if i + 1 < len(ids) else None), (ids[i - 1] if i > 0 else None)
