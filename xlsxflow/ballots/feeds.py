"""Survey rates that feed the forms they belong to (issue #12: 004 “三高”, 003 篇1).

A survey question of the round file may say which input of a form its rate is::

    - {id: manyi, label: 满意度, text: 您对社区工作是否满意？, target: 0.95,
       feeds: {form: jingpin, indicator: t_satisfied}}

``xlsxflow ballots ingest`` saves the counted rates of the round beside its other
records (``xlsxflow-rounds/<round id>.survey.json``, atomically): per unit and
question the rate, the valid answers and whether it may be shown.  ``xlsxflow
ingest`` then uses a shown rate as the input's value in place of the unit's
self-report (the measured value decides the target) and keeps the self-report for
the summary.  A rate below the anonymity threshold (or without quorum) is neither
saved nor fed: the self-report stays, with a note.  Before the survey is counted,
ingest works as it always did and says so once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write_bytes
from ..messages import Issue, make_issue
from ..round import ROUNDS_DIR, _archive_path
from .count import percent, status_text

if TYPE_CHECKING:
    from ..round import RoundContext
    from ..roundfile import Round
    from ..submission import Result, Submission
    from .model import EvaluationOutcome
    from .spec import RoundEvaluations

RATES_SUFFIX = ".survey.json"
FORMAT = 1


def rates_path(workdir: str | Path, round_id: str) -> Path:
    """Where a round's counted survey rates are kept: beside its record."""
    record = _archive_path(Path(workdir), round_id)
    return Path(workdir) / ROUNDS_DIR / (record.stem + RATES_SUFFIX)


def save_counted_rates(
    workdir: str | Path, round_id: str, evals: RoundEvaluations, outcome: EvaluationOutcome
) -> Path | None:
    """Write every survey rate of the round (None when the round has no survey)."""
    rows = []
    for ev in evals.evaluations.values():
        if ev.kind != "survey":
            continue
        for c in outcome.of(ev.id):
            valid = sum(g.valid for g in c.groups)
            for q in ev.questions:
                rate = c.rates.get(q.id) if c.status == "valid" else None
                rows.append(
                    {
                        "evaluation": ev.id,
                        "unit_id": c.unit_id,
                        "question": q.id,
                        "label": q.short,
                        "status": c.status,
                        "shown": rate is not None,
                        "valid": valid,
                        "rate": None if rate is None else f"{rate.numerator}/{rate.denominator}",
                        "percent": percent(rate),
                    }
                )
    if not rows:
        return None
    path = rates_path(workdir, round_id)
    data = {
        "format": FORMAT,
        "round_id": round_id,
        "counted_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "anonymity": {ev.id: ev.spec.anonymity for ev in evals.evaluations.values()},
        "rates": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


@dataclass(frozen=True)
class FedValue:
    """One survey rate meant for one input of one unit's form."""

    kind: str  # indicator | item
    input_id: str
    question: str  # the rate's name: 满意度
    evaluation: str  # the evaluation's title
    shown: bool
    valid: int  # valid answers it is counted from
    rate: Fraction | None = None  # None: not shown (below the anonymity threshold …)
    value: float | None = None  # as the input reads: % for an indicator, points for an item
    status: str = ""


@dataclass
class Feeds:
    """The round's fed rates: (form id, unit id) → input id → :class:`FedValue`."""

    values: dict[tuple[str, str], dict[str, FedValue]] = field(default_factory=dict)
    notes: list[Issue] = field(default_factory=list)

    def apply(self, form_id: str, unit_id: str, unit_name: str, rubric, sub: Submission):
        """(the submission to evaluate, the measured input ids, what the summary shows)."""
        fed = self.values.get((form_id, unit_id))
        if not fed:
            return sub, set(), {}
        indicators, scores = dict(sub.indicators), dict(sub.scores)
        measured, shown = set(), {}
        for input_id, fv in fed.items():
            own = (indicators if fv.kind == "indicator" else scores).get(input_id)
            shown[input_id] = {
                "self": own,
                "measured": fv.value,
                "percent": percent(fv.rate),
                "valid": fv.valid,
                "shown": fv.shown,
                "above": fv.shown and own is not None and own > fv.value + 1e-9,
            }
            if not fv.shown:
                what = _input_text(rubric, fv)
                self.notes.append(
                    make_issue(
                        "feed-not-shown",
                        unit=unit_name,
                        id=unit_id,
                        question=fv.question,
                        status=fv.status,
                        input=what,
                    )
                )
                continue
            (indicators if fv.kind == "indicator" else scores)[input_id] = fv.value
            measured.add(input_id)
        return replace(sub, indicators=indicators, scores=scores), measured, shown


def _input_text(rubric, fv: FedValue) -> str:
    if fv.kind == "indicator":
        return next((f"“{i.text}”" for i in rubric.indicators if i.id == fv.input_id), "")
    return f"“{fv.input_id}”"


def survey_feeds(ctx: RoundContext) -> Feeds | None:
    """The rates fed into this round's forms (None when no question feeds a form)."""
    rnd = ctx.round
    if rnd is None or ctx.record is None:
        return None
    wanted = _wanted(rnd)
    if not wanted:
        return None
    feeds = Feeds()
    path = rates_path(ctx.workdir, ctx.record.round_id)
    rows: list[dict] = []
    anonymity: dict[str, int] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rows, anonymity = list(data["rates"]), dict(data.get("anonymity", {}))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            inputs = _inputs_text(rnd, {e for e, _ in wanted})
            feeds.notes.append(
                make_issue("feed-unreadable", file=path.name, detail=exc, inputs=inputs)
            )
            return feeds
    counted = set()
    for row in rows:
        try:
            key = (row["evaluation"], row["question"])
            if key not in wanted:
                continue
            counted.add(row["evaluation"])
            spec, q = wanted[key]
            feed = q.feeds
            rate = Fraction(row["rate"]) if row.get("shown") and row.get("rate") else None
            value = None
            if rate is not None:
                if feed.indicator is not None or not feed.scale:
                    value = float(rate * 100)
                else:
                    rubric = rnd.sheet_rubric(feed.form)
                    item = next(it for _, it in rubric.items() if it.id == feed.item)
                    value = float(rate * Fraction(str(item.max)))
            k = anonymity.get(spec.id, spec.anonymity)
            feeds.values.setdefault((feed.form, str(row["unit_id"])), {})[feed.input_id] = FedValue(
                kind="indicator" if feed.indicator is not None else "item",
                input_id=feed.input_id,
                question=q.label,
                evaluation=spec.title,
                shown=rate is not None,
                valid=int(row.get("valid", 0)),
                rate=rate,
                value=value,
                status="" if rate is not None else status_text(row.get("status", "hidden"), k),
            )
        except (KeyError, ValueError, TypeError, ZeroDivisionError, StopIteration):
            continue  # a hand-edited row: not fed
    missing = {e for e, _ in wanted} - counted
    for ev_id in sorted(missing):
        spec = next(s for s in rnd.spec.evaluations if s.id == ev_id)
        feeds.notes.append(
            make_issue("feed-not-counted", evaluation=spec.title, inputs=_inputs_text(rnd, {ev_id}))
        )
    return feeds


def _wanted(rnd: Round) -> dict:
    """(evaluation id, question id) → (evaluation spec, question) for each question that feeds."""
    out = {}
    for spec in rnd.spec.evaluations:
        if spec.ballot.survey is None:
            continue
        for q in spec.ballot.survey.questions:
            if q.feeds is not None:
                out[(spec.id, q.id)] = (spec, q)
    return out


def _inputs_text(rnd: Round, evaluation_ids: set[str]) -> str:
    names = []
    for (ev_id, _), (_, q) in _wanted(rnd).items():
        if ev_id in evaluation_ids:
            rubric = rnd.sheet_rubric(q.feeds.form)
            fv = FedValue(
                "indicator" if q.feeds.indicator else "item", q.feeds.input_id, "", "", False, 0
            )
            names.append(_input_text(rubric, fv) or q.label)
    return "、".join(names)


def measured_text(fed: dict, unit: str = "%") -> str:
    """A fed input as the summary shows it, one short line each: the measured rate with
    （测评）, its valid answers, the self-report, and whether the self-report is above."""
    from ..values import fmt

    own = fed.get("self")
    own_text = "未填" if own is None else f"{fmt(own)}{unit}"
    if not fed.get("shown"):
        return f"测评结果不显示\n用自报 {own_text}"
    lines = [f"{fed['percent']}（测评）", f"有效答卷 {fed['valid']} 份", f"自报 {own_text}"]
    return "\n".join(lines + (["自报高于测评"] if fed.get("above") else []))


def result_fed(result: Result) -> dict:
    return getattr(result, "fed", {}) or {}
