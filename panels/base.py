"""What every panel kind shares: statuses, conditions, probe errors, and the Panel contract.

A panel module reads top to bottom: its sample type, its `collect()`, its rules.
Adding a panel kind means one new module plus one line in `panels.registry`.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from panels.errors import ProbeError, classify


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    CRIT = "crit"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Order for "worst of": crit beats warn beats unknown beats ok."""
        return {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}[self.value]

    @property
    def exit_code(self) -> int:
        """Nagios plugin convention, so `opsdash check` drops into cron and CI."""
        return {"ok": 0, "warn": 1, "crit": 2, "unknown": 3}[self.value]

    @staticmethod
    def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
        return max(statuses, key=lambda s: s.rank, default=Status.OK)


class Severity(StrEnum):
    WARN = "warn"
    CRIT = "crit"

    @property
    def status(self) -> Status:
        return Status.CRIT if self is Severity.CRIT else Status.WARN


@dataclass(frozen=True)
class AlertRule:
    """Thresholds for one canonical alert; `for_s` is how long a condition must hold."""

    threshold: float | None = None
    for_s: float = 0.0
    severity: Severity = Severity.CRIT
    warn: float | None = None


@dataclass(frozen=True)
class Condition:
    """One rule's verdict on one sample: is the alert's condition true right now."""

    alert: str
    active: bool
    severity: Severity = Severity.CRIT
    detail: str = ""
    target: str = ""  # sub-target (queue name, mount, container) so one alert can fire per target

    @property
    def key(self) -> str:
        return f"{self.alert}:{self.target}" if self.target else self.alert


S = TypeVar("S")


class Panel(ABC, Generic[S]):
    """One configured target of one kind: knows how to collect from it and judge it.

    Subclasses implement `collect()` (raise on failure; the base classifies the error),
    `metrics()` for the JSON contract, `conditions()` for alert rules, and `summary()`.
    """

    kind: ClassVar[str]
    #: alert raised when the source cannot be reached at all (None: panel just goes crit)
    unreachable_alert: ClassVar[str | None] = None
    #: the metric key drawn as the card's sparkline
    series_key: ClassVar[str | None] = None
    #: rates need two samples: `opsdash check` scrapes such panels twice in one round
    rate_based: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        *,
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        from panels.alerts import DEFAULT_RULES

        self.name = name
        self.interval = interval
        self.timeout = timeout
        self.rules: dict[str, AlertRule] = {**DEFAULT_RULES, **(rules or {})}

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def target(self) -> str:
        """Where this panel reads from, secrets masked; shown on the card and in errors."""
        return self.name

    @abstractmethod
    async def collect(self) -> S:
        """Talk to the real system once and return a typed sample; raise on failure."""

    @abstractmethod
    def metrics(self, sample: S) -> dict[str, Any]:
        """JSON-ready metrics; keys named in DESIGN.md are a public contract."""

    @abstractmethod
    def conditions(self, sample: S) -> list[Condition]:
        """Every alert rule this kind owns, evaluated against one sample."""

    @abstractmethod
    def summary(self, sample: S) -> str:
        """One line a human reads on the card and in `check` output."""

    def failure_conditions(self, error: ProbeError) -> list[Condition]:
        if self.unreachable_alert is None or error.kind == "absent":
            return []
        return [Condition(self.unreachable_alert, True, Severity.CRIT, error.message)]

    def rule(self, alert: str) -> AlertRule:
        return self.rules.get(alert, AlertRule())

    async def probe(self) -> Probe[S]:
        """collect() under the panel's timeout; never raises (except cancellation)."""
        started = time.perf_counter()
        try:
            # a timeout scope rather than wait_for: no extra task per poll
            async with asyncio.timeout(self.timeout):
                sample = await self.collect()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # every failure becomes a panel state
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            err = classify(exc, timeout=self.timeout)
            return Probe(None, err, (time.perf_counter() - started) * 1000)
        return Probe(sample, None, (time.perf_counter() - started) * 1000)

    def prepare(self) -> None:
        """Blocking set-up (clients, TLS contexts), run once in a worker thread before the
        first poll so the event loop never pays for it; errors surface at that poll."""

    async def aclose(self) -> None:
        """Release connections; called when the app or `check` ends."""


@dataclass(frozen=True)
class Probe(Generic[S]):
    sample: S | None
    error: ProbeError | None
    duration_ms: float
