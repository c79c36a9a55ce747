"""A round's rules across sheets: publicity days, entitlement, quotas and repeated nominees.

Each filled sheet of a round workbook is first evaluated on its own (scores,
threshold, vetoes: :mod:`xlsxflow.scoring`).  Then, per unit:

* 公示 (publicity) must last at least the round's ``publicity_min_days``, counting
  the first and the last day (seed 000 三.6: 不少于5天);
* the unit must (still) be entitled to the form (三.1/三.2, from the roster now);
* nominations in one quota group count in sheet order; those beyond the quota are
  not eligible (三.5);
* a nominee named twice in one group is not eligible the second time.

Every finding is both a reason on the result and an issue on the file (with sheet
and cell), so the 问题 sheet and the ranking sheets agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from .checks import Where
from .layout import Layout
from .roundfile import Round
from .scoring import evaluate, rank
from .submission import Result


@dataclass
class QuotaRow:
    """One unit's use of one quota group (or form)."""

    unit_id: str
    unit_name: str
    group: str  # the forms' titles: 文明窗口/文明科室
    allowed: int
    nominated: int
    eligible: int
    over: int

    def to_dict(self) -> dict:
        return asdict(self)


def quota_groups(rnd: Round) -> list[tuple[str, list[str]]]:
    """(label, form ids) per quota group, in the round's form order."""
    groups: dict[str, list[str]] = {}
    for form in rnd.spec.forms:
        groups.setdefault(form.quota_group or form.id, []).append(form.id)
    return [("/".join(rnd.form(f).title for f in forms), forms) for forms in groups.values()]


def publicity_days(start: str | None, end: str | None) -> int | None:
    """Days from ``start`` to ``end`` counting both (ISO dates); None if either is missing."""
    if not start or not end:
        return None
    return (date.fromisoformat(end) - date.fromisoformat(start)).days + 1


def _normal(name: str) -> str:
    return "".join(name.split()).casefold()


def evaluate_round(
    rnd: Round, records: list, feeds=None, barred: Callable[[Result], list[str]] | None = None
) -> tuple[list[Result], list[QuotaRow]]:
    """Results of every filled sheet (ranked per form) and every unit's quota use.

    ``feeds`` (:class:`xlsxflow.ballots.feeds.Feeds`): counted survey rates that stand
    for a unit's self-reported inputs.  ``barred``: a result's reasons from the register
    (:meth:`xlsxflow.register.candidates.HistoryScreen.reasons`), added before ranking."""
    results: list[Result] = []
    by_unit: dict[str, list[Result]] = {}
    over: dict[tuple[str, str], int] = {}  # (unit, quota label) → nominations beyond it
    for rec in records:
        layouts = {s.sheet_name: s for s in rnd.book(rec.slots, rec.lang).sheets}
        unit_results = []
        for sub in rec.submissions:
            form = rnd.form(sub.form_id)
            rubric, measured, fed = rnd.sheet_rubric(form.id), set(), {}
            if feeds is not None:
                unit = rnd.roster.get(rec.unit_id)
                name = unit.name if unit else rec.unit_id
                sub, measured, fed = feeds.apply(form.id, rec.unit_id, name, rubric, sub)
            result = evaluate(rubric, rnd.roster, sub, rec.path, measured)
            result.fed = fed
            result.form_id, result.slot, result.sheet = form.id, sub.slot, sub.sheet
            result.nominee = sub.nominee if form.nominee else result.unit_name
            layout = layouts[sub.sheet]
            _check_entitlement(rnd, rec, result, layout)
            if form.publicity:
                _check_publicity(rnd, rec, sub, result, layout)
            for reason in barred(result) if barred is not None else ():
                _fail(result, reason)
            unit_results.append(result)
        by_unit[rec.unit_id] = unit_results
        for label, forms in quota_groups(rnd):
            over[(rec.unit_id, label)] = _check_quota(rnd, rec, label, forms, unit_results, layouts)
        results += unit_results
    ranked: list[Result] = []
    for form in rnd.spec.forms:
        ranked += rank([r for r in results if r.form_id == form.id], rnd.sheet_rubric(form.id))
    return ranked, _quota_rows(rnd, by_unit, over)


def _fail(result: Result, reason: str) -> None:
    result.reasons.append(reason)
    result.eligible = False


def _check_entitlement(rnd: Round, rec, result: Result, layout: Layout) -> None:
    entitlement = rnd.entitlements.get(rec.unit_id, {}).get(result.form_id)
    if entitlement is None or entitlement.receives:
        return
    reason = "；".join(entitlement.reasons) or "名额为 0"
    form = rnd.form(result.form_id).title
    rec.issues.append(
        Where(rec.path, layout.sheet_name)("quota-not-entitled", form=form, reason=reason)
    )
    _fail(result, f"不能申报{form}：{reason}")


def _check_publicity(rnd: Round, rec, sub, result: Result, layout: Layout) -> None:
    start, end = sub.fields.get("publicity_start"), sub.fields.get("publicity_end")
    days = publicity_days(start, end)
    if days is None:
        return  # missing dates are value errors already
    here = Where(rec.path, layout.sheet_name)
    cell = layout.input_named("xf_publicity_end").ref
    minimum = rnd.spec.publicity_min_days
    if days < 1:
        rec.issues.append(here("publicity-order", cell=cell, start=start, end=end))
        _fail(result, f"公示结束日期 {end} 早于开始日期 {start}")
    elif days < minimum:
        rec.issues.append(
            here(
                "publicity-too-short", cell=cell, days=days, start=start, end=end, min_days=minimum
            )
        )
        _fail(result, f"公示 {days} 天，少于 {minimum} 天（三.6）")


def _check_quota(
    rnd: Round,
    rec,
    label: str,
    forms: list[str],
    unit_results: list[Result],
    layouts: dict[str, Layout],
) -> int:
    """Mark nominations beyond the group's quota and repeated nominees; return how many over."""
    used = sorted(
        (r for r in unit_results if r.form_id in forms),
        key=lambda r: (forms.index(r.form_id), r.slot),
    )
    entitlement = rnd.entitlements.get(rec.unit_id, {}).get(forms[0])
    allowed = entitlement.slots if entitlement and entitlement.receives else 0
    over = 0
    seen: dict[str, str] = {}
    for n, result in enumerate(used, 1):
        layout = layouts[result.sheet]
        here = Where(rec.path, result.sheet)
        cell = layout.input_named("xf_nominee").ref if layout.plan.nominee_label else ""
        if n > allowed > 0:
            over += 1
            rec.issues.append(
                here("quota-over", cell=cell, group=f"“{label}”", allowed=allowed, n=n)
            )
            _fail(result, f"超出名额（{label}共 {allowed} 个，本表为第 {n} 个）")
        name = _normal(result.nominee) if rnd.form(result.form_id).nominee else ""
        if name and name in seen:
            rec.issues.append(
                here("nominee-twice", cell=cell, nominee=result.nominee, first=seen[name])
            )
            _fail(result, f"与“{seen[name]}”推荐对象重复")
        elif name:
            seen[name] = result.sheet
    return over


def _quota_rows(
    rnd: Round, by_unit: dict[str, list[Result]], over: dict[tuple[str, str], int]
) -> list[QuotaRow]:
    rows = []
    for unit in rnd.roster:
        entitled = rnd.entitlements.get(unit.unit_id, {})
        results = by_unit.get(unit.unit_id, [])
        for label, forms in quota_groups(rnd):
            first = entitled.get(forms[0])
            allowed = first.slots if first and first.receives else 0
            mine = [r for r in results if r.form_id in forms]
            if not allowed and not mine:
                continue
            rows.append(
                QuotaRow(
                    unit.unit_id,
                    unit.name,
                    label,
                    allowed,
                    len(mine),
                    sum(1 for r in mine if r.eligible),
                    over.get((unit.unit_id, label), 0),
                )
            )
    return rows
