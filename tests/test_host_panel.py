"""Stories about the host panel, read from the real machine the tests run on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import namedtuple
from collections.abc import Iterator

import psutil
import pytest

from panels.alerts import AlertState
from panels.base import AlertRule, Severity, Status
from panels.host import DiskUsage, HostPanel, HostSample
from panels.watch import PanelState, PanelWatch

#: psutil.cpu_times()'s shape on Linux, for scripted CPU counters
CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal guest "
                                  "guest_nice")

NEVER_FULL = {"DiskFull": AlertRule(0.0, 0.0, Severity.CRIT, warn=0.0),
              "MemoryHigh": AlertRule(1.0, 0.0, Severity.WARN)}


def _alerts(state: PanelState, name: str) -> dict[str, tuple[AlertState, Severity]]:
    return {a.target: (a.state, a.severity) for a in state.alerts if a.name == name}


def _sample(*disks: DiskUsage, memory_used_pct: float = 40.0) -> HostSample:
    return HostSample(disks=disks, memory_used_pct=memory_used_pct, cpu_pct=5.0, load1=0.1,
                      swap_used_pct=0.0, uptime_s=100.0)


async def test_the_root_mount_is_reported_as_statvfs_and_proc_see_it() -> None:
    """Each figure against an independent reading of the same source taken alongside."""
    state = await PanelWatch(HostPanel()).poll()
    vfs = os.statvfs("/")
    uptime = float(open("/proc/uptime").read().split()[0])  # noqa: SIM115
    load1 = os.getloadavg()[0]

    assert state.error is None, state.summary
    [root] = state.metrics["disks"]
    assert root["mount"] == "/" and root["error"] is None
    assert root["total_bytes"] == vfs.f_blocks * vfs.f_frsize
    # df's Use%: used over what non-root users can have; files may come and go meanwhile
    used = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    assert root["used_pct"] == pytest.approx(100 * used / (used + vfs.f_bavail * vfs.f_frsize),
                                             abs=0.5)
    assert root["free_bytes"] == pytest.approx(vfs.f_bavail * vfs.f_frsize, rel=0.01)
    assert root["free_pct"] == round(100 - root["used_pct"], 2)
    if vfs.f_files:
        assert root["inodes_used_pct"] == pytest.approx(
            100 * (vfs.f_files - vfs.f_ffree) / vfs.f_files, abs=0.5)
    else:
        assert root["inodes_used_pct"] is None
    m = state.metrics
    assert m["memory_used_pct"] == pytest.approx(psutil.virtual_memory().percent, abs=5)
    assert m["swap_used_pct"] == pytest.approx(psutil.swap_memory().percent, abs=5)
    assert m["load1"] == pytest.approx(load1, abs=0.5)
    assert m["uptime_s"] == pytest.approx(uptime, abs=5)
    assert state.series_value == m["cpu_pct"]
    assert state.summary.startswith(f"cpu {m['cpu_pct']:.0f}% · mem ")
    assert state.summary.endswith(f" · / {root['used_pct']:.0f}%")


def _scripted_cpu_times(monkeypatch: pytest.MonkeyPatch, *readings: CpuTimes) -> None:
    """psutil.cpu_times() answers these readings in turn (no real clock involved)."""
    answers = iter(readings)
    monkeypatch.setattr(psutil, "cpu_times", lambda: next(answers))
    monkeypatch.setattr("panels.host._CPU_PRIME_S", 0.0)


def _cpu(user: float, idle: float, *, system: float = 0.0, iowait: float = 0.0,
         guest: float = 0.0) -> CpuTimes:
    return CpuTimes(user, 0.0, system, idle, iowait, 0.0, 0.0, 0.0, guest, 0.0)


async def test_cpu_is_measured_between_polls_of_the_same_panel(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each poll covers the time since the previous one (its own counters), not since start.

    prime (user 100, idle 900): busy 100 of 1000; poll 1 (user 150, idle 950): busy 150
    of 1100, so 50 of 100 = 50 %. Poll 2 (user 160 with 20 of guest inside it, system
    10, idle 1010, iowait 20): total 1200 (guest not counted twice), idle 1030, busy 170,
    so 20 of 100 = 20 %. Since the start it would be 70 of 200 = 35 %; with guest
    counted twice, 40 of 120 = 33.3 %; with iowait as busy, 40 of 100 = 40 %.
    A reading whose total did not move is 0.0, not a division by zero.
    """
    _scripted_cpu_times(monkeypatch,
                        _cpu(100, 900),
                        _cpu(150, 950),
                        _cpu(160, 1010, system=10, iowait=20, guest=20),
                        _cpu(160, 1010, system=10, iowait=20, guest=20))
    watch = PanelWatch(HostPanel())

    first, second, still = await watch.poll(), await watch.poll(), await watch.poll()

    assert first.metrics["cpu_pct"] == 50.0
    assert second.metrics["cpu_pct"] == 20.0
    assert still.metrics["cpu_pct"] == 0.0


@pytest.fixture
def busy_core() -> Iterator[int]:
    """A child spinning a busy loop pinned to one CPU; yields its pid once it spins."""
    cpu = min(os.sched_getaffinity(0))
    code = ("import os, sys\n"
            f"os.sched_setaffinity(0, {{{cpu}}})\n"
            "print('spinning', flush=True)\n"
            "while True:\n    pass\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "spinning\n"
        yield child.pid
    finally:
        child.kill()
        child.wait(timeout=10)


async def test_a_core_kept_busy_shows_in_cpu_pct(busy_core: int) -> None:
    """One of N CPUs at 100 % is 100/N % of the machine: at least half of that must show.

    Polled until it does, with a deadline: a panel stuck at 0.0 (or any figure under the
    floor) fails, a busy neighbour on the shared machine only adds to the reading.
    """
    ncpu = psutil.cpu_count() or 1
    floor = 100 / ncpu * 0.5
    watch = PanelWatch(HostPanel())
    child = psutil.Process(busy_core)
    seen: list[float] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        seen.append((await watch.poll()).metrics["cpu_pct"])
        if seen[-1] > floor:
            break
        await asyncio.sleep(0.5)
    spent = child.cpu_times()
    assert seen[-1] > floor, (f"cpu_pct readings {seen} never above {floor:.1f} % while a "
                              f"child spun ({spent.user + spent.system:.1f} s of CPU)")
    assert seen[-1] <= 100.0


async def test_a_missing_mount_is_reported_beside_the_others_without_a_crash() -> None:
    panel = HostPanel(mounts=("/", "/no/such/mount/here"), rules=NEVER_FULL)

    state = await PanelWatch(panel).poll()

    assert state.status is Status.OK and state.error is None
    root, missing = state.metrics["disks"]
    assert root["mount"] == "/" and root["total_bytes"] > 0
    assert missing == {"mount": "/no/such/mount/here", "used_pct": None, "free_bytes": None,
                       "total_bytes": None, "free_pct": None, "inodes_used_pct": None,
                       "error": "no such mount"}
    assert "/no/such/mount/here no such mount" in state.summary
    assert _alerts(state, "DiskFull") == {}


async def test_a_warn_level_of_100_percent_free_makes_every_disk_warn_disk_full() -> None:
    rules = {"DiskFull": AlertRule(0.0, 0.0, Severity.CRIT, warn=1.0)}
    state = await PanelWatch(HostPanel(mounts=("/",), rules=rules)).poll()

    assert _alerts(state, "DiskFull") == {"/": (AlertState.FIRING, Severity.WARN)}
    assert state.status is Status.WARN


async def test_a_crit_threshold_of_100_percent_free_makes_every_disk_crit_disk_full() -> None:
    rules = {"DiskFull": AlertRule(1.0, 0.0, Severity.CRIT, warn=1.0)}
    state = await PanelWatch(HostPanel(mounts=("/",), rules=rules)).poll()

    assert _alerts(state, "DiskFull") == {"/": (AlertState.FIRING, Severity.CRIT)}
    assert state.status is Status.CRIT


async def test_memory_above_a_zero_threshold_fires_memory_high_once_for_has_passed() -> None:
    rules = {"MemoryHigh": AlertRule(0.0, 0.0, Severity.WARN)}
    state = await PanelWatch(HostPanel(rules=rules)).poll()
    assert _alerts(state, "MemoryHigh") == {"": (AlertState.FIRING, Severity.WARN)}


def test_default_disk_thresholds_warn_under_15_and_crit_under_5_percent_free() -> None:
    panel = HostPanel(mounts=("/", "/data", "/logs"))
    sample = _sample(DiskUsage("/", used_pct=50.0, free_pct=50.0, inodes_used_pct=10.0),
                     DiskUsage("/data", used_pct=90.0, free_pct=10.0, inodes_used_pct=10.0),
                     DiskUsage("/logs", used_pct=97.0, free_pct=3.0, inodes_used_pct=10.0))

    verdicts = {c.target: (c.active, c.severity) for c in panel.conditions(sample)
                if c.alert == "DiskFull"}

    assert verdicts["/"][0] is False
    assert verdicts["/data"] == (True, Severity.WARN)
    assert verdicts["/logs"] == (True, Severity.CRIT)


def test_a_disk_out_of_inodes_is_disk_full_even_with_space_left() -> None:
    panel = HostPanel(mounts=("/var",))
    sample = _sample(DiskUsage("/var", used_pct=20.0, free_pct=80.0, inodes_used_pct=99.0))
    [cond] = [c for c in panel.conditions(sample) if c.alert == "DiskFull"]
    assert cond.active and cond.severity is Severity.CRIT and cond.target == "/var"
    assert "inodes" in cond.detail


def test_memory_high_compares_the_percentage_with_the_ratio_threshold() -> None:
    panel = HostPanel()  # default MemoryHigh threshold 0.85
    high = [c for c in panel.conditions(_sample(memory_used_pct=90.0)) if c.alert == "MemoryHigh"]
    fine = [c for c in panel.conditions(_sample(memory_used_pct=80.0)) if c.alert == "MemoryHigh"]
    assert high[0].active is True and fine[0].active is False
