"""Containers on a Docker engine: state, health, restarts, CPU and memory per container.

The Docker SDK blocks, so list and per-container inspect calls fan out over this panel's
own thread pool; a running container whose listing line (state and status text, health
included) has not changed keeps its last inspect for up to INSPECT_REUSE_S. Stats come
from one streaming subscription per running container (as `docker stats` does), each
read by a daemon thread that keeps only the newest frame: dockerd 20.10 answers even a
`one_shot` stats call only at its collector's next tick (a 1 s sleep plus a sequential
pass over the subscribed containers), so 100 one-shot calls take over a second, while a
stream delivers every tick by itself and `collect()` only reads what has arrived.
`docker` is imported lazily, in a worker thread, and not at all while the engine's unix
socket is missing or refuses: the card then reads exactly as the SDK would word it.

Rules: `ContainerDown` fires per container (target = container name) when it is
exited, dead or restarting, when its healthcheck says unhealthy, when it sits in
`created` with a start error, or, for containers listed in `names`, when it does not
exist at all. A `paused` container does not fire: pausing is an operator's deliberate
act, not a failure; the card still shows it as paused. Exited fires whatever the exit
code, so a host with one-off job containers should list the services in `names`.

Sparkline (`series_key`): the running count; a dip is the story this panel tells.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from common.masking import mask_secrets
from common.terminal import safe_text
from panels.base import AlertRule, Condition, Panel
from panels.errors import SourceAbsent

DEFAULT_HOST = "unix:///var/run/docker.sock"
#: states in which a container is not doing its job
DOWN_STATES = frozenset({"exited", "dead", "restarting"})
#: enough parallel inspect calls that dockerd, not the client, is the limit on 2 cores
DEFAULT_WORKERS = 8
#: a stats stream sends a frame per collector tick (~1 s plus ~2.5 ms per container), so a
#: read timeout this long only fires when the engine has really stopped answering
STREAM_READ_TIMEOUT = 60.0
#: connections kept per client; each stats stream holds one while it runs
POOL_SIZE = 1024
#: a running container's inspect is reused while its listing line is unchanged, this long
#: at most: a restart or a health change rewrites the line ("Up 2 seconds (unhealthy)")
INSPECT_REUSE_S = 30.0
#: how long looking at the engine's socket before loading the SDK waits (a local socket
#: refuses or accepts at once)
REFUSAL_WAIT_S = 0.25


@dataclass(frozen=True)
class _Inspected:
    line: tuple[str, str]  # the listing's State and Status when it was inspected
    at: float  # time.monotonic()
    inspect: dict[str, Any]


@dataclass(frozen=True)
class ContainerInfo:
    """One container as the card shows it; numbers are None where the engine gave none."""

    name: str
    id: str  # short (12 hex)
    image: str
    state: str  # created|running|paused|restarting|removing|exited|dead, or "missing"
    health: str | None  # healthy|unhealthy|starting, None without a healthcheck
    restarts: int
    cpu_pct: float | None  # as `docker stats`: 100 = one core; None until two samples
    mem_bytes: int | None  # usage minus inactive page cache, as `docker stats`
    mem_limit_bytes: int | None
    uptime_s: float | None  # running containers only
    exit_code: int | None  # stopped containers only
    error: str | None = None  # the engine's reason a start failed

    @property
    def down(self) -> bool:
        return (self.state in DOWN_STATES or self.health == "unhealthy" or self.state == "missing"
                or (self.state == "created" and bool(self.error)))

    def why_down(self) -> str:
        if self.state == "missing":
            return "no such container"
        if self.state == "exited":
            return f"exited with {self.exit_code}" + (f": {self.error}" if self.error else "")
        if self.state == "restarting":
            return f"restarting ({self.restarts} restarts)"
        if self.state == "created":
            return f"failed to start: {self.error}"
        if self.health == "unhealthy":
            return "unhealthy"
        return self.state


@dataclass(frozen=True)
class ContainersSample:
    containers: tuple[ContainerInfo, ...]

    @property
    def running(self) -> int:
        return sum(1 for c in self.containers if c.state == "running")

    @property
    def total(self) -> int:
        return sum(1 for c in self.containers if c.state != "missing")


@dataclass(frozen=True)
class _Raw:
    """What the worker threads bring back; all arithmetic happens on the event loop."""

    listing: dict[str, Any]
    inspect: dict[str, Any]
    stats: dict[str, Any] | None


#: a CPU counter reading kept between polls: (container total ns, host system ns)
CpuReading = tuple[int, int]
#: how long the first collect waits for new streams' first frames (one engine tick)
FIRST_FRAME_WAIT_S = 2.5


class ContainersPanel(Panel[ContainersSample]):
    """Every container on one engine (or the ones named), read through the engine socket."""

    kind = "containers"
    series_key = "running"
    #: CPU % is a rate: one-shot stats carry no previous reading, so `check` polls twice
    rate_based = True

    def __init__(
        self,
        name: str = "containers",
        *,
        docker_host: str | None = None,
        all: bool = True,
        names: Iterable[str] | None = None,
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
        max_workers: int = DEFAULT_WORKERS,
    ) -> None:
        super().__init__(name, interval=interval, timeout=timeout, rules=rules)
        self.docker_host = docker_host
        self.all = all
        self.names = tuple(names) if names else ()
        self.max_workers = max_workers
        self._client: _Clients | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._streams = StatsStreams()
        self._cpu_prev: dict[str, CpuReading] = {}
        self._inspected: dict[str, _Inspected] = {}

    @property
    def host(self) -> str:
        """The engine address: the configured one, else DOCKER_HOST, else the local socket."""
        return self.docker_host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST

    @property
    def target(self) -> str:
        return self.host

    # -- collect -----------------------------------------------------------------------

    async def collect(self) -> ContainersSample:
        started = time.monotonic()
        await self._check_socket()
        loop = asyncio.get_running_loop()
        pool = self._executor()
        client = await loop.run_in_executor(pool, self._connect)
        # a watch list must see stopped containers too, or a crashed one would vanish
        listing = await loop.run_in_executor(
            pool, lambda: client.calls.containers(all=self.all or bool(self.names)))
        if self.names:
            wanted = set(self.names)
            listing = [c for c in listing if _name(c) in wanted]
        inspected = await self._inspect_changed(listing, pool, client)
        running = [ins["Id"] for _, ins in filter(None, inspected)
                   if (ins.get("State") or {}).get("Status") == "running"]
        # Thread.start() waits for each thread to run: 100 of them would stall the loop
        fresh = await loop.run_in_executor(pool, self._streams.follow, client.streams, running)
        # a container seen for the first time: give its stream one engine tick to deliver
        budget = min(FIRST_FRAME_WAIT_S, self.timeout - (time.monotonic() - started) - 0.5)
        await self._streams.wait_for_frames(fresh, budget)
        now = time.time()
        infos: list[ContainerInfo] = []
        seen: dict[str, CpuReading] = {}
        for item in inspected:
            if item is None:  # removed between listing and inspect
                continue
            entry, ins = item
            raw = _Raw(entry, ins, self._streams.frame(ins["Id"]))
            info, reading = self._read(raw, now)
            infos.append(info)
            if reading is not None:
                seen[raw.inspect["Id"]] = reading
        self._cpu_prev = seen  # forget containers that are gone or stopped
        present = {c.name for c in infos}
        infos += [_missing(n) for n in self.names if n not in present]
        infos.sort(key=lambda c: c.name)
        return ContainersSample(tuple(infos))

    async def _inspect_changed(self, listing: list[dict[str, Any]], pool: ThreadPoolExecutor,
                               clients: _Clients
                               ) -> list[tuple[dict[str, Any], dict[str, Any]] | None]:
        """Inspect what changed: a running container whose listing line is as it was gets
        its last inspect again (100 inspects a second kept dockerd and the GIL busy); one
        that is not running is always asked, so a start error is never missed."""
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        out: list[tuple[dict[str, Any], dict[str, Any]] | None] = []
        ask: list[tuple[int, dict[str, Any], tuple[str, str]]] = []
        for entry in listing:
            line = (str(entry.get("State") or ""), str(entry.get("Status") or ""))
            hit = self._inspected.get(entry["Id"])
            if (hit is not None and line[0] == "running" and hit.line == line
                    and now - hit.at < INSPECT_REUSE_S):
                out.append((entry, hit.inspect))
            else:
                ask.append((len(out), entry, line))
                out.append(None)
        answers = await asyncio.gather(
            *(loop.run_in_executor(pool, _inspect, clients, entry) for _, entry, _ in ask))
        for (index, entry, line), answer in zip(ask, answers, strict=True):
            out[index] = answer
            if answer is not None:
                self._inspected[entry["Id"]] = _Inspected(line, now, answer[1])
        listed = {entry["Id"] for entry in listing}
        self._inspected = {k: v for k, v in self._inspected.items() if k in listed}
        return out

    async def _check_socket(self) -> None:
        """Look for the engine's unix socket at every poll, not only when connecting.

        The clients keep pooled keep-alive connections (and the stats streams theirs): with
        the socket file removed they went on answering through those, so the card stayed
        green on an engine nothing else could reach any more. A missing socket drops the
        clients (the next poll connects afresh, so the card recovers by itself when the
        socket is back) and reads as absent, as it does at start.
        """
        path = _unix_path(self.host)
        if path is None or os.path.exists(path):
            return
        await self._drop_clients()
        raise SourceAbsent(f"no Docker engine at {self.host} (no socket)")

    async def _drop_clients(self) -> None:
        clients, self._client = self._client, None
        self._streams.close()
        self._cpu_prev.clear()
        self._inspected.clear()
        if clients is not None:
            await asyncio.to_thread(clients.close)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="opsdash-docker")
        return self._pool

    def _connect(self) -> _Clients:
        """Clients kept per panel: requests reconnects by itself when the engine returns."""
        if self._client is None:
            calls = api_client(self.docker_host, self.timeout, POOL_SIZE)
            # same engine and API version; only the read timeout differs
            streams = api_client(self.docker_host, STREAM_READ_TIMEOUT, POOL_SIZE,
                                 version=calls.api_version)
            self._client = _Clients(calls, streams)
        return self._client

    def _read(self, raw: _Raw, now: float) -> tuple[ContainerInfo, CpuReading | None]:
        ins = raw.inspect
        st = ins.get("State") or {}
        state = str(st.get("Status") or raw.listing.get("State") or "unknown")
        health = (st.get("Health") or {}).get("Status") or None
        running = state == "running"
        cpu_pct: float | None = None
        reading: CpuReading | None = None
        mem = limit = None
        if raw.stats is not None:
            cpu_pct, reading = cpu_percent(raw.stats, self._cpu_prev.get(ins["Id"]))
            mem_stats = raw.stats.get("memory_stats") or {}
            mem = memory_bytes(mem_stats)
            limit = mem_stats.get("limit")
        started = _parse_time(st.get("StartedAt"))
        info = ContainerInfo(
            name=_name(raw.listing) or str(ins.get("Name", "")).lstrip("/"),
            id=str(ins["Id"])[:12],
            image=str(raw.listing.get("Image") or (ins.get("Config") or {}).get("Image") or ""),
            state=state,
            health=health,
            restarts=int(ins.get("RestartCount") or 0),
            cpu_pct=cpu_pct,
            mem_bytes=mem,
            mem_limit_bytes=int(limit) if limit else None,
            uptime_s=round(max(0.0, now - started), 1) if running and started else None,
            exit_code=None if running else _int_or_none(st.get("ExitCode")),
            error=str(st["Error"]) if st.get("Error") else None,
        )
        return info, reading

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        await self._drop_clients()

    # -- metrics and rules -------------------------------------------------------------

    def metrics(self, sample: ContainersSample) -> dict[str, Any]:
        cpus = [c.cpu_pct for c in sample.containers if c.cpu_pct is not None]
        mems = [c.mem_bytes for c in sample.containers if c.mem_bytes is not None]
        return {
            # `down` is the one ContainerDown rule, so cards and screens never re-derive it
            "containers": [{**asdict(c), "down": c.down} for c in sample.containers],
            "running": sample.running,
            "total": sample.total,
            "cpu_pct": round(sum(cpus), 2) if cpus else None,
            "mem_bytes": sum(mems) if mems else None,
        }

    def conditions(self, sample: ContainersSample) -> list[Condition]:
        severity = self.rule("ContainerDown").severity
        return [Condition("ContainerDown", c.down, severity,
                          f"{c.name} {c.why_down()}" if c.down else "", target=c.name)
                for c in sample.containers]

    def summary(self, sample: ContainersSample) -> str:
        if not sample.containers:
            return "no containers" + (" running" if not self.all else "")
        head = f"{sample.running}/{sample.total} running"
        down = [f"{c.name} ({c.why_down()})" for c in sample.containers if c.down]
        paused = [c.name for c in sample.containers if c.state == "paused"]
        parts = [head]
        if down:
            more = f" +{len(down) - 3}" if len(down) > 3 else ""
            parts.append("down: " + ", ".join(down[:3]) + more)
        if paused:
            parts.append(f"{len(paused)} paused")
        return "; ".join(parts)


# -- drill-down actions (blocking: the caller runs them in a thread) -----------------------


def container_logs(docker_host: str | None, name: str, lines: int = 50) -> list[str]:
    """The last `lines` lines the container wrote to stdout and stderr, interleaved.

    Terminal-safe and secrets masked: a container's output is outside text, and this is
    the one place the drill-down gets it from.
    """
    client = api_client(docker_host, timeout=10.0)
    try:
        data: bytes = client.logs(name, stdout=True, stderr=True, tail=lines, timestamps=False)
    finally:
        client.close()
    return [mask_secrets(safe_text(line))
            for line in data.decode("utf-8", errors="replace").splitlines()]


def restart_container(docker_host: str | None, name: str, timeout: int = 10) -> None:
    """Stop (SIGTERM, SIGKILL after `timeout` s) and start again, as `docker restart`."""
    client = api_client(docker_host, timeout=10.0)
    try:
        client.restart(name, timeout=timeout)
    finally:
        client.close()


# -- engine access and arithmetic ---------------------------------------------------------


def api_client(docker_host: str | None, timeout: float, pool_size: int = 4,
               version: str = "auto") -> Any:
    """A low-level client; a unix socket that does not exist means no engine here (unknown).

    With no host given, DOCKER_HOST and the TLS variables apply as for the docker CLI.
    """
    # look for the socket before importing the SDK (~6 MiB): most hosts without Docker
    # would otherwise carry it for nothing
    guess = docker_host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    guessed_path = _unix_path(guess)
    if guessed_path is not None and not os.path.exists(guessed_path):
        raise SourceAbsent(f"no Docker engine at {guess} (no socket)")
    if guessed_path is not None and version == "auto" and "docker" not in sys.modules:
        # a socket left by an engine that is gone: the SDK's first call (the API version)
        # would be refused; say what it says, without loading it
        refusal = _refusal(guessed_path)
        if refusal is not None:
            raise ConnectionRefusedError(
                f"Error while fetching server API version: {('Connection aborted.', refusal)}")
    import docker
    from docker.utils import kwargs_from_env

    kwargs: dict[str, Any] = {"base_url": docker_host} if docker_host else kwargs_from_env()
    host = str(kwargs.get("base_url") or DEFAULT_HOST)
    kwargs["base_url"] = host
    path = _unix_path(host)
    if path is not None and not os.path.exists(path):
        raise SourceAbsent(f"no Docker engine at {host} (no socket)")
    return docker.APIClient(version=version, timeout=timeout, max_pool_size=pool_size, **kwargs)


def _refusal(path: str) -> ConnectionRefusedError | None:
    """The error connecting to this unix socket when it refuses; None when it accepts or
    anything else happens (the SDK then has its say)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(REFUSAL_WAIT_S)
        try:
            sock.connect(path)
        except ConnectionRefusedError as exc:
            return exc
        except OSError:
            return None
    return None


def _inspect(clients: _Clients, entry: dict[str, Any]
             ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Inspect one container (restarts, health, start time live only here); None if gone."""
    import docker.errors

    try:
        return entry, dict(clients.calls.inspect_container(entry["Id"]))
    except docker.errors.NotFound:
        return None


@dataclass(frozen=True)
class _Clients:
    calls: Any  # list, inspect: short timeout
    streams: Any  # stats streams: long read timeout

    def close(self) -> None:
        self.calls.close()
        self.streams.close()


class StatsStreams:
    """One stats stream per running container; the newest frame of each, behind a lock.

    Threads only write frames; the event loop only reads them. A thread checks its stop
    flag at every frame, and dockerd keeps sending (empty) frames for a stopped container
    and ends the stream when it is removed, so a stopped stream ends within a tick.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: dict[str, dict[str, Any]] = {}
        self._stops: dict[str, threading.Event] = {}

    def follow(self, client: Any, ids: Iterable[str]) -> list[str]:
        """Stream exactly these containers; returns the ids whose streams start now."""
        wanted = set(ids)
        started: list[tuple[str, threading.Event]] = []
        with self._lock:
            for cid in [c for c in self._stops if c not in wanted]:
                self._stops.pop(cid).set()
                self._frames.pop(cid, None)
            for cid in wanted - self._stops.keys():
                self._stops[cid] = threading.Event()
                started.append((cid, self._stops[cid]))
        for cid, stop in started:
            threading.Thread(target=self._run, args=(client, cid, stop), daemon=True,
                             name=f"opsdash-stats-{cid[:12]}").start()
        return [cid for cid, _ in started]

    def _run(self, client: Any, cid: str, stop: threading.Event) -> None:
        try:
            for frame in client.stats(cid, stream=True, decode=True):
                if stop.is_set():
                    break
                if str(frame.get("read", "")).startswith("0001-"):
                    continue  # the collector's placeholder for a container not running
                with self._lock:
                    if self._stops.get(cid) is stop:
                        self._frames[cid] = frame
        except Exception:  # engine gone or container removed: the next collect restarts it
            pass
        finally:
            with self._lock:
                if self._stops.get(cid) is stop:
                    del self._stops[cid]
                    self._frames.pop(cid, None)

    def frame(self, cid: str) -> dict[str, Any] | None:
        with self._lock:
            return self._frames.get(cid)

    async def wait_for_frames(self, ids: list[str], budget: float) -> None:
        """Wait (without blocking the loop) until these streams have a frame, or budget ends."""
        deadline = time.monotonic() + budget
        pending = list(ids)
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            with self._lock:
                pending = [c for c in pending if c not in self._frames and c in self._stops]

    def close(self) -> None:
        with self._lock:
            for stop in self._stops.values():
                stop.set()
            self._stops.clear()
            self._frames.clear()


def cpu_percent(stats: Mapping[str, Any], prev: CpuReading | None
                ) -> tuple[float | None, CpuReading | None]:
    """CPU % as `docker stats` computes it, and this reading to keep for next time.

    One-shot stats leave precpu_stats empty, so the previous poll's reading stands in.
    None on the first sample, and when the counter went back (the container restarted).
    """
    cpu = stats.get("cpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    total, system = usage.get("total_usage"), cpu.get("system_cpu_usage")
    if total is None or not system:
        return None, None
    reading: CpuReading = (int(total), int(system))
    pre = stats.get("precpu_stats") or {}
    if pre.get("system_cpu_usage"):
        base: CpuReading | None = (int((pre.get("cpu_usage") or {}).get("total_usage") or 0),
                                   int(pre["system_cpu_usage"]))
    else:
        base = prev
    if base is None:
        return None, reading
    cpu_delta, system_delta = reading[0] - base[0], reading[1] - base[1]
    if cpu_delta < 0 or system_delta <= 0:
        return None, reading
    online = cpu.get("online_cpus") or len(usage.get("percpu_usage") or ()) or 1
    return round(cpu_delta / system_delta * online * 100.0, 2), reading


def memory_bytes(mem: Mapping[str, Any]) -> int | None:
    """Usage minus inactive file cache, as the docker CLI does since 20.10.

    cgroup v1 reports `total_inactive_file`, v2 `inactive_file` (older CLIs took `cache`).
    """
    usage = mem.get("usage")
    if usage is None:
        return None
    stats = mem.get("stats") or {}
    if "total_inactive_file" in stats and stats["total_inactive_file"] < usage:
        return int(usage - stats["total_inactive_file"])
    inactive = stats.get("inactive_file", 0)
    if inactive < usage:
        return int(usage - inactive)
    return int(usage)


def _unix_path(host: str) -> str | None:
    if host.startswith("unix://"):
        return "/" + host[len("unix://"):].lstrip("/")
    if host.startswith("/"):
        return host
    return None


def _name(listing: Mapping[str, Any]) -> str:
    names = listing.get("Names") or []
    # a linked container has extra names like /web/db; the one without a second slash is its own
    own = [n for n in names if n.count("/") == 1] or names
    return str(own[0]).lstrip("/") if own else ""


def _missing(name: str) -> ContainerInfo:
    return ContainerInfo(name, "", "", "missing", None, 0, None, None, None, None, None)


def _parse_time(value: Any) -> float | None:
    """Docker's RFC 3339 times with nanoseconds; the zero time means never."""
    if not value or str(value).startswith("0001-"):
        return None
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None
