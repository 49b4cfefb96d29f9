"""The `opsdash` command line: argument parsing and dispatch, nothing else.

Each subcommand lives in its own module, imported only when chosen, so `opsdash check`
never loads Textual and the dashboard loads no network client before its first frame.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
from collections.abc import Sequence

from tui import __version__
from tui.errors import ConfigError, UsageError

#: one exit code for a config that cannot be read, whatever the command: 3, "unknown" in
#: the Nagios convention `check` follows (nothing is known when the config is broken)
CONFIG_ERROR_EXIT = 3
#: a command line that makes no sense: argparse's own code
USAGE_EXIT = 2
#: httpx's own command-line client, which `import httpx` loads whenever click and pygments
#: are installed (they are: Textual's and rich's dependencies): click, pygments' lexer
#: tables and rich.syntax, 2.7 MiB of RSS (benchmarks/bench_memory.py) for a CLI opsdash
#: never runs. Marked as not importable, httpx falls back to its stub `httpx.main`.
UNUSED_MODULES = ("httpx._main",)


def seconds(text: str) -> float:
    """A refresh interval: a finite number of seconds > 0, checked as argparse checks types
    so `--refresh 0` and `--refresh abc` fail the same way (usage, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, not {text!r}")
    return value


def _runbook_dirs(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    p.add_argument("--runbooks", dest="runbook_dirs", action="append",
                   default=[] if top else argparse.SUPPRESS,
                   metavar="DIR", help="a folder of Markdown runbooks (repeatable)")


def _common(p: argparse.ArgumentParser) -> None:
    """Global options also accepted after the subcommand (`opsdash check --config F`)."""
    s = argparse.SUPPRESS
    p.add_argument("--config", metavar="FILE", default=s, help="TOML config")
    p.add_argument("--journal", metavar="FILE", default=s, help="incident journal (JSONL)")
    p.add_argument("--read-only", action="store_true", default=s,
                   help="refuse destructive runbook commands")


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opsdash",
        description="The on-call cockpit in a terminal: live panels, matched runbooks, "
                    "steps on a keypress.",
    )
    parser.add_argument("--version", action="version", version=f"opsdash {__version__}")
    parser.add_argument("--config", metavar="FILE", help="TOML config (default: ./opsdash.toml, "
                        "then the user config dir)")
    _runbook_dirs(parser, top=True)
    parser.add_argument("--read-only", action="store_true",
                        help="refuse destructive runbook commands")
    parser.add_argument("--refresh", type=seconds, metavar="SECONDS",
                        help="refresh interval for every panel")
    parser.add_argument("--journal", metavar="FILE", help="incident journal (JSONL)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="embedded demo service with fault injection, "
                          "dashboard on it")
    demo.add_argument("--port", type=int, default=0, help="demo service port (default: free)")
    demo.add_argument("--serve-only", action="store_true",
                      help="run only the demo service, no dashboard")
    _common(demo)

    check = sub.add_parser("check", help="one round of every panel; exit 0 ok, 1 warn, "
                           "2 crit, 3 unknown")
    _json(check)
    _common(check)

    rb = sub.add_parser("runbooks", help="list, show, match, lint and run runbooks")
    rb_sub = rb.add_subparsers(dest="runbooks_command", metavar="ACTION", required=True)
    p = rb_sub.add_parser("list", help="every section of every runbook")
    _runbook_dirs(p)
    _json(p)
    _common(p)
    p = rb_sub.add_parser("show", help="one section with its steps")
    p.add_argument("ref", metavar="REF", help="file.md#section-slug")
    _runbook_dirs(p)
    _json(p)
    p = rb_sub.add_parser("match", help="sections ranked for an alert")
    p.add_argument("alert", metavar="ALERT")
    _runbook_dirs(p)
    _json(p)
    p = rb_sub.add_parser("lint", help="report problems; non-zero exit when any")
    _runbook_dirs(p)
    _common(p)
    p = rb_sub.add_parser("run", help="run one step of a section")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--step", type=int, required=True, metavar="N", help="step number (1-based)")
    p.add_argument("--yes", action="store_true", help="confirm destructive commands")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="value for a placeholder (repeatable)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    _runbook_dirs(p)
    _common(p)

    p = sub.add_parser("report", help="Markdown incident timeline from the journal")
    _json(p)
    p.add_argument("--since", metavar="TIME",
                   help="incidents opened since TIME (ISO date/time, HH:MM today, or -2h)")
    p.add_argument("--incident", type=int, metavar="N", help="only incident N")
    _common(p)

    replay = sub.add_parser("replay", help="play the recorded panels back in the dashboard, "
                            "read-only")
    when = replay.add_mutually_exclusive_group()
    when.add_argument("--at", metavar="TIME",
                      help="start time: ISO timestamp, HH:MM, or -10m (default: the last 10 "
                           "minutes of the recording)")
    when.add_argument("--incident", type=int, metavar="N",
                      help="start 30 s before the journal's N-th alert firing")
    replay.add_argument("--speed", type=float, default=1.0, metavar="X",
                        help="recorded seconds per second (default 1)")
    replay.add_argument("--recording", metavar="FILE",
                        help="the recording (default: [recording] path, else the state dir)")
    _runbook_dirs(replay)
    _common(replay)
    return parser


def _subparser(parser: argparse.ArgumentParser, args: argparse.Namespace
               ) -> argparse.ArgumentParser:
    """The parser of the subcommand that was chosen, so its usage is the one shown."""
    chosen = parser
    for dest in ("command", "runbooks_command"):
        name = getattr(args, dest, None)
        actions = [a for a in chosen._actions if isinstance(a, argparse._SubParsersAction)]
        if name is None or not actions:
            break
        chosen = actions[0].choices.get(name, chosen)
    return chosen


def skip_unused_modules() -> None:
    """Make UNUSED_MODULES unimportable (a None entry in sys.modules): their importers'
    ImportError fallbacks take over."""
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    skip_unused_modules()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _subparser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "check":
            from tui.commands.check import run_check

            return run_check(args)
        if args.command == "runbooks":
            from tui.commands.runbooks import run_runbooks

            return run_runbooks(args)
        if args.command == "report":
            from tui.commands.report import run_report

            return run_report(args)
        if args.command == "replay":
            from tui.commands.replay import run_replay

            return run_replay(args)
        if args.command == "demo":
            from tui.commands.demo import run_demo

            return run_demo(args)
        # start-up allocates tens of thousands of objects that live as long as the app
        # (Textual, the config, the widgets): collecting them over and over delayed the
        # first frame. Held off until then; the app freezes them at its first frame
        # (`OpsdashApp._first_frame`), so later collections never scan them again.
        gc.disable()
        try:
            from tui.dashboard.launch import run_dashboard

            return run_dashboard(args)
        finally:
            gc.enable()
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"opsdash: {exc}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    except UsageError as exc:
        print(f"opsdash: {exc}", file=sys.stderr)
        return USAGE_EXIT
    except BrokenPipeError:
        # `opsdash runbooks list | head -1`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
