"""Deterministic dashboard states for pilot and snapshot tests (no tests of its own).

States come from the real panels' `PanelWatch.judge()` over fixed samples, so the cards
show exactly what the rules decide; the app is built with a frozen clock and host name
and without its scheduler, and states are fed as the scheduler would post them.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from textual.pilot import Pilot

from panels.base import Panel, Probe
from panels.containers import ContainerInfo, ContainersPanel, ContainersSample
from panels.errors import ProbeError
from panels.health import HealthPanel, HealthSample
from panels.host import DiskUsage, HostPanel, HostSample
from panels.postgres import Backend, PostgresPanel, PostgresSample
from panels.redis import RedisPanel, RedisSample
from panels.traffic import TrafficPanel, TrafficSample
from panels.watch import PanelState, PanelWatch
from tests.timezone import utc as utc  # re-exported: snapshot tests take it from here
from tui.config.loader import Config, PanelSpec
from tui.dashboard.app import OpsdashApp
from tui.dashboard.messages import PanelUpdated

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
HOST = "web-1"
MIB = 1024 * 1024


def panels() -> list[Panel[Any]]:
    return [
        HealthPanel("api", url="http://127.0.0.1:8000/readyz"),
        TrafficPanel("api", metrics_url="http://127.0.0.1:8000/metrics"),
        PostgresPanel("main", dsn="postgresql://app:secret@127.0.0.1:5432/app"),
        RedisPanel("broker", url="redis://127.0.0.1:6379/0", queues=["celery", "emails"]),
        HostPanel("host", mounts=["/", "/var"]),
        ContainersPanel("containers", docker_host="unix:///run/docker.sock"),
    ]


def config_for(items: list[Panel[Any]], refresh: float = 1.0) -> Config:
    return Config(refresh=refresh,
                  panels=tuple(PanelSpec(p.kind, p.name, {}) for p in items))


def _health(i: int) -> HealthSample:
    return HealthSample(http_status=200, reason="OK", latency_ms=40 + 10 * math.sin(i / 3),
                        ok=True, checks={"database.ok": True, "jobs.ok": True}, failed=(),
                        freshness_s={}, content_type="application/json", body_bytes=64,
                        body_over_limit=False, body_excerpt='{"database":{"ok":true}}',
                        at=T0 + i)


def _traffic(i: int) -> TrafficSample:
    return TrafficSample(source="scrape", request_rate=120 + 30 * math.sin(i / 4),
                         error_ratio=0.004 + 0.002 * (i % 3), p95_ms=180 + 5 * (i % 7),
                         window_s=1.0)


def _postgres(i: int) -> PostgresSample:
    backends = (
        Backend(4242, "app", "app", "worker", "10.0.0.7", "active", 312.5, "Lock",
                "transactionid", (4243,), "UPDATE orders SET state = 'paid' WHERE id = $1"),
        Backend(4243, "app", "app", "api", "10.0.0.8", "idle in transaction", 95.0,
                "Client", "ClientRead", (), "SELECT * FROM orders WHERE id = $1 FOR UPDATE"),
        Backend(4250, "report", "app", "psql", None, "active", 4.2, None, None, (),
                "SELECT count(*) FROM events WHERE day > now() - interval '7 days'"),
        Backend(4301, "app", "app", "api", "10.0.0.9", "idle", 12.0, "Client", "ClientRead",
                (), "COMMIT"),
    )
    return PostgresSample(connections=40 + i % 5, max_connections=100,
                          by_state={"active": 2, "idle": 30, "idle in transaction": 1},
                          longest_query_s=312.5, longest_query_pid=4242, blocked=1,
                          idle_in_transaction=1, database_size_bytes=812 * MIB,
                          replication_lag_s=None, activity=backends)


def _redis(i: int) -> RedisSample:
    return RedisSample(ping_ms=0.4, used_memory_bytes=(20 + i % 9) * MIB,
                       maxmemory_bytes=256 * MIB, fragmentation=1.12, evicted_keys=0,
                       connected_clients=14, blocked_clients=2,
                       queues={"celery": 10 * i, "emails": 3})


def _host(i: int) -> HostSample:
    return HostSample(
        disks=(DiskUsage("/", 62.5, 40 * 1024 * MIB, 120 * 1024 * MIB, 37.5, 12.0),
               DiskUsage("/var", 88.0, 6 * 1024 * MIB, 50 * 1024 * MIB, 12.0, 30.0)),
        memory_used_pct=55.0 + i % 4, cpu_pct=20.0 + 15 * math.sin(i / 2) ** 2,
        load1=1.25, swap_used_pct=0.0, uptime_s=86400 * 3 + 3600)


def _containers(i: int) -> ContainersSample:
    def box(name: str, state: str, health: str | None = None, restarts: int = 0,
            exit_code: int | None = None) -> ContainerInfo:
        running = state == "running"
        return ContainerInfo(name, name[:12].ljust(12, "0"), "app:1.4", state, health, restarts,
                             3.5 if running else None, 64 * MIB if running else None,
                             512 * MIB if running else None, 7200.0 if running else None,
                             exit_code)
    return ContainersSample((box("api", "running", "healthy"), box("worker", "running"),
                             box("cron", "exited", restarts=3, exit_code=137)))


SAMPLES = {"health": _health, "traffic": _traffic, "postgres": _postgres, "redis": _redis,
           "host": _host, "containers": _containers}


def states(items: list[Panel[Any]], *, rounds: int = 30,
           failing: set[str] = frozenset()) -> list[PanelState]:  # type: ignore[assignment]
    """`rounds` polls of every panel at T0, T0+1, ...; kinds in `failing` go down for the
    last 8 rounds with "refused", so their card shows crit, the error class and staleness."""
    out: list[PanelState] = []
    watches = [PanelWatch(p) for p in items]
    for i in range(rounds):
        for watch in watches:
            kind = watch.panel.kind
            if kind in failing and i >= rounds - 8:
                probe: Probe[Any] = Probe(None, ProbeError("refused", "Connection refused"), 1.0)
            else:
                probe = Probe(SAMPLES[kind](i), None, 2.5)
            out.append(watch.judge(probe, T0 + i))
    return out


def frozen_app(items: list[Panel[Any]] | None = None, **kwargs: Any) -> OpsdashApp:
    items = items if items is not None else panels()
    return OpsdashApp(config_for(items), clock=lambda: T0 + 30, hostname=HOST,
                      autostart=False, **kwargs)


async def feed(pilot: Pilot[Any], fed: list[PanelState]) -> None:
    """What the scheduler does: record each state in history, post PanelUpdated."""
    app = pilot.app
    assert isinstance(app, OpsdashApp)
    for state in fed:
        app.history.record(state)
        app.post_message(PanelUpdated(state))
    await pilot.pause()
    await pilot.pause()


def keep_notifications(app: OpsdashApp, monkeypatch: pytest.MonkeyPatch
                       ) -> list[tuple[str, str]]:
    """Every (title, message) the app is asked to show, kept for the test.

    A toast leaves `app._notifications` when its timeout expires, which a loaded machine
    can spend before the test looks; this list keeps what was said. Textual's notify is
    still called, so the app behaves as it does for a user.
    """
    told: list[tuple[str, str]] = []
    real_notify = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        told.append((str(kwargs.get("title", "")), str(message)))
        real_notify(message, *args, **kwargs)

    monkeypatch.setattr(app, "notify", notify)
    return told
