"""Markdown runbooks, as people write them, into Sections and Steps (markdown-it tokens).

No configuration: the parser walks the token stream once and recognises
- sections: every heading (H1-H4, numbered or with emoji, even one written inside a list
  item) encloses what follows it up to the next heading of the same or a higher level;
  a lone H1 that only titles the document is the title, not a section, unless text
  right under it has steps, code or `**Alert**:` lines (then it is a section enclosing
  the whole file). `{#id}` after a heading is its anchor: the slug, never the title;
- alert identity: front matter (`alert:`/`alerts:`), a lone H1 that is an alert name
  (`# KubePodCrashLooping`, also ``# `pg_xid_wraparound` Saturation Alert``), a
  front matter `title:` that is one, `Alert Name:`/`Alert:` lines in any emphasis
  (`**Alert Name:**`, `*Alert*:`) or as a heading at any level, a table of alerts
  (`|Name|Summary|`), a heading that is a name, an "Alert details" section naming the
  file's alert, and last the file name (`KubeAPIDown.md`). Sections below a heading
  about an alert inherit it. Product names (PostgreSQL, GitLab) are not alert names;
- metadata: `**Severity**:`, `**Expected duration**:` lines, `P0:` and `(0-5 minutes)`
  in headings, and front matter (`vars: [DATABASE_URL]`) read by a small splitter of
  our own (no YAML dependency; only `key: value`, `key: [a, b]` and `- item` lists);
- steps: each list item at the step level (nested items, paragraphs and fences inside
  belong to it), a paragraph that asks to run its inline command (not one that names a
  command in passing: "you can use `redis-cli --bigkeys` to find out"), a fenced
  command outside lists (its text is the paragraph or bold label before it), a table
  row with a command;
- commands, judged line by line with the fence's tag as a hint: console transcripts
  (`$ `, `host$ `, `user@host:~$ ` prompts; their other lines are expected output),
  `db=# ` transcripts as SQL and `host:port> ` lines as `redis` commands whatever the
  tag, bash/sh/shell fences without their `key: value` config lines, untagged blocks
  whose every line starts like a command, `sql` blocks, and inline code that is a
  command line (a known command or a path, with arguments);
- not commands: text/log/json/yaml/promql/... blocks, untagged blocks that do not look
  like commands, console blocks without prompts (PromQL, copied alert labels), comment
  and blank lines. They are kept as Blocks all the same.
Lists under an informational heading or label (Meaning, Impact, Symptoms, Background,
Detection, Overview, Possible causes, Contacts, ...) are notes, not steps, unless they
hold a command; a paragraph ending in ":" ("Other things to check:") does not turn a
heading's notes into steps or its steps into notes. `*Message*:`/`**Threshold**:` lines
describe the alert and are notes.

`parse_runbook` never raises: whatever the text, you get a Runbook (maybe with problems).
It is linear in the size of the document: 10,000 headings or a 2,000-column table parse
in well under a second, about half of it markdown-it's own tokenising.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from runbooks.model import Block, Command, Problem, Runbook, Section, Step
from runbooks.placeholders import find_placeholders
from runbooks.safety import is_destructive, is_interactive
from runbooks.shell import split_quoted

SHELL_LANGS = {"bash", "sh", "shell", "zsh", "ksh"}
CONSOLE_LANGS = {"console", "shell-session", "shellsession", "terminal", "sh-session",
                 "bash-session"}
SQL_LANGS = {"sql", "postgresql", "postgres", "pgsql", "psql", "plpgsql"}

KNOWN_COMMANDS = {
    "docker", "docker-compose", "podman", "nerdctl", "crictl", "kubectl", "helm", "k9s",
    "stern", "systemctl", "service", "journalctl", "supervisorctl", "psql", "pg_dump",
    "pg_ctl", "pg_ctlcluster", "pg_isready", "pg_restore", "vacuumdb", "reindexdb",
    "createdb", "dropdb", "patronictl", "redis-cli", "redis-server", "curl", "wget", "http",
    "df", "du", "free", "ps", "pgrep", "top", "htop", "kill", "pkill", "killall", "grep",
    "egrep", "zgrep", "rg", "tail", "head", "cat", "zcat", "less", "more", "ls", "find",
    "lsof", "fuser", "ss", "netstat", "ip", "ping", "dig", "nslookup", "host", "traceroute",
    "mtr", "sudo", "celery", "python", "python3", "pip", "uv", "poetry", "git", "make",
    "npm", "node", "ssh", "scp", "rsync", "rm", "mv", "cp", "mkdir", "chmod", "chown", "tar",
    "gzip", "vmstat", "iostat", "mpstat", "uptime", "dmesg", "sysctl", "env", "export",
    "echo", "printf", "awk", "sed", "sort", "uniq", "wc", "xargs", "watch", "timeout", "nc",
    "telnet", "openssl", "mysql", "mongosh", "aws", "gcloud", "az", "terraform", "ansible",
    "nginx", "crontab", "date", "tee", "stat", "sleep", "alembic", "flask", "gunicorn",
    "uvicorn", "bash", "sh", "jq", "yq", "rabbitmqctl", "nproc", "hostname", "whoami",
    "tmux", "strace", "swapon", "swapoff", "mount", "umount", "lsblk", "fdisk", "dd",
    "iptables", "nft", "ufw", "reboot", "shutdown", "truncate", "shred", "renice", "nice",
    "cd", "source", "logrotate", "certbot", "unlink", "rmdir", "touch", "ln", "diff",
    "manage.py", "test", "id", "last", "who", "w", "ionice", "pidstat", "sar", "perf",
    "opsdash", "nohup", "time", "systemd-cgtop", "ncdu", "tree", "stdbuf",
}

_MD = MarkdownIt("commonmark").enable("table")

_META = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__|\*|_)([^*_]+?)(?:\*\*|__|\*|_)\s*:?\s*(.*)$")
_ALERT_KEYS = {"alert", "alerts", "alert name", "alertname", "alert names", "triggered by",
               "fires on", "fired by"}
#: `- **Threshold**: 80%` and the like describe the alert: notes, never steps
_NOTE_KEYS = {"message", "summary", "description", "runbook", "threshold", "component",
              "service", "team", "response time", "prometheus expression", "prometheus query",
              "query", "condition", "expression", "labels", "for", "owner", "dashboard",
              "trigger", "alert condition", "status", "last updated", "category"}
_SEVERITY_KEYS = {"severity", "priority", "sev", "impact level"}
_DURATION_KEYS = {"expected duration", "duration", "time to resolve", "estimated time", "eta",
                  "time to mitigate", "expected time", "time"}
_LABEL = re.compile(r"^(?:\*\*|__)([^*_]+?)(?:\*\*|__)\s*:?\s*(.*)$", re.S)
_CAMEL = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_HEADING_DURATION = re.compile(
    r"\(([^()]*\d[^()]*?\b(?:s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?)\b[^()]*)\)",
    re.I)
_HEADING_SEVERITY = re.compile(r"\b(P[0-4]|SEV-?[0-4])\b", re.I)
#: `$ cmd`, `user@host:~$ cmd`, `worker$ cmd`
_PROMPT = re.compile(r"^\s*(?:[\w.-]+@[\w.-]+(?::[^$\s]*)?\s?|[\w.-]+)?\$\s+(.*)$")
_INFO_WORDS = ("overview", "background", "context", "symptoms", "symptom", "impact",
               "summary", "introduction", "about", "description", "contacts", "contact",
               "escalation", "references", "links", "see also", "related", "notes", "note",
               "glossary", "possible causes", "causes", "common causes", "why", "history",
               "owners", "owner", "dashboards", "what it means", "what this means",
               "meaning", "purpose", "scope", "example output", "sample output", "detection",
               "alert details", "alert information", "alert description",
               "understanding the alert", "含义", "影响", "additional notes")
_NOT_COMMAND_LANGS = {"text", "txt", "log", "logs", "json", "yaml", "yml", "toml", "ini",
                      "output", "plain", "plaintext", "diff", "python", "py", "js", "html",
                      "xml", "nginx", "conf", "csv", "markdown", "md", "template", "tmpl",
                      "jinja", "http", "properties", "env", "dockerfile"}


#: `## Mitigation {#fix-disk}` (pandoc, Hugo, kramdown): the id is the anchor
_ANCHOR = re.compile(r"\s*\{\s*#([\w.:-]+)(?:\s+[^{}]*)?\}\s*$")


def split_anchor(title: str) -> tuple[str, str | None]:
    """("Mitigation", "fix-disk") for `Mitigation {#fix-disk}`; the id never joins the title."""
    m = _ANCHOR.search(title)
    if not m or not title[:m.start()].strip():
        return title, None
    return title[:m.start()].rstrip(), m.group(1)


def slugify(text: str) -> str:
    """GitHub-like anchors (`🔥 P0: Outage` -> `p0-outage`), edges trimmed."""
    s = re.sub(r"[^\w\- ]", "", text.strip().lower())
    s = re.sub(r"[\s]+", "-", s)
    s = re.sub(r"-{2,}", "-", s).strip("-")
    return s or "section"


_INFO_SET = frozenset(_INFO_WORDS)
_INFO_MAX_WORDS = max(len(w.split()) for w in _INFO_WORDS)


def is_info_label(label: str) -> bool:
    """A heading or label that introduces information (Meaning, Impact, Symptoms...)."""
    words = re.sub(r"[^\w ]", " ", label.lower()).split()
    return any(" ".join(words[:n]) in _INFO_SET
               for n in range(1, min(len(words), _INFO_MAX_WORDS) + 1))


def is_command_line(text: str) -> bool:
    """An inline code span that is a command: known command or a path, with arguments."""
    text = text.strip()
    if not text or "\n" in text:
        return False
    m = _PROMPT.match(text)
    if m:
        text = m.group(1)
    words = split_quoted(text)
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        words = words[1:]
    if len(words) < 2:
        return False
    first = words[0]
    if first.startswith(("./", "/", "~/")) and not first.endswith("/"):
        return True
    if first in KNOWN_COMMANDS:
        return True
    return bool(re.fullmatch(r"[a-z][a-z0-9_.-]*", first)) and any(
        w.startswith("-") and len(w) > 1 for w in words[1:])


def _line_is_command(line: str) -> bool:
    words = split_quoted(line.strip())
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        words = words[1:]
    if not words:
        return False
    first = words[0]
    return first in KNOWN_COMMANDS or (first.startswith(("./", "/", "~/")) and len(words) > 1)


def _prompt_lines(code: str) -> str | None:
    """The commands in a console transcript: `$ ` lines and their `\\` continuations."""
    out: list[str] = []
    continuing = False
    for line in code.split("\n"):
        if continuing:
            out.append(line.lstrip("> ").rstrip() if line.startswith("> ") else line.rstrip())
            continuing = line.rstrip().endswith("\\")
            continue
        m = _PROMPT.match(line)
        if m and m.group(1).strip():
            out.append(m.group(1).rstrip())
            continuing = m.group(1).rstrip().endswith("\\")
    return "\n".join(out) if out else None


def _has_content(code: str, comment: str) -> bool:
    return any(ln.strip() and not ln.strip().startswith(comment) for ln in code.split("\n"))


def make_command(lang: str, code: str, line: int | None, *, inline: bool = False) -> Command:
    return Command(lang=lang, code=code, destructive=is_destructive(code, lang),
                   interactive=is_interactive(code, lang),
                   placeholders=find_placeholders(code, lang), line=line, inline=inline)


_PSQL_PROMPT = re.compile(r"^\s*[\w-]+=[#>]\s?(.*)$")
_PSQL_MORE = re.compile(r"^\s*[\w-]+-[#>(]\s?(.*)$")
_REDIS_PROMPT = re.compile(r"^\s*(?:[\w.-]+|\[[0-9a-fA-F:]+\]):\d+(?:\[\d+\])?>\s?(.*)$")
_YAML_LINE = re.compile(r"^\s*-?\s*[A-Za-z_][\w.-]*:(?:\s+\S|\s*$)")


def _transcript(code: str, prompt: re.Pattern[str],
                more: re.Pattern[str] | None = None) -> str | None:
    """The typed lines of a `db=# ` or `host:port> ` transcript; the rest is output."""
    out: list[str] = []
    for ln in code.split("\n"):
        m = prompt.match(ln) or (more.match(ln) if more is not None and out else None)
        if m and m.group(1).strip():
            out.append(m.group(1).rstrip())
    return "\n".join(out) if out else None


_CRON_LINE = re.compile(r"^\s*(?:[\d*/,-]+\s+){5}\S")  # `0 2 * * 0 docker system prune`
_CONFIG_OPEN = re.compile(r"^\s*[/~*.\w-]*[/*][^\s{]*\s*\{\s*$")  # `/var/log/app/*.log {`


def _drop_config_lines(code: str) -> str:
    """A shell fence's lines that are not commands: `key: value` lines (copied labels,
    YAML), a config file's `/path/*.log { ... }` stanza, crontab entries typed into
    `crontab -e`. Keep only the commands."""
    kept: list[str] = []
    depth = 0
    for ln in code.split("\n"):
        if depth:
            depth += ln.count("{") - ln.count("}")
            continue
        if _CONFIG_OPEN.match(ln):  # no shell line is `/path/*.log {`
            depth = 1
            continue
        if _YAML_LINE.match(ln) and not _line_is_command(ln) and not ln.rstrip().endswith("\\"):
            continue
        if _CRON_LINE.match(ln):
            continue
        kept.append(ln)
    return "\n".join(kept)


_OUTPUT_INTRO = re.compile(r"(?i)\b(output|you (?:will|should) see|prints?|returns?|"
                           r"the result)\b[^:]*:\s*$|^(?:sample|example|expected)?\s*output\b")
_ASK = re.compile(r"(?i)\b(run|execute|type|enter|use|issue|check)\b")


def introduces_output(text: str) -> bool:
    """"Output:", "You should see output like:": the block after it is what a command
    printed, whatever its fence says."""
    text = text.strip()
    return bool(text.endswith(":") and _OUTPUT_INTRO.search(text) and not _ASK.search(text))


def classify_block(info: str, code: str, line: int | None) -> tuple[Block, Command | None]:
    """A fenced block and, when it is one, the command it holds (each line judged).

    The fence's tag is a hint: `db=# ` lines are SQL and `host:port> ` lines are redis
    whatever the tag says (their other lines are expected output); `key: value` lines in
    a shell fence are config; a console block without prompts is output.
    """
    lang = info.strip().split()[0].lower() if info.strip() else ""
    lang = lang.strip("{}.")
    code = code.rstrip("\n")
    command: Command | None = None
    known = SQL_LANGS | CONSOLE_LANGS | SHELL_LANGS | {""}
    if lang not in _NOT_COMMAND_LANGS:
        psql = _transcript(code, _PSQL_PROMPT, _PSQL_MORE)
        redis = None if psql else _transcript(code, _REDIS_PROMPT)
        if psql:
            command = make_command("sql", psql, line)
        elif redis:
            command = make_command("redis", redis, line)
        if command is not None or lang not in known:
            return Block(lang=lang, code=code, line=line,
                         runnable=command is not None), command
    if lang in SQL_LANGS:
        if _has_content(code, "--"):
            command = make_command("sql", code, line)
    elif lang in CONSOLE_LANGS or (lang in SHELL_LANGS | {""} and any(
            _PROMPT.match(ln) for ln in code.split("\n"))):
        prompts = _prompt_lines(code)
        if prompts:
            command = make_command("bash", prompts, line)
    elif lang in SHELL_LANGS:
        script = _drop_config_lines(code)
        if _has_content(script, "#"):
            command = make_command("bash", script, line)
    elif lang == "":
        lines = [ln for ln in code.split("\n") if ln.strip() and not ln.strip().startswith("#")]
        if lines and all(_line_is_command(ln) or ln.rstrip().endswith("\\") for ln in lines):
            command = make_command("bash", code, line)
    return Block(lang=lang, code=code, line=line, runnable=command is not None), command


def _split_front_matter(text: str) -> tuple[dict[str, Any], str, list[tuple[int, str]]]:
    """(front matter, text with its lines blanked so line numbers hold, problems)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, []
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        return {}, text, []
    data: dict[str, Any] = {}
    key: str | None = None
    for raw in lines[1:end]:
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s+-\s*(.*)$", raw) or re.match(r"^-\s+(.*)$", raw)
        if item and key is not None:
            if not isinstance(data.get(key), list):
                data[key] = []
            data[key].append(_scalar(item.group(1)))
            continue
        kv = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", raw)
        if not kv:
            # not front matter after all: leave the text to Markdown (a rule and a heading)
            return {}, text, []
        key, value = kv.group(1).lower(), kv.group(2).strip()
        if value.startswith("[") and value.endswith("]"):
            data[key] = [_scalar(v) for v in value[1:-1].split(",") if v.strip()]
        elif value:
            data[key] = _scalar(value)
        else:
            data[key] = []
    blanked = "\n" * (end + 1) + "\n".join(lines[end + 1:])
    return data, blanked, []


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _as_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value else []
    out: list[str] = []
    for item in items:
        out.extend(alert_names(str(item)))
    return out


def alert_names(value: str) -> list[str]:
    """`HighErrorRate, HighLatency` / "`DiskFull` (warn at 15%)" -> alert names."""
    value = value.replace("`", "").replace('"', "").replace("'", "")
    names: list[str] = []
    for piece in re.split(r"[,/|&;]|\s+and\s+|\s+or\s+", value):
        m = re.match(r"\s*([A-Za-z][A-Za-z0-9_.:-]*)", piece)
        if m and m.group(1) not in names:
            rest = piece[m.end():].strip()
            if not rest or rest.startswith(("(", "-", "—", "–")):
                names.append(m.group(1).rstrip(".:"))
    return names


def _plain_inline(tok: Token) -> str:
    """An inline token as plain text (code spans' content kept, markup dropped)."""
    if not tok.children:
        return tok.content
    parts: list[str] = []
    for child in tok.children:
        if child.type in {"text", "code_inline", "html_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def _strip_decor(title: str) -> str:
    t = re.sub(r"^[^\w`]+", "", title)  # emoji, bullets
    t = re.sub(r"^(?:step\s+)?\d+(?:\.\d+)*[.):]?\s+", "", t, flags=re.I)
    t = re.sub(r"^(?:P[0-4]|SEV-?[0-4])\s*[:\-–—]\s*", "", t, flags=re.I)
    return t.strip()


#: two-word product names that look like alert names (`# GitLab` titles a page)
_PRODUCTS = frozenset(w.lower() for w in (
    "GitLab", "GitHub", "OpenShift", "OpenSearch", "ElasticSearch", "JavaScript",
    "TypeScript", "PowerShell", "WordPress", "PagerDuty", "CloudWatch", "OpenStack",
    "OpenTelemetry", "ClickHouse", "PgBouncer", "NetBox", "DevOps", "YouTube", "LinkedIn",
    "HashiCorp", "DigitalOcean", "DataDog", "NewRelic", "SendGrid", "OpsGenie",
    "StatusPage", "VictoriaMetrics", "CockroachDB", "KubeVirt", "ArgoCD", "GoLang",
    "CentOS", "RedHat", "FreeIPA", "LibreOffice", "NextCloud", "OwnCloud", "MailChimp"))


def looks_like_alert_name(word: str) -> bool:
    """`KubePodCrashLooping`, `etcdMembersDown`, `pg_xid_wraparound`; not `CPUs`, `Redis`.

    A name has at least two words glued together: a lower-to-upper hump or an underscore.
    """
    if not _CAMEL.match(word.replace("_", "a")) or len(word) < 4:
        return False
    if "_" in word.strip("_"):  # `pg_xid_wraparound`; `dry_run` is a setting
        return word.lower() == word and word.strip("_").count("_") >= 2
    if word.lower() in _PRODUCTS:
        return False
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", word)
    if len(parts) == 2 and parts[-1].isupper():
        return False  # PostgreSQL, MongoDB, RabbitMQ, CoreDNS: a product, not an alert
    humps = sum(1 for a, b in pairwise(word) if a.islower() and b.isupper())
    return humps >= 1 and sum(c.isupper() for c in word) >= 2


def heading_alerts(title: str) -> list[str]:
    """`## HighErrorRate`, `## 3. DiskFull / MemoryHigh`, `## Alert: ServiceDown`."""
    t = _strip_decor(title).replace("`", "")
    m = re.match(r"(?i)^alert(?:\s*names?|s)?\s*[:\-–—]\s*(.*)$", t)
    if m:
        return alert_names(m.group(1))
    pieces = [p.strip() for p in re.split(r"\s*(?:[,/|&]|\band\b)\s*", t) if p.strip()]
    if pieces and all(looks_like_alert_name(p) for p in pieces):
        return pieces
    return []


@dataclass
class _Sec:
    title: str
    level: int
    line: int | None
    parents: tuple[str, ...]
    alerts: list[str] = field(default_factory=list)
    severity: str | None = None
    duration: str | None = None
    body: list[str] = field(default_factory=list)
    meta: bool = False
    anchor: str | None = None  # an explicit `{#id}`, used as the slug


@dataclass
class _StepB:
    lines: list[str]
    line: int | None
    label: str
    heading: str
    commands: list[Command] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    task: bool = False
    info: bool = False

    def freeze(self) -> Step:
        text = "\n".join(self.lines).strip()
        if not text and self.commands:
            text = self.label or self.commands[0].code.split("\n")[0]
        return Step(text=text, commands=tuple(self.commands), blocks=tuple(self.blocks),
                    task=self.task, label=self.label, heading=self.heading, line=self.line)


class _Walker:
    """One pass over the token stream; sections and steps in document order."""

    def __init__(self, tokens: list[Token], doc_title: str, title_index: int | None) -> None:
        self.tokens = tokens
        self.title_index = title_index
        self.secs: list[_Sec] = [_Sec(doc_title, 0, None, ())]
        self.lines: list[str] = []  # the Markdown source lines, for fence checks
        self.unclosed: list[int | None] = []
        self.links: list[tuple[str, int | None]] = []
        self.steps: list[tuple[int, _StepB]] = []  # (owning section, step)
        self.blocks: list[tuple[int, Block]] = []
        self.cur = 0
        self.stack: list[int] = []  # open heading sections
        self.title_parent: tuple[str, ...] = ()
        self.label = ""
        self.info = False
        self.pending_text: str | None = None
        self.last_step: _StepB | None = None
        self.item: _StepB | None = None
        self.list_depth = 0
        #: list depth whose items are steps: 1, or one deeper than a heading written
        #: inside a list item (`- #### PostgreSQLDown` with its steps nested below)
        self.step_depth = 1
        self.row: list[Token] | None = None
        self.row_line: int | None = None
        self.in_tbody = False
        self.in_thead = False
        self.header: list[str] = []
        self.heading_info = False

    @property
    def heading(self) -> str:
        return self.secs[self.cur].title

    def _check_closed(self, tok: Token, line: int | None) -> None:
        """A fence markdown-it ran to the end of the file: the author never closed it."""
        if not tok.map or not self.lines:
            return
        last = re.sub(r"^[\s>]*", "", self.lines[tok.map[1] - 1]).strip() \
            if tok.map[1] - 1 < len(self.lines) else ""  # also in lists and quotes
        if tok.map[1] - tok.map[0] < 2 or not (last.startswith(tok.markup)
                                               and not last.strip(tok.markup[0]).strip()):
            self.unclosed.append(line)

    def _links(self, tok: Token, line: int | None) -> None:
        for child in tok.children or []:
            if child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                if href and "://" not in href and not href.startswith(("mailto:", "/")):
                    self.links.append((href, line))

    def run(self) -> None:
        toks = self.tokens
        i = 0
        while i < len(toks):
            tok = toks[i]
            t = tok.type
            line = tok.map[0] + 1 if tok.map else None
            if t == "heading_open":
                inline = toks[i + 1] if i + 1 < len(toks) else None
                title = _plain_inline(inline) if inline is not None else ""
                self._heading(int(tok.tag[1:]), title, line, i)
                i += 3
                continue
            if t in {"bullet_list_open", "ordered_list_open"}:
                self.list_depth += 1
            elif t in {"bullet_list_close", "ordered_list_close"}:
                self.list_depth -= 1
                if self.list_depth < self.step_depth - 1:
                    self.step_depth = max(1, self.list_depth + 1)
            elif t == "list_item_open" and self.list_depth == self.step_depth:
                self.item = _StepB([], line, self.label, self.heading, info=self.info)
            elif (t == "list_item_close" and self.list_depth == self.step_depth
                  and self.item is not None):
                self._finish_item()
            elif t == "inline":
                self._inline(tok, toks[i - 1] if i else None)
            elif t in {"fence", "code_block"}:
                if t == "fence":
                    self._check_closed(tok, line)
                self._code(tok.info if t == "fence" else "", tok.content, line)
            elif t == "thead_open":
                self.in_thead, self.header = True, []
            elif t == "thead_close":
                self.in_thead = False
            elif t == "tr_open" and self.in_thead:
                self.row, self.row_line = [], line
            elif t == "tbody_open":
                self.in_tbody = True
            elif t == "tbody_close":
                self.in_tbody = False
            elif t == "tr_open" and self.in_tbody:
                self.row, self.row_line = [], line
            elif t == "tr_close" and self.row is not None:
                self._finish_row()
            elif t == "hr":
                self.pending_text, self.last_step = None, None
            i += 1

    def _heading(self, level: int, title: str, line: int | None, index: int) -> None:
        self.label, self.pending_text, self.last_step, self.item = "", None, None, None
        title, anchor = split_anchor(title)
        if self.list_depth:  # a heading inside a list item: its steps are nested deeper
            self.step_depth = self.list_depth + 1
        self.info = self.heading_info = is_info_label(_strip_decor(title))
        if index == self.title_index:
            self.secs[0].title, self.secs[0].line = title, line
            self.secs[0].anchor = anchor
            self.title_parent = (title,)
            self.secs[0].body.append(title)
            return
        while self.stack and self.secs[self.stack[-1]].level >= level:
            self.stack.pop()
        parents = self.title_parent + tuple(self.secs[j].title for j in self.stack)
        sec = _Sec(title, level, line, parents, anchor=anchor)
        sec.body.append(title)
        sec.alerts.extend(heading_alerts(title))
        m = _HEADING_SEVERITY.search(title)
        if m:
            sec.severity = m.group(1).upper()
        m = _HEADING_DURATION.search(title)
        if m:
            sec.duration = m.group(1).strip()
        self.secs.append(sec)
        self.cur = len(self.secs) - 1
        self.stack.append(self.cur)

    def _commands_in(self, tok: Token, line: int | None) -> list[Command]:
        return [make_command("bash", c.content.strip().removeprefix("$ ").strip(), line,
                             inline=True)
                for c in tok.children or [] if c.type == "code_inline"
                and is_command_line(c.content)]

    def _inline(self, tok: Token, prev: Token | None) -> None:
        sec = self.secs[self.cur]
        line = tok.map[0] + 1 if tok.map else None
        self._links(tok, line)
        content = tok.content
        sec.body.append(_plain_inline(tok))
        if self.row is not None:
            self.row.append(tok)
            return
        if self.item is not None:
            self._item_inline(tok, content, line)
            return
        if prev is None or prev.type != "paragraph_open":
            return
        rest_lines: list[str] = []
        for raw in content.split("\n"):
            if not self._meta_line(raw, sec):
                rest_lines.append(raw)
        rest = "\n".join(rest_lines).strip()
        if not rest:
            self.pending_text, self.last_step = None, None
            return
        label = _LABEL.match(rest)
        if label and len(label.group(1)) <= 60:
            self.label = label.group(1).strip().rstrip(":").strip()
            self.info = is_info_label(self.label)
            if not label.group(2).strip():
                self.pending_text, self.last_step = self.label, None
                return
        commands = self._commands_in(tok, line)
        if commands and not _asks_to_run(tok):
            commands = []  # "you can use `redis-cli --bigkeys` to find out": a mention
        if commands:
            step = _StepB([rest], line, self.label, self.heading, commands=commands)
            self._add_step(step)
            self.pending_text, self.last_step = None, step
        else:
            self.pending_text, self.last_step = rest, None
            if rest.endswith(":"):  # "Symptoms you may see:" introduces notes; a heading's
                # own kind (Meaning, Diagnosis) is not undone by "Other things to check:"
                self.info = self.heading_info or is_info_label(rest)

    def _meta_line(self, raw: str, sec: _Sec) -> bool:
        m = _META.match(raw)
        if not m:
            return False
        key = m.group(1).strip().rstrip(":").strip().lower()
        value = m.group(2).strip().lstrip(":").strip()
        if key in _ALERT_KEYS:
            for name in alert_names(value):
                if name not in sec.alerts:
                    sec.alerts.append(name)
        elif key in _SEVERITY_KEYS and value:
            sec.severity = value.replace("`", "").strip()
        elif key in _DURATION_KEYS and value:
            sec.duration = value.replace("`", "").strip()
        else:
            # `*Message*:`, `**Threshold**:` describe the alert: notes, never steps
            return key in _NOTE_KEYS
        sec.meta = True
        return True

    def _item_inline(self, tok: Token, content: str, line: int | None) -> None:
        item = self.item
        assert item is not None
        depth = self.list_depth - self.step_depth + 1
        text = content
        if not item.lines and depth == 1:
            m = re.match(r"^\[([ xX])\]\s+", text)
            if m:
                item.task = True
                text = text[m.end():]
            if self._meta_line(text, self.secs[self.cur]) and "\n" not in text:
                item.info = True  # `- **Severity**: P1` is metadata, not a step
                return
        prefix = "  " * (depth - 2) + "- " if depth > 1 else ""
        item.lines.extend(prefix + ln if k == 0 else ln for k, ln in enumerate(text.split("\n")))
        item.commands.extend(self._commands_in(tok, line))

    def _finish_item(self) -> None:
        item = self.item
        self.item = None
        assert item is not None
        if item.info and not item.commands:
            return
        self._add_step(item)
        self.pending_text, self.last_step = None, None

    def _finish_row(self) -> None:
        cells = self.row or []
        self.row = None
        if self.in_thead:
            self.header = [_plain_inline(c).strip().lower() for c in cells]
            return
        if self.header and self.header[0] in {"name", "alert", "alert name", "alertname",
                                              "alerts"} and cells:
            name = _plain_inline(cells[0]).strip().strip("`")
            sec = self.secs[self.cur]
            if looks_like_alert_name(name) and "_" not in name and name not in sec.alerts:
                sec.alerts.append(name)  # a table of alerts: `|Name|Summary|...|`
        commands = [c for cell in cells for c in self._commands_in(cell, self.row_line)]
        if commands:
            text = " | ".join(cell.content.strip() for cell in cells)
            self._add_step(_StepB([text], self.row_line, self.label, self.heading,
                                  commands=commands))
        self.pending_text, self.last_step = None, None

    def _code(self, info: str, content: str, line: int | None) -> None:
        block, command = classify_block(info, content, line)
        if command is not None and self.item is None and self.pending_text is not None \
                and introduces_output(self.pending_text) and not _prompt_lines(content):
            block, command = Block(block.lang, block.code, block.line, False), None
        self.blocks.append((self.cur, block))
        self.secs[self.cur].body.append(content if command else "")
        if self.item is not None:
            self.item.blocks.append(block)
            if command:
                self.item.commands.append(command)
            return
        if command:
            text = self.pending_text if self.pending_text is not None else self.label
            step = _StepB([text] if text else [], line, self.label, self.heading,
                          commands=[command], blocks=[block])
            self._add_step(step)
            self.pending_text, self.last_step = None, step
        elif self.last_step is not None:
            self.last_step.blocks.append(block)

    def _add_step(self, step: _StepB) -> None:
        self.steps.append((self.cur, step))


_IMPERATIVE = {"run", "execute", "type", "enter", "issue", "use", "try", "check", "restart",
               "start", "stop", "delete", "remove", "kill", "invoke", "call", "open",
               "connect", "verify", "confirm", "get", "list", "inspect", "look", "then",
               "next", "first", "finally", "now", "reload", "apply", "scale", "exec",
               "ssh", "login", "log", "trigger", "clear", "flush", "drain", "view", "show"}


def _asks_to_run(tok: Token) -> bool:
    """A paragraph asks to run its inline command, rather than naming it in passing.

    It does when the words around the code are few ("Generally, the first step will
    be:" before a lone `kubectl get pods`), when it starts with an instruction ("Run
    `x`", "Check with `y`"), or when it ends on the command after "run"/"with".
    """
    prose = re.sub(r"`[^`]*`", " ", tok.content)
    words = re.findall(r"[A-Za-z']+", prose)
    if len(words) <= 4:
        return True
    if words[0].lower() in _IMPERATIVE:
        return True
    return bool(re.search(r"(?i)\b(?:run|execute|running|with|using|via|command)\s*:?\s*"
                          r"`[^`]+`\s*[.:]?\s*$", tok.content.strip()))


def _title_heading(tokens: list[Token]) -> tuple[int | None, str | None]:
    heads = [(i, t) for i, t in enumerate(tokens) if t.type == "heading_open"]
    if len(heads) >= 2 and heads[0][1].tag == "h1" and sum(t.tag == "h1" for _, t in heads) == 1:
        i = heads[0][0]
        return i, split_anchor(_plain_inline(tokens[i + 1]))[0]
    return None, None


def parse_runbook(text: str, file: str, *, source: Path | None = None,
                  bundled: bool = False) -> Runbook:
    """Parse one Markdown runbook; `file` is its name relative to its runbook dir."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    front, body, _ = _split_front_matter(text)
    problems: list[Problem] = []
    fm_alerts = _as_names(front.get("alerts") or front.get("alert"))
    fm_vars = [v for v in _as_names(front.get("vars") or front.get("variables"))]
    try:
        tokens = _MD.parse(body)
    except Exception as exc:  # markdown-it is total in practice; a bug there is one problem
        problems.append(Problem(file, f"cannot parse Markdown: {exc}"))
        tokens = []
    title_index, doc_title = _title_heading(tokens)
    # the title heading as written, code spans kept: "# `pg_xid_wraparound` Saturation"
    title_markdown = tokens[title_index + 1].content if title_index is not None else ""
    stem = file.rsplit("/", 1)[-1].removesuffix(".md")
    title = str(front.get("title") or doc_title or stem)
    walker = _Walker(tokens, title, title_index)
    walker.lines = body.split("\n")
    try:
        walker.run()
    except Exception as exc:  # never let one odd document stop the library loading
        problems.append(Problem(file, f"could not read the runbook's structure: {exc!r}"))
    secs = walker.secs
    top = secs[0]
    own_steps = {k for k, _ in walker.steps}
    own_blocks = {k for k, _ in walker.blocks}
    keep_top = 0 in own_steps or 0 in own_blocks or top.meta or (
        len(secs) == 1 and body.strip() != "")
    # extent: a section encloses the sections after it with a deeper level. One pass
    # with a stack of open sections (linear: 10,000 headings parse in well under 1 s).
    ends = [len(secs)] * len(secs)
    parent = [-1] * len(secs)  # nearest enclosing heading section, -1 for none
    open_: list[int] = []
    for k in range(1, len(secs)):
        while open_ and secs[open_[-1]].level >= secs[k].level:
            ends[open_.pop()] = k
        parent[k] = open_[-1] if open_ else -1
        open_.append(k)
    order = [k for k in range(len(secs)) if k > 0 or keep_top]
    slugs: dict[str, int] = {}
    sections: list[Section] = []
    top_level = {0} if keep_top else {k for k in order if parent[k] == -1}
    # steps and blocks come in document order with owners that never decrease, so a
    # section's are one slice: [first owned by k, first owned at or after its end)
    frozen = [st.freeze() for _, st in walker.steps]
    step_owner = [o for o, _ in walker.steps]
    block_owner = [o for o, _ in walker.blocks]
    block_list = [b for _, b in walker.blocks]
    inherited: dict[int, list[str]] = {}
    all_alerts = {a.lower() for k in order for a in secs[k].alerts}
    # The file's own alert: a lone H1 that is a name (`# KubePodCrashLooping`), a front
    # matter title that is one, or the file's name; every section of it inherits it.
    file_alerts: list[str] = []
    if fm_alerts:
        pass  # the front matter said which alerts; nothing to guess
    elif title_index is not None and doc_title:
        file_alerts = heading_alerts(doc_title)
    if not file_alerts and title_index is not None and doc_title:
        # "# `pg_xid_wraparound` Saturation Alert": the name is the code span
        file_alerts = [w for w in re.findall(r"`([^`]+)`", title_markdown)
                       if looks_like_alert_name(w)][:1]
    if not file_alerts and front.get("title"):
        file_alerts = heading_alerts(str(front["title"]))
    declaring = [k for k in order if secs[k].alerts]
    if not file_alerts and len(declaring) == 1 and is_info_label(secs[declaring[0]].title):
        file_alerts = list(secs[declaring[0]].alerts)  # "## Alert Details" names the file's
    if not file_alerts and not all_alerts and looks_like_alert_name(stem.split(".")[0]):
        file_alerts = [stem.split(".")[0]]
    for k in order:
        sec = secs[k]
        base = sec.anchor or slugify(sec.title)
        n = slugs.get(base, 0)
        slugs[base] = n + 1
        slug = base if n == 0 else f"{base}-{n}"
        # sections below an alert's heading are about that alert too
        alerts = list(sec.alerts) or list(inherited.get(parent[k], [])) if k else list(
            sec.alerts)
        inherited[k] = list(sec.alerts) or list(inherited.get(parent[k], [])) if k else []
        for a in file_alerts:
            if a.lower() not in {x.lower() for x in alerts}:
                alerts.append(a)
        explicit = [a for a in fm_alerts if a.lower() in {x.lower() for x in alerts}]
        if k in top_level:
            for a in fm_alerts:
                if a.lower() not in all_alerts and a not in alerts:
                    alerts.append(a)
                    explicit.append(a)
        steps = tuple(frozen[bisect_left(step_owner, k):bisect_left(step_owner, ends[k])])
        blocks = tuple(block_list[bisect_left(block_owner, k):bisect_left(block_owner,
                                                                          ends[k])])
        body_text = "\n".join(p for o in range(k, ends[k]) for p in secs[o].body if p)
        sections.append(Section(
            file=file, slug=slug, title=sec.title, level=sec.level,
            parents=sec.parents if k else (), alerts=tuple(alerts),
            explicit_alerts=tuple(explicit), severity=sec.severity, duration=sec.duration,
            steps=steps, blocks=blocks, body=body_text, line=sec.line, source=source,
            bundled=bundled, doc_title=title, own_alerts=tuple(sec.alerts)))
    for at in walker.unclosed:
        problems.append(Problem(file, "code fence is never closed: the rest of the file "
                                      "reads as code", at))
    return Runbook(file=file, title=title, sections=tuple(sections), alerts=tuple(fm_alerts),
                   variables=tuple(fm_vars), problems=tuple(problems), source=source,
                   bundled=bundled, blocks=tuple(b for _, b in walker.blocks),
                   links=tuple(walker.links))
