"""The desk's keys as data: one row per binding with an id, for the help screen and the palette."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding, BindingType

KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "space": "space",
}


@dataclass(frozen=True)
class KeyRow:
    """One remappable binding as the analyst sees it."""

    id: str
    keys: str
    """The keys that do it, shown as typed: `j, down`."""
    description: str
    tooltip: str
    action: str


def shown_keys(keys: str) -> str:
    """`right_square_bracket,ctrl+l` -> `], ctrl+l`."""
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def key_rows(bindings: Iterable[BindingType], remaps: dict[str, str]) -> list[KeyRow]:
    """Each binding that has an id, with the keys `remaps` (settings.yaml `keys:`) give it."""
    rows = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.id:
            keys = remaps.get(binding.id, binding.key)
            rows.append(
                KeyRow(
                    binding.id,
                    shown_keys(keys),
                    binding.description,
                    binding.tooltip or binding.description,
                    binding.action,
                )
            )
    return rows
