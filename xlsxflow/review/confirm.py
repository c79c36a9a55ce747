"""Reviewers confirming a conditions form: the level (or named stars) on confirmed answers.

Issue 14: a form decided by conditions (002's levels, 篇2's bands with conditions, 篇3's
named stars, 004's checklist) is reviewed by confirming the unit's answers, not by
scoring: per condition the reviewer enters 属实 / 不属实 (a fact, a veto), 属实 /
不属实 or their own value of the scale (an honour), or the number they measured (a
rate, a count).  Each reviewer's entries make that reviewer's answers
(:func:`reviewer_answers`); :func:`confirm` evaluates the unit's own answers and each
reviewer's with :func:`xlsxflow.conditions.evaluate` and keeps, level by level, what
holds on both.

Choices where the seeds are silent (002 says only who decides each level and that
四、五星级 need 公示; also in ``templates/README.md``):

* **confirm, never grant** — a condition holds only if it holds on the unit's own
  answer *and* on the reviewers' (a reviewer measuring 100% where the unit wrote 96%
  does not raise the unit above what it applied with; a reviewer finding a veto the
  unit denied does block its levels).  A reviewer's blank on a condition the unit did
  not claim changes nothing.
* **several reviewers** — ``review.conditions_rule`` in the round file: ``all`` (the
  default) — a condition holds only if every counted reviewer's answer makes it hold,
  so one 不属实 is enough to withhold it; ``majority`` — it holds when more than half of
  the counted reviewers' answers make it hold (a tie withholds it, as a bonus claim is
  struck on a tie).  ``all`` is the default because a star level is conferred on
  conditions the seed words as facts to be established (“达到…标准”), and the existing
  confirmations (vetoes, conditions to apply) already let a single reviewer's 不属实
  stand; a 测评组 that votes can say ``majority``.  Either way the reviewers who
  disagreed are named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..conditions import YES, Check, StarResult, Unmet, evaluate, level_result, questions
from ..messages import render
from ..rubric import Rubric, requirement_text
from .model import FALSE, TRUE

ConditionsRule = Literal["all", "majority"]
Answer = str | float | None


def _yes(value: object) -> bool:
    return value is not None and str(value).strip().lower() in YES


def reviewer_answers(
    rubric: Rubric, unit_answers: Mapping[str, Answer], entered: Mapping[str, Answer]
) -> dict[str, Answer]:
    """One reviewer's answers: the unit's, changed where the reviewer disputes them.

    ``entered`` maps an answer id to what the reviewer entered: 属实 (the unit's answer
    stands), 不属实 (a fact or veto: the other way; an honour: none held), a value of
    the honour's scale, or a measured number; None (blank) leaves the unit's answer.
    """
    out = dict(unit_answers)
    for q in questions(rubric):
        given = entered.get(q.id)
        own = unit_answers.get(q.id)
        if given is None or given == TRUE:
            continue
        if q.kind in ("fact", "veto"):
            if given == FALSE:
                out[q.id] = "否" if _yes(own) else "是"
        elif q.kind == "honour":
            out[q.id] = "无" if given == FALSE else given
        else:
            out[q.id] = given
    return out


def _owners(rubric: Rubric) -> list:
    return list(rubric.stars or rubric.levels)


def _key(u: Unmet) -> tuple[str, str, bool]:
    return (u.condition, u.requirement, u.veto)


def _fails(failing: int, counted: int, rule: ConditionsRule) -> bool:
    """Whether reviewers withhold a condition: any of them (all) or not more than half agree."""
    if rule == "all":
        return failing > 0
    return 2 * (counted - failing) <= counted


@dataclass
class Confirmed:
    """A conditions form's result on the reviewers' confirmed answers."""

    result: StarResult  # on the confirmed answers
    claimed: StarResult  # on the unit's own answers (the same score)
    findings: list[str] = field(default_factory=list)  # disputes that withheld a condition
    outvoted: list[str] = field(default_factory=list)  # disputes a majority did not share


def confirm(
    rubric: Rubric,
    unit_answers: Mapping[str, Answer],
    entered: Mapping[str, Mapping[str, Answer]],
    rule: ConditionsRule = "all",
    score: float | None = None,
    who: Mapping[str, str] | None = None,
) -> Confirmed:
    """The level (or stars) of one unit on its answers as the counted reviewers confirm them.

    ``entered``: reviewer id → that reviewer's entries (see :func:`reviewer_answers`);
    ``score``: a mixed rubric's score for its band (the decision score); ``who``:
    reviewer id → 林晓文（R01）, for the findings.
    """
    who = who or {}
    claimed = evaluate(rubric, unit_answers, score)
    views = {
        rid: evaluate(rubric, reviewer_answers(rubric, unit_answers, given), score)
        for rid, given in entered.items()
    }
    counted = len(views)
    owners = _owners(rubric)
    checks: list[Check] = []
    findings: dict[tuple, str] = {}
    outvoted: dict[tuple, str] = {}
    below, below_holds = "", False
    for rank, owner in enumerate(owners):
        own = claimed.checks[rank]
        mine = {_key(u): u for u in own.unmet if u.condition != "previous"}
        theirs = {
            rid: {_key(u): u for u in view.checks[rank].unmet if u.condition != "previous"}
            for rid, view in views.items()
        }
        keys = list(mine) + [k for view in theirs.values() for k in view if k not in mine]
        unmet: list[Unmet] = []
        for cond in owner.all_conditions() if not rubric.stars else []:
            if cond.kind == "previous" and not below_holds:
                need = requirement_text(rubric, cond)
                if below and not cond.text:
                    need = f"{below}的条件全部成立"
                unmet.append(Unmet("previous", need, "未达到", _group_of(owner, cond)))
        for key in dict.fromkeys(keys):
            if key in mine:
                unmet.append(mine[key])
                continue
            against = [rid for rid, view in theirs.items() if key in view]
            words = _finding(rubric, theirs, against, key, who)
            if _fails(len(against), counted, rule):
                first = theirs[against[0]][key]
                unmet.append(
                    Unmet(first.condition, first.requirement, first.actual, first.group, first.veto)
                )
                findings.setdefault(key[:2], words)
            else:
                outvoted.setdefault(key[:2], words)
        holds = not unmet
        checks.append(Check(owner.name, holds, unmet, own.decided_by, own.publicity))
        below, below_holds = owner.name, holds
    for key in findings:
        outvoted.pop(key, None)
    return Confirmed(
        _result(rubric, claimed, checks, views),
        claimed,
        list(findings.values()),
        list(outvoted.values()),
    )


def _group_of(owner, cond) -> str:
    for group in owner.groups:
        if any(c is cond for c in group.conditions):
            return group.name
    return ""


def _finding(rubric, theirs, against: list[str], key, who: Mapping[str, str]) -> str:
    """评审认定不属实：市级以上文明社区（评审人：林晓文（R01））, or the value found."""
    condition, requirement, veto = key
    names = "、".join(who.get(r, r) for r in against)
    if veto:
        return render("outcome-condition-veto", condition=requirement, reviewers=names)
    values = list(dict.fromkeys(theirs[r][key].actual for r in against))
    question = next((q for q in questions(rubric) if q.id == condition), None)
    if question is None or question.kind == "fact" or values == ["无"]:
        return render("outcome-condition-false", condition=requirement, reviewers=names)
    code = "outcome-condition-measured" if question.kind == "number" else "outcome-condition-lower"
    return render(code, condition=requirement, value="、".join(values), reviewers=names)


def _result(
    rubric: Rubric, claimed: StarResult, checks: list[Check], views: Mapping[str, StarResult]
) -> StarResult:
    """The confirmed :class:`StarResult` from the combined checks (levels or named stars)."""
    vetoes = [v for v in claimed.vetoes]
    seen = {v.id for v in vetoes}
    for view in views.values():
        for hit in view.vetoes:
            blocking = any(u.veto and u.condition == hit.id for c in checks for u in c.unmet)
            if hit.id not in seen and blocking:
                vetoes.append(hit)
                seen.add(hit.id)
    if rubric.stars:
        return StarResult(
            rubric_id=rubric.id,
            kind="stars",
            stars=[c.name for c in checks if c.holds],
            vetoes=vetoes,
            checks=checks,
        )
    return level_result(rubric, checks, vetoes, band=claimed.band, score=claimed.score)


def level_words(result: StarResult | None) -> str:
    """三星级 · 理论学习星、党员先锋星 · 未达到星级 — a result in a few words."""
    if result is None:
        return ""
    if result.kind == "stars":
        return "、".join(result.stars) or "无"
    return result.level or "未达到星级"
