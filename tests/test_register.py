"""The register across rounds: periods, the rules at their boundaries, import, schema
migration, concurrent writers and kill -9 (real processes), export and the commands."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlsxflow.cli import main
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.register import (
    DEFAULT_RULES,
    PERSON,
    SCHEMA_VERSION,
    Decision,
    DecisionRecord,
    History,
    Period,
    Subject,
    Violation,
    assess,
    open_register,
    rules_from_config,
)
from xlsxflow.register.model import Revocation, star_label
from xlsxflow.register.rules import (
    BarRule,
    CleanRule,
    ConsecutiveRule,
    awards_to_revoke,
    clean_record,
    consecutive_award,
    runs_of,
    star_bars,
    star_changes,
    violation_bars,
)
from xlsxflow.register.store import MIGRATIONS
from xlsxflow.rubric import shipped_dir
from xlsxflow.sqlitedb import connect, migrate

P = Period.parse
HONGQI = ConsecutiveRule(form="hongqi", count=2, title="年度先进党支部")
XFG = ConsecutiveRule(form="xianfenggang", count=4, title="年度优秀党员")
HEADER = ["轮次编号", "期间", "表", "类别", "编号", "名称", "所属单位编号", "得分", "星级", "奖项"]


def rec(period: str, form: str = "hongqi", award: str = "流动红旗", *, subject="ZB01", n=0, **kw):
    kind = kw.pop("subject_kind", "unit")
    revoked = kw.pop("revoked", False)
    d = Decision(subject, kw.pop("name", "机关第一党支部"), form, kind, award=award, **kw)
    rev = Revocation(1, "decision", n, date(2026, 12, 1), "撤销") if revoked else None
    return DecisionRecord(n, f"{period}-{form}", P(period), d, f"{period} {form}", rev)


def viol(day: str, subject="ZB01", unit_id="", kind="违纪违法", n=1, withdrawn=False):
    rev = Revocation(9, "violation", n, date(2026, 12, 1), "撤回") if withdrawn else None
    kind_of = PERSON if unit_id else "unit"
    return Violation(
        n, subject, kind_of, "某人", unit_id, date.fromisoformat(day), kind, "事由", "通报", rev
    )


# -- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, label",
    [
        ("2026", "2026"),
        ("2026H1", "2026H1"),
        ("2026h2", "2026H2"),
        ("2026Q3", "2026Q3"),
        ("2026年", "2026"),
        ("2026年度", "2026"),
        ("2026年上半年", "2026H1"),
        ("2026年下半年", "2026H2"),
        ("2026年第三季度", "2026Q3"),
        ("2026年第3季度", "2026Q3"),
        (2026, "2026"),
    ],
)
def test_period_reads_labels_and_chinese(text, label):
    assert P(text).label == label


@pytest.mark.parametrize("text", ["", "2026H3", "2026Q5", "26Q1", "2026-13", "上半年", "2026Q"])
def test_period_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        P(text)


def test_period_order_next_previous_contains():
    assert P("2026Q4").next() == P("2027Q1") and P("2027Q1").previous() == P("2026Q4")
    assert P("2026H2").next() == P("2027H1") and P("2026").next() == P("2027")
    assert sorted([P("2026Q3"), P("2026"), P("2025Q4"), P("2026H1")]) == [
        P("2025Q4"),
        P("2026"),
        P("2026H1"),
        P("2026Q3"),
    ]
    assert P("2026").contains(P("2026Q2")) and P("2026H1").contains(P("2026Q2"))
    assert not P("2026H1").contains(P("2026Q3"))
    assert P("2026Q1").end == date(2026, 3, 31) and P("2026H2").start == date(2026, 7, 1)
    assert P("2026Q2").contains(date(2026, 6, 30)) and not P("2026Q2").contains(date(2026, 7, 1))
    assert P("2026Q3").chinese == "2026年第三季度" and P("2026H1").chinese == "2026年上半年"


# -- consecutive awards ----------------------------------------------------------------------


def test_red_flag_run_of_one_does_not_earn():
    result = consecutive_award(HONGQI, [rec("2026H1")], 2026)
    assert not result.earned and result.periods == (P("2026H1"),)
    assert result.message.message == render(
        "history-run-short",
        count=1,
        award="流动红旗",
        periods="2026年上半年",
        needed=2,
        note="免评",
        title="年度先进党支部",
    )


def test_red_flag_run_of_two_earns_with_its_periods():
    result = consecutive_award(HONGQI, [rec("2026H1"), rec("2026H2")], 2026)
    assert result.earned and result.periods == (P("2026H1"), P("2026H2"))
    assert result.message.message == render(
        "history-run-earned",
        count=2,
        award="流动红旗",
        periods="2026年上半年、2026年下半年",
        title="年度先进党支部",
        note="免评",
    )


def test_red_flag_run_of_three_across_years_earns_when_allowed():
    records = [rec("2025H2"), rec("2026H1"), rec("2026H2")]
    across = ConsecutiveRule(form="hongqi", count=2, title="年度先进党支部", within="any")
    result = consecutive_award(across, records, 2026)
    assert result.earned and len(result.periods) == 3
    # within the year (the default), the 2025 flag does not count toward 2026 — still two
    assert consecutive_award(HONGQI, records, 2026).periods == (P("2026H1"), P("2026H2"))


def test_a_gap_breaks_the_run():
    records = [rec("2025H1"), rec("2025H2", award=""), rec("2026H1")]
    across = ConsecutiveRule(form="hongqi", count=2, title="年度先进党支部", within="any")
    assert runs_of([P("2025H1"), P("2026H1")]) == [(P("2025H1"),), (P("2026H1"),)]
    assert not consecutive_award(across, records, 2026).earned


def test_a_revoked_flag_breaks_the_run():
    records = [rec("2026H1", revoked=True), rec("2026H2")]
    assert not consecutive_award(HONGQI, records, 2026).earned


def test_four_pioneer_posts_earn_three_do_not():
    quarters = [f"2026Q{i}" for i in (1, 2, 3, 4)]
    four = [rec(q, "xianfenggang", "党员先锋岗", subject="ZB01-03") for q in quarters]
    assert consecutive_award(XFG, four, 2026).earned
    assert not consecutive_award(XFG, four[:3], 2026).earned
    assert not consecutive_award(XFG, [four[0], four[1], four[3]], 2026).earned  # Q3 missing


# -- stars, bars, violations, clean records -------------------------------------------------------


def test_star_up_keep_down():
    records = [
        rec(str(y), "wuxing", "", stars=s, n=y)
        for y, s in ((2023, 3), (2024, 4), (2025, 4), (2026, 2))
    ]
    changes = star_changes(records)
    assert [c.direction for c in changes] == ["首评", "晋级", "保持", "降级"]
    assert changes[3].message.message == render(
        "history-star-down", period="2026年", now="二星级", before_period="2025年", before="四星级"
    )
    assert changes[1].message.message == render(
        "history-star-up", period="2024年", now="四星级", before_period="2023年", before="三星级"
    )


def test_three_stars_bar_the_year_naming_the_round_four_do_not():
    rule = BarRule()
    three = rec("2026", "wuxing", "", stars=3)
    bars = star_bars(rule, [three], 2026)
    assert len(bars) == 1 and bars[0].round_id == "2026-wuxing"
    assert bars[0].message.message == render(
        "history-bar-stars",
        who="",
        round_title="2026 wuxing",
        round_id="2026-wuxing",
        stars="三星级",
        rule=rule.rule,
        year=2026,
    )
    assert star_bars(rule, [rec("2026", "wuxing", "", stars=4)], 2026) == []
    assert star_bars(rule, [three], 2027) == []  # 当年 only


def test_bar_reaches_the_units_leader_only():
    unit = Subject("ZB07", "unit", "第二分局党支部")
    person = Subject("ZB07-02", PERSON, "卢某", "ZB07")
    hist = History(
        person, unit=unit, unit_decisions=[rec("2026", "wuxing", "", subject="ZB07", stars=2)]
    )
    assert assess(hist, DEFAULT_RULES, 2026, role="支部书记").bars
    assert not assess(hist, DEFAULT_RULES, 2026, role="办公室科员").bars


def test_violation_bars_its_period_and_flags_the_award_given_in_it():
    v = viol("2026-05-20")
    assert violation_bars([v], P("2026Q2")) and not violation_bars([v], P("2026Q3"))
    flags = awards_to_revoke([rec("2026H1", n=7), rec("2026H2", n=8)], [v])
    assert [f.decision.id for f in flags] == [7]
    assert flags[0].message.message == render(
        "register-revoke-award",
        subject="机关第一党支部（ZB01）",
        period="2026年上半年",
        award="流动红旗",
        round_id="2026H1-hongqi",
        date="2026-05-20",
        kind="违纪违法",
        reason="事由",
        decision_id=7,
        violation_id=1,
    )
    assert awards_to_revoke([rec("2026H1", n=7, revoked=True)], [v]) == []  # already revoked
    assert awards_to_revoke([rec("2026H1")], [viol("2026-05-20", withdrawn=True)]) == []


def test_a_members_violation_flags_the_branchs_flag():
    member = viol("2026-03-01", subject="ZB01-05", unit_id="ZB01")
    assert awards_to_revoke([rec("2026H1")], [member])
    assert not awards_to_revoke([rec("2026H1")], [member], unit_of_person=False)


def test_clean_record_window_of_three_years_at_its_edge():
    rule = CleanRule(years=3)
    assert not clean_record(rule, [viol("2024-01-01")], P("2026")).clean
    result = clean_record(rule, [viol("2023-12-31")], P("2026"))
    assert result.clean and (result.start, result.end) == (date(2024, 1, 1), date(2026, 12, 31))
    assert result.message.message == render(
        "history-clean", start="2024-01-01", end="2026-12-31", years=3
    )
    only_law = CleanRule(years=3, kinds=("违纪违法",))
    assert clean_record(only_law, [viol("2025-06-01", kind="通报批评")], P("2026")).clean


def test_rules_from_a_round_file_section():
    rules = rules_from_config(
        {
            "consecutive": [{"form": "hongqi", "count": 2, "title": "年度先进党支部"}],
            "bars": [{"at_most": 2}],
        }
    )
    assert rules.consecutive[0].count == 2 and rules.bars[0].at_most == 2
    with pytest.raises(XlsxflowError) as exc:
        rules_from_config({"consecutive": [{"form": "hongqi", "count": 0, "title": "x"}]})
    assert exc.value.issues[0].code == "round-schema" and "count" in exc.value.issues[0].message


# -- the store ------------------------------------------------------------------------------------


def test_name_changes_and_same_names_are_reported_never_merged(tmp_path):
    with open_register(tmp_path / "r.sqlite3") as reg:
        reg.record_decisions("r1", "2026H1", [Decision("ZB01", "机关第一党支部", "hongqi")])
        renamed = reg.record_decisions("r2", "2026H2", [Decision("ZB01", "机关一支部", "hongqi")])
        assert [i.message for i in renamed.issues] == [
            render(
                "register-name-changed",
                kind="单位",
                id="ZB01",
                old="机关第一党支部",
                new="机关一支部",
                period="2026H2",
            )
        ]
        twin = reg.record_decisions("r2", "2026H2", [Decision("ZB10", "机关一支部", "hongqi")])
        assert [i.code for i in twin.issues] == ["register-same-name-new-id"]
        assert reg.subject("ZB01").names == ("机关第一党支部", "机关一支部")
        assert len(reg.history("ZB01").decisions) == 2 and len(reg.history("ZB10").decisions) == 1
        with pytest.raises(XlsxflowError) as exc:
            reg.record_decisions("r3", "2027H1", [Decision("ZB01", "x", "xfg", PERSON, "ZB02")])
        assert exc.value.issues[0].code == "register-import-kind-changed"
        assert len(reg.decisions()) == 3  # the failed write left nothing behind


def test_revocation_is_recorded_once_and_never_deletes(tmp_path):
    with open_register(tmp_path / "r.sqlite3") as reg:
        reg.record_decisions(
            "r1", "2026H1", [Decision("ZB01", "一支部", "hongqi", award="流动红旗")]
        )
        v = reg.add_violation("ZB01", "2026-05-20", "通报批评", "作风问题", "局通报")
        (flag,) = reg.flagged_awards(v)
        reg.revoke(decision_id=flag.decision.id, because=v.id, reason="违纪", when="2026-06-01")
        (d,) = reg.decisions()
        assert not d.awarded and d.award == "流动红旗" and d.revocation.violation_id == v.id
        with pytest.raises(XlsxflowError) as exc:
            reg.revoke(decision_id=d.id, reason="again")
        assert exc.value.issues[0].code == "register-already-revoked"
        reg.revoke(violation_id=v.id, reason="经复核撤回")
        assert not reg.violations()[0].standing and reg.flagged_awards(reg.violations()[0]) == []
        with pytest.raises(XlsxflowError):
            reg.add_violation("NOPE", "2026-05-20", "x", "y")


# -- import -------------------------------------------------------------------------------------


def _csv(path: Path, rows: list[list], header=HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_import_checks_every_row_and_imports_nothing_when_one_is_wrong(tmp_path):
    bad = _csv(
        tmp_path / "past.csv",
        [
            ["", "2026H1", "hongqi", "单位", "ZB01", "一支部", "", "95", "", "流动红旗"],
            ["", "2026上", "hongqi", "单位", "ZB02", "二支部", "", "x", "", ""],
            ["", "2026Q1", "xfg", "团体", "Z B", "某", "", "", "六星", ""],
            ["", "2026Q1", "xfg", "个人", "P1", "某", "", "", "", ""],
            ["", "2026H1", "hongqi", "单位", "ZB01", "一支部", "", "", "", ""],
        ],
    )
    with open_register(tmp_path / "r.sqlite3") as reg:
        with pytest.raises(XlsxflowError) as exc:
            reg.import_rows(bad)
        got = [(i.code, i.line) for i in exc.value.issues]
        assert got == [
            ("register-import-bad-period", 3),
            ("register-import-bad-number", 3),
            ("register-import-bad-id", 4),
            ("register-import-bad-kind", 4),
            ("register-import-bad-stars", 4),
            ("register-import-person-unit", 5),
            ("register-import-duplicate", 6),
            ("register-import-failed", None),
        ]
        assert exc.value.issues[0].message == render(
            "register-import-bad-period", column="期间", value="2026上"
        )
        assert str(exc.value.issues[0]).startswith(f"{bad}:3: ")
        assert exc.value.issues[-1].message == render("register-import-failed", count=7)
        assert reg.counts()["decisions"] == 0 and reg.rounds() == []
        result = reg.import_rows(bad, skip_bad=True)
        assert result.decisions == 1 and result.skipped_rows == 4


def test_import_names_sheet_and_cell_in_an_xlsx_and_missing_columns(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "历史"
    wb.active.append(HEADER)
    wb.active.append(["", 2026, "hongqi", "单位", "ZB01", "一支部", "", 95, "", ""])
    wb.active.append(["", "2026H9", "hongqi", "单位", "ZB02", "二支部", "", "", "", ""])
    wb.save(tmp_path / "past.xlsx")
    with open_register(tmp_path / "r.sqlite3") as reg:
        with pytest.raises(XlsxflowError) as exc:
            reg.import_rows(tmp_path / "past.xlsx")
        issue = exc.value.issues[0]
        assert (issue.sheet, issue.cell, issue.code) == ("历史", "B3", "register-import-bad-period")
        with pytest.raises(XlsxflowError) as exc:
            reg.import_rows(_csv(tmp_path / "nocol.csv", [["1"]], header=["编号"]))
        assert [i.fields["column"] for i in exc.value.issues] == ["期间", "表", "名称"]
        (tmp_path / "junk.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
        with pytest.raises(XlsxflowError) as exc:
            reg.import_rows(tmp_path / "junk.xlsx")
        assert exc.value.issues[0].code == "register-import-unreadable"


def test_the_shipped_sample_imports_and_earns_titles(tmp_path):
    with open_register(tmp_path / "r.sqlite3") as reg:
        result = reg.import_rows(shipped_dir("samples") / "register-past.csv")
        assert result.decisions > 50 and not result.issues
        member = assess(reg.history("ZB05-04"), year=2025)
        assert [r.rule.title for r in member.titles] == ["年度优秀党员"]
        branch = assess(reg.history("ZB07"), year=2025)
        assert [c.direction for c in branch.stars] == ["首评", "降级"] and branch.bars


# -- schema ---------------------------------------------------------------------------------------


def test_migrates_a_version_1_register_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = connect(path)
    assert migrate(conn, MIGRATIONS[:1]) == 1
    conn.execute("INSERT INTO rounds VALUES ('r1', 't', '[\"hongqi\"]', '2025H2', 'imported', 'x')")
    for n, name in enumerate(["一支部", "第一支部"]):
        conn.execute(
            "INSERT INTO decisions (round_id, period, form, subject_id, subject_kind, name,"
            " award, recorded_at) VALUES ('r1', '2025H2', ?, 'ZB01', 'unit', ?, '流动红旗', 'x')",
            (f"f{n}", name),
        )
    conn.commit()
    conn.close()
    with open_register(path) as reg:
        assert reg.version == SCHEMA_VERSION == 3
        assert reg.subject("ZB01").name == "第一支部" and set(reg.subject("ZB01").names) == {
            "一支部",
            "第一支部",
        }
        assert len(reg.history("ZB01").decisions) == 2
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(XlsxflowError) as exc:
        open_register(path)
    assert exc.value.issues[0].message == render(
        "register-newer", path=str(path), found=99, supported=SCHEMA_VERSION
    )


# -- real processes: two writers at once, kill -9 --------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys, time
    from xlsxflow.register import open_register
    path, rows, who, start = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    while time.time() < start:
        time.sleep(0.005)
    with open_register(path) as reg:
        for i in range(40):
            reg.add_violation(f"{who}-{i}", "2026-05-20", "通报批评", "r", name="某", subject_kind="unit")
            if i == 5:
                reg.import_rows(rows)
    print("ok")
    """
)


def _big_csv(path: Path, count: int, prefix: str) -> Path:
    return _csv(
        path,
        [
            [
                "",
                f"20{10 + i % 16}Q{1 + i % 4}",
                "xfg",
                "个人",
                f"{prefix}{i}",
                f"党员{prefix}{i}",
                "ZB01",
                "",
                "",
                "",
            ]
            for i in range(count)
        ],
    )


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "r.sqlite3"
    start = time.time() + 1.0
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WRITER,
                str(db),
                str(_big_csv(tmp_path / f"{w}.csv", 1500, w)),
                w,
                str(start),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in ("A", "B")
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0 and out.strip() == "ok", err
    with open_register(db) as reg:
        assert reg.counts() == {"rounds": 16, "decisions": 3000, "violations": 80, "revocations": 0}
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


_OPENER = textwrap.dedent(
    """
    import os, sys
    from xlsxflow.register import open_register
    print("ready", flush=True)
    while not os.path.exists(sys.argv[2]):
        pass
    with open_register(sys.argv[1]) as reg:
        reg.counts()
    print("ok")
    """
)


def test_two_processes_creating_the_register_at_the_same_instant_both_open_it(tmp_path):
    """Switching a new file to WAL raced: one of two openers got "database is locked"
    about one time in four (SQLite does not wait on that step), before sqlitedb waited."""
    for attempt in range(10):
        db, go = tmp_path / f"r{attempt}.sqlite3", tmp_path / f"go{attempt}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _OPENER, str(db), str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        go.touch()
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0 and out.strip() == "ok", err


_IMPORTER = textwrap.dedent(
    """
    import sys
    from xlsxflow.register import open_register
    with open_register(sys.argv[1]) as reg:
        reg.import_rows(sys.argv[2], progress=lambda n: print(n, flush=True))
    """
)


def test_kill_9_in_the_middle_of_a_large_import_leaves_it_whole(tmp_path):
    db = tmp_path / "r.sqlite3"
    with open_register(db) as reg:
        reg.record_decisions("before", "2025", [Decision("ZB01", "一支部", "wuxing", stars=4)])
    big = _big_csv(tmp_path / "big.csv", 20000, "P")
    for wait_lines in (1, 8, 0):  # after 500 rows written, after 4000, while still reading
        child = subprocess.Popen(
            [sys.executable, "-c", _IMPORTER, str(db), str(big)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if wait_lines:
            for _ in range(wait_lines):
                assert child.stdout.readline(), "the import ended before it was killed"
        else:
            time.sleep(0.3)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        with sqlite3.connect(db) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with open_register(db) as reg:  # the last committed state, nothing of the import
            assert reg.counts()["decisions"] == 1 and [r.id for r in reg.rounds()] == ["before"]
    with open_register(db) as reg:  # and the register takes writes again at once
        assert reg.import_rows(_big_csv(tmp_path / "small.csv", 10, "Q")).decisions == 10


# -- export and the commands ------------------------------------------------------------------------


def test_export_opens_and_has_every_row(tmp_path):
    with open_register(tmp_path / "r.sqlite3") as reg:
        reg.import_rows(shipped_dir("samples") / "register-past.csv")
        v = reg.add_violation("ZB03", "2026-05-20", "通报批评", "作风问题")
        reg.revoke(decision_id=reg.flagged_awards(v)[0].decision.id, because=v.id, reason="违纪")
        reg.export_xlsx(tmp_path / "历史记录.xlsx")
        total = reg.counts()["decisions"]
    wb = openpyxl.load_workbook(tmp_path / "历史记录.xlsx")
    assert wb.sheetnames == ["评定结果", "违纪违规", "撤销记录", "轮次", "名称变更"]
    rows = list(wb["评定结果"].iter_rows(values_only=True))
    assert rows[0][:4] == ("记录号", "期间", "轮次编号", "轮次名称") and len(rows) == total + 1
    assert sum(1 for r in rows if str(r[12]).startswith("已撤销")) == 1
    assert star_label(5) in {r[9] for r in rows}
    assert wb["违纪违规"]["H2"].value == "作风问题"
    assert wb["评定结果"].print_title_rows == "$1:$1"


def test_commands_import_history_violation_revoke_export(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "r.sqlite3")
    sample = str(shipped_dir("samples") / "register-past.csv")
    done = runner.invoke(main, ["register", "import", sample, "--register", db])
    assert done.exit_code == 0, done.output
    assert render("register-import-done", decisions=83, rounds=12, path=db) in done.output
    added = runner.invoke(
        main,
        [
            "register",
            "violation",
            "add",
            "ZB03-02",
            "--date",
            "2026-05-20",
            "--kind",
            "违纪违法",
            "--reason",
            "违规报销",
            "--name",
            "顾建国",
            "--unit",
            "ZB03",
            "--register",
            db,
        ],
    )
    assert added.exit_code == 1 and "register-revoke-award" in added.output
    revoke = runner.invoke(main, ["register", "revoke", "38", "--violation", "1", "--register", db])
    assert revoke.exit_code == 0, revoke.output
    shown = runner.invoke(main, ["history", "ZB03", "--register", db])
    assert shown.exit_code == 0 and "已撤销" in shown.output and "征收管理党支部" in shown.output
    by_name = runner.invoke(main, ["history", "机关第一党支部", "--register", db])
    assert by_name.exit_code == 2 and "ZB01" in by_name.output
    missing = runner.invoke(main, ["history", "ZB01", "--register", str(tmp_path / "none.sqlite3")])
    assert missing.exit_code == 2 and "register-missing" in missing.output
    out = tmp_path / "out.xlsx"
    exported = runner.invoke(main, ["register", "export", "--register", db, "--out", str(out)])
    assert exported.exit_code == 0 and out.is_file()
    bad = _csv(
        tmp_path / "bad.csv", [["", "2026H3", "hongqi", "单位", "ZB01", "一", "", "", "", ""]]
    )
    refused = runner.invoke(main, ["register", "import", str(bad), "--register", db])
    assert refused.exit_code == 2 and f"{bad}:2:" in refused.output


# -- incremental ingest: the register remembers what ingest has read --------------------------------


def test_ingest_reads_an_unchanged_file_once_and_rereads_what_changed(
    round_dir, tmp_path, monkeypatch
):
    import importlib
    from dataclasses import replace

    from conftest import fill

    from xlsxflow.ingest import ingest
    from xlsxflow.isolation import Isolation

    ingest_module = importlib.import_module("xlsxflow.ingest")  # the package exports ingest()
    readcache = importlib.import_module("xlsxflow.register.readcache")
    _, generated, ctx = round_dir
    files = {g.unit_id: g.path for g in generated.files}
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(files["CZJ"], returns / "czj.xlsx")
    fill(files["JYJ"], returns / "jyj.xlsx")
    (returns / "junk.xlsx").write_bytes(b"PK\x03\x04 broken")
    read: list[str] = []
    real = ingest_module.read_source

    def counted(source, rel, *args):
        read.append(rel)
        return real(source, rel, *args)

    monkeypatch.setattr(ingest_module, "read_source", counted)
    reg = open_register(tmp_path / "r.sqlite3")

    def run(context=ctx):
        read.clear()
        report = ingest(returns, context, isolation=Isolation(workers=0), register=reg)
        return report, sorted(read)

    first, fresh = run()
    assert fresh == ["czj.xlsx", "junk.xlsx", "jyj.xlsx"]
    again, reread = run()
    assert reread == []  # nothing read again, every file still listed with its result
    assert [f.to_dict() for f in again.files] == [f.to_dict() for f in first.files]
    assert [(r.unit_id, r.total) for r in again.results] == [
        (r.unit_id, r.total) for r in first.results
    ]
    fill(files["JYJ"], returns / "jyj.xlsx", scores={"i01": 0})  # a changed file
    assert run()[1] == ["jyj.xlsx"]
    other = type(ctx.rubric).model_validate({**ctx.rubric.model_dump(), "title": "另一评分表"})
    changed = replace(ctx, rubric=other)
    assert changed.signed_as[3] != ctx.signed_as[3]
    assert run(changed)[1] == ["czj.xlsx", "junk.xlsx", "jyj.xlsx"]  # a changed rubric
    monkeypatch.setattr(readcache, "__version__", "99.0")
    assert run()[1] == ["czj.xlsx", "junk.xlsx", "jyj.xlsx"]  # a new xlsxflow version
    assert run()[1] == []
    monkeypatch.setattr(readcache, "code_digest", lambda: "other code")
    assert run()[1] == ["czj.xlsx", "junk.xlsx", "jyj.xlsx"]  # changed code, same version
    with sqlite3.connect(reg.path) as raw:  # an entry altered in the database is not trusted
        raw.execute("UPDATE ingest_cache SET record = record || x'00'")
    assert run()[1] == ["czj.xlsx", "junk.xlsx", "jyj.xlsx"]
    reg.close()


class _Counted:
    """An ingest that records which files were really read (not reused from the register)."""

    def __init__(self, round_dir, tmp_path, monkeypatch):
        import importlib

        from conftest import fill

        self.ingest_module = importlib.import_module("xlsxflow.ingest")
        _, generated, self.ctx = round_dir
        self.files = {g.unit_id: g.path for g in generated.files}
        self.returns = tmp_path / "returns"
        self.returns.mkdir()
        fill(self.files["CZJ"], self.returns / "czj.xlsx")
        fill(self.files["JYJ"], self.returns / "jyj.xlsx")
        self.read: list[str] = []
        real = self.ingest_module.read_source

        def counted(source, rel, *args):
            self.read.append(rel)
            return real(source, rel, *args)

        monkeypatch.setattr(self.ingest_module, "read_source", counted)
        self.reg = open_register(tmp_path / "r.sqlite3")

    def __call__(self, context=None, **kw):
        """(the report, the files read, sorted)."""
        from xlsxflow.isolation import Isolation

        self.read.clear()
        report = self.ingest_module.ingest(
            self.returns,
            context or self.ctx,
            isolation=Isolation(workers=0),
            register=self.reg,
            **kw,
        )
        return report, sorted(self.read)

    def rows(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.reg.path) as raw:
            return sorted(raw.execute("SELECT path, context FROM ingest_cache").fetchall())


def test_the_read_cache_rereads_when_the_key_roster_round_or_limits_change(
    round_dir, tmp_path, monkeypatch
):
    from dataclasses import replace

    from xlsxflow.ooxml import Limits
    from xlsxflow.roster import Roster

    run = _Counted(round_dir, tmp_path, monkeypatch)
    ctx, both = run.ctx, ["czj.xlsx", "jyj.xlsx"]
    assert run()[1] == both
    fds = Path("/proc/self/fd")
    before = len(os.listdir(fds)) if fds.is_dir() else 0
    assert run()[1] == []
    assert (len(os.listdir(fds)) if fds.is_dir() else 0) == before  # none left open ahead
    last = ctx.roster.units[-1]
    changes = {
        "key": replace(ctx, key=b"another round key, another signature"),
        "roster": replace(
            ctx, roster=Roster([*ctx.roster.units[:-1], replace(last, email="new@example.org")])
        ),
        "round": replace(ctx, record=replace(ctx.record, round_id=ctx.record.round_id + "-2")),
        "other rounds": replace(ctx, other_rounds={"R-old": ctx.record}),
    }
    for what, changed in changes.items():
        assert run(changed)[1] == both, what
        assert run(changed)[1] == [], what  # remembered in that context too
    assert run(limits=Limits(max_rows=4_000))[1] == both  # other reading limits
    again, read = run()  # the first context's entries are still good
    assert read == [] and again.reused == 2 and again.counts()["accepted"] == 2
    assert len({context for _, context in run.rows()}) == 6
    run.reg.close()


def test_a_cache_entry_changed_or_moved_in_the_database_is_read_again(
    round_dir, tmp_path, monkeypatch
):
    run = _Counted(round_dir, tmp_path, monkeypatch)
    first, _ = run()
    assert run()[1] == []
    with sqlite3.connect(run.reg.path) as raw:  # each file's entry swapped with the other's
        (a, b) = raw.execute("SELECT rowid, record, mac FROM ingest_cache ORDER BY path").fetchall()
        for rowid, (_, record, mac) in ((a[0], b), (b[0], a)):
            raw.execute(
                "UPDATE ingest_cache SET record = ?, mac = ? WHERE rowid = ?", (record, mac, rowid)
            )
    again, read = run()  # each entry's HMAC is good, but not for that row: both read again
    assert read == ["czj.xlsx", "jyj.xlsx"] and again.reused == 0
    assert [f.to_dict() for f in again.files] == [f.to_dict() for f in first.files]
    with sqlite3.connect(run.reg.path) as raw:  # a changed HMAC
        raw.execute("UPDATE ingest_cache SET mac = substr(mac, 2) || '0' WHERE path = 'czj.xlsx'")
    assert run()[1] == ["czj.xlsx"]
    with sqlite3.connect(run.reg.path) as raw:  # a record under another file's bytes
        raw.execute("UPDATE ingest_cache SET sha256 = 'ff' || substr(sha256, 3)")
    assert run()[1] == ["czj.xlsx", "jyj.xlsx"]
    run.reg.close()


def test_a_read_that_crashed_or_timed_out_is_not_remembered(round_dir, tmp_path, monkeypatch):
    from xlsxflow.ingest import FileRecord
    from xlsxflow.messages import make_issue
    from xlsxflow.register.readcache import ReadCache

    run = _Counted(round_dir, tmp_path, monkeypatch)
    real = run.ingest_module._read_data

    def crashing(data, suffix, record, *args):
        if record.path == "jyj.xlsx":
            raise RuntimeError("a reader bug")
        return real(data, suffix, record, *args)

    monkeypatch.setattr(run.ingest_module, "_read_data", crashing)
    report, read = run()
    crashed = next(f for f in report.files if f.path == "jyj.xlsx")
    assert read == ["czj.xlsx", "jyj.xlsx"] and crashed.issues[-1].code == "file-reader-crashed"
    assert [path for path, _ in run.rows()] == ["czj.xlsx"]
    report, read = run()  # the crash is not taken as the file's result
    assert read == ["jyj.xlsx"] and report.reused == 1
    monkeypatch.setattr(run.ingest_module, "_read_data", real)
    report, read = run()
    assert read == ["jyj.xlsx"] and report.counts()["accepted"] == 2
    assert run()[1] == []
    cache = ReadCache.open(run.reg, run.ctx, run.ingest_module.DEFAULT_LIMITS)
    timed_out = FileRecord("slow.xlsx", 10, 0.0, "ab" * 32)
    timed_out.issues.append(make_issue("file-timeout", file="slow.xlsx", seconds=60))
    cache.put(timed_out)
    assert cache.new == [] and cache.save() == 0
    run.reg.close()


def test_a_reused_file_takes_the_mail_record_beside_it_as_it_is_now(
    round_dir, tmp_path, monkeypatch
):
    run = _Counted(round_dir, tmp_path, monkeypatch)
    assert run()[1] == ["czj.xlsx", "jyj.xlsx"]
    sidecar = run.returns / "czj.xlsx.mail.json"
    mail = {"from": "someone@elsewhere.org", "date": "2026-12-01T09:00:00+08:00"}
    sidecar.write_text(json.dumps(mail), encoding="utf-8")
    report, read = run()  # the workbook is unchanged: reused, with the mail it came by now
    czj = next(f for f in report.files if f.path == "czj.xlsx")
    assert read == [] and czj.mail["from"] == "someone@elsewhere.org"
    assert [i.code for i in czj.issues] == ["mail-sender-mismatch"]
    assert next(f for f in report.files if f.path == "czj.xlsx.mail.json").status == "skipped"
    sidecar.unlink()
    report, read = run()
    czj = next(f for f in report.files if f.path == "czj.xlsx")
    assert read == [] and czj.mail is None and czj.issues == []
    run.reg.close()


def test_a_remembered_record_comes_back_equal_from_its_stored_form(
    round_dir, tmp_path, monkeypatch
):
    import pickle

    from xlsxflow.messages import make_issue
    from xlsxflow.register.readcache import decode, encode

    run = _Counted(round_dir, tmp_path, monkeypatch)
    (run.returns / "junk.xlsx").write_bytes(b"PK\x03\x04 broken")
    (run.returns / "notes.txt").write_text("不是报表", encoding="utf-8")
    report, _ = run()
    assert {f.status for f in report.files} == {"accepted", "rejected", "skipped"}
    for record in report.files:  # plain values: stored as plain tuples, not pickled
        blob = encode(record)
        assert blob[:1] == b"M" and decode(blob) == record
    odd = report.files[0]
    odd.issues.append(make_issue("file-corrupt", file=odd.path, detail=OSError("磁盘错误")))
    blob = encode(odd)  # an issue field that is no plain value: pickled, equal all the same
    assert blob[:1] == b"P" and repr(decode(blob)) == repr(odd)
    odd.issues.pop()
    odd.extra = "an attribute beside the fields"
    assert encode(odd)[:1] == b"P" and decode(encode(odd)).extra == odd.extra
    for bad in (b"", b"X" + pickle.dumps(odd), b"M" + b"\x00garbage"):
        with pytest.raises((ValueError, EOFError)):  # then the file is read again
            decode(bad)
    run.reg.close()


def test_a_round_files_history_section_is_checked_and_applied(tmp_path):
    import shutil

    from xlsxflow.roundfile import load_round

    for name in ("branches.csv", "members.csv", "reviewers.csv"):
        shutil.copy(shipped_dir("samples") / name, tmp_path / name)
    text = (shipped_dir("templates") / "rounds" / "dangzhibu.yaml").read_text("utf-8")
    text = text.replace("../../samples/", "")
    (tmp_path / "plain.yaml").write_text(text, "utf-8")
    section = "\nhistory:\n  consecutive:\n    - {form: hongqi, count: %d, title: 年度先进党支部}\n"
    (tmp_path / "r.yaml").write_text(text + section % 1, "utf-8")
    (tmp_path / "bad.yaml").write_text(text + section % 0, "utf-8")
    rnd = load_round(tmp_path / "r.yaml")
    assert rnd.spec.history.consecutive[0].count == 1
    assert rnd.content_hash == load_round(tmp_path / "plain.yaml").content_hash  # not signed
    with pytest.raises(XlsxflowError) as exc:
        load_round(tmp_path / "bad.yaml")
    issue = exc.value.issues[0]
    assert issue.code == "round-schema" and issue.line == len(text.splitlines()) + 4
    db = tmp_path / "reg.sqlite3"
    with open_register(db) as reg:
        reg.record_decisions(
            "r", "2026H1", [Decision("ZB01", "一支部", "hongqi", award="流动红旗")]
        )
    runner = CliRunner()
    args = ["history", "ZB01", "--register", str(db)]
    assert "年度先进党支部（免评）" not in runner.invoke(main, args).output  # seeds: two flags
    shown = runner.invoke(main, [*args, "--round", str(tmp_path / "r.yaml")]).output
    assert "年度先进党支部（免评）" in shown  # this round file: one


def test_record_published_takes_a_decisions_json(tmp_path):
    from xlsxflow.register.published import record_published

    def cand(n, unit, decision, award="", nominee=""):
        return {
            "number": n,
            "form_id": "hongqi",
            "form": "红旗党支部",
            "unit_id": unit,
            "unit": f"{unit}支部",
            "nominee": nominee,
            "scores": {"self": "95", "review": "94.5", "decision": "94.5"},
            "award": award,
            "decision": decision,
        }

    doc = {
        "format": "xlsxflow-decisions-1",
        "round": {"id": "R26H2", "title": "2026年下半年红旗党支部评选"},
        "candidates": [
            cand(1, "ZB01", "同意", "红旗党支部（流动红旗）"),
            cand(2, "ZB02", "不同意", "红旗党支部（流动红旗）"),
            cand(3, "ZB03", "同意", nominee="某窗口"),
        ],
    }
    (tmp_path / "decisions.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    with open_register(tmp_path / "r.sqlite3") as reg:
        result = record_published(reg, tmp_path / "decisions.json", "2026H2")
        assert (result.count, result.skipped) == (2, 1)
        (r,) = reg.rounds()
        assert (r.id, r.period, r.status, r.forms) == (
            "R26H2",
            P("2026H2"),
            "published",
            ("hongqi",),
        )
        first, second = reg.decisions()
        assert first.awarded and first.award == "红旗党支部（流动红旗）" and first.score == 94.5
        assert not second.awarded and second.source == "decisions.json#2"
