"""Real answers fit (issue 10 §2): a year and month as people type it, items a unit may mark
不适用, and long texts that show and print in full.

LibreOffice is the real client here: it evaluates the validation formulas, saves the returns
ingest reads, and prints the workbooks that ``pdftotext`` reads back.
"""

from __future__ import annotations

import random
import re
import subprocess
from datetime import date, datetime

import openpyxl
import pytest
from conftest import (
    SEED_ROUND,
    fill,
    fill_book,
    ingest_entries,
    libreoffice_convert,
    make_round,
    record_of,
)

from xlsxflow.layout import build_layout
from xlsxflow.messages import XlsxflowError
from xlsxflow.ooxml import RawCell
from xlsxflow.round import generate_round, open_round
from xlsxflow.rubric import load_rubric, parse_rubric, shipped_templates_dir
from xlsxflow.scoring import compute_totals, evaluate
from xlsxflow.submission import Submission
from xlsxflow.values import parse_month
from xlsxflow.writer import DV_INPUT_MAX, month_validation_formula, validation_for

TODAY = date.today()
YEARS = range(1940, TODAY.year + 1)


def typed_forms(year: int, month: int) -> list:
    """A year and month the ways people type it (text stays text in the cell's @ format)."""
    return [
        f"{year}年{month}月",
        f"{year}-{month:02d}",
        f"{year}.{month}" if month != 10 else f"{year}.10",
        f"{year}/{month}",
        datetime(year, month, 1),
    ]


def month_of(year: int) -> int:
    """Some month of ``year``, never later than this month."""
    return min(year % 12 + 1, TODAY.month) if year == TODAY.year else year % 12 + 1


def raw(value) -> RawCell:
    if isinstance(value, datetime):  # what a date cell holds: its serial number
        return RawCell(float((value - datetime(1899, 12, 30)).days), "n")
    return RawCell(value, "n" if isinstance(value, float) else "s")


# -- 出生年月 / 参加工作时间: reading ----------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_every_year_from_1940_to_today_reads_as_its_year_and_month(year):
    month = month_of(year)
    for value in typed_forms(year, month):
        parsed = parse_month(raw(value))
        assert (parsed.value, parsed.status) == (f"{year}-{month:02d}", "ok"), value


@pytest.mark.parametrize(
    "value,expected,status",
    [
        ("1985年6月", "1985-06", "ok"),
        ("1985年06月", "1985-06", "ok"),
        ("1985-06", "1985-06", "ok"),
        ("1985.6", "1985-06", "ok"),
        ("1985.10", "1985-10", "ok"),  # text keeps the 0: October
        ("1985.1", "1985-01", "ok"),  # … and text 1985.1 is January
        ("1985/6", "1985-06", "ok"),
        ("1985-06-15", "1985-06", "ok"),
        ("1985年6月15日", "1985-06", "ok"),
        ("１９８５年６月", "1985-06", "ok"),
        (1985.6, "1985-06", "normalised"),  # typed into a number cell
        (1985.11, "1985-11", "normalised"),
        (1985.1, None, "ambiguous"),  # a number cell stores 1985.10 as 1985.1
        (1985.0, None, "bad_month"),  # a year alone
        ("85.6", None, "bad_month"),  # two-digit year: which century?
        ("6/1985", None, "bad_month"),  # month first: refused, not guessed
        ("1985-13", None, "bad_month"),
        ("1985-02-30", None, "bad_month"),
        ("六月", None, "bad_month"),
        (85.6, None, "bad_month"),  # a number below 1900 is neither a year nor a date
        (f"{TODAY.year + 1}-01", None, "month_range"),
        ("1899-12", None, "month_range"),
    ],
)
def test_month_is_read_without_guessing(value, expected, status):
    parsed = parse_month(raw(value))
    assert (parsed.value, parsed.status) == (expected, status)


# -- the validation formula, evaluated by LibreOffice -----------------------------------


def evaluate_in_libreoffice(soffice, tmp_path, values, formula_for) -> list:
    """Each value in A{n}, the validation formula for A{n} in B{n}: what LibreOffice computes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for n, value in enumerate(values, 1):
        ws.cell(n, 1, value)
        if isinstance(value, str):
            ws.cell(n, 1).number_format = "@"  # as typed into the workbook's text-format cell
        ws.cell(n, 2, formula_for(f"A{n}"))
    src = tmp_path / "formulas.xlsx"
    wb.save(src)
    libreoffice_convert(soffice, [src], tmp_path / "out", tmp_path / "profile")
    got = openpyxl.load_workbook(tmp_path / "out" / src.name, data_only=True).active
    return [got.cell(n, 2).value for n in range(1, len(values) + 1)]


REFUSED_BY_VALIDATION = [
    "85.6",
    "6/1985",
    "1985",
    "1985-13",
    "1985年0月",
    "abc",
    "1899-12",
    f"{TODAY.year + 1}-01",
    85.6,
    datetime(2999, 1, 1),
]


@pytest.mark.libreoffice
def test_validation_lets_every_year_and_month_from_1940_to_today_through(soffice, tmp_path):
    accepted = [v for y in YEARS for v in typed_forms(y, month_of(y))]
    accepted += [1985.6, datetime.combine(TODAY, datetime.min.time()), "1985-06-01"]
    values = accepted + REFUSED_BY_VALIDATION
    results = evaluate_in_libreoffice(soffice, tmp_path, values, month_validation_formula)
    let_through = {repr(v) for v, ok in zip(values, results, strict=True) if ok is True}
    assert let_through == {repr(v) for v in accepted}


def test_the_birth_cell_carries_that_formula_within_excels_limits():
    layout = build_layout(load_rubric("shenbao-biaobing"))
    for key in ("birth", "work_start"):
        inp = layout.input_named(f"xf_{key}")
        options = validation_for(inp, "zh")
        assert options["validate"] == "custom"
        assert options["value"] == month_validation_formula(inp.ref)
        assert len(month_validation_formula("D9999")) <= 255  # Excel's limit, any row of a sheet
        assert "1985年6月" in options["input_message"]
        assert len(options["input_message"]) <= DV_INPUT_MAX
    # Other date fields take any real date, not only 2000–2100.
    app = build_layout(load_rubric("wenming-danwei"))
    options = validation_for(app.input_named("xf_fill_date"), "zh")
    assert options["minimum"] == date(1900, 1, 1)


# -- 出生年月 / 参加工作时间 through LibreOffice and ingest --------------------------------

TYPED = {  # sheet → (出生年月, 参加工作时间) as typed, and as read
    "文明标兵-1": (("1985年6月", "2008.10"), ("1985-06", "2008-10")),
    "文明标兵-2": (("1985-06", 2008.6), ("1985-06", "2008-06")),
    "文明标兵-3": (("1985.6", "2008-07-01"), ("1985-06", "2008-07")),
    "文明标兵-4": (
        ("1985/6", datetime.combine(TODAY, datetime.min.time())),
        ("1985-06", f"{TODAY:%Y-%m}"),
    ),
    "文明标兵-5": ((datetime(1940, 1, 1), "1958年9月"), ("1940-01", "1958-09")),
}


@pytest.mark.libreoffice
def test_typed_months_survive_libreoffice_and_ingest_reads_each(seed_round, soffice, tmp_path):
    _, ctx, files = seed_round
    sheets = {
        name: {"birth": birth, "work_start": work, "nominee": f"标兵{n}"}
        for n, (name, ((birth, work), _)) in enumerate(TYPED.items(), 1)
    }
    filled = fill_book(files["BIG"], tmp_path / "filled" / files["BIG"].name, ctx.round, sheets)
    libreoffice_convert(soffice, [filled], tmp_path / "saved", tmp_path / "profile")
    saved = tmp_path / "saved" / filled.name
    report = ingest_entries(tmp_path, ctx, {saved.name: saved})
    rec = record_of(report, saved.name)
    assert rec.status == "accepted", [i.message for i in rec.issues]
    assert not [i for i in rec.issues if i.severity == "error"]
    got = {s.sheet: (s.fields["birth"], s.fields["work_start"]) for s in rec.submissions}
    assert got == {name: read for name, (_, read) in TYPED.items()}


def test_what_ingest_will_not_guess_is_an_error_that_says_why(seed_round, tmp_path):
    _, ctx, files = seed_round
    sheets = {
        "文明标兵-1": {"birth": "85.6", "work_start": "6/1985"},
        "文明标兵-2": {"birth": 1985.1, "work_start": f"{TODAY.year + 1}-03", "nominee": "乙"},
    }
    filled = fill_book(files["BIG"], tmp_path / "filled" / files["BIG"].name, ctx.round, sheets)
    report = ingest_entries(tmp_path, ctx, {filled.name: filled})
    issues = [(i.sheet, i.code) for i in record_of(report, filled.name).issues]
    assert ("文明标兵-1", "value-bad-month") in issues
    assert issues.count(("文明标兵-1", "value-bad-month")) == 2
    assert ("文明标兵-2", "value-month-ambiguous") in issues
    assert ("文明标兵-2", "value-month-range") in issues
    ambiguous = next(
        i for i in record_of(report, filled.name).issues if i.code == "value-month-ambiguous"
    )
    assert "1985年1月" in ambiguous.message and "1985年10月" in ambiguous.message


# -- 简要事迹: the garbled “20__字左右” is a setting ---------------------------------------


def test_deeds_length_is_a_setting_read_as_about_200():
    rubric = load_rubric("shenbao-biaobing")
    deeds = next(f for f in rubric.fields if f.id == "deeds")
    assert (deeds.about, deeds.max_length) == (200, 300)
    assert deeds.shown_label == "简要事迹（200字左右）"
    note = next(n for n in rubric.notes if n.startswith("简要事迹"))
    assert "1500" in note and "800" in note  # the reason: 四.3 and the unit's 简介
    layout = build_layout(rubric)
    assert "简要事迹（200字左右）" in [c.value for c in layout.cells]
    prompt = validation_for(layout.input_named("xf_deeds"), "zh")
    assert prompt["input_message"] == "约 200 字，最多 300 个字。" and prompt["value"] == 300


@pytest.mark.parametrize(
    "field,problem",
    [
        ("{id: deeds, label: 简要事迹, type: text, about: 400, max_length: 300}", "about"),
        ("{id: deeds, label: 简要事迹, type: month, about: 200}", "about"),
    ],
)
def test_about_must_fit_the_limit(field, problem):
    with pytest.raises(XlsxflowError) as err:
        parse_rubric(f"id: x\ntitle: 表\nversion: '1'\nfields:\n  - {field}\n")
    assert problem in str(err.value)


# -- 不适用: item 16 (无职工食堂单位除外) ------------------------------------------------

# Full marks but for 10 points off items 1 and 2: the other items of 附件1 sum to 86.
DEDUCTED = {"i01": 0, "i02": 1}


def submission(rubric, **scores) -> Submission:
    sub = Submission("U1", rubric.id)
    for _, item in rubric.items():
        value = scores.get(item.id, DEDUCTED.get(item.id, item.max))
        if value == "不适用":
            sub.not_applicable.add(item.id)
            sub.scores[item.id] = None
        else:
            sub.scores[item.id] = value
    return sub


def rescaled_rubric():
    text = (shipped_templates_dir() / "wenming-danwei.yaml").read_text(encoding="utf-8")
    return text.replace("counts: full}", "counts: rescale}")


def test_item_16_is_the_one_a_unit_without_a_canteen_may_mark():
    rubric = load_rubric("wenming-danwei")
    marked = [i.id for _, i in rubric.items() if i.not_applicable]
    assert marked == ["i16"]
    i16 = next(i for _, i in rubric.items() if i.id == "i16")
    assert i16.not_applicable.counts == "full" and "食堂" in i16.not_applicable.when
    assert any("第16项" in n and "满分" in n for n in rubric.notes)  # the choice, with why
    layout = build_layout(rubric)
    printed = next(c.value for c in layout.cells if c.style == "instructions")
    assert "第16项：无职工食堂的单位在自评分栏填“不适用”。" in printed


def test_item_16_counts_full_points_and_the_threshold_uses_the_counted_subtotal(roster):
    rubric = load_rubric("wenming-danwei")
    without_canteen = evaluate(rubric, roster, submission(rubric, i16="不适用"), "a.xlsx")
    assert without_canteen.subtotal == 90 and without_canteen.eligible
    scored_nothing = evaluate(rubric, roster, submission(rubric, i16=0), "b.xlsx")
    assert scored_nothing.subtotal == 86 and not scored_nothing.eligible
    assert "实得 86 分" in scored_nothing.reasons[0]


def test_item_16_rescaled_when_the_rubric_says_so(roster):
    rubric = parse_rubric(rescaled_rubric(), "rescaled.yaml")
    left_out = evaluate(rubric, roster, submission(rubric, i16="不适用"), "a.xlsx")
    assert left_out.subtotal == pytest.approx(86 * 100 / 96)  # 89.58: below 90
    assert not left_out.eligible and "实得 89.5833 分" in left_out.reasons[0]
    better = evaluate(rubric, roster, submission(rubric, i16="不适用", i01=0.5), "b.xlsx")
    assert better.subtotal == pytest.approx(86.5 * 100 / 96) and better.eligible
    totals = compute_totals(rubric, submission(rubric, i16="不适用"))
    assert totals["sub_s4"] == 8  # the section shows what was scored; the subtotal is rescaled


def test_rubric_refuses_not_applicable_that_leaves_nothing_to_score():
    text = "id: x\ntitle: 表\nversion: '1'\ntotal: 4\nsections:\n  - id: s1\n    name: 甲\n"
    text += "    items:\n      - {id: i1, text: 项, max: 4, not_applicable: {when: 无, counts: rescale}}\n"
    with pytest.raises(XlsxflowError, match="不适用"):
        parse_rubric(text)


@pytest.fixture(scope="module")
def roster():
    from conftest import ROSTER

    from xlsxflow.roster import load_roster

    return load_roster(ROSTER)


def test_not_applicable_where_the_rubric_does_not_allow_it_is_an_error(tmp_path):
    _, ctx = make_round(tmp_path / "round")
    path = ctx_file(ctx, tmp_path, "CZJ")
    filled = fill(path, tmp_path / "filled" / path.name, scores={"i15": "不适用"})
    report = ingest_entries(tmp_path, ctx, {filled.name: filled})
    rec = record_of(report, filled.name)
    assert [i.code for i in rec.issues if i.severity == "error"] == ["value-not-applicable"]


def ctx_file(ctx, tmp_path, unit_id: str):
    return next((tmp_path / "round" / "workbooks").glob(f"{unit_id}_*.xlsx"))


@pytest.mark.libreoffice
@pytest.mark.parametrize("counts", ["full", "rescale"])
def test_not_applicable_through_libreoffice_totals_agree(counts, soffice, tmp_path):
    """The workbook's live formulas count 不适用 as the rubric says; ingest agrees."""
    rubric_path = tmp_path / "wenming-danwei.yaml"
    text = (shipped_templates_dir() / "wenming-danwei.yaml").read_text(encoding="utf-8")
    rubric_path.write_text(text.replace("counts: full}", f"counts: {counts}}}"), encoding="utf-8")
    _, ctx = make_round(tmp_path / "round", rubric=str(rubric_path))
    filled = []
    for unit, i16 in (("CZJ", "不适用"), ("JYJ", 0)):
        path = ctx_file(ctx, tmp_path, unit)
        filled.append(fill(path, tmp_path / "filled" / path.name, scores={**DEDUCTED, "i16": i16}))
    libreoffice_convert(soffice, filled, tmp_path / "saved", tmp_path / "profile")
    saved = {p.name: p for p in (tmp_path / "saved").glob("*.xlsx")}
    report = ingest_entries(tmp_path, ctx, saved)
    by_unit = {r.unit_id: r for r in report.results}
    counted = 90 if counts == "full" else 86 * 100 / 96
    assert by_unit["CZJ"].subtotal == pytest.approx(counted)
    assert by_unit["CZJ"].eligible is (counts == "full")
    assert by_unit["JYJ"].subtotal == 86 and not by_unit["JYJ"].eligible
    for rec in report.files:
        assert rec.status == "accepted"
        assert not [i for i in rec.issues if i.code == "value-total-mismatch"]
        # LibreOffice computed the subtotal itself from the formulas xlsxflow wrote.
        result = by_unit[rec.unit_id]
        assert rec.submission.cached_totals["subtotal"] == pytest.approx(result.subtotal)
    czj = next(r for r in report.files if r.unit_id == "CZJ").submission
    assert czj.not_applicable == {"i16"}


@pytest.mark.libreoffice
def test_the_score_validation_of_item_16_accepts_the_word_and_the_points(soffice, tmp_path):
    layout = build_layout(load_rubric("wenming-danwei"))
    inp = layout.input_named("xf_i16")
    options = validation_for(inp, "zh")
    assert "无职工食堂的单位填“不适用”" in options["input_message"]
    values = ["不适用", " 不适用 ", 4, 3.5, 0, 4.5, -1, 3.25, "不用", "n/a"]
    results = evaluate_in_libreoffice(
        soffice, tmp_path, values, lambda cell: options["value"].replace(inp.ref, cell)
    )
    assert results == [True, True, True, True, True, False, False, False, False, False]
    # An item without 不适用 keeps its plain range check.
    assert "不适用" not in validation_for(layout.input_named("xf_i15"), "zh")["value"]


# -- long texts print in full -----------------------------------------------------------


def cjk_text(length: int, tag: str) -> str:
    """``length`` CJK characters, a sentence end every 25, different for every tag."""
    rng = random.Random(tag)
    return "".join(
        "。" if n % 25 == 24 else chr(rng.randrange(0x4E00, 0x9FA5)) for n in range(length)
    )


def pdf_lines(pdf) -> list[list[tuple[float, float, str]]]:
    """Per page, every run of text pdftotext finds: (top, bottom, text).

    Words, not lines: pdftotext joins words side by side into one line (a long text and
    the section name beside it), while each cell's line of text is a word of its own.
    """
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        words = re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
            page,
        )
        pages.append([(float(top), float(bottom), text) for top, bottom, text in words])
    return pages


def lines_of(text: str, lines) -> list[tuple[float, float, str]]:
    return [line for line in lines if len(line[2]) >= 6 and line[2] in text]


@pytest.fixture(scope="module")
def printed_round(tmp_path_factory):
    """A round whose 简要事迹 allows 2000 characters, every long text filled to its limit,
    saved as PDF by LibreOffice."""
    from conftest import ROUND_ROSTER, soffice_path

    soffice = soffice_path()
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    folder = tmp_path_factory.mktemp("printed")
    (folder / "roster.csv").write_text(ROUND_ROSTER, encoding="utf-8")
    deeds = (shipped_templates_dir() / "shenbao-biaobing.yaml").read_text(encoding="utf-8")
    deeds = deeds.replace("about: 200, max_length: 300", "about: 2000, max_length: 2500")
    (folder / "biaobing.yaml").write_text(deeds, encoding="utf-8")
    round_text = SEED_ROUND.read_text(encoding="utf-8")
    round_text = round_text.replace("application: shenbao-biaobing", "application: biaobing.yaml")
    (folder / "round.yaml").write_text(round_text, encoding="utf-8")
    result = generate_round(
        folder / "round.yaml",
        folder / "workbooks",
        roster_path=folder / "roster.csv",
        workdir=folder,
    )
    ctx = open_round(workdir=folder)
    path = next(g.path for g in result.files if g.unit_id == "SMALL")
    texts: dict[str, str] = {}
    wb = openpyxl.load_workbook(path)
    slots = ctx.round.slots_of("SMALL")
    for layout in ctx.round.book(slots).sheets:
        if layout.sheet_name not in ("文明单位", "文明标兵-1"):
            continue
        ws = wb[layout.sheet_name]
        for inp in layout.inputs:
            if inp.kind == "note" or (inp.field_type == "text" and (inp.max_length or 0) >= 200):
                length = 2000 if inp.key == "deeds" else inp.max_length
                text = cjk_text(length, f"{layout.sheet_name}{inp.ref}")
                ws[inp.ref] = text
                texts[f"{layout.sheet_name}!{inp.ref}"] = text
    filled = folder / "filled.xlsx"
    wb.save(filled)
    libreoffice_convert(soffice, [filled], folder / "pdf", folder / "profile", fmt="pdf")
    return texts, folder / "pdf" / "filled.pdf", ctx


@pytest.mark.libreoffice
def test_long_texts_and_notes_are_all_in_the_pdf(printed_round):
    texts, pdf, _ = printed_round
    assert sum(len(t) == 2000 for t in texts.values()) == 1  # the 简要事迹
    assert sum(len(t) == 800 for t in texts.values()) == 1  # the 创建成效简介
    assert sum(len(t) == 100 for t in texts.values()) >= 23  # every note, at its limit
    flat = "".join(
        subprocess.run(
            ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True
        ).stdout.split()
    )
    missing = {where: len(text) for where, text in texts.items() if text not in flat}
    assert not missing


@pytest.mark.libreoffice
def test_long_texts_are_drawn_inside_their_boxes(printed_round):
    """pdftotext also finds text a cell clips: check where the lines are drawn, too.

    Notes: each note's lines end above the next note's (a clipped note would run into the
    next row).  简要事迹: every line on one page, above the office's opinion box below it.
    """
    texts, pdf, _ = printed_round
    pages = pdf_lines(pdf)
    notes = [t for t in texts.values() if len(t) == 100]
    for lines in pages:
        blocks = [lines_of(note, lines) for note in notes]
        blocks = sorted((b for b in blocks if b), key=lambda b: b[0][0])
        for above, below in zip(blocks, blocks[1:], strict=False):
            assert max(b for _, b, _ in above) <= min(t for t, _, _ in below)
    deeds = next(t for t in texts.values() if len(t) == 2000)
    holding = [n for n, lines in enumerate(pages) if lines_of(deeds, lines)]
    assert len(holding) == 1, "the 简要事迹 prints on one page"
    lines = pages[holding[0]]
    drawn = lines_of(deeds, lines)
    opinion = next(t for t, _, text in lines if text.startswith("单位推荐意见"))
    assert max(b for _, b, _ in drawn) < opinion
    assert "".join(text for _, _, text in drawn) == "".join(deeds.split())


def test_long_text_rows_never_exceed_excels_maximum():
    for name in ("shenbao-danwei", "shenbao-chuangkou", "shenbao-biaobing", "wenming-danwei"):
        layout = build_layout(load_rubric(name))
        assert all(0 < h <= 409 for _, h in layout.reserved_heights)
    big = parse_rubric(
        "id: x\ntitle: 表\nversion: '1'\nfields:\n"
        "  - {id: deeds, label: 事迹, type: text, about: 2000, max_length: 2500}\n"
    )
    layout = build_layout(big)
    area = layout.input_named("xf_deeds")
    merge = next(c for c in layout.cells if c.input is area).merge_to
    assert merge[0] > area.row and merge[1] == 4  # several rows, columns B:E
    assert area.row - 1 in layout.page_breaks  # its label starts a printed page


def test_a_not_applicable_item_reads_as_such_in_the_details_and_the_changes(tmp_path):
    import io

    from xlsxflow.ingest import diff_submissions
    from xlsxflow.summary import summary_bytes

    _, ctx = make_round(tmp_path / "round")
    path = ctx_file(ctx, tmp_path, "CZJ")
    filled = fill(path, tmp_path / "filled" / path.name, scores={"i16": "不适用"})
    report = ingest_entries(tmp_path, ctx, {filled.name: filled})
    rec = record_of(report, filled.name)
    assert rec.status == "accepted" and not [i for i in rec.issues if i.severity == "error"]
    wb = openpyxl.load_workbook(io.BytesIO(summary_bytes(report, ctx.rubric, ctx.roster)))
    details = next(wb[n] for n in wb.sheetnames if n.endswith("明细"))
    header = [c.value for c in details[1]]
    row = next(r for r in details.iter_rows(values_only=True) if r[0] == "CZJ")
    assert row[next(n for n, h in enumerate(header) if str(h).startswith("16"))] == "不适用"
    before = submission(ctx.rubric)
    change = diff_submissions(build_layout(ctx.rubric), before, rec.submission)
    assert {"label": "第16项（建立职工食堂食品卫生安全…）自评分", "new": "不适用"}.items() <= next(
        c for c in change if c["new"] == "不适用"
    ).items()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_validation_of_every_shipped_form_stays_inside_excels_limits(lang):
    from xlsxflow.roundfile import load_round
    from xlsxflow.writer import DV_ERROR_MAX, DV_TITLE_MAX

    rubrics = [load_rubric(p.stem) for p in shipped_templates_dir().glob("*.yaml")]
    layouts = [build_layout(r, lang) for r in rubrics if not r.has_conditions]  # no sheet yet
    rnd = load_round(SEED_ROUND)
    layouts += rnd.book({f.id: 2 for f in rnd.spec.forms}, lang).sheets
    custom = 0
    for layout in layouts:
        for inp in layout.inputs:
            dv = validation_for(inp, lang)
            if dv is None:
                continue
            assert len(dv["input_title"]) <= DV_TITLE_MAX
            assert len(dv["input_message"]) <= DV_INPUT_MAX
            assert len(dv["error_message"]) <= DV_ERROR_MAX
            if dv["validate"] == "custom":
                custom += 1
                assert len(dv["value"]) <= 255, (layout.sheet_name, inp.ref)
    assert custom


def test_a_month_typed_as_a_date_in_a_mac_excel_book_reads_in_its_date_system():
    """A date serial in a 1904 book (Mac Excel) is the month the person typed."""
    from datetime import date

    from xlsxflow.ooxml import RawCell
    from xlsxflow.values import parse_month

    serial_1904 = float((date(1985, 6, 1) - date(1904, 1, 1)).days)
    serial_1900 = float((date(1985, 6, 1) - date(1899, 12, 30)).days)
    assert parse_month(RawCell(serial_1904, "n", date1904=True)).value == "1985-06"
    assert parse_month(RawCell(serial_1900, "n")).value == "1985-06"
