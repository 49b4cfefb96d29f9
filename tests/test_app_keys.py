"""Every key and screen of the dashboard, driven through Textual's pilot.

States are judged by real panels from fixed samples (tests/test_app_support.py); the
tests that need live targets are in test_app_live.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Static

from panels.base import Panel
from panels.health import HealthPanel
from tests.test_app_support import feed, frozen_app, panels, states
from tests.test_runbook_pane import wait_until
from tui.dashboard.app import OpsdashApp
from tui.dashboard.screens.confirm import ConfirmScreen
from tui.dashboard.screens.group import GroupScreen
from tui.dashboard.screens.health import HealthScreen
from tui.dashboard.screens.help import HelpScreen
from tui.dashboard.screens.postgres import PostgresScreen
from tui.dashboard.screens.redis import RedisScreen
from tui.dashboard.widgets.card import CardBase, PanelCard
from tui.dashboard.widgets.grid import CardGrid
from tui.dashboard.widgets.group_card import GroupCard
from tui.dashboard.widgets.header import DashHeader


async def palette_offers(pilot: Any, word: str) -> None:
    """Wait until the palette's highlighted hit names `word`: it searches in a worker of
    its own, and Enter before the search is done picks nothing (or an earlier hit)."""
    from textual.command import CommandList

    def ready() -> bool:
        hits = pilot.app.screen.query_one(CommandList)
        if hits.highlighted is None or not hits.option_count:
            return False
        prompt = hits.get_option_at_index(hits.highlighted).prompt
        return word in str(prompt).lower()

    await wait_until(pilot, ready, what=f"the palette offering {word!r}")

def focused_id(app: OpsdashApp) -> str:
    assert isinstance(app.focused, CardBase)
    return app.focused.panel_id


def header_text(app: OpsdashApp) -> str:
    header = app.query_one(DashHeader)
    return " ".join(str(label.render()) for label in header.query("Label"))


async def test_arrows_and_hjkl_move_between_cards() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        assert app.query_one(CardGrid).columns == 2
        assert focused_id(app) == "health:api"
        await pilot.press("right")
        assert focused_id(app) == "traffic:api"
        await pilot.press("down")
        assert focused_id(app) == "redis:broker"
        await pilot.press("h")
        assert focused_id(app) == "postgres:main"
        await pilot.press("j")
        assert focused_id(app) == "host:host"
        await pilot.press("l")
        assert focused_id(app) == "containers:containers"
        await pilot.press("k", "k")
        assert focused_id(app) == "traffic:api"
        await pilot.press("up", "left")
        assert focused_id(app) == "health:api"


async def test_enter_drills_down_and_escape_comes_back() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        await pilot.press("enter")
        assert isinstance(app.screen, HealthScreen)
        assert "database.ok" in str(app.screen.query_one("#checks", Static).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, HealthScreen)
        assert focused_id(app) == "health:api"


async def test_a_new_state_reaches_the_open_drilldown() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fed = states(panels(), rounds=3)
        await feed(pilot, fed[:-6])
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, HealthScreen)
        rows = screen.query_one(DataTable).row_count
        await feed(pilot, fed[-6:])
        assert screen.query_one(DataTable).row_count == rows + 1


async def test_p_pauses_and_the_header_says_so() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        assert app.paused
        assert "PAUSED" in header_text(app)
        await pilot.press("p")
        assert not app.paused
        assert "PAUSED" not in header_text(app)


async def test_header_names_the_firing_alerts_most_severe_first() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert "WAIT" in header_text(app)
        await feed(pilot, states(panels(), rounds=3))
        text = header_text(app)
        # containers has `cron` exited: ContainerDown fires (crit); host and postgres warn
        assert "CRIT" in text
        assert app.firing_names() == ["ContainerDown", "DiskFull", "LongRunningQuery"]
        assert "✖ CRIT ContainerDown, DiskFull +1" in text  # what fits in 80 columns
        assert "web-1" in text


@pytest.mark.parametrize(("names", "width", "line"), [
    ([], 40, "no alerts firing"),
    (["ServiceDown"], 40, "ServiceDown"),
    (["ServiceDown", "HighLatency"], 40, "ServiceDown, HighLatency"),
    (["ContainerDown", "DiskFull", "LongRunningQuery"], 40, "ContainerDown, DiskFull +1"),
    (["AVeryLongAlertNameThatIsLongerThanTheRoomItself", "B"], 20,
     "AVeryLongAlertNameThatIsLongerThanTheRoomItself +1"),
])
def test_the_header_line_keeps_names_that_fit_and_counts_the_rest(
        names: list[str], width: int, line: str) -> None:
    from tui.dashboard.widgets.header import firing_line

    assert firing_line(names, width) == line


async def test_question_mark_lists_every_binding() -> None:
    app = frozen_app()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        for words in ("Quit", "Help", "Pause", "Refresh now", "Details", "Back",
                      "Cancel query", "Terminate", "Sort column", "Restart", "↑ k"):
            assert words in text, words
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits_with_exit_code_zero() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
    assert app.return_code == 0


async def test_command_palette_runs_the_apps_actions() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"pause")
        await palette_offers(pilot, "pause")
        await pilot.press("enter")
        await pilot.pause()
        assert app.paused


async def test_the_palette_offers_the_runbook_and_reads_keys_as_keys() -> None:
    from tui.dashboard.app import ActionCommands
    from tui.dashboard.widgets.runbook_pane import RunbookPane

    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        provider = ActionCommands(app.screen_stack[0])
        offered = {title: help_text for title, help_text, _ in provider._commands()}
        assert offered["Runbook"] == "key: r"
        assert offered["Help"] == "key: ?"
        assert not any("question_mark" in h or "square_bracket" in h for h in offered.values())
        await pilot.press(*"runbook")
        await palette_offers(pilot, "runbook")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.query(RunbookPane)), what="the pane")
        assert app.query(RunbookPane)  # ContainerDown fires: the pane opened for it


async def test_command_palette_opens_a_card() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        await pilot.press("ctrl+p")
        await pilot.press(*"open postgres")
        await palette_offers(pilot, "postgres")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PostgresScreen)


async def test_click_selects_and_second_click_drills_down() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        assert focused_id(app) == "health:api"
        await pilot.click("#card-redis-broker", offset=(5, 2))
        await pilot.pause()
        assert focused_id(app) == "redis:broker"
        assert len(app.screen_stack) == 1
        await pilot.click("#card-redis-broker", offset=(5, 2))
        await pilot.pause()
        assert isinstance(app.screen, RedisScreen)


async def test_double_click_drills_down() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        await pilot.double_click("#card-postgres-main", offset=(5, 2))
        await pilot.pause()
        assert isinstance(app.screen, PostgresScreen)


async def test_side_pane_is_hidden_and_the_grid_reflows_when_it_opens() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 30)) as pilot:
        grid = app.query_one(CardGrid)
        assert not app.side_pane.display
        assert grid.columns == 3
        await app.side_pane.mount(Static("runbook goes here", id="runbook"))
        app.show_side_pane(True)
        await pilot.pause()
        await pilot.pause()
        assert app.side_pane.display
        assert grid.columns < 3
        assert grid.region.right <= app.side_pane.region.x
        app.show_side_pane(False)
        await pilot.pause()
        await pilot.pause()
        assert grid.columns == 3


async def test_many_targets_of_one_kind_collapse_into_a_group_card() -> None:
    items: list[Panel[Any]] = [HealthPanel(f"svc{i}", url=f"http://127.0.0.1:{8000 + i}/")
                               for i in range(6)]
    app = frozen_app([*items, *panels()[2:4]])
    async with app.run_test(size=(80, 24)) as pilot:
        await feed(pilot, states(items, rounds=2) + states(panels()[2:4], rounds=2))
        cards = app.query_one(CardGrid).cards
        assert isinstance(cards[0], GroupCard)
        assert len(cards) == 3
        assert "6 OK" in cards[0].text()
        await pilot.press("enter")
        assert isinstance(app.screen, GroupScreen)
        assert app.screen.query_one(DataTable).row_count == 6
        await pilot.press("down", "enter")
        assert isinstance(app.screen, HealthScreen)
        assert app.screen.panel_id == "health:svc1"
        await pilot.press("escape", "escape")
        assert len(app.screen_stack) == 1


async def test_postgres_sort_keys_reorder_the_backends() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        app.open_drilldown("postgres:main")
        await pilot.pause()
        table = app.screen.query_one(DataTable)

        def pids() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        assert pids() == ["4242", "4243", "4301", "4250"]  # longest first
        await pilot.press("s", "s", "s")  # duration -> wait -> query -> pid
        assert pids() == ["4301", "4250", "4243", "4242"]  # pid, descending
        await pilot.press("S")
        assert pids() == ["4242", "4243", "4250", "4301"]


async def test_cancel_asks_first_showing_pid_and_query_and_any_key_backs_out() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        app.open_drilldown("postgres:main")
        await pilot.pause()
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        text = str(screen.query_one("#confirm-text", Static).render())
        assert "pid 4242" in text and "UPDATE orders" in text
        await pilot.press("n")
        assert isinstance(app.screen, PostgresScreen)
        await pilot.press("K")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, PostgresScreen)


async def test_read_only_locks_cancel_and_terminate_in_the_postgres_drilldown() -> None:
    app = frozen_app(read_only=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await feed(pilot, states(panels(), rounds=3))
        app.open_drilldown("postgres:main")
        await pilot.pause()
        for key, verb in (("c", "cancel"), ("K", "terminate")):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, PostgresScreen)  # no confirmation offered at all
            messages = [n.message for n in app._notifications]
            assert messages[-1] == ("refused in --read-only mode: "
                                    f"SELECT pg_{verb}_backend(4242)")


async def test_confirm_screen_answers_true_only_on_y() -> None:
    answers: list[bool | None] = []
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("y", "enter", "x", "escape"):
            app.push_screen(ConfirmScreen("Drop it?", "DROP TABLE orders"), answers.append)
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
    assert answers == [True, False, False, False]


async def test_drilldown_for_every_kind_opens_and_closes() -> None:
    app = frozen_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await feed(pilot, states(panels(), rounds=5, failing={"redis"}))
        for card in list(app.query_one(CardGrid).cards):
            card.focus()
            await pilot.press("enter")
            screen: Any = app.screen
            assert screen.panel_id == card.panel_id
            assert screen.state is not None
            await pilot.press("escape")
            assert len(app.screen_stack) == 1


async def test_a_state_shown_before_the_card_is_mounted_is_drawn_once_it_is() -> None:
    # the live flake: a poll landed while the card was still being composed
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        state = states(panels()[3:4], rounds=1)[0]
        card = PanelCard(state.panel_id, state.kind, state.name, id="card-late")
        card.show(state, [1.0, 2.0, 3.0])
        await app.query_one(CardGrid).mount(card)
        await pilot.pause()
        assert "OK" in card.text() and "mem 20.0M/256.0M" in card.text()
        assert card.has_class("-ok")
