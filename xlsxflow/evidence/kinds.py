"""Which documents an evidence archive may hold, and how a document is named.

Seed 001 lists 文字资料, 图片资料, 音像资料 ("各种文件、证书、照片、音像资料均应形成
电子文档"): documents, images, audio and video.  The list below is those kinds in the
formats Chinese offices use (WPS's .wps/.et/.dps included); anything else — programs,
scripts, shortcuts, archives inside the archive — is reported and not stored.

A document's name is "两位数序号 主题" (seed 001: "两位数序号:文档主题", e.g.
"01:创建领导小组文件"; the colon is not allowed in Windows file names, so a space,
or a full-width "：", stands in its place: "01 创建领导小组文件.pdf").
"""

from __future__ import annotations

import re

KINDS: dict[str, tuple[str, ...]] = {
    "文档": (".pdf", ".doc", ".docx", ".wps", ".txt", ".rtf", ".odt", ".ofd",
             ".xls", ".xlsx", ".et", ".ods", ".ppt", ".pptx", ".dps", ".odp"),
    "图片": (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic"),
    "音频": (".mp3", ".wav", ".m4a", ".aac", ".wma", ".amr", ".flac"),
    "视频": (".mp4", ".mov", ".avi", ".wmv", ".mkv", ".flv", ".m4v", ".3gp", ".mpg", ".mpeg"),
}  # fmt: skip
ALLOWED = {suffix for suffixes in KINDS.values() for suffix in suffixes}
# "01 主题", "01：主题", "01_主题", "01-主题" are all read as number 01 and a subject.
DOCUMENT_NAME = re.compile(r"^(\d{2})\s*[ ：:_\-．.、]\s*(\S.*)$")


def allowed(name: str) -> bool:
    return "." in name and name[name.rindex(".") :].lower() in ALLOWED


def suffix_of(name: str) -> str:
    return name[name.rindex(".") :].lower() if "." in name else "（无扩展名）"


def well_named(name: str) -> bool:
    """Does the name (without its extension) read as "NN 主题"?"""
    stem = name[: name.rindex(".")] if "." in name else name
    return bool(DOCUMENT_NAME.match(stem))


def kinds_text() -> str:
    return "\n".join(
        f"  {kind}：{' '.join(s.lstrip('.') for s in sfx)}" for kind, sfx in KINDS.items()
    )
