"""The real client: LibreOffice opens the workbooks, recalculates, saves; ingest reads what it saved."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from conftest import fill, libreoffice_convert

from xlsxflow.ingest import ingest
from xlsxflow.layout import META_SHEET, build_layout
from xlsxflow.rubric import load_rubric

pytestmark = pytest.mark.libreoffice

CASES = {  # unit → (scores changed from full marks, bonus line held)
    "CZJ": ({"i01": 5.5, "i07": 3}, "b_national"),
    "JYJ": ({"i02": 4.5, "i10": 0}, None),
    "WJW": ({f"i{n:02d}": 2 for n in range(1, 24)}, "b_municipal"),
}


@pytest.fixture(scope="module")
def saved_by_libreoffice(round_dir, soffice, tmp_path_factory):
    folder, result, ctx = round_dir
    work = tmp_path_factory.mktemp("lo")
    files = {g.unit_id: g.path for g in result.files}
    filled = []
    for unit, (scores, bonus) in CASES.items():

        def edit(wb, ws, layout, bonus=bonus):
            if bonus:
                ws[layout.input_named(f"xf_{bonus}").ref] = layout.input_named(f"xf_{bonus}").points

        filled.append(
            fill(files[unit], work / "filled" / files[unit].name, scores=scores, edit=edit)
        )
    libreoffice_convert(soffice, filled, work / "returns", work / "profile")
    return work / "returns", ctx


def test_libreoffice_saved_returns_are_accepted_with_equal_values_and_totals(saved_by_libreoffice):
    returns, ctx = saved_by_libreoffice
    assert len(list(returns.glob("*.xlsx"))) == len(CASES)
    report = ingest(returns, ctx)
    assert [f.status for f in report.files] == ["accepted"] * len(CASES)
    by_unit = {r.unit_id: r for r in report.results}
    for f in report.files:
        sub = f.submission
        scores, bonus = CASES[f.unit_id]
        rubric = ctx.rubric
        expected = {i.id: scores.get(i.id, i.max) for _, i in rubric.items()}
        assert sub.scores == expected
        result = by_unit[f.unit_id]
        # LibreOffice computed the totals itself (openpyxl left none): they must equal xlsxflow's.
        assert sub.cached_totals["total"] == result.total
        assert sub.cached_totals["subtotal"] == result.subtotal
        assert all(
            sub.cached_totals[f"sub_{s.id}"] == result.sections[s.id] for s in rubric.sections
        )
        assert not [i for i in f.issues if i.code == "value-total-mismatch"]
        assert [i.code for i in f.issues if i.severity != "info"] == []
    assert by_unit["CZJ"].total == 100 - 0.5 - 2 + 6
    assert by_unit["WJW"].total == 46 + 2


def test_libreoffice_keeps_protection_validation_and_hidden_identity(saved_by_libreoffice):
    returns, ctx = saved_by_libreoffice
    path = next(returns.glob("CZJ_*.xlsx"))
    wb = openpyxl.load_workbook(path)
    ws = wb["自评表"]
    assert ws.protection.sheet
    assert wb[META_SHEET].sheet_state in ("veryHidden", "hidden")
    layout = build_layout(load_rubric("wenming-danwei"))
    validated = {r.coord for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    assert all(i.ref in validated for i in layout.inputs if i.kind == "score")


def test_libreoffice_opened_untouched_workbook_is_ours_but_incomplete(round_dir, soffice, tmp_path):
    folder, result, ctx = round_dir
    path = shutil.copy(result.files[0].path, tmp_path / result.files[0].path.name)
    libreoffice_convert(soffice, [path], tmp_path / "returns", tmp_path / "profile")
    report = ingest(tmp_path / "returns", ctx)
    (f,) = report.files
    assert f.status == "accepted"
    assert {i.code for i in f.issues if i.severity == "error"} == {"value-missing"}


def test_libreoffice_computes_the_same_targets_met(soffice, tmp_path):
    from conftest import make_round

    result, ctx = make_round(tmp_path / "round", "jingpin-shequ")
    layout = build_layout(ctx.rubric)
    values = {
        "t_rooms": 299,
        "t_fitness": 200,
        "t_books": 1500,
        "t_aware": 89.9,
        "t_join": 95,
        "t_satisfied": 95,
    }

    def edit(wb, ws, lay):
        for key, value in values.items():
            ws[lay.input_named(f"xf_{key}").ref] = value

    path = result.files[0].path
    filled = fill(path, tmp_path / "filled" / path.name, "jingpin-shequ", edit=edit)
    libreoffice_convert(soffice, [filled], tmp_path / "returns", tmp_path / "profile")
    report = ingest(tmp_path / "returns", ctx)
    (f,) = report.files
    (r,) = report.results
    assert f.status == "accepted" and [i.code for i in f.issues if i.severity != "info"] == []
    ws = openpyxl.load_workbook(next((tmp_path / "returns").glob("*.xlsx")), data_only=True)[
        "自评表"
    ]
    for ind in ctx.rubric.indicators:
        row = layout.input_named(f"xf_{ind.id}").row + 1
        assert ws[f"E{row}"].value == ("达标" if r.indicators[ind.id] else "未达标"), ind.id
    assert r.indicators == {
        "t_rooms": False,
        "t_fitness": True,
        "t_books": True,
        "t_aware": False,
        "t_join": True,
        "t_satisfied": True,
    }
    assert not r.eligible and len(r.reasons) == 2


def test_libreoffice_round_trip_of_a_round_workbook(seed_round, soffice, tmp_path):
    """A workbook of nine sheets (one unit's forms and slots) saved by LibreOffice reads
    back to the same results as the file openpyxl saved, totals computed by LibreOffice."""
    from conftest import fill_book

    folder, ctx, files = seed_round
    sheets = {
        "文明单位": {"i01": 5.5, "i07": 3, "b_provincial": 4},
        "文明窗口-1": {"nominee": "办税服务厅", "i02": 4},
        "文明科室-2": {"nominee": "法规科"},
        "文明标兵-1": {"nominee": "王芳", "c2": "是", "c5": "是"},
        "文明标兵-3": {"nominee": "李强", "publicity_end": "2026-12-04"},
    }
    filled = fill_book(files["MID"], tmp_path / "filled" / files["MID"].name, ctx.round, sheets)
    libreoffice_convert(soffice, [filled], tmp_path / "returns", tmp_path / "profile")
    saved = next((tmp_path / "returns").glob("*.xlsx"))

    by_lo = ingest(tmp_path / "returns", ctx)
    (f,) = by_lo.files
    assert f.status == "accepted", [i.code for i in f.issues]
    assert [i.code for i in f.issues if i.severity == "error"] == ["publicity-too-short"]
    assert {s.sheet for s in f.submissions} == set(sheets)
    direct = ingest(filled.parent, ctx)

    def summary(report):
        return {
            r.sheet: (r.nominee, r.subtotal, r.bonus, r.total, r.eligible, tuple(r.reasons))
            for r in report.results
        }

    assert summary(by_lo) == summary(direct)
    got = {r.sheet: r for r in by_lo.results}
    assert got["文明单位"].subtotal == 100 - 0.5 - 2 and got["文明单位"].total == 97.5 + 4
    assert not got["文明标兵-3"].eligible and got["文明标兵-1"].eligible
    for sub in f.submissions:  # LibreOffice's own totals, per sheet, equal xlsxflow's
        result = got[sub.sheet]
        if ctx.round.sheet_rubric(sub.form_id).scored:
            assert sub.cached_totals["total"] == result.total, sub.sheet
            assert sub.cached_totals["subtotal"] == result.subtotal, sub.sheet

    wb = openpyxl.load_workbook(saved)
    assert wb[META_SHEET].sheet_state in ("veryHidden", "hidden")
    for layout in ctx.round.book(ctx.round.slots_of("MID")).sheets:
        ws = wb[layout.sheet_name]
        assert ws.protection.sheet, layout.sheet_name
        assert {i.name for i in layout.inputs} <= set(ws.defined_names), layout.sheet_name
