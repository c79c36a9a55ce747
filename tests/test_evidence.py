"""Evidence archives (佐证材料, issue 15): skeleton out, safe reading back, store, links."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from conftest import make_round

from xlsxflow.evidence.manifest import MANIFEST, read_manifest
from xlsxflow.evidence.skeleton import README, skeleton_name, write_skeletons
from xlsxflow.evidence.tree import folder_name, unit_folders

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
