"""The tree reader of worksheets (ooxml._read_sheet) against the streaming one it replaced
(ooxml._read_sheet_expat): the same cells, or the same error, on the files each producer
writes and on damaged ones (issue #16).  ``XLSXFLOW_READER_DIFF=1`` makes every test compare
both on every sheet it reads (see conftest.py)."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from conftest import fill, rewrite_zip, sheet_reading
from test_hostile import STRICT
from test_reader_gaps import tiny_book

from xlsxflow import ooxml


def _tree_only(book, info):
    data = book.read(info.part)
    ooxml._refuse_dtd(info.part, data)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:  # the streaming reader names the fault, as in _read_sheet
        return ooxml._read_sheet_expat(book, info, data)
    try:
        return ooxml._walk_sheet(book, info, root)
    except (ValueError, IndexError, KeyError) as exc:
        raise ooxml.ReadError("file-bad-xml", part=info.part, detail=str(exc)[:120]) from None


def _plain_only(book, info):
    try:
        return ooxml._read_plain_sheet(book, info, book.read(info.part))
    except (ValueError, IndexError, KeyError) as exc:
        raise ooxml.ReadError("file-bad-xml", part=info.part, detail=str(exc)[:120]) from None


PLAIN_READ: list[str] = []  # the sheets the plain reader took (not sent to the tree)


def assert_same(data: bytes) -> int:
    """The readers agree on every sheet of ``data``: the one ingest uses, the tree alone,
    the plain one where it takes the sheet, and the streaming reference.  Returns how many
    sheets were compared."""
    book = ooxml.open_book(data)
    try:
        infos = [info for info in book.sheets if info.part]
        for info in infos:
            old = sheet_reading(ooxml._read_sheet_expat, book, info)
            assert sheet_reading(ooxml._read_sheet, book, info) == old, info.part
            assert sheet_reading(_tree_only, book, info) == old, info.part
            try:
                plain = _plain_only(book, info)
            except ooxml.ReadError:
                plain = "error"
            if plain is not None:
                PLAIN_READ.append(info.name)
                assert sheet_reading(_plain_only, book, info) == old, info.part
        return len(infos)
    finally:
        book.close()


def plain_reads(data: bytes) -> int:
    """How many sheets of ``data`` the plain reader takes."""
    PLAIN_READ.clear()
    assert_same(data)
    return len(PLAIN_READ)


@pytest.fixture(scope="module")
def generated(round_dir):
    _, result, _ = round_dir
    return [g.path for g in result.files]


def test_generated_and_filled_workbooks(generated, tmp_path):
    for path in generated[:3]:
        assert plain_reads(path.read_bytes()) >= 2
    filled = fill(generated[0], tmp_path / "filled.xlsx").read_bytes()
    assert plain_reads(filled) >= 2


def test_strict_open_xml(generated, tmp_path):
    good = fill(generated[0], tmp_path / "filled.xlsx").read_bytes()

    def strict(body: bytes) -> bytes:
        for old, new in STRICT.items():
            body = body.replace(old, new)
        return body

    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        parts = [n for n in zf.namelist() if n.endswith((".xml", ".rels"))]
    assert plain_reads(rewrite_zip(good, dict.fromkeys(parts, strict))) >= 2


def test_other_producers(tmp_path):
    import pandas as pd

    pd.DataFrame({"单位": ["市财政局", None], "自评分": [95.5, float("nan")]}).to_excel(
        tmp_path / "pandas.xlsx", index=False
    )
    wb = xlsxwriter.Workbook(str(tmp_path / "xlsxwriter.xlsx"))
    ws = wb.add_worksheet("自评表")
    ws.write("D6", 6)
    ws.write_formula("D7", "=D6*2", None, 12)
    ws.write("A1", "文本\n换行")
    ws.write_boolean("B2", True)
    wb.close()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B3"], sheet["C4"] = "中文", 3.25, "=B3+1"
    sheet["D5"] = "2026-12-01"
    book.save(tmp_path / "openpyxl.xlsx")
    for name in ("pandas.xlsx", "xlsxwriter.xlsx", "openpyxl.xlsx"):
        assert assert_same((tmp_path / name).read_bytes()) == 1, name
        print(name, PLAIN_READ)


def test_libreoffice(generated, tmp_path, soffice):
    from conftest import libreoffice_convert

    src = fill(generated[0], tmp_path / "src" / "lo.xlsx")
    libreoffice_convert(soffice, [src], tmp_path / "lo", tmp_path / "profile")
    data = (tmp_path / "lo" / "lo.xlsx").read_bytes()
    assert plain_reads(data) >= 2
    book = ooxml.open_book(data)
    assert ooxml._read_plain_strings(book.read(ooxml._shared_strings_part(book))) is not None
    plain, streamed = _strings_both(data)
    assert plain == streamed and len(plain) > 10


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="A1" t="inlineStr"><is><r><t>a</t></r><rPh><t>x</t></rPh><r><t>b</t></r></is></c>',
        '<c r="A1" t="inlineStr"><is><t>1</t></is><is><t>2</t></is></c>',
        '<c r="A1"><v>1</v></c><c><v>2</v></c><c t="b"><v>1</v></c>',
        '<c r="A1"><f t="shared" si="0"/><v>3</v></c><c r="B1"><f>A1+1</f><v></v></c>',
        '<c r="A1" t="str"><f>"a"</f><v>a&amp;b_x000D_</v></c><c r="B1" t="e"><v>#N/A</v></c>',
        '<c r="A1" t="d"><v>2026-12-01T10:00:00Z</v></c><c r="B1" t="n"><v>abc</v></c>',
        '<c r="A1"><v>1<!-- c --><![CDATA[2]]></v></c><c r="$B$1" s=""><v> 4 </v></c>',
        '<c r="A1" s="x"><v>1</v></c>',
        '<c r="A1" t="str"><f>IF(A2=&quot;是&quot;,&apos;x&apos;,"&lt;")</f><v>&#x4E2D;&#65;&gt;</v></c>',
        '<c r="A1" t="inlineStr"><is><t xml:space="preserve"> a&amp;b </t></is></c><c r="B1"><v/></c>',
        '<c r="A1" t="str"><v>&#1;</v></c>',
        '<c r="A1" t="str"><v>&#x110000;</v></c>',
        '<c r="A1" t="str"><v>&nbsp;</v></c>',
        '<c r="A1" t="str"><v>a & b</v></c>',
        '<c r="A1" t="str" t="n"><v>1</v></c>',
        '<c r="A1" x:t="n"><v>1</v></c>',
        '<c r="A1" t="str"><v>\x01</v></c>',
        '<c r="A1"><v>1</v></c></row><row r="2"><row r="3"></row>',
        '<c s="1" r="B2" t="str" cm="1"><v>1</v></c><c r="C2" t="e" ><f t="shared" si="0" /><v /></c>',
        '<c r="ZZZ1"><v>1</v></c>',
        '<c r="A9999"><v>1</v></c>',
        '<c r="A1"><v>1</v>',
        '<c r="A1" t="s"><v>7</v></c>',
        '<c r="A1" t="s"><v> </v></c><c r="B1" t="s"><v>0</v></c>',
    ],
)
def test_cells_of_every_kind_and_damage(cells):
    assert assert_same(tiny_book(cells, shared=["共享"])) == 1


def test_rows_without_references_and_odd_rows():
    rows = (
        '<c r="A1"><v>1</v></c></row><row><c><v>2</v></c><c><v>3</v></c></row>'
        '<row r="0"><c><v>4</v></c></row><row r="x"><c r="C7"><v>5</v></c></row><row><c><v>6</v>'
        "</c>"
    )
    assert assert_same(tiny_book(rows)) == 1


def test_a_cell_out_of_range_before_broken_xml_is_reported_first():
    assert assert_same(tiny_book('<c r="A9999"><v>1</v></c><c r="B1"><v>&bad;</v></c>')) == 1
    assert assert_same(tiny_book('<c r="A1"><v>1</v></c><c r="B1"><v>&bad;</v></c>')) == 1


def test_the_dtd_is_refused_on_the_bytes_by_both():
    data = tiny_book('<c r="A1"><v>1</v></c>')
    doctype = b'<!DOCTYPE x [<!ENTITY a "b">]>'
    for encoding in ("utf-8", "utf-16-le"):

        def inject(body: bytes, encoding=encoding) -> bytes:
            text = body.decode().replace('<?xml version="1.0"?>', "")
            out = f'<?xml version="1.0" encoding="{encoding[:6]}"?>{doctype.decode()}{text}'
            return ("\ufeff" + out).encode(encoding) if encoding != "utf-8" else out.encode()

        hostile = rewrite_zip(data, {"xl/worksheets/sheet1.xml": inject})
        book = ooxml.open_book(hostile)
        info = book.sheets[0]
        for read in (ooxml._read_sheet, ooxml._read_sheet_expat):
            with pytest.raises(ooxml.ReadError) as err:
                read(book, info)
            assert err.value.code == "file-bad-xml"


def test_a_sheet_too_big_for_a_tree_is_streamed(monkeypatch):
    monkeypatch.setattr(ooxml, "TREE_MAX_BYTES", 10)
    data = tiny_book('<c r="A1"><v>1</v></c>')
    book = ooxml.open_book(data)
    assert book.read_sheet(book.sheets[0]).get(0, 0).value == 1.0


def _strings_both(data: bytes) -> tuple:
    """The shared strings as read (plainly where it can) and as the streaming reader reads."""
    out = []
    for plain in (True, False):
        ooxml._PARSED.clear()
        saved = ooxml._read_plain_strings
        if not plain:
            ooxml._read_plain_strings = lambda _data: None
        try:
            book = ooxml.open_book(data)
            out.append(book.shared_strings())
        except ooxml.ReadError as err:
            out.append((err.code, repr(sorted(err.fields.items()))))
        finally:
            ooxml._read_plain_strings = saved
    return tuple(out)


@pytest.mark.parametrize(
    "strings",
    [
        ["共享", "a&amp;b", "&#x4E2D;&lt;", "", "two\nlines", "_x000D_"],
        ['<t xml:space="preserve"> lead'],
        ["a</t><t>b"],
        ["bad &nbsp;"],
        ["a & b"],
        ["x</t><rPh><t>ruby</t></rPh><t>y"],
        [
            '</t><r><rPr><b/><sz val="10"/></rPr><t>粗</t></r><r><t xml:space="preserve"> &amp;</t></r><t>'
        ],
        ["</t><r><t>a</t></r><r><rPr><b/></rPr><t>b</t></r><t>"],
        ['</t><r><rPr><b a="1" a="2"/></rPr><t>b</t></r><t>'],
    ],
)
def test_shared_strings_plain_and_streamed(strings):
    data = tiny_book('<c r="A1" t="s"><v>0</v></c>', shared=strings)
    plain, streamed = _strings_both(data)
    assert plain == streamed


def test_shared_strings_of_the_producers_are_read_plainly(generated):
    filled = generated[0].read_bytes()  # XlsxWriter's (openpyxl writes none)
    book = ooxml.open_book(filled)
    data = book.read(ooxml._shared_strings_part(book))
    assert ooxml._read_plain_strings(data) is not None
    plain, streamed = _strings_both(filled)
    assert plain == streamed and len(plain) > 10


def _both_fills(data: bytes, limits: ooxml.Limits = ooxml.DEFAULT_LIMITS) -> tuple:
    """The chunked reading (remembered chunks) and the token-by-token one of the same sheet."""
    book = ooxml.open_book(data, limits)
    info = book.sheets[0]
    text = book.read(info.part).decode()
    region = text[text.find("<sheetData>") + len("<sheetData>") : text.find("</sheetData>")]
    out = []
    for fill_cells in (ooxml._fill_by_chunks, ooxml._fill_by_tokens):
        sheet = ooxml.Sheet(info.name, {})
        try:
            done = fill_cells(sheet, region, book)
        except ooxml.ReadError as err:
            done = err.code
        except ValueError:  # named by _read_sheet as file-bad-xml
            done = "ValueError"
        out.append((done, repr(list(sheet.cells.items()))))
    return tuple(out)


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="A1"><v>1</v></c><c r="B1" s="1"/><c r="C1" s="1"/>',  # empty cells after the last
        '<c r="A1"><v>1</v></c><c r="A1"><v>2</v></c>',  # the same cell twice: the last wins
        '<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>5</v></c>',  # no such string
        '<c r="A1" t="s"><v>-1</v></c><c r="B1" t="s"><v>x</v></c>',
        '<c r="A1" s="x"><v>1</v></c>',
        '<c r="A1"><v>1</v></c></row></row><row r="2"><c r="A2"><v>2</v></c>',
    ],
)
def test_remembered_chunks_read_as_the_tokens_do(cells):
    data = tiny_book(cells, shared=["共享"])
    for _ in range(2):  # the second time from the remembered chunks
        assert assert_same(data) == 1
        chunks, tokens = _both_fills(data)
        if chunks[0] is True:
            assert chunks == tokens


def test_remembered_chunks_take_each_books_own_strings_and_limits():
    cells = '<c r="A1" t="s"><v>0</v></c><c r="B1"><v>2</v></c><c r="C1" t="s"><v>1</v></c>'
    for shared in (["甲", "乙"], ["丙", "丁"]):
        book = ooxml.open_book(tiny_book(cells, shared=shared))
        sheet = book.read_sheet(book.sheets[0])
        assert [c.value for c in sheet.cells.values()] == [shared[0], 2.0, shared[1]]
    assert assert_same(tiny_book(cells, shared=["戊"])) == 1  # #1 is lost: an error, as before
    assert _both_fills(tiny_book(cells, shared=["甲", "乙"]))[0][0] is True
    for limits in (ooxml.Limits(max_cells=2), ooxml.Limits(max_cols=2), ooxml.Limits(max_rows=1)):
        data = tiny_book(cells, shared=["甲", "乙"])
        chunks, tokens = _both_fills(data, limits)
        book = ooxml.open_book(data, limits)
        expected = sheet_reading(ooxml._read_sheet_expat, book, book.sheets[0])
        assert sheet_reading(ooxml._read_sheet, book, book.sheets[0]) == expected
        assert chunks[0] is False or chunks == tokens


def test_a_long_chunk_is_read_token_by_token_and_not_remembered():
    cells = "".join(f'<c r="{ooxml.col_letter(i % 90)}1" s="1"/>' for i in range(2000))
    data = tiny_book(cells + '<c r="A1"><v>1</v></c>')
    assert assert_same(data) == 1
    assert all(len(piece) <= ooxml.CHUNK_MAX_CHARS for piece in ooxml._CHUNKS[False])
