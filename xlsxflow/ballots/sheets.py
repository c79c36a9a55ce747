"""The 测评汇总 workbook: what the 民主测评 counted, for the office to read, print and decide.

Sheets: a 测评 sheet per unit (branch) and evaluation — each candidate's ballots
expected, returned, valid and invalid (by rule), the score per rater group and in
total, grade and shares, rank, the cap and ties at its cut, and why not
recommended; 参加情况 (per unit and rater group: expected, returned, blank, valid,
quorum); 测评率 (survey rates per unit and group, against their targets) when the
round has surveys; 审定 (the signed sheet the office fills in, :mod:`xlsxflow.approval`,
read back by ``xlsxflow publish``); 问题 and 文件 (the same sheets as the units'
summary); 说明 (the rules the round file set).

Anonymity: a result computed from fewer valid ballots than the evaluation's
threshold k never appears — no score, share, rate or rank of it on any sheet, in
the 审定 or in :func:`.count.outcome_dict`; the 问题 sheet masks the values a
ballot held (:func:`.count.mask`), and nothing ties a score to a serial or file.
"""

from __future__ import annotations

import io
import re
from fractions import Fraction
from pathlib import Path

from .. import __version__
from ..approval import (
    EVALUATION,
    RECOMMEND,
    TIED,
    ApprovalRow,
    FormFacts,
    add_approval_sheet,
)
from ..summary import (
    _STATUS,
    LINE_PT,
    MAX_ROW_PT,
    _Sheets,
    _when,
    display_width,
    files_sheet,
    issues_sheet,
    reading_workbook,
    text_lines,
)
from .count import ABSTAINED_TEXT, mask, percent, shown, status_text
from .model import INVALID_REASONS, VALID, BallotIngest, CandidateResult, EvaluationOutcome
from .spec import UNITS, Evaluation, RoundEvaluations

_L = {
    "title": ("{title} · 测评汇总", "{title} · evaluation summary"),
    "number": ("序号", "No."),
    "name": ("姓名", "Name"),
    "post": ("岗位或职务", "Post"),
    "expected": ("应参加", "Expected"),
    "returned": ("收回", "Returned"),
    "valid": ("有效", "Valid"),
    "invalid": ("无效（原因）", "Invalid (why)"),
    "counts": ("应参加 / 收回 / 有效", "Expected / returned / valid"),
    "blank": ("空白票", "Blank"),
    "score": ("测评得分", "Score"),
    "group_score": ("{group}得分", "{group} score"),
    "grade": ("评定等次", "Grade"),
    "shares": ("各等次占比", "Shares"),
    "rank": ("排名", "Rank"),
    "within_cap": ("名额内", "Within cap"),
    "tie": ("名额线并列", "Tied at cut"),
    "result": ("结果 / 说明", "Result / why"),
    "recommended": ("推荐", "recommended"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "tie_mark": ("★并列", "★ tied"),
    "not_shown": ("不显示", "not shown"),
    "participation": ("参加情况", "Participation"),
    "evaluation": ("测评", "Evaluation"),
    "unit": ("单位", "Unit"),
    "group": ("测评群体", "Rater group"),
    "rate_returned": ("收回率", "Returned %"),
    "quorum": ("法定人数", "Quorum"),
    "quorum_met": ("达到", "Met"),
    "rates": ("测评率", "Rates"),
    "combined": ("合计", "combined"),
    "targets": ("达标情况", "Targets"),
    "about": ("说明", "About"),
    "item": ("项目", "Item"),
    "what": ("说明", "What"),
    "serial_or_unit": ("票号 / 单位", "Serial / unit"),
    "unit_note": (
        "应参加：{expected}；推荐名额：{cap}；有效票少于 {k} 张的结果不显示。",
        "Expected: {expected}; cap: {cap}; results from fewer than {k} valid ballots are not shown.",
    ),
    "no_cap": ("不限", "none"),
}
RESERVED = {"审定", "问题", "文件", "说明", "全文", "参加情况", "测评率", "_xlsxflow_summary"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")


def _t(key: str, lang: str, **fields) -> str:
    zh, en = _L[key]
    text = en if lang == "en" else zh
    return text.format(**fields) if fields else text


def evaluation_summary_bytes(
    rnd,
    evals: RoundEvaluations,
    ingest: BallotIngest,
    outcome: EvaluationOutcome,
    *,
    key: bytes,
    lang: str = "zh",
    round_id: str = "",
    generated_at: str = "",
) -> bytes:
    """The 测评汇总 workbook (see the module docstring).

    ``rnd`` is the loaded round (:class:`xlsxflow.roundfile.Round`); ``round_id`` the
    recorded round's id, signed into the 审定 sheet so ``xlsxflow publish`` refuses
    another round's summary (pass ``ctx.record.round_id``); ``generated_at`` defaults
    to when the ballots were read (``ingest.started_at``).
    """
    buffer = io.BytesIO()
    wb = reading_workbook(buffer)
    round_title = rnd.spec.title
    title = _t("title", lang, title=round_title)
    wb.set_properties({"title": title, "author": "xlsxflow"})
    s = _Sheets(wb, lang)
    used: set[str] = set(RESERVED)
    first = None
    for ev in evals.evaluations.values():
        if ev.kind == "survey":
            continue
        for unit in ev.units:
            name = _sheet_name(unit.name, ev.title, len(evals.evaluations) > 1, used)
            ws = _unit_sheet(s, name, round_title, ev, unit, outcome.of(ev.id, unit.unit_id))
            first = first or ws
    ws = _participation_sheet(s, round_title, evals, outcome)
    (first or ws).activate()
    if any(ev.kind == "survey" for ev in evals.evaluations.values()):
        _rates_sheet(s, round_title, evals, outcome)
    facts, rows = evaluation_approval_rows(evals, outcome, rnd.roster)
    add_approval_sheet(
        wb,
        rows,
        approval=rnd.spec.approval,
        facts=facts,
        round_id=round_id,
        round_title=round_title,
        key=key,
        generated_at=generated_at or ingest.started_at,
    )
    files = [(f, "") for f in ingest.files]
    warnings = [*evals.warnings, *ingest.warnings, *outcome.warnings]
    issues_sheet(s, round_title, warnings, files, {}, masked=mask)
    files_sheet(s, round_title, files, id_label=_t("serial_or_unit", lang))
    s.full_text_sheet(round_title)
    _about_sheet(s, rnd, evals, ingest, lang)
    wb.close()
    return buffer.getvalue()


def _sheet_name(unit_name: str, title: str, several: bool, used: set[str]) -> str:
    """A unit's sheet name: its name (with the evaluation's title when there are several),
    without the characters a sheet name cannot hold, unique."""
    base = _BAD_SHEET_CHARS.sub("_", f"{unit_name}·{title}" if several else unit_name).strip()
    base = base[:31] or "测评"
    name, n = base, 2
    while name.lower() in {u.lower() for u in used}:
        suffix = f"（{n}）"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


# -- a titled, print-ready table --------------------------------------------------------


def _titled_table(
    s: _Sheets,
    name: str,
    round_title: str,
    title: str,
    note: str,
    headers: list[str],
    rows: list[list],
    *,
    most: int = 40,
    widths: dict[int, int] | None = None,
    landscape: bool = True,
    freeze_cols: int = 0,
    number_format=None,
):
    """A sheet: a title, a line of notes, a header row repeated on every printed page, the
    rows; columns as wide as their text (CJK counted double), rows as tall as it wraps."""
    ws = s.wb.add_worksheet(name)
    col_widths = []
    for col, header in enumerate(headers):
        longest = max(
            [min(display_width(header), 12)]
            + [
                max((display_width(part) for part in str(row[col] or "").split("\n")), default=0)
                for row in rows[:2000]
            ]
        )
        width = (widths or {}).get(col, min(max(longest + 2, 6), most))
        ws.set_column(col, col, width)
        col_widths.append(width)
    last = len(headers) - 1
    total = sum(col_widths)
    ws.merge_range(0, 0, 0, last, title, s.title)
    ws.set_row(0, 24)
    note_fmt = s.wb.add_format(
        {"font_name": "宋体", "font_size": 9, "font_color": "#595959", "text_wrap": True}
    )
    ws.merge_range(1, 0, 1, last, note, note_fmt)
    ws.set_row(1, min(MAX_ROW_PT, text_lines(note, total, 9) * 13 + 4))
    s.row(ws, 2, headers, col_widths, s.head)
    fmt, columns = number_format or (None, ())
    for r, row in enumerate(rows, 3):
        s.row(ws, r, row, col_widths)
        for col in columns:  # scores to the evaluation's decimals (86.50, not 86.5)
            if isinstance(row[col], float):
                ws.write_number(r, col, row[col], fmt)
    ws.freeze_panes(3, freeze_cols)
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f"&L{round_title.replace('&', '&&')[:100]}&R{name.replace('&', '&&')}")
    ws.set_footer("&C&P / &N")
    return ws


def _invalid_text(g, lang: str) -> str:
    """Invalid ballots by rule (and 弃权).  For a group below the anonymity threshold only
    their number: “全部满分 1” would say what one of a handful of raters gave."""
    if not g.shown:
        total = sum(g.invalid.values()) + g.abstained
        if not total:
            return ""
        return f"{total}（原因不显示）" if lang != "en" else f"{total} (why: not shown)"
    parts = [f"{INVALID_REASONS[k]} {g.invalid[k]}" for k in INVALID_REASONS if g.invalid.get(k)]
    if g.abstained:
        parts.append(f"{ABSTAINED_TEXT[lang == 'en']} {g.abstained}")
    return "；".join(parts)


def _shares_text(shares: dict[str, Fraction], decimals: int) -> str:
    return "\n".join(f"{ch} {percent(v, decimals)}" for ch, v in shares.items() if v)


def _unit_sheet(s: _Sheets, name: str, round_title: str, ev: Evaluation, unit, results):
    """One unit's 测评 sheet: a row per candidate."""
    lang = s.lang
    spec = ev.spec
    places = spec.aggregate.decimals
    several = len(spec.raters) > 1
    groups = [g for g in spec.raters if ev.expected.get((unit.unit_id, g.id), 0) > 0]
    headers = [_t("number", lang), _t("name", lang)]
    with_post = any(c.post for c in results)
    headers += [_t("post", lang)] * with_post
    if several:  # 两票制: one line per group in two columns, not four columns per group
        headers += [_t("counts", lang), _t("invalid", lang)]
    else:
        headers += [_t(k, lang) for k in ("expected", "returned", "valid", "invalid")]
    score_cols: list[int] = []
    if ev.kind == "items":
        if several:
            headers += [_t("group_score", lang, group=g.label) for g in groups]
        score_cols = list(range(len(headers) - len(groups) * several, len(headers) + 1))
        headers += [_t("score", lang), _t("rank", lang)]
    else:
        if several:
            headers += [f"{g.label}{_t('shares', lang)}" for g in groups]
        headers += [_t("shares", lang), _t("grade", lang)]
        headers += [_t("rank", lang)]
    capped = spec.cap is not None  # no cap: nobody is outside it, no cut to tie at
    headers += [_t("within_cap", lang), _t("tie", lang)] * capped
    headers.append(_t("result", lang))
    yes, no = _t("yes", lang), _t("no", lang)
    hidden_word = _t("not_shown", lang)
    rows = []
    for n, c in enumerate(results, 1):
        row: list = [n, c.name, *([c.post] * with_post)]
        by_group = {g.group_id: g for g in c.groups}
        if several:
            lines = [(g.label, by_group.get(g.id)) for g in groups]
            row.append(
                "\n".join(
                    f"{label} {r.expected} / {r.returned} / {r.valid}" for label, r in lines if r
                )
            )
            row.append(
                "\n".join(
                    f"{label} {_invalid_text(r, lang)}"
                    for label, r in lines
                    if r and _invalid_text(r, lang)
                )
            )
        else:
            r = by_group.get(groups[0].id) if groups else None
            row += [r.expected, r.returned, r.valid, _invalid_text(r, lang)] if r else [""] * 4
        valid = c.status == VALID
        if ev.kind == "items":
            if several:
                for g in groups:
                    r = by_group.get(g.id)
                    row.append(
                        float(shown(r.score_exact, places))
                        if r and r.shown and r.score_exact is not None
                        else hidden_word
                        if r and r.valid
                        else "—"
                    )
            row.append(float(shown(c.score_exact, places)) if valid else "—")
        else:
            if several:
                for g in groups:
                    r = by_group.get(g.id)
                    row.append(
                        _shares_text(r.shares, places)
                        if r and r.shown and r.shares
                        else hidden_word
                        if r and r.valid
                        else "—"
                    )
            row += [_shares_text(c.shares, places) if valid else "—", c.grade if valid else "—"]
        row.append(c.rank if valid and c.rank is not None else "—")
        if capped:
            row += [(yes if c.within_cap else no) if valid else "—"]
            row += [_t("tie_mark", lang) if c.tie_at_cut else ""]
        row.append(_result_text(c, ev, lang))
        rows.append(row)
    cap = ev.caps.get(unit.unit_id)
    people = " 人" if lang != "en" else ""
    expected = "、".join(f"{g.label} {ev.expected[(unit.unit_id, g.id)]}{people}" for g in groups)
    note = _t(
        "unit_note",
        lang,
        expected=expected or "—",
        cap=(f"{cap} 名" if lang != "en" else str(cap)) if cap is not None else _t("no_cap", lang),
        k=spec.anonymity,
    )
    if any(c.tie_at_cut for c in results):
        note += (
            "标★的候选人与名额线同分并列，xlsxflow 不作取舍，由党委决定。"
            if lang != "en"
            else " ★: tied at the cap's cut; the committee decides."
        )
    result_col = len(headers) - 1
    number = s.wb.add_format(
        {
            "font_name": "宋体",
            "font_size": 10,
            "valign": "vcenter",
            "border": 1,
            "align": "center",
            "num_format": "0." + "0" * places if places else "0",
        }
    )
    ws = _titled_table(
        s,
        name,
        round_title,
        f"{unit.name} · {ev.title}",
        note,
        headers,
        rows,
        widths={
            result_col: 34,
            1: max(8, min(14, max((display_width(c.name) for c in results), default=4) + 2)),
        },
        freeze_cols=2,
        number_format=(number, score_cols) if ev.kind == "items" else None,
    )
    if rows and capped:  # ties at the cut stand out
        tie_fmt = s.wb.add_format({"bg_color": "#FCE4D6", "bold": True})
        letter = _col_letter(len(headers) - 2)
        ws.conditional_format(
            3,
            0,
            len(rows) + 2,
            len(headers) - 1,
            {"type": "formula", "criteria": f'=${letter}4<>""', "format": tie_fmt},
        )
    if rows:
        recommended_fmt = s.wb.add_format({"bg_color": "#E2EFDA"})
        result = _col_letter(len(headers) - 1)
        word = "recommended" if lang == "en" else "推荐"
        ws.conditional_format(
            3,
            0,
            len(rows) + 2,
            len(headers) - 1,
            {
                "type": "formula",
                "criteria": f'=LEFT(${result}4,{len(word)})="{word}"',
                "format": recommended_fmt,
            },
        )
    return ws


def _col_letter(col: int) -> str:
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _result_text(c: CandidateResult, ev: Evaluation, lang: str) -> str:
    if c.status != VALID:
        return status_text(c.status, ev.spec.anonymity, lang)
    head = (
        "推荐"
        if c.recommended
        else "并列待定"
        if c.tie_at_cut
        else "不推荐"
        if ev.kind != "survey"
        else ""
    )
    if lang == "en":
        head = {
            "推荐": "recommended",
            "并列待定": "tied: to decide",
            "不推荐": "not recommended",
        }.get(head, head)
    if c.follow_up:
        c_flag = "需组织处置" if lang != "en" else "follow-up"
        head = f"{head}；{c_flag}" if head else c_flag
    return "：".join(x for x in (head, "；".join(c.reasons)) if x)


def _participation_sheet(s: _Sheets, round_title: str, evals: RoundEvaluations, outcome):
    lang = s.lang
    titles = {ev.id: ev.title for ev in evals.evaluations.values()}
    several = len(titles) > 1
    headers = [_t("evaluation", lang)] * several + [
        _t(k, lang)
        for k in (
            "unit",
            "group",
            "expected",
            "returned",
            "rate_returned",
            "blank",
            "valid",
            "quorum",
            "quorum_met",
        )
    ]
    yes, no = _t("yes", lang), _t("no", lang)
    rows = []
    for p in outcome.participation:
        quorum = "—"
        if p.quorum is not None:
            need = -(-p.quorum * p.expected // 1)  # ceil, exact
            quorum = f"{percent(Fraction(p.quorum), 0)}（{need} 张）"
        rows.append(
            [
                *([titles.get(p.evaluation_id, p.evaluation_id)] * several),
                p.unit_name,
                p.label,
                p.expected,
                p.returned,
                percent(Fraction(p.returned, p.expected), 0) if p.expected else "—",
                p.blank,
                p.valid,
                quorum,
                "—" if p.quorum_met is None else yes if p.quorum_met else no,
            ]
        )
    note = (
        "有效：至少对一名候选人有效的票数。法定人数按每名候选人的有效票计算；"
        "“达到”为“否”表示至少一名候选人的有效票不足，其结果为“测评无效（参加人数不足）”。"
        if lang != "en"
        else "Valid: ballots valid for at least one candidate. The quorum is counted per "
        "candidate; “no” means at least one candidate's result is void."
    )
    ws = _titled_table(
        s,
        _t("participation", lang),
        round_title,
        f"{round_title} · {_t('participation', lang)}",
        note,
        headers,
        rows,
        landscape=False,
    )
    if rows:
        col = _col_letter(len(headers) - 1)
        bad = s.wb.add_format({"bg_color": "#FCE4D6"})
        ws.conditional_format(
            3,
            0,
            len(rows) + 2,
            len(headers) - 1,
            {"type": "formula", "criteria": f'=${col}4="{no}"', "format": bad},
        )
    return ws


def _rates_sheet(s: _Sheets, round_title: str, evals: RoundEvaluations, outcome) -> None:
    """测评率: per survey, unit and group the rate of each question; then the combined rate
    against its target."""
    lang = s.lang
    yes, no = _t("yes", lang), _t("no", lang)
    hidden_word = _t("not_shown", lang)
    for ev in evals.evaluations.values():
        if ev.kind != "survey":
            continue
        places = ev.spec.aggregate.decimals
        headers = [_t("unit", lang)]
        if ev.source != UNITS:
            headers.append(_t("name", lang))
        headers += [_t("group", lang), _t("expected", lang), _t("returned", lang)]
        headers += [_t("valid", lang)]
        headers += [
            f"{q.short}（≥{percent(Fraction(str(q.target)), 0)}）" if q.target else q.short
            for q in ev.questions
        ]
        headers += [_t("targets", lang), _t("result", lang)]
        rows = []
        for c in outcome.of(ev.id):
            lead = [c.unit_name] + ([c.name] if ev.source != UNITS else [])
            for g in c.groups:
                rates = [
                    percent(g.rates[q.id], places)
                    if g.shown and q.id in g.rates
                    else hidden_word
                    if g.valid
                    else "—"
                    for q in ev.questions
                ]
                rows.append([*lead, g.label, g.expected, g.returned, g.valid, *rates, "", ""])
            if len(c.groups) > 1 or c.status != VALID:
                rates = [
                    percent(c.rates[q.id], places) if c.status == VALID and q.id in c.rates else "—"
                    for q in ev.questions
                ]
                rows.append([*lead, _t("combined", lang), "", "", "", *rates, "", ""])
            met = [yes if c.targets_met[q] else no for q in c.targets_met]
            rows[-1][-2] = (
                f"{sum(c.targets_met.values())}/{len(met)}" if c.status == VALID and met else "—"
            )
            rows[-1][-1] = _result_text(c, ev, lang)
        weights = "、".join(
            f"{g.label} {g.weight:g}" for g in ev.spec.raters if g.weight is not None
        )
        note = (
            "测评率 = 选择肯定答案（"
            + "；".join(f"{q.short}：{'、'.join(q.positive)}" for q in ev.questions)
            + "）的票占该题有效票的比例；有效票少于 "
            + f"{ev.spec.anonymity} 张的不显示。"
            + (f"多个群体按权重合计：{weights}。" if weights else "")
            if lang != "en"
            else "Rate: the share of positive answers among the valid answers."
        )
        name = _BAD_SHEET_CHARS.sub("_", f"{_t('rates', lang)}·{ev.title}")[:31]
        _titled_table(s, name, round_title, f"{ev.title} · {_t('rates', lang)}", note, headers, rows, widths={len(headers) - 1: 30})  # fmt: skip


# -- the 审定: candidates recommended within the cap, and those tied at the cut -------------


def _what(title: str) -> str:
    """党员先锋岗民主测评 → 党员先锋岗: what the 公示 is about."""
    for suffix in ("民主测评", "民主评议", "测评"):
        if title.endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)]
    return title


def evaluation_approval_rows(
    evals: RoundEvaluations, outcome: EvaluationOutcome, roster=None
) -> tuple[dict[str, FormFacts], list[ApprovalRow]]:
    """The 审定 rows of the evaluations: each candidate recommended within its unit's cap,
    and each tied at the cut (for the 党委 to decide), unit by unit in roster order, by
    rank within the unit.  Never a candidate whose result is not shown."""
    facts: dict[str, FormFacts] = {}
    rows: list[ApprovalRow] = []
    for ev in evals.evaluations.values():
        if ev.kind == "survey":
            continue  # a survey's rates feed a form; nobody is named on a 公示 by it
        candidates = [c for c in outcome.of(ev.id) if c.status == VALID]
        word = "支部" if ev.units and all(u.name.endswith("支部") for u in ev.units) else "单位"
        basis = "测评得分" if ev.kind == "items" else "评定等次"
        with_post = any(c.post for c in candidates)
        facts[ev.id] = FormFacts(
            form_id=ev.id,
            title=ev.title,
            reviewed=False,
            nominee="姓名",
            notice_fields=("岗位或职务",) if with_post else (),
            publicity=False,
            basis_text=basis,
            kind=EVALUATION,
            what=_what(ev.title),
            order=f"按{word}排列，同一{word}内按{basis}从高到低",
        )
        places = ev.spec.aggregate.decimals
        order = {u.unit_id: n for n, u in enumerate(ev.units)}
        slots = {
            (m.unit_id, m.member_id): n
            for unit_members in ev.candidates.values()
            for n, m in enumerate(unit_members, 1)
        }
        picked = [c for c in candidates if c.recommended or c.tie_at_cut]
        picked.sort(key=lambda c: (order[c.unit_id], c.rank or 0, slots[(c.unit_id, c.member_id)]))
        for c in picked:
            cap = ev.caps.get(c.unit_id)
            cap_words = f"，名额 {cap} 名" if cap is not None else ""
            score = shown(c.score_exact, places) if c.score_exact is not None else None
            if ev.kind == "items":
                result = f"测评得分 {score}，{word}内第 {c.rank} 名{cap_words}"
            else:
                result = f"评定等次：{c.grade}（{word}内第 {c.rank} 名{cap_words}）"
            unit = ev.unit(c.unit_id)
            parent = roster.parent_name(unit) if roster is not None and unit else ""
            tied = c.tie_at_cut and not c.recommended
            rows.append(
                ApprovalRow(
                    number=len(rows) + 1,
                    form_id=ev.id,
                    form=ev.title,
                    unit_id=c.unit_id,
                    unit=c.unit_name,
                    slot=slots[(c.unit_id, c.member_id)],
                    sheet="",
                    nominee=c.name,
                    self_score=None,
                    review_score=None,
                    decision_score=score,
                    basis="evaluation",
                    basis_text=basis,
                    rank=c.rank,
                    award="",
                    eligible=c.recommended,
                    reasons=list(c.reasons),
                    flags=[],
                    reviewed_form=False,
                    recommendation=TIED if tied else RECOMMEND,
                    advice=(
                        f"{TIED}：{'；'.join(c.reasons)}" if tied else f"{RECOMMEND}（{result}）"
                    ),
                    notice_values=[c.post] if with_post else [],
                    parent=parent,
                    result=result,
                )
            )
    return facts, rows


# -- 说明: the rules the round file set ----------------------------------------------------


def _rules(ev: Evaluation) -> list[tuple[str, str]]:
    spec = ev.spec
    agg = spec.aggregate
    rules = set(spec.invalid)
    out = [("候选人", f"{ev.source}（{sum(len(m) for m in ev.candidates.values())} 人，{len(ev.units)} 个单位）" if ev.source != UNITS else "各单位本身")]  # fmt: skip
    if ev.kind == "items":
        rubric = ev.rubric
        what = f"打分：{rubric.title}，{len(ev.questions)} 项" if rubric else "打分"
        out.append(("测评票", what + f"，满分 {sum(q.max for q in ev.questions):g} 分"))
    elif ev.kind == "grade":
        out.append(("测评票", "评定等次：" + "、".join(ev.questions[0].choices)))
    else:
        out.append(("测评票", "问卷：" + "；".join(f"{q.short}（{q.text}）" for q in ev.questions)))
    groups = "；".join(
        f"{g.label}（应参加：{'本单位全体候选人' if g.expected == 'members' else g.expected}"
        + (f"，权重 {g.weight:g}" if g.weight is not None and len(spec.raters) > 1 else "")
        + "）"
        for g in spec.raters
    )
    out.append(("测评群体", groups))
    if ev.kind == "items":
        if agg.method == "trimmed_mean":
            method = (
                f"有效票不少于 {agg.min_ballots} 张时，去掉 {agg.drop} 个最高分和 {agg.drop} 个最低分后取平均；"
                f"不足 {agg.min_ballots} 张时取算术平均。总分按每张票的总分去掉（整张票去掉），"
                "各项得分按该项分别去掉，所以各项得分之和可能与总分略有不同。"
            )
        else:
            method = "有效票的算术平均。"
        method += f"显示保留 {agg.decimals} 位小数（四舍五入）；排名、分数线按未舍入的得分。"
        out.append(("计分方法", method))
    elif ev.kind == "grade":
        grade = spec.ballot.grade
        text = "；".join(
            f"{r.grade}：{'、'.join(r.of)}票占有效票不少于 {percent(Fraction(str(r.share)), 0)}"
            for r in grade.rules
        )
        text += f"；其余：{grade.otherwise}（按顺序取第一条满足的）。"
        if grade.follow_up:
            text += f"需组织处置：{'、'.join(grade.follow_up)}。"
        text += f"推荐：{'、'.join(grade.recommend)}。" if grade.recommend else "本测评不推荐。"
        out.append(("等次规则", text))
    else:
        out.append(
            (
                "测评率",
                "；".join(
                    f"{q.short}：选“{'、'.join(q.positive)}”的占有效票的比例"
                    + (f"，须达到 {percent(Fraction(str(q.target)), 0)}" if q.target else "")
                    for q in ev.questions
                ),
            )
        )
    if len(spec.raters) > 1:
        out.append(
            (
                "两票制",
                "各群体的结果按权重加权合计；任一群体未达法定人数或结果不显示，合计也不显示。",
            )
        )
    invalid = [
        INVALID_REASONS[r] for r in ("blank", "incomplete", "all_same", "all_max") if r in rules
    ]
    text = (
        "无效票：" + "、".join(invalid) + "；" if invalid else ""
    ) + "取值错误（无法识别或超出范围）的一律无效。"
    if "blank" not in rules:
        text += "空白票不算无效，计为弃权（不计入有效票）。"
    if ev.kind == "grade" and rules & {"all_same", "all_max"}:
        text += "各项相同、全部满分对等次票指：一张票给所有候选人同一等次、全部最高等次。"
    out.append(("无效票规则", text))
    out.append(
        (
            "法定人数",
            f"每个测评群体的有效票不少于应参加人数的 {percent(Fraction(str(spec.quorum)), 0)}，"
            "否则为“测评无效（参加人数不足）”。"
            if spec.quorum is not None
            else "未设。",
        )
    )
    out.append(
        (
            "匿名门槛",
            f"有效票少于 {spec.anonymity} 张的结果一律不显示（本工作簿、审定表和报告均不出现），"
            "其无效票也只列张数、不列原因；问题表中不显示票面内容。",
        )
    )
    if spec.cap is not None:
        out.append(
            (
                "推荐名额",
                f"每个单位最多推荐的人数按 {spec.cap} 计算（各单位的名额见其测评表）；"
                "与名额线同分的全部列出（标★），由党委决定。",
            )
        )
    if spec.threshold is not None:
        out.append(("推荐分数线", f"测评得分不低于 {spec.threshold:g} 分。"))
    for note in spec.notes:
        out.append(("备注", note))
    return out


def _rules_en(ev: Evaluation) -> list[tuple[str, str]]:
    """The rules in English (``lang="en"``), shorter than the Chinese."""
    spec = ev.spec
    agg = spec.aggregate
    people = sum(len(m) for m in ev.candidates.values())
    out = [("Candidates", f"{ev.source} ({people})" if ev.source != UNITS else "the units")]
    out.append(
        ("Ballot", {"items": "scored items", "grade": "a grade", "survey": "survey"}[ev.kind])
    )
    out.append(
        (
            "Rater groups",
            "; ".join(
                f"{g.label} (expected: {g.expected}"
                + (
                    f", weight {g.weight:g}"
                    if g.weight is not None and len(spec.raters) > 1
                    else ""
                )
                + ")"
                for g in spec.raters
            ),
        )
    )
    if ev.kind == "items":
        method = (
            f"with at least {agg.min_ballots} valid ballots, the {agg.drop} highest and lowest "
            "are dropped (whole ballots for the total, per item for items); else the mean"
            if agg.method == "trimmed_mean"
            else "the mean of the valid ballots"
        )
        out.append(("Aggregation", f"{method}; shown to {agg.decimals} decimals, ranked exact"))
    rules = [r for r in ("blank", "incomplete", "all_same", "all_max") if r in spec.invalid]
    text = "invalid: " + ", ".join(rules + ["bad values (always)"])
    if "blank" not in spec.invalid:
        text += "; a blank ballot is an abstention"
    out.append(("Invalid ballots", text))
    if spec.quorum is not None:
        out.append(("Quorum", f"valid ≥ {percent(Fraction(str(spec.quorum)), 0)} of expected"))
    out.append(("Anonymity", f"no result from fewer than {spec.anonymity} valid ballots is shown"))
    if spec.cap is not None:
        out.append(("Cap", f"{spec.cap}; all tied at the cut are listed (★) for the committee"))
    if spec.threshold is not None:
        out.append(("Threshold", f"{spec.threshold:g}"))
    return out


def _about_sheet(s: _Sheets, rnd, evals: RoundEvaluations, ingest: BallotIngest, lang: str) -> None:
    zh = lang != "en"
    facts: list[tuple[str, str]] = [
        ("轮次" if zh else "Round", rnd.spec.title),
        ("收票时间" if zh else "Read at", _when(ingest.started_at)),
        ("测评票文件夹" if zh else "Ballots folder", Path(ingest.ballots_dir).name),
        (
            "文件" if zh else "Files",
            "，".join(f"{_STATUS[lang][k]} {v}" for k, v in ingest.counts().items() if v) or "0",
        ),
        ("测评票" if zh else "Ballots", str(len(ingest.ballots))),
    ]
    for ev in evals.evaluations.values():
        facts.append((ev.title, ""))
        facts += [(f"　{k}", v) for k, v in (_rules(ev) if zh else _rules_en(ev))]
    facts.append(("版本" if zh else "Version", f"xlsxflow {__version__}"))
    ws = s.wb.add_worksheet(_t("about", lang))
    widths = [16, 90]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, _t("title", lang, title=rnd.spec.title), s.title)
    s.row(ws, 2, [_t("item", lang), _t("what", lang)], widths, s.head)
    for r, (k, v) in enumerate(facts, 3):
        ws.write_string(r, 0, k, s.head)
        ws.write_string(r, 1, v, s.text) if v else ws.write_blank(r, 1, None, s.text)
        lines = max(text_lines(v, widths[1]), 1)
        if lines > 1:
            ws.set_row(r, min(MAX_ROW_PT, lines * LINE_PT + 4))
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&P / &N")


__all__ = ["evaluation_approval_rows", "evaluation_summary_bytes"]
