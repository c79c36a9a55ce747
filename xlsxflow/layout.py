"""The one place that says where everything sits in a unit workbook.

The writer draws exactly the cells listed here, and the reader checks exactly
the same cells, so the two cannot drift apart.  A layout depends only on the
rubric and the language; the unit-specific cells (unit name, id, round title,
deadline) are marked by ``role`` and filled from the signed identity.

Main sheet, columns A–E (Chinese labels shown)::

    1  title (merged A:E)                       — role round_title
    2  单位名称 | <unit name>  | 单位编号 | <unit id> (D:E)
    3  报送截止 | <deadline> (B:E)
    4  填写说明 … (merged A:E)
    5  项目 | 内容 | 分值 | 自评分 | 佐证材料或备注        ← header, repeats on print
       when the score table runs past its first page (else it would head 否决事项 and 申报表)
    6… per section: its items, then 本项目小计 (=SUM of its scores, plus the points of
       an item marked 不适用 that counts as full); each item's row is tall enough for
       a note of the rubric's ``note_max_length``
       小计 (=sum of section subtotals; scaled to the total when an item marked
       不适用 is left out and rescaled)
       bonus items (0 or points), 加分 (=MAX or =MIN(cap,SUM))
       总分 (=小计+加分)
       否决事项: one 是/否 dropdown per declaration
       填报信息: one input (D:E) per form field; a long text (简要事迹, 创建成效简介)
                 has its label on a row of its own and an input area B:E over as
                 many rows as its longest answer needs (each row ≤ Excel's 409 pt)

Every input cell and every total has a workbook-level name ``xf_<id>``:
item scores ``xf_<item id>``, their notes ``xf_<item id>_note``, bonus lines
``xf_<bonus id>``, declarations ``xf_<id>``, form fields ``xf_<id>``,
section subtotals ``xf_sub_<section id>``, and ``xf_subtotal``, ``xf_bonus``,
``xf_total``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from .conditions import questions
from .labels import t
from .rubric import FormField, Rubric

META_SHEET = "_xlsxflow"
# The list of problems `xlsxflow feedback` puts first in a unit's copy; ingest ignores it.
FEEDBACK_SHEET = "问题清单"
NAME_PREFIX = "xf_"
NOMINEE_MAX_LENGTH = 60
LONG_TEXT = 200  # text fields at least this long get an area of their own (B:E, several rows)
COLUMNS = ("A", "B", "C", "D", "E")
# Widths in Excel character units; B wraps the item text, E the unit's note.
COLUMN_WIDTHS = (10, 48, 6, 9, 42)
TARGET_COLUMN_WIDTHS = (12, 50, 13, 10, 28)  # the 目标 column is wider (≥ 300平方米)
CONDITION_COLUMN_WIDTHS = (10, 46, 8, 10, 38)  # 填法 (是/否, 等级, %) and 填报 (a dropdown)
CONDITION_NOTE_LENGTH = 40  # the longest 说明或佐证 of one condition (its row is drawn that tall)
APPLY_LEVEL = "apply_level"  # the key of the 申报等级 input
# Row heights reserved for typed text: points per line of 11 pt CJK text (LibreOffice
# draws Noto CJK at ~15.5 pt a line), and Excel's tallest row.
LINE_POINTS = 16.0
MAX_ROW_POINTS = 409.0
PLAIN_ROW_POINTS = 20.0  # a row of one or two lines of text
# What one printed A4 page holds of a long text area, in the sheet's points (the page
# is scaled to fit the width: ~866 pt of sheet per page; the label row and slack aside).
PAGE_POINTS = 780.0
SMALL_FONT = 9  # a long text that would not fit one page at 11 pt is drawn at 9 pt
NOT_APPLICABLE = "不适用"  # what a unit types in a score cell the rubric lets it skip
HEADER_ROW = 4  # 0-based row of the column headings (row 5 in Excel)

Style = Literal[
    "title",
    "label",
    "value",
    "instructions",
    "header",
    "section",
    "text",
    "number",
    "subtotal_label",
    "subtotal",
    "total_label",
    "total",
    "input_score",
    "input_text",
    "input_choice",
    "input_date",
    "input_long",
    "input_long_small",
    "input_month",
    "long_label",
    "block_head",
    "approval",
]
# answer: a conditions sheet's fact, honour, number or veto (``conditions.questions``)
InputKind = Literal["score", "bonus", "note", "declaration", "field", "indicator", "answer"]


def ref(row: int, col: int) -> str:
    """0-based (row, col) → "D6" (columns A–Z: a sheet here is at most a few columns wide)."""
    return f"{chr(ord('A') + col)}{row + 1}"


@dataclass(frozen=True)
class Cell:
    """A drawn cell. ``locked`` cells are compared on ingest; inputs are not."""

    row: int
    col: int
    style: Style
    value: str | float | None = None
    formula: str | None = None  # without the leading "="
    role: str = ""  # unit_name, unit_id, round_title, deadline: filled per unit
    merge_to: tuple[int, int] | None = None  # (last row, last col) of a merge
    input: InputCell | None = None
    earlier: tuple[str, ...] = ()  # earlier wording the reader still accepts (workbooks sent out)

    @property
    def ref(self) -> str:
        return ref(self.row, self.col)


@dataclass(frozen=True)
class InputCell:
    name: str  # defined name, e.g. xf_i01
    key: str  # item / field id (for notes: the item id)
    kind: InputKind
    label: str  # how messages name it, e.g. 第3项自评分
    row: int
    col: int
    max: float | None = None
    step: float | None = None
    points: float | None = None  # bonus lines: 0 or this
    field_type: str = ""  # text, date, choice, integer
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    min_int: int | None = None
    max_int: int | None = None
    required: bool = False
    not_applicable: str = ""  # score cells: who may type 不适用 (the rubric's `when`)
    min: float | None = None  # answers: the smallest number a measure takes
    about: int | None = None  # text fields: “N字左右”

    @property
    def ref(self) -> str:
        return ref(self.row, self.col)


@dataclass(frozen=True)
class Total:
    key: str  # sub_<section id>, subtotal, bonus, total
    name: str  # defined name
    label: str
    row: int
    col: int
    formula: str

    @property
    def ref(self) -> str:
        return ref(self.row, self.col)


@dataclass(frozen=True)
class SheetPlan:
    """One sheet of a round workbook: a form for the unit itself, or one nomination slot.

    ``slot`` counts from 1; ``nominee_label`` (窗口名称, 姓名 …) adds the nominee's
    name at the top; ``application`` adds the form's 申报表 below the scores;
    ``publicity`` adds the 公示 start and end dates.
    """

    key: str  # "chuangkou-2"
    name: str  # the sheet tab: 文明窗口-2
    form_id: str
    slot: int
    subtitle: str  # second line of the title
    nominee_label: str = ""
    application: Rubric | None = None
    publicity: bool = False
    publicity_min_days: int = 5
    # A quota shared with other forms (窗口 and 科室): every form's title, and the places.
    quota_forms: tuple[str, ...] = ()
    quota: int = 0
    # Headings of workbooks already sent out that the reader still accepts.
    earlier_subtitles: tuple[str, ...] = ()

    @property
    def shared_quota(self) -> bool:
        return len(self.quota_forms) > 1

    @property
    def cache_key(self) -> tuple:
        app = self.application.content_hash if self.application else ""
        return (
            self.key,
            self.name,
            self.subtitle,
            self.nominee_label,
            app,
            self.publicity,
            self.publicity_min_days,
            self.quota_forms,
            self.quota,
            self.earlier_subtitles,
        )


@dataclass(frozen=True)
class ChooseRule:
    """At least ``min`` of ``keys`` answered 是; issues point at ``ref`` (the first)."""

    label: str
    keys: tuple[str, ...]
    min: int
    ref: str


@dataclass(frozen=True)
class Layout:
    rubric: Rubric
    lang: str
    sheet_name: str
    cells: tuple[Cell, ...]
    inputs: tuple[InputCell, ...]
    totals: tuple[Total, ...]
    last_row: int  # 0-based
    header_row: int = HEADER_ROW
    plan: SheetPlan | None = None
    choose: tuple[ChooseRule, ...] = ()
    page_breaks: tuple[int, ...] = ()  # 0-based rows that start a printed page
    # Rows whose height is reserved for what the unit types (notes, long texts), in points.
    reserved_heights: tuple[tuple[int, float], ...] = ()
    repeat_header: bool = True  # print the column headings atop every page
    # the row repeated atop every printed page when not ``header_row``: 篇2's conditions
    # start a page under their own headings, which the pages after it repeat
    repeat_row: int | None = None
    # Column widths of a sheet that is not a unit's A–E (a reviewer's sheet: A–G); empty: A–E.
    widths: tuple[int, ...] = ()
    landscape: bool = False  # printed across the page (a ballot's many item columns)
    header: str = ""  # printed atop every page, right (a ballot's serial); no "&" codes
    # Inputs with the same validation share one (a ballot's or tally's thousands of cells:
    # one per cell would make writing them slow); the tip's title is dropped where it differs.
    shared_validations: bool = False
    # Hyperlinks beside the sheet (a reviewer's sheet: each item's evidence folder, column H):
    # (row, col, target, text); drawn by the writer, not part of what a return is compared to.
    links: tuple[tuple[int, int, str, str], ...] = ()

    @property
    def subtitle(self) -> str:
        """The second title line: the form (and slot) of a round sheet, else the rubric."""
        return self.plan.subtitle if self.plan else self.rubric.title

    @property
    def last_col(self) -> int:
        return len(self.column_widths) - 1

    @property
    def column_widths(self) -> tuple[int, ...]:
        """Widths of A–E; the 目标 column is wider when there are targets (≥ 300平方米)."""
        return self.widths or column_widths(self.rubric)

    @property
    def dimension(self) -> str:
        return f"A1:{ref(self.last_row, self.last_col)}"

    def total(self, key: str) -> Total:
        return next(t for t in self.totals if t.key == key)

    def input_named(self, name: str) -> InputCell:
        return next(i for i in self.inputs if i.name == name)

    @property
    def merges(self) -> list[tuple[int, int, int, int]]:
        return [(c.row, c.col, *c.merge_to) for c in self.cells if c.merge_to]


@dataclass(frozen=True)
class BookLayout:
    """Every sheet of one unit workbook (one for a rubric, several for a round)."""

    sheets: tuple[Layout, ...]
    subject: str  # the document's subject property

    @classmethod
    def of(cls, layout: Layout) -> BookLayout:
        """The workbook of one sheet (a single-rubric round)."""
        return cls((layout,), layout.rubric.title)

    @property
    def sheet_names(self) -> list[str]:
        return [s.sheet_name for s in self.sheets]

    @property
    def lang(self) -> str:
        return self.sheets[0].lang


def role_values(layout: Layout, identity) -> dict[str, str]:
    """The unit-specific text of a sheet, from the signed identity (writer and reader)."""
    return {
        "round_title": f"{identity.round_title}\n{layout.subtitle}",
        "unit_name": identity.unit_name,
        "unit_id": identity.unit_id,
        "deadline": identity.deadline,
    }


def accepted_texts(cell: Cell, layout: Layout, roles: dict[str, str]) -> tuple[str, ...]:
    """What the reader accepts in a locked text cell: today's wording, then earlier ones.

    Workbooks already sent out keep verifying when a heading or the 填写说明 is
    reworded: the signed round hash covers the round file and rubrics, not this text.
    """
    if cell.role == "round_title" and layout.plan:
        title = roles["round_title"].removesuffix(layout.subtitle)
        return (roles["round_title"], *(title + s for s in layout.plan.earlier_subtitles))
    if cell.role:
        return (roles[cell.role],)
    return (cell.value, *cell.earlier) if isinstance(cell.value, str) else ()


def joined(titles: tuple[str, ...] | list[str], lang: str, last: str = "与") -> str:
    """``A、B与C`` (``A, B and C`` in English)."""
    if len(titles) < 2:
        return "".join(titles)
    if lang == "en":
        return ", ".join(titles[:-1]) + " and " + titles[-1]
    return "、".join(titles[:-1]) + last + titles[-1]


def nomination_subtitles(
    form_title: str, slot: int, count: int, quota_forms: tuple[str, ...], quota: int, lang: str
) -> tuple[str, tuple[str, ...]]:
    """A nomination sheet's heading, and the earlier headings the reader still accepts.

    A quota shared by several forms says so (第 1 张，文明窗口与文明科室合用 2 个名额):
    "共 2 个" on each of 2 + 2 sheets read as 2 of each.
    """
    plain = t("nomination", lang, form=form_title, slot=slot, count=count)
    if len(quota_forms) < 2:
        return plain, ()
    shared = t(
        "nomination_shared",
        lang,
        form=form_title,
        slot=slot,
        forms=joined(quota_forms, lang),
        quota=quota,
    )
    return shared, (plain,)


def rubric_book(rubric: Rubric, lang: str = "zh") -> BookLayout:
    """The workbook of a single-rubric round: one sheet."""
    return BookLayout.of(build_layout(rubric, lang))


def _fmt(value: float) -> str:
    return f"{value:g}"


def column_widths(rubric: Rubric) -> tuple[int, ...]:
    if rubric.has_conditions:
        return CONDITION_COLUMN_WIDTHS
    return TARGET_COLUMN_WIDTHS if rubric.indicators else COLUMN_WIDTHS


def text_lines(length: int, width: float, font: float = 11) -> int:
    """Lines that ``length`` CJK characters (the widest kind) take in ``width`` columns.

    A CJK character is two columns wide at 11 pt (Excel's 宋体; LibreOffice's Noto
    CJK is narrower); a column's padding costs about two more.  One line in ten is
    added for paragraph breaks, which end lines early.
    """
    per_line = max((width - 2) / 2 * 11 / font, 1)
    lines = -(-length // per_line)
    return int(lines + lines // 10 + 1)


def reserved_points(length: int, width: float, font: float = 11) -> float:
    """Height in points that shows ``length`` characters in full in ``width`` columns."""
    return text_lines(length, width, font) * LINE_POINTS * font / 11 + 6


def table_points(heights: dict[int, float], last_row: int) -> float:
    """Estimated height of rows 0…``last_row``: reserved heights, else a plain row's."""
    title = 46 + 3 * PLAIN_ROW_POINTS  # the two-line title, 单位/截止 rows, 填写说明
    return title + sum(heights.get(r, PLAIN_ROW_POINTS) for r in range(HEADER_ROW, last_row + 1))


def na_test(cell: str) -> str:
    """The formula test for a score cell marked 不适用."""
    return f'TRIM({cell})="{NOT_APPLICABLE}"'


_CACHE: dict[tuple, Layout] = {}


def build_layout(rubric: Rubric, lang: str = "zh", plan: SheetPlan | None = None) -> Layout:
    """The layout of one sheet in ``lang`` (cached: ingest asks per file)."""
    key = (rubric.content_hash, lang, plan.cache_key if plan else None)
    if key not in _CACHE:
        if len(_CACHE) > 2000:
            _CACHE.clear()
        _CACHE[key] = _build_layout(rubric, lang, plan)
    return _CACHE[key]


def _build_layout(rubric: Rubric, lang: str, plan: SheetPlan | None = None) -> Layout:
    cells: list[Cell] = []
    inputs: list[InputCell] = []
    totals: list[Total] = []
    heights: dict[int, float] = {}
    widths = column_widths(rubric)
    A, B, C, D, E = range(5)

    def add(row, col, style, value=None, **kw):
        if kw.get("merge_to") == (row, col):  # a one-cell "merge" is no merge (Excel rejects it)
            kw["merge_to"] = None
        cell = Cell(row, col, style, value, **kw)
        cells.append(cell)
        return cell

    def add_input(row, col, style, inp: InputCell, merge_to=None):
        inputs.append(inp)
        add(row, col, style, input=inp, merge_to=merge_to)

    half = rubric.step == 0.5 or any(rubric.step_of(i) == 0.5 for _, i in rubric.items())
    step_text = t("step_half" if half else "step_whole", lang)

    add(0, A, "title", role="round_title", merge_to=(0, E))
    add(1, A, "label", t("unit_name", lang))
    add(1, B, "value", role="unit_name")
    add(1, C, "label", t("unit_id", lang))
    add(1, D, "value", role="unit_id", merge_to=(1, E))
    add(2, A, "label", t("deadline", lang))
    if plan and plan.nominee_label:
        add(2, B, "value", role="deadline")
        add(2, C, "label", plan.nominee_label)
        nominee = InputCell(
            name=f"{NAME_PREFIX}nominee",
            key="nominee",
            kind="field",
            label=plan.nominee_label,
            row=2,
            col=D,
            field_type="text",
            max_length=NOMINEE_MAX_LENGTH,
            required=True,
        )
        add_input(2, D, "input_text", nominee, merge_to=(2, E))
    else:
        add(2, B, "value", role="deadline", merge_to=(2, E))
    form_only = not rubric.sections and not rubric.indicators and not rubric.has_conditions
    conditions_only = rubric.has_conditions and not rubric.scored and not rubric.indicators
    if conditions_only:
        how = t("instructions_conditions", lang)
    elif rubric.scored:
        how = t("instructions", lang, score_label=rubric.score_label, step_text=step_text)
    elif rubric.indicators:
        how = t("instructions_targets", lang)
    else:
        how = t("instructions_form", lang)
    if rubric.has_conditions and not conditions_only:  # 篇2: conditions below the scores
        how += t("instructions_conditions_more", lang)
    for number, (_, item) in enumerate(rubric.items(), 1):
        if item.not_applicable:
            when = item.not_applicable.when
            how += t(
                "instructions_na", lang, number=number, when=when, score_label=rubric.score_label
            )
    earlier = how  # the 填写说明 of workbooks sent out before a shared quota was stated
    if plan and plan.shared_quota:
        how += t(
            "instructions_shared",
            lang,
            forms=joined(plan.quota_forms, lang),
            kinds=joined(plan.quota_forms, lang, "和"),
            quota=plan.quota,
        )
    if plan and plan.publicity:
        how += t("instructions_publicity", lang, days=plan.publicity_min_days)
        earlier += t("instructions_publicity", lang, days=plan.publicity_min_days)
    add(3, A, "instructions", how, merge_to=(3, E), earlier=(earlier,) if earlier != how else ())
    if form_only:  # an application form: 项目 / 内容 / 填写内容
        add(HEADER_ROW, A, "header", t("col_section", lang))
        add(HEADER_ROW, B, "header", t("col_text", lang), merge_to=(HEADER_ROW, C))
        add(HEADER_ROW, D, "header", t("col_fill", lang), merge_to=(HEADER_ROW, E))
    elif conditions_only:  # 项目 / 条件（标准原文） / 填法 / 填报 / 说明或佐证
        for col, key in enumerate(
            ("col_section", "col_condition", "col_how", "col_answer", "col_evidence")
        ):
            add(HEADER_ROW, col, "header", t(key, lang))
    else:
        keys = ("col_section", "col_text", "col_max", None, "col_note")
        if not rubric.scored:  # targets only (seed 004): 项目 / 指标 / 目标 / 实际值 / 是否达标
            keys = ("col_section", "col_indicator", "col_target", "col_actual", "col_met")
        for col, key in enumerate(keys):
            add(HEADER_ROW, col, "header", rubric.score_label if key is None else t(key, lang))

    row = HEADER_ROW + 1
    number = 0
    section_totals: list[Total] = []
    full_if_na: dict[str, list[str]] = {}  # section id → terms adding a 不适用 item's points
    rescale_na: list[str] = []  # 不适用 tests of items left out and rescaled
    for section in rubric.sections:
        first = row
        for item in section.items:
            number += 1
            na = item.not_applicable
            if na is not None and na.counts == "full":
                full_if_na.setdefault(section.id, []).append(
                    f"IF({na_test(ref(row, D))},{_fmt(item.max)},0)"
                )
            elif na is not None:
                rescale_na.append(f"IF({na_test(ref(row, D))},{_fmt(item.max)},0)")
            add(row, B, "text", f"{number}. {item.text}")
            add(row, C, "number", item.max)
            label = _item_label(number, item.text, rubric.score_label, lang)
            add_input(
                row,
                D,
                "input_score",
                score_input(rubric, item, label, row, D),
            )
            add_input(
                row,
                E,
                "input_text",
                InputCell(
                    name=f"{NAME_PREFIX}{item.id}_note",
                    key=item.id,
                    kind="note",
                    label=_note_label(number, lang),
                    row=row,
                    col=E,
                    max_length=rubric.note_max_length,
                ),
            )
            heights[row] = reserved_points(rubric.note_max_length, widths[E])
            row += 1
        sub = Total(
            f"sub_{section.id}",
            f"{NAME_PREFIX}sub_{section.id}",
            f"{section.name}{t('section_subtotal', lang)}",
            row,
            D,
            "+".join([f"SUM({ref(first, D)}:{ref(row - 1, D)})", *full_if_na.get(section.id, [])]),
        )
        add(first, A, "section", section.name, merge_to=(row, A))
        add(row, B, "subtotal_label", t("section_subtotal", lang))
        add(row, C, "subtotal", section.max)
        add(row, D, "subtotal", formula=sub.formula)
        add(row, E, "subtotal")
        section_totals.append(sub)
        totals.append(sub)
        row += 1

    if rubric.scored:  # points: subtotal, bonus and total rows
        subtotal_formula = "+".join(s.ref for s in section_totals)
        if rescale_na:  # items marked 不适用 are left out and the rest scaled to the total
            most = _fmt(rubric.items_max)
            subtotal_formula = f"({subtotal_formula})*{most}/({most}-{'-'.join(rescale_na)})"
        subtotal = Total(
            "subtotal",
            f"{NAME_PREFIX}subtotal",
            t("subtotal", lang),
            row,
            D,
            subtotal_formula,
        )
        add(row, A, "total_label", t("subtotal", lang), merge_to=(row, B))
        add(row, C, "total", rubric.items_max)
        add(row, D, "total", formula=subtotal.formula)
        add(row, E, "total")
        totals.append(subtotal)
        row += 1

        bonus_total = None
        if rubric.bonus:
            bonus = rubric.bonus
            first = row
            for b in bonus.items:
                add(row, B, "text", b.text)
                add(row, C, "number", b.points)
                add_input(
                    row,
                    D,
                    "input_score",
                    bonus_input(bonus, b, row, D),
                )
                add_input(
                    row,
                    E,
                    "input_text",
                    InputCell(
                        name=f"{NAME_PREFIX}{b.id}_note",
                        key=b.id,
                        kind="note",
                        label=f"{b.text}（{t('col_note', lang)}）",
                        row=row,
                        col=E,
                        max_length=rubric.note_max_length,
                    ),
                )
                heights[row] = reserved_points(rubric.note_max_length, widths[E])
                row += 1
            formula, label_key = bonus_formula(bonus, f"{ref(first, D)}:{ref(row - 1, D)}")
            add(first, A, "section", bonus.name, merge_to=(row, A))
            bonus_label = t(label_key, lang, cap=_fmt(bonus.cap or 0))
            add(row, B, "subtotal_label", bonus_label)
            add(row, C, "subtotal", bonus.max)
            add(row, D, "subtotal", formula=formula)
            add(row, E, "subtotal")
            bonus_total = Total("bonus", f"{NAME_PREFIX}bonus", bonus_label, row, D, formula)
            totals.append(bonus_total)
            row += 1

        total_formula = subtotal.ref + (f"+{bonus_total.ref}" if bonus_total else "")
        add(row, A, "total_label", t("total", lang), merge_to=(row, B))
        add(row, C, "total", rubric.max_total)
        add(row, D, "total", formula=total_formula)
        add(row, E, "total")
        totals.append(
            Total("total", f"{NAME_PREFIX}total", t("total", lang), row, D, total_formula)
        )
        row += 1

    if rubric.indicators:
        _indicator_rows(rubric, lang, add, add_input, row)
        row += len(rubric.indicators) + (1 if rubric.scored else 0)
    # The column headings head the score table only: repeated on every printed page they
    # also head the 否决事项, 填报信息 and 申报表 pages (a sheet has one set of print
    # titles), so they repeat only when the table runs past its first page.
    repeat_header = form_only or table_points(heights, row - 1) > PAGE_POINTS
    page_breaks: list[int] = []
    repeat_row = None
    if rubric.has_conditions:
        start = row
        row = _condition_rows(
            rubric, lang, add, add_input, heights, row, conditions_only, page_breaks
        )
        repeat_header = repeat_header or conditions_only
        if not conditions_only:  # 篇2: the conditions' own headings head their pages
            repeat_header, repeat_row = True, start + 1

    if rubric.declarations:
        add(row, A, "block_head", t("declarations_head", lang), merge_to=(row, E))
        row += 1
        first = row
        for n, decl in enumerate(rubric.declarations, 1):
            add(row, B, "text", f"（{n}）{decl.text}")
            add(row, C, "text")
            add_input(
                row,
                D,
                "input_choice",
                InputCell(
                    name=f"{NAME_PREFIX}{decl.id}",
                    key=decl.id,
                    kind="declaration",
                    label=f"{t('declarations', lang)}（{n}）",
                    row=row,
                    col=D,
                    field_type="choice",
                    choices=(t("yes", lang), t("no", lang)),
                    required=True,
                ),
            )
            add(row, E, "text")
            row += 1
        add(first, A, "section", t("declarations", lang), merge_to=(row - 1, A))

    choose: list[ChooseRule] = []
    fields_head = rubric.title if form_only and plan else t("fields", lang)
    draw = _FieldDrawer(add, add_input, heights, sum(widths[B:]), page_breaks)
    row = _field_rows(rubric, "", fields_head, lang, draw, row, choose)
    if plan and plan.application:
        app = plan.application
        page_breaks.append(row)  # the 申报表 prints on its own page
        add(row, A, "block_head", app.title, merge_to=(row, E))
        row += 1
        row = _field_rows(app, "app_", t("application", lang), lang, draw, row, choose)
    if plan and plan.publicity:
        publicity = (
            FormField(
                id="publicity_start", label=t("publicity_start", lang), type="date", required=True
            ),
            FormField(
                id="publicity_end", label=t("publicity_end", lang), type="date", required=True
            ),
        )
        row = draw(publicity, "", t("publicity", lang), row)

    return Layout(
        rubric=rubric,
        lang=lang,
        sheet_name=plan.name if plan else t("sheet_main", lang),
        cells=tuple(cells),
        inputs=tuple(inputs),
        totals=tuple(totals),
        last_row=row - 1,
        plan=plan,
        choose=tuple(choose),
        page_breaks=tuple(sorted(set(page_breaks))),
        repeat_header=repeat_header,
        repeat_row=repeat_row,
        reserved_heights=tuple(sorted(heights.items())),
    )


def _field_rows(
    rubric: Rubric,
    prefix: str,
    head: str,
    lang: str,
    draw: _FieldDrawer,
    row: int,
    choose: list[ChooseRule],
) -> int:
    """A rubric's fields (keys ``prefix + id``), its choose rules and its approval boxes."""
    A, B, D, E = 0, 1, 3, 4
    add = draw.add
    places: dict[str, int] = {}
    row = draw(rubric.fields, prefix, head, row, places)
    for rule in rubric.choose:
        choose.append(
            ChooseRule(
                label=rule.label,
                keys=tuple(prefix + f for f in rule.fields),
                min=rule.min,
                ref=ref(places[rule.fields[0]], D),
            )
        )
    if rubric.approvals:
        first = row
        for label in rubric.approvals:
            add(row, B, "label", label, merge_to=(row, 2))
            add(row, D, "approval", "", merge_to=(row, E))
            row += 1
        add(first, A, "section", t("approvals", lang), merge_to=(row - 1, A))
    return row


class _FieldDrawer:
    """Draws form fields: label B:C and input D:E, or a long text's label row and area B:E."""

    def __init__(
        self, add, add_input, heights: dict[int, float], area_width: float, page_breaks: list[int]
    ):
        self.add = add
        self.add_input = add_input
        self.heights = heights
        self.area_width = area_width
        self.page_breaks = page_breaks

    def __call__(self, fields, prefix: str, head: str, row: int, places=None) -> int:
        if not fields:
            return row
        A, B, C, D, E = range(5)
        first = row
        for f in fields:
            inp = InputCell(
                name=f"{NAME_PREFIX}{prefix}{f.id}",
                key=f"{prefix}{f.id}",
                kind="field",
                label=f.label,
                row=row,
                col=D,
                field_type=f.type,
                choices=tuple(f.choices or ()),
                max_length=f.max_length,
                about=f.about,
                min_int=f.min,
                max_int=f.max,
                required=f.required,
            )
            if f.type == "text" and (f.max_length or 0) >= LONG_TEXT:
                row = self._long_text(f, inp, row)
            else:
                style = {
                    "date": "input_date",
                    "month": "input_month",
                    "choice": "input_choice",
                }.get(f.type, "input_text")
                self.add(row, B, "label", f.shown_label, merge_to=(row, C))
                self.add_input(row, D, style, inp, merge_to=(row, E))
                row += 1
            if places is not None:
                places[f.id] = inp.row
        self.add(first, A, "section", head, merge_to=(row - 1, A))
        return row

    def _long_text(self, f: FormField, inp: InputCell, row: int) -> int:
        """The label on its own row, then B:E over as many rows as the longest answer needs.

        A row is at most 409 pt and never splits across pages, so an area taller than
        one row starts a printed page (with its label) and is sized to fit on it: at
        11 pt, or at 9 pt when 11 pt would not fit.  Beyond that (≈3300 characters)
        it continues on the next page as the spreadsheet program splits it.
        """
        B, E = 1, 4
        length = f.max_length or 0
        style, need = "input_long", reserved_points(length, self.area_width)
        if need > PAGE_POINTS:
            style, need = "input_long_small", reserved_points(length, self.area_width, SMALL_FONT)
        count = max(1, -(-int(need) // int(MAX_ROW_POINTS)))
        if count > 1:
            self.page_breaks.append(row)
        self.add(row, B, "long_label", f.shown_label, merge_to=(row, E))
        row += 1
        for r in range(row, row + count):
            self.heights[r] = max(need / count, 2 * LINE_POINTS + 6)
        area = replace(inp, row=row, col=B)
        self.add_input(row, B, style, area, merge_to=(row + count - 1, E))
        return row + count


def _condition_rows(
    rubric: Rubric,
    lang: str,
    add,
    add_input,
    heights: dict[int, float],
    row: int,
    plain: bool,
    page_breaks: list[int] | None = None,
) -> int:
    """The conditions: 申报等级 (levels only), then level by level (or star by star) the
    questions first met there, grouped as the seed's table, then the vetoes.

    One row per question of ``conditions.questions``: its words (B), how it is answered
    (C), the answer (D: 是/否 or the scale as a dropdown, or a validated number) and its
    说明或佐证 (E).  ``plain``: the sheet holds only conditions (its column headings are
    the sheet's); else (a score table above: 篇2) the block starts a printed page with its
    own headings.  A group (第7条: its label merged down column A) never straddles a page:
    ``page_breaks`` gets the row of a group that would not fit on what is left of one.
    """
    A, B, C, D, E = range(5)
    widths = CONDITION_COLUMN_WIDTHS
    used = table_points(heights, row - 1) if plain else 0.0
    pages = _Pages(page_breaks, used, page_points(widths))
    if not plain:
        pages.new_page(row)
        add(row, A, "block_head", t("conditions_block", lang), merge_to=(row, E))
        row += 1
        for col, key in enumerate(
            ("col_section", "col_condition", "col_how", "col_answer", "col_evidence")
        ):
            add(row, col, "header", t(key, lang))
        row += 1
        pages.used = 2 * PLAIN_ROW_POINTS  # the block's head and its headings
    if rubric.levels:
        pages.used += PLAIN_ROW_POINTS  # 申报等级
        names = tuple(rubric.level_names)
        add(row, A, "section", t("apply_head", lang))
        add(row, B, "label", t("apply_level", lang), merge_to=(row, C))
        add_input(
            row,
            D,
            "input_choice",
            InputCell(
                name=f"{NAME_PREFIX}{APPLY_LEVEL}",
                key=APPLY_LEVEL,
                kind="field",
                label=t("apply_level", lang),
                row=row,
                col=D,
                field_type="choice",
                choices=names,
                required=True,
            ),
            merge_to=(row, E),
        )
        row += 1
    asked = questions(rubric)
    owners = [(lv.name, lv.decided_by, lv.publicity) for lv in rubric.levels] or [
        (st.name, "", False) for st in rubric.stars
    ]
    number = 0
    per_line = (widths[E] - 2) // 2  # CJK characters on one line of the note column
    note_height = -(-CONDITION_NOTE_LENGTH // per_line) * LINE_POINTS + 6

    def question_row(q, r: int) -> None:
        nonlocal number
        number += 1
        text = q.text + (t("honour_suffix", lang) if q.kind == "honour" else "")
        add(r, B, "text", f"{number}. {text}")
        how = {"fact": "how_fact", "veto": "how_fact", "honour": "how_honour"}.get(q.kind)
        add(r, C, "number", t(how, lang) if how else (q.unit or t("how_number", lang)))
        short = q.text if len(q.text) <= 12 else q.text[:12] + "…"
        choices = tuple(q.choices)
        if q.kind == "honour":
            choices = (t("honour_none", lang), *choices)
        add_input(
            r,
            D,
            "input_choice" if q.kind != "number" else "input_score",
            InputCell(
                name=f"{NAME_PREFIX}c_{q.id}",
                key=q.id,
                kind="answer",
                label=f"第{number}项（{short}）"
                if lang != "en"
                else f"condition {number} ({short})",
                row=r,
                col=D,
                field_type="number" if q.kind == "number" else "choice",
                choices=choices if q.kind != "number" else (),
                min=q.min,
                max=q.max,
                required=q.kind == "veto",
            ),
        )
        add_input(
            r,
            E,
            "input_text",
            InputCell(
                name=f"{NAME_PREFIX}c_{q.id}_note",
                key=f"c_{q.id}",
                kind="note",
                label=f"第{number}项说明或佐证" if lang != "en" else f"condition {number} note",
                row=r,
                col=E,
                max_length=CONDITION_NOTE_LENGTH,
            ),
        )
        heights[r] = note_height

    for name, by, publicity in owners:
        mine = [q for q in asked if q.kind != "veto" and q.used_by and q.used_by[0] == name]
        if not mine:
            continue
        head = name
        if by:
            extra = t("level_publicity", lang) if publicity else ""
            head = t("level_block_by", lang, level=name, by=by, publicity=extra)
        groups: dict[str, list] = {}
        for q in mine:
            groups.setdefault(q.group, []).append(q)
        first_group = len(next(iter(groups.values())))
        pages.keep(row, PLAIN_ROW_POINTS + first_group * note_height)  # the head, 1st group
        add(row, A, "block_head", head, merge_to=(row, E))
        row += 1
        for n, (group, items) in enumerate(groups.items()):
            if n:
                pages.keep(row, len(items) * note_height)
            first = row
            for q in items:
                question_row(q, row)
                row += 1
            add(first, A, "section", group or name, merge_to=(row - 1, A))
    vetoes = [q for q in asked if q.kind == "veto"]
    if vetoes:
        blocked = "、".join(dict.fromkeys(lv for q in vetoes for lv in q.used_by))
        pages.keep(row, PLAIN_ROW_POINTS + len(vetoes) * note_height)
        add(row, A, "block_head", t("veto_block", lang, levels=blocked), merge_to=(row, E))
        row += 1
        first = row
        for q in vetoes:
            question_row(q, row)
            row += 1
        add(first, A, "section", t("veto_head", lang), merge_to=(row - 1, A))
    return row


def page_points(widths: tuple[int, ...] | list[int], slack: float = 0.95) -> float:
    """What one printed A4 portrait page holds of a sheet fitted to its width, in the
    sheet's points: the printable height (writer.py's margins: 0.6 and 0.7 inch) over the
    scale that fits these columns into the printable width (0.5 inch each side), a column
    ``w`` wide being 7(w + 0.71) + 5 pixels as Excel draws the default Calibri 11
    (LibreOffice with Carlito alike; where Calibri falls back to a wider font the page is
    drawn smaller and holds more).  ``slack`` keeps a margin for what this leaves out."""
    sheet = sum(7 * (w + 0.71) + 5 for w in widths) * 0.75  # pixels → points
    scale = min(1.0, (8.27 - 1.0) * 72 / sheet)
    return (11.69 - 1.3) * 72 / scale * slack


class _Pages:
    """Where printed pages break in a block of rows, estimated in the sheet's points by
    :func:`page_points` (a page fitted to the width; the column headings repeated atop
    each page after the first).  ``used``: the points the page holds so far."""

    def __init__(self, breaks: list[int] | None, used: float, capacity: float):
        self.breaks, self.used, self.capacity = breaks, used, capacity

    def new_page(self, row: int) -> None:
        """Start a printed page at ``row``."""
        if self.breaks is not None:
            self.breaks.append(row)
        self.used = 0.0

    def keep(self, row: int, need: float) -> None:
        """Rows from ``row`` on, ``need`` points tall, on one page: a new page starts at
        ``row`` when they would not fit on what is left of this one (unless the page holds
        nothing yet but its headings)."""
        headings = PLAIN_ROW_POINTS  # the repeated column headings
        if self.used + need > self.capacity and self.used > headings:
            self.new_page(row)
            self.used = headings
        self.used += need


def _indicator_rows(rubric: Rubric, lang: str, add, add_input, row: int) -> None:
    """One row per target: text, target, the actual value (input) and a live 达标 formula."""
    A, B, C, D, E = range(5)
    if rubric.scored:
        add(row, A, "block_head", t("indicators_head", lang), merge_to=(row, E))
        row += 1
    first = row
    met, not_met = t("met", lang), t("not_met", lang)
    for ind in rubric.indicators:
        add(row, B, "text", ind.text)
        add(row, C, "number", ind.target_text)
        cell = ref(row, D)
        add_input(
            row,
            D,
            "input_score",
            InputCell(
                name=f"{NAME_PREFIX}{ind.id}",
                key=ind.id,
                kind="indicator",
                label=ind.text,
                row=row,
                col=D,
                max=100.0 if ind.unit == "%" else None,
                required=True,
            ),
        )
        add(
            row,
            E,
            "subtotal",
            "",  # the cached result while D is empty
            formula=f'IF({cell}="","",IF({cell}{ind.op}{ind.target:g},"{met}","{not_met}"))',
        )
        row += 1
    add(first, A, "section", t("indicators", lang), merge_to=(row - 1, A))


def score_input(rubric: Rubric, item, label: str, row: int, col: int) -> InputCell:
    """An item's score cell: 0…max at the item's step, 不适用 where the rubric allows it
    (a unit's 自评分, and a reviewer's 实评分 on the review sheet)."""
    na = item.not_applicable
    return InputCell(
        name=f"{NAME_PREFIX}{item.id}",
        key=item.id,
        kind="score",
        label=label,
        row=row,
        col=col,
        max=item.max,
        step=rubric.step_of(item),
        required=True,
        not_applicable=na.when if na else "",
    )


def bonus_input(bonus, line, row: int, col: int) -> InputCell:
    """A bonus line's cell: 0 or its points (claimed by a unit, kept or struck by a reviewer)."""
    return InputCell(
        name=f"{NAME_PREFIX}{line.id}",
        key=line.id,
        kind="bonus",
        label=f"{bonus.name}：{line.text}",
        row=row,
        col=col,
        points=line.points,
        max=line.points,
        required=True,
    )


def bonus_formula(bonus, span: str) -> tuple[str, str]:
    """The 加分 formula over ``span`` (the highest line, the sum, or the sum up to the cap)
    and the label key that says which."""
    if bonus.mode == "highest":
        return f"MAX({span})", "bonus_total_highest"
    if bonus.cap is None:
        return f"SUM({span})", "bonus_total_sum"
    return f"MIN({_fmt(bonus.cap)},SUM({span}))", "bonus_total_cap"


def _item_label(number: int, text: str, score_label: str, lang: str) -> str:
    short = text if len(text) <= 12 else text[:12] + "…"
    if lang == "en":
        return f"item {number} ({short}) {score_label}"
    return f"第{number}项（{short}）{score_label}"


def _note_label(number: int, lang: str) -> str:
    return f"item {number} note" if lang == "en" else f"第{number}项备注"
