"""Placeholders in commands: `<name>`, `{id}` and `$VAR`/`${VAR}` left unset.

Values are data. `fill_placeholders(code, values)` quotes each value for the exact spot
it lands in, found from bash's real syntax tree (tree-sitter-bash): a bare word is
shlex-quoted (always single-quoted inside `[[ ]]`, where a bare `-n` is an operator),
"double quotes" get `\\ " $ `` escaped, 'single quotes' get '\\'' spliced,
an unquoted heredoc body gets `\\ $ `` escaped. Where the text is parsed once more by
something else (the string after `bash -c`/`sh -c`, `eval`, `ssh`, `watch`, backticks,
SQL handed to `psql -c`, a heredoc fed to a shell or psql, awk/sed/python programs,
SQL dollar quotes and E'' strings, `${VAR#pattern}`, `"${VAR:-word}"`) no quoting of
ours is reliable, so only plain values (`^[A-Za-z0-9_.:/@%+,=-]+$`: names, hosts, numbers,
paths) go there; anything else raises PlaceholderError naming the placeholder. In `sql`,
values become SQL literals for display, and `sql_with_params` binds them as psycopg
parameters for running.

`$VAR` counts only in upper case (shell locals such as `$c` in a loop are not
placeholders), never inside single quotes, never when the script assigns it, never for
the shell's own variables (HOME, PATH, ...), and `${VAR:-default}` has its default.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from tree_sitter import Node

from runbooks.bashtree import PLACEHOLDER_PATTERN, parse_tree, word_value

#: fullmatch only: `$` alone would let a trailing newline through into a nested shell
PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.:/@%+,=-]+")


class PlaceholderError(ValueError):
    """A value that cannot be made safe where its placeholder stands."""

_ANGLE = re.compile(r"<([A-Za-z_][A-Za-z0-9_.-]*)>")
_BRACE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")
_DOLLAR = re.compile(r"\$(?:\{([A-Z_][A-Z0-9_]*)\}|([A-Z_][A-Z0-9_]*))")
_ASSIGNED = re.compile(
    r"(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?"
    r"([A-Za-z_]\w*)(?:\[[^\]]*\])?\+?=")
_LOOP_VARS = re.compile(r"\b(?:for|select)\s+([A-Za-z_]\w*)\s+in\b")
#: `read [-ers] [-a name] [-d|-i|-n|-N|-p|-t|-u arg] NAME...`: only these options take an
#: argument, so the word after `-r` is a name the script assigns, not the option's argument
_READ_VARS = re.compile(r"\bread\s+((?:-[ers]*(?:[adinNptu]\s*(?:\"[^\"]*\"|'[^']*'|\S+)|[ers])"
                        r"\s+)*)((?:[A-Za-z_]\w*\s*)*)")
_READ_ARRAY = re.compile(r"-[ers]*a\s*([A-Za-z_]\w*)")

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
        names.update(_READ_ARRAY.findall(m.group(1)))  # `read -a NAME` fills an array
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


def _quote_sql(value: str, context: str) -> str:
    if context == "single":
        return value.replace("'", "''")
    if context == "double":
        return value.replace('"', '""')
    if re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        return value
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class _Spot:
    """Where a placeholder stands in a shell script."""

    quoting: str  # plain, test ([[ ]]), double, single, heredoc, heredoc-quoted
    nested: str | None = None  # why only plain values may go here
    delimiter: str | None = None  # of the heredoc it is in


_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "ash", "fish", "busybox"}
_RE_PARSED_ARGS = {"eval": "an eval string", "ssh": "an ssh remote command",
                   "watch": "a watch command", "su": "a su command",
                   "runuser": "a runuser command", "flock": "a flock command"}
_CODE_TOOLS = {"psql", "mysql", "mariadb", "sqlite3", "clickhouse-client", "cqlsh",
               "mongo", "mongosh", "python", "python2", "python3", "perl", "ruby", "node",
               "php", "awk", "gawk", "mawk", "nawk", "sed", "osascript", "lua"}
#: ${VAR<op>word} operators whose word is a value; the rest (# % / ^ , :offset) take
#: patterns or numbers, where a value would be read as one
_DEFAULT_OPS = {":-", "-", ":=", "=", ":+", "+", ":?", "?"}
_HEREDOC_CONSUMERS = _SHELLS | _CODE_TOOLS | {"ssh", "eval", "source", "kubectl", "docker",
                                             "podman", "redis-cli", "xargs", "sudo", "su"}


def _name(word: str | None) -> str:
    return (word or "").rsplit("/", 1)[-1]


def _command_spot(command: Node, arg: Node | None) -> str | None:
    """Why an argument of `command` is parsed again, or None when it is plain argv."""
    words: list[str | None] = []
    index = None
    for child in command.named_children:
        if child.type == "variable_assignment" or child.type.endswith("redirect"):
            continue
        target = child.named_children[0] if child.type == "command_name" and \
            child.named_children else child
        if arg is not None and child.id == arg.id:
            index = len(words)
        words.append(word_value(target))
    if index is None:
        return None
    names = [_name(w) for w in words[:index + 1]]
    for i, name in enumerate(names[:index]):
        if name in _SHELLS and any(
                (w or "").startswith("-") and "c" in (w or "")[1:] and not (w or "").startswith(
                    "--") for w in words[i + 1:index]):
            return f"a {name} -c string"
        if name in _RE_PARSED_ARGS:
            return _RE_PARSED_ARGS[name]
        if name in _CODE_TOOLS:
            return f"code or SQL handed to {name}"
    return None


def _spot(root: Node, start: int, end: int, code: bytes) -> _Spot:
    node: Node | None = root.descendant_for_byte_range(start, end)
    quoting: str | None = None
    nested: str | None = None
    delimiter: str | None = None
    in_braces = False
    child: Node | None = None
    while node is not None:
        t = node.type
        if quoting is None:
            if t == "expansion":
                op = next((c for c in node.children if c.type in _DEFAULT_OPS), None)
                if op is not None and child is not None and child.start_byte >= op.end_byte:
                    in_braces = True
                else:
                    nested = nested or "a ${...} pattern"
            elif t == "test_command":
                quoting = "test"
            elif t == "string":
                quoting = "double"
            elif t == "raw_string":
                quoting = "single"
            elif t == "ansi_c_string":
                quoting, nested = "plain", nested or "a $'...' string"
            elif t == "heredoc_body":
                quoting = "heredoc"
            elif t in {"command", "command_name", "declaration_command", "program",
                       "variable_assignment", "file_redirect", "herestring_redirect",
                       "test_command", "case_item", "for_statement", "array"}:
                quoting = "plain"
        if t == "command_substitution" and node.children and node.children[0].type == "`":
            nested = nested or "a backtick substitution"
        if t == "heredoc_redirect":
            start_node = next((c for c in node.named_children if c.type == "heredoc_start"),
                              None)
            raw = (start_node.text or b"").decode() if start_node else ""
            delimiter = raw.strip("'\"\\")
            if quoting == "heredoc" and raw != delimiter:
                quoting = "heredoc-quoted"
            stripped = "<<-" in (node.text or b"").decode()[:4]
            if stripped and quoting in {"heredoc", "heredoc-quoted"}:
                nested = nested or "a <<- heredoc (tabs are stripped)"
            consumers = _heredoc_consumers(node)
            if quoting in {"heredoc", "heredoc-quoted"} and consumers & _HEREDOC_CONSUMERS:
                nested = nested or f"a heredoc fed to {sorted(consumers & _HEREDOC_CONSUMERS)[0]}"
        if t == "command" and nested is None:
            nested = _command_spot(node, child)
        child = node
        node = node.parent
    if in_braces and quoting in {"double", "heredoc"}:
        # "${X:-'}" waits for a closing ' and a `}` ends the word early; escapes there
        # differ between "..." and heredocs, so no quoting of ours is reliable
        where = "double quotes" if quoting == "double" else "a heredoc"
        nested = nested or f"a ${{...}} word inside {where}"
    return _Spot(quoting or "plain", nested, delimiter)


def _heredoc_consumers(heredoc: Node) -> set[str]:
    """Command names of the statement a heredoc belongs to (the body and what it pipes to)."""
    statement = heredoc.parent
    names: set[str] = set()
    stack = [statement] if statement is not None else []
    while stack:
        n = stack.pop()
        if n.type == "command_name":
            names.add(_name(word_value(n.named_children[0]) if n.named_children else None))
        if n.type != "heredoc_body":
            stack.extend(n.named_children)
    return names


def _shell_spots(code: str, spots: list[tuple[int, int]]) -> list[_Spot] | None:
    """The quoting context of each (start, end) character span; None if bash can't parse."""
    masked = list(code)
    for start, end in spots:
        masked[start:end] = "P" * (end - start)
    text = "".join(masked)
    text = PLACEHOLDER_PATTERN.sub(lambda m: "P" * len(m.group(0)), text)
    tree = parse_tree(text)
    if tree is None:
        return None
    encoded = text.encode()
    out: list[_Spot] = []
    for start, end in spots:
        b_start = len(text[:start].encode())
        b_end = b_start + len(text[start:end].encode())
        out.append(_spot(tree.root_node, b_start, b_end, encoded))
    return out


def _refuse(name: str, where: str, value: str) -> PlaceholderError:
    shown = value if len(value) <= 20 else value[:20] + "..."
    return PlaceholderError(
        f"<{name}> stands in {where}: only plain values (letters, digits, . _ : / @ % + , = -)"
        f" can go there, not {shown!r}")


def _quote_shell(name: str, value: str, spot: _Spot) -> str:
    if "\0" in value:
        raise PlaceholderError(f"<{name}>: a value cannot hold a NUL byte")
    if spot.nested and not PLAIN_VALUE.fullmatch(value):
        raise _refuse(name, spot.nested, value)
    if spot.quoting in {"heredoc", "heredoc-quoted"}:
        if spot.delimiter is not None and any(
                line == spot.delimiter for line in value.split("\n")):
            raise PlaceholderError(f"<{name}>: a line of the value would end the heredoc")
        if spot.quoting == "heredoc-quoted":
            return value
        return re.sub(r"([\\$`])", r"\\\1", value)
    if spot.quoting == "single":
        return value.replace("'", "'\\''")
    if spot.quoting == "double":
        return re.sub(r'([\\"$`])', r"\\\1", value)
    if spot.quoting == "test":
        # always quoted: a bare `-n` or `!` in [[ ]] would be read as an operator
        return "'" + value.replace("'", "'\\''") + "'"
    return shlex.quote(value)


def _e_string(code: str, start: int) -> bool:
    """True when the literal holding `start` is an E'...' string (backslash escapes)."""
    span = next((sp for sp in _sql_literal_spans(code) if sp[0] < start < sp[1]), None)
    if span is None or span[0] == 0 or code[span[0] - 1] not in "eE":
        return False
    return span[0] < 2 or not (code[span[0] - 2].isalnum() or code[span[0] - 2] == "_")


def _fill_sql(code: str, values: Mapping[str, str]) -> str:
    out: list[str] = []
    pos = 0
    for start, end, _, name, context in _wanted(code, "sql"):
        if name not in values:
            continue
        value = values[name]
        if "\0" in value:
            raise PlaceholderError(f"<{name}>: a value cannot hold a NUL byte")
        if (_in_dollar_quote(code, start) or (context == "single" and _e_string(code, start))) \
                and not PLAIN_VALUE.fullmatch(value):
            raise _refuse(name, "a dollar-quoted or E'' SQL string", value)
        out.append(code[pos:start])
        out.append(_quote_sql(value, context))
        pos = end
    out.append(code[pos:])
    return "".join(out)


def fill_placeholders(code: str, values: Mapping[str, str], lang: str = "bash") -> str:
    """`code` with each placeholder that has a value replaced, quoted for where it stands.

    Raises PlaceholderError (a ValueError) when a value cannot be made safe there.
    """
    if lang == "sql":
        return _fill_sql(code, values)
    wanted = [p for p in _wanted(code, lang) if p[3] in values]
    if not wanted:
        return code
    spots = _shell_spots(code, [(p[0], p[1]) for p in wanted])
    out: list[str] = []
    pos = 0
    for i, (start, end, _, name, context) in enumerate(wanted):
        value = values[name]
        # bash cannot parse it: only values that need no quoting
        spot = _Spot(context, "a script bash cannot parse") if spots is None else spots[i]
        out.append(code[pos:start])
        out.append(_quote_shell(name, value, spot))
        pos = end
    out.append(code[pos:])
    return "".join(out)


def sql_with_params(code: str, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """SQL with each placeholder bound as a psycopg named parameter, and the parameters.

    `WHERE id = <id>` -> `WHERE id = %(id)s`; inside a literal, `'%<q>%'` ->
    `('%%' || %(q)s || '%%')`. A literal `%` is doubled for psycopg. Placeholders in
    quoted identifiers or dollar-quoted bodies cannot be parameters: plain values only.
    """
    out: list[str] = []
    params: dict[str, str] = {}
    pos = 0
    found = [p for p in _wanted(code, "sql") if p[3] in values]
    literal_spans = _sql_literal_spans(code)
    handled_until = 0
    for start, end, _, name, context in found:
        if start < handled_until:
            continue
        value = values[name]
        key = re.sub(r"\W", "_", name)
        if context == "plain" and not _in_dollar_quote(code, start):
            out.append(_escape_percent(code[pos:start]))
            out.append(f"%({key})s")
            params[key] = value
            pos = end
            continue
        if context == "single":
            span = next((s for s in literal_spans if s[0] < start < s[1]), None)
            if span is None:
                raise _refuse(name, "a SQL string", value)
            lit_start, lit_end = span
            pieces = [p for p in found if lit_start < p[0] < lit_end and p[3] in values]
            parts: list[str] = []
            cursor = lit_start + 1
            for p_start, p_end, _, p_name, _ in pieces:
                before = code[cursor:p_start]
                if before:
                    parts.append("'" + _escape_percent(before) + "'")
                p_key = re.sub(r"\W", "_", p_name)
                parts.append(f"%({p_key})s")
                params[p_key] = values[p_name]
                cursor = p_end
            after = code[cursor:lit_end - 1]
            if after:
                parts.append("'" + _escape_percent(after) + "'")
            out.append(_escape_percent(code[pos:lit_start]))
            out.append(parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")")
            pos = lit_end
            handled_until = lit_end
            continue
        if not PLAIN_VALUE.fullmatch(value) or not re.fullmatch(r"[A-Za-z0-9_.$-]+", value):
            raise _refuse(name, "a SQL identifier or dollar-quoted body", value)
        out.append(_escape_percent(code[pos:start]))
        out.append(value)
        pos = end
    out.append(_escape_percent(code[pos:]))
    return "".join(out), params


def _escape_percent(text: str) -> str:
    return text.replace("%", "%%")


def _sql_literal_spans(code: str) -> list[tuple[int, int]]:
    """(start, end) of each '...' literal, end past the closing quote."""
    return [(m.start(), m.end()) for m in re.finditer(
        r"--[^\n]*|/\*.*?\*/|\$((?:[A-Za-z_]\w*)?)\$.*?\$\1\$|\"(?:[^\"]|\"\")*\"|"
        r"'(?:[^']|'')*'", code, re.S) if m.group(0).startswith("'")]


def _in_dollar_quote(code: str, pos: int) -> bool:
    return any(m.start() < pos < m.end() for m in re.finditer(
        r"\$((?:[A-Za-z_]\w*)?)\$.*?\$\1\$", code, re.S))


def split_sql(sql: str) -> list[str]:
    """Statements of a SQL text, split on `;` outside literals, comments and dollar quotes."""
    statements: list[str] = []
    pos = 0
    for m in re.finditer(r"--[^\n]*|/\*.*?\*/|\$((?:[A-Za-z_]\w*)?)\$.*?\$\1\$|"
                         r"\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'|;", sql, re.S):
        if m.group(0) == ";":
            statements.append(sql[pos:m.start()])
            pos = m.end()
    statements.append(sql[pos:])
    return [s for s in statements if strip_comments(s).strip()]


def strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S)


def missing_placeholders(code: str, values: Mapping[str, str], env: Mapping[str, str],
                         lang: str = "bash") -> list[str]:
    """Names still needing a value: `$VAR`s set in `env` are left to the shell."""
    dollars = dollar_placeholders(code, lang)
    return [name for name in find_placeholders(code, lang)
            if name not in values and not (name in dollars and name in env)]
