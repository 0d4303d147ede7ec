"""Safe YAML reading that remembers where every value came from.

All YAML desk reads (settings, feeds.yaml, watchlists) goes through here: the
safe loader only, no aliases (an 800-byte alias bomb expands to gigabytes),
no duplicate keys, a size cap, and mappings and lists that know the line and
column of each value so that errors can name `file:line:col`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from desk.core.errors import DeskError

MAX_YAML_BYTES = 1_000_000

Position = tuple[int, int]


class PosDict(dict[str, Any]):
    """A mapping that knows the position of itself and of each key's value."""

    pos: Position = (1, 1)
    key_pos: dict[str, Position]
    value_pos: dict[str, Position]


class PosList(list[Any]):
    """A list that knows the position of itself and of each element."""

    pos: Position = (1, 1)
    item_pos: list[Position]


def _position(mark: yaml.Mark | None) -> Position:
    if mark is None:
        return (1, 1)
    return (mark.line + 1, mark.column + 1)


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing aliases and recording positions."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            line, col = _position(event.start_mark)
            raise _PlacedError("aliases (*name) are not allowed here", line, col)
        return super().compose_node(parent, index)


class _PlacedError(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[PosDict]:
    data = PosDict()
    data.pos = _position(node.start_mark)
    data.key_pos = {}
    data.value_pos = {}
    yield data
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or key is None:
            raise _PlacedError("keys must be plain words", *_position(key_node.start_mark))
        key = str(key)
        if key in data:
            line, col = _position(key_node.start_mark)
            raise _PlacedError(f"duplicate key {key!r}", line, col)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_pos[key] = _position(key_node.start_mark)
        data.value_pos[key] = _position(value_node.start_mark)


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Iterator[PosList]:
    data = PosList()
    data.pos = _position(node.start_mark)
    data.item_pos = []
    yield data
    for child in node.value:
        data.append(loader.construct_object(child, deep=True))
        data.item_pos.append(_position(child.start_mark))


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser (C) with the same constructors: 10 times the speed of _Loader.

    It composes an alias as the anchored node itself, without refusing it: parse_yaml
    looks for a node met twice and leaves such a file, and any file it cannot read, to
    _Loader, which says what is wrong and where as it always has.
    """


for _loader in (_Loader, _FastLoader):
    _loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
    _loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)

_SLOW_CHARACTERS = frozenset("\t\ufeff\x85\u2028\u2029")
"""Characters that leave a text to _Loader (see _parse_fast)."""
MAX_FAST_FLOWS = 1_000
"""More `[` and `{` than this leave a text to _Loader: libyaml before 0.2.5 nests them
without a limit, in C (`[` * 500,000 would exhaust its stack, not raise)."""
_NOT_READ = object()
"""The fast parse left the file to the careful one."""


def _parse_fast(text: str) -> Any:
    """`text` parsed by _FastLoader, or _NOT_READ if it holds an alias or does not parse.

    Text with a tab is left to _Loader too: libyaml takes a tab inside a plain value,
    which _Loader refuses (desk says "a tab; YAML indents with spaces only"); and text
    with a byte-order mark or a Unicode line break, which libyaml counts columns past
    differently (a fuzz of the shipped and test files found no other difference).
    """
    if not _SLOW_CHARACTERS.isdisjoint(text) or text.count("[") + text.count("{") > MAX_FAST_FLOWS:
        return _NOT_READ
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _meets_a_node_twice(node):
            return _NOT_READ
        return loader.construct_document(node)
    except Exception:  # whatever it is, _Loader says it in its own words
        return _NOT_READ
    finally:
        loader.dispose()


def _meets_a_node_twice(root: yaml.Node) -> bool:
    """Whether the tree from `root` reaches a node twice (an alias), each node visited once."""
    seen: set[int] = set()
    waiting = [root]
    while waiting:
        node = waiting.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            waiting.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            waiting.extend(node.value)
    return False


def parse_yaml(text: str, path: Path | str, error: type[DeskError] = DeskError) -> Any:
    """Parse YAML text safely; raise `error` naming path:line:col on any problem."""
    parsed = _parse_fast(text)
    if parsed is not _NOT_READ:
        return parsed
    try:
        return yaml.load(text, Loader=_Loader)
    except _PlacedError as exc:
        raise error(exc.message, path, exc.line, exc.col) from None
    except yaml.MarkedYAMLError as exc:
        line, col = _position(exc.problem_mark)
        problem = exc.problem or "is not valid YAML"
        if "'\\t'" in problem:
            problem = "a tab; YAML indents with spaces only"
        raise error(f"invalid YAML: {problem}", path, line, col) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: say where
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        problem = f"a character YAML does not allow (U+{code:04X})"
        raise error(f"invalid YAML: {problem}", path, line, col) from None
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise error(f"invalid YAML: {reason}", path) from None
    except RecursionError:
        raise error("invalid YAML: nested too deeply", path) from None


def read_yaml(path: Path, error: type[DeskError] = DeskError) -> Any:
    """Read and parse a YAML file of at most MAX_YAML_BYTES."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(f"file is {size:,} bytes; the limit is {MAX_YAML_BYTES:,}", path)
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error("not UTF-8 text", path, line) from None
    return parse_yaml(text, path, error)


def position_of(container: Any, key: str | int) -> Position:
    """The position of `container[key]`, or of the container, or (1, 1)."""
    if isinstance(container, PosDict) and isinstance(key, str):
        return container.value_pos.get(key, container.pos)
    if isinstance(container, PosList) and isinstance(key, int):
        if 0 <= key < len(container.item_pos):
            return container.item_pos[key]
        return container.pos
    return getattr(container, "pos", (1, 1))


def key_position_of(mapping: Any, key: str) -> Position:
    """The position of a key itself (not its value) in a mapping."""
    if isinstance(mapping, PosDict):
        return mapping.key_pos.get(key, mapping.pos)
    return getattr(mapping, "pos", (1, 1))
