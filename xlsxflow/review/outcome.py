"""The decision on a round: reviewed totals, eligibility, rank and award on each form's basis.

:func:`decide` turns the units' own results (:class:`xlsxflow.ingest.IngestReport`)
and what the reviewers returned (:class:`.model.ReviewIngest`, or ``None`` before
any review) into one :class:`.model.Candidate` per accepted unit sheet of every
form of the round:

* a form without a ``review`` section is decided on the self-score exactly as the
  unit ingest decided it (eligibility, reasons, rank, award and band copied), so
  the 审定 and the 公示 work the same for every form;
* a reviewed form counts the reviews of the unit's assigned reviewers that are
  neither stale nor in error; each item's 实评分 combines them as the round file
  says (mean, median or trimmed mean; rounded to the step, exactly), and the totals
  come from :func:`xlsxflow.scoring.compute_totals` on those combined scores, so 不
  适用 and bonus caps count as for the units;
* the decision score is the self total, the reviewed total or the composite
  (:func:`.spec.decision_score`); the band, the threshold (``review.threshold``),
  the rank and the award (红旗: top 3, every tie at the cut named) rest on it.

Eligibility keeps every reason the unit ingest found (the self-score threshold is
the condition to apply, declared vetoes, quotas, 公示 days, entitlement) and adds:
not reviewed yet (尚未评审, stale and faulty reviews named); the decision score
below ``review.threshold``; a counted reviewer finding a veto declaration or a
condition to apply 不属实 (the reviewer and the declaration named).

Choices where the seeds are silent (also in ``templates/README.md``):

* **bonus lines** — reviewers confirm or strike a unit's claim (the seeds' 加分
  needs evidence; how several reviewers combine is not said): a claim is kept when
  more than half of the counted reviews keep it, the majority rule a 测评组 votes
  by; a tie strikes it, since a claim needs confirming.  Kept, it counts the points
  the unit claimed.
* **不适用** — an item is 不适用 in the combined score when more than half of the
  counted reviews mark it so; otherwise the reviewers' scores of it are combined.
* **a form decided by conditions** (issue 14) — reviewers confirm each condition
  instead of scoring; the level (or named stars) is decided on the confirmed answers
  (``review.conditions_rule``: all reviewers, the default, or a majority; see
  :mod:`.confirm` for why), the unit's own result stays beside it, and each condition a
  reviewer withheld is named in the flags (评审认定不属实：… （评审人：…）).
* **partly reviewed** — a candidate with at least one counted review is decided on
  the counted ones; the missing reviewers are named in its flags.  With none it
  is not eligible (尚未评审), so nothing is published from self-scores alone
  unless the form has no review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ..messages import XlsxflowError, render
from ..roster import Unit
from ..scoring import compute_totals, rank_by
from ..submission import Result, Submission
from .confirm import confirm, level_words
from .model import FALSE, Candidate, ItemScores, ReviewedSheet, ReviewIngest
from .spec import (
    Disagreement,
    FormReview,
    Reviewers,
    RoundReview,
    combine,
    decision_score,
    disagreements,
    gap_flags,
    item_step,
    load_review,
    review_outline,
)
from .workbook import condition_words

if TYPE_CHECKING:
    from ..ingest import IngestReport
    from ..roundfile import FormSpec, Round
    from ..rubric import Rubric

BASIS_WORDS = {"self": "自评分", "review": "实评分", "composite": "综合分"}
BASIS_WORDS_EN = {"self": "self-score", "review": "reviewed score", "composite": "composite"}

# ProgressRow.state: a reviewer's review of one unit sheet
COUNTED, STALE, ERRORS, NOT_RETURNED = "counted", "stale", "errors", "not_returned"


@dataclass
class ProgressRow:
    """One assigned reviewer × one unit sheet: returned and counted, or why not."""

    form_id: str
    reviewer_id: str
    reviewer_name: str
    group: str
    unit_id: str
    unit_name: str
    slot: int
    sheet: str
    nominee: str
    state: str  # counted | stale | errors | not_returned
    errors: int = 0
    file: str = ""  # the reviewer's file, when returned

    def to_dict(self) -> dict:
        return {
            "form": self.form_id,
            "reviewer_id": self.reviewer_id,
            "reviewer_name": self.reviewer_name,
            "group": self.group,
            "unit_id": self.unit_id,
            "slot": self.slot,
            "sheet": self.sheet,
            "state": self.state,
            "errors": self.errors,
            "file": self.file,
        }


@dataclass
class ItemDisagreement:
    """A disagreement beyond the spread, with the candidate and item it belongs to."""

    candidate: Candidate
    item_label: str
    found: Disagreement
    spread: Decimal

    def to_dict(self) -> dict:
        return {
            "form": self.candidate.form_id,
            "unit_id": self.candidate.unit_id,
            "slot": self.candidate.slot,
            "item": self.found.item_id,
            "scores": {k: float(v) for k, v in self.found.scores.items()},
            "difference": float(self.found.difference),
            "spread": float(self.spread),
        }


@dataclass
class ReviewOutcome:
    """The decision on every unit sheet of a round, and the state of the review."""

    candidates: list[Candidate]  # per form in the round's order; ranked first, then the others
    basis: dict[str, str]  # form id → self | review | composite (self for a form without review)
    reviewed_forms: list[str]  # the forms with a review section, in the round's order
    progress: list[ProgressRow] = field(default_factory=list)
    no_return: list[tuple[str, Unit]] = field(default_factory=list)  # (form, unit): no sheet sent
    unassigned: list[tuple[str, Unit]] = field(default_factory=list)  # (form, unit): no reviewer
    disagreements: list[ItemDisagreement] = field(default_factory=list)
    reviews_dir: str = ""  # "" before any review was read
    # The reviewers' files as read (ingest.FileRecord) and the reviews folder's warnings:
    # the summary's 问题 and 文件 sheets account for them beside the units' files.
    review_files: list = field(default_factory=list)
    review_warnings: list = field(default_factory=list)
    rules: str = ""  # each reviewed form's review in plain Chinese (review_outline)

    def of_form(self, form_id: str) -> list[Candidate]:
        return [c for c in self.candidates if c.form_id == form_id]

    def to_dict(self) -> dict:
        return {
            "reviews_dir": self.reviews_dir,
            "forms": {
                form_id: {"basis": basis, "reviewed": form_id in self.reviewed_forms}
                for form_id, basis in self.basis.items()
            },
            "candidates": [candidate_dict(c) for c in self.candidates],
            "progress": [p.to_dict() for p in self.progress],
            "no_return": [{"form": f, "unit_id": u.unit_id} for f, u in self.no_return],
            "unassigned": [{"form": f, "unit_id": u.unit_id} for f, u in self.unassigned],
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def candidate_dict(c: Candidate) -> dict:
    """A candidate for report.json (scores as numbers, ``None`` where not reviewed)."""
    return {
        "form": c.form_id,
        "unit_id": c.unit_id,
        "unit_name": c.unit_name,
        "slot": c.slot,
        "sheet": c.sheet,
        "nominee": c.nominee,
        "basis": c.basis,
        "self_total": c.self_total,
        "review_total": _float(c.review_total),
        "review_bonus": _float(c.review_bonus),
        "decision": _float(c.decision),
        "band": c.band,
        "eligible": c.eligible,
        "reasons": c.reasons,
        "flags": c.flags,
        "rank": c.rank,
        "award": c.award,
        "reviewers_expected": c.reviewers_expected,
        "reviewers_counted": c.reviewers_counted,
        "reviewers_stale": c.reviewers_stale,
        "reviewer_totals": {k: float(v) for k, v in c.reviewer_totals.items()},
        "items": [
            {
                "item": i.item_id,
                "self": i.self_score,
                "self_not_applicable": i.self_not_applicable,
                "by_reviewer": i.by_reviewer,
                "not_applicable_by": i.not_applicable_by,
                "combined": _float(i.combined),
                "not_applicable": i.not_applicable,
                "method": i.method,
            }
            for i in c.items
        ],
        "comments": c.comments,
        **(
            {
                "stars": c.stars.to_dict() if c.stars else None,
                "claimed": c.claimed.to_dict() if c.claimed else None,
                "applied": c.applied,
                "findings": c.findings,
            }
            if c.claimed is not None
            else {}
        ),
    }


def num(value) -> str:
    """A score in words: 88, 88.5, 90.25 (no trailing zeros, never 1E+2)."""
    if value is None:
        return ""
    text = format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def exact_total(value: float) -> Decimal:
    """A total from :func:`compute_totals` (a float sum) as the decimal it stands for.

    Combined scores sit on a grid of 0.01 or coarser, and a rescaled subtotal is kept
    as the unit's own is; six places drop a float sum's error (below 1e-9) and keep
    every real digit, so a threshold is never crossed by a binary accident.
    """
    return Decimal(repr(value)).quantize(Decimal("0.000001")).normalize()


def decide(
    rnd: Round,
    review: RoundReview,
    report: IngestReport,
    reviews: ReviewIngest | None,
) -> ReviewOutcome:
    """The decision on every accepted unit sheet of ``rnd`` (see the module docstring)."""
    subs = {(f.path, sub.sheet): sub for f in report.files for sub in f.submissions}
    sheets: dict[tuple[str, str, int], dict[str, ReviewedSheet]] = {}
    for sheet in reviews.sheets if reviews else []:
        sheets.setdefault(sheet.key, {})[sheet.reviewer_id] = sheet
    outcome = ReviewOutcome(
        candidates=[],
        basis={},
        reviewed_forms=[f.id for f in rnd.spec.forms if f.id in review.forms],
        reviews_dir=reviews.reviews_dir if reviews else "",
        rules=review_outline(rnd, review),
        review_files=list(reviews.files) if reviews else [],
        review_warnings=list(reviews.warnings) if reviews else [],
    )
    for form in rnd.spec.forms:
        rubric = rnd.sheet_rubric(form.id)
        results = [r for r in report.results if r.form_id == form.id]
        fr = review.forms.get(form.id)
        outcome.basis[form.id] = fr.spec.basis if fr else "self"
        if fr is None:
            outcome.candidates += [_self_candidate(form, r) for r in results]
            continue
        candidates = []
        for result in results:
            c = _self_candidate(form, result)
            c.basis, c.rank, c.award = fr.spec.basis, None, ""
            sub = subs.get((result.file, result.sheet)) or Submission(result.unit_id, rubric.id)
            c.claimed, c.applied = result.stars, result.applied  # a conditions form
            _review(c, result, sub, rubric, form, fr, review, sheets.get(c.key, {}), outcome)
            candidates.append(c)
        outcome.candidates += rank_by(
            candidates, rubric, score=lambda c: c.decision, incomplete=lambda c: c.decision is None
        )
        sent = {r.unit_id for r in results}
        outcome.no_return += [(form.id, u) for u in fr.units if u.unit_id not in sent]
        outcome.unassigned += [(form.id, u) for u in review.unassigned(form.id)]
    return outcome


def review_for_ingest(rnd: Round) -> tuple[RoundReview, bool]:
    """The round's review for the unit ingest's summary, and whether it loaded cleanly.

    A reviewers file or assignment in error must not stop the units' ingest: each
    reviewed form then has no reviewer (its units read 尚未评审) and the problems are
    the returned review's warnings, for the console.
    """
    try:
        return load_review(rnd), True
    except XlsxflowError as exc:
        forms = {}
        for form in rnd.spec.forms:
            if form.review is None:
                continue
            units = [
                u
                for u in rnd.roster
                if (e := rnd.entitlements.get(u.unit_id, {}).get(form.id)) and e.receives
            ]
            nobody = Reviewers([], source=form.review.reviewers)
            forms[form.id] = FormReview(form.id, form.title, form.review, nobody, {}, units)
        return RoundReview(forms, list(exc.issues)), False


def _self_candidate(form: FormSpec, r: Result) -> Candidate:
    """A unit sheet decided on its own return, as the unit ingest decided it."""
    return Candidate(
        form_id=form.id,
        form_title=form.title,
        unit_id=r.unit_id,
        unit_name=r.unit_name,
        slot=r.slot,
        sheet=r.sheet,
        nominee=r.nominee,
        basis="self",
        self_total=r.total,
        decision=decision_score(r.total, None, "self") if r.complete else None,
        band=r.band,
        eligible=r.eligible,
        reasons=list(r.reasons),
        rank=r.rank,
        award=r.award,
        parent=r.parent,
        file=r.file,
    )


def _who(sheet_or_reviewer) -> str:
    """A reviewer in words: 林晓文（R01）."""
    name = getattr(sheet_or_reviewer, "name", "") or getattr(sheet_or_reviewer, "reviewer_name", "")
    rid = sheet_or_reviewer.reviewer_id
    return f"{name}（{rid}）" if name else rid


def _review(
    c: Candidate,
    result: Result,
    sub: Submission,
    rubric: Rubric,
    form: FormSpec,
    fr: FormReview,
    review: RoundReview,
    returned: dict[str, ReviewedSheet],
    outcome: ReviewOutcome,
) -> None:
    """Fill one candidate of a reviewed form from its counted reviews."""
    spec = fr.spec
    expected = [r for r in review.reviewers_of(c.unit_id, form.id) if r is not None]
    who = {r.reviewer_id: _who(r) for r in expected}
    c.reviewers_expected = [r.reviewer_id for r in expected]
    counted: list[ReviewedSheet] = []
    problems: list[str] = []  # stale and faulty reviews, in words
    for reviewer in expected:
        sheet = returned.get(reviewer.reviewer_id)
        state, errors, file = NOT_RETURNED, 0, ""
        if sheet is not None:
            file, errors = sheet.file, sheet.errors
            if sheet.stale:
                state = STALE
                c.reviewers_stale.append(reviewer.reviewer_id)
                problems.append(render("outcome-review-stale", reviewer=who[reviewer.reviewer_id]))
            elif sheet.errors:
                state = ERRORS
                problems.append(
                    render(
                        "outcome-review-errors",
                        reviewer=who[reviewer.reviewer_id],
                        errors=sheet.errors,
                    )
                )
            else:
                state = COUNTED
                counted.append(sheet)
        outcome.progress.append(
            ProgressRow(
                form.id,
                reviewer.reviewer_id,
                reviewer.name,
                reviewer.group,
                c.unit_id,
                c.unit_name,
                c.slot,
                c.sheet,
                c.nominee,
                state,
                errors,
                file,
            )
        )
    c.reviewers_counted = [s.reviewer_id for s in counted]
    c.comments = {s.reviewer_id: s.comment for s in counted if s.comment}
    labels = {item.id: f"第{n}项" for n, (_, item) in enumerate(rubric.items(), 1)}
    c.items, combined, not_applicable, notes = _items(rubric, spec, sub, counted, labels)
    c.decision = None
    if not counted:
        why = render("outcome-not-reviewed" if expected else "outcome-no-reviewer")
        c.reasons += [why, *problems]
        c.flags += [why, *problems]
        c.eligible = False
        return
    c.flags += problems
    if len(counted) < len(expected):
        missing = [who[r] for r in c.reviewers_expected if r not in c.reviewers_counted]
        c.flags.append(
            render(
                "outcome-review-partial",
                counted=len(counted),
                expected=len(expected),
                missing="、".join(missing),
            )
        )
    bonus = _bonus(rubric, sub, counted, c.flags)
    totals = compute_totals(
        rubric,
        Submission(
            c.unit_id, rubric.id, scores=combined, bonus=bonus, not_applicable=not_applicable
        ),
    )
    c.review_total = exact_total(totals["total"])
    c.review_bonus = exact_total(totals["bonus"]) if "bonus" in totals else None
    for sheet in counted:
        own = compute_totals(rubric, _as_submission(sheet, rubric))
        c.reviewer_totals[sheet.reviewer_id] = exact_total(own["total"])
    c.decision = decision_score(result.total, c.review_total, spec.basis, spec.weights)
    banded = None
    if result.complete:
        on = rubric.bands.on if rubric.bands else "total"
        banded = c.decision
        if on == "subtotal":
            review_subtotal = exact_total(totals["subtotal"])
            banded = decision_score(result.subtotal, review_subtotal, spec.basis, spec.weights)
        c.band = rubric.band_for(float(banded)) if banded is not None else ""
    self_items = {
        k: v for k, v in sub.scores.items() if v is not None and k not in sub.not_applicable
    }
    review_items = {i.item_id: i.combined for i in c.items if i.combined is not None}
    for gap in gap_flags(self_items, review_items, spec.gap):
        fields = {
            "self": num(gap.self_score),
            "review": num(gap.review_score),
            "difference": num(gap.difference),
            "limit": num(gap.limit),
        }
        if gap.item_id:
            c.flags.append(render("outcome-gap-item", item=labels[gap.item_id], **fields))
        else:
            c.flags.append(render("outcome-gap-total", **fields))
    by_reviewer = {
        s.reviewer_id: {
            k: v for k, v in s.scores.items() if v is not None and k not in s.not_applicable
        }
        for s in counted
    }
    for found in disagreements(by_reviewer, spec.spread):
        scores = "、".join(f"{who[r]} {num(v)}" for r, v in found.scores.items())
        c.flags.append(
            render(
                "outcome-disagreement",
                item=labels.get(found.item_id, found.item_id),
                scores=scores,
                difference=num(found.difference),
                spread=num(spec.spread),
            )
        )
        outcome.disagreements.append(
            ItemDisagreement(
                c, labels.get(found.item_id, found.item_id), found, Decimal(repr(spec.spread))
            )
        )
    c.flags += notes
    _confirmations(c, rubric, form, spec, counted, who)
    if rubric.has_conditions and spec.confirm_conditions and result.stars is not None:
        score = float(banded) if rubric.by_score and banded is not None else None
        _confirm_conditions(c, sub, rubric, spec, counted, who, score)
    if spec.threshold is not None and c.decision < Decimal(repr(spec.threshold)):
        c.reasons.append(
            render(
                "outcome-below-threshold",
                basis=BASIS_WORDS[spec.basis],
                threshold=num(spec.threshold),
                score=num(c.decision),
            )
        )
    c.eligible = not c.reasons


def _items(
    rubric: Rubric,
    spec,
    sub: Submission,
    counted: list[ReviewedSheet],
    labels: dict[str, str],
) -> tuple[list[ItemScores], dict[str, float], set[str], list[str]]:
    """Each item's self-score, counted reviewers' scores and combined 实评分."""
    items: list[ItemScores] = []
    combined: dict[str, float] = {}
    not_applicable: set[str] = set()
    notes: list[str] = []
    for _, item in rubric.items():
        scores = {
            s.reviewer_id: s.scores[item.id]
            for s in counted
            if item.id not in s.not_applicable and s.scores.get(item.id) is not None
        }
        entry = ItemScores(
            item_id=item.id,
            label=labels[item.id],
            max=item.max,
            self_score=None if item.id in sub.not_applicable else sub.scores.get(item.id),
            by_reviewer=scores,
            self_not_applicable=item.id in sub.not_applicable,
            not_applicable_by=[s.reviewer_id for s in counted if item.id in s.not_applicable],
        )
        if item.not_applicable and 2 * len(entry.not_applicable_by) > len(counted):
            entry.not_applicable, entry.method = True, "not_applicable"
            not_applicable.add(item.id)
        elif scores:
            step = item_step(spec, rubric.step_of(item))
            result = combine(
                list(scores.values()), spec.combine, spec.trim_min, step, spec.rounding.rule
            )
            entry.combined, entry.method = result.value, result.method
            combined[item.id] = float(result.value)
            if result.note is not None and result.note.message not in notes:
                notes.append(result.note.message)
        items.append(entry)
    return items, combined, not_applicable, notes


def _bonus(
    rubric: Rubric, sub: Submission, counted: list[ReviewedSheet], flags: list[str]
) -> dict[str, float]:
    """The bonus lines the unit claimed and more than half of the counted reviews keep."""
    kept: dict[str, float] = {}
    if not rubric.bonus:
        return kept
    for line in rubric.bonus.items:
        claimed = sub.bonus.get(line.id) or 0.0
        if claimed <= 0:
            continue
        keeping = sum(1 for s in counted if (s.bonus.get(line.id) or 0) > 0)
        if 2 * keeping > len(counted):
            kept[line.id] = claimed
        else:
            flags.append(
                render("outcome-bonus-struck", bonus=line.text, kept=keeping, counted=len(counted))
            )
    return kept


def _as_submission(sheet: ReviewedSheet, rubric: Rubric) -> Submission:
    """One reviewer's review as a submission, for that reviewer's own total."""
    allowed = {item.id for _, item in rubric.items() if item.not_applicable}
    return Submission(
        sheet.unit_id,
        rubric.id,
        scores=dict(sheet.scores),
        bonus={k: v for k, v in sheet.bonus.items() if v},
        not_applicable=set(sheet.not_applicable) & allowed,
    )


def _confirmations(
    c: Candidate,
    rubric: Rubric,
    form: FormSpec,
    spec,
    counted: Iterable[ReviewedSheet],
    who: dict[str, str],
) -> None:
    """A counted reviewer finding a veto declaration or a condition to apply 不属实."""
    for sheet in counted:
        if spec.confirm_vetoes:
            for decl in rubric.declarations:
                if decl.veto and sheet.vetoes.get(decl.id) == FALSE:
                    text = render(
                        "outcome-veto-false", reviewer=who[sheet.reviewer_id], declaration=decl.text
                    )
                    c.reasons.append(text)
                    c.flags.append(text)
        if spec.confirm_prerequisites:
            for index, req in enumerate(form.requires):
                if sheet.prerequisites.get(index) == FALSE:
                    text = render(
                        "outcome-prerequisite-false",
                        reviewer=who[sheet.reviewer_id],
                        condition=condition_words(req.when),  # as on the reviewer's form
                        reason=req.reason,
                    )
                    c.reasons.append(text)
                    c.flags.append(text)


def _confirm_conditions(
    c: Candidate,
    sub: Submission,
    rubric: Rubric,
    spec,
    counted: list[ReviewedSheet],
    who: dict[str, str],
    score: float | None,
) -> None:
    """A conditions form: the level (or stars) on the answers the counted reviewers
    confirm (:func:`.confirm.confirm`), what withheld a condition, and the band."""
    found = confirm(
        rubric,
        sub.answers,
        {s.reviewer_id: s.conditions for s in counted},
        spec.conditions_rule,
        score,
        who,
    )
    c.stars, c.claimed = found.result, found.claimed
    c.findings = list(found.findings)
    c.confirmations = {s.reviewer_id: dict(s.conditions) for s in counted}
    if rubric.stars:
        verdict = render(
            "outcome-stars-confirmed",
            confirmed=level_words(found.result),
            claimed=level_words(found.claimed),
        )
    else:
        verdict = render(
            "outcome-level-confirmed",
            confirmed=level_words(found.result),
            claimed=level_words(found.claimed),
            applied=c.applied or "未填",
        )
        c.band = found.result.level or ""
    # the verdict is a flag (注意 on the 审定) only where the confirmed level is not the one
    # the unit's answers reach or the one it applied for: an unchanged level needs no look
    changed = level_words(found.result) != level_words(found.claimed)
    if not rubric.stars and c.applied:
        changed = changed or c.applied != level_words(found.result)
    if changed:
        c.flags.append(verdict)
    c.flags += found.findings
    c.flags += [render("outcome-condition-outvoted", finding=f) for f in found.outvoted]
