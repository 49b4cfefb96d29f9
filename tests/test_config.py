"""Config stories: a mistake in opsdash.toml is one line naming the file, the line and the key."""

from __future__ import annotations

import math
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from panels.alerts import DEFAULT_RULES
from panels.base import AlertRule, Severity
from tests.fixtures.common import free_port
from tests.fixtures.redis import RedisServer
from tui.config.discovery import discover
from tui.config.loader import (
    Config,
    ConfigError,
    build_panels,
    expand_env,
    find_config,
    load_config,
)


def write(tmp_path: Path, text: str, name: str = "opsdash.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def config_error(tmp_path: Path, text: str) -> str:
    """The one-line message a user sees for this file."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    return message.removeprefix(f"{path}:")


# --- bad input, each located -------------------------------------------------------------


def test_a_misspelt_panel_key_names_table_line_and_the_close_match(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        refresh = 2

        [[redis]]
        name = "a"
        url = "redis://127.0.0.1:6379/0"

        [[redis]]
        name = "b"
        ulr = "redis://127.0.0.1:6379/1"
    """)
    assert msg == '9: [[redis]] #2 "ulr": unknown key (did you mean "url"?)'


def test_an_unknown_top_level_key_suggests_the_real_one(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        # comment
        refesh = 2
    """)
    assert msg == '2: "refesh": unknown key (did you mean "refresh"?)'


def test_an_unknown_table_is_reported_at_its_header(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        refresh = 2

        [[heath]]
        url = "http://127.0.0.1/"
    """)
    assert msg == '3: "heath": unknown key (did you mean "health"?)'


def test_a_key_in_a_single_table_is_located(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        [host]
        mounts = ["/"]

        [containers]
        docker_host = "unix:///var/run/docker.sock"
        al = true
    """)
    assert msg == '6: [containers] "al": unknown key (did you mean "all"?)'


@pytest.mark.parametrize(("body", "expected"), [
    ('refresh = "fast"\n', '1: "refresh": expected a number of seconds, got the string \'fast\''),
    ('read_only = "yes"\n', '1: "read_only": expected true/false, got the string \'yes\''),
    ('[[redis]]\nurl = "redis://h"\nqueues = "celery"\n',
     '3: [[redis]] #1 "queues": expected a list, got the string \'celery\''),
    ('[[redis]]\nurl = "redis://h"\nqueues = [1, 2]\n',
     '3: [[redis]] #1 "queues": expected a list of strings, got an item 1'),
    ('[[health]]\nurl = "http://h/"\ntimeout = true\n',
     '3: [[health]] #1 "timeout": expected a number, got true'),
    ('[[health]]\nurl = "http://h/"\nheaders = { "X-Key" = 5 }\n',
     '3: [[health]] #1 "headers.X-Key": expected a string, got 5'),
    ('[host]\nmounts = "/"\n', '2: [host] "mounts": expected a list, got the string \'/\''),
])
def test_a_wrong_type_says_what_was_expected(tmp_path: Path, body: str, expected: str) -> None:
    assert config_error(tmp_path, body) == expected


def test_a_missing_required_key_points_at_the_table(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        [[health]]
        url = "http://127.0.0.1/"

        [[health]]
        name = "api"
    """)
    assert msg == '4: [[health]] #2: missing required key "url"'


def test_traffic_needs_a_metrics_or_prometheus_url(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        [[traffic]]
        name = "api"
    """)
    assert msg.startswith('1: [[traffic]] #1: needs "metrics_url"')


@pytest.mark.parametrize(("line", "fragment"), [
    ('url = "ftp://127.0.0.1/"', "unsupported scheme 'ftp'"),
    ('url = "http:///readyz"', "no host in URL"),
    ('url = "127.0.0.1:8000/readyz"', "not a URL"),
    ('url = "http://127.0.0.1:99999/"', "bad URL"),
])
def test_a_bad_health_url_is_rejected(tmp_path: Path, line: str, fragment: str) -> None:
    msg = config_error(tmp_path, f'[[health]]\nname = "api"\n{line}\n')
    assert msg.startswith('3: [[health]] #1 "url": ')
    assert fragment in msg


def test_a_redis_url_with_an_http_scheme_is_rejected(tmp_path: Path) -> None:
    msg = config_error(tmp_path, '[[redis]]\nurl = "http://127.0.0.1:6379"\n')
    assert msg.startswith('2: [[redis]] #1 "url": unsupported scheme \'http\'')
    assert "redis, rediss, unix" in msg


def test_a_bad_url_never_echoes_its_password(tmp_path: Path) -> None:
    msg = config_error(tmp_path, '[[postgres]]\ndsn = "mysql://app:hunter2@db:3306/x"\n')
    assert "hunter2" not in msg
    assert "app:****@db" in msg
    assert msg.startswith('2: [[postgres]] #1 "dsn": unsupported scheme')


def test_a_postgres_conninfo_string_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, '[[postgres]]\ndsn = "host=/var/run/postgresql dbname=app"\n')
    (spec,) = load_config(path).panels
    assert spec.name == "local"
    assert spec.options == {"dsn": "host=/var/run/postgresql dbname=app"}


def test_an_unknown_alert_suggests_the_canonical_name(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        refresh = 1

        [alerts.DiskFul]
        threshold = 0.1
    """)
    assert msg.startswith('3: [alerts.DiskFul]: unknown alert (did you mean "DiskFull"?)')


def test_an_unknown_alert_field_is_located(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        [alerts.DiskFull]
        threshold = 0.1
        fore = "5m"
    """)
    assert msg == '3: [alerts.DiskFull] "fore": unknown key (did you mean "for"?)'


@pytest.mark.parametrize("value", ['"10 minutes"', '"5x"', "-5", '""', "true", '"m10"'])
def test_a_bad_duration_is_rejected_at_its_line(tmp_path: Path, value: str) -> None:
    msg = config_error(tmp_path, f'[alerts.MemoryHigh]\nthreshold = 0.9\nfor = {value}\n')
    assert msg.startswith('3: [alerts.MemoryHigh] "for": ')


def test_a_bad_severity_is_rejected(tmp_path: Path) -> None:
    msg = config_error(tmp_path, '[alerts.HighLatency]\nseverity = "page"\n')
    assert msg == '2: [alerts.HighLatency] "severity": expected "warn" or "crit", ' \
                  "got the string 'page'"


def test_a_duplicate_name_within_a_kind_is_rejected(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        [[redis]]
        name = "broker"
        url = "redis://127.0.0.1:6379/0"

        [[redis]]
        name = "broker"
        url = "redis://127.0.0.1:6380/0"
    """)
    assert msg == "6: [[redis]] #2 \"name\": duplicate redis name 'broker' " \
                  "(also used by [[redis]] #1)"


def test_the_same_name_in_two_kinds_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, """
        [[health]]
        name = "api"
        url = "http://127.0.0.1:8000/readyz"
        [[traffic]]
        name = "api"
        metrics_url = "http://127.0.0.1:8000/metrics"
    """)
    assert [(s.kind, s.name) for s in load_config(path).panels] == \
        [("health", "api"), ("traffic", "api")]


@pytest.mark.parametrize(("body", "expected"), [
    ("refresh = 0\n", '1: "refresh": must be > 0, got 0'),
    ("refresh = -1.5\n", '1: "refresh": must be > 0, got -1.5'),
    ("timeout = 0\n", '1: "timeout": must be > 0, got 0'),
    ('[host]\ninterval = 0\n', '2: [host] "interval": must be > 0, got 0'),
])
def test_a_non_positive_interval_is_rejected(tmp_path: Path, body: str, expected: str) -> None:
    assert config_error(tmp_path, body) == expected


def test_a_refresh_override_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--refresh must be"):
        load_config(write(tmp_path, "refresh = 2\n"), refresh=0)


def test_a_toml_syntax_error_is_reformatted_to_file_and_line(tmp_path: Path) -> None:
    msg = config_error(tmp_path, """
        refresh = 2

        [[redis]]
        url = "redis://127.0.0.1:6379
    """)
    assert msg.startswith("4: invalid TOML: ")
    assert "column" in msg


def test_a_missing_runbooks_folder_is_located(tmp_path: Path) -> None:
    msg = config_error(tmp_path, '[runbooks]\ndirs = ["./nope"]\n')
    assert msg.startswith('2: [runbooks] "dirs": no such folder')


def test_a_runbook_map_for_an_unknown_alert_is_rejected(tmp_path: Path) -> None:
    msg = config_error(tmp_path, '[runbooks.map]\nQueueStuck = ["q.md#stuck"]\n')
    assert msg.startswith('2: [runbooks.map] "QueueStuck": unknown alert')


def test_an_explicit_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        find_config(str(tmp_path / "missing.toml"))


def test_a_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "opsdash.toml"
    path.write_bytes(b"refresh = 2\n# \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


# --- environment ---------------------------------------------------------------------------


def test_env_vars_expand_in_every_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_KEY", "k-123")
    monkeypatch.setenv("REDIS_HOST", "10.0.0.7")
    path = write(tmp_path, """
        [[health]]
        name = "api"
        url = "http://127.0.0.1:8000/readyz"
        headers = { "X-API-Key" = "${ADMIN_KEY}" }

        [[redis]]
        url = "redis://${REDIS_HOST}:6379/0"
        queues = ["${QUEUE:-celery}", "mail"]
    """)
    health, redis = load_config(path).panels
    assert health.options["headers"] == {"X-API-Key": "k-123"}
    assert redis.options["url"] == "redis://10.0.0.7:6379/0"
    assert redis.options["queues"] == ("celery", "mail")
    assert redis.name == "10.0.0.7"  # no name given: the URL's host


def test_an_unset_env_var_is_named_with_its_line(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    msg = config_error(tmp_path, """
        [[postgres]]
        name = "main"
        dsn = "${DATABASE_URL}"
    """)
    assert msg.startswith('3: [[postgres]] #1 "dsn": environment variable DATABASE_URL is not set')


def test_default_syntax_covers_empty_and_unset() -> None:
    env = {"EMPTY": "", "SET": "x"}
    assert expand_env("${EMPTY:-d}|${UNSET:-d}|${SET:-d}|${SET}", env) == "d|d|x|x"
    assert expand_env("no vars, $HOME stays", env) == "no vars, $HOME stays"
    with pytest.raises(KeyError):
        expand_env("${UNSET}", env)


# --- values and defaults ----------------------------------------------------------------


def test_an_alert_override_keeps_the_fields_it_does_not_set(tmp_path: Path) -> None:
    path = write(tmp_path, """
        [alerts.TaskQueueStuck]
        threshold = 50
        for = "0s"

        [alerts.DiskFull]
        warn = 0.25

        [alerts.HighLatency]
        severity = "crit"
        for = 90
    """)
    config = load_config(path)
    assert config.alerts == {
        "TaskQueueStuck": AlertRule(50.0, 0.0, Severity.WARN),
        "DiskFull": AlertRule(0.05, 0.0, Severity.CRIT, warn=0.25),
        "HighLatency": AlertRule(500.0, 90.0, Severity.CRIT),
    }
    assert config.rules["MemoryHigh"] == DEFAULT_RULES["MemoryHigh"]


def test_an_empty_file_means_defaults_for_everything(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing yet\n"))
    assert config.refresh == 2.0
    assert config.timeout == 5.0
    assert config.panels == ()
    assert config.alerts == {}
    assert config.rules == DEFAULT_RULES
    assert not config.discovered and not config.read_only
    assert config.source == tmp_path / "opsdash.toml"


def test_timeouts_intervals_names_and_paths(tmp_path: Path) -> None:
    (tmp_path / "runbooks").mkdir()
    path = write(tmp_path, """
        refresh = 3
        timeout = 4
        journal = "journal.jsonl"
        read_only = true

        [runbooks]
        dirs = ["runbooks"]
        [runbooks.map]
        DiskFull = ["disk.md#disk-full"]
        ServiceDown = "api.md#down"

        [[health]]
        url = "https://api.example.com/readyz"
        timeout = 1.5
        interval = 10

        [[health]]
        url = "https://api.example.com/livez"

        [host]
    """)
    config = load_config(path)
    h1, h2, host = config.panels
    assert (h1.name, h1.timeout, h1.interval) == ("api.example.com", 1.5, 10.0)
    assert (h2.name, h2.timeout, h2.interval) == ("api.example.com-2", 4.0, None)
    assert (host.kind, host.name, host.options) == ("host", "host", {})
    assert config.refresh == 3.0 and config.read_only
    assert config.journal == tmp_path / "journal.jsonl"
    assert config.runbook_dirs == (tmp_path / "runbooks",)
    assert config.runbook_map == {"DiskFull": ("disk.md#disk-full",),
                                  "ServiceDown": ("api.md#down",)}


def test_refresh_on_the_command_line_overrides_every_interval(tmp_path: Path) -> None:
    path = write(tmp_path, """
        refresh = 3
        [[health]]
        url = "http://127.0.0.1/"
        interval = 10
        [host]
    """)
    config = load_config(path, refresh=0.5)
    assert config.refresh == 0.5
    assert [s.interval for s in config.panels] == [0.5, 0.5]


def test_single_tables_are_also_accepted_as_arrays(tmp_path: Path) -> None:
    path = write(tmp_path, """
        [[host]]
        mounts = ["/"]
        [[host]]
        name = "tmp"
        mounts = ["/tmp"]
    """)
    assert [(s.name, s.options["mounts"]) for s in load_config(path).panels] == \
        [("host", ("/",)), ("tmp", ("/tmp",))]


def test_host_tables_with_prometheus_url_and_instance_are_other_hosts(tmp_path: Path) -> None:
    """`[host]` stays this machine; `[[host]]` entries may each name a node_exporter."""
    path = write(tmp_path, """
        [[host]]
        mounts = ["/"]
        [[host]]
        prometheus_url = "http://prom.internal:9090"
        instance = "db1:9100"
        [[host]]
        name = "web1"
        prometheus_url = "https://prom.internal/"
        instance = "web1:9100"
        job = "node"
        mounts = ["/", "/var"]
        headers = { Authorization = "Bearer t" }
    """)
    panels = load_config(path).panels
    assert [(s.name, s.options) for s in panels] == [
        ("host", {"mounts": ("/",)}),
        ("db1:9100", {"prometheus_url": "http://prom.internal:9090", "instance": "db1:9100"}),
        ("web1", {"prometheus_url": "https://prom.internal/", "instance": "web1:9100",
                  "job": "node", "mounts": ("/", "/var"),
                  "headers": {"Authorization": "Bearer t"}}),
    ]


@pytest.mark.parametrize(("table", "expected"), [
    ('prometheus_url = "http://prom:9090"',
     '1: [[host]] #1: missing required key "instance" ("prometheus_url" needs it)'),
    ('instance = "db1:9100"',
     '1: [[host]] #1: missing required key "prometheus_url" ("instance" needs it)'),
    ('job = "node"', '1: [[host]] #1: missing required key "prometheus_url" ("job" needs it)'),
    ('prometheus_url = "ftp://prom"\ninstance = "db1:9100"',
     "2: [[host]] #1 \"prometheus_url\": unsupported scheme 'ftp' in 'ftp://prom' "
     "(expected http, https)"),
])
def test_a_host_read_through_prometheus_needs_both_url_and_instance(
        tmp_path: Path, table: str, expected: str) -> None:
    assert config_error(tmp_path, f"[[host]]\n{table}\n") == expected


def test_a_single_host_table_may_also_be_read_through_prometheus(tmp_path: Path) -> None:
    path = write(tmp_path, """
        [host]
        prometheus_url = "http://prom:9090"
        instance = "db1:9100"
    """)
    [spec] = load_config(path).panels
    assert spec.name == "db1:9100"
    [panel] = build_panels(load_config(path))
    assert type(panel).__name__ == "HostPromPanel" and panel.target == "db1:9100 via http://prom:9090"


def test_the_sample_config_loads_with_every_kind() -> None:
    sample = Path(__file__).parent.parent / "examples" / "opsdash.toml"
    config = load_config(sample)
    assert {s.kind for s in config.panels} == {"health", "traffic", "postgres", "redis",
                                               "host", "containers", "alertmanager"}
    assert config.alerts["TaskQueueStuck"].for_s == 600.0


def test_build_panels_passes_interval_timeout_rules_and_options(tmp_path: Path) -> None:
    path = write(tmp_path, """
        refresh = 3
        [host]
        mounts = ["/", "/tmp"]
        timeout = 2
        [alerts.DiskFull]
        threshold = 0.5
    """)
    (panel,) = build_panels(load_config(path))
    assert panel.id == "host:host"
    assert (panel.interval, panel.timeout) == (3.0, 2.0)
    assert panel.rules["DiskFull"].threshold == 0.5
    assert panel.rules["MemoryHigh"] == DEFAULT_RULES["MemoryHigh"]
    assert panel.target == "/, /tmp"


# --- where the config comes from --------------------------------------------------------


def test_lookup_order_is_flag_then_cwd_then_user_dir(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    user_dir = tmp_path / "xdg" / "opsdash"
    user_dir.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert find_config(None) is None
    (user_dir / "opsdash.toml").write_text("refresh = 1\n")
    assert find_config(None) == user_dir / "opsdash.toml"
    (work / "opsdash.toml").write_text("refresh = 1\n")
    assert find_config(None) == Path("opsdash.toml")
    other = write(tmp_path, "refresh = 1\n", "other.toml")
    assert find_config(str(other)) == other


# --- discovery ------------------------------------------------------------------------------


@pytest.fixture
def silent_unix_socket(tmp_path: Path) -> Iterator[Path]:
    """A listening Unix socket that stands in for a Docker engine's."""
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(path))
        s.listen()
        yield path


def test_with_nothing_listening_discovery_watches_only_this_host(tmp_path: Path) -> None:
    found = discover(postgres_addr=("127.0.0.1", free_port()), postgres_socket_dir=tmp_path,
                     redis_addr=("127.0.0.1", free_port()),
                     docker_socket=tmp_path / "docker.sock", env={})
    assert [(s.kind, s.options) for s in found.panels] == [("host", {"mounts": ("/",)})]
    assert found.hints[0].startswith("no config found; watching this host. Add [[health]]")
    assert "examples/opsdash.toml" in found.hints[0]
    assert any("no Redis answered" in h for h in found.hints)
    assert any("no PostgreSQL answered" in h for h in found.hints)
    assert any("no Docker socket" in h for h in found.hints)


def test_discovery_finds_a_real_redis(redis_server: RedisServer, tmp_path: Path) -> None:
    found = discover(postgres_addr=("127.0.0.1", free_port()), postgres_socket_dir=None,
                     redis_addr=("127.0.0.1", redis_server.port),
                     docker_socket=tmp_path / "docker.sock", env={})
    kinds = {s.kind: s for s in found.panels}
    assert set(kinds) == {"host", "redis"}
    assert kinds["redis"].options == {"url": f"redis://127.0.0.1:{redis_server.port}/0"}
    assert not any("no Redis" in h for h in found.hints)
    redis_server.stop()
    again = discover(postgres_addr=None, postgres_socket_dir=None,
                     redis_addr=("127.0.0.1", redis_server.port),
                     docker_socket=tmp_path / "docker.sock", env={})
    assert "redis" not in {s.kind for s in again.panels}


def test_discovery_uses_docker_host_or_the_default_socket(silent_unix_socket: Path,
                                                          tmp_path: Path) -> None:
    def containers(docker_socket: Path, env: dict[str, str]) -> list[dict[str, object]]:
        found = discover(postgres_addr=None, postgres_socket_dir=None, redis_addr=None,
                         docker_socket=docker_socket, env=env)
        return [s.options for s in found.panels if s.kind == "containers"]

    assert containers(docker_socket=silent_unix_socket, env={}) == \
        [{"docker_host": f"unix://{silent_unix_socket}"}]
    assert containers(docker_socket=tmp_path / "none.sock",
                      env={"DOCKER_HOST": f"unix://{silent_unix_socket}"}) == \
        [{"docker_host": f"unix://{silent_unix_socket}"}]
    assert containers(docker_socket=silent_unix_socket,
                      env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"}) == []


def test_discovery_prefers_the_postgres_socket_when_it_answers(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(tmp_path / f".s.PGSQL.{port}"))
        s.listen()
        found = discover(postgres_addr=("127.0.0.1", port), postgres_socket_dir=tmp_path,
                         redis_addr=None, docker_socket=tmp_path / "docker.sock", env={})
    (pg,) = [s for s in found.panels if s.kind == "postgres"]
    assert pg.options == {"dsn": f"host={tmp_path} port={port} dbname=postgres"}


def test_discovery_uses_tcp_postgres_when_there_is_no_socket(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        found = discover(postgres_addr=("127.0.0.1", port), postgres_socket_dir=tmp_path,
                         redis_addr=None, docker_socket=tmp_path / "docker.sock", env={})
    (pg,) = [s for s in found.panels if s.kind == "postgres"]
    assert pg.options == {"dsn": f"postgresql://127.0.0.1:{port}/postgres"}


def test_no_config_means_discovery() -> None:
    config: Config = load_config(None, refresh=1.0)
    assert config.discovered and config.source is None
    assert config.panels[0].kind == "host"
    assert all(s.interval == 1.0 for s in config.panels)
    assert config.hints


def test_a_traffic_window_is_checked_as_the_promql_range_it_becomes(tmp_path: Path) -> None:
    """`window` goes into `rate(...[window])`: a config duration Prometheus would refuse
    ("1.5m") is a config error naming the key, and one only Prometheus knows ("1w") loads."""
    msg = config_error(tmp_path, '[[traffic]]\nprometheus_url = "http://127.0.0.1:9090"\n'
                                 'window = "1.5m"\n')
    assert msg.startswith('3: [[traffic]] #1 "window": not a Prometheus duration')
    path = write(tmp_path, '[[traffic]]\nprometheus_url = "http://127.0.0.1:9090"\n'
                           'window = "1w"\n')
    assert load_config(path).panels[0].options["window"] == "1w"


# --- odd input: every mistake is one line naming the key -------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    ("refresh = nan\n", '1: "refresh": must be a finite number, got nan'),
    ("refresh = inf\n", '1: "refresh": must be a finite number, got inf'),
    ("timeout = -inf\n", '1: "timeout": must be a finite number, got -inf'),
    ('[[health]]\nurl = "http://a/"\ntimeout = nan\n',
     '3: [[health]] #1 "timeout": must be a finite number, got nan'),
    ('[[health]]\nurl = "http://a/"\nmax_body_bytes = -1\n',
     '3: [[health]] #1 "max_body_bytes": must be > 0, got -1'),
    ('[[health]]\nurl = "http://a/"\nfresh_within = inf\n',
     '3: [[health]] #1 "fresh_within": must be a finite number, got inf'),
    ('[[health]]\nname = "api.1"\nurl = "http://a/"\n[[health]]\nname = "api_1"\n'
     'url = "http://b/"\n',
     "5: [[health]] #2 \"name\": health name 'api_1' reads the same as 'api.1' once made "
     "an id; rename one"),
    ('[[health]]\nname = "ok\\u001b]0;PWNED\\u0007"\nurl = "http://a/"\n',
     "2: [[health]] #1 \"name\": must not contain control characters, got "
     "'ok\\\\x1b]0;PWNED\\\\x07'"),
], ids=["refresh-nan", "refresh-inf", "timeout-minus-inf", "panel-timeout-nan",
        "negative-body-cap", "freshness-inf", "names-collide-as-ids", "escape-in-name"])
def test_odd_numbers_and_names_are_one_line_errors(tmp_path: Path, body: str,
                                                   expected: str) -> None:
    assert config_error(tmp_path, body) == expected


def test_a_3000_deep_array_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "x = " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: arrays or tables nested too deeply to be a config"


@pytest.mark.parametrize("refresh", [math.nan, math.inf, 0.0, -1.0])
def test_a_cli_refresh_that_is_not_a_finite_positive_number_is_refused(
        tmp_path: Path, refresh: float) -> None:
    path = write(tmp_path, "refresh = 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, refresh=refresh)
    assert str(info.value) == f"--refresh must be a number of seconds > 0, not {refresh:g}"
