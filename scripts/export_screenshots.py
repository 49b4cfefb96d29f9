"""Regenerate the README's screenshots from the real app (`make screenshots`).

Starts its own real services: the embedded demo HTTP service (health, Prometheus
metrics, its own traffic) and a redis-server on a free port for the queue; watches them
and this host; then saves SVGs of the main screen, a drill-down, and a failing state
(the demo's `down` and `backlog` faults injected) into screenshots/, and the runbook
pane mid-incident (the demo runbook's ServiceDown section with its first step run) at
160x48 and 80x24; then the fleet (scripts/fleet_screenshots.py: a real Alertmanager with
four alerts, one silenced, as an `[[alertmanager]]` card beside the demo panels, and its
drill-down). Each file's size is in its name or is 160x48 (`main`, `runbook-pane`),
120x34 for the drill-downs and the failing state (`fleet` is 160x48,
`fleet-drilldown` 120x34).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from panels.base import Status  # noqa: E402
from scripts.fleet_screenshots import (  # noqa: E402
    fire_fleet,
    fleet_config,
    running_alertmanager,
    shoot_fleet,
    wait_silenced,
)
from tests.fixtures.common import free_port  # noqa: E402
from tests.fixtures.redis import RedisServer  # noqa: E402
from tui.commands.demo import QUEUE_ENV, RUNBOOK_SECTIONS, URL_ENV, demo_runbook_dir  # noqa: E402
from tui.config.loader import Config, PanelSpec  # noqa: E402
from tui.dashboard.app import OpsdashApp  # noqa: E402
from tui.dashboard.widgets.runbook_pane import RunbookPane  # noqa: E402
from tui.demo.service import DemoService  # noqa: E402

OUT = ROOT / "screenshots"


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0.2)


async def shoot(config: Config, service: DemoService) -> list[Path]:
    saved: list[Path] = []
    app = OpsdashApp(config, title="opsdash", hostname="demo-host")

    def save(name: str) -> None:
        path = OUT / f"{name}.svg"
        app.save_screenshot(str(path))
        saved.append(path)

    async with app.run_test(size=(160, 48)) as pilot:
        def traffic_ready() -> bool:
            state = app.states.get("traffic:demo")
            return bool(state and state.metrics.get("request_rate") is not None
                        and len(app.history.values("traffic:demo", "request_rate")) >= 8)

        await wait_until(pilot, lambda: len(app.states) == len(config.panels) and
                         traffic_ready())
        save("main")  # 160x48: cards, and history charts in the room left
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.5)
        save("main-80x24")
        await pilot.resize_terminal(120, 34)
        await pilot.pause(0.5)
        save("main-120x34")
        app.open_drilldown("traffic:demo")
        await pilot.pause(1.5)
        save("drilldown-traffic")
        await pilot.press("escape")
        service.inject("down")
        service.inject("backlog")
        queue = service.queue_key
        await wait_until(pilot, lambda: app.states["health:demo"].status is Status.CRIT
                         and app.states["redis:demo"].metrics.get("queues", {}).get(queue, 0) > 0)
        await pilot.pause(2.5)
        save("failing")
        app.open_drilldown("redis:demo")
        await pilot.pause(1.0)
        save("drilldown-redis")
        await pilot.press("escape")
        await pilot.resize_terminal(160, 48)
        await pilot.pause(0.5)
        await shoot_runbook_pane(pilot, app, save)
        await pilot.press("q")
    return saved


async def shoot_runbook_pane(pilot: Any, app: OpsdashApp, save: Callable[[str], None]) -> None:
    """`r` on the failing dashboard, then step 1 run: its real output beside the cards."""
    await pilot.press("r")
    await wait_until(pilot, lambda: bool(app.query(RunbookPane)))
    pane = app.query_one(RunbookPane)
    await pilot.press("enter")
    await wait_until(pilot, lambda: pane.session.record(0).runs == 1 and not pane.busy)
    await pilot.pause(1.0)
    save("runbook-pane")  # 160x48
    await pilot.resize_terminal(80, 24)
    await pilot.pause(1.0)
    save("runbook-pane-80x24")
    await pilot.resize_terminal(160, 48)
    await pilot.pause(0.5)
    await pilot.press("r")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="opsdash-shots-") as tmp:
        redis = RedisServer(Path(tmp), free_port())
        redis.start()
        redis_url = redis.url
        service = DemoService(redis_url=redis_url).start()
        os.environ[URL_ENV] = service.url  # the demo runbook's steps find the service here
        os.environ[QUEUE_ENV] = service.queue_key
        os.environ["XDG_STATE_HOME"] = tmp  # the drill's journal is not the user's
        try:
            config = Config(refresh=1.0, panels=(
                PanelSpec("health", "demo", {"url": f"{service.url}/readyz"}, timeout=2.0),
                PanelSpec("traffic", "demo", {"metrics_url": f"{service.url}/metrics"},
                          timeout=2.0),
                PanelSpec("redis", "demo", {"url": redis_url, "queues": [service.queue_key]},
                          timeout=2.0),
                PanelSpec("host", "host", {"mounts": ["/"]}),
            ), runbook_dirs=(demo_runbook_dir(),), runbook_map={
                alert: (f"runbook.md#{slug}",) for alert, slug in RUNBOOK_SECTIONS.items()})
            for path in asyncio.run(shoot(config, service)):
                print(f"wrote {path.relative_to(ROOT)}")
            service.recover()  # the fleet view: calm local panels, the fleet's alerts
            with running_alertmanager(Path(tmp) / "alertmanager") as am:
                fire_fleet(am)
                wait_silenced(am)
                for path in asyncio.run(shoot_fleet(fleet_config(config, am.url), OUT,
                                                    wait_until)):
                    print(f"wrote {path.relative_to(ROOT)}")
        finally:
            service.stop()
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
