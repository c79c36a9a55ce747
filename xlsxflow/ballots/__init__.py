"""民主测评 and surveys: anonymous ballots out, an untrusting ingest back, a fair count.

* :mod:`.spec` — the round file's ``evaluations`` section, the candidates file,
  expected raters, caps, and the signed ballot serials;
* :mod:`.model` — the data contract: :class:`~.model.Ballot`, :class:`~.model.BallotIngest`,
  :class:`~.model.EvaluationOutcome`;
* :mod:`.workbook` — ballot and tally (录入表) workbooks: written, and read back;
* :mod:`.returns` — every file of a ballots folder read and accounted for;
* :mod:`.count` — validity rules, trimmed means, quorum, anonymity, grades, rates, cap;
* :mod:`.sheets` — the summary's 测评 sheets, 参加情况 and 满意度;
* :mod:`.run` — the ``xlsxflow ballots`` commands as library functions.
"""
