"""Counting 民主测评 ballots (issue 12): validity, quorum, anonymity, aggregation, cap."""

from __future__ import annotations

import json
import time
from fractions import Fraction

import pytest
from ballot_rounds import HEAD, MEMBERS, ROSTER

from xlsxflow.ballots.count import count_ballots, mask, outcome_dict, shown, trimmed_mean
from xlsxflow.ballots.model import Ballot
from xlsxflow.ballots.spec import load_evaluations, make_serial
from xlsxflow.messages import make_issue, render
from xlsxflow.roundfile import load_round

ITEMS = """  - id: xfg
    title: 党员先锋岗民主测评
    candidates: members.csv
    ballot: {rubric: dangyuan-xianfenggang}
    raters:
      - {id: dangyuan, label: 党员, expected: members}
    aggregate: {method: trimmed_mean, drop: 1, min_ballots: 5}
    invalid: [blank, incomplete, all_max]
    cap: "floor(党员人数 * 30 / 100)"
"""
# 002 两票制: the seed gives the five grades and the follow-up for the bottom two; the
# weights and the grade shares are this test's settings (the seed gives none).
TWO_TICKETS = """  - id: pingyi
    title: 党员民主评议
    candidates: members.csv
    ballot:
      grade:
        rules:
          - {grade: 优秀, share: 0.5, of: [优秀]}
          - {grade: 合格, share: 0.5, of: [优秀, 合格]}
        otherwise: 基本不合格
        follow_up: [基本不合格, 不合格]
        recommend: [优秀]
    raters:
      - {id: dangyuan, label: 党员, expected: 党员人数, weight: 0.6}
      - {id: qunzhong, label: 群众代表, expected: 5, weight: 0.4}
    invalid: [blank, all_same]
"""
# 004: 认知度、参与度 ≥ 90%, 满意度 ≥ 95%
SURVEY = """  - id: shequ
    title: 社区测评
    candidates: units
    ballot:
      survey:
        positive: [满意, 基本满意]
        questions:
          - {id: renzhi, label: 认知度, text: 您是否了解本社区的创建工作？, choices: [了解, 不了解], positive: [了解], target: 0.9}
          - {id: canyu, label: 参与度, text: 您是否参加过本社区的创建活动？, choices: [参加过, 没有], positive: [参加过], target: 0.9}
          - {id: manyi, label: 满意度, text: 您对本社区的创建工作是否满意？, target: 0.95}
    raters:
      - {id: jumin, label: 居民, expected: 20}
"""
KEY = b"k" * 32


def evaluation(tmp_path, body: str = ITEMS, extra: str = "", members: str = MEMBERS):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "members.csv").write_text(members, encoding="utf-8")
    path = tmp_path / "round.yaml"
    path.write_text(HEAD + body + extra, encoding="utf-8")
    evals = load_evaluations(load_round(path))
    return evals, next(iter(evals.evaluations.values()))


def ballot(ev, unit: str, group: str, n: int, answers: dict, bad: dict | None = None) -> Ballot:
    """A ballot of ``unit``: ``answers`` by member id — a number (every item that score), a
    list (item by item), a choice, or a dict by question; members not named: blank."""
    out = {}
    for m in ev.candidates[unit]:
        given = answers.get(m.member_id)
        if isinstance(given, dict):
            out[m.member_id] = {q.id: given.get(q.id) for q in ev.questions}
        elif isinstance(given, list):
            out[m.member_id] = {q.id: v for q, v in zip(ev.questions, given, strict=True)}
        else:
            out[m.member_id] = {q.id: given for q in ev.questions}
    serial = make_serial(KEY, "r", ev.id, unit, group, n)
    return Ballot(serial, ev.id, unit, group, f"{serial}.xlsx", answers=out, bad=bad or {})


def scores(total: float) -> list[float]:
    """Ten item scores adding up to ``total`` (never all full)."""
    base = 8.0 if 72 <= total <= 82 else 9.0 if total > 82 else 7.0
    first = total - 9 * base
    assert 0 <= first <= 10
    return [first] + [base] * 9


def the(outcome, member_id: str):
    return next(c for c in outcome.candidates if c.member_id == member_id)


def test_trimmed_mean_drops_the_extremes_only_with_enough_ballots():
    rule = ("trimmed_mean", 1, 5)
    assert trimmed_mean([80, 90], *rule) == 85  # 2: the mean
    assert trimmed_mean([70, 80, 96], *rule) == Fraction(246, 3)  # 3: the mean, exact
    assert trimmed_mean([60, 80, 85, 90, 100], *rule) == Fraction(255, 3)  # 5: drop 60, 100
    assert trimmed_mean([60, 80, 84, 90, 92, 100], *rule) == Fraction(346, 4)  # 6
    assert trimmed_mean([8.5, 9.5, 7.5], "mean", 1, 5) == Fraction(51, 6)


@pytest.mark.parametrize(
    ("totals", "expected", "method"),
    [
        ([80, 82, 76], Fraction(238, 3), "mean"),
        ([72, 80, 80, 81, 82], Fraction(241, 3), "trimmed_mean"),
        ([72, 80, 80, 81, 82, 73], Fraction(314, 4), "trimmed_mean"),
    ],
)
def test_the_total_is_trimmed_on_the_ballots_totals(tmp_path, totals, expected, method):
    evals, ev = evaluation(tmp_path)
    ballots = [ballot(ev, "ZB01", "dangyuan", n, {"M01": scores(t)}) for n, t in enumerate(totals)]
    c = the(count_ballots(evals, ballots), "M01")
    assert c.status == "valid" and c.groups[0].method == method
    assert c.score_exact == expected and c.groups[0].score_exact == expected
    assert shown(c.score, 2) == format(round(float(expected), 2), ".2f")
    assert c.items[ev.questions[1].id] == 8  # per item too


def test_two_ballots_are_hidden_and_give_the_plain_mean_when_k_allows(tmp_path):
    evals, ev = evaluation(tmp_path)
    ballots = [
        ballot(ev, "ZB01", "dangyuan", n, {"M01": scores(t)}) for n, t in enumerate([80, 90])
    ]
    c = the(count_ballots(evals, ballots), "M01")
    assert c.status == "hidden" and c.score is None and c.groups[0].score is None
    assert not c.groups[0].shown and c.rank is None and not c.recommended
    evals, ev = evaluation(tmp_path, extra="    anonymity: 2\n")
    ballots = [
        ballot(ev, "ZB01", "dangyuan", n, {"M01": scores(t)}) for n, t in enumerate([80, 90])
    ]
    assert the(count_ballots(evals, ballots), "M01").score == 85


def test_quorum_exactly_at_the_boundary_counts_and_one_below_does_not(tmp_path):
    evals, ev = evaluation(tmp_path, extra="    quorum: 0.6\n")  # 5 members: 3 valid needed
    three = [ballot(ev, "ZB01", "dangyuan", n, {"M01": scores(80)}) for n in range(3)]
    c = the(count_ballots(evals, three), "M01")
    assert c.status == "valid" and c.groups[0].quorum_met is True
    outcome = count_ballots(evals, three[:2])
    c = the(outcome, "M01")
    assert c.status == "no_quorum" and c.score is None
    assert c.reasons == ["测评无效（参加人数不足）"]
    p = next(p for p in outcome.participation if p.unit_id == "ZB01")
    assert (p.expected, p.returned, p.valid, p.quorum_met) == (5, 2, 2, False)


def test_each_invalid_rule_and_a_blank_that_no_rule_makes_invalid(tmp_path):
    evals, ev = evaluation(tmp_path, extra="")
    q = [x.id for x in ev.questions]
    good = scores(80)
    ballots = [
        ballot(ev, "ZB01", "dangyuan", 0, {"M01": good, "M02": good}),
        ballot(ev, "ZB01", "dangyuan", 1, {"M01": good}),  # M02 blank
        ballot(ev, "ZB01", "dangyuan", 2, {"M01": good, "M02": {q[0]: 9.0}}),  # incomplete
        ballot(ev, "ZB01", "dangyuan", 3, {"M01": good, "M02": [10.0] * 10}),  # all_max
        ballot(ev, "ZB01", "dangyuan", 4, {"M01": good, "M02": [7.0] * 10}),  # all_same: no rule
        ballot(ev, "ZB01", "dangyuan", 5, {"M01": good, "M02": good}, bad={"M02": {q[3]: "x"}}),
        ballot(ev, "ZB01", "dangyuan", 6, {}),  # a wholly blank ballot
        ballot(ev, "ZB01", "dangyuan", 7, {"M01": good, "M02": [11.0] + [8.0] * 9}),  # range
    ]
    outcome = count_ballots(evals, ballots)
    g = the(outcome, "M02").groups[0]
    assert g.returned == 8 and g.valid == 2  # 0 and the all-same one (not a rule here)
    assert g.invalid == {"blank": 2, "incomplete": 1, "all_max": 1, "bad_value": 2}
    assert the(outcome, "M01").groups[0].valid == 7  # all but the blank ballot
    assert [p.blank for p in outcome.participation if p.unit_id == "ZB01"] == [1]
    evals, ev = evaluation(tmp_path, ITEMS.replace("[blank, incomplete, all_max]", "[all_same]"))
    ballots = [
        ballot(ev, "ZB01", "dangyuan", 0, {"M01": [7.0] * 10}),
        ballot(ev, "ZB01", "dangyuan", 1, {"M01": {q[0]: 9.0}}),  # incomplete: valid here
        ballot(ev, "ZB01", "dangyuan", 2, {}),  # blank, not a rule: 弃权
    ]
    g = the(count_ballots(evals, ballots), "M01").groups[0]
    assert g.invalid == {"all_same": 1} and g.valid == 1 and g.abstained == 1


def test_two_tickets_weigh_the_groups_shares_and_grade_by_the_rules(tmp_path):
    evals, ev = evaluation(tmp_path, TWO_TICKETS)
    party = ["优秀", "优秀", "优秀", "合格", "合格"]  # M01 from 党员: 3/5 优秀
    masses = ["优秀", "合格", "合格", "合格", "基本合格"]  # from 群众代表: 1/5 优秀
    ballots = [
        ballot(ev, "ZB01", "dangyuan", n, {"M01": g, "M02": "不合格", "M03": "合格"})
        for n, g in enumerate(party)
    ] + [
        ballot(ev, "ZB01", "qunzhong", n, {"M01": g, "M02": "基本不合格", "M03": "合格"})
        for n, g in enumerate(masses)
    ]
    outcome = count_ballots(evals, ballots)
    m01 = the(outcome, "M01")
    # 0.6 × 3/5 + 0.4 × 1/5 = 0.44 优秀 (< 0.5); 优秀 + 合格: 0.6 × 1 + 0.4 × 4/5 = 0.92
    assert m01.shares["优秀"] == Fraction(44, 100)
    assert m01.grade == "合格" and not m01.follow_up and not m01.recommended
    assert m01.reasons == ["评定等次为“合格”，不在推荐等次（优秀）之内"]
    m02 = the(outcome, "M02")
    assert m02.grade == "基本不合格" and m02.follow_up  # 组织处置 (002)
    assert [g.shares["优秀"] for g in m01.groups] == [Fraction(3, 5), Fraction(1, 5)]
    # all_same across candidates: one grade for everyone on the ballot is invalid for all
    same = ballot(ev, "ZB01", "dangyuan", 9, {m.member_id: "优秀" for m in ev.candidates["ZB01"]})
    outcome = count_ballots(evals, [*ballots, same])
    assert all(c.groups[0].invalid.get("all_same") == 1 for c in outcome.of("pingyi", "ZB01"))
    # all_max: everyone the top grade; one grade for all that is not the top stays valid
    evals, ev = evaluation(tmp_path, TWO_TICKETS.replace("[blank, all_same]", "[all_max]"))
    top = ballot(ev, "ZB01", "dangyuan", 0, {m.member_id: "优秀" for m in ev.candidates["ZB01"]})
    same = ballot(ev, "ZB01", "dangyuan", 1, {m.member_id: "合格" for m in ev.candidates["ZB01"]})
    g = count_ballots(evals, [top, same]).candidates[0].groups[0]
    assert g.invalid == {"all_max": 1} and g.valid == 1


def test_the_cap_names_everyone_tied_at_the_cut(tmp_path):
    members = MEMBERS + "ZB03,M09,壬,\nZB03,M10,癸,\nZB03,M11,子,\nZB03,M12,丑,\n"
    body = ITEMS.replace("floor(党员人数 * 30 / 100)", "2")
    evals, ev = evaluation(tmp_path, body, "    threshold: 75\n", members=members)
    totals = {"M09": 85, "M10": 80, "M11": 80, "M12": 74}
    ballots = [ballot(ev, "ZB03", "dangyuan", n, {m: scores(t) for m, t in totals.items()}) for n in range(4)]  # fmt: skip
    outcome = count_ballots(evals, ballots)
    got = {c.member_id: (c.rank, c.within_cap, c.tie_at_cut, c.recommended) for c in outcome.of("xfg", "ZB03")}  # fmt: skip
    assert got == {
        "M09": (1, True, False, True),
        "M10": (2, True, True, False),
        "M11": (2, True, True, False),
        "M12": (4, False, False, False),
    }
    assert the(outcome, "M10").reasons == ["与其他 1 人并列于名额线（名额 2 名），由党委决定"]
    assert the(outcome, "M12").reasons == ["得分 74.00 低于推荐分数线 75 分", "排名第 4，超出名额（2 名）"]  # fmt: skip


def test_a_tie_below_the_threshold_is_not_put_to_the_committee(tmp_path):
    members = MEMBERS + "ZB03,M09,壬,\nZB03,M10,癸,\nZB03,M11,子,\nZB03,M12,丑,\n"
    body = ITEMS.replace("floor(党员人数 * 30 / 100)", "2")
    evals, ev = evaluation(tmp_path, body, "    threshold: 82\n", members=members)
    totals = {"M09": 85, "M10": 80, "M11": 80, "M12": 74}
    ballots = [ballot(ev, "ZB03", "dangyuan", n, {m: scores(t) for m, t in totals.items()}) for n in range(4)]  # fmt: skip
    outcome = count_ballots(evals, ballots)
    assert [(c.within_cap, c.tie_at_cut) for c in outcome.of("xfg", "ZB03")][1:3] == [(True, False)] * 2  # fmt: skip
    assert the(outcome, "M10").reasons == ["得分 80.00 低于推荐分数线 82 分"]


def test_survey_rates_against_the_seed_004_targets(tmp_path):
    evals, ev = evaluation(tmp_path, SURVEY)
    answers = []
    for n in range(20):
        answers.append(
            {
                "renzhi": "了解" if n < 18 else "不了解",  # 90%: met exactly
                "canyu": "参加过" if n < 17 else "没有",  # 85%: not met
                "manyi": "满意" if n < 15 else "基本满意" if n < 19 else "不满意",  # 95%
            }
        )
    ballots = [ballot(ev, "ZB01", "jumin", n, {"ZB01": a}) for n, a in enumerate(answers)]
    outcome = count_ballots(evals, ballots)
    c = the(outcome, "ZB01")
    assert c.rates == {"renzhi": Fraction(9, 10), "canyu": Fraction(17, 20), "manyi": Fraction(19, 20)}  # fmt: skip
    assert c.targets_met == {"renzhi": True, "canyu": False, "manyi": True}
    assert c.reasons == ["参与度 85.00% 未达到 90.00%"] and not c.recommended
    # ZB02 and ZB03 returned nothing: a warning each, status no_ballots
    warned = [w for w in outcome.warnings if w.code == "count-no-ballots"]
    assert [w.fields["unit"] for w in warned] == ["第二支部", "第三支部"]
    assert the(outcome, "ZB02").status == "no_ballots"


def test_more_ballots_than_expected_is_a_warning(tmp_path):
    evals, ev = evaluation(tmp_path)
    ballots = [ballot(ev, "ZB02", "dangyuan", n, {"M06": scores(80)}) for n in range(4)]
    outcome = count_ballots(evals, [*ballots, ballots[0]])
    assert outcome.warnings[0] == make_issue("count-duplicate-serial", file=ballots[0].file)
    assert the(outcome, "M06").groups[0].returned == 4
    assert make_issue(
        "count-more-than-expected",
        evaluation="党员先锋岗民主测评",
        unit="第二支部",
        group="党员",
        returned=4,
        expected=3,
    ) in outcome.warnings  # fmt: skip


def test_the_json_never_carries_a_hidden_result(tmp_path):
    evals, ev = evaluation(tmp_path)
    # ZB01: 4 valid ballots (shown); ZB02: 2 valid (hidden, k = 3) with a telltale total
    ballots = [ballot(ev, "ZB01", "dangyuan", n, {"M01": scores(80)}) for n in range(4)]
    ballots += [ballot(ev, "ZB02", "dangyuan", n, {"M06": scores(73.5)}) for n in range(2)]
    data = outcome_dict(count_ballots(evals, ballots))
    text = json.dumps(data, ensure_ascii=False)
    assert "73.5" not in text and "1.5" not in text  # the total, the odd item
    hidden = next(c for c in data["candidates"] if c["member_id"] == "M06")
    assert hidden["status"] == "hidden" and "score" not in hidden
    assert "score" not in hidden["groups"][0] and hidden["groups"][0]["valid"] == 2
    shown_one = next(c for c in data["candidates"] if c["member_id"] == "M01")
    assert shown_one["score"] == "80.00" and shown_one["rank"] == 1


def test_mask_hides_what_a_ballot_said():
    issue = make_issue("value-out-of-range", file="a.xlsx", sheet="测评票", cell="C5", label="第1项", value=12, max=10)  # fmt: skip
    masked = mask(issue)
    assert masked.message == render("value-out-of-range", label="第1项", value="＊", max=10)
    assert (masked.file, masked.sheet, masked.cell) == ("a.xlsx", "测评票", "C5")


def test_counting_is_fast(tmp_path):
    """20 branches × 50 raters × 10 candidates × 10 items: well under 1 ms a ballot."""
    roster = "单位编号,单位名称,党员人数\n" + "".join(f"B{u:03},支部{u},10\n" for u in range(20))
    members = "支部编号,党员编号,姓名\n" + "".join(
        f"B{u:03},P{u:03}{m},人{u}{m}\n" for u in range(20) for m in range(10)
    )
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    (tmp_path / "members.csv").write_text(members, encoding="utf-8")
    body = ITEMS.replace("expected: members", "expected: 50")
    (tmp_path / "round.yaml").write_text(HEAD + body, encoding="utf-8")
    evals = load_evaluations(load_round(tmp_path / "round.yaml"))
    ev = evals.evaluations["xfg"]
    ballots = [
        ballot(
            ev,
            u.unit_id,
            "dangyuan",
            n,
            {
                m.member_id: [float((n + i + j) % 11) for j in range(10)]
                for i, m in enumerate(ev.candidates[u.unit_id])
            },
        )  # fmt: skip
        for u in ev.units
        for n in range(50)
    ]
    start = time.process_time()  # CPU time: other work on the machine does not count
    outcome = count_ballots(evals, ballots)
    per_ballot = (time.process_time() - start) / len(ballots)
    assert len(outcome.candidates) == 200 and per_ballot < 0.001
