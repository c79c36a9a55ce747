"""The command line: every command has help; the main job works end to end; exit codes."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from conftest import ROSTER, fill

from xlsxflow.cli import main


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in all_commands(main)], ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    cmd = dict(all_commands(main))[path]
    assert cmd.help and len(cmd.help) > 20, f"{' '.join(path)} needs a real docstring"


def test_rubric_check_and_list():
    runner = CliRunner()
    result = runner.invoke(main, ["rubric", "check", "wenming-keshi"])
    assert result.exit_code == 0 and "21 项" in result.output and "105" in result.output
    result = runner.invoke(main, ["rubric", "list"])
    assert result.exit_code == 0 and "wuxing-dangzhibu" in result.output


def test_rubric_check_reports_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: t\nversion: '1'\ntotal: 5\nsections: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rubric", "check", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:5: [rubric-schema]" in result.output


def test_roster_check_errors_exit_2(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("单位编号,单位名称\nA,甲\nA,乙\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["roster", "check", str(bad)])
    assert result.exit_code == 2 and "r.csv:3: [roster-duplicate-id]" in result.output
    assert "Traceback" not in result.output


def test_generate_then_ingest_with_no_other_argument(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "generate",
            "wuxing-dangzhibu",
            "--roster",
            str(ROSTER),
            "--out",
            "wb",
            "--deadline",
            "2026-12-20",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "xlsxflow-round.json").exists()
    files = sorted((tmp_path / "wb").glob("*.xlsx"))
    assert len(files) == 30
    for path in files:  # every unit returns full marks: nothing to look at → exit 0
        fill(path, tmp_path / "returns" / path.name, "wuxing-dangzhibu")
    result = runner.invoke(main, ["ingest", "returns", "--report", "report.json"])
    assert result.exit_code == 0, result.output
    assert "summary" in result.output and (tmp_path / "summary.xlsx").exists()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["accepted"] == 30 and report["missing"] == []
    first = report["results"][0]
    assert {
        "unit_id",
        "rubric",
        "subtotal",
        "bonus",
        "total",
        "band",
        "eligible",
        "reasons",
        "rank",
    } <= set(first)
    assert first["band"] == "五星级" and first["rank"] == 1
    f = report["files"][0]
    assert {"path", "sha256", "status", "unit_id", "issues"} <= set(f)
    # One unit's file removed → missing → exit 1.
    files_in = sorted((tmp_path / "returns").glob("*.xlsx"))
    files_in[0].unlink()
    result = runner.invoke(main, ["ingest", "returns"])
    assert result.exit_code == 1


def test_ingest_without_round_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "returns").mkdir()
    result = CliRunner().invoke(main, ["ingest", "returns"])
    assert result.exit_code == 2 and "[round-missing]" in result.output


def test_ingest_refuses_to_write_into_returns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "returns").mkdir()
    result = CliRunner().invoke(main, ["ingest", "returns", "--out", "returns/summary.xlsx"])
    assert result.exit_code == 2 and "只读" in result.output


def test_demo_runs_the_main_job(tmp_path):
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "summary.xlsx").exists()
    report = json.loads((tmp_path / "demo" / "report.json").read_text(encoding="utf-8"))
    statuses = {f["status"] for f in report["files"]}
    assert statuses == {"accepted", "rejected", "duplicate", "superseded", "skipped"}
    assert len(report["missing"]) >= 3
