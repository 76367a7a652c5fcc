"""One definition, used by every view (the interview's closing line, history,
replay, the reports and the progress chart):

- an **answer** is one thing the candidate said or typed: the answer to a
  question, or the answer to a follow-up question;
- an **attempt** is a question asked once: its answer plus the answers to its
  follow-ups. Its score is the card's combined score (the interview scores the
  card again on all of them together); a follow-up is never an attempt of its
  own, and its separate scoring against the whole card is never shown as one;
- a **session score** is the mean of its attempts' overall scores, rounded.

And one local-time format for every date shown to people (JSON keeps UTC ISO 8601).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from voicecoach.models import AttemptResult

TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time(iso: str | None) -> str:
    """'2026-11-29 07:27' in the local time zone, from a stored UTC ISO time."""
    if not iso:
        return ""
    try:
        t = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    return (t.astimezone() if t.tzinfo else t).strftime(TIME_FORMAT)


@dataclass
class FollowUp:
    attempt_id: str
    prompt: str
    text: str  # what was answered
    result: AttemptResult | None = None  # its own scoring (not shown as a score)


@dataclass
class Attempt:
    """A question asked once, with its follow-ups."""

    attempt_id: str
    result: AttemptResult | None  # the latest score: after a follow-up, the combined one
    first: AttemptResult | None = None  # the first score: the answer alone, before any follow-up
    follow_ups: list[FollowUp] = field(default_factory=list)
    created_at: str = ""  # the attempt's own time (the one history shows)

    @property
    def overall(self) -> int | None:
        return self.result.scores.overall if self.result else None

    @property
    def answer_text(self) -> str:
        """The answer to the question itself, without the follow-up answers."""
        r = self.first or self.result
        return r.transcript.text if r else ""

    @property
    def answers(self) -> int:
        return 1 + len(self.follow_ups)


def session_score(overalls: list[int | None]) -> int | None:
    """The mean of the attempts' overall scores (unscored ones left out)."""
    scored = [o for o in overalls if o is not None]
    return round(sum(scored) / len(scored)) if scored else None


def from_results(results: list[AttemptResult]) -> list[Attempt]:
    """Attempts from an interview's results in order: follow-up answers join
    their attempt, and the combined score replaces the first one."""
    out: dict[str, Attempt] = {}
    for r in results:
        if r.parent_id:
            parent = out.get(r.parent_id)
            if parent is not None:
                parent.follow_ups.append(FollowUp(r.attempt_id or "", r.prompt or "", r.transcript.text, r))
            continue
        key = r.attempt_id or f"unsaved-{len(out)}"
        if key in out:
            out[key].result = r
        else:
            out[key] = Attempt(key, r, first=r, created_at=r.created_at)
    return list(out.values())


def attempt(store, attempt_id: str) -> Attempt:
    """One attempt from the store. A follow-up's id gives its attempt."""
    row = store.attempt(attempt_id)
    if row is not None and _get(row, "parent_id"):
        attempt_id, row = row["parent_id"], store.attempt(row["parent_id"])
    results = store.results(attempt_id)
    follow_ups = []
    for f in _children(store, row):
        fr = store.latest_result(f["id"])
        follow_ups.append(FollowUp(f["id"], _get(f, "prompt_text") or "", fr.transcript.text if fr else (_get(f, "answer_text") or ""), fr))
    return Attempt(attempt_id, results[-1] if results else None, first=results[0] if results else None, follow_ups=follow_ups,
                   created_at=row["created_at"] if row is not None else "")


def session(store, session_id: str) -> list[Attempt]:
    return [attempt(store, a["id"]) for a in store.session_attempts(session_id) if not _get(a, "parent_id")]


def of_ref(store, ref: str) -> tuple[str, str, list[Attempt]]:
    """(kind, id, attempts) for an attempt, follow-up or session id (or prefix)."""
    kind, rid = store.find(ref)
    return kind, rid, [attempt(store, rid)] if kind == "attempt" else session(store, rid)


def session_history(store, limit: int = 500) -> list[dict]:
    """Each session's score (oldest first), for the progress chart of a session report."""
    by_session: dict[str, list] = {}
    for a in store.attempts(limit=limit, main_only=True):
        by_session.setdefault(a["session_id"], []).append(a)
    out = []
    for sid, rows in by_session.items():
        score = session_score([r["overall"] for r in rows])
        if score is None:
            continue
        wpms = [r["words_per_minute"] for r in rows if r["words_per_minute"] is not None]
        out.append({"session_id": sid, "created_at": min(r["created_at"] for r in rows), "overall": score, "coverage": None,
                    "words_per_minute": round(sum(wpms) / len(wpms), 1) if wpms else None, "filler_count": None})
    return sorted(out, key=lambda x: x["created_at"])


def _children(store, row) -> list:
    if row is None:
        return []
    return [a for a in store.session_attempts(row["session_id"]) if _get(a, "parent_id") == row["id"]]


def _get(row, key: str):
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


def closing_line(attempts: list[Attempt]) -> str:
    """The interview's closing summary."""
    scored = [a for a in attempts if a.result is not None]
    if not scored:
        return "No answers were scored."
    n = len(scored)
    text = f"Your average score was {session_score([a.overall for a in scored])} out of 100 over {n} question{'s' if n != 1 else ''}."
    if len({a.result.card_id for a in scored}) > 1:
        best = max(scored, key=lambda a: a.overall)
        worst = min(scored, key=lambda a: a.overall)
        text += (f" Your strongest answer was on {best.result.card_title.rstrip('?')}; "
                 f"the one to practise again is {worst.result.card_title.rstrip('?')}.")
    return text
