"""The register's rules applied to a round's candidates at ingest.

``xlsxflow ingest`` with a register (the default) screens every candidate of the
round against what the register holds, with the round file's ``history`` rules
(else the party-branch seeds' :data:`~.rules.DEFAULT_RULES` when the round has
one of their forms, hongqi or xianfenggang):

* a star result at or below ``bars.at_most`` in the year (003 篇1: 三星级以下党支部
  … 当年不得评为各类先进) bars the unit from every other form of the round;
* a standing violation of the unit (or, with ``violations.unit_of_person``, of one
  of its people) dated within the candidate's period bars it (000 三.3);
* a ``clean_record`` rule naming the candidate's form bars it when the window holds
  a violation (003 篇2 连续三年无违法违纪);
* ``recheck``: the holders of a title are re-checked on a form of the round (000
  三.1, 001): 保留 / 不保留（撤销）/ 未参加复查.

A bar is a reason on the result (``history-barred``), added before ranking the way
a veto or a failed condition is (:func:`xlsxflow.quotas.evaluate_round`), so the
rank, the award, the quotas' eligible count, the summary's 是否符合条件 and
report.json agree.  The bars are computed after reading, on every ingest: a file
the register remembers (not read again) still gets the bars the register holds now.

Candidates are matched by id only: a unit's own sheet by its unit id, a 民主测评's
candidate (``xlsxflow ballots ingest``) by the member id, its post from the members
file: a member whose post is one of ``bars.leaders`` (支部书记) is barred with the
branch (003 篇1 …及其负责人), and by their own violations in the evaluation's period.
A nominee named only by a name (文明标兵's 姓名, a 文明窗口) has no id, so nothing
here reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..messages import XlsxflowError, make_issue
from ..submission import Result
from .model import UNIT, DecisionRecord, History, Subject, star_label
from .period import Period
from .rules import (
    DEFAULT_RULES,
    Assessment,
    Bar,
    HistoryRules,
    RecheckRule,
    assess,
    clean_record,
    star_bars,
    violation_bars,
)

KEPT, LOST, ABSENT = "保留", "不保留（撤销）", "未参加复查"
PENDING = "待评审"  # a reviewed form not reviewed yet: nothing decided
RECENT = 4  # the last periods of each form shown on the 历史 sheet


def round_rules(rnd) -> tuple[HistoryRules | None, str]:
    """The round's history rules and where they come from (None: no rules apply)."""
    if rnd.spec.history is not None:
        return rnd.spec.history, "轮次文件 history"
    ids = {f.id for f in rnd.spec.forms} | {e.id for e in rnd.spec.evaluations}
    if ids & DEFAULT_RULES.forms():
        return DEFAULT_RULES, "党支部种子的规则（默认）"
    return None, ""


def check_rules(rnd, rules: HistoryRules) -> None:
    """A ``recheck`` rule names a form of the round that has a threshold (its own or the form's)."""
    issues = []
    forms = {f.id for f in rnd.spec.forms}
    for n, rule in enumerate(rules.recheck, 1):
        if rule.form not in forms:
            issues.append(make_issue("history-recheck-no-form", n=n, form=rule.form))
            continue
        review = rnd.form(rule.form).review
        if review is not None and rule.threshold is not None:
            issues.append(make_issue("history-recheck-reviewed", n=n, form=rule.form))
        elif (
            rule.threshold is None
            and rnd.sheet_rubric(rule.form).threshold is None
            and (review is None or review.threshold is None)
        ):
            issues.append(make_issue("history-recheck-no-threshold", n=n, form=rule.form))
    if issues:
        raise XlsxflowError(issues)


@dataclass
class RecheckResult:
    """One holder's 复查: kept, lost or not taking part, with why."""

    rule: RecheckRule
    unit_id: str
    name: str
    holding: DecisionRecord  # the decision that gave the title
    state: str  # 保留 | 不保留（撤销） | 未参加复查
    message: str
    score: float | None = None
    threshold: float | None = None
    basis: str = ""
    form_title: str = ""
    reviewed: bool = False  # its form is reviewed: the review's decision keeps or loses it

    def decided(self, outcome) -> RecheckResult:
        """On a reviewed form, the result by the review's decision (eligible on the decision
        basis, review.threshold included) instead of the unit's own score."""
        if (
            not self.reviewed
            or self.state == ABSENT
            or self.rule.form not in outcome.reviewed_forms
        ):
            return self
        from ..review.outcome import BASIS_WORDS

        mine = [c for c in outcome.of_form(self.rule.form) if c.unit_id == self.unit_id]
        if not mine:
            return self
        c = min(mine, key=lambda x: x.slot)
        score = float(c.decision) if c.decision is not None else None
        basis = BASIS_WORDS.get(outcome.basis.get(self.rule.form, ""), "")
        since = f"{self.holding.period.chinese}获得，轮次 {self.holding.round_id}"
        common = {"title": self.rule.title, "since": since, "form": self.form_title}
        if c.basis != "self" and not c.reviewers_counted:  # 尚未评审: not decided yet …
            if self.state == LOST:  # … unless its own return already fails (四.3's 90 points)
                return self
            text = make_issue("history-recheck-pending", **common).message
            return replace(self, state=PENDING, message=text, score=None, basis=basis)
        if c.eligible:
            state = KEPT
            text = make_issue(
                "history-recheck-kept",
                basis=basis,
                score=_num(score),
                threshold=_num(self.threshold),
                **common,
            ).message
        else:
            state = LOST
            text = make_issue(
                "history-recheck-lost",
                why="；".join(c.reasons),
                decision_id=self.holding.id,
                **common,
            ).message
        return replace(self, state=state, message=text, score=score, basis=basis)

    def to_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "title": self.rule.title,
            "form": self.rule.form,
            "held_since": self.holding.period.label,
            "held_round": self.holding.round_id,
            "held_decision": self.holding.id,
            "state": self.state,
            "score": self.score,
            "threshold": self.threshold,
            "basis": self.basis,
            "message": self.message,
        }


@dataclass
class CandidateHistory:
    """What the register holds about one candidate, and what the rules say."""

    subject: Subject
    forms: list[str]  # the round's form titles it is a candidate in
    period: Period
    history: History
    assessment: Assessment
    bars: list[Bar] = field(default_factory=list)  # applied in this round

    def recent(self, count: int = RECENT) -> list[DecisionRecord]:
        """The last ``count`` decisions of each form, up to this round's period, oldest first."""
        out: list[DecisionRecord] = []
        forms = dict.fromkeys(d.form for d in self.history.decisions)
        for form in forms:
            mine = [
                d
                for d in self.history.decisions
                if d.form == form and d.period.start <= self.period.end
            ]
            out += mine[-count:]
        return sorted(out, key=lambda d: (d.form, d.period))

    def to_dict(self) -> dict:
        a = self.assessment
        return {
            "id": self.subject.id,
            "name": self.subject.name,
            "kind": self.subject.kind,
            "forms": self.forms,
            "period": self.period.label,
            "record": [
                {
                    "period": d.period.label,
                    "round": d.round_id,
                    "form": d.form,
                    "score": d.score,
                    "band": d.band,
                    "stars": d.stars,
                    "award": d.award,
                    "title": d.title,
                    "revoked": d.revocation is not None,
                }
                for d in self.recent()
            ],
            "runs": [
                {
                    "periods": [p.label for p in r.periods],
                    "title": r.rule.title,
                    "earned": r.earned,
                    "message": r.message.message if r.message else "",
                }
                for r in a.runs
            ],
            "stars": [
                {"period": c.period.label, "direction": c.direction, "message": c.message.message}
                for c in a.stars
            ],
            "bars": [b.message.message for b in self.bars],
            "revoke": [f.message.message for f in a.revoke],
            "clean": [
                {"clean": c.clean, "message": c.message.message, "form": c.rule.form}
                for c in a.clean
            ],
        }


@dataclass
class RoundHistory:
    """The register's view of a round's candidates: the summary's 历史 and 复查 sheets."""

    register: str
    year: int
    rules_from: str
    candidates: list[CandidateHistory] = field(default_factory=list)
    rechecks: list[RecheckResult] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        """Whether there is anything to show (a candidate known to the register, a holder)."""
        return bool(self.candidates or self.rechecks)

    def decided(self, outcome) -> RoundHistory:
        """The same, its 复查 on reviewed forms by the review's decision (``outcome``)."""
        if outcome is None:
            return self
        return replace(self, rechecks=[r.decided(outcome) for r in self.rechecks])

    def summary_line(self) -> str:
        """What the console says after ingest."""
        states = [r.state for r in self.rechecks]
        return make_issue(
            "history-ingest-summary",
            known=len(self.candidates),
            barred=sum(bool(c.bars) for c in self.candidates),
            rechecks=len(states),
            kept=states.count(KEPT),
            lost=states.count(LOST),
            absent=states.count(ABSENT),
            pending=states.count(PENDING),
        ).message

    def to_dict(self) -> dict:
        return {
            "register": self.register,
            "year": self.year,
            "rules": self.rules_from,
            "candidates": [c.to_dict() for c in self.candidates],
            "rechecks": [r.to_dict() for r in self.rechecks],
        }


class HistoryScreen:
    """One ingest's screening of candidates against the register (see the module doc)."""

    def __init__(self, register, rnd, rules: HistoryRules, rules_from: str):
        self.register = register
        self.rnd = rnd
        self.rules = rules
        self.rules_from = rules_from
        self._histories: dict[str, History | None] = {}
        self._holders: dict[int, dict[str, DecisionRecord]] = {}
        from ..roundfile import round_periods

        self._periods = round_periods(rnd.spec)

    @classmethod
    def open(cls, register, rnd) -> HistoryScreen | None:
        """The screen for a round (None when no rules apply to its forms)."""
        rules, source = round_rules(rnd)
        if rules is None:
            return None
        check_rules(rnd, rules)
        return cls(register, rnd, rules, source)

    # -- what the register holds -------------------------------------------------------

    def period_of(self, form_id: str) -> Period:
        """The form's period (its own, else the round's, else the round's year)."""
        return self._periods.get(form_id) or Period(self.rnd.spec.year)

    def history(self, unit_id: str) -> History | None:
        """A unit's history; a unit the register knows only through its people's violations
        has those (None: nothing at all)."""
        if unit_id not in self._histories:
            if self.register.subject(unit_id) is not None:
                found = self.register.history(unit_id)
            elif members := self.register.violations(unit_id=unit_id):
                unit = self.rnd.roster.get(unit_id)
                subject = Subject(unit_id, UNIT, unit.name if unit else unit_id)
                found = History(subject, member_violations=members)
            else:
                found = None
            self._histories[unit_id] = found
        return self._histories[unit_id]

    def holders(self, n: int) -> dict[str, DecisionRecord]:
        """The roster's units holding rule ``n``'s title before its form's period: unit → the
        latest decision giving it (a revoked one does not count)."""
        if n not in self._holders:
            rule = self.rules.recheck[n]
            period = self.period_of(rule.form)
            found: dict[str, DecisionRecord] = {}
            for d in self.register.decisions():
                if (
                    rule.title in (d.award, d.title)
                    and d.revocation is None
                    and d.period.end < period.start
                    and (
                        rule.valid_years is None or d.period.year >= period.year - rule.valid_years
                    )
                    and self.rnd.roster.get(d.subject_id) is not None
                ):
                    found[d.subject_id] = d  # decisions come by period: the latest stays
            self._holders[n] = found
        return self._holders[n]

    # -- the bars ------------------------------------------------------------------------

    def _named(self, result: Result) -> bool:
        """A result about the unit itself (not a nominee known only by a name)."""
        form = self.rnd.form(result.form_id)
        return not form.nominee

    def bars(self, result: Result) -> list[Bar]:
        """Why the register bars this candidate in its form's period."""
        if not self._named(result):
            return []
        hist = self.history(result.unit_id)
        if hist is None:
            return []
        form, period = result.form_id, self.period_of(result.form_id)
        bars: list[Bar] = []
        for rule in self.rules.bars:
            if rule.form == form:  # a star evaluation is not barred by its own results
                continue
            others = [d for d in hist.decisions if d.form != form]
            bars += star_bars(rule, others, period.year)
        violations = hist.violations + (
            hist.member_violations if self.rules.violations.unit_of_person else []
        )
        for v in violations:
            who = "" if v.subject_id == result.unit_id else f"所属“{v.name}”（{v.subject_id}）"
            bars += violation_bars([v], period, who)
        for rule in self.rules.clean_record:
            if rule.form != form:
                continue
            pool = hist.violations + (hist.member_violations if rule.members else [])
            found = clean_record(rule, pool, period)
            if not found.clean:
                title = f"“{self.rnd.form(form).title}”"
                bars.append(_not_clean(found, rule, period, title, named=True))
        return bars

    def person_bars(self, evaluation_id: str, member_id: str, unit_id: str, post: str) -> list[Bar]:
        """Why the register bars a person (a 民主测评's candidate) in the evaluation's period:
        their unit's star result when their post is one of ``bars.leaders`` (003 篇1 …及其负责
        人), their own violations within the period, a ``clean_record`` naming the evaluation."""
        period = self.period_of(evaluation_id)
        bars: list[Bar] = []
        unit = self.history(unit_id)
        for rule in self.rules.bars:
            if unit is not None and post and post in rule.leaders and rule.form != evaluation_id:
                who = f"本人为{post}，所在“{unit.subject.name}”（{unit_id}）"
                others = [d for d in unit.decisions if d.form != evaluation_id]
                bars += star_bars(rule, others, period.year, who)
        if self.register.subject(member_id) is None:
            return bars
        own = self.register.violations(subject_id=member_id)
        bars += violation_bars(own, period)
        for rule in self.rules.clean_record:
            if rule.form == evaluation_id:
                found = clean_record(rule, own, period)
                if not found.clean:
                    bars.append(_not_clean(found, rule, period, "", named=False))
        return bars

    def candidate_reasons(self, candidate) -> list[str]:
        """:meth:`person_bars` as reasons on a 民主测评 candidate (ballots/count.py)."""
        bars = self.person_bars(
            candidate.evaluation_id, candidate.member_id, candidate.unit_id, candidate.post
        )
        return [make_issue("history-barred", detail=b.message.message).message for b in bars]

    def reasons(self, result: Result) -> list[str]:
        """The bars as reasons on the result, and a holder's 复查 score below its threshold."""
        out = [
            make_issue("history-barred", detail=b.message.message).message
            for b in self.bars(result)
        ]
        for n, rule in enumerate(self.rules.recheck):
            if (
                rule.form == result.form_id
                and rule.threshold is not None
                and result.complete
                and result.unit_id in self.holders(n)
            ):
                basis, score = self._score(rule, result)
                if score < rule.threshold - 1e-9:
                    out.append(
                        make_issue(
                            "history-recheck-below",
                            basis=basis,
                            score=_num(score),
                            threshold=_num(rule.threshold),
                        ).message
                    )
        return out

    def _score(self, rule: RecheckRule, result: Result) -> tuple[str, float]:
        rubric = self.rnd.sheet_rubric(rule.form)
        on = rule.on or (rubric.threshold.on if rubric.threshold else "total")
        if on == "subtotal":
            return "自评分（不含加分）", result.subtotal
        return "总分", result.total

    # -- the view for the summary ---------------------------------------------------------

    def build(self, results: list[Result]) -> RoundHistory:
        """What the register holds about the round's candidates, and the 复查 of holders."""
        out = RoundHistory(str(self.register.path), self.rnd.spec.year, self.rules_from)
        by_unit: dict[str, list[Result]] = {}
        for r in results:
            if self._named(r):
                by_unit.setdefault(r.unit_id, []).append(r)
        for unit_id, mine in by_unit.items():
            hist = self.history(unit_id)
            if hist is None:
                continue
            period = max(self.period_of(r.form_id) for r in mine)
            bars: list[Bar] = []
            for r in mine:
                bars += [b for b in self.bars(r) if b.message not in [x.message for x in bars]]
            titles = list(dict.fromkeys(self.rnd.form(r.form_id).title for r in mine))
            out.candidates.append(
                CandidateHistory(
                    hist.subject,
                    titles,
                    period,
                    hist,
                    assess(hist, self.rules, period.year),
                    bars,
                )
            )
        for n, rule in enumerate(self.rules.recheck):
            out.rechecks += self._recheck(n, rule, results)
        return out

    def _recheck(self, n: int, rule: RecheckRule, results: list[Result]) -> list[RecheckResult]:
        form = self.rnd.form(rule.form)
        rubric = self.rnd.sheet_rubric(rule.form)
        threshold = rule.threshold
        if threshold is None and form.review is not None:
            threshold = form.review.threshold
        if threshold is None and rubric.threshold is not None:
            threshold = rubric.threshold.min
        extra = {"form_title": form.title, "reviewed": form.review is not None}
        out = []
        for unit_id, holding in sorted(self.holders(n).items()):
            unit = self.rnd.roster.get(unit_id)
            name = unit.name if unit else holding.name
            since = f"{holding.period.chinese}获得，轮次 {holding.round_id}"
            mine = [r for r in results if r.form_id == rule.form and r.unit_id == unit_id]
            if not mine:
                message = make_issue(
                    "history-recheck-absent", title=rule.title, since=since, form=form.title
                ).message
                out.append(
                    RecheckResult(
                        rule, unit_id, name, holding, ABSENT, message, None, threshold, **extra
                    )
                )
                continue
            r = min(mine, key=lambda x: x.slot)
            basis, score = self._score(rule, r)
            if r.eligible:
                state = KEPT
                message = make_issue(
                    "history-recheck-kept",
                    title=rule.title,
                    since=since,
                    form=form.title,
                    basis=basis,
                    score=_num(score),
                    threshold=_num(threshold),
                ).message
            else:
                state = LOST
                message = make_issue(
                    "history-recheck-lost",
                    title=rule.title,
                    since=since,
                    form=form.title,
                    why="；".join(r.reasons),
                    decision_id=holding.id,
                ).message
            shown_score = score if r.complete else None
            out.append(
                RecheckResult(
                    rule,
                    unit_id,
                    name,
                    holding,
                    state,
                    message,
                    shown_score,
                    threshold,
                    basis,
                    **extra,
                )
            )
        return out


def _not_clean(found, rule, period: Period, form: str, named: bool) -> Bar:
    """The bar of a failed clean-record window: its dates and violations (with whose, for a
    unit's window that counts its members')."""
    items = "；".join(
        f"{v.date.isoformat()} {v.name} {v.kind}" if named else f"{v.date.isoformat()} {v.kind}"
        for v in found.violations
    )
    issue = make_issue(
        "history-bar-not-clean",
        form=form,
        start=found.start.isoformat(),
        end=found.end.isoformat(),
        years=rule.years,
        items=items,
    )
    return Bar(period, issue)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def record_parts(d: DecisionRecord) -> str:
    """A decision's result in words: 95分，★红旗党支部（流动红旗）; 三星级; 未获奖."""
    parts = []
    if d.score is not None:
        parts.append(f"{_num(d.score)}分")
    if d.band:
        parts.append(d.band)
    if d.stars is not None:
        parts.append(star_label(d.stars))
    if d.award:
        parts.append(f"★{d.award}")
    if d.title and d.title != d.award:
        parts.append(d.title)
    text = "，".join(parts) or "未获奖"
    if d.revocation is not None:
        text += f"（已撤销 {d.revocation.date.isoformat()}）"
    return text


def form_label(d: DecisionRecord) -> str:
    """What a decision's form is called: its round's title without the period
    (2025年上半年红旗党支部评选 → 红旗党支部评选), else the form's id."""
    title = d.round_title or ""
    for prefix in (d.period.chinese + "度", d.period.chinese, f"{d.period.year}年度"):
        title = title.removeprefix(prefix)
    return title.strip() or d.form


def record_line(d: DecisionRecord) -> str:
    """One decision in words: 2025年下半年 红旗党支部评选：95分，★红旗党支部（流动红旗）."""
    return f"{d.period.chinese} {form_label(d)}：{record_parts(d)}"
