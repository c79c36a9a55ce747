"""What ingest has read, remembered in the register so an unchanged file is not read again.

A file's result is reused when its bytes (SHA-256) and name are the same and so is
everything its reading depends on: the round id, the rubric or round content hash
(``signed_as``), the xlsxflow version, the key, the roster, the other rounds
recorded beside it and the reading limits.  Anything else re-reads it.  Reviewers'
returns are never cached: what they are checked against (the ledger) changes
without the file changing.  A read that timed out or crashed is not remembered.

Entries are :class:`~xlsxflow.ingest.FileRecord` objects (:func:`encode`), each with an
HMAC under the round's key over the entry and its row (context, SHA-256, name): an
entry changed in the database, or moved to another row, fails its check and the
file is read again (the register is never a way to run code).

Speed (issue 13: 10,000 unchanged returns re-ingested in at most 1 s): the entries of
the context are fetched in one query, each file is hashed with one open, fstat and
read, and the cyclic garbage collector is kept off the records while they are loaded
(:meth:`ReadCache.loading`).  What is left is mostly reading and hashing the bytes,
which reuse by SHA-256 needs, and building the records again from their stored form
(plain tuples, see :func:`encode`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import hmac
import marshal
import os
import pickle
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from stat import S_ISREG

from .. import __version__
from ..messages import Issue, Severity
from ..sqlitedb import write

NOT_REMEMBERED = {"file-timeout", "file-reader-crashed"}
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_ADVISE = getattr(os, "posix_fadvise", None)
AHEAD = 32  # files whose reading is asked of the disk ahead of the one being hashed


@functools.cache
def code_digest() -> str:
    """SHA-256 of xlsxflow's own modules (about 1 MB, read once a process): the version
    number alone would let a changed reader reuse what an older one read."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def context_digest(ctx, limits) -> str:
    """Everything besides the file that a file's reading depends on, as one digest."""
    from ..identity import key_id

    parts = [
        __version__,
        code_digest(),  # the reading code itself: a development build re-reads when it changes
        repr(_shape()),  # the stored form, and the fields of what is stored
        ctx.record.round_id if ctx.record else "",
        repr(ctx.signed_as),
        key_id(ctx.key),
        repr(list(ctx.roster)),
        repr(sorted((rid, r.title) for rid, r in ctx.other_rounds.items())),
        repr(sorted((rid, key_id(k)) for rid, k in ctx.other_keys.items())),
        repr(limits),
    ]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


# -- the stored form of a record ------------------------------------------------------------
#
# A record of plain values (the common case: a unit's workbook, accepted or not) is stored
# as marshal data of plain tuples, field by field: loading it builds the three kinds of
# object directly, a third faster than unpickling (10,000 records: ~75 ms against ~115 ms).
# Anything else (reviews, ballots, an issue field that is not a plain value …) is pickled.
# A record is stored plainly only when it comes back equal from that form.

_PLAIN, _PICKLED = b"M", b"P"
_LATER = ("issues", "submissions")  # FileRecord fields built from their own tuples


@functools.cache
def _shape() -> tuple[tuple[str, ...], ...]:
    """The field names of FileRecord, Submission and Issue, in the plain form's order."""
    from ..ingest import FileRecord
    from ..submission import Submission

    return (
        ("plain form", "1"),
        *(tuple(f.name for f in dataclasses.fields(c)) for c in (FileRecord, Submission, Issue)),
    )


def _fields(obj, kind: type, names: tuple[str, ...]) -> tuple:
    values = vars(obj)
    if type(obj) is not kind or len(values) != len(names):
        raise ValueError("not a plain record")
    return tuple(values[n] for n in names)


def _plain(record) -> tuple:
    from ..ingest import FileRecord
    from ..submission import Submission

    _, rec_names, sub_names, issue_names = _shape()
    if record.reviews or record.ballots:
        raise ValueError("not a plain record")
    values = _fields(record, FileRecord, rec_names)
    values = tuple(None if n in _LATER else v for n, v in zip(rec_names, values, strict=True))
    subs = tuple(_fields(s, Submission, sub_names) for s in record.submissions)
    issues = tuple(_fields(i, Issue, issue_names) for i in record.issues)
    severity = issue_names.index("severity")
    issues = tuple((*i[:severity], str(i[severity]), *i[severity + 1 :]) for i in issues)
    return values, subs, issues


def encode(record) -> bytes:
    """A record's stored form (see above)."""
    try:
        blob = _PLAIN + marshal.dumps(_plain(record))
        if decode(blob) == record:
            return blob
    except (ValueError, TypeError, KeyError):
        pass
    return _PICKLED + pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)


def decode(blob: bytes):
    """The record of a stored form (raises on anything else)."""
    from ..ingest import FileRecord
    from ..submission import Submission

    tag, body = blob[:1], blob[1:]
    if tag == _PICKLED:
        return pickle.loads(body)  # noqa: S301 - authenticated by the round's key
    if tag != _PLAIN:
        raise ValueError("unknown stored form")
    _, rec_names, sub_names, issue_names = _shape()
    values, subs, issues = marshal.loads(body)
    new = object.__new__
    submissions = []
    for fields in subs:
        sub = new(Submission)
        sub.__dict__ = dict(zip(sub_names, fields, strict=True))
        submissions.append(sub)
    found = []
    for fields in issues:
        issue = new(Issue)
        issue.__dict__ = dict(zip(issue_names, fields, strict=True))
        issue.severity = SEVERITY[issue.severity]
        found.append(issue)
    record = new(FileRecord)
    record.__dict__ = dict(zip(rec_names, values, strict=True))
    record.submissions, record.issues = submissions, found
    return record


SEVERITY = {str(s): s for s in Severity}


@dataclass
class ReadCache:
    """The register's memory of read files, for one ingest (see the module docstring)."""

    register: object  # xlsxflow.register.Register
    context: str
    key: bytes
    max_bytes: int
    known: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    new: list[tuple[str, str, bytes, str]] = field(default_factory=list)
    hits: int = 0

    def __post_init__(self) -> None:
        self.paths = {path for _, path in self.known}
        self._order: dict[str, int] = {}
        self._queue: list[str] = []
        self._asked = 0  # files of the queue opened and asked ahead so far
        self._opened: dict[str, int] = {}  # opened ahead, not yet hashed

    @classmethod
    def open(cls, register, ctx, limits) -> ReadCache | None:
        """The cache for ``ctx`` (None for reviewers' returns, which are never cached)."""
        if ctx.reviewing is not None:
            return None
        context = context_digest(ctx, limits)
        rows = register._query(
            "SELECT sha256, path, CAST(record AS BLOB), mac FROM ingest_cache WHERE context = ?",
            (context,),
        )
        known = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        return cls(register, context, ctx.key, limits.max_file_bytes, known)

    @contextlib.contextmanager
    def loading(self):
        """While the folder is walked and remembered records are loaded: no cyclic garbage
        collection, and what was loaded goes straight to the collector's oldest generation
        (``gc.freeze`` then ``gc.unfreeze``), where only its rare full passes look.
        10,000 records are ~250,000 objects that all stay alive: left young, the
        collector went over them again and again while they were loaded and scored, a
        fifth of a re-ingest.  Files to read are read later, in the workers: the pause only
        delays freeing what little cyclic garbage the walk itself may make."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            self._close_ahead()
            if enabled:
                gc.freeze()
                gc.unfreeze()
                gc.enable()

    def _mac(self, sha: str, rel: str, blob: bytes) -> str:
        """The entry's HMAC, over its row too: an entry moved to another file, name or
        context (another rubric, roster, version …) fails its check like a changed one."""
        row = "\0".join((self.context, sha, rel)).encode("utf-8")
        return hmac.digest(self.key, b"xlsxflow read cache\0" + row + b"\0" + blob, "sha256").hex()

    def digest(self, source) -> tuple[str, float] | None:
        """The SHA-256 and modification time of a file (its path) or attached item (None:
        too large or unreadable — let the reader say why)."""
        if not isinstance(source, (str, Path)):
            if len(source.data) > self.max_bytes:
                return None
            return hashlib.sha256(source.data).hexdigest(), source.mtime
        try:  # never waiting on a pipe or device named like a file read before
            fd = self._ahead(source)
        except OSError:
            return None
        try:  # one open, one fstat, one read for a file that is not being written to
            stat = os.fstat(fd)
            if not S_ISREG(stat.st_mode) or stat.st_size > self.max_bytes:
                return None
            data = os.read(fd, stat.st_size + 1)
            if len(data) != stat.st_size:  # it changed meanwhile: hash what it holds now
                data = b"".join([data, *iter(lambda: os.read(fd, 1 << 20), b"")])
                if len(data) > self.max_bytes:
                    return None
            return hashlib.sha256(data).hexdigest(), stat.st_mtime
        except OSError:
            return None
        finally:
            os.close(fd)

    def expect(self, paths: list[str]) -> None:
        """The files :meth:`get` will hash, in order.  Each is asked of the disk a few files
        ahead of its hashing (``posix_fadvise`` WILLNEED on its opened file), so a folder no
        longer in the page cache is read with the disk kept busy, not one small file at a
        time waiting for each (10,000 returns, cold: ~1.9 s without)."""
        self._order = {path: n for n, path in enumerate(paths)}
        self._queue = paths

    def _ahead(self, path) -> int:
        """The file opened to hash, the next ones opened and their reading asked ahead."""
        at = self._order.get(path) if isinstance(path, str) else None
        if at is not None and _ADVISE is not None:
            while self._asked <= min(at + AHEAD, len(self._queue) - 1):
                name = self._queue[self._asked]
                self._asked += 1
                try:
                    fd = os.open(name, os.O_RDONLY | _NONBLOCK | _BINARY)
                except OSError:
                    continue
                self._opened[name] = fd
                with contextlib.suppress(OSError):
                    _ADVISE(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        fd = self._opened.pop(path, None) if at is not None else None
        return fd if fd is not None else os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)

    def _close_ahead(self) -> None:
        for fd in self._opened.values():
            os.close(fd)
        self._opened.clear()

    def get(self, source, rel: str):
        """The remembered record of this file, or None (then read it and :meth:`put`)."""
        if rel not in self.paths:  # never read under this name: no need to hash it here
            return None  # (the reader reads it anyway: one read, not two, on a first ingest)
        found = self.digest(source)
        if found is None:
            return None
        sha, mtime = found
        entry = self.known.get((sha, rel))
        if entry is None or not hmac.compare_digest(entry[1], self._mac(sha, rel, entry[0])):
            return None
        try:
            record = decode(entry[0])
        except Exception:  # an entry of another xlsxflow build: read the file again
            return None
        record.mtime = mtime
        self.hits += 1
        return record

    def put(self, record) -> None:
        """Remember a fresh record (as the reader returned it, before any later change)."""
        if not record.sha256 or any(i.code in NOT_REMEMBERED for i in record.issues):
            return
        blob = encode(record)
        mac = self._mac(record.sha256, record.path, blob)
        self.new.append((record.sha256, record.path, blob, mac))

    def save(self) -> int:
        """Write what was read in one transaction; the count written."""
        if not self.new:
            return 0
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        conn = self.register._conn
        try:
            with write(conn):
                conn.executemany(
                    "INSERT OR REPLACE INTO ingest_cache (context, sha256, path, record, mac,"
                    " stored_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [(self.context, *entry, now) for entry in self.new],
                )
        except sqlite3.Error as exc:
            raise self.register._error(exc) from None
        count, self.new = len(self.new), []
        return count
