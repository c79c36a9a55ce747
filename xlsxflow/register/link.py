"""``publish`` → the register: a publication's decisions recorded with their periods.

The period of each decision comes from the round file (``period:`` of the round,
overridden per form or evaluation: 2026H2 for the 红旗, 2026Q4 for the 先锋岗), or
from ``period`` given here (``xlsxflow publish --period``), which wins.  A form
whose period is the round's is recorded under the round's id; one with a period of
its own under ``<round id>-<period>`` (a register round has one period).

A 民主测评's candidates are people: each is recorded as a person under the member's
id from the round's members file, with the unit (支部) it belongs to.  A nominee
named only by a name (a 文明窗口's 窗口名称) has no id and is not recorded (counted in
``skipped``).  Recording again (the same round published again) updates the same
rows: decisions are keyed by round, form and id.

The annual titles the publication completed (``titles`` of its decisions.json, written
by ``publish`` with the register: :mod:`xlsxflow.register.titles`) are recorded too,
each a decision of its own in the round ``<year>-年度称号``, keyed the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..messages import Issue, XlsxflowError, make_issue
from .model import PERSON, UNIT, Decision
from .period import Period
from .published import APPROVED, _score
from .rules import DEFAULT_RULES
from .titles import TitleAward, record_titles, unsupported_titles


@dataclass
class LinkResult:
    """What a publication put into the register."""

    path: Path
    rounds: list[str] = field(default_factory=list)  # register round ids written
    units: int = 0
    persons: int = 0
    skipped: int = 0  # candidates without an id of their own
    issues: list[Issue] = field(default_factory=list)  # name changes noticed
    titles: int = 0  # annual titles recorded (decisions.json's ``titles``)
    title_rounds: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.units + self.persons

    @property
    def message(self) -> Issue:
        return make_issue(
            "register-published",
            path=str(self.path),
            rounds=len(self.rounds),
            count=self.count,
            units=self.units,
            persons=self.persons,
        )

    @property
    def titles_message(self) -> Issue | None:
        """What was recorded of the annual titles; None when the publication had none."""
        if not self.titles:
            return None
        return make_issue(
            "register-titles-recorded", count=self.titles, rounds="、".join(self.title_rounds)
        )


def _members(rnd) -> dict[str, dict[str, list]]:
    """evaluation id → unit id → its candidates (members, in the members file's order)."""
    if rnd is None or not rnd.spec.evaluations:
        return {}
    from ..ballots.spec import load_evaluations

    evals = load_evaluations(rnd)
    return {ev_id: dict(ev.candidates) for ev_id, ev in evals.evaluations.items()}


def _person(members: list, slot: int, name: str):
    """The member on ``slot`` (1-based) when the name agrees, else the unit's only ``name``."""
    if 1 <= slot <= len(members) and members[slot - 1].name == name:
        return members[slot - 1]
    named = [m for m in members if m.name == name]
    return named[0] if len(named) == 1 else None


def publication_decisions(
    data: dict, rnd=None, period: Period | None = None, source: str = ""
) -> tuple[dict[Period, list[Decision]], int]:
    """A decisions.json's decisions grouped by period, and how many had no id.

    Raises ``register-no-period`` when a form's period is known neither from the
    round file nor from ``period``.
    """
    from ..roundfile import round_periods

    periods = round_periods(rnd.spec) if rnd is not None else {}
    members = _members(rnd)
    grouped: dict[Period, list[Decision]] = {}
    skipped = 0
    for c in data.get("candidates", []):
        form_id = c["form_id"]
        when = period or periods.get(form_id)
        if when is None:
            raise XlsxflowError(
                make_issue("register-no-period", form=c.get("form") or form_id, decisions=source)
            )
        approved = c.get("decision") == APPROVED
        award = c.get("award") or c.get("form", "")
        if form_id in members:  # 党员先锋岗民主测评 gives 党员先锋岗
            award = award.removesuffix("民主测评") or award
        common = {
            "form": form_id,
            "score": _score((c.get("scores") or {}).get("decision")),
            "award": award if approved else "",
            "source": f"{Path(source).name}#{c.get('number', '')}" if source else "",
        }
        if c.get("nominee") and c["nominee"] != c.get("unit"):  # a unit's own row names it
            unit_members = members.get(form_id, {}).get(c["unit_id"])
            member = (
                _person(unit_members, int(c.get("slot") or 0), c["nominee"])
                if unit_members
                else None
            )
            if member is None:
                skipped += 1
                continue
            decision = Decision(
                member.member_id, c["nominee"], subject_kind=PERSON, unit_id=c["unit_id"], **common
            )
        else:
            decision = Decision(c["unit_id"], c.get("unit", ""), subject_kind=UNIT, **common)
        grouped.setdefault(when, []).append(decision)
    return grouped, skipped


def record_publication(
    register, decisions_path: str | Path, rnd=None, period: Period | str | None = None
) -> LinkResult:
    """Record a publication (its ``decisions.json``) into ``register``; see the module doc."""
    path = Path(decisions_path)
    try:
        data = json.loads(path.read_text("utf-8"))
        round_id, title = data["round"]["id"], data["round"]["title"] or data["round"]["id"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise XlsxflowError(
            make_issue("register-import-unreadable", file=str(path), detail=exc)
        ) from None
    given = Period.parse(period) if isinstance(period, str | int) else period
    grouped, skipped = publication_decisions(data, rnd, given, str(path))
    main = given
    if main is None and rnd is not None and rnd.spec.period is not None:
        main = Period.parse(rnd.spec.period)
    result = LinkResult(register.path, skipped=skipped)
    for when, decisions in sorted(grouped.items()):
        own = when == main  # no round-level period: every form's round is suffixed
        rid = round_id if own else f"{round_id}-{when.label}"
        forms = list(dict.fromkeys(d.form for d in decisions))
        register.record_round(rid, title if own else f"{title}（{when.chinese}）", forms, when)
        recorded = register.record_decisions(rid, when, decisions)
        result.rounds.append(rid)
        result.issues += recorded.issues
        result.persons += sum(d.subject_kind == PERSON for d in decisions)
        result.units += sum(d.subject_kind == UNIT for d in decisions)
    titles = _titles_of(data, path)
    if titles:
        result.title_rounds = record_titles(register, titles, path.name)
        result.titles = len(titles)
    # a title recorded before that this publication no longer supports (published again,
    # decided otherwise): listed for the office to revoke
    rules = (rnd.spec.history if rnd is not None else None) or DEFAULT_RULES
    subjects = {d.subject_id for decisions in grouped.values() for d in decisions}
    for subject in sorted(subjects):
        result.issues += [t.message for t in unsupported_titles(register, rules, subject)]
    return result


def _titles_of(data: dict, path: Path) -> list:
    """The annual titles listed in a decisions.json (none before they were written)."""
    try:
        return [TitleAward.from_json(t) for t in data.get("titles") or []]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise XlsxflowError(
            make_issue("register-import-unreadable", file=str(path), detail=exc)
        ) from None
