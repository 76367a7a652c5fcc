"""The practice pages: pick a question (random, by filters, the review queue)
or an interview; answer it out loud (the microphone streams to
``/ws/practice``, see practice_socket.py) or typed (``POST
/practice/answer``); the feedback on the same page. Also the sounds the page
plays and the attempt audio, served by attempt id only (``/audio/{id}``)."""

from __future__ import annotations

import random
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from voicecoach.errors import VoicecoachError
from voicecoach.web.live import clips_of, wav_bytes
from voicecoach.web.steps import web_hint
from voicecoach.web.practice_view import render_result
from voicecoach.web.templating import render

PERSONAS = ("friendly", "neutral", "tough")
DIFFICULTIES = ("Easy", "Medium", "Hard")
MAX_LISTED = 40


def _filters(request: Request) -> dict:
    q = request.query_params
    difficulty = q.get("difficulty") if q.get("difficulty") in DIFFICULTIES else None
    return {"category": q.get("category") or None, "difficulty": difficulty, "search": (q.get("search") or "").strip() or None}


def _pool(core, f: dict) -> list:
    return core.bank.filter(category=f["category"], difficulty=f["difficulty"], search=f["search"])


def _review(core) -> list:
    from voicecoach.store.history import review_queue

    store = core.open_store()
    try:
        return [(card, why) for card, _priority, why in review_queue(store, n=5)]
    except VoicecoachError:
        return []
    finally:
        store.close()


def choose(request: Request):
    core = request.app.state.core
    f = _filters(request)
    pool = _pool(core, f)
    categories = sorted({c.category for c in core.bank.cards.values()})
    return render(request, "practice.html", filters=f, cards=pool[:MAX_LISTED], total=len(pool), categories=categories,
                  difficulties=DIFFICULTIES, personas=PERSONAS, review=_review(core))


def pick_random(request: Request):
    core = request.app.state.core
    f = _filters(request)
    pool = _pool(core, f)
    if not pool:
        return render(request, "error.html", status_code=404, message="No question matches those filters.",
                      hint="Clear a filter on the Practice page.")
    return RedirectResponse(f"/practice/q/{random.choice(pool).id}", status_code=303)


def _prewarm(core, audio: bool) -> None:
    """Load the models in the background while the page is read."""
    try:
        core.engines.prewarm(speak=core.settings.speak, audio=audio)
    except Exception:  # noqa: BLE001 - loading errors surface when an answer needs them
        pass


def question(request: Request):
    core = request.app.state.core
    card = core.bank.cards.get(request.path_params["card_id"])
    if card is None:
        return render(request, "error.html", status_code=404, message="There is no such question.", hint="Pick one on the Practice page.")
    _prewarm(core, audio=True)
    return render(request, "practice_run.html", mode="single", card=card, cards=[card], persona="neutral", speak=core.settings.speak)


def interview(request: Request):
    core = request.app.state.core
    f = _filters(request)
    q = request.query_params
    persona = q.get("persona") if q.get("persona") in PERSONAS else "neutral"
    try:
        n = max(1, min(10, int(q.get("n", "3"))))
    except ValueError:
        n = 3
    ids = [i for i in q.getlist("card") if i in core.bank.cards]
    pool = _pool(core, f)
    cards = [core.bank.cards[i] for i in ids] or random.sample(pool, min(n, len(pool)))
    if not cards:
        return render(request, "error.html", status_code=404, message="No question matches those filters.",
                      hint="Clear a filter on the Practice page.")
    _prewarm(core, audio=True)
    return render(request, "practice_run.html", mode="interview", card=cards[0], cards=cards, persona=persona, speak=core.settings.speak)


async def answer(request: Request):
    """A typed answer to one question: scored, saved, the feedback returned."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    card_id, text = str(form.get("card", "")), str(form.get("text", ""))
    return await run_in_threadpool(_score_typed, request.app.state.core, card_id, text)


def _score_typed(core, card_id: str, text: str) -> JSONResponse:
    from voicecoach.core.coach import AnswerInput

    card = core.bank.cards.get(card_id)
    if card is None:
        return JSONResponse({"error": "There is no such question.", "hint": "Pick one on the Practice page."}, status_code=404)
    if not text.strip():
        return JSONResponse({"error": "The answer is empty.", "hint": "Type your answer, then press Score my answer."}, status_code=400)
    store = core.open_store()
    try:
        from voicecoach.web.live import WebUI

        shown: list = []
        ui = WebUI(lambda event: shown.append(event), render_result)
        coach = core.coach(ui, store=store, play=None)
        result = coach.attempt(card, AnswerInput(text=text), store.new_session("practice"))
    except VoicecoachError as exc:
        return JSONResponse({"error": exc.message, "hint": web_hint(exc)}, status_code=400)
    finally:
        store.close()
    return JSONResponse({"attempt_id": result.attempt_id, "overall": result.scores.overall, "html": render_result(result),
                         "summary_url": f"/practice/summary/{result.attempt_id}.wav" if core.settings.speak else None,
                         "warnings": [e["text"] for e in shown if e["type"] == "warn"]})


def _speech(core, text: str) -> Response:
    from voicecoach.engines.tts import speakable

    try:
        samples, rate = core.engines.synthesizer.get().synthesize(speakable(text))
    except VoicecoachError as exc:
        return JSONResponse({"error": exc.message, "hint": web_hint(exc)}, status_code=503)
    return Response(wav_bytes(samples, rate), media_type="audio/wav", headers={"cache-control": "no-store"})


def question_audio(request: Request):
    core = request.app.state.core
    card = core.bank.cards.get(request.path_params["card_id"])
    if card is None:
        return Response(status_code=404)
    return _speech(core, card.title)


def summary_audio(request: Request):
    core = request.app.state.core
    store = core.open_store()
    try:
        row = store.attempt(request.path_params["attempt_id"])
        result = store.latest_result(row["id"]) if row is not None else None
    finally:
        store.close()
    if result is None or not result.spoken_feedback:
        return Response(status_code=404)
    return _speech(core, result.spoken_feedback)


def clip(request: Request):
    data = clips_of(request.app).get(request.path_params["clip_id"])
    if data is None:
        return Response(status_code=404)
    return Response(data, media_type="audio/wav", headers={"cache-control": "no-store"})


def attempt_audio(request: Request):
    """The attempt's recording, by attempt id only (never by path)."""
    from starlette.responses import FileResponse

    core = request.app.state.core
    store = core.open_store()
    try:
        row = store.attempt(request.path_params["attempt_id"])
    finally:
        store.close()
    if row is None or not row["audio_path"]:
        return Response("No recording for that attempt.", status_code=404)
    path = Path(row["audio_path"])
    try:
        inside = path.resolve().is_relative_to(core.settings.audio_dir.resolve())
    except OSError:
        inside = False
    if not inside or not path.is_file():
        return Response("No recording for that attempt.", status_code=404)
    return FileResponse(path, media_type="audio/wav", headers={"cache-control": "no-store"})


def routes() -> list:
    from voicecoach.web.practice_socket import practice_socket

    return [
        Route("/practice", choose, name="practice"),
        Route("/practice/random", pick_random, name="practice_random"),
        Route("/practice/q/{card_id}", question, name="practice_question"),
        Route("/practice/interview", interview, name="practice_interview"),
        Route("/practice/answer", answer, methods=["POST"], name="practice_answer"),
        Route("/practice/question/{card_id}.wav", question_audio, name="practice_question_audio"),
        Route("/practice/summary/{attempt_id}.wav", summary_audio, name="practice_summary_audio"),
        Route("/practice/clip/{clip_id}", clip, name="practice_clip"),
        Route("/audio/{attempt_id}", attempt_audio, name="attempt_audio"),
        WebSocketRoute("/ws/practice", practice_socket, name="practice_socket"),
    ]
