"""Steps run as real processes: streamed line by line, cancelled as a group, never unsafe."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from runbooks.execute import run_command
from tests.fixtures.postgres import PostgresServer
from tui.cli import main


def live_group_members(pgid: int) -> list[int]:
    """Pids of processes (not zombies) in the process group, read from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if fields[2] == str(pgid) and fields[0] != "Z":
            pids.append(int(entry))
    return pids


async def wait_for_file(path: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


async def test_each_line_arrives_before_the_next_is_printed(tmp_path: Path) -> None:
    """A handshake, not a stopwatch: the step prints line i, then waits until the callback
    has seen it (it creates go<i>); output held back until exit would time the step out."""
    received: list[tuple[str, str]] = []

    def seen(stream: str, text: str) -> None:
        received.append((stream, text))
        if text.startswith("line "):
            (tmp_path / f"go{text.split()[1]}").touch()

    result = await run_command(
        f"for i in 1 2 3; do echo line $i; while [ ! -e {tmp_path}/go$i ]; do sleep 0.01; "
        "done; done; echo done >&2", on_line=seen, timeout=30)
    assert received == [("stdout", "line 1"), ("stdout", "line 2"), ("stdout", "line 3"),
                        ("stderr", "done")]
    assert (result.exit_code, result.timed_out) == (0, False)
    assert result.tail[-1] == "done"


async def test_cancelling_the_task_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    task = asyncio.create_task(run_command(
        f"echo $$ > {pidfile}; sleep 300 & sleep 300; wait", grace=1.0))
    pgid = int(await wait_for_file(pidfile))
    deadline = time.monotonic() + 5
    while len(live_group_members(pgid)) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert len(live_group_members(pgid)) >= 3  # bash and both sleeps
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert live_group_members(pgid) == []


async def test_a_timeout_kills_the_group_and_says_so(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    result = await run_command(f"echo $$ > {pidfile}; sleep 300 & sleep 300", timeout=0.5,
                               grace=0.5)
    assert result.timed_out and result.exit_code == 124 and not result.ok
    assert live_group_members(int(pidfile.read_text())) == []


async def test_a_background_child_holding_the_output_does_not_hang_the_step(
        tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    result = await asyncio.wait_for(
        run_command(f"echo $$ > {pidfile}; sleep 300 & echo started", grace=0.5), timeout=20)
    assert result.exit_code == 0 and result.tail == ("started",)
    assert live_group_members(int(pidfile.read_text())) == []


async def test_exit_code_and_pipefail_are_kept() -> None:
    lines: list[tuple[str, str]] = []
    result = await run_command("echo oops >&2; exit 7", on_line=lambda s, t: lines.append((s, t)))
    assert result.exit_code == 7 and lines == [("stderr", "oops")]
    assert (await run_command("false | true")).exit_code == 1


async def test_env_and_cwd_reach_the_command(tmp_path: Path) -> None:
    lines: list[str] = []
    result = await run_command('echo "$OPSDASH_X $(pwd)"', env={"OPSDASH_X": "hello"},
                               cwd=str(tmp_path), on_line=lambda s, t: lines.append(t))
    assert result.ok and lines == [f"hello {tmp_path}"]


def write_runbook(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ops.md").write_text(body)
    return folder


def test_a_placeholder_value_with_shell_metacharacters_is_inert(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pwned = tmp_path / "pwned"
    books = write_runbook(tmp_path / "books", "## Greet\n\n1. Say it: `echo hello <name>`\n"
                                              "2. Quoted: `echo \"job <name>\" 'id <name>'`\n")
    value = f"x; touch {pwned} $(touch {pwned}) `touch {pwned}` ' \""
    for step in ("1", "2"):
        rc = main(["runbooks", "run", "ops.md#greet", "--step", step, "--runbooks", str(books),
                   "--journal", str(tmp_path / "j.jsonl"), "--var", f"name={value}"])
        assert rc == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"hello {value}", f"job {value} id {value}"]
    assert not pwned.exists()


def test_destructive_steps_are_refused_without_yes_and_always_in_read_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    books = write_runbook(tmp_path / "books", "## Clean up\n\n```bash\nrm -rf <dir>\n```\n")
    base = ["runbooks", "run", "ops.md#clean-up", "--step", "1", "--runbooks", str(books),
            "--journal", str(tmp_path / "j.jsonl"), "--var", f"dir={victim}"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert f"refusing destructive command without --yes (rm deletes files): rm -rf {victim}" \
        in err and victim.exists()
    assert main(["--read-only", *base, "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"in --read-only mode (rm deletes files): rm -rf {victim}" in err and victim.exists()
    assert main([*base, "--yes"]) == 0
    assert not victim.exists()


def test_a_missing_placeholder_without_a_terminal_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    books = write_runbook(tmp_path / "books",
                          "## Logs\n\n1. `docker logs --tail 5 <container>`\n")
    rc = main(["runbooks", "run", "ops.md#logs", "--step", "1", "--runbooks", str(books),
               "--journal", str(tmp_path / "j.jsonl")])
    assert rc == 2
    assert "needs a value for <container>: pass --var container=..." in capsys.readouterr().err


def test_timeout_through_the_cli_returns_124(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    books = write_runbook(tmp_path / "books", "## Hang\n\n```bash\nsleep 300\n```\n")
    rc = main(["runbooks", "run", "ops.md#hang", "--step", "1", "--timeout", "0.3",
               "--runbooks", str(books), "--journal", str(tmp_path / "j.jsonl")])
    assert rc == 124 and "timed out after 0.3s" in capsys.readouterr().err


async def test_sql_runs_read_only_unless_allowed(postgres_server: PostgresServer) -> None:
    dsn = postgres_server.dsn
    lines: list[str] = []
    result = await run_command("SELECT 41 + 1 AS answer, 'x' AS label;", lang="sql", dsn=dsn,
                               on_line=lambda s, t: lines.append(t))
    assert result.ok and lines == ["answer | label", "42 | x", "(1 row)"]
    errors: list[tuple[str, str]] = []
    refused = await run_command("CREATE TABLE opsdash_rb_probe (x int);", lang="sql", dsn=dsn,
                                on_line=lambda s, t: errors.append((s, t)))
    assert refused.exit_code == 1
    assert any(s == "stderr" and "read-only transaction" in t for s, t in errors)
    created = await run_command("CREATE TABLE IF NOT EXISTS opsdash_rb_probe (x int); "
                                "DROP TABLE opsdash_rb_probe;", lang="sql", dsn=dsn,
                                allow_write=True)
    assert created.ok


def test_sql_step_through_the_cli_takes_the_dsn_from_a_var(
        postgres_server: PostgresServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    dsn = postgres_server.dsn
    books = write_runbook(tmp_path / "books",
                          "## Who\n\n```sql\nSELECT current_user AS who;\n```\n")
    rc = main(["runbooks", "run", "ops.md#who", "--step", "1", "--runbooks", str(books),
               "--journal", str(tmp_path / "j.jsonl"), "--var", f"DATABASE_URL={dsn}"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out.splitlines()[:2] == ["who", postgres_server.user]
