"""The generated workbook, opened and inspected: protection, validation, names, identity, print."""

from __future__ import annotations

import zipfile
from dataclasses import replace

import openpyxl
import pytest

from xlsxflow.identity import Identity, key_id, load_key
from xlsxflow.layout import META_SHEET, build_layout
from xlsxflow.rubric import load_rubric
from xlsxflow.writer import (
    DV_ERROR_MAX,
    DV_INPUT_MAX,
    DV_LIST_MAX,
    DV_TITLE_MAX,
    WorkbookStamper,
    safe_filename,
    validation_for,
    workbook_bytes,
)


@pytest.fixture(scope="module")
def workbook(round_dir):
    folder, result, ctx = round_dir
    path = next(g.path for g in result.files if g.unit_id == "CZJ")
    return path, openpyxl.load_workbook(path), ctx


def test_one_workbook_per_unit_with_safe_names(round_dir):
    _, result, ctx = round_dir
    assert len(result.files) == len(ctx.roster) == 30
    assert all(g.path.name.startswith(g.unit_id + "_") for g in result.files)
    assert safe_filename('a<b>:c"/d\\e|f?g*') == "a_b_c_d_e_f_g_"
    assert safe_filename("CON") == "_CON"


def test_sheet_and_structure_protected(workbook):
    path, wb, _ = workbook
    ws = wb["自评表"]
    assert ws.protection.sheet is True
    assert wb.security is not None and wb.security.lockStructure
    with zipfile.ZipFile(path) as zf:
        assert b"<workbookProtection" in zf.read("xl/workbook.xml")


def test_exactly_the_input_cells_are_unlocked(workbook):
    _, wb, ctx = workbook
    ws = wb["自评表"]
    layout = build_layout(ctx.rubric)
    unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
    expected = {i.ref for i in layout.inputs}
    # Merged inputs (form fields span D:E) also unlock their covered cells.
    covered = {f"E{i.row + 1}" for i in layout.inputs if i.kind == "field"}
    assert unlocked - covered == expected


def test_a_validation_on_every_input_with_the_right_range(workbook):
    _, wb, ctx = workbook
    ws = wb["自评表"]
    layout = build_layout(ctx.rubric)
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_cell[rng.coord] = dv
    for inp in layout.inputs:
        dv = by_cell[inp.ref]
        assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
        if inp.kind == "score":  # half points: a custom formula with the item's max
            assert dv.type == "custom"
            assert (
                f"{inp.ref}<={inp.max:g}" in dv.formula1 and f"MOD({inp.ref}*2,1)=0" in dv.formula1
            )
            assert f"{inp.max:g}" in dv.prompt
        elif inp.kind == "bonus":
            assert dv.type == "list" and dv.formula1 == f'"0,{inp.points:g}"'
        elif inp.kind == "declaration":
            assert dv.type == "list" and dv.formula1 == '"是,否"'


def test_whole_point_rubric_uses_integer_validation(tmp_path):
    layout = build_layout(load_rubric("wuxing-dangzhibu"))
    score = next(i for i in layout.inputs if i.kind == "score")
    dv = validation_for(score, "zh")
    assert (dv["validate"], dv["minimum"], dv["maximum"]) == ("integer", 0, 20)


@pytest.mark.parametrize("name", ["wenming-danwei", "wenming-keshi", "dangyuan-xianfenggang"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_validations_stay_inside_excel_limits(name, lang):
    layout = build_layout(load_rubric(name), lang)
    for inp in layout.inputs:
        dv = validation_for(inp, lang)
        if dv is None:
            continue
        assert len(dv.get("input_title", "")) <= DV_TITLE_MAX
        assert len(dv.get("error_title", "")) <= DV_TITLE_MAX
        assert len(dv.get("input_message", "")) <= DV_INPUT_MAX
        assert len(dv.get("error_message", "")) <= DV_ERROR_MAX
        if dv["validate"] == "list" and isinstance(dv["source"], list):
            assert len(",".join(dv["source"])) <= DV_LIST_MAX


def test_defined_names_for_inputs_and_totals(workbook):
    _, wb, ctx = workbook
    layout = build_layout(ctx.rubric)
    names = wb.defined_names
    for inp in layout.inputs:
        assert names[inp.name].attr_text == f"'自评表'!${inp.ref[0]}${inp.ref[1:]}"
    for key in (
        "xf_subtotal",
        "xf_bonus",
        "xf_total",
        "xf_sub_s1",
        "xf_i01",
        "xf_i01_note",
        "xf_v1",
        "xf_filler",
    ):
        assert key in names


def test_totals_are_live_formulas(workbook):
    _, wb, ctx = workbook
    ws = wb["自评表"]
    layout = build_layout(ctx.rubric)
    assert ws[layout.total("sub_s1").ref].value == "=SUM(D6:D8)"
    assert ws[layout.total("bonus").ref].value.startswith("=MAX(")
    assert (
        ws[layout.total("total").ref].value
        == f"={layout.total('subtotal').ref}+{layout.total('bonus').ref}"
    )


def test_header_shows_unit_and_deadline(workbook):
    _, wb, _ = workbook
    ws = wb["自评表"]
    assert ws["B2"].value == "市财政局" and ws["D2"].value == "CZJ"
    assert ws["B3"].value == "2026-12-31"
    assert "测试轮次" in ws["A1"].value
    assert [ws.cell(5, c).value for c in range(1, 6)] == [
        "项目",
        "内容",
        "分值",
        "自评分",
        "佐证材料或备注",
    ]


def test_hidden_signed_identity(workbook):
    _, wb, ctx = workbook
    meta = wb[META_SHEET]
    assert meta.sheet_state == "veryHidden"
    rows = {r[0]: r[1] for r in meta.iter_rows(values_only=True) if r[0]}
    identity = Identity(**{k: rows[k] for k in Identity.field_names()})
    assert identity.unit_id == "CZJ" and identity.rubric_hash == ctx.rubric.content_hash
    assert identity.round_id == ctx.record.round_id
    assert identity.key_id == key_id(ctx.key)
    assert identity.verify(rows["signature"], ctx.key)
    assert not identity.verify(rows["signature"], b"another key" * 3)
    assert not replace(identity, unit_id="JYJ").verify(rows["signature"], ctx.key)


def test_print_ready(workbook):
    _, wb, _ = workbook
    ws = wb["自评表"]
    assert ws.page_setup.paperSize == 9  # A4
    # fit to one page wide (fitToWidth 1 is the default and may be omitted), any number tall
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$5:$5"
    assert ws.column_dimensions["B"].width > 40
    assert ws.freeze_panes == "A6"
    long_row = ws.row_dimensions[6].height
    assert long_row and long_row >= 30  # the first item wraps over two lines at least


def test_stamped_workbook_equals_the_reference_rendering(tmp_path):
    rubric = load_rubric("wenming-danwei")
    layout = build_layout(rubric)
    key = load_key(tmp_path / "k", create=True)
    base = Identity(
        "xlsxflow-1",
        "r",
        "轮次",
        "2026-12-31",
        rubric.id,
        rubric.version,
        rubric.content_hash,
        "zh",
        "A",
        "甲单位",
        "2026-11-23T00:00:00",
        key_id(key),
    )
    other = replace(base, unit_id="B-2", unit_name="乙&<单位>")
    stamped = WorkbookStamper(layout, base, key).stamp(other)
    reference = workbook_bytes(layout, other, key)
    (tmp_path / "s.xlsx").write_bytes(stamped)
    (tmp_path / "r.xlsx").write_bytes(reference)
    a, b = openpyxl.load_workbook(tmp_path / "s.xlsx"), openpyxl.load_workbook(tmp_path / "r.xlsx")
    for name in ("自评表", META_SHEET):
        cells_a = [(c.coordinate, c.value) for row in a[name].iter_rows() for c in row]
        cells_b = [(c.coordinate, c.value) for row in b[name].iter_rows() for c in row]
        assert cells_a == cells_b
    assert a["自评表"]["B2"].value == "乙&<单位>"


def test_english_labels(tmp_path):
    layout = build_layout(load_rubric("wenming-danwei"), "en")
    assert layout.sheet_name == "Self-assessment"
    headers = [c.value for c in layout.cells if c.style == "header"]
    assert headers == ["Section", "Criterion", "Max", "自评分", "Evidence / note"]


@pytest.mark.parametrize("name", ["hongqi-dangzhibu", "dangyuan-xianfenggang", "wuxing-dangzhibu"])
def test_no_single_cell_merges(name):
    layout = build_layout(load_rubric(name))
    assert all((r1, c1) != (r2, c2) for r1, c1, r2, c2 in layout.merges)


def test_target_rows_have_a_live_met_formula_and_validation():
    rubric = load_rubric("jingpin-shequ")
    layout = build_layout(rubric)
    headers = [c.value for c in layout.cells if c.style == "header"]
    assert headers == ["项目", "指标", "目标", "实际值", "是否达标"]
    assert layout.totals == ()
    rooms = layout.input_named("xf_t_rooms")
    formula = next(c.formula for c in layout.cells if c.row == rooms.row and c.col == 4)
    assert formula == f'IF({rooms.ref}="","",IF({rooms.ref}>=300,"达标","未达标"))'
    aware = validation_for(layout.input_named("xf_t_aware"), "zh")
    assert (aware["validate"], aware["maximum"]) == ("decimal", 100)
