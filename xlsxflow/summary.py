"""The reviewers' summary workbook (and the JSON report), written atomically.

Sheets: 排名 ranking, 明细 unit × item, 问题 every issue, 未交 units without an
accepted return, 文件 every file, 说明 round facts with a chart of the spread.
Everything that came from a return is written as text in a text-formatted cell,
so nothing in it can become a formula or a link, even when a reviewer edits it.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import xlsxwriter

from . import __version__
from .atomic import atomic_write_bytes
from .ingest import IngestReport
from .messages import Severity
from .rubric import Rubric
from .values import fmt
from .writer import display_width

_L = {
    "ranking": ("排名", "Ranking"),
    "details": ("明细", "Details"),
    "issues": ("问题", "Issues"),
    "missing": ("未交", "Missing"),
    "files": ("文件", "Files"),
    "changes": ("改动", "Changes"),
    "item": ("项目", "Item"),
    "old": ("原值", "Before"),
    "new": ("新值", "After"),
    "old_file": ("旧文件", "Older file"),
    "new_file": ("新文件", "Newer file"),
    "about": ("说明", "About"),
    "rank": ("排名", "Rank"),
    "unit_id": ("单位编号", "Unit ID"),
    "unit_name": ("单位名称", "Unit"),
    "parent": ("主管单位", "Parent"),
    "subtotal": ("小计", "Subtotal"),
    "bonus": ("加分", "Bonus"),
    "total": ("总分", "Total"),
    "band": ("等级", "Band"),
    "award": ("授予", "Award"),
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "targets_met": ("达标项数", "Targets met"),
    "eligible": ("是否符合条件", "Eligible"),
    "reasons": ("不符合原因", "Why not"),
    "file": ("文件", "File"),
    "severity": ("级别", "Severity"),
    "code": ("代码", "Code"),
    "sheet": ("工作表", "Sheet"),
    "cell": ("单元格", "Cell"),
    "message": ("说明", "Message"),
    "status": ("状态", "Status"),
    "reason": ("原因", "Reason"),
    "size": ("大小（字节）", "Size (bytes)"),
    "modified": ("修改时间", "Modified"),
    "contact": ("联系人", "Contact"),
    "phone": ("联系电话", "Phone"),
    "email": ("邮箱", "Email"),
    "missing_state": ("情况", "State"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "never_sent": ("未报送", "nothing received"),
    "only_rejected": ("有报送但均被拒收（见“文件”表）", "received, but every file was rejected"),
    "title": ("{title} · 汇总", "{title} · summary"),
    "distribution": ("分布", "Distribution"),
    "count": ("单位数", "Units"),
    "score_range": ("总分区间", "Total range"),
    "not_ranked": ("（未排名）", "(not ranked)"),
    "quotas": ("配额", "Quotas"),
    "quota_group": ("项目", "Form"),
    "allowed": ("名额", "Allowed"),
    "nominated": ("推荐数", "Nominated"),
    "eligible_count": ("符合条件", "Eligible"),
    "over": ("超出名额", "Over quota"),
    "notice": ("公示", "notice"),
    "number": ("序号", "No."),
    "none_eligible": ("（暂无符合条件的推荐对象）", "(no eligible nominee yet)"),
    "notice_foot": (
        "以上 {n} 个拟推荐对象现予公示，公示期不少于 {days} 天"
        "（自 ____年__月__日 至 ____年__月__日）。公示期间如有异议，请以书面形式向组织单位反映。",
        "The {n} nominees above are publicly posted for at least {days} days. "
        "Objections in writing to the organizing office.",
    ),
}
_SEVERITY = {
    "zh": {"error": "错误", "warning": "警告", "info": "提示"},
    "en": {"error": "error", "warning": "warning", "info": "info"},
}
_STATUS = {
    "zh": {
        "accepted": "已接受",
        "rejected": "拒收",
        "duplicate": "重复",
        "superseded": "已被取代",
        "skipped": "已跳过",
    },
    "en": {s: s for s in ("accepted", "rejected", "duplicate", "superseded", "skipped")},
}
_DANGEROUS = re.compile(r"^[=+\-@\t\r]")


def _t(key: str, lang: str, **fields) -> str:
    zh, en = _L[key]
    text = en if lang == "en" else zh
    return text.format(**fields) if fields else text


def neutralise(text: str) -> str:
    """For CSV/JSON consumers that may open the value in a spreadsheet: ``=…`` → ``'=…``."""
    return "'" + text if _DANGEROUS.match(text) else text


class _Sheets:
    """Small helper around XlsxWriter for the repeated table shape of every sheet."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1}
        self.head = wb.add_format(
            {**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"}
        )
        self.text = wb.add_format({**base, "num_format": "@", "text_wrap": True})
        self.num = wb.add_format({**base, "num_format": "0.0#", "align": "center"})
        self.int = wb.add_format({**base, "num_format": "0", "align": "center"})
        self.title = wb.add_format({"font_name": "黑体", "font_size": 14, "bold": True})
        self.bad = wb.add_format({"bg_color": "#FCE4D6"})
        self.error = wb.add_format({"bg_color": "#F8CBAD"})
        self.warning = wb.add_format({"bg_color": "#FFF2CC"})

    def table(
        self,
        name: str,
        headers: list[str],
        rows: list[list],
        *,
        landscape: bool = True,
        widths: dict[int, int] | None = None,
        max_width: int = 60,
        title: str = "",
    ):
        ws = self.wb.add_worksheet(name)
        for col, header in enumerate(headers):
            ws.write_string(0, col, header, self.head)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row):
                self.write(ws, r, c, value)
        # CJK-aware widths: the widest value of each column, within limits.
        for col, header in enumerate(headers):
            width = max(
                [display_width(header)] + [display_width(_as_text(row[col])) for row in rows[:2000]]
            )
            width = (widths or {}).get(col, min(max(width + 2, 6), max_width))
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        if headers:
            ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header(f"&L{_header_text(title)}&R{_header_text(name)}")
        ws.set_footer("&C&P / &N")
        return ws

    def write(self, ws, r: int, c: int, value) -> None:
        if value is None or value == "":
            ws.write_blank(r, c, None, self.text)
        elif isinstance(value, bool):
            ws.write_string(r, c, str(value), self.text)
        elif isinstance(value, int):
            ws.write_number(r, c, value, self.int)
        elif isinstance(value, float):
            ws.write_number(r, c, value, self.num)
        else:
            ws.write_string(r, c, str(value), self.text)


def _header_text(text: str) -> str:
    """Text for a print header: '&' is a control character there."""
    return text.replace("&", "&&")[:100]


def _as_text(value) -> str:
    if isinstance(value, float):
        return fmt(value)
    return "" if value is None else str(value)


def summary_bytes(report: IngestReport, rubric: Rubric | None, roster, lang: str = "zh") -> bytes:
    """The summary workbook; ``rubric`` is None for a round of several forms."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    wb.set_properties({"title": _t("title", lang, title=report.round_title), "author": "xlsxflow"})
    s = _Sheets(wb)
    if report.round is not None:
        _round_sheets(s, report, lang)
    else:
        ws = _ranking_sheet(s, _t("ranking", lang), rubric, report.results, report, lang)
        ws.activate()
        _details_sheet(s, _t("details", lang), rubric, report.results, report, lang)

    # 问题 ----------------------------------------------------------------------------
    names = {u.unit_id: u.name for u in roster}
    rows = []
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for f in report.files:
        for i in sorted(f.issues, key=lambda i: order[i.severity]):
            rows.append(
                [
                    _SEVERITY[lang][str(i.severity)],
                    i.code,
                    f.path,
                    i.sheet,
                    i.cell,
                    f.unit_id,
                    names.get(f.unit_id, ""),
                    i.message,
                ]
            )
    headers = [
        _t(k, lang)
        for k in ("severity", "code", "file", "sheet", "cell", "unit_id", "unit_name", "message")
    ]
    ws = s.table(_t("issues", lang), headers, rows, widths={2: 36, 7: 70}, title=report.round_title)
    if rows:
        sev = _SEVERITY[lang]
        ws.conditional_format(
            1,
            0,
            len(rows),
            len(headers) - 1,
            {"type": "formula", "criteria": f'=$A2="{sev["error"]}"', "format": s.error},
        )
        ws.conditional_format(
            1,
            0,
            len(rows),
            len(headers) - 1,
            {"type": "formula", "criteria": f'=$A2="{sev["warning"]}"', "format": s.warning},
        )

    # 未交 ----------------------------------------------------------------------------
    tried = {f.unit_id for f in report.files if f.unit_id}
    rows = [
        [
            u.unit_id,
            u.name,
            roster.parent_name(u),
            u.contact,
            u.phone,
            u.email,
            _t("only_rejected" if u.unit_id in tried else "never_sent", lang),
        ]
        for u in report.missing
    ]
    headers = [
        _t(k, lang)
        for k in ("unit_id", "unit_name", "parent", "contact", "phone", "email", "missing_state")
    ]
    s.table(_t("missing", lang), headers, rows, landscape=False, title=report.round_title)

    # 改动 (only when a unit sent a changed return) -----------------------------------
    rows = [
        [
            f.unit_id,
            names.get(f.unit_id, ""),
            c["cell"],
            c["label"],
            _as_text(c["old"]),
            _as_text(c["new"]),
            f.path,
            f.superseded_by,
        ]
        for f in report.files
        for c in f.changes
    ]
    if rows:
        headers = [
            _t(k, lang)
            for k in ("unit_id", "unit_name", "cell", "item", "old", "new", "old_file", "new_file")
        ]
        s.table(
            _t("changes", lang),
            headers,
            rows,
            widths={3: 40, 6: 30, 7: 30},
            title=report.round_title,
        )

    # 文件 ----------------------------------------------------------------------------
    rows = [
        [
            f.path,
            _STATUS[lang].get(f.status, f.status),
            f.reason,
            f.unit_id,
            f.size,
            datetime.fromtimestamp(f.mtime).strftime("%Y-%m-%d %H:%M:%S") if f.mtime else "",
            f.sha256,
        ]
        for f in report.files
    ]
    headers = [_t(k, lang) for k in ("file", "status", "reason", "unit_id", "size", "modified")] + [
        "SHA-256"
    ]
    s.table(
        _t("files", lang), headers, rows, widths={0: 40, 2: 50, 6: 20}, title=report.round_title
    )

    # 说明 ----------------------------------------------------------------------------
    _about(wb, s, report, rubric, lang)
    wb.close()
    return buffer.getvalue()


def _ranking_sheet(
    s: _Sheets, name: str, rubric: Rubric, results, report, lang: str, nominee: str = ""
):
    """排名: one row per result in rank order, with its band, award and reasons."""
    yes, no = _t("yes", lang), _t("no", lang)
    scored, bands, award = rubric.scored, rubric.bands is not None, rubric.award is not None
    met_text = {True: _t("met", lang), False: _t("not_met", lang), None: ""}
    headers = [_t(k, lang) for k in ("rank", "unit_id", "unit_name", "parent")]
    headers += [nominee, _t("sheet", lang)] if nominee else []
    headers += [sec.name for sec in rubric.sections]
    if scored:
        headers += [_t("subtotal", lang)] + ([_t("bonus", lang)] if rubric.bonus else [])
        headers += [_t("total", lang)]
    headers += [_t("band", lang)] * bands + [_t("award", lang)] * award
    headers += [ind.text for ind in rubric.indicators]
    headers += [_t("eligible", lang), _t("reasons", lang)]
    rows = []
    for r in results:
        row = [
            r.rank if r.rank is not None else ("" if not scored else _t("not_ranked", lang)),
            r.unit_id,
            r.unit_name,
            r.parent,
        ]
        row += [r.nominee, r.sheet] if nominee else []
        row += [r.sections[sec.id] for sec in rubric.sections]
        if scored:
            row += [r.subtotal] + ([r.bonus] if rubric.bonus else []) + [r.total]
        row += [r.band] * bands + [r.award] * award
        row += [met_text[r.indicators.get(ind.id)] for ind in rubric.indicators]
        row += [yes if r.eligible else no, "；".join(r.reasons)]
        rows.append(row)
    ws = s.table(
        name,
        headers,
        rows,
        widths={2: 26, 3: 22, len(headers) - 1: 48, **({4: 20} if nominee else {})},
        max_width=12,
        title=report.round_title,
    )
    if rows:
        elig_col = len(headers) - 2
        letter = xlsxwriter.utility.xl_col_to_name(elig_col)
        ws.conditional_format(
            1,
            0,
            len(rows),
            len(headers) - 1,
            {"type": "formula", "criteria": f'=${letter}2="{no}"', "format": s.bad},
        )
    return ws


def _details_sheet(s: _Sheets, name: str, rubric: Rubric, results, report, lang: str) -> None:
    """明细: one row per result, one column per item, bonus line, declaration and field."""
    item_headers, getters = [], []
    for n, (_, item) in enumerate(rubric.items(), 1):
        item_headers.append(f"{n}（{fmt(item.max)}）")
        getters.append(lambda sub, i=item.id: sub.value_of("score", i))
    if rubric.bonus:
        for b in rubric.bonus.items:
            item_headers.append(f"{b.text}（{fmt(b.points)}）")
            getters.append(lambda sub, i=b.id: sub.bonus.get(i))
    for n, d in enumerate(rubric.declarations, 1):
        item_headers.append(f"否决{n}")
        getters.append(lambda sub, i=d.id: sub.declarations.get(i))
    for ind in rubric.indicators:
        item_headers.append(f"{ind.text}（{ind.target_text}）")
        getters.append(lambda sub, i=ind.id: sub.indicators.get(i))
    for f in rubric.fields:
        item_headers.append(f.label)
        getters.append(lambda sub, i=f.id: sub.fields.get(i))
    _detail_rows(s, name, item_headers, getters, rubric.scored, results, report, lang)


def _detail_rows(s, name, item_headers, getters, scored, results, report, lang) -> None:
    subs = {(f.path, sub.sheet): sub for f in report.files for sub in f.submissions}
    rows = []
    for r in results:
        sub = subs[(r.file, r.sheet)]
        total = [r.total] if scored else []
        rows.append([r.unit_id, r.unit_name, *(g(sub) for g in getters), *total, r.file])
    headers = [
        _t("unit_id", lang),
        _t("unit_name", lang),
        *item_headers,
        *([_t("total", lang)] if scored else []),
        _t("file", lang),
    ]
    ws = s.table(
        name,
        headers,
        rows,
        max_width=14,
        widths={1: 26, len(headers) - 1: 40},
        title=report.round_title,
    )
    ws.freeze_panes(1, 2)


def _round_sheets(s: _Sheets, report, lang: str) -> None:
    """A round: per form a ranking and a details sheet, then 配额 and the 公示 lists."""
    rnd = report.round
    first = None
    for form in rnd.spec.forms:
        rubric = rnd.sheet_rubric(form.id)
        results = [r for r in report.results if r.form_id == form.id]
        ws = _ranking_sheet(
            s,
            _sheet_name(form.title, "ranking", lang),
            rubric,
            results,
            report,
            lang,
            nominee=form.nominee or "",
        )
        first = first or ws
        layout = rnd.book({form.id: 1}, lang).sheets[0]
        inputs = [i for i in layout.inputs if i.kind not in ("note",)]
        headers = [i.label for i in inputs]
        getters = [lambda sub, i=i: sub.value_of(i.kind, i.key) for i in inputs]
        _detail_rows(
            s,
            _sheet_name(form.title, "details", lang),
            headers,
            getters,
            rubric.scored,
            results,
            report,
            lang,
        )
    first.activate()
    _quota_sheet(s, report, lang)
    for form in rnd.spec.forms:
        _notice_sheet(s, report, form, lang)


def _sheet_name(title: str, key: str, lang: str) -> str:
    return (f"{title}{_t(key, lang)}" if lang != "en" else f"{title} {_t(key, lang)}")[:31]


def _quota_sheet(s: _Sheets, report, lang: str) -> None:
    headers = [
        _t(k, lang)
        for k in (
            "unit_id",
            "unit_name",
            "quota_group",
            "allowed",
            "nominated",
            "eligible_count",
            "over",
        )
    ]
    rows = [
        [q.unit_id, q.unit_name, q.group, q.allowed, q.nominated, q.eligible, q.over]
        for q in report.quotas
    ]
    ws = s.table(
        _t("quotas", lang),
        headers,
        rows,
        landscape=False,
        widths={1: 26, 2: 20},
        title=report.round_title,
    )
    if rows:
        ws.conditional_format(
            1,
            0,
            len(rows),
            len(headers) - 1,
            {"type": "formula", "criteria": "=$G2>0", "format": s.bad},
        )


def _notice_sheet(s: _Sheets, report, form, lang: str) -> None:
    """公示名单: the eligible nominees of one form, print-ready to post (A4, title, list).

    A form with an award (红旗党支部: top three) lists only those it goes to.
    """
    rnd = report.round
    award = rnd.sheet_rubric(form.id).award
    picked = [
        r
        for r in report.results
        if r.form_id == form.id and r.eligible and (award is None or r.award)
    ]
    picked.sort(key=lambda r: (r.rank if r.rank is not None else 10**6, r.unit_id, r.slot))
    wb = s.wb
    ws = wb.add_worksheet(_sheet_name(form.title, "notice", lang))
    title_fmt = wb.add_format(
        {
            "font_name": "黑体",
            "font_size": 16,
            "bold": True,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
        }
    )
    body = wb.add_format(
        {
            "font_name": "宋体",
            "font_size": 12,
            "valign": "vcenter",
            "border": 1,
            "text_wrap": True,
            "num_format": "@",
        }
    )
    center = wb.add_format(
        {"font_name": "宋体", "font_size": 12, "valign": "vcenter", "align": "center", "border": 1}
    )
    head = wb.add_format(
        {
            "font_name": "黑体",
            "font_size": 12,
            "bold": True,
            "align": "center",
            "valign": "vcenter",
            "border": 1,
            "bg_color": "#F2F2F2",
        }
    )
    note = wb.add_format({"font_name": "宋体", "font_size": 11, "text_wrap": True, "valign": "top"})
    named = bool(form.nominee)
    columns = [
        _t("number", lang),
        form.nominee if named else _t("unit_name", lang),
        _t("unit_name", lang) if named else _t("parent", lang),
    ]
    widths = (8, 36, 40) if named else (8, 44, 32)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    what = award.name if award else form.title
    heading = (
        f"{rnd.spec.title}\n{what}拟{'授予' if award else '推荐'}对象公示名单"
        if lang != "en"
        else f"{rnd.spec.title}\n{what}: proposed (public notice)"
    )
    ws.merge_range(0, 0, 0, 2, heading, title_fmt)
    ws.set_row(0, 60)
    for col, text in enumerate(columns):
        ws.write_string(1, col, text, head)
    for n, r in enumerate(picked, 1):
        ws.write_number(n + 1, 0, n, center)
        ws.write_string(n + 1, 1, r.nominee if named else r.unit_name, body)
        ws.write_string(n + 1, 2, r.unit_name if named else r.parent, body)
        ws.set_row(n + 1, 24)
    last = len(picked) + 2
    if not picked:
        ws.merge_range(2, 0, 2, 2, _t("none_eligible", lang), body)
        last = 3
    days = rnd.spec.publicity_min_days
    text = _t("notice_foot", lang, n=len(picked), days=days)
    ws.merge_range(last + 1, 0, last + 3, 2, text, note)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1)
    ws.print_area(0, 0, last + 3, 2)
    ws.center_horizontally()
    ws.set_margins(left=0.7, right=0.7, top=0.8, bottom=0.8)
    ws.set_footer("&C&P / &N")


def _round_rules(rnd, zh: bool) -> list[tuple[str, str]]:
    """How a round decides: each form's slots and conditions, quotas, 公示, what the chart shows."""
    rows = []
    for form in rnd.spec.forms:
        parts = [f"名额 {form.slots}" if zh else f"slots {form.slots}"]
        if form.requires:
            reasons = "；".join(req.reason for req in form.requires)
            parts.append(f"不发给：{reasons}" if zh else f"not for: {reasons}")
        if form.quota_group:
            shared = "、".join(f.title for f in rnd.spec.forms if f.quota_group == form.quota_group)
            parts.append(f"{shared} 合用名额" if zh else f"one quota for {shared}")
        if form.publicity:
            parts.append(
                f"公示不少于 {rnd.spec.publicity_min_days} 天（含首尾）"
                if zh
                else f"public notice at least {rnd.spec.publicity_min_days} days (both ends)"
            )
        rows.append((form.title, "；".join(parts)))
    rows.append(
        (
            "名额规则" if zh else "Quota rule",
            "同一名额内按工作表顺序计数，超出名额的推荐不符合条件；同一对象只计第一次；"
            "复制出来的工作表不计入。下表和图只统计第一个计分表。"
            if zh
            else "Within a quota nominations count in sheet order; those beyond it are not "
            "eligible; a nominee counts once; copied sheets do not count. The table and chart "
            "below show the first scored form.",
        )
    )
    return rows


def _about(wb, s: _Sheets, report: IngestReport, rubric: Rubric | None, lang: str) -> None:
    results = report.results
    if report.round is not None:  # the chart shows the first scored form
        rnd = report.round
        scored = [f for f in rnd.spec.forms if rnd.sheet_rubric(f.id).scored] or rnd.spec.forms
        rubric = rnd.sheet_rubric(scored[0].id)
        results = [r for r in results if r.form_id == scored[0].id]
        rubric_line = (
            "；".join(
                f"{f.title} {rnd.sheet_rubric(f.id).id} v{rnd.sheet_rubric(f.id).version}"
                for f in rnd.spec.forms
            )
            + f"  hash {rnd.content_hash}"
        )
    else:
        rubric_line = f"{rubric.title}  {rubric.id} v{rubric.version}  hash {rubric.content_hash}"
    ws = wb.add_worksheet(_t("about", lang))
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, _t("title", lang, title=report.round_title), s.title)
    counts = report.counts()
    zh = lang != "en"
    facts = [
        (
            "轮次" if zh else "Round",
            f"{report.round_title}（{report.round_id}）" if report.round_id else report.round_title,
        ),
        ("评分表" if zh else "Rubric", rubric_line),
        ("生成时间" if zh else "Generated", report.started_at),
        ("命令" if zh else "Command", report.command),
        ("报送文件夹" if zh else "Returns folder", report.returns_dir),
        (
            "文件" if zh else "Files",
            "，".join(f"{_STATUS[lang][k]} {v}" for k, v in counts.items()),
        ),
        ("参评单位" if zh else "Units", f"{len(_returned(report)) + len(report.missing)}"),
        ("已接受" if zh else "Accepted", str(len(_returned(report)))),
        ("未交" if zh else "Missing", str(len(report.missing))),
        (
            "排名规则" if zh else "Ranking rule",
            "按总分从高到低；总分相同按小计（不含加分），再按各项目小计依次比较；全部相同则并列（1、2、2、4）。"
            "有填写错误的单位不排名。"
            if zh
            else "By total, then subtotal without bonus, then section subtotals in rubric order; full ties share a rank "
            "(1, 2, 2, 4). Returns with errors are not ranked.",
        ),
        ("xlsxflow", __version__),
    ]
    if report.round is not None:
        facts[-1:-1] = _round_rules(report.round, zh)
    for r, (k, v) in enumerate(facts, 2):
        ws.write_string(r, 0, k, s.head)
        ws.write_string(r, 1, v, s.text)
    # The spread of totals (or of bands) as a small table and a column chart.
    first = len(facts) + 4
    complete = [r for r in results if r.complete]
    if rubric.bands:
        labels = [b.name for b in rubric.bands.levels]
        counter = Counter(r.band for r in complete)
        data = [(name, counter.get(name, 0)) for name in labels]
        head = _t("band", lang)
    elif not rubric.scored:  # targets only: how many units met how many targets
        n = len(rubric.indicators)
        counter = Counter(sum(1 for v in r.indicators.values() if v) for r in complete)
        data = [(f"{k}/{n}", counter.get(k, 0)) for k in range(n + 1)]
        head = _t("targets_met", lang)
    else:
        data = _histogram([r.total for r in complete], rubric)
        head = _t("score_range", lang)
    ws.write_string(first, 0, head, s.head)
    ws.write_string(first, 1, _t("count", lang), s.head)
    for i, (label, n) in enumerate(data, 1):
        ws.write_string(first + i, 0, label, s.text)
        ws.write_number(first + i, 1, n, s.int)
    chart = wb.add_chart({"type": "column"})
    sheet = _t("about", lang)
    chart.add_series(
        {
            "name": _t("distribution", lang),
            "categories": [sheet, first + 1, 0, first + len(data), 0],
            "values": [sheet, first + 1, 1, first + len(data), 1],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": f"{_t('distribution', lang)}（{head}）"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"name": _t("count", lang), "major_gridlines": {"visible": True}})
    ws.insert_chart(first, 3, chart, {"x_scale": 1.2, "y_scale": 1.1})
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _returned(report: IngestReport) -> set[str]:
    return {f.unit_id for f in report.files if f.status == "accepted"}


def _histogram(totals: list[float], rubric: Rubric) -> list[tuple[str, int]]:
    """Counts per band of total: below 60 together, then 5-point steps (bonus on top)."""
    top = rubric.max_total
    edges = [0.0, *[float(e) for e in range(60, int(rubric.items_max), 5)], rubric.items_max]
    if top > rubric.items_max:
        edges.append(top)
    out = []
    for i, low in enumerate(edges[:-1]):
        high = edges[i + 1]
        last = i == len(edges) - 2
        n = sum(1 for v in totals if low <= v < high or (last and v == high))
        label = (
            f"<{high:g}" if low == 0 else (f"{low:g}–{high:g}" if last else f"{low:g}–<{high:g}")
        )
        out.append((label, n))
    return out


def write_summary(
    report: IngestReport, rubric: Rubric | None, roster, path: str | Path, lang: str = "zh"
) -> None:
    atomic_write_bytes(path, summary_bytes(report, rubric, roster, lang))


def write_report_json(report: IngestReport, path: str | Path) -> None:
    """report.json; strings that could start a formula are neutralised (``'=``)."""
    data = _neutralise_all(report.to_dict())
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def _neutralise_all(value):
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, list):
        return [_neutralise_all(v) for v in value]
    if isinstance(value, dict):
        return {k: _neutralise_all(v) for k, v in value.items()}
    return value
