"""Mutation testing (`make mutate`): do the fast tests notice when a module is quietly wrong?

Why this shape:

- mutmut 2 (pinned in the `mutate` extra) rather than mutmut 3: mutmut 2 takes the module
  and the test command on the command line (`--paths-to-mutate`, `--runner`), so each
  module runs only the tests that cover it (`MODULES` below). mutmut 3 picks tests by
  tracing one whole-suite run, which here starts PostgreSQL, dockerd and Prometheus.
- mutmut 2 rewrites the source file in place, so every module is mutated in its own
  throwaway copy of the tree (under the system temp dir), never in the working tree: an
  interrupted run cannot leave a mutant behind for `git commit` to pick up. `python -m
  pytest` run inside the copy imports the copy (the current directory comes first on
  sys.path; the editable install's finder comes after it).
- Modules run two at a time (the machines have 2 cores); each mutant's tests run with
  `-x` so a kill stops at the first failing test.

It ends by printing exactly `mutation score: NN% (K killed of M)`; the survivors'
diffs are written to `mutants-report.txt` (one `mutmut show` per survivor) so a human
can judge which are real gaps and which are equivalent.

Usage: `python scripts/mutate.py [MODULE ...]` (default: every module in MODULES).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

@dataclass(frozen=True)
class TestMap:
    """The tests one module's mutants run, cheapest first.

    `unit`: files that need no fixture from tests/conftest.py; they run with
    `--noconftest` (no server fixtures imported: about a second less per mutant) and kill
    most mutants. `stories`: pytest arguments for tests that need the real-server
    fixtures; they run only for a mutant the unit files let through.
    """

    unit: tuple[str, ...]
    stories: tuple[str, ...] = ()


#: module -> the fast tests that cover it. Extend here, one entry per module: the ones
#: where a silent bug costs most come first. Next: tui/config.py (tests/test_config.py)
#: and tui/scheduler.py (its unit tests), once their tests run without a dashboard.
MODULES: dict[str, TestMap] = {
    "runbooks/safety.py": TestMap(("tests/test_command_effects.py",
                                   "tests/test_runbook_safety.py")),
    "runbooks/placeholders.py": TestMap(("tests/test_runbook_safety.py",
                                         "tests/test_placeholder_properties.py",
                                         "tests/test_runbook_parser.py",
                                         "tests/test_placeholder_injection.py", "-k",
                                         "not postgres")),
    "runbooks/match.py": TestMap(("tests/test_match_ranking.py", "tests/test_runbook_match.py",
                                  "tests/test_runbook_cli.py", "tests/test_corpus.py")),
    # the arithmetic cases, then the scrape stories (not the ones that start Prometheus)
    "panels/promql.py": TestMap(("tests/test_promql_panel.py",),
                                ("tests/test_traffic_panel.py", "-k",
                                 "not p95_is_the_one and not promql_mode "
                                 "and not query_prometheus and not bad_window")),
    "panels/alerts.py": TestMap(("tests/test_alerts_panel.py", "tests/test_host_panel.py",
                                 "-k", "not core_kept_busy")),
    "runbooks/journal.py": TestMap(("tests/test_journal.py",)),
    "runbooks/report.py": TestMap(("tests/test_journal.py",)),
    "runbooks/incidents.py": TestMap(("tests/test_incident_record.py", "-k",
                                      "not no_pane_open")),
    "tui/incident/record.py": TestMap(("tests/test_incident_record.py", "-k",
                                       "not no_pane_open")),
    "panels/figures.py": TestMap(("tests/test_figures_format.py",
                                  "tests/test_incident_record.py", "-k", "not no_pane_open")),
    "common/durations.py": TestMap(("tests/test_figures_format.py", "tests/test_common.py")),
}

#: mutmut statuses that count as a kill: the tests failed, or ran past the time limit
KILLED = ("ok_killed", "ok_suspicious", "bad_timeout")
SURVIVED = ("bad_survived",)


@dataclass
class Outcome:
    module: str
    killed: int = 0
    total: int = 0
    survivors: list[str] = field(default_factory=list)  # `mutmut show` of each
    error: str = ""
    seconds: float = 0.0


def _copy_tree(dest: Path) -> None:
    """The working tree as it is now (tracked and new files), without .venv and caches."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


#: plugins none of the mapped tests use; loading them costs about a second per mutant
UNUSED_PLUGINS = ("hypothesispytest", "syrupy", "textual-snapshot", "anyio", "cacheprovider")


def _pytest(*args: str) -> list[str]:
    """A pytest command that stops at the first failure and skips unused plugins."""
    off = [arg for plugin in UNUSED_PLUGINS for arg in ("-p", f"no:{plugin}")]
    return [sys.executable, "-m", "pytest", "-x", "-q", *off,
            "-W", "ignore::pytest.PytestUnraisableExceptionWarning", *args]


#: address space a mutant's test run may take: a mutant that loops while allocating
#: (seen: 5.7 GB in 9 minutes) then fails fast with MemoryError, which counts as killed
CHILD_MEMORY_BYTES = 3 * 2**30
_PR_SET_PDEATHSIG = 1


def _stages(tests: TestMap) -> list[list[str]]:
    """The unit files, then (if any) the server-backed stories."""
    stages = [_pytest("--noconftest", *tests.unit)]
    if tests.stories:
        stages.append(_pytest(*tests.stories))
    return stages


def _bounded_child() -> None:
    """In each test run (before exec): die with the runner, and cap its memory.

    mutmut ends a mutant that ran past its time by killing the runner only; a pytest
    below it would live on, keep mutmut's output pipe open and stall the whole run.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


def run_tests(module: str) -> int:
    """`--run-tests MODULE`: what mutmut runs for each mutant; non-zero = killed."""
    for stage in _stages(MODULES[module]):
        code = subprocess.run(stage, preexec_fn=_bounded_child, check=False).returncode
        if code != 0:
            return code
    return 0


def _runner(module: str) -> str:
    """The command mutmut runs per mutant, from inside the module's copy of the tree."""
    return shlex.join([sys.executable, "scripts/mutate.py", "--run-tests", module])


def run_module(module: str, tests: TestMap, workdir: Path) -> Outcome:
    """Mutate one module in its own copy of the tree and count what the tests caught."""
    started = time.monotonic()
    out = Outcome(module)
    copy = workdir / module.replace("/", "_")
    _copy_tree(copy)
    # --noconftest also drops conftest's isolation of the user's dirs: do it here, so no
    # mutant reads the developer's config or writes a journal into their home
    home = copy / ".mutate-home"
    env = {**os.environ, **{f"XDG_{d.upper()}_HOME": str(home / d)
                            for d in ("config", "state", "cache", "data")}}
    runner = _runner(module)
    baseline = subprocess.run(shlex.split(runner), cwd=copy, env=env, capture_output=True,
                              text=True, check=False)
    if baseline.returncode != 0:
        out.error = f"tests fail without mutations:\n{baseline.stdout[-2000:]}"
        return out
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    # a mutant is timed out (counted killed) at 2x the baseline + 8 s: loose enough for
    # a busy shared machine, short enough that looping mutants do not eat the budget
    subprocess.run([mutmut, "run", "--paths-to-mutate", module, "--tests-dir", "tests",
                    "--runner", runner, "--no-progress", "--simple-output",
                    "--test-time-base", "8"],
                   cwd=copy, env=env, capture_output=True, text=True, check=False)
    cache = copy / ".mutmut-cache"
    if not cache.exists():
        out.error = "mutmut left no cache (it did not run)"
        return out
    with sqlite3.connect(cache) as db:
        rows = db.execute("SELECT id, status FROM Mutant").fetchall()
    for mutant_id, status in rows:
        if status in KILLED:
            out.killed += 1
            out.total += 1
        elif status in SURVIVED:
            out.total += 1
            shown = subprocess.run([mutmut, "show", str(mutant_id)], cwd=copy,
                                   capture_output=True, text=True, check=False).stdout
            out.survivors.append(f"--- {module} mutant {mutant_id}\n{shown.strip()}\n")
    out.seconds = time.monotonic() - started
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument("--jobs", type=int, default=2, help="modules mutated at once")
    parser.add_argument("--report", default=str(ROOT / "mutants-report.txt"))
    parser.add_argument("--run-tests", metavar="MODULE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_tests:
        return run_tests(args.run_tests)
    chosen = args.modules or list(MODULES)
    unknown = [m for m in chosen if m not in MODULES]
    if unknown:
        parser.error(f"no test map for {', '.join(unknown)}: add it to MODULES")
    workdir = Path(tempfile.mkdtemp(prefix="opsdash-mutate-"))
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(lambda m: run_module(m, MODULES[m], workdir), chosen))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines: list[str] = []
    for o in outcomes:
        if o.error:
            print(f"{o.module}: ERROR {o.error}")
            continue
        pct = 100 * o.killed / o.total if o.total else 100.0
        print(f"{o.module}: {o.killed} killed of {o.total} ({pct:.0f}%), "
              f"{len(o.survivors)} survived, {o.seconds:.0f}s")
        lines.extend(o.survivors)
    Path(args.report).write_text("\n".join(lines) or "no survivors\n")
    if lines:
        print(f"survivors' diffs: {args.report}")
    killed = sum(o.killed for o in outcomes)
    total = sum(o.total for o in outcomes)
    score = 100 * killed / total if total else 0.0
    print(f"mutation score: {score:.0f}% ({killed} killed of {total})")
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
