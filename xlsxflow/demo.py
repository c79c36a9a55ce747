"""The whole job on the sample roster, both halves of a round.

generate → sample returns → ingest; for a round with a review (the shipped rounds'
commented examples, switched on in the demo's own copy of the round file):
review generate → a unit resubmits → reviewers fill in (one over a maximum, one not
returning, one unit 自评虚高) → review ingest → summary with the review and the 审定
sheet → the office's 审定 filled in → publish (公示名单, 结果通报, decisions.json).

The party-branch round (``--rubric dangzhibu``) also keeps a register: the sample past
results (samples/register-past.csv: 2024–2025 stars, 2025–2026H1 red flags, 2025Q1–2026Q3
pioneer posts) are imported, so with this round's 2026H2 flags and 2026Q4 posts the year
has its two half-years and four quarters; publish then writes the annual titles they
complete (年度称号公示.xlsx); a member's violation in 2026H1 revokes the branch's flag
(and so its title); the history rules are shown last.

The star-levels round (``--rubric xingji``, seed 002) is decided by conditions: the 社区
answer them (a spread over the levels), ingest prints each level and what the next lacks;
its review has the 街道考核组 and the 县验收组 confirm each condition (one 不属实, one rate
measured below the claim), then the levels claimed and confirmed, 审定 and publish (公示
only for the confirmed levels that need it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .accepted import Ledger
from .approval import fill_sample_decisions
from .atomic import atomic_write_bytes
from .ingest import IngestReport, ingest
from .messages import render
from .publish import publish
from .review.outcome import decide
from .review.run import (
    REVIEW_FILES,
    generate_lines,
    read_reviews,
    review_lines,
    reviewer_file_lines,
)
from .review.spec import load_review
from .review.workbook import write_reviewer_workbooks
from .round import ROUND_FILE, generate, generate_round, is_round_file, open_round
from .roundfile import resolve_round_path, starter_text, uncomment_review
from .rubric import shipped_dir
from .samples import (
    make_review_returns,
    make_round_returns,
    make_sample_returns,
    resubmit_after_review,
)
from .summary import write_report_json, write_summary

FILE_STATUS = {  # as on the summary's 文件 sheet
    "accepted": "已接受",
    "rejected": "拒收",
    "duplicate": "重复",
    "superseded": "已被取代",
    "skipped": "已跳过",
}


def files_line(report: IngestReport, label: str = "文件 files") -> str:
    """What happened to the files received: each file counted once, by its status."""
    counts = report.counts()
    parts = "，".join(f"{FILE_STATUS.get(k, k)} {v}" for k, v in counts.items())
    return f"{label}：收到 {sum(counts.values())} 个 — {parts}"


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
    published: Path | None = None  # the publication folder (a round with a review)
    ballots_summary: Path | None = None  # the 测评汇总 (a round with evaluations)
    ballots_published: Path | None = None  # its 公示 folder
    register: Path | None = None  # the register the demo recorded into (party branches)


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
    for old in (workbooks, returns, folder / "evidence"):  # a fresh run each time
        _clear(old)
    round_file = shipped_round(rubric)
    if round_file is not None and levels_round(round_file):
        return _run_levels_demo(folder, round_file, key, workbooks, returns, lang, echo)
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


def demo_round_file(folder: Path, round_file: Path) -> Path:
    """The demo's own copy of a shipped round, its review switched on, samples beside it."""
    import shutil

    text, roster_name = starter_text(str(round_file))
    path = folder / round_file.name
    atomic_write_bytes(path, uncomment_review(text).encode("utf-8"))
    samples = shipped_dir("samples")
    for name in (roster_name, "reviewers.csv", "members.csv", *sample_files(text)):
        if name != "members.csv" or f": {name}" in text:  # members: when the round names it
            shutil.copyfile(samples / name, folder / name)
    return path


def sample_files(text: str) -> list[str]:
    """The shipped sample files a starter round names besides the usual ones (xingji's
    ``reviewers: reviewers-shequ.csv``, commented or not), each once."""
    import re

    found = re.findall(r"(?:reviewers|candidates):\s*([\w.-]+\.csv)", text)
    usual = {"reviewers.csv", "members.csv"}
    return [
        n for n in dict.fromkeys(found) if n not in usual and (shipped_dir("samples") / n).is_file()
    ]


def _run_round_demo(folder, round_file, key, workbooks, returns, lang, echo) -> DemoResult:
    """A round of several forms (the seed's 三创三树): one workbook per unit, every form in it;
    then the review, the 审定 and the publication."""
    round_file = demo_round_file(folder, round_file)
    gen = generate_round(
        round_file, workbooks, key_path=key, workdir=folder, lang=lang, new_round=True
    )
    echo(
        f"1. 生成 generated {len(gen.files)} 个工作簿（每个单位一个，含其可申报的全部表）→ {workbooks}"
    )
    ctx = open_round(workdir=folder, key_path=key)
    planted = make_round_returns(gen.files, ctx.round, returns, lang=lang)
    from .evidence.samples import sample_evidence  # 佐证材料 (issue 15): one unit sends it

    planted += filter(None, [sample_evidence(ctx, workbooks, returns)])
    echo(f"2. 示例报送 sample returns → {returns}（其中有意设置的问题 planted problems:）")
    for p in planted:
        echo(f"     {p.unit_id or '—':<8} {p.what}")
    said: list[str] = []  # before ingest (its bars, its 历史 sheet), said under step 3
    register = _demo_register(folder, ctx.round, said.append)
    report = _ingest_with(register, returns, ctx, command=f"xlsxflow demo {folder}")
    from .evidence.store import store_beside_summary

    if stored := store_beside_summary(report, ctx.roster, folder / "summary.xlsx")[0]:
        said.append(f"   佐证材料 evidence → {stored}")
    ledger = Ledger.open(folder)
    ledger.record(report, "returns")
    echo(f"3. 读取 ingest：{files_line(report)}")
    for line in said:
        echo(line)
    for form in ctx.round.spec.forms:
        mine = [r for r in report.results if r.form_id == form.id]
        echo(
            f"   {form.title}: 推荐 nominated {len(mine)}，"
            f"符合条件 eligible {sum(r.eligible for r in mine)}"
        )
    echo(f"   {forms_line(report)}")
    review = load_review(ctx.round)
    outcome = decide(ctx.round, review, report, None)
    summary, report_path = folder / "summary.xlsx", folder / "report.json"
    if not review.forms:  # a round without a review: the summary is the end of the demo
        write_summary(report, None, ctx.roster, summary, lang, outcome, key=ctx.key)
        write_report_json(report, report_path, outcome)
        return DemoResult(folder, summary, report_path, report)
    return _review_demo(folder, ctx, review, ledger, returns, key, lang, echo, register)


def _ingest_with(register: Path | None, returns: Path, ctx, **kwargs):
    """``ingest`` with the demo's register open when there is one (its bars and 历史 sheet)."""
    if register is None:
        return ingest(returns, ctx, **kwargs)
    from .register import open_register

    with open_register(register) as reg:
        return ingest(returns, ctx, register=reg, **kwargs)


def _review_demo(folder, ctx, review, ledger, returns, key, lang, echo, register) -> DemoResult:
    """Steps 4–8: reviewer workbooks, a resubmission, reviews back, 审定, publish."""
    books, back = folder / "review-workbooks", folder / "review-returns"
    for old in (books, back):
        _clear(old)
    accepted = ledger.accepted(ctx.record.round_id)
    evidence = folder / "evidence"  # 佐证材料 stored by the ingest above: linked per item
    generated = write_reviewer_workbooks(
        ctx,
        review,
        accepted,
        books,
        lang=lang,
        evidence_dir=evidence if evidence.is_dir() else None,
    )
    lines = generate_lines(generated)
    echo("4. " + lines[0])
    for line in lines[1:]:
        echo("   " + line)
    planted = make_review_returns(
        generated, ctx, review, ledger.snapshot(ctx.record.round_id), back, seed=2026
    )
    stale = resubmit_after_review(
        generated, ctx, accepted, returns, avoid={p.unit_id for p in planted}
    )
    echo(f"5. 评审人交回 reviews back → {back}（有意设置的问题 planted:）")
    for p in planted:
        echo(f"     {p.unit_id:<8} {p.what}")
    if stale:
        echo(f"     {stale.unit_id:<8} {stale.what}")
    if register is None:
        read = read_reviews(back, workdir=folder, key_path=key)
    else:
        from .register import open_register

        with open_register(register) as reg:
            read = read_reviews(back, workdir=folder, key_path=key, register=reg)
    outcome = decide(ctx.round, review, read.units, read.reviews)
    summary, report_path = folder / "summary.xlsx", folder / "report.json"
    from .evidence.store import store_beside_summary

    store_beside_summary(read.units, ctx.roster, summary)  # the 佐证 sheet's links
    write_summary(read.units, None, ctx.roster, summary, lang, outcome, key=ctx.key)
    write_report_json(read.units, report_path, outcome, read.reviews)
    echo(f"6. 核验评审 review ingest：{files_line(read.reviews, REVIEW_FILES)}")
    for line in [*review_lines(outcome, ctx.round), *reviewer_file_lines(read.reviews)]:
        echo("   " + line)
    decided, out = folder / "summary-审定.xlsx", folder / "发布"
    rows, pub = _decide_and_publish(summary, decided, out, ctx, ctx.record.round_id, register)
    echo(f"7. 审定 the office decides：{rows} 行按计算结果填写（同意/不同意/暂缓）→ {decided}")
    for issue in pub.issues:
        echo(f"   {issue}")
    echo(
        f"8. 发布 publish：公示 {len(pub.approved)} 个 → {out}"
        f"（{'、'.join(p.name for p in pub.files)}）"
    )
    for title in pub.titles:
        echo(f"   {title.message.message}")
    _record(register, pub, ctx.round, echo, "   ")
    result = DemoResult(folder, summary, report_path, read.units, out if pub.ok else None)
    if ctx.round.spec.evaluations:  # the 民主测评 (党员先锋岗): steps 9–12
        result.ballots_summary, result.ballots_published = _ballots_demo(
            folder, key, lang, echo, register
        )
    if register is not None:
        result.register = register
        echo("13. 违纪违规 a violation revokes a flag（种子 000 三.3）：")
        for line in demo_violation_lines(register, ctx.round, folder):
            echo("    " + line)
        echo("14. 跨轮次规则 the register's rules over history：")
        for line in demo_history_lines(register, ctx.round):
            echo("    " + line)
    return result


def _demo_register(folder: Path, rnd, echo) -> Path | None:
    """A fresh register in the demo folder with the sample past results (party branches)."""
    from .register import DEFAULT_FILE, open_register

    if rnd is None or not any(f.id == "hongqi" for f in rnd.spec.forms):
        return None  # the past results are the party-branch sample's
    path = folder / DEFAULT_FILE
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)  # a re-run starts from the past results again
    past = shipped_dir("samples") / "register-past.csv"
    with open_register(path) as reg:
        imported = reg.import_rows(past)
    echo(
        f"   历史记录库 register: 导入往年结果 {imported.decisions} 条"
        f"（{imported.rounds} 个轮次，samples/register-past.csv）→ {path}"
    )
    echo("   " + _year_line(path, rnd))
    return path


def _year_line(register: Path, rnd) -> str:
    """This year's periods: those the past results hold, those this round adds."""
    from .register import open_register
    from .roundfile import round_periods

    now = sorted({p for p in round_periods(rnd.spec).values() if p is not None})
    year = max(p.year for p in now)
    with open_register(register) as reg:
        past = sorted({r.period for r in reg.rounds() if r.period.year == year} - set(now))
    every = [*past, *now]
    halves = sum(p.kind == "H" for p in every)
    quarters = sum(p.kind == "Q" for p in every)
    return (
        f"{year}年 this year：往年结果中有 {'、'.join(p.chinese for p in past)}；"
        f"本轮评 {'、'.join(p.chinese for p in now)} → 共 {halves} 个半年、{quarters} 个季度"
    )


# 种子 000 三.3：期间发生违纪违法问题、因工作作风被主管部门通报或被新闻媒体曝光的，责任党员取消
# 推荐党员先锋岗资格、所在支部取消红旗党支部资格。The demo's one violation (made up, marked 示例):
# a member of 稽查局党支部 in 2026H1, the half-year the branch got its flag (register-past.csv).
DEMO_VIOLATION = {
    "subject_id": "ZB05-03",
    "unit_id": "ZB05",
    "date": "2026-05-20",
    "kind": "通报批评",
    "reason": "因工作作风问题被主管部门通报（示例）",
    "source": "示例：主管部门通报",
}


def _member_name(folder: Path, member_id: str) -> str:
    """A member's name from the round's members file (the demo's copy of the sample)."""
    import csv

    with (folder / "members.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("党员编号") == member_id:
                return row.get("姓名") or member_id
    return member_id


def demo_violation_lines(register: Path, rnd, folder: Path) -> list[str]:
    """A member's violation in a half-year his branch got the flag: the register flags the
    award, the demo revokes it (and the annual title it made), the run shown before and after.

    Done with the library functions of ``xlsxflow register violation add`` and
    ``xlsxflow register revoke``; the records stay, marked 已撤销.
    """
    from .messages import render
    from .register import DEFAULT_RULES, PERSON, open_register
    from .register.rules import consecutive_award
    from .register.titles import unsupported_titles

    rules = (rnd.spec.history if rnd is not None else None) or DEFAULT_RULES
    v = DEMO_VIOLATION
    lines: list[str] = []
    with open_register(register) as reg:
        unit = reg.subject(v["unit_id"])
        who = f"{unit.name}（{unit.id}）"
        year = int(v["date"][:4])

        def runs() -> list[str]:
            records = reg.decisions(subject_id=unit.id)
            found = [consecutive_award(r, records, year) for r in rules.consecutive]
            return [r.message.message for r in found if r.message is not None]

        before = runs()
        violation = reg.add_violation(
            v["subject_id"],
            v["date"],
            v["kind"],
            v["reason"],
            v["source"],
            name=_member_name(folder, v["subject_id"]),
            subject_kind=PERSON,
            unit_id=v["unit_id"],
        )
        added = render(
            "register-violation-added",
            id=violation.id,
            subject=f"{violation.name}（{violation.subject_id}，{who}）",
            date=violation.date.isoformat(),
            kind=violation.kind,
            reason=violation.reason,
        )
        lines.append(f"登记 violation add：{added}")
        for flag in reg.flagged_awards(violation):
            lines.append(f"应撤销 to revoke：{flag.message.message}")
            reason = f"违纪违规记录 #{violation.id}"
            reg.revoke(decision_id=flag.decision.id, because=violation.id, reason=reason)
            revoked = render(
                "register-revoked", what="评定结果", id=flag.decision.id, reason=reason
            )
            lines.append(f"已撤销 revoked：{revoked}")
        for title in unsupported_titles(reg, rules, unit.id):
            lines.append(f"称号 title：{title.message.message}")
            reason = "所依据的奖项已撤销"
            reg.revoke(decision_id=title.record.id, because=violation.id, reason=reason)
            revoked = render("register-revoked", what="评定结果", id=title.record.id, reason=reason)
            lines.append(f"已撤销 revoked：{revoked}")
        after = runs()
    lines += [f"撤销前 before：{who} {m}" for m in before]
    lines += [f"撤销后 after：{who} {m}" for m in after]
    return lines


def _record(register: Path | None, pub, rnd, echo, indent: str) -> None:
    """Record a publication in the demo's register and say so."""
    if register is None or not pub.ok:
        return
    from .register import open_register
    from .register.link import record_publication

    decisions = next(p for p in pub.files if p.name == "decisions.json")
    with open_register(register) as reg:
        linked = record_publication(reg, decisions, rnd)
    echo(f"{indent}{linked.message.message}")
    if linked.titles_message is not None:
        echo(f"{indent}{linked.titles_message.message}")


def demo_history_lines(register: Path, rnd, year: int | None = None) -> list[str]:
    """What the history rules give after this round: runs of 流动红旗 and 先锋岗 and the
    annual titles they earn, and stars that went down (the seeds' cross-round rules)."""
    from .register import DEFAULT_RULES, UNIT, assess, open_register
    from .roundfile import round_periods

    rules = (rnd.spec.history if rnd is not None else None) or DEFAULT_RULES
    periods = [p for p in round_periods(rnd.spec).values() if p is not None] if rnd else []
    year = year or (max(p.year for p in periods) if periods else rnd.spec.year)
    earned: list[str] = []
    runs: list[str] = []
    down: list[str] = []
    with open_register(register) as reg:
        for subject in reg.subjects():
            hist = reg.history(subject.id)
            found = assess(hist, rules, year)
            who = f"{subject.name}（{subject.id}）"
            for run in found.runs:
                if run.periods and run.periods[-1] in periods:  # a run that this round extends
                    (earned if run.earned else runs).append(f"{who} {run.message.message}")
            if subject.kind == UNIT:
                down += [
                    f"{who} {c.message.message}" for c in found.stars[-1:] if c.direction == "降级"
                ]
    lines = [f"获得年度称号 earned: {m}" for m in earned]
    lines += [f"连续 run: {m}" for m in runs[:3]]
    if len(runs) > 3:
        lines.append(f"…… 另有 {len(runs) - 3} 个连续记录未达到称号 more runs short of a title")
    lines += [f"星级 stars: {m}" for m in down]
    lines.append(f"（查看任一单位或党员 one record：xlsxflow history 编号 --register {register}）")
    return lines


def _ballots_demo(
    folder: Path, key: Path, lang: str, echo, register: Path | None = None
) -> tuple[Path, Path | None]:
    """Steps 9–12: ballots for every unit's raters → filled as at the 党员大会, with planted
    trouble → ingest and count → 测评汇总 → 审定 → the 公示."""
    from .ballots.run import (
        count_lines,
        generate_ballots,
        generate_lines,
        ingest_and_count,
        open_ballots,
    )
    from .ballots.samples import make_ballot_returns

    br = open_ballots(folder, key)
    ballots, back = folder / "ballots", folder / "ballots-returned"
    for old in (ballots, back):
        _clear(old)
    generated = generate_ballots(ballots, br=br)
    lines = generate_lines(generated, br)
    echo("9. 民主测评 " + lines[0])
    for line in lines[1:]:
        echo("   " + line)
    planted = make_ballot_returns(generated, br.evals, back, key=br.ctx.key, seed=2026)
    echo(f"10. 测评票交回 ballots back → {back}（有意设置的问题 planted:）")
    for what in planted_lines(planted):
        echo(f"     {what}")
    summary = folder / "测评汇总.xlsx"
    counted = ingest_and_count(
        back, out_file=summary, report_file=folder / "测评报告.json", lang=lang, br=br
    )
    lines = count_lines(counted)
    echo("11. 计票 count：" + lines[0])
    for line in lines[1:]:
        echo("   " + line)
    decided, out = folder / "测评汇总-审定.xlsx", folder / "发布-先锋岗"
    rows, pub = _decide_and_publish(summary, decided, out, br.ctx, br.round_id, register)
    for issue in pub.issues:
        echo(f"    {issue}")
    echo(
        f"12. 审定 {rows} 行、发布 publish：公示 {len(pub.approved)} 名 → {out}"
        f"（{'、'.join(p.name for p in pub.files)}）"
    )
    for title in pub.titles:
        echo(f"    {title.message.message}")
    _record(register, pub, br.ctx.round, echo, "    ")
    return summary, out if pub.ok else None


def planted_lines(planted: dict) -> list[str]:
    """What ``make_ballot_returns`` did, in a few lines (counts and branches, no serials)."""
    lines = [
        f"交回 {planted.get('files', 0)} 个文件，未交回 {planted.get('not_returned', 0)} 张"
        f"；空白票 {len(planted.get('blank', []))} 张，全部满分 {len(planted.get('all_max', []))} 张，"
        f"同一张票交了两份 {len(planted.get('duplicated', []))}，伪造票号 {len(planted.get('forged', []))}"
    ]
    for key, what in (
        ("below_quorum", "交回不足一半（参加人数不足）"),
        ("below_anonymity", "有效票少于匿名门槛（结果不显示）"),
        ("paper", f"纸质测评，录入表 {planted.get('tally_blocks', 0)} 张票"),
    ):
        if planted.get(key):
            lines.append(f"{what}：{'、'.join(planted[key])}")
    return lines


def _clear(folder: Path) -> None:
    import shutil

    if folder.is_dir():
        shutil.rmtree(folder)


# -- a round of star levels (seed 002, xlsxflow demo --rubric xingji) ----------------------


def levels_round(round_file: Path) -> bool:
    """Is every form of this round decided by conditions (the shipped xingji)?"""
    from .roundfile import load_round

    try:
        rnd = load_round(round_file)
    except Exception:  # noqa: BLE001 - a broken round file is the round demo's to report
        return False
    return all(rnd.sheet_rubric(f.id).has_conditions for f in rnd.spec.forms)


def levels_lines(report: IngestReport, rnd) -> list[str]:
    """Each unit's level (or stars), what the next level lacks, vetoes, who decides and
    公示; then each form's round targets."""
    lines = []
    for form in rnd.spec.forms:
        mine = [r for r in report.results if r.form_id == form.id and r.stars is not None]
        names = rnd.sheet_rubric(form.id).level_names
        mine.sort(key=lambda r: -(names.index(r.stars.level) if r.stars.level in names else -1))
        lines.append(f"{form.title}：")
        for r in mine:
            st = r.stars
            applied = f"申报{r.applied}，" if r.applied else ""
            lines.append(f"  {r.unit_id:<6} {r.unit_name}：{applied}评定 {st.result_text}")
            missing = [u.text for u in st.missing]
            lines += [f"         {v.message}" for v in st.vetoes if v.message not in missing]
            if missing:  # a unit that applied low lacks much: the first three, then a count
                more = f"…等 {len(missing)} 项（见汇总表“星级”）" if len(missing) > 3 else ""
                items = "；".join(missing[:3]) + more
                lines.append(
                    f"         {render('conditions-missing', level=st.next_level, items=items)}"
                )
        silent = [u.name for u in report.missing]
        if silent:
            lines.append(f"  未报送（按未达到星级计）：{'、'.join(silent)}")
        for target in (t for t in report.targets if t.form_id == form.id):
            lines.append(f"  本轮目标 {target.text}：{target.message}")
    return lines


def _run_levels_demo(folder, round_file, key, workbooks, returns, lang, echo) -> DemoResult:
    """A round of star levels (seed 002's 社区评星晋级): generate → the 社区 answer their
    conditions (a spread over the levels, one honour and one rate short, a veto) → ingest,
    the levels and the targets → 审定 → publish (only 四、五星级 go to 公示)."""
    round_file = demo_round_file(folder, round_file)
    gen = generate_round(
        round_file, workbooks, key_path=key, workdir=folder, lang=lang, new_round=True
    )
    echo(f"1. 生成 generated {len(gen.files)} 个工作簿（每个社区一个）→ {workbooks}")
    ctx = open_round(workdir=folder, key_path=key)
    from .samples import make_levels_returns

    planted = make_levels_returns(gen.files, ctx.round, returns, lang=lang)
    echo(f"2. 示例报送 sample returns → {returns}（各社区的申报 what each 社区 answered:）")
    for p in planted:
        echo(f"     {p.unit_id or '—':<8} {p.what}")
    report = ingest(returns, ctx, command=f"xlsxflow demo {folder}")
    ledger = Ledger.open(folder)
    ledger.record(report, "returns")
    echo(f"3. 读取 ingest：{files_line(report)}")
    echo(f"   {forms_line(report)}")
    for line in levels_lines(report, ctx.round):
        echo("   " + line)
    review = load_review(ctx.round)
    if review.forms:  # the shipped round's 考核评定 example, switched on in the demo's copy
        return _levels_review_demo(folder, ctx, review, ledger, key, lang, echo)
    outcome = decide(ctx.round, review, report, None)
    summary, report_path = folder / "summary.xlsx", folder / "report.json"
    write_summary(report, None, ctx.roster, summary, lang, outcome, key=ctx.key)
    write_report_json(report, report_path, outcome)
    echo(f"4. 汇总 summary：星级表、审定表 → {summary}")
    out = _levels_publish(folder, ctx, summary, echo, 5)
    return DemoResult(folder, summary, report_path, report, out)


def _decide_and_publish(summary: Path, decided: Path, out: Path, ctx, round_id: str, register=None):
    """The office's 审定 filled in as recommended (``decided``), then published afresh in
    ``out`` (with the register's annual titles when there is one): (rows decided, result)."""
    rows = fill_sample_decisions(summary, decided)
    _clear(out)
    pub = publish(
        decided,
        out,
        key=ctx.key,
        round_id=round_id,
        round_title=ctx.title,
        spec=ctx.round.spec,
        register=register,
        rnd=ctx.round,
    )
    return rows, pub


def _levels_publish(folder: Path, ctx, summary: Path, echo, step: int) -> Path | None:
    """The levels round's last two steps: the office's 审定, then publish (only the levels
    that need 公示 are listed for it).  Returns the publication folder when it was written."""
    decided, out = folder / "summary-审定.xlsx", folder / "发布"
    rows, pub = _decide_and_publish(summary, decided, out, ctx, ctx.record.round_id)
    echo(f"{step}. 审定 the office decides：{rows} 行按计算结果填写（同意/不同意）→ {decided}")
    for issue in pub.issues:
        echo(f"   {issue}")
    public = [r for r in pub.approved if r.level_publicity]
    by = sorted({r.decided_by for r in pub.approved if not r.level_publicity and r.decided_by})
    echo(
        f"{step + 1}. 发布 publish：同意 {len(pub.approved)} 个，其中须公示 {len(public)} 个"
        f"（{'、'.join(f'{r.unit}{r.level}' for r in public) or '无'}）→ {out}"
        f"（{'、'.join(p.name for p in pub.files)}）"
    )
    if by:
        echo(
            f"   其余 {len(pub.approved) - len(public)} 个由{'、'.join(by)}评定，不公示（见结果通报）"
        )
    return out if pub.ok else None


def _levels_review_demo(folder, ctx, review, ledger, key, lang, echo) -> DemoResult:
    """Steps 4–9 of the levels round with its review: reviewer workbooks → the 考核组
    confirm each condition (one 不属实, one rate measured below the claim) → review ingest,
    the levels claimed and confirmed → summary → 审定 → publish."""
    from .samples import make_levels_review_returns

    books, back = folder / "review-workbooks", folder / "review-returns"
    for old in (books, back):
        _clear(old)
    accepted = ledger.accepted(ctx.record.round_id)
    generated = write_reviewer_workbooks(ctx, review, accepted, books, lang=lang)
    lines = generate_lines(generated)
    echo("4. 考核评定 " + lines[0])
    for line in lines[1:]:
        echo("   " + line)
    snapshot = ledger.snapshot(ctx.record.round_id)
    planted = make_levels_review_returns(generated, ctx, review, snapshot, back, seed=2026)
    echo(
        f"5. 评审人逐条核实 reviewers confirm → {back}（其余各条属实 the rest 属实；核实出的问题 found:）"
    )
    for p in planted:
        echo(f"     {p.unit_id:<8} {p.what}")
    read = read_reviews(back, workdir=folder, key_path=key)
    outcome = decide(ctx.round, review, read.units, read.reviews)
    summary, report_path = folder / "summary.xlsx", folder / "report.json"
    write_summary(read.units, None, ctx.roster, summary, lang, outcome, key=ctx.key)
    write_report_json(read.units, report_path, outcome, read.reviews)
    echo(f"6. 核验评审 review ingest：{files_line(read.reviews, REVIEW_FILES)}")
    for line in [*review_lines(outcome, ctx.round), *reviewer_file_lines(read.reviews)]:
        echo("   " + line)
    for line in confirmed_lines(outcome, read.units, ctx.round):
        echo("   " + line)
    echo(f"7. 汇总 summary：星级表（申报、按填报、评审认定）、评审明细、审定表 → {summary}")
    out = _levels_publish(folder, ctx, summary, echo, 8)
    return DemoResult(folder, summary, report_path, read.units, out)


def confirmed_lines(outcome, report: IngestReport, rnd) -> list[str]:
    """Each form's levels as the reviewers confirmed them: a unit they changed with the
    findings and what the next level lacks, the rest in one line, then the round targets
    on the confirmed levels."""
    from .approval import confirmed_report
    from .ingest import round_star_targets
    from .review.confirm import level_words

    lines = []
    for form in rnd.spec.forms:
        mine = [c for c in outcome.of_form(form.id) if c.claimed is not None]
        if not mine:
            continue
        lines.append(f"{form.title} 评审认定 confirmed（申报 → 按本单位填报 → 评审认定）：")
        same = []
        for c in mine:
            if c.stars is None:
                same.append(f"{c.unit_id} 尚未评审")
                continue
            if level_words(c.stars) == level_words(c.claimed) and not c.findings:
                same.append(f"{c.unit_id} {level_words(c.stars)}")
                continue
            applied = f"申报{c.applied}，" if c.applied else ""
            lines.append(
                f"  {c.unit_id:<6} {c.unit_name}：{applied}按填报 {level_words(c.claimed)}"
                f" → 评审认定 {c.stars.result_text}"
            )
            lines += [f"         {f}" for f in c.findings]
            if c.stars.missing_text:
                lines.append(f"         {c.stars.missing_text}")
        if same:
            lines.append(f"  评审认定与填报一致 as answered：{'、'.join(same)}")
        confirmed = confirmed_report(report, outcome.candidates)
        for target in round_star_targets(rnd, confirmed.results):
            if target.form_id == form.id:
                lines.append(f"  本轮目标（按评审认定）{target.text}：{target.message}")
    return lines


#: The shipped rounds ``xlsxflow demo --all`` runs, each in its own folder (suffix).
ALL_DEMOS: tuple[tuple[str, str, str], ...] = (
    ("sanchuang", "", "市直机关“三创三树”（种子 000）"),
    ("dangzhibu", "-dangzhibu", "红旗党支部、党员先锋岗与民主测评、历史记录（种子 000）"),
    ("xingji", "-xingji", "城市社区党组织评星晋级（种子 002）"),
)


def run_all_demos(
    folder: Path, *, lang: str = "zh", echo: Callable[[str], None] = print
) -> list[DemoResult]:
    """Every shipped round's demo: ``folder`` for the first, ``folder-<round>`` beside it."""
    results = []
    for i, (name, suffix, title) in enumerate(ALL_DEMOS, 1):
        where = folder.with_name(folder.name + suffix)
        echo(f"{'' if i == 1 else chr(10)}══ 示例 {i}/{len(ALL_DEMOS)}：{title} → {where} ══")
        results.append(run_demo(where, name, lang=lang, echo=echo))
    return results
