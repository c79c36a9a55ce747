"""A unit's return as read from its workbook, and the result computed from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conditions import StarResult

# Which Submission table holds an input of each layout kind.
TABLE_OF_KIND = {
    "score": "scores",
    "bonus": "bonus",
    "note": "notes",
    "declaration": "declarations",
    "field": "fields",
    "indicator": "indicators",
    "answer": "answers",
}


@dataclass
class Submission:
    """The inputs of one returned workbook, already parsed (None where unusable)."""

    unit_id: str
    rubric_id: str
    scores: dict[str, float | None] = field(default_factory=dict)
    bonus: dict[str, float | None] = field(default_factory=dict)
    declarations: dict[str, str | None] = field(default_factory=dict)
    fields: dict[str, str | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, float | None] = field(default_factory=dict)
    # a conditions sheet: a fact's or veto's 是/否, an honour's level (or 无), a number
    answers: dict[str, str | float | None] = field(default_factory=dict)
    cached_totals: dict[str, float | None] = field(default_factory=dict)
    not_applicable: set[str] = field(default_factory=set)  # items marked 不适用 (where allowed)
    errors: int = 0  # value errors found while reading
    lang: str = "zh"  # labels of the workbook it came from
    form_id: str = ""  # a round workbook: the form, slot and sheet this came from
    slot: int = 0
    sheet: str = ""

    def __setstate__(self, state: dict) -> None:
        """A return read (and cached in the register) before conditions sheets existed."""
        self.__dict__.update({"answers": {}, **state})

    def value_of(self, kind: str, key: str):
        """An input as read, by layout kind; a score marked 不适用 reads as that word."""
        if kind == "score" and key in self.not_applicable:
            return "不适用"
        return getattr(self, TABLE_OF_KIND[kind]).get(key)

    def values_of(self, inputs: list[tuple[str, str]]) -> list:
        """:meth:`value_of` of each (kind, key) in ``inputs``, in order (a 明细 row)."""
        tables = {kind: getattr(self, table) for kind, table in TABLE_OF_KIND.items()}
        if not self.not_applicable:
            return [tables[kind].get(key) for kind, key in inputs]
        return [self.value_of(kind, key) for kind, key in inputs]

    @property
    def nominee(self) -> str:
        return (self.fields.get("nominee") or "").strip()

    def content_key(self) -> tuple:
        """Equal for two returns with the same inputs (used to spot duplicates)."""
        return (
            self.unit_id,
            self.rubric_id,
            self.sheet,
            tuple(sorted(self.scores.items())),
            tuple(sorted(self.bonus.items())),
            tuple(sorted(self.declarations.items())),
            tuple(sorted(self.fields.items())),
            tuple(sorted(self.notes.items())),
            tuple(sorted(self.indicators.items())),
            tuple(sorted(self.not_applicable)),
            tuple(sorted(self.answers.items())),
        )


@dataclass
class Result:
    """What xlsxflow computes for one unit: totals, band, eligibility, rank."""

    unit_id: str
    unit_name: str
    parent: str
    rubric_id: str
    file: str
    sections: dict[str, float]
    subtotal: float
    bonus: float
    total: float
    band: str
    eligible: bool
    reasons: list[str]
    complete: bool
    rank: int | None = None
    award: str = ""  # the rubric's award, when this unit gets it
    indicators: dict[str, bool | None] = field(default_factory=dict)  # target id → met
    form_id: str = ""  # a round: the form, slot, sheet and nominee
    slot: int = 0
    sheet: str = ""
    nominee: str = ""
    stars: StarResult | None = None  # a rubric decided by conditions: the level or stars
    applied: str = ""  # a conditions sheet's 申报等级
    # inputs fed by a counted survey (ballots/feeds.py): input id → self-report and rate
    fed: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "parent": self.parent,
            "rubric": self.rubric_id,
            "file": self.file,
            "sections": self.sections,
            "subtotal": self.subtotal,
            "bonus": self.bonus,
            "total": self.total,
            "band": self.band,
            "eligible": self.eligible,
            "reasons": self.reasons,
            "complete": self.complete,
            "rank": self.rank,
            "award": self.award,
            "indicators": self.indicators,
            **(
                {"stars": self.stars.to_dict(), "applied": self.applied}
                if self.stars is not None
                else {}
            ),
            **(
                {
                    "form": self.form_id,
                    "slot": self.slot,
                    "sheet": self.sheet,
                    "nominee": self.nominee,
                }
                if self.form_id
                else {}
            ),
            **({"fed": self.fed} if self.fed else {}),
        }
