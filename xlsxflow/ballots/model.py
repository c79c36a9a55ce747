"""What a ballot says once read, and what counting makes of many ballots.

The contract between the three stages of 民主测评:

* :mod:`.workbook` writes ballot workbooks and clerks' tally workbooks (录入表) and
  reads them back into :class:`Ballot` objects, trusting nothing;
* :mod:`.returns` reads a ballots folder with the same untrusting folder ingest as
  units' returns and gives a :class:`BallotIngest` (every file, every ballot);
* :mod:`.count` turns the ballots into an :class:`EvaluationOutcome`: per unit and
  candidate the ballots expected, returned, valid and invalid (with the rule),
  quorum, the aggregated score or grade or rates, rank, the cap — never a result
  computed from fewer ballots than the anonymity threshold.

Plain data only: this module imports nothing of the reader, writer or counter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ..messages import Issue

Value = float | str | None  # a score, a choice, or nothing (blank or unreadable)


@dataclass
class Ballot:
    """One rater's ballot, as read: an electronic ballot file or a row block of a tally.

    ``answers`` maps each candidate (member id) to its answers by question id; every
    candidate and question of the ballot is present, ``None`` where nothing (or
    nothing readable) was given.  ``bad`` names the questions whose value was
    unreadable or out of range (``{member id: {question id: issue code}}``): the
    part of the ballot for that candidate is then invalid.
    """

    serial: str  # XXXX-XXXX-XXXX (spec.make_serial)
    evaluation_id: str
    unit_id: str
    group_id: str
    file: str  # relative to the ballots folder, forward slashes
    source: str = "file"  # file | tally (typed from paper by a clerk)
    where: str = ""  # a tally's sheet and rows (录入表!A12:L14); "" for a ballot file
    answers: dict[str, dict[str, Value]] = field(default_factory=dict)
    bad: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        """Nothing given for any candidate."""
        return all(v is None for a in self.answers.values() for v in a.values()) and not self.bad


@dataclass
class BallotIngest:
    """Everything ``ballots ingest`` read: each file, and each ballot counted once.

    ``files`` are :class:`xlsxflow.ingest.FileRecord` (``unit_id`` holds the unit,
    i.e. the branch, and ``serial`` the serial of a ballot file or
    ``录入表:<evaluation id>/<group id>`` for a tally), so the 问题 and 文件 sheets
    show them like unit returns.  ``ballots`` has one ballot per serial: a
    serial read twice (a copied ballot, or typed in a tally and returned as a
    file) counts once and is named in ``warnings`` and on its files.
    """

    ballots_dir: str
    started_at: str
    files: list = field(default_factory=list)  # ingest.FileRecord
    ballots: list[Ballot] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("accepted", "rejected", "duplicate", "superseded", "skipped")}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out


# -- counting ------------------------------------------------------------------------

VALID = "valid"
# why a ballot's part for one candidate does not count, in the order they are checked
INVALID_REASONS = {
    "blank": "空白票",  # nothing given (for this candidate, or on the whole ballot)
    "incomplete": "未评完",  # some questions answered, not all
    "all_same": "各项相同",  # every item the same score (items) / every candidate one grade
    "all_max": "全部满分",  # every item its maximum / every candidate the top grade
    "bad_value": "取值错误",  # a value unreadable or out of range (always invalid)
}


@dataclass
class GroupResult:
    """One rater group's ballots for one candidate."""

    group_id: str
    label: str  # 党员, 群众代表 …
    expected: int
    returned: int  # ballots of this unit and group read (each serial once)
    valid: int  # ballots whose part for this candidate counts
    invalid: dict[str, int] = field(default_factory=dict)  # INVALID_REASONS key → count
    abstained: int = 0  # blank parts when blank is not an invalid rule: 弃权 (count.py)
    quorum_met: bool | None = None  # None: the evaluation sets no quorum
    shown: bool = True  # valid ≥ the anonymity threshold: its result may be shown
    method: str = ""  # as applied: mean, or trimmed_mean (dropped N high and N low)
    score: Decimal | None = None  # items: the aggregated total (exact), None when not shown
    score_exact: Fraction | None = None  # the same as a fraction (a mean of 3 is 1/3 exact)
    items: dict[str, Decimal] = field(default_factory=dict)  # items: per question, aggregated
    shares: dict[str, Fraction] = field(default_factory=dict)  # grade: choice → share
    rates: dict[str, Fraction] = field(default_factory=dict)  # survey: question → positive share


@dataclass
class CandidateResult:
    """One candidate of one unit in one evaluation, all rater groups together."""

    evaluation_id: str
    unit_id: str
    unit_name: str
    member_id: str
    name: str
    post: str = ""
    groups: list[GroupResult] = field(default_factory=list)
    # the result: valid (counted) | no_quorum (测评无效（参加人数不足）) | hidden (fewer
    # valid ballots than the anonymity threshold) | no_ballots
    status: str = "no_ballots"
    score: Decimal | None = None  # items: weighted over the groups (exact); None unless valid
    score_exact: Fraction | None = None  # the same as a fraction: ranking and threshold use it
    items: dict[str, Decimal] = field(default_factory=dict)  # items: weighted per question
    shares: dict[str, Fraction] = field(default_factory=dict)  # grade: weighted shares
    grade: str = ""  # grade: by the rules
    rates: dict[str, Fraction] = field(default_factory=dict)  # survey: weighted rates
    targets_met: dict[str, bool] = field(default_factory=dict)  # survey: question → met
    rank: int | None = None  # within the unit, by score (items); equal scores share
    within_cap: bool = False  # rank within the unit's cap (all when no cap)
    tie_at_cut: bool = False  # tied across the cap's cut: named for the 党委 to decide
    follow_up: bool = False  # grade in follow_up (002: 组织处置)
    recommended: bool = False  # what the 审定 sheet recommends
    reasons: list[str] = field(default_factory=list)  # plain Chinese: why not recommended

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.evaluation_id, self.unit_id, self.member_id)


@dataclass
class Participation:
    """One unit and rater group of an evaluation: ballots expected, returned, valid."""

    evaluation_id: str
    unit_id: str
    unit_name: str
    group_id: str
    label: str
    expected: int
    returned: int
    blank: int  # ballots with nothing filled in
    valid: int  # ballots valid for at least one candidate
    quorum: Fraction | None = None  # the share asked (None: no quorum)
    quorum_met: bool | None = None  # on every candidate's valid count? see count.py


@dataclass
class EvaluationOutcome:
    """The counting of every evaluation of the round."""

    candidates: list[CandidateResult] = field(default_factory=list)
    participation: list[Participation] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)  # e.g. more ballots than expected

    def of(self, evaluation_id: str, unit_id: str | None = None) -> list[CandidateResult]:
        return [
            c
            for c in self.candidates
            if c.evaluation_id == evaluation_id and (unit_id is None or c.unit_id == unit_id)
        ]
