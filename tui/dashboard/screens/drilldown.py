"""The base of every drill-down: a title line with status, the alerts, a body per kind.

A drill-down subscribes to the app's feed while it is mounted and shows every new state
of the panels it `watches()`; it never fetches. Actions that change a system (cancel a
query, restart a container) go through the panel object the scheduler owns, after a
ConfirmScreen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Pretty, Static

from panels.base import Panel
from panels.watch import PanelState
from tui.dashboard.history import History
from tui.dashboard.screens.confirm import ConfirmScreen
from tui.dashboard.widgets.card import status_class, status_text
from tui.dashboard.widgets.figures import duration, note
from tui.incident.steps import Gate, action_gate


class DrillDownScreen(Screen[None]):
    """Subclasses set `kind` and implement `compose_body()` and `render_state(state)`."""

    kind: ClassVar[str] = ""

    DEFAULT_CSS = """
    DrillDownScreen > #drill-head { height: 1; background: $panel; }
    DrillDownScreen > #drill-head > Label { padding: 0 1; }
    DrillDownScreen #drill-status { text-style: bold; }
    DrillDownScreen #drill-status.-ok { color: $success; }
    DrillDownScreen #drill-status.-warn { background: $warning; color: $background; }
    DrillDownScreen #drill-status.-crit { background: $error; color: $background; }
    DrillDownScreen #drill-status.-unknown { color: $secondary; }
    DrillDownScreen #drill-title { text-style: bold; }
    DrillDownScreen #drill-target { color: $foreground-muted; width: 1fr; }
    DrillDownScreen > #drill-alerts { height: auto; max-height: 4; padding: 0 1;
                                      color: $text-warning; }
    DrillDownScreen > #drill-body { height: 1fr; }
    """

    BINDINGS = [Binding("escape", "back", "Back", id="back")]

    def __init__(self, panel_id: str, history: History, *, panel: Panel[Any] | None = None,
                 title: str | None = None, read_only: bool = False) -> None:
        super().__init__()
        self.read_only = read_only
        self.panel_id = panel_id
        self.history = history
        self.panel = panel
        kind, _, name = panel_id.partition(":")
        self.heading = title or (kind if name == kind else f"{kind} {name}")
        self.state: PanelState | None = None

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal

        with Horizontal(id="drill-head"):
            yield Label(status_text(None), id="drill-status", classes="-waiting")
            yield Label(self.heading, id="drill-title")
            yield Label("", id="drill-target")
        yield Static("", id="drill-alerts", markup=False)
        with Vertical(id="drill-body"):
            yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield Pretty({}, id="drill-metrics")

    def on_mount(self) -> None:
        feed = getattr(self.app, "feed", None)
        if feed is not None:
            self._unsubscribe = feed.subscribe(self._take)
        state = self.history.latest(self.panel_id)
        if state is not None:
            self.show(state)

    def on_unmount(self) -> None:
        unsubscribe = getattr(self, "_unsubscribe", None)
        if unsubscribe is not None:
            unsubscribe()

    def watches(self, panel_id: str) -> bool:
        """Whether a new state of `panel_id` changes what this screen shows."""
        return panel_id == self.panel_id

    def _take(self, state: PanelState) -> None:
        # the feed keeps calling until on_unmount, after closing (or quitting) has already
        # removed the widgets `show` writes to: a state then has nowhere to go
        if self.watches(state.panel_id) and self.query("#drill-status"):
            self.show(state)

    def show(self, state: PanelState) -> None:
        self.state = state
        word = self.query_one("#drill-status", Label)
        word.update(status_text(state.status))
        word.set_classes(status_class(state.status))
        self.query_one("#drill-target", Label).update(state.target)
        lines = [f"{a.state.value.upper():<8} {a.name}  {a.detail}" for a in state.alerts]
        if state.error is not None:
            lines.insert(0, f"{note(state)} · {state.error.message}")
        elif not lines:
            lines = [state.summary]
        self.query_one("#drill-alerts", Static).update("\n".join(lines[:4]))
        self.render_state(state)

    def render_state(self, state: PanelState) -> None:
        self.query_one("#drill-metrics", Pretty).update(state.metrics)

    def ask_to_run(self, question: str, command: str, lang: str, shown: str,
                   run: Callable[[], object]) -> None:
        """An action that changes a system, as the command it amounts to: the step runner's
        policy says whether it runs, asks for a `y` first, or is locked (--read-only). A
        tool the classifier does not know (amtool) is a change, never a read."""
        verdict = action_gate(command, lang, read_only=self.read_only)
        if verdict is Gate.LOCKED:
            self.notify(f"refused in --read-only mode: {command}", severity="error",
                        timeout=6)
            return
        if verdict is Gate.RUN:
            run()
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                run()

        self.app.push_screen(ConfirmScreen(question, shown), confirmed)

    def action_back(self) -> None:
        self.dismiss(None)

    def age(self, ts: float | None) -> str:
        """How long before the state's own time: deterministic, unlike the wall clock."""
        if ts is None or self.state is None:
            return "–"
        return duration(max(0.0, self.state.updated_at - ts)) + " ago"
