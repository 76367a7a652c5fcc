"""The CLI's group and what its commands share: error mapping (never a raw
traceback), common options, settings, the coach for a terminal."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path

import click

from voicecoach.errors import VoicecoachError


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
            hint = full_hint(exc)
            if hint:
                con.print(f"[dim]hint:[/dim] {escape(hint)}")
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
            from voicecoach.config import default_home
            from voicecoach.engines.llm import redact

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


def step_words(step) -> str:
    """An error's next step (errors.Step), worded as a command line."""
    if step is None:
        return ""
    v = step.values
    words = {
        "rescore": lambda: f"Score it later with: voicecoach rescore {v.get('attempt_id')}"
                           + (f"   (the session: voicecoach report {v['session_id']})" if v.get("session_id") else ""),
        "report_session": lambda: f"See them with: voicecoach report {v.get('session_id')}",
        "score_file": lambda: f"Score it later with: voicecoach score --card {v.get('card_id')} --answer-file {v.get('path')}",
        "no_speak": lambda: "Use --no-speak to skip spoken output." + (" 'voicecoach devices' lists what is available." if v.get("devices") else ""),
        "no_device": lambda: ("Type the interview instead with --type (voicecoach practice --type), answer from a file with "
                              "--answer-file answer.wav, or type one answer with --text \"...\".")
                             + (" Use --no-speak to skip spoken output. 'voicecoach devices' lists what is available." if v.get("speaker") else ""),
        "repair": lambda: (f"'voicecoach history' still lists the sessions that can be read; 'voicecoach repair' keeps the damaged "
                           f"file (as {v.get('name')}.corrupt-<time>) and rebuilds the database from them."),
        "plan_list": lambda: "'voicecoach plan list' shows the saved plans.",
        "list_devices": lambda: "'voicecoach devices' lists what is available.",
        "list_voices": lambda: "'voicecoach voices' lists the installed ones.",
        "list_questions": lambda: "Try 'voicecoach questions list' to see what is there.",
        "list_history": lambda: "'voicecoach history' lists them.",
        "type_answer": lambda: ("'voicecoach devices' shows the microphone; or " if v.get("devices") else "Or ") + "answer with --text.",
        "offline_judge": lambda: "Or drop --model to use the offline judge.",
        "api_base": lambda: "Check --api-base.",
        "plan_exists": lambda: f"Pick another --name, add --replace, or delete it: voicecoach plan delete {v.get('name')}",
        "plan_delete": lambda: f"voicecoach plan delete {v.get('name')}",
    }
    return words[step.kind]() if step.kind in words else ""


def full_hint(exc) -> str:
    """What to check, then what to run."""
    return " ".join(p for p in (exc.hint, step_words(getattr(exc, "step", None))) if p)


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
    from voicecoach.config import load_settings

    return load_settings(**flags)


def _bank(settings, banks):
    from voicecoach.content.questions import load_bank

    return load_bank([settings.user_bank, *banks])


def _engines(settings):
    from voicecoach.core.app import make_engines

    return make_engines(settings, warn=lambda m: _err_console().print(f"[yellow]{m}[/yellow]"))


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
    from voicecoach.engines import audio
    from voicecoach.config import ensure_home
    from voicecoach.core.app import App
    from voicecoach.render.terminal import ConsoleUI

    ensure_home(settings)
    play = None
    if need_mic or settings.speak:
        if settings.speak:  # the voice plays from its own process: loading models here cannot make it stutter
            audio.start_player(settings.output_device)
        audio.check_devices(need_input=need_mic, need_output=settings.speak, input_device=settings.input_device, output_device=settings.output_device)
        def play(samples, rate, blocking=True, quick=False):
            audio.play(samples, rate, device=settings.output_device, blocking=blocking, quick=quick)
    ui = ConsoleUI(json_mode=json_out)
    voice = None
    if need_mic:  # the microphone opens with the question: nothing said at its end is lost; barge-in
        from voicecoach.engines.duplex import BargeIn, Voice
        from voicecoach.engines.vad import SileroVAD

        voice = Voice(play=play, playing=audio.playing, stop=audio.stop_playback, open_mic=lambda: audio.Microphone(settings.input_device),
                      detector=SileroVAD, policy=BargeIn(settings.barge_in), warn=ui.warn)
    app = App(settings=settings, warn=lambda m: _err_console().print(f"[yellow]{m}[/yellow]"))
    return app.coach(ui, play=play, record=audio.record if need_mic else None, voice=voice, stop_checks=[_enter_pressed()])


def _emit_json(result) -> None:
    click.echo(result.model_dump_json())
