"""The signed manifest inside an evidence archive: which unit and round it belongs to.

A plain UTF-8 text file ``xlsxflow-manifest.txt`` at the archive's top, one
``field=value`` line per field of the unit's :class:`~xlsxflow.identity.Identity`
(the same fields its workbook carries) and a last ``signature=`` line, signed with the
office key by ``identity.py``.  Its ``format`` is :data:`EVIDENCE_FORMAT`, so the
signature differs from the workbook's and neither can stand in for the other.  Lines
starting with ``#`` (a note asking the unit to leave the file alone) are ignored.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from ..checks import Where, identity_from_rows
from ..identity import Identity, key_id
from ..messages import Issue, make_issue

if TYPE_CHECKING:
    from ..roster import Unit
    from ..round import RoundContext

MANIFEST = "xlsxflow-manifest.txt"
EVIDENCE_FORMAT = "xlsxflow-evidence-1"
NOTE = "# xlsxflow 佐证材料清单：请勿修改、删除或移动本文件（用于确认报送单位和轮次）。"
# What a workbook's identity check says → the same said of an evidence archive.
_CODES = {
    "identity-signature-missing": "evidence-signature-invalid",
    "identity-signature-invalid": "evidence-signature-invalid",
    "identity-other-round": "evidence-other-round",
    "identity-recorded-round": "evidence-recorded-round",
    "review-recorded-round": "evidence-recorded-round",
    "identity-rubric-mismatch": "evidence-rubric-mismatch",
    "identity-not-review": "evidence-signature-invalid",
    "identity-review-workbook": "evidence-signature-invalid",
}


def unit_identity(ctx: RoundContext, unit: Unit) -> Identity:
    """The identity an evidence archive of ``unit`` in the round of ``ctx`` is signed with."""
    from ..identity import slots_text

    record = ctx.record
    rubric_id, _, version, content_hash = ctx.signed_as
    sheets = slots_text(ctx.round.slots_of(unit.unit_id)) if ctx.round is not None else ""
    return Identity(
        format=EVIDENCE_FORMAT,
        round_id=record.round_id if record else "",
        round_title=ctx.title,
        deadline=record.deadline if record else "",
        rubric_id=rubric_id,
        rubric_version=version,
        rubric_hash=content_hash,
        lang=record.lang if record else "zh",
        unit_id=unit.unit_id,
        unit_name=unit.name,
        generated_at=record.generated_at if record else "",
        key_id=key_id(ctx.key),
        sheets=sheets,
    )


def manifest_text(identity: Identity, key: bytes) -> str:
    """The manifest file's text: the note, every field, the signature (CRLF for Notepad)."""
    lines = [NOTE, *(f"{k}={v}" for k, v in asdict(identity).items())]
    lines.append(f"signature={identity.sign(key)}")
    return "\r\n".join(lines) + "\r\n"


def read_manifest(data: bytes, ctx: RoundContext, file: str) -> tuple[Identity | None, list[Issue]]:
    """The manifest's signed identity checked against the round, or None and why not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [make_issue("evidence-signature-invalid", file=file)]
    rows: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        rows.setdefault(name.strip(), value.strip())
    identity, issues = identity_from_rows(rows, ctx, Where(file), EVIDENCE_FORMAT, [])
    if identity is None:
        last = issues[-1]
        code = _CODES.get(last.code, "evidence-signature-invalid")
        fields = {k: v for k, v in last.fields.items() if k != "sheet"}
        return None, [make_issue(code, file=file, **fields)]
    if ctx.roster.get(identity.unit_id) is None:
        return None, [make_issue("evidence-unknown-unit", file=file, unit_id=identity.unit_id)]
    return identity, issues
