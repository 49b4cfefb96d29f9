"""One open runbook, without Textual: which section, each step's status, how to run a step,
and whether the alert it was opened for has recovered.

The runbook pane renders a `RunbookSession` and a `RecoveryWatch`; everything that decides
something lives here so it is tested without a screen:

- `pick_alert(selected, states)`: the alert the pane opens for (selected card first, then
  the most severe firing alert anywhere).
- `RunbookSession`: the ranked candidate sections, per-step status (pending, running,
  done, failed, cancelled, ticked), placeholder values asked once per session, edited
  commands, and `run()`: journal `step_started` (on disk before the process starts), run
  each command through `runbooks.execute`, journal the output tail and `step_finished`.
- `RecoveryWatch`: fed every PanelState of the alert's panel; says `recovered` once the
  alert has stayed resolved for `confirm_polls` consecutive polls.
- `live_figures(text, states)`: the current metric values a checklist item names
  ("error rate back under 5%" -> "error ratio 0.4%").
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from common.masking import mask_secrets, secret_values
from panels.alerts import Alert
from panels.base import Severity
from panels.figures import Figures, changes, key_figures
from panels.watch import PanelState
from runbooks.execute import StepResult, run_command
from runbooks.journal import Journal
from runbooks.match import Match
from runbooks.model import Command, Section, Step
from runbooks.placeholders import (
    PlaceholderError,
    dollar_placeholders,
    fill_placeholders,
    missing_placeholders,
    sql_with_params,
)
from runbooks.safety import Classification, Effect, classify, is_interactive, worst

#: polls after a step ends whose figures are kept beside it
AFTER_POLLS = 2

LineHandler = Callable[[str, str], None]
#: runs an interactive command on the real terminal (the app suspends around it)
Attach = Callable[[str, Mapping[str, str]], Awaitable[StepResult]]


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TICKED = "ticked"


@dataclass
class StepRecord:
    """What happened to one step in this session (the last run wins)."""

    status: StepStatus = StepStatus.PENDING
    exit_code: int | None = None
    duration: float | None = None
    timed_out: bool = False
    runs: int = 0
    #: ticked by opsdash because the item's live criterion holds (not by a person)
    auto: bool = False
    #: the alert's panel figures just before the last run, and at the polls after it ended
    before: Figures | None = None
    after: list[Figures] = field(default_factory=list)
    finished_at: float | None = None

    def change(self) -> list[str]:
        """What the last run moved on the alert's panel: "p95 988 ms → 41 ms"."""
        if self.before is None or not self.after:
            return []
        return changes(self.before, self.after[-1])


@dataclass(frozen=True)
class Prepared:
    """A step ready to run: each command with its placeholders filled (and edits applied),
    classified again as it will run."""

    step: int  # 0-based index in the section
    #: each command and its final text, as shown to the person and classified
    commands: tuple[tuple[Command, str], ...]
    classification: Classification
    interactive: bool
    #: what actually runs: sql with its values bound as parameters, shell as shown
    runs: tuple[tuple[str, dict[str, str] | None], ...] = ()

    @property
    def effect(self) -> Effect:
        return self.classification.effect

    @property
    def destructive(self) -> bool:
        return self.effect is Effect.DESTRUCTIVE

    @property
    def text(self) -> str:
        return "\n".join(code for _, code in self.commands)

    @property
    def lang(self) -> str:
        return "sql" if all(c.lang == "sql" for c, _ in self.commands) else "bash"

    @property
    def needs_sql(self) -> bool:
        return any(c.lang == "sql" for c, _ in self.commands)

    @property
    def needs_redis(self) -> bool:
        return any(c.lang == "redis" for c, _ in self.commands)


class StepError(Exception):
    """A step that cannot run as asked (nothing to run, a value missing, journal unwritable)."""


@dataclass(frozen=True)
class Target:
    """The alert a pane is opened for and the panel that fires it."""

    alert: Alert
    panel_id: str


def _severity_rank(alert: Alert) -> int:
    return 0 if alert.severity is Severity.CRIT else 1


def pick_alert(selected: PanelState | None, states: Iterable[PanelState]) -> Target | None:
    """The selected card's worst firing alert, else the most severe (then oldest) anywhere."""
    def best(candidates: list[Target]) -> Target | None:
        return min(candidates, default=None, key=lambda t: (
            _severity_rank(t.alert), t.alert.fired_at or t.alert.since, t.alert.key))

    if selected is not None:
        own = best([Target(a, selected.panel_id) for a in selected.firing])
        if own is not None:
            return own
    return best([Target(a, s.panel_id) for s in states for a in s.firing])


def newest_alert(states: Iterable[PanelState]) -> Target | None:
    """The alert that fired last anywhere: what a pane left on a recovered alert follows."""
    firing = [Target(a, s.panel_id) for s in states for a in s.firing]
    return max(firing, default=None, key=lambda t: (t.alert.fired_at or t.alert.since,
                                                    -_severity_rank(t.alert)))


def should_follow(current: Target | None, recovered: bool, busy: bool,
                  newest: Target | None) -> bool:
    """A pane follows a new firing alert only when nothing runs and the alert it shows is
    over: an engineer mid-step or mid-incident keeps their place."""
    if busy or newest is None:
        return False
    if current is None:
        return True
    same = (current.panel_id, current.alert.key) == (newest.panel_id, newest.alert.key)
    return recovered and not same


class RunbookSession:
    """The state of one open runbook: candidate sections, step records, values, edits."""

    def __init__(self, matches: Sequence[Match], *, target: Target | None = None,
                 read_only: bool = False, dsn: str | None = None,
                 redis: str | None = None,
                 journal: Journal | None = None,
                 env: Mapping[str, str] | None = None,
                 incident: Callable[[], int | None] | None = None,
                 figures: Callable[[str], Figures] | None = None) -> None:
        """`incident`: the open incident's number, from the live record (which journals
        alerts itself); `figures`: a panel's key figures now, for before/after a step."""
        if not matches:
            raise ValueError("a runbook session needs at least one matching section")
        self.matches = list(matches)
        self.index = 0
        self.target = target
        self.read_only = read_only
        self.dsn = dsn
        self.redis = redis
        self.journal = journal
        self.env: Mapping[str, str] = os.environ if env is None else env
        #: placeholder values, asked once per session and shared by every section
        self.values: dict[str, str] = {}
        self._records: dict[str, list[StepRecord]] = {}
        #: (ref, step, command) -> the command as the user edited it
        self.edits: dict[tuple[str, int, int], str] = {}
        self._alert_journaled = False
        self.incident = incident
        self.figures = figures
        #: set before cancelling a running step because opsdash got a signal (SIGHUP...)
        self.interrupted_by: str | None = None

    # -- sections --------------------------------------------------------------------

    @property
    def section(self) -> Section:
        return self.matches[self.index].section

    @property
    def match(self) -> Match:
        return self.matches[self.index]

    def switch(self, delta: int) -> Section:
        """Move to another candidate section (wrapping); step records are kept per section."""
        self.index = (self.index + delta) % len(self.matches)
        return self.section

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.section.steps

    def records(self) -> list[StepRecord]:
        ref = self.section.ref
        if ref not in self._records:
            self._records[ref] = [StepRecord() for _ in self.section.steps]
        return self._records[ref]

    def record(self, step: int) -> StepRecord:
        return self.records()[step]

    @property
    def running(self) -> int | None:
        return next((i for i, r in enumerate(self.records())
                     if r.status is StepStatus.RUNNING), None)

    @property
    def anything_ran(self) -> bool:
        return any(r.runs for records in self._records.values() for r in records)

    # -- commands ----------------------------------------------------------------------

    def code(self, step: int, command: int) -> str:
        """The command as it will run before placeholders: the user's edit, else the text."""
        original = self.steps[step].commands[command].code
        return self.edits.get((self.section.ref, step, command), original)

    def shown_code(self, step: int, command: int) -> str:
        """The command as the pane lists it: values known already (an alert's labels, ones
        typed before) filled in, so the engineer reads what will run; placeholders with no
        value yet stay as written. SQL stays as written: its values are bound, not pasted."""
        code = self.code(step, command)
        lang = self.steps[step].commands[command].lang
        if lang == "sql" or not self.values:
            return code
        try:
            return fill_placeholders(code, self.values, lang)
        except PlaceholderError:  # refused at run time with its reason; listed as written
            return code

    def edited(self, step: int, command: int) -> bool:
        return (self.section.ref, step, command) in self.edits

    def edit(self, step: int, command: int, code: str) -> None:
        original = self.steps[step].commands[command].code
        key = (self.section.ref, step, command)
        if code.strip() == original.strip():
            self.edits.pop(key, None)
        else:
            self.edits[key] = code

    def classification(self, step: int) -> Classification:
        """The step's effect as written or as edited (the worst of its commands): an edit
        never loses a confirmation the original needed."""
        commands = self.steps[step].commands
        return worst([*(cmd.classification for cmd in commands),
                      *(classify(self.code(step, n), cmd.lang)
                        for n, cmd in enumerate(commands))])

    def is_destructive(self, step: int) -> bool:
        return self.classification(step).effect is Effect.DESTRUCTIVE

    def locked(self, step: int) -> bool:
        """Refused in --read-only mode: it runs only commands known to only read."""
        return self.read_only and self.classification(step).effect is not Effect.READ_ONLY

    def missing(self, step: int) -> list[str]:
        """Placeholders of this step with no value yet (`$VAR`s set in the env are fine)."""
        names: list[str] = []
        for n, cmd in enumerate(self.steps[step].commands):
            for name in missing_placeholders(self.code(step, n), self.values, self.env, cmd.lang):
                if name not in names:
                    names.append(name)
        return names

    def placeholder_label(self, step: int, name: str) -> str:
        """`$VAR` or `<name>`, as the runbook wrote it, for the prompt."""
        for n, cmd in enumerate(self.steps[step].commands):
            if name in dollar_placeholders(self.code(step, n), cmd.lang):
                return f"${name}"
        return f"<{name}>"

    def prepare(self, step: int) -> Prepared:
        """Fill placeholders into each command; StepError if it has nothing to run or a value
        is still missing."""
        commands = self.steps[step].commands
        if not commands:
            raise StepError(f"step {step + 1} has nothing to run: tick it with space")
        missing = self.missing(step)
        if missing:
            raise StepError("needs a value for " + ", ".join(missing))
        filled: list[tuple[Command, str]] = []
        runs: list[tuple[str, dict[str, str] | None]] = []
        for n, cmd in enumerate(commands):
            code = self.code(step, n)
            try:
                shown = fill_placeholders(code, self.values, cmd.lang)
                runs.append(sql_with_params(code, self.values) if cmd.lang == "sql"
                            else (shown, None))
            except PlaceholderError as exc:
                raise StepError(str(exc)) from exc
            filled.append((cmd, shown))
        # the final command is classified again: a value can turn a SELECT into a DROP
        final = worst([self.classification(step),
                       *(classify(code, cmd.lang) for cmd, code in filled)])
        interactive = any(cmd.interactive or is_interactive(code, cmd.lang)
                          for cmd, code in filled)
        return Prepared(step, tuple(filled), final, interactive, tuple(runs))

    @property
    def secrets(self) -> list[str]:
        """Literal values to mask on screen and in the journal: secret-named values, DSN."""
        found = secret_values(self.values)
        if self.dsn:
            found += secret_values({"DATABASE_URL": self.dsn})
        return found

    def mask(self, text: str) -> str:
        return mask_secrets(text, self.secrets)

    def redis_url(self) -> str | None:
        """REDIS_URL asked or set, else the first configured redis panel's URL."""
        return self.values.get("REDIS_URL") or self.env.get("REDIS_URL") or self.redis

    def sql_dsn(self) -> str | None:
        """DATABASE_URL asked or set, else the first configured postgres panel's DSN."""
        return self.values.get("DATABASE_URL") or self.env.get("DATABASE_URL") or self.dsn

    # -- ticking and the next step ------------------------------------------------------

    def tick(self, step: int) -> bool:
        """Toggle a step ticked by hand; False when it ran (its result stands)."""
        record = self.record(step)
        record.auto = False
        if record.status is StepStatus.PENDING:
            record.status = StepStatus.TICKED
            return True
        if record.status is StepStatus.TICKED:
            record.status = StepStatus.PENDING
            return True
        return False

    def auto_tick(self, step: int, holds: bool | None) -> bool:
        """Tick a confirm-fixed item whose live criterion holds (and untick it when it no
        longer does); a person's own tick is never undone. True when something changed."""
        record = self.record(step)
        if holds and record.status is StepStatus.PENDING:
            record.status, record.auto = StepStatus.TICKED, True
            return True
        if not holds and record.auto and record.status is StepStatus.TICKED:
            record.status, record.auto = StepStatus.PENDING, False
            return True
        return False

    def next_step(self) -> int | None:
        """The next runnable step not yet run: after the last one that ran, then from the
        top for any skipped over (steps 1 and 2 are still to do after running step 3)."""
        records = self.records()
        ran = [i for i, r in enumerate(records) if r.runs]
        start = (max(ran) + 1) if ran else 0
        order = [*range(start, len(records)), *range(0, start)]
        for i in order:
            if (self.steps[i].runnable and not records[i].runs
                    and records[i].status is StepStatus.PENDING):
                return i
        return None

    # -- running -----------------------------------------------------------------------

    def _journal_for(self) -> Journal | None:
        if self.journal is not None:
            self.journal.secrets = self.secrets
        return self.journal

    async def _write(self, fn: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        # fsync off the event loop; shielded so a cancel mid-write still lands the line
        await asyncio.shield(asyncio.to_thread(fn, *args, **kwargs))

    async def run(self, prepared: Prepared, *, on_line: LineHandler | None = None,
                  allow_write: bool = False, attach: Attach | None = None,
                  timeout: float | None = None,
                  on_start: Callable[[], None] | None = None) -> StepRecord:
        """Run a prepared step; CancelledError propagates after the group is killed and the
        cancel journaled. StepError when the journal cannot be written (nothing ran)."""
        step = prepared.step
        record = self.record(step)
        if record.status is StepStatus.RUNNING:
            raise StepError(f"step {step + 1} is already running")
        section = self.section
        journal = self._journal_for()
        number = step + 1
        if journal is not None:
            try:
                if self.target is not None and not self._alert_journaled and (
                        self.incident is None):  # without a live record, say when it fired
                    # the incident starts when the alert fired, not when we got to it
                    alert = self.target.alert
                    await self._write(journal.append, {
                        "type": "alert", "name": alert.name, "state": "firing",
                        "panel": self.target.panel_id, "detail": alert.detail,
                        "ts": alert.fired_at or alert.since})
                    self._alert_journaled = True
                await self._write(journal.step_started, section.ref, number, prepared.text,
                                  lang=prepared.lang, title=section.title,
                                  **self._context(record))
            except OSError as exc:
                raise StepError(f"cannot write the journal {journal.path}: "
                                f"{exc.strerror or exc}") from exc
        record.status = StepStatus.RUNNING
        record.runs += 1
        record.exit_code = record.duration = None
        if on_start is not None:
            on_start()
        tail: list[str] = []
        secrets = self.secrets

        def emit(stream: str, text: str) -> None:
            masked = mask_secrets(text, secrets)
            tail.append(masked)
            del tail[:-40]
            if on_line is not None:
                on_line(stream, masked)

        env = {k: v for k, v in self.values.items() if k.isupper()}
        started = time.monotonic()
        try:
            result = await self._run_commands(prepared, env, emit, allow_write, attach, timeout)
        except asyncio.CancelledError:
            record.status = StepStatus.CANCELLED
            record.duration = time.monotonic() - started
            if journal is not None:
                await self._write(journal.step_output, section.ref, number, tail)
                await self._write(journal.step_finished, section.ref, number, None,
                                  record.duration, cancelled=True, signal=self.interrupted_by)
            raise
        record.exit_code = result.exit_code
        record.duration = result.duration
        record.timed_out = result.timed_out
        record.status = StepStatus.DONE if result.ok else StepStatus.FAILED
        record.finished_at = time.time()
        if journal is not None:
            try:
                await self._write(journal.step_output, section.ref, number, tail)
                await self._write(journal.step_finished, section.ref, number, result.exit_code,
                                  result.duration, timed_out=result.timed_out)
            except OSError as exc:
                emit("stderr", f"opsdash: cannot write the journal: {exc.strerror or exc}")
        return record

    def _context(self, record: StepRecord) -> dict[str, Any]:
        """The step's place in the incident: its number, the alert's panel, figures before."""
        context: dict[str, Any] = {}
        record.before, record.after, record.finished_at = None, [], None
        if self.incident is not None:
            context["incident"] = self.incident()
        if self.target is not None:
            context["panel"] = self.target.panel_id
            context["alert"] = self.target.alert.name
            if self.figures is not None:
                record.before = self.figures(self.target.panel_id)
                context["before"] = record.before
        return context

    def after_poll(self, state: PanelState) -> list[dict[str, Any]]:
        """Feed every poll: the alert panel's figures at the two polls after a step ended
        are kept beside the step, and journaled once both are in."""
        if self.target is None or state.panel_id != self.target.panel_id:
            return []
        events: list[dict[str, Any]] = []
        for ref, records in self._records.items():
            for index, record in enumerate(records):
                if (record.before is None or record.finished_at is None
                        or len(record.after) >= AFTER_POLLS
                        or state.updated_at <= record.finished_at):
                    continue
                record.after.append(key_figures(state.metrics))
                if len(record.after) == AFTER_POLLS:
                    events.append({"type": "step_figures", "ref": ref, "step": index + 1,
                                   "panel": state.panel_id, "before": record.before,
                                   "after": list(record.after), "change": record.change()})
        return events

    async def _run_commands(self, prepared: Prepared, env: dict[str, str], emit: LineHandler,
                            allow_write: bool, attach: Attach | None,
                            timeout: float | None) -> StepResult:
        result = StepResult(0, 0.0)
        total = 0.0
        runs = prepared.runs or tuple((code, None) for _, code in prepared.commands)
        for (cmd, code), (run_code, params) in zip(prepared.commands, runs, strict=True):
            if cmd.lang != "sql" and (cmd.interactive or is_interactive(code, cmd.lang)):
                if attach is None:
                    emit("stderr", "this command needs a terminal: run it by hand")
                    return StepResult(1, total)
                result = await attach(code, env)
            else:
                try:
                    result = await run_command(run_code, lang=cmd.lang, env=env,
                                               timeout=timeout, dsn=self.sql_dsn(),
                                               allow_write=allow_write, on_line=emit,
                                               params=params, redis_url=self.redis_url())
                except ValueError as exc:  # sql without a DSN
                    emit("stderr", str(exc))
                    return StepResult(2, total)
                except OSError as exc:  # bash missing, cwd gone
                    emit("stderr", f"cannot start: {exc.strerror or exc}")
                    return StepResult(126, total)
            total += result.duration
            if not result.ok:
                break
        return StepResult(result.exit_code, total, result.timed_out, result.tail)
