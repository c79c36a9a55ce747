"""Keep returned evidence under the office's evidence folder, content-addressed.

Layout (default: ``evidence/`` beside the summary)::

    evidence/
      index.json                              which archive is each unit's current one
      <编号>_<单位>/<archive SHA-256, 16 hex>/  one folder per archive received, never rewritten
        01 领导班子建设/01 班子团结…/01 会议记录.pdf   the office's own folder names

A folder is named by the SHA-256 of the archive it holds, so the same archive read
again lands on the folder already there (nothing is written), and a resubmitted,
different archive gets a folder of its own beside the earlier one, which stays.  Each
folder is written beside its place and renamed in (a reader never sees half of it).
The item folders carry the names xlsxflow made (:mod:`.tree`), never the unit's:
only the documents' own names come from the return, made safe for every system.
``index.json`` names each unit's current archive (the newest received) and how many
documents each of its folders holds; the review workbooks read it.
"""

from __future__ import annotations

import json
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import StagedDir, atomic_write_bytes
from ..messages import Issue, make_issue
from ..writer import safe_filename
from .reading import EvidenceReturn
from .skeleton import skeleton_name

INDEX = "index.json"
DIGEST_CHARS = 16
# A document's (or a unit's subfolder's) name is kept to this many characters: with the
# folders of tree.py it keeps a stored path within Windows' 260 (a choice; seeds silent).
NAME_CHARS = 80


def unit_dir_name(unit_id: str, unit_name: str) -> str:
    """``<编号>_<单位>``, without the characters a hyperlink would misread."""
    name = skeleton_name(unit_id, unit_name).removesuffix("_佐证材料")
    return name.replace("#", "＃").replace("%", "％")


@dataclass
class StoredUnit:
    """A unit's current evidence as stored: its folder and the documents per folder."""

    unit_id: str
    folder: str  # below the evidence folder, forward slashes
    counts: dict[str, int]  # item folder path → documents kept there
    archive: str  # the archive's path in the returns folder
    items: dict[str, str] = field(default_factory=dict)  # "<sheet>|<item id>" → folder path


def current_evidence(records, roster=None) -> dict[str, EvidenceReturn]:
    """Each unit's newest evidence archive that was read (not rejected)."""
    out: dict[str, tuple[float, str, EvidenceReturn]] = {}
    for rec in records:
        ev = getattr(rec, "evidence", None)
        if ev is None or rec.status == "rejected" or not ev.unit_id:
            continue
        key = (rec.received, rec.path)
        if ev.unit_id not in out or key > out[ev.unit_id][:2]:
            out[ev.unit_id] = (*key, ev)
    return {uid: entry[2] for uid, entry in out.items()}


def store_evidence(report, roster, evidence_dir: str | Path, link_from: str | Path) -> list[Issue]:
    """Store every evidence archive ingest read into ``evidence_dir``; set where each went
    and the link base as seen from the folder ``link_from`` (the summary's)."""
    evidence_dir = Path(evidence_dir)
    issues: list[Issue] = []
    names = {u.unit_id: u.name for u in roster}
    base = Path(os.path.relpath(os.path.abspath(evidence_dir), os.path.abspath(link_from)))
    for rec in report.files:
        ev = getattr(rec, "evidence", None)
        if ev is None or rec.status == "rejected" or not ev.unit_id:
            continue
        unit = unit_dir_name(ev.unit_id, names.get(ev.unit_id, ""))
        ev.stored_at = f"{unit}/{ev.sha256[:DIGEST_CHARS]}"
        ev.link_base = base.as_posix()
        target = evidence_dir / unit / ev.sha256[:DIGEST_CHARS]
        kept = [d for d in ev.documents if d.stored]
        if not target.exists():
            _write(target, kept, [f.path for f in ev.folders])
            issues.append(make_issue("evidence-stored", path=str(target), count=len(kept)))
        for d in ev.documents:
            d.data = b""  # stored: no need to hold it any longer
    _write_index(evidence_dir, report, names)
    return issues


def _write(target: Path, documents, folders: list[str]) -> None:
    """The archive's folder: every item folder (empty ones too: a link opens them), the
    documents in theirs."""
    stage = StagedDir(target)
    try:
        taken: set[str] = set()
        for d in documents:
            rest = "/".join(safe_filename(p, NAME_CHARS) for p in d.rest.split("/"))
            path = posixpath.join(d.folder, rest)
            stem, dot, ext = path.rpartition(".")
            n = 1
            while path.lower() in taken:  # two names made alike by the cleaning
                n += 1
                path = f"{stem}（{n}）{dot}{ext}" if dot else f"{path}（{n}）"
            taken.add(path.lower())
            out = stage.path / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(d.data)
        for folder in folders:
            (stage.path / folder).mkdir(parents=True, exist_ok=True)
        stage.commit()
    finally:
        stage.discard()


def _write_index(evidence_dir: Path, report, names: dict[str, str]) -> None:
    """index.json: each unit's current archive and its documents per folder."""
    path = evidence_dir / INDEX
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    if not isinstance(index, dict) or index.get("round_id") != report.round_id:
        index = {}  # another round's evidence: not this round's current archives
    units = index.setdefault("units", {})
    for uid, ev in current_evidence(report.files).items():
        units[uid] = {
            "folder": ev.stored_at,
            "archive": ev.path,
            "sha256": ev.sha256,
            "counts": {f.path: ev.count(f) for f in ev.folders if f.is_item},
            "items": {f"{f.sheet}|{f.item}": f.path for f in ev.folders if f.is_item},
        }
    index["round_id"] = report.round_id
    data = json.dumps(index, ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(path, data.encode("utf-8"))


def read_index(evidence_dir: str | Path) -> dict[str, StoredUnit]:
    """The stored units of ``evidence_dir`` ({} when there is no index)."""
    try:
        data = json.loads((Path(evidence_dir) / INDEX).read_text(encoding="utf-8"))
        units = data.get("units", {})
        return {
            uid: StoredUnit(
                uid,
                str(u["folder"]),
                dict(u.get("counts", {})),
                str(u["archive"]),
                dict(u.get("items", {})),
            )
            for uid, u in units.items()
            if isinstance(u, dict) and "folder" in u
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def store_beside_summary(
    report, roster, summary: str | Path, evidence_dir: str | Path | None = None
) -> tuple[Path | None, list[Issue]]:
    """Store the evidence ingest read into ``evidence_dir`` (default: ``evidence/`` beside
    the summary), linked from the summary's folder; (None, []) when there was none."""
    if not any(getattr(f, "evidence", None) is not None for f in report.files):
        return None, []
    folder = Path(summary).parent
    target = Path(evidence_dir) if evidence_dir else folder / "evidence"
    return target, store_evidence(report, roster, target, folder)
