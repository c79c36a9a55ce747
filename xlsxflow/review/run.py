"""The review commands as library functions (``xlsxflow review generate | ingest``).

Both work in the round's own directory, on the round recorded there:

* :func:`generate_reviews` — after ``xlsxflow ingest``: one workbook per reviewer
  for the unit sheets the latest ingest accepted (the ledger, ``accepted.py``);
* :func:`read_reviews` — reads the units' returns folder again (the one the
  latest ingest read, so a unit's resubmission since is seen), records it, then
  reads the reviewers' returns against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..accepted import Ledger
from ..ingest import IngestReport, count_files, ingest
from ..isolation import DEFAULT_ISOLATION, Isolation
from ..messages import XlsxflowError, make_issue
from ..ooxml import DEFAULT_LIMITS, Limits
from ..round import RoundContext, open_round, require_recorded_round
from .model import ReviewIngest
from .returns import check_reviews_dir, ingest_reviews
from .spec import RoundReview, load_review

UNIT_FILES = "单位报送文件 units' files"  # the two kinds of files counted on the console
REVIEW_FILES = "评审表文件 reviewer files"


@dataclass
class ReviewRound:
    """A round with a review: its context, the review, and the ledger of its returns."""

    ctx: RoundContext
    review: RoundReview
    ledger: Ledger
    workdir: Path

    @property
    def round_id(self) -> str:
        return self.ctx.record.round_id


def open_review(workdir: str | Path = ".", key_path: str | Path | None = None) -> ReviewRound:
    """The round recorded in ``workdir``, which must have a form with a ``review`` section."""
    workdir = Path(workdir)
    ctx = open_round(workdir=workdir, key_path=key_path)
    require_recorded_round(ctx, needs_round="review-needs-round", other_key="review-other-key")
    review = load_review(ctx.round)
    if not review.forms:
        raise XlsxflowError(make_issue("review-none", file=ctx.round.path.name))
    return ReviewRound(ctx, review, Ledger.open(workdir), workdir)


def generate_reviews(
    out_dir: str | Path,
    *,
    workdir: str | Path = ".",
    reviewer_ids: list[str] | None = None,
    key_path: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
):
    """Write the reviewers' workbooks for the latest ingest's accepted sheets."""
    from .workbook import write_reviewer_workbooks

    rr = open_review(workdir, key_path)
    out, here = Path(os.path.realpath(out_dir)), Path(os.path.realpath(rr.workdir))
    if out == here or here.is_relative_to(out):  # the folder is swapped in whole
        raise XlsxflowError(make_issue("review-out-is-workdir", out=str(out_dir)))
    accepted = rr.ledger.accepted(rr.round_id)
    if not accepted:
        raise XlsxflowError(make_issue("review-no-ingest", round_id=rr.round_id))
    known = list(  # in the reviewers file's order, once each
        dict.fromkeys(r.reviewer_id for form in rr.review.forms.values() for r in form.reviewers)
    )
    unknown = [r for r in reviewer_ids or () if r not in known]
    if unknown:
        raise XlsxflowError(
            [
                make_issue("review-unknown-reviewer-arg", id=r, known="、".join(known))
                for r in unknown
            ]
        )
    evidence = Path(rr.workdir) / "evidence"  # where ingest stored the 佐证材料 by default
    return write_reviewer_workbooks(
        rr.ctx,
        rr.review,
        accepted,
        Path(out_dir),
        reviewer_ids or None,
        progress,
        evidence_dir=evidence if (evidence / "index.json").is_file() else None,
    )


@dataclass
class ReviewsRead:
    """What ``review ingest`` read: the units' returns again, and the reviewers' returns."""

    round: ReviewRound
    units: IngestReport
    reviews: ReviewIngest


def read_reviews(
    reviews_dir: str | Path,
    *,
    workdir: str | Path = ".",
    returns_dir: str | Path | None = None,
    key_path: str | Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
    isolation: Isolation = DEFAULT_ISOLATION,
    progress: Callable[[int], None] | None = None,
    command: str = "",
    register=None,
) -> ReviewsRead:
    """Read the units' returns (recorded folder, or ``returns_dir``), then the reviews.

    ``register``: as for the units' ingest (remembered files, the history rules' bars),
    so the review's decision keeps the bars the units' summary showed."""
    rr = open_review(workdir, key_path)
    check_reviews_dir(reviews_dir)  # before the units' returns are read again and recorded
    if returns_dir is None:
        last = rr.ledger.last_ingest(rr.round_id)
        if last is None:
            raise XlsxflowError(make_issue("review-no-ingest", round_id=rr.round_id))
        returns_dir = Path(last.returns_dir)
        if not returns_dir.is_absolute():
            returns_dir = rr.workdir / returns_dir
    units = ingest(
        returns_dir,
        rr.ctx,
        limits=limits,
        isolation=isolation,
        progress=progress,
        command=command,
        register=register,
    )
    rr.ledger.record(units, returns_dir)
    reviews = ingest_reviews(
        reviews_dir,
        rr.ctx,
        rr.review,
        rr.ledger.snapshot(rr.round_id),
        limits=limits,
        isolation=isolation,
        progress=progress,
    )
    return ReviewsRead(rr, units, reviews)


def recorded_returns_dir(workdir: str | Path = ".") -> Path | None:
    """The units' returns folder the latest ingest of the current round read, if any."""
    ctx = open_round(workdir=workdir)
    last = Ledger.open(workdir).last_ingest(ctx.record.round_id) if ctx.record else None
    if last is None:
        return None
    path = Path(last.returns_dir)
    return path if path.is_absolute() else Path(workdir) / path


def files_to_read(
    reviews_dir: str | Path, workdir: str | Path = ".", returns_dir: str | Path | None = None
) -> int:
    """How many files ``read_reviews`` will read (for a progress bar): both folders."""
    path = Path(returns_dir) if returns_dir else recorded_returns_dir(workdir)
    returns = count_files(path) if path is not None and path.is_dir() else 0
    reviews = Path(reviews_dir)
    return returns + (count_files(reviews) if reviews.is_dir() else 0)


def generate_lines(result) -> list[str]:
    """The console's account of ``review generate``: workbooks, and units given no sheet."""
    lines = [
        f"评审表 reviewer workbooks：{len(result.files)} 份，共 {result.sheets} 张单位表"
        f" → {result.out_dir}"
    ]
    for book in result.files:
        lines.append(f"  {book.reviewer_id} {book.name}：{book.sheets} 张 → {book.path.name}")
    seen = set()
    for skipped in result.skipped:  # once per unit and form, whoever would have reviewed it
        if (skipped.unit_id, skipped.form_id) in seen:
            continue
        seen.add((skipped.unit_id, skipped.form_id))
        lines.append(
            f"  {skipped.unit_id} {skipped.unit_name}：没有已接受的{skipped.form_title}报送，"
            "不生成评审表 no accepted return, no sheet"
        )
    if result.idle:
        lines.append("  没有要评审的单位 nothing to review：" + "、".join(result.idle))
    return lines


def review_lines(outcome, rnd) -> list[str]:
    """The console's account of the review: sheets counted, stale, wrong, not returned."""
    states: dict[str, int] = {}
    for row in outcome.progress:
        states[row.state] = states.get(row.state, 0) + 1
    reviewers = {r.reviewer_id for r in outcome.progress}
    sheets = {(r.form_id, r.unit_id, r.slot) for r in outcome.progress}
    lines = [
        "评审 reviews：应评 {total} 份（{reviewers} 位评审人评 {sheets} 张单位表）— "
        "已计入 {counted}，过期 {stale}，有错误 {errors}，未交回 {missing}".format(
            total=len(outcome.progress),
            reviewers=len(reviewers),
            sheets=len(sheets),
            counted=states.get("counted", 0),
            stale=states.get("stale", 0),
            errors=states.get("errors", 0),
            missing=states.get("not_returned", 0),
        )
    ]
    silent = sorted(
        {(r.reviewer_id, r.reviewer_name) for r in outcome.progress}
        - {(r.reviewer_id, r.reviewer_name) for r in outcome.progress if r.state != "not_returned"}
    )
    if silent:
        lines.append(
            "  未交回评审表的评审人 not returned：" + "、".join(f"{i} {n}" for i, n in silent)
        )
    stale = [r for r in outcome.progress if r.state == "stale"]
    for row in stale:
        lines.append(
            f"  过期 stale：{row.reviewer_id} {row.reviewer_name} 对 {row.unit_id} {row.unit_name}"
            f"（{row.sheet}）的评审早于该单位重新报送，不计入：请 xlsxflow review generate"
            f" --reviewer {row.reviewer_id}，评审人只需在新评审表中重评该单位，其余单位沿用已交的评审"
        )
    waiting = [c for c in outcome.candidates if c.form_id in outcome.reviewed_forms]
    unreviewed = [c for c in waiting if not c.reviewers_counted]
    if unreviewed:
        lines.append(
            f"  尚无有效评审的单位表 not yet reviewed：{len(unreviewed)} 张，"
            f"共 {len(waiting)} 张（见汇总表“评审进度”）"
        )
    for form_id, unit in outcome.no_return:
        form = rnd.form(form_id).title
        lines.append(
            "  没有已接受的报送，没有评审表 no accepted return, no review sheet："
            f"{unit.unit_id} {unit.name}（{form}）"
        )
    for form_id, unit in outcome.unassigned:
        form = rnd.form(form_id).title
        lines.append(f"  没有评审人 no reviewer：{unit.unit_id} {unit.name}（{form}）")
    return lines


def reviewer_file_lines(reviews: ReviewIngest) -> list[str]:
    """Each reviewer's file that needs a look (rejected, or accepted with errors), by name."""
    folder = Path(reviews.reviews_dir).as_posix().rstrip("/") + "/"
    lines = [
        f"  {folder}{f.path}：{f.reason}"
        for f in reviews.files
        if f.status == "rejected" or (f.status == "accepted" and f.reason != "已接受")
    ]
    if lines:
        lines.append("  每处问题的工作表和单元格见汇总表的“问题”表 see the summary's 问题 sheet")
    return lines


def review_exit_code(units: IngestReport, reviews: ReviewIngest, outcome) -> int:
    """0 when every assigned sheet is reviewed and counted and no file was rejected; else 1."""
    rejected = any(f.status == "rejected" for f in reviews.files)
    pending = any(row.state != "counted" for row in outcome.progress)
    return 1 if rejected or pending or reviews.warnings or units.exit_code else 0
