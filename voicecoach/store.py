"""Sessions on disk: SQLite (stdlib) with numbered migrations, audio files
beside it. The only module that touches SQLite.

An attempt row is written *before* recording starts (status 'recording'), so
an interrupted answer keeps its audio and its row; scoring adds a result row
(several per attempt when rescored) and marks the attempt 'scored'."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .errors import StoreError
from .models import AttemptResult, Card

MIGRATIONS: list[str] = [
    # 1: sessions, attempts, results
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        mode TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE attempts (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        card_id TEXT NOT NULL,
        card_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        answer_source TEXT NOT NULL,
        audio_path TEXT,
        duration_s REAL
    );
    CREATE INDEX attempts_card ON attempts(card_id);
    CREATE INDEX attempts_session ON attempts(session_id);
    CREATE TABLE results (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        attempt_id TEXT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        judge_kind TEXT NOT NULL,
        judge_model TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        overall INTEGER NOT NULL,
        coverage INTEGER NOT NULL,
        words_per_minute REAL,
        filler_count INTEGER,
        record_json TEXT NOT NULL
    );
    CREATE INDEX results_attempt ON results(attempt_id);
    """,
    # 2: interview structure (follow-ups belong to a parent attempt), session end
    """
    ALTER TABLE attempts ADD COLUMN parent_id TEXT REFERENCES attempts(id) ON DELETE CASCADE;
    ALTER TABLE attempts ADD COLUMN prompt_text TEXT;
    ALTER TABLE sessions ADD COLUMN ended_at TEXT;
    """,
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id(prefix: str) -> str:
    return f"{prefix}{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


class Store:
    def __init__(self, db_path: Path, audio_dir: Path) -> None:
        self.db_path = Path(db_path)
        self.audio_dir = Path(audio_dir)
        try:
            old = os.umask(0o077)
            try:
                self.audio_dir.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(str(self.db_path), timeout=10, isolation_level=None)
            finally:
                os.umask(old)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA busy_timeout = 10000")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the session database {self.db_path}: {exc}",
                hint="If the file is corrupt, move it aside; your audio files in the audio folder are untouched.",
            ) from exc
        except OSError as exc:
            raise StoreError(f"cannot use the data directory {self.db_path.parent}: {exc.strerror or exc}",
                             hint="Set VOICECOACH_HOME to a writable directory.") from exc

    @contextmanager
    def _tx(self):
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"could not save to {self.db_path}: {exc}", hint="Is the disk full or read-only? Is another voicecoach writing?") from exc

    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        current = self.schema_version()
        for number, sql in enumerate(MIGRATIONS, 1):
            if number <= current:
                continue
            with self._tx() as c:
                for stmt in filter(str.strip, sql.split(";")):
                    c.execute(stmt)
                c.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self._conn.close()

    # ------------------------------------------------------------------ writes

    def new_session(self, mode: str) -> str:
        sid = new_id("s")
        with self._tx() as c:
            c.execute("INSERT INTO sessions (id, started_at, mode) VALUES (?, ?, ?)", (sid, _now(), mode))
        return sid

    def new_attempt(self, session_id: str, card: Card, answer_source: str, parent_id: str | None = None, prompt: str | None = None) -> tuple[str, Path]:
        aid = new_id("a")
        audio = self.audio_dir / f"{aid}.wav"
        with self._tx() as c:
            c.execute(
                "INSERT INTO attempts (id, session_id, card_id, card_json, created_at, status, answer_source, audio_path, parent_id, prompt_text) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (aid, session_id, card.id, card.model_dump_json(), _now(), "recording", answer_source,
                 str(audio) if answer_source != "text" else None, parent_id, prompt),
            )
        return aid, audio

    def mark(self, attempt_id: str, status: str, duration_s: float | None = None) -> None:
        with self._tx() as c:
            c.execute("UPDATE attempts SET status = ?, duration_s = COALESCE(?, duration_s) WHERE id = ?", (status, duration_s, attempt_id))

    def save_result(self, result: AttemptResult) -> None:
        if not result.attempt_id:
            raise StoreError("a result must belong to an attempt")
        d = result.delivery
        with self._tx() as c:
            c.execute(
                "INSERT INTO results (attempt_id, created_at, judge_kind, judge_model, prompt_version, overall, coverage, words_per_minute, filler_count, record_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (result.attempt_id, _now(), result.judge.kind, result.judge.model, result.judge.prompt_version, result.scores.overall,
                 result.scores.coverage, d.words_per_minute if d else None, d.filler_count if d else None, result.model_dump_json()),
            )
            c.execute("UPDATE attempts SET status = 'scored', duration_s = COALESCE(?, duration_s) WHERE id = ?",
                      (d.duration_s if d else None, result.attempt_id))

    # ------------------------------------------------------------------- reads

    def attempt(self, attempt_id: str) -> sqlite3.Row | None:
        return self._conn.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()

    def find(self, ref: str) -> tuple[str, str]:
        """An attempt or session id, or a unique prefix of one -> (kind, id)."""
        for kind, table in (("attempt", "attempts"), ("session", "sessions")):
            rows = self._conn.execute(f"SELECT id FROM {table} WHERE id = ? OR id LIKE ?", (ref, ref + "%")).fetchall()
            exact = [r[0] for r in rows if r[0] == ref]
            if exact or len(rows) == 1:
                return kind, (exact or [rows[0][0]])[0]
            if len(rows) > 1:
                raise StoreError(f"{ref!r} matches {len(rows)} {table}; give more of the id")
        raise StoreError(f"no attempt or session {ref!r}", hint="'voicecoach history' lists them.")

    def session_attempts(self, session_id: str) -> list[sqlite3.Row]:
        return self._conn.execute("SELECT * FROM attempts WHERE session_id = ? ORDER BY created_at, rowid", (session_id,)).fetchall()

    def sessions(self, limit: int = 100) -> list[sqlite3.Row]:
        return self._conn.execute(
            "SELECT s.*, COUNT(a.id) AS n FROM sessions s LEFT JOIN attempts a ON a.session_id = s.id GROUP BY s.id ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
            (limit,),
        ).fetchall()

    def latest_result(self, attempt_id: str) -> AttemptResult | None:
        row = self._conn.execute("SELECT record_json FROM results WHERE attempt_id = ? ORDER BY id DESC LIMIT 1", (attempt_id,)).fetchone()
        return AttemptResult.model_validate(json.loads(row[0])) if row else None

    def card_of(self, attempt_id: str) -> Card:
        row = self.attempt(attempt_id)
        if row is None:
            raise StoreError(f"no attempt {attempt_id!r}")
        return Card.model_validate_json(row["card_json"])

    def end_session(self, session_id: str) -> None:
        with self._tx() as c:
            c.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (_now(), session_id))

    def delete(self, attempt_ids: list[str], session_ids: list[str] = ()) -> int:
        """Delete attempts (and their audio) and sessions. Returns files removed."""
        paths = []
        with self._tx() as c:
            for sid in session_ids:
                attempt_ids = attempt_ids + [r[0] for r in c.execute("SELECT id FROM attempts WHERE session_id = ?", (sid,))]
            for aid in attempt_ids:
                row = c.execute("SELECT audio_path FROM attempts WHERE id = ?", (aid,)).fetchone()
                if row and row[0]:
                    paths.append(Path(row[0]))
                c.execute("DELETE FROM results WHERE attempt_id = ?", (aid,))
                c.execute("DELETE FROM attempts WHERE id = ? OR parent_id = ?", (aid, aid))
            for sid in session_ids:
                c.execute("DELETE FROM sessions WHERE id = ?", (sid,))
            # sessions left without attempts go too
            c.execute("DELETE FROM sessions WHERE id NOT IN (SELECT DISTINCT session_id FROM attempts)")
        removed = 0
        for p in paths:
            try:
                p.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def export(self) -> dict:
        out = {"schema_version": self.schema_version(), "sessions": []}
        for s in self._conn.execute("SELECT * FROM sessions ORDER BY started_at, id").fetchall():
            sess = dict(s)
            sess["attempts"] = []
            for a in self.session_attempts(s["id"]):
                att = {k: a[k] for k in a.keys() if k != "card_json"}
                att["card"] = json.loads(a["card_json"])
                att["results"] = [r.model_dump(mode="json") for r in self.results(a["id"])]
                sess["attempts"].append(att)
            out["sessions"].append(sess)
        return out

    def results(self, attempt_id: str) -> list[AttemptResult]:
        rows = self._conn.execute("SELECT record_json FROM results WHERE attempt_id = ? ORDER BY id", (attempt_id,)).fetchall()
        return [AttemptResult.model_validate(json.loads(r[0])) for r in rows]

    def attempts(self, card_id: str | None = None, limit: int = 200) -> list[sqlite3.Row]:
        sql = (
            "SELECT a.*, r.overall, r.coverage, r.words_per_minute, r.filler_count, r.judge_kind FROM attempts a "
            "LEFT JOIN results r ON r.id = (SELECT MAX(id) FROM results WHERE attempt_id = a.id) "
        )
        args: tuple = ()
        if card_id:
            sql += "WHERE a.card_id = ? "
            args = (card_id,)
        sql += "ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?"
        return self._conn.execute(sql, args + (limit,)).fetchall()
