"""The quick paths of the checks (issue #16) say what the general ones say.

``check_locked`` compares a sheet with its layout in one pass and walks the cells one by
one only when something differs; each change here must be found, with the same issues,
as by the walk alone.  ``parse_number`` and ``parse_text`` read the usual cells without
their general steps: the outcomes below are those steps' outcomes.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from xlsxflow import checks
from xlsxflow.checks import Where, check_locked, read_inputs
from xlsxflow.identity import Identity
from xlsxflow.layout import build_layout, role_values
from xlsxflow.ooxml import RawCell, Sheet
from xlsxflow.rubric import load_rubric
from xlsxflow.submission import Submission
from xlsxflow.values import Parsed, parse_number, parse_text

LAYOUTS = [
    build_layout(load_rubric(name), lang)
    for name, lang in (("wenming-danwei", "zh"), ("xingji-pian2", "zh"), ("wenming-keshi", "en"))
]
IDENTITY = Identity(
    "xlsxflow-1", "r1", "2026年度评选", "2026-12-31", "x", "1", "h", "zh", "U1", "单位一", "t", "k"
)


def clean_sheet(layout) -> Sheet:
    """A sheet as xlsxflow wrote it (formulas with a cached result, empty cells styled)."""
    roles = role_values(layout, IDENTITY)
    cells = {}
    for c in layout.cells:
        if c.input is not None:
            continue
        value = roles[c.role] if c.role else c.value
        if c.formula:
            cells[(c.row, c.col)] = RawCell(0.0, "n", c.formula, 3)
        elif value is None or value == "":
            cells[(c.row, c.col)] = RawCell(None, "n", None, 2)
        else:
            cells[(c.row, c.col)] = RawCell(value, "s" if isinstance(value, str) else "n", None, 1)
    for r1, c1, r2, c2 in layout.merges:  # the blank cells a writer puts inside a merge
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                cells.setdefault((r, c), RawCell(None, "n", None, 2))
    return Sheet(layout.sheet_name, cells, "", True)


def by_walk(sheet, layout, monkeypatch) -> list:
    """What the cell-by-cell walk alone finds (the quick comparison turned off)."""
    with monkeypatch.context() as m:
        m.setattr(checks, "_unchanged", lambda *args: False)
        return list(check_locked(sheet, layout, IDENTITY, Where("f.xlsx", layout.sheet_name)))


def changes(cell: RawCell) -> list[RawCell | None]:
    """Ways one written cell can be found changed, or saved otherwise by a program."""
    out: list[RawCell | None] = [None, replace(cell, value="x"), replace(cell, formula="1+1")]
    if cell.formula:
        f = cell.formula
        out += [replace(cell, formula=v) for v in ("", f.lower(), "$" + f, "_xlfn." + f, f + "+0")]
    elif isinstance(cell.value, str):
        out += [
            replace(cell, value=v) for v in (cell.value + " ", cell.value.replace("\n", "\r\n"))
        ]
        out += [replace(cell, value=1.0)]
    elif isinstance(cell.value, float):
        out += [
            replace(cell, value=v)
            for v in (True, int(cell.value), cell.value + 1e-12, str(cell.value))
        ]
    else:
        out += [replace(cell, value=v) for v in (" ", "\u3000", 0.0, False)]
    return out


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.rubric.id)
def test_locked_quick_path_agrees_with_the_walk(layout, monkeypatch):
    sheet = clean_sheet(layout)
    where = Where("f.xlsx", layout.sheet_name)
    assert list(check_locked(sheet, layout, IDENTITY, where)) == []
    assert by_walk(sheet, layout, monkeypatch) == []
    found_some = 0
    for pos, cell in sheet.cells.items():
        for changed in changes(cell):
            cells = dict(sheet.cells)
            if changed is None:
                del cells[pos]
            else:
                cells[pos] = changed
            tampered = replace(sheet, cells=cells)
            quick = list(check_locked(tampered, layout, IDENTITY, where))
            assert quick == by_walk(tampered, layout, monkeypatch), (pos, changed)
            found_some += bool(quick)
    assert found_some > len(sheet.cells)  # most changes are found: the test tests something


def test_many_changes_keep_the_cap(monkeypatch):
    layout = LAYOUTS[0]
    sheet = clean_sheet(layout)
    cells = {
        pos: replace(c, value="改") if isinstance(c.value, str) else c
        for pos, c in sheet.cells.items()
    }
    tampered = replace(sheet, cells=cells)
    issues = list(check_locked(tampered, layout, IDENTITY, Where("f.xlsx", layout.sheet_name)))
    assert issues == by_walk(tampered, layout, monkeypatch)
    assert len(issues) == checks.MAX_TAMPER_ISSUES + 1
    assert issues[-1].code == "tamper-too-many"


def test_inputs_read_the_same_through_the_plan():
    """read_inputs twice on one layout (the second from its cached plan): the same."""
    layout = LAYOUTS[0]
    score = next(i for i in layout.inputs if i.kind == "score")
    sheet = clean_sheet(layout)
    sheet.cells[(score.row, score.col)] = RawCell(score.max + 1, "n", None, 9)
    runs = []
    for _ in range(2):
        sub = Submission("U1", layout.rubric.id)
        issues = list(read_inputs(sheet, layout, sub, Where("f.xlsx")))
        runs.append((issues, sub))
    assert runs[0] == runs[1]
    assert [i.code for i in runs[0][0] if i.cell == score.ref] == ["value-out-of-range"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, Parsed(None, "missing")),
        (RawCell(None, "n", None, 2), Parsed(None, "missing")),
        (RawCell(95.0, "n"), Parsed(95.0, "ok", "95")),
        (RawCell(2.5, "n"), Parsed(2.5, "ok", "2.5")),
        (RawCell(-0.0, "n"), Parsed(-0.0, "ok", "-0")),
        (RawCell(math.inf, "n"), Parsed(None, "not_number", "inf")),
        (RawCell(math.nan, "n"), Parsed(None, "not_number", "nan")),
        (RawCell(0.5, "d"), Parsed(0.5, "ok", "12:00")),  # a time cell is shown as one
        (RawCell(3.0, "n", "A1*3"), Parsed(None, "formula", "A1*3")),
        (RawCell(1.0, "n", ""), Parsed(None, "formula", "")),  # a shared formula's child
        (RawCell(True, "b"), Parsed(None, "not_number", "TRUE")),
        (RawCell(" ５分 ", "s"), Parsed(5.0, "normalised", " ５分 ")),
    ],
)
def test_parse_number(cell, expected):
    got = parse_number(cell)
    assert (got.status, got.found, repr(got.value)) == (
        expected.status,
        expected.found,
        repr(expected.value),
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, Parsed(None, "missing")),
        (RawCell(None, "n", None, 2), Parsed(None, "missing")),
        (RawCell(" 是 ", "s"), Parsed("是", "ok", "是")),
        (RawCell("\u3000", "s"), Parsed(None, "missing")),
        (RawCell("a\u202eb", "s"), Parsed("ab", "ok", "ab", "U+202E")),
        (RawCell("\u200b", "s"), Parsed(None, "missing")),
        (RawCell("\ufeff否", "s"), Parsed("否", "ok", "否", "U+FEFF")),
        (RawCell(12.0, "n"), Parsed("12", "ok", "12")),
        (RawCell("x", "str", "A1"), Parsed(None, "formula", "A1")),
    ],
)
def test_parse_text(cell, expected):
    assert parse_text(cell) == expected
