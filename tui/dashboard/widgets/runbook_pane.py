"""The runbook side pane: the matched section, its steps, their output, the alert's recovery.

It renders a `RunbookSession` and a `RecoveryWatch` (tui/runbook_session.py, where every
decision is made and tested without a screen) and turns keys into runs:

- Enter runs the selected step, `n` the next one, `c` cancels the running one (the
  engine kills its whole process group), space ticks a checklist item, `e` edits a
  command before it runs, `[`/`]` switch to another matching section.
- A run is one async worker: ask each missing placeholder (once per session), confirm a
  destructive command showing exactly what will run (refused outright with --read-only),
  then `session.run()`, which journals before the process starts. Output streams into
  the StepOutput log as printed, masked.
- Interactive commands get the real terminal under `App.suspend()`.
- Every PanelUpdated the app receives comes through `panel_updated()`: the watch line
  and the live figures beside checklist items follow the panels; a confirmed recovery
  is journaled (`recovered`) and announced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.worker import Worker

from common.durations import format_duration
from panels.watch import PanelState
from runbooks.execute import StepResult, run_attached
from runbooks.safety import Effect
from tui.dashboard.screens.confirm import ConfirmScreen
from tui.dashboard.screens.prompt import EditCommandScreen, PromptScreen, placeholder_prompt
from tui.dashboard.widgets.step_list import StepList, StepView
from tui.dashboard.widgets.step_output import StepOutput
from tui.incident.figures import criterion_holds, live_figures
from tui.incident.recovery import Recovery, RecoveryWatch
from tui.incident.session import RunbookSession, StepError, StepRecord, StepStatus
from tui.incident.steps import StepRefused, StepRunner, refusal

STEP_GROUP = "runbook-step"


def source_label(session: RunbookSession) -> str:
    """`service.md (bundled)`, else the file relative to the working dir or home (`~/`)."""
    section = session.section
    if section.bundled or section.source is None:
        return f"{section.file} (bundled)" if section.bundled else section.file
    path = section.source
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


class RunbookPane(Vertical):
    """Mounted once into `#side-pane`; `load()` puts another session in it."""

    DEFAULT_CSS = """
    RunbookPane { height: 1fr; padding: 0 1; }
    RunbookPane > #rb-title { text-style: bold; color: $text-accent; height: auto; }
    RunbookPane > #rb-meta, RunbookPane > #rb-others {
        color: $foreground-muted; height: 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    RunbookPane > #rb-watch { height: auto; text-style: bold; margin: 0 0 0 0; }
    RunbookPane > #rb-watch.-firing { color: $text-error; }
    RunbookPane > #rb-watch.-confirming { color: $text-warning; }
    RunbookPane > #rb-watch.-recovered { color: $text-success; }
    """

    BINDINGS = [
        Binding("n", "run_next", "Run next", id="runbook-run-next"),
        Binding("c", "cancel_step", "Cancel step", id="runbook-cancel"),
        Binding("space", "tick", "Tick", id="runbook-tick"),
        Binding("e", "edit", "Edit command", id="runbook-edit"),
        Binding("left_square_bracket", "switch(-1)", "Previous runbook", show=False,
                id="runbook-previous-section"),
        Binding("right_square_bracket", "switch(1)", "Other runbook",
                id="runbook-next-section"),
        Binding("escape", "leave", "Back to cards", show=False, id="runbook-leave"),
    ]

    def __init__(self, session: RunbookSession, watch: RecoveryWatch | None, *,
                 states: Mapping[str, PanelState] | None = None,
                 clock: Callable[[], float] = time.time, id: str | None = "runbook-pane",
                 on_recovered: Callable[[RunbookSession, Recovery], None] | None = None,
                 ) -> None:
        super().__init__(id=id)
        self.session = session
        self.recovery_watch = watch
        self.states: dict[str, PanelState] = dict(states or {})
        self.clock = clock
        self.on_recovered = on_recovered
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="rb-title", markup=False)
        yield Static("", id="rb-meta", markup=False)
        yield Static("", id="rb-watch", markup=False)
        yield Static("", id="rb-others", markup=False)
        yield StepList(id="rb-steps")
        yield StepOutput(id="rb-output")

    def on_mount(self) -> None:
        self._render_all(reset=True)

    # -- rendering --------------------------------------------------------------------

    @property
    def steps(self) -> StepList:
        return self.query_one(StepList)

    @property
    def output(self) -> StepOutput:
        return self.query_one(StepOutput)

    def running_worker(self) -> Worker[None] | None:
        return self._worker if self.busy else None

    @property
    def busy(self) -> bool:
        """A step is running, or a run waits on a prompt."""
        return self._worker is not None and self._worker.is_running

    def load(self, session: RunbookSession, watch: RecoveryWatch | None,
             states: Mapping[str, PanelState]) -> None:
        """Show another session (another alert); the output log starts over."""
        self.session = session
        self.recovery_watch = watch
        self.states = dict(states)
        self.output.clear()
        self._render_all(reset=True)

    def _check_items(self) -> None:
        """Tick the confirm-fixed items whose live criterion holds (opsdash's tick)."""
        session = self.session
        prefer = session.target.panel_id if session.target else None
        states = list(self.states.values())
        for index, step in enumerate(session.steps):
            if step.checklist:
                session.auto_tick(index, criterion_holds(step.text, states, prefer))

    def _render_all(self, *, reset: bool = False) -> None:
        self._check_items()
        session = self.session
        section = session.section
        self.query_one("#rb-title", Static).update(f"📖 {section.title}")
        meta = [source_label(session)]
        if section.severity:
            meta.append(section.severity)
        if session.target is not None:
            meta.append(f"for {session.target.alert.name}")
        if session.read_only:
            meta.append("read-only")
        self.query_one("#rb-meta", Static).update(" · ".join(meta))
        others = [m.section.ref for m in session.matches]
        if len(others) > 1:
            shown = ", ".join(r for i, r in enumerate(others[:4]) if i != session.index)
            more = f" +{len(others) - 4}" if len(others) > 4 else ""
            text = f"runbook {session.index + 1}/{len(others)} · ]/[ switch · also: {shown}{more}"
        else:
            text = "the only matching runbook"
        self.query_one("#rb-others", Static).update(text)
        self._render_watch()
        self._render_steps(reset=reset)

    def _views(self) -> list[StepView]:
        session = self.session
        prefer = session.target.panel_id if session.target else None
        states = list(self.states.values())
        views: list[StepView] = []
        for i, step in enumerate(session.steps):
            commands = tuple(session.mask(session.shown_code(i, n))
                             for n in range(len(step.commands)))
            figures = live_figures(step.text, states, prefer) if step.checklist else ""
            views.append(StepView(
                number=i + 1, step=step, record=session.record(i), commands=commands,
                edited=any(session.edited(i, n) for n in range(len(step.commands))),
                destructive=session.is_destructive(i) if step.commands else False,
                changes=bool(step.commands) and session.classification(i).effect is
                Effect.CHANGES,
                locked=session.locked(i) if step.commands else False, figures=figures,
                change=" · ".join(session.record(i).change()),
                auto=session.record(i).auto))
        return views

    def _render_steps(self, *, reset: bool = False) -> None:
        steps = self.steps
        if reset:
            steps.reset()
        steps.show_steps(self._views(), keep=0 if reset else steps.highlighted)

    def _render_watch(self) -> None:
        line = self.query_one("#rb-watch", Static)
        watch = self.recovery_watch
        line.remove_class("-firing", "-confirming", "-recovered")
        if watch is None:
            line.update("nothing firing: opened by hand")
            return
        line.update(watch.describe(self.clock()))
        line.add_class("-recovered" if watch.recovery else
                       "-confirming" if watch.resolved_polls else "-firing")

    def focus_steps(self) -> None:
        self.steps.focus()

    # -- live panels ------------------------------------------------------------------

    def panel_updated(self, state: PanelState) -> None:
        """One poll of one panel: recovery watch, watch line, figures beside the checklist."""
        self.states[state.panel_id] = state
        watch = self.recovery_watch
        recovery = watch.observe(state) if watch is not None else None
        # a poll can land between `r` mounting the pane and its children being composed:
        # it is recorded, and on_mount draws everything once they are there
        mounted = self.is_mounted
        if mounted and watch is not None and state.panel_id == watch.panel_id:
            self._render_watch()
        events = self.session.after_poll(state)
        if events and self.session.journal is not None:
            journal = self.session.journal

            def write() -> None:
                for event in events:
                    journal.append(event)

            self.run_worker(write, thread=True, group="runbook-journal", exit_on_error=False)
        self._check_items()
        if mounted and (events or any(step.checklist for step in self.session.steps)):
            self._render_steps()
        if recovery is not None:
            if mounted:
                self.output.note(f"✔ recovered: {recovery.alert} resolved "
                                 f"{format_duration(recovery.seconds)} after it fired")
            self.app.notify(f"{recovery.alert} recovered after "
                            f"{format_duration(recovery.seconds)}", title="recovered", timeout=8)
            if self.on_recovered is not None:
                self.on_recovered(self.session, recovery)

    # -- actions ----------------------------------------------------------------------

    def _selected(self) -> int | None:
        index = self.steps.highlighted
        return index if index is not None and index < len(self.session.steps) else None

    @on(OptionList.OptionSelected, "#rb-steps")
    def _step_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.run_step(event.option_index)

    def action_run_next(self) -> None:
        index = self.session.next_step()
        if index is None:
            self.app.notify("no step left to run in this runbook", timeout=4)
            return
        self.steps.highlighted = index
        self.run_step(index)

    def action_cancel_step(self) -> None:
        if not self.busy or self._worker is None:
            self.app.notify("no step is running", timeout=3)
            return
        self._worker.cancel()

    def action_tick(self) -> None:
        index = self._selected()
        if index is None:
            return
        if not self.session.tick(index):
            record = self.session.record(index)
            self.app.notify(f"step {index + 1} {record.status.value}: its result stands",
                            timeout=3)
        self._render_steps()

    def action_edit(self) -> None:
        index = self._selected()
        if index is None:
            return
        if not self.session.steps[index].commands:
            self.app.notify(f"step {index + 1} has no command to edit", timeout=3)
            return
        if self.busy:
            self.app.notify("wait for the running step (c cancels it)", timeout=3)
            return
        self._worker = self.run_worker(self._edit(index), group=STEP_GROUP,
                                       name=f"edit step {index + 1}", exit_on_error=False)

    def action_switch(self, delta: int) -> None:
        if len(self.session.matches) < 2:
            self.app.notify("no other runbook matches this alert", timeout=3)
            return
        if self.busy:
            self.app.notify("wait for the running step (c cancels it)", timeout=3)
            return
        self.session.switch(delta)
        self.output.note(f"── runbook {self.session.section.ref} ──")
        self._render_all(reset=True)

    def action_leave(self) -> None:
        from tui.dashboard.widgets.card import CardBase

        cards = list(self.app.query(CardBase))
        if cards:
            cards[0].focus()

    # -- running a step ---------------------------------------------------------------

    def run_step(self, index: int) -> None:
        """Forward Enter on a step to the step runner; the runner decides, the pane shows."""
        if getattr(self.app, "replaying", False):  # recorded samples: nothing may run now
            self.app.notify("replay: nothing runs", severity="warning", timeout=4)
            return
        session = self.session
        if self.busy:
            running = session.running
            which = f"step {running + 1} is running" if running is not None else "a step waits"
            self.app.notify(f"{which}: c cancels it", timeout=3)
            return
        runner = StepRunner(session, PaneOperator(self), on_start=self._render_steps)
        try:
            runner.check(index)
        except StepRefused as exc:
            self.output.note(f"🔒 {exc}: {exc.command}")
            self.app.notify(str(exc), severity="error", timeout=6)
            return
        except StepError as exc:
            self.app.notify(f"{exc}: space ticks it", timeout=3)
            return
        self._worker = self.run_worker(self._run(runner, index), group=STEP_GROUP,
                                       name=f"step {index + 1}", exit_on_error=False)

    async def _run(self, runner: StepRunner, index: int) -> None:
        number = index + 1
        started = time.monotonic()
        try:
            run = await runner.run(index)
            self._finished(number, run.record)
        except asyncio.CancelledError:
            # the engine killed the step's process group and journaled the cancel
            took = format_duration(time.monotonic() - started)
            self.output.note(f"⊘ step {number} cancelled after {took}: "
                             "its processes were stopped")
            raise
        except StepRefused as exc:
            self.output.note(f"🔒 {exc}: {exc.command}" if exc.locked else str(exc))
            self.app.notify(f"step {number} not run", severity="error" if exc.locked else
                            "information", timeout=3)
        except StepError as exc:
            self.output.note(f"step {number} not run: {exc}")
            self.app.notify(str(exc), title=f"step {number} not run", severity="error")
        finally:
            self._render_steps()

    def _finished(self, number: int, record: StepRecord) -> None:
        took = format_duration(record.duration or 0.0)
        if record.status is StepStatus.DONE:
            self.output.note(f"✔ step {number} done: exit 0 in {took}")
        elif record.timed_out:
            self.output.note(f"✖ step {number} timed out after {took}")
        else:
            self.output.note(f"✖ step {number} failed: exit {record.exit_code} in {took}")

    async def _edit(self, index: int) -> None:
        session = self.session
        step = session.steps[index]
        for n in range(len(step.commands)):
            title = f"Edit step {index + 1}" + (f", command {n + 1}" if len(step.commands) > 1
                                                else "")
            code = await self.app.push_screen_wait(EditCommandScreen(title, session.code(index, n)))
            if code is None:
                return
            session.edit(index, n, code)
        self._render_steps()
        self.app.notify(f"step {index + 1} edited: Enter runs it", timeout=3)


def journal_recovery(session: RunbookSession, recovery: Recovery) -> Any:
    """Write the `recovered` event (called in a thread)."""
    if session.journal is not None:
        session.journal.recovered([recovery.alert], panel=recovery.panel_id,
                                  resolved_at=recovery.recovered_at)


class PaneOperator:
    """The step runner's operator in the pane: screens ask, the output log shows."""

    def __init__(self, pane: RunbookPane) -> None:
        self.pane = pane

    async def ask_value(self, label: str, command: str, *, secret: bool) -> str | None:
        app = self.pane.app
        if label == "$DATABASE_URL":
            value: str | None = await app.push_screen_wait(PromptScreen(
                "Postgres DSN for this sql step (DATABASE_URL)", password=True,
                context="no [[postgres]] panel is configured and DATABASE_URL is unset"))
            return value
        answer: str | None = await app.push_screen_wait(
            placeholder_prompt(label, command, secret=secret))
        return answer

    async def confirm(self, number: int, command: str, effect: Effect, reason: str) -> bool:
        confirmed: bool = await self.pane.app.push_screen_wait(ConfirmScreen(
            f"Step {number} {refusal(effect)} ({reason}). Run exactly this?", command,
            danger=effect is Effect.DESTRUCTIVE))
        return bool(confirmed)

    async def attach(self, code: str, env: Mapping[str, str]) -> StepResult:
        """An interactive command on the real terminal. Blocking on purpose, as Textual's
        own suspend example does: while suspended the app must not draw, so the loop waits
        for the command (panels resume polling right after)."""
        pane = self.pane
        shown = pane.session.mask(code)
        try:
            with pane.app.suspend():
                print(f"\n$ {shown}\n(opsdash is suspended until this command exits)\n",
                      flush=True)
                result = run_attached(code, env=env)
        except SuspendNotSupported:
            pane.output.line("stderr", "this command needs a real terminal: run it by hand")
            return StepResult(1, 0.0)
        pane.output.line("stdout", f"(interactive command exited {result.exit_code})")
        return result

    def begin(self, number: int, command: str) -> None:
        self.pane.output.begin(number, command)

    def output(self, stream: str, text: str) -> None:
        self.pane.output.line(stream, text)
