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

    @model_validator(mode="after")
    def _something_to_fill(self):
        if not self.sections and not self.indicators and not self.fields:
            raise ValueError("a rubric needs scored `sections`, `indicators` or `fields`")
        return self

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
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def band_for(self, value: float) -> str:
        if not self.bands:
            return ""
        for band in self.bands.levels:
            if band.contains(value):
                return band.name
        return ""


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
    if rubric.notes:
        lines.append("说明 notes (choices made where the source is unclear):")
        lines += [f"  - {unfold(note)}" for note in rubric.notes]
    return "\n".join(line for line in lines if line is not None)


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
