"""Reviewer workbooks (评审表): one per reviewer, one sheet per unit return to review.

The one place that says where everything sits in a reviewer's sheet, used by the
writer (:func:`write_reviewer_workbooks`) and the reader (:mod:`.reading`) alike,
as :mod:`xlsxflow.layout` is for unit sheets.  A sheet is the seed's own table
(000 附件1–3: 自评分 and 实评分; 红旗党支部 考核表: 自评得分 and 考核得分) with the
unit's return beside the reviewer's inputs, columns A–G::

    1  round title / <form>评审表 (merged A:G)               — role round_title
    2  单位名称 | <unit name> | 单位编号 (C:D) | <unit id> | 评审人 | <reviewer name>
    3  申报项目 | <form (第 N 张)> | <nominee label> (C:D) | <nominee> | 评审人编号 | <id>
    4  评审说明 … (merged A:G)
    5  项目 | 内容 | 分值 | 自评分 | 佐证材料或备注 | 实评分 | 扣分说明   ← repeats on print
    6… per section: its items — the unit's self-score (D) and note (E) locked, the
       reviewer's score (F: 0…max at the rubric's step, 不适用 where the rubric allows
       it) and reason (G) — then 本项目小计 of D and of F as live formulas;
       小计, the bonus lines (the unit's claim locked in D; F: keep the points or
       strike them with 0; a line the unit did not claim is a locked 0), 加分, 总分
       否决事项核实: the unit's 是/否 (D), the reviewer's 属实/不属实 (F) and a reason (G)
       申报条件核实: the form's ``requires`` (condition, reason), 属实/不属实 (F)
       定星条件核实 (a form decided by conditions, issue 14): 申报等级 locked, then level
       by level as on the unit's sheet each condition in the seed's words (B), how it is
       answered (C), the unit's answer (D) and note (E) locked, the reviewer's finding (F:
       属实/不属实, for an honour also a value of its scale, for a rate or count the number
       measured with the unit's own validation) and grounds (G); then the vetoes.  A sheet
       of conditions only heads its columns 本单位填报 / 评审核实 / 核实说明
       评语 (B:G, one tall row); 评审人签名 (B) and 评审日期 (F:G)

Everything locked comes from the unit's accepted return (by its content hash,
signed into the workbook), the round file and the rubric, so the reader rebuilds
the same sheet from the round's ledger and compares every locked cell: a changed
self-score, note or point value is tampering, named by sheet and cell.  The
unit's texts are written as strings, never as formulas.

Defined names (local to each sheet): ``xf_<item id>`` (实评分), ``xf_<item id>_note``
(扣分说明), ``xf_<bonus id>``, ``xf_<declaration id>``, ``xf_req_<n>``,
``xf_c_<answer id>`` (a condition's finding) and ``xf_c_<answer id>_note``,
``xf_comment``, ``xf_reviewer_name``, ``xf_reviewed_on``; the reviewed totals
``xf_sub_<section id>``, ``xf_subtotal``, ``xf_bonus``, ``xf_total``.

The signed identity (format ``xlsxflow-review-1``) names the reviewer (as
``unit_id``/``unit_name``), the round, and each sheet as
``<sheet>=<unit id>/<form id>/<slot>/<return hash>/<v|p|c…|->`` (the last part: whether
the sheet asks to confirm vetoes, prerequisites and conditions, so a later change of the round
file's ``review`` section cannot make an issued sheet look tampered).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import StagedDir, atomic_write_bytes
from ..conditions import YES, questions
from ..identity import Identity, key_id
from ..labels import t
from ..layout import (
    APPLY_LEVEL,
    HEADER_ROW,
    LINE_POINTS,
    NAME_PREFIX,
    NOT_APPLICABLE,
    BookLayout,
    Cell,
    InputCell,
    Layout,
    SheetPlan,
    Total,
    bonus_formula,
    bonus_input,
    na_test,
    ref,
    reserved_points,
    score_input,
)
from ..messages import XlsxflowError, make_issue
from ..ooxml import Limits
from ..roster import Unit
from ..rubric import Rubric
from ..scoring import compute_totals
from ..submission import Submission
from ..writer import WorkbookStamper, safe_filename, wrapped_lines
from .model import FALSE, TRUE
from .spec import Reviewer, ReviewSpec, RoundReview

if TYPE_CHECKING:
    from ..accepted import AcceptedSheet
    from ..round import RoundContext
    from ..roundfile import Round

REVIEW_FORMAT = "xlsxflow-review-1"
# A–G in Excel character units: the reviewer's 扣分说明 (G) is written by hand on the
# visit, so it gets more room than the unit's typed note (E)
WIDTHS = (10, 40, 6, 8, 24, 9, 28)
A, B, C, D, E, F, G = range(7)
SELF_COL, NOTE_COL, REVIEW_COL, REASON_COL = D, E, F, G
REASON_MAX_LENGTH = 200  # 扣分说明 per item
COMMENT_MAX_LENGTH = 500  # 评语: one row of B:G holds it (≈ 170 pt)
NAME_MAX_LENGTH = 30
SHEET_NAME_MAX = 31  # Excel's limit
HANDWRITING_POINTS = 2 * LINE_POINTS + 6  # room to write a score and a reason by hand
# Sheets in one reviewer workbook at most (one per unit form slot assigned): ingest
# reads a reviewer's return with ``Limits.max_sheets`` raised to this (``review_limits``).
REVIEW_SHEETS_MAX = 400


# -- the signed list of sheets ----------------------------------------------------------


@dataclass(frozen=True)
class SheetEntry:
    """One sheet of a reviewer workbook as signed: the unit return it shows, what it asks."""

    sheet: str
    unit_id: str
    form_id: str
    slot: int
    return_hash: str
    vetoes: bool = True  # asks to confirm the veto declarations
    prerequisites: bool = True  # asks to confirm the form's conditions to apply
    conditions: bool = False  # asks to confirm a conditions form's answers (issue 14)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.unit_id, self.form_id, self.slot)

    def text(self) -> str:
        flags = ("v" if self.vetoes else "") + ("p" if self.prerequisites else "")
        flags += "c" if self.conditions else ""
        return (
            f"{self.sheet}={self.unit_id}/{self.form_id}/{self.slot}/{self.return_hash}/"
            f"{flags or '-'}"
        )

    @classmethod
    def parse(cls, text: str) -> SheetEntry | None:
        sheet, _, rest = text.rpartition("=")
        parts = rest.split("/")
        if not sheet or len(parts) != 5 or not parts[2].isdigit():
            return None
        unit_id, form_id, slot, return_hash, flags = parts
        return cls(
            sheet,
            unit_id,
            form_id,
            int(slot),
            return_hash,
            "v" in flags,
            "p" in flags,
            "c" in flags,
        )


def sheets_text(entries: Iterable[SheetEntry]) -> str:
    return ";".join(e.text() for e in entries)


def parse_sheets(text: str) -> list[SheetEntry] | None:
    """The inverse of :func:`sheets_text`; None when any part is malformed."""
    entries = [SheetEntry.parse(part) for part in filter(None, text.split(";"))]
    return None if any(e is None for e in entries) else entries


def review_identity(
    ctx: RoundContext,
    reviewer: Reviewer,
    entries: list[SheetEntry],
    lang: str = "zh",
    generated_at: str = "",
) -> Identity:
    """The signed identity of one reviewer's workbook."""
    rubric_id, _, version, content_hash = ctx.signed_as
    record = ctx.record
    return Identity(
        format=REVIEW_FORMAT,
        round_id=record.round_id if record else "",
        round_title=ctx.title,
        deadline="",
        rubric_id=rubric_id,
        rubric_version=version,
        rubric_hash=content_hash,
        lang=lang,
        unit_id=reviewer.reviewer_id,
        unit_name=reviewer.name,
        generated_at=generated_at or datetime.now().astimezone().isoformat(timespec="seconds"),
        key_id=key_id(ctx.key),
        sheets=sheets_text(entries),
    )


# -- one sheet --------------------------------------------------------------------------


def review_label(rubric: Rubric, lang: str = "zh") -> str:
    """The reviewer's column: 考核得分 beside a 自评得分 (红旗党支部 考核表), else 实评分."""
    key = "col_review_assessed" if rubric.score_label.endswith("得分") else "col_review"
    return t(key, lang)


def sheet_name_for(unit_id: str, form_title: str, slot: int, numbered: bool, taken: set) -> str:
    """``CZJ-文明窗口-2``: unique in the workbook (as Excel compares: case-blind), ≤ 31 chars.

    ``taken`` holds the casefolded names already used and gets this one.
    """
    title = form_title.replace(";", "_").replace("=", "_")
    suffix = f"-{slot}" if numbered else ""
    name = f"{unit_id}-{title}"[: SHEET_NAME_MAX - len(suffix)] + suffix
    number = 1
    while name.casefold() in taken:
        number += 1
        tag = f"~{number}"
        name = name[: SHEET_NAME_MAX - len(tag)] + tag
    taken.add(name.casefold())
    return name


def _fmt(value: float) -> str:
    return f"{value:g}"


_COMPARE_WORDS = {  # operator → (Chinese, English) between a roster column and a value
    ast.Eq: ("为", "is"),
    ast.NotEq: ("不为", "is not"),
    ast.Gt: ("大于", "above"),
    ast.GtE: ("不少于", "at least"),
    ast.Lt: ("小于", "below"),
    ast.LtE: ("不超过", "at most"),
    ast.In: ("为", "is one of"),
    ast.NotIn: ("不为", "is none of"),
}


def condition_words(expression: str, lang: str = "zh") -> str:
    """A ``requires.when`` expression in words for a printed form: ``最高荣誉级别 in
    ('国家级', '市直')`` → 最高荣誉级别为“国家级”或“市直”.  Comparisons of a roster
    column with values, joined by and/or; anything else is shown as written."""
    zh = lang != "en"

    def value(node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if not node.value:
                return "空" if zh else "empty"
            return f"“{node.value}”" if zh else f"'{node.value}'"
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return f" {_fmt(node.value)}" if zh else _fmt(node.value)
        raise ValueError

    def words(node: ast.expr) -> str:
        if isinstance(node, ast.BoolOp):
            joint = ("，且" if zh else " and ") if isinstance(node.op, ast.And) else "，或"
            if not zh and isinstance(node.op, ast.Or):
                joint = " or "
            return joint.join(words(v) for v in node.values)
        if (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.left, ast.Name)
            and type(node.ops[0]) in _COMPARE_WORDS
        ):
            word = _COMPARE_WORDS[type(node.ops[0])][0 if zh else 1]
            right = node.comparators[0]
            if isinstance(node.ops[0], (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.Tuple, ast.List, ast.Set)) or not right.elts:
                    raise ValueError
                choices = [value(e) for e in right.elts]
                listed = "、".join(choices[:-1]) + "或" + choices[-1] if zh else ", ".join(choices)
                if len(choices) == 1:
                    listed = choices[0]
                return f"{node.left.id}{word}{listed}" if zh else f"{node.left.id} {word} {listed}"
            return (
                f"{node.left.id}{word}{value(right)}"
                if zh
                else (f"{node.left.id} {word} {value(right)}")
            )
        raise ValueError

    try:
        return words(ast.parse(expression.strip(), mode="eval").body)
    except (SyntaxError, ValueError, RecursionError):
        return expression


def review_sheet_layout(
    rnd: Round,
    form_id: str,
    slot: int,
    unit: Unit,
    submission: Submission,
    spec: ReviewSpec,
    lang: str = "zh",
    *,
    sheet_name: str | None = None,
) -> Layout:
    """Where everything sits in one reviewer's sheet of one unit's form slot.

    ``spec`` says whether vetoes and prerequisites are confirmed; ``sheet_name`` is
    the tab (default ``<unit id>-<form>[-<slot>]``).  The reviewer named in the header
    comes from the workbook's signed identity (roles ``unit_name``, ``unit_id``), so one
    rendering serves every reviewer of the same units.
    """
    form = rnd.form(form_id)
    rubric = rnd.sheet_rubric(form_id)
    numbered = bool(form.nominee)
    name = sheet_name or sheet_name_for(unit.unit_id, form.title, slot, numbered, set())
    if numbered:
        subtitle = t("review_subtitle_slot", lang, form=form.title, slot=slot)
        form_text = t("review_form_slot", lang, form=form.title, slot=slot)
    else:
        subtitle = t("review_subtitle", lang, form=form.title)
        form_text = form.title
    plan = SheetPlan(
        key=f"review-{form_id}-{slot}", name=name, form_id=form_id, slot=slot, subtitle=subtitle
    )
    self_label = rubric.score_label
    their = review_label(rubric, lang)

    cells: list[Cell] = []
    inputs: list[InputCell] = []
    totals: list[Total] = []
    heights: dict[int, float] = {}

    def add(row, col, style, value=None, **kw):
        if kw.get("merge_to") == (row, col):
            kw["merge_to"] = None
        if isinstance(value, str) and style not in ("title",):
            value = value.replace("\r\n", "\n")
        cells.append(Cell(row, col, style, value, **kw))

    def add_input(style, inp: InputCell, merge_to=None):
        inputs.append(inp)
        add(inp.row, inp.col, style, input=inp, merge_to=merge_to)

    half = rubric.step == 0.5 or any(rubric.step_of(i) == 0.5 for _, i in rubric.items())
    step_text = t("step_half" if half else "step_whole", lang)

    # header
    add(0, A, "title", role="round_title", merge_to=(0, G))
    add(1, A, "label", t("unit_name", lang))
    add(1, B, "value", unit.name)
    add(1, C, "label", t("unit_id", lang), merge_to=(1, D))
    add(1, E, "value", unit.unit_id)
    add(1, F, "label", t("reviewer", lang))
    add(1, G, "value", role="unit_name")  # the reviewer: the identity's name and id
    add(2, A, "label", t("review_form", lang))
    if numbered:
        add(2, B, "value", form_text)
        add(2, C, "label", form.nominee, merge_to=(2, D))
        add(2, E, "value", submission.nominee)
    else:
        add(2, B, "value", form_text, merge_to=(2, E))
    add(2, F, "label", t("reviewer_id", lang))
    add(2, G, "value", role="unit_id")
    how = t(
        "review_instructions", lang, self_label=self_label, review_label=their, step_text=step_text
    )
    confirming = spec.confirm_conditions and rubric.has_conditions
    plain = confirming and not rubric.scored and not rubric.indicators  # conditions only
    if plain:
        how = t("review_cond_instructions", lang)
    add(3, A, "instructions", how, merge_to=(3, G))
    headings = (
        t("col_section", lang),
        t("col_text", lang),
        t("col_max", lang),
        self_label,
        t("col_note", lang),
        their,
        t("col_reason", lang),
    )
    if plain:
        headings = _CONDITION_HEADINGS(lang)
    for col, text in enumerate(headings):
        add(HEADER_ROW, col, "header", text)
    # a heading wider than its column (Reviewed score) wraps: the row grows to show it
    heading_lines = max(wrapped_lines(text, WIDTHS[col]) for col, text in enumerate(headings))
    if heading_lines > 1:
        heights[HEADER_ROW] = heading_lines * LINE_POINTS + 4

    # The cached results: the unit's own totals (a printed sheet shows them before any
    # recalculation); the reviewer's stay empty until there is something to add up.
    own = compute_totals(rubric, submission)
    row = HEADER_ROW + 1
    number = 0
    section_rows: list[int] = []
    full_if_na: dict[str, list[tuple[int, float]]] = {}  # section id → (row, max) counted full
    rescale_na: list[tuple[int, float]] = []  # (row, max) of items left out and rescaled
    for section in rubric.sections:
        first = row
        for item in section.items:
            number += 1
            na = item.not_applicable
            if na is not None and na.counts == "full":
                full_if_na.setdefault(section.id, []).append((row, item.max))
            elif na is not None:
                rescale_na.append((row, item.max))
            add(row, B, "text", f"{number}. {item.text}")
            add(row, C, "number", item.max)
            if item.id in submission.not_applicable:
                add(row, SELF_COL, "number", NOT_APPLICABLE)
            else:
                add(row, SELF_COL, "number", submission.scores.get(item.id))
            add(row, NOTE_COL, "text", submission.notes.get(item.id, ""))
            short = item.text if len(item.text) <= 12 else item.text[:12] + "…"
            label = (
                f"item {number} ({short}) {their}"
                if lang == "en"
                else f"第{number}项（{short}）{their}"
            )
            add_input(
                "input_score",
                score_input(rubric, item, label, row, REVIEW_COL),
            )
            what = f"item {number}" if lang == "en" else f"第{number}项"
            add_input("input_text", _reason(item.id, what, row, lang))
            heights[row] = HANDWRITING_POINTS
            row += 1
        sub_label = f"{section.name}{t('section_subtotal', lang)}"
        formulas = {}
        for col in (SELF_COL, REVIEW_COL):
            extra = [
                f"IF({na_test(ref(r, col))},{_fmt(m)},0)" for r, m in full_if_na.get(section.id, [])
            ]
            formulas[col] = "+".join([f"SUM({ref(first, col)}:{ref(row - 1, col)})", *extra])
        add(first, A, "section", section.name, merge_to=(row, A))
        add(row, B, "subtotal_label", t("section_subtotal", lang))
        add(row, C, "subtotal", section.max)
        add(row, SELF_COL, "subtotal", own[f"sub_{section.id}"], formula=formulas[SELF_COL])
        add(row, NOTE_COL, "subtotal")
        add(row, REVIEW_COL, "subtotal", "", formula=formulas[REVIEW_COL])
        add(row, REASON_COL, "subtotal")
        totals.append(
            Total(
                f"sub_{section.id}",
                f"{NAME_PREFIX}sub_{section.id}",
                sub_label,
                row,
                REVIEW_COL,
                formulas[REVIEW_COL],
            )
        )
        section_rows.append(row)
        row += 1

    if rubric.scored:
        subtotal_f = {}
        for col in (SELF_COL, REVIEW_COL):
            formula = "+".join(ref(r, col) for r in section_rows)
            if rescale_na:
                most = _fmt(rubric.items_max)
                left = "-".join(f"IF({na_test(ref(r, col))},{_fmt(m)},0)" for r, m in rescale_na)
                formula = f"({formula})*{most}/({most}-{left})"
            subtotal_f[col] = formula
        add(row, A, "total_label", t("subtotal", lang), merge_to=(row, B))
        add(row, C, "total", rubric.items_max)
        add(row, SELF_COL, "total", own["subtotal"], formula=subtotal_f[SELF_COL])
        add(row, NOTE_COL, "total")
        add(row, REVIEW_COL, "total", "", formula=subtotal_f[REVIEW_COL])
        add(row, REASON_COL, "total")
        totals.append(
            Total(
                "subtotal",
                f"{NAME_PREFIX}subtotal",
                t("subtotal", lang),
                row,
                REVIEW_COL,
                subtotal_f[REVIEW_COL],
            )
        )
        subtotal_row = row
        row += 1
        bonus_row = None
        if rubric.bonus:
            bonus = rubric.bonus
            first = row
            for b in bonus.items:
                claimed = submission.bonus.get(b.id)
                add(row, B, "text", b.text)
                add(row, C, "number", b.points)
                add(row, SELF_COL, "number", claimed)
                add(row, NOTE_COL, "text", submission.notes.get(b.id, ""))
                if claimed:  # the reviewer keeps the claim (its points) or strikes it (0)
                    add_input(
                        "input_score",
                        bonus_input(bonus, b, row, REVIEW_COL),
                    )
                    add_input("input_text", _reason(b.id, b.text, row, lang))
                else:  # nothing claimed, nothing to confirm
                    add(row, REVIEW_COL, "number", 0.0)
                    add(row, REASON_COL, "text")
                heights[row] = HANDWRITING_POINTS
                row += 1
            bonus_f = {}
            for col in (SELF_COL, REVIEW_COL):
                bonus_f[col], label_key = bonus_formula(
                    bonus, f"{ref(first, col)}:{ref(row - 1, col)}"
                )
            bonus_label = t(label_key, lang, cap=_fmt(bonus.cap or 0))
            add(first, A, "section", bonus.name, merge_to=(row, A))
            add(row, B, "subtotal_label", bonus_label)
            add(row, C, "subtotal", bonus.max)
            add(row, SELF_COL, "subtotal", own["bonus"], formula=bonus_f[SELF_COL])
            add(row, NOTE_COL, "subtotal")
            add(row, REVIEW_COL, "subtotal", "", formula=bonus_f[REVIEW_COL])
            add(row, REASON_COL, "subtotal")
            totals.append(
                Total(
                    "bonus",
                    f"{NAME_PREFIX}bonus",
                    bonus_label,
                    row,
                    REVIEW_COL,
                    bonus_f[REVIEW_COL],
                )
            )
            bonus_row = row
            row += 1
        total_f = {
            col: ref(subtotal_row, col) + (f"+{ref(bonus_row, col)}" if bonus_row else "")
            for col in (SELF_COL, REVIEW_COL)
        }
        add(row, A, "total_label", t("total", lang), merge_to=(row, B))
        add(row, C, "total", rubric.max_total)
        add(row, SELF_COL, "total", own["total"], formula=total_f[SELF_COL])
        add(row, NOTE_COL, "total")
        add(row, REVIEW_COL, "total", "", formula=total_f[REVIEW_COL])
        add(row, REASON_COL, "total")
        totals.append(
            Total(
                "total",
                f"{NAME_PREFIX}total",
                t("total", lang),
                row,
                REVIEW_COL,
                total_f[REVIEW_COL],
            )
        )
        row += 1

    if confirming:
        row = _condition_rows(rubric, submission, add, add_input, heights, row, lang, plain)

    choices = (TRUE, FALSE)
    if spec.confirm_vetoes and rubric.declarations:
        head = t("review_vetoes_head", lang, self_col=self_label, review_col=their)
        add(row, A, "block_head", head, merge_to=(row, G))
        row += 1
        first = row
        for n, decl in enumerate(rubric.declarations, 1):
            add(row, B, "text", f"（{n}）{decl.text}", merge_to=(row, C))
            add(row, SELF_COL, "number", submission.declarations.get(decl.id))
            add(row, NOTE_COL, "text")
            add_input(
                "input_choice",
                InputCell(
                    name=f"{NAME_PREFIX}{decl.id}",
                    key=decl.id,
                    kind="declaration",
                    label=t("review_veto_label", lang, n=n),
                    row=row,
                    col=REVIEW_COL,
                    field_type="choice",
                    choices=choices,
                    required=True,
                ),
            )
            add_input("input_text", _reason(decl.id, t("review_veto_label", lang, n=n), row, lang))
            heights[row] = HANDWRITING_POINTS
            row += 1
        add(first, A, "section", t("review_vetoes", lang), merge_to=(row - 1, A))

    if spec.confirm_prerequisites and form.requires:
        head = t("review_prereqs_head", lang, review_col=their)
        add(row, A, "block_head", head, merge_to=(row, G))
        row += 1
        first = row
        for n, req in enumerate(form.requires, 1):
            when = condition_words(req.when, lang)
            add(row, B, "text", t("review_prereq", lang, n=n, when=when), merge_to=(row, C))
            add(row, SELF_COL, "number", t("review_prereq_met", lang))
            add(row, NOTE_COL, "text", t("review_prereq_else", lang, reason=req.reason))
            key = f"req_{n - 1}"
            add_input(
                "input_choice",
                InputCell(
                    name=f"{NAME_PREFIX}{key}",
                    key=key,
                    kind="declaration",
                    label=t("review_prereq_label", lang, n=n),
                    row=row,
                    col=REVIEW_COL,
                    field_type="choice",
                    choices=choices,
                    required=True,
                ),
            )
            add_input("input_text", _reason(key, t("review_prereq_label", lang, n=n), row, lang))
            heights[row] = HANDWRITING_POINTS
            row += 1
        add(first, A, "section", t("review_prereqs", lang), merge_to=(row - 1, A))

    # 评语, then the reviewer's name and the date
    add(row, A, "section", t("review_comment", lang))
    add_input(
        "input_long",
        InputCell(
            name=f"{NAME_PREFIX}comment",
            key="comment",
            kind="field",
            label=t("review_comment", lang),
            row=row,
            col=B,
            field_type="text",
            max_length=COMMENT_MAX_LENGTH,
        ),
        merge_to=(row, G),
    )
    heights[row] = reserved_points(COMMENT_MAX_LENGTH, sum(WIDTHS[B:]))
    row += 1
    add(row, A, "label", t("review_sign", lang))
    add_input(
        "input_text",
        InputCell(
            name=f"{NAME_PREFIX}reviewer_name",
            key="reviewer_name",
            kind="field",
            label=t("review_sign", lang),
            row=row,
            col=B,
            field_type="text",
            max_length=NAME_MAX_LENGTH,
            required=True,
        ),
    )
    add(row, C, "label", t("review_date", lang), merge_to=(row, E))
    add_input(
        "input_date",
        InputCell(
            name=f"{NAME_PREFIX}reviewed_on",
            key="reviewed_on",
            kind="field",
            label=t("review_date", lang),
            row=row,
            col=F,
            field_type="date",
            required=True,
        ),
        merge_to=(row, G),
    )
    heights[row] = HANDWRITING_POINTS
    row += 1

    return Layout(
        rubric=rubric,
        lang=lang,
        sheet_name=name,
        cells=tuple(cells),
        inputs=tuple(inputs),
        totals=tuple(totals),
        last_row=row - 1,
        plan=plan,
        reserved_heights=tuple(sorted(heights.items())),
        repeat_header=True,
        widths=WIDTHS,
    )


def _CONDITION_HEADINGS(lang: str) -> tuple[str, ...]:  # noqa: N802 - a table of labels
    """项目 / 条件（标准原文） / 填法 / 本单位填报 / 说明或佐证 / 评审核实 / 核实说明."""
    keys = ("col_section", "col_condition", "col_how", "col_cond_self", "col_evidence")
    return (*(t(k, lang) for k in keys), t("col_cond_review", lang), t("col_cond_reason", lang))


def _claims(kind: str, answer: object) -> bool:
    """Whether the unit's answer claims something a reviewer must confirm (a veto: always)."""
    if kind == "veto":
        return True
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return False
    if kind == "fact":
        return str(answer).strip().lower() in YES
    if kind == "honour":
        return str(answer).strip() != t("honour_none")
    return True


def _condition_rows(
    rubric: Rubric,
    submission: Submission,
    add,
    add_input,
    heights: dict[int, float],
    row: int,
    lang: str,
    plain: bool,
) -> int:
    """定星条件核实: the unit's 申报等级, then each condition as on the unit's sheet (level
    by level, grouped, then the vetoes) with the unit's answer and note locked and the
    reviewer's finding and grounds.  ``plain``: the sheet has no scores above (its column
    headings are the conditions'), else the block brings its own heading row."""
    if not plain:
        head = t(
            "review_cond_block",
            lang,
            self_col=t("col_cond_self", lang),
            review_col=t("col_cond_review", lang),
        )
        add(row, A, "block_head", head, merge_to=(row, G))
        row += 1
        for col, text in enumerate(_CONDITION_HEADINGS(lang)):
            add(row, col, "header", text)
        row += 1
    if rubric.levels:
        add(row, A, "section", t("apply_head", lang))
        add(row, B, "label", t("apply_level", lang), merge_to=(row, C))
        add(row, D, "number", submission.fields.get(APPLY_LEVEL), merge_to=(row, E))
        add(row, F, "text", merge_to=(row, G))
        heights[row] = HANDWRITING_POINTS
        row += 1
    asked = questions(rubric)
    number = 0

    def question_row(q, r: int) -> None:
        nonlocal number
        number += 1
        own = submission.answers.get(q.id)
        add(r, B, "text", f"{number}. {q.text}")
        how = {"fact": "how_fact", "veto": "how_fact", "honour": "how_honour"}.get(q.kind)
        add(r, C, "number", t(how, lang) if how else (q.unit or t("how_number", lang)))
        add(r, D, "number", own)
        add(r, E, "text", submission.notes.get(f"c_{q.id}", ""))
        short = q.text if len(q.text) <= 12 else q.text[:12] + "…"
        choices: tuple[str, ...] = (TRUE, FALSE)
        if q.kind == "honour":
            choices = (TRUE, FALSE, t("honour_none", lang), *q.choices)
        number_kind = q.kind == "number"
        add_input(
            "input_score" if number_kind else "input_choice",
            InputCell(
                name=f"{NAME_PREFIX}c_{q.id}",
                key=q.id,
                kind="answer",
                label=t("review_cond_label", lang, n=number, short=short),
                row=r,
                col=REVIEW_COL,
                field_type="number" if number_kind else "choice",
                choices=() if number_kind else choices,
                min=q.min,
                max=q.max,
                required=_claims(q.kind, own),
            ),
        )
        add_input(
            "input_text",
            InputCell(
                name=f"{NAME_PREFIX}c_{q.id}_note",
                key=f"c_{q.id}",
                kind="note",
                label=t("review_cond_note", lang, n=number),
                row=r,
                col=REASON_COL,
                max_length=REASON_MAX_LENGTH,
            ),
        )
        heights[r] = HANDWRITING_POINTS

    owners = [(lv.name, lv.decided_by, lv.publicity) for lv in rubric.levels] or [
        (st.name, "", False) for st in rubric.stars
    ]
    for name, by, publicity in owners:
        mine = [q for q in asked if q.kind != "veto" and q.used_by and q.used_by[0] == name]
        if not mine:
            continue
        head = name
        if by:
            extra = t("level_publicity", lang) if publicity else ""
            head = t("level_block_by", lang, level=name, by=by, publicity=extra)
        add(row, A, "block_head", head, merge_to=(row, G))
        row += 1
        groups: dict[str, list] = {}
        for q in mine:
            groups.setdefault(q.group, []).append(q)
        for group, items in groups.items():
            first = row
            for q in items:
                question_row(q, row)
                row += 1
            add(first, A, "section", group or name, merge_to=(row - 1, A))
    vetoes = [q for q in asked if q.kind == "veto"]
    if vetoes:
        blocked = "、".join(dict.fromkeys(lv for q in vetoes for lv in q.used_by))
        head = t("review_cond_vetoes", lang, levels=blocked)
        add(row, A, "block_head", head, merge_to=(row, G))
        row += 1
        first = row
        for q in vetoes:
            question_row(q, row)
            row += 1
        add(first, A, "section", t("veto_head", lang), merge_to=(row - 1, A))
    return row


def _reason(key: str, what: str, row: int, lang: str) -> InputCell:
    """The 扣分说明 input (G) of a row."""
    return InputCell(
        name=f"{NAME_PREFIX}{key}_note",
        key=key,
        kind="note",
        label=t("review_reason_label", lang, what=what),
        row=row,
        col=REASON_COL,
        max_length=REASON_MAX_LENGTH,
    )


# -- one reviewer's workbook ------------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    """A unit form assigned to a reviewer that gets no sheet: no accepted return of it."""

    reviewer_id: str
    unit_id: str
    unit_name: str
    form_id: str
    form_title: str


def reviewer_entries(
    rnd: Round,
    review: RoundReview,
    accepted: Mapping[tuple[str, str, int], AcceptedSheet],
    reviewer_id: str,
) -> tuple[list[SheetEntry], list[Skipped]]:
    """The sheets of one reviewer's workbook in roster order (then form, then slot),
    and the assigned unit forms that have no accepted return (no sheet)."""
    slots_of: dict[tuple[str, str], list[int]] = {}
    for unit_id, form_id, slot in accepted:
        slots_of.setdefault((unit_id, form_id), []).append(slot)
    entries: list[SheetEntry] = []
    skipped: list[Skipped] = []
    taken: set[str] = set()
    for unit in rnd.roster:
        for form in rnd.spec.forms:
            fr = review.forms.get(form.id)
            if fr is None or reviewer_id not in fr.by_unit.get(unit.unit_id, ()):
                continue
            slots = sorted(slots_of.get((unit.unit_id, form.id), []))
            if not slots:
                skipped.append(Skipped(reviewer_id, unit.unit_id, unit.name, form.id, form.title))
                continue
            for slot in slots:
                name = sheet_name_for(unit.unit_id, form.title, slot, bool(form.nominee), taken)
                entries.append(
                    SheetEntry(
                        name,
                        unit.unit_id,
                        form.id,
                        slot,
                        accepted[(unit.unit_id, form.id, slot)].hash,
                        fr.spec.confirm_vetoes,
                        fr.spec.confirm_prerequisites,
                        fr.spec.confirm_conditions and rnd.sheet_rubric(form.id).has_conditions,
                    )
                )
    return entries, skipped


def entry_layout(
    rnd: Round,
    review: RoundReview,
    entry: SheetEntry,
    submission: Submission,
    lang: str = "zh",
) -> Layout | None:
    """The layout of one signed sheet (None when its unit or form is no longer in the round)."""
    unit = rnd.roster.get(entry.unit_id)
    fr = review.forms.get(entry.form_id)
    if unit is None or fr is None:
        return None
    spec = fr.spec.model_copy(
        update={
            "confirm_vetoes": entry.vetoes,
            "confirm_prerequisites": entry.prerequisites,
            "confirm_conditions": entry.conditions,
        }
    )
    return review_sheet_layout(
        rnd,
        entry.form_id,
        entry.slot,
        unit,
        submission,
        spec,
        lang,
        sheet_name=entry.sheet,
    )


def reviewer_book(
    rnd: Round,
    review: RoundReview,
    entries: list[SheetEntry],
    submission_of: Callable[[str], Submission | None],
    lang: str = "zh",
    links: Callable | None = None,
) -> BookLayout:
    """A reviewer's workbook: a sheet per entry, from the return with the entry's hash
    (the same for every reviewer of the same units: the reviewer comes from the identity).

    ``links(unit_id, unit_sheet, layout)``: hyperlinks beside each sheet (the items'
    evidence folders, ``evidence/sheets.py``), not part of what the return is compared to."""
    sheets = []
    for entry in entries:
        sub = submission_of(entry.return_hash)
        layout = entry_layout(rnd, review, entry, sub, lang) if sub else None
        if layout is not None and links is not None:
            layout = replace(layout, links=links(entry.unit_id, sub.sheet, layout))
        if layout is not None:
            sheets.append(layout)
    return BookLayout(tuple(sheets), t("review_subject", lang, title=rnd.spec.title))


def all_reviewers(review: RoundReview) -> list[Reviewer]:
    """Every reviewer of the round's forms, once, in form order then reviewers-file order."""
    seen: dict[str, Reviewer] = {}
    for fr in review.forms.values():
        for reviewer in fr.reviewers:
            seen.setdefault(reviewer.reviewer_id, reviewer)
    return list(seen.values())


def reviewer_filename(reviewer: Reviewer) -> str:
    """``R01_林晓文_评审表.xlsx``."""
    return (
        f"{safe_filename(reviewer.reviewer_id, 40)}_{safe_filename(reviewer.name, 30)}_评审表.xlsx"
    )


def review_limits(limits: Limits) -> Limits:
    """What ingest reads of a reviewer's return: a unit's limits, with room for every sheet."""
    return replace(limits, max_sheets=max(limits.max_sheets, REVIEW_SHEETS_MAX + 1))


@dataclass(frozen=True)
class ReviewerWorkbook:
    reviewer_id: str
    name: str
    path: Path
    sheets: int


@dataclass
class ReviewGenerated:
    """What ``review generate`` wrote, and what it could not."""

    out_dir: Path
    files: list[ReviewerWorkbook] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # assigned, but no accepted return
    idle: list[str] = field(default_factory=list)  # reviewer ids with nothing to review

    @property
    def sheets(self) -> int:
        return sum(f.sheets for f in self.files)


def write_reviewer_workbooks(
    ctx: RoundContext,
    review: RoundReview,
    accepted: Mapping[tuple[str, str, int], AcceptedSheet],
    out_dir: Path,
    reviewer_ids: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
    lang: str = "zh",
    evidence_dir: Path | None = None,
) -> ReviewGenerated:
    """One workbook per reviewer into ``out_dir``, swapped in whole (``StagedDir``).

    ``evidence_dir``: the office's evidence store; each item links to its folder there.

    ``accepted``: the latest ingest's accepted unit sheets (``Ledger.accepted``).
    With ``reviewer_ids`` only those reviewers' workbooks are rewritten; files that
    are not this round's reviewer workbooks are always kept.  A reviewer with nothing
    to review gets no file; one with more than ``REVIEW_SHEETS_MAX`` sheets stops it
    (reduce the assignment).
    """
    rnd = ctx.round
    if rnd is None:  # a review belongs to a round file's form
        raise XlsxflowError(make_issue("review-needs-round"))
    reviewers = all_reviewers(review)
    if reviewer_ids is not None:
        wanted = list(dict.fromkeys(reviewer_ids))
        known = {r.reviewer_id: r for r in reviewers}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise XlsxflowError(
                [
                    make_issue("review-unknown-reviewer-arg", id=i, known="、".join(known))
                    for i in unknown
                ]
            )
        reviewers = [known[i] for i in wanted]
    submissions = {a.hash: a.submission for a in accepted.values()}
    out_dir = Path(out_dir)
    result = ReviewGenerated(out_dir)
    generated_at = datetime.now().astimezone().isoformat(timespec="seconds")
    planned: list[tuple[Reviewer, list[SheetEntry]]] = []
    for reviewer in reviewers:
        entries, skipped = reviewer_entries(rnd, review, accepted, reviewer.reviewer_id)
        result.skipped += skipped
        if not entries:
            result.idle.append(reviewer.reviewer_id)
        elif len(entries) > REVIEW_SHEETS_MAX:
            raise XlsxflowError(
                make_issue(
                    "review-too-many-sheets",
                    name=reviewer.name,
                    id=reviewer.reviewer_id,
                    count=len(entries),
                    max=REVIEW_SHEETS_MAX,
                )
            )
        else:
            planned.append((reviewer, entries))
    names = {reviewer_filename(r) for r, _ in planned}
    ours = {reviewer_filename(r) for r in all_reviewers(review)}
    partial = reviewer_ids is not None

    def carry(entry: Path) -> bool:
        """Keep what is not a reviewer workbook of this round (a return saved here, notes),
        and on a partial rewrite the other reviewers' workbooks."""
        return entry.name not in ours or (partial and entry.name not in names)

    evidence_links = None
    if evidence_dir is not None:  # 佐证材料 (issue 15): links to the stored folders
        from ..evidence.sheets import review_links

        evidence_links = review_links(evidence_dir, out_dir, lang)
    staged = StagedDir(out_dir, carry=carry)
    # The reviewers of one 测评组 get the same sheets: render them once, stamp each
    # reviewer's identity into a copy, and let the rendering go before the next group's.
    groups: dict[str, list[tuple[Reviewer, Identity]]] = {}
    for reviewer, entries in planned:
        identity = review_identity(ctx, reviewer, entries, lang, generated_at)
        groups.setdefault(identity.sheets, []).append((reviewer, identity))
    try:
        for sheets, members in groups.items():
            book = reviewer_book(
                rnd, review, parse_sheets(sheets), submissions.get, lang, evidence_links
            )
            stamper = WorkbookStamper(book, members[0][1], ctx.key)
            for reviewer, identity in members:
                name = reviewer_filename(reviewer)
                atomic_write_bytes(staged.path / name, stamper.stamp(identity), durable=False)
                count = len(book.sheets)
                result.files.append(
                    ReviewerWorkbook(reviewer.reviewer_id, reviewer.name, out_dir / name, count)
                )
                if progress:
                    progress(count)
        order = {r.reviewer_id: i for i, (r, _) in enumerate(planned)}
        result.files.sort(key=lambda f: order[f.reviewer_id])
        staged.commit()
    finally:
        staged.discard()
    return result
