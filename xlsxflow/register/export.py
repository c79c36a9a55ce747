"""The whole register as one print-ready Chinese workbook (历史记录.xlsx).

Sheets: 评定结果 (every decision with its 记录号 — what ``register revoke`` takes —
revoked ones marked), 违纪违规, 撤销记录, 轮次 and
名称变更.  A4 landscape, one page wide, the heading row repeated on every page,
explicit row heights for wrapped text (LibreOffice does not grow rows itself).
"""

from __future__ import annotations

import math
from pathlib import Path

import xlsxwriter

from ..atomic import atomic_path
from ..clitext import display_width
from .model import KIND_LABELS, star_label

MAX_WIDTH = 24  # characters of a column before its text wraps
LINE_POINTS = 15


def _fmt(value) -> str | float:
    if value is None:
        return ""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return value


def _sheets(register) -> list[tuple[str, list[str], list[list]]]:
    names = {s.id: s.name for s in register.subjects()}
    decisions = []
    for r in register.decisions():
        d = r.decision
        status = "有效"
        if r.revocation:
            status = f"已撤销（{r.revocation.date.isoformat()}：{r.revocation.reason}）"
        decisions.append(
            [
                r.id,
                r.period.chinese,
                r.round_id,
                r.round_title,
                d.form,
                d.subject_id,
                d.name,
                names.get(d.unit_id, d.unit_id) if d.unit_id else "",
                _fmt(d.score),
                "、".join(filter(None, (d.band, star_label(d.stars)))),
                d.award,
                d.title,
                status,
                d.source,
            ]
        )
    violations = [
        [
            v.id,
            v.date.isoformat(),
            v.kind,
            KIND_LABELS[v.subject_kind],
            v.subject_id,
            v.name,
            names.get(v.unit_id, v.unit_id) if v.unit_id else "",
            v.reason,
            v.source,
            f"已撤回（{v.revocation.date.isoformat()}：{v.revocation.reason}）"
            if v.revocation
            else "有效",
        ]
        for v in register.violations()
    ]
    revocations = [
        [
            r.id,
            r.date.isoformat(),
            "评定结果" if r.target == "decision" else "违纪违规记录",
            r.target_id,
            r.reason,
            r.violation_id or "",
            r.source,
        ]
        for r in register.revocations()
    ]
    rounds = [
        [r.id, r.title, r.period.chinese, "、".join(r.forms), _status(r.status), r.recorded_at]
        for r in register.rounds()
    ]
    renamed = [
        [s.id, KIND_LABELS[s.kind], s.name, " → ".join(s.names)]
        for s in register.subjects()
        if len(s.names) > 1
    ]
    return [
        (
            "评定结果",
            [
                "记录号",
                "期间",
                "轮次编号",
                "轮次名称",
                "评选项目编号",
                "编号",
                "名称",
                "所属单位",
                "得分",
                "等次/星级",
                "奖项",
                "称号",
                "状态",
                "来源",
            ],
            decisions,
        ),
        (
            "违纪违规",
            [
                "记录号",
                "日期",
                "类别",
                "对象类别",
                "编号",
                "名称",
                "所属单位",
                "事由",
                "来源",
                "状态",
            ],
            violations,
        ),
        (
            "撤销记录",
            ["记录号", "撤销日期", "撤销对象", "对象记录号", "原因", "依据违纪记录", "来源"],
            revocations,
        ),
        ("轮次", ["轮次编号", "轮次名称", "期间", "评选项目编号", "状态", "记录时间"], rounds),
        ("名称变更", ["编号", "类别", "现名称", "名称先后"], renamed),
    ]


def _status(status: str) -> str:
    return {"published": "已发布", "imported": "历史导入", "titles": "年度称号"}.get(status, status)


def export_xlsx(register, path: Path) -> Path:
    """Write every sheet; the file appears whole or not at all."""
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
        )
        head = wb.add_format(
            {
                "bold": True,
                "border": 1,
                "bg_color": "#DDEBF7",
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
                "font_name": "宋体",
                "font_size": 11,
            }
        )
        body = wb.add_format(
            {"border": 1, "text_wrap": True, "valign": "top", "font_name": "宋体", "font_size": 11}
        )
        for title, headings, rows in _sheets(register):
            ws = wb.add_worksheet(title)
            widths = [
                min(
                    MAX_WIDTH,
                    max([display_width(h)] + [display_width(str(r[i])) for r in rows]) + 2,
                )
                for i, h in enumerate(headings)
            ]
            for i, w in enumerate(widths):
                ws.set_column(i, i, w)
            ws.write_row(0, 0, headings, head)
            ws.set_row(
                0,
                LINE_POINTS * max(_lines(h, w) for h, w in zip(headings, widths, strict=True)) + 4,
            )
            for n, row in enumerate(rows, 1):
                for i, value in enumerate(row):
                    if isinstance(value, str):
                        ws.write_string(n, i, value, body)
                    else:
                        ws.write(n, i, value, body)
                lines = max(_lines(str(v), w) for v, w in zip(row, widths, strict=True))
                ws.set_row(n, LINE_POINTS * lines + 3)
            if not rows:
                ws.write_string(1, 0, "（无）", body)
            ws.freeze_panes(1, 0)
            ws.repeat_rows(0)
            ws.set_landscape()
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
            ws.set_header(f'&C&"宋体,Bold"历史记录 · {title}')
            ws.set_footer("&C第 &P 页，共 &N 页")
        wb.close()
    return path


def _lines(text: str, width: int) -> int:
    return max(1, math.ceil(display_width(text) / max(1, width - 1)))
