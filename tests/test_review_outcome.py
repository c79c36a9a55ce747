"""The decision on reviewed scores (issue 11): combining, eligibility, rank and award.

Reviews are built directly as :class:`ReviewedSheet` (plain data, the contract with
the reader of reviewer workbooks); the units' side goes through the real
``evaluate_round``, so the self-scores, reasons and ranks are those ingest makes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from xlsxflow.ingest import FileRecord, IngestReport
from xlsxflow.messages import render
from xlsxflow.quotas import evaluate_round
from xlsxflow.review import load_review
from xlsxflow.review.model import FALSE, TRUE, ReviewedSheet, ReviewIngest
from xlsxflow.review.outcome import COUNTED, ERRORS, NOT_RETURNED, STALE, decide
from xlsxflow.roundfile import load_round
from xlsxflow.submission import Submission

ROSTER = "单位编号,单位名称\nA,甲支部\nB,乙支部\nC,丙支部\nD,丁支部\nE,戊支部\n"
REVIEWERS = (
    "评审人编号,姓名,邮箱,测评组\n"
    "R01,林晓文,,第一测评组\n"
    "R02,周建华,,第一测评组\n"
    "R03,许丽萍,,第一测评组\n"
    "R04,王海,,第二测评组\n"
    "R05,陈静,,第二测评组\n"
)
ITEMS = {"i1": 12, "i2": 12, "i3": 14, "i4": 14, "i5": 15, "i6": 15, "i7": 18}  # sum 100
FULL = dict(ITEMS)


def round_file(tmp_path, review: str, *, self_form: bool = False, requires: str = ""):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "reviewers.csv").write_text(REVIEWERS, encoding="utf-8")
    text = (
        "title: 测试轮\nyear: 2026\nroster: roster.csv\nforms:\n"
        "  - id: hongqi\n    title: 红旗党支部\n    rubric: hongqi-dangzhibu\n"
        + requires
        + "    review:\n      reviewers: reviewers.csv\n"
        + "".join(f"      {line}\n" for line in review.strip().splitlines())
    )
    if self_form:
        text += "  - id: ziping\n    title: 自评表\n    rubric: hongqi-dangzhibu\n"
    path = tmp_path / "round.yaml"
    path.write_text(text, encoding="utf-8")
    rnd = load_round(path)
    return rnd, load_review(rnd)


def units_report(rnd, scores: dict[str, dict[str, float]], vetoes=None) -> IngestReport:
    """The units' returns, evaluated as ingest does (one sheet per form received)."""
    records = []
    for unit_id, items in scores.items():
        slots = rnd.slots_of(unit_id)
        record = FileRecord(
            f"{unit_id}.xlsx", 1, 0.0, status="accepted", unit_id=unit_id, slots=slots
        )
        for layout in rnd.book(slots).sheets:
            sub = Submission(
                unit_id,
                layout.rubric.id,
                scores=dict(items),
                declarations={"v1": (vetoes or {}).get(unit_id, "否")},
                fields={"period": "2026上半年", "filler": "张三", "fill_date": "2026-07-01"},
                form_id=layout.plan.form_id,
                slot=layout.plan.slot,
                sheet=layout.sheet_name,
            )
            record.submissions.append(sub)
        records.append(record)
    results, quotas = evaluate_round(rnd, records)
    return IngestReport(
        returns_dir="returns",
        rubric_id="",
        rubric_title="",
        rubric_version="",
        rubric_hash="",
        round_id="r1",
        round_title="测试轮",
        started_at="2026-07-02T10:00:00+00:00",
        files=records,
        results=results,
        missing=[],
        round=rnd,
        quotas=quotas,
    )


def minus(points: dict[str, float]) -> dict[str, float]:
    """Full marks less ``points`` per item."""
    return {k: v - points.get(k, 0) for k, v in FULL.items()}


def sheet(reviewer: str, unit: str, scores: dict[str, float], **extra) -> ReviewedSheet:
    return ReviewedSheet(
        reviewer_id=reviewer,
        unit_id=unit,
        form_id="hongqi",
        slot=1,
        sheet="红旗党支部",
        file=f"{reviewer}.xlsx",
        return_hash="h",
        scores=dict(scores),
        **{"vetoes": {"v1": TRUE}, **extra},
    )


def reviews_of(*sheets: ReviewedSheet) -> ReviewIngest:
    return ReviewIngest("reviews", "2026-07-10T10:00:00+00:00", sheets=list(sheets))


def candidate(outcome, unit: str, form: str = "hongqi"):
    return next(c for c in outcome.candidates if c.unit_id == unit and c.form_id == form)


ALL = "assign: all\ncombine: trimmed_mean\ntrim_min: 5\nrounding: {step: 0.5, rule: half_up}"


# -- combining ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "i1_scores", "expected_i1", "method"),
    [
        (2, [10, 11], Decimal("10.5"), "mean"),  # too few to trim: the mean
        (3, [10, 11, 11.5], Decimal("11"), "mean"),  # 32.5 / 3 = 10.83 → 11 at half points
        (5, [6, 10, 11, 11.5, 12], Decimal("11"), "trimmed_mean"),  # 6 and 12 dropped: 32.5/3
    ],
)
def test_trimmed_mean_with_two_three_and_five_reviewers(
    tmp_path, count, i1_scores, expected_i1, method
):
    rnd, review = round_file(tmp_path, ALL)
    report = units_report(rnd, {"A": FULL})
    ids = [f"R0{n}" for n in range(1, count + 1)]
    sheets = [sheet(r, "A", {**FULL, "i1": s}) for r, s in zip(ids, i1_scores, strict=True)]
    outcome = decide(rnd, review, report, reviews_of(*sheets))
    c = candidate(outcome, "A")
    item = c.items[0]
    assert item.combined == expected_i1 and item.method == method
    assert item.by_reviewer == dict(zip(ids, i1_scores, strict=True))
    assert c.review_total == 88 + expected_i1  # the other items combine to their maximum
    assert c.decision == c.review_total and c.basis == "review"
    assert c.reviewers_counted == ids and c.eligible
    fallback = render("review-trim-fallback", count=count, trim_min=5)
    assert (fallback in c.flags) == (count < 5)
    # the reviewers not assigned a score here are expected and named as missing
    if count < 5:
        assert any(f.startswith("评审未齐") for f in c.flags)


def test_median_rounds_to_the_round_files_step(tmp_path):
    rnd, review = round_file(tmp_path, "assign: all\ncombine: median\nrounding: {step: 1}")
    report = units_report(rnd, {"A": FULL})
    scores = [9, 10, 10.5, 11]  # median 10.25 → 10 at whole points
    sheets = [sheet(f"R0{n}", "A", {**FULL, "i1": s}) for n, s in enumerate(scores, 1)]
    c = candidate(decide(rnd, review, report, reviews_of(*sheets)), "A")
    assert c.items[0].combined == Decimal("10") and c.items[0].method == "median"
    assert c.review_total == Decimal("98")


def test_composite_weights_decide_and_rank(tmp_path):
    composite = (
        "assign: all\ncombine: mean\nbasis: composite\nweights: {self: 0.3, review: 0.7}\n"
        "threshold: 90"
    )
    rnd, review = round_file(tmp_path, composite)
    report = units_report(rnd, {"A": FULL, "B": minus({"i7": 4})})  # self 100 and 96
    sheets = [
        *(sheet(f"R0{n}", "A", minus({"i1": 10})) for n in range(1, 6)),  # review 90
        *(sheet(f"R0{n}", "B", minus({"i7": 4})) for n in range(1, 6)),  # review 96
    ]
    outcome = decide(rnd, review, report, reviews_of(*sheets))
    a, b = candidate(outcome, "A"), candidate(outcome, "B")
    assert a.decision == Decimal("0.3") * 100 + Decimal("0.7") * 90 == Decimal("93")
    assert b.decision == Decimal("96") and (b.rank, a.rank) == (1, 2)
    assert outcome.of_form("hongqi")[0] is b  # ranked on the composite, not on the self-score
    # the naming threshold is on the composite: 30 + 0.7 × 80 = 86 < 90
    sheets = [sheet(f"R0{n}", "A", minus({"i1": 12, "i7": 8})) for n in range(1, 6)]
    a = candidate(decide(rnd, review, report, reviews_of(*sheets)), "A")
    expected = render("outcome-below-threshold", basis="综合分", threshold="90", score="86")
    assert a.decision == Decimal("86") and a.reasons == [expected] and not a.eligible


# -- rank and award on the reviewed score ------------------------------------------------


def test_a_tie_at_the_award_cut_on_the_reviewed_score_names_both(tmp_path):
    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean")
    # self-scores all different; reviewed: A 95, B 94, C 93, D 93, E 80
    report = units_report(
        rnd,
        {u: minus({"i7": n}) for u, n in zip("ABCDE", (0, 1, 2, 3, 4), strict=True)},
    )
    reviewed = {"A": 5, "B": 6, "C": 7, "D": 7, "E": 18}
    sheets = [sheet(r, u, minus({"i7": n})) for u, n in reviewed.items() for r in ("R01", "R02")]
    review_sheets = reviews_of(*sheets)
    outcome = decide(rnd, review, report, review_sheets)
    ranked = [(c.unit_id, c.rank, c.award) for c in outcome.of_form("hongqi")]
    award = rnd.sheet_rubric("hongqi").award.name
    assert ranked == [
        ("A", 1, award),
        ("B", 2, award),
        ("C", 3, award),
        ("D", 3, award),  # equal to the third on the reviewed score: named too
        ("E", 5, ""),
    ]
    assert candidate(outcome, "D").self_total == 97 and candidate(outcome, "E").self_total == 96


# -- what counts -------------------------------------------------------------------------


def test_two_reviewers_disagreeing_beyond_the_spread_are_listed(tmp_path):
    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean\nspread: 3")
    report = units_report(rnd, {"A": FULL})
    sheets = [
        sheet("R01", "A", {**FULL, "i3": 13}),
        sheet("R02", "A", {**FULL, "i3": 9}),  # 4 apart on 第3项
        sheet("R03", "A", {**FULL, "i3": 11, "i5": 12}),  # 3 apart on 第5项: not beyond
    ]
    outcome = decide(rnd, review, report, reviews_of(*sheets))
    (found,) = outcome.disagreements
    assert found.found.item_id == "i3" and found.found.difference == 4
    assert found.item_label == "第3项" and found.candidate.unit_id == "A"
    text = render(
        "outcome-disagreement",
        item="第3项",
        scores="林晓文（R01） 13、周建华（R02） 9、许丽萍（R03） 11",
        difference="4",
        spread="3",
    )
    assert text in candidate(outcome, "A").flags
    assert outcome.to_dict()["disagreements"][0]["item"] == "i3"


def test_a_stale_review_and_one_with_errors_do_not_count(tmp_path):
    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean")
    report = units_report(rnd, {"A": FULL, "B": FULL})
    sheets = [
        sheet("R01", "A", minus({"i1": 2})),
        sheet("R02", "A", minus({"i1": 12}), stale=True),  # made before A resubmitted
        sheet("R03", "A", {**FULL, "i1": 20}, errors=1),  # over the maximum: read as an error
        sheet("R01", "B", FULL, stale=True),
    ]
    outcome = decide(rnd, review, report, reviews_of(*sheets))
    a = candidate(outcome, "A")
    assert a.reviewers_counted == ["R01"] and a.reviewers_stale == ["R02"]
    assert a.review_total == 98 and a.eligible
    stale = render("outcome-review-stale", reviewer="周建华（R02）")
    faulty = render("outcome-review-errors", reviewer="许丽萍（R03）", errors=1)
    assert stale in a.flags and faulty in a.flags
    states = {(p.unit_id, p.reviewer_id): p.state for p in outcome.progress}
    assert states[("A", "R01")] == COUNTED and states[("A", "R02")] == STALE
    assert states[("A", "R03")] == ERRORS and states[("A", "R04")] == NOT_RETURNED
    # B's only review is stale: not reviewed, and the stale review named in the reasons
    b = candidate(outcome, "B")
    assert not b.eligible and b.review_total is None and b.decision is None
    assert b.reasons == [
        render("outcome-not-reviewed"),
        render("outcome-review-stale", reviewer="林晓文（R01）"),
    ]


def test_a_veto_or_condition_found_untrue_bars_the_unit(tmp_path):
    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean")
    report = units_report(rnd, {"A": FULL, "B": FULL})
    declaration = rnd.sheet_rubric("hongqi").declarations[0].text
    sheets = [
        sheet("R01", "A", FULL),
        sheet("R02", "A", FULL, vetoes={"v1": FALSE}),
        sheet("R01", "B", FULL),
        sheet("R02", "B", FULL, stale=True, vetoes={"v1": FALSE}),  # not counted: no effect
    ]
    outcome = decide(rnd, review, report, reviews_of(*sheets))
    a = candidate(outcome, "A")
    text = render("outcome-veto-false", reviewer="周建华（R02）", declaration=declaration)
    assert not a.eligible and a.reasons == [text] and text in a.flags and a.rank is None
    assert candidate(outcome, "B").eligible and candidate(outcome, "B").rank == 1


def test_a_condition_to_apply_found_untrue_bars_the_unit(tmp_path):
    requires = (
        "    requires:\n      - when: \"单位名称 != ''\"\n        reason: 名单中没有单位名称\n"
    )
    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean", requires=requires)
    report = units_report(rnd, {"A": FULL})
    sheets = [sheet("R01", "A", FULL), sheet("R03", "A", FULL, prerequisites={0: FALSE})]
    a = candidate(decide(rnd, review, report, reviews_of(*sheets)), "A")
    text = render(
        "outcome-prerequisite-false",
        reviewer="许丽萍（R03）",
        condition="单位名称不为空",  # in words, as the reviewer's form shows it
        reason="名单中没有单位名称",
    )
    assert not a.eligible and a.reasons == [text]
    # a form whose reviewers do not confirm conditions ignores the column
    rnd, review = round_file(
        tmp_path, "assign: all\ncombine: mean\nconfirm_prerequisites: false", requires=requires
    )
    a = candidate(decide(rnd, review, units_report(rnd, {"A": FULL}), reviews_of(*sheets)), "A")
    assert a.eligible


def test_not_reviewed_yet_keeps_the_units_own_reasons(tmp_path):
    rnd, review = round_file(
        tmp_path, "assign:\n  units: {A: [R01], B: [R02]}\ncombine: mean", self_form=True
    )
    report = units_report(rnd, {"A": FULL, "B": FULL, "C": FULL}, vetoes={"B": "是"})
    outcome = decide(rnd, review, report, None)
    a, b, c = (candidate(outcome, u) for u in "ABC")
    assert a.reasons == [render("outcome-not-reviewed")] and not a.eligible
    declared = rnd.sheet_rubric("hongqi").declarations[0].text
    assert b.reasons == [f"一票否决：{declared}", render("outcome-not-reviewed")]
    assert c.reasons == [render("outcome-no-reviewer")]
    assert [u.unit_id for _, u in outcome.unassigned] == ["C", "D", "E"]
    assert [u.unit_id for _, u in outcome.no_return] == ["D", "E"]  # no sheet was sent
    assert all(c.rank is None and c.award == "" for c in outcome.of_form("hongqi"))
    # a form without review is decided on the self-score exactly as ingest decided it
    results = {r.unit_id: r for r in report.results if r.form_id == "ziping"}
    for cand in outcome.of_form("ziping"):
        r = results[cand.unit_id]
        assert cand.basis == "self" and cand.decision == Decimal(str(r.total))
        assert (cand.eligible, cand.reasons, cand.rank, cand.award, cand.band) == (
            r.eligible,
            r.reasons,
            r.rank,
            r.award,
            r.band,
        )
    data = outcome.to_dict()
    assert data["forms"] == {
        "hongqi": {"basis": "review", "reviewed": True},
        "ziping": {"basis": "self", "reviewed": False},
    }
    assert data["candidates"][0]["review_total"] is None


def test_gap_flags_and_struck_reviewer_scores_in_words(tmp_path):
    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean\ngap: {item: 2, total: 5}")
    report = units_report(rnd, {"A": FULL})
    sheets = [sheet(r, "A", minus({"i2": 3, "i7": 3})) for r in ("R01", "R02")]
    c = candidate(decide(rnd, review, report, reviews_of(*sheets)), "A")
    item = render(
        "outcome-gap-item", item="第2项", self="12", review="9", difference="3", limit="2"
    )
    total = render("outcome-gap-total", self="100", review="94", difference="6", limit="5")
    assert item in c.flags and total in c.flags
    assert c.eligible  # a flag, not a reason: the office decides
    assert c.reviewer_totals == {"R01": Decimal("94"), "R02": Decimal("94")}


def test_exact_combination_never_a_float_accident(tmp_path):
    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean\nrounding: {step: 0.1}")
    report = units_report(rnd, {"A": FULL})
    scores = [(11, 11.5, 11.5), (13.5, 14, 13.5)]  # 11.333… → 11.3; 13.666… → 13.7
    sheets = [
        sheet(r, "A", {**FULL, "i1": scores[0][n], "i3": scores[1][n]})
        for n, r in enumerate(("R01", "R02", "R03"))
    ]
    c = candidate(decide(rnd, review, report, reviews_of(*sheets)), "A")
    assert [c.items[0].combined, c.items[2].combined] == [Decimal("11.3"), Decimal("13.7")]
    assert c.review_total == Decimal("99")  # 100 − 0.7 − 0.3, exactly


# -- the summary: review sheets, decision-based ranking and 公示, printed ------------------


def review_scenario(tmp_path):
    """Five branches: A–C reviewed (one disagreement, one stale, one over-max), D and E
    without a return; a form without review beside it."""
    rnd, review = round_file(
        tmp_path,
        "assign:\n  by_group:\n    第一测评组: [A, B, C]\n    第二测评组: [D]\n"
        "combine: mean\nspread: 3\ngap: {item: 2, total: 5}",
        self_form=True,
    )
    report = units_report(rnd, {"A": FULL, "B": minus({"i7": 2}), "C": minus({"i1": 1})})
    sheets = [
        sheet("R01", "A", minus({"i3": 4, "i7": 3})),
        sheet("R02", "A", minus({"i7": 3})),
        sheet("R03", "A", minus({"i7": 3}), comment="资料齐全，现场查看属实。"),
        sheet("R01", "B", minus({"i7": 2})),
        sheet("R02", "B", minus({"i7": 2}), stale=True),
        sheet("R01", "C", {**FULL, "i1": 20}, errors=1),
    ]
    return rnd, review, report, reviews_of(*sheets)


def test_summary_review_sheets_and_decision_ranking(tmp_path):
    import io

    import openpyxl

    from xlsxflow.summary import summary_bytes

    rnd, review, report, reviews = review_scenario(tmp_path)
    outcome = decide(rnd, review, report, reviews)
    book = openpyxl.load_workbook(
        io.BytesIO(summary_bytes(report, None, rnd.roster, outcome=outcome))
    )
    names = book.sheetnames
    for name in ("评审汇总", "红旗党支部评审明细", "评审进度", "评审分歧"):
        assert name in names
    ranking = book["红旗党支部排名"]
    heads = [c.value for c in ranking[1]]
    assert "实评分（排名依据）" in heads and "自评分" in heads
    first = [c.value for c in ranking[2]]
    assert first[:3] == [1, "B", "乙支部"]  # B 98 reviewed (its stale review left out) before A
    progress = [[c.value for c in row] for row in book["评审进度"].iter_rows(min_row=2)]
    states = {(r[0], r[4]): r[7] for r in progress if r[0]}
    assert states[("R02", "B")].startswith("已交，已过期")
    assert states[("R03", "B")] == "未交"
    assert states[("R01", "C")] == "已交，有 1 处错误，改正前不计入"
    assert ["D", render("outcome-no-return")] in [[r[4], r[7]] for r in progress]
    assert ["E", "没有评审人（见轮次文件 review.assign）"] in [[r[4], r[7]] for r in progress]
    # the form without review keeps its self-score ranking sheet
    assert [c.value for c in book["自评表排名"][1]][6] != "实评分（排名依据）"
    notice = book["红旗党支部公示"]
    text = "\n".join(str(c.value) for row in notice.iter_rows() for c in row if c.value)
    assert "按实评分从高到低排列" in text and "乙支部" in text and "甲支部" in text
    assert "丙支部" not in text  # its only review has an error: not reviewed, not listed


def test_report_json_carries_the_outcome(tmp_path):
    import json

    from xlsxflow.summary import write_report_json

    rnd, review, report, reviews = review_scenario(tmp_path)
    outcome = decide(rnd, review, report, reviews)
    write_report_json(report, tmp_path / "report.json", outcome)
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    by_unit = {c["unit_id"]: c for c in data["review"]["candidates"] if c["form"] == "hongqi"}
    assert by_unit["A"]["review_total"] == 95.5 and by_unit["A"]["self_total"] == 100
    assert by_unit["C"]["reasons"] == [
        render("outcome-not-reviewed"),
        render("outcome-review-errors", reviewer="林晓文（R01）", errors=1),
    ]
    assert data["review"]["no_return"] == [
        {"form": "hongqi", "unit_id": "D"},
        {"form": "hongqi", "unit_id": "E"},
    ]


def test_review_sheets_print_whole_in_libreoffice(tmp_path, soffice):
    """The new pages rendered by LibreOffice: every heading, reviewer and flag readable."""
    import subprocess

    from conftest import libreoffice_convert

    from xlsxflow.summary import write_summary

    rnd, review, report, reviews = review_scenario(tmp_path)
    outcome = decide(rnd, review, report, reviews)
    path = tmp_path / "summary.xlsx"
    write_summary(report, None, rnd.roster, path, outcome=outcome)
    libreoffice_convert(soffice, [path], tmp_path / "pdf", tmp_path / "profile", fmt="pdf")
    pdf = tmp_path / "pdf" / "summary.pdf"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = "".join(text.split())
    for words in (
        "实评分（排名依据）",
        "差额（自评−实评）",
        "评审人（计入/应有）",
        "实评分（合分）",
        "许丽萍（R03）",
        "已交，已过期（单位在评审后重新报送），需重新评审",
        render("outcome-no-return"),
        render(
            "outcome-disagreement",
            item="第3项",
            scores="林晓文（R01） 10、周建华（R02） 14、许丽萍（R03） 14",
            difference="4",
            spread="3",
        ),
        render("outcome-gap-item", item="第7项", self="18", review="15", difference="3", limit="2"),
        "按实评分从高到低排列",
        "资料齐全，现场查看属实。",  # a reviewer's 评语 beside the scores
    ):
        assert "".join(words.split()) in flat, words


# -- wiring: the unit ingest decides every form; reviewed ones read 尚未评审 -------------------


def test_ingest_writes_the_outcome_before_any_review(tmp_path, monkeypatch):
    import io
    import json
    import re

    import openpyxl
    from click.testing import CliRunner

    from xlsxflow.cli import main

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--round", "dangzhibu", "r.yaml"]).exit_code == 0
    text = (tmp_path / "r.yaml").read_text(encoding="utf-8")
    lines = [
        "    " + line[6:] if re.match(r"^    # (review:|  )", line) else line
        for line in text.splitlines()
    ]
    (tmp_path / "r.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert runner.invoke(main, ["generate", "r.yaml", "--out", "wb"]).exit_code == 0
    assert runner.invoke(main, ["sample-returns", "wb", "--out", "ret"]).exit_code == 0
    result = runner.invoke(main, ["ingest", "ret", "--report", "r.json", "--out", "s.xlsx"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    hongqi = [c for c in report["review"]["candidates"] if c["form"] == "hongqi"]
    assert hongqi and all(render("outcome-not-reviewed") in c["reasons"] for c in hongqi)
    assert not any(c["eligible"] or c["award"] for c in hongqi)
    # the 先锋岗 is a 民主测评 now (ballots ingest), not a form the units return
    assert {c["form"] for c in report["review"]["candidates"]} == {"hongqi"}
    book = openpyxl.load_workbook(io.BytesIO((tmp_path / "s.xlsx").read_bytes()))
    assert {"评审汇总", "红旗党支部评审明细", "评审进度"} <= set(book.sheetnames)
    # a reviewers file that cannot be read does not stop the units' ingest
    (tmp_path / "reviewers.csv").unlink()
    result = runner.invoke(main, ["ingest", "ret", "--report", "r.json", "--out", "s.xlsx"])
    assert result.exit_code == 1 and "reviewers-unreadable" in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    hongqi = [c for c in report["review"]["candidates"] if c["form"] == "hongqi"]
    assert all(c["reasons"][-1] == render("outcome-no-reviewer") for c in hongqi)


MINI = """id: mini
title: 小表
version: "1"
step: 1
total: 20
sections:
  - id: s1
    name: 一
    items:
      - {id: a, max: 10, text: 甲项}
      - {id: b, max: 10, text: 乙项, not_applicable: {when: 无食堂单位, counts: rescale}}
bonus:
  mode: sum
  items:
    - {id: x, text: 获国家级荣誉, points: 6}
    - {id: y, text: 获省部级荣誉, points: 4}
"""


def test_bonus_kept_by_a_majority_and_not_applicable_by_a_majority(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "reviewers.csv").write_text(REVIEWERS, encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "round.yaml").write_text(
        "title: 测试轮\nyear: 2026\nroster: roster.csv\nforms:\n"
        "  - id: mini\n    title: 小表\n    rubric: mini.yaml\n"
        "    review: {reviewers: reviewers.csv, assign: {units: {A: [R01, R02, R03]}}}\n",
        encoding="utf-8",
    )
    rnd = load_round(tmp_path / "round.yaml")
    review = load_review(rnd)
    slots = rnd.slots_of("A")
    (layout,) = rnd.book(slots).sheets
    sub = Submission(
        "A",
        "mini",
        scores={"a": 10.0, "b": 10.0},
        bonus={"x": 6.0, "y": 4.0},
        form_id="mini",
        slot=1,
        sheet=layout.sheet_name,
    )
    record = FileRecord("A.xlsx", 1, 0.0, status="accepted", unit_id="A", slots=slots)
    record.submissions.append(sub)
    results, _ = evaluate_round(rnd, [record])
    report = IngestReport("r", "", "", "", "", "r1", "测试轮", "", [record], results, [], round=rnd)

    def review_sheet(rid, a, na, keep):
        return ReviewedSheet(
            rid, "A", "mini", 1, layout.sheet_name, f"{rid}.xlsx", "h",
            scores={"a": a, "b": None if na else 7.0},
            not_applicable={"b"} if na else set(),
            bonus=keep,
        )  # fmt: skip

    sheets = [
        review_sheet("R01", 8, True, {"x": 6.0, "y": 0.0}),
        review_sheet("R02", 9, True, {"x": 6.0, "y": 4.0}),
        review_sheet("R03", 9, False, {"x": 0.0, "y": 0.0}),
    ]
    c = decide(rnd, review, report, reviews_of(*sheets)).candidates[0]
    a, b = c.items
    assert a.combined == 9 and b.not_applicable and b.not_applicable_by == ["R01", "R02"]
    assert b.by_reviewer == {"R03": 7.0} and b.combined is None
    assert c.review_bonus == 6  # x kept by two of three; y by one: struck
    assert c.review_total == 9 * 20 / 10 + 6  # 乙项 left out and the subtotal rescaled
    struck = render("outcome-bonus-struck", bonus="获省部级荣誉", kept=1, counted=3)
    assert struck in c.flags
    assert c.reviewer_totals == {"R01": 22, "R02": 28, "R03": 16}


def test_no_disagreement_says_so_rather_than_an_empty_table(tmp_path):
    import io

    import openpyxl

    from xlsxflow.summary import summary_bytes

    rnd, review = round_file(tmp_path, "assign: all\ncombine: mean\nspread: 3")
    report = units_report(rnd, {"A": FULL})
    sheets = [sheet("R01", "A", FULL), sheet("R02", "A", {**FULL, "i3": 13})]
    outcome = decide(rnd, review, report, reviews_of(*sheets))
    assert outcome.disagreements == []
    book = openpyxl.load_workbook(
        io.BytesIO(summary_bytes(report, None, rnd.roster, outcome=outcome))
    )
    rows = [[c.value for c in row] for row in book["评审分歧"].iter_rows(min_row=2)]
    assert rows == [
        ["红旗党支部", None, None, None, None, "（无：各单位评审人的评分相差均未超过允许相差）"]
        + [None, 3]
    ]


def test_review_sheets_keep_unit_names_on_one_line(tmp_path):
    import io

    import openpyxl

    from xlsxflow.summary import _name_width, summary_bytes, text_lines

    long_name = "市人力资源和社会保障局"
    assert text_lines(long_name, _name_width([[long_name]], 0)) == 1
    assert _name_width([["甲"]], 0) == 12 and _name_width([["很长" * 40]], 0) == 30
    rnd, review, report, reviews = review_scenario(tmp_path)
    outcome = decide(rnd, review, report, reviews)
    book = openpyxl.load_workbook(
        io.BytesIO(summary_bytes(report, None, rnd.roster, outcome=outcome))
    )
    details = book["红旗党支部评审明细"]
    heights = [
        details.row_dimensions[r].height
        for r in range(2, details.max_row + 1)
        if not details.cell(r, details.max_column).value  # no 评语 in the row
    ]
    assert heights and all(h is None or h <= 16 for h in heights)  # one line each
    assert details.column_dimensions["B"].width >= 12


def test_flags_the_office_reads_carry_no_round_file_keys():
    """The 审定 sheet shows these to the office: words, not the round file's keys."""
    from xlsxflow.summary import _r

    assert "trim_min" not in render("review-trim-fallback", count=2, trim_min=5)
    assert _r("with_errors", "en", n=1) == "returned with errors (1): not counted"


def test_decision_ranking_keeps_the_parent_unit_on_one_line(tmp_path):
    import io

    import openpyxl

    from xlsxflow.summary import summary_bytes, text_lines

    round_file(tmp_path, "assign: all\ncombine: mean")
    parent = "市人力资源和社会保障局"
    (tmp_path / "roster.csv").write_text(
        f"单位编号,单位名称,主管单位\nP,{parent},\nA,甲支部,{parent}\nB,乙支部,\n",
        encoding="utf-8",
    )
    rnd = load_round(tmp_path / "round.yaml")
    review = load_review(rnd)
    report = units_report(rnd, {"A": FULL, "B": FULL})
    sheets = [sheet(r, u, FULL) for u in "AB" for r in ("R01", "R02", "R03")]
    outcome = decide(rnd, review, report, reviews_of(*sheets))
    book = openpyxl.load_workbook(
        io.BytesIO(summary_bytes(report, None, rnd.roster, outcome=outcome))
    )
    ranking = book["红旗党支部排名"]
    col = [c.value for c in ranking[1]].index("主管单位") + 1
    width = ranking.column_dimensions[openpyxl.utils.get_column_letter(col)].width
    assert text_lines(parent, width) == 1


def test_review_details_headings_say_the_item_and_its_points(tmp_path):
    import io

    import openpyxl

    from xlsxflow.summary import summary_bytes

    rnd, review, report, reviews = review_scenario(tmp_path)
    outcome = decide(rnd, review, report, reviews)
    for lang, first in (("zh", "第1项\n（12分）"), ("en", "1\n(max 12)")):
        data = summary_bytes(report, None, rnd.roster, outcome=outcome, lang=lang)
        book = openpyxl.load_workbook(io.BytesIO(data))
        details = next(
            book[n] for n in book.sheetnames if n.endswith(("评审明细", "review details"))
        )
        assert first in [c.value for c in details[1]]
