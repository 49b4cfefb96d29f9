"""Any host's vitals through Prometheus: a node_exporter target as the host panel sees it.

One opsdash on a jump box reads many hosts without an agent of its own on each: it asks
the Prometheus server that already scrapes their node_exporters, one instant query per
figure, all filtered by `instance`. The sample is the local panel's HostSample, so the
card, the drill-down, the metric keys and the DiskFull/MemoryHigh rules are the same.

An instance Prometheus holds no node_exporter series for (a typo, a host not scraped) is
`unknown` with that reason rather than a fake 0 %; Prometheus itself unreachable is a
probe failure (crit, with its error class) like any other network panel.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence

import httpx

from common.masking import mask_url
from panels.base import AlertRule
from panels.errors import BadResponse, SourceAbsent
from panels.host import DiskUsage, HostPanel, HostSample
from panels.http_client import panel_client

#: filesystems that are memory or a container's layer, not a disk that fills up
_SKIP_FSTYPES = "tmpfs|overlay|ramfs|squashfs|devtmpfs"


def _quote(value: str) -> str:
    """A PromQL string literal (label values may hold quotes or backslashes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _regex_escape(value: str) -> str:
    """Escape a mount path for an `=~` matcher (RE2 inside a PromQL string)."""
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in value)


class HostPromPanel(HostPanel):
    """A node_exporter target (`instance`) read from a Prometheus server's HTTP API."""

    def __init__(
        self,
        name: str = "host",
        *,
        prometheus_url: str,
        instance: str,
        job: str | None = None,
        mounts: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        super().__init__(name, mounts=mounts, interval=interval, timeout=timeout, rules=rules)
        if not instance:
            raise ValueError("instance must not be empty")
        self.prometheus_url = prometheus_url.rstrip("/")
        self.instance = instance
        self.job = job
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self._client: httpx.AsyncClient | None = None

    @property
    def target(self) -> str:
        return f"{self.instance} via {mask_url(self.prometheus_url)}"

    def prepare(self) -> None:
        self._http()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = panel_client(self.prometheus_url, timeout=self.timeout,
                                        headers=self.headers)
        return self._client

    def _match(self) -> str:
        job = f", job={_quote(self.job)}" if self.job else ""
        return f"instance={_quote(self.instance)}{job}"

    async def collect(self) -> HostSample:
        m = self._match()
        fs = f'{m}, fstype!~"{_SKIP_FSTYPES}"'
        if self.mounts:
            fs += ', mountpoint=~"' + "|".join(_regex_escape(p) for p in self.mounts) + '"'
        queries = {
            "avail": f"node_filesystem_avail_bytes{{{fs}}}",
            "size": f"node_filesystem_size_bytes{{{fs}}}",
            "free": f"node_filesystem_free_bytes{{{fs}}}",
            "files_free": f"node_filesystem_files_free{{{fs}}}",
            "files": f"node_filesystem_files{{{fs}}}",
            "mem_avail": f"node_memory_MemAvailable_bytes{{{m}}}",
            "mem_total": f"node_memory_MemTotal_bytes{{{m}}}",
            "swap_free": f"node_memory_SwapFree_bytes{{{m}}}",
            "swap_total": f"node_memory_SwapTotal_bytes{{{m}}}",
            "cpu": f'1 - avg(rate(node_cpu_seconds_total{{{m}, mode="idle"}}[1m]))',
            "load1": f"node_load1{{{m}}}",
            "boot": f"time() - node_boot_time_seconds{{{m}}}",
            "any": f"count({{{m}, __name__=~\"node_.+\"}})",
        }
        answers = await asyncio.gather(*(self._vector(q) for q in queries.values()))
        got = dict(zip(queries, answers, strict=True))
        if not got["any"]:
            raise SourceAbsent(f"no node_exporter data for instance {self.instance}"
                               + (f" (job {self.job})" if self.job else ""))
        return HostSample(
            disks=self._disks(got),
            memory_used_pct=_used_pct(_one(got["mem_avail"]), _one(got["mem_total"])),
            cpu_pct=_pct(_one(got["cpu"])),
            load1=_one(got["load1"]),
            swap_used_pct=_used_pct(_one(got["swap_free"]), _one(got["swap_total"])),
            uptime_s=_one(got["boot"]),
        )

    def _disks(self, got: Mapping[str, dict[str, float]]) -> tuple[DiskUsage, ...]:
        """One entry per mount, df's arithmetic: used / (used + avail), root reserve out."""
        found = []
        for mount in sorted(got["size"]):
            size, avail = got["size"][mount], got["avail"].get(mount)
            free = got["free"].get(mount, avail)
            if not size or avail is None or free is None:
                continue
            used = size - free
            used_pct = round(100.0 * used / (used + avail), 1) if used + avail else 0.0
            files, files_free = got["files"].get(mount), got["files_free"].get(mount)
            inodes = (round(100.0 * (files - files_free) / files, 2)
                      if files and files_free is not None else None)
            found.append(DiskUsage(mount, used_pct=used_pct, free_bytes=int(avail),
                                   total_bytes=int(size), free_pct=round(100.0 - used_pct, 2),
                                   inodes_used_pct=inodes))
        missing = [DiskUsage(p, error="no such mount") for p in self.mounts
                   if p not in got["size"]]
        return tuple(found) + tuple(missing)

    async def _vector(self, expr: str) -> dict[str, float]:
        """An instant query as {mountpoint or "": value}; non-finite values left out."""
        resp = await self._http().get(f"{self.prometheus_url}/api/v1/query",
                                      params={"query": expr})
        try:
            body = resp.json()
        except ValueError:
            raise BadResponse(f"not a Prometheus API: HTTP {resp.status_code} from "
                              f"{mask_url(self.prometheus_url)}/api/v1/query") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error", body) if isinstance(body, dict) else body
            raise BadResponse(f"Prometheus refused the query: {error}")
        data = body.get("data")
        result = data.get("result") if isinstance(data, dict) else None
        out: dict[str, float] = {}
        for series in result or []:
            try:
                value = float(series["value"][1])
                key = str(series.get("metric", {}).get("mountpoint", ""))
            except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                raise BadResponse(f"unexpected Prometheus answer to {expr}") from None
            if math.isfinite(value):
                out.setdefault(key, value)
        return out

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def _one(values: Mapping[str, float]) -> float | None:
    return next(iter(values.values()), None)


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else round(max(0.0, min(100.0, 100.0 * ratio)), 1)


def _used_pct(available: float | None, total: float | None) -> float | None:
    if available is None or not total:
        return None
    return _pct(1.0 - available / total)

