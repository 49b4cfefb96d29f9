"""Help: every key binding, those of the screen it was opened from and of each drill-down."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

#: (section title, [(key, description)])
Section = tuple[str, list[tuple[str, str]]]


def describe(bindings: list[Binding], app: App[Any]) -> list[tuple[str, str]]:
    """(keys as they read, `[` not `left_square_bracket`; description), one row each."""
    seen: dict[str, list[str]] = {}
    for binding in bindings:
        if binding.description:
            keys = seen.setdefault(binding.description, [])
            for one in Binding.make_bindings([binding]):
                shown = app.get_key_display(one)
                if shown not in keys:
                    keys.append(shown)
    return [(" ".join(keys), desc) for desc, keys in seen.items()]


class HelpScreen(ModalScreen[None]):
    """A list of keys; Escape, `?` or `q` closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen .help-section { text-style: bold; color: $accent; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close help", id="help-close"),
        Binding("question_mark", "close", "Close help", show=False, id="help-close-2"),
        Binding("q", "close", "Close help", show=False, id="help-close-3"),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("opsdash keys", classes="help-section")
            for title, rows in self.sections:
                if not rows:
                    continue
                yield Static(title, classes="help-section")
                yield Static("\n".join(f"  {key:<18} {desc}" for key, desc in rows),
                             markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


def help_sections(app: App[Any]) -> list[Section]:
    """Keys active where help was opened, then the dashboard's, then each drill-down's."""
    from tui.dashboard.screens.drilldown import DrillDownScreen
    from tui.dashboard.screens.registry import all_screens
    from tui.dashboard.widgets.grid import CardGrid

    dashboard = [*Binding.make_bindings(type(app).BINDINGS),
                 *Binding.make_bindings(CardGrid.BINDINGS)]
    listed = describe(dashboard, app)
    # what only this screen adds (the pane's keys, a drill-down's): each binding once
    active = [a.binding for a in app.screen.active_bindings.values() if not a.binding.system]
    known = {desc for _, desc in listed}
    here = [row for row in describe(active, app) if row[1] not in known]
    sections: list[Section] = [("here", here), ("dashboard", listed)]
    sections.append(("every details screen", describe(
        list(Binding.make_bindings(DrillDownScreen.BINDINGS)), app)))
    for screen in all_screens():
        own = list(Binding.make_bindings(screen.BINDINGS))
        if own:
            sections.append((f"{screen.kind} details", describe(own, app)))
    return sections
