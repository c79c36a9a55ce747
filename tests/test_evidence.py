"""Evidence archives (佐证材料, issue 15): skeleton out, safe reading back, store, links."""

from __future__ import annotations

import io
import re
import shutil
import stat
import zipfile
from dataclasses import replace
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import fill, ingest_entries, libreoffice_convert, make_round, record_of

from xlsxflow.cli import main
from xlsxflow.demo import run_demo
from xlsxflow.evidence.manifest import MANIFEST, manifest_text, read_manifest, unit_identity
from xlsxflow.evidence.skeleton import README, skeleton_name, write_skeletons
from xlsxflow.evidence.store import read_index, store_beside_summary, store_evidence
from xlsxflow.evidence.tree import folder_name, unit_folders
from xlsxflow.ingest import ingest
from xlsxflow.mail import MailTemplate, attachments_of, send_workbooks
from xlsxflow.messages import render
from xlsxflow.roster import Unit
from xlsxflow.rubric import load_rubric, resolve_rubric_path
from xlsxflow.summary import write_summary

WINDOWS_FORBIDDEN = re.compile(r'[<>:"\\|?*\x00-\x1f]')


@pytest.fixture(scope="module")
def evidence_round(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evidence")
    result, ctx = make_round(folder)
    skeletons = write_skeletons(ctx, folder / "workbooks")
    return folder, result, ctx, {s.unit_id: s for s in skeletons}


def test_folder_names_are_windows_safe():
    assert (
        folder_name(1, '01:创建领导小组文件 a/b*c?"<>|', 40)
        == "01 01：创建领导小组文件 a／b＊c？”〈〉｜"
    )
    long = "建立志愿者服务活动制度，有志愿者服务队伍名册。另有很长的说明文字" * 3
    assert len(folder_name(3, long, 28)) <= 31
    assert folder_name(2, "组织领导\n 。", 20) == "02 组织领导"


def test_skeleton_beside_each_workbook(evidence_round):
    folder, result, ctx, skeletons = evidence_round
    assert {g.unit_id for g in result.files} == set(skeletons)
    unit = ctx.roster.get("CZJ")
    sk = skeletons["CZJ"]
    assert sk.folder.name == skeleton_name("CZJ", unit.name) == "CZJ_市财政局_佐证材料"
    assert sk.folder.parent == result.files[0].path.parent
    folders = unit_folders(ctx, "CZJ")
    rubric = ctx.rubric
    sections = len(rubric.sections) + (1 if rubric.bonus else 0)
    items = sum(len(s.items) for s in rubric.sections) + len(rubric.bonus.items)
    assert len(folders) == sections + items
    for f in folders:
        assert (sk.folder / f.path).is_dir()
        for part in f.path.split("/"):
            assert re.match(r"^\d\d \S", part) and not WINDOWS_FORBIDDEN.search(part)
            assert not part.endswith((" ", "."))
    readme = (sk.folder / README).read_text(encoding="utf-8-sig")
    assert "01 创建领导小组文件.pdf" in readme and "市财政局" in readme
    # the zip: the same folders (empty ones too) under the top folder, UTF-8 names
    with zipfile.ZipFile(sk.archive) as zf:
        names = set(zf.namelist())
        assert all(i.flag_bits & 0x800 for i in zf.infolist() if not i.filename.isascii())
    assert {f"{sk.folder.name}/{f.path}/" for f in folders} <= names
    data = (sk.folder / MANIFEST).read_bytes()
    identity, issues = read_manifest(data, ctx, MANIFEST)
    assert identity is not None and identity.unit_id == "CZJ" and not issues


def test_manifest_tampered_or_other_unit_rejected(evidence_round):
    folder, result, ctx, skeletons = evidence_round
    data = (skeletons["CZJ"].folder / MANIFEST).read_bytes()
    forged = data.replace(b"unit_id=CZJ", b"unit_id=DAJ")
    identity, issues = read_manifest(forged, ctx, MANIFEST)
    assert identity is None and issues[0].code == "evidence-signature-invalid"


def zip_of(files: dict[str, bytes], *, utf8: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# -- back: ingest reads evidence archives -------------------------------------------------


class _Cp936Info(zipfile.ZipInfo):
    """A member as Windows Explorer's 压缩(zipped)文件夹 writes it on a Chinese system:
    its name in CP936 (GBK), without the UTF-8 flag."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own name
        return self.filename.encode("cp936"), self.flag_bits & ~0x800


def explorer_zip(folder: Path, extra: dict[str, bytes]) -> bytes:
    """``folder`` zipped as Windows Explorer does (CP936 names, backslash-free, dirs too),
    with ``extra`` files (path below the folder → bytes) added."""
    buffer = io.BytesIO()
    top = folder.name
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            rel = f"{top}/{path.relative_to(folder).as_posix()}"
            info = _Cp936Info(rel + ("/" if path.is_dir() else ""), (2026, 11, 30, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, b"" if path.is_dir() else path.read_bytes())
        for rel, data in extra.items():
            info = _Cp936Info(f"{top}/{rel}", (2026, 11, 30, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def item_folders(ctx, unit_id):
    return [f for f in unit_folders(ctx, unit_id) if f.is_item]


PDF = b"%PDF-1.4\n% evidence\n" + b"0" * 200


@pytest.fixture(scope="module")
def filled_czj(evidence_round, tmp_path_factory):
    folder, result, ctx, skeletons = evidence_round
    src = next(g.path for g in result.files if g.unit_id == "CZJ")
    out = tmp_path_factory.mktemp("filled") / src.name
    return fill(src, out)


def test_gbk_archive_read_tied_checked_and_stored(evidence_round, filled_czj, tmp_path):
    folder, result, ctx, skeletons = evidence_round
    items = item_folders(ctx, "CZJ")
    first, second = items[0], items[1]
    archive = explorer_zip(
        skeletons["CZJ"].folder,
        {
            f"{first.path}/01 创建领导小组文件.pdf": PDF,
            f"{first.path}/02 会议照片.jpg": b"\xff\xd8\xff" + b"1" * 100,
            f"{second.path}/领导讲话.docx": b"PK\x03\x04" + b"2" * 100,  # not "NN 主题"
            f"{second.path}/01 同一文件.pdf": PDF,  # the same document in two items
            f"{second.path}/run.exe": b"MZ" + b"3" * 50,
            f"{second.path}/03 空.pdf": b"",
        },
    )
    assert not any(i.flag_bits & 0x800 for i in zipfile.ZipFile(io.BytesIO(archive)).infolist())
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "CZJ_市财政局_佐证材料.zip").write_bytes(archive)
    shutil.copyfile(filled_czj, returns / filled_czj.name)
    before = sorted((p.relative_to(returns), p.stat().st_mtime) for p in returns.rglob("*"))
    report = ingest(returns, ctx)
    rec = record_of(report, "CZJ_市财政局_佐证材料.zip")
    assert rec.status == "skipped" and rec.unit_id == "CZJ" and rec.evidence is not None
    codes = [i.code for i in rec.issues]
    assert codes[0] == "evidence-received"
    names = {i.fields.get("name") for i in rec.issues}
    assert {"领导讲话.docx", "run.exe", "03 空.pdf"} <= names
    assert {"evidence-bad-name", "evidence-bad-type", "evidence-empty-file"} <= set(codes)
    assert "evidence-duplicate" in codes
    # every other item has full marks and no document: a warning naming it
    missing = [i for i in rec.issues if i.code == "evidence-missing"]
    assert len(missing) == len(items) - 2 - 3  # bonus lines are 0 in the filled return
    third = next(i for s in ctx.rubric.sections for i in s.items if i.id == items[2].item)
    assert missing[0].message == render(
        "evidence-missing", item=items[2].label, score=f"{third.max:g}", folder=items[2].path
    )
    ev = rec.evidence
    assert ev.count(first) == 2 and ev.count(second) == 2  # .docx (badly named) and the pdf
    # the workbook is accepted as before; the archive is not read as workbooks
    assert record_of(report, filled_czj.name).status == "accepted"
    assert not [f for f in report.files if f.path.startswith("CZJ_市财政局_佐证材料.zip/")]
    # stored under the evidence folder, content-addressed; the returns folder untouched
    store = tmp_path / "out" / "evidence"
    store_evidence(report, ctx.roster, store, tmp_path / "out")
    stored = store / ev.stored_at
    assert ev.stored_at == f"CZJ_市财政局/{ev.sha256[:16]}"
    assert (stored / first.path / "01 创建领导小组文件.pdf").read_bytes() == PDF
    assert (stored / second.path / "领导讲话.docx").exists()
    assert not (stored / second.path / "run.exe").exists()
    assert sorted((p.relative_to(returns), p.stat().st_mtime) for p in returns.rglob("*")) == before
    # a resubmitted, different archive keeps the earlier one; the same one writes nothing
    again = explorer_zip(skeletons["CZJ"].folder, {f"{first.path}/01 新文件.pdf": PDF})
    (returns / "CZJ_市财政局_佐证材料.zip").write_bytes(again)
    report2 = ingest(returns, ctx)
    store_evidence(report2, ctx.roster, store, tmp_path / "out")
    ev2 = record_of(report2, "CZJ_市财政局_佐证材料.zip").evidence
    assert ev2.stored_at != ev.stored_at
    assert (stored / first.path / "01 创建领导小组文件.pdf").read_bytes() == PDF
    assert (store / ev2.stored_at / first.path / "01 新文件.pdf").exists()
    assert read_index(store)["CZJ"].folder == ev2.stored_at


def _target(ws, cell) -> str:
    """A hyperlink's target as the saved file has it, as a path ("\\" and %20 undone)."""
    return unquote(ws[cell].hyperlink.target.replace("\\", "/"))


def test_summary_links_each_item_to_its_stored_folder(evidence_round, filled_czj, tmp_path):
    folder, result, ctx, skeletons = evidence_round
    items = item_folders(ctx, "CZJ")
    archive = explorer_zip(
        skeletons["CZJ"].folder,
        {f"{items[0].path}/01 创建领导小组文件.pdf": PDF, f"{items[3].path}/01 照片.png": PDF},
    )
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "佐证.zip").write_bytes(archive)
    shutil.copyfile(filled_czj, returns / filled_czj.name)
    report = ingest(returns, ctx)
    out = tmp_path / "out"
    stored_in, _ = store_beside_summary(report, ctx.roster, out / "summary.xlsx")
    assert stored_in == out / "evidence"
    write_summary(report, ctx.rubric, ctx.roster, out / "summary.xlsx")
    ev = record_of(report, "佐证.zip").evidence
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    ws = wb["佐证"]
    headers = [c.value for c in ws[1]]
    link_col = headers.index("佐证文件夹") + 1
    count_col = headers.index("材料数") + 1
    by_item = {ws.cell(r, headers.index("指标") + 1).value: r for r in range(2, ws.max_row + 1)}
    for n, item in enumerate(items):
        r = by_item[item.label]
        cell = ws.cell(r, link_col)
        target = out / _target(ws, cell.coordinate)
        assert target.resolve() == (out / "evidence" / ev.stored_at / item.path).resolve()
        assert target.is_dir()
        assert ws.cell(r, count_col).value == (1 if n in (0, 3) else 0)
    assert (out / _target(ws, ws.cell(by_item[items[0].label], link_col).coordinate)).joinpath(
        "01 创建领导小组文件.pdf"
    ).read_bytes() == PDF
    details = wb["明细"]
    last = details.max_column
    assert details.cell(1, last).value == "佐证材料"
    assert details.cell(2, last).value == "2 份"
    target = out / _target(details, details.cell(2, last).coordinate)
    assert target.resolve() == (out / "evidence" / ev.stored_at).resolve()
    # each item's score links to its own folder and stays a number (its count in the tip)
    linked = {c.column: c for c in details[2] if c.hyperlink and c.column != last}
    by_path = {(out / "evidence" / ev.stored_at / i.path).resolve(): i for i in items}
    assert len(linked) == len([i for i in items if not i.bonus])  # 加分 lines: no score cell
    for cell in linked.values():
        assert isinstance(cell.value, int | float)
        item = by_path[(out / _target(details, cell.coordinate)).resolve()]
        count = 1 if item in (items[0], items[3]) else 0
        assert cell.hyperlink.tooltip == f"佐证材料 {count} 份（单击打开文件夹）"
    first = next(c for c in linked.values() if c.column == 3)
    assert (out / _target(details, first.coordinate)).resolve() == (
        out / "evidence" / ev.stored_at / items[0].path
    ).resolve()


def evidence_zip(skeleton: Path, files: dict[str, bytes], links: dict[str, str] | None = None):
    """The skeleton's manifest and ``files`` (names as given, inside its top folder unless
    they start with "!"), plus symbolic-link members."""
    top = skeleton.name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/{MANIFEST}", (skeleton / MANIFEST).read_bytes())
        for name, data in files.items():
            zf.writestr(name[1:] if name.startswith("!") else f"{top}/{name}", data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(f"{top}/{name}")
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def test_hostile_members_are_reported_and_never_written(evidence_round, filled_czj, tmp_path):
    folder, result, ctx, skeletons = evidence_round
    item = item_folders(ctx, "CZJ")[0].path
    archive = evidence_zip(
        skeletons["CZJ"].folder,
        {
            "!../../evil.pdf": PDF,  # zip slip
            "!/etc/cron.d/evil.pdf": PDF,  # an absolute path
            f"{item}/..\\..\\..\\evil2.pdf": PDF,  # Windows-style traversal
            f"{item}/02 炸弹.pdf": b"\x00" * (5 * 1024 * 1024),  # a zip bomb
            f"{item}/01 正常.pdf": PDF,
        },
        links={f"{item}/03 链接.pdf": "/etc/passwd"},
    )
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "CZJ.zip").write_bytes(archive)
    shutil.copyfile(filled_czj, returns / filled_czj.name)
    report = ingest(returns, ctx)
    rec = record_of(report, "CZJ.zip")
    codes = [i.code for i in rec.issues]
    assert rec.status == "skipped" and rec.unit_id == "CZJ"
    assert codes.count("file-archive-unsafe-name") == 3
    assert "file-zip-bomb" in codes and "file-archive-link" in codes
    assert [d.rest for d in rec.evidence.documents] == ["01 正常.pdf"]
    out = tmp_path / "out"
    store_beside_summary(report, ctx.roster, out / "summary.xlsx")
    written = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert not [n for n in written if "evil" in n or "炸弹" in n or "链接" in n]
    assert (out / "evidence" / rec.evidence.stored_at / item / "01 正常.pdf").exists()


def test_archive_for_unknown_unit_or_other_round_is_rejected(evidence_round, tmp_path):
    folder, result, ctx, skeletons = evidence_round
    stranger = Unit("ZZZ", "不在名单的单位")
    other = replace(unit_identity(ctx, ctx.roster.get("CZJ")), round_id="20250101-x-abcdef")
    forged_folder = tmp_path / "forged"
    for name, text in {
        "ZZZ_佐证材料": manifest_text(unit_identity(ctx, stranger), ctx.key),
        "CZJ_上轮_佐证材料": manifest_text(other, ctx.key),
    }.items():
        (forged_folder / name).mkdir(parents=True)
        (forged_folder / name / MANIFEST).write_text(text, encoding="utf-8")
    report = ingest_entries(
        tmp_path,
        ctx,
        {
            "ZZZ.zip": evidence_zip(forged_folder / "ZZZ_佐证材料", {"01 a/01 b/01 c.pdf": PDF}),
            "old.zip": evidence_zip(forged_folder / "CZJ_上轮_佐证材料", {}),
        },
    )
    zzz, old = record_of(report, "ZZZ.zip"), record_of(report, "old.zip")
    assert (zzz.status, zzz.issues[-1].code) == ("rejected", "evidence-unknown-unit")
    assert (old.status, old.issues[-1].code) == ("rejected", "evidence-other-round")
    assert old.unit_id == "CZJ"  # tied to the unit it names, but not accepted
    assert not [f for f in report.files if f.path.startswith(("ZZZ.zip/", "old.zip/"))]


def test_archive_without_manifest_tied_by_the_workbook_in_the_same_mail(
    evidence_round, filled_czj, tmp_path
):
    folder, result, ctx, skeletons = evidence_round
    item = item_folders(ctx, "CZJ")[0].path
    bare = zip_of({f"材料/{item}/01 文件.pdf": PDF})  # no manifest: numbered folders only
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "czj@example.org", "o@example.org", "报送"
    message.set_content("见附件")
    message.add_attachment(
        filled_czj.read_bytes(), maintype="application", subtype="octet-stream",
        filename=filled_czj.name,
    )  # fmt: skip
    message.add_attachment(bare, maintype="application", subtype="zip", filename="材料.zip")
    alone = zip_of({f"{item}/01 文件.pdf": PDF})
    batch = zip_of({"01 第一批/CZJ.xlsx": filled_czj.read_bytes()})
    report = ingest_entries(
        tmp_path,
        ctx,
        {"czj.eml": bytes(message), "x/alone.zip": alone, "y/01 第一批.zip": batch},
    )
    rec = record_of(report, "czj.eml/材料.zip")
    assert rec.status == "skipped" and rec.unit_id == "CZJ"
    assert rec.evidence.how == "message" and rec.evidence.documents[0].folder == item
    batch = record_of(report, "y/01 第一批.zip")  # returns in a numbered folder: not evidence
    assert batch.issues[0].code == "file-archive-container"
    inner = record_of(report, "y/01 第一批.zip/01 第一批/CZJ.xlsx")  # read as a workbook
    assert inner.status == "duplicate"  # of the one in the mail
    lone = record_of(report, "x/alone.zip")
    assert (lone.status, lone.issues[-1].code) == ("rejected", "evidence-untied")
    assert lone.reason == render("evidence-untied")


def test_send_attaches_the_evidence_zip_when_asked(evidence_round, tmp_path):
    folder, result, ctx, skeletons = evidence_round
    out = tmp_path / "eml"
    report = send_workbooks(
        result.files[0].path.parent,
        ctx.roster,
        MailTemplate.load("workbook"),
        round_id=ctx.record.round_id,
        round_title=ctx.record.title,
        deadline=ctx.record.deadline,
        sender=("市直机关工委", "office@example.org"),
        dry_run_dir=out,
        only=["CZJ"],
        evidence=True,
    )
    assert [line.status for line in report.lines] == ["dry-run"]
    message = message_from_bytes((out / report.lines[0].detail).read_bytes())
    names = [n for n, _ in attachments_of(message)]
    assert names[1] == "CZJ_市财政局_佐证材料.zip" and names[0].endswith(".xlsx")
    assert dict(attachments_of(message))[names[1]] == skeletons["CZJ"].archive.read_bytes()


def test_demo_unit_returns_an_archive_that_reviewers_open(tmp_path):
    result = run_demo(tmp_path / "demo", "sanchuang", echo=lambda line: None)
    rec = next(f for f in result.ingest.files if f.evidence is not None)
    assert rec.status == "skipped" and rec.unit_id == "CZJ" and rec.evidence.how == "manifest"
    codes = {i.code for i in rec.issues}
    assert {"evidence-received", "evidence-missing", "evidence-bad-name"} <= codes
    stored = tmp_path / "demo" / "evidence" / rec.evidence.stored_at
    assert stored.is_dir()
    # the reviewer's sheet of CZJ: beside each item a link to its folder, with the count
    books = sorted((tmp_path / "demo" / "review-workbooks").glob("*.xlsx"))
    wb = openpyxl.load_workbook(books[0])
    ws = next(wb[n] for n in wb.sheetnames if n.startswith("CZJ-文明单位"))
    links = [c for c in ws["H"] if c.hyperlink is not None]
    assert links and links[0].value.startswith("打开（")
    for cell in links:
        target = books[0].parent / _target(ws, cell.coordinate)
        assert target.is_dir() and target.resolve().is_relative_to(stored.resolve())
        count = len([p for p in target.iterdir() if p.is_file()])
        assert cell.value == f"打开（{count} 份）"
    # the summary's 佐证 sheet lists CZJ's items and the units that sent none
    summary = openpyxl.load_workbook(result.summary)["佐证"]
    units = {row[0].value for row in summary.iter_rows(min_row=2)}
    assert "CZJ" in units and len(units) > 1


def test_rubric_can_require_evidence_for_every_scored_item(tmp_path):
    text = resolve_rubric_path("wenming-danwei").read_text(encoding="utf-8")
    (tmp_path / "required.yaml").write_text(text + "\nevidence_required: true\n", "utf-8")
    (tmp_path / "optional.yaml").write_text(text + "\nevidence_required: false\n", "utf-8")
    original = load_rubric("wenming-danwei")
    assert load_rubric(tmp_path / "optional.yaml").content_hash == original.content_hash
    assert load_rubric(tmp_path / "required.yaml").content_hash != original.content_hash
    result, ctx = make_round(tmp_path / "round", str(tmp_path / "required.yaml"))
    sk = write_skeletons(ctx, tmp_path / "round" / "workbooks", ["CZJ"])[0]
    src = next(g.path for g in result.files if g.unit_id == "CZJ")
    filled = fill(src, tmp_path / "filled" / src.name, str(tmp_path / "required.yaml"))
    report = ingest_entries(
        tmp_path, ctx, {"CZJ.zip": explorer_zip(sk.folder, {}), src.name: filled}
    )
    rec = record_of(report, "CZJ.zip")
    missing = [i for i in rec.issues if i.code == "evidence-missing-required"]
    assert len(missing) == len(item_folders(ctx, "CZJ")) - len(ctx.rubric.bonus.items)
    assert all(i.severity == "error" for i in missing)


def test_another_units_archive_in_a_units_mail_belongs_to_its_manifest(
    evidence_round, filled_czj, tmp_path
):
    folder, result, ctx, skeletons = evidence_round
    item = item_folders(ctx, "JYJ")[0].path
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "czj@example.org", "o@example.org", "报送"
    message["Message-ID"] = "<m1@example.org>"
    message.set_content("见附件")
    message.add_attachment(
        filled_czj.read_bytes(), maintype="application", subtype="octet-stream",
        filename=filled_czj.name,
    )  # fmt: skip
    jyj = explorer_zip(skeletons["JYJ"].folder, {f"{item}/01 文件.pdf": PDF})
    message.add_attachment(jyj, maintype="application", subtype="zip", filename="佐证.zip")
    report = ingest_entries(tmp_path, ctx, {"czj.eml": bytes(message)})
    rec = record_of(report, "czj.eml/佐证.zip")
    assert rec.unit_id == "JYJ" and rec.evidence.how == "manifest"
    mismatch = next(i for i in rec.issues if i.code == "mail-sender-mismatch")
    assert "JYJ" in mismatch.fields["unit"] and mismatch.fields["sender"] == "czj@example.org"
    assert report.exit_code == 1


def test_commands_skeleton_then_ingest_store_beside_the_summary(tmp_path, monkeypatch):
    result, ctx = make_round(tmp_path / "r")
    monkeypatch.chdir(tmp_path / "r")
    out = CliRunner().invoke(main, ["evidence", "skeleton", "--unit", "CZJ"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == render("evidence-skeleton-done", count=1, path="workbooks")
    top = Path("workbooks") / "CZJ_市财政局_佐证材料"
    assert (top / MANIFEST).is_file() and top.with_suffix(".zip").is_file()
    src = next(g.path for g in result.files if g.unit_id == "CZJ")
    item = item_folders(ctx, "CZJ")[0].path
    Path("returns").mkdir()
    fill(src, Path("returns") / src.name)
    Path("returns/CZJ.zip").write_bytes(explorer_zip(top, {f"{item}/01 文件.pdf": PDF}))
    out = CliRunner().invoke(main, ["ingest", "returns", "--out", "out/summary.xlsx"])
    assert "Traceback" not in out.output and out.exit_code == 1  # most units never returned
    assert "佐证材料 evidence:" in out.output
    index = read_index("out/evidence")
    assert (Path("out/evidence") / index["CZJ"].folder / item / "01 文件.pdf").read_bytes() == PDF
    assert "佐证" in openpyxl.load_workbook("out/summary.xlsx").sheetnames


def test_libreoffice_reads_the_links_as_the_stored_folders(
    evidence_round, filled_czj, tmp_path, soffice
):
    """LibreOffice, as a reviewer's program, opens the summary: each 打开 link of the 佐证
    sheet, relative to the summary, is the item's stored folder."""
    folder, result, ctx, skeletons = evidence_round
    items = item_folders(ctx, "CZJ")
    archive = explorer_zip(skeletons["CZJ"].folder, {f"{items[0].path}/01 文件.pdf": PDF})
    report = ingest_entries(tmp_path, ctx, {"a.zip": archive, filled_czj.name: filled_czj})
    out = tmp_path / "out"
    store_beside_summary(report, ctx.roster, out / "summary.xlsx")
    write_summary(report, ctx.rubric, ctx.roster, out / "summary.xlsx")
    libreoffice_convert(soffice, [out / "summary.xlsx"], tmp_path / "lo", tmp_path / "p", "fods")
    text = (tmp_path / "lo" / "summary.fods").read_text(encoding="utf-8")
    hrefs = [unquote(h) for h in re.findall(r'xlink:href="([^"]+)"', text) if "evidence" in h]
    stored = out / "evidence" / record_of(report, "a.zip").evidence.stored_at
    wanted = {(stored / f.path).resolve() for f in items} | {stored.resolve()}
    # LibreOffice gives the links of the 明细's item scores (numbers) as absolute file: URLs
    paths = [
        Path(h.removeprefix("file://").removeprefix("file:")) if h.startswith("file:") else out / h
        for h in hrefs
    ]
    found = {p.resolve() for p in paths}
    assert wanted == found
    assert all(p.is_dir() for p in paths)
