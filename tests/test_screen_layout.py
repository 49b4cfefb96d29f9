"""The screen uses the terminal: cards take the rows their lines need, history charts take
the rest when there is room, and the runbook pane leaves cards and footer readable at 80x24.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from panels.alerts import DEFAULT_RULES
from panels.base import Probe
from panels.redis import RedisPanel, RedisSample
from panels.registry import KINDS
from panels.watch import PanelWatch
from tests.test_app_support import MIB, T0, feed, frozen_app, panels, states
from tests.test_snapshots_pane import pane_mid_incident
from tui.dashboard.widgets.card import PanelCard
from tui.dashboard.widgets.chart import ChartData, charts_for, rows
from tui.dashboard.widgets.grid import CardGrid
from tui.dashboard.widgets.runbook_pane import RunbookPane


def cards(app: Any) -> list[PanelCard]:
    return list(app.query_one(CardGrid).query_children(PanelCard))


async def test_at_80x24_with_the_pane_open_two_cards_stay_whole_and_the_footer_shows_its_keys(
) -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pane_mid_incident(pilot)
        screen = app.screen.region
        grid = app.query_one(CardGrid).region
        pane = app.query_one(RunbookPane).region
        whole = [card for card in cards(app)
                 if screen.contains_region(card.region) and grid.contains_region(card.region)
                 and card.region.right <= pane.x and card.region.height == 7]
        assert len(whole) >= 2, [c.region for c in cards(app)]
        keys = list(app.screen.query(FooterKey))
        shown = {key.action for key in keys}
        assert {"toggle_runbook", "quit", "help"} <= shown
        for key in keys:  # every key whole on the screen: none cut at the edge
            assert screen.contains_region(key.region), (key.key_display, key.region)
        footer_text = " ".join(f"{k.key_display} {k.description}" for k in keys)
        assert "r Runbook" in footer_text and "q Quit" in footer_text


async def test_at_80x24_cards_keep_their_own_height_and_draw_no_chart() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(panels()))
        for card in cards(app):
            assert card.region.height == 7
            assert "now" not in card.text() and "┤" not in card.text()


@pytest.mark.parametrize("size", [(120, 34), (160, 48), (240, 60)])
async def test_with_room_each_card_charts_its_key_figure_with_a_time_axis(
        size: tuple[int, int]) -> None:
    app = frozen_app()
    async with app.run_test(size=size) as pilot:
        await feed(pilot, states(panels()))
        for card in cards(app):
            text = card.text()
            label = KINDS[card.kind].charts[0].label
            assert f"{label} · 1m" in text, text
            assert "-1m" in text and "now" in text
        postgres = app.query_one("#card-postgres-main", PanelCard)
        # DBPoolExhaustion at 90% of max_connections = 100: the line and its figure
        assert "90┤╌" in postgres.text()
        if size[0] >= 160:  # narrower cards cut the title before its limit
            assert "now 44 · limit 90" in postgres.text()


async def test_a_card_repaints_nothing_when_its_history_did_not_change() -> None:
    app = frozen_app()
    async with app.run_test(size=(160, 48)) as pilot:
        fed = states(panels())
        await feed(pilot, fed)
        card = app.query_one("#card-postgres-main", PanelCard)
        repainted: list[Any] = []
        original = card.refresh
        card.refresh = lambda *regions, **kw: repainted.append(regions) or original(  # type: ignore[method-assign]
            *regions, **kw)
        await feed(pilot, [fed[-4]])  # the same newest postgres state once more
        assert fed[-4].panel_id == card.panel_id
        assert repainted == []


def test_a_poll_inside_the_newest_bucket_changes_only_the_newest_column() -> None:
    spec = KINDS["postgres"].charts[0]
    points = [(1000.0 + i, 40.0 + i % 3) for i in range(100)]
    before = rows(ChartData(spec, points, 1099.0, 600.0, 90.0), 40, 8)
    after = rows(ChartData(spec, [*points, (1099.5, 41.0)], 1099.5, 600.0, 90.0), 40, 8)
    text = ["".join(t for t, _ in row) for row in before]
    assert text != ["".join(t for t, _ in row) for row in after] or before == after
    assert [t[:-1] for t in text] == ["".join(t for t, _ in row)[:-1] for row in after]


def test_a_stuck_queue_puts_its_chart_first_with_the_alert_threshold() -> None:
    watch = PanelWatch(RedisPanel("broker", url="redis://127.0.0.1:6379/0",
                                  queues=["celery", "emails"]))
    sample = RedisSample(ping_ms=0.4, used_memory_bytes=20 * MIB, maxmemory_bytes=256 * MIB,
                         fragmentation=1.1, evicted_keys=0, connected_clients=3,
                         blocked_clients=0, queues={"celery": 1500, "emails": 3})
    state = watch.judge(Probe(sample, None, 1.0), T0)
    assert "TaskQueueStuck" in {a.name for a in state.alerts}  # pending: 10 minutes to fire
    charts = charts_for(state, lambda key: [(T0, 1.0)], 600.0, DEFAULT_RULES)
    assert [c.spec.label for c in charts] == ["queue celery", "memory"]
    assert charts[0].spec.metric == "queues.celery" and charts[0].limit == 1000
    assert charts[1].limit == pytest.approx(0.85 * 256 * MIB)
