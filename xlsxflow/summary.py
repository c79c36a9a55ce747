"""The reviewers' summary workbook (and the JSON report), written atomically.

Sheets: 排名 ranking, 明细 unit × item, 问题 every issue, 未交 units without an
accepted return, 文件 every file, 说明 round facts with a chart of the spread.
Everything that came from a return is written as text in a text-formatted cell,
so nothing in it can become a formula or a link, even when a reviewer edits it.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from pathlib import Path
from unicodedata import east_asian_width

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from . import __version__, approval, labels
from .atomic import atomic_path, atomic_write_bytes
from .fastsheet import FastWorkbook, FastWorksheet, no_gc
from .fastsheet import usable as fastsheet_usable
from .ingest import IngestReport
from .layout import APPLY_LEVEL, META_SHEET, build_layout
from .messages import Severity, render
from .rubric import Rubric
from .values import fmt, writable
from .writer import display_width as _narrow_width

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
    "never_sent": ("未报送：未收到任何文件", "nothing received"),
    "only_rejected": ("已报送，但文件无法使用（拒收）", "received, but unusable (rejected)"),
    "received_files": ("收到的文件", "Files received"),
    "rejected_why": ("拒收原因", "Why rejected"),
    "tied_by": ("依据", "Tied by"),
    "title": ("{title} · 汇总", "{title} · summary"),
    "full_text": ("全文", "Full texts"),
    "where": ("位置", "Where"),
    "content": ("内容", "Text"),
    "see_full": ("…（全文见“{sheet}”表第 {n} 条）", "… (in full: sheet “{sheet}”, entry {n})"),
    "identity_sheet": ("（身份信息）", "(identity)"),
    "not_counted": ("不计（{status}）", "not counted ({status})"),
    "continued": ("（续）", " (cont.)"),
    "distribution": ("总分分布", "distribution of totals"),
    "band_spread": ("等级分布", "bands"),
    "targets_spread": ("达标情况", "targets met"),
    "count": ("单位数", "Units"),
    "score_range": ("总分区间", "Total range"),
    "not_ranked": ("不排名", "not ranked"),
    "not_listed": ("不列入", "not listed"),
    "quotas": ("配额", "Quotas"),
    "quota_group": ("项目", "Form"),
    "allowed": ("名额", "Allowed"),
    "nominated": ("推荐数", "Nominated"),
    "eligible_count": ("符合条件", "Eligible"),
    "over": ("超出名额", "Over quota"),
    "notice": ("公示", "notice"),
    "number": ("序号", "No."),
    "none_eligible": ("（暂无符合条件的推荐对象）", "(no eligible nominee yet)"),
    "stars_sheet": ("星级", "Stars"),
    "applied": ("申报等级", "Applied for"),
    "level_reached": ("评定等级", "Level reached"),
    "no_level": ("未达到星级", "no level"),
    "next_missing": ("距下一级还差", "Missing for the next level"),
    "vetoes": ("一票否决", "Vetoes"),
    "decided_by": ("评定", "Decided by"),
    "publicity_needed": ("公示", "Public notice"),
    "needs_publicity": ("须公示", "required"),
    "remark": ("备注", "Remark"),
    "score_band": ("分数档", "Band by score"),
    "star_count": ("星数", "Stars"),
    "stars_earned": ("所得星", "Stars earned"),
    "stars_missing": ("未得的星及所缺条件", "Stars not earned and what they lack"),
    "has_errors": (
        "有 {n} 处填写错误，按未成立计，需改正后重报",
        "{n} value errors, counted as not met",
    ),
    "applied_higher": ("申报{applied}，未达到", "applied for {applied}, not reached"),
    "confirmed_level": ("评审认定等级", "Confirmed by review"),
    "confirmed_stars": ("评审认定的星", "Stars confirmed by review"),
    "confirmed_why": ("评审认定说明", "Review findings"),
    "targets_head": ("本轮目标", "Round targets"),
    "targets_head_confirmed": ("本轮目标（按评审认定的星级）", "Round targets (confirmed levels)"),
    "targets_basis": (
        "按应报单位 {units} 个计（未交或文件无法使用的单位按未达到星级计）。",
        "Over all {units} units expected (a unit with no usable return reached no level).",
    ),
    "decided_top": ("{by}", "{by}"),
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


LINE_PT = 14.5  # one wrapped line of 10pt text as LibreOffice draws CJK (Noto CJK: 1.45 em)
MAX_ROW_PT = 409.0  # Excel's tallest row
MAX_LINES = int((MAX_ROW_PT - 4) // LINE_PT)
DETAIL_LINES = 2  # a 明细 cell shows this much of a long text; the rest is on 全文
BODY_PT = 10  # the tables' font size

# Printing: a column of width w is 7w + 5 pixels (Excel, default font); A4 less the margins.
A4_PX = {True: (11.69 - 0.8) * 96, False: (8.27 - 0.8) * 96}  # landscape / portrait
MIN_SCALE = 0.8  # narrower than this when fitted to one page wide: print at 100% over pages


def display_width(text: str) -> int:
    """Display columns of ``text`` as a CJK font draws it: CJK characters count two, and so
    do the East Asian "ambiguous" ones (“ ” … · — ①), which a CJK font draws full width."""
    if text.isascii() and text.isprintable():  # the common case: one column a character
        return len(text)
    if _ASCII_AND_CJK.fullmatch(text):  # the next: each CJK character three UTF-8 bytes
        return (len(text) + len(text.encode("utf-8"))) // 2
    return _wide_width(text)


# Printable ASCII (one column) and CJK characters, punctuation and full-width forms that
# every width table draws two columns wide, none of them "ambiguous" (tested one by one).
_ASCII_AND_CJK = re.compile(
    "[\x20-\x7e\u3000-\u3029\u3030-\u303e\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]*"
)


@lru_cache(maxsize=1 << 14)
def _wide_width(text: str) -> int:
    """:func:`display_width` of a text with a character beyond printable ASCII (cached: a
    summary repeats the same names, labels and states over thousands of rows)."""
    ambiguous = sum(1 for ch in text if ord(ch) > 0x7F and east_asian_width(ch) == "A")
    return _narrow_width(text) + ambiguous


def wrapped_lines(text: str, column_chars: float) -> int:
    """How many lines ``text`` wraps to in ``column_chars`` display columns."""
    usable = max(column_chars - 1, 1)
    text = str(text)
    if "\n" not in text:
        return max(1, math.ceil(display_width(text) / usable))
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))


def text_lines(text: str, width: float, size: float = BODY_PT) -> int:
    """Lines ``text`` wraps to in a column ``width`` wide at ``size`` pt: a column of width
    w holds about w display columns of 11 pt text (CJK characters count two)."""
    return wrapped_lines(text, width * 11 / size)


def fit_scale(widths: list[float], landscape: bool = True) -> float:
    """The print scale at which columns of these widths fit one A4 page wide."""
    return min(1.0, A4_PX[landscape] / sum(7 * w + 5 for w in widths)) if widths else 1.0


class _Sheets:
    """Small helper around XlsxWriter for the repeated table shape of every sheet.

    Every row gets a height from its wrapped text (CJK display width against the
    column width), since LibreOffice does not grow rows by itself.  A text longer
    than a row can hold is shown in part, with a pointer to the 全文 sheet, which
    holds it whole over as many rows as it needs.
    """

    def __init__(self, wb: xlsxwriter.Workbook, lang: str = "zh"):
        self.wb = wb
        self.lang = lang
        self.full_texts: list[tuple[str, str, str]] = []  # where in words, cell, text
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1}
        self.head = wb.add_format(
            {**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"}
        )
        self.text = wb.add_format({**base, "num_format": "@", "text_wrap": True})
        self.side = wb.add_format(
            {**base, "num_format": "@", "text_wrap": True, "font_color": "#595959", "font_size": 9}
        )
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
        max_lines: int = MAX_LINES,
        unit_columns: tuple[int, ...] | None = None,
        one_page_wide: bool = True,
        fit_headers: bool = True,
        repeat: int | None = None,
    ):
        """A sheet of one header row and ``rows``; heights fit the text.

        ``unit_columns`` (id, name, nominee) name the unit of a text moved to 全文;
        ``one_page_wide=False`` prints at full size over several pages wide, as does a
        table that would print smaller than ``MIN_SCALE`` on one page wide: columns
        0…``repeat`` (else the unit columns) then stand on every page;
        ``fit_headers=False`` sizes columns by their values and wraps long headers.
        """
        ws = self.wb.add_worksheet(name)
        # CJK-aware widths: the widest value of each column, within limits.
        col_widths = []
        sample = rows[:2000]
        for col, header in enumerate(headers):
            texts = {_as_text(row[col]) for row in sample}  # each text measured once
            width = max(
                [display_width(header) if fit_headers else 4] + [display_width(t) for t in texts]
            )
            width = (widths or {}).get(col, min(max(width + 2, 6 if fit_headers else 9), max_width))
            ws.set_column(col, col, width)
            col_widths.append(width)
        self.row(ws, 0, headers, col_widths, self.head)
        if isinstance(ws, FastWorksheet):
            self._fast_rows(ws, name, headers, rows, col_widths, max_lines, unit_columns)
        else:
            self._plain_rows(ws, name, headers, rows, col_widths, max_lines, unit_columns)
        ws.freeze_panes(1, 0)
        if headers:
            ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        if one_page_wide and fit_scale(col_widths, landscape) >= MIN_SCALE:
            ws.fit_to_pages(1, 0)
        else:  # legible: full size over several pages wide, the unit on each page
            last = repeat if repeat is not None else max(unit_columns or (0,))
            ws.repeat_columns(0, last)
            ws.print_across()
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header(f"&L{_header_text(title)}&R{_header_text(name)}")
        ws.set_footer("&C&P / &N")
        return ws

    def _plain_rows(self, ws, name, headers, rows, col_widths, max_lines, unit_columns) -> None:
        """The body of :meth:`table` cell by cell through XlsxWriter's public calls (any
        other worksheet, and the reference :meth:`_fast_rows` is tested against)."""
        for r, row in enumerate(rows, 1):
            cells = list(row)
            for c, value in enumerate(cells):
                if isinstance(value, str) and text_lines(value, col_widths[c]) > max_lines:
                    cells[c] = self._moved(
                        ws, name, headers, row, r, c, value, col_widths, max_lines, unit_columns
                    )
            self.row(ws, r, cells, col_widths)

    def _fast_rows(self, ws, name, headers, rows, col_widths, max_lines, unit_columns) -> None:
        """The body of :meth:`table` a row at a time (:meth:`FastWorksheet.put_values`):
        the same cells, formats, 全文 pointers and row heights as :meth:`row` writes cell
        by cell, each text's lines counted once."""
        formats = (self.text, self.num, self.int)
        # A text within this many characters is one line whatever it holds (a character
        # is at most two columns wide): most cells, without measuring them.
        short = [max(w * 11 / BODY_PT - 1, 1) / 2 for w in col_widths]
        for r, row in enumerate(rows, 1):

            def long_text(c: int, value: str, r=r, row=row) -> tuple[str, int]:
                n = text_lines(value, col_widths[c])
                if n > max_lines:
                    value = self._moved(ws, name, headers, row, r, c, value, col_widths, max_lines, unit_columns)  # fmt: skip
                    n = text_lines(value, col_widths[c])
                return value, n

            lines = ws.put_values(r, row, formats, short, long_text)
            if lines > 1:
                ws.set_row(r, min(MAX_ROW_PT, lines * LINE_PT + 4))

    def _moved(self, ws, name, headers, row, r, c, value, col_widths, max_lines, unit_columns):
        """A text too long for its cell, moved to 全文: what the cell shows instead."""
        unit_words = " ".join(str(row[i] or "") for i in sorted(set(unit_columns or ()))).strip()
        what = headers[c].split("（")[0] or headers[c]  # 创建成效简介（①…）
        where = " · ".join(x for x in (name, unit_words, what) if x)
        return self.move_to_full(
            where, f"{name}!{xl_rowcol_to_cell(r, c)}", value, col_widths[c], max_lines
        )

    def row(self, ws, r: int, values: list, col_widths: list[float], fmt=None) -> None:
        """Write one row and give it the height its wrapped text needs."""
        lines = 1
        for c, value in enumerate(values):
            if fmt is not None:
                ws.write_string(r, c, writable(str(value)), fmt)
            else:
                self.write(ws, r, c, value)
            if isinstance(value, str) and value:
                size = 9 if fmt is self.side else BODY_PT
                lines = max(lines, text_lines(value, col_widths[c], size))
        if lines > 1:
            ws.set_row(r, min(MAX_ROW_PT, lines * LINE_PT + 4))

    def move_to_full(self, where: str, cell: str, text: str, width: float, max_lines: int) -> str:
        """Keep ``text`` whole on the 全文 sheet; return its start and a pointer there.

        ``where`` says it in words (sheet · unit · column), ``cell`` as a reference."""
        self.full_texts.append((where, cell, text))
        pointer = _t(
            "see_full", self.lang, sheet=_t("full_text", self.lang), n=len(self.full_texts)
        )
        room = max(1, max_lines - text_lines(pointer, width))
        start = split_to_lines(text, width * 11 / BODY_PT, room)[0].rstrip()
        while start and text_lines(start + pointer, width) > max_lines:
            start = start[:-1]
        return start + pointer

    def full_text_sheet(self, title: str) -> None:
        """全文: every long text whole, split over rows that each fit (Excel's 409 pt)."""
        if not self.full_texts:
            return
        lang = self.lang
        headers = [_t(k, lang) for k in ("number", "where", "content", "cell")]
        col_widths = [6, 36, 76, 16]
        name = _t("full_text", lang)
        ws = self.wb.add_worksheet(name)
        for col, width in enumerate(col_widths):
            ws.set_column(col, col, width)
        self.row(ws, 0, headers, col_widths, self.head)
        r = 1
        # Cut at fewer lines than a row holds: a spreadsheet breaks lines before no
        # closing punctuation (，。）), which over 25 lines can take a line or two more.
        room, most = col_widths[2], MAX_LINES - 2
        for n, (where, cell, text) in enumerate(self.full_texts, 1):
            for k, part in enumerate(split_to_lines(text, room, most)):
                label = where if k == 0 else f"{where}{_t('continued', lang)}"
                self.row(ws, r, [n, label, part, cell], col_widths)
                ws.write_string(r, 3, cell, self.side)
                lines = max(wrapped_lines(part, room) + 1, text_lines(label, col_widths[1]))
                ws.set_row(r, min(MAX_ROW_PT, lines * LINE_PT + 4))
                r += 1
        ws.freeze_panes(1, 0)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header(f"&L{_header_text(title)}&R{_header_text(name)}")
        ws.set_footer("&C&P / &N")

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
            ws.write_string(r, c, writable(str(value)), self.text)


def split_to_lines(text: str, width: float, max_lines: int) -> list[str]:
    """``text`` cut into pieces that each wrap to at most ``max_lines`` lines in a column
    ``width`` wide (counted as :func:`wrapped_lines` counts); nothing is lost."""
    usable = max(width - 1, 1)
    pieces, start, lines, used = [], 0, 1, 0
    for i, ch in enumerate(text):
        if ch == "\n":
            lines, used = lines + 1, 0
        else:
            w = max(display_width(ch), 0)
            if used + w > usable:
                lines, used = lines + 1, w
            else:
                used += w
        if lines > max_lines:
            pieces.append(text[start:i])
            start, lines, used = (i + 1, 1, 0) if ch == "\n" else (i, 1, max(display_width(ch), 0))
    pieces.append(text[start:])
    return pieces


def _header_text(text: str) -> str:
    """Text for a print header: '&' is a control character there."""
    return text.replace("&", "&&")[:100]


def _as_text(value) -> str:
    if isinstance(value, float):
        return fmt(value)
    return "" if value is None else str(value)


def reading_workbook(buffer: io.BytesIO, fast: bool = False) -> xlsxwriter.Workbook:
    """A workbook for people to read and print (the summary, the 公示 and 结果通报 lists).

    What units and reviewers typed stays text: never a formula, link or number.
    Column widths count the default font's digits: Arial 10 is 7 px a digit as
    XlsxWriter assumes, in Excel and in LibreOffice (Liberation Sans); Calibri is
    replaced by a wider font where it is missing, which widens every column.
    """
    # ``fast``: big tables written a row at a time (:mod:`.fastsheet`), each part of the
    # file assembled in a temporary file rather than in memory, and deflated lighter.
    return (FastWorkbook if fast else xlsxwriter.Workbook)(
        buffer,
        {
            "in_memory": not fast,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": {"font_name": "Arial", "font_size": 10},
        },
    )


FAST_PATH = fastsheet_usable()  # the summary's tables through :class:`FastWorksheet`


def summary_bytes(
    report: IngestReport,
    rubric: Rubric | None,
    roster,
    lang: str = "zh",
    outcome=None,
    *,
    key: bytes | None = None,
) -> bytes:
    """The summary workbook; ``rubric`` is None for a round of several forms.

    ``outcome`` (:class:`xlsxflow.review.outcome.ReviewOutcome`, a round only) ranks the
    reviewed forms on their decision basis and adds the review sheets; with the office
    ``key`` too it gains the signed 审定 sheet (:mod:`.approval`) that ``xlsxflow
    publish`` reads back.  The reviewers' files (``outcome.review_files``) join
    the units' on the 问题 and 文件 sheets, under the reviews folder's name."""
    with no_gc():  # some 600,000 cells for 10,000 units: no collector passes over them
        return _summary_bytes(report, rubric, roster, lang, outcome, key)


def _summary_bytes(report, rubric, roster, lang, outcome, key) -> bytes:
    buffer = io.BytesIO()
    wb = reading_workbook(buffer, fast=FAST_PATH)
    wb.set_properties({"title": _t("title", lang, title=report.round_title), "author": "xlsxflow"})
    s = _Sheets(wb, lang)
    if report.round is not None:
        _round_sheets(s, report, lang, outcome)
    else:
        ws = _ranking_sheet(s, _t("ranking", lang), rubric, report.results, report, lang)
        ws.activate()
        _details_sheet(s, _t("details", lang), rubric, report.results, report, lang)
        if rubric.has_conditions:
            _stars_sheet(s, rubric, report, lang)
    if outcome is not None and key is not None:
        approval.add_to_summary(wb, report, outcome.candidates, key)
    if getattr(report, "history", None) is not None:  # ingest with a register: 历史, 复查
        from .register.sheet import add_history_sheets

        add_history_sheets(s, report.history.decided(outcome), report.round_title, lang)

    # 问题 ----------------------------------------------------------------------------
    names = {u.unit_id: u.name for u in roster}
    reviewer_files, reviewer_warnings, folder = _reviewer_files(outcome)
    names.update({r.reviewer_id: r.reviewer_name for r in outcome.progress} if outcome else {})
    files = [(f, "") for f in report.files] + [(f, folder) for f in reviewer_files]
    issues_sheet(s, report.round_title, [*report.warnings, *reviewer_warnings], files, names)

    # 未交: nothing received, or received but unusable (the files, why, how tied) ----------
    unusable = report.unusable
    parents = any(roster.parent_name(u) for u in report.missing)  # else no 主管单位 column
    rows = [
        [
            u.unit_id,
            u.name,
            *[roster.parent_name(u)] * parents,
            u.contact,
            u.phone,
            u.email,
            _t("only_rejected" if u.unit_id in unusable else "never_sent", lang),
            "\n".join(f.path for f in unusable.get(u.unit_id, [])),
            "\n".join(f.reason for f in unusable.get(u.unit_id, [])),
            "\n".join(_tied_by(f.tied_by, lang) for f in unusable.get(u.unit_id, [])),
        ]
        for u in report.missing
    ]
    headers = [
        _t(k, lang)
        for k in (
            *("unit_id", "unit_name", *["parent"] * parents, "contact", "phone", "email"),
            *("missing_state", "received_files", "rejected_why", "tied_by"),
        )
    ]
    wide = len(headers) - 3  # received files and why: wrapped, not as wide as the longest
    s.table(
        _t("missing", lang),
        headers,
        rows,
        widths={wide: 24, wide + 1: 28},
        max_width=24,
        title=report.round_title,
        unit_columns=(0, 1),
    )

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
            widths={1: 20, 2: 8, 3: 24, 4: 28, 5: 28, 6: 24, 7: 24},
            title=report.round_title,
            unit_columns=(0, 1),
        )

    # 佐证 (evidence archives read: per unit and item, linked to its folder) ------------
    from .evidence.sheets import evidence_sheet

    evidence_sheet(s, report, names, lang)

    # 文件 ----------------------------------------------------------------------------
    files_sheet(s, report.round_title, files)
    s.full_text_sheet(report.round_title)

    # 说明 ----------------------------------------------------------------------------
    _about(wb, s, report, rubric, lang, outcome)
    wb.close()
    return buffer.getvalue()


def issues_sheet(
    s: _Sheets,
    title: str,
    warnings: list,
    files: list[tuple],
    names: dict[str, str],
    masked: Callable | None = None,
) -> None:
    """问题: every issue — first those about a folder as a whole (``warnings``), then each
    file's (``files``: (FileRecord, folder prefix)), errors first.  ``masked`` rewrites an
    issue before it is shown (民主测评: a ballot's values never appear)."""
    lang = s.lang
    show = masked or (lambda issue: issue)
    rows = []
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for i in map(show, warnings):
        rows.append([_SEVERITY[lang][str(i.severity)], "", "", "", "", "", i.message, i.code])
    for f, prefix in files:
        counts = f.status in ("accepted", "rejected", "skipped")  # else another file counts
        for i in sorted(map(show, f.issues), key=lambda i: order[i.severity]):
            rows.append(
                [
                    _SEVERITY[lang][str(i.severity)]
                    if counts or i.code.startswith("submission-")
                    else _t("not_counted", lang, status=_STATUS[lang][f.status]),
                    f.unit_id,
                    names.get(f.unit_id, ""),
                    prefix + f.path,
                    _t("identity_sheet", lang) if i.sheet == META_SHEET else i.sheet,
                    i.cell,
                    i.message,
                    i.code,  # for the record and for searching: at the side, not first
                ]
            )
    headers = [
        _t(k, lang)
        for k in ("severity", "unit_id", "unit_name", "file", "sheet", "cell", "message", "code")
    ]
    ws = s.table(
        _t("issues", lang),
        headers,
        rows,
        widths={0: 10, 2: 20, 3: 26, 4: 14, 6: 50, 7: 18},
        title=title,
        unit_columns=(1, 2),
    )
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


def files_sheet(s: _Sheets, title: str, files: list[tuple], id_label: str = "") -> None:
    """文件: every file read (``files``: (FileRecord, folder prefix)), accounted for."""
    lang = s.lang
    rows = [
        [
            prefix + f.path,
            _STATUS[lang].get(f.status, f.status),
            f.reason,
            f.unit_id,
            _tied_by(f.tied_by, lang) if f.unit_id else "",
            f.size,
            datetime.fromtimestamp(f.mtime).strftime("%Y-%m-%d %H:%M:%S") if f.mtime else "",
            f.sha256,
        ]
        for f, prefix in files
    ]
    headers = [
        _t(k, lang) for k in ("file", "status", "reason", "unit_id", "tied_by", "size", "modified")
    ] + ["SHA-256"]
    widths = {0: 36, 2: 40, 7: 24}
    if id_label:  # 民主测评: a ballot file's serial (XXXX-XXXX-XXXX) on one line
        headers[3] = id_label
        widths[3] = max(18, display_width(id_label) + 2)
    s.table(
        _t("files", lang),
        headers,
        rows,
        widths=widths,
        title=title,
        unit_columns=(3, 3),
        repeat=0,
    )


def _ranking_sheet(
    s: _Sheets, name: str, rubric: Rubric, results, report, lang: str, nominee: str = ""
):
    """排名: one row per result in rank order, with its band, award and reasons."""
    yes, no = _t("yes", lang), _t("no", lang)
    scored, bands, award = rubric.scored, rubric.bands is not None, rubric.award is not None
    met_text = {True: _t("met", lang), False: _t("not_met", lang), None: ""}
    parents = any(r.parent for r in results)  # no 主管单位 column when no unit has one

    def fitting(values, header: str, most: int) -> int:
        """A column as wide as its longest value (and header), at most ``most``."""
        return min(most, max(display_width(str(v or "")) + 2 for v in [header, *values]))

    name_width = fitting([r.unit_name for r in results], _t("unit_name", lang), 24)
    nominee_width = fitting([r.nominee for r in results], nominee, 18) if nominee else 0
    parent_width = fitting([r.parent for r in results], _t("parent", lang), 24)
    headers = [_t(k, lang) for k in ("rank" if scored else "number", "unit_id", "unit_name")]
    headers += [nominee] if nominee else []
    headers += [_t("parent", lang)] * parents
    headers += [_t("sheet", lang)] if nominee else []
    headers += [sec.name for sec in rubric.sections]
    if scored:
        headers += [_t("subtotal", lang)] + ([_t("bonus", lang)] if rubric.bonus else [])
        headers += [_t("total", lang)]
    headers += [_t("band", lang)] * bands + [_t("award", lang)] * award
    headers += [ind.text for ind in rubric.indicators]
    fed_columns = {  # an indicator fed by a survey: room for its measured and own values
        len(headers) - len(rubric.indicators) + n: 15
        for n, ind in enumerate(rubric.indicators)
        if any(r.fed.get(ind.id) for r in results)
    }
    headers += [_t("eligible", lang), _t("reasons", lang)]
    rows = []
    number = 0
    for r in results:  # in display order: the ranked (or eligible) first, then the others
        if scored:
            first = r.rank if r.rank is not None else _t("not_ranked", lang)
        else:  # nothing to rank: the eligible are numbered, the others are not listed
            number += r.eligible
            first = number if r.eligible else _t("not_listed", lang)
        row = [first, r.unit_id, r.unit_name]
        row += [r.nominee] if nominee else []
        row += [r.parent] * parents
        row += [r.sheet] if nominee else []
        row += [r.sections[sec.id] for sec in rubric.sections]
        if scored:
            row += [r.subtotal] + ([r.bonus] if rubric.bonus else []) + [r.total]
        row += [r.band] * bands + [r.award] * award
        row += [_indicator_cell(met_text, r, ind) for ind in rubric.indicators]
        reasons = (
            r.reasons if len(r.reasons) < 2 else [f"{n}. {x}" for n, x in enumerate(r.reasons, 1)]
        )
        row += [yes if r.eligible else no, "\n".join(reasons)]
        rows.append(row)
    ws = s.table(
        name,
        headers,
        rows,
        widths={
            0: 8,
            2: name_width,
            **({3: nominee_width} if nominee else {}),
            **({3 + bool(nominee): parent_width} if parents else {}),
            **fed_columns,
            len(headers) - 1: 40,
        },
        max_width=12,
        title=report.round_title,
        unit_columns=(1, 2, 3) if nominee else (1, 2),
        repeat=3 if nominee else 2,
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


def _stars_sheet(
    s: _Sheets,
    rubric: Rubric,
    report,
    lang: str,
    *,
    results: list | None = None,
    targets: list | None = None,
    # a form whose reviewers confirm its conditions: unit id → (the level or stars on
    # the confirmed answers, the findings), two more columns
    confirmed: dict[str, tuple[str, str]] | None = None,
    name: str = "",
):
    """星级: per unit the level reached (or the named stars earned), what is missing for
    the next level, the vetoes, who decides and 公示; then the round's targets.

    A round file's form passes its own ``results``, ``targets`` and sheet ``name``.
    Returns the sheet."""
    results = [r for r in (report.results if results is None else results) if r.stars is not None]
    targets = report.targets if targets is None else targets
    names = rubric.level_names
    none = _t("no_level", lang)
    rows = []
    if rubric.stars:
        headers = [_t(k, lang) for k in ("unit_id", "unit_name", "star_count", "stars_earned")]
        headers += [_t("stars_missing", lang), _t("remark", lang)]
        order = sorted(results, key=lambda r: (-r.stars.count, r.unit_id))
        for r in order:
            st = r.stars
            remark = _t("has_errors", lang, n=r_errors(r, report)) if not r.complete else ""
            rows.append(
                [r.unit_id, r.unit_name, st.count, "、".join(st.stars), st.missing_text, remark]
            )
        widths = {0: 10, 1: 20, 2: 6, 3: 30, 4: 60, 5: 20}
    else:
        mixed = rubric.by_score
        keys = ["unit_id", "unit_name", *(["total", "score_band"] if mixed else [])]
        keys += ["applied", "level_reached", "next_missing", "vetoes", "decided_by"]
        keys += ["publicity_needed", "remark"]
        headers = [_t(k, lang) for k in keys]
        if mixed:
            headers[2] = rubric.score_label

        def rank_of(r) -> int:
            return names.index(r.stars.level) if r.stars.level in names else -1

        for r in sorted(results, key=lambda r: (-rank_of(r), r.unit_id)):
            st = r.stars
            remarks = []
            if not r.complete:
                remarks.append(_t("has_errors", lang, n=r_errors(r, report)))
            if r.applied in names and names.index(r.applied) > rank_of(r):
                remarks.append(_t("applied_higher", lang, applied=r.applied))
            row = [r.unit_id, r.unit_name]
            row += [r.total, st.band or ""] if mixed else []
            row += [r.applied, st.level or none, st.missing_text]
            row += ["\n".join(v.message for v in st.vetoes), st.decided_by]
            row += [_t("needs_publicity", lang) if st.publicity else "", "；".join(remarks)]
            rows.append(row)
        widths = {0: 10, 1: 20, len(headers) - 6: 9, len(headers) - 5: 56, len(headers) - 4: 30}
        widths |= {len(headers) - 3: 6, len(headers) - 2: 7, len(headers) - 1: 20}
        widths |= {2: 8, 3: 8} if mixed else {}
        widths[len(headers) - 7] = 9  # 申报等级
    if confirmed is not None:  # reviewers confirmed the conditions: their level beside
        headers += [_t("confirmed_stars" if rubric.stars else "confirmed_level", lang)]
        headers += [_t("confirmed_why", lang)]
        for row in rows:
            row += list(confirmed.get(row[0], ("", "")))
        # still one A4 page wide (fit_scale ≥ MIN_SCALE): the long texts give up some width
        if not rubric.stars:
            widths |= {len(headers) - 7: 36, len(headers) - 6: 20}  # 距下一级还差, 一票否决
        widths |= {len(headers) - 2: 10, len(headers) - 1: 30}
    ws = s.table(
        name or _t("stars_sheet", lang),
        headers,
        rows,
        widths=widths,
        title=report.round_title,
        unit_columns=(0, 1),
    )
    if not targets:
        return ws
    r = len(rows) + 2
    width = [sum(widths.get(c, 10) for c in range(len(headers)))]
    head = "targets_head" if confirmed is None else "targets_head_confirmed"
    ws.merge_range(r, 0, r, len(headers) - 1, _t(head, lang), s.head)  # on one line
    for target in targets:
        r += 1
        text = f"{target.text}：{target.message}" if target.text else target.message
        ws.merge_range(r, 0, r, len(headers) - 1, "", s.text)
        s.row(ws, r, [text], width)
    r += 1
    units = targets[0].total
    ws.merge_range(r, 0, r, len(headers) - 1, "", s.side)
    ws.write_string(r, 0, _t("targets_basis", lang, units=units), s.side)
    ws.print_area(0, 0, r, len(headers) - 1)
    return ws


def _confirmed_levels(outcome, form, lang: str) -> dict[str, tuple[str, str]] | None:
    """A form whose reviewers confirm its conditions: unit id → (the level or stars on the
    confirmed answers, or 尚未评审; the findings, one a line).  None for any other form."""
    if outcome is None or form.id not in outcome.reviewed_forms:
        return None
    if form.review is None or not form.review.confirm_conditions:
        return None
    out = {}
    for c in outcome.of_form(form.id):
        if c.stars is None:
            out[c.unit_id] = (_r("not_reviewed", lang), "")
        elif c.stars.kind == "stars":
            out[c.unit_id] = ("、".join(c.stars.stars) or "无", "\n".join(c.findings))
        else:
            out[c.unit_id] = (c.stars.level or _t("no_level", lang), "\n".join(c.findings))
    return out


def r_errors(result, report) -> int:
    """The value errors of the return a result comes from."""
    for f in report.files:
        for sub in f.submissions:
            if f.path == result.file and sub.sheet == result.sheet:
                return sub.errors
    return 0


def _indicator_cell(met_text: dict, result, ind) -> str:
    """达标 / 未达标; for an input fed by a survey, also the measured rate and the self-report."""
    met = met_text[result.indicators.get(ind.id)]
    fed = result.fed.get(ind.id)
    if not fed:
        return met
    from .ballots.feeds import measured_text

    return f"{met}\n{measured_text(fed, ind.unit)}" if met else measured_text(fed, ind.unit)


def _details_sheet(s: _Sheets, name: str, rubric: Rubric, results, report, lang: str) -> None:
    """明细: one row per result, one column per item, bonus line, declaration and field."""
    item_headers, columns = [], []  # columns: the (kind, key) of each input shown
    for n, (_, item) in enumerate(rubric.items(), 1):
        item_headers.append(f"{n}（{fmt(item.max)}）")
        columns.append(("score", item.id))
    if rubric.bonus:
        for b in rubric.bonus.items:
            item_headers.append(f"{b.text}（{fmt(b.points)}）")
            columns.append(("bonus", b.id))
    for n, d in enumerate(rubric.declarations, 1):
        item_headers.append(f"否决{n}")
        columns.append(("declaration", d.id))
    for ind in rubric.indicators:
        item_headers.append(f"{ind.text}（{ind.target_text}）")
        columns.append(("indicator", ind.id))
    for f in rubric.fields:
        item_headers.append(f.label)
        columns.append(("field", f.id))
    if rubric.has_conditions:  # 申报等级 and every answer, labelled as on the unit's sheet
        for inp in build_layout(rubric, lang).inputs:
            if inp.kind == "answer" or inp.key == APPLY_LEVEL:
                item_headers.append(inp.label)
                columns.append(("answer" if inp.kind == "answer" else "field", inp.key))
    items = {2 + n: item.id for n, (_, item) in enumerate(rubric.items())}
    _detail_rows(s, name, item_headers, columns, rubric.scored, results, report, lang, items=items)


def _detail_rows(
    s,
    name,
    item_headers,
    columns,
    scored,
    results,
    report,
    lang,
    nominee: bool = False,
    items: dict[int, str] | None = None,
) -> None:
    """The 明细 table, one column per input (``columns``: its kind and key, as
    :meth:`Submission.values_of` takes them); with ``nominee`` the first item column is
    the nominee, repeated with the unit on every page."""
    subs = {(f.path, sub.sheet): sub for f in report.files for sub in f.submissions}
    rows = []
    for r in results:
        sub = subs[(r.file, r.sheet)]
        total = [r.total] if scored else []
        rows.append([r.unit_id, r.unit_name, *sub.values_of(columns), *total, r.file])
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
        max_width=24,
        widths={1: 20, len(headers) - 1: 40},
        title=report.round_title,
        max_lines=DETAIL_LINES,
        unit_columns=(0, 1, 2) if nominee else (0, 1),
        one_page_wide=False,  # 23–42 columns: full size over several pages, never squeezed
        fit_headers=False,  # narrow score columns under wrapped item headers
        repeat=2 if nominee else 1,  # the unit (and nominee) on every page
    )
    ws.freeze_panes(1, 3 if nominee else 2)
    from .evidence.sheets import detail_links  # 佐证材料 (issue 15): a column of links

    detail_links(s, ws, results, report, len(headers), lang, items)


def _round_sheets(s: _Sheets, report, lang: str, outcome=None) -> None:
    """A round: per form a ranking and a details sheet, then 配额 and the 公示 lists;
    with an ``outcome`` reviewed forms rank on their decision basis, and the review sheets
    follow."""
    rnd = report.round
    first = None
    for form in rnd.spec.forms:
        rubric = rnd.sheet_rubric(form.id)
        results = [r for r in report.results if r.form_id == form.id]
        if outcome is not None and form.id in outcome.reviewed_forms:
            ws = _decision_ranking_sheet(
                s,
                _sheet_name(form.title, "ranking", lang),
                form,
                rubric,
                outcome.of_form(form.id),
                report,
                lang,
            )
        else:
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
        inputs.sort(key=lambda i: i.key != "nominee")  # the nominee right after the unit
        headers = detail_headers(inputs, lang)
        _detail_rows(
            s,
            _sheet_name(form.title, "details", lang),
            headers,
            [(i.kind, i.key) for i in inputs],
            rubric.scored,
            results,
            report,
            lang,
            nominee=any(i.key == "nominee" for i in inputs),
            items={2 + n: i.key for n, i in enumerate(inputs) if i.kind == "score"},
        )
        if rubric.has_conditions:  # 星级: levels or named stars, and this form's targets
            confirmed = _confirmed_levels(outcome, form, lang)
            stars = _stars_sheet(
                s,
                rubric,
                report,
                lang,
                results=results,
                targets=_form_targets(report, form, outcome if confirmed is not None else None),
                name=_sheet_name(form.title, "stars_sheet", lang),
                confirmed=confirmed,
            )
            first = stars if first is ws else first  # opens on the levels, not a bare list
    first.activate()
    if outcome is not None:
        _review_sheets(s, report, outcome, lang)
    _quota_sheet(s, report, lang)
    for form in rnd.spec.forms:
        _notice_sheet(s, report, form, lang, outcome)


def _form_targets(report, form, outcome=None) -> list:
    """A conditions form's round targets: on the units' own answers, or (``outcome``: its
    reviewers confirm the conditions) on the levels as confirmed."""
    if outcome is None:
        return [t for t in report.targets if t.form_id == form.id]
    from .ingest import round_star_targets

    confirmed = approval.confirmed_report(report, outcome.of_form(form.id))
    return [t for t in round_star_targets(report.round, confirmed.results) if t.form_id == form.id]


def detail_headers(inputs, lang: str) -> list[str]:
    """明细 headers, one per input, each unique: a label found in two parts of the sheet
    (the 测评表's 填报信息 and the 申报表 both ask for 联系电话) says whose it is."""
    seen = Counter(i.label for i in inputs)
    headers = []
    for i in inputs:
        label = i.label
        if seen[label] > 1 and i.kind == "field":
            group = labels.t("application" if i.key.startswith("app_") else "fields", lang)
            label = f"{group}·{label}"
        headers.append(label)
    counts = Counter(headers)  # whatever still repeats: numbered
    numbered: Counter = Counter()
    for n, header in enumerate(headers):
        if counts[header] > 1:
            numbered[header] += 1
            headers[n] = f"{header}（{numbered[header]}）"
    return headers


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


NOTICE_PT = 12  # the 公示 lists' font size
NOTICE_WIDTH = 86  # their columns together: portrait A4 within 0.7" margins at 100%
BLANK = "＿"  # a blank to fill in by hand on the printed notice (full-width low line)


def blank(n: int) -> str:
    return BLANK * n


NOTICE_UNSET = {  # what a notice prints where the round file leaves notice.* unset
    "issuer": f"{blank(8)}（发布单位）",
    "objection": f"{blank(6)}（受理单位）",
    "phone": f"，电话：{blank(6)}",
}
NOTICE_UNSET_EN = {
    "issuer": f"{'_' * 16} (issued by)",
    "objection": f"{'_' * 12} (office)",
    "phone": f", tel. {'_' * 12}",
}


def _cn_date(day) -> str:
    return (
        f"{day.year}年{day.month}月{day.day}日" if day else f"{blank(4)}年{blank(2)}月{blank(2)}日"
    )


def notice_keys_unset(spec) -> list[str]:
    """The round file's notice.* keys left unset (printed as blanks to fill by hand)."""
    notice = spec.notice
    keys = [k for k in ("issuer", "date", "objection") if not getattr(notice, k)]
    return [f"notice.{k}" for k in keys]


def notice_period(spec, form) -> str:
    """The 公示 period line: dates when the round file gives them, and the minimum if there is one."""
    notice = spec.notice
    days = notice.days or (spec.publicity_min_days if form.publicity else None)
    start = notice.date
    end = start + timedelta(days=days - 1) if start and days else None
    text = f"公示时间：{_cn_date(start)}至{_cn_date(end)}"
    if days and not notice.days:
        text += f"（不少于 {days} 天）"
    elif days:
        text += f"（{days} 天）"
    return text + "。"


def _notice_sheet(s: _Sheets, report, form, lang: str, outcome=None) -> None:
    """公示名单 of one form, ready to post: heading, what and in which order, the list,
    the period, where to object, the issuing body and date (from the round file).

    A form with an award (红旗党支部: top three) lists only those it goes to.
    """
    rnd = report.round
    rubric = rnd.sheet_rubric(form.id)
    if rubric.has_conditions:  # only the levels that need 公示, highest first
        if any(lv.publicity for lv in rubric.levels):
            subs = {(f.path, sub.sheet): sub for f in report.files for sub in f.submissions}
            by_label = {f.label: f.id for f in rubric.fields}
            entries = []
            if _confirmed_levels(outcome, form, lang) is not None:  # the levels as confirmed
                report = approval.confirmed_report(report, outcome.of_form(form.id))
            for r in report.results:
                if r.form_id != form.id or not r.eligible or r.stars is None:
                    continue
                sub = subs.get((r.file, r.sheet))
                values = [
                    str((sub.fields.get(by_label.get(label, "")) if sub else None) or "")
                    for label in form.notice_fields
                ]
                entries.append(
                    (r.stars.level or "", NoticeEntry(r.unit_name, r.parent, r.nominee, values))
                )
            draw_levels_notice(
                s.wb,
                _sheet_name(form.title, "notice", lang),
                rnd.spec,
                form.title,
                rubric.level_names,
                [lv.name for lv in rubric.levels if lv.publicity],
                entries,
                fields=tuple(form.notice_fields),
                lang=lang,
            )
        return
    award = rubric.award
    reviewed = outcome is not None and form.id in outcome.reviewed_forms
    entries = outcome.of_form(form.id) if reviewed else report.results  # on the decision basis
    picked = [
        r for r in entries if r.form_id == form.id and r.eligible and (award is None or r.award)
    ]
    score = _basis_label(outcome.basis[form.id], "zh") if reviewed else "总分"
    if rubric.scored:
        picked.sort(key=lambda r: (r.rank if r.rank is not None else 10**6, r.unit_id, r.slot))
        order = f"按{score}从高到低排列" + (f"，{score}相同的并列" if award else "")
    else:
        picked.sort(key=lambda r: (r.unit_id, r.slot))
        order = "排名不分先后"
    subs = {(f.path, sub.sheet): sub for f in report.files for sub in f.submissions}
    by_label = {f.label: f.id for f in rubric.fields}
    entries = []
    for r in picked:
        sub = subs.get((r.file, r.sheet))
        values = [
            (sub.fields.get(by_label.get(label, "")) if sub else None) or ""
            for label in form.notice_fields
        ]
        entries.append(NoticeEntry(r.unit_name, r.parent, r.nominee, values))
    draw_notice(
        s.wb,
        _sheet_name(form.title, "notice", lang),
        rnd.spec,
        form,
        entries,
        what=award.name if award else form.title,
        verb="授予" if award else "推荐",
        order=order,
        lang=lang,
        by_score=rubric.scored,
        score_en=_basis_label(outcome.basis[form.id], "en") if reviewed else "total",
    )


@dataclass
class NoticeEntry:
    """One line of a 公示 list: the unit (its parent), the nominee, the extra fields' values."""

    unit_name: str
    parent: str
    nominee: str
    values: list[str]  # the form's notice_fields, in order


def draw_notice(
    wb,
    name: str,
    spec,
    form,
    entries: list[NoticeEntry],
    *,
    what: str,
    verb: str,
    order: str,
    lang: str = "zh",
    intro_prefix: str = "经审核",
    by_score: bool = True,
    score_en: str = "total",
    measure: str = "个",
    rest_to: int | None = None,
) -> None:
    """Draw one 公示 list on a new sheet ``name`` of ``wb`` (XlsxWriter), ready to post.

    ``spec`` gives the notice section (issuer, date, days, where to object) and the
    公示 minimum; ``form`` the nominee label and the extra columns (``notice_fields``).
    Used by the summary's 公示 sheets and by ``xlsxflow publish`` for the final list.
    ``rest_to``: the column that takes the rest of the page's width when there is no unit
    column (default: the last; a list of levels gives it to the names, not to 星级).
    """
    ws = wb.add_worksheet(name)

    def fmt(size: int, **extra):
        return wb.add_format({"font_name": "宋体", "font_size": size, "valign": "vcenter", **extra})

    title_fmt = fmt(16, font_name="黑体", bold=True, align="center", text_wrap=True)
    body = fmt(12, border=1, text_wrap=True, num_format="@")
    center = fmt(12, border=1, align="center")
    head = fmt(12, font_name="黑体", bold=True, align="center", border=1, bg_color="#F2F2F2")
    para = fmt(12, text_wrap=True, valign="top")
    sign = fmt(12, align="right")
    named = bool(form.nominee)
    extras = list(form.notice_fields)
    columns = [_t("number", lang), form.nominee if named else _t("unit_name", lang), *extras]
    with_unit = named or any(e.parent for e in entries)  # a list of branches has no parents
    columns += [_t("unit_name", lang) if named else _t("parent", lang)] * with_unit
    rows = []
    for n, e in enumerate(entries, 1):
        unit = [e.unit_name if named else e.parent] * with_unit
        rows.append([n, e.nominee if named else e.unit_name, *e.values, *unit])

    def needs(col: int, least: int) -> int:
        """The width column ``col`` needs to hold its longest value on one line at 12 pt."""
        longest = max([display_width(columns[col])] + [display_width(str(x[col])) for x in rows])
        return min(max(least, math.ceil(longest * NOTICE_PT / 11) + 2), 30)

    widths = [6] + [needs(col, 12) for col in range(1, 2 + len(extras))]
    widths.append(max(24, NOTICE_WIDTH - sum(widths)))
    if not with_unit:  # no unit column: the last column (or rest_to) takes the rest
        widths = widths[:-1]
        wide = len(widths) - 1 if rest_to is None else rest_to
        widths[wide] = max(widths[wide], NOTICE_WIDTH - sum(widths) + widths[wide])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    last_col = len(columns) - 1
    total_width = sum(widths)

    def paragraph(row: int, text: str, cell_format=para) -> None:
        ws.merge_range(row, 0, row, last_col, text, cell_format)
        ws.set_row(row, text_lines(text, total_width, NOTICE_PT) * 18 + 6)

    if lang == "en":
        heading = f"{spec.title}\n{what}: proposed (public notice)"
        intro = f"The {len(entries)} proposed below are publicly posted ({'by ' + score_en if by_score else 'in no order'}):"
    else:
        heading = f"{spec.title}\n{what}拟{verb}对象公示名单"
        intro = f"{intro_prefix}，现将{what}拟{verb}对象予以公示（共 {len(entries)} {measure}，{order}）："
    ws.merge_range(0, 0, 0, last_col, heading, title_fmt)
    ws.set_row(0, 60)
    paragraph(1, intro)
    for col, text in enumerate(columns):
        ws.write_string(2, col, text, head)
    ws.set_row(2, 22)
    for n, row in enumerate(rows, 3):
        ws.write_number(n, 0, row[0], center)
        lines = 1
        for col, value in enumerate(row[1:], 1):
            ws.write_string(n, col, writable(str(value)), body)
            lines = max(lines, text_lines(str(value), widths[col], NOTICE_PT))
        ws.set_row(n, max(22, lines * 18 + 4))
    last = len(rows) + 3
    if not rows:
        ws.merge_range(3, 0, 3, last_col, _t("none_eligible", lang), body)
        ws.set_row(3, 24)
        last = 4
    notice = spec.notice
    unset = NOTICE_UNSET if lang != "en" else NOTICE_UNSET_EN
    objection = notice.objection or unset["objection"]
    phone = "" if notice.objection else unset["phone"]
    paragraph(last + 1, notice_period(spec, form))
    paragraph(
        last + 2,
        f"公示期间，对公示对象如有异议，请以书面形式（署真实姓名和联系方式）向{objection}反映{phone}。"
        if lang != "en"
        else f"Objections during the notice period, in writing and signed, to: {objection}{phone}",
    )
    ws.merge_range(last + 4, 0, last + 4, last_col, notice.issuer or unset["issuer"], sign)
    ws.merge_range(last + 5, 0, last + 5, last_col, _cn_date(notice.date), sign)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.print_area(0, 0, last + 5, last_col)
    ws.center_horizontally()
    ws.set_margins(left=0.7, right=0.7, top=0.8, bottom=0.8)
    ws.set_footer("&C&P / &N")


@dataclass(frozen=True)
class _LevelsForm:
    """What :func:`draw_notice` reads of a form, for a 公示 of levels."""

    title: str
    nominee: str
    notice_fields: tuple[str, ...]
    publicity: bool = True  # the round's publicity_min_days is the 公示's minimum


def draw_levels_notice(
    wb,
    name: str,
    spec,
    title: str,
    levels: list[str] | tuple[str, ...],
    wanted: list[str] | tuple[str, ...],
    entries: list[tuple[str, NoticeEntry]],
    *,
    fields: tuple[str, ...] = (),
    intro_prefix: str = "经审核",
    lang: str = "zh",
) -> None:
    """公示 of a form decided by conditions: only units at a level the rubric names after
    公示 (002: 四、五星级, 县 after 公示), highest level first, with a 星级 column; levels
    decided without 公示 (一至三星级 by the 街道) are not listed.  ``levels``: the form's
    levels, lowest first; ``wanted``: those named after 公示; ``entries``: (level, entry)
    of every candidate, the entry's values those of ``fields`` (the form's notice_fields)."""
    shown = sorted(
        ((lv, e) for lv, e in entries if lv in wanted),
        key=lambda x: (-list(levels).index(x[0]), x[1].unit_name),
    )
    form = _LevelsForm(title, "", ("星级", *fields))
    draw_notice(
        wb,
        name,
        spec,
        form,
        [NoticeEntry(e.unit_name, e.parent, e.nominee, [lv, *e.values]) for lv, e in shown],
        what=render("conditions-notice-what", form=title, levels="、".join(wanted)),
        verb="评定",
        order=render("conditions-notice-order"),
        lang=lang,
        intro_prefix=intro_prefix,
        by_score=False,
        rest_to=1,  # the names take the width; 星级 (五星级) needs only its own
    )


def slots_in_words(form) -> str:
    """A form's slot rule for reviewers: the round file's wording, else plain words."""
    if form.slots_text:
        return form.slots_text
    if isinstance(form.slots, int):
        return f"每个单位 {form.slots} 个"
    return "按名单中各单位的情况计算，各单位的名额见“配额”表"


def _round_rules(rnd, zh: bool) -> list[tuple[str, str, str]]:
    """How a round decides, in words: each form's slots and conditions, quotas, 公示."""
    rows = []
    for form in rnd.spec.forms:
        expression = "" if isinstance(form.slots, int) else f"slots: {form.slots}"
        if not zh:
            parts = [f"slots: {form.slots}"]
            if form.requires:
                parts.append("not for: " + "; ".join(req.reason for req in form.requires))
            if form.publicity:
                parts.append(f"public notice at least {rnd.spec.publicity_min_days} days")
            rows.append((form.title, "; ".join(parts), ""))
            continue
        parts = [f"名额：{slots_in_words(form)}"]
        if form.requires:
            parts.append("以下单位不发此表：" + "；".join(req.reason for req in form.requires))
        if form.quota_group:
            shared = "、".join(f.title for f in rnd.spec.forms if f.quota_group == form.quota_group)
            parts.append(f"{shared}合用一个名额")
        if form.publicity:
            parts.append(
                f"推荐前须在本单位公示不少于 {rnd.spec.publicity_min_days} 天（含首尾两天）"
            )
        award = rnd.sheet_rubric(form.id).award
        if award:
            parts.append(_award_words(award))
        parts += levels_words(rnd.sheet_rubric(form.id))
        rows.append((form.title, "。\n".join(parts) + "。", expression))
    rows.append(
        (
            "名额规则" if zh else "Quota rule",
            "同一名额内按工作表的顺序计数，超出名额的推荐不符合条件；同一推荐对象只计第一次；"
            "复制出来的工作表不计入。"
            if zh
            else "Within a quota nominations count in sheet order; those beyond it are not "
            "eligible; a nominee counts once; copied sheets do not count.",
            "",
        )
    )
    unset = notice_keys_unset(rnd.spec)
    if zh:
        rows.append(
            (
                "公示名单",
                "各“公示”表的发布单位、发布日期、公示天数和受理异议的单位、电话取自轮次文件的"
                " notice 部分（issuer、date、days、objection）。"
                + (
                    "未填写的在公示表上印为空白横线，可打印后手工填写，"
                    "或在轮次文件中填写后重新汇总。"
                    if unset
                    else ""
                ),
                ("未填写：" + "、".join(unset)) if unset else "",
            )
        )
    else:
        rows.append(
            (
                "Public notices",
                "Issuer, date, days and where to object come from the round file's notice "
                "section; unset ones print as blanks to fill in by hand.",
                ("unset: " + ", ".join(unset)) if unset else "",
            )
        )
    return rows


def levels_words(rubric: Rubric) -> list[str]:
    """A form decided by conditions, in words: how the level is reached, who decides each
    level and which need 公示, and the round's targets (说明 sheet)."""
    if not rubric.has_conditions:
        return []
    if rubric.stars:
        return [
            f"按条件逐颗评定{len(rubric.stars)}颗星（{'、'.join(s.name for s in rubric.stars)}）"
        ]
    names = "、".join(rubric.level_names)
    if len(rubric.levels) == 1:
        parts = [f"按条件评定：{names}的条件全部成立即达到"]
    elif rubric.level_mode == "independent":
        parts = [f"按条件评定（{names}）：各级按本级条件独立评定，取条件全部成立的最高一级"]
    else:
        parts = [f"按条件评定（{names}）：取本级及以下各级条件全部成立的最高一级"]
    if rubric.vetoes:
        blocked = "、".join(dict.fromkeys(lv for v in rubric.vetoes for lv in v.blocks))
        parts.append(f"一票否决只阻止{blocked}")
    by: dict[tuple[str, bool], list[str]] = {}
    for lv in rubric.levels:
        if lv.decided_by or lv.publicity:
            by.setdefault((lv.decided_by, lv.publicity), []).append(lv.name)
    for (who, publicity), names in by.items():
        done = f"由{who}评定" if who else "评定"
        parts.append(f"{'、'.join(names)}{done}" + ("，经公示后命名" if publicity else "，不公示"))
    parts += [f"本轮目标：{t.text or t.level}" for t in rubric.targets]
    return parts


def _award_words(award) -> str:
    return (
        f"{award.name}授予总分前 {award.top} 名；总分与第 {award.top} 名相同的一并列出，"
        "由评选单位（党委）决定，不另设比较规则"
    )


def _when(iso: str) -> str:
    """2026-11-23T14:05:00+00:00 → 2026年11月23日 14:05 (local time)."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def _about(
    wb, s: _Sheets, report: IngestReport, rubric: Rubric | None, lang: str, outcome=None
) -> None:
    """说明: what this workbook is, the rules it applied, and a chart per scored form."""
    zh = lang != "en"
    if report.round is not None:
        rnd = report.round
        rubric_line = "；".join(
            f"{f.title}：{rnd.sheet_rubric(f.id).title}（第 {rnd.sheet_rubric(f.id).version} 版）"
            if zh
            else f"{f.title}: {rnd.sheet_rubric(f.id).title} (v{rnd.sheet_rubric(f.id).version})"
            for f in rnd.spec.forms
        )
        rubric_side = (
            "；".join(
                f"{rnd.sheet_rubric(f.id).id} v{rnd.sheet_rubric(f.id).version}"
                for f in rnd.spec.forms
            )
            + f"；hash {rnd.content_hash}"
        )
        charts = [
            (f.title, rnd.sheet_rubric(f.id), [r for r in report.results if r.form_id == f.id])
            for f in rnd.spec.forms
            if rnd.sheet_rubric(f.id).scored or rnd.sheet_rubric(f.id).indicators
        ]
        rubrics = [rnd.sheet_rubric(f.id) for f in rnd.spec.forms]
    else:
        rubric_line = (
            f"{rubric.title}（第 {rubric.version} 版）"
            if zh
            else f"{rubric.title} (v{rubric.version})"
        )
        rubric_side = f"{rubric.id} v{rubric.version}；hash {rubric.content_hash}"
        charts = [(rubric.title, rubric, report.results)]
        rubrics = [rubric]
    ws = wb.add_worksheet(_t("about", lang))
    widths = [16, 70, 30]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, _t("title", lang, title=report.round_title), s.title)
    counts = report.counts()
    ranking_rule = (
        "只有符合条件的对象参加排名，按总分从高到低排列；总分相同的名次并列（如 1、2、2、4），"
        "并列者按单位编号列出，不另设比较规则。不符合条件的（填写错误、未达到分数线、一票否决、"
        "超出名额等）不排名，列在排名之后，并写明原因。"
        if zh
        else "Only eligible entries are ranked, by total (high first); equal totals share a rank "
        "(1, 2, 2, 4) and are listed by unit ID. Others follow, unranked, with their reasons."
    )
    if zh:
        ranking_rule += "".join(f"\n{_award_words(r.award)}。" for r in rubrics if r.award)
        if not all(r.scored for r in rubrics):
            ranking_rule += "\n没有分数的表（如申报表）不排名，符合条件的依次编号。"
    facts = [
        (
            "轮次" if zh else "Round",
            report.round_title,
            report.round_id or "",
        ),
        ("评分表" if zh else "Rubric", rubric_line, rubric_side),
        ("汇总时间" if zh else "Generated", _when(report.started_at), ""),
        ("报送文件夹" if zh else "Returns folder", report.returns_dir, report.command),
        (
            "文件" if zh else "Files",
            "，".join(f"{_STATUS[lang][k]} {v}" for k, v in counts.items()),
            "",
        ),
        ("参评单位" if zh else "Units", f"{len(_returned(report)) + len(report.missing)}", ""),
        ("已报送" if zh else "Returned", str(len(_returned(report))), ""),
        ("未交" if zh else "Missing", str(len(report.missing)), ""),
        ("排名规则" if zh else "Ranking rule", ranking_rule, ""),
    ]
    if report.round is not None:
        facts += _round_rules(report.round, zh)
    facts += _review_facts(outcome, zh)
    facts.append(("版本" if zh else "Version", f"xlsxflow {__version__}", ""))
    s.row(
        ws,
        2,
        ["项目" if zh else "Item", "说明" if zh else "What", "依据" if zh else "Source"],
        widths,
        s.head,
    )
    for r, (k, v, side) in enumerate(facts, 3):
        ws.write_string(r, 0, k, s.head)
        ws.write_string(r, 1, writable(v), s.text)
        ws.write_string(r, 2, side, s.side) if side else ws.write_blank(r, 2, None, s.side)
        lines = max(wrapped_lines(v, widths[1]), wrapped_lines(side, widths[2]), 1)
        if lines > 1:
            ws.set_row(r, min(MAX_ROW_PT, lines * LINE_PT + 4))
    # The spread of totals (or bands, or targets met) per scored form: a table and a chart.
    first = len(facts) + 5
    breaks = []
    for n, (form_title, form_rubric, results) in enumerate(charts):
        if n % 2 == 0:  # two charts a page, never one cut in half
            breaks.append(first - 1)
        first = _chart_block(wb, s, ws, first, form_title, form_rubric, results, lang) + 2
    ws.set_h_pagebreaks(breaks)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _chart_block(
    wb, s: _Sheets, ws, first: int, form_title: str, rubric: Rubric, results, lang
) -> int:
    """One form's distribution: a small table at ``first`` and a column chart beside it."""
    complete = [r for r in results if r.complete]
    if rubric.bands:
        labels = [b.name for b in rubric.bands.levels]
        counter = Counter(r.band for r in complete)
        data = [(name, counter.get(name, 0)) for name in labels]
        head, what = _t("band", lang), "band_spread"
    elif not rubric.scored:  # targets only: how many units met how many targets
        n = len(rubric.indicators)
        counter = Counter(sum(1 for v in r.indicators.values() if v) for r in complete)
        data = [(f"{k}/{n}", counter.get(k, 0)) for k in range(n + 1)]
        head, what = _t("targets_met", lang), "targets_spread"
    else:
        data = _histogram([r.total for r in complete], rubric)
        head, what = _t("score_range", lang), "distribution"
    name = f"{form_title}{_t(what, lang)}" if lang != "en" else f"{form_title}: {_t(what, lang)}"
    ws.write_string(first, 0, name, s.title)
    ws.write_string(first + 1, 0, head, s.head)
    ws.write_string(first + 1, 1, _t("count", lang), s.head)
    for i, (label, n) in enumerate(data, 2):
        ws.write_string(first + i, 0, label, s.text)
        ws.write_number(first + i, 1, n, s.int)
    chart = wb.add_chart({"type": "column"})
    sheet = _t("about", lang)
    chart.add_series(
        {
            "name": name,
            "categories": [sheet, first + 2, 0, first + 1 + len(data), 0],
            "values": [sheet, first + 2, 1, first + 1 + len(data), 1],
            "data_labels": {"value": True},
        }
    )
    chart.set_title(
        {
            "name": f"{name}（{len(complete)} 份）" if lang != "en" else f"{name} ({head})",
            "name_font": {"size": 11, "bold": True},
        }
    )
    chart.set_legend({"none": True})
    chart.set_y_axis({"name": _t("count", lang), "major_gridlines": {"visible": True}})
    chart.set_size({"width": 440, "height": 300})  # within A4 landscape beside the table
    ws.insert_chart(first + 1, 2, chart, {"x_offset": 10})
    return first + max(len(data) + 2, 17)


_TIED_BY = {
    "signature": ("签名", "signature"),
    "identity": ("身份表", "identity sheet"),
    "sender": ("发件人", "mail sender"),
    "file_name": ("文件名", "file name"),
}


def _tied_by(how: str, lang: str) -> str:
    zh, en = _TIED_BY.get(how, (how, how))
    return en if lang == "en" else zh


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


def _reviewer_files(outcome) -> tuple[list, list, str]:
    """The reviewers' files and folder warnings of a review, and the prefix naming their
    folder (``reviews/``): on 问题 and 文件 beside the units' files, told apart by it."""
    if outcome is None or not outcome.reviews_dir:
        return [], [], ""
    folder = Path(outcome.reviews_dir).name + "/"  # the folder's name, as the user calls it
    return outcome.review_files, outcome.review_warnings, folder


def write_summary(
    report: IngestReport,
    rubric: Rubric | None,
    roster,
    path: str | Path,
    lang: str = "zh",
    outcome=None,
    *,
    key: bytes | None = None,
) -> None:
    data = summary_bytes(report, rubric, roster, lang, outcome, key=key)
    atomic_write_bytes(path, data)


def write_report_json(report: IngestReport, path: str | Path, outcome=None, reviews=None) -> None:
    """report.json; strings that could start a formula are neutralised (``'=``).

    With an ``outcome`` its ``review`` key holds the decision (``ReviewOutcome.to_dict``);
    with ``reviews`` (a ``ReviewIngest``), ``review_files`` accounts for the reviewers' files."""
    with no_gc():  # a million small objects for 10,000 returns, none in cycles
        _write_report_json(report, path, outcome, reviews)


def _write_report_json(report: IngestReport, path, outcome, reviews) -> None:
    data = report.to_dict()
    if outcome is not None:
        data["review"] = outcome.to_dict()
        if getattr(report, "history", None) is not None:  # 复查 on reviewed forms: the decision
            data["history"] = report.history.decided(outcome).to_dict()
    if reviews is not None:
        data["review_files"] = reviews.to_dict()
    write_json_report(data, path)


def write_json_report(data: dict, path: str | Path) -> None:
    """A JSON report (report.json, the 测评 report), written atomically, its strings
    neutralised: the top two levels indented, each entry below them on one line.

    One line per file, result or warning: a report of 10,000 returns reads and diffs
    entry by entry, and is written by json's C encoder (indent=2 keeps it in Python:
    0.28 s of the 0.43 s it took for 10,000 returns)."""
    pieces = _json_pieces(data)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        while chunk := "".join(islice(pieces, 1 << 12)):
            fh.write(chunk.encode("utf-8"))


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # compact, ", " and ": "
# In JSON text, where a string may start with what _DANGEROUS matches (a quote then =, +,
# -, @ or an escaped tab or return; also after an escaped quote: harmless), or a lone
# surrogate that writable() replaces.
_SUSPECT = re.compile(r'"(?:[=+\-@]|\\[tr])|[\ud800-\udfff]')


def _json_entry(value) -> str:
    """``value`` as one line of JSON, every string in it neutralised."""
    text = _ENCODE(value)
    return _ENCODE(_neutralise_all(value)) if _SUSPECT.search(text) else text


def _json_pieces(data: dict) -> Iterator[str]:
    """The text of :func:`write_json_report`, in pieces."""
    yield "{"
    for n, (key, value) in enumerate(data.items()):
        yield f"{',' if n else ''}\n  {_ENCODE(key)}: "
        if isinstance(value, dict) and value:
            yield "{"
            for k, (name, entry) in enumerate(value.items()):
                yield f"{',' if k else ''}\n    {_ENCODE(name)}: {_json_entry(entry)}"
            yield "\n  }"
        elif isinstance(value, list) and value:
            yield "["
            for k, entry in enumerate(value):
                yield f"{',' if k else ''}\n    {_json_entry(entry)}"
            yield "\n  ]"
        else:
            yield _json_entry(value)
    yield "\n}\n"


def _neutralise_all(value):
    """``value`` with every string neutralised; a list or dict in which nothing changes is
    returned itself, not copied (report.json of 10,000 returns: one copy, not two)."""
    if isinstance(value, str):
        return neutralise(writable(value))
    if isinstance(value, list):
        out = None
        for n, v in enumerate(value):
            new = _neutralise_all(v)
            if out is None and new is not v:
                out = value[:n]
            if out is not None:
                out.append(new)
        return value if out is None else out
    if isinstance(value, dict):
        changed = None
        for k, v in value.items():
            new = _neutralise_all(v)
            if new is not v:
                changed = changed or {}
                changed[k] = new
        return value if changed is None else {**value, **changed}
    return value


# -- the review: decision-based rankings, 评审汇总, 评审明细, 评审进度, 评审分歧 --------------

_R = {
    "review_summary": ("评审汇总", "Review summary"),
    "review_details": ("评审明细", "review details"),
    "review_progress": ("评审进度", "Review progress"),
    "review_disagreements": ("评审分歧", "Disagreements"),
    "form": ("评选项目", "Form"),
    "self_total": ("自评分", "Self-score"),
    "review_total": ("实评分", "Reviewed"),
    "composite": ("综合分", "Composite"),
    "difference": ("差额（自评−实评）", "Self − reviewed"),
    "flags": ("提示", "Flags"),
    "reviewers_counted": ("评审人（计入/应有）", "Reviewers (counted/expected)"),
    "ranked_on": ("{score}（排名依据）", "{score} (ranked on)"),
    "scored_by": ("评分", "Scored by"),
    "self_row": ("自评分（单位）", "self-score (unit)"),
    "combined_row": ("实评分（合分）", "reviewed (combined)"),
    "cond_by": ("填报 / 核实", "Answered by"),
    "cond_self_row": ("本单位填报", "the unit's answers"),
    "cond_combined_row": ("评审认定", "confirmed"),
    "cond_details": ("条件核实明细", "conditions confirmed"),
    "reviewer": ("评审人", "Reviewer"),
    "reviewer_id": ("评审人编号", "Reviewer ID"),
    "group": ("测评组", "Group"),
    "state": ("状态", "State"),
    "review_file": ("评审文件", "Review file"),
    "counted": ("已交，计入", "returned, counted"),
    "stale": ("已交，已过期（单位在评审后重新报送），需重新评审", "stale: the unit resubmitted"),
    "with_errors": ("已交，有 {n} 处错误，改正前不计入", "returned with errors ({n}): not counted"),
    "not_returned": ("未交", "not returned"),
    "no_reviewer": ("没有评审人（见轮次文件 review.assign）", "no reviewer assigned"),
    "not_applicable": ("不适用", "n/a"),
    "item": ("项目", "Item"),
    "scores": ("各评审人评分", "Scores"),
    "spread_limit": ("允许相差", "Spread allowed"),
    "spread": ("相差", "Difference"),
    "no_disagreement": (
        "（无：各单位评审人的评分相差均未超过允许相差）",
        "(none: no item's scores differ by more than allowed)",
    ),
    "review_rules": ("评审规则", "Review"),
    "review_choices": ("评审合分", "Combining"),
    "order_by": ("按{score}从高到低排列", "by {score}"),
    "not_reviewed": ("尚未评审", "not reviewed"),
    "comment": ("评语", "Comment"),
    # a form decided by conditions: levels where a scored form has scores
    "self_level": ("自评等级（按本单位填报）", "Level on the unit's answers"),
    "review_level": ("评审认定等级", "Level confirmed by review"),
    "self_either": ("自评分 / 自评等级", "Self-score / level"),
    "review_either": ("实评分 / 评审认定等级", "Reviewed score / level"),
}


# a condition's column on 评审明细: 10 wide holds five CJK characters a line (text_lines);
# its heading's words get four a line, two lines, so a spreadsheet's wrap never adds a third
COND_COLUMN, COND_HEAD_WIDTH = 10, 8


def _r(key: str, lang: str, **fields) -> str:
    zh, en = _R[key]
    text = en if lang == "en" else zh
    return text.format(**fields) if fields else text


def _basis_label(basis: str, lang: str) -> str:
    from .review.outcome import BASIS_WORDS, BASIS_WORDS_EN

    return (BASIS_WORDS_EN if lang == "en" else BASIS_WORDS)[basis]


def _score(value) -> float | str:
    """A Decimal score for a number cell (exact on the 0.01 grid shown), "" when none."""
    return "" if value is None else float(value)


def _name_width(rows: list[list], col: int, least: int = 12, most: int = 30) -> int:
    """A unit-name column as wide as its longest name (市人力资源和社会保障局 on one line,
    so a row is not made two lines tall for it), within limits."""
    longest = max((display_width(str(r[col] or "")) for r in rows), default=0)
    return min(max(longest + 2, least), most)


def _numbered(lines: list[str]) -> str:
    return "\n".join(lines if len(lines) < 2 else [f"{n}. {x}" for n, x in enumerate(lines, 1)])


def _decision_ranking_sheet(s: _Sheets, name: str, form, rubric: Rubric, candidates, report, lang):
    """排名 of a reviewed form on its decision basis; the headings say which score."""
    yes, no = _t("yes", lang), _t("no", lang)
    basis = candidates[0].basis if candidates else form.review.basis
    nominee = form.nominee or ""
    parents = any(c.parent for c in candidates)
    bands, award = rubric.bands is not None, rubric.award is not None
    self_head, review_head = _r("self_total", lang), _r("review_total", lang)
    composite_head = _r("composite", lang)
    ranked_on = {"self": self_head, "review": review_head, "composite": composite_head}[basis]
    heads = {
        h: _r("ranked_on", lang, score=h) if h == ranked_on else h
        for h in (self_head, review_head, composite_head)
    }
    headers = [_t("rank", lang), _t("unit_id", lang), _t("unit_name", lang)]
    headers += [nominee] if nominee else []
    headers += [_t("parent", lang)] * parents
    levels = rubric.has_conditions and not rubric.scored  # a conditions form: levels, no scores
    if levels:
        headers += [_r("self_level", lang), _r("review_level", lang)]
    else:
        headers += [heads[self_head], heads[review_head]]
    headers += [heads[composite_head]] * (basis == "composite")
    headers += [_t("band", lang)] * bands + [_t("award", lang)] * award
    counted = _r("reviewers_counted", lang)
    headers += [counted, _t("eligible", lang), _t("reasons", lang)]
    rows = []
    for c in candidates:
        row = [c.rank if c.rank is not None else _t("not_ranked", lang), c.unit_id, c.unit_name]
        row += [c.nominee] if nominee else []
        row += [c.parent] * parents
        if levels:
            row += list(_levels_of(c, lang))
        else:
            row += [c.self_total, _score(c.review_total)]
        row += [_score(c.decision)] * (basis == "composite")
        row += [c.band] * bands + [c.award] * award
        row += [f"{len(c.reviewers_counted)}/{len(c.reviewers_expected)}"]
        row += [yes if c.eligible else no, _numbered(c.reasons)]
        rows.append(row)
    name_width = min(
        24, max(display_width(str(v)) + 2 for v in [headers[2], *(c.unit_name for c in candidates)])
    )
    ws = s.table(
        name,
        headers,
        rows,
        widths={
            0: 8,
            2: name_width,
            **(
                {headers.index(_t("parent", lang)): _name_width(rows, 3 + bool(nominee))}
                if parents
                else {}
            ),
            **{
                headers.index(h): display_width(h) + 2
                for h in (heads[ranked_on], counted)
                if h in headers
            },
            len(headers) - 1: 44,
        },
        max_width=14,
        title=report.round_title,
        unit_columns=(1, 2, 3) if nominee else (1, 2),
        repeat=3 if nominee else 2,
    )
    if rows:
        letter = xlsxwriter.utility.xl_col_to_name(len(headers) - 2)
        ws.conditional_format(
            1,
            0,
            len(rows),
            len(headers) - 1,
            {"type": "formula", "criteria": f'=${letter}2="{no}"', "format": s.bad},
        )
    return ws


def _review_sheets(s: _Sheets, report, outcome, lang: str) -> None:
    """评审汇总, each reviewed form's 评审明细, 评审进度 and (with a spread set) 评审分歧."""
    rnd = report.round
    forms = [rnd.form(f) for f in outcome.reviewed_forms]
    if not forms:
        return
    titles = {f.id: f.title for f in forms}
    named = any(f.nominee for f in forms)
    composite = any(outcome.basis[f.id] == "composite" for f in forms)
    # a form decided by conditions shows levels in the score columns: headed by levels when
    # every reviewed form is one (no 差额 then), by both when the round mixes them
    by_levels = [not rnd.sheet_rubric(f.id).scored for f in forms]
    levels_only = all(by_levels)
    # 评审汇总: one row per unit sheet of a reviewed form, then the units no sheet was sent for
    headers = [_r("form", lang), _t("unit_id", lang), _t("unit_name", lang)]
    headers += [_t("sheet", lang)] * named
    if levels_only:
        headers += [_r("self_level", lang), _r("review_level", lang)]
    elif any(by_levels):
        headers += [_r("self_either", lang), _r("review_either", lang), _r("difference", lang)]
    else:
        headers += [_r("self_total", lang), _r("review_total", lang), _r("difference", lang)]
    headers += [_r("composite", lang)] * composite
    headers += [_r("reviewers_counted", lang), _r("flags", lang)]
    rows = []
    for form in forms:
        for c in outcome.of_form(form.id):
            difference = (
                float(Decimal(repr(c.self_total)) - c.review_total)
                if c.review_total is not None
                else ""
            )
            row = [form.title, c.unit_id, c.unit_name, *[c.nominee or c.sheet] * named]
            if not rnd.sheet_rubric(form.id).scored:  # a conditions form: levels, not scores
                row += [*_levels_of(c, lang), *[""] * (not levels_only)]
            else:
                row += [c.self_total, _score(c.review_total), difference]
            row += [_score(c.decision) if c.basis == "composite" else ""] * composite
            row += [f"{len(c.reviewers_counted)}/{len(c.reviewers_expected)}", _numbered(c.flags)]
            rows.append(row)
    for form_id, unit in outcome.no_return:
        row = [titles[form_id], unit.unit_id, unit.name, *[""] * named, "", ""]
        row += [""] * (not levels_only)
        row += [""] * composite + ["", render("outcome-no-return")]
        rows.append(row)
    counted_col = len(headers) - 2
    s.table(
        _r("review_summary", lang),
        headers,
        rows,
        widths={
            0: 12,
            2: _name_width(rows, 2),
            counted_col - 1 - composite: 18,
            counted_col: 20,
            counted_col + 1: 56,
        },
        max_width=14,
        title=report.round_title,
        unit_columns=(1, 2),
        repeat=2,
    )
    for form in forms:
        _review_details_sheet(s, report, outcome, form, lang)
    _review_progress_sheet(s, report, outcome, titles, lang)
    if any(f.review.spread is not None for f in forms):
        _disagreement_sheet(s, report, outcome, titles, lang)


def _reviewer_names(outcome) -> dict[str, str]:
    """Reviewer id → 林晓文（R01）, from the assignment."""
    return {
        p.reviewer_id: f"{p.reviewer_name}（{p.reviewer_id}）" if p.reviewer_name else p.reviewer_id
        for p in outcome.progress
    }


def _review_details_sheet(s: _Sheets, report, outcome, form, lang: str) -> None:
    """评审明细 of one form: per unit sheet a row of self-scores, one per counted reviewer
    and the combined 实评分; items across, the unit and who scored on every page."""
    rubric = report.round.sheet_rubric(form.id)
    if rubric.has_conditions and not rubric.scored and form.review.confirm_conditions:
        _conditions_review_sheet(s, report, outcome, form, rubric, lang)
        return
    results = {(r.file, r.sheet): r for r in report.results}
    who = _reviewer_names(outcome)
    named = bool(form.nominee)
    has_bonus = rubric.bonus is not None
    na = _r("not_applicable", lang)
    headers = [_t("unit_id", lang), _t("unit_name", lang), *[form.nominee] * named]
    scorer = len(headers)
    headers.append(_r("scored_by", lang))
    headers += [
        f"第{n}项\n（{fmt(item.max)}分）" if lang != "en" else f"{n}\n(max {fmt(item.max)})"
        for n, (_, item) in enumerate(rubric.items(), 1)
    ]
    headers += [_t("bonus", lang)] * has_bonus + [_t("total", lang), _r("comment", lang)]
    split = {(d.candidate.key, d.found.item_id) for d in outcome.disagreements}
    rows, marks = [], []
    for c in outcome.of_form(form.id):
        key = [c.unit_id, c.unit_name, *[c.nominee] * named]
        result = results.get((c.file, c.sheet))
        own = [na if i.self_not_applicable else i.self_score for i in c.items]
        bonus = [result.bonus if result else ""] * has_bonus
        rows.append([*key, _r("self_row", lang), *own, *bonus, c.self_total, ""])
        for rid in c.reviewers_counted:
            cells = [na if rid in i.not_applicable_by else i.by_reviewer.get(rid) for i in c.items]
            marks += [
                (len(rows) + 1, scorer + 1 + n, cells[n])
                for n, i in enumerate(c.items)
                if (c.key, i.item_id) in split
            ]
            total = c.reviewer_totals.get(rid)
            comment = c.comments.get(rid, "")
            rows.append(
                [*key, who.get(rid, rid), *cells, *[""] * has_bonus, _score(total), comment]
            )
        if c.review_total is None:
            rows.append([*key, _r("not_reviewed", lang), *[""] * (len(headers) - scorer - 1)])
            continue
        combined = [na if i.not_applicable else _score(i.combined) for i in c.items]
        bonus = [_score(c.review_bonus)] * has_bonus
        rows.append([*key, _r("combined_row", lang), *combined, *bonus, _score(c.review_total), ""])
    ws = s.table(
        (f"{form.title} " if lang == "en" else form.title) + _r("review_details", lang)[:31],
        headers,
        rows,
        max_lines=DETAIL_LINES,  # a long 评语 continues on 全文
        widths={
            1: _name_width(rows, 1),
            len(headers) - 1: 40,
            scorer: min(24, max(display_width(str(r[scorer])) for r in [headers, *rows]) + 2),
        },
        max_width=24,
        title=report.round_title,
        unit_columns=tuple(range(scorer)),
        one_page_wide=False,
        fit_headers=False,
        repeat=scorer,
    )
    ws.freeze_panes(1, scorer + 1)
    marked = s.wb.add_format(
        {
            "font_name": "宋体",
            "font_size": 10,
            "valign": "vcenter",
            "border": 1,
            "align": "center",
            "num_format": "0.0#",
            "bg_color": "#F8CBAD",
        }
    )
    for r, c, value in marks:
        if isinstance(value, (int, float)):
            ws.write_number(r, c, value, marked)
        else:
            ws.write_string(r, c, str(value or ""), marked)
    if rubric.has_conditions and form.review.confirm_conditions:  # 篇2: scores and conditions
        # after the scores' grid, the conditions' grid on a sheet of its own
        name = (f"{form.title} " if lang == "en" else form.title) + _r("cond_details", lang)
        _conditions_review_sheet(s, report, outcome, form, rubric, lang, name=name[:31])


def _levels_of(c, lang: str) -> tuple[str, str]:
    """A conditions form's candidate: (the level its own answers reach, the level on the
    reviewers' confirmed answers, or 尚未评审)."""
    from .review.confirm import level_words

    confirmed = level_words(c.stars) if c.stars is not None else _r("not_reviewed", lang)
    return level_words(c.claimed), confirmed


def _conditions_review_sheet(
    s: _Sheets, report, outcome, form, rubric: Rubric, lang: str, name: str = ""
) -> None:
    """评审明细 of a form decided by conditions: per unit a row of its answers, one per
    counted reviewer (属实 / 不属实, a level, a measured number; blank: not disputed) and
    the level on the confirmed answers; conditions across, numbered as on the sheets."""
    from .conditions import questions
    from .review.model import TRUE

    asked = questions(rubric)
    subs = {(f.path, sub.sheet): sub for f in report.files for sub in f.submissions}
    who = _reviewer_names(outcome)
    headers = [_t("unit_id", lang), _t("unit_name", lang), _r("cond_by", lang)]
    scorer = len(headers) - 1
    for n, q in enumerate(asked, 1):
        headers.append(
            f"第{n}项\n{_short_label(q.text)}" if lang != "en" else f"{n}\n{_short_label(q.text)}"
        )
    headers.append(_t("level_reached", lang))
    rows, marks = [], []
    for c in outcome.of_form(form.id):
        key = [c.unit_id, c.unit_name]
        sub = subs.get((c.file, c.sheet))
        answers = sub.answers if sub else {}
        own = [answers.get(q.id) for q in asked]
        rows.append(
            [*key, _r("cond_self_row", lang), *[_answer(v) for v in own], _levels_of(c, lang)[0]]
        )
        for rid in c.reviewers_counted:
            entered = c.confirmations.get(rid, {})
            cells = [_answer(entered.get(q.id)) for q in asked]
            marks += [
                (len(rows) + 1, scorer + 1 + n, cells[n])
                for n, q in enumerate(asked)
                if entered.get(q.id) not in (None, TRUE, answers.get(q.id))
            ]
            rows.append([*key, who.get(rid, rid), *cells, ""])
        rows.append(
            [*key, _r("cond_combined_row", lang), *[""] * len(asked), _levels_of(c, lang)[1]]
        )
    ws = s.table(
        name
        or (f"{form.title} " if lang == "en" else form.title) + _r("review_details", lang)[:31],
        headers,
        rows,
        widths={
            1: _name_width(rows, 1),
            scorer: 16,
            len(headers) - 1: 10,
            **{scorer + n: COND_COLUMN for n in range(1, len(asked) + 1)},
        },
        max_width=12,
        title=report.round_title,
        unit_columns=(0, 1, scorer),
        one_page_wide=False,
        fit_headers=False,
        repeat=scorer,
    )
    marked = s.wb.add_format(
        {
            "font_name": "宋体",
            "font_size": 10,
            "valign": "vcenter",
            "border": 1,
            "align": "center",
            "bg_color": "#F8CBAD",
        }
    )
    for r, col, value in marks:
        ws.write_string(r, col, str(value), marked)


def _short_label(text: str, width: int = COND_HEAD_WIDTH) -> str:
    """A condition's words cut to two lines of a ``width``-wide heading: no brackets, so no
    lone ）wraps onto a line of its own (矛盾纠纷调处率; 社区党组织和居委会…)."""
    if display_width(text) <= 2 * width:
        return text
    out = ""
    for char in text:
        if display_width(out + char) > 2 * width - 2:
            break
        out += char
    return out + "…"


def _answer(value) -> str:
    """An answer or a reviewer's entry as shown: 是, 市级, 96, 不属实 ("" when blank)."""
    if value is None:
        return ""
    return fmt(value) if isinstance(value, float | int) else str(value)


def _review_progress_sheet(s: _Sheets, report, outcome, titles: dict[str, str], lang: str) -> None:
    """评审进度: each assigned reviewer × unit sheet, returned and counted or why not; then
    the units no review sheet was sent for and those without a reviewer."""
    state = {
        "counted": lambda p: _r("counted", lang),
        "stale": lambda p: _r("stale", lang),
        "errors": lambda p: _r("with_errors", lang, n=p.errors),
        "not_returned": lambda p: _r("not_returned", lang),
    }
    order = {f: n for n, f in enumerate(outcome.reviewed_forms)}
    units = {u.unit_id: n for n, u in enumerate(report.round.roster)}
    progress = sorted(
        outcome.progress,
        key=lambda p: (p.reviewer_id, order[p.form_id], units.get(p.unit_id, 0), p.slot),
    )
    headers = [
        _r("reviewer_id", lang),
        _r("reviewer", lang),
        _r("group", lang),
        _r("form", lang),
        _t("unit_id", lang),
        _t("unit_name", lang),
        _t("sheet", lang),
        _r("state", lang),
        _r("review_file", lang),
    ]
    rows = [
        [
            p.reviewer_id,
            p.reviewer_name,
            p.group,
            titles[p.form_id],
            p.unit_id,
            p.unit_name,
            p.sheet,
            state[p.state](p),
            p.file,
        ]
        for p in progress
    ]
    rows += [
        ["", "", "", titles[f], u.unit_id, u.name, "", render("outcome-no-return"), ""]
        for f, u in outcome.no_return
    ]
    rows += [
        ["", "", "", titles[f], u.unit_id, u.name, "", _r("no_reviewer", lang), ""]
        for f, u in outcome.unassigned
    ]
    ws = s.table(
        _r("review_progress", lang),
        headers,
        rows,
        widths={1: 10, 3: 12, 5: _name_width(rows, 5), 7: 44, 8: 24},
        max_width=16,
        title=report.round_title,
        unit_columns=(0, 1),
        repeat=1,
    )
    if rows:
        counted = _r("counted", lang)
        ws.conditional_format(
            1,
            0,
            len(rows),
            len(headers) - 1,
            {"type": "formula", "criteria": f'=$H2<>"{counted}"', "format": s.warning},
        )


def _disagreement_sheet(s: _Sheets, report, outcome, titles: dict[str, str], lang: str) -> None:
    """评审分歧: items where a unit's reviewers differ by more than the spread."""
    who = _reviewer_names(outcome)
    headers = [
        _r("form", lang),
        _t("unit_id", lang),
        _t("unit_name", lang),
        _t("sheet", lang),
        _r("item", lang),
        _r("scores", lang),
        _r("spread", lang),
        _r("spread_limit", lang),
    ]
    rows = [
        [
            titles[d.candidate.form_id],
            d.candidate.unit_id,
            d.candidate.unit_name,
            d.candidate.sheet,
            d.item_label,
            "、".join(f"{who.get(r, r)} {fmt(float(v))}" for r, v in d.found.scores.items()),
            float(d.found.difference),
            float(d.spread),
        ]
        for d in outcome.disagreements
    ]
    # a form with a spread and nothing beyond it says so (an empty table reads as missing)
    split = {d.candidate.form_id for d in outcome.disagreements}
    for form_id, title in titles.items():
        spread = report.round.form(form_id).review.spread
        if spread is not None and form_id not in split:
            rows.append([title, "", "", "", "", _r("no_disagreement", lang), "", float(spread)])
    s.table(
        _r("review_disagreements", lang),
        headers,
        rows,
        widths={2: _name_width(rows, 2), 5: 44},
        max_width=16,
        title=report.round_title,
        unit_columns=(1, 2),
    )


def _review_facts(outcome, zh: bool) -> list[tuple[str, str, str]]:
    """说明 rows: each reviewed form's review in words, and how reviewers' scores combine."""
    if outcome is None or not outcome.reviewed_forms:
        return []
    choices = (
        "加分：评审人保留或取消单位申报的加分，计入的评审人中过半数保留才计入（相等时不计），"
        "计入时按单位申报的分数。不适用：计入的评审人中过半数标为不适用的项目按评分表的"
        "不适用规则计算，否则取其余评审人评分合分。只有部分评审人计入时按已计入的评审合分，"
        "在“提示”中列出未计入的评审人；没有计入的评审时“尚未评审”，不符合条件。"
        "评审的表按决定依据排名、授予和公示（见各表“排名”中标有“排名依据”的一列），"
        "上面“排名规则”中的“总分”对这些表指决定依据的分数。"
        if zh
        else "Bonus lines count when more than half of the counted reviews keep them; an item is "
        "n/a when more than half mark it so; with no counted review a unit is not eligible."
    )
    return [
        ("评审规则" if zh else "Review", outcome.rules, outcome.reviews_dir),
        ("评审合分" if zh else "Combining", choices, ""),
    ]
