"""The small round the 民主测评 tests share: three branches, eight members, one form."""

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
evaluations:
"""
