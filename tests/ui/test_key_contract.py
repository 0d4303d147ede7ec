"""The keys settings.yaml may remap (desk.core.config.DEFAULT_KEYS) are the TUI's own bindings."""

from __future__ import annotations

from desk.core.settings.config import DEFAULT_KEYS
from desk.ui.app import DeskApp
from desk.ui.screens import MainScreen


def test_every_remappable_binding_is_in_the_core_key_table_with_its_key() -> None:
    bindings = [*DeskApp.BINDINGS, *MainScreen.BINDINGS]
    remappable = {b.id: b.key for b in bindings if getattr(b, "id", None)}
    assert remappable == DEFAULT_KEYS
