"""A damaged or locked session database, with real SQLite files damaged by the
test: the commands that only read still show what can be read (and never
write to the file), the others refuse with a way out, 'repair' rebuilds the
database keeping the damaged file, and a lock held by another process blocks
neither reading nor losing a score."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_cli
from tests.fakes import make_coach
from voicecoach.engines.audiofile import write_wav
from voicecoach.errors import DatabaseCorrupt, DatabaseLocked
from voicecoach.core.coach import AnswerInput
from voicecoach.store.db import Store
from voicecoach.store.recovery import _mend, salvage, salvaged_store

CARDS = ["cross-entropy-vs-mse", "mla-l1-vs-l2", "bh-five-years", "bh-disagree-with-manager"]
N_TEXT = 20  # typed answers; a card saved with each attempt fills most of a 4 KiB page


@pytest.fixture
def saved(tmp_path, isolated_home, bank):
    """Two sessions: 20 typed answers and 2 from audio files, all scored.
    Returns (db path, attempt ids in order, {audio file: sha256})."""
    coach, _, _ = make_coach(tmp_path, speak=False)
    ids = []
    for s in range(2):
        sid = coach.store.new_session("practice")
        for i in range(N_TEXT // 2):
            card = bank.get(CARDS[i % len(CARDS)])
            ids.append(coach.attempt(card, AnswerInput(text=f"Answer {s}-{i}: cross entropy compares probabilities with labels."), sid).attempt_id)
    wav = tmp_path / "answer.wav"
    write_wav(wav, (0.1 * np.sin(np.linspace(0, 3000, 16000 * 3))).astype(np.float32))
    for _ in range(2):
        ids.append(coach.attempt(bank.get(CARDS[0]), AnswerInput(file=wav), sid).attempt_id)
    coach.store.close()
    db = coach.settings.db_path
    return db, ids, _audio(db.parent / "audio")


def _audio(folder: Path) -> dict[str, str]:
    return {p.name: _sha(p) for p in sorted(folder.iterdir())}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leaf_pages(db: Path, table: str) -> list[int]:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True)  # leaves no -wal/-shm behind
    try:
        return [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
    finally:
        conn.close()


def _overwrite(db: Path, offset: int, data: bytes) -> None:
    with open(db, "r+b") as f:
        f.seek(offset)
        f.write(data)


def _garbage(n: int) -> bytes:
    return random.Random(7).randbytes(n)


def _side_files(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name) and p != db)


def _history(env=None) -> tuple[dict, str]:
    proc = run_cli(["history", "--json"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout), proc.stderr


# ------------------------------------------------------------- damaged pages


def test_a_damaged_page_in_the_middle_hides_only_its_rows(saved):
    db, ids, audio = saved
    pages = _leaf_pages(db, "results")
    raw = db.read_bytes()
    # a page holding one result row, nearest the middle (how many rows share a page depends on their size)
    single = [p for p in pages if p > 1 and int.from_bytes(raw[(p - 1) * 4096 + 3 : (p - 1) * 4096 + 5], "big") == 1]
    middle = min(single or pages, key=lambda p: abs(p - pages[len(pages) // 2]))
    _overwrite(db, (middle - 1) * 4096, _garbage(4096))
    before = _sha(db)

    data, err = _history()
    assert data["salvaged"]["unreadable_rows"] == {"sessions": 0, "attempts": 0, "results": 1}
    assert {a["attempt_id"] for a in data["attempts"]} == set(ids)  # every attempt is still listed
    [damaged] = [a for a in data["attempts"] if a["status"] == "damaged"]  # the one whose score was on that page
    assert sum(a["overall"] is not None for a in data["attempts"]) == len(ids) - 1
    assert str(db) in err and "1 row could not be read" in err and "voicecoach repair" in err

    proc = run_cli(["export"])
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(proc.stdout)
    assert sum(len(s["attempts"]) for s in exported["sessions"]) == len(ids)
    assert exported["salvaged"]["recovered"] == {"sessions": 2, "attempts": len(ids), "results": len(ids) - 1}

    readable = next(a for a in ids if a != damaged["attempt_id"])
    proc = run_cli(["replay", readable, "--no-audio"])
    assert proc.returncode == 0 and "Answer" in proc.stdout, proc.stderr
    proc = run_cli(["report", readable, "--format", "md"])
    assert proc.returncode == 0 and Path(proc.stdout.strip()).exists(), proc.stderr

    # writing commands refuse and say how to recover
    for args in (["score", "--card", CARDS[0], "--text", "hello there"], ["rescore", readable], ["delete", "--all", "--yes"]):
        proc = run_cli(args)
        assert proc.returncode == 10, (args, proc.stderr)
        assert "damaged" in proc.stderr and "voicecoach repair" in proc.stderr and "Traceback" not in proc.stderr
    assert _sha(db) == before and _side_files(db) == []  # nothing was written to it, nor beside it
    assert _audio(db.parent / "audio") == audio


def test_repair_keeps_the_damaged_file_and_rebuilds_from_the_rest(saved):
    db, ids, audio = saved
    pages = _leaf_pages(db, "attempts")
    _overwrite(db, (pages[len(pages) // 2] - 1) * 4096, _garbage(4096))
    original = _sha(db)

    proc = run_cli(["repair"])
    assert proc.returncode == 0, proc.stderr
    assert "Recovered 3 sessions" in proc.stdout and "1 row could not be read (1 attempt)" in proc.stdout
    # its result was readable and its card is in the bank; its session is unknown
    assert "1 attempt rebuilt from a saved score" in proc.stdout and "session recreated" not in proc.stdout
    [kept] = [p for p in db.parent.iterdir() if p.name.startswith("voicecoach.db.corrupt-")]
    assert _sha(kept) == original and kept.stat().st_mode & 0o077 == 0
    assert _audio(db.parent / "audio") == audio

    store = Store(db, db.parent / "audio")  # a healthy database again
    assert {a["id"] for a in store.attempts(limit=100)} == set(ids)
    assert all(store.latest_result(i) is not None for i in ids)
    store.close()
    data, err = _history()
    assert "salvaged" not in data and "warning" not in err
    assert "nothing to repair" in run_cli(["repair"]).stdout
    assert run_cli(["score", "--card", CARDS[0], "--text", "hello there"]).returncode == 0  # writing works again


def test_truncated_file(saved):
    db, ids, audio = saved
    size = db.stat().st_size
    with open(db, "r+b") as f:
        f.truncate(size // 2)

    data, err = _history()
    assert 0 < len(data["attempts"]) < len(ids)
    assert data["salvaged"]["unreadable_rows"]["results"] > 0  # known from the results' id counter
    assert "could not be read" in err
    assert db.stat().st_size == size // 2

    proc = run_cli(["repair"])
    assert proc.returncode == 0, proc.stderr
    assert len(_history()[0]["attempts"]) == len(data["attempts"])
    assert _audio(db.parent / "audio") == audio


@pytest.mark.parametrize("damage, how", [(100, "rebuilt header"), (4096, "rebuilt first page")])
def test_garbage_at_the_start_of_the_file(saved, damage, how):
    """'file is not a database': the tables are still on their pages."""
    db, ids, _ = saved
    _overwrite(db, 0, _garbage(damage))
    before = _sha(db)
    with pytest.raises(DatabaseCorrupt, match="not a database"):
        Store(db, db.parent / "audio")

    data, err = _history()
    assert {a["attempt_id"] for a in data["attempts"]} == set(ids)
    assert all(a["overall"] is not None for a in data["attempts"])
    assert how in err and "file is not a database" in err
    assert _sha(db) == before and _side_files(db) == []

    assert run_cli(["repair"]).returncode == 0
    assert {a["attempt_id"] for a in _history()[0]["attempts"]} == set(ids)


def test_a_row_damaged_in_place(saved):
    """Bytes overwritten inside one saved score: SQLite's check passes, the
    row does not decode. Reading commands go on without it."""
    db, ids, _ = saved
    raw = db.read_bytes()
    at = raw.index(f'"attempt_id":"{ids[5]}"'.encode())
    _overwrite(db, at + 60, b"\xff" * 40)
    Store(db, db.parent / "audio").close()  # opens: the file's structure is intact

    proc = run_cli(["export"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["salvaged"]["unreadable_rows"]["results"] == 1
    assert "damaged text in column record_json" in proc.stderr
    assert "cross entropy compares" not in proc.stderr.lower()  # the row's (private) text is not quoted

    proc = run_cli(["repair"])
    assert proc.returncode == 0 and "1 row could not be read (1 result)" in proc.stdout, proc.stdout + proc.stderr


def test_nothing_readable_at_all(tmp_path, isolated_home):
    isolated_home.mkdir(parents=True)
    db = isolated_home / "voicecoach.db"
    db.write_bytes(b"this is not a database" * 500)
    data, err = _history()
    assert data["attempts"] == [] and "Nothing could be read" in err
    proc = run_cli(["repair"])
    assert proc.returncode == 0, proc.stderr
    assert any(p.name.startswith("voicecoach.db.corrupt-") for p in isolated_home.iterdir())
    assert run_cli(["score", "--card", CARDS[0], "--text", "a fresh start"]).returncode == 0


def test_salvaged_store_reads_and_refuses_writes(saved, bank):
    db, ids, _ = saved
    _overwrite(db, (_leaf_pages(db, "sessions")[0] - 1) * 4096, _garbage(4096))  # the table's only page
    with pytest.raises(DatabaseCorrupt) as info:
        Store(db, db.parent / "audio")
    store, s = salvaged_store(db, db.parent / "audio", problem=info.value.detail, card_for=bank.cards.get)
    assert s.end_unknown == ["sessions"] and s.recreated_sessions == 2  # how many rows it held is unknown
    assert {r["mode"] for r in store.sessions()} == {"recovered"}
    assert len(store.attempts(limit=100)) == len(ids)
    with pytest.raises(DatabaseCorrupt, match="nothing can be saved"):
        store.new_session("practice")


def test_mend_keeps_foreign_keys_whole(saved, tmp_path):
    """Follow-ups whose main answer was lost, attempts whose session was lost,
    scores whose attempt was lost and card unknown: the rebuilt database
    still satisfies its foreign keys."""
    db, ids, _ = saved
    s = salvage(db)
    assert s.unreadable_total == 0 and s.method == "the file itself"
    s.rows["attempts"][3]["parent_id"] = ids[0]
    s.rows["attempts"] = [a for a in s.rows["attempts"] if a["id"] != ids[0]]
    s.rows["sessions"] = s.rows["sessions"][:1]
    _mend(s, card_for=lambda card_id: None)
    assert s.detached_follow_ups == 1 and s.recreated_sessions == 1 and s.lost_results == 1
    store = Store.over(sqlite3.connect(":memory:", isolation_level=None), tmp_path / "x.db", tmp_path)
    store.fill(s.rows)
    assert store._conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert len(store.attempts(limit=100)) == len(ids) - 1


# -------------------------------------------------------------------- locks


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # hold the lock until the test closes our stdin
"""


class Locker:
    """Another process holding the database's write lock."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def test_database_is_switched_to_wal_and_stays_private(tmp_path):
    db = tmp_path / "db.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")  # an old database in rollback-journal mode
    conn.close()
    store = Store(db, tmp_path / "audio")
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.new_session("practice")
    for side in (tmp_path / "db.sqlite-wal", tmp_path / "db.sqlite-shm"):
        assert side.exists() and side.stat().st_mode & 0o077 == db.stat().st_mode & 0o077


def test_a_held_lock_blocks_neither_reads_nor_scores(saved, bank):
    db, ids, _ = saved
    coach, _, _ = make_coach(db.parent.parent, speak=False)
    aid, _ = coach.store.new_attempt(coach.store.new_session("practice"), bank.get(CARDS[0]), "text")
    result = coach.store.latest_result(ids[0]).model_copy(update={"attempt_id": aid})
    coach.store.close()

    locker = Locker(db)
    try:
        store = Store(db, db.parent / "audio", busy_timeout_s=0.5)  # opening and reading need no lock
        assert len(store.attempts(limit=100)) == len(ids) + 1
        t0 = time.monotonic()
        with pytest.raises(DatabaseLocked, match="another voicecoach") as info:
            store.new_session("practice")
        assert time.monotonic() - t0 < 5
        with pytest.raises(DatabaseLocked) as info:
            store.save_result(result)
        assert "nothing is lost" in info.value.hint
        [pending] = list((db.parent / "pending").glob("*.json"))
        assert pending.stat().st_mode & 0o077 == 0
        store.close()
    finally:
        locker.release()
    store = Store(db, db.parent / "audio")  # the next open saves the kept score
    assert store.latest_result(aid) == result and store.attempt(aid)["status"] == "scored"
    assert list((db.parent / "pending").iterdir()) == []
    assert len(store.sessions(limit=100)) == 3  # the refused write left nothing behind


@pytest.mark.slow
def test_cli_while_another_process_holds_the_lock(saved):
    """Runs into the real 10 s busy timeout."""
    db, ids, _ = saved
    locker = Locker(db)
    try:
        t0 = time.monotonic()
        data, err = _history()
        assert len(data["attempts"]) == len(ids) and time.monotonic() - t0 < 8
        proc = run_cli(["score", "--card", CARDS[0], "--text", "hello there"])
        assert proc.returncode == 10, proc.stderr
        assert "another voicecoach" in proc.stderr and "waited 10 s" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        locker.release()
    assert len(_history()[0]["attempts"]) == len(ids)
    assert run_cli(["score", "--card", CARDS[0], "--text", "hello there"]).returncode == 0
