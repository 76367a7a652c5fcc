"""Scores that could not be saved (another process held the database past
the busy timeout) wait as files under ``pending/`` and are saved by the next
open of the store. Part of the store; takes the store as an argument, so it
needs nothing from store.py."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from voicecoach.errors import StoreError
from voicecoach.models import AttemptResult



def pending_dir(store) -> Path:
    return store.db_path.parent / "pending"


def keep_pending(store, result: AttemptResult) -> Path | None:
    """Write a score that could not be saved to pending/ (private, atomic)."""
    folder = pending_dir(store)
    path = folder / f"{result.attempt_id}-{secrets.token_hex(3)}.json"
    tmp = path.with_suffix(".tmp")
    old = os.umask(0o077)
    try:
        folder.mkdir(exist_ok=True)
        tmp.write_text(result.model_dump_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return None
    finally:
        os.umask(old)
    return path


def save_pending(store) -> None:
    """Save the scores an earlier run kept under pending/. Each file is
    claimed by renaming it, so two processes never save one twice; one that
    cannot be saved yet (still locked, its attempt unknown) stays."""
    folder = pending_dir(store)
    if not folder.is_dir():
        return
    with store.waiting_at_most(0.2):  # still locked: leave them for next time, do not hold up this command
        for path in sorted(folder.glob("*.json")):
            claimed = path.with_suffix(".saving")
            try:
                os.replace(path, claimed)
            except OSError:
                continue  # another process took it
            try:
                result = AttemptResult.model_validate(json.loads(claimed.read_text(encoding="utf-8")))
                if store.attempt(result.attempt_id) is None:
                    raise ValueError("its attempt is not in the database")
                store.insert_result(result, result.created_at)
            except (OSError, ValueError, StoreError):
                os.replace(claimed, path)
                continue
            claimed.unlink()
