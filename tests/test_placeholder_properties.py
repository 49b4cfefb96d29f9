"""Any value, in every quoting context the filler knows, comes back from real bash byte for
byte and runs nothing: or the filler refuses it with the exact error for that context.

The contexts are the ones `runbooks/placeholders.py` tells apart (`_spot`, `_command_spot`,
`_heredoc_consumers`): bare words, '...', "...", $'...', `[[ ]]`, assignments (plain,
`export`, `local`, prefix, array), redirection and here-string targets, `case`/`for`
words, `$( )`, backticks, ${VAR:-default} and ${VAR#pattern}, heredocs (unquoted, quoted,
`<<-`, fed to a shell), and the strings other programs parse again (`bash -c`, `sh -c`,
`sudo -u x bash -c`, `eval`, `python3 -c`, `awk`, `ssh`, `watch`). Every value also tries
`touch CANARY`; the scratch directory must never hold one.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from runbooks.placeholders import PLAIN_VALUE, PlaceholderError, fill_placeholders


class Context(NamedTuple):
    """A template holding `<v>` (or `{v}`/`$V`), what bash prints for value v, and where
    the filler says the value stands when only plain values may go there."""

    id: str
    template: str
    prints: str  # "{v}" stands for the value
    refused_in: str | None = None
    runs: bool = True  # False: the command needs a host or a tty (ssh, watch, sudo)


CONTEXTS = [
    Context("bare", "printf %s <v>", "{v}"),
    Context("brace-kind", "printf %s {v}", "{v}"),
    Context("dollar-kind", "printf %s $V", "{v}"),
    Context("single", "printf %s '<v>'", "{v}"),
    Context("double", 'printf %s "<v>"', "{v}"),
    Context("dollar-in-double", 'printf %s "=$V="', "={v}="),
    Context("concatenated", "printf %s x<v>'y'\"<v>\"", "x{v}y{v}"),
    Context("assignment", 'X=<v>; printf %s "$X"', "{v}"),
    Context("prefix-assignment", "X=<v> printenv X", "{v}\n"),
    Context("export", 'export X=<v>; printf %s "$X"', "{v}"),
    Context("local", 'f() { local X=<v>; printf %s "$X"; }; f', "{v}"),
    Context("array", 'a=(<v>); printf %s "${a[0]}"', "{v}"),
    Context("for-word", 'for x in <v>; do printf %s "$x"; done', "{v}"),
    Context("case-pattern", 'case "$RAW" in <v>) printf same;; *) printf other;; esac',
            "same"),
    Context("[[-compare", '[[ <v> == "$RAW" && "$RAW" == <v> ]] && printf same', "same"),
    Context("[[-regex", '[[ "$RAW" =~ ^<v>$ ]] && printf same', "same"),
    Context("[[-operand", "[[ <v> ]] && printf full || printf empty", "full|empty"),
    Context("here-string", "cat <<< <v>", "{v}\n"),
    Context("here-string-double", 'cat <<< "<v>"', "{v}\n"),
    Context("cmd-subst", 'x=$(printf %s <v>; printf .); printf %s "${x%.}"', "{v}"),
    Context("cmd-subst-in-double", 'x="$(printf %s "<v>"; printf .)"; printf %s "${x%.}"',
            "{v}"),
    Context("subshell-and-pipe", "( printf %s <v> ) | { cat; }", "{v}"),
    Context("function-if", "f() { if true; then printf %s <v>; fi; }; f", "{v}"),
    Context("time", "time printf %s <v>", "{v}"),
    Context("default-bare", "printf %s ${UNSET_X:-<v>}", "{v}"),
    Context("default-double", 'printf %s "${UNSET_X:-<v>}"', "{v}",
            "a ${...} word inside double quotes"),
    Context("heredoc", "cat <<EOF\n<v>\nEOF", "{v}\n"),
    Context("heredoc-quoted", "cat <<'EOF'\n<v>\nEOF", "{v}\n"),
    # re-parsed by someone else: only plain values
    Context("bash-c-single", "bash -c 'printf %s <v>'", "{v}", "a bash -c string"),
    Context("sh-c-double", 'sh -c "printf %s <v>"', "{v}", "a sh -c string"),
    Context("sudo-bash-c", "sudo -u postgres bash -c 'ls <v>'", "", "a bash -c string",
            runs=False),
    Context("eval", 'eval "printf %s <v>"', "{v}", "an eval string"),
    Context("backticks", "printf %s `printf %s <v>`", "{v}", "a backtick substitution"),
    Context("ansi-c", "printf %s $'<v>'", "{v}", "a $'...' string"),
    Context("pattern-double", 'printf %s "${RAW#<v>}"', "", "a ${...} pattern"),
    Context("pattern-bare", 'printf %s ${RAW%%<v>}', "", "a ${...} pattern"),
    Context("heredoc-default", "cat <<EOF\n${UNSET_X:-<v>}\nEOF", "{v}\n",
            "a ${...} word inside a heredoc"),
    Context("heredoc-to-sh", "cat <<EOF | sh\nprintf %s <v>\nEOF", "{v}", "a heredoc fed to sh"),
    Context("heredoc-strip-tabs", "cat <<-EOF\n\t<v>\nEOF", "{v}\n",
            "a <<- heredoc (tabs are stripped)"),
    Context("python-c", "python3 -c 'print(\"<v>\", end=\"\")'", "{v}",
            "code or SQL handed to python3"),
    Context("awk", "awk 'BEGIN { printf \"%s\", \"<v>\" }'", "{v}", "code or SQL handed to awk"),
    Context("ssh", "ssh db-1 ls <v>", "", "an ssh remote command", runs=False),
    Context("watch", "watch ls <v>", "", "a watch command", runs=False),
]

_CANARY = ["$(touch CANARY)", "`touch CANARY`", "'; touch CANARY; '", '"; touch CANARY; "',
           "\\\"; touch CANARY #", "\ntouch CANARY\n", "EOF\ntouch CANARY\nEOF", "}; touch CANARY",
           "$'\\n'touch CANARY", "a|touch CANARY", "x&touch CANARY&", "<(touch CANARY)"]
_PIECES = [*_CANARY, "$HOME", "${RAW}", "$RAW", "*", "?", "[a]", "~", "~root", " ", "\t", "\n",
           "'", '"', "\\", "\\\\", "$", "`", ";", "|", "&", "<", ">", "(", ")", "{", "}", "#",
           "!", "-n", "-e", "==", "=", "é", "日本", "🔥", "EOF", "a", "x.y", ""]
values = st.one_of(
    st.sampled_from(_PIECES),
    st.lists(st.sampled_from(_PIECES), max_size=4).map("".join),
    st.text(alphabet=st.sampled_from(list("ab -~*?'\"\\$`;|&<>(){}#!\n\té日")), max_size=16),
)


def _refusal(where: str, value: str) -> str:
    shown = value if len(value) <= 20 else value[:20] + "..."
    return (f"<v> stands in {where}: only plain values (letters, digits, . _ : / @ % + , = -)"
            f" can go there, not {shown!r}")


def _bash(script: str, cwd: Path, value: str) -> bytes:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "RAW": value, "LC_ALL": "C.UTF-8"}
    done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True,
                          timeout=10, check=False)
    return done.stdout


def _expected(context: Context, value: str) -> bytes:
    if context.prints == "full|empty":
        return b"full" if value else b"empty"
    if context.id.startswith("pattern-"):
        return b""  # a plain value strips itself off $RAW
    return context.prints.replace("{v}", value).encode()


@settings(max_examples=60, derandomize=True, deadline=None)
@given(values)
@example("-n")  # `[[ -n == x ]]` is a syntax error: values in [[ ]] are always quoted
@example("a}b")  # "${X:-a}b}" ends the expansion early
@example("EOF")
@example("")
def test_every_context_gives_the_value_back_or_refuses_it(value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        for context in CONTEXTS:
            values = {"v": value, "V": value}
            if context.refused_in and not PLAIN_VALUE.fullmatch(value):
                with pytest.raises(PlaceholderError) as err:
                    fill_placeholders(context.template, values)
                assert str(err.value) == _refusal(context.refused_in, value), context.id
                continue
            if context.id.startswith("heredoc") and "EOF" in value.split("\n"):
                with pytest.raises(PlaceholderError) as err:
                    fill_placeholders(context.template, values)
                assert str(err.value) == "<v>: a line of the value would end the heredoc"
                continue
            script = fill_placeholders(context.template, values)
            if context.refused_in:  # a plain value needs no quoting there
                assert script == context.template.replace("<v>", value)
            if context.runs:
                assert _bash(script, cwd, value) == _expected(context, value), (context.id,
                                                                                 script)
            assert not (cwd / "CANARY").exists(), (context.id, script)
            assert os.listdir(cwd) == [], (context.id, script)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(values)
@example("-n")
@example("~")
@example("*")
def test_a_redirection_target_is_the_file_named_by_the_value(value: str) -> None:
    """`> <v>` writes exactly one file, named by the value, and nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        script = fill_placeholders('printf %s "$RAW" > <v>', {"v": value})
        _bash(script, cwd, value)
        names = os.listdir(cwd)
        if value and "/" not in value and value not in {".", ".."}:
            assert names == [value], script
            assert (cwd / value).read_bytes() == value.encode()
        else:
            assert names == [], script  # bash refused the name; nothing else ran


def test_nul_is_refused_in_every_context() -> None:
    for context in CONTEXTS:
        with pytest.raises(PlaceholderError) as err:
            fill_placeholders(context.template, {"v": "a\0b", "V": "a\0b"})
        assert str(err.value) in {"<v>: a value cannot hold a NUL byte",
                                  "<V>: a value cannot hold a NUL byte"}, context.id


def test_a_refused_value_is_shown_up_to_20_characters() -> None:
    with pytest.raises(PlaceholderError) as err:
        fill_placeholders("bash -c 'ls <v>'", {"v": "a b" * 7})
    assert str(err.value).endswith("not 'a ba ba ba ba ba ba ...'")
    with pytest.raises(PlaceholderError) as err:
        fill_placeholders("bash -c 'ls <v>'", {"v": "a b" * 6 + "cc"})
    assert str(err.value).endswith("not 'a ba ba ba ba ba bcc'")
