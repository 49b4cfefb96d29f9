"""What the dashboard app does for runbooks and the demo, kept out of tui/app.py.

`RunbookPaneHost` is a mixin for OpsdashApp (listed before App in its bases):
- `r` (`toggle_runbook`) opens the side pane for the selected card's firing alert, or the
  most severe firing alert anywhere; with nothing firing it says so and opens nothing
  (an earlier session, e.g. one that recovered, is shown again instead). `r` again
  hides the pane; a running step keeps running and the recovery watch keeps watching.
- The runbook library is loaded on the first `r`, in a thread worker, from the config's
  runbook dirs (the CLI's `--runbooks` dirs come first; see tui.launch) and the bundled
  runbooks; `config.runbook_map` ranks explicit mappings first.
- `f` (`fault_menu`, only under `opsdash demo`) injects or recovers demo faults.
- `runbook_panel_updated(state)` is called by the app for every PanelUpdated.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.binding import Binding

from panels.watch import PanelState

if TYPE_CHECKING:
    # the runbook engine (markdown-it and all) loads on the first `r`, never before the
    # first frame
    from runbooks.library import Library
    from tui.app import OpsdashApp
    from tui.runbook_session import Recovery, RunbookSession, Target
    from tui.widgets.runbook_pane import RunbookPane

RUNBOOK_BINDINGS = [
    Binding("r", "toggle_runbook", "Runbook", id="runbook-toggle"),
    Binding("f", "fault_menu", "Faults", id="demo-faults"),
]


def _postgres_dsn(app: OpsdashApp) -> str | None:
    for spec in app.config.panels:
        if spec.kind == "postgres" and spec.options.get("dsn"):
            return str(spec.options["dsn"])
    return None


class RunbookPaneHost:
    """Runbook pane and fault menu behaviour for the app; state lives on the app."""

    runbook_library: Library | None = None
    _runbook_waiting: Target | None = None

    @property
    def _app(self) -> OpsdashApp:
        return cast("OpsdashApp", self)

    def runbook_pane(self) -> RunbookPane | None:
        from tui.widgets.runbook_pane import RunbookPane

        found = self._app.side_pane.query(RunbookPane)
        return found.first() if found else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`f` exists only under `opsdash demo`; `r` only on the dashboard itself (the pane
        lives there, not on a drill-down): hidden from the footer otherwise."""
        if action == "fault_menu":
            return self._demo_service() is not None
        if action == "toggle_runbook":
            app = self._app
            return app.screen is app.screen_stack[0]
        result: bool | None = cast(Any, super()).check_action(action, parameters)
        return result

    # -- the side pane ------------------------------------------------------------------

    def action_toggle_runbook(self) -> None:
        from tui.runbook_session import pick_alert

        app = self._app
        pane = self.runbook_pane()
        if pane is not None and app.side_pane.display:
            app.show_side_pane(False)
            focused = app.focused
            cards = app.grid_cards()
            if cards and (focused is None or pane in focused.ancestors_with_self):
                cards[0].focus()
            return
        target = pick_alert(app.selected_state(), app.states.values())
        if pane is not None and (pane.busy or target is None or _same(pane, target)):
            app.show_side_pane(True)
            pane.focus_steps()
            return
        if target is None:
            app.notify("nothing is firing: the runbook pane opens for a firing alert "
                       "(`opsdash runbooks match ALERT` lists runbooks for any alert)",
                       title="no alert", timeout=5)
            return
        if self.runbook_library is None:
            self._runbook_waiting = target
            self._load_runbooks()
            return
        self._open_runbook(target)

    @work(thread=True, exclusive=True, group="runbook-library", exit_on_error=False)
    def _load_runbooks(self) -> None:
        """Parse every runbook off the event loop (markdown-it over a dozen files)."""
        from runbooks.library import load_library

        app = self._app
        library = load_library(list(app.config.runbook_dirs))
        app.call_from_thread(self._runbooks_loaded, library)

    def _runbooks_loaded(self, library: Library) -> None:
        self.runbook_library = library
        problems = [p for p in library.problems if p.severity == "error"]
        if problems:
            self._app.notify("\n".join(str(p) for p in problems[:3]),
                             title="runbook problems", severity="warning", timeout=8)
        target, self._runbook_waiting = self._runbook_waiting, None
        if target is not None:
            self._open_runbook(target)

    def _open_runbook(self, target: Target) -> None:
        from runbooks.journal import Journal
        from runbooks.match import match
        from tui.runbook_session import RecoveryWatch, RunbookSession
        from tui.widgets.runbook_pane import RunbookPane

        app = self._app
        assert self.runbook_library is not None
        matches = match(self.runbook_library, target.alert.name, app.config.runbook_map)
        if not matches:
            app.notify(f"no runbook matches {target.alert.name}: add one with "
                       f"`alerts: [{target.alert.name}]` in its front matter",
                       title="no runbook", severity="warning", timeout=6)
            return
        journal = Journal(app.journal_path or app.config.journal)
        session = RunbookSession(matches, target=target, read_only=app.read_only,
                                 dsn=_postgres_dsn(app), journal=journal)
        watch = RecoveryWatch(target.panel_id, target.alert)
        state = app.states.get(target.panel_id)
        if state is not None:
            watch.panel_status = state.status.value
        pane = self.runbook_pane()
        if pane is None:
            pane = RunbookPane(session, watch, states=app.states, clock=app.clock,
                               on_recovered=self._recovered)
            app.side_pane.mount(pane)
        else:
            pane.load(session, watch, app.states)
        app.show_side_pane(True)
        app.call_after_refresh(pane.focus_steps)

    def _recovered(self, session: RunbookSession, recovery: Recovery) -> None:
        from tui.widgets.runbook_pane import journal_recovery

        self._app.run_worker(partial(journal_recovery, session, recovery), thread=True,
                             group="runbook-journal", exit_on_error=False)

    def runbook_panel_updated(self, state: PanelState) -> None:
        """Every poll reaches the pane, shown or not: recovery is watched either way."""
        pane = self.runbook_pane()
        if pane is not None:
            pane.panel_updated(state)

    # -- the demo's fault menu ------------------------------------------------------------

    def _demo_service(self) -> Any:
        demo = self._app.demo
        if demo is None:
            return None
        from tui.demo.service import DemoService

        return demo if isinstance(demo, DemoService) else None

    def action_fault_menu(self) -> None:
        from tui.demo.service import FAULTS
        from tui.screens.fault_menu import FaultMenu

        demo = self._demo_service()
        if demo is None:
            return
        alerts = {name: fault.alert for name, fault in FAULTS.items()}
        self._app.push_screen(FaultMenu(demo, alerts), self._fault_chosen)

    def _fault_chosen(self, choice: str | None) -> None:
        if choice:
            self._apply_fault(choice)

    @work(thread=True, group="demo-faults", exit_on_error=False)
    def _apply_fault(self, choice: str) -> None:
        """inject()/recover() in a thread: the backlog fault writes 1,500 jobs to Redis."""
        from tui.demo.service import FAULTS, FaultError
        from tui.screens.fault_menu import LABELS, RECOVER_ALL

        app = self._app
        demo = self._demo_service()
        if demo is None:
            return
        try:
            if choice == RECOVER_ALL:
                demo.recover()
                message, title = "every demo fault is off", "recovered"
            else:
                demo.inject(choice)
                message = (f"{LABELS.get(choice, choice)} injected: "
                           f"{FAULTS[choice].alert} fires within its `for`")
                title = "fault injected"
        except (FaultError, OSError) as exc:
            app.call_from_thread(app.notify, str(exc), title="fault not injected",
                                 severity="error", timeout=8)
            return
        app.call_from_thread(app.notify, message, title=title, timeout=5)


def _same(pane: RunbookPane, target: Target) -> bool:
    current = pane.session.target
    return current is not None and current.alert.key == target.alert.key and (
        current.panel_id == target.panel_id)

