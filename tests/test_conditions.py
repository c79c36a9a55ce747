"""Stars decided by conditions (issue 14): the rubric format, its checks with file:line,
the evaluation of one unit and of a round's targets, and the rubrics shipped from the seeds."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner
from conftest import ROSTER

from xlsxflow.cli import main
from xlsxflow.conditions import evaluate, questions, round_targets
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.rubric import fact_ids, load_rubric, parse_rubric, shipped_templates_dir

# -- a small rubric: every kind of condition, its boundaries -------------------------------

SMALL = """\
id: small
title: 条件测试
version: "1"
scales:
  文明社区: [县级, 市级, 省级]
  文化社区: {highest_first: [一级, 二级, 三级]}
measures:
  - {id: wenming, text: 文明社区, scale: 文明社区}
  - {id: wenhua, text: 文化社区, scale: 文化社区}
  - {id: rate, text: 调处成功率, unit: "%", min: 0, max: 100}
  - {id: rank, text: 考核排名, unit: 名}
level_mode: MODE
levels:
  - name: 一星级
    decided_by: 街道
    conditions:
      - {id: banzi, fact: 班子健全}
      - {number: rate, at_least: 95}
  - name: 二星级
    decided_by: 街道
    conditions:
      - {honour: wenming, at_least: 市级}
      - {honour: wenhua, at_least: 二级}
  - name: 三星级
    decided_by: 县
    publicity: true
    conditions:
      - {honour: wenhua, at_least: 一级}
      - {number: rank, at_most: 1}
      - {number: rate, at_least: 95}
vetoes:
  - {id: veto, text: 受到通报批评, blocks: [三星级]}
targets:
  - {level: 二星级, share: 80}
"""


def small(mode: str = "cumulative"):
    return parse_rubric(SMALL.replace("MODE", mode), "small.yaml")


ALL = {"banzi": "是", "rate": 95, "wenming": "市级", "wenhua": "一级", "rank": 1}


def level_of(rubric, **changes) -> str | None:
    return evaluate(rubric, {**ALL, **changes}).level


def test_all_conditions_hold_gives_the_top_level_its_decider_and_publicity():
    result = evaluate(small(), ALL)
    assert (result.level, result.decided_by, result.publicity) == ("三星级", "县", True)
    assert result.next_level is None and result.missing == [] and result.missing_text == ""


def test_an_honour_at_or_above_a_value_of_an_ascending_scale():
    r = small()
    assert level_of(r, wenming="市级") == "三星级"
    assert level_of(r, wenming="省级") == "三星级"  # above counts
    result = evaluate(r, {**ALL, "wenming": "县级"})
    assert result.level == "一星级"
    assert result.missing_text == render(
        "conditions-missing",
        level="二星级",
        items=render("conditions-unmet", requirement="市级以上文明社区", actual="县级"),
    )


def test_a_descending_scale_puts_its_first_value_highest():
    r = small()
    assert r.scale_values("文化社区") == ["三级", "二级", "一级"]
    assert level_of(r, wenhua="一级") == "三星级"
    assert level_of(r, wenhua="二级") == "二星级"  # 二级 reaches 二级以上 but not 一级
    assert level_of(r, wenhua="三级") == "一星级"


def test_a_number_at_least_its_bound_95_holds_and_94_9_does_not():
    r = small()
    assert level_of(r, rate=95) == "三星级"
    assert level_of(r, rate="95%") == "三星级"  # as typed in a cell
    result = evaluate(r, {**ALL, "rate": 94.9})
    assert result.level is None and result.next_level == "一星级"
    assert result.missing_text == "距一星级还差：调处成功率 95%（现为 94.9%）"


@pytest.mark.parametrize("typed", ["150%", -1, float("nan"), "九十五"])
def test_a_number_that_is_no_reading_is_unreadable_not_met(typed):
    result = evaluate(small(), {**ALL, "rate": typed})
    assert result.level is None and result.unreadable == {"rate": str(typed)}
    assert result.missing[0].text == f"调处成功率 95%（现为无法识别的“{typed}”）"


def test_a_number_at_most_its_bound():
    r = small()
    assert level_of(r, rank=1) == "三星级"
    assert level_of(r, rank=2) == "二星级"


def test_a_fact_holds_only_when_affirmed():
    r = small()
    assert level_of(r, banzi="是") == "三星级"
    no, blank = evaluate(r, {**ALL, "banzi": "否"}), evaluate(r, {**ALL, "banzi": None})
    assert no.level is None and no.missing[0].text == "班子健全（现为否）"
    assert blank.missing[0].text == "班子健全（现为未填）"
    odd = evaluate(r, {**ALL, "banzi": "大概"})
    assert odd.level is None and odd.unreadable == {"banzi": "大概"}


def test_cumulative_levels_stop_at_the_first_that_fails_independent_ones_do_not():
    gap = {**ALL, "wenming": "县级"}  # 二星级 fails, 一星级 and 三星级's own conditions hold
    assert evaluate(small("cumulative"), gap).level == "一星级"
    independent = evaluate(small("independent"), gap)
    assert independent.level == "三星级"
    assert [c.holds for c in independent.checks] == [True, False, True]


def test_previous_level_holds_links_independent_levels():
    text = SMALL.replace("MODE", "independent").replace(
        "      - {number: rank, at_most: 1}\n",
        "      - {number: rank, at_most: 1}\n      - {previous: true}\n",
    )
    r = parse_rubric(text, "small.yaml")
    result = evaluate(r, {**ALL, "wenming": "县级"})
    assert result.level == "一星级"  # 三星级's own conditions hold, but not 二星级's
    assert [u.text for u in result.checks[2].unmet] == ["二星级的条件全部成立（现为未达到）"]


def test_a_veto_blocks_only_the_levels_it_names():
    result = evaluate(small(), {**ALL, "veto": "是"})
    assert result.level == "二星级" and result.next_level == "三星级"
    assert [(v.id, v.blocks) for v in result.vetoes] == [("veto", ["三星级"])]
    assert result.missing_text == render(
        "conditions-missing",
        level="三星级",
        items=render("conditions-vetoed", veto="受到通报批评", levels="三星级"),
    )
    assert evaluate(small(), {**ALL, "veto": "否"}).level == "三星级"


def test_a_result_serialises():
    d = evaluate(small(), {**ALL, "wenming": "县级"}).to_dict()
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    assert d["level"] == "一星级" and d["count"] == 1 and d["missing_text"].startswith("距二星级")


@pytest.mark.parametrize("reached,met", [(80, True), (79, False)])
def test_round_target_80_percent_is_reached_at_80_not_at_79(reached, met):
    r = small()
    results = [evaluate(r, ALL)] * reached + [evaluate(r, {})] * (100 - reached)
    (target,) = round_targets(r, results)
    assert (target.count, target.total, target.share, target.reached) == (
        reached,
        100,
        reached,
        met,
    )
    assert target.message == render(
        "conditions-target",
        level="二星级",
        count=reached,
        total=100,
        share=str(reached),
        target="80",
        verdict="达到" if met else "未达到",
    )


# -- contradictions are refused with file:line ---------------------------------------------


def problems(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(XlsxflowError) as info:
        parse_rubric(textwrap.dedent(text), "bad.yaml")
    return [(i.code, i.line, i.message) for i in info.value.issues]


HEAD = """\
id: bad
title: 坏
version: "1"
"""


def test_a_scale_that_repeats_a_value_is_refused_at_its_line():
    assert problems(
        HEAD
        + """\
scales:
  荣誉:
    - 县级
    - 市级
    - 县级
measures: [{id: m, text: 荣誉, scale: 荣誉}]
levels: [{name: 一星级, conditions: [{honour: m, at_least: 县级}]}]
"""
    ) == [
        (
            "rubric-scale-repeat",
            8,
            render("rubric-scale-repeat", scale="荣誉", value="县级", first_line=6),
        )
    ]


def test_a_level_easier_than_the_one_below_is_refused_at_its_line():
    found = problems(
        HEAD
        + """\
scales: {荣誉: [县级, 市级, 省级]}
measures:
  - {id: m, text: 文明社区, scale: 荣誉}
  - {id: r, text: 调处成功率, unit: "%"}
levels:
  - name: 一星级
    conditions:
      - {honour: m, at_least: 市级}
      - {number: r, at_least: 95}
  - name: 二星级
    conditions:
      - {honour: m, at_least: 县级}
      - {number: r, at_least: 94.9}
"""
    )
    assert found == [
        (
            "rubric-level-easier",
            line,
            render("rubric-level-easier", level="二星级", below="一星级", this=this, before=before),
        )
        for line, this, before in (
            (15, "县级以上文明社区", "市级以上文明社区"),
            (16, "调处成功率 94.9%", "调处成功率 95%"),
        )
    ]


@pytest.mark.parametrize(
    "body,line,code,fields",
    [
        (  # a measure that does not exist
            "levels: [{name: 一星级, conditions: [{number: nope, at_least: 1}]}]\n",
            4,
            "rubric-bad-ref",
            {"what": "指标（measures）", "ref": "nope"},
        ),
        (  # a scale that does not exist
            "measures:\n  - {id: m, text: 文明社区, scale: 荣誉}\n"
            "levels: [{name: 一星级, conditions: [{honour: m, at_least: 县级}]}]\n",
            5,
            "rubric-bad-ref",
            {"what": "等级序列（scales）", "ref": "荣誉"},
        ),
        (  # a value not on the scale
            "scales: {荣誉: [县级, 市级]}\nmeasures: [{id: m, text: 文明社区, scale: 荣誉}]\n"
            "levels:\n  - name: 一星级\n    conditions:\n      - honour: m\n        at_least: 国家级\n",
            10,
            "rubric-bad-ref",
            {"what": "“荣誉”的等级", "ref": "国家级"},
        ),
        (  # a veto on a level that does not exist
            "levels: [{name: 一星级, conditions: [{id: a, fact: 班子健全}]}]\n"
            "vetoes:\n  - id: v\n    text: 通报批评\n    blocks: [六星级]\n",
            8,
            "rubric-bad-ref",
            {"what": "星级", "ref": "六星级"},
        ),
        (  # the lowest level has no previous one
            "levels:\n  - name: 一星级\n    conditions:\n      - {previous: true}\n",
            7,
            "rubric-previous-first",
            {"level": "一星级"},
        ),
        (  # a number condition on an honour
            "scales: {荣誉: [县级, 市级]}\nmeasures: [{id: m, text: 文明社区, scale: 荣誉}]\n"
            "levels:\n  - name: 一星级\n    conditions:\n      - {number: m, at_least: 1}\n",
            9,
            "rubric-condition-kind",
            {"measure": "文明社区", "actual": "荣誉等级（有 scale）", "wanted": "数值（number）"},
        ),
        (  # one fact id, two questions
            "levels:\n  - name: 一星级\n    conditions:\n      - {id: a, fact: 班子健全}\n"
            "  - name: 二星级\n    conditions:\n      - {id: a, fact: 班子团结}\n",
            10,
            "rubric-fact-reused",
            {"id": "a", "first_line": 7},
        ),
    ],
    ids=["measure", "scale", "value", "veto", "previous", "kind", "fact"],
)
def test_a_reference_to_nothing_is_refused_at_its_line(body, line, code, fields):
    assert problems(HEAD + body) == [(code, line, render(code, **fields))]


def test_a_condition_of_no_kind_is_a_schema_error_at_its_line():
    ((code, line, message),) = problems(
        HEAD + "levels:\n  - name: 一星级\n    conditions:\n      - {honour: m}\n"
    )
    assert (code, line) == ("rubric-schema", 7) and "at_least" in message


def test_rubric_check_prints_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "levels:\n  - name: 一星级\n    conditions:\n      - {previous: true}\n")
    result = CliRunner().invoke(main, ["rubric", "check", str(bad)])
    assert result.exit_code == 1
    assert (
        f"bad.yaml:7: [rubric-previous-first] {render('rubric-previous-first', level='一星级')}"
        in (result.output)
    )


# -- the shipped rubrics ------------------------------------------------------------------

CONDITIONS = {  # shipped file → kind, levels or stars
    "xingji-shequ": ("levels", ["一星级", "二星级", "三星级", "四星级", "五星级"]),
    "xingji-pian2-tiaojian": ("mixed", ["三星级", "四星级", "五星级"]),
    "wuxing-pian3": (
        "stars",
        ["理论学习星", "制度落实星", "党建活动星", "党员先锋星", "自身建设星"],
    ),
    "jingpin-shequ-biaozhun": ("levels", ["党建精品社区"]),
}

# The hashes signed into workbooks already sent: the conditions format must not move them.
EARLIER_HASHES = {
    "dangyuan-xianfenggang": "3fb4a7266ee14bd9",
    "hongqi-dangzhibu": "0968507867dd0f82",
    "jingpin-shequ": "83e1f7ac907cf39d",
    "shenbao-biaobing": "461a901dbddfbb7b",
    "shenbao-chuangkou": "2e94bc0e3e58b42c",
    "shenbao-danwei": "f38ce685b6cf9793",
    "wenming-chuangkou": "5ee4d4163cc5df67",
    "wenming-danwei": "5b6ce28814bcb9af",
    "wenming-keshi": "cc5b8df66c856943",
    "wuxing-dangzhibu": "a50cc977ae8a636b",
    "xingji-pian2": "551b74cd3543def8",
}


def test_every_shipped_rubric_loads_and_earlier_ones_keep_their_hash():
    names = {p.stem for p in shipped_templates_dir().glob("*.yaml")}
    assert names == set(CONDITIONS) | set(EARLIER_HASHES)
    for name, expected in EARLIER_HASHES.items():
        r = load_rubric(name)
        assert (r.content_hash, r.has_conditions) == (expected, False), name
    for name, (kind, owners) in CONDITIONS.items():
        r = load_rubric(name)
        assert r.kind == kind and r.source and r.notes, name
        assert [o.name for o in (r.stars or r.levels)] == owners


def all_yes(rubric) -> dict:
    return {fid: "是" for fid in fact_ids(rubric)}


SHEQU_TOP = {"wenming": "省级", "wenhua": "一级", "weisheng": "省级", "tiaochu": 100}


def test_002_the_issues_example_of_what_is_missing():
    r = load_rubric("xingji-shequ")
    answers = {**all_yes(r), **SHEQU_TOP, "wenming": "县级", "chenggong": "96%"}
    result = evaluate(r, answers)
    assert (result.level, result.decided_by, result.publicity) == ("三星级", "街道", False)
    assert result.missing_text == (
        "距四星级还差：市级以上文明社区（现为县级）；调处成功率 100%（现为 96%）"
    )


def test_002_a_veto_blocks_four_and_five_stars_only():
    r = load_rubric("xingji-shequ")
    top = {**all_yes(r), **SHEQU_TOP, "chenggong": 100}
    assert (evaluate(r, top).level, evaluate(r, top).publicity) == ("五星级", True)
    vetoed = evaluate(r, {**top, "v_jisheng": "是"})
    assert vetoed.level == "三星级" and vetoed.vetoes[0].blocks == ["四星级", "五星级"]
    assert vetoed.vetoes[0].message == render(
        "conditions-vetoed", veto="违反计划生育有关规定", levels="四星级、五星级"
    )


def test_002_numbers_are_the_seeds():
    r = load_rubric("xingji-shequ")
    bounds = {
        level.name: {c.answer_id: c.at_least for c in level.all_conditions() if c.kind != "fact"}
        for level in r.levels
    }
    assert bounds["一星级"] == {
        "wenming": "县级",
        "wenhua": "三级",
        "weisheng": "县级",
        "tiaochu": 100,
        "chenggong": 95,
    }
    assert bounds["三星级"]["weisheng"] == "市级" and bounds["三星级"]["chenggong"] == 95
    assert bounds["四星级"] == {
        "wenming": "市级",
        "wenhua": "一级",
        "weisheng": "市级",
        "tiaochu": 100,
        "chenggong": 100,
    }
    assert bounds["五星级"]["wenming"] == "省级" and bounds["五星级"]["weisheng"] == "省级"
    assert all(len(level.groups) == 4 for level in r.levels)
    assert [(t.level, t.share) for t in r.targets] == [("三星级", 80), ("五星级", 20)]
    assert [lv.decided_by for lv in r.levels] == ["街道"] * 3 + ["县"] * 2


def test_pian2_five_stars_refused_on_one_missing_condition():
    r = load_rubric("xingji-pian2-tiaojian")
    numbers = {"canjia_lv": 100, "wenti_cishu": 2, "pingyi_canjia": 100, "pingyi_hege": 100}
    full = {**all_yes(r), **numbers, "paiming": 1}
    assert len(r.levels[-1].groups) == 13
    assert evaluate(r, full, score=96).level == "五星级"
    one_short = evaluate(r, {**full, "paiming": 2}, score=96)
    assert (one_short.band, one_short.level, one_short.next_level) == ("五星级", "四星级", "五星级")
    assert (
        one_short.missing_text
        == "距五星级还差：支部在办公室机关党建工作年度考核排名不超过 1名（现为 2名）"
    )
    by_score = evaluate(r, full, score=90)
    assert by_score.level == "四星级"
    assert by_score.missing[0].text == render(
        "conditions-unmet",
        requirement=render("conditions-score-band", score_label="考核分数", level="五星级"),
        actual=" 90 分",
    )
    assert evaluate(r, full, score=74.5).level is None


def test_pian3_named_stars_each_on_their_own():
    r = load_rubric("wuxing-pian3")
    answers = {**all_yes(r), "zs_dangfei": "否"}
    result = evaluate(r, answers)
    assert result.stars == ["理论学习星", "制度落实星", "党建活动星", "党员先锋星"]
    assert result.count == 4
    assert result.missing_text == "距自身建设星还差：严格按规定做好党籍管理、党费收缴工作（现为否）"


def test_004_complete_rooms_equipment_and_three_rates_per_group():
    r = load_rubric("jingpin-shequ-biaozhun")
    groups = {g.name: g.conditions for g in r.levels[0].groups}
    rooms = sum(len(groups[n]) for n in ("六室", "四站", "两校", "一厅", "一中心"))
    assert rooms == 14
    assert len(groups["配套服务设施"]) == 12
    rates = {c.number: c.at_least for c in groups["群众评议“三高”"]}
    assert len(rates) == 9 and sorted(set(rates.values())) == [90, 95]
    numbers = {"t_rooms": 300, "t_fitness": 200, "t_books": 1000} | dict.fromkeys(rates, 95)
    assert evaluate(r, {**all_yes(r), **numbers}).level == "党建精品社区"
    short = evaluate(r, {**all_yes(r), **numbers, "t_rooms": 299.5})
    assert short.level is None and short.missing_text == (
        "距党建精品社区还差：社区服务用房总面积 300平方米（现为 299.5平方米）"
    )


# -- generate writes a conditions sheet (tests/test_conditions_sheet.py reads them back) ----


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_generate_of_a_conditions_rubric_writes_the_workbooks(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["generate", name, "--roster", str(ROSTER), "--out", "wb"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert len(list((tmp_path / "wb").glob("*.xlsx"))) == len(ROSTER.read_text().splitlines()) - 1


def test_the_readme_example_loads():
    readme = (shipped_templates_dir() / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Conditions")[1]
    example = section.split("```yaml\n")[1].split("```")[0]
    r = parse_rubric(HEAD + example, "README.md")
    assert r.kind == "levels" and r.scale_values("文化社区") == ["三级", "二级", "一级"]


def test_questions_ask_each_answer_once_with_the_levels_that_test_it():
    r = load_rubric("xingji-shequ")
    asked = {q.id: q for q in questions(r)}
    assert len(asked) == len(fact_ids(r)) + len(r.measures) + len(r.vetoes)
    assert asked["f05"].text == "不发生命案" and asked["f05"].used_by == ["一星级", "二星级"]
    assert asked["wenhua"].choices == ["三级", "二级", "一级"] and asked["wenhua"].group == "第3条"
    assert (asked["chenggong"].unit, asked["chenggong"].max) == ("%", 100)
    assert asked["v_qita"].kind == "veto" and asked["v_qita"].used_by == ["四星级", "五星级"]
