"""xlsxflow: scored evaluation rounds in Excel.

Locked per-unit workbooks out, trustworthy ingest and a reviewers' summary back.
Every CLI command is one of these functions; they are usable from Python too::

    from xlsxflow import load_rubric, generate, open_round, ingest, write_summary

The names are imported on first use, so that ``xlsxflow --help`` starts quickly
and Ctrl-C while it starts ends quietly (see ``__main__.py``).
"""

from __future__ import annotations

import importlib
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
]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .ingest import IngestReport, ingest
    from .messages import CATALOGUE, Issue, XlsxflowError, render
    from .roster import Roster, load_roster
    from .round import generate, generate_round, open_round
    from .roundfile import Round, load_round
    from .rubric import Rubric, load_rubric
    from .summary import write_report_json, write_summary
