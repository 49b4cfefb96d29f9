"""The runbook side pane, driven through Textual's pilot on the real OpsdashApp.

The dashboard is fed states judged by the real panels (tests/test_app_support.py) with
the health panel failing, so ServiceDown fires on `health:api`; the runbook is a real
Markdown file in a temp folder passed as a runbook dir, and every step is a real bash
process run by the engine. The demo's fault menu runs against a real DemoService.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from runbooks.journal import read_journal
from tests.test_app_support import HOST, T0, config_for, feed, panels, states
from tui.commands.demo import demo_config
from tui.config.loader import Config, PanelSpec
from tui.dashboard.app import OpsdashApp
from tui.dashboard.screens.confirm import ConfirmScreen
from tui.dashboard.screens.fault_menu import FaultMenu
from tui.dashboard.screens.prompt import EditCommandScreen, PromptScreen
from tui.dashboard.widgets.grid import CardGrid
from tui.dashboard.widgets.runbook_pane import RunbookPane
from tui.dashboard.widgets.step_list import step_prompt
from tui.demo.service import DemoService
from tui.incident.session import StepStatus

DRILL = """\
# Drill runbook

## ServiceDown drill

**Alert**: ServiceDown
**Severity**: critical

1. Say hello, and prove the journal has this step before it runs:

   ```bash
   grep -c '"step_started"' {journal}; for i in 1 2 3; do echo "line $i"; done; echo oops >&2
   ```

2. Wait for the service (takes long):

   ```bash
   echo "pgid $$"; sleep 30 & sleep 30
   ```

3. Remove the scratch folder:

   ```bash
   rm -rf {scratch}
   ```

4. Greet a service by name:

   ```bash
   echo "restarting <service> now"
   ```

5. Print the original:

   ```bash
   echo original-command
   ```

- [ ] The error rate is back under 5%
- [ ] ServiceDown shows as resolved
"""

REF = "drill.md#servicedown-drill"


class Drill:
    """A temp runbook folder, its scratch dir and the journal the app writes."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "runbooks"
        self.dir.mkdir()
        self.scratch = root / "scratch"
        self.scratch.mkdir()
        self.journal = root / "journal.jsonl"
        (self.dir / "drill.md").write_text(DRILL.format(journal=self.journal,
                                                        scratch=self.scratch))

    def config(self) -> Config:
        base = config_for(panels())
        return Config(refresh=base.refresh, panels=base.panels, runbook_dirs=(self.dir,),
                      runbook_map={"ServiceDown": (REF,)})

    def app(self, **kwargs: Any) -> OpsdashApp:
        return OpsdashApp(self.config(), clock=lambda: T0 + 30, hostname=HOST,
                          autostart=False, journal=self.journal, **kwargs)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        if not self.journal.exists():
            return []
        return [e for e in read_journal(self.journal).events if kind is None or
                e["type"] == kind]


@pytest.fixture
def drill(tmp_path: Path) -> Drill:
    return Drill(tmp_path)


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool],
                     timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.05)


async def open_pane(pilot: Pilot[Any]) -> RunbookPane:
    app = pilot.app
    await feed(pilot, states(panels(), failing={"health"}))
    await pilot.press("r")
    await wait_until(pilot, lambda: bool(app.query(RunbookPane)) and app.side_pane.display,
                     what="the runbook pane")
    await pilot.pause()
    return app.query_one(RunbookPane)


def row(pane: RunbookPane, index: int) -> str:
    return step_prompt(pane._views()[index]).plain


async def run_step(pilot: Pilot[Any], pane: RunbookPane, index: int) -> None:
    pane.focus_steps()
    pane.steps.highlighted = index
    await pilot.press("enter")


async def finished(pilot: Pilot[Any], pane: RunbookPane, index: int,
                   timeout: float = 10.0) -> StepStatus:
    done = (StepStatus.DONE, StepStatus.FAILED, StepStatus.CANCELLED)
    await wait_until(pilot, lambda: pane.session.record(index).status in done and not pane.busy,
                     timeout, f"step {index + 1} to finish")
    return pane.session.record(index).status


async def test_r_opens_the_matched_section_beside_the_cards_and_r_closes_it(
        drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        await feed(pilot, states(panels(), failing={"health"}))
        columns_before = app.query_one(CardGrid).columns
        pane = await open_pane(pilot)
        assert pane.session.section.ref == REF
        assert pane.session.target is not None
        assert pane.session.target.panel_id == "health:api"
        title = str(pane.query_one("#rb-title").render())
        meta = str(pane.query_one("#rb-meta").render())
        others = str(pane.query_one("#rb-others").render())
        assert "ServiceDown drill" in title
        assert "critical" in meta and "drill.md" in meta
        assert "service.md#service-down" in others  # the bundled runbook is a candidate
        assert "⚠ destructive" in row(pane, 2) and "rm -rf" in row(pane, 2)
        assert "⚠ destructive" not in row(pane, 0)
        assert app.focused is pane.steps
        await wait_until(pilot, lambda: app.query_one(CardGrid).columns < columns_before,
                         what="the grid to reflow beside the pane")

        await pilot.press("right_square_bracket")
        assert pane.session.section.ref == "service.md#service-down"
        await pilot.press("left_square_bracket")
        assert pane.session.section.ref == REF

        await pilot.press("r")
        assert not app.side_pane.display
        await wait_until(pilot, lambda: app.query_one(CardGrid).columns == columns_before,
                         what="the grid to take the width back")


async def test_with_nothing_firing_r_says_so_and_opens_nothing(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await feed(pilot, states(panels()[:2], rounds=3))  # health and traffic: all well
        assert not app.firing_alerts()
        await pilot.press("r")
        await pilot.pause()
        assert not app.query(RunbookPane)
        assert not app.side_pane.display
        assert any("nothing is firing" in n.message for n in app._notifications)


async def test_a_step_streams_its_output_then_exit_code_and_duration(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 0)
        assert await finished(pilot, pane, 0) is StepStatus.DONE
        text = pane.output.text()
        # the journal held step_started before the process ran (grep counted it)
        assert re.search(r"^1$", text, re.M)
        assert "line 1\nline 2\nline 3" in text
        assert "oops" in text
        assert re.search(r"✔ step 1 done: exit 0 in \d", text)
        assert "[exit 0 ·" in row(pane, 0)
        started, = drill.events("step_started")
        ended, = drill.events("step_finished")
        assert started["ref"] == REF and started["step"] == 1
        assert ended["exit"] == 0 and ended["cancelled"] is False
        fired, = drill.events("alert")
        assert fired["name"] == "ServiceDown" and fired["state"] == "firing"
        assert fired["ts"] <= started["ts"]


def _group_alive(pgid: int) -> bool:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if stat[2] == str(pgid) and stat[0] != "Z":
            return True
    return False


async def test_c_cancels_a_long_step_and_its_whole_process_group_is_gone(
        drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 1)
        await wait_until(pilot, lambda: "pgid " in pane.output.text(), what="the step's pgid")
        match = re.search(r"pgid (\d+)", pane.output.text())
        assert match is not None
        pgid = int(match.group(1))
        assert _group_alive(pgid)
        assert pane.session.record(1).status is StepStatus.RUNNING
        assert "running" in row(pane, 1)
        await pilot.press("c")
        assert await finished(pilot, pane, 1) is StepStatus.CANCELLED
        assert not _group_alive(pgid)
        assert "cancelled after" in pane.output.text()
        ended, = drill.events("step_finished")
        assert ended["cancelled"] is True and ended["step"] == 2


async def test_a_destructive_step_runs_on_y_and_not_on_any_other_key(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 2)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                         what="the confirmation")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.exact_text == f"rm -rf {drill.scratch}"
        await pilot.press("x")
        await wait_until(pilot, lambda: not pane.busy, what="the refusal")
        assert drill.scratch.exists()
        assert pane.session.record(2).status is StepStatus.PENDING
        assert "step 3 not run: not confirmed" in pane.output.text()
        assert not drill.events("step_started")

        await run_step(pilot, pane, 2)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                         what="the confirmation")
        await pilot.press("y")
        assert await finished(pilot, pane, 2) is StepStatus.DONE
        assert not drill.scratch.exists()
        assert drill.events("step_started")[0]["command"] == f"rm -rf {drill.scratch}"


async def test_read_only_locks_a_destructive_step(drill: Drill) -> None:
    app = drill.app(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        assert "locked (read-only)" in row(pane, 2)
        assert "read-only" in str(pane.query_one("#rb-meta").render())
        await run_step(pilot, pane, 2)
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert not pane.busy
        assert drill.scratch.exists()
        assert "refused in --read-only mode" in pane.output.text()
        assert pane.session.record(2).status is StepStatus.PENDING
        # harmless steps still run
        await run_step(pilot, pane, 4)
        assert await finished(pilot, pane, 4) is StepStatus.DONE


async def test_a_placeholder_is_asked_once_and_shell_quoted(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 3)
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen),
                         what="the placeholder prompt")
        assert "<service>" in app.screen.title_text
        await pilot.press(*"api gateway", "enter")
        assert await finished(pilot, pane, 3) is StepStatus.DONE
        assert "restarting api gateway now" in pane.output.text()

        await run_step(pilot, pane, 3)  # asked once per session: no prompt the second time
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen)
        assert await finished(pilot, pane, 3) is StepStatus.DONE
        printed = pane.output.text().splitlines()
        assert printed.count("restarting api gateway now") == 2
        assert pane.session.record(3).runs == 2


async def test_escape_on_a_placeholder_prompt_runs_nothing(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 3)
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen),
                         what="the placeholder prompt")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not pane.busy, what="the run to give up")
        assert pane.session.record(3).status is StepStatus.PENDING
        assert "no value for service" in pane.output.text()
        assert not drill.events("step_started")


async def test_space_ticks_a_checklist_item_shown_with_the_live_error_ratio(
        drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        item = 5
        assert pane.session.steps[item].checklist
        assert "now: error ratio" in row(pane, item)
        # ~0.5% errors: "back under 5%" holds, so opsdash ticked it itself
        assert row(pane, item).startswith("☑") and "checked by opsdash" in row(pane, item)
        item = 6  # "ServiceDown shows as resolved": it is firing, so nobody ticked it
        assert row(pane, item).startswith("☐")
        pane.steps.highlighted = item
        await pilot.press("space")
        assert pane.session.record(item).status is StepStatus.TICKED
        assert row(pane, item).startswith("☑") and "checked by opsdash" not in row(pane, item)
        await pilot.press("space")
        assert pane.session.record(item).status is StepStatus.PENDING


async def test_e_edits_a_command_before_it_runs(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        pane.steps.highlighted = 4
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCommandScreen),
                         what="the edit screen")
        field = app.screen.query_one(Input)
        assert field.value == "echo original-command"
        field.value = "echo edited-command"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not pane.busy, what="the edit to be saved")
        assert "✎ edited" in row(pane, 4)
        assert "$ echo edited-command" in row(pane, 4)
        await pilot.press("enter")
        assert await finished(pilot, pane, 4) is StepStatus.DONE
        text = pane.output.text()
        assert "edited-command" in text and "original-command" not in text
        assert drill.events("step_started")[0]["command"] == "echo edited-command"


async def test_n_runs_the_next_step(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await pilot.press("n")
        assert await finished(pilot, pane, 0) is StepStatus.DONE
        assert pane.session.next_step() == 1
        assert pane.steps.highlighted == 0


# -- the demo's fault menu --------------------------------------------------------------


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoService]:
    with DemoService(traffic_rps=2.0) as service:
        monkeypatch.setenv("OPSDASH_DEMO_URL", service.url)
        yield service


async def test_f_opens_the_fault_menu_and_injects_in_a_worker(demo: DemoService) -> None:
    app = OpsdashApp(demo_config(demo, refresh=0.5), demo=demo, autostart=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FaultMenu), what="the menu")
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt)
                  for i in range(options.option_count)]
        assert labels[0].startswith("service down")
        backlog = options.get_option("backlog")
        assert backlog.disabled and "needs Redis" in str(backlog.prompt)
        await pilot.press("enter")  # the first option: service down
        await wait_until(pilot, lambda: "down" in demo.faults, what="the fault")
        await wait_until(pilot, lambda: any("injected" in n.message
                                            for n in app._notifications), what="the notice")

        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FaultMenu), what="the menu")
        app.screen.query_one(OptionList).highlighted = 4  # recover all
        await pilot.press("enter")
        await wait_until(pilot, lambda: not demo.faults, what="every fault off")


async def test_f_is_not_offered_outside_the_demo(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.check_action("fault_menu", ()) is False
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, FaultMenu)


SQL_DRILL = """\
## ServiceDown: check the database

1. Who is connected:

   ```sql
   SELECT count(*) > 0 AS anyone FROM pg_stat_activity;
   ```

2. Drop the scratch table:

   ```sql
   DROP TABLE opsdash_pane_scratch;
   ```
"""


async def test_sql_steps_run_on_the_configured_postgres_read_only_unless_confirmed(
        tmp_path: Path, postgres_server: Any) -> None:
    """The pane runs `sql` blocks through psycopg on the [[postgres]] target's DSN: a read
    runs at once, a DROP waits for `y` and only then gets a writable transaction."""
    import psycopg

    books = tmp_path / "books"
    books.mkdir()
    (books / "db.md").write_text(SQL_DRILL)
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE opsdash_pane_scratch (x int)")
    base = config_for(panels())
    specs = tuple(PanelSpec(s.kind, s.name, {"dsn": postgres_server.dsn})
                  if s.kind == "postgres" else s for s in base.panels)
    config = Config(refresh=base.refresh, panels=specs, runbook_dirs=(books,),
                    runbook_map={"ServiceDown": ("db.md#servicedown-check-the-database",)})
    app = OpsdashApp(config, clock=lambda: T0 + 30, hostname=HOST, autostart=False,
                     journal=tmp_path / "journal.jsonl")

    def scratch_exists() -> bool:
        with psycopg.connect(postgres_server.dsn) as conn:
            row = conn.execute("SELECT to_regclass('opsdash_pane_scratch')").fetchone()
            return row is not None and row[0] is not None

    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 0)
        assert await finished(pilot, pane, 0) is StepStatus.DONE
        assert "anyone\nTrue\n(1 row)" in pane.output.text()

        await run_step(pilot, pane, 1)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                         what="the confirmation")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.exact_text == "DROP TABLE opsdash_pane_scratch;"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not pane.busy, what="the refusal")
        assert scratch_exists()

        await run_step(pilot, pane, 1)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                         what="the confirmation")
        await pilot.press("y")
        assert await finished(pilot, pane, 1) is StepStatus.DONE
        assert not scratch_exists()


async def test_the_pane_follows_a_new_alert_once_the_one_shown_has_recovered(
        drill: Drill) -> None:
    from textual.message import Message
    from textual.notifications import Notify

    from tui.dashboard.messages import PanelUpdated

    said: list[str] = []

    def hook(message: Message) -> None:
        # the toast leaves after its 5 s, which a loaded machine can spend in the loop below
        if isinstance(message, Notify) and message.notification.title == "runbook pane":
            said.append(message.notification.message)

    app = drill.app()
    async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
        pane = await open_pane(pilot)
        assert pane.session.target is not None
        assert pane.session.target.alert.name == "ServiceDown"
        later = [s for s in states(panels(), rounds=44, failing={"redis"})
                 if s.updated_at > T0 + 29]
        by_round: dict[float, list[Any]] = {}
        for state in later:
            by_round.setdefault(state.updated_at, []).append(state)
        for moment in sorted(by_round):  # one poll round at a time, as the scheduler posts
            for state in by_round[moment]:
                app.history.record(state)
                app.post_message(PanelUpdated(state))
            await pilot.pause()
        # ServiceDown stayed resolved for two polls (T0+30, T0+31): the pane moved to the
        # newest firing alert then, ContainerDown; RedisUnreachable, firing from T0+36,
        # does not pull it away while ContainerDown is still firing
        assert pane.session.target is not None
        assert pane.session.target.alert.name == "ContainerDown"
        assert said == ["following ContainerDown on containers:containers: the alert shown "
                        "before recovered"]


def test_a_pane_keeps_its_alert_while_a_step_runs_or_before_it_recovered() -> None:
    from panels.alerts import Alert, AlertState, Severity
    from tui.incident.session import Target, should_follow

    def target(name: str, panel: str) -> Target:
        return Target(Alert(name, AlertState.FIRING, Severity.CRIT, T0, T0, fired_at=T0), panel)

    shown, new = target("ServiceDown", "health:api"), target("RedisUnreachable", "redis:b")
    assert should_follow(shown, recovered=True, busy=False, newest=new) is True
    assert should_follow(shown, recovered=False, busy=False, newest=new) is False
    assert should_follow(shown, recovered=True, busy=True, newest=new) is False
    assert should_follow(shown, recovered=True, busy=False, newest=shown) is False
    assert should_follow(shown, recovered=True, busy=False, newest=None) is False


async def test_confirm_fixed_items_tick_themselves_when_their_criterion_holds(
        drill: Drill) -> None:
    from tui.dashboard.messages import PanelUpdated

    app = drill.app()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        steps = pane.session.steps
        error_item = next(i for i, s in enumerate(steps) if "error rate" in s.text)
        down_item = next(i for i, s in enumerate(steps) if "ServiceDown" in s.text)
        await wait_until(pilot, lambda: pane.session.record(error_item).auto,
                         what="the error-rate item to tick")
        assert pane.session.record(error_item).status is StepStatus.TICKED
        assert "checked by opsdash" in row(pane, error_item)
        assert pane.session.record(down_item).status is StepStatus.PENDING  # still firing
        await pilot.press("r")  # hidden, the pane keeps watching (and does not follow)
        for state in [s for s in states(panels(), rounds=34) if s.updated_at > T0 + 29]:
            app.post_message(PanelUpdated(state))
            await pilot.pause()
        await wait_until(pilot, lambda: pane.session.record(down_item).auto,
                         what="ServiceDown resolved to tick its item")
        await pilot.press("r")
        pane.steps.highlighted = error_item
        pane.focus_steps()
        await pilot.press("space")  # a person's tick: opsdash never takes it back
        assert not pane.session.record(error_item).auto


@pytest.mark.parametrize(("text", "holds"), [
    ("The error rate is back under 5%", True),
    ("Error rate below 0.1%", False),
    ("p95 latency under 300 ms", True),
    ("ContainerDown shows as resolved", False),
    ("ContainerDown is no longer firing", False),
    ("HighLatency clears", True),
    ("/readyz answers HTTP 200", True),
    ("Tell the team in #ops", None),
])
def test_what_a_confirm_fixed_item_says_is_checked_against_live_figures(
        text: str, holds: bool | None) -> None:
    from tui.incident.figures import criterion_holds

    # the last poll of each panel, health refused: ServiceDown and ContainerDown fire,
    # traffic answers with ~0.5% errors and a p95 under 200 ms
    latest = {s.panel_id: s for s in states(panels(), rounds=30, failing={"health"})}
    latest["health:api"] = next(s for s in states(panels(), rounds=1)
                                if s.panel_id == "health:api")  # and /readyz answers 200
    firing = {a.name for s in latest.values() for a in s.firing}
    assert {"ContainerDown"} <= firing and "HighLatency" not in firing
    assert criterion_holds(text, latest.values()) is holds


def test_step_titles_render_markdown_and_comment_lines_are_no_prompts() -> None:
    from runbooks.parser import parse_runbook
    from tui.dashboard.widgets.step_list import StepView
    from tui.incident.session import StepRecord

    book = parse_runbook("## Check\n\n1. **Check Memory** with `free -m`, see [docs](http://x)\n\n"
                         "   ```bash\n   # what the container uses\n\n   docker stats --no-stream"
                         "\n   ```\n", "c.md")
    step = book.sections[0].steps[0]
    view = StepView(number=1, step=step, record=StepRecord(),
                    commands=tuple(c.code for c in step.commands))
    text = step_prompt(view)
    assert text.plain.splitlines() == [
        "○ 1. Check Memory with free -m, see docs",
        "   $ free -m",
        "     # what the container uses",
        "   $ docker stats --no-stream"]
    bold = [text.plain[s.start:s.end] for s in text.spans if "bold" in str(s.style)]
    assert "Check Memory" in bold


def test_the_pane_offers_the_few_relevant_candidates() -> None:
    from runbooks.match import Match
    from runbooks.model import Section
    from tui.dashboard.runbook_dock import relevant

    def m(score: float) -> Match:
        return Match(Section(file="a.md", slug=f"s{score}", title="t", level=2), score, "")

    picked = relevant([m(90), m(80), m(40), m(35), m(30), m(20), m(10)])
    assert [x.score for x in picked] == [90, 80, 40]
    assert [x.score for x in relevant([m(90), *[m(89 - i) for i in range(8)]])] == [
        90, 89, 88, 87, 86]


def test_a_long_command_wraps_with_a_hanging_indent() -> None:
    from tui.dashboard.widgets.step_list import wrap_command

    line = 'curl -sS -i "$OPSDASH_DEMO_URL/readyz" -H "Accept: application/json"'
    assert wrap_command(line, None) == [line]
    assert wrap_command(line, 200) == [line]
    # 30 columns after "   $ ", then 28 after the 7-column hanging indent
    assert wrap_command(line, 35) == ['curl -sS -i "$OPSDASH_DEMO_URL',
                                      '/readyz" -H "Accept: applica', 'tion/json"']
    assert all(len(part) <= 35 - 5 for part in wrap_command(line, 35))


async def test_commands_in_a_narrow_pane_wrap_under_their_prompt(drill: Drill) -> None:
    app = drill.app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot)
        width = pane.steps.scrollable_content_region.width
        lines = step_prompt(pane._views()[0], width=width).plain.splitlines()
        prompt = next(i for i, ln in enumerate(lines) if ln.startswith("   $ "))
        assert all(len(ln) <= width for ln in lines[prompt:])
        assert lines[prompt + 1].startswith("       ") and lines[prompt + 1].strip()
