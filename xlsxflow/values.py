"""Reading what people type: lenient where the meaning is certain, never guessing."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .ooxml import RawCell

_FULLWIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
_SPACES = " \t\r\n\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff"
_NUMBER = re.compile(r"^-?\d{1,6}(\.\d{1,6})?$")
# Excel's two date systems.  1900: serial 1 is 1900-01-01 and serial 60 is the 1900-02-29
# that never was (kept from Lotus 1-2-3), so from 1900-03-01 on, days count from
# 1899-12-30.  1904 (Mac Excel, <workbookPr date1904="1"/>): serial 0 is 1904-01-01.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_FAKE_LEAP_DAY = 60  # 1900-02-29 in the 1900 system
_LAST_SERIAL = 2958466  # 10000-01-01 in the 1900 system (exclusive)
_SYSTEMS_APART = 1462  # days between the two systems' serials for the same date


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one input cell."""

    value: float | str | None
    status: str  # ok, normalised, missing, not_number, formula, bad_date, bad_choice
    found: str = ""  # what was in the cell, for messages
    removed: str = ""  # invisible control / bidi characters taken out of text, as U+XXXX


# Characters nobody types on purpose: C0/C1 controls (but tab and line breaks),
# bidirectional overrides that can make text read differently than it is stored,
# and zero-width characters.
_INVISIBLE = {chr(c) for c in (*range(0, 32), 127, *range(0x80, 0xA0)) if chr(c) not in "\t\n\r"}
_INVISIBLE |= set(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)

# One search in C instead of a Python loop over every character of every text typed.
_INVISIBLE_SEARCH = re.compile("[" + re.escape("".join(sorted(_INVISIBLE))) + "]").search


def strip_invisible(text: str) -> tuple[str, str]:
    """``text`` without invisible characters, and which ones were removed (U+XXXX …)."""
    if _INVISIBLE_SEARCH(text) is None:
        return text, ""
    removed = sorted({ch for ch in text if ch in _INVISIBLE})
    return "".join(ch for ch in text if ch not in _INVISIBLE), " ".join(
        f"U+{ord(c):04X}" for c in removed
    )


def visible(text: str) -> str:
    """``text`` for a message: each invisible character shown as [U+XXXX] (no raw controls
    reach a comment, a workbook or a mail)."""
    if _INVISIBLE_SEARCH(text) is None:
        return text
    return "".join(f"[U+{ord(ch):04X}]" if ch in _INVISIBLE else ch for ch in text)


_SURROGATES = re.compile("[\ud800-\udfff]")


def writable(text: str) -> str:
    """``text`` that can be written as UTF-8, whatever its source.

    A file name the system could not decode arrives with its bytes as surrogates
    (Python's surrogateescape); on a Chinese office's disk those bytes are GB18030,
    so they are decoded as such.  Any other lone surrogate becomes U+FFFD.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("gb18030")
    except UnicodeError:
        return _SURROGATES.sub("\ufffd", text)


def shown(cell: RawCell | None) -> str:
    """How a cell's content reads in a message (formulas with their = sign)."""
    if cell is None:
        return ""
    value = cell.value
    if type(value) is str and not cell.formula:  # text as stored: the usual, shown as it is
        return value
    if cell.formula:
        return "=" + cell.formula
    if isinstance(value, float) and cell.kind == "d" and 0 <= value < 1:  # a time alone
        minutes = round(value * 24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "" if value is None else str(value)


def _blank(cell: RawCell | None) -> bool:
    return cell is None or (
        cell.formula is None
        and (cell.value is None or (isinstance(cell.value, str) and not cell.value.strip(_SPACES)))
    )


# Parsed is frozen: the outcome of every blank cell can be one shared object.
_MISSING = Parsed(None, "missing")


def parse_number(cell: RawCell | None) -> Parsed:
    """A score: a number cell, or text that is unmistakably one number."""
    if cell is None:
        return _MISSING
    value = cell.value
    # The usual: a finite number typed in a number cell (inf - inf and nan - nan are nan).
    # What the general path below gives it (shown() of an "n" cell is f"{value:g}").
    if type(value) is float and cell.kind == "n" and cell.formula is None and value - value == 0:
        return Parsed(value, "ok", f"{value:g}")
    if _blank(cell):
        return _MISSING
    found = shown(cell)
    if cell.formula is not None:
        return Parsed(None, "formula", cell.formula)
    value = cell.value
    if cell.kind in ("e", "b") or isinstance(value, bool):
        return Parsed(None, "not_number", found)
    if isinstance(value, float):
        return (
            Parsed(value, "ok", found)
            if math.isfinite(value)
            else Parsed(None, "not_number", found)
        )
    text = str(value).strip(_SPACES).translate(_FULLWIDTH)
    text = text.removesuffix("分").strip(_SPACES)
    if _NUMBER.match(text):
        return Parsed(float(text), "normalised", found)
    return Parsed(None, "not_number", found)


def parse_text(cell: RawCell | None) -> Parsed:
    if cell is None:
        return _MISSING
    value = cell.value
    if cell.formula is None:  # the usual two: an empty styled cell, or plain typed text
        if value is None:
            return _MISSING
        if type(value) is str and _INVISIBLE_SEARCH(value) is None:
            text = value.strip(_SPACES)  # what the general path below gives such text
            return Parsed(text, "ok", text) if text else _MISSING
    if _blank(cell):
        return _MISSING
    if cell.formula is not None:
        return Parsed(None, "formula", cell.formula)
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else f"{value:g}"
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    else:
        text = str(value)
    text, removed = strip_invisible(text)
    text = text.strip(_SPACES)
    if not text:
        return Parsed(None, "missing", removed=removed)
    return Parsed(text, "ok", text, removed)


def parse_choice(cell: RawCell | None, choices: tuple[str, ...]) -> Parsed:
    parsed = parse_text(cell)
    if parsed.status != "ok" or parsed.value in choices:
        return parsed
    return Parsed(None, "bad_choice", str(parsed.value), parsed.removed)


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(cell: RawCell | None) -> Parsed:
    """A date cell (an Excel serial number) or ISO / 年月日 text; returns ISO text."""
    if _blank(cell):
        return Parsed(None, "missing")
    if cell.formula is not None:
        return Parsed(None, "formula", cell.formula)
    value = cell.value
    found = shown(cell)
    if isinstance(value, float) and not isinstance(value, bool):
        day = serial_date(value, cell.date1904)
        if day is not None:
            return Parsed(day.isoformat(), "ok", found)
        return Parsed(None, "bad_date", found)
    text = str(value).strip(_SPACES).translate(_FULLWIDTH)
    m = _DATE_TEXT.match(text)
    if m:
        try:
            iso = date(*map(int, m.groups())).isoformat()
            return Parsed(iso, "ok" if iso == text else "normalised", found)
        except ValueError:
            pass
    return Parsed(None, "bad_date", found)


MONTH_MIN = (1900, 1)
_MONTH_TEXT = re.compile(
    r"^(\d{4})\s*(?:年|[-/.])\s*(\d{1,2})\s*"
    r"(?:月?\s*(?:[-/.]\s*)?(\d{1,2})\s*日|月|[-/.]\s*(\d{1,2}))?$"
)


def parse_month(cell: RawCell | None, today: date | None = None) -> Parsed:
    """A year and month (出生年月, 参加工作时间) → ``"1985-06"``; never a guess.

    Read as typed: text ``1985年6月``, ``1985-06``, ``1985.6``, ``1985.10``,
    ``1985/6`` or a whole date (``1985-06-01``, ``1985年6月1日``: the day is dropped).
    A number from 1900 to 2100 is a year and month typed into a number cell
    (``1985.6`` → June); ``1985.1`` is refused (``ambiguous``), because a number
    cell stores ``1985.10`` as 1985.1.  A larger number is a date serial (a date
    cell).  Refused (``bad_month``): a two-digit year (``85.6``), month first
    (``6/1985``), a year alone, anything else.  Outside 1900-01 … this month:
    ``month_range``.
    """
    if _blank(cell):
        return Parsed(None, "missing")
    if cell.formula is not None:
        return Parsed(None, "formula", cell.formula)
    value = cell.value
    found = shown(cell)
    if cell.kind in ("e", "b") or isinstance(value, bool):
        return Parsed(None, "bad_month", found)
    status = "ok"
    if isinstance(value, float):
        if not math.isfinite(value) or value < 1900 or value >= 2958466:
            return Parsed(None, "bad_month", found)
        if value < 2101:  # year.month typed into a number cell
            year, _, digits = f"{value:.6f}".rstrip("0").partition(".")
            if digits == "1":
                return Parsed(None, "ambiguous", found)
            if not digits or len(digits) > 2:
                return Parsed(None, "bad_month", found)
            year_month, status = (int(year), int(digits)), "normalised"
        else:
            day = serial_date(value, cell.date1904)  # the book's date system (Mac: 1904)
            if day is None:
                return Parsed(None, "bad_month", found)
            year_month = (day.year, day.month)
    else:
        text = str(value).strip(_SPACES).translate(_FULLWIDTH)
        m = _MONTH_TEXT.match(text)
        if not m:
            return Parsed(None, "bad_month", found)
        year, month, day = int(m[1]), int(m[2]), m[3] or m[4]
        if not 1 <= month <= 12:
            return Parsed(None, "bad_month", found)
        if day is not None:
            try:
                date(year, month, int(day))
            except ValueError:
                return Parsed(None, "bad_month", found)
        year_month = (year, month)
    today = today or date.today()
    iso = f"{year_month[0]:04d}-{year_month[1]:02d}"
    if not 1 <= year_month[1] <= 12 or not MONTH_MIN <= year_month <= (today.year, today.month):
        return Parsed(None, "month_range", found)
    return Parsed(iso, status, found)


def parse_integer(cell: RawCell | None) -> Parsed:
    parsed = parse_number(cell)
    if parsed.value is not None and not float(parsed.value).is_integer():
        return Parsed(None, "not_number", parsed.found)
    return parsed


def serial_date(serial: float, date1904: bool = False) -> date | None:
    """The date of a day serial (from 1, time of day ignored); None if Excel shows no date."""
    last = _LAST_SERIAL - (_SYSTEMS_APART if date1904 else 0)
    if not (1 <= serial < last) or (not date1904 and int(serial) == _FAKE_LEAP_DAY):
        return None
    return from_serial(serial, date1904)


def from_serial(serial: float, date1904: bool = False) -> date:
    """The date of an Excel serial in the book's date system (``RawCell.date1904``)."""
    days = int(serial)
    if date1904:
        return (_EPOCH_1904 + timedelta(days=days)).date()
    if 0 < days < _FAKE_LEAP_DAY:
        days += 1  # before the fictitious 1900-02-29
    return (_EXCEL_EPOCH + timedelta(days=days)).date()


def excel_serial(moment: datetime, date1904: bool = False) -> float:
    """The serial Excel stores for ``moment`` (naive) in the given date system."""
    delta = moment - (_EPOCH_1904 if date1904 else _EXCEL_EPOCH)
    days = delta.days
    if not date1904 and 0 < days <= _FAKE_LEAP_DAY:
        days -= 1  # 1900-01-01 … 1900-02-28 are serials 1 … 59
    return days + (delta.seconds + delta.microseconds / 1e6) / 86400


def fmt(value: float | None) -> str:
    """95.0 → "95", 92.5 → "92.5", None → ""."""
    return "" if value is None else f"{value:g}"
