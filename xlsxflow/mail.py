"""Email: send each unit its workbook, collect returns from a mailbox.

Sending (SMTP over SSL or STARTTLS, with login) keeps a send log so that a re-run
never emails a unit the same file twice and resumes after a failure.  Collecting
(IMAP) saves every spreadsheet attachment under the returns folder with a
content-addressed name and a ``.mail.json`` record beside it (sender, date,
message id) that ingest uses.  Passwords come from an environment variable or a
prompt; they are never written to a file or a log line.
"""

from __future__ import annotations

import contextlib
import email
import hashlib
import imaplib
import json
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from email import encoders, policy
from email.header import Header, decode_header, make_header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

from .atomic import atomic_write_bytes
from .messages import XlsxflowError, make_issue
from .ooxml import OLE_MAGIC, ReadError, open_book
from .roster import Roster, Unit
from .rubric import shipped_dir
from .writer import safe_filename

SEND_LOG = "xlsxflow-send-log.jsonl"
COLLECT_STATE = "xlsxflow-collect-state.json"
COLLECT_LOG = "xlsxflow-collect-log.jsonl"
MAIL_SUFFIX = ".mail.json"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".csv")


@dataclass(frozen=True)
class Server:
    """How to reach a mail server. ``security``: ssl, starttls or none (tests only)."""

    host: str
    port: int
    security: str = "ssl"
    user: str = ""
    password: str = field(default="", repr=False)
    cafile: str | None = None  # trust this CA (an office's own), besides the system's
    timeout: float = 30.0

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)


@contextlib.contextmanager
def _mail_errors(server: Server, login_errors: tuple[type[Exception], ...]):
    """Connection and login failures as clear errors naming the server (never the password)."""
    where = f"{server.host}:{server.port}"
    try:
        yield
    except login_errors as exc:
        raise XlsxflowError(
            make_issue(
                "mail-login-failed", server=where, user=server.user, detail=_server_text(exc)
            )
        ) from None
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise XlsxflowError(
            make_issue("mail-connect-failed", server=where, detail=_server_text(exc))
        ) from None


def smtp_login(server: Server) -> smtplib.SMTP:
    """An open, logged-in SMTP connection."""
    with _mail_errors(server, (smtplib.SMTPAuthenticationError,)):
        if server.security == "ssl":
            context = server.tls_context()
            conn = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            if server.security == "starttls":
                conn.starttls(context=server.tls_context())
        if server.user:
            conn.login(server.user, server.password)
        return conn


def imap_login(server: Server) -> imaplib.IMAP4:
    """An open, logged-in IMAP connection."""
    with _mail_errors(server, (imaplib.IMAP4.error,)):
        if server.security == "ssl":
            context = server.tls_context()
            conn = imaplib.IMAP4_SSL(
                server.host, server.port, ssl_context=context, timeout=server.timeout
            )
        else:
            conn = imaplib.IMAP4(server.host, server.port, timeout=server.timeout)
            if server.security == "starttls":
                conn.starttls(ssl_context=server.tls_context())
        conn.login(server.user, server.password)
        return conn


def _server_text(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, imaplib.IMAP4.error) and exc.args:
        arg = exc.args[0]
        return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return f"{type(exc).__name__}: {exc}"


# -- templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MailTemplate:
    """``Subject: …`` on the first line, a blank line, then the body; {placeholders} in both."""

    subject: str
    body: str

    @classmethod
    def load(cls, name_or_path: str | Path) -> MailTemplate:
        path = Path(name_or_path)
        if not path.is_file():  # a shipped template's name: workbook, feedback
            path = shipped_dir("templates") / "mail" / f"{name_or_path}.txt"
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise XlsxflowError(
                make_issue("mail-template", file=str(name_or_path), detail=exc)
            ) from None
        head, _, body = text.partition("\n\n")
        if not head.lower().startswith("subject:"):
            raise XlsxflowError(
                make_issue("mail-template", file=str(path), detail="第一行应为 Subject: …")
            )
        return cls(head.split(":", 1)[1].strip(), body.strip() + "\n")

    def render(self, fields: dict[str, str]) -> tuple[str, str]:
        values = _Fields(fields)
        return self.subject.format_map(values), self.body.format_map(values)


class _Fields(dict):
    """Placeholders: English names and their Chinese aliases; unknown ones stay as written."""

    ALIASES = {
        "单位名称": "unit_name",
        "单位编号": "unit_id",
        "轮次": "round_title",
        "截止日期": "deadline",
        "联系人": "contact",
        "问题": "problems",
        "文件名": "file_name",
    }

    def __missing__(self, key: str) -> str:
        alias = self.ALIASES.get(key)
        if alias and alias in self:
            return self[alias]
        return "{" + key + "}"


def compose(
    sender: tuple[str, str],
    to: str,
    subject: str,
    body: str,
    attachment: Path,
    *,
    domain: str = "xlsxflow.local",
    extra: tuple[Path, ...] = (),
) -> MIMEMultipart:
    """A message Outlook, Foxmail, WPS mail and webmail all show right.

    Chinese subject and names as RFC 2047 words; the attachment name both as an RFC
    2047 word (what Outlook and Foxmail read) and as RFC 2231 ``filename*``.
    """
    msg = MIMEMultipart()
    msg["Subject"] = Header(subject, "utf-8")
    name, address = sender
    msg["From"] = formataddr((str(Header(name, "utf-8")), address)) if name else address
    msg["To"] = to
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or domain)
    msg.attach(MIMEText(body, "plain", "utf-8"))
    for path in (attachment, *extra):  # extra: the unit's 佐证材料 .zip (send --evidence)
        part = MIMEBase(*(("application", "zip") if path.suffix == ".zip" else XLSX_TYPE))
        encoded = Header(path.name, "utf-8", maxlinelen=10_000).encode()
        part.set_param("name", encoded)
        part.set_payload(path.read_bytes())
        encoders.encode_base64(part)
        part["Content-Disposition"] = (
            f"attachment; filename=\"{encoded}\"; filename*=utf-8''{quote(path.name)}"
        )
        msg.attach(part)
    return msg


# -- which file goes to which unit -----------------------------------------------------------


def workbook_unit(path: Path) -> str | None:
    """The unit id in a workbook's hidden identity sheet (None when there is none)."""
    from .layout import META_SHEET

    try:
        book = open_book(path.read_bytes())
        try:
            info = book.sheet_info(META_SHEET)
            if info is None:
                return None
            sheet = book.read_sheet(info)
            for (row, col), cell in sheet.cells.items():
                if col == 0 and cell.value == "unit_id":
                    value = sheet.get(row, 1)
                    return str(value.value) if value and value.value is not None else None
        finally:
            book.close()
    except (OSError, ReadError):
        return None
    return None


def pair_units(folder: Path, roster: Roster) -> tuple[list[tuple[Unit, Path]], list[Path]]:
    """(unit, workbook) for each roster unit with a workbook in ``folder``; and files of no unit."""
    by_unit: dict[str, Path] = {}
    strays = []
    for path in sorted(folder.glob("*.xlsx")):
        unit_id = workbook_unit(path)
        if unit_id and roster.get(unit_id) and unit_id not in by_unit:
            by_unit[unit_id] = path
        else:
            strays.append(path)
    return [(u, by_unit[u.unit_id]) for u in roster if u.unit_id in by_unit], strays


# -- sending ----------------------------------------------------------------------------------


@dataclass
class SendLine:
    unit_id: str
    unit_name: str
    email: str
    file: str
    status: str  # sent, failed, skipped, dry-run, already-sent
    detail: str = ""


@dataclass
class SendReport:
    lines: list[SendLine]

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)


class SendLog:
    """Append-only JSON lines: one per message handed to the server (never a password)."""

    def __init__(self, path: Path):
        self.path = path

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash
        return out

    def already_sent(self, round_id: str) -> set[tuple[str, str]]:
        return {
            (e["unit_id"], e["sha256"])
            for e in self.entries()
            if e.get("status") == "sent" and e.get("round_id") == round_id
        }

    def append(self, **entry) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()


def send_workbooks(
    folder: Path,
    roster: Roster,
    template: MailTemplate,
    *,
    round_id: str,
    round_title: str,
    deadline: str,
    sender: tuple[str, str],
    server: Server | None = None,
    dry_run_dir: Path | None = None,
    log: SendLog | None = None,
    resend: Iterable[str] = (),
    only: Iterable[str] = (),
    rate_per_minute: float | None = None,
    max_attachment_bytes: int = 20 * 1024 * 1024,
    progress: Callable[[int], None] | None = None,
    evidence: bool = False,
) -> SendReport:
    """Email each unit its own workbook from ``folder`` (or write .eml files with ``dry_run_dir``).

    ``evidence``: attach the unit's 佐证材料 skeleton .zip beside its workbook too
    (``xlsxflow evidence skeleton``); a unit without one is not sent to (failed, says why)."""
    pairs, _ = pair_units(folder, roster)
    only = set(only)
    if only:
        pairs = [(u, p) for u, p in pairs if u.unit_id in only]
    resend = set(resend)
    done = log.already_sent(round_id) if log and not dry_run_dir else set()
    lines: list[SendLine] = []
    conn: smtplib.SMTP | None = None
    pause = 60.0 / rate_per_minute if rate_per_minute else 0.0
    sent_any = False
    try:
        for unit, path in pairs:
            line = SendLine(unit.unit_id, unit.name, unit.email, path.name, "")
            lines.append(line)
            if progress:
                progress(1)
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            extra: tuple[Path, ...] = ()
            if evidence:
                from .evidence.skeleton import skeleton_name

                archive = path.parent / f"{skeleton_name(unit.unit_id, unit.name)}.zip"
                if not archive.is_file():
                    line.status = "failed"
                    line.detail = (
                        f"没有佐证材料压缩包 {archive.name}（先运行 xlsxflow evidence skeleton）"
                    )
                    continue
                extra = (archive,)
                data += archive.read_bytes()  # both count towards the attachment limit
            if not unit.email:
                line.status, line.detail = "skipped", "名单中没有邮箱"
                continue
            if len(data) > max_attachment_bytes:
                line.status = "failed"
                line.detail = f"附件 {len(data) / 1048576:.1f} MB 超过上限 {max_attachment_bytes / 1048576:.0f} MB"
                continue
            if (unit.unit_id, sha) in done and unit.unit_id not in resend:
                line.status, line.detail = "already-sent", "此前已发送（--resend 可重发）"
                continue
            subject, body = template.render(_fields(unit, path, round_title, deadline))
            msg = compose(sender, unit.email, subject, body, path, extra=extra)
            if dry_run_dir:
                dry_run_dir.mkdir(parents=True, exist_ok=True)
                target = (
                    dry_run_dir / f"{safe_filename(unit.unit_id)}_{safe_filename(unit.name)}.eml"
                )
                atomic_write_bytes(target, msg.as_bytes(), durable=False)
                line.status, line.detail = "dry-run", target.name
                continue
            if sent_any and pause:
                time.sleep(pause)
            try:
                if conn is None:
                    conn = smtp_login(server)
                try:
                    conn.send_message(msg, from_addr=sender[1], to_addrs=[unit.email])
                except smtplib.SMTPServerDisconnected:
                    conn = smtp_login(server)  # one reconnect, then give up on this run
                    conn.send_message(msg, from_addr=sender[1], to_addrs=[unit.email])
            except smtplib.SMTPRecipientsRefused as exc:
                answer = next(iter(exc.recipients.values()), (0, b""))
                line.status, line.detail = (
                    "failed",
                    f"{answer[0]} {answer[1].decode('utf-8', 'replace')}",
                )
                continue
            except (smtplib.SMTPException, OSError) as exc:
                line.status, line.detail = "failed", _server_text(exc)
                conn = None
                if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
                    _stop_after_disconnect(lines, pairs, progress)
                    break
                continue
            except XlsxflowError as exc:
                if not sent_any or exc.issues[0].code == "mail-login-failed":
                    raise  # cannot connect or log in at all: a clear error, nothing to resume
                line.status, line.detail = "failed", exc.issues[0].message
                _stop_after_disconnect(lines, pairs, progress)
                break
            sent_any = True
            line.status = "sent"
            if log:
                log.append(
                    round_id=round_id,
                    unit_id=unit.unit_id,
                    email=unit.email,
                    file=path.name,
                    sha256=sha,
                    message_id=msg["Message-ID"],
                    status="sent",
                    time=datetime.now().astimezone().isoformat(timespec="seconds"),
                )
    finally:
        if conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()
    return SendReport(lines)


def _stop_after_disconnect(lines: list[SendLine], pairs, progress) -> None:
    """The server is gone: the rest are left for the next run (listed, not lost)."""
    for unit, path in pairs[len(lines) :]:
        lines.append(
            SendLine(
                unit.unit_id,
                unit.name,
                unit.email,
                path.name,
                "failed",
                "服务器连接中断，未发送；再次运行 send 会继续",
            )
        )
        if progress:
            progress(1)


def _fields(unit: Unit, path: Path, round_title: str, deadline: str) -> dict[str, str]:
    problems = path.with_suffix(".txt")
    return {
        "unit_name": unit.name,
        "unit_id": unit.unit_id,
        "contact": unit.contact or unit.name,
        "round_title": round_title,
        "deadline": deadline,
        "file_name": path.name,
        "problems": problems.read_text(encoding="utf-8").strip() if problems.exists() else "",
    }


# -- collecting ----------------------------------------------------------------------------------


@dataclass
class CollectReport:
    saved: list[dict] = field(default_factory=list)  # spreadsheet attachments saved
    known: list[dict] = field(default_factory=list)  # already collected before (same content)
    no_attachment: list[dict] = field(default_factory=list)  # messages with nothing attached
    other_attachments: list[dict] = field(
        default_factory=list
    )  # attachments that are not spreadsheets


def _decode(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def attachments_of(msg: email.message.Message) -> list[tuple[str, bytes]]:
    """(file name, content) of every attached file, names decoded however they were encoded."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        if not name and disposition != "attachment":
            continue
        name = _decode(name) if name and "=?" in name else (name or "")
        payload = part.get_payload(decode=True) or b""
        out.append((name or "未命名附件", payload))
    return out


def is_spreadsheet(name: str, data: bytes) -> bool:
    return name.lower().endswith(SPREADSHEET_SUFFIXES) or data.startswith(
        (b"PK\x03\x04", OLE_MAGIC)
    )


def message_info(msg: email.message.Message) -> dict:
    sender_name, sender = parseaddr(_decode(msg.get("From")))
    try:
        when = parsedate_to_datetime(msg.get("Date")).isoformat() if msg.get("Date") else ""
    except (TypeError, ValueError):
        when = ""
    return {
        "from": sender.lower(),
        "from_name": sender_name,
        "date": when,
        "message_id": (msg.get("Message-ID") or "").strip(),
        "subject": _decode(msg.get("Subject")),
    }


def save_attachment(out_dir: Path, name: str, data: bytes, info: dict) -> tuple[Path, bool]:
    """Save under a content-addressed name (never overwriting); return (path, newly saved)."""
    sha = hashlib.sha256(data).hexdigest()
    if out_dir.exists():
        same = (p for p in out_dir.glob(f"{sha[:16]}_*") if not p.name.endswith(MAIL_SUFFIX))
        existing = next(same, None)
        if existing is not None:
            return existing, False
    stem = safe_filename(Path(name).stem, 80)
    kept = (*SPREADSHEET_SUFFIXES, ".zip")  # a .zip: workbooks or a unit's 佐证材料
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in kept else ".xlsx"
    target = out_dir / f"{sha[:16]}_{stem}{suffix}"
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data, durable=False)
    record = {**info, "filename": name, "sha256": sha, "saved_as": target.name}
    atomic_write_bytes(
        Path(str(target) + MAIL_SUFFIX),
        (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
        durable=False,
    )
    return target, True


def collect(
    server: Server,
    out_dir: Path,
    *,
    folder: str = "INBOX",
    since: date | None = None,
    state_path: Path | None = None,
    log_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> CollectReport:
    """Save every spreadsheet attachment of the folder's messages (since a date or the last run)."""
    report = CollectReport()
    state = _load_state(state_path)
    key = f"{server.user}@{server.host}:{server.port}/{folder}"
    conn = imap_login(server)
    try:
        typ, data = conn.select(_imap_quote(folder), readonly=True)
        if typ != "OK":
            raise XlsxflowError(make_issue("mail-folder", folder=folder, detail=_imap_text(data)))
        validity = _uidvalidity(conn)
        last = state.get(key, {})
        criteria = ["ALL"]
        if since:
            criteria = ["SINCE", since.strftime("%d-%b-%Y")]
        elif last.get("uidvalidity") == validity and last.get("last_uid"):
            criteria = ["UID", f"{int(last['last_uid']) + 1}:*"]
        typ, data = conn.uid("SEARCH", None, *criteria)
        uids = [int(u) for u in (data[0] or b"").split()] if typ == "OK" else []
        if criteria[0] == "UID":
            uids = [u for u in uids if u > int(last["last_uid"])]  # "n:*" always matches the newest
        for uid in uids:
            typ, parts = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None) if typ == "OK" else None
            if progress:
                progress(1)
            if raw is None:
                continue
            msg = email.message_from_bytes(raw, policy=policy.compat32)
            info = {**message_info(msg), "uid": uid, "folder": folder}
            files = attachments_of(msg)
            if not files:
                report.no_attachment.append(info)
            for name, content in files:
                if not is_spreadsheet(name, content):
                    report.other_attachments.append(
                        {**info, "filename": name, "size": len(content)}
                    )
                    continue
                path, new = save_attachment(out_dir, name, content, info)
                entry = {**info, "filename": name, "saved_as": path.name}
                (report.saved if new else report.known).append(entry)
        if uids:
            state[key] = {
                "uidvalidity": validity,
                "last_uid": max(uids + [int(last.get("last_uid") or 0)]),
            }
            _save_state(state_path, state)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    if log_path:
        with log_path.open("a", encoding="utf-8") as fh:
            for kind in ("saved", "known", "no_attachment", "other_attachments"):
                for entry in getattr(report, kind):
                    fh.write(json.dumps({"kind": kind, **entry}, ensure_ascii=False) + "\n")
    return report


def _imap_quote(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./-]+", folder):
        return folder
    encoded = _imap_utf7(folder)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_utf7(text: str) -> str:
    """IMAP's modified UTF-7 for folder names such as 收件箱/报送."""
    out, buf = [], []

    def flush():
        if buf:
            import base64

            b64 = (
                base64.b64encode("".join(buf).encode("utf-16-be"))
                .decode()
                .rstrip("=")
                .replace("/", ",")
            )
            out.append("&" + b64 + "-")
            buf.clear()

    for ch in text:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def _uidvalidity(conn: imaplib.IMAP4) -> int:
    typ, data = conn.response("UIDVALIDITY")
    try:
        return int(data[0]) if data and data[0] else 0
    except (TypeError, ValueError):
        return 0


def _imap_text(data) -> str:
    if data and isinstance(data[0], bytes):
        return data[0].decode("utf-8", "replace")
    return str(data)


def _load_state(path: Path | None) -> dict:
    if not path or not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(path: Path | None, state: dict) -> None:
    if path:
        atomic_write_bytes(
            path, (json.dumps(state, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        )


# -- for ingest -----------------------------------------------------------------------------------


def read_mail_record(path: Path) -> dict | None:
    """The ``.mail.json`` saved beside a collected file, if any."""
    record = Path(str(path) + MAIL_SUFFIX)
    if not record.exists():
        return None
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def eml_attachments(data: bytes) -> tuple[dict, list[tuple[str, bytes]]]:
    """Message info and spreadsheet attachments of a saved .eml file."""
    msg = email.message_from_bytes(data, policy=policy.compat32)
    files = [(n, c) for n, c in attachments_of(msg) if is_spreadsheet(n, c)]
    return message_info(msg), files


__all__ = [
    "CollectReport",
    "MailTemplate",
    "SendLog",
    "SendReport",
    "Server",
    "collect",
    "compose",
    "eml_attachments",
    "read_mail_record",
    "send_workbooks",
]
