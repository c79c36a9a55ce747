"""Survey rates feed the forms they belong to (issue 12, seed 004 “三高”).

A survey question's ``feeds`` names a form input; ``ballots ingest`` keeps the counted
rates beside the round's records, and the units' ingest uses a shown rate in place of
the unit's self-report, showing both.
"""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from conftest import fill_book

from xlsxflow.ballots.count import count_ballots
from xlsxflow.ballots.feeds import rates_path, save_counted_rates
from xlsxflow.ballots.model import Ballot
from xlsxflow.ballots.spec import load_evaluations, make_serial
from xlsxflow.ingest import ingest
from xlsxflow.messages import XlsxflowError, make_issue, render
from xlsxflow.round import generate_round, open_round
from xlsxflow.roundfile import load_round
from xlsxflow.summary import write_summary

ROSTER = "单位编号,单位名称\nS01,东风社区\nS02,西湖社区\nS03,南山社区\nS04,北关社区\n"
HEAD = """title: 精品社区测试轮
year: 2026
roster: roster.csv
forms:
  - id: jingpin
    title: 党建精品社区
    rubric: jingpin-shequ
"""
SURVEY = """evaluations:
  - id: sangao
    title: 群众评议三高
    candidates: units
    ballot:
      survey:
        positive: [满意, 基本满意]
        questions:
          - id: manyi
            label: 满意度
            text: 您对社区工作是否满意？
            target: 0.95
            feeds: {form: jingpin, indicator: t_satisfied}
    raters:
      - {id: jumin, label: 社区居民, expected: 20}
    anonymity: 3
"""
# self-reports of 满意度 (%), and the survey: (ballots, 满意 among them)
SELF = {"S01": 98, "S02": 96, "S03": 97, "S04": 90}
SURVEYED = {"S01": (1000, 949), "S02": (20, 19), "S03": (2, 2), "S04": (20, 20)}


def write_round(folder, body: str = SURVEY, head: str = HEAD):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    path = folder / "round.yaml"
    path.write_text(head + body, encoding="utf-8")
    return path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth - 1]


def load_issues(tmp_path, body: str, head: str = HEAD) -> list:
    path = write_round(tmp_path, body, head)
    with pytest.raises(XlsxflowError) as caught:
        load_evaluations(load_round(path))
    return caught.value.issues


# -- loading --------------------------------------------------------------------------


def test_feeds_load_and_resolve(tmp_path):
    evals = load_evaluations(load_round(write_round(tmp_path)))
    question = evals.evaluations["sangao"].spec.ballot.survey.questions[0]
    assert question.feeds.form == "jingpin" and question.feeds.input_id == "t_satisfied"


@pytest.mark.parametrize(
    ("feeds", "code", "fields"),
    [
        (
            "{form: jingpinx, indicator: t_satisfied}",
            "evaluation-feed-unknown-form",
            {"form": "jingpinx", "known": "jingpin、hongqi"},
        ),
        (
            "{form: jingpin, indicator: t_happy}",
            "evaluation-feed-unknown-input",
            {
                "form": "jingpin",
                "what": "指标",
                "id": "t_happy",
                "known": "t_rooms、t_fitness、t_books、t_aware、t_join、t_satisfied",
            },
        ),
        (
            "{form: jingpin, indicator: t_rooms}",
            "evaluation-feed-range",
            {"what": "社区服务用房总面积", "range": "单位为“平方米”"},
        ),
        (
            "{form: hongqi, item: i1}",
            "evaluation-feed-range",
            {"what": "第1项（i1）", "range": "分值为 0–12 分"},
        ),
    ],
)
def test_a_bad_feed_names_its_line(tmp_path, feeds, code, fields):
    head = HEAD + "  - id: hongqi\n    title: 红旗党支部\n    rubric: hongqi-dangzhibu\n"
    body = SURVEY.replace("{form: jingpin, indicator: t_satisfied}", feeds)
    issues = load_issues(tmp_path, body, head)
    line = line_of(head + body, "feeds:")
    expected = make_issue(code, file="round.yaml", line=line, question="满意度", **fields)
    assert [str(i) for i in issues] == [str(expected)]
    assert str(issues[0]).startswith(f"round.yaml:{line}")


def test_a_scaled_item_feed_loads(tmp_path):
    head = HEAD + "  - id: hongqi\n    title: 红旗党支部\n    rubric: hongqi-dangzhibu\n"
    body = SURVEY.replace(
        "{form: jingpin, indicator: t_satisfied}", "{form: hongqi, item: i1, scale: true}"
    )
    assert load_evaluations(load_round(write_round(tmp_path, body, head))).evaluations


def test_two_questions_feeding_one_input(tmp_path):
    second = (
        "          - {id: manyi2, label: 满意率, text: 电话抽查：是否满意？,"
        " feeds: {form: jingpin, indicator: t_satisfied}}\n"
    )
    body = SURVEY.replace("    raters:", second + "    raters:")
    issues = load_issues(tmp_path, body)
    line = line_of(HEAD + body, "feeds:", 2)
    expected = make_issue(
        "evaluation-feed-twice",
        file="round.yaml",
        line=line,
        question="满意率",
        form="jingpin",
        id="t_satisfied",
        first="sangao.manyi",
    )
    assert [str(i) for i in issues] == [str(expected)]


def test_a_feed_needs_the_units_as_candidates(tmp_path):
    (tmp_path / "members.csv").write_text("单位编号,党员编号,姓名\nS01,M1,甲\n", encoding="utf-8")
    body = SURVEY.replace("candidates: units", "candidates: members.csv")
    issues = load_issues(tmp_path, body)
    expected = make_issue(
        "evaluation-feed-not-units",
        file="round.yaml",
        line=line_of(HEAD + body, "feeds:"),
        question="满意度",
        evaluation="群众评议三高",
    )
    assert [str(i) for i in issues] == [str(expected)]


# -- counting, then the units' ingest ---------------------------------------------------


def survey_ballots(evals, round_id: str) -> list[Ballot]:
    ev = evals.evaluations["sangao"]
    out = []
    for unit, (count, positive) in SURVEYED.items():
        for n in range(count):
            serial = make_serial(b"k" * 32, round_id, ev.id, unit, "jumin", n)
            answer = ("满意" if n % 2 else "基本满意") if n < positive else "不满意"
            out.append(
                Ballot(
                    serial,
                    ev.id,
                    unit,
                    "jumin",
                    f"{serial}.xlsx",
                    answers={unit: {"manyi": answer}},
                )
            )
    return out


@pytest.fixture(scope="module")
def community_round(tmp_path_factory):
    """The round generated, every community's return filled, the survey not yet counted."""
    folder = tmp_path_factory.mktemp("feeds")
    round_file = write_round(folder)
    result = generate_round(round_file, folder / "workbooks", workdir=folder)
    ctx = open_round(workdir=folder)
    returns = folder / "returns"
    others = {"t_rooms": 320, "t_fitness": 250, "t_books": 1200, "t_aware": 92, "t_join": 91}
    for g in result.files:
        values = {**others, "t_satisfied": SELF[g.unit_id]}
        sheets = {s: values for s in ctx.round.book({"jingpin": 1}).sheet_names}
        fill_book(g.path, returns / g.path.name, ctx.round, sheets)
    return folder, ctx, returns


def by_unit(report) -> dict:
    return {r.unit_id: r for r in report.results}


def test_no_survey_counted_leaves_ingest_as_it_was(community_round):
    folder, ctx, returns = community_round
    report = ingest(returns, ctx)
    results = by_unit(report)
    assert {u: r.indicators["t_satisfied"] for u, r in results.items()} == {
        "S01": True,
        "S02": True,
        "S03": True,
        "S04": False,
    }
    assert all(not r.fed for r in results.values())
    expected = render("feed-not-counted", evaluation="群众评议三高", inputs="“对社区工作满意度”")
    assert [i.message for i in report.notes] == [expected]
    assert report.to_dict()["notes"][0]["code"] == "feed-not-counted"


def test_counted_rates_feed_the_indicator(community_round, tmp_path):
    folder, ctx, returns = community_round
    evals = load_evaluations(ctx.round)
    outcome = count_ballots(evals, survey_ballots(evals, ctx.record.round_id))
    path = save_counted_rates(folder, ctx.record.round_id, evals, outcome)
    try:
        assert path == rates_path(folder, ctx.record.round_id)
        assert path.parent.name == "xlsxflow-rounds"
        saved = {r["unit_id"]: r for r in json.loads(path.read_text("utf-8"))["rates"]}
        assert saved["S03"]["shown"] is False and saved["S03"]["rate"] is None  # never kept
        assert saved["S01"]["rate"] == "949/1000" and saved["S01"]["valid"] == 1000

        report = ingest(returns, ctx)
        results = by_unit(report)
        met = {u: r.indicators["t_satisfied"] for u, r in results.items()}
        # the measured rate decides: 94.9% misses 95%, 95% meets, 100% meets, S03 keeps its own
        assert met == {"S01": False, "S02": True, "S03": True, "S04": True}
        s01 = results["S01"]
        assert s01.fed["t_satisfied"]["self"] == 98 and s01.fed["t_satisfied"]["above"]
        assert "实为 94.9%（测评），目标 ≥ 95%" in "".join(s01.reasons)
        assert not s01.eligible and results["S04"].eligible
        assert not results["S04"].fed["t_satisfied"]["above"]  # said 90%, measured 100%
        assert results["S03"].fed["t_satisfied"]["shown"] is False
        note = render(
            "feed-not-shown",
            unit="南山社区",
            id="S03",
            question="满意度",
            status="有效票不足 3 张，结果不显示",
            input="“对社区工作满意度”",
        )
        assert [i.message for i in report.notes] == [note]
        assert "2" not in note.split("（")[0]  # the hidden group's count is not told

        out = tmp_path / "summary.xlsx"
        write_summary(report, None, ctx.roster, out, "zh", key=ctx.key)
        shutil.copyfile(out, folder / "fed-summary.xlsx")  # for a look by hand
        ws = openpyxl.load_workbook(out)["党建精品社区排名"]
        cells = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
        assert "未达标\n94.90%（测评）\n有效答卷 1000 份\n自报 98%\n自报高于测评" in cells
        assert "达标\n95.00%（测评）\n有效答卷 20 份\n自报 96%\n自报高于测评" in cells
        assert "达标\n100.00%（测评）\n有效答卷 20 份\n自报 90%" in cells
        assert "达标\n测评结果不显示\n用自报 97%" in cells
        assert not any("有效 2 份" in c for c in cells)
    finally:
        path.unlink()


def test_the_commands_carry_the_rates_from_ballots_to_ingest(tmp_path, monkeypatch):
    """xlsxflow ingest says the survey is not counted; ballots ingest records the rates
    beside the round; ingest again uses them (the report says which inputs were fed)."""
    from click.testing import CliRunner

    from xlsxflow.ballots.run import generate_ballots, open_ballots
    from xlsxflow.ballots.samples import make_ballot_returns
    from xlsxflow.cli import main

    folder = tmp_path / "r"
    write_round(folder, SURVEY.replace("expected: 20", "expected: 5"))
    monkeypatch.chdir(folder)

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    assert run("generate", "round.yaml", "--out", "workbooks").exit_code == 0
    ctx = open_round(workdir=folder)
    sheets = {s: {"t_satisfied": 99} for s in ctx.round.book({"jingpin": 1}).sheet_names}
    for path in sorted((folder / "workbooks").rglob("*.xlsx")):
        fill_book(path, folder / "returns" / path.name, ctx.round, sheets)
    first = run("ingest", "returns", "--report", "before.json")
    assert render("feed-not-counted", evaluation="群众评议三高", inputs="“对社区工作满意度”") in (
        first.output
    )
    assert run("ballots", "generate").exit_code == 0
    br = open_ballots(folder)
    make_ballot_returns(generate_ballots("ballots", br=br), br.evals, folder / "back", key=ctx.key)
    counted = run("ballots", "ingest", "back")
    assert "测评率已记入本轮" in counted.output, counted.output
    assert rates_path(folder, ctx.record.round_id).is_file()
    second = run("ingest", "returns", "--report", "after.json")
    assert "尚未统计" not in second.output
    after = json.loads((folder / "after.json").read_text("utf-8"))
    fed = [r["fed"]["t_satisfied"] for r in after["results"] if "fed" in r]
    assert len(fed) == 4 and any(f["shown"] for f in fed)
    assert all(f["self"] == 99 for f in fed)
    before = json.loads((folder / "before.json").read_text("utf-8"))
    assert all("fed" not in r for r in before["results"])


def test_an_unreadable_rates_file_is_said_and_not_fed(community_round):
    folder, ctx, returns = community_round
    path = rates_path(folder, ctx.record.round_id)
    path.parent.mkdir(exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    try:
        report = ingest(returns, ctx)
    finally:
        path.unlink()
    assert [i.code for i in report.notes] == ["feed-unreadable"]
    assert str(report.notes[0]).startswith(path.name)
    assert all(not r.fed for r in report.results)
