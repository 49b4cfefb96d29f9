"""Config details pinned exactly: the line a message names (multi-line strings, inline
tables, `[health]` written as one table, nested tables of the second `[[health]]`), the
message when no line can be found, the defaults a table keeps, and the panels' names.

Each case is a whole opsdash.toml and the exact message after `PATH`, so a message that
loses its line number, or names the wrong line, fails here. No server, no network.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

import tui.config.loader as loader
from panels.base import Severity
from panels.registry import KINDS
from tests.test_config import write
from tui.config.discovery import Discovery
from tui.config.loader import (
    ConfigError,
    PanelSpec,
    _host_of,
    build_panels,
    find_config,
    load_config,
)
from tui.config.model import DEFAULT_REFRESH, Config, RecordingSettings

HINT = '(use e.g. "30s", "10m", "1h30m")'


def message(tmp_path: Path, text: str) -> str:
    """The one-line message for this file, after its path (":LINE: ..." or ": ...")."""
    path = tmp_path / "opsdash.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith(str(path))
    return text.removeprefix(str(path))


#: (case id, file text verbatim, exact message after PATH)
LOCATED: list[tuple[str, str, str]] = [
    # a key written with a TOML escape is not found in the raw text: no line, same message
    ("escaped-key-no-line", '# c\n"r\\u0065fresh" = 0\n', ': "refresh": must be > 0, got 0'),
    ("escaped-kind-no-line", '"h\\u0065alth" = [{ url = "http://a/", bogus = 1 }]\n',
     ': [[health]] #1 "bogus": unknown key'),
    # a key whose first letter is X (no quotes to strip)
    ("key-starting-with-x", "# c\n\nXrefresh = 1\n",
     ':3: "Xrefresh": unknown key (did you mean "refresh"?)'),
    # inline tables: the nearest enclosing line that is known, one or two levels up
    ("inline-recording", '# c\nrecording = { keep = "0s" }\n',
     ':2: "recording.keep": must be longer than 0s'),
    ("inline-alert", '# c\nalerts = { DiskFull = { for = "soon" } }\n',
     f":2: [alerts.DiskFull] \"for\": bad duration 'soon' {HINT}"),
    # `[health]` written as one table: its keys are found all the same
    ("single-health-key", '[health]\nurl = "http://a/"\nbogus = 1\n',
     ':3: [[health]] #1 "bogus": unknown key'),
    ("single-health-missing", '[health]\nname = "a"\n',
     ':1: [[health]] #1: missing required key "url"'),
    # the second [[health]]'s sub-table, not the first's
    ("second-array-subtable",
     '[[health]]\nurl = "http://a/"\n[health.headers]\nX-Token = "t"\n'
     '[[health]]\nurl = "http://b/"\n[health.headers]\nX-Token = 3\n',
     ':8: [[health]] #2 "headers.X-Token": expected a string, got 3'),
    # lines inside multi-line strings are not keys
    ("basic-multiline", '[[health]]\nurl = "http://a/"\nname = """\nbogus = 1\n"""\nbogus = 2\n',
     ':6: [[health]] #1 "bogus": unknown key'),
    ("literal-multiline",
     "[[health]]\nurl = 'http://a/'\nname = '''\nbogus = 1\n'''\nbogus = 2\n",
     ':6: [[health]] #1 "bogus": unknown key'),
    ("one-line-triple-quotes", '[[health]]\nurl = "http://a/"\nname = """quoted"""\nbogus = 1\n',
     ':4: [[health]] #1 "bogus": unknown key'),
    ("other-quotes-inside", '[[health]]\nurl = "http://a/"\nname = """a \'\'\' b\nc"""\n'
                            'bogus = 1\n', ':5: [[health]] #1 "bogus": unknown key'),
    ("escaped-quotes-inside",
     '[[health]]\nurl = "http://a/"\nname = """\nx \\""" y \\""" z\nbogus = 1\n"""\nbogus = 2\n',
     ':7: [[health]] #1 "bogus": unknown key'),
    # syntax errors: the line and column, or the file's last line at its end
    ("syntax-line", 'refresh = 2\n\n[[redis]]\nurl = "redis://127.0.0.1:6379\n',
     ":4: invalid TOML: Illegal character '\\n' (column 30)"),
    ("syntax-end", "refresh = 1\nb = ", ":2: invalid TOML: Invalid value (at end of file)"),
    ("syntax-end-3", "# a\n# b\n[x", ":3: invalid TOML: Expected ']' at the end of a table "
                                     "declaration (at end of file)"),
    # type names
    ("integer", '[[health]]\nurl = "http://a/"\nmax_body_bytes = "x"\n',
     ":3: [[health]] #1 \"max_body_bytes\": expected an integer, got the string 'x'"),
    ("table", '[[health]]\nurl = "http://a/"\nheaders = "x"\n',
     ":3: [[health]] #1 \"headers\": expected a table, got the string 'x'"),
    ("string-or-table", '[[alertmanager]]\nurl = "http://a/"\nbasic_auth = 3\n',
     ':3: [[alertmanager]] #1 "basic_auth": expected a string or a table, got 3'),
    ("false", '[[health]]\nurl = "http://a/"\nname = false\n',
     ':3: [[health]] #1 "name": expected a string, got false'),
    ("a-table", '[[health]]\nurl = "http://a/"\nname = {}\n',
     ':3: [[health]] #1 "name": expected a string, got a table'),
    ("list-item-bool", '[[redis]]\nurl = "redis://r"\nqueues = ["a", false]\n',
     ':3: [[redis]] #1 "queues": expected a list of strings, got an item false'),
    # URLs
    ("not-a-url", '[[health]]\nurl = "localhost:8000"\n',
     ":2: [[health]] #1 \"url\": not a URL: 'localhost:8000' (expected http:// or https://...)"),
    ("postgres-not-a-url", '[[postgres]]\ndsn = " "\n',
     ":2: [[postgres]] #1 \"dsn\": not a URL: ' ' (expected postgres:// or postgresql://...)"),
    ("bad-port", '[[health]]\nurl = "http://a:99999/"\n',
     ":2: [[health]] #1 \"url\": bad URL 'http://a:99999/': Port out of range 0-65535"),
    ("no-host-docker", '[containers]\ndocker_host = "tcp://"\n',
     ":2: [containers] \"docker_host\": no host in URL 'tcp://'"),
    # a single kind's own table, and a list where its table belongs
    ("single-not-table", "host = 3\n", ":1: [host]: expected a table [host], got 3"),
    ("single-list-item", "host = [3]\n", ":1: [[host]] #1: expected a table [host], got 3"),
    ("severity-bool", "[alerts.DiskFull]\nseverity = true\n",
     ':2: [alerts.DiskFull] "severity": expected "warn" or "crit", got true'),
    ("keep-zero-below-one", '[recording]\nkeep = "0ms"\n',
     ':2: "recording.keep": must be longer than 0s'),
]


@pytest.mark.parametrize(("text", "expected"),
                         [pytest.param(t, e, id=i) for i, t, e in LOCATED])
def test_each_message_names_the_right_line(tmp_path: Path, text: str, expected: str) -> None:
    assert message(tmp_path, text) == expected


def test_a_nested_table_too_deep_for_the_parser_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser's RecursionError, raised here without recursing (a traced recursion
    stops the mutation runner's line tracing)."""
    def deep(text: str) -> dict[str, object]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(tomllib, "loads", deep)
    assert message(tmp_path, "x = 1\n") == (
        ": arrays or tables nested too deeply to be a config")


def test_a_parser_message_without_a_position_is_kept_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def odd(text: str) -> dict[str, object]:
        raise tomllib.TOMLDecodeError("Something odd")

    monkeypatch.setattr(tomllib, "loads", odd)
    assert message(tmp_path, "x = 1\n") == ": invalid TOML: Something odd"


def test_reading_errors_are_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    with pytest.raises(ConfigError) as info:
        load_config(folder)
    assert str(info.value) == f"{folder}: cannot read: Is a directory"
    path = tmp_path / "opsdash.toml"
    path.write_bytes(b"refresh = 2\n# \xff\xfe\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: not UTF-8 text"


def test_an_explicit_config_path_must_be_a_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.toml")
    with pytest.raises(ConfigError) as info:
        find_config(missing)
    assert str(info.value) == f"{missing}: no such config file"
    with pytest.raises(ConfigError) as info:
        find_config(str(tmp_path))
    assert str(info.value) == f"{tmp_path}: is a directory, not a TOML file"


def test_discovery_without_a_refresh_uses_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = PanelSpec("host", "host", {}, None, 5.0, "")
    monkeypatch.setattr(loader, "discover", lambda: Discovery((spec,), ("a hint",)))
    assert load_config(None) == Config(refresh=DEFAULT_REFRESH, panels=(spec,),
                                       discovered=True, hints=("a hint",))
    assert DEFAULT_REFRESH == 2.0
    config = load_config(None, refresh=0.5)
    assert (config.refresh, config.panels) == (0.5, (dataclasses.replace(spec, interval=0.5),))


def test_defaults_of_an_empty_file_and_of_tables_that_set_nothing(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "# nothing\n")).journal is None
    config = load_config(write(tmp_path, "[recording]\nenabled = true\n"))
    assert config.recording == dataclasses.replace(RecordingSettings(), enabled=True)
    config = load_config(write(tmp_path, '[recording]\nkeep = "1s"\n'))
    assert config.recording == dataclasses.replace(RecordingSettings(), keep_s=1.0)
    config = load_config(write(tmp_path, '[alerts.DiskFull]\nseverity = "warn"\n'))
    assert config.alerts["DiskFull"].severity is Severity.WARN


def test_panel_where_names_the_table_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, '# c\n[host]\nmounts = ["/"]\n\n[[health]]\nurl = "http://a/"\n')
    assert [s.where for s in load_config(path).panels] == [
        f"{path}:2: [host]", f"{path}:5: [[health]] #1"]
    path = write(tmp_path, '"h\\u0065alth" = [{ url = "http://a/" }]\n')
    assert [s.where for s in load_config(path).panels] == [f"{path}: [[health]] #1"]


def test_unnamed_panels_on_one_host_are_numbered(tmp_path: Path) -> None:
    path = write(tmp_path, "".join(f'[[health]]\nurl = "http://a/{n}"\n' for n in range(4)))
    assert [s.name for s in load_config(path).panels] == ["a", "a-2", "a-3", "a-4"]


@pytest.mark.parametrize(("table", "name"), [
    ('[[postgres]]\ndsn = "postgresql:///app"', "postgres"),  # no host: the kind
    ('[[postgres]]\ndsn = "dbname=app"', "postgres"),
    ('[[postgres]]\ndsn = "host=/run/postgresql dbname=app"', "local"),
    ('[[postgres]]\ndsn = "dbname=app host=db1"', "db1"),
    ('[[redis]]\nurl = "unix:///run/redis.sock"', "redis"),
    ('[containers]\ndocker_host = "npipe:////./pipe/docker_engine"', "containers"),
])
def test_a_panel_without_a_name_is_named_after_its_host(tmp_path: Path, table: str,
                                                       name: str) -> None:
    (spec,) = load_config(write(tmp_path, table + "\n")).panels
    assert spec.name == name


@pytest.mark.parametrize(("target", "host"), [
    ("http://[::1", ""), ("http:///x", ""), ("dbname=app", ""), ("host=/tmp x", "local"),
    (" host = db1 ", "db1"), ("redis://r:1/0", "r"),
])
def test_host_of_a_url_or_a_conninfo(target: str, host: str) -> None:
    assert _host_of(target) == host


def test_build_panels_names_the_panel_when_the_spec_has_no_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bad_option = PanelSpec("health", "api", {"url": "http://a/", "bogus": 1}, None, 5.0, "")
    with pytest.raises(ConfigError) as info:
        build_panels(Config(panels=(bad_option,)))
    assert str(info.value) == ("[health] 'api': HealthPanel.__init__() got an unexpected "
                               "keyword argument 'bogus'")
    placed = dataclasses.replace(bad_option, where="f.toml:3: [[health]] #1")
    with pytest.raises(ConfigError) as info:
        build_panels(Config(panels=(placed,)))
    assert str(info.value) == ("f.toml:3: [[health]] #1: HealthPanel.__init__() got an "
                               "unexpected keyword argument 'bogus'")
    monkeypatch.setitem(KINDS, "health", dataclasses.replace(KINDS["health"],
                                                             path="panels.nope:Missing"))
    with pytest.raises(ConfigError) as info:
        build_panels(Config(panels=(bad_option,)))
    assert str(info.value) == ("[health] 'api': panel kind 'health' is not available "
                               "(ModuleNotFoundError: No module named 'panels.nope')")
