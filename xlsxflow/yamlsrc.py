"""YAML loading that remembers the line of every key, so errors can name it."""

from __future__ import annotations

from pathlib import Path

import yaml

Path_ = tuple[str | int, ...]


class YamlSourceError(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


class LocatedYaml:
    """Parsed YAML data plus the 1-based source line of each key path."""

    def __init__(self, data, lines: dict[Path_, int]):
        self.data = data
        self.lines = lines

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def load_located(text: str) -> LocatedYaml:
    """Parse ``text`` (safe YAML only) and record a line for every key and list entry."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlSourceError(problem, line) from None
    lines: dict[Path_, int] = {}
    if root is None:
        return LocatedYaml(None, {(): 1})
    data = _convert(root, (), lines)
    return LocatedYaml(data, lines)


def _convert(node, path: Path_, lines: dict[Path_, int]):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlSourceError("keys must be plain text", key_node.start_mark.line + 1)
            key = key_node.value  # raw text: YAML 1.1 would turn `on:` into True
            if key in out:
                raise YamlSourceError(
                    f"duplicate key “{key}” (first on line {lines[path + (key,)]})",
                    key_node.start_mark.line + 1,
                )
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, path + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), lines) for i, child in enumerate(node.value)]
    return _scalar(node)


def _scalar(node):
    return _CONSTRUCTOR.construct_object(node, deep=True)


_CONSTRUCTOR = yaml.SafeLoader("")


def read_text(path: Path) -> str:
    return Path(path).read_text(encoding="utf-8-sig")
