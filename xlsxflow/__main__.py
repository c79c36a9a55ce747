"""``xlsxflow`` and ``python -m xlsxflow``: the command line, quiet on Ctrl-C from the start."""

from __future__ import annotations

import sys


def run() -> None:
    """Load the command line and run it; Ctrl-C while it loads ends without a traceback."""
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("已中断 interrupted", file=sys.stderr)
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
