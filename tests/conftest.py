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
from xlsxflow.round import generate, open_round
from xlsxflow.rubric import load_rubric, shipped_dir

ROSTER = shipped_dir("samples") / "roster.csv"


@pytest.fixture(autouse=True)
def _isolated_key(tmp_path_factory, monkeypatch):
    """Never touch the developer's real key."""
    key_dir = tmp_path_factory.getbasetemp() / "key"
    monkeypatch.setenv("XLSXFLOW_KEY_FILE", str(key_dir / "secret.key"))


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
