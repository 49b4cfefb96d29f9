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
import sys
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
    from tui.incident.record import IncidentRecord
    from tui.incident.recovery import Recovery
    from tui.incident.session import RunbookSession, Target


class DockHost(Protocol):
    """What the dock needs of the app."""

    config: Config
    read_only: bool
    journal_path: Path | None
    states: dict[str, PanelState]
    clock: Callable[[], float]
    record: IncidentRecord | None

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
        if PANE_MODULE not in sys.modules:
            # never imported, so never opened: every poll asks, and importing the pane
            # (the runbook library, markdown-it: ~7 MiB) waits for the first `r`
            return None
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
        from runbooks.match import Match, match
        from tui.dashboard.widgets.runbook_pane import RunbookPane
        from tui.incident.recovery import RecoveryWatch
        from tui.incident.session import RunbookSession

        host = self.host
        assert self.library is not None
        relayed = relayed_alert(host.states.get(target.panel_id), target.alert.target)
        matches = relevant(match(self.library, target.alert.name, host.config.runbook_map))
        ref = relayed.get("runbook_ref") if relayed else None
        if ref:  # the alert rule's own runbook_url beats every heuristic
            with contextlib.suppress(LookupError):
                linked = Match(self.library.find(ref), 1000.0, "runbook_url of the alert rule")
                matches = [linked, *(m for m in matches if m.section.ref != ref)]
        if not matches:
            self.app.notify(f"no runbook matches {target.alert.name}: add one with "
                            f"`alerts: [{target.alert.name}]` in its front matter",
                            title="no runbook", severity="warning", timeout=6)
            return
        journal = Journal(host.journal_path or host.config.journal)
        record = host.record
        session = RunbookSession(matches, target=target, read_only=host.read_only,
                                 dsn=host.config.postgres_dsn(),
                                 redis=host.config.redis_url(), journal=journal,
                                 incident=(lambda: record.incident) if record else None,
                                 figures=self._figures)
        if relayed:
            session.values.update(label_values(relayed.get("labels") or {}, session))
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

    def _figures(self, panel_id: str) -> dict[str, float]:
        from panels.figures import key_figures

        state = self.host.states.get(panel_id)
        return key_figures(state.metrics) if state is not None else {}

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
        if pane is None:
            return
        pane.panel_updated(state)
        self._follow(pane)

    def _follow(self, pane: RunbookPane) -> None:
        """Left on an alert that recovered, the pane moves to a newly firing one (and says
        so); never while a step runs or waits for an answer."""
        from tui.incident.session import newest_alert, should_follow

        watch = pane.recovery_watch
        recovered = watch is not None and watch.recovery is not None
        newest = newest_alert(self.host.states.values())
        if self.library is None or not self.host.side_pane.display or not should_follow(
                pane.session.target, recovered, pane.busy, newest):
            return
        assert newest is not None
        self._open(newest)
        self.app.notify(f"following {newest.alert.name} on {newest.panel_id}: the alert "
                        "shown before recovered", title="runbook pane", timeout=5)


#: the pane's module: a pane exists only once it has been imported
PANE_MODULE = "tui.dashboard.widgets.runbook_pane"
#: candidates the pane offers beyond the first: the few a person would look at
MAX_CANDIDATES = 5
#: a candidate scoring under this share of the best one is noise, not an alternative
RELEVANT_SHARE = 0.4


def relevant(matches: list[Any]) -> list[Any]:
    """The first match and those close to it, at most MAX_CANDIDATES in all."""
    if not matches:
        return matches
    best = matches[0].score
    kept = [m for m in matches[1:] if m.score >= best * RELEVANT_SHARE]
    return [matches[0], *kept][:MAX_CANDIDATES]


def relayed_alert(state: PanelState | None, fingerprint: str) -> dict[str, Any] | None:
    """The alert as Alertmanager relayed it (labels, runbook_ref), when the panel is one."""
    if state is None or not fingerprint:
        return None
    for alert in state.metrics.get("alerts") or []:
        if isinstance(alert, dict) and alert.get("fingerprint") == fingerprint:
            return alert
    return None


def label_values(labels: dict[str, Any], session: RunbookSession) -> dict[str, str]:
    """Labels fill placeholders of the same name (`<instance>`, `$NAMESPACE`), whatever
    the case; the step's confirmation shows them in the final command."""
    by_lower = {str(k).lower(): str(v) for k, v in labels.items()}
    values: dict[str, str] = {}
    for index, step in enumerate(session.steps):
        for name in session.missing(index):
            value = by_lower.get(name.lower())
            if value is not None and step.commands:
                values[name] = value
    return values


def _same(pane: RunbookPane, target: Target) -> bool:
    current = pane.session.target
    return current is not None and current.alert.key == target.alert.key and (
        current.panel_id == target.panel_id)
