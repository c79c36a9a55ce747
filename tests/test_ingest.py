"""Each ingest check, triggered by a crafted file and asserted by code and cell."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from conftest import fill, ingest_entries, make_round, record_of, rewrite_zip

from xlsxflow.ingest import ingest
from xlsxflow.layout import META_SHEET, build_layout
from xlsxflow.messages import render
from xlsxflow.roster import Roster
from xlsxflow.rubric import load_rubric

RUBRIC = load_rubric("wenming-danwei")
LAYOUT = build_layout(RUBRIC)


@pytest.fixture(scope="module")
def rnd(round_dir):
    folder, result, ctx = round_dir
    files = {g.unit_id: g.path for g in result.files}
    return folder, files, ctx


run = ingest_entries
one = record_of


def codes(record) -> list[tuple[str, str]]:
    return [(i.code, i.cell) for i in record.issues]


def filled(rnd, tmp_path, unit="CZJ", **kw) -> Path:
    _, files, _ = rnd
    return fill(
        files[unit], tmp_path / "src" / f"{unit}-{len(list((tmp_path).glob('src/*')))}.xlsx", **kw
    )


# -- a clean return -------------------------------------------------------------------


def test_clean_return_is_accepted_and_scored(rnd, tmp_path):
    _, _, ctx = rnd
    report = run(tmp_path, ctx, {"czj.xlsx": filled(rnd, tmp_path)})
    rec = one(report, "czj.xlsx")
    assert rec.status == "accepted" and rec.unit_id == "CZJ" and codes(rec) == []
    assert len(rec.sha256) == 64
    (result,) = report.results
    assert (result.subtotal, result.bonus, result.total, result.eligible, result.rank) == (
        100,
        0,
        100,
        True,
        1,
    )
    assert len(report.missing) == 29


# -- files that are not readable xlsx ----------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("empty.xlsx", b"", "file-empty"),
        ("old.xls", OLE + "Workbook".encode("utf-16-le") + b"\x00" * 100, "file-legacy-xls"),
        (
            "locked.xlsx",
            OLE + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100,
            "file-encrypted",
        ),
        ("wps.et", OLE + b"\x00" * 100, "file-wps-et"),
        ("renamed.xlsx", "单位编号,自评分\nCZJ,95\n".encode(), "file-text-renamed"),
        (
            "page.xlsx",
            b"<html><body><table><tr><td>95</td></tr></table></body></html>",
            "file-text-renamed",
        ),
        ("noise.xlsx", bytes(range(256)) * 4, "file-corrupt"),
    ],
)
def test_unreadable_files_are_rejected_with_their_own_code(rnd, tmp_path, name, content, code):
    _, _, ctx = rnd
    rec = one(run(tmp_path, ctx, {name: content}), name)
    assert rec.status == "rejected"
    assert rec.issues[0].code == code
    assert rec.reason == rec.issues[0].message


def test_truncated_zip(rnd, tmp_path):
    _, files, ctx = rnd
    data = files["CZJ"].read_bytes()
    rec = one(run(tmp_path, ctx, {"cut.xlsx": data[: len(data) // 2]}), "cut.xlsx")
    assert (rec.status, rec.issues[0].code) == ("rejected", "file-corrupt")


def test_ods_is_rejected(rnd, tmp_path):
    _, _, ctx = rnd
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<x/>")
    rec = one(run(tmp_path, ctx, {"a.ods": buf.getvalue()}), "a.ods")
    assert rec.issues[0].code == "file-ods"


def test_skipped_files_are_listed(rnd, tmp_path):
    _, files, ctx = rnd
    report = run(
        tmp_path,
        ctx,
        {
            "~$czj.xlsx": b"\x00" * 10,
            ".hidden.xlsx": files["CZJ"],
            "__MACOSX/._czj.xlsx": b"x",
            "说明.pdf": b"%PDF-1.4",
            "sub/.~lock.czj.xlsx#": b"x",
            "Thumbs.db": b"x",
        },
    )
    assert {f.path: (f.status, f.issues[0].code) for f in report.files} == {
        "~$czj.xlsx": ("skipped", "file-skipped-lock"),
        ".hidden.xlsx": ("skipped", "file-skipped-hidden"),
        "__MACOSX/._czj.xlsx": ("skipped", "file-skipped-hidden"),
        "说明.pdf": ("skipped", "file-skipped-not-spreadsheet"),
        "sub/.~lock.czj.xlsx#": ("skipped", "file-skipped-lock"),
        "Thumbs.db": ("skipped", "file-skipped-hidden"),
    }


def test_not_an_xlsxflow_workbook(rnd, tmp_path):
    _, _, ctx = rnd
    wb = openpyxl.Workbook()
    wb.active["A1"] = "自评分"
    wb.save(tmp_path / "plain.xlsx")
    rec = one(run(tmp_path, ctx, {"plain.xlsx": tmp_path / "plain.xlsx"}), "plain.xlsx")
    assert (rec.status, rec.issues[0].code, rec.issues[0].sheet) == (
        "rejected",
        "identity-not-xlsxflow",
        META_SHEET,
    )


# -- identity ------------------------------------------------------------------------------


def _edit_meta(field: str, value):
    def edit(wb, ws, layout):
        for row in wb[META_SHEET].iter_rows():
            if row[0].value == field:
                row[1].value = value

    return edit


def test_signature_missing(rnd, tmp_path):
    _, _, ctx = rnd
    path = filled(rnd, tmp_path, edit=_edit_meta("signature", None))
    rec = one(run(tmp_path, ctx, {"a.xlsx": path}), "a.xlsx")
    assert (rec.status, rec.issues[-1].code) == ("rejected", "identity-signature-missing")


def test_identity_edited_to_claim_another_unit(rnd, tmp_path):
    _, _, ctx = rnd
    path = filled(rnd, tmp_path, edit=_edit_meta("unit_id", "JYJ"))
    rec = one(run(tmp_path, ctx, {"a.xlsx": path}), "a.xlsx")
    assert (rec.status, rec.issues[-1].code) == ("rejected", "identity-signature-invalid")


def test_workbook_of_another_round(rnd, tmp_path):
    _, _, ctx = rnd
    other, _ = make_round(tmp_path / "other")
    path = fill(other.files[0].path, tmp_path / "o.xlsx")
    rec = one(run(tmp_path, ctx, {"o.xlsx": path}), "o.xlsx")
    assert rec.issues[-1].code == "identity-other-round"
    assert rec.issues[-1].fields["found"] == other.record.round_id


def test_rubric_mismatch(rnd, tmp_path):
    _, _, ctx = rnd
    window = replace(ctx, rubric=load_rubric("wenming-chuangkou"), record=None)
    rec = one(run(tmp_path, window, {"a.xlsx": filled(rnd, tmp_path)}), "a.xlsx")
    assert rec.issues[-1].code == "identity-rubric-mismatch"


def test_unit_not_in_roster(rnd, tmp_path):
    _, _, ctx = rnd
    smaller = replace(ctx, roster=Roster([u for u in ctx.roster if u.unit_id != "CZJ"]))
    rec = one(run(tmp_path, smaller, {"a.xlsx": filled(rnd, tmp_path)}), "a.xlsx")
    assert rec.issues[-1].code == "identity-unknown-unit"


def test_meta_sheet_unhidden_is_a_warning(rnd, tmp_path):
    _, _, ctx = rnd

    def unhide(wb, ws, layout):
        wb[META_SHEET].sheet_state = "visible"

    rec = one(run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, edit=unhide)}), "a.xlsx")
    assert rec.status == "accepted" and codes(rec) == [("tamper-meta-visible", "")]


# -- locked content ---------------------------------------------------------------------------


def _set(ref: str, value):
    def edit(wb, ws, layout):
        ws.protection.sheet = False
        ws[ref] = value

    return edit


@pytest.mark.parametrize(
    "ref,value,code",
    [
        ("B2", "市教育局", "identity-name-mismatch"),
        ("B6", "改过的内容", "tamper-locked-changed"),
        ("C6", 60, "tamper-locked-changed"),
        ("D9", 15, "tamper-formula-replaced"),
        ("D9", "=SUM(D6:D7)", "tamper-formula-replaced"),
        ("F6", None, None),  # a cell outside the form: nothing to report
    ],
)
def test_locked_content_changed(rnd, tmp_path, ref, value, code):
    _, _, ctx = rnd
    rec = one(
        run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, edit=_set(ref, value))}), "a.xlsx"
    )
    if code is None:
        assert rec.status == "accepted"
        return
    assert rec.status == "rejected"
    assert (rec.issues[0].code, rec.issues[0].sheet, rec.issues[0].cell) == (code, "自评表", ref)


def test_inserted_row_is_reported_once_not_a_hundred_times(rnd, tmp_path):
    _, _, ctx = rnd

    def insert(wb, ws, layout):
        ws.protection.sheet = False
        ws.insert_rows(7)

    rec = one(run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, edit=insert)}), "a.xlsx")
    assert rec.status == "rejected"
    assert len(rec.issues) <= 9 and rec.issues[-1].code == "tamper-too-many"


def test_value_typed_inside_a_merged_area(rnd, tmp_path):
    _, _, ctx = rnd
    field = next(i for i in LAYOUT.inputs if i.kind == "field")
    covered = f"E{field.row + 1}"  # openpyxl will not write there, so edit the XML as another program would
    data = _rewrite(
        filled(rnd, tmp_path).read_bytes(),
        "xl/worksheets/sheet1.xml",
        lambda body: re.sub(
            rf'<c r="{covered}"[^>]*/>'.encode(),
            rf'<c r="{covered}" t="inlineStr"><is><t>李四</t></is></c>'.encode(),
            body,
        ),
    )
    rec = one(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    assert (rec.issues[0].code, rec.issues[0].cell) == ("tamper-locked-changed", covered)


def test_main_sheet_renamed(rnd, tmp_path):
    _, _, ctx = rnd

    def rename(wb, ws, layout):
        ws.title = "Sheet1"

    rec = one(run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, edit=rename)}), "a.xlsx")
    assert rec.issues[-1].code == "tamper-sheet-missing"


# -- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,code,accepted_value",
    [
        (9, "value-out-of-range", None),
        (-1, "value-out-of-range", None),
        (4.3, "value-step", None),
        ("abc", "value-not-number", None),
        ("5 5", "value-not-number", None),
        ("1,5", "value-not-number", None),
        ("=6", "value-formula-in-input", None),
        (None, "value-missing", None),
        ("５．５分", "value-normalised", 5.5),
        (" 5.5 ", "value-normalised", 5.5),
        ("6分", "value-normalised", 6.0),
    ],
)
def test_score_values(rnd, tmp_path, value, code, accepted_value):
    _, _, ctx = rnd
    rec = one(
        run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, scores={"i01": value})}), "a.xlsx"
    )
    assert rec.status == "accepted"
    assert codes(rec) == [(code, "D6")]
    assert rec.issues[0].sheet == "自评表"
    assert rec.submission.scores["i01"] == accepted_value
    if accepted_value is None:
        assert rec.submission.errors == 1


def test_error_message_built_from_catalogue(rnd, tmp_path):
    _, _, ctx = rnd
    rec = one(run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, scores={"i01": 9})}), "a.xlsx")
    inp = LAYOUT.input_named("xf_i01")
    assert rec.issues[0].message == render(
        "value-out-of-range", label=inp.label, value="9", max="6"
    )
    assert str(rec.issues[0]) == f"a.xlsx · 自评表!D6: [value-out-of-range] {rec.issues[0].message}"


def test_declaration_and_field_values(rnd, tmp_path):
    _, _, ctx = rnd
    decl = LAYOUT.input_named("xf_v1")
    date_field = LAYOUT.input_named("xf_fill_date")
    phone = LAYOUT.input_named("xf_phone")

    def edit(wb, ws, layout):
        ws[decl.ref] = "也许"
        ws[date_field.ref] = "明天"
        ws[phone.ref] = "1" * 30

    rec = one(run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, edit=edit)}), "a.xlsx")
    assert codes(rec) == [
        ("value-bad-choice", decl.ref),
        ("value-too-long", phone.ref),
        ("value-bad-date", date_field.ref),
    ]


def test_bonus_must_be_zero_or_the_points(rnd, tmp_path):
    _, _, ctx = rnd
    bonus = LAYOUT.input_named("xf_b_national")
    rec = one(
        run(tmp_path, ctx, {"a.xlsx": filled(rnd, tmp_path, edit=_set_value(bonus.ref, 5))}),
        "a.xlsx",
    )
    assert codes(rec) == [("value-bad-bonus", bonus.ref)]


def _set_value(ref, value):
    def edit(wb, ws, layout):
        ws[ref] = value

    return edit


def test_cached_total_that_disagrees_is_flagged(rnd, tmp_path):
    _, files, ctx = rnd
    total = LAYOUT.total("total")
    pattern = rf'(<c r="{total.ref}"[^>]*><f>[^<]*</f><v>)0(</v>)'.encode()
    data = _rewrite(
        files["CZJ"].read_bytes(),
        "xl/worksheets/sheet1.xml",
        lambda body: re.sub(pattern, rb"\g<1>42\2", body),
    )
    rec = one(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    assert ("value-total-mismatch", total.ref) in codes(rec)
    issue = next(i for i in rec.issues if i.code == "value-total-mismatch")
    assert issue.fields["cached"] == "42" and issue.fields["computed"] == "0"


# -- the same unit more than once ---------------------------------------------------------------


def test_duplicates_and_resubmissions(rnd, tmp_path):
    _, _, ctx = rnd
    first = filled(rnd, tmp_path, scores={"i01": 5})
    second = filled(rnd, tmp_path, scores={"i01": 6})
    report = run(
        tmp_path,
        ctx,
        {"a.xlsx": first, "a-copy.xlsx": first, "old/a.xlsx": first, "b.xlsx": second},
    )
    old = time.time() - 86400
    for name in ("a.xlsx", "a-copy.xlsx", "old/a.xlsx"):
        os.utime(tmp_path / "returns" / name, (old, old))
    report = ingest(tmp_path / "returns", ctx)
    status = {f.path: f.status for f in report.files}
    assert status["b.xlsx"] == "accepted"
    assert sorted(status.values()) == ["accepted", "duplicate", "duplicate", "superseded"]
    superseded = next(f for f in report.files if f.status == "superseded")
    assert (
        superseded.issues[-1].code == "submission-superseded"
        and superseded.issues[-1].fields["other"] == "b.xlsx"
    )
    assert [r.total for r in report.results] == [100]


# -- hostile shapes -------------------------------------------------------------------------------


def _rewrite(src: bytes, part: str, change) -> bytes:
    return rewrite_zip(src, {part: change})


def test_dtd_is_refused(rnd, tmp_path):
    _, files, ctx = rnd
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    data = _rewrite(
        files["CZJ"].read_bytes(), "xl/workbook.xml", lambda body: bomb + body.split(b"?>", 1)[1]
    )
    rec = one(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    assert (rec.status, rec.issues[0].code) == ("rejected", "file-bad-xml")


def test_huge_used_range_is_rejected_fast(rnd, tmp_path):
    _, files, ctx = rnd
    data = _rewrite(
        files["CZJ"].read_bytes(),
        "xl/worksheets/sheet1.xml",
        lambda body: body.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        ),
    )
    started = time.perf_counter()
    rec = one(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    assert time.perf_counter() - started < 1.0
    assert (rec.status, rec.issues[0].code) == ("rejected", "file-range-too-large")


def test_compression_bomb_is_rejected_unread(rnd, tmp_path):
    _, files, ctx = rnd
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(files["CZJ"].read_bytes())) as zin,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("xl/media/zeros.bin", b"\x00" * (8 * 1024 * 1024))
    rec = one(run(tmp_path, ctx, {"a.xlsx": buf.getvalue()}), "a.xlsx")
    assert (rec.status, rec.issues[0].code) == ("rejected", "file-zip-bomb")


def test_macros_are_flagged_not_run(rnd, tmp_path):
    _, _, ctx = rnd
    src = filled(rnd, tmp_path).read_bytes()
    buf = io.BytesIO(src)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"\x00" * 64)
    rec = one(run(tmp_path, ctx, {"a.xlsm": buf.getvalue()}), "a.xlsm")
    assert rec.status == "accepted" and codes(rec) == [("file-macro", "")]


def test_returns_folder_is_never_modified(rnd, tmp_path):
    _, files, ctx = rnd
    entries = {"a.xlsx": filled(rnd, tmp_path), "bad.xlsx": b"junk", "~$a.xlsx": b"x"}
    run(tmp_path, ctx, entries)

    def snapshot():
        return sorted(
            (
                p.relative_to(tmp_path / "returns").as_posix(),
                p.stat().st_mtime_ns,
                hashlib.sha256(p.read_bytes()).hexdigest(),
            )
            for p in (tmp_path / "returns").rglob("*")
            if p.is_file()
        )

    before = snapshot()
    ingest(tmp_path / "returns", ctx)
    assert snapshot() == before


# -- the walk ------------------------------------------------------------------------------------


def _walked_as_before(returns: Path) -> list[tuple[str, str | None, dict | None]]:
    """The walk as it was before os.scandir (os.walk, a stat per file, a look for each
    file's mail record): the reference."""
    from xlsxflow.ingest import _skip_code
    from xlsxflow.mail import read_mail_record

    found = []
    for root, dirs, files in os.walk(returns, followlinks=False):
        dirs.sort()
        rel_root = Path(root).relative_to(returns)
        for name in sorted(files):
            path, rel = Path(root) / name, (rel_root / name).as_posix()
            found.append((rel, _skip_code(rel, path), read_mail_record(path)))
    return found


def test_the_walk_lists_skips_and_finds_mail_records_as_os_walk_did(tmp_path):
    from xlsxflow.ingest import _mail_beside, discover, scan

    returns = tmp_path / "returns"
    for name in (
        "b.xlsx",
        "a.xlsx",
        "a.xlsx.mail.json",
        "~$a.xlsx",
        "Thumbs.db",
        ".hidden.xlsx",
        "z/deeper/c.xlsx",
        "z/deeper/c.xlsx.mail.json",
        "z/d.xlsx",
        "m/e.xlsx",
        ".git/f.xlsx",
        "__MACOSX/g.xlsx",
        "outside/h.xlsx",
    ):
        (returns / name).parent.mkdir(parents=True, exist_ok=True)
        (returns / name).write_text(json.dumps({"from": name}), encoding="utf-8")
    (returns / "m" / "e.xlsx.mail.json").mkdir()  # a folder named like a mail record: none
    (returns / "link.xlsx").symlink_to(returns / "a.xlsx")
    (returns / "gone.xlsx").symlink_to(returns / "nowhere.xlsx")
    (returns / "y").symlink_to(returns / "outside", target_is_directory=True)  # not followed
    walked = [(rel, skip, _mail_beside(path, beside)) for path, rel, skip, beside in scan(returns)]
    assert walked == _walked_as_before(returns)
    assert [rel for rel, _, _ in walked][:4] == [
        ".hidden.xlsx",
        "Thumbs.db",
        "a.xlsx",
        "a.xlsx.mail.json",
    ]
    assert ("link.xlsx", "file-skipped-hidden", None) in walked
    assert ("z/deeper/c.xlsx", None, {"from": "z/deeper/c.xlsx.mail.json"}) in walked
    assert ("m/e.xlsx", None, None) in walked
    assert not any(rel.startswith("y/") for rel, _, _ in walked)
    assert [(p, rel) for p, rel, _ in discover(returns)] == [
        (returns / rel, rel) for rel, _, _ in walked
    ]
