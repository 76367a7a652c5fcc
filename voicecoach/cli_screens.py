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
