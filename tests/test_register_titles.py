"""Annual titles in the 公示 of the period that earns them (issue 13): ``publish`` with the
register writes 年度称号公示.xlsx for the runs it completes (seed 000: 连续二次流动红旗 →
年度先进党支部, 连续四次先锋岗 → 年度优秀党员, 免评), lists them in decisions.json and
records each once; the party-branch demo's violation revokes a flag and the title it made."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlsxflow.cli import main
from xlsxflow.demo import DEMO_VIOLATION, run_demo
from xlsxflow.identity import load_key
from xlsxflow.messages import render
from xlsxflow.publish import DECISIONS_FILE, TITLES_FILE, publish
from xlsxflow.register import PERSON, UNIT, Decision, Period, open_register
from xlsxflow.register.titles import short_periods, titles_round_id, unsupported_titles
from xlsxflow.roundfile import load_round

FLAG = "红旗党支部（流动红旗）"
POST = "党员先锋岗"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    result = run_demo(folder, "dangzhibu", echo=lines.append)
    return folder, result, lines


def _register(path: Path, flags: dict | None = None, posts: dict | None = None) -> Path:
    """A register holding past flags (unit id → periods) and pioneer posts (member id → periods)."""
    with open_register(path) as reg:
        for unit, periods in (flags or {}).items():
            for p in periods:
                reg.record_decisions(
                    f"{p}-hongqi", p, [Decision(unit, f"支部{unit}", "hongqi", award=FLAG)]
                )
        for member, periods in (posts or {}).items():
            for p in periods:
                person = Decision(
                    member, f"党员{member}", "xianfenggang", PERSON, member[:4], award=POST
                )
                reg.record_decisions(f"{p}-xianfenggang", p, [person])
    return path


def _publish(folder: Path, register: Path, out: str, which: str = "flags", rnd=None):
    """Publish the demo's decided summary (the 2026H2 flags) or 测评汇总 (the 2026Q4 posts)."""
    decided = folder / ("summary-审定.xlsx" if which == "flags" else "测评汇总-审定.xlsx")
    rnd = rnd or load_round(folder / "dangzhibu.yaml")
    return publish(
        decided,
        folder / out,
        key=load_key(folder / "demo-secret.key"),
        spec=rnd.spec,
        register=register,
        rnd=rnd,
    )


def _approved(folder: Path, published: Path) -> list[dict]:
    data = json.loads((published / DECISIONS_FILE).read_text("utf-8"))
    return [c for c in data["candidates"] if c["approved"]]


def _listed(path: Path) -> list[list[str]]:
    """The numbered rows of each sheet of a 公示 workbook."""
    wb = openpyxl.load_workbook(path)
    return [
        [str(v) for v in row if v is not None]
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        if isinstance(row[0], int)
    ]


def test_a_run_of_two_flags_is_published_once_one_or_a_broken_run_is_not(demo, tmp_path):
    folder, result, _ = demo
    flagged = sorted(c["unit_id"] for c in _approved(folder, result.published))
    assert len(flagged) == 3
    two = one = gap = revoked = flagged[0]
    # two: the 2026H1 flag and now the 2026H2 flag
    pub = _publish(folder, _register(tmp_path / "two.db", {two: ["2026H1"]}), "p-two")
    assert [t.subject_id for t in pub.titles] == [two]
    t = pub.titles[0]
    assert (t.title, t.note, t.periods) == (
        "年度先进党支部",
        "免评",
        (Period(2026, "H", 1), Period(2026, "H", 2)),
    )
    assert (folder / "p-two" / TITLES_FILE) in pub.files
    rows = _listed(folder / "p-two" / TITLES_FILE)
    assert len(rows) == 1 and rows[0][2:] == ["2026年上半年、下半年", "连续 2 次，免评"]
    data = json.loads((folder / "p-two" / DECISIONS_FILE).read_text("utf-8"))
    assert [(x["subject_id"], x["periods"]) for x in data["titles"]] == [
        (two, ["2026H1", "2026H2"])
    ]
    # one: no flag before this one
    pub = _publish(folder, _register(tmp_path / "one.db", {one: ["2025H1"]}), "p-one")
    assert pub.ok and pub.titles == [] and not (folder / "p-one" / TITLES_FILE).exists()
    assert json.loads((folder / "p-one" / DECISIONS_FILE).read_text("utf-8"))["titles"] == []
    # a gap: 2025H2 and 2026H2 without 2026H1 (a rule whose run may cross the year)
    text = (folder / "dangzhibu.yaml").read_text("utf-8")
    crossing = tmp_path / "crossing.yaml"
    for name in ("branches.csv", "members.csv", "reviewers.csv"):
        shutil.copyfile(folder / name, tmp_path / name)
    crossing.write_text(
        text + "history:\n  consecutive:\n"
        "    - {form: hongqi, count: 2, title: 年度先进党支部, within: any}\n",
        "utf-8",
    )
    rnd = load_round(crossing)
    pub = _publish(folder, _register(tmp_path / "gap.db", {gap: ["2025H2"]}), "p-gap", rnd=rnd)
    assert pub.ok and pub.titles == []
    pub = _publish(folder, _register(tmp_path / "x.db", {gap: ["2026H1"]}), "p-x", rnd=rnd)
    assert [t.subject_id for t in pub.titles] == [gap]  # the same rule, no gap: earned
    # revoked: the 2026H1 flag of the run revoked
    db = _register(tmp_path / "revoked.db", {revoked: ["2026H1"]})
    with open_register(db) as reg:
        reg.revoke(decision_id=reg.decisions(subject_id=revoked)[0].id, reason="违纪违规")
    pub = _publish(folder, db, "p-revoked")
    assert pub.ok and pub.titles == [] and not (folder / "p-revoked" / TITLES_FILE).exists()


def test_four_pioneer_posts_earn_the_title_three_or_a_gap_do_not(demo, tmp_path):
    folder, result, _ = demo
    member = "ZB02-05"  # approved for 2026Q4 in the demo
    assert "罗文博" in {c["nominee"] for c in _approved(folder, result.ballots_published)}
    cases = {
        "four": (["2026Q1", "2026Q2", "2026Q3"], True),
        "three": (["2026Q2", "2026Q3"], False),
        "gap": (["2026Q1", "2026Q3"], False),
        "last-year": (["2025Q4", "2026Q2", "2026Q3"], False),
    }
    for name, (past, earned) in cases.items():
        pub = _publish(
            folder, _register(tmp_path / f"{name}.db", posts={member: past}), name, "posts"
        )
        assert pub.ok, name
        assert [t.subject_id for t in pub.titles] == ([member] if earned else []), name
        assert (folder / name / TITLES_FILE).exists() == earned, name
    rows = _listed(folder / "four" / TITLES_FILE)
    assert rows == [
        ["1", "罗文博", "2026年第一、二、三、四季度", "连续 4 次，免评", "机关第二党支部"]
    ]


def test_publish_command_says_and_records_the_titles_once(demo, tmp_path, monkeypatch):
    folder, result, _ = demo
    monkeypatch.chdir(folder)
    unit = sorted(c["unit_id"] for c in _approved(folder, result.published))[0]
    db = _register(tmp_path / "cli.db", {unit: ["2026H1"]})
    args = ["publish", "summary-审定.xlsx", "--register", str(db), "--key", "demo-secret.key"]
    runner = CliRunner()
    first = runner.invoke(main, [*args, "--out", "cli-a"])
    assert first.exit_code == 0, first.output
    assert "年度称号公示.xlsx" in first.output and f"（{unit}）连续 2 次获得" in first.output
    recorded = render("register-titles-recorded", count=1, rounds=titles_round_id(2026))
    assert recorded in first.output
    with open_register(db) as reg:
        before = reg.counts()
        titles = [d for d in reg.decisions() if d.round_id == titles_round_id(2026)]
        assert [(d.subject_id, d.title, d.period) for d in titles] == [
            (unit, "年度先进党支部", Period(2026))
        ]
        assert reg.round(titles_round_id(2026)).status == "titles"
    again = runner.invoke(main, [*args, "--out", "cli-b"])  # published again: recorded once
    assert again.exit_code == 0 and recorded in again.output
    with open_register(db) as reg:
        assert reg.counts() == before
    history = runner.invoke(main, ["history", unit, "--register", str(db)])
    assert "2026年度称号" in history.output and "年度先进党支部" in history.output
    off = runner.invoke(main, [*args, "--out", "cli-c", "--no-register"])
    assert off.exit_code == 0 and not (folder / "cli-c" / TITLES_FILE).exists()
    exported = runner.invoke(
        main, ["register", "export", "--register", str(db), "--out", str(tmp_path / "e.xlsx")]
    )
    assert exported.exit_code == 0, exported.output
    cells = {
        str(c)
        for ws in openpyxl.load_workbook(tmp_path / "e.xlsx")
        for r in ws.iter_rows(values_only=True)
        for c in r
    }
    assert {"年度先进党支部", "年度称号"} <= cells


def test_a_broken_register_publishes_without_titles_and_says_why(demo, tmp_path):
    folder, _, _ = demo
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database" * 100)
    pub = _publish(folder, broken, "p-broken")
    assert pub.ok and pub.titles == []
    assert [i.code for i in pub.issues if i.code.startswith("publish-titles")] == [
        "publish-titles-failed"
    ]
    missing = tmp_path / "none.db"
    assert _publish(folder, missing, "p-none").ok and not missing.exists()  # never created


def test_the_demo_publishes_titles_and_a_violation_revokes_a_flag_and_its_title(demo):
    folder, result, lines = demo
    text = "\n".join(lines)
    assert "共 2 个半年、4 个季度" in text
    flags = _listed(result.published / TITLES_FILE)
    assert [r[1] for r in flags] == ["机关第二党支部", "稽查局党支部"]
    posts = _listed(result.ballots_published / TITLES_FILE)
    assert [r[1] for r in posts] == ["罗文博"]
    wb = openpyxl.load_workbook(result.published / TITLES_FILE)
    ws = wb.worksheets[0]
    assert (
        ws.title == "年度先进党支部公示"
        and "2026年度先进党支部拟授予对象公示名单" in ws["A1"].value
    )
    assert ws.page_setup.paperSize == 9 and ws.print_title_rows == "$3:$3"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    step = lines[lines.index(next(x for x in lines if x.startswith("13. 违纪违规"))) :]
    with open_register(result.register) as reg:
        (violation,) = reg.violations()
        revoked = [d for d in reg.decisions() if d.revocation is not None]
        assert (violation.subject_id, violation.unit_id) == (
            DEMO_VIOLATION["subject_id"],
            DEMO_VIOLATION["unit_id"],
        )
        assert [(d.subject_id, d.period.label, d.award or d.title) for d in revoked] == [
            ("ZB05", "2026", "年度先进党支部"),
            ("ZB05", "2026H1", FLAG),
        ]
        flag, title = sorted(revoked, key=lambda d: d.period.kind == "Y")
        assert flag.revocation.violation_id == violation.id
        assert unsupported_titles(reg) == []
    added = render(
        "register-violation-added",
        id=violation.id,
        subject=f"{violation.name}（{violation.subject_id}，稽查局党支部（ZB05））",
        date="2026-05-20",
        kind=violation.kind,
        reason=violation.reason,
    )
    assert f"    登记 violation add：{added}" in step
    done = render(
        "register-revoked", what="评定结果", id=flag.id, reason=f"违纪违规记录 #{violation.id}"
    )
    assert f"    已撤销 revoked：{done}" in step
    assert any(x.startswith("    称号 title：稽查局党支部（ZB05）的“年度先进党支部”") for x in step)
    assert "    撤销前 before：稽查局党支部（ZB05） 连续 2 次获得" in "\n".join(step)
    assert "    撤销后 after：稽查局党支部（ZB05） 连续 1 次获得" in "\n".join(step)
    assert any(x.startswith("14. 跨轮次规则") for x in step)
    assert "获得年度称号 earned: 稽查局党支部" not in text.split("14. 跨轮次规则")[1]
    assert "获得年度称号 earned: 机关第二党支部（ZB02）" in text


def test_short_periods():
    p = Period.parse
    assert short_periods([p("2026Q1"), p("2026Q2")]) == "2026年第一、二季度"
    assert short_periods([p("2025H2"), p("2026H1")]) == "2025年下半年、2026年上半年"
    assert short_periods([p("2025"), p("2026")]) == "2025年度、2026年度"


def test_unsupported_titles_only_reads_titles_publish_recorded(tmp_path):
    with open_register(tmp_path / "r.db") as reg:
        reg.record_decisions(
            "2025-import",
            "2025",
            [Decision("ZB01", "支部", "hongqi", UNIT, title="年度先进党支部")],
        )
        assert unsupported_titles(reg) == []  # an imported title has no run behind it here
        reg.record_decisions(
            titles_round_id(2026),
            "2026",
            [Decision("ZB01", "支部", "hongqi", UNIT, title="年度先进党支部")],
        )
        (found,) = unsupported_titles(reg)
        assert found.record.round_id == titles_round_id(2026)
        assert found.message.code == "register-title-unsupported"


def test_revoking_a_flag_names_the_title_it_made(demo, tmp_path, monkeypatch):
    folder, result, _ = demo
    monkeypatch.chdir(folder)
    unit = sorted(c["unit_id"] for c in _approved(folder, result.published))[0]
    db = _register(tmp_path / "rv.db", {unit: ["2026H1"]})
    key = ["--key", "demo-secret.key", "--register", str(db)]
    runner = CliRunner()
    assert runner.invoke(main, ["publish", "summary-审定.xlsx", "--out", "rv", *key]).exit_code == 0
    with open_register(db) as reg:
        flag = next(d for d in reg.decisions(subject_id=unit) if d.period == Period(2026, "H", 1))
        title = next(d for d in reg.decisions(subject_id=unit) if d.title)
    done = runner.invoke(
        main, ["register", "revoke", str(flag.id), "--reason", "违纪", "--register", str(db)]
    )
    assert done.exit_code == 0, done.output
    assert "register-title-unsupported" in done.output
    assert f"xlsxflow register revoke {title.id} " in done.output


def test_recording_a_publication_that_no_longer_supports_a_title_says_so(demo, tmp_path):
    from xlsxflow.register.link import record_publication

    folder, result, _ = demo
    unit = sorted(c["unit_id"] for c in _approved(folder, result.published))[0]
    db = _register(tmp_path / "again.db", {unit: ["2026H1"]})
    pub = _publish(folder, db, "p-first")
    rnd = load_round(folder / "dangzhibu.yaml")
    with open_register(db) as reg:
        first = record_publication(reg, folder / "p-first" / DECISIONS_FILE, rnd)
        titled = [i for i in first.issues if i.code == "register-title-unsupported"]
        assert first.titles == 1 and titled == [] and len(pub.titles) == 1
        data = json.loads((folder / "p-first" / DECISIONS_FILE).read_text("utf-8"))
        for c in data["candidates"]:
            if c["unit_id"] == unit:
                c["decision"], c["approved"] = "不同意", False
        data["titles"] = []
        changed = tmp_path / DECISIONS_FILE
        changed.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        again = record_publication(reg, changed, rnd)
    assert again.titles == 0
    (issue,) = [i for i in again.issues if i.code == "register-title-unsupported"]
    assert f"（{unit}）的“年度先进党支部”" in issue.message


def test_publish_takes_an_open_register_too(demo, tmp_path):
    folder, result, _ = demo
    unit = sorted(c["unit_id"] for c in _approved(folder, result.published))[0]
    with open_register(_register(tmp_path / "open.db", {unit: ["2026H1"]})) as reg:
        pub = _publish(folder, reg, "p-open")
    assert [t.subject_id for t in pub.titles] == [unit]
