"""No work for an unchanged card: a state that draws what the card already shows costs
neither line keys nor a repaint (the steady-state CPU budget, DESIGN.md "Budgets").

Counted through the cards' own counters (`CardBase.rebuilds`: line keys worked out,
`CardBase.repaints`: repaints asked of Textual) on the real app under a Pilot.
"""

from __future__ import annotations

from panels.health import HealthPanel
from tests.test_app_support import feed, frozen_app, panels, states
from tui.dashboard.widgets.card import PanelCard
from tui.dashboard.widgets.group_card import GroupCard


async def test_a_card_fed_the_same_state_again_is_not_worked_out_or_repainted() -> None:
    app = frozen_app()
    async with app.run_test(size=(160, 48)) as pilot:
        fed = states(panels(), rounds=4)
        await feed(pilot, fed[:-6])  # three rounds of the six panels
        card = app.query_one("#card-redis-broker", PanelCard)
        rebuilds, repaints = card.rebuilds, card.repaints
        newest = next(s for s in fed[-6:] if s.panel_id == card.panel_id)
        await feed(pilot, [newest])  # figures moved: worked out once, repainted once
        assert (card.rebuilds - rebuilds, card.repaints - repaints) == (1, 1)
        await feed(pilot, [newest])  # the same state again
        assert (card.rebuilds - rebuilds, card.repaints - repaints) == (1, 1)
        assert card.state is newest


async def test_a_group_card_repaints_only_for_a_member_whose_line_changed() -> None:
    items = [HealthPanel(f"svc{i}", url=f"http://127.0.0.1:{8000 + i}/readyz")
             for i in range(5)]
    app = frozen_app(items)
    async with app.run_test(size=(160, 48)) as pilot:
        fed = states(items, rounds=3)
        await feed(pilot, fed[:5])
        group = app.query_one(GroupCard)
        rebuilds, repaints = group.rebuilds, group.repaints
        await feed(pilot, fed[:5])  # every member as it was
        assert (group.rebuilds - rebuilds, group.repaints - repaints) == (0, 0)
        await feed(pilot, fed[5:6])  # svc0's latency moved
        assert (group.rebuilds - rebuilds, group.repaints - repaints) == (1, 1)
