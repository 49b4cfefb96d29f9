"""`opsdash runbooks list|show|match|lint|run`: the runbook engine on the command line.

Runbook folders are `--runbooks DIR`... then the config's `[runbooks] dirs`, then the
bundled runbooks. The config is optional here; a broken one is a one-line error.
`run` executes one step: destructive commands need `--yes` (or a "yes" typed on a
terminal) and are always refused with `--read-only`; missing placeholders are asked for
on a terminal, otherwise named in the error; every run is journaled and masked.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.masking import mask_secrets
from runbooks.execute import StepResult, run_attached
from runbooks.journal import Journal, default_journal_path
from runbooks.library import Library, RunbookRefError, load_library
from runbooks.lint import lint_library
from runbooks.match import Match, match
from runbooks.model import Command, Problem, Section, Step
from runbooks.safety import Effect
from tui.config.loader import find_config, load_config
from tui.errors import UsageError
from tui.incident.session import RunbookSession, StepError
from tui.incident.steps import StepRefused, StepRun, StepRunner, refusal


@dataclass
class _Context:
    dirs: list[Path] = field(default_factory=list)
    mapping: dict[str, tuple[str, ...]] = field(default_factory=dict)
    journal: Path | None = None
    read_only: bool = False
    dsn: str | None = None
    prometheus_url: str | None = None
    redis: str | None = None
    urls: dict[str, Path] = field(default_factory=dict)


def _context(args: argparse.Namespace) -> _Context:
    ctx = _Context(dirs=[Path(d) for d in getattr(args, "runbook_dirs", None) or []])
    path = find_config(getattr(args, "config", None))
    config = load_config(path) if path is not None else None
    if config is not None:
        ctx.dirs.extend(Path(d) for d in config.runbook_dirs)
        ctx.mapping = {k: tuple(v) for k, v in config.runbook_map.items()}
        ctx.journal = config.journal
        ctx.read_only = bool(config.read_only)
        ctx.dsn = config.postgres_dsn()
        ctx.redis = config.redis_url()
        ctx.prometheus_url = config.prometheus_url()
        ctx.urls = dict(config.runbook_urls)
    return ctx


def _find(library: Library, ref: str) -> Section:
    try:
        return library.find(ref)
    except RunbookRefError as exc:
        raise UsageError(str(exc)) from exc


def _warn_problems(library: Library) -> None:
    for problem in library.all_problems():
        print(f"opsdash: {problem}", file=sys.stderr)


def _summary(sec: Section) -> dict[str, Any]:
    return {"ref": sec.ref, "title": sec.title, "alerts": list(sec.alerts),
            "steps": len(sec.steps), "commands": len(sec.commands)}


def _command_json(cmd: Command) -> dict[str, Any]:
    return {"lang": cmd.lang, "code": cmd.code, "destructive": cmd.destructive,
            "effect": cmd.effect.value, "reason": cmd.classification.reason,
            "interactive": cmd.interactive, "streaming": cmd.streaming,
            "placeholders": list(cmd.placeholders)}


def _step_json(n: int, step: Step) -> dict[str, Any]:
    return {"number": n, "text": step.text, "commands": [_command_json(c) for c in step.commands],
            "checklist": step.checklist, "label": step.label, "heading": step.heading}


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _cmd_list(args: argparse.Namespace, library: Library) -> int:
    _warn_problems(library)
    sections = library.sections
    if args.json:
        _print_json([_summary(s) for s in sections])
        return 0
    if not sections:
        print("No runbook sections found.")
        return 0
    width = min(60, max(len(s.ref) for s in sections))
    current = None
    for sec in sections:
        if sec.file != current:
            current = sec.file
            origin = "bundled" if sec.bundled else str(sec.source or "")
            print(f"\n{sec.file}  ({origin})")
        indent = "  " * max(0, sec.level - 2)
        alerts = f"  [{', '.join(sec.alerts)}]" if sec.alerts else ""
        print(f"  {sec.ref:<{width}}  {indent}{sec.title}{alerts}  "
              f"({len(sec.steps)} steps, {len(sec.commands)} commands)")
    return 0


def _cmd_show(args: argparse.Namespace, library: Library) -> int:
    sec = _find(library, args.ref)
    if args.json:
        data = _summary(sec)
        data.update(severity=sec.severity, duration=sec.duration, parents=list(sec.parents),
                    source=str(sec.source) if sec.source else None, bundled=sec.bundled,
                    steps=[_step_json(n, s) for n, s in enumerate(sec.steps, 1)])
        _print_json(data)
        return 0
    print(f"{sec.title}  ({sec.ref})")
    facts = [f"alerts: {', '.join(sec.alerts)}" if sec.alerts else "",
             f"severity: {sec.severity}" if sec.severity else "",
             f"expected duration: {sec.duration}" if sec.duration else ""]
    if any(facts):
        print("  " + " · ".join(f for f in facts if f))
    group = None
    for n, step in enumerate(sec.steps, 1):
        heading = step.label or step.heading
        if heading != group:
            group = heading
            print(f"\n{heading}")
        box = "[ ] " if step.checklist else ""
        lines = mask_secrets(step.text).split("\n") or [""]
        print(f"  {n:>2}. {box}{lines[0]}")
        for line in lines[1:]:
            print(f"      {line}")
        for cmd in step.commands:
            if cmd.inline:
                continue
            marks = [m for m, on in (("destructive", cmd.destructive),
                                     ("interactive", cmd.interactive)) if on]
            tag = f" ({', '.join(marks)})" if marks else ""
            print(f"      {cmd.lang}{tag}:")
            for line in mask_secrets(cmd.code).split("\n"):
                print(f"        {line}")
        ran = {line for cmd in step.commands for line in cmd.code.splitlines()}
        shown = [line for block in step.blocks for line in block.code.splitlines()
                 if line.strip() and line not in ran]
        if shown:  # output samples, config, PromQL: the author's text, never run
            print("      shown, not run:")
            for line in shown:
                print(f"        {mask_secrets(line)}")
        inline = [c for c in step.commands if c.inline and c.destructive]
        if inline:
            print("      (destructive)")
    if not sec.steps:
        print("\n  (no steps)")
    return 0


def _cmd_match(args: argparse.Namespace, library: Library, ctx: _Context) -> int:
    matches = match(library, args.alert, ctx.mapping)
    if args.json:
        _print_json([{"ref": m.section.ref, "title": m.section.title, "score": m.score,
                      "reason": m.reason} for m in matches])
        return 0
    if not matches:
        print(f"No runbook section matches {args.alert}.")
        return 1
    for m in matches:
        origin = "" if m.section.bundled else "  (yours)"
        print(f"{m.score:5.1f}  {m.section.ref}  {m.section.title}  — {m.reason}{origin}")
    return 0


def _rule_problems(library: Library, ctx: _Context) -> list[Problem]:
    """With a Prometheus configured: its alert rules against the local runbooks."""
    if not ctx.prometheus_url:
        return []
    import httpx

    from runbooks.rules import lint_rules, rules_from_api

    url = ctx.prometheus_url.rstrip("/") + "/api/v1/rules"
    try:
        answer = httpx.get(url, timeout=10.0)
        answer.raise_for_status()
        rules = rules_from_api(answer.json())
    except (httpx.HTTPError, ValueError) as exc:
        return [Problem(ctx.prometheus_url, f"cannot read alert rules: {type(exc).__name__}: "
                                            f"{exc}", severity="warning")]
    return lint_rules(rules, library, mask_secrets(ctx.prometheus_url), ctx.urls)


def _cmd_lint(library: Library, ctx: _Context) -> int:
    problems = lint_library(library, mapping=ctx.mapping) + _rule_problems(library, ctx)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem)
    sections = len(library.sections)
    print(f"{len(library.runbooks)} runbooks, {sections} sections: "
          f"{len(errors)} errors, {len(problems) - len(errors)} warnings")
    return 1 if errors else 0


# -- run ---------------------------------------------------------------------------


def _parse_vars(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().strip("<>{}$")
        if not sep or not name:
            raise UsageError(f"--var expects NAME=VALUE, got {pair!r}")
        values[name] = value
    return values


class TerminalOperator:
    """The step runner's operator on the command line: `--var`, `--yes`, or a terminal."""

    def __init__(self, *, yes: bool, interactive: bool) -> None:
        self.yes = yes
        self.interactive = interactive

    async def ask_value(self, label: str, command: str, *, secret: bool) -> str | None:
        if label == "$REDIS_URL" and not self.interactive:
            raise UsageError("this step runs redis commands: pass --var REDIS_URL=redis://... , "
                             "set REDIS_URL, or add a [[redis]] url to the config")
        if label == "$DATABASE_URL" and not self.interactive:
            raise UsageError("this step runs SQL: pass --var DATABASE_URL=postgresql://... , "
                             "set DATABASE_URL, or add a [[postgres]] dsn to the config")
        if not self.interactive:
            return None
        prompt = f"value for {label}: "
        return await asyncio.to_thread(getpass.getpass if secret else input, prompt)

    async def confirm(self, number: int, command: str, effect: Effect, reason: str) -> bool:
        if self.yes:
            return True
        if not self.interactive:
            return False
        print(f"Step {number} {refusal(effect)} ({reason}):\n    "
              f"{command.replace(chr(10), chr(10) + '    ')}", file=sys.stderr)
        answer = await asyncio.to_thread(input, "Type yes to run it: ")
        return answer.strip().lower() == "yes"

    async def attach(self, code: str, env: Mapping[str, str]) -> StepResult:
        print("(interactive: the command gets this terminal)", file=sys.stderr)
        return await asyncio.to_thread(run_attached, code, env=env)

    def begin(self, number: int, command: str) -> None:
        for line in command.split("\n"):
            print(f"$ {line}", file=sys.stderr, flush=True)

    def output(self, stream: str, text: str) -> None:
        print(text, flush=True)


def _named_missing(session: RunbookSession, index: int) -> None:
    """Without a terminal, name every missing placeholder at once (not one per attempt)."""
    missing = session.missing(index)
    if missing and not sys.stdin.isatty():
        shown = ", ".join(session.placeholder_label(index, n) for n in missing)
        raise UsageError(f"this step needs a value for {shown}: pass "
                         + " ".join(f"--var {n}=..." for n in missing))


async def _run_step(runner: StepRunner, index: int) -> StepRun:
    """The step under signal handlers: SIGTERM, SIGHUP and SIGINT cancel it, which ends its
    process group and journals the end with the signal's name."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

    def interrupted(sig: signal.Signals) -> None:
        runner.session.interrupted_by = sig.name
        if task is not None:
            task.cancel()

    for sig in signals:
        loop.add_signal_handler(sig, interrupted, sig)
    try:
        return await runner.run(index)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _cmd_run(args: argparse.Namespace, library: Library, ctx: _Context) -> int:
    sec = _find(library, args.ref)
    if not 1 <= args.step <= len(sec.steps):
        raise UsageError(f"{sec.ref} has {len(sec.steps)} steps; there is no step {args.step}")
    index = args.step - 1
    step = sec.steps[index]
    if not step.commands:
        raise UsageError(f"step {args.step} of {sec.ref} has nothing to run; it is a checklist "
                         f"item: {step.text.splitlines()[0] if step.text else ''}")
    journal_path = getattr(args, "journal", None) or ctx.journal or default_journal_path()
    read_only = bool(getattr(args, "read_only", False)) or ctx.read_only
    session = RunbookSession([Match(sec, 0.0, "asked for by ref")], read_only=read_only,
                             dsn=ctx.dsn, redis=ctx.redis, journal=Journal(journal_path))
    session.values.update(_parse_vars(args.var))
    operator = TerminalOperator(yes=args.yes, interactive=sys.stdin.isatty())
    runner = StepRunner(session, operator, timeout=args.timeout)
    try:
        runner.check(index)
        _named_missing(session, index)
        run = asyncio.run(_run_step(runner, index))
    except StepRefused as exc:
        one_line = exc.command.replace("\n", " ; ")
        what = ("destructive command" if exc.effect is Effect.DESTRUCTIVE
                else "a command that changes the system")
        if exc.locked:
            raise UsageError(f"refusing {what} in --read-only mode ({exc.reason}): {one_line}"
                             ) from exc
        raise UsageError(f"refusing {what} without --yes ({exc.reason}): {one_line}") from exc
    except StepError as exc:
        raise UsageError(str(exc)) from exc
    except (KeyboardInterrupt, asyncio.CancelledError):
        by = session.interrupted_by
        print(f"opsdash: {by or 'cancelled'}: the step's processes were stopped",
              file=sys.stderr)
        return 128 + signal.Signals[by].value if by else 130
    record = run.record
    if record.timed_out:
        print(f"opsdash: timed out after {args.timeout:g}s; the step's processes were killed",
              file=sys.stderr)
    elif record.exit_code != 0:
        print(f"opsdash: step {args.step} exited with {record.exit_code}", file=sys.stderr)
    return record.exit_code if record.exit_code is not None else 1


def run_runbooks(args: argparse.Namespace) -> int:
    ctx = _context(args)
    for folder in ctx.dirs:
        if not folder.is_dir():
            why = "does not exist" if not folder.exists() else "is not a folder"
            raise UsageError(f"runbook folder {folder} {why}")
    library = load_library(ctx.dirs)
    action = args.runbooks_command
    if action == "list":
        return _cmd_list(args, library)
    if action == "show":
        return _cmd_show(args, library)
    if action == "match":
        return _cmd_match(args, library, ctx)
    if action == "lint":
        return _cmd_lint(library, ctx)
    if action == "run":
        return _cmd_run(args, library, ctx)
    raise UsageError(f"unknown runbooks action {action!r}")
