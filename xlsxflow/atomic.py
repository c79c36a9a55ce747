"""Atomic writes: a reader sees the old complete file (or folder) or the new complete one.

Files are created with mode 0666 less the user's umask, as any program's files
are (colleagues on a shared folder can open a summary); only callers that pass
``mode`` (the signing key: 0600) get something else.  A folder of workbooks is
written beside its target and swapped in whole (:class:`StagedDir`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

STAGE_TAG = ".xlsxflow-stage-"  # in the names of folders being written beside their target


def _new_temp_file(path: Path, mode: int) -> Path:
    """An empty file beside ``path`` with a fresh name; ``mode`` is filtered by the umask.

    The name carries this process's id, so a later write of the same file can tell
    the temporary file of a writer that was killed (``kill -9``, a power cut) and
    remove it (:func:`_sweep_dead_temps`)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, flags, mode))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


@contextlib.contextmanager
def atomic_path(
    path: str | Path, mode: int | None = None, *, durable: bool = True
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    The file gets 0666 less the umask, or exactly ``mode`` when given.
    ``durable`` also flushes the data to disk first, so that a power cut cannot
    leave an empty file behind the new name (skipped for bulk writes).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if durable:  # one file written now and then (a summary, a report): tidy after a kill
        _sweep_dead_temps(path)
    tmp_path = _new_temp_file(path, 0o666 if mode is None else mode)
    try:
        yield tmp_path
        if mode is not None:
            os.chmod(tmp_path, mode)
        if durable:
            with open(tmp_path, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _sweep_dead_temps(path: Path) -> None:
    """Remove the temporary files of ``path`` left by writers no longer running."""
    prefix = f".{path.name}."
    try:
        names = [n for n in os.listdir(path.parent) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) : -len(".tmp")].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(path.parent / name)


def atomic_write_bytes(
    path: str | Path, data: bytes, mode: int | None = None, *, durable: bool = True
) -> None:
    with atomic_path(path, mode, durable=durable) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while a few renames that belong together run."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class StagedDir:
    """A folder written beside ``target`` and swapped in whole by :meth:`commit`.

    Entries of an existing ``target`` that ``carry`` accepts are carried over first
    (hard links where possible), so a partial rewrite still ends as one complete
    set.  Until the commit the target is untouched; a run stopped by Ctrl-C or
    ``kill -9`` leaves at most a hidden staging folder, which the next staging
    of the same target removes.
    """

    def __init__(self, target: str | Path, carry: Callable[[Path], bool] = lambda p: False):
        self.target = Path(os.path.realpath(target))  # a linked folder: swap where it points
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._prefix = f".{self.target.name}{STAGE_TAG}"
        self.recover()
        while True:
            path = self.target.with_name(f"{self._prefix}{os.getpid()}-{secrets.token_hex(3)}")
            try:
                os.mkdir(path, 0o777)  # the umask applies, as for any folder
                break
            except FileExistsError:
                continue
        self.path = path
        if self.target.is_dir():  # the new folder keeps the old one's mode and group
            info = self.target.stat()
            with contextlib.suppress(OSError):
                os.chown(path, -1, info.st_gid)
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IMODE(info.st_mode))
            for entry in sorted(self.target.iterdir()):
                if carry(entry):
                    self._carry(entry, path / entry.name)

    @staticmethod
    def _carry(src: Path, dst: Path) -> None:
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif src.is_dir():
            shutil.copytree(src, dst, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(str(src), str(dst))

    def recover(self) -> None:
        """Finish a swap cut between its two renames; remove stagings of runs that died."""
        leftovers = []
        siblings = sorted(self.target.parent.iterdir())
        for leftover in (p for p in siblings if p.name.startswith(self._prefix)):
            pid = leftover.name.removeprefix(self._prefix).split("-", 1)[0]
            if not (pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid))):
                leftovers.append(leftover)  # else another xlsxflow is writing it right now
        for leftover in leftovers:
            new = leftover.with_name(leftover.name.removesuffix("-old"))
            if leftover.name.endswith("-old") and new.is_dir() and not self.target.exists():
                os.rename(new, self.target)  # only a complete staging is ever swapped in
        for leftover in leftovers:
            shutil.rmtree(leftover, ignore_errors=True)

    def commit(self) -> None:
        """Put the staged folder in place of the target in one step; drop the old one."""
        if not self.target.exists():
            os.rename(self.path, self.target)
        elif not _exchange(self.path, self.target):
            old = self.path.with_name(self.path.name + "-old")
            os.rename(self.target, old)
            os.rename(self.path, self.target)
            self.path = old
        shutil.rmtree(self.path, ignore_errors=True)

    def discard(self) -> None:
        """Remove the staging folder (after a commit: the old folder) if still there."""
        shutil.rmtree(self.path, ignore_errors=True)


def write_staged_bytes(path: str | Path, data: bytes) -> None:
    """Write a file into a folder nobody reads yet (a :class:`StagedDir` being filled).

    No temporary file: the folder is swapped in whole, and a run stopped halfway
    leaves only the staging folder, which the next staging removes.  The file is
    always a new one: a file carried over into the staging folder (a hard link to
    the folder in use) is unlinked first, never written through.  Plain ``os``
    calls, one open: a round writes thousands of these (issue 16).
    """
    path = os.fspath(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, flags, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
