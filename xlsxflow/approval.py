"""The office's 审定: the summary's 审定 sheet, signed, and reading it back untrusting.

The reviewers open the summary; the office decides (000 四.5–四.6: the 市直机关工委
proposes, asks the 纪工委, the 文明办 审核, then 公示 and 命名; 红旗党支部: 党委考核测评,
局内公示).  The 审定 sheet lists every candidate (one per unit sheet of every form)
with what xlsxflow computed — self-score, reviewed score, the score the decision
rests on and its basis, rank, and the recommendation (推荐 / 不推荐 and why / 待评审)
— all locked, then the input columns the round file's ``approval`` section names
(纪检意见, 审定结果 同意/不同意/暂缓, 意见 by default).

The 测评汇总 of a 民主测评 (:mod:`xlsxflow.ballots.sheets`) carries the same sheet: its
rows are the members recommended within their branch's cap (推荐) and those tied at
the cut (并列待定, for the 党委), with the result in words; its forms are marked
``kind = evaluation`` and say the 公示's subject and order, so ``publish`` lists them
branch by branch.

The summary carries its own signed identity in a very hidden sheet
(:data:`META_SHEET`): format, round, key fingerprint, the sheet's headers, and
every row's locked cells with the facts behind them, signed with the office key
(HMAC-SHA256).  :func:`read_approval` reads the sheet with xlsxflow's own reader
(:mod:`.ooxml`) and compares: an edited score or recommendation, a forged added row
or a deleted row is an error naming the sheet and the cell, like a tampered return.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from .identity import key_id, protection_password
from .layout import InputCell
from .messages import CATALOGUE, Issue, make_issue, render
from .ooxml import Limits, ReadError, Sheet, cell_ref, open_book, sniff
from .review.confirm import level_words
from .review.model import Candidate
from .roundfile import APPROVE, Approval
from .values import fmt, writable
from .writer import validation_for, wrapped_lines

SHEET = "审定"
META_SHEET = "_xlsxflow_summary"
FORMAT = "xlsxflow-summary-1"
HEADER_ROW = 2  # 0-based: title, a line on how to fill it in, the headers
FIRST_ROW = HEADER_ROW + 1
LOCKED = ("序号", "表", "单位", "被推荐对象", "自评分", "实评分", "决定分", "依据", "排名")
ADVICE = "计算结果/建议"
ADVICE_WIDTH = 34
RECOMMEND, NOT_RECOMMENDED, PENDING = "推荐", "不推荐", "待评审"
TIED = "并列待定"  # 民主测评: tied across the cap's cut, for the 党委 to decide
BASIS_WORDS = {
    "self": "自评分",
    "review": "实评分",
    "composite": "综合分",
    "evaluation": "测评得分",
    "conditions": "星级条件",  # a level decided by conditions alone: no score to rest on
}
FORM, EVALUATION = "form", "evaluation"  # FormFacts.kind: a unit's form, or a 民主测评
UNDECIDED = "未审定"
CELL_CHARS = 30_000  # an identity value longer than this continues in the next cell
# A summary is bigger than a unit return: many sheets, a row per candidate.
SUMMARY_LIMITS = Limits(
    max_file_bytes=200 * 1024 * 1024,
    max_entries=5_000,
    max_sheets=500,
    max_rows=200_000,
    max_cols=200,
    max_cells=5_000_000,
    max_total_uncompressed=1024 * 1024 * 1024,
    max_entry_uncompressed=256 * 1024 * 1024,
)


@dataclass(frozen=True)
class FormFacts:
    """What the 审定 needs to know of a form beyond its candidates (signed with them)."""

    form_id: str
    title: str
    reviewed: bool  # the round file gives it a review: no 同意 on self-scores alone
    award: str = ""  # the award only some eligible get (红旗: top three); "" for none
    nominee: str = ""  # the nominee's label (姓名, 窗口名称); "" for the unit itself
    notice_fields: tuple[str, ...] = ()  # labels listed on its 公示
    publicity: bool = False  # 公示 minimum days apply
    basis_text: str = ""  # the decision basis in words (综合分 = 自评分 × 0.3 + …)
    kind: str = FORM  # evaluation: candidates from a 民主测评 (ballots/sheets.py), in unit order
    what: str = ""  # the 公示's subject when not the title (党员先锋岗 for its 民主测评)
    order: str = ""  # the 公示's order in words when not by score (by branch, then score)
    conditions: bool = False  # levels or named stars decided by conditions (002, 篇2, 篇3, 004)
    publicity_levels: tuple[str, ...] = ()  # its levels named only after 公示 (002: 四、五星级)
    levels: tuple[str, ...] = ()  # its levels, lowest first (the 公示 lists the highest first)


def form_facts(rnd) -> dict[str, FormFacts]:
    """Each form of a loaded round (:class:`xlsxflow.roundfile.Round`) as the 审定 needs it."""
    out = {}
    for form in rnd.spec.forms:
        award = rnd.sheet_rubric(form.id).award
        review = form.review
        basis = BASIS_WORDS[review.basis] if review else BASIS_WORDS["self"]
        if review and review.basis == "composite" and review.weights is not None:
            w = review.weights
            basis = f"综合分 = 自评分 × {w.self_weight:g} + 实评分 × {w.review_weight:g}"
        out[form.id] = FormFacts(
            form_id=form.id,
            title=form.title,
            reviewed=review is not None,
            award=award.name if award else "",
            nominee=form.nominee or "",
            notice_fields=tuple(form.notice_fields),
            publicity=form.publicity,
            basis_text=basis,
            **_conditions_facts(rnd.rubrics.get(form.id)),
        )
    return out


def _conditions_facts(rubric) -> dict:
    """A form decided by conditions: its levels and those that need 公示 (the rubric's
    ``publicity``); nothing for any other form."""
    if rubric is None or not rubric.has_conditions:
        return {}
    return {
        "conditions": True,
        "publicity_levels": tuple(lv.name for lv in rubric.levels if lv.publicity),
        "levels": tuple(rubric.level_names),
    }


def _exact(value) -> str | None:
    """A score as exact text for the record (Decimal keeps 85.95, not 85.9499…)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return fmt(float(value))


def recommendation(c: Candidate, facts: FormFacts | None) -> tuple[str, str]:
    """(推荐 / 不推荐 / 待评审, the advice in short words) for one candidate."""
    reviewed = facts.reviewed if facts else False
    if reviewed and c.review_total is None:
        return PENDING, f"{PENDING}（尚无实评分）"
    if c.eligible and (not (facts and facts.award) or c.award):
        word = RECOMMEND + (f"（{c.award}）" if c.award else "") + _confirmed_text(c)
        return RECOMMEND, word + _flags_text(c.flags)
    reasons = list(c.reasons)
    if c.eligible and facts and facts.award and not c.award:
        reasons.insert(0, f"未进入{facts.award}名次")
    short = [r if len(r) <= REASON_CHARS else r[: REASON_CHARS - 1] + "…" for r in reasons[:2]]
    more = f"等 {len(reasons)} 条" if len(reasons) > 2 else ""
    text = NOT_RECOMMENDED + ("：" + "；".join(short) + more if short else "")
    return NOT_RECOMMENDED, text + _flags_text(c.flags)


def _confirmed_text(c: Candidate) -> str:
    """（评审认定三星级）: a conditions form whose reviewers confirmed its conditions."""
    found = getattr(c, "stars", None)
    return f"（评审认定{level_words(found)}）" if found is not None else ""


def confirmed_report(report, candidates: list[Candidate]):
    """``report`` as the 审定 sees a form whose reviewers confirm its conditions: each such
    unit's level (or stars) is the one on the confirmed answers (``Candidate.stars``,
    review/confirm.py), not the one its own answers reach.  Unchanged otherwise."""
    confirmed = {c.key: c.stars for c in candidates if getattr(c, "stars", None) is not None}
    if not confirmed:
        return report
    results = [
        replace(r, stars=confirmed.get((r.unit_id, r.form_id, r.slot), r.stars))
        for r in report.results
    ]
    return replace(report, results=results)


REASON_CHARS = 60  # a reason in the advice: whole up to its seed reference (实施方案 四.1)
ITEM_GAPS_SHOWN = 2  # per-item 自评虚高 flags shown one by one; more are counted


def _flags_text(flags: list[str]) -> str:
    """注意： a candidate's flags.  A unit scored far below its own scores has one
    自评虚高 flag per item, which would fill a printed page: beyond two they are
    counted (each stays on 评审汇总 and in decisions.json)."""
    if not flags:
        return ""
    item_gap = CATALOGUE["outcome-gap-item"].text.split("{")[0]  # 自评虚高：
    total_gap = CATALOGUE["outcome-gap-total"].text.split("{")[0]  # 自评虚高：合计自评
    items = [f for f in flags if f.startswith(item_gap) and not f.startswith(total_gap)]
    if len(items) > ITEM_GAPS_SHOWN:
        counted = render("approval-item-gaps", n=len(items))
        flags = [counted if f == items[0] else f for f in flags if f not in items[1:]]
    return "\n注意：" + "；".join(flags)


@dataclass
class ApprovalRow:
    """One row of the 审定 sheet: what was computed (signed) and what the office entered."""

    number: int
    form_id: str
    form: str
    unit_id: str
    unit: str
    slot: int
    sheet: str
    nominee: str
    self_score: str | None  # exact text of the scores (decisions.json)
    review_score: str | None
    decision_score: str | None
    basis: str  # self | review | composite
    basis_text: str
    rank: int | None
    award: str
    eligible: bool
    reasons: list[str]
    flags: list[str]
    reviewed_form: bool
    recommendation: str  # 推荐 | 不推荐 | 待评审
    advice: str  # as shown in 计算结果/建议
    notice_values: list[str] = field(default_factory=list)  # the form's notice_fields
    parent: str = ""
    result: str = ""  # a 民主测评's result in words (测评得分 86.25，支部第 1 名，名额 3 名)
    inputs: dict[str, str] = field(default_factory=dict)  # label → what the office entered
    row: int = 0  # 0-based sheet row, once read back
    level: str = ""  # a form decided by conditions: the level reached, or the stars earned
    decided_by: str = ""  # who decides that level (街道 / 县)
    level_publicity: bool = False  # that level is named only after 公示

    def cells(self) -> list:
        """The locked cells' values as written (numbers as numbers)."""
        return [
            self.number,
            self.form,
            self.unit,
            self.nominee,
            _float(self.self_score),
            _float(self.review_score),
            _float(self.decision_score),
            BASIS_WORDS.get(self.basis, self.basis),
            self.rank if self.rank is not None else "—",
            self.advice,
        ]

    def texts(self) -> list:
        """The locked cells as the texts they were computed as (scores as given)."""
        scores = [self.self_score, self.review_score, self.decision_score]
        cells = self.cells()
        return [*cells[:4], *scores, *cells[7:]]

    @property
    def what(self) -> str:
        """The row in words: 第 3 行（文明窗口 · 市税务局 · 办税服务厅）."""
        who = " · ".join(x for x in (self.form, self.unit, self.nominee) if x)
        return f"第 {self.number} 号（{who}）"


def _places(text) -> int:
    """Decimal places of a score's text ("88.00" → 2), 0 for anything else."""
    return len(text.split(".", 1)[1]) if isinstance(text, str) and "." in text else 0


def _float(text: str | None) -> float | None:
    return None if text is None else float(text)


def approval_rows(
    candidates: list[Candidate],
    facts: dict[str, FormFacts],
    notice_values: dict[tuple[str, str, int], list[str]] | None = None,
    parents: dict[str, str] | None = None,
) -> list[ApprovalRow]:
    """One row per candidate, in form order, then rank (ranked first), unit, slot."""
    order = {form_id: n for n, form_id in enumerate(facts)}

    def key(c: Candidate):
        return (
            order.get(c.form_id, len(order)),
            c.rank if c.rank is not None else 10**9,
            c.unit_id,
            c.slot,
        )

    rows = []
    for n, c in enumerate(sorted(candidates, key=key), 1):
        f = facts.get(c.form_id)
        word, advice = recommendation(c, f)
        rows.append(
            ApprovalRow(
                number=n,
                form_id=c.form_id,
                form=c.form_title,
                unit_id=c.unit_id,
                unit=c.unit_name,
                slot=c.slot,
                sheet=c.sheet,
                nominee=c.nominee,
                self_score=_exact(c.self_total),
                review_score=_exact(c.review_total),
                decision_score=_exact(c.decision),
                basis=c.basis,
                basis_text=(f.basis_text if f else "") or BASIS_WORDS.get(c.basis, c.basis),
                rank=c.rank,
                award=c.award,
                eligible=c.eligible,
                reasons=list(c.reasons),
                flags=list(c.flags),
                reviewed_form=f.reviewed if f else False,
                recommendation=word,
                advice=advice,
                notice_values=list((notice_values or {}).get(c.key, [])),
                parent=(parents or {}).get(c.unit_id, ""),
            )
        )
    return rows


# -- the signed identity ------------------------------------------------------------


def _signed_pairs(
    *,
    round_id: str,
    round_title: str,
    key: bytes,
    generated_at: str,
    headers: list[str],
    approval: Approval,
    facts: dict[str, FormFacts],
    rows: list[ApprovalRow],
) -> list[tuple[str, str]]:
    """The identity rows, in signed order (the signature is computed over them)."""
    columns = [
        {
            "label": c.label,
            "choices": approval.choices_of(c),
            "max_length": c.max_length,
            "decision": c is approval.decision_column,
        }
        for c in approval.columns
    ]
    pairs = [
        ("format", FORMAT),
        ("round_id", round_id),
        ("round_title", round_title),
        ("key_id", key_id(key)),
        ("generated_at", generated_at),
        ("sheet", SHEET),
        ("header_row", str(HEADER_ROW + 1)),
        ("headers", _json(headers)),
        ("columns", _json(columns)),
        ("forms", _json([asdict(f) for f in facts.values()])),
        ("rows", str(len(rows))),
    ]
    for r in rows:
        data = asdict(r)
        data.pop("inputs")
        data.pop("row")
        pairs.append((f"row{r.number}", _json(data)))
    return pairs


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _sign(key: bytes, pairs: list[tuple[str, str]]) -> str:
    payload = "\n".join(f"{k}={v}" for k, v in pairs).encode("utf-8")
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


# -- writing the sheet --------------------------------------------------------------


def add_approval_sheet(
    wb,
    rows: list[ApprovalRow],
    *,
    approval: Approval,
    facts: dict[str, FormFacts],
    round_id: str,
    round_title: str,
    key: bytes,
    generated_at: str,
) -> None:
    """Add the 审定 sheet and its signed identity to a summary being written (XlsxWriter)."""
    password = protection_password(key)
    ws = wb.add_worksheet(SHEET)
    inputs = list(approval.columns)
    headers = [*LOCKED, ADVICE, *(c.label for c in inputs)]
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1}
    head = wb.add_format(
        {**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"}
    )
    text = wb.add_format({**base, "num_format": "@", "text_wrap": True})
    center = wb.add_format({**base, "num_format": "@", "align": "center", "text_wrap": True})
    num = wb.add_format({**base, "num_format": "0.0#", "align": "center"})
    num2 = wb.add_format({**base, "num_format": "0.00", "align": "center"})  # 88.00 beside 87.82
    integer = wb.add_format({**base, "num_format": "0", "align": "center"})
    entry = wb.add_format(
        {**base, "num_format": "@", "text_wrap": True, "locked": False, "bg_color": "#FFFDE7"}
    )
    title_fmt = wb.add_format({"font_name": "黑体", "font_size": 14, "bold": True})
    hint_fmt = wb.add_format(
        {"font_name": "宋体", "font_size": 9, "font_color": "#595959", "text_wrap": True}
    )
    # the advice wide enough to read; a choice (同意/不同意/暂缓) and opinions by hand
    widths = [5, 10, 20, 14, 7, 7, 7, 7, 5, ADVICE_WIDTH]
    widths += [10 if c.choices or c is approval.decision_column else 18 for c in inputs]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    last_col = len(headers) - 1
    ws.merge_range(0, 0, 0, last_col, f"{round_title} · 审定", title_fmt)
    ws.set_row(0, 24)
    decision = approval.decision_column
    hint = (
        f"左侧为 xlsxflow 的计算结果（已锁定，改动会在发布时被发现）；请在右侧填写审定栏目，"
        f"“{decision.label}”从下拉列表选择 {'/'.join(approval.choices_of(decision))}。"
        "决定分按“依据”栏计算；需经评审的表没有实评分时为“待评审”，不能同意。"
        "填好保存后运行 xlsxflow publish 本文件。"
    )
    ws.merge_range(1, 0, 1, last_col, hint, hint_fmt)
    ws.set_row(1, 30)
    for col, label in enumerate(headers):
        ws.write_string(HEADER_ROW, col, label, head)
    ws.set_row(HEADER_ROW, 30)
    for i, r in enumerate(rows):
        at = FIRST_ROW + i
        lines = 1
        for col, value in enumerate(r.cells()):
            if value is None:
                ws.write_blank(at, col, None, center)
            elif isinstance(value, int):
                ws.write_number(at, col, value, integer)
            elif isinstance(value, float):  # as many places as the text it came from
                ws.write_number(at, col, value, num2 if _places(r.texts()[col]) >= 2 else num)
            else:
                ws.write_string(at, col, writable(value), text if col in (2, 3, 9) else center)
                lines = max(lines, wrapped_lines(value, widths[col] * 1.1))
        for k in range(len(inputs)):
            ws.write_blank(at, len(LOCKED) + 1 + k, None, entry)
        ws.set_row(at, max(lines, 2) * 14.5 + 4)  # room to write by hand on paper
    if rows:
        for k, column in enumerate(inputs):
            col = len(LOCKED) + 1 + k
            choices = approval.choices_of(column)
            cell = InputCell(
                name="",
                key=column.label,
                kind="field",
                label=column.label,
                row=FIRST_ROW,
                col=0,  # lists and lengths need no reference; the range is given below
                field_type="choice" if choices else "text",
                choices=tuple(choices),
                max_length=None if choices else column.max_length,
            )
            options = validation_for(cell, "zh")
            if options:
                ws.data_validation(FIRST_ROW, col, FIRST_ROW + len(rows) - 1, col, options)
    ws.freeze_panes(FIRST_ROW, 4)
    ws.protect(password, {"format_rows": True, "format_columns": True})
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f"&L{round_title.replace('&', '&&')[:100]}&R{SHEET}")
    ws.set_footer("&C&P / &N")

    pairs = _signed_pairs(
        round_id=round_id,
        round_title=round_title,
        key=key,
        generated_at=generated_at,
        headers=headers,
        approval=approval,
        facts=facts,
        rows=rows,
    )
    meta = wb.add_worksheet(META_SHEET)
    for n, (name, value) in enumerate([*pairs, ("signature", _sign(key, pairs))]):
        meta.write_string(n, 0, name)
        for k in range(0, max(len(value), 1), CELL_CHARS):  # a cell holds 32767 characters
            meta.write_string(n, 1 + k // CELL_CHARS, value[k : k + CELL_CHARS])
    meta.very_hidden()
    meta.protect(password)


def add_to_summary(wb, report, candidates: list[Candidate], key: bytes) -> None:
    """The 审定 sheet of a summary from an ingest report (the round's forms, notice fields)."""
    report = confirmed_report(report, candidates)  # levels as the reviewers confirmed them
    rnd = report.round
    facts = form_facts(rnd) if rnd is not None else {}
    approval = rnd.spec.approval if rnd is not None else Approval()
    subs = {(f.path, sub.sheet): sub for f in report.files for sub in f.submissions}
    notice_values, parents = {}, {}
    for r in report.results:
        parents[r.unit_id] = r.parent
        f = facts.get(r.form_id)
        sub = subs.get((r.file, r.sheet))
        if f is None or sub is None or not f.notice_fields:
            continue
        by_label = {x.label: x.id for x in rnd.sheet_rubric(r.form_id).fields}
        notice_values[(r.unit_id, r.form_id, r.slot)] = [
            str(sub.fields.get(by_label.get(label, "")) or "") for label in f.notice_fields
        ]
    rows = approval_rows(candidates, facts, notice_values, parents)
    with_levels(rows, report.results)
    add_approval_sheet(
        wb,
        rows,
        approval=approval,
        facts=facts,
        round_id=report.round_id,
        round_title=report.round_title,
        key=key,
        generated_at=report.started_at,
    )


def with_levels(rows: list[ApprovalRow], results) -> None:
    """Rows of a form decided by conditions say the level reached, who decides it and
    whether it needs 公示 (signed with the row); a unit that reached no level (or earned
    no star) is not recommended."""
    stars = {(r.unit_id, r.form_id, r.slot): r.stars for r in results if r.stars is not None}
    for row in rows:
        st = stars.get((row.unit_id, row.form_id, row.slot))
        if st is None:
            continue
        row.result = st.result_text
        row.level = "、".join(st.stars) if st.kind == "stars" else (st.level or "")
        row.decided_by, row.level_publicity = st.decided_by, st.publicity
        if st.kind != "mixed":  # conditions only (篇2 keeps the score its band rests on)
            row.self_score = row.decision_score = None
            row.review_score = None  # reviewers confirm conditions: no 实评分 (not a 0)
            row.basis = "conditions"
            row.basis_text = BASIS_WORDS["conditions"]
        if row.recommendation == RECOMMEND and not st.reached:
            row.recommendation = NOT_RECOMMENDED
            row.advice = f"{NOT_RECOMMENDED}：{st.result_text}"
        elif row.recommendation == RECOMMEND:
            flags = row.advice.split("\n", 1)[1:]  # 注意：… stays below
            row.advice = "\n".join([f"{RECOMMEND}：{st.result_text}", *flags])


# -- reading it back ----------------------------------------------------------------


@dataclass
class ApprovalRead:
    """The 审定 sheet as read back: the signed facts, each row with the office's inputs."""

    file: str
    round_id: str = ""
    round_title: str = ""
    generated_at: str = ""
    columns: list[dict] = field(default_factory=list)  # label, choices, max_length, decision
    forms: dict[str, FormFacts] = field(default_factory=dict)
    rows: list[ApprovalRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def decision_label(self) -> str:
        return next((c["label"] for c in self.columns if c["decision"]), "")

    def decision_of(self, row: ApprovalRow) -> str:
        return row.inputs.get(self.decision_label, "")


def read_approval(
    path: str | Path,
    key: bytes,
    *,
    round_id: str | None = None,
    round_title: str = "",
) -> ApprovalRead:
    """Read and verify a summary's 审定 sheet; problems are issues naming sheet and cell.

    Never raises for what the file holds: a truncated file, another format, another
    round (``round_id``) or key, an edited or forged row — each is an issue.
    """
    path = Path(path)
    out = ApprovalRead(file=path.name)

    def fail(code: str, cell: str = "", **fields) -> ApprovalRead:
        out.issues.append(make_issue(code, file=out.file, cell=cell, **fields))
        return out

    try:
        data = path.read_bytes()
    except OSError as exc:
        return fail("summary-unreadable", detail=exc.strerror or exc)
    if len(data) > SUMMARY_LIMITS.max_file_bytes:
        return fail("file-too-large", size=f"{len(data) / 2**20:.1f} MB", limit="200 MB")
    kind = sniff(data[:4096], len(data), path.suffix.lower())
    if kind == "empty":
        return fail("file-empty")
    if kind != "zip":
        return fail("file-corrupt", detail="不是 .xlsx 工作簿")
    try:
        book = open_book(data, SUMMARY_LIMITS)
    except ReadError as err:
        return fail(err.code, **err.fields)
    except Exception as exc:  # noqa: BLE001 - any input: an issue, never a traceback
        return fail("file-reader-crashed", detail=type(exc).__name__)
    try:
        return _read_book(book, key, out, round_id, round_title)
    except ReadError as err:
        return fail(err.code, **err.fields)
    except Exception as exc:  # noqa: BLE001
        return fail("file-reader-crashed", detail=type(exc).__name__)
    finally:
        book.close()


def _text(cell) -> str:
    if cell is None or cell.value is None:
        return ""
    if isinstance(cell.value, bool):
        return "TRUE" if cell.value else "FALSE"
    if isinstance(cell.value, float):
        return fmt(cell.value)
    return str(cell.value).replace("\r\n", "\n")


def _read_book(book, key: bytes, out: ApprovalRead, round_id, round_title) -> ApprovalRead:
    def issue(code: str, cell: str = "", sheet: str = SHEET, **fields) -> None:
        out.issues.append(make_issue(code, file=out.file, cell=cell, sheet=sheet, **fields))

    info = book.sheet_info(META_SHEET)
    if info is None:
        issue("summary-not-signed", sheet="")
        return out
    meta = book.read_sheet(info)
    pairs = []
    for r in range(0, 100_000):
        name = _text(meta.get(r, 0))
        if not name:
            break
        parts, col = [], 1
        while (part := _text(meta.get(r, col))) and col <= 200:
            parts.append(part)
            col += 1
        pairs.append((name, "".join(parts)))
    if len(pairs) < 2 or pairs[-1][0] != "signature" or dict(pairs).get("format") != FORMAT:
        issue("summary-not-signed", sheet="")
        return out
    facts = dict(pairs[:-1])
    signed_key = facts.get("key_id", "")
    if signed_key != key_id(key):
        issue("summary-other-key", sheet="", found=signed_key, expected=key_id(key))
        return out
    if not hmac.compare_digest(_sign(key, pairs[:-1]), pairs[-1][1].strip().lower()):
        issue("summary-bad-signature", sheet=META_SHEET)
        return out
    out.round_id, out.round_title = facts["round_id"], facts["round_title"]
    out.generated_at = facts.get("generated_at", "")
    if round_id is not None and out.round_id != round_id:
        issue(
            "summary-other-round",
            sheet="",
            found=out.round_id,
            title=out.round_title,
            expected=f"{round_id}（{round_title}）" if round_title else round_id,
        )
        return out
    out.columns = json.loads(facts["columns"])
    out.forms = {
        f["form_id"]: FormFacts(
            **{
                **f,
                "notice_fields": tuple(f["notice_fields"]),
                **{k: tuple(f[k]) for k in ("publicity_levels", "levels") if k in f},
            }
        )
        for f in json.loads(facts["forms"])
    }
    signed = []
    for n in range(1, int(facts["rows"]) + 1):
        row = json.loads(facts[f"row{n}"])
        signed.append(ApprovalRow(**row))
    out.rows = signed
    headers = json.loads(facts["headers"])
    info = book.sheet_info(SHEET)
    if info is None:
        issue("approval-sheet-missing", sheet="")
        return out
    sheet = book.read_sheet(info)
    for col, label in enumerate(headers):
        if _text(sheet.get(HEADER_ROW, col)) != label:
            issue(
                "approval-cell-changed",
                cell_ref(HEADER_ROW, col),
                what="表头",
                expected=label,
                actual=_text(sheet.get(HEADER_ROW, col)),
            )
    _match_rows(sheet, signed, len(headers), issue)
    _read_inputs(sheet, out, issue)
    return out


def _row_values(sheet: Sheet, row: int, width: int) -> list:
    return [sheet.get(row, col).value if sheet.get(row, col) else None for col in range(width)]


def _same(expected, actual) -> bool:
    if expected is None or expected == "":
        return actual is None or actual == ""
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and abs(float(actual) - float(expected)) < 1e-9
        )
    return isinstance(actual, str) and actual.replace("\r\n", "\n") == expected


def _shown(value) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, float):
        return fmt(value)
    return str(value)


def _match_rows(sheet: Sheet, signed: list[ApprovalRow], width: int, issue) -> None:
    """Align the sheet's rows with the signed ones; name every added, deleted or changed cell.

    Rows are matched on their locked cells (difflib), so a deleted row is reported once
    where it was, not as every later row changed.
    """
    locked = len(LOCKED) + 1
    last = max((r for r, _ in sheet.cells), default=FIRST_ROW - 1)
    present = []  # sheet rows holding anything
    for r in range(FIRST_ROW, last + 1):
        values = _row_values(sheet, r, width)
        if any(v not in (None, "") for v in values):
            present.append((r, values))
    # Blank rows in between are rows someone emptied: they are compared as rows too.
    rows_at = {r: v for r, v in present}
    end = max([FIRST_ROW + len(signed) - 1, *(r for r, _ in present)])
    sheet_rows = [(r, rows_at.get(r, [None] * width)) for r in range(FIRST_ROW, end + 1)]

    def fingerprint(values) -> str:
        return _json([_shown(v) for v in values[:locked]])

    expected = [fingerprint(r.cells()) for r in signed]
    actual = [fingerprint(v) for _, v in sheet_rows]
    matcher = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(a1 - a0):
                signed[a0 + k].row = sheet_rows[b0 + k][0]
            continue
        pairs = min(a1 - a0, b1 - b0) if tag == "replace" else 0
        for k in range(pairs):  # changed in place: name each changed cell
            row = signed[a0 + k]
            at, values = sheet_rows[b0 + k]
            if all(v in (None, "") for v in values):  # emptied: the row is gone
                issue("approval-row-deleted", cell_ref(at, 0), what=row.what)
                continue
            row.row = at
            for col, want in enumerate(row.cells()):
                if not _same(want, values[col]):
                    issue(
                        "approval-cell-changed",
                        cell_ref(at, col),
                        what=f"{row.what}的“{([*LOCKED, ADVICE])[col]}”",
                        expected=_shown(want),
                        actual=_shown(values[col]),
                    )
        for k in range(a0 + pairs, a1):  # signed rows not in the sheet
            at = sheet_rows[b0 + pairs][0] if b0 + pairs < len(sheet_rows) else FIRST_ROW + k
            issue("approval-row-deleted", cell_ref(at, 0), what=signed[k].what)
        for k in range(b0 + pairs, b1):  # sheet rows nobody signed
            at, values = sheet_rows[k]
            if all(v in (None, "") for v in values):
                continue
            words = " · ".join(_shown(v) for v in values[1:4] if v not in (None, ""))
            issue("approval-row-added", cell_ref(at, 0), text=words or _shown(values[0]))


def _read_inputs(sheet: Sheet, out: ApprovalRead, issue) -> None:
    """The office's entries of each matched row: choices from the list, texts within limits."""
    first = len(LOCKED) + 1
    for row in out.rows:
        if not row.row:
            continue
        for k, column in enumerate(out.columns):
            ref = cell_ref(row.row, first + k)
            value = _text(sheet.get(row.row, first + k)).strip()
            label = column["label"]
            if value and column["choices"] and value not in column["choices"]:
                issue(
                    "approval-bad-choice",
                    ref,
                    what=row.what,
                    label=label,
                    choices="、".join(column["choices"]),
                    value=value,
                )
                value = ""
            elif len(value) > column["max_length"] and not column["choices"]:
                issue(
                    "approval-too-long",
                    ref,
                    what=row.what,
                    label=label,
                    n=column["max_length"],
                    actual=len(value),
                )
            row.inputs[label] = value


def fill_sample_decisions(src: str | Path, dst: str | Path) -> int:
    """The 审定 filled in as an office might, for the demo: 同意 where xlsxflow recommends,
    不同意 where it does not, 暂缓 while a review is pending. Returns the rows filled."""
    import openpyxl  # the demo's filler only, as samples.py fills returns

    from .atomic import atomic_path

    wb = openpyxl.load_workbook(src)
    meta = {row[0].value: row[1].value for row in wb[META_SHEET].iter_rows() if row[0].value}
    columns = json.loads(meta["columns"])
    labels = [c["label"] for c in columns]
    decision = next(c for c in columns if c["decision"])
    col = len(LOCKED) + 2 + labels.index(decision["label"])  # 1-based for openpyxl
    words = {RECOMMEND: "同意", NOT_RECOMMENDED: "不同意", PENDING: "暂缓", TIED: "暂缓"}
    ws = wb[SHEET]
    filled = 0
    for n in range(1, int(meta["rows"]) + 1):
        facts = json.loads(meta[f"row{n}"])
        word = words[facts["recommendation"]]
        if word not in decision["choices"]:
            word = "不同意"
        ws.cell(FIRST_ROW + n, col, word)
        filled += 1
    with atomic_path(dst) as tmp:
        wb.save(tmp)
    return filled


def decision_cell(read: ApprovalRead, row: ApprovalRow) -> str:
    """Where a row's decision is (审定!L5)."""
    labels = [c["label"] for c in read.columns]
    col = len(LOCKED) + 1 + labels.index(read.decision_label)
    return cell_ref(row.row, col)


__all__ = [
    "APPROVE",
    "ApprovalRead",
    "ApprovalRow",
    "EVALUATION",
    "FormFacts",
    "TIED",
    "add_approval_sheet",
    "approval_rows",
    "decision_cell",
    "fill_sample_decisions",
    "form_facts",
    "read_approval",
    "recommendation",
]
