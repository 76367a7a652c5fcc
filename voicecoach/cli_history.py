"""Commands over saved sessions: history, replay, rescore, compare, review,
report, export, delete, repair.

The commands that only read (history, replay, compare, review --list, report,
export) still work on a damaged database: they read what can be read,
read-only, and say what could not be. The others refuse, and 'repair' rebuilds
the database from what can be read."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from .cli import _coach, _err_console, _settings, common_options, handle_errors, main, run_interview
from .errors import DatabaseCorrupt, StoreError, UsageError, VoicecoachError


def _store(settings):
    from .config import ensure_home
    from .store import Store

    ensure_home(settings)
    return Store(settings.db_path, settings.audio_dir)


def _card_lookup(settings):
    """The question bank's cards by id, to rebuild an attempt whose row was lost."""
    from .questions import load_bank

    try:
        return load_bank([settings.user_bank]).cards.get
    except VoicecoachError:
        return None


def _read_store(settings, damaged: DatabaseCorrupt | None = None):
    """The store for a command that only reads. A damaged database is read,
    read-only, as far as it can be, with a warning; nothing is written to it."""
    if damaged is None:
        try:
            return _store(settings)
        except DatabaseCorrupt as exc:
            damaged = exc
    from rich.markup import escape

    from .store_recovery import salvaged_store

    store, s = salvaged_store(settings.db_path, settings.audio_dir, problem=damaged.detail, card_for=_card_lookup(settings))
    warning = [f"warning: the session database {settings.db_path} is damaged ({s.problem or damaged.message}).",
               f"Read from {s.method}, read-only; nothing was written to it. Showing what could be read: {s.recovered()}.",
               s.damage(), s.mended(), "To rebuild the database from these, keeping the damaged file: voicecoach repair"]
    _err_console().print(f"[yellow]{escape(' '.join(w for w in warning if w))}[/yellow]")
    return store


def _reading(settings, read):
    """``read(store)`` over the database; if a damaged row turns up on the
    way (a page SQLite's check passed), again over what can be read."""
    store = _read_store(settings)
    try:
        return store, read(store)
    except DatabaseCorrupt as exc:
        if store.salvage is not None:
            raise
        store.close()
        store = _read_store(settings, damaged=exc)
        return store, read(store)


def _attempt_ids(store, ref: str) -> list[str]:
    kind, rid = store.find(ref)
    if kind == "attempt":
        return [rid]
    return [a["id"] for a in store.session_attempts(rid)]


def _parse_time(text: str | None) -> float:
    if not text:
        return 0.0
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise UsageError(f"--from takes a time like 0:42 or 42, not {text!r}") from None
    secs = 0.0
    for p in parts:
        secs = secs * 60 + p
    return secs


@main.command()
@click.option("--card", "card_id", default=None)
@click.option("--category", default=None)
@click.option("--plan", "plan_name", default=None, help="Only the attempts made under this interview plan.")
@click.option("--json", "json_out", is_flag=True)
@handle_errors
def history(card_id, category, plan_name, json_out):
    """Past attempts with scores, and trends per category and key point."""
    from rich.console import Console
    from rich.table import Table

    from . import history as h

    def read(store):
        items = h.rows(store, card_id=card_id, category=category, plan=plan_name)
        return items, (h.key_point_record(store, card_id) if card_id else {})

    store, (items, kp) = _reading(_settings(), read)
    trends = h.category_trends(items)
    salvaged = store.salvage
    if json_out:
        out = {"attempts": items, "categories": trends, "key_points": kp}
        if salvaged is not None:
            out["salvaged"] = salvaged.as_json()
        click.echo(json.dumps(out, indent=1))
        return
    con = Console()
    t = Table(title=f"{len(items)} attempts")
    for col in ("date", "attempt", "card", "status", "overall", "coverage", "wpm", "fillers"):
        t.add_column(col, no_wrap=col in ("attempt", "card", "date"))
    for r in items:
        t.add_row(r["created_at"][:16].replace("T", " "), r["attempt_id"], r["card_id"], r["status"],
                  "" if r["overall"] is None else str(r["overall"]), "" if r["coverage"] is None else f"{r['coverage']}/5",
                  "" if r["words_per_minute"] is None else f"{r['words_per_minute']:.0f}", "" if r["filler_count"] is None else str(r["filler_count"]))
    con.print(t)
    if trends:
        tt = Table(title="By category")
        for col in ("category", "attempts", "mean overall", "change (later vs earlier half)"):
            tt.add_column(col)
        for cat, v in sorted(trends.items()):
            tt.add_row(cat, str(v["attempts"]), str(v["mean_overall"]), f"{v['change']:+.1f}")
        con.print(tt)
    if kp:
        kt = Table(title=f"Key points of {card_id}")
        for col in ("key point", "covered", "partial", "missing", "last time"):
            kt.add_column(col)
        for text, v in kp.items():
            kt.add_row(text, str(v["covered"]), str(v["partial"]), str(v["missing"]), v["last"])
        con.print(kt)


@main.command()
@click.argument("ref")
@click.option("--no-audio", is_flag=True, help="Print the transcript and feedback only.")
@click.option("--from", "start", default=None, help="Start at a moment, e.g. 0:42.")
@handle_errors
def replay(ref, no_audio, start):
    """Play a saved answer with its transcript in time, then its feedback."""
    from rich.console import Console

    from .audiofile import read_audio
    from .report import render_result

    settings = _settings()
    store = _read_store(settings)
    con = Console(highlight=False)
    offset = _parse_time(start)
    for aid in _attempt_ids(store, ref):
        result = store.latest_result(aid)
        row = store.attempt(aid)
        if result is None:
            con.print(f"[yellow]attempt {aid} was not scored yet ({row['status']}); 'voicecoach rescore {aid}' scores it[/yellow]")
            continue
        con.print(f"[bold]{result.card_title}[/bold] [dim]({aid}, {result.created_at})[/dim]")
        audio = None
        if not no_audio and row["audio_path"] and Path(row["audio_path"]).exists():
            from . import audio as audio_mod

            audio_mod.check_devices(need_input=False, need_output=True, output_device=settings.output_device)
            audio = read_audio(row["audio_path"])
        _scroll(con, result, audio, offset, settings)
        render_result(con, result)
        if audio is not None and result.spoken_feedback:
            coach = _coach(settings, False, need_mic=False)
            coach.say(result.spoken_feedback)


def _scroll(con, result, audio, offset: float, settings) -> None:
    """Print the words as they are heard: fillers in yellow, long pauses marked."""
    from rich.text import Text

    from .delivery import norm

    fillers = {round(f.start, 2) for f in (result.delivery.fillers if result.delivery else [])}
    pauses = {round(p.start, 2): p.duration_s for p in (result.delivery.pauses if result.delivery else [])}
    words = [w for w in result.transcript.words if w.end >= offset]
    if not words:
        con.print(Text(result.transcript.text))
        return
    if audio is not None:
        from . import audio as audio_mod

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
            from . import audio as audio_mod

            audio_mod.wait_playback()
    except KeyboardInterrupt:
        if audio is not None:
            from . import audio as audio_mod

            audio_mod.stop_playback()
        raise


@main.command()
@click.argument("ref")
@common_options
@handle_errors
def rescore(ref, model, api_base, offline, stt_engine, stt_model, banks, json_out):
    """Score a saved attempt again, e.g. with another --model; earlier scores are kept."""
    settings = _settings(model=model, api_base=api_base, offline=offline, stt_engine=stt_engine, stt_model=stt_model, speak=False)
    coach = _coach(settings, json_out, need_mic=False)
    for aid in _attempt_ids(coach.store, ref):
        result = coach.rescore(aid)
        if json_out:
            click.echo(result.model_dump_json())


@main.command()
@click.argument("refs", nargs=-1)
@click.option("--card", "card_id", default=None, help="Compare the last two attempts at this card.")
@click.option("--json", "json_out", is_flag=True)
@handle_errors
def compare(refs, card_id, json_out):
    """Key points gained and lost, score and delivery changes between two attempts."""
    from . import history as h

    store = _read_store(_settings())
    if card_id:
        scored = [a["id"] for a in store.attempts(card_id=card_id) if a["overall"] is not None][:2]
        if len(scored) < 2:
            raise UsageError(f"card {card_id} has fewer than two scored attempts")
        ids = [scored[1], scored[0]]
    elif len(refs) == 2:
        ids = [store.find(r)[1] for r in refs]
    else:
        raise UsageError("give two attempt ids, or --card ID")
    before, after = (store.latest_result(i) for i in ids)
    if before is None or after is None:
        raise StoreError("both attempts must be scored first (voicecoach rescore ID)")
    c = h.compare(before, after)
    if json_out:
        click.echo(json.dumps({"before": ids[0], "after": ids[1], "gained": c.gained, "lost": c.lost, "scores": c.score_change, "delivery": c.delivery_change}, indent=1))
        return
    click.echo(f"{before.card_title}\n  before: {ids[0]} ({before.created_at})\n  after:  {ids[1]} ({after.created_at})")
    click.echo("scores: " + ", ".join(f"{k} {v:+d}" for k, v in c.score_change.items()))
    if c.delivery_change:
        click.echo("delivery: " + ", ".join(f"{k} {v:+g}" for k, v in c.delivery_change.items()))
    for kp in c.gained:
        click.echo(f"  + gained: {kp}")
    for kp in c.lost:
        click.echo(f"  - lost:   {kp}")
    if not c.gained and not c.lost:
        click.echo("  no key point changed")


@main.command()
@click.option("--count", "-n", default=3, show_default=True, type=click.IntRange(1, 20))
@click.option("--list", "list_only", is_flag=True, help="Show the queue without practising.")
@click.option("--text", default=None, help="Type the answer instead (reviews one question).")
@click.option("--type", "typed", is_flag=True, help="Text mode: the review interview typed in the terminal.")
@click.option("--persona", type=click.Choice(["friendly", "neutral", "tough"]), default="neutral", show_default=True)
@click.option("--follow-ups", type=click.IntRange(0, 3), default=None, help="Follow-up questions per card (default 1; tough 2).")
@click.option("--plan", "plan_name", default=None, help="Review only the cards of this interview plan, as that interview.")
@common_options
@handle_errors
def review(count, list_only, text, typed, persona, follow_ups, plan_name, model, api_base, offline, stt_engine, stt_model, banks, json_out):
    """Practise the cards whose key points you miss most (spaced repetition),
    as an interview: introduction, follow-ups, spoken commands, closing."""
    from . import history as h
    from .session import AnswerInput

    settings = _settings(model=model, api_base=api_base, offline=offline, stt_engine=stt_engine, stt_model=stt_model,
                         speak=False if text is not None or typed else None)
    only_list = list_only or (json_out and text is None and not typed)
    opening = ""
    if plan_name:
        from .cli_plan import plan_for_practice
        from .questions import load_bank

        plan_cards, opening = plan_for_practice(settings, load_bank([settings.user_bank, *banks]), plan_name)
        ids = {c.id for c in plan_cards}
        queue = [q for q in h.review_queue(_read_store(settings) if only_list else _store(settings), n=10_000) if q[0].id in ids][:count]
        if not queue:
            raise UsageError(f"nothing to review in plan {plan_name} yet", hint=f"Practise it first: voicecoach practice --plan {plan_name}")
    else:
        queue = h.review_queue(_read_store(settings) if only_list else _store(settings), n=count)
    if not queue:
        raise UsageError("nothing to review yet", hint="Practise a few questions first: voicecoach practice")
    if only_list:
        for card, prio, why in queue:
            click.echo(f"{card.id}\t{prio:.2f}\t{why}")
        return
    coach = _coach(settings, json_out, need_mic=text is None and not typed)
    sid = coach.store.new_session("review", plan=plan_name)
    if text is not None:
        result = coach.attempt(queue[0][0], AnswerInput(text=text), sid)
        if json_out:
            click.echo(result.model_dump_json())
        return
    run_interview(coach, settings, [card for card, _, _ in queue[:count]], sid, persona=persona, follow_ups=follow_ups,
                  typed=typed, json_out=json_out, opening=opening)


@main.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="File to write (default under VOICECOACH_HOME/reports).")
@handle_errors
def report(ref, fmt, out):
    """Write a self-contained HTML (audio, clickable transcript, charts) or Markdown report."""
    from . import history as h
    from .report_html import render_html, render_markdown

    settings = _settings()
    store = _read_store(settings)
    ids = _attempt_ids(store, ref)
    results = [r for r in (store.latest_result(i) for i in ids) if r is not None]
    if not results:
        raise StoreError(f"nothing scored in {ref}", hint=f"Score it first: voicecoach rescore {ref}")
    if fmt == "md":
        text = render_markdown(results)
    else:
        audio = {}
        for r in results:
            if r.audio_path and Path(r.audio_path).exists():
                audio[r.attempt_id] = Path(r.audio_path).read_bytes()
        past = [x for x in h.rows(store, card_id=results[0].card_id) if x["overall"] is not None]
        text = render_html(results, audio=audio, history=list(reversed(past)), title=results[0].card_title)
    path = out or settings.home / "reports" / f"{ids[0] if len(ids) == 1 else ref}.{fmt}"
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
    if store.salvage is not None:
        exported["salvaged"] = store.salvage.as_json()  # an export of a damaged database says so
    data = json.dumps(exported, indent=1)
    if out:
        out.write_text(data, encoding="utf-8")
        click.echo(f"exported to {out}")
    else:
        click.echo(data)


@main.command()
@click.argument("ref", required=False)
@click.option("--all", "everything", is_flag=True, help="Delete every session and recording.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def delete(ref, everything, yes):
    """Delete an attempt or session (with its audio), or --all."""
    store = _store(_settings())
    if everything == bool(ref):
        raise UsageError("give an attempt or session id, or --all")
    if everything:
        sessions = [s["id"] for s in store.sessions(limit=100000)]
        what = f"all {len(sessions)} sessions and their recordings"
        attempts: list[str] = []
    else:
        kind, rid = store.find(ref)
        sessions, attempts = ([rid], []) if kind == "session" else ([], [rid])
        what = f"{kind} {rid} and its recordings"
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"refusing to delete {what} without confirmation", hint="Add --yes.")
        click.confirm(f"Delete {what}?", abort=True)
    removed = store.delete(attempts, sessions)
    click.echo(f"deleted {what} ({removed} audio files)")


@main.command()
@handle_errors
def repair():
    """Rebuild a damaged session database from what can still be read (the damaged file is kept)."""
    from .store_recovery import repair as rebuild

    settings = _settings()
    db = settings.db_path
    if not db.exists():
        click.echo(f"there is no session database at {db} yet; nothing to repair")
        return
    try:
        _store(settings).close()
    except DatabaseCorrupt as exc:
        problem = exc.detail or exc.message
    else:
        from .store_recovery import salvage

        s = salvage(db)  # SQLite's check passed; look for rows damaged in place
        if not s.unreadable_total:
            click.echo(f"{db} is healthy ({s.recovered()}); nothing to repair")
            return
        problem = "rows damaged in place, though SQLite's own check passed"
    r = rebuild(db, settings.audio_dir, problem=problem, card_for=_card_lookup(settings))
    s = r.salvage
    click.echo(f"The session database {db} was damaged ({s.problem}).")
    click.echo(f"Recovered {s.recovered()} into a new database at {db}" + f" (read from {s.method}).")
    for line in (s.damage(), s.mended()):
        if line:
            click.echo(line)
    click.echo(f"The damaged file is kept as {r.kept_as}" + (f" (with {', '.join(p.name for p in r.side_files)})" if r.side_files else "")
               + "; rows that could not be read may still be in it.")
    click.echo(f"Audio files in {settings.audio_dir} were not touched.")
