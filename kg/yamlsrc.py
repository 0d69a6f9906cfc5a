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


def _line_mapping(node: yaml.MappingNode, build, path: str) -> LineDict:
    """A mapping node as a LineDict, its keys and values made by ``build`` (one node -> its value)."""
    result = LineDict()
    result.line = node.start_mark.line + 1
    lines = result.lines = {}
    for key_node, value_node in node.value:
        key = build(key_node)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise InputError(f"key {key!r} is not text", path=path, line=line, hint="write keys as plain words")
        if key in result:
            raise InputError(f"duplicate key '{key}' (first given at line {lines[key]})", path=path, line=line,
                             hint="keep one of them")
        result[key] = build(value_node)
        lines[key] = line
    return result


def _line_sequence(node: yaml.SequenceNode, build) -> LineList:
    """A sequence node as a LineList, its elements made by ``build``."""
    result = LineList(build(child) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


# PyYAML's construction (documents with other collection tags, see _Builder) makes the same containers
def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    return _line_mapping(node, lambda n: loader.construct_object(n, deep=True), loader.path)


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    return _line_sequence(node, lambda n: loader.construct_object(n, deep=True))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Unusual(Exception):
    """A collection under a tag other than map or seq: the document is built by PyYAML instead."""


class _Builder:
    """The loader's construction, made direct for what fact sheets are made of: a plain string is its node's
    value, mappings and lists are built here without PyYAML's constructor dispatch (a third of loading a fact
    sheet); other scalars (numbers, booleans, null) go to the loader's own constructors, and a document with a
    collection under another tag is left to PyYAML whole. The result is what ``get_single_data`` gives: an alias
    is the object its anchor made (built once), a node that contains itself is refused as PyYAML refuses it."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.made: dict[int, Any] = {}
        self.making: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        cls, tag = node.__class__, node.tag
        if cls is yaml.ScalarNode:
            return node.value if tag == _STR else self.loader.construct_object(node, deep=True)
        key = id(node)
        made = self.made.get(key, self)
        if made is not self:
            return made
        if not (cls is yaml.MappingNode and tag == _MAP or cls is yaml.SequenceNode and tag == _SEQ):
            raise _Unusual
        if key in self.making:
            raise yaml.constructor.ConstructorError(None, None, "found unconstructable recursive node",
                                                    node.start_mark)
        self.making.add(key)
        if cls is yaml.MappingNode:
            self.loader.flatten_mapping(node)
            result = _line_mapping(node, self.build, self.loader.path)
        else:
            result = _line_sequence(node, self.build)
        self.making.discard(key)
        self.made[key] = result
        return result


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
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _Builder(loader).build(node)
        except _Unusual:  # a collection under another tag (!!set, !!omap…): PyYAML builds the whole document
            return loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", path=shown,
                         line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                         hint="check indentation, colons and quoting on that line") from None
    finally:
        loader.dispose()
