"""Rules over history: pure functions of what the register returns.

Each rule comes from a seed, and is meant to be declared in the round file's
``history`` section (parsed by :func:`rules_from_config`; :data:`DEFAULT_RULES`
are the party-branch seeds' own).  The intended YAML shape::

    history:
      consecutive:                 # 000 三(一)4、(二)5
        - form: hongqi             # the form whose award counts
          award: 红旗党支部（流动红旗）   # optional: any award of the form
          count: 2                 # 连续二次 …
          title: 年度先进党支部       # … earns this title
          note: 免评                # how it is earned (shown)
          within: year             # the run lies in the year it earns (default) | any
        - {form: xianfenggang, count: 4, title: 年度优秀党员}
      stars:                       # 002 动态管理: 晋级 / 保持 / 降级
        - form: wuxing             # omitted: every form that gives stars
      bars:                        # 003 篇1
        - form: wuxing
          at_most: 3               # 三星级以下 (以下 counts 三星级 itself: 民法典 第1259条)
          leaders: [支部书记]        # the unit's 负责人 are barred too
          rule: 三星级以下党支部及其负责人当年不得评为各类先进
      violations:                  # 000 三.3
        unit_of_person: true       # a member's violation bars the branch as well
      clean_record:                # 003 篇2 “连续三年…无违法违纪”
        - years: 3
          kinds: []                # violation kinds that count (empty: all)
          members: true            # the unit's people's records count too
          form: wuxing             # its candidates need it (ingest bars them); omitted: shown only
      recheck:                     # 000 三.1 复查验收; 001 测评 and 复查 by one 测评组, one 测评标准
        - title: 文明单位            # holders: a decision (not revoked) with this award or title
          form: fucha              # the round's form the holders return, on its own rubric
          valid_years: 3           # optional: a title given within the last 3 years counts
          threshold: 90            # optional: else the form rubric's own threshold
          on: subtotal             # total | subtotal (default: the rubric threshold's, else total)

At ingest with a register (:mod:`.candidates`) the bars, the violations within a
candidate's period and a ``clean_record`` rule naming the candidate's form make it
not eligible, with the reason; ``recheck`` keeps or loses a holder's title.

复查's threshold: the seeds give no number (000 三.1 only says 成绩突出的可继续保持;
001 re-checks holders with the 测评标准 new applicants meet).  So a holder keeps
the title on the terms a new applicant is named on: the form's rubric threshold
(and every other condition of the form: vetoes, value errors, bars), unless the
round file sets ``threshold``; a form whose rubric has no threshold needs one
(``history-recheck-no-threshold``), since keeping every holder who returns a sheet
would be a threshold nobody chose.

A gap breaks a run: the periods of a run follow each other (2026Q1, 2026Q2 …);
a revoked award does not count.  ``within: year`` (the seed's 年终总结时一并表彰)
is a reading of the seed, not its words: ``any`` lets a run cross the new year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..messages import Issue, XlsxflowError, make_issue
from .model import PERSON, UNIT, DecisionRecord, History, Violation, star_label
from .period import Period

# -- the rules, as a round file declares them ---------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsecutiveRule(_Strict):
    form: str
    count: int = Field(ge=1, le=12)
    title: str
    award: str | None = None
    note: str = "免评"
    within: Literal["year", "any"] = "year"


class StarsRule(_Strict):
    form: str | None = None


class BarRule(_Strict):
    form: str | None = None
    at_most: int = Field(3, ge=0, le=10)
    leaders: tuple[str, ...] = ("支部书记",)
    rule: str = "三星级以下党支部及其负责人当年不得评为各类先进"


class ViolationRule(_Strict):
    unit_of_person: bool = True


class CleanRule(_Strict):
    years: int = Field(3, ge=1, le=20)
    kinds: tuple[str, ...] = ()
    members: bool = True
    form: str | None = None  # the form whose candidates need it (a bar at ingest); None: shown


class RecheckRule(_Strict):
    """复查: holders of ``title`` re-checked on ``form`` of this round (see the module doc)."""

    title: str = Field(min_length=1)
    form: str
    valid_years: int | None = Field(None, ge=1, le=50)
    threshold: float | None = Field(None, ge=0)
    on: Literal["total", "subtotal"] | None = None


class HistoryRules(_Strict):
    consecutive: tuple[ConsecutiveRule, ...] = ()
    stars: tuple[StarsRule, ...] = ()
    bars: tuple[BarRule, ...] = ()
    violations: ViolationRule = ViolationRule()
    clean_record: tuple[CleanRule, ...] = ()
    recheck: tuple[RecheckRule, ...] = ()

    def forms(self) -> set[str]:
        """The forms the rules name."""
        named = [*self.consecutive, *self.stars, *self.bars, *self.clean_record, *self.recheck]
        return {r.form for r in named if getattr(r, "form", None)}


def rules_from_config(data: dict | None) -> HistoryRules:
    """The ``history`` section of a round file as rules (a schema error names the field)."""
    try:
        return HistoryRules.model_validate(data or {})
    except ValidationError as exc:
        raise XlsxflowError(
            [
                make_issue(
                    "round-schema", detail=f"history.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                )
                for e in exc.errors()
            ]
        ) from None


DEFAULT_RULES = rules_from_config(
    {
        "consecutive": [
            {"form": "hongqi", "count": 2, "title": "年度先进党支部"},
            {"form": "xianfenggang", "count": 4, "title": "年度优秀党员"},
        ],
        "stars": [{}],
        "bars": [{}],
        "clean_record": [{"years": 3}],
    }
)

# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """The run of consecutive awards a rule looks at, and whether it earns the title."""

    rule: ConsecutiveRule
    periods: tuple[Period, ...]  # the run, oldest first (empty: no award)
    earned: bool
    message: Issue | None


@dataclass(frozen=True)
class StarChange:
    form: str
    period: Period
    stars: int
    before_period: Period | None
    before: int | None
    direction: str  # 首评 | 晋级 | 保持 | 降级
    message: Issue


@dataclass(frozen=True)
class Bar:
    """A reason the subject cannot be named in a period (or the year)."""

    period: Period
    message: Issue
    round_id: str = ""
    violation_id: int | None = None


@dataclass(frozen=True)
class RevokeFlag:
    """An award given in a period in which a violation happened: for the office to revoke."""

    decision: DecisionRecord
    violation: Violation
    message: Issue


@dataclass(frozen=True)
class CleanResult:
    rule: CleanRule
    start: date
    end: date
    violations: tuple[Violation, ...]
    message: Issue

    @property
    def clean(self) -> bool:
        return not self.violations


@dataclass
class Assessment:
    """What the rules say about one subject for one year."""

    year: int
    runs: list[RunResult] = field(default_factory=list)
    stars: list[StarChange] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    revoke: list[RevokeFlag] = field(default_factory=list)
    clean: list[CleanResult] = field(default_factory=list)

    @property
    def titles(self) -> list[RunResult]:
        return [r for r in self.runs if r.earned]


# -- consecutive awards ----------------------------------------------------------------------


def awarded_periods(
    records: list[DecisionRecord], form: str, award: str | None = None
) -> list[Period]:
    """The periods in which the form's award (not revoked) was given, oldest first."""
    return sorted(
        {
            r.period
            for r in records
            if r.form == form and r.awarded and (award is None or r.award == award)
        }
    )


def runs_of(periods: list[Period]) -> list[tuple[Period, ...]]:
    """Periods split where one does not follow the last (a gap breaks a run)."""
    out: list[list[Period]] = []
    for p in sorted(set(periods)):
        if out and out[-1][-1].next() == p:
            out[-1].append(p)
        else:
            out.append([p])
    return [tuple(r) for r in out]


def consecutive_award(rule: ConsecutiveRule, records: list[DecisionRecord], year: int) -> RunResult:
    """Whether ``records`` earn the rule's title in ``year``, with the run that counts.

    The run that counts is the first long enough that ends in the year (and, with
    ``within: year``, lies in it); else the latest run ending in the year.
    """
    periods = awarded_periods(records, rule.form, rule.award)
    if rule.within == "year":
        periods = [p for p in periods if p.year == year]
    runs = [r for r in runs_of(periods) if r[-1].year == year]
    if not runs:
        return RunResult(rule, (), False, None)
    long_enough = [r for r in runs if len(r) >= rule.count]
    run = long_enough[0] if long_enough else runs[-1]
    award = rule.award or next(
        r.award for r in records if r.period == run[-1] and r.form == rule.form and r.awarded
    )
    fields = dict(
        count=len(run),
        award=award,
        periods="、".join(p.chinese for p in run),
        title=rule.title,
        note=rule.note,
    )
    if long_enough:
        return RunResult(rule, run, True, make_issue("history-run-earned", **fields))
    return RunResult(rule, run, False, make_issue("history-run-short", needed=rule.count, **fields))


# -- star dynamics ---------------------------------------------------------------------------


def star_changes(records: list[DecisionRecord], form: str | None = None) -> list[StarChange]:
    """Each star result against the one before it in the same form: 晋级 / 保持 / 降级."""
    out: list[StarChange] = []
    starred = sorted(
        (r for r in records if r.stars is not None and (form is None or r.form == form)),
        key=lambda r: (r.form, r.period),
    )
    last: dict[str, DecisionRecord] = {}
    for r in starred:
        before = last.get(r.form)
        now = star_label(r.stars)
        if before is None:
            direction, code, extra = "首评", "history-star-first", {}
        else:
            extra = {"before_period": before.period.chinese, "before": star_label(before.stars)}
            if r.stars > before.stars:
                direction, code = "晋级", "history-star-up"
            elif r.stars < before.stars:
                direction, code = "降级", "history-star-down"
            else:
                direction, code = "保持", "history-star-keep"
        out.append(
            StarChange(
                r.form,
                r.period,
                r.stars,
                before.period if before else None,
                before.stars if before else None,
                direction,
                make_issue(code, period=r.period.chinese, now=now, **extra),
            )
        )
        last[r.form] = r
    return sorted(out, key=lambda c: (c.period, c.form))


# -- bars -------------------------------------------------------------------------------------


def star_bars(
    rule: BarRule, unit_records: list[DecisionRecord], year: int, who: str = ""
) -> list[Bar]:
    """A star result at or below ``at_most`` in ``year`` bars the unit (and its 负责人) that year."""
    bars = []
    for r in unit_records:
        if (
            r.stars is not None
            and r.period.year == year
            and r.revocation is None
            and (rule.form is None or r.form == rule.form)
            and r.stars <= rule.at_most
        ):
            bars.append(
                Bar(
                    Period(year),
                    make_issue(
                        "history-bar-stars",
                        who=who,
                        round_title=r.round_title or r.form,
                        stars=star_label(r.stars),
                        round_id=r.round_id,
                        rule=rule.rule,
                        year=year,
                    ),
                    round_id=r.round_id,
                )
            )
    return bars


def violation_bars(violations: list[Violation], period: Period, who: str = "") -> list[Bar]:
    """Standing violations dated within ``period`` bar eligibility in it."""
    return [
        Bar(
            period,
            make_issue(
                "history-bar-violation",
                who=who,
                period=period.chinese,
                date=v.date.isoformat(),
                kind=v.kind,
                reason=v.reason,
                source=v.source or "—",
            ),
            violation_id=v.id,
        )
        for v in violations
        if v.standing and period.contains(v.date)
    ]


def awards_to_revoke(
    decisions: list[DecisionRecord], violations: list[Violation], unit_of_person: bool = True
) -> list[RevokeFlag]:
    """Awards (not yet revoked) given for a period in which the subject — or, for a unit,
    one of its people (``unit_of_person``) — has a standing violation."""
    flags = []
    for d in decisions:
        if not d.awarded:
            continue
        for v in violations:
            mine = v.subject_id == d.subject_id or (
                unit_of_person and d.subject_kind == UNIT and v.unit_id == d.subject_id
            )
            if mine and v.standing and d.period.contains(v.date):
                flags.append(
                    RevokeFlag(
                        d,
                        v,
                        make_issue(
                            "register-revoke-award",
                            subject=f"{d.name}（{d.subject_id}）",
                            period=d.period.chinese,
                            award=d.award,
                            round_id=d.round_id,
                            date=v.date.isoformat(),
                            kind=v.kind,
                            reason=v.reason,
                            decision_id=d.id,
                            violation_id=v.id,
                        ),
                    )
                )
    return flags


# -- clean records ---------------------------------------------------------------------------


def clean_window(years: int, end: Period | date) -> tuple[date, date]:
    """The ``years`` calendar years ending with ``end``'s year: 2024-01-01 … 2026-12-31."""
    last = end.end if isinstance(end, Period) else end
    return date(last.year - years + 1, 1, 1), last


def clean_record(rule: CleanRule, violations: list[Violation], end: Period | date) -> CleanResult:
    """Whether no standing violation (of the rule's kinds) lies in the window."""
    start, stop = clean_window(rule.years, end)
    found = tuple(
        v
        for v in violations
        if v.standing and start <= v.date <= stop and (not rule.kinds or v.kind in rule.kinds)
    )
    fields = dict(start=start.isoformat(), end=stop.isoformat(), years=rule.years)
    if found:
        items = "；".join(f"{v.date.isoformat()} {v.name} {v.kind}" for v in found)
        return CleanResult(
            rule, start, stop, found, make_issue("history-not-clean", items=items, **fields)
        )
    return CleanResult(rule, start, stop, (), make_issue("history-clean", **fields))


# -- everything about one subject ----------------------------------------------------------------


def assess(
    history: History, rules: HistoryRules = DEFAULT_RULES, year: int | None = None, role: str = ""
) -> Assessment:
    """The rules applied to one unit's or person's history for ``year`` (default: the latest).

    ``role``: a person's post (支部书记 …), for bars on a unit's 负责人; unknown
    (empty), a person is shown the bars of their unit.
    """
    periods = [r.period for r in history.decisions] + [v.date.year for v in history.violations]
    if year is None:
        years = [p.year if isinstance(p, Period) else p for p in periods]
        year = max(years) if years else date.today().year
    out = Assessment(year)
    subject = history.subject
    for rule in rules.consecutive:
        if any(r.form == rule.form for r in history.decisions):
            result = consecutive_award(rule, history.decisions, year)
            if result.periods:
                out.runs.append(result)
    for srule in rules.stars:
        out.stars += [
            c for c in star_changes(history.decisions, srule.form) if c.period.year <= year
        ]
    for brule in rules.bars:
        if subject.kind == UNIT:
            out.bars += star_bars(brule, history.decisions, year)
        elif history.unit and (not role or role in brule.leaders):
            who = f"所在单位“{history.unit.name}”（{history.unit.id}）"
            if not role:  # the bar reaches the unit's 负责人 only
                who = f"如为负责人：{who}"
            out.bars += star_bars(brule, history.unit_decisions, year, who)
    violations = history.violations + (
        history.member_violations if rules.violations.unit_of_person else []
    )
    kinds = {r.period.kind for r in [*history.decisions, *history.unit_decisions]} or {"Y"}
    for v in violations:
        if v.date.year != year:
            continue
        who = "" if v.subject_id == subject.id else f"所属“{v.name}”（{v.subject_id}）"
        for kind in sorted(kinds):
            period = next(p for p in _periods_of_year(year, kind) if p.contains(v.date))
            out.bars += violation_bars([v], period, who)
    out.revoke = awards_to_revoke(history.decisions, violations, rules.violations.unit_of_person)
    for crule in rules.clean_record:
        pool = history.violations + (history.member_violations if crule.members else [])
        out.clean.append(clean_record(crule, pool, Period(year)))
    return out


def _periods_of_year(year: int, kind: str) -> list[Period]:
    count = {"Y": 1, "H": 2, "Q": 4}[kind]
    return [Period(year, kind, i) for i in range(1, count + 1)]


__all__ = [
    "DEFAULT_RULES",
    "PERSON",
    "Assessment",
    "Bar",
    "BarRule",
    "CleanResult",
    "CleanRule",
    "ConsecutiveRule",
    "HistoryRules",
    "RecheckRule",
    "RevokeFlag",
    "RunResult",
    "StarChange",
    "StarsRule",
    "ViolationRule",
    "assess",
    "awarded_periods",
    "awards_to_revoke",
    "clean_record",
    "clean_window",
    "consecutive_award",
    "runs_of",
    "rules_from_config",
    "star_bars",
    "star_changes",
    "violation_bars",
]
