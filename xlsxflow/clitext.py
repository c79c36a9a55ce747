"""The command line's own words in Chinese: click's messages and help laid out for CJK text.

click writes its messages ("No such option", "Usage:", "Show this message and
exit." …) through ``gettext``: each click module does ``from gettext import
gettext as _``.  A ``.mo`` catalogue would only be found when ``LANGUAGE``/``LANG``
name a Chinese locale, which an office PC on Windows does not set; so
:func:`install` rebinds ``_`` and ``ngettext`` in click's modules to a lookup in
:data:`CLICK_ZH` (falling back to click's English for anything not listed).

:class:`HelpFormatter` wraps help by display width (a CJK character takes two
columns), breaks Chinese text between characters (never before ，。） and the
like) and joins a docstring's Chinese lines without a stray space.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator

import click
from wcwidth import wcswidth, wcwidth

HELP_WIDTH = 80  # help fits an 80-column terminal

# click's msgids → Chinese (a short English tag is kept where a heading or prefix is scanned for).
CLICK_ZH: dict[str, str] = {
    # help pages
    "Usage:": "用法 Usage:",
    "Options": "选项 Options",
    "Commands": "命令 Commands",
    "Positional arguments": "参数 Arguments",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 version %(version)s",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    # errors
    "Error: {message}": "错误 Error: {message}",
    "Try '{command} {option}' for help.": "查看帮助：{command} {option}",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Did you mean {possibility}?": "是否想输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想输入其中之一：{possibilities}？）",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Got unexpected extra argument ({args})": "多余的参数：{args}",
    "Got unexpected extra arguments ({args})": "多余的参数：{args}",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。"
    ),
    "{len_type} values are required, but {len_value} were given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。"
    ),
    "Value must be an iterable.": "值必须是一组值。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是一个文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是一个文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "unknown error": "未知错误",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不在可选值 {choices} 中。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数（{number_type}）。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} 不是有效的是/否值。可用：{states}"
    ),
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "Aborted!": "已中止 Aborted!",
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不再询问，直接执行。",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
}

# Every click module that imports gettext's functions (see the module docstring).
CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "shell_completion",
    "termui",
    "types",
    "utils",
    "_termui_impl",
)


def gettext(message: str) -> str:
    return CLICK_ZH.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Make click speak Chinese: rebind its modules' ``_`` and ``ngettext`` (idempotent)."""
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


# -- wrapping by display width ---------------------------------------------------------------

NO_LINE_START = set("，。、；：？！）》」』】”’,.;:?!)]}%…")
NO_LINE_END = set("（《「『【“‘([{")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: CJK characters count two."""
    width = wcswidth(text)
    return width if width >= 0 else sum(max(wcwidth(c), 0) for c in text)


def _wide(char: str) -> bool:
    return len(char) == 1 and wcwidth(char) == 2


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: an ASCII word, one CJK character (with the punctuation that
    must stay beside it) or a single space."""
    tokens: list[str] = []
    for char in text:
        prev = tokens[-1] if tokens and tokens[-1] != " " else ""
        if char.isspace():
            if prev:
                tokens.append(" ")
        elif prev and (
            char in NO_LINE_START
            or prev[-1] in NO_LINE_END
            or not (_wide(char) or _wide(prev[-1]))  # an ASCII word goes on
            or (prev[0] == "[" and not set(prev) & {"]", "："})  # click's [默认：…] tag
        ):
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def _fill(text: str, width: int, initial_indent: str, subsequent_indent: str) -> str:
    lines: list[str] = []
    line, used, empty, space = initial_indent, display_width(initial_indent), True, False
    for token in _tokens(text):
        if token == " ":
            space = not empty
            continue
        size = display_width(token)
        gap = 1 if space else 0
        if not empty and used + gap + size > width:
            lines.append(line.rstrip())
            line, used, empty, gap = subsequent_indent, display_width(subsequent_indent), True, 0
        while empty and used + size > width and len(token) > 1:  # longer than a whole line
            cut = 1
            while cut < len(token) and used + display_width(token[: cut + 1]) <= width:
                cut += 1
            lines.append(line + token[:cut])
            token = token[cut:]
            size = display_width(token)
            line, used = subsequent_indent, display_width(subsequent_indent)
        line += " " * gap + token
        used += gap + size
        empty, space = False, False
    lines.append(line.rstrip())
    return "\n".join(lines)


def _join(lines: Iterable[str]) -> str:
    """Lines of one paragraph as one text: no space where a Chinese line break was."""
    out = ""
    for line in lines:
        cjk_break = _wide(out[-1:]) and (_wide(line[0]) or out[-1] in NO_LINE_START)
        if out and not cjk_break and line[0] not in NO_LINE_START:
            out += " "
        out += line
    return out


def _paragraphs(text: str) -> Iterator[tuple[int, bool, list[str]]]:
    """(indent, raw, lines) per paragraph; a paragraph whose first line is ``\\b`` is raw."""
    buf: list[str] = []
    indent = 0
    for line in [*text.splitlines(), ""]:
        if line.strip():
            if not buf:
                indent = len(line) - len(line.lstrip())
            buf.append(line if buf and buf[0].strip() == "\b" else line.strip())
        elif buf:
            raw = buf[0].strip() == "\b"
            yield indent, raw, buf[1:] if raw else buf
            buf = []


def wrap_text(
    text: str,
    width: int,
    initial_indent: str = "",
    subsequent_indent: str = "",
    preserve_paragraphs: bool = False,
) -> str:
    """click's ``wrap_text`` measured in display columns (same paragraph rules)."""
    text = text.expandtabs()
    if not preserve_paragraphs:
        return _fill(
            _join(x.strip() for x in text.splitlines() if x.strip()) or text.strip(),
            width,
            initial_indent,
            subsequent_indent,
        )
    out = []
    for indent, raw, lines in _paragraphs(text):
        extra = " " * indent
        if raw:
            out.append(
                "\n".join(
                    (initial_indent if i == 0 else subsequent_indent) + line
                    for i, line in enumerate(lines)
                )
            )
        else:
            out.append(
                _fill(_join(lines), width, initial_indent + extra, subsequent_indent + extra)
            )
    return "\n\n".join(out)


class HelpFormatter(click.HelpFormatter):
    """click's help layout, wrapped by display width (see :func:`wrap_text`)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = f"{gettext('Usage:')} "
        usage_prefix = f"{' ' * self.current_indent}{prefix}{prog} "
        text_width = self.width - self.current_indent
        if not args:
            self.write(usage_prefix.rstrip(" ") + "\n")
            return
        if text_width >= display_width(usage_prefix) + 20:
            indent = " " * display_width(usage_prefix)
            self.write(wrap_text(args, text_width, usage_prefix, indent))
        else:
            self.write(usage_prefix + "\n")
            indent = " " * (max(self.current_indent, display_width(prefix)) + 4)
            self.write(wrap_text(args, text_width, indent, indent))
        self.write("\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(wrap_text(text, self.width, indent, indent, preserve_paragraphs=True))
        self.write("\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = [(first, second) for first, second, *_ in (tuple(r) + ("",) for r in rows)]
        first_col = min(max((display_width(r[0]) for r in rows), default=0), col_max)
        first_col += col_spacing
        for first, second in rows:
            self.write(f"{' ' * self.current_indent}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            text_width = max(self.width - first_col - 2, 10)
            lines = wrap_text(second, text_width, preserve_paragraphs=True).splitlines()
            self.write(f"{lines[0] if lines else ''}\n")
            for line in lines[1:]:
                self.write(f"{' ' * (first_col + self.current_indent)}{line}\n" if line else "\n")


class Context(click.Context):
    formatter_class = HelpFormatter


def short_help(command: click.Command, limit: int) -> str:
    """The first sentence of a command's help (to 。 or ". "), cut to ``limit`` columns."""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    text = _join(x.strip() for x in text.splitlines() if x.strip() and x.strip() != "\b")
    for end in ("。", ". "):
        if end in text:
            text = text[: text.index(end) + len(end)].rstrip()
            break
    if display_width(text) <= limit:
        return text
    while text and display_width(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


class Command(click.Command):
    context_class = Context

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self, limit)


class Group(click.Group):
    """A command group whose commands and subgroups lay out their help in Chinese."""

    context_class = Context
    command_class = Command
    group_class = type  # subgroups are Groups too

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self, limit)
