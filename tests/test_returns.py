"""Every return reaches the unit that sent it: ties of rejected files, archives, odd folders."""

from __future__ import annotations

import io
import json
import shutil
import stat
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import fill, fill_book, ingest_entries, record_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlsxflow.archives import MAX_DEPTH
from xlsxflow.cli import main
from xlsxflow.feedback import make_feedback
from xlsxflow.ingest import ingest, source_bytes
from xlsxflow.layout import META_SHEET
from xlsxflow.messages import render
from xlsxflow.summary import summary_bytes

OLE_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le")


@pytest.fixture(scope="module")
def rnd(round_dir):
    folder, result, ctx = round_dir
    return folder, {g.unit_id: g.path for g in result.files}, ctx


def filled(rnd, tmp_path: Path, unit: str = "CZJ", **kw) -> bytes:
    _, files, _ = rnd
    return fill(files[unit], tmp_path / "src" / f"{unit}.xlsx", **kw).read_bytes()


def broken_signature(rnd, tmp_path: Path, unit: str) -> bytes:
    """A filled return whose identity sheet still names the unit but fails its signature."""

    def edit(wb, ws, layout):
        sheet = wb[META_SHEET]
        for row in sheet.iter_rows():
            if row[0].value == "signature":
                row[1].value = "0" * len(str(row[1].value))

    _, files, _ = rnd
    return fill(files[unit], tmp_path / "src" / f"{unit}-sig.xlsx", edit=edit).read_bytes()


def missing_rows(report, ctx) -> dict[str, list]:
    """The 未交 sheet of the summary, by unit id."""
    wb = openpyxl.load_workbook(io.BytesIO(summary_bytes(report, ctx.rubric, ctx.roster)))
    ws = wb["未交"]
    header = [c.value for c in ws[1]]
    return {
        row[0]: dict(zip(header, row, strict=False)) for row in ws.iter_rows(2, values_only=True)
    }


# -- rejected files tied to their unit ---------------------------------------------------------


def test_xls_named_for_a_unit_is_its_rejected_return(rnd, tmp_path):
    _, _, ctx = rnd
    report = ingest_entries(
        tmp_path,
        ctx,
        {
            "CZJ_自评表.xls": OLE_XLS,  # id as a token
            "市教育局自评表.xls": OLE_XLS,  # the exact name
            "czj-gk 报送.xls": OLE_XLS,  # CZJ-GK, not CZJ: the longer match wins
            "市财政局国库支付中心.xlsx": b"PK\x03\x04broken",  # not 市财政局 either
            "CZJ和JYJ合并.xls": OLE_XLS,  # two units named: no guess
            "无名.xls": OLE_XLS,
        },
    )
    rec = record_of(report, "CZJ_自评表.xls")
    assert (rec.status, rec.unit_id, rec.tied_by) == ("rejected", "CZJ", "file_name")
    assert rec.issues[-1].code == "file-legacy-xls"  # the reason stays the last issue
    tie = next(i for i in rec.issues if i.code == "file-tied-to-unit")
    assert tie.message == render("file-tied-to-unit", how="文件名", unit="CZJ 市财政局")
    assert record_of(report, "市教育局自评表.xls").unit_id == "JYJ"
    assert record_of(report, "czj-gk 报送.xls").unit_id == "CZJ-GK"
    assert record_of(report, "市财政局国库支付中心.xlsx").unit_id == "CZJ-GK"
    assert record_of(report, "CZJ和JYJ合并.xls").unit_id == ""
    assert record_of(report, "无名.xls").unit_id == ""
    # Never accepted: the units stay missing, now as "received, unusable".
    assert not report.results and {"CZJ", "JYJ", "CZJ-GK"} <= {u.unit_id for u in report.missing}
    assert set(report.unusable) == {"CZJ", "JYJ", "CZJ-GK"}
    rows = missing_rows(report, ctx)
    assert rows["CZJ"]["情况"] == "已报送，但文件无法使用（拒收）"
    assert rows["CZJ"]["收到的文件"] == "CZJ_自评表.xls"
    assert rows["CZJ"]["拒收原因"] == render("file-legacy-xls")
    assert rows["CZJ"]["依据"] == "文件名"
    assert rows["WJW"]["情况"] == "未报送：未收到任何文件" and rows["WJW"]["收到的文件"] is None
    data = report.to_dict()
    unusable = {u["unit_id"]: u["files"] for u in data["received_unusable"]}
    assert unusable["CZJ"] == [
        {"path": "CZJ_自评表.xls", "reason": render("file-legacy-xls"), "tied_by": "file_name"}
    ]
    assert "CZJ" in data["missing"]


def test_broken_signature_is_tied_by_the_identity_sheet(rnd, tmp_path):
    _, _, ctx = rnd
    report = ingest_entries(tmp_path, ctx, {"报送.xlsx": broken_signature(rnd, tmp_path, "JYJ")})
    rec = record_of(report, "报送.xlsx")
    assert (rec.status, rec.unit_id, rec.tied_by) == ("rejected", "JYJ", "identity")
    assert rec.issues[-1].code == "identity-signature-invalid"
    assert missing_rows(report, ctx)["JYJ"]["依据"] == "身份表"


def test_mail_sender_ties_a_rejected_file(rnd, tmp_path):
    _, _, ctx = rnd
    unit = ctx.roster.get("WJW")
    record = {"from": unit.email, "date": "2026-12-01T09:00:00+08:00", "subject": "报送"}
    report = ingest_entries(
        tmp_path,
        ctx,
        {
            "a1b2_附件.xls": OLE_XLS,
            "a1b2_附件.xls.mail.json": json.dumps(record).encode(),
        },
    )
    rec = record_of(report, "a1b2_附件.xls")
    assert (rec.status, rec.unit_id, rec.tied_by) == ("rejected", "WJW", "sender")


def test_a_unit_with_an_accepted_return_is_not_missing(rnd, tmp_path):
    _, _, ctx = rnd
    report = ingest_entries(
        tmp_path, ctx, {"CZJ_旧.xls": OLE_XLS, "CZJ_新.xlsx": filled(rnd, tmp_path)}
    )
    assert record_of(report, "CZJ_新.xlsx").status == "accepted"
    assert record_of(report, "CZJ_旧.xls").unit_id == "CZJ"
    assert "CZJ" not in {u.unit_id for u in report.missing} and "CZJ" not in report.unusable


def test_feedback_answers_a_rejected_unit_with_a_fresh_workbook(rnd, tmp_path):
    folder, files, ctx = rnd
    report = ingest_entries(
        tmp_path,
        ctx,
        {
            "CZJ_自评表.xls": OLE_XLS,
            "报送.xlsx": broken_signature(rnd, tmp_path, "JYJ"),
            "jyj-old.xlsx": b"",
            "无名.xls": OLE_XLS,
        },
    )
    items = make_feedback(report, ctx, tmp_path / "returns", tmp_path / "fb", folder / "workbooks")
    by_unit = {i.unit_id: i for i in items}
    assert set(by_unit) == {"CZJ", "JYJ"} and all(i.fresh for i in items)
    # The workbook generated for the unit, unchanged: it can fill it in again.
    assert by_unit["CZJ"].workbook.read_bytes() == files["CZJ"].read_bytes()
    text = by_unit["CZJ"].message.read_text(encoding="utf-8")
    assert "CZJ_自评表.xls" in text and render("file-legacy-xls") in text
    assert "按文件名认定" in text and ctx.record.deadline in text
    text = by_unit["JYJ"].message.read_text(encoding="utf-8")
    assert render("identity-signature-invalid") in text and render("file-empty") in text
    assert "身份表" in text


# -- archives -----------------------------------------------------------------------------------


def set_flags(data: bytes, name: bytes, bits: int) -> bytes:
    """Set general-purpose flag bits of one member in both its headers."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if bytes(out[pos + 46 : pos + 46 + name_len]) == name:
            local = struct.unpack_from("<I", out, pos + 42)[0]
            for offset in (pos + 8, local + 6):
                flags = struct.unpack_from("<H", out, offset)[0]
                struct.pack_into("<H", out, offset, flags | bits)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def zip_of(members: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def gbk_named(name: str, data: bytes) -> bytes:
    """A zip as Windows' compressed folder writes it: the name in CP936, no UTF-8 flag."""
    raw = name.encode("cp936")
    placeholder = ("Q" * (len(raw) - 5) + ".xlsx").encode()
    out = zip_of({placeholder.decode(): data}).replace(placeholder, raw)
    assert not zipfile.ZipFile(io.BytesIO(out)).infolist()[0].flag_bits & 0x800
    return out


def test_zip_members_are_read_like_files(rnd, tmp_path):
    _, _, ctx = rnd
    czj = filled(rnd, tmp_path, "CZJ")
    jyj = filled(rnd, tmp_path, "JYJ")
    wjw = filled(rnd, tmp_path, "WJW")
    inner = zip_of({"JYJ_市教育局.xlsx": jyj})
    archive = zip_of(
        {
            "报送/CZJ_市财政局.xlsx": czj,
            "下级/inner.zip": inner,
            "__MACOSX/._CZJ_市财政局.xlsx": b"\x00\x05\x16\x07",
            "说明.txt": "见附件".encode(),
            "空文件夹\\": b"",  # a folder entry as some Windows tools write it
        }
    )
    report = ingest_entries(
        tmp_path, ctx, {"汇总.zip": archive, "市卫健委.zip": gbk_named("市卫健委自评表.xlsx", wjw)}
    )
    statuses = {f.path: f.status for f in report.files}
    assert statuses == {
        "汇总.zip": "skipped",
        "汇总.zip/报送/CZJ_市财政局.xlsx": "accepted",
        "汇总.zip/下级/inner.zip": "skipped",
        "汇总.zip/下级/inner.zip/JYJ_市教育局.xlsx": "accepted",
        "汇总.zip/__MACOSX/._CZJ_市财政局.xlsx": "skipped",
        "汇总.zip/说明.txt": "skipped",
        "市卫健委.zip": "skipped",
        "市卫健委.zip/市卫健委自评表.xlsx": "accepted",
    }
    container = record_of(report, "汇总.zip")
    assert container.issues[0].message == render("file-archive-container", count=4)
    assert sorted(r.unit_id for r in report.results) == ["CZJ", "JYJ", "WJW"]
    # The bytes behind each record can be found again (feedback annotates them).
    returns = tmp_path / "returns"
    assert source_bytes(returns, "汇总.zip/下级/inner.zip/JYJ_市教育局.xlsx") == jyj
    assert source_bytes(returns, "市卫健委.zip/市卫健委自评表.xlsx") == wjw
    assert source_bytes(returns, "汇总.zip/../汇总.zip") is None


def test_zip_members_that_are_not_read_say_why(rnd, tmp_path):
    _, _, ctx = rnd
    czj = filled(rnd, tmp_path, "CZJ")
    deep = zip_of({"a.zip": zip_of({"b.zip": zip_of({"CZJ.xlsx": czj})})})
    bomb = zip_of({"bomb.xlsx": b"\x00" * (5 * 1024 * 1024)})
    archive = zip_of(
        {
            "../evil.xlsx": czj,
            "/etc/abs.xlsx": czj,
            "C:\\Windows\\win.xlsx": czj,
            "bell\x07.xlsx": czj,
            "secret.xlsx": czj,
            "deep.zip": deep,
            "bomb.xlsx": b"\x00" * (5 * 1024 * 1024),
        },
        links={"link.xlsx": "../../etc/passwd"},
    )
    archive = set_flags(archive, b"secret.xlsx", 0x1)
    report = ingest_entries(tmp_path, ctx, {"r.zip": archive, "b.zip": bomb})
    by_path = {f.path: f for f in report.files}

    def outcome(path):
        rec = by_path[path]
        return rec.status, rec.issues[-1].code

    assert outcome("r.zip/../evil.xlsx") == ("rejected", "file-archive-unsafe-name")
    assert outcome("r.zip//etc/abs.xlsx") == ("rejected", "file-archive-unsafe-name")
    assert outcome("r.zip/C:/Windows/win.xlsx") == ("rejected", "file-archive-unsafe-name")
    assert outcome("r.zip/bell?.xlsx") == ("rejected", "file-archive-unsafe-name")
    assert outcome("r.zip/secret.xlsx") == ("rejected", "file-archive-encrypted")
    assert outcome("r.zip/link.xlsx") == ("skipped", "file-archive-link")
    assert outcome("r.zip/bomb.xlsx") == ("rejected", "file-zip-bomb")
    assert outcome("b.zip/bomb.xlsx") == ("rejected", "file-zip-bomb")
    assert outcome("r.zip/deep.zip") == ("skipped", "file-archive-container")
    assert outcome("r.zip/deep.zip/a.zip") == ("rejected", "file-archive-too-deep")
    assert by_path["r.zip/deep.zip/a.zip"].issues[-1].message == render(
        "file-archive-too-deep", depth=MAX_DEPTH
    )
    assert not report.results  # nothing in there was read as a return
    assert by_path["r.zip/link.xlsx"].issues[-1].message == render(
        "file-archive-link", target="../../etc/passwd"
    )


def test_zip_that_is_an_xlsx_and_broken_zips(rnd, tmp_path):
    _, _, ctx = rnd
    czj = filled(rnd, tmp_path, "CZJ")
    report = ingest_entries(
        tmp_path, ctx, {"CZJ 报送.zip": czj, "坏.zip": b"PK\x03\x04" + b"\x00" * 40}
    )
    assert record_of(report, "CZJ 报送.zip").status == "accepted"  # an xlsx renamed .zip
    assert record_of(report, "坏.zip").issues[-1].code == "file-corrupt"


def test_many_entries_reject_the_archive(rnd, tmp_path):
    from dataclasses import replace

    from xlsxflow.ooxml import DEFAULT_LIMITS

    _, _, ctx = rnd
    archive = zip_of({f"{n}.txt": b"x" for n in range(20)})
    limits = replace(DEFAULT_LIMITS, max_entries=10)
    report = ingest_entries(tmp_path, ctx, {"many.zip": archive}, limits=limits)
    assert [f.path for f in report.files] == ["many.zip"]
    assert report.files[0].issues[-1].code == "file-zip-bomb"


@pytest.mark.parametrize(
    "name,content,kind",
    [
        ("CZJ_报送.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 40, "RAR"),
        ("报送.rar", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40, "RAR"),
        ("报送.7z", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40, "7z"),
        ("看不出.dat", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40, "7z"),  # by magic bytes
        ("坏的.7z", b"\x01\x02\x03" * 20, "7z"),  # by extension
    ],
)
def test_rar_and_7z_ask_to_unpack(rnd, tmp_path, name, content, kind):
    _, _, ctx = rnd
    rec = record_of(ingest_entries(tmp_path, ctx, {name: content}), name)
    assert rec.status == "rejected"
    assert rec.issues[-1].message == render("file-archive-unsupported", kind=kind)
    assert "请解压后放入" in rec.reason
    assert rec.unit_id == ("CZJ" if name.startswith("CZJ") else "")


# -- the folder as a whole -------------------------------------------------------------------------


def run_ingest(folder: Path, returns: str, monkeypatch):
    monkeypatch.chdir(folder)
    out = folder.parent / f"{folder.name}-summary.xlsx"
    return CliRunner().invoke(main, ["ingest", returns, "--out", str(out)])


def test_empty_folder_warns_and_exits_1(rnd, tmp_path, monkeypatch):
    folder, _, ctx = rnd
    report = ingest_entries(tmp_path, ctx, {})
    assert [i.code for i in report.warnings] == ["returns-empty"]
    assert report.exit_code == 1
    (tmp_path / "only-hidden").mkdir()
    (tmp_path / "only-hidden" / ".DS_Store").write_bytes(b"x")
    result = run_ingest(folder, str(tmp_path / "only-hidden"), monkeypatch)
    assert result.exit_code == 1
    expected = render(
        "returns-empty",
        path=str(tmp_path / "only-hidden"),
        detail="（1 个文件均已跳过，见“文件”表）",
    )
    assert expected in result.output


def test_the_rounds_own_blank_workbooks_warn(rnd, seed_round, tmp_path, monkeypatch):
    folder, _, ctx = rnd
    result = run_ingest(folder, "workbooks", monkeypatch)
    assert result.exit_code == 1
    assert render("returns-unfilled", count=30) in result.output
    # A round of several forms, where a blank workbook is a valid "not applying": still a warning.
    seed_folder, seed_ctx, seed_files = seed_round
    result = run_ingest(seed_folder, "workbooks", monkeypatch)
    assert result.exit_code == 1 and render("returns-unfilled", count=4) in result.output
    # One filled return among blank ones: no warning.
    returns = tmp_path / "mixed"
    shutil.copytree(seed_folder / "workbooks", returns)
    fill_book(seed_files["BIG"], returns / seed_files["BIG"].name, seed_ctx.round)
    report = ingest(returns, seed_ctx)
    assert report.warnings == []
    summary = openpyxl.load_workbook(
        io.BytesIO(
            summary_bytes(ingest(seed_folder / "workbooks", seed_ctx), None, seed_ctx.roster)
        )
    )
    assert render("returns-unfilled", count=4) in [c.value for c in summary["问题"]["G"]]


def test_tampered_return_keeps_its_signature_tie(rnd, tmp_path):
    _, _, ctx = rnd

    def edit(wb, ws, layout):
        ws["A1"] = "改过的标题"

    _, files, _ = rnd
    data = fill(files["CZJ"], tmp_path / "src" / "t.xlsx", edit=edit).read_bytes()
    rec = record_of(ingest_entries(tmp_path, ctx, {"t.xlsx": data}), "t.xlsx")
    assert (rec.status, rec.unit_id, rec.tied_by) == ("rejected", "CZJ", "signature")
    assert not any(i.code == "file-tied-to-unit" for i in rec.issues)


def test_eml_with_a_zip_attachment(rnd, tmp_path):
    from email.message import EmailMessage

    _, _, ctx = rnd
    msg = EmailMessage()
    msg["From"], msg["Subject"] = ctx.roster.get("JYJ").email, "报送"
    msg.set_content("见附件")
    archive = zip_of({"自评表.xlsx": filled(rnd, tmp_path, "JYJ"), "旧.xls": OLE_XLS})
    msg.add_attachment(archive, maintype="application", subtype="zip", filename="报送.zip")
    report = ingest_entries(tmp_path, ctx, {"回复.eml": msg.as_bytes()})
    assert record_of(report, "回复.eml/报送.zip/自评表.xlsx").status == "accepted"
    old = record_of(report, "回复.eml/报送.zip/旧.xls")
    assert (old.status, old.unit_id, old.tied_by) == ("rejected", "JYJ", "sender")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_archive_never_stops_the_run(data):
    """Flipped, cut or inserted bytes: an archive is read or refused, never an exception."""
    from dataclasses import replace

    from xlsxflow.archives import Budget, read_archive
    from xlsxflow.ooxml import DEFAULT_LIMITS, ReadError

    original = bytearray(FUZZ_ARCHIVE)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(original) - 1))
        original[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        original = original[: data.draw(st.integers(0, len(original)))]
    limits = replace(DEFAULT_LIMITS, max_total_uncompressed=1 << 20)
    try:
        members = read_archive(bytes(original), limits, Budget(limits), 0.0)
    except ReadError as err:
        assert err.code in ("file-corrupt", "file-zip-bomb")
        return
    for member in members:
        assert member.problem or member.data is not None
        assert "/../" not in f"/{member.name}/" or member.problem


FUZZ_ARCHIVE = zip_of(
    {"a.xlsx": b"x" * 300, "目录/b.xlsx": "内容".encode() * 50, "c.zip": zip_of({"d.txt": b"d"})}
)


def test_feedback_reaches_units_through_archives_and_the_command(rnd, tmp_path, monkeypatch):
    folder, files, ctx = rnd
    returns = tmp_path / "returns"
    returns.mkdir()
    bad = filled(rnd, tmp_path, "JYJ", scores={"i01": 9})  # out of range: annotated
    (returns / "汇总.zip").write_bytes(zip_of({"JYJ.xlsx": bad}))
    (returns / "CZJ_自评表.xls").write_bytes(OLE_XLS)  # rejected: a fresh workbook
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["feedback", str(returns), "--out", str(tmp_path / "fb")])
    assert result.exit_code == 0, result.output
    assert "CZJ" in result.output and "拒收，重新下发工作簿" in result.output
    assert "JYJ" in result.output and "1 个问题" in result.output
    annotated = openpyxl.load_workbook(next((tmp_path / "fb").glob("JYJ_*.xlsx")))
    assert "超出允许范围" in annotated["自评表"]["D6"].comment.text
    fresh = next((tmp_path / "fb").glob("CZJ_*.xlsx")).read_bytes()
    assert fresh == files["CZJ"].read_bytes()
