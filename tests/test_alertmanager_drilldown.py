"""The Alertmanager drill-down in the real app against a real Alertmanager: `/` filters,
`x` + `y` silences the selected alert (seen in Alertmanager's API), `S`/`E` expire it,
and --read-only refuses both."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input

from panels.alertmanager import AlertmanagerPanel
from tests.fixtures.prometheus import AlertmanagerServer
from tests.test_app_live import card_text, live_app, until
from tui.dashboard.app import OpsdashApp
from tui.dashboard.screens.alertmanager import AlertmanagerScreen, matches_filter
from tui.dashboard.screens.confirm import ConfirmScreen


def fire(am: AlertmanagerServer) -> None:
    am.fire("ReplicationLag", severity="critical", labels={"team": "db", "instance": "db-2"},
            annotations={"summary": "replica 90s behind",
                         "runbook_url": "https://runbooks.example.com/db.md#lag"})
    am.fire("DiskFillingUp", severity="warning", labels={"team": "infra", "instance": "web-1"})
    am.fire("HighLatency", severity="warning", labels={"team": "db", "instance": "api-1"})


def rows(screen: AlertmanagerScreen) -> list[str]:
    table = screen.query_one("#am-alerts", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def open_screen(app: OpsdashApp, pilot: Any) -> AlertmanagerScreen:
    await until(pilot, lambda: "3 firing" in card_text(app, "alertmanager:prod"),
                what="the alertmanager card")
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, AlertmanagerScreen)
    await until(pilot, lambda: len(rows(screen)) == 3, what="three alert rows")
    return screen


async def test_slash_filters_and_x_y_silences_the_selected_alert(
        alertmanager: AlertmanagerServer) -> None:
    fire(alertmanager)
    app = live_app([AlertmanagerPanel("prod", url=alertmanager.url)])
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_screen(app, pilot)
        assert rows(screen) == ["ReplicationLag", "DiskFillingUp", "HighLatency"]
        assert "1 crit" in card_text(app, "alertmanager:prod")

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"team=db")
        assert rows(screen) == ["ReplicationLag", "HighLatency"]
        await pilot.press("enter")
        assert isinstance(app.focused, DataTable)
        await pilot.press("down")  # HighLatency
        assert screen.selected_alert() is not None
        assert screen.selected_alert()["alertname"] == "HighLatency"  # type: ignore[index]

        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        shown = str(app.screen.query_one("#confirm-text").render())
        assert "amtool" in shown and "silence add" in shown and "--duration=2h" in shown
        assert 'alertname="HighLatency"' in shown and 'instance="api-1"' in shown
        await pilot.press("y")
        await until(pilot, lambda: bool(alertmanager.silences()), what="the silence")
        (silence,) = alertmanager.silences()
        assert {m["name"]: m["value"] for m in silence["matchers"]} == {
            "alertname": "HighLatency", "severity": "warning", "team": "db",
            "instance": "api-1"}
        assert "@" in silence["createdBy"]
        await until(pilot, lambda: "1 silenced" in card_text(app, "alertmanager:prod"),
                    what="the card counting the silenced alert")

        await pilot.press("S")
        silences = screen.query_one("#am-silences", DataTable)
        await until(pilot, lambda: silences.row_count == 1, what="the silence listed")
        await pilot.pause()
        assert silences.display and silences.region.height > 0
        await pilot.press("E")
        assert isinstance(app.screen, ConfirmScreen)
        shown = str(app.screen.query_one("#confirm-text").render())
        assert f"silence expire {silence['id']}" in shown
        await pilot.press("y")
        await until(pilot, lambda: all(s["status"]["state"] == "expired"
                                       for s in alertmanager.silences()),
                    what="the silence expired")
        await until(pilot, lambda: "silenced" not in card_text(app, "alertmanager:prod"),
                    what="the alert firing again")
        await app.action_quit()


async def test_any_other_key_than_y_creates_no_silence(
        alertmanager: AlertmanagerServer) -> None:
    fire(alertmanager)
    app = live_app([AlertmanagerPanel("prod", url=alertmanager.url)])
    async with app.run_test(size=(140, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, AlertmanagerScreen)
        await pilot.pause(0.3)
        assert alertmanager.silences() == []
        await app.action_quit()


async def test_read_only_refuses_silences_and_expiry(alertmanager: AlertmanagerServer) -> None:
    fire(alertmanager)
    panel = AlertmanagerPanel("prod", url=alertmanager.url)
    app = live_app([panel], read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_screen(app, pilot)
        await pilot.press("x")
        assert isinstance(app.screen, AlertmanagerScreen)  # no confirm: refused outright
        await pilot.pause(0.3)
        assert alertmanager.silences() == []
        # a silence made elsewhere cannot be expired from here either
        silence_id = await panel.create_silence(['alertname="DiskFillingUp"'], 600, "ops",
                                                "bob@host")
        await pilot.press("S")
        silences = screen.query_one("#am-silences", DataTable)
        await until(pilot, lambda: silences.row_count == 1, what="the silence listed")
        await pilot.press("E")
        assert isinstance(app.screen, AlertmanagerScreen)
        await pilot.pause(0.3)
        (held,) = alertmanager.silences()
        assert held["id"] == silence_id and held["status"]["state"] == "active"
        await app.action_quit()


def test_the_filter_reads_label_equals_value_or_a_substring() -> None:
    alert = {"labels": {"team": "db", "instance": "db-2:9187"}, "summary": "replica behind"}
    assert matches_filter(alert, "team=db") and not matches_filter(alert, "team=d")
    assert matches_filter(alert, 'team="db"')
    assert matches_filter(alert, "DB-2") and matches_filter(alert, "behind")
    assert not matches_filter(alert, "web")
    assert matches_filter(alert, "  ")


async def test_pending_alerts_from_prometheus_are_counted_and_listed_as_pending(
        alertmanager: AlertmanagerServer, start_prometheus: Any) -> None:
    """A rule inside its `for` shows on the card and in the drill-down as `pending`."""
    from tests.test_fleet_story import PENDING_RULES

    prom = start_prometheus([], rules=PENDING_RULES)
    fire(alertmanager)
    app = live_app([AlertmanagerPanel("prod", url=alertmanager.url, prometheus_url=prom.url)])
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "· 1 pending" in card_text(app, "alertmanager:prod"),
                    what="the pending count on the card", timeout=30)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, AlertmanagerScreen)
        await until(pilot, lambda: len(rows(screen)) == 4, what="four alert rows")
        assert "RedisMemoryHigh" in rows(screen)
        head = str(screen.query_one("#am-figures").render())
        assert head == "3 firing · 0 silenced · 1 pending"
        table = screen.query_one("#am-alerts", DataTable)
        states = {str(table.get_row_at(i)[1]): str(table.get_row_at(i)[2])
                  for i in range(table.row_count)}
        assert states["RedisMemoryHigh"] == "pending"
        await app.action_quit()
