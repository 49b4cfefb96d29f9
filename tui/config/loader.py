"""Config: TOML read with tomllib, `${VAR}` from the environment, validated with file:line:key.

The scheduler, the app and `opsdash check` code against the shapes here. Every mistake a
user can make in the file becomes one `ConfigError` line naming the file, the line and
the key, because a traceback at 3 a.m. helps nobody.

tomllib reports no line numbers for values, so `_LineIndex` scans the raw text once,
tracking the current `[table]` / `[[array]]` header, and remembers the line of every
header and `key =`. That is good enough for hand-written config: keys inside multi-line
strings are skipped, and a key it cannot place falls back to its table's header line.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from common.durations import parse_duration
from common.masking import mask_credentials
from panels.alerts import CANONICAL_ALERTS, DEFAULT_RULES
from panels.base import AlertRule, Panel, Severity
from panels.registry import COMMON_OPTIONS, KINDS, Option
from tui.config.discovery import discover
from tui.config.model import (
    DEFAULT_REFRESH,
    DEFAULT_TIMEOUT,
    Config,
    ConfigError,
    PanelSpec,
    RecordingSettings,
    slug,
)

CONFIG_NAME = "opsdash.toml"


def find_config(explicit: str | None) -> Path | None:
    """--config, else ./opsdash.toml, else platformdirs.user_config_path('opsdash')/opsdash.toml.

    An explicit path that does not exist is an error (a typo must not silently fall back
    to discovery); the implicit places are just skipped.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise ConfigError(f"{explicit}: no such config file")
        if path.is_dir():
            raise ConfigError(f"{explicit}: is a directory, not a TOML file")
        return path
    local = Path(CONFIG_NAME)
    if local.is_file():
        return local
    from platformdirs import user_config_path

    user = user_config_path("opsdash") / CONFIG_NAME
    return user if user.is_file() else None


def load_config(path: Path | None, *, refresh: float | None = None) -> Config:
    """Read and validate `path`; with None, run local discovery. Raises ConfigError."""
    if refresh is not None and (isinstance(refresh, bool) or not math.isfinite(refresh)
                                or refresh <= 0):
        raise ConfigError(f"--refresh must be a number of seconds > 0, not {refresh:g}")
    if path is None:
        found = discover()
        specs = found.panels
        if refresh is not None:
            specs = tuple(_with_interval(s, refresh) for s in specs)
        return Config(refresh=refresh or DEFAULT_REFRESH, panels=specs, discovered=True,
                      hints=found.hints)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return _Loader(path, text).load(refresh)


def build_panels(config: Config) -> list[Panel[Any]]:
    """Instantiate every PanelSpec (imports panel modules lazily) with the alert overrides.

    A constructor that rejects an option (TypeError/ValueError) becomes a ConfigError
    pointing at the panel's table, so even late validation reads as a config mistake.
    """
    panels: list[Panel[Any]] = []
    for spec in config.panels:
        where = spec.where or f"[{spec.kind}] {spec.name!r}"
        try:
            cls = KINDS[spec.kind].load(spec.options)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{where}: panel kind {spec.kind!r} is not available "
                              f"({type(exc).__name__}: {exc})") from None
        try:
            panel = cls(spec.name, interval=spec.interval or config.refresh,
                        timeout=spec.timeout, rules=config.alerts, **spec.options)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from None
        panels.append(panel)
    return panels


def _with_interval(spec: PanelSpec, interval: float) -> PanelSpec:
    return PanelSpec(spec.kind, spec.name, spec.options, interval, spec.timeout, spec.where)


# --- durations and environment ---------------------------------------------------------



_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, env: Mapping[str, str] | None = None) -> str:
    """Replace `${VAR}` and `${VAR:-default}`; an unset VAR without default raises KeyError."""
    source = os.environ if env is None else env

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        value = source.get(name)
        if value is None or (default is not None and value == ""):
            if default is None:
                raise KeyError(name)
            return default
        return value

    return _VAR.sub(sub, text)


# --- where a key lives in the raw text ---------------------------------------------------

KeyPath = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_PART = r"(?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_-]+)"
_KEY = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_PART = re.compile(_KEY_PART)


def _key_parts(text: str) -> tuple[str, ...]:
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in _PART.findall(text))


class _LineIndex:
    """Line of every `[header]` and `key =` in the file, by resolved key path."""

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        self.count = text.count("\n") + 1
        arrays: dict[tuple[str, ...], int] = {}
        current: KeyPath = ()
        in_string: str | None = None
        for lineno, line in enumerate(text.splitlines(), 1):
            if in_string:
                if line.count(in_string) % 2:
                    in_string = None
                continue
            header = _HEADER.match(line)
            if header:
                parts = _key_parts(header.group(2))
                current = self._resolve(parts, arrays, header.group(1) == "[[")
                self.lines.setdefault(current, lineno)
                continue
            key = _KEY.match(line)
            if key:
                self.lines.setdefault(current + _key_parts(key.group(1)), lineno)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2:
                    in_string = quote
                    break

    @staticmethod
    def _resolve(parts: tuple[str, ...], arrays: dict[tuple[str, ...], int],
                 is_array: bool) -> KeyPath:
        out: list[str | int] = []
        for i, part in enumerate(parts):
            out.append(part)
            prefix = parts[: i + 1]
            if is_array and i == len(parts) - 1:
                arrays[prefix] = arrays.get(prefix, 0) + 1
                out.append(arrays[prefix] - 1)
            elif prefix in arrays:
                out.append(arrays[prefix] - 1)
        return tuple(out)

    def find(self, path: KeyPath) -> int | None:
        """Exact line; else the first line inside `path`; else the nearest enclosing one."""
        candidates = [path]
        stripped = tuple(p for p in path if not isinstance(p, int))
        if stripped != path:  # `[health]` written as one table where an array was expected
            candidates.append(stripped)
        for cand in candidates:
            if cand in self.lines:
                return self.lines[cand]
        for cand in candidates:
            inside = [n for p, n in self.lines.items() if p[: len(cand)] == cand]
            if inside:
                return min(inside)
        for cand in candidates:
            for cut in range(len(cand) - 1, 0, -1):
                if cand[:cut] in self.lines:
                    return self.lines[cand[:cut]]
        return None


# --- the loader ----------------------------------------------------------------------------

_SETTINGS = ("refresh", "timeout", "journal", "read_only", "runbooks", "alerts",
             "prometheus", "recording")


def _top_keys() -> tuple[str, ...]:
    """Settings and every declared kind (read when used: a kind may register later)."""
    return (*_SETTINGS, *KINDS)
_ALERT_KEYS = ("threshold", "for", "severity", "warn")
_RUNBOOK_KEYS = ("dirs", "map", "urls")
_RECORDING_KEYS = ("enabled", "path", "keep", "max_mb")
def _type_name(types: type | tuple[type, ...]) -> str:
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a table"}
    seq = types if isinstance(types, tuple) else (types,)
    if int in seq and float in seq:
        return "a number"
    return " or ".join(names.get(t, t.__name__) for t in seq)


def _is_type(value: object, types: type | tuple[type, ...]) -> bool:
    seq = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool):
        return bool in seq
    return isinstance(value, seq)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {mask_credentials(value)!r}"
    return repr(value)


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean \"{close[0]}\"?)" if close else ""


class _Loader:
    """One pass over one file; every check fails fast with a located ConfigError."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._index: _LineIndex | None = None

    @property
    def index(self) -> _LineIndex:
        if self._index is None:
            self._index = _LineIndex(self.text)
        return self._index

    # -- errors --
    def where(self, path: KeyPath) -> str:
        line = self.index.find(path)
        loc = f"{self.path}:{line}" if line is not None else f"{self.path}"
        head, rest = self._label(path)
        return f"{loc}: {head}" if not rest else f"{loc}: {head}{' ' if head else ''}{rest}"

    @staticmethod
    def _label(path: KeyPath) -> tuple[str, str]:
        """(`[[redis]] #1`, `"ulr"`) for a path; the table part and the key part."""
        if len(path) >= 2 and isinstance(path[1], int):
            head, rest = f"[[{path[0]}]] #{path[1] + 1}", path[2:]
        elif path and path[0] == "alerts" and len(path) >= 2:
            head, rest = f"[alerts.{path[1]}]", path[2:]
        elif path and path[0] == "runbooks" and len(path) >= 3 and path[1] == "map":
            head, rest = "[runbooks.map]", path[2:]
        elif len(path) >= 2 and isinstance(path[0], str) and (
                path[0] == "runbooks" or path[0] in KINDS):
            head, rest = f"[{path[0]}]", path[1:]
        elif len(path) == 1 and path[0] in KINDS and KINDS[str(path[0])].single:
            head, rest = f"[{path[0]}]", ()  # a single kind's own table, as written
        else:
            head, rest = "", path
        key = ".".join(str(p) for p in rest)
        return head, f"\"{key}\"" if key else ""

    @staticmethod
    def _table(path: KeyPath) -> str:
        """`[[redis]] #2` or `[host]`: how a user finds a panel's table in the file."""
        if len(path) >= 2 and isinstance(path[1], int):
            return f"[[{path[0]}]] #{path[1] + 1}"
        return f"[{path[0]}]"

    def fail(self, path: KeyPath, message: str) -> NoReturn:
        raise ConfigError(f"{self.where(path)}: {message}")

    # -- parse --
    def load(self, refresh: float | None) -> Config:
        try:
            data = self.expand(tomllib.loads(self.text), ())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(self._syntax_error(exc)) from None
        except RecursionError:
            raise ConfigError(f"{self.path}: arrays or tables nested too deeply to be a "
                              "config") from None
        for key in data:
            if key not in _top_keys():
                self.fail((key,), f"unknown key{_suggest(key, _top_keys())}")

        file_refresh = self.positive(data, ("refresh",), DEFAULT_REFRESH)
        timeout = self.positive(data, ("timeout",), DEFAULT_TIMEOUT)
        read_only = data.get("read_only", False)
        if not isinstance(read_only, bool):
            self.fail(("read_only",), f"expected true/false, got {_describe(read_only)}")
        journal = None
        if "journal" in data:
            journal = self.relative_path(data["journal"], ("journal",))

        dirs, runbook_map = self.runbooks(data.get("runbooks", {}))
        alerts = self.alerts(data.get("alerts", {}))
        recording = self.recording(data.get("recording", {}))
        specs: list[PanelSpec] = []
        for key, value in data.items():  # file order: panels appear as the user wrote them
            if key in KINDS:
                specs.extend(self.panels(key, value, timeout, refresh))
        return Config(
            refresh=refresh if refresh is not None else file_refresh,
            panels=tuple(specs), alerts=alerts, runbook_dirs=dirs, runbook_map=runbook_map,
            runbook_urls=self.runbook_urls(data.get("runbooks", {})),
            prometheus=self.prometheus(data.get("prometheus")),
            journal=journal, source=self.path, read_only=read_only, timeout=timeout,
            recording=recording,
        )

    def _syntax_error(self, exc: tomllib.TOMLDecodeError) -> str:
        message = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if m:
            text = message[: m.start()]
            return f"{self.path}:{m.group(1)}: invalid TOML: {text} (column {m.group(2)})"
        m = re.search(r"\s*\(at end of document\)$", message)
        if m:
            text = message[: m.start()]
            return f"{self.path}:{self.index.count}: invalid TOML: {text} (at end of file)"
        return f"{self.path}: invalid TOML: {message}"

    def expand(self, value: Any, path: KeyPath) -> Any:
        """`${VAR}` in every string value, recursively, keeping the key path for errors."""
        if isinstance(value, str):
            try:
                return expand_env(value)
            except KeyError as exc:
                name = exc.args[0]
                self.fail(path, f"environment variable {name} is not set "
                                f"(export it, or write ${{{name}:-default}})")
        if isinstance(value, dict):
            return {k: self.expand(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            # tables in an array are numbered like `[[redis]] #2`; plain items share
            # their key's line, so they keep the key as their path
            return [self.expand(v, (*path, i) if isinstance(v, dict) else path)
                    for i, v in enumerate(value)]
        return value

    # -- scalars --
    def positive(self, table: Mapping[str, Any], path: KeyPath, default: float) -> float:
        key = str(path[-1])
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number of seconds, got {_describe(value)}")
        if not math.isfinite(value):
            self.fail(path, f"must be a finite number, got {value!r}")
        if value <= 0:
            self.fail(path, f"must be > 0, got {value!r}")
        return float(value)

    def relative_path(self, value: object, path: KeyPath) -> Path:
        if not isinstance(value, str) or not value:
            self.fail(path, f"expected a path string, got {_describe(value)}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.path.parent / p

    # -- [runbooks] --
    def prometheus(self, table: object) -> str | None:
        """`[prometheus] url = "http://..."`: the fleet's rules, for `runbooks lint`."""
        if table is None:
            return None
        if not isinstance(table, dict):
            self.fail(("prometheus",), f"expected a table, got {_describe(table)}")
        for key in table:
            if key != "url":
                self.fail(("prometheus", key), f"unknown key{_suggest(key, ('url',))}")
        if "url" not in table:
            self.fail(("prometheus",), "missing required key \"url\"")
        url = table["url"]
        if not isinstance(url, str):
            self.fail(("prometheus", "url"), f"expected a URL, got {_describe(url)}")
        self.check_url(("prometheus", "url"), url, ("http", "https"))
        return url

    def runbook_urls(self, table: object) -> dict[str, Path]:
        """`[runbooks.urls]`: a runbook_url prefix -> the local folder holding those files."""
        if not isinstance(table, dict):
            return {}
        urls = table.get("urls", {})
        if not isinstance(urls, dict):
            self.fail(("runbooks", "urls"), f"expected a table of \"URL prefix\" = \"folder\", "
                                            f"got {_describe(urls)}")
        out: dict[str, Path] = {}
        for prefix, folder in urls.items():
            out[prefix] = self.relative_path(folder, ("runbooks", "urls", prefix))
        return out

    def runbooks(self, table: object) -> tuple[tuple[Path, ...], dict[str, tuple[str, ...]]]:
        if not isinstance(table, dict):
            self.fail(("runbooks",), f"expected a table, got {_describe(table)}")
        for key in table:
            if key not in _RUNBOOK_KEYS:
                self.fail(("runbooks", key), f"unknown key{_suggest(key, _RUNBOOK_KEYS)}")
        raw_dirs = table.get("dirs", [])
        if isinstance(raw_dirs, str):
            raw_dirs = [raw_dirs]
        if not isinstance(raw_dirs, list):
            self.fail(("runbooks", "dirs"), f"expected a list of folders, got "
                                            f"{_describe(raw_dirs)}")
        dirs: list[Path] = []
        for item in raw_dirs:
            folder = self.relative_path(item, ("runbooks", "dirs"))
            if not folder.is_dir():
                self.fail(("runbooks", "dirs"), f"no such folder {str(folder)!r}")
            dirs.append(folder)
        mapping = table.get("map", {})
        if not isinstance(mapping, dict):
            self.fail(("runbooks", "map"), f"expected a table, got {_describe(mapping)}")
        runbook_map: dict[str, tuple[str, ...]] = {}
        for alert, refs in mapping.items():
            path: KeyPath = ("runbooks", "map", alert)
            if alert not in CANONICAL_ALERTS:
                self.fail(path, f"unknown alert{_suggest(alert, CANONICAL_ALERTS)}")
            if isinstance(refs, str):
                refs = [refs]
            if not isinstance(refs, list) or not all(isinstance(r, str) and r for r in refs):
                self.fail(path, "expected a list of runbook refs like \"disk.md#disk-full\"")
            runbook_map[alert] = tuple(refs)
        return tuple(dirs), runbook_map

    # -- [recording] --
    def recording(self, table: object) -> RecordingSettings:
        """`enabled`, `path` (relative to the file), `keep` ("24h"), `max_mb` (> 0)."""
        if not isinstance(table, dict):
            self.fail(("recording",), f"expected a table, got {_describe(table)}")
        for key in table:
            if key not in _RECORDING_KEYS:
                self.fail(("recording", key), f"unknown key{_suggest(key, _RECORDING_KEYS)}")
        base = RecordingSettings()
        enabled = table.get("enabled", base.enabled)
        if not isinstance(enabled, bool):
            self.fail(("recording", "enabled"), f"expected true/false, got {_describe(enabled)}")
        path = base.path
        if "path" in table:
            path = self.relative_path(table["path"], ("recording", "path"))
        keep_s = base.keep_s
        if "keep" in table:
            try:
                keep_s = parse_duration(table["keep"])
            except ValueError as exc:
                self.fail(("recording", "keep"), str(exc))
            if keep_s <= 0:
                self.fail(("recording", "keep"), "must be longer than 0s")
        max_mb = base.max_mb
        if "max_mb" in table:
            value = table["max_mb"]
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail(("recording", "max_mb"), f"expected a number of megabytes, got "
                                                   f"{_describe(value)}")
            if not math.isfinite(value) or value <= 0:
                self.fail(("recording", "max_mb"), f"must be a number > 0, got {value!r}")
            max_mb = float(value)
        return RecordingSettings(enabled=enabled, path=path, keep_s=keep_s, max_mb=max_mb)

    # -- [alerts.NAME] --
    def alerts(self, table: object) -> dict[str, AlertRule]:
        if not isinstance(table, dict):
            self.fail(("alerts",), f"expected [alerts.NAME] tables, got {_describe(table)}")
        out: dict[str, AlertRule] = {}
        for name, body in table.items():
            path: KeyPath = ("alerts", name)
            if name not in CANONICAL_ALERTS:
                self.fail(path, f"unknown alert{_suggest(name, CANONICAL_ALERTS)}; known: "
                                f"{', '.join(CANONICAL_ALERTS)}")
            if not isinstance(body, dict):
                self.fail(path, f"expected a table, got {_describe(body)}")
            base = DEFAULT_RULES[name]
            threshold, warn, for_s, severity = base.threshold, base.warn, base.for_s, base.severity
            for key, value in body.items():
                kpath: KeyPath = (*path, key)
                if key not in _ALERT_KEYS:
                    self.fail(kpath, f"unknown key{_suggest(key, _ALERT_KEYS)}")
                if key in ("threshold", "warn"):
                    if isinstance(value, bool) or not isinstance(value, int | float):
                        self.fail(kpath, f"expected a number, got {_describe(value)}")
                    if not math.isfinite(value):  # nan never compares true: a silent rule
                        self.fail(kpath, f"must be a finite number, got {value!r}")
                    if key == "threshold":
                        threshold = float(value)
                    else:
                        warn = float(value)
                elif key == "for":
                    try:
                        for_s = parse_duration(value)
                    except ValueError as exc:
                        self.fail(kpath, str(exc))
                else:
                    if value not in ("warn", "crit"):
                        self.fail(kpath, f"expected \"warn\" or \"crit\", got {_describe(value)}")
                    severity = Severity(value)
            out[name] = AlertRule(threshold, for_s, severity, warn)
        return out

    # -- [[kind]] / [kind] --
    def panels(self, kind: str, raw: object, timeout: float,
               refresh: float | None) -> list[PanelSpec]:
        spec = KINDS[kind]
        header = f"[{kind}]" if spec.single else f"[[{kind}]]"
        if isinstance(raw, dict):
            tables: list[tuple[KeyPath, Any]] = [((kind,) if spec.single else (kind, 0), raw)]
        elif isinstance(raw, list):
            tables = [((kind, i), t) for i, t in enumerate(raw)]
        else:
            self.fail((kind,), f"expected a table {header}, got {_describe(raw)}")
        out: list[PanelSpec] = []
        names: dict[str, KeyPath] = {}
        slugs: dict[str, str] = {}
        for path, table in tables:
            if not isinstance(table, dict):
                self.fail(path, f"expected a table {header}, got {_describe(table)}")
            built = self.panel(kind, path, table, timeout, refresh)
            explicit = "name" in table
            name = built.name
            if name in names:
                if explicit:
                    self.fail((*path, "name"), f"duplicate {kind} name {name!r} (also used by "
                                               f"{self._table(names[name])})")
                n = 2
                while f"{name}-{n}" in names:
                    n += 1
                name = f"{name}-{n}"
                built = PanelSpec(kind, name, built.options, built.interval, built.timeout,
                                  built.where)
            if slug(name) in slugs:
                self.fail((*path, "name"), f"{kind} name {name!r} reads the same as "
                                           f"{slugs[slug(name)]!r} once made an id; rename one")
            names[name] = path
            slugs[slug(name)] = name
            out.append(built)
        return out

    def panel(self, kind: str, path: KeyPath, table: dict[str, Any], timeout: float,
              refresh: float | None) -> PanelSpec:
        spec = KINDS[kind]
        schema = {**COMMON_OPTIONS, **spec.options}
        for key, value in table.items():
            kpath: KeyPath = (*path, key)
            if key not in schema:
                self.fail(kpath, f"unknown key{_suggest(key, tuple(schema))}")
            if not _is_type(value, schema[key].types):
                self.fail(kpath, f"expected {_type_name(schema[key].types)}, "
                                 f"got {_describe(value)}")
            check = schema[key].check
            problem = check(value) if check is not None else None
            if problem:
                self.fail(kpath, problem)
        for key in spec.required:
            if key not in table:
                self.fail(path, f"missing required key \"{key}\"")
        if spec.one_of and not any(key in table for key in spec.one_of):
            self.fail(path, "needs " + " or ".join(f"\"{k}\"" for k in spec.one_of))
        for key, needed in spec.needs:
            if key in table and needed not in table:
                self.fail(path, f"missing required key \"{needed}\" (\"{key}\" needs it)")

        options: dict[str, Any] = {}
        for key, value in table.items():
            if key in COMMON_OPTIONS:
                continue
            options[key] = self.option(spec.options[key], (*path, key), value)

        name = table.get("name")
        if name is not None and not name.strip():
            self.fail((*path, "name"), "must not be empty")
        if name is not None and any(unicodedata.category(c).startswith("C") for c in name):
            # a name reaches the terminal on every card: an escape in it would drive it
            self.fail((*path, "name"), f"must not contain control characters, got "
                                       f"{name.encode('unicode_escape').decode()!r}")
        if name is None:
            name = self.default_name(kind, options)
        interval = None
        if "interval" in table:
            interval = self.positive(table, (*path, "interval"), DEFAULT_REFRESH)
        if refresh is not None:
            interval = refresh
        panel_timeout = self.positive(table, (*path, "timeout"), timeout)
        head = self._table(path)
        line = self.index.find(path)
        where = f"{self.path}:{line}: {head}" if line else f"{self.path}: {head}"
        return PanelSpec(kind, name, options, interval, panel_timeout, where)

    def option(self, option: Option, path: KeyPath, value: Any) -> Any:
        """Check one option's contents (URLs, list items, header values); lists -> tuples."""
        if isinstance(value, list):
            if option.items is not None:
                item_types, plural = option.items
                for item in value:
                    if not _is_type(item, item_types):
                        self.fail(path, f"expected a list of {plural}, "
                                        f"got an item {_describe(item)}")
            return tuple(value)
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(v, str):
                    self.fail((*path, k), f"expected a string, got {_describe(v)}")
            return dict(value)
        if option.schemes is not None and isinstance(value, str):
            self.check_url(path, value, option.schemes)
        return value

    def check_url(self, path: KeyPath, value: str, schemes: tuple[str, ...]) -> None:
        shown = mask_credentials(value)
        if "://" not in value:
            if "" in schemes and value.strip():
                return  # a libpq key=value conninfo string
            self.fail(path, f"not a URL: {shown!r} (expected "
                            f"{' or '.join(s + '://' for s in schemes if s)}...)")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            self.fail(path, f"bad URL {shown!r}: {exc}")
        if parts.scheme.lower() not in schemes:
            allowed = ", ".join(s for s in schemes if s)
            self.fail(path, f"unsupported scheme {parts.scheme!r} in {shown!r} "
                            f"(expected {allowed})")
        local = parts.scheme.lower() in ("unix", "npipe")
        # postgres URLs may leave the host out (libpq then uses the local socket)
        if not local and not parts.hostname and not parts.scheme.lower().startswith("postgres"):
            self.fail(path, f"no host in URL {shown!r}")

    @staticmethod
    def default_name(kind: str, options: Mapping[str, Any]) -> str:
        for key in KINDS[kind].name_from:
            value = options.get(key)
            if isinstance(value, str) and KINDS[kind].options[key].schemes is None:
                return value  # already a name, e.g. an instance "db1:9100"
            if isinstance(value, str):
                host = _host_of(value)
                if host:
                    return host
        return kind


def _host_of(target: str) -> str:
    """Host part of a URL, or `host=` of a libpq conninfo string; '' when there is none."""
    if "://" in target:
        try:
            return urlsplit(target).hostname or ""
        except ValueError:
            return ""
    m = re.search(r"(?:^|\s)host\s*=\s*(\S+)", target)
    if m:
        host = m.group(1)
        return "local" if host.startswith("/") else host
    return ""

