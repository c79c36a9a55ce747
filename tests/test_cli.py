"""The command line: every command has help; the main job works end to end; exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROSTER, fill

from xlsxflow.cli import main
from xlsxflow.clitext import CLICK_ZH, HELP_WIDTH, display_width
from xlsxflow.messages import render


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in all_commands(main)], ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    cmd = dict(all_commands(main))[path]
    assert cmd.help and len(cmd.help) > 20, f"{' '.join(path)} needs a real docstring"


def _first_is_chinese(text: str) -> bool:
    first = next(c for c in text if not c.isspace() and c != "\b")
    return display_width(first) == 2


@pytest.mark.parametrize("path", [p for p, _ in all_commands(main)], ids=" ".join)
@pytest.mark.parametrize("columns", [80, 200])
def test_every_help_reads_chinese_first_and_fits_80_columns(path, columns):
    cmd = dict(all_commands(main))[path]
    assert _first_is_chinese(cmd.help), f"{' '.join(path)}: help starts in English"
    for param in cmd.params:
        if isinstance(param, click.Option) and param.help:
            assert _first_is_chinese(param.help), f"{' '.join(path)} {param.opts}: English first"
    result = CliRunner().invoke(main, [*path, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith(CLICK_ZH["Usage:"])
    too_wide = [line for line in lines if display_width(line) > HELP_WIDTH]
    assert not too_wide, f"{' '.join(path)}: lines wider than {HELP_WIDTH} columns: {too_wide}"
    bad_starts = [x for x in lines if x.strip() and x.strip()[0] in "，。、；：？！）》」”"]
    assert not bad_starts, f"{' '.join(path)}: a line starts with closing punctuation"
    assert CLICK_ZH["Show this message and exit."] in result.output
    assert CLICK_ZH["Options"] + ":" in result.output
    assert "Show this message" not in result.output
    assert not any(line.startswith(("Usage:", "Options:", "Commands:")) for line in lines)


def test_bare_command_prints_help_and_exits_0():
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert result.output.startswith(CLICK_ZH["Usage:"])
    assert CLICK_ZH["Commands"] + ":" in result.output and "ingest" in result.output


def test_help_joins_chinese_lines_without_stray_spaces():
    result = CliRunner().invoke(main, ["send", "--help"])
    text = "".join(line.strip() for line in result.output.splitlines())
    assert "发送记录（xlsxflow-send-log.jsonl）" in text  # a line break in the docstring
    assert "接着发；--resend" in text


@pytest.mark.parametrize(
    "args, english, chinese",
    [
        (["ingest", "--nope"], "No such option", CLICK_ZH["No such option {name!r}."][:4]),
        (["round", "check", "--nope"], "No such option", "没有选项 '--nope'"),
        (["ingest"], "Missing argument", CLICK_ZH["Missing argument"] + " 'RETURNS_DIR'"),
        (["feedback", "no-such-folder"], "does not exist", "文件夹 'no-such-folder' 不存在"),
        (["ingest", "r", "--workers", "x"], "Invalid value", "'--workers' 的值无效"),
        (
            ["key", "extra"],
            "unexpected extra argument",
            CLICK_ZH["Got unexpected extra argument ({args})"].format(args="extra"),
        ),
        (["roun"], "No such command", "没有命令 'roun'"),
        (["init", "--round"], "requires an argument", "选项 '--round' 后面需要一个值"),
    ],
)
def test_clicks_own_errors_are_in_chinese(args, english, chinese):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert english not in result.output
    assert chinese in result.output
    assert CLICK_ZH["Error: {message}"].split("{")[0] in result.output
    assert "Usage:" not in result.output.replace(CLICK_ZH["Usage:"], "")
    assert "Try '" not in result.output


def test_rubric_check_and_list():
    runner = CliRunner()
    result = runner.invoke(main, ["rubric", "check", "wenming-keshi"])
    assert result.exit_code == 0 and "21 项" in result.output and "105" in result.output
    result = runner.invoke(main, ["rubric", "list"])
    assert result.exit_code == 0 and "wuxing-dangzhibu" in result.output
    assert "17 栏申报表" in result.output  # shenbao-biaobing: an application form
    assert "sanchuang" in result.output and "dangzhibu" in result.output  # the shipped rounds


def test_rubric_check_reports_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: t\nversion: '1'\ntotal: 5\nsections: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rubric", "check", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:5: [rubric-schema]" in result.output


def test_roster_check_errors_exit_2(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("单位编号,单位名称\nA,甲\nA,乙\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["roster", "check", str(bad)])
    assert result.exit_code == 2 and "r.csv:3: [roster-duplicate-id]" in result.output
    assert "Traceback" not in result.output


def test_generate_then_ingest_with_no_other_argument(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "generate",
            "wuxing-dangzhibu",
            "--roster",
            str(ROSTER),
            "--out",
            "wb",
            "--deadline",
            "2026-12-20",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "xlsxflow-round.json").exists()
    files = sorted((tmp_path / "wb").glob("*.xlsx"))
    assert len(files) == 30
    for path in files:  # every unit returns full marks: nothing to look at → exit 0
        fill(path, tmp_path / "returns" / path.name, "wuxing-dangzhibu")
    result = runner.invoke(main, ["ingest", "returns", "--report", "report.json"])
    assert result.exit_code == 0, result.output
    assert "summary" in result.output and (tmp_path / "summary.xlsx").exists()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["accepted"] == 30 and report["missing"] == []
    first = report["results"][0]
    assert {
        "unit_id",
        "rubric",
        "subtotal",
        "bonus",
        "total",
        "band",
        "eligible",
        "reasons",
        "rank",
    } <= set(first)
    assert first["band"] == "五星级" and first["rank"] == 1
    f = report["files"][0]
    assert {"path", "sha256", "status", "unit_id", "issues"} <= set(f)
    # One unit's file removed → missing → exit 1.
    files_in = sorted((tmp_path / "returns").glob("*.xlsx"))
    files_in[0].unlink()
    result = runner.invoke(main, ["ingest", "returns"])
    assert result.exit_code == 1


def test_ingest_without_round_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "returns").mkdir()
    result = CliRunner().invoke(main, ["ingest", "returns"])
    assert result.exit_code == 2 and "[round-missing]" in result.output


def test_ingest_refuses_to_write_into_returns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "returns").mkdir()
    result = CliRunner().invoke(main, ["ingest", "returns", "--out", "returns/summary.xlsx"])
    assert result.exit_code == 2 and "只读" in result.output


def test_demo_runs_the_main_job(tmp_path):
    """The README's quick start: ``xlsxflow demo --all`` runs every shipped round."""
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "demo"), "--all"])
    assert result.exit_code == 0, result.output
    for i, suffix in enumerate(("", "-dangzhibu", "-xingji"), 1):
        assert f"══ 示例 {i}/3" in result.output
        assert (tmp_path / f"demo{suffix}" / "summary.xlsx").exists()
        assert (tmp_path / f"demo{suffix}" / "发布" / "公示名单.xlsx").exists()
    assert (tmp_path / "demo-dangzhibu" / "发布-先锋岗" / "公示名单.xlsx").exists()
    assert (tmp_path / "demo" / "summary.xlsx").exists()
    report = json.loads((tmp_path / "demo" / "report.json").read_text(encoding="utf-8"))
    statuses = {f["status"] for f in report["files"]}
    assert statuses == {"accepted", "rejected", "duplicate", "superseded", "skipped"}
    assert len(report["missing"]) >= 2
    # The seed's round: every planted round mistake is found, on its sheet.
    found = {i["code"]: i for f in report["files"] for i in f["issues"]}
    for code in (
        "publicity-too-short",
        "quota-over",
        "quota-extra-sheet",
        "nominee-twice",
        "value-choose-min",
        "identity-signature-invalid",
        "tamper-locked-changed",
    ):
        assert code in found and found[code]["sheet"], code
    forms = {r["form"] for r in report["results"]}
    assert forms == {"danwei", "chuangkou", "keshi", "biaobing"}
    assert {q["group"] for q in report["quotas"]} == {"文明单位", "文明窗口/文明科室", "文明标兵"}
    _the_demo_reviews_decides_and_publishes(tmp_path / "demo", result.output, report)


def _published_decisions(folder) -> dict:
    """The demo's 发布 folder holds the two lists and decisions.json: the decisions."""
    published = folder / "发布"
    assert {p.name for p in published.iterdir()} == {
        "公示名单.xlsx",
        "结果通报.xlsx",
        "decisions.json",
    }
    return json.loads((published / "decisions.json").read_text(encoding="utf-8"))


def _the_demo_reviews_decides_and_publishes(folder, output: str, report: dict) -> None:
    """The second half: three reviewers, one over a maximum, one not returning, one unit
    resubmitting after the review (stale), then the 审定 and the publication."""
    for step in ("4. 评审表", "5. 评审人交回", "6. 核验评审", "7. 审定", "8. 发布"):
        assert step in output, step
    files = report["review_files"]["files"]
    assert {f["unit_id"] for f in files if f["status"] == "accepted"} == {"R01", "R02"}
    over = [i for f in files for i in f["issues"] if i["code"] == "value-out-of-range"]
    assert over and over[0]["sheet"] and over[0]["cell"].startswith("F")
    states = {}
    for row in report["review"]["progress"]:
        states.setdefault(row["state"], set()).add(row["reviewer_id"])
    assert states["not_returned"] == {"R03"} and states["stale"] == {"R01", "R02"}
    assert "errors" in states
    wb = openpyxl.load_workbook(folder / "summary.xlsx")
    problems = [r for r in wb["问题"].iter_rows(values_only=True) if r[-1] == "value-out-of-range"]
    assert any(str(r[3]).startswith("review-returns/R02_") for r in problems)
    listed = [r[0] for r in wb["文件"].iter_rows(values_only=True)]
    assert sum(str(p).startswith("review-returns/") for p in listed) == 2
    decisions = _published_decisions(folder)
    for c in decisions["candidates"]:
        if c["form_id"] == "danwei" and c["approved"]:
            assert c["scores"]["review"], c  # nothing published from self-scores alone


def test_demo_of_the_star_levels_round_with_its_review(tmp_path):
    """xingji (seed 002): the 社区 answer their conditions, the 街道考核组 and the
    县验收组 confirm them (one 不属实, one rate measured at 96 for a claimed 100), the
    summary shows claimed and confirmed levels, and only the confirmed 五星级 goes to 公示."""
    folder = tmp_path / "x"
    result = CliRunner().invoke(main, ["demo", str(folder), "--rubric", "xingji"])
    assert result.exit_code == 0, result.output
    out = result.output
    for step in (
        "4. 考核评定",
        "5. 评审人逐条核实",
        "6. 核验评审",
        "7. 汇总",
        "8. 审定",
        "9. 发布",
    ):
        assert step in out, step
    assert "评审表 reviewer workbooks：3 份，共 23 张单位表" in out  # 街道 9 + 县 5 … + 9
    assert "XB01     SQ04 北山社区党支部：“已成功创建县级学习型党组织”核实为不属实" in out
    assert "JD01     SQ09 和平社区党支部：调处成功率实测 96（本单位填报 100）" in out
    lines = out.splitlines()
    sq04 = next(
        i for i, line in enumerate(lines) if "SQ04   北山社区党支部：申报四星级，按填报" in line
    )
    assert lines[sq04].endswith("按填报 四星级 → 评审认定 三星级（由街道评定，不公示）")
    assert "评审认定不属实：已成功创建县级学习型党组织（评审人：金国庆（XB01））" in lines[sq04 + 1]
    assert lines[sq04 + 2].strip() == "距四星级还差：已成功创建县级学习型党组织（现为否）"
    sq09 = next(
        i for i, line in enumerate(lines) if "SQ09   和平社区党支部：申报五星级，按填报" in line
    )
    assert lines[sq09].endswith("按填报 五星级 → 评审认定 三星级（由街道评定，不公示）")
    assert "评审实测为 96%：调处成功率 100%（评审人：沈建明（JD01））" in lines[sq09 + 1]
    assert lines[sq09 + 2].strip() == "距四星级还差：调处成功率 100%（现为 96%）"
    assert "评审认定与填报一致 as answered：SQ01 五星级、SQ02 三星级" in out
    assert "本轮目标（按评审认定）其中20%以上达到五星级标准：五星级及以上 1/10 个" in out
    assert "9. 发布 publish：同意 9 个，其中须公示 1 个（东湖社区党总支五星级）" in out
    # the files: the reviewers' workbooks and returns, the round's own copy with its review
    assert {p.name[:4] for p in (folder / "review-workbooks").iterdir()} == {"JD01", "JD02", "XB01"}
    assert len(list((folder / "review-returns").iterdir())) == 3
    assert (folder / "reviewers-shequ.csv").is_file()
    assert "\n    review:  " in (folder / "xingji.yaml").read_text(encoding="utf-8")  # live
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    by_unit = {c["unit_id"]: c for c in report["review"]["candidates"]}
    assert (by_unit["SQ04"]["claimed"]["level"], by_unit["SQ04"]["stars"]["level"]) == (
        "四星级",
        "三星级",
    )
    wb = openpyxl.load_workbook(folder / "summary.xlsx")
    stars = [list(r) for r in wb["评星晋级星级"].iter_rows(values_only=True)]
    head = stars[0]
    sq09_row = next(r for r in stars if r[0] == "SQ09")
    assert (sq09_row[head.index("评定等级")], sq09_row[head.index("评审认定等级")]) == (
        "五星级",
        "三星级",
    )
    assert any(r[0] == "本轮目标（按评审认定的星级）" for r in stars)
    decisions = _published_decisions(folder)
    levels = {c["unit_id"]: c["level"] for c in decisions["candidates"]}
    assert (levels["SQ01"], levels["SQ04"], levels["SQ09"]) == ("五星级", "三星级", "三星级")


def test_demo_of_the_party_branch_round(tmp_path):
    """红旗党支部 (top three get the flag) and 党员先锋岗 (≤ 30% of members) in one round."""
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "d"), "--rubric", "dangzhibu"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "d" / "report.json").read_text(encoding="utf-8"))
    reviewed = report["review"]["candidates"]  # the flag goes by the reviewers' 实评分
    flags = [c for c in reviewed if c["form"] == "hongqi" and c["award"]]
    assert 3 <= len(flags) <= 4 and all(r["rank"] <= 3 for r in flags)  # ties at the cut stay
    wb = openpyxl.load_workbook(tmp_path / "d" / "summary.xlsx")
    listed = [r for r in wb["红旗党支部公示"].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert len(listed) == len(flags)
    assert "流动红旗" in wb["红旗党支部公示"]["A1"].value
    # the demo ingests with its register: the summary shows each branch's record
    history = {r[0]: r for r in wb["历史"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert "降级：2025年为三星级" in history["ZB05"][5]
    assert "2026年上半年" in history["ZB05"][3]
    _the_demo_counts_the_ballots(tmp_path / "d", result.output)
    _the_demo_publishes_titles_and_revokes_a_flag(tmp_path / "d", result.output)


def _the_demo_publishes_titles_and_revokes_a_flag(folder, output: str) -> None:
    """Steps 8, 12–14: the 年度称号 公示 of both publications; a violation revokes a flag."""
    for published, names in (
        ("发布", {"机关第二党支部", "稽查局党支部"}),
        ("发布-先锋岗", {"罗文博"}),
    ):
        wb = openpyxl.load_workbook(folder / published / "年度称号公示.xlsx")
        listed = {
            r[1] for ws in wb for r in ws.iter_rows(values_only=True) if isinstance(r[0], int)
        }
        assert listed == names, published
    assert "共 2 个半年、4 个季度" in output
    step = output.split("13. 违纪违规")[1].split("14. 跨轮次规则")[0]
    assert "登记 violation add：已登记违纪违规记录 #1：雷海涛（ZB05-03" in step
    assert (
        "应撤销 to revoke：稽查局党支部（ZB05）在2026年上半年获得的“红旗党支部（流动红旗）”" in step
    )
    assert step.count("已撤销 revoked：") == 2 and "原记录保留" in step
    assert "撤销后 after：稽查局党支部（ZB05） 连续 1 次获得" in step


def _the_demo_counts_the_ballots(folder, output: str) -> None:
    """Steps 9–12: the 先锋岗's 民主测评 over the nine branches' 88 members, with planted
    trouble, counted, decided and published on its own."""
    for step in ("9. 民主测评", "10. 测评票交回", "11. 计票", "12. 审定"):
        assert step in output, step
    assert "应收 88 张" in output
    assert "重复票号 duplicate serials 1" in output and "伪造或改动 forged 1" in output
    assert "参加人数不足 no quorum" in output and "结果不显示" in output
    report = json.loads((folder / "测评报告.json").read_text(encoding="utf-8"))
    candidates = report["evaluations"]["candidates"]
    assert len(candidates) == 88
    recommended = [c for c in candidates if c["recommended"]]
    assert recommended and all(c["within_cap"] for c in recommended)
    assert {c["status"] for c in candidates} >= {"valid", "no_quorum", "hidden"}
    wb = openpyxl.load_workbook(folder / "测评汇总.xlsx")
    assert {"参加情况", "审定"} <= set(wb.sheetnames)
    posted = openpyxl.load_workbook(folder / "发布-先锋岗" / "公示名单.xlsx").worksheets[0]
    names = {str(v) for row in posted.iter_rows(values_only=True) for v in row if v}
    assert {c["name"] for c in recommended} <= names


def test_odd_arguments_are_clear_errors_not_crashes(tmp_path, monkeypatch):
    """Found by trying: each of these ended in an internal error (exit 3) before."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    (tmp_path / "empty").mkdir()
    args = ["generate", "wenming-danwei", "--roster", str(ROSTER), "--out", "wb"]
    result = runner.invoke(main, [*args, "--deadline", "tomorrow"])
    assert result.exit_code == 2 and "不是日期" in result.output
    assert not (tmp_path / "wb").exists()
    assert runner.invoke(main, [*args, "--deadline", "2026年12月20日"]).exit_code == 0
    assert json.loads((tmp_path / "xlsxflow-round.json").read_text())["deadline"] == "2026-12-20"

    result = runner.invoke(main, ["sample-returns", "empty", "--out", "x"])
    assert result.exit_code == 2
    assert render("samples-no-workbooks", folder="empty") in result.output
    before = sorted(p.stat().st_mtime_ns for p in (tmp_path / "wb").iterdir())
    result = runner.invoke(main, ["sample-returns", "wb", "--out", "wb"])
    assert result.exit_code == 2 and "[samples-out-is-workbooks]" in result.output
    assert before == sorted(p.stat().st_mtime_ns for p in (tmp_path / "wb").iterdir())

    for out in (".", "wb"):
        result = runner.invoke(main, ["ingest", "empty", "--out", out])
        assert result.exit_code == 2 and "是文件夹" in result.output, result.output


def test_ctrl_c_while_starting_ends_without_a_traceback():
    """Ctrl-C in the first moments (while Python imports) prints no traceback."""
    code = (
        "import builtins\n"
        "real = builtins.__import__\n"
        "def slow(name, *a, **k):\n"
        "    if name == 'cli' or name.endswith('.cli'):\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = slow\n"
        "from xlsxflow.__main__ import run\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 130 and "Traceback" not in done.stderr, done.stderr
    assert "已中断" in done.stderr


def test_feedback_writes_no_letters_for_an_empty_folder_or_blank_workbooks(tmp_path, monkeypatch):
    """Answering the round's own blank workbooks would mail every unit a list of 31 problems."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert (
        runner.invoke(main, ["generate", "wenming-danwei", "--roster", str(ROSTER)]).exit_code == 0
    )
    (tmp_path / "empty").mkdir()
    for folder, code in (("empty", "returns-empty"), ("workbooks", "returns-unfilled")):
        result = runner.invoke(main, ["feedback", folder, "--out", "fb"])
        assert result.exit_code == 1 and f"[{code}]" in result.output, result.output
        assert not (tmp_path / "fb").exists()


def test_a_clean_up_that_fails_after_ctrl_c_is_an_interruption_not_an_internal_error():
    """Ctrl-C inside a zip member's write: closing the zip then raises ValueError."""
    from xlsxflow.cli import _handled

    with pytest.raises(SystemExit) as done, _handled():
        try:
            raise KeyboardInterrupt
        finally:
            raise ValueError("Can't close the ZIP file while there is an open writing handle")
    assert done.value.code == 130
