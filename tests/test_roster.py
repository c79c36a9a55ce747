"""Rosters: Chinese or English headers, CSV (UTF-8 or GBK) or xlsx; bad rows are named."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import ROSTER

from xlsxflow.messages import XlsxflowError, render
from xlsxflow.roster import load_roster


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "r.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def errors(path) -> list:
    with pytest.raises(XlsxflowError) as info:
        load_roster(path)
    return info.value.issues


def test_sample_roster():
    roster = load_roster(ROSTER)
    assert len(roster) == 30
    unit = roster.get("CZJ-GK")
    assert unit.name == "市财政局国库支付中心" and unit.parent == "CZJ"
    assert roster.parent_name(unit) == "市财政局"
    assert unit.extra["职工人数"] == "23" and unit.extra["内设机构数"] == "4"


def test_gbk_csv_from_chinese_excel(tmp_path):
    path = write(tmp_path, "单位编号,单位名称,邮箱\nA1,市统计局,a@example.org\n", "gb18030")
    assert load_roster(path).get("A1").name == "市统计局"


def test_english_headers_and_parent_by_name(tmp_path):
    path = write(tmp_path, "unit_id,name,parent\nP,Parent office,\nC,Child office,Parent office\n")
    assert load_roster(path).get("C").parent == "P"


def test_xlsx_roster(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["单位编号", "单位名称", "职工人数"])
    wb.active.append([101, "市档案馆", 24])
    wb.save(tmp_path / "r.xlsx")
    unit = load_roster(tmp_path / "r.xlsx").get("101")
    assert unit.name == "市档案馆" and unit.extra["职工人数"] == "24"


def test_bad_rows_are_all_named(tmp_path):
    path = write(tmp_path, "单位编号,单位名称,主管单位\nA,甲,\nA,乙,\nB,,\n,丙,\nC,丁,Z\nD E,戊,\n")
    issues = errors(path)
    assert [(i.code, i.line) for i in issues] == [
        ("roster-duplicate-id", 3),
        ("roster-empty-name", 4),
        ("roster-empty-id", 5),
        ("roster-bad-id", 7),
        ("roster-unknown-parent", 6),
    ]
    assert issues[0].message == render("roster-duplicate-id", id="A", first_row=2)
    assert str(issues[0]).startswith("r.csv:3: ")


def test_missing_columns(tmp_path):
    issues = errors(write(tmp_path, "编号,联系人\n1,张三\n"))
    assert [i.fields["column"] for i in issues] == ["单位名称"]


def test_empty_and_unreadable(tmp_path):
    assert errors(write(tmp_path, ""))[0].code == "roster-empty"
    assert errors(tmp_path / "nope.csv")[0].code == "roster-unreadable"
    assert errors(write(tmp_path, "not a zip", name="r.xlsx"))[0].code == "roster-unreadable"


def test_bad_email_is_a_warning(tmp_path):
    roster = load_roster(write(tmp_path, "单位编号,单位名称,邮箱\nA,甲,not-an-email\n"))
    assert [w.code for w in roster.warnings] == ["roster-bad-email"]
