"""Hostile, broken, forged and tampered returns (issue #3): every one gets a clear status."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile

import openpyxl
import pytest
import xlsxwriter
from conftest import fill, ingest_entries, libreoffice_convert, record_of, rewrite_zip

from xlsxflow.ingest import ingest
from xlsxflow.isolation import Isolation
from xlsxflow.layout import META_SHEET, build_layout
from xlsxflow.rubric import load_rubric

LAYOUT = build_layout(load_rubric("wenming-danwei"))
STATUSES = {"accepted", "rejected", "duplicate", "superseded", "skipped"}


@pytest.fixture(scope="module")
def rnd(round_dir):
    folder, result, ctx = round_dir
    return folder, {g.unit_id: g.path for g in result.files}, ctx


run = ingest_entries
rec = record_of
rewrite = rewrite_zip


@pytest.fixture()
def good(rnd, tmp_path) -> bytes:
    _, files, _ = rnd
    return fill(files["CZJ"], tmp_path / "src" / "czj.xlsx").read_bytes()


# -- isolation: one bad file never takes the run down ---------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
def test_hanging_hogging_and_crashing_readers_are_contained(rnd, tmp_path, good, monkeypatch):
    ingest_module = sys.modules[
        "xlsxflow.ingest"
    ]  # the package's `ingest` attribute is the function

    real = ingest_module.read_source

    def pathological(source, rel, ctx, limits):
        if "hang" in rel:
            time.sleep(60)
        if "hog" in rel:
            hoard = []
            while True:
                hoard.append(bytearray(50 * 1024 * 1024))
        if "crash" in rel:
            os.kill(os.getpid(), signal.SIGKILL)  # like a native reader taking the process down
        return real(source, rel, ctx, limits)

    monkeypatch.setattr(ingest_module, "read_source", pathological)
    _, _, ctx = rnd
    started = time.monotonic()
    report = run(
        tmp_path,
        ctx,
        {
            "a-good.xlsx": good,
            "b-hang.xlsx": good,
            "c-hog.xlsx": good,
            "d-crash.xlsx": good,
            "e-good.xlsx": good,
        },
        isolation=Isolation(workers=2, timeout=3, memory_mb=256),
    )
    assert time.monotonic() - started < 20
    got = {f.path: (f.status, f.issues[-1].code if f.issues else "") for f in report.files}
    assert sorted([got["a-good.xlsx"][0], got["e-good.xlsx"][0]]) == ["accepted", "duplicate"]
    assert got["b-hang.xlsx"] == ("rejected", "file-timeout")
    assert got["c-hog.xlsx"] == ("rejected", "file-reader-crashed")
    assert got["d-crash.xlsx"] == ("rejected", "file-reader-crashed")


def test_in_process_and_workers_give_the_same_report(rnd, tmp_path, good):
    _, _, ctx = rnd
    entries = {"a.xlsx": good, "b.xlsx": b"junk", "~$c.xlsx": b"x"}
    one = run(tmp_path, ctx, entries, isolation=Isolation(workers=0)).to_dict()
    two = run(tmp_path, ctx, entries, isolation=Isolation(workers=2)).to_dict()
    one.pop("started_at"), two.pop("started_at")
    assert one == two


@pytest.mark.parametrize(("cores", "workers"), [(8, 8), (2, 2), (1, 1), (None, 1)])
def test_default_workers_are_one_per_core(monkeypatch, cores, workers):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    iso = Isolation()
    assert iso.workers == workers
    assert (iso.timeout, iso.memory_mb) == (30.0, 1024)  # each still bounded in time and memory


# -- XML attacks -------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
QUADRATIC = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "' + b"A" * 50_000 + b'">]>'


@pytest.mark.parametrize(
    "part",
    [
        "xl/workbook.xml",
        "xl/sharedStrings.xml",
        "xl/worksheets/sheet1.xml",
        "_rels/.rels",
        "xl/styles.xml",
    ],
)
@pytest.mark.parametrize(
    "prolog", [LAUGHS, EXTERNAL, QUADRATIC], ids=["laughs", "external", "quadratic"]
)
def test_xml_attacks_are_refused(rnd, tmp_path, part, prolog):
    _, files, ctx = rnd
    generated = files["CZJ"].read_bytes()  # XlsxWriter's files have every part, sharedStrings too

    def inject(body: bytes) -> bytes:
        rest = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
        return prolog + rest

    data = rewrite(generated, {part: inject})
    r = rec(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    if part == "xl/styles.xml":  # styles are not needed to judge a return: never parsed
        assert r.status == "accepted"
    else:
        assert (r.status, r.issues[-1].code) == ("rejected", "file-bad-xml")


# -- Strict Open XML ------------------------------------------------------------------------

STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": b"http://purl.oclc.org/ooxml/officeDocument/relationships",
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl complains while misreading it
def test_strict_open_xml_is_read_not_taken_for_empty(rnd, tmp_path, good):
    _, _, ctx = rnd

    def strict(body: bytes) -> bytes:
        for old, new in STRICT.items():
            body = body.replace(old, new)
        return body

    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        parts = [n for n in zf.namelist() if n.endswith((".xml", ".rels"))]
    data = rewrite(good, dict.fromkeys(parts, strict))
    r = rec(run(tmp_path, ctx, {"strict.xlsx": data}), "strict.xlsx")
    assert r.status == "accepted", r.issues
    assert r.submission.scores["i01"] == 6
    # openpyxl reads the same file as an empty workbook, without a word
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert "自评表" not in wb.sheetnames or wb["自评表"].max_row <= 1


# -- producers ----------------------------------------------------------------------------------


def test_files_written_by_other_libraries(rnd, tmp_path):
    _, _, ctx = rnd
    import pandas as pd

    pd.DataFrame({"单位": ["市财政局"], "自评分": [95]}).to_excel(
        tmp_path / "pandas.xlsx", index=False
    )
    wb = xlsxwriter.Workbook(str(tmp_path / "xlsxwriter.xlsx"))
    wb.add_worksheet("自评表").write("D6", 6)
    wb.close()
    report = run(
        tmp_path,
        ctx,
        {"pandas.xlsx": tmp_path / "pandas.xlsx", "xlsxwriter.xlsx": tmp_path / "xlsxwriter.xlsx"},
    )
    assert {f.path: (f.status, f.issues[-1].code) for f in report.files} == {
        "pandas.xlsx": ("rejected", "identity-not-xlsxflow"),
        "xlsxwriter.xlsx": ("rejected", "identity-not-xlsxflow"),
    }


def test_password_encrypted_file(rnd, tmp_path, good):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(good)).encrypt("secret", out)
    _, _, ctx = rnd
    r = rec(run(tmp_path, ctx, {"locked.xlsx": out.getvalue()}), "locked.xlsx")
    assert (r.status, r.issues[-1].code) == ("rejected", "file-encrypted")
    assert "取消密码" in r.reason
    assert msoffcrypto


@pytest.mark.libreoffice
def test_libreoffice_xls_and_ods(rnd, tmp_path, good, soffice):
    _, _, ctx = rnd
    (tmp_path / "src").mkdir(exist_ok=True)
    src = tmp_path / "src" / "czj.xlsx"
    src.write_bytes(good)
    for fmt in ("xls", "ods"):
        libreoffice_convert(soffice, [src], tmp_path / "returns", tmp_path / "profile", fmt)
    report = ingest(tmp_path / "returns", ctx)
    assert {f.path: (f.status, f.issues[-1].code) for f in report.files} == {
        "czj.xls": ("rejected", "file-legacy-xls"),
        "czj.ods": ("rejected", "file-ods"),
    }
    assert "另存为" in rec(report, "czj.xls").reason


# -- forged and tampered -----------------------------------------------------------------------


def test_sheet_copied_into_a_fresh_workbook(rnd, tmp_path, good):
    _, _, ctx = rnd
    src = openpyxl.load_workbook(io.BytesIO(good))
    fresh = openpyxl.Workbook()
    ws = fresh.active
    ws.title = "自评表"
    for row in src["自评表"].iter_rows():
        for cell in row:
            if cell.value is not None:
                ws[cell.coordinate] = cell.value
    fresh.save(tmp_path / "copy.xlsx")
    r = rec(run(tmp_path, ctx, {"copy.xlsx": tmp_path / "copy.xlsx"}), "copy.xlsx")
    assert (r.status, r.issues[-1].code) == ("rejected", "identity-not-xlsxflow")


def test_both_sheets_copied_keep_identity_but_lose_protection(rnd, tmp_path, good):
    _, _, ctx = rnd
    src = openpyxl.load_workbook(io.BytesIO(good))
    fresh = openpyxl.Workbook()
    fresh.remove(fresh.active)
    for name in ("自评表", META_SHEET):
        ws = fresh.create_sheet(name)
        for row in src[name].iter_rows():
            for cell in row:
                if cell.value is not None:
                    ws[cell.coordinate] = cell.value
    fresh[META_SHEET].sheet_state = "veryHidden"
    fresh.save(tmp_path / "copy.xlsx")
    r = rec(run(tmp_path, ctx, {"copy.xlsx": tmp_path / "copy.xlsx"}), "copy.xlsx")
    codes = [(i.code, i.sheet) for i in r.issues]
    assert r.status == "accepted"
    assert ("tamper-protection-removed", "自评表") in codes


def test_extra_and_reordered_sheets(rnd, tmp_path, good):
    _, _, ctx = rnd
    wb = openpyxl.load_workbook(io.BytesIO(good))
    wb.create_sheet("我的草稿")
    wb.save(tmp_path / "extra.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(good))
    wb.move_sheet(META_SHEET, offset=-1)
    wb.save(tmp_path / "order.xlsx")
    report = run(
        tmp_path,
        ctx,
        {"extra.xlsx": tmp_path / "extra.xlsx", "order.xlsx": tmp_path / "order.xlsx"},
    )
    assert "tamper-extra-sheet" in [i.code for i in rec(report, "extra.xlsx").issues]
    assert "tamper-sheet-order" in [i.code for i in rec(report, "order.xlsx").issues]


def test_a_units_file_sent_under_another_units_name(rnd, tmp_path, good):
    _, _, ctx = rnd
    r = rec(run(tmp_path, ctx, {"JYJ_市教育局_文明单位.xlsx": good}), "JYJ_市教育局_文明单位.xlsx")
    assert r.status == "accepted" and r.unit_id == "CZJ"
    issue = next(i for i in r.issues if i.code == "identity-file-name")
    assert issue.fields["named"] == "JYJ 市教育局"


def test_bonus_points_changed_after_unprotecting(rnd, tmp_path):
    _, files, ctx = rnd
    bonus_points = next(
        c
        for c in LAYOUT.cells
        if c.style == "number" and c.row == LAYOUT.input_named("xf_b_national").row
    )

    def edit(wb, ws, layout):
        ws.protection.sheet = False
        ws[bonus_points.ref] = 60

    path = fill(files["CZJ"], tmp_path / "src" / "b.xlsx", edit=edit)
    r = rec(run(tmp_path, ctx, {"b.xlsx": path}), "b.xlsx")
    assert (r.status, r.issues[0].code, r.issues[0].cell) == (
        "rejected",
        "tamper-locked-changed",
        bonus_points.ref,
    )


def _cell_xml(ref: str, xml: str):
    def change(body: bytes) -> bytes:
        return re.sub(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(), xml.encode(), body, count=1)

    return change


@pytest.mark.parametrize(
    "xml,code",
    [
        ('<c r="D6" t="e"><v>#DIV/0!</v></c>', "value-not-number"),
        ('<c r="D6" t="e"><f>1/0</f><v>#DIV/0!</v></c>', "value-formula-in-input"),
        ('<c r="D6" t="b"><v>1</v></c>', "value-not-number"),
        ('<c r="D6" t="str"><f>SUM(C6:C8)</f><v>15</v></c>', "value-formula-in-input"),
        ('<c r="D6" t="inlineStr"><is><t>' + "9" * 5000 + "</t></is></c>", "value-not-number"),
    ],
)
def test_odd_values_in_a_score_cell(rnd, tmp_path, good, xml, code):
    _, _, ctx = rnd
    data = rewrite(good, {"xl/worksheets/sheet1.xml": _cell_xml("D6", xml)})
    r = rec(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    assert r.status == "accepted"
    assert [(i.code, i.cell) for i in r.issues] == [(code, "D6")]
    if code == "value-formula-in-input":
        assert "=" + r.issues[0].fields["formula"] in r.issues[0].message


def test_control_and_bidi_characters_are_flagged_and_stripped(rnd, tmp_path, good):
    _, _, ctx = rnd
    note = LAYOUT.input_named("xf_i01_note")
    text = "见台账\u202e5.5\u202c\x07"
    data = rewrite(
        good,
        {
            "xl/worksheets/sheet1.xml": _cell_xml(
                note.ref,
                f'<c r="{note.ref}" t="inlineStr"><is><t>{text}</t></is></c>'.replace(
                    "\x07", "_x0007_"
                ),
            )
        },
    )
    r = rec(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    issue = next(i for i in r.issues if i.code == "value-control-chars")
    assert (
        issue.cell == note.ref
        and "U+202E" in issue.fields["chars"]
        and "U+0007" in issue.fields["chars"]
    )
    assert r.submission.notes["i01"] == "见台账5.5"


def test_resubmission_diff_item_by_item(rnd, tmp_path):
    _, files, ctx = rnd
    old = fill(files["CZJ"], tmp_path / "src" / "old.xlsx", scores={"i01": 4, "i02": 5})
    new = fill(files["CZJ"], tmp_path / "src" / "new.xlsx", scores={"i01": 6, "i02": 4.5})
    returns = tmp_path / "returns"
    report = run(tmp_path, ctx, {"v1.xlsx": old, "v2.xlsx": new})
    past = time.time() - 3600
    os.utime(returns / "v1.xlsx", (past, past))
    report = ingest(returns, ctx)
    r = rec(report, "v1.xlsx")
    assert r.status == "superseded" and r.superseded_by == "v2.xlsx"
    assert [(c["cell"], c["old"], c["new"]) for c in r.changes] == [("D6", 4, 6), ("D7", 5, 4.5)]
    from xlsxflow.summary import write_summary

    write_summary(report, ctx.rubric, ctx.roster, tmp_path / "s.xlsx")
    rows = [
        [c.value for c in row]
        for row in openpyxl.load_workbook(tmp_path / "s.xlsx")["改动"].iter_rows(min_row=2)
    ]
    assert [r[2:6] for r in rows] == [
        ["D6", LAYOUT.input_named("xf_i01").label, "4", "6"],
        ["D7", LAYOUT.input_named("xf_i02").label, "5", "4.5"],
    ]


# -- same inputs, same outputs ---------------------------------------------------------------


def test_same_inputs_same_outputs(rnd, tmp_path, good):
    _, _, ctx = rnd
    from xlsxflow.summary import write_report_json, write_summary

    entries = {"a.xlsx": good, "b.xlsx": b"junk", "c/d.xlsx": good, "~$e.xlsx": b"x"}
    outs = []
    run(tmp_path, ctx, entries)
    for n in range(2):
        report = ingest(tmp_path / "returns", ctx)
        write_report_json(report, tmp_path / f"r{n}.json")
        write_summary(report, ctx.rubric, ctx.roster, tmp_path / f"s{n}.xlsx")
        data = json.loads((tmp_path / f"r{n}.json").read_text(encoding="utf-8"))
        data.pop("started_at")
        wb = openpyxl.load_workbook(tmp_path / f"s{n}.xlsx")
        cells = [
            (ws.title, c.coordinate, c.value)
            for ws in wb
            for row in ws.iter_rows()
            for c in row
            if not (ws.title == "说明" and c.coordinate == "B5")
        ]  # the time of the run
        outs.append((data, cells))
    assert outs[0] == outs[1]


# -- fuzzing ------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def mutations(draw):
    kind = draw(st.sampled_from(["flip", "truncate", "drop-part", "garble-part", "swap-part"]))
    return kind, draw(st.integers(0, 10**9)), draw(st.binary(min_size=1, max_size=64))


@settings(
    max_examples=int(os.environ.get("XLSXFLOW_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(mutations(), min_size=1, max_size=4))
def test_fuzzed_returns_never_crash_and_are_all_accounted_for(rnd, tmp_path_factory, good, batch):
    _, _, ctx = rnd
    tmp = tmp_path_factory.mktemp("fuzz")
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        parts = zf.namelist()
    entries = {}
    for n, (kind, seed, blob) in enumerate(batch):
        part = parts[seed % len(parts)]
        if kind == "flip":
            data = bytearray(good)
            for k in range(len(blob)):
                data[(seed + k * 7919) % len(data)] ^= blob[k] or 1
            data = bytes(data)
        elif kind == "truncate":
            data = good[: seed % len(good)]
        elif kind == "drop-part":
            data = rewrite(good, {part: lambda b: None})
        elif kind == "garble-part":
            data = rewrite(
                good, {part: lambda b, blob=blob, seed=seed: b[: seed % (len(b) + 1)] + blob}
            )
        else:
            other = parts[(seed // 7) % len(parts)]
            with zipfile.ZipFile(io.BytesIO(good)) as zf:
                replacement = zf.read(other)
            data = rewrite(good, {part: lambda b, r=replacement: r})
        entries[f"f{n}.xlsx"] = data
    report = run(tmp, ctx, entries, isolation=Isolation(workers=0))
    assert sorted(f.path for f in report.files) == sorted(entries)
    assert all(f.status in STATUSES and (f.status == "accepted" or f.reason) for f in report.files)


# -- killed mid-run: outputs complete or absent ----------------------------------------------------


def test_killed_ingest_leaves_complete_outputs(rnd, tmp_path, good):
    folder, _, _ = rnd
    returns = tmp_path / "returns"
    returns.mkdir()
    for n in range(40):
        (returns / f"f{n:02d}.xlsx").write_bytes(good if n % 3 else b"junk")
    out, report = tmp_path / "out" / "summary.xlsx", tmp_path / "out" / "report.json"
    cmd = [
        sys.executable,
        "-m",
        "xlsxflow.cli",
        "ingest",
        str(returns),
        "--out",
        str(out),
        "--report",
        str(report),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def complete_or_absent():
        if out.exists():
            openpyxl.load_workbook(out).close()  # a complete workbook
        if report.exists():
            json.loads(report.read_text(encoding="utf-8"))
        leftovers = [p.name for p in out.parent.glob(".*.tmp")] if out.parent.exists() else []
        return leftovers

    for delay in (0.2, 0.6, 1.0, 1.5, 2.5):
        proc = subprocess.Popen(
            cmd,
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        complete_or_absent()
    subprocess.run(cmd, cwd=folder, env=env, capture_output=True, timeout=120)
    assert out.exists() and report.exists()
    assert complete_or_absent() == []


# -- more shapes ------------------------------------------------------------------------------


def test_small_file_expanding_to_200_mb_is_rejected_in_well_under_a_second(rnd, tmp_path, good):
    _, _, ctx = rnd
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as zin,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body + b" " * (
                    200 * 1024 * 1024
                )  # whitespace after the root: 200 MB unpacked
            zout.writestr(info.filename, body, compresslevel=9)
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    started = time.perf_counter()
    r = rec(run(tmp_path, ctx, {"bomb.xlsx": data}), "bomb.xlsx")
    assert time.perf_counter() - started < 1.0
    assert (r.status, r.issues[-1].code) == ("rejected", "file-zip-bomb")


def test_formatted_far_away_row_without_cells_is_harmless(rnd, tmp_path, good):
    _, _, ctx = rnd
    data = rewrite(
        good,
        {
            "xl/worksheets/sheet1.xml": lambda b: b.replace(
                b"</sheetData>", b'<row r="900000" ht="30" customHeight="1"/></sheetData>'
            ).replace(b'<dimension ref="A1:E', b'<dimension ref="A1:XFD1048576" x="')
        },
    )
    r = rec(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    assert r.status == "accepted"


def test_identity_sheet_deleted(rnd, tmp_path, good):
    _, _, ctx = rnd
    wb = openpyxl.load_workbook(io.BytesIO(good))
    del wb[META_SHEET]
    wb.save(tmp_path / "a.xlsx")
    r = rec(run(tmp_path, ctx, {"a.xlsx": tmp_path / "a.xlsx"}), "a.xlsx")
    assert (r.status, r.issues[-1].code) == ("rejected", "identity-not-xlsxflow")


def test_column_deleted(rnd, tmp_path, good):
    _, _, ctx = rnd
    wb = openpyxl.load_workbook(io.BytesIO(good))
    ws = wb["自评表"]
    ws.protection.sheet = False
    ws.delete_cols(3)
    wb.save(tmp_path / "a.xlsx")
    r = rec(run(tmp_path, ctx, {"a.xlsx": tmp_path / "a.xlsx"}), "a.xlsx")
    assert r.status == "rejected" and r.issues[0].code in (
        "tamper-locked-changed",
        "tamper-formula-replaced",
    )
    assert r.issues[-1].code == "tamper-too-many"


def test_date_typed_into_a_score_cell(rnd, tmp_path, good):
    _, _, ctx = rnd
    data = rewrite(
        good, {"xl/worksheets/sheet1.xml": _cell_xml("D6", '<c r="D6" s="1"><v>46357</v></c>')}
    )
    r = rec(run(tmp_path, ctx, {"a.xlsx": data}), "a.xlsx")
    assert [(i.code, i.cell) for i in r.issues] == [("value-out-of-range", "D6")]


def test_a_worker_never_outlives_its_parent():
    """Found in CI: Ctrl-C at the wrong moment left a forked reader behind, holding the
    parent's stdout and stderr, so whoever waited on that output (a test, a pipe into
    another program) waited for ever.  A worker now ends with its parent."""
    import subprocess
    import sys
    import time

    code = (
        "import os\n"
        "from xlsxflow.isolation import DEFAULT_ISOLATION, _context, _Slot\n"
        "from xlsxflow.ooxml import DEFAULT_LIMITS\n"
        "slot = _Slot(_context(), None, DEFAULT_LIMITS, DEFAULT_ISOLATION)\n"
        "print(slot.process.pid, flush=True)\n"
        "os._exit(0)  # gone without stopping its worker\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, _ = proc.communicate(timeout=30)  # returns only once no worker holds the pipes
    worker = int(out.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"worker {worker} outlived its parent")


def test_a_worker_whose_parent_is_already_gone_ends_at_once():
    """The race CI found: the parent ended before its worker ran; read after the fork, the
    worker's parent pid was already its adopter's and the worker waited for ever."""
    import subprocess
    import sys

    code = (
        "import os\n"
        "from xlsxflow.isolation import _follow_parent\n"
        "_follow_parent(os.getppid() + 1_000_000)  # not the parent it has now\n"
        "print('still here')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0 and b"still here" not in done.stdout
