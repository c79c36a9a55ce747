"""The ballots commands end to end (issue 12): generate, fill, ingest, count; the README's
examples of the evaluations section load."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import openpyxl
import pytest
from ballot_rounds import MEMBERS, ROSTER
from click.testing import CliRunner

from xlsxflow.ballots.spec import load_evaluations
from xlsxflow.cli import main
from xlsxflow.messages import render
from xlsxflow.roundfile import load_round

ROOT = Path(__file__).resolve().parent.parent
HEAD = """title: 测试轮
year: 2026
roster: roster.csv
forms:
  - id: hongqi
    title: 红旗党支部
    rubric: hongqi-dangzhibu
"""


def readme_evaluations() -> list[str]:
    """The yaml blocks of templates/README.md's evaluations section."""
    text = (ROOT / "templates" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Round files: the `evaluations` section", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


@pytest.mark.parametrize("index", range(3), ids=["items", "grade", "survey"])
def test_the_readme_examples_of_evaluations_load(tmp_path, index):
    blocks = readme_evaluations()
    assert len(blocks) == 3
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    path = tmp_path / "round.yaml"
    jingpin = "  - {id: jingpin, title: 党建精品社区, rubric: jingpin-shequ}\n"  # what 满意度 feeds
    path.write_text(HEAD + jingpin * (index == 2) + blocks[index], encoding="utf-8")
    evals = load_evaluations(load_round(path))
    (ev,) = evals.evaluations.values()
    if index == 1:  # 两票制: two weighted groups, the seed's five grades
        assert ev.kind == "grade" and [g.weight for g in ev.spec.raters] == [0.7, 0.3]
        assert ev.questions[0].choices == ("优秀", "合格", "基本合格", "基本不合格", "不合格")
        assert ev.expected[("ZB01", "dangyuan")] == 5 and ev.expected[("ZB01", "qunzhong")] == 10
    elif index == 2:  # 004: the seed's targets
        assert ev.kind == "survey" and len(ev.units) == 3
        assert {q.short: q.target for q in ev.questions} == {
            "认知度": 0.9,
            "参与度": 0.9,
            "满意度": 0.95,
        }
    else:
        assert ev.kind == "items" and ev.caps == {"ZB01": 1, "ZB02": 0}


# -- the commands as an office meets them ------------------------------------------------

ROUND = (
    HEAD
    + """evaluations:
  - id: xfg
    title: 党员先锋岗民主测评
    candidates: members.csv
    ballot: {rubric: dangyuan-xianfenggang}
    raters:
      - {id: dangyuan, label: 党员, expected: members}
    invalid: [blank, incomplete, all_max]
    quorum: 0.5
    anonymity: 3
    cap: "floor(党员人数 * 30 / 100)"
"""
)


def small_round(folder: Path, text: str = ROUND) -> Path:
    """A recorded round of three branches (5, 3 and no members) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (folder / "round.yaml").write_text(text, encoding="utf-8")
    with contextlib.chdir(folder):  # the round is recorded where generate runs
        result = CliRunner().invoke(main, ["generate", "round.yaml", "--out", "workbooks"])
    assert result.exit_code == 0, result.output
    return folder


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_commands_say_what_is_wrong_before_anything_is_written(tmp_path, monkeypatch):
    """No round here, a round without evaluations, another key, --out inside the folder, a
    folder that does not exist, a unit not taking part: each a catalogue message, exit 2."""
    monkeypatch.chdir(tmp_path)
    result = run("ballots", "generate")
    assert result.exit_code == 2
    assert render("ballots-no-round", path="xlsxflow-round.json") in result.output
    assert not (tmp_path / "ballots").exists()

    small_round(tmp_path / "plain", HEAD)  # a round file without evaluations
    monkeypatch.chdir(tmp_path / "plain")
    result = run("ballots", "generate")
    assert result.exit_code == 2
    assert render("ballots-no-evaluations", round_file="round.yaml") in result.output

    (tmp_path / "single").mkdir()  # a round of one rubric, not a round file
    monkeypatch.chdir(tmp_path / "single")
    (tmp_path / "single" / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assert run("generate", "hongqi-dangzhibu", "--roster", "roster.csv").exit_code == 0
    result = run("ballots", "ingest", "workbooks")
    assert result.exit_code == 2 and render("ballots-needs-round") in result.output

    small_round(tmp_path / "r")
    monkeypatch.chdir(tmp_path / "r")
    (tmp_path / "other.key").write_text("ab" * 32)
    result = run("ballots", "generate", "--key", str(tmp_path / "other.key"))
    assert result.exit_code == 2 and "[ballots-other-key]" in result.output
    result = run("ballots", "generate", "--unit", "ZB03", "--unit", "XX")
    assert result.exit_code == 2
    for unit in ("ZB03", "XX"):  # ZB03 has no members: it takes no part
        expected = render("ballot-unknown-unit-arg", id=unit, evaluation="xfg", known="ZB01、ZB02")
        assert expected in result.output
    result = run("ballots", "generate", "--out", ".")
    assert result.exit_code == 2
    assert render("ballots-out-is-workdir", out=".") in result.output
    assert not (tmp_path / "r" / "ballots").exists()

    (tmp_path / "r" / "back").mkdir()
    for out in ("back/测评汇总.xlsx", "back"):
        result = run("ballots", "ingest", "back", "--out", out)
        assert result.exit_code == 2, result.output
    result = run("ballots", "ingest", "back", "--report", "back/r.json")
    assert result.exit_code == 2
    assert render("ballots-out-inside", out="back/r.json", folder="back") in result.output
    result = run("ballots", "ingest", "nowhere")
    assert result.exit_code == 2
    assert render("ballots-missing", path="nowhere") in result.output
    assert list((tmp_path / "r" / "back").iterdir()) == []
    assert not (tmp_path / "r" / "测评汇总.xlsx").exists()


def test_round_check_lists_each_evaluation(tmp_path):
    folder = small_round(tmp_path)
    result = run("round", "check", str(folder / "round.yaml"))
    assert result.exit_code == 0, result.output
    assert "民主测评 evaluation：党员先锋岗民主测评（xfg）" in result.output
    rows = {
        line.split()[0]: line.split()[2:]
        for line in result.output.splitlines()
        if line[:4] == "ZB01" or line[:4] == "ZB02"
    }
    assert rows["ZB01"][-3:] == ["5", "5", "1"] and rows["ZB02"][-3:] == ["3", "3", "0"]


E2E_ROSTER = (
    "单位编号,单位名称,党员人数\n"
    "ZB01,第一支部,6\nZB02,第二支部,5\nZB03,第三支部,4\nZB04,第四支部,3\n"
)
E2E_MEMBERS = "支部编号,党员编号,姓名,岗位或职务\n" + "".join(
    f"ZB0{b},M{b}{m},党员{b}{m},科员\n"
    for b, size in ((1, 6), (2, 5), (3, 4), (4, 3))
    for m in range(size)
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_generate_fill_ingest_count_publish(tmp_path, monkeypatch):
    """The office's run on four branches: ballots out, back with planted trouble (blank,
    full marks, a copy, a forgery, a branch below quorum, one below the anonymity threshold,
    a paper 录入表), counted twice with the same result, the folder untouched, then the
    审定 published; the blank ballots folder and the units' workbooks are named as such."""
    from xlsxflow.approval import fill_sample_decisions
    from xlsxflow.ballots.run import (
        ballots_report,
        generate_ballots,
        ingest_and_count,
        open_ballots,
    )
    from xlsxflow.ballots.samples import make_ballot_returns

    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "members.csv").write_text(E2E_MEMBERS, encoding="utf-8")
    (folder / "roster.csv").write_text(E2E_ROSTER, encoding="utf-8")
    (folder / "round.yaml").write_text(ROUND, encoding="utf-8")
    monkeypatch.chdir(folder)
    assert run("generate", "round.yaml", "--out", "workbooks").exit_code == 0
    result = run("ballots", "generate")
    assert result.exit_code == 0, result.output
    assert "测评票 ballots：18 份，录入表 4 份" in result.output
    first = sorted(p.name for p in (folder / "ballots").rglob("测评票_*.xlsx"))
    assert len(first) == 18
    assert run("ballots", "generate").exit_code == 0  # again: the same ballots, same serials
    assert sorted(p.name for p in (folder / "ballots").rglob("测评票_*.xlsx")) == first

    br = open_ballots(folder)
    planted = make_ballot_returns(
        generate_ballots("ballots", br=br), br.evals, folder / "back", key=br.ctx.key
    )
    assert planted["paper"] == ["ZB02"] and planted["below_quorum"] == ["ZB03"]
    before = snapshot(folder / "back")
    outputs = []
    for _ in range(2):  # re-running is safe: the same count, the folder as it was
        result = run("ballots", "ingest", "back", "--report", "report.json")
        assert result.exit_code == 1, result.output
        outputs.append(result.output)
        assert snapshot(folder / "back") == before
    assert outputs[0] == outputs[1]
    out = outputs[0]
    assert "测评票 ballots：应收 18 张" in out
    assert "重复票号 duplicate serials 1" in out and "伪造或改动 forged 1" in out
    assert "参加人数不足 no quorum：ZB03" in out
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left

    wb = openpyxl.load_workbook(folder / "测评汇总.xlsx")
    assert {"参加情况", "审定", "问题", "文件", "说明"} <= set(wb.sheetnames)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    hidden = [c for c in report["evaluations"]["candidates"] if c["unit_id"] == "ZB04"]
    assert hidden and all(c["status"] == "hidden" and "score" not in c for c in hidden)
    assert report["ballots"]["duplicate_serials"] == 1 and report["ballots"]["forged"] == 1
    # a ballot that came by mail: its sender is not in the report (beside 空白票 it would
    # say how that person voted)
    counted = ingest_and_count(folder / "back", out_file=folder / "again.xlsx", br=br)
    sender = {"from": "党员甲 <jia@example.org>", "date": "", "message_id": "", "subject": ""}
    for f in counted.ingest.files:
        f.mail = sender
    again = json.dumps(ballots_report(br, counted.ingest, counted.outcome), ensure_ascii=False)
    assert "jia@example.org" not in again and "党员甲" not in again

    fill_sample_decisions(folder / "测评汇总.xlsx", folder / "审定.xlsx")
    result = run("publish", "审定.xlsx", "--out", "公示")
    assert result.exit_code == 0, result.output
    assert (folder / "公示" / "公示名单.xlsx").exists()

    result = run("ballots", "ingest", "ballots", "--out", "x.xlsx")  # the blank ballots
    assert result.exit_code == 1 and "[ballots-unfilled]" in result.output
    result = run("ballots", "ingest", "workbooks", "--out", "x.xlsx")  # the units' workbooks
    assert result.exit_code == 1 and "[ballots-are-unit-returns]" in result.output
