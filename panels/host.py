"""This host: disks (space and inodes) per mount, memory, CPU, load, swap, uptime.

psutil and statvfs are blocking calls (a hung NFS mount blocks forever), so the whole
reading runs in a worker thread via asyncio.to_thread, never on the event loop.
A mount that cannot be read becomes a disk entry with an `error`; the others still
report. CPU is measured between this panel's own polls from cpu_times() rather than
psutil.cpu_percent(), whose shared module state another caller would reset; the very
first poll primes it over 0.1 s so even `opsdash check` gets a real figure.

Percentages in metrics are 0-100 (as `df` and `free` print them); alert thresholds in
panels.alerts are ratios (DiskFull 0.05/0.15 free, MemoryHigh 0.85 used), so rules
divide by 100 before comparing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import psutil

from panels.base import AlertRule, Condition, Panel, Severity

_CPU_PRIME_S = 0.1


@dataclass(frozen=True)
class DiskUsage:
    mount: str
    used_pct: float | None = None
    free_bytes: int | None = None
    total_bytes: int | None = None
    free_pct: float | None = None  # 100 - used_pct: df's view, root-reserved blocks excluded
    inodes_used_pct: float | None = None  # None where the filesystem has no inode count
    error: str | None = None


@dataclass(frozen=True)
class HostSample:
    disks: tuple[DiskUsage, ...]
    # None where a Prometheus-read host (panels.host_prom) has no such series
    memory_used_pct: float | None
    cpu_pct: float | None
    load1: float | None
    swap_used_pct: float | None
    uptime_s: float | None


def _disk(mount: str) -> DiskUsage:
    try:
        usage = psutil.disk_usage(mount)
        vfs = os.statvfs(mount)
    except FileNotFoundError:
        return DiskUsage(mount, error="no such mount")
    except OSError as exc:
        return DiskUsage(mount, error=exc.strerror or type(exc).__name__)
    inodes = (100.0 * (vfs.f_files - vfs.f_ffree) / vfs.f_files) if vfs.f_files else None
    return DiskUsage(mount, used_pct=usage.percent, free_bytes=usage.free,
                     total_bytes=usage.total, free_pct=round(100.0 - usage.percent, 2),
                     inodes_used_pct=round(inodes, 2) if inodes is not None else None)


def _busy_total(times: Any) -> tuple[float, float]:
    """(busy, total) seconds as psutil counts them: guest time is already inside user."""
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


class HostPanel(Panel[HostSample]):
    """The machine opsdash runs on; with `prometheus_url` and `instance`, any host."""

    kind: ClassVar[str] = "host"
    series_key: ClassVar[str | None] = "cpu_pct"

    def __init__(
        self,
        name: str = "host",
        *,
        mounts: Sequence[str] = ("/",),
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        super().__init__(name, interval=interval, timeout=timeout, rules=rules)
        self.mounts: tuple[str, ...] = tuple(mounts)
        self._cpu_last: tuple[float, float] | None = None

    @property
    def target(self) -> str:
        return ", ".join(self.mounts)

    async def collect(self) -> HostSample:
        return await asyncio.to_thread(self._read)

    def _read(self) -> HostSample:
        disks = tuple(_disk(m) for m in self.mounts)
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        return HostSample(
            disks=disks,
            memory_used_pct=float(memory.percent),
            cpu_pct=self._cpu_pct(),
            load1=os.getloadavg()[0],
            swap_used_pct=float(swap.percent),
            uptime_s=max(0.0, time.time() - psutil.boot_time()),
        )

    def _cpu_pct(self) -> float:
        if self._cpu_last is None:
            self._cpu_last = _busy_total(psutil.cpu_times())
            time.sleep(_CPU_PRIME_S)  # in the worker thread: one-off priming
        busy, total = _busy_total(psutil.cpu_times())
        last_busy, last_total = self._cpu_last
        self._cpu_last = (busy, total)
        if total <= last_total:
            return 0.0
        return round(max(0.0, min(100.0, 100.0 * (busy - last_busy) / (total - last_total))), 1)

    def metrics(self, sample: HostSample) -> dict[str, Any]:
        return {
            "disks": [asdict(d) for d in sample.disks],
            "memory_used_pct": sample.memory_used_pct,
            "cpu_pct": sample.cpu_pct,
            "load1": None if sample.load1 is None else round(sample.load1, 2),
            "swap_used_pct": sample.swap_used_pct,
            "uptime_s": None if sample.uptime_s is None else round(sample.uptime_s),
        }

    def conditions(self, sample: HostSample) -> list[Condition]:
        conds = [self._disk_full(d) for d in sample.disks if d.error is None]
        memory = self.rule("MemoryHigh")
        if memory.threshold is not None and sample.memory_used_pct is not None:
            conds.append(Condition("MemoryHigh", sample.memory_used_pct / 100 > memory.threshold,
                                   memory.severity,
                                   f"memory {sample.memory_used_pct:.0f}% used"))
        return conds

    def _disk_full(self, disk: DiskUsage) -> Condition:
        """Worst of space and inodes: a disk out of inodes is as full as one out of bytes."""
        rule = self.rule("DiskFull")
        free = {"space": disk.free_pct, "inodes": None if disk.inodes_used_pct is None
                else 100.0 - disk.inodes_used_pct}
        severity: Severity | None = None
        reasons = []
        for what, pct in free.items():
            if pct is None:
                continue
            ratio = pct / 100
            if rule.threshold is not None and ratio < rule.threshold:
                severity = rule.severity
                reasons.append(f"{what} {pct:.1f}% free")
            elif rule.warn is not None and ratio < rule.warn:
                severity = severity or Severity.WARN
                reasons.append(f"{what} {pct:.1f}% free")
        detail = f"{disk.mount}: " + (", ".join(reasons) or f"{disk.free_pct}% free")
        return Condition("DiskFull", severity is not None, severity or rule.severity, detail,
                         target=disk.mount)

    def summary(self, sample: HostSample) -> str:
        disks = []
        for d in sample.disks:
            disks.append(f"{d.mount} {d.error}" if d.error else f"{d.mount} {d.used_pct:.0f}%")
        def fmt(value: float | None, spec: str) -> str:
            return "–" if value is None else format(value, spec)

        return " · ".join([f"cpu {fmt(sample.cpu_pct, '.0f')}%",
                           f"mem {fmt(sample.memory_used_pct, '.0f')}%",
                           f"load {fmt(sample.load1, '.2f')}", *disks])
