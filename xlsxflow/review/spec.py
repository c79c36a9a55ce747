"""Review (评审): who reviews each unit, and how reviewers' scores become the decision.

In every seed the self-score (自评分) is only the application; the decision rests on
what reviewers score afterwards (000 附件1–3: 自评分 and 实评分 columns; 000 红旗党支部:
“党委考核测评”, 自评得分 and 考核得分; 001: a 测评组 visits each unit and scores item by
item; 003 篇1: the final star combines “自评、测评和考评”).  A form of a round file says
how in its ``review`` section (documented in ``templates/README.md``)::

    review:
      reviewers: reviewers.csv           # 评审人编号, 姓名, 邮箱, 测评组
      assign: all                        # | {by_group: {第一测评组: [CZJ, JYJ]}} | {units: {CZJ: [R01]}}
      combine: trimmed_mean              # mean | median | trimmed_mean
      trim_min: 5
      basis: composite                   # self | review | composite
      weights: {self: 0.3, review: 0.7}  # required for composite: the seeds give none
      confirm_conditions: true           # a conditions form: reviewers confirm each condition
      conditions_rule: all               # all | majority: how several reviewers' confirmations combine

This module holds that section's model, the reviewers file, the assignment of
reviewers to units, and the pure computations (combining, rounding, the decision
score, 自评虚高 flags, disagreements).  Numbers are exact (``fractions`` and
``decimal``), so a mean of 8.25 rounds the way the round file says, never by a
binary float's accident.

The round file's schema is checked when the round loads (``load_round``); the
reviewers file and the references into it are checked by :func:`load_review`
(``xlsxflow round check`` and the review commands), so a round's unit workbooks
can be generated before its reviewers are named.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import floor
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..messages import Issue, XlsxflowError, make_issue
from ..roster import EMAIL_RE, Unit, id_and_name_problem, norm_header, read_rows
from ..yamlsrc import LocatedYaml

if TYPE_CHECKING:  # roundfile imports this module's model; no import back at run time
    from ..roundfile import Round

Method = Literal["mean", "median", "trimmed_mean"]
Basis = Literal["self", "review", "composite"]
Rule = Literal["half_up", "half_even"]
Score = int | float | Decimal | Fraction


# -- the round file's review section ----------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rounding(_Model):
    """How a combined item score is rounded.

    ``step: item`` (the default) rounds to the item's own step in the rubric (1, or 0.5
    for half-point rubrics): a combined score is then one a reviewer could have entered,
    and totals stay on the grid the rubric's bands are checked against.
    """

    step: Literal["item", 1, 0.5, 0.1, 0.01] = "item"
    rule: Rule = "half_up"  # half_up: 四舍五入 (8.25 → 8.5 at half points); half_even: to even


class Weights(_Model):
    """A composite's weights: the self-score's and the reviewed score's share (sum 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    self_weight: float = Field(alias="self", ge=0, le=1)
    review_weight: float = Field(alias="review", ge=0, le=1)


class Gap(_Model):
    """自评虚高: self − review above ``item`` points on one item, or above ``total`` in all."""

    item: float | None = Field(default=None, ge=0)
    total: float | None = Field(default=None, ge=0)


class AssignByGroup(_Model):
    by_group: dict[str, list[str]] = Field(min_length=1)  # 测评组 → unit or 主管单位 ids


class AssignUnits(_Model):
    units: dict[str, list[str]] = Field(min_length=1)  # unit id → reviewer ids


class ReviewSpec(_Model):
    """A form's ``review`` section of the round file."""

    reviewers: str = Field(min_length=1)  # the reviewers file, relative to the round file
    assign: Literal["all"] | AssignByGroup | AssignUnits = "all"
    combine: Method = "mean"
    trim_min: int = Field(default=5, ge=3, le=1000)
    rounding: Rounding = Rounding()
    basis: Basis = "review"
    weights: Weights | None = None
    threshold: float | None = Field(default=None, ge=0, le=10000)  # on the decision basis
    gap: Gap = Gap()
    spread: float | None = Field(default=None, ge=0)
    confirm_vetoes: bool = True
    confirm_prerequisites: bool = True
    # a form decided by conditions (issue 14): reviewers confirm each condition the unit
    # answered, and a condition holds when ``all`` (default) or a ``majority`` of the
    # counted reviewers confirm it (review/confirm.py says why)
    confirm_conditions: bool = True
    conditions_rule: Literal["all", "majority"] = "all"

    @field_validator("assign", mode="before")
    @classmethod
    def _one_way(cls, value):
        wrong = "assign 只能是 all、by_group: {测评组: [单位编号 …]} 或 units: {单位编号: [评审人编号 …]}"
        if isinstance(value, str) and value != "all":
            raise ValueError(wrong)
        if isinstance(value, dict) and (len(value) != 1 or set(value) - {"by_group", "units"}):
            raise ValueError(wrong)
        return value


def check_review_spec(
    review: ReviewSpec, src: LocatedYaml, at: tuple, label: str
) -> Iterator[Issue]:
    """Meaning checks of one review section (``at``: its key path), each naming its line."""
    if review.basis == "composite" and review.weights is None:
        yield make_issue("review-weights-missing", file=label, line=src.line_of((*at, "basis")))
    if review.weights is not None:
        line = src.line_of((*at, "weights"))
        if review.basis != "composite":
            yield make_issue("review-weights-unused", file=label, line=line, basis=review.basis)
        total = _decimal(review.weights.self_weight) + _decimal(review.weights.review_weight)
        if total != 1:
            yield make_issue("review-weights-sum", file=label, line=line, total=total)
    if "trim_min" in review.model_fields_set and review.combine != "trimmed_mean":
        yield make_issue(
            "review-trim-unused",
            file=label,
            line=src.line_of((*at, "trim_min")),
            combine=review.combine,
        )


# -- the reviewers file ----------------------------------------------------------------

REVIEWER_ALIASES: dict[str, tuple[str, ...]] = {
    "reviewer_id": ("评审人编号", "评审员编号", "编号", "reviewer_id", "id"),
    "name": ("姓名", "评审人", "评审人姓名", "name"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    "group": ("测评组", "评审组", "考核组", "组别", "group"),
}
_REVIEWER_LOOKUP = {norm_header(a): k for k, aliases in REVIEWER_ALIASES.items() for a in aliases}


@dataclass(frozen=True)
class Reviewer:
    reviewer_id: str
    name: str
    email: str = ""
    group: str = ""  # 测评组 ("" when none)
    row: int = 0  # 1-based row in the reviewers file (header is row 1)


@dataclass
class Reviewers:
    reviewers: list[Reviewer]
    source: str = ""

    def __post_init__(self):
        self._by_id = {r.reviewer_id: r for r in self.reviewers}

    def get(self, reviewer_id: str) -> Reviewer | None:
        return self._by_id.get(reviewer_id)

    def __len__(self) -> int:
        return len(self.reviewers)

    def __iter__(self):
        return iter(self.reviewers)

    def groups(self) -> dict[str, list[Reviewer]]:
        """Reviewers by 测评组, groups in the order they first appear (no group left out)."""
        out: dict[str, list[Reviewer]] = {}
        for reviewer in self.reviewers:
            if reviewer.group:
                out.setdefault(reviewer.group, []).append(reviewer)
        return out


def load_reviewers(path: str | Path) -> Reviewers:
    """Read a reviewers file (CSV UTF-8/GBK or xlsx); raise naming every bad row."""
    path = Path(path)
    return parse_reviewer_rows(read_rows(path, "reviewers-unreadable"), path.name)


def parse_reviewer_rows(rows: list[list[str]], label: str = "<reviewers>") -> Reviewers:
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise XlsxflowError(make_issue("reviewers-empty", file=label))
    header = [str(h).strip() for h in rows[0]]
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _REVIEWER_LOOKUP.get(norm_header(text))
        if key and key not in columns:
            columns[key] = index
    missing = [n for n, k in (("评审人编号", "reviewer_id"), ("姓名", "name")) if k not in columns]
    if missing:
        raise XlsxflowError(
            [make_issue("reviewers-missing-column", file=label, line=1, column=m) for m in missing]
        )
    errors: list[Issue] = []
    reviewers: list[Reviewer] = []
    first_row: dict[str, int] = {}
    for row_no, raw in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in raw] + [""] * len(header)
        rid, name, email, group = (
            cells[columns[k]] if k in columns else "" for k in REVIEWER_ALIASES
        )
        if problem := id_and_name_problem("reviewers", label, row_no, rid, name, first_row):
            errors.append(problem)
            continue
        if email and not EMAIL_RE.match(email):
            errors.append(
                make_issue("reviewers-bad-email", file=label, line=row_no, id=rid, email=email)
            )
            continue
        reviewers.append(Reviewer(rid, name, email, group, row_no))
    if errors:
        raise XlsxflowError(errors)
    if not reviewers:
        raise XlsxflowError(make_issue("reviewers-empty", file=label))
    return Reviewers(reviewers, source=label)


# -- assignment: who reviews which unit ------------------------------------------------


@dataclass
class FormReview:
    """One form's review: its section, its reviewers and each unit's reviewers."""

    form_id: str
    title: str
    spec: ReviewSpec
    reviewers: Reviewers
    by_unit: dict[str, tuple[str, ...]]  # unit id (receiving the form) → reviewer ids
    units: list[Unit]  # the units receiving the form, in roster order


@dataclass
class RoundReview:
    """A round's review: the forms that have one, and what resolving them found."""

    forms: dict[str, FormReview]
    warnings: list[Issue] = field(default_factory=list)

    def reviewers_of(self, unit_id: str, form_id: str) -> list[Reviewer]:
        """The reviewers of one unit's form (empty when none, or the form has no review)."""
        form = self.forms.get(form_id)
        if form is None:
            return []
        return [form.reviewers.get(r) for r in form.by_unit.get(unit_id, ())]

    def units_of(self, reviewer_id: str, form_id: str) -> list[Unit]:
        """The units one reviewer reviews for a form, in roster order."""
        form = self.forms.get(form_id)
        if form is None:
            return []
        return [u for u in form.units if reviewer_id in form.by_unit.get(u.unit_id, ())]

    def unassigned(self, form_id: str) -> list[Unit]:
        """Units receiving the form that no reviewer reviews."""
        form = self.forms[form_id]
        return [u for u in form.units if not form.by_unit.get(u.unit_id)]


def load_review(rnd: Round) -> RoundReview:
    """Load each form's reviewers file and resolve its assignment.

    Raises naming the round file and line for a reviewer, group or unit that does
    not exist; a unit left without a reviewer is a warning (``RoundReview.warnings``).
    """
    src = rnd.source or LocatedYaml({}, {(): 1})
    label = rnd.path.name
    loaded: dict[Path, Reviewers] = {}
    forms: dict[str, FormReview] = {}
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for i, form in enumerate(rnd.spec.forms):
        spec = form.review
        if spec is None:
            continue
        at = ("forms", i, "review")
        path = rnd.path.parent / spec.reviewers
        if path not in loaded:
            if not path.is_file():
                raise XlsxflowError(
                    make_issue(
                        "reviewers-unreadable",
                        file=label,
                        line=src.line_of((*at, "reviewers")),
                        detail=f"找不到文件 {spec.reviewers}（相对于本轮文件）",
                    )
                )
            loaded[path] = load_reviewers(path)
        reviewers = loaded[path]
        units = [
            u
            for u in rnd.roster
            if (e := rnd.entitlements.get(u.unit_id, {}).get(form.id)) and e.receives
        ]
        by_unit, problems = _resolve(spec, form.title, reviewers, rnd, units, src, at, label)
        for issue in problems:
            (errors if issue.severity == "error" else warnings).append(issue)
        assign_line = src.line_of((*at, "assign"))
        warnings += [
            make_issue(
                "review-unit-unassigned",
                file=label,
                line=assign_line,
                form=form.title,
                unit=u.name,
                id=u.unit_id,
            )
            for u in units
            if not by_unit.get(u.unit_id)
        ]
        forms[form.id] = FormReview(form.id, form.title, spec, reviewers, by_unit, units)
    if errors:
        raise XlsxflowError(errors)
    return RoundReview(forms, warnings)


def _resolve(
    spec: ReviewSpec,
    form_title: str,
    reviewers: Reviewers,
    rnd: Round,
    units: list[Unit],
    src: LocatedYaml,
    at: tuple,
    label: str,
) -> tuple[dict[str, tuple[str, ...]], list[Issue]]:
    receiving = {u.unit_id for u in units}
    out: dict[str, list[str]] = {u.unit_id: [] for u in units}
    problems: list[Issue] = []
    names = {"reviewers": reviewers.source, "roster": rnd.roster.source or "名单"}

    def add(unit_id: str, ids: Sequence[str]) -> None:
        out[unit_id] += [r for r in ids if r not in out[unit_id]]

    def flag(code: str, where: tuple, **fields) -> None:
        """A problem at the round file's line for ``where``."""
        problems.append(make_issue(code, file=label, line=src.line_of(where), **fields))

    if spec.assign == "all":
        for unit_id in out:
            add(unit_id, [r.reviewer_id for r in reviewers])
    elif isinstance(spec.assign, AssignByGroup):
        groups = reviewers.groups()
        for group, ids in spec.assign.by_group.items():
            where = (*at, "assign", "by_group", group)
            if group not in groups:
                flag(
                    "review-unknown-group",
                    where,
                    group=group,
                    groups="、".join(groups) or "无",
                    **names,
                )
                continue
            members = [r.reviewer_id for r in groups[group]]
            for j, unit_id in enumerate(ids):
                unit_id = str(unit_id)
                if rnd.roster.get(unit_id) is None:
                    flag("review-unknown-unit", (*where, j), id=unit_id, **names)
                    continue
                covered = [
                    u.unit_id for u in rnd.roster if unit_id in (u.unit_id, u.parent)
                ]  # the unit and, for a 主管单位, every unit under it
                hits = [u for u in covered if u in receiving]
                if not hits:
                    flag("review-unit-not-in-form", (*where, j), id=unit_id, form=form_title)
                for hit in hits:
                    add(hit, members)
    else:
        for unit_id, ids in spec.assign.units.items():
            where = (*at, "assign", "units", unit_id)
            if rnd.roster.get(unit_id) is None:
                flag("review-unknown-unit", where, id=unit_id, **names)
                continue
            known = []
            for j, rid in enumerate(ids):
                rid = str(rid)
                if reviewers.get(rid) is None:
                    flag("review-unknown-reviewer", (*where, j), id=rid, **names)
                else:
                    known.append(rid)
            if unit_id not in receiving:
                flag("review-unit-not-in-form", where, id=unit_id, form=form_title)
                continue
            add(unit_id, known)
    return {k: tuple(v) for k, v in out.items()}, problems


# -- the computations ------------------------------------------------------------------


def _fraction(value: Score) -> Fraction:
    """A score exactly as written: 8.1 (a float) is 81/10, not the binary float's value."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def _decimal(value: Score) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def round_to_step(value: Score, step: Score, rule: Rule = "half_up") -> Decimal:
    """``value`` rounded to a multiple of ``step``, exactly.

    ``half_up`` (四舍五入) takes a value half-way between two steps away from zero
    (8.25 → 8.5 and 8.75 → 9 at half points; 8.5 → 9 at whole points); ``half_even``
    takes the even multiple.
    """
    size = _fraction(step)
    quotient = _fraction(value) / size
    if rule == "half_up":
        magnitude = floor(abs(quotient) + Fraction(1, 2))
        count = magnitude if quotient >= 0 else -magnitude
    else:
        count = round(quotient)
    return Decimal(count) * _decimal(step)


@dataclass(frozen=True)
class Combined:
    """Several reviewers' scores of one item, combined."""

    value: Decimal  # rounded as the round file says: the 实评分 of the item
    exact: Fraction  # before rounding
    method: Method  # as applied: mean when a trimmed mean had too few scores
    dropped: tuple[Decimal, ...] = ()  # the highest and lowest a trimmed mean left out
    note: Issue | None = None  # why the method applied differs from the one asked


def combine(
    scores: Sequence[Score],
    method: Method = "mean",
    trim_min: int = 5,
    step: Score = 1,
    rule: Rule = "half_up",
) -> Combined:
    """Combine one item's scores (one per reviewer) and round the result to ``step``.

    ``mean``: the average; ``median``: the middle score, or the average of the two middle
    ones for an even count; ``trimmed_mean``: with at least ``trim_min`` scores, one
    highest and one lowest are left out and the rest averaged — with fewer, the plain
    mean (``note`` says so).  Raises ``ValueError`` for no scores.
    """
    if not scores:
        raise ValueError("combine() needs at least one score")
    exact = sorted(_fraction(s) for s in scores)
    used: Method = method
    dropped: tuple[Decimal, ...] = ()
    note = None
    if method == "median":
        value = statistics.median(exact)
        value = value if isinstance(value, Fraction) else Fraction(value)
    elif method == "trimmed_mean" and len(exact) >= trim_min:
        dropped = (_decimal(exact[-1]), _decimal(exact[0]))
        value = sum(exact[1:-1], Fraction(0)) / (len(exact) - 2)
    else:
        if method == "trimmed_mean":
            used = "mean"
            note = make_issue("review-trim-fallback", count=len(exact), trim_min=trim_min)
        value = sum(exact, Fraction(0)) / len(exact)
    return Combined(round_to_step(value, step, rule), value, used, dropped, note)


def item_step(spec: ReviewSpec, rubric_step: Score) -> Score:
    """The step a combined item score rounds to: the round file's, else the item's own."""
    return rubric_step if spec.rounding.step == "item" else spec.rounding.step


def _weights(weights: Weights | Mapping[str, Score] | None) -> tuple[Decimal, Decimal] | None:
    if weights is None:
        return None
    if isinstance(weights, Weights):
        return _decimal(weights.self_weight), _decimal(weights.review_weight)
    if "self" not in weights or "review" not in weights:
        return None
    return _decimal(weights["self"]), _decimal(weights["review"])


def decision_score(
    self_total: Score | None,
    review_total: Score | None,
    basis: Basis,
    weights: Weights | Mapping[str, Score] | None = None,
) -> Decimal | None:
    """The score a decision rests on: the self total, the reviewed total, or a composite.

    ``composite`` is ``self × w_self + review × w_review``, exact and not rounded (a
    threshold is never crossed by rounding).  Weights are required for it and must sum
    to 1 — there are no default weights (the seeds give none).  ``None`` when the
    score it needs is missing (not reviewed yet).
    """
    if basis == "self":
        return None if self_total is None else _decimal(self_total)
    if basis == "review":
        return None if review_total is None else _decimal(review_total)
    pair = _weights(weights)
    if pair is None:
        raise XlsxflowError(make_issue("review-weights-missing"))
    if sum(pair) != 1:
        raise XlsxflowError(make_issue("review-weights-sum", total=sum(pair)))
    if self_total is None or review_total is None:
        return None
    return pair[0] * _decimal(self_total) + pair[1] * _decimal(review_total)


@dataclass(frozen=True)
class GapFlag:
    """自评虚高: the self-score exceeds the reviewed score by more than the limit."""

    item_id: str  # "" for the total
    self_score: Decimal
    review_score: Decimal
    difference: Decimal  # self − review
    limit: Decimal


def gap_flags(
    self_items: Mapping[str, Score],
    review_items: Mapping[str, Score],
    gap: Gap | Mapping[str, Score | None],
) -> list[GapFlag]:
    """Items whose self − review is above ``gap.item``, then the total above ``gap.total``.

    Only items scored on both sides count; the total is the sum of those items (bonus
    points are not part of it).  A limit left unset flags nothing.
    """
    if not isinstance(gap, Gap):
        gap = Gap.model_validate(dict(gap))
    common = [k for k in review_items if k in self_items]
    flags: list[GapFlag] = []
    if gap.item is not None:
        limit = _decimal(gap.item)
        for key in common:
            mine, theirs = _decimal(self_items[key]), _decimal(review_items[key])
            if mine - theirs > limit:
                flags.append(GapFlag(key, mine, theirs, mine - theirs, limit))
    if gap.total is not None and common:
        limit = _decimal(gap.total)
        mine = sum((_decimal(self_items[k]) for k in common), Decimal(0))
        theirs = sum((_decimal(review_items[k]) for k in common), Decimal(0))
        if mine - theirs > limit:
            flags.append(GapFlag("", mine, theirs, mine - theirs, limit))
    return flags


@dataclass(frozen=True)
class Disagreement:
    """An item on which the reviewers of one unit differ by more than the spread."""

    item_id: str
    scores: dict[str, Decimal]  # reviewer id → score
    low: Decimal
    high: Decimal

    @property
    def difference(self) -> Decimal:
        return self.high - self.low


def disagreements(
    scores_by_reviewer: Mapping[str, Mapping[str, Score]], spread: Score | None
) -> list[Disagreement]:
    """Items where the highest and lowest reviewer differ by more than ``spread``.

    Items come in the order first seen; an item scored by one reviewer only cannot
    disagree.  ``spread`` unset (``None``) lists nothing.
    """
    if spread is None:
        return []
    limit = _decimal(spread)
    by_item: dict[str, dict[str, Decimal]] = {}
    for reviewer, items in scores_by_reviewer.items():
        for item, score in items.items():
            by_item.setdefault(item, {})[reviewer] = _decimal(score)
    out = []
    for item, scores in by_item.items():
        if len(scores) < 2:
            continue
        low, high = min(scores.values()), max(scores.values())
        if high - low > limit:
            out.append(Disagreement(item, scores, low, high))
    return out


# -- the outline (xlsxflow round check) ------------------------------------------------

_CONDITIONS_RULE_TEXT = {
    "all": "每位评审人均认定成立，该条件才成立（一人认定不属实即不成立）",
    "majority": "过半数评审人认定成立，该条件才成立（相持时不成立）",
}
_METHOD_TEXT = {"mean": "平均值", "median": "中位数", "trimmed_mean": "截尾平均"}
_BASIS_TEXT = {"self": "自评分", "review": "实评分（评审人评分）", "composite": "综合分"}


def _num(value: Score) -> str:
    return format(_decimal(value).normalize(), "f")


def review_outline(rnd: Round, review: RoundReview) -> str:
    """Each form's review in plain Chinese, and the units left without a reviewer."""
    lines: list[str] = []
    for form in rnd.spec.forms:
        fr = review.forms.get(form.id)
        if fr is None:
            continue
        spec = fr.spec
        lines.append(f"评审 review：{form.title}（{form.id}）")
        groups = fr.reviewers.groups()
        group_text = "、".join(f"{g} {len(m)} 人" for g, m in groups.items())
        lines.append(
            f"  评审人：{fr.reviewers.source}，{len(fr.reviewers)} 人"
            + (f"（{group_text}）" if groups else "")
        )
        lines.append(f"  分配：{_assign_text(spec)}")
        counts = [len(fr.by_unit.get(u.unit_id, ())) for u in fr.units]
        if counts:
            lines.append(
                f"  参加本表的 {len(fr.units)} 个单位，每个单位 {min(counts)}–{max(counts)} 名评审人"
                if min(counts) != max(counts)
                else f"  参加本表的 {len(fr.units)} 个单位，每个单位 {counts[0]} 名评审人"
            )
        lines.append(f"  合分：{_combine_text(spec)}")
        lines.append(f"  决定依据：{_basis_text(spec)}")
        if spec.threshold is not None:
            lines.append(
                f"  命名门槛：{_BASIS_TEXT[spec.basis]}达到 {_num(spec.threshold)} 分"
                "（申报条件仍按评分表，用自评分）"
            )
        if spec.gap.item is not None or spec.gap.total is not None:
            parts = []
            if spec.gap.item is not None:
                parts.append(f"单项自评分比实评分多出超过 {_num(spec.gap.item)} 分")
            if spec.gap.total is not None:
                parts.append(f"合计多出超过 {_num(spec.gap.total)} 分")
            lines.append(f"  自评虚高：{'，或'.join(parts)}时标出（等于不标）")
        if spec.spread is not None:
            lines.append(
                f"  评审分歧：同一单位同一项评审人之间相差超过 {_num(spec.spread)} 分时列出，供测评组讨论"
            )
        conditional = form.id in rnd.rubrics and rnd.rubrics[form.id].has_conditions
        confirms = [
            "否决事项（属实/不属实）" if spec.confirm_vetoes else "",
            "申报条件" if spec.confirm_prerequisites else "",
            "定星条件（属实/不属实，或评审认定的等级、实测数值）"
            if conditional and spec.confirm_conditions
            else "",
        ]
        confirms = [c for c in confirms if c]
        lines.append(f"  评审人确认：{'、'.join(confirms)}" if confirms else "  评审人确认：不需要")
        if conditional and spec.confirm_conditions:
            lines.append(f"  定星条件认定：{_CONDITIONS_RULE_TEXT[spec.conditions_rule]}")
        missing = review.unassigned(form.id)
        if missing:
            lines.append(f"  没有评审人的单位（{len(missing)} 个）：")
            lines += [f"    {u.unit_id} {u.name}" for u in missing]
        lines.append("")
    return "\n".join(lines).rstrip()


def _assign_text(spec: ReviewSpec) -> str:
    if spec.assign == "all":
        return "每位评审人评审每个单位"
    if isinstance(spec.assign, AssignByGroup):
        parts = [f"{g} → {'、'.join(map(str, ids))}" for g, ids in spec.assign.by_group.items()]
        return "按测评组（主管单位含其下属单位）：" + "；".join(parts)
    return f"逐个单位指定（{len(spec.assign.units)} 个单位）"


def _combine_text(spec: ReviewSpec) -> str:
    if spec.combine == "trimmed_mean":
        how = (
            f"每项取各评审人评分的截尾平均：至少 {spec.trim_min} 个评分时去掉一个最高分和一个最低分再平均，"
            f"不足 {spec.trim_min} 个时取平均值"
        )
    elif spec.combine == "median":
        how = "每项取各评审人评分的中位数（偶数个时取中间两个的平均）"
    else:
        how = "每项取各评审人评分的平均值"
    step = (
        "本项计分步长（整分或半分）"
        if spec.rounding.step == "item"
        else f"{_num(spec.rounding.step)} 分"
    )
    rule = "四舍五入" if spec.rounding.rule == "half_up" else "四舍六入五成双"
    return f"{how}；按{step}{rule}"


def _basis_text(spec: ReviewSpec) -> str:
    if spec.basis == "composite" and spec.weights is not None:
        return (
            f"综合分 = 自评分 × {_num(spec.weights.self_weight)}"
            f" + 实评分 × {_num(spec.weights.review_weight)}"
        )
    return _BASIS_TEXT[spec.basis]
