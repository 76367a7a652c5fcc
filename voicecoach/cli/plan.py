"""Interview plans from a job description (and résumé):

    voicecoach plan --job FILE [--resume FILE] [-n N] [--name NAME]
    voicecoach plan list | show NAME | delete NAME

``plan`` is a group that runs the builder when no subcommand is given, so
both forms work. Practise a plan with ``voicecoach practice --plan NAME``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from voicecoach.cli.base import _bank, _err_console, _settings, handle_errors, main
from voicecoach.errors import PlanError, UsageError

SOURCE_LABEL = {"job": "job", "resume": "résumé", "role": "role"}


def _store(settings):
    from voicecoach.config import ensure_home
    from voicecoach.store.db import Store

    ensure_home(settings)
    return Store(settings.db_path, settings.audio_dir)


def _with_model(settings):
    """Settings whose ``model`` is a real model name, or "" for none: a named
    model as set; with "auto", a local model server found running (as the
    judge does); otherwise none, and the plan is built offline."""
    if settings.offline:
        return settings.model_copy(update={"model": ""})
    if settings.named_model:
        return settings
    if settings.model.strip().lower() == "auto":
        from voicecoach.judge.detect import detect, probes_for

        server = detect(probes_for(settings))
        if server is not None:
            return settings.model_copy(update={"model": server.model, "api_base": server.api_base})
    return settings.model_copy(update={"model": ""})


def _writer(settings):
    """The LLM card writer and the judge that checks its sample answers, when
    a model is configured (and not --offline)."""
    if not settings.model or settings.offline:
        return None
    from voicecoach.plan.cardgen import CardWriter
    from voicecoach.judge import FallbackJudge, make_offline_judge
    from voicecoach.judge.llm_judge import LLMJudge
    from voicecoach.engines.llm import LiteLLMClient

    judge_client = LiteLLMClient(model=settings.model, api_base=settings.api_base, timeout_s=settings.llm_timeout_s)
    # writing several cards takes longer than grading one answer
    writer_client = LiteLLMClient(model=settings.model, api_base=settings.api_base, timeout_s=max(90.0, settings.llm_timeout_s))
    judge = FallbackJudge(LLMJudge(judge_client, settings.model), make_offline_judge)
    return CardWriter(writer_client, settings.model, judge)


@main.group(invoke_without_command=True)
@click.option("--job", "job_path", type=click.Path(path_type=Path), default=None, help="The job description (text, Markdown, PDF or DOCX).")
@click.option("--resume", "resume_path", type=click.Path(path_type=Path), default=None, help="Your résumé (PDF, DOCX, Markdown or text).")
@click.option("--count", "-n", default=8, show_default=True, type=click.IntRange(3, 30), help="Questions in the plan.")
@click.option("--name", default=None, help="Name to save the plan under (default: from the role and company).")
@click.option("--role", default=None, help="The role's title, if the job description's first line is not it.")
@click.option("--company", default=None, help="The company's name, if it is not found in the job description.")
@click.option("--new", "new_cards", default=3, show_default=True, type=click.IntRange(0, 10),
              help="New cards the LLM writes for this job (needs --model; 0: none).")
@click.option("--replace", is_flag=True, help="Replace a saved plan of the same name.")
@click.option("--model", default=None, help="LLM that writes new cards (litellm name). Default: none, the plan is built offline.")
@click.option("--api-base", default=None, help="Base URL of an OpenAI-compatible server for --model.")
@click.option("--offline", is_flag=True, default=None, help="Build from the bank only, even with a model configured.")
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path), help="Extra question folder (repeatable).")
@click.option("--json", "json_out", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
@handle_errors
def plan(ctx, job_path, resume_path, count, name, role, company, new_cards, replace, model, api_base, offline, banks, json_out):
    """Build an interview plan for a job: the role, seniority and skills found
    in the job description (and résumé), and questions picked for them, each
    with the phrase it answers to. Subcommands: list, show, delete."""
    if ctx.invoked_subcommand is not None:
        if job_path or resume_path:
            raise UsageError(f"--job and --resume build a plan; they do not go with 'plan {ctx.invoked_subcommand}'")
        return
    if job_path is None:
        raise UsageError("give the job description: voicecoach plan --job FILE [--resume FILE]",
                         hint="Or: voicecoach plan list | show NAME | delete NAME")
    from voicecoach.plan import plans
    from voicecoach.store.plans import plan_names, save_plan

    settings = _with_model(_settings(model=model, api_base=api_base, offline=offline))
    docs = plans.read_documents(job_path, resume_path)
    for note in docs.truncated:
        _err_console().print(f"[yellow]{note}[/yellow]")
    bank = _bank(settings, banks)
    store = _store(settings)
    if name is None:
        from voicecoach.plan.profile import role_and_company

        found_role, found_company = role_and_company(docs.job.text)
        name = plans.default_name(role or found_role, company if company is not None else found_company, plan_names(store))
    plans.check_name(name)
    if name in plan_names(store) and not replace:
        raise PlanError(f"a plan named {name!r} already exists",
                        hint=f"Pick another --name, add --replace, or delete it: voicecoach plan delete {name}")
    writer = _writer(settings) if new_cards else None
    if writer is not None and not json_out:
        _err_console().print(f"[dim]Writing {new_cards} new cards with {settings.model}; this can take a minute.[/dim]")
    result = plans.build(docs, bank, count, name, role=role, company=company, writer=writer, new_cards=new_cards,
                         user_bank=settings.user_bank)
    save_plan(store, result, replace=True)
    if json_out:
        click.echo(result.model_dump_json(indent=1))
        return
    show_plan(result, settings.user_bank)


def _out(text: str, indent: int = 0, hang: int = 0, style: dict | None = None) -> None:
    """One paragraph wrapped to the terminal, continuation lines indented."""
    import shutil
    import textwrap

    width = max(40, min(100, shutil.get_terminal_size((80, 24)).columns))
    lines = textwrap.wrap(text, width=width, initial_indent=" " * indent, subsequent_indent=" " * (indent + hang),
                          break_on_hyphens=False, break_long_words=False) or [""]
    for line in lines:
        click.echo(click.style(line, **style) if style else line)


def show_plan(p, user_bank: Path | None = None) -> None:
    from voicecoach.plan.lexicon import FAMILY_NAMES
    from voicecoach.plan.plans import OFFLINE_PRIVACY, llm_privacy

    prof = p.profile
    at = f" at {prof.company}" if prof.company else ""
    _out(f"{prof.role}{at}", style={"bold": True})
    years = f" ({prof.years}+ years asked)" if prof.years else ""
    _out(f"seniority: {prof.seniority}{years} · kind of job: {FAMILY_NAMES[prof.family]}", 2, 2)
    job_skills = [s.skill for s in prof.skills if s.source == "job"]
    cv_only = [s.skill for s in prof.skills if s.source == "resume"]
    _out(f"skills asked for: {', '.join(job_skills) or '(none recognised)'}", 2, 4)
    if cv_only:
        _out(f"also on the résumé: {', '.join(cv_only)}", 2, 4)
    _out("mix: " + ", ".join(f"{k} {c}" for c, k in p.mix.items()), 2, 4)
    click.echo()
    _out(f"Plan {p.name}: {len(p.items)} questions", style={"bold": True})
    for i, it in enumerate(p.items, 1):
        mark = " (new)" if it.origin == "generated" else " (yours)" if it.origin == "user" else ""
        _out(f"{i:2d}. {it.title}{mark}", 0, 4)
        _out(f"{it.category} · {it.difficulty} · {it.card_id}", 4, 2, style={"dim": True})
        skill = f" ({it.skill})" if it.skill else ""
        _out(f"why: {SOURCE_LABEL[it.reason_source]}{skill}: \"{it.reason}\"", 4, 5)
    if p.generated:
        click.echo()
        where = user_bank / "generated" if user_bank else "your bank"
        _out(f"New cards written for this job, saved in {where}. Read them before you practise; edit or delete any you disagree with "
             "(voicecoach questions show ID).", style={"bold": True})
        for it in p.items:
            if it.origin == "generated":
                _out(f"{it.card_id}: {it.title}", 2, 4)
                for kp in it.card.key_points:
                    _out(f"- {kp}", 4, 2)
    for d in p.dropped:
        _out(f"dropped a written card \"{d.title}\": {d.why}", 0, 2, style={"fg": "yellow"})
    if p.llm_note:
        _out(p.llm_note, style={"fg": "yellow"})
    click.echo()
    _out(f"Privacy: {llm_privacy(p.llm_model) if p.llm_model else OFFLINE_PRIVACY}", 0, 2, style={"dim": True})
    _out(f"Built in {p.build_s:.2f} s. Practise it: voicecoach practice --plan {p.name} (typed: add --type)", 0, 2)


@plan.command("list")
@click.option("--json", "json_out", is_flag=True, help="Print the saved plans as JSON.")
@handle_errors
def plan_list(json_out):
    """The saved plans, newest first."""
    from voicecoach.store.plans import list_plans

    rows = list_plans(_store(_settings()))
    if json_out:
        click.echo(json.dumps(rows, indent=1))
        return
    if not rows:
        click.echo("no plans yet; build one with: voicecoach plan --job FILE [--resume FILE]")
        return
    from rich.console import Console
    from rich.table import Table

    from voicecoach.store.tally import local_time

    t = Table(title=f"{len(rows)} saved plan{'s' if len(rows) != 1 else ''}", caption="Practise one with: voicecoach practice --plan NAME")
    t.add_column("name", no_wrap=True, min_width=max(len(r["name"]) for r in rows))  # never cut a name
    t.add_column("role", ratio=1)
    t.add_column("questions", justify="right")
    t.add_column("sessions", justify="right")
    t.add_column("built", no_wrap=True)
    for r in rows:
        at = f" at {r['company']}" if r["company"] else ""
        t.add_row(r["name"], f"{r['role']}{at}", str(r["questions"]), str(r["sessions"]), local_time(r["created_at"]))
    Console().print(t)


@plan.command("show")
@click.argument("name")
@click.option("--json", "json_out", is_flag=True, help="Print the plan as JSON.")
@handle_errors
def plan_show(name, json_out):
    """Show a saved plan: what was understood, the questions and why."""
    from voicecoach.store.plans import load_plan

    settings = _settings()
    p = load_plan(_store(settings), name)
    if json_out:
        click.echo(p.model_dump_json(indent=1))
        return
    show_plan(p, settings.user_bank)


@plan.command("delete")
@click.argument("name")
@click.option("--cards", "with_cards", is_flag=True, help="Also delete the cards written for this plan from your bank.")
@handle_errors
def plan_delete(name, with_cards):
    """Delete a saved plan (the sessions practised from it stay in history)."""
    from voicecoach.store.plans import delete_plan

    settings = _settings()
    p = delete_plan(_store(settings), name)
    removed = 0
    if with_cards:
        for cid in p.generated:
            path = settings.user_bank / "generated" / f"{cid}.yaml"
            if path.exists():
                path.unlink()
                removed += 1
    extra = f" and {removed} generated cards" if with_cards else (f"; its {len(p.generated)} generated cards stay in your bank (--cards deletes them)" if p.generated else "")
    click.echo(f"deleted plan {name}{extra}")


def plan_for_practice(settings, bank, name: str):
    """(cards, opening line) of a saved plan, for practice and review."""
    from voicecoach.plan.plans import plan_cards
    from voicecoach.store.plans import load_plan

    p = load_plan(_store(settings), name)
    cards, notes = plan_cards(p, bank)
    for note in notes:
        _err_console().print(f"[yellow]{note}[/yellow]")
    return cards, p.opening


def privacy_row(settings) -> tuple[str, bool, str]:
    """The doctor's line about what building a plan sends."""
    if settings.named_model and not settings.offline:
        from voicecoach.plan.plans import llm_privacy

        return ("plans", True, llm_privacy(settings.named_model))
    return ("plans", True, "built from your job description and résumé on this machine; nothing is sent")
