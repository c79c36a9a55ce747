"""Rubrics: the scored table of a round, loaded from YAML and checked thoroughly.

The format is documented in ``templates/README.md``.  Loading validates the
structure (pydantic) and the meaning (unique ids, totals, bands) and names the
file and line of every problem.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from wcwidth import wcswidth, wcwidth

from .messages import Issue, XlsxflowError, make_issue
from .yamlsrc import LocatedYaml, YamlSourceError, load_located, read_text

FieldId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")]
Points = Annotated[float, Field(gt=0, le=10000)]
Step = Literal[1, 0.5]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotApplicable(_Model):
    """An item some units may mark 不适用 (e.g. 无职工食堂单位除外), and how it then counts.

    ``full``: counted as full points, so the totals stay on the rubric's scale;
    ``rescale``: left out, and the subtotal is scaled back up to the rubric's total
    (counted subtotal = sum of the other items × total ÷ (total − the items left out)).
    """

    when: str = Field(min_length=1)  # who may mark it, shown in the cell's input message
    counts: Literal["full", "rescale"]


class Item(_Model):
    """One scored line: 内容 and 分值."""

    id: FieldId
    text: str = Field(min_length=1)
    max: Points
    step: Step | None = None  # None: the rubric's default step
    not_applicable: NotApplicable | None = None  # may a unit mark it 不适用, and how it counts


class Section(_Model):
    """A 项目: a group of items with its own subtotal."""

    id: FieldId
    name: str = Field(min_length=1)
    items: list[Item] = Field(min_length=1)

    @property
    def max(self) -> float:
        return sum(item.max for item in self.items)


class BonusItem(_Model):
    """One 加分 line, e.g. 获国家级荣誉 → 6; the unit enters 0 or the points."""

    id: FieldId
    text: str = Field(min_length=1)
    points: Points


class Bonus(_Model):
    name: str = "综合性荣誉加分"
    mode: Literal["highest", "sum"] = "highest"
    cap: Points | None = None
    items: list[BonusItem] = Field(min_length=1)

    @property
    def max(self) -> float:
        raw = (
            max(i.points for i in self.items)
            if self.mode == "highest"
            else sum(i.points for i in self.items)
        )
        return min(raw, self.cap) if self.cap is not None else raw


class Declaration(_Model):
    """A yes/no statement; with ``veto`` a “是” bars the unit (一票否决)."""

    id: FieldId
    text: str = Field(min_length=1)
    veto: bool = True


class FormField(_Model):
    """A non-scored input: 填报人, 联系电话, 填报日期 …"""

    id: FieldId
    label: str = Field(min_length=1)
    # month: a year and month (出生年月), typed as 1985年6月, 1985-06, 1985.6, 1985/6 or a date
    type: Literal["text", "date", "month", "choice", "integer"] = "text"
    required: bool = False
    max_length: int | None = Field(default=None, ge=1, le=32767)
    about: int | None = Field(default=None, ge=1)  # “N字左右”: printed after the label
    choices: list[str] | None = None
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _choices_for_choice(self):
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice field needs `choices`")
        if self.type != "choice" and self.choices:
            raise ValueError("`choices` belongs to type: choice")
        if self.about is not None and (self.type != "text" or not self.max_length):
            raise ValueError("`about` belongs to a text field with `max_length`")
        if self.about is not None and self.about > self.max_length:
            raise ValueError("`about` is more than `max_length`")
        return self

    @property
    def shown_label(self) -> str:
        """The label as printed: with “（200字左右）” when the field says ``about``."""
        return f"{self.label}（{self.about}字左右）" if self.about else self.label


class Choose(_Model):
    """At least ``min`` of some yes/no choice fields answered 是 (附件7: 推荐类别, tick one or more)."""

    label: str = Field(min_length=1)
    fields: list[FieldId] = Field(min_length=2)
    min: int = Field(default=1, ge=1)


class Threshold(_Model):
    """Who may apply: e.g. 自评分达到 90 分以上（不含加分）."""

    on: Literal["subtotal", "total"] = "subtotal"
    min: float
    reason: str | None = None  # shown to the unit when not met; a default is built


class Band(_Model):
    """A star level; ``min`` inclusive, then ``max`` inclusive or ``below`` exclusive."""

    name: str = Field(min_length=1)
    min: float | None = None
    max: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_upper(self):
        if self.max is not None and self.below is not None:
            raise ValueError("give `max` (inclusive) or `below` (exclusive), not both")
        return self

    def contains(self, value: float) -> bool:
        if self.min is not None and value < self.min:
            return False
        if self.max is not None and value > self.max:
            return False
        return not (self.below is not None and value >= self.below)


class Bands(_Model):
    on: Literal["total", "subtotal"] = "total"
    levels: list[Band] = Field(min_length=1)


class Indicator(_Model):
    """A target that is met or not, not points: e.g. 服务用房总面积 ≥ 300 平方米 (seed 004)."""

    id: FieldId
    text: str = Field(min_length=1)
    unit: str = ""  # 平方米, 本, % …
    op: Literal[">=", ">", "<=", "<"] = ">="
    target: float

    def met(self, value: float) -> bool:
        return {
            ">=": value >= self.target,
            ">": value > self.target,
            "<=": value <= self.target,
            "<": value < self.target,
        }[self.op]

    @property
    def target_text(self) -> str:
        return f"{self.op.replace('>=', '≥').replace('<=', '≤')} {self.target:g}{self.unit}"


class Award(_Model):
    """A title for the best returns of a round, e.g. 红旗党支部: the top three each half-year."""

    name: str = Field(min_length=1)
    top: int = Field(ge=1, le=10000)  # eligible returns ranked 1..top get it (ties at the cut too)


# -- conditions: star levels decided by conditions, named stars, checklists (issue 14) ----
#
# A unit *answers* facts (是/否, keyed by the fact condition's id) and measures (an honour on
# an ordered scale, or a number, keyed by the measure's id); conditions in levels and named
# stars test those answers.  Evaluation lives in ``conditions.py``.

ScaleValue = Annotated[str, Field(min_length=1)]


class OrderedScale(_Model):
    """An ordered scale written with its direction: ``{highest_first: [一级, 二级, 三级]}``."""

    lowest_first: list[ScaleValue] | None = None
    highest_first: list[ScaleValue] | None = None

    @model_validator(mode="after")
    def _one_order(self):
        if (self.lowest_first is None) == (self.highest_first is None):
            raise ValueError("give `lowest_first` or `highest_first` (one of them)")
        values = self.lowest_first or self.highest_first or []
        if len(values) < 2:
            raise ValueError("a scale needs at least two values")
        return self

    @property
    def ascending(self) -> list[str]:
        """The values from the lowest to the highest."""
        return list(self.lowest_first or reversed(self.highest_first or []))


class Measure(_Model):
    """What a unit reports once and conditions test: an honour on a scale, or a number."""

    id: FieldId
    text: str = Field(min_length=1)  # 文明社区, 调处成功率
    scale: str | None = None  # an honour: the name of one of the rubric's scales
    unit: str = ""  # a number: %, 平方米, 本 …
    min: float | None = None  # a number: the smallest value a unit may enter
    max: float | None = None  # a number: the largest (100 for a rate in %)

    @model_validator(mode="after")
    def _honour_or_number(self):
        if self.scale is not None and (self.unit or self.min is not None or self.max is not None):
            raise ValueError("an honour (`scale`) has no `unit`, `min` or `max`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("`min` is more than `max`")
        return self

    @property
    def is_honour(self) -> bool:
        return self.scale is not None


class Condition(_Model):
    """One condition, of four kinds (exactly one of the keys ``fact``, ``honour``,
    ``number``, ``previous``):

    - ``{id: l1_banzi, fact: 班子健全}``: a fact the unit affirms (是);
    - ``{honour: wenming, at_least: 市级}``: an honour at or above a value on the measure's scale;
    - ``{number: tiaochu, at_least: 95}`` or ``at_most``: a number within a bound;
    - ``{previous: true}``: the level below holds (for independent levels).
    """

    id: FieldId | None = None
    fact: str | None = Field(default=None, min_length=1)
    honour: FieldId | None = None
    number: FieldId | None = None
    previous: bool = False
    at_least: float | str | None = None
    at_most: float | None = None
    text: str | None = Field(
        default=None, min_length=1
    )  # the seed's words, when generated ones differ

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("fact", "honour", "number") if getattr(self, k) is not None]
        kinds += ["previous"] if self.previous else []
        if len(kinds) != 1:
            raise ValueError(
                "a condition is one of `fact`, `honour`, `number`, `previous`"
                + (f" (found {', '.join(kinds)})" if kinds else "")
            )
        kind = kinds[0]
        if kind == "fact" and self.id is None:
            raise ValueError("a `fact` needs an `id` (the unit answers it by that id)")
        if kind != "fact" and self.id is not None:
            raise ValueError("only a `fact` has an `id` (honours and numbers use their measure's)")
        bounds = (self.at_least is not None) + (self.at_most is not None)
        if kind == "honour" and (not isinstance(self.at_least, str) or self.at_most is not None):
            raise ValueError("an `honour` needs `at_least` (a value of its scale), no `at_most`")
        if kind == "number" and (bounds != 1 or isinstance(self.at_least, str)):
            raise ValueError("a `number` needs one bound: `at_least` or `at_most` (a number)")
        if kind in ("fact", "previous") and bounds:
            raise ValueError(f"a `{kind}` has no `at_least` or `at_most`")
        return self

    @property
    def kind(self) -> Literal["fact", "honour", "number", "previous"]:
        if self.fact is not None:
            return "fact"
        if self.honour is not None:
            return "honour"
        if self.number is not None:
            return "number"
        return "previous"

    @property
    def answer_id(self) -> str | None:
        """The key of the unit's answer this condition tests (None for ``previous``)."""
        return self.id or self.honour or self.number


class ConditionGroup(_Model):
    """A numbered group of a level's conditions (002: four groups per level)."""

    name: str = Field(min_length=1)
    conditions: list[Condition] = Field(min_length=1)


class Level(_Model):
    """一星级 … 五星级: the conditions (in groups, or one plain list), who decides, 公示."""

    name: str = Field(min_length=1)
    groups: list[ConditionGroup] = []
    conditions: list[Condition] = []
    decided_by: str = ""  # 街道, 县 …
    publicity: bool = False  # 公示 before the level is conferred

    @model_validator(mode="after")
    def _groups_or_list(self):
        if self.groups and self.conditions:
            raise ValueError("give `groups` or `conditions`, not both")
        return self

    def all_conditions(self) -> list[Condition]:
        return [c for g in self.groups for c in g.conditions] + list(self.conditions)


class NamedStar(_Model):
    """A star earned on its own criteria (篇3: 理论学习星 …)."""

    id: FieldId
    name: str = Field(min_length=1)
    groups: list[ConditionGroup] = []
    conditions: list[Condition] = []

    @model_validator(mode="after")
    def _groups_or_list(self):
        if self.groups and self.conditions:
            raise ValueError("give `groups` or `conditions`, not both")
        if not self.groups and not self.conditions:
            raise ValueError("a star needs `conditions` (or `groups`)")
        return self

    def all_conditions(self) -> list[Condition]:
        return [c for g in self.groups for c in g.conditions] + list(self.conditions)


class LevelVeto(_Model):
    """一票否决 for some levels: answered 是, the unit cannot reach the levels in ``blocks``."""

    id: FieldId
    text: str = Field(min_length=1)
    blocks: list[str] = Field(min_length=1)  # level (or named star) names


class RoundTarget(_Model):
    """A round-level target: at least ``share`` % of the units at or above ``level``."""

    level: str = Field(min_length=1)
    share: float = Field(gt=0, le=100)
    text: str = ""  # the seed's words


class Rubric(_Model):
    """A whole rubric. Build with :func:`load_rubric`."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    source: str = ""
    notes: list[str] = []
    score_label: str = "自评分"
    step: Step = 1
    # The longest 佐证材料或备注 per item: each item's row is drawn tall enough to show
    # and print a note of this length in full.
    note_max_length: int = Field(default=100, ge=1, le=500)
    # 佐证材料 (issue 15): an item scored above zero with no document in its folder of the
    # returned evidence archive is an error, not a warning.  Left out of the content hash
    # while false, so earlier rubrics keep their hash.
    evidence_required: bool = False
    total: float = Field(default=0, ge=0, le=10000)
    sections: list[Section] = []
    indicators: list[Indicator] = []
    bonus: Bonus | None = None
    declarations: list[Declaration] = []
    fields: list[FormField] = []
    choose: list[Choose] = []
    # Opinion boxes for the office (推荐意见, 审批意见): drawn and locked, never inputs.
    approvals: list[str] = []
    threshold: Threshold | None = None
    bands: Bands | None = None
    award: Award | None = None
    # conditions (issue 14): left out of the content hash while empty, so earlier rubrics
    # keep their hash and the workbooks already sent stay valid
    scales: dict[str, list[ScaleValue] | OrderedScale] = {}
    measures: list[Measure] = []
    # Star levels from the lowest to the highest.  ``cumulative``: the result is the highest
    # level whose conditions and every lower level's hold; ``independent``: the highest level
    # whose own conditions hold.  ``by_score`` (篇2): each level is also a band of ``bands``;
    # the score's band must reach it, and its conditions are the extra ones it requires.
    levels: list[Level] = []
    level_mode: Literal["cumulative", "independent"] = "cumulative"
    by_score: bool = False
    stars: list[NamedStar] = []
    vetoes: list[LevelVeto] = []
    targets: list[RoundTarget] = []

    @model_validator(mode="after")
    def _something_to_fill(self):
        if not (self.sections or self.indicators or self.fields or self.levels or self.stars):
            raise ValueError(
                "a rubric needs scored `sections`, `indicators`, `fields`, `levels` or `stars`"
            )
        if self.levels and self.stars:
            raise ValueError("give star `levels` or named `stars`, not both")
        return self

    @property
    def has_conditions(self) -> bool:
        """Are stars decided by conditions (levels or named stars)?"""
        return bool(self.levels or self.stars)

    @property
    def kind(self) -> Literal["scored", "targets", "form", "levels", "mixed", "stars"]:
        """scored (points) · targets (达标指标) · form (申报表) · levels (星级 by conditions)
        · mixed (星级 by score with conditions) · stars (named stars)."""
        if self.levels:
            return "mixed" if self.by_score else "levels"
        if self.stars:
            return "stars"
        if self.sections:
            return "scored"
        return "targets" if self.indicators else "form"

    def scale_values(self, name: str) -> list[str]:
        """The values of scale ``name`` from the lowest to the highest."""
        scale = self.scales[name]
        return scale.ascending if isinstance(scale, OrderedScale) else list(scale)

    def measure(self, measure_id: str) -> Measure | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    @property
    def level_names(self) -> list[str]:
        return [lv.name for lv in self.levels]

    # -- derived ------------------------------------------------------------------
    @property
    def scored(self) -> bool:
        """Does it give points (and so totals, thresholds, bands and a ranking)?"""
        return bool(self.sections)

    def items(self) -> Iterator[tuple[Section, Item]]:
        for section in self.sections:
            for item in section.items:
                yield section, item

    def step_of(self, item: Item) -> float:
        return item.step if item.step is not None else self.step

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def items_max(self) -> float:
        return sum(s.max for s in self.sections)

    @property
    def max_total(self) -> float:
        return self.items_max + (self.bonus.max if self.bonus else 0)

    @property
    def rescales(self) -> bool:
        """Does marking an item 不适用 rescale the subtotal (totals then need not be steps)?"""
        return any(
            i.not_applicable and i.not_applicable.counts == "rescale" for _, i in self.items()
        )

    @property
    def granularity(self) -> float:
        """The smallest difference two totals can have (0.5 or 1; 0.01 when rescaled)."""
        if self.rescales:
            return 0.01
        steps = [self.step_of(i) for _, i in self.items()]
        if self.bonus:
            steps += [0.5 if b.points % 1 else 1 for b in self.bonus.items]
        return 0.5 if 0.5 in steps else 1

    @cached_property
    def content_hash(self) -> str:
        """Hash of everything that shapes the workbook and the scoring."""
        payload = self.model_dump(mode="json", exclude={"notes", "source"})
        for key in (*_CONDITION_KEYS, "evidence_required"):  # absent while unused: earlier
            # rubrics keep their hash
            if payload.get(key) == Rubric.model_fields[key].default:
                payload.pop(key, None)
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def band_for(self, value: float) -> str:
        if not self.bands:
            return ""
        for band in self.bands.levels:
            if band.contains(value):
                return band.name
        return ""


_CONDITION_KEYS = (
    "scales",
    "measures",
    "levels",
    "level_mode",
    "by_score",
    "stars",
    "vetoes",
    "targets",
)


# -- loading --------------------------------------------------------------------------


def shipped_dir(name: str) -> Path:
    """A folder shipped with xlsxflow (``templates`` or ``samples``).

    Installed, it sits inside the package; in a source checkout (or an editable
    install) it is the top-level folder of the repository.
    """
    here = Path(__file__).resolve().parent
    installed = here / name
    return installed if installed.is_dir() else here.parent / name


def shipped_templates_dir() -> Path:
    return shipped_dir("templates")


def resolve_rubric_path(name_or_path: str | Path) -> Path:
    """A path as given, or the name of a shipped rubric (``wenming-danwei``)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = shipped_templates_dir() / f"{Path(str(name_or_path)).stem}.yaml"
    return shipped if shipped.exists() else path


def load_rubric(name_or_path: str | Path) -> Rubric:
    """Load and validate a rubric; raise :class:`XlsxflowError` listing every problem."""
    path = resolve_rubric_path(name_or_path)
    label = path.name
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise XlsxflowError(make_issue("rubric-unreadable", file=str(path), detail=exc)) from None
    return parse_rubric(text, label)


def parse_rubric(text: str, label: str = "<rubric>") -> Rubric:
    try:
        src = load_located(text)
    except YamlSourceError as exc:
        raise XlsxflowError(
            make_issue("rubric-yaml", file=label, line=exc.line, detail=exc)
        ) from None
    if not isinstance(src.data, dict):
        raise XlsxflowError(
            make_issue(
                "rubric-schema",
                file=label,
                line=1,
                detail="评分表文件应是一个键值映射（id、title、sections …）",
            )
        )
    try:
        rubric = Rubric.model_validate(src.data)
    except ValidationError as exc:
        raise XlsxflowError(_schema_issues(exc, src, label)) from None
    problems = list(check_rubric(rubric, src, label))
    if problems:
        raise XlsxflowError(problems)
    return rubric


def _schema_issues(exc: ValidationError, src: LocatedYaml, label: str) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top)"
        msg = err["msg"].removeprefix("Value error, ")
        line = src.line_of(loc)
        # A whole-object rule (loc ()) names the keys it is about in `backticks`: point there.
        named = [(k,) for k in re.findall(r"`(\w+)`", msg) if (k,) in src.lines] if not loc else []
        if named:
            line = src.line_of(named[0])
        issues.append(make_issue("rubric-schema", file=label, line=line, detail=f"{key}: {msg}"))
    return issues


def check_rubric(rubric: Rubric, src: LocatedYaml, label: str) -> Iterator[Issue]:
    """Meaning checks that the schema cannot express."""
    seen: dict[str, int | None] = {}

    def ids():
        for si, section in enumerate(rubric.sections):
            yield section.id, ("sections", si, "id")
            for ii, item in enumerate(section.items):
                yield item.id, ("sections", si, "items", ii, "id")
        if rubric.bonus:
            for bi, b in enumerate(rubric.bonus.items):
                yield b.id, ("bonus", "items", bi, "id")
        for di, d in enumerate(rubric.declarations):
            yield d.id, ("declarations", di, "id")
        for fi, f in enumerate(rubric.fields):
            yield f.id, ("fields", fi, "id")
        for ii, ind in enumerate(rubric.indicators):
            yield ind.id, ("indicators", ii, "id")
        for mi, m in enumerate(rubric.measures):
            yield m.id, ("measures", mi, "id")
        for si, star in enumerate(rubric.stars):
            yield star.id, ("stars", si, "id")
        for vi, veto in enumerate(rubric.vetoes):
            yield veto.id, ("vetoes", vi, "id")

    for ident, path in ids():
        line = src.line_of(path)
        if ident in seen:
            yield make_issue(
                "rubric-duplicate-id", file=label, line=line, id=ident, first_line=seen[ident]
            )
        else:
            seen[ident] = line

    for si, ii, item in (
        (si, ii, item) for si, s in enumerate(rubric.sections) for ii, item in enumerate(s.items)
    ):
        step = rubric.step_of(item)
        if (item.max / step) % 1:
            yield make_issue(
                "rubric-step",
                file=label,
                line=src.line_of(("sections", si, "items", ii, "max")),
                max=_num(item.max),
                step=_num(step),
            )

    left_out = sum(
        i.max
        for _, i in rubric.items()
        if i.not_applicable and i.not_applicable.counts == "rescale"
    )
    if rubric.scored and left_out >= rubric.items_max:
        yield make_issue(
            "rubric-schema",
            file=label,
            line=src.line_of(("sections",)),
            detail="not_applicable: 不能所有项目都“不适用后折算”（counts: rescale），至少留一项必须打分",
        )

    if abs(rubric.items_max - rubric.total) > 1e-9:
        yield make_issue(
            "rubric-total-mismatch",
            file=label,
            line=src.line_of(("total",)),
            actual=_num(rubric.items_max),
            declared=_num(rubric.total),
        )

    fields = {f.id: f for f in rubric.fields}
    for ci, rule in enumerate(rubric.choose):
        for fi, fid in enumerate(rule.fields):
            field = fields.get(fid)
            if field is None or field.type != "choice" or "是" not in (field.choices or []):
                yield make_issue(
                    "rubric-schema",
                    file=label,
                    line=src.line_of(("choose", ci, "fields", fi)),
                    detail=f"choose.{ci}.fields: “{fid}” 应是本表 fields 中选项含“是”的 choice 字段",
                )
        if rule.min > len(rule.fields):
            yield make_issue(
                "rubric-schema",
                file=label,
                line=src.line_of(("choose", ci, "min")),
                detail=f"choose.{ci}.min: {rule.min} 大于可选字段数 {len(rule.fields)}",
            )

    if rubric.bands:
        yield from _check_bands(rubric, src, label)
    yield from _check_conditions(rubric, src, label, seen)


def condition_places(rubric: Rubric) -> Iterator[tuple[str, Condition, tuple]]:
    """Every condition with the name of its level or star and its YAML path."""
    for key, owners in (("levels", rubric.levels), ("stars", rubric.stars)):
        for oi, owner in enumerate(owners):
            for gi, group in enumerate(owner.groups):
                for ci, cond in enumerate(group.conditions):
                    yield owner.name, cond, (key, oi, "groups", gi, "conditions", ci)
            for ci, cond in enumerate(owner.conditions):
                yield owner.name, cond, (key, oi, "conditions", ci)


def _check_conditions(
    rubric: Rubric, src: LocatedYaml, label: str, seen: dict[str, int | None]
) -> Iterator[Issue]:
    """Scales without repeats, conditions on measures and scales that exist, facts asked
    once, levels no easier than the one below, vetoes and targets on levels that exist."""
    for name, scale in rubric.scales.items():
        values = scale if isinstance(scale, list) else scale.lowest_first or scale.highest_first
        key = (
            ()
            if isinstance(scale, list)
            else ("lowest_first" if scale.lowest_first else "highest_first",)
        )
        first: dict[str, int | None] = {}
        for i, value in enumerate(values):
            line = src.line_of(("scales", name, *key, i))
            if value in first:
                yield make_issue(
                    "rubric-scale-repeat",
                    file=label,
                    line=line,
                    scale=name,
                    value=value,
                    first_line=first[value],
                )
            else:
                first[value] = line
    for mi, m in enumerate(rubric.measures):
        if m.scale is not None and m.scale not in rubric.scales:
            yield make_issue(
                "rubric-bad-ref",
                file=label,
                line=src.line_of(("measures", mi, "scale")),
                what="等级序列（scales）",
                ref=m.scale,
            )

    facts: dict[str, tuple[str, int | None]] = {}
    for owner, cond, path in condition_places(rubric):
        line = src.line_of(path)
        kind = cond.kind
        if kind == "fact":
            if cond.id in facts:
                if facts[cond.id][0] != cond.fact:  # the same id asks the same question
                    yield make_issue(
                        "rubric-fact-reused",
                        file=label,
                        line=line,
                        id=cond.id,
                        first_line=facts[cond.id][1],
                    )
            elif cond.id in seen:
                yield make_issue(
                    "rubric-duplicate-id",
                    file=label,
                    line=line,
                    id=cond.id,
                    first_line=seen[cond.id],
                )
            else:
                facts[cond.id] = (cond.fact, line)
        elif kind in ("honour", "number"):
            measure = rubric.measure(cond.answer_id)
            if measure is None:
                yield make_issue(
                    "rubric-bad-ref",
                    file=label,
                    line=src.line_of((*path, kind)),
                    what="指标（measures）",
                    ref=cond.answer_id,
                )
            elif measure.is_honour != (kind == "honour"):
                yield make_issue(
                    "rubric-condition-kind",
                    file=label,
                    line=src.line_of((*path, kind)),
                    measure=measure.text,
                    actual="荣誉等级（有 scale）" if measure.is_honour else "数值",
                    wanted="荣誉等级（honour）" if kind == "honour" else "数值（number）",
                )
            elif (
                kind == "honour"
                and measure.scale in rubric.scales
                and cond.at_least not in rubric.scale_values(measure.scale)
            ):
                yield make_issue(
                    "rubric-bad-ref",
                    file=label,
                    line=src.line_of((*path, "at_least")),
                    what=f"“{measure.scale}”的等级",
                    ref=cond.at_least,
                )
        elif path[0] == "stars":
            yield make_issue(
                "rubric-schema",
                file=label,
                line=line,
                detail=f"{owner}: previous（上一级成立）只用于星级 levels，命名星之间没有上下级",
            )
        elif path[1] == 0:
            yield make_issue("rubric-previous-first", file=label, line=line, level=owner)

    names: dict[str, int | None] = {}
    for key, owners in (("levels", rubric.levels), ("stars", rubric.stars)):
        for i, owner in enumerate(owners):
            line = src.line_of((key, i, "name"))
            if owner.name in names:
                yield make_issue(
                    "rubric-duplicate-name",
                    file=label,
                    line=line,
                    name=owner.name,
                    first_line=names[owner.name],
                )
            names.setdefault(owner.name, line)
    for i, level in enumerate(rubric.levels):
        if not level.all_conditions() and not rubric.by_score:
            yield make_issue(
                "rubric-schema",
                file=label,
                line=src.line_of(("levels", i)),
                detail=f"levels.{i}: “{level.name}”没有条件（conditions 或 groups）",
            )
    yield from _check_easier(rubric, src, label)
    if rubric.by_score:
        yield from _check_by_score(rubric, src, label)
    for vi, veto in enumerate(rubric.vetoes):
        for bi, name in enumerate(veto.blocks):
            if name not in names:
                yield make_issue(
                    "rubric-bad-ref",
                    file=label,
                    line=src.line_of(("vetoes", vi, "blocks", bi)),
                    what="星级",
                    ref=name,
                )
    for ti, target in enumerate(rubric.targets):
        if target.level not in rubric.level_names:
            yield make_issue(
                "rubric-bad-ref",
                file=label,
                line=src.line_of(("targets", ti, "level")),
                what="星级",
                ref=target.level,
            )


def _bound_rank(rubric: Rubric, cond: Condition) -> tuple[str, float] | None:
    """How demanding an honour or number condition is: ("≥", rank) or ("≤", bound)."""
    measure = rubric.measure(cond.answer_id or "")
    if measure is None or measure.is_honour != (cond.kind == "honour"):
        return None
    if cond.kind == "honour":
        values = rubric.scale_values(measure.scale) if measure.scale in rubric.scales else []
        return ("≥", values.index(cond.at_least)) if cond.at_least in values else None
    if cond.at_least is not None:
        return ("≥", float(cond.at_least))
    return ("≤", float(cond.at_most))


def _check_easier(rubric: Rubric, src: LocatedYaml, label: str) -> Iterator[Issue]:
    """A level may not ask less of a measure than the level below it does."""
    places = list(condition_places(rubric))
    for below, above in zip(rubric.levels, rubric.levels[1:], strict=False):
        lower = {}
        for owner, cond, _ in places:
            rank = _bound_rank(rubric, cond) if owner == below.name else None
            if rank:
                lower[(cond.answer_id, rank[0])] = (rank[1], cond)
        for owner, cond, path in places:
            rank = _bound_rank(rubric, cond) if owner == above.name else None
            if not rank or (cond.answer_id, rank[0]) not in lower:
                continue
            before, was = lower[(cond.answer_id, rank[0])]
            if (rank[1] < before) if rank[0] == "≥" else (rank[1] > before):
                yield make_issue(
                    "rubric-level-easier",
                    file=label,
                    line=src.line_of(path),
                    level=above.name,
                    below=below.name,
                    this=requirement_text(rubric, cond),
                    before=requirement_text(rubric, was),
                )


def _check_by_score(rubric: Rubric, src: LocatedYaml, label: str) -> Iterator[Issue]:
    if not rubric.bands or not rubric.scored:
        yield make_issue(
            "rubric-schema",
            file=label,
            line=src.line_of(("by_score",)),
            detail="by_score: 按分数定档需要打分项目（sections）和分档（bands）",
        )
        return
    mins = {b.name: b.min if b.min is not None else float("-inf") for b in rubric.bands.levels}
    previous = None
    for i, level in enumerate(rubric.levels):
        if level.name not in mins:
            yield make_issue(
                "rubric-bad-ref",
                file=label,
                line=src.line_of(("levels", i, "name")),
                what="分档（bands）",
                ref=level.name,
            )
        elif previous is not None and mins[level.name] <= mins[previous]:
            yield make_issue(
                "rubric-level-easier",
                file=label,
                line=src.line_of(("levels", i, "name")),
                level=level.name,
                below=previous,
                this=f"分数 ≥ {_num(mins[level.name])}",
                before=f"分数 ≥ {_num(mins[previous])}",
            )
        previous = level.name if level.name in mins else previous


def requirement_text(rubric: Rubric, cond: Condition) -> str:
    """A condition in words: the seed's ``text``, else 市级以上文明社区, 调处成功率 100%."""
    if cond.text:
        return unfold(cond.text)
    if cond.kind == "fact":
        return unfold(cond.fact or "")
    if cond.kind == "previous":
        return "上一星级的条件全部成立"
    measure = rubric.measure(cond.answer_id or "")
    what = measure.text if measure else cond.answer_id
    if cond.kind == "honour":
        return f"{cond.at_least}以上{what}"
    unit = measure.unit if measure else ""
    if cond.at_least is not None:
        return f"{what} {_num(float(cond.at_least))}{unit}"
    return f"{what}不超过 {_num(float(cond.at_most))}{unit}"


def _check_bands(rubric: Rubric, src: LocatedYaml, label: str) -> Iterator[Issue]:
    levels = rubric.bands.levels
    for i, band in enumerate(levels):
        high = band.max if band.max is not None else band.below
        if band.min is not None and high is not None and band.min > high:
            yield make_issue(
                "rubric-band-range",
                file=label,
                line=src.line_of(("bands", "levels", i)),
                name=band.name,
                low=_num(band.min),
                high=_num(high),
            )
            return
    # Walk every total the rubric can produce: each must fall in exactly one band.
    top = rubric.max_total if rubric.bands.on == "total" else rubric.items_max
    g = rubric.granularity
    reported: set[tuple[str, ...]] = set()
    for k in range(int(round(top / g)) + 1):
        value = k * g
        inside = [i for i, b in enumerate(levels) if b.contains(value)]
        if len(inside) > 1:
            key = tuple(levels[i].name for i in inside)
            if key not in reported:
                reported.add(key)
                yield make_issue(
                    "rubric-band-overlap",
                    file=label,
                    line=src.line_of(("bands", "levels", inside[1])),
                    a=levels[inside[0]].name,
                    b=levels[inside[1]].name,
                    value=_num(value),
                )
        elif not inside:
            below = _nearest(levels, value, lower=True)
            above = _nearest(levels, value, lower=False)
            key = ("gap", below or "", above or "")
            if key not in reported:
                reported.add(key)
                yield make_issue(
                    "rubric-band-gap",
                    file=label,
                    line=src.line_of(("bands", "levels")),
                    a=below or "（最低）",
                    b=above or "（最高）",
                    value=_num(value),
                )


def _nearest(levels: list[Band], value: float, *, lower: bool) -> str | None:
    best = None
    for band in levels:
        if lower:
            high = band.max if band.max is not None else band.below
            if high is not None and high <= value and (best is None or high > best[0]):
                best = (high, band.name)
        elif band.min is not None and band.min > value and (best is None or band.min < best[0]):
            best = (band.min, band.name)
    return best[1] if best else None


def _num(value: float) -> str:
    """95.0 → "95", 4.5 → "4.5"."""
    return f"{value:g}"


def outline(rubric: Rubric) -> str:
    """A plain-text outline for ``xlsxflow rubric check``."""
    lines = [
        f"{rubric.title}  ({rubric.id} v{rubric.version}, hash {rubric.content_hash})",
        f"来源 source: {rubric.source}" if rubric.source else "",
        f"{len(rubric.sections)} 个项目 sections, {rubric.item_count} 项 items, "
        f"计分步长 step {_num(rubric.step)}"
        if rubric.scored
        else conditions_summary(rubric)
        if rubric.has_conditions
        else f"{len(rubric.indicators)} 项达标指标 targets（不计分，不排名）"
        if rubric.indicators
        else f"申报表 application form: {len(rubric.fields)} 项填写内容（不计分，不排名）",
        "",
    ]
    for n, section in enumerate(rubric.sections, 1):
        lines.append(f"{n}. {section.name}  [{len(section.items)} 项, {_num(section.max)} 分]")
        for item in section.items:
            step = "" if item.step is None else f" (step {_num(item.step)})"
            text = item.text if len(item.text) <= 40 else item.text[:39] + "…"
            lines.append(f"   {item.id:<6} {_num(item.max):>4}  {text}{step}")
    if rubric.scored:
        lines.append(
            f"小计 subtotal: {_num(rubric.items_max)} (declared total {_num(rubric.total)})"
        )
    if rubric.bonus:
        b = rubric.bonus
        opts = ", ".join(f"{i.text} {_num(i.points)}" for i in b.items)
        cap = f", cap {_num(b.cap)}" if b.cap is not None else ""
        lines.append(f"加分 bonus ({b.name}, {b.mode}{cap}): {opts} → max {_num(b.max)}")
        lines.append(f"总分 max total: {_num(rubric.max_total)}")
    if rubric.indicators:
        lines.append(
            "达标指标 indicators: "
            + "; ".join(f"{i.text} {i.target_text}" for i in rubric.indicators)
        )
    if rubric.declarations:
        lines.append(
            f"否决事项 declarations（{len(rubric.declarations)} 项，"
            f"其中 {sum(d.veto for d in rubric.declarations)} 项为“是”即一票否决 veto）:"
        )
        lines += [
            f"  - {unfold(d.text)}" + ("" if d.veto else "（仅声明，不否决）")
            for d in rubric.declarations
        ]
    if rubric.fields:
        lines.append("填报信息 fields:")
        width = min(max(_width(f.label) for f in rubric.fields), 30) + 2
        lines += [f"  {_pad(f.label, width)}{field_limits(f)}" for f in rubric.fields]
    for rule in rubric.choose:
        lines.append(f"至少选择 choose ≥{rule.min}: {rule.label} ({', '.join(rule.fields)})")
    if rubric.approvals:
        lines.append("审批栏 approvals (office only): " + "、".join(rubric.approvals))
    if rubric.threshold:
        t = rubric.threshold
        lines.append(f"申报门槛 threshold: {t.on} ≥ {_num(t.min)}")
    if rubric.award:
        a = rubric.award
        lines.append(
            f"奖项 award: {a.name} — 符合条件者得分前 {a.top} 名"
            f"（第 {a.top} 名有并列时并列者都列出）"
        )
    if rubric.bands:
        parts = []
        for band in rubric.bands.levels:
            low = "" if band.min is None else f"≥{_num(band.min)}"
            high = (
                f"≤{_num(band.max)}"
                if band.max is not None
                else f"<{_num(band.below)}"
                if band.below is not None
                else ""
            )
            parts.append(f"{band.name} {' '.join(p for p in (low, high) if p)}")
        lines.append(f"等级 bands (on {rubric.bands.on}): " + "; ".join(parts))
    if rubric.has_conditions:
        lines += _conditions_outline(rubric)
    if rubric.notes:
        lines.append("说明 notes (choices made where the source is unclear):")
        lines += [f"  - {unfold(note)}" for note in rubric.notes]
    return "\n".join(line for line in lines if line is not None)


KIND_NAMES = {
    "scored": "评分表 scored",
    "targets": "达标指标 targets",
    "form": "申报表 form",
    "levels": "条件定星 levels",
    "mixed": "分数定档+条件 mixed",
    "stars": "命名星 named stars",
}


def fact_ids(rubric: Rubric) -> list[str]:
    """The facts a unit affirms, each once, in the order they first appear."""
    return list(dict.fromkeys(c.id for _, c, _ in condition_places(rubric) if c.kind == "fact"))


def conditions_summary(rubric: Rubric) -> str:
    """One line: what decides the stars (rubric check's header)."""
    facts, measures = len(fact_ids(rubric)), len(rubric.measures)
    if rubric.stars:
        head = f"命名星 named stars: {len(rubric.stars)} 颗，各自按条件评定"
    else:
        mode = (
            "逐级累计 cumulative" if rubric.level_mode == "cumulative" else "各级独立 independent"
        )
        head = f"星级 levels: {len(rubric.levels)} 级（{mode}）"
        if rubric.by_score:
            head += f"，按{rubric.score_label}定档，另加条件"
    return f"{head}；{facts} 项事实确认（是/否），{measures} 项指标 measures"


def list_size(rubric: Rubric) -> str:
    """What ``rubric list`` shows of a rubric's size, by kind."""
    if rubric.has_conditions:
        count = len(rubric.stars) if rubric.stars else len(rubric.levels)
        unit = (
            "颗命名星" if rubric.stars else "级条件定星" if not rubric.by_score else "档分数+条件"
        )
        return f"{count:>3} {unit}"
    if rubric.scored:
        return f"{rubric.item_count:>3} 项 {rubric.total:>5g} 分"
    if rubric.indicators:
        return f"{len(rubric.indicators):>3} 项指标"
    return f"{len(rubric.fields):>3} 栏申报表"


def _conditions_outline(rubric: Rubric) -> list[str]:
    lines = [conditions_summary(rubric)] if rubric.scored else []  # mixed: after the points
    for name in rubric.scales:
        lines.append(f"等级序列 scale {name}: {' < '.join(rubric.scale_values(name))}")
    for owner in [*rubric.levels, *rubric.stars]:
        extra = []
        if getattr(owner, "decided_by", ""):
            extra.append(f"{owner.decided_by}评定")
        if getattr(owner, "publicity", False):
            extra.append("须公示")
        lines.append(f"{owner.name}" + (f"  [{'，'.join(extra)}]" if extra else ""))
        groups = [(g.name, g.conditions) for g in owner.groups] or [("", owner.conditions)]
        for group, conds in groups:
            if group:
                lines.append(f"  {group}")
            for cond in conds:
                key = cond.answer_id or "previous"
                text = requirement_text(rubric, cond)
                text = text if len(text) <= 50 else text[:49] + "…"
                lines.append(f"    {_pad(key, 14)}{text}")
    for veto in rubric.vetoes:
        lines.append(f"一票否决 veto {veto.id}: {veto.text}（阻止 {'、'.join(veto.blocks)}）")
    for target in rubric.targets:
        lines.append(f"本轮目标 target: {target.level}及以上 ≥ {target.share:g}%  {target.text}")
    return lines


FIELD_TYPES = {"text": "文字", "date": "日期", "choice": "选择", "integer": "整数"}


def field_limits(field: FormField) -> str:
    """A form field's type and limits in words: 文字 ≤ 60 字，必填."""
    kind = FIELD_TYPES.get(field.type, field.type)
    parts = []
    if field.type == "choice" and field.choices:
        parts.append(f"{kind} {'/'.join(field.choices)}")
    elif field.type == "integer" and (field.min is not None or field.max is not None):
        low = "" if field.min is None else f"{field.min}"
        high = "" if field.max is None else f"{field.max}"
        parts.append(f"{kind} {low}–{high}")
    else:
        parts.append(kind)
    if field.max_length:
        parts[-1] += f" ≤ {field.max_length} 字"
    parts.append("必填" if field.required else "选填")
    return "，".join(parts)


def _is_wide(char: str) -> bool:
    return wcwidth(char) == 2 or char in "“”‘’"


def _is_wide_punctuation(char: str) -> bool:
    return _is_wide(char) and unicodedata.category(char).startswith("P")


def unfold(text: str) -> str:
    """Drop the spaces YAML folding puts where a Chinese line broke (“100。 种子” → “100。种子”,
    “机制； 6 当年” → “机制；6 当年”).

    A space between two CJK characters, or next to CJK punctuation, is never
    written on purpose in Chinese; other spaces next to Latin letters and digits stay.
    """
    out = []
    for i, char in enumerate(text):
        if (
            char == " "
            and 0 < i < len(text) - 1
            and (
                (_is_wide(text[i - 1]) and _is_wide(text[i + 1]))
                or _is_wide_punctuation(text[i - 1])
                or _is_wide_punctuation(text[i + 1])
            )
        ):
            continue
        out.append(char)
    return "".join(out)


def _width(text: str) -> int:
    width = wcswidth(text)
    return width if width >= 0 else len(text) * 2


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 1)
