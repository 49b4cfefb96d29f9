"""The runbook side pane's owner: which alert it opens for, loading the library, feeding
it every poll. The app holds one `RunbookDock` and forwards `r` to it.

- `toggle()` (`r`) opens the pane for the selected card's firing alert, or the most
  severe firing alert anywhere (`tui.incident.session.pick_alert`); with nothing firing
  it says so (an earlier session, e.g. one that recovered, is shown again instead). `r`
  again hides the pane; a running step keeps running and the recovery watch keeps
  watching.
- The library loads on the first `r`, in a thread worker, from the config's runbook dirs
  (the CLI's `--runbooks` come first) and the bundled runbooks.
- `panel_updated(state)`: every poll reaches the pane, shown or not.

The dock knows the app only through `DockHost`, so there is no import cycle with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.app import App
from textual.containers import Container

from panels.watch import PanelState
from tui.config.model import Config

if TYPE_CHECKING:
    # the runbook engine (markdown-it and all) loads on the first `r`, never before the
    # first frame
    from runbooks.library import Library
    from tui.dashboard.widgets.runbook_pane import RunbookPane
    from tui.incident.recovery import Recovery
    from tui.incident.session import RunbookSession, Target


class DockHost(Protocol):
    """What the dock needs of the app."""

    config: Config
    read_only: bool
    journal_path: Path | None
    states: dict[str, PanelState]
    clock: Callable[[], float]

    @property
    def side_pane(self) -> Container: ...

    def show_side_pane(self, visible: bool = True) -> None: ...

    def selected_state(self) -> PanelState | None: ...

    def focus_first_card(self) -> None: ...


class RunbookDock:
    """The runbook pane's life in the app; state lives here, not on the App."""

    def __init__(self, app: App[Any], host: DockHost) -> None:
        self.app = app
        self.host = host
        self.library: Library | None = None
        self._waiting: Target | None = None

    def pane(self) -> RunbookPane | None:
        from tui.dashboard.widgets.runbook_pane import RunbookPane

        found = self.host.side_pane.query(RunbookPane)
        return found.first() if found else None

    def toggle(self) -> None:
        from tui.incident.session import pick_alert

        host = self.host
        pane = self.pane()
        if pane is not None and host.side_pane.display:
            host.show_side_pane(False)
            focused = self.app.focused
            if focused is None or pane in focused.ancestors_with_self:
                host.focus_first_card()
            return
        target = pick_alert(host.selected_state(), host.states.values())
        if pane is not None and (pane.busy or target is None or _same(pane, target)):
            host.show_side_pane(True)
            pane.focus_steps()
            return
        if target is None:
            self.app.notify("nothing is firing: the runbook pane opens for a firing alert "
                            "(`opsdash runbooks match ALERT` lists runbooks for any alert)",
                            title="no alert", timeout=5)
            return
        if self.library is None:
            self._waiting = target
            self.app.run_worker(self._load, thread=True, exclusive=True,
                                group="runbook-library", exit_on_error=False)
            return
        self._open(target)

    def _load(self) -> None:
        """Parse every runbook off the event loop (markdown-it over a dozen files)."""
        from runbooks.library import load_library

        library = load_library(list(self.host.config.runbook_dirs))
        self.app.call_from_thread(self._loaded, library)

    def _loaded(self, library: Library) -> None:
        self.library = library
        problems = [p for p in library.problems if p.severity == "error"]
        if problems:
            self.app.notify("\n".join(str(p) for p in problems[:3]),
                            title="runbook problems", severity="warning", timeout=8)
        target, self._waiting = self._waiting, None
        if target is not None:
            self._open(target)

    def _open(self, target: Target) -> None:
        from runbooks.journal import Journal
        from runbooks.match import match
        from tui.dashboard.widgets.runbook_pane import RunbookPane
        from tui.incident.recovery import RecoveryWatch
        from tui.incident.session import RunbookSession

        host = self.host
        assert self.library is not None
        matches = match(self.library, target.alert.name, host.config.runbook_map)
        if not matches:
            self.app.notify(f"no runbook matches {target.alert.name}: add one with "
                            f"`alerts: [{target.alert.name}]` in its front matter",
                            title="no runbook", severity="warning", timeout=6)
            return
        journal = Journal(host.journal_path or host.config.journal)
        session = RunbookSession(matches, target=target, read_only=host.read_only,
                                 dsn=host.config.postgres_dsn(), journal=journal)
        watch = RecoveryWatch(target.panel_id, target.alert)
        state = host.states.get(target.panel_id)
        if state is not None:
            watch.panel_status = state.status.value
        pane = self.pane()
        if pane is None:
            pane = RunbookPane(session, watch, states=host.states, clock=host.clock,
                               on_recovered=self._recovered)
            host.side_pane.mount(pane)
        else:
            pane.load(session, watch, host.states)
        host.show_side_pane(True)
        self.app.call_after_refresh(pane.focus_steps)

    def _recovered(self, session: RunbookSession, recovery: Recovery) -> None:
        if getattr(self.app, "replaying", False):
            return  # a replayed recovery happened long ago: the journal already has it
        from tui.dashboard.widgets.runbook_pane import journal_recovery

        self.app.run_worker(partial(journal_recovery, session, recovery), thread=True,
                            group="runbook-journal", exit_on_error=False)

    async def interrupt(self, reason: str, timeout: float = 5.0) -> None:
        """End a running step because opsdash itself is ending (SIGHUP, SIGTERM): its process
        group is killed and the journal records the end with `reason`."""
        pane = self.pane()
        worker = pane.running_worker() if pane is not None else None
        if pane is None or worker is None:
            return
        pane.session.interrupted_by = reason
        worker.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(worker.wait(), timeout)

    def panel_updated(self, state: PanelState) -> None:
        """Every poll reaches the pane, shown or not: recovery is watched either way."""
        pane = self.pane()
        if pane is not None:
            pane.panel_updated(state)


def _same(pane: RunbookPane, target: Target) -> bool:
    current = pane.session.target
    return current is not None and current.alert.key == target.alert.key and (
        current.panel_id == target.panel_id)
