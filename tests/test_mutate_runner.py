"""`make mutate`'s runner (scripts/mutate.py) on a throwaway module: does it count right?

A kill must be a real behaviour change the tests notice, and an equivalent mutant must
survive: otherwise the score `make mutate` prints means nothing. The runner is run as
the command it is (a real worker process forking per mutant), on a module in tmp_path.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parent.parent / "scripts" / "mutate.py"

TINY = '''\
LIMIT = 10


def clamp(x: int) -> int:
    if x > LIMIT:
        return LIMIT
    return x
'''

TEST_TINY = '''\
from tiny import clamp


def test_clamp() -> None:
    assert clamp(5) == 5
    assert clamp(11) == 10
'''


def test_a_behaviour_change_is_killed_and_an_equivalent_mutant_survives(
        tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(TINY)
    (tmp_path / "test_tiny.py").write_text(TEST_TINY)
    report = tmp_path / "report.txt"
    done = subprocess.run([sys.executable, str(RUNNER), "--root", str(tmp_path),
                           "--tests", "test_tiny.py", "--report", str(report), "tiny.py"],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    # LIMIT = 11 and LIMIT = None change clamp(11): killed; `x >= LIMIT` cannot be told
    # apart (clamp(10) is 10 either way): survives
    assert lines[0].startswith("tiny.py: 2 killed of 3 (67%), 1 survived, ")
    assert lines[-1] == "mutation score: 67% (2 killed of 3)"
    survivors = report.read_text()
    assert "-    if x > LIMIT:\n+    if x >= LIMIT:" in survivors
    assert survivors.count("+    ") == 1
    # the mutants lived in memory only: the module on disk is untouched
    assert (tmp_path / "tiny.py").read_text() == TINY


LOOP = '''\
def countdown(n: int) -> int:
    steps = 0
    while n > 0:
        n -= 1
        steps += 1
    return steps
'''

TEST_LOOP = '''\
from loop import countdown


def test_countdown() -> None:
    assert countdown(3) == 3
'''


BAG = '''\
from dataclasses import dataclass, field


@dataclass
class Bag:
    items: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.items)
'''

TEST_BAG = '''\
from bag import Bag


def test_bag() -> None:
    bag = Bag()
    bag.items.append(7)
    assert bag.size == 1
'''


def test_two_modules_share_the_slots_and_a_mutant_that_hangs_is_killed(
        tmp_path: Path) -> None:
    """Three workers, two slots, mutants run side by side: the counts are the same as one
    at a time, and `n += 1` (loops forever) is killed at its time limit."""
    for name, text in (("tiny.py", TINY), ("test_tiny.py", TEST_TINY), ("loop.py", LOOP),
                       ("test_loop.py", TEST_LOOP), ("bag.py", BAG), ("test_bag.py", TEST_BAG)):
        (tmp_path / name).write_text(text)
    report = tmp_path / "report.txt"
    done = subprocess.run([sys.executable, str(RUNNER), "--root", str(tmp_path), "--jobs", "2",
                           "--tests", "test_tiny.py", "--tests", "test_loop.py",
                           "--tests", "test_bag.py",
                           "--report", str(report), "tiny.py", "loop.py", "bag.py"],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = sorted(done.stdout.splitlines()[:3])
    # bag.py: no @dataclass, `items = None` (the default in the generated __init__) and
    # no @property (the object changes, not the code) are each put in place and killed
    assert lines.pop(0).startswith("bag.py: 3 killed of 3 (100%), 0 survived, "), lines
    # loop.py's 10 mutants (steps = 1 / None, n >= 0, n > 1, n = 1, n += 1, n -= 2,
    # steps = 1 / -= 1 / += 2) each change countdown(3) or never return (`n = 1`,
    # `n += 1`: killed at their time limit)
    assert lines[0].startswith("loop.py: 10 killed of 10 (100%), 0 survived, "), lines
    assert lines[1].startswith("tiny.py: 2 killed of 3 (67%), 1 survived, "), lines
    assert done.stdout.splitlines()[-1] == "mutation score: 94% (15 killed of 16)"
