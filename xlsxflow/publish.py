"""``xlsxflow publish``: from the office's filled 审定 sheet to what is made public.

Reads the summary's 审定 sheet back (:func:`xlsxflow.approval.read_approval`:
signature, round, every locked cell), then writes into one new folder, all or
nothing (:class:`xlsxflow.atomic.StagedDir`):

* ``公示名单.xlsx`` — the final 公示 per form: only the candidates the office approved
  (同意), drawn like the summary's 公示 sheets (:func:`xlsxflow.summary.draw_notice`);
* ``结果通报.xlsx`` — every candidate with the computed result, the office's decision
  and opinions, printable;
* ``decisions.json`` — the decision record (what the register will store);
* ``年度称号公示.xlsx`` — with the register (``register=``), the annual titles this
  publication completes a run for (连续二次流动红旗 → 年度先进党支部, 免评 …;
  :mod:`xlsxflow.register.titles`), also listed in decisions.json's ``titles``.

Nothing is published when a row is undecided (未审定), when a locked cell was
changed, or when 同意 is given to a candidate of a reviewed form that has no
reviewed score (no decision from self-scores alone, unless the round file gives the
form no review).  An earlier publication is never overwritten: the folder must be
new or empty, so what was made public stays on record.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .approval import (
    ADVICE_WIDTH,
    APPROVE,
    EVALUATION,
    PENDING,
    RECOMMEND,
    UNDECIDED,
    ApprovalRead,
    ApprovalRow,
    FormFacts,
    decision_cell,
    read_approval,
)
from .atomic import StagedDir, atomic_write_bytes
from .messages import Issue, Severity, make_issue
from .roundfile import Notice, RoundSpec
from .summary import (
    NoticeEntry,
    _neutralise_all,
    _Sheets,
    _when,
    draw_levels_notice,
    draw_notice,
    reading_workbook,
)

DECISIONS_FORMAT = "xlsxflow-decisions-1"
NOTICE_FILE = "公示名单.xlsx"
REPORT_FILE = "结果通报.xlsx"
DECISIONS_FILE = "decisions.json"
TITLES_FILE = "年度称号公示.xlsx"


@dataclass
class Publication:
    """What ``publish`` found and wrote; ``files`` is empty when it refused."""

    summary: Path
    out_dir: Path
    read: ApprovalRead
    issues: list[Issue] = field(default_factory=list)  # the read's and publish's own
    undecided: list[ApprovalRow] = field(default_factory=list)
    approved: list[ApprovalRow] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    published_at: str = ""
    titles: list = field(default_factory=list)  # register.titles.TitleAward, with the register

    @property
    def ok(self) -> bool:
        return bool(self.files)


def _unreviewed(row: ApprovalRow) -> bool:
    """No review to publish on: no 实评分, or (a form decided by conditions alone, which has
    no 实评分) no reviewer's confirmation yet (its advice is 待评审)."""
    if row.basis == "conditions":
        return row.recommendation == PENDING
    return row.review_score is None


def default_out_dir(summary: str | Path, round_id: str = "") -> Path:
    """``发布-<round id>`` beside the summary."""
    summary = Path(summary)
    return summary.parent / (f"发布-{round_id}" if round_id else "发布")


def publish(
    summary: str | Path,
    out_dir: str | Path | None = None,
    *,
    key: bytes,
    round_id: str | None = None,
    round_title: str = "",
    spec: RoundSpec | None = None,
    now: datetime | None = None,
    register=None,
    rnd=None,
    period: str | None = None,
) -> Publication:
    """Verify the summary's 审定 sheet and publish it into ``out_dir`` (a new folder).

    ``round_id`` (the current round) refuses another round's summary; ``spec`` gives the
    公示's issuer, date, period and where to object (the round file's ``notice``).
    ``register`` (a register file or an open Register; ``rnd`` the round, ``period`` as
    ``--period``): the annual titles this publication completes are published too
    (``年度称号公示.xlsx``); the register is only read here — recording is
    :mod:`xlsxflow.register.link`'s.
    """
    summary = Path(summary)
    read = read_approval(summary, key, round_id=round_id, round_title=round_title)
    out = Path(out_dir) if out_dir else default_out_dir(summary, read.round_id)
    pub = Publication(summary=summary, out_dir=out, read=read, issues=list(read.issues))
    if not read.ok:
        return pub
    decision = read.decision_label

    def issue(code: str, row: ApprovalRow, **fields) -> None:
        cell = decision_cell(read, row)
        pub.issues.append(make_issue(code, file=read.file, sheet="审定", cell=cell, **fields))

    for row in read.rows:
        value = read.decision_of(row)
        if not value:
            pub.undecided.append(row)
            issue("approval-undecided", row, what=row.what, label=decision)
        elif value == APPROVE:
            if row.reviewed_form and _unreviewed(row):
                issue("publish-unreviewed", row, what=row.what, form=row.form)
            elif row.recommendation != RECOMMEND:
                issue("publish-against-advice", row, what=row.what, advice=row.recommendation)
            pub.approved.append(row)
    if any(i.severity == Severity.ERROR for i in pub.issues):
        return pub
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        pub.issues.append(make_issue("publish-exists", path=str(out), when=_published_when(out)))
        return pub
    moment = (now or datetime.now(UTC)).astimezone()
    pub.published_at = moment.isoformat(timespec="seconds")
    notice_spec = _NoticeSpec(
        read.round_title,
        spec.notice if spec else Notice(),
        spec.publicity_min_days if spec else RoundSpec.model_fields["publicity_min_days"].default,
    )
    if register is not None:
        from .register.titles import safe_annual_titles

        data = json.loads(decisions_json(read, pub.published_at, summary))
        pub.titles, problems = safe_annual_titles(register, data, rnd, period)
        pub.issues += problems
    staged = StagedDir(out)
    try:
        files = {NOTICE_FILE: notice_bytes(read, pub.approved, notice_spec)}
        if pub.titles:
            files[TITLES_FILE] = titles_bytes(pub.titles, notice_spec)
        files[REPORT_FILE] = report_bytes(read)
        files[DECISIONS_FILE] = decisions_json(read, pub.published_at, summary, pub.titles).encode(
            "utf-8"
        )
        for name, data in files.items():
            atomic_write_bytes(staged.path / name, data, durable=False)
        staged.commit()
    finally:
        staged.discard()
    pub.files = [out / name for name in files]
    return pub


def _published_when(out: Path) -> str:
    try:
        data = json.loads((out / DECISIONS_FILE).read_text(encoding="utf-8"))
        return f"（{_when(data['published_at'])} 已发布）"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


@dataclass(frozen=True)
class _NoticeSpec:
    """What :func:`draw_notice` reads of the round: its title, notice section, 公示 minimum."""

    title: str
    notice: Notice
    publicity_min_days: int


@dataclass(frozen=True)
class _Form:
    """What :func:`draw_notice` reads of a form, from the signed facts."""

    title: str
    nominee: str
    notice_fields: tuple[str, ...]
    publicity: bool


def notice_bytes(read: ApprovalRead, approved: list[ApprovalRow], spec: _NoticeSpec) -> bytes:
    """公示名单.xlsx: per form with candidates, the list of those approved (同意)."""
    buffer = io.BytesIO()
    wb = reading_workbook(buffer)
    wb.set_properties({"title": f"{read.round_title} · 公示", "author": "xlsxflow"})
    forms_with_rows = {r.form_id for r in read.rows}
    for facts in read.forms.values():
        if facts.form_id not in forms_with_rows:
            continue
        rows = [r for r in approved if r.form_id == facts.form_id]
        if facts.conditions:  # only the levels named after 公示; none: no 公示 for the form
            _levels_notice(wb, facts, rows, spec)
            continue
        draw_notice(
            wb,
            f"{facts.title}公示"[:31],
            spec,
            _Form(facts.title, facts.nominee, facts.notice_fields, facts.publicity),
            [NoticeEntry(r.unit, r.parent, r.nominee, list(r.notice_values)) for r in rows],
            what=facts.award or facts.what or facts.title,
            verb="授予" if facts.award else "推荐",
            order=_order(facts, rows),
            intro_prefix="经审定",
            by_score=any(r.rank is not None for r in rows),
            measure="名" if facts.kind == EVALUATION else "个",
        )
    if not forms_with_rows:  # nothing to list: one empty notice says so
        wb.add_worksheet("公示")
    wb.close()
    return buffer.getvalue()


def titles_bytes(titles: list, spec: _NoticeSpec) -> bytes:
    """年度称号公示.xlsx: one 公示 list per title (年度先进党支部, 年度优秀党员 …), drawn like
    公示名单.xlsx: who, the periods of the run that counts, and how (免评)."""
    buffer = io.BytesIO()
    wb = reading_workbook(buffer)
    wb.set_properties({"title": f"{spec.title} · 年度称号公示", "author": "xlsxflow"})
    by_title: dict[tuple[str, str], list] = {}
    for t in titles:
        by_title.setdefault((t.title, t.subject_kind), []).append(t)
    for (title, kind), group in by_title.items():
        first = group[0]
        person = kind == "person"
        counts = sorted({len(t.periods) for t in group})
        runs = "、".join(str(n) for n in counts)
        draw_notice(
            wb,
            f"{title}公示"[:31],
            spec,
            _Form(title, "姓名" if person else "", ("计入的期间", "评定方式"), False),
            [
                NoticeEntry(
                    (t.unit_name or t.unit_id) if person else t.name,
                    "",
                    t.name if person else "",
                    [t.periods_short, f"连续 {len(t.periods)} 次，{t.note}"],
                )
                for t in group
            ],
            what=f"{first.year}年{title}"
            if not title.startswith("年度")
            else f"{first.year}{title}",
            verb="授予",
            order=f"均连续 {runs} 次获得“{first.award}”，{first.note}；排名不分先后",
            intro_prefix="经审定",
            by_score=False,
            measure="名" if person else "个",
        )
    wb.close()
    return buffer.getvalue()


def _order(facts: FormFacts, rows: list[ApprovalRow]) -> str:
    if facts.order:  # 民主测评: ranked within each branch, listed branch by branch
        return facts.order
    if not any(r.rank is not None for r in rows):
        return "排名不分先后"
    basis = facts.basis_text.split(" = ")[0] if facts.basis_text else "决定分"
    return f"按{basis}从高到低排列" + ("，分数相同的并列" if facts.award else "")


def _levels_notice(wb, facts: FormFacts, rows: list[ApprovalRow], spec: _NoticeSpec) -> None:
    """The 公示 of a form decided by conditions: the approved units at a level that needs
    公示 (002: 四、五星级 by the 县); the levels decided without it are in 结果通报 only."""
    if not facts.publicity_levels:
        return
    draw_levels_notice(
        wb,
        f"{facts.title}公示"[:31],
        spec,
        facts.title,
        facts.levels,
        facts.publicity_levels,
        [(r.level, NoticeEntry(r.unit, r.parent, r.nominee, list(r.notice_values))) for r in rows],
        fields=facts.notice_fields,
        intro_prefix="经审定",
    )


def report_bytes(read: ApprovalRead) -> bytes:
    """结果通报.xlsx: every candidate, the computed result, the decision and opinions."""
    buffer = io.BytesIO()
    wb = reading_workbook(buffer)
    wb.set_properties({"title": f"{read.round_title} · 结果通报", "author": "xlsxflow"})
    s = _Sheets(wb)
    labels = [c["label"] for c in read.columns]
    # the office's other columns (纪检意见, 意见); one nobody filled in is not printed
    others = [
        label
        for label in labels
        if label != read.decision_label and any(r.inputs.get(label) for r in read.rows)
    ]
    headers = ["序号", "表", "单位", "被推荐对象", "自评分", "实评分", "决定分", "依据", "排名"]
    headers += ["计算结果", "审定结果", *others]
    rows = []
    for r in read.rows:
        decision = read.decision_of(r)
        rows.append(
            [
                r.number,
                r.form,
                r.unit,
                r.nominee,
                _num(r.self_score),
                _num(r.review_score),
                _num(r.decision_score),
                r.basis_text,
                r.rank if r.rank is not None else "—",
                r.advice,
                decision or UNDECIDED,
                *(r.inputs.get(label, "") for label in others),
            ]
        )
    widths = [5, 10, 20, 14, 7, 7, 7, 10, 5, ADVICE_WIDTH, 9] + [18] * len(others)
    ws = wb.add_worksheet("结果通报")
    intro = wb.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter"})
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    last = len(headers) - 1
    ws.merge_range(0, 0, 0, last, f"{read.round_title}结果通报", s.title)
    ws.set_row(0, 26)
    counts = "，".join(f"{k} {v} 个" for k, v in _counts(read).items())
    ws.merge_range(
        1,
        0,
        1,
        last,
        f"经审定，现将各对象的评选结果通报如下（共 {len(rows)} 个：{counts}）。",
        intro,
    )
    ws.set_row(1, 20)
    s.row(ws, 2, headers, widths, s.head)
    for n, row in enumerate(rows, 3):
        s.row(ws, n, row, widths)
    ws.freeze_panes(3, 0)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f"&L{read.round_title.replace('&', '&&')[:100]}&R结果通报")
    ws.set_footer("&C&P / &N")
    wb.close()
    return buffer.getvalue()


def _num(text: str | None) -> float | str:
    """A score as a number, or as its text when it has two places (88.00 stays 88.00)."""
    if text is None:
        return ""
    return text if "." in text and len(text.split(".", 1)[1]) >= 2 else float(text)


def decisions_json(
    read: ApprovalRead, published_at: str, summary: Path, titles: list | tuple = ()
) -> str:
    """decisions.json: the round, when, from which summary, every candidate's decision, and
    the annual titles the publication completes (``titles``; empty without the register)."""
    try:
        digest = hashlib.sha256(summary.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    candidates = []
    for r in read.rows:
        decision = read.decision_of(r)
        candidates.append(
            {
                "number": r.number,
                "form_id": r.form_id,
                "form": r.form,
                "unit_id": r.unit_id,
                "unit": r.unit,
                "slot": r.slot,
                "sheet": r.sheet,
                "nominee": r.nominee,
                "scores": {
                    "self": r.self_score,
                    "review": r.review_score,
                    "decision": r.decision_score,
                },
                "basis": r.basis,
                "basis_text": r.basis_text,
                "rank": r.rank,
                "award": r.award,
                "eligible": r.eligible,
                "reasons": r.reasons,
                "flags": r.flags,
                "recommendation": r.recommendation,
                "result": r.result,
                "office": dict(r.inputs),
                "decision": decision,
                "approved": decision == APPROVE,
                "against_recommendation": decision == APPROVE and r.recommendation != RECOMMEND,
                "pending_review": r.recommendation == PENDING,
                **(
                    {
                        "level": r.level,
                        "decided_by": r.decided_by,
                        "publicity": r.level_publicity,
                    }
                    if read.forms.get(r.form_id, FormFacts("", "", False)).conditions
                    else {}
                ),
            }
        )
    data = {
        "format": DECISIONS_FORMAT,
        "round": {"id": read.round_id, "title": read.round_title},
        "published_at": published_at,
        "summary": {"file": read.file, "sha256": digest, "generated_at": read.generated_at},
        "decision_column": read.decision_label,
        "columns": read.columns,
        "counts": _counts(read),
        "candidates": candidates,
        "titles": [t.to_json() for t in titles],
        "xlsxflow": __version__,
    }
    return json.dumps(_neutralise_all(data), ensure_ascii=False, indent=2) + "\n"


def _counts(read: ApprovalRead) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in read.rows:
        value = read.decision_of(r) or UNDECIDED
        counts[value] = counts.get(value, 0) + 1
    return counts


__all__ = [
    "Publication",
    "decisions_json",
    "default_out_dir",
    "notice_bytes",
    "publish",
    "report_bytes",
    "titles_bytes",
]
