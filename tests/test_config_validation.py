"""Config validation, table by table and key by key: each mistake is one exact line.

Every case is a whole opsdash.toml and the exact message after `PATH:`; one case per
table and key for wrong types, out-of-range values, bad durations and unknown keys (in
every table, settings and panel kinds alike). No server: nothing here connects anywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from panels.alerts import CANONICAL_ALERTS
from panels.registry import KINDS
from tests.test_config import config_error, write
from tui.config.loader import load_config

HINT = '(use e.g. "30s", "10m", "1h30m")'
KNOWN = ", ".join(CANONICAL_ALERTS)

#: (case id, file text, exact message after "PATH:")
SETTINGS: list[tuple[str, str, str]] = [
    # top level
    ("top-unknown", "refesh = 2", '1: "refesh": unknown key (did you mean "refresh"?)'),
    ("top-unknown-far", "colour = 2", '1: "colour": unknown key'),
    ("refresh-string", 'refresh = "2"',
     "1: \"refresh\": expected a number of seconds, got the string '2'"),
    ("refresh-bool", "refresh = true", '1: "refresh": expected a number of seconds, got true'),
    ("refresh-zero", "refresh = 0", '1: "refresh": must be > 0, got 0'),
    ("refresh-negative", "refresh = -1.5", '1: "refresh": must be > 0, got -1.5'),
    ("refresh-nan", "refresh = nan", '1: "refresh": must be a finite number, got nan'),
    ("timeout-inf", "timeout = inf", '1: "timeout": must be a finite number, got inf'),
    ("timeout-zero", "# c\n\ntimeout = 0", '3: "timeout": must be > 0, got 0'),
    ("timeout-list", "timeout = [1]", '1: "timeout": expected a number of seconds, got a list'),
    ("read_only-string", 'read_only = "yes"',
     "1: \"read_only\": expected true/false, got the string 'yes'"),
    ("read_only-int", "read_only = 1", '1: "read_only": expected true/false, got 1'),
    ("journal-int", "journal = 3", '1: "journal": expected a path string, got 3'),
    ("journal-empty", 'journal = ""', "1: \"journal\": expected a path string, got the string ''"),
    ("env-unset", 'journal = "${OPSDASH_TEST_UNSET_VAR}/j"',
     '1: "journal": environment variable OPSDASH_TEST_UNSET_VAR is not set '
     "(export it, or write ${OPSDASH_TEST_UNSET_VAR:-default})"),
    # [runbooks]
    ("runbooks-not-table", "runbooks = 3", '1: "runbooks": expected a table, got 3'),
    ("runbooks-dir", '[runbooks]\ndir = ["rb"]',
     '2: [runbooks] "dir": unknown key (did you mean "dirs"?)'),
    ("runbooks-unknown", "[runbooks]\nfolders = 1", '2: [runbooks] "folders": unknown key'),
    ("runbooks-dirs-int", "[runbooks]\ndirs = 3",
     '2: [runbooks] "dirs": expected a list of folders, got 3'),
    ("runbooks-dirs-item", "[runbooks]\ndirs = [3]",
     '2: [runbooks] "dirs": expected a path string, got 3'),
    ("runbooks-map-string", '[runbooks]\nmap = "x"',
     "2: [runbooks] \"map\": expected a table, got the string 'x'"),
    ("runbooks-map-alert", '[runbooks.map]\nDiskFul = "disk.md"',
     '2: [runbooks.map] "DiskFul": unknown alert (did you mean "DiskFull"?)'),
    ("runbooks-map-refs", "[runbooks.map]\nDiskFull = 3",
     '2: [runbooks.map] "DiskFull": expected a list of runbook refs like "disk.md#disk-full"'),
    ("runbooks-map-empty-ref", '[runbooks.map]\nDiskFull = [""]',
     '2: [runbooks.map] "DiskFull": expected a list of runbook refs like "disk.md#disk-full"'),
    ("runbooks-urls-string", '[runbooks]\nurls = "x"',
     '2: [runbooks] "urls": expected a table of "URL prefix" = "folder", '
     "got the string 'x'"),
    ("runbooks-urls-folder", '[runbooks.urls]\n"https://wiki/" = 3',
     '2: [runbooks] "urls.https://wiki/": expected a path string, got 3'),
    # [prometheus]
    ("prometheus-not-table", "prometheus = 3", '1: "prometheus": expected a table, got 3'),
    ("prometheus-unknown", '[prometheus]\nurll = "http://p:9090"',
     '2: "prometheus.urll": unknown key (did you mean "url"?)'),
    ("prometheus-url-int", "[prometheus]\nurl = 3", '2: "prometheus.url": expected a URL, got 3'),
    ("prometheus-url-missing", "[prometheus]",
     '1: "prometheus": missing required key "url"'),
    ("prometheus-url-scheme", '[prometheus]\nurl = "ftp://p"',
     "2: \"prometheus.url\": unsupported scheme 'ftp' in 'ftp://p' (expected http, https)"),
    ("prometheus-url-host", '[prometheus]\nurl = "http://"',
     "2: \"prometheus.url\": no host in URL 'http://'"),
    # [recording]
    ("recording-not-table", "recording = 3", '1: "recording": expected a table, got 3'),
    ("recording-unknown", "[recording]\nenable = true",
     '2: "recording.enable": unknown key (did you mean "enabled"?)'),
    ("recording-enabled", '[recording]\nenabled = "yes"',
     "2: \"recording.enabled\": expected true/false, got the string 'yes'"),
    ("recording-path", "[recording]\npath = 5",
     '2: "recording.path": expected a path string, got 5'),
    ("recording-keep-zero", '[recording]\nkeep = "0s"',
     '2: "recording.keep": must be longer than 0s'),
    ("recording-keep-bad", '[recording]\nkeep = "soon"',
     f"2: \"recording.keep\": bad duration 'soon' {HINT}"),
    ("recording-keep-negative", "[recording]\nkeep = -5",
     '2: "recording.keep": duration must not be negative, got -5'),
    ("recording-keep-bool", "[recording]\nkeep = true",
     '2: "recording.keep": expected a duration like "10m", got True'),
    ("recording-max_mb-zero", "[recording]\nmax_mb = 0",
     '2: "recording.max_mb": must be a number > 0, got 0'),
    ("recording-max_mb-nan", "[recording]\nmax_mb = nan",
     '2: "recording.max_mb": must be a number > 0, got nan'),
    ("recording-max_mb-string", '[recording]\nmax_mb = "5"',
     "2: \"recording.max_mb\": expected a number of megabytes, got the string '5'"),
    # [alerts.NAME]
    ("alerts-not-table", "alerts = 3", '1: "alerts": expected [alerts.NAME] tables, got 3'),
    ("alerts-unknown-alert", "[alerts.DiskFul]\nfor = 0",
     f'1: [alerts.DiskFul]: unknown alert (did you mean "DiskFull"?); known: {KNOWN}'),
    ("alerts-body", "[alerts]\nDiskFull = 3", '2: [alerts.DiskFull]: expected a table, got 3'),
    ("alerts-unknown-key", "[alerts.DiskFull]\ntreshold = 1",
     '2: [alerts.DiskFull] "treshold": unknown key (did you mean "threshold"?)'),
    ("alerts-threshold-string", '[alerts.DiskFull]\nthreshold = "5"',
     "2: [alerts.DiskFull] \"threshold\": expected a number, got the string '5'"),
    ("alerts-threshold-bool", "[alerts.DiskFull]\nthreshold = true",
     '2: [alerts.DiskFull] "threshold": expected a number, got true'),
    ("alerts-threshold-nan", "[alerts.HighLatency]\nthreshold = nan",
     '2: [alerts.HighLatency] "threshold": must be a finite number, got nan'),
    ("alerts-warn-inf", "[alerts.DiskFull]\nwarn = inf",
     '2: [alerts.DiskFull] "warn": must be a finite number, got inf'),
    ("alerts-for-negative", "[alerts.HighLatency]\nfor = -5",
     '2: [alerts.HighLatency] "for": duration must not be negative, got -5'),
    ("alerts-for-bad", '[alerts.HighLatency]\nfor = "5 minutes"',
     f"2: [alerts.HighLatency] \"for\": bad duration '5 minutes' {HINT}"),
    ("alerts-for-nan", "[alerts.HighLatency]\nfor = nan",
     '2: [alerts.HighLatency] "for": duration must be a finite number, got nan'),
    ("alerts-severity", '[alerts.HighLatency]\nseverity = "high"',
     "2: [alerts.HighLatency] \"severity\": expected \"warn\" or \"crit\", got the string 'high'"),
]

#: a minimal valid table of each kind (its required keys)
MINIMAL: dict[str, str] = {
    "health": 'url = "http://127.0.0.1:8000/readyz"',
    "traffic": 'metrics_url = "http://127.0.0.1:8000/metrics"',
    "postgres": 'dsn = "postgresql://127.0.0.1/app"',
    "redis": 'url = "redis://127.0.0.1:6379/0"',
    "host": "",
    "containers": "",
    "alertmanager": 'url = "http://127.0.0.1:9093"',
}


def header(kind: str) -> str:
    return f"[{kind}]" if KINDS[kind].single else f"[[{kind}]]"


def label(kind: str) -> str:
    return f"[{kind}]" if KINDS[kind].single else f"[[{kind}]] #1"


def panel_cases() -> list[tuple[str, str, str]]:
    """Per kind: an unknown key, then the common keys' types and ranges."""
    cases = []
    for kind in KINDS:
        body = f"{header(kind)}\n{MINIMAL[kind]}\n"
        head = label(kind)
        cases += [
            (f"{kind}-unknown", body + "bogus = 1", f'3: {head} "bogus": unknown key'),
            (f"{kind}-interval-string", body + 'interval = "5s"',
             f"3: {head} \"interval\": expected a number, got the string '5s'"),
            (f"{kind}-interval-zero", body + "interval = 0",
             f'3: {head} "interval": must be > 0, got 0'),
            (f"{kind}-timeout-negative", body + "timeout = -1",
             f'3: {head} "timeout": must be > 0, got -1'),
            (f"{kind}-timeout-nan", body + "timeout = nan",
             f'3: {head} "timeout": must be a finite number, got nan'),
            (f"{kind}-name-int", body + "name = 3", f'3: {head} "name": expected a string, got 3'),
            (f"{kind}-name-empty", body + 'name = " "', f'3: {head} "name": must not be empty'),
            (f"{kind}-name-control", body + 'name = "a\\u001b[2J"',
             f"3: {head} \"name\": must not contain control characters, got '\\\\x1b[2J'"
             .replace("\\\\x1b[2J", "a\\\\x1b[2J")),
        ]
    return cases


KIND_SPECIFIC: list[tuple[str, str, str]] = [
    ("health-missing-url", "[[health]]\nname = \"a\"",
     '1: [[health]] #1: missing required key "url"'),
    ("health-verify_tls", '[[health]]\nurl = "http://h/"\nverify_tls = "no"',
     "3: [[health]] #1 \"verify_tls\": expected true/false, got the string 'no'"),
    ("health-headers-value", '[[health]]\nurl = "http://h/"\nheaders = { X-Token = 3 }',
     '3: [[health]] #1 "headers.X-Token": expected a string, got 3'),
    ("health-url-host", '[[health]]\nurl = "http://"', "2: [[health]] #1 \"url\": no host in URL 'http://'"),
    ("traffic-needs-a-url", '[[traffic]]\nname = "t"',
     '1: [[traffic]] #1: needs "metrics_url" or "prometheus_url"'),
    ("redis-scheme", '[[redis]]\nurl = "http://r"',
     "2: [[redis]] #1 \"url\": unsupported scheme 'http' in 'http://r' "
     "(expected redis, rediss, unix)"),
    ("redis-queues-item", '[[redis]]\nurl = "redis://r"\nqueues = [1]',
     '3: [[redis]] #1 "queues": expected a list of strings, got an item 1'),
    ("host-instance-alone", '[host]\ninstance = "db1:9100"',
     '1: [host]: missing required key "prometheus_url" ("instance" needs it)'),
    ("kind-not-table", "health = 3", '1: "health": expected a table [[health]], got 3'),
    ("kind-item-not-table", "health = [3]",
     '1: [[health]] #1: expected a table [[health]], got 3'),
]


@pytest.mark.parametrize(("text", "expected"),
                         [pytest.param(t, e, id=i) for i, t, e in
                          SETTINGS + panel_cases() + KIND_SPECIFIC])
def test_each_mistake_is_one_exact_line(tmp_path: Path, text: str, expected: str) -> None:
    assert config_error(tmp_path, text) == expected


def test_every_table_refuses_an_unknown_key() -> None:
    """The cases above cover every settings table and every panel kind."""
    ids = {i for i, _, _ in SETTINGS + panel_cases()}
    settings = ("top", "runbooks", "prometheus", "recording", "alerts")
    assert all(f"{t}-unknown" in ids or f"{t}-unknown-key" in ids for t in settings)
    assert all(f"{kind}-unknown" in ids for kind in KINDS)


def test_valid_values_at_the_edges_load(tmp_path: Path) -> None:
    (tmp_path / "rb").mkdir()
    path = write(tmp_path, """
        refresh = 0.5
        timeout = 1e-3
        read_only = true
        journal = "j.jsonl"

        [runbooks]
        dirs = "rb"
        map = { DiskFull = "disk.md#full" }

        [runbooks.urls]
        "https://wiki/" = "rb"

        [prometheus]
        url = "https://prom:9090"

        [recording]
        enabled = false
        keep = "1h30m"
        max_mb = 0.5

        [alerts.HighLatency]
        threshold = 0
        warn = -1
        for = 0
        severity = "crit"

        [alerts.DiskFull]
        for = "250ms"

        [[health]]
        url = "http://127.0.0.1:8000/readyz"
        interval = 1
        timeout = 0.25
    """)
    config = load_config(path)
    assert (config.refresh, config.timeout, config.read_only) == (0.5, 0.001, True)
    assert config.journal == tmp_path / "j.jsonl"
    assert config.runbook_dirs == (tmp_path / "rb",)
    assert config.runbook_map == {"DiskFull": ("disk.md#full",)}
    assert config.runbook_urls == {"https://wiki/": tmp_path / "rb"}
    assert config.prometheus == "https://prom:9090"
    assert (config.recording.enabled, config.recording.keep_s,
            config.recording.max_mb) == (False, 5400.0, 0.5)
    rule = config.alerts["HighLatency"]
    assert (rule.threshold, rule.warn, rule.for_s, rule.severity.value) == (0.0, -1.0, 0.0,
                                                                            "crit")
    assert config.alerts["DiskFull"].for_s == 0.25
    (spec,) = config.panels
    assert (spec.interval, spec.timeout) == (1.0, 0.25)


def test_a_recording_table_without_keep_keeps_the_default(tmp_path: Path) -> None:
    from tui.config.model import RecordingSettings

    config = load_config(write(tmp_path, "[recording]\nmax_mb = 5\n"))
    assert config.recording.keep_s == RecordingSettings().keep_s
    assert config.recording.max_mb == 5.0
