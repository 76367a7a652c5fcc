"""The practice WebSocket (``/ws/practice``): one spoken answer, or a whole
interview (spoken or typed), run by the CLI's own coach in a worker thread
with the browser as microphone, speaker and screen (see live.py).

Protocol. The page sends first ``{"type": "start", "mode": "single" |
"interview", "card": id | "cards": [ids], "persona": ..., "answer": "voice" |
"text"}``, then binary frames (the microphone: 16 kHz mono int16) and
``ended`` (a sound finished), ``stop`` ("I'm done"), ``answer_text``,
``command`` (next, repeat, skip, stop). The server sends the events of
live.WebUI and BrowserSpeaker, plus ``ask_text``, ``between``, ``busy``,
``error`` and ``done``.

Faults: the page going away mid-answer keeps the audio received so far (the
WAV is on disk as frames arrive) and marks the attempt incomplete, as Ctrl-C
does in the CLI; one spoken session at a time (a second tab is told why, and
may type); an unexpected error reaches the page as a sentence, the traceback
only the server's log."""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import random
import threading
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from voicecoach.errors import VoicecoachError
from voicecoach.web.live import HOW_TO_FINISH, BrowserSpeaker, Clips, PageGone, SocketMic, WebUI
from voicecoach.web.steps import web_hint

log = logging.getLogger("voicecoach.web")
MIC_LOCK = threading.Lock()  # one spoken session at a time: one microphone, and the CPU for Whisper
BUSY = ("Another tab is already answering out loud: one spoken session runs at a time (one microphone, "
        "and the computer's speech recognition). Finish or close the other tab, or type your answer here.")
COMMANDS = {"next", "repeat", "skip", "stop"}


class LiveRun:
    """One socket's practice: the coach in a worker thread, fed by the page."""

    def __init__(self, core, send, start: dict, clips: Clips, render_result) -> None:
        self.core = core
        self.send = send
        self.start = start
        self.spoken = start.get("answer", "voice") != "text"
        self.mic = SocketMic()
        self.speaker = BrowserSpeaker(send, clips)
        self.ui = WebUI(send, render_result)
        self.answers: queue.Queue[str] = queue.Queue()
        self.commands: queue.Queue[str] = queue.Queue()
        self.gone = threading.Event()
        self.session_id: str | None = None
        self.finished = threading.Event()

    # ------------------------------------------------------------ from the page

    def on_message(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == "ended":
            self.speaker.ended(msg.get("id"))
        elif kind == "stop":
            self.ui.stop_requested.set()
        elif kind == "answer_text":
            self.answers.put(str(msg.get("text", "")))
        elif kind == "command" and msg.get("command") in COMMANDS:
            self.commands.put(msg["command"])

    def hang_up(self) -> None:
        self.gone.set()
        self.mic.hang_up()
        self.speaker.hang_up()

    # ---------------------------------------------------------- for the coach

    def _wait(self, q: queue.Queue) -> str:
        while True:
            try:
                return q.get(timeout=0.2)
            except queue.Empty:
                if self.gone.is_set():
                    raise PageGone() from None

    def typed_answer(self, prompt: str, limit_s: float) -> str:
        """Interview, typed: ask in the page (and aloud), wait for the answer."""
        self.send({"type": "ask_text", "prompt": prompt, "limit_s": limit_s})
        self.coach.say(prompt)
        while True:
            try:
                return self.answers.get(timeout=0.2)
            except queue.Empty:
                if self.gone.is_set():
                    raise EOFError from None
                try:
                    if self.commands.get_nowait() == "stop":
                        raise EOFError
                except queue.Empty:
                    pass

    def between(self) -> str:
        self.send({"type": "between"})
        try:
            return self._wait(self.commands)
        except PageGone:
            return "stop"

    def record(self, path, endpointer, **kw):
        """audio.record with the page's microphone, its WAV header kept
        current at every frame (a stopped server loses nothing received)."""
        from voicecoach.engines import audio

        own = kw.get("mic") is None
        if own:
            kw["mic"] = self.mic.open()
        try:
            return audio.record(path, endpointer, sync_every=1, **kw)
        finally:
            if own:
                self.mic.close()

    def _coach(self, store):
        voice = None
        if self.spoken:
            from voicecoach.engines.duplex import BargeIn, Voice
            from voicecoach.engines.vad import SileroVAD

            voice = Voice(play=self.speaker.play, playing=self.speaker.playing, stop=self.speaker.stop, open_mic=self.mic.open,
                          detector=SileroVAD, policy=BargeIn(self.core.settings.barge_in), warn=self.ui.warn)
        coach = self.core.coach(self.ui, store=store, play=self.speaker.play, record=self.record if self.spoken else None,
                                voice=voice, stop_checks=[self.ui.stop_check])
        coach.on_partial = self.ui.partial
        say = coach.say

        def web_say(text: str, mark: str = "") -> None:
            return say(text, mark=mark)

        coach.say = web_say
        if self.spoken:  # the coach speaks a follow-up question without showing it: the page shows it
            attempt = coach.attempt

            def shown_attempt(card, given, session_id, prompt=None, parent_id=None, **kw):
                if parent_id is not None and prompt:
                    self.send({"type": "interviewer", "text": prompt, "follow_up": True})
                return attempt(card, given, session_id, prompt=prompt, parent_id=parent_id, **kw)

            coach.attempt = shown_attempt
        return coach

    # ------------------------------------------------------------------ work

    def cards(self) -> list:
        bank = self.core.bank.cards
        ids = [self.start.get("card")] if self.start.get("mode", "single") == "single" else list(self.start.get("cards") or [])
        missing = [i for i in ids if i not in bank]
        if not ids or missing:
            raise VoicecoachError(f"no such question: {', '.join(map(str, missing)) or '(none given)'}",
                                  hint="Pick a question on the Practice page.")
        return [bank[i] for i in ids]

    def work(self) -> None:
        store = None
        try:
            cards = self.cards()
            store = self.core.open_store()
            self.coach = self._coach(store)
            if self.start.get("mode", "single") == "single":
                if not self.spoken:
                    raise VoicecoachError("a single typed answer is posted to /practice/answer, not sent over the socket")
                self.session_id = store.new_session("practice")
                self.coach.attempt(cards[0], _answer_input(), self.session_id)
            else:
                self._interview(cards, store)
            self.coach.release()
            self.send({"type": "done", "session_id": self.session_id})
        except (PageGone, EOFError):
            pass
        except VoicecoachError as exc:
            if not self.gone.is_set():
                self.send({"type": "error", "message": _sentence(exc.message), "hint": web_hint(exc)})
        except Exception as exc:  # noqa: BLE001 - the page gets a sentence, the log the traceback
            log.exception("practice session failed")
            self.send({"type": "error", "message": f"Something went wrong on the server ({type(exc).__name__}).",
                       "hint": "Your earlier answers are saved. Reload the page to try again; the server's window shows the details."})
        finally:
            if store is not None:
                self._keep_unfinished(store)
                store.close()
            self.send({"type": "_close"})
            self.finished.set()

    def _interview(self, cards: list, store) -> None:
        from voicecoach.core.flows import run_interview

        persona = self.start.get("persona") if self.start.get("persona") in ("friendly", "neutral", "tough") else "neutral"
        follow = self.start.get("follow_ups")
        self.session_id = store.new_session("interview")
        # the page's buttons stand in for spoken commands between questions
        run_interview(self.coach, cards, self.session_id, persona=persona,
                      follow_ups=int(follow) if isinstance(follow, int) and 0 <= follow <= 3 else None,
                      typed=None if self.spoken else self.typed_answer, between=self.between, rng=random.Random(),
                      how_to_finish=HOW_TO_FINISH, hands_free=False)

    def _keep_unfinished(self, store) -> None:
        """An attempt the page left mid-answer is incomplete, not 'recording'."""
        if self.session_id is None:
            return
        try:
            for row in store.session_attempts(self.session_id):
                if row["status"] == "recording":
                    store.mark(row["id"], "incomplete")
        except Exception:  # noqa: BLE001 - best effort: the audio is on disk either way
            log.exception("could not mark an unfinished attempt")


def _answer_input():
    from voicecoach.core.coach import AnswerInput

    return AnswerInput()


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


async def practice_socket(ws: WebSocket) -> None:
    from voicecoach.web.live import clips_of
    from voicecoach.web.practice_view import render_result

    await ws.accept()
    loop = asyncio.get_running_loop()
    out: asyncio.Queue = asyncio.Queue()

    def send(event: dict) -> None:  # from any thread
        try:
            loop.call_soon_threadsafe(out.put_nowait, event)
        except RuntimeError:  # the server's loop is gone (shutting down): nobody to tell
            pass

    async def sender() -> None:
        while True:
            event = await out.get()
            try:
                if event.get("type") == "_close":
                    await ws.close()
                    return
                await ws.send_text(json.dumps(event))
            except Exception:  # noqa: BLE001 - the page is gone: nothing more to tell it
                return

    try:
        start = json.loads(await ws.receive_text())
        if not isinstance(start, dict) or start.get("type") != "start":
            raise ValueError("the first message must be start")
    except (WebSocketDisconnect, ValueError, KeyError, TypeError, RuntimeError):
        await _close_with(ws, {"type": "error", "message": "The page sent something the server does not understand.", "hint": "Reload the page."})
        return
    core = ws.app.state.core
    run = LiveRun(core, send, start, clips_of(ws.app), render_result)
    locked = False
    if run.spoken:
        locked = MIC_LOCK.acquire(blocking=False)
        if not locked:
            await _close_with(ws, {"type": "busy", "message": BUSY})
            return
    sending = asyncio.create_task(sender())
    worker = threading.Thread(target=_work_then_unlock, args=(run, locked), name="practice", daemon=True)
    worker.start()
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            if msg.get("bytes"):
                run.mic.feed(msg["bytes"])
            elif msg.get("text"):
                try:
                    data: Any = json.loads(msg["text"])
                except ValueError:
                    continue
                if isinstance(data, dict):
                    run.on_message(data)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        run.hang_up()
        await asyncio.sleep(0)
        if not sending.done():
            sending.cancel()


def _work_then_unlock(run: LiveRun, locked: bool) -> None:
    try:
        run.work()
    finally:
        if locked:
            MIC_LOCK.release()


async def _close_with(ws: WebSocket, event: dict) -> None:
    try:
        await ws.send_text(json.dumps(event))
        await ws.close()
    except Exception:  # noqa: BLE001 - already gone
        pass
