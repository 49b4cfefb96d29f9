"""`opsdash check`: one round of every panel, without Textual, for cron, CI and Nagios.

Exit codes follow the Nagios plugin convention: 0 ok, 1 warn, 2 crit, 3 unknown. A config
that cannot be read also exits 3 (UNKNOWN): the state of the systems is then unknown,
and 2 would page someone for "crit" when the problem is the config file itself.

Alert `for` durations behave as in Prometheus: one round only sees "now", so a condition
whose `for` has not passed is reported as `pending` (panel status warn), never firing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from panels.base import Panel, Probe, Status
from panels.errors import ProbeError
from panels.watch import PanelState, PanelWatch
from tui.config.loader import Config, ConfigError, build_panels, find_config, load_config
from tui.incident.runbook_links import link_runbooks

CONFIG_ERROR_EXIT = Status.UNKNOWN.exit_code  # 3
#: longest pause between the two scrapes of a rate-based panel
RATE_GAP_S = 1.0
#: how long closing one panel's connections may take before we stop waiting
CLOSE_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class RoundResult:
    states: list[PanelState]
    #: True when some client ignored cancellation and is still running in a thread
    abandoned: bool = False

    @property
    def status(self) -> Status:
        """The worst panel's; UNKNOWN when nothing is watched (a cron check that watches
        nothing must not look healthy)."""
        if not self.states:
            return Status.UNKNOWN
        return Status.worst([s.status for s in self.states])


def run_check(args: argparse.Namespace) -> int:
    """Load config, poll every panel once (twice for rate-based ones), print, exit by status."""
    try:
        path = find_config(getattr(args, "config", None))
        config = load_config(path, refresh=getattr(args, "refresh", None))
        panels = build_panels(config)
    except ConfigError:
        raise  # tui.cli prints it, one line, exit 3 like every command

    link_runbooks(panels, config)
    result = run_round(panels, config)
    if getattr(args, "json", False):
        print(json.dumps(finite(as_json(result)), indent=2, default=str, allow_nan=False))
    else:
        if config.discovered:
            for hint in config.hints:
                print(f"opsdash: {hint}", file=sys.stderr)
        print_table(result, sys.stdout)
    code = result.status.exit_code
    if result.abandoned:
        # A client stuck in a thread would keep the interpreter from exiting (thread
        # pools are joined at exit); the answer is printed, so leave without waiting.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def finite(value: Any) -> Any:
    """nan and inf become null: JSON has no spelling for them, and `Infinity` breaks jq."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def as_json(result: RoundResult) -> dict[str, Any]:
    """The `check --json` contract from DESIGN.md: status plus each panel's state."""
    return {"status": result.status.value, "panels": [s.as_json() for s in result.states]}


def run_round(panels: list[Panel[Any]], config: Config) -> RoundResult:
    """One round on a private event loop that never waits for stuck worker threads."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_round(panels, config))
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()  # shuts the default executor down without joining its threads


def _gap(panel: Panel[Any], config: Config) -> float:
    return min(RATE_GAP_S, panel.interval or config.refresh)


async def _round(panels: list[Panel[Any]], config: Config) -> RoundResult:
    watches = [PanelWatch(p) for p in panels]
    latest: dict[int, PanelState] = {}

    async def poll(i: int, watch: PanelWatch) -> None:
        latest[i] = await watch.poll()
        if watch.panel.rate_based and latest[i].error is None:
            # rates need a second scrape; the first one's figures stand if this one is cut
            await asyncio.sleep(_gap(watch.panel, config))
            latest[i] = await watch.poll()

    rate_gap = max((_gap(p, config) for p in panels if p.rate_based), default=0.0)
    guard = max((p.timeout for p in panels), default=0.0) + rate_gap + 1.0
    started = time.perf_counter()
    tasks = [asyncio.create_task(poll(i, w)) for i, w in enumerate(watches)]
    abandoned = False
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=guard)
        for task in pending:
            task.cancel()
        if pending:
            # a task that ignores cancellation (a client blocking in a thread) is left behind
            _, stuck = await asyncio.wait(pending, timeout=0.5)
            abandoned = bool(stuck)
    elapsed_ms = (time.perf_counter() - started) * 1000
    states: list[PanelState] = []
    for i, watch in enumerate(watches):
        state = latest.get(i)
        if state is None:
            error = _unfinished_error(tasks[i], watch.panel)
            state = watch.judge(Probe(None, error, elapsed_ms), time.time())
        states.append(state)
    await _close_all(panels)
    return RoundResult(states, abandoned)


def _unfinished_error(task: asyncio.Task[None], panel: Panel[Any]) -> ProbeError:
    """Why a panel has no state: it overran the round, or (a bug) its poll raised."""
    if task.done() and not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        return ProbeError("error", f"{type(exc).__name__}: {exc}")
    return ProbeError("timeout", f"no answer after {panel.timeout:g}s")


async def _close_all(panels: list[Panel[Any]]) -> None:
    """aclose() every panel concurrently; one that hangs or fails does not block the rest."""
    async def close(panel: Panel[Any]) -> None:
        try:
            await asyncio.wait_for(panel.aclose(), timeout=CLOSE_TIMEOUT_S)
        except Exception:  # closing is best effort: the answer is already known
            return

    await asyncio.gather(*(close(p) for p in panels))


def print_table(result: RoundResult, out: TextIO) -> None:
    """Status word, panel id, summary and alerts, one panel a line, worst status first line."""
    counts: dict[str, int] = {}
    for s in result.states:
        counts[s.status.value] = counts.get(s.status.value, 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in sorted(
        counts.items(), key=lambda kv: -Status(kv[0]).rank))
    print(f"{result.status.value.upper()}: {len(result.states)} panels"
          f"{' (' + tally + ')' if tally else ''}", file=out)
    if not result.states:
        return
    width = max(len(s.panel_id) for s in result.states)
    for s in result.states:
        alerts = [a.name if a.state.value == "firing" else f"{a.name} ({a.state.value})"
                  for a in s.alerts]
        line = f"{s.status.value.upper():<7} {s.panel_id:<{width}}  {s.summary}"
        if alerts:
            line += f"  [{', '.join(alerts)}]"
        print(line, file=out)
