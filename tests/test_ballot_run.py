"""The ballots commands end to end (issue 12): generate, fill, ingest, count; the README's
examples of the evaluations section load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xlsxflow.ballots.spec import load_evaluations
from xlsxflow.roundfile import load_round

ROOT = Path(__file__).resolve().parent.parent
ROSTER = "单位编号,单位名称,党员人数\nZB01,第一支部,5\nZB02,第二支部,3\nZB03,第三支部,4\n"
MEMBERS = (
    "支部编号,党员编号,姓名,岗位或职务\n"
    "ZB01,M01,甲,书记\nZB01,M02,乙,\nZB01,M03,丙,\nZB01,M04,丁,\nZB01,M05,戊,\n"
    "ZB02,M06,己,\nZB02,M07,庚,\nZB02,M08,辛,\n"
)
HEAD = """title: 测试轮
year: 2026
roster: roster.csv
forms:
  - id: hongqi
    title: 红旗党支部
    rubric: hongqi-dangzhibu
"""


def readme_evaluations() -> list[str]:
    """The yaml blocks of templates/README.md's evaluations section."""
    text = (ROOT / "templates" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Round files: the `evaluations` section", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


@pytest.mark.parametrize("index", range(3), ids=["items", "grade", "survey"])
def test_the_readme_examples_of_evaluations_load(tmp_path, index):
    blocks = readme_evaluations()
    assert len(blocks) == 3
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    path = tmp_path / "round.yaml"
    path.write_text(HEAD + blocks[index], encoding="utf-8")
    evals = load_evaluations(load_round(path))
    (ev,) = evals.evaluations.values()
    if index == 1:  # 两票制: two weighted groups, the seed's five grades
        assert ev.kind == "grade" and [g.weight for g in ev.spec.raters] == [0.7, 0.3]
        assert ev.questions[0].choices == ("优秀", "合格", "基本合格", "基本不合格", "不合格")
        assert ev.expected[("ZB01", "dangyuan")] == 5 and ev.expected[("ZB01", "qunzhong")] == 10
    elif index == 2:  # 004: the seed's targets
        assert ev.kind == "survey" and len(ev.units) == 3
        assert {q.short: q.target for q in ev.questions} == {
            "认知度": 0.9,
            "参与度": 0.9,
            "满意度": 0.95,
        }
    else:
        assert ev.kind == "items" and ev.caps == {"ZB01": 1, "ZB02": 0}
