"""Commands over saved sessions: history, replay, rescore, compare, review,
report, export, delete, repair.

The commands that only read (history, replay, compare, review --list, report,
export) still work on a damaged database: they read what can be read,
read-only, and say what could not be. The others refuse, and 'repair' rebuilds
the database from what can be read."""

from __future__ import annotations

import json
import sys

import click

from voicecoach.cli.base import _coach, _err_console, _settings, common_options, handle_errors, main
from voicecoach.cli.practice import run_interview
from voicecoach.errors import DatabaseCorrupt, StoreError, UsageError, VoicecoachError


def _store(settings):
    from voicecoach.config import ensure_home
    from voicecoach.store.db import Store

    ensure_home(settings)
    return Store(settings.db_path, settings.audio_dir)


def _card_lookup(settings):
    """The question bank's cards by id, to rebuild an attempt whose row was lost."""
    from voicecoach.content.questions import load_bank

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

    from voicecoach.store.recovery import salvaged_store

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
@click.option("--card", "card_id", default=None, help="Only this question (an id, or a unique start of one), with its key-point record.")
@click.option("--category", default=None, help="Only this category (or a part of its name, e.g. 'statistics').")
@click.option("--json", "json_out", is_flag=True, help="Print attempts, category trends and key points as JSON (see README).")
@click.option("--plan", "plan_name", default=None, help="Only the attempts made under this interview plan.")
@handle_errors
def history(card_id, category, plan_name, json_out):
    """Past attempts with scores, and trends per category and key point."""
    from rich.console import Console
    from rich.table import Table

    from voicecoach.store import history as h
    from voicecoach.cli.screens import resolve_filters

    settings = _settings()

    def read(store):
        practised = {a["card_id"] for a in store.attempts(limit=1_000_000, main_only=True)}  # cards outside the bank too
        cid, cat, note = resolve_filters(settings, card_id, category, practised)
        items = h.rows(store, card_id=cid, category=cat, plan=plan_name)
        return (items, (h.key_point_record(store, cid) if cid else {})), (cid, cat, note)

    store, ((items, kp), (card_id, category, said)) = _reading(settings, read)
    trends = h.category_trends(items)
    salvaged = store.salvage
    if json_out:
        out = {"attempts": items, "categories": trends, "key_points": kp}
        if salvaged is not None:
            out["salvaged"] = salvaged.as_json()
        click.echo(json.dumps(out, indent=1))
        return
    con = Console()
    if said:
        _err_console().print(f"[dim]{said}[/dim]")
    if not items:
        what = f"question {card_id}" if card_id else f"category {category}" if category else "any question"
        con.print(f"No attempts at {what} yet. Practise it: voicecoach practice" + (f" -q {card_id}" if card_id else f" --category '{category}'" if category else ""))
        return
    con.print(_history_table(con, items))
    if trends:
        tt = Table(title="By category", caption="trend: mean score of the later half of the attempts minus the earlier half")
        for col in ("category", "attempts", "mean score", "trend"):
            tt.add_column(col, no_wrap=col != "category", justify="left" if col == "category" else "right")
        for cat, v in sorted(trends.items()):
            tt.add_row(cat, str(v["attempts"]), str(v["mean_overall"]), f"{v['change']:+.1f}")
        con.print(tt)
    if kp:
        kt = Table(title=f"Key points of {card_id}")
        for col in ("key point", "covered", "partial", "missing", "last time"):
            kt.add_column(col, no_wrap=col != "key point", ratio=1 if col == "key point" else None)
        for text, v in kp.items():
            kt.add_row(text, str(v["covered"]), str(v["partial"]), str(v["missing"]), v["last"])
        con.print(kt)


def _history_table(con, items: list[dict]):
    """Attempts, widest layout that fits: ids whole, scores always shown."""
    from rich.table import Table

    from voicecoach.store import tally
    from voicecoach.render.tables import first_fitting, id_column

    def num(v, fmt="{}"):
        return "" if v is None else fmt.format(v)

    def note(r):
        extra = [] if r["status"] == "scored" else [r["status"]]
        if r.get("follow_ups"):
            extra.append(f"+{r['follow_ups']} follow-up{'s' if r['follow_ups'] != 1 else ''}")
        return ", ".join(extra)

    title = f"{len(items)} attempt{'s' if len(items) != 1 else ''} (an attempt includes its follow-up answers)"
    scores = [("score", lambda r: num(r["overall"])), ("coverage", lambda r: num(r["coverage"], "{}/5")),
              ("wpm", lambda r: num(r["words_per_minute"], "{:.0f}")), ("fillers", lambda r: num(r["filler_count"]))]

    def wide():
        t = Table(title=title)
        for name in ("date", "attempt", "card"):
            id_column(t, name)
        t.add_column("notes", no_wrap=True)
        for name, _ in scores:
            t.add_column(name, no_wrap=True, justify="right")
        for r in items:
            t.add_row(tally.local_time(r["created_at"]), r["attempt_id"], r["card_id"], note(r), *(f(r) for _, f in scores))
        return t

    def stacked(with_date: bool, keep: int):
        def make():
            t = Table(title=title, show_lines=True)
            if with_date:
                id_column(t, "date")
            id_column(t, "attempt / card" if with_date else "attempt / card / date")
            for name, _ in scores[:keep]:
                t.add_column(name, no_wrap=True, justify="right")
            for r in items:
                lines = [r["attempt_id"], f"[cyan]{r['card_id']}[/cyan]"] + ([] if with_date else [f"[dim]{tally.local_time(r['created_at'])}[/dim]"])
                if note(r):
                    lines.append(f"[yellow]{note(r)}[/yellow]")
                t.add_row(*([tally.local_time(r["created_at"])] if with_date else []), "\n".join(lines), *(f(r) for _, f in scores[:keep]))
            return t
        return make

    return first_fitting(con, [wide, stacked(True, 4), stacked(False, 4), stacked(False, 2), stacked(False, 1)])


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
@click.option("--json", "json_out", is_flag=True, help="Print the comparison as JSON (see README).")
@handle_errors
def compare(refs, card_id, json_out):
    """Key points gained and lost, score and delivery changes between two attempts."""
    from voicecoach.store import history as h

    store = _read_store(_settings())
    if card_id:
        scored = [a["id"] for a in store.attempts(card_id=card_id, main_only=True) if a["overall"] is not None][:2]
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
    if before.card_id != after.card_id:
        raise UsageError(f"{ids[0]} answered {before.card_id} and {ids[1]} answered {after.card_id}: only attempts at the same question can be compared",
                         hint=f"Compare the last two attempts at one question: voicecoach compare --card {after.card_id}")
    from voicecoach.store import tally

    when = {i: tally.local_time(store.attempt(i)["created_at"]) for i in ids}  # the time history shows
    c = h.compare(before, after)
    if json_out:
        click.echo(json.dumps({"before": ids[0], "after": ids[1], "gained": c.gained, "lost": c.lost, "scores": c.score_change, "delivery": c.delivery_change}, indent=1))
        return
    click.echo(f"{before.card_title}\n  before: {ids[0]} ({when[ids[0]]})\n  after:  {ids[1]} ({when[ids[1]]})")
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
@click.option("--count", "-n", default=3, show_default=True, type=click.IntRange(1, 20), help="Number of questions to review.")
@click.option("--list", "list_only", is_flag=True, help="Show the queue without practising (with --json: as JSON).")
@click.option("--text", default=None, help="Type the answer instead (reviews one question).")
@click.option("--type", "typed", is_flag=True, help="Text mode: the review interview typed in the terminal.")
@click.option("--persona", type=click.Choice(["friendly", "neutral", "tough"]), default="neutral", show_default=True, help="The interviewer's manner; tough asks up to two follow-ups.")
@click.option("--follow-ups", type=click.IntRange(0, 3), default=None, help="Follow-up questions per card (default 1; tough 2).")
@click.option("--plan", "plan_name", default=None, help="Review only the cards of this interview plan, as that interview.")
@common_options
@handle_errors
def review(count, list_only, text, typed, persona, follow_ups, plan_name, model, api_base, offline, stt_engine, stt_model, banks, json_out):
    """Practise the cards whose key points you miss most (spaced repetition),
    as an interview: introduction, follow-ups, spoken commands, closing."""
    from voicecoach.store import history as h
    from voicecoach.core.coach import AnswerInput

    settings = _settings(model=model, api_base=api_base, offline=offline, stt_engine=stt_engine, stt_model=stt_model,
                         speak=False if text is not None or typed else None)
    only_list = list_only or (json_out and text is None and not typed)
    opening = ""
    if plan_name:
        from voicecoach.cli.plan import plan_for_practice
        from voicecoach.content.questions import load_bank

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
        if json_out:
            click.echo(json.dumps([{"card_id": c.id, "card_title": c.title, "priority": prio, "why": why} for c, prio, why in queue], indent=1))
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title=f"Review queue: the {len(queue)} question{'s' if len(queue) != 1 else ''} most due, most due first", show_lines=True,
                  caption="Due = key points missed (the last attempt counts most), more so the longer ago it was practised.")
        t.add_column("question", no_wrap=True)
        t.add_column("why", ratio=1, min_width=24)
        for card, _prio, why in queue:
            t.add_row(card.id, why)
        Console().print(t)
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
    from voicecoach.store.recovery import repair as rebuild

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
        from voicecoach.store.recovery import salvage

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
