"""Conditions forms inside a round file: generate from the round file → fill (one through
LibreOffice) → ingest → summary, for 002's levels, 篇3's named stars, 篇2's bands with
conditions and 004's checklist side by side in one unit workbook, with the same signature,
untrusting read and 星级 sheets (with each form's targets) as a single rubric."""

from __future__ import annotations

import io
import os

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROSTER, fill_book, ingest_entries, libreoffice_convert, record_of

from xlsxflow.cli import main
from xlsxflow.conditions import questions
from xlsxflow.layout import APPLY_LEVEL
from xlsxflow.round import generate_round, open_round
from xlsxflow.samples import condition_answers
from xlsxflow.summary import summary_bytes

UNITS = ["CZJ", "CZJ-GK", "CZJ-PS", "DAJ", "GZW"]
ROUND = """title: 2026年社区评星晋级（测试）
year: 2026
deadline: "2026-12-25"
roster: roster.csv
forms:
  - {id: xingji, title: 社区评星, rubric: xingji-shequ, slots: 1}
  - {id: pian3, title: 五星创建, rubric: wuxing-pian3, slots: 1}
  - {id: pian2, title: 星级考评, rubric: xingji-pian2-tiaojian, slots: 1}
  - {id: jingpin, title: 精品社区, rubric: jingpin-shequ-biaozhun, slots: 1}
"""


@pytest.fixture(scope="module")
def cond_round(tmp_path_factory):
    """The round above generated for five units of the sample roster: (ctx, files by unit)."""
    folder = tmp_path_factory.mktemp("condround")
    os.environ["XLSXFLOW_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "key" / "secret.key")
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    chosen = [line for line in lines[1:] if line.split(",")[0] in UNITS]
    (folder / "roster.csv").write_text("\n".join([lines[0], *chosen]) + "\n", encoding="utf-8")
    (folder / "round.yaml").write_text(ROUND, encoding="utf-8")
    result = generate_round(folder / "round.yaml", folder / "wb", workdir=folder)
    return open_round(workdir=folder), {g.unit_id: g.path for g in result.files}


def sheet_of(ctx, form_id: str):
    """The layout of ``form_id``'s sheet in a unit workbook of the round."""
    book = ctx.round.book(ctx.round.slots_of(UNITS[0]))
    return next(s for s in book.sheets if s.plan.form_id == form_id)


def answers_for(ctx, levels: dict[str, list[str]], extra: dict | None = None) -> dict:
    """fill_book's overrides: per form's sheet the answers under which ``levels`` hold."""
    out = {}
    for form_id, owners in levels.items():
        layout = sheet_of(ctx, form_id)
        values = condition_answers(layout.rubric, owners)
        if layout.rubric.level_names:
            values[APPLY_LEVEL] = (owners or layout.rubric.level_names)[-1]
        out[layout.sheet_name] = {**values, **(extra or {}).get(form_id, {})}
    return out


def round_stars_sheets(report, ctx) -> dict[str, list[list]]:
    data = summary_bytes(report, None, ctx.roster)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {
        ws.title: [[c.value for c in row] for row in ws.iter_rows()]
        for ws in wb.worksheets
        if ws.title.endswith("星级")
    }


def test_each_conditions_form_is_a_signed_sheet_of_the_unit_workbook(cond_round):
    ctx, files = cond_round
    wb = openpyxl.load_workbook(files["CZJ"])
    assert wb.sheetnames[:4] == ["社区评星", "五星创建", "星级考评", "精品社区"]
    layout = sheet_of(ctx, "xingji")
    ws = wb[layout.sheet_name]
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    cell = {i.key: i.ref for i in layout.inputs}
    assert lists[cell["wenhua"]] == '"无,三级,二级,一级"'
    assert lists[cell[APPLY_LEVEL]] == '"一星级,二星级,三星级,四星级,五星级"'
    assert ws.protection.sheet and ws.print_title_rows == "$5:$5"
    assert ws["A1"].value.endswith(layout.rubric.title)  # the round's title, then the rubric's
    texts = [str(c.value or "").split(". ", 1)[-1] for c in ws["B"]]
    for q in questions(layout.rubric):  # each asked once, an honour saying which to pick
        assert sum(t in (q.text, f"{q.text}（选已获得的最高级别）") for t in texts) == 1, q.text
    assert not any(i.key == APPLY_LEVEL for i in sheet_of(ctx, "pian3").inputs)


def test_round_ingest_gives_each_form_its_levels_stars_and_targets(cond_round, tmp_path):
    ctx, files = cond_round
    names = ["一星级", "二星级", "三星级", "四星级", "五星级"]
    veto = {"xingji": {"v_tongbao": "是"}}
    spread = {  # unit → 002 levels answered; 篇3 stars, 篇2 conditions and 004 all held
        "CZJ": names,
        "CZJ-GK": names[:3],
        "CZJ-PS": names[:4],
        "DAJ": names,
        "GZW": names[:2],
    }
    entries = {}
    for unit, levels in spread.items():
        chosen = {
            "xingji": levels,
            "pian3": ["理论学习星", "党员先锋星"] if unit == "GZW" else [],
            "pian2": names[2:],
            "jingpin": ["党建精品社区"],
        }
        sheets = answers_for(ctx, chosen, veto if unit == "DAJ" else None)
        sheets[sheet_of(ctx, "pian2").sheet_name]["score"] = 96 if unit != "GZW" else 80
        entries[f"{unit}.xlsx"] = fill_book(
            files[unit], tmp_path / "f" / f"{unit}.xlsx", ctx.round, sheets
        )
    report = ingest_entries(tmp_path, ctx, entries)
    assert all(f.status == "accepted" and not f.issues for f in report.files), [
        i.message for i in report.issues
    ]
    got = {(r.form_id, r.unit_id): r for r in report.results}
    assert {u: got[("xingji", u)].stars.level for u in UNITS} == {
        "CZJ": "五星级",
        "CZJ-GK": "三星级",
        "CZJ-PS": "四星级",
        "DAJ": "三星级",  # 受到通报批评: the veto blocks only 四、五星级
        "GZW": "二星级",
    }
    assert got[("xingji", "DAJ")].stars.vetoes[0].blocks == ["四星级", "五星级"]
    assert got[("pian3", "GZW")].stars.stars == ["理论学习星", "党员先锋星"]
    assert got[("pian3", "CZJ")].stars.count == 0
    assert got[("pian2", "CZJ")].stars.level == "五星级"
    assert got[("pian2", "GZW")].stars.level == "三星级"  # 80: the 三星级 band
    assert all(got[("jingpin", u)].stars.level == "党建精品社区" for u in UNITS)
    # 002's targets over the five units: 三星级以上 4 of 5 (80%), 五星级 1 of 5 (20%): both met
    three, five = (t for t in report.targets if t.form_id == "xingji")
    assert (three.count, three.total, three.reached) == (4, 5, True)
    assert (five.count, five.total, five.reached) == (1, 5, True)
    assert {t.form_id for t in report.targets} == {"xingji"}  # the only form with targets
    data = report.to_dict()
    assert data["targets"][0]["form_id"] == "xingji"
    assert next(r for r in data["results"] if r.get("form") == "xingji")["stars"]["level"]
    sheets = round_stars_sheets(report, ctx)
    assert set(sheets) == {"社区评星星级", "五星创建星级", "星级考评星级", "精品社区星级"}
    rows = sheets["社区评星星级"]
    assert rows[0][:4] == ["单位编号", "单位名称", "申报等级", "评定等级"]
    by_unit = {row[0]: row for row in rows[1:6]}
    assert by_unit["CZJ"][3:8] == ["五星级", None, None, "县", "须公示"]
    assert by_unit["DAJ"][5] == got[("xingji", "DAJ")].stars.vetoes[0].message
    assert by_unit["CZJ-GK"][4] == got[("xingji", "CZJ-GK")].stars.missing_text
    texts = [row[0] for row in rows[7:] if row[0]]
    assert texts[:3] == [
        "本轮目标",
        f"{three.text}：{three.message}",
        f"{five.text}：{five.message}",
    ]
    assert "本轮目标" not in {row[0] for row in sheets["五星创建星级"]}


def test_a_tampered_condition_in_a_round_workbook_rejects_it(cond_round, tmp_path):
    ctx, files = cond_round
    layout = sheet_of(ctx, "xingji")
    label = next(c for c in layout.cells if c.style == "text" and "不发生命案" in str(c.value))

    def edit(wb, book):
        ws = wb[layout.sheet_name]
        ws.protection.sheet = False
        ws[label.ref] = "8. 发生命案一起"
        ws.protection.sheet = True

    src = fill_book(
        files["CZJ"],
        tmp_path / "a.xlsx",
        ctx.round,
        answers_for(ctx, {"xingji": ["一星级"]}),
        edit=edit,
    )
    rec = record_of(ingest_entries(tmp_path, ctx, {"a.xlsx": src}), "a.xlsx")
    assert rec.status == "rejected"
    assert (rec.issues[0].code, rec.issues[0].sheet, rec.issues[0].cell) == (
        "tamper-locked-changed",
        layout.sheet_name,
        label.ref,
    )


def test_libreoffice_round_trip_of_a_round_workbook_with_conditions(cond_round, soffice, tmp_path):
    ctx, files = cond_round
    names = ["一星级", "二星级", "三星级", "四星级"]
    sheets = answers_for(
        ctx,
        {"xingji": names, "pian3": ["制度落实星"], "pian2": ["三星级"], "jingpin": []},
        {"xingji": {"wenhua": "一级", "tiaochu": 100.0}},
    )
    sheets[sheet_of(ctx, "pian2").sheet_name]["score"] = 78
    src = fill_book(files["CZJ"], tmp_path / "filled" / "a.xlsx", ctx.round, sheets)
    libreoffice_convert(soffice, [src], tmp_path / "returns", tmp_path / "profile")
    (tmp_path / "direct").mkdir()
    direct = ingest_entries(tmp_path / "direct", ctx, {"a.xlsx": src})
    saved = ingest_entries(tmp_path, ctx, {})
    rec = record_of(saved, "a.xlsx")
    assert rec.status == "accepted" and not rec.issues, [i.message for i in rec.issues]
    before = {s.sheet: s.answers for s in record_of(direct, "a.xlsx").submissions}
    assert {s.sheet: s.answers for s in rec.submissions} == before
    levels = {r.form_id: (r.stars.level, r.stars.stars) for r in saved.results}
    assert levels == {
        "xingji": ("四星级", []),
        "pian3": (None, ["制度落实星"]),
        "pian2": ("三星级", []),
        "jingpin": (None, []),
    }


def test_round_check_and_generate_accept_a_conditions_form(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.csv").write_bytes(ROSTER.read_bytes())
    (tmp_path / "round.yaml").write_text(
        'title: 社区评星\nyear: 2026\ndeadline: "2026-12-25"\nroster: roster.csv\n'
        "forms:\n  - {id: xingji, title: 社区星级, rubric: xingji-shequ, slots: 1}\n",
        encoding="utf-8",
    )
    checked = CliRunner().invoke(main, ["round", "check", "round.yaml"])
    assert checked.exit_code == 0 and "按条件定星" in checked.output
    result = CliRunner().invoke(main, ["generate", "round.yaml", "--unit", "CZJ"])
    assert result.exit_code == 0, result.output
    (book,) = (tmp_path / "workbooks").glob("*.xlsx")
    assert "社区星级" in openpyxl.load_workbook(book).sheetnames


# -- the shipped 评星晋级 round: demo, 审定 and the 公示 of 四、五星级 only -----------------------


@pytest.fixture(scope="module")
def xingji_demo(tmp_path_factory):
    from xlsxflow.demo import run_demo

    folder = tmp_path_factory.mktemp("xingji")
    lines: list[str] = []
    return run_demo(folder, "xingji", echo=lines.append), lines


def test_the_xingji_demo_prints_levels_missing_vetoes_and_targets(xingji_demo):
    result, lines = xingji_demo
    text = "\n".join(lines)
    # the issue's own example: one honour and one rate short of the level applied for
    assert "距四星级还差：市级以上文明社区（现为县级）；调处成功率 100%（现为 96%）" in text
    assert "评定 三星级（由街道评定，不公示）" in text and "评定 五星级（由县评定，须公示）" in text
    veto = "一票否决：受到上级党委通报批评及以上组织措施（不能评为四星级、五星级）"
    assert f"距四星级还差：{veto}" in text  # the veto blocks four and five, three stands
    three, five = (t for t in result.ingest.targets if t.form_id == "xingji")
    assert (three.count, three.total, three.reached) == (6, 10, False)  # 60% < 80%
    assert (five.count, five.total, five.reached) == (2, 10, True)  # 20% exactly
    assert f"本轮目标 {five.text}：{five.message}" in text
    # the 考核组 lower two levels (tests/test_cli.py: the review's lines): one 五星级 left to 公示
    assert "发布 publish：同意 9 个，其中须公示 1 个（东湖社区党总支五星级）" in text
    assert "其余 8 个由街道评定，不公示" in text


def test_the_xingji_approval_and_publication_list_only_levels_needing_publicity(xingji_demo):
    import json

    result, _ = xingji_demo
    folder = result.folder
    decided = openpyxl.load_workbook(folder / "summary-审定.xlsx")["审定"]
    advice = {row[2].value: row[9].value for row in decided.iter_rows(min_row=4) if row[2].value}
    assert advice["东湖社区党总支"] == "推荐：五星级（由县评定，须公示）"  # confirmed as claimed
    # 四星级 on its own answers, 三星级 as the 县验收组 confirmed it (the review, tests/test_cli.py)
    first, why = advice["北山社区党支部"].split("\n")
    assert first == "推荐：三星级（由街道评定，不公示）"
    assert "评审认定：三星级（按本单位填报：四星级；申报：四星级）" in why
    assert advice["西园社区党支部"].startswith("推荐：三星级（由街道评定，不公示）")
    scores = [(row[4].value, row[5].value) for row in decided.iter_rows(min_row=4) if row[2].value]
    assert scores == [(None, None)] * 9  # no score: the levels rest on conditions
    notice = openpyxl.load_workbook(result.published / "公示名单.xlsx")["评星晋级公示"]
    cells = [[c.value for c in row] for row in notice.iter_rows()]
    assert (
        cells[0][0]
        == "2026年度城市社区党组织“评星晋级”考评\n评星晋级（四星级、五星级）拟评定对象公示名单"
    )
    assert cells[2][:3] == ["序号", "单位名称", "星级"]
    assert [r[1:3] for r in cells[3:5]] == [["东湖社区党总支", "五星级"], [None, None]]
    # the names take the width, 星级 only what 五星级 needs (no unit column in this list)
    name_width, level_width = (notice.column_dimensions[c].width for c in "BC")
    assert level_width <= 14 < 40 <= name_width
    assert "县基层党组织“评星晋级”工作领导小组办公室" in {r[0] for r in cells}
    listed = {r[1] for r in cells}
    assert not {"西园社区党支部", "阳光社区党总支", "北山社区党支部", "和平社区党支部"} & listed
    data = json.loads((result.published / "decisions.json").read_text(encoding="utf-8"))
    by_unit = {c["unit_id"]: c for c in data["candidates"]}
    assert (by_unit["SQ01"]["level"], by_unit["SQ01"]["decided_by"]) == ("五星级", "县")
    assert (by_unit["SQ04"]["level"], by_unit["SQ04"]["decided_by"]) == ("三星级", "街道")
    assert by_unit["SQ01"]["publicity"] and not by_unit["SQ04"]["publicity"]
    assert not by_unit["SQ08"]["publicity"]
    assert by_unit["SQ08"]["result"] == "一星级（由街道评定，不公示）"
    from xlsxflow.register.published import decisions_of

    recorded = {d.subject_id: (d.band, d.stars) for d in decisions_of(data)[0]}
    assert recorded["SQ01"] == ("五星级", 5) and recorded["SQ08"] == ("一星级", 1)  # 动态管理
    summary = openpyxl.load_workbook(result.summary)
    assert {"评星晋级星级", "评星晋级公示", "审定", "评审汇总"} <= set(summary.sheetnames)
    assert summary.active.title == "评星晋级星级"  # opens on the levels
    about = {r[0]: r[1] for r in summary["说明"].iter_rows(values_only=True)}["评星晋级"]
    assert "一星级、二星级、三星级由街道评定，不公示" in about
    assert (
        "四星级、五星级由县评定，经公示后命名" in about and "一票否决只阻止四星级、五星级" in about
    )
    listed = {r[1].value for r in summary["评星晋级公示"].iter_rows()}
    assert "东湖社区党总支" in listed and not {"北山社区党支部", "西园社区党支部"} & listed


# -- the “96%” trap: a rate typed with % is stored as 0.96 in a percent format -----------------

TYPE_SCRIPT = """
import json, os, subprocess, sys, time, uuid
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

soffice, profile, src, dst, cells = sys.argv[1:6]
pipe = "xf" + uuid.uuid4().hex[:12]
proc = subprocess.Popen(
    [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
     "--nologo", f"--accept=pipe,name={pipe};urp;"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.2)
    else:
        sys.exit("LibreOffice did not start")
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, (prop("Hidden", True),))
    dispatch = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
    frame = doc.getCurrentController().getFrame()
    for sheet, ref, typed in json.loads(cells):  # typed into the cell, as a person does
        doc.getCurrentController().setActiveSheet(doc.Sheets.getByName(sheet))
        dispatch.executeDispatch(frame, ".uno:GoToCell", "", 0, (prop("ToPoint", ref),))
        dispatch.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", typed),))
    doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(dst)),
                   (prop("FilterName", "Calc Office Open XML"),))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
"""


def libreoffice_type(soffice: str, src, dst, cells: list, profile) -> None:
    """Open ``src`` in LibreOffice, type each (sheet, cell, text) as a person would, save."""
    import shutil
    import subprocess

    python = next(
        (
            p
            for p in ("/usr/bin/python3", shutil.which("python3"))
            if p and subprocess.run([p, "-c", "import uno"], capture_output=True).returncode == 0
        ),
        None,
    )
    if python is None:
        if os.environ.get("XLSXFLOW_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("python3-uno is required here but not installed")
        pytest.skip("LibreOffice's Python bridge not installed (apt-get install python3-uno)")
    script = dst.parent / "type_with_libreoffice.py"
    dst.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(TYPE_SCRIPT, encoding="utf-8")
    args = [python, str(script), soffice, str(profile), str(src), str(dst), json_dumps(cells)]
    subprocess.run(args, check=True, capture_output=True, timeout=240)


def json_dumps(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_96_percent_typed_in_libreoffice_reads_as_96(cond_round, soffice, tmp_path):
    ctx, files = cond_round
    layout = sheet_of(ctx, "xingji")
    cell = {i.key: i.ref for i in layout.inputs}
    names = layout.rubric.level_names
    sheets = answers_for(ctx, {"xingji": names[:4]})
    src = fill_book(files["CZJ"], tmp_path / "filled" / "a.xlsx", ctx.round, sheets)
    typed = [
        [layout.sheet_name, cell["chenggong"], "96%"],
        [layout.sheet_name, cell["tiaochu"], "100%"],
    ]
    libreoffice_type(soffice, src, tmp_path / "returns" / "a.xlsx", typed, tmp_path / "profile")
    stored = openpyxl.load_workbook(tmp_path / "returns" / "a.xlsx")[layout.sheet_name]
    assert stored[cell["chenggong"]].value == pytest.approx(0.96)  # what LibreOffice keeps
    assert "%" in stored[cell["chenggong"]].number_format
    report = ingest_entries(tmp_path, ctx, {})
    rec = record_of(report, "a.xlsx")
    assert rec.status == "accepted" and not rec.issues, [i.message for i in rec.issues]
    sub = next(s for s in rec.submissions if s.sheet == layout.sheet_name)
    assert (sub.answers["chenggong"], sub.answers["tiaochu"]) == (96, 100)
    result = next(r for r in report.results if r.form_id == "xingji")
    assert result.stars.level == "三星级"  # 95% holds for 三星级; 四星级 asks 100%
    assert result.stars.missing_text == "距四星级还差：调处成功率 100%（现为 96%）"


def test_percent_formats_scale_and_a_bare_fraction_is_named(cond_round, tmp_path):
    from xlsxflow.messages import render

    ctx, files = cond_round
    layout = sheet_of(ctx, "xingji")
    cell = {i.key: i.ref for i in layout.inputs}
    label = {i.key: i.label for i in layout.inputs}
    names = layout.rubric.level_names

    def book(unit: str, chenggong, fmt: str | None, tiaochu=100):
        name = f"{unit}.xlsx"
        sheets = answers_for(ctx, {"xingji": names}, {"xingji": {"tiaochu": tiaochu}})

        def edit(wb, _book):
            ws = wb[layout.sheet_name]
            ws[cell["chenggong"]] = chenggong
            if fmt:
                ws[cell["chenggong"]].number_format = fmt
            if isinstance(tiaochu, float) and tiaochu <= 1:
                ws[cell["tiaochu"]].number_format = "0.00%"  # built-in format 10

        return fill_book(files[unit], tmp_path / "f" / name, ctx.round, sheets, edit=edit)

    books = {  # one unit each: a unit's later file would supersede its earlier one
        "builtin": book("CZJ", 1.0, "0%", tiaochu=1.0),  # built-in formats 9 and 10
        "custom": book("CZJ-GK", 0.965, "0.0%;[Red]-0.0%"),  # a custom code
        "quoted": book("CZJ-PS", 0.96, '0.00"%"'),  # a literal % sign: not a percent
        "bare": book("DAJ", 0.96, None),
        "text": book("GZW", "96%", None),
    }
    entries = {f"{k}.xlsx": v for k, v in books.items()}
    report = ingest_entries(tmp_path, ctx, entries)
    answers = {
        f.path: next(s for s in f.submissions if s.sheet == layout.sheet_name).answers
        for f in report.files
    }
    assert (answers["builtin.xlsx"]["chenggong"], answers["builtin.xlsx"]["tiaochu"]) == (100, 100)
    assert answers["custom.xlsx"]["chenggong"] == pytest.approx(96.5)
    assert answers["text.xlsx"]["chenggong"] == 96
    assert answers["bare.xlsx"]["chenggong"] == 0.96 and answers["quoted.xlsx"]["chenggong"] == 0.96
    for name in ("builtin.xlsx", "custom.xlsx"):
        assert not record_of(report, name).issues, name
    assert [i.code for i in record_of(report, "text.xlsx").issues] == ["value-normalised"]
    assert [i.code for i in record_of(report, "quoted.xlsx").issues] == ["value-percent-fraction"]
    (warning,) = record_of(report, "bare.xlsx").issues
    assert (warning.code, warning.severity, warning.sheet, warning.cell) == (
        "value-percent-fraction",
        "warning",
        layout.sheet_name,
        cell["chenggong"],
    )
    assert warning.message == render(
        "value-percent-fraction", label=label["chenggong"], value="0.96", percent="96"
    )
    levels = {r.file: r.stars.level for r in report.results if r.form_id == "xingji"}
    assert (levels["builtin.xlsx"], levels["custom.xlsx"]) == ("五星级", "三星级")  # 96.5 < 100
    assert levels["bare.xlsx"] is None  # 0.96% meets no level: the warning says why


def test_round_approval_says_level_and_who_decides_and_lists_only_levels_needing_publicity(
    cond_round, tmp_path
):
    from xlsxflow.approval import read_approval
    from xlsxflow.review.outcome import decide
    from xlsxflow.review.spec import load_review

    ctx, files = cond_round
    names = ["一星级", "二星级", "三星级", "四星级", "五星级"]
    chosen = {  # unit → (002 levels, 篇3 stars)
        "CZJ": (names, ["理论学习星"]),
        "CZJ-GK": (names[:3], []),
        "CZJ-PS": ([], ["制度落实星", "党建活动星"]),
    }
    entries = {}
    for unit, (levels, stars) in chosen.items():
        sheets = answers_for(
            ctx, {"xingji": levels, "pian3": stars, "pian2": names, "jingpin": ["党建精品社区"]}
        )
        sheets[sheet_of(ctx, "pian2").sheet_name]["score"] = 96
        entries[f"{unit}.xlsx"] = fill_book(
            files[unit], tmp_path / "f" / f"{unit}.xlsx", ctx.round, sheets
        )
    report = ingest_entries(tmp_path, ctx, entries)
    outcome = decide(ctx.round, load_review(ctx.round), report, None)
    path = tmp_path / "summary.xlsx"
    path.write_bytes(summary_bytes(report, None, ctx.roster, outcome=outcome, key=ctx.key))
    read = read_approval(path, ctx.key, round_id=ctx.record.round_id)
    assert read.ok, [i.message for i in read.issues]
    rows = {(r.form_id, r.unit_id): r for r in read.rows}
    five, three = rows[("xingji", "CZJ")], rows[("xingji", "CZJ-GK")]
    assert (five.level, five.decided_by, five.level_publicity) == ("五星级", "县", True)
    assert five.advice == "推荐：五星级（由县评定，须公示）" and five.decision_score is None
    assert three.advice == "推荐：三星级（由街道评定，不公示）" and three.basis_text == "星级条件"
    none = rows[("xingji", "CZJ-PS")]
    assert (none.recommendation, none.advice) == ("不推荐", "不推荐：未达到任何星级")
    assert rows[("pian3", "CZJ-PS")].advice == "推荐：2 颗星：制度落实星、党建活动星"
    assert rows[("pian3", "CZJ-GK")].advice == "不推荐：未得星"
    assert rows[("pian2", "CZJ")].decision_score is not None  # 篇2 keeps its score
    assert rows[("jingpin", "CZJ")].advice == "推荐：党建精品社区"  # 004 names no decider
    for name in ("jingpin", "pian3", "xingji"):
        assert rows[(name, "CZJ")].basis_text == "星级条件", name
    assert read.forms["xingji"].publicity_levels == ("四星级", "五星级")
    sheets = openpyxl.load_workbook(path).sheetnames
    assert "社区评星公示" in sheets  # 002's 四、五星级 need 公示 …
    assert not {"五星创建公示", "星级考评公示", "精品社区公示"} & set(sheets)  # … the others none
