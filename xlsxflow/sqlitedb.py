"""The SQLite conventions xlsxflow's databases share (the accepted ledger, the register).

Standard library ``sqlite3`` only.  A connection waits for another process's
write instead of failing (busy timeout); every write is one ``BEGIN IMMEDIATE``
transaction, so two processes writing at once take turns and neither loses a
row, and ``kill -9`` in the middle leaves the last committed state.  A schema is
a list of migrations numbered by ``PRAGMA user_version`` and applied on open,
each in its own transaction.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 60.0


def connect(path: str | Path, *, wal: bool = True, timeout: float = BUSY_TIMEOUT_S):
    """A connection to ``path`` that waits ``timeout`` seconds for other writers.

    ``wal``: write-ahead logging, so readers never block the writer and a crash
    leaves the last committed transaction (the database file gets ``-wal`` and
    ``-shm`` companions while open).
    """
    conn = sqlite3.connect(path, timeout=timeout)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    if wal:
        # Switching a new file to WAL needs it alone for a moment: a second process
        # opening it at that instant gets "database is locked" without SQLite's busy
        # wait (seen when two imports start together), so that step waits here.
        _patiently(lambda: conn.execute("PRAGMA journal_mode = WAL"), timeout)
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _patiently(step, timeout: float = BUSY_TIMEOUT_S):
    """``step()``, tried again while another process holds the database (up to ``timeout``).

    SQLite's own busy handler sleeps whole seconds where the library was built
    without ``usleep`` (documented for ``sqlite3_busy_timeout`` builds), and some
    steps do not call it at all, so the wait is ours: 2–50 ms steps, with jitter.
    """
    deadline, pause = time.monotonic() + timeout, 0.002
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))
        pause = min(pause * 2, 0.05)


def _begin(conn: sqlite3.Connection, timeout: float = BUSY_TIMEOUT_S) -> None:
    """``BEGIN IMMEDIATE``, waiting for another process's write in short steps."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        _patiently(lambda: conn.execute("BEGIN IMMEDIATE"), timeout)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``): all of it or none."""
    _begin(conn)
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, migrations: Sequence[str]) -> int:
    """Apply the migrations past the database's ``user_version``; return the new version.

    Migration *i* (0-based) takes the schema from version *i* to *i + 1*.  Each
    runs in its own transaction with the version bump, and the version is read
    again inside it, so two processes opening a new database at once apply each
    step once.  A database newer than this xlsxflow is left alone (ValueError).
    """
    if _patiently(lambda: schema_version(conn)) > len(migrations):
        raise ValueError(f"schema version {schema_version(conn)} > {len(migrations)}")
    while (version := schema_version(conn)) < len(migrations):
        with write(conn):
            if schema_version(conn) != version:  # another process got there first
                continue
            for statement in _statements(migrations[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    """The statements of a migration script (executescript would commit the transaction)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
