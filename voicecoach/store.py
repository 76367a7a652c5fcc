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

    def new_attempt(self, session_id: str, card: Card, answer_source: str) -> tuple[str, Path]:
        aid = new_id("a")
        audio = self.audio_dir / f"{aid}.wav"
        with self._tx() as c:
            c.execute(
                "INSERT INTO attempts (id, session_id, card_id, card_json, created_at, status, answer_source, audio_path) VALUES (?,?,?,?,?,?,?,?)",
                (aid, session_id, card.id, card.model_dump_json(), _now(), "recording", answer_source,
                 str(audio) if answer_source != "text" else None),
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
        sql += "ORDER BY a.created_at DESC, a.id DESC LIMIT ?"
        return self._conn.execute(sql, args + (limit,)).fetchall()
