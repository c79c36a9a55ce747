"""Ingest reads evidence archives: recognised, read safely, tied to a unit, checked.

A ``.zip`` in the returns folder (or attached to a saved message) is an evidence
archive, not an archive of workbooks, when it holds the signed manifest
(:data:`~.manifest.MANIFEST`, at its top or in its one top folder), or when its files
lie two numbered folders deep like the skeleton's ("01 领导班子建设/02 …/x.pdf"; a batch
of workbooks in "01 第一批/" is still an archive of workbooks).  Its members were
read by ``archives.py`` within the returned-file limits (traversal, absolute paths,
links, encryption, nesting, size and ratio, GBK names); nothing is extracted here —
only :mod:`.store` writes, and only below the office's evidence folder.

It belongs to a unit by its manifest's signature (checked like a workbook's identity:
another round, an unknown unit or a forged manifest is rejected), or, with no manifest,
by the unit's accepted signed workbook in the same message or folder (one unit only).
Then each document is placed in its item folder by the folders' numbers, and checked:
the name "NN 主题", an allowed kind (:mod:`.kinds`), not empty; the same document in two
items is listed; an item with a self-score above zero and no document is a warning
(an error when the rubric says ``evidence_required``).

The archive's file record keeps the status ``skipped`` when read (it is not a
workbook: it neither returns a form nor counts as one) with the note
``evidence-received``; ``rejected`` when it cannot be tied or is not genuine, like a
workbook.  What it holds is in ``record.evidence`` (:class:`EvidenceReturn`).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..archives import Member
from ..messages import Severity, make_issue
from .kinds import allowed, suffix_of, well_named
from .manifest import MANIFEST, read_manifest
from .skeleton import README
from .tree import Folder, folder_number, unit_folders

if TYPE_CHECKING:
    from ..ingest import FileRecord
    from ..round import RoundContext

_NUMBERED = re.compile(r"^\d{2}\s")
_IGNORED = {"thumbs.db", "desktop.ini", ".ds_store"}
HOW = {
    "manifest": "清单签名",
    "message": "同一邮件中的本单位工作簿",
    "folder": "同一文件夹中的本单位工作簿",
}


@dataclass
class Document:
    """One file of a returned archive, placed in an item folder (or not)."""

    member: str  # its name inside the archive
    folder: str  # the office's folder path it belongs to ("" when outside every item)
    rest: str  # below the item folder: subfolders the unit made and the file's name
    size: int
    sha256: str
    data: bytes = field(default=b"", repr=False)  # dropped once stored
    stored: bool = True  # False: reported, not kept (wrong kind, empty)

    @property
    def name(self) -> str:
        return posixpath.basename(self.member)


@dataclass
class EvidenceReturn:
    """An evidence archive as read: whose, how tied, its documents; where stored."""

    path: str  # the archive's path in the returns folder
    sha256: str
    unit_id: str = ""
    how: str = ""  # manifest, message, folder
    root: str = ""  # the folder inside the archive holding the numbered folders
    documents: list[Document] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)  # the unit's item folders
    stored_at: str = ""  # below the evidence folder, once stored (store.py)
    link_base: str = ""  # the evidence folder as a summary beside it reaches it
    members: list[Member] = field(default_factory=list, repr=False)  # until placed

    def count(self, folder: Folder) -> int:
        """Documents kept in ``folder`` (an item's) or below it (a section's, a sheet's)."""
        return sum(
            1
            for d in self.documents
            if d.stored and (d.folder == folder.path or d.folder.startswith(folder.path + "/"))
        )

    def to_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "tied_by": self.how,
            "stored_at": self.stored_at,
            "documents": [
                {"member": d.member, "folder": d.folder, "size": d.size, "sha256": d.sha256}
                for d in self.documents
                if d.stored
            ],
        }


def manifest_member(members: list[Member]) -> Member | None:
    """The manifest at the archive's top or in its one top folder."""
    for m in members:
        if m.problem is None and posixpath.basename(m.name) == MANIFEST and m.name.count("/") <= 1:
            return m
    return None


def is_evidence(members: list[Member]) -> bool:
    """A manifest inside, or files two numbered folders deep as in the skeleton
    ("01 领导班子建设/02 …/x.pdf"; an archive of returns in "01 第一批/" stays one)."""
    if manifest_member(members) is not None:
        return True
    return any(_numbered_depth(m.name.split("/")[:-1]) >= 2 for m in members)


def _numbered_depth(folders: list[str]) -> int:
    """The longest run of consecutive numbered folders."""
    best = run = 0
    for part in folders:
        run = run + 1 if _NUMBERED.match(part) else 0
        best = max(best, run)
    return best


def open_evidence(
    record: FileRecord, members: list[Member], ctx: RoundContext, data_sha: str
) -> FileRecord:
    """The archive's record: tied by its manifest (checked), else left for its workbook."""
    from ..ingest import _reject

    ev = EvidenceReturn(record.path, data_sha)
    record.evidence = ev
    manifest = manifest_member(members)
    if manifest is not None:
        identity, issues = read_manifest(manifest.data, ctx, f"{record.path}/{manifest.name}")
        record.issues.extend(i for i in issues if i.severity != Severity.ERROR)
        if identity is None:
            record.unit_id = _claimed_unit(manifest.data, ctx)
            if record.unit_id:
                record.tied_by = "identity"
            return _reject(record, issues[-1])
        ev.unit_id, ev.how, ev.root = identity.unit_id, "manifest", posixpath.dirname(manifest.name)
    else:
        ev.root = _common_top(members)
    ev.members = members  # placed once the unit is known (tie_evidence)
    record.status = "skipped"
    return record


def tie_evidence(records: list[FileRecord], ctx: RoundContext) -> None:
    """Archives without a manifest: the unit whose accepted workbook is in the same
    message (or, on disk, the same folder), when it is one unit; else rejected.  Then
    every tied archive's documents are placed and checked."""
    from ..ingest import _check_sender, _reject

    for rec in records:
        ev = getattr(rec, "evidence", None)
        if ev is None or rec.status == "rejected":
            continue
        if not ev.unit_id:
            units, how = _neighbours(rec, records)
            if len(units) != 1:
                _reject(rec, make_issue("evidence-untied", file=rec.path))
                continue
            ev.unit_id, ev.how = units.pop(), how
        rec.unit_id, rec.tied_by = ev.unit_id, "signature" if ev.how == "manifest" else "identity"
        rec.issues.extend(_check_sender(rec, ctx))  # one unit's archive from another's address
        _place(rec, ev, ev.members, ctx)
        ev.members = []
        unit = ctx.roster.get(ev.unit_id)
        rec.issues.insert(
            0,
            make_issue(
                "evidence-received",
                file=rec.path,
                unit=f"{ev.unit_id} {unit.name if unit else ''}".strip(),
                count=sum(d.stored for d in ev.documents),
                how=HOW[ev.how],
            ),
        )
        rec.reason = rec.issues[0].message


def check_evidence(records: list[FileRecord], ctx: RoundContext) -> None:
    """Each item scored above zero in the unit's accepted return needs a document."""
    accepted = {r.unit_id: r for r in records if r.status == "accepted" and r.submissions}
    for rec in records:
        ev = getattr(rec, "evidence", None)
        if ev is None or rec.status == "rejected" or ev.unit_id not in accepted:
            continue
        subs = {s.sheet: s for s in accepted[ev.unit_id].submissions}
        for folder in ev.folders:
            if not folder.is_item or folder.sheet not in subs:
                continue
            sub = subs[folder.sheet]
            score = (sub.bonus if folder.bonus else sub.scores).get(folder.item)
            if not isinstance(score, int | float) or score <= 0 or ev.count(folder):
                continue
            rubric = _rubric_of(ctx, sub)
            code = (
                "evidence-missing-required"
                if rubric is not None and rubric.evidence_required
                else "evidence-missing"
            )
            rec.issues.append(
                make_issue(
                    code,
                    file=rec.path,
                    item=f"{folder.sheet + ' · ' if folder.sheet else ''}{folder.label}",
                    score=f"{score:g}",
                    folder=folder.path,
                )
            )


def _rubric_of(ctx: RoundContext, sub):
    if ctx.round is None:
        return ctx.rubric
    try:
        return ctx.round.sheet_rubric(sub.form_id)
    except (KeyError, ValueError):
        return None


def _place(rec: FileRecord, ev: EvidenceReturn, members: list[Member], ctx: RoundContext) -> None:
    """Every member: a document in its item folder, or an issue saying why not."""
    ev.folders = unit_folders(ctx, ev.unit_id)
    by_numbers = {f.numbers: f for f in ev.folders}
    prefix = f"{ev.root}/" if ev.root else ""
    seen: dict[str, list[str]] = {}
    for m in members:
        where = f"{rec.path}/{m.name}"
        if m.problem is not None:
            code, fields = m.problem
            rec.issues.append(make_issue(code, file=where, **fields))
            continue
        inner = m.name[len(prefix) :] if m.name.startswith(prefix) else m.name
        base = posixpath.basename(inner)
        if inner in (MANIFEST, README) or base.lower() in _IGNORED or _hidden(inner):
            continue
        parts = inner.split("/")
        folder, depth = None, 0
        for n in range(len(parts) - 1, 0, -1):  # the deepest numbered folder that is ours
            numbers = [folder_number(p) for p in parts[:n]]
            if None not in numbers and (f := by_numbers.get("/".join(map(str, numbers)))):
                folder, depth = f, n
                break
        doc = Document(
            member=m.name,
            folder=folder.path if folder is not None and folder.is_item else "",
            rest="/".join(parts[depth:]),
            size=len(m.data),
            sha256=hashlib.sha256(m.data).hexdigest(),
            data=m.data,
        )
        if not doc.folder:
            rec.issues.append(make_issue("evidence-outside-folder", file=where, name=inner))
            doc.stored = False
        elif not m.data:
            rec.issues.append(make_issue("evidence-empty-file", file=where, name=base))
            doc.stored = False
        elif not allowed(base):
            rec.issues.append(
                make_issue("evidence-bad-type", file=where, name=base, suffix=suffix_of(base))
            )
            doc.stored = False
        elif not well_named(base):
            rec.issues.append(make_issue("evidence-bad-name", file=where, name=base))
        if doc.stored:
            seen.setdefault(doc.sha256, []).append(f"{doc.folder}/{doc.rest}")
        ev.documents.append(doc)
    for places in seen.values():
        folders = {posixpath.dirname(p) for p in places}
        if len(folders) > 1:
            shown = "；".join(places[:4]) + (f" 等 {len(places)} 处" if len(places) > 4 else "")
            rec.issues.append(make_issue("evidence-duplicate", file=rec.path, places=shown))


def _hidden(name: str) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in name.split("/"))


def _common_top(members: list[Member]) -> str:
    """The one top folder every member lies in ("" when there is none)."""
    tops = {m.name.split("/")[0] for m in members if "/" in m.name}
    flat = any("/" not in m.name for m in members)
    if len(tops) == 1 and not flat and not _NUMBERED.match(next(iter(tops))):
        return tops.pop()
    return ""


def _neighbours(rec: FileRecord, records: list[FileRecord]) -> tuple[set[str], str]:
    """Units with an accepted workbook in the same message (or folder) as ``rec``: a saved
    .eml holding both, or files ``xlsxflow collect`` saved from one message (same id)."""
    message_id = (rec.mail or {}).get("message_id")
    if message_id:
        units = {
            r.unit_id
            for r in records
            if r.status == "accepted"
            and r.evidence is None
            and (r.mail or {}).get("message_id") == message_id
        }
        if units:
            return units, "message"
    container = posixpath.dirname(rec.path)
    in_message = any(
        r.path == container and r.mail is not None for r in records
    ) or container.lower().endswith(".eml")
    units = {
        r.unit_id
        for r in records
        if r.status == "accepted" and r.evidence is None and posixpath.dirname(r.path) == container
    }
    return units, "message" if in_message else "folder"


def _claimed_unit(data: bytes, ctx: RoundContext) -> str:
    """The unit id a (rejected) manifest names, when it is a roster unit."""
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith("unit_id="):
            uid = line.partition("=")[2].strip()
            return uid if ctx.roster.get(uid) is not None else ""
    return ""
