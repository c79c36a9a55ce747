"""The ``xlsxflow`` command: a thin layer over the library functions.

Exit status of every command: 0 done and nothing needs attention; 1 done, but
there is something to look at (ingest: rejected files, errors or missing units;
rubric/roster check: problems found); 2 could not run (bad rubric, roster,
round record, key or arguments).  Messages go to stderr, results to stdout.
"""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import click
from tqdm import tqdm

from . import __version__
from .isolation import Isolation
from .messages import XlsxflowError

LANG = click.Choice(["zh", "en"])
SEND_LOG_NAME = "xlsxflow-send-log.jsonl"


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
        if os.environ.get("XLSXFLOW_DEBUG"):
            raise
        click.secho(f"内部错误 internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
        click.echo("请将此信息反馈给维护者；设置 XLSXFLOW_DEBUG=1 可查看详细信息。", err=True)
        sys.exit(3)


def _bar(total: int | None, desc: str):
    return tqdm(total=total, desc=desc, unit="file", disable=None, file=sys.stderr, leave=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlsxflow")
def main() -> None:
    """xlsxflow: locked evaluation workbooks out, checked returns and a summary back.

    \b
    A round:  xlsxflow generate RUBRIC --roster ROSTER --out workbooks/
              (units fill in and send back their files)
              xlsxflow ingest returns/
    Try it:   xlsxflow demo
    """


# -- rubric -----------------------------------------------------------------------


@main.group()
def rubric() -> None:
    """Check and list rubric files (评分表)."""


@rubric.command("check")
@click.argument("files", nargs=-1, required=True)
def rubric_check(files: tuple[str, ...]) -> None:
    """Validate rubric FILES and print each outline.

    A FILE is a path or the name of a shipped rubric (see `xlsxflow rubric list`).
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
    """List the rubrics and round files shipped with xlsxflow."""
    from .roundfile import load_round, pad
    from .rubric import load_rubric, shipped_templates_dir

    with _handled():
        for path in sorted(shipped_templates_dir().glob("*.yaml")):
            r = load_rubric(path)
            if r.scored:
                size = f"{r.item_count:>3} 项 {r.total:>5g} 分"
            elif r.indicators:
                size = f"{len(r.indicators):>3} 项指标"
            else:
                size = f"{len(r.fields):>3} 栏申报表"
            click.echo(f"{path.stem:<24} {pad(size, 16)} {r.title}")
        click.echo("\n整轮 rounds (xlsxflow generate templates/rounds/<名称>.yaml):")
        for path in sorted((shipped_templates_dir() / "rounds").glob("*.yaml")):
            spec = load_round(path).spec
            forms = "、".join(f.title for f in spec.forms)
            click.echo(f"{path.stem:<24} {forms}  {spec.title}")


# -- round files --------------------------------------------------------------------


@main.command()
@click.argument("file", default="round.yaml", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(file, force) -> None:
    """Write a commented starter round file (the seed's 三创三树 round) to FILE.

    Also writes roster.csv beside it (the sample roster) when there is none, so
    that `xlsxflow round check FILE` works at once; replace it with your units.
    """
    from .roundfile import starter_text
    from .rubric import shipped_dir

    with _handled():
        path = Path(file)
        if path.exists() and not force:
            raise click.UsageError(f"{path} exists; use --force to overwrite it.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(starter_text(), encoding="utf-8")
        roster_file = path.parent / "roster.csv"
        if not roster_file.exists():
            roster_file.write_bytes((shipped_dir("samples") / "roster.csv").read_bytes())
            click.echo(f"示例名单 sample roster → {roster_file}")
        click.echo(f"本轮文件 round file → {path}（检查 check: xlsxflow round check {path}）")


@main.group("round")
def round_group() -> None:
    """Check round files (one round, several forms, quotas)."""


@round_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def round_check(file) -> None:
    """Validate a round file and print what each unit receives: forms and slots (名额)."""
    from .roundfile import load_round, outline

    with _handled():
        click.echo(outline(load_round(file)))


# -- roster -----------------------------------------------------------------------


@main.group()
def roster() -> None:
    """Check roster files (单位名单)."""


@roster.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def roster_check(file: str) -> None:
    """Validate a roster (CSV or xlsx) and print its units."""
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
    help="Roster CSV or xlsx (单位名单); a round file names its own.",
)
@click.option(
    "--out",
    "out_dir",
    default="workbooks",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the unit workbooks.",
)
@click.option("--title", help="Round title shown on every workbook (default: 年度 + rubric title).")
@click.option("--deadline", help="Deadline shown on every workbook (default: 14 days from today).")
@click.option("--lang", type=LANG, default="zh", show_default=True, help="Workbook labels.")
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False),
    help="Signing key file (default: XLSXFLOW_KEY_FILE or ~/.config/xlsxflow/secret.key).",
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
    """Write one locked workbook per roster unit and record the round here.

    RUBRIC_FILE is a rubric path or a shipped rubric name (e.g. wenming-danwei),
    or a round file (see `xlsxflow init`): then each unit gets one workbook with
    every form and nomination slot it is entitled to.  The round record
    (xlsxflow-round.json) lets `xlsxflow ingest` run here with no other argument.

    \b
    在同一目录以相同的评分表、名单和密钥再次运行 = 在当前轮次内重新下发
    （轮次编号不变，已发出的工作簿仍有效）；补发一个单位：
      xlsxflow generate RUBRIC --roster ROSTER --unit CZJ
    换评分表、密钥或删改单位须加 --new-round；每一轮都记录在 xlsxflow-rounds/，
    旧一轮的报送用 xlsxflow ingest returns/ --round 轮次编号 汇总。
    Same inputs again re-issue inside the current round; --new-round starts
    another, and every round stays recorded (ingest --round ID).
    """
    from .roster import load_roster
    from .round import generate as do_generate
    from .round import generate_round, is_round_file

    with _handled():
        if is_round_file(rubric_file):
            from .roundfile import load_round

            rnd = load_round(rubric_file, roster_file)
            count = sum(1 for u in rnd.roster if rnd.slots_of(u.unit_id))
            job = partial(generate_round, rubric_file, out_dir, roster_path=roster_file)
        else:
            if not roster_file:
                raise click.UsageError("请用 --roster 指定单位名单 (a rubric needs --roster).")
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
@click.option(
    "--out",
    "out_file",
    default="summary.xlsx",
    show_default=True,
    help="Summary workbook to write.",
)
@click.option("--report", "report_file", help="Also write a machine-readable JSON report here.")
@click.option("--rubric", "rubric_file", help="Rubric (overrides the round record).")
@click.option(
    "--round",
    "round_file",
    help="已记录轮次的编号或轮次文件。Round id or file.",
)
@click.option("--roster", "roster_file", help="Roster (overrides the round record).")
@click.option(
    "--key", "key_file", type=click.Path(dir_okay=False), help="Signing key (overrides the record)."
)
@click.option("--lang", type=LANG, default="zh", show_default=True, help="Summary labels.")
@click.option(
    "--max-file-mb", type=float, default=20, show_default=True, help="Reject larger files unread."
)
@click.option(
    "--limit",
    "limit_items",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change another reading limit (repeatable): max_entries, max_total_uncompressed, "
    "max_entry_uncompressed, max_ratio, max_sheets, max_rows, max_cols, max_cells.",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=Isolation().workers,
    show_default=True,
    help="Reader processes (0: read in this process, without time and memory limits).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=30,
    show_default=True,
    help="Seconds one file may take before it is rejected.",
)
@click.option(
    "--max-memory-mb",
    type=click.IntRange(64, 65536),
    default=1024,
    show_default=True,
    help="Memory one file may take before it is rejected.",
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
) -> None:
    """Check every file under RETURNS_DIR and write the reviewers' summary.

    \b
    Every file is accounted for: accepted, rejected (with the reason), duplicate,
    superseded or skipped.  RETURNS_DIR is only read, never changed.
    Exit status: 0 all units returned clean files; 1 summary written but some files
    were rejected, have errors, or units are missing; 2 could not run.
    """
    from .ingest import count_files
    from .ingest import ingest as do_ingest
    from .round import open_round
    from .summary import write_report_json, write_summary

    with _handled():
        returns = Path(returns_dir)
        for target in filter(None, (out_file, report_file)):
            if _inside(Path(target), returns):
                raise click.UsageError(
                    f"{target} 位于报送文件夹内；报送文件夹只读，请把输出写到别处。"
                )
        ctx = open_round(
            rubric=rubric_file, roster=roster_file, key_path=key_file, round_file=round_file
        )
        limits = _limits(max_file_mb, limit_items)
        command = "xlsxflow " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        with _bar(count_files(returns) if returns.is_dir() else 0, "读取 ingest") as bar:
            isolation = Isolation(workers=workers, timeout=timeout, memory_mb=max_memory_mb)
            report = do_ingest(
                returns,
                ctx,
                limits=limits,
                isolation=isolation,
                progress=bar.update,
                command=command,
            )
        write_summary(report, ctx.rubric, ctx.roster, out_file, lang)
        if report_file:
            write_report_json(report, report_file)
        counts = report.counts()
        click.echo("  ".join(f"{k} {v}" for k, v in counts.items()))
        eligible = sum(r.eligible for r in report.results)
        click.echo(
            f"已接受 accepted {len(report.results)}，符合条件 eligible {eligible}，"
            f"未交 missing {len(report.missing)}，问题 issues {len(report.issues)}"
        )
        if unusable := report.unusable:
            click.echo(
                f"其中 {len(unusable)} 个未交单位已报送，但文件无法使用 received but unusable"
                "（见汇总表“未交”）"
            )
        _echo_issues(report.warnings)
        _echo_other_rounds(report, returns_dir)
        click.echo(f"汇总表 summary: {Path(out_file).resolve()}")
        if report_file:
            click.echo(f"报告 report: {Path(report_file).resolve()}")
        sys.exit(report.exit_code)


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
                f"{item!r}: expected NAME=POSITIVE_INTEGER, NAME one of {sorted(names)}",
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
    from .messages import make_issue

    raise XlsxflowError(make_issue("mail-no-password", env=env_name))


def _server_options(kind: str, default_port: int):
    upper = kind.upper()

    def decorate(fn):
        options = [
            click.option(
                f"--{kind}-host",
                "host",
                envvar=f"XLSXFLOW_{upper}_HOST",
                help=f"{upper} server (env XLSXFLOW_{upper}_HOST).",
            ),
            click.option(
                f"--{kind}-port",
                "port",
                envvar=f"XLSXFLOW_{upper}_PORT",
                type=int,
                default=default_port,
                show_default=True,
                help="Port.",
            ),
            click.option(
                "--security",
                type=click.Choice(["ssl", "starttls", "none"]),
                default="ssl",
                envvar=f"XLSXFLOW_{upper}_SECURITY",
                show_default=True,
                help="SSL from the start, STARTTLS, or none (only for tests on this machine).",
            ),
            click.option("--user", envvar=f"XLSXFLOW_{upper}_USER", default="", help="Login name."),
            click.option(
                "--password-env",
                default=f"XLSXFLOW_{upper}_PASSWORD",
                show_default=True,
                help="Environment variable holding the password (else you are asked).",
            ),
            click.option(
                "--cafile",
                type=click.Path(exists=True, dir_okay=False),
                help="Also trust this CA certificate (an office's own mail server).",
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
    help='Sender, e.g. "市直机关工委 <office@example.org>" (env XLSXFLOW_MAIL_FROM).',
)
@click.option(
    "--template",
    default="workbook",
    show_default=True,
    help="Message template: workbook, feedback, or a file (Subject: line, blank line, body).",
)
@click.option(
    "--dry-run",
    "dry_run",
    type=click.Path(file_okay=False),
    help="Write one .eml per unit into this folder instead of sending.",
)
@click.option(
    "--resend", multiple=True, help="Send to this unit again even if already sent (repeatable)."
)
@click.option("--unit", "only", multiple=True, help="Only this unit (repeatable).")
@click.option(
    "--rate", type=click.FloatRange(0.1, 10000), help="At most this many messages per minute."
)
@click.option(
    "--max-attachment-mb",
    type=float,
    default=20,
    show_default=True,
    help="Do not send attachments larger than this.",
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
) -> None:
    """Email each roster unit its own workbook from FOLDER.

    \b
    Which file goes to which unit is read from each workbook's signed identity.
    A send log (xlsxflow-send-log.jsonl) makes a re-run skip what was already sent
    and resume after a failure; --resend UNIT sends again on purpose.
    --dry-run writes .eml files for sending from your own mail client.
    """
    from email.utils import parseaddr

    from .mail import MailTemplate, SendLog, Server, send_workbooks
    from .round import open_round

    with _handled():
        ctx = open_round()
        name, address = parseaddr(sender)
        if not address:
            raise click.BadParameter(f"{sender!r} is not an email address", param_hint="--from")
        server = None
        if not dry_run:
            if not host:
                raise click.UsageError("--smtp-host is needed to send (or use --dry-run DIR).")
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
    "--folder", "mail_folder", default="INBOX", show_default=True, help="Mailbox folder to read."
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Messages since this date (default: since the last collect, else all).",
)
@click.option(
    "--out",
    "out_dir",
    default="returns",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The returns folder to save attachments into.",
)
def collect(host, port, security, user, password_env, cafile, mail_folder, since, out_dir) -> None:
    """Save every spreadsheet attachment from a mailbox into the returns folder.

    \b
    Files get content-addressed names (never overwritten; the same file twice is
    saved once) and a NAME.mail.json beside them with sender, date and message id,
    which ingest uses.  Messages without attachments and other attachments are
    listed here and in xlsxflow-collect-log.jsonl, not lost.
    """
    from .mail import COLLECT_LOG, COLLECT_STATE, Server
    from .mail import collect as do_collect

    with _handled():
        if not host:
            raise click.UsageError("--imap-host is needed.")
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
    help="Folder for the annotated workbooks and messages.",
)
def feedback(returns_dir, out_dir) -> None:
    """Annotated workbooks and messages for units whose return has problems.

    Ingests RETURNS_DIR, then for each unit with a rejected return or errors and
    warnings writes its workbook with the problem cells marked red and commented,
    plus a .txt message; send them with `xlsxflow send FOLDER --template feedback`.
    """
    from .feedback import make_feedback
    from .ingest import ingest as do_ingest
    from .round import open_round

    with _handled():
        ctx = open_round()
        report = do_ingest(Path(returns_dir), ctx)
        workbooks = ctx.record.resolve(Path("."), ctx.record.out_dir) if ctx.record else None
        items = make_feedback(report, ctx, Path(returns_dir), Path(out_dir), workbooks)
        for item in items:
            what = "拒收，重新下发工作簿" if item.fresh else f"{item.problems} 个问题"
            click.echo(f"  {item.unit_id:<10} {item.unit_name}  {what} → {item.workbook.name}")
        click.echo(f"{len(items)} 个单位需要修改 units to answer → {out_dir}")


# -- samples and demo -------------------------------------------------------------


@main.command("sample-returns")
@click.argument("workbooks_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out", "out_dir", default="returns", show_default=True, type=click.Path(file_okay=False)
)
@click.option("--seed", default=2026, show_default=True, help="Random seed for the sample scores.")
def sample_returns(workbooks_dir, out_dir, seed) -> None:
    """Fill generated workbooks as units would, with typical mistakes (for trying ingest)."""
    from .round import open_round
    from .samples import make_sample_returns
    from .writer import Generated

    with _handled():
        ctx = open_round()
        names = {p.name.split("_", 1)[0]: p for p in Path(workbooks_dir).glob("*.xlsx")}
        generated = [Generated(uid, path) for uid, path in sorted(names.items())]
        planted = make_sample_returns(
            generated,
            ctx.rubric,
            ctx.roster,
            Path(out_dir),
            seed=seed,
            lang=ctx.record.lang if ctx.record else "zh",
        )
        for p in planted:
            click.echo(f"  {p.unit_id or '—':<10} {p.what}")
        click.echo(f"示例报送文件 sample returns → {out_dir}")


@main.command()
@click.argument("folder", default="xlsxflow-demo", type=click.Path(file_okay=False))
@click.option(
    "--rubric",
    "rubric_name",
    default="sanchuang",
    show_default=True,
    help="Shipped round (sanchuang, dangzhibu) or rubric (wenming-danwei …), or a path to either.",
)
@click.option("--lang", type=LANG, default="zh", show_default=True)
def demo(folder, rubric_name, lang) -> None:
    """Run a whole round on the sample roster inside FOLDER and print where the summary is.

    Uses its own signing key inside FOLDER, never your office key.
    """
    from .demo import run_demo

    with _handled():
        result = run_demo(Path(folder), rubric_name, lang=lang, echo=click.echo)
        click.echo()
        click.secho(f"汇总表 summary: {result.summary.resolve()}", bold=True)
        click.echo(f"报告 report:    {result.report.resolve()}")


@main.command()
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False),
    help="Key file (default location otherwise).",
)
def key(key_file) -> None:
    """Show where the signing key is and its fingerprint (creating it if missing)."""
    from .identity import default_key_path, key_id, load_key

    with _handled():
        path = Path(key_file) if key_file else default_key_path()
        existed = path.exists()
        k = load_key(path, create=True)
        click.echo(f"{path}  fingerprint {key_id(k)}" + ("" if existed else "  (new)"))


if __name__ == "__main__":  # pragma: no cover
    main()
