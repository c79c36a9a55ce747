"""Whole rounds (seed 000 三创三树): one workbook per unit with every form and slot it may
use; ingest re-checks quotas, copied sheets, repeated nominees and 公示 days."""

from __future__ import annotations

import io

import openpyxl
import pytest
from conftest import ROUND_ROSTER as ROSTER
from conftest import fill_book, ingest_entries, record_of

from xlsxflow.layout import META_SHEET
from xlsxflow.round import open_round
from xlsxflow.summary import summary_bytes


def run(tmp_path, ctx, files, unit, sheets=None, edit=None):
    """Fill one unit's workbook (``sheets``: sheet → overrides) and ingest it alone."""
    path = fill_book(
        files[unit], tmp_path / "filled" / files[unit].name, ctx.round, sheets, edit=edit
    )
    report = ingest_entries(tmp_path, ctx, {path.name: path})
    return report, record_of(report, path.name)


def results_by_sheet(report):
    return {r.sheet: r for r in report.results}


def codes(record):
    return sorted(i.code for i in record.issues if i.severity == "error")


# -- the workbooks ----------------------------------------------------------------------


def test_each_unit_gets_the_sheets_it_is_entitled_to(seed_round):
    _, _, files = seed_round
    sheets = {unit: openpyxl.load_workbook(path).sheetnames for unit, path in files.items()}
    # 49 staff → 1 标兵; 9 departments → at least one window/office slot each (shared quota).
    assert sheets["SMALL"][:-1] == ["文明单位", "文明窗口-1", "文明科室-1", "文明标兵-1"]
    # 50 staff → 3 标兵; 20 departments → 2 window/office slots.
    assert sheets["MID"][:-1] == [
        "文明单位",
        *("文明窗口-1", "文明窗口-2", "文明科室-1", "文明科室-2"),
        *("文明标兵-1", "文明标兵-2", "文明标兵-3"),
    ]
    # Already titled (三.1): no 文明单位 self-assessment; 200 staff → still 3 标兵.
    assert "文明单位" not in sheets["TITLED"]
    assert [s for s in sheets["TITLED"] if s.startswith("文明标兵")][-1] == "文明标兵-3"
    # No municipal honour (三.2): no 文明单位; 201 staff → 5 标兵.
    assert "文明单位" not in sheets["BIG"]
    assert [s for s in sheets["BIG"] if s.startswith("文明标兵")][-1] == "文明标兵-5"
    assert all(names[-1] == META_SHEET for names in sheets.values())


def test_round_sheets_are_locked_with_nominee_publicity_and_approvals(seed_round):
    _, ctx, files = seed_round
    wb = openpyxl.load_workbook(files["MID"])
    book = ctx.round.book(ctx.round.slots_of("MID"))
    for layout in book.sheets:
        ws = wb[layout.sheet_name]
        assert ws.protection.sheet, layout.sheet_name
        unlocked = {
            c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False
        }
        assert {i.ref for i in layout.inputs} <= unlocked
        validated = {r.coord for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
        typed = [i for i in layout.inputs if i.kind in ("score", "bonus", "declaration")]
        typed += [i for i in layout.inputs if i.field_type in ("date", "choice")]
        assert all(i.ref in validated for i in typed), layout.sheet_name
        # Sheet-local names: the same xf_… name on every sheet points into that sheet.
        local = ws.defined_names
        assert {i.name for i in layout.inputs} <= set(local)
    window = wb["文明窗口-2"]
    assert window["C3"].value == "窗口名称" and window["C3"].protection.locked
    assert window["D3"].protection.locked is False
    app = next(s for s in book.sheets if s.sheet_name == "文明窗口-2")
    assert app.input_named("xf_publicity_start").field_type == "date"
    assert app.input_named("xf_app_summary").max_length == 800  # 附件6: 800 字以内
    # 推荐意见 / 审批意见 are the office's: present, locked, not inputs.
    approvals = [c for c in app.cells if c.style == "approval"]
    assert approvals and all(window[c.ref].protection.locked is not False for c in approvals)
    worker = next(s for s in book.sheets if s.sheet_name == "文明标兵-1")
    categories = [i for i in worker.inputs if i.key.startswith("c") and i.field_type == "choice"]
    assert len(categories) == 6 and worker.choose[0].min == 1
    assert worker.input_named("xf_deeds").max_length == 300


# -- ingest of a round ------------------------------------------------------------------


def test_a_complete_unit_is_accepted_and_every_sheet_is_a_result(seed_round, tmp_path):
    _, ctx, files = seed_round
    report, rec = run(
        tmp_path, ctx, files, "SMALL", {"文明单位": {}, "文明窗口-1": {}, "文明标兵-1": {}}
    )
    assert rec.status == "accepted", [i.message for i in rec.issues]
    got = results_by_sheet(report)
    assert set(got) == {
        "文明单位",
        "文明窗口-1",
        "文明标兵-1",
    }  # the blank 文明科室-1: not applying
    assert all(r.eligible for r in got.values()), {k: r.reasons for k, r in got.items()}
    assert got["文明窗口-1"].nominee == "文明窗口-1对象"
    quota = {q.group: q for q in report.quotas if q.unit_id == "SMALL"}
    assert (quota["文明窗口/文明科室"].allowed, quota["文明窗口/文明科室"].nominated) == (1, 1)
    assert {u.unit_id for u in report.missing} == {"BIG", "MID", "TITLED"}


@pytest.mark.parametrize("end,days,eligible", [("2026-12-04", 4, False), ("2026-12-05", 5, True)])
def test_publicity_of_fewer_than_five_days_is_not_eligible(
    seed_round, tmp_path, end, days, eligible
):
    _, ctx, files = seed_round
    sheets = {"文明标兵-1": {"publicity_start": "2026-12-01", "publicity_end": end}}
    report, rec = run(tmp_path, ctx, files, "SMALL", sheets)
    result = results_by_sheet(report)["文明标兵-1"]
    assert result.eligible is eligible
    found = [i for i in rec.issues if i.code == "publicity-too-short"]
    if eligible:
        assert not found
    else:
        assert found[0].sheet == "文明标兵-1" and f"{days} 天" in found[0].message
        assert any("公示 4 天" in r for r in result.reasons)


@pytest.mark.parametrize("subtotal,eligible", [(89.5, False), (90, True)])
def test_civilized_unit_needs_ninety_without_bonus(seed_round, tmp_path, subtotal, eligible):
    _, ctx, files = seed_round
    rubric = ctx.round.sheet_rubric("danwei")
    cut = 100 - subtotal  # taken off the first items, half a point at a time
    scores = {}
    for _, item in rubric.items():
        off = min(cut, item.max)
        scores[item.id] = item.max - off
        cut -= off
    scores["b_national"] = 6  # a bonus does not lift a unit over the threshold (四.3)
    report, rec = run(tmp_path, ctx, files, "SMALL", {"文明单位": scores})
    result = results_by_sheet(report)["文明单位"]
    assert (result.subtotal, result.eligible) == (subtotal, eligible)


def test_window_and_office_share_one_quota(seed_round, tmp_path):
    _, ctx, files = seed_round
    sheets = {"文明窗口-1": {}, "文明科室-1": {}}
    report, rec = run(tmp_path, ctx, files, "SMALL", sheets)
    got = results_by_sheet(report)
    assert got["文明窗口-1"].eligible and not got["文明科室-1"].eligible
    over = [i for i in rec.issues if i.code == "quota-over"]
    assert [(i.sheet, i.cell) for i in over] == [("文明科室-1", "D3")]
    quota = {q.group: q for q in report.quotas if q.unit_id == "SMALL"}["文明窗口/文明科室"]
    assert (quota.allowed, quota.nominated, quota.eligible, quota.over) == (1, 2, 1, 1)


def _copy_window(wb, book):
    copy = wb.copy_worksheet(wb["文明窗口-1"])
    copy.title = "文明窗口-1 (2)"
    copy["D3"] = "多报的窗口"


def _add_window(wb, book):
    wb.create_sheet("文明窗口-2")["D3"] = "多报的窗口"


@pytest.mark.parametrize(
    "edit,sheet", [(_copy_window, "文明窗口-1 (2)"), (_add_window, "文明窗口-2")]
)
def test_a_copied_or_added_sheet_does_not_add_a_slot(seed_round, tmp_path, edit, sheet):
    _, ctx, files = seed_round
    report, rec = run(tmp_path, ctx, files, "SMALL", {"文明窗口-1": {}}, edit=edit)
    extra = [i for i in rec.issues if i.code == "quota-extra-sheet"]
    assert [i.sheet for i in extra] == [sheet]
    assert "文明窗口-1" in extra[0].message  # names the sheet that was issued
    assert "多报的窗口" not in {r.nominee for r in report.results}


def test_the_same_nominee_twice_is_not_eligible_the_second_time(seed_round, tmp_path):
    _, ctx, files = seed_round
    sheets = {"文明标兵-1": {"nominee": "王 芳"}, "文明标兵-2": {"nominee": "王芳"}}
    report, rec = run(tmp_path, ctx, files, "MID", sheets)
    got = results_by_sheet(report)
    assert got["文明标兵-1"].eligible and not got["文明标兵-2"].eligible
    assert [(i.code, i.sheet) for i in rec.issues if i.code == "nominee-twice"] == [
        ("nominee-twice", "文明标兵-2")
    ]


def test_model_worker_needs_at_least_one_category(seed_round, tmp_path):
    _, ctx, files = seed_round
    none = {f"c{n}": "否" for n in range(1, 7)}
    report, rec = run(tmp_path, ctx, files, "SMALL", {"文明标兵-1": none})
    assert "value-choose-min" in codes(rec)
    assert not results_by_sheet(report)["文明标兵-1"].eligible
    one = dict(none, c5="是")
    report, rec = run(tmp_path / "one", ctx, files, "SMALL", {"文明标兵-1": one})
    assert "value-choose-min" not in codes(rec)
    assert results_by_sheet(report)["文明标兵-1"].eligible


def test_a_unit_that_gained_a_title_since_is_told_why(seed_round, tmp_path):
    folder, ctx, files = seed_round
    roster = tmp_path / "roster.csv"
    roster.write_text(
        ROSTER.replace(
            "SMALL,小单位,,a@example.org,甲,1,49,9,否", "SMALL,小单位,,a@example.org,甲,1,49,9,市级"
        ),
        encoding="utf-8",
    )
    later = open_round(workdir=folder, roster=roster)
    path = fill_book(
        files["SMALL"], tmp_path / "filled" / files["SMALL"].name, later.round, {"文明单位": {}}
    )
    report = ingest_entries(tmp_path, later, {path.name: path})
    result = results_by_sheet(report)["文明单位"]
    assert not result.eligible and any("三.1" in r for r in result.reasons)


def test_a_forged_slot_count_breaks_the_signature(seed_round, tmp_path):
    _, ctx, files = seed_round

    def forge(wb, book):
        for row in wb[META_SHEET].iter_rows():
            if row[0].value == "sheets":
                row[1].value = row[1].value.replace("biaobing=1", "biaobing=5")

    _, rec = run(tmp_path, ctx, files, "SMALL", {"文明标兵-1": {}}, edit=forge)
    assert rec.status == "rejected" and codes(rec) == ["identity-signature-invalid"]


def test_summary_has_a_ranking_per_form_quotas_and_print_ready_notices(seed_round, tmp_path):
    _, ctx, files = seed_round
    entries = {}
    for unit, sheets in {
        "SMALL": {"文明单位": {}, "文明窗口-1": {"nominee": "办税服务厅"}, "文明标兵-1": {}},
        "MID": {"文明标兵-1": {"nominee": "李强"}, "文明标兵-2": {"publicity_end": "2026-12-03"}},
    }.items():
        path = fill_book(files[unit], tmp_path / "filled" / files[unit].name, ctx.round, sheets)
        entries[path.name] = path
    report = ingest_entries(tmp_path, ctx, entries)
    wb = openpyxl.load_workbook(io.BytesIO(summary_bytes(report, None, ctx.roster)))
    for title in ("文明单位", "文明窗口", "文明科室", "文明标兵"):
        assert f"{title}排名" in wb.sheetnames and f"{title}公示" in wb.sheetnames
    assert "配额" in wb.sheetnames
    notice = wb["文明标兵公示"]
    rows = [r for r in notice.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert sorted((r[1], r[-1]) for r in rows) == sorted(  # 姓名 … 推荐单位
        [("李强", "中单位"), ("文明标兵-1对象", "小单位")]
    )
    assert "公示名单" in notice["A1"].value
    assert notice.page_setup.paperSize == 9 and notice.page_setup.orientation == "portrait"
    assert notice.print_options.horizontalCentered
    ranking = wb["文明标兵排名"]
    reasons = [r for r in ranking.iter_rows(values_only=True) if r and "公示 3 天" in str(r)]
    assert reasons, "the 3-day notice is listed with its reason"
    quota = [r for r in wb["配额"].iter_rows(values_only=True) if r[0] == "MID"]
    assert any(r[2] == "文明标兵" and r[3] == 3 and r[4] == 2 for r in quota)


def test_round_sheets_print_one_page_wide_with_the_application_on_its_own_page(seed_round):
    _, ctx, files = seed_round
    wb = openpyxl.load_workbook(files["SMALL"])
    book = ctx.round.book(ctx.round.slots_of("SMALL"))
    for layout in book.sheets:
        ws = wb[layout.sheet_name]
        assert ws.sheet_properties.pageSetUpPr.fitToPage, layout.sheet_name
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # 1 wide
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
        breaks = [b.id for b in ws.row_breaks.brk]
        assert breaks == list(layout.page_breaks), layout.sheet_name
    assert book.sheets[0].page_breaks, "文明单位 carries its 申报表 (附件5) on a page of its own"


def test_a_deleted_unused_sheet_is_not_applying_a_renamed_one_is_an_error(seed_round, tmp_path):
    _, ctx, files = seed_round

    def delete(wb, book):
        wb.remove(wb["文明科室-1"])

    report, rec = run(tmp_path / "deleted", ctx, files, "SMALL", {"文明窗口-1": {}}, edit=delete)
    assert rec.status == "accepted" and codes(rec) == []
    assert [(i.code, i.sheet) for i in rec.issues] == [("round-sheet-removed", "文明科室-1")]
    assert results_by_sheet(report)["文明窗口-1"].eligible

    def rename(wb, book):
        wb["文明窗口-1"].title = "窗口"

    report, rec = run(tmp_path / "renamed", ctx, files, "SMALL", {"文明窗口-1": {}}, edit=rename)
    assert codes(rec) == ["round-sheet-renamed"] and "文明窗口-1" in rec.issues[-1].message
    assert "错误" in rec.reason and not report.results


def test_the_office_boxes_cannot_be_filled_by_the_unit(seed_round, tmp_path):
    _, ctx, files = seed_round
    layout = next(s for s in ctx.round.book({"chuangkou": 1}).sheets)
    box = next(c for c in layout.cells if c.style == "approval")

    def sign(wb, book):
        ws = wb["文明窗口-1"]
        ws.protection.sheet = False
        ws[box.ref] = "同意推荐"

    _, rec = run(tmp_path, ctx, files, "SMALL", {"文明窗口-1": {}}, edit=sign)
    assert rec.status == "rejected" and rec.issues[-1].cell == box.ref
