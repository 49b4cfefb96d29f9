"""bashtree's reading of a shell command, pinned exactly: words, stdin, piped, writes.

Each expected value is what bash itself would do with the command, judged by hand.
"""

from __future__ import annotations

import pytest

from runbooks.bashtree import (
    PLACEHOLDER_WORD,
    Invocation,
    ParseError,
    mask_placeholders,
    output_text,
    parse,
    parse_tree,
    word_value,
)

P = PLACEHOLDER_WORD
Row = tuple[list[str | None], str | None, bool, list[tuple[str, str | None]]]


def _rows(code: str) -> list[Row]:
    return [(i.words, i.stdin, i.piped, i.writes) for i in parse(code)]


CASES: list[tuple[str, list[Row]]] = [
    # plain words, quoting
    ("ls -l /tmp", [(["ls", "-l", "/tmp"], None, False, [])]),
    ("'raw $x' $'a\\tb' 42 a\"b\"'c'", [(["raw $x", "a\tb", "42", "abc"], None, False, [])]),
    ("echo a$x \"$x\" \"a\" ${y}", [(["echo", None, None, "a", None], None, False, [])]),
    ("a\\ b c\\\\d e\\$", [(["a b", "c\\d", "e$"], None, False, [])]),
    # inside double quotes only \\ \" \$ \` lose their backslash
    ('echo "a\\"b\\\\c\\$d\\`e\\n"', [(["echo", 'a"b\\c$d`e\\n'], None, False, [])]),
    # a backslash-newline inside double quotes is removed
    ('echo "ab\\\ncd"', [(["echo", "abcd"], None, False, [])]),
    ('echo ab\\\ncd', [(["echo", "abcd"], None, False, [])]),
    # line continuation between words, and inside the command name
    ("rm -rf \\\n  /tmp/x", [(["rm", "-rf", "/tmp/x"], None, False, [])]),
    ("r\\\nm x", [(["rm", "x"], None, False, [])]),
    ("rm -r\\\nf x", [(["rm", "-rf", "x"], None, False, [])]),
    ("rm $a\\\nf x", [(["rm", None, "x"], None, False, [])]),
    # placeholders are one inert word
    ("kubectl get pods -n <namespace>", [(["kubectl", "get", "pods", "-n", P], None, False, [])]),
    ("curl http://x/{id}/y {{ $labels.instance }} [NAMESPACE] ${VAR} %{time_total} <pod name>",
     [(["curl", f"http://x/{P}/y", P, P, None, "%{time_total}", P], None, False, [])]),
    # redirections
    ("cmd > out", [(["cmd"], None, False, [(">", "out")])]),
    ("cmd > out a b", [(["cmd", "a", "b"], None, False, [(">", "out")])]),
    ("cmd >> log 2> err &> both <in",
     [(["cmd"], None, True, [(">>", "log"), (">", "err"), ("&>", "both")])]),
    ("cmd 2>&1 >out.txt", [(["cmd"], None, False, [(">", "out.txt")])]),
    ("cmd <&3 >&2 >&foo 3>&-", [(["cmd"], None, True, [(">&", "foo")])]),
    # `>&-` closes stdout: the word after it is an argument, not a target
    ("cmd >&- foo", [(["cmd", "foo"], None, False, [])]),
    ("cmd <&- foo", [(["cmd", "foo"], None, False, [])]),
    ("cmd >& -", [(["cmd"], None, False, [])]),
    # words after each of several redirections are all arguments
    ("cmd > a b 2> c d", [(["cmd", "b", "d"], None, False, [(">", "a"), (">", "c")])]),
    (">a x >b y cmd z", [(["x", "y", "cmd", "z"], None, False, [(">", "a"), (">", "b")])]),
    ("> a cmd x 2> c d", [(["cmd", "x", "d"], None, False, [(">", "a"), (">", "c")])]),
    ("cmd > \"$f\"", [(["cmd"], None, False, [(">", None)])]),
    ("cmd > $(mktemp)", [(["mktemp"], None, False, []), (["cmd"], None, False, [(">", None)])]),
    ("> file", [([], None, False, [(">", "file")])]),
    ("< file", [([], None, True, [])]),
    ("cat < in", [(["cat"], None, True, [])]),
    # here-strings
    ('cat <<< "hello"', [(["cat"], "hello\n", True, [])]),
    ("cat <<< $x", [(["cat"], None, True, [])]),
    # pipelines
    ("echo hi | tr a b | cat",
     [(["echo", "hi"], None, False, []), (["tr", "a", "b"], "hi\n", True, []),
      (["cat"], None, True, [])]),
    ("echo x |& cat", [(["echo", "x"], None, False, []), (["cat"], "x\n", True, [])]),
    ("echo aGVsbG8= | base64 -d | sh",
     [(["echo", "aGVsbG8="], None, False, []), (["base64", "-d"], "aGVsbG8=\n", True, []),
      (["sh"], "hello", True, [])]),
    ("(echo hi) | cat", [(["echo", "hi"], None, False, []), (["cat"], "hi\n", True, [])]),
    ("(echo hi; x=1) | cat",
     [(["echo", "hi"], None, False, []), (["cat"], "hi\n", True, [])]),
    ("(x=1) | cat", [(["cat"], None, True, [])]),
    ("echo -n hi | cat", [(["echo", "-n", "hi"], None, False, []), (["cat"], "hi", True, [])]),
    ("echo $x | cat", [(["echo", None], None, False, []), (["cat"], None, True, [])]),
    ("printf hello | cat", [(["printf", "hello"], None, False, []),
                            (["cat"], "hello", True, [])]),
    ("ls ; echo hi && rm x || true",
     [(["ls"], None, False, []), (["echo", "hi"], None, False, []),
      (["rm", "x"], None, False, []), (["true"], None, False, [])]),
    # subshells, groups, loops, substitutions
    ("(cd /x && rm y) > log",
     [(["cd", "/x"], None, False, []), (["rm", "y"], None, False, []),
      ([], None, False, [(">", "log")])]),
    ("{ echo a; } > out", [(["echo", "a"], None, False, []), ([], None, False, [(">", "out")])]),
    ("echo $(date) `whoami` <(ls)",
     [(["date"], None, False, []), (["whoami"], None, False, []), (["ls"], None, False, []),
      (["echo", None, None, None], None, False, [])]),
    ("$(which rm) x", [(["which", "rm"], None, False, []), ([None, "x"], None, False, [])]),
    ("for f in a; do rm $f; done", [(["rm", None], None, False, [])]),
    ("f() { rm -rf /x; }", [(["rm", "-rf", "/x"], None, False, [])]),
    ("while read l; do echo $l; done < file",
     [(["read", "l"], None, False, []), (["echo", None], None, False, []),
      ([], None, True, [])]),
    ("echo \"$(id -u)\"", [(["id", "-u"], None, False, []), (["echo", None], None, False, [])]),
    ("cmd > out $(id)", [(["id"], None, False, []), (["cmd", None], None, False, [(">", "out")])]),
    # assignments are not words; their substitutions run
    ("FOO=bar X=$(id) cmd arg", [(["id"], None, False, []), (["cmd", "arg"], None, False, [])]),
    ("x=1", []),
    # bash -c keeps its script as one word
    ("bash -c 'rm -rf /tmp/x'", [(["bash", "-c", "rm -rf /tmp/x"], None, False, [])]),
    # heredocs
    ("cat <<EOF\nhello\nEOF", [(["cat"], "hello\n", True, [])]),
    ("cat <<EOF > out\nhello\nEOF", [(["cat"], "hello\n", True, [(">", "out")])]),
    ("cmd > out <<EOF\nhi\nEOF", [(["cmd"], "hi\n", True, [(">", "out")])]),
    ("cat <<EOF | sh\nrm -rf /x\nEOF",
     [(["cat"], "rm -rf /x\n", True, []), (["sh"], "rm -rf /x\n", True, [])]),
    ("cat <<EOF |& sh\nrm\nEOF", [(["cat"], "rm\n", True, []), (["sh"], "rm\n", True, [])]),
    ("cat <<EOF | grep a | sh\nrm\nEOF",
     [(["cat"], "rm\n", True, []), (["grep", "a"], "rm\n", True, []),
      (["sh"], None, True, [])]),
    ("cat <<EOF && rm x\nbody $(id)\nEOF",
     [(["id"], None, False, []), (["cat"], "body $(id)\n", True, []),
      (["rm", "x"], None, False, [])]),
    # the heredoc pipes into `sh` only, not into what follows `&&`
    ("cat <<EOF | sh && rm x\nhi\nEOF",
     [(["cat"], "hi\n", True, []), (["sh"], "hi\n", True, []), (["rm", "x"], None, False, [])]),
    ("cat <<EOF && echo a | cat\nx\nEOF",
     [(["cat"], "x\n", True, []), (["echo", "a"], None, False, []),
      (["cat"], "a\n", True, [])]),
    ("cat <<EOF |\nsh\nhi\nEOF", [(["cat"], "hi\n", True, []), (["sh"], "hi\n", True, [])]),
    ("cat <<'EOF'\nx $(id)\nEOF", [(["cat"], "x $(id)\n", True, [])]),
]


@pytest.mark.parametrize(("code", "expected"), CASES, ids=[c for c, _ in CASES])
def test_parse_pins_every_invocation(code: str, expected: list[Row]) -> None:
    assert _rows(code) == expected


def test_invocation_name_and_text() -> None:
    [inv] = parse("rm -rf x > log")
    assert inv.name == "rm"
    assert inv.text == "rm -rf x"
    [bare] = parse("> file")
    assert bare.name is None
    assert bare.text == "> file"
    assert Invocation([None, "x"]).name is None
    empty = Invocation([])
    assert (empty.writes, empty.stdin, empty.piped, empty.text) == ([], None, False, "")


@pytest.mark.parametrize("code", ["echo 'unbalanced", "echo )", "if then fi"])
def test_unparseable_scripts_raise(code: str) -> None:
    with pytest.raises(ParseError, match=r"^bash cannot parse this script$"):
        parse(code)
    assert parse_tree(code) is None


def test_parse_tree_does_not_mask() -> None:
    tree = parse_tree("echo {id}")
    assert tree is not None
    assert tree.root_node.text == b"echo {id}"


@pytest.mark.parametrize(("code", "masked"), [
    ("-n <namespace>", f"-n {P}"),
    ("<pod name here>", P),
    ("<a.b-c_d>", P),
    ("<1a> <-a> <a >", "<1a> <-a> <a >"),
    ("{{ $labels.x }} and {{y}}", f"{P} and {P}"),
    ("[NAMESPACE_1] [Ns] [1A]", f"{P} [Ns] [1A]"),
    ("{id} {a-b_c} ${VAR} %{time} {{id}", f"{P} {P} ${{VAR}} %{{time}} {{{{id}}"),
    ("{1a} {}", "{1a} {}"),
])
def test_mask_placeholders(code: str, masked: str) -> None:
    assert mask_placeholders(code) == masked


def _first_arg(code: str) -> str | None:
    tree = parse_tree(code)
    assert tree is not None
    command = tree.root_node.named_children[0]
    return word_value(command.named_children[1])


@pytest.mark.parametrize(("code", "value"), [
    ("echo plain", "plain"),
    ("echo 42", "42"),
    ("echo a\\ b", "a b"),
    ("echo 'a\\b'", "a\\b"),
    ("echo $'x\\ny'", "x\ny"),
    ("echo $'\\x'", None),  # not a valid escape: unknown rather than guessed
    ('echo "a\\tb"', "a\\tb"),
    ('echo "$x"', None),
    ("echo a'b'\"c\"", "abc"),
    ("echo a$b", None),
    ("echo $b", None),
])
def test_word_value(code: str, value: str | None) -> None:
    assert _first_arg(code) == value


@pytest.mark.parametrize(("words", "stdin", "out"), [
    (["echo", "a", "b"], None, "a b\n"),
    (["echo", "-e", "-E", "a"], None, "a\n"),
    (["echo", "-n", "a", "b"], None, "a b"),
    (["echo", "-e", "-n", "a"], None, "a"),
    (["echo", "a", "-n"], None, "a -n\n"),
    (["echo", "-n"], None, ""),
    (["echo"], None, "\n"),
    (["echo", None], None, None),
    ([], None, None),
    (["printf", "a"], None, "a"),
    (["printf"], None, None),
    (["cat"], "x\n", "x\n"),
    (["cat"], None, None),
    (["cat", "f"], "x\n", None),
    (["base64", "-d"], "aGk=\n", "hi"),
    (["base64", "--decode"], "aGk", "hi"),
    (["base64", "-D"], "aGk=", "hi"),
    (["base64"], "aGk=", None),
    (["base64", "-d"], None, None),
    (["base64", "-d"], "/w==", None),  # not UTF-8
    (["base64", "-d"], "a", None),  # one char is no base64
    (["ls"], "x", None),
])
def test_output_text(words: list[str | None], stdin: str | None, out: str | None) -> None:
    assert output_text(Invocation(words, stdin=stdin)) == out
