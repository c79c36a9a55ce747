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
