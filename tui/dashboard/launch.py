"""`opsdash` with no subcommand: load the config, then run the dashboard.

Only config and Textual load here; panel modules (and their network clients) are
imported by the app in a worker after the first frame.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui.config.loader import Config, find_config, load_config

if TYPE_CHECKING:
    from tui.demo.service import DemoService
    from tui.incident.recording import RecordingStore

#: how long a thread may hold the GIL while another waits (CPython's default is 5 ms).
#: Docker stats streams, psutil and parsing run in threads; with 100 containers streaming,
#: the event loop waited several 5 ms turns for the GIL (loop lag p99 ~20 ms); at 1 ms it
#: is 5-10 ms (benchmarks/bench_containers.py); steady CPU moved less than its run-to-run
#: noise (±0.4 points).
GIL_SWITCH_S = 0.001


def run_dashboard(args: argparse.Namespace) -> int:
    """Load config (a ConfigError reaches tui.cli: one line, exit 3), then run the app."""
    path = find_config(getattr(args, "config", None))
    config = load_config(path, refresh=getattr(args, "refresh", None))
    config = with_cli_runbooks(config, args)
    journal = getattr(args, "journal", None)
    return run_app(config, read_only=bool(getattr(args, "read_only", False)),
                   journal=Path(journal) if journal else config.journal)


def with_cli_runbooks(config: Config, args: argparse.Namespace) -> Config:
    """`--runbooks DIR`... ahead of the config's dirs, as `opsdash runbooks` orders them."""
    dirs = tuple(Path(d).expanduser() for d in getattr(args, "runbook_dirs", None) or ())
    return replace(config, runbook_dirs=dirs + config.runbook_dirs) if dirs else config


def run_app(config: Config, *, read_only: bool = False, journal: Path | None = None,
            title: str | None = None, demo: DemoService | None = None) -> int:
    """Run the dashboard on `config` until the user quits; the exit code to return.

    `demo`: `opsdash demo` passes its service for the fault menu.
    """
    from tui.dashboard.app import OpsdashApp

    sys.setswitchinterval(GIL_SWITCH_S)
    app = OpsdashApp(config, read_only=read_only, journal=journal, title=title, demo=demo)
    code = app.run()
    if app.return_code not in (None, 0):
        return int(app.return_code)
    return int(code or 0)


def run_replay(config: Config, store: RecordingStore, *, start: float, speed: float,
               journal: Path | None = None) -> int:
    """`opsdash replay`: the dashboard over a recording, read-only, no panel polled."""
    from tui.dashboard.replay import ReplayApp

    app = ReplayApp(config, store, start=start, speed=speed, journal=journal)
    code = app.run()
    if app.return_code not in (None, 0):
        return int(app.return_code)
    return int(code or 0)
