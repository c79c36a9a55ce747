"""Review (评审): the second half of a round, where the seeds' decisions are made.

Units score themselves (自评分); reviewers then score what the units claimed
(实评分 / 考核得分), the office decides (审定) and publishes (公示).  The stage
follows the data like the first half does:

* :mod:`.spec` — the round file's ``review`` section, the reviewers file, who
  reviews which unit, and the exact computations (combining, rounding, the
  decision score, 自评虚高, disagreements);
* :mod:`.model` — what a reviewer's return says once read, and what the decision
  makes of it (the contract between reading and deciding);
* :mod:`.workbook` — the reviewer workbooks (``xlsxflow review generate``);
* :mod:`.reading` — the untrusting ingest of reviewer returns (``xlsxflow review ingest``);
* :mod:`.outcome` — reviewed totals, eligibility and ranking on the decision basis.

Only :mod:`.spec` is re-exported here: the round file loader imports it, so this
package must not import the reader or writer at import time (no cycle).
"""

from .spec import (
    AssignByGroup,
    AssignUnits,
    Combined,
    Disagreement,
    FormReview,
    Gap,
    GapFlag,
    Reviewer,
    Reviewers,
    ReviewSpec,
    Rounding,
    RoundReview,
    Weights,
    check_review_spec,
    combine,
    decision_score,
    disagreements,
    gap_flags,
    item_step,
    load_review,
    load_reviewers,
    parse_reviewer_rows,
    review_outline,
    round_to_step,
)

__all__ = [
    "AssignByGroup",
    "AssignUnits",
    "Combined",
    "Disagreement",
    "FormReview",
    "Gap",
    "GapFlag",
    "Reviewer",
    "Reviewers",
    "ReviewSpec",
    "RoundReview",
    "Rounding",
    "Weights",
    "check_review_spec",
    "combine",
    "decision_score",
    "disagreements",
    "gap_flags",
    "item_step",
    "load_review",
    "load_reviewers",
    "parse_reviewer_rows",
    "review_outline",
    "round_to_step",
]
