"""What reviewers open: the summary's 佐证 sheet, links in 明细 and in review workbooks.

Every link is one xlsxflow writes itself, relative to the workbook it is in, to a
folder of the office's evidence store (:mod:`.store`) named by xlsxflow (:mod:`.tree`):
nothing from a return's text becomes a link target.  A link opens a folder: Excel and
LibreOffice hand it to the file manager.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from xlsxwriter.worksheet import CellNumberTuple

from .kinds import well_named
from .reading import EvidenceReturn
from .store import current_evidence, read_index

LABELS = {
    "sheet": ("佐证", "Evidence"),
    "unit_id": ("单位编号", "Unit ID"),
    "unit_name": ("单位名称", "Unit"),
    "form": ("表", "Sheet"),
    "section": ("项目", "Section"),
    "item": ("指标", "Item"),
    "score": ("自评分", "Self-score"),
    "count": ("材料数", "Documents"),
    "open": ("佐证文件夹", "Folder"),
    "files": ("收到的材料", "Documents received"),
    "note": ("说明", "Note"),
    "open_text": ("打开", "open"),
    "none": ("未交佐证材料", "no evidence received"),
    "missing": ("缺佐证", "no document"),
    "unnamed": ("{count} 个文件名不规范", "{count} badly named"),
    "detail": ("佐证材料", "Evidence"),
    "detail_text": ("{count} 份", "{count}"),
    "item_tip": ("佐证材料 {count} 份（单击打开文件夹）", "{count} documents (click to open)"),
    "open_count": ("打开（{count} 份）", "open ({count})"),
}
MAX_NAMES = 6  # documents named per item on the 佐证 sheet; the rest are counted


def _l(key: str, lang: str, **fields) -> str:
    zh, en = LABELS[key]
    return (en if lang == "en" else zh).format(**fields)


def folder_url(ev: EvidenceReturn, folder: str = "") -> str | None:
    """``external:`` link to a stored folder of ``ev`` (its top with ``folder`` empty)."""
    if not ev.stored_at:
        return None
    parts = [p for p in (ev.link_base, ev.stored_at, folder) if p and p != "."]
    return "external:" + posixpath.join(*parts) + "/"


def _scores(report) -> dict[str, dict[str, object]]:
    """unit id → {sheet name: its accepted submission}."""
    out: dict[str, dict[str, object]] = {}
    for f in report.files:
        if f.status == "accepted":
            for sub in f.submissions:
                out.setdefault(f.unit_id, {})[sub.sheet] = sub
    return out


def evidence_sheet(s, report, names: dict[str, str], lang: str = "zh") -> None:
    """佐证: per unit and item what was received, with a link to its folder."""
    current = current_evidence(report.files)
    if not current:
        return
    subs = _scores(report)
    round_book = report.round is not None
    rows, links = [], []
    for uid in [*sorted(current), *sorted(set(subs) - set(current))]:
        ev = current.get(uid)
        if ev is None:
            rows.append([uid, names.get(uid, ""), *[""] * round_book, "", _l("none", lang), "",
                         0, "", "", ""])  # fmt: skip
            links.append(None)
            continue
        sections = {(f.sheet, f.section): f.label for f in ev.folders if not f.is_item}
        for folder in (f for f in ev.folders if f.is_item):
            sub = subs.get(uid, {}).get(folder.sheet)
            score = None
            if sub is not None:
                score = (sub.bonus if folder.bonus else sub.scores).get(folder.item)
            docs = [d for d in ev.documents if d.stored and d.folder == folder.path]
            shown = [posixpath.join(d.rest) for d in docs[:MAX_NAMES]]
            if len(docs) > MAX_NAMES:
                shown.append(f"…（共 {len(docs)} 份）" if lang != "en" else f"… ({len(docs)})")
            lacking = isinstance(score, int | float) and score > 0 and not docs
            unnamed = sum(not well_named(d.name) for d in docs)
            note = [_l("missing", lang)] * lacking + [_l("unnamed", lang, count=unnamed)] * bool(
                unnamed
            )
            rows.append(
                [
                    uid,
                    names.get(uid, ""),
                    *[folder.sheet] * round_book,
                    sections.get((folder.sheet, folder.section), ""),
                    folder.label,
                    "" if score is None else score,
                    len(docs),
                    _l("open_text", lang),
                    "\n".join(shown),
                    "\n".join(note),
                ]
            )
            links.append(folder_url(ev, folder.path))
    headers = [
        _l(k, lang)
        for k in ("unit_id", "unit_name", *["form"] * round_book, "section", "item", "score",
                  "count", "open", "files", "note")
    ]  # fmt: skip
    col = len(headers) - 3
    # section, item, self-score, documents, link, names received, note
    widths = {1: 16, col - 4: 14, col - 3: 36, col - 2: 7, col - 1: 7, col: 11, col + 1: 34}
    widths[col + 2] = 12
    if round_book:
        widths[2] = 12
    ws = s.table(
        _l("sheet", lang),
        headers,
        rows,
        widths=widths,
        title=report.round_title,
        unit_columns=(0, 1),
    )
    link_format = s.wb.add_format(
        {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1,
         "font_color": "#0563C1", "underline": 1, "align": "center"}
    )  # fmt: skip
    for r, url in enumerate(links, 1):
        if url:
            ws.write_url(r, col, url, link_format, _l("open_text", lang))
        else:
            ws.write_string(r, col, "", s.text)


def detail_links(
    s, ws, results, report, col: int, lang: str = "zh", items: dict[int, str] | None = None
) -> None:
    """A 明细 sheet's last column: each row's link to its unit's (sheet's) evidence; and
    each item's score (``items``: column → item id) linked to that item's folder, its count
    of documents in the link's tip (the cell keeps its number and format)."""
    current = current_evidence(report.files)
    if not current:
        return
    for r, result in enumerate(results, 1):
        ev = current.get(result.unit_id)
        if ev is not None and items:
            _item_links(ws, r, result, ev, items, lang)
    link_format = s.wb.add_format(
        {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1,
         "font_color": "#0563C1", "underline": 1, "align": "center"}
    )  # fmt: skip
    ws.set_column(col, col, 10)
    ws.write_string(0, col, _l("detail", lang), s.head)
    for r, result in enumerate(results, 1):
        ev = current.get(result.unit_id)
        if ev is None:
            ws.write_string(r, col, "", s.text)
            continue
        top = next(
            (f for f in ev.folders if f.sheet == result.sheet and not f.section and f.sheet),
            None,
        )
        count = ev.count(top) if top else sum(d.stored for d in ev.documents)
        url = folder_url(ev, top.path if top else "")
        text = _l("detail_text", lang, count=count)
        if url:
            ws.write_url(r, col, url, link_format, text)
        else:
            ws.write_string(r, col, text, s.text)


def _item_links(ws, row: int, result, ev: EvidenceReturn, items: dict[int, str], lang) -> None:
    """Link the row's item scores to their folders (a number stays a number: the link is
    added, then the cell written again as it was)."""
    folders = {
        f.item: f for f in ev.folders if f.is_item and f.sheet in ("", result.sheet) and not f.bonus
    }
    cells = ws.table.get(row, {})
    for col, item_id in items.items():
        folder, cell = folders.get(item_id), cells.get(col)
        url = folder_url(ev, folder.path) if folder else None
        if url is None or not isinstance(cell, CellNumberTuple):
            continue  # no folder, or not a number (blank, 不适用): nothing to link
        tip = _l("item_tip", lang, count=ev.count(folder))
        ws.write_url(row, col, url, cell.format, "", tip)
        ws.write_number(row, col, cell.number, cell.format)


def review_links(evidence_dir: str | Path, out_dir: str | Path, lang: str = "zh"):
    """``links(unit_id, unit_sheet, layout)`` for reviewer sheets: beside each item a link
    to its folder in the store (relative to the reviewer workbooks' folder ``out_dir``)
    with its count of documents, in the column after the sheet's last."""
    stored = read_index(evidence_dir)
    base = Path(os.path.relpath(os.path.abspath(evidence_dir), os.path.abspath(out_dir)))

    def links(unit_id: str, sheet: str, layout) -> tuple[tuple[int, int, str, str], ...]:
        unit = stored.get(unit_id)
        if unit is None:
            return ()
        col = layout.last_col + 1
        out = [(layout.header_row, col, "", _l("detail", lang))]
        for inp in layout.inputs:
            path = unit.items.get(f"{sheet}|{inp.key}") if inp.kind in ("score", "bonus") else None
            if path:
                target = posixpath.join(base.as_posix(), unit.folder, path) + "/"
                text = _l("open_count", lang, count=unit.counts.get(path, 0))
                out.append((inp.row, col, f"external:{target}", text))
        return tuple(out)

    return links
