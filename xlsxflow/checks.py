"""Checks on one opened return. Each is a small function that yields issues.

Order of use (see ``ingest.read_return``): identity → structure → locked content
→ inputs → cached totals.  Checks never raise for bad content; they report it.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from .identity import FORMAT, Identity
from .layout import (
    FEEDBACK_SHEET,
    META_SHEET,
    NOT_APPLICABLE,
    BookLayout,
    InputCell,
    Layout,
    accepted_texts,
    role_values,
    rubric_book,
)
from .messages import Issue, make_issue
from .ooxml import Book, RawCell, Sheet, cell_ref
from .round import RoundContext
from .submission import Submission
from .values import (
    Parsed,
    fmt,
    parse_choice,
    parse_date,
    parse_integer,
    parse_month,
    parse_number,
    parse_text,
    shown,
    visible,
)

MAX_TAMPER_ISSUES = 8


class Where:
    """The file (and sheet) issues of one return are about."""

    def __init__(self, file: str, sheet: str = ""):
        self.file = file
        self.sheet = sheet

    def __call__(self, code: str, cell: str = "", **fields) -> Issue:
        fields.setdefault("sheet", self.sheet)
        return make_issue(code, file=self.file, cell=cell, **fields)


def read_identity(
    book: Book, ctx: RoundContext, where: Where
) -> tuple[Identity | None, list[Issue]]:
    """The signed identity of a unit workbook, or None with the reasons why not."""
    identity, issues = read_signed_identity(book, ctx, where)
    if identity is not None and ctx.roster.get(identity.unit_id) is None:
        here = Where(where.file, META_SHEET)
        return None, [*issues, here("identity-unknown-unit", unit_id=identity.unit_id)]
    return identity, issues


def read_signed_identity(
    book: Book, ctx: RoundContext, where: Where, kind: str = FORMAT
) -> tuple[Identity | None, list[Issue]]:
    """The identity of a workbook of this round signed with its key, or None and why not.

    ``kind`` is the workbook format expected: a unit's (``xlsxflow-1``) or a
    reviewer's; a genuine workbook of the other kind is named as such.  Who the
    workbook belongs to (a roster unit, a reviewer) is for the caller to check.
    """
    info = book.sheet_info(META_SHEET)
    if info is None:
        return None, [where("identity-not-xlsxflow", sheet=META_SHEET)]
    cells = book.read_sheet(info).cells
    here = Where(where.file, META_SHEET)
    rows: dict[str, str] = {}
    for (row, col), cell in cells.items():
        if col == 0 and isinstance(name := cell.value, str):
            value = cells.get((row, 1))
            rows[name] = "" if value is None or value.value is None else shown(value)
    issues: list[Issue] = []
    # LibreOffice saves "veryHidden" as "hidden"; only a visible sheet was unhidden by hand.
    if info.state == "visible":
        issues.append(here("tamper-meta-visible", sheet=META_SHEET))
    return identity_from_rows(rows, ctx, here, kind, issues)


def identity_from_rows(
    rows: dict[str, str], ctx: RoundContext, here: Where, kind: str, issues: list[Issue]
) -> tuple[Identity | None, list[Issue]]:
    """The signed identity in ``rows`` (field → value, and ``signature``), checked as
    :func:`read_signed_identity` does; also an evidence archive's manifest's."""
    signature = rows.get("signature", "").strip()
    if not signature:
        return None, [*issues, here("identity-signature-missing")]
    try:
        identity = Identity(**{name: rows[name] for name in _IDENTITY_FIELDS})
    except KeyError:
        return None, [*issues, here("identity-signature-invalid")]
    record = ctx.record
    signed = identity.verify(signature, ctx.key)
    other_round = not signed or (record and identity.round_id != record.round_id)
    if other_round and (other := ctx.recorded_round_of(identity, signature)):
        return None, [
            *issues,
            here(  # a reviewer workbook: review ingest reads the current round only
                "identity-recorded-round" if identity.format == FORMAT else "review-recorded-round",
                title=other.title,
                found=other.round_id,
                when=other.when,
                expected=record.round_id if record else "—",
            ),
        ]
    if not signed:
        return None, [*issues, here("identity-signature-invalid")]
    if record and identity.round_id != record.round_id:
        return None, [
            *issues,
            here("identity-other-round", found=identity.round_id, expected=record.round_id),
        ]
    expected_id, _, version, expected_hash = ctx.signed_as
    if identity.rubric_id != expected_id or identity.rubric_hash != expected_hash:
        return None, [
            *issues,
            here(
                "identity-rubric-mismatch",
                found=f"{identity.rubric_id} v{identity.rubric_version} ({identity.rubric_hash})",
                expected=f"{expected_id} v{version} ({expected_hash})",
            ),
        ]
    if identity.format != kind:
        code = "identity-not-review" if kind != FORMAT else "identity-review-workbook"
        return None, [*issues, here(code, name=identity.unit_name, id=identity.unit_id)]
    return identity, issues


_IDENTITY_FIELDS = tuple(Identity.field_names())
_FORMULA_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)  # the same formulas in every return of a round
def normalise_formula(text: str) -> str:
    """Formula text as Excel, WPS and LibreOffice may save it, reduced to one form."""
    text = _FORMULA_SPACE.sub("", text.lstrip("=")).upper().replace("$", "")
    return text.replace("_XLFN.", "")


def _same_text(found, expected: str) -> bool:
    if not isinstance(found, str):
        return False
    return found.replace("\r\n", "\n").strip() == expected.replace("\r\n", "\n").strip()


def check_locked(sheet: Sheet, layout: Layout, identity: Identity, where: Where) -> Iterator[Issue]:
    """Every locked cell still holds what xlsxflow wrote (text, points, formulas)."""
    roles = role_values(layout, identity)
    plan = _locked_plan(layout)
    if _unchanged(sheet.cells, plan, roles):
        return  # the usual: the walk below would find nothing
    count = 0
    for cell in layout.cells:
        if cell.input is not None:
            continue
        found = sheet.get(cell.row, cell.col)
        problem = _locked_problem(cell, found, roles, accepted_texts(cell, layout, roles))
        if problem is None:
            continue
        count += 1
        if count <= MAX_TAMPER_ISSUES:
            code, fields = problem
            yield where(code, cell=cell.ref, **fields)
    # Cells inside a merged area (not its top-left) must stay empty.
    for pos in plan.merged_inside:
        found = sheet.get(*pos)
        if found is not None and shown(found).strip():
            count += 1
            if count <= MAX_TAMPER_ISSUES:
                yield where(
                    "tamper-locked-changed",
                    cell=cell_ref(*pos),
                    expected="（空）",
                    found=_short(shown(found)),
                )
    if count > MAX_TAMPER_ISSUES:
        yield where("tamper-too-many", count=count - MAX_TAMPER_ISSUES)


Pos = tuple[int, int]


@dataclass(frozen=True)
class _LockedPlan:
    """What :func:`check_locked` compares in every return of one layout, worked out once."""

    positions: tuple[Pos, ...]  # locked cells drawn with text or a number …
    values: list  # … what each holds (a list, compared with == to the list read) …
    types: list[type]  # … and its type (1.0 == True: a boolean cell is not the number)
    formula_positions: tuple[Pos, ...]  # formula cells …
    formulas: list[str]  # … their formula as written …
    normalised: tuple[str, ...]  # … and as compared (normalise_formula)
    roles: tuple[tuple[Pos, str], ...]  # cells filled from the identity, and their role
    blank: tuple[Pos, ...]  # locked cells drawn empty, and the cells inside merged areas
    merged_inside: list[Pos]  # the cells inside merged areas alone (reported last)


_FORMULA = operator.attrgetter("formula")
_CHANGED = object()
T = TypeVar("T")


def _per_layout(
    cache: dict[int, tuple[Layout, T]], layout: Layout, make: Callable[[Layout], T]
) -> T:
    """``make(layout)``, once per layout: a unit sheet's layouts are cached (build_layout),
    so every return of a round finds what the first one made.  A few layouts are kept
    (with the layout, so its id is not reused meanwhile); a reviewer's or ballot's layout,
    made anew per sheet, only passes through."""
    known = cache.get(id(layout))
    if known is not None and known[0] is layout:
        return known[1]
    value = make(layout)
    if len(cache) >= 64:
        cache.clear()
    cache[id(layout)] = (layout, value)
    return value


_LOCKED_PLANS: dict[int, tuple[Layout, _LockedPlan]] = {}


def _locked_plan(layout: Layout) -> _LockedPlan:
    return _per_layout(_LOCKED_PLANS, layout, _make_locked_plan)


def _make_locked_plan(layout: Layout) -> _LockedPlan:
    """Locked cells sorted by which branch of :func:`_locked_problem` checks them."""
    positions, values, formula_positions, formulas, roles, blank = [], [], [], [], [], []
    for cell in layout.cells:
        pos = (cell.row, cell.col)
        if cell.input is not None:
            continue
        if cell.formula:
            formula_positions.append(pos)
            formulas.append(cell.formula)
        elif cell.role:
            roles.append((pos, cell.role))
        elif cell.value is None or cell.value == "":
            blank.append(pos)
        else:
            positions.append(pos)
            values.append(cell.value)
    merged_inside = _merged_cells(layout)
    return _LockedPlan(
        positions=tuple(positions),
        values=values,
        types=[type(v) for v in values],
        formula_positions=tuple(formula_positions),
        formulas=formulas,
        normalised=tuple(normalise_formula(f) for f in formulas),
        roles=tuple(roles),
        blank=(*blank, *merged_inside),
        merged_inside=merged_inside,
    )


def _unchanged(cells: dict[Pos, RawCell], plan: _LockedPlan, roles: dict[str, str]) -> bool:
    """Every locked cell holds what was written, so :func:`check_locked` reports nothing.

    Each test passed here is one of ``_locked_problem``'s (or the merged areas') ways to
    no problem; anything else (False) sends the sheet through the full walk, which finds
    the problems and words them.  Whole lists compared at once keep the usual case quick.
    """
    get = cells.get
    try:  # a cell holding a formula is changed: _CHANGED equals nothing written
        values = [c.value if c.formula is None else _CHANGED for c in map(get, plan.positions)]
    except AttributeError:  # a locked cell is gone (None has no value)
        return False
    # The same value, of the same type as written (text or a number).
    if values != plan.values or list(map(type, values)) != plan.types:
        return False
    try:
        written = list(map(_FORMULA, map(get, plan.formula_positions)))
    except AttributeError:
        return False
    if written != plan.formulas:  # saved otherwise (spaces, $, _xlfn.): compared normalised
        for formula, expected in zip(written, plan.normalised, strict=True):
            if not formula or normalise_formula(formula) != expected:
                return False
    for pos, role in plan.roles:
        cell = get(pos)
        if cell is None or cell.formula is not None or type(cell.value) is not str:
            return False
        if cell.value != roles[role]:
            return False
    for cell in map(get, plan.blank):  # styled empty cells are usual: no value, no formula
        if (
            cell is not None
            and (cell.value is not None or cell.formula is not None)
            and shown(cell).strip()
        ):
            return False
    return True


def _merged_cells(layout: Layout) -> list[tuple[int, int]]:
    cells = []
    drawn = {(c.row, c.col) for c in layout.cells}
    for r1, c1, r2, c2 in layout.merges:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1) and (r, c) not in drawn:
                    cells.append((r, c))
    return cells


def _short(text: str, limit: int = 40) -> str:
    text = visible(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _locked_problem(
    cell, found: RawCell | None, role_values, accepted: tuple[str, ...] = ()
) -> tuple[str, dict] | None:
    if cell.formula:
        if found is None or not found.formula:
            return "tamper-formula-replaced", {
                "expected": cell.formula,
                "found": _short(shown(found)) or "（空）",
            }
        if found.formula and normalise_formula(found.formula) != normalise_formula(cell.formula):
            return "tamper-formula-replaced", {
                "expected": cell.formula,
                "found": "=" + _short(found.formula),
            }
        return None
    expected = role_values[cell.role] if cell.role else cell.value
    if found is not None and found.formula is None:  # what was written, unchanged: the usual
        value = found.value
        if (type(value) is str or type(value) is float) and value == expected:
            return None
    if expected is None or expected == "":
        if found is not None and shown(found).strip():
            return "tamper-locked-changed", {"expected": "（空）", "found": _short(shown(found))}
        return None
    if isinstance(expected, str):
        texts = accepted or (expected,)
        if (
            found is not None
            and found.formula is None
            and any(_same_text(found.value, text) for text in texts)
        ):
            return None
        if cell.role == "unit_name":
            return "identity-name-mismatch", {"expected": expected, "found": _short(shown(found))}
        return "tamper-locked-changed", {
            "expected": _short(expected),
            "found": _short(shown(found)) or "（空）",
        }
    if (
        found is not None
        and found.formula is None
        and isinstance(found.value, float)
        and abs(found.value - expected) < 1e-9
    ):
        return None
    return "tamper-locked-changed", {
        "expected": fmt(expected),
        "found": _short(shown(found)) or "（空）",
    }


def read_inputs(
    sheet: Sheet, layout: Layout, submission: Submission, where: Where
) -> Iterator[Issue]:
    """Parse every input cell into ``submission``; yield what is wrong or was adjusted."""
    get = sheet.cells.get
    for inp, pos, at, unit in _input_plan(layout):
        cell = get(pos)
        kind = inp.kind
        if kind == "score" and cell is not None and cell.formula is None:
            # The usual: points typed in a number cell, in range and on a step.  What the
            # general path below makes of it (parse_number: "ok", nothing to say; no
            # _range_issue), without its calls.  Anything else takes that path.
            value = cell.value
            if (
                type(value) is float
                and cell.kind == "n"
                and value - value == 0  # finite
                and 0 <= value <= inp.max + 1e-9
            ):
                units = value / inp.step
                if abs(units - round(units)) <= 1e-9:
                    submission.scores[inp.key] = value
                    continue
        if kind == "score" or kind == "bonus":
            parsed = parse_number(cell)
            if kind == "bonus" and parsed.status == "missing":
                parsed = _NO_BONUS  # no honour held: blank means 0
            if kind == "score" and _marked_not_applicable(parsed):
                if inp.not_applicable:  # the rubric lets this unit skip it: counted as it says
                    submission.not_applicable.add(inp.key)
                    submission.scores[inp.key] = None
                    continue
                yield where("value-not-applicable", cell=at, label=inp.label)
                submission.scores[inp.key] = None
                submission.errors += 1
                continue
            if parsed.status != "ok":  # (a number read as it is: nothing to say)
                yield from _number_issues(parsed, inp, at, where)
            value = parsed.value if parsed.status in ("ok", "normalised") else None
            if value is not None:
                bad = _range_issue(value, inp, parsed, at, where)
                if bad:
                    yield bad
                    value = None
            target = submission.scores if kind == "score" else submission.bonus
            target[inp.key] = value
            if value is None:
                submission.errors += 1
        elif kind == "indicator":
            parsed, trap = as_percent(cell, parse_number(cell), unit, sheet)
            yield from _number_issues(parsed, inp, at, where)
            if trap is not None:
                yield where(trap[0], cell=at, label=inp.label, **trap[1])
            value = parsed.value if parsed.status in ("ok", "normalised") else None
            if value is not None and (value < 0 or (inp.max is not None and value > inp.max)):
                high = fmt(inp.max) if inp.max is not None else "∞"
                yield where(
                    "value-out-of-range", cell=at, label=inp.label, value=fmt(value), max=high
                )
                value = None
            submission.indicators[inp.key] = value
            if value is None:
                submission.errors += 1
        elif kind == "answer":
            yield from _read_answer(cell, inp, at, submission, where, layout, sheet, unit)
        elif kind == "note":
            if cell is None or (cell.value is None and cell.formula is None):
                continue  # left empty, the usual: parse_text's "missing", nothing to say
            parsed = parse_text(cell)
            if parsed.removed:
                yield where("value-control-chars", cell=at, label=inp.label, chars=parsed.removed)
            if parsed.status == "formula":
                yield where(
                    "value-formula-in-input", cell=at, label=inp.label, formula=parsed.found
                )
            elif parsed.value:
                text = str(parsed.value)
                if inp.max_length and len(text) > inp.max_length:
                    yield where(
                        "value-too-long",
                        cell=at,
                        label=inp.label,
                        max_length=inp.max_length,
                        length=len(text),
                    )
                submission.notes[inp.key] = text
        else:
            parsed = _parse_field(cell, inp)
            if parsed.removed:
                yield where("value-control-chars", cell=at, label=inp.label, chars=parsed.removed)
            value = parsed.value if parsed.status in ("ok", "normalised") else None
            issue = _field_issue(parsed, inp, at, where)
            if issue is not None:
                yield issue
                if issue.severity == "error":
                    value = None
                    submission.errors += 1
            target = submission.declarations if kind == "declaration" else submission.fields
            target[inp.key] = value


_NO_BONUS = Parsed(0.0, "ok")  # frozen: one object serves every blank bonus line
_INPUT_PLANS: dict[int, tuple[Layout, tuple]] = {}


def _input_plan(layout: Layout) -> tuple[tuple[InputCell, Pos, str, str], ...]:
    """Each input of ``layout`` with its (row, col), its A1 reference and its unit."""
    return _per_layout(_INPUT_PLANS, layout, _make_input_plan)


def _make_input_plan(layout: Layout) -> tuple[tuple[InputCell, Pos, str, str], ...]:
    return tuple((inp, (inp.row, inp.col), inp.ref, unit_of(layout, inp)) for inp in layout.inputs)


def _read_answer(
    cell,
    inp,
    at: str,
    submission: Submission,
    where: Where,
    layout=None,
    sheet=None,
    unit: str | None = None,
) -> Iterator[Issue]:
    """A conditions sheet's answer: a choice (是/否, an honour's level) or a number in the
    measure's range.  Blank is no answer (the condition does not hold: 未填), except a
    veto, which must be answered; anything unreadable is an error named by its cell.
    A rate in % is read as the cell shows it (:func:`as_percent`)."""
    if inp.field_type == "choice":
        parsed = parse_choice(cell, inp.choices)
        issue = _field_issue(parsed, inp, at, where)
        value = parsed.value if parsed.status in ("ok", "normalised") else None
    else:
        if unit is None:  # (read_inputs passes the unit its plan holds)
            unit = unit_of(layout, inp) if layout is not None else ""
        parsed, trap = as_percent(cell, parse_number(cell), unit, sheet)
        issue = None
        if parsed.status != "missing":
            issue = next(_number_issues(parsed, inp, at, where), None)
        if trap is not None:
            yield where(trap[0], cell=at, label=inp.label, **trap[1])
        value = parsed.value if parsed.status in ("ok", "normalised") else None
        if value is not None and (
            (inp.min is not None and value < inp.min) or (inp.max is not None and value > inp.max)
        ):
            low = fmt(inp.min) if inp.min is not None else "−∞"
            high = fmt(inp.max) if inp.max is not None else "∞"
            issue = where(
                "value-answer-range", cell=at, label=inp.label, value=fmt(value), min=low, max=high
            )
        elif parsed.status == "missing" and inp.required:
            issue = where("value-missing", cell=at, label=inp.label)
    if issue is not None:
        yield issue
        if issue.severity == "error":
            value = None
            submission.errors += 1
    submission.answers[inp.key] = value


def unit_of(layout: Layout, inp) -> str:
    """The unit of a number input: a conditions measure's or a target's (%, 平方米 …)."""
    rubric = layout.rubric
    if inp.kind == "answer" and inp.field_type == "number":
        measure = rubric.measure(inp.key)
        return measure.unit if measure is not None else ""
    if inp.kind == "indicator":
        return next((i.unit for i in rubric.indicators if i.id == inp.key), "")
    return ""


def reads_percent(layout: Layout) -> bool:
    """Does the sheet ask for a rate in %? (Its cells' percent formats are then looked up.)"""
    return _per_layout(_PERCENT, layout, _reads_percent)


_PERCENT: dict[int, tuple[Layout, bool]] = {}


def _reads_percent(layout: Layout) -> bool:
    return any(unit == "%" for *_, unit in _input_plan(layout))


_PERCENT_TEXT = re.compile(r"^\s*(-?\d{1,6}(?:\.\d{1,6})?)\s*[%％]\s*$")


def as_percent(
    cell: RawCell | None, parsed: Parsed, unit: str, sheet: Sheet | None
) -> tuple[Parsed, tuple[str, dict] | None]:
    """A rate in % read as the unit sees it, and a warning code with its fields.

    Excel and LibreOffice store “96%” typed in a cell as 0.96 and give the cell a percent
    format: a cell in such a format (``sheet.percent_styles``) is read as 96.  Text “96%”
    is read as 96.  A bare number between 0 and 1 (0.96 in a General cell, or pasted) is
    kept as it is, with a warning naming the cell: it most likely means 96%.
    """
    if unit != "%" or cell is None:
        return parsed, None
    if parsed.status == "not_number" and (match := _PERCENT_TEXT.match(parsed.found)):
        return Parsed(float(match.group(1)), "normalised", parsed.found), None
    if parsed.status != "ok" or cell.kind != "n" or not isinstance(parsed.value, float):
        return parsed, None
    value = parsed.value
    if sheet is not None and cell.style in sheet.percent_styles:
        return Parsed(round(value * 100, 9), "ok", parsed.found), None
    if 0 < value <= 1:
        return parsed, (
            "value-percent-fraction",
            {"value": fmt(value), "percent": fmt(value * 100)},
        )
    return parsed, None


def _marked_not_applicable(parsed: Parsed) -> bool:
    """The score cell holds the word 不适用 (spaces around it ignored)."""
    return parsed.status == "not_number" and parsed.found.strip(" \u3000") == NOT_APPLICABLE


def _number_issues(parsed: Parsed, inp, at: str, where: Where) -> Iterator[Issue]:
    if parsed.status == "missing":
        yield where("value-missing", cell=at, label=inp.label)
    elif parsed.status == "formula":
        yield where("value-formula-in-input", cell=at, label=inp.label, formula=parsed.found)
    elif parsed.status == "not_number":
        yield where("value-not-number", cell=at, label=inp.label, found=_short(parsed.found))
    elif parsed.status == "normalised":
        yield where(
            "value-normalised",
            cell=at,
            label=inp.label,
            found=_short(parsed.found),
            value=fmt(parsed.value),
        )


def _range_issue(value: float, inp, parsed: Parsed, at: str, where: Where) -> Issue | None:
    if inp.kind == "bonus":
        if abs(value) > 1e-9 and abs(value - inp.points) > 1e-9:
            return where(
                "value-bad-bonus",
                cell=at,
                label=inp.label,
                points=fmt(inp.points),
                found=parsed.found or fmt(value),
            )
        return None
    if value < 0 or value > inp.max + 1e-9:
        return where(
            "value-out-of-range", cell=at, label=inp.label, value=fmt(value), max=fmt(inp.max)
        )
    units = value / inp.step
    if abs(units - round(units)) > 1e-9:
        step_text = "0.5 分" if inp.step == 0.5 else "整分"
        return where("value-step", cell=at, label=inp.label, value=fmt(value), step_text=step_text)
    return None


def _parse_field(cell: RawCell | None, inp) -> Parsed:
    if inp.field_type == "choice":
        return parse_choice(cell, inp.choices)
    if inp.field_type == "date":
        return parse_date(cell)
    if inp.field_type == "month":
        return parse_month(cell)
    if inp.field_type == "integer":
        return parse_integer(cell)
    return parse_text(cell)


def _field_issue(parsed: Parsed, inp, at: str, where: Where) -> Issue | None:
    status = parsed.status
    if status == "ok" and inp.field_type != "integer" and not inp.max_length:
        return None  # the usual: none of the tests below applies
    if status == "missing":
        return where("value-missing", cell=at, label=inp.label) if inp.required else None
    if status == "formula":
        return where("value-formula-in-input", cell=at, label=inp.label, formula=parsed.found)
    if status == "bad_choice":
        return where(
            "value-bad-choice",
            cell=at,
            label=inp.label,
            choices="、".join(inp.choices),
            found=_short(parsed.found),
        )
    if status == "bad_date":
        return where("value-bad-date", cell=at, label=inp.label, found=_short(parsed.found))
    if status == "bad_month":
        return where("value-bad-month", cell=at, label=inp.label, found=_short(parsed.found))
    if status == "ambiguous":
        year = parsed.found.split(".")[0]
        return where(
            "value-month-ambiguous", cell=at, label=inp.label, found=parsed.found, year=year
        )
    if status == "month_range":
        return where("value-month-range", cell=at, label=inp.label, found=_short(parsed.found))
    if status == "not_number":
        return where("value-not-number", cell=at, label=inp.label, found=_short(parsed.found))
    if inp.field_type == "integer" and parsed.value is not None:
        low, high = inp.min_int, inp.max_int
        if (low is not None and parsed.value < low) or (high is not None and parsed.value > high):
            return where(
                "value-out-of-range",
                cell=at,
                label=inp.label,
                value=fmt(parsed.value),
                max=fmt(high),
            )
    if inp.max_length and parsed.value is not None and len(str(parsed.value)) > inp.max_length:
        return where(
            "value-too-long",
            cell=at,
            label=inp.label,
            max_length=inp.max_length,
            length=len(str(parsed.value)),
        )
    if status == "normalised":
        return where(
            "value-normalised",
            cell=at,
            label=inp.label,
            found=_short(parsed.found),
            value=parsed.value,
        )
    return None


def read_cached_totals(sheet: Sheet, layout: Layout, submission: Submission) -> None:
    get, cached = sheet.cells.get, submission.cached_totals
    for total in layout.totals:
        cell = get((total.row, total.col))
        value = cell.value if cell is not None and cell.formula else None
        cached[total.key] = value if isinstance(value, float) else None


def book_layout(ctx: RoundContext, identity: Identity, lang: str) -> BookLayout:
    """The sheets this workbook was made with: the rubric's one, or the signed forms and slots."""
    if ctx.round is not None:
        return ctx.round.book(identity.slots(), lang)
    return rubric_book(ctx.rubric, lang)


def check_shape(
    book: Book, sheets: list[tuple[Layout, Sheet]], layout: BookLayout, where: Where
) -> Iterator[Issue]:
    """Extra, copied or reordered sheets and removed protection.

    A copy of a round's nomination sheet is an error (it would add a slot); other
    extra sheets and a new order are warnings: the content is checked anyway.
    """
    names = [s.name for s in book.sheets if not _feedback_list(book, s.name)]
    expected = [*layout.sheet_names, META_SHEET]
    extra = [n for n in names if n not in expected]
    slots: dict[str, list[str]] = {}
    for sheet_layout in layout.sheets:
        plan = sheet_layout.plan
        if plan and plan.nominee_label:
            title = sheet_layout.sheet_name.rsplit("-", 1)[0]
            slots.setdefault(title, []).append(sheet_layout.sheet_name)
    plain = []
    for name in extra:
        form = next((t for t in sorted(slots, key=len, reverse=True) if name.startswith(t)), None)
        if form is None:
            plain.append(name)
            continue
        yield where(
            "quota-extra-sheet",
            extra=name,
            form=form,
            allowed=len(slots[form]),
            sheets="、".join(slots[form]),
            sheet=name,
        )
    missing = [n for n in layout.sheet_names if n not in names]
    if plain and missing:  # likely renamed: its content is not read, so say so loudly
        yield where("round-sheet-renamed", extra="、".join(plain), missing="、".join(missing))
    elif plain:
        yield where("tamper-extra-sheet", extra="、".join(plain))
    elif not extra and names != [n for n in expected if n in names]:
        yield where("tamper-sheet-order", expected=layout.sheet_names[0])
    # Workbook-structure protection is no signal: LibreOffice drops lockStructure on save
    # and openpyxl writes an empty <workbookProtection/> into any workbook.
    for sheet_layout, sheet in sheets:
        if not sheet.protected:
            yield where(
                "tamper-protection-removed",
                what=f"工作表“{sheet_layout.sheet_name}”",
                sheet=sheet_layout.sheet_name,
            )


def _feedback_list(book: Book, name: str) -> bool:
    """The 问题清单 that ``xlsxflow feedback`` adds to a unit's copy (never read).

    Known by its name and its first line, so a round sheet renamed to it is still
    a renamed sheet.
    """
    info = book.sheet_info(name) if name == FEEDBACK_SHEET else None
    first = book.read_sheet(info).get(0, 0) if info else None
    return first is not None and str(first.value or "").startswith(FEEDBACK_SHEET + "（")


def is_blank(sheet: Sheet, layout: Layout) -> bool:
    """No input of the sheet holds anything (an unused nomination slot)."""
    for inp in layout.inputs:
        cell = sheet.get(inp.row, inp.col)
        if cell is not None and (cell.formula or shown(cell).strip()):
            return False
    return True


def check_choose(layout: Layout, submission: Submission, where: Where) -> Iterator[Issue]:
    """Rules like 推荐类别: at least one of six 是/否 answered 是."""
    for rule in layout.choose:
        values = [submission.fields.get(k) for k in rule.keys]
        if any(v is None for v in values):
            continue  # a missing answer is already reported on its own cell
        count = sum(1 for v in values if v == "是")
        if count < rule.min:
            submission.errors += 1
            yield where(
                "value-choose-min", cell=rule.ref, label=rule.label, min=rule.min, count=count
            )


def check_file_name(
    file_name: str, identity: Identity, ctx: RoundContext, where: Where
) -> Iterator[Issue]:
    """A file named after another roster unit (or reviewer) than the one inside it."""
    named = file_name.split("_", 1)[0]
    parties = ctx.senders  # the units, or the reviewers when reading reviews
    if named != identity.unit_id and parties.get(named) is not None:
        unit = parties.get(identity.unit_id)
        yield where(
            "identity-file-name",
            named=f"{named} {parties.get(named).name}",
            unit=f"{identity.unit_id} {unit.name if unit else ''}".strip(),
        )


def check_cached_totals(
    layout: Layout, submission: Submission, computed: dict[str, float], where: Where
) -> Iterator[Issue]:
    """The totals the spreadsheet program computed agree with xlsxflow's."""
    for total in layout.totals:
        cached = submission.cached_totals.get(total.key)
        value = computed.get(total.key)
        if cached is None or value is None:
            continue
        if abs(cached - value) > 1e-6:
            yield where(
                "value-total-mismatch",
                cell=total.ref,
                label=total.label,
                cached=fmt(cached),
                computed=fmt(value),
            )
