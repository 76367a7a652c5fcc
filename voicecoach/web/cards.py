"""The cards pages: browse the bank as study cards (/cards), one card
(/cards/{id}), and write or edit your own card (/cards/new,
/cards/{id}/edit), saved to the user's bank. A built-in card (or one from an
extra --bank folder) is never changed: editing it saves a copy, under its own
id, in the user's bank."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from voicecoach.errors import CardError
from voicecoach.web import cards_form as cf
from voicecoach.web.templating import render

DIFFICULTIES = ("Easy", "Medium", "Hard")


def _yours(core, card_id: str) -> Path | None:
    """The card's file if it is in the user's bank (editable in place)."""
    path = core.bank.sources.get(card_id)
    if path is None:
        return None
    try:
        return path if path.resolve().is_relative_to(core.settings.user_bank.resolve()) else None
    except OSError:
        return None


def _card(core, card_id: str):
    card = core.bank.cards.get(card_id)
    if card is None:
        raise HTTPException(404)
    return card


def browse(request: Request):
    core = request.app.state.core
    q = request.query_params
    category, difficulty, search = (q.get("category") or "").strip(), (q.get("difficulty") or "").strip(), (q.get("q") or "").strip()
    bank = core.bank
    cards = bank.filter(category=category or None, difficulty=difficulty or None, search=search or None)
    groups: dict[str, list] = {}
    for c in cards:
        groups.setdefault(c.category, []).append(c)
    mine = {cid for cid in bank.cards if _yours(core, cid)}
    return render(request, "cards.html", groups=groups, count=len(cards), total=len(bank.cards), mine=mine,
                  categories=sorted({c.category for c in bank.cards.values()}), difficulties=DIFFICULTIES,
                  category=category, difficulty=difficulty, search=search, problems=bank.problems,
                  user_bank=str(core.settings.user_bank))


def show(request: Request):
    core = request.app.state.core
    card = _card(core, request.path_params["card_id"])
    path = _yours(core, card.id)
    return render(request, "card_page.html", card=card, yours=path is not None, path=str(path or ""),
                  saved=request.query_params.get("saved", ""))


def _form_page(request: Request, form: cf.CardForm, *, editing=None, status_code: int = 200):
    core = request.app.state.core
    copy = editing is not None and _yours(core, editing.id) is None
    return render(request, "card_form.html", status_code=status_code, form=form, editing=editing, copy=copy,
                  difficulties=DIFFICULTIES, categories=sorted({c.category for c in core.bank.cards.values()}),
                  user_bank=str(core.settings.user_bank), rows=range(cf.MISTAKE_ROWS))


def new(request: Request):
    return _form_page(request, cf.blank())


def edit(request: Request):
    core = request.app.state.core
    card = _card(core, request.path_params["card_id"])
    mine = _yours(core, card.id) is not None
    return _form_page(request, cf.from_card(card, new_id=None if mine else _copy_id(core, card.id)), editing=card)


def _copy_id(core, card_id: str) -> str:
    base = f"{card_id}-mine"[:80]
    cid, n = base, 2
    while cid in core.bank.cards:
        cid, n = f"{base}-{n}", n + 1
    return cid


async def save_new(request: Request):
    return await _save(request, None)


async def save_edit(request: Request):
    core = request.app.state.core
    return await _save(request, _card(core, request.path_params["card_id"]))


async def _save(request: Request, editing):
    from starlette.concurrency import run_in_threadpool

    form = cf.from_post(await request.form())
    # files and the bank's reload (every card file parsed) off the event loop: a practice socket keeps streaming
    return await run_in_threadpool(_check_and_save, request, form, editing)


def _check_and_save(request: Request, form: cf.CardForm, editing):
    core = request.app.state.core
    replacing = _yours(core, editing.id) if editing is not None else None
    origin = editing.origin.model_dump(mode="json") if replacing is not None and editing.origin else None
    card = cf.validate(form, origin)
    if card is not None and card.id in core.bank.cards and (replacing is None or card.id != editing.id):
        where = "a built-in card" if core.bank.sources.get(card.id) and not _yours(core, card.id) else "another of your cards"
        form.add("id", f"{where} already has the id {card.id!r}: give this card its own id.")
        card = None
    if card is None:
        return _form_page(request, form, editing=editing, status_code=422)
    try:
        path = cf.save(card, core.settings.user_bank, replacing=replacing)
    except (OSError, CardError) as exc:
        form.add("card", f"could not save the card: {getattr(exc, 'message', None) or exc}")
        return _form_page(request, form, editing=editing, status_code=422)
    bank = core.reload_bank()
    problem = next((p for p in bank.problems if p.path == path), None)
    if problem is not None:  # say, an extra --bank folder holds the same id
        form.add("id", problem.message)
        return _form_page(request, form, editing=editing, status_code=422)
    saved = "copy" if editing is not None and replacing is None else "saved"
    return RedirectResponse(f"/cards/{card.id}?saved={saved}", status_code=303)


def routes() -> list:
    return [
        Route("/cards", browse, name="cards"),
        Route("/cards/new", new, name="card_new"),
        Route("/cards/new", save_new, methods=["POST"]),
        Route("/cards/{card_id}", show, name="card"),
        Route("/cards/{card_id}/edit", edit, name="card_edit"),
        Route("/cards/{card_id}/edit", save_edit, methods=["POST"]),
    ]
