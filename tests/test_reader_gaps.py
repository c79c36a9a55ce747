"""The reader's last gaps (issue #10 §5), each with a small file built here.

Found by a differential run against openpyxl and python-calamine on real-world files;
where this reader now follows the other readers, the test says which behaviour it copies.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest
from conftest import fill, ingest_entries, record_of, rewrite_zip
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from xlsxflow.layout import build_layout
from xlsxflow.messages import render
from xlsxflow.ooxml import ReadError, open_book, sniff
from xlsxflow.rubric import load_rubric
from xlsxflow.values import parse_date, shown

LAYOUT = build_layout(load_rubric("wenming-danwei"))
FILL_DATE = next(i for i in LAYOUT.inputs if i.key == "fill_date")
SHEET_PART = "xl/worksheets/sheet1.xml"

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{shared}</Types>'
)
SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def tiny_book(
    cells: str,
    *,
    workbook_pr: str = "",
    shared: list[str] | None = None,
    names: dict[str, str] | None = None,
    shared_target: str = "sharedStrings.xml",
    sheet_rid: str = "rId1",
) -> bytes:
    """A one-sheet xlsx written part by part; ``names`` renames zip entries."""
    names = names or {}
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared is not None:
        rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="{shared_target}"/>'
    parts = {
        "[Content_Types].xml": CONTENT_TYPES.format(shared=SHARED_TYPE if shared else ""),
        "_rels/.rels": f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{workbook_pr}<sheets>'
        f'<sheet name="S" sheetId="1" r:id="{sheet_rid}"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG_REL}">{rels}</Relationships>',
        SHEET_PART: f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{cells}</row>'
        "</sheetData></worksheet>",
    }
    if shared is not None:
        items = "".join(f"<si><t>{text}</t></si>" for text in shared)
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{items}</sst>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(names.get(name, name), '<?xml version="1.0"?>' + body)
    return out.getvalue()


def a1(data: bytes):
    book = open_book(data)
    try:
        return book.read_sheet(book.sheets[0]).get(0, 0)
    finally:
        book.close()


@pytest.fixture(scope="module")
def rnd(round_dir):
    folder, result, ctx = round_dir
    return folder, {g.unit_id: g.path for g in result.files}, ctx


def _ingest_one(tmp_path, ctx, name: str, data: bytes):
    return record_of(ingest_entries(tmp_path, ctx, {name: data}), name)


# -- the 1904 date system -------------------------------------------------------------


@pytest.mark.parametrize("flag", ["1", "true"])
def test_1904_date_system_is_honoured(flag):
    # 2021-01-01 is serial 44197 in the 1900 system and 42735 in the 1904 system.
    cell = a1(
        tiny_book('<c r="A1"><v>42735</v></c>', workbook_pr=f'<workbookPr date1904="{flag}"/>')
    )
    assert parse_date(cell).value == "2021-01-01"
    cell = a1(tiny_book('<c r="A1"><v>44197</v></c>', workbook_pr='<workbookPr date1904="0"/>'))
    assert parse_date(cell).value == "2021-01-01"


def test_1900_system_counts_its_fictitious_leap_day_as_excel_does():
    dates = {n: parse_date(a1(tiny_book(f'<c r="A1"><v>{n}</v></c>'))) for n in (1, 59, 60, 61)}
    assert [dates[n].value for n in (1, 59, 61)] == ["1900-01-01", "1900-02-28", "1900-03-01"]
    assert dates[60].status == "bad_date"  # 1900-02-29 does not exist


def test_a_mac_excel_return_reads_the_date_typed(rnd, tmp_path):
    _, files, ctx = rnd

    def mac(wb, ws, layout):
        wb.epoch = CALENDAR_MAC_1904  # saved as <workbookPr date1904="1"/> with 1904 serials
        ws[FILL_DATE.ref] = datetime(2021, 1, 1)

    path = fill(files["CZJ"], tmp_path / "src" / "mac.xlsx", edit=mac)
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    r = _ingest_one(tmp_path, ctx, "mac.xlsx", path.read_bytes())
    assert r.status == "accepted", r.issues
    assert r.submission.fields["fill_date"] == "2021-01-01"  # was 2016-12-31


# -- _xHHHH_ escapes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored,read",
    [
        ("a_xD801_b", "a_xD801_b"),  # a lone surrogate stays literal
        ("_xDE00__xD83D_", "_xDE00__xD83D_"),  # low before high: not a pair
        ("_xD83D__xDE00_", "\U0001f600"),  # a pair is the character it encodes
        ("_x005F_xD83D__xDE00_", "_xD83D__xDE00_"),  # escaped underscore, then a lone low
        ("x_x0007_y", "x\x07y"),
    ],
)
def test_escapes_decode_only_what_makes_a_character(stored, read):
    for cells, shared in (
        (f'<c r="A1" t="inlineStr"><is><t>{stored}</t></is></c>', None),
        ('<c r="A1" t="s"><v>0</v></c>', [stored]),
    ):
        value = a1(tiny_book(cells, shared=shared)).value
        assert value == read
        value.encode("utf-8")


# -- part names -----------------------------------------------------------------------


def test_shared_strings_part_is_found_whatever_its_case():
    data = tiny_book(
        '<c r="A1" t="s"><v>0</v></c>',
        shared=["文明单位"],
        names={"xl/sharedStrings.xml": "xl/SharedStrings.xml"},
    )
    assert a1(data).value == "文明单位"  # was silently empty


def test_a_shared_strings_part_that_is_missing_is_an_error():
    data = tiny_book('<c r="A1" t="s"><v>0</v></c>', shared=["x"], shared_target="strings.xml")
    with pytest.raises(ReadError) as err:
        a1(data)
    assert err.value.code == "file-corrupt" and "xl/strings.xml" in err.value.fields["detail"]


def test_a_reference_past_the_shared_strings_is_an_error_not_an_empty_cell():
    with pytest.raises(ReadError) as err:
        a1(tiny_book('<c r="A1" t="s"><v>3</v></c>', shared=["x"]))
    assert err.value.code == "file-corrupt" and "A1" in err.value.fields["detail"]


def test_entry_names_with_backslashes_are_read():
    names = {
        name: name.replace("/", "\\")
        for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", SHEET_PART)
    }
    data = tiny_book('<c r="A1" t="s"><v>0</v></c>', shared=["ok"], names=names)
    assert "xl\\workbook.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert a1(data).value == "ok"


def test_a_backslash_return_is_accepted(rnd, tmp_path):
    _, files, ctx = rnd
    good = fill(files["CZJ"], tmp_path / "src" / "czj.xlsx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename.replace("/", "\\"), zin.read(info))
    r = _ingest_one(tmp_path, ctx, "win.xlsx", out.getvalue())
    assert r.status == "accepted", r.issues


# -- broken structure -----------------------------------------------------------------


def test_a_corrupt_package_relationship_part_is_file_corrupt(rnd, tmp_path):
    _, _, ctx = rnd
    data = bytearray(tiny_book('<c r="A1"><v>1</v></c>'))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("_rels/.rels")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    r = _ingest_one(tmp_path, ctx, "bad.xlsx", bytes(data))
    assert r.status == "rejected"
    assert [i.code for i in r.issues] == ["file-corrupt"]  # was file-reader-crashed
    assert "_rels/.rels" in r.issues[0].message


def test_a_sheet_without_its_relationship_names_what_is_wrong():
    for rid in ("", "rId9"):
        book = open_book(tiny_book('<c r="A1"><v>1</v></c>', sheet_rid=rid))
        with pytest.raises(ReadError) as err:
            book.read_sheet(book.sheets[0])
        detail = err.value.fields["detail"]
        assert "工作表“S”" in detail and f"r:id=“{rid}”" in detail, detail
    data = rewrite_zip(
        tiny_book('<c r="A1"><v>1</v></c>'), {"xl/_rels/workbook.xml.rels": lambda b: None}
    )
    book = open_book(data)
    with pytest.raises(ReadError) as err:
        book.read_sheet(book.sheets[0])
    assert "缺少部件 xl/_rels/workbook.xml.rels" in err.value.fields["detail"]


# -- files that are not xlsx ----------------------------------------------------------


@pytest.mark.parametrize("with_rels", [True, False])
def test_xlsb_has_its_own_code(rnd, tmp_path, with_rels):
    _, _, ctx = rnd
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        if with_rels:
            zf.writestr(
                "_rels/.rels",
                f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
                f'Type="{REL}/officeDocument" Target="xl/workbook.bin"/></Relationships>',
            )
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00\x80\x01\x00")
    for name in ("a.xlsb", "b.xlsx"):
        r = _ingest_one(tmp_path, ctx, name, out.getvalue())
        assert [i.code for i in r.issues] == ["file-xlsb"]  # was file-bad-xml
        assert r.reason == render("file-xlsb") and "另存为" in r.reason


@pytest.mark.parametrize(
    "name,content",
    [
        ("list.csv", "单位编号,自评分\nCZJ,95\n".encode()),
        ("renamed.xlsx", "单位编号,自评分\nCZJ,95\n".encode()),
        ("western.csv", "Unité;Note\r\nCafé Müller;95\r\nSéverine;88,5\r\n".encode("cp1252") * 5),
    ],
)
def test_text_files_name_their_real_extension(rnd, tmp_path, name, content):
    _, _, ctx = rnd
    r = _ingest_one(tmp_path, ctx, name, content)
    suffix = name[name.rindex(".") :]
    assert r.issues[0].code == "file-text-renamed"  # western.csv was "无法识别的文件内容"
    assert f"扩展名为 {suffix}" in r.reason
    assert r.reason == render("file-text-renamed", kind="CSV/文本", suffix=suffix)


def test_latin1_text_is_text_and_noise_is_not():
    western = "Name;Größe\r\nJosé;1,5\r\n".encode("latin-1") * 20
    assert sniff(western, len(western), ".csv") == "text"
    noise = bytes(range(256)) * 4
    assert sniff(noise, len(noise), ".csv") == "unknown"


# -- t="d" and t="b" cells, as openpyxl and python-calamine read them -----------------


@pytest.mark.parametrize(
    "stored,serial",
    [
        ("12:30:00", 0.5208333333333334),  # both read datetime.time(12, 30)
        ("1899-12-30T12:30:00", 0.5208333333333334),  # both: datetime(1899, 12, 30, 12, 30)
        ("2021-01-01", 44197.0),
        ("2021-01-01T06:00:00+08:00", 44197.25),  # was a crash (aware minus naive)
        ("", None),
        ("not a date", "not a date"),  # calamine keeps the text
    ],
)
def test_iso_date_cells(stored, serial):
    for pr in ("", '<workbookPr date1904="1"/>'):  # ISO text names the date in both systems
        cell = a1(tiny_book(f'<c r="A1" t="d"><v>{stored}</v></c>', workbook_pr=pr))
        expected = pytest.approx(serial) if isinstance(serial, float) else serial
        assert cell.value == expected
        if stored.startswith("2021"):
            assert parse_date(cell).value == "2021-01-01"
        if isinstance(serial, float) and serial < 1:  # a time alone reads as a time in messages
            assert shown(cell) == "12:30"


@pytest.mark.parametrize(
    "xml,value",
    [
        ('<c r="A1" t="b"/>', None),  # was False; openpyxl and calamine: empty
        ('<c r="A1" t="b"><v></v></c>', None),
        ('<c r="A1" t="b"><v>1</v></c>', True),
        ('<c r="A1" t="b"><v>0</v></c>', False),
        ('<c r="A1" t="b"><v>true</v></c>', True),
    ],
)
def test_boolean_cells(xml, value):
    assert a1(tiny_book(xml)).value is value


def test_an_empty_boolean_in_a_score_cell_is_missing_not_a_value(rnd, tmp_path):
    _, files, ctx = rnd
    good = fill(files["CZJ"], tmp_path / "src" / "czj.xlsx").read_bytes()

    def empty_bool(body: bytes) -> bytes:
        return re.sub(rb'<c r="D6"[^>]*?(/>|>.*?</c>)', b'<c r="D6" t="b"/>', body, count=1)

    r = _ingest_one(tmp_path, ctx, "a.xlsx", rewrite_zip(good, {SHEET_PART: empty_bool}))
    assert [(i.code, i.cell) for i in r.issues] == [("value-missing", "D6")]


def test_openpyxl_agrees_on_the_books_built_here():
    """The small books above are real xlsx files: openpyxl reads them the same way."""
    data = tiny_book('<c r="A1" t="b"/><c r="B1" t="d"><v>12:30:00</v></c>')
    ws = openpyxl.load_workbook(io.BytesIO(data))["S"]
    assert ws["A1"].value is None and str(ws["B1"].value) == "12:30:00"


# -- no string from a return can break the summary, report.json or feedback ------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from xlsxflow.feedback import make_feedback  # noqa: E402
from xlsxflow.ingest import ingest  # noqa: E402
from xlsxflow.isolation import Isolation  # noqa: E402
from xlsxflow.summary import write_report_json, write_summary  # noqa: E402

HOSTILE_PIECES = [
    "_xD801_",  # a lone high surrogate
    "_xDC00_",  # a lone low surrogate
    "_xD83D__xDE00_",  # a pair: one emoji
    "_x0000_",  # NUL
    "_x005F_x0000_",  # an escaped escape
    "_x0007__x001B_",  # control characters
    "\u202e\u200b",  # bidi override, zero width
    '=HYPERLINK("http://x")',
    "<&>\"'",
    "\t\r\n",
    "长" * 5000,  # very long
]
# Names a spreadsheet program or a Windows disk gives returns: GB18030 bytes on a UTF-8
# system arrive as surrogates (surrogateescape), as do bytes that are no encoding at all.
HOSTILE_NAMES = [
    "CZJ.xlsx",
    os.fsdecode(b"CZJ_\xd5\xc5\xc8\xfd.xlsx"),
    os.fsdecode(b"CZJ_\xff\xfe.xlsx"),
]


def _xml_text(text: str) -> str:
    """``text`` as a cell's XML: markup escaped, characters XML cannot hold as _xHHHH_."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(
        ch
        if ch in "\t\n\r"
        or (" " <= ch <= "\ud7ff")
        or ("\ue000" <= ch <= "\ufffd")
        or ch > "\uffff"
        else f"_x{ord(ch):04X}_"
        for ch in text
    )


hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=20)), min_size=1, max_size=6
).map("".join)


def _with_text(good: bytes, texts: dict[str, str]) -> bytes:
    def change(body: bytes) -> bytes:
        for ref, text in texts.items():
            xml = f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
            cell = rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode()
            body = re.sub(cell, lambda _m, xml=xml: xml.encode(), body, count=1)
        return body

    return rewrite_zip(good, {SHEET_PART: change})


NOTE = next(i for i in LAYOUT.inputs if i.kind == "note")
FILLER = next(i for i in LAYOUT.inputs if i.key == "filler")


@settings(
    max_examples=int(os.environ.get("XLSXFLOW_FUZZ_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(hostile_text, min_size=4, max_size=4),
    name=st.sampled_from(HOSTILE_NAMES),
)
def test_hostile_strings_never_break_summary_report_or_feedback(
    round_dir, tmp_path_factory, texts, name
):
    folder, result, ctx = round_dir
    tmp = tmp_path_factory.mktemp("hostile")
    czj = next(g.path for g in result.files if g.unit_id == "CZJ")
    good = fill(czj, tmp / "src" / "czj.xlsx", scores={"i02": 1}).read_bytes()
    cells = dict(
        zip(["D6", NOTE.ref, FILLER.ref, FILL_DATE.ref], map(_xml_text, texts), strict=True)
    )
    returns = tmp / "returns"
    returns.mkdir()
    (returns / name).write_bytes(_with_text(good, cells))
    report = ingest(returns, ctx, isolation=Isolation(workers=0))
    write_summary(report, ctx.rubric, ctx.roster, tmp / "summary.xlsx")
    write_report_json(report, tmp / "report.json")
    items = make_feedback(report, ctx, returns, tmp / "feedback", folder / "workbooks")

    assert json.loads((tmp / "report.json").read_text("utf-8"))["files"]
    openpyxl.load_workbook(tmp / "summary.xlsx")
    open_book((tmp / "summary.xlsx").read_bytes()).close()
    assert items, "the return has problems: feedback is written"
    for item in items:
        openpyxl.load_workbook(item.workbook)  # comments hold no raw control characters
        item.message.read_text("utf-8")


def _backslashed(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename.replace("/", "\\"), zin.read(info))
    return out.getvalue()


def test_feedback_annotates_returns_openpyxl_alone_cannot_open(round_dir, tmp_path):
    folder, result, ctx = round_dir
    czj = next(g.path for g in result.files if g.unit_id == "CZJ")
    good = fill(czj, tmp_path / "src" / "czj.xlsx", scores={"i01": 99}).read_bytes()
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "CZJ.xlsx").write_bytes(_backslashed(good))
    with pytest.raises(KeyError):
        openpyxl.load_workbook(returns / "CZJ.xlsx")
    report = ingest(returns, ctx, isolation=Isolation(workers=0))
    [item] = make_feedback(report, ctx, returns, tmp_path / "feedback", folder / "workbooks")
    ws = openpyxl.load_workbook(item.workbook)[LAYOUT.sheet_name]
    ref = LAYOUT.input_named("xf_i01").ref
    assert ws[ref].comment is not None and "99" in ws[ref].comment.text


def test_feedback_for_a_return_openpyxl_refuses_is_sent_unannotated(round_dir, tmp_path):
    folder, result, ctx = round_dir
    czj = next(g.path for g in result.files if g.unit_id == "CZJ")
    good = fill(czj, tmp_path / "src" / "czj.xlsx", scores={"i01": 99}).read_bytes()
    note = NOTE.ref  # t="d" holding text: calamine and xlsxflow keep it, openpyxl raises

    def odd_date(body: bytes) -> bytes:
        xml = f'<c r="{note}" t="d"><v>abc</v></c>'.encode()
        return re.sub(rf'<c r="{note}"[^>]*?(/>|>.*?</c>)'.encode(), xml, body, count=1)

    data = rewrite_zip(good, {SHEET_PART: odd_date})
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "CZJ.xlsx").write_bytes(data)
    report = ingest(returns, ctx, isolation=Isolation(workers=0))
    assert record_of(report, "CZJ.xlsx").status == "accepted"
    [item] = make_feedback(report, ctx, returns, tmp_path / "feedback", folder / "workbooks")
    assert item.workbook.read_bytes() == data
    assert LAYOUT.input_named("xf_i01").ref in item.message.read_text("utf-8")
