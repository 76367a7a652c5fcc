"""Terminal tables that degrade gracefully: a command offers layouts from the
widest to the narrowest, and the first that fits the terminal is printed.
Ids are never cut: their columns do not wrap, and a layout only fits if every
id is whole (narrower layouts drop or stack columns instead)."""

from __future__ import annotations

from typing import Callable

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table


def _cell_width(console: Console, cell) -> int:
    if isinstance(cell, str):
        from rich.text import Text

        cell = Text.from_markup(cell)
    return Measurement.get(console, console.options.update_width(100_000), cell).maximum


def min_width(console: Console, table: Table) -> int:
    """The narrowest the table can be with every no-wrap column (ids) whole:
    rich's own measurement lets a no-wrap column shrink to its longest word."""
    total = 0
    for col in table.columns:
        cells = [col.header, *col.cells]
        if col.no_wrap:
            w = max(_cell_width(console, c) for c in cells)
        else:
            w = max([col.min_width or 0] + [Measurement.get(console, console.options.update_width(100_000), c).minimum
                                             for c in cells if not isinstance(c, str)]
                    + [max((len(x) for x in str(c).split()), default=0) for c in cells if isinstance(c, str)])
        total += w + 2  # padding
    return total + len(table.columns) + 1  # borders


def fits(console: Console, table: Table) -> bool:
    """True if the table fits the console with its ids whole."""
    return min_width(console, table) <= console.width


def first_fitting(console: Console, layouts: list[Callable[[], Table]]) -> Table:
    """The first layout (widest first) that fits; the last one otherwise."""
    table = None
    for make in layouts:
        table = make()
        if fits(console, table):
            return table
    return table


def id_column(table: Table, name: str, **kw) -> None:
    table.add_column(name, no_wrap=True, overflow="fold", **kw)
