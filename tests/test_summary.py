"""The summary workbook, opened: sheets, text-only strings, frozen headers, filters, chart."""

from __future__ import annotations

import json

import openpyxl
import pytest
from conftest import fill

from xlsxflow.ingest import ingest
from xlsxflow.summary import neutralise, write_report_json, write_summary

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "http://example.org",
    "file:///etc",
]


@pytest.fixture(scope="module")
def summary(round_dir, tmp_path_factory):
    folder, result, ctx = round_dir
    work = tmp_path_factory.mktemp("summary")
    files = {g.unit_id: g.path for g in result.files}

    def notes(wb, ws, layout):
        refs = [i.ref for i in layout.inputs if i.kind == "note"] + [
            layout.input_named("xf_filler").ref
        ]
        for ref, text in zip(refs, HOSTILE + HOSTILE[:1], strict=False):
            ws[ref] = text
            ws[ref].data_type = "s"  # typed as text, the way a unit's spreadsheet stores it

    fill(files["CZJ"], work / "returns" / "a.xlsx", edit=notes)
    fill(files["JYJ"], work / "returns" / "b.xlsx", scores={"i01": 99})
    (work / "returns" / "=HYPERLINK(1).xlsx").write_bytes(b"junk")
    report = ingest(work / "returns", ctx)
    write_summary(report, ctx.rubric, ctx.roster, work / "summary.xlsx")
    write_report_json(report, work / "report.json")
    return openpyxl.load_workbook(work / "summary.xlsx"), report, work


def test_sheets_in_order(summary):
    wb, _, _ = summary
    assert wb.sheetnames == ["排名", "明细", "问题", "未交", "文件", "说明"]


def test_ranking_sheet(summary):
    wb, report, _ = summary
    ws = wb["排名"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["排名", "单位编号", "单位名称"]
    assert "主管单位" not in header  # neither unit has one: no empty column
    assert header[-5:] == ["小计", "加分", "总分", "是否符合条件", "不符合原因"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    assert ws["B2"].value == "CZJ" and ws["A2"].value == 1
    assert ws["B3"].value == "JYJ" and ws["A3"].value == "不排名"
    assert ws.conditional_formatting
    assert ws.page_setup.paperSize == 9 and ws.print_title_rows == "$1:$1"


def test_strings_from_returns_are_text_never_formulas(summary):
    wb, _, _ = summary
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert cell.number_format == "@"
                assert cell.hyperlink is None
    files = [c.value for c in wb["文件"]["A"]]
    assert "=HYPERLINK(1).xlsx" in files


def test_issue_sheet_names_file_sheet_cell(summary):
    wb, _, _ = summary
    rows = [[c.value for c in r] for r in wb["问题"].iter_rows(min_row=2)]
    found = [r[:6] + r[-1:] for r in rows]  # the code is the last (side) column
    assert ["错误", "JYJ", "市教育局", "b.xlsx", "自评表", "D6", "value-out-of-range"] in found


def test_missing_sheet_lists_units_with_email(summary):
    wb, report, _ = summary
    rows = [[c.value for c in r] for r in wb["未交"].iter_rows(min_row=2)]
    assert len(rows) == 28
    assert any(r[5] and r[5].endswith("@example.org") for r in rows)


def test_about_sheet_has_a_chart(summary):
    wb, _, _ = summary
    ws = wb["说明"]
    assert ws._charts, "a chart of the distribution of totals"
    rows = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert "文明单位" in rows["评分表"][0] and "wenming-danwei" in rows["评分表"][1]


def test_json_report_neutralises_formula_prefixes(summary):
    _, _, work = summary
    text = (work / "report.json").read_text(encoding="utf-8")
    data = json.loads(text)
    paths = [f["path"] for f in data["files"]]
    assert "'=HYPERLINK(1).xlsx" in paths
    assert neutralise("-2+3") == "'-2+3" and neutralise("市教育局") == "市教育局"


def test_english_labels(round_dir, summary, tmp_path):
    _, report, work = summary
    _, _, ctx = round_dir
    write_summary(report, ctx.rubric, ctx.roster, tmp_path / "en.xlsx", lang="en")
    wb = openpyxl.load_workbook(tmp_path / "en.xlsx")
    assert wb.sheetnames == ["Ranking", "Details", "Issues", "Missing", "Files", "About"]
    assert [c.value for c in wb["Ranking"][1]][:3] == ["Rank", "Unit ID", "Unit"]


# -- report.json: the top two levels indented, one line an entry ----------------------


def test_json_report_one_line_an_entry(summary):
    _, report, work = summary
    lines = (work / "report.json").read_text(encoding="utf-8").splitlines()
    entry_lines = [line for line in lines if line.startswith("    {")]
    # every file and every result on a line of its own, whole
    assert len(entry_lines) >= len(report.files) + len(report.results)
    for line in entry_lines:
        json.loads(line.strip().rstrip(","))
    assert lines[0] == "{" and lines[-1] == "}"


def _reference(data) -> object:
    """What report.json held as json.dumps(..., indent=2) of the neutralised data."""
    from xlsxflow.summary import _neutralise_all

    return json.loads(json.dumps(_neutralise_all(data), ensure_ascii=False, indent=2))


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"empty": [], "none": {}, "n": None, "x": 1.5, "t": "=1+1"},
        {"files": [{"path": "=x.xlsx", "issues": [{"cell": "+A1", "v": ["-1", "@a"]}]}]},
        {"by": {"a": "\tTAB", "b": {"c": ["\rreturn", "ok", 'a"=b']}, "d": "\ud800x"}},
        {"deep": [[["=a"]], {"k": {"k": "-"}}], "ok": ["市教育局", "", 0, -1, True]},
    ],
)
def test_json_report_equals_indented_json_of_the_neutralised_data(tmp_path, data):
    from xlsxflow.summary import write_json_report

    write_json_report(data, tmp_path / "r.json")
    raw = (tmp_path / "r.json").read_bytes()
    raw.decode("utf-8")  # a lone surrogate could not have been written
    assert json.loads(raw) == _reference(data)
    assert raw.endswith(b"}\n")


def test_json_report_of_random_data_equals_the_indented_json(tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from xlsxflow.summary import write_json_report

    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    values = st.recursive(
        leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner)
    )

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.text(), values, max_size=6))
    def check(data):
        write_json_report(data, tmp_path / "r.json")
        assert json.loads((tmp_path / "r.json").read_bytes()) == _reference(data)

    check()


def test_display_width_fast_path_agrees_character_by_character():
    """The ASCII-and-CJK shortcut gives what the width tables give, for every character
    it covers, and for texts that mix them with others."""
    from xlsxflow.summary import _ASCII_AND_CJK, _wide_width, display_width

    covered = [chr(c) for c in range(0x20, 0x10000) if _ASCII_AND_CJK.fullmatch(chr(c))]
    assert len(covered) > 27000
    for ch in covered:
        assert display_width(ch) == _wide_width.__wrapped__(ch), ch
    for text in ("测试单位00001_文明单位.xlsx", "（一）、【说明】", "“引号”·—", "x\u302a", "é中"):
        assert display_width(text) == _wide_width.__wrapped__(text), text
