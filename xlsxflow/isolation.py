"""Read returns in worker processes, each file bounded in time and memory.

One pathological file must not take the run down: a reader that loops is
killed at the time limit, one that allocates without end hits the memory cap
(and a crash in native code ends only its worker).  The file is then reported
as rejected with the reason, a fresh worker takes over, and the run goes on.
With two or more cores the workers also read files in parallel.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .messages import make_issue
from .ooxml import Limits


@dataclass(frozen=True)
class Isolation:
    """How files are read: ``workers`` 0 reads in this process (no limits enforced)."""

    workers: int = max(1, min(2, os.cpu_count() or 1))
    timeout: float = 30.0  # seconds per file
    memory_mb: int = 1024  # extra address space a worker may take for one file


DEFAULT_ISOLATION = Isolation()


def _context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def _cap_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no address-space limit; the time limit still applies
        return
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            vm = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        vm = 0
    limit = vm + memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(conn: Connection, ctx, limits: Limits, memory_mb: int) -> None:
    from .ingest import read_return

    _cap_memory(memory_mb)
    try:
        while True:
            job = conn.recv()
            if job is None:
                return
            index, path, rel = job
            try:
                record = read_return(Path(path), rel, ctx, limits)
            except MemoryError:
                record = None
            conn.send((index, record))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        return


class _Slot:
    def __init__(self, mpctx, ctx, limits: Limits, iso: Isolation):
        self.parent, child = mpctx.Pipe()
        self.process = mpctx.Process(
            target=_worker, args=(child, ctx, limits, iso.memory_mb), daemon=True
        )
        self.process.start()
        child.close()
        self.job: tuple[int, str, str] | None = None
        self.started = 0.0

    def give(self, job) -> None:
        self.job = job
        self.started = time.monotonic()
        self.parent.send(job)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.parent.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.parent.close()


def read_isolated(
    jobs: Sequence[tuple[Path, str]],
    ctx,
    limits: Limits,
    iso: Isolation,
    on_done: Callable[[int], None] | None = None,
) -> list:
    """FileRecords for ``jobs`` (path, relative name), in the same order."""
    from .ingest import FileRecord, read_return

    results: list = [None] * len(jobs)
    if iso.workers <= 0 or not jobs:
        for i, (path, rel) in enumerate(jobs):
            results[i] = read_return(path, rel, ctx, limits)
            if on_done:
                on_done(1)
        return results

    mpctx = _context()
    pending = list(reversed([(i, str(p), rel) for i, (p, rel) in enumerate(jobs)]))
    slots = [_Slot(mpctx, ctx, limits, iso) for _ in range(min(iso.workers, len(jobs)))]

    def failed(job, code: str, **fields) -> FileRecord:
        index, path, rel = job
        try:
            stat = Path(path).stat()
            record = FileRecord(rel, stat.st_size, stat.st_mtime)
        except OSError:
            record = FileRecord(rel, 0, 0.0)
        issue = make_issue(code, file=rel, **fields)
        record.issues.append(issue)
        record.reason = issue.message
        return record

    def finish(index: int, record) -> None:
        results[index] = record
        if on_done:
            on_done(1)

    try:
        for slot in slots:
            if pending:
                slot.give(pending.pop())
        while any(slot.job for slot in slots):
            busy = [s for s in slots if s.job]
            now = time.monotonic()
            wait_for = max(0.01, min(s.started + iso.timeout - now for s in busy))
            ready = wait(
                [s.parent for s in busy] + [s.process.sentinel for s in busy], timeout=wait_for
            )
            for i, slot in enumerate(slots):
                if not slot.job:
                    continue
                job = slot.job
                replace = False
                if slot.parent in ready:
                    try:
                        index, record = slot.parent.recv()
                        if record is None:
                            record = failed(
                                job, "file-reader-crashed", detail=f"内存超过 {iso.memory_mb} MB"
                            )
                            replace = True
                        finish(index, record)
                    except (EOFError, OSError):
                        finish(
                            job[0], failed(job, "file-reader-crashed", detail="读取进程异常退出")
                        )
                        replace = True
                elif slot.process.sentinel in ready or not slot.process.is_alive():
                    finish(job[0], failed(job, "file-reader-crashed", detail="读取进程异常退出"))
                    replace = True
                elif time.monotonic() - slot.started > iso.timeout:
                    finish(job[0], failed(job, "file-timeout", seconds=f"{iso.timeout:g}"))
                    replace = True
                else:
                    continue
                slot.job = None
                if replace:
                    slot.stop(kill=True)
                    slots[i] = slot = _Slot(mpctx, ctx, limits, iso)
                if pending:
                    slot.give(pending.pop())
    finally:
        for slot in slots:
            slot.stop(kill=slot.job is not None)
    return results
