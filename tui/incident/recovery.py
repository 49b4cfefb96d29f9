"""The recovery watch: follows one alert on its panel, poll by poll, until it has stayed
resolved for `CONFIRM_POLLS` polls (one good poll can be a fluke), and says so."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from common.durations import format_duration
from panels.alerts import Alert, AlertState
from panels.watch import PanelState

#: how many consecutive resolved polls make a recovery (one poll can be a fluke)
CONFIRM_POLLS = 2


@dataclass(frozen=True)
class Recovery:
    alert: str
    panel_id: str
    fired_at: float
    recovered_at: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.recovered_at - self.fired_at)


@dataclass
class RecoveryWatch:
    """Follows one alert on one panel, poll by poll, until it stays resolved."""

    panel_id: str
    alert: Alert
    confirm_polls: int = CONFIRM_POLLS
    live: AlertState | None = AlertState.FIRING
    resolved_polls: int = 0
    first_resolved_at: float | None = None
    recovery: Recovery | None = None
    panel_status: str = ""
    _last_poll: float | None = field(default=None, repr=False)

    @property
    def fired_at(self) -> float:
        return self.alert.fired_at or self.alert.since

    def observe(self, state: PanelState) -> Recovery | None:
        """Feed one poll of any panel; returns the Recovery on the poll that confirms it."""
        if state.panel_id != self.panel_id or state.updated_at == self._last_poll:
            return None
        self._last_poll = state.updated_at
        self.panel_status = state.status.value
        current = next((a for a in state.alerts if a.key == self.alert.key), None)
        self.live = current.state if current is not None else None
        if current is not None and current.state is not AlertState.RESOLVED:
            if current.state is AlertState.FIRING and self.recovery is not None:
                # it came back: a new episode, watched from its own first firing
                self.alert = current
                self.recovery = None
            elif current.state is AlertState.FIRING and current.fired_at:
                self.alert = current
            self.resolved_polls = 0
            self.first_resolved_at = None
            return None
        if self.recovery is not None:
            return None
        self.resolved_polls += 1
        if self.first_resolved_at is None:
            self.first_resolved_at = state.updated_at
        if self.resolved_polls < self.confirm_polls:
            return None
        self.recovery = Recovery(self.alert.name, self.panel_id, self.fired_at,
                                 self.first_resolved_at)
        return self.recovery

    def describe(self, now: float) -> str:
        """One line for the pane: firing for how long, confirming, or recovered in how long."""
        name = self.alert.name
        where = f"{self.panel_id} {self.panel_status.upper()}".rstrip()
        if self.recovery is not None:
            return (f"✔ recovered: {name} resolved {format_duration(self.recovery.seconds)} "
                    f"after it fired ({clock(self.recovery.fired_at)} → "
                    f"{clock(self.recovery.recovered_at)})")
        if self.resolved_polls:
            return (f"◐ {name} resolved, confirming ({self.resolved_polls}/"
                    f"{self.confirm_polls} polls) · {where}")
        if self.live is AlertState.PENDING:
            return f"▲ {name} pending again · {where}"
        return f"✖ {name} firing for {format_duration(now - self.fired_at)} · {where}"


def clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))
