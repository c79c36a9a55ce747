"""The zip layer of the reader (ooxml._Archive) against zipfile, which it replaces for plain
zips: the same entries, and for each entry the same bytes or the same error, on good zips,
on zips crafted to be wrong in one way each, and on many damaged at random (issue #16)."""

from __future__ import annotations

import io
import random
import struct
import types
import zipfile
import zlib

import pytest

from xlsxflow import ooxml
from xlsxflow.ooxml import ReadError, _read_entry, open_book


def outcome(read) -> tuple:
    try:
        return ("data", read())
    except Exception as exc:  # noqa: BLE001 - the error itself is what is compared
        return ("error", type(exc).__name__, str(exc))


def by_zipfile(data: bytes) -> tuple:
    """What zipfile makes of the zip: its entries, and each name's bytes or error."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001
        return ("error", type(exc).__name__, str(exc))
    infos = [(i.filename, i.file_size, i.compress_size) for i in zf.infolist()]
    names = dict.fromkeys(i.filename for i in zf.infolist())
    return infos, {name: outcome(lambda name=name: zf.read(name)) for name in names}


def by_archive(data: bytes) -> tuple:
    """The same, as the reader reads it."""
    ooxml._INFLATED.clear()
    try:
        archive = ooxml._Archive(data)
    except Exception as exc:  # noqa: BLE001
        return ("error", type(exc).__name__, str(exc))
    infos = [(i.filename, i.file_size, i.compress_size) for i in archive.infolist()]
    names = dict.fromkeys(i.filename for i in archive.infolist())
    reads = {name: outcome(lambda name=name: archive.read(name)) for name in names}
    # Read twice: the second reading of a part may come from the remembered inflations.
    again = {name: outcome(lambda name=name: archive.read(name)) for name in names}
    assert again == reads
    return infos, reads


BOMB = ("error", "ReadError", "file-zip-bomb")


def same_as_zipfile(data: bytes) -> tuple:
    """The reader reads ``data`` as zipfile does, except that an entry whose stream goes on
    past its declared size is refused as a bomb: zipfile inflates as much as one call gives
    (up to 2 GiB), then cuts it to the declared size and fails its CRC or not."""
    expected = by_zipfile(data)
    found = by_archive(data)
    if found[0] != "error" and expected[0] != "error":
        sizes = {name: size for name, size, _ in expected[0]}
        for name, outcome in found[1].items():
            was = expected[1][name]
            if outcome == BOMB and (was[0] == "error" or len(was[1]) == sizes[name]):
                found[1][name] = was
    assert found == expected
    return expected


# -- zips built entry by entry ----------------------------------------------------------------


def entry(name: str, body: bytes, method: int = zipfile.ZIP_DEFLATED, **kw) -> dict:
    """One entry as ``build`` writes it; keywords override what is written where."""
    stored = body if method == zipfile.ZIP_STORED else deflate(body)
    return {
        "name": name.encode(),
        "stored": stored,
        "method": method,
        "crc": zlib.crc32(body),
        "size": len(body),
        "csize": None,  # the length of "stored"
        "flags": 0,
        "version": 20,
        "local_name": None,
        "local_flags": None,
        "local_extra": b"",
        "extra": b"",
        "offset": None,
        "comment": b"",  # in the central directory
        **kw,
    }


def deflate(body: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(body) + c.flush()


def build(entries: list[dict], *, before: bytes = b"", comment: bytes = b"") -> bytes:
    """A zip with exactly these headers (no checks: the point is to write wrong ones)."""
    out = bytearray(before)
    offsets = []
    entries = [
        dict(e, csize=len(e["stored"]) if e["csize"] is None else e["csize"]) for e in entries
    ]
    for e in entries:
        offsets.append(len(out) - len(before))
        local_name = e["name"] if e["local_name"] is None else e["local_name"]
        local_flags = e["flags"] if e["local_flags"] is None else e["local_flags"]
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", e["version"], local_flags, e["method"], 0, 0x21,
            e["crc"], e["csize"], e["size"], len(local_name), len(e["local_extra"]),
        )  # fmt: skip
        out += local_name + e["local_extra"] + e["stored"]
    start = len(out) - len(before)
    for e, offset in zip(entries, offsets, strict=True):
        out += struct.pack(
            "<4s4B4H3L5HLL", b"PK\x01\x02", 20, 3, e["version"], 0, e["flags"], e["method"],
            0, 0x21, e["crc"], e["csize"], e["size"], len(e["name"]), len(e["extra"]), len(e["comment"]), 0,
            0, 0, offset if e["offset"] is None else e["offset"],
        )  # fmt: skip
        out += e["name"] + e["extra"] + e["comment"]
    size = len(out) - len(before) - start
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), size, start,
                       len(comment))  # fmt: skip
    return bytes(out + comment)


BODY = b"<worksheet>" + b"<row><c><v>1</v></c></row>" * 200 + b"</worksheet>"
PLAIN = [
    entry("[Content_Types].xml", b"<Types/>"),
    entry("xl/worksheets/sheet1.xml", BODY),
    entry("docProps/app.xml", b"<Properties/>", zipfile.ZIP_STORED),
    entry("xl/empty.xml", b""),
]


def plain(**changes) -> list[dict]:
    """PLAIN with the sheet's entry changed."""
    return [dict(e, **changes) if e["name"] == b"xl/worksheets/sheet1.xml" else e for e in PLAIN]


def test_plain_zips_are_read_without_zipfile():
    for data in (build(PLAIN), build(plain(flags=0x8))):  # 0x8: sizes in a data descriptor
        assert same_as_zipfile(data)[1]["xl/worksheets/sheet1.xml"] == ("data", BODY)
        archive = ooxml._Archive(data)
        assert [archive.read(n) for n in ("xl/empty.xml", "docProps/app.xml")] == [
            b"",
            b"<Properties/>",
        ]
        assert archive.read("xl/worksheets/sheet1.xml") == BODY
        assert archive._zf is None  # zipfile never needed


def test_zips_written_by_zipfile_and_utf8_names_are_read_without_zipfile():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", BODY)
        zf.writestr("xl/media/图片 1.png", b"\x89PNG" * 100, zipfile.ZIP_STORED)
        zf.writestr("é.xml", b"cp437 or utf-8")
    data = out.getvalue()
    same_as_zipfile(data)
    archive = ooxml._Archive(data)
    assert archive.read("xl/media/图片 1.png") == b"\x89PNG" * 100
    assert archive._zf is None


def local_size(entries: list[dict]) -> int:
    """Where the central directory starts in ``build(entries)``."""
    return sum(30 + len(e["name"]) + len(e["local_extra"]) + len(e["stored"]) for e in entries)


def patched(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


def hidden_zip64() -> bytes:
    """A zip whose last central entry's comment ends with zip64 end records: zipfile reads
    them, and they put the entries 5 bytes further on than the plain end record says."""
    size = len(build(PLAIN)) - 22 - local_size(PLAIN)  # the central directory, then + 76
    records = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 4, 4, size, local_size(PLAIN) - 5
    ) + struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 1)
    return build([*PLAIN[:-1], dict(PLAIN[-1], comment=records)])


SHEET_AT = local_size(PLAIN[:1])  # the sheet's local header
WRONG = {
    # Each differs in one way from a zip zipfile reads plainly; the reader must do as zipfile.
    "crc mismatch": build(plain(crc=zlib.crc32(BODY) ^ 1)),
    "crc mismatch, stored": build([entry("a.xml", b"abc", zipfile.ZIP_STORED, crc=1)]),
    "local header names another part": build(plain(local_name=b"xl/worksheets/sheet2.xml")),
    "local name longer": build(plain(local_name=b"xl/worksheets/sheet1.xml2")),
    "local utf-8 flag differs": build(plain(local_flags=0x800)),
    "bad local signature": patched(build(PLAIN), SHEET_AT, b"PK\x03\x05"),
    "truncated deflate stream": build(plain(stored=deflate(BODY)[:-40])),
    "truncated deflate stream, sizes as declared": build(
        plain(stored=deflate(BODY)[:-40], csize=len(deflate(BODY)))
    ),
    "stream shorter than declared, crc of what is there": build(plain(size=len(BODY) + 5)),
    "stream shorter than declared": build(plain(size=len(BODY) + 5, crc=7)),
    "compressed size past the next header": build(plain(csize=len(deflate(BODY)) + 30)),
    "compressed size short of the stream": build(plain(csize=len(deflate(BODY)) - 1)),
    "stored sizes differ": build([entry("a.xml", b"abcdef", zipfile.ZIP_STORED, size=3)]),
    "garbage after the stream": build(plain(stored=deflate(BODY) + b"junk")),
    "not deflate data": build(plain(stored=b"\xff" * 50)),
    "encrypted": build(plain(flags=0x1)),
    "patched data": build(plain(flags=0x20)),
    "strong encryption": build(plain(flags=0x40)),
    "bzip2": build([entry("a.xml", b"x", 12, stored=b"not bzip2", csize=9)]),
    "unknown method": build([entry("a.xml", b"x", 99, stored=b"x", csize=1)]),
    "version too new": build(plain(version=64)),
    "header offset past the end": build(plain(offset=10**6)),
    "header offset in the central directory": build(plain(offset=local_size(PLAIN))),
    "two entries at one offset": build([entry("a.xml", b"a"), entry("b.xml", b"b", offset=0)]),
    "one name twice": build([entry("a.xml", b"first"), entry("a.xml", b"second")]),
    "names that differ in case": build([entry("A.xml", b"first"), entry("a.xml", b"second")]),
    "nul in a name": build([entry("a.xml\x00.exe", b"x")]),
    "backslashes": build([entry("xl\\workbook.xml", b"x")]),
    "bad utf-8 name": build([dict(entry("a.xml", b"x"), name=b"\xff\xfe.xml", flags=0x800)]),
    "cp437 name": build([dict(entry("a.xml", b"x"), name=b"\x82\x83.xml")]),
    "timestamp extra": build(plain(extra=struct.pack("<HHBL", 0x5455, 5, 1, 0))),
    "local extra": build(plain(local_extra=struct.pack("<HHBL", 0x5455, 5, 1, 0))),
    "zip64 extra": build(plain(extra=struct.pack("<HHQ", 0x0001, 8, len(BODY)))),
    "zip64 extra with sizes": build(
        plain(extra=struct.pack("<HHQQ", 0x0001, 16, len(BODY), 3), size=0xFFFFFFFF)
    ),
    "unicode path extra": build(
        plain(
            extra=struct.pack("<HHBL", 0x7075, 10, 1, zlib.crc32(b"xl/worksheets/sheet1.xml"))
            + b"b.xml"
        )  # fmt: skip
    ),
    "corrupt extra": build(plain(extra=struct.pack("<HH", 0x5455, 9) + b"x")),
    "short extra tail": build(plain(extra=b"\x00\x01")),
    "empty zip": build([]),
    "archive comment": build(PLAIN, comment=b"a comment"),
    "data before the zip": build(PLAIN, before=b"MZ self-extractor stub"),
    "zip64 records in the last entry's comment": hidden_zip64(),
    # zipfile looks for a zip64 locator 20 bytes before the end record, or at the start of a
    # zip shorter than that; this one says the zip spans 2 disks.
    "zip64 locator in a small zip": b"PK\x06\x07"
    + bytes(4)
    + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 2, 2, 0, 8, 0),
}


@pytest.mark.parametrize("case", WRONG)
def test_what_zipfile_refuses_or_reads_oddly_is_left_to_zipfile(case):
    same_as_zipfile(WRONG[case])


def test_zip64_written_by_zipfile_is_left_to_zipfile():
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("xl/workbook.xml", "w", force_zip64=True) as f,
    ):
        f.write(BODY)
    same_as_zipfile(out.getvalue())


def test_a_damaged_entry_gives_the_same_error_as_before():
    """The ReadError a part's reading raises, detail and all, is the one zipfile's gave."""
    for entries in (
        plain(crc=5),
        plain(local_name=b"xl/worksheets/sheet2.xml"),
        plain(size=9**5, crc=7),
    ):
        data = build(entries)
        with pytest.raises(ReadError) as old:
            _read_entry(zipfile.ZipFile(io.BytesIO(data)), "xl/worksheets/sheet1.xml")
        with pytest.raises(ReadError) as new:
            _read_entry(ooxml._Archive(data), "xl/worksheets/sheet1.xml")
        assert (new.value.code, new.value.fields) == (old.value.code, old.value.fields)
        assert old.value.code == "file-corrupt"


class CountingInflate:
    """zlib.decompressobj as ooxml calls it, noting how much each call gave."""

    given: list[int] = []

    def __init__(self, wbits: int):
        self.inflate = zlib.decompressobj(wbits)

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out = self.inflate.decompress(data, max_length)
        self.given.append(len(out))
        return out

    def __getattr__(self, name: str):
        return getattr(self.inflate, name)


def test_sizes_are_checked_before_any_inflating(monkeypatch):
    counting = types.SimpleNamespace(
        decompressobj=CountingInflate, crc32=zlib.crc32, error=zlib.error
    )
    monkeypatch.setattr(ooxml, "zlib", counting)  # the reader's inflating only, not zipfile's
    CountingInflate.given = []
    ooxml._INFLATED.clear()
    big = entry("xl/workbook.xml", b"\x00" * (2 << 20))
    with pytest.raises(ReadError) as err:
        open_book(build([big]), ooxml.Limits(max_entry_uncompressed=1 << 20))
    assert err.value.code == "file-zip-bomb"
    assert CountingInflate.given == []  # refused by its declared size, nothing inflated
    # Declared 10 bytes, 2 MB in fact: this reader inflates 11 bytes and refuses it (zipfile
    # would inflate all of it before its CRC check failed).
    lying = build([dict(big, size=10)])
    with pytest.raises(ReadError) as err:
        ooxml._Archive(lying).read("xl/workbook.xml")
    assert err.value.code == "file-zip-bomb"
    assert CountingInflate.given == [11]


def test_randomly_damaged_zips_read_as_zipfile_reads_them():
    good = build(PLAIN)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for e in PLAIN:
            zf.writestr(e["name"].decode(), b"<x>%d</x>" % e["size"] * 50)
    written = out.getvalue()
    rng = random.Random(16)
    for n in range(1500):
        data = bytearray(good if n % 2 else written)
        if n % 5 == 0:
            del data[rng.randrange(len(data)) :]
        else:
            cd = data.rfind(b"PK\x01\x02")  # the last central header: aim near the headers too
            for _ in range(rng.randint(1, 3)):
                at = rng.choice(
                    [rng.randrange(len(data)), cd + rng.randrange(46), rng.randrange(60)]
                )
                data[min(at, len(data) - 1)] ^= rng.randint(1, 255)
        same_as_zipfile(bytes(data))


# -- through open_book ------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKBOOK = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/xl/workbook.xml" ContentType="x"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
    f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
    '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
    f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
    '<c r="A1"><v>7</v></c></row></sheetData></worksheet>',
}


def workbook(names: dict[str, str] | None = None, **changes) -> bytes:
    """A one-sheet xlsx; ``names`` renames entries, ``changes`` alters the workbook's entry."""
    entries = []
    for name, body in WORKBOOK.items():
        e = entry((names or {}).get(name, name), body.encode())
        entries.append(dict(e, **changes) if name == "xl/workbook.xml" else e)
    return build(entries)


def opened(data: bytes) -> tuple:
    """What open_book, a sheet's reading and canonical_package make of the file."""
    try:
        book = open_book(data)
        sheet = book.read_sheet(book.sheets[0])
        return (
            [(s.name, s.state, s.part) for s in book.sheets],
            book.parts,
            book.rels,
            sorted(sheet.cells.items()),
            by_zipfile(ooxml.canonical_package(data)),
        )
    except ReadError as err:
        return ("error", err.code, err.fields)


@pytest.mark.parametrize(
    "data",
    [
        workbook(),
        workbook({"xl/workbook.xml": "xl\\Workbook.xml", "_rels/.rels": "/_rels/.rels"}),
        workbook(crc=5),
        workbook(local_name=b"xl/workbook.xmL"),
        workbook(stored=b"\xff" * 9),
    ],
    ids=["plain", "odd names", "crc", "local name", "garbage"],
)
def test_a_workbook_opens_as_it_did_with_zipfile(data, monkeypatch):
    ooxml._INFLATED.clear()
    ooxml._PARSED.clear()
    fast = opened(data)
    monkeypatch.setattr(ooxml, "_central_directory", lambda _data: None)  # zipfile reads all
    ooxml._PARSED.clear()
    assert opened(data) == fast


def test_a_damaged_workbook_part_is_file_corrupt_with_zipfiles_words():
    with pytest.raises(ReadError) as err:
        open_book(workbook(crc=5))
    assert err.value.code == "file-corrupt"
    assert err.value.fields == {"detail": "xl/workbook.xml：Bad CRC-32 for file 'xl/workbook.xml'"}


def test_parts_returns_share_are_inflated_once():
    ooxml._INFLATED.clear()
    first, second = open_book(workbook()), open_book(workbook())
    assert first.read("xl/workbook.xml") is second.read("xl/workbook.xml")
    assert first.zf._zf is None and second.zf._zf is None  # zipfile never needed


def test_a_stream_longer_than_declared_is_refused_before_it_is_inflated():
    """The limits are checked on the declared sizes: an entry that inflates past its own is a
    bomb, refused after one byte too many (zipfile would inflate all of it, then compare)."""
    huge = b"\x00" * (50 * 1024 * 1024)
    for body, size in ((BODY, len(BODY) - 5), (huge, 100)):
        data = build(plain(stored=deflate(body), size=size, crc=zlib.crc32(body)))
        with pytest.raises(ReadError) as err:
            _read_entry(ooxml._Archive(data), "xl/worksheets/sheet1.xml")
        assert err.value.code == "file-zip-bomb"
        assert "xl/worksheets/sheet1.xml" in err.value.fields["detail"]
