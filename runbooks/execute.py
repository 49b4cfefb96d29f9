"""Running a step's command: bash in its own process group, or SQL through psycopg.

    result = await run_command(code, lang="bash", on_line=lambda stream, text: ...,
                               env={"X": "1"}, cwd=None, timeout=30)

- bash runs as `bash -o pipefail -c CODE` in a new session (its own process group),
  stdin from /dev/null, env = os.environ + `env`; stdout and stderr are read as they
  come and handed to `on_line(stream, line)` one line at a time ("stdout"/"stderr").
- cancelling the awaiting task, or the timeout, sends SIGTERM to the whole group, then
  SIGKILL after `grace` seconds: nothing the step started survives it. Cancellation
  re-raises CancelledError (the caller journals it); a timeout returns timed_out=True
  with exit code 124, as coreutils' timeout does.
- `sql` connects to `dsn` (application_name=opsdash), runs the text in a READ ONLY
  transaction unless `allow_write` (the caller's confirmation of a destructive step),
  and prints rows as ` | `-separated lines under a header.
- interactive commands (Command.interactive) need the terminal: `run_attached` runs
  one with the caller's stdin/stdout (the TUI calls it under App.suspend()).
Output handed to `on_line` (and kept in the tail) is terminal-safe already: bash lines
through common.terminal.safe_output (colours kept, `\r` redraws resolved), SQL rows through
safe_text. It is not masked; mask it with common.masking.mask_secrets to show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from common.terminal import safe_output, safe_text
from runbooks.placeholders import split_sql

LineHandler = Callable[[str, str], None]
TAIL_LINES = 40


@dataclass(frozen=True)
class StepResult:
    exit_code: int
    duration: float  # seconds
    timed_out: bool = False
    tail: tuple[str, ...] = field(default=(), repr=False)  # last lines, raw

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def _bash() -> list[str]:
    bash = shutil.which("bash")
    return [bash, "-o", "pipefail", "-c"] if bash else ["/bin/sh", "-c"]


def command_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ + extras, with pagers off and Python unbuffered so output streams."""
    env = dict(os.environ)
    env.setdefault("PAGER", "cat")
    env.setdefault("SYSTEMD_PAGER", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


async def kill_group(proc: asyncio.subprocess.Process, grace: float = 2.0) -> None:
    """SIGTERM the process group, wait `grace`, SIGKILL what is left; reap the leader."""
    pgid = proc.pid
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_leader_exit(proc), timeout=0.05)
        elif not _group_alive(pgid):
            break
        else:
            await asyncio.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)
    if proc.returncode is None:
        await _leader_exit(proc)


def _group_alive(pgid: int) -> bool:
    """True while a live (non-zombie) process is left in the group."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return _signal_group(pgid, 0)
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 3 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


async def _pump(stream: asyncio.StreamReader, name: str, on_line: LineHandler | None,
                tail: deque[str]) -> None:
    """Hand over complete lines as soon as they arrive; a last partial line at EOF."""
    buf = b""
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            text = safe_output(raw.rstrip(b"\r").decode("utf-8", errors="replace"))
            tail.append(text)
            if on_line is not None:
                on_line(name, text)
    if buf:
        text = safe_output(buf.decode("utf-8", errors="replace"))
        tail.append(text)
        if on_line is not None:
            on_line(name, text)


async def _leader_exit(proc: asyncio.subprocess.Process) -> None:
    """Until bash itself exits. proc.wait() alone also waits for our pipes to close,
    which a background child (`sleep 300 &`) keeps open for as long as it lives."""
    waiter = asyncio.ensure_future(proc.wait())
    try:
        while proc.returncode is None and not waiter.done():
            await asyncio.wait({waiter}, timeout=0.05)
    finally:
        if not waiter.done():
            waiter.cancel()


async def run_shell(code: str, *, env: Mapping[str, str] | None = None, cwd: str | None = None,
                    timeout: float | None = None, on_line: LineHandler | None = None,
                    grace: float = 2.0) -> StepResult:
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    proc = await asyncio.create_subprocess_exec(
        *_bash(), code, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=command_env(env), cwd=cwd, start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    pumps = asyncio.gather(_pump(proc.stdout, "stdout", on_line, tail),
                           _pump(proc.stderr, "stderr", on_line, tail))
    timed_out = False
    try:
        async with asyncio.timeout(timeout):
            await _leader_exit(proc)
    except TimeoutError:
        timed_out = True
        await kill_group(proc, grace)
    except BaseException:
        await asyncio.shield(kill_group(proc, grace))
        pumps.cancel()
        with contextlib.suppress(BaseException):
            await pumps
        raise
    # the leader is gone; children still holding our pipes are killed, not waited on
    try:
        await asyncio.wait_for(asyncio.shield(pumps), timeout=0.5)
    except TimeoutError:
        await kill_group(proc, grace)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pumps, timeout=grace)
    code_ = 124 if timed_out else (proc.returncode if proc.returncode is not None else -1)
    if code_ < 0:
        code_ = 128 - code_  # killed by signal N: 128+N, as a shell reports it
    return StepResult(code_, time.monotonic() - started, timed_out, tuple(tail))


def _format_rows(names: list[str], rows: list[tuple[object, ...]]) -> list[str]:
    def cell(v: object) -> str:
        return "" if v is None else str(v).replace("\n", "\\n")
    lines = [" | ".join(names)]
    lines.extend(" | ".join(cell(v) for v in row) for row in rows)
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return lines


async def run_sql(sql: str, dsn: str, *, allow_write: bool = False, timeout: float | None = None,
                  on_line: LineHandler | None = None,
                  params: Mapping[str, object] | None = None) -> StepResult:
    """Run SQL; with `params` (from placeholders.sql_with_params) values are bound by the
    server, one statement at a time (a prepared statement holds one), never spliced."""
    import psycopg  # imported here: bash steps and `runbooks list` never need it

    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)

    def emit(stream: str, text: str) -> None:
        text = safe_text(text)  # rows are the database's strings: no colour meant
        tail.append(text)
        if on_line is not None:
            on_line(stream, text)

    conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
    timed_out = False
    code = 0
    try:
        async with asyncio.timeout(timeout):
            conn = await psycopg.AsyncConnection.connect(dsn, application_name="opsdash")
            await conn.set_read_only(not allow_write)
            async with conn.cursor() as cur:
                if params is None:
                    batches: list[tuple[bytes | str, dict[str, object] | None]] = [
                        (sql.encode(), None)]  # bytes: no client-side % interpolation
                else:
                    batches = [(stmt, {k: v for k, v in params.items() if f"%({k})s" in stmt})
                               for stmt in split_sql(sql)]
                for query, bound in batches:
                    await cur.execute(query, bound)
                    while True:
                        if cur.description is not None:
                            names = [d.name for d in cur.description]
                            for text in _format_rows(names, await cur.fetchall()):
                                emit("stdout", text)
                        elif cur.statusmessage:
                            emit("stdout", cur.statusmessage)
                        if not cur.nextset():
                            break
            await conn.commit()
    except TimeoutError:
        timed_out, code = True, 124
        emit("stderr", f"timed out after {timeout:g}s")
    except psycopg.Error as exc:
        code = 1
        message = (str(exc).strip() or type(exc).__name__).splitlines()
        for text in message:
            emit("stderr", text)
    except BaseException:
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.cancel()
        raise
    finally:
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
    return StepResult(code, time.monotonic() - started, timed_out, tuple(tail))


def _reply_lines(reply: object, indent: str = "") -> list[str]:
    """A reply as redis-cli prints it: `(integer) 3`, `"value"`, `1) ...`, `(nil)`."""
    if reply is None:
        return [f"{indent}(nil)"]
    if isinstance(reply, bool):
        return [f"{indent}(integer) {int(reply)}"]
    if isinstance(reply, int):
        return [f"{indent}(integer) {reply}"]
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    if isinstance(reply, str):
        return [indent + line for line in reply.splitlines()] or [f'{indent}""']
    if isinstance(reply, dict):
        return [f"{indent}{k}: {v}" for k, v in reply.items()]
    if isinstance(reply, list | tuple):
        if not reply:
            return [f"{indent}(empty array)"]
        out: list[str] = []
        for n, item in enumerate(reply, 1):
            lines = _reply_lines(item)
            out.append(f"{indent}{n}) {lines[0]}")
            out.extend(f"{indent}   {line}" for line in lines[1:])
        return out
    return [f"{indent}{reply}"]


async def run_redis(code: str, url: str, *, allow_write: bool = False,
                    timeout: float | None = None,
                    on_line: LineHandler | None = None) -> StepResult:
    """Run redis-cli lines (`INFO memory`, `LLEN celery`) against the configured Redis.

    Each line is judged again: without `allow_write` (the person's `y`) only commands known
    to only read are sent; anything else is refused with the reason, as SQL runs in a
    read-only transaction until confirmed."""
    import shlex

    import redis.asyncio as aioredis  # here: bash steps never load the client

    from runbooks.safety import Effect, classify

    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)

    def emit(stream: str, text: str) -> None:
        text = safe_text(text)
        tail.append(text)
        if on_line is not None:
            on_line(stream, text)

    client = aioredis.Redis.from_url(url, socket_connect_timeout=5.0, decode_responses=False)
    code_ = 0
    timed_out = False
    try:
        async with asyncio.timeout(timeout):
            for line in code.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                judged = classify(line, "redis")
                if judged.effect is not Effect.READ_ONLY and not allow_write:
                    emit("stderr", f"refused without a confirmation: {judged.reason}")
                    code_ = 1
                    break
                try:
                    reply = await client.execute_command(*shlex.split(line))
                except (ValueError, aioredis.RedisError) as exc:
                    emit("stderr", f"(error) {exc}")
                    code_ = 1
                    break
                for text in _reply_lines(reply):
                    emit("stdout", text)
    except TimeoutError:
        timed_out, code_ = True, 124
        emit("stderr", f"timed out after {timeout:g}s")
    finally:
        with contextlib.suppress(Exception):
            await client.aclose()
    return StepResult(code_, time.monotonic() - started, timed_out, tuple(tail))


async def run_command(code: str, *, lang: str = "bash", env: Mapping[str, str] | None = None,
                      cwd: str | None = None, timeout: float | None = None,
                      dsn: str | None = None, allow_write: bool = False,
                      on_line: LineHandler | None = None, grace: float = 2.0,
                      params: Mapping[str, object] | None = None,
                      redis_url: str | None = None) -> StepResult:
    """Run one filled-in command; see the module docstring. ValueError: sql without dsn,
    redis without a URL. `params` binds a sql step's placeholder values
    (placeholders.sql_with_params)."""
    if lang == "redis":
        if not redis_url:
            raise ValueError("a redis step needs a Redis URL (REDIS_URL)")
        return await run_redis(code, redis_url, allow_write=allow_write, timeout=timeout,
                               on_line=on_line)
    if lang == "sql":
        if not dsn:
            raise ValueError("a sql step needs a Postgres DSN (DATABASE_URL)")
        return await run_sql(code, dsn, allow_write=allow_write, timeout=timeout,
                             on_line=on_line, params=params)
    return await run_shell(code, env=env, cwd=cwd, timeout=timeout, on_line=on_line, grace=grace)


def run_attached(code: str, *, env: Mapping[str, str] | None = None,
                 cwd: str | None = None) -> StepResult:
    """An interactive command on the caller's terminal (blocking; the TUI suspends first)."""
    started = time.monotonic()
    proc = subprocess.run([*_bash(), code], env=command_env(env), cwd=cwd, check=False)
    rc = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return StepResult(rc, time.monotonic() - started)
