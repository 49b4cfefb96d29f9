"""Replay: a recorded fault and its recovery played back in the same dashboard.

States are judged by the real health panel's rules at fixed times and written with the
recorder's own store API; the app is started over that store the way `opsdash replay`
starts it: no panel is built, nothing is polled, nothing runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from panels.base import Panel, Probe
from panels.errors import ProbeError
from panels.health import HealthPanel
from panels.watch import PanelState, PanelWatch
from tests.test_app_keys import header_text
from tests.test_app_support import SAMPLES, T0, keep_notifications, utc  # noqa: F401 - fixture
from tests.test_runbook_pane import wait_until
from tui.cli import main
from tui.commands.replay import incident_start, parse_time, replay_config
from tui.config.model import Config
from tui.dashboard.replay import ReplayApp
from tui.dashboard.widgets.card import PanelCard
from tui.errors import UsageError
from tui.incident.recording import RecordingStore
from tui.incident.replay import ReplayClock, ReplayCursor

#: the API answers for 60 s, is refused for 60 s (ServiceDown, crit), then answers again
FAULT_AT = T0 + 60
RECOVERED_AT = T0 + 120
END = T0 + 180


def health_states() -> list[PanelState]:
    watch = PanelWatch(HealthPanel("api", url="http://127.0.0.1:8000/readyz"))
    out = []
    for i in range(0, 180, 2):
        down = 60 <= i < 120
        probe = (Probe(None, ProbeError("refused", "Connection refused"), 1.0) if down
                 else Probe(SAMPLES["health"](i), None, 2.0))
        out.append(watch.judge(probe, T0 + i))
    return out


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    store = RecordingStore.open(tmp_path / "recording.sqlite")
    store.write(health_states())
    return store


def test_a_recorded_state_comes_back_as_it_was_written(store: RecordingStore) -> None:
    written = health_states()
    back = store.states_between(T0, END)
    assert len(back) == len(written) == 90
    fault = back[30]
    assert (fault.updated_at, fault.status.value, fault.summary) == (
        FAULT_AT, "crit", "refused: Connection refused")
    assert [(a.name, a.state.value) for a in fault.alerts] == [("ServiceDown", "firing")]
    assert fault.metrics == json.loads(json.dumps(written[30].metrics))
    assert fault.last_ok_at == T0 + 58
    assert [(s.status, s.alerts, s.series_value) for s in back] == [
        (s.status, s.alerts, s.series_value) for s in written]


def test_cursor_plays_in_recorded_order_and_seeks(store: RecordingStore) -> None:
    cursor = ReplayCursor(store, T0 + 59)
    assert [s.updated_at for s in cursor.due(T0 + 64)] == [T0 + 60, T0 + 62, T0 + 64]
    window = cursor.seek(T0 + 10, window_s=6)
    assert [s.updated_at for s in window] == [T0 + 4, T0 + 6, T0 + 8, T0 + 10]
    popped = cursor.pop()
    assert popped is not None and popped.updated_at == T0 + 12
    assert store.next_change(T0) == FAULT_AT
    assert store.next_change(FAULT_AT) == RECOVERED_AT
    assert store.next_change(RECOVERED_AT) is None


def test_replay_clock_moves_at_speed_and_stands_still_when_paused() -> None:
    now = [100.0]
    clock = ReplayClock(T0, 4.0, monotonic=lambda: now[0])
    now[0] += 2.5
    assert clock.now() == T0 + 10
    clock.pause()
    now[0] += 5
    assert clock.now() == T0 + 10
    clock.resume()
    now[0] += 1
    assert clock.now() == T0 + 14


def _no_panels(config: Config) -> list[Panel[Any]]:
    raise AssertionError("replay must not build a panel")


async def test_replay_shows_the_fault_then_the_recovery_and_polls_nothing(
        store: RecordingStore, utc: None) -> None:  # noqa: F811
    config = replay_config(store, None)
    built: list[Config] = []

    def factory(config: Config) -> list[Panel[Any]]:
        built.append(config)
        return _no_panels(config)

    app = ReplayApp(config, store, start=FAULT_AT + 30, paused=True, hostname="web-1",
                    panel_factory=factory)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        card = app.query_one("#card-health-api", PanelCard)
        assert card.has_class("-crit")
        assert any(line.rstrip().endswith("refused · stale 32s")
                   for line in card.text().splitlines())  # the note line
        text = header_text(app)
        assert "REPLAY 2023-11-14" in text
        assert "22:14:50" in text  # the recorded time, T0 + 90, not the wall clock
        assert "CRIT ServiceDown" in text  # the header names the firing alert

        await pilot.press("greater_than_sign")  # one minute on: T0 + 150, recovered
        await pilot.pause()
        await pilot.pause()
        assert card.has_class("-ok")
        assert "22:15:50" in header_text(app)

        await pilot.press("less_than_sign")
        await pilot.pause()
        await pilot.pause()
        assert card.has_class("-crit")
        # history was rebuilt from the recording: ten minutes before T0 + 90, every 2 s
        assert [round(t - T0) for t, _ in app.history.points("health:api")][-3:] == [
            54, 56, 58]
        assert len(app.history.states("health:api")) == 20

        await pilot.press("n")  # the next status change: the recovery at T0 + 120
        await pilot.pause()
        await pilot.pause()
        assert card.has_class("-ok")
        assert "22:15:20" in header_text(app)

        await pilot.press("full_stop")  # exactly one more sample, and still paused
        await pilot.pause()
        latest = app.history.latest("health:api")
        assert latest is not None and latest.updated_at == RECOVERED_AT + 2
        assert app.replay_clock.paused and app.replay_clock.now() == RECOVERED_AT + 2

        await pilot.press("space")
        assert not app.replay_clock.paused
        assert "⏵ REPLAY" in header_text(app)
        await pilot.press("space")
        assert app.replay_clock.paused
        assert "⏸ REPLAY" in header_text(app)

        assert app.read_only and app.replaying
        assert app.scheduler is None and app.recorder is None
    assert built == []


async def test_replay_plays_forward_on_its_own_and_stops_at_the_end(
        store: RecordingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # speed 20: the recorded minute of outage lasts 3 s here, so a loop stalled by a busy
    # machine still shows it; the test waits for what it checks, never for the clock
    app = ReplayApp(replay_config(store, None), store, start=FAULT_AT - 1, speed=20.0,
                    hostname="web-1")
    told = keep_notifications(app, monkeypatch)  # a toast may expire before we look
    # every status the card was given, kept: the 3 s of outage can pass while a busy
    # machine stalls the test between two looks at the card
    shown: list[str] = []
    app.feed.subscribe(lambda s: shown.append(s.status.value)
                       if s.panel_id == "health:api" else None)
    async with app.run_test(size=(100, 30)) as pilot:
        card = app.query_one("#card-health-api", PanelCard)
        await wait_until(pilot, lambda: "crit" in shown, timeout=30, what="the fault shown")
        assert app.replay_clock.now() >= FAULT_AT
        # on to the end of the recording: it holds there, paused, and says so
        await wait_until(pilot, lambda: app.replay_clock.paused, timeout=60,
                         what="the end of the recording")
        await pilot.pause()
        assert app.replay_clock.now() == END - 2  # the last sample, T0 + 178
        assert card.has_class("-ok")
        assert any("end of the recording" in message for _, message in told)


async def test_replay_pane_opens_but_nothing_runs(store: RecordingStore,
                                                 tmp_path: Path) -> None:
    from tui.dashboard.widgets.runbook_pane import RunbookPane

    marker = tmp_path / "ran"
    book = tmp_path / "books"
    book.mkdir()
    (book / "down.md").write_text(
        "---\nalerts: [ServiceDown]\n---\n# ServiceDown\n\n## Check\n\n"
        f"1. Look:\n\n   ```bash\n   touch {marker}\n   ```\n")
    app = ReplayApp(replay_config(store, None, (book,)), store, start=FAULT_AT + 10,
                    paused=True, hostname="web-1")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await wait_until(pilot, lambda: bool(app.query(RunbookPane)))
        pane = app.query_one(RunbookPane)
        pane.run_step(0)
        await pilot.pause()
        assert pane.running_worker() is None
        assert not marker.exists()
        assert any("replay: nothing runs" in str(n.message) for n in app._notifications)


def test_at_accepts_relative_clock_and_iso_times(utc: None) -> None:  # noqa: F811
    now = T0 + 3600  # 23:13:20 UTC
    assert parse_time("-10m", now) == now - 600
    assert parse_time("22:30", now) == T0 + 1000
    assert parse_time("23:30", now) == T0 + 1000 + 3600 - 86400  # still ahead: yesterday
    assert parse_time("2023-11-14T22:13:20+00:00", now) == T0
    assert parse_time("2023-11-14 22:13:20", now) == T0  # local (UTC here)
    with pytest.raises(UsageError, match="not a time"):
        parse_time("tea time", now)
    with pytest.raises(UsageError, match="not a time of day"):
        parse_time("25:00", now)


def test_incident_starts_thirty_seconds_before_its_firing() -> None:
    events = [{"ts": T0, "type": "alert", "name": "ServiceDown", "state": "firing"},
              {"ts": T0 + 50, "type": "alert", "name": "ServiceDown", "state": "resolved"},
              {"ts": T0 + 900, "type": "status", "panel": "x", "from": "ok", "to": "crit"},
              {"ts": T0 + 1000, "type": "alert", "name": "DiskFull", "state": "firing"}]
    assert incident_start(events, 1) == T0 - 30
    assert incident_start(events, 2) == T0 + 970
    with pytest.raises(UsageError, match="records 2 incident"):
        incident_start(events, 3)
    with pytest.raises(UsageError, match="records no incident"):
        incident_start([], 1)


def test_replay_of_a_missing_recording_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.sqlite"
    assert main(["replay", "--recording", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == (f"opsdash: no recording at {missing}: the dashboard writes one while it "
                   "runs ([recording] in the config)\n")
    assert not missing.exists()


def test_replay_refuses_a_bad_speed_and_a_file_that_is_not_a_recording(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--speed", "0"]) == 2
    assert capsys.readouterr().err == "opsdash: --speed must be a number > 0, got 0\n"
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not sqlite at all, just text long enough to be a header" * 4)
    assert main(["replay", "--recording", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"opsdash: {junk}: not a readable recording") and err.count("\n") == 1


def test_replay_incident_beyond_the_journal_is_one_line_and_exit_2(
        store: RecordingStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from runbooks.journal import Journal

    journal = Journal(tmp_path / "journal.jsonl")
    journal.append({"ts": FAULT_AT, "type": "alert", "name": "ServiceDown",
                    "state": "firing", "panel": "health:api"})
    journal.append({"ts": RECOVERED_AT, "type": "alert", "name": "ServiceDown",
                    "state": "resolved", "panel": "health:api"})
    assert main(["replay", "--recording", str(store.path), "--journal",
                 str(journal.path), "--incident", "2"]) == 2
    assert capsys.readouterr().err == (
        "opsdash: --incident 2: the journal records 1 incident(s), number them 1 to 1\n")
