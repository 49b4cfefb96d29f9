"""The layers hold at run time too: the commands that need no screen never load Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "import sys\n"
    "from tui.cli import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "finally:\n"
    "    loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
    "    sys.stderr.write('\\nLOADED=' + ','.join(loaded) + '\\n')\n"
    "sys.exit(code)\n"
)


def loaded_after(args: list[str], tmp_path: Path) -> tuple[int, str]:
    run = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                         cwd=tmp_path, timeout=60)
    marker = [line for line in run.stderr.splitlines() if line.startswith("LOADED=")]
    assert marker, run.stderr
    return run.returncode, marker[-1].removeprefix("LOADED=")


@pytest.mark.parametrize("args,code", [
    (["runbooks", "list"], 0),
    (["runbooks", "show", "service.md#service-down"], 0),
    (["report"], 0),
    (["check", "--config", "empty.toml"], 3),
], ids=["runbooks-list", "runbooks-show", "report", "check"])
def test_commands_without_a_screen_never_import_textual(
        args: list[str], code: int, tmp_path: Path) -> None:
    (tmp_path / "empty.toml").write_text("refresh = 1\n")
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"type": "alert", "name": "ServiceDown", "state": "firing", '
                       '"panel": "health:api", "ts": 1700000000}\n')
    if args[0] == "report":
        args = [*args, "--journal", str(journal)]
    rc, loaded = loaded_after(args, tmp_path)
    assert loaded == ""
    assert rc == code


def test_no_module_of_ours_takes_part_in_an_import_cycle() -> None:
    """Lazy imports inside functions count too: a cycle hidden in a method is a cycle."""
    import grimp

    graph = grimp.build_graph("tui", "panels", "runbooks", "common",
                              exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if module in graph.find_upstream_modules(imported):
                cycles.append(f"{module} -> {imported}")
    assert cycles == []
