"""Email against real servers on this machine: aiosmtpd (SMTP) and Dovecot (IMAP)."""

from __future__ import annotations

import email
import json
import os
import zipfile
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import fill, make_round
from mailservers import DOVECOT, Dovecot, SmtpServer, make_certificate

from xlsxflow.cli import main
from xlsxflow.feedback import make_feedback
from xlsxflow.ingest import ingest
from xlsxflow.mail import (
    MailTemplate,
    SendLog,
    Server,
    collect,
    compose,
    pair_units,
    send_workbooks,
)
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.roster import Roster, Unit

OFFICE, OFFICE_PW = "office@example.org", "office-secret"
pytestmark = pytest.mark.mail


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def smtp(tls):
    server = SmtpServer(*tls, user=OFFICE, password=OFFICE_PW)
    yield server
    server.stop()


@pytest.fixture()
def outbox(smtp):
    smtp.recorder.messages.clear()
    smtp.recorder.drop_after = None
    return smtp


@pytest.fixture(scope="module")
def imap(tls):
    if not Path(DOVECOT).exists():
        if os.environ.get("XLSXFLOW_REQUIRE_MAIL") == "1":
            pytest.fail("Dovecot is required here but not installed")
        pytest.skip("Dovecot not installed (apt-get install dovecot-imapd)")
    server = Dovecot(*tls, users={OFFICE: OFFICE_PW})
    yield server
    server.stop()


@pytest.fixture()
def mail_round(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, ctx = make_round(tmp_path)
    return tmp_path, result, ctx


def smtp_server(smtp, tls, password=OFFICE_PW) -> Server:
    return Server("127.0.0.1", smtp.port, "starttls", OFFICE, password, cafile=str(tls[0]))


def send(folder, ctx, server, **kw):
    record = ctx.record
    return send_workbooks(
        folder,
        ctx.roster,
        MailTemplate.load(kw.pop("template", "workbook")),
        round_id=record.round_id,
        round_title=record.title,
        deadline=record.deadline,
        sender=("市直机关工委", OFFICE),
        server=server,
        log=SendLog(Path("send-log.jsonl")),
        **kw,
    )


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def attachment(msg) -> tuple[str, bytes]:
    part = next(msg.iter_attachments())
    return part.get_filename(), part.get_content()


def reply(unit: Unit, data: bytes, name: str, *, when=None, style="xlsxflow") -> bytes:
    """A unit answering the office with its filled workbook, as a mail client would."""
    if style == "xlsxflow":  # RFC 2047 name + RFC 2231 filename*, like Outlook/Foxmail read
        tmp = Path(os.environ.get("TMPDIR", "/tmp")) / name
        tmp.write_bytes(data)
        msg = compose((unit.name, unit.email), OFFICE, f"回复：{unit.name}自评表", "见附件。", tmp)
        tmp.unlink()
        if when:
            del msg["Date"]
            msg["Date"] = format_datetime(when)
        return msg.as_bytes()
    msg = EmailMessage()  # RFC 2231 only, as Thunderbird and most webmail write it
    msg["Subject"], msg["From"], msg["To"] = f"Re: {unit.name}", unit.email, OFFICE
    msg["Date"] = format_datetime(when) if when else email.utils.formatdate()
    msg.set_content("附件")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


# -- send ---------------------------------------------------------------------------------------


def test_send_each_unit_its_workbook_with_chinese_names(outbox, tls, mail_round):
    folder, result, ctx = mail_round
    report = send(folder / "workbooks", ctx, smtp_server(outbox, tls))
    assert report.count("sent") == 30
    by_rcpt = {rcpts[0]: parsed(raw) for _, rcpts, raw in outbox.recorder.messages}
    assert len(by_rcpt) == 30
    for unit, path in pair_units(folder / "workbooks", ctx.roster)[0]:
        msg = by_rcpt[unit.email]
        assert unit.name in msg["subject"] and ctx.record.title in msg["subject"]
        assert msg["from"].addresses[0].display_name == "市直机关工委"
        name, data = attachment(msg)
        assert name == path.name and data == path.read_bytes()
        assert ctx.record.deadline in msg.get_body(("plain",)).get_content()
    raw = outbox.recorder.messages[0][2].decode("ascii")  # 7-bit clean on the wire
    assert 'filename="=?utf-8?b?' in raw and "filename*=utf-8''" in raw


def test_rerun_never_sends_twice_and_resumes_after_the_server_drops(outbox, tls, mail_round):
    folder, _, ctx = mail_round
    outbox.recorder.drop_after = 7
    first = send(folder / "workbooks", ctx, smtp_server(outbox, tls))
    assert first.count("sent") == 7 and first.count("failed") == 23
    assert all(
        "中断" in line.detail or line.detail for line in first.lines if line.status == "failed"
    )
    outbox.recorder.drop_after = None
    second = send(folder / "workbooks", ctx, smtp_server(outbox, tls))
    assert (second.count("sent"), second.count("already-sent")) == (23, 7)
    third = send(folder / "workbooks", ctx, smtp_server(outbox, tls))
    assert (third.count("sent"), third.count("already-sent")) == (0, 30)
    recipients = [r[0] for _, r, _ in outbox.recorder.messages]
    assert len(recipients) == len(set(recipients)) == 30
    again = send(folder / "workbooks", ctx, smtp_server(outbox, tls), resend=["CZJ"])
    assert (
        again.count("sent") == 1
        and [r[0] for _, r, _ in outbox.recorder.messages][-1] == "czj@example.org"
    )
    log = Path("send-log.jsonl").read_text(encoding="utf-8")
    assert OFFICE_PW not in log and len(log.splitlines()) == 31


def test_login_failure_is_a_clear_message(outbox, tls, mail_round, monkeypatch):
    folder, _, _ = mail_round
    monkeypatch.setenv("XLSXFLOW_SMTP_PASSWORD", "wrong-password")
    result = CliRunner().invoke(
        main,
        [
            "send",
            str(folder / "workbooks"),
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(outbox.port),
            "--security",
            "starttls",
            "--user",
            OFFICE,
            "--cafile",
            str(tls[0]),
            "--from",
            f"工委 <{OFFICE}>",
        ],
    )
    assert result.exit_code == 2
    assert "[mail-login-failed]" in result.output and "Traceback" not in result.output
    assert "拒绝了用户 office@example.org 的登录" in result.output and "535" in result.output
    assert "wrong-password" not in result.output and outbox.recorder.messages == []


def test_connection_refused_is_a_clear_error(tls, mail_round):
    folder, _, ctx = mail_round
    from mailservers import free_port

    with pytest.raises(XlsxflowError) as info:
        send(folder / "workbooks", ctx, Server("127.0.0.1", free_port(), "starttls", OFFICE, "x"))
    assert info.value.issues[0].code == "mail-connect-failed"
    assert "无法连接邮件服务器 127.0.0.1" in info.value.issues[0].message


def test_attachment_limit_is_respected(outbox, tls, mail_round):
    folder, result, ctx = mail_round
    big = next(g.path for g in result.files if g.unit_id == "CZJ")
    with zipfile.ZipFile(big, "a") as zf:  # the file grows past 20 MB
        zf.writestr(
            "xl/media/photo.bin", os.urandom(21 * 1024 * 1024), compress_type=zipfile.ZIP_STORED
        )
    report = send(folder / "workbooks", ctx, smtp_server(outbox, tls))
    czj = next(line for line in report.lines if line.unit_id == "CZJ")
    assert czj.status == "failed" and "超过上限 20 MB" in czj.detail
    assert report.count("sent") == 29
    assert "czj@example.org" not in [r[0] for _, r, _ in outbox.recorder.messages]


def test_units_without_email_are_skipped_and_listed(outbox, tls, mail_round):
    folder, _, ctx = mail_round
    units = [
        Unit(**{**u.__dict__, "email": "" if u.unit_id == "JYJ" else u.email}) for u in ctx.roster
    ]
    ctx2 = type(ctx)(**{**ctx.__dict__, "roster": Roster(units)})
    report = send(folder / "workbooks", ctx2, smtp_server(outbox, tls))
    jyj = next(line for line in report.lines if line.unit_id == "JYJ")
    assert (jyj.status, report.count("sent")) == ("skipped", 29)


def test_dry_run_writes_one_eml_per_unit_and_ingest_reads_eml(mail_round, tmp_path):
    folder, result, ctx = mail_round
    report = send(folder / "workbooks", ctx, None, dry_run_dir=tmp_path / "eml")
    assert report.count("dry-run") == 30 and len(list((tmp_path / "eml").glob("*.eml"))) == 30
    msg = parsed(next((tmp_path / "eml").glob("CZJ_*.eml")).read_bytes())
    assert attachment(msg)[0].startswith("CZJ_市财政局")
    # A unit's reply saved from a mail client as .eml goes straight into returns/.
    unit = ctx.roster.get("CZJ")
    path = next(g.path for g in result.files if g.unit_id == "CZJ")
    filled = fill(path, tmp_path / "filled.xlsx").read_bytes()
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "回复.eml").write_bytes(reply(unit, filled, path.name))
    ing = ingest(returns, ctx)
    statuses = {f.path: f.status for f in ing.files}
    assert statuses == {"回复.eml": "skipped", f"回复.eml/{path.name}": "accepted"}
    accepted = next(f for f in ing.files if f.status == "accepted")
    assert accepted.mail["from"] == unit.email and [r.unit_id for r in ing.results] == ["CZJ"]


# -- collect -----------------------------------------------------------------------------------


def test_round_trip_send_imap_collect_ingest(outbox, imap, tls, mail_round, tmp_path):
    import datetime as dt

    folder, _, ctx = mail_round
    send(folder / "workbooks", ctx, smtp_server(outbox, tls))
    sent = {rcpts[0]: parsed(raw) for _, rcpts, raw in outbox.recorder.messages}
    now = dt.datetime.now(dt.UTC)
    replies = [("CZJ", "xlsxflow", now), ("JYJ", "rfc2231", now), ("WJW", "xlsxflow", now)]
    for unit_id, style, when in replies:
        unit = ctx.roster.get(unit_id)
        name, data = attachment(sent[unit.email])  # the workbook the unit received by mail
        (tmp_path / name).write_bytes(data)
        filled = fill(tmp_path / name, tmp_path / "filled" / name).read_bytes()
        imap.append(OFFICE, OFFICE_PW, reply(unit, filled, name, when=when, style=style), tls[0])
    imap.append(
        OFFICE,
        OFFICE_PW,
        b"From: czj@example.org\r\nSubject: =?utf-8?b?5pS25Yiw?=\r\n\r\nok\r\n",
        tls[0],
    )
    pdf = EmailMessage()
    pdf["From"], pdf["Subject"] = "jyj@example.org", "说明"
    pdf.set_content("见附件")
    pdf.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="说明.pdf")
    imap.append(OFFICE, OFFICE_PW, pdf.as_bytes(), tls[0])

    server = Server("127.0.0.1", imap.port, "ssl", OFFICE, OFFICE_PW, cafile=str(tls[0]))
    returns = tmp_path / "returns"
    state = tmp_path / "state.json"
    report = collect(server, returns, state_path=state, log_path=tmp_path / "collect.jsonl")
    assert len(report.saved) == 3 and len(report.no_attachment) == 1
    assert [a["filename"] for a in report.other_attachments] == ["说明.pdf"]
    saved = sorted(p.name for p in returns.glob("*.xlsx"))
    assert all("_文明单位创建标准" in name for name in saved)
    record = json.loads(next(returns.glob("*.mail.json")).read_text(encoding="utf-8"))
    assert {"from", "date", "message_id", "subject", "sha256"} <= set(record)
    # Run again: nothing new since the last collect; with a date: nothing overwritten.
    assert collect(server, returns, state_path=state).saved == []
    again = collect(server, returns, since=(now - dt.timedelta(days=1)).date())
    assert again.saved == [] and len(again.known) == 3

    ing = ingest(returns, ctx)
    assert sorted(r.unit_id for r in ing.results) == ["CZJ", "JYJ", "WJW"]
    assert {f.status for f in ing.files} == {"accepted", "skipped"}
    assert not [i for f in ing.files for i in f.issues if i.code == "mail-sender-mismatch"]


def test_mail_date_orders_resubmissions_and_sender_is_checked(mail_round, tmp_path):
    import datetime as dt

    from xlsxflow.mail import eml_attachments, save_attachment

    folder, result, ctx = mail_round
    unit = ctx.roster.get("CZJ")
    path = next(g.path for g in result.files if g.unit_id == "CZJ")
    early = fill(path, tmp_path / "a.xlsx", scores={"i01": 4}).read_bytes()
    late = fill(path, tmp_path / "b.xlsx", scores={"i01": 6}).read_bytes()
    base = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    returns = tmp_path / "returns"
    # Saved in the "wrong" order: the later mail is written to disk first.
    for data, when, sender in (
        (late, base + dt.timedelta(hours=5), "someone@elsewhere.org"),
        (early, base, unit.email),
    ):
        info, files = eml_attachments(
            reply(Unit(unit.unit_id, unit.name, email=sender), data, path.name, when=when)
        )
        save_attachment(returns, files[0][0], files[0][1], info)
    ing = ingest(returns, ctx)
    accepted = next(f for f in ing.files if f.status == "accepted")
    superseded = next(f for f in ing.files if f.status == "superseded")
    assert accepted.submission.scores["i01"] == 6 and superseded.submission.scores["i01"] == 4
    warning = next(i for i in accepted.issues if i.code == "mail-sender-mismatch")
    assert warning.message == render(
        "mail-sender-mismatch",
        sender="someone@elsewhere.org",
        unit="CZJ 市财政局",
        expected=unit.email,
    )


# -- feedback ----------------------------------------------------------------------------------


def test_feedback_marks_problem_cells_and_is_sent(outbox, tls, mail_round, tmp_path):
    folder, result, ctx = mail_round
    files = {g.unit_id: g.path for g in result.files}
    returns = tmp_path / "returns"
    fill(files["CZJ"], returns / "czj.xlsx", scores={"i01": 9})  # out of range
    fill(files["JYJ"], returns / "jyj.xlsx")  # clean
    # Corrupt, and neither its name nor a sender names a unit: nobody to answer.
    (returns / "损坏.xlsx").write_bytes((files["WJW"]).read_bytes()[:500])
    before = (returns / "czj.xlsx").read_bytes()
    report = ingest(returns, ctx)
    items = make_feedback(report, ctx, returns, tmp_path / "feedback", folder / "workbooks")
    assert [i.unit_id for i in items] == ["CZJ"]
    wb = openpyxl.load_workbook(items[0].workbook)
    cell = wb["自评表"]["D6"]
    assert cell.comment is not None and "超出允许范围" in cell.comment.text
    assert cell.fill.start_color.rgb.endswith("FF9999")
    assert wb["自评表"].protection.sheet  # still the unit's locked workbook
    text = items[0].message.read_text(encoding="utf-8")
    assert "1. " in text and "D6" in text and ctx.record.deadline in text
    assert (returns / "czj.xlsx").read_bytes() == before
    sent = send(tmp_path / "feedback", ctx, smtp_server(outbox, tls), template="feedback")
    assert sent.count("sent") == 1
    msg = parsed(outbox.recorder.messages[-1][2])
    assert "超出允许范围" in msg.get_body(("plain",)).get_content()
    assert attachment(msg)[0] == items[0].workbook.name


def test_mail_commands_have_help():
    for name in ("send", "collect", "feedback"):
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_ssl_from_the_start_and_rate_limit(tls, mail_round):
    import time

    folder, _, ctx = mail_round
    server = SmtpServer(*tls, user=OFFICE, password=OFFICE_PW, implicit_tls=True)
    try:
        started = time.monotonic()
        report = send(
            folder / "workbooks",
            ctx,
            Server("127.0.0.1", server.port, "ssl", OFFICE, OFFICE_PW, cafile=str(tls[0])),
            only=["CZJ", "JYJ", "WJW"],
            rate_per_minute=300,
        )  # one every 0.2 s
        assert report.count("sent") == 3 and len(server.recorder.messages) == 3
        assert time.monotonic() - started >= 0.4
    finally:
        server.stop()


def test_imap_login_failure_is_a_clear_error(imap, tls, tmp_path):
    server = Server("127.0.0.1", imap.port, "ssl", OFFICE, "wrong", cafile=str(tls[0]))
    with pytest.raises(XlsxflowError) as info:
        collect(server, tmp_path / "returns")
    issue = info.value.issues[0]
    assert issue.code == "mail-login-failed" and "wrong" not in issue.message
    assert not (tmp_path / "returns").exists()
