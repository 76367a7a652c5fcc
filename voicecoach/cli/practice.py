"""practice and score: one answer, or an interview of several."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicecoach.errors import UsageError
from voicecoach.cli.base import _bank, _coach, _emit_json, _settings, common_options, handle_errors, main


# --------------------------------------------------------------------- practice


@main.command()
@click.option("--question", "-q", "question_ids", multiple=True, help="Question id from the bank (repeatable).")
@click.option("--card", "card_ref", default=None, help="Question id or path to a card file outside the bank.")
@click.option("--category", default=None, help="Pick from this category.")
@click.option("--difficulty", type=click.Choice(["Easy", "Medium", "Hard"], case_sensitive=False), default=None, help="Pick questions of this difficulty.")
@click.option("--count", "-n", default=1, show_default=True, type=click.IntRange(1, 50), help="Number of questions in this interview.")
@click.option("--text", default=None, help="Type the answer instead of speaking it.")
@click.option("--answer-file", type=click.Path(path_type=Path), default=None, help="Answer from an audio file (WAV, FLAC, MP3, OGG).")
@click.option("--type", "typed", is_flag=True, help="Text mode: the whole interview typed in the terminal.")
@click.option("--interview", is_flag=True, help="Interview flow (introduction, follow-ups, closing) even for one question.")
@click.option("--persona", type=click.Choice(["friendly", "neutral", "tough"]), default="neutral", show_default=True, help="The interviewer's manner; tough asks up to two follow-ups.")
@click.option("--follow-ups", type=click.IntRange(0, 3), default=None, help="Follow-up questions per card (interview default 1; tough 2).")
@click.option("--think", "think_s", type=click.FloatRange(0, 120), default=0, help="Thinking time (s) before each answer; Enter starts early.")
@click.option("--time-limit", type=click.IntRange(10, 1800), default=None, help="Seconds per answer (default: the card's).")
@click.option("--voice", default=None, help="Interviewer voice (an espeak-ng voice id, see 'voicecoach voices').")
@click.option("--rate", "tts_rate", type=click.IntRange(80, 400), default=None, help="Speaking rate, words per minute.")
@click.option("--end-silence", "end_silence_s", type=click.FloatRange(0.5, 30), default=None, help="Seconds of silence that end an answer in any case (default 4; a finished answer ends sooner, judged by the end-of-turn model).")
@click.option("--speak/--no-speak", default=None, help="Speak the question and feedback aloud (default on).")
@click.option("--seed", type=int, default=None, help="Random seed for picking questions.")
@click.option("--plan", "plan_name", default=None, help="Run a saved interview plan (see 'voicecoach plan').")
@common_options
@handle_errors
def practice(question_ids, card_ref, category, difficulty, count, text, answer_file, typed, interview, persona, follow_ups, think_s, time_limit,
             voice, tts_rate, end_silence_s, speak, seed, plan_name, model, api_base, offline, stt_engine, stt_model, banks, json_out):
    """Run a mock interview: hear a question, answer out loud, get feedback."""
    import random

    from voicecoach.content.questions import resolve_card
    from voicecoach.core.coach import AnswerInput

    if text is not None and answer_file is not None:
        raise UsageError("give the answer either as --text or as --answer-file, not both")
    quiet_input = text is not None or answer_file is not None or typed
    settings = _settings(model=model, api_base=api_base, offline=offline, stt_engine=stt_engine, stt_model=stt_model, voice=voice,
                         tts_rate=tts_rate, end_silence_s=end_silence_s, speak=speak if speak is not None else (False if quiet_input else None))
    bank = _bank(settings, banks)
    rng = random.Random(seed)
    refs = ([card_ref] if card_ref else []) + list(question_ids)
    opening = ""
    if plan_name:
        from voicecoach.cli.plan import plan_for_practice

        cards, opening = plan_for_practice(settings, bank, plan_name)
        interview = True
    elif refs:
        cards = [resolve_card(r, bank) for r in refs]
    else:
        pool = bank.filter(category=category, difficulty=difficulty)
        if not pool:
            raise UsageError("no question matches those filters", hint="See 'voicecoach questions list'.")
        cards = rng.sample(pool, min(count, len(pool)))
    if time_limit:
        cards = [c.model_copy(update={"time_limit_s": time_limit}) for c in cards]
    given = AnswerInput(text=text, file=answer_file)
    if given.source != "microphone" and len(cards) > 1:
        raise UsageError("--text and --answer-file answer one question; use --type for a typed interview")
    coach = _coach(settings, json_out, need_mic=given.source == "microphone" and not typed)
    session_id = coach.store.new_session("interview" if len(cards) > 1 or interview or typed or think_s else "practice", plan=plan_name)
    if len(cards) > 1 or interview or typed or think_s:
        run_interview(coach, settings, cards, session_id, persona=persona, follow_ups=follow_ups, think_s=think_s, typed=typed,
                      rng=rng, json_out=json_out, opening=opening)
        return
    for card in cards:
        result = coach.attempt(card, given, session_id)
        if json_out:
            _emit_json(result)
    coach.release()


def run_interview(coach, settings, cards, session_id: str, *, persona: str = "neutral", follow_ups: int | None = None,
                  think_s: float = 0.0, typed: bool = False, rng=None, json_out: bool = False, opening: str = "") -> list:
    """The interview flow (core.flows.run_interview) with the terminal's I/O,
    for practice and review."""
    from voicecoach.core.flows import run_interview as interview
    from voicecoach.cli.typed import HOW_TO_FINISH, typed_answer

    results = interview(coach, cards, session_id, persona=persona, follow_ups=follow_ups, think_s=think_s,
                        typed=typed_answer if typed else None, between=_between_questions() if sys.stdin.isatty() else None,
                        keys=_typed_command_check(), rng=rng, opening=opening, how_to_finish=HOW_TO_FINISH)
    if json_out:
        for r in results:
            _emit_json(r)
    return results


def _typed_command_check():
    """While listening for a spoken command: a line typed meanwhile (Enter,
    r, s, p, q or a word) as a command; None until one is typed."""
    import select

    from voicecoach.core.commands import typed_command

    if not sys.stdin or not sys.stdin.isatty():
        return None

    def check():
        try:
            ready, _, _ = select.select([sys.stdin], [], [], 0)
        except (OSError, ValueError):
            return None
        return typed_command(sys.stdin.readline()) if ready else None

    return check


def _between_questions():
    from voicecoach.core.commands import typed_command

    def ask() -> str:
        try:
            command = typed_command(input("Enter: next question · r: repeat · s: skip · p: pause · q: stop > "))
            if command == "pause":
                command = typed_command(input("Paused. Press Enter to go on (or q to stop). ")) or "next"
        except EOFError:
            return "next"
        return command if command in ("repeat", "skip", "stop") else "next"

    return ask


@main.command()
@click.option("--card", "card_ref", required=True, help="Question id or path to a card file.")
@click.option("--text", default=None, help="The answer as text.")
@click.option("--answer-file", type=click.Path(path_type=Path), default=None, help="The answer as an audio file.")
@common_options
@handle_errors
def score(card_ref, text, answer_file, model, api_base, offline, stt_engine, stt_model, banks, json_out):
    """Score one answer without speaking or recording."""
    from voicecoach.content.questions import resolve_card
    from voicecoach.core.coach import AnswerInput

    if (text is None) == (answer_file is None):
        raise UsageError("give exactly one of --text or --answer-file")
    settings = _settings(model=model, api_base=api_base, offline=offline, stt_engine=stt_engine, stt_model=stt_model, speak=False)
    card = resolve_card(card_ref, _bank(settings, banks))
    AnswerInput(text=text, file=answer_file).check()  # an empty answer saves nothing
    coach = _coach(settings, json_out, need_mic=False)
    result = coach.attempt(card, AnswerInput(text=text, file=answer_file), coach.store.new_session("score"))
    if json_out:
        _emit_json(result)
