"""Asking for one value before a step runs: a placeholder's value, or the command to edit.

`PromptScreen` is an Input in a modal: Enter gives the text, Escape gives None (the step
does not run). Names the step runner calls secret are typed blind. Values are
handed back raw; the runbook engine shell-quotes them where they land.
`EditCommandScreen` prefills the command; a multi-line command gets a TextArea instead
(ctrl+s saves), since an Input would flatten a heredoc or a loop into something else.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

_BOX_CSS = """
    {w} {{ align: center middle; }}
    {w} > Vertical {{
        width: 80%; max-width: 100; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 1 2;
    }}
    {w} .prompt-title {{ text-style: bold; width: 1fr; }}
    {w} .prompt-context {{
        margin: 1 0 0 0; padding: 0 1; background: $boost; height: auto; max-height: 8;
        color: $foreground-muted;
    }}
    {w} .prompt-keys {{ color: $foreground-muted; margin-top: 1; }}
    {w} Input {{ margin-top: 1; }}
    {w} TextArea {{ margin-top: 1; height: auto; max-height: 16; }}
"""


class PromptScreen(ModalScreen[str | None]):
    """`await app.push_screen_wait(PromptScreen(title, context=..., value=...))`."""

    DEFAULT_CSS = _BOX_CSS.format(w="PromptScreen")

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt-cancel")]

    def __init__(self, title: str, *, context: str = "", value: str = "",
                 placeholder: str = "", password: bool = False, keys: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.context_text = context
        self.value = value
        self.placeholder = placeholder
        self.password = password
        self.keys = keys or "enter: use this value · esc: cancel (the step does not run)"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="prompt-title", markup=False)
            if self.context_text:
                yield Static(self.context_text, classes="prompt-context", markup=False)
            yield Input(self.value, placeholder=self.placeholder, password=self.password,
                        id="prompt-input", select_on_focus=False)
            yield Label(self.keys, classes="prompt-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def placeholder_prompt(label: str, command: str, *, secret: bool = False) -> PromptScreen:
    """The value for `<name>` / `$VAR`, showing the command it goes into; `secret` (the
    step runner's call) types it blind."""
    name = label.strip("<>{}$")
    return PromptScreen(f"Value for {label}", context=command, password=secret,
                        placeholder=f"{name} (asked once; quoted for the shell)")


class EditCommandScreen(ModalScreen[str | None]):
    """The command, editable, before it runs; None when cancelled."""

    DEFAULT_CSS = _BOX_CSS.format(w="EditCommandScreen")

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="edit-cancel"),
        Binding("ctrl+s", "save", "Save", id="edit-save"),
    ]

    def __init__(self, title: str, command: str) -> None:
        super().__init__()
        self.title_text = title
        self.command = command
        self.multiline = "\n" in command.strip()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="prompt-title", markup=False)
            if self.multiline:
                yield TextArea(self.command, id="edit-area", show_line_numbers=False)
                keys = "ctrl+s: save · esc: cancel · Enter on the step runs it"
            else:
                yield Input(self.command, id="edit-input", select_on_focus=False)
                keys = "enter: save · esc: cancel · Enter on the step runs it"
            yield Label(keys, classes="prompt-keys", markup=False)

    def on_mount(self) -> None:
        widget = self.query_one("#edit-area" if self.multiline else "#edit-input")
        widget.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_save(self) -> None:
        if self.multiline:
            self.dismiss(self.query_one(TextArea).text)
        else:
            self.dismiss(self.query_one(Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)
