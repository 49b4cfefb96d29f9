"""Placeholders in commands: `<name>`, `{id}` and `$VAR`/`${VAR}` left unset.

`fill_placeholders(code, values)` substitutes values quoted for the exact spot they land
in, so a value is always one inert word: shlex-quoted in plain shell text, escaped
inside "double quotes", spliced as '\\'' inside 'single quotes', and a SQL literal in
`sql`. `$VAR` counts only in upper case (shell locals such as `$c` in a loop are not
placeholders), never inside single quotes, never when the script assigns it, never for
the shell's own variables (HOME, PATH, ...), and `${VAR:-default}` has its default.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

_ANGLE = re.compile(r"<([A-Za-z_][A-Za-z0-9_.-]*)>")
_BRACE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")
_DOLLAR = re.compile(r"\$(?:\{([A-Z_][A-Z0-9_]*)\}|([A-Z_][A-Z0-9_]*))")
_ASSIGNED = re.compile(
    r"(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?"
    r"([A-Za-z_]\w*)(?:\[[^\]]*\])?\+?=")
_LOOP_VARS = re.compile(r"\b(?:for|select)\s+([A-Za-z_]\w*)\s+in\b")
_READ_VARS = re.compile(r"\bread\s+((?:-\w+\s+(?:\S+\s+)?)*)((?:[A-Za-z_]\w*\s*)+)")

SHELL_VARIABLES = {"HOME", "PATH", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "HOSTNAME",
                   "HOSTTYPE", "OSTYPE", "RANDOM", "SECONDS", "LINENO", "UID", "EUID", "PPID",
                   "BASHPID", "IFS", "TERM", "LANG", "LC_ALL", "TMPDIR", "BASH", "BASH_VERSION",
                   "PIPESTATUS", "FUNCNAME", "EDITOR", "PAGER", "DISPLAY", "REPLY", "OPTARG",
                   "OPTIND", "COLUMNS", "LINES", "SHLVL", "BASH_SOURCE", "EPOCHSECONDS",
                   "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"}


def _assigned_names(code: str) -> set[str]:
    names = set(_ASSIGNED.findall(code)) | set(_LOOP_VARS.findall(code))
    for m in _READ_VARS.finditer(code):
        names.update(m.group(2).split())
    return names


def _scan(code: str, lang: str) -> list[tuple[int, int, str, str, str]]:
    """(start, end, kind, name, context) for each placeholder; context: plain/single/double."""
    found: list[tuple[int, int, str, str, str]] = []
    i, n = 0, len(code)
    state = "plain"
    while i < n:
        ch = code[i]
        if lang == "sql":
            if state == "plain" and code.startswith("--", i):
                j = code.find("\n", i)
                i = n if j < 0 else j
                continue
            if ch == "'" and state in {"plain", "single"}:
                if state == "single" and code.startswith("''", i):
                    i += 2
                    continue
                state = "single" if state == "plain" else "plain"
                i += 1
                continue
            if ch == '"' and state in {"plain", "double"}:
                state = "double" if state == "plain" else "plain"
                i += 1
                continue
        else:
            if ch == "\\" and state != "single":
                i += 2
                continue
            if state == "plain" and ch == "#" and (i == 0 or code[i - 1] in " \t\n;&|("):
                j = code.find("\n", i)
                i = n if j < 0 else j
                continue
            if ch == "'" and state in {"plain", "single"}:
                state = "single" if state == "plain" else "plain"
                i += 1
                continue
            if ch == '"' and state in {"plain", "double"}:
                state = "double" if state == "plain" else "plain"
                i += 1
                continue
        m = _ANGLE.match(code, i)
        if m and not (i > 0 and code[i - 1] == "<"):
            found.append((i, m.end(), "angle", m.group(1), state))
            i = m.end()
            continue
        m = _BRACE.match(code, i)
        if m and not (i > 0 and code[i - 1] in "$%{"):  # ${VAR}, curl's %{time_total}
            found.append((i, m.end(), "brace", m.group(1), state))
            i = m.end()
            continue
        if lang != "sql" and state != "single":
            m = _DOLLAR.match(code, i)
            if m:
                found.append((i, m.end(), "dollar", m.group(1) or m.group(2), state))
                i = m.end()
                continue
        i += 1
    return found


def _wanted(code: str, lang: str) -> list[tuple[int, int, str, str, str]]:
    assigned = _assigned_names(code) if lang != "sql" else set()
    return [p for p in _scan(code, lang)
            if p[2] != "dollar" or (p[3] not in SHELL_VARIABLES and p[3] not in assigned)]


def find_placeholders(code: str, lang: str = "bash") -> tuple[str, ...]:
    """Placeholder names in order of first use, each once."""
    names: list[str] = []
    for _, _, _, name, _ in _wanted(code, lang):
        if name not in names:
            names.append(name)
    return tuple(names)


def dollar_placeholders(code: str, lang: str = "bash") -> set[str]:
    """The `$VAR` kind only: satisfied by the environment as well as by a value."""
    return {p[3] for p in _wanted(code, lang) if p[2] == "dollar"}


def _quote(value: str, context: str, lang: str) -> str:
    if lang == "sql":
        if context == "single":
            return value.replace("'", "''")
        if context == "double":
            return value.replace('"', '""')
        if re.fullmatch(r"-?\d+(?:\.\d+)?", value):
            return value
        return "'" + value.replace("'", "''") + "'"
    if context == "single":
        return value.replace("'", "'\\''")
    if context == "double":
        return re.sub(r'([\\"$`])', r"\\\1", value)
    return shlex.quote(value)


def fill_placeholders(code: str, values: Mapping[str, str], lang: str = "bash") -> str:
    """`code` with each placeholder that has a value replaced, quoted for where it stands."""
    out: list[str] = []
    pos = 0
    for start, end, _, name, context in _wanted(code, lang):
        if name not in values:
            continue
        out.append(code[pos:start])
        out.append(_quote(values[name], context, lang))
        pos = end
    out.append(code[pos:])
    return "".join(out)


def missing_placeholders(code: str, values: Mapping[str, str], env: Mapping[str, str],
                         lang: str = "bash") -> list[str]:
    """Names still needing a value: `$VAR`s set in `env` are left to the shell."""
    dollars = dollar_placeholders(code, lang)
    return [name for name in find_placeholders(code, lang)
            if name not in values and not (name in dollars and name in env)]
