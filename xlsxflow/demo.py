"""The whole job on the sample roster: generate → sample returns → ingest → summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .ingest import IngestReport, ingest
from .round import ROUND_FILE, generate, generate_round, is_round_file, open_round
from .roundfile import resolve_round_path
from .rubric import shipped_dir
from .samples import make_round_returns, make_sample_returns
from .summary import write_report_json, write_summary

FILE_STATUS = {  # as on the summary's 文件 sheet
    "accepted": "已接受",
    "rejected": "拒收",
    "duplicate": "重复",
    "superseded": "已被取代",
    "skipped": "已跳过",
}


def files_line(report: IngestReport) -> str:
    """What happened to the files received: each file counted once, by its status."""
    counts = report.counts()
    parts = "，".join(f"{FILE_STATUS.get(k, k)} {v}" for k, v in counts.items())
    return f"文件 files：收到 {sum(counts.values())} 个 — {parts}"


def forms_line(report: IngestReport) -> str:
    """What was read from the accepted files: forms (sheets), eligible, units missing."""
    eligible = sum(r.eligible for r in report.results)
    return (
        f"表格 forms：读到 {len(report.results)} 张，符合条件 {eligible} 张；"
        f"未交单位 {len(report.missing)} 个；问题 {len(report.issues)} 条"
    )


@dataclass
class DemoResult:
    folder: Path
    summary: Path
    report: Path
    ingest: IngestReport


def shipped_round(name: str) -> Path | None:
    """A round file by path, or the name of a shipped one (``sanchuang``); else None."""
    return resolve_round_path(name) if is_round_file(name) else None


def run_demo(
    folder: Path,
    rubric: str = "sanchuang",
    *,
    lang: str = "zh",
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Run a round in ``folder`` with a demo key kept there (never the office key)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "demo-secret.key"
    roster = shipped_dir("samples") / "roster.csv"
    workbooks, returns = folder / "workbooks", folder / "returns"
    for old in (workbooks, returns):  # a fresh run each time
        _clear(old)
    round_file = shipped_round(rubric)
    if round_file is not None:
        return _run_round_demo(folder, round_file, key, workbooks, returns, lang, echo)
    gen = generate(
        rubric,
        roster,
        workbooks,
        key_path=key,
        workdir=folder,
        lang=lang,
        title="2026年度市直机关“三创三树”创建评选（示例）",
        new_round=True,  # a fresh run each time, earlier demo rounds stay recorded
    )
    echo(f"1. 生成 generated {len(gen.files)} 个工作簿 → {workbooks}")
    ctx = open_round(workdir=folder, key_path=key)
    planted = make_sample_returns(gen.files, ctx.rubric, ctx.roster, returns, lang=lang)
    echo(f"2. 示例报送 sample returns → {returns}（其中有意设置的问题 planted problems:）")
    for p in planted:
        echo(f"     {p.unit_id or '—':<8} {p.what}")
    report = ingest(returns, ctx, command=f"xlsxflow demo {folder}")
    summary, report_path = folder / "summary.xlsx", folder / "report.json"
    write_summary(report, ctx.rubric, ctx.roster, summary, lang)
    write_report_json(report, report_path)
    echo(f"3. 读取 ingest：{files_line(report)}")
    echo(f"   {forms_line(report)}")
    echo(f"   排名 ranked {sum(r.rank is not None for r in report.results)}")
    assert (folder / ROUND_FILE).exists()
    return DemoResult(folder, summary, report_path, report)


def _run_round_demo(folder, round_file, key, workbooks, returns, lang, echo) -> DemoResult:
    """A round of several forms (the seed's 三创三树): one workbook per unit, every form in it."""
    gen = generate_round(
        round_file, workbooks, key_path=key, workdir=folder, lang=lang, new_round=True
    )
    echo(
        f"1. 生成 generated {len(gen.files)} 个工作簿（每个单位一个，含其可申报的全部表）→ {workbooks}"
    )
    ctx = open_round(workdir=folder, key_path=key)
    planted = make_round_returns(gen.files, ctx.round, returns, lang=lang)
    echo(f"2. 示例报送 sample returns → {returns}（其中有意设置的问题 planted problems:）")
    for p in planted:
        echo(f"     {p.unit_id or '—':<8} {p.what}")
    report = ingest(returns, ctx, command=f"xlsxflow demo {folder}")
    summary, report_path = folder / "summary.xlsx", folder / "report.json"
    write_summary(report, None, ctx.roster, summary, lang)
    write_report_json(report, report_path)
    echo(f"3. 读取 ingest：{files_line(report)}")
    for form in ctx.round.spec.forms:
        mine = [r for r in report.results if r.form_id == form.id]
        echo(
            f"   {form.title}: 推荐 nominated {len(mine)}，"
            f"符合条件 eligible {sum(r.eligible for r in mine)}"
        )
    echo(f"   {forms_line(report)}")
    return DemoResult(folder, summary, report_path, report)


def _clear(folder: Path) -> None:
    import shutil

    if folder.is_dir():
        shutil.rmtree(folder)
