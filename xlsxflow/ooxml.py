"""A small, bounded, safe reader for the parts of an xlsx file that ingest needs.

Why not openpyxl or calamine: ingest needs, in one pass, each cell's value, its
formula text, the cached formula result and its style, plus sheet states and
defined names, and it must refuse hostile input before spending time on it.
openpyxl needs two passes for formulas and cached values and loops on huge used
ranges; calamine sees no formulas and can abort the process (see KNOWN.md).
This reader uses the C expat parser with DTDs and entities refused (the same
rule defusedxml applies), reads both Transitional and Strict Open XML, and
enforces size limits before and while parsing.  Part names are matched as Excel
matches them (any case, "\\" or "/"), through one dict built per zip.

Speed (issue #16): a DTD is refused on the bytes before any parser runs.  A sheet's cells
and the shared strings, when written plainly (as every producer covered writes them), are
matched by one regular expression a cell, with what expat would check there checked too;
what lies around them is parsed by expat, and parts a round's returns share are parsed once
(remembered by their bytes).  Other sheets are read as a tree built in C, or streamed when
over 2 MB; ``_read_sheet_expat`` (the streaming reader) is the reference the others are
tested against.
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from io import BytesIO
from typing import NamedTuple
from xml.etree import ElementTree
from xml.parsers import expat

MAX_ROWS = 1_048_576
MAX_COLS = 16_384


@dataclass(frozen=True)
class Limits:
    """What a returned file may be; documented in the README (ingest --help)."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_entries: int = 1_000
    max_total_uncompressed: int = 200 * 1024 * 1024
    max_entry_uncompressed: int = 100 * 1024 * 1024
    max_ratio: int = 100  # compression ratio allowed for entries over 1 MiB
    max_sheets: int = 50
    max_rows: int = 5_000  # used range accepted on the sheets xlsxflow reads
    max_cols: int = 100
    max_cells: int = 100_000


DEFAULT_LIMITS = Limits()


class ReadError(Exception):
    """A file that cannot be read; ``code`` is a catalogue code."""

    def __init__(self, code: str, **fields):
        super().__init__(code)
        self.code = code
        self.fields = fields


# -- sniffing -----------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(head: bytes, size: int, suffix: str) -> str:
    """What a file is, from its first bytes: xlsx-zip, ole, empty, text, unknown."""
    if size == 0:
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    sample = head[:2048]
    if sample.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return "text"
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = (
            sample[: exc.start].decode("utf-8", "ignore") if exc.start > len(sample) - 4 else None
        )
    if text is None:
        try:
            text = sample.decode("gb18030")
        except UnicodeDecodeError:
            # Western Windows text (latin-1 / cp1252), e.g. a CSV saved by Excel in Europe;
            # binary data fails the printable test below.
            text = sample.decode("cp1252", errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return "text" if text and printable / len(text) > 0.95 else "unknown"


def text_kind(head: bytes) -> str:
    lowered = head[:512].lstrip().lower()
    if (
        lowered.startswith((b"<html", b"<!doctype html", b"<table", b"<meta"))
        or b"<html" in lowered
    ):
        return "HTML"
    if lowered.startswith(b"<?xml"):
        return "XML"
    return "CSV/文本"


def classify_ole(data: bytes, suffix: str) -> str:
    """encrypted (password-protected OOXML), et (WPS), or xls."""
    if (
        "EncryptionInfo".encode("utf-16-le") in data
        or "EncryptedPackage".encode("utf-16-le") in data
    ):
        return "encrypted"
    if suffix == ".et" or "WpsBook".encode("utf-16-le") in data:
        return "et"
    return "xls"


# -- XML ------------------------------------------------------------------------------


def _no_dtd(*_args):
    raise ValueError("DTD or entity declaration")


def _parser(start, end=None, chars=None) -> expat.XMLParserType:
    p = expat.ParserCreate(namespace_separator=" ")
    p.StartDoctypeDeclHandler = _no_dtd
    p.EntityDeclHandler = _no_dtd
    p.UnparsedEntityDeclHandler = _no_dtd
    p.ExternalEntityRefHandler = _no_dtd
    p.StartElementHandler = start
    if end:
        p.EndElementHandler = end
    if chars:
        p.CharacterDataHandler = chars
    p.buffer_text = True
    return p


_LOCAL_NAMES: dict[str, str] = {}


def _local(name: str) -> str:
    """ "uri c" → "c" (memoised: the parser calls this for every element)."""
    local = _LOCAL_NAMES.get(name)
    if local is None:
        local = name.rsplit(" ", 1)[-1]
        if len(_LOCAL_NAMES) < 4096:
            _LOCAL_NAMES[name] = local
    return local


# A DTD is the only way to declare entities; refused on the bytes before any parser sees
# them (UTF-8 and both UTF-16 orders: the encodings expat detects by itself).
_DOCTYPE = tuple("<!DOCTYPE".encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be"))

# Parts up to this size are read as a tree built in C; bigger ones are streamed (the
# largest sheet the limits accept, 100,000 cells, is about 4 MB; trees cost ~10x the bytes).
TREE_MAX_BYTES = 2 * 1024 * 1024


# How a part expat reads as UTF-16 begins (a byte-order mark, or "<" as a UTF-16 unit); any
# other part is read as UTF-8 or an 8-bit encoding, where a UTF-16 DOCTYPE is not one.
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


def _refuse_dtd(part: str, data: bytes) -> None:
    if _DOCTYPE[0] in data or (
        data[:2] in _UTF16_STARTS and any(marker in data for marker in _DOCTYPE[1:])
    ):
        raise ReadError("file-bad-xml", part=part, detail="DTD or entity declaration")


# An attribute as the plain readers match it (see _PLAIN): ASCII name, double quotes, no
# entity, no whitespace to normalise.
_ATTR = r'\s+[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?="[^"<&\t\n\r]*"'

_TAGS: dict[str, str] = {}


def _tag(tag) -> str:
    """ "{uri}c" → "c" (memoised: the walk asks this of every element)."""
    if not isinstance(tag, str):  # a comment or processing instruction
        return ""
    local = tag.rsplit("}", 1)[-1]
    if len(_TAGS) < 4096:
        _TAGS[tag] = local
    return local


_PARSED: dict[tuple, object] = {}
PARSED_MAX_BYTES = 64 * 1024  # parts up to this size have their reading remembered


def _remembered(key: tuple, data: bytes, make):
    """``make()``, remembered by the part's bytes (and ``key``): a round's returns share
    their package, workbook and often their shared strings; bounded in count and size."""
    if len(data) > PARSED_MAX_BYTES:
        return make()
    key = (*key, data)
    found = _PARSED.get(key)
    if found is None:
        found = make()
        if len(_PARSED) >= 64:  # at most 4 MB of parts held
            _PARSED.clear()
        _PARSED[key] = found
    return found


def _parse(part: str, data: bytes, start, end=None, chars=None) -> None:
    _refuse_dtd(part, data)
    try:
        _parser(start, end, chars).Parse(data, True)
    except ReadError:
        raise
    except (expat.ExpatError, ValueError, IndexError, KeyError) as exc:
        raise ReadError("file-bad-xml", part=part, detail=str(exc)[:120]) from None


# -- cells ----------------------------------------------------------------------------

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def parse_ref(text: str) -> tuple[int, int] | None:
    """ "D6" → (5, 3), 0-based; None when not a cell reference."""
    m = _REF.match(text.upper())
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


_REFS: dict[str, tuple[int, int]] = {}  # "D6" → (5, 3), for the references met most


def _cached_ref(text: str) -> tuple[int, int] | None:
    pos = parse_ref(text)
    if pos is not None and len(_REFS) < 20_000:
        _REFS[text] = pos
    return pos


def col_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    return f"{col_letter(col)}{row + 1}"


@dataclass(slots=True)  # made by the hundred for every return, and shared between returns
class RawCell:
    """A cell as stored: ``value`` is the cached value (number, str, bool or None)."""

    value: float | str | bool | None
    kind: str  # n, s, str, inlineStr, b, e, d
    formula: str | None = None  # text without "="; "" for a shared-formula child
    style: int = 0
    date1904: bool = False  # a number here counts days from 1904-01-01 (the book's date system)

    @property
    def is_error(self) -> bool:
        return self.kind == "e"


@dataclass
class Sheet:
    name: str
    cells: dict[tuple[int, int], RawCell]
    dimension: str = ""
    protected: bool = False
    # Style indexes that show a number as a percent (Book.percent_styles), set by the caller
    # where a rate is read: a cell typed "96%" holds 0.96 in such a style.
    percent_styles: frozenset[int] = frozenset()

    def get(self, row: int, col: int) -> RawCell | None:
        return self.cells.get((row, col))


@dataclass
class SheetInfo:
    name: str
    state: str  # visible, hidden, veryHidden
    part: str  # zip path; "" when the sheet's relationship is missing
    rid: str = ""  # the relationship id naming the part


@dataclass
class Book:
    """An opened xlsx: sheet list, names and the means to read sheets."""

    zf: _Archive  # the zip, read in memory (zipfile's reading, faster for plain zips)
    sheets: list[SheetInfo]
    defined_names: dict[str, str]
    has_macros: bool
    strict: bool
    limits: Limits
    workbook_part: str = "xl/workbook.xml"
    rels: dict[str, str] = field(default_factory=dict)  # the workbook's relationships: id → part
    rel_types: dict[str, str] = field(default_factory=dict)  # relationship type (last word) → part
    parts: dict[str, str] = field(default_factory=dict)  # part key (see part_key) → zip entry
    date1904: bool = False  # <workbookPr date1904="1"/>: serials count days from 1904-01-01
    _strings: list[str] | None = None
    _percent: frozenset[int] | None = None

    def sheet_info(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)

    def shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = _read_shared_strings(self)
        return self._strings

    def percent_styles(self) -> frozenset[int]:
        """Cell style indexes (a cell's ``s``) whose number format shows a percent: built-in
        formats 9 and 10 (0%, 0.00%) and custom codes with a % outside quotes.  Read from
        styles.xml on first use only (rates are few); an unreadable styles part gives none."""
        if self._percent is None:
            try:
                self._percent = _read_percent_styles(self)
            except ReadError:
                self._percent = frozenset()
        return self._percent

    def has(self, part: str) -> bool:
        return part_key(part) in self.parts

    def read(self, part: str) -> bytes:
        """A part's bytes; its name is matched as Excel matches it (see :func:`part_key`)."""
        entry = self.parts.get(part_key(part))
        if entry is None:
            raise ReadError("file-corrupt", detail=f"缺少部件 {part}")
        return _read_entry(self.zf, entry)

    def read_sheet(self, info: SheetInfo) -> Sheet:
        if not info.part:
            rels = _rels_path(self.workbook_part)
            where = f"在 {rels} 中找不到" if self.has(rels) else f"无从查找（缺少部件 {rels}）"
            raise ReadError(
                "file-corrupt", detail=f"工作表“{info.name}”的关系编号 r:id=“{info.rid}”{where}"
            )
        return _read_sheet(self, info)

    def close(self) -> None:
        self.zf.close()


def open_book(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Book:
    """Open xlsx bytes, checking the zip's shape before reading any XML."""
    try:
        zf = _Archive(data)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ReadError("file-corrupt", detail=str(exc)[:120]) from None
    _check_zip_shape(infos, limits)
    parts: dict[str, str] = {}
    has_macros = False
    for info in infos:
        key = part_key(info.filename)
        parts.setdefault(key, info.filename)
        has_macros = has_macros or key.endswith("vbaproject.bin")
    if "mimetype" in parts and b"opendocument" in _read_entry(zf, parts["mimetype"])[:100]:
        raise ReadError("file-ods")
    book = Book(
        zf=zf,
        sheets=[],
        defined_names={},
        has_macros=has_macros,
        strict=False,
        limits=limits,
        parts=parts,
    )
    workbook_part = _office_document(book)
    if workbook_part is None or not book.has(workbook_part):
        raise ReadError("file-corrupt", detail="不是 Excel 工作簿（缺少 workbook 部件）")
    if workbook_part.lower().endswith(".bin"):
        raise ReadError("file-xlsb")
    book.workbook_part = workbook_part
    book.rels = _read_rels(book, _rels_path(workbook_part), book.rel_types)
    _read_workbook(book, workbook_part, book.rels)
    if len(book.sheets) > limits.max_sheets:
        raise ReadError(
            "file-zip-bomb", detail=f"工作表数 {len(book.sheets)} 超过 {limits.max_sheets}"
        )
    return book


def canonical_package(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The same xlsx with each entry named as the package refers to it.

    For libraries stricter than Excel (openpyxl, used to annotate feedback): entry names
    with backslashes get forward slashes, and an entry whose name differs only in case
    from the name a relationship or content type gives it is renamed to that name.
    """
    book = open_book(data, limits)
    try:
        wanted: dict[str, str] = {}
        for key, entry in book.parts.items():
            if key.endswith(".rels"):
                for target in _read_rels(book, entry.replace("\\", "/")).values():
                    wanted.setdefault(part_key(target), target)
        if book.has("[Content_Types].xml"):

            def start(name, attrs):
                if _local(name) == "Override" and attrs.get("PartName"):
                    wanted.setdefault(part_key(attrs["PartName"]), attrs["PartName"].lstrip("/"))

            _parse("[Content_Types].xml", book.read("[Content_Types].xml"), start)
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in book.zf.infolist():
                key = part_key(info.filename)
                if book.parts[key] != info.filename:
                    continue  # a second entry of the same name: ignored, as open_book does
                target.writestr(wanted.get(key, info.filename.replace("\\", "/")), book.read(key))
        return out.getvalue()
    finally:
        book.close()


def _check_zip_shape(infos: list[zipfile.ZipInfo] | list[_Entry], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise ReadError("file-zip-bomb", detail=f"压缩包内有 {len(infos)} 个部件")
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > limits.max_entry_uncompressed:
            raise ReadError("file-zip-bomb", detail=f"{info.filename} 解压后 {size} 字节")
        if size > 1024 * 1024 and size > limits.max_ratio * max(info.compress_size, 1):
            raise ReadError("file-zip-bomb", detail=f"{info.filename} 压缩比异常")
    if total > limits.max_total_uncompressed:
        raise ReadError("file-zip-bomb", detail=f"解压后共 {total} 字节")


_PART_KEYS: dict[str, str] = {}


def part_key(name: str) -> str:
    """How a part name is matched: as Excel does, ignoring case, leading "/" and "\\" vs "/".

    Some Windows tools write zip entries as ``xl\\workbook.xml``; relationships may
    name ``sharedStrings.xml`` for an entry stored as ``xl/SharedStrings.xml``.
    Memoised: every return of a round names the same parts.
    """
    key = _PART_KEYS.get(name)
    if key is None:
        key = name.replace("\\", "/").lstrip("/").lower()
        if len(_PART_KEYS) < 4096:
            _PART_KEYS[name] = key
    return key


def _read_entry(zf: _Archive, entry: str) -> bytes:
    """One zip entry's bytes; a damaged entry is ``file-corrupt``, never a crash."""
    try:
        return zf.read(entry)
    except ReadError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise ReadError("file-corrupt", detail=f"{entry}：{exc}"[:160]) from None
    except Exception as exc:  # zlib.error and other decompression failures
        raise ReadError(
            "file-corrupt", detail=f"{entry}：{type(exc).__name__}: {exc}"[:160]
        ) from None


# -- zip ------------------------------------------------------------------------------
#
# A return is a small zip held in memory.  zipfile spends more on its objects (a ZipInfo an
# entry, a file object and a decompressor a read) than on inflating, so the plain zips every
# producer writes are read here with struct and zlib, checked as zipfile checks them; for
# anything else (an archive comment, zip64, data before the zip, encryption, another method,
# any inconsistency) zipfile itself reads the archive or the entry, so data and errors are
# exactly zipfile's.

_END = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
# A central directory header (46 bytes), the fields read here: signature, version needed,
# flags, method, CRC-32, sizes compressed and not, lengths of name, extra and comment, offset.
_CENTRAL = struct.Struct("<4s2xBxHH4x3L3H8xL")
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header (30 bytes)
_ZIP64_LOCATOR = b"PK\x06\x07"
_MAX_EXTRACT_VERSION = 63  # zipfile refuses entries needing a later version
_UTF8_NAME = 0x800  # flag bit 11: the name is UTF-8, not cp437
_ZIPFILE_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, patched data, strong encryption: zipfile's
_ZIPFILE_EXTRAS = (0x0001, 0x7075)  # zip64 sizes, Unicode path: extra fields zipfile reads
# Bytes of a name that zipfile changes (a NUL ends it; os.sep becomes "/"): in cp437 and in
# UTF-8 alike, these characters are these single bytes and no other.
_RENAMED = re.compile(
    b"[%s]" % re.escape("".join(c for c in ("\x00", os.sep, os.altsep or "") if c != "/").encode())
)

# (method, CRC-32, size, compressed bytes) → the part's bytes, checked: parts a round's
# returns share (relationships, workbook, untouched sheets) are inflated once.
_INFLATED: dict[tuple, bytes] = {}


class _Entry(NamedTuple):
    """A central directory entry, with the fields :func:`_check_zip_shape` reads."""

    filename: str
    file_size: int
    compress_size: int
    raw_name: bytes
    flag_bits: int
    compress_type: int
    crc: int
    header_offset: int


_new_entry = functools.partial(tuple.__new__, _Entry)  # without NamedTuple's Python __new__


def _plain_extra(extra: bytes) -> bool:
    """Whether zipfile would pass over this extra field (well formed, nothing it reads)."""
    while len(extra) >= 4:
        kind, size = struct.unpack_from("<HH", extra)
        if size + 4 > len(extra) or kind in _ZIPFILE_EXTRAS:
            return False
        extra = extra[size + 4 :]
    return True


def _central_directory(data: bytes) -> tuple[list[_Entry], int] | None:
    """The entries of a plain zip, as zipfile reads them, and where they end (the central
    directory's offset); None for anything zipfile should read itself.  Every entry this
    accepts, zipfile accepts with the same name and sizes."""
    end = len(data) - _END.size
    if end < 0:
        return None
    sig, _disk, _cd_disk, _here, _total, cd_size, cd_offset, comment = _END.unpack_from(data, end)
    if sig != b"PK\x05\x06" or comment or cd_offset + cd_size != end:
        return None  # a comment, data before the zip, or not a zip: zipfile searches
    locator = max(end - 20, 0)  # where zipfile looks for a zip64 locator (BytesIO clamps)
    if data[locator : locator + 4] == _ZIP64_LOCATOR:
        return None
    entries: list[_Entry] = []
    pos = cd_offset
    while pos < end:
        if pos + _CENTRAL.size > end:
            return None
        (sig, version, flags, method, crc, csize, size, name_len, extra_len, comment_len,
         offset) = _CENTRAL.unpack_from(data, pos)  # fmt: skip
        name_at = pos + _CENTRAL.size
        pos = name_at + name_len + extra_len + comment_len
        if sig != b"PK\x01\x02" or version > _MAX_EXTRACT_VERSION or pos > end:
            return None
        raw = data[name_at : name_at + name_len]
        if extra_len and not _plain_extra(
            data[name_at + name_len : name_at + name_len + extra_len]
        ):
            return None
        if _RENAMED.search(raw):
            return None
        if raw.isascii():  # the same in cp437 and UTF-8, and decoded without Python's codec
            name = raw.decode("ascii")
        else:
            try:
                name = raw.decode("utf-8" if flags & _UTF8_NAME else "cp437")
            except UnicodeDecodeError:
                return None
        entries.append(_new_entry((name, size, csize, raw, flags, method, crc, offset)))
    return entries, cd_offset


class _Archive:
    """The zip of a return, read in memory: by :func:`_central_directory` and
    :meth:`_inflate` when plain, else by zipfile (made at once, or on first need)."""

    def __init__(self, data: bytes):
        self.data = bytes(data)  # no copy of bytes; slices of it are hashable keys
        self._zf: zipfile.ZipFile | None = None
        self._ends: dict[int, int] | None = None
        plain = _central_directory(data)
        if plain is None:
            self._zf = zipfile.ZipFile(BytesIO(data))
            self.entries: list = self._zf.infolist()
            self.by_name: dict[str, _Entry] = {}
        else:
            self.entries, self._directory = plain
            # The last entry of a name, as zipfile's NameToInfo
            self.by_name = {e.filename: e for e in self.entries}

    @property
    def zf(self) -> zipfile.ZipFile:
        """zipfile's reading of the same bytes, for entries not read here."""
        if self._zf is None:
            self._zf = zipfile.ZipFile(BytesIO(self.data))
        return self._zf

    def infolist(self) -> list:
        return self.entries

    def _end_of(self, offset: int) -> int:
        """Where the data of the entry at ``offset`` must end: at the next header, or at the
        central directory (zipfile >= 3.12 refuses overlapping entries; two at one offset
        overlap)."""
        if self._ends is None:
            self._ends = {}
            after = self._directory
            for at in sorted((e.header_offset for e in self.entries), reverse=True):
                self._ends[at] = at if at in self._ends else after
                after = at
        return self._ends[offset]

    def read(self, name: str) -> bytes:
        """An entry's bytes, as ``zipfile.ZipFile.read`` gives them (or raises its error)."""
        entry = self.by_name.get(name)
        found = self._inflate(entry) if entry is not None else None
        return self.zf.read(name) if found is None else found

    def _inflate(self, entry: _Entry) -> bytes | None:
        """The entry's bytes when its local header, size and CRC-32 are as zipfile requires;
        None (zipfile then reads it, and says what is wrong) for anything else."""
        data, at = self.data, entry.header_offset
        if at + _LOCAL.size > len(data) or entry.flag_bits & _ZIPFILE_FLAGS:
            return None
        sig, _v, flags, _m, _t, _d, _crc, _cs, _s, name_len, extra_len = _LOCAL.unpack_from(
            data, at
        )
        start = at + _LOCAL.size + name_len + extra_len
        if (
            sig != b"PK\x03\x04"
            or (flags ^ entry.flag_bits) & _UTF8_NAME
            or data[at + _LOCAL.size : at + _LOCAL.size + name_len] != entry.raw_name
            or start + entry.compress_size > self._end_of(at)
        ):
            return None
        size = entry.file_size
        compressed = data[start : start + entry.compress_size]
        key = (entry.compress_type, entry.crc, size, compressed)
        small = size <= PARSED_MAX_BYTES and entry.compress_size <= PARSED_MAX_BYTES
        found = _INFLATED.get(key) if small else None
        if found is not None:
            return found  # the same bytes inflated and checked before: a round's shared part
        if entry.compress_type == zipfile.ZIP_STORED and entry.compress_size == size:
            found = compressed
        elif entry.compress_type == zipfile.ZIP_DEFLATED and entry.compress_size < 1 << 30:
            # (zipfile reads compressed data 1 GiB at a time; one read here is the same)
            inflate = zlib.decompressobj(-15)
            try:
                # At most one byte more than declared (a size _check_zip_shape accepted):
                # a stream that goes on is refused, never inflated to its end.
                found = inflate.decompress(compressed, size + 1)
            except zlib.error:
                return None
            if len(found) > size:  # more than declared: the limits were checked on a lie
                raise ReadError(
                    "file-zip-bomb",
                    detail=f"{entry.raw_name.decode('utf-8', 'replace')[:80]} 解压后超过声明的大小",
                )
            if not inflate.eof or len(found) != size:
                return None  # a short or unfinished stream
        else:
            return None
        if zlib.crc32(found) != entry.crc:
            return None
        if small:
            if len(_INFLATED) >= 64:  # at most 8 MB held
                _INFLATED.clear()
            _INFLATED[key] = found
        return found

    def close(self) -> None:
        if self._zf is not None:
            self._zf.close()


def _office_document(book: Book) -> str | None:
    if book.has("_rels/.rels"):
        found: list[str] = []

        def start(name, attrs):
            if _local(name) == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
                found.append(attrs.get("Target", ""))

        data = book.read("_rels/.rels")

        def read() -> tuple[str, ...]:
            _parse("_rels/.rels", data, start)
            return tuple(found)

        targets = _remembered(("office",), data, read)
        if targets:
            return _target_path("", targets[0])
    return next((p for p in ("xl/workbook.xml", "xl/workbook.bin") if book.has(p)), None)


def _target_path(folder: str, target: str) -> str:
    """A relationship's target as a part name (relative to the source part's folder)."""
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target)) if target else ""


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _read_rels(book: Book, rels_part: str, types: dict[str, str] | None = None) -> dict[str, str]:
    """Relationship id → part; ``types`` (if given) gets the last word of each type → part."""
    folder = posixpath.dirname(posixpath.dirname(rels_part))
    out: dict[str, str] = {}

    def start(name, attrs):
        if _local(name) == "Relationship":
            path = _target_path(folder, attrs.get("Target", ""))
            out[attrs.get("Id", "")] = path
            all_types.setdefault(attrs.get("Type", "").rsplit("/", 1)[-1], path)

    if book.has(rels_part):
        data = book.read(rels_part)
        all_types: dict[str, str] = {}

        def read() -> tuple[tuple, tuple]:
            _parse(rels_part, data, start)
            return tuple(out.items()), tuple(all_types.items())

        ids, typed = _remembered(("rels", rels_part), data, read)
        if types is not None:
            for kind, path in typed:
                types.setdefault(kind, path)
        return dict(ids)
    return out


STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def _read_workbook(book: Book, part: str, rels: dict[str, str]) -> None:
    data = book.read(part)
    strict, date1904, sheets, names = _remembered(
        ("workbook", part, tuple(rels.items())), data, lambda: _parse_workbook(part, data, rels)
    )
    book.strict, book.date1904 = strict, date1904
    book.sheets.extend(SheetInfo(*sheet) for sheet in sheets)
    book.defined_names.update(names)  # a copy: the remembered dict is never handed out


def _parse_workbook(part: str, data: bytes, rels: dict[str, str]) -> tuple:
    """(strict, date1904, sheets as (name, state, part, rid), defined names: name → text).

    The names stay a dict (copied from, never changed): a dict is copied in one step, and a
    workbook may define dozens of names (print areas, every rate cell)."""
    state = {"name": None, "text": [], "strict": False, "date1904": False}
    sheets: list[tuple[str, str, str, str]] = []
    names: dict[str, str] = {}

    def start(name, attrs):
        local = _local(name)
        if local == "workbook":
            state["strict"] = name.startswith(STRICT_NS)
        elif local == "workbookPr":
            state["date1904"] = attrs.get("date1904", "").lower() in ("1", "true")
        elif local == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id" and " " in k), "")
            sheets.append(
                (attrs.get("name", ""), attrs.get("state", "visible"), rels.get(rid, ""), rid)
            )
        elif local == "definedName":
            state["name"] = attrs.get("name", "")
            state["text"] = []

    def end(name):
        if _local(name) == "definedName" and state["name"] is not None:
            names[state["name"]] = "".join(state["text"])
            state["name"] = None

    def chars(text):
        if state["name"] is not None:
            state["text"].append(text)

    _parse(part, data, start, end, chars)
    return state["strict"], state["date1904"], tuple(sheets), names


def _shared_strings_part(book: Book) -> str | None:
    """The shared-strings part the workbook names, by relationship type (or by its usual name)."""
    part = book.rel_types.get("sharedStrings")
    if part:
        return part
    part = next((p for p in book.rels.values() if p.lower().endswith("sharedstrings.xml")), None)
    return part or ("xl/sharedStrings.xml" if book.has("xl/sharedStrings.xml") else None)


def _read_shared_strings(book: Book) -> list[str]:
    part = _shared_strings_part(book)
    if not part:
        return []  # a workbook without text; a cell that refers to a string is an error
    strings: list[str] = []
    buf: list[str] = []
    depth = {"rph": 0, "in_t": False}

    def start(name, attrs):
        local = _local(name)
        if local == "si":
            buf.clear()
        elif local == "rPh":
            depth["rph"] += 1
        elif local == "t" and not depth["rph"]:
            depth["in_t"] = True

    def end(name):
        local = _local(name)
        if local == "si":
            strings.append(_unescape_ooxml("".join(buf)))
        elif local == "rPh":
            depth["rph"] -= 1
        elif local == "t":
            depth["in_t"] = False

    def chars(text):
        if depth["in_t"]:
            buf.append(text)

    data = book.read(part)

    def read() -> tuple[str, ...]:
        _refuse_dtd(part, data)
        plain = _read_plain_strings(data)
        if plain is not None:
            return plain
        _parse(part, data, start, end, chars)
        return tuple(strings)

    return list(_remembered(("strings",), data, read))


_PLAIN_SI = re.compile(
    rf"(<si>(?:<t((?:{_ATTR})*)\s*>([^<]*)</t>|<t((?:{_ATTR})*)\s*/>)?</si>|<si\s*/>"
    rf"|<si>((?:<r>(?:<rPr>(?:<[A-Za-z]\w*(?:{_ATTR})*\s*/>)*</rPr>)?"
    rf"<t(?:{_ATTR})*\s*>[^<]*</t></r>)+)</si>)"
)
_RUN_TEXT = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>")  # within a run matched above
_RUN_TAGS = re.compile(rf"<\w+((?:{_ATTR})*)")
_STRING_NAMES = frozenset({"si", "t", "rPh", "r"})
_WHOLE = operator.itemgetter(0)  # a token's whole text


def _read_plain_strings(data: bytes) -> tuple[str, ...] | None:
    """Shared strings written plainly (one ``<si><t>`` each, no runs): matched by
    :data:`_PLAIN_SI` with expat's checks kept, as for sheets; None otherwise."""
    text = _plain_text(data)
    if text is None:
        return None
    first = text.find("<si")
    last = text.rfind("</si>")
    if first < 0 or last < first:
        return None  # no strings, or only empty ones: read by expat
    end = last + len("</si>")
    region = text[first:end]  # its characters are checked piece by piece (_strings_chunk)
    outside = _outside_parts(text[:first] + text[end:], _STRING_NAMES)
    if outside is None:
        return None
    _, _, prefixes = outside
    if _PREFIXED.search(region) and not set(_PREFIX.findall(region)) <= prefixes:
        return None
    pieces = region.split("</si>")  # each piece one string item (and empty ones before it)
    pieces.pop()  # "": the region ends with </si>
    known = _STRING_CHUNKS
    found = list(map(known.get, pieces))
    if None in found:  # pieces not met before
        for i, piece in enumerate(pieces):
            if found[i] is None:
                values = _strings_chunk(piece + "</si>")
                if values is None:
                    return None
                if len(known) >= TOKENS_MAX:
                    known.clear()
                known[piece] = found[i] = values
    return tuple(itertools.chain.from_iterable(found))


# A piece of the shared strings cut before each </si> → its strings; bounded.  The returns
# of a round share most of their strings (every label), so most are read once.
_STRING_CHUNKS: dict[str, tuple[str, ...]] = {}


def _strings_chunk(text: str) -> tuple[str, ...] | None:
    """The strings of ``text`` (string items up to one ``</si>``), matched by
    :data:`_PLAIN_SI` with expat's checks kept; None when not written plainly."""
    if not _plain_characters(text):
        return None
    tokens = _PLAIN_SI.findall(text)  # (the whole string item, then its parts or "")
    if sum(map(len, map(_WHOLE, tokens))) != len(text):
        return None  # something between the matches: not plain
    out: list[str] = []
    for _whole, attributes, value, empty_attributes, runs in tokens:
        if runs:  # rich text: the runs' texts, as the streaming reader joins them
            if not all(_unique_names(a) for a in _RUN_TAGS.findall(runs)):
                return None
            value = "".join(_RUN_TEXT.findall(runs))
        elif not _unique_names(attributes) or not _unique_names(empty_attributes):
            return None
        if "&" in value:
            try:
                value = _xml_text(value) or ""
            except ValueError:
                return None
        out.append(_unescape_ooxml(value) if "_x" in value else value)
    return tuple(out)


def _plain_characters(text: str) -> bool:
    """No character expat would refuse or change (a carriage return is read as a line feed),
    and no ``]]>`` outside CDATA."""
    return "\r" not in text and "]]>" not in text and not _NOT_XML.search(text)


def _utf8(data: bytes) -> bool:
    """Whether a part declares UTF-8, or no encoding (UTF-8 by default)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith(b"<?xml"):
        declared = _ENCODING.search(data, 0, data.find(b"?>"))
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            return False
    return True


def _plain_text(data: bytes) -> str | None:
    """A part's text when it is UTF-8 (as declared, or by default); None otherwise."""
    if not _utf8(data):
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


PERCENT_FORMATS = frozenset({9, 10})  # built-in number formats 0% and 0.00%
_NOT_SHOWN = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # quoted text, escapes, [Red]/[>=1]


def _read_percent_styles(book: Book) -> frozenset[int]:
    part = book.rel_types.get("styles")
    if not part or not book.has(part):
        return frozenset()
    codes: dict[int, str] = {}
    formats: list[int] = []  # cellXfs, in order: the index is a cell's s
    inside = {"cellXfs": False}

    def number(text: str | None) -> int:
        return int(text) if text and text.strip().isdigit() else 0

    def start(name, attrs):
        local = _local(name)
        if local == "numFmt":
            codes[number(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            inside["cellXfs"] = True
        elif local == "xf" and inside["cellXfs"]:
            formats.append(number(attrs.get("numFmtId")))

    def end(name):
        if _local(name) == "cellXfs":
            inside["cellXfs"] = False

    _parse(part, book.read(part), start, end)
    percent = {i for i in PERCENT_FORMATS if i not in codes}
    percent |= {i for i, code in codes.items() if "%" in _NOT_SHOWN.sub("", code)}
    return frozenset(n for n, fmt_id in enumerate(formats) if fmt_id in percent)


def _unescape_ooxml(text: str) -> str:
    """OOXML writes control characters as _xHHHH_ (UTF-16 code units; ``_x005F_`` is "_").

    Only what makes a character is decoded: a surrogate pair becomes the one character
    it encodes; a lone surrogate (``_xD801_``) stays literal, so every string this
    reader returns can be written as UTF-8.
    """
    if "_x" not in text:
        return text
    out: list[str] = []
    done = 0
    matches = list(_ESCAPED.finditer(text))
    i = 0
    while i < len(matches):
        m = matches[i]
        code = int(m.group(1), 16)
        out.append(text[done : m.start()])
        done = m.end()
        i += 1
        if 0xD800 <= code <= 0xDBFF and i < len(matches) and matches[i].start() == m.end():
            low = int(matches[i].group(1), 16)
            if 0xDC00 <= low <= 0xDFFF:
                out.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
                done = matches[i].end()
                i += 1
                continue
        out.append(m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code))
    out.append(text[done:])
    return "".join(out)


def _read_sheet(book: Book, info: SheetInfo) -> Sheet:
    """A worksheet's cells: the tree is built in C (ElementTree over expat), then walked
    once in document order.  Parts over ``TREE_MAX_BYTES`` are streamed instead (see
    :func:`_read_sheet_expat`), so no huge tree is ever built."""
    data = book.read(info.part)
    if len(data) > TREE_MAX_BYTES:
        return _read_sheet_expat(book, info, data)
    _refuse_dtd(info.part, data)
    try:
        sheet = _read_plain_sheet(book, info, data)
        if sheet is not None:
            return sheet
        try:
            root = ElementTree.fromstring(data)
        except (ElementTree.ParseError, ValueError, LookupError):
            # Not well formed: the streaming reader says where, and what it met before
            # (a cell out of range first is reported as such, as it always was).
            return _read_sheet_expat(book, info, data)
        return _walk_sheet(book, info, root)
    except (ValueError, IndexError, KeyError) as exc:  # as the streaming reader reports them
        raise ReadError("file-bad-xml", part=info.part, detail=str(exc)[:120]) from None


# The cells of a sheetData written plainly, as spreadsheet programs write it: one match a
# cell (its attributes, formula, value, inline text) or a row tag.  Anything else (an entity,
# a comment, CDATA, whitespace between tags, a child element not listed, a name outside
# ASCII) does not match, and the sheet is read as a tree instead: the same results, slower.
_PLAIN = re.compile(
    rf"(<c((?:{_ATTR})*)\s*(?:/>|>"
    rf"(<f((?:{_ATTR})*)\s*(?:/>|>([^<]*)</f>))?"
    r"(<v>([^<]*)</v>|<v\s*/>)?"
    rf"(<is><t((?:{_ATTR})*)\s*>([^<]*)</t></is>)?"
    r"</c>)"
    rf"|<row((?:{_ATTR})*)\s*(/?)>|</row>)"
)
_RST = re.compile(r' r="([^"]*)"(?: s="([^"]*)")?(?: t="([^"]*)")?')
_ANY_ATTR = re.compile(r'\s+([\w.:-]+)="[^"]*"')
_PREFIX = re.compile(r"\s([A-Za-z_][\w.-]*):")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PREFIXED = re.compile(r':[A-Za-z_][\w.-]*="')
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")


_XML_REF = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));")
_XML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _xml_char(m: re.Match) -> str:
    if m.group(1):
        return _XML_ENTITIES[m.group(1)]
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code > 0xFFFF:
        return chr(code)  # chr() refuses past 0x10FFFF: a ValueError, as expat refuses it
    raise ValueError("reference to invalid character number")


def _xml_text(text: str | None) -> str | None:
    """Text with its references (``&amp;``, ``&#39;``) resolved; ValueError for any other."""
    if not text or "&" not in text:
        return text
    if text.count("&") != len(_XML_REF.findall(text)):
        raise ValueError("undefined entity")
    return _XML_REF.sub(_xml_char, text)


def _unique_names(attributes: str | None) -> bool:
    """No attribute given twice (expat refuses that; the tree reader names it)."""
    if not attributes or attributes.count("=") < 2:
        return True
    names = _ANY_ATTR.findall(attributes)
    return len(names) == len(set(names))


def _read_plain_sheet(book: Book, info: SheetInfo, data: bytes) -> Sheet | None:
    """The sheet read by :data:`_PLAIN`; None when it is not written plainly.

    What lies outside sheetData is parsed by expat (well formed, the DTD refused, dimension
    and protection read as the streaming reader reads them); sheetData is matched whole,
    with what expat would check there checked here (characters, attributes given once,
    prefixes declared on the root, rows not nested).

    sheetData is cut into tokens (a cell, a row tag) by :data:`_TOKEN`, and each token's
    meaning is remembered (:func:`_token_entry`): the returns of a round repeat most of
    their cells byte for byte (every label, every locked point), so a token is matched by
    :data:`_PLAIN` and checked once, then only looked up."""
    if not _utf8(data):
        return None
    start = data.find(b"<sheetData>")
    end = data.find(b"</sheetData>")
    if start < 0 or end < start or data.find(b"<sheetData", start + 1) >= 0:
        return None
    start += len(b"<sheetData>")
    try:
        region = data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    # The rest is parsed by expat as bytes (it checks their UTF-8); the characters of the
    # region are checked chunk by chunk, where a chunk is first met (_chunk_entry).
    outside = _outside_parts(data[:start] + data[end:], _CELL_NAMES)
    if outside is None:
        return None
    dimension, protected, root_prefixes = outside
    if _PREFIXED.search(region) and not set(_PREFIX.findall(region)) <= root_prefixes:
        return None
    sheet = Sheet(info.name, {}, dimension, protected)
    if _fill_by_chunks(sheet, region, book):
        return sheet
    sheet.cells.clear()  # something the chunks do not decide: token by token, exactly
    return sheet if _fill_by_tokens(sheet, region, book) else None


def _fill_by_chunks(sheet: Sheet, region: str, book: Book) -> bool:
    """sheetData cut after each ``</c>`` (see :data:`_CHUNKS`), each chunk's cells put in
    place as remembered; False, with the sheet half filled, wherever the chunks cannot
    decide alone (a token not plain, a limit reached, an odd cell, rows out of order):
    :func:`_fill_by_tokens` then reads it exactly, and names what is wrong."""
    pieces = region.split("</c>")
    pieces[-1] += "\x00"  # the text after the last </c>: marked (sheetData holds no NUL)
    limits = book.limits
    max_rows, max_cols, max_cells = limits.max_rows, limits.max_cols, limits.max_cells
    date1904 = book.date1904
    known = _CHUNKS[date1904]
    strings = book.shared_strings()
    count = len(strings)
    cells = sheet.cells
    in_row: bool | None = False
    placed = 0
    for piece in pieces:
        chunk = known.get(piece)
        if chunk is None:
            if len(piece) > CHUNK_MAX_CHARS:
                return False  # many cells without content in a row: read token by token
            text = piece[:-1] if piece[-1] == "\x00" else piece + "</c>"
            chunk = _chunk_entry(text, date1904)
            if chunk is None:
                return False
            if len(known) >= TOKENS_MAX:
                known.clear()
            known[piece] = chunk
        after, last_row, last_col, n, template, shared = chunk
        in_row = after[in_row]
        placed += n
        if in_row is None or last_row >= max_rows or last_col >= max_cols or placed > max_cells:
            return False
        cells.update(template)  # every cell in order; a shared string as last read
        for remembered in shared:  # this book's text for each shared string
            pos, index, formula, style, cell = remembered
            if index >= count:
                return False
            value = strings[index]
            if cell is None or cell.value != value:
                cell = remembered[4] = template[pos] = RawCell(value, "s", formula, style, date1904)
            cells[pos] = cell
    return in_row is False


# sheetData cut after each </c>: a chunk holds one cell with content (and the empty cells
# and row tags before it); the text after the last </c> is a chunk too, marked by a NUL.
# str.split is ten times faster than any regular expression over sheetData, and a round's
# returns repeat most chunks byte for byte (labels, locked points).  Chunk (without its
# </c>) → (row state after it, from outside a row and from inside one; the largest row and
# column it places; how many cells; its cells as a dict, position → cell, in document
# order; its shared strings as [position, index, formula, style, the cell last made]),
# or None when the chunk is not plain or holds a cell only _fill_by_tokens reads.  A shared
# string's cell is made again only when a book's text for it differs from the last one
# (the labels of a round are the same text at the same index in every return).  Cells
# are never changed once made, so returns share them.  Bounded, by the book's date system.
_CHUNKS: dict[bool, dict[str, tuple]] = {False: {}, True: {}}
CHUNK_MAX_CHARS = 4096  # a longer chunk is not remembered (its tokens are)


def _chunk_entry(text: str, date1904: bool) -> tuple | None:
    if not _plain_characters(text):
        return None
    tokens = _TOKEN.findall(text)
    if sum(map(len, tokens)) != len(text):
        return None
    after: list[bool | None] = [False, True]
    template: dict[tuple[int, int], RawCell | None] = {}
    shared = []
    n = last_row = last_col = 0
    for token in tokens:
        entry = _token_entry(token, date1904)
        if entry is None:
            return None
        what = entry[0]
        if what == _READY:
            template[entry[1]] = entry[3]
        elif what == _SHARED and entry[3] >= 0:
            template[entry[1]] = None  # its place; the cell comes with the book's text
            shared.append([entry[1], entry[3], entry[4], entry[5], None])
        elif what >= _SHARED:
            return None  # a negative index, a lost string, a bad style: token by token
        else:
            after = [_row_step(state, what) for state in after]
            continue
        n += 1
        last_row, last_col = max(last_row, entry[1][0]), max(last_col, entry[1][1])
    if len(template) != n:
        return None  # a cell given twice: token by token, so the last one wins in place
    return tuple(after), last_row, last_col, n, template, tuple(shared)


def _row_step(in_row: bool | None, what: int) -> bool | None:
    """Whether a row is open after a row tag; None once rows are out of order."""
    if in_row is None:
        return None
    if what == _ROW_END:
        return False if in_row else None
    return None if in_row else what == _ROW_START


def _fill_by_tokens(sheet: Sheet, region: str, book: Book) -> bool:
    """sheetData read token by token (:data:`_TOKEN`, :func:`_token_entry`), with every
    limit and fault named in document order as the streaming reader names them; False
    when it is not written plainly (the tree reader then reads it)."""
    info_name = sheet.name
    if not _plain_characters(region):
        return False
    tokens = _TOKEN.findall(region)
    if sum(map(len, tokens)) != len(region):
        return False  # something between the tokens: not plain
    limits = book.limits
    max_rows, max_cols, max_cells = limits.max_rows, limits.max_cols, limits.max_cells
    date1904 = book.date1904
    known = _TOKENS[date1904]
    strings = book.shared_strings()
    cells = sheet.cells
    in_row = False
    for token in tokens:
        entry = known.get(token)
        if entry is None:
            entry = _token_entry(token, date1904)
            if entry is None:
                return False  # not a plain token: the tree reader reads (or names) it
            if len(known) >= TOKENS_MAX:
                known.clear()
            known[token] = entry
        what = entry[0]
        if what >= _READY:  # a cell
            pos = entry[1]
            if pos[0] >= max_rows or pos[1] >= max_cols:
                raise ReadError("file-range-too-large", sheet=info_name, ref=entry[2])
            if what == _SLOW:
                int(entry[3])  # a style that is not a number: named as the streaming reader
            if len(cells) >= max_cells:
                raise ReadError(
                    "file-range-too-large", sheet=info_name, ref=f"{len(cells)} 个单元格"
                )
            if what == _READY:
                cells[pos] = entry[3]
                continue
            if what == _SHARED:
                _, _, _, index, formula, style, cur = entry
                if 0 <= index < len(strings):
                    cells[pos] = RawCell(strings[index], "s", formula, style, date1904)
                    continue
                cells[pos] = _make_cell(cur, strings, date1904, info_name)
            else:  # _LOST: a shared-string cell whose index is not a number
                cells[pos] = _make_cell(entry[3], strings, date1904, info_name)
        elif what == _ROW_END:
            if not in_row:
                return False
            in_row = False
        elif in_row:  # a row inside a row
            return False
        else:
            in_row = what == _ROW_START
    return not in_row


# sheetData cut into its tokens: a cell (self-closed, or up to its </c>), a row tag.  Tag
# text never spans a "<" and a cell's content stops at the next cell, so the cut is linear
# on any input; what it cuts is then matched by _PLAIN, token by token.
_TOKEN = re.compile(r"<c\b[^<>]*?/>|<c\b[^<>]*>[^<]*(?:<(?!/?c\b)[^<]*)*</c>|<row\b[^<>]*>|</row>")
# What a token means, by kind (the first item of its entry):
_ROW_START, _ROW_EMPTY, _ROW_END = 0, 1, 2
_READY = 3  # (what, position, reference, the cell): shared by every sheet that holds it
_SHARED = 4  # (what, position, reference, string index, formula, style, the cell as a dict)
_LOST = 5  # (what, position, reference, the cell as a dict): read by _make_cell every time
_SLOW = 6  # (what, position, reference, style text): a style that is not a number (an error)
# Token → entry, by the book's date system; bounded (a round's returns repeat a few thousand).
_TOKENS: dict[bool, dict[str, tuple]] = {False: {}, True: {}}
TOKENS_MAX = 50_000  # per table and reading process: about 20 MB at most


def _token_entry(token: str, date1904: bool) -> tuple | None:
    """What one token of sheetData means (see :data:`_TOKENS`), checked as expat would
    check it; None when it is not written plainly.  Depends on nothing but the token and
    the date system: limits and shared strings are applied where it is used."""
    m = _PLAIN.match(token)
    if m is None or m.end() != len(token):
        return None
    (whole, attributes, has_f, f_attrs, formula, has_v, raw, has_is, t_attrs, inline,
     r_attrs, empty) = m.groups("")  # fmt: skip
    if whole[1] != "c":  # a row tag: rows matter only to cells without a reference
        if whole[1] == "/":
            return (_ROW_END,)
        if not _unique_names(r_attrs):
            return None
        return (_ROW_EMPTY,) if empty else (_ROW_START,)
    key = _cell_key(attributes)
    if key is None:
        return None
    pos, style, r, s, kind = key
    if (f_attrs and not _unique_names(f_attrs)) or (t_attrs and not _unique_names(t_attrs)):
        return None
    formula = formula if has_f else None
    raw = raw if has_v else None
    inline = inline if has_is else None
    if "&" in token:
        try:
            formula, raw, inline = _xml_text(formula), _xml_text(raw), _xml_text(inline)
        except ValueError:
            return None  # not a reference expat accepts: the tree reader names it
    if style is None:
        return (_SLOW, pos, r, s)
    if (kind is None or kind == "n") and raw and not date1904:
        try:
            return (_READY, pos, r, RawCell(float(raw), "n", formula, style))
        except ValueError:
            pass
    cur = {"t": kind or "n", "v": raw, "f": formula, "s": style, "pos": pos}
    if inline is not None:
        cur["is"] = [inline]
    if kind == "s" and raw is not None:
        try:
            return (_SHARED, pos, r, int(raw), formula, style, cur)
        except ValueError:
            return (_LOST, pos, r, cur)
    return (_READY, pos, r, _make_cell(cur, [], date1904, ""))  # needs no shared string


_CELL_ATTR = re.compile(r'\s+([\w.:-]+)="([^"]*)"')


def _cell_key(attributes: str) -> tuple | None:
    """What a cell's attribute text means: (position, style or None when not a number, r,
    s, t); None without a reference (the tree reader places it after the previous cell)."""
    plain = _RST.fullmatch(attributes)
    if plain is not None:
        r, s, kind = plain.groups()
    else:
        if not _unique_names(attributes):
            return None
        attrs = dict(_CELL_ATTR.findall(attributes))
        r, s, kind = attrs.get("r"), attrs.get("s"), attrs.get("t")
    pos = parse_ref(r) if r else None
    if pos is None:
        return None
    try:
        style = int(s) if s else 0
    except ValueError:
        style = None
    return pos, style, r, s, kind


_CELL_NAMES = frozenset({"c", "row", "v", "f", "is", "t", "rPh"})
_OUTSIDE: dict[tuple, tuple[str, bool, frozenset[str]] | None] = {}


def _outside_parts(
    skeleton: str | bytes, names: frozenset[str]
) -> tuple[str, bool, frozenset[str]] | None:
    """A part without the region matched plainly, parsed by expat: (a sheet's dimension,
    its protection, prefixes declared on the root), or None when it is not well formed or
    holds an element of ``names`` (read only in the region).  Remembered: every return of a
    round shares it (a bounded cache)."""
    key = (skeleton, names)
    if key in _OUTSIDE:
        return _OUTSIDE[key]
    found = {"dimension": "", "protected": False, "root": False, "other": False}
    prefixes: set[str] = {"xml"}

    def declared(prefix, _uri):
        if not found["root"] and prefix:
            prefixes.add(prefix)

    def start(name, attrs):
        found["root"] = True
        local = _local(name)
        if local == "dimension":
            found["dimension"] = attrs.get("ref", "")
        elif local == "sheetProtection":
            found["protected"] = attrs.get("sheet", "0") in ("1", "true")
        elif local in names:
            found["other"] = True

    parser = _parser(start)
    parser.StartNamespaceDeclHandler = declared
    try:
        parser.Parse(skeleton, True)
        result = (
            None
            if found["other"]
            else (found["dimension"], found["protected"], frozenset(prefixes))
        )
    except (expat.ExpatError, ValueError):
        result = None  # the tree reader names the fault
    if len(skeleton) <= PARSED_MAX_BYTES:
        if len(_OUTSIDE) >= 64:
            _OUTSIDE.clear()
        _OUTSIDE[key] = result
    return result


def _walk_sheet(book: Book, info: SheetInfo, root) -> Sheet:
    limits = book.limits
    max_rows, max_cols, max_cells = limits.max_rows, limits.max_cols, limits.max_cells
    sheet = Sheet(info.name, {})
    strings = book.shared_strings()
    date1904 = book.date1904
    cells = sheet.cells
    row: int | None = None  # the current row (0-based): cells without a reference follow
    last: tuple[int, int] | None = None  # the previous cell in that row
    for el in root.iter():
        local = _TAGS.get(el.tag) or _tag(el.tag)
        if local == "c":
            attrib = el.attrib
            r = attrib.get("r")
            pos = (_REFS.get(r) or _cached_ref(r)) if r else None
            if pos is None:
                pos = (0 if row is None else row, (last[1] + 1) if last else 0)
            if pos[0] >= max_rows or pos[1] >= max_cols:
                raise ReadError("file-range-too-large", sheet=info.name, ref=r or cell_ref(*pos))
            row = pos[0]
            last = pos
            kind = attrib.get("t", "n")
            style = int(attrib.get("s", 0) or 0)
            raw = formula = None
            inline: list[str] | None = None
            for child in el.iter():
                name = _TAGS.get(child.tag) or _tag(child.tag)
                if name == "v":
                    raw = _text(child)
                elif name == "f":
                    formula = _text(child)
                elif name == "is":
                    inline = _inline_text(child)  # the last one, as the streaming reader
            if len(cells) >= max_cells:
                raise ReadError(
                    "file-range-too-large", sheet=info.name, ref=f"{len(cells)} 个单元格"
                )
            if kind == "n" and not date1904 and raw:  # the common case, as _make_cell reads it
                try:
                    cells[pos] = RawCell(float(raw), "n", formula, style)
                    continue
                except ValueError:
                    pass
            cur = {"t": kind, "v": raw, "f": formula, "s": style, "pos": pos}
            if inline is not None:
                cur["is"] = inline
            cells[pos] = _make_cell(cur, strings, date1904, info.name)
        elif local == "row":
            r = el.attrib.get("r")
            row = int(r) - 1 if r and r.isdigit() else (-1 if row is None else row) + 1
            last = None
        elif local == "dimension":  # declared, not trusted: the cells themselves are checked
            sheet.dimension = el.attrib.get("ref", "")
        elif local == "sheetProtection":
            sheet.protected = el.attrib.get("sheet", "0") in ("1", "true")
    return sheet


def _text(el) -> str:
    """All text inside an element, as the streaming reader collects it."""
    return el.text or "" if not len(el) else "".join(el.itertext())


def _inline_text(el) -> list[str]:
    """The ``t`` texts of an inline string, phonetic runs (rPh) left out."""
    out: list[str] = []

    def walk(node) -> None:
        for child in node:
            name = _TAGS.get(child.tag) or _tag(child.tag)
            if name == "rPh":
                continue
            if name == "t":
                out.append(_text(child))
            else:
                walk(child)

    walk(el)
    return out


def _read_sheet_expat(book: Book, info: SheetInfo, data: bytes | None = None) -> Sheet:
    """The streaming reader (expat callbacks): used for parts too big for a tree, and the
    reference the tree reader is compared with (tests/test_reader_diff.py)."""
    limits = book.limits
    sheet = Sheet(info.name, {})
    strings = book.shared_strings()
    date1904 = book.date1904
    cells = sheet.cells
    cur: dict = {}
    text: list[str] = []
    collect = {"on": False, "rph": 0}

    def start(name, attrs):
        local = _local(name)
        if local == "c":
            r = attrs.get("r")
            pos = parse_ref(r) if r else None
            if pos is None:
                # Cells without a reference follow the previous one (allowed by the spec).
                last = cur.get("pos")
                pos = (cur.get("row", 0), (last[1] + 1) if last else 0)
            if pos[0] >= limits.max_rows or pos[1] >= limits.max_cols:
                raise ReadError("file-range-too-large", sheet=info.name, ref=r or cell_ref(*pos))
            cur.clear()
            cur.update(
                pos=pos,
                t=attrs.get("t", "n"),
                s=int(attrs.get("s", 0) or 0),
                v=None,
                f=None,
                row=pos[0],
            )
        elif local == "row":
            r = attrs.get("r")
            # A far-away row element alone (a formatted row) is harmless; its cells are checked.
            cur["row"] = int(r) - 1 if r and r.isdigit() else cur.get("row", -1) + 1
            cur["pos"] = None
        elif local in ("v", "f") and "pos" in cur:
            text.clear()
            collect["on"] = True
            if local == "f":
                cur["f"] = ""
        elif local == "is":
            cur["is"] = []
        elif local == "t" and "is" in cur and not collect["rph"]:
            text.clear()
            collect["on"] = True
        elif local == "rPh":
            collect["rph"] += 1
        elif local == "dimension":  # declared, not trusted: the cells themselves are checked
            sheet.dimension = attrs.get("ref", "")
        elif local == "sheetProtection":
            sheet.protected = attrs.get("sheet", "0") in ("1", "true")

    def end(name):
        local = _local(name)
        if local == "v":
            cur["v"] = "".join(text)
            collect["on"] = False
        elif local == "f":
            cur["f"] = "".join(text)
            collect["on"] = False
        elif local == "t" and "is" in cur and collect["on"]:
            cur["is"].append("".join(text))
            collect["on"] = False
        elif local == "rPh":
            collect["rph"] -= 1
        elif local == "c" and "pos" in cur:
            if len(cells) >= limits.max_cells:
                raise ReadError(
                    "file-range-too-large", sheet=info.name, ref=f"{len(cells)} 个单元格"
                )
            cells[cur["pos"]] = _make_cell(cur, strings, date1904, info.name)
            cur["pos_done"] = cur["pos"]
            cur.pop("is", None)

    def chars(data):
        if collect["on"]:
            text.append(data)

    _parse(info.part, book.read(info.part) if data is None else data, start, end, chars)
    return sheet


def _make_cell(cur: dict, strings: list[str], date1904: bool, sheet: str) -> RawCell:
    kind, raw, formula, style = cur["t"], cur["v"], cur["f"], cur["s"]
    value: float | str | bool | None
    if kind == "s":
        try:
            value = strings[int(raw)] if raw is not None else None
        except (ValueError, IndexError):
            value = _lost_string(strings, raw, sheet, cur["pos"])
    elif kind == "inlineStr":
        value = _unescape_ooxml("".join(cur.get("is", [])))
    elif kind in ("str", "e"):
        value = _unescape_ooxml(raw) if raw is not None else ("" if formula is not None else None)
    elif kind == "b":
        # As openpyxl and calamine: an empty boolean cell is empty, not FALSE.
        value = _BOOLEANS.get(raw.strip().lower(), raw) if raw and raw.strip() else None
    elif kind == "d":
        # An ISO date/time is turned into the serial Excel would store (always the 1900
        # system: the text names the date itself, whatever the book's date system).
        return RawCell(_iso_date(raw), kind, formula, style)
    else:
        try:
            value = float(raw) if raw not in (None, "") else None
        except ValueError:
            value = raw
    if date1904:
        return RawCell(value, kind, formula, style, True)
    return RawCell(value, kind, formula, style)


_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


def _lost_string(strings: list[str], raw: str, sheet: str, pos: tuple[int, int]) -> None:
    """A ``t="s"`` cell whose index names no shared string: empty only when it has none."""
    if not raw.strip():
        return None
    # Never read as an empty cell: the text is lost (a missing or truncated sharedStrings).
    raise ReadError(
        "file-corrupt",
        detail=f"工作表“{sheet}”的单元格 {cell_ref(*pos)} 引用的共享文本 #{raw[:20]} 不存在"
        f"（共享文本表共 {len(strings)} 条）",
    )


def _iso_date(raw: str | None) -> float | str | None:
    """ISO 8601 text of a ``t="d"`` cell → 1900-system serial; a time alone → a day fraction."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    try:
        if len(text) >= 10 and text[4] == "-":  # 2021-01-01, 2021-01-01T10:00:00+08:00
            moment = datetime.fromisoformat(text.removesuffix("Z").removesuffix("z"))
        else:  # "12:30:00": a time of day, as openpyxl and calamine read it
            of_day = time.fromisoformat(text.removesuffix("Z").removesuffix("z"))
            moment = datetime.combine(_TIME_ONLY_DAY, of_day)
    except ValueError:
        return raw  # kept as text: the checks name it
    from .values import excel_serial

    return excel_serial(moment.replace(tzinfo=None))


_TIME_ONLY_DAY = date(1899, 12, 30)  # serial 0 in the 1900 system
