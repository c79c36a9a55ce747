"""Read returns in worker processes, each file bounded in time and memory.

One pathological file must not take the run down: a reader that loops is
killed at the time limit, one that allocates without end hits the memory cap
(and a crash in native code ends only its worker).  The file is then reported
as rejected with the reason, a fresh worker takes over, and the run goes on.
The workers (one per core by default) also read files in parallel.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .messages import make_issue
from .ooxml import Limits


def default_workers() -> int:
    """One reader process per core (each bounded in time and memory; issue #16)."""
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Isolation:
    """How files are read: ``workers`` 0 reads in this process (no limits enforced)."""

    workers: int = field(default_factory=default_workers)
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


def _follow_parent(parent: int) -> None:
    """Make this worker end with the process that started it; the parent's pid.

    A forked worker holds copies of the parent's descriptors (its pipes, the terminal's
    or a caller's stdout and stderr): one outliving a parent stopped by Ctrl-C at the
    wrong moment would keep them open, and whoever waits on that output would wait for
    ever.  On Linux the kernel kills it when the parent ends (``PR_SET_PDEATHSIG``);
    elsewhere the worker notices within a second that it has a new parent.  ``parent``
    is the pid the parent had before it started the worker: read here, after the fork,
    it could already be the pid of whoever adopted an orphan.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(AttributeError, OSError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    if os.getppid() != parent:  # the parent ended before the line above took effect
        os._exit(0)


def _worker(conn: Connection, ctx, limits: Limits, memory_mb: int, parent: int) -> None:
    _follow_parent(parent)
    # Looked up on the module (not imported by name) so that tests can replace it.
    read_source = importlib.import_module("xlsxflow.ingest").read_source

    _cap_memory(memory_mb)
    try:
        while True:
            while not conn.poll(1.0):
                if os.getppid() != parent:
                    return
            job = conn.recv()
            if job is None:
                return
            index, source, rel = job
            try:
                record = read_source(
                    Path(source) if isinstance(source, str) else source, rel, ctx, limits
                )
            except MemoryError:
                record = None
            conn.send((index, record))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        return


PREFETCH = 2  # jobs handed to a worker ahead, so it never waits for the parent


class _Slot:
    """One worker process and the jobs it holds, oldest (the one it is reading) first."""

    def __init__(self, mpctx, ctx, limits: Limits, iso: Isolation):
        self.parent, child = mpctx.Pipe()
        self.process = mpctx.Process(
            target=_worker, args=(child, ctx, limits, iso.memory_mb, os.getpid()), daemon=True
        )
        self.process.start()
        child.close()
        self.jobs: deque[tuple[int, str, str]] = deque()
        self.started = 0.0  # when the oldest job began (as far as the parent can tell)

    def give(self, job) -> None:
        if not self.jobs:
            self.started = time.monotonic()
        self.jobs.append(job)
        self.parent.send(job)

    def done(self):
        job = self.jobs.popleft()
        self.started = time.monotonic()
        return job

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
    from .ingest import FileRecord, read_source

    results: list = [None] * len(jobs)
    if iso.workers <= 0 or not jobs:
        for i, (source, rel) in enumerate(jobs):
            results[i] = read_source(source, rel, ctx, limits)
            if on_done:
                on_done(1)
        return results

    mpctx = _context()
    pending = deque(
        (i, str(p) if isinstance(p, Path) else p, rel) for i, (p, rel) in enumerate(jobs)
    )
    slots = [_Slot(mpctx, ctx, limits, iso) for _ in range(min(iso.workers, len(jobs)))]

    def failed(job, code: str, **fields) -> FileRecord:
        index, source, rel = job
        try:
            if isinstance(source, str):
                stat = Path(source).stat()
                record = FileRecord(rel, stat.st_size, stat.st_mtime)
            else:
                record = FileRecord(rel, len(source.data), source.mtime)
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

    def fill(slot: _Slot) -> None:
        while pending and len(slot.jobs) < PREFETCH:
            slot.give(pending.popleft())

    crashed = "读取进程异常退出"
    try:
        for slot in slots:
            fill(slot)
        while any(slot.jobs for slot in slots):
            busy = [s for s in slots if s.jobs]
            now = time.monotonic()
            wait_for = max(0.01, min(s.started + iso.timeout - now for s in busy))
            ready = set(
                wait([s.parent for s in busy] + [s.process.sentinel for s in busy], wait_for)
            )
            for i, slot in enumerate(slots):
                if not slot.jobs:
                    continue
                lost = None  # (code, fields) when the worker must be replaced
                try:
                    while slot.jobs and slot.parent.poll():
                        index, record = slot.parent.recv()
                        job = slot.done()
                        if record is None:  # MemoryError inside the worker: replace it
                            detail = f"内存超过 {iso.memory_mb} MB"
                            finish(index, failed(job, "file-reader-crashed", detail=detail))
                            lost = ("", {})  # nothing more to fail, only the worker to replace
                            break
                        finish(index, record)
                except (EOFError, OSError):
                    lost = ("file-reader-crashed", {"detail": crashed})
                if lost is None and slot.jobs:
                    if slot.process.sentinel in ready and not slot.parent.poll():
                        lost = ("file-reader-crashed", {"detail": crashed})
                    elif time.monotonic() - slot.started > iso.timeout:
                        lost = ("file-timeout", {"seconds": f"{iso.timeout:g}"})
                if lost is not None:
                    code, fields = lost
                    if code and slot.jobs:
                        job = slot.jobs.popleft()  # the file the worker was reading
                        finish(job[0], failed(job, code, **fields))
                    pending.extendleft(reversed(slot.jobs))  # the rest are read again elsewhere
                    slot.jobs.clear()
                    slot.stop(kill=True)
                    slots[i] = slot = _Slot(mpctx, ctx, limits, iso)
                fill(slot)
    finally:
        for slot in slots:
            slot.stop(kill=bool(slot.jobs))
    return results
