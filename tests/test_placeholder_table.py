"""The placeholder filler, one exact case per rule, in-process (no bash, no Hypothesis).

tests/test_placeholder_properties.py proves the quoting with real bash over many values;
these pin what the filler answers, case by case, so a wrong rule fails here in a
millisecond (the mutation runner runs the cheapest test items first).
"""

from __future__ import annotations

import pytest

from runbooks.placeholders import (
    PlaceholderError,
    _scan,
    dollar_placeholders,
    fill_placeholders,
    find_placeholders,
    missing_placeholders,
    split_sql,
    sql_with_params,
    strip_comments,
)

#: one value with every character some quoting treats specially: ' " $ ` \ and a space
V = 'it\'s "$HOME" `x` \\'

#: the shell's own variables: never placeholders (written out, not read from the module)
SHELL_OWN = ["HOME", "PATH", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "HOSTNAME",
             "HOSTTYPE", "OSTYPE", "RANDOM", "SECONDS", "LINENO", "UID", "EUID", "PPID",
             "BASHPID", "IFS", "TERM", "LANG", "LC_ALL", "TMPDIR", "BASH", "BASH_VERSION",
             "PIPESTATUS", "FUNCNAME", "EDITOR", "PAGER", "DISPLAY", "REPLY", "OPTARG",
             "OPTIND", "COLUMNS", "LINES", "SHLVL", "BASH_SOURCE", "EPOCHSECONDS",
             "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"]


def _refusal(where: str, value: str = V, name: str = "v") -> str:
    return (f"<{name}> stands in {where}: only plain values (letters, digits, . _ : / @ % + , "
            f"= -) can go there, not {value!r}")


def _fill(template: str, value: str = V) -> str:
    return fill_placeholders(template, {"v": value, "V": value})


def test_the_shells_own_variables_are_never_placeholders() -> None:
    # one scan of one line: among the cheapest items, so a dropped name dies at once
    assert find_placeholders(" ".join(f'${name} "${{{name}}}"' for name in SHELL_OWN)) == ()
    assert find_placeholders("echo $HOMEDIR ${PATHS}") == ("HOMEDIR", "PATHS")


@pytest.mark.parametrize(("code", "found"), [
    # the three kinds, in order of first use, each once
    ("a <b> {c} $D ${E} <b> $D", ("b", "c", "D", "E")),
    ("<a.b-c> {d-e} <_x>", ("a.b-c", "d-e", "_x")),
    # `$var` counts in upper case only; `{1}`, `<1>` and `<>` are no names
    ("echo $lower ${lower} {1} <1> <>", ()),
    # `${x}` and curl's `%{time_total}` are not `{name}`; `{{x}}` neither
    ("curl -w %{time_total} ${lower} {{x}} {y}", ("y",)),
    ("echo X{v} pod-<n>", ("v", "n")),  # glued to a word still counts
    ("<<in>", ()),
    ("<a> <", ("a",)),
    ("${a}", ()),
    ("{a} $", ("a",)),
    ("%{a}", ()),
    # a here-document operator before a name is not `<name>`
    ("cat <<EOF> out; cat <in>", ("in",)),
    # single quotes hide `$VAR` (not `<v>`/`{v}`: they are ours to fill there)
    ("echo '$A <b> {c}' \"$D\"", ("b", "c", "D")),
    # a backslash escapes the next character outside single quotes only
    ("echo \\$A \\'<b> $C", ("b", "C")),
    ("echo '\\' $A", ("A",)),
    ("echo \"\\\"$A\"", ("A",)),
    # `#` starts a comment at a word's start only
    ("#<a>\necho <b> # <c>\necho x;#<d>\necho X#<e> a#<f>", ("b", "e", "f")),
    ("a\t#<a>\na&#<b>\na|#<c>\n(#<d>\n)", ()),
    ("echo <a> # last line without newline <b>", ("a",)),
    # each quote closes where it should: what follows is outside it again
    ("echo 'a' '$B' # <c>", ()),
    ("echo 'a' \"$B\" # <c>", ("B",)),
    ("echo \"a\" '$B' # <c>", ()),
    ("echo \"a # <b>\" \"it's $C\"", ("b", "C")),
])
def test_placeholders_are_found_where_bash_would_see_them(code: str,
                                                           found: tuple[str, ...]) -> None:
    assert find_placeholders(code) == found


@pytest.mark.parametrize(("code", "found"), [
    ("SELECT <a>, '{b}', \"<c>\" -- <d>\nFROM {e} WHERE x = $F", ("a", "b", "c", "e")),
    ("SELECT 'it''s <a>' -- <b>", ("a",)),
    ("SELECT '--', <a>", ("a",)),
    ("SELECT \"a\"\"b\", <c> -- <d>", ("c",)),
    ("-- only a comment <a>", ()),
    ("SELECT 'a''<b>', 'c' -- <d>", ("b",)),
    ("SELECT 'a', <b> -- <c>", ("b",)),
    ("SELECT \"a\", 'x -- <b>' -- <c>", ("b",)),
])
def test_sql_placeholders_skip_comments_and_take_no_dollar_kind(code: str,
                                                                 found: tuple[str, ...]) -> None:
    assert find_placeholders(code, "sql") == found


@pytest.mark.parametrize("code", [
    "X=1; echo $X",
    "export X=1; echo $X",
    "local X=1; echo $X",
    "readonly X=1; echo $X",
    "declare -r -x X=1; echo $X",
    "X[0]=1; echo $X",
    "X+=1; echo $X",
    "(X=1); echo $X",
    "true&&X=1; echo $X",
    "true|X=1; echo $X",
    "true\tX=1; echo $X",
    "for X in 1 2; do echo $X; done",
    "select X in a b; do echo $X; done",
    "read X; echo $X",
    "read -r X Y; echo $X $Y",
    "read -r -p Prompt: X Y; echo $X $Y",
    # `-r`, `-s`, `-e` take no argument: the word after them is a name (a bug until now)
    "while read -r X; do echo $X; done",
    "read -rs X; echo $X",
    "read -e -s X; echo $X",
    "read -rp Prompt: X; echo $X",
    'read -p "Pod name: " X; echo $X',
    "read -d '' -t5 X; echo $X",
    "read -n 1 -u 3 X; echo $X",
    "read -ra X; echo ${X[0]}",
    "read -a X Y; echo $X $Y",
])
def test_a_variable_the_script_assigns_is_not_a_placeholder(code: str) -> None:
    assert find_placeholders(code) == ()


def test_names_that_only_look_assigned_stay_placeholders() -> None:
    assert find_placeholders("test $Y == 1; forX in $Z; xread W; echo $W") == ("Y", "Z", "W")


def test_dollar_placeholders_and_missing_ones() -> None:
    code = "echo <a> $B ${C} {d} $HOME; D=1; echo $D"
    assert dollar_placeholders(code) == {"B", "C"}
    assert dollar_placeholders("SELECT $B", "sql") == set()
    assert missing_placeholders(code, {}, {}) == ["a", "B", "C", "d"]
    # a `$VAR` set in the environment is left to the shell; `<a>` is not
    assert missing_placeholders(code, {"d": "1"}, {"B": "x", "a": "y"}) == ["a", "C"]
    assert missing_placeholders(code, {"a": "1", "B": "2", "C": "3", "d": "4"}, {}) == []
    assert missing_placeholders("SELECT <a>, {b}", {"b": "1"}, {"a": "1"}, "sql") == ["a"]


#: (template, filled with V): each quoting context gets V quoted its own way
QUOTED = [
    ("echo <v>", "echo 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("echo {v} $V", "echo 'it'\"'\"'s \"$HOME\" `x` \\' 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("echo '<v>'", "echo 'it'\\''s \"$HOME\" `x` \\'"),
    ('echo "<v>"', 'echo "it\'s \\"\\$HOME\\" \\`x\\` \\\\"'),
    ('echo "=$V="', 'echo "=it\'s \\"\\$HOME\\" \\`x\\` \\\\="'),
    ("[[ <v> ]]", "[[ 'it'\\''s \"$HOME\" `x` \\' ]]"),
    ("cat <<EOF\n<v>\nEOF", "cat <<EOF\nit's \"\\$HOME\" \\`x\\` \\\\\nEOF"),
    ("cat <<'EOF'\n<v>\nEOF", f"cat <<'EOF'\n{V}\nEOF"),
    ('cat <<"EOF"\n<v>\nEOF', f'cat <<"EOF"\n{V}\nEOF'),
    ("cat <<\\EOF\n<v>\nEOF", f"cat <<\\EOF\n{V}\nEOF"),
    ("cat <<'EOF'\n${X:-<v>}\nEOF", f"cat <<'EOF'\n${{X:-{V}}}\nEOF"),
    ('echo "$(printf %s <v>)"', "echo \"$(printf %s 'it'\"'\"'s \"$HOME\" `x` \\')\""),
    ("echo $(ls <v>)", "echo $(ls 'it'\"'\"'s \"$HOME\" `x` \\')"),
    ("echo x >> <v>", "echo x >> 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("cat <<< <v>", "cat <<< 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("export X=<v>", "export X='it'\"'\"'s \"$HOME\" `x` \\'"),
    ("a=(<v>)", "a=('it'\"'\"'s \"$HOME\" `x` \\')"),
    ("case <v> in a) ;; esac", "case 'it'\"'\"'s \"$HOME\" `x` \\' in a) ;; esac"),
    ("for x in <v>; do :; done", "for x in 'it'\"'\"'s \"$HOME\" `x` \\'; do :; done"),
    # argv of a command that is not re-parsed
    ("bash --rcfile <v>", "bash --rcfile 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("bash script.sh <v>", "bash script.sh 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("kubectl logs <v>", "kubectl logs 'it'\"'\"'s \"$HOME\" `x` \\'"),
    # a shell named by an assignment or a redirection is not the command; nor is one
    # that comes after the value
    ("SHELL=/bin/bash ls -lc <v>", "SHELL=/bin/bash ls -lc 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("sh -c 'pg_dump app' > <v>", "sh -c 'pg_dump app' > 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("sh -c 'cat' <<< <v>", "sh -c 'cat' <<< 'it'\"'\"'s \"$HOME\" `x` \\'"),
    ("timeout <v> bash -c true", "timeout 'it'\"'\"'s \"$HOME\" `x` \\' bash -c true"),
    # `$( )` inside double quotes starts afresh: each construct in it is a bare word again
    ('echo "$(export <v>)"', "echo \"$(export 'it'\"'\"'s \"$HOME\" `x` \\')\""),
    ('echo "$(X=<v>; echo $X)"', "echo \"$(X='it'\"'\"'s \"$HOME\" `x` \\'; echo $X)\""),
    ('echo "$(ls > <v>)"', "echo \"$(ls > 'it'\"'\"'s \"$HOME\" `x` \\')\""),
    ('echo "$(case x in <v>) echo y;; esac)"',
     "echo \"$(case x in 'it'\"'\"'s \"$HOME\" `x` \\') echo y;; esac)\""),
    ('echo "$(for x in <v>; do echo $x; done)"',
     "echo \"$(for x in 'it'\"'\"'s \"$HOME\" `x` \\'; do echo $x; done)\""),
    # a delimiter with letters only is unquoted; a command run inside the body does not
    # consume the heredoc
    ("cat <<XEOF\n<v>\nXEOF", "cat <<XEOF\nit's \"\\$HOME\" \\`x\\` \\\\\nXEOF"),
    ("cat <<EOF\n$(kubectl get pods) <v>\nEOF",
     "cat <<EOF\n$(kubectl get pods) it's \"\\$HOME\" \\`x\\` \\\\\nEOF"),
    # an unfilled placeholder before the filled one keeps every offset in place
    ('echo {a} <b> "<v>"', 'echo {a} <b> "it\'s \\"\\$HOME\\" \\`x\\` \\\\"'),
]


@pytest.mark.parametrize(("template", "filled"), QUOTED)
def test_each_quoting_context_quotes_the_value_its_own_way(template: str, filled: str) -> None:
    assert _fill(template) == filled


@pytest.mark.parametrize("op", [":-", "-", ":=", "=", ":+", "+", ":?", "?"])
def test_the_word_of_a_default_operator_is_a_value(op: str) -> None:
    assert _fill(f"echo ${{X{op}<v>}}", "a b") == f"echo ${{X{op}'a b'}}"
    assert _fill(f"echo ${{X{op}<v>}}", "web-1") == f"echo ${{X{op}web-1}}"
    with pytest.raises(PlaceholderError) as err:
        _fill(f'echo "${{X{op}<v>}}"', "a b")
    assert str(err.value) == _refusal("a ${...} word inside double quotes", "a b")


@pytest.mark.parametrize(("template", "where"), [
    ("echo ${X#<v>}", "a ${...} pattern"),
    ("echo ${X%%<v>}", "a ${...} pattern"),
    ("echo ${X/<v>/y}", "a ${...} pattern"),
    ("echo $'<v>'", "a $'...' string"),
    ("echo `ls <v>`", "a backtick substitution"),
    ('echo "`ls <v>`"', "a backtick substitution"),
    ("cat <<-EOF\n\t<v>\nEOF", "a <<- heredoc (tabs are stripped)"),
    ("cat <<-'EOF'\n\t<v>\nEOF", "a <<- heredoc (tabs are stripped)"),
    ("cat <<EOF\n${X:-<v>}\nEOF", "a ${...} word inside a heredoc"),
    ('echo "${X:-<v>}"', "a ${...} word inside double quotes"),
    ("bash -c <v>", "a bash -c string"),
    ("bash --login -c <v>", "a bash -c string"),
    ("bash -lc <v>", "a bash -c string"),
    ("bash \"-c\" <v>", "a bash -c string"),
    ("'bash' -c <v>", "a bash -c string"),
    ("/bin/bash -c <v>", "a bash -c string"),
    ("X=1 bash -c <v> 2>/dev/null", "a bash -c string"),
    ("bash -c 'ls' <v>", "a bash -c string"),
    ("su -c <v>", "a su command"),
    ("eval <v>", "an eval string"),
    ("ssh db-1 ls <v>", "an ssh remote command"),
    ("watch ls <v>", "a watch command"),
    ("runuser -u x -- ls <v>", "a runuser command"),
    ("flock /tmp/l ls <v>", "a flock command"),
    ("echo 'unbalanced <v>", "a script bash cannot parse"),
])
def test_contexts_where_only_plain_values_may_go(template: str, where: str) -> None:
    with pytest.raises(PlaceholderError) as err:
        _fill(template)
    assert str(err.value) == _refusal(where)
    assert _fill(template, "web-1.prod:5432") == template.replace("<v>", "web-1.prod:5432")


@pytest.mark.parametrize("shell", ["sh", "bash", "zsh", "dash", "ksh", "ash", "fish",
                                   "busybox"])
def test_every_shell_s_dash_c_string_is_re_parsed(shell: str) -> None:
    with pytest.raises(PlaceholderError) as err:
        _fill(f"{shell} -c <v>")
    assert str(err.value) == _refusal(f"a {shell} -c string")
    with pytest.raises(PlaceholderError) as err:
        _fill(f"cat <<EOF | {shell}\n<v>\nEOF")
    assert str(err.value) == _refusal(f"a heredoc fed to {shell}")
    assert _fill(f"{shell} run.sh <v>", "a b") == f"{shell} run.sh 'a b'"


@pytest.mark.parametrize("tool", ["psql", "mysql", "mariadb", "sqlite3", "clickhouse-client",
                                  "cqlsh", "mongo", "mongosh", "python", "python2", "python3",
                                  "perl", "ruby", "node", "php", "awk", "gawk", "mawk", "nawk",
                                  "sed", "osascript", "lua"])
def test_every_code_tool_s_argument_is_re_parsed(tool: str) -> None:
    with pytest.raises(PlaceholderError) as err:
        _fill(f"{tool} <v>")
    assert str(err.value) == _refusal(f"code or SQL handed to {tool}")
    with pytest.raises(PlaceholderError) as err:
        _fill(f"cat <<EOF | /usr/bin/{tool}\n<v>\nEOF")
    assert str(err.value) == _refusal(f"a heredoc fed to {tool}")


@pytest.mark.parametrize("consumer", ["ssh", "eval", "source", "kubectl", "docker", "podman",
                                      "redis-cli", "xargs", "sudo", "su"])
def test_a_heredoc_fed_to_a_command_that_runs_it_takes_plain_values(consumer: str) -> None:
    with pytest.raises(PlaceholderError) as err:
        _fill(f"cat <<EOF | {consumer} x\n<v>\nEOF")
    assert str(err.value) == _refusal(f"a heredoc fed to {consumer}")
    with pytest.raises(PlaceholderError) as err:
        _fill(f"{consumer} x <<'EOF'\n<v>\nEOF")
    assert str(err.value) == _refusal(f"a heredoc fed to {consumer}")
    assert _fill("cat <<EOF | tee x\n<v>\nEOF", "a b") == "cat <<EOF | tee x\na b\nEOF"


def test_a_heredoc_value_may_not_end_the_heredoc() -> None:
    for template in ("cat <<EOF\n<v>\nEOF", "cat <<'EOF'\n<v>\nEOF"):
        for value in ("EOF", "a\nEOF", "EOF\nb"):
            with pytest.raises(PlaceholderError) as err:
                _fill(template, value)
            assert str(err.value) == "<v>: a line of the value would end the heredoc"
        assert _fill(template, "xEOF\nEOFx") == template.replace("<v>", "xEOF\nEOFx")


def test_a_nul_byte_is_refused_everywhere_and_a_long_value_is_shown_cut() -> None:
    for template in ("echo <v>", "echo '<v>'", "bash -c <v>", "cat <<EOF\n<v>\nEOF"):
        with pytest.raises(PlaceholderError) as err:
            _fill(template, "a\0b")
        assert str(err.value) == "<v>: a value cannot hold a NUL byte"
    with pytest.raises(PlaceholderError) as err:
        _fill("bash -c <v>", "x y" * 7)
    assert str(err.value) == _refusal("a bash -c string", "x yx yx yx yx yx yx ...")
    with pytest.raises(PlaceholderError) as err:
        _fill("bash -c <v>", "x y" * 6 + "zz")
    assert str(err.value) == _refusal("a bash -c string", "x yx yx yx yx yx yzz")


def test_only_placeholders_with_values_are_filled() -> None:
    code = "echo <a> {b} $C '<a>'"
    assert fill_placeholders(code, {}) == code
    assert fill_placeholders(code, {"z": "1"}) == code
    assert fill_placeholders(code, {"b": "x y"}) == "echo <a> 'x y' $C '<a>'"
    assert fill_placeholders(code, {"a": "1", "C": "2"}) == "echo 1 {b} 2 '1'"


#: (template, value, SQL for display)
SQL_FILLED = [
    ("WHERE a = <v>", "5", "WHERE a = 5"),
    ("WHERE a = <v>", "-5", "WHERE a = -5"),
    ("WHERE a = <v>", "3.25", "WHERE a = 3.25"),
    ("WHERE a = <v>", "3.", "WHERE a = '3.'"),
    ("WHERE a = <v>", "1e5", "WHERE a = '1e5'"),
    ("WHERE a = <v>", "5 ", "WHERE a = '5 '"),
    ("WHERE a = <v>", "o'x", "WHERE a = 'o''x'"),
    ("WHERE a = '<v>'", "o'x\"y", "WHERE a = 'o''x\"y'"),
    ('SELECT "<v>"', "o'x\"y", 'SELECT "o\'x""y"'),
    ("SELECT <v>, '<w>' -- <v>", "1", "SELECT 1, '<w>' -- <v>"),
    ("SELECT e'<v>', x", "ab", "SELECT e'ab', x"),
    ("SELECT 'a', <v>", "o'x", "SELECT 'a', 'o''x'"),
    ("SELECT 'a''', <v>", "o'x", "SELECT 'a''', 'o''x'"),
    ("SELECT 'a''<v>'", "o'x", "SELECT 'a''o''x'"),
    ('SELECT "a", <v>', "o'x", "SELECT \"a\", 'o''x'"),
    ('SELECT "a""<v>"', 'o"x', 'SELECT "a""o""x"'),
    # no E prefix: a literal at the very start, a bit string, an identifier ending in E
    ("'<v>' AS type", "o'x", "'o''x' AS type"),
    ("SELECT X'<v>'", "o'x", "SELECT X'o''x'"),
    ("xE'<v>'", "o'x", "xE'o''x'"),
    ("SELECT <w>, <v>", "o'x", "SELECT <w>, 'o''x'"),
    ("SELECT $$a$$<v>", "o'x", "SELECT $$a$$'o''x'"),
]


@pytest.mark.parametrize(("template", "value", "sql"), SQL_FILLED)
def test_sql_values_become_literals_for_display(template: str, value: str, sql: str) -> None:
    assert fill_placeholders(template, {"v": value}, "sql") == sql


@pytest.mark.parametrize("template", [
    "SELECT E'<v>'", "E'<v>'", "E'<v>' AS x", "SELECT 1, e'<v>'", "DO $$ '<v>' $$",
    "DO $f$ '<v>' $f$",
])
def test_sql_strings_with_their_own_escapes_take_plain_values(template: str) -> None:
    with pytest.raises(PlaceholderError) as err:
        fill_placeholders(template, {"v": "a'b"}, "sql")
    assert str(err.value) == _refusal("a dollar-quoted or E'' SQL string", "a'b")
    assert fill_placeholders(template, {"v": "ab"}, "sql") == template.replace("<v>", "ab")
    with pytest.raises(PlaceholderError) as err:
        fill_placeholders(template, {"v": "a\0b"}, "sql")
    assert str(err.value) == "<v>: a value cannot hold a NUL byte"


@pytest.mark.parametrize("template", ["SELECT likE'<v>'", "SELECT x_E'<v>'", "SELECT '<v>'",
                                      "SELECT $$a$$, '<v>'"])
def test_a_literal_merely_after_an_e_is_an_ordinary_string(template: str) -> None:
    assert fill_placeholders(template, {"v": "a'b"}, "sql") == template.replace("<v>", "a''b")


#: (template, values, bound SQL, parameters)
SQL_BOUND = [
    ("WHERE a = <a> AND b = {b}", {"a": "1", "b": "x"},
     "WHERE a = %(a)s AND b = %(b)s", {"a": "1", "b": "x"}),
    ("WHERE a = <a.b-c> AND p LIKE '5%'", {"a.b-c": "1"},
     "WHERE a = %(a_b_c)s AND p LIKE '5%%'", {"a_b_c": "1"}),
    ("WHERE a = '<a>'", {"a": "x'y"}, "WHERE a = %(a)s", {"a": "x'y"}),
    ("WHERE a LIKE '%<a>'", {"a": "x"}, "WHERE a LIKE ('%%' || %(a)s)", {"a": "x"}),
    ("WHERE a LIKE '<a>%'", {"a": "x"}, "WHERE a LIKE (%(a)s || '%%')", {"a": "x"}),
    ("WHERE a = '<a>-<b>' AND c = <c>", {"a": "x", "b": "y", "c": "z"},
     "WHERE a = (%(a)s || '-' || %(b)s) AND c = %(c)s", {"a": "x", "b": "y", "c": "z"}),
    ("WHERE a = '<a><b>'", {"a": "x", "b": "y"},
     "WHERE a = (%(a)s || %(b)s)", {"a": "x", "b": "y"}),
    ("WHERE a = '<a>-<b>'", {"a": "x"}, "WHERE a = (%(a)s || '-<b>')", {"a": "x"}),
    ("WHERE a = '<b>-<a>'", {"a": "x"}, "WHERE a = ('<b>-' || %(a)s)", {"a": "x"}),
    ("SELECT <a> -- 5% <b>", {"a": "1", "b": "2"}, "SELECT %(a)s -- 5%% <b>", {"a": "1"}),
    ('SELECT "<c>" FROM t', {"c": "my_col.1-x"}, 'SELECT "my_col.1-x" FROM t', {}),
    ("SELECT $$ <c> $$, <a>", {"a": "1", "c": "9"}, "SELECT $$ 9 $$, %(a)s", {"a": "1"}),
    ("SELECT <a>", {}, "SELECT <a>", {}),
    ("<a>", {"a": "1"}, "%(a)s", {"a": "1"}),
    ("WHERE a = '<a>'<b>", {"a": "x", "b": "y"}, "WHERE a = %(a)s%(b)s", {"a": "x", "b": "y"}),
    ("WHERE x = '<a.b>'", {"a.b": "1"}, "WHERE x = %(a_b)s", {"a_b": "1"}),
]


@pytest.mark.parametrize(("template", "values", "sql", "params"), SQL_BOUND)
def test_sql_with_params_binds_each_value(template: str, values: dict[str, str], sql: str,
                                          params: dict[str, str]) -> None:
    assert sql_with_params(template, values) == (sql, params)


@pytest.mark.parametrize(("template", "value", "where"), [
    ('SELECT "<c>"', 'x" --', "a SQL identifier or dollar-quoted body"),
    ('SELECT "<c>"', "a%b", "a SQL identifier or dollar-quoted body"),
    ('SELECT "<c>"', "a b", "a SQL identifier or dollar-quoted body"),
    ("SELECT $$ <c> $$", "a'b", "a SQL identifier or dollar-quoted body"),
    ("SELECT 1 /* it's <c> */", "x", "a SQL string"),
])
def test_sql_with_params_refuses_what_cannot_be_bound(template: str, value: str,
                                                      where: str) -> None:
    with pytest.raises(PlaceholderError) as err:
        sql_with_params(template, {"c": value})
    assert str(err.value) == _refusal(where, value, "c")


def test_split_sql_and_strip_comments() -> None:
    assert split_sql("SELECT 1; SELECT 2") == ["SELECT 1", " SELECT 2"]
    assert split_sql("SELECT 1;;  ; -- only\n; /* c */ SELECT 'a;b'") == [
        "SELECT 1", " /* c */ SELECT 'a;b'"]
    assert split_sql('SELECT "a;b"; SELECT $x$;$x$; SELECT \'it\'\';\'') == [
        'SELECT "a;b"', " SELECT $x$;$x$", " SELECT 'it'';'"]
    assert split_sql("") == []
    assert strip_comments("a -- b\nc /* d\ne */ f") == "a  \nc   f"


def test_the_scanner_gives_each_placeholder_its_span_kind_and_quoting() -> None:
    # the context is what a script bash cannot parse falls back on
    assert _scan("a <b> '{c}' \"$D\" ${E}", "bash") == [
        (2, 5, "angle", "b", "plain"), (7, 10, "brace", "c", "single"),
        (13, 15, "dollar", "D", "double"), (17, 21, "dollar", "E", "plain")]
    assert _scan("SELECT <a>, '{b}', \"<c>\"", "sql") == [
        (7, 10, "angle", "a", "plain"), (13, 16, "brace", "b", "single"),
        (20, 23, "angle", "c", "double")]
