"""The one step runner: prepare -> classify -> ask -> execute -> journal.

The runbook pane and `opsdash runbooks run` both run steps here, so what runs and what
needs a person's `y` is decided once. What needs a person (a value for a placeholder, a
confirmation, the terminal for an interactive command, somewhere to show output) goes
through an `Operator`: the pane implements it with screens, the CLI with the terminal
and `--yes`/`--var`. An operator shows and asks; it never decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from common.masking import is_secret_name
from runbooks.execute import StepResult
from runbooks.safety import Effect, classify
from tui.incident.session import Prepared, RunbookSession, StepError, StepRecord


class Gate(StrEnum):
    """What a prepared step needs before it may run."""

    RUN = "run"  # runs on Enter
    CONFIRM = "confirm"  # shows the exact command, runs after `y` (`--yes`)
    LOCKED = "locked"  # refused: --read-only


def gate(prepared: Prepared, *, read_only: bool) -> Gate:
    """The run policy for a step, in one place (see `effect_gate`)."""
    return effect_gate(prepared.effect, read_only=read_only)


def effect_gate(effect: Effect, *, read_only: bool) -> Gate:
    """Only what is known to only read runs on Enter; what changes or destroys shows the
    exact command and waits for a `y`; --read-only runs only what reads."""
    if effect is Effect.READ_ONLY:
        return Gate.RUN
    return Gate.LOCKED if read_only else Gate.CONFIRM


def action_gate(command: str, lang: str = "bash", *, read_only: bool) -> Gate:
    """A drill-down action (terminate a backend, restart a container) judged as the command
    it amounts to, by the same classifier and policy as a runbook step."""
    return effect_gate(classify(command, lang).effect, read_only=read_only)


def refusal(effect: Effect) -> str:
    """How a refused step is named: destructive, or one that changes the system."""
    return "destructive" if effect is Effect.DESTRUCTIVE else "changes the system"


class StepRefused(StepError):
    """The policy refused the step (read-only, or not confirmed); nothing ran."""

    def __init__(self, message: str, *, command: str, locked: bool,
                 effect: Effect = Effect.DESTRUCTIVE, reason: str = "") -> None:
        super().__init__(message)
        self.command = command
        self.locked = locked
        self.effect = effect
        self.reason = reason


class Operator(Protocol):
    """The person at the keyboard, as the pane or the CLI reaches them."""

    async def ask_value(self, label: str, command: str, *, secret: bool) -> str | None:
        """A value for the placeholder `label` (`<name>`, `$VAR`); None: not given."""

    async def confirm(self, number: int, command: str, effect: Effect, reason: str) -> bool:
        """Show exactly `command` (masked), what it does (`reason`), and ask for a `y`."""

    async def attach(self, code: str, env: Mapping[str, str]) -> StepResult:
        """Hand the terminal to an interactive command and give it back after."""

    def begin(self, number: int, command: str) -> None:
        """A step is about to start: `command` is what runs, masked."""

    def output(self, stream: str, text: str) -> None:
        """One line of the step's output, masked."""


@dataclass(frozen=True)
class StepRun:
    number: int
    record: StepRecord
    allow_write: bool


class StepRunner:
    """Runs one step of a session for an operator, the same way for the pane and the CLI."""

    def __init__(self, session: RunbookSession, operator: Operator, *,
                 timeout: float | None = None,
                 on_start: Callable[[], None] | None = None) -> None:
        self.session = session
        self.operator = operator
        self.timeout = timeout
        self.on_start = on_start

    def shown(self, index: int) -> str:
        """The step's commands as they would run (filled when every value is known, else as
        written with edits applied), masked, for a prompt or a refusal."""
        session = self.session
        if not session.missing(index):
            try:
                return session.mask(session.prepare(index).text)
            except (StepError, ValueError):
                pass
        return session.mask("\n".join(session.code(index, n)
                                      for n in range(len(session.steps[index].commands))))

    def check(self, index: int) -> None:
        """Refuse at once what cannot run whatever the person answers (before any prompt)."""
        session = self.session
        step = session.steps[index]
        number = index + 1
        if not step.runnable:
            raise StepError(f"step {number} has nothing to run: it is a checklist item")
        if session.locked(index):
            found = session.classification(index)
            raise StepRefused(f"step {number} {refusal(found.effect)} ({found.reason}): "
                              "refused in --read-only mode", command=self.shown(index),
                              locked=True, effect=found.effect, reason=found.reason)

    async def _values(self, index: int) -> None:
        session = self.session
        for name in session.missing(index):
            value = await self.operator.ask_value(session.placeholder_label(index, name),
                                                  self.shown(index),
                                                  secret=is_secret_name(name))
            if value is None:
                raise StepError(f"no value for {name}")
            session.values[name] = value

    async def run(self, index: int) -> StepRun:
        """Ask, check, confirm, run and journal step `index`; StepError when it does not run.

        CancelledError propagates after the step's process group is gone and the cancel
        is journaled.
        """
        session = self.session
        number = index + 1
        self.check(index)
        await self._values(index)
        prepared = session.prepare(index)
        shown = session.mask(prepared.text)
        verdict = gate(prepared, read_only=session.read_only)
        found = prepared.classification
        if verdict is Gate.LOCKED:
            raise StepRefused(f"step {number} {refusal(found.effect)} ({found.reason}): "
                              "refused in --read-only mode", command=shown, locked=True,
                              effect=found.effect, reason=found.reason)
        allow_write = verdict is Gate.CONFIRM
        if verdict is Gate.CONFIRM and not await self.operator.confirm(
                number, shown, found.effect, found.reason):
            raise StepRefused(f"step {number} not run: not confirmed", command=shown,
                              locked=False, effect=found.effect, reason=found.reason)
        if prepared.needs_sql and not session.sql_dsn():
            dsn = await self.operator.ask_value("$DATABASE_URL", shown, secret=True)
            if not dsn:
                raise StepError("no database to run it on: set DATABASE_URL or add a "
                                "[[postgres]] dsn to the config")
            session.values["DATABASE_URL"] = dsn
        if prepared.needs_redis and not session.redis_url():
            url = await self.operator.ask_value("$REDIS_URL", shown, secret=True)
            if not url:
                raise StepError("no Redis to run it on: set REDIS_URL or add a [[redis]] url "
                                "to the config")
            session.values["REDIS_URL"] = url
        self.operator.begin(number, session.mask(prepared.text))
        record = await session.run(prepared, on_line=self.operator.output,
                                   allow_write=allow_write, attach=self.operator.attach,
                                   timeout=self.timeout, on_start=self.on_start)
        return StepRun(number, record, allow_write)
