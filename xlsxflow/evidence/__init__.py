"""佐证材料 (evidence): an archive per unit, one folder per indicator (issue 15).

Data flow, one module a step:

* :mod:`.tree`     – the folders a unit's archive has: one per sheet, section and item
  of the forms it received, nested and named "NN 指标名" (seed 001's electronic archive);
* :mod:`.manifest` – the signed manifest inside the archive tying it to unit and round;
* :mod:`.skeleton` – ``xlsxflow evidence skeleton``: the empty archive beside each workbook,
  as a folder and as a .zip for mail;
* :mod:`.reading`  – ingest: an evidence .zip recognised, read safely (``archives.py``),
  tied to its unit and checked;
* :mod:`.store`    – the documents kept content-addressed under the office's evidence folder;
* :mod:`.sheets`   – the summary's 佐证 sheet and the links reviewers follow.
"""
