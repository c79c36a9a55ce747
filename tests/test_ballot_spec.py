"""The round file's evaluations section (issue 12): candidates, raters, caps, serials."""

from __future__ import annotations

import pytest
from ballot_rounds import HEAD, MEMBERS, ROSTER

from xlsxflow.ballots.spec import (
    SERIAL_ALPHABET,
    check_serial,
    issued_serials,
    load_evaluations,
    make_serial,
    normalise_serial,
    short_title,
)
from xlsxflow.messages import XlsxflowError, make_issue
from xlsxflow.roundfile import load_round

ITEMS = """  - id: xfg
    title: 党员先锋岗民主测评
    candidates: members.csv
    ballot: {rubric: dangyuan-xianfenggang}
    raters:
      - {id: dangyuan, label: 党员, expected: members}
    aggregate: {method: trimmed_mean, drop: 1, min_ballots: 5}
    quorum: 0.5
    cap: "floor(党员人数 * 30 / 100)"
"""
TWO_TICKETS = """  - id: pingyi
    title: 党员民主评议
    candidates: members.csv
    ballot:
      grade:
        rules:
          - {grade: 优秀, share: 0.5, of: [优秀]}
          - {grade: 合格, share: 0.5, of: [优秀, 合格]}
        otherwise: 基本合格
        follow_up: [基本不合格, 不合格]
    raters:
      - {id: dangyuan, label: 党员, expected: 党员人数, weight: 0.6}
      - {id: qunzhong, label: 群众代表, expected: 5, weight: 0.4}
"""
SURVEY = """  - id: manyi
    title: 群众满意度测评
    candidates: units
    ballot:
      survey:
        positive: [满意, 基本满意]
        questions:
          - {id: manyi, label: 满意度, text: 您对本支部的服务是否满意？, target: 0.95}
    raters:
      - {id: qunzhong, label: 群众, expected: 10}
"""


def write_round(tmp_path, body: str = ITEMS, members: str = MEMBERS):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "members.csv").write_text(members, encoding="utf-8")
    path = tmp_path / "round.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def issues_of(call) -> list:
    with pytest.raises(XlsxflowError) as info:
        call()
    return info.value.issues


def line_of(path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_party_branch_round_evaluates_every_member_of_its_branch():
    ev = load_evaluations(load_round("dangzhibu")).evaluations["xianfenggang"]
    assert ev.kind == "items" and len(ev.questions) == 10
    assert [q.max for q in ev.questions] == [10.0] * 10  # the seed's 测评表: 10 × 10
    assert ev.questions[0].short == "道德高尚"
    assert sum(len(m) for m in ev.candidates.values()) == 88
    # every member rates: expected = the branch's members, the same as its 党员人数
    for unit in ev.units:
        assert ev.expected[(unit.unit_id, "dangyuan")] == int(unit.extra["党员人数"])
    # 三.1: at most 30% of the branch's members, rounded down: a branch of 3 gets none
    assert ev.caps == {
        "ZB01": 3, "ZB02": 3, "ZB03": 2, "ZB04": 2, "ZB05": 6,
        "ZB06": 1, "ZB07": 0, "ZB08": 1, "ZB09": 4,
    }  # fmt: skip


def test_units_with_no_candidates_take_no_part(tmp_path):
    ev = load_evaluations(load_round(write_round(tmp_path))).evaluations["xfg"]
    assert [u.unit_id for u in ev.units] == ["ZB01", "ZB02"]
    assert ev.caps == {"ZB01": 1, "ZB02": 0}
    assert [m.name for m in ev.candidates["ZB01"]] == ["甲", "乙", "丙", "丁", "戊"]


def test_two_tickets_take_expected_raters_from_a_column_or_a_number(tmp_path):
    ev = load_evaluations(load_round(write_round(tmp_path, TWO_TICKETS))).evaluations["pingyi"]
    assert ev.kind == "grade"
    assert ev.questions[0].choices == ("优秀", "合格", "基本合格", "基本不合格", "不合格")
    assert ev.expected[("ZB01", "dangyuan")] == 5 and ev.expected[("ZB02", "qunzhong")] == 5


def test_a_survey_of_the_units_makes_each_unit_its_own_candidate(tmp_path):
    ev = load_evaluations(load_round(write_round(tmp_path, SURVEY))).evaluations["manyi"]
    assert [u.unit_id for u in ev.units] == ["ZB01", "ZB02", "ZB03"]
    assert [m.name for m in ev.candidates["ZB03"]] == ["第三支部"]
    assert ev.questions[0].positive == ("满意", "基本满意") and ev.questions[0].target == 0.95


def test_two_rater_groups_need_weights_the_seed_does_not_give(tmp_path):
    body = TWO_TICKETS.replace(", weight: 0.6", "")
    path = write_round(tmp_path, body)
    issues = issues_of(lambda: load_round(path))
    assert issues == [
        make_issue(
            "evaluation-weights-missing", file="round.yaml", line=line_of(path, "raters:"),
            groups="党员",
        )
    ]  # fmt: skip
    path = write_round(tmp_path, TWO_TICKETS.replace("weight: 0.4", "weight: 0.5"))
    assert [i.code for i in issues_of(lambda: load_round(path))] == ["evaluation-weights-sum"]


def test_a_grade_rule_must_name_a_grade_of_the_ballot(tmp_path):
    path = write_round(tmp_path, TWO_TICKETS.replace("otherwise: 基本合格", "otherwise: 一般"))
    (issue,) = issues_of(lambda: load_round(path))
    assert issue.code == "evaluation-schema" and "一般" in issue.message


def test_a_trimmed_mean_must_leave_a_ballot(tmp_path):
    path = write_round(tmp_path, ITEMS.replace("min_ballots: 5", "min_ballots: 2"))
    (issue,) = issues_of(lambda: load_round(path))
    assert issue.code == "round-schema" and issue.line == line_of(path, "aggregate:")


def test_members_file_problems_name_the_row(tmp_path):
    members = MEMBERS + "ZB09,M09,壬,\nZB01,M01,癸,\n"
    path = write_round(tmp_path, members=members)
    rnd = load_round(path)
    assert [(i.code, i.line) for i in issues_of(lambda: load_evaluations(rnd))] == [
        ("members-unknown-unit", 10),
        ("members-duplicate-id", 11),
    ]


def test_a_cap_that_is_not_a_count_names_the_unit(tmp_path):
    path = write_round(tmp_path, ITEMS.replace("floor(党员人数 * 30 / 100)", "党员人数 * 0.3"))
    rnd = load_round(path)
    issues = issues_of(lambda: load_evaluations(rnd))
    assert {i.code for i in issues} == {"evaluation-cap-bad"}
    assert issues[0].line == line_of(path, "cap:") and "第一支部" in issues[0].message


def test_serials_are_signed_for_their_unit_and_group_and_typed_leniently():
    key, other = b"k" * 32, b"o" * 32
    serials = issued_serials(key, "R1", "xfg", "ZB01", "dangyuan", 50)
    assert len(set(serials)) == 50  # each ballot its own serial
    assert serials == issued_serials(key, "R1", "xfg", "ZB01", "dangyuan", 50)  # re-generated
    for serial in serials:
        assert len(serial) == 14 and serial.count("-") == 2
        assert set(serial.replace("-", "")) <= set(SERIAL_ALPHABET)
        assert check_serial(key, serial, "R1", "xfg", "ZB01", "dangyuan")
        assert not check_serial(key, serial, "R1", "xfg", "ZB02", "dangyuan")  # another branch
        assert not check_serial(key, serial, "R1", "xfg", "ZB01", "qunzhong")  # another group
        assert not check_serial(other, serial, "R1", "xfg", "ZB01", "dangyuan")  # another key
    typed = serials[0].lower().replace("-", " ").replace("0", "o")
    assert normalise_serial(typed) == serials[0]
    assert normalise_serial("ABC") is None and normalise_serial("UUUU-UUUU-UUUU") is None
    forged = serials[0][:-1] + ("0" if serials[0][-1] != "0" else "1")
    assert not check_serial(key, forged, "R1", "xfg", "ZB01", "dangyuan")
    assert make_serial(key, "R2", "xfg", "ZB01", "dangyuan", 0) != serials[0]  # another round


def test_item_headings_are_short():
    assert short_title("做为民服务的模范。牢固树立宗旨观念", 2) == "为民服务"
    assert short_title("党建工作责任制落实到位，书记抓党建", 3) == "第3项"
