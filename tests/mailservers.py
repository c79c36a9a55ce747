"""Real mail servers on this machine for the tests: aiosmtpd (SMTP) and Dovecot (IMAP).

Both listen on 127.0.0.1 only, with a self-signed certificate the tests trust
through ``cafile``.  Nothing here mocks the mail library: xlsxflow talks to them
with smtplib and imaplib as it would to an office's servers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1 (cert.pem doubles as the CA file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


# -- SMTP ---------------------------------------------------------------------------------------


@dataclass
class Recorder:
    """The SMTP handler: keeps every message; can drop connections after N messages."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    drop_after: int | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            session.transport.close()  # the server goes away mid-run
            return "421 closing"
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK"


class SmtpServer:
    """aiosmtpd with STARTTLS required and AUTH (user / password)."""

    def __init__(
        self, cert: Path, key: Path, user: str, password: str, *, implicit_tls: bool = False
    ):
        import ssl

        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.recorder = Recorder()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticator(server, session, envelope, mechanism, auth_data):
            from aiosmtpd.smtp import AuthResult

            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        if (
            implicit_tls
        ):  # aiosmtpd does not count implicit TLS for auth_require_tls; it is TLS anyway
            tls = {"ssl_context": context, "auth_require_tls": False}
        else:
            tls = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        self.controller = Controller(
            self.recorder,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            server_hostname="localhost",
            **tls,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# -- IMAP ---------------------------------------------------------------------------------------


class Dovecot:
    """A private Dovecot instance: IMAPS on a free port, users from a passwd file, Maildir storage."""

    def __init__(self, cert: Path, key: Path, users: dict[str, str]):
        import tempfile

        # Its own folder that Dovecot's unprivileged users can enter (pytest's are private).
        base = self.base = Path(tempfile.mkdtemp(prefix="xlsxflow-dovecot-"))
        base.chmod(0o755)
        self.port = free_port()
        tls = base / "tls"
        tls.mkdir()
        cert, key = (
            Path(shutil.copy(cert, tls / "cert.pem")),
            Path(shutil.copy(key, tls / "key.pem")),
        )
        if os.geteuid() == 0:  # Dovecot refuses uid 0 for mail: use nobody
            uid, gid = 65534, 65534
            login_user, internal_user = "dovenull", "dovecot"
        else:
            uid, gid = os.getuid(), os.getgid()
            login_user = internal_user = pwd.getpwuid(uid).pw_name
        home = base / "home"
        home.mkdir(exist_ok=True)
        for name in users:
            (home / name).mkdir(exist_ok=True)
        passwd = base / "passwd"
        passwd.write_text(
            "".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in users.items()), encoding="utf-8"
        )
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", f"{uid}:{gid}", str(home)], check=True)
        dh = Path("/usr/share/dovecot/dh.pem")
        conf = base / "dovecot.conf"
        conf.write_text(
            f"""
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
{"ssl_dh = <" + str(dh) if dh.exists() else ""}
auth_mechanisms = plain login
disable_plaintext_auth = yes
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""",
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(self.port)
        except RuntimeError:
            self.stop()
            log = (
                (base / "dovecot.log").read_text(errors="replace")
                if (base / "dovecot.log").exists()
                else ""
            )
            raise RuntimeError(f"dovecot did not start: {log[-2000:]}") from None

    def append(
        self, user: str, password: str, raw: bytes, cafile: Path, folder: str = "INBOX"
    ) -> None:
        import imaplib
        import ssl

        conn = imaplib.IMAP4_SSL(
            "127.0.0.1", self.port, ssl_context=ssl.create_default_context(cafile=str(cafile))
        )
        conn.login(user, password)
        typ, data = conn.append(folder, None, None, raw)
        assert typ == "OK", data
        conn.logout()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.base, ignore_errors=True)
