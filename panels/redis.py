"""Redis: latency, memory against maxmemory, evictions, clients, and task-queue depths.

One client for the panel's life; redis-py reconnects its pool by itself, so a restarted
Redis is picked up on the next poll without restarting opsdash. Retries are limited to
one immediate attempt (a pooled socket that died with the old server): each poll is
already a retry, and built-in backoff would only turn "refused" into "timeout".

A queue is any key a worker drains; its depth is read by the key's type (LLEN for a
list as Celery/RQ use, XLEN for a stream, ZCARD for a sorted set, SCARD for a set); a
missing key is an empty queue. The sparkline (`series_key`) is used_memory_bytes: it
is there for every Redis, queues or not, and memory is what takes a broker down.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from common.masking import mask_url
from panels.base import AlertRule, Condition, Panel
from panels.errors import BadResponse

#: INFO sections holding every field the panel reads (one section per call: Redis < 7)
_INFO_SECTIONS = ("memory", "clients", "stats")
_LENGTH_COMMAND = {"list": "LLEN", "stream": "XLEN", "zset": "ZCARD", "set": "SCARD"}


@dataclass(frozen=True)
class RedisSample:
    ping_ms: float
    used_memory_bytes: int
    maxmemory_bytes: int  # 0: no limit configured
    fragmentation: float | None
    evicted_keys: int
    connected_clients: int
    blocked_clients: int
    queues: dict[str, int]

    @property
    def memory_ratio(self) -> float | None:
        if not self.maxmemory_bytes:
            return None
        return self.used_memory_bytes / self.maxmemory_bytes


class RedisPanel(Panel[RedisSample]):
    """One Redis server (and the queues it holds) through one client."""

    kind: ClassVar[str] = "redis"
    unreachable_alert: ClassVar[str | None] = "RedisUnreachable"
    series_key: ClassVar[str | None] = "used_memory_bytes"

    def __init__(
        self,
        name: str,
        *,
        url: str,
        queues: Sequence[str] = (),
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        super().__init__(name, interval=interval, timeout=timeout, rules=rules)
        self.url = url
        self.queues: tuple[str, ...] = tuple(queues)
        self._client: aioredis.Redis | None = None

    @property
    def target(self) -> str:
        return mask_url(self.url)

    def _redis(self) -> aioredis.Redis:
        # created lazily so the panel can be built before an event loop exists
        if self._client is None:
            self._client = aioredis.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout,
                decode_responses=True, retry=Retry(NoBackoff(), 1),
                client_name="opsdash")
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def collect(self) -> RedisSample:
        client = self._redis()
        started = time.perf_counter()
        await client.ping()
        ping_ms = (time.perf_counter() - started) * 1000

        pipe = client.pipeline(transaction=False)
        for section in _INFO_SECTIONS:  # just these: the whole INFO costs twice the parsing
            pipe.info(section)
        for queue in self.queues:
            pipe.type(queue)
        replies = await pipe.execute()
        info: dict[str, Any] = {}
        for reply in replies[:len(_INFO_SECTIONS)]:
            if not isinstance(reply, dict):
                raise BadResponse(f"INFO returned {type(reply).__name__}, not a mapping")
            info.update(reply)
        types = replies[len(_INFO_SECTIONS):]

        queues = dict.fromkeys(self.queues, 0)
        measured = [(q, _LENGTH_COMMAND[t]) for q, t in zip(self.queues, types, strict=True)
                    if t in _LENGTH_COMMAND]
        if measured:
            pipe = client.pipeline(transaction=False)
            for queue, command in measured:
                pipe.execute_command(command, queue)
            for (queue, _), depth in zip(measured, await pipe.execute(), strict=True):
                queues[queue] = int(depth)
        return RedisSample(
            ping_ms=ping_ms,
            used_memory_bytes=int(info.get("used_memory", 0)),
            maxmemory_bytes=int(info.get("maxmemory", 0)),
            fragmentation=_float(info.get("mem_fragmentation_ratio")),
            evicted_keys=int(info.get("evicted_keys", 0)),
            connected_clients=int(info.get("connected_clients", 0)),
            blocked_clients=int(info.get("blocked_clients", 0)),
            queues=queues,
        )

    def metrics(self, sample: RedisSample) -> dict[str, Any]:
        ratio = sample.memory_ratio
        return {
            "ping_ms": round(sample.ping_ms, 3),
            "used_memory_bytes": sample.used_memory_bytes,
            "maxmemory_bytes": sample.maxmemory_bytes,
            "memory_ratio": round(ratio, 4) if ratio is not None else None,
            "fragmentation": sample.fragmentation,
            "evicted_keys": sample.evicted_keys,
            "connected_clients": sample.connected_clients,
            "blocked_clients": sample.blocked_clients,
            "queues": dict(sample.queues),
            "queue_depth_total": sum(sample.queues.values()),
        }

    def conditions(self, sample: RedisSample) -> list[Condition]:
        conds: list[Condition] = []
        memory = self.rule("RedisMemoryHigh")
        ratio = sample.memory_ratio
        if memory.threshold is not None:
            conds.append(Condition(
                "RedisMemoryHigh", ratio is not None and ratio > memory.threshold,
                memory.severity,
                f"used {_mib(sample.used_memory_bytes)} of {_mib(sample.maxmemory_bytes)}"))
        stuck = self.rule("TaskQueueStuck")
        if stuck.threshold is not None:
            for queue, depth in sample.queues.items():
                conds.append(Condition("TaskQueueStuck", depth > stuck.threshold, stuck.severity,
                                       f"{queue}: {depth} waiting", target=queue))
        return conds

    def summary(self, sample: RedisSample) -> str:
        memory = _mib(sample.used_memory_bytes)
        if sample.maxmemory_bytes:
            memory += f"/{_mib(sample.maxmemory_bytes)}"
        parts = [f"ping {sample.ping_ms:.1f}ms", f"mem {memory}",
                 f"{sample.connected_clients} clients"]
        if sample.evicted_keys:
            parts.append(f"{sample.evicted_keys} evicted")
        parts += [f"{q} {d}" for q, d in sample.queues.items()]
        return " · ".join(parts)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f}MiB"
