"""The ``xlsxflow`` command: a thin layer over the library functions.

Exit status of every command: 0 done and nothing needs attention; 1 done, but
there is something to look at (ingest: rejected files, errors or missing units;
rubric/roster check: problems found); 2 could not run (bad rubric, roster,
round record, key or arguments).  Messages go to stderr, results to stdout.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import sys
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path

import click
from tqdm import tqdm

from . import __version__
from .clitext import HELP_WIDTH, Group, install
from .isolation import Isolation
from .messages import XlsxflowError, make_issue, render

install()  # click's own messages in Chinese; before the commands below are built

LANG = click.Choice(["zh", "en"])
SEND_LOG_NAME = "xlsxflow-send-log.jsonl"


# Options several commands share: the same name, destination and help everywhere.
ROUND_KEY = click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False),
    help="签名密钥（代替本轮记录中的）。Signing key.",
)
REGISTER_FILE = click.option(
    "--register",
    "register_file",
    envvar="XLSXFLOW_REGISTER",
    type=click.Path(dir_okay=False),
    help="历史记录库（默认：当前目录的 xlsxflow-register.sqlite3；环境变量 XLSXFLOW_REGISTER）。"
    "Register file.",
)
NO_REGISTER = click.option(
    "--no-register",
    is_flag=True,
    help="不使用历史记录库。Leave the register alone.",
)
REPORT = click.option("--report", "report_file", help="另写一份 JSON 报告。Also a JSON report.")
SUMMARY_LANG = click.option(
    "--lang", type=LANG, default="zh", show_default=True, help="汇总表的语言。Summary labels."
)


def summary_out(help_text: str):
    """``--out``: the summary workbook to write."""
    return click.option(
        "--out", "out_file", default="summary.xlsx", show_default=True, help=help_text
    )


def reader_workers(help_text: str):
    """``--workers``: how many reader processes (0: in this process)."""
    return click.option(
        "--workers",
        type=click.IntRange(0, 64),
        default=Isolation().workers,
        show_default=True,
        help=help_text,
    )


def _echo_issues(issues) -> None:
    for issue in issues:
        click.secho(str(issue), fg="red" if issue.severity == "error" else "yellow", err=True)


@contextmanager
def _handled():
    """Turn known failures into clear messages and exit 2; never show a traceback."""
    try:
        yield
    except XlsxflowError as exc:
        _echo_issues(exc.issues)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("已中断 interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        sys.stderr.close()
        os._exit(0)
    except click.exceptions.Exit:
        raise
    except (click.ClickException, click.Abort):
        raise
    except Exception as exc:
        if _while_interrupted(exc):  # a clean-up that failed because Ctrl-C cut a write short
            click.echo("已中断 interrupted", err=True)
            sys.exit(130)
        if os.environ.get("XLSXFLOW_DEBUG"):
            raise
        click.secho(f"内部错误 internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
        click.echo("请将此信息反馈给维护者；设置 XLSXFLOW_DEBUG=1 可查看详细信息。", err=True)
        sys.exit(3)


def _while_interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while handling Ctrl-C (e.g. zipfile refusing to close
    a half-written member as the KeyboardInterrupt unwinds)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__context__
    return False


def _bar(total: int | None, desc: str):
    return tqdm(total=total, desc=desc, unit="file", disable=None, file=sys.stderr, leave=False)


@click.group(
    cls=Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": HELP_WIDTH},
)
@click.version_option(__version__, prog_name="xlsxflow")
@click.pass_context
def main(ctx: click.Context) -> None:
    """xlsxflow：下发锁定的测评表，核验回收的报送，生成评审汇总表。

    Locked evaluation workbooks out, checked returns and a summary back.

    \b
    一轮评选 A round:
      xlsxflow generate RUBRIC --roster ROSTER --out workbooks/
      （各单位填写后发回 units fill in and send back）
      xlsxflow ingest returns/
    试一试 Try it:  xlsxflow demo
    每个命令都有帮助 Every command:  xlsxflow COMMAND --help
    """
    if ctx.invoked_subcommand is None:  # bare `xlsxflow`: the help, and no error
        click.echo(ctx.get_help())
        ctx.exit(0)


# -- rubric -----------------------------------------------------------------------


@main.group()
def rubric() -> None:
    """检查、列出评分表。Check and list rubric files."""


@rubric.command("check")
@click.argument("files", nargs=-1, required=True)
def rubric_check(files: tuple[str, ...]) -> None:
    """检查评分表 FILES 并打印其概要。Validate rubrics and print each outline.

    FILE 是文件路径或随附评分表的名称（见 xlsxflow rubric list）。
    A FILE is a path or the name of a shipped rubric.
    """
    from .rubric import load_rubric, outline

    failed = False
    for name in files:
        try:
            click.echo(outline(load_rubric(name)))
            click.echo()
        except XlsxflowError as exc:
            failed = True
            _echo_issues(exc.issues)
    sys.exit(1 if failed else 0)


@rubric.command("list")
def rubric_list() -> None:
    """列出随附的评分表和整轮文件。List the shipped rubrics and rounds."""
    from .roundfile import load_round, pad
    from .rubric import list_size, load_rubric, shipped_templates_dir

    with _handled():
        for path in sorted(shipped_templates_dir().glob("*.yaml")):
            r = load_rubric(path)
            size = list_size(r)
            click.echo(f"{path.stem:<24} {pad(size, 16)} {r.title}")
        click.echo("\n整轮 rounds（xlsxflow round check <名称>；xlsxflow generate <名称>）:")
        for path in sorted((shipped_templates_dir() / "rounds").glob("*.yaml")):
            spec = load_round(path).spec
            forms = "、".join(f.title for f in spec.forms)
            click.echo(f"{path.stem:<24} {forms}  {spec.title}")


# -- round files --------------------------------------------------------------------


@main.command()
@click.argument("file", default="round.yaml", type=click.Path(dir_okay=False))
@click.option(
    "--round",
    "round_name",
    default="sanchuang",
    show_default=True,
    help="以哪个随附整轮为起点（sanchuang、dangzhibu、xingji）。Shipped round to start from.",
)
@click.option("--force", is_flag=True, help="覆盖已有文件。Overwrite an existing file.")
def init(file, round_name, force) -> None:
    """写出一份带注释的整轮文件 FILE 作为起点。Write a starter round file.

    默认是种子的“三创三树”一轮（--round dangzhibu：红旗党支部与党员先锋岗民主测评）。
    旁边没有名单时，同时写出示例名单，xlsxflow round check FILE 即可运行；
    请换成本单位的名单。Also writes the sample roster beside it when there is
    none; replace it with your units.
    """
    from .roundfile import starter_text
    from .rubric import shipped_dir

    with _handled():
        path = Path(file)
        if path.exists() and not force:
            raise click.UsageError(f"{path} 已存在；要覆盖请加 --force。{path} exists.")
        text, roster_name = starter_text(round_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        roster_file = path.parent / roster_name
        if not roster_file.exists():
            roster_file.write_bytes((shipped_dir("samples") / roster_name).read_bytes())
            click.echo(f"示例名单 sample roster → {roster_file}")
        for name, what in (
            ("reviewers.csv", "示例评审人名单 sample reviewers"),  # the commented review example
            ("reviewers-shequ.csv", "示例评审人名单 sample reviewers"),  # xingji's 考核组
            ("members.csv", "示例党员名单 sample members"),  # the 民主测评's candidates
        ):
            sample = path.parent / name
            if f": {name}" in text and not sample.exists():
                sample.write_bytes((shipped_dir("samples") / name).read_bytes())
                click.echo(f"{what} → {sample}")
        click.echo(f"本轮文件 round file → {path}（检查 check: xlsxflow round check {path}）")


@main.group("round")
def round_group() -> None:
    """检查整轮文件（一轮多表、名额）。Check round files."""


@round_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def round_check(file) -> None:
    """检查整轮文件，列出每个单位可申报的表和名额。Validate a round file.

    有民主测评（evaluations）时，另列每个测评：候选人、各单位应参加人数和推荐名额。
    Evaluations: candidates, raters expected and the cap per unit.

    FILE 是文件路径或随附整轮的名称（sanchuang、dangzhibu）。
    A FILE is a path or the name of a shipped round.
    """
    from .review import load_review, review_outline
    from .roundfile import load_round, outline

    with _handled():
        rnd = load_round(file)
        click.echo(outline(rnd))
        if any(f.review for f in rnd.spec.forms):
            review = load_review(rnd)
            click.echo("\n" + review_outline(rnd, review))
            for issue in review.warnings:
                click.echo(str(issue), err=True)
        if rnd.spec.evaluations:
            from .ballots.run import evaluation_outline
            from .ballots.spec import load_evaluations

            click.echo("\n" + evaluation_outline(load_evaluations(rnd)))


# -- roster -----------------------------------------------------------------------


@main.group()
def roster() -> None:
    """检查单位名单。Check roster files."""


@roster.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def roster_check(file: str) -> None:
    """检查单位名单（CSV 或 xlsx）并列出单位。Validate a roster."""
    from .roster import load_roster

    with _handled():
        r = load_roster(file)
        _echo_issues(r.warnings)
        for u in r:
            parent = f"  ← {r.parent_name(u)}" if u.parent else ""
            click.echo(f"{u.unit_id:<12} {u.name}{parent}")
        click.echo(f"{len(r)} 个单位 units")


# -- generate ---------------------------------------------------------------------


@main.command()
@click.argument("rubric_file")
@click.option(
    "--roster",
    "roster_file",
    type=click.Path(exists=True, dir_okay=False),
    help="单位名单（CSV 或 xlsx）；整轮文件自带名单。Roster.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="存放各单位工作簿的文件夹（默认：本轮记录的文件夹，首次为 workbooks）。"
    "Folder for the workbooks.",
)
@click.option("--title", help="每个工作簿上的本轮标题（默认：年度 + 评分表标题）。Round title.")
@click.option(
    "--deadline",
    callback=lambda ctx, param, value: _iso_date(value),
    help="工作簿上的截止日期，如 2026-12-20（默认：14 天后）。Deadline.",
)
@click.option(
    "--lang", type=LANG, default="zh", show_default=True, help="工作簿的语言。Workbook labels."
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False),
    help="签名密钥文件（默认：XLSXFLOW_KEY_FILE 或 ~/.config/xlsxflow/secret.key）。"
    "Signing key file.",
)
@click.option(
    "--unit",
    "units",
    multiple=True,
    help="只生成此单位（可重复），在当前轮次内补发。One unit only.",
)
@click.option(
    "--new-round",
    is_flag=True,
    help="开始新的一轮，原轮次的记录保留。A new round.",
)
def generate(
    rubric_file, roster_file, out_dir, title, deadline, lang, key_file, units, new_round
) -> None:
    """为名单中每个单位生成一份锁定的工作簿，并在此记录本轮。Write the workbooks.

    RUBRIC_FILE 是评分表（路径或随附名称，如 wenming-danwei），或整轮文件
    （路径或随附名称，如 sanchuang、dangzhibu；见 xlsxflow init）：整轮时每个
    单位一个工作簿，含其可申报的全部表和名额。本轮记录（xlsxflow-round.json）
    使 xlsxflow ingest 在此目录无需其他参数。

    \b
    在同一目录以相同的评分表、名单和密钥再次运行 = 在当前轮次内重新下发
    （轮次编号不变，已发出的工作簿仍有效）；补发一个单位：
      xlsxflow generate RUBRIC --roster ROSTER --unit CZJ
    换评分表、密钥或删改单位须加 --new-round；每一轮都记录在 xlsxflow-rounds/，
    旧一轮的报送用 xlsxflow ingest returns/ --round 轮次编号 汇总。

    A rubric or a round file, by path or shipped name; the round is recorded
    here. Same inputs again re-issue inside the current round; --new-round
    starts another, and every round stays recorded (ingest --round ID).
    """
    from .roster import load_roster
    from .round import default_out_dir, generate_round, is_round_file
    from .round import generate as do_generate

    with _handled():
        out_dir = out_dir or _relative_to_here(default_out_dir())
        if is_round_file(rubric_file):
            from .roundfile import load_round

            rnd = load_round(rubric_file, roster_file)
            count = sum(1 for u in rnd.roster if rnd.slots_of(u.unit_id))
            job = partial(generate_round, rubric_file, out_dir, roster_path=roster_file)
        else:
            if not roster_file:
                raise click.UsageError("请用 --roster 指定单位名单。A rubric needs --roster.")
            count = len(load_roster(roster_file))
            job = partial(do_generate, rubric_file, roster_file, out_dir, title=title)
        with _bar(len(set(units)) if units else count, "生成 generate") as bar:
            result = job(
                deadline=deadline,
                lang=lang,
                key_path=key_file,
                units=list(units) or None,
                progress=bar.update,
                new_round=new_round,
            )
        if result.key_created:
            click.echo(
                f"已创建签名密钥 new signing key: {result.key_path}（请妥善备份 keep it safe）",
                err=True,
            )
        _echo_issues(result.notes)
        click.echo(f"{len(result.files)} 个工作簿 workbooks → {out_dir}")
        click.echo(f"本轮 round {result.record.round_id} 记录于 recorded in {result.record_path}")
        if result.reissue and units:
            again = " ".join(f"--unit {shlex.quote(u)}" for u in dict.fromkeys(units))
            click.echo(
                f"重新发送 send again: xlsxflow send {shlex.quote(out_dir)} {again} --from …"
            )


# -- ingest -----------------------------------------------------------------------


@main.command()
@click.argument("returns_dir", type=click.Path(file_okay=False))
@summary_out("要写出的汇总表。Summary workbook.")
@REPORT
@click.option("--rubric", "rubric_file", help="评分表（代替本轮记录中的）。Rubric.")
@click.option(
    "--round",
    "round_file",
    help="已记录轮次的编号、整轮文件或随附名称（代替本轮记录）。Round id or file.",
)
@click.option("--roster", "roster_file", help="单位名单（代替本轮记录中的）。Roster.")
@ROUND_KEY
@SUMMARY_LANG
@click.option(
    "--max-file-mb",
    type=float,
    default=20,
    show_default=True,
    help="更大的文件不读取、直接拒收。Reject larger files unread.",
)
@click.option(
    "--limit",
    "limit_items",
    multiple=True,
    metavar="NAME=VALUE",
    help="修改其他读取上限（可重复）Change a reading limit: max_entries, "
    "max_total_uncompressed, max_entry_uncompressed, max_ratio, max_sheets, max_rows, "
    "max_cols, max_cells.",
)
@reader_workers("读取进程数（0：在本进程读取，无时间和内存限制）。Reader processes.")
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=30,
    show_default=True,
    help="单个文件最多读取秒数，超时拒收。Seconds per file.",
)
@click.option(
    "--max-memory-mb",
    type=click.IntRange(64, 65536),
    default=1024,
    show_default=True,
    help="单个文件最多占用内存（MB），超出拒收。Memory per file.",
)
@REGISTER_FILE
@NO_REGISTER
@click.option(
    "--evidence",
    "evidence_dir",
    type=click.Path(file_okay=False),
    help="存放交回的佐证材料的文件夹（默认：汇总表旁的 evidence/）。Evidence store.",
)
def ingest(
    returns_dir,
    out_file,
    report_file,
    rubric_file,
    round_file,
    roster_file,
    key_file,
    lang,
    max_file_mb,
    limit_items,
    workers,
    timeout,
    max_memory_mb,
    register_file,
    no_register,
    evidence_dir=None,
) -> None:
    """核验 RETURNS_DIR 中的每个文件，写出评审汇总表。Check returns, write the summary.

    每个文件都有结果：已接受、拒收（附原因）、重复、已被取代或已跳过。
    RETURNS_DIR 只读取，从不修改。Every file is accounted for; the folder is only
    read.

    历史记录库记得读过的文件：内容、轮次、评分表和 xlsxflow 版本都未变的文件
    不再读取，沿用上次的结果（仍列在汇总表中）；--no-register 每次全部重读。
    Unchanged files are not read again (the register remembers them).

    历史记录库中的结果按轮次文件的 history 规则用于本轮：三星级以下、期间内
    有违纪违规记录等不得参评，已获称号的复查；汇总表加“历史”“复查”表。
    The register's bars and re-checks apply; the summary gains 历史 and 复查.

    \b
    退出码 Exit status:
      0 全部单位已交且无问题 all returned, nothing wrong
      1 已写出汇总表，但有拒收、错误或未交 something to look at
      2 无法运行 could not run
    """
    from .accepted import Ledger
    from .demo import files_line, forms_line
    from .ingest import count_files
    from .ingest import ingest as do_ingest
    from .review.outcome import decide, review_for_ingest
    from .round import open_round
    from .summary import write_report_json, write_summary

    with _handled():
        returns = Path(returns_dir)
        for target in filter(None, (out_file, report_file)):
            if Path(target).is_dir() or Path(target).name in ("", ".", ".."):
                raise click.UsageError(
                    f"{target} 是文件夹；请给出文件名（如 summary.xlsx）。Not a file name."
                )
            if _inside(Path(target), returns):
                raise click.UsageError(
                    f"{target} 位于报送文件夹内；报送文件夹只读，请把输出写到别处。"
                    "Write outside the returns folder."
                )
        ctx = open_round(
            rubric=rubric_file, roster=roster_file, key_path=key_file, round_file=round_file
        )
        limits = _limits(max_file_mb, limit_items)
        command = "xlsxflow " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        with (
            _register_unless(no_register, register_file) as register,
            _bar(count_files(returns) if returns.is_dir() else 0, "读取 ingest") as bar,
        ):
            isolation = Isolation(workers=workers, timeout=timeout, memory_mb=max_memory_mb)
            report = do_ingest(
                returns,
                ctx,
                limits=limits,
                isolation=isolation,
                progress=bar.update,
                command=command,
                register=register,
            )
        from .evidence.store import store_beside_summary

        if evidence_dir and _inside(Path(evidence_dir), returns):
            raise click.UsageError(f"{evidence_dir} 位于报送文件夹内。Outside the returns folder.")
        stored_in, _ = store_beside_summary(report, ctx.roster, out_file, evidence_dir)
        outcome, review_ok = None, True
        if ctx.round is not None:  # every form decided; reviewed ones read 尚未评审 until reviewed
            review, review_ok = review_for_ingest(ctx.round)
            _echo_issues(review.warnings)
            outcome = decide(ctx.round, review, report, None)
        write_summary(report, ctx.rubric, ctx.roster, out_file, lang, outcome, key=ctx.key)
        if report_file:
            write_report_json(report, report_file, outcome)
        if report.round_id:  # remembered for the reviews (xlsxflow review generate / ingest)
            Ledger.open().record(report, returns)
        click.echo(files_line(report))
        click.echo(forms_line(report))
        if register is not None:
            read = sum(bool(f.sha256) for f in report.files)
            click.echo(
                render(
                    "register-reused",
                    reused=report.reused,
                    path=register.path,
                    read=max(read - report.reused, 0),
                )
            )
        if report.history is not None:  # the register's rules: bars and 复查 (历史 sheet)
            click.echo(report.history.decided(outcome).summary_line())
        if unusable := report.unusable:
            click.echo(
                f"其中 {len(unusable)} 个未交单位已报送，但文件无法使用 received but unusable"
                "（见汇总表“未交”）"
            )
        _echo_issues(report.warnings)
        _echo_issues(report.notes)
        _echo_other_rounds(report, returns_dir)
        click.echo(f"汇总表 summary: {Path(out_file).resolve()}")
        if stored_in is not None:
            click.echo(f"佐证材料 evidence: {stored_in.resolve()}")
        if report_file:
            click.echo(f"报告 report: {Path(report_file).resolve()}")
        sys.exit(max(report.exit_code, 0 if review_ok else 1))


def _echo_other_rounds(report, returns_dir: str) -> None:
    """Returns of another round recorded here: how many, and the command that reads them."""
    found: dict[str, int] = {}
    for issue in report.issues:
        if issue.code == "identity-recorded-round":
            found[issue.fields["found"]] = found.get(issue.fields["found"], 0) + 1
    for round_id, count in found.items():
        click.secho(
            f"{count} 个文件属于已记录的另一轮次 {round_id}，汇总请运行 to ingest them: "
            f"xlsxflow ingest {shlex.quote(returns_dir)} --round {round_id}",
            fg="yellow",
            err=True,
        )


def _iso_date(value: str | None) -> str | None:
    """A date typed as 2026-12-20 (or 2026/12/20, 2026年12月20日), as ISO text."""
    if value is None:
        return None
    text = re.sub(r"[年月/.]", "-", value.strip()).removesuffix("日")
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-"))).isoformat()
    except ValueError:
        raise click.BadParameter(f"“{value}”不是日期，请写成 2026-12-20。Not a date.") from None


def _relative_to_here(path: Path) -> str:
    """``path`` as the user would type it: relative to here when it lies below."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _limits(max_file_mb: float, items: tuple[str, ...]):
    from dataclasses import fields, replace

    from .ooxml import Limits

    limits = Limits(max_file_bytes=int(max_file_mb * 1024 * 1024))
    names = {f.name for f in fields(Limits)} - {"max_file_bytes"}
    changes = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in names or not value.isdigit() or int(value) <= 0:
            raise click.BadParameter(
                f"{item!r}：应为 名称=正整数，名称为 {sorted(names)} 之一。"
                "Expected NAME=POSITIVE_INTEGER.",
                param_hint="--limit",
            )
        changes[name] = int(value)
    return replace(limits, **changes)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


# -- review -----------------------------------------------------------------------


@main.group("review")
def review_group() -> None:
    """评审：为评审人生成评审表，核验交回的评审表。Reviewer workbooks out and back.

    \b
    在本轮目录中 In the round's folder, after xlsxflow ingest returns/:
      xlsxflow review generate            每位评审人一份评审表 one per reviewer
      （评审人实地考核、填写实评分后交回 reviewers score and send back）
      xlsxflow review ingest reviews/     核验并写出含评审的汇总表
    """


@review_group.command("generate")
@click.option(
    "--out",
    "out_dir",
    default="review-workbooks",
    show_default=True,
    type=click.Path(file_okay=False),
    help="存放评审表的文件夹。Folder for the reviewer workbooks.",
)
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    help="只生成此评审人的评审表（可重复）。One reviewer only.",
)
@ROUND_KEY
def review_generate(out_dir, reviewers, key_file) -> None:
    """按最近一次汇总已接受的报送，为每位评审人生成锁定的评审表。Write reviewer workbooks.

    每张评审表对应评审人负责的一个单位（一个名额）：单位的自评分和佐证
    锁定，评审人填写实评分、扣分说明、确认否决事项，并写评语。没有已接受
    报送的单位没有评审表（会列出）。One sheet per unit assigned; units with
    no accepted return get none.
    """
    from .review.run import generate_lines, generate_reviews

    with _handled():
        with _bar(None, "生成 generate") as bar:
            result = generate_reviews(
                out_dir,
                reviewer_ids=list(reviewers) or None,
                key_path=key_file,
                progress=bar.update,
            )
        for line in generate_lines(result):
            click.echo(line)


@review_group.command("ingest")
@click.argument("reviews_dir", type=click.Path(file_okay=False))
@summary_out("要写出的汇总表（含评审）。Summary workbook.")
@REPORT
@click.option(
    "--returns",
    "returns_dir",
    type=click.Path(file_okay=False),
    help="单位报送文件夹（默认：最近一次 ingest 读取的文件夹）。Units' returns.",
)
@ROUND_KEY
@SUMMARY_LANG
@reader_workers("读取进程数（0：在本进程读取）。Reader processes.")
@REGISTER_FILE
@NO_REGISTER
def review_ingest(
    reviews_dir,
    out_file,
    report_file,
    returns_dir,
    key_file,
    lang,
    workers,
    register_file,
    no_register,
) -> None:
    """核验 REVIEWS_DIR 中评审人交回的评审表，写出含评审的汇总表。Check reviews.

    先重新读取单位报送（单位在评审表生成后重新报送的，其评审表标为过期），
    再逐一核验评审表：身份、篡改、取值、重复；每个文件都有结果，文件夹只读。
    Reads the units' returns again, then every reviewer's file; the folder is
    only read.
    """
    from .demo import files_line
    from .review.outcome import decide
    from .review.run import (
        REVIEW_FILES,
        UNIT_FILES,
        files_to_read,
        read_reviews,
        recorded_returns_dir,
        review_exit_code,
        review_lines,
        reviewer_file_lines,
    )
    from .summary import write_report_json, write_summary

    with _handled():
        returns = Path(returns_dir) if returns_dir else recorded_returns_dir()
        for target in filter(None, (out_file, report_file)):
            if Path(target).is_dir() or Path(target).name in ("", ".", ".."):
                raise click.UsageError(
                    f"{target} 是文件夹；请给出文件名（如 summary.xlsx）。Not a file name."
                )
            if _inside(Path(target), Path(reviews_dir)):
                raise click.UsageError(
                    f"{target} 位于评审表文件夹内；该文件夹只读，请把输出写到别处。"
                    "Write outside the reviews folder."
                )
            if returns is not None and _inside(Path(target), returns):
                raise click.UsageError(
                    f"{target} 位于单位报送文件夹 {returns} 内；该文件夹只读，请把输出写到别处。"
                    "Write outside the returns folder."
                )
        command = "xlsxflow " + " ".join(shlex.quote(a) for a in sys.argv[1:])

        with (
            _register_unless(no_register, register_file) as register,
            _bar(files_to_read(reviews_dir, returns_dir=returns), "读取 ingest") as bar,
        ):
            read = read_reviews(
                reviews_dir,
                returns_dir=returns_dir,
                key_path=key_file,
                isolation=Isolation(workers=workers),
                progress=bar.update,
                command=command,
                register=register,
            )
        units, reviews = read.units, read.reviews
        outcome = decide(read.round.ctx.round, read.round.review, units, reviews)
        from .evidence.store import store_beside_summary  # 佐证材料 read with the returns

        stored_in, _ = store_beside_summary(units, read.round.ctx.roster, out_file)
        write_summary(
            units,
            None,
            read.round.ctx.roster,
            out_file,
            lang,
            outcome,
            key=read.round.ctx.key,
        )
        if report_file:
            write_report_json(units, report_file, outcome, reviews)
        click.echo(files_line(units, UNIT_FILES))
        click.echo(files_line(reviews, REVIEW_FILES))
        for line in [*review_lines(outcome, read.round.ctx.round), *reviewer_file_lines(reviews)]:
            click.echo(line)
        _echo_issues(reviews.warnings)
        click.echo(f"汇总表 summary: {Path(out_file).resolve()}")
        if stored_in is not None:
            click.echo(f"佐证材料 evidence: {stored_in.resolve()}")
        if report_file:
            click.echo(f"报告 report: {Path(report_file).resolve()}")
        sys.exit(review_exit_code(units, reviews, outcome))


# -- ballots (民主测评) ---------------------------------------------------------------

BALLOT_ROUND = click.option(
    "--round",
    "round_file",
    help="已记录轮次的编号或整轮文件（代替本轮记录）。Round id or file.",
)


@main.group("ballots")
def ballots_group() -> None:
    """民主测评：生成匿名测评票，核验交回的测评票并计分。Ballots out and back.

    \b
    在本轮目录中 In the round's folder (after xlsxflow generate ROUND_FILE):
      xlsxflow ballots generate         每人一张匿名测评票；纸质票另有录入表
      （测评后交回电子票，或把纸质票填入录入表 rate, return or type in）
      xlsxflow ballots ingest 回收文件夹/   核验、计分，写出 测评汇总.xlsx
      xlsxflow publish 测评汇总.xlsx    审定后发布公示 after the 审定
    """


@ballots_group.command("generate")
@click.option(
    "--out",
    "out_dir",
    default="ballots",
    show_default=True,
    type=click.Path(file_okay=False),
    help="存放测评票和录入表的文件夹（整个替换）。Folder for the ballots.",
)
@click.option(
    "--unit",
    "units",
    multiple=True,
    help="只生成此单位（支部）的测评票（可重复）。One unit only.",
)
@ROUND_KEY
@BALLOT_ROUND
def ballots_generate(out_dir, units, key_file, round_file) -> None:
    """为每个单位的每名应参加测评人生成一张匿名测评票。Write the ballots.

    每张测评票含本单位全部候选人，不写测评人姓名，只有用本轮密钥签名的票号
    （同一张票再次生成时票号不变）：请随机分发。纸质测评时打印同一测评票，
    每个单位另有一份录入表（每张纸质票一行：票号和各项分数）。
    Anonymous, signed serials; hand them out at random. A tally workbook per
    unit for paper ballots.
    """
    with _handled():  # Ctrl-C while loading, too, is an interruption (130)
        from .ballots.run import ballots_expected, generate_ballots, generate_lines, open_ballots

        br = open_ballots(key_path=key_file, round_file=round_file)
        with _bar(ballots_expected(br, list(units) or None), "生成 generate") as bar:
            result = generate_ballots(
                out_dir, units=list(units) or None, progress=bar.update, br=br
            )
        for line in generate_lines(result, br):
            click.echo(line)


@ballots_group.command("ingest")
@click.argument("ballots_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_file",
    default="测评汇总.xlsx",
    show_default=True,
    help="要写出的测评汇总表（含审定表）。Evaluation summary.",
)
@REPORT
@ROUND_KEY
@BALLOT_ROUND
@SUMMARY_LANG
@reader_workers("读取进程数（0：在本进程读取）。Reader processes.")
@REGISTER_FILE
@NO_REGISTER
def ballots_ingest(
    ballots_dir,
    out_file,
    report_file,
    key_file,
    round_file,
    lang,
    workers,
    register_file,
    no_register,
) -> None:
    """核验 BALLOTS_DIR 中交回的测评票和录入表，计分，写出测评汇总表。Count ballots.

    每个文件都有结果；票号重复的只计一次，伪造、复制的票不计，都会列出。
    文件夹只读取，从不修改。汇总表的“审定”表填好后：xlsxflow publish 测评汇总.xlsx。
    Every file accounted for; a serial counts once; the folder is only read.

    当前目录有历史记录库（或给出 --register）时，按轮次文件的 history 规则，
    所在支部三星级以下的支部书记、期间内有违纪违规记录的党员不予推荐。
    The register's bars apply when there is one.

    \b
    退出码 Exit status:
      0 应收的票全部收回，没有问题 all back, nothing wrong
      1 已写出汇总表，但有拒收、重复、未收回或测评无效 something to look at
      2 无法运行 could not run
    """
    with _handled():  # Ctrl-C while loading, too, is an interruption (130)
        from .ballots.run import (
            ballots_exit_code,
            check_outputs,
            count_lines,
            ingest_and_count,
            open_ballots,
            warning_issues,
        )
        from .ingest import count_files

        check_outputs(ballots_dir, out_file, report_file)
        br = open_ballots(key_path=key_file, round_file=round_file)
        folder = Path(ballots_dir)
        from .register import default_path

        # the history rules' bars (先锋岗: a 支部书记 of a branch rated 三星级 or below …), from
        # the register given or the working folder's when there is one (ballots write none)
        use = not no_register and (register_file or default_path().is_file())
        with (
            _register_unless(not use, register_file) as register,
            _bar(count_files(folder) if folder.is_dir() else 0, "读取 ingest") as bar,
        ):
            counted = ingest_and_count(
                ballots_dir,
                out_file=out_file,
                report_file=report_file,
                lang=lang,
                isolation=Isolation(workers=workers),
                progress=bar.update,
                br=br,
                register=register,
            )
        for line in count_lines(counted):
            click.echo(line)
        _echo_issues(warning_issues(counted))
        click.echo(f"测评汇总 summary: {Path(out_file).resolve()}")
        if report_file:
            click.echo(f"报告 report: {Path(report_file).resolve()}")
        sys.exit(ballots_exit_code(counted))


# -- mail -------------------------------------------------------------------------


def _password(env_name: str, user: str, what: str) -> str:
    """From the environment variable, else a hidden prompt; never from a file or a log."""
    if not user:
        return ""
    value = os.environ.get(env_name)
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt(f"{what} password for {user}", hide_input=True)

    raise XlsxflowError(make_issue("mail-no-password", env=env_name))


def _server_options(kind: str, default_port: int):
    upper = kind.upper()

    def decorate(fn):
        options = [
            click.option(
                f"--{kind}-host",
                "host",
                envvar=f"XLSXFLOW_{upper}_HOST",
                help=f"邮件服务器（环境变量 XLSXFLOW_{upper}_HOST）。{upper} server.",
            ),
            click.option(
                f"--{kind}-port",
                "port",
                envvar=f"XLSXFLOW_{upper}_PORT",
                type=int,
                default=default_port,
                show_default=True,
                help="端口。Port.",
            ),
            click.option(
                "--security",
                type=click.Choice(["ssl", "starttls", "none"]),
                default="ssl",
                envvar=f"XLSXFLOW_{upper}_SECURITY",
                show_default=True,
                help="加密方式：SSL、STARTTLS，或 none（仅供本机测试）。Security.",
            ),
            click.option(
                "--user", envvar=f"XLSXFLOW_{upper}_USER", default="", help="登录名。Login name."
            ),
            click.option(
                "--password-env",
                default=f"XLSXFLOW_{upper}_PASSWORD",
                show_default=True,
                help="存放密码的环境变量（没有时会询问）。Password variable.",
            ),
            click.option(
                "--cafile",
                type=click.Path(exists=True, dir_okay=False),
                help="另外信任此 CA 证书（本单位自建的邮件服务器）。Extra CA.",
            ),
        ]
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@_server_options("smtp", 465)
@click.option(
    "--from",
    "sender",
    envvar="XLSXFLOW_MAIL_FROM",
    required=True,
    help='发件人，如 "市直机关工委 <office@example.org>"（环境变量 XLSXFLOW_MAIL_FROM）。Sender.',
)
@click.option(
    "--template",
    default="workbook",
    show_default=True,
    help="邮件模板：workbook、feedback 或模板文件（Subject: 行、空行、正文）。Template.",
)
@click.option(
    "--dry-run",
    "dry_run",
    type=click.Path(file_okay=False),
    help="不发送，为每个单位在此文件夹写出一个 .eml。Write .eml files instead.",
)
@click.option("--resend", multiple=True, help="即使已发过也再发给此单位（可重复）。Send again.")
@click.option("--unit", "only", multiple=True, help="只发给此单位（可重复）。Only this unit.")
@click.option(
    "--rate", type=click.FloatRange(0.1, 10000), help="每分钟最多发送几封。Messages per minute."
)
@click.option(
    "--max-attachment-mb",
    type=float,
    default=20,
    show_default=True,
    help="附件大于此值（MB）不发送。Largest attachment.",
)
@click.option(
    "--evidence",
    is_flag=True,
    help="同时附上单位的佐证材料压缩包（xlsxflow evidence skeleton 生成）。Attach the evidence .zip.",
)
def send(
    folder,
    host,
    port,
    security,
    user,
    password_env,
    cafile,
    sender,
    template,
    dry_run,
    resend,
    only,
    rate,
    max_attachment_mb,
    evidence,
) -> None:
    """把 FOLDER 中的工作簿发给名单中的各单位。Email each unit its workbook.

    哪个文件发给哪个单位，以工作簿中签名的身份信息为准。发送记录
    （xlsxflow-send-log.jsonl）使重新运行时跳过已发送的、失败后接着发；
    --resend 单位 有意再发一次；--dry-run 写出 .eml，用自己的邮件客户端发送。
    A send log makes a re-run skip what was sent.
    """
    from email.utils import parseaddr

    from .mail import MailTemplate, SendLog, Server, send_workbooks
    from .round import open_round

    with _handled():
        ctx = open_round()
        name, address = parseaddr(sender)
        if not address:
            raise click.BadParameter(
                f"{sender!r} 不是邮件地址。Not an email address.", param_hint="--from"
            )
        server = None
        if not dry_run:
            if not host:
                raise click.UsageError(
                    "发送需要 --smtp-host（或用 --dry-run 文件夹）。--smtp-host is needed."
                )
            server = Server(
                host, port, security, user, _password(password_env, user, "SMTP"), cafile
            )
        record = ctx.record
        with _bar(len(ctx.roster), "发送 send") as bar:
            report = send_workbooks(
                Path(folder),
                ctx.roster,
                MailTemplate.load(template),
                round_id=record.round_id if record else "",
                round_title=record.title if record else "",
                deadline=record.deadline if record else "",
                sender=(name, address),
                server=server,
                dry_run_dir=Path(dry_run) if dry_run else None,
                log=SendLog(Path(SEND_LOG_NAME)),
                resend=resend,
                only=only,
                rate_per_minute=rate,
                max_attachment_bytes=int(max_attachment_mb * 1024 * 1024),
                progress=bar.update,
                evidence=evidence,
            )
        labels = {
            "sent": "已发送 sent",
            "dry-run": "已写出 .eml",
            "already-sent": "此前已发送 already sent",
            "skipped": "跳过 skipped",
            "failed": "失败 failed",
        }
        for line in report.lines:
            if line.status in ("failed", "skipped"):
                click.echo(
                    f"  {labels[line.status]:<10} {line.unit_id:<10} {line.unit_name} "
                    f"{line.email or '—'}  {line.detail}",
                    err=True,
                )
        click.echo("  ".join(f"{labels[k]} {report.count(k)}" for k in labels if report.count(k)))
        sys.exit(1 if report.count("failed") else 0)


@main.command()
@_server_options("imap", 993)
@click.option(
    "--folder",
    "mail_folder",
    default="INBOX",
    show_default=True,
    help="要读取的邮箱文件夹。Mailbox folder.",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="收取此日期以来的邮件（默认：上次收取以来，首次为全部）。Since.",
)
@click.option(
    "--out",
    "out_dir",
    default="returns",
    show_default=True,
    type=click.Path(file_okay=False),
    help="保存附件的报送文件夹。Returns folder.",
)
def collect(host, port, security, user, password_env, cafile, mail_folder, since, out_dir) -> None:
    """把邮箱中的表格附件保存到报送文件夹。Save spreadsheet attachments.

    文件按内容命名（从不覆盖，同一文件只存一次），旁边的 NAME.mail.json 记有
    发件人、日期和邮件编号，供 ingest 使用。没有附件的邮件和其他附件列在此处和
    xlsxflow-collect-log.jsonl 中，不会丢失。Nothing is overwritten or lost.
    """
    from .mail import COLLECT_LOG, COLLECT_STATE, Server
    from .mail import collect as do_collect

    with _handled():
        if not host:
            raise click.UsageError("需要 --imap-host。--imap-host is needed.")
        server = Server(host, port, security, user, _password(password_env, user, "IMAP"), cafile)
        with _bar(None, "收取 collect") as bar:
            report = do_collect(
                server,
                Path(out_dir),
                folder=mail_folder,
                since=since.date() if since else None,
                state_path=Path(COLLECT_STATE),
                log_path=Path(COLLECT_LOG),
                progress=bar.update,
            )
        for entry in report.no_attachment:
            click.echo(f"  无附件 no attachment: {entry['from']}  {entry['subject']}", err=True)
        for entry in report.other_attachments:
            click.echo(
                f"  非表格附件 other attachment: {entry['from']}  {entry['filename']}", err=True
            )
        click.echo(
            f"新保存 saved {len(report.saved)}，此前已收 known {len(report.known)}，"
            f"无附件 {len(report.no_attachment)}，其他附件 {len(report.other_attachments)} → {out_dir}"
        )


@main.command()
@click.argument("returns_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out",
    "out_dir",
    default="feedback",
    show_default=True,
    type=click.Path(file_okay=False),
    help="存放批注工作簿和说明的文件夹。Folder for the feedback.",
)
def feedback(returns_dir, out_dir) -> None:
    """为报送有问题的单位写出批注工作簿和说明。Feedback for units with problems.

    读取 RETURNS_DIR 后，为被拒收或有错误、警告的单位写出其工作簿（问题单元格
    标红并加批注）和一份 .txt 说明；用 xlsxflow send 文件夹 --template feedback
    发回。Annotated workbooks and messages, ready to send.
    """
    from .feedback import make_feedback
    from .ingest import ingest as do_ingest
    from .round import open_round

    with _handled():
        ctx = open_round()
        report = do_ingest(Path(returns_dir), ctx)
        if report.warnings:  # an empty folder, or the round's own blank workbooks: no letters
            _echo_issues(report.warnings)
            click.echo("未写出反馈 no feedback written", err=True)
            sys.exit(1)
        workbooks = ctx.record.resolve(Path("."), ctx.record.out_dir) if ctx.record else None
        items = make_feedback(report, ctx, Path(returns_dir), Path(out_dir), workbooks)
        for item in items:
            what = "拒收，重新下发工作簿" if item.fresh else f"{item.problems} 个问题"
            click.echo(f"  {item.unit_id:<10} {item.unit_name}  {what} → {item.workbook.name}")
        click.echo(f"{len(items)} 个单位需要修改 units to answer → {out_dir}")


@main.command("publish")
@click.argument("summary", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="发布到此新文件夹（默认：汇总表旁的“发布-轮次编号”）。已有内容时不写入。"
    "A new folder (default: 发布-<round id> beside the summary).",
)
@click.option(
    "--round",
    "round_file",
    help="已记录轮次的编号或整轮文件（代替本轮记录）。Round id or file.",
)
@ROUND_KEY
@REGISTER_FILE
@NO_REGISTER
@click.option(
    "--period",
    help="结果所属期间（如 2026H2；默认取整轮文件的 period）。Period of the decisions.",
)
def publish_cmd(summary, out_dir, round_file, key_file, register_file, no_register, period) -> None:
    """按汇总表中填好的“审定”表发布公示名单和结果通报。Publish the decisions.

    读取汇总表的“审定”表，写出公示名单、结果通报和 decisions.json（决定记录）。
    Reads the summary's 审定 sheet; writes the 公示 list, 结果通报, decisions.json.

    先核验汇总表的签名：锁定的计算结果被改动、行被添加或删除，都会指出单元格，
    不发布。只有“同意”的对象进入公示名单；须经评审而没有实评分的对象不能同意。
    每个对象都要有审定结果（同意、不同意或暂缓）。已发布过的文件夹不会被覆盖。
    Verifies the signature first; only approved (同意) candidates are posted.

    发布后把本轮的决定（含期间）记入历史记录库（--no-register 不记）；
    记录失败不影响已写出的公示文件。Then records the decisions in the register.

    本次发布使某单位或党员达到连续获奖要求时（如连续二次流动红旗 → 年度先进党支部，
    连续四次先锋岗 → 年度优秀党员，免评），另写出“年度称号公示.xlsx”，并记入历史记录库。
    Annual titles this publication completes get their own 公示 and are recorded.

    \b
    退出码 Exit status:
      0 已发布 published
      1 未发布：审定表有问题或尚未审定完 nothing written, see the messages；
        或已发布但未能记入历史记录库 published, not recorded
      2 无法运行 could not run
    """
    from .identity import load_key
    from .publish import publish
    from .register import default_path
    from .round import open_round

    with _handled():
        if not Path(summary).is_file():
            raise click.UsageError(f"找不到汇总表 {summary}。Summary not found.")
        try:
            ctx = open_round(key_path=key_file, round_file=round_file)
        except XlsxflowError as exc:  # no round recorded here: the key alone verifies
            if round_file or any(i.code != "round-missing" for i in exc.issues):
                raise
            ctx = None
        key = ctx.key if ctx else load_key(Path(key_file) if key_file else None)
        round_id = ctx.record.round_id if ctx and ctx.record else None
        register_path = None if no_register else Path(register_file or default_path())
        pub = publish(
            summary,
            out_dir,
            key=key,
            round_id=round_id,
            round_title=ctx.title if ctx else "",
            spec=ctx.round.spec if ctx and ctx.round else None,
            register=register_path,
            rnd=ctx.round if ctx else None,
            period=period,
        )
        _echo_issues(pub.issues)
        if pub.undecided:  # each row is named above, with its cell
            click.secho(
                f"未审定 {len(pub.undecided)} 个（“{pub.read.decision_label}”为空）"
                " not decided yet",
                fg="red",
                err=True,
            )
        if not pub.ok:
            click.secho("未发布任何文件 nothing published", fg="red", err=True)
            sys.exit(1)
        click.echo(f"已发布 published：公示 {len(pub.approved)} 个，共 {len(pub.read.rows)} 个对象")
        for path in pub.files:
            click.echo(f"  {path}")
        for title in pub.titles:
            click.echo(title.message.message)
        if not no_register:
            decisions = next(p for p in pub.files if p.name == "decisions.json")
            if not _record_publication(
                decisions, ctx.round if ctx else None, register_file, period
            ):
                sys.exit(1)


def _record_publication(decisions: Path, rnd, register_file, period, strict=False) -> bool:
    """Record a publication in the register; a failure is a message (the 公示 stays).

    No period known is a warning after ``publish`` (``strict``: a failure)."""
    from .register import open_register
    from .register.link import record_publication

    try:
        with open_register(register_file) as reg:
            linked = record_publication(reg, decisions, rnd, period)
    except XlsxflowError as exc:
        if any(i.code == "register-no-period" for i in exc.issues):
            _echo_issues(exc.issues)  # a round without periods: published, not recorded
            return not strict
        detail = "；".join(i.message for i in exc.issues)
        _echo_issues(
            [
                make_issue(
                    "register-publish-failed",
                    out=str(decisions.parent),
                    detail=detail,
                    decisions=str(decisions),
                )
            ]
        )
        return False
    _echo_issues(linked.issues)
    click.echo(linked.message.message)
    if linked.titles_message is not None:
        click.echo(linked.titles_message.message)
    return True


# -- samples and demo -------------------------------------------------------------


@main.command("sample-returns")
@click.argument("workbooks_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out",
    "out_dir",
    default="returns",
    show_default=True,
    type=click.Path(file_okay=False),
    help="示例报送的文件夹。Folder for the samples.",
)
@click.option("--seed", default=2026, show_default=True, help="示例分数的随机种子。Random seed.")
def sample_returns(workbooks_dir, out_dir, seed) -> None:
    """像各单位那样填写工作簿，含常见错误（用于试用 ingest）。Sample returns.

    WORKBOOKS_DIR 中的工作簿属于当前目录记录的本轮（单一评分表或整轮文件）。
    The workbooks of the round recorded here, filled with typical mistakes.
    """
    from .round import open_round
    from .samples import sample_returns_for

    with _handled():
        planted = sample_returns_for(open_round(), Path(workbooks_dir), Path(out_dir), seed=seed)
        for p in planted:
            click.echo(f"  {p.unit_id or '—':<10} {p.what}")
        click.echo(f"示例报送文件 sample returns → {out_dir}")


# -- the register across rounds, and history ------------------------------------------


@main.group("register")
def register_group() -> None:
    """历史记录库：跨轮次的评定结果、违纪违规记录和撤销。The register across rounds.

    \b
    xlsxflow register import 历史结果.csv       导入往年结果 past results in
    xlsxflow register violation add 编号 …     登记违纪违规 a violation
    xlsxflow register revoke 记录号            撤销已授予的奖项 revoke an award
    xlsxflow register export                   全部导出为 xlsx everything out
    xlsxflow history 编号                      查看一个单位或个人 one record
    """


@register_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@REGISTER_FILE
@click.option(
    "--skip-bad",
    is_flag=True,
    help="跳过有错误的行，导入其余的行（默认：有错误时一行也不导入）。Skip bad rows.",
)
def register_import(file, register_file, skip_bad) -> None:
    """从 CSV 或 xlsx 导入往年的评定结果。Import past results.

    表头：轮次编号、轮次名称、期间、表、类别、编号、名称、所属单位编号、得分、
    等次、星级、奖项、称号、来源（期间、表、编号、名称必填）。逐行核对，错误指出
    文件、行和列；有错误时不导入任何一行。Checked row by row; all or nothing.
    """
    from .messages import render
    from .register import open_register

    with _handled():
        if not Path(file).is_file():
            raise click.UsageError(f"找不到文件 {file}。File not found.")
        with open_register(register_file) as reg, _bar(None, "导入 import") as bar:
            result = reg.import_rows(file, skip_bad=skip_bad, progress=bar.update)
        _echo_issues([*result.skipped, *result.issues])
        if result.skipped:
            click.secho(
                render("register-import-skipped", count=result.skipped_rows), fg="yellow", err=True
            )
        click.echo(
            render(
                "register-import-done",
                decisions=result.decisions,
                rounds=result.rounds,
                path=reg.path,
            )
        )
        sys.exit(1 if result.skipped else 0)


@register_group.command("export")
@REGISTER_FILE
@click.option(
    "--out", "out_file", default="历史记录.xlsx", show_default=True, help="写出的工作簿。Workbook."
)
def register_export(register_file, out_file) -> None:
    """把历史记录库全部导出为可打印的 xlsx。Export everything to xlsx."""
    from .messages import render
    from .register import open_register

    with _handled(), open_register(register_file, create=False) as reg:
        path = reg.export_xlsx(out_file)
        counts = reg.counts()
        click.echo(
            render(
                "register-exported",
                decisions=counts["decisions"],
                violations=counts["violations"],
                path=path,
            )
        )


@register_group.command("record")
@click.argument("decisions", type=click.Path(exists=True, dir_okay=False))
@click.option("--period", help="结果所属期间（如 2026H2）。Period of the decisions.")
@click.option("--round", "round_file", help="整轮文件（期间和党员名单）。Round file.")
@REGISTER_FILE
def register_record(decisions, period, round_file, register_file) -> None:
    """把已发布的 decisions.json 记入历史记录库。Record a publication.

    xlsxflow publish 已自动记录；发布时未能记录（没有期间、记录库无法打开）时用它补记。
    Publish records by itself; this catches up when it could not.
    """
    from .roundfile import load_round

    with _handled():
        rnd = load_round(round_file) if round_file else None
        if not _record_publication(Path(decisions), rnd, register_file, period, strict=True):
            sys.exit(1)


@register_group.group("violation")
def violation_group() -> None:
    """违纪违规记录。Violation records."""


@violation_group.command("add")
@click.argument("subject_id")
@click.option("--date", "when", required=True, help="发生日期，如 2026-05-20。Date.")
@click.option(
    "--kind", required=True, help="类别，如 违纪违法、通报批评、媒体曝光。Kind of violation."
)
@click.option("--reason", required=True, help="事由。Reason.")
@click.option("--source", default="", help="来源（文件、通报）。Source.")
@click.option("--name", help="名称或姓名（历史记录中没有该编号时）。Name, for a new id.")
@click.option("--unit", "unit_id", help="个人所在单位编号（新的个人）。A new person's unit.")
@REGISTER_FILE
def violation_add(subject_id, when, kind, reason, source, name, unit_id, register_file) -> None:
    """为单位或个人 SUBJECT_ID 登记违纪违规记录。Record a violation.

    该期间内已授予的奖项会列出，供撤销（xlsxflow register revoke）。
    Awards already given in that period are listed for revoking.
    """
    from .messages import render
    from .register import open_register

    with _handled(), open_register(register_file) as reg:
        kind_of = ("person" if unit_id else "unit") if name else None
        violation = reg.add_violation(
            subject_id, when, kind, reason, source, name=name, subject_kind=kind_of, unit_id=unit_id
        )
        click.echo(
            render(
                "register-violation-added",
                id=violation.id,
                subject=f"{violation.name}（{violation.subject_id}）",
                date=violation.date.isoformat(),
                kind=violation.kind,
                reason=violation.reason,
            )
        )
        flags = reg.flagged_awards(violation)
        _echo_issues([f.message for f in flags])
        sys.exit(1 if flags else 0)


@register_group.command("revoke")
@click.argument("decision_id", type=int)
@click.option("--violation", "violation_id", type=int, help="依据的违纪违规记录号。Because of.")
@click.option("--reason", default="", help="撤销原因。Reason.")
@click.option("--date", "when", help="撤销日期（默认今天）。Date.")
@REGISTER_FILE
def register_revoke(decision_id, violation_id, reason, when, register_file) -> None:
    """撤销评定结果 DECISION_ID 所授予的奖项（原记录保留）。Revoke an award.

    撤销后，依据该奖项的年度称号（连续获奖免评）如已不成立，会列出以便一并撤销。
    Annual titles that no longer hold are listed, to revoke them too.
    """
    from .messages import render
    from .register import open_register

    with _handled(), open_register(register_file, create=False) as reg:
        reason = reason or (f"违纪违规记录 #{violation_id}" if violation_id else "")
        if not reason:
            raise click.UsageError("请用 --reason 或 --violation 说明撤销原因。Give a reason.")
        reg.revoke(decision_id=decision_id, because=violation_id, reason=reason, when=when)
        click.echo(render("register-revoked", what="评定结果", id=decision_id, reason=reason))
        _echo_issues(_titles_now_unsupported(reg, decision_id))


def _titles_now_unsupported(reg, decision_id: int) -> list:
    """The annual titles of the revoked decision's subject whose run no longer holds
    (the seeds' rules; :func:`xlsxflow.register.titles.unsupported_titles`)."""
    from .register.titles import unsupported_titles

    subject = next((d.subject_id for d in reg.decisions() if d.id == decision_id), None)
    if subject is None:
        return []
    return [t.message for t in unsupported_titles(reg, subject_id=subject)]


@main.command("history")
@click.argument("subject_id")
@click.option("--year", type=click.IntRange(1900, 9998), help="评定年度（默认：最近一年）。Year.")
@click.option("--role", default="", help="职务，如 支部书记（星级对负责人的限制）。Post.")
@click.option(
    "--round",
    "round_file",
    help="按此整轮文件的 history 一节判断（默认：党支部种子的规则）。Rules from a round file.",
)
@REGISTER_FILE
def history_cmd(subject_id, year, role, round_file, register_file) -> None:
    """查看一个单位或个人（按编号）的历次结果、称号和限制。One record.

    SUBJECT_ID 是单位编号或党员编号（按编号，不按名称匹配）。
    By id, never by name.
    """
    from .register import open_register
    from .register.show import history_report

    with _handled(), open_register(register_file, create=False) as reg:
        for line in history_report(reg, subject_id, year, role, round_file):
            click.echo(line)


@main.command()
@click.argument("folder", default="xlsxflow-demo", type=click.Path(file_okay=False))
@click.option(
    "--rubric",
    "rubric_name",
    default="sanchuang",
    show_default=True,
    help="随附整轮（sanchuang、dangzhibu、xingji）或评分表（wenming-danwei …），或其路径。Round or rubric.",
)
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="依次运行全部随附整轮（FOLDER、FOLDER-dangzhibu、FOLDER-xingji）。All shipped rounds.",
)
@click.option("--lang", type=LANG, default="zh", show_default=True, help="语言。Labels.")
def demo(folder, rubric_name, run_all, lang) -> None:
    """在 FOLDER 中用示例名单跑完一整轮，并给出汇总表位置。Run a demo round.

    使用 FOLDER 内自己的签名密钥，从不使用本单位的密钥。
    Uses its own signing key inside FOLDER, never your office key.
    """
    from .demo import run_all_demos, run_demo

    with _handled():
        if run_all:
            results = run_all_demos(Path(folder), lang=lang, echo=click.echo)
        else:
            results = [run_demo(Path(folder), rubric_name, lang=lang, echo=click.echo)]
        for result in results:
            _demo_files(result)


def _register_unless(off: bool, path):
    """The register at ``path`` open for a ``with`` block, or nothing when ``off``."""
    from .register import open_register

    return contextlib.nullcontext() if off else open_register(path)


def _demo_files(result) -> None:
    """Where a demo round's summary, reports and publications are."""
    click.echo()
    click.secho(f"汇总表 summary: {result.summary.resolve()}", bold=True)
    click.echo(f"报告 report:    {result.report.resolve()}")
    if result.published:
        click.echo(f"公示 published:  {result.published.resolve()}")
    if result.ballots_summary:
        click.secho(f"测评汇总 ballots: {result.ballots_summary.resolve()}", bold=True)
    if result.ballots_published:
        click.echo(f"先锋岗公示 published: {result.ballots_published.resolve()}")
    if result.register:
        click.echo(f"历史记录库 register: {result.register.resolve()}")


@main.command()
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False),
    help="密钥文件（默认位置见 README）。Key file.",
)
def key(key_file) -> None:
    """显示签名密钥的位置和指纹（没有时创建）。Show the signing key."""
    from .identity import default_key_path, key_id, load_key

    with _handled():
        path = Path(key_file) if key_file else default_key_path()
        existed = path.exists()
        k = load_key(path, create=True)
        click.echo(f"{path}  fingerprint {key_id(k)}" + ("" if existed else "  (new)"))


# -- evidence (佐证材料) --------------------------------------------------------------


@main.group("evidence")
def evidence_group() -> None:
    """佐证材料：每个单位一个按指标分文件夹的压缩包。Evidence archives per unit.

    \b
    在本轮目录中 In the round's folder, after xlsxflow generate:
      xlsxflow evidence skeleton      工作簿旁的佐证材料目录和 .zip
      xlsxflow send --evidence …      邮件同时附上佐证材料压缩包
      xlsxflow ingest returns/        读取交回的压缩包，存入 evidence/
    """


@evidence_group.command("skeleton")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="写入的文件夹（默认：本轮工作簿所在文件夹）。Folder (default: the workbooks').",
)
@click.option("--unit", "units", multiple=True, help="只写此单位（可重复）。One unit only.")
@ROUND_KEY
def evidence_skeleton(out_dir, units, key_file) -> None:
    """每个单位工作簿旁的佐证材料目录和 .zip。Evidence skeletons.

    按指标分文件夹（“序号 指标名称”），附说明.txt 和签名清单 xlsxflow-manifest.txt。
    One folder per section and item, a 说明.txt and a signed manifest.
    """
    from .evidence.skeleton import write_skeletons
    from .round import open_round

    with _handled():
        ctx = open_round(key_path=key_file)
        folder = Path(out_dir) if out_dir else ctx.record.resolve(Path("."), ctx.record.out_dir)
        written = write_skeletons(ctx, folder, list(units) or None, ctx.record.lang)
        click.echo(render("evidence-skeleton-done", count=len(written), path=folder))


if __name__ == "__main__":  # pragma: no cover
    main()
