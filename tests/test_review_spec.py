"""The round file's review section (issue 11, first part): reviewers, assignment, combining."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from xlsxflow.cli import main
from xlsxflow.messages import XlsxflowError, make_issue, render
from xlsxflow.review import (
    Gap,
    combine,
    decision_score,
    disagreements,
    gap_flags,
    load_review,
    load_reviewers,
    round_to_step,
)
from xlsxflow.roundfile import load_round, shipped_rounds_dir, uncomment_review
from xlsxflow.rubric import shipped_dir

ROSTER = "单位编号,单位名称,主管单位\nA,甲局,\nA1,甲局一中心,A\nA2,甲局二中心,A\nB,乙局,\nC,丙局,\n"
REVIEWERS = (
    "评审人编号,姓名,邮箱,测评组\n"
    "R01,林晓文,r01@example.org,第一测评组\n"
    "R02,周建华,,第一测评组\n"
    "R03,许丽萍,r03@example.org,第二测评组\n"
)
HEAD = """title: 测试轮
year: 2026
roster: roster.csv
forms:
  - id: hongqi
    title: 红旗党支部
    rubric: hongqi-dangzhibu
"""
ASSIGN = """      assign:
        by_group:
          第一测评组: [A]
          第二测评组: [B]
"""
REVIEW = (
    """    review:
      reviewers: reviewers.csv
"""
    + ASSIGN
    + """      combine: trimmed_mean
      trim_min: 3
      rounding: {step: 0.5, rule: half_up}
      basis: composite
      weights: {self: 0.3, review: 0.7}
      threshold: 85
      gap: {item: 2, total: 5}
      spread: 3
      confirm_prerequisites: false
"""
)


def write_round(tmp_path, review: str = REVIEW, reviewers: str = REVIEWERS):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "reviewers.csv").write_text(reviewers, encoding="utf-8")
    path = tmp_path / "round.yaml"
    path.write_text(HEAD + review, encoding="utf-8")
    return path


def issues_of(call) -> list:
    with pytest.raises(XlsxflowError) as info:
        call()
    return info.value.issues


def line_of(path, text: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# -- loading end to end -------------------------------------------------------------------


def test_an_active_review_section_loads_and_resolves(tmp_path):
    rnd = load_round(write_round(tmp_path))
    spec = rnd.form("hongqi").review
    assert spec.combine == "trimmed_mean" and spec.weights.self_weight == 0.3
    review = load_review(rnd)
    # a 主管单位 id brings the units under it
    for unit_id in ("A", "A1", "A2"):
        assert [r.reviewer_id for r in review.reviewers_of(unit_id, "hongqi")] == ["R01", "R02"]
    assert [r.name for r in review.reviewers_of("B", "hongqi")] == ["许丽萍"]
    assert [u.unit_id for u in review.units_of("R01", "hongqi")] == ["A", "A1", "A2"]
    assert [u.unit_id for u in review.units_of("R03", "hongqi")] == ["B"]
    assert review.reviewers_of("A", "other") == [] and review.units_of("R01", "other") == []
    assert [u.unit_id for u in review.unassigned("hongqi")] == ["C"]
    expected = make_issue(
        "review-unit-unassigned",
        file="round.yaml",
        line=line_of(rnd.path, "assign:"),
        form="红旗党支部",
        unit="丙局",
        id="C",
    )
    assert [str(w) for w in review.warnings] == [str(expected)]


def test_assign_all_and_explicit_units(tmp_path):
    rnd = load_round(write_round(tmp_path, REVIEW.replace(ASSIGN, "      assign: all\n")))
    review = load_review(rnd)
    assert all(len(review.reviewers_of(u.unit_id, "hongqi")) == 3 for u in rnd.roster)
    assert review.warnings == []
    explicit = "      assign:\n        units: {A: [R01, R03], C: [R02]}\n"
    rnd = load_round(write_round(tmp_path, REVIEW.replace(ASSIGN, explicit)))
    review = load_review(rnd)
    assert [r.reviewer_id for r in review.reviewers_of("A", "hongqi")] == ["R01", "R03"]
    assert review.reviewers_of("A1", "hongqi") == []  # explicit means only the unit listed
    assert {w.fields["id"] for w in review.warnings} == {"A1", "A2", "B"}


def test_the_review_section_does_not_change_the_signed_hash(tmp_path):
    with_review = load_round(write_round(tmp_path)).content_hash
    without = load_round(write_round(tmp_path, review="")).content_hash
    assert with_review == without


def uncommented(name: str) -> str:
    """A shipped round with its commented review example switched on."""
    return uncomment_review((shipped_rounds_dir() / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["sanchuang", "dangzhibu", "xingji"])
def test_the_shipped_commented_examples_are_valid_and_leave_the_hash_alone(tmp_path, name):
    shipped = load_round(name)
    assert all(f.review is None for f in shipped.spec.forms)  # shipped behaviour unchanged
    path = tmp_path / f"{name}.yaml"
    samples = shipped_dir("samples").as_posix() + "/"
    path.write_text(uncommented(name).replace("../../samples/", samples), encoding="utf-8")
    rnd = load_round(path)
    review = load_review(rnd)
    assert rnd.content_hash == shipped.content_hash
    (form,) = [f for f in rnd.spec.forms if f.review]
    assert review.forms[form.id].spec == form.review
    assert review.warnings == []  # every unit receiving the form has a reviewer
    units = review.forms[form.id].units
    assert units and all(review.reviewers_of(u.unit_id, form.id) for u in units)


def test_init_copies_the_sample_reviewers_and_check_prints_the_review(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--round", "dangzhibu", "r.yaml"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reviewers.csv").exists() and "示例评审人名单" in result.output
    text = (tmp_path / "r.yaml").read_text(encoding="utf-8")
    assert "#   reviewers: reviewers.csv" in text  # shown, commented
    result = runner.invoke(main, ["round", "check", "r.yaml"])
    assert result.exit_code == 0 and "评审 review" not in result.output
    lines = [
        "    " + line[6:] if re.match(r"^    # (review:|  )", line) else line
        for line in text.splitlines()
    ]
    (tmp_path / "r.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["round", "check", "r.yaml"])
    assert result.exit_code == 0, result.output
    assert "评审 review：红旗党支部（hongqi）" in result.output
    assert "每位评审人评审每个单位" in result.output
    assert "至少 5 个评分时去掉一个最高分和一个最低分再平均，不足 5 个时取平均值" in result.output


def test_round_check_prints_the_review_in_plain_chinese(tmp_path):
    path = write_round(tmp_path)
    result = CliRunner().invoke(main, ["round", "check", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in [
        "评审 review：红旗党支部（hongqi）",
        "评审人：reviewers.csv，3 人（第一测评组 2 人、第二测评组 1 人）",
        "按测评组（主管单位含其下属单位）：第一测评组 → A；第二测评组 → B",
        "参加本表的 5 个单位，每个单位 0–2 名评审人",
        "至少 3 个评分时去掉一个最高分和一个最低分再平均，不足 3 个时取平均值；按0.5 分四舍五入",
        "决定依据：综合分 = 自评分 × 0.3 + 实评分 × 0.7",
        "命名门槛：综合分达到 85 分（申报条件仍按评分表，用自评分）",
        "自评虚高：单项自评分比实评分多出超过 2 分，或合计多出超过 5 分时标出（等于不标）",
        "相差超过 3 分时列出，供测评组讨论",
        "评审人确认：否决事项（属实/不属实）",
        "没有评审人的单位（1 个）：",
        "C 丙局",
    ]:
        assert expected in out, expected
    assert "申报条件" not in out.split("评审人确认：")[1].splitlines()[0]


# -- the section's schema and meaning, with lines ---------------------------------------------


def test_unknown_keys_are_errors_with_their_line(tmp_path):
    path = write_round(tmp_path, REVIEW + "      colour: red\n")
    (issue,) = issues_of(lambda: load_round(path))
    assert (issue.code, issue.line) == ("round-schema", line_of(path, "colour:"))
    path = write_round(tmp_path, REVIEW.replace("rule: half_up", "rule: up"))
    (issue,) = issues_of(lambda: load_round(path))
    assert (issue.code, issue.line) == ("round-schema", line_of(path, "rounding:"))


def test_a_wrong_assign_says_the_three_ways(tmp_path):
    path = write_round(tmp_path, REVIEW.replace(ASSIGN, "      assign: everyone\n"))
    (issue,) = issues_of(lambda: load_round(path))
    assert issue.line == line_of(path, "assign:") and "by_group" in issue.message


def test_composite_without_weights_is_refused_naming_the_basis_line(tmp_path):
    path = write_round(tmp_path, REVIEW.replace("      weights: {self: 0.3, review: 0.7}\n", ""))
    (issue,) = issues_of(lambda: load_round(path))
    assert str(issue) == str(
        make_issue("review-weights-missing", file="round.yaml", line=line_of(path, "basis:"))
    )


def test_weights_must_sum_to_one_and_name_both(tmp_path):
    path = write_round(tmp_path, REVIEW.replace("review: 0.7}", "review: 0.6}"))
    (issue,) = issues_of(lambda: load_round(path))
    assert (issue.code, issue.line) == ("review-weights-sum", line_of(path, "weights:"))
    assert issue.message == render("review-weights-sum", total=Decimal("0.9"))
    path = write_round(tmp_path, REVIEW.replace("{self: 0.3, review: 0.7}", "{self: 1}"))
    (issue,) = issues_of(lambda: load_round(path))  # a missing weight: no default
    assert (issue.code, issue.line) == ("round-schema", line_of(path, "weights:"))
    assert "review" in issue.message


def test_settings_for_another_method_are_errors(tmp_path):
    path = write_round(tmp_path, REVIEW.replace("basis: composite", "basis: review"))
    (issue,) = issues_of(lambda: load_round(path))
    assert (issue.code, issue.line) == ("review-weights-unused", line_of(path, "weights:"))
    path = write_round(tmp_path, REVIEW.replace("combine: trimmed_mean", "combine: median"))
    (issue,) = issues_of(lambda: load_round(path))
    assert str(issue) == str(
        make_issue(
            "review-trim-unused",
            file="round.yaml",
            line=line_of(path, "trim_min"),
            combine="median",
        )
    )


@pytest.mark.parametrize(
    "old,new,code,field,value",
    [
        ("第一测评组: [A]", "第三测评组: [A]", "review-unknown-group", "group", "第三测评组"),
        ("第二测评组: [B]", "第二测评组: [B, X9]", "review-unknown-unit", "id", "X9"),
    ],
)
def test_references_that_do_not_exist_name_the_line(tmp_path, old, new, code, field, value):
    path = write_round(tmp_path, REVIEW.replace(old, new))
    rnd = load_round(path)
    (issue,) = issues_of(lambda: load_review(rnd))
    assert (issue.code, issue.line, issue.fields[field]) == (code, line_of(path, new[:5]), value)


def test_explicit_units_name_unknown_reviewers_and_units(tmp_path):
    explicit = "      assign:\n        units:\n          A: [R01, R99]\n          Z: [R01]\n"
    path = write_round(tmp_path, REVIEW.replace(ASSIGN, explicit))
    issues = issues_of(lambda: load_review(load_round(path)))
    names = {"reviewers": "reviewers.csv", "roster": "roster.csv"}
    assert [str(i) for i in issues] == [
        str(
            make_issue(
                "review-unknown-reviewer",
                file="round.yaml",
                line=line_of(path, "A: [R01, R99]"),
                id="R99",
                **names,
            )
        ),
        str(
            make_issue(
                "review-unknown-unit",
                file="round.yaml",
                line=line_of(path, "Z: [R01]"),
                id="Z",
                **names,
            )
        ),
    ]


def test_a_missing_reviewers_file_names_the_round_line(tmp_path):
    path = write_round(tmp_path, REVIEW.replace("reviewers.csv", "nobody.csv"))
    (issue,) = issues_of(lambda: load_review(load_round(path)))
    assert (issue.code, issue.line) == ("reviewers-unreadable", line_of(path, "nobody.csv"))
    result = CliRunner().invoke(main, ["round", "check", str(path)])
    assert result.exit_code == 2 and "nobody.csv" in result.output
    assert "Traceback" not in result.output


# -- the reviewers file ------------------------------------------------------------------


def test_reviewers_from_gbk_csv_and_xlsx(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(REVIEWERS.encode("gbk"))
    book = tmp_path / "r.xlsx"
    wb = Workbook()
    for row in REVIEWERS.splitlines():
        wb.active.append(row.split(","))
    wb.save(book)
    for path in (gbk, book):
        reviewers = load_reviewers(path)
        assert [(r.reviewer_id, r.name, r.group, r.row) for r in reviewers] == [
            ("R01", "林晓文", "第一测评组", 2),
            ("R02", "周建华", "第一测评组", 3),
            ("R03", "许丽萍", "第二测评组", 4),
        ]
        assert list(reviewers.groups()) == ["第一测评组", "第二测评组"]
    english = tmp_path / "en.csv"
    english.write_text("reviewer_id,name,group\nR1,Ann,g1\n", encoding="utf-8")
    assert load_reviewers(english).get("R1").group == "g1"


def test_bad_reviewer_rows_are_named(tmp_path):
    path = tmp_path / "reviewers.csv"
    path.write_text(
        "评审人编号,姓名,邮箱,测评组\n"
        "R01,林晓文,r01@example.org,第一测评组\n"
        ",无编号,,\n"
        "R01,重复,,\n"
        "R04,许丽萍,not-an-email,\n"
        "R05,,,\n"
        "R 6,空格,,\n",
        encoding="utf-8",
    )
    issues = issues_of(lambda: load_reviewers(path))
    f = "reviewers.csv"
    assert [str(i) for i in issues] == [
        str(make_issue("reviewers-empty-id", file=f, line=3)),
        str(make_issue("reviewers-duplicate-id", file=f, line=4, id="R01", first_row=2)),
        str(make_issue("reviewers-bad-email", file=f, line=5, id="R04", email="not-an-email")),
        str(make_issue("reviewers-empty-name", file=f, line=6, id="R05")),
        str(make_issue("reviewers-bad-id", file=f, line=7, id="R 6")),
    ]


def test_a_reviewers_file_needs_id_and_name_columns(tmp_path):
    path = tmp_path / "reviewers.csv"
    path.write_text("编号,邮箱\nR01,a@example.org\n", encoding="utf-8")
    (issue,) = issues_of(lambda: load_reviewers(path))
    assert issue.message == render("reviewers-missing-column", column="姓名")
    path.write_text("", encoding="utf-8")
    (issue,) = issues_of(lambda: load_reviewers(path))
    assert issue.code == "reviewers-empty"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    (issue,) = issues_of(lambda: load_reviewers(broken))
    assert issue.code == "reviewers-unreadable"


# -- the computations ----------------------------------------------------------------------


def test_trimmed_mean_with_two_three_and_five_reviewers():
    two = combine([8, 10], "trimmed_mean", trim_min=3, step=0.5)
    assert (two.value, two.method, two.dropped) == (Decimal("9"), "mean", ())
    assert two.note.message == render("review-trim-fallback", count=2, trim_min=3)
    three = combine([6, 9, 10], "trimmed_mean", trim_min=3, step=0.5)
    assert (three.value, three.method) == (Decimal("9"), "trimmed_mean")
    assert three.dropped == (Decimal(10), Decimal(6)) and three.note is None
    five = combine([10, 7, 8, 9, 3], "trimmed_mean", trim_min=5, step=0.5)
    assert (five.exact, five.value, five.dropped) == (Fraction(8), Decimal("8"), (10, 3))
    fewer = combine([10, 7, 8, 9], "trimmed_mean", trim_min=5, step=0.5)  # below 5: the mean
    assert (fewer.exact, fewer.value, fewer.method) == (Fraction(17, 2), Decimal("8.5"), "mean")


def test_median_with_an_even_count_averages_the_middle_two():
    assert combine([7, 9, 10, 3], "median", step=1).exact == Fraction(8)
    result = combine([7, 8, 10, 3], "median", step=1)
    assert (result.exact, result.value) == (Fraction(15, 2), Decimal("8"))  # 7.5 → 8 四舍五入
    assert combine([7, 8, 10], "median").value == Decimal("8")


@pytest.mark.parametrize(
    "value,step,rule,expected",
    [
        ("8.25", 0.5, "half_up", "8.5"),
        ("8.75", 0.5, "half_up", "9"),
        ("8.24", 0.5, "half_up", "8"),
        ("8.5", 1, "half_up", "9"),
        ("8.25", 0.5, "half_even", "8"),
        ("8.75", 0.5, "half_even", "9"),
        ("8.5", 1, "half_even", "8"),
        ("8.125", 0.01, "half_up", "8.13"),
        ("-2.25", 0.5, "half_up", "-2.5"),
    ],
)
def test_rounding_to_the_step(value, step, rule, expected):
    assert round_to_step(Decimal(value), step, rule) == Decimal(expected)


def test_a_mean_at_a_quarter_rounds_up_to_the_half_point():
    assert combine([8, 8.5], "mean", step=0.5).value == Decimal("8.5")  # 8.25
    assert combine([8.5, 9], "mean", step=0.5).value == Decimal("9")  # 8.75
    assert combine([0.1, 0.2], "mean", step=0.05).exact == Fraction(3, 20)  # exact decimals
    with pytest.raises(ValueError):
        combine([], "mean")


def test_decision_score_self_review_and_composite():
    assert decision_score(92, 86.5, "self") == Decimal(92)
    assert decision_score(92, 86.5, "review") == Decimal("86.5")
    assert decision_score(92, None, "review") is None  # not reviewed yet
    weights = {"self": 0.3, "review": 0.7}
    assert decision_score(92, 86.5, "composite", weights) == Decimal("88.15")
    assert decision_score(92, None, "composite", weights) is None
    (issue,) = issues_of(lambda: decision_score(92, 86.5, "composite"))
    assert issue.message == render("review-weights-missing")
    (issue,) = issues_of(lambda: decision_score(92, 86.5, "composite", {"self": 1}))
    assert issue.code == "review-weights-missing"
    (issue,) = issues_of(lambda: decision_score(92, 86, "composite", {"self": 0.5, "review": 0.6}))
    assert issue.message == render("review-weights-sum", total=Decimal("1.1"))


def test_gap_flags_per_item_and_in_total():
    self_items = {"i1": 12, "i2": 12, "i3": 14, "i4": 10}
    review_items = {"i1": 9, "i2": 10, "i3": 13.5, "i4": 10}
    flags = gap_flags(self_items, review_items, Gap(item=2, total=5.5))  # 48 − 42.5 = 5.5
    assert [(f.item_id, f.difference) for f in flags] == [("i1", 3)]  # i2: exactly 2, not above
    flags = gap_flags(self_items, review_items, {"item": 2, "total": 5.4})
    assert [(f.item_id, f.difference, f.limit) for f in flags] == [
        ("i1", 3, 2),
        ("", Decimal("5.5"), Decimal("5.4")),
    ]
    assert gap_flags(self_items, review_items, Gap()) == []
    (total,) = gap_flags(self_items, {"i1": 9}, {"total": 2})  # only items scored on both sides
    assert (total.item_id, total.self_score, total.review_score) == ("", 12, 9)


def test_disagreements_beyond_the_spread():
    scores = {
        "R01": {"i1": 10, "i2": 8, "i3": 6},
        "R02": {"i1": 6, "i2": 7.5, "i3": 9},
        "R03": {"i1": 9, "i2": 8},
    }
    found = disagreements(scores, 3)
    assert [(d.item_id, d.low, d.high, d.difference) for d in found] == [("i1", 6, 10, 4)]
    assert found[0].scores == {"R01": 10, "R02": 6, "R03": 9}
    assert [d.item_id for d in disagreements(scores, 2.5)] == ["i1", "i3"]
    assert disagreements(scores, None) == []
    assert disagreements({"R01": {"i1": 1}}, 0) == []  # one reviewer cannot disagree


def test_a_review_on_a_form_with_nothing_to_score_names_its_line(tmp_path):
    """文明标兵 is an application form only: reviewers would get an empty score table."""
    lines = uncommented("sanchuang").splitlines()
    at = next(i for i, line in enumerate(lines) if "application: shenbao-biaobing" in line) + 1
    lines[at:at] = ["    review:", "      reviewers: reviewers.csv"]
    samples = shipped_dir("samples").as_posix() + "/"
    path = tmp_path / "round.yaml"
    path.write_text("\n".join(lines).replace("../../samples/", samples) + "\n", encoding="utf-8")
    (tmp_path / "reviewers.csv").write_text(REVIEWERS, encoding="utf-8")
    with pytest.raises(XlsxflowError) as caught:
        load_round(path)
    (issue,) = [i for i in caught.value.issues if i.code == "review-form-not-scored"]
    assert issue.line == at + 1 and "文明标兵" in issue.message


def test_init_of_the_star_levels_round_copies_its_reviewers(tmp_path, monkeypatch):
    """xingji's commented review names samples/reviewers-shequ.csv (街道考核组, 县验收组):
    init copies it, and the review switched on checks with both groups."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--round", "xingji", "r.yaml"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reviewers-shequ.csv").exists() and not (tmp_path / "reviewers.csv").exists()
    text = uncomment_review((tmp_path / "r.yaml").read_text(encoding="utf-8"))
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["round", "check", "r.yaml"])
    assert result.exit_code == 0, result.output
    assert "评审人：reviewers-shequ.csv，3 人（街道考核组 2 人、县验收组 1 人）" in result.output
