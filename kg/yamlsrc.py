"""Safe YAML with line numbers: every mapping and list remembers where its entries are, duplicate keys are errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

__all__ = ["LineDict", "LineList", "load_yaml"]


class LineDict(dict):
    """A YAML mapping that knows the line of itself (``line``) and of each key (``lines[key]``)."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A YAML sequence that knows the line of itself and of each element."""

    line: int = 0
    lines: list[int]

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


#: libyaml's parser when PyYAML was built with it (about 10x faster; it keeps line marks too).
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """SafeLoader without timestamp resolution (dates stay strings) and with line-aware containers."""

    path: str = "<yaml>"


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise InputError(f"key {key!r} is not text", path=loader.path, line=line,
                             hint="write keys as plain words")
        if key in result:
            raise InputError(f"duplicate key '{key}' (first given at line {result.lines[key]})",
                             path=loader.path, line=line, hint="keep one of them")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path, *, shown_as: str | None = None) -> Any:
    """Parse one YAML file safely; errors name the file and line and say how to fix them."""
    shown = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text ({err.reason} at byte {err.start})", path=shown,
                         hint="save the file as UTF-8") from None
    loader = _Loader(text)
    loader.path = shown
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", path=shown,
                         line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                         hint="check indentation, colons and quoting on that line") from None
    finally:
        loader.dispose()
