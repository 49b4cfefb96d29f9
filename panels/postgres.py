"""PostgreSQL: connection pressure, long and blocked queries, and the backends behind them.

The panel holds exactly one connection (`application_name=opsdash`, autocommit, a
statement timeout) so that watching a database never becomes what exhausts its pool.
When connecting fails, the next poll tries again: a database that is back shows green
at once (a back-off doubling to 30 s once kept a card red half a minute after a 40 s
outage). Only polls closer together than RETRY_GAP_S (refresh-now pressed repeatedly)
repeat the last error without a new attempt.

`activity` (in the metrics) is the drill-down: client backends other than ours, busy
ones first, longest first, top 50, with the columns pg_activity shows. Acting on one
goes through `PostgresPanel.cancel_backend(pid)` / `terminate_backend(pid)`, which
reuse the panel's own connection: when the pool is exhausted, a new connection to
kill a backend is exactly what would be refused.

psycopg (with its bundled libpq and OpenSSL: ~8 MiB of RSS) is imported at the first
connect that can succeed: while a DSN naming one IP address and port is refused, a
plain TCP connect finds it out and the card shows libpq's own words for it
(`refused_text`), so a host whose database is down or not there never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import ipaddress
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from common.masking import mask_dsn
from panels.base import AlertRule, Condition, Panel
from panels.errors import BadResponse

if TYPE_CHECKING:
    import psycopg

APPLICATION_NAME = "opsdash"
ACTIVITY_LIMIT = 50
QUERY_CHARS = 500
#: the least time between two connection attempts; shorter than any sensible refresh,
#: so each poll still retries and a recovered database is green on the next one
RETRY_GAP_S = 0.5
#: how long the TCP look before psycopg is loaded waits for a refusal; loopback and LAN
#: refuse within a millisecond, and anything slower is left to psycopg's own connect
REFUSAL_WAIT_S = 0.25
#: URL query keys that do not change where libpq connects nor what it says when refused
_PLACE_NEUTRAL_KEYS = frozenset({"sslmode", "connect_timeout", "application_name", "options",
                                 "user", "password", "dbname", "sslrootcert", "sslcert",
                                 "sslkey", "gssencmode"})
#: libpq variables that could send it elsewhere than the URL's address
_PLACE_ENV = ("PGHOSTADDR", "PGSERVICE", "PGSERVICEFILE")


def _password_of(dsn: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = conninfo_to_dict(dsn).get("password")
    except Exception:  # a malformed DSN: connecting reports it, and there is no password
        return None
    return str(password) if password else None


def single_address(dsn: str) -> tuple[str, int] | None:
    """(IP, port) when a postgres:// URL names exactly one IP address and port and nothing
    else could redirect libpq; None for anything else (names, lists, sockets, conninfo)."""
    if any(os.environ.get(name) for name in _PLACE_ENV):
        return None
    try:
        url = urlsplit(dsn)
        if url.scheme not in ("postgres", "postgresql") or "," in url.netloc:
            return None
        host, port = url.hostname, url.port
        keys = {key for key, _ in parse_qsl(url.query, keep_blank_values=True)}
    except ValueError:
        return None
    if host is None or port is None or not keys <= _PLACE_NEUTRAL_KEYS:
        return None
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        return None


def refused_text(host: str, port: int) -> str:
    """What psycopg says when a single address refuses (tests/test_postgres_panel.py
    compares the two on a real refusing port)."""
    return (f'connection failed: connection to server at "{host}", port {port} failed: '
            "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
            "connections?")


async def _refuses(host: str, port: int) -> bool:
    """True only when the address actively refuses (RST); anything else is psycopg's call."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), REFUSAL_WAIT_S)
    except ConnectionRefusedError:
        return True
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return False


@dataclass(frozen=True)
class Backend:
    """One client backend as an operator reads it in the drill-down."""

    pid: int
    user: str | None
    database: str | None
    application_name: str | None
    client_addr: str | None
    state: str | None
    duration_s: float | None
    wait_event_type: str | None
    wait_event: str | None
    blocked_by: tuple[int, ...]
    query: str | None


@dataclass(frozen=True)
class PostgresSample:
    connections: int
    max_connections: int
    by_state: dict[str, int]
    longest_query_s: float
    longest_query_pid: int | None
    blocked: int
    idle_in_transaction: int
    database_size_bytes: int | None
    replication_lag_s: float | None
    activity: tuple[Backend, ...]

    @property
    def connections_ratio(self) -> float:
        return self.connections / self.max_connections if self.max_connections else 0.0


# Only client backends count: walsenders, autovacuum and the checkpointer hold no pool slot.
_SUMMARY_SQL = """
SELECT
  current_setting('max_connections')::int AS max_connections,
  pg_database_size(current_database()) AS database_size_bytes,
  CASE WHEN pg_is_in_recovery()
       THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
       ELSE (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication)
  END AS replication_lag_s
"""

# pg_blocking_pids takes the lock manager's locks, so ask only for backends waiting on one.
_BACKENDS_SQL = f"""
SELECT pid, usename AS user, datname AS database, application_name,
       client_addr::text AS client_addr, state, wait_event_type, wait_event,
       left(query, {QUERY_CHARS}) AS query,
       pid = pg_backend_pid() AS is_self,
       extract(epoch FROM now() - query_start)::float8 AS query_s,
       extract(epoch FROM now() - CASE
           WHEN state = 'active' THEN query_start
           WHEN state LIKE 'idle in transaction%' THEN xact_start
           ELSE coalesce(state_change, backend_start) END)::float8 AS duration_s,
       CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid)
            ELSE '{{}}'::int[] END AS blocked_by
FROM pg_stat_activity
WHERE backend_type = 'client backend'
"""


class PostgresPanel(Panel[PostgresSample]):
    """One database through one long-lived connection."""

    kind: ClassVar[str] = "postgres"
    unreachable_alert: ClassVar[str | None] = "DatabaseUnreachable"
    series_key: ClassVar[str | None] = "connections"

    def __init__(
        self,
        name: str,
        *,
        dsn: str,
        statement_timeout_ms: int = 3000,
        interval: float | None = None,
        timeout: float = 5.0,
        rules: Mapping[str, AlertRule] | None = None,
    ) -> None:
        super().__init__(name, interval=interval, timeout=timeout, rules=rules)
        self.dsn = dsn
        self.statement_timeout_ms = statement_timeout_ms
        self._password: str | None = None  # read with psycopg, when an error needs it
        self._address = single_address(dsn)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._retry_at = 0.0
        self._last_error: BaseException | None = None

    @property
    def target(self) -> str:
        return mask_dsn(self.dsn)

    def prepare(self) -> None:
        """psycopg now, in the panel-building thread, unless a refusal can be told
        without it (`single_address`): then the first connect that gets through loads it."""
        if self._address is None:
            importlib.import_module("psycopg")

    # -- connection -------------------------------------------------------------------

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if self._last_error is not None and time.monotonic() < self._retry_at:
            raise self._last_error.with_traceback(None)
        attempt_at = time.monotonic()
        # once psycopg is loaded there is nothing to spare: it alone decides (and the
        # database never logs an extra empty connection)
        if (self._address is not None and "psycopg" not in sys.modules
                and await _refuses(*self._address)):
            error: Exception = ConnectionRefusedError(refused_text(*self._address))
            self._hold(error, attempt_at)
            raise error
        if "psycopg" not in sys.modules:  # ~100 ms of imports: never on the event loop
            await asyncio.to_thread(importlib.import_module, "psycopg")
        import psycopg

        try:
            conn = await psycopg.AsyncConnection.connect(
                self.dsn, autocommit=True, application_name=APPLICATION_NAME,
                connect_timeout=max(2, int(self.timeout)))
            await conn.execute(f"SET statement_timeout = {int(self.statement_timeout_ms)}")
        except psycopg.Error as exc:
            error = self._scrubbed(exc)
            self._hold(error, attempt_at)
            raise error from None
        except asyncio.CancelledError:
            # the probe's timeout cut a hanging connect short: hold that verdict too
            self._hold(TimeoutError(f"connecting took longer than {self.timeout:g}s"),
                       attempt_at)
            raise
        self._last_error = None
        self._conn = conn
        return conn

    def _hold(self, error: BaseException, attempt_at: float) -> None:
        """Remember a failed connect; the gap counts from when the attempt *started*, so
        a poll one refresh later is never held back by the attempt's own duration."""
        self._retry_at = attempt_at + RETRY_GAP_S
        self._last_error = error

    def _scrubbed(self, exc: psycopg.Error) -> Exception:
        """The error with the password cut out: messages end up on screen and in journals."""
        if self._password is None:
            self._password = _password_of(self.dsn) or ""
        text = str(exc)
        if self._password and self._password in text:
            return type(exc)(text.replace(self._password, "***"))
        return exc

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            import psycopg  # loaded: there is a connection

            with contextlib.suppress(psycopg.Error):  # already broken: we want the slot back
                await conn.close()

    async def aclose(self) -> None:
        await self._drop()

    # -- collect ----------------------------------------------------------------------

    async def collect(self) -> PostgresSample:
        conn = await self._connection()
        from psycopg.rows import dict_row  # loaded: there is a connection

        try:
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(_SUMMARY_SQL)
                summary = await cur.fetchone()
                await cur.execute(_BACKENDS_SQL)
                rows = await cur.fetchall()
        except BaseException:
            # a timed-out or broken connection may be mid-query; start clean next poll
            await self._drop()
            raise
        if summary is None:
            raise BadResponse("pg_settings returned no row")
        return _sample(summary, rows)

    # -- drill-down actions -----------------------------------------------------------

    async def cancel_backend(self, pid: int) -> bool:
        """pg_cancel_backend(pid) over our own connection; False if refused or our own pid."""
        return await self._signal_backend("pg_cancel_backend", pid)

    async def terminate_backend(self, pid: int) -> bool:
        """pg_terminate_backend(pid) over our own connection; False if refused or our own pid."""
        return await self._signal_backend("pg_terminate_backend", pid)

    async def _signal_backend(self, function: str, pid: int) -> bool:
        conn = await self._connection()
        async with conn.cursor() as cur:
            await cur.execute(
                f"SELECT CASE WHEN %s = pg_backend_pid() THEN false ELSE {function}(%s) END",
                (pid, pid))
            row = await cur.fetchone()
        return bool(row and row[0])

    # -- rules ------------------------------------------------------------------------

    def metrics(self, sample: PostgresSample) -> dict[str, Any]:
        return {
            "connections": sample.connections,
            "max_connections": sample.max_connections,
            "connections_ratio": round(sample.connections_ratio, 4),
            "by_state": dict(sample.by_state),
            "longest_query_s": round(sample.longest_query_s, 3),
            "blocked": sample.blocked,
            "idle_in_transaction": sample.idle_in_transaction,
            "database_size_bytes": sample.database_size_bytes,
            "replication_lag_s": sample.replication_lag_s,
        }

    def detail(self, sample: PostgresSample) -> dict[str, Any]:
        return {"activity": [{**asdict(b), "blocked_by": list(b.blocked_by)}
                             for b in sample.activity]}

    def conditions(self, sample: PostgresSample) -> list[Condition]:
        conds: list[Condition] = []
        pool = self.rule("DBPoolExhaustion")
        if pool.threshold is not None:
            active = sample.connections >= pool.threshold * sample.max_connections
            conds.append(Condition("DBPoolExhaustion", active, pool.severity,
                                   f"{sample.connections}/{sample.max_connections} connections"))
        slow = self.rule("LongRunningQuery")
        if slow.threshold is not None:
            active = sample.longest_query_s > slow.threshold
            who = f" (pid {sample.longest_query_pid})" if sample.longest_query_pid else ""
            conds.append(Condition("LongRunningQuery", active, slow.severity,
                                   f"query running {sample.longest_query_s:.0f}s{who}"))
        return conds

    def summary(self, sample: PostgresSample) -> str:
        parts = [f"{sample.connections}/{sample.max_connections} conns"]
        if sample.blocked:
            parts.append(f"{sample.blocked} blocked")
        if sample.idle_in_transaction:
            parts.append(f"{sample.idle_in_transaction} idle in tx")
        parts.append(f"longest {sample.longest_query_s:.1f}s")
        if sample.replication_lag_s is not None:
            parts.append(f"lag {sample.replication_lag_s:.1f}s")
        return " · ".join(parts)


def _sample(summary: dict[str, Any], rows: list[dict[str, Any]]) -> PostgresSample:
    by_state: dict[str, int] = {}
    longest, longest_pid, blocked, idle_tx = 0.0, None, 0, 0
    others: list[dict[str, Any]] = []
    for row in rows:
        state = row["state"] or "unknown"  # NULL: another user's backend we may not inspect
        by_state[state] = by_state.get(state, 0) + 1
        if state.startswith("idle in transaction"):
            idle_tx += 1
        if row["blocked_by"]:
            blocked += 1
        if row["is_self"]:
            continue
        others.append(row)
        query_s = row["query_s"]
        if state == "active" and query_s is not None and query_s > longest:
            longest, longest_pid = float(query_s), int(row["pid"])
    # busy backends first, then longest: what is hurting now tops the list
    others.sort(key=lambda r: (r["state"] in ("idle", None), -(r["duration_s"] or 0.0)))
    activity = tuple(
        Backend(pid=int(r["pid"]), user=r["user"], database=r["database"],
                application_name=r["application_name"], client_addr=r["client_addr"],
                state=r["state"],
                duration_s=round(r["duration_s"], 3) if r["duration_s"] is not None else None,
                wait_event_type=r["wait_event_type"], wait_event=r["wait_event"],
                blocked_by=tuple(int(p) for p in (r["blocked_by"] or ())), query=r["query"])
        for r in others[:ACTIVITY_LIMIT])
    lag = summary["replication_lag_s"]
    size = summary["database_size_bytes"]
    return PostgresSample(
        connections=len(rows),
        max_connections=int(summary["max_connections"]),
        by_state=by_state,
        longest_query_s=longest,
        longest_query_pid=longest_pid,
        blocked=blocked,
        idle_in_transaction=idle_tx,
        database_size_bytes=int(size) if size is not None else None,
        replication_lag_s=max(0.0, float(lag)) if lag is not None else None,
        activity=activity,
    )
