"""Stories about the host panel, read from the real machine the tests run on."""

from __future__ import annotations

from panels.alerts import AlertState
from panels.base import AlertRule, Severity, Status
from panels.host import DiskUsage, HostPanel, HostSample
from panels.watch import PanelState, PanelWatch

NEVER_FULL = {"DiskFull": AlertRule(0.0, 0.0, Severity.CRIT, warn=0.0),
              "MemoryHigh": AlertRule(1.0, 0.0, Severity.WARN)}


def _alerts(state: PanelState, name: str) -> dict[str, tuple[AlertState, Severity]]:
    return {a.target: (a.state, a.severity) for a in state.alerts if a.name == name}


def _sample(*disks: DiskUsage, memory_used_pct: float = 40.0) -> HostSample:
    return HostSample(disks=disks, memory_used_pct=memory_used_pct, cpu_pct=5.0, load1=0.1,
                      swap_used_pct=0.0, uptime_s=100.0)


async def test_the_root_mount_is_reported_with_sane_numbers() -> None:
    state = await PanelWatch(HostPanel()).poll()

    assert state.error is None, state.summary
    [root] = state.metrics["disks"]
    assert root["mount"] == "/" and root["error"] is None
    assert 0 <= root["used_pct"] <= 100
    assert root["free_pct"] == round(100 - root["used_pct"], 2)
    assert 0 < root["free_bytes"] <= root["total_bytes"]
    assert root["inodes_used_pct"] is None or 0 <= root["inodes_used_pct"] <= 100
    m = state.metrics
    assert 0 < m["memory_used_pct"] <= 100
    assert 0 <= m["cpu_pct"] <= 100
    assert m["load1"] >= 0 and m["uptime_s"] > 0
    assert 0 <= m["swap_used_pct"] <= 100
    assert state.series_value == m["cpu_pct"]
    assert "/ " in state.summary and "cpu" in state.summary


async def test_cpu_is_measured_between_polls_of_the_same_panel() -> None:
    watch = PanelWatch(HostPanel())
    first, second = await watch.poll(), await watch.poll()
    assert 0 <= first.metrics["cpu_pct"] <= 100
    assert 0 <= second.metrics["cpu_pct"] <= 100


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
