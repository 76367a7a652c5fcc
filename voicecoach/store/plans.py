"""Interview plans in the session database (table ``plans``, migration 3): the
whole InterviewPlan as JSON, keyed by its name. Sessions run from a plan carry
its name (``sessions.plan_name``), so history can be filtered by plan; deleting
a plan keeps those sessions."""

from __future__ import annotations

from voicecoach.errors import PlanError, Step
from voicecoach.plan.models import InterviewPlan
from voicecoach.store.db import Store


def save_plan(store: Store, plan: InterviewPlan, replace: bool = False) -> None:
    with store._tx() as c:
        exists = c.execute("SELECT 1 FROM plans WHERE name = ?", (plan.name,)).fetchone()
        if exists and not replace:
            raise PlanError(f"a plan named {plan.name!r} already exists",
                            step=Step("plan_exists", {"name": plan.name}))
        c.execute("INSERT OR REPLACE INTO plans (name, created_at, role, plan_json) VALUES (?, ?, ?, ?)",
                  (plan.name, plan.created_at, plan.profile.role, plan.model_dump_json()))


def plan_names(store: Store) -> set[str]:
    return {r[0] for r in store._read("SELECT name FROM plans")}


def load_plan(store: Store, name: str) -> InterviewPlan:
    rows = store._read("SELECT plan_json FROM plans WHERE name = ?", (name,))
    if not rows:
        close = sorted(n for n in plan_names(store) if name.lower() in n)
        hint = f"Did you mean: {', '.join(close[:5])}?" if close else ""
        raise PlanError(f"no plan named {name!r}", hint=hint, step=None if close else Step("plan_list"))
    try:
        return InterviewPlan.model_validate_json(rows[0][0])
    except ValueError as exc:
        raise PlanError(f"the saved plan {name!r} is unreadable", hint="Delete it and build it again.", step=Step("plan_delete", {"name": name})) from exc


def list_plans(store: Store) -> list[dict]:
    """Newest first: name, created, role, questions, sessions run."""
    rows = store._read(
        "SELECT p.name, p.created_at, p.role, p.plan_json, (SELECT COUNT(*) FROM sessions s WHERE s.plan_name = p.name) AS sessions "
        "FROM plans p ORDER BY p.created_at DESC, p.rowid DESC")
    out = []
    for r in rows:
        try:
            plan = InterviewPlan.model_validate_json(r["plan_json"])
            n, company = len(plan.items), plan.profile.company
        except ValueError:
            n, company = 0, "(unreadable)"
        out.append({"name": r["name"], "created_at": r["created_at"], "role": r["role"], "company": company,
                    "questions": n, "sessions": r["sessions"]})
    return out


def delete_plan(store: Store, name: str) -> InterviewPlan:
    plan = load_plan(store, name)
    with store._tx() as c:
        c.execute("DELETE FROM plans WHERE name = ?", (name,))
    return plan
