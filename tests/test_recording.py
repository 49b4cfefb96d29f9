"""The recording: a running dashboard's states land in SQLite (WAL), off the event loop;
retention keeps it inside its age and size; a store that cannot be written warns once.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from panels.base import Status
from panels.watch import PanelState
from tests.test_app_support import T0, keep_notifications, panels, states
from tests.test_config import config_error, write
from tests.test_runbook_pane import wait_until
from tui.config.loader import load_config
from tui.config.model import Config, PanelSpec, RecordingSettings
from tui.dashboard.app import OpsdashApp
from tui.incident.recording import (
    Recorder,
    RecordingStore,
    default_recording_path,
    recording_path,
)


def synthetic(i: int, pad: int = 0) -> PanelState:
    """One state a second from T0, optionally padded (with hex noise: it must not simply
    compress away) to make rows heavy."""
    noise = f"{random.Random(i).getrandbits(pad * 4):0{pad}x}" if pad else ""
    return PanelState(panel_id="host:host", kind="host", name="host", target="host",
                      status=Status.OK, summary=f"sample {i}",
                      metrics={"cpu_pct": float(i % 100), "pad": noise}, alerts=(),
                      error=None, updated_at=T0 + i, duration_ms=1.0, series_value=float(i))


def test_default_path_is_in_the_state_dir_that_xdg_moves() -> None:
    expected = Path(os.environ["XDG_STATE_HOME"]) / "opsdash" / "recording.sqlite"
    assert default_recording_path() == expected
    assert recording_path(RecordingSettings()) == expected
    assert recording_path(RecordingSettings(path=Path("/x/r.sqlite"))) == Path("/x/r.sqlite")


def test_recording_table_is_read_with_defaults_and_relative_path(tmp_path: Path) -> None:
    default = load_config(write(tmp_path, "refresh = 1\n")).recording
    assert default == RecordingSettings(enabled=True, path=None, keep_s=86400.0, max_mb=200.0)
    assert default.max_bytes == 200 * 1024 * 1024
    path = write(tmp_path, '[recording]\npath = "rec/r.sqlite"\nkeep = "1h30m"\n'
                           "max_mb = 50\nenabled = false\n")
    assert load_config(path).recording == RecordingSettings(
        enabled=False, path=tmp_path / "rec" / "r.sqlite", keep_s=5400.0, max_mb=50.0)


@pytest.mark.parametrize(("body", "error"), [
    ('[recording]\nkepe = "1h"\n', '2: "recording.kepe": unknown key (did you mean "keep"?)'),
    ('[recording]\nkeep = "a day"\n',
     "2: \"recording.keep\": bad duration 'a day' (use e.g. \"30s\", \"10m\", \"1h30m\")"),
    ('[recording]\nkeep = "0s"\n', '2: "recording.keep": must be longer than 0s'),
    ('[recording]\nmax_mb = "big"\n',
     "2: \"recording.max_mb\": expected a number of megabytes, got the string 'big'"),
    ("[recording]\nmax_mb = -1\n", '2: "recording.max_mb": must be a number > 0, got -1'),
    ('[recording]\nenabled = "yes"\n',
     "2: \"recording.enabled\": expected true/false, got the string 'yes'"),
    ('recording = "on"\n', "1: \"recording\": expected a table, got the string 'on'"),
])
def test_recording_mistakes_are_one_line_errors(tmp_path: Path, body: str, error: str) -> None:
    assert config_error(tmp_path, body) == error


def test_states_are_written_in_one_batch_with_wal_on(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    recorder = Recorder(RecordingSettings(path=path))
    fed = states(panels(), rounds=5, failing={"redis"})
    for state in fed:
        recorder.offer(state)
    assert not path.exists()  # offering does no I/O
    assert recorder.flush() == 30
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM samples").fetchone() == (30,)
    store = RecordingStore.open(path, create=False)
    last = store.states_between(T0 + 4, T0 + 4)
    store.close()
    rows = [(s.panel_id, s.status.value, s.error.kind if s.error else None) for s in last]
    assert rows == [("health:api", "ok", None), ("traffic:api", "ok", None),
                    ("postgres:main", "warn", None), ("redis:broker", "crit", "refused"),
                    ("host:host", "warn", None), ("containers:containers", "crit", None)]


async def test_a_running_dashboard_records_its_real_panels_off_the_loop(
        tmp_path: Path) -> None:
    path = tmp_path / "recording.sqlite"
    config = Config(refresh=0.3, panels=(PanelSpec("host", "host", {}),),
                    recording=RecordingSettings(path=path))
    app = OpsdashApp(config, hostname="web-1")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.recorder is not None and app.recorder.written >= 3,
                         what="three recorded polls")
        recorder = app.recorder
        assert recorder is not None
        shown = app.states["host:host"]
        assert [t.name for t in threading.enumerate()].count("opsdash-recorder") == 1
    # quitting wrote what was queued and stopped the thread
    assert "opsdash-recorder" not in [t.name for t in threading.enumerate()]
    store = RecordingStore.open(path, create=False)
    try:
        assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert store.panels() == [("host:host", "host", "host")]
        back = store.states_between(0, shown.updated_at)
        assert back[-1].updated_at == shown.updated_at
        assert back[-1].status == shown.status
        assert back[-1].metrics["memory_used_pct"] == shown.metrics["memory_used_pct"]
        assert store.count() == recorder.written
    finally:
        store.close()


def test_retention_by_age_deletes_exactly_what_is_older(tmp_path: Path) -> None:
    store = RecordingStore.open(tmp_path / "r.sqlite")
    store.write(synthetic(i) for i in range(100))
    pruned = store.prune(T0 + 99, keep_s=30, max_bytes=10**9)
    assert (pruned.by_age, pruned.by_size) == (69, 0)
    assert store.count() == 31
    assert store.bounds() == (T0 + 69, T0 + 99)
    assert store.prune(T0 + 99, keep_s=30, max_bytes=10**9).by_age == 0


def test_retention_by_size_drops_the_oldest_and_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    store = RecordingStore.open(path)
    store.write(synthetic(i, pad=400) for i in range(6000))
    store.prune(T0, keep_s=10**9, max_bytes=10**9)  # checkpoint: the WAL folds in
    before = store.file_bytes()
    assert before > 1_500_000
    limit = 1024 * 1024
    pruned = store.prune(T0 + 5999, keep_s=10**9, max_bytes=limit)
    kept = store.count()
    assert pruned.by_age == 0 and pruned.by_size == 6000 - kept
    assert 0 < kept < 6000
    assert pruned.size_bytes <= limit
    assert store.file_bytes() <= limit  # pages handed back, WAL truncated
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    # what is left is the newest run, whole
    assert store.bounds() == (T0 + 6000 - kept, T0 + 5999)


def test_a_locked_store_warns_once_and_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    RecordingStore.open(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    warnings: list[str] = []
    recorder = Recorder(RecordingSettings(path=path), on_warning=warnings.append,
                        busy_timeout=0.05)
    try:
        for i in range(3):
            recorder.offer(synthetic(i))
            assert recorder.flush() == 0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert warnings == [f"cannot open the recording {path}: database is locked "
                        "(panels are not being recorded)"]
    recorder.offer(synthetic(9))
    assert recorder.flush() == 1  # the lock went away: recording goes on


async def test_an_unwritable_recording_is_one_notification_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()  # a directory where the file should be: sqlite cannot open it
    config = Config(refresh=0.3, panels=(PanelSpec("host", "host", {}),),
                    recording=RecordingSettings(path=folder))
    app = OpsdashApp(config, hostname="web-1")
    kept = keep_notifications(app, monkeypatch)  # the 10 s toast may expire before we look
    async with app.run_test(size=(80, 24)) as pilot:
        def told() -> list[str]:
            return [message for title, message in kept if title == "recording"]

        await wait_until(pilot, lambda: bool(told()), what="the recording warning")
        await pilot.pause(2.5)  # two more flushes fail quietly
        assert told() == [f"cannot open the recording {folder}: unable to open database "
                          "file (panels are not being recorded)"]
        assert "host:host" in app.states  # the panel goes on


def test_disabled_recording_starts_no_recorder() -> None:
    app = OpsdashApp(Config(recording=replace(RecordingSettings(), enabled=False)),
                     hostname="web-1", autostart=False)
    app.start_recording()
    assert app.recorder is None
