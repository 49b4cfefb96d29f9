"""The health panel against a real HTTP service: the stories an on-call engineer tells."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.masking import mask_url
from panels.alerts import AlertState
from panels.base import Status
from panels.health import HealthPanel, HealthSample
from panels.watch import PanelState, PanelWatch
from tests.fixtures.common import free_port
from tests.fixtures.http import HTTPService

Keep = Callable[[HealthPanel], HealthPanel]
SERVER_DELAY_S = 0.25  # the test server waits this long before answering


@pytest.fixture
async def keep() -> AsyncIterator[Keep]:
    """Close every panel a test opens, pass or fail."""
    opened: list[HealthPanel] = []

    def _keep(panel: HealthPanel) -> HealthPanel:
        opened.append(panel)
        return panel

    yield _keep
    for panel in opened:
        await panel.aclose()


async def sample_of(panel: HealthPanel) -> HealthSample:
    probe = await panel.probe()
    assert probe.error is None, probe.error
    assert probe.sample is not None
    return probe.sample


def alert_named(state: PanelState, name: str) -> tuple[AlertState, str]:
    found = [a for a in state.alerts if a.name == name]
    assert found, f"no {name} among {state.alerts}"
    return found[0].state, found[0].detail


async def test_a_healthy_service_reads_ok_with_its_checks(http_service: HTTPService,
                                                          keep: Keep) -> None:
    url = http_service.route("/readyz", body={"status": "ok", "database": {"ok": True}},
                             delay=SERVER_DELAY_S)
    watch = PanelWatch(keep(HealthPanel("api", url=url)))

    started = time.monotonic()
    state = await watch.poll()
    elapsed_ms = (time.monotonic() - started) * 1000

    assert state.status is Status.OK
    assert state.metrics["http_status"] == 200
    assert state.metrics["ok"] is True
    # the server's own delay is a floor no clock can undercut; the poll's span a ceiling
    assert SERVER_DELAY_S * 1000 <= state.metrics["latency_ms"] <= elapsed_ms
    assert state.metrics["checks"] == {"status": True, "database.ok": True}
    assert state.extra["body_excerpt"] == '{"status": "ok", "database": {"ok": true}}'
    assert state.alerts == ()
    assert state.series_value == state.metrics["latency_ms"]
    assert "200 OK" in state.summary and "2/2 checks pass" in state.summary


async def test_a_503_fires_service_down_and_keeps_status_and_latency(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/readyz", status=503, body={"status": "down"},
                             delay=SERVER_DELAY_S)
    watch = PanelWatch(keep(HealthPanel("api", url=url)))

    started = time.monotonic()
    state = await watch.poll()
    elapsed_ms = (time.monotonic() - started) * 1000

    assert state.status is Status.CRIT
    assert state.metrics["http_status"] == 503
    assert state.metrics["ok"] is False
    assert SERVER_DELAY_S * 1000 <= state.metrics["latency_ms"] <= elapsed_ms
    alert, detail = alert_named(state, "ServiceDown")
    assert alert is AlertState.FIRING
    assert "HTTP 503" in detail and "status = 'down'" in detail


async def test_a_failing_nested_job_is_named_in_the_alert(http_service: HTTPService,
                                                           keep: Keep) -> None:
    url = http_service.route("/health", body={"status": "ok", "database": {"ok": True},
                                              "jobs": {"status": "failing"}})
    watch = PanelWatch(keep(HealthPanel("api", url=url)))

    state = await watch.poll()

    assert state.metrics["http_status"] == 200
    assert state.metrics["checks"] == {"status": True, "database.ok": True,
                                       "jobs.status": False}
    assert state.metrics["ok"] is False
    _, detail = alert_named(state, "ServiceDown")
    assert detail == "jobs.status = 'failing'"
    assert state.status is Status.CRIT


async def test_spring_actuator_components_are_read_as_checks(http_service: HTTPService,
                                                             keep: Keep) -> None:
    url = http_service.route("/actuator/health", body={
        "status": "DOWN",
        "components": {
            "db": {"status": "UP", "details": {"database": "PostgreSQL"}},
            "diskSpace": {"status": "DOWN", "details": {"free": 10, "total": 100}},
            "ping": {"status": "UP"},
        },
    }, content_type="application/vnd.spring-boot.actuator.v3+json")
    panel = keep(HealthPanel("api", url=url))

    sample = await sample_of(panel)

    assert sample.checks == {"status": False, "components.db.status": True,
                             "components.diskSpace.status": False,
                             "components.ping.status": True}
    assert "components.diskSpace.status = 'DOWN'" in sample.failed


async def test_rfc_style_check_lists_and_healthy_flags(http_service: HTTPService,
                                                       keep: Keep) -> None:
    url = http_service.route("/health", body={
        "status": "pass",
        "checks": [{"name": "redis", "healthy": True}, {"name": "queue", "healthy": False}],
    })
    sample = await sample_of(keep(HealthPanel("api", url=url)))

    assert sample.checks == {"status": True, "checks.redis.healthy": True,
                             "checks.queue.healthy": False}
    assert sample.ok is False


async def test_a_job_that_last_ran_two_hours_ago_is_stale(http_service: HTTPService,
                                                          keep: Keep) -> None:
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    just_now = time.time() - 5
    body = {"status": "ok", "jobs": {"nightly": {"last_run": two_hours_ago},
                                     "sync": {"updatedAt": just_now}}}
    url = http_service.route("/health", body=body)

    strict = await sample_of(keep(HealthPanel("api", url=url, fresh_within=600)))
    lenient = await sample_of(keep(HealthPanel("api", url=url)))

    assert strict.checks["jobs.nightly.last_run"] is False
    assert strict.checks["jobs.sync.updatedAt"] is True
    assert strict.ok is False
    assert any(f.startswith("jobs.nightly.last_run 2h 00m old") for f in strict.failed)
    assert 7100 < strict.freshness_s["jobs.nightly.last_run"] < 7300
    # without fresh_within the ages are shown but judge nothing
    assert lenient.ok is True and "jobs.nightly.last_run" in lenient.freshness_s


async def test_a_plain_text_body_is_judged_by_status_code_alone(http_service: HTTPService,
                                                                keep: Keep) -> None:
    good = http_service.route("/ping", body="OK\n")
    bad = http_service.route("/broken", status=500, body="<html>Internal error</html>",
                             content_type="text/html")

    up = await sample_of(keep(HealthPanel("up", url=good)))
    down = await sample_of(keep(HealthPanel("down", url=bad)))

    assert (up.ok, up.checks, up.body_excerpt) == (True, {}, "OK\n")
    assert (down.ok, down.http_status, down.failed) == (False, 500, ("HTTP 500 (expected 2xx)",))


async def test_an_endpoint_that_claims_json_but_sends_garbage_fails(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/health", body="{not json", content_type="application/json")

    sample = await sample_of(keep(HealthPanel("api", url=url)))

    assert sample.ok is False
    assert sample.checks == {"json": False}
    assert sample.failed[0].startswith("invalid JSON")


async def test_expected_status_codes_can_be_configured(http_service: HTTPService,
                                                       keep: Keep) -> None:
    url = http_service.route("/admin", status=401, body="login required")

    default = await sample_of(keep(HealthPanel("a", url=url)))
    allowed = await sample_of(keep(HealthPanel("b", url=url, expect_status=[401, "2xx"])))

    assert (default.ok, allowed.ok) == (False, True)


async def test_a_50_mb_body_is_cut_off_without_being_read(http_service: HTTPService,
                                                          keep: Keep) -> None:
    url = http_service.route("/huge", size=50_000_000)
    panel = keep(HealthPanel("api", url=url, max_body_bytes=1_000_000))

    tracemalloc.start()
    try:
        sample = await sample_of(panel)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sample.http_status == 200 and sample.latency_ms > 0
    assert sample.body_over_limit and sample.ok is False
    assert "body over 1000000 bytes" in sample.failed
    assert sample.body_bytes <= 1_000_000 + 256 * 1024
    assert peak < 16_000_000, f"peak Python memory {peak} bytes while reading a capped body"
    # the server stops as soon as the client hangs up: far from 50 MB went over the wire
    assert http_service.bytes_sent("/huge") < 20_000_000
    state = PanelWatch(panel).judge(await panel.probe(), time.time())
    assert alert_named(state, "ServiceDown")[1] == "body over 1000000 bytes"


@pytest.mark.parametrize(("literal", "shown"), [
    ("1e400", "1e400"),
    ("9" * 10_000, "999999999999… (10000 characters)"),  # past Python's 4300-digit limit
    ("-" + "9" * 400, "-99999999999… (401 characters)"),  # an int no float can hold
    ("NaN", "NaN"),
], ids=["1e400", "10000-digit-int", "400-digit-int", "NaN"])
async def test_a_number_out_of_range_is_a_named_failed_check_not_a_crash(
        http_service: HTTPService, keep: Keep, literal: str, shown: str) -> None:
    """The rest of the body still counts; the card names the field with the odd number."""
    body = f'{{"status": "ok", "count": {literal}, "last_run": {literal}}}'
    url = http_service.route("/health", body=body, content_type="application/json")
    watch = PanelWatch(keep(HealthPanel("api", url=url, timeout=2.0, fresh_within=60)))

    states = [await watch.poll() for _ in range(3)]  # it keeps polling, each the same
    http_service.route("/health", body={"status": "ok", "count": 3})
    fixed = await watch.poll()

    line = f"{shown}: number out of range"
    for state in states:
        assert state.error is None
        assert state.status is Status.CRIT
        assert state.metrics["checks"] == {"status": True, "count": False, "last_run": False}
        assert state.metrics["failed"] == [f"count = {line}", f"last_run = {line}"]
        assert alert_named(state, "ServiceDown")[1] == f"count = {line}; last_run = {line}"
    assert fixed.status is Status.OK and fixed.metrics["checks"] == {"status": True}


async def test_a_huge_number_in_a_body_not_labelled_json_is_still_read_as_json(
        http_service: HTTPService, keep: Keep) -> None:
    """A text/plain body that is JSON is judged as JSON; a huge integer no longer makes it
    unreadable (before, ValueError past 4300 digits dropped every check in it)."""
    body = '{"ok": false, "rows": ' + "1" * 5000 + "}"
    url = http_service.route("/health", body=body, content_type="text/plain")

    sample = await sample_of(keep(HealthPanel("api", url=url)))

    assert sample.checks == {"ok": False, "rows": False}
    assert sample.failed == ("ok = false", "rows = 111111111111… (5000 characters): "
                                           "number out of range")


def test_a_capped_body_leaves_nothing_pending_when_the_loop_ends(
        http_service: HTTPService) -> None:
    """`opsdash check` polls its panels in tasks and closes its loop right after the round:
    a capped read must have finished its clean-up by then, or asyncio reports destroyed
    pending tasks on stderr."""
    url = http_service.route("/huge", size=50_000_000, content_type="application/json")
    reported: list[str] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context["message"]))
    panels = [HealthPanel(f"api{i}", url=url, max_body_bytes=100_000) for i in range(3)]

    async def rounds() -> list[tuple[str, ...]]:
        failed = []
        for _ in range(2):  # as check does: each panel polled in its own task
            tasks = [asyncio.create_task(p.probe()) for p in panels]
            await asyncio.wait(tasks, timeout=30)
            failed += [t.result().sample.failed if t.result().sample else ("no sample",)
                       for t in tasks]
        # and each closed under a deadline (wait_for: a task per close)
        await asyncio.gather(*(asyncio.wait_for(p.aclose(), 5) for p in panels))
        return failed

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            failed = loop.run_until_complete(rounds())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
        del loop
        gc.collect()

    assert failed == [("body over 100000 bytes",)] * 6
    assert reported == []
    assert [str(w.message) for w in caught] == []


def test_check_on_capped_bodies_writes_nothing_to_stderr(http_service: HTTPService,
                                                         tmp_path: Path) -> None:
    """The whole command, as an operator runs it: three capped endpoints, a clean stderr."""
    text = http_service.route("/huge", size=50_000_000)
    json_body = http_service.route("/huge.json", size=50_000_000,
                                   content_type="application/json")
    config = tmp_path / "opsdash.toml"
    config.write_text("".join(
        f'[[health]]\nname = "{name}"\nurl = "{url}"\nmax_body_bytes = {cap}\n'
        for name, url, cap in (("text", text, 100_000), ("json", json_body, 1_000),
                               ("big", json_body, 2_000_000))))

    run = subprocess.run([sys.executable, "-m", "tui.cli", "check", "--config", str(config),
                          "--json"], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)

    assert run.stderr == ""
    assert run.returncode == 2
    panels = {p["id"]: p["metrics"]["failed"] for p in json.loads(run.stdout)["panels"]}
    assert panels == {"health:text": ["body over 100000 bytes"],
                      "health:json": ["body over 1000 bytes"],
                      "health:big": ["body over 2000000 bytes"]}


async def test_a_refused_connection_is_crit_with_refused(keep: Keep) -> None:
    watch = PanelWatch(keep(HealthPanel("api", url=f"http://127.0.0.1:{free_port()}/health")))

    state = await watch.poll()

    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "refused"
    assert state.summary.startswith("refused")
    assert alert_named(state, "ServiceDown")[0] is AlertState.FIRING


async def test_a_target_that_never_answers_is_crit_timeout_within_its_timeout(
        http_service: HTTPService, keep: Keep) -> None:
    url = http_service.route("/stuck", hang=True)
    watch = PanelWatch(keep(HealthPanel("api", url=url, timeout=1.0)))

    started = time.monotonic()
    # 60 s tells a hang from a busy machine; the message says its own timeout ended it
    state = await asyncio.wait_for(watch.poll(), 60)
    elapsed = time.monotonic() - started

    assert elapsed >= 1.0  # it waited its timeout, not less (timers never fire early)
    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "timeout"
    assert state.error.message == "no answer after 1s"
    assert "timeout" in state.summary


@pytest.mark.parametrize("url", ["not a url", "ftp://files.example/health", "http://"])
async def test_a_bad_url_gives_a_clear_error_not_a_traceback(url: str, keep: Keep) -> None:
    state = await PanelWatch(keep(HealthPanel("api", url=url))).poll()

    assert state.status is Status.CRIT
    assert state.error is not None
    assert "bad url" in state.error.message and "http://" in state.error.message
    assert "Traceback" not in state.summary


async def test_a_service_that_recovers_resolves_service_down(http_service: HTTPService,
                                                             keep: Keep) -> None:
    url = http_service.route("/readyz", status=503)
    watch = PanelWatch(keep(HealthPanel("api", url=url)))
    down = await watch.poll()

    http_service.route("/readyz", body={"status": "ok"})
    up = await watch.poll()

    assert down.status is Status.CRIT
    assert up.status is Status.OK
    assert alert_named(up, "ServiceDown")[0] is AlertState.RESOLVED
    assert http_service.hits("/readyz") == 2


async def test_the_last_responses_are_kept_for_the_drill_down(http_service: HTTPService,
                                                              keep: Keep) -> None:
    url = http_service.route("/health", body={"status": "ok", "pad": "x" * 10_000})
    panel = keep(HealthPanel("api", url=url))
    for _ in range(6):
        last = await sample_of(panel)
    http_service.route("/health", status=500, body={"status": "error"})
    last = await sample_of(panel)

    assert len(last.recent) == 5
    assert [r.http_status for r in last.recent] == [200, 200, 200, 200, 500]
    assert last.recent[-1].failed == ("HTTP 500 (expected 2xx)", "status = 'error'")
    assert len(last.recent[0].body_excerpt) == 2048
    assert last.recent[0].at <= last.recent[-1].at


async def test_secrets_in_the_url_never_reach_the_card(keep: Keep) -> None:
    port = free_port()
    panel = keep(HealthPanel("api", url=f"http://ops:hunter2@127.0.0.1:{port}/h?token=abc&x=1"))

    state = await PanelWatch(panel).poll()

    assert state.target == f"http://ops:****@127.0.0.1:{port}/h?token=****&x=1"
    assert "hunter2" not in state.summary and "abc" not in state.summary
    assert mask_url("https://example.com/health") == "https://example.com/health"


async def test_headers_are_sent(http_service: HTTPService, keep: Keep) -> None:
    """An endpoint behind an API key answers only when the panel sends the header."""
    url = http_service.route("/private", body={"status": "ok"})
    panel = keep(HealthPanel("api", url=url, headers={"X-API-Key": "s3cret"}))

    sample = await sample_of(panel)

    assert sample.ok
    assert http_service.last_headers("/private")["X-API-Key"] == "s3cret"
