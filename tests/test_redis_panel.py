"""Stories about the redis panel, told against a real redis-server started per test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

import pytest
import redis

from common.masking import mask_url
from panels.alerts import AlertState
from panels.base import AlertRule, Severity, Status
from panels.redis import RedisPanel
from panels.watch import PanelState, PanelWatch
from tests.fixtures.redis import RedisFactory, RedisServer

NOW_FIRING = {"TaskQueueStuck": AlertRule(1000.0, 0.0, Severity.WARN)}


@pytest.fixture
async def panels() -> AsyncIterator[list[RedisPanel]]:
    """Every panel a test builds is closed afterwards, as the app does on quit."""
    made: list[RedisPanel] = []
    yield made
    for panel in made:
        await panel.aclose()


def _panel(made: list[RedisPanel], url: str, queues: Sequence[str] = (),
           rules: dict[str, AlertRule] | None = None) -> RedisPanel:
    panel = RedisPanel("broker", url=url, queues=queues, timeout=3.0, rules=rules)
    made.append(panel)
    return panel


def _alert(state: PanelState, name: str, target: str = "") -> AlertState | None:
    for alert in state.alerts:
        if alert.name == name and alert.target == target:
            return alert.state
    return None


async def test_a_celery_list_of_1500_reads_depth_1500_and_fires_task_queue_stuck(
        redis_server: RedisServer, panels: list[RedisPanel]) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.rpush("celery", *range(1500))
    client.rpush("emails", *range(3))
    watch = PanelWatch(_panel(panels, redis_server.url, queues=["celery", "emails"],
                              rules=NOW_FIRING))

    state = await watch.poll()

    assert state.metrics["queues"] == {"celery": 1500, "emails": 3}
    assert _alert(state, "TaskQueueStuck", "celery") is AlertState.FIRING
    assert _alert(state, "TaskQueueStuck", "emails") is None
    assert state.status is Status.WARN
    assert "celery 1500" in state.summary


async def test_a_stuck_queue_waits_for_its_for_duration_before_firing(
        redis_server: RedisServer, panels: list[RedisPanel]) -> None:
    redis.Redis.from_url(redis_server.url).rpush("celery", *range(1001))
    watch = PanelWatch(_panel(panels, redis_server.url, queues=["celery"]))  # default for: 10m

    first = await watch.poll(now=1000.0)
    later = await watch.poll(now=1000.0 + 601)

    assert _alert(first, "TaskQueueStuck", "celery") is AlertState.PENDING
    assert _alert(later, "TaskQueueStuck", "celery") is AlertState.FIRING


async def test_streams_sorted_sets_and_sets_read_their_depth_and_a_missing_key_reads_zero(
        redis_server: RedisServer, panels: list[RedisPanel]) -> None:
    client = redis.Redis.from_url(redis_server.url)
    for i in range(7):
        client.xadd("events", {"n": i})
    client.zadd("scheduled", {f"job{i}": i for i in range(12)})
    client.sadd("unacked", "a", "b")
    panel = _panel(panels, redis_server.url, queues=["events", "scheduled", "unacked", "absent"])

    state = await PanelWatch(panel).poll()

    assert state.metrics["queues"] == {"events": 7, "scheduled": 12, "unacked": 2, "absent": 0}
    assert state.metrics["queue_depth_total"] == 21
    assert state.status is Status.OK


async def test_a_healthy_redis_reports_latency_memory_and_clients(
        redis_server: RedisServer, panels: list[RedisPanel]) -> None:
    state = await PanelWatch(_panel(panels, redis_server.url)).poll()
    # the server's own INFO, read right after by another client: the figures to match
    with redis.Redis.from_url(redis_server.url) as direct:
        memory = direct.info("memory")

    metrics = state.metrics
    assert state.status is Status.OK and state.error is None
    assert 0 < metrics["ping_ms"] < 3000  # the panel's timeout (3 s) is the ceiling
    # used_memory moves by a few KiB per client connection: within 10 %
    assert metrics["used_memory_bytes"] == pytest.approx(memory["used_memory"], rel=0.1)
    assert metrics["maxmemory_bytes"] == 0 and metrics["memory_ratio"] is None
    assert metrics["connected_clients"] >= 1  # the panel's own, while it asks
    assert metrics["evicted_keys"] == 0 and metrics["blocked_clients"] == 0
    assert metrics["fragmentation"] == pytest.approx(memory["mem_fragmentation_ratio"],
                                                     rel=0.25)
    assert state.series_value == float(metrics["used_memory_bytes"])


async def test_stopping_redis_turns_the_panel_crit_with_redis_unreachable_and_restarting_recovers(
        redis_server: RedisServer, panels: list[RedisPanel]) -> None:
    watch = PanelWatch(_panel(panels, redis_server.url, queues=["celery"]))
    assert (await watch.poll()).status is Status.OK

    redis_server.stop()
    down = await watch.poll()
    assert down.status is Status.CRIT
    assert down.error is not None and down.error.kind == "refused"
    assert _alert(down, "RedisUnreachable") is AlertState.FIRING
    assert down.metrics["queues"] == {"celery": 0}  # last good values stay on the card

    redis_server.start()
    back = await watch.poll()
    assert back.status is Status.OK, back.summary
    assert _alert(back, "RedisUnreachable") is AlertState.RESOLVED


async def test_after_an_outage_of_many_polls_redis_is_green_by_the_second_poll(
        redis_server: RedisServer, panels: list[RedisPanel]) -> None:
    """No reconnect back-off may build up over a long outage: each poll tries again."""
    refresh = 1.0
    panel = RedisPanel("broker", url=redis_server.url, timeout=1.0)
    panels.append(panel)
    watch = PanelWatch(panel)
    assert (await watch.poll()).status is Status.OK

    redis_server.stop()
    outage: list[PanelState] = []
    ends = time.monotonic() + 6.0
    while time.monotonic() < ends:
        tick = time.monotonic()
        outage.append(await watch.poll())
        await asyncio.sleep(max(0.0, tick + refresh - time.monotonic()))
    redis_server.start()  # returns once the port listens
    back_at = time.monotonic()
    after: list[PanelState] = []
    for _ in range(2):
        tick = time.monotonic()
        after.append(await watch.poll())
        if after[-1].status is Status.OK:
            break
        await asyncio.sleep(max(0.0, tick + refresh - time.monotonic()))

    assert len(outage) >= 5
    assert {s.status for s in outage} == {Status.CRIT}
    assert {s.error.kind for s in outage if s.error} == {"refused"}
    assert after[-1].status is Status.OK, after[-1].summary
    assert time.monotonic() - back_at < 5.0
    assert _alert(after[-1], "RedisUnreachable") is AlertState.RESOLVED


async def test_memory_above_85_percent_of_maxmemory_fires_redis_memory_high(
        redis_factory: RedisFactory, panels: list[RedisPanel]) -> None:
    server = redis_factory(extra_args=("--maxmemory", "1gb"))
    watch = PanelWatch(_panel(panels, server.url))
    roomy = await watch.poll()
    assert roomy.metrics["maxmemory_bytes"] == 1024**3
    assert 0 < roomy.metrics["memory_ratio"] < 0.85
    assert _alert(roomy, "RedisMemoryHigh") is None

    client = redis.Redis.from_url(server.url)
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", int(used / 0.95))
    tight = await watch.poll()

    assert tight.metrics["memory_ratio"] > 0.85
    assert _alert(tight, "RedisMemoryHigh") is AlertState.FIRING
    assert tight.status is Status.WARN


async def test_a_wrong_redis_password_is_an_auth_error_that_never_shows_the_password(
        redis_factory: RedisFactory, panels: list[RedisPanel]) -> None:
    server = redis_factory(password="right-horse-battery")
    panel = _panel(panels, server.url_with("wrong-staple-guess"))

    state = await PanelWatch(panel).poll()

    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "auth"
    assert _alert(state, "RedisUnreachable") is AlertState.FIRING
    shown = f"{state.summary} {state.target} {state.as_json()}"
    assert "wrong-staple-guess" not in shown and "right-horse-battery" not in shown


async def test_no_password_against_a_protected_redis_is_an_auth_error(
        redis_factory: RedisFactory, panels: list[RedisPanel]) -> None:
    server = redis_factory(password="right-horse-battery")
    state = await PanelWatch(_panel(panels, f"redis://127.0.0.1:{server.port}/0")).poll()
    assert state.error is not None and state.error.kind == "auth"


async def test_the_right_password_reads_the_protected_redis(
        redis_factory: RedisFactory, panels: list[RedisPanel]) -> None:
    server = redis_factory(password="right-horse-battery")
    panel = _panel(panels, server.url)
    state = await PanelWatch(panel).poll()
    assert state.status is Status.OK
    assert panel.target == f"redis://:****@127.0.0.1:{server.port}/0"


def test_redis_urls_are_shown_with_their_password_masked() -> None:
    assert mask_url("redis://:pw@h:6379/0") == "redis://:****@h:6379/0"
    assert mask_url("rediss://app:p%40ss@cache.internal:6380/2") == \
        "rediss://app:****@cache.internal:6380/2"
    assert mask_url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"
