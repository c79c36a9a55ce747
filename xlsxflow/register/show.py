"""``xlsxflow history``: one unit's or person's record over the periods, as terminal lines."""

from __future__ import annotations

from ..clitext import display_width
from .model import KIND_LABELS, History, star_label
from .rules import Assessment


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def history_lines(history: History, assessment: Assessment) -> list[str]:
    """The record period by period, then the runs and titles, star changes, bars and flags."""
    s = history.subject
    head = f"{s.name}（{s.id}，{KIND_LABELS[s.kind]}）"
    if history.unit:
        head += f"  所在单位 unit: {history.unit.name}（{history.unit.id}）"
    lines = [head]
    if len(s.names) > 1:
        lines.append(f"  曾用名 names: {' → '.join(s.names)}")
    lines.append("")
    lines.append("记录 record:")
    if not history.decisions:
        lines.append("  （无评定结果 no decisions）")
    for r in history.decisions:
        d = r.decision
        parts = [
            _pad(r.period.chinese, 18),
            _pad(r.round_title or d.form, 30),
            f"{d.score:g}分" if d.score is not None else "",
            d.band,
            star_label(d.stars),
            f"★{d.award}" if d.award else "",
            d.title,
        ]
        text = "  " + "  ".join(p for p in parts if p)
        if r.revocation:
            text += f"  [已撤销 revoked {r.revocation.date.isoformat()}：{r.revocation.reason}]"
        lines.append(text)
    violations = history.all_violations
    if violations:
        lines += ["", "违纪违规 violations:"]
        for v in violations:
            who = "" if v.subject_id == s.id else f"{v.name}（{v.subject_id}） "
            state = f"  [已撤回 withdrawn：{v.revocation.reason}]" if v.revocation else ""
            lines.append(f"  #{v.id} {v.date.isoformat()} {who}{v.kind}：{v.reason}{state}")
    lines += ["", f"{assessment.year}年 year {assessment.year}:"]
    body = [
        *(("称号 title" if r.earned else "连续 run", r.message) for r in assessment.runs),
        *(("星级 stars", c.message) for c in assessment.stars),
        *(("不得评先 barred", b.message) for b in assessment.bars),
        *(("应撤销 to revoke", f.message) for f in assessment.revoke),
        *(("记录 record", c.message) for c in assessment.clean),
    ]
    if not body:
        lines.append("  （无 nothing）")
    for label, issue in body:
        lines.append(f"  {_pad(label, 16)} {issue.message}")
    return lines


def history_report(
    register, subject_id: str, year: int | None = None, role: str = "", round_file=None
) -> list[str]:
    """``xlsxflow history``: the subject's history and what the rules say about ``year``.

    The rules are the round file's ``history`` section (``round_file``: a path or a
    shipped round's name), else the party-branch seeds' (``DEFAULT_RULES``).
    """
    from .rules import DEFAULT_RULES, assess

    rules = DEFAULT_RULES
    if round_file is not None:
        from ..roundfile import load_round

        rules = load_round(round_file).spec.history or DEFAULT_RULES
    hist = register.history(subject_id)
    return history_lines(hist, assess(hist, rules, year, role))
