"""Reviewers confirming a conditions form (issue 14): the reviewer's sheet of a unit's
conditions (the unit's answers locked, 属实/不属实, an honour's scale, a measured number),
review ingest reading it back (one return through LibreOffice), and the level decided on
the confirmed answers — one 不属实 taking 四星级 to 三星级, a measured 96% against a
claimed 100% — shown beside the claimed level on the 星级 and 审定 sheets."""

from __future__ import annotations

import io
import os
import random
import subprocess
from collections import Counter

import openpyxl
import pytest
from conftest import ROSTER, fill_book, libreoffice_convert

from xlsxflow.accepted import Ledger
from xlsxflow.conditions import questions
from xlsxflow.ingest import ingest
from xlsxflow.layout import APPLY_LEVEL, HEADER_ROW
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.ooxml import open_book
from xlsxflow.review.confirm import confirm
from xlsxflow.review.model import FALSE, TRUE
from xlsxflow.review.outcome import decide
from xlsxflow.review.reading import read_review_book
from xlsxflow.review.returns import ingest_reviews
from xlsxflow.review.spec import load_review, review_outline
from xlsxflow.review.workbook import parse_sheets, review_sheet_layout, write_reviewer_workbooks
from xlsxflow.round import generate_round, open_round
from xlsxflow.roundfile import load_round
from xlsxflow.rubric import load_rubric
from xlsxflow.samples import condition_answers, fill_review_workbook, review_inputs
from xlsxflow.submission import Submission
from xlsxflow.summary import summary_bytes

UNITS = ["CZJ", "CZJ-GK"]
LEVELS = ["一星级", "二星级", "三星级", "四星级", "五星级"]
REVIEWERS = """评审人编号,姓名,邮箱,测评组
R01,林晓文,r01@example.org,第一测评组
R02,周建华,r02@example.org,第一测评组
"""
ROUND = """title: 2026年社区评星晋级（评审测试）
year: 2026
deadline: "2026-12-25"
roster: roster.csv
forms:
  - id: xingji
    title: 社区评星
    rubric: xingji-shequ
    slots: 1
    review:
      reviewers: reviewers.csv
      assign: all
"""
F30 = "f30"  # 党务、社务公开…: a 四星级 condition only
NOTE = "县文明办2025年命名"
WHO = {"R01": "林晓文（R01）", "R02": "周建华（R02）"}


@pytest.fixture(scope="module")
def cond_review(tmp_path_factory):
    """CZJ answers for 四星级 (applies for it), CZJ-GK for 五星级; both returned and
    recorded; the reviewers' workbooks written.  (folder, ctx, review, ledger, generated,
    report)."""
    folder = tmp_path_factory.mktemp("condreview")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    chosen = [line for line in lines[1:] if line.split(",")[0] in UNITS]
    (folder / "roster.csv").write_text("\n".join([lines[0], *chosen]) + "\n", encoding="utf-8")
    (folder / "reviewers.csv").write_text(REVIEWERS, encoding="utf-8")
    (folder / "round.yaml").write_text(ROUND, encoding="utf-8")
    result = generate_round(folder / "round.yaml", folder / "wb", workdir=folder)
    ctx = open_round(workdir=folder)
    rubric = ctx.round.sheet_rubric("xingji")
    files = {g.unit_id: g.path for g in result.files}
    returns = folder / "returns"
    for unit, top in (("CZJ", 4), ("CZJ-GK", 5)):
        values = condition_answers(rubric, LEVELS[:top])
        values[APPLY_LEVEL] = LEVELS[top - 1]
        fill_book(
            files[unit], returns / files[unit].name, ctx.round, {"社区评星": values}, edit=_note
        )
    report = ingest(returns, ctx)
    assert all(f.status == "accepted" and not f.issues for f in report.files)
    got = {r.unit_id: r.stars.level for r in report.results}
    assert got == {"CZJ": "四星级", "CZJ-GK": "五星级"}
    ledger = Ledger.open(folder)
    ledger.record(report, returns)
    review = load_review(ctx.round)
    accepted = ledger.accepted(ctx.record.round_id)
    generated = write_reviewer_workbooks(ctx, review, accepted, folder / "reviews-out")
    return folder, ctx, review, ledger, generated, report


def _note(wb, book) -> None:
    """A unit's note on its honour (shown locked on the reviewer's sheet)."""
    layout = book.sheets[0]
    at = next(i.ref for i in layout.inputs if i.kind == "note" and i.key == "c_wenming")
    wb[layout.sheet_name][at] = NOTE


def _book(generated, reviewer_id: str):
    return next(f.path for f in generated.files if f.reviewer_id == reviewer_id)


def _fill(cond_review, reviewer_id: str, out, change: dict | None = None):
    """The reviewer's workbook filled as samples.review_inputs does (every answer 属实,
    numbers as the unit's), then ``change``: sheet name → {input key: value}."""
    folder, ctx, review, ledger, generated, _ = cond_review
    rng = random.Random(1)

    def values(entry, layout, shown):
        typed = review_inputs(layout, shown, rng, WHO[reviewer_id].split("（")[0])
        names = {i.key: i.name for i in layout.inputs if i.kind == "answer"}
        for key, value in (change or {}).get(entry.sheet, {}).items():
            typed[names[key]] = value
        return typed

    return fill_review_workbook(_book(generated, reviewer_id), out, ctx, review, ledger, values)


def _read(path, cond_review):
    folder, ctx, review, ledger, generated, _ = cond_review
    book = open_book(path.read_bytes())
    try:
        return read_review_book(book, "r.xlsx", ctx, review, ledger)
    finally:
        book.close()


# -- the reviewer's sheet --------------------------------------------------------------


def test_reviewer_sheet_shows_each_condition_with_the_units_answer_locked(cond_review):
    folder, ctx, review, ledger, generated, report = cond_review
    rubric = ctx.round.sheet_rubric("xingji")
    path = _book(generated, "R01")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["CZJ-社区评星", "CZJ-GK-社区评星"]
    ws = wb["CZJ-社区评星"]
    headings = [c.value for c in ws[5]]
    assert headings == [
        "项目",
        "条件（标准原文）",
        "填法",
        "本单位填报",
        "说明或佐证",
        "评审核实",
        "核实说明",
    ]
    assert "逐条核实" in ws["A4"].value and "实测" in ws["A4"].value
    rows = {str(r[1].value or "").split(". ", 1)[-1]: r for r in ws.iter_rows(min_row=6)}
    assert rows["申报等级"][3].value == "四星级"  # the level applied for, locked
    assert rows["申报等级"][3].protection.locked
    unit = next(s for f in report.files for s in f.submissions if s.unit_id == "CZJ")
    lists = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    for q in questions(rubric):  # each in the seed's words, once, with the unit's answer
        row = rows[q.text]
        own = unit.answers.get(q.id)
        assert row[3].value == own, q.id
        assert row[3].protection.locked and not row[5].protection.locked
        dv = lists[row[5].coordinate]
        if q.kind in ("fact", "veto"):
            assert dv.formula1 == f'"{TRUE},{FALSE}"'
        elif q.kind == "honour":  # the same ordered scale as the unit's dropdown
            assert dv.formula1 == f'"{TRUE},{FALSE},无,{",".join(q.choices)}"'
        else:  # a rate: the unit's validation (0–100)
            assert dv.type == "decimal" and dv.operator in (None, "between")  # the default
            assert (float(dv.formula1), float(dv.formula2)) == (q.min, q.max)
    assert rows["文明社区"][4].value == NOTE
    assert rows["调处成功率"][2].value == "%" and rows["调处成功率"][3].value == 100
    assert sum(1 for r in ws.iter_rows() if r[0].value == "四星级（县评定，须公示）") == 1
    # printable like the rest of the review sheet: A4, one page wide, header repeated
    assert ws.protection.sheet and ws.print_title_rows == "$5:$5"
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    entries = parse_sheets(
        dict(r[:2] for r in wb["_xlsxflow"].iter_rows(values_only=True))["sheets"]
    )
    assert all(e.conditions for e in entries)  # signed as asking for the confirmations
    outline = review_outline(ctx.round, review)  # xlsxflow round check says how it decides
    assert "定星条件（属实/不属实，或评审认定的等级、实测数值）" in outline
    assert "定星条件认定：每位评审人均认定成立，该条件才成立" in outline


# -- reading it back -------------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_round_trip_of_a_confirmation(cond_review, soffice, tmp_path):
    change = {"CZJ-社区评星": {F30: FALSE}, "CZJ-GK-社区评星": {"chenggong": 96}}
    filled = _fill(cond_review, "R01", tmp_path / "filled" / "R01.xlsx", change)
    libreoffice_convert(soffice, [filled], tmp_path / "saved", tmp_path / "profile")
    identity, sheets, issues = _read(tmp_path / "saved" / "R01.xlsx", cond_review)
    assert identity is not None, [i.message for i in issues]
    assert [i.message for i in issues if i.severity == "error"] == []
    by_unit = {s.unit_id: s for s in sheets}
    assert by_unit["CZJ"].conditions[F30] == FALSE
    assert by_unit["CZJ"].conditions["wenming"] == TRUE
    assert by_unit["CZJ-GK"].conditions["chenggong"] == 96
    assert by_unit["CZJ-GK"].counts and by_unit["CZJ"].counts


def test_a_measure_out_of_range_or_a_blank_confirmation_is_an_error(cond_review, tmp_path):
    change = {"CZJ-社区评星": {"chenggong": 150, F30: None}}
    filled = _fill(cond_review, "R02", tmp_path / "R02.xlsx", change)
    identity, sheets, issues = _read(filled, cond_review)
    assert identity is not None
    czj = next(s for s in sheets if s.unit_id == "CZJ")
    assert czj.errors == 2 and not czj.counts
    codes = {i.code for i in issues if i.severity == "error"}
    assert {"value-answer-range", "value-missing"} <= codes


# -- the decision ----------------------------------------------------------------------


def _decide(cond_review, tmp_path, changes: dict[str, dict]):
    """Both reviewers return (``changes`` per reviewer), review ingest, the decision."""
    folder, ctx, review, ledger, generated, report = cond_review
    reviews = tmp_path / "reviews"
    for rid in ("R01", "R02"):
        _fill(cond_review, rid, reviews / f"{rid}.xlsx", changes.get(rid))
    read = ingest_reviews(reviews, ctx, review, ledger.snapshot(ctx.record.round_id))
    assert {f.status for f in read.files} == {"accepted"}, [
        i.message for f in read.files for i in f.issues
    ]
    outcome = decide(ctx.round, review, report, read)
    return {c.unit_id: c for c in outcome.candidates}, outcome


def test_one_not_true_takes_four_stars_to_three_with_the_reason(cond_review, tmp_path):
    folder, ctx, review, ledger, generated, report = cond_review
    rubric = ctx.round.sheet_rubric("xingji")
    f30 = next(q.text for q in questions(rubric) if q.id == F30)
    got, outcome = _decide(cond_review, tmp_path, {"R01": {"CZJ-社区评星": {F30: FALSE}}})
    czj = got["CZJ"]
    assert (czj.claimed.level, czj.stars.level, czj.band) == ("四星级", "三星级", "三星级")
    reason = render("outcome-condition-false", condition=f30, reviewers="林晓文（R01）")
    assert czj.findings == [reason]
    assert reason.startswith("评审认定不属实：党务、社务公开")
    assert (
        render("outcome-level-confirmed", confirmed="三星级", claimed="四星级", applied="四星级")
        in czj.flags
    )
    assert czj.stars.next_level == "四星级" and czj.stars.missing[0].condition == F30
    assert (got["CZJ-GK"].stars.level, got["CZJ-GK"].findings) == ("五星级", [])
    data = next(d for d in outcome.to_dict()["candidates"] if d["unit_id"] == "CZJ")
    assert (data["claimed"]["level"], data["stars"]["level"], data["applied"]) == (
        "四星级",
        "三星级",
        "四星级",
    )
    assert data["findings"] == [reason]  # report.json
    # the 星级 sheet: the confirmed level beside the claimed one, and why
    data = summary_bytes(report, None, ctx.roster, outcome=outcome, key=ctx.key)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["社区评星星级"]
    head = [c.value for c in ws[1]]
    rows = {
        r[0]: dict(zip(head, r, strict=False)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert (rows["CZJ"]["评定等级"], rows["CZJ"]["评审认定等级"]) == ("四星级", "三星级")
    assert reason in rows["CZJ"]["评审认定说明"]
    assert rows["CZJ-GK"]["评审认定等级"] == "五星级"
    ranking = [list(r) for r in wb["社区评星排名"].iter_rows(values_only=True)]
    assert ranking[0][4:6] == ["自评等级（按本单位填报）", "评审认定等级"]  # levels, not 0.0
    assert [ranking[1][1], *ranking[1][4:6]] == ["CZJ", "四星级", "三星级"]
    # 评审汇总 heads its level columns as levels, with no 差额 (自评−实评) for levels
    summary = [list(r) for r in wb["评审汇总"].iter_rows(values_only=True)]
    assert summary[0][3:6] == ["自评等级（按本单位填报）", "评审认定等级", "评审人（计入/应有）"]
    assert [r[3:5] for r in summary[1:] if r[1] == "CZJ"] == [["四星级", "三星级"]]
    flags = {r[1]: r[-1] for r in summary[1:]}
    assert "评审认定：三星级" in flags["CZJ"]
    assert not flags["CZJ-GK"]  # confirmed as claimed and applied for: nothing to look at
    details = [list(r) for r in wb["社区评星评审明细"].iter_rows(values_only=True)]
    column = 3 + next(n for n, q in enumerate(questions(rubric)) if q.id == F30)
    assert details[0][column].startswith(f"第{column - 2}项")
    czj = [r for r in details if r[0] == "CZJ"]
    assert [(r[2], r[column], r[-1]) for r in czj] == [
        ("本单位填报", "是", "四星级"),
        ("林晓文（R01）", FALSE, None),
        ("周建华（R02）", TRUE, None),
        ("评审认定", None, "三星级"),
    ]
    approval = "\n".join(str(c.value) for r in wb["审定"].iter_rows() for c in r if c.value)
    advice = next(
        str(c.value)
        for c in next(r for r in wb["审定"].iter_rows() if any(v.value == "市财政局" for v in r))
        if str(c.value or "").startswith("推荐")
    )
    # the advice names the confirmed level (with the levels' 审定 of issue 14: 推荐：三星级（…）)
    assert advice.split("\n")[0].startswith(("推荐（评审认定三星级）", "推荐：三星级"))
    assert "评审认定：三星级（按本单位填报：四星级；申报：四星级）" in approval
    head = next(r for r in wb["审定"].iter_rows(values_only=True) if r[0] == "序号")
    scores = [
        r[head.index("自评分") : head.index("决定分") + 1]
        for r in wb["审定"].iter_rows(values_only=True)
        if isinstance(r[0], int)
    ]
    assert scores == [(None, None, None)] * 2  # no 实评分 of 0 for a form without scores


def test_a_measured_rate_below_the_claim_decides_on_the_measure(cond_review, tmp_path):
    got, _ = _decide(cond_review, tmp_path, {"R02": {"CZJ-GK-社区评星": {"chenggong": 96}}})
    gk = got["CZJ-GK"]
    assert (gk.claimed.level, gk.stars.level) == ("五星级", "三星级")  # 四、五星级 need 100%
    assert len(gk.findings) == 1 and gk.findings[0].startswith("评审实测为 96%：调处成功率")
    assert "周建华（R02）" in gk.findings[0]
    assert got["CZJ"].stars.level == "四星级"


def test_a_reviewer_cannot_grant_what_the_unit_did_not_claim(cond_review, tmp_path):
    # CZJ answered 否 to 五星级's facts; R01 saying its rate is 100 or a fact 属实 changes nothing
    got, _ = _decide(cond_review, tmp_path, {"R01": {"CZJ-社区评星": {"f39": TRUE}}})
    assert got["CZJ"].stars.level == "四星级" and got["CZJ"].findings == []


# -- several reviewers: the rule ---------------------------------------------------------


def test_all_withholds_on_one_not_true_majority_needs_more_than_half():
    rubric = load_rubric("xingji-shequ")
    answers = condition_answers(rubric, LEVELS[:4])
    ok, no = {F30: TRUE}, {F30: FALSE}
    three = {"R01": no, "R02": ok, "R03": ok}
    assert confirm(rubric, answers, three, "all").result.level == "三星级"
    kept = confirm(rubric, answers, three, "majority", who=WHO)
    assert kept.result.level == "四星级" and kept.findings == []
    assert kept.outvoted and "R01" in kept.outvoted[0]
    assert confirm(rubric, answers, {"R01": no, "R02": ok}, "majority").result.level == "三星级"
    two_against = {"R01": no, "R02": no, "R03": ok}
    assert confirm(rubric, answers, two_against, "majority").result.level == "三星级"
    # an honour lowered on the scale: 市级 claimed, 县级 found → 四星级 (市级以上) withheld
    lowered = confirm(rubric, answers, {"R01": {"wenming": "县级"}}, who=WHO)
    assert lowered.result.level == "三星级"
    assert lowered.findings[0].startswith("评审认定为县级：")
    # a veto the unit denied, found by a reviewer: blocks 四、五星级 only
    vetoed = confirm(rubric, answers, {"R01": {"v_tongbao": FALSE}}, who=WHO)
    assert vetoed.result.level == "三星级" and vetoed.result.vetoes[0].id == "v_tongbao"
    assert vetoed.findings[0].startswith("评审认定存在一票否决事项：")


def test_named_stars_are_confirmed_star_by_star():
    rubric = load_rubric("wuxing-pian3")
    names = [s.name for s in rubric.stars]
    answers = condition_answers(rubric, names[:2])
    first = next(q for q in questions(rubric) if q.used_by == [names[0]] and q.kind == "fact")
    found = confirm(rubric, answers, {"R01": {first.id: FALSE}})
    assert found.claimed.stars == names[:2] and found.result.stars == names[1:2]


# -- what a reviewer sees on paper -----------------------------------------------------


@pytest.mark.libreoffice
def test_prints_as_a_site_visit_form(cond_review, soffice, tmp_path):
    folder, ctx, review, ledger, generated, report = cond_review
    libreoffice_convert(soffice, [_book(generated, "R01")], tmp_path, tmp_path / "profile", "pdf")
    pdf = next(tmp_path.glob("*.pdf"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    for needed in ("社区评星评审表", "林晓文", "本单位填报", "评审核实", "核实说明", "四星级"):
        assert needed in flat
    assert "Reviewed" not in text and "condition" not in text  # no English on a Chinese sheet
    for page in text.split("\f")[1:-1]:  # every page repeats the column headings
        assert "评审核实" in "".join(page.split())


MIXED_ROUND = """title: 星级考评（评审测试）
year: 2026
deadline: "2026-12-25"
roster: roster.csv
forms:
  - {id: pian2, title: 星级考评, rubric: xingji-pian2-tiaojian, slots: 1, review: {reviewers: r.csv}}
  - {id: pian3, title: 五星创建, rubric: wuxing-pian3, slots: 1, review: {reviewers: r.csv}}
  - id: xingji
    title: 社区评星
    rubric: xingji-shequ
    slots: 1
    review: {reviewers: r.csv, confirm_conditions: false}
"""


def test_scores_then_conditions_and_named_stars_and_turning_it_off(tmp_path):
    """篇2: the score table as usual, then the conditions with their own heading row;
    篇3: a block per named star; ``confirm_conditions: false`` on a form of conditions
    only leaves reviewers nothing to do, which the round file refuses."""
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    (tmp_path / "roster.csv").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (tmp_path / "round.yaml").write_text(MIXED_ROUND, encoding="utf-8")
    with pytest.raises(XlsxflowError) as caught:
        load_round(tmp_path / "round.yaml")
    assert [i.code for i in caught.value.issues] == ["review-form-not-scored"]
    (tmp_path / "round.yaml").write_text(MIXED_ROUND.split("  - id: xingji")[0], encoding="utf-8")
    rnd = load_round(tmp_path / "round.yaml")
    unit = next(iter(rnd.roster))
    for form_id in ("pian2", "pian3"):
        rubric = rnd.sheet_rubric(form_id)
        owners = [s.name for s in rubric.stars] or rubric.level_names
        sub = Submission(unit.unit_id, rubric.id, answers=condition_answers(rubric, owners))
        layout = review_sheet_layout(rnd, form_id, 1, unit, sub, rnd.form(form_id).review)
        kinds = Counter(i.kind for i in layout.inputs)
        assert kinds["answer"] == len(questions(rubric))
        assert kinds["score"] == sum(1 for _ in rubric.items())
        heads = [c.value for c in layout.cells if c.style == "block_head"]
        headers = [c for c in layout.cells if c.style == "header" and c.value == "评审核实"]
        if form_id == "pian2":  # below the scores: a block head and its own headings
            assert kinds["score"] > 0 and layout.totals
            assert any(str(h).startswith("定星条件核实") for h in heads)
            assert len(headers) == 1 and headers[0].row > HEADER_ROW
        else:  # conditions only: the sheet's headings are the conditions'
            assert [h.row for h in headers] == [HEADER_ROW] and not layout.totals
            assert [s.name for s in rubric.stars if s.name in heads] == owners


def test_conditions_rule_is_checked_with_its_line(tmp_path):
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    (tmp_path / "roster.csv").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    text = ROUND.replace("      assign: all\n", "      assign: all\n      conditions_rule: most\n")
    (tmp_path / "round.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(XlsxflowError) as caught:
        load_round(tmp_path / "round.yaml")
    (issue,) = caught.value.issues
    assert issue.line == 13 and "conditions_rule" in issue.message


def test_conditions_details_headings_fit_two_lines_without_a_lone_bracket(cond_review, tmp_path):
    from xlsxflow.summary import COND_COLUMN, text_lines

    folder, ctx, review, ledger, generated, report = cond_review
    _, outcome = _decide(cond_review, tmp_path, {"R01": {"CZJ-社区评星": {F30: FALSE}}})
    data = summary_bytes(report, None, ctx.roster, outcome=outcome, key=ctx.key)
    ws = openpyxl.load_workbook(io.BytesIO(data))["社区评星评审明细"]
    heads = [c.value for c in ws[1]][3:-1]
    assert len(heads) == len(questions(ctx.round.sheet_rubric("xingji")))
    for n, head in enumerate(heads, 1):
        number, words = head.split("\n")
        assert number == f"第{n}项" and not words.startswith(("）", ")"))  # no bracketed text
        assert text_lines(words, COND_COLUMN) <= 2, words  # two lines under 第n项, no more
        assert ws.column_dimensions[openpyxl.utils.get_column_letter(n + 3)].width >= COND_COLUMN
    assert any(h.split("\n")[1] == "调处成功率" for h in heads)  # a short one whole
    assert any(h.endswith("…") for h in heads)


MIXED_ONLY = MIXED_ROUND.split("  - {id: pian3")[0]


def test_pian2_summary_has_a_conditions_grid_after_the_scores(tmp_path):
    """篇2 (a score and 13 conditions): 评审明细 keeps the scores, and 条件核实明细 lists
    each condition as the unit answered and as each reviewer confirmed it."""
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    (tmp_path / "roster.csv").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text(REVIEWERS, encoding="utf-8")
    (tmp_path / "round.yaml").write_text(MIXED_ONLY, encoding="utf-8")
    result = generate_round(tmp_path / "round.yaml", tmp_path / "wb", workdir=tmp_path)
    ctx = open_round(workdir=tmp_path)
    rubric = ctx.round.sheet_rubric("pian2")
    returns = tmp_path / "returns"
    for g in result.files:
        values = {**condition_answers(rubric, rubric.level_names), "score": 96}
        values[APPLY_LEVEL] = rubric.level_names[-1]
        sheet = ctx.round.book(ctx.round.slots_of(g.unit_id)).sheets[0].sheet_name
        fill_book(g.path, returns / g.path.name, ctx.round, {sheet: values})
    report = ingest(returns, ctx)
    ledger = Ledger.open(tmp_path)
    ledger.record(report, returns)
    review = load_review(ctx.round)
    generated = write_reviewer_workbooks(
        ctx, review, ledger.accepted(ctx.record.round_id), tmp_path / "rw"
    )
    snapshot = ledger.snapshot(ctx.record.round_id)
    unit = report.results[0].unit_id
    disputed = questions(rubric)[4]  # 支部班子健全、团结…: a 五星级 condition
    for book in generated.files:
        rng = random.Random(1)

        def values(entry, layout, shown, rng=rng, book=book):
            typed = review_inputs(layout, shown, rng, book.name)
            if book.reviewer_id == "R01" and entry.unit_id == unit:
                typed[next(i.name for i in layout.inputs if i.key == disputed.id)] = FALSE
            return typed

        fill_review_workbook(
            book.path, tmp_path / "rb" / book.path.name, ctx, review, snapshot, values
        )
    read = ingest_reviews(tmp_path / "rb", ctx, review, snapshot)
    outcome = decide(ctx.round, review, report, read)
    wb = openpyxl.load_workbook(
        io.BytesIO(summary_bytes(report, None, ctx.roster, outcome=outcome, key=ctx.key))
    )
    names = wb.sheetnames
    assert names.index("星级考评条件核实明细") == names.index("星级考评评审明细") + 1
    assert [c.value for c in wb["星级考评评审明细"][1]][3].startswith("第1项")  # the score
    grid = [list(r) for r in wb["星级考评条件核实明细"].iter_rows(values_only=True)]
    column = 3 + questions(rubric).index(disputed)
    assert grid[0][column] == f"第{column - 2}项\n{disputed.text[:7]}…"
    rows = [(r[2], r[column], r[-1]) for r in grid[1:] if r[0] == unit]
    assert rows == [
        ("本单位填报", "是", "五星级"),
        ("林晓文（R01）", FALSE, None),
        ("周建华（R02）", TRUE, None),
        ("评审认定", None, "四星级"),  # the band's score holds, one 五星级 condition does not
    ]


@pytest.mark.parametrize("reviewed", [False, True])
def test_a_conditions_level_is_published_only_once_reviewers_confirmed_it(
    cond_review, tmp_path, reviewed
):
    """A form decided by conditions has no 实评分 (the 审定 shows none): what stops approving
    a level before the reviewers confirmed it is its advice (待评审), not a missing score."""
    from xlsxflow.publish import publish

    folder, ctx, review, ledger, generated, report = cond_review
    if reviewed:
        _, outcome = _decide(cond_review, tmp_path, {})
    else:
        outcome = decide(ctx.round, review, report, None)
    summary = tmp_path / "summary.xlsx"
    summary.write_bytes(summary_bytes(report, None, ctx.roster, outcome=outcome, key=ctx.key))
    wb = openpyxl.load_workbook(summary)
    ws = wb["审定"]
    head = next(r for r in ws.iter_rows() if r[0].value == "序号")
    at = next(c.column_letter for c in head if c.value == "审定结果")
    rows = [r[0].row for r in ws.iter_rows() if isinstance(r[0].value, int)]
    scores = [ws[f"F{row}"].value for row in rows]  # 实评分: blank either way
    assert len(rows) == 2 and scores == [None, None]
    for row in rows:
        ws[f"{at}{row}"] = "同意"
    wb.save(summary)
    out = publish(summary, tmp_path / "out", key=ctx.key, round_id=ctx.record.round_id)
    codes = [i.code for i in out.issues if i.severity == "error"]
    assert codes == ([] if reviewed else ["publish-unreviewed"] * 2)
    assert out.ok == reviewed
