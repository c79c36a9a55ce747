"""Atomic file writes: a reader sees the old complete file or the new complete file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(
    path: str | Path, mode: int | None = None, *, durable: bool = True
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    ``durable`` also flushes the data to disk first, so that a power cut cannot
    leave an empty file behind the new name (skipped for bulk writes).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
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


def atomic_write_bytes(
    path: str | Path, data: bytes, mode: int | None = None, *, durable: bool = True
) -> None:
    with atomic_path(path, mode, durable=durable) as tmp:
        tmp.write_bytes(data)
