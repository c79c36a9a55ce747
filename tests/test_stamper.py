"""Fast generation: a stamped copy reads back as XlsxWriter's own rendering of that unit.

``WorkbookStamper`` renders a round's workbook once and stamps each unit's id, name and
signature into a copy, re-deflating only the parts that hold them.  For every shipped
rubric and every workbook shape of the shipped round files, the stamped copy is compared
with ``workbook_bytes`` for the same unit (the reference path), opened with openpyxl:
every cell and formula, style, merge, validation, protection, print setting, defined
name and document property; and its identity must verify with the key.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import openpyxl
import pytest

from xlsxflow.identity import FORMAT, Identity, key_id, slots_text
from xlsxflow.layout import META_SHEET, build_layout
from xlsxflow.roundfile import load_round, shipped_round_names
from xlsxflow.rubric import load_rubric, shipped_dir
from xlsxflow.writer import WorkbookStamper, workbook_bytes

KEY = bytes(range(32))
RUBRICS = sorted(p.stem for p in (shipped_dir("templates")).glob("*.yaml"))
UNITS = [("A01", "甲单位"), ("B-2", "乙&<单位> \"引号\" 'x'"), ("U00999", "测试单位" * 12)]


def _identity(rubric_id: str, version: str, content_hash: str, sheets: str = "") -> Identity:
    return Identity(
        FORMAT,
        "20261207-x-abcdef",
        "2026年度测试轮次",
        "2026-12-31",
        rubric_id,
        version,
        content_hash,
        "zh",
        "T00",
        "模板单位",
        "2026-12-07T10:00:00+08:00",
        key_id(KEY),
        sheets,
    )


def _font(f) -> tuple:
    return (f.name, f.sz, f.b, f.i, f.u, f.color.rgb if f.color else None)


def _style(c) -> tuple:
    a, p, fill, b = c.alignment, c.protection, c.fill, c.border
    return (
        _font(c.font),
        c.number_format,
        (a.horizontal, a.vertical, a.wrap_text),
        (p.locked, p.hidden),
        (fill.fill_type, fill.fgColor.rgb if fill.fgColor else None),
        tuple(getattr(b, side).style for side in ("left", "right", "top", "bottom")),
    )


def _snapshot(data: bytes) -> dict:
    """Everything a reader sees in the workbook, comparable with ``==``."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    props = wb.properties
    out: dict = {
        "sheets": [(ws.title, ws.sheet_state) for ws in wb.worksheets],
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
        "local_names": sorted(
            (ws.title, n, d.attr_text) for ws in wb.worksheets for n, d in ws.defined_names.items()
        ),
        "book_protection": (wb.security.lockStructure, wb.security.workbookPassword)
        if wb.security
        else None,
        "props": (props.title, props.subject, props.creator, props.description),
    }
    for ws in wb.worksheets:
        ps, pm, prot = ws.page_setup, ws.page_margins, ws.protection
        out[ws.title] = {
            "cells": [
                (c.coordinate, c.value, c.data_type, _style(c))
                for row in ws.iter_rows()
                for c in row
            ],
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (
                    str(dv.sqref),
                    dv.type,
                    dv.operator,
                    dv.formula1,
                    dv.formula2,
                    dv.allow_blank,
                    dv.showErrorMessage,
                    dv.errorStyle,
                    dv.errorTitle,
                    dv.error,
                    dv.promptTitle,
                    dv.prompt,
                )
                for dv in ws.data_validations.dataValidation
            ),
            "protection": (prot.sheet, prot.password, prot.formatRows, prot.formatColumns),
            "print": (
                ps.paperSize,
                ps.orientation,
                ps.fitToWidth,
                ps.fitToHeight,
                ws.sheet_properties.pageSetUpPr.fitToPage
                if ws.sheet_properties.pageSetUpPr
                else None,
                ws.print_title_rows,
                ws.print_area,
                (pm.left, pm.right, pm.top, pm.bottom),
                ws.print_options.horizontalCentered,
                ws.oddHeader.right.text,
                ws.oddFooter.center.text,
                [b.id for b in ws.row_breaks.brk],
            ),
            "freeze": ws.freeze_panes,
            "widths": sorted((k, d.width) for k, d in ws.column_dimensions.items()),
            "heights": sorted((k, d.height) for k, d in ws.row_dimensions.items()),
        }
    return out


def _meta_identity(data: bytes) -> tuple[Identity, str]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[META_SHEET]
    rows = {r[0]: r[1] for r in ws.iter_rows(min_col=1, max_col=2, values_only=True) if r[0]}
    return Identity(**{n: rows[n] for n in Identity.field_names()}), rows["signature"]


def _check(book, template: Identity) -> None:
    stamper = WorkbookStamper(book, template, KEY)
    assert stamper._fast  # the copies are assembled, not re-zipped
    for unit_id, name in UNITS:
        identity = replace(template, unit_id=unit_id, unit_name=name)
        stamped = stamper.stamp(identity)
        # byte for byte what zipfile writes for the same stamped parts (the former path)
        assert stamped == stamper._zipfile(stamper._replacements(identity))
        with zipfile.ZipFile(io.BytesIO(stamped)) as zf:
            assert zf.testzip() is None
        assert _snapshot(stamped) == _snapshot(workbook_bytes(book, identity, KEY))
        read, signature = _meta_identity(stamped)
        assert read == identity and read.verify(signature, KEY)


@pytest.mark.parametrize("name", RUBRICS)
def test_stamped_rubric_workbook_reads_back_as_the_reference(name):
    rubric = load_rubric(name)
    _check(build_layout(rubric), _identity(rubric.id, rubric.version, rubric.content_hash))


@pytest.mark.parametrize("name", shipped_round_names())
def test_stamped_round_workbook_reads_back_as_the_reference(name):
    rnd = load_round(name)
    shapes = {slots_text(s): s for u in rnd.roster if (s := rnd.slots_of(u.unit_id))}
    assert shapes
    for text, slots in sorted(shapes.items())[:4]:  # up to 4 distinct workbook shapes
        template = _identity("round", str(rnd.spec.year), rnd.content_hash, text)
        _check(rnd.book(slots), template)


def test_english_workbook_reads_back_as_the_reference():
    rubric = load_rubric("wenming-danwei")
    template = replace(_identity(rubric.id, rubric.version, rubric.content_hash), lang="en")
    _check(build_layout(rubric, "en"), template)
