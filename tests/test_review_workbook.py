"""Reviewer workbooks: the sheet layout, the file written, and reading a reviewer's return."""

from __future__ import annotations

import os

import openpyxl
import pytest
from conftest import fill_book

from xlsxflow.accepted import Ledger
from xlsxflow.ingest import ingest
from xlsxflow.layout import META_SHEET
from xlsxflow.review.spec import load_review
from xlsxflow.review.workbook import (
    write_reviewer_workbooks,
)
from xlsxflow.round import generate_round, open_round

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


def test_one_workbook_per_reviewer_with_assigned_returned_sheets(reviewed):
    folder, ctx, review, ledger, generated = reviewed
    by = {f.reviewer_id: f for f in generated.files}
    assert set(by) == {"R01", "R02", "R03"}
    sheets = {rid: openpyxl.load_workbook(f.path).sheetnames for rid, f in by.items()}
    assert sheets["R01"] == ["U1-文明单位", "U1-文明窗口-1", "U2-文明单位", META_SHEET]
    assert sheets["R02"] == ["U1-文明单位", "U2-文明单位", "U2-文明窗口-1", META_SHEET]
    assert sheets["R03"] == ["U1-文明单位", "U2-文明单位", META_SHEET]
    # U3 returned nothing: no sheet, and said so for each of its reviewers
    assert {(s.reviewer_id, s.unit_id, s.form_id) for s in generated.skipped} == {
        ("R01", "U3", "danwei"),
        ("R02", "U3", "danwei"),
        ("R03", "U3", "danwei"),
    }
