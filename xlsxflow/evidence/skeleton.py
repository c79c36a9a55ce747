"""``xlsxflow evidence skeleton``: each unit's empty evidence archive beside its workbook.

Its own command rather than a ``generate`` flag: ``generate`` swaps the signed workbook
folder in whole and re-issues when run again; the skeleton reads the round that
``generate`` recorded, so an office can decide to collect evidence after the workbooks
went out, and run it again, without re-issuing anything.  For each unit of the round
(a round file: each unit that received a form) it writes, in the workbook folder:

* ``<编号>_<单位>_佐证材料/`` – the folders (:mod:`.tree`), a ``说明.txt`` in Chinese and
  the signed ``xlsxflow-manifest.txt`` (:mod:`.manifest`);
* ``<编号>_<单位>_佐证材料.zip`` – the same, zipped for mail (``xlsxflow send --evidence``).

Existing skeleton folders are replaced; a folder the unit already filled is never
among them (units fill their own copy).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import StagedDir, atomic_write_bytes
from ..messages import XlsxflowError, make_issue
from ..writer import safe_filename
from .kinds import kinds_text
from .manifest import MANIFEST, manifest_text, unit_identity
from .tree import Folder, unit_folders

if TYPE_CHECKING:
    from ..roster import Unit
    from ..round import RoundContext

README = "说明.txt"
SUFFIX = "佐证材料"


def skeleton_name(unit_id: str, unit_name: str) -> str:
    """``<编号>_<单位>_佐证材料``: the folder's name (and the .zip's, with ``.zip``)."""
    return f"{safe_filename(unit_id, 40)}_{safe_filename(unit_name)}_{SUFFIX}"


def readme_text(ctx: RoundContext, unit: Unit, folders: list[Folder]) -> str:
    """说明.txt: how to file documents, which kinds, how to send it back."""
    example = next((f for f in folders if f.is_item), None)
    where = f"例如“{example.path}”" if example else ""
    lines = [
        f"{ctx.title} · 佐证材料",
        f"单位：{unit.name}（{unit.unit_id}）",
        "",
        "一、怎样放材料",
        "本目录按评分表的各级指标建立了文件夹，按级别嵌套，文件夹名称为“序号 指标名称”"
        f"（{where}）。请把每一项指标的佐证材料放进该项指标的文件夹。",
        "自评分大于 0 的指标，其文件夹中至少要有一份材料。",
        "",
        "二、怎样给文件命名",
        "文件名为“两位数序号 文档主题”，例如：",
        "  01 创建领导小组文件.pdf",
        "  02 领导小组会议照片.jpg",
        "（考评要求的“01:创建领导小组文件”，冒号在 Windows 文件名中不能使用，以空格代替。）",
        "",
        "三、允许的文件类型",
        kinds_text(),
        "其他类型（程序、快捷方式、压缩包等）和空文件不予接收。",
        "",
        "四、怎样报送",
        "材料放好后，在本目录上单击右键，选“发送到 → 压缩(zipped)文件夹”，"
        "把得到的 .zip 文件与本单位的自评工作簿一起报送（同一封邮件，或放在同一文件夹）。",
        f"请勿修改或删除 {MANIFEST}（用于确认报送单位和轮次），不要给压缩包设置密码。",
        "文件夹名称不要改动序号；重新报送时请交完整的目录，新交的不会覆盖已交的。",
    ]
    return "\r\n".join(lines) + "\r\n"


@dataclass(frozen=True)
class Skeleton:
    unit_id: str
    folder: Path
    archive: Path


def skeleton_files(ctx: RoundContext, unit: Unit, lang: str = "zh") -> tuple[list[str], dict]:
    """(every folder path, {file path: bytes}) of one unit's skeleton, relative to its top."""
    folders = unit_folders(ctx, unit.unit_id, lang)
    files = {
        README: readme_text(ctx, unit, folders).encode("utf-8-sig"),
        MANIFEST: manifest_text(unit_identity(ctx, unit), ctx.key).encode("utf-8"),
    }
    return [f.path for f in folders], files


def skeleton_zip(top: str, folders: list[str], files: dict[str, bytes]) -> bytes:
    """The skeleton zipped under ``top/``, every folder as an entry (so empty ones unzip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in [top, *(f"{top}/{p}" for p in folders)]:
            info = zipfile.ZipInfo(f"{path}/", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o40755 << 16) | 0x10
            zf.writestr(info, b"")
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def write_skeletons(
    ctx: RoundContext, out_dir: str | Path, units: list[str] | None = None, lang: str = "zh"
) -> list[Skeleton]:
    """Write the skeleton folder and .zip of each unit (or of ``units``) into ``out_dir``."""
    if ctx.record is None:
        raise XlsxflowError(make_issue("evidence-skeleton-no-round"))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = [
        u
        for u in ctx.roster
        if (units is None or u.unit_id in units)
        and (ctx.round is None or ctx.round.slots_of(u.unit_id))
    ]
    written = []
    for unit in chosen:
        top = skeleton_name(unit.unit_id, unit.name)
        folders, files = skeleton_files(ctx, unit, lang)
        stage = StagedDir(out_dir / top)
        try:
            for path in folders:
                (stage.path / path).mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (stage.path / name).write_bytes(data)
            stage.commit()
        finally:
            stage.discard()
        archive = out_dir / f"{top}.zip"
        atomic_write_bytes(archive, skeleton_zip(top, folders, files))
        written.append(Skeleton(unit.unit_id, out_dir / top, archive))
    return written
