"""The live incident record (tui/incident/record.py), exactly: the events one poll
returns, built from hand-made panel states (no probe, no clock), and `resume` reading a
cut or odd journal. Milliseconds per test, so the mutation runner can afford them."""

from __future__ import annotations

from typing import Any

from panels.alerts import Alert, AlertState, Severity
from panels.base import Status
from panels.watch import PanelState
from tui.incident.record import IncidentRecord

T = 1_800_000_000.0
FIRING, PENDING = AlertState.FIRING, AlertState.PENDING


def alert(state: AlertState, since: float, *, fired_at: float | None = None,
          name: str = "ServiceDown", target: str = "") -> Alert:
    return Alert(name, state, Severity.CRIT, since, since, "HTTP 503", target, fired_at)


def poll(panel: str, at: float, *alerts: Alert, **metrics: Any) -> PanelState:
    return PanelState(panel, "health", panel.split(":")[-1], "", Status.OK, "", metrics,
                      alerts, None, at, 1.0)


def journaled(panel: str, state: str, at: float, **extra: Any) -> dict[str, Any]:
    """The `alert` event the record journals for ServiceDown on `panel`."""
    return {"type": "alert", "name": "ServiceDown", "state": state, "severity": "crit",
            "panel": panel, "target": "", "detail": "HTTP 503", "ts": at, "figures": {},
            **extra}


def test_an_alert_seen_firing_late_opens_the_incident_when_it_fired() -> None:
    record = IncidentRecord()
    fired = alert(FIRING, T + 10, fired_at=T + 10)
    assert record.observe(poll("health:api", T + 30, fired, http_status=503)) == [
        {"type": "incident", "state": "opened", "incident": 1, "ts": T + 10,
         "alerts": [{"panel": "health:api", "alert": "ServiceDown"}]},
        journaled("health:api", "firing", T + 10, figures={"HTTP": 503.0})]
    assert record.incident == 1


def test_an_alert_firing_with_no_fired_time_opens_the_incident_at_the_poll() -> None:
    record = IncidentRecord()
    events = record.observe(poll("health:api", T + 30, alert(FIRING, T + 10)))
    assert [(e["type"], e["ts"]) for e in events] == [("incident", T + 30), ("alert", T + 10)]


def test_a_second_panel_firing_joins_the_open_incident_with_an_exact_event() -> None:
    record = IncidentRecord()
    record.observe(poll("health:api", T, alert(FIRING, T, fired_at=T)))
    assert record.observe(poll("health:web", T + 4, alert(FIRING, T + 3, fired_at=T + 3))) == [
        {"type": "incident", "state": "joined", "incident": 1, "ts": T + 3,
         "alerts": [{"panel": "health:web", "alert": "ServiceDown"}]},
        journaled("health:web", "firing", T + 3)]
    # still firing on the next polls: nothing new to journal
    assert record.observe(poll("health:web", T + 5, alert(FIRING, T + 3, fired_at=T + 3))) == []
    assert record.observe(poll("health:api", T + 6, alert(FIRING, T, fired_at=T))) == []


def test_a_pending_alert_that_went_away_is_journaled_again_when_it_comes_back() -> None:
    record = IncidentRecord()
    firing_web = alert(FIRING, T, fired_at=T)
    out = [record.observe(poll("health:web", T, firing_web)),
           record.observe(poll("health:api", T + 1, alert(PENDING, T + 1))),
           record.observe(poll("health:api", T + 2)),  # the condition cleared: gone
           record.observe(poll("health:web", T + 2.5, firing_web)),  # unchanged: silent
           record.observe(poll("health:api", T + 3, alert(PENDING, T + 3)))]
    assert [[(e["type"], e["state"], e["ts"]) for e in events] for events in out] == [
        [("incident", "opened", T), ("alert", "firing", T)],
        [("alert", "pending", T + 1)],
        [],
        [],
        [("alert", "pending", T + 3)]]


def test_resume_reads_past_other_events_and_stray_incident_events() -> None:
    record = IncidentRecord(confirm_polls=0)  # the next poll closes what is open
    record.resume([
        {"ts": T - 50, "type": "alert", "name": "ServiceDown", "state": "firing"},
        {"ts": T - 40, "type": "incident", "state": "joined", "incident": 1,
         "alerts": [{"panel": "health:db", "alert": "DatabaseUnreachable"}]},  # cut journal
        {"ts": T, "type": "incident", "state": "opened", "incident": 2,
         "alerts": [{"alert": "ServiceDown"}, {"panel": "health:api"}]},
        {"ts": T + 1, "type": "incident", "state": "closed", "incident": 1},  # not the open one
    ])
    assert (record.incident, record.count) == (2, 2)
    assert record.observe(poll("health:web", T + 50)) == [
        {"type": "incident", "state": "closed", "incident": 2, "ts": T + 50,
         "opened_at": T, "alerts": [{"panel": "", "alert": "ServiceDown"},
                                    {"panel": "health:api", "alert": ""}]}]
    assert record.incident is None


def test_resume_of_an_opening_with_no_number_or_time_reads_zero() -> None:
    record = IncidentRecord(confirm_polls=0)
    record.resume([{"type": "incident", "state": "opened"}])
    assert (record.incident, record.count) == (0, 0)
    assert record.observe(poll("health:api", T)) == [
        {"type": "incident", "state": "closed", "incident": 0, "ts": T, "opened_at": 0.0,
         "alerts": []}]
