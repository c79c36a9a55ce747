"""The hook ``publish`` is to call: a published round's decisions into the register.

``record_published(register, "发布-…/decisions.json", "2026H2")`` records the round
(id, title, forms, period, status 已发布) and one decision per candidate: the
unit, its decision score, and — when the office approved (同意) — the award (the
form's award such as 红旗党支部（流动红旗）, else the form's title).  Candidates
named only by a nominee's name (a 文明窗口's 窗口名称) have no id of their own and
are not recorded (the register never matches by name): they are counted in
``RecordResult.skipped``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..messages import XlsxflowError, make_issue
from .importer import parse_stars
from .model import Decision
from .period import Period
from .store import RecordResult

APPROVED = "同意"


def _score(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def decisions_of(data: dict, source: str = "") -> tuple[list[Decision], int]:
    """The decisions of a decisions.json document, and how many candidates had no id."""
    out, skipped = [], 0
    for c in data.get("candidates", []):
        if c.get("nominee") and c["nominee"] != c.get("unit"):  # a unit's own row names it
            skipped += 1
            continue
        approved = c.get("decision") == APPROVED
        level = (c.get("level") or "") if approved else ""  # a form decided by conditions
        out.append(
            Decision(
                subject_id=c["unit_id"],
                name=c.get("unit", ""),
                form=c["form_id"],
                score=_score((c.get("scores") or {}).get("decision")),
                award=(c.get("award") or c.get("form", "")) if approved else "",
                band=level,
                stars=parse_stars(level) if level else None,  # 五星级 → 5 (002 动态管理)
                source=f"{source}#{c.get('number', '')}" if source else "",
            )
        )
    return out, skipped


def record_published(register, decisions_path: str | Path, period: Period | str) -> RecordResult:
    """Record a published round (its decisions.json) for ``period``; one transaction."""
    path = Path(decisions_path)
    try:
        data = json.loads(path.read_text("utf-8"))
        round_id, title = data["round"]["id"], data["round"]["title"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise XlsxflowError(
            make_issue("register-import-unreadable", file=str(path), detail=exc)
        ) from None
    period = Period.parse(period) if isinstance(period, str) else period
    decisions, skipped = decisions_of(data, path.name)
    forms = list(dict.fromkeys(d.form for d in decisions))
    register.record_round(round_id, title or round_id, forms, period, "published")
    result = register.record_decisions(round_id, period, decisions)
    result.skipped = skipped
    return result
