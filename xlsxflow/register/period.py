"""Periods of a round: a year (2026), a half-year (2026H1) or a quarter (2026Q3).

Written the way offices label them too: ``2026年``, ``2026年上半年``,
``2026年第三季度`` / ``2026年第3季度`` are read as the same periods.  Periods of
one kind follow each other (``next``/``previous``); any two are ordered by
start, then the longer first; a year contains its halves and quarters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import total_ordering

# kind → (parts in a year, months in a part, Chinese names of the parts)
_KINDS = {
    "Y": (1, 12, ("",)),
    "H": (2, 6, ("上半年", "下半年")),
    "Q": (4, 3, ("第一季度", "第二季度", "第三季度", "第四季度")),
}
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PATTERNS = (
    (re.compile(r"^(\d{4})$"), lambda m: ("Y", 1)),
    (re.compile(r"^(\d{4})[-\s]?H([12])$", re.I), lambda m: ("H", int(m[2]))),
    (re.compile(r"^(\d{4})[-\s]?Q([1-4])$", re.I), lambda m: ("Q", int(m[2]))),
    (re.compile(r"^(\d{4})年?(?:度)?$"), lambda m: ("Y", 1)),
    (re.compile(r"^(\d{4})年?([上下])半年$"), lambda m: ("H", 1 if m[2] == "上" else 2)),
    (
        re.compile(r"^(\d{4})年?第?([一二三四1-4])季度?$"),
        lambda m: ("Q", _CN_DIGITS[m[2]]),
    ),
)


@total_ordering
@dataclass(frozen=True)
class Period:
    """One period: ``year``, ``kind`` (Y, H or Q) and ``index`` (1-based within the year)."""

    year: int
    kind: str = "Y"
    index: int = 1

    def __post_init__(self) -> None:
        if self.kind not in _KINDS or not 1 <= self.index <= _KINDS[self.kind][0]:
            raise ValueError(f"not a period: {self.year} {self.kind}{self.index}")
        if not 1900 <= self.year <= 9998:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, text: str | int) -> Period:
        """``2026``, ``2026H1``, ``2026Q3`` or their Chinese forms; ValueError otherwise."""
        value = str(text).strip().replace(" ", "")
        if value.endswith(".0") and value[:-2].isdigit():  # a year read from a number cell
            value = value[:-2]
        for pattern, kind_index in _PATTERNS:
            if m := pattern.match(value):
                kind, index = kind_index(m)
                return cls(int(m[1]), kind, index)
        raise ValueError(f"not a period: {text!r}")

    @property
    def label(self) -> str:
        """The canonical label: 2026, 2026H1, 2026Q3."""
        return str(self.year) if self.kind == "Y" else f"{self.year}{self.kind}{self.index}"

    @property
    def chinese(self) -> str:
        """2026年, 2026年上半年, 2026年第三季度."""
        return f"{self.year}年{_KINDS[self.kind][2][self.index - 1]}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        months = _KINDS[self.kind][1]
        return date(self.year, (self.index - 1) * months + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        following = self.next()
        return following.start - timedelta(days=1)

    @property
    def year_period(self) -> Period:
        return Period(self.year)

    def next(self) -> Period:
        parts = _KINDS[self.kind][0]
        if self.index < parts:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)

    def previous(self) -> Period:
        if self.index > 1:
            return Period(self.year, self.kind, self.index - 1)
        return Period(self.year - 1, self.kind, _KINDS[self.kind][0])

    def contains(self, other: Period | date) -> bool:
        """Whether a date, or the whole of another period, lies within this one."""
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= other <= self.end

    def _key(self) -> tuple[date, date]:
        return (self.start, -self.end.toordinal())  # same start: the longer one first

    def __lt__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()


def parse_period(text: str | int) -> Period:
    return Period.parse(text)
