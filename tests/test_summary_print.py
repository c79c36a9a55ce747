"""The summary as reviewers read and print it: row heights, 明细 pages, 说明 in words,
a chart per form, rankings without ineligible units, publishable 公示 lists — and a
LibreOffice rendering read back with pdftotext holding every reason and long text whole."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import re
import subprocess
import zipfile
from collections import Counter
from unicodedata import east_asian_width

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROSTER, SEED_ROUND, fill_book, ingest_entries, libreoffice_convert
from wcwidth import wcswidth

from xlsxflow.cli import main
from xlsxflow.messages import XlsxflowError
from xlsxflow.roundfile import Notice, load_round
from xlsxflow.summary import LINE_PT, MAX_ROW_PT, notice_period, summary_bytes
from xlsxflow.writer import wrapped_lines

# A 简要事迹 as long as the seed's “20__字左右” may mean (2000 characters), with paragraphs.
DEEDS = "\n".join(
    f"第{n}段：该同志爱岗敬业，服务群众热情周到，多次获得表彰，带领科室完成年度任务{n}项。" * 12
    for n in range(1, 5)
)
DEEDS = (DEEDS * (2000 // len(DEEDS) + 1))[:2000]


@pytest.fixture(scope="module")
def round_report(seed_round, tmp_path_factory):
    """A round with eligible and ineligible entries of every kind the seed round has."""
    _, ctx, files = seed_round
    work = tmp_path_factory.mktemp("print")
    low = {f"i0{n}": 0 for n in range(1, 7)}  # below the 90-point threshold (四.3)
    entries = {}
    for unit, sheets in {
        "SMALL": {
            "文明单位": {},
            "文明窗口-1": {"nominee": "办税服务厅"},
            "文明标兵-1": {"nominee": "王芳", "job": "市小单位办公室主任"},
        },
        "MID": {
            "文明单位": low,
            "文明标兵-1": {"nominee": "李强"},
            "文明标兵-2": {"nominee": "赵敏", "publicity_end": "2026-12-03"},  # 3 days
            "文明标兵-3": {"nominee": "李强"},  # the same person twice
        },
    }.items():
        path = fill_book(files[unit], work / "filled" / files[unit].name, ctx.round, sheets)
        entries[path.name] = path
    report = ingest_entries(work, ctx, entries)
    for f in report.files:  # a long answer, as long as any rubric limit may allow
        for sub in f.submissions:
            if sub.sheet == "文明标兵-1" and sub.unit_id == "SMALL":
                sub.fields["deeds"] = DEEDS
    return report, ctx


@pytest.fixture(scope="module")
def book(round_report):
    report, ctx = round_report
    return openpyxl.load_workbook(io.BytesIO(summary_bytes(report, None, ctx.roster)))


def _lines(cell, widths) -> int:
    """Lines a cell's text needs: a column of width w holds about w display columns of
    11 pt text (CJK characters count two); a smaller or larger font holds more or fewer."""
    width = widths.get(cell.column, 8.43) - 0.71  # as written: set_column's width + padding
    return wrapped_lines(cell.value, width * 11 / (cell.font.sz or 11))


def _column_widths(ws) -> dict[int, float]:
    widths = {}
    for dim in ws.column_dimensions.values():
        if dim.width:
            for col in range(dim.min, dim.max + 1):
                widths[col] = dim.width
    return widths


@pytest.mark.parametrize("sheet", ["问题", "文件", "说明", "文明单位排名", "全文"])
def test_every_row_with_wrapped_text_is_tall_enough(book, sheet):
    ws = book[sheet]
    widths = _column_widths(ws)
    merged = {c.coord for rng in ws.merged_cells.ranges for c in rng.cells}
    checked = 0
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or cell.coordinate in merged:
                continue
            if not cell.alignment.wrap_text:
                continue
            lines = _lines(cell, widths)
            if lines < 2:
                continue
            height = ws.row_dimensions[cell.row].height
            assert height and height >= min(MAX_ROW_PT, lines * LINE_PT), (
                sheet,
                cell.coordinate,
                cell.value[:40],
            )
            checked += 1
    assert checked, f"{sheet} has wrapped text to check"


def test_details_print_at_full_size_over_pages_with_the_unit_on_each(book):
    for name in ("文明单位明细", "文明窗口明细", "文明科室明细", "文明标兵明细"):
        ws = book[name]
        assert ws.max_column >= 20, name
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        fit = ws.sheet_properties.pageSetUpPr
        assert not (fit and fit.fitToPage), f"{name} is not squeezed onto one page width"
        assert ws.page_setup.scale in (None, 100)
        repeated = "A:B" if name == "文明单位明细" else "A:C"  # the unit, and the nominee
        assert ws.print_title_cols.replace("$", "") == repeated, name
        assert ws.print_title_rows.replace("$", "") == "1:1", name


def test_a_long_answer_is_pointed_to_and_kept_whole_on_the_full_text_sheet(book):
    ws = book["文明标兵明细"]
    header = [c.value for c in ws[1]]
    col = next(i for i, h in enumerate(header, 1) if h and h.startswith("简要事迹"))
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 3).value == "王芳")
    shown = ws.cell(row, col).value
    assert shown.endswith("）") and "全文" in shown and len(shown) < 200
    parts = [r[2] for r in book["全文"].iter_rows(min_row=2, values_only=True) if "SMALL" in r[1]]
    assert "".join(parts).replace("\n", "") == DEEDS.replace("\n", "")
    assert len(parts) > 1, "2000 characters need more than one 409-pt row"


def test_about_speaks_plain_chinese(book):
    ws = book["说明"]
    words = [r[1] for r in ws.iter_rows(min_row=3, values_only=True) if r[0] and r[1]]
    text = "\n".join(str(w) for w in words)
    assert not re.search(r"floor\(|max\(|\d{4}-\d\d-\d\dT|hash|\bslots\b", text), text
    assert "不超过本单位内设机构数的 10%" in text  # the round file's wording of the quota
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", text)
    sides = "\n".join(str(r[2]) for r in ws.iter_rows(min_row=3, values_only=True) if r[2])
    assert "floor(内设机构数" in sides, "the expression stays available, at the side"


def test_issue_codes_stand_in_the_last_column(book):
    ws = book["问题"]
    header = [c.value for c in ws[1]]
    assert header[0] == "级别" and header[-1] == "代码"
    codes = {r[-1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert {"publicity-too-short", "nominee-twice"} <= codes


def test_one_chart_per_scored_form_saying_which(round_report):
    report, ctx = round_report
    data = summary_bytes(report, None, ctx.roster)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    titles = ["文明单位", "文明窗口", "文明科室"]  # 文明标兵 has no scores
    assert len(charts) == len(titles)
    for title, xml in zip(titles, charts, strict=True):
        assert f"{title}总分分布" in xml


def test_ineligible_units_take_no_rank_and_the_unscored_list_is_numbered(book):
    rows = list(book["文明单位排名"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in rows] == [(1, "SMALL"), ("不排名", "MID")]
    assert "90" in rows[1][-1]
    rows = list(book["文明标兵排名"].iter_rows(min_row=2, values_only=True))
    firsts = [r[0] for r in rows]
    assert all(firsts) and book["文明标兵排名"]["A1"].value == "序号"
    numbered = [r for r in rows if isinstance(r[0], int)]
    assert [r[0] for r in numbered] == list(range(1, len(numbered) + 1))
    assert all(r[-2] == "是" for r in numbered)
    assert {r[0] for r in rows if r[-2] == "否"} == {"不列入"}


def test_notice_lists_what_the_seed_needs_in_a_stated_order(book):
    ws = book["文明标兵公示"]
    values = [v for row in ws.iter_rows(values_only=True) for v in row if v]
    text = "\n".join(map(str, values))
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "序号")
    assert list(header) == ["序号", "姓名", "性别", "单位及职务", "单位名称"]
    assert "市小单位办公室主任" in values
    assert "排名不分先后" in text and "不少于 5 天" in text
    assert "市直机关工委" in text  # the round file's issuer
    assert "notice." not in text and "请在轮次文件" not in text  # unset: blanks, no key names
    assert "向＿＿＿＿＿＿（受理单位）反映，电话：＿＿＿＿＿＿。" in text
    assert "按总分从高到低排列" in "\n".join(
        str(v) for row in book["文明单位公示"].iter_rows(values_only=True) for v in row if v
    )


def test_notice_takes_date_period_and_objection_from_the_round_file(round_report):
    report, ctx = round_report
    notice = Notice(
        issuer="中共某市直机关工作委员会",
        date=dt.date(2026, 12, 28),
        days=7,
        objection="市直机关工委办公室（电话 0858-8220000）",
    )
    spec = report.round.spec.model_copy(update={"notice": notice})
    changed = dataclasses.replace(report, round=dataclasses.replace(report.round, spec=spec))
    wb = openpyxl.load_workbook(io.BytesIO(summary_bytes(changed, None, ctx.roster)))
    text = "\n".join(
        str(v) for row in wb["文明窗口公示"].iter_rows(values_only=True) for v in row if v
    )
    assert "公示时间：2026年12月28日至2027年1月3日（7 天）" in text
    assert "市直机关工委办公室（电话 0858-8220000）" in text
    assert "中共某市直机关工作委员会" in text and "2026年12月28日" in text
    assert "请在轮次文件" not in text and "＿" not in text and "电话：" not in text


def test_a_round_without_a_publicity_step_prints_no_minimum(tmp_path):
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "d"), "--rubric", "dangzhibu"])
    assert result.exit_code == 0, result.output
    # 红旗党支部 on the round's summary; 党员先锋岗 from its 民主测评, published on its own
    sheets = [openpyxl.load_workbook(tmp_path / "d" / "summary.xlsx")["红旗党支部公示"]]
    sheets += openpyxl.load_workbook(tmp_path / "d" / "发布-先锋岗" / "公示名单.xlsx").worksheets
    for ws in sheets:
        text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)
        assert "公示时间：" in text and "不少于" not in text, ws.title


def test_notice_period_wording():
    rnd = load_round(SEED_ROUND)
    window = rnd.form("chuangkou")
    assert (
        notice_period(rnd.spec, window)
        == "公示时间：＿＿＿＿年＿＿月＿＿日至＿＿＿＿年＿＿月＿＿日（不少于 5 天）。"
    )
    assert "不少于" not in notice_period(rnd.spec, rnd.form("danwei"))


def test_notice_fields_must_be_fields_of_the_form(tmp_path):
    text = SEED_ROUND.read_text(encoding="utf-8")
    text = text.replace("notice_fields: [性别, 单位及职务]", "notice_fields: [性别, 职称]")
    text = text.replace("../../samples/roster.csv", "roster.csv")
    (tmp_path / "round.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "roster.csv").write_bytes(ROSTER.read_bytes())
    with pytest.raises(XlsxflowError) as err:
        load_round(tmp_path / "round.yaml")
    assert "职称" in str(err.value) and "单位及职务" in str(err.value)


@pytest.mark.libreoffice
def test_printed_summary_holds_every_reason_and_long_text_whole(round_report, soffice, tmp_path):
    report, ctx = round_report
    path = tmp_path / "summary.xlsx"
    path.write_bytes(summary_bytes(report, None, ctx.roster))
    libreoffice_convert(soffice, [path], tmp_path, tmp_path / "profile", fmt="pdf")
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "summary.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    flat = re.sub(r"\s+", "", text)
    reasons = {reason for r in report.results for reason in r.reasons}
    assert len(reasons) >= 3
    for reason in reasons:
        assert re.sub(r"\s+", "", reason) in flat, reason
    # 问题: the code beside a message is read into its lines by pdftotext; take it out.
    issues = [i for f in report.files for i in f.issues]
    for code in {i.code for i in issues}:
        flat = flat.replace(code, "")
    for message in {i.message for i in issues}:
        assert re.sub(r"\s+", "", message) in flat, message
    # The 2000-character 简要事迹: each of its 全文 rows printed whole, and together all of it.
    full = openpyxl.load_workbook(path)["全文"]
    # The 位置 and 单元格 columns beside a text: pdftotext reads them into its lines.
    rows = list(full.iter_rows(min_row=2, values_only=True))
    labels = [re.sub(r"\s+", "", r[1]) for r in rows]
    kept = []
    for line in text.splitlines():
        for ref in {r[3] for r in rows}:
            line = line.replace(ref, "")
        squeezed = re.sub(r"\s+", "", line)
        if squeezed and not any(squeezed in label for label in labels):
            kept.append(squeezed)
    flat = "".join(kept)
    pieces = [r[2] for r in full.iter_rows(min_row=2, values_only=True) if "SMALL" in r[1]]
    assert re.sub(r"\s+", "", "".join(pieces)) == re.sub(r"\s+", "", DEEDS)
    for piece in pieces:
        assert re.sub(r"\s+", "", piece) in flat, piece[:40]
    pages = subprocess.run(
        ["pdfinfo", str(tmp_path / "summary.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) > 10


# --- The two shipped demos, as the reviewer printed them -------------------------------

A4_INCHES = {"landscape": 11.69, "portrait": 8.27}


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    work = tmp_path_factory.mktemp("demos")
    books = {}
    for name in ("sanchuang", "dangzhibu", "xingji"):
        result = CliRunner().invoke(main, ["demo", str(work / name), "--rubric", name])
        assert result.exit_code == 0, result.output
        books[name] = openpyxl.load_workbook(work / name / "summary.xlsx")
    return books


def _print_scale(ws) -> float:
    """The scale a sheet prints at: a column of width w is 7w + 5 pixels (96 per inch);
    fitted to one page wide it shrinks to the printable width of A4 within the margins."""
    widths = _column_widths(ws)
    pixels = sum(7 * (widths.get(c, 8.43) - 0.71) + 5 for c in range(1, ws.max_column + 1))
    margins = ws.page_margins.left + ws.page_margins.right
    printable = (A4_INCHES[ws.page_setup.orientation or "portrait"] - margins) * 96
    fit = ws.sheet_properties.pageSetUpPr
    if fit and fit.fitToPage and ws.page_setup.fitToWidth in (None, 1):
        return min(1.0, printable / pixels)
    return (ws.page_setup.scale or 100) / 100


@pytest.mark.parametrize("demo", ["sanchuang", "dangzhibu", "xingji"])
def test_every_sheet_prints_at_a_legible_size(demos, demo):
    for ws in demos[demo].worksheets:
        if ws.sheet_state != "visible":  # the signed identity of the 审定 sheet: never printed
            continue
        scale = _print_scale(ws)
        assert scale >= 0.75, (demo, ws.title, round(scale, 2))
        fit = ws.sheet_properties.pageSetUpPr
        if not (fit and fit.fitToPage):  # several pages wide: the unit on each page
            assert ws.print_title_cols and ws.print_title_cols.startswith("$A:"), ws.title


def test_no_column_is_empty_for_every_row(demos):
    ws = demos["dangzhibu"]["红旗党支部排名"]  # branches have no 主管单位
    assert "主管单位" not in [c.value for c in ws[1]]


def test_one_line_content_gets_one_line_height(demos):
    wb = demos["sanchuang"]
    for name in ("文明标兵公示", "文明窗口公示"):
        ws = wb[name]
        widths = _column_widths(ws)
        first = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "序号") + 1
        for r in range(first, ws.max_row + 1):
            if not isinstance(ws.cell(r, 1).value, int):
                break
            lines = max(_lines(c, widths) for c in ws[r] if isinstance(c.value, str))
            assert lines == 1, (name, r)
            assert ws.row_dimensions[r].height <= 22, (name, r, ws.row_dimensions[r].height)


def test_detail_headers_are_unique_and_say_whose(demos):
    wb = demos["sanchuang"]
    for ws in wb.worksheets:
        if ws.title.endswith("明细"):
            header = [c.value for c in ws[1]]
            assert len(header) == len(set(header)), ws.title
    header = [c.value for c in wb["文明单位明细"][1]]
    assert "联系电话" not in header
    assert {"填报信息·联系电话", "申报表·联系电话"} <= set(header)


def test_the_nominee_stands_beside_the_unit_on_every_page(demos):
    wb = demos["sanchuang"]
    for form, nominee in (("文明标兵", "姓名"), ("文明窗口", "窗口名称"), ("文明科室", "科室名称")):
        details = wb[f"{form}明细"]
        assert details["C1"].value == nominee
        assert details.print_title_cols == "$A:$C"
        ranking = wb[f"{form}排名"]
        assert ranking["D1"].value == nominee
        fit = ranking.sheet_properties.pageSetUpPr
        if not (fit and fit.fitToPage):
            assert ranking.print_title_cols == "$A:$D"


def test_full_texts_are_pointed_to_by_entry_and_placed_in_words(demos):
    wb = demos["sanchuang"]
    full = list(wb["全文"].iter_rows(min_row=2, values_only=True))
    assert [c.value for c in wb["全文"][1]] == ["序号", "位置", "内容", "单元格"]
    n, where, _, cell = full[0]
    assert re.fullmatch(r"文明单位明细 · \S+ \S+ · .+", where), where
    assert re.fullmatch(r"文明单位明细![A-Z]+\d+", cell)
    sheet, ref = cell.split("!")
    shown = wb[sheet][ref].value
    assert shown.endswith(f"…（全文见“全文”表第 {n} 条）"), shown
    assert where.split(" · ")[1].split()[0] == wb[sheet].cell(wb[sheet][ref].row, 1).value


def test_issues_name_the_identity_sheet_and_files_that_no_longer_count(demos):
    rows = list(demos["sanchuang"]["问题"].iter_rows(min_row=2, values_only=True))
    assert not any(r[4] == "_xlsxflow" for r in rows)
    assert any(r[4] == "（身份信息）" for r in rows)
    old = [r for r in rows if r[3].startswith("旧版/")]  # the demo's superseded file
    assert old and all(r[0] == "不计（已被取代）" for r in old if r[-1] != "submission-superseded")
    assert any(r[0] == "不计（已被取代）" and r[-1] == "value-missing" for r in old)


def test_accepted_files_count_their_own_errors(demos):
    wb = demos["sanchuang"]
    errors = Counter(
        r[3] for r in wb["问题"].iter_rows(min_row=2, values_only=True) if r[0] == "错误"
    )
    accepted = [r for r in wb["文件"].iter_rows(min_row=2, values_only=True) if r[1] == "已接受"]
    assert sum(1 for r in accepted if errors[r[0]]) >= 4  # CZJ, JTJ-YG, JYJ-ZB and more
    for path, _, reason, *_ in accepted:
        expected = f"已接受，但有 {errors[path]} 处错误" if errors[path] else "已接受"
        assert reason.startswith(expected), (path, reason)


@pytest.mark.parametrize("demo", ["sanchuang", "dangzhibu"])
def test_notices_print_blanks_and_about_names_the_keys(demos, demo):
    wb = demos[demo]
    for ws in wb.worksheets:
        if ws.title.endswith("公示"):
            text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)
            assert "notice" not in text and "轮次文件" not in text, ws.title
            assert "公示时间：＿＿＿＿年＿＿月＿＿日至＿＿＿＿年＿＿月＿＿日" in text
            assert "（受理单位）反映，电话：＿＿＿＿＿＿。" in text
            assert ("不少于 5 天" in text) == (demo == "sanchuang" and "单位公示" not in ws.title)
    about = {r[0]: r for r in wb["说明"].iter_rows(values_only=True) if r[0]}
    assert "notice.objection" in about["公示名单"][2] and "手工填写" in about["公示名单"][1]


def test_a_pointer_to_the_full_text_fits_its_two_lines(demos):
    """“ ” … are drawn full width by a CJK font: they count two, as CJK characters do."""
    ws = demos["sanchuang"]["文明窗口明细"]
    widths = _column_widths(ws)
    pointers = [c for row in ws.iter_rows() for c in row if str(c.value).endswith("条）")]
    assert pointers
    for cell in pointers:
        wide = sum(1 for ch in cell.value if ord(ch) > 0x7F and east_asian_width(ch) == "A")
        usable = (widths[cell.column] - 0.71) * 11 / 10 - 1
        assert math.ceil((wcswidth(cell.value) + wide) / usable) <= 2, cell.value
