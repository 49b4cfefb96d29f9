"""Mutation testing (`make mutate`): do the fast tests notice when a module is quietly wrong?

Why this shape (the old one ran mutmut's per-mutant `pytest` subprocess: seconds per
mutant, hours for the ~7,000 mutants of MODULES; this one fits in minutes):

- mutmut 2 (pinned in the `mutate` extra) only *generates* mutants (its Context /
  list_mutations / mutate API); we apply and run them. Its parser (parso) costs ~0.5 s
  per mutant on a 1,500-line module, so each mutant is re-generated from its top-level
  statement alone (the other lines blanked, line numbers kept): same mutant, a fraction
  of the parse.
- One warm worker process per module has imported pytest, the test files and the
  project once (pytest collects once; our plugin takes over the run loop). Each mutant
  runs in an `os.fork()` of that worker: the child puts the mutant in place in memory
  (the mutated source is exec'd into a scratch namespace, then only the mutated
  function's `__code__`/defaults, or the mutated constants, are moved into the real
  module object, so every other module's reference sees the mutant), runs the chosen
  test items in-process and exits 1 on a failure. Nothing is written to disk, so an
  interrupted run cannot leave a mutant in the working tree; the worker itself runs no
  test (so it holds no threads or locks a fork could inherit half-taken).
- Which tests: a baseline run (also in a fork) traces which test items execute which
  lines of the module. A mutant in a function body runs only the items that executed
  its statement; a mutant in a module constant runs the items that executed a line
  reading that constant (or one derived from it); a mutant in a signature, decorator or
  class body runs every item that touched the module. Mutants no test reaches survive
  without a run. Items run cheapest first and stop at the first failure.
- A mutant's child is killed at 3x the baseline time of its items + 5 s (counted as
  killed: a timeout is the tests noticing) and capped at 3 GiB of address space (a mutant
  that allocates in a loop fails fast with MemoryError); it dies with its worker.
- Tests that need a server fixture (PostgreSQL, Docker, Prometheus, Redis) are deselected
  rather than started per mutant; Hypothesis runs at most 20 derandomized examples per
  test, without shrinking (a failure is all a kill needs).
- A jobserver pipe (as GNU make's) holds one slot per core; every baseline and mutant
  child takes one, so both cores stay busy to the end (the last module left runs a
  mutant per core); modules are listed slowest first; each worker's XDG dirs point into a
  throwaway home, so no mutant reads the developer's config or writes their journal.
- A mutant we cannot put in place (e.g. a closure's cells changed) counts as survived and
  is marked in the report, so the score can only err low.

It prints `MODULE: K killed of M (P%), S survived, T s` per module and ends with exactly
`mutation score: NN% (K killed of M)`; survivors' diffs go to `mutants-report.txt` so a
human can judge which are real gaps and which are equivalent.

Usage: `python scripts/mutate.py [MODULE ...] [--sample N] [--seed S]` (default: every
module in MODULES; `--sample N`: N random mutants per module, for a quick check).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import ctypes
import dataclasses
import difflib
import gc
import importlib
import json
import os
import random
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TestMap:
    """The fast test files covering one module; files not written yet are skipped."""

    files: tuple[str, ...]
    keyword: str = ""  # pytest -k expression, for a file that mixes in slow stories


#: module -> its fast tests, the modules where a silent bug costs most (issue #16). Files
#: that do not exist (yet) are skipped, so the map holds before and after they merge.
MODULES: dict[str, TestMap] = {
    # the command classifier and the run gate (runbooks/shell.py is lint's word splitter,
    # not the gate: the classifier reads bash's syntax tree from bashtree); the rule table
    # first: one case per rule, it kills most mutants soonest
    "runbooks/safety.py": TestMap(("tests/test_classifier_rules.py",
                                   "tests/test_command_effects.py",
                                   "tests/test_runbook_safety.py")),
    "runbooks/bashtree.py": TestMap(("tests/test_bashtree.py",
                                     "tests/test_classifier_rules.py",
                                     "tests/test_command_effects.py")),
    # the exact table first (milliseconds a case); the bash/Hypothesis proofs after it
    "runbooks/placeholders.py": TestMap(("tests/test_placeholder_table.py",
                                         "tests/test_runbook_safety.py",
                                         "tests/test_runbook_parser.py",
                                         "tests/test_placeholder_injection.py",
                                         "tests/test_placeholder_properties.py")),
    # not tests/test_corpus.py: its figures test alone takes 10-25 s, per surviving mutant
    "runbooks/match.py": TestMap(("tests/test_match_words.py", "tests/test_runbook_match.py",
                                  "tests/test_runbook_cli.py", "tests/test_match_ranking.py")),
    "tui/config/loader.py": TestMap(("tests/test_config_exact.py", "tests/test_config.py",
                                     "tests/test_config_validation.py")),
    "runbooks/report.py": TestMap(("tests/test_report_exact.py", "tests/test_journal.py",
                                   "tests/test_incident_record.py")),
    "runbooks/incidents.py": TestMap(("tests/test_incidents_reader.py",
                                      "tests/test_incident_record.py", "tests/test_journal.py")),
    # the figures pinned in-process first (a local http.server, a fake clock)
    "panels/traffic.py": TestMap(("tests/test_traffic_maths.py",
                                  "tests/test_traffic_panel.py")),
    # the unit tests on virtual time, not the live-app stories (seconds per mutant)
    "tui/dashboard/scheduler.py": TestMap(("tests/test_scheduler_unit.py",)),
    "panels/promql.py": TestMap(("tests/test_promql_panel.py", "tests/test_traffic_maths.py",
                                 "tests/test_traffic_panel.py")),
    "panels/alerts.py": TestMap(("tests/test_alerts_panel.py", "tests/test_host_panel.py")),
    "tui/incident/record.py": TestMap(("tests/test_incident_record_exact.py",
                                       "tests/test_incident_record.py")),
    "runbooks/journal.py": TestMap(("tests/test_journal_exact.py", "tests/test_journal.py",
                                    "tests/test_incident_record.py")),
    "tui/incident/recovery.py": TestMap(("tests/test_recovery_unit.py",)),
    "panels/figures.py": TestMap(("tests/test_figures_format.py",
                                  "tests/test_incident_record.py")),
    "common/durations.py": TestMap(("tests/test_common.py", "tests/test_figures_format.py",
                                    "tests/test_journal.py")),
}

#: fixtures from these modules start a real server: their tests never run per mutant
SERVER_FIXTURE_MODULES = ("tests.fixtures.postgres", "tests.fixtures.docker",
                          "tests.fixtures.prometheus", "tests.fixtures.redis")
SERVER_MARKERS = ("docker", "e2e")
#: Hypothesis examples per test under mutation (the suite's own settings ask for up to 400)
HYPOTHESIS_EXAMPLES = 20
#: address space of a mutant's child: a mutant that loops while allocating fails fast
CHILD_MEMORY_BYTES = 3 * 2**30
_PR_SET_PDEATHSIG = 1
#: child exit codes
SURVIVED, KILLED, NOT_APPLIED = 0, 1, 3


# --- generating mutants --------------------------------------------------------------


@dataclass
class Mutant:
    line: int  # 1-based
    source: str  # the whole mutated module
    diff: str = ""


class _Recorder:
    """A mutmut Context that notes each mutation instead of applying it.

    mutmut's own `mutate` parses the whole module once per mutant (parso: ~0.5 s on a
    1,500-line module); noting every mutation in one walk and applying each alone to the
    same tree gives the same mutants from one parse.
    """

    def __new__(cls, source: str, filename: str) -> Any:
        import mutmut

        class Recorder(mutmut.Context):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__(source=source, filename=filename)
                self.found: list[tuple[Any, str, Any, int]] = []

            def should_mutate(self, node: Any) -> bool:
                caller = sys._getframe(1).f_locals  # mutate_node's `key` and `new`
                self.found.append((node, caller["key"], caller["new"],
                                   self.current_line_index + 1))
                return False

        return Recorder()


def _diff(path: Path, old: list[str], new: list[str]) -> str:
    """The changed lines with one line of context (mutants change lines in place)."""
    if len(old) != len(new):
        return "".join(difflib.unified_diff([f"{x}\n" for x in old], [f"{x}\n" for x in new],
                                            fromfile=str(path), tofile=str(path), n=1))
    changed = [n for n, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if not changed:
        return ""
    first, last = max(0, changed[0] - 1), min(len(old), changed[-1] + 2)
    body = [f" {old[n]}" if n not in changed else f"-{old[n]}\n+{new[n]}"
            for n in range(first, last)]
    return f"--- {path}:{changed[0] + 1}\n" + "\n".join(body) + "\n"


def generate_mutants(path: Path) -> list[Mutant]:
    """Every mutmut mutant of `path` (mutmut's ids and order), from one parse."""
    import parso
    from mutmut import mutate_list_of_nodes

    source = path.read_text()
    context = _Recorder(source, str(path))
    tree = parso.parse(context.source, error_recovery=False)
    mutate_list_of_nodes(tree, context=context)
    text: str = context.source
    lines = source.split("\n")
    starts = [0]
    for line_text in text.split("\n"):
        starts.append(starts[-1] + len(line_text) + 1)
    mutants = []
    for node, key, new, line in context.found:
        top = node
        while top.parent is not None and top.parent is not tree:
            top = top.parent
        begin = starts[top.start_pos[0] - 1] + top.start_pos[1]
        end = starts[top.end_pos[0] - 1] + top.end_pos[1]
        old = getattr(node, key)
        setattr(node, key, new)
        try:  # only the top-level statement is re-rendered: cheaper than the whole tree
            code = top.get_code(include_prefix=False).replace(" not not ", " ")
        finally:
            setattr(node, key, old)
        mutated = text[:begin] + code + text[end:]
        if context.remove_newline_at_end:
            mutated = mutated[:-1]
        if mutated == source:
            continue  # mutmut refuses these too
        mutants.append(Mutant(line, mutated, _diff(path, lines, mutated.split("\n"))))
    return mutants


# --- where a line sits: what to swap, which tests to run --------------------------------


@dataclass
class Site:
    """What a mutant on one line changes, and the lines whose tests can notice it.

    kind: "function" (swap the code of the function at `path`), "constant" (rebind the
    module names in `names`), "class" (rebind class attributes `names` of the class at
    `path`), "replace" (rebind the whole object at `path`). `cover`: lines whose tests to
    run; None = every test that touched the module.
    """

    kind: str
    path: tuple[str, ...]
    names: tuple[str, ...] = ()
    cover: frozenset[int] | None = None
    #: (first, last) lines of the top-level statements to re-run for it
    statements: tuple[tuple[int, int], ...] = ()


def _span(node: ast.stmt) -> tuple[int, int]:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return first, node.end_lineno or node.lineno


def _assigned(node: ast.stmt) -> set[str]:
    """Names a module- or class-level statement binds."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(sub.name)
    return names


def _loaded(node: ast.AST) -> set[str]:
    return {sub.id for sub in ast.walk(node)
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)}


def _statement_lines(node: ast.stmt, line: int) -> frozenset[int]:
    """The innermost statement around `line`: its header (or whole simple statement)."""
    best: ast.stmt = node
    for sub in ast.walk(node):
        if isinstance(sub, ast.stmt):
            first, last = _span(sub)
            if first <= line <= last and last - first <= _span(best)[1] - _span(best)[0]:
                best = sub
    first, last = _span(best)
    body = getattr(best, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        last = max(first, body[0].lineno - 1)
    return frozenset({line, *range(first, last + 1)})


class ModuleMap:
    """The module's syntax, read once: turns a mutated line into a Site."""

    def __init__(self, source: str) -> None:
        self.tree = ast.parse(source)
        self.functions: list[tuple[tuple[str, ...], ast.FunctionDef | ast.AsyncFunctionDef]] = []
        self._collect(self.tree.body, ())
        # module-level name -> lines inside functions that read it
        self.readers: dict[str, set[int]] = {}
        for _, fn in self.functions:
            for stmt in fn.body:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                        self.readers.setdefault(sub.id, set()).add(sub.lineno)

    def _collect(self, body: list[ast.stmt], path: tuple[str, ...]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.append(((*path, node.name), node))
            elif isinstance(node, ast.ClassDef):
                self._collect(node.body, (*path, node.name))

    def site(self, line: int) -> Site:
        found = self._site(self.tree.body, (), line)
        if not found.statements:
            top = [_span(n) for n in self.tree.body if _span(n)[0] <= line <= _span(n)[1]]
            found.statements = tuple(top[:1])
        return found

    def _site(self, body: list[ast.stmt], path: tuple[str, ...], line: int) -> Site:
        for index, node in enumerate(body):
            first, last = _span(node)
            if not first <= line <= last:
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body_first = node.body[0].lineno
                if line >= body_first:
                    cover = _statement_lines(node, line)
                else:  # signature or decorator: matters wherever the function runs
                    cover = frozenset(range(body_first, last + 1))
                return Site("function", (*path, node.name), cover=cover)
            if isinstance(node, ast.ClassDef):
                inner = [n for n in node.body if _span(n)[0] <= line <= _span(n)[1]]
                if line < node.body[0].lineno or not inner:
                    return Site("replace", (*path, node.name))
                if isinstance(inner[0], ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    return self._site(node.body, (*path, node.name), line)
                return Site("class", (*path, node.name), tuple(sorted(_assigned(inner[0]))))
            if path:  # a statement in a class body (handled above); defensive
                return Site("replace", path)
            # a module-level statement: its names, and the later constants built from them
            names = _assigned(node)
            spans = [_span(node)]
            for later in body[index + 1:]:
                if not isinstance(later, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                                  ) and _loaded(later) & names:
                    names |= _assigned(later)
                    spans.append(_span(later))
            lines = {n for name in names for n in self.readers.get(name, ())}
            return Site("constant", (), tuple(sorted(names)),
                        frozenset(lines) if lines else None, tuple(spans))
        return Site("replace", path)


# --- putting a mutant in place ----------------------------------------------------------


def _raw_functions(obj: Any) -> list[types.FunctionType]:
    """The plain functions behind a module or class attribute (decorators unwrapped)."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if isinstance(obj, property):
        return [f for f in (obj.fget, obj.fset, obj.fdel) if isinstance(f, types.FunctionType)]
    while hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__
    return [obj] if isinstance(obj, types.FunctionType) else []


def _lookup(root: Any, path: tuple[str, ...]) -> Any:
    obj = root
    for name in path:
        obj = obj[name] if isinstance(obj, dict) else obj.__dict__[name]
    return obj


def _rebind(module: types.ModuleType, name: str, new: Any) -> None:
    """Give `module.name` the mutant's value, where every importer of it sees it."""
    old = module.__dict__.get(name)
    if type(old) is type(new) and type(new) in (dict, list, set):
        if isinstance(old, dict):
            old.clear()
            old.update(new)
        elif isinstance(old, list):
            old[:] = new
        else:
            old.clear()
            old.update(new)
        return
    module.__dict__[name] = new
    for other in list(sys.modules.values()):  # `from module import NAME` elsewhere
        namespace = getattr(other, "__dict__", None)
        if other is not module and isinstance(namespace, dict) and namespace.get(name) is old:
            namespace[name] = new


def _swap(old: Any, new: Any) -> bool:
    """Move the mutant's code into the live function object(s); False if it cannot."""
    olds, news = _raw_functions(old), _raw_functions(new)
    if not olds or len(olds) != len(news):
        return False
    for o, n in zip(olds, news, strict=True):
        try:
            o.__code__ = n.__code__
        except ValueError:  # a closure whose free variables changed
            return False
        o.__defaults__ = n.__defaults__
        o.__kwdefaults__ = n.__kwdefaults__
    clear = getattr(old, "cache_clear", None)
    if callable(clear):
        clear()
    return True


def apply_mutant(module: types.ModuleType, source: str, site: Site) -> bool:
    """Put the mutant into `module` in memory; False if we cannot (counted survived)."""
    filename = module.__file__ or "<mutant>"
    lines = source.split("\n")
    if site.statements and len(lines) == len(Path(filename).read_text().split("\n")):
        # only the statements the mutant is in (line numbers kept), over a copy of the
        # module's names: compiling all of a 1,500-line module costs ~0.1 s per mutant
        scratch = dict(module.__dict__)
        for first, last in site.statements:
            piece = "\n" * (first - 1) + "\n".join(lines[first - 1:last]) + "\n"
            exec(compile(piece, filename, "exec"), scratch)
    else:
        scratch = {"__name__": module.__name__, "__file__": module.__file__,
                   "__package__": module.__package__, "__builtins__": builtins}
        exec(compile(source, filename, "exec"), scratch)
    if site.kind == "function":
        old, new = _lookup(module.__dict__, site.path), _lookup(scratch, site.path)
        # a decorator added or dropped (`@property`) changes the object, not the code
        if type(old) is type(new) and _swap(old, new):
            return True
        site = Site("replace", site.path)
    if site.kind == "class" and dataclasses.is_dataclass(_lookup(module.__dict__, site.path)):
        # a field's default lives in the generated __init__ (a default_factory in its
        # closure): only a new class carries it
        site = Site("replace", site.path)
    if site.kind == "constant":
        for name in site.names:
            if name in scratch:
                _rebind(module, name, scratch[name])
        return True
    if site.kind == "class":
        old_cls, new_cls = _lookup(module.__dict__, site.path), _lookup(scratch, site.path)
        try:
            for name in site.names:
                setattr(old_cls, name, new_cls.__dict__[name])
            fields = getattr(old_cls, "__dataclass_fields__", None)
            if fields:  # a field default lives in the generated methods too
                for name, value in vars(new_cls).items():
                    fns = _raw_functions(value)
                    if fns and fns[0].__code__.co_filename != module.__file__:
                        _swap(old_cls.__dict__[name], value)
                for name in site.names:
                    if name in fields:
                        fields[name].default = new_cls.__dataclass_fields__[name].default
            return True
        except (AttributeError, KeyError, TypeError):  # e.g. an Enum member
            site = Site("replace", site.path)
    if site.kind == "replace":
        if len(site.path) == 1:
            _rebind(module, site.path[0], scratch[site.path[0]])
            return True
        parent = _lookup(module.__dict__, site.path[:-1])
        try:
            setattr(parent, site.path[-1], _lookup(scratch, site.path))
        except (AttributeError, TypeError):
            return False
        return True
    return False


# --- the worker: one module, warm, forking per mutant -----------------------------------


def _place(site: Site) -> tuple[Any, ...]:
    """Where a mutant sits, for remembering which tests killed mutants there."""
    return (site.kind, site.path, site.names)


def _cap_hypothesis(items: Iterable[Any]) -> None:
    """At most HYPOTHESIS_EXAMPLES derandomized examples, no shrinking, no database."""
    try:
        from hypothesis import HealthCheck, Phase, settings
    except ImportError:
        return
    options: dict[str, Any] = {"derandomize": True, "database": None, "deadline": None,
                               "phases": (Phase.explicit, Phase.reuse, Phase.generate),
                               "suppress_health_check": list(HealthCheck)}
    settings.register_profile("mutate", max_examples=HYPOTHESIS_EXAMPLES, **options)
    settings.load_profile("mutate")
    for item in items:
        fn = getattr(item, "function", None)
        own = getattr(fn, "_hypothesis_internal_use_settings", None)
        if own is not None:
            fn._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
                parent=own, max_examples=min(own.max_examples, HYPOTHESIS_EXAMPLES),
                **options)


def _uses_server(item: Any) -> bool:
    if any(item.get_closest_marker(m) for m in SERVER_MARKERS):
        return True
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        for fixturedef in defs:
            if getattr(fixturedef.func, "__module__", "") in SERVER_FIXTURE_MODULES:
                return True
    return False


def _spawn(child: Callable[[], int]) -> tuple[int, int]:
    """Start `child` in a fork of this warm process: (pid, pidfd)."""
    pid = os.fork()
    if pid == 0:
        code = KILLED
        try:
            os.setpgid(0, 0)
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = child()
        except BaseException:  # anything the tests raise out is a failure
            code = KILLED
        finally:
            os._exit(code)
    return pid, os.pidfd_open(pid)


def _reap(pid: int, pidfd: int, kill: bool) -> int:
    """The exit code of a child from _spawn, killing its process group first if asked."""
    try:
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(pidfd)
    return os.waitstatus_to_exitcode(status)


def _fork(child: Callable[[], int], timeout: float | None) -> tuple[int, bool]:
    """Run `child` in a fork of this warm process: (exit code, timed out)."""
    pid, pidfd = _spawn(child)
    ready, _, _ = select.select([pidfd], [], [], timeout)
    return _reap(pid, pidfd, kill=not ready), not ready


class Tokens:
    """CPU slots shared by every worker of a run, as GNU make's jobserver shares them.

    The driver fills a pipe with one byte per core; a worker takes a byte before it runs
    a child (the baseline or a mutant) and puts it back when the child ends. So the
    cores stay busy to the end: while several modules run each gets a slot, and the last
    (largest) module runs a child per core instead of one while the other core idles.
    Without a pipe (a worker run by hand) there is one slot.
    """

    def __init__(self, fds: tuple[int, int] | None) -> None:
        self.fds = fds
        self.held = 0
        self._free = 1  # the slot count when there is no pipe

    @property
    def fd(self) -> int | None:
        return self.fds[0] if self.fds else None

    def try_take(self) -> bool:
        if self.fds is None:
            if self._free:
                self._free -= 1
                self.held += 1
                return True
            return False
        try:
            got = os.read(self.fds[0], 1)
        except BlockingIOError:  # another worker took it first
            return False
        if not got:
            raise RuntimeError("the jobserver pipe closed")
        self.held += 1
        return True

    def take(self) -> None:
        """Block until a slot is free."""
        while not self.try_take():
            if self.fd is None:
                raise RuntimeError("no slot will come back: none is held by another")
            select.select([self.fd], [], [])

    def give(self) -> None:
        self.held -= 1
        if self.fds is None:
            self._free += 1
        else:
            os.write(self.fds[1], b"+")

    def give_all(self) -> None:
        while self.held:
            self.give()


def _no_traceback(*args: Any, **kwargs: Any) -> str:
    return "failed"


def _run_items(items: list[Any], failed: Callable[[int], None] = lambda index: None) -> int:
    """Run test items in this (forked) process; KILLED at the first failure, whose
    position goes to `failed`."""
    from _pytest.runner import runtestprotocol

    for item in items:  # a kill needs no traceback; rendering one costs ~0.3 s
        item.repr_failure = item._repr_failure_py = _no_traceback
    for index, item in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        if any(report.failed for report in runtestprotocol(item, nextitem=following,
                                                           log=False)):
            failed(index)
            return KILLED
    return SURVIVED


@dataclass
class Result:
    module: str
    killed: int = 0
    total: int = 0
    timeouts: int = 0
    uncovered: int = 0
    survivors: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


class MutationPlugin:
    """Takes over pytest's run loop once the module's tests are collected."""

    def __init__(self, module: str, sample: int, seed: int, out: Path,
                 tokens: Tokens | None = None, parallel: int = 1) -> None:
        self.module, self.sample, self.seed, self.out = module, sample, seed, out
        self.result = Result(module)
        self.tokens = tokens or Tokens(None)
        self.parallel = max(1, parallel)  # mutant children at once, slots permitting
        #: where a mutant sits (_place) -> the items that killed mutants there, latest first
        self._killers: dict[tuple[Any, ...], list[int]] = {}

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        keep = [item for item in items if not _uses_server(item)]
        dropped = [item for item in items if _uses_server(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    def pytest_runtestloop(self, session: Any) -> bool:
        started = time.monotonic()
        try:
            self._run(list(session.items))
        except Exception as exc:  # reported, the other modules go on
            self.result.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.tokens.give_all()
        self.result.seconds = time.monotonic() - started
        self.out.write_text(json.dumps(asdict(self.result)))
        return True

    def _baseline(self, items: list[Any], filename: str, scratch: Path) -> dict[str, Any]:
        """Run every item once, unmutated, tracing which lines of the module each runs."""
        def child() -> int:
            import threading

            covered: list[list[int]] = []
            durations: list[float] = []
            failures: list[str] = []
            current: set[int] = set()

            def local(frame: Any, event: str, arg: Any) -> Any:
                if event == "line":
                    current.add(frame.f_lineno)
                return local

            def start(frame: Any, event: str, arg: Any) -> Any:
                return local if frame.f_code.co_filename == filename else None

            from _pytest.runner import runtestprotocol

            for index, item in enumerate(items):
                current.clear()
                threading.settrace(start)
                sys.settrace(start)
                began = time.perf_counter()
                following = items[index + 1] if index + 1 < len(items) else None
                reports = runtestprotocol(item, nextitem=following, log=False)
                durations.append(time.perf_counter() - began)
                sys.settrace(None)
                threading.settrace(None)  # type: ignore[arg-type]
                covered.append(sorted(current))
                if any(r.failed for r in reports):
                    # tracing slows a Textual pilot several-fold: a story that waits for
                    # the screen may miss it; it must pass once more, untraced, alone
                    again = runtestprotocol(item, nextitem=None, log=False)
                    failures += [f"{item.nodeid}\n{r.longreprtext[-1500:]}"
                                 for r in again if r.failed]
            scratch.write_text(json.dumps({"covered": covered, "durations": durations,
                                           "failures": failures}))
            return SURVIVED

        self.tokens.take()
        try:
            code, _ = _fork(child, None)
        finally:
            self.tokens.give()
        if code != SURVIVED or not scratch.exists():
            raise RuntimeError(f"the baseline run died (exit {code})")
        data: dict[str, Any] = json.loads(scratch.read_text())
        return data

    def _run(self, items: list[Any]) -> None:
        name = self.module.removesuffix(".py").replace("/", ".")
        module = importlib.import_module(name)
        filename = str(module.__file__)
        _cap_hypothesis(items)
        scratch = self.out.with_suffix(".baseline.json")
        base = self._baseline(items, filename, scratch)
        if base["failures"]:
            self.result.error = "tests fail without mutations:\n" + "\n".join(base["failures"])
            return
        source = Path(filename).read_text()
        mutants = generate_mutants(Path(filename))
        if self.sample and self.sample < len(mutants):
            mutants = random.Random(self.seed).sample(mutants, self.sample)
        lines_map = ModuleMap(source)
        tests_of_line: dict[int, set[int]] = {}
        for index, lines in enumerate(base["covered"]):
            for line in lines:
                tests_of_line.setdefault(line, set()).add(index)
        touching = {i for i, lines in enumerate(base["covered"]) if lines}
        durations: list[float] = base["durations"]
        file_text: dict[str, str] = {}

        def naming(names: tuple[str, ...]) -> set[int]:
            """Items in test files that name one of `names` themselves: a test reading a
            constant (DEFAULT_RULES) runs no line of the module that reads it."""
            words = [re.compile(rf"\b{re.escape(name)}\b") for name in names]
            found = set()
            for i, item in enumerate(items):
                path = str(item.path)
                text = file_text.get(path)
                if text is None:
                    text = file_text[path] = Path(path).read_text()
                if any(word.search(text) for word in words):
                    found.add(i)
            return found

        jobs: list[tuple[Mutant, Site, list[int], float]] = []
        for mutant in mutants:
            site = lines_map.site(mutant.line)
            if site.cover is None:
                chosen = touching
            else:
                chosen = set().union(*(tests_of_line.get(n, set()) for n in site.cover))
            if site.kind == "constant":
                chosen |= naming(site.names)
            self.result.total += 1
            if not chosen:
                self.result.uncovered += 1
                self.result.survivors.append(f"(no test runs this line)\n{mutant.diff}")
                continue
            order = sorted(chosen, key=lambda i: (durations[i], i))
            budget = 3 * sum(durations[i] for i in order) + 5
            jobs.append((mutant, site, order, budget))
        # the worker's heap out of the collector's reach: a collection in a child would
        # touch every object and copy the whole heap page by page (copy-on-write)
        gc.collect()
        gc.freeze()
        self._run_mutants(module, items, jobs)

    def _run_mutants(self, module: types.ModuleType, items: list[Any],
                     jobs: list[tuple[Mutant, Site, list[int], float]]) -> None:
        """Each mutant in its own child, as many at once as free slots allow.

        Items run cheapest first, except that the items which killed an earlier mutant
        at the same place (function, constant, class) go first, latest killer first: the
        mutants of one function mostly die by the same tests, and a killer found 285
        items down the list cost 6-7 s a mutant where it now costs one item."""
        pending = list(reversed(range(len(jobs))))
        running: dict[int, tuple[int, int, float, int, list[int]]] = {}
        outcome: dict[int, tuple[int, bool]] = {}
        while pending or running:
            can_start = bool(pending) and len(running) < self.parallel
            if not (can_start and self.tokens.try_take()):
                # wait for a child to end, a child's time to run out, or a free slot
                wait = list(running)
                if can_start and self.tokens.fd is not None:
                    wait.append(self.tokens.fd)
                deadline = min((entry[2] + jobs[entry[1]][3] for entry in running.values()),
                               default=None)
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select(wait, [], [], timeout)
                self._finish(jobs, running, outcome, [fd for fd in ready if fd in running])
                continue
            index = pending.pop()
            mutant, site, cheapest, _ = jobs[index]
            covering = set(cheapest)
            known = [i for i in self._killers.get(_place(site), ()) if i in covering]
            first = set(known)
            order = known + [i for i in cheapest if i not in first]
            run = [items[i] for i in order]
            report_r, report_w = os.pipe()

            def child(mutant: Mutant = mutant, site: Site = site,
                      run: list[Any] = run, sink: int = report_w) -> int:
                try:
                    if not apply_mutant(module, mutant.source, site):
                        return NOT_APPLIED
                except Exception:  # the mutated module fails to import
                    return KILLED
                return _run_items(run, lambda at: os.write(sink, str(at).encode()) and None)

            try:
                pid, pidfd = _spawn(child)
            except BaseException:
                self.tokens.give()
                raise
            finally:
                os.close(report_w)
            running[pidfd] = (pid, index, time.monotonic(), report_r, order)
        for index in range(len(jobs)):
            code, timed_out = outcome[index]
            diff = jobs[index][0].diff
            if timed_out:
                self.result.timeouts += 1
                self.result.killed += 1
            elif code == SURVIVED:
                self.result.survivors.append(diff)
            elif code == NOT_APPLIED:
                self.result.survivors.append(f"(could not be put in place)\n{diff}")
            else:
                self.result.killed += 1

    def _finish(self, jobs: list[tuple[Mutant, Site, list[int], float]],
                running: dict[int, tuple[int, int, float, int, list[int]]],
                outcome: dict[int, tuple[int, bool]], ready: list[int]) -> None:
        """Reap the children that ended, and those past their time (killed: a timeout
        is the tests noticing); their slots go back."""
        now = time.monotonic()
        for pidfd, (pid, index, began, report, order) in list(running.items()):
            late = now >= began + jobs[index][3]
            if pidfd not in ready and not late:
                continue
            del running[pidfd]
            code = _reap(pid, pidfd, kill=pidfd not in ready)
            self.tokens.give()
            outcome[index] = (code, pidfd not in ready)
            with os.fdopen(report, "rb") as got:
                text = got.read().decode() if code == KILLED else ""
            if text.isdigit() and int(text) < len(order):
                killer = order[int(text)]
                place = self._killers.setdefault(_place(jobs[index][1]), [])
                if killer in place:
                    place.remove(killer)
                place.insert(0, killer)
            if os.environ.get("MUTATE_TRACE"):  # a file: one line per mutant, for tuning
                mutant, site, run, budget = jobs[index]
                with open(os.environ["MUTATE_TRACE"], "a") as trace:
                    trace.write(f"{self.module}:{mutant.line} {site.kind} items={len(run)} "
                                f"killer_at={text or '-'} "
                                f"code={code} {now - began:.2f}s budget={budget:.1f}\n")


def run_worker(module: str, tests: TestMap, root: Path, sample: int, seed: int,
               out: Path, jobserver: tuple[int, int] | None = None, parallel: int = 1) -> int:
    """`--worker MODULE`: collect the module's tests once, then mutate in forks."""
    import pytest

    sys.path.insert(0, str(root))
    files = [f for f in tests.files if (root / f).exists()]
    plugin = MutationPlugin(module, sample, seed, out, Tokens(jobserver), parallel)
    args = [*files, "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-W", "ignore::pytest.PytestUnraisableExceptionWarning"]
    if tests.keyword:
        args += ["-k", tests.keyword]
    code = pytest.main(args, plugins=[plugin])
    if not out.exists():
        out.write_text(json.dumps(asdict(Result(module, error=f"pytest exited {code} "
                                                               "before the run"))))
    return 0


# --- the driver -------------------------------------------------------------------------


def _run_module(module: str, tests: TestMap, root: Path, sample: int, seed: int,
                workdir: Path, jobserver: tuple[int, int], jobs: int) -> Result:
    """One worker process for `module`, in a throwaway home; its Result."""
    slug = module.replace("/", "_")
    home = workdir / f"home-{slug}"
    env = {**os.environ, **{f"XDG_{d.upper()}_HOME": str(home / d)
                            for d in ("config", "state", "cache", "data")},
           "PYTHONDONTWRITEBYTECODE": "1"}
    out = workdir / f"{slug}.json"
    log = workdir / f"{slug}.log"
    with log.open("w") as sink:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", module,
                        "--out", str(out), "--sample", str(sample), "--seed", str(seed),
                        "--root", str(root), *(f"--tests={f}" for f in tests.files),
                        *([f"--keyword={tests.keyword}"] if tests.keyword else []),
                        f"--jobserver={jobserver[0]},{jobserver[1]}", f"--parallel={jobs}"],
                       cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False,
                       pass_fds=jobserver)
    if not out.exists():
        return Result(module, error=f"the worker died:\n{log.read_text()[-3000:]}")
    return Result(**json.loads(out.read_text()))


def _summary(result: Result) -> str:
    if result.error:
        return f"{result.module}: ERROR {result.error}"
    pct = 100 * result.killed / result.total if result.total else 100.0
    return (f"{result.module}: {result.killed} killed of {result.total} ({pct:.0f}%), "
            f"{len(result.survivors)} survived, {result.seconds:.0f} s")


def _each(chosen: dict[str, TestMap], root: Path, jobs: int, sample: int, seed: int,
          workdir: Path) -> Iterator[Result]:
    """Every module's Result as it ends. One more worker than slots is alive at a time
    (one is usually collecting its tests, which takes no slot); MODULES lists the
    largest first, so the last one left runs `jobs` mutants at once to the end."""
    jobs = max(1, jobs)
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.write(write, b"+" * jobs)
    try:
        with ThreadPoolExecutor(max_workers=jobs + 1) as pool:
            futures = [pool.submit(_run_module, m, tests, root, sample, seed, workdir,
                                   (read, write), jobs)
                       for m, tests in chosen.items()]
            for future in as_completed(futures):
                yield future.result()
    finally:
        os.close(read)
        os.close(write)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="mutants run at once (default: one per core)")
    parser.add_argument("--sample", type=int, default=0,
                        help="only N random mutants per module (a quick check)")
    parser.add_argument("--seed", type=int, default=16, help="the sample's random seed")
    parser.add_argument("--report", help="survivors' diffs (default: ROOT/mutants-report.txt)")
    parser.add_argument("--root", default=str(ROOT),
                        help="the tree the module paths are in (default: this checkout)")
    parser.add_argument("--tests", action="append", default=[], metavar="FILE",
                        help="test files for the given modules, instead of MODULES' map")
    parser.add_argument("--keyword", default="", help=argparse.SUPPRESS)
    parser.add_argument("--worker", metavar="MODULE", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--jobserver", help=argparse.SUPPRESS)
    parser.add_argument("--parallel", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if args.worker:
        fds = tuple(int(fd) for fd in args.jobserver.split(",")) if args.jobserver else None
        return run_worker(args.worker, TestMap(tuple(args.tests), args.keyword), root,
                          args.sample, args.seed, Path(args.out),
                          (fds[0], fds[1]) if fds else None, args.parallel)
    if args.tests:
        chosen = {m: TestMap(tuple(args.tests)) for m in args.modules}
    else:
        unknown = [m for m in args.modules if m not in MODULES]
        if unknown:
            parser.error(f"no test map for {', '.join(unknown)}: add it to MODULES")
        chosen = {m: MODULES[m] for m in args.modules or MODULES}
    outcomes: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="opsdash-mutate-") as tmp:
        for result in _each(chosen, root, args.jobs, args.sample, args.seed, Path(tmp)):
            print(_summary(result), flush=True)
            outcomes.append(result)
    lines = [f"--- {o.module}\n{s}" for o in outcomes for s in o.survivors]
    report = Path(args.report or root / "mutants-report.txt")
    report.write_text("\n".join(lines) or "no survivors\n")
    if lines:
        print(f"survivors' diffs: {report}")
    killed = sum(o.killed for o in outcomes if not o.error)
    total = sum(o.total for o in outcomes if not o.error)
    score = 100 * killed / total if total else 0.0
    print(f"mutation score: {score:.0f}% ({killed} killed of {total})")
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
