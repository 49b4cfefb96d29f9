"""What running a command does: `classify(code, lang)` -> read-only, changes or destructive.

Fail safe: `read-only` only when every simple command the script may run is known to
only read (a table of tools and their reading subcommands), through pipes, `;`/`&&`,
subshells, `$( )`, backticks, `bash -c`/`sh -c`/`eval` strings (parsed again), `xargs`,
`find -exec`, wrappers (`sudo`, `env`, `timeout`, `nice`, `nohup`, `exec`, `\\rm`,
`/bin/rm`), code handed to interpreters (`python -c`, `| sh`, `base64 -d | sh`) and
`kubectl exec`/`docker exec`, and no redirection writes a file but /dev/null.
`destructive` when something deletes, overwrites, kills, restarts, stops, scales, rolls
back, drops, flushes, truncates or destroys. `changes` for the rest, unknown commands
included. A script bash cannot parse is never read-only: destructive when a destructive
word appears anywhere in it, else changes. A command word that comes from an expansion
(`$a -rf`) is unknown, and so is code an interpreter gets from somewhere we cannot see;
then a destructive word anywhere in the script makes it destructive.

SQL (`lang="sql"` or inside `psql -c`, heredocs into psql) is read-only only for plain
SELECT/SHOW/EXPLAIN/WITH ... SELECT without side-effecting functions; DROP, TRUNCATE,
DELETE, UPDATE without WHERE, ALTER ... DROP and pg_terminate_backend & co. are
destructive. Redis commands (`redis-cli ...`, `lang="redis"`) go by a table likewise.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from runbooks.bashtree import Invocation, ParseError, Word, parse


class Effect(StrEnum):
    """How much running a command can change; ordered from harmless to dangerous."""

    READ_ONLY = "read-only"
    CHANGES = "changes"
    DESTRUCTIVE = "destructive"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Effect.READ_ONLY: 0, Effect.CHANGES: 1, Effect.DESTRUCTIVE: 2}


@dataclass(frozen=True)
class Classification:
    """The effect and the short reason naming the simple command that decided it."""

    effect: Effect
    reason: str


def _ro(reason: str) -> Classification:
    return Classification(Effect.READ_ONLY, reason)


def _ch(reason: str) -> Classification:
    return Classification(Effect.CHANGES, reason)


def _de(reason: str) -> Classification:
    return Classification(Effect.DESTRUCTIVE, reason)


def worst(results: Sequence[Classification], empty: str = "nothing to run") -> Classification:
    """The most dangerous of several; the first one reaching it gives the reason."""
    best: Classification | None = None
    for r in results:
        if best is None or r.effect.rank > best.effect.rank:
            best = r
    return best or _ro(empty)


_MAX_DEPTH = 8

# ---------------------------------------------------------------------------------------
# Words that, seen anywhere in text we cannot analyse, mean "assume destructive".

_DESTRUCTIVE_WORDS = re.compile(
    r"(?<![\w-])(?:rm|rmdir|unlink|shred|kill|pkill|killall|reboot|shutdown|halt|poweroff|"
    r"mkfs(?:\.\w+)?|dd|restart|stop|prune|purge|failover|downgrade|drain|truncate|wipefs|"
    r"rmtree|destroy|delete|drop|flushall|flushdb|rollback|undo|remove|uninstall|"
    r"pg_terminate_backend|pg_cancel_backend|pg_drop_replication_slot)(?![\w-])", re.I)


def _fallback(code: str, why: str) -> Classification:
    """For what cannot be analysed: destructive when a destructive word appears."""
    m = _DESTRUCTIVE_WORDS.search(code)
    if m:
        return _de(f"{why}, and it mentions {m.group(0)}")
    return _ch(why)


# ---------------------------------------------------------------------------------------
# SQL


_SQL_TOKEN = re.compile(
    r"'(?:[^']|'')*'?"  # a literal ('' is an escaped quote; an unclosed one runs to the end)
    r'|"(?:[^"]|"")*"?'  # a quoted identifier
    r"|--[^\n]*|/\*.*?(?:\*/|$)"  # comments
    r"|\$(?P<tag>(?:[A-Za-z_]\w*)?)\$(?P<body>.*?)(?:\$(?P=tag)\$|$)", re.S)


def strip_sql_literals(sql: str, keep_dollar_bodies: bool = False) -> str:
    """SQL with comments, string literals and quoted identifiers blanked out.

    One left-to-right pass, so `--` inside a literal is text and a quote inside a
    comment is comment: `'x''; DROP TABLE t; --'` is one literal, not a DROP.
    """
    def blank(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("'"):
            return " '' "
        if token.startswith('"'):
            return ' "" '
        if token.startswith("$"):  # DO $$ ... $$ and function bodies are code
            return f" {m.group('body')} " if keep_dollar_bodies else " '' "
        return " "

    return _SQL_TOKEN.sub(blank, sql)


_SQL_READ_FIRST = {"select", "show", "explain", "with", "values", "table"}
_SQL_TXN = {"begin", "commit", "rollback", "start", "end", "abort"}
_SQL_DESTRUCTIVE = [
    (re.compile(r"(?i)\bDROP\b"), "DROP drops objects"),
    (re.compile(r"(?i)\bTRUNCATE\b"), "TRUNCATE empties tables"),
    (re.compile(r"(?i)\bDELETE\b"), "DELETE deletes rows"),
    (re.compile(r"(?i)\b(?:pg_terminate_backend|pg_cancel_backend|pg_drop_replication_slot|"
                r"lo_unlink|pg_promote)\s*\("), "{0} ends or removes something"),
    (re.compile(r"(?i)\bFLUSH(?:ALL|DB)\b"), "{0} wipes a Redis database"),
]
_SQL_WRITE_WORDS = re.compile(
    r"(?i)\b(?:INSERT|UPDATE|MERGE|CREATE|ALTER|GRANT|REVOKE|COPY|VACUUM|REINDEX|CLUSTER|"
    r"REFRESH|COMMENT|LOCK|CALL|DO|NOTIFY|LISTEN|SECURITY|IMPORT|LOAD|REASSIGN|SET|RESET|"
    r"INTO|PREPARE|EXECUTE|DISCARD|CHECKPOINT|ANALY[SZ]E|SAVEPOINT|RELEASE|DECLARE)\b")
_SQL_SIDE_EFFECT_CALLS = re.compile(
    r"(?i)\b(?:pg_reload_conf|pg_rotate_logfile|set_config|nextval|setval|lo_\w+|dblink\w*|"
    r"pg_switch_wal|pg_create_\w+|pg_stat_reset\w*|pg_advisory\w*|pg_try_advisory\w*|"
    r"pg_replication_origin_\w+|pg_logical_emit_message|pg_file_\w+|pg_log_backend_memory_"
    r"contexts|pg_wal_replay_\w+|pg_backup_\w+|pg_start_backup|pg_stop_backup|"
    r"pg_import_system_collations|txid_current|pg_current_xact_id|pg_notify)\s*\(")


def _sql_statement(statement: str) -> Classification:
    words = statement.split()
    if not words:
        return _ro("empty statement")
    first = words[0].lower().lstrip("(")
    if first == "explain" and not re.search(r"(?i)\bANALY[SZ]E\b", statement):
        return _ro("EXPLAIN without ANALYZE only plans")
    for pattern, reason in _SQL_DESTRUCTIVE:
        m = pattern.search(statement)
        if m:
            return _de(reason.format(m.group(0).rstrip("( ").strip()))
    if first == "update":
        if not re.search(r"(?i)\bWHERE\b", statement):
            return _de("UPDATE without WHERE rewrites every row")
        return _ch("UPDATE changes rows")
    if re.search(r"(?i)^\s*ALTER\s+SYSTEM\b", statement):
        return _ch("ALTER SYSTEM changes the server's configuration")
    if first in _SQL_TXN and len(words) <= 3:
        return _ro(f"{first.upper()} only delimits a transaction")
    if first not in _SQL_READ_FIRST:
        return _ch(f"{first.upper()} is not a plain read")
    if re.search(r"(?i)\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", statement):
        return _ch("SELECT ... FOR UPDATE locks rows")
    m = _SQL_WRITE_WORDS.search(statement) if first != "show" else None
    if m and not (first == "explain" and m.group(0).upper().startswith("ANALY")
                  and not re.search(r"(?i)\b(?:INSERT|UPDATE|MERGE|INTO)\b", statement)):
        return _ch(f"{m.group(0).upper()} is not a plain read")
    m = _SQL_SIDE_EFFECT_CALLS.search(statement)
    if m:
        return _ch(f"{m.group(0).rstrip('( ')}() has side effects")
    return _ro(f"{first.upper()} only reads")


def _psql_meta(line: str) -> Classification:
    """psql's backslash commands: \\d, \\l, \\x read; \\!, \\o, \\copy, \\i, \\g FILE do not."""
    cmd = line.split()[0] if line.split() else "\\"
    if re.fullmatch(r"\\(?:d\w*\+?|l\+?|x|timing|conninfo|q|\?|h|encoding|pset|a|t|H|"
                    r"echo|qecho|set|unset|sf\+?|sv\+?|dconfig|watch)", cmd):
        return _ro(f"{cmd} only shows")
    return _ch(f"psql {cmd} is not a plain read")


def classify_sql(sql: str) -> Classification:
    """SQL text as Postgres would run it; psql backslash commands included."""
    results: list[Classification] = []
    plain: list[str] = []
    for line in sql.split("\n"):
        if line.lstrip().startswith("\\"):
            results.append(_psql_meta(line.strip()))
        else:
            plain.append(line)
    bare = strip_sql_literals("\n".join(plain))
    results += [_sql_statement(s) for s in bare.split(";")]
    code = strip_sql_literals("\n".join(plain), keep_dollar_bodies=True)
    for piece in code.split(";"):
        if re.match(r"(?is)\s*EXPLAIN\b", piece) and not re.search(r"(?i)\bANALY[SZ]E\b",
                                                                   piece):
            continue
        for pattern, reason in _SQL_DESTRUCTIVE:
            m = pattern.search(piece)
            if m:
                results.append(_de(reason.format(m.group(0).rstrip("( ").strip())))
                break
    return worst(results, "no SQL")


# ---------------------------------------------------------------------------------------
# Redis

_REDIS_READ = {
    "info", "get", "mget", "getrange", "llen", "lrange", "lindex", "lpos", "scan", "sscan",
    "hscan", "zscan", "keys", "ttl", "pttl", "expiretime", "type", "exists", "strlen", "hget",
    "hgetall", "hmget", "hlen", "hkeys", "hvals", "hexists", "hstrlen", "hrandfield",
    "smembers", "scard", "sismember", "smismember", "srandmember", "sinter", "sunion", "sdiff",
    "zcard", "zrange", "zrangebyscore", "zrangebylex", "zrevrange", "zrevrangebyscore",
    "zscore", "zmscore", "zrank", "zrevrank", "zcount", "zlexcount", "xlen", "xrange",
    "xrevrange", "xinfo", "xpending", "xread", "ping", "echo", "dbsize", "time", "lastsave",
    "role", "object", "pubsub", "command", "randomkey", "dump", "bitcount", "bitpos",
    "getbit", "pfcount", "geopos", "geodist", "georadius_ro", "geosearch", "lolwut",
    "readonly", "hello", "auth", "select", "touch", "memory usage", "memory stats",
    "memory doctor", "memory malloc-stats", "client list", "client info", "client getname",
    "client id", "config get", "slowlog get", "slowlog len", "latency latest",
    "latency history", "latency doctor", "latency graph", "cluster info", "cluster nodes",
    "cluster slots", "cluster shards", "cluster keyslot", "cluster countkeysinslot",
    "cluster myid", "cluster replicas", "module list", "acl whoami", "acl list", "acl users",
    "acl cat", "acl getuser", "acl log", "sentinel masters", "sentinel master",
    "sentinel replicas", "sentinel slaves", "sentinel sentinels",
    "sentinel get-master-addr-by-name", "function list", "function stats", "script exists",
    "monitor", "subscribe", "psubscribe", "ssubscribe",
}
_REDIS_CONTAINERS = {"memory", "client", "config", "slowlog", "latency", "cluster", "module",
                     "acl", "sentinel", "function", "script", "object", "xinfo", "pubsub",
                     "command"}
_REDIS_DESTRUCTIVE = {
    "flushall", "flushdb", "del", "unlink", "shutdown", "failover", "replicaof", "slaveof",
    "debug", "ltrim", "xtrim", "xdel", "zremrangebyscore", "zremrangebyrank",
    "zremrangebylex", "expire", "pexpire", "expireat", "pexpireat", "getdel", "rename",
    "restore", "migrate", "swapdb", "lrem", "srem", "zrem", "hdel", "spop", "lpop", "rpop",
    "client kill", "config set", "script flush", "function flush", "function delete",
    "cluster failover", "cluster reset", "cluster forget", "cluster flushslots",
    "acl deluser", "sentinel failover", "sentinel remove", "sentinel reset",
    "config resetstat", "slowlog reset", "latency reset", "memory purge",
}


def classify_redis(args: Sequence[Word]) -> Classification:
    """One Redis command (its words, as redis-cli would send them)."""
    if not args:
        return _ro("no Redis command")
    if args[0] is None:
        return _ch("the Redis command comes from an expansion")
    first = args[0].lower()
    second = args[1].lower() if len(args) > 1 and args[1] is not None else ""
    name = f"{first} {second}".strip() if first in _REDIS_CONTAINERS else first
    shown = name.upper()
    if first in {"eval", "evalsha", "eval_ro", "fcall", "evalsha_ro", "fcall_ro"}:
        script = " ".join(a for a in args[1:] if a is not None)
        m = _DESTRUCTIVE_WORDS.search(script) or re.search(
            r"(?i)\b(?:del|unlink|flushall|flushdb|expire|ltrim|xtrim)\b", script)
        if m:
            return _de(f"{shown} runs a script that calls {m.group(0)}")
        return _ch(f"{shown} runs a script")
    if name in _REDIS_DESTRUCTIVE or first in _REDIS_DESTRUCTIVE:
        return _de(f"{shown} removes or overwrites Redis data or state")
    if name in _REDIS_READ or first in _REDIS_READ:
        return _ro(f"{shown} only reads")
    return _ch(f"{shown} is not known to only read")


def _redis_lines(text: str) -> Classification:
    results = []
    for line in text.split("\n"):
        line = re.sub(r"^\s*(?:[\w.-]+:\d+(?:\[\d+\])?>|redis>)\s*", "", line).strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("redis-cli"):
            results.append(classify(line, "bash"))
            continue
        try:
            words: list[Word] = list(shlex.split(line))
        except ValueError:
            results.append(_fallback(line, "unbalanced quotes"))
            continue
        results.append(classify_redis(words))
    return worst(results, "no Redis command")


# ---------------------------------------------------------------------------------------
# Shell: the table of tools


@dataclass
class _Ctx:
    code: str  # the whole script, for the fallback word scan
    depth: int
    opaque: bool = False  # something ran that we could not see into


def _base(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _lit(words: Sequence[Word]) -> list[str]:
    """Words for matching: an unknown (expanded) word becomes an impossible token."""
    return ["\0" if w is None else w for w in words]


def _positional(args: Sequence[str], with_value: set[str]) -> list[str]:
    """Arguments that are not options, skipping the values of options that take one."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            continue
        if a.startswith("-") and len(a) > 1:
            skip = a in with_value
            continue
        out.append(a)
    return out


def _first_positional(args: Sequence[str], with_value: set[str]) -> tuple[str, list[str]]:
    """The first non-option argument (a subcommand) and what follows it."""
    skip = False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        if a.startswith("-") and len(a) > 1:
            skip = a in with_value and "=" not in a
            continue
        return a, list(args[i + 1:])
    return "", []


def _short_flags(args: Sequence[str]) -> str:
    return "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("--"))


_READERS = {
    "cat", "ls", "ll", "grep", "egrep", "fgrep", "zgrep", "rg", "ag", "zcat", "bzcat", "xzcat",
    "head", "tail", "df", "du", "free", "ps", "pgrep", "uptime", "ss", "netstat", "dig",
    "nslookup", "host", "ping", "ping6", "echo", "printf", "wc", "uniq", "jq", "yq", "date",
    "id", "whoami", "groups", "stat", "file", "true", "false", ":", "test", "[", "pwd",
    "which", "type", "basename", "dirname", "realpath", "readlink", "tr", "cut", "column",
    "nproc", "lsof", "vmstat", "iostat", "mpstat", "pidstat", "sar", "lscpu", "lsblk",
    "lsmem", "lspci", "lsusb", "uname", "w", "who", "last", "printenv", "sleep", "tac", "rev",
    "nl", "od", "xxd", "hexdump", "md5sum", "sha1sum", "sha256sum", "sha512sum", "cksum",
    "base64", "getent", "less", "more", "most", "diff", "cmp", "comm", "zless", "zmore",
    "strings", "lsmod", "findmnt", "blkid", "timedatectl", "hostnamectl", "traceroute",
    "tracepath", "mtr", "arp", "route", "top", "htop", "atop", "btop", "iotop", "iftop",
    "nload", "pg_isready", "seq", "expr", "cd", "pushd", "popd", "wait", "exit", "return",
    "read", "shift", "break", "continue", "set", "shopt", "alias", "hash", "let", "history",
    "jobs", "trap", "getopts", "ulimit", "pstree", "pidof", "fuser", "man", "help", "tput",
    "env", "whereis", "locale", "loginctl", "users", "ncdu", "fold", "fmt", "paste", "join",
    "numfmt", "tsort", "look", "apropos",
    "sensors", "iptables-save", "ip6tables-save", "nvidia-smi", "lsns",
    "systemd-analyze", "systemd-cgls", "systemd-cgtop", "chronyc", "ntpq", "ntpstat",
    "getconf", "xmllint", "csvlook", "bc", "cal", "factor", "yes",
    "tty", "mountpoint", "namei", "ldd", "lsattr", "getfacl", "ipcs", "showmount",
    "dmidecode", "lshw", "inxi", "glances", "dstat", "nstat", "ethtool", "iw",
    "resolvectl", "whois",
}
_SHELL_STATE = {"export", "local", "declare", "typeset", "readonly", "unset", "umask"}

_ALWAYS_DESTRUCTIVE = {
    "rm": "rm deletes files", "rmdir": "rmdir deletes directories",
    "shred": "shred destroys files", "unlink": "unlink deletes a file",
    "truncate": "truncate cuts files", "wipefs": "wipefs wipes disks",
    "fdisk": "fdisk rewrites partitions", "sfdisk": "sfdisk rewrites partitions",
    "parted": "parted rewrites partitions", "reboot": "reboot restarts the machine",
    "shutdown": "shutdown stops the machine", "halt": "halt stops the machine",
    "poweroff": "poweroff stops the machine", "pkill": "pkill kills processes",
    "killall": "killall kills processes", "ifdown": "ifdown takes an interface down",
    "swapoff": "swapoff disables swap", "userdel": "userdel deletes a user",
    "groupdel": "groupdel deletes a group", "dropdb": "dropdb drops a database",
    "dropuser": "dropuser drops a role", "mv": "mv moves files and may overwrite",
    "cp": "cp may overwrite its target", "srm": "srm deletes files",
    "umount": "umount detaches a filesystem", "kexec": "kexec replaces the running kernel",
    "lvremove": "lvremove deletes logical volumes", "vgremove": "vgremove deletes volume groups",
    "pvremove": "pvremove wipes physical volumes",
}

# Tools with subcommands not in the table below: destructive when one of these is an
# argument, else `changes`.
_VERB_TOOLS = {"celery", "patronictl", "pg_ctl", "pg_ctlcluster", "flask", "django-admin",
               "rabbitmqctl", "nomad", "pm2", "apt", "apt-get", "yum", "dnf", "pip", "pip3",
               "virsh", "rc-service", "crictl", "consul", "etcdctl", "gh", "heroku", "fly",
               "aws", "gcloud", "az", "manage.py", "sv", "initctl", "svcadm", "lxc", "incus",
               "vault", "nerdctl", "mongosh", "mongo", "kafka-topics", "kafka-topics.sh",
               "sidekiqctl", "rake", "bundle", "gitlab-rake", "gitlab-rails", "rails",
               "consul-template", "openstack", "doctl", "eksctl", "argocd", "flux",
               "kustomize", "ansible", "salt", "npm", "yarn", "snap", "zfs", "zpool", "lvm",
               "mdadm", "docker-machine", "minikube",
               "kind", "k3s", "microk8s", "supervisorctl", "s6-svc", "runsv", "monit"}
_VERBS = {"restart", "stop", "kill", "rm", "rmi", "prune", "purge", "failover", "switchover",
          "downgrade", "delete", "drain", "cordon", "down", "shutdown", "disable", "mask",
          "terminate", "destroy", "uninstall", "remove", "rollback", "promote", "reinit",
          "flush", "reset", "del", "evict", "scale", "undo", "wipe", "erase", "drop",
          "clear", "truncate", "reboot", "halt", "poweroff", "deregister", "revoke",
          "rb", "un", "db:drop", "db:reset", "db:rollback", "lvremove", "destroy-all"}
_VERB_PHRASE = {"delete": "deletes resources", "rm": "removes", "rmi": "removes images",
                "restart": "restarts", "stop": "stops", "kill": "kills", "prune": "prunes",
                "purge": "purges", "drain": "drains", "scale": "scales (maybe down)",
                "undo": "rolls back", "rollback": "rolls back", "downgrade": "downgrades",
                "down": "takes down", "destroy": "destroys", "uninstall": "uninstalls",
                "flush": "flushes", "failover": "fails over", "switchover": "switches over",
                "cordon": "stops scheduling", "disable": "disables", "mask": "masks",
                "reset": "resets", "remove": "removes", "drop": "drops", "clear": "clears"}


def _verb(tool: str, verb: str) -> Classification:
    return _de(f"{tool} {verb} {_VERB_PHRASE.get(verb, 'destroys or stops something')}")


_KUBECTL_VALUE = {"-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user",
                  "-s", "--server", "--as", "--as-group", "--token", "--request-timeout",
                  "-v", "--v", "--cache-dir", "--certificate-authority", "--client-key",
                  "--client-certificate", "--tls-server-name", "--profile", "--log-file"}
_KUBECTL_READ = {"get", "describe", "logs", "log", "top", "explain", "api-resources",
                 "api-versions", "version", "cluster-info", "events", "wait", "diff"}


def _kubectl(tool: str, args: list[str], ctx: _Ctx, inv: Invocation) -> Classification:
    sub, rest = _first_positional(args, _KUBECTL_VALUE)
    sub_rest_first = rest[0] if rest else ""
    if sub in _KUBECTL_READ:
        return _ro(f"{tool} {sub} only reads")
    if sub == "auth" and sub_rest_first in {"can-i", "whoami"}:
        return _ro(f"{tool} auth {sub_rest_first} only reads")
    if sub == "config" and sub_rest_first in {"view", "get-contexts", "current-context",
                                              "get-clusters", "get-users"}:
        return _ro(f"{tool} config {sub_rest_first} only reads")
    if sub == "rollout":
        action, _ = _first_positional(rest, set())
        if action in {"status", "history"}:
            return _ro(f"{tool} rollout {action} only reads")
        if action == "undo":
            return _de(f"{tool} rollout undo rolls back")
        if action == "restart":
            return _de(f"{tool} rollout restart restarts pods")
        return _ch(f"{tool} rollout {action} changes a rollout")
    if sub in {"delete", "drain", "cordon", "scale"}:
        return _verb(f"{tool}", sub)
    if sub == "replace" and any(a in {"--force"} for a in rest):
        return _de(f"{tool} replace --force deletes and recreates")
    if sub == "apply" and any(a.startswith("--prune") for a in rest):
        return _de(f"{tool} apply --prune deletes what is not listed")
    if sub == "exec" and "--" in rest:
        inner = rest[rest.index("--") + 1:]
        return _inner(inner, ctx, f"{tool} exec", inv)
    if sub == "debug" and "--" in rest:
        # a debug pod is a change; what it runs (`-- chroot /host crictl rmi`) may be worse
        inner = rest[rest.index("--") + 1:]
        return worst([_ch(f"{tool} debug starts a debug pod"),
                      _inner(inner, ctx, f"{tool} debug", inv)])
    return _ch(f"{tool} {sub or '(no subcommand)'} changes the cluster or is not known")


_DOCKER_VALUE = {"-H", "--host", "--context", "-c", "--config", "-l", "--log-level",
                 "--tlscacert", "--tlscert", "--tlskey"}
_COMPOSE_VALUE = {"-f", "--file", "-p", "--project-name", "--profile", "--env-file",
                  "--project-directory", "--ansi", "--parallel", "--progress"}
_DOCKER_READ = {"ps", "logs", "inspect", "stats", "images", "version", "info", "top",
                "port", "events", "diff", "history", "search", "ls", "list", "df", "config"}
_DOCKER_DESTRUCTIVE = {"restart", "stop", "kill", "rm", "rmi", "prune", "down", "pause"}
_DOCKER_GROUPS = {"container", "image", "network", "volume", "system", "builder", "buildx",
                  "plugin", "secret", "service", "stack", "node", "context", "manifest",
                  "trust", "swarm"}
_DOCKER_EXEC_VALUE = {"-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file",
                      "--detach-keys"}


def _docker(tool: str, args: list[str], ctx: _Ctx, inv: Invocation) -> Classification:
    if tool in {"docker-compose", "podman-compose"}:
        sub, rest = _first_positional(args, _COMPOSE_VALUE)
    else:
        sub, rest = _first_positional(args, _DOCKER_VALUE)
    if sub == "compose":
        sub, rest = _first_positional(rest, _COMPOSE_VALUE)
        tool = f"{tool} compose"
    elif sub in _DOCKER_GROUPS:
        group = sub
        sub, rest = _first_positional(rest, set())
        tool = f"{tool} {group}"
    if sub in _DOCKER_READ:
        return _ro(f"{tool} {sub} only reads")
    if sub in _DOCKER_DESTRUCTIVE or sub == "remove":
        return _verb(tool, sub)
    if sub == "exec":
        _, after = _first_positional(rest, _DOCKER_EXEC_VALUE)  # skip the container
        if after:
            return _inner(after, ctx, f"{tool} exec", inv)
    return _ch(f"{tool} {sub or '(no subcommand)'} changes containers or is not known")


_SYSTEMCTL_VALUE = {"-H", "--host", "-M", "--machine", "-t", "--type", "-p", "--property",
                    "-n", "--lines", "-o", "--output", "--state", "-s", "--signal",
                    "--kill-who", "--root", "--what", "--timestamp"}
_SYSTEMCTL_READ = {"status", "is-active", "is-enabled", "is-failed", "is-system-running",
                   "list-units", "list-unit-files", "list-sockets", "list-timers",
                   "list-jobs", "list-dependencies", "list-machines", "list-automounts",
                   "list-paths", "show", "show-environment", "cat", "help", "get-default"}
_SYSTEMCTL_DESTRUCTIVE = {"restart", "stop", "kill", "try-restart", "reload-or-restart",
                          "try-reload-or-restart", "condrestart", "force-reload", "disable",
                          "mask", "isolate", "poweroff", "reboot", "halt", "kexec", "rescue",
                          "emergency", "suspend", "hibernate", "hybrid-sleep", "soft-reboot",
                          "clean", "freeze", "exit"}


def _systemctl(tool: str, args: list[str]) -> Classification:
    sub, _ = _first_positional(args, _SYSTEMCTL_VALUE)
    if not sub or sub in _SYSTEMCTL_READ:
        return _ro(f"{tool} {sub or 'list-units'} only reads")
    if sub in _SYSTEMCTL_DESTRUCTIVE:
        return _de(f"{tool} {sub} {_VERB_PHRASE.get(sub, 'stops or restarts')} units")
    return _ch(f"{tool} {sub} changes a unit")


def _service(args: list[str]) -> Classification:
    if args[:1] == ["--status-all"]:
        return _ro("service --status-all only reads")
    pos = _positional(args, set())
    verb = pos[1] if len(pos) > 1 else ""
    if verb == "status":
        return _ro("service status only reads")
    if verb in {"restart", "stop", "force-reload", "condrestart", "try-restart", "kill"}:
        return _de(f"service {verb} {_VERB_PHRASE.get(verb, 'restarts')} a service")
    return _ch(f"service {verb or '(no action)'} changes a service")


def _gitlab_ctl(args: list[str]) -> Classification:
    sub = args[0] if args else ""
    if sub in {"status", "tail", "show-config", "service-list", "get-redis-master",
               "diff-config"}:
        return _ro(f"gitlab-ctl {sub} only reads")
    if sub in {"restart", "stop", "kill", "term", "int", "cleanse", "uninstall",
               "remove-accounts", "reset-grafana", "graceful-kill", "restart-except"}:
        return _de(f"gitlab-ctl {sub} {_VERB_PHRASE.get(sub, 'stops or wipes')} services")
    return _ch(f"gitlab-ctl {sub or '(no command)'} changes services")


def _supervisorctl(args: list[str]) -> Classification:
    sub, _ = _first_positional(args, {"-c", "-s", "-u", "-p", "--serverurl", "--username",
                                      "--password", "--configuration"})
    if sub in {"status", "avail", "pid", "tail", "version", "help", "maintail"}:
        return _ro(f"supervisorctl {sub} only reads")
    if sub in {"stop", "restart", "shutdown", "remove", "clear", "signal"}:
        return _de(f"supervisorctl {sub} {_VERB_PHRASE.get(sub, 'stops')} programs")
    return _ch(f"supervisorctl {sub or '(prompt)'} changes programs")


def _journalctl(args: list[str]) -> Classification:
    for a in args:
        if a.startswith("--vacuum"):
            return _de(f"journalctl {a.split('=')[0]} deletes journal files")
        if a.split("=")[0] in {"--rotate", "--flush", "--sync", "--relinquish-var",
                               "--smart-relinquish-var", "--setup-keys", "--update-catalog"}:
            return _ch(f"journalctl {a} changes the journal")
    return _ro("journalctl only reads")


_GIT_VALUE = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"}
_GIT_READ = {"status", "log", "diff", "show", "rev-parse", "describe", "blame", "shortlog",
             "ls-files", "ls-remote", "ls-tree", "cat-file", "grep", "show-ref",
             "whatchanged", "version", "help", "count-objects", "var", "rev-list",
             "merge-base", "name-rev", "for-each-ref", "check-ignore", "cherry"}


def _git(args: list[str]) -> Classification:
    sub, rest = _first_positional(args, _GIT_VALUE)
    flags = _short_flags(rest)
    before = args[:len(args) - len(rest) - 1] if sub else args
    if "-c" in before or any(a.startswith(("--config-env", "--exec-path=")) for a in before):
        return _ch("git -c sets configuration that can run commands (core.pager, ...)")
    if any(a.startswith(("--output", "--ext-diff")) for a in rest):
        return _ch(f"git {sub} --output/--ext-diff writes a file or runs a program")
    if sub in _GIT_READ:
        return _ro(f"git {sub} only reads")
    if sub == "push":
        if any(a in {"--force", "--force-with-lease", "--force-if-includes", "--delete",
                     "--mirror", "--prune"} or a.startswith("--force-with-lease=")
               for a in rest) or "f" in flags or "d" in flags or any(
                   a.startswith(("+", ":")) for a in _positional(rest, {"-o", "--repo"})):
            return _de("git push --force rewrites or deletes remote history")
        return _ch("git push changes the remote")
    if sub == "reset" and any(a in {"--hard", "--merge", "--keep"} for a in rest):
        return _de("git reset --hard discards work")
    if sub == "clean" and ("f" in flags or "--force" in rest):
        return _de("git clean -f deletes untracked files")
    if sub == "checkout" and ("f" in flags or "--force" in rest or "--" in rest
                              or "." in rest):
        return _de("git checkout -- discards local edits")
    if sub == "restore" and "--staged" not in rest and "S" not in flags:
        return _de("git restore discards local edits")
    if sub == "branch":
        if "D" in flags or "d" in flags or "--delete" in rest:
            return _de("git branch -D deletes a branch")
        if not _positional(rest, {"--contains", "--merged", "--no-merged", "--sort",
                                  "--format", "--points-at"}) or "--list" in rest \
                or "l" in flags:
            return _ro("git branch only lists")
    if sub == "stash" and rest[:1] in (["drop"], ["clear"]):
        return _de(f"git stash {rest[0]} deletes stashed work")
    if sub == "stash" and rest[:1] in (["list"], ["show"]):
        return _ro(f"git stash {rest[0]} only reads")
    if sub == "tag":
        if "d" in flags or "--delete" in rest:
            return _de("git tag -d deletes a tag")
        if not _positional(rest, set()) or "l" in flags or "--list" in rest:
            return _ro("git tag only lists")
    if sub == "remote" and (not rest or rest[0] in {"-v", "show", "get-url"}):
        return _ro("git remote only lists")
    if sub == "config" and any(a in {"--get", "--list", "-l", "--get-all", "--get-regexp"}
                               for a in rest):
        return _ro("git config --get only reads")
    if sub == "reflog" and (not rest or rest[0] == "show"):
        return _ro("git reflog only reads")
    if sub in {"filter-branch", "filter-repo"}:
        return _de(f"git {sub} rewrites history")
    if sub == "update-ref" and "-d" in rest:
        return _de("git update-ref -d deletes a ref")
    return _ch(f"git {sub or '(no command)'} changes the repository")


_CURL_SHORT_VALUE = set("XdFTohAeuUxbcDEKmrwyYzCHQtvQ") - {"v"}


def _curl(args: list[str]) -> Classification:
    method: str | None = None
    writes: list[str] = []
    data = False
    get = False
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if a.startswith("--"):
            key, _, val = a.partition("=")
            takes = key in {"--request", "--data", "--data-raw", "--data-binary",
                            "--data-urlencode", "--data-ascii", "--form", "--form-string",
                            "--upload-file", "--json", "--output", "--cookie-jar",
                            "--dump-header", "--trace", "--trace-ascii", "--header", "--user",
                            "--config", "--url", "--proxy", "--max-time", "--connect-timeout",
                            "--write-out", "--resolve", "--cacert", "--cert", "--key",
                            "--retry", "--output-dir", "--user-agent", "--referer",
                            "--cookie", "--stderr", "--etag-save", "--hsts", "--alt-svc"}
            if takes and not val:
                val = nxt
                i += 1
            if key == "--request":
                method = val
            elif key.startswith("--data") or key in {"--form", "--form-string", "--json",
                                                     "--upload-file"}:
                data = True
            elif key in {"--output", "--cookie-jar", "--dump-header", "--trace",
                         "--trace-ascii", "--etag-save", "--stderr"}:
                writes.append(val)
            elif key in {"--remote-name", "--remote-name-all", "--remote-header-name"}:
                writes.append("(the remote file name)")
            elif key == "--get":
                get = True
            elif key == "--config":
                return _ch("curl --config reads options from a file")
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in _CURL_SHORT_VALUE:
                    val = a[j + 1:] or nxt
                    if not a[j + 1:]:
                        i += 1
                    if c == "X":
                        method = val
                    elif c in "dFT":
                        data = True
                    elif c in "oDc":
                        writes.append(val)
                    elif c == "K":
                        return _ch("curl -K reads options from a file")
                    break
                if c == "O":
                    writes.append("(the remote file name)")
                if c == "G":
                    get = True
                j += 1
        i += 1
    if method is not None and method.upper() not in {"GET", "HEAD"}:
        if method.upper() == "DELETE":
            return _de("curl -X DELETE deletes a resource")
        return _ch(f"curl -X {method} sends a {method} request")
    if data and not get:
        return _ch("curl -d sends data (a POST)")
    bad = [w for w in writes if w not in {"/dev/null", "-", "/dev/stdout", "/dev/stderr"}]
    if bad:
        return _ch(f"curl writes the file {bad[0]}")
    return _ro("curl only fetches")


def _wget(args: list[str]) -> Classification:
    joined = " ".join(args)
    if re.search(r"--method[= ]DELETE", joined, re.I):
        return _de("wget --method=DELETE deletes a resource")
    if re.search(r"--(?:post|body)-(?:data|file)|--method", joined):
        return _ch("wget sends data")
    if "--spider" in args or re.search(
            r"(?:^|\s)(?:-\w*O\s*-|--output-document[= ]-|-\w*O\s*/dev/null)(?:\s|$)", joined):
        return _ro("wget prints what it fetches")
    return _ch("wget saves a file")


_REDIS_CLI_VALUE = {"-h", "-p", "-a", "-u", "-n", "-s", "--user", "--pass", "--cacert",
                    "--cacertdir", "--cert", "--key", "--sni", "-t", "-r", "-i", "-d", "-D",
                    "--pattern", "--count", "--quoted-pattern", "--tls-ciphers",
                    "--tls-ciphersuites", "--memkeys-samples"}
_REDIS_CLI_WRITE_MODES = {"--pipe", "--rdb", "--functions-rdb", "--eval", "--cluster", "--replica"}
_REDIS_CLI_READ_MODES = {"--stat", "--bigkeys", "--memkeys", "--hotkeys", "--scan",
                         "--latency", "--latency-history", "--latency-dist",
                         "--intrinsic-latency", "--keystats"}


def _redis_cli(args: list[str], inv: Invocation, ctx: _Ctx) -> Classification:
    i = 0
    while i < len(args):
        a = args[i]
        if a in _REDIS_CLI_WRITE_MODES:
            return _ch(f"redis-cli {a} writes data or files")
        if a in _REDIS_CLI_READ_MODES:
            return _ro(f"redis-cli {a} only reads")
        if a.startswith("-"):
            i += 2 if a in _REDIS_CLI_VALUE else 1
            continue
        break
    command: list[Word] = [None if w == "\0" else w for w in args[i:]]
    if command:
        if command[0] is None:
            ctx.opaque = True
        result = classify_redis(command)
        return Classification(result.effect, f"redis-cli {result.reason}")
    if inv.stdin is not None:
        return _redis_lines(inv.stdin)
    if inv.piped:
        ctx.opaque = True
        return _ch("redis-cli runs commands from its input")
    return _ch("redis-cli opens a prompt")


_DB_SHORT_VALUE = {"psql": set("cdfhpUvoPFRTL"), "mysql": set("euhPDSo"),
                   "mariadb": set("euhPDSo"), "sqlite3": set()}
_DB_LONG_VALUE = {"--command", "--execute", "--file", "--output", "--host", "--port",
                  "--username", "--user", "--dbname", "--database", "--set", "--variable",
                  "--pset", "--field-separator", "--record-separator", "--table-attr",
                  "--log-file", "--socket", "-cmd", "-separator", "-newline", "-nullvalue"}


@dataclass
class _DbArgs:
    """What a database client was told to do by its options."""

    commands: list[str]
    files: list[str]
    outputs: list[str]
    lists: bool = False
    positional: tuple[str, ...] = ()


def _db_args(tool: str, args: list[str]) -> _DbArgs:
    run_flag = "c" if tool == "psql" else "e"
    got = _DbArgs([], [], [])
    positional: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if a.startswith("--"):
            key, eq, val = a.partition("=")
            if key in _DB_LONG_VALUE and not eq:
                val, i = nxt, i + 1
            if key in {"--command", "--execute"}:
                got.commands.append(val)
            elif key == "--file":
                got.files.append(val)
            elif key == "--output":
                got.outputs.append(val)
            elif key in {"--list", "--version", "--help"}:
                got.lists = True
        elif a.startswith("-") and len(a) > 1 and tool != "sqlite3":
            for j, c in enumerate(a[1:], start=1):
                if c in _DB_SHORT_VALUE.get(tool, set()):
                    val = a[j + 1:]
                    if not val:
                        val, i = nxt, i + 1
                    if c == run_flag:
                        got.commands.append(val)
                    elif c == "f" and tool == "psql":
                        got.files.append(val)
                    elif c == "o":
                        got.outputs.append(val)
                    break
                if c in {"l", "V"}:
                    got.lists = True
        elif a.startswith("-") and tool == "sqlite3":
            if a in _DB_LONG_VALUE:
                i += 1
        else:
            positional.append(a)
        i += 1
    got.positional = tuple(positional)
    if tool == "sqlite3":
        got.commands += positional[1:]
    return got


def _psql(tool: str, args: list[str], inv: Invocation, ctx: _Ctx) -> Classification:
    got = _db_args(tool, args)
    commands = list(got.commands)
    for f in got.files:
        if f == "-" and inv.stdin is not None:
            commands.append(inv.stdin)
        else:
            return _ch(f"{tool} -f runs SQL from a file")
    if any(o not in {"/dev/null", "-", "/dev/stdout"} for o in got.outputs):
        return _ch(f"{tool} -o writes a file")
    if not commands:
        if got.lists:
            return _ro(f"{tool} -l only lists")
        if inv.stdin is not None:
            commands.append(inv.stdin)
        elif inv.piped:
            ctx.opaque = True
            return _ch(f"{tool} runs SQL from its input")
        else:
            return _ch(f"{tool} opens a prompt")
    result = worst([classify_sql(c) for c in commands])
    return Classification(result.effect, f"{tool}: {result.reason}")


_AWK_VALUE = {"-F", "-v", "-i", "--include", "-l", "--load", "--assign", "--field-separator",
              "-o", "-W"}


def _awk(tool: str, args: list[str]) -> Classification:
    if any(a in {"-i", "--include"} for a in args) and "inplace" in args:
        return _de(f"{tool} -i inplace edits files in place")
    if any(a in {"-f", "--file", "-E", "--exec"} for a in args):
        return _ch(f"{tool} -f runs a program from a file")
    program = _positional(args, _AWK_VALUE)[:1]
    text = program[0] if program else ""
    if re.search(r"\bsystem\s*\(", text):
        return _ch(f"{tool} system() runs commands")
    if re.search(r"\bprintf?\b[^;}\n]*?(?:>|\|)", text) or re.search(r"\|\s*&?\s*getline",
                                                                      text):
        return _ch(f"{tool} writes to a file or a command")
    return _ro(f"{tool} only reads")


_SED_ADDRESS = r"(?:\d+|\$|/(?:[^/\\\n]|\\.)*/[IM]*|\\(?P<d>.)(?:(?!(?P=d)).|\\.)*?(?P=d))"
# w/W (write a file) or e (run a command) where a command starts, after its address
_SED_WRITE_COMMAND = re.compile(
    r"(?:^|[;{}\n])\s*(?:" + _SED_ADDRESS + r"(?:\s*[,~]\s*(?:[+~]?\d+|\$|"
    r"/(?:[^/\\\n]|\\.)*/[IM]*))?)?\s*!?\s*[wWe]")
# s/a/b/FLAGS with a w (write) or e (run the result) flag, any delimiter
_SED_S_FLAGS = re.compile(
    r"s(?P<q>[^\\\n])(?:(?!(?P=q))[^\\\n]|\\.)*(?P=q)(?:(?!(?P=q))[^\\\n]|\\.)*(?P=q)"
    r"[gpiImM0-9]*[we]")


def _sed(args: list[str]) -> Classification:
    """sed prints unless -i, or its script has w/W/e commands or s///w, s///e flags."""
    scripts: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if a.startswith("--in-place") or re.match(r"-[nErsuz]*i", a):
            return _de("sed -i edits files in place")
        if a.startswith(("--file", "-f")) or re.match(r"-[nErsuz]+f", a):
            return _ch("sed -f runs a script from a file")
        m = re.fullmatch(r"(?:-[nErsuz]*e|--expression=?)(.*)", a, re.S)
        if m:
            scripts.append(m.group(1) or nxt)
            i += 1 if m.group(1) else 2
            continue
        i += 2 if a in {"-l", "--line-length"} else 1
    if not scripts:
        scripts = _positional(args, {"-l", "--line-length"})[:1]
    if any(_SED_WRITE_COMMAND.search(s) or _SED_S_FLAGS.search(s) for s in scripts):
        return _ch("sed writes a file or runs a command")
    return _ro("sed only prints")


def _harmless(path: str) -> bool:
    """Writing here loses nothing: the bit bucket, the terminal, an open descriptor."""
    return path in {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero"} or \
        path.startswith("/dev/fd/")


def _device(path: str) -> bool:
    return path.startswith("/dev/") and not _harmless(path)


def _tee(args: list[str]) -> Classification:
    append = any(a in {"-a", "--append"} or (a.startswith("-") and not a.startswith("--")
                                              and "a" in a) for a in args)
    files = [a for a in args if not a.startswith("-") or a == "-"]
    files = [f for f in files if f != "-" and not _harmless(f)]
    if not files:
        return _ro("tee only copies to stdout")
    dev = next((f for f in files if _device(f)), None)
    if dev:
        return _de(f"tee writes to the device {dev}")
    if append:
        return _ch(f"tee -a appends to {files[0]}")
    return _de(f"tee overwrites {files[0]}")


def _find(args: list[str], ctx: _Ctx, inv: Invocation) -> Classification:
    results = [_ro("find only lists")]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-delete":
            return _de("find -delete deletes files")
        if a in {"-exec", "-execdir", "-ok", "-okdir"}:
            j = i + 1
            while j < len(args) and args[j] not in {";", "+"}:
                j += 1
            results.append(_inner(args[i + 1:j], ctx, f"find {a}", inv))
            i = j
        elif a in {"-fprint", "-fprint0", "-fprintf", "-fls"}:
            results.append(_ch(f"find {a} writes a file"))
        i += 1
    return worst(results)


# -i, -l, -e (--replace, --max-lines, --eof) take a value only attached: `-i{}`, `-l5`
_XARGS_VALUE = {"-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--arg-file", "--delimiter",
                "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}


def _command_after_options(args: list[str], with_value: set[str]) -> list[str]:
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return args[i + 1:]
        if a.startswith("-") and len(a) > 1:
            i += 2 if a in with_value else 1
            continue
        return args[i:]
    return []


def _interpreter_code(tool: str, code: str) -> Classification:
    m = re.search(r"(?i)\b(?:shutil\.rmtree|rmtree|os\.removedirs|os\.remove|os\.unlink|"
                  r"os\.rmdir|\.unlink\(|os\.kill|\.kill\(|\.terminate\(|unlink|rmdir|"
                  r"truncate|FileUtils\.rm\w*|File\.delete|fs\.rm\w*|fs\.unlink\w*|"
                  r"DROP\s+\w+|FLUSHALL|FLUSHDB|\.delete\(|\.drop\(|\.flushall\(|"
                  r"\.flushdb\()", code)
    if m:
        return _de(f"{tool} code calls {m.group(0).rstrip('(')}")
    for m in re.finditer(r"(?:os\.system|subprocess\.\w+|os\.popen|system|exec|`)\s*\(?\s*"
                         r"\[?\s*(['\"])(.*?)\1", code):
        inner = classify(m.group(2))
        if inner.effect is Effect.DESTRUCTIVE:
            return _de(f"{tool} code runs: {inner.reason}")
    return _ch(f"{tool} runs code")


_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox"}
_INTERPRETERS = {"python", "python2", "python3", "pypy", "pypy3", "perl", "ruby", "node",
                 "nodejs", "php", "lua", "Rscript", "osascript", "tclsh", "deno", "bun"}


def _shell(tool: str, args: list[str], inv: Invocation, ctx: _Ctx) -> Classification:
    if tool == "busybox":
        if args and args[0] in _SHELLS:
            return _shell(args[0], args[1:], inv, ctx)
        return _inner(args, ctx, "busybox", inv)
    for i, a in enumerate(args):
        if a.startswith("-") and not a.startswith("--") and "c" in a[1:]:
            if i + 1 < len(args) and args[i + 1] != "\0":
                inner = classify(args[i + 1], "bash", _depth=ctx.depth + 1)
                return Classification(inner.effect, f"{tool} -c: {inner.reason}")
            ctx.opaque = True
            return _ch(f"{tool} -c runs code we cannot see")
        if a == "-s" or a.startswith("-"):
            continue
        return _ch(f"{tool} runs the script {a}")
    if inv.stdin is not None:
        inner = classify(inv.stdin, "bash", _depth=ctx.depth + 1)
        return Classification(inner.effect, f"{tool} runs its input: {inner.reason}")
    ctx.opaque = True
    if inv.piped:
        return _ch(f"{tool} runs code from its input")
    return _ch(f"{tool} opens a shell")


def _interpreter(tool: str, args: list[str], inv: Invocation, ctx: _Ctx) -> Classification:
    for i, a in enumerate(args):
        if a in {"-c", "-e", "-E", "--eval", "-r", "--exec", "-p", "--print"} or (
                tool.startswith("perl") and re.fullmatch(r"-\w*[eE]", a)):
            if i + 1 < len(args) and args[i + 1] != "\0":
                return _interpreter_code(tool, args[i + 1])
            ctx.opaque = True
            return _ch(f"{tool} {a} runs code we cannot see")
        if a == "-m" and i + 1 < len(args):
            module = args[i + 1]
            if module in {"json.tool", "this", "platform", "site", "sysconfig"}:
                return _ro(f"{tool} -m {module} only prints")
            return _ch(f"{tool} -m {module} runs a module")
        if a in {"-V", "--version", "-h", "--help"}:
            return _ro(f"{tool} {a} only prints")
        if not a.startswith("-"):
            return _ch(f"{tool} runs the script {a}")
    if inv.stdin is not None:
        return _interpreter_code(tool, inv.stdin)
    ctx.opaque = True
    return _ch(f"{tool} runs code from its input" if inv.piped else f"{tool} opens a prompt")


def _simple_tools(name: str, args: list[str]) -> Classification | None:
    """Tools decided by their flags alone."""
    flags = _short_flags(args)
    if name == "kill":
        if any(a in {"-0", "-l", "-L", "--list"} for a in args) or (
                args[:2] in (["-s", "0"], ["-n", "0"])):
            return _ro("kill -0 only checks a process exists")
        return _de("kill kills processes")
    if name == "dd":
        target = next((a[3:] for a in args if a.startswith("of=")), None)
        if target is None or target == "/dev/null":
            return _ro("dd only reads")
        return _de(f"dd of={target} overwrites its target")
    if name == "rsync":
        if any(a.startswith(("--delete", "--remove-source-files")) for a in args):
            return _de("rsync --delete deletes files")
        if "--dry-run" in args or "n" in flags:
            return _ro("rsync --dry-run only lists")
        return _ch("rsync copies files")
    if name == "crontab":
        if "r" in flags:
            return _de("crontab -r deletes the crontab")
        if "l" in flags:
            return _ro("crontab -l only lists")
        if "e" in flags:
            return _ch("crontab -e edits the crontab")
        return _de("crontab FILE replaces the crontab")
    if name == "terraform":
        sub, rest = _first_positional(args, set())
        if sub == "destroy" or (sub == "apply" and "-destroy" in rest):
            return _de("terraform destroy destroys infrastructure")
        if sub == "state" and rest[:1] in (["rm"], ["list"], ["show"], ["pull"]):
            return (_de("terraform state rm forgets resources") if rest[0] == "rm"
                    else _ro(f"terraform state {rest[0]} only reads"))
        if sub in {"plan", "show", "output", "validate", "version", "providers", "graph"} or (
                sub == "fmt" and "-check" in rest):
            return _ro(f"terraform {sub} only reads")
        return _ch(f"terraform {sub} changes infrastructure or state")
    if name == "helm":
        sub, rest = _first_positional(args, {"-n", "--namespace", "--kube-context",
                                             "--kubeconfig"})
        if sub in {"rollback", "uninstall", "delete", "del", "un"}:
            return _de(f"helm {sub} {'rolls back' if sub == 'rollback' else 'uninstalls'}")
        if sub in {"list", "ls", "status", "history", "get", "show", "version", "search",
                   "template", "lint", "env"} or (sub in {"repo", "dependency", "plugin"}
                                                   and rest[:1] == ["list"]):
            return _ro(f"helm {sub} only reads")
        return _ch(f"helm {sub} changes releases")
    if name == "alembic":
        sub, _ = _first_positional(args, {"-c", "--config", "-n", "--name", "-x"})
        if sub == "downgrade":
            return _de("alembic downgrade rolls back the schema")
        if sub in {"current", "history", "heads", "branches", "show", "check"}:
            return _ro(f"alembic {sub} only reads")
        return _ch(f"alembic {sub} changes the schema")
    if name in {"iptables", "ip6tables", "nft", "ufw", "iptables-legacy", "iptables-nft"}:
        if any(a in {"-F", "--flush", "-X", "--delete-chain", "-D", "--delete", "flush",
                     "delete", "reset", "disable", "-Z", "--zero"} for a in args):
            return _de(f"{name} flushes or deletes firewall rules")
        if any(a in {"-L", "--list", "-S", "--list-rules", "list", "status"} for a in args):
            return _ro(f"{name} only lists rules")
        return _ch(f"{name} changes firewall rules")
    if name == "ip":
        if any(a in {"flush", "del", "delete", "down"} for a in args):
            return _de("ip flush/del/down removes network state")
        if any(a in {"add", "set", "change", "replace", "append", "up", "prepend"}
               for a in args):
            return _ch("ip changes network state")
        return _ro("ip only shows")
    if name == "sysctl":
        if any("=" in a or a in {"-w", "--write", "-p", "--load", "--system"} for a in args):
            return _ch("sysctl sets kernel parameters")
        return _ro("sysctl only reads")
    if name == "date":
        if "s" in flags or any(a.startswith("--set") for a in args):
            return _ch("date -s sets the clock")
        return _ro("date only prints")
    if name == "hostname":
        if _positional(args, set()) or "F" in flags or "b" in flags:
            return _ch("hostname NAME sets the host name")
        return _ro("hostname only prints")
    if name == "dmesg":
        if "c" in flags or "C" in flags or any(a in {"--clear", "--read-clear"} for a in args):
            return _de("dmesg -c clears the kernel log")
        if "n" in flags or "D" in flags or "E" in flags or any(
                a.startswith("--console") for a in args):
            return _ch("dmesg changes console logging")
        return _ro("dmesg only reads")
    if name == "yq" and any(a in {"-i", "--inplace"} or a.startswith("--inplace")
                            for a in args):
        return _de("yq -i edits files in place")
    if name == "sort":
        if "o" in flags or any(a.startswith("--output") for a in args):
            return _ch("sort -o writes a file")
        return _ro("sort only prints")
    if name == "uniq" and len(_positional(args, {"-f", "-s", "-w"})) > 1:
        return _ch("uniq IN OUT writes a file")
    if name == "tcpdump":
        if "w" in flags:
            return _ch("tcpdump -w writes a file")
        return _ro("tcpdump only reads")
    if name == "nginx":
        if "s" in flags:
            sig = args[args.index("-s") + 1] if "-s" in args and args.index(
                "-s") + 1 < len(args) else ""
            if sig in {"stop", "quit"}:
                return _de(f"nginx -s {sig} stops nginx")
            return _ch(f"nginx -s {sig} signals nginx")
        if any(a in {"-t", "-T", "-v", "-V", "-h", "-?"} for a in args):
            return _ro("nginx -t only checks the configuration")
        return _ch("nginx starts a server")
    if name == "openssl":
        if "-out" in args or "-keyout" in args:
            return _ch("openssl -out writes a file")
        if args[:1] and args[0] in {"s_client", "x509", "verify", "version", "ciphers",
                                    "crl", "req", "asn1parse", "sess_id", "dgst"}:
            return _ro(f"openssl {args[0]} only reads")
        return _ch(f"openssl {args[0] if args else ''} is not known to only read")
    if name == "mount":
        if not args or args == ["-l"] or "--show" in args:
            return _ro("mount only lists")
        return _ch("mount attaches a filesystem")
    if name == "swapon" and ("--show" in args or "s" in flags):
        return _ro("swapon --show only lists")
    if name in {"pg_ctl", "pg_ctlcluster", "patronictl"}:
        if any(a in {"status", "list", "topology", "history", "show-config", "version",
                     "dsn"} for a in args):
            return _ro(f"{name} only reads")
        return None
    if name in {"gitlab-rails", "rails"} and args[:1] and args[0] in {"console", "c",
                                                                      "dbconsole", "db"}:
        return _ch(f"{name} {args[0]} opens a console")
    if name == "mongosh" or name == "mongo":
        return _ch(f"{name} runs database commands")
    if name == "watch":
        return None
    return None


def _inner(words: Sequence[Word], ctx: _Ctx, via: str, inv: Invocation) -> Classification:
    """A command run by another (`find -exec`, `kubectl exec --`, `xargs`, wrappers)."""
    if not words:
        return _ro(f"{via} runs nothing")
    sub = Invocation(list(words), stdin=inv.stdin, piped=inv.piped, text=inv.text)
    result = _invocation(sub, ctx)
    return Classification(result.effect, f"{via}: {result.reason}" if result.effect !=
                          Effect.READ_ONLY else result.reason)


# Wrappers: their own options, then the real command.
_WRAPPER_VALUE: dict[str, set[str]] = {
    "sudo": {"-u", "--user", "-g", "--group", "-h", "--host", "-p", "--prompt", "-C",
             "--close-from", "-D", "--chdir", "-r", "--role", "-t", "--type", "-U",
             "--other-user", "-T", "--command-timeout", "-R", "--chroot"},
    "doas": {"-u", "-C"},
    "env": {"-u", "--unset", "-C", "--chdir", "-S", "--split-string"},
    "timeout": {"-s", "--signal", "-k", "--kill-after"},
    "nice": {"-n", "--adjustment"},
    "ionice": {"-c", "--class", "-n", "--classdata", "-p", "-P", "-u"},
    "exec": {"-a"},
    "stdbuf": {"-i", "-o", "-e"},
    "chrt": set(),
    "taskset": set(),
    "flock": {"-w", "--timeout", "-E", "--conflict-exit-code"},
    "nohup": set(), "setsid": set(), "time": set(), "command": set(), "builtin": set(),
    "unbuffer": set(), "caffeinate": set(), "systemd-run": {"-p", "--property", "-u",
                                                            "--unit", "-M", "--machine"},
    "runuser": {"-u", "-g", "-G"}, "chroot": {"--userspec", "--groups"},
    "xargs": _XARGS_VALUE,
}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SSH_VALUE = {"-i", "-p", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e",
              "-m", "-O", "-Q", "-S", "-W", "-w", "-B", "-I"}
_EDITORS = {"vim", "vi", "nvim", "nano", "emacs", "pico", "joe", "mcedit", "ed", "visudo",
            "vipw", "vigr", "sudoedit"}


def _invocation(inv: Invocation, ctx: _Ctx) -> Classification:
    """One simple command: its redirections and what its command word does."""
    results: list[Classification] = []
    for op, target in inv.writes:
        if target is None:
            ctx.opaque = True
            results.append(_de(f"{op} writes to a file named by a variable") if ">>" not in op
                           else _ch(f"{op} appends to a file named by a variable"))
        elif _harmless(target):
            continue
        elif _device(target):
            results.append(_de(f"{op} writes to the device {target}"))
        elif ">>" in op:
            results.append(_ch(f">> appends to {target}"))
        else:
            results.append(_de(f"> overwrites {target}"))
    results.append(_words(inv.words, inv, ctx))
    return worst(results)


def _words(words: Sequence[Word], inv: Invocation, ctx: _Ctx) -> Classification:
    if not words:
        return _ro("only redirections")
    if words[0] is None:
        ctx.opaque = True
        return _ch("the command name comes from an expansion")
    name = _base(words[0])
    args = _lit(words[1:])
    if _ASSIGNMENT.match(words[0]) and name == words[0]:
        return _words(words[1:], inv, ctx)  # `env`'s or sudo's VAR=x
    if (name in _WRAPPER_VALUE and name != "env") or (name == "env" and args):
        if name == "command" and any(a in {"-v", "-V"} for a in args):
            return _ro("command -v only looks up")
        if name == "env":
            for i, a in enumerate(args):
                m = re.fullmatch(r"(?:-S|--split-string=?)(.*)", a, re.S)
                split = m.group(1) if m and m.group(1) else None
                if m and split is None and i + 1 < len(args):
                    split, i = args[i + 1], i + 1
                if split is not None:
                    return _inner(shlex.split(split) + args[i + 1:], ctx, "env -S", inv)
        rest = _command_after_options(args, _WRAPPER_VALUE[name])
        while rest and _ASSIGNMENT.match(rest[0]):
            rest = rest[1:]
        if name in {"timeout"} and rest:
            rest = rest[1:]  # the duration
        if name in {"chrt", "taskset", "flock", "chroot"} and rest:
            rest = rest[1:]  # priority, CPU mask, lock file, new root
        if name == "flock" and "-c" in args:
            code = args[args.index("-c") + 1] if args.index("-c") + 1 < len(args) else "\0"
            if code == "\0":
                ctx.opaque = True
                return _ch("flock -c runs code we cannot see")
            return _shell_code(code, ctx, "flock -c")
        if name == "xargs":
            return _inner(rest or ["echo"], ctx, "xargs", inv)
        if name in {"sudo", "doas"} and not rest:
            if any(a in {"-i", "-s", "--login", "--shell"} for a in args):
                return _ch(f"{name} -i opens a root shell")
            return _ro(f"{name} -l only lists") if "-l" in args else _ch(f"{name} alone")
        if name == "exec" and not rest:
            return _ro("exec only redirects")
        rest_words: list[Word] = [None if w == "\0" else w for w in rest]
        return _words(rest_words, inv, ctx) if rest_words else _ro(f"{name} alone")
    if name in {"eval"}:
        if "\0" in args:
            ctx.opaque = True
            return _ch("eval runs code we cannot see")
        return _shell_code(" ".join(args), ctx, "eval")
    if name == "watch":
        rest = _command_after_options(args, {"-n", "--interval"})
        if "\0" in rest:
            ctx.opaque = True
            return _ch("watch runs code we cannot see")
        return _shell_code(" ".join(rest), ctx, "watch")
    if name == "ssh":
        pos = _positional(args, _SSH_VALUE)
        if len(pos) <= 1:
            return _ch("ssh opens a remote shell")
        if "\0" in pos:
            ctx.opaque = True
            return _ch("ssh runs a remote command we cannot see")
        return _shell_code(" ".join(pos[1:]), ctx, "ssh")
    if name in _EDITORS:
        return _ch(f"{name} edits files")
    if name == "trap" and args and not args[0].startswith("-"):
        if args[0] == "\0":
            ctx.opaque = True
            return _ch("trap runs code we cannot see")
        return _shell_code(args[0], ctx, "trap")
    if name == "alias" and any("=" in a for a in args):
        return _ch("alias defines a command")
    if name == "shopt" and "expand_aliases" in args:
        return _ch("shopt expand_aliases lets aliases run")
    if name in {"source", "."}:
        return _ch(f"{name} runs a script")
    if name in _SHELLS:
        return _shell(name, args, inv, ctx)
    if name in _INTERPRETERS or re.fullmatch(r"python\d(?:\.\d+)?", name):
        return _interpreter(name, args, inv, ctx)
    if name in _ALWAYS_DESTRUCTIVE or name.startswith("mkfs"):
        return _de(_ALWAYS_DESTRUCTIVE.get(name, f"{name} formats a filesystem"))
    handlers: dict[str, Callable[[], Classification]] = {
        "kubectl": lambda: _kubectl(name, args, ctx, inv),
        "oc": lambda: _kubectl(name, args, ctx, inv),
        "docker": lambda: _docker(name, args, ctx, inv),
        "podman": lambda: _docker(name, args, ctx, inv),
        "nerdctl": lambda: _docker(name, args, ctx, inv),
        "docker-compose": lambda: _docker(name, args, ctx, inv),
        "podman-compose": lambda: _docker(name, args, ctx, inv),
        "systemctl": lambda: _systemctl(name, args),
        "service": lambda: _service(args),
        "gitlab-ctl": lambda: _gitlab_ctl(args),
        "supervisorctl": lambda: _supervisorctl(args),
        "journalctl": lambda: _journalctl(args),
        "git": lambda: _git(args),
        "curl": lambda: _curl(args),
        "wget": lambda: _wget(args),
        "redis-cli": lambda: _redis_cli(args, inv, ctx),
        "psql": lambda: _psql(name, args, inv, ctx),
        "mysql": lambda: _psql(name, args, inv, ctx),
        "mariadb": lambda: _psql(name, args, inv, ctx),
        "sqlite3": lambda: _psql(name, args, inv, ctx),
        "sed": lambda: _sed(args),
        "tee": lambda: _tee(args),
        "find": lambda: _find(args, ctx, inv),
    }
    if name in handlers:
        return handlers[name]()
    if name in {"awk", "gawk", "mawk", "nawk"}:
        return _awk(name, args)
    decided = _simple_tools(name, args)
    if decided is not None:
        return decided
    if name in _READERS or name in _SHELL_STATE:
        if name == "env" and args:
            return _ch("env runs a command")
        return _ro(f"{name} only reads")
    if name in _VERB_TOOLS or name.endswith(".py"):
        verb = next((a for a in args if a.lower() in _VERBS), None)
        if verb:
            return _verb(name, verb.lower())
        return _ch(f"{name} is not known to only read")
    return _ch(f"{name} is not known to only read")


def _shell_code(code: str, ctx: _Ctx, via: str) -> Classification:
    inner = classify(code, "bash", _depth=ctx.depth + 1)
    return Classification(inner.effect, f"{via}: {inner.reason}")


_RISKY_ASSIGNMENT = re.compile(
    r"(?:^|[\s;&|(])(?:export\s+|declare\s+-x\s+)?(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|BASH_ENV|"
    r"ENV|PATH|PAGER|GIT_PAGER|MANPAGER|SYSTEMD_PAGER|GIT_EXTERNAL_DIFF|GIT_SSH_COMMAND|"
    r"EDITOR|VISUAL|PROMPT_COMMAND|PS4|SHELLOPTS|BASHOPTS|IFS|PYTHONSTARTUP|PERL5OPT|"
    r"NODE_OPTIONS|PSQLRC|LESSOPEN|LESSCLOSE)=")


def _classify_shell(code: str, depth: int) -> Classification:
    if depth > _MAX_DEPTH:
        return _fallback(code, "nested too deep to follow")
    try:
        invocations = parse(code)
    except ParseError:
        return _fallback(code, "bash cannot parse it")
    ctx = _Ctx(code, depth)
    results = [_invocation(inv, ctx) for inv in invocations]
    m = _RISKY_ASSIGNMENT.search(code)
    if m:
        results.append(_ch(f"setting {m.group(1)} changes what runs"))
    result = worst(results)
    if ctx.opaque and result.effect is Effect.CHANGES:
        m = _DESTRUCTIVE_WORDS.search(code)
        if m:
            return _de(f"{result.reason}, and it mentions {m.group(0)}")
    return result


def classify(code: str, lang: str = "bash", *, _depth: int = 0) -> Classification:
    """The effect of running `code` (a `bash`, `sql` or `redis` step) and why."""
    if lang == "sql":
        return classify_sql(code)
    if lang in {"redis", "redis-cli"}:
        return _redis_lines(code)
    return _classify_shell(code, _depth)


def is_destructive(code: str, lang: str = "bash") -> bool:
    """Kept for callers that only need the confirmation question."""
    return classify(code, lang).effect is Effect.DESTRUCTIVE


def destructive_sql(sql: str) -> bool:
    return classify_sql(sql).effect is Effect.DESTRUCTIVE


# ---------------------------------------------------------------------------------------
# Interactive and streaming commands


def _unwrapped(code: str, depth: int = 0) -> list[tuple[str, list[str], Invocation]]:
    """(command name, arguments, invocation) with wrappers and `bash -c` strings opened."""
    if depth > _MAX_DEPTH:
        return []
    try:
        invocations = parse(code)
    except ParseError:
        return []
    out: list[tuple[str, list[str], Invocation]] = []
    for inv in invocations:
        words = list(inv.words)
        while words and words[0] is not None:
            name = _base(words[0])
            args = _lit(words[1:])
            if _ASSIGNMENT.match(words[0]):
                words = words[1:]
                continue
            if name in _WRAPPER_VALUE and name not in {"xargs"} and not (
                    name == "sudo" and any(a in {"-i", "-s"} for a in args)):
                rest = _command_after_options(args, _WRAPPER_VALUE[name])
                while rest and _ASSIGNMENT.match(rest[0]):
                    rest = rest[1:]
                if name == "timeout" and rest:
                    rest = rest[1:]
                if not rest:
                    break
                words = [None if w == "\0" else w for w in rest]
                continue
            break
        if not words or words[0] is None:
            continue
        name, args = _base(words[0]), _lit(words[1:])
        if name in _SHELLS and "-c" in args and args.index("-c") + 1 < len(args):
            out += _unwrapped(args[args.index("-c") + 1], depth + 1)
            continue
        out.append((name, args, inv))
    return out


_EDITORS_PAGERS = {"vim", "vi", "nvim", "view", "nano", "emacs", "pico", "joe", "mcedit",
                   "less", "more", "most", "man", "visudo", "vipw", "vigr"}
_FULLSCREEN = {"htop", "atop", "btop", "iotop", "iftop", "nload", "watch", "tmux", "screen",
               "mc", "ncdu", "k9s", "lazydocker", "pgcli", "mycli", "iredis", "glances",
               "nmtui", "ctop", "bmon", "nethogs", "tig"}
_REPLS = {"python", "python2", "python3", "ipython", "node", "irb", "pry", "bash", "sh",
          "zsh", "fish", "dash", "ksh", "sqlite3", "lua", "R", "ghci", "erl", "iex", "php"}


def _interactive_one(name: str, args: list[str], inv: Invocation) -> bool:
    flags = _short_flags(args)
    if name in _EDITORS_PAGERS or name in _FULLSCREEN:
        return True
    if name == "top":
        return "b" not in flags and "--batch" not in args
    if name == "crontab":
        return "e" in flags
    if name in {"systemctl"} and "edit" in args:
        return True
    if name in {"gitlab-rails", "rails"}:
        return bool(args) and args[0] in {"console", "c", "dbconsole", "db"}
    if name == "bundle" and args[:2] == ["exec", "rails"]:
        return len(args) > 2 and args[2] in {"console", "c", "dbconsole", "db"}
    if name in {"gitlab-psql", "gitlab-redis-cli"}:
        return not inv.piped and not any(a in {"-c", "--command", "-f"} for a in args)
    if name in {"kubectl", "oc"}:
        sub, rest = _first_positional(args, _KUBECTL_VALUE)
        if sub in {"edit", "attach"}:
            return True
        if sub == "debug":  # `oc debug node/x -- chroot /host df -h` runs and returns
            return "--" not in args
        if sub == "rsh":  # a shell in the pod unless a command follows its name
            return len([a for a in rest if not a.startswith("-")]) <= 1
        if sub in {"exec", "run"}:
            return ("i" in flags and "t" in flags) or ("--stdin" in args and "--tty" in args)
        return False
    if name in {"docker", "podman", "nerdctl", "crictl"}:
        sub, _ = _first_positional(args, _DOCKER_VALUE)
        if sub == "attach":
            return True
        if sub in {"exec", "run"}:
            return ("i" in flags and "t" in flags) or (
                "--interactive" in args and "--tty" in args)
        return False
    if name in {"su"}:
        return "-c" not in args and "--command" not in args
    if name in {"sudo", "doas"}:
        return any(a in {"-i", "-s", "--login", "--shell"} for a in args)
    if name == "ssh":
        if "t" in flags and "T" not in flags:
            return True
        return len(_positional(args, _SSH_VALUE)) <= 1
    if name in {"mongo", "mongosh"}:
        return not inv.piped and "--eval" not in args and not _positional(args, {
            "--host", "--port", "-u", "-p", "--username", "--password",
            "--authenticationDatabase"})[1:]
    if inv.piped:
        return False
    if name in _REPLS or re.fullmatch(r"python\d(?:\.\d+)?", name):
        return not args or args == ["-i"] or (
            name.startswith("python") and args[:1] == ["-i"])
    if name in {"psql", "mysql", "mariadb"}:
        got = _db_args(name, args)
        return not (got.commands or got.files or got.lists)
    if name == "redis-cli":
        i = 0
        while i < len(args):
            a = args[i]
            if a in _REDIS_CLI_READ_MODES or a in _REDIS_CLI_WRITE_MODES:
                return False  # --stat, --bigkeys, --scan, --pipe: run, not a prompt
            if a.startswith("-"):
                i += 2 if a in _REDIS_CLI_VALUE else 1
                continue
            return False  # a command word: runs once
        return True
    return False


def is_interactive(code: str, lang: str = "bash") -> bool:
    """Needs the terminal: editors, pagers, REPLs and prompts, `exec -it`, bare `ssh`."""
    if lang in {"sql", "redis", "redis-cli"}:
        return False
    return any(_interactive_one(n, a, inv) for n, a, inv in _unwrapped(code))


def _streaming_one(name: str, args: list[str]) -> bool:
    flags = _short_flags(args)
    if name == "tail":
        return "f" in flags or "F" in flags or any(a.startswith("--follow") for a in args)
    if name == "journalctl":
        return "f" in flags or "--follow" in args
    if name in {"kubectl", "oc"}:
        sub, _ = _first_positional(args, _KUBECTL_VALUE)
        if sub in {"logs", "log"}:
            return "f" in flags or any(a.startswith("--follow") for a in args)
        if sub in {"get", "rollout"}:
            return "w" in flags or "--watch" in args or (
                sub == "rollout" and "status" in args and "--watch=false" not in args)
        return sub in {"port-forward", "proxy", "attach"}
    if name in {"docker", "podman", "nerdctl", "docker-compose"}:
        sub, rest = _first_positional(args, _DOCKER_VALUE | _COMPOSE_VALUE)
        if sub == "compose":
            sub, rest = _first_positional(rest, _COMPOSE_VALUE)
        if sub in {"container"}:
            sub, rest = _first_positional(rest, set())
        if sub == "logs":  # its own -f, not compose's `-f FILE`
            return "f" in _short_flags(rest) or "--follow" in rest
        if sub == "stats":
            return "--no-stream" not in args
        if sub == "events":
            return "--until" not in args and not any(a.startswith("--until=") for a in args)
        return False
    if name == "gitlab-ctl":
        return args[:1] == ["tail"]
    if name == "redis-cli":
        return any(a.lower() in {"monitor", "subscribe", "psubscribe", "--stat", "--latency",
                                 "--latency-history", "--latency-dist"} for a in args)
    if name in {"ping", "ping6"}:
        return "c" not in flags and "--count" not in args
    if name == "tcpdump":
        return "c" not in flags
    if name in {"vmstat", "iostat", "mpstat", "pidstat", "sar", "dstat"}:
        nums = [a for a in _positional(args, {"-p", "-o"}) if a.isdigit()]
        return len(nums) == 1
    return name == "watch" or (name == "dmesg" and (
        "w" in flags or "--follow" in args))


def is_streaming(code: str, lang: str = "bash") -> bool:
    """Runs until stopped, printing as it goes: `tail -f`, `journalctl -f`, `logs -f`."""
    if lang in {"sql", "redis", "redis-cli"}:
        return any(w in code.lower().split() for w in ("monitor", "subscribe", "psubscribe"))
    return any(_streaming_one(n, a) for n, a, _ in _unwrapped(code))


__all__ = ["Classification", "Effect", "classify", "classify_redis", "classify_sql",
           "destructive_sql", "is_destructive", "is_interactive", "is_streaming",
           "strip_sql_literals", "worst"]
