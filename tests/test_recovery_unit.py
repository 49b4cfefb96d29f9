"""The recovery watch on hand-made polls: when a recovery is declared, flapping, exact times.

No panel, no server: each poll is a PanelState carrying the alert in the state the poll
saw, at an exact time, so every count and duration below is pinned.
"""

from __future__ import annotations

import dataclasses

import pytest

from panels.alerts import Alert, AlertState, Severity
from panels.base import Status
from panels.watch import PanelState
from tests.timezone import utc  # noqa: F401 - fixture
from tui.incident.recovery import CONFIRM_POLLS, Recovery, RecoveryWatch, clock

T0 = 1_700_000_000.0
PANEL = "health:api"


@pytest.fixture(autouse=True)
def _utc(utc: None) -> None:  # noqa: F811
    """clock() prints local time: the shared UTC pin, for every test here."""


def alert(state: AlertState, at: float, fired_at: float | None = None,
          name: str = "ServiceDown", target: str = "") -> Alert:
    return Alert(name, state, Severity.CRIT, since=at, active_since=at, target=target,
                 fired_at=fired_at)


def poll(at: float, *alerts: Alert, panel: str = PANEL,
         status: Status = Status.CRIT) -> PanelState:
    return PanelState(panel_id=panel, kind="health", name="api", target="api",
                      status=status, summary="", metrics={}, alerts=alerts, error=None,
                      updated_at=at, duration_ms=1.0)


FIRED = alert(AlertState.FIRING, T0, fired_at=T0)


def polls(pattern: str, start: float = T0 + 10, step: float = 10.0) -> list[PanelState]:
    """One poll per character, `step` apart: f firing, r resolved, p pending, _ absent."""
    out = []
    for i, c in enumerate(pattern):
        at = start + i * step
        if c == "f":
            out.append(poll(at, alert(AlertState.FIRING, T0, fired_at=T0)))
        elif c == "r":
            out.append(poll(at, alert(AlertState.RESOLVED, at, fired_at=T0), status=Status.OK))
        elif c == "p":
            out.append(poll(at, alert(AlertState.PENDING, at)))
        else:
            out.append(poll(at, status=Status.OK))
    return out


def feed(watch: RecoveryWatch, states: list[PanelState]) -> list[Recovery | None]:
    return [watch.observe(s) for s in states]


def test_two_resolved_polls_are_needed_by_default() -> None:
    assert CONFIRM_POLLS == 2
    watch = RecoveryWatch(PANEL, FIRED)
    seen = feed(watch, polls("frrr"))
    assert seen[:2] == [None, None] and seen[3] is None
    assert seen[2] == Recovery("ServiceDown", PANEL, T0, T0 + 20)
    assert seen[2] is not None and seen[2].seconds == 20.0
    assert watch.recovery == seen[2]


@pytest.mark.parametrize(("confirm", "pattern", "at"), [
    (1, "fr", 1), (3, "frrr", 3), (3, "frrfrrr", 6), (2, "rr", 1), (2, "f_r", 2),
])
def test_recovery_is_declared_on_the_confirming_poll(confirm: int, pattern: str,
                                                     at: int) -> None:
    watch = RecoveryWatch(PANEL, FIRED, confirm_polls=confirm)
    seen = feed(watch, polls(pattern))
    assert [i for i, r in enumerate(seen) if r is not None] == [at]


def test_flapping_resets_the_count_and_the_recovery_is_timed_from_the_last_resolution() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    seen = feed(watch, polls("frfrfrr"))  # polls at +10 .. +70
    assert seen[:6] == [None] * 6
    assert seen[6] == Recovery("ServiceDown", PANEL, T0, T0 + 60)
    assert watch.first_resolved_at == T0 + 60


def test_a_pending_alert_is_not_resolved_and_resets_confirmation() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    seen = feed(watch, polls("rprr"))
    assert seen == [None, None, None, Recovery("ServiceDown", PANEL, T0, T0 + 30)]


def test_an_alert_gone_from_the_poll_counts_as_resolved() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    assert feed(watch, polls("__")) == [None, Recovery("ServiceDown", PANEL, T0, T0 + 10)]
    assert watch.live is None


def test_other_panels_and_a_repeated_poll_are_ignored() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    other = poll(T0 + 10, panel="health:web", status=Status.OK)
    first = polls("r")[0]
    assert watch.observe(other) is None and watch.resolved_polls == 0
    assert watch.observe(first) is None and watch.resolved_polls == 1
    assert watch.observe(first) is None and watch.resolved_polls == 1
    assert watch.panel_status == "ok"


def test_another_alert_on_the_panel_is_not_this_one() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    other = alert(AlertState.FIRING, T0, fired_at=T0, name="HighLatency")
    seen = [watch.observe(poll(T0 + 10, other)), watch.observe(poll(T0 + 20, other))]
    assert seen[1] == Recovery("ServiceDown", PANEL, T0, T0 + 10)


def test_targets_are_told_apart_by_key() -> None:
    disk = alert(AlertState.FIRING, T0, fired_at=T0, name="DiskFull", target="/var")
    watch = RecoveryWatch(PANEL, disk)
    root = alert(AlertState.FIRING, T0, fired_at=T0, name="DiskFull", target="/")
    watch.observe(poll(T0 + 10, root, disk))
    assert watch.resolved_polls == 0
    watch.observe(poll(T0 + 20, root))
    assert watch.resolved_polls == 1


def test_after_a_recovery_a_new_firing_is_a_new_episode_timed_from_its_own_firing() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    feed(watch, polls("rr"))
    assert watch.recovery is not None
    again = alert(AlertState.FIRING, T0 + 100, fired_at=T0 + 100)
    assert watch.observe(poll(T0 + 100, again)) is None
    assert watch.recovery is None and watch.fired_at == T0 + 100
    second = [watch.observe(poll(T0 + 130 + 10 * i, alert(AlertState.RESOLVED, T0 + 130,
                                                          fired_at=T0 + 100)))
              for i in range(2)]
    assert second == [None, Recovery("ServiceDown", PANEL, T0 + 100, T0 + 130)]


def test_once_recovered_more_resolved_polls_change_nothing() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    seen = feed(watch, polls("rrrr"))
    assert [r is not None for r in seen] == [False, True, False, False]
    assert watch.recovery == Recovery("ServiceDown", PANEL, T0, T0 + 10)
    assert watch.resolved_polls == 2


def test_fired_at_falls_back_to_since_and_a_firing_poll_adopts_the_real_firing_time() -> None:
    pending = alert(AlertState.PENDING, T0 - 50)
    watch = RecoveryWatch(PANEL, pending)
    assert watch.fired_at == T0 - 50
    watch.observe(poll(T0 + 10, alert(AlertState.FIRING, T0 - 50, fired_at=T0 - 20)))
    assert watch.fired_at == T0 - 20
    # a firing alert without fired_at leaves the one known
    watch.observe(poll(T0 + 20, alert(AlertState.FIRING, T0 - 50)))
    assert watch.fired_at == T0 - 20


def test_seconds_never_go_negative() -> None:
    assert Recovery("A", PANEL, T0 + 5, T0).seconds == 0.0
    assert Recovery("A", PANEL, T0, T0 + 2.5).seconds == 2.5


def test_describe_says_firing_confirming_pending_and_recovered_exactly() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    watch.observe(polls("f")[0])
    assert watch.describe(T0 + 185) == "✖ ServiceDown firing for 3m 05s · health:api CRIT"
    watch.observe(polls("r", start=T0 + 190)[0])
    assert watch.describe(T0 + 191) == (
        "◐ ServiceDown resolved, confirming (1/2 polls) · health:api OK")
    watch.observe(poll(T0 + 200, alert(AlertState.PENDING, T0 + 200), status=Status.WARN))
    assert watch.describe(T0 + 201) == "▲ ServiceDown pending again · health:api WARN"
    feed(watch, polls("rr", start=T0 + 210))
    assert watch.describe(T0 + 999) == (
        "✔ recovered: ServiceDown resolved 3m 30s after it fired (22:13:20 → 22:16:50)")


def test_describe_before_any_poll_has_no_status() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    assert watch.describe(T0 + 4.25) == "✖ ServiceDown firing for 4.2s · health:api"


def test_clock_is_local_hours_minutes_seconds() -> None:
    assert clock(T0) == "22:13:20"
    assert clock(T0 + 3661) == "23:14:21"


def test_a_recovery_is_an_immutable_value() -> None:
    # a Recovery is handed to the pane and the record: nobody may rewrite its times
    recovery = Recovery("A", PANEL, T0, T0 + 2.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        recovery.recovered_at = T0  # type: ignore[misc]
    assert hash(recovery) == hash(Recovery("A", PANEL, T0, T0 + 2.5))


def test_a_new_watch_starts_firing_with_nothing_confirmed() -> None:
    watch = RecoveryWatch(PANEL, FIRED)
    assert (watch.live, watch.resolved_polls, watch.first_resolved_at, watch.recovery,
            watch.panel_status, watch.confirm_polls) == (AlertState.FIRING, 0, None, None, "", 2)
    # the last poll's time is bookkeeping, not part of what the watch shows
    assert "_last_poll" not in repr(watch)
    assert repr(watch).startswith("RecoveryWatch(panel_id='health:api', alert=Alert(")
