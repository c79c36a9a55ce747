"""xlsxflow: scored evaluation rounds in Excel.

Locked per-unit workbooks out, trustworthy ingest and a reviewers' summary back.
Every CLI command is one of these functions; they are usable from Python too::

    from xlsxflow import load_rubric, generate, open_round, ingest, write_summary
"""

__version__ = "0.1.0"

from .ingest import IngestReport, ingest  # noqa: E402
from .messages import CATALOGUE, Issue, XlsxflowError, render  # noqa: E402
from .roster import Roster, load_roster  # noqa: E402
from .round import generate, generate_round, open_round  # noqa: E402
from .roundfile import Round, load_round  # noqa: E402
from .rubric import Rubric, load_rubric  # noqa: E402
from .summary import write_report_json, write_summary  # noqa: E402

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
