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
from collections.abc import Iterator
from contextlib import contextmanager

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellNumberTuple,
    CellStringTuple,
    Worksheet,
)

_SHORT = 16383  # a string this short is within Excel's 32,767 UTF-16 units whatever it holds


class FastWorksheet(Worksheet):
    """A worksheet that also takes whole rows of plain cells (:meth:`put_row`).

    Equal cells (the same shared string, number or blank with the same format) are one
    object: XlsxWriter only reads them, and 10,000 units' 明细 repeats a few dozen scores
    hundreds of thousands of times."""

    def __init__(self) -> None:
        super().__init__()
        self._strings: dict = {}
        self._numbers: dict = {}
        self._blanks: dict = {}

    def put_row(self, row: int, cells: list[tuple[int, object, object]]) -> None:
        """Store one row: ``cells`` are (column, value, format) in column order; a value is
        a str (shared string), an int or float (number, not a bool) or None (a blank with
        the format).

        Equal to ``write_string`` / ``write_number`` / ``write_blank`` cell by cell."""
        if not cells:
            return
        line = self.table[row]
        index = self.str_table._get_shared_string_index
        strings, numbers, blanks = self._strings, self._numbers, self._blanks
        for col, value, fmt in cells:
            if value is None:
                cell = blanks.get(fmt)
                if cell is None:
                    cell = blanks[fmt] = CellBlankTuple(fmt)
            elif isinstance(value, str):
                if len(value) > _SHORT:  # XlsxWriter truncates what Excel cannot hold
                    self._write_string(row, col, value, fmt)
                    continue
                key = (index(value), fmt)
                cell = strings.get(key)
                if cell is None:
                    cell = strings[key] = CellStringTuple(key[0], fmt)
            elif math.isfinite(value):
                # an int and the float equal to it are written alike ("{:.16G}"); 0.0 and
                # -0.0 are not ("0", "-0"), so a zero's key holds its sign
                key = (value, fmt) if value else (value, fmt, math.copysign(1.0, value))
                cell = numbers.get(key)
                if cell is None:
                    cell = numbers[key] = CellNumberTuple(value, fmt)
            else:  # NaN and infinities: XlsxWriter's own handling
                self._write_number(row, col, value, fmt)
                continue
            line[col] = cell
        self._check_dimensions(row, cells[0][0])
        self._check_dimensions(row, cells[-1][0])

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
