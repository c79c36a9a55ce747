"""The register: an SQLite database of rounds, final decisions and violations over the years.

Created on first use in the working folder as ``xlsxflow-register.sqlite3``
(``--register PATH`` or ``XLSXFLOW_REGISTER`` choose another).  The schema is
versioned (``PRAGMA user_version``) and migrated when opened; every write is one
transaction (:mod:`xlsxflow.sqlitedb`), so ``kill -9`` leaves the last committed
state and two processes writing at once take turns.

Units and people are matched across rounds by their id only.  A changed name
under a known id, or a known name under a new id, is reported
(``register-name-changed``, ``register-same-name-new-id``), never merged.
Nothing is deleted: a revoked award or a withdrawn violation keeps its row and
gains a revocation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..messages import Issue, XlsxflowError, make_issue
from ..sqlitedb import connect, migrate, schema_version, write
from .model import (
    KIND_LABELS,
    PERSON,
    UNIT,
    Decision,
    DecisionRecord,
    History,
    Revocation,
    RoundRecord,
    Subject,
    Violation,
)
from .period import Period

DEFAULT_FILE = "xlsxflow-register.sqlite3"
ENV_VAR = "XLSXFLOW_REGISTER"

MIGRATIONS: tuple[str, ...] = (
    # 1: rounds, decisions, violations and revocations
    """
    CREATE TABLE rounds (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        forms TEXT NOT NULL,
        period TEXT NOT NULL,
        status TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        round_id TEXT NOT NULL REFERENCES rounds(id),
        period TEXT NOT NULL,
        form TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        subject_kind TEXT NOT NULL CHECK (subject_kind IN ('unit', 'person')),
        name TEXT NOT NULL,
        unit_id TEXT NOT NULL DEFAULT '',
        score REAL,
        band TEXT NOT NULL DEFAULT '',
        stars INTEGER,
        award TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL,
        UNIQUE (round_id, form, subject_id)
    );
    CREATE TABLE violations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subject_id TEXT NOT NULL,
        subject_kind TEXT NOT NULL CHECK (subject_kind IN ('unit', 'person')),
        name TEXT NOT NULL,
        unit_id TEXT NOT NULL DEFAULT '',
        date TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE revocations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target TEXT NOT NULL CHECK (target IN ('decision', 'violation')),
        target_id INTEGER NOT NULL,
        date TEXT NOT NULL,
        reason TEXT NOT NULL,
        violation_id INTEGER REFERENCES violations(id),
        source TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL,
        UNIQUE (target, target_id)
    );
    CREATE INDEX decisions_by_subject ON decisions(subject_id, period);
    CREATE INDEX violations_by_subject ON violations(subject_id);
    CREATE INDEX violations_by_unit ON violations(unit_id);
    """,
    # 2: the units and people themselves, with every name seen under each id
    """
    CREATE TABLE subjects (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        unit_id TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE subject_names (
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        name TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (subject_id, name)
    );
    CREATE INDEX subjects_by_name ON subjects(name);
    INSERT INTO subjects (id, kind, name, unit_id)
        SELECT d.subject_id, d.subject_kind, d.name, d.unit_id FROM decisions d
        WHERE d.id = (SELECT MAX(id) FROM decisions WHERE subject_id = d.subject_id);
    INSERT OR IGNORE INTO subjects (id, kind, name, unit_id)
        SELECT subject_id, subject_kind, name, unit_id FROM violations;
    INSERT OR IGNORE INTO subject_names (subject_id, name, first_seen)
        SELECT subject_id, name, MIN(period) FROM decisions GROUP BY subject_id, name;
    INSERT OR IGNORE INTO subject_names (subject_id, name, first_seen)
        SELECT subject_id, name, MIN(date) FROM violations GROUP BY subject_id, name;
    """,
    # 3: what ingest has read (register/readcache.py)
    """
    CREATE TABLE ingest_cache (
        context TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        path TEXT NOT NULL,
        record BLOB NOT NULL,
        mac TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        PRIMARY KEY (context, sha256, path)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_path() -> Path:
    """The register of the working folder (``XLSXFLOW_REGISTER`` when set)."""
    import os

    return Path(os.environ.get(ENV_VAR) or DEFAULT_FILE)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class RecordResult:
    """What a write recorded, and what it noticed (name changes …)."""

    count: int = 0
    rounds: int = 0
    issues: list[Issue] = field(default_factory=list)
    skipped: int = 0  # candidates not recorded (no id of their own)


def open_register(path: str | Path | None = None, *, create: bool = True) -> Register:
    """The register at ``path`` (default: ``xlsxflow-register.sqlite3`` here), created if new.

    ``create=False``: a missing register is an error (``register-missing``), for
    the commands that only read it.
    """
    path = default_path() if path is None else Path(path)
    if not create and not path.is_file():
        raise XlsxflowError(make_issue("register-missing", path=str(path)))
    return Register(path)


class Register:
    """Rounds, decisions and violations across periods (one SQLite file)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = connect(self.path)
            migrate(self._conn, MIGRATIONS)
        except ValueError:
            found = schema_version(self._conn)
            self._conn.close()
            raise XlsxflowError(
                make_issue(
                    "register-newer", path=str(self.path), found=found, supported=SCHEMA_VERSION
                )
            ) from None
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc) from None

    # -- life cycle ------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def version(self) -> int:
        return schema_version(self._conn)

    def _error(self, exc: Exception) -> XlsxflowError:
        return XlsxflowError(make_issue("register-unreadable", path=str(self.path), detail=exc))

    def _query(self, sql: str, args: Iterable = ()) -> list[sqlite3.Row]:
        try:
            with closing(self._conn.cursor()) as cur:
                cur.row_factory = sqlite3.Row
                return cur.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    # -- rounds and decisions -------------------------------------------------------

    def record_round(
        self,
        round_id: str,
        title: str,
        forms: Iterable[str],
        period: Period | str,
        status: str = "published",
    ) -> RoundRecord:
        """Record a round (or add forms to it and update its title and status)."""
        period = Period.parse(period) if isinstance(period, str) else period
        try:
            with write(self._conn) as conn:
                self._put_round(conn, round_id, title, forms, period, status)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return self.round(round_id)

    def _put_round(self, conn, round_id, title, forms, period: Period, status) -> None:
        row = conn.execute("SELECT forms FROM rounds WHERE id = ?", (round_id,)).fetchone()
        known = json.loads(row[0]) if row else []
        merged = list(dict.fromkeys([*known, *forms]))
        conn.execute(
            "INSERT INTO rounds (id, title, forms, period, status, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " title = excluded.title, forms = excluded.forms, status = excluded.status",
            (round_id, title, json.dumps(merged, ensure_ascii=False), period.label, status, _now()),
        )

    def round(self, round_id: str) -> RoundRecord | None:
        rows = self._query("SELECT * FROM rounds WHERE id = ?", (round_id,))
        return _round(rows[0]) if rows else None

    def rounds(self) -> list[RoundRecord]:
        rows = self._query("SELECT * FROM rounds")
        return sorted((_round(r) for r in rows), key=lambda r: (r.period, r.id))

    def record_decisions(
        self, round_id: str, period: Period | str, decisions: Iterable[Decision]
    ) -> RecordResult:
        """Record a round's final decisions in one transaction (again: the same rows updated).

        The round is created when unknown (title = its id).  Returns the count
        and the name issues noticed.
        """
        period = Period.parse(period) if isinstance(period, str) else period
        decisions = list(decisions)
        result = RecordResult()
        try:
            with write(self._conn) as conn:
                known = self.round(round_id)
                if known and known.period != period:
                    raise XlsxflowError(
                        make_issue(
                            "register-import-round-period",
                            round_id=round_id,
                            expected=known.period.label,
                            found=period.label,
                        )
                    )
                forms = list(dict.fromkeys(d.form for d in decisions))
                title = known.title if known else round_id
                self._put_round(
                    conn, round_id, title, forms, period, known.status if known else "published"
                )
                seen: dict[str, tuple[str, str]] = {}
                for d in decisions:
                    result.issues += self._note_subject(conn, d, period.label, seen)
                    self._put_decision(conn, round_id, period, d)
                    result.count += 1
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        result.rounds = 1
        return result

    def _put_decision(self, conn, round_id: str, period: Period, d: Decision) -> None:
        conn.execute(
            "INSERT INTO decisions (round_id, period, form, subject_id, subject_kind, name,"
            " unit_id, score, band, stars, award, title, source, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (round_id, form, subject_id) DO UPDATE SET"
            " period = excluded.period, subject_kind = excluded.subject_kind,"
            " name = excluded.name, unit_id = excluded.unit_id, score = excluded.score,"
            " band = excluded.band, stars = excluded.stars, award = excluded.award,"
            " title = excluded.title, source = excluded.source",
            (
                round_id,
                period.label,
                d.form,
                d.subject_id,
                d.subject_kind,
                d.name,
                d.unit_id,
                d.score,
                d.band,
                d.stars,
                d.award,
                d.title,
                d.source,
                _now(),
            ),
        )

    def _note_subject(
        self, conn, d: Decision | Violation, when: str, seen: dict[str, tuple[str, str]]
    ) -> list[Issue]:
        """Record the unit or person; report a new name under its id or its name under a new id."""
        kind_label = KIND_LABELS[d.subject_kind]
        issues: list[Issue] = []
        row = conn.execute(
            "SELECT kind, name FROM subjects WHERE id = ?", (d.subject_id,)
        ).fetchone()
        if row is None:
            others = conn.execute(
                "SELECT id FROM subjects WHERE name = ? AND kind = ? AND id != ? ORDER BY id LIMIT 5",
                (d.name, d.subject_kind, d.subject_id),
            ).fetchall()
            if others:
                issues.append(
                    make_issue(
                        "register-same-name-new-id",
                        kind=kind_label,
                        name=d.name,
                        id=d.subject_id,
                        other="、".join(o[0] for o in others),
                    )
                )
            conn.execute(
                "INSERT INTO subjects (id, kind, name, unit_id) VALUES (?, ?, ?, ?)",
                (d.subject_id, d.subject_kind, d.name, d.unit_id),
            )
        else:
            kind, name = row
            if kind != d.subject_kind:
                raise XlsxflowError(
                    make_issue(
                        "register-import-kind-changed",
                        id=d.subject_id,
                        known=KIND_LABELS[kind],
                        found=kind_label,
                    )
                )
            if name != d.name and seen.get(d.subject_id) != (name, d.name):
                seen[d.subject_id] = (name, d.name)
                issues.append(
                    make_issue(
                        "register-name-changed",
                        kind=kind_label,
                        id=d.subject_id,
                        old=name,
                        new=d.name,
                        period=when,
                    )
                )
            conn.execute(
                "UPDATE subjects SET name = ?, unit_id = CASE WHEN ? != '' THEN ? ELSE unit_id END"
                " WHERE id = ?",
                (d.name, d.unit_id, d.unit_id, d.subject_id),
            )
        conn.execute(
            "INSERT OR IGNORE INTO subject_names (subject_id, name, first_seen) VALUES (?, ?, ?)",
            (d.subject_id, d.name, when),
        )
        return issues

    def decisions(
        self, *, subject_id: str | None = None, form: str | None = None
    ) -> list[DecisionRecord]:
        """Recorded decisions (all, or one subject's or one form's), by period."""
        where, args = [], []
        if subject_id is not None:
            where.append("d.subject_id = ?")
            args.append(subject_id)
        if form is not None:
            where.append("d.form = ?")
            args.append(form)
        rows = self._query(
            "SELECT d.*, r.title AS round_title, v.id AS rev_id, v.date AS rev_date,"
            " v.reason AS rev_reason, v.violation_id AS rev_violation, v.source AS rev_source"
            " FROM decisions d JOIN rounds r ON r.id = d.round_id"
            " LEFT JOIN revocations v ON v.target = 'decision' AND v.target_id = d.id"
            + (" WHERE " + " AND ".join(where) if where else ""),
            args,
        )
        records = [_decision(r) for r in rows]
        return sorted(records, key=lambda r: (r.period, r.round_id, r.form, r.subject_id))

    # -- violations and revocations -------------------------------------------------------

    def add_violation(
        self,
        subject_id: str,
        when: date | str,
        kind: str,
        reason: str,
        source: str = "",
        *,
        name: str | None = None,
        subject_kind: str | None = None,
        unit_id: str | None = None,
    ) -> Violation:
        """Record a violation (违纪违法, 通报批评, 媒体曝光 …) of a unit or person.

        A subject the register does not know needs ``name`` and ``subject_kind``.
        """
        when = parse_date(when)
        try:
            with write(self._conn) as conn:
                known = conn.execute(
                    "SELECT kind, name, unit_id FROM subjects WHERE id = ?", (subject_id,)
                ).fetchone()
                if known is None and not (name and subject_kind):
                    raise XlsxflowError(make_issue("register-unknown-subject", id=subject_id))
                kind_, name_, unit_ = known or (subject_kind, name, unit_id or "")
                violation = Violation(
                    0,
                    subject_id,
                    subject_kind or kind_,
                    name or name_,
                    unit_id if unit_id is not None else unit_,
                    when,
                    kind,
                    reason,
                    source,
                )
                self._note_subject(conn, violation, when.isoformat(), {})
                cur = conn.execute(
                    "INSERT INTO violations (subject_id, subject_kind, name, unit_id, date, kind,"
                    " reason, source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        subject_id,
                        violation.subject_kind,
                        violation.name,
                        violation.unit_id,
                        when.isoformat(),
                        kind,
                        reason,
                        source,
                        _now(),
                    ),
                )
                new_id = cur.lastrowid
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return self.violation(new_id)

    def violation(self, violation_id: int) -> Violation | None:
        found = self.violations(ids=[violation_id])
        return found[0] if found else None

    def violations(
        self, *, subject_id: str | None = None, unit_id: str | None = None, ids=None
    ) -> list[Violation]:
        """Violations (all, a subject's, or those of a unit's people), by date."""
        where, args = [], []
        if subject_id is not None:
            where.append("x.subject_id = ?")
            args.append(subject_id)
        if unit_id is not None:
            where.append("x.unit_id = ? AND x.subject_id != ?")
            args += [unit_id, unit_id]
        if ids is not None:
            ids = list(ids)
            where.append(f"x.id IN ({','.join('?' * len(ids))})")
            args += ids
        rows = self._query(
            "SELECT x.*, v.id AS rev_id, v.date AS rev_date, v.reason AS rev_reason,"
            " v.violation_id AS rev_violation, v.source AS rev_source FROM violations x"
            " LEFT JOIN revocations v ON v.target = 'violation' AND v.target_id = x.id"
            + (" WHERE " + " AND ".join(where) if where else ""),
            args,
        )
        return sorted((_violation(r) for r in rows), key=lambda v: (v.date, v.id))

    def revoke(
        self,
        *,
        decision_id: int | None = None,
        violation_id: int | None = None,
        reason: str = "",
        because: int | None = None,
        when: date | str | None = None,
        source: str = "",
    ) -> Revocation:
        """Revoke an award (``decision_id``; ``because``: the violation) or withdraw a violation.

        The record stays; the revocation is added beside it, once.
        """
        if (decision_id is None) == (violation_id is None):
            raise ValueError("revoke: give decision_id or violation_id")
        target, target_id = (
            ("decision", decision_id) if decision_id is not None else ("violation", violation_id)
        )
        what = "评定结果" if target == "decision" else "违纪违规记录"
        day = parse_date(when) if when else date.today()
        try:
            with write(self._conn) as conn:
                table = "decisions" if target == "decision" else "violations"
                if not conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (target_id,)).fetchone():
                    raise XlsxflowError(
                        make_issue("register-unknown-record", id=target_id, what=what)
                    )
                if (
                    because is not None
                    and not conn.execute(
                        "SELECT 1 FROM violations WHERE id = ?", (because,)
                    ).fetchone()
                ):
                    raise XlsxflowError(
                        make_issue("register-unknown-record", id=because, what="违纪违规记录")
                    )
                old = conn.execute(
                    "SELECT date, reason FROM revocations WHERE target = ? AND target_id = ?",
                    (target, target_id),
                ).fetchone()
                if old:
                    raise XlsxflowError(
                        make_issue(
                            "register-already-revoked",
                            what=what,
                            id=target_id,
                            when=old[0],
                            reason=old[1],
                        )
                    )
                cur = conn.execute(
                    "INSERT INTO revocations (target, target_id, date, reason, violation_id,"
                    " source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (target, target_id, day.isoformat(), reason, because, source, _now()),
                )
                new_id = cur.lastrowid
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return Revocation(new_id, target, target_id, day, reason, because, source)

    def flagged_awards(self, violation: Violation):
        """The awards already given in the violation's period that it calls to revoke
        (:func:`xlsxflow.register.rules.awards_to_revoke`): the subject's own and,
        for a person, their unit's."""
        from .rules import awards_to_revoke

        records = self.decisions(subject_id=violation.subject_id)
        if violation.subject_kind == PERSON and violation.unit_id:
            records += self.decisions(subject_id=violation.unit_id)
        return awards_to_revoke(records, [violation])

    def revocations(self) -> list[Revocation]:
        rows = self._query("SELECT * FROM revocations ORDER BY id")
        return [
            Revocation(
                r["id"],
                r["target"],
                r["target_id"],
                date.fromisoformat(r["date"]),
                r["reason"],
                r["violation_id"],
                r["source"],
            )
            for r in rows
        ]

    # -- subjects and history -----------------------------------------------------------

    def subject(self, subject_id: str) -> Subject | None:
        rows = self._query("SELECT * FROM subjects WHERE id = ?", (subject_id,))
        if not rows:
            return None
        names = self._query(
            "SELECT name FROM subject_names WHERE subject_id = ? ORDER BY first_seen, rowid",
            (subject_id,),
        )
        r = rows[0]
        return Subject(r["id"], r["kind"], r["name"], r["unit_id"], tuple(n[0] for n in names))

    def subjects(self) -> list[Subject]:
        return [self.subject(r[0]) for r in self._query("SELECT id FROM subjects ORDER BY id")]

    def ids_named(self, name: str) -> list[str]:
        rows = self._query(
            "SELECT DISTINCT subject_id FROM subject_names WHERE name = ? ORDER BY subject_id",
            (name,),
        )
        return [r[0] for r in rows]

    def history(self, subject_id: str) -> History:
        """All the register holds about one unit or person (and its unit, or its people)."""
        subject = self.subject(subject_id)
        if subject is None:
            ids = self.ids_named(subject_id)
            hint = (
                make_issue("history-unknown-hint", name=subject_id, ids="、".join(ids)).message
                if ids
                else ""
            )
            raise XlsxflowError(make_issue("history-unknown", id=subject_id, hint=hint))
        hist = History(
            subject,
            self.decisions(subject_id=subject_id),
            self.violations(subject_id=subject_id),
        )
        if subject.kind == PERSON and subject.unit_id:
            hist.unit = self.subject(subject.unit_id)
            hist.unit_decisions = self.decisions(subject_id=subject.unit_id)
        if subject.kind == UNIT:
            hist.member_violations = self.violations(unit_id=subject_id)
        return hist

    def counts(self) -> dict[str, int]:
        """How many rounds, decisions, violations and revocations the register holds."""
        return {
            table: self._query(f"SELECT COUNT(*) FROM {table}")[0][0]
            for table in ("rounds", "decisions", "violations", "revocations")
        }

    # -- files -------------------------------------------------------------------------------

    def import_rows(
        self,
        path: str | Path,
        *,
        skip_bad: bool = False,
        progress: Callable[[int], None] | None = None,
    ):
        """Load past results from a CSV or xlsx file (see :mod:`xlsxflow.register.importer`)."""
        from .importer import import_rows

        return import_rows(self, Path(path), skip_bad=skip_bad, progress=progress)

    def export_xlsx(self, path: str | Path) -> Path:
        """Everything in the register as a print-ready Chinese workbook."""
        from .export import export_xlsx

        return export_xlsx(self, Path(path))


def parse_date(value: date | str) -> date:
    """A date as 2026-05-20 (or 2026/5/20, 2026年5月20日, 2026.5.20)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    import re

    text = re.sub(r"[年月/.]", "-", str(value).strip()).removesuffix("日")
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise XlsxflowError(make_issue("register-bad-date", value=value)) from None


def _round(r: sqlite3.Row) -> RoundRecord:
    return RoundRecord(
        r["id"],
        r["title"],
        tuple(json.loads(r["forms"])),
        Period.parse(r["period"]),
        r["status"],
        r["recorded_at"],
    )


def _revocation(r: sqlite3.Row, target: str, target_id: int) -> Revocation | None:
    if r["rev_id"] is None:
        return None
    return Revocation(
        r["rev_id"],
        target,
        target_id,
        date.fromisoformat(r["rev_date"]),
        r["rev_reason"],
        r["rev_violation"],
        r["rev_source"],
    )


def _decision(r: sqlite3.Row) -> DecisionRecord:
    d = Decision(
        subject_id=r["subject_id"],
        name=r["name"],
        form=r["form"],
        subject_kind=r["subject_kind"],
        unit_id=r["unit_id"],
        score=r["score"],
        band=r["band"],
        stars=r["stars"],
        award=r["award"],
        title=r["title"],
        source=r["source"],
    )
    return DecisionRecord(
        r["id"],
        r["round_id"],
        Period.parse(r["period"]),
        d,
        r["round_title"],
        _revocation(r, "decision", r["id"]),
    )


def _violation(r: sqlite3.Row) -> Violation:
    return Violation(
        r["id"],
        r["subject_id"],
        r["subject_kind"],
        r["name"],
        r["unit_id"],
        date.fromisoformat(r["date"]),
        r["kind"],
        r["reason"],
        r["source"],
        _revocation(r, "violation", r["id"]),
    )
