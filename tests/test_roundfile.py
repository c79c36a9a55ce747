"""Round files: forms, who receives them, quotas (seed 000 三.1, 三.2, 三.5), errors with lines."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from xlsxflow.cli import main
from xlsxflow.messages import XlsxflowError
from xlsxflow.roster import Roster, Unit
from xlsxflow.roundfile import RoundSpec, compute_entitlements, evaluate, load_round
from xlsxflow.rubric import shipped_templates_dir

SEED_ROUND = shipped_templates_dir() / "rounds" / "sanchuang.yaml"
BRANCH_ROUND = shipped_templates_dir() / "rounds" / "dangzhibu.yaml"


def unit(**columns) -> Unit:
    extra = {"已获文明单位称号": "否", "最高荣誉级别": "市直", "职工人数": "30", "内设机构数": "5"}
    extra.update({k: str(v) for k, v in columns.items()})
    return Unit("U1", "测试单位", extra=extra, row=2)


def entitlement(form: str, **columns):
    rnd = load_round(SEED_ROUND)
    return compute_entitlements(rnd.spec, Roster([unit(**columns)]))["U1"][form]


@pytest.mark.parametrize("staff,slots", [(1, 1), (49, 1), (50, 3), (200, 3), (201, 5), (1000, 5)])
def test_model_worker_slots_by_staff_size(staff, slots):
    e = entitlement("biaobing", 职工人数=staff)
    assert (e.receives, e.slots) == (True, slots)


@pytest.mark.parametrize("departments,slots", [(0, 1), (9, 1), (10, 1), (19, 1), (20, 2), (35, 3)])
def test_window_and_office_slots_are_ten_percent_at_least_one(departments, slots):
    assert entitlement("chuangkou", 内设机构数=departments).slots == slots
    assert entitlement("keshi", 内设机构数=departments).slots == slots


@pytest.mark.parametrize("title", ["国家级", "省级", "市级"])
def test_units_with_a_civilized_unit_title_only_nominate(title):
    e = entitlement("danwei", 已获文明单位称号=title)
    assert not e.receives and "三.1" in e.reasons[0]
    assert entitlement("chuangkou", 已获文明单位称号=title).receives


@pytest.mark.parametrize(
    "honour,receives", [("国家级", True), ("省部级", True), ("市直", True), ("无", False)]
)
def test_civilized_unit_needs_a_municipal_or_higher_honour(honour, receives):
    e = entitlement("danwei", 最高荣誉级别=honour)
    assert e.receives is receives
    if not receives:
        assert "三.2" in e.reasons[0]


def test_seed_round_on_the_sample_roster():
    rnd = load_round(SEED_ROUND)
    assert [f.id for f in rnd.spec.forms] == ["danwei", "chuangkou", "keshi", "biaobing"]
    assert rnd.rubrics["danwei"].id == "wenming-danwei" and "biaobing" not in rnd.rubrics
    assert rnd.spec.publicity_min_days == 5
    assert rnd.entitlements["ZWZX"]["chuangkou"].slots == 2  # 20 internal departments
    assert rnd.entitlements["WJW-JK"]["biaobing"].slots == 5  # 210 staff
    assert not rnd.entitlements["JYJ"]["danwei"].receives  # already a municipal civilized unit


def _write(tmp_path, text: str):
    (tmp_path / "roster.csv").write_text(
        "单位编号,单位名称,职工人数\nA,甲,10\nB,乙,\n", encoding="utf-8"
    )
    path = tmp_path / "round.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
title: 测试轮次
year: 2026
roster: roster.csv
forms:
  - id: a
    title: 甲表
    rubric: wuxing-dangzhibu
    slots: {slots}
"""


def errors(path) -> list:
    with pytest.raises(XlsxflowError) as info:
        load_round(path)
    return info.value.issues


def test_bad_expression_names_its_line(tmp_path):
    issues = errors(_write(tmp_path, BASE.format(slots='"1 +"')))
    assert (issues[0].code, issues[0].line) == ("round-expression", 8)


def test_unknown_column_names_the_roster_row(tmp_path):
    issues = errors(_write(tmp_path, BASE.format(slots='"floor(内设机构数 / 10)"')))
    assert issues[0].code == "round-expression" and issues[0].line == 8
    assert "内设机构数" in issues[0].message and "第 2 行 A" in issues[0].message


def test_empty_value_names_the_unit(tmp_path):
    issues = errors(_write(tmp_path, BASE.format(slots='"职工人数 // 5"')))
    assert len(issues) == 1 and "第 3 行 B" in issues[0].message


def test_no_code_runs_in_expressions(tmp_path):
    issues = errors(_write(tmp_path, BASE.format(slots="\"__import__('os').getpid()\"")))
    assert issues[0].code == "round-expression"


def test_duplicate_form_and_missing_rubric(tmp_path):
    text = BASE.format(slots=1) + "  - id: a\n    title: 重复\n    application: shenbao-danwei\n"
    assert [(i.code, i.line) for i in errors(_write(tmp_path, text))] == [
        ("rubric-duplicate-id", 9)
    ]
    issues = errors(_write(tmp_path, BASE.format(slots=1).replace("wuxing-dangzhibu", "nope")))
    assert issues[0].code == "round-bad-ref" and issues[0].line == 7


def test_schema_errors_have_lines(tmp_path):
    issues = errors(_write(tmp_path, BASE.format(slots=1) + "colour: red\n"))
    assert (issues[0].code, issues[0].line) == ("round-schema", 9)
    assert RoundSpec.model_json_schema()["required"] == ["title", "year", "roster", "forms"]


def test_init_writes_a_starter_that_checks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert (tmp_path / "roster.csv").exists()
    text = (tmp_path / "round.yaml").read_text(encoding="utf-8")
    assert text.startswith("#") and "roster: roster.csv" in text
    result = runner.invoke(main, ["round", "check", "round.yaml"])
    assert result.exit_code == 0 and "文明标兵" in result.output and "三.1" in result.output
    assert runner.invoke(main, ["init"]).exit_code == 2  # never overwrites without --force


@pytest.mark.parametrize("members,cap", [(3, 0), (4, 1), (6, 1), (7, 2), (10, 3), (13, 3), (20, 6)])
def test_vanguard_posts_are_at_most_thirty_percent_of_members(members, cap):
    """三.1: 党员先锋岗 每次不超过支部党员数的30% — rounded down, so 3 members give none.

    The 先锋岗 is a 民主测评 of every member now: the 30% is the evaluation's cap."""
    spec = load_round(BRANCH_ROUND).spec
    vanguard = next(e for e in spec.evaluations if e.id == "xianfenggang")
    assert evaluate(vanguard.cap, unit(党员人数=members)) == cap <= members * 0.3
    got = compute_entitlements(spec, Roster([unit(党员人数=members)]))["U1"]
    assert "xianfenggang" not in got  # no longer a form the branch fills in
    assert (got["hongqi"].receives, got["hongqi"].slots) == (True, 1)
