"""民主测评 and surveys: the round file's ``evaluations`` section, resolved.

Several seed decisions are made by many raters, not by one form per unit:

* 000 党员先锋岗: “支部组织召开党员大会，根据党员先锋岗标准进行测评打分”, “支部所有党员民主
  测评表均需上报”, at most 30% of the branch's members, 党委审批, 公示;
* 002 “两票制”: 党员民主测评 and 党外群众代表测评, five grades 优秀 / 合格 / 基本合格 /
  基本不合格 / 不合格, follow-up for the bottom two;
* 003 篇1 群众满意度测评 (满意率 ≥ 95%); 004 认知度、参与度 ≥ 90%, 满意度 ≥ 95%.

A round file lists them at its top level (documented in ``templates/README.md``)::

    evaluations:
      - id: xianfenggang
        title: 党员先锋岗民主测评
        candidates: ../../samples/members.csv   # 单位编号, 党员编号, 姓名, 岗位或职务 | units
        ballot: {rubric: dangyuan-xianfenggang} # | {grade: …} | {survey: …}
        raters:
          - {id: dangyuan, label: 党员, expected: members}
        aggregate: {method: trimmed_mean, drop: 1, min_ballots: 5}
        invalid: [blank, incomplete, all_same, all_max]
        quorum: 0.5
        anonymity: 3
        cap: "floor(党员人数 * 30 / 100)"

The ballot's questions are the same for every rater group of an evaluation (a
两票制 gives both groups the same five grades).  The units of the roster are the
branches: each gets its own ballots, holding every candidate of that unit.

This module holds the section's model, the candidates (members) file, the
resolution of candidates, expected raters and caps per unit, and the ballot
serials.  Nothing here reads or writes a workbook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..messages import Issue, XlsxflowError, make_issue
from ..roster import Unit, id_and_name_problem, norm_header, read_rows
from ..rubric import Rubric, load_rubric
from ..yamlsrc import LocatedYaml

if TYPE_CHECKING:  # roundfile imports this module's model; no import back at run time
    from ..roundfile import Round

Invalid = Literal["blank", "incomplete", "all_same", "all_max"]
Share = Annotated[float, Field(gt=0, le=1)]
Label = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[^\n]+$")]

SEED_GRADES = ("优秀", "合格", "基本合格", "基本不合格", "不合格")  # 002 两票制
SATISFACTION = ("满意", "基本满意", "不满意")  # the usual survey answers (003, 004)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- the ballot: what every rater answers for each candidate ------------------------


class ItemsBallot(_Model):
    """Scored items: a rubric's items (the 10 × 10 测评表), each 0…max at its step."""

    rubric: str = Field(min_length=1)  # a rubric path (relative to the round file) or name


class GradeRule(_Model):
    """``grade`` when at least ``share`` of the valid ballots gave one of ``of``."""

    grade: Label
    share: Share
    of: list[Label] = Field(min_length=1)


class GradeBallot(_Model):
    """One grade per candidate (002 两票制: 优秀 … 不合格) and the rules that decide it.

    ``rules`` are tried in order; the first met gives the candidate's grade, else
    ``otherwise``.  The seed gives the grades but no shares: the file must.
    """

    choices: list[Label] = Field(default=list(SEED_GRADES), min_length=2, max_length=10)
    rules: list[GradeRule] = Field(min_length=1)
    otherwise: Label
    follow_up: list[Label] = []  # grades that call for 组织处置 (002: the bottom two)
    recommend: list[Label] = []  # grades recommended on the 审定 sheet (e.g. [优秀])


class SurveyFeed(_Model):
    """Which input of a form a survey rate is: an indicator (in %) or a scored item.

    ``scale`` (items only): the item's points are the rate × its maximum; without it the
    item must run 0–100 (the rate in %).
    """

    form: str = Field(min_length=1)
    indicator: str | None = None
    item: str | None = None
    scale: bool = False

    @model_validator(mode="after")
    def _one(self):
        if (self.indicator is None) == (self.item is None):
            raise ValueError("feeds 须且只须写 indicator、item 之一")
        if self.scale and self.item is None:
            raise ValueError("scale 只用于 item（打分项目）")
        return self

    @property
    def input_id(self) -> str:
        return self.indicator or self.item or ""


class SurveyQuestion(_Model):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,19}$")
    text: str = Field(min_length=1, max_length=120)
    label: Label  # the rate's name: 满意度, 认知度, 参与度
    choices: list[Label] | None = None  # else the survey's
    positive: list[Label] | None = None  # answers counted in the rate; else the survey's
    target: Share | None = None  # the rate it must reach (004: 0.9 / 0.95; 003: 0.95)
    feeds: SurveyFeed | None = None  # the form input this rate is (in place of a self-report)


class SurveyBallot(_Model):
    """Survey answers: per question one choice; a rate is the share of positive answers."""

    choices: list[Label] = Field(default=list(SATISFACTION), min_length=2, max_length=10)
    positive: list[Label] = Field(min_length=1)  # which answers count (seed: silent)
    questions: list[SurveyQuestion] = Field(min_length=1, max_length=30)


class BallotSpec(_Model):
    """Exactly one of ``rubric`` (scored items), ``grade`` or ``survey``."""

    rubric: str | None = None
    grade: GradeBallot | None = None
    survey: SurveyBallot | None = None

    @model_validator(mode="after")
    def _one(self):
        if sum(x is not None for x in (self.rubric, self.grade, self.survey)) != 1:
            raise ValueError("ballot 须且只须写 rubric、grade、survey 之一")
        return self

    @property
    def kind(self) -> Literal["items", "grade", "survey"]:
        return "items" if self.rubric else "grade" if self.grade else "survey"


class RaterGroup(_Model):
    """Who rates: 党员, 群众代表, 居民 … with how many are expected per unit."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,19}$")
    label: Label
    # members: the unit's candidates in the candidates file; a roster column; a number
    expected: Literal["members"] | int | str = "members"
    weight: float | None = Field(default=None, ge=0, le=1)  # 两票制: required with 2+ groups

    @field_validator("expected")
    @classmethod
    def _positive(cls, value):
        if isinstance(value, int) and not 1 <= value <= 2000:
            raise ValueError("expected 须为 1–2000 的人数、members 或名单中的列名")
        return value


class Aggregate(_Model):
    """How valid ballots combine, per item and in total.

    ``trimmed_mean`` drops the ``drop`` highest and ``drop`` lowest only when there
    are at least ``min_ballots`` valid ballots; with fewer, the plain mean.
    """

    method: Literal["mean", "trimmed_mean"] = "mean"
    drop: int = Field(default=1, ge=1, le=50)
    min_ballots: int = Field(default=5, ge=3, le=1000)
    decimals: int = Field(default=2, ge=0, le=4)  # shown; ranking uses the exact value

    @model_validator(mode="after")
    def _enough(self):
        if self.method == "trimmed_mean" and self.min_ballots <= 2 * self.drop:
            raise ValueError("min_ballots 须大于 2 × drop（去掉最高和最低后至少留一张票）")
        return self


class EvaluationSpec(_Model):
    """One evaluation of the round file's ``evaluations`` section."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,29}$")
    title: str = Field(min_length=1, max_length=24, pattern=r"^[^\[\]:*?/\\'\n]+$")
    candidates: str = Field(min_length=1)  # a members file (relative to the round file) | units
    ballot: BallotSpec
    raters: list[RaterGroup] = Field(min_length=1, max_length=5)
    aggregate: Aggregate = Aggregate()
    invalid: list[Invalid] = ["blank", "incomplete"]
    quorum: Share | None = None  # valid ballots ≥ quorum × expected, per rater group
    anonymity: int = Field(default=3, ge=1, le=100)  # k: no result from fewer ballots
    cap: int | str | None = None  # per unit: at most this many recommended (an expression)
    threshold: float | None = Field(default=None, ge=0)  # items ballots: at least this score
    period: str | int | None = None  # its period when not the round's (2026Q4; register/)
    notes: list[str] = []

    @property
    def weighted(self) -> bool:
        return len(self.raters) > 1


def check_evaluation_spec(
    ev: EvaluationSpec, src: LocatedYaml, at: tuple, label: str
) -> Iterator[Issue]:
    """Meaning checks of one evaluation (``at``: its key path), each naming its line."""
    ids = [g.id for g in ev.raters]
    if len(set(ids)) != len(ids):
        yield make_issue(
            "evaluation-schema",
            file=label,
            line=src.line_of((*at, "raters")),
            detail="raters 的 id 重复",
        )
    if ev.weighted:
        missing = [g.label for g in ev.raters if g.weight is None]
        if missing:
            yield make_issue(
                "evaluation-weights-missing",
                file=label,
                line=src.line_of((*at, "raters")),
                groups="、".join(missing),
            )
        elif sum(_exact(g.weight) for g in ev.raters) != 1:
            yield make_issue(
                "evaluation-weights-sum",
                file=label,
                line=src.line_of((*at, "raters")),
                total=format(sum(_exact(g.weight) for g in ev.raters), "f"),
            )
    grade = ev.ballot.grade
    if grade is not None:
        known = set(grade.choices)
        used = [grade.otherwise, *grade.follow_up, *grade.recommend]
        used += [g for rule in grade.rules for g in (rule.grade, *rule.of)]
        for name in dict.fromkeys(used):
            if name not in known:
                yield make_issue(
                    "evaluation-schema",
                    file=label,
                    line=src.line_of((*at, "ballot", "grade")),
                    detail=f"等次“{name}”不在 choices（{'、'.join(grade.choices)}）中",
                )
    survey = ev.ballot.survey
    if survey is not None:
        qids = [q.id for q in survey.questions]
        if len(set(qids)) != len(qids):
            yield make_issue(
                "evaluation-schema",
                file=label,
                line=src.line_of((*at, "ballot", "survey", "questions")),
                detail="survey 的问题 id 重复",
            )
        for j, q in enumerate(survey.questions):
            choices = q.choices or survey.choices
            for name in q.positive or survey.positive:
                if name not in choices:
                    yield make_issue(
                        "evaluation-schema",
                        file=label,
                        line=src.line_of((*at, "ballot", "survey", "questions", j)),
                        detail=f"positive 中的“{name}”不在 choices（{'、'.join(choices)}）中",
                    )
    if ev.ballot.kind != "items" and (ev.threshold is not None):
        yield make_issue(
            "evaluation-schema",
            file=label,
            line=src.line_of((*at, "threshold")),
            detail="threshold 只用于打分测评（ballot: rubric）",
        )


def _exact(value: float):
    from decimal import Decimal

    return Decimal(repr(value))


# -- the candidates (members) file --------------------------------------------------

MEMBER_ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("单位编号", "支部编号", "党支部编号", "unit_id", "branch_id", "branch"),
    "member_id": ("党员编号", "人员编号", "编号", "member_id", "id"),
    "name": ("姓名", "name"),
    "post": ("岗位或职务", "岗位", "职务", "post"),
}
_MEMBER_LOOKUP = {norm_header(a): k for k, aliases in MEMBER_ALIASES.items() for a in aliases}
UNITS = "units"  # candidates: units — each unit is its own single candidate (surveys)


@dataclass(frozen=True)
class Member:
    """A candidate: a member of a unit (branch), or the unit itself for a survey."""

    member_id: str
    name: str
    unit_id: str
    post: str = ""
    row: int = 0  # 1-based row in the candidates file (header is row 1)


def load_members(path: str | Path, units: dict[str, Unit]) -> list[Member]:
    """Read a candidates file (CSV UTF-8/GBK or xlsx); raise naming every bad row."""
    path = Path(path)
    return parse_member_rows(read_rows(path, "members-unreadable"), units, path.name)


def parse_member_rows(
    rows: list[list[str]], units: dict[str, Unit], label: str = "<members>"
) -> list[Member]:
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise XlsxflowError(make_issue("members-empty", file=label))
    header = [str(h).strip() for h in rows[0]]
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _MEMBER_LOOKUP.get(norm_header(text))
        if key and key not in columns:
            columns[key] = index
    needed = (("单位编号", "unit_id"), ("党员编号", "member_id"), ("姓名", "name"))
    missing = [n for n, k in needed if k not in columns]
    if missing:
        raise XlsxflowError(
            [make_issue("members-missing-column", file=label, line=1, column=m) for m in missing]
        )
    errors: list[Issue] = []
    members: list[Member] = []
    first_row: dict[str, int] = {}
    for row_no, raw in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in raw] + [""] * len(header)
        unit_id, member_id, name, post = (
            cells[columns[k]] if k in columns else "" for k in MEMBER_ALIASES
        )
        if problem := id_and_name_problem("members", label, row_no, member_id, name, first_row):
            errors.append(problem)
            continue
        if unit_id not in units:
            errors.append(
                make_issue("members-unknown-unit", file=label, line=row_no, id=unit_id or "（空）")
            )
            continue
        members.append(Member(member_id, name, unit_id, post, row_no))
    if errors:
        raise XlsxflowError(errors)
    if not members:
        raise XlsxflowError(make_issue("members-empty", file=label))
    return members


# -- an evaluation, resolved against the round ---------------------------------------


@dataclass(frozen=True)
class Question:
    """One thing a rater answers for each candidate: an item's score or a choice."""

    id: str  # the rubric item id, "grade", or the survey question id
    text: str  # the item's or question's full text
    short: str  # a column heading: 道德高尚 …, 评定等次, 满意度
    max: float | None = None  # a scored item's maximum (None: a choice)
    step: float = 1
    choices: tuple[str, ...] = ()  # a choice's answers, best first
    positive: tuple[str, ...] = ()  # a survey answer counted in the rate
    target: float | None = None  # a survey rate's target share

    @property
    def scored(self) -> bool:
        return self.max is not None


@dataclass
class Evaluation:
    """One evaluation with everything resolved: questions, candidates, expected raters."""

    spec: EvaluationSpec
    questions: list[Question]
    units: list[Unit]  # the units taking part, in roster order (those with candidates)
    candidates: dict[str, list[Member]]  # unit id → its candidates, in file order
    expected: dict[tuple[str, str], int]  # (unit id, rater group id) → raters expected
    caps: dict[str, int | None]  # unit id → at most this many recommended (None: no cap)
    rubric: Rubric | None = None  # the items ballot's rubric
    source: str = ""  # the candidates file's name ("units" for a survey of the units)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def kind(self) -> str:
        return self.spec.ballot.kind

    def group(self, group_id: str) -> RaterGroup | None:
        return next((g for g in self.spec.raters if g.id == group_id), None)

    def unit(self, unit_id: str) -> Unit | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)

    def content_hash(self, unit_id: str) -> str:
        """What shapes one unit's ballots (signed into each): questions and candidates."""
        payload = {
            "id": self.id,
            "title": self.title,
            "questions": [q.__dict__ for q in self.questions],
            "candidates": [(m.member_id, m.name, m.post) for m in self.candidates[unit_id]],
        }
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class RoundEvaluations:
    evaluations: dict[str, Evaluation]
    warnings: list[Issue] = field(default_factory=list)


def load_evaluations(rnd: Round) -> RoundEvaluations:
    """Resolve each evaluation of the round: its questions, candidates, expected raters, caps.

    Raises naming the round file's line (or the candidates file's row) for anything
    that does not resolve; a unit expecting no raters is a warning.
    """
    src = rnd.source or LocatedYaml({}, {(): 1})
    label = rnd.path.name
    out: dict[str, Evaluation] = {}
    errors: list[Issue] = []
    warnings: list[Issue] = []
    by_id = {u.unit_id: u for u in rnd.roster}
    fed: dict[tuple[str, str], str] = {}  # (form, input) → the question feeding it
    for i, spec in enumerate(rnd.spec.evaluations):
        at = ("evaluations", i)
        rubric = None
        if spec.ballot.rubric:
            ref = spec.ballot.rubric
            local = rnd.path.parent / ref
            try:
                rubric = load_rubric(local if local.exists() else ref)
            except XlsxflowError as exc:
                line = src.line_of((*at, "ballot", "rubric"))
                raise XlsxflowError(
                    [
                        make_issue("round-bad-ref", file=label, line=line, what="测评表", ref=ref),
                        *exc.issues,
                    ]
                ) from None
            if not rubric.scored:
                raise XlsxflowError(
                    make_issue(
                        "evaluation-rubric-not-scored",
                        file=label,
                        line=src.line_of((*at, "ballot", "rubric")),
                        rubric=rubric.title,
                    )
                )
        questions = _questions(spec, rubric)
        if spec.candidates == UNITS:
            members = [Member(u.unit_id, u.name, u.unit_id, "", u.row) for u in rnd.roster]
            source = UNITS
        else:
            path = rnd.path.parent / spec.candidates
            if not path.is_file():
                raise XlsxflowError(
                    make_issue(
                        "members-unreadable",
                        file=label,
                        line=src.line_of((*at, "candidates")),
                        detail=f"找不到文件 {spec.candidates}（相对于本轮文件）",
                    )
                )
            members = load_members(path, by_id)
            source = path.name
        candidates: dict[str, list[Member]] = {}
        for m in members:
            candidates.setdefault(m.unit_id, []).append(m)
        units = [u for u in rnd.roster if u.unit_id in candidates]
        expected: dict[tuple[str, str], int] = {}
        caps: dict[str, int | None] = {}
        for unit in units:
            for j, group in enumerate(spec.raters):
                where = (*at, "raters", j, "expected")
                count, problem = _expected(group, unit, len(candidates[unit.unit_id]), rnd.evaluate)
                if problem:
                    errors.append(
                        make_issue(
                            "evaluation-expected-bad",
                            file=label,
                            line=src.line_of(where),
                            unit=unit.name,
                            id=unit.unit_id,
                            detail=problem,
                        )
                    )
                    continue
                expected[(unit.unit_id, group.id)] = count
                if count == 0:
                    warnings.append(
                        make_issue(
                            "evaluation-no-raters",
                            file=label,
                            line=src.line_of(where),
                            unit=unit.name,
                            id=unit.unit_id,
                            group=group.label,
                        )
                    )
            caps[unit.unit_id] = None
            if spec.cap is not None:
                try:
                    value = rnd.evaluate(spec.cap, unit)
                    if isinstance(value, bool) or not isinstance(value, int | float):
                        raise ValueError(f"结果不是人数：{value!r}")
                    if value != int(value) or value < 0:
                        raise ValueError(f"结果 {value} 不是非负整数（用 floor 或 ceil 取整）")
                    caps[unit.unit_id] = int(value)
                except Exception as exc:  # simpleeval raises many kinds; all are the file's
                    errors.append(
                        make_issue(
                            "evaluation-cap-bad",
                            file=label,
                            line=src.line_of((*at, "cap")),
                            unit=unit.name,
                            id=unit.unit_id,
                            detail=exc,
                        )
                    )
        out[spec.id] = Evaluation(
            spec, questions, units, candidates, expected, caps, rubric, source
        )
        errors += _feed_issues(rnd, spec, src, at, label, fed)
    if errors:
        raise XlsxflowError(errors)
    return RoundEvaluations(out, warnings)


def _feed_issues(
    rnd: Round, spec: EvaluationSpec, src: LocatedYaml, at: tuple, label: str, fed: dict
) -> list[Issue]:
    """Each survey question's ``feeds``: a known form and input, a rate that fits it, and
    no input fed twice (``fed`` collects them over the whole round file)."""
    survey = spec.ballot.survey
    out: list[Issue] = []
    if survey is None:
        return out
    forms = {f.id: f for f in rnd.spec.forms}
    for j, q in enumerate(survey.questions):
        feed = q.feeds
        if feed is None:
            continue
        line = src.line_of((*at, "ballot", "survey", "questions", j, "feeds"))

        def issue(code: str, line: int | None = line, question: str = q.label, **fields) -> None:
            out.append(make_issue(code, file=label, line=line, question=question, **fields))

        if spec.candidates != UNITS:
            issue("evaluation-feed-not-units", evaluation=spec.title)
            continue
        if feed.form not in forms:
            issue("evaluation-feed-unknown-form", form=feed.form, known="、".join(forms) or "无")
            continue
        rubric = rnd.sheet_rubric(feed.form)
        if feed.indicator is not None:
            indicator = next((i for i in rubric.indicators if i.id == feed.indicator), None)
            if indicator is None:
                known = "、".join(i.id for i in rubric.indicators) or "无"
                issue(
                    "evaluation-feed-unknown-input",
                    form=feed.form,
                    what="指标",
                    id=feed.indicator,
                    known=known,
                )
                continue
            if indicator.unit.strip() not in ("%", "％"):
                issue(
                    "evaluation-feed-range",
                    what=indicator.text,
                    range=f"单位为“{indicator.unit or '（无）'}”",
                )
                continue
        else:
            numbered = ((n, it) for n, (_, it) in enumerate(rubric.items(), 1))
            number, item = next(((n, it) for n, it in numbered if it.id == feed.item), (0, None))
            if item is None:
                known = "、".join(it.id for _, it in rubric.items()) or "无"
                issue(
                    "evaluation-feed-unknown-input",
                    form=feed.form,
                    what="打分项目",
                    id=feed.item,
                    known=known,
                )
                continue
            if not feed.scale and float(item.max) != 100:
                issue(
                    "evaluation-feed-range",
                    what=f"第{number}项（{item.id}）",
                    range=f"分值为 0–{item.max:g} 分",
                )
                continue
        key = (feed.form, feed.input_id)
        if key in fed:
            issue("evaluation-feed-twice", form=feed.form, id=feed.input_id, first=fed[key])
            continue
        fed[key] = f"{spec.id}.{q.id}"
    return out


def _expected(group: RaterGroup, unit: Unit, members: int, evaluate) -> tuple[int, str]:
    """(raters expected in this unit, "" or what is wrong with the setting)."""
    if group.expected == "members":
        return members, ""
    if isinstance(group.expected, int):
        return group.expected, ""
    try:
        value = evaluate(group.expected, unit)
    except Exception as exc:  # an unknown column, a bad expression
        return 0, str(exc)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return 0, f"“{group.expected}”的值不是人数：{value!r}"
    if value < 0:
        return 0, f"人数不能为负：{value}"
    return int(value), ""


def _questions(spec: EvaluationSpec, rubric: Rubric | None) -> list[Question]:
    ballot = spec.ballot
    if rubric is not None:
        return [
            Question(
                id=item.id,
                text=item.text,
                short=short_title(item.text, n),
                max=float(item.max),
                step=float(rubric.step_of(item)),
            )
            for n, (_, item) in enumerate(rubric.items(), start=1)
        ]
    if ballot.grade is not None:
        choices = tuple(ballot.grade.choices)
        return [Question(id="grade", text="评定等次", short="评定等次", choices=choices)]
    survey = ballot.survey
    return [
        Question(
            id=q.id,
            text=q.text,
            short=q.label,
            choices=tuple(q.choices or survey.choices),
            positive=tuple(q.positive or survey.positive),
            target=q.target,
        )
        for q in survey.questions
    ]


def short_title(text: str, number: int) -> str:
    """A column heading for an item: “做道德高尚的模范。…” → “道德高尚”, else “第N项”."""
    head = text.split("。", 1)[0].strip()
    for prefix in ("做", "争做"):
        if head.startswith(prefix):
            head = head[len(prefix) :]
    for suffix in ("的模范", "模范"):
        if head.endswith(suffix):
            head = head[: -len(suffix)]
    return head if 1 < len(head) <= 6 else f"第{number}项"


# -- ballot serials --------------------------------------------------------------------

SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_RANDOM, _TAG = 7, 5  # 35 bits that tell ballots apart, 25 bits of signature


def _base32(digest: bytes, length: int) -> str:
    number = int.from_bytes(digest[:8], "big")
    out = []
    for _ in range(length):
        number, rest = divmod(number, 32)
        out.append(SERIAL_ALPHABET[rest])
    return "".join(out)


def _mac(key: bytes, *parts: str) -> bytes:
    return hmac.new(key, "\0".join(parts).encode("utf-8"), hashlib.sha256).digest()


def _tag(key: bytes, round_id: str, evaluation_id: str, unit_id: str, group_id: str, body: str):
    return _base32(_mac(key, "ballot tag", round_id, evaluation_id, unit_id, group_id, body), _TAG)


def make_serial(
    key: bytes, round_id: str, evaluation_id: str, unit_id: str, group_id: str, index: int
) -> str:
    """The serial of one ballot, ``XXXX-XXXX-XXXX``: unguessable without the key.

    It is the same every time the same ballot is generated (so generating again
    gives the same ballots), says nothing about who holds it (the office hands
    ballots out at random), and carries a signature of the unit and rater group, so
    a typed serial can be checked alone (:func:`check_serial`).
    """
    body = _base32(
        _mac(key, "ballot serial", round_id, evaluation_id, unit_id, group_id, str(index)), _RANDOM
    )
    text = body + _tag(key, round_id, evaluation_id, unit_id, group_id, body)
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def normalise_serial(text: str) -> str | None:
    """A serial as typed (lower case, spaces, O for 0, I/L for 1) → ``XXXX-XXXX-XXXX``; None
    when it cannot be one."""
    raw = str(text).upper().translate(str.maketrans("OIL", "011"))
    raw = "".join(ch for ch in raw if ch not in " -_—－\t")
    if len(raw) != _RANDOM + _TAG or any(ch not in SERIAL_ALPHABET for ch in raw):
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def check_serial(
    key: bytes, serial: str, round_id: str, evaluation_id: str, unit_id: str, group_id: str
) -> bool:
    """Whether a (normalised) serial was made with this key for this unit and rater group."""
    raw = serial.replace("-", "")
    if len(raw) != _RANDOM + _TAG:
        return False
    body, tag = raw[:_RANDOM], raw[_RANDOM:]
    return hmac.compare_digest(_tag(key, round_id, evaluation_id, unit_id, group_id, body), tag)


def issued_serials(
    key: bytes, round_id: str, evaluation_id: str, unit_id: str, group_id: str, count: int
) -> list[str]:
    """The serials of the ``count`` ballots generated for one unit and rater group."""
    return [make_serial(key, round_id, evaluation_id, unit_id, group_id, i) for i in range(count)]
