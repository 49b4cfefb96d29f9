"""Any host's vitals: a real node_exporter, scraped by a real Prometheus, read by the
host panel over the HTTP API, checked against this machine's own readings."""

from __future__ import annotations

import asyncio
import math
import os
import time
from pathlib import Path

import psutil
import pytest

from panels.base import AlertRule, Severity, Status
from panels.host import HostPanel
from panels.host_prom import HostPromPanel
from panels.watch import PanelState, PanelWatch
from tests.fixtures.common import free_port
from tests.fixtures.prometheus import NodeExporter, PrometheusServer, StartPrometheus
from tests.test_check_command import check

NEVER_FULL = {"DiskFull": AlertRule(0.0, 0.0, Severity.CRIT, warn=0.0),
              "MemoryHigh": AlertRule(1.0, 0.0, Severity.WARN)}


@pytest.fixture
def scraped_node(start_prometheus: StartPrometheus,
                 node_exporter: NodeExporter) -> tuple[PrometheusServer, NodeExporter]:
    """Prometheus holding two scrapes of node_exporter: enough for rate() over CPU time."""
    prom = start_prometheus([node_exporter.instance])
    prom.wait_for_target_up(timeout=30.0)
    prom.wait_for_value(f'count_over_time(node_load1{{instance="{node_exporter.instance}"}}[1m])',
                        lambda v: v >= 2, timeout=20.0)
    return prom, node_exporter


async def _poll_until(panel: HostPanel, ready: str, timeout: float = 20.0) -> PanelState:
    """Poll until metric `ready` has a value (Prometheus may lag a scrape behind)."""
    watch = PanelWatch(panel)
    deadline = time.monotonic() + timeout
    try:
        while True:
            state = await watch.poll()
            if state.metrics.get(ready) is not None or time.monotonic() > deadline:
                return state
            await asyncio.sleep(0.5)
    finally:
        await panel.aclose()


async def test_a_node_exporter_target_reads_as_this_machine_does(
        scraped_node: tuple[PrometheusServer, NodeExporter]) -> None:
    prom, node = scraped_node
    panel = HostPromPanel("node", prometheus_url=prom.url, instance=node.instance, mounts=["/"],
                      rules=NEVER_FULL)
    assert panel.kind == "host"  # the same kind, built for Prometheus
    state = await _poll_until(panel, "cpu_pct")
    vfs = os.statvfs("/")
    load1 = os.getloadavg()[0]

    assert state.error is None, state.summary
    assert state.status is Status.OK, state.summary
    assert node.instance in panel.target
    [root] = state.metrics["disks"]
    assert root["mount"] == "/" and root["error"] is None
    used = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    assert root["used_pct"] == pytest.approx(100 * used / (used + vfs.f_bavail * vfs.f_frsize),
                                             abs=1)
    assert root["total_bytes"] == vfs.f_blocks * vfs.f_frsize
    assert root["free_bytes"] == pytest.approx(vfs.f_bavail * vfs.f_frsize, rel=0.02)
    if vfs.f_files:
        assert root["inodes_used_pct"] == pytest.approx(
            100 * (vfs.f_files - vfs.f_ffree) / vfs.f_files, abs=1)
    m = state.metrics
    assert m["memory_used_pct"] == pytest.approx(psutil.virtual_memory().percent, abs=3)
    assert m["load1"] == pytest.approx(load1, abs=1.0)
    assert isinstance(m["cpu_pct"], float) and 0.0 <= m["cpu_pct"] <= 100.0
    assert not math.isnan(m["cpu_pct"])
    assert state.summary.endswith(f" · / {root['used_pct']:.0f}%")


async def test_the_disk_and_memory_rules_judge_a_remote_host_too(
        scraped_node: tuple[PrometheusServer, NodeExporter]) -> None:
    prom, node = scraped_node
    always = {"DiskFull": AlertRule(1.01, 0.0, Severity.CRIT),
              "MemoryHigh": AlertRule(0.0, 0.0, Severity.WARN)}
    state = await _poll_until(HostPromPanel(prometheus_url=prom.url, instance=node.instance,
                                        rules=always), "memory_used_pct")
    assert state.status is Status.CRIT, state.summary
    # no mounts given: every real disk, memory filesystems left out
    mounts = {d["mount"] for d in state.metrics["disks"]}
    assert "/" in mounts and "/dev/shm" not in mounts
    assert {a.name for a in state.firing} == {"DiskFull", "MemoryHigh"}


async def test_an_instance_prometheus_never_scraped_is_unknown_with_the_reason(
        prometheus_api: PrometheusServer) -> None:
    panel = HostPromPanel(prometheus_url=prometheus_api.url, instance="nowhere:9100")
    state = await PanelWatch(panel).poll()
    await panel.aclose()
    assert state.status is Status.UNKNOWN
    assert "no node_exporter data for instance nowhere:9100" in state.summary


async def test_an_unreachable_prometheus_is_crit_with_its_error_class() -> None:
    panel = HostPromPanel(prometheus_url=f"http://127.0.0.1:{free_port()}", instance="db1:9100")
    state = await PanelWatch(panel).poll()
    await panel.aclose()
    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "refused"


def test_check_shows_every_host_of_the_fleet(
        tmp_path: Path, scraped_node: tuple[PrometheusServer, NodeExporter]) -> None:
    prom, node = scraped_node
    run = check(tmp_path, f"""
        [[host]]
        name = "web1"
        prometheus_url = "{prom.url}"
        instance = "{node.instance}"
        job = "service"
        mounts = ["/"]
        [[host]]
        name = "ghost"
        prometheus_url = "{prom.url}"
        instance = "ghost:9100"
        [alerts.DiskFull]
        threshold = 0.0
        warn = 0.0
        [alerts.MemoryHigh]
        threshold = 1.0
    """, "--json")
    web1, ghost = run.panel("host:web1"), run.panel("host:ghost")
    assert web1["status"] == "ok", run.out
    assert web1["metrics"]["disks"][0]["mount"] == "/"
    assert ghost["status"] == "unknown"
    assert "no node_exporter data for instance ghost:9100" in ghost["summary"]
    assert run.code == 3  # the worst panel is unknown
