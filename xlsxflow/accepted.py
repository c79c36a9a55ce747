"""What ingest accepted in each round, remembered so reviews can be made and checked.

``xlsxflow ingest`` records every accepted unit sheet of a round — its parsed
inputs and a hash of them — in an SQLite database beside the round records
(``xlsxflow-rounds/accepted.sqlite3``).  ``xlsxflow review generate`` builds the
reviewers' sheets from the latest ingest; ``xlsxflow review ingest`` rebuilds the
sheet a reviewer was given from the hash signed into it and compares it cell by
cell.  Every submission ever accepted stays (keyed by its hash), so a review made
before a unit resubmitted can still be checked — and named stale, since the
unit's latest accepted return has another hash.

SQLite (the standard library's) keeps each ingest's record in one transaction:
Ctrl-C or a crash leaves the previous record whole.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

from .messages import XlsxflowError, make_issue
from .round import ROUNDS_DIR
from .sqlitedb import connect, write
from .submission import Submission

LEDGER_FILE = "accepted.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    hash TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL,
    form_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    sheet TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ingests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id TEXT NOT NULL,
    returns_dir TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accepted (
    ingest_id INTEGER NOT NULL REFERENCES ingests(id),
    unit_id TEXT NOT NULL,
    form_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    sheet TEXT NOT NULL,
    file TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES submissions(hash)
);
CREATE INDEX IF NOT EXISTS ingests_by_round ON ingests(round_id, id);
CREATE INDEX IF NOT EXISTS accepted_by_ingest ON accepted(ingest_id);
"""


_FIELDS = tuple(f.name for f in fields(Submission))


def _plain(sub: Submission) -> dict:
    """A submission as JSON-ready data, in a fixed order (sets sorted).

    Its fields as they are: what ``dataclasses.asdict`` gives for a Submission (tables of
    plain values), without its deep copy of every value (10,000 returns: ~2 s less)."""
    data = {name: getattr(sub, name) for name in _FIELDS}
    data["not_applicable"] = sorted(sub.not_applicable)
    return data


def return_hash(sub: Submission) -> str:
    """16 hex digits that change whenever anything the unit entered on the sheet changes."""
    content = {k: v for k, v in _plain(sub).items() if k not in ("errors", "lang")}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _submission(text: str) -> Submission:
    data = json.loads(text)
    known = {f.name for f in fields(Submission)}
    data = {k: v for k, v in data.items() if k in known}
    data["not_applicable"] = set(data.get("not_applicable", ()))
    return Submission(**data)


@dataclass(frozen=True)
class AcceptedSheet:
    """One accepted unit sheet (a form slot) as the latest ingest read it."""

    unit_id: str
    form_id: str
    slot: int
    sheet: str
    file: str  # relative to the returns folder
    hash: str
    submission: Submission

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.unit_id, self.form_id, self.slot)


@dataclass(frozen=True)
class IngestRecord:
    round_id: str
    returns_dir: str
    ingested_at: str


class Ledger:
    """The accepted returns of the rounds run in one working directory."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def open(cls, workdir: str | Path = ".") -> Ledger:
        return cls(Path(workdir) / ROUNDS_DIR / LEDGER_FILE)

    def _connect(self, create: bool = False) -> sqlite3.Connection:
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(self.path)
        try:
            conn = connect(self.path, wal=False)
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise XlsxflowError(
                make_issue("ledger-unreadable", path=str(self.path), detail=exc)
            ) from None
        return conn

    def record(self, report, returns_dir: str | Path | None = None) -> int:
        """Remember the accepted sheets of one ingest (``IngestReport``); return their count."""
        sheets = [
            (rec.path, sub)
            for rec in report.files
            if rec.status == "accepted"
            for sub in rec.submissions
        ]
        where = str(returns_dir if returns_dir is not None else report.returns_dir)
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        try:
            with closing(self._connect(create=True)) as conn, write(conn):
                cur = conn.execute(
                    "INSERT INTO ingests (round_id, returns_dir, ingested_at) VALUES (?, ?, ?)",
                    (report.round_id, where, now),
                )
                ingest_id = cur.lastrowid
                for file, sub in sheets:
                    digest = return_hash(sub)
                    conn.execute(
                        "INSERT OR IGNORE INTO submissions VALUES (?, ?, ?, ?, ?, ?)",
                        (digest, sub.unit_id, sub.form_id, sub.slot, sub.sheet, _json(sub)),
                    )
                    conn.execute(
                        "INSERT INTO accepted VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (ingest_id, sub.unit_id, sub.form_id, sub.slot, sub.sheet, file, digest),
                    )
        except sqlite3.Error as exc:
            raise XlsxflowError(
                make_issue("ledger-unreadable", path=str(self.path), detail=exc)
            ) from None
        return len(sheets)

    def last_ingest(self, round_id: str) -> IngestRecord | None:
        """The latest ingest recorded for the round (None when there is none)."""
        row = self._one(
            "SELECT round_id, returns_dir, ingested_at FROM ingests"
            " WHERE round_id = ? ORDER BY id DESC LIMIT 1",
            (round_id,),
        )
        return IngestRecord(*row) if row else None

    def accepted(self, round_id: str) -> dict[tuple[str, str, int], AcceptedSheet]:
        """The sheets the latest ingest of the round accepted, by (unit, form, slot)."""
        rows = self._all(
            "SELECT a.unit_id, a.form_id, a.slot, a.sheet, a.file, a.hash, s.data"
            " FROM accepted a JOIN submissions s ON s.hash = a.hash"
            " WHERE a.ingest_id = (SELECT MAX(id) FROM ingests WHERE round_id = ?)"
            " ORDER BY a.rowid",
            (round_id,),
        )
        out = {}
        for unit_id, form_id, slot, sheet, file, digest, data in rows:
            sheet_ = AcceptedSheet(unit_id, form_id, slot, sheet, file, digest, _submission(data))
            out[sheet_.key] = sheet_
        return out

    def submission(self, digest: str) -> Submission | None:
        """Any submission ever accepted here, by its hash."""
        row = self._one("SELECT data FROM submissions WHERE hash = ?", (digest,))
        return _submission(row[0]) if row else None

    def snapshot(self, round_id: str) -> LedgerSnapshot:
        """The round's accepted returns in memory: every one ever accepted, and the latest.

        What the reader workers check reviewer returns against (plain data: it
        crosses into the worker processes).
        """
        rows = self._all(
            "SELECT DISTINCT s.hash, s.data FROM submissions s JOIN accepted a ON a.hash = s.hash"
            " JOIN ingests i ON i.id = a.ingest_id WHERE i.round_id = ?",
            (round_id,),
        )
        known = {digest: _submission(data) for digest, data in rows}
        return LedgerSnapshot(round_id, known, self.accepted(round_id))

    def _one(self, sql: str, args: Iterable) -> tuple | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _all(self, sql: str, args: Iterable) -> list[tuple]:
        try:
            with closing(self._connect()) as conn:
                return conn.execute(sql, tuple(args)).fetchall()
        except FileNotFoundError:
            return []
        except sqlite3.Error as exc:
            raise XlsxflowError(
                make_issue("ledger-unreadable", path=str(self.path), detail=exc)
            ) from None


def _json(sub: Submission) -> str:
    return json.dumps(_plain(sub), ensure_ascii=False, sort_keys=True)


@dataclass
class LedgerSnapshot:
    """A round's accepted returns, read once from the ledger (same queries as Ledger)."""

    round_id: str
    known: dict[str, Submission]  # every submission ever accepted in the round, by hash
    latest: dict[tuple[str, str, int], AcceptedSheet]  # the latest ingest's sheets

    def submission(self, digest: str) -> Submission | None:
        return self.known.get(digest)

    def accepted(self, round_id: str | None = None) -> dict[tuple[str, str, int], AcceptedSheet]:
        return self.latest if round_id in (None, self.round_id) else {}
