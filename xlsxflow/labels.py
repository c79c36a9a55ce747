"""Workbook labels, Chinese first, English available (``--lang en``)."""

from __future__ import annotations

LANGS = ("zh", "en")

_LABELS: dict[str, tuple[str, str]] = {
    # unit workbook
    "sheet_main": ("自评表", "Self-assessment"),
    "unit_name": ("单位名称", "Unit"),
    "unit_id": ("单位编号", "Unit ID"),
    "deadline": ("报送截止", "Deadline"),
    "col_section": ("项目", "Section"),
    "col_text": ("内容", "Criterion"),
    "col_max": ("分值", "Max"),
    "col_note": ("佐证材料或备注", "Evidence / note"),
    "section_subtotal": ("本项目小计", "Section subtotal"),
    "subtotal": ("小计", "Subtotal"),
    "bonus_total_highest": ("加分（就高不累加）", "Bonus (highest only)"),
    "bonus_total_sum": ("加分（累加）", "Bonus (sum)"),
    "bonus_total_cap": ("加分（累加，最多 {cap} 分）", "Bonus (sum, at most {cap})"),
    "total": ("总分", "Total"),
    "declarations": ("否决事项", "Veto conditions"),
    "declarations_head": (
        "如存在下列情形之一，请选择“是”（任一为“是”即不能参评）",
        "Answer “是” (yes) if any applies: any yes bars the unit",
    ),
    "fields": ("填报信息", "Filled in by"),
    "yes": ("是", "是"),
    "no": ("否", "否"),
    "instructions": (
        "填写说明：1. 只在浅黄色单元格中填写；{score_label}不得超过该项分值{step_text}。"
        "2. 小计、加分、总分由表格自动计算，无需填写。"
        "3. 请勿增删行列、修改工作表名称或内容，请勿另存为其他格式。"
        "4. 填好后保存（.xlsx），于截止日期前报送。",
        "How to fill in: 1. Type only in the light-yellow cells; a score may not exceed the item's max{step_text}. "
        "2. Subtotals and totals are calculated for you. "
        "3. Do not insert or delete rows or columns, rename sheets or save in another format. "
        "4. Save as .xlsx and send it back before the deadline.",
    ),
    "instructions_targets": (
        "填写说明：1. 只在浅黄色单元格中填写，“实际值”填数字（百分数填 0–100）。"
        "2. “是否达标”由表格自动判断，无需填写。"
        "3. 请勿增删行列、修改工作表名称或内容，请勿另存为其他格式。"
        "4. 填好后保存（.xlsx），于截止日期前报送。",
        "How to fill in: 1. Type only in the light-yellow cells; enter each actual value as a number "
        "(percentages 0–100). 2. Met / not met is worked out for you. "
        "3. Do not insert or delete rows or columns, rename sheets or save in another format. "
        "4. Save as .xlsx and send it back before the deadline.",
    ),
    "instructions_form": (
        "填写说明：1. 只在浅黄色单元格中填写，带下拉箭头的单元格请从列表中选择，日期填如 2026-12-01。"
        "2. 请勿增删行列、修改工作表名称或内容，请勿另存为其他格式。"
        "3. 填好后保存（.xlsx），于截止日期前报送。",
        "How to fill in: 1. Type only in the light-yellow cells; pick from the list where there is one; "
        "dates like 2026-12-01. 2. Do not insert or delete rows or columns, rename sheets or save in "
        "another format. 3. Save as .xlsx and send it back before the deadline.",
    ),
    "instructions_conditions": (
        "填写说明：1. 只在浅黄色单元格中填写：事实条件选“是”或“否”，荣誉选已获得的最高级别（未获得选“无”），"
        "比率、数量填数字（百分数填 0–100）。2. 同一条件在几个星级中出现时只填一次。"
        "3. 请勿增删行列或修改表格内容；填好后保存（.xlsx），按时报送。",
        "How to fill in: 1. Type only in the light-yellow cells: 是/否 for a fact, the highest honour held "
        "(无: none), numbers for rates and counts (percentages 0–100). 2. A condition used by several "
        "levels is asked once. 3. Do not insert rows or change the table; save as .xlsx and send it back in time.",
    ),
    "instructions_conditions_more": (
        "5. 表格下部的评星条件：事实条件选“是”或“否”，比率、次数等填数字（百分数填 0–100）。",
        " 5. Conditions below the scores: 是/否 (yes/no) for a fact, numbers for rates and counts.",
    ),
    "conditions_block": (
        "评星条件：逐项填写，结果由汇总程序按标准评定",
        "Conditions: answer each; the level is worked out from the standard",
    ),
    "col_condition": ("条件（标准原文）", "Condition (the standard's words)"),
    "col_how": ("填法", "Kind"),
    "col_answer": ("填报", "Answer"),
    "col_evidence": ("说明或佐证", "Grounds / evidence"),
    "apply_level": ("申报等级", "Level applied for"),
    "apply_head": ("申报", "Application"),
    "veto_head": ("一票否决", "Veto"),
    "veto_block": (
        "一票否决（{levels}）：存在下列情形之一的选“是”，不能评为{levels}",
        "Veto ({levels}): answer 是 (yes) if it applies; the unit cannot reach {levels}",
    ),
    "level_block_by": ("{level}（{by}评定{publicity}）", "{level} (decided by {by}{publicity})"),
    "level_publicity": ("，须公示", ", after public notice"),
    "how_fact": ("是/否", "yes/no"),
    "how_honour": ("等级", "level"),
    "how_number": ("数值", "number"),
    "honour_suffix": ("（选已获得的最高级别）", " (the highest held)"),
    "honour_none": ("无", "无"),
    "vmsg_answer_number": ("请填写数字{range}。", "Enter a number{range}."),
    "instructions_na": (
        "第{number}项：{when}在{score_label}栏填“不适用”。",
        " Item {number}: {when} enter “不适用” (not applicable).",
    ),
    "instructions_publicity": (
        "推荐前须公示不少于 {days} 天，请在表末填写公示起止日期（含首尾两天）。"
        "不推荐时本表留空即可。",
        " Nominees must be publicly posted for at least {days} days first: enter the first and "
        "last day at the end. Leave this sheet empty if you nominate no one here.",
    ),
    "nomination": (
        "{form}推荐（第 {slot} 个名额，共 {count} 个）",
        "{form} nomination {slot} of {count}",
    ),
    "nomination_shared": (
        "{form}推荐（第 {slot} 张，{forms}合用 {quota} 个名额）",
        "{form} nomination, sheet {slot} ({forms} share {quota} places)",
    ),
    "instructions_shared": (
        "{forms}合用 {quota} 个名额：填写的{kinds}合计不超过 {quota} 个；多填的不予受理。",
        " {forms} share {quota} places: fill in at most {quota} sheets of them in all; "
        "nominations beyond that are refused.",
    ),
    "col_fill": ("填写内容", "Your entry"),
    "application": ("申报表", "Application"),
    "approvals": ("意见（单位不填）", "Opinions (office only)"),
    "publicity": ("公示", "Public notice"),
    "publicity_start": ("公示开始日期", "Notice posted from"),
    "publicity_end": ("公示结束日期", "Notice posted until"),
    "step_half": ("，可按 0.5 分计", "; half points allowed"),
    "step_whole": ("，按整分计", "; whole points only"),
    "vmsg_title": ("{label}", "{label}"),
    "vmsg_score": (
        "本项分值 {max} 分，请填 0–{max}{step_text}。",
        "Max {max}: enter 0–{max}{step_text}.",
    ),
    "verr_title": ("超出范围", "Out of range"),
    "verr_score": (
        "本项只能填 0 到 {max} 之间的数{step_text}。请重新输入。",
        "Enter a number from 0 to {max}{step_text}.",
    ),
    "vmsg_bonus": (
        "如获得此项荣誉请填 {points}，否则填 0。",
        "Enter {points} if held, otherwise 0.",
    ),
    "verr_bonus": ("只能填 0 或 {points}。", "Only 0 or {points}."),
    "vmsg_choice": ("请从下拉列表中选择。", "Pick from the list."),
    "verr_choice": ("请从下拉列表中选择，不要手工输入其他内容。", "Pick a value from the list."),
    "vmsg_about": ("约 {about} 字，", "About {about} characters. "),
    "vmsg_text": ("最多 {n} 个字。", "At most {n} characters."),
    "verr_text": ("内容过长：最多 {n} 个字。", "Too long: at most {n} characters."),
    "vmsg_date": ("请填写日期，如 2026-12-01。", "Enter a date, e.g. 2026-12-01."),
    "verr_date": ("请填写有效日期，如 2026-12-01。", "Enter a valid date, e.g. 2026-12-01."),
    "vmsg_month": (
        "填年和月，如 1985年6月、1985-06、1985.6、1985/6，也可填日期。年份写四位。",
        "Year and month, e.g. 1985-06, 1985.6, 1985/6 or a date; a four-digit year.",
    ),
    "verr_month": (
        "请填四位年份和月份，如 1985年6月、1985-06、1985.6、1985/6，不晚于今年。",
        "Enter a four-digit year and a month, e.g. 1985-06 or 1985.6, not after this year.",
    ),
    "vmsg_na": ("{when}填“不适用”。", " {when}: enter “不适用” (not applicable)."),
    "vmsg_int": ("请填写整数{range}。", "Enter a whole number{range}."),
    "verr_int": ("请填写整数{range}。", "Enter a whole number{range}."),
    "note_limit": ("备注最多 {n} 个字。", "Notes: at most {n} characters."),
    "footer": ("第 &P 页，共 &N 页", "Page &P of &N"),
    "indicators": ("达标指标", "Targets"),
    "indicators_head": (
        "达标指标：请在下列各行填写实际值（数字）",
        "Targets: enter the actual value of each",
    ),
    "col_indicator": ("指标", "Indicator"),
    "col_target": ("目标", "Target"),
    "col_actual": ("实际值", "Actual"),
    "col_met": ("是否达标", "Met"),
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "vmsg_indicator": (
        "请填写实际值（数字{range}）。",
        "Enter the actual value (a number{range}).",
    ),
    "verr_indicator": ("请填写数字{range}。", "Enter a number{range}."),
    # reviewer workbook (review/workbook.py)
    "review_subtitle": ("{form}评审表", "{form}: review sheet"),
    "review_subtitle_slot": ("{form}评审表（第 {slot} 张）", "{form}: review sheet (no. {slot})"),
    "review_form": ("申报项目", "Form"),
    "review_form_slot": ("{form}（第 {slot} 张）", "{form} (no. {slot})"),
    "reviewer": ("评审人", "Reviewer"),
    "reviewer_id": ("评审人编号", "Reviewer ID"),
    "col_review": ("实评分", "Reviewed score"),
    "col_review_assessed": ("考核得分", "Assessed score"),
    "col_reason": ("扣分说明", "Reason for deduction"),
    "review_instructions": (
        "评审说明：1. {self_label}和佐证材料是本单位报送的内容，已锁定。"
        "2. 请在浅黄色单元格中逐项填写{review_label}（0 到该项分值{step_text}）；扣分的请写明扣分说明。"
        "3. 加分：核实后保留（填该项分值）或不予认定（填 0）。"
        "4. 否决事项和申报条件：逐条核实，选择“属实”或“不属实”。"
        "5. 小计、总分自动计算。可打印本表到现场填写，回来后录入；请勿增删行列或修改工作表名称。"
        "6. 全部填好后保存（.xlsx）报送。",
        "How to review: 1. The unit's {self_label} and evidence are locked. "
        "2. Enter the {review_label} of each item in the light-yellow cells (0 to the item's max{step_text}) "
        "and say why points were deducted. 3. Bonus: keep it (enter its points) or strike it (0). "
        "4. Vetoes and conditions: choose 属实 (true) or 不属实 (not true) for each. "
        "5. Subtotals and totals are calculated. Print it for the visit, type it in afterwards; "
        "do not insert rows or rename sheets. 6. Save as .xlsx and send it back.",
    ),
    "review_vetoes": ("否决事项核实", "Veto check"),
    "review_vetoes_head": (
        "否决事项核实：“{self_col}”栏是本单位的声明（是/否）；请逐条核实，在“{review_col}”栏选择“属实”或“不属实”",
        "Veto check: the {self_col} column holds the unit's answer; choose 属实 or 不属实 under {review_col}",
    ),
    "review_prereqs": ("申报条件核实", "Conditions"),
    "review_prereqs_head": (
        "申报条件核实：本单位按名单符合下列申报条件；请核实后在“{review_col}”栏选择“属实”或“不属实”",
        "Conditions: the roster says the unit meets these; choose 属实 or 不属实 under {review_col}",
    ),
    "review_prereq": ("（{n}）申报条件：{when}", "({n}) condition: {when}"),
    "review_prereq_else": ("不符合时：{reason}", "If not met: {reason}"),
    "review_prereq_met": ("符合", "met"),
    "review_veto_label": ("否决事项（{n}）核实", "veto ({n}) check"),
    "review_prereq_label": ("申报条件（{n}）核实", "condition ({n}) check"),
    "review_reason_label": ("{what}扣分说明", "{what} reason"),
    "review_comment": ("评语", "Comments"),
    "review_sign": ("评审人签名", "Reviewer's name"),
    "review_date": ("评审日期", "Date"),
    "review_sign_head": ("评审人", "Reviewer"),
    "review_not_claimed": ("（未申报）", "(not claimed)"),
    "review_subject": ("{title}评审表", "{title}: review"),
    # a conditions form's review sheet (review/workbook.py): confirm each condition
    "review_cond_instructions": (
        "评审说明：1. “本单位填报”和说明是本单位报送的内容，已锁定。"
        "2. 请逐条核实，在浅黄色单元格中选择“属实”或“不属实”；荣誉也可直接选评审认定的等级，"
        "比率、数量请填评审实测的数字（百分数填 0–100）。本单位未填报“是”的条件可不填。"
        "3. 一票否决事项：本单位选“否”而实际存在的，选“不属实”。"
        "4. 不属实或数值不同的请写明核实说明。可打印本表到现场填写，回来后录入；请勿增删行列或修改工作表名称。"
        "5. 全部填好后保存（.xlsx）报送。",
        "How to review: 1. The unit's answers and notes are locked. 2. For each condition choose "
        "属实 (true) or 不属实 (not true); for an honour you may pick the level you find, for a rate "
        "or count enter the number you measured (percentages 0–100). Conditions the unit did not "
        "claim may stay blank. 3. Vetoes: if the unit answered 否 but one applies, choose 不属实. "
        "4. Say why where you disagree. Print it for the visit; do not insert rows or rename sheets. "
        "5. Save as .xlsx and send it back.",
    ),
    "review_cond_block": (
        "定星条件核实：“{self_col}”栏是本单位的填报；请逐条核实，在“{review_col}”栏选择“属实”或“不属实”"
        "（荣誉可选认定的等级，数值填实测数）",
        "Conditions: {self_col} holds the unit's answer; under {review_col} choose 属实 or 不属实 "
        "(an honour: the level you find; a number: what you measured)",
    ),
    "review_cond_vetoes": (
        "一票否决（{levels}）核实：本单位填“否”而实际存在该情形的，选“不属实”",
        "Vetoes ({levels}): if the unit answered 否 but one applies, choose 不属实",
    ),
    "col_cond_self": ("本单位填报", "Unit's answer"),
    "col_cond_review": ("评审核实", "Finding"),
    "col_cond_reason": ("核实说明", "Grounds"),
    "review_cond_label": ("第{n}项（{short}）核实", "condition {n} ({short}) check"),
    "review_cond_note": ("第{n}项核实说明", "condition {n} grounds"),
}


def t(key: str, lang: str = "zh", **fields) -> str:
    """The label ``key`` in ``lang`` (zh or en), formatted with ``fields``."""
    zh, en = _LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**fields) if fields else text
