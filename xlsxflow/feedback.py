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
from openpyxl.styles import PatternFill

from .atomic import atomic_path, atomic_write_bytes
from .ingest import TIED_BY, FileRecord, IngestReport, source_bytes
from .mail import pair_units
from .messages import Issue, Severity
from .ooxml import canonical_package
from .round import RoundContext
from .values import writable
from .writer import safe_filename

PROBLEM_FILL = PatternFill("solid", start_color="FFFF9999", end_color="FFFF9999")


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


def annotate(data: bytes, problems: list[Issue]) -> bytes:
    """The workbook with each problem cell filled and commented (the returned file is untouched)."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(canonical_package(data)))
    except Exception:  # read by xlsxflow but not by openpyxl: sent back as it came, the
        return data  # message lists every problem with its cell
    by_cell: dict[tuple[str, str], list[str]] = {}
    for issue in problems:
        if issue.sheet in wb.sheetnames and issue.cell:
            by_cell.setdefault((issue.sheet, issue.cell), []).append(issue.message)
    for (sheet, cell), texts in by_cell.items():
        target = wb[sheet][cell]
        if type(target).__name__ == "MergedCell":
            continue
        target.fill = PROBLEM_FILL
        comment = Comment("\n".join(texts), "xlsxflow")
        comment.width, comment.height = 320, 60 + 40 * len(texts)
        target.comment = comment
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def make_feedback(
    report: IngestReport,
    ctx: RoundContext,
    returns_dir: Path,
    out_dir: Path,
    workbooks_dir: Path | None = None,
) -> list[FeedbackItem]:
    """Write the annotated workbooks and messages; return what was written."""
    deadline = ctx.record.deadline if ctx.record else ""
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
            tmp.write_bytes(data if fresh else annotate(data, problems))
        if fresh:
            rejected = sorted(records, key=lambda r: (r.received, r.path), reverse=True)
            text = rejected_text(rejected, deadline)
        else:
            text = message_text(unit.name, problems, deadline, writable(chosen.path))
        atomic_write_bytes(message, text.encode("utf-8"))
        items.append(FeedbackItem(unit.unit_id, unit.name, workbook, message, len(problems), fresh))
    return items
