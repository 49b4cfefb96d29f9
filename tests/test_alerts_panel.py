"""The pending -> firing -> resolved machine every panel's alerts go through (panels.alerts).

Times are plain numbers fed to `observe`, so each story states exactly when a `for`
has passed; nothing here sleeps or reads a clock. Expected states and timestamps are
written out by hand from Prometheus' `for` semantics (DESIGN.md, "Alerts").
"""

from __future__ import annotations

import dataclasses

import pytest

from panels.alerts import CANONICAL_ALERTS, DEFAULT_RULES, Alert, AlertState, AlertTracker
from panels.base import AlertRule, Condition, Severity

T0 = 1_700_000_000.0


def on(alert: str = "HighLatency", *, target: str = "", severity: Severity = Severity.WARN,
       detail: str = "") -> Condition:
    return Condition(alert, True, severity, detail, target)


def off(alert: str = "HighLatency", *, target: str = "") -> Condition:
    return Condition(alert, False, Severity.WARN, "", target)


def states(alerts: tuple[Alert, ...]) -> list[tuple[str, AlertState]]:
    return [(a.key, a.state) for a in alerts]


def test_a_condition_is_pending_until_its_for_has_passed_then_firing() -> None:
    tracker = AlertTracker({"HighLatency": 300.0})

    first = tracker.observe([on()], T0)
    before = tracker.observe([on()], T0 + 299.9)
    exactly = tracker.observe([on()], T0 + 300.0)  # `for` reached counts (>=), as in Prometheus
    later = tracker.observe([on()], T0 + 400.0)

    assert states(first) == states(before) == [("HighLatency", AlertState.PENDING)]
    assert first[0].since == first[0].active_since == T0
    assert before[0].since == T0 and before[0].fired_at is None
    assert states(exactly) == [("HighLatency", AlertState.FIRING)]
    assert (exactly[0].since, exactly[0].active_since, exactly[0].fired_at) == (
        T0 + 300.0, T0, T0 + 300.0)
    # staying firing does not move `since` or `fired_at`
    assert (later[0].state, later[0].since, later[0].fired_at) == (
        AlertState.FIRING, T0 + 300.0, T0 + 300.0)


def test_for_0_fires_at_once_and_an_alert_without_a_rule_fires_at_once() -> None:
    tracker = AlertTracker({"ServiceDown": 0.0})

    alerts = tracker.observe([on("ServiceDown"), on("Unlisted")], T0)

    assert states(alerts) == [("ServiceDown", AlertState.FIRING),
                              ("Unlisted", AlertState.FIRING)]
    assert all(a.fired_at == T0 and a.since == T0 for a in alerts)


def test_a_pending_alert_that_clears_just_disappears() -> None:
    tracker = AlertTracker({"HighLatency": 300.0})
    tracker.observe([on()], T0)

    assert tracker.observe([off()], T0 + 10) == ()
    # and a new episode starts its `for` again from scratch
    again = tracker.observe([on()], T0 + 20)
    assert (again[0].state, again[0].active_since) == (AlertState.PENDING, T0 + 20)
    assert states(tracker.observe([on()], T0 + 319)) == [("HighLatency", AlertState.PENDING)]


def test_a_firing_alert_that_clears_is_resolved_and_kept_for_a_while() -> None:
    tracker = AlertTracker({"HighLatency": 0.0}, resolved_keep_s=300.0)
    tracker.observe([on(detail="p95 900 ms")], T0)

    resolved = tracker.observe([off()], T0 + 60)
    kept = tracker.observe([], T0 + 360)  # exactly the keep: still shown
    gone = tracker.observe([], T0 + 360.1)

    assert states(resolved) == [("HighLatency", AlertState.RESOLVED)]
    assert (resolved[0].since, resolved[0].fired_at, resolved[0].detail) == (
        T0 + 60, T0, "p95 900 ms")
    assert states(kept) == [("HighLatency", AlertState.RESOLVED)]
    assert gone == ()


def test_a_resolved_alert_that_returns_starts_pending_again() -> None:
    tracker = AlertTracker({"HighLatency": 300.0})
    tracker.observe([on()], T0)
    tracker.observe([on()], T0 + 300)
    tracker.observe([off()], T0 + 310)

    back = tracker.observe([on()], T0 + 320)

    assert states(back) == [("HighLatency", AlertState.PENDING)]
    assert (back[0].since, back[0].active_since, back[0].fired_at) == (T0 + 320, T0 + 320,
                                                                       None)


def test_severity_and_detail_follow_the_latest_condition() -> None:
    tracker = AlertTracker({"DiskFull": 0.0})
    tracker.observe([on("DiskFull", target="/", severity=Severity.WARN,
                        detail="/: space 12.0% free")], T0)

    now = tracker.observe([on("DiskFull", target="/", severity=Severity.CRIT,
                              detail="/: space 3.0% free")], T0 + 5)

    assert (now[0].severity, now[0].detail, now[0].since) == (
        Severity.CRIT, "/: space 3.0% free", T0)


def test_targets_are_separate_alerts_with_their_own_keys() -> None:
    tracker = AlertTracker({"DiskFull": 0.0})
    tracker.observe([on("DiskFull", target="/"), on("DiskFull", target="/data")], T0)

    alerts = tracker.observe([on("DiskFull", target="/data")], T0 + 5)

    assert states(alerts) == [("DiskFull:/data", AlertState.FIRING),
                              ("DiskFull:/", AlertState.RESOLVED)]
    assert [a.target for a in alerts] == ["/data", "/"]


def test_alerts_are_ordered_firing_pending_resolved_then_crit_first_then_by_key() -> None:
    """State outranks severity: a warn pending alert comes before a crit resolved one."""
    tracker = AlertTracker({"Slow": 100.0, "Zed": 0.0, "Gone": 0.0})
    tracker.observe([on("Gone", severity=Severity.CRIT)], T0)
    alerts = tracker.observe([
        on("Slow", severity=Severity.WARN),
        on("Zed", severity=Severity.CRIT),
        on("Alpha", severity=Severity.WARN),
        on("Beta", severity=Severity.CRIT),
        off("Gone"),
    ], T0 + 1)

    assert states(alerts) == [
        ("Beta", AlertState.FIRING), ("Zed", AlertState.FIRING), ("Alpha", AlertState.FIRING),
        ("Slow", AlertState.PENDING), ("Gone", AlertState.RESOLVED)]


def test_a_cleared_condition_listed_first_does_not_hide_the_active_ones_after_it() -> None:
    tracker = AlertTracker({})

    alerts = tracker.observe([off("DiskFull", target="/"), on("MemoryHigh"),
                              off("ServiceDown"), on("ContainerDown", target="web")], T0)

    assert states(alerts) == [("ContainerDown:web", AlertState.FIRING),
                              ("MemoryHigh", AlertState.FIRING)]


def test_resolved_alerts_are_kept_five_minutes_by_default() -> None:
    tracker = AlertTracker({})
    tracker.observe([on()], T0)
    tracker.observe([], T0 + 10)

    assert states(tracker.observe([], T0 + 310)) == [("HighLatency", AlertState.RESOLVED)]
    assert tracker.observe([], T0 + 310.5) == ()


def test_an_alert_reads_as_json_with_its_key() -> None:
    alert = Alert("DiskFull", AlertState.FIRING, Severity.WARN, T0, T0, "/: 9% free", "/")
    bare = Alert("ServiceDown", AlertState.PENDING, Severity.CRIT, T0, T0)

    assert alert.key == "DiskFull:/"
    assert bare.key == "ServiceDown"
    assert alert.as_json() == {"name": "DiskFull", "state": "firing", "severity": "warn",
                               "detail": "/: 9% free", "target": "/"}
    assert bare.as_json() == {"name": "ServiceDown", "state": "pending", "severity": "crit",
                              "detail": "", "target": ""}
    assert bare.fired_at is None


def test_the_state_words_are_the_json_contract_s() -> None:
    assert [s.value for s in AlertState] == ["pending", "firing", "resolved"]


def test_an_alert_cannot_be_changed_in_place() -> None:
    """The tracker hands the same objects to screens and the journal: none may edit them."""
    alert = Alert("DiskFull", AlertState.FIRING, Severity.WARN, T0, T0)

    with pytest.raises(dataclasses.FrozenInstanceError):
        alert.state = AlertState.RESOLVED  # type: ignore[misc]


@pytest.mark.parametrize(("name", "rule"), [
    ("ServiceDown", AlertRule(None, 0.0, Severity.CRIT)),
    ("HighErrorRate", AlertRule(0.05, 300.0, Severity.CRIT)),
    ("HighLatency", AlertRule(500.0, 300.0, Severity.WARN)),
    ("DatabaseUnreachable", AlertRule(None, 0.0, Severity.CRIT)),
    ("DBPoolExhaustion", AlertRule(0.90, 0.0, Severity.CRIT)),
    ("LongRunningQuery", AlertRule(300.0, 0.0, Severity.WARN)),
    ("RedisUnreachable", AlertRule(None, 0.0, Severity.CRIT)),
    ("RedisMemoryHigh", AlertRule(0.85, 0.0, Severity.WARN)),
    ("TaskQueueStuck", AlertRule(1000.0, 600.0, Severity.WARN)),
    ("DiskFull", AlertRule(0.05, 0.0, Severity.CRIT, warn=0.15)),
    ("MemoryHigh", AlertRule(0.85, 600.0, Severity.WARN)),
    ("ContainerDown", AlertRule(None, 0.0, Severity.CRIT)),
])
def test_the_canonical_alerts_default_to_the_design_s_thresholds(name: str,
                                                                 rule: AlertRule) -> None:
    """DESIGN.md's numbers, copied by hand: a changed default is a contract change."""
    assert DEFAULT_RULES[name] == rule


def test_the_canonical_alert_names_are_the_contract_s_twelve_in_order() -> None:
    assert CANONICAL_ALERTS == (
        "ServiceDown", "HighErrorRate", "HighLatency", "DatabaseUnreachable",
        "DBPoolExhaustion", "LongRunningQuery", "RedisUnreachable", "RedisMemoryHigh",
        "TaskQueueStuck", "DiskFull", "MemoryHigh", "ContainerDown")


def test_an_alert_that_clears_after_one_that_stays_is_still_resolved() -> None:
    """Every tracked alert is judged, whatever order they were first seen in."""
    tracker = AlertTracker({})
    tracker.observe([on("MemoryHigh"), on("ContainerDown", target="web")], T0)

    alerts = tracker.observe([on("MemoryHigh")], T0 + 5)

    assert states(alerts) == [("MemoryHigh", AlertState.FIRING),
                              ("ContainerDown:web", AlertState.RESOLVED)]


def test_a_firing_warning_comes_before_a_pending_critical() -> None:
    tracker = AlertTracker({"HighErrorRate": 300.0})

    alerts = tracker.observe([on("HighErrorRate", severity=Severity.CRIT),
                              on("HighLatency", severity=Severity.WARN)], T0)

    assert states(alerts) == [("HighLatency", AlertState.FIRING),
                              ("HighErrorRate", AlertState.PENDING)]


def timeline(pattern: str, for_s: float, step: float = 60.0) -> list[tuple[float, str]]:
    """Feed one sample per character, `step` apart (1: condition true, 0: false); what
    the tracker says after each: (seconds since T0, state or '-' for no alert)."""
    tracker = AlertTracker({"HighLatency": for_s})
    out = []
    for i, c in enumerate(pattern):
        alerts = tracker.observe([on() if c == "1" else off()], T0 + i * step)
        out.append((i * step, alerts[0].state.value if alerts else "-"))
    return out


@pytest.mark.parametrize(("pattern", "for_s", "firing_at"), [
    ("111111111", 300.0, [300.0]),          # pending 0..240, firing at exactly 300
    ("111101111111", 300.0, [600.0]),       # false at 240: pending again from 300
    ("1111111", 0.0, [0.0]),                 # for 0: fires on the first sample
    ("11111", 240.0, [240.0]),
    ("1110111", 120.0, [120.0, 360.0]),    # resolved at 180, back at 240: a new `for`
    ("11111", 241.0, []),                    # never held long enough
])
def test_firing_times_follow_for_exactly(pattern: str, for_s: float,
                                         firing_at: list[float]) -> None:
    seen = timeline(pattern, for_s)
    became = [t for (t, s), (_, before) in zip(seen, [(0.0, "-"), *seen], strict=False)
              if s == "firing" and before != "firing"]
    assert became == firing_at


def test_a_timeline_reads_pending_firing_resolved_then_gone() -> None:
    tracker = AlertTracker({"HighLatency": 120.0}, resolved_keep_s=60.0)
    steps = [(0, on()), (60, on()), (120, on()), (180, off()), (240, off()), (241, off())]
    seen = [(t, [(a.state.value, a.since - T0, a.fired_at and a.fired_at - T0)
                 for a in tracker.observe([c], T0 + t)]) for t, c in steps]
    assert seen == [
        (0, [("pending", 0, None)]),
        (60, [("pending", 0, None)]),
        (120, [("firing", 120, 120)]),
        (180, [("resolved", 180, 120)]),
        (240, [("resolved", 180, 120)]),  # kept while now - since <= keep
        (241, []),
    ]


def test_a_condition_another_system_holds_pending_never_fires_here() -> None:
    tracker = AlertTracker({"HighLatency": 0.0})
    held = Condition("HighLatency", True, Severity.WARN, pending=True)
    seen = [tracker.observe([held], T0 + t)[0].state for t in (0, 600, 3600)]
    assert seen == [AlertState.PENDING] * 3
    # once the other system lets go, it fires (the condition held long enough)
    assert tracker.observe([on()], T0 + 3660)[0].state is AlertState.FIRING


def test_severity_maps_to_the_card_status() -> None:
    assert Severity.CRIT.status.value == "crit"
    assert Severity.WARN.status.value == "warn"


def test_severity_words_and_the_defaults_of_a_rule_and_a_condition() -> None:
    assert [s.value for s in Severity] == ["warn", "crit"]
    assert AlertRule() == AlertRule(None, 0.0, Severity.CRIT, None)
    cond = Condition("X", True)
    assert (cond.severity, cond.detail, cond.target, cond.pending, cond.key) == (
        Severity.CRIT, "", "", False, "X")
    assert Condition("X", True, target="/var").key == "X:/var"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cond.active = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        AlertRule().for_s = 1.0  # type: ignore[misc]
