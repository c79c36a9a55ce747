"""The roster: the units taking part in a round, read from CSV or xlsx."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .messages import Issue, XlsxflowError, make_issue

# Header aliases, Chinese first. Matching ignores case, spaces and full-width brackets.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("单位编号", "编号", "单位代码", "代码", "unit_id", "id", "code"),
    "name": ("单位名称", "名称", "单位", "name", "unit_name", "unit"),
    "parent": ("主管单位", "上级单位", "主管部门", "parent", "parent_id"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    "contact": ("联系人", "contact"),
    "phone": ("联系电话", "电话", "phone", "tel"),
}
UNIT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Unit:
    unit_id: str
    name: str
    parent: str = ""  # the parent's unit id ("" when none)
    email: str = ""
    contact: str = ""
    phone: str = ""
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    row: int = 0  # 1-based row in the roster file (header is row 1)


@dataclass
class Roster:
    units: list[Unit]
    source: str = ""
    warnings: list[Issue] = field(default_factory=list)

    def __post_init__(self):
        self._by_id = {u.unit_id: u for u in self.units}

    def get(self, unit_id: str) -> Unit | None:
        return self._by_id.get(unit_id)

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self):
        return iter(self.units)

    def parent_name(self, unit: Unit) -> str:
        parent = self._by_id.get(unit.parent)
        return parent.name if parent else ""


def norm_header(text: str) -> str:
    """A header as matched: without spaces or brackets (full- or half-width), lower case."""
    return re.sub(r"[\s（）()]", "", str(text)).lower()


_ALIAS_LOOKUP = {norm_header(a): key for key, aliases in HEADER_ALIASES.items() for a in aliases}


def load_roster(path: str | Path) -> Roster:
    """Read a roster; raise :class:`XlsxflowError` naming every bad row."""
    path = Path(path)
    return parse_roster_rows(read_rows(path), path.name)


def read_rows(path: Path, unreadable: str = "roster-unreadable") -> list[list[str]]:
    """The rows of a CSV (UTF-8 or GBK) or xlsx table as text; raise ``unreadable`` on failure.

    Shared by every table xlsxflow reads (the roster, the reviewers file).
    """
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            rows = _rows_from_xlsx(path)
        else:
            rows = _rows_from_csv(path)
    except (OSError, ValueError, KeyError, csv.Error) as exc:
        raise XlsxflowError(make_issue(unreadable, file=str(path), detail=exc)) from None
    except Exception as exc:  # a broken xlsx can raise anything from the zip/XML layers
        raise XlsxflowError(
            make_issue(unreadable, file=str(path), detail=f"{type(exc).__name__}: {exc}")
        ) from None
    return rows


def _rows_from_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValueError("unknown text encoding")
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _rows_from_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        return [
            ["" if v is None else _cell_text(v) for v in row]
            for row in ws.iter_rows(values_only=True)
        ]
    finally:
        wb.close()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def id_and_name_problem(
    kind: str, label: str, row_no: int, row_id: str, name: str, first_row: dict[str, int]
) -> Issue | None:
    """The first problem with a list row's id and name (``kind``: roster, reviewers), or None.

    The id must be present, well formed and not seen before (``first_row`` records
    where each id was first seen); then the name must be present.
    """
    if not row_id:
        return make_issue(f"{kind}-empty-id", file=label, line=row_no)
    if not UNIT_ID_RE.match(row_id):
        return make_issue(f"{kind}-bad-id", file=label, line=row_no, id=row_id)
    if row_id in first_row:
        return make_issue(
            f"{kind}-duplicate-id", file=label, line=row_no, id=row_id, first_row=first_row[row_id]
        )
    first_row[row_id] = row_no
    if not name:
        return make_issue(f"{kind}-empty-name", file=label, line=row_no, id=row_id)
    return None


def parse_roster_rows(rows: list[list[str]], label: str = "<roster>") -> Roster:
    rows = [r for r in rows if any(str(c).strip() for c in r)] if rows else []
    if not rows:
        raise XlsxflowError(make_issue("roster-empty", file=label))
    header = [str(h).strip() for h in rows[0]]
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _ALIAS_LOOKUP.get(norm_header(text))
        if key and key not in columns:
            columns[key] = index
    missing = [
        name for name, key in (("单位编号", "unit_id"), ("单位名称", "name")) if key not in columns
    ]
    if missing:
        raise XlsxflowError(
            [make_issue("roster-missing-column", file=label, line=1, column=m) for m in missing]
        )
    extra_cols = [(i, h) for i, h in enumerate(header) if i not in columns.values() and h]

    errors: list[Issue] = []
    warnings: list[Issue] = []
    units: list[Unit] = []
    first_row: dict[str, int] = {}
    row_no = 1
    for raw in rows[1:]:
        row_no += 1
        cells = [str(c).strip() for c in raw] + [""] * len(header)

        def get(key: str, cells=cells) -> str:
            return cells[columns[key]] if key in columns else ""

        unit_id, name = get("unit_id"), get("name")
        if problem := id_and_name_problem("roster", label, row_no, unit_id, name, first_row):
            errors.append(problem)
            continue
        email = get("email")
        if email and not EMAIL_RE.match(email):
            warnings.append(make_issue("roster-bad-email", file=label, line=row_no, email=email))
        units.append(
            Unit(
                unit_id=unit_id,
                name=name,
                parent=get("parent"),
                email=email,
                contact=get("contact"),
                phone=get("phone"),
                extra={h: cells[i] for i, h in extra_cols},
                row=row_no,
            )
        )

    # Parents may be given by id or by name; store the id.
    by_id = {u.unit_id: u for u in units}
    by_name = {u.name: u for u in units}
    resolved = []
    for unit in units:
        if unit.parent:
            parent = by_id.get(unit.parent) or by_name.get(unit.parent)
            if parent is None or parent.unit_id == unit.unit_id:
                errors.append(
                    make_issue(
                        "roster-unknown-parent", file=label, line=unit.row, parent=unit.parent
                    )
                )
                continue
            unit = Unit(**{**unit.__dict__, "parent": parent.unit_id})
        resolved.append(unit)
    if errors:
        raise XlsxflowError(errors)
    if not resolved:
        raise XlsxflowError(make_issue("roster-empty", file=label))
    return Roster(resolved, source=label, warnings=warnings)
