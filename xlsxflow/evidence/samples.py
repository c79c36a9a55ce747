"""A sample unit's evidence archive for the demo: filled as a unit fills the skeleton,
zipped as Windows Explorer zips a folder on a Chinese system (CP936 names, no UTF-8
flag), with one item left without a document and one file named without its number."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..samples import Planted
from ..writer import safe_filename
from .skeleton import write_skeletons
from .tree import unit_folders

if TYPE_CHECKING:
    from ..round import RoundContext

# A one-page PDF (what a scanned 文件 looks like to the checks: a .pdf, not empty).
SAMPLE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" + b"%" * 64 + b"\n%%EOF\n"


class _ExplorerInfo(zipfile.ZipInfo):
    """A member named as Windows' 压缩(zipped)文件夹 names it: CP936 bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own name
        return self.filename.encode("cp936", "replace"), self.flag_bits & ~0x800


def explorer_zip(folder: Path) -> bytes:
    """``folder`` zipped with itself as the top folder, as Explorer does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in [folder, *sorted(folder.rglob("*"))]:
            rel = folder.name + (
                "/" + path.relative_to(folder).as_posix() if path != folder else ""
            )
            info = _ExplorerInfo(rel + ("/" if path.is_dir() else ""), (2026, 11, 30, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, b"" if path.is_dir() else path.read_bytes())
    return buffer.getvalue()


def sample_evidence(ctx: RoundContext, workbooks: Path, returns: Path) -> Planted | None:
    """The first unit with a return in ``returns`` sends its evidence archive too."""
    names = [p.name for p in returns.rglob("*") if p.is_file()]
    unit = next(
        (
            u
            for u in sorted(ctx.roster, key=lambda u: u.unit_id)
            if (ctx.round is None or ctx.round.slots_of(u.unit_id))
            and any(n.startswith(f"{safe_filename(u.unit_id, 40)}_") for n in names)
        ),
        None,
    )
    if unit is None:
        return None
    skeleton = write_skeletons(ctx, workbooks, [unit.unit_id])[0]
    work = returns.parent / f".{skeleton.folder.name}-filling"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(skeleton.folder, work / skeleton.folder.name)
    items = [f for f in unit_folders(ctx, unit.unit_id) if f.is_item and not f.bonus]
    missing, unnamed = items[1], items[2]
    for item in items:
        if item is missing:
            continue
        name = "会议照片.jpg" if item is unnamed else f"01 {item.label[:12]}.pdf"
        data = b"\xff\xd8\xff\xe0" + b"\x00" * 64 if item is unnamed else SAMPLE_PDF
        data += f"% {item.path}\n".encode()  # each document its own
        (work / skeleton.folder.name / item.path / name.replace("/", "／")).write_bytes(data)
    target = returns / f"{skeleton.folder.name}.zip"
    target.write_bytes(explorer_zip(work / skeleton.folder.name))
    shutil.rmtree(work, ignore_errors=True)
    return Planted(
        unit.unit_id,
        f"佐证材料压缩包（Windows 压缩，GBK 文件名）：“{missing.label[:16]}”缺材料，"
        "一个文件名不规范",
    )
