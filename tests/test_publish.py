"""The office's 审定 and publishing: the summary's signed 审定 sheet, read back untrusting
(edited scores and recommendations, forged and deleted rows, other rounds and keys,
broken files), and ``xlsxflow publish``: only approved candidates on the 公示, a
结果通报 of all, decisions.json; nothing from self-scores alone for a reviewed form;
LibreOffice fills the dropdowns, and the printed lists are read back with pdftotext."""

from __future__ import annotations

import io
import json
import os
import random
import secrets
import shutil
import subprocess
import textwrap
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from conftest import ROUND_ROSTER, SEED_ROUND, fill_book, ingest_entries, libreoffice_convert

from xlsxflow.approval import (
    ADVICE,
    LOCKED,
    META_SHEET,
    SHEET,
    FormFacts,
    add_approval_sheet,
    approval_rows,
    fill_sample_decisions,
    read_approval,
)
from xlsxflow.cli import main
from xlsxflow.identity import key_id
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.publish import DECISIONS_FILE, NOTICE_FILE, REPORT_FILE, publish
from xlsxflow.review import load_review
from xlsxflow.review.model import Candidate
from xlsxflow.review.outcome import decide as decide_round
from xlsxflow.roundfile import Approval, load_round, shipped_rounds_dir
from xlsxflow.summary import summary_bytes

KEY = bytes.fromhex("11" * 32)
ROUND_ID = "2026-test"
TITLE = "2026年度测试评选"
FACTS = {
    "danwei": FormFacts("danwei", "文明单位", reviewed=True, basis_text="实评分"),
    "hongqi": FormFacts("hongqi", "红旗党支部", reviewed=True, award="流动红旗"),
    "biaobing": FormFacts(
        "biaobing", "文明标兵", reviewed=False, nominee="姓名", notice_fields=("性别",)
    ),
}


def cand(form, unit, name, *, self_total=95.0, review=None, eligible=True, rank=None, **kw):
    title = FACTS[form].title
    basis = "review" if FACTS[form].reviewed else "self"
    decision = review if basis == "review" else Decimal(str(self_total))
    return Candidate(
        form_id=form,
        form_title=title,
        unit_id=unit,
        unit_name=name,
        slot=kw.pop("slot", 1),
        sheet=kw.pop("sheet", title),
        nominee=kw.pop("nominee", ""),
        basis=basis,
        self_total=self_total,
        review_total=review,
        decision=decision,
        eligible=eligible,
        rank=rank,
        **kw,
    )


CANDIDATES = [
    cand("danwei", "CZJ", "市财政局", self_total=96, review=Decimal("92.5"), rank=1),
    cand(
        "danwei",
        "JYJ",
        "市教育局",
        self_total=98,
        review=Decimal("80"),
        eligible=False,
        reasons=["实评分 80 分，未达到 90 分"],
        flags=["自评虚高：自评 98 分，实评 80 分"],
    ),
    cand("danwei", "WJW", "市卫健委", self_total=93, review=None),  # not reviewed yet
    cand("hongqi", "B1", "第一支部", review=Decimal("95"), rank=1, award="流动红旗"),
    cand("hongqi", "B2", "第二支部", review=Decimal("88"), rank=2),  # below the award's cut
    cand("biaobing", "CZJ", "市财政局", self_total=0, nominee="王芳", sheet="文明标兵-1"),
]
NOTICE_VALUES = {("CZJ", "biaobing", 1): ["女"]}
# rows in sheet order: 1 CZJ, 2 JYJ, 3 WJW (文明单位); 4 B1, 5 B2 (红旗); 6 王芳 (文明标兵)
FIRST = 4  # the first candidate's row in Excel's numbering
COL = {label: chr(ord("A") + n) for n, label in enumerate([*LOCKED, ADVICE])}
COL.update({"纪检意见": "K", "审定结果": "L", "意见": "M"})


def summary_file(path: Path, *, key=KEY, round_id=ROUND_ID, candidates=CANDIDATES, **kw):
    """A workbook with the 审定 sheet as the summary writes it."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.add_worksheet("排名")
    rows = approval_rows(candidates, FACTS, NOTICE_VALUES, {"CZJ": "", "B1": "县局"})
    add_approval_sheet(
        wb,
        rows,
        approval=kw.pop("approval", Approval()),
        facts=FACTS,
        round_id=round_id,
        round_title=TITLE,
        key=key,
        generated_at="2026-12-20T09:00:00+08:00",
    )
    wb.close()
    path.write_bytes(buffer.getvalue())
    return path


def edited(src: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb[SHEET])
    wb.save(dst)
    return dst


def decide(ws, decisions: dict[int, str], column="审定结果") -> None:
    for number, value in decisions.items():
        ws[f"{COL[column]}{FIRST + number - 1}"] = value


ALL_DECIDED = {1: "同意", 2: "不同意", 3: "暂缓", 4: "同意", 5: "不同意", 6: "同意"}


def where(read) -> list[tuple[str, str]]:
    return [(i.code, i.cell) for i in read.issues]


# -- the round file ------------------------------------------------------------------


def test_shipped_rounds_keep_their_signed_hash():
    """The approval section is outside the content hash: workbooks already sent stay valid."""
    assert load_round("sanchuang").content_hash == "da384380f21d87f3"
    # the 先锋岗 left the forms for the evaluations section (民主测评): a new hash, once
    assert load_round("dangzhibu").content_hash == "3bb31bc97dcf9bee"


def _round_with(tmp_path: Path, approval_yaml: str) -> Path:
    text = SEED_ROUND.read_text(encoding="utf-8")
    text = text.replace("roster: ../../samples/", "roster: ")
    (tmp_path / "roster.csv").write_text(ROUND_ROSTER, encoding="utf-8")
    path = tmp_path / "round.yaml"
    path.write_text(text + "\n" + textwrap.dedent(approval_yaml), encoding="utf-8")
    return path


def test_approval_section_names_the_inputs_and_leaves_the_hash_alone(tmp_path):
    path = _round_with(
        tmp_path,
        """
        approval:
          columns:
            - {label: 纪工委意见, max_length: 100}
            - {label: 审定, choices: [同意, 不同意], decision: true}
        """,
    )
    rnd = load_round(path)
    assert [c.label for c in rnd.spec.approval.columns] == ["纪工委意见", "审定"]
    assert rnd.spec.approval.decision_column.label == "审定"
    assert rnd.content_hash == load_round("sanchuang", tmp_path / "roster.csv").content_hash


def test_default_approval_is_the_seeds_three_columns():
    approval = load_round("dangzhibu").spec.approval
    assert [c.label for c in approval.columns] == ["纪检意见", "审定结果", "意见"]
    assert approval.choices_of(approval.decision_column) == ["同意", "不同意", "暂缓"]


@pytest.mark.parametrize(
    "columns, words",
    [
        ("[{label: 意见}]", "需要一个审定结果栏目"),
        ("[{label: 结果, choices: [通过, 不通过], decision: true}]", "只能是 同意、不同意"),
        ("[{label: 意见}, {label: 意见, choices: [同意, 不同意]}]", "重复"),
    ],
)
def test_approval_section_errors_name_the_line(tmp_path, columns, words):
    path = _round_with(tmp_path, f"approval:\n  columns: {columns}\n")
    with pytest.raises(XlsxflowError) as err:
        load_round(path)
    issue = err.value.issues[0]
    assert issue.code == "round-schema" and words in issue.message
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[issue.line - 1].startswith("approval:")


def test_shipped_rounds_show_the_approval_section_commented(tmp_path):
    """Commented in the shipped rounds (xlsxflow init copies them); uncommented, it loads.
    The 评星晋级 round sets its own (街道考核意见 before the 审定结果): live, it loads."""
    for path in shipped_rounds_dir().glob("*.yaml"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if any(line.startswith("approval:") for line in lines):
            assert load_round(path).spec.approval.decision_column.label == "审定结果"
            continue
        start = next(n for n, line in enumerate(lines) if line.startswith("# approval:"))
        end = start + 1
        while lines[end].startswith("#   "):
            end += 1
        for n in range(start, end):
            lines[n] = lines[n][2:]
        copy = path.parent / f"uncommented-{path.name}"
        try:
            copy.write_text("".join(lines), encoding="utf-8")
            rnd = load_round(copy)
        finally:
            copy.unlink()
        assert rnd.content_hash == load_round(path).content_hash
        assert rnd.spec.approval.decision_column.choices == ["同意", "不同意", "暂缓"]


# -- the sheet -----------------------------------------------------------------------


def test_sheet_is_locked_with_dropdowns_and_prints_landscape(tmp_path):
    wb = openpyxl.load_workbook(summary_file(tmp_path / "s.xlsx"))
    ws = wb[SHEET]
    assert [c.value for c in ws[3]] == [*LOCKED, ADVICE, "纪检意见", "审定结果", "意见"]
    assert ws.protection.sheet and ws.protection.password
    rows = {ws[f"A{r}"].value: r for r in range(FIRST, FIRST + 6)}
    czj, jyj, wjw, b2 = rows[1], rows[2], rows[3], rows[5]
    assert ws[f"F{czj}"].value == 92.5 and ws[f"G{czj}"].value == 92.5
    assert ws[f"J{czj}"].value == "推荐"
    assert (
        ws[f"J{jyj}"].value.startswith("不推荐：实评分 80 分") and "自评虚高" in ws[f"J{jyj}"].value
    )
    assert ws[f"J{wjw}"].value.startswith("待评审") and ws[f"F{wjw}"].value is None
    assert ws[f"J{b2}"].value.startswith("不推荐：未进入流动红旗名次")
    assert ws[f"J{rows[4]}"].value == "推荐（流动红旗）"
    for col in "ABCDEFGHIJ":
        assert ws[f"{col}{czj}"].protection.locked
    for col in "KLM":
        assert not ws[f"{col}{czj}"].protection.locked
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert validations[f"L{FIRST}:L{FIRST + 5}"].formula1 == '"同意,不同意,暂缓"'
    assert validations[f"M{FIRST}:M{FIRST + 5}"].type == "textLength"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$3:$3"
    assert wb[META_SHEET].sheet_state == "veryHidden"


def test_a_clean_sheet_reads_back_with_the_facts(tmp_path):
    read = read_approval(summary_file(tmp_path / "s.xlsx"), KEY, round_id=ROUND_ID)
    assert read.ok and read.issues == []
    assert [r.unit_id for r in read.rows] == ["CZJ", "JYJ", "WJW", "B1", "B2", "CZJ"]
    assert [r.recommendation for r in read.rows] == [
        "推荐",
        "不推荐",
        "待评审",
        "推荐",
        "不推荐",
        "推荐",
    ]
    assert read.rows[0].review_score == "92.5" and read.rows[5].notice_values == ["女"]


# -- forged, edited, broken ------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda ws: ws.__setitem__(f"F{FIRST + 1}", 95),
            [("approval-cell-changed", f"F{FIRST + 1}")],
        ),
        (
            lambda ws: ws.__setitem__(f"J{FIRST + 1}", "推荐"),
            [("approval-cell-changed", f"J{FIRST + 1}")],
        ),
        (
            lambda ws: ws.__setitem__(f"G{FIRST + 2}", 91),
            [("approval-cell-changed", f"G{FIRST + 2}")],
        ),
        (lambda ws: ws.delete_rows(FIRST + 1), [("approval-row-deleted", f"A{FIRST + 1}")]),
        (
            lambda ws: [
                ws.__setitem__(f"{c}{FIRST + 6}", v)
                for c, v in zip(
                    "ABCEFGJL", [7, "文明单位", "假单位", 99, 99, 99, "推荐", "同意"], strict=True
                )
            ],
            [("approval-row-added", f"A{FIRST + 6}")],
        ),
        (
            lambda ws: [ws.__setitem__(f"{c}{FIRST + 2}", None) for c in "ABCDEFGHIJ"],
            [("approval-row-deleted", f"A{FIRST + 2}")],
        ),
        (lambda ws: ws.__setitem__("B3", "类别"), [("approval-cell-changed", "B3")]),
    ],
    ids=[
        "score",
        "recommendation",
        "decision-score",
        "row-deleted",
        "row-added",
        "row-emptied",
        "header",
    ],
)
def test_forged_rows_are_caught_naming_the_cell(tmp_path, edit, expected):
    forged = edited(summary_file(tmp_path / "s.xlsx"), tmp_path / "forged.xlsx", edit)
    read = read_approval(forged, KEY, round_id=ROUND_ID)
    assert where(read) == expected
    assert all(i.sheet == SHEET and i.file == "forged.xlsx" for i in read.issues)
    out = publish(forged, tmp_path / "out", key=KEY, round_id=ROUND_ID)
    assert not out.ok and not (tmp_path / "out").exists()


def test_changed_score_message_names_row_column_and_both_values(tmp_path):
    forged = edited(
        summary_file(tmp_path / "s.xlsx"),
        tmp_path / "f.xlsx",
        lambda ws: ws.__setitem__(f"F{FIRST + 1}", 95),
    )
    (issue,) = read_approval(forged, KEY).issues
    assert issue.message == render(
        "approval-cell-changed",
        what="第 2 号（文明单位 · 市教育局）的“实评分”",
        expected="80",
        actual="95",
    )
    assert str(issue).startswith(f"f.xlsx · 审定!F{FIRST + 1}: ")


def test_edited_identity_sheet_fails_the_signature(tmp_path):
    def edit(ws):
        meta = ws.parent[META_SHEET]
        for row in meta.iter_rows():
            if row[0].value == "row2":
                row[1].value = row[1].value.replace(
                    '"recommendation":"不推荐"', '"recommendation":"推荐"'
                )

    forged = edited(summary_file(tmp_path / "s.xlsx"), tmp_path / "f.xlsx", edit)
    assert where(read_approval(forged, KEY)) == [("summary-bad-signature", "")]


def test_another_key_another_round_and_broken_files(tmp_path):
    other_key = secrets.token_bytes(32)
    signed_elsewhere = summary_file(tmp_path / "k.xlsx", key=other_key)
    (issue,) = read_approval(signed_elsewhere, KEY).issues
    assert issue.code == "summary-other-key" and key_id(other_key) in issue.message
    other_round = summary_file(tmp_path / "r.xlsx", round_id="2025-old")
    (issue,) = read_approval(other_round, KEY, round_id=ROUND_ID).issues
    assert issue.code == "summary-other-round" and "2025-old" in issue.message
    good = summary_file(tmp_path / "s.xlsx").read_bytes()
    cases = {
        "truncated.xlsx": good[: len(good) // 2],
        "notes.xlsx": "单位,分数\n甲,90\n".encode(),
        "empty.xlsx": b"",
        "random.xlsx": secrets.token_bytes(3000),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        read = read_approval(tmp_path / name, KEY)
        assert not read.ok and read.issues[0].code.startswith("file-"), name
    plain = io.BytesIO()  # an xlsx, but no summary of xlsxflow's (an old summary, say)
    wb = xlsxwriter.Workbook(plain)
    wb.add_worksheet(SHEET)
    wb.close()
    (tmp_path / "plain.xlsx").write_bytes(plain.getvalue())
    assert where(read_approval(tmp_path / "plain.xlsx", KEY)) == [("summary-not-signed", "")]
    assert where(read_approval(tmp_path / "missing.xlsx", KEY)) == [("summary-unreadable", "")]


def test_long_reasons_survive_the_signature(tmp_path):
    """A row's signed facts longer than a cell holds continue in the next cell."""
    long = cand("danwei", "LNG", "长理由单位", review=Decimal("70"), eligible=False)
    long.reasons = [f"第{n}条理由：" + "未达到要求" * 400 for n in range(20)]
    path = summary_file(tmp_path / "s.xlsx", candidates=[*CANDIDATES, long])
    read = read_approval(path, KEY)
    assert read.ok and next(r for r in read.rows if r.unit_id == "LNG").reasons == long.reasons


def test_damaged_files_never_raise(tmp_path):
    """Bytes changed anywhere in a summary: an issue, never an exception."""
    good = bytearray(summary_file(tmp_path / "s.xlsx").read_bytes())
    rng = random.Random(11)
    for n in range(60):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"d{n}.xlsx"
        path.write_bytes(bytes(data))
        read = read_approval(path, KEY, round_id=ROUND_ID)
        assert read.ok or read.issues, n


def test_a_choice_typed_past_the_dropdown_is_an_error(tmp_path):
    forged = edited(
        summary_file(tmp_path / "s.xlsx"),
        tmp_path / "f.xlsx",
        lambda ws: decide(ws, {**ALL_DECIDED, 1: "通过"}),
    )
    read = read_approval(forged, KEY)
    assert where(read) == [("approval-bad-choice", f"L{FIRST}")]


# -- publish -----------------------------------------------------------------------


def test_publish_writes_the_notice_the_report_and_the_record(tmp_path):
    filled = edited(
        summary_file(tmp_path / "s.xlsx"),
        tmp_path / "filled.xlsx",
        lambda ws: (decide(ws, ALL_DECIDED), decide(ws, {2: "实评分未达到"}, "意见")),
    )
    out = publish(filled, tmp_path / "out", key=KEY, round_id=ROUND_ID)
    assert out.ok, [str(i) for i in out.issues]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [NOTICE_FILE, REPORT_FILE, DECISIONS_FILE]
    )
    notice = openpyxl.load_workbook(tmp_path / "out" / NOTICE_FILE)
    assert notice.sheetnames == ["文明单位公示", "红旗党支部公示", "文明标兵公示"]
    texts = {
        name: " ".join(str(v) for row in notice[name].iter_rows(values_only=True) for v in row if v)
        for name in notice.sheetnames
    }
    assert "市财政局" in texts["文明单位公示"] and "市教育局" not in texts["文明单位公示"]
    assert "经审定" in texts["文明单位公示"] and "市卫健委" not in texts["文明单位公示"]
    assert "流动红旗拟授予对象公示名单" in texts["红旗党支部公示"]
    assert "第一支部" in texts["红旗党支部公示"] and "第二支部" not in texts["红旗党支部公示"]
    assert "王芳" in texts["文明标兵公示"] and "女" in texts["文明标兵公示"]
    record = json.loads((tmp_path / "out" / DECISIONS_FILE).read_text(encoding="utf-8"))
    assert record["round"] == {"id": ROUND_ID, "title": TITLE}
    assert record["published_at"] and record["format"] == "xlsxflow-decisions-1"
    first, second = record["candidates"][:2]
    assert first["scores"] == {"self": "96", "review": "92.5", "decision": "92.5"}
    assert first["decision"] == "同意" and first["approved"] and first["basis"] == "review"
    assert second["office"] == {"纪检意见": "", "审定结果": "不同意", "意见": "实评分未达到"}
    assert second["recommendation"] == "不推荐" and second["flags"]
    assert record["counts"] == {"同意": 3, "不同意": 2, "暂缓": 1}
    report = openpyxl.load_workbook(tmp_path / "out" / REPORT_FILE)["结果通报"]
    values = [[c.value for c in row] for row in report.iter_rows(min_row=3)]
    assert values[0][-2:] == ["审定结果", "意见"]  # 纪检意见, empty in every row, is left out
    assert values[2][-2:] == ["不同意", "实评分未达到"]


def test_no_approval_on_self_scores_of_a_reviewed_form(tmp_path):
    filled = edited(
        summary_file(tmp_path / "s.xlsx"),
        tmp_path / "f.xlsx",
        lambda ws: decide(ws, {**ALL_DECIDED, 3: "同意"}),  # 市卫健委: not reviewed yet
    )
    out = publish(filled, tmp_path / "out", key=KEY, round_id=ROUND_ID)
    assert not out.ok and not (tmp_path / "out").exists()
    assert [(i.code, i.cell) for i in out.issues] == [("publish-unreviewed", f"L{FIRST + 2}")]


def test_against_the_recommendation_is_published_with_a_warning(tmp_path):
    filled = edited(
        summary_file(tmp_path / "s.xlsx"),
        tmp_path / "f.xlsx",
        lambda ws: decide(ws, {**ALL_DECIDED, 2: "同意"}),  # 不推荐, but the office decides
    )
    out = publish(filled, tmp_path / "out", key=KEY, round_id=ROUND_ID)
    assert out.ok and [(i.code, i.severity) for i in out.issues] == [
        ("publish-against-advice", "warning")
    ]
    record = json.loads((tmp_path / "out" / DECISIONS_FILE).read_text(encoding="utf-8"))
    assert record["candidates"][1]["against_recommendation"] is True


def test_undecided_rows_are_listed_and_nothing_is_written(tmp_path, monkeypatch):
    filled = edited(
        summary_file(tmp_path / "s.xlsx"),
        tmp_path / "f.xlsx",
        lambda ws: decide(ws, {k: v for k, v in ALL_DECIDED.items() if k not in (2, 5)}),
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XLSXFLOW_KEY_FILE", str(_key_file(tmp_path)))
    result = CliRunner().invoke(main, ["publish", str(filled), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "未审定 2 个" in result.output and "第 5 号（红旗党支部 · 第二支部）" in result.output
    assert f"审定!L{FIRST + 1}" in result.output and "未发布任何文件" in result.output
    assert not (tmp_path / "out").exists()


def _key_file(tmp_path: Path) -> Path:
    path = tmp_path / "office.key"
    path.write_text(KEY.hex() + "\n", encoding="ascii")
    return path


def test_cli_publishes_once_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no round recorded here: the key alone verifies
    filled = edited(
        summary_file(tmp_path / "s.xlsx"), tmp_path / "f.xlsx", lambda ws: decide(ws, ALL_DECIDED)
    )
    monkeypatch.setenv("XLSXFLOW_KEY_FILE", str(_key_file(tmp_path)))
    result = CliRunner().invoke(main, ["publish", str(filled)])
    assert result.exit_code == 0, result.output
    assert "公示 3 个，共 6 个对象" in result.output
    folder = tmp_path / f"发布-{ROUND_ID}"
    before = (folder / DECISIONS_FILE).read_bytes()
    again = CliRunner().invoke(main, ["publish", str(filled)])
    assert again.exit_code == 1 and "publish-exists" in again.output
    assert "已发布" in again.output and (folder / DECISIONS_FILE).read_bytes() == before


def test_cli_refuses_another_rounds_summary_when_a_round_is_recorded(
    seed_round, tmp_path, monkeypatch
):
    folder, ctx, _ = seed_round
    monkeypatch.chdir(folder)
    other = summary_file(tmp_path / "s.xlsx", key=ctx.key, round_id="2025-old")
    result = CliRunner().invoke(main, ["publish", str(other), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "summary-other-round" in result.output


def test_sample_decisions_follow_the_recommendation(tmp_path):
    """The demo's office: 同意 / 不同意 / 暂缓 as xlsxflow recommends; publish accepts it."""
    filled = tmp_path / "filled.xlsx"
    assert fill_sample_decisions(summary_file(tmp_path / "s.xlsx"), filled) == 6
    read = read_approval(filled, KEY)
    assert [read.decision_of(r) for r in read.rows] == [
        "同意",
        "不同意",
        "暂缓",
        "同意",
        "不同意",
        "同意",
    ]
    assert publish(filled, tmp_path / "out", key=KEY).ok


# -- the summary carries it ------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_summary(seed_round, tmp_path_factory):
    """The seed round's summary with a 审定 sheet, candidates made from its results."""
    _, ctx, files = seed_round
    work = tmp_path_factory.mktemp("approval")
    path = fill_book(
        files["SMALL"],
        work / "filled" / files["SMALL"].name,
        ctx.round,
        {"文明单位": {}, "文明标兵-1": {"nominee": "王芳", "job": "市小单位办公室主任"}},
    )
    report = ingest_entries(work, ctx, {path.name: path})
    outcome = decide_round(ctx.round, load_review(ctx.round), report, None)
    data = summary_bytes(report, None, ctx.roster, outcome=outcome, key=ctx.key)
    (work / "summary.xlsx").write_bytes(data)
    return work / "summary.xlsx", report, ctx


def test_summary_gains_the_sheet_only_with_outcome_and_key(seed_summary):
    path, report, ctx = seed_summary
    assert SHEET in openpyxl.load_workbook(path).sheetnames
    plain = openpyxl.load_workbook(io.BytesIO(summary_bytes(report, None, ctx.roster)))
    assert SHEET not in plain.sheetnames and META_SHEET not in plain.sheetnames
    read = read_approval(path, ctx.key, round_id=ctx.record.round_id)
    assert read.ok and read.round_title == ctx.title
    nominee = next(r for r in read.rows if r.nominee == "王芳")
    assert nominee.notice_values[0] and nominee.reviewed_form is False  # sanchuang: no review


# -- LibreOffice, the real client --------------------------------------------------------

FILL_SCRIPT = """
import json, os, subprocess, sys, time, uuid
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

soffice, profile, src, dst, cells = sys.argv[1:6]
pipe = "xf" + uuid.uuid4().hex[:12]
proc = subprocess.Popen(
    [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
     "--nologo", f"--accept=pipe,name={pipe};urp;"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.2)
    else:
        sys.exit("LibreOffice did not start")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, (prop("Hidden", True),))
    for sheet, ref, value in json.loads(cells):
        cell = doc.Sheets.getByName(sheet).getCellRangeByName(ref)
        cell.setString(value)  # as typed, or picked from the dropdown: text
    doc.calculateAll()
    doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(dst)),
                   (prop("FilterName", "Calc Office Open XML"),))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
"""


def uno_python() -> str | None:
    """A Python that has LibreOffice's UNO bridge (Debian: python3-uno)."""
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if (
            candidate
            and subprocess.run([candidate, "-c", "import uno"], capture_output=True).returncode == 0
        ):
            return candidate
    return None


def libreoffice_fill(soffice: str, src: Path, dst: Path, cells, profile: Path) -> None:
    python = uno_python()
    if python is None:
        if os.environ.get("XLSXFLOW_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("python3-uno is required here but not installed")
        pytest.skip("LibreOffice's Python bridge not installed (apt-get install python3-uno)")
    script = dst.parent / "fill_with_libreoffice.py"
    script.write_text(FILL_SCRIPT, encoding="utf-8")
    subprocess.run(
        [python, str(script), soffice, str(profile), str(src), str(dst), json.dumps(cells)],
        check=True,
        capture_output=True,
        timeout=240,
    )


@pytest.mark.libreoffice
def test_libreoffice_fills_the_sheet_and_publish_prints(soffice, tmp_path):
    summary = summary_file(tmp_path / "summary.xlsx")
    cells = [[SHEET, f"L{FIRST + n - 1}", v] for n, v in ALL_DECIDED.items()]
    cells += [
        [SHEET, f"K{FIRST}", "无违纪违规情况"],
        [SHEET, f"M{FIRST + 1}", "实评分未达到命名门槛"],
    ]
    filled = tmp_path / "filled.xlsx"
    libreoffice_fill(soffice, summary, filled, cells, tmp_path / "profile")
    out = publish(filled, tmp_path / "out", key=KEY, round_id=ROUND_ID)
    assert out.ok, [str(i) for i in out.issues]
    record = json.loads((tmp_path / "out" / DECISIONS_FILE).read_text(encoding="utf-8"))
    assert record["candidates"][0]["office"]["纪检意见"] == "无违纪违规情况"
    assert [c["decision"] for c in record["candidates"]] == list(ALL_DECIDED.values())
    # A score edited in LibreOffice is still caught after its save.
    forged = tmp_path / "forged.xlsx"
    libreoffice_fill(
        soffice, filled, forged, [[SHEET, f"J{FIRST + 1}", "推荐"]], tmp_path / "profile"
    )
    assert where(read_approval(forged, KEY)) == [("approval-cell-changed", f"J{FIRST + 1}")]
    # The printed lists, read back.
    pdfs = tmp_path / "pdf"
    libreoffice_convert(
        soffice,
        [tmp_path / "out" / NOTICE_FILE, tmp_path / "out" / REPORT_FILE, summary],
        pdfs,
        tmp_path / "profile",
        fmt="pdf",
    )
    notice = _pdf_text(pdfs / "公示名单.pdf")
    assert "文明单位拟推荐对象公示名单" in notice and "经审定" in notice
    assert "市财政局" in notice and "市教育局" not in notice and "第一支部" in notice
    assert "王芳" in notice and "第二支部" not in notice
    report = _pdf_text(pdfs / "结果通报.pdf")
    for words in ("市教育局", "不同意", "暂缓", "实评分未达到命名门槛", "待评审", "第二支部"):
        assert words in report, words
    sheet = _pdf_text(pdfs / "summary.pdf")
    for words in ("审定", "计算结果/建议", "审定结果", "待评审（尚无实评分）", "推荐（流动红旗）"):
        assert words in sheet, words


def _pdf_text(pdf: Path) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(text.split())  # words wrap in cells: compare without spaces and breaks


# -- what the office reads and prints ---------------------------------------------------


def test_advice_keeps_a_reason_whole_and_counts_many_item_gaps(tmp_path):
    """A reason up to its seed reference stays whole; one 自评虚高 flag per item would fill
    a printed page, so beyond two they are counted (each stays in decisions.json)."""
    reason = "自评分（不含加分）未达到 90 分，不能申报（实施方案 四.1）"
    gaps = [
        render("outcome-gap-item", item=f"第{n}项", self=4, review=1, difference=3, limit=2)
        for n in range(1, 9)
    ]
    total = render("outcome-gap-total", self=88, review=63, difference=25, limit=5)
    many = cand(
        "danwei",
        "GAP",
        "虚高单位",
        review=Decimal("63"),
        eligible=False,
        reasons=[reason],
        flags=["评审未齐：已计入 1/2 名评审人", *gaps, total],
    )
    few = cand("danwei", "TWO", "两项单位", review=Decimal("93"), rank=2, flags=gaps[:2])
    path = summary_file(tmp_path / "s.xlsx", candidates=[many, few])
    ws = openpyxl.load_workbook(path)[SHEET]
    row = {ws[f"{COL['单位']}{r}"].value: r for r in (FIRST, FIRST + 1)}
    advice = ws[f"{COL[ADVICE]}{row['虚高单位']}"].value
    assert reason in advice and "…" not in advice
    assert render("approval-item-gaps", n=8) in advice and "第3项" not in advice
    assert "评审未齐" in advice and total in advice  # the other flags stay whole
    assert ws[f"{COL[ADVICE]}{row['两项单位']}"].value == "推荐\n注意：" + "；".join(gaps[:2])
    record = read_approval(path, KEY)
    assert record.ok and next(r for r in record.rows if r.unit_id == "GAP").flags == many.flags


def test_advice_column_is_the_widest_and_choices_have_room(tmp_path):
    ws = openpyxl.load_workbook(summary_file(tmp_path / "s.xlsx"))[SHEET]
    width = {c: ws.column_dimensions[c].width for c in "ABCDEFGHIJKLM"}
    assert width["J"] == max(width.values()) and width["J"] >= 34  # 计算结果/建议
    assert width["L"] >= 10  # 审定结果: 不同意 by hand
    assert width["K"] < width["J"] and width["M"] < width["J"]
    assert width["C"] >= 20  # 单位: 市人力资源和社会保障局 on one line


def test_report_prints_the_advice_as_wide_as_the_sheet(tmp_path):
    filled = edited(
        summary_file(tmp_path / "s.xlsx"), tmp_path / "f.xlsx", lambda ws: decide(ws, ALL_DECIDED)
    )
    assert publish(filled, tmp_path / "out", key=KEY, round_id=ROUND_ID).ok
    ws = openpyxl.load_workbook(tmp_path / "out" / REPORT_FILE)["结果通报"]
    assert [c.value for c in ws[3]][-2:] == ["计算结果", "审定结果"]  # no empty opinions
    assert ws.column_dimensions["J"].width >= 34 and ws.column_dimensions["C"].width >= 20
