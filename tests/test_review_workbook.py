"""Reviewer workbooks: the sheet layout, the file written, and reading a reviewer's return."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from conftest import fill_book, libreoffice_convert

from xlsxflow.accepted import Ledger
from xlsxflow.ingest import ingest
from xlsxflow.layout import META_SHEET, BookLayout
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.ooxml import Limits, open_book
from xlsxflow.review import workbook
from xlsxflow.review.model import FALSE, TRUE
from xlsxflow.review.reading import read_review_book
from xlsxflow.review.returns import ingest_reviews
from xlsxflow.review.spec import Reviewers, load_review
from xlsxflow.review.workbook import (
    REVIEW_FORMAT,
    SheetEntry,
    parse_sheets,
    review_identity,
    review_sheet_layout,
    reviewer_book,
    sheet_name_for,
    write_reviewer_workbooks,
)
from xlsxflow.round import generate_round, open_round
from xlsxflow.samples import fill_review_workbook, make_review_returns, review_inputs
from xlsxflow.scoring import compute_totals
from xlsxflow.submission import Submission
from xlsxflow.writer import workbook_bytes

ROSTER = """单位编号,单位名称,主管单位,邮箱,联系人,联系电话,职工人数,内设机构数,已获文明单位称号,最高荣誉级别
U1,第一单位,,a@example.org,甲,1,49,20,否,市直
U2,第二单位,,b@example.org,乙,2,50,20,否,省部级
U3,第三单位,,c@example.org,丙,3,50,20,否,市直
"""
REVIEWERS = """评审人编号,姓名,邮箱,测评组
R01,林晓文,r01@example.org,第一测评组
R02,周建华,r02@example.org,第一测评组
R03,许丽萍,r03@example.org,第二测评组
"""
ROUND = """title: 评审测试轮
year: 2026
deadline: "2026-12-20"
roster: roster.csv
forms:
  - id: danwei
    title: 文明单位
    rubric: wenming-danwei
    slots: 1
    review:
      reviewers: reviewers.csv
      assign: all
    requires:
      - when: "已获文明单位称号 == '否'"
        reason: 已获文明单位称号，只参加文明窗口（科室）、文明标兵创建申报（三.1）
  - id: chuangkou
    title: 文明窗口
    rubric: wenming-chuangkou
    nominee: 窗口名称
    slots: 2
    review:
      reviewers: reviewers.csv
      assign: {units: {U1: [R01], U2: [R02]}}
      confirm_vetoes: false
"""
NOTE = '=HYPERLINK("http://x")见台账第3册，共12页'  # a unit's text that looks like a formula


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A round with reviews: U1 and U2 returned (U3 did not), ingested, reviewer workbooks out."""
    folder = tmp_path_factory.mktemp("review")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "reviewers.csv").write_text(REVIEWERS, encoding="utf-8")
    (folder / "round.yaml").write_text(ROUND, encoding="utf-8")
    result = generate_round(folder / "round.yaml", folder / "workbooks", workdir=folder)
    ctx = open_round(workdir=folder)
    files = {g.unit_id: g.path for g in result.files}
    returns = folder / "returns"
    fill_book(
        files["U1"],
        returns / files["U1"].name,
        ctx.round,
        {
            "文明单位": {"i01": 5.5, "i16": "不适用", "b_municipal": 2},
            "文明窗口-1": {"nominee": "政务服务窗口"},
        },
        edit=lambda wb, book: _note(wb, "文明单位", "E6", NOTE),
    )
    fill_book(
        files["U2"], returns / files["U2"].name, ctx.round, {"文明单位": {}, "文明窗口-1": {}}
    )
    report = ingest(returns, ctx)
    assert {f.status for f in report.files} == {"accepted"}
    ledger = Ledger.open(folder)
    ledger.record(report, returns)
    review = load_review(ctx.round)
    accepted = ledger.accepted(ctx.record.round_id)
    generated = write_reviewer_workbooks(ctx, review, accepted, folder / "reviews-out")
    return folder, ctx, review, ledger, generated


def _note(wb, sheet: str, cell: str, text: str) -> None:
    wb[sheet][cell].value = text
    wb[sheet][cell].data_type = "s"  # openpyxl would make it a formula otherwise


def _book(generated, reviewer_id: str) -> Path:
    return next(f.path for f in generated.files if f.reviewer_id == reviewer_id)


def _read(path: Path, ctx, review, ledger, rel: str = "r.xlsx"):
    book = open_book(path.read_bytes())
    try:
        return read_review_book(book, rel, ctx, review, ledger)
    finally:
        book.close()


def _fill(reviewed, reviewer_id: str, out: Path, change=None) -> Path:
    """The reviewer's workbook filled as samples.review_inputs does; ``change(entry, values)``."""
    folder, ctx, review, ledger, generated = reviewed
    rng = random.Random(1)

    def values(entry, layout, shown):
        typed = review_inputs(layout, shown, rng, dict(NAMES)[reviewer_id])
        return change(entry, typed) if change else typed

    return fill_review_workbook(_book(generated, reviewer_id), out, ctx, review, ledger, values)


NAMES = [("R01", "林晓文"), ("R02", "周建华"), ("R03", "许丽萍")]


def _codes(issues, severity=None):
    return [i.code for i in issues if severity is None or i.severity == severity]


# -- the workbooks written -------------------------------------------------------------


def test_one_workbook_per_reviewer_with_assigned_returned_sheets(reviewed):
    folder, ctx, review, ledger, generated = reviewed
    by = {f.reviewer_id: f for f in generated.files}
    assert set(by) == {"R01", "R02", "R03"}
    sheets = {rid: openpyxl.load_workbook(f.path).sheetnames for rid, f in by.items()}
    assert sheets["R01"] == ["U1-文明单位", "U1-文明窗口-1", "U2-文明单位", META_SHEET]
    assert sheets["R02"] == ["U1-文明单位", "U2-文明单位", "U2-文明窗口-1", META_SHEET]
    assert sheets["R03"] == ["U1-文明单位", "U2-文明单位", META_SHEET]
    assert by["R01"].sheets == 3 and generated.sheets == 8
    # U3 returned nothing: no sheet, and the result says so for each of its reviewers
    assert {(s.reviewer_id, s.unit_id, s.form_id) for s in generated.skipped} == {
        ("R01", "U3", "danwei"),
        ("R02", "U3", "danwei"),
        ("R03", "U3", "danwei"),
    }


def test_identity_signs_the_reviewer_and_each_return_hash(reviewed):
    folder, ctx, review, ledger, generated = reviewed
    wb = openpyxl.load_workbook(_book(generated, "R01"))
    rows = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows()}
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert rows["format"] == REVIEW_FORMAT
    assert (rows["unit_id"], rows["unit_name"]) == ("R01", "林晓文")
    assert rows["round_id"] == ctx.record.round_id
    accepted = ledger.accepted(ctx.record.round_id)
    entries = parse_sheets(rows["sheets"])
    assert [(e.sheet, e.key, e.return_hash) for e in entries] == [
        ("U1-文明单位", ("U1", "danwei", 1), accepted[("U1", "danwei", 1)].hash),
        ("U1-文明窗口-1", ("U1", "chuangkou", 1), accepted[("U1", "chuangkou", 1)].hash),
        ("U2-文明单位", ("U2", "danwei", 1), accepted[("U2", "danwei", 1)].hash),
    ]
    assert [(e.vetoes, e.prerequisites) for e in entries] == [(True, True), (False, True)] + [
        (True, True)
    ]


def test_sheet_cells_locking_validation_and_formulas(reviewed):
    folder, ctx, review, ledger, generated = reviewed
    wb = openpyxl.load_workbook(_book(generated, "R01"))
    ws = wb["U1-文明单位"]
    assert ws.protection.sheet
    assert ws["A1"].value.endswith("文明单位评审表") and ws["B2"].value == "第一单位"
    assert (ws["E2"].value, ws["G2"].value, ws["G3"].value) == ("U1", "林晓文", "R01")
    headings = [ws.cell(5, c).value for c in range(1, 8)]
    assert headings == ["项目", "内容", "分值", "自评分", "佐证材料或备注", "实评分", "扣分说明"]
    # the unit's entries, locked; its note stays text although it looks like a formula
    assert ws["D6"].value == 5.5 and ws["D6"].protection.locked
    assert ws["E6"].value == NOTE and ws["E6"].data_type == "s" and ws["E6"].protection.locked
    i16 = next(r for r in range(6, 40) if str(ws.cell(r, 2).value).startswith("16."))
    assert ws.cell(i16, 4).value == "不适用"
    # the reviewer's inputs: unlocked, validated (half points, 不适用 where the rubric allows)
    assert not ws["F6"].protection.locked and not ws["G6"].protection.locked
    rules = {str(r.coord): dv for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    assert rules["F6"].type == "custom" and "MOD(F6*2,1)=0" in rules["F6"].formula1
    assert "不适用" in rules[f"F{i16}"].formula1
    assert rules["G6"].type == "textLength"
    # sections: the subtotal of both columns, live
    assert ws["D9"].value == "=SUM(D6:D8)" and ws["F9"].value == "=SUM(F6:F8)"
    total_row = next(r for r in range(6, 60) if ws.cell(r, 1).value == "总分")
    assert ws.cell(total_row, 4).value.startswith("=") and ws.cell(total_row, 6).value.startswith(
        "="
    )
    # bonus: the claimed line (市直 2) is the reviewer's to keep or strike; the others are 0
    bonus_rows = {ws.cell(r, 2).value: r for r in range(total_row - 5, total_row)}
    claimed = bonus_rows["获市直单位荣誉"]
    assert ws.cell(claimed, 4).value == 2
    assert rules[f"F{claimed}"].type == "list" and rules[f"F{claimed}"].formula1 == '"0,2"'
    unclaimed = bonus_rows["获国家级荣誉"]
    assert ws.cell(unclaimed, 6).value == 0 and ws.cell(unclaimed, 6).protection.locked
    # vetoes and the condition to apply: 属实/不属实 dropdowns beside the unit's answer
    choice_rows = [c for c, dv in rules.items() if dv.type == "list" and "属实" in dv.formula1]
    assert len(choice_rows) == 5 + 1
    first_veto = int(choice_rows[0][1:])
    assert ws.cell(first_veto, 4).value == "否"
    assert rules[choice_rows[0]].formula1 == f'"{TRUE},{FALSE}"'
    # defined names local to the sheet
    assert "xf_total" in ws.defined_names and "xf_i01" in ws.defined_names
    # the nomination sheet: the nominee shown, no veto check (confirm_vetoes: false)
    ws2 = wb["U1-文明窗口-1"]
    assert ws2["E3"].value == "政务服务窗口" and ws2["C3"].value == "窗口名称"
    column_a = [ws2.cell(r, 1).value for r in range(1, ws2.max_row + 1)]
    assert "否决事项核实" in [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "否决事项核实" not in column_a  # its rubric has vetoes; this form does not ask
    # print: A4 portrait, one page wide, the column headings repeated
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0  # one page wide, as many pages tall as needed
    assert ws.print_title_rows == "$5:$5"


def test_sheet_names_stay_unique_and_short():
    taken: set = set()
    long_id = "A" * 40
    first = sheet_name_for(long_id, "文明窗口", 2, True, taken)
    second = sheet_name_for(long_id, "文明窗口", 2, True, taken)
    assert len(first) <= 31 and first.endswith("-2")
    assert second != first and len(second) <= 31
    assert sheet_name_for("a1", "文明单位", 1, False, taken) == "a1-文明单位"
    assert sheet_name_for("A1", "文明单位", 1, False, taken) != "A1-文明单位"  # Excel: case-blind
    assert SheetEntry.parse(SheetEntry("x=y", "U1", "f", 2, "ab", False, True).text()) == (
        SheetEntry("x=y", "U1", "f", 2, "ab", False, True)
    )


def test_generating_for_some_reviewers_keeps_the_others(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    out = tmp_path / "reviews"
    accepted = ledger.accepted(ctx.record.round_id)
    write_reviewer_workbooks(ctx, review, accepted, out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = write_reviewer_workbooks(ctx, review, accepted, out, reviewer_ids=["R02"])
    assert [f.reviewer_id for f in again.files] == ["R02"]
    assert sorted(p.name for p in out.iterdir()) == sorted(before)
    with pytest.raises(XlsxflowError) as caught:
        write_reviewer_workbooks(ctx, review, accepted, out, reviewer_ids=["R09"])
    assert caught.value.issues[0].code == "review-unknown-reviewer-arg"


def test_a_reviewer_gets_one_workbook_that_review_ingest_reads_whole(
    reviewed, tmp_path, monkeypatch
):
    """Ingest reads at most 50 sheets of a unit's file; a reviewer's has one per unit."""
    folder, ctx, review, ledger, generated = reviewed
    returns = tmp_path / "returns"
    _fill(reviewed, "R01", returns / "R01.xlsx")
    small = Limits(max_sheets=2)  # fewer than R01's 3 sheets and the identity sheet
    read = ingest_reviews(returns, ctx, review, ledger.snapshot(ctx.record.round_id), limits=small)
    assert [f.status for f in read.files] == ["accepted"]
    assert len(read.sheets) == 3
    # an assignment beyond what one workbook holds is refused, naming the reviewer
    monkeypatch.setattr(workbook, "REVIEW_SHEETS_MAX", 2)
    accepted = ledger.accepted(ctx.record.round_id)
    with pytest.raises(XlsxflowError) as caught:
        write_reviewer_workbooks(ctx, review, accepted, tmp_path / "out")
    assert caught.value.issues[0].message == render(
        "review-too-many-sheets", name="林晓文", id="R01", count=3, max=2
    )
    assert not (tmp_path / "out").exists()


# -- reading a reviewer's return ---------------------------------------------------------


def test_filled_return_reads_back_every_input(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    path = _fill(reviewed, "R01", tmp_path / "R01.xlsx")
    identity, sheets, issues = _read(path, ctx, review, ledger)
    assert identity is not None and identity.unit_id == "R01"
    assert _codes(issues, "error") == [] and _codes(issues, "warning") == []
    by = {s.key: s for s in sheets}
    assert set(by) == {("U1", "danwei", 1), ("U1", "chuangkou", 1), ("U2", "danwei", 1)}
    u1 = by[("U1", "danwei", 1)]
    assert u1.counts and not u1.stale and u1.errors == 0
    assert u1.reviewer_id == "R01" and u1.sheet == "文明单位" and u1.file == "r.xlsx"
    assert u1.not_applicable == {"i16"} and u1.scores["i16"] is None
    assert all(0 <= v <= 6 for k, v in u1.scores.items() if k != "i16")
    assert u1.scores["i01"] <= 5.5
    assert u1.bonus == {"b_national": 0.0, "b_provincial": 0.0, "b_municipal": 2.0}
    assert set(u1.vetoes.values()) == {TRUE} and len(u1.vetoes) == 5
    assert u1.prerequisites == {0: TRUE}
    assert u1.reviewer_name == "林晓文" and u1.reviewed_on == "2026-12-10" and u1.comment
    deducted = [k for k, v in u1.scores.items() if v is not None and k in u1.reasons]
    assert deducted and all("扣" in u1.reasons[k] for k in deducted)
    assert by[("U1", "chuangkou", 1)].vetoes == {}  # not asked on that sheet


def test_self_score_changed_is_tampering_naming_sheet_and_cell(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed

    def forge(wb, *_):
        wb["U2-文明单位"]["D7"] = 1  # the unit's self-score of item 2

    path = _fill(reviewed, "R01", tmp_path / "R01.xlsx")
    wb = openpyxl.load_workbook(path)
    forge(wb)
    wb.save(path)
    identity, sheets, issues = _read(path, ctx, review, ledger)
    assert identity is None and sheets == []
    tamper = [i for i in issues if i.code == "tamper-locked-changed"]
    assert [(i.sheet, i.cell) for i in tamper] == [("U2-文明单位", "D7")]


def test_reviewer_claiming_sheets_not_assigned_to_them(reviewed, tmp_path):
    """A workbook (genuinely signed) claiming U1's 文明窗口 for R03, who is not its reviewer."""
    folder, ctx, review, ledger, generated = reviewed
    accepted = ledger.accepted(ctx.record.round_id)
    r03 = review.forms["danwei"].reviewers.get("R03")
    entries = [
        SheetEntry("U1-文明单位", "U1", "danwei", 1, accepted[("U1", "danwei", 1)].hash),
        SheetEntry(
            "U1-文明窗口-1", "U1", "chuangkou", 1, accepted[("U1", "chuangkou", 1)].hash, False
        ),
    ]
    submissions = {a.hash: a.submission for a in accepted.values()}
    book = reviewer_book(ctx.round, review, entries, submissions.get)
    identity = review_identity(ctx, r03, entries)
    path = tmp_path / "forged.xlsx"
    path.write_bytes(workbook_bytes(book, identity, ctx.key))
    filled = fill_review_workbook(
        path,
        tmp_path / "forged-filled.xlsx",
        ctx,
        review,
        ledger,
        lambda e, layout, shown: review_inputs(layout, shown, random.Random(2), "许丽萍"),
    )
    identity, sheets, issues = _read(filled, ctx, review, ledger)
    assert [s.key for s in sheets] == [("U1", "danwei", 1)]  # only the assigned one counts
    wrong = [i for i in issues if i.code == "review-not-assigned"]
    assert [(i.sheet, i.severity) for i in wrong] == [("U1-文明窗口-1", "error")]
    assert "许丽萍（R03）" in wrong[0].message and "U1 第一单位" in wrong[0].message
    # and R03's typed name on another reviewer's workbook is pointed out
    path = _fill(reviewed, "R01", tmp_path / "R01.xlsx")
    wb = openpyxl.load_workbook(path)
    for name in ("U1-文明单位", "U2-文明单位"):
        wb[name]["B" + str(wb[name].max_row)] = "许丽萍"
    wb.save(path)
    _, _, issues = _read(path, ctx, review, ledger)
    mismatch = [i for i in issues if i.code == "review-signer-mismatch"]
    assert len(mismatch) == 1 and mismatch[0].message == render(
        "review-signer-mismatch", found="许丽萍", expected="林晓文", id="R01"
    )


def test_unknown_reviewer_and_wrong_kind_of_workbook(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    form = review.forms["danwei"]
    without = Reviewers([r for r in form.reviewers if r.reviewer_id != "R03"], "reviewers.csv")
    smaller = replace(review, forms={"danwei": replace(form, reviewers=without)})
    identity, _, issues = _read(_book(generated, "R03"), ctx, smaller, ledger)
    assert identity is None and issues[-1].code == "identity-unknown-reviewer"
    # a unit's workbook among the reviews, and a reviewer's among the units' returns
    unit_book = next((folder / "returns").glob("U1_*.xlsx"))
    identity, _, issues = _read(unit_book, ctx, review, ledger)
    assert identity is None and issues[-1].code == "identity-not-review"
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(_book(generated, "R01"), mixed / "R01.xlsx")
    report = ingest(mixed, ctx)
    assert report.files[0].status == "rejected"
    assert _codes(report.files[0].issues)[-1] == "identity-review-workbook"
    # signed with another key: not the office's
    r01 = review.forms["danwei"].reviewers.get("R01")
    entries = [SheetEntry("U1-文明单位", "U1", "danwei", 1, "0" * 16)]
    book = reviewer_book(
        ctx.round,
        review,
        entries,
        lambda h: ledger.submission(ledger.accepted(ctx.record.round_id)[("U1", "danwei", 1)].hash),
    )
    forged = tmp_path / "forged.xlsx"
    forged.write_bytes(workbook_bytes(book, review_identity(ctx, r01, entries), b"k" * 32))
    identity, _, issues = _read(forged, ctx, review, ledger)
    assert identity is None and issues[-1].code == "identity-signature-invalid"


def test_values_range_step_missing_choice_and_date(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed

    def mistakes(entry, typed):
        if entry.sheet == "U1-文明单位":
            typed["xf_i01"] = 7  # max 6
            typed["xf_i02"] = 3.3  # half points only
            del typed["xf_i03"]  # forgotten
            typed["xf_v1"] = "是"  # not 属实/不属实
            typed["xf_reviewed_on"] = "下周一"
            typed["xf_b_municipal"] = None  # the claimed bonus neither kept nor struck
        return typed

    path = _fill(reviewed, "R01", tmp_path / "R01.xlsx", mistakes)
    identity, sheets, issues = _read(path, ctx, review, ledger)
    assert identity is not None
    errors = {(i.code, i.cell) for i in issues if i.severity == "error"}
    bonus_cell = next(i for i in issues if i.code == "value-missing" and "荣誉" in i.message).cell
    assert errors == {
        ("value-out-of-range", "F6"),
        ("value-step", "F7"),
        ("value-missing", "F8"),
        ("value-bad-choice", next(i.cell for i in issues if i.code == "value-bad-choice")),
        ("value-bad-date", next(i.cell for i in issues if i.code == "value-bad-date")),
        ("value-missing", bonus_cell),
    }
    assert all(i.sheet == "U1-文明单位" for i in issues if i.severity == "error")
    over = next(i for i in issues if i.code == "value-out-of-range")
    assert over.message == render(
        "value-out-of-range", label=over.fields["label"], value="7", max="6"
    )
    by = {s.key: s for s in sheets}
    u1 = by[("U1", "danwei", 1)]
    assert u1.errors == 6 and not u1.counts
    assert u1.scores["i01"] is None and u1.bonus["b_municipal"] is None
    assert by[("U2", "danwei", 1)].counts  # the other sheets are fine


def test_blank_sheet_is_not_yet_done_not_a_list_of_errors(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    path = _fill(
        reviewed,
        "R01",
        tmp_path / "R01.xlsx",
        lambda e, typed: None if e.unit_id == "U2" else typed,
    )
    identity, sheets, issues = _read(path, ctx, review, ledger)
    assert [s.unit_id for s in sheets] == ["U1", "U1"]
    assert _codes(issues, "error") == []
    blank = [i for i in issues if i.code == "review-sheet-blank"]
    assert [(i.sheet, i.severity) for i in blank] == [("U2-文明单位", "warning")]
    assert "U2 第二单位" in blank[0].message


def test_review_of_a_return_since_resubmitted_is_stale(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    path = _fill(reviewed, "R02", tmp_path / "R02.xlsx")
    # U2 sends a changed return; the office ingests again
    returns = tmp_path / "returns"
    shutil.copytree(folder / "returns", returns)
    unit_file = next(returns.glob("U2_*.xlsx"))
    wb = openpyxl.load_workbook(unit_file)
    wb["文明单位"]["D6"] = 4
    wb.save(unit_file)
    copy = Ledger(tmp_path / "ledger.sqlite3")
    shutil.copy(ledger.path, copy.path)
    copy.record(ingest(returns, ctx), returns)
    identity, sheets, issues = _read(path, ctx, review, copy)
    by = {s.key: s for s in sheets}
    assert by[("U2", "danwei", 1)].stale and not by[("U2", "danwei", 1)].counts
    assert not by[("U1", "danwei", 1)].stale and not by[("U2", "chuangkou", 1)].stale
    stale = [i for i in issues if i.code == "review-stale"]
    assert [(i.sheet, i.severity) for i in stale] == [("U2-文明单位", "warning")]
    assert stale[0].message == render(
        "review-stale", unit="U2 第二单位", form="文明单位", sheet="U2-文明单位"
    )
    # the snapshot the ingest workers use says the same
    _, sheets, _ = _read(path, ctx, review, copy.snapshot(ctx.record.round_id))
    assert {s.key for s in sheets if s.stale} == {("U2", "danwei", 1)}


def test_sample_review_returns_plant_over_max_missing_reviewer_and_inflated_unit(
    reviewed, tmp_path
):
    folder, ctx, review, ledger, generated = reviewed
    out = tmp_path / "returned"
    planted = make_review_returns(generated, ctx, review, ledger, out)
    again = make_review_returns(generated, ctx, review, ledger, tmp_path / "again")
    assert planted == again  # deterministic
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f.path.name for f in generated.files if f.reviewer_id != "R03"
    )
    whats = {p.unit_id: p.what for p in planted}
    assert "超过分值" in whats["R02"] and whats["R03"] == "未交回评审表" and "U1" in whats
    read = {
        f.reviewer_id: _read(out / f.path.name, ctx, review, ledger)
        for f in generated.files
        if f.reviewer_id != "R03"
    }
    assert "value-out-of-range" in _codes(read["R02"][2])
    assert _codes(read["R01"][2], "error") == []
    u1 = next(s for s in read["R01"][1] if s.key == ("U1", "danwei", 1))
    shown = ledger.accepted(ctx.record.round_id)[("U1", "danwei", 1)].submission
    gap = sum(shown.scores[k] - v for k, v in u1.scores.items() if v is not None)
    assert gap > 10  # well above what any 自评虚高 limit would let pass


# -- what people see and what LibreOffice makes of it -------------------------------------


@pytest.mark.libreoffice
def test_prints_as_a_site_visit_form(reviewed, soffice, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    libreoffice_convert(soffice, [_book(generated, "R01")], tmp_path, tmp_path / "profile", "pdf")
    pdf = next(tmp_path.glob("*.pdf"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    for needed in (
        "文明单位评审表",
        "第一单位",
        "林晓文",
        "实评分",
        "扣分说明",
        "评语",
        "评审日期",
    ):
        assert needed in flat
    # the unit's note, wrapped in its cell
    assert all(part in flat for part in ("HYPERLINK", "见台账", "第3册", "共12页"))
    assert "99.5" in flat and "5.5" in flat and "不适用" in flat  # self-scores and total
    pages = text.count("\f")
    assert pages <= 6  # three sheets, two pages each at most


@pytest.mark.libreoffice
def test_libreoffice_round_trip_totals_equal_xlsxflow(reviewed, soffice, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    filled = _fill(reviewed, "R02", tmp_path / "filled" / "R02.xlsx")
    libreoffice_convert(soffice, [filled], tmp_path / "saved", tmp_path / "profile")
    saved = tmp_path / "saved" / "R02.xlsx"
    identity, sheets, issues = _read(saved, ctx, review, ledger)
    assert identity is not None, issues
    assert _codes(issues, "error") == [] and "value-total-mismatch" not in _codes(issues)
    book = open_book(saved.read_bytes())
    try:
        for reviewed_sheet in sheets:
            entry = next(e for e in parse_sheets(identity.sheets) if e.key == reviewed_sheet.key)
            shown = ledger.submission(entry.return_hash)
            layout = review_sheet_layout(
                ctx.round,
                entry.form_id,
                entry.slot,
                ctx.roster.get(entry.unit_id),
                shown,
                review.forms[entry.form_id].spec,
                sheet_name=entry.sheet,
            )
            typed = Submission(entry.unit_id, layout.rubric.id)
            typed.scores, typed.bonus = reviewed_sheet.scores, reviewed_sheet.bonus
            typed.not_applicable = reviewed_sheet.not_applicable
            computed = compute_totals(layout.rubric, typed)
            sheet = book.read_sheet(book.sheet_info(entry.sheet))
            for total in layout.totals:  # LibreOffice's cached 实评分 totals
                cached = sheet.get(total.row, total.col)
                assert cached is not None and cached.formula
                assert cached.value == pytest.approx(computed[total.key]), (entry.sheet, total.key)
            own = compute_totals(layout.rubric, shown)  # and the unit's, beside them
            total_row = layout.total("total").row
            assert sheet.get(total_row, 3).value == pytest.approx(own["total"])
    finally:
        book.close()


def test_english_labels_and_an_overlong_note_stay_within_excel_limits(reviewed, tmp_path):
    folder, ctx, review, ledger, generated = reviewed
    shown = ledger.accepted(ctx.record.round_id)[("U1", "danwei", 1)].submission
    long_note = replace(shown, notes={**shown.notes, "i02": "很长的说明" * 300})
    spec = review.forms["danwei"].spec
    r01 = review.forms["danwei"].reviewers.get("R01")
    layouts = [
        review_sheet_layout(ctx.round, "danwei", 1, ctx.roster.get("U1"), s, spec, lang)
        for s, lang in ((long_note, "zh"), (shown, "en"))
    ]
    path = tmp_path / "x.xlsx"
    entries = [SheetEntry("U1-文明单位", "U1", "danwei", 1, "0" * 16)]
    for layout in layouts:
        book = BookLayout((layout,), "x")
        path.write_bytes(workbook_bytes(book, review_identity(ctx, r01, entries), ctx.key))
        ws = openpyxl.load_workbook(path)["U1-文明单位"]
        assert max(d.height or 0 for d in ws.row_dimensions.values()) <= 409
    assert [ws.cell(5, c).value for c in (4, 6, 7)] == [
        "自评分",  # the rubric's own label
        "Reviewed score",
        "Reason for deduction",
    ]
    assert ws["E7"].value == shown.notes.get("i02", None)


# -- the printed form: readable on paper, room to write by hand --------------------------


def test_conditions_print_in_words_not_as_expressions():
    words = workbook.condition_words
    assert words("已获文明单位称号 == '否'") == "已获文明单位称号为“否”"
    assert words("最高荣誉级别 in ('国家级', '省部级', '市直')") == (
        "最高荣誉级别为“国家级”、“省部级”或“市直”"
    )
    assert words("职工人数 >= 10 and 内设机构数 > 2") == "职工人数不少于 10，且内设机构数大于 2"
    assert words("职工人数 > 0", "en") == "职工人数 above 0"
    assert words("联系人 != ''") == "联系人不为空"
    for odd in ("floor(职工人数) > 1", "a ==", "x in y"):  # shown as written
        assert words(odd) == odd


def _layout(reviewed, lang: str):
    folder, ctx, review, ledger, generated = reviewed
    shown = ledger.accepted(ctx.record.round_id)[("U1", "danwei", 1)].submission
    spec = review.forms["danwei"].spec
    return review_sheet_layout(ctx.round, "danwei", 1, ctx.roster.get("U1"), shown, spec, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_block_heads_name_columns_by_heading_and_headings_fit(reviewed, lang):
    layout = _layout(reviewed, lang)
    texts = [c.value for c in layout.cells if isinstance(c.value, str)]
    heads = [c.value for c in layout.cells if c.style == "block_head"]
    assert len(heads) == 2  # vetoes, conditions
    their = "实评分" if lang == "zh" else "Reviewed score"
    for head in heads:  # a printed page shows no column letters
        assert their in head and "F列" not in head and "column F" not in head
    assert not any("==" in t or " in (" in t for t in texts)
    heights = dict(layout.reserved_heights)
    headings = [c for c in layout.cells if c.row == workbook.HEADER_ROW]
    most = max(workbook.wrapped_lines(c.value, workbook.WIDTHS[c.col]) for c in headings)
    assert most == 1 or heights[workbook.HEADER_ROW] >= most * workbook.LINE_POINTS
    if lang == "en":
        assert most == 2  # Reviewed score wraps and its row grows


def test_reason_column_has_room_to_write_by_hand(reviewed):
    widths = workbook.WIDTHS
    reason, note = widths[workbook.REASON_COL], widths[workbook.NOTE_COL]
    assert reason >= 28 and reason > note  # the reviewer writes here on the visit
    assert widths[workbook.REVIEW_COL] >= 9  # a score written by hand
    layout = _layout(reviewed, "zh")
    heights = dict(layout.reserved_heights)
    item_rows = {i.row for i in layout.inputs if i.kind == "score"}
    assert all(heights[r] >= workbook.HANDWRITING_POINTS for r in item_rows)
