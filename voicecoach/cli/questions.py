"""questions: list, show, validate, import."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicecoach.errors import UsageError
from voicecoach.cli.base import _bank, _err_console, _settings, handle_errors, main


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

    from voicecoach.cli.screens import check_category

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

    from voicecoach.cli.screens import questions_table

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

    from voicecoach.content.questions import resolve_card
    from voicecoach.render.terminal import card_panel

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
    from voicecoach.content.questions import BUILTIN_BANK, load_bank

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
    from voicecoach.content.importer import parse_page, write_card
    from voicecoach.content.questions import parse_card

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
