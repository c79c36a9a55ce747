"""Issue 10 §6: the smaller things found on the way (sample returns, shipped rounds by name,
outlines, the 文明标兵 note, the shared quota, the demo's data, the console lines)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from simpleeval import EvalWithCompoundTypes

from xlsxflow.cli import main
from xlsxflow.demo import FILE_STATUS
from xlsxflow.messages import make_issue
from xlsxflow.ooxml import RawCell
from xlsxflow.round import generate_round, open_round
from xlsxflow.roundfile import FUNCTIONS, load_round, shipped_round_names
from xlsxflow.rubric import field_limits, load_rubric, outline, parse_rubric
from xlsxflow.samples import NAMES, OFFICES, WINDOWS, make_round_returns
from xlsxflow.values import parse_month


def test_sample_returns_fills_a_round_files_workbooks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["generate", "dangzhibu", "--out", "wb"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["sample-returns", "wb", "--out", "ret"])
    assert result.exit_code == 0, result.output
    assert "内部错误" not in result.output and "content_hash" not in result.output
    filled = sorted(p.name for p in (tmp_path / "ret").glob("*.xlsx"))
    assert len(filled) >= 5
    result = runner.invoke(main, ["ingest", "ret"])
    assert result.exit_code in (0, 1), result.output


# -- shipped rounds by name -------------------------------------------------------------------


def test_round_check_generate_and_init_take_a_shipped_rounds_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["round", "check", "sanchuang"])
    assert result.exit_code == 0, result.output
    assert "文明窗口" in result.output and "文明标兵" in result.output
    result = runner.invoke(main, ["generate", "dangzhibu", "--out", "wb"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "wb").glob("*.xlsx"))) == 9  # one per branch
    result = runner.invoke(main, ["init", "--round", "dangzhibu", "mine/round.yaml"])
    assert result.exit_code == 0, result.output
    assert "roster: branches.csv" in (tmp_path / "mine" / "round.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "mine" / "branches.csv").exists()
    result = runner.invoke(main, ["round", "check", "mine/round.yaml"])
    assert result.exit_code == 0 and "党员先锋岗" in result.output


def test_an_unknown_round_name_names_the_shipped_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["round", "check", "sanchaung"])
    assert result.exit_code == 2
    shipped = "、".join(shipped_round_names())
    assert {"dangzhibu", "sanchuang", "xingji"} <= set(shipped_round_names())
    expected = make_issue("round-file-missing", name="sanchaung", shipped=shipped)
    assert expected.message in result.output


def _install_like_pip(site: Path) -> None:
    """Lay the package out as an installed wheel does (pyproject's package-dir mapping)."""
    repo = Path(__file__).resolve().parent.parent
    config = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    data = config["setuptools"]["package-data"]
    for package, source in config["setuptools"]["package-dir"].items():
        target = site.joinpath(*package.split("."))
        target.mkdir(parents=True, exist_ok=True)
        patterns = ["*.py", *data.get(package, [])]
        for pattern in patterns:
            for file in (repo / source).glob(pattern):
                if file.is_file():
                    (target / file.relative_to(repo / source)).parent.mkdir(
                        parents=True, exist_ok=True
                    )
                    shutil.copy2(file, target / file.relative_to(repo / source))


def test_shipped_rounds_by_name_when_installed_outside_the_checkout(tmp_path):
    site, work = tmp_path / "site", tmp_path / "work"
    _install_like_pip(site)
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "XLSXFLOW_KEY_FILE": str(tmp_path / "k.key")}

    def run(*args):
        code = "import sys, xlsxflow; print(xlsxflow.__file__, file=sys.stderr); " + (
            "from xlsxflow.cli import main; main()"
        )
        return subprocess.run(
            [sys.executable, "-c", code, *args], cwd=work, env=env, capture_output=True, text=True
        )

    result = run("round", "check", "sanchuang")
    assert result.returncode == 0, result.stderr
    assert str(site) in result.stderr  # the copy, not the checkout
    assert "文明标兵" in result.stdout
    result = run("generate", "dangzhibu", "--out", "wb")
    assert result.returncode == 0, result.stderr
    result = run("init", "--round", "dangzhibu", "r.yaml")
    assert result.returncode == 0, result.stderr
    assert (work / "branches.csv").exists()
    result = run("demo", "d", "--rubric", "dangzhibu")
    assert result.returncode in (0, 1), result.stderr


# -- the console lines of ingest --------------------------------------------------------------


def test_ingest_names_files_and_forms_differently(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["generate", "sanchuang", "--out", "wb"]).exit_code == 0
    assert runner.invoke(main, ["sample-returns", "wb", "--out", "ret"]).exit_code == 0
    result = runner.invoke(main, ["ingest", "ret", "--report", "r.json"])
    assert result.exit_code == 1, result.output
    files, forms = result.output.splitlines()[:2]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    counts = report["counts"]
    assert files.startswith("文件 files：") and forms.startswith("表格 forms：")
    assert f"收到 {sum(counts.values())} 个" in files
    assert f"{FILE_STATUS['accepted']} {counts['accepted']}" in files
    assert f"读到 {len(report['results'])} 张" in forms
    assert counts["accepted"] != len(report["results"])  # a round: several forms per file
    assert FILE_STATUS["accepted"] not in forms and "accepted" not in result.output


# -- outlines ---------------------------------------------------------------------------------


def test_rubric_outline_shows_award_veto_texts_and_field_limits():
    hongqi = outline(load_rubric("hongqi-dangzhibu"))
    award = load_rubric("hongqi-dangzhibu").award
    assert f"奖项 award: {award.name}" in hongqi and f"前 {award.top} 名" in hongqi
    danwei = load_rubric("wenming-danwei")
    text = outline(danwei)
    for declaration in danwei.declarations:
        assert f"  - {declaration.text}" in text
    biaobing = load_rubric("shenbao-biaobing")
    text = outline(biaobing)
    for field in biaobing.fields:
        line = next(x for x in text.splitlines() if x.startswith(f"  {field.label} "))
        assert line.endswith(field_limits(field))
        if field.max_length:
            assert f"≤ {field.max_length} 字" in line
    assert "选择 男/女，必填" in text and "选填" in text


def test_notes_folded_by_yaml_print_without_stray_spaces():
    rubric = parse_rubric(
        "id: t\ntitle: 测试\nversion: '1'\nfields: [{id: a, label: 甲}]\nnotes:\n"
        "  - 第一行说到这里。\n    第二行接着说，保留 2000 字与 ASCII words 之间的空格。\n"
    )
    assert "这里。 第二行" in rubric.notes[0]  # what YAML folding gives
    text = outline(rubric)
    assert "这里。第二行接着说，保留 2000 字与 ASCII words 之间的空格。" in text
    shipped = outline(load_rubric("hongqi-dangzhibu"))
    assert "正好 100。种子没有说明" in shipped
    pian2 = outline(load_rubric("xingji-pian2"))  # a line broken after “；” before a number
    assert not re.search(r"[；。，：] ", pian2), re.findall(r".{6}[；。，：] .{4}", pian2)


def test_round_outline_shows_a_shared_quota_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rnd = load_round("sanchuang")
    result = CliRunner().invoke(main, ["round", "check", "sanchuang"])
    assert result.exit_code == 0
    text = result.output
    shared = sum(
        rnd.entitlements[u.unit_id]["chuangkou"].slots
        for u in rnd.roster
        if rnd.entitlements[u.unit_id]["chuangkou"].receives
    )
    assert shared == 31  # the sample roster
    assert text.count(f"共 {shared} 个名额") == 1
    assert "文明窗口、文明科室 合用名额" in text
    header = next(x for x in text.splitlines() if x.startswith("单位编号"))
    assert header.split() == ["单位编号", "单位名称", "文明单位", "文明窗口/文明科室", "文明标兵"]


# -- the 文明标兵 quota: note, expression, README and tests agree --------------------------------


def test_biaobing_quota_note_agrees_with_the_expression_and_readme():
    rnd = load_round("sanchuang")
    expression = rnd.form("biaobing").slots
    notes = [n for n in rnd.spec.notes if "文明标兵名额的边界" in n]
    assert len(notes) == 1
    note = notes[0]
    assert "含本数" in note and "以上" in note and "以下" in note  # the reading is named
    examples = [(int(a), int(b)) for a, b in re.findall(r"(\d+) 人 → (\d+)", note)]
    assert {staff for staff, _ in examples} >= {49, 50, 200, 201}
    for staff, slots in examples:
        got = EvalWithCompoundTypes(names={"职工人数": staff}, functions=FUNCTIONS).eval(expression)
        assert got == slots, f"note says {staff} → {slots}, the expression gives {got}"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "< 50 → 1, 50–200 → 3, > 200 → 5" in readme
    assert "职工人数 < 50 → 1 名，50–200 → 3 名，> 200 → 5 名" in note


# -- the demo's data --------------------------------------------------------------------------


def month_of(typed) -> tuple[int, int]:
    """A month as ingest reads it (1985年6月, 2008-09, 2008/9 → (year, month))."""
    parsed = parse_month(RawCell(typed, "s"))
    assert parsed.value, typed
    year, month = parsed.value.split("-")
    return int(year), int(month)


def test_demo_data_looks_real(tmp_path):
    gen = generate_round("sanchuang", tmp_path / "wb", workdir=tmp_path)
    ctx = open_round(workdir=tmp_path)
    rnd = ctx.round
    make_round_returns(gen.files, rnd, tmp_path / "ret")
    seen = {"文明窗口": 0, "文明科室": 0, "文明标兵": 0}
    for path in sorted((tmp_path / "ret").glob("*.xlsx")):
        unit_id = next((g.unit_id for g in gen.files if g.path.name == path.name), None)
        if unit_id is None:
            continue  # a second copy, or the CSV renamed to .xlsx
        wb = openpyxl.load_workbook(path)
        for layout in rnd.book(rnd.slots_of(unit_id)).sheets:
            if layout.sheet_name not in wb.sheetnames or not layout.plan.nominee_label:
                continue
            ws = wb[layout.sheet_name]
            values = {i.key: ws[i.ref].value for i in layout.inputs}
            nominee = values["nominee"]
            if nominee is None:
                continue  # a slot left blank: not nominating
            form = layout.plan.form_id
            title = rnd.form(form).title
            seen[title] += 1
            if title == "文明窗口":
                assert nominee in WINDOWS and nominee not in NAMES
            elif title == "文明科室":
                assert nominee in OFFICES and nominee not in NAMES
            else:
                assert nominee in NAMES
                born = month_of(values["birth"])
                started = month_of(values["work_start"])
                assert born > (1950, 1) and (born[0] + 16, born[1]) <= started
                assert started <= (2026, 12)
                categories = [values[k] for k in layout.choose[0].keys]
                assert "否" in categories or "是" not in categories, categories
    assert all(count >= 3 for count in seen.values()), seen


# -- the package's names ------------------------------------------------------------------------


def test_package_names_stay_functions_whatever_is_imported_first():
    """``from xlsxflow import write_summary, ingest`` once gave the module ``ingest``."""
    code = (
        "from xlsxflow import write_summary, decide, ingest, publish\n"
        "import xlsxflow.ingest, xlsxflow.publish\n"
        "assert callable(ingest) and callable(publish), (ingest, publish)\n"
        "assert xlsxflow.ingest is ingest\n"
        "from xlsxflow.ingest import read_source\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_every_subpackage_is_installed():
    """A non-editable install once left out xlsxflow.review: `xlsxflow demo` failed at import."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(p.parent.relative_to(root).parts) for p in (root / "xlsxflow").rglob("__init__.py")
    }
    assert found <= listed, found - listed


def test_a_write_removes_the_temporary_files_of_killed_writers_only(tmp_path):
    """``kill -9`` during a write leaves ``.name.<pid>-<hex>.tmp``; the next write of the
    same file removes it, but never the temporary file of a writer still running."""
    import subprocess
    import sys

    from xlsxflow.atomic import atomic_write_bytes

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    dead_pid = int(gone.stdout)
    target = tmp_path / "report.json"
    dead = tmp_path / f".report.json.{dead_pid}-abcd1234.tmp"
    alive = tmp_path / f".report.json.{os.getppid()}-abcd1234.tmp"
    other = tmp_path / f".summary.xlsx.{dead_pid}-abcd1234.tmp"
    for p in (dead, alive, other):
        p.write_bytes(b"half")
    atomic_write_bytes(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert not dead.exists() and alive.exists() and other.exists()
