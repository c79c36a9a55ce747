"""Rubric files: the shipped ones match the seeds; bad ones are named by file and line."""

from __future__ import annotations

import pytest

from xlsxflow.messages import XlsxflowError, render
from xlsxflow.rubric import load_rubric, outline, parse_rubric, shipped_templates_dir

# (name, items, sections, sum of max, declared total, max with bonus) — from the seeds.
SEEDS = [
    ("wenming-danwei", 23, 6, 100, 100, 106),  # seed 000 附件1
    ("wenming-chuangkou", 19, 4, 100, 100, 100),  # 附件2
    ("wenming-keshi", 21, 5, 105, 105, 105),  # 附件3: the seed's table adds up to 105
    ("wuxing-dangzhibu", 5, 5, 100, 100, 100),  # seed 003 篇1
    ("hongqi-dangzhibu", 7, 7, 100, 100, 100),  # seed 000 红旗党支部考核表
    ("dangyuan-xianfenggang", 10, 1, 100, 100, 100),  # seed 000 党员先锋岗民主测评表
]


@pytest.mark.parametrize("name,items,sections,items_max,total,max_total", SEEDS)
def test_shipped_rubric_matches_seed(name, items, sections, items_max, total, max_total):
    r = load_rubric(name)
    assert (r.item_count, len(r.sections), r.items_max, r.total, r.max_total) == (
        items,
        sections,
        items_max,
        total,
        max_total,
    )
    assert r.source and r.notes, "every shipped rubric says where it comes from and what was chosen"


APPLICATION_FORMS = {  # 申报表 (附件5/6/7): fields only, no points
    "shenbao-danwei": ("app_summary", 800),
    "shenbao-chuangkou": ("app_summary", 800),
    "shenbao-biaobing": ("deeds", 300),  # “(20__字左右)” read as 200, cap 300: see its notes
}


def test_every_shipped_file_is_listed():
    names = {p.stem for p in shipped_templates_dir().glob("*.yaml")}
    tested_below = {"jingpin-shequ", "xingji-pian2"}
    conditions = {n for n in names if load_rubric(n).has_conditions}  # tests/test_conditions.py
    assert names == {s[0] for s in SEEDS} | set(APPLICATION_FORMS) | tested_below | conditions


@pytest.mark.parametrize("name", APPLICATION_FORMS)
def test_application_forms_from_seed(name):
    r = load_rubric(name)
    assert not r.sections and not r.scored and r.source and r.notes
    key, longest = APPLICATION_FORMS[name]
    assert (
        next(f for f in r.fields if f.id.endswith(key.removeprefix("app_"))).max_length == longest
    )
    assert r.approvals, "推荐意见 / 审批意见 are printed for the office"


def test_model_worker_application_has_the_six_categories_of_attachment_4():
    r = load_rubric("shenbao-biaobing")
    categories = [f for f in r.fields if f.label.startswith("推荐类别")]
    assert [c.label.removeprefix("推荐类别：") for c in categories] == [
        "崇尚学习，品德高尚",
        "立足本职，爱岗敬业",
        "助人为乐，无私奉献",
        "诚实守信，服务规范",
        "孝老爱亲，崇尚文明",
        "见义勇为，敢于担当",
    ]
    assert all(c.choices == ["是", "否"] for c in categories)
    assert r.choose[0].min == 1 and r.choose[0].fields == [c.id for c in categories]
    assert {"性别", "出生年月", "政治面貌", "文化程度"} <= {f.label for f in r.fields}


@pytest.mark.parametrize(
    "score,band",
    [
        (100, "五星级"),
        (95, "五星级"),
        (94.5, "四星级"),
        (85, "四星级"),
        (84.5, "三星级"),
        (75, "三星级"),
        (74.5, "未达星级"),
        (0, "未达星级"),
    ],
)
def test_three_band_variant_of_seed_003_chapter_2(score, band):
    """篇2: 75-85 三星, 85-95 四星, 95以上 五星; a shared boundary goes to the higher band."""
    r = load_rubric("xingji-pian2")
    assert r.band_for(score) == band
    assert any("94.5" in note for note in r.notes), "the boundary choice is written down"


def test_wenming_danwei_details_from_seed():
    r = load_rubric("wenming-danwei")
    assert [s.name for s in r.sections] == [
        "领导班子建设",
        "思想政治教育",
        "文明创建",
        "环境建设",
        "民主管理",
        "志愿者服务",
    ]
    assert [s.max for s in r.sections] == [15, 21, 26, 12, 14, 12]
    assert [b.points for b in r.bonus.items] == [6, 4, 2]
    assert r.bonus.mode == "highest"
    assert r.threshold.on == "subtotal" and r.threshold.min == 90  # 四.3 不含加分
    assert len(r.declarations) == 5 and all(d.veto for d in r.declarations)  # 五.5


def test_window_sections_from_seed():
    r = load_rubric("wenming-chuangkou")
    assert [s.max for s in r.sections] == [33, 32, 15, 20]


def test_five_star_bands_from_seed():
    r = load_rubric("wuxing-dangzhibu")
    cases = {
        100: "五星级",
        95: "五星级",
        94: "四星级",
        90: "四星级",
        89: "三星级",
        80: "三星级",
        79: "二星级",
        70: "二星级",
        69: "一星级",
        60: "一星级",
        59: "无星",
        0: "无星",
    }
    for score, band in cases.items():
        assert r.band_for(score) == band, score


def test_red_flag_points_as_read_from_garbled_seed():
    r = load_rubric("hongqi-dangzhibu")
    assert [i.max for _, i in r.items()] == [12, 12, 14, 14, 15, 15, 18]


def test_outline_lists_sections_and_totals():
    text = outline(load_rubric("wenming-danwei"))
    assert "领导班子建设" in text and "[3 项, 15 分]" in text
    assert "总分 max total: 106" in text


MINIMAL = """\
id: t
title: 测试
version: "1"
total: 10
sections:
  - id: s1
    name: 甲
    items:
      - {id: a, text: 第一项, max: 4}
      - {id: b, text: 第二项, max: 6}
"""


def _errors(text: str) -> list:
    with pytest.raises(XlsxflowError) as info:
        parse_rubric(text, "bad.yaml")
    return info.value.issues


def test_minimal_rubric_loads():
    r = parse_rubric(MINIMAL)
    assert r.item_count == 2 and r.max_total == 10


def test_duplicate_id_names_both_lines():
    issues = _errors(MINIMAL.replace("{id: b,", "{id: a,"))
    assert [(i.code, i.line) for i in issues] == [("rubric-duplicate-id", 10)]
    assert issues[0].message == render("rubric-duplicate-id", id="a", first_line=9)
    assert str(issues[0]).startswith("bad.yaml:10: [rubric-duplicate-id]")


def test_negative_max_is_a_schema_error_on_its_line():
    issues = _errors(MINIMAL.replace("max: 4", "max: -4"))
    assert issues[0].code == "rubric-schema" and issues[0].line == 9
    assert "sections.0.items.0.max" in issues[0].message


def test_total_mismatch():
    issues = _errors(MINIMAL.replace("total: 10", "total: 100"))
    assert [(i.code, i.line) for i in issues] == [("rubric-total-mismatch", 4)]
    assert issues[0].message == render("rubric-total-mismatch", actual="10", declared="100")


def test_unknown_key_is_reported():
    issues = _errors(MINIMAL + "colour: red\n")
    assert issues[0].code == "rubric-schema" and issues[0].line == 11


def test_yaml_syntax_error_has_a_line():
    issues = _errors(MINIMAL + "  - {id: [\n")
    assert issues[0].code == "rubric-yaml" and issues[0].line is not None


def test_duplicate_yaml_key():
    issues = _errors(MINIMAL + "title: again\n")
    assert issues[0].code == "rubric-yaml" and issues[0].line == 11


def test_step_must_divide_max():
    issues = _errors(MINIMAL.replace("max: 4}", "max: 4.5}"))
    codes = {i.code for i in issues}
    assert "rubric-step" in codes


BANDS = (
    MINIMAL
    + """\
bands:
  levels:
    - {name: 好, min: 8}
    - {name: 中, min: 5, max: 7}
    - {name: 差, below: 5}
"""
)


def test_bands_that_cover_every_score_load():
    r = parse_rubric(BANDS)
    assert [r.band_for(v) for v in (10, 8, 7, 5, 4, 0)] == ["好", "好", "中", "中", "差", "差"]


def test_band_gap_with_half_points():
    issues = _errors(BANDS.replace("total: 10", "total: 10\nstep: 0.5"))
    assert [i.code for i in issues] == ["rubric-band-gap"]
    assert issues[0].message == render("rubric-band-gap", a="中", b="好", value="7.5")


def test_band_overlap():
    issues = _errors(BANDS.replace("max: 7", "max: 8"))
    assert [i.code for i in issues] == ["rubric-band-overlap"]
    assert issues[0].fields["value"] == "8"


def test_yaml_on_key_is_not_a_boolean():
    r = parse_rubric(MINIMAL + "threshold: {on: total, min: 6}\n")
    assert r.threshold.on == "total"


def test_community_targets_from_seed_004():
    r = load_rubric("jingpin-shequ")
    assert not r.scored and r.item_count == 0
    assert [(i.target, i.unit) for i in r.indicators] == [
        (300, "平方米"),
        (200, "平方米"),
        (1000, "本"),
        (90, "%"),
        (90, "%"),
        (95, "%"),
    ]
    assert all(i.op == ">=" for i in r.indicators)


def test_a_rubric_needs_sections_or_indicators():
    issues = _errors("id: t\ntitle: t\nversion: '1'\n")
    assert issues[0].code == "rubric-schema" and "sections" in issues[0].message
