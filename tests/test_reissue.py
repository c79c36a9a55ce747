"""Generating again never silently starts a new round; the folder is swapped in whole.

Re-issuing stays inside the current round (same id and key, earlier copies valid);
another round needs --new-round and every round stays recorded; ingest names the
recorded round of a return; Ctrl-C and kill -9 leave the old complete set; files
follow the umask.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROSTER, ctrl_c_ready, fill, ingest_entries, make_round, record_of

from xlsxflow import atomic
from xlsxflow.atomic import STAGE_TAG, StagedDir
from xlsxflow.cli import main
from xlsxflow.layout import META_SHEET
from xlsxflow.mail import SendLog
from xlsxflow.messages import make_issue
from xlsxflow.round import (
    ROUND_FILE,
    ROUNDS_DIR,
    RoundRecord,
    generate,
    open_round,
    recorded_rounds,
)

LATER = datetime.now().astimezone() + timedelta(minutes=5)


def round_id_of(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    rows = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    return rows["round_id"]


def accepted(ctx, tmp_path: Path, workbook: Path, name: str) -> str:
    """Fill ``workbook`` as a unit would and ingest it alone: its status and last code."""
    src = fill(workbook, tmp_path / "filled" / name)
    (tmp_path / name).mkdir()
    rec = record_of(ingest_entries(tmp_path / name, ctx, {name: src}), name)
    return rec.status if rec.status == "accepted" else rec.issues[-1].code


def hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.xlsx"))
    }


def cli(folder: Path, *args: str):
    old = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(old)


# -- re-issuing inside the current round ------------------------------------------------


def test_reissue_one_unit_keeps_the_round_and_both_copies_valid(tmp_path):
    first, _ = make_round(tmp_path)
    old_copy = tmp_path / "sent-CZJ.xlsx"
    old_copy.write_bytes(next(g.path for g in first.files if g.unit_id == "CZJ").read_bytes())
    others = hashes(tmp_path / "workbooks")
    again, ctx = make_round(tmp_path, units=["CZJ"], now=LATER)
    assert again.reissue and again.record.round_id == first.record.round_id
    assert [g.unit_id for g in again.files] == ["CZJ"]
    assert again.notes[0].code == "round-reissued"
    new_copy = tmp_path / again.files[0].path
    assert new_copy.read_bytes() != old_copy.read_bytes()  # a fresh copy …
    after = hashes(tmp_path / "workbooks")
    assert {k: v for k, v in after.items() if not k.startswith("CZJ_")} == {
        k: v for k, v in others.items() if not k.startswith("CZJ_")
    }  # … and the other units' workbooks untouched
    assert round_id_of(new_copy) == first.record.round_id
    assert accepted(ctx, tmp_path, old_copy, "old.xlsx") == "accepted"
    assert accepted(ctx, tmp_path, new_copy, "new.xlsx") == "accepted"
    record = RoundRecord.load(tmp_path / ROUND_FILE)
    assert record.reissues[-1]["units"] == ["CZJ"]


def test_a_later_deadline_for_one_unit_is_not_the_rounds(tmp_path):
    first, _ = make_round(tmp_path)
    again = generate(
        "wenming-danwei",
        ROSTER,
        tmp_path / "workbooks",
        workdir=tmp_path,
        units=["CZJ"],
        deadline="2027-01-15",
    )
    wb = openpyxl.load_workbook(again.files[0].path)
    rows = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert rows["deadline"] == "2027-01-15" and rows["round_id"] == first.record.round_id
    record = RoundRecord.load(tmp_path / ROUND_FILE)
    assert record.deadline == first.record.deadline == "2026-12-31"
    assert record.reissues[-1]["deadline"] == "2027-01-15"


def test_rerun_with_a_changed_title_stays_in_the_round(tmp_path):
    """The demo's failure: 30 of 30 sent workbooks rejected after a second generate."""
    args = ["generate", "wenming-danwei", "--roster", str(ROSTER), "--out", "wb"]
    assert cli(tmp_path, *args, "--title", "第一稿").exit_code == 0
    sent = tmp_path / "sent"
    sent.mkdir()
    for path in (tmp_path / "wb").glob("*.xlsx"):
        (sent / path.name).write_bytes(path.read_bytes())
    before = RoundRecord.load(tmp_path / ROUND_FILE)
    result = cli(tmp_path, *args, "--title", "2026年度市直机关文明单位评选")
    assert result.exit_code == 0, result.output
    after = RoundRecord.load(tmp_path / ROUND_FILE)
    assert after.round_id == before.round_id and after.title == "2026年度市直机关文明单位评选"
    assert after.deadline == before.deadline  # not recomputed from today
    assert "[round-reissued]" in result.output
    returns = tmp_path / "returns"
    for path in sent.glob("*.xlsx"):  # every unit returns the copy it got first
        fill(path, returns / path.name)
    result = cli(tmp_path, "ingest", "returns", "--report", "report.json")
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["accepted"] == 30, result.output
    assert round_id_of(next((tmp_path / "wb").glob("CZJ_*.xlsx"))) == before.round_id


def test_unknown_unit_is_an_error(tmp_path):
    make_round(tmp_path)
    result = cli(tmp_path, "generate", "wenming-danwei", "--roster", str(ROSTER), "--unit", "NOPE")
    expected = make_issue("generate-unknown-unit", unit_id="NOPE", roster=str(ROSTER))
    assert result.exit_code == 2 and expected.message in result.output


def test_out_folder_must_not_be_the_working_directory(tmp_path):
    result = cli(tmp_path, "generate", "wenming-danwei", "--roster", str(ROSTER), "--out", ".")
    assert result.exit_code == 2 and "[generate-out-is-workdir]" in result.output
    assert not (tmp_path / ROUND_FILE).exists()


# -- a new round needs --new-round; every round stays recorded ------------------------------


def test_another_rubric_is_refused_without_new_round(tmp_path):
    first, _ = make_round(tmp_path)
    old = first.record
    before = (tmp_path / ROUND_FILE).read_bytes(), hashes(tmp_path / "workbooks")
    args = ["generate", "wenming-chuangkou", "--roster", str(ROSTER), "--out", "workbooks"]
    result = cli(tmp_path, *args)
    assert result.exit_code == 2
    assert "[round-inputs-changed]" in result.output
    assert f"--round {old.round_id}" in result.output and "--new-round" in result.output
    assert before == ((tmp_path / ROUND_FILE).read_bytes(), hashes(tmp_path / "workbooks"))

    result = cli(tmp_path, *args, "--new-round")
    assert result.exit_code == 0, result.output
    new = RoundRecord.load(tmp_path / ROUND_FILE)
    assert new.round_id != old.round_id
    archive = f"{ROUNDS_DIR}/{old.round_id}.json"
    expected = make_issue(
        "round-new-started",
        new_id=new.round_id,
        title=old.title,
        round_id=old.round_id,
        archive=archive,
    )
    assert expected.message in result.output.replace("\n", "")
    assert set(recorded_rounds(tmp_path)) == {old.round_id, new.round_id}
    assert RoundRecord.load(tmp_path / archive) == old
    # the old round's workbooks are gone from the folder: no mixing of rounds ...
    assert {round_id_of(p) for p in (tmp_path / "workbooks").glob("*.xlsx")} == {new.round_id}
    # ... and kept beside the old round's record, byte for byte: nothing sent out is lost
    kept = tmp_path / ROUNDS_DIR / f"{old.round_id}-workbooks"
    assert hashes(kept) == before[1]
    expected = make_issue(
        "round-old-workbooks-kept",
        count=30,
        round_id=old.round_id,
        folder=f"{ROUNDS_DIR}/{old.round_id}-workbooks",
    )
    assert expected.message in result.output.replace("\n", "")


def test_a_new_round_for_one_unit_drops_the_old_rounds_workbooks(tmp_path):
    old, _ = make_round(tmp_path)
    (tmp_path / "workbooks" / "说明.txt").write_text("mine", encoding="utf-8")
    new, _ = make_round(tmp_path, units=["CZJ"], new_round=True)
    names = sorted(p.name for p in (tmp_path / "workbooks").iterdir())
    assert names == sorted([new.files[0].path.name, "说明.txt"])
    kept = tmp_path / ROUNDS_DIR / f"{old.record.round_id}-workbooks"
    assert sorted(p.name for p in kept.iterdir()) == sorted(g.path.name for g in old.files)
    assert [n.code for n in new.notes] == ["round-new-started", "round-old-workbooks-kept"]


def test_a_lost_round_record_is_found_again_in_the_recorded_rounds(tmp_path):
    """xlsxflow-round.json deleted: re-issuing stays in the newest recorded round, and
    ingest reads that round, instead of silently starting a new one."""
    first, _ = make_round(tmp_path)
    (tmp_path / ROUND_FILE).unlink()
    again, _ = make_round(tmp_path, units=["CZJ"])
    assert again.reissue and again.record.round_id == first.record.round_id
    assert len(list((tmp_path / "workbooks").glob("*.xlsx"))) == 30  # none dropped
    (tmp_path / ROUND_FILE).unlink()
    assert open_round(workdir=tmp_path).record.round_id == first.record.round_id


def test_reissue_writes_into_the_rounds_own_folder_by_default(tmp_path):
    """generate --unit without --out re-issues into the folder the round was written to."""
    args = ["generate", "wenming-danwei", "--roster", str(ROSTER)]
    assert cli(tmp_path, *args, "--out", "sent").exit_code == 0

    def files() -> dict[str, int]:  # name → inode: a written file is a new one
        return {p.name: p.stat().st_ino for p in (tmp_path / "sent").glob("*.xlsx")}

    before = files()
    result = cli(tmp_path, *args, "--unit", "CZJ")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "workbooks").exists()
    after = files()
    assert set(after) == set(before) and len(after) == 30
    written = [name for name in after if after[name] != before[name]]
    assert len(written) == 1 and written[0].startswith("CZJ_")


def test_removed_unit_or_other_key_is_another_round(tmp_path):
    make_round(tmp_path)
    fewer = tmp_path / "fewer.csv"
    lines = ROSTER.read_text(encoding="utf-8-sig").splitlines()
    fewer.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    removed = lines[-1].split(",")[0]
    with pytest.raises(Exception) as err:
        generate("wenming-danwei", fewer, tmp_path / "workbooks", workdir=tmp_path)
    assert err.value.issues[0].code == "round-inputs-changed"
    assert removed in err.value.issues[0].message
    with pytest.raises(Exception) as err:
        generate(
            "wenming-danwei",
            ROSTER,
            tmp_path / "workbooks",
            workdir=tmp_path,
            key_path=tmp_path / "other.key",
        )
    assert "签名密钥已改变" in err.value.issues[0].message


def test_a_record_of_older_xlsxflow_is_kept_when_a_new_round_starts(tmp_path):
    first, _ = make_round(tmp_path)
    legacy = {
        k: v
        for k, v in json.loads((tmp_path / ROUND_FILE).read_text(encoding="utf-8")).items()
        if k not in ("key_id", "roster_units", "reissues")
    }
    (tmp_path / ROUND_FILE).write_text(json.dumps(legacy, ensure_ascii=False), encoding="utf-8")
    for path in (tmp_path / ROUNDS_DIR).iterdir():
        path.unlink()
    again, _ = make_round(tmp_path, units=["CZJ"])  # an old folder: re-issue still works
    assert again.reissue and again.record.round_id == first.record.round_id
    for path in (tmp_path / ROUNDS_DIR).iterdir():
        path.unlink()
    (tmp_path / ROUND_FILE).write_text(json.dumps(legacy, ensure_ascii=False), encoding="utf-8")
    new, _ = make_round(tmp_path, rubric="wenming-chuangkou", new_round=True)
    rounds = recorded_rounds(tmp_path)
    assert list(rounds) == [first.record.round_id, new.record.round_id]


# -- ingest names the recorded round of a return ------------------------------------------


@pytest.mark.parametrize("other_key", [False, True])
def test_ingest_names_the_recorded_round_and_reads_it_with_round_id(tmp_path, other_key):
    first, _ = make_round(tmp_path)
    old = first.record
    sent = tmp_path / "sent.xlsx"
    sent.write_bytes(first.files[0].path.read_bytes())
    key = {"key_path": tmp_path / "new.key"} if other_key else {}
    make_round(tmp_path, rubric="wenming-chuangkou", new_round=True, **key)
    ctx = open_round(workdir=tmp_path, **key)
    src = fill(sent, tmp_path / "filled.xlsx")
    (tmp_path / "r1").mkdir()
    (tmp_path / "r2").mkdir()
    rec = record_of(ingest_entries(tmp_path / "r1", ctx, {"a.xlsx": src}), "a.xlsx")
    issue = rec.issues[-1]
    assert (rec.status, issue.code) == ("rejected", "identity-recorded-round")
    assert (
        issue.message
        == make_issue(
            "identity-recorded-round",
            title=old.title,
            found=old.round_id,
            when=old.when,
            expected=ctx.record.round_id,
        ).message
    )
    assert f"--round {old.round_id}" in issue.message
    earlier = open_round(workdir=tmp_path, round_file=old.round_id)
    assert earlier.record.round_id == old.round_id
    rec = record_of(ingest_entries(tmp_path / "r2", earlier, {"a.xlsx": src}), "a.xlsx")
    assert rec.status == "accepted"


def test_ingest_cli_round_option_and_hint(tmp_path):
    first, _ = make_round(tmp_path)
    returns = tmp_path / "returns"
    fill(first.files[0].path, returns / "a.xlsx")
    make_round(tmp_path, rubric="wenming-chuangkou", new_round=True)
    result = cli(tmp_path, "ingest", "returns")
    assert result.exit_code == 1
    assert f"xlsxflow ingest returns --round {first.record.round_id}" in result.output
    result = cli(tmp_path, "ingest", "returns", "--round", first.record.round_id)
    assert "已接受 1，" in result.output, result.output
    result = cli(tmp_path, "ingest", "returns", "--round", "20200101-x-abcdef")
    assert result.exit_code == 2 and "[round-unknown-id]" in result.output


# -- the folder is swapped in whole ----------------------------------------------------------

GENERATE = (
    "import sys\nfrom xlsxflow.cli import main\nsys.argv = ['xlsxflow', *sys.argv[1:]]\nmain()\n"
)


def _big_round(folder: Path, units: int = 400) -> Path:
    roster = folder / "roster.csv"
    rows = ["单位编号,单位名称", *(f"U{i:03d},测试单位{i:03d}" for i in range(units))]
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return roster


def _staging(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if STAGE_TAG in p.name]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupted_generate_leaves_the_old_complete_set(tmp_path, how):
    roster = _big_round(tmp_path)
    base = ["generate", "wenming-danwei", "--roster", str(roster), "--out", "wb"]
    assert cli(tmp_path, *base).exit_code == 0
    old_files, old_record = hashes(tmp_path / "wb"), (tmp_path / ROUND_FILE).read_bytes()
    assert len(old_files) == 400
    # a new round over it, stopped while it writes
    proc = subprocess.Popen(
        [sys.executable, "-c", GENERATE, *base[:1], "wenming-chuangkou", *base[2:], "--new-round"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ctrl_c_ready,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stages = _staging(tmp_path)
        if stages and len(list(stages[0].glob("*.xlsx"))) >= 10:
            break
        time.sleep(0.005)
    else:
        proc.kill()
        pytest.fail("generate never started writing")
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if how == signal.SIGINT else -signal.SIGKILL), err
    assert hashes(tmp_path / "wb") == old_files
    assert (tmp_path / ROUND_FILE).read_bytes() == old_record
    leftovers = _staging(tmp_path)
    if how == signal.SIGINT:
        assert leftovers == []
        assert "已中断" in err.decode()
    else:  # a hidden folder beside wb/, removed by the next generate
        assert all(p.name.startswith(".") for p in leftovers)
    result = cli(tmp_path, *base[:1], "wenming-chuangkou", *base[2:], "--new-round")
    assert result.exit_code == 0, result.output
    assert _staging(tmp_path) == []
    new_files = hashes(tmp_path / "wb")
    assert set(new_files) != set(old_files) and len(new_files) == 400
    new_id = RoundRecord.load(tmp_path / ROUND_FILE).round_id
    assert round_id_of(tmp_path / "wb" / sorted(new_files)[123]) == new_id


def test_swap_without_rename_exchange_and_recovery_of_a_cut_swap(tmp_path, monkeypatch):
    target = tmp_path / "wb"
    target.mkdir()
    (target / "old.xlsx").write_bytes(b"old")
    (target / "notes.txt").write_bytes(b"mine")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    stage = StagedDir(target, carry=lambda p: p.suffix != ".xlsx")
    (stage.path / "new.xlsx").write_bytes(b"new")
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt", "old.xlsx"]
    stage.commit()
    assert sorted(p.name for p in target.iterdir()) == ["new.xlsx", "notes.txt"]
    assert _staging(tmp_path) == []
    # a swap cut between its two renames by kill -9: the target is gone, both halves remain
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    half = tmp_path / f".wb{STAGE_TAG}{dead.pid}-abcdef"
    half.mkdir()
    (half / "newer.xlsx").write_bytes(b"newer")
    target.rename(half.with_name(half.name + "-old"))
    StagedDir(target).discard()
    assert [p.name for p in target.iterdir()] == ["newer.xlsx"]
    assert _staging(tmp_path) == []


# -- files follow the umask; only the key is owner-only ---------------------------------------


def test_written_files_follow_the_umask(tmp_path, monkeypatch):
    monkeypatch.setenv("XLSXFLOW_KEY_FILE", str(tmp_path / "key" / "secret.key"))
    old = os.umask(0o022)
    try:
        assert cli(tmp_path, "generate", "wenming-danwei", "--roster", str(ROSTER)).exit_code == 0
        assert cli(tmp_path, "sample-returns", "workbooks").exit_code == 0
        cli(tmp_path, "ingest", "returns", "--report", "report.json")
        cli(tmp_path, "feedback", "returns", "--out", "feedback")
        sent = cli(tmp_path, "send", "workbooks", "--from", "o@example.org", "--dry-run", "eml")
        assert sent.exit_code == 0, sent.output
        SendLog(tmp_path / "xlsxflow-send-log.jsonl").append(unit_id="CZJ", status="sent")
    finally:
        os.umask(old)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    files = [
        tmp_path / "summary.xlsx",
        tmp_path / "report.json",
        tmp_path / ROUND_FILE,
        tmp_path / "xlsxflow-send-log.jsonl",
        *(tmp_path / ROUNDS_DIR).iterdir(),
        *(tmp_path / "workbooks").iterdir(),
        *(tmp_path / "feedback").iterdir(),
        *(tmp_path / "eml").iterdir(),
    ]
    assert len(list((tmp_path / "feedback").iterdir())) > 0
    assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o644" for p in files}
    assert mode(tmp_path / "workbooks") == 0o755
    (tmp_path / "workbooks").chmod(0o2775)  # a shared folder: group-writable, setgid
    assert cli(tmp_path, "generate", "wenming-danwei", "--roster", str(ROSTER)).exit_code == 0
    assert mode(tmp_path / "workbooks") == 0o2775  # the swapped-in folder keeps it
    assert mode(tmp_path / "key" / "secret.key") == 0o600


def test_a_linked_workbook_folder_stays_a_link(tmp_path):
    real = tmp_path / "shared" / "wb"
    real.mkdir(parents=True)
    (tmp_path / "workbooks").symlink_to(real, target_is_directory=True)
    first, _ = make_round(tmp_path)
    assert (tmp_path / "workbooks").is_symlink()
    assert len(list(real.glob("*.xlsx"))) == len(first.files) == 30
    assert [p for p in real.parent.iterdir() if p != real] == []  # no staging left beside it


def test_a_mistyped_round_id_lists_the_recorded_rounds(tmp_path):
    first, _ = make_round(tmp_path)
    result = cli(tmp_path, "ingest", "workbooks", "--round", "nosuch")
    assert result.exit_code == 2 and "[round-unknown-id]" in result.output
    assert first.record.round_id in result.output
