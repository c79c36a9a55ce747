"""The 测评汇总 workbook (issue 12): its sheets, anonymity in every cell, 审定 → publish."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import libreoffice_convert

from xlsxflow.approval import TIED, fill_sample_decisions, read_approval
from xlsxflow.ballots.count import count_ballots, outcome_dict
from xlsxflow.ballots.model import Ballot, BallotIngest
from xlsxflow.ballots.sheets import evaluation_summary_bytes
from xlsxflow.ballots.spec import load_evaluations, make_serial
from xlsxflow.ingest import FileRecord
from xlsxflow.messages import make_issue
from xlsxflow.publish import NOTICE_FILE, publish
from xlsxflow.roundfile import load_round

KEY = b"s" * 32
ROUND_ID = "dangzhibu-test"
HIDDEN_UNIT = "ZB07"  # 3 members, 2 valid ballots and 1 all-max: quorum met, below k = 3
HIDDEN_VALUES = ("61.5", "3.5")  # their total and first item, were they shown
QUORUM_UNIT = "ZB02"  # 10 members, 4 ballots: below the quorum of one half
HIDDEN_BALLOTS = (  # totals 59 and 64: a mean of 61.5, the first item 3.5
    [1.0, 6.0, 6.0, 6.0, 6.0, 6.0, 7.0, 7.0, 7.0, 7.0],
    [6.0, 6.0, 6.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 4.0],
)
TIE_UNIT = "ZB09"  # 16 members, cap 4: the 4th and 5th tie at the cut


def sample(rnd, evals):
    """Ballots of the party-branch round: spread scores, an all-max ballot, a branch below
    quorum, one below the anonymity threshold, a tie at the cut."""
    ev = evals.evaluations["xianfenggang"]
    rng = random.Random(12)
    ballots, files = [], []
    for unit in ev.units:
        members = ev.candidates[unit.unit_id]
        count = {QUORUM_UNIT: 4, HIDDEN_UNIT: 3}.get(unit.unit_id, ev.expected[(unit.unit_id, "dangyuan")])  # fmt: skip
        base = {m.member_id: rng.randint(6, 9) for m in members}
        if unit.unit_id == TIE_UNIT:
            for n, m in enumerate(members):  # a clear order, the 4th and 5th equal
                base[m.member_id] = [9, 9, 9, 8, 8, 7][n] if n < 6 else 6
        for n in range(count):
            serial = make_serial(KEY, ROUND_ID, ev.id, unit.unit_id, "dangyuan", n)
            answers = {}
            for m in members:
                if unit.unit_id == HIDDEN_UNIT:  # the third: full marks, invalid
                    items = HIDDEN_BALLOTS[n] if n < 2 else [10.0] * 10
                elif unit.unit_id == TIE_UNIT:
                    items = [float(base[m.member_id])] * 9 + [5.0]
                else:
                    items = [float(min(10, max(0, base[m.member_id] + rng.choice((-1, 0, 1))))) for _ in range(10)]  # fmt: skip
                answers[m.member_id] = {q.id: v for q, v in zip(ev.questions, items, strict=True)}
            if unit.unit_id == "ZB01" and n == 0:  # full marks for everyone: invalid (all_max)
                answers = {m.member_id: {q.id: 10.0 for q in ev.questions} for m in members}
            path = f"{unit.unit_id}/{serial}.xlsx"
            ballots.append(Ballot(serial, ev.id, unit.unit_id, "dangyuan", path, answers=answers))
            files.append(FileRecord(path, 9000 + n, 1_765_000_000.0, "ab" * 32, "accepted", "", serial))  # fmt: skip
    bad = FileRecord("ZB03/copy.xlsx", 9100, 1_765_000_000.0, "cd" * 32, "rejected", "取值错误")
    bad.issues.append(
        make_issue(
            "value-out-of-range",
            file=bad.path,
            sheet="测评票",
            cell="D7",
            label="第1项",
            value=61.5,
            max=10,
        )  # fmt: skip
    )
    files.append(bad)
    ingest = BallotIngest("/somewhere/测评票", "2026-12-07T10:00:00+00:00", files, ballots)
    return ingest


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("summary")
    rnd = load_round("dangzhibu")
    evals = load_evaluations(rnd)
    ingest = sample(rnd, evals)
    outcome = count_ballots(evals, ingest.ballots)
    path = tmp / "测评汇总.xlsx"
    path.write_bytes(
        evaluation_summary_bytes(rnd, evals, ingest, outcome, key=KEY, round_id=ROUND_ID)
    )
    en = tmp / "summary-en.xlsx"
    en.write_bytes(
        evaluation_summary_bytes(rnd, evals, ingest, outcome, key=KEY, round_id=ROUND_ID, lang="en")
    )
    return rnd, evals, ingest, outcome, path, en, tmp


def cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    yield ws.title, c.coordinate, c.value
        for c in (ws.oddHeader.left, ws.oddHeader.right):
            if c.text:
                yield ws.title, "header", c.text


def test_the_summary_has_a_sheet_per_branch_and_the_shared_sheets(built):
    rnd, evals, ingest, outcome, path, en, _ = built
    names = openpyxl.load_workbook(path).sheetnames
    units = [u.name for u in evals.evaluations["xianfenggang"].units]
    assert names[: len(units)] == units
    assert names[len(units) :] == ["参加情况", "审定", "_xlsxflow_summary", "问题", "文件", "说明"]
    ws = openpyxl.load_workbook(path)["机关第二党支部"]
    assert ws["A1"].value == "机关第二党支部 · 党员先锋岗民主测评"
    results = [ws.cell(r, ws.max_column).value for r in range(4, ws.max_row + 1)]
    assert set(results) == {"测评无效（参加人数不足）"}
    assert "Participation" in openpyxl.load_workbook(en).sheetnames


def test_ties_at_the_cut_are_marked_and_not_recommended(built):
    _, evals, _, outcome, path, _, _ = built
    tied = [c for c in outcome.of("xianfenggang", TIE_UNIT) if c.tie_at_cut]
    assert [c.rank for c in tied] == [4, 4] and all(
        c.within_cap and not c.recommended for c in tied
    )
    ws = openpyxl.load_workbook(path)["离退休干部党支部"]
    marked = [ws.cell(r, 2).value for r in range(4, ws.max_row + 1) if ws.cell(r, ws.max_column - 1).value == "★并列"]  # fmt: skip
    assert marked == [c.name for c in tied]
    assert "标★的候选人与名额线同分并列" in ws["A2"].value


def test_nothing_shows_a_group_below_the_anonymity_threshold(built):
    _, evals, _, outcome, path, en, _ = built
    hidden = [c for c in outcome.candidates if c.status == "hidden"]
    assert {c.unit_id for c in hidden} == {HIDDEN_UNIT} and len(hidden) == 3
    names = {c.name for c in hidden}
    for book in (path, en):
        for sheet, ref, value in cells(book):
            text = str(value)
            assert not any(v in text for v in HIDDEN_VALUES), (sheet, ref, text)
            if isinstance(value, float | int):
                assert value not in (61.5, 3.5), (sheet, ref)
            if sheet in ("审定", "_xlsxflow_summary"):
                assert not any(n in text for n in names), (sheet, ref)
    wb = openpyxl.load_workbook(path)
    ws = wb["第二分局党支部"]
    for r in range(4, ws.max_row + 1):  # the hidden rows: counts and the status, no score
        row = [ws.cell(r, c).value for c in range(1, ws.max_column + 1)]
        assert row[-1] == "有效票不足 3 张，结果不显示" and row[-5:-1] == ["—", "—", "—", None]
        assert row[3:7] == [3, 3, 2, "1（原因不显示）"]  # counted, not why (全部满分 would tell)
    data = outcome_dict(outcome)
    text = json.dumps(data, ensure_ascii=False)
    assert not any(v in text for v in HIDDEN_VALUES)
    for c in data["candidates"]:
        if c["unit_id"] == HIDDEN_UNIT:
            assert c["groups"][0]["not_counted"] == 1 and "invalid" not in c["groups"][0]
    # the 问题 sheet masks the value a ballot held
    issues = [v for s, _, v in cells(path) if s == "问题"]
    assert any("“第1项”为 ＊" in str(v) for v in issues)


def test_the_about_sheet_says_the_rules_without_machine_paths(built):
    _, _, _, _, path, _, _ = built
    text = "\n".join(str(v) for s, _, v in cells(path) if s == "说明")
    assert "去掉 1 个最高分和 1 个最低分" in text and "测评无效（参加人数不足）" in text
    assert "有效票少于 3 张的结果一律不显示" in text and "floor(党员人数 * 30 / 100)" in text
    assert "/somewhere" not in text and "测评票" in text


def test_approval_then_publish_posts_the_recommended_members(built):
    rnd, evals, _, outcome, path, _, tmp = built
    read = read_approval(path, KEY, round_id=ROUND_ID)
    assert read.ok, read.issues
    recommended = [c for c in outcome.candidates if c.recommended]
    tied = [c for c in outcome.candidates if c.tie_at_cut]
    assert [r.nominee for r in read.rows if r.recommendation == TIED] == [c.name for c in tied]
    assert len(read.rows) == len(recommended) + len(tied)
    filled = tmp / "测评汇总-审定.xlsx"
    assert fill_sample_decisions(path, filled) == len(read.rows)
    out = publish(filled, tmp / "发布", key=KEY, round_id=ROUND_ID, spec=rnd.spec)
    assert out.ok, out.issues
    ws = openpyxl.load_workbook(tmp / "发布" / NOTICE_FILE).worksheets[0]
    assert ws["A1"].value.endswith("党员先锋岗拟推荐对象公示名单")
    assert "按支部排列，同一支部内按测评得分从高到低" in ws["A2"].value
    assert [ws.cell(3, c).value for c in range(1, 5)] == ["序号", "姓名", "岗位或职务", "单位名称"]
    listed = [ws.cell(r, 2).value for r in range(4, 4 + len(recommended))]
    order = {u.unit_id: n for n, u in enumerate(evals.evaluations["xianfenggang"].units)}
    by_branch = sorted(recommended, key=lambda c: (order[c.unit_id], c.rank))
    assert listed == [c.name for c in by_branch]
    assert ws.cell(4, 4).value == by_branch[0].unit_name
    # scores keep their two places on 审定 and in the 结果通报 (88.00 beside 87.82, not 88.0)
    approval = openpyxl.load_workbook(path)["审定"]
    shown = [r[6] for r in approval.iter_rows(min_row=4) if isinstance(r[6].value, float)]
    assert shown and all(c.number_format == "0.00" for c in shown)
    report = openpyxl.load_workbook(tmp / "发布" / "结果通报.xlsx").worksheets[0]
    scores = [r[6].value for r in report.iter_rows(min_row=4) if r[6].value]
    assert scores and all(len(str(v).split(".")[1]) == 2 for v in scores)


@pytest.mark.libreoffice
def test_libreoffice_prints_the_summary_and_the_notice(built, soffice):
    """One LibreOffice call: the 测评汇总 and the 公示 as printed, read back from the PDFs."""
    rnd, _, _, outcome, path, _, tmp = built
    filled = tmp / "审定-lo.xlsx"
    fill_sample_decisions(path, filled)
    out = publish(filled, tmp / "发布-lo", key=KEY, round_id=ROUND_ID, spec=rnd.spec)
    assert out.ok, out.issues
    pdfs = tmp / "pdf"
    libreoffice_convert(soffice, [path, tmp / "发布-lo" / NOTICE_FILE], pdfs, tmp / "profile", "pdf")  # fmt: skip
    lines = subprocess.run(
        ["pdftotext", "-layout", str(pdfs / "公示名单.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    text = "".join("".join(lines).split())
    assert (
        "党员先锋岗拟推荐对象公示名单" in text
        and "按支部排列，同一支部内按测评得分从高到低" in text
    )
    assert all(line.strip() not in ("）：", "：") for line in lines)  # no lone “）：” line
    tied = next(c for c in outcome.candidates if c.tie_at_cut)
    assert tied.name not in text  # tied at the cut: the 党委 has not decided (暂缓)
    summary = subprocess.run(
        ["pdftotext", "-layout", str(pdfs / "测评汇总.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    summary = "".join(summary.split())
    for words in ("离退休干部党支部·党员先锋岗民主测评", "★并列", "测评无效（参加人数不足）", "参加情况", "审定结果"):  # fmt: skip
        assert words in summary, words
    assert not any(v in summary for v in HIDDEN_VALUES)
