"""Problems in a runbook library, for `opsdash runbooks lint` (non-zero exit on errors).

Errors are real problems in a file, never the parser's guesses gone wrong: unreadable,
undecodable, oversized or non-regular files, missing runbook folders, a code fence that
is never closed, a link to a runbook here that has no such section, an alert that a
runbook names but gives no steps for anywhere (reported once per alert and file; a
section that only points elsewhere, "moved to [...](...)", is not one), an empty section,
a `$VAR` placeholder that the runbook neither declares (front matter `vars:`) nor assigns
and the environment does not set, a shell command that cannot be split (unbalanced
quotes), and a config mapping to an unknown ref.
Warnings (printed, exit 0): a link to a runbook not in the folders (it may live
elsewhere), a command word not found on PATH (once per tool: whether a
host has kubectl is the host's business, not the runbook's), other sections without
steps unless their title says they are informational (Overview, Symptoms, Contacts,
...), and shadowed files. A section holding only config, PromQL or output is not empty.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from collections.abc import Mapping, Sequence
from urllib.parse import unquote

from runbooks.library import Library, RunbookRefError
from runbooks.model import Problem, Runbook, Section
from runbooks.parser import is_info_label, slugify
from runbooks.placeholders import dollar_placeholders
from runbooks.shell import SHELL_BUILTINS, SHELL_KEYWORDS, command_words


def _where(rb: Runbook, line: int | None) -> str:
    return f"{rb.source}" if rb.source and not rb.bundled else rb.file


def missing_commands(code: str, path: str | None = None) -> list[str]:
    """Command words of a shell script that are neither builtins nor on PATH."""
    missing: list[str] = []
    defined = {w[:-2] for w in code.replace("(", "( ").split() if w.endswith("()")}
    for cmd, idx in command_words(code):
        word = cmd.words[idx]
        if word in SHELL_BUILTINS or word in SHELL_KEYWORDS or word in defined:
            continue
        if "$" in word or "<" in word or "{" in word or word.startswith(("./", "~")):
            continue  # a placeholder or a path relative to where it runs: unknowable here
        if word.startswith("/"):
            if not os.access(word, os.X_OK) and word not in missing:
                missing.append(word)
            continue
        if shutil.which(word, path=path) is None and word not in missing:
            missing.append(word)
    return missing


def _raw_section(rb: Runbook, sec: Section, cache: dict[str, list[str]]) -> str:
    """The section's own Markdown lines, to see whether it only points elsewhere."""
    if rb.source is None or sec.line is None:
        return ""
    if rb.file not in cache:
        try:
            cache[rb.file] = rb.source.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            cache[rb.file] = []
    lines = cache[rb.file]
    following = [s.line for s in rb.sections if s.line and s.line > sec.line]
    end = min(following) - 1 if following else len(lines)
    return "\n".join(lines[sec.line - 1:end])


def _section_problems(rb: Runbook, sec: Section, reported: set[str],
                      cache: dict[str, list[str]]) -> list[Problem]:
    """An alert with no steps anywhere in its runbook (once per alert), an empty section.

    Not problems: a section of information next to the sections with the alert's steps,
    a section that points to the runbook elsewhere ("moved to [...](...)"), a section
    holding only config, PromQL or output (it says something; it just runs nothing).
    """
    where = _where(rb, sec.line)
    out: list[Problem] = []
    if sec.steps:
        return out
    empty = not sec.body.replace(sec.title, "").strip() and not sec.blocks
    mine = {a.lower() for a in sec.alerts}
    if mine:
        covered = any(other.steps and mine & {a.lower() for a in other.alerts}
                      for other in rb.sections)  # another section about it has the steps
        if covered or mine <= reported or "](" in _raw_section(rb, sec, cache):
            return out
        reported.update(mine)
        out.append(Problem(where, f"section {sec.ref} names alerts {', '.join(sec.alerts)} "
                                  "but has no steps", sec.line))
    elif empty:
        out.append(Problem(where, f"section {sec.ref} is empty but has no steps", sec.line))
    elif not is_info_label(sec.title) and not any(is_info_label(p) for p in sec.parents):
        out.append(Problem(where, f"section {sec.ref} has no steps", sec.line, "warning"))
    return out


def _anchor_key(anchor: str) -> str:
    """Anchors compared loosely: GitHub writes `pods--events` where we write `pods-events`,
    and some site generators keep a quote's HTML entity (`my-pod-shows-39-error-39`)."""
    key = unquote(anchor).strip().lower()
    key = re.sub(r"(?:^|-)(?:39|34|38|quot|amp|apos)(?=-|$)", "-", key)
    return re.sub(r"-+", "-", key).strip("-")


def _link_problems(library: Library) -> list[Problem]:
    """Links between runbooks that lead nowhere: a missing section is an error (the
    target runbook is here and has no such heading), a runbook missing from the folders
    a warning (it may live outside them). Links to the web are not checked."""
    anchors: dict[str, set[str]] = {}
    for rb in library.runbooks:
        keys = anchors.setdefault(rb.file, set())
        keys.add(_anchor_key(slugify(rb.title)))
        keys.update(_anchor_key(sec.slug) for sec in rb.sections)
    out: list[Problem] = []
    for rb in library.runbooks:
        if rb.bundled:
            continue
        for href, line in rb.links:
            path, _, anchor = href.partition("#")
            path = unquote(path.split("?", 1)[0])
            target = rb.file if not path else posixpath.normpath(
                posixpath.join(posixpath.dirname(rb.file), path))
            if not target.endswith(".md"):
                continue  # a page, an image, a script: not a runbook
            where = _where(rb, line)
            if target not in anchors:
                out.append(Problem(where, f"link to {href}: no runbook {target} in the runbook "
                                          "folders", line, "warning"))
            elif anchor and _anchor_key(anchor) not in anchors[target]:
                out.append(Problem(where, f"broken link {href}: {target} has no section "
                                          f"#{anchor}", line))
    return out


def _command_problems(rb: Runbook, env: Mapping[str, str], path: str | None,
                      seen: set[tuple[int | None, str]],
                      tools_seen: set[str] | None = None) -> list[Problem]:
    """Placeholders nobody declares (errors) and tools this host lacks (warnings).

    A missing tool is the host's business, not the runbook's: one warning per tool.
    """
    out: list[Problem] = []
    tools_seen = set() if tools_seen is None else tools_seen
    declared = set(rb.variables)
    for sec in rb.sections:
        for step in sec.steps:
            for cmd in step.commands:
                key = (cmd.line, cmd.code)
                if key in seen:
                    continue  # a step shows up in every enclosing section: report it once
                seen.add(key)
                where = _where(rb, cmd.line)
                unknown = sorted(v for v in dollar_placeholders(cmd.code, cmd.lang)
                                 if v not in declared and v not in env)
                if unknown:
                    out.append(Problem(where, "unknown placeholder " + ", ".join(
                        f"${v}" for v in unknown) + " (declare it in front matter `vars:` "
                        "or set it)", cmd.line))
                if cmd.lang != "bash":
                    continue
                try:
                    missing = missing_commands(cmd.code, path)
                except ValueError as exc:
                    out.append(Problem(where, f"cannot read shell command: {exc}", cmd.line))
                    continue
                for word in missing:
                    if word in tools_seen:
                        continue  # one warning per tool, where it is first used
                    tools_seen.add(word)
                    out.append(Problem(where, f"command not found on PATH: {word}", cmd.line,
                                       "warning"))
    return out


def lint_library(library: Library, *, env: Mapping[str, str] | None = None,
                 path: str | None = None,
                 mapping: Mapping[str, Sequence[str]] | None = None) -> list[Problem]:
    """Every problem, errors and warnings; `path` overrides $PATH for the command check."""
    env = os.environ if env is None else env
    problems = list(library.all_problems())
    tools: set[str] = set()
    cache: dict[str, list[str]] = {}
    for rb in library.runbooks:
        reported: set[str] = set()
        for sec in rb.sections:
            problems.extend(_section_problems(rb, sec, reported, cache))
        problems.extend(_command_problems(rb, env, path, set(), tools))
    problems.extend(_link_problems(library))
    for alert, refs in (mapping or {}).items():
        for ref in refs:
            try:
                library.find(ref)
            except RunbookRefError as exc:
                problems.append(Problem("config", f"[runbooks.map] {alert}: {exc}"))
    return problems
