"""What a parsed runbook is: Runbook -> Section -> Step -> Command, all immutable.

A Section is a heading and everything under it down to the next heading of the same or
a higher level (so `## Database down` holds the steps of its `### Immediate actions`).
Its ref, `file.md#slug`, is how the CLI, the config mapping and the journal name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from runbooks.safety import Classification, Effect, classify, is_streaming


@dataclass(frozen=True)
class Command:
    """One thing a step can run: a shell script (`bash`) or SQL (`sql`) for Postgres."""

    lang: str  # "bash" or "sql"
    code: str
    destructive: bool = False
    interactive: bool = False  # needs the terminal (psql without -c, vim, docker exec -it)
    placeholders: tuple[str, ...] = ()  # names: "container" for <container>, "VAR" for $VAR
    line: int | None = None  # 1-based line in the source file
    inline: bool = False  # came from an inline code span rather than a fenced block

    @cached_property
    def classification(self) -> Classification:
        """What running it does and why, worked out once from the code as written."""
        return classify(self.code, self.lang)

    @property
    def effect(self) -> Effect:
        """read-only runs on Enter; changes and destructive show the command and ask."""
        return self.classification.effect

    @property
    def streaming(self) -> bool:
        """Runs until stopped (`tail -f`, `logs -f`): the runner must offer a stop."""
        return is_streaming(self.code, self.lang)


@dataclass(frozen=True)
class Block:
    """A fenced or indented code block as written, command or not (logs, templates)."""

    lang: str  # the fence info's first word, "" when untagged
    code: str
    line: int | None = None
    runnable: bool = False


@dataclass(frozen=True)
class Step:
    """A list item, a command paragraph, a fenced command or a table row with a command."""

    text: str
    commands: tuple[Command, ...] = ()
    blocks: tuple[Block, ...] = ()  # every fenced block inside the step, commands or not
    task: bool = False  # written as `- [ ]` / `- [x]`
    label: str = ""  # bold pseudo-heading it falls under: "What to do", "Fix"
    heading: str = ""  # title of the innermost heading it sits under
    line: int | None = None

    @property
    def runnable(self) -> bool:
        return bool(self.commands)

    @property
    def checklist(self) -> bool:
        """Ticked by hand: task items and steps with nothing to run."""
        return self.task or not self.commands

    @property
    def destructive(self) -> bool:
        return any(c.destructive for c in self.commands)


@dataclass(frozen=True)
class Section:
    file: str  # path relative to its runbook dir, posix separators
    slug: str
    title: str
    level: int  # heading level; 0 for the implicit top of a file
    parents: tuple[str, ...] = ()  # titles of the enclosing headings, outermost first
    alerts: tuple[str, ...] = ()  # named by the heading, `**Alert**:` lines or front matter
    explicit_alerts: tuple[str, ...] = ()  # the subset that came from front matter
    severity: str | None = None
    duration: str | None = None  # expected duration, "0-5 minutes"
    steps: tuple[Step, ...] = ()
    blocks: tuple[Block, ...] = ()  # every code block in the section, in order
    body: str = ""  # plain text of the section, for keyword matching
    line: int | None = None
    source: Path | None = None
    bundled: bool = False
    doc_title: str = ""  # the file's title (front matter, lone H1 or file name)
    own_alerts: tuple[str, ...] = ()  # named by this section itself, not inherited

    @property
    def ref(self) -> str:
        return f"{self.file}#{self.slug}"

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(c for s in self.steps for c in s.commands)


@dataclass(frozen=True)
class Problem:
    """Something wrong with a runbook, kept instead of raised so one bad file hides nothing."""

    file: str
    message: str
    line: int | None = None
    severity: str = "error"  # "error" fails `opsdash runbooks lint`; "warning" does not

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Runbook:
    file: str
    title: str
    sections: tuple[Section, ...] = ()
    alerts: tuple[str, ...] = ()  # front matter `alerts:`
    variables: tuple[str, ...] = ()  # front matter `vars:`, the $VARs it expects
    problems: tuple[Problem, ...] = ()
    source: Path | None = None
    bundled: bool = False
    blocks: tuple[Block, ...] = field(default=(), repr=False)  # every block in the file
    #: local links as written (`database.md#database-unreachable`, `#fix`), with lines,
    #: so lint can tell a broken reference from a link to the web
    links: tuple[tuple[str, int | None], ...] = field(default=(), repr=False)
