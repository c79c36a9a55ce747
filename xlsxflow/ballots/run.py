"""The ballots commands as library functions (``xlsxflow ballots generate | ingest``).

Both work on the round recorded in a working directory (``xlsxflow-round.json``,
as ``review`` does), or a recorded round id / round file given instead:

* :func:`generate_ballots` — one anonymous ballot workbook per expected rater, per
  unit and rater group, and a clerk's tally workbook (录入表) per unit for paper;
* :func:`ingest_and_count` — reads a ballots folder (never modifying it), counts,
  writes the 测评汇总 workbook and, when asked, the JSON report, each atomically.

:func:`generate_lines`, :func:`count_lines` and :func:`ballots_exit_code` give what
the console says, the same in the CLI and the demo.  :func:`evaluation_outline`
is the evaluations part of ``xlsxflow round check``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..isolation import DEFAULT_ISOLATION, Isolation
from ..messages import XlsxflowError, make_issue
from ..ooxml import DEFAULT_LIMITS, Limits
from ..round import ROUNDS_DIR, RoundContext, open_round, require_recorded_round
from .model import INVALID_REASONS, BallotIngest, EvaluationOutcome
from .spec import Evaluation, RoundEvaluations, load_evaluations

SUMMARY_NAME = "测评汇总.xlsx"  # the default --out of ``ballots ingest``
BALLOTS_DIR = "ballots"  # the default --out of ``ballots generate``
BALLOT_FILES = "测评票文件 ballot files"  # the kind of files counted on the console


@dataclass
class BallotRound:
    """A round with evaluations: its context and its evaluations resolved."""

    ctx: RoundContext
    evals: RoundEvaluations
    workdir: Path

    @property
    def round_id(self) -> str:
        return self.ctx.record.round_id

    @property
    def evaluations(self) -> list[Evaluation]:
        return list(self.evals.evaluations.values())


def open_ballots(
    workdir: str | Path = ".",
    key_path: str | Path | None = None,
    round_file: str | Path | None = None,
) -> BallotRound:
    """The round recorded in ``workdir`` (or ``round_file``: a recorded id or a round file),
    which must be a round file with an ``evaluations`` section, signed with its own key."""
    workdir = Path(workdir)
    try:
        ctx = open_round(workdir=workdir, key_path=key_path, round_file=round_file)
    except XlsxflowError as exc:  # said for these commands: no --rubric or --roster here
        if [i.code for i in exc.issues] != ["round-missing"]:
            raise
        raise XlsxflowError(
            make_issue("ballots-no-round", path=exc.issues[0].fields["path"])
        ) from None
    require_recorded_round(ctx, needs_round="ballots-needs-round", other_key="ballots-other-key")
    evals = load_evaluations(ctx.round)
    if not evals.evaluations:
        raise XlsxflowError(make_issue("ballots-no-evaluations", round_file=ctx.round.path.name))
    return BallotRound(ctx, evals, workdir)


def ballots_expected(br: BallotRound, units: list[str] | None = None) -> int:
    """How many files ``generate_ballots`` writes (for a progress bar): every ballot, and
    one 录入表 per unit and rater group that expects raters."""
    counts = [
        count
        for ev in br.evaluations
        for (unit_id, _), count in ev.expected.items()
        if (units is None or unit_id in units) and count
    ]
    return sum(counts) + len(counts)


def generate_ballots(
    out_dir: str | Path = BALLOTS_DIR,
    *,
    workdir: str | Path = ".",
    units: list[str] | None = None,
    key_path: str | Path | None = None,
    round_file: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    br: BallotRound | None = None,
):
    """Write the ballots (and the 录入表 for paper) of every evaluation, or of ``units``."""
    br = br or open_ballots(workdir, key_path, round_file)
    out, here = Path(os.path.realpath(out_dir)), Path(os.path.realpath(br.workdir))
    if out == here or here.is_relative_to(out):  # the folder is swapped in whole
        raise XlsxflowError(make_issue("ballots-out-is-workdir", out=str(out_dir)))
    from .workbook import write_ballots

    return write_ballots(
        br.ctx,
        br.evals,
        Path(out_dir),
        key=br.ctx.key,
        units=list(dict.fromkeys(units)) if units else None,
        progress=progress,
    )


@dataclass
class BallotsCounted:
    """What ``ballots ingest`` read and counted, and the files it wrote."""

    round: BallotRound
    ingest: BallotIngest
    outcome: EvaluationOutcome
    summary: Path
    report: Path | None = None
    rates: Path | None = None  # the survey rates kept for the units' ingest (feeds.py)


def check_outputs(ballots_dir: str | Path, *outputs: str | Path | None) -> None:
    """Each output a file name outside the ballots folder (which is only read)."""
    for target in filter(None, outputs):
        path = Path(target)
        if path.is_dir() or path.name in ("", ".", ".."):
            raise XlsxflowError(make_issue("ballots-out-not-file", out=str(target)))
        if _inside(path, Path(ballots_dir)):
            raise XlsxflowError(
                make_issue("ballots-out-inside", out=str(target), folder=str(ballots_dir))
            )


def ingest_and_count(
    ballots_dir: str | Path,
    *,
    out_file: str | Path = SUMMARY_NAME,
    report_file: str | Path | None = None,
    workdir: str | Path = ".",
    key_path: str | Path | None = None,
    round_file: str | Path | None = None,
    lang: str = "zh",
    limits: Limits = DEFAULT_LIMITS,
    isolation: Isolation = DEFAULT_ISOLATION,
    progress: Callable[[int], None] | None = None,
    br: BallotRound | None = None,
    register=None,
) -> BallotsCounted:
    """Read every file of ``ballots_dir``, count, write the 测评汇总 (and the report).

    ``register``: candidates barred by the round's history rules are not recommended
    (:mod:`xlsxflow.register.candidates`)."""
    check_outputs(ballots_dir, out_file, report_file)
    br = br or open_ballots(workdir, key_path, round_file)
    from .count import count_ballots
    from .returns import check_ballots_dir, ingest_ballots
    from .sheets import evaluation_summary_bytes

    check_ballots_dir(ballots_dir)  # before anything is read
    read = ingest_ballots(
        ballots_dir, br.ctx, br.evals, limits=limits, isolation=isolation, progress=progress
    )
    barred = None
    if register is not None and br.ctx.round is not None:
        from ..register.candidates import HistoryScreen

        screen = HistoryScreen.open(register, br.ctx.round)
        barred = screen.candidate_reasons if screen is not None else None
    outcome = count_ballots(br.evals, read.ballots, barred)
    data = evaluation_summary_bytes(
        br.ctx.round, br.evals, read, outcome, key=br.ctx.key, lang=lang, round_id=br.round_id
    )
    atomic_write_bytes(out_file, data)
    if report_file:
        write_ballots_report(br, read, outcome, report_file)
    from .feeds import save_counted_rates

    rates = save_counted_rates(br.workdir, br.round_id, br.evals, outcome)
    return BallotsCounted(
        br, read, outcome, Path(out_file), Path(report_file) if report_file else None, rates
    )


def ballots_report(br: BallotRound, read: BallotIngest, outcome: EvaluationOutcome) -> dict:
    """The JSON report: the round, every file with its status, and the count.

    Nothing in it ties an answer to a ballot: files are named with their status and
    reasons only, and the count (``outcome_dict``) shows no group below the
    anonymity threshold.
    """
    from .count import mask, outcome_dict

    def masked_file(f) -> dict:
        """A file's entry with the values its issues quote masked (＊), and without the
        mail it came in: a sender beside "空白票" would say how one person voted."""
        d = f.to_dict()
        d.pop("mail", None)
        d["issues"] = [mask(i).to_dict() for i in f.issues]
        d["reason"] = file_reason(f)
        return d

    return {
        "round": {"id": br.round_id, "title": br.ctx.title},
        "ballots_dir": read.ballots_dir,
        "started_at": read.started_at,
        "written_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "counts": read.counts(),
        "ballots": tally(br, read, outcome),
        "files": [masked_file(f) for f in read.files],
        "warnings": [mask(i).to_dict() for i in [*read.warnings, *outcome.warnings]],
        "evaluations": outcome_dict(outcome, br.evals),
    }


def write_ballots_report(
    br: BallotRound, read: BallotIngest, outcome: EvaluationOutcome, path: str | Path
) -> None:
    from ..summary import write_json_report

    write_json_report(ballots_report(br, read, outcome), path)


# -- what the console says ---------------------------------------------------------

# a ballot not made by xlsxflow with this key, or its serial or locked text altered
FORGED_CODES = ("ballot-serial-invalid", "tally-serial-unknown", "identity-signature-invalid")
ALTERED_PREFIX = "tamper-locked-"


def _codes(read: BallotIngest) -> list[str]:
    """The codes of every file's issues (a folder warning may repeat one of them)."""
    return [i.code for f in read.files for i in f.issues]


def _forged(read: BallotIngest) -> int:
    """Ballot files refused as forged or altered, and tally rows with a made-up serial."""
    files = sum(
        f.status == "rejected"
        and any(i.code in FORGED_CODES or i.code.startswith(ALTERED_PREFIX) for i in f.issues)
        for f in read.files
    )
    rows = sum(i.code == "tally-serial-unknown" for f in read.files for i in f.issues)
    return files + rows


def ballot_reason(br: BallotRound, ballot) -> str:
    """Why a ballot counts for no candidate ("" when it counts for one), for the console:
    the reason most of its parts have.  The count itself is :func:`.count.count_ballots`'."""
    ev = br.evals.evaluations.get(ballot.evaluation_id)
    if ev is None or ballot.blank:
        return "blank"
    rules = set(ev.spec.invalid)
    reasons: dict[str, int] = {}
    grades = []
    for member in ev.candidates.get(ballot.unit_id, []):
        answers = ballot.answers.get(member.member_id) or {}
        given = [answers.get(q.id) for q in ev.questions]
        if ballot.bad.get(member.member_id):
            why = "bad_value"
        elif all(v is None for v in given):
            why = "blank"
        elif any(v is None for v in given):
            why = "incomplete"
        elif ev.kind != "grade" and len(given) > 1 and "all_same" in rules and len(set(given)) == 1:
            why = "all_same"
        elif (
            ev.kind != "grade"
            and "all_max" in rules
            and given == [q.max if q.scored else q.choices[0] for q in ev.questions]
        ):
            why = "all_max"
        else:
            why = "other"
        grades += given
        reasons[why] = reasons.get(why, 0) + 1
    if ev.kind == "grade" and reasons.get("other") and len(grades) > 1 and len(set(grades)) == 1:
        top = ev.questions[0].choices[0]
        if "all_max" in rules and grades[0] == top:
            return "all_max"
        if "all_same" in rules:
            return "all_same"
    if reasons.get("other"):
        return ""
    return max(reasons, key=reasons.get) if reasons else "blank"


def tally(br: BallotRound, read: BallotIngest, outcome: EvaluationOutcome) -> dict:
    """Ballots expected, returned, valid and invalid (by reason), duplicate and forged."""
    expected = sum(p.expected for p in outcome.participation)
    returned = sum(p.returned for p in outcome.participation)
    valid = sum(p.valid for p in outcome.participation)
    blank = sum(p.blank for p in outcome.participation)
    parts: dict[str, int] = {}
    for c in outcome.candidates:
        for g in c.groups:
            for reason, n in g.invalid.items():
                parts[reason] = parts.get(reason, 0) + n
    hidden = {(c.evaluation_id, c.unit_id) for c in outcome.candidates if c.status == "hidden"}
    invalid: dict[str, int] = {}
    for ballot in read.ballots:  # a ballot valid for no candidate, by its reason
        if (ballot.evaluation_id, ballot.unit_id) in hidden:
            continue  # below the anonymity threshold: how many, never why
        reason = ballot_reason(br, ballot)
        if reason:
            invalid[reason] = invalid.get(reason, 0) + 1
    codes = _codes(read)
    return {
        "expected": expected,
        "returned": returned,
        "valid": valid,
        "invalid": returned - valid,
        "blank": blank,
        "invalid_by_reason": invalid,  # ballots valid for no candidate (units shown)
        "invalid_parts": parts,  # per candidate: a ballot's part for one candidate
        "duplicate_serials": sum(i.code == "ballots-serial-repeated" for i in read.warnings)
        + codes.count("tally-serial-twice"),
        "forged": _forged(read),
        "rejected_files": sum(f.status == "rejected" for f in read.files),
    }


def generate_lines(result, br: BallotRound | None = None) -> list[str]:
    """The console's account of ``ballots generate``: ballots and 录入表 written, and with
    the round, how many per unit and rater group (what to print for each meeting)."""
    lines = [
        f"测评票 ballots：{len(result.files)} 份"
        + (f"，录入表 {len(result.tallies)} 份" if result.tallies else "")
        + f" → {result.out_dir}"
    ]
    if br is None:
        return lines
    for ev in br.evaluations:
        per_unit = []
        for unit in ev.units:
            counts = [
                (g.label, result.counts[(ev.id, unit.unit_id, g.id)])
                for g in ev.spec.raters
                if (ev.id, unit.unit_id, g.id) in result.counts
            ]
            if counts:
                text = "，".join(f"{label} {n} 张" for label, n in counts)
                per_unit.append(f"{unit.unit_id} {unit.name} {text}")
        if per_unit:
            lines.append(f"  {ev.title}：" + "；".join(per_unit))
    lines.append("  请随机分发测评票；纸质测评后把每张票录入本单位的录入表 hand out at random")
    return lines


def count_lines(counted: BallotsCounted) -> list[str]:
    """The console's account of ``ballots ingest``: Chinese first, the count at a glance."""
    read, outcome = counted.ingest, counted.outcome
    t = tally(counted.round, read, outcome)
    reasons = "，".join(
        f"{INVALID_REASONS.get(k, k)} {v}" for k, v in t["invalid_by_reason"].items() if v
    )
    lines = [
        f"测评票 ballots：应收 {t['expected']} 张 — 收到 {t['returned']}，有效 {t['valid']}，"
        f"无效 {t['invalid']}" + (f"（{reasons}）" if reasons else ""),
        f"  重复票号 duplicate serials {t['duplicate_serials']}（只计一次 counted once），"
        f"伪造或改动 forged {t['forged']}（不计入 not counted），"
        f"拒收文件 rejected files {t['rejected_files']}",
    ]
    for p in outcome.participation:
        if p.quorum_met is False:
            lines.append(
                f"  参加人数不足 no quorum：{p.unit_id} {p.unit_name} {p.label} "
                f"有效 {p.valid} / 应参加 {p.expected}：测评无效（参加人数不足）"
            )
    for ev in counted.round.evaluations:
        mine = outcome.of(ev.id)
        if not mine:
            continue
        shown = [c for c in mine if c.status == "valid"]
        hidden = {c.unit_id for c in mine if c.status == "hidden"}
        recommended = [c for c in mine if c.recommended]
        ties = [c for c in mine if c.tie_at_cut]
        line = (
            f"{ev.title}：候选人 {len(mine)} 名，有结果 {len(shown)}，"
            f"推荐 recommended {len(recommended)}"
        )
        if ties:
            line += (
                f"，名额线并列 tied at the cut {len(ties)}（"
                + "、".join(f"{c.unit_name} {c.name}" for c in ties)
                + "，由党委审定）"
            )
        lines.append(line)
        if hidden:
            lines.append(
                f"  有效票少于 {ev.spec.anonymity} 张、结果不显示 hidden below the anonymity "
                f"threshold：{len(hidden)} 个单位"
            )
    if counted.rates is not None:
        lines.append(
            f"测评率已记入本轮 survey rates recorded：{ROUNDS_DIR}/{counted.rates.name}"
            "（xlsxflow ingest 用于所计入的指标 used by ingest where they feed a form）"
        )
    folder = Path(read.ballots_dir).as_posix().rstrip("/") + "/"
    for f in read.files:
        if f.status == "rejected":
            lines.append(f"  {folder}{f.path}：{file_reason(f)}")
        elif f.status != "skipped" and (notes := _notes(f)):
            lines.append(f"  {folder}{f.path}：{notes}")
    return lines


def _notes(f) -> str:
    """A counted file's warnings and errors, values masked (its info notes left out)."""
    from .count import mask

    return "；".join(mask(i).message for i in f.issues if i.severity != "info")


def file_reason(f) -> str:
    """A file's reason with any value a ballot held masked (its first issue's, when the
    reason is that issue's message): nothing ties a score to a ballot's file."""
    from .count import mask

    for issue in f.issues:
        if f.reason == issue.message:
            return mask(issue).message
    return f.reason


def ballots_exit_code(counted: BallotsCounted) -> int:
    """0 when every ballot expected came back, nothing was refused and every result
    stands; 1 when something needs a look (as ``ingest``: rejected files, duplicates,
    ballots not returned, a candidate without a result)."""
    read, outcome = counted.ingest, counted.outcome
    t = tally(counted.round, read, outcome)
    problems = (
        t["rejected_files"]
        or t["duplicate_serials"]
        or t["forged"]
        or read.warnings
        or outcome.warnings
        or t["returned"] < t["expected"]
        or any(c.status != "valid" for c in outcome.candidates)
    )
    return 1 if problems else 0


# -- round check ----------------------------------------------------------------------

_METHOD = {"mean": "平均分", "trimmed_mean": "截尾平均"}
_KIND = {"items": "打分", "grade": "评定等次", "survey": "满意度调查"}


def evaluation_outline(evals: RoundEvaluations) -> str:
    """Each evaluation in plain Chinese: ballot, raters, rules, and per unit the candidates,
    raters expected and the cap (``xlsxflow round check``)."""
    from ..roundfile import pad
    from ..summary import display_width

    lines: list[str] = []
    for ev in evals.evaluations.values():
        spec = ev.spec
        lines.append(f"民主测评 evaluation：{ev.title}（{ev.id}）")
        if ev.kind == "items":
            total = sum(q.max or 0 for q in ev.questions)
            ballot = (
                f"{_KIND['items']}，测评表 {ev.rubric.id}，{len(ev.questions)} 项，满分 {total:g}"
            )
        elif ev.kind == "grade":
            ballot = f"{_KIND['grade']}：{'、'.join(ev.questions[0].choices)}"
        else:
            ballot = f"{_KIND['survey']}：" + "、".join(
                q.short + (f"（目标 ≥ {q.target:.0%}）" if q.target is not None else "")
                for q in ev.questions
            )
        lines.append(f"  测评票：{ballot}")
        people = sum(len(m) for m in ev.candidates.values())
        source = "各单位本身" if ev.source == "units" else ev.source
        lines.append(f"  候选人：{source}，{people} 名，{len(ev.units)} 个单位")
        for g in spec.raters:
            expected = {"members": "本单位候选人数"}.get(str(g.expected), str(g.expected))
            weight = f"，权重 {g.weight:g}" if g.weight is not None else ""
            lines.append(f"  测评群体：{g.label}（{g.id}），每单位应参加 {expected}{weight}")
        agg = spec.aggregate
        how = _METHOD[agg.method]
        if agg.method == "trimmed_mean":
            how += f"（有效票不少于 {agg.min_ballots} 张时去掉 {agg.drop} 个最高分和 {agg.drop} 个最低分）"
        if ev.kind == "items":
            lines.append(f"  合分：{how}，保留 {agg.decimals} 位小数")
        if ev.kind == "grade":
            grade = spec.ballot.grade
            rules = "；".join(
                f"{'、'.join(r.of)}占有效票 ≥ {r.share:.0%} 为{r.grade}" for r in grade.rules
            )
            lines.append(f"  等次：{rules}；否则{grade.otherwise}")
            if grade.follow_up:
                lines.append(f"  组织处置：{'、'.join(grade.follow_up)}")
            if grade.recommend:
                lines.append(f"  审定表推荐：{'、'.join(grade.recommend)}")
        if ev.kind == "survey":
            for q in ev.questions:
                lines.append(
                    f"  {q.short}：计入比率的回答 {'、'.join(q.positive)}（共 {'、'.join(q.choices)}）"
                )
        invalid = "、".join(INVALID_REASONS[r] for r in spec.invalid)
        lines.append(f"  无效票：{invalid}（取值错误的票一律无效）")
        quorum = f"有效票不少于应参加人数的 {spec.quorum:.0%}" if spec.quorum else "不设"
        lines.append(
            f"  参加人数要求：{quorum}；匿名门槛：有效票少于 {spec.anonymity} 张不显示结果"
        )
        if spec.cap is not None:
            lines.append(f"  推荐名额（每单位）：{spec.cap}")
        if spec.threshold is not None:
            lines.append(f"  推荐门槛：得分不低于 {spec.threshold:g}")
        groups = [g for g in spec.raters]
        heads = ["单位编号", "单位名称", "候选人", *(f"{g.label}应参加" for g in groups), "名额"]
        name_width = min(max([display_width(u.name) for u in ev.units] + [8]), 30) + 2
        widths = [10, name_width, *(max(display_width(h), 6) + 2 for h in heads[2:])]
        rows = [heads]
        for unit in ev.units:
            cap = ev.caps.get(unit.unit_id)
            rows.append(
                [
                    unit.unit_id,
                    unit.name,
                    str(len(ev.candidates[unit.unit_id])),
                    *(str(ev.expected.get((unit.unit_id, g.id), 0)) for g in groups),
                    "不限" if cap is None else str(cap),
                ]
            )
        total_expected = [
            sum(ev.expected.get((u.unit_id, g.id), 0) for u in ev.units) for g in groups
        ]
        caps = [c for c in ev.caps.values() if c is not None]
        rows.append(
            ["合计", "", str(people), *map(str, total_expected), str(sum(caps)) if caps else "不限"]
        )
        lines.append("")
        for row in rows:
            lines.append("".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        lines.append("")
    for issue in evals.warnings:
        lines.append(str(issue))
    return "\n".join(lines).rstrip()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def warning_issues(counted: BallotsCounted) -> list:
    """The folder's and the count's warnings not already said on a file's line, masked."""
    from .count import mask

    on_files = {i.message for f in counted.ingest.files for i in f.issues}
    return [
        mask(i)
        for i in [*counted.ingest.warnings, *counted.outcome.warnings]
        if i.message not in on_files
    ]
