"""The dashboard against real targets: outages seen live, recovery without a restart,
a hanging target that never stalls the UI, pause and refresh-now, the journal hook,
every connection closed on quit, and a Postgres backend cancelled from the drill-down.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from textual.pilot import Pilot

from panels.base import Panel, Status
from panels.health import HealthPanel
from panels.postgres import PostgresPanel
from panels.redis import RedisPanel
from tests.fixtures.common import free_port
from tests.fixtures.http import HTTPService
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.redis import RedisServer
from tests.test_app_support import config_for
from tui.dashboard.app import OpsdashApp
from tui.dashboard.screens.confirm import ConfirmScreen
from tui.dashboard.screens.help import HelpScreen
from tui.dashboard.screens.postgres import PostgresScreen
from tui.dashboard.widgets.card import PanelCard

REFRESH = 0.2
ROOT = Path(__file__).resolve().parent.parent


def live_app(items: list[Panel[Any]], **kwargs: Any) -> OpsdashApp:
    return OpsdashApp(config_for(items, refresh=REFRESH), panel_factory=lambda _: items,
                      hostname="test", **kwargs)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 15.0,
                what: str = "condition") -> None:
    """Let the app run until `condition` holds: live targets answer on their own time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def status(app: OpsdashApp, panel_id: str) -> Status | None:
    state = app.states.get(panel_id)
    return state.status if state else None


def card_text(app: OpsdashApp, panel_id: str) -> str:
    card = next(c for c in app.query(PanelCard) if c.panel_id == panel_id)
    return card.text()


async def test_redis_going_down_turns_the_card_crit_and_back_to_ok(
        redis_server: RedisServer) -> None:
    events: list[dict[str, Any]] = []
    app = live_app([RedisPanel("broker", url=redis_server.url, queues=["celery"])],
                   status_hook=events.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: status(app, "redis:broker") is Status.OK, what="redis ok")
        assert "OK" in card_text(app, "redis:broker")
        redis_server.stop()
        await until(pilot, lambda: status(app, "redis:broker") is Status.CRIT, what="crit")
        text = card_text(app, "redis:broker")
        assert "CRIT" in text and "refused" in text
        assert "stale" in text  # the age of the last good sample
        redis_server.start()
        await until(pilot, lambda: status(app, "redis:broker") is Status.OK, what="recovery")
        assert "OK" in card_text(app, "redis:broker")
        await until(pilot, lambda: any(e["type"] == "incident" and e["state"] == "closed"
                                       for e in events), what="two quiet polls")
    statuses = [e for e in events if e["type"] == "status"]
    changes = [(e["from"], e["to"]) for e in statuses]
    assert changes == [("ok", "crit"), ("crit", "ok")]
    assert statuses[0]["panel"] == "redis:broker"
    assert statuses[0]["alerts"] == ["RedisUnreachable"]
    # the alert and the incident around it are journaled too, whatever the screen showed
    assert [(e["type"], e.get("state"), e.get("name")) for e in events
            if e["type"] in ("alert", "incident")] == [
        ("incident", "opened", None), ("alert", "firing", "RedisUnreachable"),
        ("alert", "resolved", "RedisUnreachable"), ("incident", "closed", None)]


async def test_health_503_then_200_is_seen_without_restart(http_service: HTTPService) -> None:
    http_service.route("/readyz", body={"database": {"ok": True}})
    app = live_app([HealthPanel("api", url=http_service.url_for("/readyz"))])
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: status(app, "health:api") is Status.OK, what="ok")
        http_service.route("/readyz", status=503, body={"database": {"ok": False}})
        await until(pilot, lambda: status(app, "health:api") is Status.CRIT, what="crit")
        assert "HTTP 503" in card_text(app, "health:api")
        http_service.route("/readyz", body={"database": {"ok": True}})
        await until(pilot, lambda: status(app, "health:api") is Status.OK, what="recovery")


async def test_a_hanging_target_never_stalls_keys_or_other_panels(
        http_service: HTTPService, redis_server: RedisServer) -> None:
    http_service.route("/stuck", hang=True)
    hanging = HealthPanel("stuck", url=http_service.url_for("/stuck"), timeout=1.0)
    app = live_app([hanging, RedisPanel("broker", url=redis_server.url)])
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: status(app, "redis:broker") is Status.OK, what="redis")
        before = len(app.history.states("redis:broker"))
        # while /stuck holds its request open, keys still answer at once ...
        await pilot.press("right")
        assert isinstance(app.focused, PanelCard) and app.focused.panel_id == "redis:broker"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        # ... redis keeps being polled, and the stuck target turns crit by its timeout
        await until(pilot, lambda: status(app, "health:stuck") is Status.CRIT, timeout=5,
                    what="timeout crit")
        assert app.states["health:stuck"].error is not None
        assert app.states["health:stuck"].error.kind == "timeout"
        assert len(app.history.states("redis:broker")) > before + 2


async def test_pause_stops_polling_and_refresh_now_polls_once(
        http_service: HTTPService) -> None:
    http_service.route("/readyz", body={"ok": True})
    app = live_app([HealthPanel("api", url=http_service.url_for("/readyz"))])
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: http_service.hits("/readyz") >= 2, what="polls")
        await pilot.press("p")
        await pilot.pause(REFRESH * 2)  # let a poll that was in flight finish
        paused_at = http_service.hits("/readyz")
        await pilot.pause(REFRESH * 4)
        assert http_service.hits("/readyz") == paused_at
        await pilot.press("R")
        await until(pilot, lambda: http_service.hits("/readyz") == paused_at + 1,
                    what="refresh-now poll")
        await pilot.press("p")
        await until(pilot, lambda: http_service.hits("/readyz") >= paused_at + 3,
                    what="resumed polling")


async def test_quit_cancels_workers_and_closes_every_panel(redis_server: RedisServer) -> None:
    panel = RedisPanel("broker", url=redis_server.url)
    app = live_app([panel])
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: status(app, "redis:broker") is Status.OK, what="ok")
        assert panel._client is not None
        workers = [w for w in app.workers if w.name.startswith("poll ")]
        assert workers
        await pilot.press("q")
    assert app.return_code == 0
    assert panel._client is None  # aclose() ran
    assert all(w.is_finished for w in workers)


async def test_cancel_a_real_backend_from_the_postgres_drilldown(
        postgres_server: PostgresServer) -> None:
    sleeper = psycopg.connect(postgres_server.dsn, autocommit=True)
    pid = sleeper.info.backend_pid
    outcome: list[str] = []

    def sleep() -> None:
        try:
            sleeper.execute("SELECT pg_sleep(60)")
            outcome.append("finished")
        except psycopg.errors.QueryCanceled:
            outcome.append("cancelled")

    thread = threading.Thread(target=sleep, daemon=True)
    thread.start()
    app = live_app([PostgresPanel("main", dsn=postgres_server.dsn)])
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            def sleeping() -> bool:
                state = app.states.get("postgres:main")
                return state is not None and any(
                    b["pid"] == pid for b in state.extra.get("activity", []))

            await until(pilot, sleeping, what="the sleeping backend")
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, PostgresScreen)
            await until(pilot, lambda: screen.selected_backend() is not None, what="rows")
            await pilot.press("s", "s", "s")  # sort by pid: ours is the only pg_sleep
            table = screen.query_one("DataTable")
            for _ in range(table.row_count):  # type: ignore[attr-defined]
                selected = screen.selected_backend()
                if selected and selected["pid"] == pid:
                    break
                await pilot.press("down")
            await pilot.press("c")
            assert isinstance(app.screen, ConfirmScreen)
            assert f"pid {pid}" in str(app.screen.query_one("#confirm-text").render())
            await pilot.press("y")
            await until(pilot, lambda: bool(outcome), what="the cancel")
    finally:
        thread.join(timeout=5)
        sleeper.close()
    assert outcome == ["cancelled"]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_real_panels_fill_the_screen_at_both_sizes(
        size: tuple[int, int], redis_server: RedisServer, http_service: HTTPService) -> None:
    http_service.route("/readyz", body={"ok": True})
    app = live_app([HealthPanel("api", url=http_service.url_for("/readyz")),
                    RedisPanel("broker", url=redis_server.url)])
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: len(app.states) == 2, what="both panels")
        for card in app.query(PanelCard):
            assert card.region.right <= size[0]
            assert card.region.bottom <= size[1] - 1  # above the footer


class _TimedHealth(HealthPanel):
    """A real health panel that notes when each of its polls starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: list[float] = []

    async def collect(self) -> Any:
        self.starts.append(asyncio.get_running_loop().time())
        return await super().collect()


@pytest.mark.parametrize(("count", "offsets"), [
    (8, [0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75]),
    (4, [0.0, 0.25, 0.5, 0.75]),
    (6, [0.0, 0.0, 0.25, 0.5, 0.5, 0.75]),
    (1, [0.0]),
    (0, []),
])
def test_panels_are_dealt_across_four_phases(count: int, offsets: list[float]) -> None:
    from tui.dashboard.scheduler import phase_offsets

    assert phase_offsets(count) == offsets


async def test_polls_start_in_their_phases_and_keep_polling_on_their_interval(
        http_service: HTTPService) -> None:
    """Live: eight targets at 1 s each poll again and again; the order of their first
    polls follows their phases. Margins a loaded 2-core machine keeps: the schedule itself
    is pinned exactly by the test above."""
    http_service.route("/readyz", body={"ok": True})
    items = [_TimedHealth(f"svc{i}", url=http_service.url_for("/readyz")) for i in range(8)]
    app = OpsdashApp(config_for(list(items), refresh=1.0), panel_factory=lambda _: items,
                     hostname="test")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: all(len(p.starts) >= 3 for p in items), what="3 rounds")
    firsts = [p.starts[0] for p in items]
    # phase k's pair starts no later than phase k+1's (a quarter interval apart)
    for k in range(3):
        assert max(firsts[2 * k:2 * k + 2]) < min(firsts[2 * k + 2:2 * k + 4]) + 0.2
    for p in items:
        gaps = [b - a for a, b in zip(p.starts, p.starts[1:3], strict=False)]
        assert all(0.5 < g < 2.0 for g in gaps), gaps


async def test_refresh_now_while_paused_polls_once_and_stays_paused(
        http_service: HTTPService) -> None:
    http_service.route("/readyz", body={"ok": True})
    app = live_app([HealthPanel("api", url=http_service.url_for("/readyz"))])
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: http_service.hits("/readyz") >= 2, what="polls")
        await pilot.press("p")
        await pilot.pause(REFRESH * 2)
        paused_at = http_service.hits("/readyz")
        for presses in (1, 2):
            await pilot.press("R")
            await until(pilot, lambda n=presses: http_service.hits("/readyz") == paused_at + n,
                        what=f"refresh-now poll {presses}")
            await pilot.pause(REFRESH * 6)  # six intervals: still paused, nothing more
            assert http_service.hits("/readyz") == paused_at + presses
        assert app.paused is True


_STEADY_CHILD = """
import asyncio, json, sys
from pathlib import Path
from tui.cli import skip_unused_modules
skip_unused_modules()  # as `opsdash` does first
from tui.config.loader import load_config
from tui.dashboard.app import OpsdashApp
from tui.dashboard.widgets.card import PanelCard

polls = {}

def count(state):
    polls[state.panel_id] = polls.get(state.panel_id, 0) + 1

async def main():
    app = OpsdashApp(load_config(Path(sys.argv[1])), hostname="test")
    app.feed.subscribe(count)
    async with app.run_test(size=(160, 48)) as pilot:
        while len(polls) < 3 or min(polls.values()) < 3:
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        cards = {c.panel_id: c.text() for c in app.query(PanelCard)}
        summaries = {k: s.summary for k, s in app.states.items()}
        loaded = sorted({m.split(".")[0] for m in sys.modules}
                        & {"docker", "requests", "urllib3", "psycopg", "click", "pygments"})
    print(json.dumps({"cards": cards, "summaries": summaries, "loaded": loaded}))

asyncio.run(main())
"""


def test_steady_state_loads_no_docker_sdk_nor_psycopg_while_their_endpoints_refuse(
        tmp_path: Path) -> None:
    """A Docker socket that is not there and a Postgres port that refuses: three polls
    each in a fresh interpreter, and neither client library (~14 MiB) was imported,
    nor httpx's own CLI (click, pygments) beside a health card; the cards say what they
    always said."""
    port = free_port()
    sock = tmp_path / "no-docker" / "docker.sock"
    config = tmp_path / "opsdash.toml"
    config.write_text(f'refresh = 0.2\n\n[containers]\ndocker_host = "unix://{sock}"\n\n'
                      f'[[postgres]]\nname = "main"\n'
                      f'dsn = "postgresql://x@127.0.0.1:{port}/x"\n\n'
                      f'[[health]]\nname = "web"\nurl = "http://127.0.0.1:{free_port()}/"\n')
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    out = subprocess.run([sys.executable, "-c", _STEADY_CHILD, str(config)], env=env,
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])

    assert result["loaded"] == []
    del result["summaries"]["health:web"]  # httpx's words: not this test's concern
    assert result["summaries"] == {
        "containers:containers": f"absent: no Docker engine at unix://{sock} (no socket)",
        "postgres:main": f'refused: connection failed: connection to server at "127.0.0.1", '
                         f"port {port} failed: Connection refused Is the server running on "
                         "that host and accepting TCP/IP connections?"}
    assert "no Docker engine" in result["cards"]["containers:containers"]
    assert "refused" in result["cards"]["postgres:main"]


async def test_a_drilldown_whose_widgets_are_gone_lets_new_states_pass(
        postgres_server: PostgresServer) -> None:
    """Quitting removes a screen's widgets before its on_unmount unsubscribes it from the
    feed: a state arriving in between must not raise NoMatches out of the app."""
    app = live_app([PostgresPanel("main", dsn=postgres_server.dsn)])
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: "postgres:main" in app.states, what="a first poll")
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, PostgresScreen)
        shown = screen.state
        assert shown is not None
        await screen.query("*").remove()
        app.feed.publish(replace(shown, updated_at=shown.updated_at + 1))
        assert screen.state is shown
