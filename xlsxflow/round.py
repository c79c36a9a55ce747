"""A round: one rubric sent to the units of a roster, recorded for ingest.

``xlsxflow generate`` writes the record ``xlsxflow-round.json`` into the working
directory.  It holds the round id, title and deadline, and where the rubric,
roster and signing key are (relative to the record where they sit below it), so
that a later ``xlsxflow ingest returns/`` in the same directory needs nothing
else.  Options on ingest (``--rubric``, ``--roster``, ``--key``) override it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from .atomic import atomic_write_bytes
from .identity import FORMAT, Identity, default_key_path, key_id, load_key, slots_text
from .layout import rubric_book
from .messages import XlsxflowError, make_issue
from .roster import Roster, Unit, load_roster
from .roundfile import Round, is_shipped_round_name, load_round
from .rubric import Rubric, load_rubric, resolve_rubric_path
from .writer import Generated, write_unit_workbooks

ROUND_RUBRIC_ID = "round"  # the rubric id signed into a round workbook

ROUND_FILE = "xlsxflow-round.json"


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


@dataclass
class GenerateResult:
    record: RoundRecord
    record_path: Path
    files: list[Generated]
    key_path: Path
    key_created: bool


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
) -> GenerateResult:
    """Write one workbook per roster unit and record the round in ``workdir``."""
    rubric = load_rubric(rubric_path)
    roster = load_roster(roster_path)
    chosen: list[Unit] = list(roster)
    if units:
        wanted = set(units)
        chosen = [u for u in roster if u.unit_id in wanted]
    key_file, key_created, key = _office_key(key_path)
    now = now or datetime.now().astimezone()
    year = now.year
    title = title or f"{year}年度{rubric.title.removesuffix('创建标准').removesuffix('考核表')}评选"
    deadline = deadline or (now.date() + timedelta(days=14)).isoformat()
    workdir = Path(workdir)
    record = RoundRecord(
        round_id=new_round_id(rubric, now.date()),
        title=title,
        deadline=deadline,
        rubric=_relative(resolve_rubric_path(rubric_path), workdir),
        roster=_relative(Path(roster_path), workdir),
        key_file=str(Path(os.path.abspath(key_file))),
        lang=lang,
        generated_at=now.isoformat(timespec="seconds"),
        out_dir=_relative(Path(out_dir), workdir),
        rubric_id=rubric.id,
        rubric_hash=rubric.content_hash,
    )
    book = rubric_book(rubric, lang)

    def identity(unit: Unit) -> Identity:
        return Identity(
            format=FORMAT,
            round_id=record.round_id,
            round_title=title,
            deadline=deadline,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            rubric_hash=rubric.content_hash,
            lang=lang,
            unit_id=unit.unit_id,
            unit_name=unit.name,
            generated_at=record.generated_at,
            key_id=key_id(key),
        )

    files = write_unit_workbooks(book, chosen, Path(out_dir), identity, key, progress)
    record_path = workdir / ROUND_FILE
    record.save(record_path)
    return GenerateResult(record, record_path, files, key_file, key_created)


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
) -> GenerateResult:
    """One workbook per unit holding every form and slot it is entitled to (a round file)."""
    rnd = load_round(round_path, roster_path)
    chosen = [u for u in rnd.roster if rnd.slots_of(u.unit_id)]
    if units:
        wanted = set(units)
        chosen = [u for u in chosen if u.unit_id in wanted]
    key_file, key_created, key = _office_key(key_path)
    now = now or datetime.now().astimezone()
    spec = rnd.spec
    deadline = deadline or spec.deadline or (now.date() + timedelta(days=14)).isoformat()
    workdir = Path(workdir)
    record = RoundRecord(
        round_id=f"{now:%Y%m%d}-{ROUND_RUBRIC_ID}-{secrets.token_hex(3)}",
        title=spec.title,
        deadline=deadline,
        rubric="",
        roster=_relative(
            Path(roster_path) if roster_path else rnd.path.parent / spec.roster, workdir
        ),
        key_file=str(Path(os.path.abspath(key_file))),
        lang=lang,
        generated_at=now.isoformat(timespec="seconds"),
        out_dir=_relative(Path(out_dir), workdir),
        rubric_id=ROUND_RUBRIC_ID,
        rubric_hash=rnd.content_hash,
        round_file=_relative(rnd.path, workdir),
    )
    books: dict[str, object] = {}

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
            round_title=spec.title,
            deadline=deadline,
            rubric_id=ROUND_RUBRIC_ID,
            rubric_version=str(spec.year),
            rubric_hash=rnd.content_hash,
            lang=lang,
            unit_id=unit.unit_id,
            unit_name=unit.name,
            generated_at=record.generated_at,
            key_id=key_id(key),
            sheets=sheets_text(unit),
        )

    files = write_unit_workbooks(book_for, chosen, Path(out_dir), identity, key, progress)
    record_path = workdir / ROUND_FILE
    record.save(record_path)
    return GenerateResult(record, record_path, files, key_file, key_created)


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


def open_round(
    *,
    workdir: str | Path = ".",
    rubric: str | Path | None = None,
    roster: str | Path | None = None,
    key_path: str | Path | None = None,
    round_file: str | Path | None = None,
) -> RoundContext:
    """The round recorded in ``workdir``, with any of its parts overridden."""
    workdir = Path(workdir)
    record_path = workdir / ROUND_FILE
    record = None
    if record_path.exists() or not ((rubric or round_file) and roster):
        record = RoundRecord.load(record_path)
    if round_file is None and rubric is None and record and record.round_file:
        round_file = record.resolve(workdir, record.round_file)
    roster_path = Path(roster) if roster else record.resolve(workdir, record.roster)
    if key_path:
        key_file = Path(key_path)
    elif record and not os.environ.get("XLSXFLOW_KEY_FILE"):
        key_file = Path(record.key_file)
    else:
        key_file = default_key_path()
    if round_file is not None:
        return RoundContext(
            rubric=None,
            roster=(rnd := load_round(round_file, roster_path)).roster,
            key=load_key(key_file),
            record=record,
            rubric_path=None,
            roster_path=roster_path,
            round=rnd,
        )
    rubric_path = Path(rubric) if rubric else record.resolve(workdir, record.rubric)
    return RoundContext(
        rubric=load_rubric(rubric_path),
        roster=load_roster(roster_path),
        key=load_key(key_file),
        record=record,
        rubric_path=rubric_path,
        roster_path=roster_path,
    )
