"""Ballots and clerks' tallies (issue 12): written, filled, read back, and a folder ingested."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from conftest import libreoffice_convert
from test_ballot_spec import ITEMS, SURVEY, TWO_TICKETS, write_round

from xlsxflow.ballots.returns import ingest_ballots
from xlsxflow.ballots.samples import make_ballot_returns
from xlsxflow.ballots.spec import load_evaluations, make_serial
from xlsxflow.ballots.workbook import (
    BALLOT_SHEET,
    MAX_ITEMS,
    TALLY_SHEET,
    BallotReading,
    Signed,
    ballot_identity,
    ballot_layout,
    fill_ballot_bytes,
    fill_tally_bytes,
    read_ballot_book,
    write_ballots,
)
from xlsxflow.layout import BookLayout
from xlsxflow.messages import XlsxflowError, make_issue, render
from xlsxflow.ooxml import open_book
from xlsxflow.round import generate_round, open_round
from xlsxflow.writer import workbook_bytes


@pytest.fixture(scope="module")
def party(tmp_path_factory):
    """The party-branch round (88 members, 9 branches) with its ballots written."""
    folder = tmp_path_factory.mktemp("party")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    generate_round("dangzhibu", folder / "workbooks", workdir=folder)
    ctx = open_round(workdir=folder)
    evals = load_evaluations(ctx.round)
    generated = write_ballots(ctx, evals, folder / "ballots")
    return folder, ctx, evals, generated


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A round of three branches with an items, a grade (两票制) and a survey evaluation."""
    folder = tmp_path_factory.mktemp("small")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    path = write_round(folder, ITEMS + TWO_TICKETS + SURVEY)
    generate_round(path, folder / "workbooks", workdir=folder)
    ctx = open_round(workdir=folder)
    evals = load_evaluations(ctx.round)
    generated = write_ballots(ctx, evals, folder / "ballots")
    return folder, ctx, evals, generated


def read(ctx, evals, data: bytes, name: str = "b.xlsx"):
    return read_ballot_book(open_book(data), name, ctx, BallotReading(evals))


def files_of(generated, ev: str, unit: str, group: str):
    return [
        f for f in generated.files if (f.evaluation_id, f.unit_id, f.group_id) == (ev, unit, group)
    ]


def tally_of(generated, ev: str, unit: str, group: str):
    return next(
        t
        for t in generated.tallies
        if (t.evaluation_id, t.unit_id, t.group_id) == (ev, unit, group)
    )


def test_one_ballot_per_member_of_each_branch_and_one_tally_per_branch(party):
    folder, ctx, evals, generated = party
    ev = evals.evaluations["xianfenggang"]
    assert len(generated.files) == 88 and len(generated.tallies) == 9
    assert len({f.serial for f in generated.files}) == 88
    zb01 = files_of(generated, "xianfenggang", "ZB01", "dangyuan")
    assert len(zb01) == ev.expected[("ZB01", "dangyuan")]
    assert zb01[0].path.relative_to(folder / "ballots").parts[:3] == (
        "党员先锋岗民主测评",
        f"{ev.unit('ZB01').name}_ZB01",
        "党员",
    )
    # the same command again: the same serials (the key, round, unit and group decide them)
    again = write_ballots(ctx, evals, folder / "ballots", units=["ZB01"])
    assert [f.serial for f in again.files] == [f.serial for f in zb01]
    assert len(list((folder / "ballots").rglob("*.xlsx"))) == 88 + 9  # other units kept
    # anonymous: nothing on the ballot names a rater; the identity names the branch
    wb = openpyxl.load_workbook(zb01[0].path)
    ws = wb[BALLOT_SHEET]
    assert ws.protection.sheet and ws.page_setup.orientation == "landscape"
    assert zb01[0].serial in ws["A3"].value and zb01[0].serial in ws.oddHeader.right.text
    assert ws.print_title_rows == "$5:$5"
    (scores,) = ws.data_validations.dataValidation  # one for every score cell: 0–10, whole
    assert str(scores.sqref) == f"D6:M{5 + len(zb01)}"
    assert scores.type == "whole" and scores.formula2 == "10" and scores.promptTitle == "分值 10"
    assert ws["N6"].value.startswith("=IF(COUNT(D6:M6)=0")


def test_items_ballot_read_back_with_a_value_out_of_range_named(party):
    _, ctx, evals, generated = party
    ev = evals.evaluations["xianfenggang"]
    ballot_file = files_of(generated, "xianfenggang", "ZB01", "dangyuan")[0]
    first, second = ev.candidates["ZB01"][:2]
    answers = {first.member_id: {q.id: 8 for q in ev.questions}, second.member_id: {"i01": 11}}
    data = fill_ballot_bytes(ballot_file.path.read_bytes(), answers)
    identity, (ballot,), issues = read(ctx, evals, data)
    assert identity.unit_id == "ZB01" and ballot.serial == ballot_file.serial
    assert ballot.answers[first.member_id] == {q.id: 8.0 for q in ev.questions}
    assert ballot.answers[second.member_id]["i01"] is None
    assert ballot.bad == {second.member_id: {"i01": "value-out-of-range"}}
    label = f"{second.name}的{ev.questions[0].short}得分"
    assert [str(i) for i in issues] == [
        str(
            make_issue(
                "value-out-of-range", file="b.xlsx", cell="D7", sheet=BALLOT_SHEET,
                label=label, value="11", max="10",
            )
        )
    ]  # fmt: skip


def test_an_edited_serial_or_locked_cell_is_tampering(party):
    _, ctx, evals, generated = party
    ballot_file = files_of(generated, "xianfenggang", "ZB02", "dangyuan")[0]
    wb = openpyxl.load_workbook(ballot_file.path)
    wb[BALLOT_SHEET]["A3"] = "票号：AAAA-BBBB-CCCC"
    out = io.BytesIO()
    wb.save(out)
    identity, ballots, issues = read(ctx, evals, out.getvalue())
    assert identity is None and not ballots
    assert issues[-1].code == "tamper-locked-changed" and issues[-1].cell == "A3"


def test_a_serial_signed_for_another_ballot_is_forged(party):
    """Made with the key but a serial of its own: the serial's signature gives it away."""
    _, ctx, evals, _ = party
    ev = evals.evaluations["xianfenggang"]
    unit, group = ev.unit("ZB03"), ev.group("dangyuan")
    real = make_serial(ctx.key, ctx.record.round_id, ev.id, "ZB03", "dangyuan", 0)
    forged = real[:-1] + ("0" if real[-1] != "0" else "1")
    grid_signed = Signed(
        "ballot", ev.id, "dangyuan", ev.content_hash("ZB03"), "mq",
        tuple(m.member_id for m in ev.candidates["ZB03"]), tuple(q.id for q in ev.questions),
        serial=forged,
    )  # fmt: skip
    layout = ballot_layout(ev, unit, group, forged)
    identity = ballot_identity(ctx, unit, grid_signed, ctx.key)
    data = workbook_bytes(BookLayout((layout,), ""), identity, ctx.key)
    identity, _, issues = read(ctx, evals, data)
    assert identity is None
    assert issues[-1].message == render(
        "ballot-serial-invalid", serial=forged, unit=unit.name, group="党员"
    )


def test_grade_and_survey_ballots_read_back(small):
    _, ctx, evals, generated = small
    grade = evals.evaluations["pingyi"]
    zb01 = files_of(generated, "pingyi", "ZB01", "qunzhong")
    assert len(zb01) == 5 and len(files_of(generated, "pingyi", "ZB01", "dangyuan")) == 5
    members = [m.member_id for m in grade.candidates["ZB01"]]
    answers = {members[0]: {"grade": "优秀"}, members[1]: {"grade": "良好"}}
    data = fill_ballot_bytes(zb01[0].path.read_bytes(), answers)
    _, (ballot,), issues = read(ctx, evals, data)
    assert ballot.group_id == "qunzhong" and ballot.answers[members[0]] == {"grade": "优秀"}
    assert ballot.bad == {members[1]: {"grade": "value-bad-choice"}}
    assert issues[0].cell == "D7" and "良好" in issues[0].message

    survey = files_of(generated, "manyi", "ZB03", "qunzhong")
    assert len(survey) == 10
    data = fill_ballot_bytes(survey[0].path.read_bytes(), {"ZB03": {"manyi": "基本满意"}})
    _, (ballot,), issues = read(ctx, evals, data)
    assert ballot.answers == {"ZB03": {"manyi": "基本满意"}} and not issues
    ws = openpyxl.load_workbook(survey[0].path)[BALLOT_SHEET]
    (dv,) = ws.data_validations.dataValidation
    assert str(dv.sqref) == "C6" and dv.formula1 == '"满意,基本满意,不满意"'


def test_a_tally_reads_each_block_and_catches_wrong_serials(small):
    _, ctx, evals, generated = small
    ev = evals.evaluations["xfg"]
    serials = [f.serial for f in files_of(generated, "xfg", "ZB01", "dangyuan")]
    other = files_of(generated, "xfg", "ZB02", "dangyuan")[0].serial
    m1, m2 = (m.member_id for m in ev.candidates["ZB01"][:2])
    full = {m1: {q.id: 7 for q in ev.questions}}
    unknown = make_serial(b"another office key 0123456789abcdef", "r", "xfg", "ZB01", "dangyuan", 0)
    tally = tally_of(generated, "xfg", "ZB01", "dangyuan")
    assert tally.blocks == 5
    blocks = [
        (serials[0].lower().replace("-", " "), full),  # typed leniently
        (None, {}),  # an unused block: skipped
        (serials[0], {m2: {"i01": 3}}),  # typed twice
        (None, {m2: {"i01": 3}}),  # scores without a serial
        (other, full),  # a ballot of another branch
    ]
    data = fill_tally_bytes(tally.path.read_bytes(), blocks)
    _, ballots, issues = read(ctx, evals, data, "录入表.xlsx")
    assert [(b.serial, b.source, b.where) for b in ballots] == [
        (serials[0], "tally", "录入表!A6:P10")
    ]
    assert ballots[0].answers[m1] == {q.id: 7.0 for q in ev.questions}
    where = {"file": "录入表.xlsx", "sheet": TALLY_SHEET}
    assert [str(i) for i in issues] == [
        str(make_issue("tally-serial-twice", cell="B16", serial=serials[0], first="B6", again="B16", **where)),
        str(make_issue("tally-no-serial", cell="B21", n=4, rows="A21:P25", **where)),
        str(
            make_issue(
                "tally-serial-other-unit", cell="B26", serial=other, unit="第二支部（ZB02）",
                group="党员", here="第一支部", here_group="党员", **where,
            )
        ),
    ]  # fmt: skip
    data = fill_tally_bytes(tally.path.read_bytes(), [(unknown, full)])
    _, ballots, issues = read(ctx, evals, data, "录入表.xlsx")
    assert not ballots and [str(i) for i in issues] == [
        str(make_issue("tally-serial-unknown", cell="B6", serial=unknown, **where))
    ]


def test_too_many_items_for_one_ballot_is_refused(small, tmp_path):
    _, ctx, evals, _ = small
    ev = evals.evaluations["xfg"]
    many = replace(ev, questions=ev.questions * 3)
    with pytest.raises(XlsxflowError) as info:
        write_ballots(ctx, replace(evals, evaluations={"xfg": many}), tmp_path / "out")
    assert info.value.issues[0].message == render(
        "ballot-too-many-questions", evaluation=ev.title, count=30, max=MAX_ITEMS
    )


def test_a_ballots_folder_ingested_every_serial_once(party, tmp_path):
    folder, ctx, evals, generated = party
    ev = evals.evaluations["xianfenggang"]
    returns = tmp_path / "ballots"
    zb01 = files_of(generated, "xianfenggang", "ZB01", "dangyuan")
    m1 = ev.candidates["ZB01"][0].member_id
    for n, f in enumerate(zb01):
        target = returns / f.path.relative_to(folder / "ballots")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fill_ballot_bytes(f.path.read_bytes(), {m1: {"i01": n % 10}}))
    copied = returns / "副本" / zb01[0].path.name
    copied.parent.mkdir()
    shutil.copyfile(returns / zb01[0].path.relative_to(folder / "ballots"), copied)
    # ZB02 voted on paper; one of its paper ballots was also returned as a file
    zb02 = files_of(generated, "xianfenggang", "ZB02", "dangyuan")
    m2 = ev.candidates["ZB02"][0].member_id
    tally = tally_of(generated, "xianfenggang", "ZB02", "dangyuan")
    typed = [(f.serial, {m2: {"i01": 6}}) for f in zb02]
    (returns / tally.path.name).write_bytes(fill_tally_bytes(tally.path.read_bytes(), typed))
    as_file = returns / zb02[1].path.name
    as_file.write_bytes(fill_ballot_bytes(zb02[1].path.read_bytes(), {m2: {"i01": 9}}))
    (returns / "说明.txt").write_text("计票说明", encoding="utf-8")
    with zipfile.ZipFile(returns / "打包.zip", "w") as zf:
        zf.write(zb01[0].path, "打包的空白票.xlsx")  # the blank original of a returned ballot

    result = ingest_ballots(returns, ctx, evals)
    counts = result.counts()
    assert counts == {
        "accepted": 2 + len(zb01),
        "rejected": 0,
        "duplicate": 1,
        "superseded": 1,
        "skipped": 2,
    }
    assert len(result.files) == len(zb01) + 6
    assert sorted(b.serial for b in result.ballots) == sorted(f.serial for f in zb01 + zb02)
    by_serial = {b.serial: b for b in result.ballots}
    assert by_serial[zb02[1].serial].source == "file"  # the file over the tally row
    assert by_serial[zb02[1].serial].answers[m2]["i01"] == 9.0
    assert by_serial[zb02[0].serial].source == "tally"
    repeated = [w for w in result.warnings if w.code == "ballots-serial-repeated"]
    assert len(repeated) == 3  # the copy, the blank original in the zip, the typed-in file
    assert any(zb02[1].serial in w.message and "录入表!" in w.message for w in repeated)
    # the copy and its original are the same bytes: one is a duplicate; the blank original in
    # the zip is older than the filled ballot of the same serial: superseded
    set_aside = {r.path: r.status for r in result.files if r.status in ("duplicate", "superseded")}
    assert set_aside.pop("打包.zip/打包的空白票.xlsx") == "superseded"
    assert list(set_aside.values()) == ["duplicate"]
    assert next(iter(set_aside)).endswith(zb01[0].path.name)


def test_a_units_returns_folder_or_the_blank_ballots_are_named(party, tmp_path):
    folder, ctx, evals, generated = party
    result = ingest_ballots(folder / "workbooks", ctx, evals)
    assert [w.code for w in result.warnings] == ["ballots-are-unit-returns"]
    assert {i.code for r in result.files for i in r.issues} >= {"ballot-not-ballot"}
    blank = tmp_path / "blank"
    shutil.copytree(generated.files[0].path.parent.parent, blank)
    result = ingest_ballots(blank, ctx, evals)
    assert [w.code for w in result.warnings] == ["ballots-unfilled"]


def test_libreoffice_round_trip_of_ballots_and_a_tally(small, soffice, tmp_path):
    _, ctx, evals, generated = small
    items = files_of(generated, "xfg", "ZB01", "dangyuan")
    grade = files_of(generated, "pingyi", "ZB02", "dangyuan")[0]
    survey = files_of(generated, "manyi", "ZB01", "qunzhong")[0]
    ev = evals.evaluations["xfg"]
    m1 = ev.candidates["ZB01"][0].member_id
    items_answers = {m1: {q.id: 6 + n % 4 for n, q in enumerate(ev.questions)}}
    grade_member = evals.evaluations["pingyi"].candidates["ZB02"][0].member_id
    filled = tmp_path / "filled"
    filled.mkdir()
    sources = {
        items[0]: fill_ballot_bytes(items[0].path.read_bytes(), items_answers),
        grade: fill_ballot_bytes(grade.path.read_bytes(), {grade_member: {"grade": "合格"}}),
        survey: fill_ballot_bytes(survey.path.read_bytes(), {"ZB01": {"manyi": "不满意"}}),
    }
    paths = []
    for f, data in sources.items():
        paths.append(filled / f.path.name)
        paths[-1].write_bytes(data)
    tally = tally_of(generated, "xfg", "ZB01", "dangyuan")
    paths.append(filled / tally.path.name)
    paths[-1].write_bytes(
        fill_tally_bytes(tally.path.read_bytes(), [(items[1].serial, items_answers)])
    )
    libreoffice_convert(soffice, paths, tmp_path / "returns", tmp_path / "profile")
    result = ingest_ballots(tmp_path / "returns", ctx, evals)
    assert result.counts()["accepted"] == 4, [str(i) for r in result.files for i in r.issues]
    errors = [str(i) for r in result.files for i in r.issues if i.severity == "error"]
    assert not errors
    got = {b.serial: b for b in result.ballots}
    assert got[items[0].serial].answers[m1] == {k: float(v) for k, v in items_answers[m1].items()}
    assert got[items[1].serial].source == "tally"
    assert got[items[1].serial].answers[m1] == got[items[0].serial].answers[m1]
    assert got[grade.serial].answers[grade_member] == {"grade": "合格"}
    assert got[survey.serial].answers == {"ZB01": {"manyi": "不满意"}}
    # LibreOffice computed the 合计 the sheet shows
    ws = openpyxl.load_workbook(tmp_path / "returns" / items[0].path.name, data_only=True)[
        BALLOT_SHEET
    ]
    assert ws["N6"].value == sum(items_answers[m1].values())


def test_sample_returns_hold_what_the_demo_shows(party, tmp_path):
    folder, ctx, evals, generated = party
    done = make_ballot_returns(generated, evals, tmp_path / "returned", key=ctx.key)
    assert done == make_ballot_returns(generated, evals, tmp_path / "again", key=ctx.key)
    result = ingest_ballots(tmp_path / "returned", ctx, evals)
    counts = result.counts()
    assert counts["rejected"] == 1 and counts["duplicate"] == 1
    (forged,) = [r for r in result.files if r.status == "rejected"]
    assert forged.issues[-1].code == "tamper-locked-changed" and forged.issues[-1].cell == "A3"
    assert done["forged"][0] in forged.path
    ev = evals.evaluations["xianfenggang"]
    largest = max(ev.units, key=lambda u: ev.expected[(u.unit_id, "dangyuan")])
    assert (forged.unit_id, forged.tied_by) == (largest.unit_id, "identity")  # still its branch's
    serials = {b.serial: b for b in result.ballots}
    assert serials[done["blank"][0]].blank
    assert all(v == 10 for a in serials[done["all_max"][0]].answers.values() for v in a.values())
    (paper,) = done["paper"]
    tallied = [b for b in result.ballots if b.source == "tally"]
    assert {b.unit_id for b in tallied} == {paper} and len(tallied) == done["tally_blocks"]
    (low,) = done["below_quorum"]
    returned = sum(1 for b in result.ballots if b.unit_id == low)
    assert returned < ev.spec.quorum * ev.expected[(low, "dangyuan")]
    (few,) = done["below_anonymity"]
    assert sum(1 for b in result.ballots if b.unit_id == few) < ev.spec.anonymity
    assert len(result.ballots) == done["files"] - 2 + done["tally_blocks"]  # the copy, the forged


def test_a_ballot_made_before_the_candidates_changed_is_not_counted(small):
    _, ctx, evals, generated = small
    ev = evals.evaluations["xfg"]
    ballot_file = files_of(generated, "xfg", "ZB01", "dangyuan")[0]
    fewer = replace(ev, candidates={**ev.candidates, "ZB01": ev.candidates["ZB01"][:-1]})
    changed = replace(evals, evaluations={**evals.evaluations, "xfg": fewer})
    identity, ballots, issues = read(ctx, changed, ballot_file.path.read_bytes())
    assert identity is None and not ballots
    assert issues[-1].message == render("ballot-candidates-changed", unit="第一支部（ZB01）")


def test_a_folder_of_another_rounds_ballots_is_not_overwritten(small, tmp_path):
    folder, ctx, evals, generated = small
    other = replace(ctx, record=replace(ctx.record, round_id="20260101-round-abcdef"))
    target = folder / "ballots"
    before = sorted(p.name for p in target.rglob("*.xlsx"))
    with pytest.raises(XlsxflowError) as info:
        write_ballots(other, evals, target)
    (issue,) = info.value.issues
    assert issue.code == "ballot-out-other-round" and ctx.record.round_id in issue.message
    assert sorted(p.name for p in target.rglob("*.xlsx")) == before


def test_hostile_values_and_a_renamed_sheet_are_named(small):
    _, ctx, evals, generated = small
    ballot_file = files_of(generated, "xfg", "ZB02", "dangyuan")[0]
    typed = {"i01": "九", "i02": 1e300, "i03": "8分", "i04": -1, "i05": 7.5, "i06": "6"}
    data = fill_ballot_bytes(ballot_file.path.read_bytes(), {"M06": typed})
    _, (ballot,), issues = read(ctx, evals, data)
    assert [(i.code, i.cell) for i in issues] == [
        ("value-not-number", "D6"),
        ("value-out-of-range", "E6"),
        ("value-normalised", "F6"),
        ("value-out-of-range", "G6"),
        ("value-step", "H6"),
        ("value-normalised", "I6"),
    ]
    assert ballot.answers["M06"]["i03"] == 8.0 and ballot.answers["M06"]["i06"] == 6.0
    assert set(ballot.bad["M06"]) == {"i01", "i02", "i04", "i05"}
    wb = openpyxl.load_workbook(ballot_file.path)
    wb[BALLOT_SHEET].title = "改名"
    out = io.BytesIO()
    wb.save(out)
    identity, _, issues = read(ctx, evals, out.getvalue())
    assert identity is None and issues[-1].message == render("ballot-sheet-missing", sheet="测评票")
