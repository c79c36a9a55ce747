"""The summary's fast table path writes the same workbook as XlsxWriter's public calls.

Differential: every summary the shipped demos make (三创三树 with its review and 审定,
红旗党支部 with 民主测评 and 历史, 评星晋级) and a generated round's (hostile notes, a
junk file) is written twice from the same report, once through :class:`FastWorksheet`
and once cell by cell through XlsxWriter's public calls, and every part of the two files
is compared byte for byte (all but the creation time in docProps/core.xml): the same
cells, shared strings, formats, row heights, merged ranges, print settings, data
validations, conditional formats and links.  Odd values (NaN, a text past Excel's limit,
a bool, a Decimal, a str subclass, texts moved to 全文) are compared the same way.
"""

from __future__ import annotations

import io
import math
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from conftest import fill

from xlsxflow import demo, summary
from xlsxflow.fastsheet import usable
from xlsxflow.ingest import ingest


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n != "docProps/core.xml"}


def _both(monkeypatch, make) -> tuple[bytes, bytes]:
    monkeypatch.setattr(summary, "FAST_PATH", True)
    fast = make()
    monkeypatch.setattr(summary, "FAST_PATH", False)
    plain = make()
    return fast, plain


def _assert_same(fast: bytes, plain: bytes) -> None:
    a, b = _parts(fast), _parts(plain)
    assert a.keys() == b.keys()
    assert [n for n in a if a[n] != b[n]] == []


def test_this_xlsxwriter_is_usable():
    assert usable() and summary.FAST_PATH


@pytest.fixture(scope="module")
def demo_calls(tmp_path_factory):
    """Every summary_bytes call the three shipped demos make, with its arguments."""
    calls = []
    real = summary.summary_bytes

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(summary, "summary_bytes", recording)
        demo.run_all_demos(tmp_path_factory.mktemp("demo") / "demo", echo=lambda _: None)
    return calls


def test_demo_summaries_identical(demo_calls, monkeypatch):
    assert len(demo_calls) >= 3
    sheets = set()
    for args, kwargs in demo_calls:
        fast, plain = _both(monkeypatch, lambda a=args, k=kwargs: summary.summary_bytes(*a, **k))
        _assert_same(fast, plain)
        sheets |= set(openpyxl.load_workbook(io.BytesIO(fast)).sheetnames)
    # the sheets these demos reach: review, 审定, history, stars, evidence, full texts
    assert {"评审汇总", "评审进度", "历史", "问题", "文件", "说明"} <= sheets
    assert any("星级" in s for s in sheets) and any("明细" in s for s in sheets)


def test_generated_round_identical(round_dir, tmp_path, monkeypatch):
    folder, result, ctx = round_dir
    files = {g.unit_id: g.path for g in result.files}

    def notes(wb, ws, layout):
        for inp in layout.inputs:
            if inp.kind == "note":
                ws[inp.ref] = '=HYPERLINK("http://x","y")'
                ws[inp.ref].data_type = "s"

    fill(files["CZJ"], tmp_path / "returns" / "a.xlsx", edit=notes)
    fill(files["JYJ"], tmp_path / "returns" / "b.xlsx", scores={"i01": 99})
    (tmp_path / "returns" / "=junk.xlsx").write_bytes(b"junk")
    report = ingest(tmp_path / "returns", ctx)
    fast, plain = _both(monkeypatch, lambda: summary.summary_bytes(report, ctx.rubric, ctx.roster))
    _assert_same(fast, plain)
    assert openpyxl.load_workbook(io.BytesIO(fast)).sheetnames[:3] == ["排名", "明细", "问题"]


class _Text(str):
    pass


def test_odd_values_identical(monkeypatch):
    rows = [
        ["a", 1, 2.5, None, "", True, Decimal("1.50"), _Text("子类"), math.nan, -math.inf],
        ["长" * 20000, 0, -0.0, 1e300, "x\ny\nz", False, "=1+1", "\ud800", 10**20, 3],
        ["说明" * 400, 7, 0.1 + 0.2, "http://example.org", " a ", 2, None, "", 1.0, "&<>"],
        ["", 0.0, -0.0, 1e20, 0, 1, 1.0, 10**20 + 1, float(10**20 + 1), 0],
    ]

    def make() -> bytes:
        buffer = io.BytesIO()
        wb = summary.reading_workbook(buffer, fast=summary.FAST_PATH)
        wb.nan_inf_to_errors = True  # NaN and ±inf written as Excel errors on both paths
        s = summary._Sheets(wb)
        s.table("表", [f"列{n}" for n in range(10)], rows, unit_columns=(0,))
        s.full_text_sheet("标题")
        wb.add_worksheet("行高").set_row(3, 30)  # rows with a height and no cell
        ws = wb.add_worksheet("散")  # cells of every kind, not in order, a comment
        ws.write_formula(5, 2, "=1+1", s.num, 2)
        ws.write_url(2, 4, "external:a/b/", s.text, "打开")
        ws.write_comment(40, 30, "批注")
        ws.write_string(1, 0, "a")
        ws.write_number(1, 3, -0.0)
        wb.close()
        return buffer.getvalue()

    fast, plain = _both(monkeypatch, make)
    _assert_same(fast, plain)
