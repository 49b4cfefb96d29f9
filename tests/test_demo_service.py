"""The demo service, told as the stories a demo user lives through, over real HTTP.

Every test talks to a real DemoService on a free loopback port (and a real redis-server
for the backlog); faults are switched on and off the way the runbook does it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from panels.alerts import DEFAULT_RULES
from panels.base import Panel, Probe
from runbooks.library import Library, load_library
from runbooks.lint import lint_library
from runbooks.match import match
from tests.fixtures.common import free_port, wait_for_port
from tests.fixtures.redis import RedisServer
from tui.commands.demo import (
    DEMO_FOR_S,
    RUNBOOK_SECTIONS,
    demo_config,
    demo_runbook_dir,
    with_user_config,
)
from tui.config.loader import build_panels
from tui.demo.service import BACKLOG_ITEMS, FAULTS, KEY_PREFIX, SLOW_SECONDS, DemoService

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo() -> Iterator[DemoService]:
    service = DemoService().start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def client(demo: DemoService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.url, timeout=10) as c:
        yield c


def samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape /metrics with prometheus_client's own parser: {(sample name, labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def orders_by_status(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float]
                     ) -> dict[str, float]:
    counts: dict[str, float] = {}
    for (name, labels), value in scrape.items():
        label = dict(labels)
        if name == "http_requests_total" and label.get("path") == "/api/orders":
            counts[label["status"]] = counts.get(label["status"], 0.0) + value
    return counts


def duration(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float], sample: str,
             **labels: str) -> float:
    key = ("http_request_duration_seconds" + sample,
           tuple(sorted({"path": "/api/orders", **labels}.items())))
    return scrape.get(key, 0.0)


def test_readyz_says_ok_with_nested_checks(client: httpx.Client) -> None:
    for path in ("/readyz", "/health"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["database"]["ok"] is True
        assert body["queue"] == {"ok": True, "depth": 0, "backend": "memory"}


def test_metrics_parse_and_orders_counters_grow(client: httpx.Client) -> None:
    before = samples(client)
    for _ in range(10):
        assert client.get("/api/orders").status_code == 200
    after = samples(client)

    grown = sum(orders_by_status(after).values()) - sum(orders_by_status(before).values())
    assert grown >= 10  # ours, plus whatever the built-in traffic added meanwhile
    assert duration(after, "_count") - duration(before, "_count") >= 10
    bucket_bounds = {dict(labels).get("le") for (name, labels) in after
                     if name == "http_request_duration_seconds_bucket"}
    assert {"0.05", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "+Inf"} <= bucket_bounds


def test_built_in_traffic_gives_the_traffic_panel_a_rate(demo: DemoService) -> None:
    with httpx.Client(base_url=demo.url, timeout=10) as c:
        first = sum(orders_by_status(samples(c)).values())
        # about 8 requests/s of its own: wait for 3 more with a deadline a busy machine
        # meets, instead of counting what one fixed pause happened to see
        deadline = time.monotonic() + 30
        second = first
        while second - first < 3 and time.monotonic() < deadline:
            threading.Event().wait(0.1)
            second = sum(orders_by_status(samples(c)).values())
    assert second - first >= 3


def test_down_fails_readiness_until_recovered(client: httpx.Client) -> None:
    assert client.post("/admin/down").json()["active"] == ["down"]

    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False
    assert client.get("/health").status_code == 503
    assert client.get("/admin/faults").json()["active"] == ["down"]  # admin still answers

    assert client.post("/admin/recover", params={"fault": "down"}).json()["active"] == []
    assert client.get("/readyz").json()["status"] == "ok"


def test_errors_fault_fails_about_one_order_in_five(client: httpx.Client) -> None:
    client.post("/admin/errors")
    before = orders_by_status(samples(client))
    answers = [client.get("/api/orders").status_code for _ in range(50)]
    after = orders_by_status(samples(client))

    assert set(answers) == {200, 500}
    delta = {status: after.get(status, 0.0) - before.get(status, 0.0) for status in after}
    ratio = delta.get("500", 0.0) / sum(delta.values())
    assert 0.15 <= ratio <= 0.25

    client.post("/admin/recover")
    assert [client.get("/api/orders").status_code for _ in range(10)] == [200] * 10


def test_slow_fault_puts_observations_above_half_a_second(client: httpx.Client) -> None:
    before = samples(client)
    client.post("/admin/slow")
    for _ in range(2):
        client.get("/api/orders")
    after = samples(client)

    over_half_second = ((duration(after, "_count") - duration(after, "_bucket", le="0.5"))
                        - (duration(before, "_count") - duration(before, "_bucket", le="0.5")))
    assert over_half_second >= 2
    assert duration(after, "_bucket", le="0.75") == duration(after, "_bucket", le="0.5")


def test_backlog_fills_demo_jobs_in_redis_and_recover_drains_it(
        redis_server: RedisServer) -> None:
    queue = redis.Redis.from_url(redis_server.url)
    with DemoService(redis_url=redis_server.url) as demo, \
            httpx.Client(base_url=demo.url, timeout=10) as c:
        assert c.post("/admin/backlog").status_code == 200
        assert queue.llen(demo.queue_key) == BACKLOG_ITEMS == 1500
        assert c.get("/readyz").json()["queue"] == {"ok": True, "depth": 1500,
                                                    "backend": "redis"}
        assert demo.faults == {"backlog"}

        c.post("/admin/recover", params={"fault": "backlog"})
        assert queue.llen(demo.queue_key) == 0
        assert demo.faults == frozenset()
    queue.close()


def test_backlog_without_redis_says_it_needs_redis(client: httpx.Client) -> None:
    response = client.post("/admin/backlog")
    assert response.status_code == 409
    assert "needs Redis" in response.json()["error"]
    assert response.json()["active"] == []


def test_unknown_fault_is_refused_with_the_list_of_faults(client: httpx.Client) -> None:
    response = client.post("/admin/meltdown")
    assert response.status_code == 404
    assert response.json()["faults"] == list(FAULTS)
    assert client.post("/admin/recover", params={"fault": "meltdown"}).status_code == 409


def test_python_api_matches_http(demo: DemoService, client: httpx.Client) -> None:
    demo.inject("down")
    demo.inject("slow")
    assert client.get("/admin/faults").json()["active"] == ["down", "slow"]
    demo.recover("slow")
    assert demo.faults == {"down"}
    demo.recover()
    assert client.get("/readyz").status_code == 200


def test_stop_joins_every_thread_and_frees_the_port() -> None:
    demo = DemoService().start()
    demo.inject("slow")  # a request in flight must not hold stop() up for long
    port = demo.port
    demo.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("demo-")]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    demo.stop()  # twice is harmless


def test_serve_only_runs_headless_and_takes_faults(redis_server: RedisServer) -> None:
    port = free_port()
    env = {**os.environ, "OPSDASH_DEMO_REDIS": redis_server.url}
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "demo", "--serve-only",
                             "--port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc=proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            assert c.get("/readyz").status_code == 200
            assert c.post("/admin/down").status_code == 200
            assert c.get("/readyz").status_code == 503
            assert c.post("/admin/backlog").status_code == 200
            queue = c.get("/admin/faults").json()["queue"]
            assert queue.startswith(KEY_PREFIX) and queue.endswith(":jobs")
            assert redis.Redis.from_url(redis_server.url).llen(queue) == 1500
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert f"http://127.0.0.1:{port}/admin/down" in text
    assert "OPSDASH_DEMO_URL" in text
    assert "textual" not in err.decode().lower()


def test_demo_service_module_never_imports_textual() -> None:
    code = ("import sys, tui.commands.demo, tui.demo.service; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def active_alerts(panel: Panel[Any], probe: Probe[Any]) -> set[str]:
    assert probe.sample is not None, probe.error
    return {c.key for c in panel.conditions(probe.sample) if c.active}


async def test_demo_dashboard_sees_down_and_backlog_and_their_recovery(
        redis_server: RedisServer) -> None:
    with DemoService(redis_url=redis_server.url) as demo:
        config = demo_config(demo)
        panels = {p.kind: p for p in build_panels(config)}
        assert set(panels) == {"health", "traffic", "redis", "host"}
        health, traffic, queues = panels["health"], panels["traffic"], panels["redis"]
        try:
            async with httpx.AsyncClient(base_url=demo.url, timeout=10) as c:
                demo.inject("errors")
                await traffic.probe()  # rates need a first scrape
                await asyncio.gather(*(c.get("/api/orders") for _ in range(20)))
                assert active_alerts(traffic, await traffic.probe()) == {"HighErrorRate"}

                demo.recover("errors")
                demo.inject("slow")
                await asyncio.sleep(0.1)  # let responses decided before recovery be counted
                await traffic.probe()
                await asyncio.gather(*(c.get("/api/orders") for _ in range(4)))
                assert active_alerts(traffic, await traffic.probe()) == {"HighLatency"}

                demo.recover("slow")
                await asyncio.sleep(SLOW_SECONDS)  # requests already in flight finish slow
                await traffic.probe()
                await asyncio.gather(*(c.get("/api/orders") for _ in range(10)))
                assert active_alerts(traffic, await traffic.probe()) == set()

            assert active_alerts(health, await health.probe()) == set()
            demo.inject("down")
            assert active_alerts(health, await health.probe()) == {"ServiceDown"}
            demo.recover("down")
            assert active_alerts(health, await health.probe()) == set()

            demo.inject("backlog")
            assert active_alerts(queues, await queues.probe()) == {
                f"TaskQueueStuck:{demo.queue_key}"}
            assert active_alerts(health, await health.probe()) == set()  # one fault, one alert
            demo.recover()
            assert active_alerts(queues, await queues.probe()) == set()
        finally:
            for panel in panels.values():
                await panel.aclose()


def test_demo_alerts_fire_within_seconds_with_the_usual_thresholds() -> None:
    with DemoService(traffic_rps=0) as demo:
        config = demo_config(demo, refresh=None)
    assert config.refresh == 1.0
    assert {name: config.rules[name].for_s for name in DEMO_FOR_S} == {
        "HighErrorRate": 10.0, "HighLatency": 10.0, "TaskQueueStuck": 5.0}
    assert config.rules["HighErrorRate"].threshold == DEFAULT_RULES["HighErrorRate"].threshold
    assert config.rules["TaskQueueStuck"].threshold == 1000.0
    assert config.runbook_dirs == (demo_runbook_dir(),)
    assert (demo_runbook_dir() / "runbook.md").is_file()
    # without Redis there is no redis panel, and the dashboard says how to get one
    assert [spec.kind for spec in config.panels] == ["health", "traffic", "host"]
    assert any("redis-server" in hint for hint in config.hints)


def test_demo_with_a_user_config_keeps_both(tmp_path: Path) -> None:
    toml = tmp_path / "opsdash.toml"
    toml.write_text('[[health]]\nname = "api"\nurl = "http://127.0.0.1:9/readyz"\n'
                    '[alerts.HighLatency]\nfor = "1m"\n'
                    '[runbooks.map]\nHighLatency = ["mine.md#slow"]\n')
    with DemoService(traffic_rps=0) as demo:
        config = with_user_config(demo_config(demo, refresh=2.0), str(toml))
    assert [(s.kind, s.name) for s in config.panels] == [
        ("health", "demo"), ("traffic", "demo"), ("host", "host"), ("health", "api")]
    assert config.rules["HighLatency"].for_s == 60.0  # the user's own rule wins
    assert config.rules["HighErrorRate"].for_s == 10.0
    assert config.runbook_map["HighLatency"][1:] == ("mine.md#slow",)
    assert config.runbook_map["HighLatency"][0].startswith("runbook.md#")
    assert config.refresh == 2.0


def demo_library() -> tuple[Library, dict[str, tuple[str, ...]]]:
    """The library and mapping the demo dashboard uses, through the real runbook engine."""
    with DemoService(traffic_rps=0) as demo:
        config = demo_config(demo)
    return load_library(config.runbook_dirs), config.runbook_map


def test_demo_runbook_lints_clean_and_maps_every_fault() -> None:
    library, mapping = demo_library()
    demo_problems = [p for p in lint_library(library, mapping=mapping)
                     if p.file.startswith("runbook.md") and p.severity == "error"]
    assert demo_problems == []
    demo_book = next(rb for rb in library.runbooks if rb.file == "runbook.md")
    assert set(demo_book.variables) == {"OPSDASH_DEMO_URL", "OPSDASH_DEMO_REDIS",
                                        "OPSDASH_DEMO_QUEUE"}
    for fault in FAULTS.values():
        section = library.find(mapping[fault.alert][0])
        assert section.alerts == (fault.alert,)
        labels = [step.label for step in section.steps if step.runnable]
        assert labels == ["Check", "Check", "Fix", "Confirm fixed"], section.ref
        fix = next(step for step in section.steps if step.label == "Fix")
        assert fix.text.startswith("Fix:")
        assert f"/admin/recover?fault={fault.name}" in fix.commands[0].code
        # a POST changes the demo: it asks for `y`, and --read-only (which runs only what
        # reads) refuses it; it never destroys anything
        assert (fix.commands[0].effect.value, fix.destructive) == ("changes", False)


@pytest.mark.parametrize("with_config_map", [True, False])
def test_each_fault_alert_matches_the_demo_section_first(with_config_map: bool) -> None:
    library, mapping = demo_library()
    for fault in FAULTS.values():
        best = match(library, fault.alert, mapping if with_config_map else None)[0]
        assert best.section.ref == f"runbook.md#{RUNBOOK_SECTIONS[fault.alert]}"
        assert not best.section.bundled


def run_step(code: str, demo: DemoService) -> subprocess.CompletedProcess[str]:
    """Run a step's command text the way opsdash does: bash, with the demo's variables."""
    env = {**os.environ, "OPSDASH_DEMO_URL": demo.url}
    if demo.redis_url:
        env["OPSDASH_DEMO_REDIS"] = demo.redis_url
        env["OPSDASH_DEMO_QUEUE"] = demo.queue_key
    return subprocess.run(["bash", "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)


def test_fix_steps_recover_each_fault_and_confirm_steps_say_so(
        redis_server: RedisServer) -> None:
    library, mapping = demo_library()
    with DemoService(redis_url=redis_server.url) as demo:
        for fault in FAULTS.values():
            steps = library.find(mapping[fault.alert][0]).steps
            fix = next(s for s in steps if s.label == "Fix").commands[0].code
            confirm = next(s for s in steps if s.label == "Confirm fixed" and s.runnable)
            demo.inject(fault.name)

            fixed = run_step(fix, demo)
            assert fixed.returncode == 0, fixed.stderr
            assert demo.faults == frozenset(), fault.name
            confirmed = run_step(confirm.commands[0].code, demo)
            assert confirmed.returncode == 0, confirmed.stderr
            if fault.name == "backlog":  # LLEN of this demo's queue, read by redis-cli
                assert confirmed.stdout.strip() == "0"


def test_service_down_confirm_step_fails_until_the_fix_runs() -> None:
    library, mapping = demo_library()
    steps = library.find(mapping["ServiceDown"][0]).steps
    check, fix, confirm = (next(s for s in steps if s.label == label and s.runnable)
                           for label in ("Check", "Fix", "Confirm fixed"))
    with DemoService(traffic_rps=0) as demo:
        demo.inject("down")
        shown = run_step(check.commands[0].code, demo)
        assert "503" in shown.stdout and '"ok": false' in shown.stdout
        assert run_step(confirm.commands[0].code, demo).returncode != 0
        assert run_step(fix.commands[0].code, demo).returncode == 0
        assert run_step(confirm.commands[0].code, demo).returncode == 0


def demo_keys(client: redis.Redis) -> list[bytes]:
    return sorted(client.scan_iter(match=f"{KEY_PREFIX}*"))


def test_two_demos_on_one_redis_keep_to_their_own_keys_and_leave_none(
        redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.rpush("someone-elses:jobs", "x")  # not ours: no demo may touch it
    one = DemoService(redis_url=redis_server.url, traffic_rps=0).start()
    two = DemoService(redis_url=redis_server.url, traffic_rps=0).start()
    try:
        assert one.queue_key != two.queue_key
        assert one.queue_key.startswith(KEY_PREFIX) and one.queue_key.endswith(":jobs")
        one.inject("backlog")
        assert (client.llen(one.queue_key), client.llen(two.queue_key)) == (1500, 0)
        assert two.queue_depth() == 0
        two.inject("backlog")
        two.recover()  # "recover all" in the second demo drains only its own queue
        assert (client.llen(one.queue_key), client.llen(two.queue_key)) == (1500, 0)
        assert demo_keys(client) == [one.queue_key.encode()]
        one.stop()
        assert demo_keys(client) == []
        two.inject("backlog")
    finally:
        one.stop()
        two.stop()
    assert demo_keys(client) == []
    assert client.lrange("someone-elses:jobs", 0, -1) == [b"x"]
    client.close()


def test_a_demo_that_never_stops_removes_its_keys_at_exit(redis_server: RedisServer) -> None:
    code = ("from tui.demo.service import DemoService; "
            f"d = DemoService(redis_url={redis_server.url!r}, traffic_rps=0).start(); "
            "d.inject('backlog'); print(d.queue_key, flush=True)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True, timeout=60).stdout.strip()
    assert out.startswith(KEY_PREFIX)
    client = redis.Redis.from_url(redis_server.url)
    assert demo_keys(client) == []  # the interpreter exited without stop(): atexit did it
    client.close()


def test_the_demo_dashboard_and_runbook_are_told_this_runs_queue(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.commands.demo import QUEUE_ENV, REDIS_ENV, URL_ENV, export_env

    with DemoService(redis_url=redis_server.url, traffic_rps=0) as demo:
        for name in (QUEUE_ENV, REDIS_ENV, URL_ENV):  # restored after the test
            monkeypatch.setenv(name, "stale")
        export_env(demo)
        assert os.environ[QUEUE_ENV] == demo.queue_key
        redis_spec = next(s for s in demo_config(demo).panels if s.kind == "redis")
        assert redis_spec.options["queues"] == [demo.queue_key]
