"""Ingest: account for every file under returns/, check it, compute and rank.

Every file ends with one status:

* ``accepted``   – a genuine, untampered return of a roster unit (it may still
  have value problems; then the unit is listed but not ranked);
* ``rejected``   – unreadable, not ours, forged or tampered; the reason says why;
* ``duplicate``  – same content as another return of the same unit;
* ``superseded`` – an older, different return of a unit that sent a newer one
  (newest by file modification time, then by path);
* ``skipped``    – lock files, hidden and system files, non-spreadsheets.

A saved message (``.eml``) and a ``.zip`` archive are containers: each attached or
archived file is checked as a file of its own (``reply.eml/x.xlsx``,
``returns.zip/x.xlsx``; see ``archives.py``).  A rejected file that can be tied to
a roster unit (its identity sheet names the unit, the mail came from the unit's
roster address, or its name carries the unit's id or exact name) keeps the unit
id and says how it was tied (``tied_by``): the unit has sent something, but it
stays missing until a return is accepted.

The returns folder is only read, never written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .archives import MAX_DEPTH, Budget, Member, is_archive, read_archive, unsupported_archive
from .checks import (
    Where,
    book_layout,
    check_cached_totals,
    check_choose,
    check_file_name,
    check_locked,
    check_shape,
    is_blank,
    read_cached_totals,
    read_identity,
    read_inputs,
    reads_percent,
)
from .conditions import StarResult, round_targets
from .isolation import DEFAULT_ISOLATION, Isolation, read_isolated
from .layout import META_SHEET, build_layout
from .mail import MAIL_SUFFIX, eml_attachments, read_mail_record
from .messages import Issue, Severity, XlsxflowError, make_issue
from .ooxml import DEFAULT_LIMITS, Limits, ReadError, classify_ole, open_book, sniff, text_kind
from .quotas import QuotaRow, evaluate_round
from .roster import Unit
from .round import RoundContext
from .roundfile import Round
from .scoring import compute_totals, evaluate, rank
from .submission import Result, Submission

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".et", ".ett", ".ods", ".csv"}
SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass
class FileRecord:
    path: str  # relative to the returns folder, with forward slashes
    size: int
    mtime: float
    sha256: str = ""
    status: str = "rejected"
    reason: str = ""
    unit_id: str = ""
    issues: list[Issue] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)  # one per filled sheet
    slots: dict[str, int] = field(default_factory=dict)  # a round workbook's signed slots
    lang: str = "zh"
    superseded_by: str = ""
    changes: list[dict] = field(default_factory=list)  # item by item, against the newer return
    mail: dict | None = None  # sender, date, message id when it came by mail
    tied_by: str = ""  # how unit_id was found: signature, identity, sender, file_name
    blank: bool = False  # an accepted workbook with no input filled in
    reviews: list = field(default_factory=list)  # a reviewer's return: its ReviewedSheets
    ballots: list = field(default_factory=list)  # a ballot file or a tally: its Ballots
    # A ballot file's serial, or ``录入表:<evaluation>/<group>`` for a clerk's tally: with
    # ``unit_id`` (the branch) it says which files are copies or newer versions of another.
    serial: str = ""
    evidence: Any = None  # an evidence archive (佐证材料): its EvidenceReturn (evidence/)

    @property
    def submission(self) -> Submission | None:
        """The (first) submission: the only one of a single-rubric workbook."""
        return self.submissions[0] if self.submissions else None

    def content_key(self) -> tuple:
        reviews = tuple(repr({**vars(r), "file": ""}) for r in self.reviews)
        ballots = tuple(repr({**vars(b), "file": ""}) for b in self.ballots)
        return tuple(sub.content_key() for sub in self.submissions) + reviews + ballots

    @property
    def received(self) -> float:
        """When it was sent: the mail's date if known, else the file's modification time."""
        if self.mail and self.mail.get("date"):
            try:
                return datetime.fromisoformat(self.mail["date"]).timestamp()
            except ValueError:
                pass
        return self.mtime

    def to_dict(self) -> dict:
        d = {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "status": self.status,
            "reason": self.reason,
            "unit_id": self.unit_id,
            "issues": [i.to_dict() for i in self.issues],
        }
        if self.tied_by:
            d["tied_by"] = self.tied_by
        if self.serial:
            d["serial"] = self.serial
        if self.superseded_by:
            d["superseded_by"] = self.superseded_by
            d["changes"] = self.changes
        if self.mail:
            d["mail"] = {k: self.mail.get(k, "") for k in ("from", "date", "message_id", "subject")}
        if self.evidence is not None:
            d["evidence"] = self.evidence.to_dict()
        return d


@dataclass
class IngestReport:
    """Everything ingest found; ``to_dict`` is the report.json format."""

    returns_dir: str
    rubric_id: str
    rubric_title: str
    rubric_version: str
    rubric_hash: str
    round_id: str
    round_title: str
    started_at: str
    files: list[FileRecord]
    results: list[Result]
    missing: list[Unit]
    command: str = ""
    round: Round | None = None  # a round of several forms
    quotas: list[QuotaRow] = field(default_factory=list)  # per unit and quota group
    warnings: list[Issue] = field(default_factory=list)  # about the folder as a whole
    # a rubric decided by conditions: its round-level targets (conditions.TargetResult)
    targets: list = field(default_factory=list)
    reused: int = 0  # files not read again: the register remembered them unchanged
    notes: list[Issue] = field(default_factory=list)  # said once, e.g. a survey not yet counted
    # with a register: the candidates' record and 复查 (register/candidates.RoundHistory)
    history: object | None = None

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues]

    @property
    def unusable(self) -> dict[str, list[FileRecord]]:
        """Missing units that did send something: their rejected files (received, unusable)."""
        missing = {u.unit_id for u in self.missing}
        out: dict[str, list[FileRecord]] = {}
        for f in self.files:
            if f.status == "rejected" and f.unit_id in missing:
                out.setdefault(f.unit_id, []).append(f)
        return out

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("accepted", "rejected", "duplicate", "superseded", "skipped")}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    @property
    def exit_code(self) -> int:
        """0: all units returned and nothing is wrong; 1: there is something to look at."""
        errors = any(
            i.severity == Severity.ERROR
            for f in self.files
            if f.status == "accepted"
            for i in f.issues
        )
        rejected = any(f.status == "rejected" for f in self.files)
        errors = errors or any(  # an evidence archive's (佐证材料) errors: required documents
            i.severity == Severity.ERROR
            for f in self.files
            if f.evidence is not None
            for i in f.issues
        )
        return 1 if errors or rejected or self.missing or self.warnings else 0

    def to_dict(self) -> dict:
        return {
            "round": {"id": self.round_id, "title": self.round_title},
            "rubric": {
                "id": self.rubric_id,
                "title": self.rubric_title,
                "version": self.rubric_version,
                "hash": self.rubric_hash,
            },
            "returns_dir": self.returns_dir,
            "started_at": self.started_at,
            "counts": self.counts(),
            "files": [f.to_dict() for f in self.files],
            "results": [r.to_dict() for r in self.results],
            "missing": [u.unit_id for u in self.missing],
            "received_unusable": [
                {
                    "unit_id": unit_id,
                    "files": [
                        {"path": f.path, "reason": f.reason, "tied_by": f.tied_by} for f in files
                    ],
                }
                for unit_id, files in self.unusable.items()
            ],
            "warnings": [i.to_dict() for i in self.warnings],
            **({"notes": [i.to_dict() for i in self.notes]} if self.notes else {}),
            **({"quotas": [q.to_dict() for q in self.quotas]} if self.round else {}),
            **({"targets": [t.to_dict() for t in self.targets]} if self.targets else {}),
            **({"history": self.history.to_dict()} if self.history is not None else {}),
        }


def discover(returns_dir: Path) -> list[tuple[Path, str, str | None]]:
    """Every file below ``returns_dir``: (path, relative name, skip code or None)."""
    return [(Path(path), rel, skip) for path, rel, skip, _ in scan(returns_dir)]


def scan(returns_dir: str | Path) -> list[tuple[str, str, str | None, bool]]:
    """Every file below ``returns_dir`` in :func:`discover`'s order (a folder's files by
    name, then its subfolders by name; links to folders not followed), as (path, relative
    name, skip code or None, whether a ``.mail.json`` lies beside it).

    One listing per folder (``os.scandir``) answers the link and sidecar questions too,
    so an unchanged folder of 10,000 returns is walked without a system call per file."""
    found: list[tuple[str, str, str | None, bool]] = []
    stack = [(os.fspath(returns_dir), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:  # as os.walk: a folder that cannot be listed is passed over
            continue
        files, dirs = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry)
        names = {entry.name for entry in files}
        for entry in sorted(files, key=_entry_name):
            name, rel = entry.name, prefix + entry.name
            found.append(
                (
                    entry.path,
                    rel,
                    _skip_code(rel, None, _is_link(entry)),
                    name + MAIL_SUFFIX in names,
                )
            )
        for entry in sorted(dirs, key=_entry_name, reverse=True):  # popped in name order
            if not _is_link(entry):
                stack.append((entry.path, f"{prefix}{entry.name}/"))
    return found


def _entry_name(entry: os.DirEntry) -> str:
    return entry.name


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _suffix(name: str) -> str:
    """``Path(name).suffix`` without making a Path."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _skip_code(rel: str, path: Path | None, link: bool | None = None) -> str | None:
    parts = rel.split("/")
    name = parts[-1]
    if name.startswith("~$") or name.startswith(".~lock.") or name.startswith("~"):
        return "file-skipped-lock"
    if any(p.startswith(".") or p == "__MACOSX" for p in parts) or name.lower() in SYSTEM_FILES:
        return "file-skipped-hidden"
    if link if link is not None else (path is not None and path.is_symlink()):
        return "file-skipped-hidden"
    if name.endswith(MAIL_SUFFIX):
        return "file-skipped-mail-record"
    return None


@dataclass(frozen=True)
class Attached:
    """A file inside a container in the returns folder: a saved .eml message, a .zip."""

    name: str
    data: bytes
    mtime: float


def read_source(source: Path | Attached, rel: str, ctx: RoundContext, limits: Limits) -> FileRecord:
    """What the reader workers run: a file on disk, or an attachment of a saved message."""
    if isinstance(source, Attached):
        record = FileRecord(rel, len(source.data), source.mtime)
        suffix = Path(source.name).suffix.lower()
        return _guarded(record, lambda: _read_data(source.data, suffix, record, ctx, limits))
    return read_return(source, rel, ctx, limits)


def read_return(
    path: Path, rel: str, ctx: RoundContext, limits: Limits = DEFAULT_LIMITS
) -> FileRecord:
    """Read and check one file; never raises."""
    try:
        stat = path.stat()
        record = FileRecord(rel, stat.st_size, stat.st_mtime)
    except OSError as exc:
        record = FileRecord(rel, 0, 0.0)
        return _reject(record, make_issue("file-corrupt", file=rel, detail=exc))
    return _guarded(record, lambda: _read_return(path, record, ctx, limits))


def _guarded(record: FileRecord, read) -> FileRecord:
    rel = record.path
    try:
        return read()
    except Exception as exc:  # the promise: no input ever produces a traceback
        return _reject(
            record,
            make_issue(
                "file-reader-crashed", file=rel, detail=f"{type(exc).__name__}: {exc}"[:200]
            ),
        )


def _reject(record: FileRecord, issue: Issue) -> FileRecord:
    record.status = "rejected"
    if issue not in record.issues:
        record.issues.append(issue)
    record.reason = record.reason or issue.message
    return record


def _read_return(path: Path, record: FileRecord, ctx: RoundContext, limits: Limits) -> FileRecord:
    where = Where(record.path)
    suffix = path.suffix.lower()
    if record.size > limits.max_file_bytes:
        return _reject(
            record, where("file-too-large", size=_mb(record.size), limit=_mb(limits.max_file_bytes))
        )
    return _read_data(path.read_bytes(), suffix, record, ctx, limits)


def _read_data(
    data: bytes, suffix: str, record: FileRecord, ctx: RoundContext, limits: Limits
) -> FileRecord:
    where = Where(record.path)
    if len(data) > limits.max_file_bytes:
        size, limit = _mb(len(data)), _mb(limits.max_file_bytes)
        return _reject(record, where("file-too-large", size=size, limit=limit))
    record.sha256 = hashlib.sha256(data).hexdigest()
    kind = sniff(data[:4096], len(data), suffix)
    if kind == "empty":
        return _reject(record, where("file-empty"))
    if archive := unsupported_archive(data[:8], suffix):
        return _reject(record, where("file-archive-unsupported", kind=archive))
    if kind == "ole":
        code = {"encrypted": "file-encrypted", "et": "file-wps-et", "xls": "file-legacy-xls"}[
            classify_ole(data, suffix)
        ]
        return _reject(record, where(code))
    if kind == "text":
        if suffix not in SPREADSHEET_SUFFIXES:
            return _skip(record, where("file-skipped-not-spreadsheet", kind=suffix or "文本"))
        return _reject(record, where("file-text-renamed", kind=text_kind(data), suffix=suffix))
    if kind != "zip":
        if suffix not in SPREADSHEET_SUFFIXES:
            return _skip(record, where("file-skipped-not-spreadsheet", kind=suffix or "未知类型"))
        return _reject(record, where("file-corrupt", detail="无法识别的文件内容"))
    try:
        book = open_book(data, limits)
    except ReadError as err:
        if err.code == "file-corrupt" and suffix not in SPREADSHEET_SUFFIXES:
            return _skip(record, where("file-skipped-not-spreadsheet", kind=suffix or "zip"))
        return _reject(record, where(err.code, **_sheet_fields(err.fields)))
    try:
        return _check_book(book, record, ctx, where)
    except ReadError as err:
        return _reject(record, where(err.code, **_sheet_fields(err.fields)))
    finally:
        book.close()


def _sheet_fields(fields: dict) -> dict:
    return dict(fields)


def _skip(record: FileRecord, issue: Issue) -> FileRecord:
    record.status = "skipped"
    record.issues.append(issue)
    record.reason = issue.message
    return record


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _check_book(book, record: FileRecord, ctx: RoundContext, where: Where) -> FileRecord:
    if book.has_macros:
        record.issues.append(where("file-macro"))
    if ctx.reviewing is not None:
        return _check_review_book(book, record, ctx, where)
    if ctx.balloting is not None:
        return _check_ballot_book(book, record, ctx, where)
    identity, issues = read_identity(book, ctx, where)
    record.issues.extend(issues)
    if identity is None:
        claimed = claimed_unit_id(book)
        if claimed and ctx.roster.get(claimed) is not None:
            record.unit_id, record.tied_by = claimed, "identity"  # readable, but not genuine
        return _reject(record, issues[-1])
    record.unit_id, record.tied_by = identity.unit_id, "signature"
    record.slots = identity.slots()
    record.lang = identity.lang if identity.lang in ("zh", "en") else "zh"
    layout = book_layout(ctx, identity, record.lang)
    sheets = []
    for sheet_layout in layout.sheets:  # every sheet first: a tampered one rejects the file
        info = book.sheet_info(sheet_layout.sheet_name)
        if info is None:
            if sheet_layout.plan is None:  # a one-rubric workbook: its only sheet
                return _reject(record, where("tamper-sheet-missing", sheet=sheet_layout.sheet_name))
            # A round sheet the unit deleted: it does not apply for that form or slot.
            record.issues.append(
                where("round-sheet-removed", sheet=sheet_layout.sheet_name, cell="")
            )
            continue
        sheet = book.read_sheet(info)
        if reads_percent(sheet_layout):  # “96%” typed in Excel is 0.96 in a percent format
            sheet.percent_styles = book.percent_styles()
        here = Where(record.path, sheet_layout.sheet_name)
        tampered = list(check_locked(sheet, sheet_layout, identity, here))
        if tampered:
            record.issues.extend(tampered)
            return _reject(record, tampered[0])
        sheets.append((sheet_layout, sheet))
    blank = [is_blank(sheet, sheet_layout) for sheet_layout, sheet in sheets]
    record.blank = all(blank)
    record.issues.extend(check_shape(book, sheets, layout, where))
    record.issues.extend(check_file_name(Path(record.path).name, identity, ctx, where))
    for (sheet_layout, sheet), empty in zip(sheets, blank, strict=True):
        plan = sheet_layout.plan
        if plan is not None and empty:
            continue  # a round sheet left empty: not applying, or an unused slot
        here = Where(record.path, sheet_layout.sheet_name)
        submission = Submission(
            unit_id=identity.unit_id,
            rubric_id=sheet_layout.rubric.id,
            lang=record.lang,
            form_id=plan.form_id if plan else "",
            slot=plan.slot if plan else 0,
            sheet=sheet_layout.sheet_name if plan else "",
        )
        record.issues.extend(read_inputs(sheet, sheet_layout, submission, here))
        record.issues.extend(check_choose(sheet_layout, submission, here))
        read_cached_totals(sheet, sheet_layout, submission)
        computed = compute_totals(sheet_layout.rubric, submission)
        record.issues.extend(check_cached_totals(sheet_layout, submission, computed, here))
        record.submissions.append(submission)
    record.status = "accepted"
    accepted_reason(record, ctx)
    return record


def _check_review_book(book, record: FileRecord, ctx: RoundContext, where: Where) -> FileRecord:
    """A reviewer's return: its identity, then each reviewed sheet (review/reading.py)."""
    from .review.reading import read_review_book  # the review stage builds on this module

    reading = ctx.reviewing
    identity, sheets, issues = read_review_book(
        book, record.path, ctx, reading.review, reading.ledger
    )
    record.issues.extend(issues)
    if identity is None:
        claimed = claimed_unit_id(book)
        if claimed and reading.senders.get(claimed) is not None:
            record.unit_id, record.tied_by = claimed, "identity"
        first_error = next((i for i in issues if i.severity == Severity.ERROR), None)
        return _reject(record, first_error or where("identity-not-xlsxflow", sheet=META_SHEET))
    record.unit_id, record.tied_by = identity.unit_id, "signature"
    record.issues.extend(check_file_name(Path(record.path).name, identity, ctx, where))
    record.lang = identity.lang if identity.lang in ("zh", "en") else "zh"
    record.reviews = sheets
    record.status = "accepted"
    accepted_reason(record, ctx)
    return record


def _check_ballot_book(book, record: FileRecord, ctx: RoundContext, where: Where) -> FileRecord:
    """A ballot file or a clerk's tally (录入表): identity, serial, every value (ballots/)."""
    from .ballots.workbook import file_key, read_ballot_book  # the ballots stage builds on this

    identity, ballots, issues = read_ballot_book(book, record.path, ctx, ctx.balloting)
    record.issues.extend(issues)
    if identity is None:
        claimed = claimed_unit_id(book)
        if claimed and ctx.roster.get(claimed) is not None:
            record.unit_id, record.tied_by = claimed, "identity"
        first_error = next((i for i in issues if i.severity == Severity.ERROR), None)
        return _reject(record, first_error or where("identity-not-xlsxflow", sheet=META_SHEET))
    record.unit_id, record.tied_by = identity.unit_id, "signature"
    record.serial = file_key(identity)
    record.lang = identity.lang if identity.lang in ("zh", "en") else "zh"
    record.ballots = ballots
    record.blank = all(b.blank for b in ballots)
    record.status = "accepted"
    accepted_reason(record, ctx)
    return record


def accepted_reason(record: FileRecord, ctx: RoundContext) -> None:
    """An accepted file's status line, from its own issues of severity error (run again
    once the round's checks across sheets have added theirs)."""
    errors = sum(1 for i in record.issues if i.severity == Severity.ERROR)
    record.reason = f"已接受，但有 {errors} 处错误" if errors else "已接受"
    if ctx.balloting is not None and record.serial:
        tally = record.serial.startswith("录入表:")
        record.reason += (
            f"（录入表：{len(record.ballots)} 张票）" if tally else f"（票号 {record.serial}）"
        )
    elif ctx.round is not None and ctx.reviewing is None and not record.submissions and not errors:
        record.reason = "已接受：各表均为空，本单位未申报任何项目"


def resolve_duplicates(records: list[FileRecord]) -> None:
    """One accepted return per unit: identical ones are duplicates, older ones superseded.

    Ballots: one per unit and serial (a tally: per unit, evaluation and rater group).
    """
    by_unit: dict[tuple[str, str], list[FileRecord]] = {}
    for rec in records:
        if rec.status == "accepted":
            by_unit.setdefault((rec.unit_id, rec.serial), []).append(rec)
    for recs in by_unit.values():
        if len(recs) < 2:
            continue
        recs.sort(key=lambda r: (r.received, r.path), reverse=True)  # newest first
        newest, seen = recs[0], [recs[0]]
        for rec in recs[1:]:
            same = next((k for k in seen if _same_content(k, rec)), None)
            if same is not None:  # a copy: of the newest, or of an older version
                rec.status = "duplicate"
                issue = make_issue("submission-duplicate", file=rec.path, other=same.path)
            else:
                rec.status = "superseded"
                rec.superseded_by = newest.path
                issue = make_issue("submission-superseded", file=rec.path, other=newest.path)
                seen.append(rec)
            rec.issues.append(issue)
            rec.reason = issue.message


def diff_records(ctx: RoundContext, old: FileRecord, new: FileRecord) -> list[dict]:
    """Every input that differs between two returns of a unit, sheet by sheet."""
    if ctx.round is None:
        layout = build_layout(ctx.rubric, new.lang)
        empty = Submission(new.unit_id, ctx.rubric.id)
        return diff_submissions(layout, old.submission or empty, new.submission or empty)
    changes = []
    olds = {s.sheet: s for s in old.submissions}
    news = {s.sheet: s for s in new.submissions}
    for sheet_layout in ctx.round.book(new.slots, new.lang).sheets:
        name = sheet_layout.sheet_name
        if name not in olds and name not in news:
            continue
        empty = Submission(new.unit_id, sheet_layout.rubric.id, sheet=name)
        for change in diff_submissions(sheet_layout, olds.get(name, empty), news.get(name, empty)):
            change["cell"] = f"{name}!{change['cell']}"
            changes.append(change)
    return changes


def diff_submissions(layout, old: Submission, new: Submission) -> list[dict]:
    """Every input that differs between two returns of a unit: cell, label, old, new."""
    changes = []
    for inp in layout.inputs:
        before = old.value_of(inp.kind, inp.key)
        after = new.value_of(inp.kind, inp.key)
        if before != after:
            changes.append({"cell": inp.ref, "label": inp.label, "old": before, "new": after})
    return changes


def _same_content(a: FileRecord, b: FileRecord) -> bool:
    """Byte-identical, or the same inputs saved again."""
    if a.sha256 == b.sha256:
        return True
    return a.status == b.status == "accepted" and a.content_key() == b.content_key()


def ingest(
    returns_dir: str | Path,
    ctx: RoundContext,
    *,
    limits: Limits = DEFAULT_LIMITS,
    isolation: Isolation = DEFAULT_ISOLATION,
    progress: Callable[[int], None] | None = None,
    command: str = "",
    register=None,
) -> IngestReport:
    """Read every file under ``returns_dir`` and compute the round's results.

    Files are read in worker processes bounded in time and memory (``isolation``).
    ``register`` (an :class:`xlsxflow.register.Register`): files read before with
    the same bytes, round, rubric, key, roster and xlsxflow version are not read again;
    a round's candidates are screened by its history rules (bars, 复查:
    :mod:`xlsxflow.register.candidates`), on every ingest, remembered files too.
    """
    returns_dir = Path(returns_dir)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    stats: dict[str, int] = {}
    records = read_folder(
        returns_dir,
        ctx,
        limits=limits,
        isolation=isolation,
        progress=progress,
        register=register,
        stats=stats,
    )
    accepted = [rec for rec in records if rec.status == "accepted"]
    quotas: list[QuotaRow] = []
    feeds = screen = None
    if ctx.round is not None:
        from .ballots.feeds import survey_feeds  # survey rates counted by ballots ingest

        feeds = survey_feeds(ctx)
        if register is not None:  # the register's bars, fresh on every ingest (cached files too)
            from .register.candidates import HistoryScreen

            screen = HistoryScreen.open(register, ctx.round)
        barred = screen.reasons if screen is not None else None
        results, quotas = evaluate_round(ctx.round, accepted, feeds, barred)
    else:
        results = [
            evaluate(ctx.rubric, ctx.roster, rec.submission, rec.path)
            for rec in accepted
            if rec.submission
        ]
        results = rank(results, ctx.rubric)
    for rec in accepted:  # the sender and round checks above may have added errors
        accepted_reason(rec, ctx)
    returned = {rec.unit_id for rec in accepted}
    missing = [u for u in ctx.roster if u.unit_id not in returned and _expected(ctx, u)]
    targets = []
    if ctx.round is None and ctx.rubric.has_conditions and ctx.rubric.targets:
        targets = star_targets(ctx.rubric, results, len(results) + len(missing))
    elif ctx.round is not None:
        targets = round_star_targets(ctx.round, results)
    rec = ctx.record
    rubric_id, rubric_title, rubric_version, rubric_hash = ctx.signed_as
    return IngestReport(
        returns_dir=str(returns_dir),
        rubric_id=rubric_id,
        rubric_title=rubric_title,
        rubric_version=rubric_version,
        rubric_hash=rubric_hash,
        round_id=rec.round_id if rec else "",
        round_title=ctx.title,
        started_at=started,
        files=records,
        results=results,
        missing=missing,
        command=command,
        round=ctx.round,
        quotas=quotas,
        warnings=folder_warnings(returns_dir, records, accepted),
        targets=targets,
        reused=stats.get("reused", 0),
        notes=feeds.notes if feeds else [],
        history=_round_history(screen, results),
    )


def _round_history(screen, results: list[Result]):
    """The candidates' record for the summary's 历史 sheet (None: nothing to show)."""
    history = screen.build(results) if screen is not None else None
    return history if history is not None and history.shown else None


def star_targets(rubric, results: list[Result], units: int) -> list:
    """The round-level targets over every unit of the roster: a unit that sent nothing
    usable has reached no level (the seed's share is of all units: 全街道80%以上…)."""
    reached = [r.stars for r in results if r.stars is not None]
    silent = [StarResult(rubric.id, rubric.kind)] * max(0, units - len(reached))
    return round_targets(rubric, reached + silent)


def round_star_targets(rnd: Round, results: list[Result]) -> list:
    """The targets of each round form decided by conditions, over the units that receive
    the form (one that sent nothing usable has reached no level), each marked with its form."""
    out = []
    for form in rnd.spec.forms:
        rubric = rnd.rubrics.get(form.id)
        if rubric is None or not rubric.has_conditions or not rubric.targets:
            continue
        mine = [r for r in results if r.form_id == form.id]
        units = sum(1 for u in rnd.roster if rnd.slots_of(u.unit_id).get(form.id))
        out += [replace(t, form_id=form.id) for t in star_targets(rubric, mine, units)]
    return out


def read_folder(
    returns_dir: Path,
    ctx: RoundContext,
    *,
    limits: Limits = DEFAULT_LIMITS,
    isolation: Isolation = DEFAULT_ISOLATION,
    progress: Callable[[int], None] | None = None,
    register=None,
    stats: dict[str, int] | None = None,
) -> list[FileRecord]:
    """Every file below ``returns_dir``, read and accounted for, duplicates resolved.

    Unit returns and (with ``ctx.reviewing``) reviewers' returns alike: saved
    messages and archives are opened here, each workbook is read in the isolated
    workers, rejected files are tied to their sender where evident.  With a
    ``register``, a file it remembers reading in the same context is not read again
    (its stored record is used; see ``xlsxflow/register/readcache.py``); ``stats``
    gets ``reused``, how many.
    """
    returns_dir = Path(returns_dir)
    if not returns_dir.is_dir():
        raise XlsxflowError(make_issue("returns-missing", path=str(returns_dir)))
    records: list[FileRecord | None] = []
    jobs, slots, mail = [], [], {}
    cache, remembered = None, []
    if register is not None:
        from .register.readcache import ReadCache

        cache = ReadCache.open(register, ctx, limits)

    def read_later(source: str | Attached, rel: str, info: dict | None) -> None:
        if cache is not None and (known := cache.get(source, rel)) is not None:
            records.append(known)
            remembered.append(len(records) - 1)
            if info is not None:
                mail[rel] = info
            if progress:
                progress(1)
            return
        records.append(None)
        jobs.append((Path(source) if isinstance(source, str) else source, rel))
        slots.append(len(records) - 1)
        if info is not None:
            mail[rel] = info

    def inside(container: str, items, info: dict | None, depth: int, budget: Budget) -> None:
        """Files attached to a message or packed in an archive: each read like a file."""
        for item in items:
            rel = f"{container}/{item.name}"
            if isinstance(item, Member) and item.problem is not None:
                records.append(_not_read(FileRecord(rel, 0, item.mtime), *item.problem))
            elif isinstance(item, Member) and (skip := _skip_code(item.name, None)):
                records.append(
                    _skip(FileRecord(rel, len(item.data), item.mtime), make_issue(skip, file=rel))
                )
            elif is_archive(item.name, item.data):
                record = FileRecord(rel, len(item.data), item.mtime)
                if depth >= MAX_DEPTH:
                    issue = make_issue("file-archive-too-deep", file=rel, depth=MAX_DEPTH)
                    records.append(_reject(record, issue))
                    continue
                record, members = _open_archive(record, item.data, limits, budget)
                records.append(record)
                if not _evidence_archive(record, members, ctx, info):
                    inside(rel, members, info, depth + 1, budget)
            else:
                read_later(Attached(item.name, item.data, item.mtime), rel, info)

    found = scan(returns_dir)
    if cache is not None:  # the files it will hash: those read before under their name
        cache.expect([p for p, rel, skip, _ in found if not skip and rel in cache.paths])
    with cache.loading() if cache is not None else contextlib.nullcontext():
        for path, rel, skip, sidecar in found:
            suffix = _suffix(rel.rpartition("/")[2]).lower()
            if skip:
                records.append(_skip(_stat_record(path, rel), make_issue(skip, file=rel)))
            elif suffix == ".eml":  # a saved message: its attachments are read
                record, attached, info = _open_eml(Path(path), _stat_record(path, rel), limits)
                records.append(record)
                inside(rel, attached, info, 0, Budget(limits))
            elif suffix == ".zip" and (data := _archive_data(Path(path), limits)) is not None:
                budget = Budget(limits)  # a .zip archive: its members are read
                record, members = _open_archive(_stat_record(path, rel), data, limits, budget)
                records.append(record)
                info = _mail_beside(path, sidecar)
                if not _evidence_archive(record, members, ctx, info):
                    inside(rel, members, info, 1, budget)
            else:
                read_later(path, rel, _mail_beside(path, sidecar))  # a file on disk
                continue
            if progress:
                progress(1)
    for n, record in zip(slots, read_isolated(jobs, ctx, limits, isolation, progress), strict=True):
        records[n] = record
        if cache is not None:
            cache.put(record)  # as read, before the checks below change it
    for n in sorted([*slots, *remembered]):
        record = records[n]
        record.mail = mail.get(record.path)
        record.issues.extend(_check_sender(record, ctx))
    if cache is not None:
        cache.save()
        if stats is not None:
            stats["reused"] = cache.hits
    evidence = [r for r in records if r.evidence is not None]
    if evidence:  # 佐证材料: tied to their unit and placed before the rejected are tied
        from .evidence.reading import check_evidence, tie_evidence

        tie_evidence(records, ctx)
    tie_rejected(records, ctx)
    resolve_duplicates(records)
    if evidence:
        check_evidence(records, ctx)
    newest = {r.path: r for r in records if r.status == "accepted"}
    for rec in records:
        if (
            ctx.reviewing is None
            and ctx.balloting is None
            and rec.status == "superseded"
            and rec.superseded_by in newest
        ):
            rec.changes = diff_records(ctx, rec, newest[rec.superseded_by])
    return records


def _expected(ctx: RoundContext, unit: Unit) -> bool:
    """Is a return expected from this unit (a round: it received at least one form)?"""
    return ctx.round is None or bool(ctx.round.slots_of(unit.unit_id))


def _mail_beside(path: str, sidecar: bool) -> dict | None:
    """The ``.mail.json`` beside a file, looked for only when the folder listing has one."""
    return read_mail_record(Path(path)) if sidecar else None


def _stat_record(path: str | Path, rel: str) -> FileRecord:
    try:
        stat = os.lstat(path)
        return FileRecord(rel, stat.st_size, stat.st_mtime)
    except OSError:
        return FileRecord(rel, 0, 0.0)


def _not_read(record: FileRecord, code: str, fields: dict) -> FileRecord:
    """A file in a container that was not read: skipped (a link) or rejected, with why."""
    issue = make_issue(code, file=record.path, **fields)
    return _skip(record, issue) if issue.severity == Severity.INFO else _reject(record, issue)


def _archive_data(path: Path, limits: Limits) -> bytes | None:
    """The bytes of a ``.zip`` archive (not an xlsx renamed .zip); None for other files."""
    if path.suffix.lower() != ".zip":
        return None
    try:
        if path.stat().st_size > limits.max_total_uncompressed:
            return None  # read as a file: rejected as too large
        data = path.read_bytes()
    except OSError:
        return None
    return data if is_archive(path.name, data) else None


def _evidence_archive(
    record: FileRecord, members: list[Member], ctx: RoundContext, mail: dict | None
) -> bool:
    """Is this opened .zip a unit's evidence archive (佐证材料)?  Then its record is one
    (``evidence/reading.py``) and its members are not read as workbooks."""
    if ctx.reviewing is not None or ctx.balloting is not None or not members:
        return False
    from .evidence.reading import is_evidence, open_evidence

    if not is_evidence(members):
        return False
    record.issues.clear()  # not a container of workbooks after all
    record.reason = ""
    record.mail = mail or None  # the message it came in: its unit's workbook came in it too
    open_evidence(record, members, ctx, record.sha256)
    return True


def _open_archive(record: FileRecord, data: bytes, limits: Limits, budget: Budget):
    """A .zip archive: (its own record, its members)."""
    record.sha256 = hashlib.sha256(data).hexdigest()
    try:
        members = read_archive(data, limits, budget, record.mtime)
    except ReadError as err:
        return _reject(record, make_issue(err.code, file=record.path, **err.fields)), []
    issue = make_issue("file-archive-container", file=record.path, count=len(members))
    return _skip(record, issue), members


def _labelled(files: list[tuple[str, bytes]], when: float) -> list[Attached]:
    """A message's attachments, two of the same name kept apart."""
    attached, seen = [], set()
    for name, content in files:
        label = name.replace("/", "_")
        while label in seen:
            label = f"{Path(label).stem}+{Path(label).suffix}"
        seen.add(label)
        attached.append(Attached(label, content, when))
    return attached


def _open_eml(path: Path, record: FileRecord, limits: Limits):
    """A saved .eml: (its own record, its spreadsheet attachments, the message info)."""
    try:
        if record.size > limits.max_file_bytes * 2:
            issue = make_issue(
                "file-too-large",
                file=record.path,
                size=_mb(record.size),
                limit=_mb(limits.max_file_bytes * 2),
            )
            return _reject(record, issue), [], {}
        data = path.read_bytes()
        record.sha256 = hashlib.sha256(data).hexdigest()
        info, files = eml_attachments(data)
    except Exception as exc:  # a broken message is a broken file, not a crash
        issue = make_issue(
            "file-corrupt", file=record.path, detail=f"{type(exc).__name__}: {exc}"[:120]
        )
        return _reject(record, issue), [], {}
    when = record.mtime
    if info.get("date"):
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(info["date"]).timestamp()
    attached = _labelled(files, when)
    record.mail = info
    return (
        _skip(record, make_issue("file-mail-container", file=record.path, count=len(attached))),
        attached,
        info,
    )


def _check_sender(record: FileRecord, ctx: RoundContext) -> list[Issue]:
    """Warn when a return came from another address than the unit's roster email."""
    if not (record.mail and record.unit_id):
        return []
    unit = ctx.senders.get(record.unit_id)
    sender = (record.mail.get("from") or "").strip().lower()
    if unit is None or not unit.email or not sender or sender == unit.email.strip().lower():
        return []
    return [
        make_issue(
            "mail-sender-mismatch",
            file=record.path,
            sender=sender,
            unit=f"{unit.unit_id} {unit.name}",
            expected=unit.email,
        )
    ]


TIED_BY = {"signature": "签名", "identity": "身份表", "sender": "发件人", "file_name": "文件名"}


def tie_rejected(records: list[FileRecord], ctx: RoundContext) -> None:
    """Give a rejected file the unit that evidently sent it; it stays rejected.

    In order: the identity sheet (set while reading), the mail's sender equal to
    exactly one unit's roster email, the file's name (or a folder's, or the
    container's) naming exactly one unit by id or exact name.
    """
    parties = ctx.senders  # the units (or, for reviewer returns, the reviewers)
    by_email: dict[str, list[str]] = {}
    for unit in parties:
        if unit.email:
            by_email.setdefault(unit.email.strip().lower(), []).append(unit.unit_id)
    for rec in records:
        if rec.status != "rejected":
            continue
        if not rec.unit_id:
            sender = ((rec.mail or {}).get("from") or "").strip().lower()
            senders = by_email.get(sender, []) if sender else []
            if len(senders) == 1:
                rec.unit_id, rec.tied_by = senders[0], "sender"
            elif named := unit_in_name(rec.path, parties):
                rec.unit_id, rec.tied_by = named, "file_name"
        unit = parties.get(rec.unit_id) if rec.unit_id else None
        if unit is not None and rec.tied_by != "signature":  # first: the reason stays last
            rec.issues.insert(
                0,
                make_issue(
                    "file-tied-to-unit",
                    file=rec.path,
                    how=TIED_BY[rec.tied_by],
                    unit=f"{unit.unit_id} {unit.name}",
                ),
            )


def unit_in_name(rel: str, roster) -> str | None:
    """The one roster unit a path names (id as a token, or exact name), innermost part first."""
    for part in reversed(rel.split("/")):
        named = _units_named(part, roster)
        if named:
            return named.pop() if len(named) == 1 else None  # two units named: no guess
    return None


def _units_named(text: str, roster) -> set[str]:
    spans: list[tuple[int, int, str]] = []
    for unit in roster:
        uid = unit.unit_id
        if not (uid.isdigit() and len(uid) < 3):  # "12" would match dates
            pattern = rf"(?<![A-Za-z0-9]){re.escape(uid)}(?![A-Za-z0-9])"
            spans += [(m.start(), m.end(), uid) for m in re.finditer(pattern, text, re.IGNORECASE)]
        if len(unit.name) >= 2:
            start = text.find(unit.name)
            while start >= 0:
                spans.append((start, start + len(unit.name), uid))
                start = text.find(unit.name, start + 1)
    # A name inside a longer matched name (市财政局 in 市财政局机关党委) does not count.
    return {
        uid
        for s, e, uid in spans
        if not any(s2 <= s and e <= e2 and e2 - s2 > e - s for s2, e2, _ in spans)
    }


def folder_warnings(returns_dir: Path, records: list[FileRecord], accepted) -> list[Issue]:
    """An empty folder, or one holding only the round's blank outgoing workbooks."""
    if not any(r.status != "skipped" for r in records):
        detail = f"（{len(records)} 个文件均已跳过，见“文件”表）" if records else "（文件夹是空的）"
        return [make_issue("returns-empty", path=str(returns_dir), detail=detail)]
    if accepted and all(r.blank for r in accepted):
        return [make_issue("returns-unfilled", count=len(accepted))]
    return []


def claimed_unit_id(book) -> str:
    """The unit id written in a workbook's identity sheet, genuine or not ("" if none)."""
    info = book.sheet_info(META_SHEET)
    if info is None:
        return ""
    sheet = book.read_sheet(info)
    for (row, col), cell in sheet.cells.items():
        if col == 0 and cell.value == "unit_id":
            value = sheet.get(row, 1)
            return str(value.value).strip() if value and value.value is not None else ""
    return ""


def source_bytes(returns_dir: Path, rel: str, limits: Limits = DEFAULT_LIMITS) -> bytes | None:
    """The bytes of a file ingest read: on disk, attached to a saved message, or in a .zip."""
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    for n in range(1, len(parts) + 1):
        path = returns_dir.joinpath(*parts[:n])
        if path.is_file():
            try:
                data = path.read_bytes()
                return _inner_bytes(parts[n - 1], data, "/".join(parts[n:]), limits, Budget(limits))
            except (OSError, ReadError, ValueError):
                return None
        if not path.is_dir():
            return None
    return None


def _inner_bytes(name: str, data: bytes, rest: str, limits: Limits, budget: Budget) -> bytes | None:
    if not rest:
        return data
    if name.lower().endswith(".eml"):
        items = _labelled(eml_attachments(data)[1], 0.0)
    elif is_archive(name, data):
        items = [m for m in read_archive(data, limits, budget, 0.0) if m.problem is None]
    else:
        return None
    for item in items:
        if rest == item.name:
            return item.data
        if rest.startswith(item.name + "/"):
            return _inner_bytes(item.name, item.data, rest[len(item.name) + 1 :], limits, budget)
    return None


def count_files(returns_dir: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(returns_dir))
