"""Confirmation before anything that changes a system: shows exactly what will run; `y`
or nothing.

Any key other than `y` cancels, so a stray Enter or a fat-fingered key never kills a
backend or restarts a container. Destructive commands get the alarm colour
(`danger=True`); commands that only change something get the warning colour.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """`push_screen(ConfirmScreen(title, exact_text), callback)`: callback gets True on `y`."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 80%; max-width: 100; height: auto; max-height: 80%;
        border: thick $error; background: $surface; padding: 1 2;
    }
    ConfirmScreen #confirm-title { text-style: bold; color: $text-error; width: 1fr; }
    ConfirmScreen.-changes > Vertical { border: thick $warning; }
    ConfirmScreen.-changes #confirm-title { color: $text-warning; }
    ConfirmScreen #confirm-text {
        margin: 1 0; padding: 0 1; background: $boost; height: auto; max-height: 12;
    }
    ConfirmScreen #confirm-keys { color: $foreground-muted; }
    """

    BINDINGS = [
        Binding("y", "confirm", "Yes, do it", priority=True, id="confirm-yes"),
        Binding("escape", "cancel", "Cancel", priority=True, id="confirm-cancel"),
    ]

    def __init__(self, title: str, exact_text: str, *, danger: bool = True) -> None:
        super().__init__(classes="" if danger else "-changes")
        self.title_text = title
        self.exact_text = exact_text
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="confirm-title")
            yield Static(self.exact_text, id="confirm-text", markup=False)
            yield Label("y: yes, do it · any other key: cancel", id="confirm-keys")

    def _answer(self, value: bool) -> None:
        if not self._answered:
            self._answered = True
            self.dismiss(value)

    def action_confirm(self) -> None:
        self._answer(True)

    def action_cancel(self) -> None:
        self._answer(False)

    def on_key(self, event: events.Key) -> None:
        # `y` and escape are bindings (listed in the footer and help); everything else
        # lands here and cancels: the safe default for a destructive action
        event.stop()
        event.prevent_default()
        self._answer(False)

    def on_click(self, event: events.Click) -> None:
        event.stop()
