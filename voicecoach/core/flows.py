"""The flows a front end runs: an interview of several questions (practice
and review), with the policy that belongs to no front end: who writes the
follow-ups, how many, whether commands are listened for between questions.
The front end supplies only its I/O: how a typed answer is read, how a
command is read between questions, the keys that count while listening."""

from __future__ import annotations

import random
from typing import Callable

from voicecoach.models import AttemptResult, Card


def follow_up_count(persona: str, asked: int | None) -> int:
    """Follow-ups per card: as asked, else one (two from the tough interviewer)."""
    return asked if asked is not None else (2 if persona == "tough" else 1)


def follow_up_writer(settings, persona: str):
    """LLM-written follow-ups when a model is named (and not offline); else
    None, and the interview asks about a key point that was missed."""
    if not settings.named_model or settings.offline:
        return None
    from voicecoach.judge.followup import llm_follow_up
    from voicecoach.engines.llm import LiteLLMClient

    return llm_follow_up(LiteLLMClient(model=settings.named_model, api_base=settings.api_base, timeout_s=settings.llm_timeout_s), persona)


def run_interview(coach, cards: list[Card], session_id: str, *, persona: str = "neutral", follow_ups: int | None = None,
                  think_s: float = 0.0, typed: Callable[..., str] | None = None, between: Callable[[], str] | None = None,
                  keys: Callable[[], str | None] | None = None, rng: random.Random | None = None, opening: str = "",
                  how_to_finish: str = "finish your answer", hands_free: bool = True) -> list[AttemptResult]:
    """Introduction, questions, follow-ups, commands between questions, closing.

    ``typed``: read a typed answer (prompt, limit) -> text, for text mode.
    ``between``: read a command between questions ('next', 'repeat', 'skip', 'stop').
    ``keys``: while listening for a spoken command, a command typed meanwhile.
    Spoken commands are listened for when answers are spoken, the command
    window is on and the front end has no other way (``hands_free``)."""
    from voicecoach.core.interview import Interview

    settings = coach.settings
    hands_free = hands_free and typed is None and coach.record is not None and settings.command_window_s > 0
    run = Interview(coach, persona=persona, follow_ups=follow_up_count(persona, follow_ups), think_s=think_s, typed=typed,
                    between=between, follow_up_writer=follow_up_writer(settings, persona), rng=rng or random.Random(),
                    listen=(lambda secs: coach.listen_for_command(secs, keys)) if hands_free else None,
                    command_window_s=settings.command_window_s, opening=opening, how_to_finish=how_to_finish)
    return run.run(cards, session_id)
