"""Round files: which forms a round has, who receives each, and how many slots (quotas).

A round file (``round.yaml``; ``xlsxflow init`` writes a commented starter) names
the round and its roster, and lists forms.  For each form, conditions and slot
counts are small expressions over the roster's columns, evaluated safely
(simpleeval: no attribute access, no imports, only the functions listed here)::

    forms:
      - id: biaobing
        title: 文明标兵
        slots: "1 if 职工人数 < 50 else (3 if 职工人数 <= 200 else 5)"   # seed 000 三.5
        requires:
          - when: "职工人数 > 0"
            reason: 名单中没有职工人数

Errors name the round file and line, and for a unit's values the roster row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from simpleeval import EvalWithCompoundTypes, InvalidExpression

from .ballots.spec import EvaluationSpec, check_evaluation_spec
from .layout import BookLayout, SheetPlan, build_layout, nomination_subtitles
from .messages import Issue, XlsxflowError, make_issue
from .register.rules import HistoryRules
from .review.spec import ReviewSpec, check_review_spec
from .roster import Roster, Unit, load_roster
from .rubric import Rubric, load_rubric, shipped_dir, unfold
from .writer import display_width
from .yamlsrc import LocatedYaml, YamlSourceError, load_located, read_text

FormId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,20}$")]
Expression = int | str  # a number, or an expression over roster columns

FUNCTIONS = {
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,
    "max": max,
    "min": min,
    "int": int,
    "abs": abs,
    "len": len,
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(_Model):
    when: str  # an expression over roster columns that must be true
    reason: str  # shown (in Chinese) to units that do not meet it


class FormSpec(_Model):
    """One form of the round: a scored rubric, or an application form only."""

    id: FormId
    title: str = Field(min_length=1, max_length=24, pattern=r"^[^\[\]:*?/\\']+$")  # a sheet tab
    rubric: str | None = None  # a rubric path (relative to the round file) or shipped name
    application: str | None = None  # its 申报表: a fields-only rubric (path or shipped name)
    nominee: str | None = None  # label of the nominee's name on each slot (窗口名称, 姓名 …)
    slots: Expression = 1
    requires: list[Requirement] = []
    publicity: bool = False  # 公示 dates are inputs; fewer than the round's minimum → not eligible
    quota_group: str | None = None  # forms in one group share one quota (the first form's slots)
    slots_text: str = ""  # the slot rule in words for reviewers (说明); else derived or "见配额表"
    notice_fields: list[
        str
    ] = []  # labels of the sheet's fields listed on its 公示 (性别, 单位及职务)
    review: ReviewSpec | None = None  # who reviews and how scores combine (review/spec.py)
    period: str | int | None = None  # this form's period when not the round's (2026Q4)


class Notice(_Model):
    """The office's 公示 of the proposed names (the summary's 公示 sheets); shapes no workbook."""

    issuer: str = ""  # 发布单位, the notice's signature line
    date: dt.date | None = None  # 发布日期; the 公示 period starts that day
    days: int | None = Field(default=None, ge=1, le=60)  # 公示期; else publicity_min_days
    objection: str = ""  # where and how to object: 受理单位、地址、电话、邮箱


DECISION_CHOICES = ("同意", "不同意", "暂缓")  # what publish understands in the decision column
APPROVE = DECISION_CHOICES[0]


class ApprovalColumn(_Model):
    """One input column of the summary's 审定 sheet: a dropdown (``choices``) or text."""

    label: str = Field(min_length=1, max_length=16, pattern=r"^[^\n]+$")
    choices: list[Annotated[str, Field(min_length=1, max_length=20)]] = []
    max_length: int = Field(default=200, ge=1, le=2000)  # text: at most this many characters
    decision: bool = False  # the office's decision: 同意 / 不同意 / 暂缓


class Approval(_Model):
    """The office's 审定 (the summary's 审定 sheet, read back by ``xlsxflow publish``).

    The seeds have the office decide after the review: 000 四.5–四.6 (市直机关工委
    proposes, 征求市直纪工委意见, 文明办审核, 公示, 命名) and the 红旗 rules (党委考核测评,
    局内公示; 先锋岗 党委审批).  ``columns`` are the sheet's inputs; exactly one is the
    decision, a dropdown of 同意 / 不同意 (/ 暂缓).  A column marked ``decision: true``
    is it; else the one whose choices are those words.  Shapes no unit workbook.
    """

    columns: list[ApprovalColumn] = Field(
        default=[
            ApprovalColumn(label="纪检意见"),  # 000 四.5: 征求市直纪工委或相关部门意见
            ApprovalColumn(label="审定结果", choices=list(DECISION_CHOICES), decision=True),
            ApprovalColumn(label="意见"),
        ],
        min_length=1,
        max_length=8,
    )

    @model_validator(mode="after")
    def _one_decision(self) -> Approval:
        labels = [c.label for c in self.columns]
        twice = sorted({x for x in labels if labels.count(x) > 1})
        if twice:
            raise ValueError(f"审定栏目“{'、'.join(twice)}”重复")
        marked = [c for c in self.columns if c.decision]
        if len(marked) > 1:
            raise ValueError("只能有一个栏目是审定结果（decision: true）")
        column = marked[0] if marked else self.decision_column
        if column is None:
            raise ValueError(
                "需要一个审定结果栏目：choices 为 同意/不同意/暂缓，或标明 decision: true"
            )
        offered = set(column.choices or DECISION_CHOICES)
        if not {"同意", "不同意"} <= offered <= set(DECISION_CHOICES):
            raise ValueError(
                f"审定结果“{column.label}”的选项只能是 同意、不同意（和 暂缓），"
                "publish 按这几个词发布"
            )
        return self

    @property
    def decision_column(self) -> ApprovalColumn | None:
        """The decision column (marked, else the one offering 同意 and 不同意)."""
        marked = [c for c in self.columns if c.decision]
        if marked:
            return marked[0]
        return next((c for c in self.columns if {"同意", "不同意"} <= set(c.choices)), None)

    def choices_of(self, column: ApprovalColumn) -> list[str]:
        """A column's dropdown: the decision column offers 同意/不同意/暂缓 when it names none."""
        if column is self.decision_column and not column.choices:
            return list(DECISION_CHOICES)
        return list(column.choices)


class RoundSpec(_Model):
    title: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    # the period the round's decisions count for in the register: 2026, 2026H2, 2026Q4
    period: str | int | None = None
    deadline: str = ""
    roster: str
    publicity_min_days: int = Field(default=5, ge=0, le=60)
    forms: list[FormSpec] = Field(min_length=1)
    notice: Notice = Notice()
    approval: Approval = Approval()
    # 民主测评 and surveys: many raters per candidate (ballots/spec.py)
    evaluations: list[EvaluationSpec] = []
    # rules over the register's history across rounds (register/rules.py)
    history: HistoryRules | None = None
    notes: list[str] = []


@dataclass(frozen=True)
class Entitlement:
    """What one unit receives of one form."""

    form_id: str
    receives: bool
    slots: int
    reasons: tuple[str, ...]  # why not, when it does not receive the form


@dataclass
class Round:
    """A loaded round: the spec, its rubrics and roster, and every unit's entitlements."""

    spec: RoundSpec
    path: Path
    rubrics: dict[str, Rubric]
    roster: Roster
    entitlements: dict[str, dict[str, Entitlement]]  # unit id → form id → entitlement
    applications: dict[str, Rubric] = field(default_factory=dict)  # form id → its 申报表
    _sheet_rubrics: dict[str, Rubric] = field(default_factory=dict, repr=False)
    source: LocatedYaml | None = field(default=None, repr=False)  # the file's lines, for errors

    def form(self, form_id: str) -> FormSpec:
        return next(f for f in self.spec.forms if f.id == form_id)

    def sheet_rubric(self, form_id: str) -> Rubric:
        """What a form's sheet is drawn from: its scored rubric, else its application form.

        A rubric field that asks for the nominee's name (窗口名称) is left out: the
        round sheet asks for it at the top.
        """
        if form_id not in self._sheet_rubrics:
            rubric = self.rubrics.get(form_id) or self.applications[form_id]
            nominee = self.form(form_id).nominee
            if nominee and any(f.label == nominee for f in rubric.fields):
                data = rubric.model_dump()
                data["fields"] = [f for f in data["fields"] if f["label"] != nominee]
                rubric = Rubric.model_validate(data)
            self._sheet_rubrics[form_id] = rubric
        return self._sheet_rubrics[form_id]

    @cached_property
    def content_hash(self) -> str:
        """Hash of everything that shapes the round's workbooks (signed into each)."""
        payload = {
            "spec": self.spec.model_dump(
                mode="json",
                exclude={
                    "notes": True,
                    "roster": True,
                    "deadline": True,
                    "title": True,
                    "notice": True,  # wording for reviewers only: the workbooks stay valid
                    "approval": True,  # the office's 审定 sheet in the summary, not the units'
                    "evaluations": True,  # ballots carry their own signed identity (ballots/)
                    "history": True,  # rules over past rounds (register/), not the workbooks
                    "period": True,  # where the decisions count in the register (publish)
                    # review: shapes the reviewers' workbooks, not the units' (review/spec.py)
                    "forms": {"__all__": {"slots_text", "notice_fields", "review", "period"}},
                },
            ),
            "rubrics": {k: r.content_hash for k, r in sorted(self.rubrics.items())},
            "applications": {k: r.content_hash for k, r in sorted(self.applications.items())},
        }
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @staticmethod
    def evaluate(expression: Expression, unit: Unit):
        """An expression of the round file over one unit's roster columns (see :func:`evaluate`)."""
        return evaluate(expression, unit)

    def slots_of(self, unit_id: str) -> dict[str, int]:
        """Forms the unit receives and how many slots of each (the workbook's sheets)."""
        per_form = self.entitlements.get(unit_id, {})
        return {
            f.id: per_form[f.id].slots
            for f in self.spec.forms
            if per_form.get(f.id) and per_form[f.id].receives
        }

    def plans(self, slots: dict[str, int], lang: str = "zh") -> list[tuple[SheetPlan, Rubric]]:
        """The sheets of a workbook with these forms and slots, in the round's form order."""
        out = []
        for form in self.spec.forms:
            count = slots.get(form.id, 0)
            group = [
                f for f in self.spec.forms if form.quota_group and f.quota_group == form.quota_group
            ]
            quota_forms = tuple(f.title for f in group if f.id in slots)
            quota = slots.get(group[0].id, count) if group else count  # as ingest counts it
            for slot in range(1, count + 1):
                numbered = bool(form.nominee)
                name = f"{form.title}-{slot}" if numbered else form.title
                subtitle, earlier = self.sheet_rubric(form.id).title, ()
                if numbered:
                    subtitle, earlier = nomination_subtitles(
                        form.title, slot, count, quota_forms, quota, lang
                    )
                plan = SheetPlan(
                    key=f"{form.id}-{slot}",
                    name=name,
                    form_id=form.id,
                    slot=slot,
                    subtitle=subtitle,
                    nominee_label=form.nominee or "",
                    application=self.applications.get(form.id) if form.id in self.rubrics else None,
                    publicity=form.publicity,
                    publicity_min_days=self.spec.publicity_min_days,
                    quota_forms=quota_forms if numbered else (),
                    quota=quota,
                    earlier_subtitles=earlier,
                )
                out.append((plan, self.sheet_rubric(form.id)))
        return out

    def book(self, slots: dict[str, int], lang: str = "zh") -> BookLayout:
        """The layout of a unit workbook with these forms and slots."""
        sheets = tuple(build_layout(rubric, lang, plan) for plan, rubric in self.plans(slots, lang))
        return BookLayout(sheets, self.spec.title)


def _coerce(value: str):
    """Roster text → number where it is one ("86" → 86, "12.5" → 12.5), else the text."""
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def unit_names(unit: Unit) -> dict:
    """The names an expression may use for a unit: its roster columns (Chinese headers as written)."""
    names = {key: _coerce(v) for key, v in unit.extra.items()}
    names.update(
        单位编号=unit.unit_id,
        单位名称=unit.name,
        主管单位=unit.parent,
        unit_id=unit.unit_id,
        name=unit.name,
        parent=unit.parent,
    )
    return names


def evaluate(expression: Expression, unit: Unit):
    if isinstance(expression, int):
        return expression
    return EvalWithCompoundTypes(names=unit_names(unit), functions=FUNCTIONS).eval(expression)


def shipped_rounds_dir() -> Path:
    """The round files shipped with xlsxflow (``sanchuang``, ``dangzhibu``)."""
    return shipped_dir("templates") / "rounds"


def shipped_round_names() -> list[str]:
    return sorted(p.stem for p in shipped_rounds_dir().glob("*.yaml"))


def resolve_round_path(name_or_path: str | Path) -> Path:
    """A round file's path as given, else the shipped round of that name (``dangzhibu``).

    Raises naming both readings when neither exists.
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = shipped_rounds_dir() / f"{path.stem}.yaml"
    if path.parent == Path(".") and path.suffix in ("", ".yaml", ".yml") and shipped.exists():
        return shipped
    raise XlsxflowError(
        make_issue(
            "round-file-missing", name=str(name_or_path), shipped="、".join(shipped_round_names())
        )
    )


def is_shipped_round_name(name: str | Path) -> bool:
    """Is ``name`` (not an existing path) the name of a shipped round?"""
    path = Path(name)
    return (
        not path.exists()
        and path.parent == Path(".")
        and (shipped_rounds_dir() / f"{path.stem}.yaml").exists()
    )


def load_round(path: str | Path, roster_path: str | Path | None = None) -> Round:
    """Load a round file with its rubrics and roster; raise naming file, line and roster row.

    ``path`` is a path or the name of a shipped round; ``roster_path`` overrides the
    roster the round file names.
    """
    path = resolve_round_path(path)
    label = path.name
    try:
        src = load_located(read_text(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise XlsxflowError(make_issue("round-unreadable", file=str(path), detail=exc)) from None
    except YamlSourceError as exc:
        raise XlsxflowError(
            make_issue("rubric-yaml", file=label, line=exc.line, detail=exc)
        ) from None
    try:
        spec = RoundSpec.model_validate(src.data if isinstance(src.data, dict) else {})
    except ValidationError as exc:
        raise XlsxflowError(
            [
                make_issue(
                    "round-schema",
                    file=label,
                    line=src.line_of(tuple(e["loc"])),
                    detail=f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}",
                )
                for e in exc.errors()
            ]
        ) from None
    problems = list(_check_spec(spec, src, label))
    if problems:
        raise XlsxflowError(problems)
    base = path.parent
    rubrics, applications = {}, {}
    for i, form in enumerate(spec.forms):
        for key, what, table in (
            ("rubric", "评分表", rubrics),
            ("application", "申报表", applications),
        ):
            ref = getattr(form, key)
            if not ref:
                continue
            candidate = base / ref
            try:
                table[form.id] = load_rubric(candidate if candidate.exists() else ref)
            except XlsxflowError as exc:
                line = src.line_of(("forms", i, key))
                raise XlsxflowError(
                    [
                        make_issue("round-bad-ref", file=label, line=line, what=what, ref=ref),
                        *exc.issues,
                    ]
                ) from None
    roster = load_roster(roster_path if roster_path else base / spec.roster)
    entitlements = compute_entitlements(spec, roster, src, label)
    rnd = Round(spec, path, rubrics, roster, entitlements, applications, source=src)
    unknown = [
        make_issue(
            "round-schema",
            file=label,
            line=src.line_of(("forms", i, "notice_fields")),
            detail=f"forms.{i}.notice_fields: “{name}”不是“{form.title}”表中的栏目"
            f"（可用：{'、'.join(f.label for f in rnd.sheet_rubric(form.id).fields)}）",
        )
        for i, form in enumerate(spec.forms)
        for name in form.notice_fields
        if name not in {f.label for f in rnd.sheet_rubric(form.id).fields}
    ]
    unknown += [  # a review scores items: an application form only (文明标兵) has none
        make_issue(
            "review-form-not-scored",
            file=label,
            line=src.line_of(("forms", i, "review")),
            form=form.title,
        )
        for i, form in enumerate(spec.forms)
        if form.review is not None
        and not rnd.sheet_rubric(form.id).scored
        and not (  # a conditions form: reviewers confirm its conditions (issue 14)
            rnd.sheet_rubric(form.id).has_conditions and form.review.confirm_conditions
        )
    ]
    if unknown:
        raise XlsxflowError(unknown)
    return rnd


def _check_periods(spec: RoundSpec, src: LocatedYaml, label: str) -> Iterator[Issue]:
    """Each ``period`` given (the round's, a form's, an evaluation's) is a period."""
    from .register.period import Period

    places = [(("period",), spec.period)]
    places += [(("forms", i, "period"), f.period) for i, f in enumerate(spec.forms)]
    places += [(("evaluations", i, "period"), e.period) for i, e in enumerate(spec.evaluations)]
    for where, value in places:
        if value is None:
            continue
        try:
            Period.parse(value)
        except ValueError:
            yield make_issue(
                "round-period",
                file=label,
                line=src.line_of(where),
                key=".".join(map(str, where)),
                value=value,
            )


def round_periods(spec: RoundSpec) -> dict[str, object]:
    """Each form's and evaluation's period (its own, else the round's; None: not given).

    Values are :class:`xlsxflow.register.Period`; the file was checked when loaded.
    """
    from .register.period import Period

    def parse(value):
        return None if value is None else Period.parse(value)

    default = parse(spec.period)
    out: dict[str, object] = {}
    for item in [*spec.forms, *spec.evaluations]:
        own = parse(item.period)
        out[item.id] = own if own is not None else default
    return out


def _check_spec(spec: RoundSpec, src: LocatedYaml, label: str) -> Iterator[Issue]:
    yield from _check_periods(spec, src, label)
    seen: dict[str, int | None] = {}
    for i, form in enumerate(spec.forms):
        line = src.line_of(("forms", i, "id"))
        if form.id in seen:
            yield make_issue(
                "rubric-duplicate-id", file=label, line=line, id=form.id, first_line=seen[form.id]
            )
        seen[form.id] = line
        if form.review is not None:
            yield from check_review_spec(form.review, src, ("forms", i, "review"), label)
        if not form.rubric and not form.application:
            yield make_issue(
                "round-schema",
                file=label,
                line=src.line_of(("forms", i)),
                detail=f"forms.{i}: 需要 rubric（评分表）或 application: true（申报表）",
            )
        for expr, where in _expressions(form, i):
            try:
                EvalWithCompoundTypes().parse(expr)
            except (SyntaxError, InvalidExpression) as exc:
                yield make_issue(
                    "round-expression",
                    file=label,
                    line=src.line_of(where),
                    expr=expr,
                    detail=str(exc) or type(exc).__name__,
                    unit="",
                )
    for i, ev in enumerate(spec.evaluations):
        line = src.line_of(("evaluations", i, "id"))
        if ev.id in seen:  # one id space: the 审定 sheet keys candidates by form or evaluation
            yield make_issue(
                "rubric-duplicate-id", file=label, line=line, id=ev.id, first_line=seen[ev.id]
            )
        seen[ev.id] = line
        yield from check_evaluation_spec(ev, src, ("evaluations", i), label)
        for expr, key in (
            (ev.cap, "cap"),
            *((g.expected, ("raters", j, "expected")) for j, g in enumerate(ev.raters)),
        ):
            if not isinstance(expr, str) or expr == "members":
                continue
            try:
                EvalWithCompoundTypes().parse(expr)
            except (SyntaxError, InvalidExpression) as exc:
                where = ("evaluations", i, *((key,) if isinstance(key, str) else key))
                yield make_issue(
                    "round-expression",
                    file=label,
                    line=src.line_of(where),
                    expr=expr,
                    detail=str(exc) or type(exc).__name__,
                    unit="",
                )


def _expressions(form: FormSpec, i: int):
    if isinstance(form.slots, str):
        yield form.slots, ("forms", i, "slots")
    for j, req in enumerate(form.requires):
        yield req.when, ("forms", i, "requires", j, "when")


def compute_entitlements(
    spec: RoundSpec, roster: Roster, src: LocatedYaml | None = None, label: str = "round.yaml"
) -> dict[str, dict[str, Entitlement]]:
    """Every unit's entitlement to every form; errors name the expression's line and the roster row."""
    out: dict[str, dict[str, Entitlement]] = {}
    errors: list[Issue] = []
    for unit in roster:
        per_form = {}
        for i, form in enumerate(spec.forms):
            reasons = []
            try:
                for j, req in enumerate(form.requires):
                    where = ("forms", i, "requires", j, "when")
                    if not evaluate(req.when, unit):
                        reasons.append(req.reason)
                where = ("forms", i, "slots")
                slots = evaluate(form.slots, unit)
                if isinstance(slots, bool) or not isinstance(slots, int | float) or slots < 0:
                    raise ValueError(f"名额应为非负整数，得到 {slots!r}")
                slots = int(slots)
            except Exception as exc:  # an expression that fails for this unit's values
                line = src.line_of(where) if src else None
                errors.append(
                    make_issue(
                        "round-expression",
                        file=label,
                        line=line,
                        expr=_expr_at(form, where),
                        detail=_explain(exc),
                        unit=f"（名单第 {unit.row} 行 {unit.unit_id} {unit.name}）",
                    )
                )
                continue
            receives = not reasons and slots > 0
            if not reasons and slots == 0:
                reasons.append(f"名额为 0（{form.slots}）")
            per_form[form.id] = Entitlement(
                form.id, receives, slots if receives else 0, tuple(reasons)
            )
        out[unit.unit_id] = per_form
    if errors:
        raise XlsxflowError(errors[:20])
    return out


def _expr_at(form: FormSpec, where: tuple) -> str:
    if where[-1] == "slots":
        return str(form.slots)
    return form.requires[where[3]].when


def _explain(exc: Exception) -> str:
    name = type(exc).__name__
    if name == "NameNotDefined":
        return f"名单中没有列“{getattr(exc, 'name', exc)}”"
    if isinstance(exc, TypeError):
        return f"数值类型不对（例如该单位此列为空或不是数字）：{exc}"
    return f"{name}: {exc}"


def starter_text(name: str = "sanchuang") -> tuple[str, str]:
    """A shipped round's text pointed at a roster beside the new file, and that roster's name.

    The shipped round names its sample roster (``../../samples/branches.csv``); the
    starter names the same file without the folder, to be copied beside it.
    """
    body = resolve_round_path(name).read_text(encoding="utf-8")
    lines = body.splitlines(keepends=True)
    roster_name = "roster.csv"
    for i, line in enumerate(lines):
        if line.startswith("# Check it with:"):
            lines[i] = "# Check it with:  xlsxflow round check <this file>\n"
        if line.startswith("roster:"):
            roster_name = Path(line.split(":", 1)[1].split("#", 1)[0].strip()).name
            lines[i] = f"roster: {roster_name}".ljust(36) + "# your roster, relative to this file\n"
        if "reviewers: ../../samples/" in line or "candidates: ../../samples/" in line:
            lines[i] = line.replace("../../samples/", "")  # sample files copied beside it
    return "".join(lines), roster_name


def uncomment_review(text: str) -> str:
    """A round file's text with its commented ``# review:`` examples made live.

    The shipped rounds carry each form's review section commented out (four spaces,
    ``# review:``, then ``#   …`` lines); the demo runs the round with them.
    """
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("    # review:"):
            inside = True
        elif inside and not line.startswith("    #  "):
            inside = False
        out.append("    " + line[6:] if inside else line)
    return "".join(out)


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` screen columns (CJK characters take two)."""
    return text + " " * max(width - display_width(text), 1)


def _quota_groups(spec: RoundSpec) -> list[list[FormSpec]]:
    """Forms by quota: a shared quota (``quota_group``) once, with all its forms, in form order."""
    groups: dict[str, list[FormSpec]] = {}
    for form in spec.forms:
        groups.setdefault(form.quota_group or form.id, []).append(form)
    return list(groups.values())


def _group_slots(rnd: Round, unit_id: str, forms: list[FormSpec]) -> int | None:
    """A unit's slots of one quota (the group's first form's count, as ingest counts it)."""
    e = rnd.entitlements[unit_id][forms[0].id]
    return e.slots if e.receives else None


def outline(rnd: Round) -> str:
    """Forms, who receives them and how many slots, unit by unit (a shared quota once)."""
    spec = rnd.spec
    lines = [
        f"{spec.title}（{spec.year}），截止 {spec.deadline or '—'}，名单 {len(rnd.roster)} 个单位",
    ]
    if any(f.publicity for f in spec.forms):
        lines.append(f"公示不少于 {spec.publicity_min_days} 天")
    lines.append("")
    groups = _quota_groups(spec)
    for forms in groups:
        counts = [_group_slots(rnd, u.unit_id, forms) for u in rnd.roster]
        units = sum(c is not None for c in counts)
        total = sum(c or 0 for c in counts)
        if len(forms) > 1:
            titles = "、".join(f.title for f in forms)
            lines.append(
                f"{pad(forms[0].quota_group or '', 10)}{titles} 合用名额: {units} 个单位, "
                f"共 {total} 个名额（{len(forms)} 表合计，不是各 {total} 个）"
            )
        for form in forms:
            kind = [
                f"评分表 {rnd.rubrics[form.id].id}" if form.id in rnd.rubrics else "",
                "按条件定星"
                if form.id in rnd.rubrics and rnd.rubrics[form.id].has_conditions
                else "",
                f"申报表 {rnd.applications[form.id].id}" if form.id in rnd.applications else "",
                "公示" if form.publicity else "",
            ]
            detail = f"[{', '.join(k for k in kind if k)}]"
            if len(forms) > 1:
                lines.append(f"  {pad(form.id, 10)}{form.title}  {detail}")
            else:
                lines.append(
                    f"{pad(form.id, 10)}{form.title}: {units} 个单位, 共 {total} 个名额  {detail}"
                )
    lines.append("")
    heads = ["/".join(f.title for f in forms) for forms in groups]
    widths = [max(display_width(h), 4) + 2 for h in heads]
    name_width = min(max(display_width(u.name) for u in rnd.roster), 30) + 2
    rows = [["单位编号", "单位名称", *heads]]
    for unit in rnd.roster:
        counts = [_group_slots(rnd, unit.unit_id, forms) for forms in groups]
        rows.append([unit.unit_id, unit.name, *("—" if c is None else str(c) for c in counts)])
    for row in rows:
        cells = [pad(row[0], 10), pad(row[1], name_width)]
        cells += [pad(cell, width) for cell, width in zip(row[2:], widths, strict=True)]
        lines.append("".join(cells).rstrip())
    reasons = sorted({r for u in rnd.entitlements.values() for e in u.values() for r in e.reasons})
    if reasons:
        lines += ["", "不能参加的原因 reasons:"] + [f"  - {unfold(r)}" for r in reasons]
    if spec.notes:
        lines += ["", "说明 notes:"] + [f"  - {unfold(n)}" for n in spec.notes]
    return "\n".join(lines)
