"""The register connected to the round (issue 13, second part): periods in the round file,
publish recording into the register, incremental ingest by default, the demo's history."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROSTER, fill

from xlsxflow.cli import main
from xlsxflow.demo import demo_history_lines, run_demo
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.register import DEFAULT_FILE, PERSON, UNIT, Period, open_register
from xlsxflow.register.link import publication_decisions, record_publication
from xlsxflow.roundfile import load_round, resolve_round_path, round_periods

# -- periods in the round file ------------------------------------------------------------------


def _round_copy(folder: Path, edit) -> Path:
    """The shipped 党支部 round beside its samples, its text changed by ``edit``."""
    from xlsxflow.demo import demo_round_file

    path = demo_round_file(folder, resolve_round_path("dangzhibu"))
    path.write_text(edit(path.read_text("utf-8")), "utf-8")
    return path


def test_shipped_rounds_give_their_periods():
    party = round_periods(load_round("dangzhibu").spec)
    assert party == {"hongqi": Period.parse("2026H2"), "xianfenggang": Period.parse("2026Q4")}
    assert set(round_periods(load_round("sanchuang").spec).values()) == {Period(2026)}


def test_period_errors_name_file_and_line_and_stay_out_of_the_hash(tmp_path):
    path = _round_copy(tmp_path / "a", lambda t: t.replace("period: 2026H2", "period: 2026H3"))
    with pytest.raises(XlsxflowError) as exc:
        load_round(path)
    issue = exc.value.issues[0]
    lines = path.read_text("utf-8").splitlines()
    line = next(n for n, x in enumerate(lines, 1) if x.startswith("period: 2026H3"))
    assert issue.code == "round-period" and issue.line == line
    assert issue.message == render("round-period", key="period", value="2026H3")
    bad_ev = _round_copy(tmp_path / "b", lambda t: t.replace("period: 2026Q4", "period: 第五季度"))
    with pytest.raises(XlsxflowError) as exc:
        load_round(bad_ev)
    assert exc.value.issues[0].fields["key"] == "evaluations.0.period"
    other = _round_copy(
        tmp_path / "c", lambda t: t.replace("period: 2026H2", "period: 2026年上半年")
    )
    none = _round_copy(tmp_path / "d", lambda t: re.sub(r"^period: 2026H2.*\n", "", t, flags=re.M))
    shipped = load_round("dangzhibu")
    assert load_round(other).content_hash == shipped.content_hash
    assert load_round(none).content_hash == shipped.content_hash
    assert round_periods(load_round(other).spec)["hongqi"] == Period(2026, "H", 1)
    assert round_periods(load_round(none).spec)["hongqi"] is None


# -- the demo: publish records, the history rules ------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    result = run_demo(folder, "dangzhibu", echo=lines.append)
    return folder, result, lines


def test_demo_records_both_publications_with_periods_and_persons(demo):
    folder, result, lines = demo
    assert result.register == folder / DEFAULT_FILE
    with open_register(result.register) as reg:
        rounds = {r.id: r for r in reg.rounds()}
        this = [r for r in rounds.values() if r.status == "published"]
        assert sorted(r.period.label for r in this) == ["2026H2", "2026Q4"]
        ids = {r.period.kind: r.id for r in this}
        flags = [d for d in reg.decisions() if d.round_id == ids["H"]]
        posts = [d for d in reg.decisions() if d.round_id == ids["Q"]]
    assert {d.decision.subject_kind for d in flags} == {UNIT}
    assert {d.decision.subject_kind for d in posts} == {PERSON}
    approved = json.loads((result.ballots_published / "decisions.json").read_text("utf-8"))
    assert len(posts) == len(approved["candidates"])
    one = next(d.decision for d in posts if d.decision.subject_id == "ZB02-05")
    assert (one.name, one.unit_id, one.award) == ("罗文博", "ZB02", "党员先锋岗")
    units = sum(d.decision.subject_kind == UNIT for d in flags)
    message = render(
        "register-published", path=result.register, rounds=1, count=len(posts), units=0,
        persons=len(posts),
    )  # fmt: skip
    assert any(message in line for line in lines) and units == len(flags)


def test_recording_again_updates_never_duplicates(demo, tmp_path):
    folder, result, _ = demo
    rnd = load_round(folder / "dangzhibu.yaml")
    copy = tmp_path / DEFAULT_FILE
    shutil.copyfile(result.register, copy)
    with open_register(copy) as reg:
        before = reg.counts()
        again = record_publication(reg, result.ballots_published / "decisions.json", rnd)
        assert reg.counts() == before and again.persons > 0 and again.units == 0
        again = record_publication(reg, result.published / "decisions.json", rnd)
        assert reg.counts() == before and again.units == 5


def test_history_lines_show_the_seeds_rules(demo):
    folder, result, lines = demo
    history = demo_history_lines(result.register, load_round(folder / "dangzhibu.yaml"))
    text = "\n".join(history)
    assert "罗文博（ZB02-05）" in text and "年度优秀党员" in text
    assert "机关第二党支部（ZB02）" in text and "年度先进党支部" in text
    assert "第二分局党支部（ZB07） 降级" in text
    assert all(line in lines[-len(history) :][i] for i, line in enumerate(history))


def test_publish_command_records_and_a_broken_register_keeps_the_publication(demo, monkeypatch):
    folder, result, _ = demo
    monkeypatch.chdir(folder)
    runner = CliRunner()
    key = ["--key", "demo-secret.key"]
    db = folder / "cli-register.sqlite3"
    done = runner.invoke(
        main, ["publish", "summary-审定.xlsx", "--out", "pub-a", "--register", str(db), *key]
    )
    assert done.exit_code == 0, done.output
    assert (
        render("register-published", path=db, rounds=1, count=5, units=5, persons=0) in done.output
    )
    again = runner.invoke(
        main, ["publish", "summary-审定.xlsx", "--out", "pub-b", "--register", str(db), *key]
    )
    assert again.exit_code == 0, again.output
    with open_register(db) as reg:
        assert reg.counts()["decisions"] == 5
    broken = folder / "broken.sqlite3"
    broken.write_bytes(b"not a database at all" * 100)
    failed = runner.invoke(
        main, ["publish", "summary-审定.xlsx", "--out", "pub-c", "--register", str(broken), *key]
    )
    assert failed.exit_code == 1 and "register-publish-failed" in failed.output
    assert (folder / "pub-c" / "decisions.json").is_file()
    # a publication without a period: recorded later with --period
    record = ["register", "record", "pub-c/decisions.json", "--register", str(folder / "later.db")]
    without = runner.invoke(main, record)
    assert without.exit_code == 1 and "register-no-period" in without.output
    given = runner.invoke(main, [*record, "--period", "2026H2"])
    assert given.exit_code == 0, given.output


def test_no_period_is_a_clear_message():
    data = {"candidates": [{"form_id": "danwei", "form": "文明单位", "unit_id": "A", "unit": "甲"}]}
    with pytest.raises(XlsxflowError) as exc:
        publication_decisions(data, None, None, "decisions.json")
    assert exc.value.issues[0].message == render(
        "register-no-period", form="文明单位", decisions="decisions.json"
    )
    grouped, skipped = publication_decisions(data, None, Period(2026))
    assert [d.subject_id for d in grouped[Period(2026)]] == ["A"] and skipped == 0


def test_demo_runs_again_in_the_same_folder(demo):
    folder, result, _ = demo
    with open_register(result.register) as reg:
        before = reg.counts()
    run_demo(folder, "dangzhibu", echo=lambda _line: None)
    with open_register(result.register) as reg:
        assert reg.counts() == before


# -- ingest reads an unchanged file once ---------------------------------------------------------


def _strip(report: dict) -> dict:
    report = {k: v for k, v in report.items() if k not in ("started_at", "command")}
    for f in report["files"]:
        f.pop("mtime", None)
    return report


def test_ingest_reuses_unchanged_files_and_rereads_a_changed_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XLSXFLOW_REGISTER", raising=False)
    runner = CliRunner()
    made = runner.invoke(
        main, ["generate", "wuxing-dangzhibu", "--roster", str(ROSTER), "--out", "wb"]
    )
    assert made.exit_code == 0, made.output
    files = sorted((tmp_path / "wb").glob("*.xlsx"))[:6]
    for path in files:
        fill(path, tmp_path / "returns" / path.name, "wuxing-dangzhibu")
    args = ["ingest", "returns", "--workers", "0"]
    first = runner.invoke(main, [*args, "--report", "r1.json"])
    db = Path(DEFAULT_FILE)
    assert db.is_file() and render("register-reused", reused=0, path=db, read=6) in first.output
    second = runner.invoke(main, [*args, "--report", "r2.json"])
    assert render("register-reused", reused=6, path=db, read=0) in second.output
    r1, r2 = (json.loads(Path(n).read_text("utf-8")) for n in ("r1.json", "r2.json"))
    assert _strip(r1) == _strip(r2) and first.exit_code == second.exit_code
    changed = tmp_path / "returns" / files[0].name

    def lower(_wb, ws, layout) -> None:
        first = next(i for i in layout.inputs if i.kind == "score")
        ws[first.ref].value = 0

    fill(files[0], changed, "wuxing-dangzhibu", edit=lower)
    third = runner.invoke(main, args)
    assert render("register-reused", reused=5, path=db, read=1) in third.output
    db.unlink()
    off = runner.invoke(main, [*args, "--no-register"])
    assert not db.exists() and "register-reused" not in off.output
    assert off.exit_code == first.exit_code
