"""Reviewers' returns: every file of the reviews folder read and accounted for.

The same untrusting ingest as for the units' returns (``ingest.read_folder``):
saved messages and archives opened, each workbook read in the isolated workers,
duplicates and resubmissions resolved (one return per reviewer: the newest),
rejected files tied to the reviewer who evidently sent them.  Each workbook is
checked by :func:`.reading.read_review_book` against the round's accepted unit
returns (the ledger), so a review made before a unit resubmitted is named stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ..accepted import LedgerSnapshot
from ..ingest import FileRecord, read_folder
from ..isolation import DEFAULT_ISOLATION, Isolation
from ..messages import Issue, XlsxflowError, make_issue
from ..ooxml import DEFAULT_LIMITS, Limits
from ..roster import Roster, Unit
from ..round import RoundContext
from .model import ReviewedSheet, ReviewIngest
from .spec import RoundReview
from .workbook import review_limits


@dataclass
class ReviewReading:
    """What a reviewer's return is checked against (``RoundContext.reviewing``)."""

    review: RoundReview
    ledger: LedgerSnapshot
    senders: Roster  # the reviewers, as the parties files are tied to


def reviewers_roster(review: RoundReview) -> Roster:
    """Every reviewer of the round's forms, once, as the senders of reviewer returns."""
    seen: dict[str, Unit] = {}
    for form in review.forms.values():
        for r in form.reviewers:
            seen.setdefault(r.reviewer_id, Unit(r.reviewer_id, r.name, email=r.email, row=r.row))
    sources = sorted({form.reviewers.source for form in review.forms.values()})
    return Roster(list(seen.values()), source="、".join(sources))


def ingest_reviews(
    reviews_dir: str | Path,
    ctx: RoundContext,
    review: RoundReview,
    ledger: LedgerSnapshot,
    *,
    limits: Limits = DEFAULT_LIMITS,
    isolation: Isolation = DEFAULT_ISOLATION,
    progress: Callable[[int], None] | None = None,
) -> ReviewIngest:
    """Read every file under ``reviews_dir``; the reviewed sheets of the accepted ones."""
    reviews_dir = check_reviews_dir(reviews_dir)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    reading = ReviewReading(review, ledger, reviewers_roster(review))
    records = read_folder(
        reviews_dir,
        replace(ctx, reviewing=reading),
        limits=review_limits(limits),  # a reviewer's workbook: a sheet per unit reviewed
        isolation=isolation,
        progress=progress,
    )
    accepted = [rec for rec in records if rec.status == "accepted"]
    return ReviewIngest(
        reviews_dir=str(reviews_dir),
        started_at=started,
        files=records,
        sheets=latest_reviews(records),
        warnings=reviews_folder_warnings(reviews_dir, records, accepted),
    )


def latest_reviews(records: list[FileRecord]) -> list[ReviewedSheet]:
    """Each reviewer's latest review of each unit sheet, across the files they sent.

    The newest file of a reviewer is accepted and the older ones superseded, as for
    units; but a unit sheet left blank in the newer file keeps the review an older
    file of the same reviewer gave it.  So after a unit resubmits, the reviewer fills
    in only that unit's sheet of the regenerated workbook (the older file says which
    of its sheets still count).
    """
    by_reviewer: dict[str, list[FileRecord]] = {}
    for rec in records:
        if rec.status in ("accepted", "superseded") and rec.reviews:
            by_reviewer.setdefault(rec.unit_id, []).append(rec)
    out: list[ReviewedSheet] = []
    for recs in by_reviewer.values():
        recs.sort(key=lambda r: (r.status != "accepted", -r.received, r.path))  # newest first
        seen: set[tuple[str, str, int]] = set()
        for rec in recs:
            carried = [sheet for sheet in rec.reviews if sheet.key not in seen]
            seen.update(sheet.key for sheet in carried)
            out += carried
            if rec.status == "superseded" and carried:
                issue = make_issue(
                    "review-sheets-carried",
                    file=rec.path,
                    count=len(carried),
                    sheets="、".join(f"{sheet.unit_id} {sheet.sheet}" for sheet in carried[:5])
                    + ("…" if len(carried) > 5 else ""),
                    other=rec.superseded_by,
                )
                rec.issues.append(issue)
                rec.reason = issue.message
    return out


def check_reviews_dir(reviews_dir: str | Path) -> Path:
    """The reviews folder, which must exist (named as the reviews folder, not the returns)."""
    reviews_dir = Path(reviews_dir)
    if not reviews_dir.is_dir():
        raise XlsxflowError(make_issue("reviews-missing", path=str(reviews_dir)))
    return reviews_dir


def reviews_folder_warnings(
    reviews_dir: Path, records: list[FileRecord], accepted: list[FileRecord]
) -> list[Issue]:
    """The folder as a whole: empty, the units' returns, or the blank workbooks sent out."""
    if not any(r.status != "skipped" for r in records):
        detail = f"（{len(records)} 个文件均已跳过，见“文件”表）" if records else "（文件夹是空的）"
        return [make_issue("reviews-empty", path=str(reviews_dir), detail=detail)]
    unit_books = [r for r in records if any(i.code == "identity-not-review" for i in r.issues)]
    if not accepted and unit_books:
        return [
            make_issue("reviews-are-unit-returns", path=str(reviews_dir), count=len(unit_books))
        ]
    if accepted and all(
        not r.reviews and any(i.code == "review-sheet-blank" for i in r.issues) for r in accepted
    ):
        return [make_issue("reviews-unfilled", count=len(accepted))]
    return []
