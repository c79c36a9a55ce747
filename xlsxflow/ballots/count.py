"""Counting 民主测评 ballots: from many anonymous ballots to each candidate's result.

:func:`count_ballots` is pure: the resolved evaluations (:mod:`.spec`) and the ballots
read (:mod:`.model`) in, an :class:`~.model.EvaluationOutcome` out.  Per evaluation,
unit (branch), candidate and rater group it counts the ballots expected, returned,
valid and invalid (by rule), then applies, in this order:

1. **Validity** of each ballot's part for one candidate.  A value that is unreadable
   or out of range (``Ballot.bad``) always invalidates that candidate's part
   (``bad_value``, checked first since no round can turn it off).  The other rules
   apply only when the round lists them in ``invalid``:

   * ``blank`` — nothing given (for this candidate, or on the whole ballot).  When
     ``blank`` is *not* a rule, a blank part is an **abstention (弃权)**: returned,
     neither valid nor invalid, in no mean (a blank is no score, and taking it as 0
     would punish the candidate for a rater's silence).  Either way it is not valid,
     so it does not help the quorum; the 参加情况 shows it apart.
   * ``incomplete`` — some questions answered, not all.  When it is not a rule, the
     part is valid: each item's aggregate counts the ballots that answered it and
     the ballot's total is the sum of what it gave.
   * ``all_same`` / ``all_max`` — items: every item the same score / every item its
     maximum (per candidate); surveys: every question the same answer / the best
     answer (per respondent).  Grade ballots: across candidates — a ballot giving
     every candidate the same grade / the top grade is invalid for all of them; with
     a single candidate on the ballot these two rules cannot tell a judgement from a
     habit and do not apply.

2. **Quorum**: a rater group's valid ballots ≥ ``quorum`` × expected (exact
   fractions), else the candidate's status is ``no_quorum`` —
   “测评无效（参加人数不足）”.  In a 两票制 every group must meet it.
3. **Anonymity** (k = ``anonymity``, default 3): a group result from fewer than k
   valid ballots is never computed into anything shown: the group is ``shown =
   False`` with no score, and the candidate's status is ``hidden`` (a weighted total
   that included it, beside the other group's shown result, would give it away).
4. **Aggregation** (``aggregate``): the mean, or the trimmed mean dropping the
   ``drop`` highest and ``drop`` lowest values only when there are at least
   ``min_ballots`` valid ballots.  Per item the trimming is on that item's scores;
   **the total is trimmed on the ballots' totals**, not summed from trimmed items:
   “去掉一个最高分和一个最低分” drops a rater's whole ballot, so the total never mixes
   a rater kept for one item with one dropped for another (the per-item figures are
   shown for information and need not add up to the total).  Arithmetic is exact
   (values as :class:`~decimal.Decimal`, means as :class:`~fractions.Fraction`);
   rounding happens only when shown (:func:`shown`, ``aggregate.decimals``, 四舍五入).
   Ranking, the threshold and the targets use the exact values.
5. **Weights** (两票制): the weighted mean of the groups' results (scores, grade
   shares, survey rates) over the groups that expect raters; the round file must
   give the weights (the seed gives none).
6. **Grade** (grade ballots): shares of each choice; the first ``GradeRule`` met
   gives the grade, else ``otherwise``; ``follow_up`` grades are flagged;
   ``recommend`` grades are recommended (none when the list is empty).
   **Survey**: per question the share of positive answers among the valid answers,
   against its ``target``; a unit is “recommended” when it meets every target.
7. **Rank** within the unit (items: by total score; grades: by the share of the best
   grade, then of the best two, …), equal values sharing a rank (1, 1, 3).
   **Cap** (``Evaluation.caps[unit]``, already rounded down): ranks within the cap are
   ``within_cap``; when equal scores straddle the cut, everyone at the cut's score is
   ``tie_at_cut`` (still within the cap) and none of them is recommended by xlsxflow:
   the 党委 decides.  ``threshold``: an items total below it is not recommended.

Warnings: more ballots than expected, a group with no ballots, a ballot of an
evaluation, unit or group the round does not have, a serial given twice (counted once).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import partial
from operator import is_not
from types import SimpleNamespace

from ..messages import Issue, make_issue
from .model import (
    INVALID_REASONS,
    VALID,
    Ballot,
    CandidateResult,
    EvaluationOutcome,
    GroupResult,
    Participation,
)
from .spec import Evaluation, RoundEvaluations

STATUS_TEXT = {
    VALID: ("有效", "valid"),
    "no_quorum": ("测评无效（参加人数不足）", "void (too few raters)"),
    "hidden": ("有效票不足 {k} 张，结果不显示", "fewer than {k} valid ballots: not shown"),
    "no_ballots": ("未收到测评票", "no ballots received"),
}
ABSTAINED = "abstained"  # a blank part when blank is not an invalid rule: 弃权
ABSTAINED_TEXT = ("弃权", "abstained")


def status_text(status: str, k: int, lang: str = "zh") -> str:
    zh, en = STATUS_TEXT[status]
    return (en if lang == "en" else zh).format(k=k)


# -- exact numbers, rounded only when shown ---------------------------------------------


def to_decimal(value: Fraction) -> Decimal:
    """A fraction as a Decimal (exact when it terminates, else to 28 digits)."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def rounded(value: Fraction | Decimal, decimals: int) -> Decimal:
    """Round half up (四舍五入) at ``decimals`` places, from the exact value."""
    if isinstance(value, Decimal):
        value = Fraction(value)
    scaled = value * 10**decimals
    sign = -1 if scaled < 0 else 1
    whole = int(abs(scaled) + Fraction(1, 2))
    return (Decimal(sign * whole) / Decimal(10**decimals)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
    )


def shown(value: Fraction | Decimal | None, decimals: int) -> str:
    """A score as shown: ``decimals`` places, half up; "" for nothing."""
    return "" if value is None else format(rounded(value, decimals), "f")


def percent(share: Fraction | None, decimals: int = 2) -> str:
    """A share as a percentage text: 2/3 → "66.67%"."""
    return "" if share is None else f"{shown(share * 100, decimals)}%"


# -- counting ---------------------------------------------------------------------------


@dataclass
class _Tally:
    """One candidate and rater group while counting."""

    result: GroupResult
    parts: list = field(default_factory=list)  # each valid part's answers, in question order
    score: Fraction | None = None
    items: dict[str, Fraction] = field(default_factory=dict)
    shares: dict[str, Fraction] = field(default_factory=dict)
    rates: dict[str, Fraction] = field(default_factory=dict)


class _Decimals(dict):
    """A score read as a float → its exact decimal (7.5 → Decimal('7.5')), cached."""

    def __missing__(self, value: float) -> Decimal:
        if len(self) > 10_000:  # scores come at a step: only odd input gets here
            self.clear()
        out = self[value] = Decimal(repr(float(value)))
        return out


_dec = _Decimals().__getitem__
_given = partial(is_not, None)


def _column(values) -> list[Decimal]:
    """The answers given (not None) as exact decimals."""
    return list(map(_dec, filter(_given, values)))


def _mean(values: list, agg, trim: bool = True) -> tuple[Fraction, bool]:
    """(the exact mean or trimmed mean, whether trimmed)."""
    n = len(values)
    if trim and agg.method == "trimmed_mean" and n >= agg.min_ballots:
        kept = sorted(values)[agg.drop : n - agg.drop]
        return Fraction(sum(kept, Decimal(0))) / len(kept), True
    return Fraction(sum(values, Decimal(0))) / n, False


def trimmed_mean(values: list[float], method: str, drop: int, min_ballots: int) -> Fraction:
    """The aggregation rule alone, for a list of scores (exact)."""

    agg = SimpleNamespace(method=method, drop=drop, min_ballots=min_ballots)
    return _mean(_column(values), agg)[0]


@dataclass(frozen=True)
class _Plan:
    """An evaluation's questions, read once: what every part of every ballot is checked on."""

    ids: tuple[str, ...]
    scored: tuple[bool, ...]
    limits: tuple  # a score's maximum, or the set of choices
    best: list  # every item its maximum / every answer the best choice
    per_part: bool  # all_same / all_max apply per candidate (items, surveys)
    uniform: float | None  # every question scored with this maximum: checked all at once

    @classmethod
    def of(cls, ev: Evaluation) -> _Plan:
        qs = ev.questions
        return cls(
            tuple(q.id for q in qs),
            tuple(q.scored for q in qs),
            tuple(q.max if q.scored else frozenset(q.choices) for q in qs),
            [q.max if q.scored else q.choices[0] for q in qs],
            ev.kind != "grade",
            qs[0].max if qs and all(q.scored and q.max == qs[0].max for q in qs) else None,
        )


def _part_reason(plan: _Plan, ballot: Ballot, member_id: str, rules: set[str]) -> tuple:
    """(why this ballot's part for one candidate does not count, its answers in question
    order): "" when it counts, ``abstained`` for a blank that no rule makes invalid, else
    an INVALID_REASONS key."""
    if ballot.bad and ballot.bad.get(member_id):
        return "bad_value", ()
    answers = ballot.answers.get(member_id) or {}
    given = list(map(answers.get, plan.ids))
    if plan.uniform is not None and None not in given:  # the usual part: every item scored
        try:
            low, high = min(given), max(given)
        except TypeError:  # a text among the scores
            return "bad_value", ()
        if low.__class__ not in (float, int) or low < 0 or high > plan.uniform:
            return "bad_value", ()
        if len(given) < 2:
            return "", given
        if "all_same" in rules and low == high:
            return "all_same", ()
        if "all_max" in rules and low == plan.uniform:
            return "all_max", ()
        return "", given
    missing = 0
    for scored, limit, v in zip(plan.scored, plan.limits, given, strict=True):
        if v is None:
            missing += 1
        elif scored:
            if v.__class__ not in (float, int) or not 0 <= v <= limit:
                return "bad_value", ()  # a choice where a score belongs, or out of range
        elif v not in limit:
            return "bad_value", ()
    if missing == len(given):
        return ("blank" if "blank" in rules else ABSTAINED), ()
    if missing:
        return ("incomplete" if "incomplete" in rules else ""), given
    if not plan.per_part or len(given) < 2:
        return "", given
    if "all_same" in rules and len(set(given)) == 1:
        return "all_same", ()
    if "all_max" in rules and given == plan.best:
        return "all_max", ()
    return "", given


def _grade_ballot_reason(ev: Evaluation, ballot: Ballot, members: list, rules: set[str]) -> str:
    """Grade ballots: all_same / all_max across the candidates of the ballot."""
    if len(members) < 2 or not rules & {"all_same", "all_max"}:
        return ""
    grades = [(ballot.answers.get(m.member_id) or {}).get("grade") for m in members]
    if any(g is None for g in grades) or any(ballot.bad.get(m.member_id) for m in members):
        return ""
    if "all_same" in rules and len(set(grades)) == 1:
        return "all_same"
    if "all_max" in rules and set(grades) == {ev.questions[0].choices[0]}:
        return "all_max"
    return ""


def count_ballots(evals: RoundEvaluations, ballots: list[Ballot], barred=None) -> EvaluationOutcome:
    """Count every evaluation's ballots (see the module docstring for the rules).

    ``barred`` (a candidate → reasons, from the register: :meth:`xlsxflow.register.
    candidates.HistoryScreen.candidate_reasons`): a barred candidate is counted and ranked
    like any other and is not recommended, with the reason (as a score below the threshold)."""
    outcome = EvaluationOutcome()
    by_place: dict[tuple[str, str, str], list[Ballot]] = defaultdict(list)
    seen: set[str] = set()
    for b in ballots:
        if b.serial in seen:  # the ingest keeps one per serial; a caller might not
            outcome.warnings.append(make_issue("count-duplicate-serial", file=b.file))
            continue
        seen.add(b.serial)
        ev = evals.evaluations.get(b.evaluation_id)
        if ev is None or (b.unit_id, b.group_id) not in ev.expected:
            outcome.warnings.append(
                make_issue(
                    "count-unknown-ballot",
                    file=b.file,
                    evaluation=b.evaluation_id,
                    unit=b.unit_id,
                    group=b.group_id,
                )
            )
            continue
        by_place[(b.evaluation_id, b.unit_id, b.group_id)].append(b)
    for ev in evals.evaluations.values():
        for unit in ev.units:
            results = _count_unit(ev, unit, by_place, outcome)
            for c, _ in results if barred is not None else ():
                c.reasons += barred(c)
            _rank_and_cap(ev, unit.unit_id, results)
            outcome.candidates.extend(r for r, _ in results)
    return outcome


def _count_unit(ev: Evaluation, unit, by_place, outcome: EvaluationOutcome):
    spec = ev.spec
    rules = set(spec.invalid)
    members = ev.candidates[unit.unit_id]
    quorum = Fraction(str(spec.quorum)) if spec.quorum is not None else None
    k = spec.anonymity
    groups = [g for g in spec.raters if ev.expected.get((unit.unit_id, g.id), 0) > 0]
    plan = _Plan.of(ev)
    tallies: dict[str, dict[str, _Tally]] = {m.member_id: {} for m in members}
    for group in groups:
        expected = ev.expected[(unit.unit_id, group.id)]
        got = by_place.get((ev.id, unit.unit_id, group.id), [])
        if len(got) > expected:
            outcome.warnings.append(
                make_issue(
                    "count-more-than-expected",
                    evaluation=ev.title,
                    unit=unit.name,
                    group=group.label,
                    returned=len(got),
                    expected=expected,
                )
            )
        if not got:
            outcome.warnings.append(
                make_issue(
                    "count-no-ballots",
                    evaluation=ev.title,
                    unit=unit.name,
                    group=group.label,
                    expected=expected,
                )
            )
        for m in members:
            tallies[m.member_id][group.id] = _Tally(
                GroupResult(group.id, group.label, expected, len(got), 0)
            )
        blank = valid_any = 0
        pairs = [(m.member_id, tallies[m.member_id][group.id]) for m in members]
        for ballot in got:
            whole = "" if plan.per_part else _grade_ballot_reason(ev, ballot, members, rules)
            any_valid = False
            empty = 0  # parts with nothing given: all of them make a blank ballot
            for member_id, tally in pairs:
                if whole:
                    reason, given = whole, ()
                else:
                    reason, given = _part_reason(plan, ballot, member_id, rules)
                if reason:
                    if reason == ABSTAINED:
                        tally.result.abstained += 1
                        empty += 1
                        continue
                    empty += reason == "blank"
                    invalid = tally.result.invalid
                    invalid[reason] = invalid.get(reason, 0) + 1
                    continue
                tally.result.valid += 1
                any_valid = True
                tally.parts.append(given)
            blank += empty == len(pairs) if not whole else ballot.blank
            valid_any += any_valid
        quorum_met = None
        for m in members:
            tally = tallies[m.member_id][group.id]
            _finish_group(ev, tally, quorum, k)
            if tally.result.quorum_met is not None:
                quorum_met = tally.result.quorum_met and quorum_met is not False
        outcome.participation.append(
            Participation(
                evaluation_id=ev.id,
                unit_id=unit.unit_id,
                unit_name=unit.name,
                group_id=group.id,
                label=group.label,
                expected=expected,
                returned=len(got),
                blank=blank,
                valid=valid_any,
                quorum=quorum,
                quorum_met=quorum_met,
            )
        )
    weights = _weights(ev, groups)
    results = []
    for m in members:
        c = CandidateResult(ev.id, unit.unit_id, unit.name, m.member_id, m.name, m.post)
        group_tallies = [tallies[m.member_id][g.id] for g in groups]
        c.groups = [t.result for t in group_tallies]
        key = _combine(ev, c, group_tallies, weights)
        results.append((c, key))
    return results


def _finish_group(ev: Evaluation, tally: _Tally, quorum: Fraction | None, k: int) -> None:
    r = tally.result
    agg = ev.spec.aggregate
    if quorum is not None:
        r.quorum_met = r.valid >= quorum * r.expected
    r.shown = r.valid >= k
    if not r.shown or r.valid == 0:
        r.method = ""
        return
    ids = [q.id for q in ev.questions]
    columns = dict(zip(ids, zip(*tally.parts, strict=True), strict=True)) if tally.parts else {}
    if ev.kind == "items":
        totals = [sum(_column(part), Decimal(0)) for part in tally.parts]
        tally.score, trimmed = _mean(totals, agg)
        r.method = "trimmed_mean" if trimmed else "mean"
        for q in ev.questions:
            values = _column(columns.get(q.id, ()))
            if values:
                tally.items[q.id] = _mean(values, agg)[0]
        r.score, r.score_exact = to_decimal(tally.score), tally.score
        r.items = {q: to_decimal(v) for q, v in tally.items.items()}
    elif ev.kind == "grade":
        answers = list(filter(_given, columns.get("grade", ())))
        tally.shares = {
            choice: Fraction(answers.count(choice), len(answers)) if answers else Fraction(0)
            for choice in ev.questions[0].choices
        }
        r.shares = dict(tally.shares)
        r.method = "share"
    else:
        for q in ev.questions:
            answers = list(filter(_given, columns.get(q.id, ())))
            if answers:
                positive = sum(1 for a in answers if a in q.positive)
                tally.rates[q.id] = Fraction(positive, len(answers))
        r.rates = dict(tally.rates)
        r.method = "rate"


def _weights(ev: Evaluation, groups) -> dict[str, Fraction]:
    """Each counted group's weight, renormalised over the groups that expect raters."""
    if len(groups) == 1:
        return {groups[0].id: Fraction(1)}
    raw = {g.id: Fraction(str(g.weight)) if g.weight is not None else Fraction(1) for g in groups}
    total = sum(raw.values()) or Fraction(1)
    return {gid: w / total for gid, w in raw.items()}


def _combine(ev: Evaluation, c: CandidateResult, tallies: list[_Tally], weights) -> tuple | None:
    """The candidate's status and weighted result; returns its exact rank key (or None)."""
    spec = ev.spec
    k = spec.anonymity
    if not tallies or all(t.result.returned == 0 for t in tallies):
        c.status = "no_ballots"
        c.reasons.append(status_text("no_ballots", k))
        return None
    if any(t.result.quorum_met is False for t in tallies):
        c.status = "no_quorum"
        c.reasons.append(status_text("no_quorum", k))
        return None
    if any(not t.result.shown for t in tallies):
        c.status = "hidden"
        c.reasons.append(status_text("hidden", k))
        return None
    c.status = VALID
    decimals = spec.aggregate.decimals
    if ev.kind == "items":
        score = sum((weights[t.result.group_id] * t.score for t in tallies), Fraction(0))
        c.score, c.score_exact = to_decimal(score), score
        for q in ev.questions:
            parts = [(weights[t.result.group_id], t.items.get(q.id)) for t in tallies]
            if all(v is not None for _, v in parts):
                c.items[q.id] = to_decimal(sum((w * v for w, v in parts), Fraction(0)))
        if spec.threshold is not None and score < Fraction(str(spec.threshold)):
            c.reasons.append(f"得分 {shown(score, decimals)} 低于推荐分数线 {spec.threshold:g} 分")
        return (score,)
    if ev.kind == "grade":
        grade = spec.ballot.grade
        choices = ev.questions[0].choices
        shares = {
            ch: sum((weights[t.result.group_id] * t.shares[ch] for t in tallies), Fraction(0))
            for ch in choices
        }
        c.shares = shares
        c.grade = grade.otherwise
        for rule in grade.rules:
            if sum(shares[ch] for ch in rule.of) >= Fraction(str(rule.share)):
                c.grade = rule.grade
                break
        c.follow_up = c.grade in grade.follow_up
        if grade.recommend and c.grade not in grade.recommend:
            c.reasons.append(
                f"评定等次为“{c.grade}”，不在推荐等次（{'、'.join(grade.recommend)}）之内"
            )
        elif not grade.recommend:
            c.reasons.append("本测评只评定等次，不推荐")
        cumulative, running = [], Fraction(0)
        for ch in choices:
            running += shares[ch]
            cumulative.append(running)
        return tuple(cumulative)
    for q in ev.questions:
        parts = [(weights[t.result.group_id], t.rates.get(q.id)) for t in tallies]
        if any(v is None for _, v in parts):
            continue
        rate = sum((w * v for w, v in parts), Fraction(0))
        c.rates[q.id] = rate
        if q.target is not None:
            met = rate >= Fraction(str(q.target))
            c.targets_met[q.id] = met
            if not met:
                c.reasons.append(
                    f"{q.short} {percent(rate)} 未达到 {percent(Fraction(str(q.target)))}"
                )
    return None


def _rank_and_cap(ev: Evaluation, unit_id: str, results: list[tuple[CandidateResult, tuple]]):
    """Rank within the unit, the cap and its ties at the cut, and the recommendation."""
    ranked = sorted((r for r in results if r[1] is not None), key=lambda r: r[1], reverse=True)
    for n, (c, key) in enumerate(ranked):
        previous = ranked[n - 1] if n else None
        c.rank = previous[0].rank if previous and previous[1] == key else n + 1
    cap = ev.caps.get(unit_id)
    spec = ev.spec
    for c, _ in results:
        if c.status != VALID:
            continue
        if ev.kind == "survey":
            c.within_cap = True
            c.recommended = not c.reasons
            continue
        c.within_cap = cap is None or (c.rank is not None and c.rank <= cap)
    if cap is not None:
        inside = [(c, key) for c, key in ranked if c.within_cap]
        if len(inside) > cap:  # equal values straddle the cut: all at the cut's value
            cut = inside[-1][1]
            for c, key in inside:  # not when below the threshold or the grade: moot
                c.tie_at_cut = key == cut and not c.reasons
    for c, _ in results:
        if c.status != VALID or ev.kind == "survey":
            continue
        if not c.within_cap:
            c.reasons.append(
                f"本支部推荐名额为 0 名（{spec.cap}）"
                if cap == 0
                else f"排名第 {c.rank}，超出名额（{cap} 名）"
            )
        elif c.tie_at_cut:
            tied = sum(1 for x, _ in results if x.tie_at_cut)
            c.reasons.append(f"与其他 {tied - 1} 人并列于名额线（名额 {cap} 名），由党委决定")
        c.recommended = c.within_cap and not c.reasons


def outcome_dict(outcome: EvaluationOutcome, evals: RoundEvaluations | None = None) -> dict:
    """The outcome as JSON-serialisable data; hidden results never appear in it.

    Scores are given exact (``score_exact``, a fraction text such as 238/3) and as shown
    (``score``, rounded to the evaluation's ``decimals`` when ``evals`` is given, else
    2); shares and
    rates as percentages.  A group below the anonymity threshold carries its counts
    (expected, returned, valid, not counted) and its status only: not even why a
    ballot was invalid (“全部满分” says what a rater gave).
    """
    decimals = {
        ev.id: ev.spec.aggregate.decimals for ev in (evals.evaluations.values() if evals else ())
    }

    def group(g: GroupResult, places: int) -> dict:
        out = {
            "group_id": g.group_id,
            "label": g.label,
            "expected": g.expected,
            "returned": g.returned,
            "valid": g.valid,
            "quorum_met": g.quorum_met,
            "shown": g.shown,
        }
        if not g.shown:  # below k: how many did not count, not why (that says what was given)
            out["not_counted"] = sum(g.invalid.values()) + g.abstained
        else:
            out["abstained"] = g.abstained
            out["invalid"] = {k: g.invalid[k] for k in INVALID_REASONS if k in g.invalid}
            out["method"] = g.method
            if g.score is not None:
                out["score"] = shown(g.score, places)
                out["items"] = {q: shown(v, places) for q, v in g.items.items()}
            if g.shares:
                out["shares"] = {ch: percent(v) for ch, v in g.shares.items()}
            if g.rates:
                out["rates"] = {q: percent(v) for q, v in g.rates.items()}
        return out

    candidates = []
    for c in outcome.candidates:
        places = decimals.get(c.evaluation_id, 2)
        entry = {
            "evaluation_id": c.evaluation_id,
            "unit_id": c.unit_id,
            "unit": c.unit_name,
            "member_id": c.member_id,
            "name": c.name,
            "post": c.post,
            "status": c.status,
            "groups": [group(g, places) for g in c.groups],
        }
        if c.status == VALID:
            entry.update(
                {
                    "score": shown(c.score, places) if c.score is not None else None,
                    "score_exact": str(c.score_exact) if c.score_exact is not None else None,
                    "items": {q: shown(v, places) for q, v in c.items.items()},
                    "shares": {ch: percent(v) for ch, v in c.shares.items()},
                    "grade": c.grade,
                    "rates": {q: percent(v) for q, v in c.rates.items()},
                    "targets_met": dict(c.targets_met),
                    "rank": c.rank,
                    "within_cap": c.within_cap,
                    "tie_at_cut": c.tie_at_cut,
                    "follow_up": c.follow_up,
                }
            )
        entry["recommended"] = c.recommended
        entry["reasons"] = list(c.reasons)
        candidates.append(entry)
    participation = [
        {
            "evaluation_id": p.evaluation_id,
            "unit_id": p.unit_id,
            "unit": p.unit_name,
            "group_id": p.group_id,
            "label": p.label,
            "expected": p.expected,
            "returned": p.returned,
            "blank": p.blank,
            "valid": p.valid,
            "quorum": str(p.quorum) if p.quorum is not None else None,
            "quorum_met": p.quorum_met,
        }
        for p in outcome.participation
    ]
    return {
        "candidates": candidates,
        "participation": participation,
        "warnings": [w.to_dict() for w in outcome.warnings],
    }


def mask(issue: Issue) -> Issue:
    """An issue with the values a ballot held replaced by ＊ (for the 问题 sheet, the report).

    Issues about a ballot quote what was typed (“第3项为 12，超出 0–10 分”); next to
    the ballot's file or serial that would tie a score to a ballot.  The fields that
    quote a value are masked and the message rendered again from the catalogue.
    """
    quoted = {"found", "value", "actual", "length", "scores", "answer", "old", "new"}
    fields = dict(issue.fields)
    if not quoted & fields.keys():
        return issue
    for name in quoted & fields.keys():
        fields[name] = "＊"
    masked = make_issue(issue.code, file=issue.file, cell=issue.cell, line=issue.line, **fields)
    masked.sheet = issue.sheet
    return masked


__all__ = [
    "ABSTAINED",
    "count_ballots",
    "mask",
    "outcome_dict",
    "percent",
    "rounded",
    "shown",
    "status_text",
    "trimmed_mean",
]
