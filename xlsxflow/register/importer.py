"""Past results (from before xlsxflow) into the register, from a CSV or xlsx file.

One row per decision, the header on the first row (Chinese or English names)::

    轮次编号,轮次名称,期间,表,类别,编号,名称,所属单位编号,得分,等次,星级,奖项,称号,来源

Required: 期间 (2026 / 2026H1 / 2026Q3, or 2026年上半年 …), 表 (the form's id, e.g.
hongqi), 编号 and 名称.  类别 is 单位 or 个人 (default: 个人 when 所属单位编号 is
filled).  Without 轮次编号 a row belongs to the round ``<期间>-<表>``.

Every row is checked before anything is written; an error names the file, the
row (and cell in an xlsx) and the column.  Then all rows go in one transaction:
nothing is imported when a row is wrong, unless ``skip_bad`` (then the good rows
are, and the bad ones are listed).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..messages import Issue, XlsxflowError, make_issue
from ..roster import UNIT_ID_RE
from .model import PERSON, STAR_NAMES, UNIT, Decision
from .period import Period

COLUMNS: dict[str, tuple[str, ...]] = {
    "round_id": ("轮次编号", "round_id", "round"),
    "round_title": ("轮次名称", "round_title"),
    "period": ("期间", "period"),
    "form": ("表", "评选项目", "评选项目编号", "form"),
    "subject_kind": ("类别", "kind"),
    "subject_id": ("编号", "subject_id", "id"),
    "name": ("名称", "姓名", "name"),
    "unit_id": ("所属单位编号", "unit_id"),
    "score": ("得分", "score"),
    "band": ("等次", "band"),
    "stars": ("星级", "stars"),
    "award": ("奖项", "award"),
    "title": ("称号", "title"),
    "source": ("来源", "source"),
}
REQUIRED = ("period", "form", "subject_id", "name")
KINDS = {"单位": UNIT, "unit": UNIT, "支部": UNIT, "个人": PERSON, "person": PERSON, "党员": PERSON}
MAX_STARS = 5
PROGRESS_EVERY = 500


@dataclass
class ImportResult:
    path: Path
    decisions: int = 0
    rounds: int = 0
    skipped: list[Issue] = field(default_factory=list)  # the bad rows left out (--skip-bad)
    issues: list[Issue] = field(default_factory=list)  # names changed, same name new id

    @property
    def skipped_rows(self) -> int:
        return len({(i.line, i.cell) for i in self.skipped})


@dataclass
class _Row:
    number: int  # the row in the file (1 = header)
    round_id: str
    round_title: str
    period: Period
    decision: Decision


def read_table(path: Path) -> tuple[list[str], list[list], str]:
    """The header and rows of a CSV (UTF-8 or GB18030) or of the first sheet of an xlsx."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                ws.reset_dimensions()
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
                sheet = ws.title
            finally:
                wb.close()
        else:
            data = path.read_bytes()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = data.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:  # pragma: no cover - gb18030 decodes any bytes
                raise ValueError("unknown encoding")
            rows = [list(r) for r in csv.reader(text.splitlines())]
            sheet = ""
    except Exception as exc:  # any unreadable file is a message, never a crash
        raise XlsxflowError(
            make_issue("register-import-unreadable", file=str(path), detail=f"{exc}")
        ) from None
    if not rows:
        raise XlsxflowError(make_issue("register-import-empty", file=str(path)))
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    return header, rows[1:], sheet


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _col_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def parse_rows(path: Path) -> tuple[list[_Row], list[Issue]]:
    """Every good row, and an issue for each bad cell (file, row, column)."""
    header, rows, sheet = read_table(path)
    where: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in names or h.lower() in names:
                where.setdefault(key, i)
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in where]
    if missing:
        required = "、".join(COLUMNS[k][0] for k in REQUIRED)
        raise XlsxflowError(
            [
                make_issue(
                    "register-import-missing-column", file=str(path), column=c, required=required
                )
                for c in missing
            ]
        )
    good: list[_Row] = []
    issues: list[Issue] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    round_period: dict[str, Period] = {}
    if not any(any(_text(v) for v in r) for r in rows):
        raise XlsxflowError(make_issue("register-import-empty", file=str(path)))
    for offset, raw in enumerate(rows):
        number = offset + 2
        if not any(_text(v) for v in raw):
            continue
        row_issues: list[Issue] = []

        def value(key: str, raw=raw) -> str:
            i = where.get(key)
            return _text(raw[i]) if i is not None and i < len(raw) else ""

        def problem(code: str, key: str, raw=raw, number=number, row_issues=row_issues, **fields):
            column = header[where[key]] if key in where else COLUMNS[key][0]
            cell = f"{_col_letter(where[key])}{number}" if sheet and key in where else ""
            row_issues.append(
                make_issue(
                    code,
                    file=str(path),
                    line=None if sheet else number,
                    cell=cell,
                    column=column,
                    **({"sheet": sheet} if sheet else {}),
                    **fields,
                )
            )

        for key in REQUIRED:
            if not value(key):
                problem("register-import-required", key)
        period = None
        if value("period"):
            try:
                period = Period.parse(value("period"))
            except ValueError:
                problem("register-import-bad-period", "period", value=value("period"))
        subject_id, unit_id = value("subject_id"), value("unit_id")
        if subject_id and not UNIT_ID_RE.match(subject_id):
            problem("register-import-bad-id", "subject_id", value=subject_id)
        if unit_id and not UNIT_ID_RE.match(unit_id):
            problem("register-import-bad-id", "unit_id", value=unit_id)
        kind_text = value("subject_kind")
        kind = KINDS.get(kind_text.lower()) if kind_text else (PERSON if unit_id else UNIT)
        if kind is None:
            problem("register-import-bad-kind", "subject_kind", value=kind_text)
        if kind == PERSON and not unit_id and subject_id:
            problem("register-import-person-unit", "unit_id", id=subject_id)
        score = None
        if text := value("score"):
            try:
                score = float(text)
                if not math.isfinite(score):
                    raise ValueError
            except ValueError:
                problem("register-import-bad-number", "score", value=text)
                score = None
        stars = None
        if text := value("stars"):
            stars = parse_stars(text)
            if stars is None:
                problem("register-import-bad-stars", "stars", value=text, max=MAX_STARS)
        form = value("form")
        round_id = value("round_id") or (f"{period.label}-{form}" if period and form else "")
        if period and round_id:
            if round_id in round_period and round_period[round_id] != period:
                problem(
                    "register-import-round-period",
                    "period",
                    round_id=round_id,
                    expected=round_period[round_id].label,
                    found=period.label,
                )
            round_period.setdefault(round_id, period)
            key3 = (round_id, form, subject_id)
            if subject_id and key3 in first_seen:
                problem(
                    "register-import-duplicate",
                    "subject_id",
                    round_id=round_id,
                    form=form,
                    id=subject_id,
                    first_row=first_seen[key3],
                )
            first_seen.setdefault(key3, number)
        if row_issues:
            issues += row_issues
            continue
        good.append(
            _Row(
                number,
                round_id,
                value("round_title"),
                period,
                Decision(
                    subject_id=subject_id,
                    name=value("name"),
                    form=form,
                    subject_kind=kind,
                    unit_id=unit_id if kind == PERSON else "",
                    score=score,
                    band=value("band"),
                    stars=stars,
                    award=value("award"),
                    title=value("title"),
                    source=value("source") or f"{path.name}:{number}",
                ),
            )
        )
    return good, issues


def parse_stars(text: str) -> int | None:
    """3, 三星, 三星级, ★★★ → 3; None when it is not a star count."""
    t = text.strip().removesuffix("级").removesuffix("星")
    if set(t) == {"★"}:
        n = len(t)
    elif t.isdigit():
        n = int(t)
    elif len(t) == 1 and t in STAR_NAMES:
        n = STAR_NAMES.index(t)
    elif re.fullmatch(r"\d+\.0", t):
        n = int(float(t))
    else:
        return None
    return n if 0 <= n <= MAX_STARS else None


def import_rows(
    register,
    path: Path,
    *,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check every row, then write them all in one transaction (see the module docstring)."""
    import sqlite3

    from ..sqlitedb import write

    rows, issues = parse_rows(path)
    if issues and not skip_bad:
        raise XlsxflowError(
            [*issues, make_issue("register-import-failed", file=str(path), count=len(issues))]
        )
    result = ImportResult(path, skipped=issues)
    conn = register._conn
    try:
        with write(conn):
            for round_id in dict.fromkeys(r.round_id for r in rows):
                known = register.round(round_id)
                mine = [r for r in rows if r.round_id == round_id]
                period = mine[0].period
                if known and known.period != period:
                    raise XlsxflowError(
                        make_issue(
                            "register-import-round-period",
                            file=str(path),
                            line=mine[0].number,
                            round_id=round_id,
                            expected=known.period.label,
                            found=period.label,
                        )
                    )
                title = (
                    next((r.round_title for r in mine if r.round_title), "")
                    or (known.title if known else "")
                    or f"{period.chinese}{mine[0].decision.form}（历史导入）"
                )
                forms = list(dict.fromkeys(r.decision.form for r in mine))
                register._put_round(
                    conn, round_id, title, forms, period, known.status if known else "imported"
                )
            seen: dict[str, tuple[str, str]] = {}
            for n, r in enumerate(rows, 1):
                try:
                    result.issues += register._note_subject(conn, r.decision, r.period.label, seen)
                except XlsxflowError as exc:  # a unit's id used for a person, or the reverse
                    for issue in exc.issues:
                        issue.file, issue.line = str(path), r.number
                    raise
                register._put_decision(conn, r.round_id, r.period, r.decision)
                if progress and n % PROGRESS_EVERY == 0:
                    progress(n)
    except sqlite3.Error as exc:
        raise register._error(exc) from None
    result.decisions = len(rows)
    result.rounds = len({r.round_id for r in rows})
    if progress:
        progress(len(rows))
    return result
