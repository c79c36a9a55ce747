"""Big tables written fast with XlsxWriter: whole rows at a time, cells serialised directly.

A summary of 10,000 units is some 600,000 cells.  Through XlsxWriter's public calls each
cell costs an argument check, a bounds check and a generic XML writer with attribute
escaping; here a row of ordinary cells (a number, a shared string or a blank, each with a
format) is stored in one call and serialised with one f-string.  The file is the same,
byte for byte, as XlsxWriter writes it through its public calls: anything else (a formula,
a link, a NaN, a very long text, a cell without a format) goes through XlsxWriter's own
code, and ``tests/test_fastsheet.py`` compares both paths on every summary the demo makes.

This leans on XlsxWriter's worksheet internals (the cell table, the shared-string table,
``_write_rows``), stable across its 3.x releases; :func:`usable` checks them once and the
callers fall back to the public calls when they differ.
"""

from __future__ import annotations

import gc
import math
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellNumberTuple,
    CellStringTuple,
    Worksheet,
)

from .values import writable

_SHORT = 16383  # a string this short is within Excel's 32,767 UTF-16 units whatever it holds


class FastWorksheet(Worksheet):
    """A worksheet that also takes whole rows of plain values (:meth:`put_values`).

    Equal cells (the same shared string, number or blank with the same format) are one
    object: XlsxWriter only reads them, and 10,000 units' 明细 repeats a few dozen scores
    hundreds of thousands of times."""

    def __init__(self) -> None:
        super().__init__()
        self._numbers: dict = {}  # zeros, by sign and format
        self._blanks: dict = {}  # by format
        self._row_cells: dict = {}  # by (text, number, whole) formats: texts, floats, ints

    def put_values(
        self,
        row: int,
        values: list,
        formats: tuple[object, object, object],
        short: list[float],
        long_text: Callable[[int, str], tuple[str, int]],
    ) -> int:
        """Store one row of a table, column 0 on, and return the lines its tallest text
        wraps to.

        ``formats`` are the (text, number, whole number) formats: a str is a shared
        string, a float or int a number, None or "" a blank with the text format; a
        bool or anything else is written as its text.  A text longer than ``short[col]``
        characters, or with a line break, goes through ``long_text(col, text)``, which
        returns the text to write and its lines.  Equal to ``write_string`` /
        ``write_number`` / ``write_blank`` cell by cell."""
        text, number, whole = formats
        cache = self._row_cells.get(formats)
        if cache is None:
            cache = self._row_cells[formats] = ({}, {}, {})
        strings, floats, ints = cache
        line = self.table[row]
        lines = 1
        uses = 0  # strings found in ``strings``: each a use of the shared-string table
        for col, value in enumerate(values):
            kind = value.__class__
            if kind is float:
                cell = floats.get(value) if value else None  # 0.0 == -0.0: not cached
                if cell is None:
                    cell = self._number(row, col, value, number, floats)
                    if cell is None:
                        continue
            elif kind is str:
                if len(value) > short[col] or "\n" in value:
                    value, n = long_text(col, value)
                    if n > lines:
                        lines = n
                cell = strings.get(value)
                if cell is None:
                    cell = self._string(row, col, value, text, strings)
                    if cell is None:
                        continue
                else:
                    uses += 1
            elif kind is int:
                cell = ints.get(value)
                if cell is None:
                    cell = ints[value] = CellNumberTuple(value, whole)
            elif value is None:
                cell = self._blank(text)
            else:  # a bool, an int or str subclass, a Decimal, …: as the public calls do
                lines = max(lines, self._put_odd(row, col, value, formats, short, long_text))
                continue
            line[col] = cell
        self.str_table.count += uses
        if values:
            self._check_dimensions(row, 0)
            self._check_dimensions(row, len(values) - 1)
        return lines

    def _number(self, row: int, col: int, value: float, fmt, floats: dict):
        """A float's cell, remembered in ``floats`` unless zero (0 and -0 are written
        apart); None once written as XlsxWriter writes a NaN or an infinity."""
        if not math.isfinite(value):
            self._write_number(row, col, value, fmt)
            return None
        if not value:
            key = (value, fmt, math.copysign(1.0, value))
            cell = self._numbers.get(key)
            if cell is None:
                cell = self._numbers[key] = CellNumberTuple(value, fmt)
            return cell
        cell = floats[value] = CellNumberTuple(value, fmt)
        return cell

    def _string(self, row: int, col: int, value: str, fmt, strings: dict):
        """A text's cell (its shared string), remembered in ``strings``; None once
        written by XlsxWriter (a text it cuts to Excel's limit).  "" is a blank."""
        if not value:
            return self._blank(fmt)
        written = value if value.isascii() else writable(value)
        if len(written) > _SHORT:  # XlsxWriter truncates what Excel cannot hold
            self._write_string(row, col, written, fmt)
            return None
        cell = strings[value] = CellStringTuple(
            self.str_table._get_shared_string_index(written), fmt
        )
        return cell

    def _blank(self, fmt):
        cell = self._blanks.get(fmt)
        if cell is None:
            cell = self._blanks[fmt] = CellBlankTuple(fmt)
        return cell

    def _put_odd(self, row, col, value, formats, short, long_text) -> int:
        """A value of another kind, alone: its lines (a str subclass's are counted)."""
        text, number, whole = formats
        line = self.table[row]
        lines = 1
        if value == "":
            cell = self._blank(text)
        elif isinstance(value, bool):
            cell = self._string(row, col, str(value), text, {})
        elif isinstance(value, int):
            cell = CellNumberTuple(value, whole)
        elif isinstance(value, float):
            cell = self._number(row, col, value, number, {})
        else:
            if isinstance(value, str) and (len(value) > short[col] or "\n" in value):
                value, lines = long_text(col, value)
            cell = self._string(row, col, str(value), text, {})
        if cell is not None:
            line[col] = cell
        return lines

    def _calculate_spans(self) -> None:
        # XlsxWriter's spans (the first and last column used in each block of 16 rows),
        # from each row's lowest and highest column instead of a test of every column.
        spans = {}
        low = high = None
        table, comments = self.table, self.comments
        colmin, colmax, last = self.dim_colmin, self.dim_colmax, self.dim_rowmax
        for row in range(self.dim_rowmin, last + 1):
            for cols in (table.get(row), comments.get(row)):
                if not cols:
                    continue
                first, end = min(cols), max(cols)
                if first < colmin or end > colmax:  # only the columns within the sheet's
                    inside = [c for c in cols if colmin <= c <= colmax]
                    if not inside:
                        continue
                    first, end = min(inside), max(inside)
                if low is None:
                    low, high = first, end
                else:
                    low, high = min(low, first), max(high, end)
            if ((row + 1) % 16 == 0 or row == last) and low is not None:
                spans[row // 16] = f"{low + 1}:{high + 1}"
                low = None
        self.row_spans = spans

    def _write_rows(self) -> None:
        # XlsxWriter's loop over the rows, each row's plain cells joined into one write:
        # the same <row> and <c> elements in the same order (columns ascending).
        self._calculate_spans()
        table, info, comments, spans = self.table, self.row_info, self.comments, self.row_spans
        colmin, colmax = self.dim_colmin, self.dim_colmax
        write, stock = self.fh.write, Worksheet._write_cell
        names = [xl_col_to_name(col) for col in range(colmax + 1)] if colmax is not None else []
        tails: dict[int, str] = {}  # a cell object's XML after its reference (cells are shared)
        for row in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row)
            span = spans.get(row // 16)
            if not cells:
                if row in info or row in comments:
                    self._write_empty_row(row, span, info.get(row))
                continue
            self._write_row(row, span, info.get(row))
            number = str(row + 1)
            pieces = []
            for col in sorted(cells):
                if col < colmin or col > colmax:
                    continue
                cell = cells[col]
                tail = tails.get(id(cell))
                if tail is None:
                    fmt = cell.format
                    kind = cell.__class__
                    if fmt is None or kind not in _PLAIN:
                        write("".join(pieces))
                        pieces.clear()
                        stock(self, row, col, cell)
                        continue
                    s = fmt._get_xf_index()
                    if kind is CellStringTuple:
                        tail = f'" s="{s}" t="s"><v>{cell.string}</v></c>'
                    elif kind is CellNumberTuple:
                        tail = f'" s="{s}"><v>{cell.number:.16G}</v></c>'
                    else:
                        tail = f'" s="{s}"/>'
                    tails[id(cell)] = tail
                pieces.append(f'<c r="{names[col]}{number}{tail}')
            pieces.append("</row>")
            write("".join(pieces))


_PLAIN = frozenset((CellStringTuple, CellNumberTuple, CellBlankTuple))

# zlib's level for the parts of a big workbook.  XlsxWriter deflates at zlib's default
# (6): 0.33 s of CPU for the 25 MB of XML of a 10,000-unit summary, 2.7 MB on disk.
# Level 1 takes 0.08 s and 3.7 MB; a file read on the office's own disk, not mailed.
DEFLATE_LEVEL = 1


class FastWorkbook(xlsxwriter.Workbook):
    """A workbook of :class:`FastWorksheet` whose parts are deflated at
    :data:`DEFLATE_LEVEL`: the same parts, a faster and somewhat larger zip."""

    worksheet_class = FastWorksheet

    def _store_workbook(self) -> None:
        # XlsxWriter opens its ZipFile without a level: give it one for this call.
        module = xlsxwriter.workbook
        if module.ZipFile is not zipfile.ZipFile:  # another XlsxWriter: its own zip
            return super()._store_workbook()
        module.ZipFile = partial(zipfile.ZipFile, compresslevel=DEFLATE_LEVEL)
        try:
            return super()._store_workbook()
        finally:
            module.ZipFile = zipfile.ZipFile


def usable() -> bool:
    """Whether this XlsxWriter has the internals :class:`FastWorksheet` relies on."""
    ws = Worksheet()
    return all(
        hasattr(ws, name)
        for name in (
            *("table", "row_info", "comments", "row_spans", "dim_rowmin", "dim_colmin", "fh"),
            *("_write_string", "_write_number", "_check_dimensions", "_calculate_spans"),
            *("_write_row", "_write_empty_row", "_write_rows", "_write_cell", "dim_rowmax"),
        )
    ) and (CellStringTuple._fields, CellNumberTuple._fields) == (
        ("string", "format"),
        ("number", "format"),
    )


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: building a big workbook allocates hundreds of
    thousands of small objects (none in cycles) and each pass would walk them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
