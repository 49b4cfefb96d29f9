"""The containers panel against a real dockerd running busybox containers (no mocks)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from panels.alerts import AlertState
from panels.base import Status
from panels.containers import (
    ContainersPanel,
    container_logs,
    cpu_percent,
    memory_bytes,
    restart_container,
)
from panels.watch import PanelState, PanelWatch
from tests.fixtures.docker import DockerEngine

docker = pytest.mark.docker


def run(api: Any, engine: DockerEngine, name: str, command: list[str],
        **host_config: Any) -> str:
    """Create and start a busybox container with no network; returns its id."""
    healthcheck = host_config.pop("healthcheck", None)
    ctr = api.create_container(
        engine.image, command=command, name=name, healthcheck=healthcheck,
        host_config=api.create_host_config(network_mode="none", **host_config))
    api.start(ctr["Id"])
    return str(ctr["Id"])


def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what}", pytrace=False)


def state_of(api: Any, name: str) -> dict[str, Any]:
    return dict(api.inspect_container(name)["State"])


def row(state: PanelState, name: str) -> dict[str, Any]:
    rows = [c for c in state.metrics["containers"] if c["name"] == name]
    assert len(rows) == 1, state.metrics["containers"]
    return dict(rows[0])


#: a container spinning `yes` keeps one core busy, which docker's formula counts as
#: ~100 %; the figure must reach a quarter of that (a loaded 2-core test machine still
#: gives a spinning process that much), polled until it does, with a deadline
BUSY_CONTAINER_FLOOR_PCT = 25.0


@docker
async def test_a_running_container_reads_running_with_cpu_and_memory(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    before_start = time.time()
    run(docker_api, docker_engine, "web", ["sh", "-c", "yes > /dev/null & sleep 3600"])
    watch = PanelWatch(ContainersPanel(docker_host=docker_engine.host))
    first = await watch.poll()
    # stats frames come once per engine tick (~1 s); a later one carries the CPU delta.
    # Waited for, not timed: one tick on a busy machine may show less than a core.
    second = first
    readings: list[float | None] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        second = await watch.poll()
        readings.append(row(second, "web")["cpu_pct"])
        if (readings[-1] or 0.0) > BUSY_CONTAINER_FLOOR_PCT:
            break
    await watch.panel.aclose()

    assert first.status is Status.OK, first.summary
    assert row(first, "web")["cpu_pct"] is None  # one reading is not a rate yet
    web = row(second, "web")
    assert web["state"] == "running"
    assert web["image"] == docker_engine.image
    assert len(web["id"]) == 12
    assert web["health"] is None
    assert web["exit_code"] is None
    assert (web["cpu_pct"] or 0.0) > BUSY_CONTAINER_FLOOR_PCT, f"cpu_pct readings {readings}"
    # busybox's sh, yes and sleep: some pages, far from the tens of MiB of a leak
    assert web["mem_bytes"] is not None and 0 < web["mem_bytes"] < 50 * 2**20
    assert web["mem_limit_bytes"] is not None and web["mem_limit_bytes"] >= web["mem_bytes"]
    # started after before_start (same clock: the engine runs on this host)
    assert web["uptime_s"] is not None
    assert 0 <= web["uptime_s"] <= time.time() - before_start + 1
    assert second.metrics["running"] == 1 and second.metrics["total"] == 1
    assert second.series_value == 1.0
    assert second.summary.startswith("1/1 running")
    assert second.alerts == ()


@docker
async def test_a_stopped_container_fires_container_down(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    run(docker_api, docker_engine, "api", ["sleep", "3600"])
    run(docker_api, docker_engine, "worker", ["sh", "-c", "echo bye; exit 3"])
    wait_until(lambda: state_of(docker_api, "worker")["Status"] == "exited", what="worker exit")
    panel = ContainersPanel(docker_host=docker_engine.host)
    state = await PanelWatch(panel).poll()
    await panel.aclose()

    assert state.status is Status.CRIT
    worker = row(state, "worker")
    assert worker["state"] == "exited" and worker["exit_code"] == 3
    assert worker["cpu_pct"] is None and worker["uptime_s"] is None  # no stats when stopped
    [alert] = state.alerts
    assert (alert.name, alert.target, alert.state) == ("ContainerDown", "worker",
                                                       AlertState.FIRING)
    assert "exited with 3" in alert.detail
    assert state.metrics["running"] == 1 and state.metrics["total"] == 2
    assert "worker (exited with 3)" in state.summary


@docker
async def test_a_failing_healthcheck_shows_unhealthy_and_fires_container_down(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    ms = 1_000_000
    run(docker_api, docker_engine, "db", ["sleep", "3600"],
        healthcheck={"test": ["CMD-SHELL", "exit 1"], "interval": 200 * ms,
                     "timeout": 1000 * ms, "retries": 1})
    wait_until(lambda: state_of(docker_api, "db").get("Health", {}).get("Status") == "unhealthy",
               what="the healthcheck to fail")
    panel = ContainersPanel(docker_host=docker_engine.host)
    state = await PanelWatch(panel).poll()
    await panel.aclose()

    db = row(state, "db")
    assert (db["state"], db["health"]) == ("running", "unhealthy")
    assert state.status is Status.CRIT
    assert [(a.name, a.target, a.state) for a in state.alerts] == [
        ("ContainerDown", "db", AlertState.FIRING)]
    assert "db (unhealthy)" in state.summary


@docker
async def test_a_container_turning_unhealthy_between_polls_is_seen_by_the_same_panel(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    """The panel reuses a running container's inspect while its listing line is the same;
    the health change rewrites that line, so the next poll asks again and fires."""
    ms = 1_000_000
    run(docker_api, docker_engine, "api", ["sh", "-c", "touch /tmp/ok; exec sleep 3600"],
        healthcheck={"test": ["CMD-SHELL", "test -f /tmp/ok"], "interval": 200 * ms,
                     "timeout": 1000 * ms, "retries": 1})
    wait_until(lambda: state_of(docker_api, "api").get("Health", {}).get("Status") == "healthy",
               what="the healthcheck to pass")
    panel = ContainersPanel(docker_host=docker_engine.host)
    watch = PanelWatch(panel)
    try:
        first = await watch.poll()
        again = await watch.poll()  # unchanged line: the inspect is reused
        assert row(first, "api")["health"] == row(again, "api")["health"] == "healthy"
        assert again.status is Status.OK

        exec_id = docker_api.exec_create("api", ["sh", "-c", "rm /tmp/ok"])["Id"]
        out = docker_api.exec_start(exec_id)
        assert docker_api.exec_inspect(exec_id)["ExitCode"] == 0, out
        wait_until(lambda: state_of(docker_api, "api")["Health"]["Status"] == "unhealthy",
                   what="the healthcheck to fail")
        later = await watch.poll()
    finally:
        await panel.aclose()
    assert (row(later, "api")["state"], row(later, "api")["health"]) == ("running", "unhealthy")
    assert later.status is Status.CRIT
    assert [a.name for a in later.firing] == ["ContainerDown"]


@docker
async def test_a_socket_removed_while_the_panel_is_up_shows_at_the_next_poll(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    """Pooled keep-alive connections kept answering after the socket file was removed, so
    the card stayed green on an engine nothing else could reach; and when the socket is
    back, the panel connects again by itself."""
    run(docker_api, docker_engine, "sockwatch", ["sleep", "3600"])
    refresh, timeout = 1.0, 2.0
    with tempfile.TemporaryDirectory(prefix="odd-", dir="/tmp") as tmp:
        link = Path(tmp) / "engine.sock"
        link.symlink_to(docker_engine.socket)
        host = f"unix://{link}"
        panel = ContainersPanel(docker_host=host, timeout=timeout)
        watch = PanelWatch(panel)
        try:
            up = await watch.poll()
            link.unlink()
            removed = time.monotonic()
            seen: list[PanelState] = []
            while time.monotonic() - removed < timeout + 1.0:
                seen.append(await watch.poll())
                if seen[-1].status is not Status.OK:
                    break
                await asyncio.sleep(refresh)
            shown_after = time.monotonic() - removed

            link.symlink_to(docker_engine.socket)
            back: list[PanelState] = []
            for _ in range(2):
                back.append(await watch.poll())
                if back[-1].status is Status.OK:
                    break
                await asyncio.sleep(refresh)
        finally:
            await panel.aclose()

    assert up.status is Status.OK and row(up, "sockwatch")["state"] == "running"
    gone = seen[-1]
    assert gone.status is Status.UNKNOWN, [s.summary for s in seen]
    assert shown_after < timeout + 1.0
    assert gone.error is not None and gone.error.kind == "absent"
    assert gone.summary == f"absent: no Docker engine at {host} (no socket)"
    assert back[-1].status is Status.OK, back[-1].summary
    assert row(back[-1], "sockwatch")["state"] == "running"


@docker
async def test_a_crash_looping_container_counts_its_restarts(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    run(docker_api, docker_engine, "flaky", ["sh", "-c", "echo crash; exit 1"],
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 2})
    # the engine gives up after two retries and leaves it exited: a stable end state
    wait_until(lambda: docker_api.inspect_container("flaky")["RestartCount"] == 2
               and state_of(docker_api, "flaky")["Status"] == "exited", what="two restarts")
    panel = ContainersPanel(docker_host=docker_engine.host)
    state = await PanelWatch(panel).poll()
    await panel.aclose()

    flaky = row(state, "flaky")
    assert flaky["restarts"] == 2 and flaky["exit_code"] == 1
    assert [a.target for a in state.firing] == ["flaky"]


@docker
async def test_a_watch_list_reports_a_container_that_is_not_there(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    run(docker_api, docker_engine, "api", ["sleep", "3600"])
    run(docker_api, docker_engine, "noise", ["sleep", "3600"])
    panel = ContainersPanel(docker_host=docker_engine.host, names=["api", "cron"])
    state = await PanelWatch(panel).poll()
    await panel.aclose()

    assert [c["name"] for c in state.metrics["containers"]] == ["api", "cron"]
    assert row(state, "cron")["state"] == "missing"
    assert [(a.target, a.detail) for a in state.firing] == [("cron", "cron no such container")]
    assert state.metrics["total"] == 1


@docker
async def test_docker_host_from_the_environment_is_honoured(
        docker_engine: DockerEngine, docker_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run(docker_api, docker_engine, "envy", ["sleep", "3600"])
    monkeypatch.setenv("DOCKER_HOST", docker_engine.host)
    panel = ContainersPanel()
    state = await PanelWatch(panel).poll()
    await panel.aclose()

    assert panel.target == docker_engine.host
    assert row(state, "envy")["state"] == "running"


async def test_no_engine_at_docker_host_shows_unknown_with_the_reason() -> None:
    host = f"unix://{tempfile.gettempdir()}/odd-nothing-here/docker.sock"
    state = await PanelWatch(ContainersPanel(docker_host=host)).poll()

    assert state.status is Status.UNKNOWN
    assert state.error is not None and state.error.kind == "absent"
    assert state.summary == f"absent: no Docker engine at {host} (no socket)"
    assert "Traceback" not in state.summary
    assert state.alerts == ()


async def test_a_stale_socket_left_by_a_dead_engine_turns_crit_refused() -> None:
    with tempfile.TemporaryDirectory(prefix="odd-", dir="/tmp") as tmp:
        path = Path(tmp) / "d.sock"
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(path))  # bound, never listening: connect() is refused
            state = await PanelWatch(ContainersPanel(docker_host=f"unix://{path}",
                                                     timeout=3)).poll()

    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "refused", state.error


_LAZY_CHILD = """
import asyncio, json, sys
from panels.containers import ContainersPanel
from panels.watch import PanelWatch

async def main():
    panel = ContainersPanel(docker_host=sys.argv[1], timeout=3)
    watch = PanelWatch(panel)
    states = [await watch.poll() for _ in range(2)]
    await panel.aclose()
    print(json.dumps({"summaries": [s.summary for s in states],
                      "status": [s.status.value for s in states],
                      "loaded": sorted({m.split(".")[0] for m in sys.modules}
                                       & {"docker", "requests", "urllib3"})}))

asyncio.run(main())
"""


def _in_fresh_interpreter(host: str) -> dict[str, Any]:
    """The panel polled twice in a new interpreter, where nothing has imported docker."""
    out = subprocess.run([sys.executable, "-c", _LAZY_CHILD, host], capture_output=True,
                         text=True, check=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def test_no_socket_and_a_refusing_socket_read_as_the_sdk_says_without_loading_it(
        ) -> None:
    """The Docker SDK (docker, requests, urllib3: ~6 MiB) stays out while the engine's
    socket is missing or refuses, and the card says exactly what the SDK made it say."""
    import docker  # here the SDK is loaded: the panel goes through it

    assert docker
    with tempfile.TemporaryDirectory(prefix="odd-", dir="/tmp") as tmp:
        missing = f"unix://{tmp}/none/docker.sock"
        path = Path(tmp) / "d.sock"
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(path))  # bound, never listening: connect() is refused
            stale = f"unix://{path}"
            lazy = {host: _in_fresh_interpreter(host) for host in (missing, stale)}
            with_sdk = {}
            for host in (missing, stale):
                panel = ContainersPanel(docker_host=host, timeout=3)
                watch = PanelWatch(panel)
                with_sdk[host] = [(await watch.poll()).summary for _ in range(2)]
                await panel.aclose()

    refused = ("refused: Error while fetching server API version: ('Connection aborted.', "
               "ConnectionRefusedError(111, 'Connection refused'))")
    assert with_sdk[missing] == [f"absent: no Docker engine at {missing} (no socket)"] * 2
    assert with_sdk[stale] == [refused] * 2
    for host in (missing, stale):
        assert lazy[host]["loaded"] == []
        assert lazy[host]["summaries"] == with_sdk[host]
    assert lazy[missing]["status"] == ["unknown", "unknown"]
    assert lazy[stale]["status"] == ["crit", "crit"]


@docker
def test_container_logs_returns_the_lines_the_container_printed(
        docker_engine: DockerEngine, docker_api: Any) -> None:
    # stdout and stderr are copied separately: the container prints its stdout lines
    # only once the engine has logged the stderr one (the test then creates /tmp/go),
    # so their order is certain by a condition rather than by a pause
    run(docker_api, docker_engine, "chatty",
        ["sh", "-c", "echo starting >&2; while [ ! -e /tmp/go ]; do sleep 0.05; done; "
                     "for i in 1 2 3 4 5; do echo line $i; done; sleep 3600"])
    wait_until(lambda: b"starting" in docker_api.logs("chatty"), what="the stderr line")
    go = docker_api.exec_create("chatty", ["sh", "-c", ": > /tmp/go"])
    docker_api.exec_start(go["Id"])
    wait_until(lambda: b"line 5" in docker_api.logs("chatty"), what="the container's output")

    assert container_logs(docker_engine.host, "chatty") == [
        "starting", "line 1", "line 2", "line 3", "line 4", "line 5"]
    assert container_logs(docker_engine.host, "chatty", lines=2) == ["line 4", "line 5"]


@docker
def test_container_logs_are_terminal_safe_and_masked(docker_engine: DockerEngine,
                                                     docker_api: Any) -> None:
    """A container's output is outside text: no escape reaches the drill-down, no secret."""
    run(docker_api, docker_engine, "hostile",
        ["sh", "-c", r"printf 'up \033]0;PWNED\007\033[2J\033[31mred\033[0m\n';"
                     r" echo PGPASSWORD=s3cr3tpw; sleep 3600"])
    wait_until(lambda: b"s3cr3tpw" in docker_api.logs("hostile"), what="the container's output")

    assert container_logs(docker_engine.host, "hostile") == ["up red", "PGPASSWORD=****"]


@docker
def test_restart_container_restarts_it(docker_engine: DockerEngine, docker_api: Any) -> None:
    run(docker_api, docker_engine, "stuck", ["sleep", "3600"])
    before = state_of(docker_api, "stuck")

    restart_container(docker_engine.host, "stuck", timeout=1)

    after = state_of(docker_api, "stuck")
    assert after["Status"] == "running"
    assert after["StartedAt"] != before["StartedAt"]
    assert after["Pid"] != before["Pid"]


def test_cpu_percent_uses_the_previous_reading_when_one_shot_leaves_precpu_empty() -> None:
    # figures shaped like a one-shot reply from a 2-CPU cgroup v1 host
    stats = {"cpu_stats": {"cpu_usage": {"total_usage": 1_500_000_000},
                           "system_cpu_usage": 20_000_000_000, "online_cpus": 2},
             "precpu_stats": {"cpu_usage": {"total_usage": 0}}}
    assert cpu_percent(stats, None) == (None, (1_500_000_000, 20_000_000_000))
    # 0.5 s of CPU over 2 s of wall time on 2 CPUs (4 s of system time) is 25% of one core
    pct, _ = cpu_percent(stats, (1_000_000_000, 16_000_000_000))
    assert pct == 25.0
    # a restarted container's counter starts again from zero: no figure, not a negative one
    assert cpu_percent(stats, (9_000_000_000, 16_000_000_000))[0] is None


def test_memory_leaves_out_inactive_page_cache_on_cgroup_v1_and_v2() -> None:
    assert memory_bytes({"usage": 10_000, "stats": {"total_inactive_file": 4_000,
                                                    "inactive_file": 1}}) == 6_000
    assert memory_bytes({"usage": 10_000, "stats": {"inactive_file": 3_000}}) == 7_000
    assert memory_bytes({"usage": 10_000, "stats": {}}) == 10_000
    assert memory_bytes({}) is None
