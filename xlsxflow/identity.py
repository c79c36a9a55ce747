"""The signed identity hidden in every unit workbook, and the office's secret key.

The key is 32 random bytes kept outside the workbooks, by default in
``~/.config/xlsxflow/secret.key`` (``%APPDATA%\\xlsxflow\\secret.key`` on
Windows); ``XLSXFLOW_KEY_FILE`` or ``--key`` point elsewhere.  It is created on
first use with owner-only permissions.  Whoever holds it can make workbooks that
ingest accepts, so keep it like a password and back it up: without it the
returns of a round cannot be verified.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .atomic import atomic_write_bytes
from .messages import XlsxflowError, make_issue

FORMAT = "xlsxflow-1"
KEY_ENV = "XLSXFLOW_KEY_FILE"


def default_key_path() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "xlsxflow" / "secret.key"
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "xlsxflow" / "secret.key"


def load_key(path: Path | None = None, *, create: bool = False) -> bytes:
    """Read the office key; with ``create``, make one if there is none yet."""
    path = Path(path) if path else default_key_path()
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            raise XlsxflowError(
                make_issue(
                    "key-unreadable",
                    file=str(path),
                    detail="密钥文件不存在。请使用生成工作簿时的同一台电脑和密钥（--key）。",
                )
            ) from None
        text = secrets.token_hex(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, (text + "\n").encode("ascii"), mode=0o600)
    except UnicodeDecodeError:  # raw bytes: the key is written as hexadecimal text
        text = ""
    except OSError as exc:
        raise XlsxflowError(make_issue("key-unreadable", file=str(path), detail=exc)) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise XlsxflowError(
            make_issue(
                "key-unreadable", file=str(path), detail="内容不是有效的密钥（应为十六进制文本）"
            )
        )
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, stored in workbooks to tell keys apart."""
    return hashlib.sha256(b"xlsxflow key id\0" + key).hexdigest()[:12]


def protection_password(key: bytes) -> str:
    """Sheet-protection password: not security (the hash is weak), just a speed bump."""
    return hmac.new(key, b"sheet protection", hashlib.sha256).hexdigest()[:10]


def slots_text(slots: dict[str, int]) -> str:
    """A round workbook's forms and slot counts as signed: ``danwei=1;chuangkou=2``."""
    return ";".join(f"{form}={count}" for form, count in slots.items())


@dataclass(frozen=True)
class Identity:
    """What ties a workbook to its round, rubric and unit. Field order is the signed order."""

    format: str
    round_id: str
    round_title: str
    deadline: str
    rubric_id: str
    rubric_version: str
    rubric_hash: str
    lang: str
    unit_id: str
    unit_name: str
    generated_at: str
    key_id: str
    sheets: str = ""  # a round workbook's forms and slots: "danwei=1;chuangkou=2" (signed)

    def slots(self) -> dict[str, int]:
        """The forms and slot counts this workbook was made with ({} for a single rubric).

        The inverse of :func:`slots_text`.
        """
        out = {}
        for part in filter(None, self.sheets.split(";")):
            form, _, count = part.partition("=")
            out[form] = int(count) if count.isdigit() else 0
        return out

    def payload(self) -> bytes:
        """The signed text: ``name=value`` lines in field order (what ``asdict`` gives,
        read straight off the fields: every field is a string)."""
        return "\n".join([f"{k}={getattr(self, k)}" for k in _FIELD_NAMES]).encode("utf-8")

    def sign(self, key: bytes) -> str:
        return hmac.new(key, self.payload(), hashlib.sha256).hexdigest()

    def verify(self, signature: str, key: bytes) -> bool:
        return hmac.compare_digest(self.sign(key), signature.strip().lower())

    def rows(self, key: bytes) -> list[tuple[str, str]]:
        """Key/value rows for the hidden sheet, signature last."""
        return [*asdict(self).items(), ("signature", self.sign(key))]

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


_FIELD_NAMES = tuple(Identity.field_names())
