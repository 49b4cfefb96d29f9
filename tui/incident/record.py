"""The incident record, live: which alerts moved, which incident is open, and the events
the journal gets for them, whatever the screen shows.

`IncidentRecord.observe(state)` is fed every poll by the scheduler (in the dashboard) and
returns the journal events that poll caused:

- `alert` for every transition (pending, firing, resolved) with the panel's key figures;
- `incident` `opened` when an alert fires and none is open; alerts that fire while one is
  open join it (`joined`); `closed` once every alert in it has stayed resolved for
  `CONFIRM_POLLS` polls of its panel (the pane's recovery rule).

Quitting closes nothing: `resume(events)` continues the last incident from the journal,
and the first polls decide: an alert of it still firing keeps it open, otherwise it
closes as any incident does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from panels.alerts import AlertState
from panels.figures import key_figures
from panels.watch import PanelState
from tui.incident.recovery import CONFIRM_POLLS

Event = dict[str, Any]


@dataclass
class Incident:
    number: int
    opened_at: float
    #: (panel id, alert key such as "ServiceDown" or "ContainerDown:web"), in firing order
    alerts: list[tuple[str, str]] = field(default_factory=list)
    #: the same pairs -> consecutive polls of their panel without the alert firing
    quiet: dict[tuple[str, str], int] = field(default_factory=dict)


def _listed(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"panel": panel, "alert": key} for panel, key in pairs]


class IncidentRecord:
    def __init__(self, confirm_polls: int = CONFIRM_POLLS) -> None:
        self.confirm_polls = confirm_polls
        #: (panel id, alert key) -> the alert's last state
        self._last: dict[tuple[str, str], AlertState] = {}
        self.current: Incident | None = None
        self.count = 0

    @property
    def incident(self) -> int | None:
        """The number of the open incident (steps run now belong to it), else None."""
        return self.current.number if self.current is not None else None

    def resume(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Continue from a journal: numbering goes on, an open incident stays open."""
        open_: Incident | None = None
        for event in events:
            if event.get("type") != "incident":
                continue
            number = int(event.get("incident") or 0)
            self.count = max(self.count, number)
            state = event.get("state")
            if state == "opened":
                open_ = Incident(number, float(event.get("ts") or 0.0))
            if open_ is not None and open_.number == number:
                if state in ("opened", "joined"):
                    for item in event.get("alerts") or []:
                        pair = (str(item.get("panel", "")), str(item.get("alert", "")))
                        if pair not in open_.alerts:
                            open_.alerts.append(pair)
                        open_.quiet[pair] = 0
                elif state == "closed":
                    open_ = None
        self.current = open_

    def observe(self, state: PanelState) -> list[Event]:
        """The journal events this poll causes: an incident opening (or an alert joining it)
        comes before the alert events of the same moment, a closing after them."""
        events: list[Event] = []
        opening: list[Event] = []
        figures = key_figures(state.metrics)
        now = state.updated_at
        seen: set[str] = set()
        for alert in state.alerts:
            seen.add(alert.key)
            slot = (state.panel_id, alert.key)
            if self._last.get(slot) is not alert.state:
                self._last[slot] = alert.state
                events.append({"type": "alert", "name": alert.name, "state": alert.state.value,
                               "severity": alert.severity.value, "panel": state.panel_id,
                               "target": alert.target, "detail": alert.detail,
                               "ts": alert.since, "figures": figures})
            if alert.state is AlertState.FIRING:
                opening.extend(self._firing(alert.key, state.panel_id, alert.fired_at or now))
        for slot in [s for s in self._last if s[0] == state.panel_id and s[1] not in seen]:
            del self._last[slot]  # a pending alert that went away, or a resolved one expired
        return opening + events + self._maybe_close(state, seen, now)

    def _firing(self, key: str, panel: str, fired_at: float) -> list[Event]:
        pair = (panel, key)
        incident = self.current
        if incident is None:
            self.count += 1
            self.current = Incident(self.count, fired_at, [pair], {pair: 0})
            return [{"type": "incident", "state": "opened", "incident": self.count,
                     "ts": fired_at, "alerts": _listed([pair])}]
        incident.quiet[pair] = 0
        if pair in incident.alerts:
            return []
        incident.alerts.append(pair)
        return [{"type": "incident", "state": "joined", "incident": incident.number,
                 "ts": fired_at, "alerts": _listed([pair])}]

    def _maybe_close(self, state: PanelState, seen: set[str], now: float) -> list[Event]:
        incident = self.current
        if incident is None:
            return []
        firing = {a.key for a in state.alerts if a.state is AlertState.FIRING}
        for pair in incident.alerts:
            panel, key = pair
            if panel == state.panel_id:
                incident.quiet[pair] = 0 if key in firing else incident.quiet.get(pair, 0) + 1
        if all(incident.quiet.get(p, 0) >= self.confirm_polls for p in incident.alerts):
            self.current = None
            return [{"type": "incident", "state": "closed", "incident": incident.number,
                     "ts": now, "opened_at": incident.opened_at,
                     "alerts": _listed(incident.alerts)}]
        return []
