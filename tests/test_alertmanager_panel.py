"""The alertmanager panel against a real Alertmanager: firing alerts with their labels and
annotations, matchers, silences made and expired through the panel, an outage."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from panels.alertmanager import AlertmanagerPanel
from panels.amlabels import parse_matcher, silence_matchers
from panels.base import Status
from panels.cards import alertmanager as card
from panels.watch import PanelState, PanelWatch
from tests.fixtures.common import free_port
from tests.fixtures.http import HTTPService
from tests.fixtures.prometheus import AlertmanagerServer

RUNBOOK = "https://runbooks.example.com/db.md#replication-lag"


async def poll(panel: AlertmanagerPanel, watch: PanelWatch | None = None) -> PanelState:
    return await (watch or PanelWatch(panel)).poll()


def fire_story(am: AlertmanagerServer) -> dict[str, dict[str, Any]]:
    return {
        "lag": am.fire("ReplicationLag", severity="critical",
                       labels={"team": "db", "instance": "db-2:9187"},
                       annotations={"summary": "replica db-2 is 90s behind",
                                    "description": "lag over 60s for 5m",
                                    "runbook_url": RUNBOOK}),
        "disk": am.fire("DiskFillingUp", severity="warning",
                        labels={"team": "infra", "instance": "web-1:9100"},
                        annotations={"summary": "/ fills in 4h"}),
        "watchdog": am.fire("Watchdog", severity="none"),
    }


async def test_firing_alerts_arrive_with_labels_annotations_and_status(
        alertmanager: AlertmanagerServer) -> None:
    fire_story(alertmanager)
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    try:
        state = await poll(panel)
    finally:
        await panel.aclose()
    assert state.error is None
    assert state.status is Status.CRIT
    m = state.metrics
    assert m["firing"] == 3 and m["silenced"] == 0
    names = [a["alertname"] for a in m["alerts"]]
    assert names == ["ReplicationLag", "DiskFillingUp", "Watchdog"]  # most severe first
    lag = m["alerts"][0]
    assert lag["severity"] == "critical" and lag["state"] == "active"
    assert lag["labels"]["team"] == "db" and lag["labels"]["instance"] == "db-2:9187"
    assert lag["summary"] == "replica db-2 is 90s behind"
    assert lag["runbook_url"] == RUNBOOK and lag["runbook_ref"] is None
    assert lag["starts_at"].endswith("Z")
    # Watchdog (severity none) is listed but raises nothing
    assert sorted(a.name for a in state.firing) == ["DiskFillingUp", "ReplicationLag"]
    assert all(a.target for a in state.firing)  # keyed by fingerprint
    assert state.summary == "3 firing (1 crit)"
    assert card(m) == ["3 firing (1 crit)", "ReplicationLag, DiskFillingUp, Watchdog"]
    detail = state.extra["alerts"][lag["fingerprint"]]
    assert detail["description"] == "lag over 60s for 5m"


async def test_a_runbook_resolver_fills_runbook_ref(alertmanager: AlertmanagerServer) -> None:
    fire_story(alertmanager)
    seen: list[str] = []

    def resolver(url: str) -> str | None:
        seen.append(url)
        return "db.md#replication-lag" if url == RUNBOOK else None

    panel = AlertmanagerPanel("prod", url=alertmanager.url, runbook_resolver=resolver)
    try:
        state = await poll(panel)
    finally:
        await panel.aclose()
    refs = {a["alertname"]: a["runbook_ref"] for a in state.metrics["alerts"]}
    assert refs == {"ReplicationLag": "db.md#replication-lag", "DiskFillingUp": None,
                    "Watchdog": None}
    assert seen == [RUNBOOK]  # asked only for alerts that carry a url


async def test_only_warnings_make_the_panel_warn(alertmanager: AlertmanagerServer) -> None:
    alertmanager.fire("DiskFillingUp", severity="warning")
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    try:
        state = await poll(panel)
    finally:
        await panel.aclose()
    assert state.status is Status.WARN
    assert state.summary == "1 firing"


async def test_matchers_select_alerts_on_the_server(alertmanager: AlertmanagerServer) -> None:
    fire_story(alertmanager)
    panel = AlertmanagerPanel("db", url=alertmanager.url,
                              matchers=['severity=~"critical|warning"', 'team="db"',
                                        'alertname!="Watchdog"'])
    other = AlertmanagerPanel("infra", url=alertmanager.url,
                              matchers=['severity=~"critical|warning"', "team!=db"])
    try:
        db, infra = await poll(panel), await poll(other)
    finally:
        await panel.aclose()
        await other.aclose()
    assert [a["alertname"] for a in db.metrics["alerts"]] == ["ReplicationLag"]
    assert [a["alertname"] for a in infra.metrics["alerts"]] == ["DiskFillingUp"]
    assert infra.status is Status.WARN


async def test_nothing_firing_is_ok(alertmanager: AlertmanagerServer) -> None:
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    try:
        state = await poll(panel)
    finally:
        await panel.aclose()
    assert state.status is Status.OK
    assert state.summary == "nothing firing"
    assert state.metrics == {"alerts": [], "firing": 0, "silenced": 0}
    assert card(state.metrics) == ["nothing firing", "all quiet"]


async def test_a_silence_made_by_the_panel_suppresses_and_expiring_it_brings_it_back(
        alertmanager: AlertmanagerServer) -> None:
    alertmanager.fire("ReplicationLag", labels={"team": "db"},
                      annotations={"runbook_url": RUNBOOK})
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    watch = PanelWatch(panel)
    try:
        state = await poll(panel, watch)
        assert state.status is Status.CRIT
        labels = state.metrics["alerts"][0]["labels"]
        silence_id = await panel.create_silence(silence_matchers(labels), 7200,
                                                "failover in progress", "alice@laptop")
        (held,) = [s for s in alertmanager.silences() if s["id"] == silence_id]
        assert held["createdBy"] == "alice@laptop" and held["comment"] == "failover in progress"
        assert {m["name"]: m["value"] for m in held["matchers"]} == labels
        listed = await panel.list_silences()
        assert [s.id for s in listed] == [silence_id] and listed[0].state == "active"
        assert 'team="db"' in listed[0].matchers

        state = await poll(panel, watch)
        assert state.metrics["firing"] == 0 and state.metrics["silenced"] == 1
        assert state.metrics["alerts"][0]["state"] == "suppressed"
        assert state.status is Status.OK
        assert state.summary == "nothing firing · 1 silenced"
        assert card(state.metrics) == ["nothing firing · 1 silenced", "only silenced alerts"]
        assert state.extra["alerts"][state.metrics["alerts"][0]["fingerprint"]][
            "silenced_by"] == [silence_id]
        assert [a.state.value for a in state.alerts] == ["resolved"]

        await panel.expire_silence(silence_id)
        assert await panel.list_silences() == []
        state = await poll(panel, watch)
        assert state.metrics["firing"] == 1 and state.status is Status.CRIT
        assert [a.state.value for a in state.alerts] == ["firing"]
    finally:
        await panel.aclose()


async def test_a_resolved_alert_leaves_and_its_condition_resolves(
        alertmanager: AlertmanagerServer) -> None:
    posted = alertmanager.fire("ReplicationLag")
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    watch = PanelWatch(panel)
    try:
        assert (await poll(panel, watch)).status is Status.CRIT
        alertmanager.resolve(posted)
        state = await poll(panel, watch)
    finally:
        await panel.aclose()
    assert state.status is Status.OK and state.metrics["firing"] == 0
    assert [(a.name, a.state.value) for a in state.alerts] == [("ReplicationLag", "resolved")]


async def test_unreachable_alertmanager_is_crit_with_the_error_class_and_keeps_alerts(
        alertmanager: AlertmanagerServer) -> None:
    alertmanager.fire("ReplicationLag")
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    watch = PanelWatch(panel)
    try:
        assert (await poll(panel, watch)).status is Status.CRIT
        gone = AlertmanagerPanel("gone", url=f"http://127.0.0.1:{free_port()}", timeout=2.0)
        down = await poll(gone)
        await gone.aclose()
        assert down.status is Status.CRIT
        assert down.error is not None and down.error.kind == "refused"
        assert down.summary.startswith("refused")
        # the same panel losing its Alertmanager: what fired is not known to have resolved
        alertmanager.proc.terminate()
        alertmanager.proc.wait(timeout=10)
        state = await poll(panel, watch)
        assert state.error is not None and state.error.kind == "refused"
        assert [(a.name, a.state.value) for a in state.alerts] == [("ReplicationLag", "firing")]
    finally:
        await panel.aclose()


def test_matchers_parse_and_explain_mistakes() -> None:
    m = parse_matcher('severity=~"critical|warning"')
    assert (m.name, m.op, m.value, m.is_regex, m.is_equal) == (
        "severity", "=~", "critical|warning", True, True)
    assert str(parse_matcher("team = db")) == 'team="db"'
    assert parse_matcher('alertname!="Watchdog"').matches({"alertname": "X"})
    assert not parse_matcher('severity=~"crit.*"').matches({"severity": "warning"})
    for bad, words in [("team", "expected name="), ('team="db', "unterminated"),
                       ('x=~"("', "invalid regex")]:
        with pytest.raises(ValueError, match=words):
            parse_matcher(bad)


async def test_basic_auth_and_headers_are_sent_and_a_refusal_is_auth(
        http_service: HTTPService) -> None:
    """Alertmanager behind a proxy that wants credentials (a test service plays it)."""
    http_service.route("/am/api/v2/alerts", body=[])
    panel = AlertmanagerPanel("proxied", url=http_service.url_for("/am/"),
                              basic_auth={"user": "oncall", "password": "s3cret"},
                              headers={"X-Scope-OrgID": "fleet"})
    try:
        state = await poll(panel)
        assert state.status is Status.OK
        sent = {k.lower(): v for k, v in http_service.last_headers("/am/api/v2/alerts").items()}
        assert sent["authorization"] == "Basic " + base64.b64encode(b"oncall:s3cret").decode()
        assert sent["x-scope-orgid"] == "fleet"
        http_service.route("/am/api/v2/alerts", status=401, body="no")
        state = await poll(panel)
        assert state.status is Status.CRIT
        assert state.error is not None and state.error.kind == "auth"
        assert "s3cret" not in state.summary
    finally:
        await panel.aclose()


async def test_a_body_that_is_not_a_list_of_alerts_is_a_parse_error(
        http_service: HTTPService) -> None:
    http_service.route("/api/v2/alerts", body={"status": "error"})
    panel = AlertmanagerPanel("odd", url=http_service.url, basic_auth="u:p")
    try:
        state = await poll(panel)
    finally:
        await panel.aclose()
    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "parse"


async def test_control_sequences_in_labels_and_annotations_never_reach_the_terminal(
        alertmanager: AlertmanagerServer) -> None:
    alertmanager.fire("Evil\x1b[2J", labels={"team": "db\x1b]0;pwned\x07"},
                      annotations={"summary": "boom\x1b[31m red", "description": "a\x9bb"})
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    try:
        state = await poll(panel)
    finally:
        await panel.aclose()
    text = repr((state.metrics, state.extra, state.summary, [a.detail for a in state.alerts],
                 [a.name for a in state.alerts]))
    assert "\\x1b" not in text and "\\x9b" not in text and "\\x07" not in text
    assert state.metrics["alerts"][0]["summary"].startswith("boom")
