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


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def parse_yaml(text: str, path: Path | str, error: type[DeskError] = DeskError) -> Any:
    """Parse YAML text safely; raise `error` naming path:line:col on any problem."""
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
