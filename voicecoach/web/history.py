"""The history pages: progress and the attempt list (/history), one attempt
(/attempts/{id}), compare two attempts (/compare), the review queue (/review),
delete (POST) and export (/export). Each request opens its own store (a SQLite
connection stays in its thread) and closes it; the endpoints are plain
functions, so Starlette runs them in its thread pool."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from voicecoach.store import history as h
from voicecoach.store import tally
from voicecoach.errors import StoreError, UsageError
from voicecoach.render.html import JS as REPORT_JS
from voicecoach.render.html import transcript_html
from voicecoach.web import practice_view  # noqa: F401  (registers the helpers of the shared _result.html)
from voicecoach.web.history_data import Filters, history_page, neighbours
from voicecoach.web.templating import render

@contextmanager
def opened(request: Request):
    store = request.app.state.core.open_store()
    try:
        yield store
    finally:
        store.close()


def history(request: Request):
    core = request.app.state.core
    f = Filters.of(request.query_params)
    with opened(request) as store:
        data = history_page(store, core.bank, f, show_all=request.query_params.get("all") == "1")
    return render(request, "history.html", f=f, deleted=request.query_params.get("deleted", ""), **data)


def attempt(request: Request):
    aid = request.path_params["attempt_id"]
    with opened(request) as store:
        row = store.attempt(aid)
        if row is None:
            raise HTTPException(404)
        if row["parent_id"]:  # a follow-up answer is shown as part of its attempt
            return RedirectResponse(f"/attempts/{row['parent_id']}", status_code=303)
        att = tally.attempt(store, aid)
        card = store.parse_card(row)
        previous, following = neighbours(store, aid, card.id)
        session = store.session_attempts(row["session_id"])
        scorings = [(tally.local_time(r.created_at), r.judge.kind, r.judge.model, r.scores.overall) for r in store.results(aid)]
    core = request.app.state.core
    result = att.result
    has_audio = bool(row["audio_path"]) and Path(row["audio_path"]).is_file()
    audio_url = f"/audio/{aid}" if has_audio else None
    return render(request, "attempt.html", row=dict(row), att=att, result=result, card=card,
                  bank_card=core.bank.cards.get(card.id), audio_url=audio_url, when=tally.local_time(row["created_at"]),
                  transcript=Markup(transcript_html(result, att, with_audio=has_audio)) if result else "",
                  previous=previous, following=following, session_size=sum(1 for a in session if not a["parent_id"]),
                  scorings=scorings, rescored=request.query_params.get("rescored") == "1", report_js=Markup(REPORT_JS))


class _QuietUI:
    """The coach's UI for a rescore: nothing to show while it works."""

    def show_card(self, card) -> None:
        pass

    @contextmanager
    def status(self, message: str):
        yield

    @contextmanager
    def listening(self):
        yield lambda tick: None

    def info(self, message: str) -> None:
        pass

    warn = info

    def show_result(self, result, card) -> None:
        pass


def rescore(request: Request):
    """Score a saved attempt again with the current judge; earlier scores are kept."""
    aid = request.path_params["attempt_id"]
    core = request.app.state.core
    with opened(request) as store:
        row = store.attempt(aid)
        if row is None:
            raise HTTPException(404)
        core.coach(_QuietUI(), store=store).rescore(aid)
    return RedirectResponse(f"/attempts/{aid}?rescored=1", status_code=303)


def delete_attempt(request: Request):
    aid = request.path_params["attempt_id"]
    with opened(request) as store:
        row = store.attempt(aid)
        if row is None:
            raise HTTPException(404)
        removed = store.delete([aid])
    return RedirectResponse(f"/history?deleted=attempt&files={removed}", status_code=303)


def delete_session(request: Request):
    sid = request.path_params["session_id"]
    with opened(request) as store:
        if not any(s["id"] == sid for s in store.sessions(limit=1_000_000)):
            raise HTTPException(404)
        removed = store.delete([], [sid])
    return RedirectResponse(f"/history?deleted=session&files={removed}", status_code=303)


def compare(request: Request):
    q = request.query_params
    with opened(request) as store:
        if q.get("card"):
            scored = [a["id"] for a in store.attempts(card_id=q["card"], main_only=True) if a["overall"] is not None][:2]
            if len(scored) < 2:
                raise UsageError(f"question {q['card']} has fewer than two scored attempts, so there is nothing to compare yet.",
                                 hint="Practise it again, then compare.")
            ids = [scored[1], scored[0]]
        elif q.get("a") and q.get("b"):
            found = [store.find(q["a"]), store.find(q["b"])]
            if any(kind != "attempt" for kind, _ in found):
                raise UsageError("compare takes two attempts (a session holds several).")
            ids = [rid for _, rid in found]
        else:
            cards = {}
            for a in store.attempts(limit=5000, main_only=True):
                if a["overall"] is not None:
                    cards.setdefault(a["card_id"], []).append(a)
            choices = [(cid, store.parse_card(rs[0]).title, len(rs)) for cid, rs in cards.items() if len(rs) > 1]
            return render(request, "compare.html", c=None, choices=sorted(choices, key=lambda c: c[1].lower()))
        rows = [store.attempt(i) for i in ids]
        if any(r["parent_id"] for r in rows):
            raise UsageError("a follow-up answer is part of its attempt: compare the attempts themselves.")
        newest_first = [a["id"] for a in store.attempts(card_id=rows[0]["card_id"], limit=5000, main_only=True)]
        if ids[1] in newest_first and newest_first.index(ids[0]) < newest_first.index(ids[1]):
            ids, rows = ids[::-1], rows[::-1]  # before, then after (the store's order: time, then insertion)
        before, after = (store.latest_result(i) for i in ids)
    if before is None or after is None:
        raise StoreError("both attempts must be scored before they can be compared.")
    if before.card_id != after.card_id:
        raise UsageError(f"these attempts answered different questions ({before.card_id} and {after.card_id}): "
                         "only attempts at the same question can be compared.")
    c = h.compare(before, after)
    a_kp = {k.key_point: k.verdict for k in after.key_points}
    table = [(k.key_point, k.verdict, a_kp.get(k.key_point)) for k in before.key_points]
    return render(request, "compare.html", c=c, ids=ids, when=[tally.local_time(r["created_at"]) for r in rows],
                  table=table, choices=[])


def review(request: Request):
    with opened(request) as store:
        queue = h.review_queue(store, n=20)
        last = {}
        for card, _, _ in queue:
            rows = store.attempts(card_id=card.id, limit=1, main_only=True)
            last[card.id] = rows[0]["id"] if rows else None
    return render(request, "review.html", queue=queue, last=last, in_bank=set(request.app.state.core.bank.cards))


def export(request: Request):
    with opened(request) as store:
        data = h.common_names(store.export())
    name = f"voicecoach-export-{datetime.now().strftime('%Y%m%d-%H%M')}.json"
    return Response(json.dumps(data, indent=1), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})


def routes() -> list:
    return [
        Route("/history", history, name="history"),
        Route("/attempts/{attempt_id}", attempt, name="attempt"),
        Route("/attempts/{attempt_id}/rescore", rescore, methods=["POST"], name="rescore_attempt"),
        Route("/attempts/{attempt_id}/delete", delete_attempt, methods=["POST"], name="delete_attempt"),
        Route("/sessions/{session_id}/delete", delete_session, methods=["POST"], name="delete_session"),
        Route("/compare", compare, name="compare"),
        Route("/review", review, name="review"),
        Route("/export", export, name="export"),
    ]
