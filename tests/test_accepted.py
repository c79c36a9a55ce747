"""The ledger of accepted returns: what review generate and review ingest build on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from xlsxflow.accepted import Ledger, return_hash
from xlsxflow.ingest import FileRecord
from xlsxflow.messages import XlsxflowError, render
from xlsxflow.submission import Submission


def _sub(unit: str, score: float, slot: int = 1, note: str = "") -> Submission:
    return Submission(
        unit_id=unit,
        rubric_id="round",
        scores={"i01": score, "i02": None},
        notes={"i01": note} if note else {},
        declarations={"v1": "否"},
        fields={"fill_date": "2026-11-20"},
        not_applicable={"i16"},
        form_id="danwei",
        slot=slot,
        sheet="文明单位",
    )


def _report(round_id: str, *records: FileRecord) -> SimpleNamespace:
    return SimpleNamespace(round_id=round_id, returns_dir="returns", files=list(records))


def _accepted(path: str, *subs: Submission) -> FileRecord:
    return FileRecord(
        path, 10, 0.0, status="accepted", unit_id=subs[0].unit_id, submissions=list(subs)
    )


def test_hash_and_stored_text_are_what_asdict_gave():
    """The ledger's hashes are signed into reviewer workbooks: the faster _plain must give
    the same text, hence the same hash, as dataclasses.asdict did."""
    import hashlib
    import json
    from dataclasses import asdict

    from xlsxflow.accepted import _json

    def before(sub: Submission) -> tuple[str, str]:
        data = {**asdict(sub), "not_applicable": sorted(sub.not_applicable)}
        content = {k: v for k, v in data.items() if k not in ("errors", "lang")}
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        return digest, json.dumps(data, ensure_ascii=False, sort_keys=True)

    odd = _sub("CZJ", 7.5, note="见附件")
    odd.answers = {"f1": "是", "h2": 3.0, "n3": None}
    odd.indicators, odd.cached_totals, odd.errors = {"t1": 0.96}, {"total": 7.5}, 2
    odd.bonus, odd.not_applicable = {"b1": None}, {"i16", "i03"}
    for sub in (_sub("CZJ", 8), _sub("JYJ", 0, slot=2), odd, Submission("U1", "r")):
        assert (return_hash(sub), _json(sub)) == before(sub)


def test_hash_follows_content_only():
    a, b = _sub("CZJ", 8), _sub("CZJ", 8)
    b.errors, b.lang = 3, "en"  # how it was read, not what the unit entered
    assert return_hash(a) == return_hash(b)
    assert len(return_hash(a)) == 16
    assert return_hash(_sub("CZJ", 8, note="见附件")) != return_hash(a)
    assert return_hash(_sub("JYJ", 8)) != return_hash(a)


def test_latest_ingest_wins_and_every_submission_stays(tmp_path):
    ledger = Ledger.open(tmp_path)
    assert ledger.accepted("r1") == {} and ledger.last_ingest("r1") is None
    first, second = _sub("CZJ", 8), _sub("CZJ", 9)
    ledger.record(_report("r1", _accepted("a.xlsx", first), FileRecord("x.xlsx", 1, 0.0)))
    ledger.record(_report("r2", _accepted("other.xlsx", _sub("JYJ", 5))))
    assert ledger.record(_report("r1", _accepted("b.xlsx", second))) == 1
    accepted = ledger.accepted("r1")
    assert list(accepted) == [("CZJ", "danwei", 1)]
    sheet = accepted[("CZJ", "danwei", 1)]
    assert (sheet.file, sheet.hash, sheet.sheet) == ("b.xlsx", return_hash(second), "文明单位")
    assert sheet.submission == second  # round-trips: sets, None, dates as text
    assert ledger.submission(return_hash(first)) == first  # the earlier return is still known
    assert ledger.submission("0" * 16) is None
    assert ledger.last_ingest("r1").returns_dir == "returns"
    assert set(Ledger.open(tmp_path).accepted("r2")) == {("JYJ", "danwei", 1)}


def test_damaged_ledger_is_a_clear_error(tmp_path):
    ledger = Ledger.open(tmp_path)
    ledger.path.parent.mkdir(parents=True)
    ledger.path.write_bytes(b"not a database" * 100)
    with pytest.raises(XlsxflowError) as caught:
        ledger.accepted("r1")
    issue = caught.value.issues[0]
    assert issue.code == "ledger-unreadable"
    assert render("ledger-unreadable", path=str(ledger.path), detail="x").split("：")[0] in str(
        issue.message
    )


def test_snapshot_holds_the_round_only(tmp_path):
    ledger = Ledger.open(tmp_path)
    first, second, other = _sub("CZJ", 8), _sub("CZJ", 9), _sub("JYJ", 5)
    ledger.record(_report("r1", _accepted("a.xlsx", first)))
    ledger.record(_report("r2", _accepted("o.xlsx", other)))
    ledger.record(_report("r1", _accepted("b.xlsx", second)))
    snap = ledger.snapshot("r1")
    assert set(snap.known) == {return_hash(first), return_hash(second)}
    assert snap.submission(return_hash(other)) is None
    assert snap.accepted("r1")[("CZJ", "danwei", 1)].hash == return_hash(second)
    assert snap.accepted("r2") == {}
