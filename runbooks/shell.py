"""Just enough shell parsing for safety, interactivity and lint checks.

Splits a bash script into simple commands (words, whether stdin is piped, redirections)
with `shlex`, after taking heredoc bodies out. Not a bash parser: lint uses it to name
unknown command words. The safety classifier reads bash's real syntax tree instead
(runbooks.bashtree, tree-sitter-bash), where a wrong split could hide an `rm`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_CONTROL = {";", "&&", "||", "|", "&", "\n", "(", ")", ";;", "|&", "{", "}"}
_REDIRECT = re.compile(r"^[0-9]*(<<<|<<-?|<>|<&|>&|>>|>\||<|>|&>>|&>)$")
# Wrappers whose own options come before the real command word.
_WRAPPERS = {"sudo", "env", "nohup", "time", "nice", "ionice", "timeout", "exec", "command",
             "builtin", "stdbuf", "watch", "xargs", "doas", "chroot", "setsid", "unbuffer"}
_WRAPPER_ARG_OPTS = {"-u", "-g", "-n", "-c", "-s", "-k", "-I", "-L", "-P", "-d", "-C", "-h",
                     "-p", "-U", "-D"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

SHELL_KEYWORDS = {"if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while",
                  "until", "case", "esac", "function", "select", "!", "[[", "]]", "{", "}"}
SHELL_BUILTINS = {"cd", "echo", "printf", "export", "set", "unset", "read", "source", ".",
                  "eval", "exec", "exit", "return", "test", "[", "true", "false", ":", "kill",
                  "wait", "trap", "shift", "local", "declare", "readonly", "type", "alias",
                  "ulimit", "umask", "pwd", "sleep", "let", "jobs", "fg", "bg", "command",
                  "builtin", "hash", "getopts", "times", "break", "continue", "time"}


@dataclass
class SimpleCommand:
    words: list[str]
    piped_in: bool = False  # stdin comes from a pipe
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (operator, target)

    @property
    def stdin_redirected(self) -> bool:
        return self.piped_in or any(op.lstrip("0123456789").startswith("<")
                                    for op, _ in self.redirects)


def strip_heredocs(code: str) -> tuple[str, list[str]]:
    """The script without heredoc bodies, and the bodies (data, not commands)."""
    lines = code.split("\n")
    kept: list[str] = []
    bodies: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        kept.append(line)
        i += 1
        for m in _HEREDOC.finditer(line):
            strip_tabs, delim = m.group(1) == "-", m.group(3)
            body: list[str] = []
            while i < len(lines):
                candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
                i += 1
                if candidate.strip() == delim:
                    break
                body.append(lines[i - 1])
            bodies.append("\n".join(body))
    return "\n".join(kept), bodies


def simple_commands(code: str) -> list[SimpleCommand]:
    """Simple commands in order. Raises ValueError on unbalanced quotes."""
    script, _ = strip_heredocs(code.replace("\\\r\n", " ").replace("\\\n", " "))
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|()<>\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens = list(lexer)
    result: list[SimpleCommand] = []
    current = SimpleCommand([])
    pending_redirect: str | None = None
    for tok in tokens:
        if pending_redirect is not None:
            current.redirects.append((pending_redirect, tok))
            pending_redirect = None
            continue
        if tok in _CONTROL or (set(tok) <= set(";&|()\n") and tok):
            if current.words or current.redirects:
                result.append(current)
            current = SimpleCommand([], piped_in=tok in {"|", "|&"})
            continue
        if _REDIRECT.match(tok):
            # shlex splits "2>" into "2" + ">": fold a lone fd number back into the operator
            if current.words and current.words[-1].isdigit():
                tok = current.words.pop() + tok
            pending_redirect = tok
            continue
        current.words.append(tok)
    if current.words or current.redirects:
        result.append(current)
    return result


def command_index(words: list[str]) -> int | None:
    """Index of the real command word: past `VAR=x`, `sudo -u pg`, `timeout 5`, ..."""
    i = 0
    while i < len(words):
        word = words[i]
        if _ASSIGNMENT.match(word):
            i += 1
            continue
        if word in {"for", "select", "case", "[[", "function"}:
            return None  # loop headers and tests name no command
        if word in SHELL_KEYWORDS and word not in {"{", "}"}:
            i += 1
            continue
        base = word.rsplit("/", 1)[-1]
        if base in _WRAPPERS:
            i += 1
            while i < len(words) and (words[i].startswith("-") or _ASSIGNMENT.match(words[i])
                                      or (base in {"timeout", "watch"}
                                          and re.fullmatch(r"[0-9.]+[smhd]?", words[i]))):
                if words[i] in _WRAPPER_ARG_OPTS and i + 1 < len(words):
                    i += 1
                i += 1
            continue
        return i
    return None


def command_words(code: str) -> list[tuple[SimpleCommand, int]]:
    """Each simple command with the index of its command word (wrappers skipped)."""
    out: list[tuple[SimpleCommand, int]] = []
    for cmd in simple_commands(code):
        idx = command_index(cmd.words)
        if idx is not None:
            out.append((cmd, idx))
    return out


def split_quoted(text: str) -> list[str]:
    """shlex.split that never raises: falls back to whitespace splitting."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()
