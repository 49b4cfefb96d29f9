"""`opsdash check` stories, through the real command line in a subprocess, against real servers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from panels.base import Condition, Panel, Status
from tests.fixtures.common import free_port
from tests.fixtures.http import HTTPService
from tests.fixtures.postgres import PostgresServer
from tui.commands.check import run_round
from tui.config.loader import Config

OPSDASH = [sys.executable, "-m", "tui.cli"]
REPO = Path(__file__).resolve().parent.parent

#: host thresholds no machine can cross, so the host panel's status is ours to choose
CALM_HOST = """
[host]
mounts = ["/"]
[alerts.DiskFull]
threshold = 0.0
warn = 0.0
[alerts.MemoryHigh]
threshold = 1.0
for = "0s"
"""


@dataclass
class Run:
    code: int
    out: str
    err: str
    elapsed: float

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data

    def panel(self, panel_id: str) -> dict[str, Any]:
        (found,) = [p for p in self.json["panels"] if p["id"] == panel_id]
        return found


def check(tmp_path: Path, config: str | None, *args: str,
          env: dict[str, str] | None = None) -> Run:
    """Run `opsdash check [--config F] ARGS` in tmp_path, as a user would from a shell."""
    cmd = [*OPSDASH, "check", *args]
    if config is not None:
        path = tmp_path / "opsdash.toml"
        path.write_text(textwrap.dedent(config).lstrip("\n"))
        cmd += ["--config", str(path)]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=tmp_path, env=full_env, capture_output=True, text=True,
                          timeout=60, check=False)
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def assert_clean_error(run: Run) -> str:
    """A user's mistake: exit 3, nothing on stdout, exactly one line on stderr."""
    assert run.code == 3, run
    assert run.out == ""
    assert "Traceback" not in run.err
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    return lines[0]


# --- exit codes ------------------------------------------------------------------------------


def test_a_calm_host_is_ok_and_exits_0(tmp_path: Path) -> None:
    run = check(tmp_path, CALM_HOST, "--json")
    assert run.code == 0, run.err
    assert run.json["status"] == "ok"
    assert run.panel("host:host")["status"] == "ok"


def test_a_disk_under_the_warn_line_warns_and_exits_1(tmp_path: Path) -> None:
    run = check(tmp_path, CALM_HOST.replace("warn = 0.0", "warn = 1.01"), "--json")
    assert run.code == 1, run.err
    host = run.panel("host:host")
    assert host["status"] == "warn"
    assert host["alerts"] == [{"name": "DiskFull", "state": "firing", "severity": "warn"}]


def test_a_disk_under_the_crit_line_is_crit_and_exits_2(tmp_path: Path) -> None:
    run = check(tmp_path, CALM_HOST.replace("threshold = 0.0", "threshold = 1.01"), "--json")
    assert run.code == 2, run.err
    assert run.json["status"] == "crit"
    assert run.panel("host:host")["alerts"] == [
        {"name": "DiskFull", "state": "firing", "severity": "crit"}]


def test_an_absent_docker_engine_is_unknown_and_exits_3(tmp_path: Path) -> None:
    run = check(tmp_path, f"""
        [containers]
        docker_host = "unix://{tmp_path}/no-docker.sock"
    """, "--json")
    assert run.code == 3, run.err
    assert run.json["status"] == "unknown"
    assert run.panel("containers:containers")["status"] == "unknown"


def test_an_alert_whose_for_has_not_passed_is_pending_and_warns(tmp_path: Path) -> None:
    config = CALM_HOST.replace('threshold = 1.0\nfor = "0s"', 'threshold = 0.0\nfor = "10m"')
    run = check(tmp_path, config, "--json")
    assert run.code == 1, run.err
    assert run.panel("host:host")["alerts"] == [
        {"name": "MemoryHigh", "state": "pending", "severity": "warn"}]


def test_the_worst_panel_decides_the_exit_code(tmp_path: Path) -> None:
    port = free_port()
    run = check(tmp_path, CALM_HOST + f"""
        [[redis]]
        name = "broker"
        url = "redis://127.0.0.1:{port}/0"
    """, "--json")
    assert run.code == 2
    assert [(p["id"], p["status"]) for p in run.json["panels"]] == \
        [("host:host", "ok"), ("redis:broker", "crit")]


# --- output --------------------------------------------------------------------------------


def test_json_output_has_exactly_the_documented_shape(tmp_path: Path,
                                                      http_service: HTTPService) -> None:
    http_service.route("/readyz", status=503, body={"status": "down"})
    run = check(tmp_path, CALM_HOST + f"""
        [[health]]
        name = "api"
        url = "{http_service.url_for('/readyz')}"
    """, "--json")
    data = run.json
    assert set(data) == {"status", "panels"}
    assert data["status"] == "crit"  # the 503 health check is the worst panel
    for panel in data["panels"]:
        assert set(panel) == {"id", "kind", "status", "summary", "metrics", "alerts"}
        assert isinstance(panel["metrics"], dict)
        for alert in panel["alerts"]:
            assert set(alert) == {"name", "state", "severity"}
    api = run.panel("health:api")
    assert api["kind"] == "health"
    assert api["metrics"]["http_status"] == 503
    assert {"name": "ServiceDown", "state": "firing", "severity": "crit"} in api["alerts"]
    assert (run.code, data["status"]) == (2, "crit")


def test_a_healthy_endpoint_is_ok(tmp_path: Path, http_service: HTTPService) -> None:
    http_service.route("/readyz", status=200, body={"status": "ok", "database": {"ok": True}})
    run = check(tmp_path, CALM_HOST + f"""
        [[health]]
        url = "{http_service.url_for('/readyz')}"
    """, "--json")
    assert run.code == 0, run.out
    api = run.panel("health:127.0.0.1")
    assert api["metrics"]["ok"] is True
    assert api["metrics"]["http_status"] == 200


def test_traffic_is_scraped_twice_so_rates_exist(tmp_path: Path,
                                                 http_service: HTTPService) -> None:
    http_service.observe(n=100, status=200, seconds=0.05)
    # a fixed page (so its hits are counted): the same counters twice make a rate of 0,
    # where one scrape alone would have no rate at all
    http_service.route("/metrics", body=http_service.render_metrics(),
                       content_type=CONTENT_TYPE_LATEST)
    run = check(tmp_path, f"""
        refresh = 0.5
        [[traffic]]
        name = "api"
        metrics_url = "{http_service.url_for('/metrics')}"
    """, "--json")
    assert http_service.hits("/metrics") == 2
    traffic = run.panel("traffic:api")
    assert traffic["status"] == "ok", traffic
    assert traffic["metrics"]["request_rate"] == 0.0


def test_text_mode_prints_one_line_per_panel_with_firing_alerts(tmp_path: Path) -> None:
    port = free_port()
    run = check(tmp_path, CALM_HOST.replace("threshold = 0.0", "threshold = 1.01") + f"""
        [[redis]]
        name = "broker"
        url = "redis://127.0.0.1:{port}/0"
    """)
    assert run.code == 2
    head, host, redis = run.out.strip().splitlines()
    assert head.startswith("CRIT: 2 panels")
    assert host.startswith("CRIT") and "host:host" in host and "[DiskFull]" in host
    assert redis.split()[:2] == ["CRIT", "redis:broker"]
    assert "refused" in redis and "RedisUnreachable" in redis


#: the documented exit codes, and "worst of" as the contract orders it (crit beats warn
#: beats unknown beats ok), written out here rather than read from the code under test
EXIT_CODES = {"ok": 0, "warn": 1, "crit": 2, "unknown": 3}
WORST_FIRST = ("crit", "warn", "unknown", "ok")


def test_without_a_config_discovery_runs_and_says_how_to_add_more(tmp_path: Path) -> None:
    """What answers locally differs by machine, so the exit code is pinned to the panels'
    own statuses through the contract: the worst of them, then its documented code."""
    no_docker = {"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    run = check(tmp_path, None, "--json", env=no_docker)
    statuses = [p["status"] for p in run.json["panels"]]
    worst = next(s for s in WORST_FIRST if s in statuses)

    assert run.json["panels"][0]["id"] == "host:host"
    assert "containers:containers" not in [p["id"] for p in run.json["panels"]]
    assert run.json["status"] == worst
    assert run.code == EXIT_CODES[worst], run.err
    text = check(tmp_path, None, env=no_docker)  # the hints go with the text output
    assert "host:host" in text.out
    assert "no config found; watching this host" in text.err
    assert "examples/opsdash.toml" in text.err
    assert "no containers panel" in text.err


# --- failures of the sources ---------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


def test_a_target_that_never_answers_is_crit_within_its_timeout(tmp_path: Path,
                                                                 silent_port: int) -> None:
    run = check(tmp_path, f"""
        [[health]]
        name = "stuck"
        url = "http://127.0.0.1:{silent_port}/readyz"
        timeout = 1
    """, "--json")
    assert run.code == 2
    stuck = run.panel("health:stuck")
    assert stuck["status"] == "crit"
    # ended by its own 1 s timeout (the message says so), not by a hang: check() gives the
    # whole run 60 s. No upper time bound: interpreter start-up on a busy machine varies
    assert stuck["summary"].endswith("no answer after 1s"), stuck["summary"]
    assert run.elapsed >= 1  # a timer never fires early


def test_a_refused_port_is_crit_refused(tmp_path: Path) -> None:
    port = free_port()
    run = check(tmp_path, f"""
        [[health]]
        name = "api"
        url = "http://127.0.0.1:{port}/readyz"
    """, "--json")
    assert run.code == 2
    api = run.panel("health:api")
    assert api["status"] == "crit"
    assert api["summary"].startswith("refused")
    assert {"name": "ServiceDown", "state": "firing", "severity": "crit"} in api["alerts"]


def test_a_wrong_database_password_is_crit_auth_and_never_printed(
        tmp_path: Path, postgres_server: PostgresServer) -> None:
    wrong = "not-the-pass-7x9"
    dsn = postgres_server.dsn_with(wrong)
    for args in (("--json",), ()):
        run = check(tmp_path, f"""
            [[postgres]]
            name = "main"
            dsn = "{dsn}"
        """, *args)
        assert run.code == 2
        assert wrong not in run.out and wrong not in run.err
        assert postgres_server.password not in run.out + run.err
    json_run = check(tmp_path, f'[[postgres]]\nname = "main"\ndsn = "{dsn}"\n', "--json")
    main = json_run.panel("postgres:main")
    assert main["summary"].startswith("auth")
    assert {"name": "DatabaseUnreachable", "state": "firing", "severity": "crit"} \
        in main["alerts"]


def test_the_right_database_password_from_the_environment_is_ok(
        tmp_path: Path, postgres_server: PostgresServer) -> None:
    run = check(tmp_path, '[[postgres]]\nname = "main"\ndsn = "${TEST_DSN}"\n', "--json",
                env={"TEST_DSN": postgres_server.dsn})
    assert run.code == 0, run.out
    assert run.panel("postgres:main")["metrics"]["max_connections"] == 20
    assert postgres_server.password not in run.out


# --- bad config ----------------------------------------------------------------------------


def test_malformed_toml_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    line = assert_clean_error(check(tmp_path, """
        refresh = 2
        [[redis]
        url = "redis://127.0.0.1:6379/0"
    """, "--json"))
    assert line.startswith(f"opsdash: {tmp_path / 'opsdash.toml'}:2: invalid TOML")


def test_an_unknown_key_is_one_line_and_exit_3(tmp_path: Path) -> None:
    line = assert_clean_error(check(tmp_path, """
        [[redis]]
        ulr = "redis://127.0.0.1:6379/0"
    """))
    assert line.endswith(':2: [[redis]] #1 "ulr": unknown key (did you mean "url"?)')


def test_a_missing_config_file_is_one_line(tmp_path: Path) -> None:
    run = check(tmp_path, None, "--config", str(tmp_path / "nope.toml"))
    line = assert_clean_error(run)
    assert line == f"opsdash: {tmp_path / 'nope.toml'}: no such config file"


def test_an_unset_variable_is_named(tmp_path: Path) -> None:
    line = assert_clean_error(check(tmp_path, """
        [[postgres]]
        dsn = "${OPSDASH_TEST_UNSET_DSN}"
    """))
    assert "OPSDASH_TEST_UNSET_DSN is not set" in line


# --- the round's own guard ----------------------------------------------------------------


class _StubbornPanel(Panel[int]):
    """A client that swallows cancellation, as a buggy driver might: only the guard stops it."""

    kind = "host"

    async def collect(self) -> int:
        while True:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                continue

    def metrics(self, sample: int) -> dict[str, Any]:
        return {}

    def conditions(self, sample: int) -> list[Condition]:
        return []

    def summary(self, sample: int) -> str:
        return ""


def test_a_client_that_ignores_cancellation_cannot_hold_the_round() -> None:
    # a hang would hold the round forever: a generous deadline tells that apart from a
    # slow machine (no tight bound on how long the guard took)
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(run_round, [_StubbornPanel("stubborn", timeout=0.5)],
                             Config()).result(timeout=60)
    (state,) = result.states
    assert (state.status, state.error and state.error.kind) == (Status.CRIT, "timeout")
