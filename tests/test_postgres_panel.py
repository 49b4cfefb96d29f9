"""Stories about the postgres panel, told against a real PostgreSQL (max_connections = 20)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from common.masking import mask_dsn
from panels.alerts import AlertState
from panels.base import AlertRule, Severity, Status
from panels.errors import classify
from panels.postgres import PostgresPanel
from panels.watch import PanelState, PanelWatch
from tests.fixtures.common import free_port
from tests.fixtures.postgres import PostgresServer, as_server_user, chown_tree, pg_binary

Connect = Callable[[], Awaitable[psycopg.AsyncConnection[tuple[Any, ...]]]]


@pytest.fixture
async def panels() -> AsyncIterator[list[PostgresPanel]]:
    """Every panel a test builds is closed afterwards, as the app does on quit."""
    made: list[PostgresPanel] = []
    yield made
    for panel in made:
        await panel.aclose()


@pytest.fixture
async def connect(postgres_server: PostgresServer) -> AsyncIterator[Connect]:
    """Open application connections (not opsdash's) that are closed after the test."""
    opened: list[psycopg.AsyncConnection[tuple[Any, ...]]] = []

    async def open_one() -> psycopg.AsyncConnection[tuple[Any, ...]]:
        conn = await psycopg.AsyncConnection.connect(postgres_server.dsn, autocommit=True,
                                                     application_name="story-app")
        opened.append(conn)
        return conn

    yield open_one
    for conn in opened:
        await conn.close()


def _panel(made: list[PostgresPanel], dsn: str,
           rules: dict[str, AlertRule] | None = None) -> PostgresPanel:
    panel = PostgresPanel("main", dsn=dsn, timeout=5.0, rules=rules)
    made.append(panel)
    return panel


def _alert(state: PanelState, name: str) -> AlertState | None:
    return next((a.state for a in state.alerts if a.name == name), None)


async def _poll_until(watch: PanelWatch, done: Callable[[PanelState], bool],
                      within_s: float = 20.0) -> PanelState:
    """Poll as the scheduler would until the story's condition shows (or give up)."""
    deadline = time.monotonic() + within_s
    while True:
        state = await watch.poll()
        if done(state) or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.2)


async def test_a_quiet_postgres_is_ok_and_reports_its_figures(
        postgres_server: PostgresServer, panels: list[PostgresPanel]) -> None:
    panel = _panel(panels, postgres_server.dsn)
    state = await PanelWatch(panel).poll()

    m = state.metrics
    assert state.status is Status.OK, state.summary
    assert m["max_connections"] == 20
    assert m["connections"] >= 1 and sum(m["by_state"].values()) == m["connections"]
    assert m["by_state"].get("active", 0) >= 1  # our own query, running as we ask
    assert m["connections_ratio"] == pytest.approx(m["connections"] / 20, abs=1e-3)
    assert m["database_size_bytes"] > 1_000_000
    assert m["replication_lag_s"] is None
    assert m["blocked"] == 0 and m["idle_in_transaction"] == 0
    assert all(b["application_name"] != "opsdash" for b in state.extra["activity"])
    assert state.series_value == float(m["connections"])
    assert f"/{20} conns" in state.summary


async def test_a_postgres_with_max_connections_20_and_18_open_fires_db_pool_exhaustion(
        postgres_server: PostgresServer, panels: list[PostgresPanel], connect: Connect) -> None:
    apps = [await connect() for _ in range(17)]  # + opsdash's own = 18 of 20
    watch = PanelWatch(_panel(panels, postgres_server.dsn))

    state = await watch.poll()

    assert state.metrics["connections"] >= 18
    assert _alert(state, "DBPoolExhaustion") is AlertState.FIRING
    assert state.status is Status.CRIT
    assert len([b for b in state.extra["activity"] if b["application_name"] == "story-app"]) \
        == len(apps)

    for conn in apps:
        await conn.close()
    calm = await _poll_until(watch, lambda s: s.metrics["connections"] < 18)
    assert _alert(calm, "DBPoolExhaustion") is AlertState.RESOLVED


async def test_a_transaction_holding_a_lock_makes_blocked_at_least_one(
        postgres_server: PostgresServer, panels: list[PostgresPanel], connect: Connect) -> None:
    holder, waiter = await connect(), await connect()
    await holder.execute("CREATE TABLE IF NOT EXISTS lock_story (id int PRIMARY KEY, n int)")
    await holder.execute("INSERT INTO lock_story VALUES (1, 0) ON CONFLICT DO NOTHING")
    await holder.execute("BEGIN")
    await holder.execute("UPDATE lock_story SET n = n + 1 WHERE id = 1")
    stuck = asyncio.create_task(waiter.execute("UPDATE lock_story SET n = n + 1 WHERE id = 1"))
    try:
        watch = PanelWatch(_panel(panels, postgres_server.dsn))
        state = await _poll_until(watch, lambda s: s.metrics.get("blocked", 0) >= 1)

        assert state.metrics["blocked"] >= 1
        assert state.metrics["idle_in_transaction"] >= 1  # the holder, sitting on its lock
        waiting = next(b for b in state.extra["activity"] if b["pid"] == waiter.info.backend_pid)
        assert waiting["blocked_by"] == [holder.info.backend_pid]
        assert waiting["wait_event_type"] == "Lock"
        assert waiting["query"].startswith("UPDATE lock_story")
        assert "1 blocked" in state.summary
    finally:
        await holder.execute("ROLLBACK")
        await stuck


async def test_a_query_past_the_long_running_threshold_fires_and_can_be_cancelled(
        postgres_server: PostgresServer, panels: list[PostgresPanel], connect: Connect) -> None:
    app = await connect()
    sleeper = asyncio.create_task(app.execute("SELECT pg_sleep(60)"))
    panel = _panel(panels, postgres_server.dsn,
                   rules={"LongRunningQuery": AlertRule(0.5, 0.0, Severity.WARN)})
    watch = PanelWatch(panel)

    state = await _poll_until(watch, lambda s: s.metrics.get("longest_query_s", 0) > 0.5)

    assert _alert(state, "LongRunningQuery") is AlertState.FIRING
    assert state.status is Status.WARN
    top = state.extra["activity"][0]
    assert top["pid"] == app.info.backend_pid and top["state"] == "active"
    assert top["duration_s"] > 0.5 and top["query"] == "SELECT pg_sleep(60)"

    assert await panel.cancel_backend(app.info.backend_pid) is True
    with pytest.raises(psycopg.errors.QueryCanceled):
        await sleeper
    calm = await watch.poll()
    assert _alert(calm, "LongRunningQuery") is AlertState.RESOLVED


async def test_a_query_with_escapes_reaches_the_drill_down_clean(
        postgres_server: PostgresServer, panels: list[PostgresPanel], connect: Connect) -> None:
    """Query text is whatever a client sent: it must not retitle or clear our terminal."""
    app = await connect()
    sleeper = asyncio.create_task(
        app.execute("SELECT pg_sleep(60) /* \x1b]0;PWNED\x07\x1b[2J\x9b6n */"))
    watch = PanelWatch(_panel(panels, postgres_server.dsn))
    try:
        state = await _poll_until(watch, lambda s: any(
            b["pid"] == app.info.backend_pid and "pg_sleep" in (b["query"] or "")
            for b in s.extra["activity"]))
        (mine,) = [b for b in state.extra["activity"] if b["pid"] == app.info.backend_pid]
        assert mine["query"] == "SELECT pg_sleep(60) /*  */"
    finally:
        app.cancel()
        with pytest.raises(psycopg.errors.QueryCanceled):
            await sleeper


async def test_terminating_a_backend_ends_its_session_but_never_our_own(
        postgres_server: PostgresServer, panels: list[PostgresPanel], connect: Connect) -> None:
    app = await connect()
    panel = _panel(panels, postgres_server.dsn)
    await PanelWatch(panel).poll()
    cur = await app.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'opsdash'")
    row = await cur.fetchone()
    assert row is not None

    assert await panel.terminate_backend(row[0]) is False  # opsdash never kills itself
    assert await panel.terminate_backend(app.info.backend_pid) is True
    with pytest.raises(psycopg.OperationalError):
        await app.execute("SELECT 1")
    assert (await PanelWatch(panel).poll()).status is Status.OK


async def test_the_panel_keeps_exactly_one_connection_over_many_polls(
        postgres_server: PostgresServer, panels: list[PostgresPanel], connect: Connect) -> None:
    observer = await connect()
    watch = PanelWatch(_panel(panels, postgres_server.dsn))
    counts = []
    for _ in range(5):
        assert (await watch.poll()).status is Status.OK
        cur = await observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opsdash'")
        counts.append((await cur.fetchone() or (None,))[0])
    assert counts == [1, 1, 1, 1, 1]


async def test_a_wrong_password_is_crit_auth_and_the_password_appears_nowhere(
        postgres_server: PostgresServer, panels: list[PostgresPanel]) -> None:
    wrong = "hunter2-not-it"
    watch = PanelWatch(_panel(panels, postgres_server.dsn_with(wrong)))

    state = await watch.poll()
    again = await watch.poll()  # inside the backoff: the same verdict, without a new attempt

    for s in (state, again):
        assert s.status is Status.CRIT
        assert s.error is not None and s.error.kind == "auth"
        assert _alert(s, "DatabaseUnreachable") is AlertState.FIRING
        shown = f"{s.summary} {s.target} {s.error} {s.as_json()} {s.alerts}"
        assert wrong not in shown and postgres_server.password not in shown
    assert ":****@" in state.target


async def test_nothing_listening_is_crit_refused_with_database_unreachable(
        panels: list[PostgresPanel]) -> None:
    dsn = f"postgresql://opsdash:pw@127.0.0.1:{free_port()}/postgres"
    state = await PanelWatch(_panel(panels, dsn)).poll()
    assert state.status is Status.CRIT
    assert state.error is not None and state.error.kind == "refused"
    assert _alert(state, "DatabaseUnreachable") is AlertState.FIRING


async def test_a_malformed_dsn_is_an_error_state_not_a_traceback(
        panels: list[PostgresPanel]) -> None:
    state = await PanelWatch(_panel(panels, "host=127.0.0.1 port=notaport password=zz9")).poll()
    assert state.status is Status.CRIT and state.error is not None
    assert "zz9" not in f"{state.summary} {state.target}"


async def test_postgres_stopped_is_database_unreachable_and_restarted_recovers(
        postgres_server: PostgresServer, panels: list[PostgresPanel]) -> None:
    watch = PanelWatch(_panel(panels, postgres_server.dsn))
    assert (await watch.poll()).status is Status.OK
    try:
        postgres_server.stop()
        down = await _poll_until(watch, lambda s: s.status is Status.CRIT)
        assert down.status is Status.CRIT
        assert _alert(down, "DatabaseUnreachable") is AlertState.FIRING
        assert down.metrics["max_connections"] == 20  # last good figures stay on the card
        down = await watch.poll()
        assert down.error is not None and down.error.kind == "refused"
    finally:
        postgres_server.start()
    back = await _poll_until(watch, lambda s: s.status is Status.OK, within_s=40.0)
    assert back.status is Status.OK, back.summary
    assert _alert(back, "DatabaseUnreachable") is AlertState.RESOLVED


async def test_after_a_long_outage_the_database_is_green_by_the_second_poll(
        postgres_server: PostgresServer, panels: list[PostgresPanel]) -> None:
    """A back-off that grew during the outage (1 s doubling to 30 s) kept the card red
    half a minute after the database was back; every poll must try again."""
    refresh = 1.0
    panel = PostgresPanel("main", dsn=postgres_server.dsn, timeout=1.0)
    panels.append(panel)
    watch = PanelWatch(panel)
    assert (await watch.poll()).status is Status.OK
    outage: list[PanelState] = []
    try:
        postgres_server.stop()
        # polled at the refresh through a 9 s outage: long enough for a doubling back-off
        # to have grown past 8 s
        ends = time.monotonic() + 9.0
        while time.monotonic() < ends:
            tick = time.monotonic()
            outage.append(await watch.poll())
            await asyncio.sleep(max(0.0, tick + refresh - time.monotonic()))
    finally:
        postgres_server.start()  # returns once a login and SELECT 1 work
    back_at = time.monotonic()
    after: list[PanelState] = []
    for _ in range(2):
        tick = time.monotonic()
        after.append(await watch.poll())
        if after[-1].status is Status.OK:
            break
        await asyncio.sleep(max(0.0, tick + refresh - time.monotonic()))
    recovered_in = time.monotonic() - back_at

    assert len(outage) >= 8
    assert {s.status for s in outage} == {Status.CRIT}
    assert {s.error.kind for s in outage if s.error} == {"refused"}
    assert after[-1].status is Status.OK, after[-1].summary
    assert recovered_in < 5.0
    assert _alert(after[-1], "DatabaseUnreachable") is AlertState.RESOLVED


def test_dsns_are_shown_with_their_password_masked() -> None:
    assert mask_dsn("postgresql://app:s3cr%40t@db:5432/main?sslmode=require") == \
        "postgresql://app:****@db:5432/main?sslmode=require"
    assert mask_dsn("postgres://app@db/main") == "postgres://app@db/main"
    assert mask_dsn("host=db user=app password='a b\\'c' dbname=main") == \
        "host=db user=app password='****' dbname=main"
    assert mask_dsn("host=db password = plain dbname=x") == "host=db password = **** dbname=x"
    assert mask_dsn("postgresql:///main?host=/run/pg&password=qq&user=u") == \
        "postgresql:///main?host=/run/pg&password=****&user=u"


# --- psycopg is not loaded while the database refuses -----------------------------------

_LAZY_CHILD = """
import asyncio, json, sys, threading
from panels.postgres import PostgresPanel
from panels.watch import PanelWatch

importers = []

def audit(event, args):
    if event == "import" and args[0] == "psycopg":
        importers.append(threading.current_thread() is threading.main_thread())

sys.addaudithook(audit)

async def main():
    panel = PostgresPanel("main", dsn=sys.argv[1], timeout=5.0)
    watch = PanelWatch(panel)
    states = [await watch.poll() for _ in range(2)]
    await panel.aclose()
    print(json.dumps({"summaries": [s.summary for s in states],
                      "errors": [str(s.error) for s in states],
                      "status": [s.status.value for s in states],
                      "loaded": sorted(m for m in sys.modules if m.startswith("psycopg")),
                      "imported_on_the_loop": importers[:1] == [True]}))

asyncio.run(main())
"""


ROOT = Path(__file__).resolve().parent.parent


def _in_fresh_interpreter(dsn: str) -> dict[str, Any]:
    """The panel polled twice in a new interpreter, where nothing has imported psycopg."""
    out = subprocess.run([sys.executable, "-c", _LAZY_CHILD, dsn], capture_output=True,
                         text=True, check=True, cwd=ROOT, timeout=60)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
async def test_a_refusing_address_reads_as_psycopg_says_it_without_loading_psycopg(
        host: str, panels: list[PostgresPanel]) -> None:
    port = free_port()
    dsn = f"postgresql://opsdash:pw@{host}:{port}/postgres?sslmode=prefer"
    lazy = _in_fresh_interpreter(dsn)
    # here psycopg is loaded (this module imports it): the panel connects with it
    loaded = [await PanelWatch(_panel(panels, dsn)).poll() for _ in range(2)]
    try:
        await psycopg.AsyncConnection.connect(dsn)
        raise AssertionError("something listens on a free port")
    except psycopg.OperationalError as exc:
        own_words = str(classify(exc))

    bare = host.strip("[]")
    pinned = (f'refused: connection failed: connection to server at "{bare}", port {port} '
              "failed: Connection refused Is the server running on that host and accepting "
              "TCP/IP connections?")
    assert lazy["loaded"] == []
    assert lazy["status"] == ["crit", "crit"]
    assert lazy["summaries"] == [s.summary for s in loaded] == [pinned, pinned]
    assert lazy["errors"] == [str(s.error) for s in loaded] == [own_words, own_words]


def test_a_database_that_answers_loads_psycopg_off_the_event_loop_and_is_ok(
        postgres_server: PostgresServer) -> None:
    lazy = _in_fresh_interpreter(postgres_server.dsn)
    assert lazy["status"] == ["ok", "ok"], lazy["summaries"]
    assert "psycopg" in lazy["loaded"]
    assert not lazy["imported_on_the_loop"]


@pytest.mark.parametrize("dsn", [
    "postgresql://opsdash@localhost:{port}/postgres",  # a name: libpq resolves it its way
    "postgresql://opsdash@127.0.0.1:{port},127.0.0.1:{port}/postgres",  # a list of hosts
    "host=127.0.0.1 port={port} user=opsdash",  # conninfo: left to libpq
    "postgresql://opsdash@127.0.0.1:{port}/postgres?target_session_attrs=any",
])
def test_a_dsn_the_tcp_look_cannot_read_exactly_is_left_to_psycopg(dsn: str) -> None:
    lazy = _in_fresh_interpreter(dsn.format(port=free_port()))
    assert "psycopg" in lazy["loaded"]
    assert not lazy["imported_on_the_loop"]
    assert lazy["status"] == ["crit", "crit"]
    assert all(e.startswith("refused: connection failed") for e in lazy["errors"])


# --- the test bed's own promise: `start()` returns once logins work ---------------------

PROMOTE_AFTER_S = 2.0


@pytest.fixture
def standby_cluster() -> Iterator[PostgresServer]:
    """A fresh cluster that starts as a standby with hot_standby off.

    Such a server listens on its port at once but answers every login with SQLSTATE
    57P03 until it is promoted: the "starting up" gap, made as long as a test needs.
    """
    base = Path(tempfile.mkdtemp(prefix="opsdash-pg-standby-"))
    os.chmod(base, 0o755)
    server = PostgresServer(base=base, port=free_port())
    try:
        server.initdb()
        with (server.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("hot_standby = off\n")
        (server.data_dir / "standby.signal").touch()
        chown_tree(server.data_dir)
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_the_fixture_returns_only_once_a_login_and_select_1_work(
        standby_cluster: PostgresServer) -> None:
    """Right after start(), one plain connect (no retry) must work: no port-only wait."""
    promoted = threading.Event()

    def promote() -> None:
        subprocess.run(as_server_user(pg_binary("pg_ctl"), "promote", "-W",
                                      "-D", str(standby_cluster.data_dir)),
                       capture_output=True, check=True)
        promoted.set()

    timer = threading.Timer(PROMOTE_AFTER_S, promote)
    timer.start()
    try:
        standby_cluster.start()
        with psycopg.connect(standby_cluster.dsn, autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        timer.cancel()
        timer.join()
    assert promoted.is_set()  # it really had to wait out the refusing phase


def test_the_fixture_gives_up_at_its_deadline_with_the_last_refusal(
        standby_cluster: PostgresServer) -> None:
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=r"accepted no login within 2\.0s \(last: .*"
                                                     r"not accepting connections"):
        standby_cluster.start(timeout=2.0)
    # the deadline holds: 2 s plus one connect attempt's slack, not the default 30 s
    assert time.monotonic() - started < 2.0 + 6.0
