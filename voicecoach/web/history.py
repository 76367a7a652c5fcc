"""The history pages (being built)."""

from __future__ import annotations


def routes() -> list:
    return []
