"""The Textual app: a thin shell composing the header, the card grid, the side pane and
the footer, and turning keys into actions.

Panels are built in a thread worker after the first frame (no network client is
imported before it) and polled by `tui.dashboard.scheduler.Scheduler`, the only writer of
history. Each new PanelState goes to its card, then to the `feed`: the open drill-down
and the runbook dock (`tui.dashboard.runbook_dock`) subscribe to it. Under `opsdash demo`
the fault menu lives in `tui.dashboard.demo_faults`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.containers import Container, Horizontal

from panels.alerts import Alert
from panels.base import Panel, Status
from panels.watch import PanelState, PanelWatch
from tui.config.loader import Config, ConfigError
from tui.config.model import slug
from tui.dashboard.feed import PanelFeed
from tui.dashboard.history import History
from tui.dashboard.messages import DrillDown, PanelsFailed, PanelsStarted, PanelUpdated
from tui.dashboard.runbook_dock import RunbookDock
from tui.dashboard.widgets.card import CardBase, ChartSource, PanelCard
from tui.dashboard.widgets.chart import charts_for
from tui.dashboard.widgets.footer import DashFooter
from tui.dashboard.widgets.grid import CardGrid
from tui.dashboard.widgets.group_card import GroupCard
from tui.dashboard.widgets.header import DashHeader

if TYPE_CHECKING:
    from tui.dashboard.demo_faults import DemoFaults
    from tui.dashboard.scheduler import Scheduler, StatusHook
    from tui.demo.service import DemoService
    from tui.incident.record import IncidentRecord
    from tui.incident.recording import Recorder

#: signals that end the dashboard; each ends a running step first (SIGHUP: the SSH link
#: dropped)
ENDING_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)

#: a kind with more targets than this shows as one group card
GROUP_OVER = 4

PanelFactory = Callable[[Config], list[Panel[Any]]]


def _opener(app: OpsdashApp, panel_id: str) -> Callable[[], None]:
    return lambda: app.open_drilldown(panel_id)


class ActionCommands(Provider):
    """Every key binding active where the palette was opened, plus 'Open <panel>'."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        commands: list[tuple[str, str, Callable[[], Any]]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or binding.system:
                continue
            seen.add(binding.action)
            node = active.node

            async def run(action: str = binding.action, node: Any = node) -> None:
                await app.run_action(action, node)

            commands.append((binding.description, f"key: {app.get_key_display(binding)}",
                             run))
        if isinstance(app, OpsdashApp):
            for card in app.grid_cards():
                commands.append((f"Open {card.border_title}", "drill down into this card",
                                 _opener(app, card.panel_id)))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class OpsdashApp(App[int]):
    """The dashboard. `run_app()` in tui.dashboard.launch builds and runs it."""

    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ActionCommands}

    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("R", "refresh_now", "Refresh now", id="refresh-now"),
        Binding("r", "toggle_runbook", "Runbook", id="runbook-toggle"),
        Binding("f", "fault_menu", "Faults", id="demo-faults"),
    ]

    def __init__(
        self,
        config: Config,
        *,
        read_only: bool = False,
        journal: Path | None = None,
        title: str | None = None,
        demo: DemoService | None = None,
        clock: Callable[[], float] = time.time,
        hostname: str | None = None,
        autostart: bool = True,
        panel_factory: PanelFactory | None = None,
        status_hook: StatusHook | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.read_only = read_only or config.read_only
        self.journal_path = journal
        self.title = title or "opsdash"
        self.demo = demo
        self.clock = clock
        self.hostname = hostname or socket.gethostname()
        self.autostart = autostart
        self.panel_factory = panel_factory
        self.status_hook = status_hook
        step = min([config.refresh, *(s.interval for s in config.panels if s.interval)])
        self.history = History(window_s=600.0, step_s=step)
        #: alert thresholds as configured: the charts' limit lines
        self.rules = config.rules
        self.scheduler: Scheduler | None = None
        self.paused = False
        self.states: dict[str, PanelState] = {}
        #: panel id -> the card that shows it (a group card for grouped kinds)
        self._card_of: dict[str, CardBase] = {}
        self._group_members: dict[str, list[str]] = {}
        #: states received but not drawn yet (drawn together by `_show_updates`)
        self._unshown: dict[str, PanelState] = {}
        self.first_paint_at: float | None = None
        #: alerts, incidents and their figures, journaled every poll (set with the panels)
        self.record: IncidentRecord | None = None
        #: every new PanelState after the cards: the open drill-down, the runbook dock
        self.feed = PanelFeed()
        self.runbooks = RunbookDock(self, self)
        self.feed.subscribe(self.runbooks.panel_updated)
        #: True under `opsdash replay` (tui.dashboard.replay): nothing runs, nothing records
        self.replaying = False
        #: writes every new PanelState to the recording, off the event loop
        self.recorder: Recorder | None = None
        self._unrecord: Callable[[], None] = lambda: None
        self.faults: DemoFaults | None = None
        if demo is not None:
            from tui.dashboard.demo_faults import DemoFaults

            self.faults = DemoFaults(self, demo)

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield DashHeader(self.title, self.hostname, self.clock)
        with Horizontal(id="main"):
            with CardGrid(id="cards"):
                yield from self._cards()
            yield Container(id="side-pane")
        # back to the cards, help and quit stay in sight whatever else the footer drops
        yield DashFooter(keep=("toggle_runbook", "help", "quit"))

    def _cards(self) -> list[CardBase]:
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for spec in self.config.panels:
            by_kind.setdefault(spec.kind, []).append((f"{spec.kind}:{spec.name}", spec.name))
        cards: list[CardBase] = []
        grouped: set[str] = set()
        for spec in self.config.panels:
            members = by_kind[spec.kind]
            if len(members) > GROUP_OVER:
                if spec.kind in grouped:
                    continue
                grouped.add(spec.kind)
                group = GroupCard(spec.kind, members, id=card_dom_id(spec.kind, "group"))
                self._group_members[group.panel_id] = [pid for pid, _ in members]
                for pid, _ in members:
                    self._card_of[pid] = group
                cards.append(group)
            else:
                card = PanelCard(f"{spec.kind}:{spec.name}", spec.kind, spec.name,
                                 id=card_dom_id(spec.kind, spec.name))
                self._card_of[card.panel_id] = card
                cards.append(card)
        return cards

    def on_mount(self) -> None:
        self._catch_signals()
        grid = self.query_one(CardGrid)
        if grid.cards:
            grid.cards[0].focus()
        self.refresh_header()
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        self.first_paint_at = time.perf_counter()
        if not gc.isenabled():  # `opsdash` held collection off for start-up (tui.cli)
            gc.freeze()  # what start-up built stays: never scanned by a collection again
            gc.enable()
        if self.autostart:
            self.start_panels()

    @property
    def side_pane(self) -> Container:
        return self.query_one("#side-pane", Container)

    def show_side_pane(self, visible: bool = True) -> None:
        """Show or hide `#side-pane`; the card grid reflows to the width left."""
        self.side_pane.display = visible
        self.call_after_refresh(self.query_one(CardGrid).reflow)

    def grid_cards(self) -> list[CardBase]:
        return self.query_one(CardGrid).cards

    def focus_first_card(self) -> None:
        cards = self.grid_cards()
        if cards:
            cards[0].focus()

    # -- panels and scheduler ---------------------------------------------------------

    @work(thread=True, exclusive=True, group="build-panels", exit_on_error=False)
    def start_panels(self) -> None:
        """Build panels off the event loop: importing httpx/psycopg/docker takes time."""
        from tui.config.loader import build_panels

        factory = self.panel_factory or build_panels
        try:
            panels = factory(self.config)
        except ConfigError as exc:
            self.post_message(PanelsFailed(str(exc)))
            return
        for panel in panels:
            # clients and TLS contexts are built here, not in a first poll on the event loop
            try:
                panel.prepare()
            except Exception as exc:  # the first poll reports it on the card
                self.log.warning(f"{panel.id}: prepare failed: {exc!r}")
        # only a panel relaying runbook_urls needs the library (and markdown-it) now
        if any(hasattr(p, "runbook_resolver") for p in panels):
            from tui.incident.runbook_links import link_runbooks

            library = link_runbooks(panels, self.config)
            if library is not None:  # loaded for runbook_url already: the pane reuses it
                self.call_from_thread(setattr, self.runbooks, "library", library)
        hook = self.status_hook or journal_hook(self.journal_path or self.config.journal)
        self.record = incident_record(self.journal_path or self.config.journal)
        # the runbook pane's modules (the runbook library, markdown-it: ~7 MiB) are not
        # loaded here: polls never import them (`RunbookDock.pane`), the first `r` does.
        # The recorder's module (sqlite3, zlib) is, when recording, before
        # `_start_scheduler` uses it: not on the event loop
        if self.config.recording.enabled and not self.replaying:
            from tui.incident import recording  # noqa: F401
        # the scheduler (and the incident record) likewise: not imported before the first
        # frame, and not on the event loop either
        import tui.dashboard.scheduler  # noqa: F401

        self.call_from_thread(self._start_scheduler, panels, hook)

    def _start_scheduler(self, panels: list[Panel[Any]], hook: StatusHook | None) -> None:
        from tui.dashboard.scheduler import Scheduler  # loaded by `start_panels` already

        self.scheduler = Scheduler(self, [PanelWatch(p) for p in panels],
                                   refresh=self.config.refresh, history=self.history,
                                   on_status=hook, record=self.record)
        if self.paused:
            self.scheduler.pause()
        self.scheduler.start()
        self.start_recording()
        self.post_message(PanelsStarted(len(panels)))

    def start_recording(self) -> None:
        """Subscribe a recorder to the feed (`[recording]`); never under replay."""
        settings = self.config.recording
        if self.replaying or not settings.enabled or self.recorder is not None:
            return
        from tui.incident.recording import Recorder

        def warn(message: str) -> None:  # called in the recorder's thread
            self.call_from_thread(self.notify, message, title="recording",
                                  severity="warning", timeout=10)

        self.recorder = Recorder(settings, on_warning=warn).start()
        self._unrecord = self.feed.subscribe(self.recorder.offer)

    def on_panels_failed(self, message: PanelsFailed) -> None:
        self.notify(message.error, title="cannot start panels", severity="error", timeout=30)

    def on_panel_updated(self, message: PanelUpdated) -> None:
        state = message.state
        self.states[state.panel_id] = state
        # states that arrive together (a burst, or a backlog after a busy moment) are
        # drawn together: one batch, one frame, whatever the number of panels
        if not self._unshown:
            self.call_later(self._show_updates)
        self._unshown[state.panel_id] = state

    def _show_updates(self) -> None:
        updates, self._unshown = self._unshown, {}
        touched: dict[str, CardBase] = {}
        with self.batch_update():
            for state in updates.values():
                card = self._card_of.get(state.panel_id)
                changed = False
                if isinstance(card, PanelCard):
                    changed = card.take(state, self.history.recent(
                        state.panel_id, n=PanelCard.SPARK_POINTS), self.charts(state))
                elif isinstance(card, GroupCard):
                    changed = card.take(state)  # ten members: its lines worked out once
                if card is not None and changed:  # unchanged: no keys, no repaint at all
                    touched[card.panel_id] = card
                self.feed.publish(state)
            for card in touched.values():
                card.repaint_changed()
            self.refresh_header()
            # the clock joins this frame: its own timer then rarely finds a second to draw
            self.query_one(DashHeader).tick()

    def charts(self, state: PanelState) -> ChartSource:
        """The card's charts from history, read only if the card has room to draw them."""
        return partial(charts_for, state, partial(self.history.points, state.panel_id),
                       self.history.window_s, self.rules)

    def overall(self) -> Status | None:
        if not self.states:
            return None
        return Status.worst([s.status for s in self.states.values()])

    def firing_alerts(self, panel_id: str | None = None) -> list[Alert]:
        """Firing alerts of one panel, or of every panel with None."""
        states = [self.states[panel_id]] if panel_id in self.states else (
            [] if panel_id else list(self.states.values()))
        return [alert for state in states for alert in state.firing]

    def selected_state(self) -> PanelState | None:
        """The state behind the selected card (a group's worst member for a group card)."""
        card = self.query_one(CardGrid).selected()
        if card is None:
            return None
        if isinstance(card, GroupCard):
            members = [self.states[m] for m in self._group_members[card.panel_id]
                       if m in self.states]
            return max(members, key=lambda s: s.status.rank, default=None)
        return self.states.get(card.panel_id)

    def refresh_header(self) -> None:
        self.query_one(DashHeader).show(self.overall(), self.firing_names(), self.paused)

    def firing_names(self) -> list[str]:
        """Every firing alert's name once, most severe first, then the longest firing."""
        alerts = sorted(self.firing_alerts(), key=lambda a: (
            a.severity.value != "crit", a.fired_at or a.since, a.name))
        names: list[str] = []
        for alert in alerts:
            if alert.name not in names:
                names.append(alert.name)
        return names

    # -- drill-downs -----------------------------------------------------------------

    def on_drill_down(self, message: DrillDown) -> None:
        self.open_drilldown(message.panel_id)

    def open_drilldown(self, panel_id: str) -> None:
        from tui.dashboard.screens.drilldown import DrillDownScreen
        from tui.dashboard.screens.group import GroupScreen
        from tui.dashboard.screens.registry import screen_for

        if panel_id in self._group_members:
            members = self._group_members[panel_id]
            self.push_screen(GroupScreen(panel_id, self.history, members, self.open_drilldown))
            return
        kind = panel_id.split(":", 1)[0]
        watch = self.scheduler.watch(panel_id) if self.scheduler else None
        screen: DrillDownScreen = screen_for(kind)(
            panel_id, self.history, panel=watch.panel if watch else None,
            read_only=self.read_only)
        self.push_screen(screen)

    # -- actions --------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if self.scheduler is not None:
            if self.paused:
                self.scheduler.pause()
            else:
                self.scheduler.resume()
        self.refresh_header()
        self.notify("refresh paused" if self.paused else "refresh resumed", timeout=2)

    def action_refresh_now(self) -> None:
        if self.scheduler is not None:
            self.scheduler.refresh_now()
        self.notify("refreshing every panel", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`f` exists only under `opsdash demo`; `r` only on the dashboard itself (the pane
        lives there, not on a drill-down): hidden from the footer otherwise."""
        if action == "fault_menu":
            return self.faults is not None
        if action == "toggle_runbook":
            # the dashboard itself, or the command palette opened over it
            base = self.screen_stack[0]
            return self.screen is base or (isinstance(self.screen, CommandPalette)
                                           and self.screen_stack[-2] is base)
        return super().check_action(action, parameters)

    def action_toggle_runbook(self) -> None:
        self.runbooks.toggle()

    def action_fault_menu(self) -> None:
        if self.faults is not None:
            self.faults.open_menu()

    def action_help(self) -> None:
        from tui.dashboard.screens.help import HelpScreen, help_sections

        self.push_screen(HelpScreen(help_sections(self)))

    async def action_quit(self) -> None:
        await self.shutdown_panels()
        self.exit(0)

    async def shutdown_panels(self) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            await scheduler.aclose()
        recorder, self.recorder = self.recorder, None
        if recorder is not None:  # writes what is queued, in its thread
            self._unrecord()
            await asyncio.to_thread(recorder.stop)

    async def on_unmount(self) -> None:
        # also on ctrl+c or an exception: every worker cancelled, every panel closed
        loop = asyncio.get_running_loop()
        for sig in ENDING_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        await self.shutdown_panels()

    # -- signals: an SSH connection dropping must not leave a step running ---------------

    def _catch_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in ENDING_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._signalled, sig)

    def _signalled(self, sig: signal.Signals) -> None:
        self.run_worker(self._end_on_signal(sig), group="signal", exclusive=True,
                        exit_on_error=False)

    async def _end_on_signal(self, sig: signal.Signals) -> None:
        """Stop the running step's process group, journal its end with the signal, close
        every panel, and exit with 128 + the signal number, as a shell would report."""
        await self.runbooks.interrupt(sig.name)
        await self.shutdown_panels()
        self.exit(return_code=128 + sig.value)


def card_dom_id(kind: str, name: str) -> str:
    """`card-redis-broker`: a stable DOM id for tests, CSS and other engineers' code."""
    return "card-" + slug(f"{kind}-{name}")


def incident_record(path: Path | None) -> IncidentRecord:
    """The live incident record, continuing the journal's last incident: quitting closes
    nothing, the first polls after a start decide (read in a worker thread)."""
    from runbooks.journal import Journal, read_journal
    from tui.incident.record import IncidentRecord

    record = IncidentRecord()
    journal = Journal(path) if path is not None else Journal()
    with contextlib.suppress(OSError):  # no journal yet: numbering starts at 1
        record.resume(read_journal(journal.path).events)
    return record


def journal_hook(path: Path | None) -> StatusHook:
    """Status changes go to the incident journal (`--journal`, else the state dir)."""
    from runbooks.journal import Journal

    journal = Journal(path) if path is not None else Journal()
    hook: StatusHook = journal.append
    return hook
