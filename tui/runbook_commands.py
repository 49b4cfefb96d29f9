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
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbooks.execute import StepResult, run_attached, run_command
from runbooks.journal import Journal, default_journal_path
from runbooks.library import Library, RunbookRefError, load_library
from runbooks.lint import lint_library
from runbooks.match import match
from runbooks.model import Command, Section, Step
from runbooks.placeholders import dollar_placeholders, fill_placeholders, missing_placeholders
from runbooks.secrets import mask_secrets, secret_values
from tui.errors import UsageError


@dataclass
class _Context:
    dirs: list[Path] = field(default_factory=list)
    mapping: dict[str, tuple[str, ...]] = field(default_factory=dict)
    journal: Path | None = None
    read_only: bool = False
    dsn: str | None = None


def _context(args: argparse.Namespace) -> _Context:
    ctx = _Context(dirs=[Path(d) for d in getattr(args, "runbook_dirs", None) or []])
    try:
        from tui.config import ConfigError, find_config, load_config
    except ImportError:  # config module unavailable: runbooks work without it
        return ctx
    try:
        path = find_config(getattr(args, "config", None))
        config = load_config(path) if path is not None else None
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    except NotImplementedError:
        config = None
    if config is not None:
        ctx.dirs.extend(Path(d) for d in config.runbook_dirs)
        ctx.mapping = {k: tuple(v) for k, v in config.runbook_map.items()}
        ctx.journal = config.journal
        ctx.read_only = bool(config.read_only)
        for spec in config.panels:
            if spec.kind == "postgres" and spec.options.get("dsn"):
                ctx.dsn = str(spec.options["dsn"])
                break
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
            "interactive": cmd.interactive, "placeholders": list(cmd.placeholders)}


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


def _cmd_lint(library: Library, ctx: _Context) -> int:
    problems = lint_library(library, mapping=ctx.mapping)
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


def _display(name: str, commands: tuple[Command, ...]) -> str:
    if any(name in dollar_placeholders(c.code, c.lang) for c in commands):
        return f"${name}"
    return f"<{name}>"


def _collect_values(step: Step, values: dict[str, str]) -> None:
    """Ask once for each missing placeholder on a terminal; otherwise fail naming them."""
    missing: list[str] = []
    for cmd in step.commands:
        for name in missing_placeholders(cmd.code, values, os.environ, cmd.lang):
            if name not in missing:
                missing.append(name)
    if not missing:
        return
    if not sys.stdin.isatty():
        shown = ", ".join(_display(n, step.commands) for n in missing)
        raise UsageError(f"this step needs a value for {shown}: pass "
                         + " ".join(f"--var {n}=..." for n in missing))
    for name in missing:
        prompt = f"value for {_display(name, step.commands)}: "
        secret = any(w in name.upper() for w in ("PASS", "TOKEN", "SECRET", "KEY"))
        values[name] = getpass.getpass(prompt) if secret else input(prompt)


def _confirm(filled: list[tuple[Command, str]], read_only: bool, yes: bool,
             secrets: list[str]) -> bool:
    """Whether confirmed destructive commands may run; raises UsageError when refused."""
    destructive = [(c, code) for c, code in filled if c.destructive]
    if not destructive:
        return False
    shown = "\n".join(mask_secrets(code, secrets) for _, code in destructive)
    one_line = shown.replace("\n", " ; ")
    if read_only:
        raise UsageError(f"refusing destructive command in --read-only mode: {one_line}")
    if yes:
        return True
    if sys.stdin.isatty():
        print(f"This step is destructive:\n    {shown.replace(chr(10), chr(10) + '    ')}",
              file=sys.stderr)
        if input("Type yes to run it: ").strip().lower() == "yes":
            return True
    raise UsageError(f"refusing destructive command without --yes: {one_line}")


async def _run_filled(filled: list[tuple[Command, str]], *, ctx: _Context, dsn: str | None,
                      allow_write: bool, timeout: float | None, env: dict[str, str],
                      secrets: list[str], tail: list[str]) -> StepResult:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)

    def on_line(stream: str, text: str) -> None:
        masked = mask_secrets(text, secrets)
        tail.append(masked)
        print(masked, flush=True)

    result = StepResult(0, 0.0)
    total = 0.0
    for cmd, code in filled:
        if cmd.interactive:
            print("(interactive: the command gets this terminal)", file=sys.stderr)
            result = await asyncio.to_thread(run_attached, code, env=env)
        else:
            result = await run_command(code, lang=cmd.lang, env=env, timeout=timeout, dsn=dsn,
                                       allow_write=allow_write, on_line=on_line)
        total += result.duration
        if not result.ok:
            break
    return StepResult(result.exit_code, total, result.timed_out, tuple(tail[-40:]))


def _cmd_run(args: argparse.Namespace, library: Library, ctx: _Context) -> int:
    sec = _find(library, args.ref)
    if not 1 <= args.step <= len(sec.steps):
        raise UsageError(f"{sec.ref} has {len(sec.steps)} steps; there is no step {args.step}")
    step = sec.steps[args.step - 1]
    if not step.commands:
        raise UsageError(f"step {args.step} of {sec.ref} has nothing to run; it is a checklist "
                         f"item: {step.text.splitlines()[0] if step.text else ''}")
    values = _parse_vars(args.var)
    _collect_values(step, values)
    secrets = secret_values(values)
    dsn = None
    if any(c.lang == "sql" for c in step.commands):
        dsn = values.get("DATABASE_URL") or os.environ.get("DATABASE_URL") or ctx.dsn
        if not dsn:
            raise UsageError("this step runs SQL: pass --var DATABASE_URL=postgresql://... , "
                             "set DATABASE_URL, or add a [[postgres]] dsn to the config")
        secrets += secret_values({"DATABASE_URL": dsn})
    filled = [(c, fill_placeholders(c.code, values, c.lang)) for c in step.commands]
    read_only = bool(getattr(args, "read_only", False)) or ctx.read_only
    allow_write = _confirm(filled, read_only, args.yes, secrets)
    env = {k: v for k, v in values.items() if k.isupper()}
    journal_path = getattr(args, "journal", None) or ctx.journal or default_journal_path()
    journal = Journal(journal_path, secrets=secrets)
    command_text = "\n".join(code for _, code in filled)
    lang = "sql" if all(c.lang == "sql" for c, _ in filled) else "bash"
    try:
        journal.step_started(sec.ref, args.step, command_text, lang=lang, title=sec.title)
    except OSError as exc:
        raise UsageError(f"cannot write the journal {journal_path}: {exc.strerror}") from exc
    for _, code in filled:
        print(f"$ {mask_secrets(code, secrets)}", file=sys.stderr, flush=True)
    tail: list[str] = []
    try:
        result = asyncio.run(_run_filled(filled, ctx=ctx, dsn=dsn, allow_write=allow_write,
                                         timeout=args.timeout, env=env, secrets=secrets,
                                         tail=tail))
    except (KeyboardInterrupt, asyncio.CancelledError):
        journal.step_output(sec.ref, args.step, tail)
        journal.step_finished(sec.ref, args.step, None, 0.0, cancelled=True)
        print("opsdash: cancelled; the step's processes were stopped", file=sys.stderr)
        return 130
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    journal.step_output(sec.ref, args.step, list(result.tail))
    journal.step_finished(sec.ref, args.step, result.exit_code, result.duration,
                          timed_out=result.timed_out)
    if result.timed_out:
        print(f"opsdash: timed out after {args.timeout:g}s; the step's processes were killed",
              file=sys.stderr)
    elif result.exit_code != 0:
        print(f"opsdash: step {args.step} exited with {result.exit_code}", file=sys.stderr)
    return result.exit_code


def run_runbooks(args: argparse.Namespace) -> int:
    ctx = _context(args)
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
