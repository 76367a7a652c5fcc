"""Commands that show saved answers: replay, report and export (they only
read, so they work on a damaged database too)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from voicecoach.errors import StoreError
from voicecoach.store.history import common_names
from voicecoach.cli.base import _coach, _settings, handle_errors, main
from voicecoach.cli.history import _parse_time, _read_store, _reading


@main.command()
@click.argument("ref")
@click.option("--no-audio", is_flag=True, help="Print the transcript and feedback only.")
@click.option("--from", "start", default=None, help="Start at a moment, e.g. 0:42.")
@click.option("--json", "json_out", is_flag=True, help="Print the attempts (latest score, follow-ups) as JSON instead (see README).")
@handle_errors
def replay(ref, no_audio, start, json_out):
    """Play a saved answer with its transcript in time, then its feedback."""
    from rich.console import Console

    from voicecoach.engines.audiofile import read_audio
    from voicecoach.render.terminal import render_result

    from rich.markup import escape

    from voicecoach.store import tally

    settings = _settings()
    store = _read_store(settings)
    con = Console(highlight=False)
    offset = _parse_time(start)

    def audio_of(result):
        path = result.audio_path if result else None
        if no_audio or not path or not Path(path).exists():
            return None
        from voicecoach.engines import audio as audio_mod

        audio_mod.check_devices(need_input=False, need_output=True, output_device=settings.output_device)
        return read_audio(path)

    attempts = tally.of_ref(store, ref)[2]  # a follow-up is replayed within its question's attempt
    if json_out:
        click.echo(json.dumps({"attempts": [{
            "attempt_id": a.attempt_id, "created_at": a.created_at, "answer_text": a.answer_text,
            "follow_ups": [{"attempt_id": f.attempt_id, "prompt": f.prompt, "answer_text": f.text} for f in a.follow_ups],
            "result": a.result.model_dump(mode="json") if a.result else None} for a in attempts]}, indent=1))
        return
    for att in attempts:
        aid, result = att.attempt_id, att.result
        row = store.attempt(aid)
        if result is None:
            typed = row["answer_text"] if "answer_text" in row.keys() else None
            con.print(f"[yellow]attempt {aid} was not scored yet ({row['status']}); 'voicecoach rescore {aid}' scores it[/yellow]")
            if typed:
                con.print(f"[dim]what was typed:[/dim] {escape(typed)}")
            continue
        con.print(f"[bold]{escape(result.card_title)}[/bold] [dim]({aid}, {tally.local_time(att.created_at)})[/dim]")
        first = att.first or result
        audio = audio_of(first)
        _scroll(con, first if att.follow_ups else result, audio, offset, settings)
        for f in att.follow_ups:
            con.print(f"[bold cyan]Follow-up question:[/bold cyan] {escape(f.prompt)} [dim]({f.attempt_id})[/dim]")
            if f.result is not None:
                _scroll(con, f.result, audio_of(f.result), 0.0, settings)
            else:
                con.print(escape(f.text) or "[dim](no answer)[/dim]")
        render_result(con, result, show_transcript=not att.follow_ups)
        if audio is not None and result.spoken_feedback:
            coach = _coach(settings, False, need_mic=False)
            coach.say(result.spoken_feedback)


def _scroll(con, result, audio, offset: float, settings) -> None:
    """Print the words as they are heard: fillers in yellow, long pauses marked."""
    from rich.text import Text

    from voicecoach.analysis.delivery import norm

    fillers = {round(f.start, 2) for f in (result.delivery.fillers if result.delivery else [])}
    pauses = {round(p.start, 2): p.duration_s for p in (result.delivery.pauses if result.delivery else [])}
    words = [w for w in result.transcript.words if w.end >= offset]
    if not words:
        con.print(Text(result.transcript.text))
        return
    if audio is not None:
        from voicecoach.engines import audio as audio_mod

        audio_mod.play(audio[int(offset * 16000):], 16000, device=settings.output_device, blocking=False)
    began = time.monotonic()
    line = Text()
    try:
        for w in words:
            if audio is not None:
                delay = (w.start - offset) - (time.monotonic() - began)
                if delay > 0:
                    time.sleep(delay)
            style = "bold yellow" if round(w.start, 2) in fillers or norm(w.word) in ("um", "uh", "er", "ah", "hmm") else ""
            line.append(w.word + " ", style=style)
            if round(w.end, 2) in pauses:
                line.append(f"[pause {pauses[round(w.end, 2)]:.1f}s] ", style="red")
            if audio is not None and w.word.endswith((".", "?", "!")):
                con.print(line)  # a sentence at a time, as it is heard
                line = Text()
        if line:
            con.print(line)
        if audio is not None:
            from voicecoach.engines import audio as audio_mod

            audio_mod.wait_playback()
    except KeyboardInterrupt:
        if audio is not None:
            from voicecoach.engines import audio as audio_mod

            audio_mod.stop_playback()
        raise


@main.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True, help="A web page with audio, or Markdown.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="File to write (default under VOICECOACH_HOME/reports).")
@handle_errors
def report(ref, fmt, out):
    """Write a self-contained HTML (audio, clickable transcript, charts) or Markdown report."""
    from voicecoach.store import history as h
    from voicecoach.render.html import render_html
    from voicecoach.render.markdown import render_markdown

    from voicecoach.store import tally

    settings = _settings()
    store = _read_store(settings)
    kind, rid, attempts = tally.of_ref(store, ref)  # a follow-up is shown within its question's attempt
    attempts = [a for a in attempts if a.result is not None]
    results = [a.result for a in attempts]
    if not results:
        raise StoreError(f"nothing scored in {ref}", hint=f"Score it first: voicecoach rescore {ref}")
    if fmt == "md":
        text = render_markdown(results, attempts=attempts)
    else:
        audio = {}
        for r in results:
            if r.audio_path and Path(r.audio_path).exists():
                audio[r.attempt_id] = Path(r.audio_path).read_bytes()
        if kind == "session":
            past, unit = tally.session_history(store), "session"
            title = f"Interview session {rid}, {tally.local_time(attempts[0].created_at)}"
        else:
            past, unit = list(reversed([x for x in h.rows(store, card_id=results[0].card_id) if x["overall"] is not None])), "attempt"
            title = results[0].card_title
        cards = {}
        for a in attempts:
            try:
                cards.setdefault(a.result.card_id, store.card_of(a.attempt_id))  # the card as it was answered
            except StoreError:
                pass
        text = render_html(results, audio=audio, history=past, title=title, attempts=attempts, history_unit=unit, cards=cards)
    path = out or settings.home / "reports" / f"{attempts[0].attempt_id if kind == 'attempt' else rid}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    click.echo(str(path))


@main.command()
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="File to write (default: stdout).")
@handle_errors
def export(out):
    """Everything saved, as JSON (audio files are referenced by path)."""
    store, exported = _reading(_settings(), lambda store: store.export())
    common_names(exported)
    if store.salvage is not None:
        exported["salvaged"] = store.salvage.as_json()  # an export of a damaged database says so
    data = json.dumps(exported, indent=1)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)  # as 'report --out' does
        out.write_text(data, encoding="utf-8")
        click.echo(f"exported to {out}")
    else:
        click.echo(data)
