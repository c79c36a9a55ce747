"""What a reviewer's return says once read, and what the decision makes of it.

The contract between :mod:`.reading` (which fills :class:`ReviewedSheet` and
:class:`ReviewIngest` from reviewer workbooks, trusting nothing) and
:mod:`.outcome` (which turns them, with the units' own returns, into one
:class:`Candidate` per unit sheet: reviewed totals, the decision score,
eligibility, rank and award on the form's decision basis).  Plain data only:
this module imports nothing of the reader or the writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..conditions import StarResult
from ..messages import Issue

TRUE = "属实"  # a reviewer's confirmation of a declaration or a condition to apply
FALSE = "不属实"


@dataclass
class ReviewedSheet:
    """One reviewer's review of one unit's sheet (one form slot), as read.

    Keys are the rubric's ids: item ids for ``scores`` and ``reasons``, bonus line
    ids for ``bonus``, declaration ids for ``vetoes``; ``prerequisites`` is keyed
    by the position (0, 1 …) of the form's ``requires`` entry in the round file.
    A value that is missing or wrong in the workbook reads as ``None`` and counts
    in ``errors``; a sheet with errors does not count until the reviewer fixes it.
    """

    reviewer_id: str
    unit_id: str
    form_id: str
    slot: int  # 1-based, as on the unit's workbook
    sheet: str  # the unit workbook's sheet it reviews (文明窗口-2)
    file: str  # the reviewer's file, relative to the reviews folder (forward slashes)
    return_hash: str  # content hash of the unit's return the reviewer was shown (signed)
    stale: bool = False  # the unit resubmitted since: this review no longer counts
    scores: dict[str, float | None] = field(default_factory=dict)  # 实评分 per item
    not_applicable: set[str] = field(default_factory=set)  # items the reviewer marked 不适用
    bonus: dict[str, float | None] = field(default_factory=dict)  # points kept (0: struck)
    reasons: dict[str, str] = field(default_factory=dict)  # 扣分说明 per item / bonus line
    vetoes: dict[str, str | None] = field(default_factory=dict)  # declaration → 属实/不属实
    prerequisites: dict[int, str | None] = field(default_factory=dict)  # requires[i] → 属实/不属实
    # a conditions form: answer id → 属实/不属实, a value of the honour's scale, or a number
    conditions: dict[str, str | float | None] = field(default_factory=dict)
    comment: str = ""  # 评语
    reviewer_name: str = ""  # as the reviewer typed it (签名)
    reviewed_on: str = ""  # ISO date the reviewer typed
    errors: int = 0

    @property
    def counts(self) -> bool:
        """Whether this review enters the combined score (not stale, no errors)."""
        return not self.stale and self.errors == 0

    @property
    def key(self) -> tuple[str, str, int]:
        """The unit sheet reviewed: (unit id, form id, slot)."""
        return (self.unit_id, self.form_id, self.slot)


@dataclass
class ReviewIngest:
    """Everything ``review ingest`` read: each file, and each reviewed sheet accepted.

    ``files`` are :class:`xlsxflow.ingest.FileRecord` (``unit_id`` holds the
    reviewer id), so the 问题 sheet and ``report.json`` show them like unit returns.
    """

    reviews_dir: str
    started_at: str
    files: list = field(default_factory=list)  # ingest.FileRecord
    sheets: list[ReviewedSheet] = field(default_factory=list)  # from accepted files only
    warnings: list[Issue] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Files by status, like ``IngestReport.counts``."""
        out = {s: 0 for s in ("accepted", "rejected", "duplicate", "superseded", "skipped")}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def to_dict(self) -> dict:
        """The reviewers' files in report.json (``review_files``), like the units' ``files``."""
        return {
            "reviews_dir": self.reviews_dir,
            "started_at": self.started_at,
            "counts": self.counts(),
            "files": [f.to_dict() for f in self.files],
            "warnings": [i.to_dict() for i in self.warnings],
        }

    def returned_by(self) -> dict[str, list[ReviewedSheet]]:
        """Reviewer id → the sheets read from that reviewer's accepted returns."""
        out: dict[str, list[ReviewedSheet]] = {}
        for sheet in self.sheets:
            out.setdefault(sheet.reviewer_id, []).append(sheet)
        return out


@dataclass
class ItemScores:
    """One item of one candidate: the unit's self-score, each reviewer's, and combined."""

    item_id: str
    label: str  # 第3项 … as the workbook names it
    max: float
    self_score: float | None
    by_reviewer: dict[str, float] = field(default_factory=dict)  # counted reviews only
    combined: Decimal | None = None  # the 实评分, rounded as the round file says
    method: str = ""  # as applied (a trimmed mean with too few scores is a mean)
    self_not_applicable: bool = False  # the unit marked the item 不适用
    not_applicable_by: list[str] = field(default_factory=list)  # counted reviewers marking 不适用
    not_applicable: bool = False  # combined: more than half of the counted reviews say 不适用


@dataclass
class Candidate:
    """One unit sheet (the unit itself, or one nominee) as the decision sees it."""

    form_id: str
    form_title: str
    unit_id: str
    unit_name: str
    slot: int
    sheet: str
    nominee: str
    basis: str  # self | review | composite
    self_total: float  # from the unit's return, as ranked before review
    review_total: Decimal | None = None  # None: not reviewed (yet)
    review_bonus: Decimal | None = None
    decision: Decimal | None = None  # the score the decision rests on
    band: str = ""
    eligible: bool = False
    reasons: list[str] = field(default_factory=list)  # plain Chinese, on the decision basis
    flags: list[str] = field(default_factory=list)  # 自评虚高, 不属实 …, in words
    rank: int | None = None
    award: str = ""
    reviewers_expected: list[str] = field(default_factory=list)
    reviewers_counted: list[str] = field(default_factory=list)
    reviewers_stale: list[str] = field(default_factory=list)
    items: list[ItemScores] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)  # reviewer id → 评语
    parent: str = ""  # the unit's 主管单位 name
    file: str = ""  # the unit's accepted return (relative to the returns folder)
    reviewer_totals: dict[str, Decimal] = field(
        default_factory=dict
    )  # each counted review's own total
    # a conditions form reviewed by confirming (review/confirm.py): the result on the
    # confirmed answers, the unit's own result, the 申报等级, and what withheld a condition
    stars: StarResult | None = None
    claimed: StarResult | None = None
    applied: str = ""
    findings: list[str] = field(default_factory=list)
    confirmations: dict[str, dict] = field(default_factory=dict)  # reviewer id → entries

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.unit_id, self.form_id, self.slot)
