"""Placeholder values are data: real bash gets them back byte for byte, or they are refused.

Each template puts a value in one quoting context; the filled script runs under bash in
a scratch directory. Values carry quotes, backslashes, `$( )`, backticks, newlines and
`;` that would `touch pwned` if they ever became code.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbooks.execute import run_command
from runbooks.placeholders import (
    PLAIN_VALUE,
    PlaceholderError,
    fill_placeholders,
    split_sql,
    sql_with_params,
)
from tests.fixtures.postgres import PostgresServer

# (id, template, what bash prints for value v, whether the context refuses non-plain values)
SAFE_CONTEXTS = [
    ("bare", "printf %s <v>", "{v}"),
    ("double", 'printf %s "<v>"', "{v}"),
    ("single", "printf %s '<v>'", "{v}"),
    ("concatenated", 'printf %s x<v>"y"', "x{v}y"),
    ("brace", "printf %s {v}", "{v}"),
    ("dollar-bare", "printf %s $V", "{v}"),
    ("dollar-double", 'printf %s "=$V="', "={v}="),
    ("in-dollar-paren-in-double", "printf %s \"$(printf '%s.' <v>)\"", "{v}."),
    ("heredoc", "cat <<EOF\n<v>\nEOF", "{v}\n"),
    ("heredoc-quoted", "cat <<'EOF'\n<v>\nEOF", "{v}\n"),
    ("if-body", "if true; then printf %s <v>; fi", "{v}"),
]
NESTED_CONTEXTS = [
    ("bash-c-double", 'bash -c "printf %s <v>"', "{v}"),
    ("sh-c-single", "sh -c 'printf %s \"<v>\"'", "{v}"),
    ("eval", "eval 'printf %s <v>'", "{v}"),
    ("backticks", "printf %s `printf %s <v>`", "{v}"),
    ("heredoc-into-sh", "cat <<EOF | sh\nprintf %s <v>\nEOF", "{v}"),
]

_PAYLOADS = ["$(touch pwned)", "`touch pwned`", "'; touch pwned; '", '"; touch pwned; "',
             '\\"; touch pwned; #', "\ntouch pwned\n", "EOF\ntouch pwned\nEOF", "$'\\x41'",
             "x' 'y", "a\\", "${IFS}", "-rf", "{v}", "<v>", "%s"]
values = st.one_of(
    st.sampled_from(_PAYLOADS),
    st.text(alphabet=st.sampled_from(list("ab $`'\"\\;\n(){}|&<>#*?~!%=.-")), max_size=24),
    st.lists(st.sampled_from([*_PAYLOADS, "a", " ", "\\", "'", '"']), max_size=4).map("".join),
)


def _run(script: str, cwd: Path, v: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "V_UNUSED": v}
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, env=env,
                          timeout=10, check=False)
    return done.stdout.decode("utf-8", "surrogateescape")


def _fill(template: str, v: str) -> str:
    return fill_placeholders(template, {"v": v, "V": v})


@settings(max_examples=150, deadline=None)
@given(values)
def test_values_come_back_byte_for_byte_in_every_quoting_context(v: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        for name, template, expected in SAFE_CONTEXTS:
            if name.startswith("heredoc") and "EOF" in v.split("\n"):
                with pytest.raises(PlaceholderError, match="would end the heredoc"):
                    _fill(template, v)
                continue
            script = _fill(template, v)
            assert _run(script, cwd, v) == expected.replace("{v}", v), (name, script)
            assert not (cwd / "pwned").exists(), (name, script)


@settings(max_examples=150, deadline=None)
@given(values)
def test_nested_contexts_take_plain_values_only(v: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        for name, template, expected in NESTED_CONTEXTS:
            if PLAIN_VALUE.fullmatch(v):
                script = _fill(template, v)
                assert _run(script, cwd, v) == expected.replace("{v}", v), (name, script)
            else:
                with pytest.raises(PlaceholderError, match=r"^<v> stands in "):
                    _fill(template, v)
            assert not (cwd / "pwned").exists(), name


@pytest.mark.parametrize(("template", "where"), [
    pytest.param('bash -c "kubectl delete pod <v>"', "a bash -c string", id="bash-c"),
    pytest.param("psql -c \"SELECT * FROM t WHERE name = '<v>'\"",
                 "code or SQL handed to psql", id="psql-sql-literal"),
    pytest.param("ssh db-1 systemctl status <v>", "an ssh remote command", id="ssh"),
    pytest.param("find . -exec sh -c 'ls <v>' \\;", "a sh -c string", id="find-exec-sh-c"),
    pytest.param("kubectl exec web -- sh -c 'ls <v>'", "a sh -c string", id="kubectl-exec-sh-c"),
    pytest.param("awk '/<v>/ {print}' f", "code or SQL handed to awk", id="awk-program"),
    pytest.param("cat <<'SQL' | psql\nSELECT '<v>';\nSQL", "a heredoc fed to psql",
                 id="heredoc-into-psql"),
    pytest.param("echo $'<v>'", "a $'...' string", id="ansi-c"),
    pytest.param("sudo -u postgres bash -c 'ls <v>'", "a bash -c string", id="sudo-bash-c"),
    pytest.param('echo "${NS:-<v>}"', "a ${...} word inside double quotes",
                 id="default-in-double-quotes"),
    pytest.param("echo ${NAME#<v>}", "a ${...} pattern", id="expansion-pattern"),
])
def test_contexts_that_cannot_be_made_safe_refuse_non_plain_values(template: str,
                                                                   where: str) -> None:
    with pytest.raises(PlaceholderError) as err:
        fill_placeholders(template, {"v": "x'; reboot #"})
    assert str(err.value) == (f"<v> stands in {where}: only plain values (letters, digits, "
                              ". _ : / @ % + , = -) can go there, not \"x'; reboot #\"")
    assert "\n" not in str(err.value)
    assert fill_placeholders(template, {"v": "web-1.prod:5432"}) == template.replace(
        "<v>", "web-1.prod:5432")


def test_a_value_in_a_script_bash_cannot_parse_must_be_plain() -> None:
    with pytest.raises(PlaceholderError, match="a script bash cannot parse"):
        fill_placeholders("echo 'unbalanced <v>", {"v": "a b"})
    assert fill_placeholders("echo 'unbalanced <v>", {"v": "ab"}) == "echo 'unbalanced ab"


def test_placeholder_error_is_a_value_error_and_nul_is_refused() -> None:
    assert issubclass(PlaceholderError, ValueError)
    with pytest.raises(PlaceholderError, match="NUL"):
        fill_placeholders("echo <v>", {"v": "a\0b"})


def test_sql_literals_for_display_and_refusals_where_quoting_is_unreliable() -> None:
    assert fill_placeholders("WHERE a = <n> AND b = '<s>'", {"n": "5", "s": "o'x"}, "sql") \
        == "WHERE a = 5 AND b = 'o''x'"
    with pytest.raises(PlaceholderError, match="dollar-quoted or E'' SQL string"):
        fill_placeholders("SELECT E'<s>'", {"s": "\\'; DROP TABLE t; --"}, "sql")
    with pytest.raises(PlaceholderError, match="dollar-quoted or E'' SQL string"):
        fill_placeholders("DO $$ BEGIN PERFORM '<s>'; END $$", {"s": "$$; DROP TABLE t"}, "sql")


def test_sql_with_params_binds_every_value() -> None:
    query, params = sql_with_params(
        "SELECT * FROM t WHERE a = <a> AND b LIKE '%<b>%' AND c = '<c>' AND d = {d} -- 5%",
        {"a": "1", "b": "x'y", "c": "z", "d": "q"})
    assert query == ("SELECT * FROM t WHERE a = %(a)s AND b LIKE ('%%' || %(b)s || '%%') "
                     "AND c = %(c)s AND d = %(d)s -- 5%%")
    assert params == {"a": "1", "b": "x'y", "c": "z", "d": "q"}
    assert sql_with_params('SELECT "<col>" FROM t', {"col": "name"}) == (
        'SELECT "name" FROM t', {})
    with pytest.raises(PlaceholderError, match="identifier"):
        sql_with_params('SELECT "<col>" FROM t', {"col": 'x" FROM pg_shadow --'})


def test_split_sql_keeps_semicolons_inside_literals_comments_and_dollar_quotes() -> None:
    assert split_sql("SELECT ';'; -- a;b\nSELECT $$;$$; /* ; */ SELECT 2;") == [
        "SELECT ';'", " -- a;b\nSELECT $$;$$", " /* ; */ SELECT 2"]


async def test_bound_values_reach_postgres_as_data(postgres_server: PostgresServer) -> None:
    evil = "x'); DROP TABLE opsdash_ph_probe; --"
    setup = await run_command("CREATE TABLE IF NOT EXISTS opsdash_ph_probe (v text);",
                              lang="sql", dsn=postgres_server.dsn, allow_write=True)
    assert setup.ok
    query, params = sql_with_params(
        "SELECT <v>::text AS v, length('[' || '<v>' || ']') AS n; "
        "SELECT count(*) AS tables FROM pg_tables WHERE tablename = 'opsdash_ph_probe';",
        {"v": evil})
    lines: list[str] = []
    result = await run_command(query, lang="sql", dsn=postgres_server.dsn, params=params,
                               on_line=lambda s, t: lines.append(t))
    assert result.ok, lines
    assert lines == ["v | n", f"{evil} | {len(evil) + 2}", "(1 row)", "tables", "1",
                     "(1 row)"]
    await run_command("DROP TABLE opsdash_ph_probe;", lang="sql", dsn=postgres_server.dsn,
                      allow_write=True)
