"""The register across rounds: rounds, final decisions and violations over the periods,
and the rules that read them (consecutive awards, star changes, bars, clean records).

    from xlsxflow.register import open_register, Decision
    with open_register("xlsxflow-register.sqlite3") as reg:
        reg.record_round("2026H1-hongqi", "2026年上半年红旗党支部", ["hongqi"], "2026H1")
        reg.record_decisions("2026H1-hongqi", "2026H1", [Decision("ZB01", "机关第一党支部",
                             "hongqi", award="流动红旗")])
        assess(reg.history("ZB01"))
"""

from .importer import ImportResult
from .model import (
    PERSON,
    UNIT,
    Decision,
    DecisionRecord,
    History,
    Revocation,
    RoundRecord,
    Subject,
    Violation,
)
from .period import Period, parse_period
from .published import record_published
from .rules import DEFAULT_RULES, Assessment, HistoryRules, assess, rules_from_config
from .store import DEFAULT_FILE, SCHEMA_VERSION, RecordResult, Register, default_path, open_register

__all__ = [
    "DEFAULT_FILE",
    "DEFAULT_RULES",
    "PERSON",
    "SCHEMA_VERSION",
    "UNIT",
    "Assessment",
    "Decision",
    "DecisionRecord",
    "History",
    "HistoryRules",
    "ImportResult",
    "Period",
    "RecordResult",
    "Register",
    "Revocation",
    "RoundRecord",
    "Subject",
    "Violation",
    "assess",
    "default_path",
    "open_register",
    "parse_period",
    "record_published",
    "rules_from_config",
]
