"""The fleet's screenshots (`fleet.svg` 160x48, `fleet-drilldown.svg` 120x34), called by
export_screenshots.py with the demo services it already runs.

Starts a real Alertmanager (the Debian package's binary) on a free port the way the test
fixture does: a temp config with one do-nothing receiver, no clustering. Posts four
alerts of different severities and teams as Prometheus would, silences one through the
API, and shoots the dashboard with an `[[alertmanager]]` card beside the demo panels,
then the Alertmanager drill-down. Nothing here is drawn by hand.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.common import free_port, require_binary, stop_process, wait_for_port
from tests.fixtures.prometheus import AlertmanagerServer, _wait_ready
from tui.config.loader import Config, PanelSpec
from tui.dashboard.app import OpsdashApp

AM_ID = "alertmanager:prod"
RUNBOOKS = "https://runbooks.example.com"


@contextmanager
def running_alertmanager(home: Path) -> Iterator[AlertmanagerServer]:
    """A real Alertmanager in `home`, stopped on exit (as tests/fixtures/prometheus.py)."""
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager",
                            "alertmanager")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "alertmanager.yml"
    config.write_text("route:\n  receiver: 'null'\n  group_wait: 0s\n"
                      "receivers:\n  - name: 'null'\n")
    port = free_port()
    log = home / "alertmanager.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.path={home / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
             "--log.level=warn"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = AlertmanagerServer(f"http://127.0.0.1:{port}", proc)
    try:
        wait_for_port(port, proc=proc, log=log)
        _wait_ready(server.url, proc, log)
        yield server
    finally:
        stop_process(proc)


def fire_fleet(am: AlertmanagerServer) -> None:
    """A plausible night: a replica behind (db, critical), a cache near maxmemory (cache,
    warning), a disk filling (infra, warning, silenced by a colleague), the Watchdog."""
    am.fire("ReplicationLag", severity="critical",
            labels={"team": "db", "instance": "db-2:9187", "job": "postgres"},
            annotations={"summary": "replica db-2 is 94s behind the primary",
                         "description": "pg_replication_lag_seconds > 60 for 5m",
                         "runbook_url": f"{RUNBOOKS}/db.md#replication-lag"})
    am.fire("RedisMemoryHigh", severity="warning",
            labels={"team": "cache", "instance": "cache-1:9121", "job": "redis"},
            annotations={"summary": "cache-1 uses 91% of maxmemory",
                         "runbook_url": f"{RUNBOOKS}/redis.md#redis-memory-high"})
    am.fire("DiskFillingUp", severity="warning",
            labels={"team": "infra", "instance": "web-3:9100", "mountpoint": "/var"},
            annotations={"summary": "/var on web-3 fills within 6h"})
    am.fire("Watchdog", severity="none", labels={"team": "infra"},
            annotations={"summary": "the alerting pipeline works"})
    now = datetime.now(UTC)
    resp = httpx.post(f"{am.url}/api/v2/silences", timeout=5.0, json={
        "matchers": [{"name": "alertname", "value": "DiskFillingUp", "isRegex": False,
                      "isEqual": True}],
        "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=2)).isoformat(),
        "createdBy": "maria@ops-1", "comment": "cleanup scheduled at 09:00"})
    resp.raise_for_status()


def fleet_config(base: Config, am_url: str) -> Config:
    """The demo's panels with the fleet's card after them."""
    return Config(refresh=base.refresh, runbook_dirs=base.runbook_dirs,
                  runbook_map=base.runbook_map,
                  panels=(*base.panels, PanelSpec("alertmanager", "prod", {"url": am_url},
                                                  timeout=2.0)))


async def shoot_fleet(config: Config, out: Path,
                      wait_until: Callable[..., Any]) -> list[Path]:
    """The dashboard with the fleet card at 160x48, then its drill-down at 120x34."""
    saved: list[Path] = []
    app = OpsdashApp(config, title="opsdash", hostname="demo-host")

    def save(name: str) -> None:
        path = out / f"{name}.svg"
        app.save_screenshot(str(path))
        saved.append(path)

    async with app.run_test(size=(160, 48)) as pilot:
        def ready() -> bool:
            am = app.states.get(AM_ID)
            return (len(app.states) == len(config.panels) and am is not None
                    and am.metrics.get("silenced") == 1 and am.metrics.get("firing") == 3
                    and len(app.history.values("traffic:demo", "request_rate")) >= 8)

        await wait_until(pilot, ready)
        await pilot.pause(1.0)
        save("fleet")  # 160x48
        await pilot.resize_terminal(120, 34)
        await pilot.pause(0.5)
        app.open_drilldown(AM_ID)
        await pilot.pause(1.5)
        save("fleet-drilldown")  # 120x34
        await pilot.press("escape")
        await pilot.press("q")
    return saved


def wait_silenced(am: AlertmanagerServer, timeout: float = 10.0) -> None:
    """Alertmanager marks silenced alerts on its own clock: wait until it has."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any((a.get("status") or {}).get("silencedBy") for a in am.alerts()):
            return
        time.sleep(0.2)
