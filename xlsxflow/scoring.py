"""Totals, rules and ranking, computed by xlsxflow from the inputs alone.

Ranking (per rubric): only eligible returns take a rank, by total (high first) —
the one order the seeds give.  Returns equal on total share a rank and the next
rank is skipped (1, 2, 2, 4); they are listed by unit id.  Ineligible returns
(value errors, a threshold or veto, over quota …) get no rank and follow the
ranked ones, highest total first, each with its reasons.

A rubric's ``award`` (e.g. 红旗党支部, top 3) goes to the ranked returns whose
rank is within ``top``.  No tie-break the seed does not give is used: every
return equal on total at the cut gets it, so more than ``top`` can be named and
the deciding body (the 党委) chooses among them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from . import conditions
from .roster import Roster
from .rubric import Item, Rubric
from .submission import Result, Submission
from .values import fmt

T = TypeVar("T")


def counted_score(item: Item, sub: Submission) -> float:
    """An item's points as they count: a 不适用 item the rubric counts as full gets its max."""
    if item.id in sub.not_applicable and item.not_applicable:
        return item.max if item.not_applicable.counts == "full" else 0.0
    return sub.scores.get(item.id) or 0.0


def compute_totals(rubric: Rubric, sub: Submission) -> dict[str, float]:
    """Section subtotals, subtotal, bonus and total, keyed like the layout's totals.

    Items marked 不适用 count as the rubric says (``Item.not_applicable``): as full
    points, or left out with the subtotal scaled back to the rubric's total.  The
    threshold, bands and ranking all use these counted totals.
    """
    totals: dict[str, float] = {}
    subtotal = 0.0
    if sub.not_applicable:
        for section in rubric.sections:
            value = sum(counted_score(item, sub) for item in section.items)
            totals[f"sub_{section.id}"] = value
            subtotal += value
    else:  # nothing marked 不适用: the same sums in the same order, without a call an item
        get = sub.scores.get
        for key, ids in _sections(rubric):
            value = sum([get(i) or 0.0 for i in ids])
            totals[key] = value
            subtotal += value
    left_out = (
        sum(
            item.max
            for _, item in rubric.items()
            if item.id in sub.not_applicable
            and item.not_applicable
            and item.not_applicable.counts == "rescale"
        )
        if sub.not_applicable
        else 0
    )
    if left_out and rubric.items_max > left_out:
        subtotal = subtotal * rubric.items_max / (rubric.items_max - left_out)
    totals["subtotal"] = subtotal
    bonus = 0.0
    if rubric.bonus:
        values = [sub.bonus.get(b.id) or 0.0 for b in rubric.bonus.items]
        if rubric.bonus.mode == "highest":
            bonus = max(values, default=0.0)
        else:
            bonus = sum(values)
            if rubric.bonus.cap is not None:
                bonus = min(bonus, rubric.bonus.cap)
        totals["bonus"] = bonus
    totals["total"] = subtotal + bonus
    return totals


_SECTIONS: dict[int, tuple[Rubric, tuple[tuple[str, tuple[str, ...]], ...]]] = {}


def _sections(rubric: Rubric) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each section's key among the totals and its items' ids, once per rubric (a rubric
    is frozen; it is kept with its id, so the id is not reused meanwhile)."""
    known = _SECTIONS.get(id(rubric))
    if known is not None and known[0] is rubric:
        return known[1]
    sections = tuple(
        (f"sub_{section.id}", tuple(item.id for item in section.items))
        for section in rubric.sections
    )
    if len(_SECTIONS) >= 64:
        _SECTIONS.clear()
    _SECTIONS[id(rubric)] = (rubric, sections)
    return sections


def evaluate(
    rubric: Rubric, roster: Roster, sub: Submission, file: str, measured: set[str] = frozenset()
) -> Result:
    """The result of one accepted return, with every reason it is not eligible.

    ``measured``: indicators whose value is a counted survey rate, not the unit's own."""
    totals = compute_totals(rubric, sub)
    unit = roster.get(sub.unit_id)
    reasons: list[str] = []
    complete = sub.errors == 0
    if not complete:
        reasons.append(f"本表有 {sub.errors} 处填写错误，需改正后重新报送（见“问题”表）")
    if rubric.threshold and complete:
        th = rubric.threshold
        value = totals[th.on]
        if value < th.min - 1e-9:
            what = "自评分（不含加分）" if th.on == "subtotal" else "总分"
            base = th.reason or f"{what}未达到 {fmt(th.min)} 分"
            reasons.append(f"{base}；实得 {fmt(value)} 分")
    indicators: dict[str, bool | None] = {}
    for ind in rubric.indicators:
        value = sub.indicators.get(ind.id)
        indicators[ind.id] = None if value is None else ind.met(value)
        if value is not None and not indicators[ind.id]:
            how = "（测评）" if ind.id in measured else ""
            reasons.append(
                f"{ind.text}未达标：实为 {fmt(value)}{ind.unit}{how}，目标 {ind.target_text}"
            )
    yes = "是"
    for decl in rubric.declarations:
        if decl.veto and sub.declarations.get(decl.id) == yes:
            reasons.append(f"一票否决：{decl.text}")
    band_on = rubric.bands.on if rubric.bands else "total"
    band = rubric.band_for(totals[band_on]) if complete else ""
    stars = None
    if rubric.has_conditions:  # the level (or named stars) by the conditions answered
        score = totals[band_on] if rubric.by_score and complete else None
        stars = conditions.evaluate(rubric, sub.answers, score)
        band = (stars.level or "") if complete and rubric.levels else ""
    return Result(
        unit_id=sub.unit_id,
        unit_name=unit.name if unit else "",
        parent=roster.parent_name(unit) if unit else "",
        rubric_id=rubric.id,
        file=file,
        sections={s.id: totals[f"sub_{s.id}"] for s in rubric.sections},
        subtotal=totals["subtotal"],
        bonus=totals.get("bonus", 0.0),
        total=totals["total"],
        band=band,
        eligible=complete and not reasons,
        reasons=reasons,
        complete=complete,
        indicators=indicators,
        stars=stars,
        applied=(sub.fields.get("apply_level") or "") if stars is not None else "",
    )


def _same(a, b) -> bool:
    return abs(a - b) < 1e-9


def rank(results: list[Result], rubric: Rubric) -> list[Result]:
    """Assign competition ranks (1, 2, 2, 4) to eligible results; return all in display order.

    A rubric of targets only (no points) ranks nobody: its results are met or not met.
    """
    return rank_by(results, rubric, score=lambda r: r.total, incomplete=lambda r: not r.complete)


def rank_by(
    entries: list[T],
    rubric: Rubric,
    score: Callable[[T], float | Decimal | None],
    incomplete: Callable[[T], bool] = lambda entry: False,
) -> list[T]:
    """:func:`rank` on any score: the self total, or the decision score after review.

    ``entries`` have ``unit_id``, ``slot``, ``eligible``, ``rank`` and ``award``; the
    eligible ones are ranked by ``score`` (high first, equal scores share a rank), the
    others follow, complete ones first, highest score first (no score: last).
    """
    for entry in entries:
        entry.rank, entry.award = None, ""
    if not rubric.scored:
        return sorted(entries, key=lambda e: (not e.eligible, e.unit_id, e.slot))
    ranked = sorted(
        (e for e in entries if e.eligible), key=lambda e: (-score(e), e.unit_id, e.slot)
    )
    for position, entry in enumerate(ranked, 1):
        before = ranked[position - 2] if position > 1 else None
        entry.rank = before.rank if before and _same(score(before), score(entry)) else position
        if rubric.award and entry.rank <= rubric.award.top:
            entry.award = rubric.award.name
    rest = sorted(
        (e for e in entries if not e.eligible),
        key=lambda e: (incomplete(e), score(e) is None, -(score(e) or 0), e.unit_id, e.slot),
    )
    return ranked + rest
