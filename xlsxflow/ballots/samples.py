"""Sample returned ballots for the demo and tests: 民主测评 as it goes at a 党员大会.

Deterministic for a seed.  Ballots are filled by writing the values into the
sheet (validation does not stop it), the way a script would; the forged one is
edited with openpyxl, as by hand.  Per evaluation, over its
units (branches) by size:

* most branches return nearly every ballot, with a spread of scores around each
  candidate's standing (or grades, or survey answers);
* the largest branch also holds one blank ballot, one ballot giving every item its
  maximum (invalid where the round's ``invalid`` says ``all_max``), one ballot copied
  into a second folder (the same serial twice) and one forged ballot (its printed
  serial edited by hand);
* one branch returns fewer than half of its ballots (below a quorum of 0.5);
* the smallest branch returns fewer valid ballots than the anonymity threshold k;
* one branch voted on paper: its clerk's tally (录入表) is filled instead of files.
"""

from __future__ import annotations

import io
import random
import shutil
from pathlib import Path

import openpyxl

from .model import Value
from .spec import SERIAL_ALPHABET, Evaluation, Question, RoundEvaluations
from .workbook import BALLOT_SHEET, BallotsGenerated, fill_ballot_bytes, fill_tally_bytes

COPY_FOLDER = "转发副本"  # where the duplicated ballot lands (a ballot forwarded twice)


def _score(q: Question, base: float, rng: random.Random) -> float:
    value = min(max(base * q.max / 10 + rng.gauss(0, 0.8), 0), q.max)
    return round(value / q.step) * q.step


def _choice(q: Question, good: float, rng: random.Random) -> str:
    """The better answers more often for a better candidate."""
    weights = [good ** (len(q.choices) - i) for i in range(len(q.choices))]
    return rng.choices(q.choices, weights)[0]


def _answers(ev: Evaluation, unit_id: str, standing: dict[str, float], rng: random.Random):
    out: dict[str, dict[str, Value]] = {}
    for member in ev.candidates[unit_id]:
        base = standing[member.member_id]
        out[member.member_id] = {
            q.id: _score(q, base, rng) if q.scored else _choice(q, base / 3, rng)
            for q in ev.questions
        }
    if ev.kind == "survey":  # one answer per question for the unit itself
        out = {unit_id: out[unit_id]}
    return out


def _all_max(ev: Evaluation, unit_id: str) -> dict[str, dict[str, Value]]:
    return {
        m.member_id: {q.id: q.max if q.scored else q.choices[0] for q in ev.questions}
        for m in ev.candidates[unit_id]
    }


def _forge(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The printed serial edited by hand (a ballot made up from a copy)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[BALLOT_SHEET]
    serial = "".join(rng.choice(SERIAL_ALPHABET) for _ in range(12))
    serial = f"{serial[:4]}-{serial[4:8]}-{serial[8:]}"
    ws["A3"] = f"票号：{serial}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), serial


def make_ballot_returns(
    generated: BallotsGenerated,
    evals: RoundEvaluations,
    out_dir: Path,
    *,
    key: bytes,
    seed: int = 2026,
) -> dict:
    """Fill the generated ballots into ``out_dir`` (the same folders); say what was done.

    ``key`` is the office key the ballots were signed with (the forged ballot's
    serial is made up without it).
    """
    del key  # a forger does not have it
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    done: dict = {
        "files": 0,
        "not_returned": 0,
        "blank": [],
        "all_max": [],
        "duplicated": [],
        "forged": [],
        "below_quorum": [],
        "below_anonymity": [],
        "paper": [],
        "tally_blocks": 0,
    }
    for ev in evals.evaluations.values():
        groups: dict[tuple[str, str], list] = {}
        for f in generated.files:
            if f.evaluation_id == ev.id:
                groups.setdefault((f.unit_id, f.group_id), []).append(f)
        if not groups:
            continue
        by_size = sorted(groups, key=lambda k: (-len(groups[k]), k))
        largest, smallest = by_size[0], by_size[-1]
        middle = [k for k in by_size[1:-1]]
        low_quorum = middle[len(middle) // 2] if middle else None
        paper = middle[0] if len(middle) > 1 else None
        standing = {m.member_id: rng.uniform(6, 9.6) for ms in ev.candidates.values() for m in ms}
        for key_pair in by_size:
            files = groups[key_pair]
            unit_id, group_id = key_pair
            if key_pair == paper:
                tally = next(
                    t
                    for t in generated.tallies
                    if (t.evaluation_id, t.unit_id, t.group_id) == (ev.id, unit_id, group_id)
                )
                blocks = [(f.serial, _answers(ev, unit_id, standing, rng)) for f in files]
                blocks[-1] = (blocks[-1][0], {})  # a blank paper ballot, typed in by its serial
                target = out_dir / tally.path.relative_to(generated.out_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(fill_tally_bytes(tally.path.read_bytes(), blocks))
                done["paper"].append(unit_id)
                done["tally_blocks"] += len(blocks)
                continue
            returned = list(files)
            if key_pair == low_quorum:
                keep = max(1, len(files) * 2 // 5)  # 40%: below a quorum of one half
                done["not_returned"] += len(files) - keep
                returned = files[:keep]
                done["below_quorum"].append(unit_id)
            elif key_pair == smallest:
                keep = max(0, min(len(files), ev.spec.anonymity) - 1)
                done["not_returned"] += len(files) - keep
                returned = files[:keep]
                done["below_anonymity"].append(unit_id)
            elif len(files) > 6:  # a rater or two always stays away
                gone = rng.randint(0, 2)
                done["not_returned"] += gone
                returned = files[: len(files) - gone]
            for n, f in enumerate(returned):
                data = f.path.read_bytes()
                target = out_dir / f.path.relative_to(generated.out_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                if key_pair == largest and n == 0:
                    done["blank"].append(f.serial)  # returned as generated: a blank ballot
                elif key_pair == largest and n == 1 and ev.kind != "survey":
                    data = fill_ballot_bytes(data, _all_max(ev, unit_id))
                    done["all_max"].append(f.serial)
                elif key_pair == largest and n == 2:
                    data, serial = _forge(
                        fill_ballot_bytes(data, _answers(ev, unit_id, standing, rng)), rng
                    )
                    target = target.with_name(f"测评票_{serial}.xlsx")
                    done["forged"].append(serial)
                else:
                    data = fill_ballot_bytes(data, _answers(ev, unit_id, standing, rng))
                target.write_bytes(data)
                done["files"] += 1
                if key_pair == largest and n == 3:  # forwarded twice: the same serial again
                    copy = out_dir / COPY_FOLDER / target.name
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(target, copy)
                    done["duplicated"].append(f.serial)
                    done["files"] += 1
    return done
