"""Sample returns: the generated workbooks filled in as units really do, mistakes included.

Used by ``xlsxflow sample-returns`` and ``xlsxflow demo`` to show the whole flow.
Deterministic for a given seed.  The workbooks are filled with openpyxl, the way
a script or a careless copy-paste would: validation does not stop it.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from .layout import META_SHEET, Layout, build_layout
from .roster import Roster
from .rubric import Rubric
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
    # Things every inbox has.
    (out_dir / f"~${files[0].path.name}").write_bytes(b"\x00" * 162)
    (out_dir / "报送说明.pdf").write_bytes(b"%PDF-1.4\n% sample\n")
    (out_dir / "名单.xlsx").write_text("单位编号,单位名称\nCZJ,市财政局\n", encoding="utf-8")
    planted.append(Planted("", "临时锁文件 ~$…、PDF（跳过）；改名为 .xlsx 的 CSV（拒收）"))
    return planted


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
        elif inp.kind == "bonus":
            cell.value = inp.points if bonus_seen == bonus_index else 0
            bonus_seen += 1
        elif inp.kind == "declaration":
            cell.value = "否"
        elif inp.kind == "field":
            if inp.field_type == "date":
                cell.value = "2026-12-01"
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
