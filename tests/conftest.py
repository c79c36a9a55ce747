"""Shared fixtures: a signing key per test session, a generated round, fillers."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlsxflow.layout import build_layout
from xlsxflow.round import generate, generate_round, open_round
from xlsxflow.rubric import load_rubric, shipped_dir

ROSTER = shipped_dir("samples") / "roster.csv"


@pytest.fixture(autouse=True)
def _isolated_key(tmp_path_factory, monkeypatch):
    """Never touch the developer's real key."""
    key_dir = tmp_path_factory.getbasetemp() / "key"
    monkeypatch.setenv("XLSXFLOW_KEY_FILE", str(key_dir / "secret.key"))


def sheet_reading(read, book, info) -> tuple:
    """What a sheet reader makes of a sheet, comparable (NaN and all): cells, or the error."""
    from xlsxflow.ooxml import ReadError

    try:
        sheet = read(book, info)
    except ReadError as err:
        return ("error", err.code, repr(sorted(err.fields.items())))
    return ("sheet", sheet.name, sheet.dimension, sheet.protected, repr(list(sheet.cells.items())))


@pytest.fixture(autouse=True)
def _reader_differential(monkeypatch):
    """XLSXFLOW_READER_DIFF=1: every sheet any test reads is read by the tree reader and by
    the streaming one, which must agree (issue #16: kept until the streaming one goes)."""
    if not os.environ.get("XLSXFLOW_READER_DIFF"):
        return
    from xlsxflow import ooxml

    tree, stream = ooxml._read_sheet, ooxml._read_sheet_expat

    def both(book, info):
        new, old = sheet_reading(tree, book, info), sheet_reading(stream, book, info)
        assert new == old, (info.part, new[:3], old[:3])
        return tree(book, info)

    monkeypatch.setattr(ooxml, "_read_sheet", both)


def make_round(folder: Path, rubric: str = "wenming-danwei", **kw):
    """Generate a round for the sample roster in ``folder``; return (result, ctx)."""
    folder.mkdir(parents=True, exist_ok=True)
    result = generate(
        rubric,
        ROSTER,
        folder / "workbooks",
        workdir=folder,
        title="测试轮次",
        deadline="2026-12-31",
        **kw,
    )
    return result, open_round(workdir=folder)


@pytest.fixture(scope="module")
def round_dir(tmp_path_factory):
    """One generated 文明单位 round shared by a test module (read-only use)."""
    folder = tmp_path_factory.mktemp("round")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    result, ctx = make_round(folder)
    return folder, result, ctx


def fill(
    path: Path,
    out: Path,
    rubric_name: str = "wenming-danwei",
    *,
    scores=None,
    edit=None,
    lang: str = "zh",
) -> Path:
    """Fill every input of a generated workbook with valid values (full marks by default)."""
    rubric = load_rubric(rubric_name)
    layout = build_layout(rubric, lang)
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.sheet_name]
    for inp in layout.inputs:
        cell = ws[inp.ref]
        if inp.kind == "score":
            cell.value = (scores or {}).get(inp.key, inp.max)
        elif inp.kind == "bonus":
            cell.value = 0
        elif inp.kind == "declaration":
            cell.value = "否"
        elif inp.kind == "field":
            cell.value = {
                "date": "2026-12-01",
                "choice": (inp.choices or ("",))[0],
                "integer": 1,
            }.get(inp.field_type, "张三")
    if edit:
        edit(wb, ws, layout)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


SEED_ROUND = shipped_dir("templates") / "rounds" / "sanchuang.yaml"


def fill_book(
    path: Path,
    out: Path,
    rnd,
    sheets: dict[str, dict] | None = None,
    *,
    edit=None,
    lang: str = "zh",
) -> Path:
    """Fill sheets of a round workbook with valid values; blank sheets are not applying.

    ``sheets`` maps a sheet name to its overrides (input key → value, e.g.
    ``{"nominee": "王芳", "i01": 5}``); None fills every sheet with defaults.
    """
    wb = openpyxl.load_workbook(path)
    identity = {row[0].value: row[1].value for row in wb["_xlsxflow"].iter_rows()}
    slots = dict(part.split("=") for part in identity["sheets"].split(";"))
    book = rnd.book({k: int(v) for k, v in slots.items()}, lang)
    chosen = sheets if sheets is not None else {s.sheet_name: {} for s in book.sheets}
    for layout in book.sheets:
        if layout.sheet_name not in chosen:
            continue
        ws = wb[layout.sheet_name]
        overrides = chosen[layout.sheet_name]
        for inp in layout.inputs:
            if inp.kind == "note":
                continue
            value = {
                "score": inp.max,
                "bonus": 0,
                "declaration": "否",
            }.get(inp.kind)
            if inp.kind == "field":
                value = {
                    "date": "2026-12-01",
                    "month": "1985-06",
                    "choice": (inp.choices or ("",))[0],
                    "integer": 1,
                }.get(inp.field_type, "张三")
            if inp.key == "nominee":
                value = f"{layout.sheet_name}对象"
            elif inp.key == "publicity_end":
                value = "2026-12-07"
            if inp.key in overrides:
                value = overrides[inp.key]
            ws[inp.ref] = value
    if edit:
        edit(wb, book)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


# Units chosen for the seed's boundaries (三.1, 三.2, 三.5).
ROUND_ROSTER = """单位编号,单位名称,主管单位,邮箱,联系人,联系电话,职工人数,内设机构数,已获文明单位称号,最高荣誉级别
SMALL,小单位,,a@example.org,甲,1,49,9,否,市直
MID,中单位,,b@example.org,乙,2,50,20,否,省部级
TITLED,已获称号单位,,c@example.org,丙,3,200,12,省级,国家级
BIG,大单位,,d@example.org,丁,4,201,10,否,无
"""


@pytest.fixture(scope="module")
def seed_round(tmp_path_factory):
    """The shipped round file, generated for the four units above (read-only use)."""
    folder = tmp_path_factory.mktemp("seedround")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    roster = folder / "roster.csv"
    roster.write_text(ROUND_ROSTER, encoding="utf-8")
    round_file = folder / "round.yaml"
    shutil.copyfile(SEED_ROUND, round_file)
    result = generate_round(round_file, folder / "workbooks", roster_path=roster, workdir=folder)
    ctx = open_round(workdir=folder)
    files = {g.unit_id: g.path for g in result.files}
    return folder, ctx, files


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice():
    """LibreOffice headless; in CI (XLSXFLOW_REQUIRE_LIBREOFFICE=1) its absence fails."""
    path = soffice_path()
    if path is None:
        if os.environ.get("XLSXFLOW_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) is required here but not installed")
        pytest.skip("LibreOffice not installed (apt-get install libreoffice-calc-nogui)")
    return path


def libreoffice_convert(
    soffice: str, files: list[Path], outdir: Path, profile: Path, fmt: str = "xlsx"
) -> None:
    """Open ``files`` in LibreOffice headless, recalculate, save as ``fmt`` into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        soffice,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--calc",
        "--convert-to",
        fmt,
        "--outdir",
        str(outdir),
        *map(str, files),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=240)


def ingest_entries(tmp_path: Path, ctx, entries: dict[str, bytes | Path], **kw):
    """Put ``entries`` (name → bytes or a file to copy) into ``tmp_path/returns`` and ingest it."""
    from xlsxflow.ingest import ingest

    returns = tmp_path / "returns"
    returns.mkdir(exist_ok=True)
    for name, content in entries.items():
        target = returns / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)
    return ingest(returns, ctx, **kw)


def record_of(report, name: str):
    """The file record of ``name`` in an ingest report."""
    return next(f for f in report.files if f.path == name)


def rewrite_zip(src: bytes, changes: dict) -> bytes:
    """Copy an xlsx, changing parts: ``{part: callable(bytes) -> bytes, or None to drop it}``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(src)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename in changes:
                body = changes[info.filename](body)
                if body is None:
                    continue
            zout.writestr(info.filename, body)
    return out.getvalue()


def ctrl_c_ready() -> None:
    """``preexec_fn`` of a child that a test stops with Ctrl-C (SIGINT).

    A shell that starts commands in the background (``cmd &`` without job control)
    makes them ignore SIGINT, and children inherit that: Python then installs no
    KeyboardInterrupt handler and the test's Ctrl-C does nothing.  The default
    disposition gives the child what a terminal gives it.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
