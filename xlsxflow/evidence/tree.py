"""The folders of a unit's evidence archive: one per sheet, section and item it received.

Seed 001 (电子模式): "对应考评体系各级指标建立层次分明的文件夹及其子文件夹，文件夹名称按
各级指标名称命名，并按级别嵌套".  Each folder is "NN 指标名": a two-digit number (its
place among its siblings) and the indicator's words made safe for Windows (no ``: / \\ * ?
" < > |``, nor ``# %`` which a hyperlink would misread: each becomes its full-width form;
no control characters; trimmed).  A round
workbook of several sheets has one top folder per sheet (文明单位, 文明窗口-1 …), a
single-rubric workbook starts at its sections.  The 加分 lines (honours, which need a
certificate) are one more section.  The number chain ("02/03") identifies a folder on
return, so a unit that shortens or retypes a folder's words still files its documents
under the right item.

Lengths (a choice; seeds silent): a section or sheet name keeps 20 characters of its
words, an item 28, so that unit folder + three levels + "NN 主题.pdf" stay well under
Windows' 260-character path limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..layout import Layout
    from ..round import RoundContext

SECTION_CHARS = 20
ITEM_CHARS = 28
# Windows-forbidden characters → their full-width forms (a Chinese name stays readable).
# "#" and "%" too: in a hyperlink's target they would read as a place and an escape.
_WIDE = str.maketrans({":": "：", "/": "／", "\\": "＼", "*": "＊", "?": "？", '"': "”",
                       "<": "〈", ">": "〉", "|": "｜", "#": "＃", "%": "％"})  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_NUMBER = re.compile(r"^\s*(\d{1,3})(?:\D|$)")


def folder_words(text: str, limit: int) -> str:
    """Indicator words as a Windows-safe folder-name part of at most ``limit`` characters."""
    words = _CONTROL.sub(" ", text).translate(_WIDE)
    words = re.sub(r"\s+", " ", words).strip()
    words = words.split("。")[0] if len(words) > limit else words  # the first sentence
    return words[:limit].rstrip(" .。，、；") or "_"


def folder_name(number: int, text: str, limit: int) -> str:
    return f"{number:02d} {folder_words(text, limit)}"


def folder_number(name: str) -> int | None:
    """The number a folder name starts with ("03 组织领导" → 3), None without one."""
    match = _NUMBER.match(name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Folder:
    """One folder of the archive; ``item`` is empty for a sheet's or a section's folder."""

    path: str  # "01 文明单位/02 组织领导/03 建立领导小组"
    numbers: str  # "1/2/3": how it is found again on return
    sheet: str  # the workbook sheet ("" for a single-rubric workbook)
    section: str  # section id ("" for a sheet folder; "bonus" for 加分)
    item: str  # item id, or bonus line id
    label: str  # the indicator's words, whole
    bonus: bool = False

    @property
    def is_item(self) -> bool:
        return bool(self.item)


def layout_folders(layout: Layout, prefix: str = "", numbers: str = "") -> list[Folder]:
    """The section and item folders of one sheet layout, below ``prefix``."""
    rubric, sheet = layout.rubric, layout.sheet_name if layout.plan else ""
    out: list[Folder] = []
    groups = [(s.id, s.name, [(i.id, i.text) for i in s.items], False) for s in rubric.sections]
    if rubric.bonus:
        groups.append(
            ("bonus", rubric.bonus.name, [(b.id, b.text) for b in rubric.bonus.items], True)
        )
    for n, (section_id, name, items, bonus) in enumerate(groups, 1):
        path = f"{prefix}{folder_name(n, name, SECTION_CHARS)}"
        chain = f"{numbers}{n}"
        out.append(Folder(path, chain, sheet, section_id, "", name, bonus))
        for m, (item_id, text) in enumerate(items, 1):
            out.append(
                Folder(
                    f"{path}/{folder_name(m, text, ITEM_CHARS)}",
                    f"{chain}/{m}",
                    sheet,
                    section_id,
                    item_id,
                    text,
                    bonus,
                )
            )
    return out


def unit_folders(ctx: RoundContext, unit_id: str, lang: str = "zh") -> list[Folder]:
    """Every folder of the unit's archive, in the order of its workbook."""
    if ctx.round is None:
        from ..layout import build_layout

        return layout_folders(build_layout(ctx.rubric, lang))
    out: list[Folder] = []
    sheets = ctx.round.book(ctx.round.slots_of(unit_id), lang).sheets
    for n, layout in enumerate(sheets, 1):
        path = folder_name(n, layout.sheet_name, SECTION_CHARS)
        out.append(Folder(path, str(n), layout.sheet_name, "", "", layout.sheet_name))
        out.extend(layout_folders(layout, f"{path}/", f"{n}/"))
    return out
