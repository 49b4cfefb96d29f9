"""A bash script as the simple commands it would run, from tree-sitter-bash's real parse.

Why tree-sitter-bash: measured on every command of the bundled and sample runbooks plus
hard syntax (`[[ ]]`, arrays, `$(( ))`, `case`, `select`, `coproc`, `time`, heredocs in
`$( )`), bashlex 0.18 failed on 9 of 123 scripts and tree-sitter-bash on 1 (the one
with an unbalanced quote, which no parser should accept). It marks what it cannot parse
(`has_error`) instead of guessing, so callers can fail safe.

Placeholders (`<name>`, `<name with words>`, `[NAMESPACE]`, `{id}`, `{{ $labels.x }}`)
are values: they are swapped for an inert word before parsing, so `-n <namespace>` is
an argument and never a pair of redirections.

Each `Invocation` is one simple command with its words (None where a word comes from an
expansion, unknown until run time), the text fed to its stdin when the script itself
supplies it (heredoc, here-string, `echo ... |`, `base64 -d`), and its redirections.
Commands inside `$( )`, backticks, `<( )`, loops, functions and heredoc-piped pipelines
are all listed.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass, field

import tree_sitter_bash
from tree_sitter import Language, Node, Parser, Tree

PLACEHOLDER_WORD = "OPSDASH_PLACEHOLDER"
PLACEHOLDER_PATTERN = re.compile(
    r"\{\{.*?\}\}"  # Go templates: {{ $labels.instance }}
    r"|<[A-Za-z_][A-Za-z0-9_.-]*(?: [A-Za-z0-9_.-]+)*>"  # <name>, <name with words>
    r"|\[[A-Z][A-Z0-9_]*\]"  # [NAMESPACE_NAME]
    r"|(?<![$%{])\{[A-Za-z_][A-Za-z0-9_-]*\}")  # {id}, not ${VAR} or %{time_total}

_PARSER = Parser(Language(tree_sitter_bash.language()))
_SUBSTITUTIONS = {"command_substitution", "process_substitution"}
_REDIRECTS = {"file_redirect", "heredoc_redirect", "herestring_redirect"}

Word = str | None  # None: produced by an expansion, unknown until the script runs


@dataclass
class Invocation:
    """One simple command. `words` is empty for a bare redirection such as `> file`."""

    words: list[Word]
    stdin: str | None = None  # text the script feeds it, when known
    piped: bool = False  # stdin is a pipe, heredoc or here-string, not the terminal
    writes: list[tuple[str, Word]] = field(default_factory=list)  # (operator, target)
    text: str = ""

    @property
    def name(self) -> Word:
        return self.words[0] if self.words else None


class ParseError(ValueError):
    """The script is not valid bash (unbalanced quotes, stray `)`...)."""


def mask_placeholders(code: str) -> str:
    """The script with each placeholder replaced by one inert word."""
    return PLACEHOLDER_PATTERN.sub(PLACEHOLDER_WORD, code)


def parse(code: str) -> list[Invocation]:
    """Every simple command the script may run. Raises ParseError when it does not parse."""
    source = mask_placeholders(code).encode()
    tree = _PARSER.parse(source)
    if tree.root_node.has_error:
        raise ParseError("bash cannot parse this script")
    out: list[Invocation] = []
    _visit(tree.root_node, out, None, False)
    return out


def _text(node: Node) -> str:
    return (node.text or b"").decode(errors="replace")


def _unescape_word(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""))


def word_value(node: Node) -> Word:
    """The literal value of a word node, or None when it holds an expansion."""
    t = node.type
    text = _text(node)
    if t in {"word", "number"}:
        return _unescape_word(text)
    if t == "raw_string":
        return text[1:-1]
    if t == "ansi_c_string":
        try:
            return codecs.decode(text[2:-1], "unicode_escape")
        except UnicodeDecodeError:
            return None
    if t == "string":
        if any(c.type != "string_content" for c in node.named_children):
            return None
        return re.sub(r'\\([\\"$`])', r"\1", text[1:-1].replace("\\\n", ""))
    if t == "concatenation":
        parts: list[str] = []
        for child in node.children:
            value = word_value(child) if child.is_named else _text(child)
            if value is None:
                return None
            parts.append(value)
        return "".join(parts)
    return None


def _visit_substitutions(node: Node, out: list[Invocation]) -> None:
    """Commands run by `$( )`, backticks and `<( )` in `node` or anywhere below it."""
    if node.type in _SUBSTITUTIONS:
        for stmt in node.named_children:
            _visit(stmt, out, None, False)
        return
    for child in node.children:
        _visit_substitutions(child, out)


def _redirect(node: Node, inv: Invocation, out: list[Invocation]) -> list[Node]:
    """Applies one redirection to `inv`; returns words that follow it (more arguments)."""
    _visit_substitutions(node, out)
    operator = next((_text(c) for c in node.children if not c.is_named), "")
    targets = [c for c in node.named_children if c.type != "file_descriptor"]
    if node.type == "herestring_redirect":
        inv.piped = True
        value = word_value(targets[0]) if targets else None
        inv.stdin = None if value is None else value + "\n"
        return []
    if operator in {">&-", "<&-"}:  # closes the descriptor: what follows are arguments
        return targets
    if not targets:
        return []
    target, extra = targets[0], targets[1:]
    if ">" in operator:
        value = word_value(target)
        if not (operator in {">&", "<&"} and value is not None
                and (value.isdigit() or value == "-")):
            inv.writes.append((operator, value))
    elif "<" in operator:
        inv.piped = True
        inv.stdin = None
    return extra


def _continues(prev: Node | None, node: Node) -> bool:
    """`node` is the rest of `prev`'s word after a backslash-newline (tree-sitter splits)."""
    return prev is not None and node.start_byte - prev.end_byte == 2 and \
        node.start_point == (prev.end_point[0] + 1, 0)


def _command(node: Node, out: list[Invocation], stdin: str | None, piped: bool,
             redirects: list[Node]) -> Invocation:
    inv = Invocation([], stdin=stdin, piped=piped, text=_text(node))
    extra: list[Node] = []
    prev: Node | None = None
    for child in node.named_children:
        if child.type == "variable_assignment":
            _visit_substitutions(child, out)
        elif child.type == "command_name":
            _visit_substitutions(child, out)
            inv.words.append(word_value(child.named_children[0])
                             if child.named_children else None)
        elif child.type in _REDIRECTS:
            extra += _redirect(child, inv, out)
        else:
            _visit_substitutions(child, out)
            value = word_value(child)
            if _continues(prev, child) and inv.words:
                # `r\<newline>m`: bash removes the backslash-newline and reads one word
                last = inv.words.pop()
                value = None if last is None or value is None else last + value
            inv.words.append(value)
        prev = child
    for red in redirects:
        extra += _redirect(red, inv, out)
    for word in extra:  # its substitutions were listed with its redirection's
        inv.words.append(word_value(word))
    out.append(inv)
    return inv


def output_text(inv: Invocation) -> str | None:
    """What a command writes to stdout when the script alone decides it, else None."""
    words = inv.words
    if not words or any(w is None for w in words):
        return None
    name, args = str(words[0]), [str(w) for w in words[1:]]
    if name == "echo":
        newline = "\n"
        while args and args[0] in {"-n", "-e", "-E"}:  # options lead; later ones are text
            newline = "" if args.pop(0) == "-n" else newline
        return " ".join(args) + newline
    if name == "printf" and args:
        return " ".join(args)
    if name == "cat" and not args:
        return inv.stdin
    if name == "base64" and inv.stdin is not None and set(args) & {"-d", "--decode", "-D"}:
        try:
            return base64.b64decode(inv.stdin.strip() + "==", validate=False).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _stages(node: Node) -> list[Node]:
    """The commands of a pipeline, nested pipelines flattened."""
    if node.type != "pipeline":
        return [node]
    return [stage for child in node.named_children for stage in _stages(child)]


def _pipeline(stages: list[Node], out: list[Invocation], stdin: str | None,
              piped: bool) -> Invocation | None:
    last: Invocation | None = None
    for i, stage in enumerate(stages):
        upstream = output_text(last) if last is not None else None
        last = _visit(stage, out, upstream if i else stdin, piped or i > 0)
    return last


def _visit(node: Node, out: list[Invocation], stdin: str | None,
           piped: bool) -> Invocation | None:
    """Lists the commands under `node`; returns the last simple command it ran, if one."""
    t = node.type
    if t == "command":
        return _command(node, out, stdin, piped, [])
    if t == "pipeline":
        return _pipeline(_stages(node), out, stdin, piped)
    if t == "redirected_statement":
        first, *reds = node.named_children
        body: Node | None = first
        if first.type in _REDIRECTS:  # `> file` alone
            reds, body = [first, *reds], None
        heredocs = [r for r in reds if r.type == "heredoc_redirect"]
        plain = [r for r in reds if r.type != "heredoc_redirect"]
        for h in heredocs:
            plain += [c for c in h.named_children if c.type in _REDIRECTS]
        doc = next((_text(c) for h in heredocs for c in h.named_children
                    if c.type == "heredoc_body"), None)
        for h in heredocs:
            _visit_substitutions(h, out)  # unquoted heredoc bodies run $( )
        if body is None:
            inv = Invocation([], text=_text(node))
            for red in plain:
                _redirect(red, inv, out)
            out.append(inv)
            last: Invocation | None = inv
        elif body.type == "command":
            last = _command(body, out, doc if heredocs else stdin, piped or bool(heredocs),
                            plain)
        else:
            last = _visit(body, out, stdin, piped)
            inv = Invocation([], text=_text(node))  # the compound statement's redirections
            for red in plain:
                _redirect(red, inv, out)
            out.append(inv)
        for h in heredocs:  # `cat <<EOF | sh` and `cat <<EOF && rm x` hang off the heredoc
            pipe_next = False
            for child in h.children:
                if child.type in {"|", "|&"}:
                    pipe_next = True
                elif child.is_named and child.type not in (
                        _REDIRECTS | {"heredoc_start", "heredoc_body", "heredoc_end"}):
                    if child.type == "pipeline" and child.children[0].type in {"|", "|&"}:
                        pipe_next = True
                    if pipe_next:
                        upstream = output_text(last) if last is not None else None
                        _pipeline(_stages(child), out, upstream, True)
                    else:
                        _visit(child, out, None, False)
                    pipe_next = False
        return last
    last = None
    for i, child in enumerate(node.named_children):
        # `cat <<EOF | sh && rm x`: tree-sitter pipes the heredoc into the list `sh && rm x`;
        # bash pipes it into `sh`, the list's first command
        leads = t == "list" and i == 0
        result = _visit(child, out, stdin if leads else None, piped and leads)
        last = result or last
    return last


def parse_tree(code: str) -> Tree | None:
    """tree-sitter's tree for `code` as it is (no masking), None when it does not parse."""
    tree = _PARSER.parse(code.encode())
    return None if tree.root_node.has_error else tree
