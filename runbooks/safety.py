"""Which commands are destructive (need a confirmation showing the exact command) or
interactive (need the terminal).

Shell scripts are split into simple commands and judged by their command word and its
arguments as whole words, so `echo "restarts"` or `grep -i kill app.log` are not
flagged but `docker restart web`, `sudo systemctl stop nginx`, `rm -rf /tmp/x`,
`kill -9 123`, `celery -A app purge` and `alembic downgrade -1` are. SQL is looked for
anywhere in the text (quoted `psql -c`, heredocs): DROP, TRUNCATE, DELETE/UPDATE without
WHERE, FLUSHALL/FLUSHDB, pg_terminate_backend. Writing to a device (`> /dev/sda`) too.
When a script cannot be split (unbalanced quotes), a plain word scan decides: false
alarms are cheap, a silent `rm -rf` is not.

For `sql` blocks the rule is stricter: they run in a read-only transaction unless
confirmed, so anything that is not a plain read (any write, DDL, or a call such as
pg_terminate_backend) is destructive.
"""

from __future__ import annotations

import itertools
import re

from runbooks.shell import SimpleCommand, command_words

# Command words that destroy or stop something whatever their arguments.
_ALWAYS = {"rm", "rmdir", "shred", "unlink", "truncate", "wipefs", "fdisk", "sfdisk", "parted",
           "reboot", "shutdown", "halt", "poweroff", "pkill", "killall", "ifdown", "swapoff",
           "userdel", "dropdb", "dropuser"}
# Tools that take a subcommand: destructive when one of these words is an argument.
_VERB_TOOLS = {"systemctl", "service", "supervisorctl", "docker", "docker-compose", "podman",
               "kubectl", "helm", "celery", "patronictl", "pg_ctl", "pg_ctlcluster", "alembic",
               "flask", "django-admin", "rabbitmqctl", "nomad", "pm2", "apt", "apt-get", "yum",
               "dnf", "pip", "ip", "virsh", "nginx", "python", "python3", "rc-service",
               "crictl", "nerdctl", "consul", "etcdctl", "gh", "heroku", "fly", "aws", "gcloud",
               "manage.py"}
_VERBS = {"restart", "stop", "kill", "rm", "rmi", "prune", "purge", "failover", "switchover",
          "downgrade", "delete", "drain", "cordon", "down", "shutdown", "disable", "mask",
          "terminate", "destroy", "uninstall", "remove", "rollback", "promote", "reinit",
          "flush", "reset", "del", "evict", "scale"}
_REDIS_VERBS = {"flushall", "flushdb", "del", "unlink", "shutdown", "failover", "replicaof",
                "slaveof", "debug", "ltrim", "xtrim", "zremrangebyscore", "zremrangebyrank",
                "expire", "rename", "restore", "migrate", "swapdb"}
_REDIS_PAIRS = {("client", "kill"), ("config", "set"), ("script", "flush"),
                ("function", "flush"), ("cluster", "failover"), ("cluster", "reset")}

_TEXT_PATTERNS = [
    re.compile(r"(?i)\bDROP\s+(?:TABLE|DATABASE|SCHEMA|INDEX|VIEW|USER|ROLE|OWNED|EXTENSION|"
               r"FUNCTION|TRIGGER|SEQUENCE|MATERIALIZED|TABLESPACE|TYPE|POLICY)\b"),
    re.compile(r"(?i)\bTRUNCATE\s+(?:TABLE\s+)?[\w\"]"),
    re.compile(r"(?i)\bDELETE\s+FROM\b(?![^;]*\bWHERE\b)"),
    re.compile(r"(?i)\bUPDATE\s+[\w.\"]+\s+SET\b(?![^;]*\bWHERE\b)"),
    re.compile(r"(?i)\bpg_(?:terminate|cancel)_backend\b"),
    re.compile(r"(?i)\bALTER\s+SYSTEM\b"),
    re.compile(r"(?i)\bFLUSH(?:ALL|DB)\b"),
    re.compile(r">\s*/dev/(?!null\b|stdout\b|stderr\b|tty\b|fd/)\w"),
]
_FALLBACK_WORDS = re.compile(
    r"(?<![\w-])(?:rm|kill|pkill|killall|reboot|shutdown|halt|poweroff|mkfs(?:\.\w+)?|dd|"
    r"restart|stop|prune|purge|failover|downgrade|drain|truncate|shred|wipefs)(?![\w-])")

_INTERACTIVE = {"vim", "vi", "nvim", "nano", "emacs", "less", "more", "most", "top", "htop",
                "atop", "btop", "man", "tmux", "screen", "mc", "iftop", "iotop", "nload",
                "watch", "ncdu", "pgcli", "mycli", "iredis", "k9s", "lazydocker"}
_REPLS = {"bash", "sh", "zsh", "python", "python3", "ipython", "node", "irb", "sqlite3"}


def _is_destructive_simple(cmd: SimpleCommand, idx: int) -> bool:
    words = cmd.words[idx:]
    name = words[0].rsplit("/", 1)[-1]
    args = [w.lower() for w in words[1:]]
    if name in _ALWAYS or name.startswith("mkfs"):
        return True
    if name == "kill":
        return not any(a in {"-0", "-l", "-L", "--list"} for a in args)
    if name == "dd":
        return any(a.startswith("of=") for a in args)
    if name in {"iptables", "ip6tables", "nft", "ufw"}:
        return any(a in {"-F", "--flush", "-X", "--delete-chain", "-D", "--delete", "flush",
                         "delete", "reset", "disable"} for a in words[1:])
    if name == "git":
        return ("reset" in args and "--hard" in args) or ("clean" in args and any(
            a.startswith("-") and "f" in a for a in args)) or (
            "push" in args and any(a in {"-f", "--force", "--force-with-lease"} for a in args))
    if name == "redis-cli":
        if any(a in _REDIS_VERBS for a in args):
            return True
        return any((a, b) in _REDIS_PAIRS for a, b in itertools.pairwise(args))
    if name in {"find"}:
        return "-delete" in args or any(
            a in {"-exec", "-execdir"} and b.rsplit("/", 1)[-1] in _ALWAYS | {"kill"}
            for a, b in itertools.pairwise(args))
    if name in _VERB_TOOLS or name.endswith(".py"):
        return any(a in _VERBS for a in args if not a.startswith("-")) or (
            name in {"docker", "podman", "nerdctl"} and "-f" in args and "rm" in args)
    return False


def destructive_shell(code: str) -> bool:
    if any(p.search(code) for p in _TEXT_PATTERNS):
        return True
    try:
        commands = command_words(code)
    except ValueError:
        return bool(_FALLBACK_WORDS.search(code))
    return any(_is_destructive_simple(cmd, idx) for cmd, idx in commands)


_SQL_READ_FIRST = {"select", "show", "explain", "values", "table", "with", "set", "reset",
                   "begin", "commit", "rollback", "start", "end", "fetch", "declare", "close",
                   "discard"}
_SQL_WRITE_WORDS = re.compile(
    r"(?i)\b(?:INSERT|UPDATE|DELETE|MERGE|DROP|TRUNCATE|ALTER|CREATE|GRANT|REVOKE|COPY|VACUUM|"
    r"REINDEX|CLUSTER|REFRESH|COMMENT|LOCK|CALL|DO|NOTIFY|SECURITY|IMPORT|LOAD|REASSIGN)\b")
_SQL_SIDE_EFFECT_CALLS = re.compile(
    r"(?i)\b(?:pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|"
    r"set_config|nextval|setval|lo_unlink|pg_switch_wal|pg_promote|pg_drop_replication_slot|"
    r"pg_create_restore_point|pg_stat_reset\w*|dblink_exec|pg_advisory_xact_lock|"
    r"pg_advisory_lock)\s*\(")


def strip_sql_literals(sql: str) -> str:
    """SQL with comments, string literals and quoted identifiers blanked out."""
    sql = re.sub(r"--[^\n]*", " ", sql)
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    sql = re.sub(r"\$([A-Za-z_]\w*)?\$.*?\$\1\$", " '' ", sql, flags=re.S)
    sql = re.sub(r"'(?:[^']|'')*'", " '' ", sql)
    return re.sub(r'"(?:[^"]|"")*"', ' "" ', sql)


def destructive_sql(sql: str) -> bool:
    """Anything but a plain read: it could not run in the read-only transaction anyway."""
    bare = strip_sql_literals(sql)
    for statement in bare.split(";"):
        words = statement.split()
        if not words:
            continue
        first = words[0].lower().lstrip("(")
        if first not in _SQL_READ_FIRST:
            return True
        if first == "set" and len(words) > 1 and words[1].lower() in {"session", "role"}:
            continue
        if _SQL_WRITE_WORDS.search(statement) and not re.search(
                r"(?i)\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", statement):
            return True
        if _SQL_SIDE_EFFECT_CALLS.search(statement):
            return True
    return False


def is_destructive(code: str, lang: str = "bash") -> bool:
    return destructive_sql(code) if lang == "sql" else destructive_shell(code)


def _is_interactive_simple(cmd: SimpleCommand, idx: int) -> bool:
    words = cmd.words[idx:]
    name = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if name in _INTERACTIVE:
        return True
    if cmd.stdin_redirected:
        return False
    if name in _REPLS:
        return not args
    if name in {"psql", "mysql", "mariadb", "sqlite3"}:
        flags = {"-c", "--command", "-f", "--file", "-l", "--list", "-e", "--execute"}
        return not any(a in flags or a.startswith(("--command=", "--file=", "--execute="))
                       for a in args)
    if name == "redis-cli":
        takes_value = {"-h", "-p", "-a", "-u", "-n", "-s", "--user", "--pass", "--tls",
                       "--cacert", "--cert", "--key", "--sni", "-t", "-r", "-i"}
        i = 0
        while i < len(args):
            a = args[i]
            if a.startswith("--") and a not in takes_value:
                return False  # --stat, --bigkeys, --scan, --latency: stream, not a prompt
            if a.startswith("-"):
                i += 2 if a in takes_value else 1
                continue
            return False  # a command word: runs once
        return True
    if name in {"docker", "podman", "kubectl", "nerdctl", "crictl"}:
        if not args or args[0] not in {"exec", "run", "attach", "debug"}:
            return args[:1] == ["attach"]
        if args[0] == "attach":
            return True
        short = "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("--"))
        return ("i" in short and "t" in short) or (
            "--interactive" in args and "--tty" in args) or "-it" in args or "-ti" in args
    if name == "ssh":
        positional = [a for a in args if not a.startswith("-")]
        return len(positional) <= 1
    return False


def is_interactive(code: str, lang: str = "bash") -> bool:
    if lang == "sql":
        return False
    try:
        return any(_is_interactive_simple(c, i) for c, i in command_words(code))
    except ValueError:
        return False
