"""Reading one reviewer's return (a reviewer workbook filled in), trusting nothing.

The same checks as for a unit's return (:mod:`xlsxflow.checks`), in the same
order: the signed identity (this round, this key, a reviewer workbook, a reviewer
in the reviewers file) → each signed sheet rebuilt from the unit return it was
made from (``ledger.submission(hash)``) and every locked cell compared (a changed
self-score, note or point value is tampering) → the reviewer's inputs (range,
step, missing, 属实/不属实, dates) → the cached totals as a cross-check.  A sheet
whose unit resubmitted since is read but marked stale; a sheet left blank is the
reviewer's work not yet done (one warning, not an error per cell).

:func:`read_review_book` is a pure function of the opened workbook: ingest calls
it per file inside its isolated reader workers (``ingest._check_review_book``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..checks import (
    Where,
    check_cached_totals,
    check_locked,
    check_shape,
    is_blank,
    read_cached_totals,
    read_inputs,
    read_signed_identity,
    reads_percent,
)
from ..identity import Identity
from ..layout import META_SHEET, BookLayout, Layout
from ..messages import Issue
from ..ooxml import Book, Sheet
from ..scoring import compute_totals
from ..submission import Submission
from ..values import parse_number, visible
from .model import ReviewedSheet
from .spec import Reviewer, RoundReview
from .workbook import REVIEW_FORMAT, SheetEntry, entry_layout, parse_sheets

if TYPE_CHECKING:
    from ..round import RoundContext


def find_reviewer(review: RoundReview, reviewer_id: str) -> Reviewer | None:
    """The reviewer with this id in any form's reviewers file."""
    for form in review.forms.values():
        if (found := form.reviewers.get(reviewer_id)) is not None:
            return found
    return None


def read_review_book(
    book: Book, rel: str, ctx: RoundContext, review: RoundReview, ledger
) -> tuple[Identity | None, list[ReviewedSheet], list[Issue]]:
    """The identity, the reviewed sheets and the issues of one reviewer's return.

    ``identity`` is None when the file cannot be accepted (not a reviewer workbook
    of this round, an unknown reviewer, a locked cell changed): the issues then end
    with the reason.  ``ledger`` gives ``submission(hash)`` and ``accepted(round_id)``
    (``accepted.Ledger`` or its ``LedgerSnapshot``).
    """
    where = Where(rel)
    meta = Where(rel, META_SHEET)
    identity, issues = read_signed_identity(book, ctx, where, REVIEW_FORMAT)
    if identity is None:
        return None, [], issues
    if ctx.round is None or find_reviewer(review, identity.unit_id) is None:
        sources = "、".join(sorted({f.reviewers.source for f in review.forms.values()}))
        return (
            None,
            [],
            [
                *issues,
                meta("identity-unknown-reviewer", id=identity.unit_id, reviewers=sources or "—"),
            ],
        )
    entries = parse_sheets(identity.sheets)
    if entries is None:
        return None, [], [*issues, meta("identity-signature-invalid")]
    lang = identity.lang if identity.lang in ("zh", "en") else "zh"
    latest = ledger.accepted(identity.round_id)
    checked: list[tuple[SheetEntry, Layout, Sheet, Submission]] = []
    for entry in entries:
        here = Where(rel, entry.sheet)
        unit = ctx.roster.get(entry.unit_id)
        form = review.forms.get(entry.form_id)
        unit_text = f"{entry.unit_id} {unit.name}" if unit else entry.unit_id
        if form is None or identity.unit_id not in form.by_unit.get(entry.unit_id, ()):
            issues.append(
                here(
                    "review-not-assigned",
                    reviewer=f"{identity.unit_name}（{identity.unit_id}）",
                    unit=unit_text,
                    form=form.title if form else entry.form_id,
                    sheet=entry.sheet,
                )
            )
            continue
        sub = ledger.submission(entry.return_hash)
        layout = entry_layout(ctx.round, review, entry, sub, lang) if sub else None
        if layout is None:
            issues.append(
                here(
                    "review-return-unknown",
                    unit=unit_text,
                    hash=entry.return_hash,
                    sheet=entry.sheet,
                )
            )
            continue
        info = book.sheet_info(entry.sheet)
        if info is None:
            issues.append(here("review-sheet-missing", unit=unit_text, sheet=entry.sheet))
            continue
        sheet = book.read_sheet(info)
        if reads_percent(layout):  # a rate typed “96%” is 0.96 in a percent format
            sheet.percent_styles = book.percent_styles()
        tampered = list(check_locked(sheet, layout, identity, here))
        if tampered:  # as for a unit's return: a changed locked cell rejects the file
            return None, [], [*issues, *tampered]
        checked.append((entry, layout, sheet, sub))

    shape = BookLayout(tuple(layout for _, layout, _, _ in checked), "")
    issues.extend(check_shape(book, [(lay, sh) for _, lay, sh, _ in checked], shape, where))
    sheets: list[ReviewedSheet] = []
    for entry, layout, sheet, sub in checked:
        here = Where(rel, entry.sheet)
        unit = ctx.roster.get(entry.unit_id)
        unit_text = f"{entry.unit_id} {unit.name}" if unit else entry.unit_id
        if is_blank(sheet, layout):
            issues.append(here("review-sheet-blank", unit=unit_text))
            continue
        reviewed, found = _read_sheet(sheet, layout, entry, sub, identity, rel, here)
        issues.extend(found)
        current = latest.get(entry.key)
        if current is None or current.hash != entry.return_hash:
            reviewed.stale = True
            form = review.forms[entry.form_id]
            issues.append(here("review-stale", unit=unit_text, form=form.title))
        sheets.append(reviewed)
    signed = {s.reviewer_name.strip() for s in sheets if s.reviewer_name.strip()}
    for name in sorted(signed - {identity.unit_name.strip()}):
        issues.append(
            where(
                "review-signer-mismatch",
                found=visible(name),
                expected=identity.unit_name,
                id=identity.unit_id,
            )
        )
    return identity, sheets, issues


def _read_sheet(
    sheet: Sheet,
    layout: Layout,
    entry: SheetEntry,
    shown: Submission,
    identity: Identity,
    rel: str,
    here: Where,
) -> tuple[ReviewedSheet, list[Issue]]:
    """One filled sheet's inputs, parsed as a unit's are, into a :class:`ReviewedSheet`."""
    typed = Submission(
        unit_id=entry.unit_id,
        rubric_id=layout.rubric.id,
        lang=layout.lang,
        form_id=entry.form_id,
        slot=entry.slot,
        sheet=entry.sheet,
    )
    issues = list(read_inputs(sheet, layout, typed, here))
    for inp in layout.inputs:  # a claimed bonus left blank is not a strike: say which it is
        if inp.kind == "bonus" and parse_number(sheet.get(inp.row, inp.col)).status == "missing":
            typed.bonus[inp.key] = None
            typed.errors += 1
            issues.append(here("value-missing", cell=inp.ref, label=inp.label))
    read_cached_totals(sheet, layout, typed)
    computed = compute_totals(layout.rubric, typed)
    issues.extend(check_cached_totals(layout, typed, computed, here))
    prerequisites = {
        int(inp.key[4:]): typed.declarations.get(inp.key)
        for inp in layout.inputs
        if inp.kind == "declaration" and inp.key.startswith("req_")
    }
    vetoes = {
        inp.key: typed.declarations.get(inp.key)
        for inp in layout.inputs
        if inp.kind == "declaration" and not inp.key.startswith("req_")
    }
    bonus = {}
    if layout.rubric.bonus:
        for b in layout.rubric.bonus.items:  # a line the unit did not claim stays 0
            bonus[b.id] = typed.bonus.get(b.id, 0.0)
    reviewed = ReviewedSheet(
        reviewer_id=identity.unit_id,
        unit_id=entry.unit_id,
        form_id=entry.form_id,
        slot=entry.slot,
        sheet=shown.sheet or entry.sheet,
        file=rel,
        return_hash=entry.return_hash,
        scores=dict(typed.scores),
        not_applicable=set(typed.not_applicable),
        bonus=bonus,
        reasons=dict(typed.notes),
        vetoes=vetoes,
        prerequisites=prerequisites,
        conditions={
            inp.key: typed.answers.get(inp.key) for inp in layout.inputs if inp.kind == "answer"
        },
        comment=typed.fields.get("comment") or "",
        reviewer_name=typed.fields.get("reviewer_name") or "",
        reviewed_on=typed.fields.get("reviewed_on") or "",
        errors=typed.errors,
    )
    return reviewed, issues
