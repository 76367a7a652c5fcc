"""Sessions on disk: SQLite (stdlib) with numbered migrations, audio files
beside it. The only module that touches SQLite.

An attempt row is written *before* recording starts (status 'recording'), so
an interrupted answer keeps its audio and its row; scoring adds a result row
(several per attempt when rescored) and marks the attempt 'scored'.

The database runs in WAL mode, so reading never waits for a writer. Every open
checks the file (``PRAGMA quick_check``): a damaged file is refused with
DatabaseCorrupt before anything is written to it (store_recovery.py reads what
it can, read-only). A write that cannot get the lock within the busy timeout
is DatabaseLocked; a score that could not be saved that way is kept as a JSON
file under ``pending/`` and saved by the next open."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from voicecoach.errors import DatabaseCorrupt, DatabaseLocked, Step, StoreError
from voicecoach.models import AttemptResult, Card

# A voicecoach write takes milliseconds; 10 s rides out a slow disk or another
# voicecoach's commit, but not a process that holds the lock indefinitely.
BUSY_TIMEOUT_S = 10.0

REPAIR_HINT = "Nothing was written to it. Audio files are untouched."  # the step: Step("repair", {"name": ...})

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
    # 3: the text of a typed answer interrupted before it was scored (nothing typed is lost)
    """
    ALTER TABLE attempts ADD COLUMN answer_text TEXT;
    """,
    # 4: interview plans (store_plans.py); a session run from a plan names it
    """
    CREATE TABLE plans (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        role TEXT NOT NULL,
        plan_json TEXT NOT NULL
    );
    ALTER TABLE sessions ADD COLUMN plan_name TEXT;
    CREATE INDEX sessions_plan ON sessions(plan_name);
    """,
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id(prefix: str) -> str:
    return f"{prefix}{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def _kind(exc: sqlite3.DatabaseError) -> str:
    """'locked', 'corrupt' or 'other', from SQLite's error code (Python 3.11+)
    or, failing that, its message."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text or "database table is locked" in text:
        return "locked"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or any(w in text for w in ("malformed", "not a database", "could not decode")):
        return "corrupt"
    return "other"


def connect_ro(path: Path, timeout_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A read-only connection: nothing is ever written to the file. A WAL-mode
    file with no WAL file beside it has no other connection open, so it is
    read as immutable: SQLite then creates no -wal/-shm file next to it."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        header = b""
    immutable = len(header) == 20 and header[18] == 2 and not path.with_name(path.name + "-wal").exists()
    uri = path.resolve().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
    conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only = ON")
    return conn


def _quick_check(conn: sqlite3.Connection) -> str:
    """'ok', or SQLite's first complaint in a few words."""
    row = conn.execute("PRAGMA quick_check(1)").fetchone()  # reads every page: ~40 ms for a 50 MB database
    return " ".join(str(row[0]).replace("*** in database main ***", "").split())[:160]


class Store:
    def __init__(self, db_path: Path, audio_dir: Path, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.db_path = Path(db_path)
        self.audio_dir = Path(audio_dir)
        self.busy_timeout_s = busy_timeout_s
        self._refusal: StoreError | None = None  # set on a read-only copy: every write raises it
        self.salvage = None  # on a read-only copy of a damaged database: what was read (store_recovery.Salvage)
        checked = self._check_read_only()
        try:
            old = os.umask(0o077)
            try:
                self.audio_dir.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(str(self.db_path), timeout=busy_timeout_s, isolation_level=None)
            finally:
                os.umask(old)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc, "open") from exc
        except OSError as exc:
            raise StoreError(f"cannot use the data directory {self.db_path.parent}: {exc.strerror or exc}",
                             hint="Set VOICECOACH_HOME to a writable directory.") from exc
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            if not checked:
                self._check()
            self._use_wal()
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise self._error(exc, "open") from exc
        except StoreError:
            self._conn.close()
            raise
        from voicecoach.store.pending import save_pending

        save_pending(self)

    @classmethod
    def over(cls, conn: sqlite3.Connection, db_path: Path, audio_dir: Path) -> "Store":
        """A store over an open connection (an in-memory or new database),
        with the schema created. Used by store_recovery."""
        self = cls.__new__(cls)
        self.db_path, self.audio_dir, self.busy_timeout_s = Path(db_path), Path(audio_dir), BUSY_TIMEOUT_S
        self._refusal, self.salvage = None, None
        self._conn = conn
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        self.migrate()
        return self

    def refuse_writes(self, error: StoreError) -> None:
        """Make this store read-only: every write raises ``error``."""
        self._refusal = error

    def _check_read_only(self) -> bool:
        """Refuse a damaged file before a read-write connection could write to
        it (even a checkpoint on close). False if this could not tell (say, a
        crash left a journal only a read-write open can roll back)."""
        if not self.db_path.is_file() or self.db_path.stat().st_size == 0:
            return False
        try:
            conn = connect_ro(self.db_path, self.busy_timeout_s)
            try:
                verdict = _quick_check(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            if _kind(exc) == "other":
                return False
            raise self._error(exc, "open") from exc
        if verdict != "ok":
            raise self._corrupt(verdict)
        return True

    def _check(self) -> None:
        verdict = _quick_check(self._conn)
        if verdict != "ok":
            raise self._corrupt(verdict)

    def _use_wal(self) -> None:
        """WAL lets readers go on while another process writes. The mode is
        kept in the file; if another connection is busy, try again next time."""
        if self._conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        with self.waiting_at_most(0):
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError:
                pass

    @contextmanager
    def waiting_at_most(self, seconds: float):
        """In this block, give up after ``seconds`` when another process holds the lock."""
        self._conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")

    def _corrupt(self, detail: str) -> DatabaseCorrupt:
        return DatabaseCorrupt(f"cannot open the session database {self.db_path}: the file is damaged ({detail})",
                               hint=REPAIR_HINT, step=Step("repair", {"name": self.db_path.name}), detail=detail)

    def _error(self, exc: sqlite3.DatabaseError, action: str) -> StoreError:
        """Map SQLite's exception for ``action`` ('open', 'read' or 'save')."""
        kind = _kind(exc)
        waited = f"waited {self.busy_timeout_s:g} s"
        if kind == "locked" and action == "save":
            return DatabaseLocked(f"could not save to {self.db_path}: another voicecoach (or another program) is writing to it ({waited})",
                                  hint="Nothing was written and nothing saved before is lost; try again when the other one has finished.")
        if kind == "locked":
            return DatabaseLocked(f"cannot read the session database {self.db_path}: another program holds a lock on it ({waited})",
                                  hint="Nothing was changed; try again when the other voicecoach (or a sqlite3 shell, a backup tool) has finished.")
        if kind == "corrupt":
            m = re.search(r"decode to UTF-8 column '(\w+)'", str(exc))  # never quote the row's text: it is private
            return self._corrupt(f"damaged text in column {m.group(1)}" if m else str(exc)[:160])
        if action == "save":
            return StoreError(f"could not save to {self.db_path}: {exc}", hint="Is the disk full or read-only?")
        return StoreError(f"cannot open the session database {self.db_path}: {exc}",
                          hint="Check that the file and its folder are readable and writable by you.")

    @contextmanager
    def _tx(self):
        if self._refusal is not None:
            raise self._refusal
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.DatabaseError:
                    pass  # SQLite already rolled back
                raise
            self._conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise self._error(exc, "save") from exc

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._error(exc, "read") from exc

    def _record(self, text: str, attempt_id: str) -> AttemptResult:
        try:
            return AttemptResult.model_validate(json.loads(text))
        except ValueError as exc:  # JSON or validation: the row's bytes are damaged
            raise self._corrupt(f"a saved result of attempt {attempt_id} is unreadable") from exc

    def parse_card(self, row: sqlite3.Row) -> Card:
        """The card saved with an attempt row."""
        try:
            return Card.model_validate_json(row["card_json"])
        except ValueError as exc:
            raise self._corrupt(f"the card saved with attempt {row['id']} is unreadable") from exc

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

    def new_session(self, mode: str, plan: str | None = None) -> str:
        sid = new_id("s")
        with self._tx() as c:
            c.execute("INSERT INTO sessions (id, started_at, mode, plan_name) VALUES (?, ?, ?, ?)", (sid, _now(), mode, plan))
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

    def keep_text(self, attempt_id: str, text: str) -> None:
        """Keep the text of a typed answer that was not scored (interrupted)."""
        with self._tx() as c:
            c.execute("UPDATE attempts SET answer_text = ? WHERE id = ?", (text, attempt_id))

    def mark(self, attempt_id: str, status: str, duration_s: float | None = None) -> None:
        with self._tx() as c:
            c.execute("UPDATE attempts SET status = ?, duration_s = COALESCE(?, duration_s) WHERE id = ?", (status, duration_s, attempt_id))

    def save_result(self, result: AttemptResult) -> None:
        """Save a score. If another process holds the lock past the busy
        timeout, the score is kept under pending/ (saved by the next open)
        and DatabaseLocked says where."""
        if not result.attempt_id:
            raise StoreError("a result must belong to an attempt")
        try:
            self.insert_result(result, _now())
        except DatabaseLocked as exc:
            from voicecoach.store.pending import keep_pending

            kept = keep_pending(self, result)
            if kept is None:
                raise
            raise DatabaseLocked(exc.message, hint=f"The score of attempt {result.attempt_id} is kept in {kept} and will be "
                                 "saved the next time voicecoach opens the database; nothing is lost.") from exc

    def insert_result(self, result: AttemptResult, created_at: str) -> None:
        d = result.delivery
        with self._tx() as c:
            c.execute(
                "INSERT INTO results (attempt_id, created_at, judge_kind, judge_model, prompt_version, overall, coverage, words_per_minute, filler_count, record_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (result.attempt_id, created_at, result.judge.kind, result.judge.model, result.judge.prompt_version, result.scores.overall,
                 result.scores.coverage, d.words_per_minute if d else None, d.filler_count if d else None, result.model_dump_json()),
            )
            c.execute("UPDATE attempts SET status = 'scored', duration_s = COALESCE(?, duration_s) WHERE id = ?",
                      (d.duration_s if d else None, result.attempt_id))

    def fill(self, rows: dict[str, list[dict]]) -> None:
        """Insert whole rows (the columns this schema has) in one transaction:
        store_recovery filling a new database."""
        with self._tx() as c:
            c.execute("PRAGMA defer_foreign_keys = ON")
            for table, items in rows.items():
                columns = [r[1] for r in c.execute(f"PRAGMA table_info({table})")]
                for row in items:
                    keys = [k for k in columns if k in row]
                    c.execute(f"INSERT INTO {table} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})", [row[k] for k in keys])

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

    # ------------------------------------------------------------------- reads

    def attempt(self, attempt_id: str) -> sqlite3.Row | None:
        rows = self._read("SELECT * FROM attempts WHERE id = ?", (attempt_id,))
        return rows[0] if rows else None

    def find(self, ref: str) -> tuple[str, str]:
        """An attempt or session id, or a unique prefix of one -> (kind, id)."""
        for kind, table in (("attempt", "attempts"), ("session", "sessions")):
            rows = self._read(f"SELECT id FROM {table} WHERE id = ? OR id LIKE ?", (ref, ref + "%"))
            exact = [r[0] for r in rows if r[0] == ref]
            if exact or len(rows) == 1:
                return kind, (exact or [rows[0][0]])[0]
            if len(rows) > 1:
                raise StoreError(f"{ref!r} matches {len(rows)} {table}; give more of the id")
        raise StoreError(f"no attempt or session {ref!r}", step=Step("list_history"))

    def session_attempts(self, session_id: str) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM attempts WHERE session_id = ? ORDER BY created_at, rowid", (session_id,))

    def sessions(self, limit: int = 100) -> list[sqlite3.Row]:
        return self._read(
            "SELECT s.*, COUNT(a.id) AS n FROM sessions s LEFT JOIN attempts a ON a.session_id = s.id GROUP BY s.id ORDER BY s.started_at DESC, s.rowid DESC LIMIT ?",
            (limit,),
        )

    def latest_result(self, attempt_id: str) -> AttemptResult | None:
        rows = self._read("SELECT record_json FROM results WHERE attempt_id = ? ORDER BY id DESC LIMIT 1", (attempt_id,))
        return self._record(rows[0][0], attempt_id) if rows else None

    def card_of(self, attempt_id: str) -> Card:
        row = self.attempt(attempt_id)
        if row is None:
            raise StoreError(f"no attempt {attempt_id!r}")
        return self.parse_card(row)

    def export(self) -> dict:
        out = {"schema_version": self.schema_version(), "sessions": []}
        for s in self._read("SELECT * FROM sessions ORDER BY started_at, rowid"):
            sess = dict(s)
            sess["attempts"] = []
            for a in self.session_attempts(s["id"]):
                att = {k: a[k] for k in a.keys() if k != "card_json"}
                try:
                    att["card"] = json.loads(a["card_json"])
                except ValueError as exc:
                    raise self._corrupt(f"the card saved with attempt {a['id']} is unreadable") from exc
                att["results"] = [r.model_dump(mode="json") for r in self.results(a["id"])]
                sess["attempts"].append(att)
            out["sessions"].append(sess)
        return out

    def results(self, attempt_id: str) -> list[AttemptResult]:
        rows = self._read("SELECT record_json FROM results WHERE attempt_id = ? ORDER BY id", (attempt_id,))
        return [self._record(r[0], attempt_id) for r in rows]

    def attempts(self, card_id: str | None = None, limit: int = 200, main_only: bool = False, plan: str | None = None) -> list[sqlite3.Row]:
        """Attempts, newest first, with their latest score. ``main_only``
        leaves out follow-up answers (they belong to their attempt; tally.py);
        ``plan`` keeps the attempts of sessions run from that interview plan."""
        sql = (
            "SELECT a.*, r.overall, r.coverage, r.words_per_minute, r.filler_count, r.judge_kind, "
            "(SELECT COUNT(*) FROM attempts f WHERE f.parent_id = a.id) AS follow_ups FROM attempts a "
            "LEFT JOIN results r ON r.id = (SELECT MAX(id) FROM results WHERE attempt_id = a.id) "
        )
        where, args = [], ()
        if card_id:
            where.append("a.card_id = ?")
            args += (card_id,)
        if main_only:
            where.append("a.parent_id IS NULL")
        if plan:
            where.append("a.session_id IN (SELECT id FROM sessions WHERE plan_name = ?)")
            args += (plan,)
        if where:
            sql += "WHERE " + " AND ".join(where) + " "
        sql += "ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?"
        return self._read(sql, args + (limit,))
