"""The command line is consistent: one exit code for a broken config everywhere (3), usage
mistakes are argparse's 2 with the subcommand's own usage, missing folders are errors,
and cutting output short ends quietly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

OPSDASH = Path(sys.executable).parent / "opsdash"


def opsdash(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(OPSDASH), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60, check=False)


@pytest.mark.parametrize("args", [
    ["check"], ["runbooks", "list"], ["report"], [],
], ids=["check", "runbooks-list", "report", "dashboard"])
def test_a_broken_config_is_one_line_and_exit_3_for_every_command(
        args: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[redis]]\nulr = "redis://x"\n')
    run = opsdash("--config", str(bad), *args, cwd=tmp_path)
    assert run.returncode == 3
    assert run.stderr == (f'opsdash: {bad}:2: [[redis]] #1 "ulr": unknown key '
                          '(did you mean "url"?)\n')
    assert run.stdout == ""


@pytest.mark.parametrize(("value", "why"), [
    ("0", "must be a number of seconds > 0, not '0'"),
    ("abc", "not a number of seconds: 'abc'"),
    ("nan", "must be a number of seconds > 0, not 'nan'"),
])
def test_refresh_that_is_not_a_positive_number_is_a_usage_error(
        value: str, why: str, tmp_path: Path) -> None:
    run = opsdash("--refresh", value, "check", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == f"opsdash: error: argument --refresh: {why}"


def test_a_missing_runbook_folder_is_an_error(tmp_path: Path) -> None:
    run = opsdash("--runbooks", str(tmp_path / "nowhere"), "runbooks", "list", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr == f"opsdash: runbook folder {tmp_path / 'nowhere'} does not exist\n"


@pytest.mark.parametrize(("args", "usage"), [
    (["check", "--bogus"], "usage: opsdash check"),
    (["runbooks", "list", "--bogus"], "usage: opsdash runbooks list"),
])
def test_a_subcommand_usage_error_shows_that_subcommands_usage(
        args: list[str], usage: str, tmp_path: Path) -> None:
    run = opsdash(*args, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith(usage)
    assert run.stderr.splitlines()[-1].endswith("error: unrecognized arguments: --bogus")


def test_check_with_nothing_to_watch_is_unknown(tmp_path: Path) -> None:
    empty = tmp_path / "opsdash.toml"
    empty.write_text("refresh = 1\n")
    run = opsdash("check", "--json", cwd=tmp_path)
    assert run.returncode == 3
    assert run.stdout.count('"status": "unknown"') == 1


def test_output_cut_short_by_head_ends_quietly(tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()  # far more than a pipe holds, so the writer meets the closed pipe
    (books / "many.md").write_text("".join(f"## Section number {n}\n\n1. `uptime`\n\n"
                                           for n in range(3000)))
    run = subprocess.run(f"{OPSDASH} --runbooks {books} runbooks list | head -1", shell=True,
                         cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0
    assert run.stderr == ""
    assert len(run.stdout.splitlines()) == 1
