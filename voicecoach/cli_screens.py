"""Screens shared by the commands in cli.py (kept here so cli.py stays small):
the question list, the setting and device listings."""

from __future__ import annotations

from rich.table import Table

from .tables import first_fitting, id_column


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
    from .errors import UsageError
    from .questions import load_bank

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
    from .errors import UsageError

    names = sorted({c.category for c in bank.cards.values()})
    if not any(category.lower() in n.lower() for n in names):
        raise UsageError(f"no category matches {category!r}", hint="Categories: " + "; ".join(names) + " (any part of a name works, e.g. 'statistics').")
