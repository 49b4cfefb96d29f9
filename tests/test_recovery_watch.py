"""Recovery: an alert that stays resolved for two polls is `recovered`, timed from firing.

The watch and the session are tested on their own with states judged by the real health
panel rules; then the whole loop runs on a real DemoService: inject `down`, open the
pane, run the demo runbook's fix step (a curl to /admin/recover) and wait for the pane
to say `recovered`; `opsdash report`'s renderer then tells the timeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from panels.base import Probe
from panels.errors import ProbeError
from panels.health import HealthPanel
from panels.watch import PanelState, PanelWatch
from runbooks.journal import read_journal
from runbooks.library import load_library
from runbooks.match import match
from runbooks.report import render_report
from tests.test_app_support import SAMPLES, T0, panels, states
from tests.test_runbook_pane import wait_until
from tui.commands.demo import RUNBOOK_SECTIONS, demo_config, demo_runbook_dir
from tui.dashboard.app import OpsdashApp
from tui.dashboard.screens.confirm import ConfirmScreen
from tui.dashboard.widgets.runbook_pane import RunbookPane
from tui.demo.service import DemoService
from tui.incident.figures import live_figures
from tui.incident.recovery import RecoveryWatch
from tui.incident.session import RunbookSession, StepError, StepStatus, pick_alert


def health_polls(pattern: str) -> list[PanelState]:
    """One health poll per character, a second apart: `u` answering, `d` refused."""
    watch = PanelWatch(HealthPanel("api", url="http://127.0.0.1:8000/readyz"))
    out = []
    for i, c in enumerate(pattern):
        probe = (Probe(SAMPLES["health"](i), None, 2.0) if c == "u"
                 else Probe(None, ProbeError("refused", "Connection refused"), 1.0))
        out.append(watch.judge(probe, T0 + i))
    return out


def watch_of(polls: list[PanelState]) -> RecoveryWatch:
    first = next(p for p in polls if p.firing)
    return RecoveryWatch(first.panel_id, first.firing[0])


def test_two_resolved_polls_make_a_recovery_timed_from_the_first_firing() -> None:
    polls = health_polls("uddduuu")
    watch = watch_of(polls)
    seen = [watch.observe(p) for p in polls[1:]]
    recovery = seen[4]  # the second resolved poll, at T0+5
    assert seen[:4] == [None, None, None, None] and seen[5] is None
    assert recovery is not None
    assert recovery.alert == "ServiceDown"
    assert recovery.fired_at == T0 + 1
    assert recovery.recovered_at == T0 + 4  # when it first resolved, not when confirmed
    assert recovery.seconds == 3.0
    assert watch.describe(T0 + 10).startswith("✔ recovered: ServiceDown resolved 3.0s")


def test_one_good_poll_between_failures_is_not_a_recovery() -> None:
    polls = health_polls("udduddd")
    watch = watch_of(polls)
    assert all(watch.observe(p) is None for p in polls)
    assert watch.recovery is None
    assert "firing for" in watch.describe(T0 + 7)


def test_the_same_poll_twice_counts_once() -> None:
    polls = health_polls("udu")
    watch = watch_of(polls)
    for p in polls:
        watch.observe(p)
    assert watch.observe(polls[-1]) is None
    assert watch.resolved_polls == 1
    assert "confirming (1/2 polls)" in watch.describe(T0 + 3)


def test_an_alert_that_comes_back_after_recovering_is_watched_again() -> None:
    polls = health_polls("uduuddduu")
    watch = watch_of(polls)
    recoveries = [r for r in (watch.observe(p) for p in polls) if r is not None]
    assert len(recoveries) == 2
    assert recoveries[1].fired_at == T0 + 4


def test_other_panels_polls_do_not_count() -> None:
    polls = health_polls("ud")
    watch = watch_of(polls)
    healthy = states(panels()[1:2], rounds=3)  # traffic polls
    assert all(watch.observe(p) is None for p in healthy)
    assert watch.resolved_polls == 0


def test_pick_alert_prefers_the_selected_card_then_the_most_severe() -> None:
    fed = states(panels(), failing={"health"})
    latest = {s.panel_id: s for s in fed}
    target = pick_alert(None, latest.values())
    assert target is not None and target.alert.severity.value == "crit"
    postgres = latest["postgres:main"]
    selected = pick_alert(postgres, latest.values())
    assert selected is not None and selected.alert.name == "LongRunningQuery"
    assert pick_alert(None, []) is None


def test_checklist_items_get_the_live_values_they_name() -> None:
    latest = list({s.panel_id: s for s in states(panels(), rounds=3)}.values())
    assert live_figures("The error rate is back under 5%", latest).startswith("error ratio ")
    assert "p95" in live_figures("p95 latency under 500 ms", latest)
    assert "celery" in live_figures("The queue drains", latest)
    assert "connections 4" in live_figures("Connections back under 80% of max", latest)
    assert live_figures("`database.ok` is true", latest) == "database.ok true"
    assert live_figures("Tell the team in #incidents", latest) == ""
    assert "queues" not in live_figures("`jobs.ok` is true", latest)


def demo_session(tmp_path: Path, env: dict[str, str]) -> RunbookSession:
    library = load_library([demo_runbook_dir()])
    ref = f"runbook.md#{RUNBOOK_SECTIONS['ServiceDown']}"
    from runbooks.journal import Journal

    return RunbookSession(match(library, "ServiceDown", {"ServiceDown": (ref,)}),
                          journal=Journal(tmp_path / "j.jsonl"), env=env)


def test_session_next_step_skips_what_ran_and_checklist_items(tmp_path: Path) -> None:
    session = demo_session(tmp_path, {"OPSDASH_DEMO_URL": "http://127.0.0.1:9"})
    assert session.next_step() == 0
    session.record(0).runs = 1
    session.record(0).status = StepStatus.DONE
    assert session.next_step() == 1
    assert session.steps[4].checklist and session.tick(4)
    session.record(3).runs = 1
    assert session.next_step() == 1  # steps 2 and 3 were skipped over: they come next
    for skipped in (1, 2):
        session.record(skipped).runs = 1
    assert session.next_step() is None  # only checklist items are left


def test_an_unset_var_is_a_placeholder_to_ask_for(tmp_path: Path) -> None:
    session = demo_session(tmp_path, {})
    assert session.missing(0) == ["OPSDASH_DEMO_URL"]
    assert session.placeholder_label(0, "OPSDASH_DEMO_URL") == "$OPSDASH_DEMO_URL"
    with pytest.raises(StepError, match="needs a value"):
        session.prepare(0)
    session.values["OPSDASH_DEMO_URL"] = "http://127.0.0.1:9/x y"
    assert session.prepare(0).text == 'curl -sS -i "http://127.0.0.1:9/x y/readyz"'


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoService]:
    with DemoService(traffic_rps=2.0) as service:
        monkeypatch.setenv("OPSDASH_DEMO_URL", service.url)
        yield service


async def test_the_fix_step_recovers_the_demo_and_the_pane_says_recovered(
        demo: DemoService, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    app = OpsdashApp(demo_config(demo, refresh=0.3), journal=journal, demo=demo)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: "health:demo" in app.states, 15, "the first poll")
        demo.inject("down")
        await wait_until(pilot, lambda: bool(app.firing_alerts("health:demo")), 15,
                         "ServiceDown to fire")
        await pilot.press("r")
        await wait_until(pilot, lambda: bool(app.query(RunbookPane)), 15, "the pane")
        pane = app.query_one(RunbookPane)
        assert pane.session.section.ref == f"runbook.md#{RUNBOOK_SECTIONS['ServiceDown']}"
        watch_line = pane.query_one("#rb-watch")
        assert "ServiceDown firing" in str(watch_line.render())
        fix = next(i for i, s in enumerate(pane.session.steps) if "admin/recover" in
                   "".join(c.code for c in s.commands))
        pane.steps.highlighted = fix
        await pilot.press("enter")
        # a POST changes the system: the exact command is shown and runs only after `y`
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10,
                         "the confirmation")
        assert "changes the system" in str(app.screen.query_one("#confirm-title").render())
        assert "admin/recover" in str(app.screen.query_one("#confirm-text").render())
        await pilot.press("y")
        await wait_until(pilot, lambda: "recovered" in str(watch_line.render()), 20,
                         "the pane to say recovered")
        assert pane.session.record(fix).status is StepStatus.DONE
        assert "down" not in demo.faults
        assert re.search(r"recovered: ServiceDown resolved [\d.]+s after it fired",
                         str(watch_line.render()))
        await wait_until(pilot, lambda: journal.exists() and any(
            e["type"] == "recovered" for e in read_journal(journal).events), 5,
            "the recovered event")
        await app.action_quit()

    events = read_journal(journal).events
    kinds = [e["type"] for e in events]
    assert {"status", "alert", "step_started", "step_finished", "recovered"} <= set(kinds)
    recovered = next(e for e in events if e["type"] == "recovered")
    assert recovered["alerts"] == ["ServiceDown"] and recovered["panel"] == "health:demo"
    report = render_report(events)
    assert "## Incident 1: ServiceDown" in report
    assert "alert **ServiceDown** firing" in report
    assert 'curl -fsS -X POST "$OPSDASH_DEMO_URL/admin/recover?fault=down"' in report
    assert "**recovered**: ServiceDown" in report
    assert "Recovered:** not yet" not in report
