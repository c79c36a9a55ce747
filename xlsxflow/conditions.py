"""Star levels decided by conditions: one unit's answers → the level reached (or the named
stars earned), what is missing for the next level, vetoes, who decides, 公示; and the
round-level targets over many units' results.

Pure: no files, no workbooks.  The rubric's format (scales, measures, levels, named stars,
vetoes, targets) is in ``rubric.py`` and ``templates/README.md``.  Answers are keyed by a
fact condition's ``id`` (是/否), a measure's ``id`` (an honour's value on its scale, or a
number; "96%" and "96" both read as 96) and a veto's ``id`` (是: it applies); the workbook
and ingest that read them come later and build on :func:`evaluate`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from .messages import render
from .rubric import Condition, Rubric, condition_places, requirement_text

YES = ("是", "yes", "y", "true", "1", "√", "✓")
NO = ("否", "no", "n", "false", "0", "×", "✗")
NOT_ANSWERED = "未填"


@dataclass(frozen=True)
class Unmet:
    """One condition that does not hold: what it asks and what the unit has."""

    condition: str  # the answer it tests (fact id, measure id), "previous", "score" or a veto id
    requirement: str  # 市级以上文明社区
    actual: str  # 县级 · 96% · 否 · 未填
    group: str = ""  # the group of the level it belongs to (002: 一 … 四)
    veto: bool = False  # a veto that applies, not a condition unmet

    @property
    def text(self) -> str:
        """市级以上文明社区（现为县级） · 一票否决：… （不能评为四星级、五星级）."""
        if self.veto:
            return render("conditions-vetoed", veto=self.requirement, levels=self.actual)
        actual = f" {self.actual}" if self.actual[:1].isdigit() else self.actual  # 现为 96%
        return render("conditions-unmet", requirement=self.requirement, actual=actual)


@dataclass(frozen=True)
class Check:
    """One level (or named star): does it hold, and what does not."""

    name: str
    holds: bool
    unmet: list[Unmet]
    decided_by: str = ""
    publicity: bool = False


@dataclass(frozen=True)
class VetoHit:
    """A veto answered 是, and the levels it blocks."""

    id: str
    text: str
    blocks: list[str]

    @property
    def message(self) -> str:
        return render("conditions-vetoed", veto=self.text, levels="、".join(self.blocks))


@dataclass(frozen=True)
class StarResult:
    """One unit's result.  For levels: ``level`` (None: no level reached), ``next_level`` and
    what it ``missing``; for named stars: ``stars`` earned (``count``) and each star's check."""

    rubric_id: str
    kind: str  # levels · mixed · stars
    level: str | None = None
    band: str | None = None  # mixed: the band of the score alone
    score: float | None = None
    next_level: str | None = None
    missing: list[Unmet] = field(default_factory=list)
    vetoes: list[VetoHit] = field(default_factory=list)
    decided_by: str = ""  # of the level reached
    publicity: bool = False  # does the level reached need 公示
    stars: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)  # every level or star, lowest first
    unreadable: dict[str, str] = field(default_factory=dict)  # answer id → the value as read

    @property
    def count(self) -> int:
        """Named stars earned (levels: the number of the level reached, 0 for none)."""
        if self.kind == "stars":
            return len(self.stars)
        names = [c.name for c in self.checks]
        return names.index(self.level) + 1 if self.level in names else 0

    @property
    def missing_text(self) -> str:
        """距四星级还差：市级以上文明社区（现为县级）；调处成功率 100%（现为 96%）."""
        if self.kind == "stars":
            return "；".join(
                render("conditions-missing", level=c.name, items="、".join(u.text for u in c.unmet))
                for c in self.checks
                if not c.holds
            )
        if not self.next_level:
            return ""
        return render(
            "conditions-missing",
            level=self.next_level,
            items="；".join(u.text for u in self.missing),
        )

    @property
    def result_text(self) -> str:
        """The result in words for the 审定 and 结果通报: 五星级（由县评定，须公示）,
        三星级（由街道评定，不公示）, 未达到任何星级, 2 颗星：理论学习星、自身建设星."""
        if self.kind == "stars":
            if not self.stars:
                return render("conditions-no-stars")
            return render("conditions-stars-earned", count=self.count, stars="、".join(self.stars))
        if self.level is None and len(self.checks) == 1:  # one level only (004): say which
            return render("conditions-not-reached", level=self.checks[0].name)
        if self.level is None:
            return render("conditions-no-level")
        if not self.decided_by and not self.publicity:
            return self.level  # the rubric says neither (004)
        publicity = "conditions-publicity-yes" if self.publicity else "conditions-publicity-no"
        by = self.decided_by or "—"
        return render("conditions-decided", level=self.level, by=by, publicity=render(publicity))

    @property
    def reached(self) -> bool:
        """A level reached, or at least one named star earned."""
        return bool(self.stars) if self.kind == "stars" else self.level is not None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["count"] = self.count
        d["missing_text"] = self.missing_text
        d["missing"] = [dict(asdict(u), text=u.text) for u in self.missing]
        d["vetoes"] = [dict(asdict(v), message=v.message) for v in self.vetoes]
        for check, out in zip(self.checks, d["checks"], strict=True):
            out["unmet"] = [dict(asdict(u), text=u.text) for u in check.unmet]
        return d


@dataclass(frozen=True)
class TargetResult:
    """A round-level target (80% at 三星级 or above): the share reached, and whether it is met."""

    level: str
    target: float  # %
    count: int  # units at or above the level
    total: int
    reached: bool
    text: str = ""  # the seed's words
    form_id: str = ""  # a round file's form it belongs to ("" for a single rubric)

    @property
    def share(self) -> float:
        """The share at or above the level, in % (one decimal)."""
        return round(self.count * 100 / self.total, 1) if self.total else 0.0

    @property
    def message(self) -> str:
        return render(
            "conditions-target",
            level=self.level,
            count=self.count,
            total=self.total,
            share=f"{self.share:g}",
            target=f"{self.target:g}",
            verdict="达到" if self.reached else "未达到",
        )

    def to_dict(self) -> dict:
        return dict(asdict(self), share=self.share, message=self.message)


@dataclass(frozen=True)
class Question:
    """One answer a unit gives, asked once however many levels test it: what the
    conditions sheet (a later step) draws as a row, and what ingest reads into ``answers``."""

    id: str  # the key in ``answers``
    kind: str  # fact (是/否) · honour (a value of ``choices``) · number · veto (是/否)
    text: str  # the seed's words (a fact, a veto) or the measure's name
    choices: list[str] = field(default_factory=list)  # 是/否, or the scale lowest first
    unit: str = ""
    min: float | None = None
    max: float | None = None
    used_by: list[str] = field(default_factory=list)  # the levels or stars that test it
    group: str = ""  # the group where it first appears


def questions(rubric: Rubric) -> list[Question]:
    """Every answer ``rubric`` needs, in the order first met: facts and measures level by
    level (lowest first) or star by star, then the vetoes."""
    found: dict[str, dict] = {}
    for owner, cond, path in condition_places(rubric):
        key = cond.answer_id
        if key is None:
            continue
        entry = found.get(key)
        if entry is None:
            group = ""
            if "groups" in path:
                holder = (rubric.levels if path[0] == "levels" else rubric.stars)[path[1]]
                group = holder.groups[path[3]].name
            entry = found[key] = {"cond": cond, "used_by": [], "group": group}
        if owner not in entry["used_by"]:
            entry["used_by"].append(owner)
    out = []
    for key, entry in found.items():
        cond = entry["cond"]
        common = {"id": key, "used_by": entry["used_by"], "group": entry["group"]}
        if cond.kind == "fact":
            out.append(Question(kind="fact", text=cond.fact or "", choices=["是", "否"], **common))
            continue
        m = rubric.measure(key)
        if m.is_honour:
            out.append(
                Question(kind="honour", text=m.text, choices=rubric.scale_values(m.scale), **common)
            )
        else:
            out.append(
                Question(kind="number", text=m.text, unit=m.unit, min=m.min, max=m.max, **common)
            )
    out += [
        Question(id=v.id, kind="veto", text=v.text, choices=["是", "否"], used_by=list(v.blocks))
        for v in rubric.vetoes
    ]
    return out


# -- reading answers -------------------------------------------------------------------


def _fact(value: object) -> bool | None:
    """是 → True, 否 → False, empty → None; anything else raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(value)


def _number(value: object) -> float | None:
    """96, 96.0, "96", "96%", "96 %" → 96.0; empty → None; anything else raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    try:
        if isinstance(value, int | float):
            return float(value)
        return float(str(value).strip().removesuffix("%").strip())
    except (OverflowError, TypeError) as exc:  # 10**400, and the like
        raise ValueError(value) from exc


def _within(value: float, low: float | None, high: float | None) -> bool:
    """Finite, and inside the measure's range when it has one."""
    if not math.isfinite(value):
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def _shown(value: float, unit: str) -> str:
    return f"{value:g}{unit}"


# -- evaluation ------------------------------------------------------------------------


class _Answers:
    def __init__(self, rubric: Rubric, answers: Mapping[str, object]):
        self.rubric = rubric
        self.answers = answers
        self.unreadable: dict[str, str] = {}

    def unmet(
        self, cond: Condition, group: str, below: str = "", below_holds: bool = False
    ) -> Unmet | None:
        """None when ``cond`` holds, else what is missing (``below``: the level under it)."""
        rubric = self.rubric
        need = requirement_text(rubric, cond)
        kind = cond.kind
        if kind == "previous":
            if below and not cond.text:
                need = f"{below}的条件全部成立"
            return None if below_holds else Unmet("previous", need, "未达到", group)
        key = cond.answer_id or ""
        raw = self.answers.get(key)
        if kind == "fact":
            try:
                value = _fact(raw)
            except ValueError:
                self.unreadable[key] = str(raw)
                return Unmet(key, need, f"无法识别的“{raw}”", group)
            if value:
                return None
            return Unmet(key, need, NOT_ANSWERED if value is None else "否", group)
        measure = rubric.measure(key)
        if kind == "honour":
            values = rubric.scale_values(measure.scale)
            text = "" if raw is None else str(raw).strip()
            if not text:
                return Unmet(key, need, NOT_ANSWERED, group)
            if text not in values:
                if text not in ("无", "没有", "未创建"):
                    self.unreadable[key] = text
                return Unmet(key, need, text, group)
            held, wanted = values.index(text), values.index(str(cond.at_least))
            return None if held >= wanted else Unmet(key, need, text, group)
        try:
            value = _number(raw)
        except ValueError:
            self.unreadable[key] = str(raw)
            return Unmet(key, need, f"无法识别的“{raw}”", group)
        if value is None:
            return Unmet(key, need, NOT_ANSWERED, group)
        if not _within(value, measure.min, measure.max):  # 150%, -3, nan: not a reading
            self.unreadable[key] = str(raw)
            return Unmet(key, need, f"无法识别的“{raw}”", group)
        ok = value >= float(cond.at_least) if cond.at_least is not None else value <= cond.at_most
        return None if ok else Unmet(key, need, _shown(value, measure.unit), group)

    def vetoes(self) -> list[VetoHit]:
        hits = []
        for veto in self.rubric.vetoes:
            raw = self.answers.get(veto.id)
            try:
                applies = _fact(raw)
            except ValueError:
                self.unreadable[veto.id] = str(raw)
                applies = None
            if applies:
                hits.append(VetoHit(veto.id, veto.text, list(veto.blocks)))
        return hits


def evaluate(
    rubric: Rubric, answers: Mapping[str, object], score: float | None = None
) -> StarResult:
    """One unit's result under ``rubric`` (levels, mixed or named stars).

    ``answers`` maps a fact's id to 是/否, a measure's id to its value (an honour's value
    on its scale, or a number) and a veto's id to 是/否; ``score`` is the unit's total for a
    mixed rubric (``by_score``).  A missing answer counts as not holding (未填).
    """
    if not rubric.has_conditions:
        raise ValueError(f"{rubric.id} decides no stars by conditions")
    reader = _Answers(rubric, answers)
    hits = reader.vetoes()
    if rubric.stars:
        return _named_stars(rubric, reader, hits)
    blocked: dict[str, list[VetoHit]] = {}
    for hit in hits:
        for name in hit.blocks:
            blocked.setdefault(name, []).append(hit)
    band = rubric.band_for(score) if rubric.by_score and score is not None else None
    names = rubric.level_names
    band_rank = names.index(band) if band in names else -1
    checks: list[Check] = []
    below, below_holds = "", False
    for rank, level in enumerate(rubric.levels):
        unmet = []
        if rubric.by_score and rank > band_rank:
            shown = NOT_ANSWERED if score is None else f"{score:g} 分"
            need = render("conditions-score-band", score_label=rubric.score_label, level=level.name)
            unmet.append(Unmet("score", need, shown))
        for group, conds in _grouped(level):
            for cond in conds:
                miss = reader.unmet(cond, group, below, below_holds)
                if miss:
                    unmet.append(miss)
        for hit in blocked.get(level.name, []):
            unmet.append(Unmet(hit.id, hit.text, "、".join(hit.blocks), veto=True))
        holds = not unmet
        checks.append(Check(level.name, holds, unmet, level.decided_by, level.publicity))
        below, below_holds = level.name, holds
    return level_result(rubric, checks, hits, band=band, score=score, unreadable=reader.unreadable)


def level_result(
    rubric: Rubric,
    checks: list[Check],
    vetoes: list,
    *,
    band: str | None = None,
    score: float | None = None,
    unreadable: dict[str, str] | None = None,
) -> StarResult:
    """The level reached from each level's check: the highest that holds (and, for
    cumulative levels, every level below it), with what the next level lacks."""
    reached = -1
    for rank, check in enumerate(checks):
        if check.holds:
            reached = rank
        elif rubric.level_mode == "cumulative":
            break
    level = rubric.levels[reached] if reached >= 0 else None
    following = checks[reached + 1] if reached + 1 < len(checks) else None
    return StarResult(
        rubric_id=rubric.id,
        kind=rubric.kind,
        level=level.name if level else None,
        band=band,
        score=score,
        next_level=following.name if following else None,
        missing=list(following.unmet) if following else [],
        vetoes=vetoes,
        decided_by=level.decided_by if level else "",
        publicity=level.publicity if level else False,
        checks=checks,
        unreadable=unreadable or {},
    )


def _grouped(owner) -> list[tuple[str, list[Condition]]]:
    if owner.groups:
        return [(g.name, list(g.conditions)) for g in owner.groups]
    return [("", list(owner.conditions))]


def _named_stars(rubric: Rubric, reader: _Answers, hits: list[VetoHit]) -> StarResult:
    checks = []
    for star in rubric.stars:
        unmet = [
            miss
            for group, conds in _grouped(star)
            for cond in conds
            if (miss := reader.unmet(cond, group))
        ]
        unmet += [
            Unmet(h.id, h.text, "、".join(h.blocks), veto=True)
            for h in hits
            if star.name in h.blocks
        ]
        checks.append(Check(star.name, not unmet, unmet))
    return StarResult(
        rubric_id=rubric.id,
        kind="stars",
        stars=[c.name for c in checks if c.holds],
        vetoes=hits,
        checks=checks,
        unreadable=reader.unreadable,
    )


def round_targets(rubric: Rubric, results: Iterable[StarResult]) -> list[TargetResult]:
    """Each of the rubric's round-level targets over the units' results: a share of units at
    or above a level (“80%以上…达到三星级以上”: 80% exactly is reached, 79% is not)."""
    names = rubric.level_names
    ranks = [names.index(r.level) if r.level in names else -1 for r in results]
    out = []
    for target in rubric.targets:
        wanted = names.index(target.level)
        count = sum(rank >= wanted for rank in ranks)
        total = len(ranks)
        out.append(
            TargetResult(
                level=target.level,
                target=target.share,
                count=count,
                total=total,
                reached=bool(total) and count * 100 >= target.share * total,
                text=target.text,
            )
        )
    return out
