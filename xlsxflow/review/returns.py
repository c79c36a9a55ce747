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
from ..ingest import folder_warnings, read_folder
from ..isolation import DEFAULT_ISOLATION, Isolation
from ..ooxml import DEFAULT_LIMITS, Limits
from ..roster import Roster, Unit
from ..round import RoundContext
from .model import ReviewIngest
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
    reviews_dir = Path(reviews_dir)
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
        sheets=[sheet for rec in accepted for sheet in rec.reviews],
        warnings=folder_warnings(reviews_dir, records, accepted),
        senders=list(reading.senders),
    )
