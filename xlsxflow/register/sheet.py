"""The summary's 历史 and 复查 sheets: what the register holds about a round's candidates.

Written by :func:`xlsxflow.summary.summary_bytes` when ingest ran with a register
and it knows a candidate (or a holder is re-checked): per candidate its last
periods of each form (score, star, award), the runs of consecutive awards with the
periods that count and the titles earned, star changes, the bars applied in this
round, awards flagged for revoking and the clean-record results; per holder of a
title its 复查 result.  Print-ready like every sheet of the summary (A4 landscape,
one page wide, header repeated, wrapped text).
"""

from __future__ import annotations

from .candidates import (
    KEPT,
    LOST,
    PENDING,
    CandidateHistory,
    RoundHistory,
    form_label,
    record_parts,
)

_H = {
    "history": ("历史", "History"),
    "recheck": ("复查", "Re-check"),
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "forms": ("本轮参评", "Candidate in"),
    "record": ("近期记录（每个项目最近 4 期）", "Record (last 4 periods of each form)"),
    "runs": ("连续获奖与称号", "Consecutive awards, titles"),
    "stars": ("星级变化", "Star changes"),
    "bars": ("本轮不得参评的原因", "Barred in this round"),
    "other": ("应撤销的奖项；无违纪记录", "Awards to revoke; clean record"),
    "title": ("称号", "Title"),
    "held": ("获得于", "Held since"),
    "form": ("复查项目", "Re-checked in"),
    "score": ("得分", "Score"),
    "threshold": ("复查分数线", "Threshold"),
    "state": ("复查结果", "Result"),
    "why": ("说明", "Why"),
    "none": ("—", "—"),
}


def _h(key: str, lang: str) -> str:
    zh, en = _H[key]
    return en if lang == "en" else zh


def record_text(c: CandidateHistory) -> str:
    """The last periods of each form: the form's name, then one line a period."""
    lines: list[str] = []
    last = None
    for d in c.recent():
        if d.form != last:
            lines.append(f"【{form_label(d)}】")
            last = d.form
        lines.append(f"{d.period.chinese}：{record_parts(d)}")
    return "\n".join(lines)


def history_rows(history: RoundHistory) -> list[list]:
    """One row per candidate the register knows (the 历史 sheet's body)."""
    rows = []
    for c in sorted(history.candidates, key=lambda c: c.subject.id):
        a = c.assessment
        rows.append(
            [
                c.subject.id,
                c.subject.name,
                "、".join(c.forms),
                record_text(c) or "—",
                "\n".join(r.message.message for r in a.runs if r.message) or "—",
                "\n".join(s.message.message for s in a.stars[-2:]) or "—",
                "\n".join(b.message.message for b in c.bars) or "无",
                "\n".join(
                    [*(f.message.message for f in a.revoke), *(x.message.message for x in a.clean)]
                )
                or "—",
            ]
        )
    return rows


def recheck_rows(history: RoundHistory) -> list[list]:
    """One row per holder of a re-checked title (the 复查 sheet's body)."""
    order = {LOST: 0, KEPT: 3, PENDING: 2}
    rows = []
    for r in sorted(history.rechecks, key=lambda r: (order.get(r.state, 1), r.unit_id)):
        rows.append(
            [
                r.unit_id,
                r.name,
                r.rule.title,
                f"{r.holding.period.chinese}\n{form_label(r.holding)}",
                r.form_title or r.rule.form,
                "" if r.score is None else r.score,
                "" if r.threshold is None else r.threshold,
                r.state,
                r.message,
            ]
        )
    return rows


def _fit_rows(ws, rows: list[list], widths: dict[int, int]) -> None:
    """Rows tall enough for their wrapped text with room to spare: LibreOffice breaks these
    long lines of Chinese, dates and punctuation earlier than a count of widths says."""
    from ..summary import LINE_PT, MAX_ROW_PT, wrapped_lines

    for r, row in enumerate(rows, 1):
        lines = max(
            wrapped_lines(str(v), widths[c] * 0.85)
            for c, v in enumerate(row)
            if v not in ("", None)
        )
        ws.set_row(r, min(MAX_ROW_PT, lines * LINE_PT + 6))


def add_history_sheets(s, history: RoundHistory | None, title: str, lang: str = "zh") -> None:
    """The 历史 sheet (and 复查 when a title is re-checked) on the summary's ``_Sheets`` ``s``."""
    if history is None or not history.shown:
        return
    if history.candidates:
        keys = ("id", "name", "forms", "record", "runs", "stars", "bars", "other")
        widths = {0: 9, 1: 15, 2: 12, 3: 34, 4: 26, 5: 24, 6: 30, 7: 26}
        _flagged_table(s, "history", keys, history_rows(history), widths, title, '=$G2<>"无"', lang)
    if history.rechecks:
        keys = ("id", "name", "title", "held", "form", "score", "threshold", "state", "why")
        widths = {0: 9, 1: 16, 2: 10, 3: 16, 4: 12, 5: 7, 6: 8, 7: 15, 8: 52}
        flag = f'=$H2<>"{KEPT}"'
        _flagged_table(s, "recheck", keys, recheck_rows(history), widths, title, flag, lang)


def _flagged_table(s, name: str, keys, rows, widths, title: str, flag: str, lang: str) -> None:
    """One of the register's tables: rows fitted to their text, a row shown as bad where the
    ``flag`` formula (on the first data row) holds."""
    headers = [_h(k, lang) for k in keys]
    ws = s.table(_h(name, lang), headers, rows, widths=widths, title=title, unit_columns=(0, 1))
    _fit_rows(ws, rows, widths)
    ws.conditional_format(
        1, 0, len(rows), len(headers) - 1, {"type": "formula", "criteria": flag, "format": s.bad}
    )


__all__ = ["add_history_sheets", "history_rows", "recheck_rows"]
