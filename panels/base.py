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
from typing import Any, ClassVar, Generic, TypeVar

from common.status import Status as Status  # re-exported: panel modules name it here
from panels.alerts import DEFAULT_RULES
from panels.alerts import AlertRule as AlertRule
from panels.alerts import Condition as Condition
from panels.alerts import Severity as Severity
from panels.errors import ProbeError, classify

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

    def detail(self, sample: S) -> dict[str, Any]:
        """What only the drill-down shows (rows, body excerpts): kept out of `metrics`, the
        public JSON contract of `check --json`."""
        return {}

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
