"""What a unit and an office see and print: a shared quota stated on every sheet it
covers, feedback workbooks that open on the problem and list every problem, and the
column headings repeated only where they head the score table."""

from __future__ import annotations

import subprocess
import zipfile

import openpyxl
from conftest import (
    fill_book,
    ingest_entries,
    libreoffice_convert,
    make_round,
    record_of,
    rewrite_zip,
)

from xlsxflow.feedback import make_feedback
from xlsxflow.ingest import ingest
from xlsxflow.labels import t
from xlsxflow.layout import FEEDBACK_SHEET, build_layout, joined, nomination_subtitles
from xlsxflow.rubric import load_rubric

# -- 1. a shared quota says so -------------------------------------------------------------


def _heading_and_instructions(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    return ws["A1"].value, ws["A4"].value


def test_window_and_office_sheets_say_they_share_one_quota(seed_round):
    _, ctx, files = seed_round
    forms = ("文明窗口", "文明科室")
    for unit, quota in (("SMALL", 1), ("MID", 2)):
        for sheet in ("文明窗口-1", "文明科室-1"):
            form = sheet.rsplit("-", 1)[0]
            title, how = _heading_and_instructions(files[unit], sheet)
            assert title.endswith(
                f"{form}推荐（第 1 张，文明窗口与文明科室合用 {quota} 个名额）"
            ), title
            assert f"共 {quota} 个" not in title
            expected = t(
                "instructions_shared",
                forms=joined(forms, "zh"),
                kinds=joined(forms, "zh", "和"),
                quota=quota,
            )
            assert expected in how
            assert f"填写的文明窗口和文明科室合计不超过 {quota} 个；多填的不予受理" in how
    # A quota of its own keeps its wording: one sheet per place.
    title, how = _heading_and_instructions(files["MID"], "文明标兵-2")
    assert title.endswith("文明标兵推荐（第 2 个名额，共 3 个）")
    assert "合用" not in how


def test_the_heading_comes_from_the_quota_groups_not_the_form_names():
    heading, earlier = nomination_subtitles("甲表", 2, 3, ("甲表", "乙表", "丙表"), 3, "zh")
    assert heading == "甲表推荐（第 2 张，甲表、乙表与丙表合用 3 个名额）"
    assert earlier == ("甲表推荐（第 2 个名额，共 3 个）",)
    assert nomination_subtitles("甲表", 1, 2, ("甲表",), 2, "zh") == (
        "甲表推荐（第 1 个名额，共 2 个）",
        (),
    )


def _as_issued_before(data: bytes, ctx) -> bytes:
    """The workbook as xlsxflow wrote it before the shared quota was stated."""
    shared = ctx.round.book({"chuangkou": 2, "keshi": 2}).sheets
    changes = []
    for layout in shared:
        if not layout.plan.shared_quota:
            continue
        changes.append((layout.subtitle, layout.plan.earlier_subtitles[0]))
        how = next(c for c in layout.cells if c.style == "instructions")
        changes.append((how.value, how.earlier[0]))

    def edit(body: bytes) -> bytes:
        text = body.decode("utf-8")
        for new, old in dict(changes).items():  # shared strings: each text once
            assert new in text
            text = text.replace(new, old)
        return text.encode("utf-8")

    return rewrite_zip(data, {"xl/sharedStrings.xml": edit})


def test_workbooks_sent_out_with_the_earlier_heading_still_verify(seed_round, tmp_path):
    _, ctx, files = seed_round
    issued = tmp_path / "issued.xlsx"
    issued.write_bytes(_as_issued_before(files["MID"].read_bytes(), ctx))
    with zipfile.ZipFile(issued) as z:
        strings = z.read("xl/sharedStrings.xml").decode()
    assert "文明窗口推荐（第 1 个名额，共 2 个）" in strings and "合用" not in strings
    filled = fill_book(
        issued, tmp_path / "filled.xlsx", ctx.round, {"文明窗口-1": {}, "文明科室-1": {}}
    )
    old = filled.read_bytes()
    report = ingest_entries(tmp_path, ctx, {"MID_old.xlsx": old})
    rec = record_of(report, "MID_old.xlsx")
    assert rec.status == "accepted"
    assert not [i for i in rec.issues if i.code.startswith("tamper")], rec.issues


def test_a_heading_changed_otherwise_is_still_tampering(seed_round, tmp_path):
    _, ctx, files = seed_round

    def edit(body: bytes) -> bytes:
        text = body.decode("utf-8")
        return text.replace("文明窗口与文明科室合用 2 个名额", "文明窗口共 4 个名额").encode()

    forged = tmp_path / "forged.xlsx"
    forged.write_bytes(rewrite_zip(files["MID"].read_bytes(), {"xl/sharedStrings.xml": edit}))
    forged = fill_book(forged, tmp_path / "filled.xlsx", ctx.round, {"文明窗口-1": {}}).read_bytes()
    report = ingest_entries(tmp_path, ctx, {"MID_forged.xlsx": forged})
    rec = record_of(report, "MID_forged.xlsx")
    changed = [i for i in rec.issues if i.code == "tamper-locked-changed"]
    assert {(i.sheet, i.cell) for i in changed} >= {("文明窗口-1", "A1"), ("文明窗口-1", "A4")}


# -- 2. feedback opens on the problem, lists it and prints it -------------------------------


def _feedback_for_mid(seed_round, tmp_path):
    """MID returns a 公示 of 3 days on 文明科室-1: one error, annotated by feedback."""
    folder, ctx, files = seed_round
    sheets = {"文明单位": {}, "文明科室-1": {"publicity_end": "2026-12-03"}}
    path = fill_book(files["MID"], tmp_path / "returns" / "MID.xlsx", ctx.round, sheets)
    report = ingest(path.parent, ctx)
    items = make_feedback(report, ctx, path.parent, tmp_path / "fb", folder / "workbooks")
    assert [i.unit_id for i in items] == ["MID"]
    problem = next(
        i for i in record_of(report, "MID.xlsx").issues if i.code == "publicity-too-short"
    )
    return ctx, items[0].workbook, problem


def test_feedback_opens_on_the_problem_and_lists_every_problem_first(seed_round, tmp_path):
    ctx, workbook, problem = _feedback_for_mid(seed_round, tmp_path)
    assert problem.sheet == "文明科室-1"
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[0] == FEEDBACK_SHEET
    listing = wb[FEEDBACK_SHEET]
    assert listing.sheet_state == "visible" and not listing.protection.sheet
    rows = [[c.value for c in row] for row in listing.iter_rows(min_row=3)]
    assert rows == [[1, "错误", "文明科室-1", problem.cell, problem.message]]
    assert listing.print_title_rows == "$2:$2" and listing.print_area
    # Opens on the sheet with the problem, the cell selected.
    assert wb.active.title == "文明科室-1"
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == ["文明科室-1"]
    assert {s.activeCell for s in wb.active.sheet_view.selection} == {problem.cell}
    cell = wb["文明科室-1"][problem.cell]
    assert cell.comment.author == ctx.round.spec.notice.issuer == "市直机关工委"
    assert wb["文明科室-1"].protection.sheet  # the unit's sheets stay locked


def test_feedback_comments_and_list_print_in_libreoffice(seed_round, tmp_path, soffice):
    _, workbook, problem = _feedback_for_mid(seed_round, tmp_path)
    libreoffice_convert(soffice, [workbook], tmp_path / "pdf", tmp_path / "profile", "pdf")
    pdf = tmp_path / "pdf" / (workbook.stem + ".pdf")
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    flat = ["".join(page.split()) for page in pages]
    message = "".join(problem.message.split())
    assert FEEDBACK_SHEET in flat[0] and message in flat[0]  # the list is page 1
    # The comment prints too, after its sheet's pages, with its cell.
    assert any(f"{problem.cell}:" in p and message in p for p in flat[1:])
    # LibreOffice opens it on the problem sheet: its own save keeps that sheet active.
    # (A headless save writes no cell cursor or frozen panes at all, so the selected
    # cell cannot be checked this way.)
    libreoffice_convert(soffice, [workbook], tmp_path / "lo", tmp_path / "profile", "xlsx")
    assert openpyxl.load_workbook(tmp_path / "lo" / workbook.name).active.title == "文明科室-1"


def test_a_corrected_feedback_copy_is_accepted_without_warnings(seed_round, tmp_path):
    ctx, workbook, problem = _feedback_for_mid(seed_round, tmp_path)
    wb = openpyxl.load_workbook(workbook)
    wb["文明科室-1"][problem.cell] = "2026-12-07"  # the unit fixes the cell, nothing else
    fixed = tmp_path / "again" / "MID_改.xlsx"
    fixed.parent.mkdir()
    wb.save(fixed)
    report = ingest(fixed.parent, ctx)
    rec = record_of(report, fixed.name)
    assert rec.status == "accepted"
    assert [i.code for i in rec.issues if i.severity != "info"] == []


def test_a_round_sheet_renamed_to_the_list_name_is_still_a_renamed_sheet(seed_round, tmp_path):
    _, ctx, files = seed_round

    def rename(wb, book):
        wb["文明标兵-1"].title = FEEDBACK_SHEET

    path = fill_book(
        files["MID"], tmp_path / "r" / "MID.xlsx", ctx.round, {"文明标兵-1": {}}, edit=rename
    )
    rec = record_of(ingest(path.parent, ctx), "MID.xlsx")
    assert "round-sheet-renamed" in {i.code for i in rec.issues}


# -- 3. the column headings repeat only over a score table that needs it ---------------------


def test_headings_repeat_only_where_the_score_table_runs_past_its_first_page(tmp_path):
    assert build_layout(load_rubric("wenming-danwei")).repeat_header
    assert build_layout(load_rubric("shenbao-biaobing")).repeat_header  # one table: the form
    short = build_layout(load_rubric("wuxing-dangzhibu"))
    assert not short.repeat_header
    result, _ = make_round(tmp_path, "wuxing-dangzhibu")
    ws = openpyxl.load_workbook(result.files[0].path)[short.sheet_name]
    assert ws.print_title_rows is None
    long_result, _ = make_round(tmp_path / "long")
    ws = openpyxl.load_workbook(long_result.files[0].path)["自评表"]
    assert ws.print_title_rows == "$5:$5"
