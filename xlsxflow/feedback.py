"""Feedback for units: their workbook with the problem cells marked, and a short message.

For each unit whose newest return was rejected or has errors or warnings, a copy
of that workbook goes to the feedback folder with every problem cell filled red
and commented in Chinese, plus a ``.txt`` message listing the problems.  A unit
whose files were all rejected (tied to it by identity sheet, sender or file
name, see ``ingest.tie_rejected``) gets a fresh copy of the workbook generated
for it and a message naming each file, why it could not be used and how it was
tied to the unit.  ``xlsxflow send FOLDER --template feedback`` mails them; the message
fills the template's ``{problems}``.  Returned files are never modified.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.hyperlink import Hyperlink

from .atomic import atomic_path, atomic_write_bytes
from .ingest import TIED_BY, FileRecord, IngestReport, source_bytes
from .layout import FEEDBACK_SHEET
from .mail import pair_units
from .messages import Issue, Severity
from .ooxml import canonical_package, parse_ref
from .round import RoundContext
from .values import writable
from .writer import safe_filename, wrapped_lines

PROBLEM_FILL = PatternFill("solid", start_color="FFFF9999", end_color="FFFF9999")
DEFAULT_AUTHOR = "评选办公室"  # who signs the comments when the round names no issuer
FONT = "宋体"  # as the unit's sheets
SEVERITY_TEXT = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass
class FeedbackItem:
    unit_id: str
    unit_name: str
    workbook: Path
    message: Path
    problems: int
    fresh: bool = False  # every file of the unit was rejected: a fresh copy of its workbook


def _problems(record: FileRecord) -> list[Issue]:
    return [i for i in record.issues if i.severity in (Severity.ERROR, Severity.WARNING)]


def message_text(unit_name: str, problems: list[Issue], deadline: str, file_name: str) -> str:
    lines = []
    for n, issue in enumerate(problems, 1):
        where = f"（{issue.sheet}!{issue.cell}）" if issue.cell else ""
        lines.append(f"{n}. {issue.message}{where}")
    lines.append("")
    lines.append(f"（核验的文件：{file_name}）请修改后于 {deadline} 前重新报送。")
    return "\n".join(lines) + "\n"


def rejected_text(records: list[FileRecord], deadline: str) -> str:
    """The message for a unit none of whose files could be used: each file and why."""
    lines = ["贵单位报送的以下文件无法使用，未能接受："]
    for n, record in enumerate(records, 1):
        reason = next((i.message for i in reversed(_problems(record))), record.reason)
        lines.append(f"{n}. {writable(record.path)}：{reason}")
    hows = "、".join(  # a valid signature is no guess: nothing to explain
        dict.fromkeys(TIED_BY[r.tied_by] for r in records if r.tied_by not in ("", "signature"))
    )
    if hows:
        lines.append(f"（以上文件按{hows}认定为贵单位报送；如不是贵单位所发，请告知。）")
    lines.append("")
    lines.append(
        f"附件是重新下发的本单位工作簿（原件，未填写）。请在附件中填写后保存为 .xlsx，"
        f"于 {deadline} 前重新报送；不要压缩，不要另存为 .xls。"
    )
    return "\n".join(lines) + "\n"


def annotate(
    data: bytes, problems: list[Issue], author: str = DEFAULT_AUTHOR, deadline: str = ""
) -> bytes:
    """The workbook with each problem cell filled and commented (the returned file is untouched).

    A first sheet 问题清单 lists every problem (it prints in any program, and ingest
    ignores it when the corrected copy comes back); the book opens on the first sheet
    with a problem, that cell selected; comments print with the sheet.
    """
    try:
        wb = openpyxl.load_workbook(io.BytesIO(canonical_package(data)))
    except Exception:  # read by xlsxflow but not by openpyxl: sent back as it came, the
        return data  # message lists every problem with its cell
    order = {name: n for n, name in enumerate(wb.sheetnames)}
    listed = sorted(problems, key=lambda i: _place(i, order))
    by_cell: dict[tuple[str, str], list[str]] = {}
    for issue in listed:
        if issue.sheet in wb.sheetnames and issue.cell:
            by_cell.setdefault((issue.sheet, issue.cell), []).append(issue.message)
    marked: list[tuple[str, str]] = []
    for (sheet, cell), texts in by_cell.items():
        target = wb[sheet][cell]
        if type(target).__name__ == "MergedCell":
            continue
        target.fill = PROBLEM_FILL
        comment = Comment("\n".join(texts), author)
        comment.width, comment.height = 320, 60 + 40 * len(texts)
        target.comment = comment
        # LibreOffice prints a sheet's comments (at its end, with the cell) only for
        # "asDisplayed"; it ignores "atEnd". The 问题清单 is the list every program prints.
        wb[sheet].page_setup.cellComments = "asDisplayed"
        marked.append((sheet, cell))
    _problem_list(wb, listed, order, deadline)
    if marked:
        _open_at(wb, *marked[0])
    elif first_sheet := next((i.sheet for i in listed if i.sheet in wb.sheetnames), None):
        _open_at(wb, first_sheet, "A1")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _place(issue: Issue, order: dict[str, int]) -> tuple:
    """Sort key: the workbook's sheet order, then row and column (file-level issues first)."""
    pos = parse_ref(issue.cell) if issue.cell else None
    return (order.get(issue.sheet, -1) if issue.sheet else -1, pos or (-1, -1))


def _problem_list(wb, problems: list[Issue], order: dict[str, int], deadline: str) -> None:
    """The first sheet: every problem with its sheet and cell (unprotected, printable)."""
    ws = wb.create_sheet(FEEDBACK_SHEET, 0)
    when = f"于 {deadline} 前" if deadline else ""
    ws.append(
        [
            f"{FEEDBACK_SHEET}（共 {len(problems)} 条）：请在各工作表中按下表修改（红色单元格），"
            f"改好后保存为 .xlsx，{when}重新报送。本页不用修改，也不用删除。"
        ]
    )
    ws.merge_cells("A1:E1")
    ws.append(["序号", "级别", "工作表", "单元格", "问题"])
    widths = {"A": 6, "B": 7, "C": 14, "D": 9, "E": 70}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    thin = Side(style="thin", color="FF808080")
    for n, issue in enumerate(problems, 1):
        ws.append(
            [n, SEVERITY_TEXT.get(str(issue.severity), ""), issue.sheet, issue.cell, issue.message]
        )
        row = ws.max_row
        if issue.sheet in order and issue.cell:
            link = ws.cell(row, 4)
            link.hyperlink = Hyperlink(
                ref=link.coordinate, location=f"'{quoted(issue.sheet)}'!{issue.cell}"
            )
            link.font = Font(name=FONT, color="FF0563C1", underline="single")
        lines = wrapped_lines(issue.message, widths["E"])
        ws.row_dimensions[row].height = max(lines, 1) * 15 + 4
    ws["A1"].font = Font(name=FONT, bold=True, size=12)
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[1].height = 36
    for cell in ws[2]:
        cell.fill = PatternFill("solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row, max_col=5):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if not cell.hyperlink:
                cell.font = Font(name=FONT, bold=cell.row == 2)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.print_title_rows = "2:2"
    ws.print_area = f"A1:E{ws.max_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def quoted(sheet: str) -> str:
    """A sheet name inside '…' of a reference: an apostrophe doubled."""
    return sheet.replace("'", "''")


def _open_at(wb, sheet: str, cell: str) -> None:
    """Open the workbook on ``sheet`` with ``cell`` selected and in view."""
    index = wb.sheetnames.index(sheet)
    wb.active = index
    for n, ws in enumerate(wb.worksheets):
        ws.sheet_view.tabSelected = n == index
    view = wb[sheet].sheet_view
    for selection in view.selection:
        selection.activeCell, selection.sqref = cell, cell
    pos = parse_ref(cell)
    if view.pane is not None and pos is not None and view.pane.topLeftCell:
        frozen = int(view.pane.ySplit or 0)
        view.pane.topLeftCell = f"A{max(pos[0] + 1 - 3, frozen + 1)}"
    wb.views[0].firstSheet = 0


def make_feedback(
    report: IngestReport,
    ctx: RoundContext,
    returns_dir: Path,
    out_dir: Path,
    workbooks_dir: Path | None = None,
) -> list[FeedbackItem]:
    """Write the annotated workbooks and messages; return what was written."""
    deadline = ctx.record.deadline if ctx.record else ""
    author = (ctx.round.spec.notice.issuer if ctx.round else "") or DEFAULT_AUTHOR
    generated = (
        dict((u.unit_id, p) for u, p in pair_units(workbooks_dir, ctx.roster)[0])
        if (workbooks_dir and workbooks_dir.is_dir())
        else {}
    )
    by_unit: dict[str, list[FileRecord]] = {}
    for record in report.files:
        if record.unit_id and record.status in ("accepted", "rejected"):
            by_unit.setdefault(record.unit_id, []).append(record)
    items = []
    for unit in ctx.roster:
        records = by_unit.get(unit.unit_id)
        if not records:
            continue
        accepted = [r for r in records if r.status == "accepted"]
        chosen = accepted[0] if accepted else max(records, key=lambda r: (r.received, r.path))
        problems = _problems(chosen)
        if not problems:
            continue
        data = source_bytes(returns_dir, chosen.path) if chosen.status == "accepted" else None
        if data is None and unit.unit_id in generated:
            data = generated[unit.unit_id].read_bytes()  # unusable return: a fresh workbook
        if data is None:
            continue
        fresh = chosen.status != "accepted"
        stem = f"{safe_filename(unit.unit_id, 40)}_{safe_filename(unit.name)}_问题标注"
        workbook = out_dir / f"{stem}.xlsx"
        message = out_dir / f"{stem}.txt"
        with atomic_path(workbook) as tmp:
            tmp.write_bytes(data if fresh else annotate(data, problems, author, deadline))
        if fresh:
            rejected = sorted(records, key=lambda r: (r.received, r.path), reverse=True)
            text = rejected_text(rejected, deadline)
        else:
            text = message_text(unit.name, problems, deadline, writable(chosen.path))
        atomic_write_bytes(message, text.encode("utf-8"))
        items.append(FeedbackItem(unit.unit_id, unit.name, workbook, message, len(problems), fresh))
    return items
