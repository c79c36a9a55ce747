"""Sample returns: the generated workbooks filled in as units really do, mistakes included.

Used by ``xlsxflow sample-returns`` and ``xlsxflow demo`` to show the whole flow.
Deterministic for a given seed.  The workbooks are filled with openpyxl, the way
a script or a careless copy-paste would: validation does not stop it.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from .layout import META_SHEET, NOT_APPLICABLE, Layout, build_layout
from .messages import XlsxflowError, make_issue
from .roster import Roster
from .rubric import Rubric, condition_places
from .writer import Generated

HONOUR_COLUMN = "最高荣誉级别"
HONOUR_TO_BONUS = {"国家级": 0, "省部级": 1, "市直": 2}  # index into the bonus lines


@dataclass
class Planted:
    unit_id: str
    what: str


def make_sample_returns(
    generated: list[Generated],
    rubric: Rubric,
    roster: Roster,
    out_dir: Path,
    *,
    seed: int = 2026,
    lang: str = "zh",
) -> list[Planted]:
    """Fill most workbooks into ``out_dir``; plant typical mistakes; leave a few units out."""
    rng = random.Random(seed)
    layout = build_layout(rubric, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(generated, key=lambda g: g.unit_id)
    if rubric.has_conditions:
        return _conditions_returns(files, layout, out_dir, rng)
    planted: list[Planted] = []
    # The last three units never answer.
    for g in files[-3:]:
        planted.append(Planted(g.unit_id, "未报送"))
    files = files[:-3]
    mistakes = [
        "text_number",
        "out_of_range",
        "missing",
        "veto",
        "duplicate",
        "resubmit",
        "tampered",
        "forged",
        "low",
    ]
    plan = {
        g.unit_id: (mistakes[i] if i < len(mistakes) else None) for i, g in enumerate(files[1::3])
    }
    for g in files:
        mistake = plan.get(g.unit_id)
        unit = roster.get(g.unit_id)
        target = out_dir / g.path.name
        wb = openpyxl.load_workbook(g.path)
        ws = wb[layout.sheet_name]
        _fill(
            ws, layout, rng, unit.extra.get(HONOUR_COLUMN, "") if unit else "", low=mistake == "low"
        )
        numbers = [i for i in layout.inputs if i.kind in ("score", "indicator")]
        first_score, second_score = numbers[0], numbers[1]
        if mistake == "text_number":
            suffix = "分" if first_score.kind == "score" else ""
            ws[first_score.ref] = f"{_full_width(_typed_value(first_score, rubric))}{suffix}"
            planted.append(
                Planted(g.unit_id, f"{first_score.ref} 填成全角文字“…分”（应被接受并提示）")
            )
        elif mistake == "out_of_range":
            ws[second_score.ref] = (
                (second_score.max or 100) + 3 if second_score.max is not None else -5
            )
            planted.append(Planted(g.unit_id, f"{second_score.ref} 粘贴了超出分值的数（应报错）"))
        elif mistake == "missing":
            ws[second_score.ref] = None
            planted.append(Planted(g.unit_id, f"{second_score.ref} 漏填（应报错）"))
        elif mistake == "veto":
            decl = next((i for i in layout.inputs if i.kind == "declaration"), None)
            if decl is not None:
                ws[decl.ref] = "是"
                planted.append(Planted(g.unit_id, f"{decl.ref} 声明存在一票否决情形（不符合条件）"))
        elif mistake == "tampered":
            ws.protection.sheet = False
            cell = next(c for c in layout.cells if c.style == "number")
            ws[cell.ref] = (
                cell.value + 10 if isinstance(cell.value, float | int) else f"{cell.value}（改）"
            )
            planted.append(Planted(g.unit_id, f"取消保护后改了 {cell.ref} 的分值（应拒收）"))
        elif mistake == "forged":
            meta = wb[META_SHEET]
            for row in meta.iter_rows():
                if row[0].value == "unit_name":
                    row[1].value = row[1].value + "（改）"
            planted.append(Planted(g.unit_id, "改动了隐藏的身份信息（签名不符，应拒收）"))
        elif mistake == "low":
            planted.append(Planted(g.unit_id, "自评分低于 90 分（不符合申报条件）"))
        wb.save(target)
        if mistake == "duplicate":
            shutil.copyfile(target, out_dir / f"{target.stem}（重发）.xlsx")
            planted.append(Planted(g.unit_id, "同一文件发了两次（按一份计）"))
        elif mistake == "resubmit":
            older = out_dir / "旧版" / target.name
            older.parent.mkdir(exist_ok=True)
            ws[first_score.ref] = 0
            wb.save(older)
            _age(older)
            planted.append(Planted(g.unit_id, "先交了旧版、后交了修改版（旧版被取代）"))
    planted.append(_inbox_clutter(out_dir, files[0].path.name))
    return planted


def sample_returns_for(
    ctx, workbooks_dir: Path, out_dir: Path, *, seed: int = 2026
) -> list[Planted]:
    """Fill the workbooks in ``workbooks_dir`` of the round ``ctx`` (one rubric or a round file).

    Which file belongs to which unit is read from each workbook's signed identity.
    """
    from .mail import pair_units

    workbooks_dir, out_dir = Path(workbooks_dir), Path(out_dir)
    if out_dir.resolve() == workbooks_dir.resolve():
        raise XlsxflowError(make_issue("samples-out-is-workbooks", out=str(out_dir)))
    pairs, _ = pair_units(workbooks_dir, ctx.roster)
    generated = [Generated(unit.unit_id, path) for unit, path in pairs]
    if not generated:
        raise XlsxflowError(make_issue("samples-no-workbooks", folder=str(workbooks_dir)))
    lang = ctx.record.lang if ctx.record else "zh"
    if ctx.round is not None and all(
        ctx.round.sheet_rubric(f.id).has_conditions for f in ctx.round.spec.forms
    ):  # a round of star levels only (the shipped xingji): a spread over the levels
        return make_levels_returns(generated, ctx.round, Path(out_dir), lang=lang)
    if ctx.round is not None:
        return make_round_returns(generated, ctx.round, Path(out_dir), seed=seed, lang=lang)
    return make_sample_returns(
        generated, ctx.rubric, ctx.roster, Path(out_dir), seed=seed, lang=lang
    )


def _inbox_clutter(out_dir: Path, a_name: str) -> Planted:
    """Things every inbox has: an Excel lock file, a PDF, a CSV renamed to .xlsx."""
    (out_dir / f"~${a_name}").write_bytes(b"\x00" * 162)
    (out_dir / "报送说明.pdf").write_bytes(b"%PDF-1.4\n% sample\n")
    (out_dir / "名单.xlsx").write_text("单位编号,单位名称\nCZJ,市财政局\n", encoding="utf-8")
    return Planted("", "临时锁文件 ~$…、PDF（跳过）；改名为 .xlsx 的 CSV（拒收）")


def _fill(ws, layout: Layout, rng: random.Random, honour: str, *, low: bool) -> None:
    bonus_index = HONOUR_TO_BONUS.get(honour)
    bonus_seen = 0
    for inp in layout.inputs:
        cell = ws[inp.ref]
        if inp.kind == "score":
            deduction = (
                rng.choice([0, 0, 0, 0.5, 0.5, 1]) if inp.step == 0.5 else rng.choice([0, 0, 1, 2])
            )
            if low:
                deduction += inp.max * 0.2
                deduction = round(deduction / inp.step) * inp.step
            cell.value = max(inp.max - deduction, 0)
            if inp.not_applicable and deduction == 1 and not low:  # e.g. no staff canteen
                cell.value = NOT_APPLICABLE
        elif inp.kind == "bonus":
            cell.value = inp.points if bonus_seen == bonus_index else 0
            bonus_seen += 1
        elif inp.kind == "declaration":
            cell.value = "否"
        elif inp.kind == "field":
            if inp.field_type == "date":
                cell.value = "2026-12-01"
            elif inp.field_type == "month":  # typed the ways people type a year and month
                cell.value = ("2008年7月", "2008-07", "2008.7", "2008/7")[inp.row % 4]
            elif inp.field_type == "choice":
                cell.value = inp.choices[0]
            elif inp.field_type == "integer":
                cell.value = inp.min_int or 1
            else:
                cell.value = {"填报人": "张敏", "联系电话": "0858-8220000"}.get(inp.label, "示例")
        elif inp.kind == "indicator":
            target = next(i for i in layout.rubric.indicators if i.id == inp.key).target
            value = round(target * rng.choice([0.95, 1.0, 1.05, 1.1, 1.2, 1.3]), 1)
            cell.value = min(value, inp.max) if inp.max is not None else value
        elif inp.kind == "note" and rng.random() < 0.3:
            cell.value = rng.choice(
                ["见台账第3册", "附活动照片 12 张", "有会议记录", "制度汇编已归档"]
            )


def _typed_value(inp, rubric: Rubric) -> float:
    """A plausible value for the first number a unit types as text."""
    if inp.kind == "indicator":
        return next(i for i in rubric.indicators if i.id == inp.key).target
    return inp.max - 0.5 if inp.step == 0.5 else inp.max - 1


def _full_width(value: float) -> str:
    return f"{value:g}".translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))


def _age(path: Path) -> None:
    import os
    import time

    old = time.time() - 3 * 86400
    os.utime(path, (old, old))


# -- rounds of several forms -------------------------------------------------------------

NAMES = ["王芳", "李强", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周军", "吴敏"]
# What a nomination names, by the label the round file gives it: windows and offices are
# places, not people.
WINDOWS = [
    "政务服务窗口",
    "综合受理窗口",
    "便民服务窗口",
    "投诉受理窗口",
    "咨询服务窗口",
    "证照办理窗口",
    "缴费服务窗口",
    "不动产登记窗口",
]
OFFICES = ["办公室", "综合科", "财务科", "人事科", "法规科", "信息科", "宣传科", "审批科"]
NOMINEES = {"窗口名称": WINDOWS, "科室名称": OFFICES}
ROUND_MISTAKES = [
    "publicity_short",
    "nominee_twice",
    "copied_sheet",
    "over_quota",
    "no_category",
    "low",
    "tampered",
    "forged",
    "missing",
    "duplicate",
    "resubmit",
]


def make_round_returns(
    generated: list[Generated], rnd, out_dir: Path, *, seed: int = 2026, lang: str = "zh"
) -> list[Planted]:
    """Fill a round's workbooks as units do: some forms, some slots, typical mistakes."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(generated, key=lambda g: g.unit_id)
    planted = [Planted(g.unit_id, "未报送") for g in files[-2:]]
    files = files[:-2]
    plan = _plan_mistakes(files, rnd)
    for g in files:
        mistake = plan.get(g.unit_id)
        unit = rnd.roster.get(g.unit_id)
        slots = rnd.slots_of(g.unit_id)
        book = rnd.book(slots, lang)
        wb = openpyxl.load_workbook(g.path)
        nominees = _Nominees(rng)
        honour = unit.extra.get(HONOUR_COLUMN, "") if unit else ""
        twice = _twice_form(slots) if mistake == "nominee_twice" else None
        chosen = _choose_slots(book, rnd, rng, every=mistake == "over_quota", whole_form=twice)
        filled = []
        for layout in book.sheets:
            if layout.sheet_name not in chosen:
                continue  # units often nominate fewer than they may
            ws = wb[layout.sheet_name]
            _fill(ws, layout, rng, honour, low=mistake == "low" and layout.plan.slot == 1)
            _fill_round_fields(ws, layout, nominees.next(layout.plan.nominee_label), rng)
            if layout.rubric.has_conditions:  # a conditions sheet: answers over the levels
                _answer_conditions(ws, layout, files.index(g), rng)
            filled.append(layout)
        by_group: dict[str, list] = {}
        for layout in filled:
            form = rnd.form(layout.plan.form_id)
            if form.nominee:
                by_group.setdefault(form.quota_group or form.id, []).append(layout)
        if mistake == "publicity_short":
            layout = next((x for x in filled if x.plan.publicity), None)
            if layout is not None:
                wb[layout.sheet_name][layout.input_named("xf_publicity_end").ref] = "2026-12-04"
                planted.append(
                    Planted(
                        g.unit_id, f"{layout.sheet_name} 公示 12-01 至 12-04 只有 4 天（不符合）"
                    )
                )
        elif mistake == "nominee_twice":
            pair = [x for x in filled if x.plan.form_id == twice][:2]
            if len(pair) == 2:
                ws1, ws2 = wb[pair[0].sheet_name], wb[pair[1].sheet_name]
                ws2[pair[1].input_named("xf_nominee").ref] = ws1[
                    pair[0].input_named("xf_nominee").ref
                ].value
                planted.append(
                    Planted(
                        g.unit_id,
                        f"{pair[1].sheet_name} 与 {pair[0].sheet_name} 推荐同一人（重复）",
                    )
                )
        elif mistake == "copied_sheet":
            layout = next((x for x in filled if x.plan.nominee_label), None)
            if layout is not None:
                copy = wb.copy_worksheet(wb[layout.sheet_name])
                copy.title = f"{layout.sheet_name} (2)"
                copy["D3"] = nominees.next(layout.plan.nominee_label)
                planted.append(
                    Planted(g.unit_id, f"复制了工作表 {layout.sheet_name} 多报一个（不计入）")
                )
        elif mistake == "over_quota":
            group = next((ls for ls in by_group.values() if len(ls) > 1), [])
            if group and len(group) > slots[group[0].plan.form_id]:
                planted.append(Planted(g.unit_id, "窗口和科室合计超出 10% 名额（多出的不予受理）"))
        elif mistake == "no_category":
            layout = next((x for x in filled if x.choose), None)
            if layout is not None:
                ws = wb[layout.sheet_name]
                for key in layout.choose[0].keys:
                    ws[next(i for i in layout.inputs if i.key == key).ref] = "否"
                planted.append(
                    Planted(g.unit_id, f"{layout.sheet_name} 推荐类别一个也没选（填写错误）")
                )
        elif mistake == "low":
            planted.append(Planted(g.unit_id, "第一张自评表低于 90 分（不符合申报条件）"))
        elif mistake == "tampered" and filled:
            ws = wb[filled[0].sheet_name]
            ws.protection.sheet = False
            cell = next(c for c in filled[0].cells if c.style == "label" and c.row > 4)
            ws[cell.ref] = f"{cell.value}（改）"
            planted.append(
                Planted(g.unit_id, f"取消保护后改了 {filled[0].sheet_name}!{cell.ref}（应拒收）")
            )
        elif mistake == "forged":
            for row in wb[META_SHEET].iter_rows():
                if row[0].value == "sheets":
                    row[1].value = row[1].value.replace("=1", "=5")
            planted.append(Planted(g.unit_id, "改了隐藏的名额信息（签名不符，应拒收）"))
        elif mistake == "missing" and filled:
            layout = filled[-1]
            first_required = next(i for i in layout.inputs if i.required and i.key != "nominee")
            wb[layout.sheet_name][first_required.ref] = None
            planted.append(
                Planted(g.unit_id, f"{layout.sheet_name}!{first_required.ref} 漏填（填写错误）")
            )
        target = out_dir / g.path.name
        wb.save(target)
        if mistake == "duplicate":
            shutil.copyfile(target, out_dir / f"{target.stem}（重发）.xlsx")
            planted.append(Planted(g.unit_id, "同一文件发了两次（按一份计）"))
        elif mistake == "resubmit" and filled:
            older = out_dir / "旧版" / target.name
            older.parent.mkdir(exist_ok=True)
            layout = filled[0]
            wb[layout.sheet_name][layout.inputs[0].ref] = None
            wb.save(older)
            _age(older)
            planted.append(Planted(g.unit_id, "先交了旧版、后交了修改版（旧版被取代）"))
    planted.append(_inbox_clutter(out_dir, files[0].path.name))
    return planted


def _twice_form(slots: dict[str, int]) -> str | None:
    """A form the unit may nominate at least two for (where a repeated name shows)."""
    return next((form_id for form_id, count in slots.items() if count >= 2), None)


def _applies(mistake: str, rnd) -> bool:
    """Whether the round has what the mistake needs (publicity dates, a shared quota …)."""
    forms = rnd.spec.forms
    rubrics = [rnd.sheet_rubric(f.id) for f in forms]
    groups = [f.quota_group for f in forms if f.quota_group]
    return {
        "publicity_short": any(f.publicity for f in forms),
        "nominee_twice": any(f.nominee for f in forms),
        "copied_sheet": any(f.nominee for f in forms),
        "over_quota": len(groups) > len(set(groups)),
        "no_category": any(r.choose for r in rubrics),
        "low": any(r.threshold for r in rubrics),
    }.get(mistake, True)


def _plan_mistakes(files: list[Generated], rnd) -> dict[str, str | None]:
    """Which unit gets which planted mistake: every third unit, each one able to make it."""
    plan: dict[str, str | None] = {}
    candidates = [g.unit_id for g in files[::3]] + [g.unit_id for g in files if g not in files[::3]]
    for mistake in filter(lambda m: _applies(m, rnd), ROUND_MISTAKES):
        for unit_id in candidates:
            if unit_id in plan:
                continue
            if mistake == "nominee_twice" and _twice_form(rnd.slots_of(unit_id)) is None:
                continue
            plan[unit_id] = mistake
            break
    return plan


def _choose_slots(
    book, rnd, rng: random.Random, *, every: bool, whole_form: str | None = None
) -> set[str]:
    """Which sheets a unit fills: its own forms, and within each quota a few nominations.

    ``every`` fills every sheet offered (more than a shared quota allows);
    ``whole_form`` fills every slot of that one form and nothing else of its group.
    """
    chosen: set[str] = set()
    groups: dict[str, list] = {}
    for layout in book.sheets:
        form = rnd.form(layout.plan.form_id)
        if not form.nominee:
            chosen.add(layout.sheet_name)
        else:
            groups.setdefault(form.quota_group or form.id, []).append(layout)
    for layouts in groups.values():
        if every:
            chosen.update(x.sheet_name for x in layouts)
            continue
        if whole_form and any(x.plan.form_id == whole_form for x in layouts):
            chosen.update(x.sheet_name for x in layouts if x.plan.form_id == whole_form)
            continue
        forms = list(dict.fromkeys(x.plan.form_id for x in layouts))
        rng.shuffle(forms)
        allowed = max(x.plan.slot for x in layouts if x.plan.form_id == forms[0])
        budget = rng.randint(1, allowed)
        for layout in sorted(layouts, key=lambda x: (forms.index(x.plan.form_id), x.plan.slot)):
            if budget:
                chosen.add(layout.sheet_name)
                budget -= 1
    return chosen


class _Nominees:
    """A unit's nominees, each named once: people, windows or offices by the sheet's label."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools: dict[str, list[str]] = {}

    def next(self, label: str) -> str:
        choices = NOMINEES.get(label, NAMES)
        pool = self.pools.setdefault(label, self.rng.sample(choices, len(choices)))
        return pool.pop() if pool else f"{choices[0]}（二）"


def _person_dates(rng: random.Random) -> tuple[str, str]:
    """A birth year and month between 1966 and 2001 and a work start 18 to 25 years later,
    typed as people type a month (1985年6月, 2008-09, 2008/9)."""
    year, month = rng.randint(1966, 2001), rng.randint(1, 12)
    start, start_month = min(year + rng.randint(18, 25), 2025), rng.randint(1, 12)
    typed = rng.choice(("{y}年{m}月", "{y}-{m:02d}", "{y}/{m}"))
    return f"{year}年{month}月", typed.format(y=start, m=start_month)


def _fill_categories(ws, layout: Layout, rng: random.Random) -> None:
    """附件7's categories as a unit ticks them: one or two 是 where the rule asks for one."""
    by_key = {i.key: i for i in layout.inputs}
    for rule in layout.choose:
        keys = [k for k in rule.keys if k in by_key]
        ticked = set(rng.sample(keys, min(len(keys), rule.min + rng.randint(0, 1))))
        for key in keys:
            ws[by_key[key].ref] = "是" if key in ticked else "否"


def _fill_round_fields(ws, layout: Layout, nominee: str, rng: random.Random) -> None:
    """Nominee, application texts and publicity dates, as a unit would write them."""
    birth, work_start = _person_dates(rng)
    _fill_categories(ws, layout, rng)
    texts = {
        "创建成效简介": "单位基本概况……主要业务指标……创建工作主要成绩和经验……",
        "简要事迹": "该同志长期扎根基层，爱岗敬业，服务群众热情周到……",
        "单位地址": "钟山大道 100 号",
        "通信地址": "钟山大道 100 号",
        "获市直级以上荣誉": "2025 年度市直机关先进集体",
        "曾获主要奖励": "2025 年度优秀共产党员",
        "单位及职务": "办公室主任",
        "文化程度": "大学本科",
        "邮政编码": "553000",
    }
    for inp in layout.inputs:
        if inp.key == "nominee":
            ws[inp.ref] = nominee
        elif inp.key == "publicity_start":
            ws[inp.ref] = "2026-12-01"
        elif inp.key == "publicity_end":
            ws[inp.ref] = "2026-12-07"
        elif inp.key.endswith("birth"):
            ws[inp.ref] = birth
        elif inp.key.endswith("work_start"):
            ws[inp.ref] = work_start
        elif inp.kind == "field" and inp.label == "性别":
            ws[inp.ref] = rng.choice(inp.choices)
        elif inp.kind == "field" and inp.field_type == "text":
            text = next((v for k, v in texts.items() if inp.label.startswith(k)), None)
            if text:
                ws[inp.ref] = text


# -- reviewers' returns ------------------------------------------------------------------

REVIEW_REASONS = [
    "台账资料不全",
    "现场查看与申报材料不符",
    "活动记录不连续",
    "制度未上墙",
    "佐证材料缺少照片",
    "部分工作未落实到位",
]
REVIEW_COMMENTS = [
    "创建工作组织有力，台账资料较完整，现场环境整洁；个别项目佐证材料不足，建议补充。",
    "领导重视，措施具体，群众评价较好；部分活动记录不连续，需加强日常积累。",
    "总体情况良好，自评基本属实；志愿服务台账需进一步规范。",
]
REVIEW_DATE = "2026-12-10"


def review_inputs(
    layout: Layout,
    shown,
    rng: random.Random,
    reviewer_name: str,
    *,
    inflated: bool = False,
) -> dict[str, object]:
    """What a reviewer types into one sheet, by input name (``xf_i01``, ``xf_i01_note`` …).

    Scores near but not above the unit's own (0, one or two steps lower); ``inflated``:
    the unit's self-score is well above what the reviewer finds (every third item 2.5 lower).
    Claimed bonus kept, every declaration and condition 属实, a reason where points
    were deducted, a 评语, the reviewer's name and the date.
    """
    from .review.model import TRUE

    values: dict[str, object] = {}
    scored = 0
    for inp in layout.inputs:
        if inp.kind == "score":
            scored += 1
            if inp.key in shown.not_applicable:
                values[inp.name] = NOT_APPLICABLE
                continue
            own = shown.scores.get(inp.key)
            own = inp.max if own is None else own
            cut = rng.choice([0, 0, 0, 1, 1, 2]) * inp.step
            if inflated and scored % 3 == 1 and inp.max >= 4:
                cut = 2.5
            score = max(0.0, own - cut)
            score -= score % inp.step  # on the rubric's step
            values[inp.name] = score
            if score < inp.max:
                values[f"{inp.name}_note"] = (
                    f"{rng.choice(REVIEW_REASONS)}，扣 {inp.max - score:g} 分"
                )
        elif inp.kind == "bonus":
            values[inp.name] = inp.points
        elif inp.kind == "declaration":
            values[inp.name] = TRUE
        elif inp.kind == "answer":  # a conditions form: confirmed as the unit answered
            own = shown.answers.get(inp.key)
            if inp.field_type == "number":
                values[inp.name] = own
            elif inp.required:  # what the unit claims (a veto: always)
                values[inp.name] = TRUE
        elif inp.key == "comment":
            values[inp.name] = rng.choice(REVIEW_COMMENTS)
        elif inp.key == "reviewer_name":
            values[inp.name] = reviewer_name
        elif inp.key == "reviewed_on":
            values[inp.name] = REVIEW_DATE
    return values


def fill_review_workbook(path: Path, out: Path, ctx, review, ledger, values) -> Path:
    """Fill a reviewer workbook as a reviewer does (openpyxl: validation does not stop it).

    ``values(entry, layout, shown)`` gives each sheet's inputs by input name (None:
    leave the sheet blank); ``shown`` is the unit's return the sheet was made from.
    """
    from .review.workbook import entry_layout, parse_sheets

    wb = openpyxl.load_workbook(path)
    rows = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows() if r[0].value}
    for entry in parse_sheets(rows.get("sheets") or "") or []:
        shown = ledger.submission(entry.return_hash)
        layout = entry_layout(ctx.round, review, entry, shown, rows.get("lang", "zh"))
        chosen = values(entry, layout, shown) if layout is not None else None
        if not chosen:
            continue
        ws = wb[entry.sheet]
        for inp in layout.inputs:
            if inp.name in chosen:
                value = chosen[inp.name]
                ws[inp.ref] = value
                if isinstance(value, str):
                    ws[inp.ref].data_type = "s"  # text as typed, never a formula
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def make_review_returns(
    generated,
    ctx,
    review,
    ledger,
    out_dir: Path,
    *,
    seed: int = 2026,
    over_max: int | None = 1,
    not_returning: int | None = 2,
    inflated_unit: str | None = None,
) -> list[Planted]:
    """Fill the reviewers' workbooks (``ReviewGenerated``) as reviewers do, into ``out_dir``.

    Scores near but below the self-scores with reasons and a 评语; the reviewer at
    position ``over_max`` scores one item above its maximum (an error); the one at
    ``not_returning`` sends nothing; every reviewer of ``inflated_unit`` (default: the
    first unit of the first reviewer) finds it well below its self-score (自评虚高).
    Deterministic for a given seed.  Returns what was planted (``unit_id``: the
    reviewer's id, or the unit's for 自评虚高).
    """
    from .review.workbook import parse_sheets

    out_dir.mkdir(parents=True, exist_ok=True)
    files = list(generated.files)
    planted: list[Planted] = []
    if inflated_unit is None and files:
        wb = openpyxl.load_workbook(files[0].path, read_only=True)
        rows = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows() if r[0].value}
        wb.close()
        entries = parse_sheets(rows.get("sheets") or "") or []
        inflated_unit = entries[0].unit_id if entries else None
    if inflated_unit:
        planted.append(Planted(inflated_unit, "自评虚高：评审人的实评分比自评分低很多"))
    for index, book in enumerate(files):
        if index == not_returning:
            planted.append(Planted(book.reviewer_id, "未交回评审表"))
            continue
        rng = random.Random(f"{seed}-{book.reviewer_id}")
        over = [index == over_max]

        def values(entry, layout, shown, rng=rng, book=book, over=over):
            typed = review_inputs(
                layout, shown, rng, book.name, inflated=entry.unit_id == inflated_unit
            )
            if over[0]:
                first = next((i for i in layout.inputs if i.kind == "score"), None)
                if first is not None:
                    typed[first.name] = first.max + 1
                    over[0] = False
                    planted.append(
                        Planted(
                            book.reviewer_id,
                            f"{entry.sheet}!{first.ref} 实评分 {first.max + 1:g} 超过分值 {first.max:g}",
                        )
                    )
            return typed

        fill_review_workbook(book.path, out_dir / book.path.name, ctx, review, ledger, values)
    return planted


def resubmit_after_review(
    generated, ctx, accepted, returns_dir: Path, *, avoid=()
) -> Planted | None:
    """A unit sends a corrected return after the reviewer workbooks went out.

    Takes the first reviewed unit (of the first reviewer workbook) not in ``avoid``
    whose accepted return is a plain file in ``returns_dir``, lowers its first
    reviewed item's self-score by one step and saves it as a newer file: the reviews
    already made of it are then stale.
    """
    from .review.workbook import parse_sheets

    for book in generated.files:
        wb = openpyxl.load_workbook(book.path, read_only=True)
        rows = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows() if r[0].value}
        wb.close()
        for entry in parse_sheets(rows.get("sheets") or "") or []:
            sheet = accepted.get(entry.key)
            if entry.unit_id in avoid or sheet is None or "/" in sheet.file:
                continue
            source = returns_dir / sheet.file
            layout = next(
                x
                for x in ctx.round.book(ctx.round.slots_of(entry.unit_id)).sheets
                if x.sheet_name == sheet.sheet
            )
            score = next(
                (
                    i
                    for i in layout.inputs
                    if i.kind == "score" and (sheet.submission.scores.get(i.key) or 0) >= 1
                ),
                None,
            )
            if score is None or source.suffix.lower() != ".xlsx" or not source.is_file():
                continue
            wb = openpyxl.load_workbook(source)
            old = sheet.submission.scores[score.key]
            wb[sheet.sheet][score.ref] = old - 1
            target = source.with_name(f"{source.stem}（更正）.xlsx")
            wb.save(target)
            later = max(time.time(), source.stat().st_mtime + 60)
            os.utime(target, (later, later))  # sent after the return it corrects
            return Planted(
                entry.unit_id,
                f"评审表发出后重新报送：{sheet.sheet}!{score.ref} 自评分 {old:g} → {old - 1:g}"
                "（此前对它的评审过期）",
            )
    return None


# -- conditions sheets (星级 by conditions, named stars) ----------------------------------


def condition_answers(rubric: Rubric, owners: list[str]) -> dict[str, object]:
    """Answers under which exactly the conditions of ``owners`` (level or star names) hold:
    their facts 是 and the others 否; each honour at the highest value they ask (else 无);
    each number at their strictest bound (else just short of the easiest one)."""
    facts: dict[str, str] = {}
    honours: dict[str, int] = {}
    numbers: dict[str, list[float]] = {}
    wanted: dict[str, float] = {}
    for owner, cond, _ in condition_places(rubric):
        inside = owner in owners
        key = cond.answer_id
        if cond.kind == "fact":
            if inside or key not in facts:
                facts[key] = "是" if inside else facts.get(key, "否")
        elif cond.kind == "honour":
            values = rubric.scale_values(rubric.measure(key).scale)
            rank = values.index(str(cond.at_least))
            honours.setdefault(key, -1)
            if inside:
                honours[key] = max(honours[key], rank)
        elif cond.kind == "number":
            bound = float(cond.at_least if cond.at_least is not None else cond.at_most)
            low = cond.at_least is not None
            numbers.setdefault(key, []).append(bound - 1 if low else bound + 1)
            if inside:
                chosen = wanted.get(key)
                stricter = chosen is None or (bound > chosen if low else bound < chosen)
                wanted[key] = bound if stricter else chosen
    answers: dict[str, object] = dict(facts)
    for key, rank in honours.items():
        values = rubric.scale_values(rubric.measure(key).scale)
        answers[key] = values[rank] if rank >= 0 else "无"
    for key, shorts in numbers.items():
        measure = rubric.measure(key)
        value = wanted.get(key, min(shorts))
        if measure.min is not None:
            value = max(value, measure.min)
        answers[key] = value
    for veto in rubric.vetoes:
        answers[veto.id] = "否"
    return answers


def _conditions_returns(files, layout: Layout, out_dir: Path, rng: random.Random) -> list[Planted]:
    """A spread of units over the levels (or named stars), one vetoed, one a single
    condition short of the next level, one value typed unreadably, one tampered, three silent."""
    rubric = layout.rubric
    planted = [Planted(g.unit_id, "未报送") for g in files[-3:]]
    files = files[:-3]
    names = rubric.level_names or [s.name for s in rubric.stars]
    answers_at = {inp.key: inp for inp in layout.inputs if inp.kind == "answer"}
    for index, g in enumerate(files):
        wb = openpyxl.load_workbook(g.path)
        ws = wb[layout.sheet_name]
        if rubric.stars:
            owners = [n for n in names if rng.random() < 0.6]
            reach = len(owners) - 1
        else:
            reach = index % (len(names) + 1) - 1  # -1: no level
            owners = names[: reach + 1]
        answers = condition_answers(rubric, owners)
        what = ""
        if index == 1 and rubric.vetoes:
            answers = condition_answers(rubric, names)
            veto = rubric.vetoes[0]
            answers[veto.id] = "是"
            what = (
                f"全部条件成立，但“{veto.text}”选“是”（一票否决：不能评为{'、'.join(veto.blocks)}）"
            )
        elif index == 2 and rubric.levels and len(names) > 1:
            reach = len(names) - 2
            answers = condition_answers(rubric, names)
            short = next(
                k
                for k, inp in answers_at.items()
                if inp.field_type == "choice"
                and answers.get(k) == "是"
                and k not in {v.id for v in rubric.vetoes}
                and _first_user(rubric, k) == names[-1]
            )
            answers[short] = "否"
            what = f"{names[-1]}只差一项条件（{answers_at[short].ref} 选“否”）"
        elif not rubric.stars:
            what = f"达到{names[reach]}" if reach >= 0 else "未达到任何星级"
        else:
            what = f"得 {len(owners)} 颗星：{'、'.join(owners) or '无'}"
        for key, inp in answers_at.items():
            ws[inp.ref] = answers.get(key)
        for inp in layout.inputs:
            if inp.kind == "note" and inp.key.startswith("c_") and rng.random() < 0.15:
                ws[inp.ref] = rng.choice(["见台账第3册", "附证书复印件", "有会议记录"])
            elif inp.kind == "field":
                if inp.key == "apply_level":
                    aimed = len(names) - 1 if index in (1, 2) else max(reach, 0)
                    ws[inp.ref] = names[aimed]
                elif inp.field_type == "date":
                    ws[inp.ref] = "2026-12-01"
                elif inp.field_type == "choice":
                    ws[inp.ref] = inp.choices[0]
                else:
                    ws[inp.ref] = "张敏"
            elif inp.kind == "score":  # 篇2: the score's band is the level aimed at
                band = next(
                    (b for b in rubric.bands.levels if b.name == names[max(reach, 0)]), None
                )
                floor = band.min if band and band.min is not None else inp.max * 0.7
                if reach < 0:  # below the lowest band
                    floor = max(0.0, floor - 5)
                share = min(1.0, (floor + (index % 3) * inp.step) / rubric.items_max)
                ws[inp.ref] = min(inp.max, -(-inp.max * share // inp.step) * inp.step)
        if index == 3:
            number = next((inp for inp in answers_at.values() if inp.field_type == "number"), None)
            cell = number or next(iter(answers_at.values()))
            ws[cell.ref] = "九十五"
            what = f"{cell.ref} 填成文字“九十五”（应报错并指明单元格）"
        elif index == 4:
            ws.protection.sheet = False
            label = next(c for c in layout.cells if c.style == "text")
            ws[label.ref] = f"{label.value}（改）"
            what = f"取消保护后改了 {label.ref} 的条件文字（应拒收）"
        wb.save(out_dir / g.path.name)
        planted.append(Planted(g.unit_id, what))
    planted.append(_inbox_clutter(out_dir, files[0].path.name))
    return planted


def _first_user(rubric: Rubric, key: str) -> str:
    """The lowest level (or star) whose conditions test answer ``key``."""
    return next(owner for owner, cond, _ in condition_places(rubric) if cond.answer_id == key)


# -- a round of conditions forms (xlsxflow demo --rubric xingji) --------------------------


def _short_of(rubric: Rubric, level: str, kind: str) -> tuple[str, object] | None:
    """An answer that meets the level below ``level`` but not ``level`` itself, on a
    condition of ``kind`` (honour: one step down its scale; number: a little above the
    lower level's bound, such as 调处成功率 96 where 四星级 asks 100 and 三星级 95)."""
    names = rubric.level_names
    below = names[names.index(level) - 1] if names.index(level) > 0 else None
    asked: dict[str, dict[str, object]] = {}
    for owner, cond, _ in condition_places(rubric):
        if cond.kind == kind and owner in (level, below):
            asked.setdefault(cond.answer_id, {})[owner] = cond.at_least
    for key, bounds in asked.items():
        high, low = bounds.get(level), bounds.get(below)
        if high is None or low is None or high == low:
            continue
        if kind == "honour":
            return key, low
        return key, float(low) + (float(high) - float(low)) * 0.2
    return None


def levels_spread(rubric: Rubric, index: int) -> tuple[dict[str, object], str, str]:
    """The ``index``-th unit of a planned spread over a rubric's levels: (answers, the level
    applied for, what was planted).  Each plan uses :func:`condition_answers`."""
    names = rubric.level_names
    top, n = names[-1], len(names)
    plans = ["top", "next_short", "veto", "level:3", "level:2", "short:2", "level:1", "level:0"]
    plan = plans[index % len(plans)]
    if plan == "top":
        return condition_answers(rubric, names), top, f"申报{top}，条件全部成立"
    if plan.startswith("level:"):
        level = names[min(int(plan[6:]), n - 1)]
        return condition_answers(rubric, names[: names.index(level) + 1]), level, f"申报{level}"
    if plan == "veto" and rubric.vetoes:
        veto = rubric.vetoes[-2] if len(rubric.vetoes) > 1 else rubric.vetoes[0]
        answers = {**condition_answers(rubric, names), veto.id: "是"}
        blocked = "、".join(veto.blocks)
        return answers, top, f"申报{top}，条件全部成立，但“{veto.text}”选“是”（只阻止{blocked}）"
    level = names[min(n - 2, 3)] if plan == "next_short" else names[min(2, n - 1)]
    answers = condition_answers(rubric, names[: names.index(level) + 1])
    what = []
    for kind in ("honour", "number") if plan == "next_short" else ("honour",):
        short = _short_of(rubric, level, kind)
        if short is not None:
            key, value = short
            answers[key] = value
            shown = f"{value:g}" if isinstance(value, float) else value
            what.append(f"{rubric.measure(key).text}填“{shown}”")
    return answers, level, f"申报{level}" + "".join(f"，{'、'.join(what)}" for _ in what[:1])


def make_levels_returns(
    generated: list[Generated], rnd, out_dir: Path, *, lang: str = "zh"
) -> list[Planted]:
    """Fill a round's conditions sheets as 社区 would: a spread over the levels (all met,
    one honour and one rate short of the level applied for, a veto that blocks only the top
    levels, each level once), the last unit silent.  Other sheets are filled as usual."""
    rng = random.Random(2026)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(generated, key=lambda g: g.unit_id)
    planted = [Planted(g.unit_id, "未报送") for g in files[-1:]]
    for index, g in enumerate(files[:-1]):
        book = rnd.book(rnd.slots_of(g.unit_id), lang)
        wb = openpyxl.load_workbook(g.path)
        for layout in book.sheets:
            ws = wb[layout.sheet_name]
            _fill(ws, layout, rng, "", low=False)
            if not layout.rubric.has_conditions:
                continue
            what = _answer_conditions(ws, layout, index, rng)
            planted.append(Planted(g.unit_id, f"{layout.sheet_name}：{what}"))
        wb.save(out_dir / g.path.name)
    return planted


def _answer_conditions(ws, layout: Layout, index: int, rng: random.Random) -> str:
    """Type a conditions sheet's answers (and 申报等级): the ``index``-th of
    :func:`levels_spread`, or named stars earned at random; returns what was planted."""
    rubric = layout.rubric
    if rubric.level_names:
        answers, applied, what = levels_spread(rubric, index)
    else:
        owners = [s.name for s in rubric.stars if rng.random() < 0.6]
        answers, applied, what = condition_answers(rubric, owners), "", "、".join(owners) or "无星"
    for inp in layout.inputs:
        if inp.kind == "answer":
            ws[inp.ref] = answers.get(inp.key)
        elif inp.key == "apply_level":
            ws[inp.ref] = applied
    return what


# -- reviewers confirming a conditions round (xlsxflow demo --rubric xingji) ------------------


def _level_only_fact(rubric: Rubric, level: str):
    """A fact ``level`` asks and no lower level does, preferably in the group of its honours
    (002 四星级 第3条: 已成功创建县级学习型党组织, an honour the seed words as a fact)."""
    names = rubric.level_names
    lower = {
        cond.answer_id
        for owner, cond, _ in condition_places(rubric)
        if owner in names[: names.index(level)]
    }
    own = rubric.levels[names.index(level)]
    honours = [g.conditions for g in own.groups if any(c.kind == "honour" for c in g.conditions)]
    for conds in [*honours, own.all_conditions()]:
        for cond in conds:
            if cond.kind == "fact" and cond.answer_id not in lower:
                return cond
    return None


def make_levels_review_returns(
    generated, ctx, review, ledger, out_dir: Path, *, seed: int = 2026
) -> list[Planted]:
    """Fill a conditions round's reviewer workbooks (``ReviewGenerated``) as the 考核组 do.

    Every answer 属实 and every rate as the unit wrote it (:func:`review_inputs`), but two
    findings that lower a level: the last reviewer of the first unit whose own answers reach
    the second-highest level marks a condition only that level asks :data:`FALSE` (002:
    “已成功创建县级学习型党组织”, 四星级 → 三星级); the first reviewer of the last unit
    reaching the top level measures a rate the top asks between the lower levels' bound
    and the unit's (调处成功率 96 where the unit wrote 100: 五星级 → 三星级).
    Deterministic for a given seed; ``unit_id`` of each :class:`Planted` is the reviewer's.
    """
    from .conditions import evaluate
    from .review.model import FALSE
    from .review.workbook import parse_sheets

    out_dir.mkdir(parents=True, exist_ok=True)
    reviewers: dict[tuple, list[str]] = {}  # a unit's sheet → its reviewers, in book order
    answers: dict[tuple, dict] = {}  # → the unit's own answers
    for book in generated.files:
        for entry in parse_sheets(_meta_sheets(book.path)) or []:
            if entry.conditions and ctx.round.sheet_rubric(entry.form_id).level_names:
                reviewers.setdefault(entry.key, []).append(book.reviewer_id)
                answers[entry.key] = ledger.submission(entry.return_hash).answers
    reached = {  # the level each unit's own answers reach
        key: evaluate(ctx.round.sheet_rubric(key[1]), own).level or ""
        for key, own in answers.items()
    }
    findings: dict[tuple[str, tuple], tuple[str, object, str]] = {}  # (reviewer, sheet) → …
    for key in sorted(reached):
        rubric = ctx.round.sheet_rubric(key[1])
        names, name = rubric.level_names, ctx.roster.get(key[0]).name
        if len(names) < 3 or reached[key] != names[-2] or findings:
            continue
        cond = _level_only_fact(rubric, names[-2])
        if cond is not None:
            what = f"{key[0]} {name}：“{cond.fact}”核实为{FALSE}"
            findings[(reviewers[key][-1], key)] = (cond.answer_id, FALSE, what)
    for key in sorted(reached, reverse=True):
        rubric = ctx.round.sheet_rubric(key[1])
        names, name = rubric.level_names, ctx.roster.get(key[0]).name
        if len(names) < 3 or reached[key] != names[-1]:
            continue
        short = _short_of(rubric, names[-2], "number")
        if short is not None:
            answer, value = short
            own = answers[key].get(answer)
            text = rubric.measure(answer).text
            what = f"{key[0]} {name}：{text}实测 {value:g}（本单位填报 {own:g}）"
            findings[(reviewers[key][0], key)] = (answer, value, what)
            break
    planted = [Planted(rid, what) for (rid, _), (_, _, what) in findings.items()]
    for book in generated.files:
        rng = random.Random(f"{seed}-{book.reviewer_id}")

        def values(entry, layout, shown, rng=rng, book=book):
            typed = review_inputs(layout, shown, rng, book.name)
            found = findings.get((book.reviewer_id, entry.key))
            if found is not None:
                answer, value, _ = found
                typed[next(i.name for i in layout.inputs if i.key == answer)] = value
            return typed

        fill_review_workbook(book.path, out_dir / book.path.name, ctx, review, ledger, values)
    return planted


def _meta_sheets(path: Path) -> str:
    """The ``sheets`` entry of a reviewer workbook's signed metadata."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows() if r[0].value}
    wb.close()
    return rows.get("sheets") or ""
