"""Annual titles a publication completes, and titles whose run no longer holds.

Seed 000: "连续二次被授予流动红旗的党支部免评作为年度先进党支部"; "连续四次被授予
流动党员先锋岗的党员免评作为年度优秀党员".  When ``publish`` runs with the register,
:func:`annual_titles` takes the publication's awards (per period, as
:func:`xlsxflow.register.link.publication_decisions` reads them) together with what
the register holds of each subject, and applies the round's ``history.consecutive``
rules (else :data:`DEFAULT_RULES`): a subject whose run of the rule's award reaches
``count`` *with this publication's period as its last* earns the title now.  Those
titles go into the publication (``年度称号公示.xlsx`` and ``decisions.json``'s
``titles``), and recording the publication records each as a decision of its own
(:func:`record_titles`) in the register round ``<year>-年度称号`` (period: the year),
keyed by form and subject like every decision: publishing or recording again updates
the same row, never a second one.

A title recorded this way whose run is broken later (an award of the run revoked) is
listed by :func:`unsupported_titles`, for the office to revoke it too.

Settings, where the seed is silent: the publication's decisions replace what the
register holds for the same form and period (a publication published again counts
once); a title is the year's of the period that completes the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..messages import Issue, XlsxflowError, make_issue
from .model import UNIT, Decision, DecisionRecord
from .period import Period
from .rules import DEFAULT_RULES, ConsecutiveRule, HistoryRules, consecutive_award

TITLES_STATUS = "titles"  # the status of a titles round (export: 年度称号)


def titles_round_id(year: int) -> str:
    """The register round the titles of ``year`` are recorded in."""
    return f"{year}-年度称号"


@dataclass(frozen=True)
class TitleAward:
    """A title a subject earns by a run of awards that ends in this publication's period."""

    subject_id: str
    name: str
    subject_kind: str
    unit_id: str
    unit_name: str
    form: str
    title: str
    note: str  # how it is earned: 免评
    award: str  # the award the run is of
    periods: tuple[Period, ...]  # the run that counts, oldest first

    @property
    def year(self) -> int:
        return self.periods[-1].year

    @property
    def who(self) -> str:
        return f"{self.name}（{self.subject_id}）"

    @property
    def periods_text(self) -> str:
        return "、".join(p.chinese for p in self.periods)

    @property
    def periods_short(self) -> str:
        """The run in few characters, for a 公示 cell: 2026年第一、二、三、四季度."""
        return short_periods(self.periods)

    @property
    def message(self) -> Issue:
        return make_issue(
            "publish-title-earned",
            who=self.who,
            count=len(self.periods),
            award=self.award,
            periods=self.periods_text,
            title=self.title,
            note=self.note,
            year=self.year,
        )

    def to_json(self) -> dict:
        return {
            "subject_id": self.subject_id,
            "name": self.name,
            "kind": self.subject_kind,
            "unit_id": self.unit_id,
            "unit": self.unit_name,
            "form_id": self.form,
            "title": self.title,
            "note": self.note,
            "award": self.award,
            "year": self.year,
            "count": len(self.periods),
            "periods": [p.label for p in self.periods],
        }

    @classmethod
    def from_json(cls, data: dict) -> TitleAward:
        return cls(
            str(data["subject_id"]),
            str(data["name"]),
            str(data["kind"]),
            str(data.get("unit_id") or ""),
            str(data.get("unit") or ""),
            str(data["form_id"]),
            str(data["title"]),
            str(data.get("note") or ""),
            str(data.get("award") or ""),
            tuple(Period.parse(p) for p in data["periods"]),
        )


_PARTS = {"H": ("上半年", "下半年"), "Q": ("一", "二", "三", "四")}


def short_periods(periods: tuple[Period, ...] | list[Period]) -> str:
    """Periods year by year, each year named once: 2025年第四季度、2026年第一、二季度."""
    out: list[str] = []
    for year in sorted({p.year for p in periods}):
        mine = sorted(p for p in periods if p.year == year)
        years = [p for p in mine if p.kind == "Y"]
        halves = [_PARTS["H"][p.index - 1] for p in mine if p.kind == "H"]
        quarters = [_PARTS["Q"][p.index - 1] for p in mine if p.kind == "Q"]
        if years:
            out.append(f"{year}年度")
        parts = halves + [f"第{'、'.join(quarters)}季度"] * bool(quarters)
        if parts:
            out.append(f"{year}年" + "、".join(parts))
    return "、".join(out)


def _rule_counts(rule: ConsecutiveRule, d: Decision) -> bool:
    return rule.form == d.form and bool(d.award) and (rule.award is None or rule.award == d.award)


def completed_titles(
    register,
    grouped: dict[Period, list[Decision]],
    rules: HistoryRules = DEFAULT_RULES,
    unit_names: dict[str, str] | None = None,
) -> list[TitleAward]:
    """The titles the decisions of ``grouped`` (period → decisions) complete, given
    what ``register`` holds: rule by rule, then by subject id."""
    unit_names = unit_names or {}
    out: list[TitleAward] = []
    for rule in rules.consecutive:
        found: list[TitleAward] = []
        for period, decisions in sorted(grouped.items()):
            for d in decisions:
                if not _rule_counts(rule, d):
                    continue
                past = [
                    r
                    for r in register.decisions(subject_id=d.subject_id)
                    if not (r.form == d.form and r.period == period)
                ]
                run = consecutive_award(
                    rule, [*past, DecisionRecord(0, "", period, d)], period.year
                )
                if run.earned and run.periods[-1] == period:
                    found.append(
                        TitleAward(
                            d.subject_id,
                            d.name,
                            d.subject_kind,
                            d.unit_id,
                            unit_names.get(d.unit_id, d.unit_id) if d.unit_id else "",
                            rule.form,
                            rule.title,
                            rule.note,
                            rule.award or d.award,
                            run.periods,
                        )
                    )
        out += sorted(found, key=lambda t: (t.subject_kind != UNIT, t.unit_id, t.subject_id))
    return out


def annual_titles(
    register, data: dict, rnd=None, period: Period | str | None = None
) -> list[TitleAward]:
    """The titles a publication (its decisions.json document ``data``) completes.

    ``register``: an open :class:`~xlsxflow.register.store.Register` or its file; a file
    that does not exist yet holds no history: no titles (and none is created).  The rules
    are the round file's ``history`` section, else the party-branch seeds'.  Raises
    ``XlsxflowError`` (``register-no-period`` when no period is known).
    """
    from .link import publication_decisions
    from .store import Register, open_register

    if not isinstance(register, Register) and not Path(register).is_file():
        return []
    given = Period.parse(period) if isinstance(period, str | int) else period
    grouped, _ = publication_decisions(data, rnd, given)
    rules = (rnd.spec.history if rnd is not None else None) or DEFAULT_RULES
    units = {c.get("unit_id", ""): c.get("unit", "") for c in data.get("candidates", [])}
    if isinstance(register, Register):
        return completed_titles(register, grouped, rules, units)
    with open_register(register, create=False) as reg:
        return completed_titles(reg, grouped, rules, units)


def record_titles(register, titles: list[TitleAward], source: str = "") -> list[str]:
    """Record each title as a decision of its own in ``<year>-年度称号``; the round ids written.

    Keyed by round, form and subject: recording again updates the same row.
    """
    rounds: list[str] = []
    for year in sorted({t.year for t in titles}):
        rid = titles_round_id(year)
        decisions = [
            Decision(
                t.subject_id,
                t.name,
                t.form,
                subject_kind=t.subject_kind,
                unit_id=t.unit_id,
                title=t.title,
                source=(f"{source}：" if source else "")
                + f"连续 {len(t.periods)} 次（{'、'.join(p.label for p in t.periods)}），{t.note}",
            )
            for t in titles
            if t.year == year
        ]
        forms = [d.form for d in decisions]
        register.record_round(rid, f"{year}年度称号", forms, Period(year), TITLES_STATUS)
        register.record_decisions(rid, Period(year), decisions)
        rounds.append(rid)
    return rounds


@dataclass(frozen=True)
class UnsupportedTitle:
    """A recorded title whose run no longer earns it (an award of the run revoked)."""

    record: DecisionRecord
    message: Issue


def unsupported_titles(
    register, rules: HistoryRules = DEFAULT_RULES, subject_id: str | None = None
) -> list[UnsupportedTitle]:
    """Titles recorded by publish (not revoked) whose rule's run is now short or gone."""
    out: list[UnsupportedTitle] = []
    for r in register.decisions(subject_id=subject_id):
        if r.revocation is not None or not r.title or r.round_id != titles_round_id(r.period.year):
            continue
        for rule in rules.consecutive:
            if rule.form != r.form or rule.title != r.title:
                continue
            records = register.decisions(subject_id=r.subject_id)
            run = consecutive_award(rule, records, r.period.year)
            if run.earned:
                continue
            now = (
                run.message.message
                if run.message
                else make_issue("publish-title-no-award", year=r.period.year).message
            )
            out.append(
                UnsupportedTitle(
                    r,
                    make_issue(
                        "register-title-unsupported",
                        subject=f"{r.name}（{r.subject_id}）",
                        title=r.title,
                        year=r.period.year,
                        now=now,
                        decision_id=r.id,
                    ),
                )
            )
    return out


def safe_annual_titles(
    register, data: dict, rnd=None, period=None
) -> tuple[list[TitleAward], list[Issue]]:
    """:func:`annual_titles` for ``publish``: a problem is a warning, never a refusal
    (no period known: nothing, the recording step says so)."""
    try:
        return annual_titles(register, data, rnd, period), []
    except XlsxflowError as exc:
        if any(i.code == "register-no-period" for i in exc.issues):
            return [], []
        detail = "；".join(i.message for i in exc.issues)
        where = str(getattr(register, "path", register))
        return [], [make_issue("publish-titles-failed", path=where, detail=detail)]


__all__ = [
    "TitleAward",
    "UnsupportedTitle",
    "annual_titles",
    "completed_titles",
    "record_titles",
    "safe_annual_titles",
    "titles_round_id",
    "unsupported_titles",
]
