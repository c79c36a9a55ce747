"""The register's rules at ingest (issue 13): cross-round bars, the 历史 sheet, 复查."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import fill_book

from xlsxflow.ingest import ingest
from xlsxflow.isolation import Isolation
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.register import Decision, open_register
from xlsxflow.round import generate_round, open_round
from xlsxflow.rubric import shipped_dir
from xlsxflow.summary import write_report_json, write_summary

INLINE = Isolation(workers=0)

HONGQI_ROUND = """title: 2026年下半年红旗党支部评选
year: 2026
period: 2026H2
roster: branches.csv
forms:
  - id: hongqi
    title: 红旗党支部
    rubric: hongqi-dangzhibu
    slots: 1
"""


@pytest.fixture(scope="module")
def hongqi(tmp_path_factory):
    """A 红旗 round for the nine sample branches, every branch's return filled (full marks)."""
    folder = tmp_path_factory.mktemp("hongqi")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    shutil.copyfile(shipped_dir("samples") / "branches.csv", folder / "branches.csv")
    (folder / "round.yaml").write_text(HONGQI_ROUND, "utf-8")
    made = generate_round(folder / "round.yaml", folder / "workbooks", workdir=folder)
    ctx = open_round(workdir=folder)
    for g in made.files:
        fill_book(g.path, folder / "returns" / g.path.name, ctx.round)
    return folder, ctx


def _register(path: Path, stars: dict[str, int] | None = None):
    """A register holding 2026's 五星 results (``stars``: branch → stars)."""
    reg = open_register(path)
    if stars:
        reg.record_round("2026-wuxing", "2026年度五星级服务型党支部评定", ["wuxing"], "2026")
        reg.record_decisions(
            "2026-wuxing",
            "2026",
            [Decision(u, f"支部{u}", "wuxing", stars=n) for u, n in stars.items()],
        )
    return reg


def _by_unit(report) -> dict:
    return {r.unit_id: r for r in report.results}


def _barred(detail_code: str, **fields) -> str:
    return render("history-barred", detail=render(detail_code, **fields))


STAR_BAR = {
    "who": "",
    "round_title": "2026年度五星级服务型党支部评定",
    "stars": "三星级",
    "round_id": "2026-wuxing",
    "rule": "三星级以下党支部及其负责人当年不得评为各类先进",
    "year": 2026,
}


def test_three_stars_bar_four_stars_do_not(hongqi, tmp_path):
    folder, ctx = hongqi
    with _register(tmp_path / "reg.sqlite3", {"ZB02": 4, "ZB04": 3, "ZB09": 2}) as reg:
        report = ingest(folder / "returns", ctx, isolation=INLINE, register=reg)
    results = _by_unit(report)
    assert results["ZB02"].eligible and results["ZB02"].reasons == []
    star_bar = _barred("history-bar-stars", **STAR_BAR)
    assert results["ZB04"].reasons == [star_bar]
    for unit in ("ZB04", "ZB09"):  # barred like a veto: no rank, no award, counted not eligible
        r = results[unit]
        assert not r.eligible and r.rank is None and r.award == ""
    quota = {q.unit_id: q for q in report.quotas}
    assert quota["ZB04"].eligible == 0 and quota["ZB02"].eligible == 1
    ranked = [r.unit_id for r in report.results if r.rank is not None]
    assert "ZB04" not in ranked and len(ranked) == 7
    data = report.to_dict()
    row = next(r for r in data["results"] if r["unit_id"] == "ZB04")
    assert row["eligible"] is False and row["reasons"] == [star_bar]
    zb04 = next(c for c in data["history"]["candidates"] if c["id"] == "ZB04")
    assert zb04["bars"] == [render("history-bar-stars", **STAR_BAR)]


def test_a_violation_bars_inside_its_period_only(hongqi, tmp_path):
    folder, ctx = hongqi
    with _register(tmp_path / "reg.sqlite3") as reg:
        reg.add_violation(
            "ZB03",
            "2026-07-01",
            "通报批评",
            "迟报",
            "县局通报",
            name="征收管理党支部",
            subject_kind="unit",
        )
        reg.add_violation(
            "ZB05",
            "2026-06-30",
            "通报批评",
            "上半年的事",
            "县局通报",
            name="稽查局党支部",
            subject_kind="unit",
        )
        reg.add_violation(
            "ZB06-02",
            "2026-12-31",
            "违纪违法",
            "立案",
            "纪检组",
            name="某党员",
            subject_kind="person",
            unit_id="ZB06",
        )
        report = ingest(folder / "returns", ctx, isolation=INLINE, register=reg)
    results = _by_unit(report)
    assert results["ZB05"].eligible  # 2026-06-30 lies in 2026H1, not in this round's 2026H2
    assert results["ZB03"].reasons == [
        _barred(
            "history-bar-violation",
            who="",
            period="2026年下半年",
            date="2026-07-01",
            kind="通报批评",
            reason="迟报",
            source="县局通报",
        )
    ]
    assert results["ZB06"].reasons == [  # a member's violation bars the branch (unit_of_person)
        _barred(
            "history-bar-violation",
            who="所属“某党员”（ZB06-02）",
            period="2026年下半年",
            date="2026-12-31",
            kind="违纪违法",
            reason="立案",
            source="纪检组",
        )
    ]


def test_a_remembered_file_still_gets_the_bars_of_today(hongqi, tmp_path):
    folder, ctx = hongqi
    db = tmp_path / "reg.sqlite3"
    with _register(db) as reg:
        first = ingest(folder / "returns", ctx, isolation=INLINE, register=reg)
    assert first.reused == 0 and all(r.eligible for r in first.results)
    assert first.history is None  # the register knows none of the branches yet
    with open_register(db) as reg:
        reg.add_violation(
            "ZB07",
            "2026-09-09",
            "媒体曝光",
            "窗口服务",
            "晚报",
            name="第二分局党支部",
            subject_kind="unit",
        )
        second = ingest(folder / "returns", ctx, isolation=INLINE, register=reg)
    assert second.reused == 9  # nothing read again …
    assert not _by_unit(second)["ZB07"].eligible  # … and the new violation bars all the same
    assert "2026-09-09" in _by_unit(second)["ZB07"].reasons[0]


def test_without_a_register_nothing_changes(hongqi, tmp_path):
    folder, ctx = hongqi
    plain = ingest(folder / "returns", ctx, isolation=INLINE)
    assert plain.history is None and "history" not in plain.to_dict()
    assert all(r.eligible for r in plain.results)
    with _register(tmp_path / "empty.sqlite3") as reg:  # a register knowing none of them
        empty = ingest(folder / "returns", ctx, isolation=INLINE, register=reg)
    assert empty.history is None
    assert [r.to_dict() for r in empty.results] == [r.to_dict() for r in plain.results]


def test_the_history_sheet_shows_each_candidates_record(hongqi, tmp_path):
    folder, ctx = hongqi
    with _register(tmp_path / "reg.sqlite3", {"ZB04": 3}) as reg:
        reg.import_rows(shipped_dir("samples") / "register-past.csv")
        report = ingest(folder / "returns", ctx, isolation=INLINE, register=reg)
    out = tmp_path / "summary.xlsx"
    write_summary(report, None, ctx.roster, out)
    write_report_json(report, tmp_path / "report.json")
    wb = openpyxl.load_workbook(out)
    assert "历史" in wb.sheetnames and "复查" not in wb.sheetnames
    ws = wb["历史"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["编号", "名称", "本轮参评"]
    rows = {
        r[0]: dict(zip(headers, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert sorted(rows) == [f"ZB0{n}" for n in range(1, 10)]
    zb04 = rows["ZB04"]
    assert zb04["名称"] == "纳税服务党支部" and zb04["本轮参评"] == "红旗党支部"
    record = zb04["近期记录（每个项目最近 4 期）"].split("\n")
    assert record[0] == "【红旗党支部评选】"
    assert record[1:4] == ["2025年上半年：81.2分", "2025年下半年：86.3分", "2026年上半年：82.8分"]
    assert "【五星级服务型党支部评定】" in record and record[-1] == "2026年：三星级"
    assert "三星级以下党支部及其负责人当年不得评为各类先进" in zb04["本轮不得参评的原因"]
    assert "保持：2026年为三星级" in zb04["星级变化"]
    zb02 = rows["ZB02"]  # 2026H1's flag: a run of one, two needed for the year's title
    assert zb02["本轮不得参评的原因"] == "无"
    assert zb02["连续获奖与称号"] == render(
        "history-run-short",
        count=1,
        award="红旗党支部（流动红旗）",
        periods="2026年上半年",
        needed=2,
        title="年度先进党支部",
        note="免评",
    )
    assert "2024-01-01至2026-12-31" in zb02["应撤销的奖项；无违纪记录"]
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
    ranking = wb["红旗党支部排名"]
    head = [c.value for c in ranking[1]]
    row = next(r for r in ranking.iter_rows(min_row=2, values_only=True) if r[1] == "ZB04")
    assert row[head.index("是否符合条件")] == "否"
    assert "三星级以下" in row[head.index("不符合原因")]
    data = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert {c["id"] for c in data["history"]["candidates"]} == set(rows)


# -- 复查 ------------------------------------------------------------------------------------

RECHECK_ROSTER = """单位编号,单位名称,主管单位,邮箱,联系人,联系电话,职工人数,内设机构数,已获文明单位称号,最高荣誉级别
KEEP,刚好达线单位,,a@example.org,甲,1,60,9,市级,市直
LOSE,差半分单位,,b@example.org,乙,2,60,9,市级,市直
AWAY,未交单位,,c@example.org,丙,3,60,9,市级,市直
GONE,称号已撤销单位,,d@example.org,丁,4,60,9,市级,市直
OLD,称号过期单位,,e@example.org,戊,5,60,9,市级,市直
"""

RECHECK_ROUND = """title: 2026年度文明单位复查
year: 2026
period: 2026
roster: roster.csv
forms:
  - id: fucha
    title: 文明单位复查
    rubric: wenming-danwei
    slots: 1
    requires:
      - when: "已获文明单位称号 != '否'"
        reason: 未获文明单位称号，无需复查
history:
  recheck:
    - title: 文明单位
      form: fucha
      valid_years: 3
"""


@pytest.fixture(scope="module")
def recheck(tmp_path_factory):
    """A 复查 round on the 文明单位 rubric: KEEP returns 90 (the rubric's threshold), LOSE
    89.5, AWAY returns nothing; GONE's title was revoked, OLD's is older than 3 years."""
    folder = tmp_path_factory.mktemp("recheck")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    (folder / "roster.csv").write_text(RECHECK_ROSTER, "utf-8")
    (folder / "round.yaml").write_text(RECHECK_ROUND, "utf-8")
    made = generate_round(folder / "round.yaml", folder / "workbooks", workdir=folder)
    ctx = open_round(workdir=folder)
    files = {g.unit_id: g.path for g in made.files}
    sheet = ctx.round.book({"fucha": 1}).sheets[0].sheet_name
    scores = {"KEEP": {"i01": 0, "i02": 1}, "LOSE": {"i01": 0, "i02": 0.5}}  # 90, 89.5
    scores |= {"GONE": {"i01": 0, "i02": 0}, "OLD": {}}
    for unit, override in scores.items():
        fill_book(files[unit], folder / "returns" / files[unit].name, ctx.round, {sheet: override})
    reg = open_register(folder / "reg.sqlite3")
    reg.record_round("2023-wm", "2023年度文明单位命名", ["danwei"], "2023")
    reg.record_round("2022-wm", "2022年度文明单位命名", ["danwei"], "2022")
    given = reg.record_decisions(
        "2023-wm",
        "2023",
        [
            Decision(u, u, "danwei", title="文明单位", award="文明单位")
            for u in ("KEEP", "LOSE", "AWAY", "GONE")
        ],
    )
    assert given.count == 4
    reg.record_decisions("2022-wm", "2022", [Decision("OLD", "OLD", "danwei", award="文明单位")])
    gone = next(d for d in reg.decisions(subject_id="GONE"))
    reg.revoke(decision_id=gone.id, reason="2024年复查未通过")
    reg.close()
    return folder, ctx


def _recheck_report(folder: Path, ctx, round_text: str | None = None):
    if round_text is not None:
        (folder / "round.yaml").write_text(round_text, "utf-8")
        ctx = open_round(workdir=folder)
    with open_register(folder / "reg.sqlite3") as reg:
        return ingest(folder / "returns", ctx, isolation=INLINE, register=reg), ctx


def test_recheck_keeps_at_the_threshold_and_loses_below(recheck):
    folder, ctx = recheck
    report, _ = _recheck_report(folder, ctx)
    found = {r.unit_id: r for r in report.history.rechecks}
    assert sorted(found) == ["AWAY", "KEEP", "LOSE"]  # GONE revoked, OLD given before 2023
    assert found["KEEP"].state == "保留" and found["KEEP"].score == 90
    assert found["KEEP"].message == render(
        "history-recheck-kept",
        title="文明单位",
        since="2023年获得，轮次 2023-wm",
        form="文明单位复查",
        basis="自评分（不含加分）",
        score="90",
        threshold="90",
    )
    lose = found["LOSE"]
    assert lose.state == "不保留（撤销）" and lose.score == 89.5
    below = _by_unit(report)["LOSE"].reasons
    assert lose.message == render(
        "history-recheck-lost",
        title="文明单位",
        since="2023年获得，轮次 2023-wm",
        form="文明单位复查",
        why="；".join(below),
        decision_id=lose.holding.id,
    )
    assert "未达到 90 分" in below[0]
    assert found["AWAY"].state == "未参加复查" and found["AWAY"].message == render(
        "history-recheck-absent",
        title="文明单位",
        since="2023年获得，轮次 2023-wm",
        form="文明单位复查",
    )
    rows = {r["unit_id"]: r for r in report.to_dict()["history"]["rechecks"]}
    assert rows["LOSE"]["state"] == "不保留（撤销）" and rows["AWAY"]["score"] is None


def test_recheck_threshold_of_its_own(recheck, tmp_path):
    folder, ctx = recheck
    text = RECHECK_ROUND + "      threshold: 95\n"
    work = tmp_path / "own"
    shutil.copytree(folder, work)
    for unit, score in (("KEEP", {"i01": 1}), ("LOSE", {"i01": 0.5})):  # 95 and 94.5
        path = next((work / "workbooks").glob(f"*{unit}*.xlsx"))
        out = next((work / "returns").glob(f"*{unit}*.xlsx"))
        sheet = ctx.round.book({"fucha": 1}).sheets[0].sheet_name
        fill_book(path, out, ctx.round, {sheet: score})
    report, rctx = _recheck_report(work, ctx, text)
    found = {r.unit_id: r for r in report.history.rechecks}
    assert found["KEEP"].state == "保留" and found["KEEP"].threshold == 95
    assert found["LOSE"].state == "不保留（撤销）"
    assert _by_unit(report)["LOSE"].reasons == [
        render("history-recheck-below", basis="自评分（不含加分）", score="94.5", threshold="95")
    ]
    out = tmp_path / "summary.xlsx"
    write_summary(report, None, rctx.roster, out)
    ws = openpyxl.load_workbook(out)["复查"]
    headers = [c.value for c in ws[1]]
    rows = {
        r[0]: dict(zip(headers, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert rows["LOSE"]["复查结果"] == "不保留（撤销）" and rows["KEEP"]["复查结果"] == "保留"
    assert rows["AWAY"]["复查结果"] == "未参加复查" and rows["KEEP"]["复查分数线"] == 95
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)][0] == "LOSE"  # lost first


def test_recheck_needs_a_form_of_the_round_and_a_threshold(recheck, tmp_path):
    folder, ctx = recheck
    work = tmp_path / "bad"
    shutil.copytree(folder, work)
    with pytest.raises(XlsxflowError) as err:
        _recheck_report(work, ctx, RECHECK_ROUND.replace("form: fucha", "form: danwei"))
    assert err.value.issues[0].message == render("history-recheck-no-form", n=1, form="danwei")


REVIEWED = RECHECK_ROUND.replace(
    "    slots: 1\n",
    "    slots: 1\n    review:\n      reviewers: reviewers.csv\n      assign: all\n"
    "      basis: review\n      threshold: 90\n",
)


def test_recheck_on_a_reviewed_form_waits_for_the_review(recheck, tmp_path):
    from xlsxflow.review.outcome import decide, review_for_ingest

    folder, ctx = recheck
    work = tmp_path / "reviewed"
    shutil.copytree(folder, work)
    shutil.copyfile(shipped_dir("samples") / "reviewers.csv", work / "reviewers.csv")
    report, rctx = _recheck_report(work, ctx, REVIEWED)
    review, ok = review_for_ingest(rctx.round)
    assert ok
    outcome = decide(rctx.round, review, report, None)
    decided = {r.unit_id: r for r in report.history.decided(outcome).rechecks}
    assert decided["KEEP"].state == "待评审" and decided["AWAY"].state == "未参加复查"
    assert decided["KEEP"].message == render(
        "history-recheck-pending",
        title="文明单位",
        since="2023年获得，轮次 2023-wm",
        form="文明单位复查",
    )
    out = tmp_path / "summary.xlsx"
    write_summary(report, None, rctx.roster, out, outcome=outcome)
    ws = openpyxl.load_workbook(out)["复查"]
    states = {r[0]: r[7] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert states == {"KEEP": "待评审", "LOSE": "不保留（撤销）", "AWAY": "未参加复查"}
    own = REVIEWED.replace("valid_years: 3\n", "valid_years: 3\n      threshold: 95\n")
    with pytest.raises(XlsxflowError) as err:
        _recheck_report(work, ctx, own)
    assert err.value.issues[0].message == render("history-recheck-reviewed", n=1, form="fucha")


def test_the_sanchuang_example_rechecks_its_holders(tmp_path):
    """The commented 复查 example of the shipped round, uncommented, works as documented."""
    text = (shipped_dir("templates") / "rounds" / "sanchuang.yaml").read_text("utf-8")
    head, _, example = text.partition("  # - id: fucha")
    lines = ("  # - id: fucha" + example).splitlines()
    live = [
        line if line.lstrip().startswith("# 复查") else line.replace("# ", "", 1) for line in lines
    ]
    roster = shipped_dir("samples") / "roster.csv"
    body = head.replace("roster: ../../samples/roster.csv", f"roster: {roster.as_posix()}")
    (tmp_path / "round.yaml").write_text(body + "\n".join(live) + "\n", "utf-8")
    made = generate_round(
        tmp_path / "round.yaml", tmp_path / "workbooks", workdir=tmp_path, units=["JYJ", "ZWZX"]
    )
    ctx = open_round(workdir=tmp_path)
    assert [r.form for r in ctx.round.spec.history.recheck] == ["fucha"]
    files = {g.unit_id: g.path for g in made.files}
    sheet = next(s.sheet_name for s in ctx.round.book({"fucha": 1}).sheets)
    fill_book(files["JYJ"], tmp_path / "returns" / "JYJ.xlsx", ctx.round, {sheet: {}})
    with open_register(tmp_path / "reg.sqlite3") as reg:
        reg.record_round("2023-wm", "2023年度市直文明单位命名", ["danwei"], "2023")
        reg.record_decisions(
            "2023-wm",
            "2023",
            [Decision(u, u, "danwei", title="文明单位") for u in ("JYJ", "ZWZX")],
        )
        report = ingest(tmp_path / "returns", ctx, isolation=INLINE, register=reg)
    states = {r.unit_id: r.state for r in report.history.rechecks}
    assert states == {"JYJ": "保留", "ZWZX": "未参加复查"}


# -- 民主测评: a person barred as the branch's 负责人, or by their own violation ---------------


@pytest.mark.parametrize("stars", [3, 4])
def test_a_branch_secretary_is_barred_by_the_branch_stars(tmp_path, stars):
    from ballot_rounds import HEAD, ROSTER
    from test_ballot_count import ITEMS, ballot, scores

    from xlsxflow.ballots.count import count_ballots
    from xlsxflow.ballots.spec import load_evaluations
    from xlsxflow.register.candidates import HistoryScreen
    from xlsxflow.roundfile import load_round

    members = "支部编号,党员编号,姓名,岗位或职务\n" + "".join(
        f"ZB01,M0{n},党员{n},{'支部书记' if n == 1 else ''}\n" for n in range(1, 7)
    )
    (tmp_path / "roster.csv").write_text(
        ROSTER.replace("ZB01,第一支部,5", "ZB01,第一支部,6"), "utf-8"
    )
    (tmp_path / "members.csv").write_text(members, "utf-8")
    (tmp_path / "round.yaml").write_text(
        HEAD + ITEMS.replace("floor(党员人数 * 30 / 100)", "3"), "utf-8"
    )
    rnd = load_round(tmp_path / "round.yaml")
    evals = load_evaluations(rnd)
    ev = evals.evaluations["xfg"]
    totals = {"M01": 91, "M02": 90, "M03": 88, "M04": 80}
    ballots = [ballot(ev, "ZB01", "dangyuan", n, {m: scores(t) for m, t in totals.items()}) for n in range(6)]  # fmt: skip
    with _register(tmp_path / "reg.sqlite3", {"ZB01": stars}) as reg:
        reg.add_violation("M03", "2026-04-01", "通报批评", "迟到", "支部", name="党员3", subject_kind="person", unit_id="ZB01")  # fmt: skip
        reg.add_violation("M02", "2025-12-31", "通报批评", "去年的事", "支部", name="党员2", subject_kind="person", unit_id="ZB01")  # fmt: skip
        screen = HistoryScreen.open(reg, rnd)
        outcome = count_ballots(evals, ballots, screen.candidate_reasons)
    got = {c.member_id: c for c in outcome.of("xfg", "ZB01")}
    assert got["M02"].recommended  # a violation of 2025 does not reach a 2026 evaluation
    assert not got["M03"].recommended and "2026-04-01" in got["M03"].reasons[0]
    secretary = got["M01"]
    if stars == 4:
        assert secretary.recommended and secretary.reasons == []
    else:
        assert not secretary.recommended
        assert secretary.reasons == [
            _barred(
                "history-bar-stars",
                **{**STAR_BAR, "who": "本人为支部书记，所在“支部ZB01”（ZB01）"},
            )
        ]


def test_the_ingest_command_says_what_the_register_barred(hongqi, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from xlsxflow.cli import main

    folder, _ = hongqi
    db = tmp_path / "reg.sqlite3"
    with _register(db, {"ZB04": 3}):
        pass
    monkeypatch.chdir(folder)
    out = tmp_path / "summary.xlsx"
    args = ["ingest", "returns", "--out", str(out), "--workers", "0", "--register", str(db)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output  # a bar is a decision, not a problem to fix
    line = render(
        "history-ingest-summary", known=1, barred=1, rechecks=0, kept=0, lost=0, absent=0, pending=0
    )
    assert line in result.output
    assert "历史" in openpyxl.load_workbook(out, read_only=True).sheetnames
    plain = CliRunner().invoke(main, [*args[:-2], "--no-register"])
    assert "历史记录：" not in plain.output


def test_a_clean_record_rule_bars_its_form_only_inside_the_window(hongqi, tmp_path):
    folder, _ = hongqi
    work = tmp_path / "clean"
    shutil.copytree(folder, work, ignore=shutil.ignore_patterns("*.sqlite3"))
    history = "history:\n  clean_record:\n    - {years: 3, form: hongqi, kinds: [违纪违法]}\n"
    (work / "round.yaml").write_text(HONGQI_ROUND + history, "utf-8")
    ctx = open_round(workdir=work)
    with _register(tmp_path / "reg.sqlite3") as reg:
        for unit, day, kind in (
            ("ZB02", "2024-01-01", "违纪违法"),  # the window's first day: 2024 … 2026
            ("ZB03", "2023-12-31", "违纪违法"),  # the day before it
            ("ZB08", "2025-06-01", "通报批评"),  # a kind the rule does not count
        ):
            reg.add_violation(unit, day, kind, "案件", "纪检组", name=unit, subject_kind="unit")
        report = ingest(work / "returns", ctx, isolation=INLINE, register=reg)
    results = _by_unit(report)
    assert results["ZB03"].eligible and results["ZB08"].eligible
    assert results["ZB02"].reasons == [
        _barred(
            "history-bar-not-clean",
            form="“红旗党支部”",
            start="2024-01-01",
            end="2026-12-31",
            years=3,
            items="2024-01-01 ZB02 违纪违法",
        )
    ]
