"""The store when its database is damaged or locked. Part of the store: with
store.py, the only module that touches SQLite.

A damaged database: what can still be read from it, as a read-only view for
the commands that only read, and ``voicecoach repair``, which rebuilds a fresh
database from it, keeping the damaged file.

The damaged file is only ever opened read-only (URI ``mode=ro``). Each table
is read in one scan if it can be; otherwise row by row (a lookup by rowid only
touches the pages on its path, so one damaged page costs only the rows on it),
and every row is validated (a row whose bytes were overwritten in place is
not always noticed by SQLite). When even the first page is unreadable ("file
is not a database"), a private copy with a rebuilt first page is read instead:
a voicecoach database's tables always sit on the same pages, as its schema is
created by the same migrations.

A locked database: a score that could not be saved because another process
held the lock past the busy timeout is kept as a file under ``pending/`` and
saved by the next open."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from voicecoach.errors import DatabaseCorrupt, Step
from voicecoach.models import AttemptResult, Card
from voicecoach.store.db import MIGRATIONS, REPAIR_HINT, Store, connect_ro, new_id

TABLES = ("sessions", "attempts", "results")
# Only when a table's last page is unreadable: lookups past the last row found
# before deciding the table ends there.
TAIL_PROBE = 500
BTREE_PAGE_TYPES = (2, 5, 10, 13)

CardLookup = Callable[[str], "Card | None"]


@dataclass
class Salvage:
    path: Path
    problem: str
    method: str = ""  # how the file was read
    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in TABLES})
    unreadable: dict[str, int] = field(default_factory=lambda: {t: 0 for t in TABLES})
    end_unknown: list[str] = field(default_factory=list)  # tables whose last rows could not be found
    recreated_sessions: int = 0  # for attempts whose session row was lost
    rebuilt_attempts: int = 0  # from a result whose attempt row was lost, with the card from the bank
    detached_follow_ups: int = 0  # follow-ups whose main attempt was lost
    lost_results: int = 0  # results whose attempt row was lost and whose card is not in the bank
    results_lost_for: int = 0  # attempts that were scored but none of whose results could be read

    @property
    def unreadable_total(self) -> int:
        return sum(self.unreadable.values())

    def recovered(self) -> str:
        return _counted([(len(self.rows[t]), t[:-1]) for t in TABLES])

    def damage(self) -> str:
        """What could not be read, as sentences, or ''."""
        if self.method == "nothing":
            return "Nothing could be read from the file."
        out = []
        if self.unreadable_total:
            out.append(f"{_counted([(self.unreadable_total, 'row')])} could not be read "
                       f"({_counted([(n, t[:-1]) for t, n in self.unreadable.items()])}).")
        if self.end_unknown:
            out.append(f"The end of {' and '.join(self.end_unknown)} could not be found, so more rows may be missing.")
        if self.lost_results:
            out.append(f"{_counted([(self.lost_results, 'score')])} could not be kept: the attempt row was lost and the card "
                       "is not in the question bank.")
        if self.results_lost_for:
            out.append(f"{_counted([(self.results_lost_for, 'scored attempt')])} lost every score (status 'damaged'; "
                       "'voicecoach rescore ID' scores it again from its audio).")
        return " ".join(out)

    def mended(self) -> str:
        """Rows recreated or changed to keep the rest usable, as sentences, or ''."""
        out = []
        if self.recreated_sessions:
            out.append(f"{_counted([(self.recreated_sessions, 'session')])} recreated (mode 'recovered') for attempts whose "
                       "session row was lost.")
        if self.rebuilt_attempts:
            out.append(f"{_counted([(self.rebuilt_attempts, 'attempt')])} rebuilt from a saved score, with the card from "
                       "the question bank, in a session of mode 'recovered'.")
        if self.detached_follow_ups:
            out.append(f"{_counted([(self.detached_follow_ups, 'follow-up answer')])} kept without its lost main answer.")
        return " ".join(out)

    def as_json(self) -> dict:
        return {"damaged_file": str(self.path), "problem": self.problem, "read_by": self.method,
                "recovered": {t: len(self.rows[t]) for t in TABLES}, "unreadable_rows": dict(self.unreadable),
                "end_unknown": list(self.end_unknown), "lost_results": self.lost_results}


def _counted(pairs: list[tuple[int, str]]) -> str:
    items = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in pairs if n]
    return ", ".join(items) if items else "nothing"


# ----------------------------------------------------------------- reading


def salvage(db_path: Path, problem: str = "", card_for: CardLookup | None = None) -> Salvage:
    """Read every row that can be read from ``db_path``, never writing to it."""
    s = Salvage(path=Path(db_path), problem=problem)
    with tempfile.TemporaryDirectory(prefix="voicecoach-salvage-") as tmp:
        conn, s.method = _open_readable(s.path, Path(tmp))
        if conn is None:
            return s
        try:
            for table in TABLES:
                _read_table(conn, table, s)
        finally:
            conn.close()
    _mend(s, card_for)
    return s


def _connect_ro(path: Path) -> sqlite3.Connection:
    conn = connect_ro(path)
    conn.execute("PRAGMA cell_size_check = ON")  # notice more damage, rather than return garbage
    return conn


def _has_tables(conn: sqlite3.Connection) -> bool:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return set(TABLES) <= names


def _open_readable(path: Path, tmp: Path) -> tuple[sqlite3.Connection | None, str]:
    """The damaged file itself, read-only; else a private copy with a rebuilt
    header; else one with the first page (the schema) rebuilt."""
    try:
        conn = _connect_ro(path)
        try:
            if _has_tables(conn):
                return conn, "the file itself"
        except sqlite3.DatabaseError:
            pass
        conn.close()
    except sqlite3.DatabaseError:
        pass
    try:
        data = path.read_bytes()
    except OSError:
        return None, "nothing"
    page_size = _page_size(data)
    if page_size is None:
        return None, "nothing"
    first = _template_first_page(page_size, tmp)
    pages = len(data) // page_size
    wal = path.with_name(path.name + "-wal")
    for n, (how, new_first) in enumerate((("a private copy with a rebuilt header", first[:100] + data[100:page_size]),
                                          ("a private copy with a rebuilt first page", first))):
        buf = bytearray(data[: pages * page_size])
        buf[:page_size] = new_first
        buf[28:32] = pages.to_bytes(4, "big")  # the page count SQLite uses ...
        buf[92:96] = buf[24:28]  # ... when "version-valid-for" matches the change counter
        copy = tmp / f"copy{n}.db"
        if wal.exists():  # committed changes not yet copied into the file
            buf[18:20] = b"\x02\x02"
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        copy.write_bytes(bytes(buf))
        conn = None
        try:
            conn = _connect_ro(copy)
            if _has_tables(conn):
                return conn, how
        except sqlite3.DatabaseError:
            pass
        if conn is not None:
            conn.close()
    return None, "nothing"


def _page_size(data: bytes) -> int | None:
    if data[:16] == b"SQLite format 3\x00" and len(data) >= 18:
        size = int.from_bytes(data[16:18], "big")
        size = 65536 if size == 1 else size
        if 512 <= size <= 65536 and size & (size - 1) == 0:
            return size
    for size in (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512):  # 4096 is SQLite's default
        if len(data) >= 2 * size and data[size] in BTREE_PAGE_TYPES:  # page 2 is a table's root
            return size
    return None


def _template_first_page(page_size: int, tmp: Path) -> bytes:
    path = tmp / "template.db"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA page_size = {page_size}")
    for number, sql in enumerate(MIGRATIONS, 1):
        for stmt in filter(str.strip, sql.split(";")):
            conn.execute(stmt)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.close()
    return path.read_bytes()[:page_size]


def _read_table(conn: sqlite3.Connection, table: str, s: Salvage) -> None:
    sql = f"SELECT rowid AS salvage_rowid, * FROM {table}"
    try:
        rows = conn.execute(sql + " ORDER BY rowid").fetchall()
    except sqlite3.DatabaseError:
        rows = _read_by_rowid(conn, table, sql, s)
    for row in rows:
        d = dict(row)
        d.pop("salvage_rowid")
        parsed = _validate(table, d)
        if parsed is None:
            s.unreadable[table] += 1
            continue
        if table == "results":
            d["_record"] = parsed
        s.rows[table].append(d)


def _read_by_rowid(conn: sqlite3.Connection, table: str, sql: str, s: Salvage) -> list[sqlite3.Row]:
    try:
        last = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        try:  # results has AUTOINCREMENT: its highest id is kept apart
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
            last = row[0] if row else None
        except sqlite3.DatabaseError:
            last = None  # the table's last page is damaged: probe past the last row found
    rows: list[sqlite3.Row] = []
    bad = trailing_bad = misses = 0
    rowid = 0
    while (rowid < last) if last is not None else (misses < TAIL_PROBE):
        rowid += 1
        try:
            row = conn.execute(sql + " WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            bad, trailing_bad, misses = bad + 1, trailing_bad + 1, misses + 1
            continue
        if row is None:
            misses += 1
            continue
        rows.append(row)
        trailing_bad = misses = 0
    if last is None:
        bad -= trailing_bad  # past the last row found: unknown, not counted
        s.end_unknown.append(table)
    s.unreadable[table] += bad
    return rows


def _text(*values) -> bool:
    return all(isinstance(v, str) and v for v in values)


def _validate(table: str, d: dict):
    """The row's parsed payload (True for sessions), or None if it is damaged."""
    try:
        if table == "sessions":
            return True if _text(d["id"], d["started_at"], d["mode"]) else None
        if table == "attempts":
            if not _text(d["id"], d["session_id"], d["card_id"], d["created_at"], d["status"], d["answer_source"]):
                return None
            card = Card.model_validate_json(d["card_json"])
            return card if card.id == d["card_id"] else None
        if not _text(d["attempt_id"], d["created_at"]) or not isinstance(d["overall"], int):
            return None
        record = AttemptResult.model_validate(json.loads(d["record_json"]))
        return record if record.attempt_id == d["attempt_id"] else None
    except (KeyError, TypeError, ValueError):
        return None


def _mend(s: Salvage, card_for: CardLookup | None) -> None:
    """Keep every readable row usable: recreate what the lost rows they
    depend on held, where that can be done honestly."""
    attempts = {a["id"]: a for a in s.rows["attempts"]}
    scored = {r["attempt_id"] for r in s.rows["results"]}
    kept_results, recovered_session = [], None
    for r in s.rows["results"]:
        if r["attempt_id"] in attempts:
            kept_results.append(r)
            continue
        rec: AttemptResult = r["_record"]
        card = card_for(rec.card_id) if card_for else None
        if card is None:
            s.lost_results += 1
            continue
        if recovered_session is None:  # the attempt's session is unknown: they go in one of their own
            recovered_session = new_id("s")
            s.rows["sessions"].append({"id": recovered_session, "started_at": rec.created_at, "mode": "recovered",
                                       "note": "attempts rebuilt by voicecoach repair from their saved scores; their session is unknown"})
        attempts[r["attempt_id"]] = {
            "id": r["attempt_id"], "session_id": recovered_session, "card_id": card.id, "card_json": card.model_dump_json(),
            "created_at": rec.created_at, "status": "scored", "answer_source": rec.answer_source, "audio_path": rec.audio_path,
            "duration_s": rec.delivery.duration_s if rec.delivery else None, "parent_id": rec.parent_id, "prompt_text": rec.prompt,
        }
        s.rebuilt_attempts += 1
        kept_results.append(r)
    s.rows["results"] = kept_results
    s.rows["attempts"] = sorted(attempts.values(), key=lambda a: a["created_at"])
    sessions = {x["id"] for x in s.rows["sessions"]}
    for a in s.rows["attempts"]:
        if a["session_id"] not in sessions:
            sessions.add(a["session_id"])
            s.rows["sessions"].append({"id": a["session_id"], "started_at": a["created_at"], "mode": "recovered",
                                       "note": "recreated by voicecoach repair: the session's own row was lost"})
            s.recreated_sessions += 1
        if a.get("parent_id") and a["parent_id"] not in attempts:
            a["parent_id"] = None
            s.detached_follow_ups += 1
        if a["status"] == "scored" and a["id"] not in scored:
            a["status"] = "damaged"
            s.results_lost_for += 1


# ------------------------------------------------------------------ writing


def salvaged_store(db_path: Path, audio_dir: Path, problem: str = "", card_for: CardLookup | None = None) -> tuple[Store, Salvage]:
    """A read-only store over what could be read from the damaged ``db_path``,
    held in memory; its writes raise DatabaseCorrupt."""
    s = salvage(db_path, problem, card_for)
    store = Store.over(sqlite3.connect(":memory:", isolation_level=None), db_path, audio_dir)
    store.fill(s.rows)
    store.salvage = s
    store.refuse_writes(DatabaseCorrupt(f"the session database {db_path} is damaged, so nothing can be saved to it",
                                        hint=REPAIR_HINT, step=Step("repair", {"name": Path(db_path).name}), detail=problem))
    return store, s


@dataclass
class Repaired:
    salvage: Salvage
    kept_as: Path
    side_files: list[Path]  # the damaged file's -wal/-shm/-journal, moved beside the kept copy


def repair(db_path: Path, audio_dir: Path, problem: str = "", card_for: CardLookup | None = None) -> Repaired:
    """Rebuild ``db_path`` from what can be read of it. The damaged file is
    kept as ``<name>.corrupt-<time>``; at every moment ``db_path`` is either
    the damaged file or the complete new one. Audio files are not touched."""
    db_path = Path(db_path)
    s = salvage(db_path, problem, card_for)
    fd, tmp_name = tempfile.mkstemp(prefix=db_path.name + ".repair-", dir=db_path.parent)  # private (0600)
    os.close(fd)
    new = Path(tmp_name)
    try:
        conn = sqlite3.connect(str(new), isolation_level=None)
        try:
            store = Store.over(conn, new, audio_dir)
            store.fill(s.rows)
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":  # pragma: no cover - a fresh file
                raise DatabaseCorrupt(f"the rebuilt database {new} failed its check; nothing was changed")
        finally:
            conn.close()
        kept = _keep(db_path)
        side = []
        for suffix in ("-wal", "-shm", "-journal"):
            f = db_path.with_name(db_path.name + suffix)
            if f.exists():
                os.replace(f, kept.with_name(kept.name + suffix))
                side.append(kept.with_name(kept.name + suffix))
        os.replace(new, db_path)
    except BaseException:
        new.unlink(missing_ok=True)
        raise
    return Repaired(s, kept, side)


def _keep(db_path: Path) -> Path:
    """A second name for the damaged file (a hard link, else a copy)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        kept = db_path.with_name(f"{db_path.name}.corrupt-{stamp}" + (f"-{n}" if n else ""))
        try:
            os.link(db_path, kept)
            return kept
        except FileExistsError:
            continue
        except OSError:  # no hard links here: copy
            if kept.exists():
                continue
            shutil.copy2(db_path, kept)
            return kept
    raise DatabaseCorrupt(f"cannot find a free name to keep {db_path} under; nothing was changed")
