"""``xlsxflow`` and ``python -m xlsxflow``: the command line, quiet on Ctrl-C from the start."""

from __future__ import annotations

import os
import signal
import sys


def run() -> None:
    """Load the command line and run it; Ctrl-C while it loads ends without a traceback,
    and so does a broken installation (a module missing), named as an internal error."""
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("已中断 interrupted", file=sys.stderr)
        sys.exit(130)
    try:
        main()
    except ImportError as exc:  # commands import their modules when run
        if os.environ.get("XLSXFLOW_DEBUG"):
            raise
        print(f"内部错误 internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("xlsxflow 的安装不完整，请重新安装（python -m pip install .）。", file=sys.stderr)
        sys.exit(3)
    finally:
        # The command has finished (or said why it stopped): what is left is Python's own
        # shutdown (joining reader workers, flushing).  Ctrl-C there has nothing to stop
        # and would only print a traceback from an exit handler.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    run()
