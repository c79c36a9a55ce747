"""The review and publish commands as a new office user meets them, and as hostile input.

A small round (three units, three reviewers) run through the command line in a fresh
folder: the commands out of order, the wrong folder given, reviewer files renamed,
re-signed, copied between, edited, from another round; every file accounted for,
every message from the catalogue, no traceback, the input folders left as they were.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ctrl_c_ready, fill_book

from xlsxflow.accepted import Ledger
from xlsxflow.cli import main
from xlsxflow.messages import render
from xlsxflow.review.spec import load_review
from xlsxflow.round import generate_round, open_round
from xlsxflow.samples import fill_review_workbook, review_inputs

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
REVIEW = """    review:
      reviewers: reviewers.csv
      assign:
        by_group:
          第一测评组: [U1, U2]
          第二测评组: [U2, U3]
"""
ROUND = """title: 评审质检轮
year: 2026
deadline: "2026-12-20"
roster: roster.csv
forms:
  - id: danwei
    title: 文明单位
    rubric: wenming-danwei
    slots: 1
{review}"""


def run(folder: Path, *args: str):
    """``xlsxflow ARGS`` in ``folder``, as a user types it (stdout and stderr together)."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


def make_round(folder: Path, review: str = REVIEW) -> dict[str, Path]:
    """The round generated in ``folder``; returns filled by U1 and U2 (U3 sends nothing)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "reviewers.csv").write_text(REVIEWERS, encoding="utf-8")
    (folder / "round.yaml").write_text(ROUND.format(review=review), encoding="utf-8")
    result = generate_round(folder / "round.yaml", folder / "workbooks", workdir=folder)
    ctx = open_round(workdir=folder)
    files = {g.unit_id: g.path for g in result.files}
    for unit in ("U1", "U2"):
        fill_book(files[unit], folder / "returns" / files[unit].name, ctx.round)
    return files


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A round ingested and its reviewer workbooks generated, through the command line."""
    folder = tmp_path_factory.mktemp("qa") / "round"
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    make_round(folder)
    assert run(folder, "ingest", "returns", "--workers", "0").exit_code in (0, 1)
    assert run(folder, "review", "generate").exit_code == 0
    return folder


@pytest.fixture
def work(generated, tmp_path):
    """A copy of the generated round to change freely."""
    folder = tmp_path / "round"
    shutil.copytree(generated, folder)
    return folder


def fill_reviews(folder: Path, out: Path, edit=None) -> dict[str, Path]:
    """Every reviewer workbook filled as reviewers do, into ``out``; ``edit(values, entry)``."""
    ctx = open_round(workdir=folder)
    review = load_review(ctx.round)
    ledger = Ledger.open(folder).snapshot(ctx.record.round_id)
    filled = {}
    for path in sorted((folder / "review-workbooks").glob("*.xlsx")):
        reviewer_id = path.name.split("_")[0]
        name = path.name.split("_")[1]

        def values(entry, layout, shown, name=name):
            import random

            typed = review_inputs(layout, shown, random.Random(1), name)
            if edit:
                edit(typed, entry)
            return typed

        filled[reviewer_id] = fill_review_workbook(
            path, out / path.name, ctx, review, ledger, values
        )
    return filled


def review_files(folder: Path, reviews: str, *extra: str) -> dict[str, dict]:
    """``review ingest REVIEWS`` run in ``folder``; its report's files by path."""
    import json

    result = run(
        folder, "review", "ingest", reviews, "--report", "r.json", "--workers", "0", *extra
    )
    assert "Traceback" not in result.output and result.exit_code in (0, 1), result.output
    report = json.loads((folder / "r.json").read_text(encoding="utf-8"))
    return {f["path"]: f for f in report["review_files"]["files"]}, result


def codes(record: dict) -> list[str]:
    return [i["code"] for i in record["issues"]]


def tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: its hash and modification time (ns)."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- out of order ----------------------------------------------------------------------


def test_review_commands_on_a_round_without_review_say_so(tmp_path):
    make_round(tmp_path, review="")
    assert run(tmp_path, "ingest", "returns", "--workers", "0").exit_code in (0, 1)
    for args in (["review", "generate"], ["review", "ingest", "returns"]):
        result = run(tmp_path, *args)
        assert result.exit_code == 2, result.output
        assert render("review-none") in result.output
        assert "internal error" not in result.output


def test_no_message_template_uses_a_field_make_issue_takes_for_the_place():
    """``file``, ``cell`` and ``line`` place an issue: a template asking for one crashes."""
    import string

    from xlsxflow.messages import CATALOGUE

    for code, message in CATALOGUE.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(message.text) if name}
        assert not fields & {"file", "cell", "line"}, code


def test_review_generate_before_any_ingest_says_to_ingest_first(tmp_path):
    make_round(tmp_path)
    result = run(tmp_path, "review", "generate")
    assert result.exit_code == 2
    round_id = open_round(workdir=tmp_path).record.round_id
    assert render("review-no-ingest", round_id=round_id) in result.output
    assert not (tmp_path / "review-workbooks").exists()


def test_review_ingest_of_a_missing_folder_names_the_reviews_folder(work):
    ledger = (work / "xlsxflow-rounds" / "accepted.sqlite3").read_bytes()
    result = run(work, "review", "ingest", "reviews", "--workers", "0")
    assert result.exit_code == 2
    assert render("reviews-missing", path="reviews") in result.output
    assert "报送文件夹" not in result.output  # the units' returns are another folder
    # refused before the units' returns are read again and recorded
    assert (work / "xlsxflow-rounds" / "accepted.sqlite3").read_bytes() == ledger


def test_review_ingest_of_an_empty_folder_says_no_reviewer_returned(work):
    (work / "reviews").mkdir()
    files, result = review_files(work, "reviews")
    assert files == {} and result.exit_code == 1
    assert render("reviews-empty", path="reviews", detail="（文件夹是空的）") in result.output
    assert "未交回评审表的评审人 not returned：R01 林晓文、R02 周建华、R03 许丽萍" in result.output


def test_review_ingest_of_the_units_returns_folder_says_which_folder_it_is(work):
    files, result = review_files(work, "returns")
    assert {f["status"] for f in files.values()} == {"rejected"}
    assert all(codes(f)[-1] == "identity-not-review" for f in files.values())
    assert render("reviews-are-unit-returns", path="returns", count=2) in result.output


def test_review_ingest_of_the_blank_reviewer_workbooks_says_they_are_not_filled(work):
    files, result = review_files(work, "review-workbooks")
    assert {f["status"] for f in files.values()} == {"accepted"}
    assert render("reviews-unfilled", count=3) in result.output


def test_a_reviewer_workbook_in_the_units_returns_folder_is_named_as_such(work):
    shutil.copy(next((work / "review-workbooks").glob("R01_*.xlsx")), work / "returns")
    result = run(work, "ingest", "returns", "--report", "u.json", "--workers", "0")
    import json

    report = json.loads((work / "u.json").read_text(encoding="utf-8"))
    record = next(f for f in report["files"] if f["path"].startswith("R01_"))
    assert record["status"] == "rejected" and codes(record) == ["identity-review-workbook"]
    assert result.exit_code == 1


# -- hostile reviewer returns --------------------------------------------------------------


def edit_book(src: Path, dst: Path, edit) -> Path:
    """A reviewer's file changed with openpyxl (which ignores sheet protection)."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    edit(wb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def test_a_reviewer_file_named_after_another_reviewer_is_flagged(work):
    filled = fill_reviews(work, work / "filled")
    (work / "reviews").mkdir()
    shutil.copy(filled["R01"], work / "reviews" / "R02_周建华_评审表.xlsx")
    files, _ = review_files(work, "reviews")
    record = files["R02_周建华_评审表.xlsx"]
    assert record["status"] == "accepted" and record["unit_id"] == "R01"
    issue = next(i for i in record["issues"] if i["code"] == "identity-file-name")
    assert issue["message"] == render("identity-file-name", named="R02 周建华", unit="R01 林晓文")


def test_hostile_reviewer_files_are_each_named_by_file_sheet_and_cell(work):
    """Edited, re-signed, copied between, formulas and odd text, containers, a cut file."""
    import email.message
    import zipfile

    filled = fill_reviews(work, work / "filled")
    reviews = work / "reviews"
    edit_book(
        filled["R03"],
        reviews / "R03_改自评分.xlsx",
        lambda wb: wb["U2-文明单位"].__setitem__("D6", 1),
    )

    def typed(wb):
        ws = wb["U1-文明单位"]
        ws["F6"] = "=6"
        ws["F7"] = "９分"
        ws["F8"] = "3.3分"

    edit_book(filled["R02"], reviews / "R02_周建华_评审表.xlsx", typed)

    def copied(wb):  # R01's sheet of U1 copied into R03's workbook (R03 does not review U1)
        import openpyxl

        source = openpyxl.load_workbook(filled["R01"])["U1-文明单位"]
        sheet = wb.create_sheet("U1-文明单位")
        for row in source.iter_rows():
            for cell in row:
                sheet[cell.coordinate] = cell.value

    edit_book(filled["R03"], work / "copied" / "R03_许丽萍_评审表.xlsx", copied)
    with zipfile.ZipFile(reviews / "第三组.zip", "w") as z:
        z.write(work / "copied" / "R03_许丽萍_评审表.xlsx", "第三组/R03_许丽萍_评审表.xlsx")
    message = email.message.EmailMessage()
    message["From"], message["Subject"] = "r01@example.org", "评审表"
    message.set_content("见附件")
    message.add_attachment(
        filled["R01"].read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=filled["R01"].name,
    )
    (reviews / "林晓文.eml").write_bytes(bytes(message))
    data = filled["R02"].read_bytes()
    (reviews / "R02_截断.xlsx").write_bytes(data[: len(data) // 2])
    files, result = review_files(work, "reviews")

    assert set(files) == {
        "R03_改自评分.xlsx",
        "R02_周建华_评审表.xlsx",
        "第三组.zip",
        "第三组.zip/第三组/R03_许丽萍_评审表.xlsx",
        "林晓文.eml",
        "林晓文.eml/R01_林晓文_评审表.xlsx",
        "R02_截断.xlsx",
    }
    edited = files["R03_改自评分.xlsx"]
    assert edited["status"] == "rejected" and edited["unit_id"] == "R03"
    tamper = next(i for i in edited["issues"] if i["code"] == "tamper-locked-changed")
    assert (tamper["sheet"], tamper["cell"]) == ("U2-文明单位", "D6")
    typed_issues = {
        (i["code"], i["sheet"], i["cell"]) for i in files["R02_周建华_评审表.xlsx"]["issues"]
    }
    assert {
        ("value-formula-in-input", "U1-文明单位", "F6"),
        ("value-normalised", "U1-文明单位", "F7"),
        ("value-out-of-range", "U1-文明单位", "F7"),  # ９分 is 9, over the item's 5
        ("value-step", "U1-文明单位", "F8"),
    } <= typed_issues
    inner = files["第三组.zip/第三组/R03_许丽萍_评审表.xlsx"]
    assert inner["status"] == "accepted"
    assert "tamper-extra-sheet" in codes(inner)  # the copied sheet is ignored, not counted
    assert files["林晓文.eml/R01_林晓文_评审表.xlsx"]["status"] == "accepted"
    cut = files["R02_截断.xlsx"]
    assert cut["status"] == "rejected" and "file-corrupt" in codes(cut)
    assert cut["unit_id"] == "R02"  # tied to the reviewer by its name
    assert "Traceback" not in result.output


def test_a_reviewer_workbook_signed_with_another_key_is_refused(work, tmp_path):
    from dataclasses import replace

    from xlsxflow.review.workbook import write_reviewer_workbooks

    ctx = open_round(workdir=work)  # the commands refuse another key: sign with it directly
    forged = replace(ctx, key=bytes(range(32)))
    accepted = Ledger.open(work).accepted(ctx.record.round_id)
    write_reviewer_workbooks(forged, load_review(ctx.round), accepted, work / "other")
    (work / "reviews").mkdir()
    shutil.copy(next((work / "other").glob("R01_*")), work / "reviews")
    files, _ = review_files(work, "reviews")
    (record,) = files.values()
    assert record["status"] == "rejected" and codes(record)[-1] == "identity-signature-invalid"
    assert record["unit_id"] == "R01"


def test_a_reviewer_workbook_of_another_round_recorded_here_says_so(work):
    old = fill_reviews(work, work / "filled")
    round_ = generate_round(work / "round.yaml", work / "workbooks2", workdir=work, new_round=True)
    ctx = open_round(workdir=work)
    for g in round_.files:
        if g.unit_id in ("U1", "U2"):
            fill_book(g.path, work / "returns2" / g.path.name, ctx.round)
    assert run(work, "ingest", "returns2", "--workers", "0").exit_code in (0, 1)
    (work / "reviews").mkdir()
    shutil.copy(old["R01"], work / "reviews")
    files, _ = review_files(work, "reviews")
    (record,) = files.values()
    issue = record["issues"][-1]
    assert record["status"] == "rejected" and issue["code"] == "review-recorded-round"
    assert "xlsxflow ingest" not in issue["message"]  # no command that cannot read it
    assert ctx.record.round_id in issue["message"]


def test_the_summary_lists_every_reviewer_file_and_its_problems(work):
    """Without --report the summary is all the office has: reviewer files on 文件, issues on 问题."""
    import openpyxl

    filled = fill_reviews(work, work / "filled")
    reviews = work / "reviews"
    edit_book(
        filled["R02"],
        reviews / filled["R02"].name,
        lambda wb: wb["U1-文明单位"].__setitem__("F6", 99),
    )
    edit_book(
        filled["R03"], reviews / "R03_改.xlsx", lambda wb: wb["U2-文明单位"].__setitem__("D6", 1)
    )
    result = run(work, "review", "ingest", "reviews", "--workers", "0")
    assert result.exit_code == 1
    wb = openpyxl.load_workbook(work / "summary.xlsx")
    issues = [[c.value for c in row] for row in wb["问题"].iter_rows()]
    found = {(r[1], r[3], r[4], r[5], r[7]) for r in issues}
    assert (
        "R02",
        f"reviews/{filled['R02'].name}",
        "U1-文明单位",
        "F6",
        "value-out-of-range",
    ) in found
    assert ("R03", "reviews/R03_改.xlsx", "U2-文明单位", "D6", "tamper-locked-changed") in found
    files = {row[0].value: [c.value for c in row] for row in wb["文件"].iter_rows()}
    assert files["reviews/R03_改.xlsx"][1] == "拒收"
    assert files[f"reviews/{filled['R02'].name}"][2] == "已接受，但有 1 处错误"
    # and the console names each file that needs a look
    assert f"reviews/{filled['R02'].name}：已接受，但有 1 处错误" in result.output
    assert (
        "reviews/R03_改.xlsx："
        + render("tamper-locked-changed", expected="5", found="1").split("：")[0]
        in result.output
    )


def test_the_console_counts_say_what_they_count(work):
    """Reviews counted per reviewer × unit sheet, unit sheets apart; no English mid-line."""
    filled = fill_reviews(work, work / "filled")
    (work / "reviews").mkdir()
    for reviewer in ("R01", "R02"):  # R03 does not return
        shutil.copy(filled[reviewer], work / "reviews")
    result = run(work, "review", "ingest", "reviews", "--workers", "0")
    lines = result.output.splitlines()
    assert lines[0].startswith("单位报送文件 units' files：收到 2 个")
    assert lines[1].startswith("评审表文件 reviewer files：收到 2 个")
    # U1 by R01 and R02, U2 by R01, R02 and R03: 5 reviews of 2 unit sheets
    assert lines[2] == (
        "评审 reviews：应评 5 份（3 位评审人评 2 张单位表）— 已计入 4，过期 0，有错误 0，未交回 1"
    )
    assert "  未交回评审表的评审人 not returned：R03 许丽萍" in lines
    # U3 sent nothing: no accepted return, so no sheet (not "未报送" for a rejected one)
    assert (
        "  没有已接受的报送，没有评审表 no accepted return, no review sheet：U3 第三单位（文明单位）"
        in lines
    )


def test_publish_names_each_undecided_row_once(work):
    filled = fill_reviews(work, work / "filled")
    (work / "reviews").mkdir()
    for path in filled.values():
        shutil.copy(path, work / "reviews")
    assert run(work, "review", "ingest", "reviews", "--workers", "0").exit_code in (0, 1)
    result = run(work, "publish", "summary.xlsx")
    assert result.exit_code == 1
    assert result.output.count("第 1 号（文明单位 · 第一单位") == 1
    assert result.output.count("第 2 号（文明单位 · 第二单位") == 1
    assert "未审定 2 个" in result.output and "未发布任何文件" in result.output


def test_command_lists_show_each_command_whole():
    """The first line of every command's help fits its group's list (click cuts it with …)."""
    from test_cli import all_commands

    for path, cmd in [((), main), *all_commands(main)]:
        if not hasattr(cmd, "commands"):
            continue
        result = CliRunner().invoke(main, [*path, "--help"], env={"COLUMNS": "80"})
        listed = result.output.split("命令 Commands:")[1]
        assert "…" not in listed and "..." not in listed, (path, listed)


def test_review_ingest_leaves_its_inputs_alone_and_ctrl_c_leaves_whole_outputs(work):
    """Input folders byte- and time-identical after a run and after Ctrl-C at any moment;
    the summary is the old one or a complete new one, never a part; no traceback."""
    import signal
    import subprocess
    import sys
    import time
    import zipfile

    filled = fill_reviews(work, work / "filled")
    reviews = work / "reviews"
    reviews.mkdir()
    for path in filled.values():
        shutil.copy(path, reviews)
    before = {"returns": tree_state(work / "returns"), "reviews": tree_state(reviews)}
    assert run(work, "review", "ingest", "reviews", "--workers", "0").exit_code in (0, 1)
    assert {"returns": tree_state(work / "returns"), "reviews": tree_state(reviews)} == before
    old = (work / "summary.xlsx").read_bytes()
    command = [
        sys.executable,
        "-m",
        "xlsxflow",
        "review",
        "ingest",
        "reviews",
        "--report",
        "r.json",
    ]
    for delay in (0.8, 1.6, 2.4, 3.2):
        proc = subprocess.Popen(
            command,
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=ctrl_c_ready,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert b"Traceback" not in out + err, err.decode()
        # 130: stopped by xlsxflow (已中断); 1: by click before the command ran (已中止);
        # -SIGINT: still starting Python, before anything was read or written
        assert proc.returncode in (0, 1, 130, -signal.SIGINT), err.decode()
        summary = (work / "summary.xlsx").read_bytes()
        if summary != old:  # finished before the signal: a whole workbook
            with zipfile.ZipFile(work / "summary.xlsx") as z:
                assert z.testzip() is None
        assert not [p.name for p in work.iterdir() if p.name.endswith(".tmp")]
        assert {"returns": tree_state(work / "returns"), "reviews": tree_state(reviews)} == before


def test_a_key_file_that_is_not_text_is_named_in_chinese(tmp_path):
    key = tmp_path / "other.key"
    key.write_bytes(bytes(range(200, 232)))  # 32 raw bytes, as `head -c 32 /dev/urandom`
    result = CliRunner().invoke(main, ["key", "--key", str(key)])
    assert result.exit_code == 2
    assert "内容不是有效的密钥（应为十六进制文本）" in result.output
    assert "codec" not in result.output


def test_review_generate_never_removes_what_it_did_not_write(work):
    """--out . would have replaced the whole round folder; other files in the folder stay."""
    result = run(work, "review", "generate", "--out", ".")
    assert result.exit_code == 2
    assert render("review-out-is-workdir", out=".") in result.output
    assert (work / "xlsxflow-round.json").is_file() and (work / "returns").is_dir()
    books = work / "review-workbooks"
    (books / "R01_林晓文_评审表（已填）.xlsx").write_bytes(b"a reviewer's return saved here")
    (books / "说明.txt").write_text("发送记录", encoding="utf-8")
    old = (books / "R02_周建华_评审表.xlsx").read_bytes()
    assert run(work, "review", "generate").exit_code == 0
    assert (
        books / "R01_林晓文_评审表（已填）.xlsx"
    ).read_bytes() == b"a reviewer's return saved here"
    assert (books / "说明.txt").read_text(encoding="utf-8") == "发送记录"
    assert (books / "R02_周建华_评审表.xlsx").read_bytes() != old  # the workbooks: new


def test_a_sheet_copied_over_ones_own_from_another_reviewer_is_tampering(work):
    """R02 replaces its U1 sheet by R01's (scores and all): the locked reviewer cells tell."""
    import openpyxl

    filled = fill_reviews(work, work / "filled")
    source = openpyxl.load_workbook(filled["R01"])["U1-文明单位"]

    def copied(wb):
        index = wb.sheetnames.index("U1-文明单位")
        del wb["U1-文明单位"]
        sheet = wb.create_sheet("U1-文明单位", index)
        for row in source.iter_rows():
            for cell in row:
                sheet[cell.coordinate] = cell.value

    edit_book(filled["R02"], work / "reviews" / filled["R02"].name, copied)
    files, _ = review_files(work, "reviews")
    (record,) = files.values()
    assert record["status"] == "rejected" and record["unit_id"] == "R02"
    tamper = [i for i in record["issues"] if i["code"] == "tamper-locked-changed"]
    assert tamper and tamper[0]["sheet"] == "U1-文明单位"
    assert "林晓文" in tamper[0]["message"] or "R01" in tamper[0]["message"]


@pytest.mark.parametrize("target", ["returns/s.xlsx", "review-workbooks", "."])
def test_review_ingest_writes_nothing_into_an_input_folder_or_over_a_folder(work, target):
    (work / "reviews").mkdir()
    before = tree_state(work / "returns")
    result = run(work, "review", "ingest", "reviews", "--out", target, "--workers", "0")
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert tree_state(work / "returns") == before
    assert not (work / "returns" / "s.xlsx").exists()


def test_publish_twice_says_when_it_was_published_as_people_read_dates(work):
    import re

    from xlsxflow.approval import fill_sample_decisions

    filled = fill_reviews(work, work / "filled")
    (work / "reviews").mkdir()
    for path in filled.values():
        shutil.copy(path, work / "reviews")
    assert run(work, "review", "ingest", "reviews", "--workers", "0").exit_code in (0, 1)
    fill_sample_decisions(work / "summary.xlsx", work / "decided.xlsx")
    before = (work / "decided.xlsx").read_bytes()
    first = run(work, "publish", "decided.xlsx", "--out", "pub")
    assert first.exit_code == 0, first.output
    again = run(work, "publish", "decided.xlsx", "--out", "pub")
    assert again.exit_code == 1 and "publish-exists" in again.output
    assert re.search(r"（\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d 已发布）", again.output), again.output
    assert (work / "decided.xlsx").read_bytes() == before  # the summary is only read


def test_the_inflated_total_says_what_it_sums():
    """评审汇总 shows totals with bonus; the 自评虚高 total leaves bonus and 不适用 out and
    must say so, or 自评分 97.5 beside “合计自评 87.5” reads as a mistake."""
    text = render("outcome-gap-total", self="87.5", review="81.5", difference="6", limit="5")
    assert "不含加分和不适用项" in text


def test_publish_of_the_summary_before_review_approves_nothing_from_self_scores(work):
    """The fixture's `ingest` summary already has a 审定 sheet; 同意 everywhere is refused."""
    import openpyxl

    wb = openpyxl.load_workbook(work / "summary.xlsx")
    ws = wb["审定"]
    header = next(r for r in ws.iter_rows(max_row=6) if any(c.value == "审定结果" for c in r))
    column = next(c.column_letter for c in header if c.value == "审定结果")
    for row in range(header[0].row + 1, ws.max_row + 1):
        if ws[f"A{row}"].value is not None:
            ws[f"{column}{row}"] = "同意"
    wb.save(work / "all-yes.xlsx")
    result = run(work, "publish", "all-yes.xlsx", "--out", "pub")
    assert result.exit_code == 1
    assert result.output.count("[publish-unreviewed]") == 2  # U1 and U2, not yet reviewed
    assert "未发布任何文件" in result.output and not (work / "pub").exists()


def test_an_unknown_reviewer_is_answered_with_the_reviewers_in_file_order(work):
    result = run(work, "review", "generate", "--reviewer", "R09")
    assert result.exit_code == 2
    assert render("review-unknown-reviewer-arg", id="R09", known="R01、R02、R03") in result.output


def test_a_zip_with_a_nameless_member_is_accounted_for_not_a_crash(work):
    """A hand-made archive whose member has an empty name (zipfile's is_dir() fails on it)."""
    import io
    import zipfile

    filled = fill_reviews(work, work / "filled")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo(""), b"nameless")
        z.write(filled["R01"], filled["R01"].name)
    (work / "reviews").mkdir()
    (work / "reviews" / "评审表.zip").write_bytes(buffer.getvalue())
    files, result = review_files(work, "reviews")
    assert "internal error" not in result.output
    assert files[f"评审表.zip/{filled['R01'].name}"]["status"] == "accepted"
    nameless = [
        p for p in files if p.startswith("评审表.zip/") and p != f"评审表.zip/{filled['R01'].name}"
    ]
    assert nameless and all(files[p]["issues"] for p in nameless)


def test_after_a_resubmission_the_reviewer_rescores_only_that_unit(work):
    """A unit resubmits after the review: its reviews are stale. The reviewer's regenerated
    workbook needs only that unit's sheet filled; the earlier file's other sheets still count."""
    import json
    import time

    import openpyxl

    fill_reviews(work, work / "reviews")
    ctx = open_round(workdir=work)
    source = next((work / "returns").glob("U1_*.xlsx"))
    layout = ctx.round.book(ctx.round.slots_of("U1")).sheets[0]
    score = next(i for i in layout.inputs if i.kind == "score")
    wb = openpyxl.load_workbook(source)
    wb[layout.sheet_name][score.ref] = wb[layout.sheet_name][score.ref].value - 1
    corrected = source.with_name("U1_更正.xlsx")
    wb.save(corrected)
    later = time.time() + 60
    os.utime(corrected, (later, later))
    _, result = review_files(work, "reviews")
    assert "过期" in result.output and "只需在新评审表中重评该单位" in result.output

    assert run(work, "review", "generate", "--reviewer", "R01").exit_code == 0
    review = load_review(ctx.round)
    ledger = Ledger.open(work).snapshot(ctx.record.round_id)
    book = next((work / "review-workbooks").glob("R01_*.xlsx"))

    def only_u1(entry, layout, shown):
        import random

        if entry.unit_id != "U1":
            return {}  # the other units: left blank, already reviewed
        return review_inputs(layout, shown, random.Random(2), "林晓文")

    again = fill_review_workbook(
        book, work / "reviews" / "second" / book.name, ctx, review, ledger, only_u1
    )
    later += 60
    os.utime(again, (later, later))
    files, result = review_files(work, "reviews")
    older = files[next(p for p in files if p.startswith("R01_"))]
    assert older["status"] == "superseded" and "review-sheets-carried" in codes(older)
    report = json.loads((work / "r.json").read_text(encoding="utf-8"))
    mine = {
        r["unit_id"]: r["state"] for r in report["review"]["progress"] if r["reviewer_id"] == "R01"
    }
    assert mine == {"U1": "counted", "U2": "counted"}, mine


def test_review_commands_refuse_a_key_other_than_the_rounds(work, tmp_path):
    """Workbooks signed with another key would all be refused when they come back."""
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n", encoding="ascii")
    for args in (["review", "generate"], ["review", "ingest", "review-workbooks"]):
        result = run(work, *args, "--key", str(other))
        assert result.exit_code == 2 and "review-other-key" in result.output, result.output
