"""xlsxflow: scored evaluation rounds in Excel.

Locked per-unit workbooks out, trustworthy ingest and a reviewers' summary back.
Every CLI command is one of these functions; they are usable from Python too::

    from xlsxflow import load_rubric, generate, open_round, ingest, write_summary

The names are imported on first use, so that ``xlsxflow --help`` starts quickly
and Ctrl-C while it starts ends quietly (see ``__main__.py``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_WHERE = {
    "IngestReport": "ingest",
    "ingest": "ingest",
    "CATALOGUE": "messages",
    "Issue": "messages",
    "XlsxflowError": "messages",
    "render": "messages",
    "Roster": "roster",
    "load_roster": "roster",
    "generate": "round",
    "generate_round": "round",
    "open_round": "round",
    "Round": "roundfile",
    "load_round": "roundfile",
    "Rubric": "rubric",
    "load_rubric": "rubric",
    "write_report_json": "summary",
    "write_summary": "summary",
    "Ledger": "accepted",
    "generate_reviews": "review.run",
    "read_reviews": "review.run",
    "decide": "review.outcome",
    "publish": "publish",
}

__all__ = [
    "CATALOGUE",
    "IngestReport",
    "Issue",
    "Roster",
    "Round",
    "Rubric",
    "XlsxflowError",
    "__version__",
    "generate",
    "generate_round",
    "ingest",
    "load_roster",
    "load_round",
    "load_rubric",
    "open_round",
    "render",
    "write_report_json",
    "write_summary",
    "Ledger",
    "generate_reviews",
    "read_reviews",
    "decide",
    "publish",
]


class _Package(types.ModuleType):
    """Keeps ``xlsxflow.ingest`` and ``xlsxflow.publish`` the functions of those names.

    Python sets a package's attribute to each submodule it loads: loading the module
    ``xlsxflow.ingest`` for some other name first would otherwise make ``from xlsxflow
    import ingest`` give the module.  The modules stay importable by their full name.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .accepted import Ledger
    from .ingest import IngestReport, ingest
    from .messages import CATALOGUE, Issue, XlsxflowError, render
    from .publish import publish
    from .review.outcome import decide
    from .review.run import generate_reviews, read_reviews
    from .roster import Roster, load_roster
    from .round import generate, generate_round, open_round
    from .roundfile import Round, load_round
    from .rubric import Rubric, load_rubric
    from .summary import write_report_json, write_summary
