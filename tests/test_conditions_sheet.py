"""The conditions sheet end to end: generate → fill → ingest → 星级 summary, for the 002
levels, 篇3's named stars and 篇2's bands with conditions; tampering, unreadable values
named by cell, the round targets at their boundary, and one LibreOffice round trip."""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from conftest import ROSTER, ingest_entries, libreoffice_convert, record_of

from xlsxflow.conditions import StarResult, questions
from xlsxflow.ingest import star_targets
from xlsxflow.layout import APPLY_LEVEL, build_layout
from xlsxflow.messages import render
from xlsxflow.round import generate, open_round
from xlsxflow.rubric import load_rubric
from xlsxflow.samples import condition_answers
from xlsxflow.summary import summary_bytes

UNITS = ["CZJ", "CZJ-GK", "CZJ-PS", "DAJ", "GZW"]


def _round(tmp_path_factory, rubric: str):
    """``rubric`` generated for five units of the sample roster; (ctx, files by unit)."""
    folder = tmp_path_factory.mktemp(rubric)
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    roster = folder / "roster.csv"
    chosen = [line for line in lines[1:] if line.split(",")[0] in UNITS]
    roster.write_text("\n".join([lines[0], *chosen]) + "\n", encoding="utf-8")
    result = generate(
        rubric, roster, folder / "wb", workdir=folder, title="评星测试", deadline="2026-12-31"
    )
    return open_round(workdir=folder), {g.unit_id: g.path for g in result.files}


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    return _round(tmp_path_factory, "xingji-shequ")


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    return _round(tmp_path_factory, "wuxing-pian3")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return _round(tmp_path_factory, "xingji-pian2-tiaojian")


def fill(src: Path, out: Path, rubric, answers: dict, *, extra: dict | None = None) -> Path:
    """Type ``answers`` (by question id) and ``extra`` (by input key) into the sheet."""
    layout = build_layout(rubric)
    wb = openpyxl.load_workbook(src)
    ws = wb[layout.sheet_name]
    for inp in layout.inputs:
        if inp.kind == "answer":
            ws[inp.ref] = answers.get(inp.key)
        elif inp.kind == "score":
            ws[inp.ref] = inp.max
        elif inp.kind == "field":
            ws[inp.ref] = {"date": "2026-12-01", "choice": (*inp.choices, "")[-2:][0]}.get(
                inp.field_type, "张敏"
            )
        if extra and inp.key in extra:
            ws[inp.ref] = extra[inp.key]
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def answer_cell(rubric, key: str) -> str:
    return next(i.ref for i in build_layout(rubric).inputs if i.kind == "answer" and i.key == key)


def stars_sheet(report, ctx) -> list[list]:
    data = summary_bytes(report, ctx.rubric, ctx.roster)
    ws = openpyxl.load_workbook(io.BytesIO(data))["星级"]
    return [[c.value for c in row] for row in ws.iter_rows()]


# -- the sheet as drawn --------------------------------------------------------------------


def test_the_002_sheet_asks_each_question_once_in_the_seeds_words(levels):
    ctx, files = levels
    rubric = ctx.rubric
    wb = openpyxl.load_workbook(files["CZJ"])
    ws = wb[build_layout(rubric).sheet_name]
    texts = [str(c.value or "") for c in ws["B"]]
    for q in questions(rubric):
        shown = (q.text, f"{q.text}（选已获得的最高级别）")  # an honour says which to pick
        assert sum(t.split(". ", 1)[-1] in shown for t in texts) == 1, q.text
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists[answer_cell(rubric, "wenhua")] == '"无,三级,二级,一级"'  # the scale, lowest first
    assert lists[answer_cell(rubric, "f05")] == '"是,否"'
    numbers = {
        str(dv.sqref): (dv.type, dv.formula1, dv.formula2)
        for dv in ws.data_validations.dataValidation
    }
    kind, low, high = numbers[answer_cell(rubric, "chenggong")]
    assert (kind, float(low), float(high)) == ("decimal", 0, 100)
    apply = next(i for i in build_layout(rubric).inputs if i.key == APPLY_LEVEL)
    assert lists[apply.ref] == '"一星级,二星级,三星级,四星级,五星级"'
    assert ws.protection.sheet and ws.print_title_rows == "$5:$5"
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage  # A4
    assert ws.page_setup.fitToHeight == 0  # one page wide (fitToWidth 1 is the default)


def test_named_stars_have_no_apply_level(named):
    ctx, _ = named
    assert all(i.key != APPLY_LEVEL for i in build_layout(ctx.rubric).inputs)


# -- 002: levels, a veto, one condition short, the 星级 sheet and the targets ------------------


def test_002_levels_vetoes_missing_and_the_stars_sheet(levels, tmp_path):
    ctx, files = levels
    r = ctx.rubric
    names = r.level_names
    only_five = next(q for q in questions(r) if q.kind == "fact" and q.used_by == ["五星级"])
    short = condition_answers(r, names)
    short[only_five.id] = "否"  # one 五星级 condition not met
    vetoed = {**condition_answers(r, names), "v_tongbao": "是"}
    entries = {
        "a.xlsx": fill(files["CZJ"], tmp_path / "a.xlsx", r, condition_answers(r, names[:3])),
        "b.xlsx": fill(files["CZJ-GK"], tmp_path / "b.xlsx", r, vetoed),
        "c.xlsx": fill(files["CZJ-PS"], tmp_path / "c.xlsx", r, short),
        "d.xlsx": fill(files["DAJ"], tmp_path / "d.xlsx", r, condition_answers(r, names)),
        "e.xlsx": fill(files["GZW"], tmp_path / "e.xlsx", r, condition_answers(r, names[:2])),
    }
    report = ingest_entries(tmp_path, ctx, entries)
    assert all(f.status == "accepted" and not f.issues for f in report.files)
    got = {res.unit_id: res.stars for res in report.results}
    assert {u: s.level for u, s in got.items()} == {
        "CZJ": "三星级",
        "CZJ-GK": "三星级",
        "CZJ-PS": "四星级",
        "DAJ": "五星级",
        "GZW": "二星级",
    }
    assert got["CZJ-PS"].missing_text == render(
        "conditions-missing",
        level="五星级",
        items=render("conditions-unmet", requirement=only_five.text, actual="否"),
    )
    veto = next(v for v in r.vetoes if v.id == "v_tongbao")
    message = render("conditions-vetoed", veto=veto.text, levels="四星级、五星级")
    assert [v.message for v in got["CZJ-GK"].vetoes] == [message]
    assert (got["DAJ"].decided_by, got["DAJ"].publicity) == ("县", True)
    assert (got["CZJ"].decided_by, got["CZJ"].publicity) == ("街道", False)
    # the 星级 sheet: one row per unit, highest level first, then the targets
    rows = stars_sheet(report, ctx)
    assert rows[0][:9] == [
        "单位编号",
        "单位名称",
        "申报等级",
        "评定等级",
        "距下一级还差",
        "一票否决",
        "评定",
        "公示",
        "备注",
    ]
    by_unit = {row[0]: row for row in rows[1:6]}
    assert [row[0] for row in rows[1:6]][:1] == ["DAJ"]
    assert by_unit["DAJ"][3:8] == ["五星级", None, None, "县", "须公示"]
    assert by_unit["CZJ-PS"][3:5] == ["四星级", got["CZJ-PS"].missing_text]
    assert by_unit["CZJ-GK"][5] == message
    assert by_unit["CZJ-PS"][8] == "申报五星级，未达到"  # the filler applies for the top level
    # 80% at 三星级 or above (4 of 5) and 20% at 五星级 (1 of 5): both reached, exactly
    texts = [row[0] for row in rows[7:] if row[0]]
    assert texts[0] == "本轮目标"
    three, five = report.targets
    assert (three.count, three.total, three.reached) == (4, 5, True)
    assert (five.count, five.total, five.reached) == (1, 5, True)
    assert texts[1] == f"{three.text}：{three.message}"
    assert "达到" in three.message and "未达到" not in three.message


def test_targets_at_80_and_79_percent():
    r = load_rubric("xingji-shequ")

    def results(at_three: int, total: int):
        return [
            SimpleNamespace(
                stars=StarResult(r.id, "levels", level="三星级" if n < at_three else None)
            )
            for n in range(total)
        ]

    assert star_targets(r, results(80, 100), 100)[0].reached
    assert not star_targets(r, results(79, 100), 100)[0].reached
    # units that sent nothing usable count as having reached no level
    assert not star_targets(r, results(80, 80), 101)[0].reached


# -- 篇3 named stars, 篇2 bands with conditions -------------------------------------------------


def test_named_stars_earned_and_counted(named, tmp_path):
    ctx, files = named
    r = ctx.rubric
    earned = ["理论学习星", "自身建设星"]
    src = fill(files["CZJ"], tmp_path / "a.xlsx", r, condition_answers(r, earned))
    report = ingest_entries(tmp_path, ctx, {"a.xlsx": src})
    (result,) = report.results
    assert result.stars.stars == earned and result.stars.count == 2
    assert result.stars.level is None and result.band == ""
    rows = stars_sheet(report, ctx)
    assert rows[0] == ["单位编号", "单位名称", "星数", "所得星", "未得的星及所缺条件", "备注"]
    assert rows[1][:4] == ["CZJ", "市财政局", 2, "理论学习星、自身建设星"]
    assert rows[1][4] == result.stars.missing_text and "距制度落实星还差" in rows[1][4]


def test_pian2_band_by_score_and_the_13_conditions(mixed, tmp_path):
    ctx, files = mixed
    r = ctx.rubric
    every = condition_answers(r, r.level_names)
    one_short = {**every, "p02_banzi": "否"}
    entries = {
        "a.xlsx": fill(files["CZJ"], tmp_path / "a.xlsx", r, every, extra={"score": 96}),
        "b.xlsx": fill(files["CZJ-GK"], tmp_path / "b.xlsx", r, one_short, extra={"score": 96}),
        "c.xlsx": fill(files["CZJ-PS"], tmp_path / "c.xlsx", r, every, extra={"score": 80}),
        "d.xlsx": fill(files["DAJ"], tmp_path / "d.xlsx", r, every, extra={"score": 70}),
    }
    report = ingest_entries(tmp_path, ctx, entries)
    assert all(f.status == "accepted" and not f.issues for f in report.files)
    got = {res.unit_id: res for res in report.results}
    assert {u: (res.total, res.stars.band, res.band) for u, res in got.items()} == {
        "CZJ": (96, "五星级", "五星级"),
        "CZJ-GK": (96, "五星级", "四星级"),  # the score's band, refused on one condition
        "CZJ-PS": (80, "三星级", "三星级"),
        "DAJ": (70, "未达星级", ""),
    }
    assert got["CZJ-GK"].stars.missing_text == render(
        "conditions-missing",
        level="五星级",
        items=render(
            "conditions-unmet", requirement="支部班子健全、团结，有较强战斗力", actual="否"
        ),
    )
    rows = stars_sheet(report, ctx)
    assert rows[0][2:4] == ["考核分数", "分数档"]


# -- untrusting read: tampering and unreadable values ------------------------------------------


def test_a_tampered_condition_label_rejects_the_file(levels, tmp_path):
    ctx, files = levels
    r = ctx.rubric
    layout = build_layout(r)
    label = next(c for c in layout.cells if c.style == "text" and "不发生命案" in str(c.value))
    src = fill(files["CZJ"], tmp_path / "a.xlsx", r, condition_answers(r, r.level_names))
    wb = openpyxl.load_workbook(src)
    ws = wb[layout.sheet_name]
    ws.protection.sheet = False
    ws[label.ref] = "8. 发生命案一起"
    ws.protection.sheet = True
    wb.save(src)
    report = ingest_entries(tmp_path, ctx, {"a.xlsx": src})
    rec = record_of(report, "a.xlsx")
    assert rec.status == "rejected"
    assert (rec.issues[0].code, rec.issues[0].cell) == ("tamper-locked-changed", label.ref)


def test_unreadable_values_are_named_by_file_sheet_and_cell(levels, tmp_path):
    ctx, files = levels
    r = ctx.rubric
    layout = build_layout(r)
    inputs = {i.key: i for i in layout.inputs if i.kind == "answer"}
    answers = {
        **condition_answers(r, r.level_names),
        "chenggong": "九十五",
        "tiaochu": 150,
        "wenming": "国家级",
        "v_jisheng": None,
    }
    src = fill(files["CZJ"], tmp_path / "a.xlsx", r, answers)
    report = ingest_entries(tmp_path, ctx, {"a.xlsx": src})
    rec = record_of(report, "a.xlsx")
    assert rec.status == "accepted"
    sheet = layout.sheet_name

    def issue(code, key, **fields):
        inp = inputs[key]
        return render(code, file="a.xlsx", sheet=sheet, cell=inp.ref, label=inp.label, **fields)

    assert {(i.file, i.sheet) for i in rec.issues} == {("a.xlsx", sheet)}
    got = {(i.code, i.cell): i.message for i in rec.issues}
    assert got == {
        ("value-not-number", inputs["chenggong"].ref): issue(
            "value-not-number", "chenggong", found="九十五"
        ),
        ("value-answer-range", inputs["tiaochu"].ref): issue(
            "value-answer-range", "tiaochu", value="150", min="0", max="100"
        ),
        ("value-bad-choice", inputs["wenming"].ref): issue(
            "value-bad-choice", "wenming", choices="无、县级、市级、省级", found="国家级"
        ),
        ("value-missing", inputs["v_jisheng"].ref): issue("value-missing", "v_jisheng"),
    }
    (result,) = report.results
    assert not result.complete and result.stars.level is None  # 一星级 needs all three


# -- LibreOffice as the real client ---------------------------------------------------------


def test_libreoffice_round_trip_reads_the_same_answers(levels, soffice, tmp_path):
    ctx, files = levels
    r = ctx.rubric
    answers = {**condition_answers(r, r.level_names[:4]), "tiaochu": 100.0, "wenhua": "一级"}
    src = fill(files["CZJ"], tmp_path / "filled" / "a.xlsx", r, answers)
    libreoffice_convert(soffice, [src], tmp_path / "returns", tmp_path / "profile")
    (tmp_path / "direct").mkdir()
    direct = ingest_entries(tmp_path / "direct", ctx, {"a.xlsx": src})
    saved = ingest_entries(tmp_path, ctx, {})
    rec = record_of(saved, "a.xlsx")
    assert rec.status == "accepted" and not rec.issues, rec.issues
    assert rec.submission.answers == record_of(direct, "a.xlsx").submission.answers
    assert saved.results[0].stars.level == "四星级"


# -- printed: 篇2's conditions start a page under their own headings; no 第N条 split -----------


@pytest.mark.parametrize("rubric", ["xingji-pian2-tiaojian", "xingji-shequ"])
def test_conditions_print_under_their_headings_and_no_group_straddles_a_page(rubric):
    from xlsxflow.layout import CONDITION_COLUMN_WIDTHS, HEADER_ROW, page_points

    r = load_rubric(rubric)
    layout = build_layout(r)
    heads = [c for c in layout.cells if c.style == "header" and c.value == "填报"]
    if rubric == "xingji-pian2-tiaojian":  # below the score table: a page of their own
        (head,) = heads
        block = next(c for c in layout.cells if c.style == "block_head" and c.row == head.row - 1)
        assert str(block.value).startswith("评星条件")
        assert block.row in layout.page_breaks and layout.repeat_row == head.row
    else:  # conditions only: the sheet's own headings
        assert [h.row for h in heads] == [HEADER_ROW] and layout.repeat_row is None
    assert layout.repeat_header and len(layout.page_breaks) >= 1
    # a group's label is merged down column A: no page starts inside it
    groups = [(c.row, c.merge_to[0]) for c in layout.cells if c.style == "section" and c.merge_to]
    assert groups and not [(g, b) for g in groups for b in layout.page_breaks if g[0] < b <= g[1]]
    # and each page holds no more than one page's worth of rows (the estimate they rest on)
    heights = dict(layout.reserved_heights)
    edges = [*layout.page_breaks, layout.last_row + 1]
    for start, end in zip(edges, edges[1:], strict=False):
        rows = sum(heights.get(row, 20.0) for row in range(start, end))
        assert rows <= page_points(CONDITION_COLUMN_WIDTHS) + 20.0, (start, end)


def test_written_pian2_repeats_the_conditions_headings(mixed):
    ctx, files = mixed
    layout = build_layout(ctx.rubric)
    ws = openpyxl.load_workbook(files["CZJ"])[layout.sheet_name]
    row = layout.repeat_row + 1
    assert ws.print_title_rows == f"${row}:${row}"
    assert ws[f"D{row}"].value == "填报"
    assert {b.id for b in ws.row_breaks.brk} >= {b for b in layout.page_breaks}
