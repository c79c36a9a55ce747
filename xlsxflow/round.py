"""A round: one rubric sent to the units of a roster, recorded for ingest.

``xlsxflow generate`` writes the record ``xlsxflow-round.json`` into the working
directory.  It holds the round id, title and deadline, and where the rubric,
roster and signing key are (relative to the record where they sit below it), so
that a later ``xlsxflow ingest returns/`` in the same directory needs nothing
else.  Options on ingest (``--rubric``, ``--roster``, ``--key``) override it.

That file is the *current* round.  Every round generated in the directory also
has its own record ``xlsxflow-rounds/<round id>.json``, never overwritten by
another round: ``ingest --round <id>`` reads the returns of an earlier round.
Generating again with the same rubric (or round file), key and units re-issues
inside the current round (same id, earlier copies stay valid); anything else
needs ``new_round`` and leaves the earlier round recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .atomic import StagedDir, atomic_write_bytes, deferred_signals, link_or_copy
from .identity import FORMAT, Identity, default_key_path, key_id, load_key, slots_text
from .layout import rubric_book
from .messages import Issue, XlsxflowError, make_issue
from .roster import Roster, Unit, load_roster
from .roundfile import Round, is_shipped_round_name, load_round
from .rubric import Rubric, load_rubric, resolve_rubric_path
from .writer import Generated, safe_filename, write_unit_workbooks

ROUND_RUBRIC_ID = "round"  # the rubric id signed into a round workbook

ROUND_FILE = "xlsxflow-round.json"  # the current round (a full record, as before)
ROUNDS_DIR = "xlsxflow-rounds"  # one record per round generated here, never overwritten


@dataclass
class RoundRecord:
    round_id: str
    title: str
    deadline: str
    rubric: str
    roster: str
    key_file: str
    lang: str
    generated_at: str
    out_dir: str
    rubric_id: str = ""
    rubric_hash: str = ""
    format: int = 1
    round_file: str = ""  # a round of several forms: the round file (rubric is then empty)
    key_id: str = ""  # fingerprint of the signing key
    roster_units: dict[str, str] = field(default_factory=dict)  # unit id → name issued to
    reissues: list[dict] = field(default_factory=list)  # each re-issue inside this round

    @property
    def when(self) -> str:
        """When the round was generated, as people read it (2026-11-23 14:50)."""
        return self.generated_at[:16].replace("T", " ")

    def save(self, path: Path) -> None:
        data = json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"
        atomic_write_bytes(path, data.encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> RoundRecord:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            return cls(**fields)
        except FileNotFoundError:
            raise XlsxflowError(make_issue("round-missing", path=str(path))) from None
        except (OSError, ValueError, TypeError) as exc:
            raise XlsxflowError(
                make_issue("round-unreadable", file=str(path), detail=exc)
            ) from None

    def resolve(self, base: Path, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else base / path


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when it lies below it, else absolute."""
    path = Path(os.path.abspath(path))
    try:
        return path.relative_to(Path(os.path.abspath(base))).as_posix()
    except ValueError:
        return str(path)


def new_round_id(rubric: Rubric, today: date) -> str:
    return f"{today:%Y%m%d}-{rubric.id}-{secrets.token_hex(3)}"


_SAFE_ROUND_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,120}")


def _archive_path(workdir: Path, round_id: str) -> Path:
    """The round's own record in ``xlsxflow-rounds/`` (its id, when that is a safe name)."""
    name = (
        round_id
        if _SAFE_ROUND_ID.fullmatch(round_id)
        else hashlib.sha256(round_id.encode()).hexdigest()[:16]
    )
    return Path(workdir) / ROUNDS_DIR / f"{name}.json"


def current_record(workdir: str | Path = ".") -> RoundRecord | None:
    """The current round of ``workdir`` (``xlsxflow-round.json``), None if there is none.

    When that file was deleted but rounds are recorded in ``xlsxflow-rounds/``, the
    newest of them is the current one (it was written together with the lost file),
    so a re-issue never starts a new round by accident.
    """
    path = Path(workdir) / ROUND_FILE
    if path.exists():
        return RoundRecord.load(path)
    rounds = recorded_rounds(workdir)
    return list(rounds.values())[-1] if rounds else None


def default_out_dir(workdir: str | Path = ".") -> Path:
    """Where ``generate`` writes when not told: the current round's folder, or ``workbooks``."""
    record = current_record(workdir)
    if record is not None and record.out_dir:
        return record.resolve(Path(workdir), record.out_dir)
    return Path(workdir) / "workbooks"


def recorded_rounds(workdir: str | Path = ".") -> dict[str, RoundRecord]:
    """Every round generated in ``workdir``, oldest first (a folder of older xlsxflow too)."""
    workdir = Path(workdir)
    paths = sorted((workdir / ROUNDS_DIR).glob("*.json")) if (workdir / ROUNDS_DIR).is_dir() else []
    rounds: dict[str, RoundRecord] = {}
    current_id = None
    for path in [*paths, workdir / ROUND_FILE]:
        if path.is_file():
            with contextlib.suppress(XlsxflowError):
                record = RoundRecord.load(path)
                rounds[record.round_id] = record
                current_id = record.round_id if path.name == ROUND_FILE else current_id

    def age(item: tuple[str, RoundRecord]) -> tuple[str, bool]:
        return item[1].generated_at, item[0] == current_id  # the current one last among equals

    return dict(sorted(rounds.items(), key=age))


def _save_round(record: RoundRecord, workdir: Path, previous: RoundRecord | None) -> Path:
    """Record ``record`` as its own entry and as the current round; keep ``previous``."""
    if previous is not None and not _archive_path(workdir, previous.round_id).exists():
        previous.save(_archive_path(workdir, previous.round_id))  # a folder of older xlsxflow
    record.save(_archive_path(workdir, record.round_id))
    record.save(workdir / ROUND_FILE)
    return workdir / ROUND_FILE


@dataclass
class GenerateResult:
    record: RoundRecord
    record_path: Path
    files: list[Generated]
    key_path: Path
    key_created: bool
    reissue: bool = False  # written inside the round that was already current
    previous: RoundRecord | None = None  # the round that was current before this new one
    notes: list[Issue] = field(default_factory=list)  # what happened to which round
    title: str = ""  # the title and deadline the new workbooks carry
    deadline: str = ""


def _changes(current: RoundRecord, draft: RoundRecord) -> list[str]:
    """What makes ``draft`` a different round from ``current`` (empty: the same round)."""
    changes = []
    if (current.rubric_id, current.rubric_hash) != (draft.rubric_id, draft.rubric_hash):
        what = "轮次文件" if current.round_file or draft.round_file else "评分表"
        changes.append(
            f"{what}已改变（{current.rubric_id} {current.rubric_hash} → "
            f"{draft.rubric_id} {draft.rubric_hash}）"
        )
    same_key = (
        current.key_id == draft.key_id
        if current.key_id
        else os.path.abspath(current.key_file) == os.path.abspath(draft.key_file)
    )
    if not same_key:
        changes.append(f"签名密钥已改变（{current.key_id or current.key_file} → {draft.key_id}）")
    gone = [u for u in current.roster_units if u not in draft.roster_units]
    renamed = [
        f"{u} {name}→{draft.roster_units[u]}"
        for u, name in current.roster_units.items()
        if u in draft.roster_units and draft.roster_units[u] != name
    ]
    for label, units in (("名单删除了单位", gone), ("名单改了单位名称", renamed)):
        if units:
            changes.append(f"{label} {'、'.join(units[:5])}{' 等' if len(units) > 5 else ''}")
    return changes


def _plan_round(
    workdir: Path,
    draft: RoundRecord,
    *,
    title: str | None,
    deadline: str | None,
    units: list[str] | None,
    new_round: bool,
) -> GenerateResult:
    """The round to write into: the current one (a re-issue) or ``draft`` (a new one).

    Inputs that would make the workbooks already sent invalid (another rubric or
    round file, another key, units removed or renamed) need ``new_round``.
    """
    current = current_record(workdir)
    result = GenerateResult(draft, workdir / ROUND_FILE, [], Path(draft.key_file), False)
    result.title, result.deadline = draft.title, draft.deadline
    if current is None:
        return result
    archive = _relative(_archive_path(workdir, current.round_id), workdir)
    if new_round:
        result.previous = current
        result.notes.append(
            make_issue(
                "round-new-started",
                new_id=draft.round_id,
                title=current.title,
                round_id=current.round_id,
                archive=archive,
            )
        )
        return result
    changes = _changes(current, draft)
    if changes:
        raise XlsxflowError(
            make_issue(
                "round-inputs-changed",
                file=str(workdir / ROUND_FILE),
                title=current.title,
                round_id=current.round_id,
                when=current.when,
                changes="；".join(changes),
                archive=archive,
            )
        )
    # The new copies carry a title or deadline given now; only a re-issue to every
    # unit makes it the round's (one unit's later deadline is not everyone's).
    result.title, result.deadline = title or current.title, deadline or current.deadline
    reissue = {
        "at": draft.generated_at,
        "units": sorted(set(units)) if units else "all",
        "out_dir": draft.out_dir,
        "title": result.title,
        "deadline": result.deadline,
    }
    result.record = replace(
        current,
        title=current.title if units else result.title,
        deadline=current.deadline if units else result.deadline,
        rubric=draft.rubric,
        round_file=draft.round_file,
        roster=draft.roster,
        key_file=draft.key_file,
        key_id=draft.key_id,
        out_dir=current.out_dir if units else draft.out_dir,
        roster_units={**current.roster_units, **draft.roster_units},
        reissues=[*current.reissues, reissue],
    )
    result.reissue = True
    return result


def _check_out_dir(out_dir: str | Path, workdir: Path) -> None:
    """The workbook folder is replaced whole: never the working directory or above it."""
    out, here = Path(os.path.realpath(out_dir)), Path(os.path.realpath(workdir))
    if out == here or here.is_relative_to(out):
        raise XlsxflowError(make_issue("generate-out-is-workdir", out=str(out_dir)))


def _chosen(candidates: list[Unit], units: list[str] | None, roster: str) -> list[Unit]:
    """The units to write: all candidates, or those named (each must be one of them)."""
    if not units:
        return candidates
    known = {u.unit_id for u in candidates}
    unknown = [u for u in dict.fromkeys(units) if u not in known]
    if unknown:
        raise XlsxflowError(
            [make_issue("generate-unknown-unit", unit_id=u, roster=roster) for u in unknown]
        )
    wanted = set(units)
    return [u for u in candidates if u.unit_id in wanted]


def _issue(
    plan: GenerateResult,
    workdir: Path,
    out_dir: Path,
    chosen: list[Unit],
    partial: bool,
    write: Callable[[Path], list[Generated]],
) -> GenerateResult:
    """Write the workbooks into a staging folder, record the round, swap the folder in.

    A partial re-issue carries the folder's other files over; otherwise the
    workbooks of this folder's rounds are replaced and anything else is kept.  Ctrl-C or
    ``kill -9`` before the swap leave the old folder and records as they were.
    """
    issued: dict[str, str] = {**plan.record.roster_units}
    if plan.previous:
        issued.update(plan.previous.roster_units)
    issued.update({u.unit_id: u.name for u in chosen})
    prefixes = tuple(
        f"{safe_filename(uid, 40)}_{safe_filename(name)}_" for uid, name in issued.items()
    )

    def carry(entry: Path) -> bool:
        if partial and plan.reissue:
            return True  # the units' new files replace their old ones in the same round
        return not (entry.suffix.lower() == ".xlsx" and entry.name.startswith(prefixes))

    stage = StagedDir(out_dir, carry)
    try:
        staged = write(stage.path)
        with deferred_signals():
            kept = _keep_previous_workbooks(plan, workdir, out_dir, carry)
            plan.record_path = _save_round(plan.record, workdir, plan.previous)
            stage.commit()
    finally:
        stage.discard()
    if kept:
        plan.notes.append(
            make_issue(
                "round-old-workbooks-kept",
                count=kept,
                round_id=plan.previous.round_id,
                folder=_relative(_kept_dir(workdir, plan.previous.round_id), workdir),
            )
        )
    plan.files = [Generated(g.unit_id, Path(out_dir) / g.path.name) for g in staged]
    if plan.reissue:
        plan.notes.insert(
            0,
            make_issue(
                "round-reissued",
                count=len(plan.files),
                title=plan.record.title,
                round_id=plan.record.round_id,
            ),
        )
    return plan


def _kept_dir(workdir: Path, round_id: str) -> Path:
    """Where a previous round's workbooks go when a new round replaces them."""
    archive = _archive_path(workdir, round_id)
    return archive.with_name(f"{archive.stem}-workbooks")


def _keep_previous_workbooks(
    plan: GenerateResult, workdir: Path, out_dir: Path, carry: Callable[[Path], bool]
) -> int:
    """A new round replaces the workbooks in ``out_dir``: keep the previous round's copies
    (hard links where possible) beside its record, so nothing sent out is lost."""
    if plan.previous is None or plan.reissue or not out_dir.is_dir():
        return 0
    replaced = [p for p in sorted(out_dir.iterdir()) if p.is_file() and not carry(p)]
    if not replaced:
        return 0
    kept = _kept_dir(workdir, plan.previous.round_id)
    kept.mkdir(parents=True, exist_ok=True)
    for path in replaced:
        if not (kept / path.name).exists():
            link_or_copy(str(path), str(kept / path.name))
    return len(replaced)


def generate(
    rubric_path: str | Path,
    roster_path: str | Path,
    out_dir: str | Path,
    *,
    title: str | None = None,
    deadline: str | None = None,
    lang: str = "zh",
    key_path: str | Path | None = None,
    workdir: str | Path = ".",
    units: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    new_round: bool = False,
) -> GenerateResult:
    """Write one workbook per roster unit (or those of ``units``) and record the round.

    With a round already current in ``workdir`` and the same rubric, key and units,
    this re-issues inside that round (same id, earlier copies stay valid); other
    inputs need ``new_round``, and the earlier round stays recorded.
    """
    _check_out_dir(out_dir, Path(workdir))
    rubric = load_rubric(rubric_path)
    roster = load_roster(roster_path)
    chosen = _chosen(list(roster), units, str(roster_path))
    key_file, key_created, key = _office_key(key_path)
    now = now or datetime.now().astimezone()
    year = now.year
    workdir = Path(workdir)
    draft = RoundRecord(
        round_id=new_round_id(rubric, now.date()),
        title=title
        or f"{year}年度{rubric.title.removesuffix('创建标准').removesuffix('考核表')}评选",
        deadline=deadline or (now.date() + timedelta(days=14)).isoformat(),
        rubric=_relative(resolve_rubric_path(rubric_path), workdir),
        roster=_relative(Path(roster_path), workdir),
        key_file=str(Path(os.path.abspath(key_file))),
        lang=lang,
        generated_at=now.isoformat(timespec="seconds"),
        out_dir=_relative(Path(out_dir), workdir),
        rubric_id=rubric.id,
        rubric_hash=rubric.content_hash,
        key_id=key_id(key),
        roster_units={u.unit_id: u.name for u in roster},
    )
    plan = _plan_round(
        workdir, draft, title=title, deadline=deadline, units=units, new_round=new_round
    )
    record = plan.record
    book = rubric_book(rubric, lang)
    signer = key_id(key)  # once, not per unit

    def identity(unit: Unit) -> Identity:
        return Identity(
            format=FORMAT,
            round_id=record.round_id,
            round_title=plan.title,
            deadline=plan.deadline,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            rubric_hash=rubric.content_hash,
            lang=lang,
            unit_id=unit.unit_id,
            unit_name=unit.name,
            generated_at=draft.generated_at,
            key_id=signer,
        )

    def write(folder: Path) -> list[Generated]:
        return write_unit_workbooks(book, chosen, folder, identity, key, progress, staged=True)

    plan.key_path, plan.key_created = key_file, key_created
    return _issue(plan, workdir, Path(out_dir), chosen, bool(units), write)


def _office_key(key_path: str | Path | None) -> tuple[Path, bool, bytes]:
    """The signing key file, whether it was just created, and the key."""
    key_file = Path(key_path) if key_path else default_key_path()
    key_created = not key_file.exists()
    return key_file, key_created, load_key(key_file, create=True)


def is_round_file(path: str | Path) -> bool:
    """Does this YAML (or shipped round name) describe a round of forms, not one rubric?"""
    if is_shipped_round_name(path):
        return True
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.startswith("forms:") for line in text.splitlines())


def generate_round(
    round_path: str | Path,
    out_dir: str | Path,
    *,
    roster_path: str | Path | None = None,
    deadline: str | None = None,
    lang: str = "zh",
    key_path: str | Path | None = None,
    workdir: str | Path = ".",
    units: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    new_round: bool = False,
) -> GenerateResult:
    """One workbook per unit holding every form and slot it is entitled to (a round file).

    Re-issuing and new rounds as in :func:`generate`.
    """
    _check_out_dir(out_dir, Path(workdir))
    rnd = load_round(round_path, roster_path)
    roster_file = Path(roster_path) if roster_path else rnd.path.parent / rnd.spec.roster
    entitled = [u for u in rnd.roster if rnd.slots_of(u.unit_id)]
    chosen = _chosen(entitled, units, str(roster_file))
    key_file, key_created, key = _office_key(key_path)
    now = now or datetime.now().astimezone()
    spec = rnd.spec
    workdir = Path(workdir)
    draft = RoundRecord(
        round_id=f"{now:%Y%m%d}-{ROUND_RUBRIC_ID}-{secrets.token_hex(3)}",
        title=spec.title,
        deadline=deadline or spec.deadline or (now.date() + timedelta(days=14)).isoformat(),
        rubric="",
        roster=_relative(roster_file, workdir),
        key_file=str(Path(os.path.abspath(key_file))),
        lang=lang,
        generated_at=now.isoformat(timespec="seconds"),
        out_dir=_relative(Path(out_dir), workdir),
        rubric_id=ROUND_RUBRIC_ID,
        rubric_hash=rnd.content_hash,
        round_file=_relative(rnd.path, workdir),
        key_id=key_id(key),
        roster_units={u.unit_id: u.name for u in rnd.roster},
    )
    plan = _plan_round(
        workdir,
        draft,
        title=spec.title,
        deadline=deadline or spec.deadline,
        units=units,
        new_round=new_round,
    )
    record = plan.record
    books: dict[str, object] = {}
    signer = key_id(key)  # once, not per unit

    def sheets_text(unit: Unit) -> str:
        return slots_text(rnd.slots_of(unit.unit_id))

    def book_for(unit: Unit):
        text = sheets_text(unit)
        if text not in books:
            books[text] = rnd.book(rnd.slots_of(unit.unit_id), lang)
        return books[text]

    def identity(unit: Unit) -> Identity:
        return Identity(
            format=FORMAT,
            round_id=record.round_id,
            round_title=plan.title,
            deadline=plan.deadline,
            rubric_id=ROUND_RUBRIC_ID,
            rubric_version=str(spec.year),
            rubric_hash=rnd.content_hash,
            lang=lang,
            unit_id=unit.unit_id,
            unit_name=unit.name,
            generated_at=draft.generated_at,
            key_id=signer,
            sheets=sheets_text(unit),
        )

    def write(folder: Path) -> list[Generated]:
        return write_unit_workbooks(book_for, chosen, folder, identity, key, progress, staged=True)

    plan.key_path, plan.key_created = key_file, key_created
    return _issue(plan, workdir, Path(out_dir), chosen, bool(units), write)


@dataclass
class RoundContext:
    """Everything ingest needs: rubric (or round), roster, key and the round record."""

    rubric: Rubric | None
    roster: Roster
    key: bytes
    record: RoundRecord | None
    rubric_path: Path | None
    roster_path: Path
    round: Round | None = None  # a round of several forms
    other_rounds: dict[str, RoundRecord] = field(default_factory=dict)  # recorded here too
    other_keys: dict[str, bytes] = field(default_factory=dict)  # their keys, where readable
    # Set when the files read are reviewers' returns (review/returns.py): what to check
    # them against, and the reviewers as the senders files are tied to.
    reviewing: Any = None
    # Set when the files read are ballots and clerks' tallies (ballots/returns.py).
    balloting: Any = None
    workdir: Path = Path(".")  # where the round is recorded (its counted survey rates too)

    @property
    def senders(self) -> Roster:
        """Who sends the files read: the units, or the reviewers when reading reviews."""
        return self.reviewing.senders if self.reviewing is not None else self.roster

    def recorded_round_of(self, identity: Identity, signature: str) -> RoundRecord | None:
        """The other round recorded here that signed this workbook, if there is one."""
        other = self.other_rounds.get(identity.round_id)
        if other is None:
            return None
        keys = [self.other_keys.get(identity.round_id), self.key]
        return other if any(k and identity.verify(signature, k) for k in keys) else None

    @property
    def title(self) -> str:
        if self.record:
            return self.record.title
        return self.round.spec.title if self.round else self.rubric.title

    @property
    def signed_as(self) -> tuple[str, str, str, str]:
        """(rubric id, title, version, content hash) its workbooks are signed with."""
        if self.round is not None:
            spec = self.round.spec
            return ROUND_RUBRIC_ID, spec.title, str(spec.year), self.round.content_hash
        rubric = self.rubric
        return rubric.id, rubric.title, rubric.version, rubric.content_hash


def require_recorded_round(ctx: RoundContext, *, needs_round: str, other_key: str) -> None:
    """A stage after ingest (review, ballots) needs a recorded round file signed with the
    key given: else the stage's message ``needs_round`` or ``other_key`` (a --key that is
    not the round's would make everything it signs read as forged)."""
    if ctx.round is None or ctx.record is None:
        raise XlsxflowError(make_issue(needs_round))
    if ctx.record.key_id and key_id(ctx.key) != ctx.record.key_id:
        raise XlsxflowError(
            make_issue(other_key, found=key_id(ctx.key), expected=ctx.record.key_id)
        )


def open_round(
    *,
    workdir: str | Path = ".",
    rubric: str | Path | None = None,
    roster: str | Path | None = None,
    key_path: str | Path | None = None,
    round_file: str | Path | None = None,
    round_id: str | None = None,
) -> RoundContext:
    """The round recorded in ``workdir`` (the current one, or ``round_id``), with any of
    its parts overridden.  ``round_file`` may also name a recorded round by its id."""
    workdir = Path(workdir)
    rounds = recorded_rounds(workdir)
    by_id = round_file is not None and (
        str(round_file) in rounds
        or _looks_like_round_id(round_file)
        or (  # neither a file nor a shipped round: a mistyped round id, when rounds exist
            bool(rounds) and not Path(round_file).exists() and not is_shipped_round_name(round_file)
        )
    )
    if round_id is None and by_id:
        round_id, round_file = str(round_file), None
    record_path = workdir / ROUND_FILE
    record = None
    if round_id is not None:
        record = rounds.get(round_id)
        if record is None:
            known = "、".join(f"{r.round_id}（{r.title}）" for r in rounds.values()) or "无"
            raise XlsxflowError(make_issue("round-unknown-id", round_id=round_id, known=known))
    elif record_path.exists() or not ((rubric or round_file) and roster):
        record = current_record(workdir)
        if record is None:
            raise XlsxflowError(make_issue("round-missing", path=str(record_path)))
    if round_file is None and rubric is None and record and record.round_file:
        round_file = record.resolve(workdir, record.round_file)
    roster_path = Path(roster) if roster else record.resolve(workdir, record.roster)
    if key_path:
        key_file = Path(key_path)
    elif record and not os.environ.get("XLSXFLOW_KEY_FILE"):
        key_file = Path(record.key_file)
    else:
        key_file = default_key_path()
    others = {rid: r for rid, r in rounds.items() if record is None or rid != record.round_id}
    other_keys = {}
    for rid, other in others.items():
        with contextlib.suppress(XlsxflowError, OSError):
            other_keys[rid] = load_key(Path(other.key_file))
    if round_file is not None:
        return RoundContext(
            rubric=None,
            roster=(rnd := load_round(round_file, roster_path)).roster,
            key=load_key(key_file),
            record=record,
            rubric_path=None,
            roster_path=roster_path,
            round=rnd,
            other_rounds=others,
            other_keys=other_keys,
            workdir=workdir,
        )
    rubric_path = Path(rubric) if rubric else record.resolve(workdir, record.rubric)
    return RoundContext(
        rubric=load_rubric(rubric_path),
        roster=load_roster(roster_path),
        key=load_key(key_file),
        record=record,
        rubric_path=rubric_path,
        roster_path=roster_path,
        other_rounds=others,
        other_keys=other_keys,
    )


def _looks_like_round_id(value: str | Path) -> bool:
    """``20261123-wenming-danwei-1a2b3c``: a round id, not a round file's path or name."""
    text = str(value)
    return (
        bool(re.fullmatch(r"\d{8}-[0-9A-Za-z_.-]+-[0-9a-f]{6}", text)) and not Path(text).exists()
    )
