"""The scheduler on virtual time: exactly when each panel polls, pauses, refreshes, posts.

No server, no Textual app: panels are a minimal Panel kind answering from a script, the
host records what the scheduler asks of it (run a worker, post a message), and the loop's
clock only moves when every task waits (tests/virtual_time.py), so every time is exact.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, cast

import pytest

from panels.alerts import AlertRule, Severity
from panels.base import Condition, Panel, Probe
from panels.watch import PanelWatch
from tests.virtual_time import START, VirtualTimeLoop, run
from tui.dashboard import scheduler as sched
from tui.dashboard.history import History
from tui.dashboard.messages import PanelUpdated
from tui.dashboard.scheduler import Scheduler, phase_offsets
from tui.incident.record import IncidentRecord


class ScriptedPanel(Panel[float]):
    """A panel whose sample is a latency in ms: `HighLatency` above 500, no `for`.

    `plan` gives each poll's (seconds it takes, value or exception); the last entry repeats.
    """

    kind = "scripted"
    unreachable_alert = "ServiceDown"

    def __init__(self, name: str, plan: list[tuple[float, float | Exception]] | None = None,
                 *, interval: float | None = None, timeout: float = 5.0) -> None:
        super().__init__(name, interval=interval, timeout=timeout,
                         rules={"HighLatency": AlertRule(500.0, 0.0, Severity.WARN)})
        self.plan = plan or [(0.0, 100.0)]
        self.started: list[float] = []  # loop time of each poll's start
        self.closed = 0

    async def collect(self) -> float:
        loop = asyncio.get_running_loop()
        index = min(len(self.started), len(self.plan) - 1)
        self.started.append(loop.time() - START)
        took, value = self.plan[index]
        if took:
            await asyncio.sleep(took)
        if isinstance(value, Exception):
            raise value
        return value

    def metrics(self, sample: float) -> dict[str, Any]:
        return {"latency_ms": sample}

    def conditions(self, sample: float) -> list[Condition]:
        return [Condition("HighLatency", sample > 500.0, Severity.WARN, f"{sample:g} ms")]

    def summary(self, sample: float) -> str:
        return f"{sample:g} ms"

    async def aclose(self) -> None:
        self.closed += 1


class Hanging(ScriptedPanel):
    """A collector that ignores its own timeout: only the scheduler's guard ends it."""

    async def probe(self) -> Probe[float]:
        self.started.append(asyncio.get_running_loop().time() - START)
        await asyncio.sleep(3600)
        raise AssertionError("the guard should have ended this poll")


class BrokenRules(ScriptedPanel):
    """A panel whose rules raise: a bug in a kind must not end its loop."""

    def conditions(self, sample: float) -> list[Condition]:
        raise ValueError("bad rule")


class TaskWorker:
    """What the scheduler uses of a Textual Worker: cancel() and wait()."""

    def __init__(self, task: asyncio.Task[None]) -> None:
        self.task = task

    def cancel(self) -> None:
        self.task.cancel()

    async def wait(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class Host:
    """What the scheduler uses of the app: run_worker, post_message, log.error."""

    def __init__(self) -> None:
        self.posted: list[tuple[float, list[str]]] = []  # (time, panel ids) per redraw
        self.errors: list[str] = []
        self.workers: list[dict[str, Any]] = []  # run_worker's options, one per panel
        self.log = self

    def error(self, message: str) -> None:
        self.errors.append(message)

    def run_worker(self, work: Coroutine[Any, Any, None], **options: Any) -> TaskWorker:
        self.workers.append(options)
        return TaskWorker(asyncio.get_running_loop().create_task(work))

    def post_message(self, message: PanelUpdated) -> bool:
        now = asyncio.get_running_loop().time() - START
        if self.posted and self.posted[-1][0] == now:
            self.posted[-1][1].append(message.panel_id)
        else:
            self.posted.append((now, [message.panel_id]))
        return True


def scheduler(host: Host, *panels: ScriptedPanel, refresh: float = 10.0,
              **kwargs: Any) -> Scheduler:
    loop = asyncio.get_running_loop()
    return Scheduler(cast(Any, host), [PanelWatch(p) for p in panels], refresh=refresh,
                     history=History(), clock=loop.time, **kwargs)


async def until(loop: VirtualTimeLoop, at: float) -> None:
    """Let virtual time run to START + at."""
    await asyncio.sleep(START + at - loop.time())


def test_phase_offsets_deal_panels_across_four_points() -> None:
    assert phase_offsets(8) == [0, 0, .25, .25, .5, .5, .75, .75]
    assert phase_offsets(2) == [0, .5]
    assert phase_offsets(3) == [0, 0.25, 0.5]
    assert phase_offsets(1) == [0]
    assert phase_offsets(6, phases=3) == [0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3]


def test_each_panel_polls_on_its_own_grid_from_its_phase() -> None:
    a, b = ScriptedPanel("a"), ScriptedPanel("b", interval=4.0)

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(Host(), a, b)
        s.start()
        await until(loop, 21)
        await s.aclose()
        return s

    s = run(main)
    assert a.started == [0, 10, 20]  # refresh 10, phase 0
    assert b.started == [2, 6, 10, 14, 18]  # its own interval 4, phase .5 of it
    assert s.polls == 8
    assert a.closed == b.closed == 1


def test_a_slow_poll_skips_to_the_next_grid_point_at_least_min_gap_away() -> None:
    # polls take 12 s, then 9.96 s (ends .04 s before a grid point: too close), then 1 s
    panel = ScriptedPanel("slow", [(12.0, 1.0), (9.96, 1.0), (1.0, 1.0)], timeout=30.0)

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), panel)
        s.start()
        await until(loop, 55)
        await s.aclose()

    run(main)
    assert sched.MIN_GAP_S == 0.05
    assert panel.started == [0, 20, 40, 50]


def test_pause_stops_polls_and_resume_polls_at_once_then_back_on_the_grid() -> None:
    panel = ScriptedPanel("a")

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), panel)
        s.start()
        await until(loop, 15)
        s.pause()
        await until(loop, 47)
        assert panel.started == [0, 10]
        s.resume()
        await until(loop, 61)
        await s.aclose()

    run(main)
    assert panel.started == [0, 10, 47, 50, 60]


def test_refresh_now_while_paused_polls_once_and_stays_paused() -> None:
    a, b = ScriptedPanel("a"), ScriptedPanel("b")

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(Host(), a, b)
        s.start()
        await until(loop, 12)
        s.pause()
        await until(loop, 33)
        s.refresh_now()
        await until(loop, 100)
        assert s.paused
        s.resume()
        await until(loop, 101)
        await s.aclose()
        return s

    s = run(main)
    assert a.started == [0, 10, 33, 100]
    assert b.started == [5, 33, 100]
    assert s.polls == 7


def test_refresh_now_during_a_running_poll_is_answered_by_it_even_while_paused() -> None:
    panel = ScriptedPanel("a", [(3.0, 1.0)])

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), panel)
        s.start()
        await until(loop, 1)  # the first poll runs from 0 to 3
        s.pause()
        s.refresh_now()
        await until(loop, 95)
        await s.aclose()

    run(main)
    assert panel.started == [0]


def test_refresh_now_polls_everything_at_once_and_keeps_each_panel_in_phase() -> None:
    a, b = ScriptedPanel("a"), ScriptedPanel("b")

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), a, b)
        s.start()
        await until(loop, 7)
        s.refresh_now()
        await until(loop, 26)
        await s.aclose()

    run(main)
    assert a.started == [0, 7, 10, 20]
    assert b.started == [5, 7, 15, 25]


def test_starting_paused_polls_nothing_until_refresh_or_resume() -> None:
    panel = ScriptedPanel("a")

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), panel)
        s.pause()
        s.start()
        await until(loop, 30)
        assert panel.started == []
        s.refresh_now()
        await until(loop, 44)
        s.resume()
        await until(loop, 51)
        await s.aclose()

    run(main)
    assert panel.started == [30, 44, 50]


def test_a_failing_poll_turns_its_card_crit_and_stops_nothing() -> None:
    bad = ScriptedPanel("bad", [(0.0, ConnectionRefusedError("refused"))])
    good = ScriptedPanel("good")

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(Host(), bad, good)
        s.start()
        await until(loop, 21)
        await s.aclose()
        return s

    s = run(main)
    assert bad.started == [0, 10, 20]
    assert good.started == [5, 15]
    states = s.history.states("scripted:bad")
    assert [st.status.value for st in states] == ["crit"] * 3
    assert [a.name for a in states[-1].firing] == ["ServiceDown"]
    assert [st.updated_at - START for st in states] == [0, 10, 20]


def test_a_panel_whose_rules_raise_shows_the_error_and_keeps_polling() -> None:
    broken = BrokenRules("broken")

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(Host(), broken)
        s.start()
        await until(loop, 11)
        await s.aclose()
        return s

    s = run(main)
    assert broken.started == [0, 10]
    states = s.history.states("scripted:broken")
    assert [(st.status.value, st.error and (st.error.kind, st.error.message))
            for st in states] == [("crit", ("error", "ValueError: bad rule"))] * 2


def test_a_collector_ignoring_its_timeout_is_ended_by_the_guard() -> None:
    hung = Hanging("hung", timeout=2.0)

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(Host(), hung)
        s.start()
        await until(loop, 14)
        await s.aclose()
        return s

    s = run(main)
    assert sched.GUARD_GRACE_S == 1.0
    assert hung.started == [0, 10]
    (first,) = s.history.states("scripted:hung")[:1]
    assert first.updated_at == START + 3  # timeout 2 + grace 1
    assert first.error is not None
    assert (first.error.kind, first.error.message) == ("timeout", "no answer after 3s (guard)")
    assert first.status.value == "crit"


def test_status_changes_post_within_urgent_s_routine_figures_within_batch_s() -> None:
    # a: latency 100 (ok) then 900 (warn) then 900; b: always ok, phase .5
    a = ScriptedPanel("a", [(0.0, 100.0), (0.0, 900.0), (0.0, 900.0)])
    b = ScriptedPanel("b")
    host = Host()

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(host, a, b)
        s.start()
        await until(loop, 21)
        await s.aclose()

    run(main)
    assert (sched.URGENT_S, sched.BATCH_S) == (0.05, 0.9)
    times = [round(t, 6) for t, _ in host.posted]
    ids = [p for _, p in host.posted]
    # first polls are changes (from nothing): urgent; a's 100 -> 900 at 10 too
    assert times == [0.05, 5.05, 10.05, 15.9, 20.9]
    assert ids == [["scripted:a"], ["scripted:b"], ["scripted:a"], ["scripted:b"],
                   ["scripted:a"]]


def test_a_one_second_round_of_four_phases_is_one_redraw() -> None:
    items = [ScriptedPanel(f"p{i}") for i in range(4)]
    host = Host()

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(host, *items, refresh=1.0)
        s.start()
        await until(loop, 3.95)
        await s.aclose()

    run(main)
    assert items[3].started == [0.75, 1.75, 2.75, 3.75]
    # first polls are changes (urgent, one per phase); then each round is one batch
    assert [(round(t, 6), len(p)) for t, p in host.posted] == [
        (0.05, 1), (0.3, 1), (0.55, 1), (0.8, 1), (1.9, 4), (2.9, 4), (3.9, 4)]


def test_a_routine_batch_is_pulled_forward_by_an_urgent_change() -> None:
    # eight panels on four phases: a and b share phase 0 and poll back to back; at 10 b
    # changes status: a's routine result, already waiting, goes out with it
    a = ScriptedPanel("a", [(0.0, 100.0), (0.0, 100.0)])
    b = ScriptedPanel("b", [(0.0, 100.0), (0.0, 900.0)])
    host = Host()

    async def main(loop: VirtualTimeLoop) -> None:
        rest = [ScriptedPanel(f"r{i}", interval=1000.0) for i in range(6)]
        s = scheduler(host, a, b, *rest)
        s.start()
        await until(loop, 11)
        await s.aclose()

    run(main)
    assert a.started == [0, 10] and b.started == [0, 10]
    assert [(round(t, 6), sorted(p)) for t, p in host.posted][-1] == (
        10.05, ["scripted:a", "scripted:b"])


def test_status_events_and_incidents_go_to_the_hook_in_order() -> None:
    a = ScriptedPanel("a", [(0.0, 100.0), (0.0, 900.0), (0.0, 900.0), (0.0, 100.0)])
    events: list[dict[str, Any]] = []

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), a, on_status=events.append, record=IncidentRecord())
        s.start()
        await until(loop, 31)
        await s.aclose()

    run(main)
    status = [(e["ts"] - START, e["from"], e["to"], e["alerts"]) for e in events
              if e["type"] == "status"]
    # starting ok is no event; 100 -> 900 warns at 10, back to ok at 30
    assert status == [(10, "ok", "warn", ["HighLatency"]), (30, "warn", "ok", [])]
    # the record's incident and alert events come with them, in the record's order
    assert [(e["type"], e.get("state"), e["ts"] - START) for e in events] == [
        ("status", None, 10), ("incident", "opened", 10), ("alert", "firing", 10),
        ("status", None, 30), ("alert", "resolved", 30)]
    assert events[0] == {"type": "status", "panel": "scripted:a", "from": "ok", "to": "warn",
                         "alerts": ["HighLatency"], "ts": START + 10,
                         "figures": events[0]["figures"]}


def test_a_failing_hook_is_logged_and_polling_goes_on() -> None:
    a = ScriptedPanel("a", [(0.0, 900.0), (0.0, 100.0), (0.0, 900.0)])
    host = Host()

    def full_disk(_: dict[str, Any]) -> None:
        raise OSError(28, "No space left on device")

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(host, a, on_status=full_disk)
        s.start()
        await until(loop, 21)
        await s.aclose()

    run(main)
    assert a.started == [0, 10, 20]
    assert host.errors == ["journal hook failed: OSError(28, 'No space left on device')"] * 3


def test_aclose_cancels_every_loop_and_closes_every_panel_once() -> None:
    a, b = ScriptedPanel("a"), ScriptedPanel("b", [(30.0, 1.0)], timeout=60.0)

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(Host(), a, b)
        s.start()
        await until(loop, 12)  # b is inside its 30 s poll
        await s.aclose()
        await until(loop, 100)
        return s

    s = run(main)
    assert a.started == [0, 10] and b.started == [5]
    assert (a.closed, b.closed) == (1, 1)
    assert s.polls == 2


def test_one_exclusive_worker_per_panel_in_its_own_group() -> None:
    host = Host()

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(host, ScriptedPanel("a"), ScriptedPanel("b"))
        s.start()
        await s.aclose()

    run(main)
    assert host.workers == [
        {"name": f"poll scripted:{n}", "group": f"opsdash-poll:scripted:{n}", "exclusive": True,
         "exit_on_error": False} for n in "ab"]


def test_interval_falls_back_to_the_refresh_and_watch_finds_by_id() -> None:
    a, b = ScriptedPanel("a"), ScriptedPanel("b", interval=3.0)

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        return scheduler(Host(), a, b, refresh=7.0)

    s = run(main)
    assert [s.interval(w) for w in s.watches] == [7.0, 3.0]
    found = s.watch("scripted:b")
    assert found is not None and found.panel is b
    assert s.watch("scripted:zz") is None


@pytest.mark.parametrize("count", [1, 5, 20])
def test_no_two_polls_of_one_panel_overlap(count: int) -> None:
    panels = [ScriptedPanel(f"p{i}", [(7.5, 1.0)], interval=5.0, timeout=30.0)
              for i in range(count)]

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), *panels)
        s.start()
        await until(loop, 40)
        await s.aclose()

    run(main)
    for p in panels:
        gaps = [b - a for a, b in zip(p.started, p.started[1:], strict=False)]
        assert gaps and all(g == 10.0 for g in gaps)


def test_four_phases_and_a_fresh_scheduler_is_not_paused() -> None:
    assert sched.PHASES == 4 and phase_offsets.__defaults__ == (4,)

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(Host(), ScriptedPanel("a"))
        assert s.paused is False
        s.pause()
        assert s.paused is True
        s.resume()
        assert s.paused is False
        return s

    run(main)


def test_refresh_now_before_a_panels_first_phase_keeps_that_phase() -> None:
    # b's first grid point is 5: a refresh at 2 polls it at once, and it still polls at 5
    a, b = ScriptedPanel("a"), ScriptedPanel("b")

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(Host(), a, b)
        s.start()
        await until(loop, 2)
        s.refresh_now()
        await until(loop, 16)
        await s.aclose()

    run(main)
    assert a.started == [0, 2, 10]
    assert b.started == [2, 5, 15]


class _Clock:
    """Stands in for the scheduler's `time` module: perf_counter on the loop's clock."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self.perf_counter = loop.time


def test_a_failed_polls_duration_is_the_time_it_took(monkeypatch: pytest.MonkeyPatch) -> None:
    hung = Hanging("hung", timeout=2.0)
    broken = BrokenRules("broken", [(0.25, 1.0)])

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        monkeypatch.setattr(sched, "time", _Clock(loop))
        s = scheduler(Host(), hung, broken)
        s.start()
        await until(loop, 6)
        await s.aclose()
        return s

    s = run(main)
    assert [st.duration_ms for st in s.history.states("scripted:hung")] == [3000.0]
    assert [st.duration_ms for st in s.history.states("scripted:broken")] == [250.0]


class SlowToClose(ScriptedPanel):
    """A panel whose aclose() hangs, or fails: closing must end anyway, in bounded time."""

    def __init__(self, name: str, *, fails: bool = False) -> None:
        super().__init__(name)
        self.fails = fails

    async def aclose(self) -> None:
        self.closed += 1
        if self.fails:
            raise OSError("connection reset while closing")
        await asyncio.sleep(3600)


def test_aclose_gives_up_on_a_hanging_close_after_aclose_timeout_s() -> None:
    hanging, a = SlowToClose("hanging"), ScriptedPanel("a")

    async def main(loop: VirtualTimeLoop) -> float:
        s = scheduler(Host(), hanging, a)
        s.start()
        await until(loop, 1)
        await s.aclose()
        return loop.time() - START

    assert sched.ACLOSE_TIMEOUT_S == 5.0
    assert run(main) == 6.0
    assert (hanging.closed, a.closed) == (1, 1)


def test_a_close_that_fails_does_not_stop_aclose_or_the_other_closes() -> None:
    failing, a = SlowToClose("failing", fails=True), ScriptedPanel("a")

    async def main(loop: VirtualTimeLoop) -> float:
        s = scheduler(Host(), failing, a)
        s.start()
        await until(loop, 1)
        await s.aclose()
        return loop.time() - START

    assert run(main) == 1.0
    assert (failing.closed, a.closed) == (1, 1)


def test_aclose_drops_the_waiting_batch_and_a_later_delivery_posts_again() -> None:
    a = ScriptedPanel("a")
    host = Host()

    async def main(loop: VirtualTimeLoop) -> None:
        s = scheduler(host, a)
        s.start()
        await until(loop, 0.01)  # polled at 0: its batch is due at 0.05
        await s.aclose()
        await until(loop, 1)
        assert host.posted == []
        state = s.history.states("scripted:a")[-1]
        await s.deliver(state)
        await until(loop, 3)

    run(main)
    assert [(round(t, 6), p) for t, p in host.posted] == [(1.9, ["scripted:a"])]


def test_without_a_hook_status_changes_and_incidents_log_no_error() -> None:
    a = ScriptedPanel("a", [(0.0, 100.0), (0.0, 900.0)])
    host = Host()

    async def main(loop: VirtualTimeLoop) -> Scheduler:
        s = scheduler(host, a, record=IncidentRecord())
        s.start()
        await until(loop, 11)
        await s.aclose()
        return s

    s = run(main)
    assert s.polls == 2 and host.errors == []
