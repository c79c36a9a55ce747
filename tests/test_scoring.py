"""Rules and ranking: thresholds, vetoes, bands, and ties (1, 2, 2, 4)."""

from __future__ import annotations

import pytest

from xlsxflow.roster import Roster, Unit
from xlsxflow.rubric import load_rubric
from xlsxflow.scoring import compute_totals, evaluate, rank
from xlsxflow.submission import Submission

DANWEI = load_rubric("wenming-danwei")
STARS = load_rubric("wuxing-dangzhibu")
ROSTER = Roster(
    [
        Unit("P", "主管"),
        Unit("A", "甲", parent="P"),
        Unit("B", "乙"),
        Unit("C", "丙"),
        Unit("D", "丁"),
    ]
)


def sub(
    rubric, unit="A", minus: float = 0, bonus: dict | None = None, veto: str | None = None, errors=0
):
    """Full marks minus ``minus`` points taken from the first item."""
    scores = {i.id: i.max for _, i in rubric.items()}
    first = next(iter(scores))
    scores[first] -= minus
    decls = {d.id: ("是" if d.id == veto else "否") for d in rubric.declarations}
    return Submission(
        unit, rubric.id, scores=scores, bonus=bonus or {}, declarations=decls, errors=errors
    )


def test_totals_with_bonus_highest_only():
    s = sub(DANWEI, minus=2, bonus={"b_national": 6, "b_provincial": 4, "b_municipal": 0})
    totals = compute_totals(DANWEI, s)
    assert (totals["sub_s1"], totals["subtotal"], totals["bonus"], totals["total"]) == (
        13,
        98,
        6,
        104,
    )


def test_threshold_on_subtotal_without_bonus_boundary():
    s = sub(DANWEI, minus=6)
    s.scores["i02"] = 0.5  # 94 - 4.5 = 89.5
    r = evaluate(DANWEI, ROSTER, s, "f")
    assert r.subtotal == 89.5 and r.total == 89.5 and not r.eligible
    assert r.reasons == ["自评分（不含加分）未达到 90 分，不能申报（实施方案 四.3）；实得 89.5 分"]
    s.scores["i02"] = 1  # exactly 90
    assert evaluate(DANWEI, ROSTER, s, "f").eligible
    # the bonus does not lift a unit over the threshold
    s.scores["i02"] = 0.5
    s.bonus = {"b_national": 6}
    r = evaluate(DANWEI, ROSTER, s, "f")
    assert r.total == 95.5 and not r.eligible


def test_veto_bars_a_full_score():
    r = evaluate(DANWEI, ROSTER, sub(DANWEI, veto="v3"), "f")
    assert r.total == 100 and not r.eligible
    assert r.reasons == ["一票否决：发生重大责任事故，造成重大经济损失或人员伤亡的"]


def test_incomplete_return_is_not_eligible_nor_ranked():
    r = evaluate(DANWEI, ROSTER, sub(DANWEI, errors=2), "f")
    assert not r.eligible and not r.complete and "2 处填写错误" in r.reasons[0]
    assert rank([r], DANWEI)[0].rank is None


def test_bands_at_their_boundaries():
    for total, band in [
        (95, "五星级"),
        (94, "四星级"),
        (90, "四星级"),
        (89, "三星级"),
        (60, "一星级"),
        (59, "无星"),
    ]:
        r = evaluate(STARS, ROSTER, sub(STARS, minus=100 - total), "f")
        assert (r.total, r.band) == (total, band)


def test_ranking_by_total_only_ties_share_1_2_2_4():
    a = evaluate(DANWEI, ROSTER, sub(DANWEI, "A"), "a")  # 100
    b = evaluate(DANWEI, ROSTER, sub(DANWEI, "B", minus=2, bonus={"b_municipal": 2}), "b")  # 98 + 2
    c = evaluate(DANWEI, ROSTER, sub(DANWEI, "C", minus=1), "c")  # 99
    d = evaluate(DANWEI, ROSTER, sub(DANWEI, "D", minus=1), "d")  # 99
    e = evaluate(DANWEI, ROSTER, sub(DANWEI, "P", minus=3), "p")  # 97
    ordered = rank([e, d, c, b, a], DANWEI)
    # A and B both total 100: the seed orders by total only, so they share first place.
    assert [(r.unit_id, r.rank) for r in ordered] == [
        ("A", 1),
        ("B", 1),
        ("C", 3),
        ("D", 3),
        ("P", 5),
    ]


def test_full_tie_shares_rank():
    rs = [
        evaluate(DANWEI, ROSTER, sub(DANWEI, u, minus=m), u)
        for u, m in [("A", 0), ("B", 1), ("C", 1), ("D", 2)]
    ]
    assert [r.rank for r in rank(rs, DANWEI)] == [1, 2, 2, 4]


def test_section_subtotals_do_not_break_a_tie():
    x = sub(DANWEI, "A")
    x.scores["i01"] -= 1  # loses a point in section 1
    y = sub(DANWEI, "B")
    y.scores["i23"] -= 1  # loses a point in the last section
    ranked = rank([evaluate(DANWEI, ROSTER, x, "x"), evaluate(DANWEI, ROSTER, y, "y")], DANWEI)
    assert [(r.unit_id, r.rank) for r in ranked] == [("A", 1), ("B", 1)]


def test_ineligible_units_take_no_rank_and_follow_the_ranked_ones():
    best = sub(DANWEI, "A", veto="v3")  # 100 but vetoed
    low = sub(DANWEI, "B", minus=20)  # 80: below the 90 threshold
    broken = sub(DANWEI, "C", errors=1)
    ok = [sub(DANWEI, u, minus=m) for u, m in (("D", 2), ("P", 2))]
    results = [evaluate(DANWEI, ROSTER, s, s.unit_id) for s in (best, low, broken, *ok)]
    ordered = rank(results, DANWEI)
    assert [(r.unit_id, r.rank) for r in ordered] == [
        ("D", 1),
        ("P", 1),
        ("A", None),  # ineligible, highest total first, then incomplete ones
        ("B", None),
        ("C", None),
    ]
    assert ordered[2].reasons and ordered[3].reasons


def test_parent_name_in_result():
    assert evaluate(DANWEI, ROSTER, sub(DANWEI, "A"), "f").parent == "主管"


HONGQI = load_rubric("hongqi-dangzhibu")


def test_red_flag_award_goes_to_the_top_three_eligible_branches():
    branches = Roster([Unit(f"B{n}", f"第{n}支部") for n in range(1, 10)])
    minus = {"B1": 0, "B2": 1, "B3": 2, "B4": 2, "B5": 3, "B6": 4, "B7": 5, "B8": 6, "B9": 7}
    subs = [sub(HONGQI, u, minus=m) for u, m in minus.items()]
    subs[0].declarations["v1"] = "是"  # the best branch had a 违纪 case: no red flag (三.3)
    ranked = rank([evaluate(HONGQI, branches, s, s.unit_id) for s in subs], HONGQI)
    awarded = [r.unit_id for r in ranked if r.award]
    # B1 is vetoed; among the rest B2 is first and B3/B4 tie for second: B5 is fourth.
    assert awarded == ["B2", "B3", "B4"]
    assert {r.award for r in ranked if r.award} == {"红旗党支部（流动红旗）"}


def test_ties_at_the_cut_are_all_named():
    branches = Roster([Unit(f"B{n}", f"第{n}支部") for n in range(1, 6)])
    minus = {"B1": 0, "B2": 1, "B3": 2, "B4": 2, "B5": 3}
    ranked = rank(
        [evaluate(HONGQI, branches, sub(HONGQI, u, minus=m), u) for u, m in minus.items()], HONGQI
    )
    assert [r.unit_id for r in ranked if r.award] == ["B1", "B2", "B3", "B4"]


def test_equal_totals_at_third_place_are_both_named_whatever_their_sections():
    """三.1 取前三名: the seed gives no tie-break, so the 党委 decides between B3 and B4."""
    branches = Roster([Unit(f"B{n}", f"第{n}支部") for n in range(1, 6)])
    subs = [sub(HONGQI, u, minus=m) for u, m in (("B1", 0), ("B2", 1), ("B3", 0), ("B4", 0))]
    subs[2].scores["i1"] -= 2  # B3 loses 2 points in the first section
    subs[3].scores["i7"] -= 2  # B4 the same 2 points in the last one: equal totals
    subs.append(sub(HONGQI, "B5", minus=5))
    ranked = rank([evaluate(HONGQI, branches, s, s.unit_id) for s in subs], HONGQI)
    assert [(r.unit_id, r.rank, bool(r.award)) for r in ranked] == [
        ("B1", 1, True),
        ("B2", 2, True),
        ("B3", 3, True),
        ("B4", 3, True),
        ("B5", 5, False),
    ]


SHEQU = load_rubric("jingpin-shequ")


def targets(**values) -> Submission:
    base = {
        "t_rooms": 300,
        "t_fitness": 200,
        "t_books": 1000,
        "t_aware": 90,
        "t_join": 90,
        "t_satisfied": 95,
    }
    base.update(values)
    return Submission("A", SHEQU.id, indicators=base)


def test_targets_met_at_their_boundaries():
    r = evaluate(SHEQU, ROSTER, targets(), "f")
    assert r.eligible and all(r.indicators.values()) and r.rank is None


@pytest.mark.parametrize(
    "key,value",
    [
        ("t_rooms", 299),
        ("t_fitness", 199.5),
        ("t_books", 999),
        ("t_aware", 89.9),
        ("t_join", 89),
        ("t_satisfied", 94.9),
    ],
)
def test_targets_missed_just_below(key, value):
    r = evaluate(SHEQU, ROSTER, targets(**{key: value}), "f")
    assert not r.eligible and r.indicators[key] is False
    assert len(r.reasons) == 1 and "未达标" in r.reasons[0]


def test_targets_are_not_ranked():
    results = [
        evaluate(SHEQU, ROSTER, targets(), "a"),
        evaluate(SHEQU, ROSTER, targets(t_books=10), "b"),
    ]
    assert [r.rank for r in rank(results, SHEQU)] == [None, None]
