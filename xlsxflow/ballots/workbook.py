"""Ballot workbooks (测评票) and clerks' tally workbooks (录入表): written, and read back.

The one place that says where everything sits, used by the writer
(:func:`write_ballots`) and the reader (:func:`read_ballot_book`) alike, as
:mod:`xlsxflow.layout` is for unit sheets.  A ballot is one sheet ``测评票``::

    1  round title / <evaluation>测评票（<rater group>） (merged)   — role round_title
    2  测评单位：<unit> 　测评群体：<group> 　测评对象：N 人 (merged)
    3  票号：XXXX-XXXX-XXXX (merged)            — also in every printed page's header
    4  填写说明 … (merged): anonymous, how to fill, what invalidates a ballot
    5  序号 | 姓名 | 岗位或职务 | <item 1> … <item n> | 合计   ← repeats on print
    6… one row per candidate: the scores (0…max at the rubric's step), a live 合计

A grade ballot has one 评定等次 column (a dropdown of the grades); a survey ballot
has one row per question (序号 | 测评内容 | 您的评价, a dropdown per question): its
candidate is the unit itself.  Items ballots hold at most ``MAX_ITEMS`` item
columns: each item is a column, and the sheet is printed landscape one A4 page
wide (beyond 20 columns of 7 characters the print shrinks below a readable size),
and every column of the tally (two more) stays within A–Z.

A tally (``录入表``, one per unit and rater group, for ballots filled on paper) has
one block of rows per paper ballot, as many blocks as raters expected::

    5  第N张 | 票号 | 序号 | 姓名 | 岗位或职务 | <items> | 合计
    6… per block: 第N张 (merged over the block), the serial typed once (merged over the
       block), the candidates pre-printed, the scores or choices beside them

Both are locked except the input cells, validated, and signed (format
``xlsxflow-ballot-1``): the identity's ``unit_id``/``unit_name`` are the unit
(branch), never the rater, and its ``sheets`` field holds
``kind=ballot|tally;evaluation=…;group=…;serial=…|blocks=N;hash=<content hash>;
mode=mq|qm;rows=…;cols=…`` (rows and columns of the answer grid: member ids and
question ids).  The serial is :func:`.spec.make_serial` (an HMAC with the office
key): generating again writes the same serials, and the serial says nothing of
who holds the ballot (the office hands them out at random).

Every ballot of one unit and group is rendered once and stamped with each serial
(as :class:`xlsxflow.writer.WorkbookStamper` stamps unit workbooks).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape

from ..atomic import StagedDir, atomic_write_bytes
from ..checks import Where, check_locked, check_shape, read_signed_identity
from ..identity import FORMAT, Identity, key_id
from ..layout import (
    HEADER_ROW,
    LINE_POINTS,
    META_SHEET,
    BookLayout,
    Cell,
    InputCell,
    Layout,
    SheetPlan,
    ref,
)
from ..messages import Issue, XlsxflowError, make_issue
from ..ooxml import Book, RawCell, Sheet, open_book
from ..roster import Unit
from ..values import fmt, parse_choice, parse_number, parse_text, shown
from ..writer import safe_filename, workbook_bytes, wrapped_lines
from .model import Ballot, Value
from .spec import (
    Evaluation,
    Question,
    RaterGroup,
    RoundEvaluations,
    check_serial,
    issued_serials,
    normalise_serial,
)

if TYPE_CHECKING:
    from ..roster import Roster
    from ..round import RoundContext

BALLOT_FORMAT = "xlsxflow-ballot-1"
BALLOT_SHEET = "测评票"
TALLY_SHEET = "录入表"
MAX_ITEMS = 20  # item columns on one ballot (see the module docstring)
FIRST_ROW = HEADER_ROW + 1  # 0-based row of the first candidate (or question)
ROW_POINTS = 24.0  # a ballot's answer row: room to write a score by hand on paper
_PLACEHOLDER = "XFPHSERIAL0X"  # rendered once, replaced by each ballot's serial

BLANK_TEXT = "空白票（整张票一项也未填写）"


def invalid_text(ev: Evaluation) -> str:
    """What invalidates a ballot (or its part for one candidate) under the round's rules,
    as printed on the ballot."""
    kind = ev.kind
    first = ev.questions[0].choices[0] if ev.questions[0].choices else ""
    texts = {
        "items": {
            "incomplete": "对某一测评对象只打了部分项目的分",
            "all_same": "对某一测评对象各项分数全部相同",
            "all_max": "对某一测评对象各项全部打满分",
        },
        "grade": {
            "incomplete": "有测评对象没有选择等次",
            "all_same": "所有测评对象都选同一个等次",
            "all_max": f"所有测评对象都选“{first}”",
        },
        "survey": {
            "incomplete": "有测评内容没有选择评价",
            "all_same": "各项测评内容都选同一个评价",
            "all_max": f"各项测评内容都选“{first}”",
        },
    }[kind]
    rules = [BLANK_TEXT if r == "blank" else texts[r] for r in ev.spec.invalid]
    scope = "（这张票对该测评对象无效）" if kind == "items" and len(rules) > 1 else ""
    return "；".join(rules) + scope if rules else "无"


# -- what the identity signs --------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """The ``sheets`` field of a ballot's or tally's identity (see the module docstring)."""

    kind: str  # ballot | tally
    evaluation_id: str
    group_id: str
    content_hash: str
    mode: str  # mq: rows are members, columns questions; qm: rows questions (a survey)
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    serial: str = ""  # a ballot's
    blocks: int = 0  # a tally's

    def text(self) -> str:
        last = f"serial={self.serial}" if self.kind == "ballot" else f"blocks={self.blocks}"
        return (
            f"kind={self.kind};evaluation={self.evaluation_id};group={self.group_id};{last};"
            f"hash={self.content_hash};mode={self.mode};rows={','.join(self.rows)};"
            f"cols={','.join(self.cols)}"
        )

    @classmethod
    def parse(cls, text: str) -> Signed | None:
        parts = dict(p.partition("=")[::2] for p in text.split(";") if "=" in p)
        try:
            kind = parts["kind"]
            blocks = parts.get("blocks", "0")
            if kind not in ("ballot", "tally") or not blocks.isdigit():
                return None
            return cls(
                kind=kind,
                evaluation_id=parts["evaluation"],
                group_id=parts["group"],
                content_hash=parts["hash"],
                mode=parts["mode"],
                rows=tuple(filter(None, parts["rows"].split(","))),
                cols=tuple(filter(None, parts["cols"].split(","))),
                serial=parts.get("serial", ""),
                blocks=int(blocks),
            )
        except KeyError:
            return None


def file_key(identity: Identity) -> str:
    """What tells a ballots folder's files apart: a ballot's serial, a tally's
    ``录入表:<evaluation>/<group>`` (``FileRecord.serial``)."""
    signed = Signed.parse(identity.sheets)
    if signed is None:
        return ""
    if signed.kind == "ballot":
        return signed.serial
    return f"{TALLY_SHEET}:{signed.evaluation_id}/{signed.group_id}"


# -- the answer grid ----------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """Rows and answer columns of one unit's ballot (the same in its tally)."""

    desc_heads: tuple[str, ...]
    desc_widths: tuple[int, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (key, texts shown) per row
    cols: tuple[tuple[str, str, int], ...]  # (key, heading, width) per answer column
    mode: str  # mq | qm
    total: bool  # an items ballot: a 合计 column
    total_max: float = 0

    def answer_of(self, row_key: str, col_key: str) -> tuple[str, str]:
        """(member id, question id) of one answer cell."""
        return (row_key, col_key) if self.mode == "mq" else (col_key, row_key)


def grid_of(ev: Evaluation, unit_id: str) -> Grid:
    if ev.kind == "survey":
        # the answers are printed beside each question: a paper ballot has no dropdown
        rows = tuple(
            (q.id, (str(n), f"{q.text}\n（{' / '.join(q.choices)}）"))
            for n, q in enumerate(ev.questions, 1)
        )
        return Grid(("序号", "测评内容"), (6, 56), rows, ((unit_id, "您的评价", 16),), "qm", False)
    rows = tuple(
        (m.member_id, (str(n), m.name, m.post)) for n, m in enumerate(ev.candidates[unit_id], 1)
    )
    heads = ("序号", "姓名", "岗位或职务")
    if ev.kind == "grade":
        grades = " / ".join(ev.questions[0].choices)
        return Grid(
            heads, (6, 14, 20), rows, (("grade", f"评定等次\n（{grades}）", 24),), "mq", False
        )
    widths = (5, 10, 14)
    width = 7 if len(ev.questions) <= 12 else 6
    cols = tuple((q.id, f"{q.short}\n（{fmt(q.max)}分）", width) for q in ev.questions)
    total = sum(q.max for q in ev.questions)
    return Grid(heads, widths, rows, cols, "mq", True, total)


def _answer_cells(ev: Evaluation, grid: Grid) -> list[list[tuple[str, Question, str]]]:
    """Per row, per answer column: (member id, question, how messages name the cell)."""
    questions = {q.id: q for q in ev.questions}
    out = []
    for n, (row_key, texts) in enumerate(grid.rows, 1):
        row = []
        for col_key, _, _ in grid.cols:
            member_id, qid = grid.answer_of(row_key, col_key)
            q = questions[qid]
            if grid.mode == "qm":
                label = f"第{n}题（{q.short}）"
            elif ev.kind == "grade":
                label = f"{texts[1]}的评定等次"
            else:
                label = f"{texts[1]}的{q.short}得分"
            row.append((member_id, q, label))
        out.append(row)
    return out


def _instructions(ev: Evaluation, tally: bool, rows_per_block: int) -> str:
    invalid = invalid_text(ev)
    if ev.kind == "items":
        steps = {q.step for q in ev.questions}
        step = "可打 0.5 分" if 0.5 in steps else "打整数分"
        how = f"对每名测评对象逐项打分（0 至该项分值，{step}），“合计”自动计算"
    elif ev.kind == "grade":
        how = f"为每名测评对象从下拉列表中选择一个等次（{'、'.join(ev.questions[0].choices)}）"
    else:
        how = "对每一项测评内容从下拉列表中选择一个评价"
    if tally:
        return (
            f"录入说明：1. 每张纸质票占一组 {rows_per_block} 行：先在该组的“票号”格录入纸质票上的票号"
            f"（一张票只录一次），再照票录入。2. 纸质票上空着的格子就空着，不要补填；"
            f"整张空白的纸质票也要录入票号（计为空白票）。3. 同一票号录入两次、票号录错或属于其他单位的票，"
            f"读取时都会指出，不计入。4. 用不完的组留空。测评规则：{how}。无效情形：{invalid}。"
        )
    return (
        f"填写说明：1. 本票不记名，请勿在票上写姓名或作任何记号；票号只用于核验真伪、防止重复计票，"
        f"不与任何人对应。2. 请{how}。3. 以下情形无效：{invalid}。"
        f"4. 电子票填好后保存并交回原文件；纸质票请交计票人。"
    )


def _layout(
    ev: Evaluation,
    unit: Unit,
    group: RaterGroup,
    *,
    serial: str = "",
    blocks: int = 0,
) -> Layout:
    """One ballot (``serial``) or one tally (``blocks``) of a unit and rater group."""
    tally = blocks > 0
    grid = grid_of(ev, unit.unit_id)
    lead = 2 if tally else 0  # 第N张 and 票号
    first_desc = lead
    first_answer = lead + len(grid.desc_heads)
    total_col = first_answer + len(grid.cols)
    widths = (
        *((7, 16) if tally else ()),
        *grid.desc_widths,
        *(w for _, _, w in grid.cols),
        *((8,) if grid.total else ()),
    )
    last = len(widths) - 1
    per_block = len(grid.rows)
    name = TALLY_SHEET if tally else BALLOT_SHEET
    subtitle = f"{ev.title}{'录入表' if tally else '票'}（{group.label}）"
    plan = SheetPlan(key=name, name=name, form_id=ev.id, slot=0, subtitle=subtitle)
    cells: list[Cell] = []
    inputs: list[InputCell] = []
    heights: dict[int, float] = {}

    def add(row, col, style, value=None, **kw):
        if kw.get("merge_to") == (row, col):
            kw["merge_to"] = None
        cells.append(Cell(row, col, style, value, **kw))

    def add_input(style, inp: InputCell, merge_to=None):
        inputs.append(inp)
        add(inp.row, inp.col, style, input=inp, merge_to=merge_to)

    who = "测评内容" if grid.mode == "qm" else "测评对象"
    add(0, 0, "title", role="round_title", merge_to=(0, last))
    add(
        1,
        0,
        "value",
        f"测评单位：{unit.name}（{unit.unit_id}）　　测评群体：{group.label}　　"
        f"{who}：{len(grid.rows)} {'项' if grid.mode == 'qm' else '人'}",
        merge_to=(1, last),
    )
    third = f"纸质票录入表：共 {blocks} 张票的位置" if tally else f"票号：{serial}"
    add(2, 0, "label", third, merge_to=(2, last))
    heights[1] = wrapped_lines(cells[-2].value, sum(widths)) * LINE_POINTS + 6
    add(3, 0, "instructions", _instructions(ev, tally, per_block), merge_to=(3, last))
    heads = [
        *(("第N张", "票号") if tally else ()),
        *grid.desc_heads,
        *(h for _, h, _ in grid.cols),
        *((f"合计\n（{fmt(grid.total_max)}分）",) if grid.total else ()),
    ]
    for col, text in enumerate(heads):
        add(HEADER_ROW, col, "header", text)
    lines = max(wrapped_lines(text, widths[col]) for col, text in enumerate(heads))
    heights[HEADER_ROW] = max(lines, 2) * LINE_POINTS + 4

    answer_cells = _answer_cells(ev, grid)
    for block in range(max(blocks, 1)):
        top = FIRST_ROW + block * per_block
        ticket = f"第{block + 1}张票：" if tally else ""
        if tally:
            end = top + per_block - 1
            add(top, 0, "section", f"第{block + 1}张", merge_to=(end, 0))
            add_input(
                "input_text",
                InputCell(
                    name="",
                    key=f"{block}\tserial",
                    kind="field",
                    label=f"第{block + 1}张票的票号",
                    row=top,
                    col=1,
                    field_type="text",
                    max_length=20,
                ),
                merge_to=(end, 1),
            )
        for r, (_, texts) in enumerate(grid.rows):
            row = top + r
            for c, text in enumerate(texts):
                add(row, first_desc + c, "number" if c == 0 else "text", text)
            for c, (member_id, q, label) in enumerate(answer_cells[r]):
                label = ticket + label
                col = first_answer + c
                key = f"{block}\t{member_id}\t{q.id}"
                if q.scored:
                    inp = InputCell(
                        name="",
                        key=key,
                        kind="score",
                        label=label,
                        row=row,
                        col=col,
                        max=q.max,
                        step=q.step,
                    )
                    add_input("input_score", inp)
                else:
                    inp = InputCell(
                        name="",
                        key=key,
                        kind="field",
                        label=label,
                        row=row,
                        col=col,
                        field_type="choice",
                        choices=q.choices,
                    )
                    add_input("input_choice", inp)
            if grid.total:
                span = f"{ref(row, first_answer)}:{ref(row, total_col - 1)}"
                add(row, total_col, "subtotal", "", formula=f'IF(COUNT({span})=0,"",SUM({span}))')
            if not tally:
                heights[row] = ROW_POINTS
    last_row = FIRST_ROW + max(blocks, 1) * per_block - 1
    return Layout(
        rubric=ev.rubric,  # unused: the plan gives the subtitle and ``widths`` the columns
        lang="zh",
        sheet_name=name,
        cells=tuple(cells),
        inputs=tuple(inputs),
        totals=(),
        last_row=last_row,
        plan=plan,
        reserved_heights=tuple(sorted(heights.items())),
        repeat_header=True,
        widths=widths,
        landscape=sum(widths) > 100,
        shared_validations=True,
        header=f"{unit.name} {group.label} 录入表" if tally else f"票号 {serial}",
    )


_TEMPLATES: dict[tuple, Layout] = {}


def ballot_layout(ev: Evaluation, unit: Unit, group: RaterGroup, serial: str) -> Layout:
    """The sheet of one ballot of a unit and rater group (the unit's and group's drawn
    once, cached: ingest asks per file; the serial is put in)."""
    key = (ev.id, unit.unit_id, unit.name, group.id, group.label, ev.content_hash(unit.unit_id))
    template = _TEMPLATES.get(key)
    if template is None:
        if len(_TEMPLATES) > 500:
            _TEMPLATES.clear()
        template = _TEMPLATES[key] = _layout(ev, unit, group, serial=_PLACEHOLDER)
    cells = tuple(
        replace(c, value=c.value.replace(_PLACEHOLDER, serial))
        if isinstance(c.value, str) and _PLACEHOLDER in c.value
        else c
        for c in template.cells
    )
    return replace(template, cells=cells, header=template.header.replace(_PLACEHOLDER, serial))


def tally_layout(ev: Evaluation, unit: Unit, group: RaterGroup, blocks: int) -> Layout:
    """The clerk's tally of a unit and rater group: ``blocks`` paper ballots."""
    return _layout(ev, unit, group, blocks=max(blocks, 1))


def _signed(ev: Evaluation, unit: Unit, group: RaterGroup, **kw) -> Signed:
    grid = grid_of(ev, unit.unit_id)
    return Signed(
        kind="ballot" if "serial" in kw else "tally",
        evaluation_id=ev.id,
        group_id=group.id,
        content_hash=ev.content_hash(unit.unit_id),
        mode=grid.mode,
        rows=tuple(k for k, _ in grid.rows),
        cols=tuple(k for k, _, _ in grid.cols),
        **kw,
    )


def ballot_identity(
    ctx: RoundContext, unit: Unit, signed: Signed, key: bytes, generated_at: str = ""
) -> Identity:
    rubric_id, _, version, content_hash = ctx.signed_as
    return Identity(
        format=BALLOT_FORMAT,
        round_id=ctx.record.round_id if ctx.record else "",
        round_title=ctx.title,
        deadline="",
        rubric_id=rubric_id,
        rubric_version=version,
        rubric_hash=content_hash,
        lang="zh",
        unit_id=unit.unit_id,
        unit_name=unit.name,
        generated_at=generated_at or datetime.now().astimezone().isoformat(timespec="seconds"),
        key_id=key_id(key),
        sheets=signed.text(),
    )


# -- writing ------------------------------------------------------------------------------


class _SerialStamper:
    """One unit and group's ballot rendered once; each serial stamped into a copy."""

    def __init__(self, layout: Layout, identity: Identity, key: bytes):
        self.key = key
        self.identity = identity
        data = workbook_bytes(BookLayout((layout,), layout.subtitle), identity, key)
        self.signature = identity.sign(key)
        marks = (_PLACEHOLDER.encode(), self.signature.encode())
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            self.parts = [
                (info, body, any(m in body for m in marks))
                for info, body in ((i, zf.read(i)) for i in zf.infolist())
            ]

    def stamp(self, serial: str) -> bytes:
        identity = replace(self.identity, sheets=self.identity.sheets.replace(_PLACEHOLDER, serial))
        values = {_PLACEHOLDER: serial, self.signature: identity.sign(self.key)}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, body, stamped in self.parts:
                if stamped:
                    text = body.decode("utf-8")
                    for old, new in values.items():
                        text = text.replace(old, new)
                    body = text.encode("utf-8")
                zf.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
        return out.getvalue()


@dataclass(frozen=True)
class BallotFile:
    path: Path
    evaluation_id: str
    unit_id: str
    group_id: str
    serial: str


@dataclass(frozen=True)
class TallyFile:
    path: Path
    evaluation_id: str
    unit_id: str
    group_id: str
    blocks: int


@dataclass
class BallotsGenerated:
    """What ``ballots generate`` wrote."""

    out_dir: Path
    files: list[BallotFile] = field(default_factory=list)
    tallies: list[TallyFile] = field(default_factory=list)
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (ev, unit, group)


def evaluation_folder(ev: Evaluation) -> str:
    return safe_filename(ev.title, 40)


def unit_folder(unit: Unit) -> str:
    """``第一党支部_ZB01``: the name first, the id so that a returned file is tied to it."""
    return f"{safe_filename(unit.name, 40)}_{safe_filename(unit.unit_id, 40)}"


def ballot_filename(serial: str) -> str:
    return f"测评票_{serial}.xlsx"


def tally_filename(unit: Unit, group: RaterGroup) -> str:
    return f"录入表-{safe_filename(unit.name, 40)}-{safe_filename(group.label, 20)}.xlsx"


def write_ballots(
    ctx: RoundContext,
    evals: RoundEvaluations,
    out_dir: Path,
    *,
    key: bytes | None = None,
    units: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BallotsGenerated:
    """Every ballot and tally of the round's evaluations into ``out_dir``.

    ``out_dir/<evaluation>/<unit>_<id>/<group>/测评票_<serial>.xlsx`` and
    ``out_dir/<evaluation>/<unit>_<id>/录入表-<unit>-<group>.xlsx``; each evaluation's
    folder is swapped in whole (``StagedDir``).  With ``units`` only those units'
    folders are rewritten.  A folder holding another round's ballots is refused.
    ``key`` defaults to the round's (``ctx.key``); the serials depend only on it, the
    round, evaluation, unit and group: the same command writes the same serials.
    """
    key = key or ctx.key
    round_id = ctx.record.round_id if ctx.record else ""
    out_dir = Path(out_dir)
    wanted = list(dict.fromkeys(units)) if units is not None else None
    if wanted is not None:
        known = list(dict.fromkeys(u.unit_id for e in evals.evaluations.values() for u in e.units))
        unknown = [i for i in wanted if i not in known]
        if unknown:
            names = "、".join(evals.evaluations)
            raise XlsxflowError(
                [
                    make_issue(
                        "ballot-unknown-unit-arg", id=i, evaluation=names, known="、".join(known)
                    )
                    for i in unknown
                ]
            )
    for ev in evals.evaluations.values():
        if ev.kind == "items" and len(ev.questions) > MAX_ITEMS:
            raise XlsxflowError(
                make_issue(
                    "ballot-too-many-questions",
                    evaluation=ev.title,
                    count=len(ev.questions),
                    max=MAX_ITEMS,
                )
            )
        found = _round_in(out_dir / evaluation_folder(ev))
        if found and found != round_id:
            raise XlsxflowError(
                make_issue(
                    "ballot-out-other-round", path=str(out_dir / evaluation_folder(ev)), found=found
                )
            )
    result = BallotsGenerated(out_dir)
    generated_at = datetime.now().astimezone().isoformat(timespec="seconds")
    for ev in evals.evaluations.values():
        chosen = [u for u in ev.units if wanted is None or u.unit_id in wanted]
        if not chosen:
            continue
        ours = {unit_folder(u) for u in ev.units}
        rewritten = {unit_folder(u) for u in chosen}

        def carry(entry: Path, ours=ours, rewritten=rewritten) -> bool:
            """Keep what is not a unit folder of this evaluation, and the units not rewritten."""
            return entry.name not in ours or (wanted is not None and entry.name not in rewritten)

        staged = StagedDir(out_dir / evaluation_folder(ev), carry=carry)
        try:
            for unit in chosen:
                unit_dir = staged.path / unit_folder(unit)
                for group in ev.spec.raters:
                    count = ev.expected.get((unit.unit_id, group.id), 0)
                    result.counts[(ev.id, unit.unit_id, group.id)] = count
                    if count == 0:
                        continue
                    _write_group(
                        ctx,
                        ev,
                        unit,
                        group,
                        count,
                        unit_dir,
                        key,
                        round_id,
                        generated_at,
                        result,
                        progress,
                    )
            staged.commit()
        finally:
            staged.discard()
    return result


def _write_group(
    ctx: RoundContext,
    ev: Evaluation,
    unit: Unit,
    group: RaterGroup,
    count: int,
    unit_dir: Path,
    key: bytes,
    round_id: str,
    generated_at: str,
    result: BallotsGenerated,
    progress: Callable[[int], None] | None,
) -> None:
    """One unit and group: ``count`` ballots and the tally, written into the staging folder."""
    final_dir = result.out_dir / evaluation_folder(ev) / unit_folder(unit)
    group_dir = safe_filename(group.label, 20)
    layout = ballot_layout(ev, unit, group, _PLACEHOLDER)
    identity = ballot_identity(
        ctx, unit, _signed(ev, unit, group, serial=_PLACEHOLDER), key, generated_at
    )
    stamper = _SerialStamper(layout, identity, key)
    for serial in issued_serials(key, round_id, ev.id, unit.unit_id, group.id, count):
        name = ballot_filename(serial)
        atomic_write_bytes(unit_dir / group_dir / name, stamper.stamp(serial), durable=False)
        result.files.append(
            BallotFile(final_dir / group_dir / name, ev.id, unit.unit_id, group.id, serial)
        )
        if progress:
            progress(1)
    tally = tally_layout(ev, unit, group, count)
    identity = ballot_identity(ctx, unit, _signed(ev, unit, group, blocks=count), key, generated_at)
    name = tally_filename(unit, group)
    data = workbook_bytes(BookLayout((tally,), tally.subtitle), identity, key)
    atomic_write_bytes(unit_dir / name, data, durable=False)
    result.tallies.append(TallyFile(final_dir / name, ev.id, unit.unit_id, group.id, count))
    if progress:
        progress(1)


def _round_in(folder: Path) -> str:
    """The round id of a ballot already in ``folder`` ("" when there is none)."""
    if not folder.is_dir():
        return ""
    for path in sorted(folder.rglob("*.xlsx"))[:5]:
        try:
            book = open_book(path.read_bytes())
        except Exception:  # not a workbook of ours: nothing to protect
            continue
        try:
            rows = _meta_rows(book)
        finally:
            book.close()
        if rows.get("format") == BALLOT_FORMAT and rows.get("round_id"):
            return rows["round_id"]
    return ""


def _meta_rows(book: Book) -> dict[str, str]:
    info = book.sheet_info(META_SHEET)
    if info is None:
        return {}
    sheet = book.read_sheet(info)
    out = {}
    for (row, col), cell in sheet.cells.items():
        if col == 0 and isinstance(cell.value, str):
            value = sheet.get(row, 1)
            out[cell.value] = "" if value is None or value.value is None else shown(value)
    return out


# -- reading ------------------------------------------------------------------------------


@dataclass
class BallotReading:
    """What ballots are checked against (``RoundContext.balloting``)."""

    evals: RoundEvaluations
    senders: Roster | None = None  # unused: ballots are tied to the units (the roster)


def read_ballot_book(
    book: Book, path: str, ctx: RoundContext, reading: BallotReading
) -> tuple[Identity | None, list[Ballot], list[Issue]]:
    """The identity, the ballots and the issues of one ballot file or tally.

    ``identity`` is None when the file cannot be counted (not a ballot of this
    round, an unknown evaluation, unit or group, candidates changed since, a forged
    serial, a locked cell changed): the issues then end with the reason.  A ballot
    file gives one :class:`Ballot` (blank ones too: counting says they are blank);
    a tally one per filled block.
    """
    where = Where(path)
    meta = Where(path, META_SHEET)
    identity, issues = read_signed_identity(book, ctx, where, BALLOT_FORMAT)
    if identity is None:
        return None, [], _not_ballot(book, issues, path)
    signed = Signed.parse(identity.sheets)
    if signed is None:
        return None, [], [*issues, meta("ballot-identity-bad", detail="sheets 字段格式不对")]
    ev = reading.evals.evaluations.get(signed.evaluation_id)
    if ev is None:
        return None, [], [*issues, meta("ballot-unknown-evaluation", id=signed.evaluation_id)]
    unit = ev.unit(identity.unit_id)
    if unit is None:
        return (
            None,
            [],
            [*issues, meta("ballot-unknown-unit", id=identity.unit_id, evaluation=ev.title)],
        )
    group = ev.group(signed.group_id)
    if group is None:
        return (
            None,
            [],
            [*issues, meta("ballot-unknown-group", id=signed.group_id, evaluation=ev.title)],
        )
    if signed.content_hash != ev.content_hash(unit.unit_id):
        return (
            None,
            [],
            [*issues, meta("ballot-candidates-changed", unit=f"{unit.name}（{unit.unit_id}）")],
        )
    if signed.kind == "ballot":
        serial = normalise_serial(signed.serial) or signed.serial
        if not check_serial(ctx.key, serial, identity.round_id, ev.id, unit.unit_id, group.id):
            return (
                None,
                [],
                [
                    *issues,
                    meta(
                        "ballot-serial-invalid",
                        serial=signed.serial,
                        unit=unit.name,
                        group=group.label,
                    ),
                ],
            )
        layout = ballot_layout(ev, unit, group, serial)
    else:
        layout = tally_layout(ev, unit, group, signed.blocks)
    info = book.sheet_info(layout.sheet_name)
    if info is None:
        return None, [], [*issues, where("ballot-sheet-missing", sheet=layout.sheet_name)]
    sheet = book.read_sheet(info)
    here = Where(path, layout.sheet_name)
    tampered = list(check_locked(sheet, layout, identity, here))
    if tampered:
        return None, [], [*issues, *tampered]
    issues.extend(check_shape(book, [(layout, sheet)], BookLayout((layout,), ""), where))
    grid = grid_of(ev, unit.unit_id)
    if signed.kind == "ballot":
        ballot = Ballot(serial, ev.id, unit.unit_id, group.id, path)
        issues.extend(_read_answers(sheet, _by_block(layout)[0], ev, grid, ballot, here))
        if ballot.blank:
            issues.append(here("ballot-blank"))
        return identity, [ballot], issues
    ballots, found = _read_tally(
        sheet, layout, ctx, identity.round_id, ev, unit, group, grid, path, here
    )
    return identity, ballots, [*issues, *found]


def _not_ballot(book: Book, issues: list[Issue], path: str) -> list[Issue]:
    """A genuine workbook of another kind (a unit's return, a reviewer's) named as such."""
    if not issues or issues[-1].code not in ("identity-not-review", "review-recorded-round"):
        return issues
    last = issues[-1]
    meta = Where(path, META_SHEET)
    if last.code == "review-recorded-round":
        return [
            *issues[:-1],
            meta("ballot-recorded-round", **{k: v for k, v in last.fields.items() if k != "sheet"}),
        ]
    kind = _meta_rows(book).get("format", "")
    what = "自评表（单位报送的工作簿）" if kind == FORMAT else "评审表"
    return [
        *issues[:-1],
        meta(
            "ballot-not-ballot",
            name=last.fields["name"],
            id=last.fields["id"],
            what=what,
            unit_return=kind == FORMAT,
        ),
    ]


def _filled(cell: RawCell | None) -> bool:
    return cell is not None and bool(cell.formula or shown(cell).strip())


def _by_block(layout: Layout) -> dict[int, list[InputCell]]:
    """The answer cells of each block (a ballot: block 0), serial cells left out."""
    out: dict[int, list[InputCell]] = {}
    for inp in layout.inputs:
        block, _, rest = inp.key.partition("\t")
        if rest != "serial":
            out.setdefault(int(block), []).append(inp)
    return out


def _read_answers(
    sheet: Sheet, inputs: list[InputCell], ev: Evaluation, grid: Grid, ballot: Ballot, here: Where
) -> list[Issue]:
    """The answer cells of one ballot (a tally's block) into ``ballot``."""
    issues: list[Issue] = []
    for row_key, _ in grid.rows:
        for col_key, _, _ in grid.cols:
            member_id, qid = grid.answer_of(row_key, col_key)
            ballot.answers.setdefault(member_id, {})[qid] = None
    questions = {q.id: q for q in ev.questions}
    for inp in inputs:
        _, member_id, qid = inp.key.split("\t")
        value, code, issue = _parse(sheet.get(inp.row, inp.col), inp, questions[qid], here)
        if issue is not None:
            issues.append(issue)
        if code is not None:
            ballot.bad.setdefault(member_id, {})[qid] = code
        ballot.answers[member_id][qid] = value
    return issues


def _parse(
    cell: RawCell | None, inp: InputCell, q: Question, here: Where
) -> tuple[Value, str | None, Issue | None]:
    """(value, issue code when unreadable or out of range, the issue) of one answer cell."""
    at, label = inp.ref, inp.label
    if q.scored:
        parsed = parse_number(cell)
        if parsed.status == "missing":
            return None, None, None
        if parsed.status == "formula":
            issue = here("value-formula-in-input", cell=at, label=label, formula=parsed.found)
            return None, issue.code, issue
        if parsed.status == "not_number":
            issue = here("value-not-number", cell=at, label=label, found=parsed.found[:40])
            return None, issue.code, issue
        value = parsed.value
        if value < 0 or value > q.max + 1e-9:
            issue = here(
                "value-out-of-range", cell=at, label=label, value=fmt(value), max=fmt(q.max)
            )
            return None, issue.code, issue
        units = value / q.step
        if abs(units - round(units)) > 1e-9:
            step_text = "0.5 分" if q.step == 0.5 else "整分"
            issue = here("value-step", cell=at, label=label, value=fmt(value), step_text=step_text)
            return None, issue.code, issue
        if parsed.status == "normalised":
            return (
                value,
                None,
                here(
                    "value-normalised",
                    cell=at,
                    label=label,
                    found=parsed.found[:40],
                    value=fmt(value),
                ),
            )
        return value, None, None
    parsed = parse_choice(cell, q.choices)
    if parsed.status == "missing":
        return None, None, None
    if parsed.status == "formula":
        issue = here("value-formula-in-input", cell=at, label=label, formula=parsed.found)
        return None, issue.code, issue
    if parsed.status == "bad_choice":
        issue = here(
            "value-bad-choice",
            cell=at,
            label=label,
            choices="、".join(q.choices),
            found=parsed.found[:40],
        )
        return None, issue.code, issue
    if parsed.removed:
        return (
            parsed.value,
            None,
            here("value-control-chars", cell=at, label=label, chars=parsed.removed),
        )
    return parsed.value, None, None


def _read_tally(
    sheet: Sheet,
    layout: Layout,
    ctx: RoundContext,
    round_id: str,
    ev: Evaluation,
    unit: Unit,
    group: RaterGroup,
    grid: Grid,
    path: str,
    here: Where,
) -> tuple[list[Ballot], list[Issue]]:
    """Each filled block of a tally as a Ballot; serials checked, typed twice caught."""
    issues: list[Issue] = []
    ballots: list[Ballot] = []
    seen: dict[str, str] = {}
    per_block = len(grid.rows)
    serial_cells = {
        inp.key.split("\t")[0]: inp for inp in layout.inputs if inp.key.endswith("\tserial")
    }
    answer_cells = _by_block(layout)
    for block in range(len(serial_cells)):
        serial_inp = serial_cells[str(block)]
        top = FIRST_ROW + block * per_block
        rows = f"{ref(top, 0)}:{ref(top + per_block - 1, layout.last_col)}"
        inputs = answer_cells.get(block, [])
        filled = any(_filled(sheet.get(i.row, i.col)) for i in inputs)
        typed = parse_text(sheet.get(serial_inp.row, serial_inp.col))
        at = serial_inp.ref
        if typed.status == "missing":
            if filled:
                issues.append(here("tally-no-serial", cell=at, n=block + 1, rows=rows))
            continue
        serial = normalise_serial(str(typed.value or typed.found))
        if serial is None:
            issues.append(
                here("tally-serial-unreadable", cell=at, n=block + 1, found=str(typed.found)[:40])
            )
            continue
        if not check_serial(ctx.key, serial, round_id, ev.id, unit.unit_id, group.id):
            owner = _owner(ctx.key, serial, round_id, ev)
            if owner is None:
                issues.append(here("tally-serial-unknown", cell=at, serial=serial))
            else:
                other_unit, other_group = owner
                issues.append(
                    here(
                        "tally-serial-other-unit",
                        cell=at,
                        serial=serial,
                        unit=f"{other_unit.name}（{other_unit.unit_id}）",
                        group=other_group.label,
                        here=unit.name,
                        here_group=group.label,
                    )
                )
            continue
        if serial in seen:
            issues.append(
                here("tally-serial-twice", cell=at, serial=serial, first=seen[serial], again=at)
            )
            continue
        seen[serial] = at
        ballot = Ballot(
            serial,
            ev.id,
            unit.unit_id,
            group.id,
            path,
            source="tally",
            where=f"{layout.sheet_name}!{rows}",
        )
        issues.extend(_read_answers(sheet, inputs, ev, grid, ballot, here))
        ballots.append(ballot)
    return ballots, issues


def _owner(
    key: bytes, serial: str, round_id: str, ev: Evaluation
) -> tuple[Unit, RaterGroup] | None:
    """The unit and rater group of the evaluation whose serial this is, if any."""
    for unit in ev.units:
        for group in ev.spec.raters:
            if check_serial(key, serial, round_id, ev.id, unit.unit_id, group.id):
                return unit, group
    return None


# -- filling (tests, samples and the demo) --------------------------------------------------


def _positions(
    signed: Signed, top: int, first_answer: int
) -> dict[tuple[str, str], tuple[int, int]]:
    """(member id, question id) → 1-based (row, column) of its cell in a block at ``top``."""
    out = {}
    for r, row_key in enumerate(signed.rows):
        for c, col_key in enumerate(signed.cols):
            pair = (row_key, col_key) if signed.mode == "mq" else (col_key, row_key)
            out[pair] = (top + r + 1, first_answer + c + 1)
    return out


_EMPTY_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"((?: s="[0-9]+")?)\s*/>')


def _signed_of(data: bytes) -> Signed:
    book = open_book(data)
    try:
        signed = Signed.parse(_meta_rows(book).get("sheets", ""))
        sheets = {info.name: info.part for info in book.sheets}
    finally:
        book.close()
    if signed is None:
        raise ValueError("not a ballot or tally workbook of xlsxflow")
    return signed, sheets


def _fill_cells(data: bytes, part: str, values: dict[str, Value]) -> bytes:
    """``data`` with the empty cells ``values`` names (A1 refs) given those values.

    The generated sheet's empty input cells are rewritten in place (a number, or an
    inline string): one pass over the sheet, the rest of the package as it was.
    """

    def cell(match: re.Match) -> bytes:
        at = match.group(1).decode()
        value = values.get(at)
        if value is None:
            return match.group(0)
        head = b'<c r="' + match.group(1) + b'"' + match.group(2)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return head + b"><v>" + repr(float(value)).encode() + b"</v></c>"
        text = xml_escape(str(value)).encode()
        return head + b' t="inlineStr"><is><t xml:space="preserve">' + text + b"</t></is></c>"

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info)
            if info.filename == part:
                body = _EMPTY_CELL.sub(cell, body)
            dst.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _desc_count(signed: Signed) -> int:
    return 2 if signed.mode == "qm" else 3


def _refs(signed: Signed, top: int, answers: dict[str, dict[str, Value]]) -> dict[str, Value]:
    first_answer = (2 if signed.kind == "tally" else 0) + _desc_count(signed)
    where = _positions(signed, top, first_answer)
    out = {}
    for member_id, by_question in answers.items():
        for qid, value in by_question.items():
            row, col = where[(member_id, qid)]
            out[ref(row - 1, col - 1)] = value
    return out


def fill_ballot_bytes(data: bytes, answers: dict[str, dict[str, Value]]) -> bytes:
    """A generated ballot filled in: ``answers[member id][question id]`` (None: left blank).

    Written straight into the sheet as a script would (validation does not stop it).
    """
    signed, parts = _signed_of(data)
    return _fill_cells(data, parts[BALLOT_SHEET], _refs(signed, FIRST_ROW, answers))


def fill_tally_bytes(
    data: bytes, blocks: list[tuple[str | None, dict[str, dict[str, Value]]]]
) -> bytes:
    """A generated tally typed in by a clerk: per block, the serial (None: left out) and
    the answers."""
    signed, parts = _signed_of(data)
    per_block = len(signed.rows)
    values: dict[str, Value] = {}
    for block, (serial, answers) in enumerate(blocks):
        top = FIRST_ROW + block * per_block
        values[ref(top, 1)] = serial
        values.update(_refs(signed, top, answers))
    return _fill_cells(data, parts[TALLY_SHEET], values)
