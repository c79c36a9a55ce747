"""One catalogue of every user-facing problem xlsxflow reports.

Each entry has a stable code (used in report.json and by tests), a severity and a
Chinese message template that says what is wrong and how to fix it.  The place
(file · sheet!cell, or rubric file:line) is carried by the :class:`Issue`, not
the template, so every message is rendered the same way everywhere.

Tests build the expected text from this catalogue (``render(code, **fields)``),
so wording can change here without touching them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the file or value cannot be used as it is
    WARNING = "warning"  # usable, but a reviewer should look
    INFO = "info"  # accepted with a note (e.g. "95分" read as 95)


@dataclass(frozen=True)
class Message:
    severity: Severity
    text: str  # str.format template, Chinese first: units and reviewers read it


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741 - short names keep the table readable

CATALOGUE: dict[str, Message] = {
    # ---- rubric files -------------------------------------------------------------
    "rubric-unreadable": Message(E, "无法读取评分表文件：{detail}"),
    "rubric-yaml": Message(E, "YAML 格式错误：{detail}。请检查缩进和冒号。"),
    "rubric-schema": Message(E, "{detail}"),
    "rubric-duplicate-id": Message(
        E, "编号“{id}”重复（第一次出现在第 {first_line} 行）。每个编号必须唯一。"
    ),
    "rubric-total-mismatch": Message(
        E, "各项分值合计为 {actual}，但 total 声明为 {declared}。请核对分值或修改 total。"
    ),
    "rubric-band-overlap": Message(E, "等级“{a}”与“{b}”的分数范围重叠（{value} 分同时属于两者）。"),
    "rubric-band-gap": Message(E, "等级“{a}”与“{b}”之间有空档：{value} 分不属于任何等级。"),
    "rubric-band-range": Message(E, "等级“{name}”的下限 {low} 高于上限 {high}。"),
    "rubric-step": Message(E, "分值 {max} 不是计分步长 {step} 的整数倍，无法按步长打满分。"),
    "rubric-bad-ref": Message(E, "引用了不存在的{what}“{ref}”。"),
    # ---- conditions: star levels by conditions, named stars, checklists (rubric.py, conditions.py)
    "rubric-scale-repeat": Message(
        E,
        "等级序列“{scale}”中“{value}”重复出现（第一次在第 {first_line} 行）。序列中每个等级只能出现一次。",
    ),
    "rubric-fact-reused": Message(
        E,
        "条件编号“{id}”已用于另一句表述（第 {first_line} 行）。同一编号只能问同一件事；"
        "表述不同请另起编号。",
    ),
    "rubric-condition-kind": Message(E, "“{measure}”是{actual}，不能用作{wanted}条件。"),
    "rubric-previous-first": Message(
        E, "“{level}”是最低一级，没有上一级，不能使用“上一级成立”（previous）条件。"
    ),
    "rubric-duplicate-name": Message(
        E, "名称“{name}”重复（第一次出现在第 {first_line} 行）。每个星级或星的名称必须唯一。"
    ),
    "rubric-level-easier": Message(
        E,
        "“{level}”要求“{this}”，比低一级“{below}”的“{before}”还宽：高一级的标准不能低于低一级。",
    ),
    "conditions-missing": Message(I, "距{level}还差：{items}"),
    "conditions-unmet": Message(I, "{requirement}（现为{actual}）"),
    "conditions-vetoed": Message(I, "一票否决：{veto}（不能评为{levels}）"),
    "conditions-score-band": Message(I, "{score_label}达到{level}分数线"),
    "conditions-target": Message(
        I, "{level}及以上 {count}/{total} 个，占 {share}%（目标 {target}% 以上）：{verdict}"
    ),
    # the 审定 and 公示 of a form decided by conditions (approval.py, publish.py)
    "conditions-decided": Message(I, "{level}（由{by}评定，{publicity}）"),
    "conditions-publicity-yes": Message(I, "须公示"),
    "conditions-publicity-no": Message(I, "不公示"),
    "conditions-no-level": Message(I, "未达到任何星级"),
    "conditions-not-reached": Message(I, "未达到{level}"),
    "conditions-stars-earned": Message(I, "{count} 颗星：{stars}"),
    "conditions-no-stars": Message(I, "未得星"),
    "conditions-notice-what": Message(I, "{form}（{levels}）"),
    "conditions-notice-order": Message(I, "按星级从高到低排列，同一星级排名不分先后"),
    # ---- roster files -------------------------------------------------------------
    "roster-unreadable": Message(E, "无法读取单位名单：{detail}"),
    "roster-missing-column": Message(
        E, "缺少必需的列“{column}”。表头第一行应包含：单位编号、单位名称（或 unit_id、name）。"
    ),
    "roster-empty-id": Message(E, "单位编号为空。请为每个单位填写唯一编号。"),
    "roster-bad-id": Message(
        E,
        "单位编号“{id}”含有不允许的字符。只能使用字母、数字、下划线和连字符（- _），最长 40 个字符。",
    ),
    "roster-empty-name": Message(E, "单位“{id}”的名称为空。"),
    "roster-duplicate-id": Message(E, "单位编号“{id}”重复（第一次出现在第 {first_row} 行）。"),
    "roster-unknown-parent": Message(E, "主管单位“{parent}”不在名单中。请先列出主管单位，或留空。"),
    "roster-bad-email": Message(W, "邮箱“{email}”格式不正确，发送时将跳过该单位。"),
    "roster-empty": Message(E, "名单中没有任何单位。"),
    # ---- the round ----------------------------------------------------------------
    "round-missing": Message(
        E,
        "当前目录没有本轮记录（{path}）。请先运行 xlsxflow generate，或用 --rubric 和 --roster 指定。",
    ),
    "round-unreadable": Message(E, "本轮记录无法读取：{detail}"),
    "ledger-unreadable": Message(
        E,
        "已接受报送的记录（{path}）无法读取：{detail}。请勿手工修改该文件；可重新运行 xlsxflow ingest。",
    ),
    "returns-missing": Message(E, "报送文件夹不存在：{path}。请检查路径。"),
    "round-schema": Message(E, "{detail}"),
    "round-period": Message(
        E,
        "{key}: “{value}”不是期间：请写 2026（年度）、2026H2（下半年）或 2026Q4（第四季度），"
        "也可写 2026年下半年、2026年第四季度。",
    ),
    "round-bad-ref": Message(
        E, "找不到{what}“{ref}”。请检查路径或名称（xlsxflow rubric list 列出内置评分表）。"
    ),
    "round-file-missing": Message(
        E,
        "找不到本轮文件“{name}”：它既不是文件，也不是随附的整轮（{shipped}）。"
        "请检查路径，或用 xlsxflow rubric list 查看随附的整轮。",
    ),
    "round-expression": Message(
        E,
        "表达式“{expr}”无法计算{unit}：{detail}。表达式只能使用名单中的列名、数字和 floor/ceil/round/max/min。",
    ),
    "key-unreadable": Message(E, "无法读取签名密钥：{detail}"),
    "round-inputs-changed": Message(
        E,
        "本目录的当前轮次是“{title}”（{round_id}，生成于 {when}），但{changes}，"
        "不能在该轮内重新下发。要在该轮内补发或重发工作簿，请使用原来的评分表、名单和密钥；"
        "要开始新的一轮，请加 --new-round：原轮次的记录保留在 {archive}，"
        "其报送仍可用 xlsxflow ingest 报送文件夹/ --round {round_id} 汇总，"
        "但原轮次下发的工作簿不能报送到新一轮。",
    ),
    "round-new-started": Message(
        I,
        "已开始新的一轮 {new_id}。上一轮“{title}”（{round_id}）的记录保留在 {archive}，"
        "其报送请用 xlsxflow ingest 报送文件夹/ --round {round_id} 汇总；"
        "上一轮下发的工作簿不能报送到新一轮。",
    ),
    "samples-no-workbooks": Message(
        E, "{folder} 中没有本轮的工作簿。请指定 xlsxflow generate 写出的文件夹。"
    ),
    "samples-out-is-workbooks": Message(
        E,
        "示例报送不能写进下发工作簿的文件夹 {out}（会覆盖空白工作簿）。请用 --out 指定另一个文件夹。",
    ),
    "round-old-workbooks-kept": Message(
        I,
        "上一轮（{round_id}）下发的 {count} 个工作簿已从输出文件夹移至 {folder} 保存，"
        "以便核对；输出文件夹中现在是新一轮的工作簿。",
    ),
    "round-reissued": Message(
        I,
        "在当前轮次“{title}”（{round_id}）内重新下发 {count} 个工作簿："
        "轮次编号和密钥不变，此前下发的工作簿仍然有效。",
    ),
    "round-unknown-id": Message(
        E, "本目录没有记录编号为“{round_id}”的轮次。已记录的轮次：{known}。"
    ),
    "generate-unknown-unit": Message(
        E, "单位编号“{unit_id}”不在名单 {roster} 中（或在本轮没有可申报的表）。请检查 --unit。"
    ),
    "generate-out-is-workdir": Message(
        E,
        "输出文件夹 {out} 是当前目录或其上级。生成时整个输出文件夹会被替换，"
        "请指定单独的文件夹（如 --out workbooks/）。",
    ),
    # ---- mail ------------------------------------------------------------------------
    "mail-connect-failed": Message(
        E, "无法连接邮件服务器 {server}：{detail}。请检查服务器地址、端口和加密方式。"
    ),
    "mail-login-failed": Message(
        E,
        "邮件服务器 {server} 拒绝了用户 {user} 的登录：{detail}。请检查用户名和密码（或授权码）。",
    ),
    "mail-template": Message(E, "邮件模板无法使用：{detail}"),
    "mail-folder": Message(E, "无法打开邮箱文件夹“{folder}”：{detail}"),
    "mail-no-password": Message(
        E, "没有提供邮箱密码。请设置环境变量 {env}，或在终端中运行以便输入。"
    ),
    "mail-sender-mismatch": Message(
        W, "发件人 {sender} 不是名单中“{unit}”的邮箱 {expected}。请核实是否由本单位报送。"
    ),
    # ---- files in returns/ ----------------------------------------------------------
    "file-skipped-mail-record": Message(I, "邮件收取记录（发件人、时间），供核验使用。"),
    "file-mail-container": Message(I, "邮件文件：已读取其中 {count} 个表格附件。"),
    "file-skipped-lock": Message(I, "Office/WPS 临时锁文件，已跳过。"),
    "file-skipped-hidden": Message(I, "隐藏文件或系统文件，已跳过。"),
    "file-skipped-not-spreadsheet": Message(I, "不是电子表格文件（{kind}），已跳过。"),
    "file-empty": Message(E, "文件为空（0 字节）。请重新保存后报送。"),
    "file-legacy-xls": Message(
        E, "这是旧版 .xls 格式。请在 Excel/WPS 中“另存为” .xlsx 后重新报送。"
    ),
    "file-encrypted": Message(E, "文件设置了打开密码，无法读取。请取消密码后重新报送。"),
    "file-wps-et": Message(
        E, "这是 WPS 专用 .et 格式。请在 WPS 中“另存为” Excel 工作簿（.xlsx）后重新报送。"
    ),
    "file-ods": Message(
        E, "这是 OpenDocument (.ods) 格式。请另存为 Excel 工作簿（.xlsx）后重新报送。"
    ),
    "file-text-renamed": Message(
        E,
        "文件内容是文本（{kind}），扩展名为 {suffix}，不是 Excel 工作簿。请使用下发的工作簿填写。",
    ),
    "file-xlsb": Message(
        E, "这是 Excel 二进制工作簿（.xlsb）格式。请在 Excel 中“另存为” .xlsx 后重新报送。"
    ),
    "file-corrupt": Message(E, "文件已损坏，无法作为 .xlsx 打开（{detail}）。请重新保存后报送。"),
    "file-too-large": Message(
        E, "文件过大（{size}，上限 {limit}）。请使用下发的工作簿填写，不要插入图片。"
    ),
    "file-zip-bomb": Message(E, "文件结构异常（{detail}），为安全起见未读取。"),
    "file-bad-xml": Message(
        E, "文件内部 XML 不安全或无法解析（{part}：{detail}），为安全起见未读取。"
    ),
    "file-range-too-large": Message(
        E, "工作表“{sheet}”的已用区域异常大（{ref}），为安全起见未读取。请使用下发的工作簿填写。"
    ),
    "file-timeout": Message(E, "读取超时（超过 {seconds} 秒），为安全起见已放弃。"),
    "file-reader-crashed": Message(E, "读取时出错（{detail}）。请重新保存后报送。"),
    "file-macro": Message(W, "文件含有宏（VBA）。宏不会被执行；如无必要请另存为 .xlsx。"),
    "file-archive-container": Message(I, "压缩包：已读取其中 {count} 个文件。"),
    "file-archive-unsupported": Message(
        E,
        "这是 {kind} 压缩包，xlsxflow 不读取此格式。请解压后放入报送文件夹"
        "（或请报送单位直接发送 .xlsx 工作簿）。",
    ),
    "file-archive-unsafe-name": Message(
        E, "压缩包中的文件名“{name}”指向压缩包以外（含 .. 或绝对路径），为安全起见未读取。"
    ),
    "file-archive-encrypted": Message(
        E, "压缩包中的文件设置了密码，无法读取。请解压后放入，或取消密码后重新打包。"
    ),
    "file-archive-link": Message(I, "压缩包中的链接（指向“{target}”），已跳过。"),
    "file-archive-too-deep": Message(
        E, "压缩包嵌套超过 {depth} 层，为安全起见未读取。请解压后放入报送文件夹。"
    ),
    "file-tied-to-unit": Message(I, "按{how}认定为“{unit}”报送的文件（未被接受）。"),
    # ---- the returns folder as a whole ------------------------------------------------
    "returns-empty": Message(
        W,
        "报送文件夹 {path} 中没有可读取的报送文件{detail}。请确认文件夹是否选对、报送文件是否已放入。",
    ),
    "returns-unfilled": Message(
        W,
        "报送文件夹中的 {count} 个工作簿都没有填写任何内容：退回文件夹中是本轮下发的空白工作簿，"
        "尚未填写。请确认选对了文件夹（下发的工作簿不是报送文件）。",
    ),
    # ---- identity ----------------------------------------------------------------
    "identity-not-xlsxflow": Message(
        E, "不是本系统下发的工作簿（找不到“{sheet}”信息页）。请使用下发的工作簿填写。"
    ),
    "identity-signature-missing": Message(
        E, "工作簿的身份签名缺失。请使用下发的原始工作簿重新填写。"
    ),
    "identity-signature-invalid": Message(
        E, "工作簿的身份信息被改动或签名不符。请使用下发的原始工作簿重新填写。"
    ),
    "identity-other-round": Message(
        E, "这是其他轮次（{found}）的工作簿，本轮为 {expected}。请使用本轮下发的工作簿。"
    ),
    "identity-recorded-round": Message(
        E,
        "这是本目录记录的另一轮次“{title}”（{found}，生成于 {when}）的工作簿，"
        "本次汇总的是 {expected}。汇总该轮请运行：xlsxflow ingest 报送文件夹/ --round {found}",
    ),
    "identity-rubric-mismatch": Message(
        E, "评分表版本不符：文件为 {found}，本轮为 {expected}。请使用本轮下发的工作簿。"
    ),
    "identity-unknown-unit": Message(E, "单位编号“{unit_id}”不在本轮名单中。"),
    "identity-name-mismatch": Message(
        E, "单位名称被改为“{found}”，名单中为“{expected}”。单位名称不可修改，请使用本单位的工作簿。"
    ),
    "review-recorded-round": Message(
        E,
        "这是本目录记录的另一轮次“{title}”（{found}，生成于 {when}）的评审表，"
        "本次核验的是当前轮次 {expected} 的评审。请使用本轮 xlsxflow review generate 生成的评审表。",
    ),
    "identity-review-workbook": Message(
        E,
        "这是评审人“{name}”（{id}）的评审表，不是单位的自评表。"
        "评审表请放入评审表文件夹，用 xlsxflow review ingest 读取。",
    ),
    "identity-not-review": Message(
        E,
        "这不是评审表，而是“{name}”（{id}）的自评表。评审表文件夹中只放评审人交回的评审表。",
    ),
    "identity-unknown-reviewer": Message(
        E, "评审人编号“{id}”不在评审人名单（{reviewers}）中。请使用发给本人的评审表。"
    ),
    # ---- tampering ----------------------------------------------------------------
    "tamper-meta-visible": Message(
        W, "隐藏的身份信息页“{sheet}”被取消隐藏。内容签名仍有效，已接受，请留意。"
    ),
    "tamper-too-many": Message(
        E, "另有 {count} 处受保护内容被修改（可能插入或删除了行列）。请使用下发的工作簿重新填写。"
    ),
    "tamper-protection-removed": Message(W, "{what}的保护被取消。内容未发现改动，已接受，请留意。"),
    "tamper-extra-sheet": Message(W, "工作簿中多了工作表“{extra}”，已忽略其内容。"),
    "tamper-sheet-order": Message(W, "工作表顺序被调整（应为“{expected}”在前）。内容未受影响。"),
    "identity-file-name": Message(
        W, "文件名表明这是“{named}”的报送，但工作簿属于“{unit}”。请核实是谁报送的。"
    ),
    "tamper-sheet-missing": Message(
        E, "找不到工作表“{sheet}”（可能被改名或删除）。请使用下发的工作簿。"
    ),
    "tamper-locked-changed": Message(
        E, "受保护内容被修改：应为“{expected}”，实际为“{found}”。请使用下发的工作簿重新填写。"
    ),
    "tamper-formula-replaced": Message(
        E, "公式被改动：应为 ={expected}，实际为“{found}”。请使用下发的工作簿重新填写。"
    ),
    # ---- values -------------------------------------------------------------------
    "value-missing": Message(E, "“{label}”未填写。"),
    "value-not-number": Message(E, "“{label}”应填数字，实际为“{found}”。"),
    "value-out-of-range": Message(E, "“{label}”为 {value}，超出允许范围 0–{max} 分。"),
    "value-answer-range": Message(E, "“{label}”为 {value}，超出允许范围 {min}–{max}。"),
    "value-step": Message(E, "“{label}”为 {value}，本项只能按{step_text}计分。"),
    "value-normalised": Message(I, "“{label}”填写为“{found}”，已按 {value} 读取。"),
    "value-percent-fraction": Message(
        W,
        "“{label}”填的是 {value}，按 {value}% 计。若是 {percent}%，请填写 {percent}"
        "（在未设为百分比格式的单元格里，{percent}% 被读作 {value}）。",
    ),
    "value-bad-choice": Message(E, "“{label}”应从下拉列表中选择（{choices}），实际为“{found}”。"),
    "value-bad-bonus": Message(E, "“{label}”只能填 0 或 {points}，实际为“{found}”。"),
    "value-too-long": Message(E, "“{label}”超过 {max_length} 个字（实际 {length} 个字）。"),
    "value-bad-date": Message(E, "“{label}”应填日期（如 2026-12-01），实际为“{found}”。"),
    "value-bad-month": Message(
        E,
        "“{label}”应填四位年份和月份（如 1985年6月、1985-06、1985.6、1985/6，或一个日期），"
        "实际为“{found}”。两位年份（85.6）和月份在前（6/1985）无法确定，不予猜测。",
    ),
    "value-month-ambiguous": Message(
        E,
        "“{label}”是数字 {found}：数字单元格把“{year}.10”也存成“{year}.1”，无法确定是 1 月还是 10 月。"
        "请改填“{year}年1月”或“{year}年10月”。",
    ),
    "value-month-range": Message(E, "“{label}”为“{found}”，应在 1900 年 1 月至本月之间。"),
    "value-not-applicable": Message(
        E, "“{label}”填了“不适用”，但本项不能填“不适用”，每个单位都须自评打分。"
    ),
    "value-formula-in-input": Message(
        E, "“{label}”中填入了公式 ={formula}。请直接填写数值，不要使用公式。"
    ),
    "value-control-chars": Message(
        W, "“{label}”中含有不可见的控制字符或文字方向字符（{chars}），已删除后读取。"
    ),
    "value-total-mismatch": Message(
        W,
        "文件中“{label}”显示为 {cached}，按各项自评分重新计算为 {computed}。以重新计算的结果为准。",
    ),
    # ---- same unit, several files ------------------------------------------------------
    "submission-duplicate": Message(I, "与 {other} 内容相同，按一份计。"),
    # -- rounds of several forms: quotas, nominees, publicity ------------------------------
    "round-sheet-removed": Message(
        W,
        "工作表“{sheet}”已被删除，视为本单位不申报该项。如需申报，请在下发的工作簿中填写该表后重新报送。",
    ),
    "round-sheet-renamed": Message(
        E,
        "工作簿中多了工作表“{extra}”，又少了下发的“{missing}”：可能是改了表名。多出的表不计入；"
        "请把表名改回原样（或在下发的工作簿中重新填写）后重新报送。",
    ),
    "quota-extra-sheet": Message(
        E,
        "工作表“{extra}”不是下发的推荐表（本单位“{form}”的推荐表只有 {sheets}），"
        "其内容不计入。复制工作表不能增加名额；如需更换推荐对象，请在原表中修改。",
    ),
    "quota-over": Message(
        E,
        "超出名额：{group}本单位共 {allowed} 个名额，本表是第 {n} 个推荐，不予受理。"
        "请删去多余的推荐后重新报送。",
    ),
    "quota-not-entitled": Message(E, "本单位当前不能申报“{form}”：{reason}。本表内容不予受理。"),
    "nominee-twice": Message(
        E, "推荐对象“{nominee}”已在工作表“{first}”中推荐，同一对象只能推荐一次。"
    ),
    "publicity-too-short": Message(
        E,
        "公示时间为 {days} 天（{start} 至 {end}，含首尾），少于规定的 {min_days} 天（三.6），"
        "本推荐不符合条件。",
    ),
    "publicity-order": Message(E, "公示结束日期 {end} 早于开始日期 {start}。请改正。"),
    "value-choose-min": Message(
        E, "“{label}”至少要选择 {min} 项“是”，现在选了 {count} 项。请在对应下拉中选择“是”。"
    ),
    "submission-superseded": Message(W, "同一单位有更新的报送文件 {other}，本文件不再计入。"),
    "review-sheets-carried": Message(
        I,
        "同一评审人有更新的文件 {other}；其中未填写的 {count} 张单位表（{sheets}）仍按本文件的评审计入。",
    ),
    # ---- review (评审): the reviewers file and a form's review section ----------------------
    "reviewers-unreadable": Message(E, "无法读取评审人名单：{detail}"),
    "reviewers-empty": Message(E, "评审人名单中没有任何评审人。"),
    "reviewers-missing-column": Message(
        E, "缺少必需的列“{column}”。表头第一行应包含：评审人编号、姓名（或 reviewer_id、name）。"
    ),
    "reviewers-empty-id": Message(E, "评审人编号为空。请为每位评审人填写唯一编号。"),
    "reviewers-bad-id": Message(
        E,
        "评审人编号“{id}”含有不允许的字符。只能使用字母、数字、下划线和连字符（- _），最长 40 个字符。",
    ),
    "reviewers-duplicate-id": Message(E, "评审人编号“{id}”重复（第一次出现在第 {first_row} 行）。"),
    "reviewers-empty-name": Message(E, "评审人“{id}”的姓名为空。"),
    "reviewers-bad-email": Message(E, "评审人“{id}”的邮箱“{email}”格式不正确。请改正或留空。"),
    "review-unknown-reviewer": Message(
        E, "评审人编号“{id}”不在评审人名单 {reviewers} 中。请检查编号或名单。"
    ),
    "review-unknown-group": Message(
        E, "测评组“{group}”不在评审人名单 {reviewers} 中（名单中的测评组：{groups}）。"
    ),
    "review-unknown-unit": Message(
        E, "单位编号“{id}”不在单位名单 {roster} 中。请填写单位编号或主管单位编号。"
    ),
    "review-unit-not-in-form": Message(W, "单位“{id}”不参加“{form}”，为它指定的评审人不起作用。"),
    "review-needs-round": Message(
        E,
        "评审只用于整轮（round 文件）：当前目录记录的不是整轮。请用 xlsxflow generate 整轮文件 生成本轮。",
    ),
    "review-none": Message(
        E,
        "本轮文件中没有任何表设置了 review（评审）。请在需要评审的表下添加 review 一节"
        "（xlsxflow init 写出的整轮文件中有注释掉的示例，去掉行首的 # 即可）。",
    ),
    "review-form-not-scored": Message(
        E,
        "“{form}”没有评分项目（只有申报表），评审人无分可评。请删去它的 review 一节，由审定决定。",
    ),
    "review-other-key": Message(
        E,
        "该密钥（指纹 {found}）不是本轮生成工作簿时所用的密钥（指纹 {expected}）："
        "用它签名的评审表在核验时会被拒收。请去掉 --key，或指定本轮的密钥。",
    ),
    "review-no-ingest": Message(
        E,
        "本轮（{round_id}）还没有汇总过单位的报送。请先运行 xlsxflow ingest 报送文件夹，"
        "评审表按已接受的报送生成和核对。",
    ),
    "review-out-is-workdir": Message(
        E,
        "输出文件夹 {out} 是当前目录或其上级。评审表文件夹会被整个替换，"
        "请指定单独的文件夹（如 --out review-workbooks/）。",
    ),
    "review-unknown-reviewer-arg": Message(
        E, "评审人编号“{id}”不在本轮的评审人名单中（名单中的编号：{known}）。"
    ),
    "review-unit-unassigned": Message(
        W, "“{form}”：单位“{unit}”（{id}）没有评审人。请在 review.assign 中为它指定评审人。"
    ),
    "review-weights-missing": Message(
        E,
        "basis: composite（综合）需要 weights，写明 self（自评）和 review（实评）各占多少，"
        "如 weights: {{self: 0.3, review: 0.7}}。种子没有给出权重，xlsxflow 不代为设定。",
    ),
    "review-weights-sum": Message(E, "weights 之和为 {total}，应为 1。"),
    "review-weights-unused": Message(
        E, "weights 只用于 basis: composite（综合），本表的 basis 是 {basis}。请删去 weights。"
    ),
    "review-trim-unused": Message(
        E, "trim_min 只用于 combine: trimmed_mean（截尾平均），本表的 combine 是 {combine}。"
    ),
    "review-trim-fallback": Message(
        I,
        "只有 {count} 个评分，不足去掉最高分和最低分所需的 {trim_min} 个：按平均值计。",
    ),
    # ---- reviewer workbooks and returns (review/workbook.py, review/reading.py) ----
    "review-not-assigned": Message(
        E,
        "评审人“{reviewer}”没有被分配评审“{unit}”的“{form}”（工作表“{sheet}”），本表不计入。"
        "请确认没有使用其他评审人的评审表；分配改过的，请重新生成评审表。",
    ),
    "review-signer-mismatch": Message(
        W, "评审人签名为“{found}”，本评审表发给的是“{expected}”（{id}）。请确认不是代他人评审。"
    ),
    "review-return-unknown": Message(
        E,
        "工作表“{sheet}”所依据的“{unit}”报送内容（{hash}）在本轮记录中找不到，无法核对，本表不计入。"
        "请在生成评审表的目录中读取。",
    ),
    "review-stale": Message(
        W,
        "“{unit}”在生成本评审表之后重新报送了“{form}”：工作表“{sheet}”评的是旧的报送内容，不计入。"
        "请用重新生成的评审表评审新的报送内容。",
    ),
    "review-sheet-blank": Message(W, "工作表“{sheet}”（{unit}）尚未填写，未计入。"),
    "review-too-many-sheets": Message(
        E,
        "评审人“{name}”（{id}）分到 {count} 张评审表，超过一个工作簿的上限 {max} 张。"
        "请在轮次文件的 review.assign 中为每位评审人少分配一些单位。",
    ),
    "review-sheet-missing": Message(
        W, "评审表中缺少工作表“{sheet}”（{unit}），该单位的评审未计入。"
    ),
    # ---- the reviews folder as a whole (review ingest REVIEWS_DIR) ----
    "reviews-missing": Message(
        E, "评审表文件夹不存在：{path}。请检查路径（评审人交回的评审表所在的文件夹）。"
    ),
    "reviews-empty": Message(
        W,
        "评审表文件夹 {path} 中没有可读取的评审表{detail}。"
        "请确认文件夹是否选对、评审人交回的评审表是否已放入。",
    ),
    "reviews-are-unit-returns": Message(
        W,
        "评审表文件夹 {path} 中没有评审表，却有 {count} 个单位的自评表：这像是单位报送文件夹。"
        "请指定存放评审人交回的评审表的文件夹。",
    ),
    "reviews-unfilled": Message(
        W,
        "评审表文件夹中的 {count} 个评审表都还没有填写：这是 xlsxflow review generate 下发的空白评审表。"
        "请确认选对了文件夹（下发的评审表不是评审人交回的评审表）。",
    ),
    # ---- review outcome: why a candidate is (not) eligible, and what to look at ---------------
    "outcome-not-reviewed": Message(W, "尚未评审"),
    "outcome-no-reviewer": Message(
        W, "尚未评审：没有指定评审人（请在轮次文件的 review.assign 中为本单位指定评审人）"
    ),
    "outcome-no-return": Message(W, "本表未报送（没有被接受的报送），没有评审表可发给评审人"),
    "outcome-review-stale": Message(
        W, "评审人{reviewer}的评审已过期（单位在评审后重新报送），不计入，需按新报送重新评审"
    ),
    "outcome-review-errors": Message(
        W, "评审人{reviewer}的评审表有 {errors} 处填写错误，改正前不计入（见“问题”表）"
    ),
    "outcome-review-partial": Message(
        W, "评审未齐：已计入 {counted}/{expected} 名评审人；尚未计入：{missing}"
    ),
    "outcome-below-threshold": Message(W, "{basis}未达到命名门槛 {threshold} 分；实得 {score} 分"),
    "outcome-veto-false": Message(W, "评审人{reviewer}认定否决事项的声明不属实：{declaration}"),
    "outcome-prerequisite-false": Message(
        W, "评审人{reviewer}认定申报条件不属实：{condition}（不符合时：{reason}）"
    ),
    # a conditions form's review (review/confirm.py): what withheld a condition the unit met
    "outcome-condition-false": Message(W, "评审认定不属实：{condition}（评审人：{reviewers}）"),
    "outcome-condition-lower": Message(W, "评审认定为{value}：{condition}（评审人：{reviewers}）"),
    "outcome-condition-measured": Message(
        W, "评审实测为 {value}：{condition}（评审人：{reviewers}）"
    ),
    "outcome-condition-veto": Message(
        W, "评审认定存在一票否决事项：{condition}（评审人：{reviewers}）"
    ),
    "outcome-condition-outvoted": Message(I, "未过半数，不影响认定：{finding}"),
    "outcome-level-confirmed": Message(
        I, "评审认定：{confirmed}（按本单位填报：{claimed}；申报：{applied}）"
    ),
    "outcome-stars-confirmed": Message(I, "评审认定：{confirmed}（按本单位填报：{claimed}）"),
    "outcome-gap-item": Message(
        W,
        "自评虚高：{item}自评 {self} 分，实评 {review} 分，高出 {difference} 分（超过 {limit} 分）",
    ),
    "outcome-gap-total": Message(
        W,
        "自评虚高：各项合计（不含加分和不适用项）自评 {self} 分，实评 {review} 分，"
        "高出 {difference} 分（超过 {limit} 分）",
    ),
    "outcome-disagreement": Message(
        W, "评审分歧：{item}评分为 {scores}，相差 {difference} 分（超过 {spread} 分），请测评组讨论"
    ),
    "outcome-bonus-struck": Message(
        W, "加分“{bonus}”未获确认（{kept}/{counted} 名评审人保留，须过半数），不计入实评分"
    ),
    # ---- 民主测评 and surveys: the round file's evaluations and the candidates file (ballots/spec.py)
    "evaluation-schema": Message(E, "{detail}"),
    "evaluation-weights-missing": Message(
        E,
        "有多个测评群体（两票制）时，每个群体都须写明 weight（种子未给出权重，xlsxflow 不代为设定）："
        "缺少 {groups} 的权重。",
    ),
    "evaluation-weights-sum": Message(E, "各测评群体的权重之和为 {total}，应为 1。"),
    "evaluation-rubric-not-scored": Message(
        E, "测评表“{rubric}”没有打分项目，不能用作打分测评票。请改用 grade 或 survey。"
    ),
    "evaluation-expected-bad": Message(E, "无法得出“{unit}”（{id}）应参加测评的人数：{detail}。"),
    "evaluation-cap-bad": Message(E, "无法计算“{unit}”（{id}）的推荐名额（cap）：{detail}。"),
    "evaluation-no-raters": Message(
        W, "“{unit}”（{id}）应参加测评的{group}人数为 0，不生成该群体的测评票。"
    ),
    "evaluation-feed-not-units": Message(
        E,
        "“{question}”的测评率只能计入单位自己的表格：测评“{evaluation}”须写 candidates: units。",
    ),
    "evaluation-feed-unknown-form": Message(
        E, "“{question}”计入的表格“{form}”不在本轮 forms 中（本轮有：{known}）。"
    ),
    "evaluation-feed-unknown-input": Message(
        E, "“{question}”计入的{what}“{id}”不在表格“{form}”中（该表有：{known}）。"
    ),
    "evaluation-feed-range": Message(
        E,
        "“{question}”的测评率是 0–100%，不能直接计入“{what}”（{range}）。"
        "指标须以 % 为单位；打分项目须为 0–100 分，或写 scale: true（得分 = 测评率 × 满分）。",
    ),
    "evaluation-feed-twice": Message(
        E, "表格“{form}”的“{id}”已由 {first} 的测评率计入；一项只能由一个问题计入。"
    ),
    # ---- survey rates fed into the units' forms (ballots/feeds.py) -----------------------
    "feed-not-counted": Message(
        I,
        "测评“{evaluation}”尚未统计（未运行 xlsxflow ballots ingest），"
        "{inputs}仍按各单位自报值计算。",
    ),
    "feed-unreadable": Message(
        W, "无法读取已统计的测评率：{detail}。{inputs}仍按各单位自报值计算。"
    ),
    "feed-not-shown": Message(
        I,
        "“{unit}”（{id}）的{question}测评结果不显示（{status}），未计入；{input}仍用自报值。",
    ),
    # ---- counting the ballots (ballots/count.py) ---------------------------------------
    "count-unknown-ballot": Message(
        W,
        "测评票属于本轮没有的测评、单位或测评群体（{evaluation} · {unit} · {group}），不计入。",
    ),
    "count-more-than-expected": Message(
        W,
        "{evaluation}：“{unit}”的{group}测评票收回 {returned} 张，多于应参加人数 {expected} 人。"
        "请核对发票和收票情况。",
    ),
    "count-duplicate-serial": Message(
        W, "同一票号的测评票又出现一次，只计第一张（票号见文件表）。"
    ),
    "count-no-ballots": Message(
        W, "{evaluation}：“{unit}”的{group}测评票一张也没有收回（应参加 {expected} 人）。"
    ),
    "members-unreadable": Message(E, "无法读取候选人（党员）名单：{detail}"),
    "members-empty": Message(E, "候选人（党员）名单中没有任何人。"),
    "members-missing-column": Message(
        E,
        "缺少必需的列“{column}”。表头第一行应包含：单位编号（或支部编号）、党员编号、姓名，可选岗位或职务。",
    ),
    "members-empty-id": Message(E, "党员编号为空。请为每名党员填写唯一编号。"),
    "members-bad-id": Message(
        E,
        "党员编号“{id}”含有不允许的字符。只能使用字母、数字、下划线和连字符（- _），最长 40 个字符。",
    ),
    "members-duplicate-id": Message(E, "党员编号“{id}”重复（第一次出现在第 {first_row} 行）。"),
    "members-empty-name": Message(E, "党员“{id}”的姓名为空。"),
    "members-unknown-unit": Message(
        E, "单位（支部）编号“{id}”不在单位名单中。请填写名单中的单位编号。"
    ),
    # ---- the ballots commands (ballots/run.py: xlsxflow ballots generate | ingest) ----
    "ballots-no-round": Message(
        E,
        "当前目录没有本轮记录（{path}）。请在生成本轮的目录中运行，"
        "或先用 xlsxflow generate 整轮文件 生成本轮（如 xlsxflow generate dangzhibu）；"
        "已记录的轮次可用 --round 轮次编号 指定。",
    ),
    "ballots-needs-round": Message(
        E,
        "民主测评只用于整轮（round 文件）：当前目录记录的不是整轮。"
        "请先用 xlsxflow generate 整轮文件 生成本轮（如 xlsxflow generate dangzhibu）。",
    ),
    "ballots-no-evaluations": Message(
        E,
        "本轮文件 {round_file} 中没有 evaluations（民主测评）一节，没有测评票可生成或核验。"
        "写法见 templates/README.md 的“evaluations”一节（xlsxflow init --round dangzhibu 写出的整轮文件中有示例）。",
    ),
    "ballots-other-key": Message(
        E,
        "该密钥（指纹 {found}）不是本轮所用的密钥（指纹 {expected}）："
        "用它签名的测评票在核验时都会被当作伪造。请去掉 --key，或指定本轮的密钥。",
    ),
    "ballots-out-is-workdir": Message(
        E,
        "输出文件夹 {out} 是当前目录或其上级。测评票文件夹会被整个替换，"
        "请指定单独的文件夹（如 --out ballots）。",
    ),
    "ballots-out-not-file": Message(E, "{out} 是文件夹；请给出文件名（如 测评汇总.xlsx）。"),
    "ballots-out-inside": Message(
        E,
        "{out} 位于测评票文件夹 {folder} 内；该文件夹只读取、从不修改，请把输出写到别处"
        "（如 --out 测评汇总.xlsx）。",
    ),
    # ---- 民主测评: ballots and clerks' tallies written and read (ballots/workbook.py) ----
    "ballot-too-many-questions": Message(
        E,
        "测评“{evaluation}”有 {count} 个打分项目，超过一张测评票的上限 {max} 项"
        "（每项一列，须横向打印在一页 A4 纸宽内）。请精简测评表的项目。",
    ),
    "ballot-unknown-unit-arg": Message(
        E, "单位编号“{id}”不是测评“{evaluation}”的参评单位（参评单位：{known}）。请检查 --unit。"
    ),
    "ballot-out-other-round": Message(
        E,
        "输出文件夹 {path} 中已有另一轮次（{found}）的测评票。为免覆盖已发出的测评票，未写入任何文件。"
        "请用 --out 指定新文件夹，或先移走原文件夹。",
    ),
    "ballot-not-ballot": Message(
        E,
        "这不是测评票或录入表，而是“{name}”（{id}）的{what}。"
        "测评票文件夹中只放交回的测评票和填好的录入表。",
    ),
    "ballot-recorded-round": Message(
        E,
        "这是本目录记录的另一轮次“{title}”（{found}，生成于 {when}）的测评票，"
        "本次回收的是当前轮次 {expected} 的测评票。请使用本轮 xlsxflow ballots generate 生成的测评票。",
    ),
    "ballot-identity-bad": Message(
        E, "测评票的身份信息无法识别（{detail}）。请使用 xlsxflow ballots generate 生成的测评票。"
    ),
    "ballot-unknown-evaluation": Message(
        E, "测评“{id}”不在本轮文件的 evaluations 中：这张票不属于本轮的任何测评。"
    ),
    "ballot-unknown-unit": Message(
        E, "单位（支部）“{id}”不参加测评“{evaluation}”（候选人名单中没有它的人员）。本票不计入。"
    ),
    "ballot-unknown-group": Message(
        E, "测评群体“{id}”不在测评“{evaluation}”的 raters 中。本票不计入。"
    ),
    "ballot-candidates-changed": Message(
        E,
        "生成这张票之后，“{unit}”的测评对象或测评项目改变了（候选人名单或测评表被修改）。"
        "这张票与现在的测评不符，不计入。请用重新生成的测评票重新测评。",
    ),
    "ballot-serial-invalid": Message(
        E,
        "票号“{serial}”不是“{unit}”{group}测评票的有效票号：票号被改动或伪造。本票不计入。",
    ),
    "ballot-sheet-missing": Message(
        E, "工作簿中缺少工作表“{sheet}”，无法读取。请使用下发的原文件。"
    ),
    "ballot-blank": Message(W, "这张测评票没有填写任何内容（空白票）。"),
    "tally-no-serial": Message(
        E,
        "第 {n} 张票（{rows}）录入了评分，但没有录入票号。请补录纸质票上的票号；在此之前本张票不计入。",
    ),
    "tally-serial-unreadable": Message(
        E,
        "第 {n} 张票的票号“{found}”不是票号（票号形如 ABCD-EFGH-JKMN，共 12 位字母和数字）。"
        "请核对纸质票；本张票不计入。",
    ),
    "tally-serial-twice": Message(
        E,
        "票号 {serial} 在录入表中录入了两次（{first} 与 {again}）：同一张纸质票只能录入一次。"
        "只计第一次（{first}），请核对纸质票。",
    ),
    "tally-serial-unknown": Message(
        E,
        "票号 {serial} 不是本轮发出的测评票票号（可能录错了一位）。请核对纸质票上的票号；本张票不计入。",
    ),
    "tally-serial-other-unit": Message(
        E,
        "票号 {serial} 是“{unit}”{group}的测评票，不属于本录入表（“{here}”{here_group}）。"
        "请录入到该单位的录入表中；本张票在此不计入。",
    ),
    # ---- the ballots folder as a whole (ballots ingest BALLOTS_DIR) ----
    "ballots-missing": Message(
        E, "测评票文件夹不存在：{path}。请检查路径（交回的测评票和录入表所在的文件夹）。"
    ),
    "ballots-empty": Message(
        W,
        "测评票文件夹 {path} 中没有可读取的测评票{detail}。请确认文件夹是否选对、交回的测评票是否已放入。",
    ),
    "ballots-are-unit-returns": Message(
        W,
        "测评票文件夹 {path} 中没有测评票，却有 {count} 个单位的自评表：这像是单位报送文件夹。"
        "请指定存放交回的测评票和录入表的文件夹。",
    ),
    "ballots-unfilled": Message(
        W,
        "测评票文件夹中的 {count} 个测评票和录入表都还没有填写：这是 xlsxflow ballots generate 生成的空白票。"
        "请确认选对了文件夹（下发的空白票不是交回的测评票）。",
    ),
    "ballots-serial-repeated": Message(
        W,
        "票号 {serial} 读到了不止一次：计入 {kept}，未计入 {other}。同一张票只计一次{why}。",
    ),
    # ---- the register across rounds (register/) and xlsxflow history ---------------------
    "register-unreadable": Message(
        E,
        "历史记录库（{path}）无法打开：{detail}。请勿手工修改该文件；如已损坏，请从备份恢复。",
    ),
    "register-newer": Message(
        E,
        "历史记录库（{path}）由更新版本的 xlsxflow 写出（结构版本 {found}，本版本只认识到 {supported}）。"
        "请升级 xlsxflow 后再使用。",
    ),
    "register-missing": Message(
        E,
        "找不到历史记录库 {path}。请在记录所在的目录运行，用 --register 指定，"
        "或先用 xlsxflow register import 导入历史结果。",
    ),
    "register-import-done": Message(
        I, "已导入 {decisions} 条评定结果（{rounds} 个轮次）到历史记录库 {path}。"
    ),
    "register-violation-added": Message(
        I, "已登记违纪违规记录 #{id}：{subject}，{date}，{kind}：{reason}。"
    ),
    "register-revoked": Message(I, "已撤销{what} #{id}（{reason}）。原记录保留，标注为已撤销。"),
    "register-exported": Message(
        I, "已导出历史记录（{decisions} 条评定结果，{violations} 条违纪违规记录）到 {path}。"
    ),
    "register-import-unreadable": Message(E, "无法读取历史结果文件：{detail}"),
    "register-published": Message(
        I,
        "已记入历史记录库 {path}：{rounds} 个轮次，{count} 条评定结果（单位 {units}，个人 {persons}）。",
    ),
    "register-no-period": Message(
        W,
        "未记入历史记录库：不知道“{form}”的结果属于哪个期间（整轮文件没有 period）。"
        "公示文件已写出。请在整轮文件中写 period: 2026H2，或运行 "
        "xlsxflow register record {decisions} --period 2026H2。",
    ),
    "register-publish-failed": Message(
        E,
        "公示文件已写出（{out}），但未能记入历史记录库：{detail} 改正后运行 "
        "xlsxflow register record {decisions} 补记。",
    ),
    "register-reused": Message(
        I, "{reused} 个文件未改动，沿用上次读取的结果（历史记录库 {path}）；读取 {read} 个。"
    ),
    "register-import-missing-column": Message(
        E, "缺少必需的列“{column}”。表头第一行应包含：{required}。"
    ),
    "register-import-empty": Message(E, "历史结果文件中没有任何数据行。"),
    "register-import-required": Message(E, "“{column}”未填写。"),
    "register-import-bad-period": Message(
        E,
        "“{column}”为“{value}”，不是期间：请写 2026（年度）、2026H1（上半年）或 2026Q3（第三季度），"
        "也可写 2026年上半年、2026年第三季度。",
    ),
    "register-import-bad-kind": Message(E, "“{column}”为“{value}”，应为“单位”或“个人”。"),
    "register-import-bad-id": Message(
        E,
        "“{column}”为“{value}”，含有不允许的字符。只能使用字母、数字、下划线和连字符（- _），最长 40 个字符。",
    ),
    "register-import-bad-number": Message(E, "“{column}”应填数字，实际为“{value}”。"),
    "register-import-bad-stars": Message(
        E, "“{column}”应为 0–{max} 的整数（也可写“三星级”），实际为“{value}”。"
    ),
    "register-import-person-unit": Message(
        E, "个人“{id}”的“{column}”未填写：请填其所在单位（支部）的编号。"
    ),
    "register-import-duplicate": Message(
        E, "轮次“{round_id}”的“{form}”中“{id}”出现两次（第一次在第 {first_row} 行）。"
    ),
    "register-import-round-period": Message(
        E, "轮次“{round_id}”的期间是 {expected}，本行写的是 {found}。同一轮次只能有一个期间。"
    ),
    "register-import-kind-changed": Message(
        E, "编号“{id}”在历史记录中是{known}，本行写的是{found}。单位和个人不能共用编号。"
    ),
    "register-import-failed": Message(
        E,
        "历史结果文件有 {count} 处错误，未导入任何记录。请改正后重新导入，"
        "或加 --skip-bad 只导入没有错误的行。",
    ),
    "register-import-skipped": Message(
        W, "已跳过 {count} 个有错误的行（--skip-bad），其余已导入。"
    ),
    "register-name-changed": Message(
        W,
        "{kind}“{id}”的名称由“{old}”变为“{new}”（{period}）。按编号视为同一{kind}；如不是同一{kind}，请改用新编号。",
    ),
    "register-same-name-new-id": Message(
        W,
        "{kind}“{name}”以新编号“{id}”出现，历史记录中已有同名的“{other}”。按编号视为不同的{kind}；"
        "如是同一{kind}，请统一编号。",
    ),
    "register-bad-date": Message(E, "日期“{value}”无法识别，请写成 2026-05-20。"),
    "register-unknown-subject": Message(
        E,
        "历史记录中没有编号为“{id}”的单位或个人。请检查编号；登记新的对象请给出 --name"
        "（个人另加 --unit 所在单位编号）。",
    ),
    "register-unknown-record": Message(E, "历史记录中没有编号为 {id} 的{what}。"),
    "register-already-revoked": Message(
        E, "{what} {id} 已于 {when} 撤销（{reason}），撤销记录保留，不能重复撤销。"
    ),
    "register-revoke-award": Message(
        W,
        "{subject}在{period}获得的“{award}”（轮次 {round_id}）：该期间有违纪违规记录"
        "（{date}，{kind}：{reason}），应予撤销。撤销请运行 xlsxflow register revoke {decision_id} --violation {violation_id}",
    ),
    # ---- annual titles in the 公示 of the period that earns them (register/titles.py) ----
    "publish-title-earned": Message(
        I,
        "年度称号 annual title：{who}连续 {count} 次获得“{award}”（{periods}）：{title}（{note}，{year}年）",
    ),
    "publish-title-no-award": Message(I, "{year}年没有（未撤销的）获奖记录"),
    "publish-titles-failed": Message(
        W,
        "未能按历史记录库（{path}）判断年度称号：{detail} 本次发布不含年度称号公示；"
        "改正后请重新发布到新的文件夹。",
    ),
    "register-titles-recorded": Message(
        I, "年度称号 {count} 项已记入历史记录库（轮次 {rounds}）。"
    ),
    "register-title-unsupported": Message(
        W,
        "{subject}的“{title}”（{year}年，记录 #{decision_id}）所依据的连续获奖已不成立：{now}。"
        "应予撤销：xlsxflow register revoke {decision_id} --reason 所依据的奖项已撤销",
    ),
    "history-unknown": Message(E, "历史记录中没有编号为“{id}”的单位或个人。{hint}"),
    "history-unknown-hint": Message(I, "名称为“{name}”的对象编号是 {ids}，请按编号查询。"),
    "history-run-earned": Message(
        I, "连续 {count} 次获得“{award}”（{periods}）：{title}（{note}）"
    ),
    "history-run-short": Message(
        I, "连续 {count} 次获得“{award}”（{periods}），须连续 {needed} 次方可{note}为{title}"
    ),
    "history-star-first": Message(I, "{period}首次评定为{now}"),
    "history-star-up": Message(I, "晋级：{period}为{now}，{before_period}为{before}"),
    "history-star-keep": Message(I, "保持：{period}为{now}，与{before_period}相同"),
    "history-star-down": Message(
        W, "降级：{period}为{now}，{before_period}为{before}（达不到原星级标准的予以降级）"
    ),
    "history-bar-stars": Message(
        W,
        "{who}在“{round_title}”（{round_id}）中评定为{stars}，{rule}：{year}年不得评为各类先进",
    ),
    "history-bar-violation": Message(
        W,
        "{who}{period}内有违纪违规记录（{date}，{kind}：{reason}；来源：{source}），取消该期间评选资格",
    ),
    "history-clean": Message(I, "{start}至{end}（连续 {years} 年）无违法违纪记录"),
    "history-not-clean": Message(
        W,
        "{start}至{end}（连续 {years} 年）内有违法违纪记录：{items}，不符合“连续 {years} 年无违法违纪”",
    ),
    # ---- the register's rules applied at ingest (register/candidates.py) ---------------------
    "history-barred": Message(W, "历史记录：{detail}"),
    "history-bar-not-clean": Message(
        W,
        "{form}须{start}至{end}连续 {years} 年无违法违纪，但有记录：{items}，不得参评",
    ),
    "history-recheck-kept": Message(
        I,
        "复查：{title}（{since}）本轮“{form}”{basis} {score} 分，达到复查分数线 {threshold} 分，"
        "保留称号",
    ),
    "history-recheck-lost": Message(
        W,
        "复查：{title}（{since}）本轮“{form}”未通过复查（{why}），不再保留称号，应予撤销。"
        "撤销请运行 xlsxflow register revoke {decision_id}",
    ),
    "history-recheck-below": Message(W, "复查：{basis} {score} 分，低于复查分数线 {threshold} 分"),
    "history-recheck-absent": Message(
        W,
        "复查：{title}（{since}）本轮“{form}”未收到有效报送（未交，或文件被拒收），未参加复查",
    ),
    "history-ingest-summary": Message(
        I,
        "历史记录：{known} 个参评单位有记录，{barred} 个不得参评；{rechecks} 个称号复查"
        "（保留 {kept}，不保留 {lost}，未参加 {absent}，待评审 {pending}）。见汇总表“历史”“复查”",
    ),
    "history-recheck-pending": Message(
        I, "复查：{title}（{since}）本轮“{form}”尚未评审，评审后按评审结果确定是否保留"
    ),
    "history-recheck-no-form": Message(
        E,
        "轮次文件 history.recheck 第 {n} 条：评选项目“{form}”不在本轮 forms 中。"
        "复查在本轮的某个评选项目上进行，请写该项目的 id。",
    ),
    "history-recheck-reviewed": Message(
        E,
        "轮次文件 history.recheck 第 {n} 条：评选项目“{form}”有评审（review），"
        "复查按评审的决定判定，分数线请写在该项目的 review.threshold，不写在 recheck。",
    ),
    "history-recheck-no-threshold": Message(
        E,
        "轮次文件 history.recheck 第 {n} 条：评选项目“{form}”的评分表没有 threshold，"
        "种子没有给出复查分数线，请写明 threshold（如 threshold: 90）。",
    ),
    # ---- the office's 审定 and publish ------------------------------------------------
    "summary-unreadable": Message(E, "无法读取汇总工作簿：{detail}"),
    "summary-not-signed": Message(
        E,
        "这不是 xlsxflow 写出的带“审定”表的汇总工作簿（没有汇总的签名信息）。"
        "请使用评审后 xlsxflow 写出的汇总工作簿。",
    ),
    "summary-other-key": Message(
        E,
        "该汇总由另一把密钥签名（密钥指纹 {found}，本机 {expected}），无法核验。"
        "请在写出汇总的电脑上运行，或用 --key 指定当时的密钥。",
    ),
    "summary-bad-signature": Message(
        E, "汇总的签名信息被改动过，签名不符。请使用 xlsxflow 写出的原汇总工作簿重新填写审定。"
    ),
    "summary-other-round": Message(
        E,
        "该汇总属于另一轮“{title}”（{found}），当前轮次是 {expected}。"
        "请在该轮的工作目录中运行，或用 --round 指定轮次。",
    ),
    "approval-item-gaps": Message(
        I, "自评虚高：{n} 个项目的自评分高出实评分超过限度（逐项见“评审汇总”）"
    ),
    "approval-sheet-missing": Message(
        E, "汇总工作簿中没有“审定”表。请使用 xlsxflow 写出的原汇总。"
    ),
    "approval-cell-changed": Message(
        E,
        "锁定内容被改动：{what}应为“{expected}”，现为“{actual}”。"
        "计算结果不能在汇总中修改；审定只在右侧的审定栏目中填写。",
    ),
    "approval-row-added": Message(
        E, "这一行不是 xlsxflow 写出的（{text}）：审定表中不能添加对象。请删除此行。"
    ),
    "approval-row-deleted": Message(
        E, "{what}这一行被删除或清空了。请使用原汇总工作簿，不审定的对象选“暂缓”或“不同意”。"
    ),
    "approval-bad-choice": Message(E, "{what}的“{label}”应为 {choices} 之一，现为“{value}”。"),
    "approval-too-long": Message(E, "{what}的“{label}”超过 {n} 字（现 {actual} 字）。请精简。"),
    "approval-undecided": Message(E, "{what}尚未审定（“{label}”为空）。"),
    "publish-unreviewed": Message(
        E,
        "{what}还没有实评分（“{form}”须经评审），不能同意：不依据自评分发布。"
        "请待评审后重新汇总，或改为“暂缓”。",
    ),
    "publish-against-advice": Message(
        W, "{what}的计算结果是“{advice}”，审定为同意：按审定发布，结果通报和 decisions.json 注明。"
    ),
    "publish-exists": Message(
        E,
        "输出文件夹 {path} 已有内容{when}，为免覆盖已发布的公示，未写入任何文件。"
        "请用 --out 指定新文件夹，或先移走原文件夹。",
    ),
    "publish-blocked": Message(E, "审定表有 {count} 个问题，未发布任何文件。请改正后重新运行。"),
    "publish-done": Message(
        I, "已发布：公示 {approved} 个（共 {total} 个对象），文件写入 {path}。"
    ),
    # ---- evidence archives (佐证材料, xlsxflow/evidence/) ------------------------------------
    "evidence-skeleton-done": Message(I, "已为 {count} 个单位写出佐证材料目录和压缩包（{path}）。"),
    "evidence-skeleton-no-round": Message(
        E, "找不到本轮记录，无法生成佐证材料目录。请先运行 xlsxflow generate。"
    ),
    "evidence-signature-invalid": Message(
        E,
        "佐证材料压缩包的清单文件（xlsxflow-manifest.txt）被改动或签名不符。"
        "请使用下发的佐证材料目录，清单文件不要修改。",
    ),
    "evidence-other-round": Message(
        E, "这是其他轮次（{found}）的佐证材料，本轮为 {expected}。请使用本轮下发的佐证材料目录。"
    ),
    "evidence-recorded-round": Message(
        E,
        "这是本目录记录的另一轮次“{title}”（{found}，生成于 {when}）的佐证材料，"
        "本次汇总的是 {expected}。",
    ),
    "evidence-rubric-mismatch": Message(
        E, "佐证材料目录的评分表版本不符：压缩包为 {found}，本轮为 {expected}。"
    ),
    "evidence-unknown-unit": Message(E, "佐证材料所属单位编号“{unit_id}”不在本轮名单中。"),
    "evidence-untied": Message(
        E,
        "压缩包中没有清单文件，同一邮件或文件夹中也没有本单位的工作簿，"
        "无法确定是哪个单位的佐证材料。请使用下发的佐证材料目录打包报送。",
    ),
    "evidence-received": Message(
        I, "佐证材料压缩包（{unit}）：{count} 份材料，按{how}认定，见汇总表“佐证”。"
    ),
    "evidence-missing": Message(W, "“{item}”自评 {score} 分，但文件夹“{folder}”中没有佐证材料。"),
    "evidence-missing-required": Message(
        E, "“{item}”自评 {score} 分，但文件夹“{folder}”中没有佐证材料（评分表要求每项须有佐证）。"
    ),
    "evidence-bad-name": Message(
        W, "文件名“{name}”不合规范：应为“两位数序号 主题”，如“01 创建领导小组文件.pdf”。"
    ),
    "evidence-bad-type": Message(
        W, "“{name}”的类型（{suffix}）不在允许之列（文档、图片、音频、视频），未存入佐证材料。"
    ),
    "evidence-empty-file": Message(W, "“{name}”是空文件（0 字节），未存入佐证材料。"),
    "evidence-outside-folder": Message(
        W, "“{name}”不在任何指标文件夹中（应放入对应指标的文件夹），未计入任何指标。"
    ),
    "evidence-duplicate": Message(I, "同一份材料出现在多个指标中：{places}。"),
    "evidence-stored": Message(I, "佐证材料已存入 {path}（{count} 份）。"),
}


@dataclass
class Issue:
    """One problem found, with where it is."""

    code: str
    message: str
    severity: Severity
    file: str = ""
    sheet: str = ""
    cell: str = ""
    line: int | None = None  # for rubric / roster source files
    fields: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        place = self.file
        if self.sheet:
            place += f" · {self.sheet}" + (f"!{self.cell}" if self.cell else "")
        elif self.cell:
            place += f" · {self.cell}"
        return place

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}[{self.code}] {self.message}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = str(self.severity)
        d.pop("fields")
        if d["line"] is None:
            d.pop("line")
        return d


def render(code: str, **fields) -> str:
    """The message text for ``code`` with ``fields`` filled in."""
    return CATALOGUE[code].text.format(**fields)


def make_issue(
    code: str, *, file: str = "", cell: str = "", line: int | None = None, **fields
) -> Issue:
    """Build an :class:`Issue` from the catalogue; a ``sheet`` field also places it."""
    entry = CATALOGUE[code]
    sheet = str(fields.get("sheet", ""))
    return Issue(
        code=code,
        message=entry.text.format(**fields),
        severity=entry.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        line=line,
        fields=fields,
    )


class XlsxflowError(Exception):
    """Raised for problems that stop a command (bad rubric, bad roster, no round)."""

    def __init__(self, issues: list[Issue] | Issue):
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))
