"""Returned ballots: every file of the ballots folder read and accounted for.

The same untrusting ingest as for the units' returns (``ingest.read_folder``):
saved messages and archives opened, each workbook read in the isolated workers
(:func:`.workbook.read_ballot_book` via ``ingest._check_ballot_book``), rejected
files tied to the unit (branch) whose folder or name they carry.

One ballot per serial.  A serial read more than once counts once, and each
repeat is a warning naming both places:

* two ballot files with the same serial (a copied file, or one saved again): the
  newest counts (by ``FileRecord.received``: the mail's date, else the file's
  time; then by path), as a unit's newest return does; byte-identical copies are
  ``duplicate``, different ones ``superseded``;
* a ballot file and a row block of a clerk's tally (a paper ballot typed in, and
  the same ballot also returned as a file): the file counts, because the rater
  filled it in themselves and nothing was typed over;
* two tallies of the same unit and group: the newest counts, as for files.

Within one tally a serial typed twice is caught while reading (only its first
block counts; ``tally-serial-twice``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..ingest import FileRecord, read_folder
from ..isolation import DEFAULT_ISOLATION, Isolation
from ..messages import Issue, XlsxflowError, make_issue
from ..ooxml import DEFAULT_LIMITS, Limits
from ..round import RoundContext
from .model import Ballot, BallotIngest
from .spec import RoundEvaluations
from .workbook import TALLY_SHEET, BallotReading


def ingest_ballots(
    ballots_dir: str | Path,
    ctx: RoundContext,
    evals: RoundEvaluations,
    *,
    limits: Limits = DEFAULT_LIMITS,
    isolation: Isolation = DEFAULT_ISOLATION,
    progress: Callable[[int], None] | None = None,
) -> BallotIngest:
    """Read every file under ``ballots_dir``; every ballot once."""
    ballots_dir = check_ballots_dir(ballots_dir)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    records = read_folder(
        ballots_dir,
        replace(ctx, balloting=BallotReading(evals)),
        limits=limits,
        isolation=isolation,
        progress=progress,
    )
    repeats = _name_file_repeats(records)
    ballots, in_tallies = counted_once(records)
    accepted = [r for r in records if r.status == "accepted"]
    return BallotIngest(
        ballots_dir=str(ballots_dir),
        started_at=started,
        files=records,
        ballots=ballots,
        warnings=[*ballots_folder_warnings(ballots_dir, records, accepted), *repeats, *in_tallies],
    )


def check_ballots_dir(ballots_dir: str | Path) -> Path:
    ballots_dir = Path(ballots_dir)
    if not ballots_dir.is_dir():
        raise XlsxflowError(make_issue("ballots-missing", path=str(ballots_dir)))
    return ballots_dir


def _is_tally(rec: FileRecord) -> bool:
    return rec.serial.startswith(f"{TALLY_SHEET}:")


def _name_file_repeats(records: list[FileRecord]) -> list[Issue]:
    """Ballot files (and tallies) set aside as copies or older versions, said as such."""
    warnings = []
    for rec in records:
        if rec.status not in ("duplicate", "superseded") or not rec.serial:
            continue
        kept = rec.superseded_by or next(
            (i.fields.get("other", "") for i in rec.issues if i.code == "submission-duplicate"), ""
        )
        why = "（内容相同的副本）" if rec.status == "duplicate" else "（取最新的文件）"
        what = rec.serial if not _is_tally(rec) else f"{rec.serial}（录入表）"
        issue = make_issue(
            "ballots-serial-repeated",
            file=rec.path,
            serial=what,
            kept=kept,
            other=rec.path,
            why=why,
        )
        rec.issues = [i for i in rec.issues if not i.code.startswith("submission-")] + [issue]
        rec.reason = issue.message
        warnings.append(issue)
    return warnings


def counted_once(records: list[FileRecord]) -> tuple[list[Ballot], list[Issue]]:
    """The ballots of the accepted files, one per serial: a file's over a tally's."""
    ballots: dict[str, Ballot] = {}
    warnings: list[Issue] = []
    ordered = sorted(
        (r for r in records if r.status == "accepted" and r.ballots),
        key=lambda r: (_is_tally(r), -r.received, r.path),  # files first, newest first
    )
    for rec in ordered:
        for ballot in rec.ballots:
            kept = ballots.get(ballot.serial)
            if kept is None:
                ballots[ballot.serial] = ballot
                continue
            issue = make_issue(
                "ballots-serial-repeated",
                file=rec.path,
                serial=ballot.serial,
                kept=_place(kept),
                other=_place(ballot),
                why="（电子票优先于录入表）" if kept.source != ballot.source else "",
            )
            rec.issues.append(issue)
            warnings.append(issue)
    return list(ballots.values()), warnings


def _place(ballot: Ballot) -> str:
    return f"{ballot.file} {ballot.where}" if ballot.where else ballot.file


def ballots_folder_warnings(
    ballots_dir: Path, records: list[FileRecord], accepted: list[FileRecord]
) -> list[Issue]:
    """The folder as a whole: empty, the units' returns, or the blank ballots sent out."""
    if not any(r.status != "skipped" for r in records):
        detail = f"（{len(records)} 个文件均已跳过，见“文件”表）" if records else "（文件夹是空的）"
        return [make_issue("ballots-empty", path=str(ballots_dir), detail=detail)]
    unit_books = [
        r
        for r in records
        if any(i.code == "ballot-not-ballot" and i.fields.get("unit_return") for i in r.issues)
    ]
    if not accepted and unit_books:
        return [
            make_issue("ballots-are-unit-returns", path=str(ballots_dir), count=len(unit_books))
        ]
    if accepted and all(r.blank for r in accepted):
        return [make_issue("ballots-unfilled", count=len(accepted))]
    return []
