"""The fleet through real servers: `opsdash check --json` on an Alertmanager, config
mistakes in `[[alertmanager]]`, and a service going down: Prometheus scraping it,
its `up == 0` rule firing with a runbook_url, Alertmanager, the panel; then recovery.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST

from panels.alertmanager import AlertmanagerPanel
from panels.base import Status
from panels.watch import PanelState, PanelWatch
from tests.fixtures.http import HTTPService
from tests.fixtures.prometheus import AlertmanagerServer, StartPrometheus
from tests.test_check_command import CALM_HOST, assert_clean_error, check

RUNBOOK_URL = "https://runbooks.example.com/service.md#service-down"
RULES = f"""
groups:
  - name: service
    interval: 1s
    rules:
      - alert: ServiceDown
        expr: up{{job="service"}} == 0
        for: 0s
        labels:
          severity: critical
          team: web
        annotations:
          summary: "{{{{ $labels.instance }}}} is down"
          runbook_url: "{RUNBOOK_URL}"
"""


def test_check_json_shows_the_alertmanager_panel(tmp_path: Path,
                                                 alertmanager: AlertmanagerServer) -> None:
    alertmanager.fire("ReplicationLag", severity="critical", labels={"team": "db"},
                      annotations={"summary": "replica behind",
                                   "runbook_url": "https://runbooks.example.com/db.md#lag"})
    alertmanager.fire("DiskFillingUp", severity="warning", labels={"team": "infra"})
    run = check(tmp_path, CALM_HOST + f"""
        [[alertmanager]]
        name = "prod"
        url = "{alertmanager.url}"
        matchers = ['severity=~"critical|warning"', 'team="db"']
    """, "--json")
    assert run.code == 2, run.err
    panel = run.panel("alertmanager:prod")
    assert panel["kind"] == "alertmanager" and panel["status"] == "crit"
    assert panel["summary"] == "1 firing (1 crit)"
    m = panel["metrics"]
    assert m["firing"] == 1 and m["silenced"] == 0
    (alert,) = m["alerts"]
    assert {k: alert[k] for k in ("alertname", "severity", "state", "summary", "runbook_url",
                                  "runbook_ref")} == {
        "alertname": "ReplicationLag", "severity": "critical", "state": "active",
        "summary": "replica behind", "runbook_url": "https://runbooks.example.com/db.md#lag",
        "runbook_ref": None}
    assert alert["labels"]["team"] == "db" and alert["starts_at"]
    assert panel["alerts"] == [{"name": "ReplicationLag", "state": "firing",
                                "severity": "crit"}]


def test_an_unreachable_alertmanager_in_check_is_crit_with_its_error_class(
        tmp_path: Path) -> None:
    from tests.fixtures.common import free_port

    run = check(tmp_path, f"""
        [[alertmanager]]
        url = "http://127.0.0.1:{free_port()}"
    """, "--json")
    assert run.code == 2, run.err
    (panel,) = run.json["panels"]
    assert panel["id"] == "alertmanager:127.0.0.1"
    assert panel["status"] == "crit" and panel["summary"].startswith("refused")


def test_a_bad_matcher_or_basic_auth_is_one_clear_line(tmp_path: Path) -> None:
    line = assert_clean_error(check(tmp_path, """
        [[alertmanager]]
        name = "prod"
        url = "http://127.0.0.1:9093"
        matchers = ['team="db']
    """))
    assert "opsdash.toml:4" in line and '"matchers"' in line and "unterminated" in line
    line = assert_clean_error(check(tmp_path, """
        [[alertmanager]]
        url = "http://127.0.0.1:9093"
        basic_auth = "no-colon"
    """))
    assert "opsdash.toml:3" in line and "user:password" in line


async def poll_until(watch: PanelWatch, accept: Callable[[PanelState], bool],
                     timeout: float = 40.0) -> PanelState:
    deadline = time.monotonic() + timeout
    state = await watch.poll()
    while not accept(state):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last state: {state.summary} {state.metrics}")
        await asyncio.sleep(0.5)
        state = await watch.poll()
    return state


async def test_a_service_going_down_fires_through_prometheus_and_alertmanager(
        http_service: HTTPService, start_prometheus: StartPrometheus,
        alertmanager: AlertmanagerServer) -> None:
    prom = start_prometheus([http_service.host_port], alertmanager=alertmanager.url,
                            rules=RULES)
    prom.wait_for_target_up(timeout=30)
    panel = AlertmanagerPanel("prod", url=alertmanager.url, matchers=['team="web"'])
    watch = PanelWatch(panel)
    try:
        state = await watch.poll()
        assert state.status is Status.OK and state.summary == "nothing firing"

        # the service's /metrics fails (Prometheus keeps its scrape connection alive, so
        # a stopped listener alone would not be seen): its scrapes fail, up == 0
        http_service.route("/metrics", status=503, body="down for maintenance")
        try:
            state = await poll_until(watch, lambda s: s.metrics.get("firing") == 1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nALERTS: {prom.query('ALERTS')}\n"
                                 f"rules: {prom.api('rules')}\n{prom.log_tail()}") from None
        assert state.status is Status.CRIT
        (alert,) = state.metrics["alerts"]
        assert alert["alertname"] == "ServiceDown" and alert["severity"] == "critical"
        assert alert["runbook_url"] == RUNBOOK_URL
        assert alert["summary"] == f"{http_service.host_port} is down"
        assert alert["labels"]["job"] == "service"
        assert [(a.name, a.state.value) for a in state.alerts] == [("ServiceDown", "firing")]

        http_service.route("/metrics", body=http_service.render_metrics(),
                           content_type=CONTENT_TYPE_LATEST)  # back: scrapes succeed
        state = await poll_until(watch, lambda s: s.metrics.get("firing") == 0)
        assert state.status is Status.OK
        assert [(a.name, a.state.value) for a in state.alerts] == [("ServiceDown", "resolved")]
    finally:
        await panel.aclose()



def test_the_config_builds_a_panel_with_auth_matchers_and_headers(tmp_path: Path) -> None:
    from tui.config.loader import build_panels, load_config

    path = tmp_path / "opsdash.toml"
    path.write_text(
        '[[alertmanager]]\nname = "prod"\nurl = "https://am.example.com/prefix/"\n'
        'basic_auth = { user = "oncall", password = "${AM_PASSWORD:-pw}" }\n'
        "matchers = ['severity=~\"critical|warning\"', 'team=\"db\"']\n"
        'headers = { "X-Scope-OrgID" = "fleet" }\nverify_tls = false\n'
        'prometheus_url = "http://prometheus:9090/"\n')
    (panel,) = build_panels(load_config(path))
    assert isinstance(panel, AlertmanagerPanel)
    assert panel.id == "alertmanager:prod" and panel.url == "https://am.example.com/prefix"
    assert panel.auth == ("oncall", "pw")
    assert [str(m) for m in panel.matchers] == ['severity=~"critical|warning"', 'team="db"']
    assert panel.headers == {"X-Scope-OrgID": "fleet"} and panel.verify_tls is False
    assert panel.prometheus_url == "http://prometheus:9090"


async def test_the_dashboard_hooks_see_each_relayed_alert_fire_and_resolve(
        alertmanager: AlertmanagerServer) -> None:
    from tests.test_app_live import live_app, until

    posted = alertmanager.fire("ReplicationLag", labels={"team": "db"})
    events: list[dict[str, object]] = []
    app = live_app([AlertmanagerPanel("prod", url=alertmanager.url)], status_hook=events.append)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: any(e.get("to") == "crit" for e in events), what="crit")
        alertmanager.resolve(posted)
        await until(pilot, lambda: any(e.get("to") == "ok" for e in events), what="recovery")
        await app.action_quit()
    changes = [(e["from"], e["to"], e["alerts"]) for e in events if e["type"] == "status"]
    assert changes[0][1:] == ("crit", ["ReplicationLag"])
    assert changes[-1][:2] == ("crit", "ok")


PENDING_RUNBOOK = "https://runbooks.example.com/redis.md#redis-memory-high"
PENDING_RULES = f"""
groups:
  - name: cache
    interval: 1s
    rules:
      - alert: RedisMemoryHigh
        expr: vector(1) > 0
        for: 1h
        labels:
          severity: critical
          team: cache
          instance: cache-1
        annotations:
          summary: "cache-1 memory above 85%"
          runbook_url: "{PENDING_RUNBOOK}"
"""


async def test_prometheus_pending_alerts_are_listed_and_warn_at_most(
        start_prometheus: StartPrometheus, alertmanager: AlertmanagerServer) -> None:
    """A rule inside its `for` (1 h here, always true) never reaches Alertmanager; with
    `prometheus_url` the panel lists it as pending and it only warns, though critical."""
    prom = start_prometheus([], alertmanager=alertmanager.url, rules=PENDING_RULES)
    alertmanager.fire("DiskFillingUp", severity="info", labels={"team": "infra"})
    panel = AlertmanagerPanel("prod", url=alertmanager.url, prometheus_url=prom.url,
                              runbook_resolver=lambda url: "redis.md#redis-memory-high"
                              if url == PENDING_RUNBOOK else None)
    watch = PanelWatch(panel)
    try:
        state = await poll_until(watch, lambda s: s.metrics.get("pending") == 1)
        assert state.status is Status.WARN  # critical, but pending: a warning sign only
        m = state.metrics
        assert m["firing"] == 1 and m["silenced"] == 0  # the info alert; pending apart
        (pending,) = [a for a in m["alerts"] if a["state"] == "pending"]
        assert pending["alertname"] == "RedisMemoryHigh" and pending["severity"] == "critical"
        assert pending["labels"]["instance"] == "cache-1"
        assert pending["labels"]["team"] == "cache"
        assert pending["instance"] == "cache-1" and pending["starts_at"]
        assert pending["summary"] == "cache-1 memory above 85%"
        assert pending["runbook_url"] == PENDING_RUNBOOK
        assert pending["runbook_ref"] == "redis.md#redis-memory-high"
        assert pending["fingerprint"].startswith("pending:")
        assert [(a.name, a.state.value, a.severity.value) for a in state.alerts] == [
            ("RedisMemoryHigh", "pending", "crit")]
        assert state.summary == "1 firing · 1 pending"
        from panels.cards import alertmanager as card

        assert card(m)[0] == "1 firing · 1 pending"
        # still pending later: Prometheus' `for` is the clock, not ours
        state = await watch.poll()
        assert state.status is Status.WARN and state.alerts[0].state.value == "pending"
        assert alertmanager.alerts()[0]["labels"]["alertname"] == "DiskFillingUp"
    finally:
        await panel.aclose()


async def test_matchers_select_pending_alerts_and_an_unread_prometheus_is_said(
        start_prometheus: StartPrometheus, alertmanager: AlertmanagerServer) -> None:
    from tests.fixtures.common import free_port

    prom = start_prometheus([], rules=PENDING_RULES)
    other = AlertmanagerPanel("db", url=alertmanager.url, prometheus_url=prom.url,
                              matchers=['team="db"'])
    gone = AlertmanagerPanel("gone", url=alertmanager.url,
                             prometheus_url=f"http://127.0.0.1:{free_port()}")
    try:
        deadline = time.monotonic() + 20
        while not prom.api("alerts")["alerts"] and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        state = await PanelWatch(other).poll()
        assert state.metrics["pending"] == 0 and state.status is Status.OK
        state = await PanelWatch(gone).poll()
        assert state.status is Status.OK and state.metrics["pending"] is None
        assert state.summary.startswith("nothing firing · pending unknown: refused")
    finally:
        await other.aclose()
        await gone.aclose()
