"""The steps of one runbook section as a list: status, text, commands, warnings, live figures.

Renders what the runbook pane hands it; it runs nothing. Enter on a step posts the
OptionList's `OptionSelected`, which the pane turns into a run. Only steps whose text
changed are re-rendered, so a recovery watch ticking every poll costs almost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from common.durations import format_duration
from runbooks.model import Step
from tui.incident.session import StepRecord, StepStatus

#: first line of a command shown per step; the rest is summarised
COMMAND_LINES = 3

#: icon and style per status; `$name` is a theme colour, filled in from the app's theme
ICONS = {
    StepStatus.PENDING: ("○", "dim"),
    StepStatus.RUNNING: ("▶", "bold $text-accent"),
    StepStatus.DONE: ("✔", "bold $text-success"),
    StepStatus.FAILED: ("✖", "bold $text-error"),
    StepStatus.CANCELLED: ("⊘", "bold $text-warning"),
    StepStatus.TICKED: ("☑", "bold $text-success"),
}
#: theme colours when no app is at hand (tests building prompts directly)
DEFAULT_PALETTE = {"text-accent": "#FFC473", "text-success": "#8AD4A1",
                   "text-error": "#D17E92", "text-warning": "#FFC473"}


def _themed(style: str, palette: Mapping[str, str]) -> str:
    for name, colour in palette.items():
        style = style.replace(f"${name}", colour)
    return style


@dataclass(frozen=True)
class StepView:
    """Everything one step's row shows, computed by the pane from the session."""

    number: int
    step: Step
    record: StepRecord
    commands: tuple[str, ...]  # as they will run (edited, masked)
    edited: bool = False
    destructive: bool = False
    locked: bool = False
    #: changes the system without destroying anything: asks to confirm too
    changes: bool = False
    #: what the last run moved on the alert's panel ("p95 988 ms → 41 ms")
    change: str = ""
    #: ticked by opsdash: the item's live criterion holds
    auto: bool = False
    figures: str = ""


def _status(view: StepView, palette: Mapping[str, str]) -> tuple[str, str]:
    status = view.record.status
    if status is StepStatus.PENDING and view.step.checklist:
        return "☐", "dim"
    icon, style = ICONS[status]
    return icon, _themed(style, palette)


_INLINE = re.compile(r"(\*\*|__)(?P<strong>.+?)\1|`(?P<code>[^`]+)`"
                     r"|\[(?P<link>[^\]]+)\]\([^)]*\)|(?<![\w*])\*(?P<em>[^*\s][^*]*)\*(?!\w)")


def append_markdown(text: Text, line: str, palette: Mapping[str, str]) -> None:
    """A step title as its author wrote it: `**bold**`, `code`, [links](...) rendered,
    not shown as raw Markdown."""
    pos = 0
    for m in _INLINE.finditer(line):
        text.append(line[pos:m.start()])
        if m.group("strong"):
            text.append(m.group("strong"), style="bold")
        elif m.group("code"):
            text.append(m.group("code"), style=_themed("$text-accent", palette))
        elif m.group("link"):
            text.append(m.group("link"), style="underline")
        else:
            text.append(m.group("em") or "", style="italic")
        pos = m.end()
    text.append(line[pos:])


#: a command line's own indent ("   $ ") and the deeper one its continuation lines take
PROMPT_INDENT = 5
HANGING_INDENT = 7


def wrap_command(line: str, width: int | None) -> list[str]:
    """A long command cut to the room left of `width`: the rest goes on lines indented
    under the command, so a wrapped `curl ... "$URL"` never reads as a new prompt."""
    if not width or width - HANGING_INDENT < 10 or len(line) + PROMPT_INDENT <= width:
        return [line]
    first, room = width - PROMPT_INDENT, width - HANGING_INDENT
    out, rest = [line[:first]], line[first:]
    while rest:
        out.append(rest[:room])
        rest = rest[room:]
    return out


def step_prompt(view: StepView, palette: Mapping[str, str] = DEFAULT_PALETTE,
                width: int | None = None) -> Text:
    """One step as a few lines of text; no colour is the only signal (icons and words)."""
    icon, style = _status(view, palette)
    text = Text()
    text.append(f"{icon} ", style=style)
    text.append(f"{view.number}. ", style="bold")
    first, *rest = (view.step.text.strip() or "(no text)").splitlines()
    append_markdown(text, first, palette)
    if rest:
        text.append(" …", style="dim")
    record = view.record
    if record.status in (StepStatus.DONE, StepStatus.FAILED, StepStatus.CANCELLED):
        how = ("cancelled" if record.status is StepStatus.CANCELLED
               else "timed out" if record.timed_out else f"exit {record.exit_code}")
        took = f" · {format_duration(record.duration)}" if record.duration is not None else ""
        text.append(f"  [{how}{took}]", style=style)
    elif record.status is StepStatus.RUNNING:
        text.append("  [running… c cancels]", style=style)
    if view.destructive or view.changes:
        text.append("\n   ")
        if view.destructive:
            text.append("⚠ destructive", style=_themed("bold $text-error", palette))
        else:
            text.append("◆ changes", style=_themed("bold $text-warning", palette))
        if view.locked:
            text.append(" · locked (read-only)", style="bold")
        else:
            text.append(" · asks to confirm", style="dim")
    for code in view.commands:
        # blank lines are no prompts; a comment reads as a comment, not as a command
        lines = [ln for ln in code.splitlines() if ln.strip()] or [""]
        for line in lines[:COMMAND_LINES]:
            if line.lstrip().startswith("#"):
                text.append(f"\n     {line.strip()}", style="dim italic")
                continue
            style = "strike dim" if view.locked else "bold"
            first, *rest = wrap_command(line, width)
            text.append("\n   $ ", style="dim")
            text.append(first, style=style)
            for more in rest:
                text.append("\n" + " " * HANGING_INDENT)
                text.append(more, style=style)
        if len(lines) > COMMAND_LINES:
            text.append(f"\n     … {len(lines) - COMMAND_LINES} more lines", style="dim")
    if view.edited:
        text.append("\n   ✎ edited", style=_themed("italic $text-warning", palette))
    if view.change:
        text.append("\n   ↳ ", style="dim")
        text.append(view.change, style=_themed("bold $text-success", palette))
    if view.auto:
        text.append("  ✓ checked by opsdash", style=_themed("$text-success", palette))
    if view.figures:
        text.append("\n   now: ", style="dim")
        text.append(view.figures, style=_themed("bold $text-accent", palette))
    return text


class StepList(OptionList):
    """Up/down select a step; Enter runs it (the pane handles OptionSelected)."""

    DEFAULT_CSS = """
    StepList, StepList:focus {
        height: 1fr;
        min-height: 5;
        border: none;
        padding: 0;
        background: $surface;
    }
    StepList > .option-list--option { padding: 0 0 1 0; }
    """

    BINDINGS = [
        Binding("enter", "select", "Run step", id="runbook-run"),
        Binding("up", "cursor_up", "Previous step", show=False, id="runbook-up"),
        Binding("down", "cursor_down", "Next step", show=False, id="runbook-down"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._shown: list[Text] = []
        self._views: list[StepView] = []

    def on_resize(self) -> None:
        """Commands are wrapped to the width: a new width re-wraps them."""
        if self._views:
            self.show_steps(self._views, keep=self.highlighted)

    def reset(self) -> None:
        """Forget every row: the next `show_steps` draws a new section from scratch."""
        self.clear_options()
        self._shown = []

    def palette(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {name: variables.get(name, colour) for name, colour in DEFAULT_PALETTE.items()}

    def show_steps(self, views: Sequence[StepView], *, keep: int | None = None) -> None:
        """Render every step; rows whose text is unchanged are left alone."""
        palette = self.palette()
        self._views = list(views)
        width = self.scrollable_content_region.width or None
        prompts = [step_prompt(v, palette, width) for v in views]
        if len(prompts) != len(self._shown):
            self._shown = prompts
            self.set_options(Option(p, id=f"step-{i}") for i, p in enumerate(prompts))
            if prompts:
                self.highlighted = min(keep or 0, len(prompts) - 1)
            return
        for i, prompt in enumerate(prompts):
            if prompt.plain != self._shown[i].plain or prompt.spans != self._shown[i].spans:
                self._shown[i] = prompt
                self.replace_option_prompt_at_index(i, prompt)
