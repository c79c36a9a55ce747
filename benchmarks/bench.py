"""Speed and memory of generate and ingest, side by side with a naive baseline.

Run by hand (not a test):  python benchmarks/bench.py            # N = 1000, 10000 ballots
                           python benchmarks/bench.py -n 10000
                           python benchmarks/bench.py --only units,ballots --ballots 2000
                           python benchmarks/bench.py --only reingest   # 10,000 re-ingested

Each phase runs in its own process so its peak memory (max RSS) is its own:
  generate   xlsxflow writes N locked, signed workbooks
  fill       (setup) N returns are made as a spreadsheet program would save them:
             inputs filled and the formula results cached
  naive      a pandas.read_excel loop over the same N files reading the same cells, no checks
  ingest-0w  xlsxflow ingest with every check (identity, tampering, values, totals, duplicates),
             files read in this process
  ingest-1w  the same, each file read in one isolated worker (time and memory limits)
  ingest     the same with the default isolation (one worker per core)
  summary    the reviewers' summary workbook and report.json
  calamine   python-calamine reading the 自评表 values only (issue #16's comparison; skipped
             with a note when python-calamine is not installed: never a dependency)
  lxml       every XML part of every return parsed by lxml, nothing checked (idem)
  unzip      every part of every return inflated by zlib, nothing parsed: the floor
  unzip-zipfile  the same through zipfile (the floor as first measured)
  ingest-reg the first ingest with the register (every file read and remembered)
  re-ingest  incremental re-ingest (issue #13): the same N unchanged returns again with the
             register: every file reused, none read; target <= 1 s for 10,000 returns
reingest (--only reingest, --reingest N, default 10,000): the same setup in a folder of its own
  (generate, fill, ingest-reg), then re-ingest --repeat times (default 3), then once more as
  `xlsxflow ingest` does it: reading, the summary workbook and report.json, the ledger
  review-*   the review of a round file's form: N units, each scored by the 3 reviewers
             of its 测评组 (40 units a group): setup (round, ledger), generate the
             reviewer workbooks, fill them as a spreadsheet program saves them (setup),
             review ingest in process (0w) and with the default isolation; ms per sheet
  ballots-*  民主测评 (issue #12): --ballots N ballots = N / 50 branches of 50 members, each
             member rating every member of the branch on the 10-item 测评表: setup (round
             recorded), generate the ballots, fill them as a spreadsheet program saves them
             (setup), ingest in process (0w) and with the default isolation, count and write
             the 测评汇总; ms per ballot beside the unit ingest's ms per return
Targets (issue #2): generate >= 150 workbooks/s; ingest >= 3x the naive loop.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from io import BytesIO
from pathlib import Path

RUBRIC = "wenming-danwei"


def phase_generate(work: Path, n: int) -> dict:
    from xlsxflow.round import generate

    roster = work / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["单位编号", "单位名称", "邮箱"])
        for i in range(n):
            w.writerow([f"U{i:05d}", f"测试单位{i:05d}", f"u{i}@example.org"])
    started, cpu = time.perf_counter(), time.process_time()
    result = generate(
        RUBRIC,
        roster,
        work / "workbooks",
        workdir=work,
        key_path=work / "key",
        deadline="2026-12-31",
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"files": len(result.files), "seconds": seconds, "cpu_seconds": cpu}


# What a unit takes off an item's full marks: mostly nothing, as in real self-assessments.
DEDUCTIONS = (0, 0, 0, 0, 0.5, 0.5, 1, 2)


def phase_fill(work: Path, n: int) -> dict:
    """Returns as Excel would save them: values in the inputs, totals cached."""
    from xlsxflow.layout import build_layout
    from xlsxflow.rubric import load_rubric
    from xlsxflow.scoring import compute_totals
    from xlsxflow.submission import Submission

    rubric = load_rubric(RUBRIC)
    layout = build_layout(rubric)
    out = work / "returns"
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    for i, path in enumerate(sorted((work / "workbooks").glob("*.xlsx"))):
        values = {}
        sub = Submission("", rubric.id)
        rng = random.Random(i)  # each unit its own scores and name: no two returns alike
        for inp in layout.inputs:
            if inp.kind == "score":
                v = max(inp.max - rng.choice(DEDUCTIONS), 0)
                values[inp.ref] = ("n", v)
                sub.scores[inp.key] = v
            elif inp.kind == "bonus":
                values[inp.ref] = ("n", 0)
            elif inp.kind == "declaration":
                values[inp.ref] = ("s", "否")
            elif inp.kind == "field":
                text = f"2026-12-{1 + i % 28:02d}" if inp.field_type == "date" else f"张{i:05d}"
                values[inp.ref] = ("s", text)
        totals = compute_totals(rubric, sub)
        for total in layout.totals:
            values[total.ref] = ("f", totals[total.key])
        (out / path.name).write_bytes(_fill_xml(path.read_bytes(), values))
    return {"files": n, "seconds": time.perf_counter() - started}


def _fill_xml(data: bytes, values: dict) -> bytes:
    return _fill_sheets(data, {"xl/worksheets/sheet1.xml": values})


def _fill_sheets(data: bytes, by_part: dict[str, dict]) -> bytes:
    """Inputs typed and totals cached, sheet part by sheet part: {part: {ref: (kind, v)}}."""
    buf = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(data)) as zin,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            body = zin.read(info)
            values = by_part.get(info.filename)
            if values:
                text = body.decode()

                def cell(m, values=values):
                    ref, style = m.group(1), m.group(2)
                    if ref not in values:
                        return m.group(0)
                    kind, v = values[ref]
                    if kind == "n":
                        return f'<c r="{ref}"{style}><v>{v:g}</v></c>'
                    if kind == "s":
                        return f'<c r="{ref}"{style} t="inlineStr"><is><t>{v}</t></is></c>'
                    return m.group(0)

                text = re.sub(r'<c r="([A-Z]+\d+)"( s="\d+")?/>', cell, text)
                for ref, (kind, v) in values.items():
                    if kind == "f":
                        text = re.sub(
                            rf'(<c r="{ref}"[^>]*><f>[^<]*</f><v>)[^<]*(</v>)',
                            rf"\g<1>{v:g}\2",
                            text,
                        )
                body = text.encode()
            zout.writestr(info, body)
    return buf.getvalue()


def phase_naive(work: Path, n: int) -> dict:
    import pandas as pd

    from xlsxflow.layout import build_layout
    from xlsxflow.rubric import load_rubric

    layout = build_layout(load_rubric(RUBRIC))
    cells = [(i.row, i.col) for i in layout.inputs]
    started = time.perf_counter()
    rows = 0
    for path in sorted((work / "returns").glob("*.xlsx")):
        frame = pd.read_excel(path, sheet_name="自评表", header=None)
        values = [
            frame.iat[r, c] if r < frame.shape[0] and c < frame.shape[1] else None for r, c in cells
        ]
        rows += len(values)
    return {"files": n, "seconds": time.perf_counter() - started}


def _returns(work: Path) -> list[Path]:
    return sorted((work / "returns").glob("*.xlsx"))


def _missing(module: str, package: str) -> dict | None:
    """A comparison loop whose library is not installed: skipped, with a note (the
    comparison libraries are the benchmark's own, never xlsxflow's dependencies)."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        return {"skipped": f"{package} is not installed (pip install {package})"}
    return None


def phase_calamine(work: Path, n: int) -> dict:
    """python-calamine (Rust) reading the values of the 自评表 sheet, no checks."""
    if skipped := _missing("python_calamine", "python-calamine"):
        return skipped
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    cells = 0
    for path in _returns(work):
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("自评表").to_python()
        cells += sum(len(row) for row in rows)
    return {"files": n, "seconds": time.perf_counter() - started, "cells": cells}


def phase_lxml(work: Path, n: int) -> dict:
    """Every XML part of every return parsed by lxml in C (no DTD, no entities, no
    network, no huge trees), nothing looked at: the cost of parsing alone."""
    if skipped := _missing("lxml", "lxml"):
        return skipped
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    started = time.perf_counter()
    parts = 0
    for path in _returns(work):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    etree.fromstring(zf.read(info), parser)
                    parts += 1
    return {"files": n, "seconds": time.perf_counter() - started, "parts": parts}


def phase_unzip(work: Path, n: int) -> dict:
    """The floor: every part of every return read and inflated, nothing parsed: each file
    read once, its central directory walked with struct, every entry inflated by zlib
    (nothing remembered between files, no CRC)."""
    import struct
    import zlib

    started = time.perf_counter()
    size = 0
    for path in _returns(work):
        data = path.read_bytes()
        count, _, directory = struct.unpack_from("<HLL", data, len(data) - 12)  # no comment
        at = directory
        for _ in range(count):
            csize, _, name_len, extra_len, comment_len = struct.unpack_from("<LLHHH", data, at + 20)
            (offset,) = struct.unpack_from("<L", data, at + 42)
            at += 46 + name_len + extra_len + comment_len
            local_name, local_extra = struct.unpack_from("<HH", data, offset + 26)
            begin = offset + 30 + local_name + local_extra
            size += len(zlib.decompress(data[begin : begin + csize], -15))
    return {"files": n, "seconds": time.perf_counter() - started, "bytes": size}


def phase_unzip_zipfile(work: Path, n: int) -> dict:
    """The same with zipfile (ZipFile on the path, read every entry): the floor as first
    measured, before the reader had a zip layer of its own."""
    started = time.perf_counter()
    size = 0
    for path in _returns(work):
        with zipfile.ZipFile(path) as zf:
            size += sum(len(zf.read(info)) for info in zf.infolist())
    return {"files": n, "seconds": time.perf_counter() - started, "bytes": size}


def phase_ingest(work: Path, n: int, workers: int | None = None) -> dict:
    from xlsxflow.ingest import ingest
    from xlsxflow.round import open_round

    ctx = open_round(workdir=work, key_path=work / "key")
    kwargs = {}
    if workers is not None:
        from xlsxflow.isolation import Isolation

        kwargs["isolation"] = Isolation(workers=workers)
    started, cpu = time.perf_counter(), time.process_time()
    report = ingest(work / "returns", ctx, **kwargs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    accepted = report.counts()["accepted"]
    assert accepted == n, report.counts()
    (work / "report.pickle").write_bytes(__import__("pickle").dumps(report))
    return {"files": n, "seconds": seconds, "cpu_seconds": cpu, "accepted": accepted}


def phase_ingest_register(work: Path, n: int) -> dict:
    """The first ingest with the register: every file read, then remembered."""
    from xlsxflow.ingest import ingest
    from xlsxflow.register import open_register
    from xlsxflow.round import open_round

    ctx = open_round(workdir=work, key_path=work / "key")
    (work / "register.sqlite3").unlink(missing_ok=True)
    with open_register(work / "register.sqlite3") as reg:
        started = time.perf_counter()
        report = ingest(work / "returns", ctx, register=reg)
        seconds = time.perf_counter() - started
    assert report.counts()["accepted"] == n and report.reused == 0
    return {"files": n, "seconds": seconds}


def phase_reingest(work: Path, n: int) -> dict:
    """The same unchanged returns again: every file's stored result reused (issue #13)."""
    from xlsxflow.ingest import ingest
    from xlsxflow.register import open_register
    from xlsxflow.round import open_round

    ctx = open_round(workdir=work, key_path=work / "key")
    with open_register(work / "register.sqlite3") as reg:
        started = time.perf_counter()
        report = ingest(work / "returns", ctx, register=reg)
        seconds = time.perf_counter() - started
    assert report.counts()["accepted"] == n and report.reused == n, report.reused
    return {"files": n, "seconds": seconds}


def phase_reingest_summary(work: Path, n: int) -> dict:
    """Re-ingest as ``xlsxflow ingest`` does it: the reading (every file reused), then the
    summary workbook and report.json, then the ledger of accepted returns (a recorded
    round's ingest records them for the reviews), each timed."""
    from xlsxflow.accepted import Ledger
    from xlsxflow.ingest import ingest
    from xlsxflow.register import open_register
    from xlsxflow.round import open_round
    from xlsxflow.summary import write_report_json, write_summary

    ctx = open_round(workdir=work, key_path=work / "key")
    with open_register(work / "register.sqlite3") as reg:
        started = time.perf_counter()
        report = ingest(work / "returns", ctx, register=reg)
        read = time.perf_counter() - started
    assert report.reused == n, report.reused
    write_summary(report, ctx.rubric, ctx.roster, work / "summary-again.xlsx", key=ctx.key)
    write_report_json(report, work / "report-again.json")
    summary = time.perf_counter() - started - read
    Ledger.open(work).record(report, work / "returns")
    seconds = time.perf_counter() - started
    return {"files": n, "seconds": seconds, "read_seconds": read, "summary_seconds": summary}


def phase_ingest_inprocess(work: Path, n: int) -> dict:
    """Every check, read in this process: no worker isolation."""
    return phase_ingest(work, n, workers=0)


def phase_ingest_1worker(work: Path, n: int) -> dict:
    """Every check, one isolated worker process (the cost of isolation on one core)."""
    return phase_ingest(work, n, workers=1)


def phase_summary(work: Path, n: int) -> dict:
    import pickle

    from xlsxflow.round import open_round
    from xlsxflow.summary import write_report_json, write_summary

    ctx = open_round(workdir=work, key_path=work / "key")
    report = pickle.loads((work / "report.pickle").read_bytes())
    started, cpu = time.perf_counter(), time.process_time()
    write_summary(report, ctx.rubric, ctx.roster, work / "summary.xlsx")
    workbook = time.perf_counter() - started
    write_report_json(report, work / "report.json")
    return {
        "files": n,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,  # the machine may be shared
        "workbook_seconds": workbook,
    }


# -- the review: 1000 units, each scored by the 3 reviewers of its 测评组 ------------------

GROUP_UNITS = 40  # units per 测评组 (each reviewer's workbook: 40 sheets, one file)
REVIEWERS_PER_GROUP = 3


def _review_dir(work: Path) -> Path:
    return work / "review"


def phase_review_setup(work: Path, n: int) -> dict:
    """(setup) A round file whose form has a review; N accepted returns in the ledger."""
    from types import SimpleNamespace

    from xlsxflow.accepted import Ledger
    from xlsxflow.ingest import FileRecord
    from xlsxflow.round import generate_round, open_round
    from xlsxflow.submission import Submission

    folder = _review_dir(work)
    folder.mkdir(exist_ok=True)
    units = [f"U{i:05d}" for i in range(n)]
    with (folder / "roster.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["单位编号", "单位名称"])
        w.writerows([u, f"测试单位{u[1:]}"] for u in units)
    groups = [units[i : i + GROUP_UNITS] for i in range(0, n, GROUP_UNITS)]
    with (folder / "reviewers.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["评审人编号", "姓名", "测评组"])
        for g in range(len(groups)):
            for r in range(REVIEWERS_PER_GROUP):
                w.writerow([f"R{g:03d}{r}", f"评审人{g:03d}{r}", f"第{g + 1}测评组"])
    by_group = "\n".join(
        f"          第{g + 1}测评组: [{', '.join(ids)}]" for g, ids in enumerate(groups)
    )
    (folder / "round.yaml").write_text(
        "title: 基准评审轮\nyear: 2026\nroster: roster.csv\nforms:\n"
        "  - id: danwei\n    title: 文明单位\n    rubric: wenming-danwei\n"
        "    review:\n      reviewers: reviewers.csv\n      assign:\n        by_group:\n"
        f"{by_group}\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    generate_round(
        folder / "round.yaml", folder / "workbooks", workdir=folder, key_path=work / "key"
    )
    ctx = open_round(workdir=folder, key_path=work / "key")
    rubric = ctx.round.sheet_rubric("danwei")
    records = []
    for i, unit in enumerate(units):
        sub = Submission(unit, rubric.id, form_id="danwei", slot=1, sheet="文明单位")
        for _, item in rubric.items():
            sub.scores[item.id] = item.max - (0.5 if (i + len(item.id)) % 4 == 0 else 0)
            sub.notes[item.id] = "见台账资料第 3 册"
        sub.bonus = {b.id: 0.0 for b in rubric.bonus.items}
        sub.declarations = {d.id: "否" for d in rubric.declarations}
        records.append(
            FileRecord(f"{unit}.xlsx", 1, 0.0, "", "accepted", unit_id=unit, submissions=[sub])
        )
    report = SimpleNamespace(round_id=ctx.record.round_id, returns_dir="returns", files=records)
    Ledger.open(folder).record(report)
    return {"files": n, "seconds": time.perf_counter() - started}


def _review_context(work: Path):
    from xlsxflow.accepted import Ledger
    from xlsxflow.review.spec import load_review
    from xlsxflow.round import open_round

    ctx = open_round(workdir=_review_dir(work), key_path=work / "key")
    return ctx, load_review(ctx.round), Ledger.open(_review_dir(work))


def phase_review_generate(work: Path, n: int) -> dict:
    from xlsxflow.review.workbook import write_reviewer_workbooks

    ctx, review, ledger = _review_context(work)
    accepted = ledger.accepted(ctx.record.round_id)
    started = time.perf_counter()
    result = write_reviewer_workbooks(ctx, review, accepted, _review_dir(work) / "workbooks-r")
    seconds = time.perf_counter() - started
    assert result.sheets == n * REVIEWERS_PER_GROUP, result.sheets
    return {"files": len(result.files), "sheets": result.sheets, "seconds": seconds}


def phase_review_fill(work: Path, n: int) -> dict:
    """(setup) Reviewers' returns as a spreadsheet program saves them: every input typed."""
    from xlsxflow.layout import META_SHEET
    from xlsxflow.ooxml import open_book
    from xlsxflow.review.workbook import entry_layout, parse_sheets

    ctx, review, ledger = _review_context(work)
    out = _review_dir(work) / "returns-r"
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    sheets = 0
    for path in sorted((_review_dir(work) / "workbooks-r").glob("*.xlsx")):
        data = path.read_bytes()
        book = open_book(data)
        meta = book.read_sheet(book.sheet_info(META_SHEET))
        identity = {
            c.value: meta.get(row, 1).value for (row, col), c in meta.cells.items() if col == 0
        }
        book.close()
        by_part = {}
        for index, entry in enumerate(parse_sheets(identity["sheets"]), 1):
            shown = ledger.submission(entry.return_hash)
            layout = entry_layout(ctx.round, review, entry, shown)
            values = {}
            for inp in layout.inputs:
                if inp.kind == "score":
                    values[inp.ref] = ("n", max(0.0, (shown.scores.get(inp.key) or 0) - inp.step))
                elif inp.kind == "note":
                    values[inp.ref] = ("s", "台账资料不全")
                elif inp.kind == "declaration":
                    values[inp.ref] = ("s", "属实")
                elif inp.key == "reviewed_on":
                    values[inp.ref] = ("n", 46366)  # 2026-12-10
                elif inp.kind == "field":
                    values[inp.ref] = ("s", identity["unit_name"])
            by_part[f"xl/worksheets/sheet{index}.xml"] = values
            sheets += 1
        (out / path.name).write_bytes(_fill_sheets(data, by_part))
    return {"files": sheets, "seconds": time.perf_counter() - started}


def phase_review_ingest(work: Path, n: int, workers: int | None = None) -> dict:
    from xlsxflow.isolation import Isolation
    from xlsxflow.review.returns import ingest_reviews

    ctx, review, ledger = _review_context(work)
    snapshot = ledger.snapshot(ctx.record.round_id)
    kwargs = {"isolation": Isolation(workers=workers)} if workers is not None else {}
    started = time.perf_counter()
    read = ingest_reviews(_review_dir(work) / "returns-r", ctx, review, snapshot, **kwargs)
    seconds = time.perf_counter() - started
    counted = sum(1 for s in read.sheets if s.counts)
    assert counted == n * REVIEWERS_PER_GROUP, [f.reason for f in read.files][:3]
    return {"files": len(read.files), "sheets": counted, "seconds": seconds}


def phase_review_ingest_inprocess(work: Path, n: int) -> dict:
    return phase_review_ingest(work, n, workers=0)


# -- 民主测评: B branches × R members, every member rating every member of the branch -------

BALLOT_RATERS = 50  # members (= raters = candidates) of a branch; --ballots N gives N / 50 branches


def _ballot_dir(work: Path) -> Path:
    return work / "ballots-round"


def phase_ballots_setup(work: Path, n: int) -> dict:
    """(setup) A round file with the 先锋岗 evaluation over N / 50 branches of 50 members,
    recorded by generating it (one unit workbook per branch)."""
    from xlsxflow.round import generate_round

    folder = _ballot_dir(work)
    folder.mkdir(exist_ok=True)
    branches = max(1, n // BALLOT_RATERS)
    raters = min(n, BALLOT_RATERS)
    with (folder / "branches.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["单位编号", "单位名称", "党员人数"])
        w.writerows([f"B{b:04d}", f"测试党支部{b:04d}", raters] for b in range(branches))
    with (folder / "members.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["单位编号", "党员编号", "姓名", "岗位或职务"])
        for b in range(branches):
            w.writerows(
                [f"B{b:04d}", f"B{b:04d}-{m:02d}", f"党员{b:04d}{m:02d}", "科员"]
                for m in range(raters)
            )
    (folder / "round.yaml").write_text(
        "title: 基准测评轮\nyear: 2026\nroster: branches.csv\nforms:\n"
        "  - id: hongqi\n    title: 红旗党支部\n    rubric: hongqi-dangzhibu\n"
        "evaluations:\n  - id: xianfenggang\n    title: 党员先锋岗民主测评\n"
        "    candidates: members.csv\n    ballot: {rubric: dangyuan-xianfenggang}\n"
        "    raters:\n      - {id: dangyuan, label: 党员, expected: members}\n"
        "    aggregate: {method: trimmed_mean, drop: 1, min_ballots: 5}\n"
        "    invalid: [blank, incomplete, all_max]\n    quorum: 0.5\n"
        '    cap: "floor(党员人数 * 30 / 100)"\n',
        encoding="utf-8",
    )
    started = time.perf_counter()
    generate_round(
        folder / "round.yaml", folder / "workbooks", workdir=folder, key_path=work / "key"
    )
    return {"files": branches, "seconds": time.perf_counter() - started}


def _ballot_round(work: Path):
    from xlsxflow.ballots.run import open_ballots

    return open_ballots(_ballot_dir(work), work / "key")


def phase_ballots_generate(work: Path, n: int) -> dict:
    from xlsxflow.ballots.run import generate_ballots

    br = _ballot_round(work)
    started = time.perf_counter()
    result = generate_ballots(_ballot_dir(work) / "ballots", br=br)
    seconds = time.perf_counter() - started
    files = len(result.files)
    assert files == n, files
    return {"files": files, "ballots": files, "seconds": seconds}


def phase_ballots_fill(work: Path, n: int) -> dict:
    """(setup) Every ballot filled as a spreadsheet program saves it: a spread of scores."""
    br = _ballot_round(work)
    out = _ballot_dir(work) / "returned"
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    files = fill_ballots(br, _ballot_dir(work) / "ballots", out)
    return {"files": files, "ballots": files, "seconds": time.perf_counter() - started}


def fill_ballots(br, ballots: Path, out: Path) -> int:
    """Each ballot's answer cells typed (scores 7–10, never all full marks), straight into
    the sheet's XML as a spreadsheet program saves it (openpyxl would take minutes)."""
    from xlsxwriter.utility import xl_col_to_name

    from xlsxflow.ballots.workbook import FIRST_ROW, Signed, _desc_count, _positions
    from xlsxflow.layout import META_SHEET
    from xlsxflow.ooxml import open_book

    files = sorted(ballots.rglob("测评票_*.xlsx"))
    for i, path in enumerate(files):
        data = path.read_bytes()
        book = open_book(data)
        meta = book.read_sheet(book.sheet_info(META_SHEET))
        identity = {
            c.value: meta.get(row, 1).value for (row, col), c in meta.cells.items() if col == 0
        }
        book.close()
        signed = Signed.parse(identity["sheets"])
        where = _positions(signed, FIRST_ROW, _desc_count(signed))
        values = {
            f"{xl_col_to_name(col - 1)}{row}": ("n", 10 - (i + row + col) % 4)
            for row, col in where.values()
        }
        target = out / path.relative_to(ballots)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_fill_sheets(data, {"xl/worksheets/sheet1.xml": values}))
    return len(files)


def phase_ballots_ingest(work: Path, n: int, workers: int | None = None) -> dict:
    import pickle

    from xlsxflow.ballots.returns import ingest_ballots
    from xlsxflow.isolation import Isolation

    br = _ballot_round(work)
    kwargs = {"isolation": Isolation(workers=workers)} if workers is not None else {}
    started = time.perf_counter()
    read = ingest_ballots(_ballot_dir(work) / "returned", br.ctx, br.evals, **kwargs)
    seconds = time.perf_counter() - started
    assert len(read.ballots) == n, (len(read.ballots), read.counts())
    (work / "ballots.pickle").write_bytes(pickle.dumps(read))
    return {"files": len(read.files), "ballots": len(read.ballots), "seconds": seconds}


def phase_ballots_ingest_inprocess(work: Path, n: int) -> dict:
    return phase_ballots_ingest(work, n, workers=0)


def phase_ballots_count(work: Path, n: int) -> dict:
    """Counting (validity, trimmed means, quorum, anonymity, rank, cap) and the 测评汇总."""
    import pickle

    from xlsxflow.ballots.count import count_ballots
    from xlsxflow.ballots.sheets import evaluation_summary_bytes

    br = _ballot_round(work)
    read = pickle.loads((work / "ballots.pickle").read_bytes())
    started = time.perf_counter()
    outcome = count_ballots(br.evals, read.ballots)
    counted = time.perf_counter() - started
    data = evaluation_summary_bytes(br.ctx.round, br.evals, read, outcome, key=br.ctx.key)
    (_ballot_dir(work) / "测评汇总.xlsx").write_bytes(data)
    seconds = time.perf_counter() - started
    assert sum(c.status == "valid" for c in outcome.candidates) == len(outcome.candidates)
    return {"ballots": n, "seconds": seconds, "count_seconds": counted}


BALLOT_PHASES = {
    "ballots-setup": phase_ballots_setup,
    "ballots-generate": phase_ballots_generate,
    "ballots-fill": phase_ballots_fill,
    "ballots-ingest-0w": phase_ballots_ingest_inprocess,
    "ballots-ingest": phase_ballots_ingest,
    "ballots-count": phase_ballots_count,
}


REVIEW_PHASES = {
    "review-setup": phase_review_setup,
    "review-generate": phase_review_generate,
    "review-fill": phase_review_fill,
    "review-ingest-0w": phase_review_ingest_inprocess,
    "review-ingest": phase_review_ingest,
}

PHASES = {
    "generate": phase_generate,
    "fill": phase_fill,
    "naive": phase_naive,
    "calamine": phase_calamine,
    "lxml": phase_lxml,
    "unzip": phase_unzip,
    "unzip-zipfile": phase_unzip_zipfile,
    "ingest-0w": phase_ingest_inprocess,
    "ingest-1w": phase_ingest_1worker,
    "ingest": phase_ingest,
    "summary": phase_summary,
    "ingest-reg": phase_ingest_register,
    "re-ingest": phase_reingest,
    "re-ingest-summary": phase_reingest_summary,
    **REVIEW_PHASES,
    **BALLOT_PHASES,
}


def run_phase(name: str, work: Path, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--work", str(work), "-n", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


UNIT_PHASES = {
    k: v
    for k, v in PHASES.items()
    if k not in REVIEW_PHASES and k not in BALLOT_PHASES and k != "re-ingest-summary"
}
# --only reingest: incremental re-ingest measured at --reingest N (default 10,000) in a
# folder of its own: the setup, then the re-ingest --repeat times, then once with the summary.
REINGEST_SETUP = ("generate", "fill", "ingest-reg")
GROUPS = {"units": UNIT_PHASES, "review": REVIEW_PHASES, "ballots": BALLOT_PHASES, "reingest": {}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1000, help="number of units/files (default 1000)")
    parser.add_argument(
        "--ballots",
        type=int,
        default=10000,
        help=f"number of ballots (default 10000: 200 branches x {BALLOT_RATERS} raters)",
    )
    parser.add_argument(
        "--reingest",
        type=int,
        default=10000,
        metavar="N",
        help="number of unchanged returns re-ingested by --only reingest (default 10000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="how many times --only reingest re-ingests the same folder (default 3)",
    )
    parser.add_argument(
        "--only",
        default="units,review,ballots,reingest",
        help="which parts to run, comma-separated: units, review, ballots, reingest (default: all)",
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args.work, args.n)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # Reader workers are child processes: report the largest of them too.
        result["peak_child_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(result))
        return
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - GROUPS.keys()
    if unknown:
        parser.error(f"--only: unknown {sorted(unknown)}")
    if "review" in parts and "units" not in parts:
        parser.error("--only review needs units too (it reads their returns)")
    with tempfile.TemporaryDirectory(prefix="xlsxflow-bench-") as tmp:
        work = Path(tmp)
        os.environ["XLSXFLOW_KEY_FILE"] = str(work / "key")
        sizes = {
            "units": f"N = {args.n} unit returns",
            "ballots": f"{args.ballots} ballots",
            "reingest": f"{args.reingest} returns re-ingested",
        }
        shown = ", ".join(sizes[p] for p in parts if p in sizes)
        print(f"{shown}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
        results = {}
        for part in parts:
            if part == "reingest":
                results["reingest"] = _run_reingest(work / "reingest", args.reingest, args.repeat)
                continue
            size = args.ballots if part == "ballots" else args.n
            for name in GROUPS[part]:
                results[name] = run_phase(name, work, size)
    if "units" in parts:
        _print_units(results, args.n)
        _print_summary(results["summary"], args.n)
    if "reingest" in parts:
        _print_reingest(results["reingest"], args.reingest)
    if "review" in parts:
        _print_review(results, args.n)
    if "ballots" in parts:
        _print_ballots(results, args.ballots)
    if "units" in parts and "ballots" in parts:
        unit_ms = results["ingest"]["seconds"] * 1000 / args.n
        ballot_ms = results["ballots-ingest"]["seconds"] * 1000 / args.ballots
        print(
            f"\nside by side: unit ingest {unit_ms:.2f} ms a return (a {RUBRIC} workbook), "
            f"ballots ingest {ballot_ms:.2f} ms a ballot ({BALLOT_RATERS} candidates x 10 items)"
        )


def _run_reingest(work: Path, n: int, repeat: int) -> dict:
    """Setup (generate, fill, first ingest with the register), then the re-ingests."""
    work.mkdir()
    out = {name: run_phase(name, work, n) for name in REINGEST_SETUP}
    out["runs"] = [run_phase("re-ingest", work, n) for _ in range(max(1, repeat))]
    out["with-summary"] = run_phase("re-ingest-summary", work, n)
    return out


def _print_reingest(r: dict, n: int) -> None:
    print(f"\nincremental re-ingest (issue #13): {n} unchanged returns, every one reused")
    print(f"{'phase':<18} {'seconds':>9} {'ms/file':>9} {'peak MB':>9} {'worker MB':>9}")
    rows = [(name, r[name]) for name in REINGEST_SETUP]
    rows += [(f"re-ingest #{i}", run) for i, run in enumerate(r["runs"], 1)]
    for name, run in rows:
        print(
            f"{name:<18} {run['seconds']:>9.2f} {run['seconds'] * 1000 / n:>9.3f} "
            f"{run['peak_rss_mb']:>9.0f} {_worker(run)}"
        )
    median = statistics.median(run["seconds"] for run in r["runs"])
    verdict = "OK" if median * 10000 / n <= 1 else "MISSED"
    scale = "" if n == 10000 else f" (extrapolated to 10,000: {median * 10000 / n:.2f} s)"
    print(
        f"re-ingest: median {median:.2f} s for {n}, {median * 1000 / n:.3f} ms a file{scale}; "
        f"target <= 1 s for 10,000: {verdict}"
    )
    s = r["with-summary"]
    ledger = s["seconds"] - s["read_seconds"] - s["summary_seconds"]
    print(
        f"re-ingest as `xlsxflow ingest` does it: reading {s['read_seconds']:.2f} s + summary "
        f"workbook and report.json {s['summary_seconds']:.2f} s + ledger {ledger:.2f} s "
        f"= {s['seconds']:.2f} s"
    )


def _worker(r: dict) -> str:
    return f"{r['peak_child_mb']:>9.0f}" if r.get("peak_child_mb") else f"{'—':>9}"


def _print_units(results: dict, n: int) -> None:
    print(
        f"{'phase':<14} {'seconds':>9} {'ms/file':>9} {'files/s':>9} {'peak MB':>9} {'worker MB':>9}"
    )
    for name in UNIT_PHASES:
        r = results[name]
        if "skipped" in r:
            print(f"{name:<14} skipped: {r['skipped']}")
            continue
        print(
            f"{name:<14} {r['seconds']:>9.2f} {r['seconds'] * 1000 / n:>9.2f} "
            f"{n / r['seconds']:>9.0f} {r['peak_rss_mb']:>9.0f} {_worker(r)}"
        )
    gen_rate = n / results["generate"]["seconds"]
    speedup = results["naive"]["seconds"] / results["ingest"]["seconds"]
    overhead = results["ingest-1w"]["seconds"] / results["ingest-0w"]["seconds"] - 1
    print(f"isolation on one core: {overhead:+.0%} over reading in process")
    again = results["re-ingest"]["seconds"]
    at_10k = again * 10000 / n
    print(
        f"incremental re-ingest: {again * 1000 / n:.3f} ms a file, {again:.2f} s for {n}; "
        f"{'measured' if n == 10000 else 'extrapolated to'} 10,000: {at_10k:.2f} s "
        f"(target <= 1 s): {'OK' if at_10k <= 1 else 'MISSED'}"
    )
    print(
        f"generate: {gen_rate:.0f} workbooks/s (target >= 150): {'OK' if gen_rate >= 150 else 'MISSED'}"
    )
    print(
        f"ingest vs naive pandas loop: {speedup:.1f}x faster (target >= 3x): {'OK' if speedup >= 3 else 'MISSED'}"
    )
    cpu_ms = results["ingest-0w"]["cpu_seconds"] * 1000 / n
    print(
        f"ingest in process, CPU: {cpu_ms:.2f} ms a file (issue #16 target <= 1 ms): "
        f"{'OK' if cpu_ms <= 1 else 'MISSED'}"
    )
    workers_10k = results["ingest"]["seconds"] * 10000 / n
    print(
        f"ingest with the default workers: {'measured' if n == 10000 else 'extrapolated to'} "
        f"10,000: {workers_10k:.1f} s (issue #16 target <= 8 s): "
        f"{'OK' if workers_10k <= 8 else 'MISSED'}"
    )
    floor = results["unzip"]["seconds"]
    print(
        f"ingest ÷ unzip floor: {results['ingest-0w']['seconds'] / floor:.1f}x in process, "
        f"{results['ingest']['seconds'] / floor:.1f}x with the default workers; "
        f"naive ÷ ingest: {speedup:.1f}x"
    )
    for name, what in (("calamine", "python-calamine values only"), ("lxml", "lxml parse-all")):
        if "skipped" not in results[name]:
            ratio = results["ingest-0w"]["seconds"] / results[name]["seconds"]
            print(f"ingest in process ÷ {what}: {ratio:.1f}x")


def _print_summary(r: dict, n: int) -> None:
    """The summary phase (issue #16: <= 2 s and, with ingest, <= 250 MB at 10,000)."""
    print(
        f"summary at N = {n}: workbook {r['workbook_seconds']:.2f} s + report.json "
        f"{r['seconds'] - r['workbook_seconds']:.2f} s = {r['seconds']:.2f} s "
        f"({r['cpu_seconds']:.2f} s of CPU), peak {r['peak_rss_mb']:.0f} MB"
    )


def _print_review(results: dict, n: int) -> None:
    print(f"\nreview: {n} units × {REVIEWERS_PER_GROUP} reviewers ({GROUP_UNITS} units a 测评组)")
    print(
        f"{'phase':<17} {'seconds':>9} {'sheets':>7} {'ms/sheet':>9} {'peak MB':>9} {'worker MB':>9}"
    )
    for name in REVIEW_PHASES:
        r = results[name]
        sheets = r.get("sheets", r["files"])
        print(
            f"{name:<17} {r['seconds']:>9.2f} {sheets:>7} {r['seconds'] * 1000 / sheets:>9.2f} "
            f"{r['peak_rss_mb']:>9.0f} {_worker(r)}"
        )
    if "ingest" in results:
        unit_ms = results["ingest"]["seconds"] * 1000 / n
        review_ms = results["review-ingest"]["seconds"] * 1000 / results["review-ingest"]["sheets"]
        print(
            f"ingest per unit return: {unit_ms:.2f} ms; review ingest per reviewer sheet: {review_ms:.2f} ms"
        )


def _print_ballots(results: dict, n: int) -> None:
    branches = max(1, n // BALLOT_RATERS)
    print(
        f"\n民主测评 ballots: {n} ballots = {branches} branches × {min(n, BALLOT_RATERS)} raters, "
        f"each ballot {min(n, BALLOT_RATERS)} candidates × 10 items"
    )
    print(
        f"{'phase':<18} {'seconds':>9} {'ballots':>8} {'ms/ballot':>10} {'peak MB':>9} {'worker MB':>9}"
    )
    for name in BALLOT_PHASES:
        r = results[name]
        count = r.get("ballots", r.get("files", n))
        print(
            f"{name:<18} {r['seconds']:>9.2f} {count:>8} {r['seconds'] * 1000 / max(count, 1):>10.2f} "
            f"{r['peak_rss_mb']:>9.0f} {_worker(r)}"
        )
    r = results["ballots-count"]
    print(f"count alone (no workbook): {r['count_seconds'] * 1000 / n:.3f} ms a ballot")


if __name__ == "__main__":
    main()
