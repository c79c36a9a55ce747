"""What the register keeps: rounds, final decisions, violations, revocations.

Plain frozen dataclasses, read from and written to the register
(:mod:`xlsxflow.register.store`) and handed to the rules
(:mod:`xlsxflow.register.rules`), which are pure functions over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .period import Period

UNIT, PERSON = "unit", "person"
KIND_LABELS = {UNIT: "单位", PERSON: "个人"}
STAR_NAMES = "零一二三四五六七八九十"


def star_label(stars: int | None) -> str:
    """三星级 for 3; empty when there is no star."""
    if stars is None:
        return ""
    return f"{STAR_NAMES[stars]}星级" if 0 <= stars <= 10 else f"{stars}星级"


@dataclass(frozen=True)
class Decision:
    """One final decision of a round about a unit or a person, as it is to be recorded."""

    subject_id: str
    name: str
    form: str
    subject_kind: str = UNIT  # unit | person
    unit_id: str = ""  # a person's unit (支部)
    score: float | None = None
    band: str = ""  # 等次 or named star level, as published
    stars: int | None = None  # the star count when the form gives stars
    award: str = ""  # 奖项 given (流动红旗, 党员先锋岗 …); empty: none
    title: str = ""  # 称号 named (文明单位 …)
    source: str = ""  # where it came from: decisions.json, an imported file and row


@dataclass(frozen=True)
class Revocation:
    id: int
    target: str  # decision | violation
    target_id: int
    date: date
    reason: str
    violation_id: int | None = None  # the violation that caused it
    source: str = ""


@dataclass(frozen=True)
class RoundRecord:
    id: str
    title: str
    forms: tuple[str, ...]
    period: Period
    status: str  # published | imported | …
    recorded_at: str = ""


@dataclass(frozen=True)
class DecisionRecord:
    """A recorded decision: the decision, its round and period, and any revocation."""

    id: int
    round_id: str
    period: Period
    decision: Decision
    round_title: str = ""
    revocation: Revocation | None = None

    @property
    def awarded(self) -> bool:
        """An award given and not revoked."""
        return bool(self.decision.award) and self.revocation is None

    def __getattr__(self, name: str):  # subject_id, form, award … of the decision
        try:
            decision = self.__dict__["decision"]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(decision, name)


@dataclass(frozen=True)
class Violation:
    id: int
    subject_id: str
    subject_kind: str
    name: str
    unit_id: str  # a person's unit; a violation of a member counts against the branch too
    date: date
    kind: str  # 违纪违法 / 通报批评 / 媒体曝光 …
    reason: str
    source: str = ""
    revocation: Revocation | None = None  # a violation withdrawn (recorded, never deleted)

    @property
    def standing(self) -> bool:
        return self.revocation is None


@dataclass(frozen=True)
class Subject:
    id: str
    kind: str
    name: str
    unit_id: str = ""
    names: tuple[str, ...] = ()  # every name seen under this id, oldest first


@dataclass
class History:
    """Everything the register holds about one unit or person (what the rules read)."""

    subject: Subject
    decisions: list[DecisionRecord] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)  # its own
    unit: Subject | None = None  # a person's unit
    unit_decisions: list[DecisionRecord] = field(default_factory=list)  # a person's unit's
    member_violations: list[Violation] = field(default_factory=list)  # a unit's members'

    @property
    def all_violations(self) -> list[Violation]:
        """Own and (for a unit) its members' violations, by date."""
        return sorted([*self.violations, *self.member_violations], key=lambda v: (v.date, v.id))
