"""Write one locked, validated, signed workbook per unit (XlsxWriter)."""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import xlsxwriter
from wcwidth import wcswidth
from xlsxwriter.worksheet import Worksheet

from .atomic import atomic_write_bytes, write_staged_bytes
from .identity import Identity, protection_password
from .labels import t
from .layout import (
    MAX_ROW_POINTS,
    META_SHEET,
    SMALL_FONT,
    BookLayout,
    Cell,
    InputCell,
    Layout,
    na_test,
    ref,
    role_values,
)
from .roster import Unit

# Dates typed into date fields: any real date Excel can hold (its calendar starts in 1900).
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
MONTH_MIN_YEAR = 1900

# Excel's own limits for data validation; beyond them Excel "repairs" the file
# by dropping every validation (see KNOWN.md).
DV_TITLE_MAX = 32
DV_INPUT_MAX = 255
DV_ERROR_MAX = 225
DV_LIST_MAX = 255

_STYLES: dict[str, dict] = {
    "title": {
        "bold": True,
        "font_size": 16,
        "font_name": "黑体",
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
    },
    "label": {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#F2F2F2",
        "text_wrap": True,
    },
    "value": {"align": "left", "valign": "vcenter", "border": 1, "text_wrap": True},
    "instructions": {
        "font_size": 10,
        "text_wrap": True,
        "valign": "top",
        "border": 1,
        "font_color": "#595959",
    },
    "header": {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#DDEBF7",
        "text_wrap": True,
    },
    "section": {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "text_wrap": True,
    },
    "text": {"valign": "vcenter", "border": 1, "text_wrap": True},
    "number": {"align": "center", "valign": "vcenter", "border": 1},
    "subtotal_label": {
        "bold": True,
        "align": "right",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#F2F2F2",
    },
    "subtotal": {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#F2F2F2",
    },
    "total_label": {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#FCE4D6",
    },
    "total": {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#FCE4D6",
    },
    "block_head": {
        "bold": True,
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#F2F2F2",
        "text_wrap": True,
    },
    "input_score": {
        "locked": False,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#FFF2CC",
    },
    "input_text": {
        "locked": False,
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#FFF2CC",
        "text_wrap": True,
    },
    "input_choice": {
        "locked": False,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#FFF2CC",
    },
    "input_long": {
        "locked": False,
        "valign": "top",
        "border": 1,
        "bg_color": "#FFF2CC",
        "text_wrap": True,
    },
    "input_long_small": {
        "locked": False,
        "valign": "top",
        "border": 1,
        "bg_color": "#FFF2CC",
        "text_wrap": True,
        "font_size": SMALL_FONT,
    },
    "long_label": {
        "bold": True,
        "align": "left",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#F2F2F2",
        "text_wrap": True,
    },
    "input_month": {  # text: what is typed (1985.10, 1985年6月) stays as typed
        "locked": False,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#FFF2CC",
        "num_format": "@",
    },
    "approval": {"valign": "top", "border": 1},
    "input_date": {
        "locked": False,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "bg_color": "#FFF2CC",
        "num_format": "yyyy-mm-dd",
    },
}
_BASE_FONT = {"font_name": "宋体", "font_size": 11}
LINE_HEIGHT = 15.0  # points per wrapped line at 11pt


_FORMULA_CACHE: dict[tuple, str] = {}


class _Worksheet(Worksheet):
    """Memoises XlsxWriter's formula preparation (~30 regex passes per formula).

    Every unit workbook of a round repeats the same formulas, and this step was
    two thirds of the time to write one workbook.
    """

    def _prepare_formula(self, formula, expand_future_functions=False):
        key = (formula, expand_future_functions, self.use_future_functions)
        prepared = _FORMULA_CACHE.get(key)
        if prepared is None:
            prepared = super()._prepare_formula(formula, expand_future_functions)
            if len(_FORMULA_CACHE) < 10_000:
                _FORMULA_CACHE[key] = prepared
        return prepared


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter has no workbook-structure protection; add the one element it needs."""

    def __init__(self, *args, structure_password_hash: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._structure_hash = structure_password_hash

    def _write_workbook_pr(self) -> None:  # schema order: workbookPr, workbookProtection, bookViews
        super()._write_workbook_pr()
        attrs = [("workbookPassword", self._structure_hash)] if self._structure_hash else []
        self._xml_empty_tag("workbookProtection", [*attrs, ("lockStructure", "1")])


def _legacy_password_hash(password: str) -> str:
    """Excel's 16-bit sheet/workbook password hash (what XlsxWriter uses for sheets)."""
    hash_ = 0
    for char in reversed(password):
        hash_ = ((hash_ >> 14) & 0x01) | ((hash_ << 1) & 0x7FFF)
        hash_ ^= ord(char)
    hash_ = ((hash_ >> 14) & 0x01) | ((hash_ << 1) & 0x7FFF)
    hash_ ^= len(password)
    hash_ ^= 0xCE4B
    return f"{hash_:X}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_width(text: str) -> int:
    """Columns a string takes on screen: CJK characters count two."""
    width = wcswidth(text)
    return width if width >= 0 else len(text) * 2


def wrapped_lines(text: str, column_chars: float) -> int:
    """How many lines ``text`` wraps to in a column ``column_chars`` wide."""
    usable = max(column_chars - 1, 1)
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n"))


def _num(value: float) -> str:
    return f"{value:g}"


def validation_for(inp: InputCell, lang: str) -> dict | None:
    """The Excel data validation of one input cell, inside Excel's limits."""
    half = inp.step == 0.5
    step_text = t("step_half" if half else "step_whole", lang)
    cell = inp.ref
    if inp.kind == "score":
        mx = _num(inp.max)
        na = t("vmsg_na", lang, when=inp.not_applicable) if inp.not_applicable else ""
        base = {
            "input_title": _clip(f"{t('col_max', lang)} {mx}", DV_TITLE_MAX),
            "input_message": _clip(
                t("vmsg_score", lang, max=mx, step_text=step_text) + na, DV_INPUT_MAX
            ),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(
                t("verr_score", lang, max=mx, step_text=step_text) + na, DV_ERROR_MAX
            ),
            "error_type": "stop",
        }
        if inp.not_applicable:  # a number in range, or the word 不适用
            step_test = f"MOD({cell}*2,1)=0" if half else f"MOD({cell},1)=0"
            number = f"AND({cell}>=0,{cell}<={mx},{step_test})"
            formula = f"=IF(ISNUMBER({cell}),{number},{na_test(cell)})"
            return {"validate": "custom", "value": formula, **base}
        if half:
            formula = f"=AND(ISNUMBER({cell}),{cell}>=0,{cell}<={mx},MOD({cell}*2,1)=0)"
            return {"validate": "custom", "value": formula, **base}
        if inp.max.is_integer():
            return {
                "validate": "integer",
                "criteria": "between",
                "minimum": 0,
                "maximum": int(inp.max),
                **base,
            }
        return {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": inp.max,
            **base,
        }
    if inp.kind == "bonus":
        points = _num(inp.points)
        return {
            "validate": "list",
            "source": ["0", points],
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": _clip(t("vmsg_bonus", lang, points=points), DV_INPUT_MAX),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(t("verr_bonus", lang, points=points), DV_ERROR_MAX),
            "error_type": "stop",
        }
    if inp.kind == "indicator":
        high = inp.max if inp.max is not None else 1e9
        rng = f"，0–{_num(inp.max)}" if inp.max is not None else ""
        rng_en = f", 0–{_num(inp.max)}" if inp.max is not None else ""
        return {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": high,
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": _clip(
                t("vmsg_indicator", lang, range=rng if lang != "en" else rng_en), DV_INPUT_MAX
            ),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(
                t("verr_indicator", lang, range=rng if lang != "en" else rng_en), DV_ERROR_MAX
            ),
            "error_type": "stop",
        }
    if inp.kind == "answer" and inp.field_type == "number":  # a rate, an area, a count
        low = inp.min if inp.min is not None else -1e9
        high = inp.max if inp.max is not None else 1e9
        rng = ""
        if inp.min is not None or inp.max is not None:
            rng = f"，{_num(low) if inp.min is not None else ''}–{_num(high) if inp.max is not None else ''}"
        message = _clip(t("vmsg_answer_number", lang, range=rng), DV_INPUT_MAX)
        return {
            "validate": "decimal",
            "criteria": "between",
            "minimum": low,
            "maximum": high,
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": message,
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(t("vmsg_answer_number", lang, range=rng), DV_ERROR_MAX),
            "error_type": "stop",
        }
    if inp.kind == "note" or (inp.kind == "field" and inp.field_type == "text"):
        if not inp.max_length:
            return None
        key = "note_limit" if inp.kind == "note" else "vmsg_text"
        message = t(key, lang, n=inp.max_length)
        if inp.about:
            message = t("vmsg_about", lang, about=inp.about) + message
        return {
            "validate": "length",
            "criteria": "<=",
            "value": inp.max_length,
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": _clip(message, DV_INPUT_MAX),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(t("verr_text", lang, n=inp.max_length), DV_ERROR_MAX),
            "error_type": "stop",
        }
    if inp.field_type == "choice":  # declarations and choice fields
        return {
            "validate": "list",
            "source": list(inp.choices),
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": _clip(t("vmsg_choice", lang), DV_INPUT_MAX),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(t("verr_choice", lang), DV_ERROR_MAX),
            "error_type": "stop",
        }
    if inp.field_type == "month":
        return {
            "validate": "custom",
            "value": month_validation_formula(cell),
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": _clip(t("vmsg_month", lang), DV_INPUT_MAX),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(t("verr_month", lang), DV_ERROR_MAX),
            "error_type": "stop",
        }
    if inp.field_type == "date":
        return {
            "validate": "date",
            "criteria": "between",
            "minimum": DATE_MIN,
            "maximum": DATE_MAX,
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": _clip(t("vmsg_date", lang), DV_INPUT_MAX),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(t("verr_date", lang), DV_ERROR_MAX),
            "error_type": "stop",
        }
    if inp.field_type == "integer":
        low = inp.min_int if inp.min_int is not None else -(10**9)
        high = inp.max_int if inp.max_int is not None else 10**9
        rng = f" {low}–{high}" if inp.min_int is not None or inp.max_int is not None else ""
        return {
            "validate": "integer",
            "criteria": "between",
            "minimum": low,
            "maximum": high,
            "input_title": _clip(inp.label, DV_TITLE_MAX),
            "input_message": _clip(t("vmsg_int", lang, range=rng), DV_INPUT_MAX),
            "error_title": _clip(t("verr_title", lang), DV_TITLE_MAX),
            "error_message": _clip(t("verr_int", lang, range=rng), DV_ERROR_MAX),
            "error_type": "stop",
        }
    return None


def month_validation_formula(cell: str) -> str:
    """Data validation of a year-and-month cell (出生年月), inside Excel's 255 characters.

    Accepts a number from 1900 up to today (a date serial: what Excel makes of
    1985/6/1 or a pasted date; or 1985.6 typed into a number cell) or text that starts with a four-digit
    year from 1900 to this year, then one of - / . 年, then a month 1–12 (1985年6月,
    1985-06, 1985.6, 1985/6, 1985-06-01).  Ingest reads the same forms and says
    what it made of anything else; it does not rely on this check.
    """
    x = cell
    year = f"VALUE(LEFT({x},4))"
    month = f"VALUE(MID({x},6,1+ISNUMBER(VALUE(MID({x},7,1)))))"
    text = (  # an error on the way (VALUE of a non-number) also refuses the entry
        f'AND(ISNUMBER(FIND(MID({x},5,1),"-/.年")),'
        f"{year}>={MONTH_MIN_YEAR},{year}<=YEAR(TODAY()),ABS({month}-6.5)<6)"  # month 1…12
    )
    return f"=IF(ISNUMBER({x}),AND({x}>={MONTH_MIN_YEAR},{x}<=TODAY()),{text})"


def _list_source_length(source: list[str]) -> int:
    return len(",".join(source))


def workbook_bytes(book: BookLayout | Layout, identity: Identity, key: bytes) -> bytes:
    """The complete unit workbook as xlsx bytes."""
    if isinstance(book, Layout):
        book = BookLayout.of(book)
    buffer = io.BytesIO()
    password = protection_password(key)
    wb = _Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
        structure_password_hash=_legacy_password_hash(password),
    )
    wb.set_properties(
        {
            "title": f"{identity.round_title} - {identity.unit_name}",
            "subject": book.subject,
            "author": "xlsxflow",
            "comments": f"{identity.round_id} / {identity.unit_id}",
        }
    )
    formats = {name: wb.add_format({**_BASE_FONT, **spec}) for name, spec in _STYLES.items()}
    sheets = [
        wb.add_worksheet(layout.sheet_name, worksheet_class=_Worksheet) for layout in book.sheets
    ]
    meta = wb.add_worksheet(META_SHEET, worksheet_class=_Worksheet)
    long_lists: dict = {}  # choice lists too long to inline, moved to the hidden sheet
    for ws, layout in zip(sheets, book.sheets, strict=True):
        _draw_sheet(wb, ws, meta, layout, role_values(layout, identity), formats, long_lists)
        ws.protect(password, {"format_rows": True, "format_columns": True})
    sheets[0].activate()

    for row, (name, value) in enumerate(identity.rows(key)):
        meta.write_string(row, 0, name)
        meta.write_string(row, 1, value)
    meta.very_hidden()
    meta.protect(password)
    wb.close()
    return buffer.getvalue()


def _draw_links(wb, ws, layout: Layout, formats: dict) -> None:
    """The layout's hyperlinks (xlsxflow's own targets; a link without one is a heading)."""
    link = wb.add_format(
        {**_BASE_FONT, "font_size": 10, "font_color": "#0563C1", "underline": 1, "border": 1,
         "valign": "vcenter", "align": "center", "text_wrap": True}
    )  # fmt: skip
    for col in sorted({col for _, col, _, _ in layout.links}):
        ws.set_column(col, col, 12)
    for row, col, target, text in layout.links:
        if target:
            ws.write_url(row, col, target, link, text)
        else:
            ws.write_string(row, col, text, formats["header"])


def _draw_sheet(wb, ws, meta, layout: Layout, roles: dict, formats: dict, long_lists) -> None:
    """Cells, names, validations, row heights and print setup of one sheet."""
    # A round's sheets repeat the same ids: their names are local to the sheet.
    scope = f"'{layout.sheet_name}'!" if layout.plan else ""
    widths = layout.column_widths
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    heights: dict[int, float] = {0: 46, 3: 0, **dict(layout.reserved_heights)}
    shared: dict[tuple, tuple[dict | None, list[tuple[int, int]]]] = {}
    for cell in layout.cells:
        value = roles[cell.role] if cell.role else cell.value
        _write_cell(ws, cell, value, formats[cell.style])
        if cell.style in ("text", "label", "long_label") and isinstance(value, str) and value:
            last_col = cell.merge_to[1] if cell.merge_to else cell.col
            column = sum(widths[cell.col : last_col + 1])
            lines = wrapped_lines(value, column)
            # at most Excel's tallest row (a unit's over-long note on a reviewer's sheet)
            tall = min(lines * LINE_HEIGHT + 4, MAX_ROW_POINTS)
            heights[cell.row] = max(heights.get(cell.row, 0), tall)
        elif cell.style == "instructions":
            lines = wrapped_lines(value, sum(widths) * 1.1)  # 10pt text
            heights[cell.row] = lines * 13.5 + 6
        elif cell.style == "approval":
            heights[cell.row] = 72
        if cell.input is not None and cell.input.name:  # unnamed: a ballot's many cells
            inp = cell.input
            wb.define_name(
                f"{scope}{inp.name}", f"='{layout.sheet_name}'!${cell.ref[0]}${cell.ref[1:]}"
            )
        if cell.input is not None and not (
            layout.shared_validations and _share(shared, cell.input, layout.lang)
        ):
            _validate(ws, wb, meta, cell.input, layout.lang, long_lists)
    for options, cells in shared.values():
        if options is None:
            continue
        ranges = _rectangles(cells)
        r1, c1, r2, c2 = ranges[0]
        refs = " ".join(
            f"{ref(a, b)}:{ref(c, d)}" if (a, b) != (c, d) else ref(a, b) for a, b, c, d in ranges
        )
        ws.data_validation(r1, c1, r2, c2, {**options, "multi_range": refs})
    for total in layout.totals:
        wb.define_name(
            f"{scope}{total.name}", f"='{layout.sheet_name}'!${total.ref[0]}${total.ref[1:]}"
        )
    for row, height in heights.items():
        if height:
            ws.set_row(row, height)

    ws.freeze_panes(layout.header_row + 1, 0)
    ws.set_paper(9)  # A4
    if layout.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if layout.header:
        ws.set_header(f"&R{layout.header.replace('&', '&&')}")
    ws.fit_to_pages(1, 0)  # one page wide whatever the fonts (a fixed scale spills in LibreOffice)
    if layout.page_breaks:  # the 申报表 and long text areas start a page (LibreOffice and WPS
        ws.set_h_pagebreaks(
            list(layout.page_breaks)
        )  # honour this with fit-to-width; Excel may not)
    if layout.repeat_header:
        ws.repeat_rows(layout.header_row if layout.repeat_row is None else layout.repeat_row)
    ws.print_area(0, 0, layout.last_row, layout.last_col)
    if layout.links:  # evidence folders beside a reviewer's sheet (evidence/sheets.py)
        _draw_links(wb, ws, layout, formats)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.center_horizontally()
    ws.set_footer(f"&C{t('footer', layout.lang)}")


def _write_cell(ws, cell: Cell, value, fmt) -> None:
    if cell.merge_to:
        last_row, last_col = cell.merge_to
        ws.merge_range(cell.row, cell.col, last_row, last_col, "", fmt)
    if cell.formula:  # the cached result: 0 for totals, "" where the layout says so
        ws.write_formula(cell.row, cell.col, "=" + cell.formula, fmt, 0 if value is None else value)
    elif value is None or value == "":
        ws.write_blank(cell.row, cell.col, None, fmt)  # written so unlocked inputs stay unlocked
    elif isinstance(value, str):
        ws.write_string(cell.row, cell.col, value, fmt)
    else:
        ws.write_number(cell.row, cell.col, value, fmt)


def _share(shared: dict, inp: InputCell, lang: str) -> bool:
    """Add ``inp`` to the validation it shares with others; False when it cannot share
    (a formula that names its own cell, a list too long to write inline).  A shared tip
    keeps its title only where the title does not name the cell (a score's 分值 N)."""
    key = (
        inp.kind,
        inp.field_type,
        inp.max,
        inp.step,
        inp.points,
        inp.choices,
        inp.max_length,
        inp.not_applicable,
        inp.about,
    )
    entry = shared.get(key)
    if entry is None:
        options = validation_for(inp, lang)
        if options is not None and (
            options["validate"] == "custom"
            or (
                options["validate"] == "list"
                and _list_source_length(options["source"]) > DV_LIST_MAX
            )
        ):
            return False
        if options is not None and inp.kind != "score":
            options = {k: v for k, v in options.items() if k != "input_title"}
        entry = shared[key] = (options, [])
    entry[1].append((inp.row, inp.col))
    return True


def _rectangles(cells: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Cells as few rectangles (row runs of columns, stacked where rows repeat them)."""
    runs: dict[int, list[list[int]]] = {}
    for row, col in sorted(cells):
        spans = runs.setdefault(row, [])
        if spans and spans[-1][1] == col - 1:
            spans[-1][1] = col
        else:
            spans.append([col, col])
    out: list[list[int]] = []
    open_: dict[tuple[int, int], list[int]] = {}  # (c1, c2) → the rectangle still growing
    for row in sorted(runs):
        for c1, c2 in runs[row]:
            rect = open_.get((c1, c2))
            if rect is not None and rect[2] == row - 1:
                rect[2] = row
            else:
                rect = [row, c1, row, c2]
                open_[(c1, c2)] = rect
                out.append(rect)
    return [tuple(r) for r in out]


def _validate(ws, wb, meta, inp: InputCell, lang: str, long_lists: dict) -> None:
    options = validation_for(inp, lang)
    if options is None:
        return
    if options.get("validate") == "list" and _list_source_length(options["source"]) > DV_LIST_MAX:
        # Too long for an inline list: put the choices on the hidden sheet behind a name
        # (one column per distinct list, shared by every sheet that uses it).
        source = tuple(options["source"])
        if source not in long_lists:
            col = 3 + len(long_lists)
            if col > 25:  # beyond column Z of the hidden sheet: keep the message, drop the list
                return
            for row, choice in enumerate(source):
                meta.write_string(row, col, choice)
            name = f"xf_list_{inp.key}"
            col_letter = chr(ord("A") + col)
            wb.define_name(name, f"='{META_SHEET}'!${col_letter}$1:${col_letter}${len(source)}")
            long_lists[source] = name
        options = {**options, "source": f"={long_lists[source]}"}
    ws.data_validation(inp.row, inp.col, inp.row, inp.col, options)


# -- whole rounds ---------------------------------------------------------------------

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_filename(text: str, limit: int = 60) -> str:
    """A file-name part that Windows, macOS and Linux all accept."""
    cleaned = _UNSAFE.sub("_", text).strip().strip(".")
    cleaned = re.sub(r"\s+", " ", cleaned)[:limit].rstrip(". ")
    if cleaned.upper() in _RESERVED or not cleaned:
        cleaned = f"_{cleaned}"
    return cleaned


def workbook_filename(unit: Unit, rubric_title: str) -> str:
    short = re.sub(r"^市直机关|[“”\"'‘’]", "", rubric_title)
    return f"{safe_filename(unit.unit_id, 40)}_{safe_filename(unit.name)}_{safe_filename(short, 30)}.xlsx"


@dataclass(frozen=True)
class Generated:
    unit_id: str
    path: Path


_PLACEHOLDERS = {
    "unit_id": "XFPHUNITID0X",
    "unit_name": "XFPHUNITNAME0X",
    "signature": "XFPHSIGNATURE0X",
}


_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # zipfile's central directory record
_END = struct.Struct("<4s4H2LH")  # and its end-of-archive record


def _deflate(body: bytes) -> bytes:
    """What ``zipfile`` writes for a ZIP_DEFLATED entry at its default level."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(body) + compressor.flush()


class _Part:
    """One zip entry of the template: its bytes ready to copy, or to re-deflate when stamped.

    The local header and the central directory record are kept as the bytes around
    their CRC and sizes (and the record's offset), so a stamped entry is a few joins.
    """

    def __init__(self, info: zipfile.ZipInfo, body: bytes, stamped: bool):
        self.info, self.body, self.stamped = info, body, stamped
        one = io.BytesIO()
        with zipfile.ZipFile(one, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
            z = zf.infolist()[0]  # as zipfile completed it (flags, sizes, CRC)
            self.local = one.getvalue()[: one.tell()]  # local header and data at offset 0
        header = z.FileHeader(False)  # CRC, compressed and full size at bytes 14-26
        self._local_head, self._local_tail = header[:14], header[26:]
        dt = z.date_time
        name, flags = z._encodeFilenameFlags()
        record = (
            _CENTRAL.pack(
                zipfile.stringCentralDir, z.create_version, z.create_system,
                z.extract_version, z.reserved, flags, z.compress_type,
                dt[3] << 11 | dt[4] << 5 | (dt[5] // 2), (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2],
                z.CRC, z.compress_size, z.file_size, len(name), len(z.extra), len(z.comment),
                0, z.internal_attr, z.external_attr, 0,
            )
            + name + z.extra + z.comment
        )  # fmt: skip  # as zipfile._write_end_record writes it; CRC and sizes at 16-28
        self._head, self.sizes, self._mid, self._tail = (
            record[:16],
            record[16:28],
            record[28:42],
            record[46:],
        )

    def central(self, offset: int, sizes: bytes) -> bytes:
        """The entry's central directory record, its local header at ``offset``."""
        return self._head + sizes + self._mid + offset.to_bytes(4, "little") + self._tail

    def entry(self, body: bytes) -> tuple[bytes, bytes]:
        """(local header and data, CRC and sizes) of this entry holding ``body``."""
        data = _deflate(body)
        sizes = struct.pack("<3L", zlib.crc32(body), len(data), len(body))
        return self._local_head + sizes + self._local_tail + data, sizes


class WorkbookStamper:
    """Render a round's workbook once, then stamp each unit's identity into a copy.

    Every unit workbook of a round is the same but for the unit id, the unit name
    and the signature.  Rendering with XlsxWriter takes ~15 ms; stamping the three
    strings into the shared-strings and document-properties parts takes well under
    a millisecond: only those two parts are deflated again, every other entry's
    compressed bytes and directory record are copied from the template.  The
    archive is byte for byte what ``zipfile`` writes for the same parts (checked
    on the template when the stamper is made; should a Python's ``zipfile`` ever
    write differently, each copy is written by ``zipfile`` itself).
    ``workbook_bytes`` stays the reference: a test checks that both give the same
    cells.
    """

    def __init__(self, layout: BookLayout | Layout, template_identity: Identity, key: bytes):
        self.layout = layout
        self.key = key
        self._template_identity = template_identity
        placeholder = replace(
            template_identity,
            unit_id=_PLACEHOLDERS["unit_id"],
            unit_name=_PLACEHOLDERS["unit_name"],
        )
        self._template_signature = placeholder.sign(key)
        marks = [p.encode() for p in (*_PLACEHOLDERS.values(), self._template_signature)]
        data = workbook_bytes(layout, placeholder, key)
        self._parts: list[_Part] = []
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                body = zf.read(info)
                self._parts.append(_Part(info, body, any(m in body for m in marks)))
        self._fast = True
        self._fast = self._assemble(self._replacements(template_identity)) == self._zipfile(
            self._replacements(template_identity)
        )

    def _replacements(self, identity: Identity) -> dict[str, str]:
        return {
            _PLACEHOLDERS["unit_id"]: xml_escape(identity.unit_id),
            _PLACEHOLDERS["unit_name"]: xml_escape(identity.unit_name),
            self._template_signature: xml_escape(identity.sign(self.key)),
        }

    @staticmethod
    def _stamped(body: bytes, values: dict[str, str]) -> bytes:
        text = body.decode("utf-8")
        for old, new in values.items():
            text = text.replace(old, new)
        return text.encode("utf-8")

    def _assemble(self, values: dict[str, str]) -> bytes:
        """The archive from the template's entries, the stamped ones deflated anew."""
        chunks: list[bytes] = []
        central: list[bytes] = []
        offset = 0
        for part in self._parts:
            if part.stamped:
                local, sizes = part.entry(self._stamped(part.body, values))
            else:
                local, sizes = part.local, part.sizes
            central.append(part.central(offset, sizes))
            chunks.append(local)
            offset += len(local)
        directory = b"".join(central)
        count = len(self._parts)
        end = _END.pack(zipfile.stringEndArchive, 0, 0, count, count, len(directory), offset, 0)
        return b"".join([*chunks, directory, end])

    def _zipfile(self, values: dict[str, str]) -> bytes:
        """The same archive written entry by entry by ``zipfile`` (the reference)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in self._parts:
                body = self._stamped(part.body, values) if part.stamped else part.body
                zf.writestr(part.info, body, compress_type=zipfile.ZIP_DEFLATED)
        return out.getvalue()

    def stamp(self, identity: Identity) -> bytes:
        """The workbook for ``identity`` (same round fields as the template)."""
        values = self._replacements(identity)
        return self._assemble(values) if self._fast else self._zipfile(values)


def _atomic_bulk(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data, durable=False)


def write_unit_workbooks(
    book: BookLayout | Layout | Callable[[Unit], BookLayout],
    units: Iterable[Unit],
    out_dir: Path,
    make_identity: Callable[[Unit], Identity],
    key: bytes,
    progress: Callable[[int], None] | None = None,
    *,
    staged: bool = False,
) -> list[Generated]:
    """Write each unit's workbook into ``out_dir`` (atomically, one file at a time).

    ``book`` is the same for every unit, or (a round) a function giving each unit's
    own; units with the same book share one rendering.  ``staged``: ``out_dir`` is a
    :class:`~xlsxflow.atomic.StagedDir` being filled, swapped in whole, so each file
    is written straight to its name (no temporary file and rename per workbook).
    """
    write = write_staged_bytes if staged else _atomic_bulk
    out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(book, Layout):
        book = BookLayout.of(book)
    book_for = book if callable(book) else (lambda unit, b=book: b)
    stampers: dict[tuple, WorkbookStamper] = {}
    written = []
    for unit in units:
        unit_book = book_for(unit)
        identity = make_identity(unit)
        shape = (id(unit_book), identity.sheets)
        if shape not in stampers:
            stampers[shape] = WorkbookStamper(unit_book, identity, key)
        data = stampers[shape].stamp(identity)
        path = out_dir / workbook_filename(unit, unit_book.subject)
        write(path, data)
        written.append(Generated(unit.unit_id, path))
        if progress:
            progress(1)
    return written


__all__ = ["workbook_bytes", "write_unit_workbooks", "validation_for", "safe_filename", "ref"]
