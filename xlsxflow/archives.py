"""Archives in the returns folder: a ``.zip`` is opened like a saved message.

Each member is handed back to ingest and checked as a file named
``archive.zip/member.xlsx``.  Nothing is extracted to disk: members are read in
memory by the ingesting process, within the limits of a returned file (and the
archive, with any archive inside it, unpacks to at most
``max_total_uncompressed``).  A member is not read (and says why) when its name
leaves the archive (``..``, an absolute or drive path), when it is a link, is
encrypted, is larger than a returned file may be, is compressed suspiciously
well, would take the archive past its total size, or is an archive nested
deeper than :data:`MAX_DEPTH`.  Names stored without the zip's UTF-8 flag are
decoded as UTF-8 when they are, else as GBK/CP936 (what Windows' "compressed
folder" and WinRAR write on Chinese systems).

An xlsx is itself a zip: only a zip that is not an Office or OpenDocument
package (no ``[Content_Types].xml``, no ``mimetype``) is an archive.  RAR and 7z
archives are recognised by their magic bytes or extension and are not opened.
"""

from __future__ import annotations

import re
import stat
import time
import zipfile
from dataclasses import dataclass
from io import BytesIO

from .ooxml import OLE_MAGIC, Limits, ReadError

MAX_DEPTH = 2  # an archive inside an archive is read; one inside that is not
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
RAR_MAGIC = b"Rar!\x1a\x07"
SEVEN_Z_MAGIC = b"7z\xbc\xaf\x27\x1c"
PACKAGE_MARKERS = {"[content_types].xml", "mimetype"}
_DRIVE = re.compile(r"^[A-Za-z]:")


def unsupported_archive(head: bytes, suffix: str) -> str | None:
    """``"RAR"`` or ``"7z"`` for an archive xlsxflow does not open, else None."""
    if head.startswith(RAR_MAGIC):
        return "RAR"
    if head.startswith(SEVEN_Z_MAGIC):
        return "7z"
    if head.startswith((*ZIP_MAGIC, OLE_MAGIC)):
        return None  # a zip or an OLE file, whatever its name says
    return {".rar": "RAR", ".7z": "7z"}.get(suffix)


def is_archive(name: str, data: bytes) -> bool:
    """A ``.zip`` whose content is a zip but not an Office/OpenDocument package."""
    if not name.lower().endswith(".zip") or not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            names = zf.namelist()
    except Exception:  # noqa: BLE001 - a broken zip: opening it says so
        return True
    return not any(n.replace("\\", "/").lstrip("/").lower() in PACKAGE_MARKERS for n in names)


@dataclass(frozen=True)
class Member:
    """One file inside an archive: its data, or why it was not read."""

    name: str  # inside the archive, forward slashes; unique within the archive
    data: bytes = b""
    mtime: float = 0.0
    problem: tuple[str, dict] | None = None  # (catalogue code, fields) when not read


class Budget:
    """Bytes an archive (with the archives inside it) may still unpack to."""

    def __init__(self, limits: Limits):
        self.left = limits.max_total_uncompressed

    def take(self, size: int) -> bool:
        if size > self.left:
            return False
        self.left -= size
        return True


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author saw it (GBK names from Windows decoded)."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    raw = name.encode("cp437")  # undo zipfile's decoding: it read the bytes as cp437
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def safe_name(name: str) -> str | None:
    """The name with forward slashes, or None when it leaves the archive."""
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name) or any(ord(ch) < 32 for ch in name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def read_archive(data: bytes, limits: Limits, budget: Budget, when: float) -> list[Member]:
    """Every file in the zip ``data``, read within ``limits``; raises ReadError for the whole."""
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:  # noqa: BLE001 - a hostile zip must not stop the run
        raise ReadError("file-corrupt", detail=f"{type(exc).__name__}: {exc}"[:120]) from None
    if len(infos) > limits.max_entries:
        raise ReadError("file-zip-bomb", detail=f"压缩包内有 {len(infos)} 个文件")
    members, seen = [], set()
    with zf:
        for info in infos:
            # folders, also as Windows writes them (not is_dir(): it fails on an empty name)
            if info.filename.endswith(("/", "\\")):
                continue
            decoded = member_name(info)
            name = safe_name(decoded)
            shown = "".join(ch if ord(ch) >= 32 else "?" for ch in decoded).replace("\\", "/")
            label = name or shown
            while label in seen:  # two members of the same name stay apart
                label = f"{label}+"
            seen.add(label)
            mtime = _mtime(info, when)
            problem = _problem(info, name, shown, limits, budget)
            body = b"" if problem else _read_member(zf, info)
            if isinstance(body, tuple):
                problem, body = body, b""
            elif _is_link(info) and not problem:
                target = body.decode("utf-8", "replace")[:200]
                problem, body = ("file-archive-link", {"target": target}), b""
            members.append(Member(label, body, mtime, problem))
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | tuple[str, dict]:
    """The member's bytes, or (code, fields) when they cannot be read."""
    try:
        with zf.open(info) as stream:
            body = stream.read(info.file_size + 1)
    except Exception as exc:  # noqa: BLE001 - bad CRC, zlib errors, unknown methods
        return "file-corrupt", {"detail": f"{type(exc).__name__}: {exc}"[:120]}
    if len(body) != info.file_size:
        return "file-corrupt", {"detail": "压缩包中文件的长度与记录不符"}
    return body


def _problem(
    info: zipfile.ZipInfo, name: str | None, shown: str, limits: Limits, budget: Budget
) -> tuple[str, dict] | None:
    if name is None:
        return "file-archive-unsafe-name", {"name": shown[:200]}
    if info.flag_bits & 0x1:
        return "file-archive-encrypted", {}
    size = info.file_size
    if _is_link(info):
        return None if size <= 4096 else ("file-archive-link", {"target": "?"})
    if size > limits.max_file_bytes:
        return "file-too-large", {"size": _mb(size), "limit": _mb(limits.max_file_bytes)}
    if size > 1024 * 1024 and size > limits.max_ratio * max(info.compress_size, 1):
        return "file-zip-bomb", {
            "detail": f"压缩比异常（{size} 字节压缩为 {info.compress_size} 字节）"
        }
    if not budget.take(size):
        return "file-zip-bomb", {"detail": f"压缩包解压后超过 {_mb(limits.max_total_uncompressed)}"}
    return None


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _mtime(info: zipfile.ZipInfo, fallback: float) -> float:
    try:
        return time.mktime((*info.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return fallback


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
