"""Every rule of the command classifier, one case per entry, effect and reason pinned.

Why so literal: each name of each table (readers, wrappers and their value-taking
options, verb tools, Redis commands, SQL words...) is written here again, so dropping or
misspelling one in runbooks/safety.py fails a case. Expected values were judged from
what the command does, not copied from the classifier's output. Then disguised
destructive commands, read-only look-alikes, and the gate that turns an effect into
run / confirm / refuse.
"""

from __future__ import annotations

import pytest

from runbooks.safety import (
    Classification,
    Effect,
    classify,
    classify_redis,
    is_interactive,
    is_streaming,
    worst,
)

RO, CH, DE = Effect.READ_ONLY, Effect.CHANGES, Effect.DESTRUCTIVE

Case = tuple[str, str, Effect, str]  # code, lang, effect, reason


def sh(code: str, effect: Effect, reason: str) -> Case:
    return (code, "bash", effect, reason)


# ---------------------------------------------------------------------------------------
# Words that make unparseable text destructive (the fallback scan)

FALLBACK_WORDS = [
    "rm", "rmdir", "unlink", "shred", "kill", "pkill", "killall", "reboot", "shutdown",
    "halt", "poweroff", "mkfs", "mkfs.ext4", "dd", "restart", "stop", "prune", "purge",
    "failover", "downgrade", "drain", "truncate", "wipefs", "rmtree", "destroy", "delete",
    "drop", "flushall", "flushdb", "rollback", "undo", "remove", "uninstall",
    "pg_terminate_backend", "pg_cancel_backend", "pg_drop_replication_slot",
]
CASES: list[Case] = [
    sh(f"echo 'oops; {w} x", DE, f"bash cannot parse it, and it mentions {w}")
    for w in FALLBACK_WORDS
]
CASES += [
    sh("echo 'oops; DROP x", DE, "bash cannot parse it, and it mentions DROP"),
    sh("echo 'oops; skill x", CH, "bash cannot parse it"),
    sh("echo 'oops; rm-rf x", CH, "bash cannot parse it"),
    sh("echo 'oops; x-rm", CH, "bash cannot parse it"),
    sh("echo 'oops; drops", CH, "bash cannot parse it"),
]

# ---------------------------------------------------------------------------------------
# SQL

CASES += [
    ("SELECT 1", "sql", RO, "SELECT only reads"),
    ("(SELECT 1)", "sql", RO, "SELECT only reads"),
    ("SHOW max_connections", "sql", RO, "SHOW only reads"),
    ("SHOW lock_timeout", "sql", RO, "SHOW only reads"),
    ("EXPLAIN SELECT 1", "sql", RO, "EXPLAIN without ANALYZE only plans"),
    ("EXPLAIN DELETE FROM t", "sql", RO, "EXPLAIN without ANALYZE only plans"),
    ("EXPLAIN ANALYZE SELECT 1", "sql", RO, "EXPLAIN only reads"),
    ("EXPLAIN ANALYSE SELECT 1", "sql", RO, "EXPLAIN only reads"),
    ("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "sql", CH, "ANALYZE is not a plain read"),
    ("EXPLAIN ANALYZE UPDATE t SET a = 1 WHERE b", "sql", CH,
     "ANALYZE is not a plain read"),
    ("EXPLAIN ANALYZE DELETE FROM t", "sql", DE, "DELETE deletes rows"),
    ("WITH a AS (SELECT 1) SELECT * FROM a", "sql", RO, "WITH only reads"),
    ("VALUES (1)", "sql", RO, "VALUES only reads"),
    ("TABLE pg_stat_activity", "sql", RO, "TABLE only reads"),
    ("", "sql", RO, "empty statement"),
    ("SELECT 1;", "sql", RO, "SELECT only reads"),
    ("BEGIN", "sql", RO, "BEGIN only delimits a transaction"),
    ("COMMIT", "sql", RO, "COMMIT only delimits a transaction"),
    ("ROLLBACK", "sql", RO, "ROLLBACK only delimits a transaction"),
    ("START TRANSACTION READ", "sql", RO, "START only delimits a transaction"),
    ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "sql", CH,
     "START is not a plain read"),
    ("END", "sql", RO, "END only delimits a transaction"),
    ("ABORT", "sql", RO, "ABORT only delimits a transaction"),
    ("DROP TABLE jobs", "sql", DE, "DROP drops objects"),
    ("drop index i", "sql", DE, "DROP drops objects"),
    ("TRUNCATE jobs", "sql", DE, "TRUNCATE empties tables"),
    ("DELETE FROM jobs WHERE id = 1", "sql", DE, "DELETE deletes rows"),
    ("SELECT pg_terminate_backend(1)", "sql", DE,
     "pg_terminate_backend ends or removes something"),
    ("SELECT pg_cancel_backend (1)", "sql", DE,
     "pg_cancel_backend ends or removes something"),
    ("SELECT pg_drop_replication_slot('s')", "sql", DE,
     "pg_drop_replication_slot ends or removes something"),
    ("SELECT lo_unlink(42)", "sql", DE, "lo_unlink ends or removes something"),
    ("SELECT pg_promote()", "sql", DE, "pg_promote ends or removes something"),
    ("SELECT pg_promote", "sql", RO, "SELECT only reads"),  # a column, not a call
    ("FLUSHALL", "sql", DE, "FLUSHALL wipes a Redis database"),
    ("FLUSHDB", "sql", DE, "FLUSHDB wipes a Redis database"),
    ("UPDATE t SET a = 1", "sql", DE, "UPDATE without WHERE rewrites every row"),
    ("update t set a = 1 where id = 2", "sql", CH, "UPDATE changes rows"),
    ("ALTER SYSTEM SET work_mem = '1GB'", "sql", CH,
     "ALTER SYSTEM changes the server's configuration"),
    ("ALTER TABLE t ADD COLUMN c int", "sql", CH, "ALTER is not a plain read"),
    ("ALTER TABLE t DROP COLUMN c", "sql", DE, "DROP drops objects"),
    ("INSERT INTO t VALUES (1)", "sql", CH, "INSERT is not a plain read"),
    ("SELECT * FROM t FOR UPDATE", "sql", CH, "SELECT ... FOR UPDATE locks rows"),
    ("SELECT * FROM t FOR NO KEY UPDATE", "sql", CH, "SELECT ... FOR UPDATE locks rows"),
    ("SELECT * FROM t FOR SHARE", "sql", CH, "SELECT ... FOR UPDATE locks rows"),
    ("SELECT * FROM t FOR KEY SHARE", "sql", CH, "SELECT ... FOR UPDATE locks rows"),
    ("SELECT 'DROP TABLE x' AS text", "sql", RO, "SELECT only reads"),
    ("SELECT \"drop\" FROM t", "sql", RO, "SELECT only reads"),
    ("SELECT 1 -- DROP TABLE x", "sql", RO, "SELECT only reads"),
    ("SELECT 1 /* DROP TABLE x */", "sql", RO, "SELECT only reads"),
    ("SELECT 'it''s -- ; DROP TABLE t'", "sql", RO, "SELECT only reads"),
    ("SELECT $tag$DROP TABLE t$tag$", "sql", DE, "DROP drops objects"),  # bodies are code
    ("DO $$ BEGIN TRUNCATE t; END $$", "sql", DE, "TRUNCATE empties tables"),
    ("SELECT 1; DROP TABLE t", "sql", DE, "DROP drops objects"),
    ("SHOW ALL", "sql", RO, "SHOW only reads"),
]
SQL_WRITE_WORDS = [
    "INSERT", "UPDATE", "MERGE", "CREATE", "ALTER", "GRANT", "REVOKE", "COPY", "VACUUM",
    "REINDEX", "CLUSTER", "REFRESH", "COMMENT", "LOCK", "CALL", "DO", "NOTIFY", "LISTEN",
    "SECURITY", "IMPORT", "LOAD", "REASSIGN", "SET", "RESET", "INTO", "PREPARE", "EXECUTE",
    "DISCARD", "CHECKPOINT", "ANALYZE", "ANALYSE", "SAVEPOINT", "RELEASE", "DECLARE",
]
CASES += [(f"SELECT x FROM t {w.lower()} y", "sql", CH, f"{w} is not a plain read")
          for w in SQL_WRITE_WORDS]
CASES += [(f"{w} x", "sql", CH, f"{w} is not a plain read")
          for w in ["CREATE", "GRANT", "VACUUM", "COPY", "LOCK", "SET", "CHECKPOINT"]]
SQL_SIDE_EFFECT_CALLS = [
    "pg_reload_conf", "pg_rotate_logfile", "set_config", "nextval", "setval", "lo_import",
    "dblink_exec", "dblink", "pg_switch_wal", "pg_create_restore_point", "pg_stat_reset",
    "pg_stat_reset_shared", "pg_advisory_lock", "pg_try_advisory_lock",
    "pg_replication_origin_create", "pg_logical_emit_message", "pg_file_write",
    "pg_log_backend_memory_contexts", "pg_wal_replay_pause", "pg_backup_start",
    "pg_start_backup", "pg_stop_backup", "pg_import_system_collations", "txid_current",
    "pg_current_xact_id", "pg_notify",
]
CASES += [(f"SELECT {f}('x')", "sql", CH, f"{f}() has side effects")
          for f in SQL_SIDE_EFFECT_CALLS]
PSQL_SHOWS = ["\\d", "\\dt", "\\d+", "\\dt+", "\\l", "\\l+", "\\x", "\\timing",
              "\\conninfo", "\\q", "\\?", "\\h", "\\encoding", "\\pset", "\\a", "\\t", "\\H",
              "\\echo", "\\qecho", "\\set", "\\unset", "\\sf", "\\sf+", "\\sv", "\\sv+",
              "\\dconfig", "\\watch"]
CASES += [(f"{m} x", "sql", RO, f"{m} only shows") for m in PSQL_SHOWS]
CASES += [(f"  {m} x", "sql", CH, f"psql {m} is not a plain read")
          for m in ["\\!", "\\o", "\\copy", "\\i", "\\g", "\\gexec", "\\lo_unlink"]]
CASES += [("\\", "sql", CH, "psql \\ is not a plain read"),
          ("SELECT 1\n\\watch 2", "sql", RO, "\\watch only shows")]

# ---------------------------------------------------------------------------------------
# Redis

REDIS_READ = [
    "info", "get", "mget", "getrange", "llen", "lrange", "lindex", "lpos", "scan", "sscan",
    "hscan", "zscan", "keys", "ttl", "pttl", "expiretime", "type", "exists", "strlen", "hget",
    "hgetall", "hmget", "hlen", "hkeys", "hvals", "hexists", "hstrlen", "hrandfield",
    "smembers", "scard", "sismember", "smismember", "srandmember", "sinter", "sunion",
    "sdiff", "zcard", "zrange", "zrangebyscore", "zrangebylex", "zrevrange",
    "zrevrangebyscore", "zscore", "zmscore", "zrank", "zrevrank", "zcount", "zlexcount",
    "xlen", "xrange", "xrevrange", "xpending", "xread", "ping", "echo", "dbsize", "time",
    "lastsave", "role", "randomkey", "dump", "bitcount", "bitpos", "getbit", "pfcount",
    "geopos", "geodist", "georadius_ro", "geosearch", "lolwut", "readonly", "hello", "auth",
    "select", "touch", "monitor", "subscribe", "psubscribe", "ssubscribe",
    "memory usage", "memory stats", "memory doctor", "memory malloc-stats", "client list",
    "client info", "client getname", "client id", "config get", "slowlog get",
    "slowlog len", "latency latest", "latency history", "latency doctor", "latency graph",
    "cluster info", "cluster nodes", "cluster slots", "cluster shards", "cluster keyslot",
    "cluster countkeysinslot", "cluster myid", "cluster replicas", "module list",
    "acl whoami", "acl list", "acl users", "acl cat", "acl getuser", "acl log",
    "sentinel masters", "sentinel master", "sentinel replicas", "sentinel slaves",
    "sentinel sentinels", "sentinel get-master-addr-by-name", "function list",
    "function stats", "script exists",
    # containers whose every subcommand reads
    "object encoding", "object freq", "xinfo stream", "xinfo groups", "pubsub channels",
    "pubsub numsub", "command count", "command docs",
]
REDIS_DESTRUCTIVE = [
    "flushall", "flushdb", "del", "unlink", "shutdown", "failover", "replicaof", "slaveof",
    "debug", "ltrim", "xtrim", "xdel", "zremrangebyscore", "zremrangebyrank",
    "zremrangebylex", "expire", "pexpire", "expireat", "pexpireat", "getdel", "rename",
    "restore", "migrate", "swapdb", "lrem", "srem", "zrem", "hdel", "spop", "lpop", "rpop",
    "client kill", "config set", "script flush", "function flush", "function delete",
    "cluster failover", "cluster reset", "cluster forget", "cluster flushslots",
    "acl deluser", "sentinel failover", "sentinel remove", "sentinel reset",
    "config resetstat", "slowlog reset", "latency reset", "memory purge",
]
CASES += [(f"{c.upper()} k", "redis", RO, f"{c.upper()} only reads") for c in REDIS_READ]
CASES += [(c, "redis", RO, f"{c} only reads") for c in ["OBJECT", "XINFO", "PUBSUB", "COMMAND"]]
CASES += [(f"{c} k", "redis", DE, f"{c.upper()} removes or overwrites Redis data or state")
          for c in REDIS_DESTRUCTIVE]
CASES += [
    ("DEBUG SLEEP 0", "redis", DE, "DEBUG removes or overwrites Redis data or state"),
    ("SET k v", "redis", CH, "SET is not known to only read"),
    ("CONFIG REWRITE", "redis", CH, "CONFIG REWRITE is not known to only read"),
    ("CLIENT PAUSE 10", "redis", CH, "CLIENT PAUSE is not known to only read"),
    ("SCRIPT LOAD x", "redis", CH, "SCRIPT LOAD is not known to only read"),
    ("127.0.0.1:6379> GET k", "redis", RO, "GET only reads"),
    ("cache-1.internal:6379[2]> FLUSHDB", "redis", DE,
     "FLUSHDB removes or overwrites Redis data or state"),
    ("redis> DEL k", "redis", DE, "DEL removes or overwrites Redis data or state"),
    ("# FLUSHALL\nGET k", "redis", RO, "GET only reads"),
    ("\n", "redis", RO, "no Redis command"),
    ("GET k\nSET k v\nDEL k", "redis", DE, "DEL removes or overwrites Redis data or state"),
    ("redis-cli -n 2 KEYS '*'", "redis", RO, "redis-cli KEYS only reads"),
    ('GET "k', "redis", CH, "unbalanced quotes"),
    ('FLUSHALL "k', "redis", DE, "unbalanced quotes, and it mentions FLUSHALL"),
]
for ev in ["eval", "evalsha", "eval_ro", "fcall", "evalsha_ro", "fcall_ro"]:
    CASES += [
        (f"{ev} \"return redis.call('get', KEYS[1])\" 1 k", "redis", CH,
         f"{ev.upper()} runs a script"),
        (f"{ev} \"redis.call('flushdb')\" 0", "redis", DE,
         f"{ev.upper()} runs a script that calls flushdb"),
    ]
CASES += [(f"EVAL \"redis.call('{w}', KEYS[1])\" 1 k", "redis", DE,
           f"EVAL runs a script that calls {w}")
          for w in ["del", "unlink", "flushall", "expire", "ltrim", "xtrim"]]

# ---------------------------------------------------------------------------------------
# Readers, shell state, always destructive

READERS = [
    "cat", "ls", "ll", "grep", "egrep", "fgrep", "zgrep", "rg", "ag", "zcat", "bzcat",
    "xzcat", "head", "tail", "df", "du", "free", "ps", "pgrep", "uptime", "ss", "netstat",
    "dig", "nslookup", "host", "ping", "ping6", "echo", "printf", "wc", "uniq", "jq", "yq",
    "id", "whoami", "groups", "stat", "file", "true", "false", ":", "test", "[", "pwd",
    "which", "type", "basename", "dirname", "realpath", "readlink", "tr", "cut", "column",
    "nproc", "lsof", "vmstat", "iostat", "mpstat", "pidstat", "sar", "lscpu", "lsblk",
    "lsmem", "lspci", "lsusb", "uname", "w", "who", "last", "printenv", "sleep", "tac",
    "rev", "nl", "od", "xxd", "hexdump", "md5sum", "sha1sum", "sha256sum", "sha512sum",
    "cksum", "base64", "getent", "less", "more", "most", "diff", "cmp", "comm", "zless",
    "zmore", "strings", "lsmod", "findmnt", "blkid", "timedatectl", "hostnamectl",
    "traceroute", "tracepath", "mtr", "arp", "route", "top", "htop", "atop", "btop",
    "iotop", "iftop", "nload", "pg_isready", "seq", "expr", "cd", "pushd", "popd", "wait",
    "exit", "return", "read", "shift", "break", "continue", "set", "shopt", "alias", "hash",
    "let", "history", "jobs", "trap", "getopts", "ulimit", "pstree", "pidof", "fuser", "man",
    "help", "tput", "env", "whereis", "locale", "loginctl", "users", "ncdu", "fold", "fmt",
    "paste", "join", "numfmt", "tsort", "look", "apropos", "sensors", "iptables-save",
    "ip6tables-save", "nvidia-smi", "lsns", "systemd-analyze", "systemd-cgls",
    "systemd-cgtop", "chronyc", "ntpq", "ntpstat", "getconf", "xmllint", "csvlook", "bc",
    "cal", "factor", "yes", "tty", "mountpoint", "namei", "ldd", "lsattr", "getfacl", "ipcs",
    "showmount", "dmidecode", "lshw", "inxi", "glances", "dstat", "nstat", "ethtool", "iw",
    "resolvectl", "whois",
    "export", "local", "declare", "typeset", "readonly", "unset", "umask",
]
# `sudo X` so that `[` and keywords are command words; `env` alone prints the environment
CASES += [sh(f"sudo {r}" if r != "env" else "env", RO, f"{r} only reads") for r in READERS]
CASES += [sh("/usr/bin/cat /etc/hosts", RO, "cat only reads"),
          sh("export A=1", RO, "nothing to run")]  # a declaration, not a command

ALWAYS_DESTRUCTIVE = {
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
    "lvremove": "lvremove deletes logical volumes",
    "vgremove": "vgremove deletes volume groups",
    "pvremove": "pvremove wipes physical volumes",
    "mkfs": "mkfs formats a filesystem", "mkfs.xfs": "mkfs.xfs formats a filesystem",
}
CASES += [sh(f"{name} x", DE, reason) for name, reason in ALWAYS_DESTRUCTIVE.items()]

# ---------------------------------------------------------------------------------------
# Tools with verbs

VERB_TOOLS = [
    "celery", "patronictl", "pg_ctl", "pg_ctlcluster", "flask", "django-admin",
    "rabbitmqctl", "nomad", "pm2", "apt", "apt-get", "yum", "dnf", "pip", "pip3", "virsh",
    "rc-service", "crictl", "consul", "etcdctl", "gh", "heroku", "fly", "aws", "gcloud", "az",
    "manage.py", "sv", "initctl", "svcadm", "lxc", "incus", "vault", "kafka-topics",
    "kafka-topics.sh", "sidekiqctl", "rake", "bundle", "gitlab-rake", "gitlab-rails",
    "rails", "consul-template", "openstack", "doctl", "eksctl", "argocd", "flux",
    "kustomize", "ansible", "salt", "npm", "yarn", "snap", "zfs", "zpool", "lvm",
    "mdadm", "docker-machine", "minikube", "kind", "k3s", "microk8s", "s6-svc", "runsv",
    "monit", "tool.py",
]
CASES += [sh(f"{t} x Restart y", DE, f"{t} restart restarts") for t in VERB_TOOLS]
CASES += [sh(f"{t} x y", CH, f"{t} is not known to only read") for t in VERB_TOOLS]
VERB_PHRASES = {
    "restart": "restarts", "stop": "stops", "kill": "kills", "rm": "removes",
    "rmi": "removes images", "prune": "prunes", "purge": "purges", "failover": "fails over",
    "switchover": "switches over", "downgrade": "downgrades", "delete": "deletes resources",
    "drain": "drains", "cordon": "stops scheduling", "down": "takes down",
    "disable": "disables", "mask": "masks", "destroy": "destroys", "uninstall": "uninstalls",
    "remove": "removes", "rollback": "rolls back", "flush": "flushes", "reset": "resets",
    "scale": "scales (maybe down)", "undo": "rolls back", "drop": "drops", "clear": "clears",
}
OTHER_VERBS = ["shutdown", "terminate", "promote", "reinit", "del", "evict", "wipe", "erase",
               "truncate", "reboot", "halt", "poweroff", "deregister", "revoke", "rb", "un",
               "db:drop", "db:reset", "db:rollback", "lvremove", "destroy-all"]
CASES += [sh(f"nomad job {v} web", DE, f"nomad {v} {p}") for v, p in VERB_PHRASES.items()]
CASES += [sh(f"nomad job {v} web", DE, f"nomad {v} destroys or stops something")
          for v in OTHER_VERBS]
CASES += [
    sh("./manage.py flush", DE, "manage.py flush flushes"),
    sh("python3 manage.py flush", CH, "python3 runs the script manage.py"),
    sh("patronictl list", RO, "patronictl only reads"),
    sh("pg_ctl status", RO, "pg_ctl only reads"),
    sh("pg_ctlcluster 16 main stop", DE, "pg_ctlcluster stop stops"),
    sh("gitlab-rails runner x", CH, "gitlab-rails is not known to only read"),
]
CASES += [sh(f"patronictl -c f {s}", RO, "patronictl only reads")
          for s in ["status", "list", "topology", "history", "show-config", "version", "dsn"]]
CASES += [sh(f"{t} {s}", CH, f"{t} {s} opens a console")
          for t in ["gitlab-rails", "rails"] for s in ["console", "c", "dbconsole", "db"]]
CASES += [sh(f"{t} --eval 'db.x.find()'", CH, f"{t} runs database commands")
          for t in ["mongosh", "mongo"]]

# ---------------------------------------------------------------------------------------
# kubectl / oc

KUBECTL_VALUE = ["-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user",
                 "-s", "--server", "--as", "--as-group", "--token", "--request-timeout",
                 "-v", "--v", "--cache-dir", "--certificate-authority", "--client-key",
                 "--client-certificate", "--tls-server-name", "--profile", "--log-file"]
CASES += [sh(f"kubectl {o} x get pods", RO, "kubectl get only reads") for o in KUBECTL_VALUE]
KUBECTL_READ = ["get", "describe", "logs", "log", "top", "explain", "api-resources",
                "api-versions", "version", "cluster-info", "events", "wait", "diff"]
CASES += [sh(f"kubectl {s} x", RO, f"kubectl {s} only reads") for s in KUBECTL_READ]
CASES += [sh(f"oc {s} x", RO, f"oc {s} only reads") for s in ["get", "logs"]]
CASES += [sh(f"kubectl auth {s}", RO, f"kubectl auth {s} only reads")
          for s in ["can-i", "whoami"]]
CASES += [sh(f"kubectl config {s}", RO, f"kubectl config {s} only reads")
          for s in ["view", "get-contexts", "current-context", "get-clusters", "get-users"]]
CASES += [
    sh("kubectl auth reconcile -f x", CH, "kubectl auth changes the cluster or is not known"),
    sh("kubectl config use-context x", CH,
       "kubectl config changes the cluster or is not known"),
    sh("kubectl rollout status deploy/x", RO, "kubectl rollout status only reads"),
    sh("kubectl rollout history deploy/x", RO, "kubectl rollout history only reads"),
    sh("kubectl rollout undo deploy/x", DE, "kubectl rollout undo rolls back"),
    sh("kubectl rollout restart deploy/x", DE, "kubectl rollout restart restarts pods"),
    sh("kubectl rollout pause deploy/x", CH, "kubectl rollout pause changes a rollout"),
    sh("kubectl delete pod x", DE, "kubectl delete deletes resources"),
    sh("kubectl drain node-1", DE, "kubectl drain drains"),
    sh("kubectl cordon node-1", DE, "kubectl cordon stops scheduling"),
    sh("kubectl scale deploy/x --replicas=0", DE, "kubectl scale scales (maybe down)"),
    sh("oc delete pod x", DE, "oc delete deletes resources"),
    sh("kubectl replace --force -f x.yaml", DE, "kubectl replace --force deletes and recreates"),
    sh("kubectl replace -f x.yaml", CH, "kubectl replace changes the cluster or is not known"),
    sh("kubectl apply -f d/ --prune -l a=b", DE,
       "kubectl apply --prune deletes what is not listed"),
    sh("kubectl apply -f d/ --prune-allowlist=x", DE,
       "kubectl apply --prune deletes what is not listed"),
    sh("kubectl apply -f d/", CH, "kubectl apply changes the cluster or is not known"),
    sh("kubectl exec web-1 -- rm -rf /data", DE, "kubectl exec: rm deletes files"),
    sh("kubectl exec web-1 -- ls /data", RO, "ls only reads"),
    sh("kubectl exec web-1 ls", CH, "kubectl exec changes the cluster or is not known"),
    sh("kubectl debug node/n -it --image=x -- ls", CH, "kubectl debug starts a debug pod"),
    sh("kubectl debug node/n --image=x -- rm -f /host/x", DE, "kubectl debug: rm deletes files"),
    sh("kubectl debug node/n", CH, "kubectl debug changes the cluster or is not known"),
    sh("kubectl", CH, "kubectl (no subcommand) changes the cluster or is not known"),
]

# ---------------------------------------------------------------------------------------
# docker and friends

DOCKER_READ = ["ps", "logs", "inspect", "stats", "images", "version", "info", "top", "port",
               "events", "diff", "history", "search", "ls", "list", "df", "config"]
CASES += [sh(f"docker {s} x", RO, f"docker {s} only reads") for s in DOCKER_READ]
CASES += [sh(f"docker {s} x", DE, f"docker {s} {p}")
          for s, p in [("restart", "restarts"), ("stop", "stops"), ("kill", "kills"),
                       ("rm", "removes"), ("rmi", "removes images"), ("prune", "prunes"),
                       ("down", "takes down"), ("pause", "destroys or stops something"),
                       ("remove", "removes")]]
DOCKER_GROUPS = ["container", "image", "network", "volume", "system", "builder", "buildx",
                 "plugin", "secret", "service", "stack", "node", "context", "manifest",
                 "trust", "swarm"]
CASES += [sh(f"docker {g} ls", RO, f"docker {g} ls only reads") for g in DOCKER_GROUPS]
CASES += [sh(f"docker {o} x ps", RO, "docker ps only reads")
          for o in ["-H", "--host", "--context", "-c", "--config", "-l", "--log-level",
                    "--tlscacert", "--tlscert", "--tlskey"]]
COMPOSE_VALUE = ["-f", "--file", "-p", "--project-name", "--profile", "--env-file",
                 "--project-directory", "--ansi", "--parallel", "--progress"]
CASES += [sh(f"docker compose {o} x down", DE, "docker compose down takes down")
          for o in COMPOSE_VALUE]
CASES += [sh(f"docker-compose {o} x ps", RO, "docker-compose ps only reads")
          for o in COMPOSE_VALUE]
CASES += [sh(f"docker exec {o} x c rm /f", DE, "docker exec: rm deletes files")
          for o in ["-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file",
                    "--detach-keys"]]
CASES += [
    sh("podman-compose -f x.yml down", DE, "podman-compose down takes down"),
    sh("podman ps", RO, "podman ps only reads"),
    sh("nerdctl rm x", DE, "nerdctl rm removes"),
    sh("docker exec c", CH, "docker exec changes containers or is not known"),
    sh("docker exec -it c sh -c 'redis-cli FLUSHALL'", DE,
       "docker exec: sh -c: redis-cli FLUSHALL removes or overwrites Redis data or state"),
    sh("docker run x", CH, "docker run changes containers or is not known"),
    sh("docker", CH, "docker (no subcommand) changes containers or is not known"),
]

# ---------------------------------------------------------------------------------------
# systemctl, service, gitlab-ctl, supervisorctl, journalctl

SYSTEMCTL_READ = ["status", "is-active", "is-enabled", "is-failed", "is-system-running",
                  "list-units", "list-unit-files", "list-sockets", "list-timers",
                  "list-jobs", "list-dependencies", "list-machines", "list-automounts",
                  "list-paths", "show", "show-environment", "cat", "help", "get-default"]
CASES += [sh(f"systemctl {s} x", RO, f"systemctl {s} only reads") for s in SYSTEMCTL_READ]
SYSTEMCTL_DESTRUCTIVE = {
    "restart": "restarts", "stop": "stops", "kill": "kills", "disable": "disables",
    "mask": "masks", "try-restart": "stops or restarts", "reload-or-restart": "stops or restarts",
    "try-reload-or-restart": "stops or restarts", "condrestart": "stops or restarts",
    "force-reload": "stops or restarts", "isolate": "stops or restarts",
    "poweroff": "stops or restarts", "reboot": "stops or restarts", "halt": "stops or restarts",
    "kexec": "stops or restarts", "rescue": "stops or restarts",
    "emergency": "stops or restarts", "suspend": "stops or restarts",
    "hibernate": "stops or restarts", "hybrid-sleep": "stops or restarts",
    "soft-reboot": "stops or restarts", "clean": "stops or restarts",
    "freeze": "stops or restarts", "exit": "stops or restarts",
}
CASES += [sh(f"systemctl {s} x", DE, f"systemctl {s} {p} units")
          for s, p in SYSTEMCTL_DESTRUCTIVE.items()]
CASES += [sh(f"systemctl {o} x status y", RO, "systemctl status only reads")
          for o in ["-H", "--host", "-M", "--machine", "-t", "--type", "-p", "--property",
                    "-n", "--lines", "-o", "--output", "--state", "-s", "--signal",
                    "--kill-who", "--root", "--what", "--timestamp"]]
CASES += [
    sh("systemctl", RO, "systemctl list-units only reads"),
    sh("systemctl start x", CH, "systemctl start changes a unit"),
    sh("service --status-all", RO, "service --status-all only reads"),
    sh("service nginx status", RO, "service status only reads"),
    sh("service nginx start", CH, "service start changes a service"),
    sh("service", CH, "service (no action) changes a service"),
]
CASES += [sh(f"service x {v}", DE, f"service {v} {p} a service")
          for v, p in [("restart", "restarts"), ("stop", "stops"), ("kill", "kills"),
                       ("force-reload", "restarts"), ("condrestart", "restarts"),
                       ("try-restart", "restarts")]]
CASES += [sh(f"gitlab-ctl {s}", RO, f"gitlab-ctl {s} only reads")
          for s in ["status", "tail", "show-config", "service-list", "get-redis-master",
                    "diff-config"]]
CASES += [sh(f"gitlab-ctl {s}", DE, f"gitlab-ctl {s} {p} services")
          for s, p in [("restart", "restarts"), ("stop", "stops"), ("kill", "kills"),
                       ("term", "stops or wipes"), ("int", "stops or wipes"),
                       ("cleanse", "stops or wipes"), ("uninstall", "uninstalls"),
                       ("remove-accounts", "stops or wipes"),
                       ("reset-grafana", "stops or wipes"), ("graceful-kill", "stops or wipes"),
                       ("restart-except", "stops or wipes")]]
CASES += [sh("gitlab-ctl reconfigure", CH, "gitlab-ctl reconfigure changes services"),
          sh("gitlab-ctl", CH, "gitlab-ctl (no command) changes services")]
CASES += [sh(f"supervisorctl {o} x status", RO, "supervisorctl status only reads")
          for o in ["-c", "-s", "-u", "-p", "--serverurl", "--username", "--password",
                    "--configuration"]]
CASES += [sh(f"supervisorctl {s}", RO, f"supervisorctl {s} only reads")
          for s in ["status", "avail", "pid", "tail", "version", "help", "maintail"]]
CASES += [sh(f"supervisorctl {s} x", DE, f"supervisorctl {s} {p} programs")
          for s, p in [("stop", "stops"), ("restart", "restarts"), ("shutdown", "stops"),
                       ("remove", "removes"), ("clear", "clears"), ("signal", "stops")]]
CASES += [sh("supervisorctl start x", CH, "supervisorctl start changes programs"),
          sh("supervisorctl", CH, "supervisorctl (prompt) changes programs")]
CASES += [sh(f"journalctl {a}", DE, f"journalctl {a.split('=')[0]} deletes journal files")
          for a in ["--vacuum-size=1G", "--vacuum-time=2d", "--vacuum-files=3"]]
CASES += [sh(f"journalctl {a}", CH, f"journalctl {a} changes the journal")
          for a in ["--rotate", "--flush", "--sync", "--relinquish-var",
                    "--smart-relinquish-var", "--setup-keys", "--update-catalog"]]
CASES += [sh("journalctl -u x --since -1h", RO, "journalctl only reads")]

# ---------------------------------------------------------------------------------------
# git

GIT_READ = ["status", "log", "diff", "show", "rev-parse", "describe", "blame", "shortlog",
            "ls-files", "ls-remote", "ls-tree", "cat-file", "grep", "show-ref",
            "whatchanged", "version", "help", "count-objects", "var", "rev-list",
            "merge-base", "name-rev", "for-each-ref", "check-ignore", "cherry"]
CASES += [sh(f"git {s}", RO, f"git {s} only reads") for s in GIT_READ]
CASES += [sh(f"git {o} x status", RO, "git status only reads")
          for o in ["-C", "--git-dir", "--work-tree", "--namespace", "--exec-path"]]
GIT_PUSH_FORCE = "git push --force rewrites or deletes remote history"
CASES += [sh(f"git push {a} origin main", DE, GIT_PUSH_FORCE)
          for a in ["--force", "--force-with-lease", "--force-if-includes", "--delete",
                    "--mirror", "--prune", "--force-with-lease=main", "-f", "-d", "-uf"]]
CASES += [
    sh("git push origin +main", DE, GIT_PUSH_FORCE),
    sh("git push origin :old", DE, GIT_PUSH_FORCE),
    sh("git push -o ci.skip origin main", CH, "git push changes the remote"),
    sh("git push origin main", CH, "git push changes the remote"),
    sh("git -c core.pager=x log", CH,
       "git -c sets configuration that can run commands (core.pager, ...)"),
    sh("git --config-env=core.pager=P log", CH,
       "git -c sets configuration that can run commands (core.pager, ...)"),
    sh("git --exec-path=/x status", CH,
       "git -c sets configuration that can run commands (core.pager, ...)"),
    sh("git diff --output=x", CH, "git diff --output/--ext-diff writes a file or runs a program"),
    sh("git diff --ext-diff", CH, "git diff --output/--ext-diff writes a file or runs a program"),
    sh("git reset --soft HEAD~1", CH, "git reset changes the repository"),
    sh("git clean -n", CH, "git clean changes the repository"),
    sh("git clean --force", DE, "git clean -f deletes untracked files"),
    sh("git clean -fd", DE, "git clean -f deletes untracked files"),
    sh("git checkout main", CH, "git checkout changes the repository"),
    sh("git restore --staged f", CH, "git restore changes the repository"),
    sh("git restore -S f", CH, "git restore changes the repository"),
    sh("git restore f", DE, "git restore discards local edits"),
    sh("git branch", RO, "git branch only lists"),
    sh("git branch --merged main", RO, "git branch only lists"),
    sh("git branch --list 'x*'", RO, "git branch only lists"),
    sh("git branch -l 'x*'", RO, "git branch only lists"),
    sh("git branch new", CH, "git branch changes the repository"),
    sh("git stash", CH, "git stash changes the repository"),
    sh("git stash list", RO, "git stash list only reads"),
    sh("git stash show", RO, "git stash show only reads"),
    sh("git stash drop", DE, "git stash drop deletes stashed work"),
    sh("git stash clear", DE, "git stash clear deletes stashed work"),
    sh("git stash drop stash@{1}", DE, "git stash drop deletes stashed work"),
    sh("git stash show -p stash@{1}", RO, "git stash show only reads"),
    sh("git tag", RO, "git tag only lists"),
    sh("git tag -l 'v*'", RO, "git tag only lists"),
    sh("git tag --list 'v*'", RO, "git tag only lists"),
    sh("git tag v1", CH, "git tag changes the repository"),
    sh("git tag -d v1", DE, "git tag -d deletes a tag"),
    sh("git tag --delete v1", DE, "git tag -d deletes a tag"),
    sh("git remote", RO, "git remote only lists"),
    sh("git remote -v", RO, "git remote only lists"),
    sh("git remote show origin", RO, "git remote only lists"),
    sh("git remote get-url origin", RO, "git remote only lists"),
    sh("git remote add x y", CH, "git remote changes the repository"),
    sh("git config a.b c", CH, "git config changes the repository"),
    sh("git reflog", RO, "git reflog only reads"),
    sh("git reflog show", RO, "git reflog only reads"),
    sh("git reflog expire --all", CH, "git reflog changes the repository"),
    sh("git filter-branch x", DE, "git filter-branch rewrites history"),
    sh("git filter-repo x", DE, "git filter-repo rewrites history"),
    sh("git update-ref -d refs/x", DE, "git update-ref -d deletes a ref"),
    sh("git update-ref refs/x y", CH, "git update-ref changes the repository"),
    sh("git", CH, "git (no command) changes the repository"),
]
CASES += [sh(f"git reset {a}", DE, "git reset --hard discards work")
          for a in ["--hard", "--merge", "--keep"]]
CASES += [sh(f"git checkout {a} f", DE, "git checkout -- discards local edits")
          for a in ["-f", "--force", "--", "."]]
CASES += [sh(f"git branch {a} x", DE, "git branch -D deletes a branch")
          for a in ["-D", "-d", "--delete"]]
CASES += [sh(f"git config {a} x", RO, "git config --get only reads")
          for a in ["--get", "--list", "-l", "--get-all", "--get-regexp"]]

# ---------------------------------------------------------------------------------------
# curl and wget

CURL_TAKES = ["--header", "--user", "--url", "--proxy", "--max-time", "--connect-timeout",
              "--write-out", "--resolve", "--cacert", "--cert", "--key", "--retry",
              "--output-dir", "--user-agent", "--referer", "--cookie", "--hsts", "--alt-svc"]
# the value is taken, so `-o/tmp/x` is a header, a user, ... not an output file
CASES += [sh(f"curl {o} -o/tmp/x http://h", RO, "curl only fetches") for o in CURL_TAKES]
CASES += [sh(f"curl -{c} -o/tmp/x http://h", RO, "curl only fetches")
          for c in "hAeuUxbEmrwyYzCHQt"]
CASES += [sh(f"curl {o} f http://h", CH, "curl writes the file f")
          for o in ["--output", "--cookie-jar", "--dump-header", "--trace", "--trace-ascii",
                    "--etag-save", "--stderr", "-o", "-D", "-c"]]
CASES += [sh(f"curl {o} x http://h", CH, "curl -d sends data (a POST)")
          for o in ["--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii",
                    "--form", "--form-string", "--upload-file", "--json", "-d", "-F", "-T"]]
# with -G the data goes in the URL; the data option still takes its value
CASES += [sh(f"curl -G {o} -o/tmp/x http://h", RO, "curl only fetches")
          for o in ["--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii",
                    "--form", "--form-string"]]
CASES += [sh(f"curl {o} http://h", CH, "curl writes the file (the remote file name)")
          for o in ["--remote-name", "--remote-name-all", "--remote-header-name", "-O", "-sO"]]
CASES += [
    sh("curl -s http://h", RO, "curl only fetches"),
    sh("curl -sv http://h", RO, "curl only fetches"),
    sh("curl -v -ofile http://h", CH, "curl writes the file file"),  # -v takes no value
    sh("curl --request DELETE http://h", DE, "curl -X DELETE deletes a resource"),
    sh("curl --request=delete http://h", DE, "curl -X DELETE deletes a resource"),
    sh("curl -X DELETE http://h", DE, "curl -X DELETE deletes a resource"),
    sh("curl -X POST http://h", CH, "curl -X POST sends a POST request"),
    sh("curl -XPUT http://h", CH, "curl -X PUT sends a PUT request"),
    sh("curl -X GET http://h", RO, "curl only fetches"),
    sh("curl -I -X HEAD http://h", RO, "curl only fetches"),
    sh("curl --get --data q=1 http://h", RO, "curl only fetches"),
    sh("curl -G -d q=1 http://h", RO, "curl only fetches"),
    sh("curl --config f http://h", CH, "curl --config reads options from a file"),
    sh("curl -K f http://h", CH, "curl -K reads options from a file"),
    sh("curl -ofile http://h", CH, "curl writes the file file"),
    sh("curl -of -XDELETE http://h", DE, "curl -X DELETE deletes a resource"),
    sh("curl -o /dev/null -XDELETE http://h", DE, "curl -X DELETE deletes a resource"),
    sh("curl -o /dev/null http://h", RO, "curl only fetches"),
    sh("curl --output - http://h", RO, "curl only fetches"),
    sh("curl -o /dev/stdout http://h", RO, "curl only fetches"),
    sh("curl -D /dev/stderr http://h", RO, "curl only fetches"),
    sh("wget --method=DELETE http://h", DE, "wget --method=DELETE deletes a resource"),
    sh("wget --method delete http://h", DE, "wget --method=DELETE deletes a resource"),
    sh("wget --method=PUT http://h", CH, "wget sends data"),
    sh("wget --post-data a=1 http://h", CH, "wget sends data"),
    sh("wget --post-file f http://h", CH, "wget sends data"),
    sh("wget --body-data a http://h", CH, "wget sends data"),
    sh("wget --spider http://h", RO, "wget prints what it fetches"),
    sh("wget -O - http://h", RO, "wget prints what it fetches"),
    sh("wget -qO- http://h", RO, "wget prints what it fetches"),
    sh("wget --output-document=- http://h", RO, "wget prints what it fetches"),
    sh("wget -O /dev/null http://h", RO, "wget prints what it fetches"),
    sh("wget -O out http://h", CH, "wget saves a file"),
    sh("wget http://h", CH, "wget saves a file"),
]

# ---------------------------------------------------------------------------------------
# redis-cli, psql, mysql, sqlite3

CASES += [sh(f"redis-cli {m} x", CH, f"redis-cli {m} writes data or files")
          for m in ["--pipe", "--rdb", "--functions-rdb", "--eval", "--cluster", "--replica"]]
CASES += [sh(f"redis-cli {m}", RO, f"redis-cli {m} only reads")
          for m in ["--stat", "--bigkeys", "--memkeys", "--hotkeys", "--scan", "--latency",
                    "--latency-history", "--latency-dist", "--intrinsic-latency", "--keystats"]]
REDIS_CLI_VALUE = ["-h", "-p", "-a", "-u", "-n", "-s", "--user", "--pass", "--cacert",
                   "--cacertdir", "--cert", "--key", "--sni", "-t", "-r", "-i", "-d", "-D",
                   "--pattern", "--count", "--quoted-pattern", "--tls-ciphers",
                   "--tls-ciphersuites", "--memkeys-samples"]
CASES += [sh(f"redis-cli {o} x GET k", RO, "redis-cli GET only reads") for o in REDIS_CLI_VALUE]
CASES += [
    sh("redis-cli --no-auth-warning GET k", RO, "redis-cli GET only reads"),
    sh("redis-cli flushall", DE, "redis-cli FLUSHALL removes or overwrites Redis data or state"),
    sh("redis-cli SET k v", CH, "redis-cli SET is not known to only read"),
    sh("redis-cli <<EOF\nGET k\nDEL k\nEOF", DE,
       "DEL removes or overwrites Redis data or state"),
    sh("redis-cli <<< PING", RO, "PING only reads"),
    sh("cat cmds | redis-cli", CH, "redis-cli runs commands from its input"),
    sh("cat flushall.txt | redis-cli", DE,
       "redis-cli runs commands from its input, and it mentions flushall"),
    sh("redis-cli", CH, "redis-cli opens a prompt"),
    sh('redis-cli "$CMD"', CH, "redis-cli the Redis command comes from an expansion"),
    sh('C=FLUSHALL; redis-cli "$C"', DE,
       "redis-cli the Redis command comes from an expansion, and it mentions FLUSHALL"),
]
CASES += [
    sh("psql -c 'SELECT 1'", RO, "psql: SELECT only reads"),
    sh("psql --command 'DROP TABLE t'", DE, "psql: DROP drops objects"),
    sh("psql --command='TRUNCATE t'", DE, "psql: TRUNCATE empties tables"),
    sh("psql -Atc 'SELECT 1'", RO, "psql: SELECT only reads"),
    sh("psql -c'SELECT 1'", RO, "psql: SELECT only reads"),
    sh("psql -c 'UPDATE jobs SET state = 0'", DE,
       "psql: UPDATE without WHERE rewrites every row"),
    sh("psql -f x.sql", CH, "psql -f runs SQL from a file"),
    sh("psql --file x.sql", CH, "psql -f runs SQL from a file"),
    sh("psql -f - <<< 'SELECT 1'", RO, "psql: SELECT only reads"),
    sh("psql -o out -c 'SELECT 1'", CH, "psql -o writes a file"),
    sh("psql --output out -c 'SELECT 1'", CH, "psql -o writes a file"),
    sh("psql -o /dev/null -c 'SELECT 1'", RO, "psql: SELECT only reads"),
    sh("psql -l", RO, "psql -l only lists"),
    sh("psql --list", RO, "psql -l only lists"),
    sh("psql --version", RO, "psql -l only lists"),
    sh("psql --help", RO, "psql -l only lists"),
    sh("psql -V", RO, "psql -l only lists"),
    sh("psql <<SQL\nSELECT 1;\nSQL", RO, "psql: SELECT only reads"),
    sh("psql <<< 'DELETE FROM t'", DE, "psql: DELETE deletes rows"),
    sh("cat x.sql | psql", CH, "psql runs SQL from its input"),
    sh("cat drop.sql | psql", DE, "psql runs SQL from its input, and it mentions drop"),
    sh("psql", CH, "psql opens a prompt"),
    sh("mysql -e 'DROP TABLE t'", DE, "mysql: DROP drops objects"),
    sh("mysql --execute 'SELECT 1'", RO, "mysql: SELECT only reads"),
    sh("mariadb -e 'SELECT 1'", RO, "mariadb: SELECT only reads"),
    sh("sqlite3 db.sqlite 'SELECT 1'", RO, "sqlite3: SELECT only reads"),
    sh("sqlite3 db.sqlite 'DELETE FROM t'", DE, "sqlite3: DELETE deletes rows"),
    sh("sqlite3 db.sqlite", CH, "sqlite3 opens a prompt"),
]
# a value-taking option swallows the next word: `-h -l` connects to host "-l"
CASES += [sh(f"psql -{c} -l", CH, "psql opens a prompt") for c in "dhpUvPFRTL"]
CASES += [sh(f"mysql -{c} -V", CH, "mysql opens a prompt") for c in "uhPDS"]
CASES += [sh(f"psql {o} -l", CH, "psql opens a prompt")
          for o in ["--host", "--port", "--username", "--user", "--dbname", "--database",
                    "--set", "--variable", "--pset", "--field-separator", "--record-separator",
                    "--table-attr", "--log-file", "--socket"]]
CASES += [sh(f"sqlite3 {o} x db 'SELECT 1'", RO, "sqlite3: SELECT only reads")
          for o in ["-cmd", "-separator", "-newline", "-nullvalue"]]

# ---------------------------------------------------------------------------------------
# awk, sed, tee, find, xargs

CASES += [sh(f"{a} '{{print $1}}' f", RO, f"{a} only reads")
          for a in ["awk", "gawk", "mawk", "nawk"]]
CASES += [sh(f"awk {o} 'system(1)' '{{print}}' f", RO, "awk only reads")
          for o in ["-F", "-v", "-i", "--include", "-l", "--load", "--assign",
                    "--field-separator", "-o", "-W"]]
CASES += [
    sh("gawk -i inplace '{print}' f", DE, "gawk -i inplace edits files in place"),
    sh("awk --include inplace '{print}' f", DE, "awk -i inplace edits files in place"),
    sh("awk -f prog.awk f", CH, "awk -f runs a program from a file"),
    sh("awk --file prog.awk f", CH, "awk -f runs a program from a file"),
    sh("awk -E prog.awk f", CH, "awk -f runs a program from a file"),
    sh("awk --exec prog.awk f", CH, "awk -f runs a program from a file"),
    sh("awk '{system(\"rm \" $1)}' f", CH, "awk system() runs commands"),
    sh("awk '{print > \"out\"}' f", CH, "awk writes to a file or a command"),
    sh("awk '{printf \"%s\", $1 | \"sh\"}' f", CH, "awk writes to a file or a command"),
    sh("awk '{\"date\" | getline d}' f", CH, "awk writes to a file or a command"),
    sh("awk '$3 > 100 {print $1}' f", RO, "awk only reads"),
    sh("awk '/kill/ {print}' f", RO, "awk only reads"),
]
SED_W = "sed writes a file or runs a command"
CASES += [sh(f"sed {a} s/a/b/ f", DE, "sed -i edits files in place")
          for a in ["-i", "-i.bak", "-ni", "-Ei", "-si", "--in-place", "--in-place=.bak"]]
CASES += [
    sh("sed -n '/error/p' f", RO, "sed only prints"),
    sh("sed 's/w/x/' f", RO, "sed only prints"),
    sh("sed 's/a/b/g; s/e/E/' f", RO, "sed only prints"),
    sh("sed -e 's/we/x/' -e 's/ e//' f", RO, "sed only prints"),
    sh("sed -n -l 5 l f", RO, "sed only prints"),
    sh("sed '/x/w out' f", CH, SED_W),
    sh("sed 's/a/b/w out' f", CH, SED_W),
    sh("sed 's|a|b|gw out' f", CH, SED_W),
    sh("sed 's/a/date/e' f", CH, SED_W),
    sh("sed 'w out' f", CH, SED_W),
    sh("sed '1w out' f", CH, SED_W),
    sh("sed '$W out' f", CH, SED_W),
    sh("sed '1,5w out' f", CH, SED_W),
    sh("sed '/a/,/b/W out' f", CH, SED_W),
    sh("sed '0~3w out' f", CH, SED_W),
    sh("sed '/x/!w out' f", CH, SED_W),
    sh("sed '1e rm -rf /' f", CH, SED_W),
    sh("sed 'p;e date' f", CH, SED_W),
    sh("sed '/a/{w out\n}' f", CH, SED_W),
    sh("sed -e 'w out' f", CH, SED_W),
    sh("sed -n -e p -e '1w out' f", CH, SED_W),
    sh("sed -ne '1w out' f", CH, SED_W),
    sh("sed --expression='1w out' f", CH, SED_W),
    sh("sed --expression '$e' f", CH, SED_W),
    sh("sed -e p f", RO, "sed only prints"),
    sh("sed -ep -e '1w out' f", CH, SED_W),
    sh("sed -f script.sed f", CH, "sed -f runs a script from a file"),
    sh("sed --file=script.sed f", CH, "sed -f runs a script from a file"),
    sh("sed -nf script.sed f", CH, "sed -f runs a script from a file"),
]
CASES += [
    sh("echo x | tee f", DE, "tee overwrites f"),
    sh("echo x | tee app.log", DE, "tee overwrites app.log"),
    sh("echo x | tee -a f", CH, "tee -a appends to f"),
    sh("echo x | tee --append f", CH, "tee -a appends to f"),
    sh("echo x | tee -ai f", CH, "tee -a appends to f"),
    sh("echo x | tee /dev/sdb", DE, "tee writes to the device /dev/sdb"),
    sh("echo x | tee -a /dev/sdb", DE, "tee writes to the device /dev/sdb"),
    sh("tee < f", RO, "tee only copies to stdout"),
    sh("tee - < f", RO, "tee only copies to stdout"),
]
HARMLESS_TARGETS = ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero",
                    "/dev/fd/3"]
CASES += [sh(f"tee {t} < f", RO, "tee only copies to stdout") for t in HARMLESS_TARGETS]
CASES += [sh(f"ls > {t}", RO, "ls only reads") for t in HARMLESS_TARGETS]
CASES += [
    sh("find . -name x", RO, "find only lists"),
    sh("find . -delete", DE, "find -delete deletes files"),
    sh("find . -exec cat {} ;", RO, "find only lists"),
    sh("find . -exec cat {} \\; -delete", DE, "find -delete deletes files"),
]
CASES += [sh(f"find . {a} rm {{}} +", DE, f"find {a}: rm deletes files")
          for a in ["-exec", "-execdir", "-ok", "-okdir"]]
CASES += [sh(f"find . {a} out", CH, f"find {a} writes a file")
          for a in ["-fprint", "-fprint0", "-fprintf", "-fls"]]
XARGS_VALUE = ["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--arg-file", "--delimiter",
               "--max-args", "--max-procs", "--max-chars", "--process-slot-var"]
CASES += [sh(f"ls | xargs {o} 1 rm", DE, "xargs: rm deletes files") for o in XARGS_VALUE]
# optional values are attached (`-i{}`, `-l5`, `-eEOF`), so the next word is the command
CASES += [sh(f"ls | xargs {o} rm {{}}", DE, "xargs: rm deletes files")
          for o in ["-i", "-l", "-e", "--replace", "--eof", "--max-lines", "-0", "-r"]]
CASES += [sh("xargs < f", RO, "echo only reads"),
          sh("xargs grep x < f", RO, "grep only reads")]

# ---------------------------------------------------------------------------------------
# Interpreters and shells

CODE_CALLS = [
    ("shutil.rmtree('x')", "shutil.rmtree"), ("rmtree('x')", "rmtree"),
    ("os.remove('x')", "os.remove"), ("os.unlink('x')", "os.unlink"),
    ("os.rmdir('x')", "os.rmdir"), ("os.removedirs('x')", "os.removedirs"),
    ("p.unlink()", ".unlink"), ("os.kill(1, 9)", "os.kill"), ("p.kill()", ".kill"),
    ("p.terminate()", ".terminate"), ("unlink 'x'", "unlink"), ("rmdir 'x'", "rmdir"),
    ("f.truncate(0)", "truncate"), ("FileUtils.rm_rf('x')", "FileUtils.rm_rf"),
    ("File.delete('x')", "File.delete"), ("fs.rmSync('x')", "fs.rmSync"),
    ("fs.unlinkSync('x')", "fs.unlinkSync"), ("c.execute('DROP TABLE t')", "DROP TABLE"),
    ("r.execute_command('FLUSHALL')", "FLUSHALL"), ("r.execute_command('flushdb')", "flushdb"),
    ("q.delete()", ".delete"), ("df.drop()", ".drop"), ("r.flushall()", ".flushall"),
    ("r.flushdb()", ".flushdb"),
]
CASES += [sh(f'python3 -c "{code}"', DE, f"python3 code calls {hit}")
          for code, hit in CODE_CALLS]
CASES += [sh(f'python -c "{call}(\'rm -rf /x\')"', DE, "python code runs: rm deletes files")
          for call in ["os.system", "subprocess.run", "os.popen", "system", "exec"]]
CASES += [
    sh("python -c \"subprocess.run(['rm', '-rf', '/x'])\"", DE,
       "python code runs: rm deletes files"),
    sh("python -c \"os.system('ls')\"", CH, "python runs code"),
    sh("python -c 'print(1)'", CH, "python runs code"),
    sh('python -c "$CODE"', CH, "python -c runs code we cannot see"),
    sh("X='os.remove(1)'; python -c \"$X\"", DE,
       "python -c runs code we cannot see, and it mentions remove"),
    sh("python3 -m http.server", CH, "python3 -m http.server runs a module"),
    sh("python3 x.py", CH, "python3 runs the script x.py"),
    sh("python3 -u x.py", CH, "python3 runs the script x.py"),
    sh("python3 <<EOF\nimport os; os.remove('x')\nEOF", DE, "python3 code calls os.remove"),
    sh("cat x.py | python3", CH, "python3 runs code from its input"),
    sh("python3", CH, "python3 opens a prompt"),
    sh("python3.11 -c 'os.remove(1)'", DE, "python3.11 code calls os.remove"),
    sh("perl -lne 'print' f", CH, "perl runs code"),
    sh("perl -pi -e 'unlink 1' f", DE, "perl code calls unlink"),
    sh("perl -E 'say 1'", CH, "perl runs code"),
]
CASES += [sh(f"python3 {a} 'os.remove(1)'", DE, "python3 code calls os.remove")
          for a in ["-c", "-e", "-E", "--eval", "-r", "--exec", "-p", "--print"]]
CASES += [sh(f"python3 -m {m}", RO, f"python3 -m {m} only prints")
          for m in ["json.tool", "this", "platform", "site", "sysconfig"]]
CASES += [sh(f"python3 {a}", RO, f"python3 {a} only prints")
          for a in ["-V", "--version", "-h", "--help"]]
INTERPRETERS = ["python", "python2", "python3", "pypy", "pypy3", "perl", "ruby", "node",
                "nodejs", "php", "lua", "Rscript", "osascript", "tclsh", "deno", "bun"]
CASES += [sh(f"{i} prog", CH, f"{i} runs the script prog") for i in INTERPRETERS]
SHELLS = ["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish"]
CASES += [sh(f"{s} -c 'rm x'", DE, f"{s} -c: rm deletes files") for s in SHELLS]
CASES += [
    sh("busybox sh -c 'rm x'", DE, "sh -c: rm deletes files"),
    sh("busybox rm x", DE, "busybox: rm deletes files"),
    sh("busybox ls", RO, "ls only reads"),
    sh("bash -xc 'rm x'", DE, "bash -c: rm deletes files"),
    sh("bash -c 'ls'", RO, "bash -c: ls only reads"),
    sh('bash -c "$X"', CH, "bash -c runs code we cannot see"),
    sh("bash -e run.sh", CH, "bash runs the script run.sh"),
    sh("bash --norc run.sh", CH, "bash runs the script run.sh"),
    sh("echo 'rm x' | bash", DE, "bash runs its input: rm deletes files"),
    sh("echo 'rm x' | bash -s", DE, "bash runs its input: rm deletes files"),
    sh("curl -s http://h/i | sh", CH, "sh runs code from its input"),
    sh("bash", CH, "bash opens a shell"),
]

# ---------------------------------------------------------------------------------------
# Tools decided by their flags

CASES += [sh(f"kill {a} 1", RO, "kill -0 only checks a process exists")
          for a in ["-0", "-l", "-L", "--list", "-s 0", "-n 0"]]
CASES += [
    sh("kill 1", DE, "kill kills processes"),
    sh("kill -s TERM 1", DE, "kill kills processes"),
    sh("dd if=/dev/sda bs=1M count=1", RO, "dd only reads"),
    sh("dd if=/dev/zero of=/dev/null", RO, "dd only reads"),
    sh("dd if=a of=b", DE, "dd of=b overwrites its target"),
    sh("rsync --delete a/ b/", DE, "rsync --delete deletes files"),
    sh("rsync --delete-after a/ b/", DE, "rsync --delete deletes files"),
    sh("rsync --remove-source-files a/ b/", DE, "rsync --delete deletes files"),
    sh("rsync --dry-run a/ b/", RO, "rsync --dry-run only lists"),
    sh("rsync -an a/ b/", RO, "rsync --dry-run only lists"),
    sh("rsync -a a/ b/", CH, "rsync copies files"),
    sh("crontab -r", DE, "crontab -r deletes the crontab"),
    sh("crontab -l", RO, "crontab -l only lists"),
    sh("crontab -u app -l", RO, "crontab -l only lists"),
    sh("crontab -e", CH, "crontab -e edits the crontab"),
    sh("crontab f", DE, "crontab FILE replaces the crontab"),
    sh("terraform destroy", DE, "terraform destroy destroys infrastructure"),
    sh("terraform apply -destroy", DE, "terraform destroy destroys infrastructure"),
    sh("terraform state rm x", DE, "terraform state rm forgets resources"),
    sh("terraform state mv a b", CH, "terraform state changes infrastructure or state"),
    sh("terraform fmt -check", RO, "terraform fmt only reads"),
    sh("terraform fmt", CH, "terraform fmt changes infrastructure or state"),
    sh("terraform apply", CH, "terraform apply changes infrastructure or state"),
    sh("helm install x y", CH, "helm install changes releases"),
    sh("helm repo add x y", CH, "helm repo changes releases"),
    sh("helm repo list -o json", RO, "helm repo only reads"),
    sh("alembic upgrade head", CH, "alembic upgrade changes the schema"),
    sh("alembic downgrade -1", DE, "alembic downgrade rolls back the schema"),
    sh("ip addr", RO, "ip only shows"),
    sh("sysctl -a", RO, "sysctl only reads"),
    sh("sysctl vm.swappiness=1", CH, "sysctl sets kernel parameters"),
    sh("date", RO, "date only prints"),
    sh("date -s 12:00", CH, "date -s sets the clock"),
    sh("date --set=12:00", CH, "date -s sets the clock"),
    sh("hostname", RO, "hostname only prints"),
    sh("hostname -f", RO, "hostname only prints"),
    sh("hostname web-2", CH, "hostname NAME sets the host name"),
    sh("hostname -F f", CH, "hostname NAME sets the host name"),
    sh("hostname -b", CH, "hostname NAME sets the host name"),
    sh("dmesg -T", RO, "dmesg only reads"),
    sh("yq '.a' f.yaml", RO, "yq only reads"),
    sh("sort f", RO, "sort only prints"),
    sh("sort -o f f", CH, "sort -o writes a file"),
    sh("sort --output=f f", CH, "sort -o writes a file"),
    sh("uniq a b", CH, "uniq IN OUT writes a file"),
    sh("uniq -f 1 a", RO, "uniq only reads"),
    sh("uniq -w 3 a", RO, "uniq only reads"),
    sh("uniq -s 3 a", RO, "uniq only reads"),
    sh("tcpdump -i any", RO, "tcpdump only reads"),
    sh("tcpdump -w x.pcap", CH, "tcpdump -w writes a file"),
    sh("nginx -s stop", DE, "nginx -s stop stops nginx"),
    sh("nginx -s quit", DE, "nginx -s quit stops nginx"),
    sh("nginx -s reload", CH, "nginx -s reload signals nginx"),
    sh("nginx", CH, "nginx starts a server"),
    sh("openssl genrsa 2048 -out k", CH, "openssl -out writes a file"),
    sh("openssl req -new -keyout k", CH, "openssl -out writes a file"),
    sh("openssl genrsa 2048", CH, "openssl genrsa is not known to only read"),
    sh("openssl", CH, "openssl  is not known to only read"),
    sh("mount", RO, "mount only lists"),
    sh("mount -l", RO, "mount only lists"),
    sh("mount --show", RO, "mount only lists"),
    sh("mount /dev/sdb1 /mnt", CH, "mount attaches a filesystem"),
    sh("swapon --show", RO, "swapon --show only lists"),
    sh("swapon -s", RO, "swapon --show only lists"),
    sh("swapon /swapfile", CH, "swapon is not known to only read"),
]
CASES += [sh(f"helm {s} x", DE, f"helm {s} {p}")
          for s, p in [("rollback", "rolls back"), ("uninstall", "uninstalls"),
                       ("delete", "uninstalls"), ("del", "uninstalls"), ("un", "uninstalls")]]
CASES += [sh(f"helm {o} x {s}", RO, f"helm {s} only reads")
          for o in ["-n", "--namespace", "--kube-context", "--kubeconfig"]
          for s in ["list"]]
CASES += [sh(f"helm {s}", RO, f"helm {s} only reads")
          for s in ["list", "ls", "status", "history", "get", "show", "version", "search",
                    "template", "lint", "env"]]
CASES += [sh(f"helm {g} list", RO, f"helm {g} only reads")
          for g in ["repo", "dependency", "plugin"]]
CASES += [sh(f"terraform {s}", RO, f"terraform {s} only reads")
          for s in ["plan", "show", "output", "validate", "version", "providers", "graph"]]
CASES += [sh(f"terraform state {s}", RO, f"terraform state {s} only reads")
          for s in ["list", "show", "pull"]]
CASES += [sh(f"alembic {s}", RO, f"alembic {s} only reads")
          for s in ["current", "history", "heads", "branches", "show", "check"]]
CASES += [sh(f"alembic {o} x current", RO, "alembic current only reads")
          for o in ["-c", "--config", "-n", "--name", "-x"]]
FIREWALLS = ["iptables", "ip6tables", "nft", "ufw", "iptables-legacy", "iptables-nft"]
CASES += [sh(f"{f} -A INPUT -j DROP", CH, f"{f} changes firewall rules") for f in FIREWALLS]
CASES += [sh(f"{f} -L", RO, f"{f} only lists rules") for f in FIREWALLS]
CASES += [sh(f"{f} -F", DE, f"{f} flushes or deletes firewall rules") for f in FIREWALLS]
CASES += [sh(f"iptables {a} x", DE, "iptables flushes or deletes firewall rules")
          for a in ["-F", "--flush", "-X", "--delete-chain", "-D", "--delete", "flush",
                    "delete", "reset", "disable", "-Z", "--zero"]]
CASES += [sh(f"iptables {a}", RO, "iptables only lists rules")
          for a in ["-L", "--list", "-S", "--list-rules", "list", "status"]]
CASES += [sh(f"ip route {a} x", DE, "ip flush/del/down removes network state")
          for a in ["flush", "del", "delete", "down"]]
CASES += [sh(f"ip route {a} x", CH, "ip changes network state")
          for a in ["add", "set", "change", "replace", "append", "up", "prepend"]]
CASES += [sh(f"sysctl {a} f", CH, "sysctl sets kernel parameters")
          for a in ["-w", "--write", "-p", "--load", "--system"]]
CASES += [sh(f"dmesg {a}", DE, "dmesg -c clears the kernel log")
          for a in ["-c", "-C", "--clear", "--read-clear"]]
CASES += [sh(f"dmesg {a}", CH, "dmesg changes console logging")
          for a in ["-n 1", "-D", "-E", "--console-level=1", "--console-off"]]
CASES += [sh(f"yq {a} '.a = 1' f", DE, "yq -i edits files in place")
          for a in ["-i", "--inplace", "--inplace=true"]]
CASES += [sh(f"nginx {a}", RO, "nginx -t only checks the configuration")
          for a in ["-t", "-T", "-v", "-V", "-h", "-?"]]
CASES += [sh(f"openssl {s}", RO, f"openssl {s} only reads")
          for s in ["s_client", "x509", "verify", "version", "ciphers", "crl", "req",
                    "asn1parse", "sess_id", "dgst"]]

# ---------------------------------------------------------------------------------------
# Wrappers and the commands that run code

WRAPPER_VALUE = {
    "sudo": ["-u", "--user", "-g", "--group", "-h", "--host", "-p", "--prompt", "-C",
             "--close-from", "-D", "--chdir", "-r", "--role", "-t", "--type", "-U",
             "--other-user", "-T", "--command-timeout", "-R", "--chroot"],
    "doas": ["-u", "-C"], "env": ["-u", "--unset", "-C", "--chdir"],
    "timeout": ["-s", "--signal", "-k", "--kill-after"], "nice": ["-n", "--adjustment"],
    "ionice": ["-c", "--class", "-n", "--classdata", "-p", "-P", "-u"], "exec": ["-a"],
    "stdbuf": ["-i", "-o", "-e"], "flock": ["-w", "--timeout", "-E", "--conflict-exit-code"],
    "systemd-run": ["-p", "--property", "-u", "--unit", "-M", "--machine"],
    "runuser": ["-u", "-g", "-G"], "chroot": ["--userspec", "--groups"],
}
NEEDS_ARG = {"timeout": "5", "flock": "/tmp/lock", "chroot": "/srv/root", "chrt": "10",
             "taskset": "0x1"}
for w, opts in WRAPPER_VALUE.items():
    arg = f"{NEEDS_ARG[w]} " if w in NEEDS_ARG else ""
    CASES += [sh(f"{w} {o} v {arg}rm x", DE, "rm deletes files") for o in opts]
WRAPPERS = ["sudo", "doas", "env", "timeout", "nice", "ionice", "exec", "stdbuf", "chrt",
            "taskset", "flock", "nohup", "setsid", "time", "command", "builtin", "unbuffer",
            "caffeinate", "systemd-run", "runuser", "chroot"]
CASES += [sh(f"{w} {NEEDS_ARG.get(w, '')} rm x", DE, "rm deletes files") for w in WRAPPERS]
CASES += [sh(f"{w} {NEEDS_ARG.get(w, '')} ls", RO, "ls only reads") for w in WRAPPERS]
CASES += [
    sh("sudo A=1 B=2 rm x", DE, "rm deletes files"),
    sh("sudo -u a -g b rm x", DE, "rm deletes files"),
    sh("env -S 'sudo' rm x", DE, "env -S: rm deletes files"),
    sh("env -i PATH=/bin rm x", DE, "rm deletes files"),
    sh("env -S 'rm -f' x", DE, "env -S: rm deletes files"),
    sh("env --split-string='ls -l'", RO, "ls only reads"),
    sh("sudo -i", CH, "sudo -i opens a root shell"),
    sh("sudo -s", CH, "sudo -i opens a root shell"),
    sh("sudo --login", CH, "sudo -i opens a root shell"),
    sh("doas --shell", CH, "doas -i opens a root shell"),
    sh("sudo -l", RO, "sudo -l only lists"),
    sh("sudo -v", CH, "sudo alone"),
    sh("exec 2>&1", RO, "exec only redirects"),
    sh("nohup", RO, "nohup alone"),
    sh("timeout 5", RO, "timeout alone"),
    sh("command -v rm", RO, "command -v only looks up"),
    sh("command -V rm", RO, "command -v only looks up"),
    sh("flock /tmp/l -c 'rm x'", DE, "flock -c: rm deletes files"),
    sh("flock /tmp/l -c", CH, "flock -c runs code we cannot see"),
    sh("X='rm x'; flock /tmp/l -c \"$X\"", DE,
       "flock -c runs code we cannot see, and it mentions rm"),
    sh("env -S'rm -f' x", DE, "env -S: rm deletes files"),
    sh("env --split-string='rm -f' x", DE, "env -S: rm deletes files"),
    sh("eval 'ls'", RO, "eval: ls only reads"),
    sh("eval rm -f x", DE, "eval: rm deletes files"),
    sh('eval "$X"', CH, "eval runs code we cannot see"),
    sh("watch -n 5 'df -h'", RO, "watch: df only reads"),
    sh("watch --interval 5 'rm x'", DE, "watch: rm deletes files"),
    sh("watch -d 'rm -f /tmp/x'", DE, "watch: rm deletes files"),
    sh("watch -t rm -f /tmp/x", DE, "watch: rm deletes files"),
    sh('watch "$X"', CH, "watch runs code we cannot see"),
    sh("ssh host", CH, "ssh opens a remote shell"),
    sh("ssh host 'df -h'", RO, "ssh: df only reads"),
    sh('ssh host "$CMD"', CH, "ssh runs a remote command we cannot see"),
    sh("trap 'rm x' EXIT", DE, "trap: rm deletes files"),
    sh('trap "$X" EXIT', CH, "trap runs code we cannot see"),
    sh("trap -l", RO, "trap only reads"),
    sh("alias ll='ls -l'", CH, "alias defines a command"),
    sh("alias", RO, "alias only reads"),
    sh("shopt -s expand_aliases", CH, "shopt expand_aliases lets aliases run"),
    sh("source env.sh", CH, "source runs a script"),
    sh(". env.sh", CH, ". runs a script"),
    sh("$X", CH, "the command name comes from an expansion"),
    sh("", RO, "nothing to run"),
    sh("skill x", CH, "skill is not known to only read"),
]
CASES += [sh(f"ssh {o} v host 'rm x'", DE, "ssh: rm deletes files")
          for o in ["-i", "-p", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e",
                    "-m", "-O", "-Q", "-S", "-W", "-w", "-B", "-I"]]
CASES += [sh(f"{e} f", CH, f"{e} edits files")
          for e in ["vim", "vi", "nvim", "nano", "emacs", "pico", "joe", "mcedit", "ed",
                    "visudo", "vipw", "vigr", "sudoedit"]]

# ---------------------------------------------------------------------------------------
# Redirections and risky assignments

CASES += [
    sh("> f", DE, "> overwrites f"),
    sh("ls > f", DE, "> overwrites f"),
    sh("ls 2> err.log", DE, "> overwrites err.log"),
    sh("ls &> f", DE, "> overwrites f"),
    sh("ls >| f", DE, "> overwrites f"),
    sh("ls >> f", CH, ">> appends to f"),
    sh("ls > /dev/sda", DE, "> writes to the device /dev/sda"),
    sh("ls >> /dev/sda", DE, ">> writes to the device /dev/sda"),
    sh('ls > "$F"', DE, "> writes to a file named by a variable"),
    sh('ls >> "$F"', CH, ">> appends to a file named by a variable"),
    sh('ls >> "$F"; echo rm', DE,
       ">> appends to a file named by a variable, and it mentions rm"),
    sh("ls 2>&1 | grep x", RO, "ls only reads"),
]
RISKY = ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "BASH_ENV", "ENV", "PATH", "PAGER",
         "GIT_PAGER", "MANPAGER", "SYSTEMD_PAGER", "GIT_EXTERNAL_DIFF", "GIT_SSH_COMMAND",
         "EDITOR", "VISUAL", "PROMPT_COMMAND", "PS4", "SHELLOPTS", "BASHOPTS", "IFS",
         "PYTHONSTARTUP", "PERL5OPT", "NODE_OPTIONS", "PSQLRC", "LESSOPEN", "LESSCLOSE"]
CASES += [sh(f"{v}=x git log", CH, f"setting {v} changes what runs") for v in RISKY]
CASES += [
    sh("export PATH=/tmp:$PATH", CH, "setting PATH changes what runs"),
    sh("declare -x PAGER=x", CH, "setting PAGER changes what runs"),
    sh("ls; IFS=, read a", CH, "setting IFS changes what runs"),
    sh("MY_PATH=x ls", RO, "ls only reads"),
    sh("MYENV=x ls", RO, "ls only reads"),
]

# ---------------------------------------------------------------------------------------
# Disguised destructive commands and read-only look-alikes

CASES += [
    sh("sudo rm -rf /var/lib/x", DE, "rm deletes files"),
    sh("env FOO=1 rm x", DE, "rm deletes files"),
    sh("nice -n 19 rm x", DE, "rm deletes files"),
    sh("timeout 10s rm x", DE, "rm deletes files"),
    sh("find /tmp -name '*.x' | xargs -0 rm -f", DE, "xargs: rm deletes files"),
    sh("bash -c 'sudo rm -rf /x'", DE, "bash -c: rm deletes files"),
    sh("sh -c \"kubectl delete pod x\"", DE, "sh -c: kubectl delete deletes resources"),
    sh("r''m -rf /x", DE, "rm deletes files"),
    sh('r""m x', DE, "rm deletes files"),
    sh("r\\m x", DE, "rm deletes files"),
    sh("$'\\x72m' x", DE, "rm deletes files"),
    sh("'/bin/rm' x", DE, "rm deletes files"),
    sh("echo $(rm -rf /x)", DE, "rm deletes files"),
    sh("ls `rm x`", DE, "rm deletes files"),
    sh("x=$(kubectl delete pod y)", DE, "kubectl delete deletes resources"),
    sh("echo 'rm -rf /x' | sh", DE, "sh runs its input: rm deletes files"),
    sh("printf 'kill 1' | bash", DE, "bash runs its input: kill kills processes"),
    sh("bash <<< 'rm x'", DE, "bash runs its input: rm deletes files"),
    sh("cat /dev/null > app.log", DE, "> overwrites app.log"),
    sh(": > app.log", DE, "> overwrites app.log"),
    sh("find / -name core -delete", DE, "find -delete deletes files"),
    sh("sed -i '/x/d' /etc/hosts", DE, "sed -i edits files in place"),
    sh("psql -c \"UPDATE users SET admin = true\"", DE,
       "psql: UPDATE without WHERE rewrites every row"),
    sh("psql -c \"UPDATE users SET admin = true WHERE id = 1\"", CH, "psql: UPDATE changes rows"),
    sh("git reset --hard origin/main", DE, "git reset --hard discards work"),
    sh("kubectl -n prod delete deploy web", DE, "kubectl delete deletes resources"),
    sh("psql -c 'DROP DATABASE app'", DE, "psql: DROP drops objects"),
    sh("sudo -u postgres psql -c 'TRUNCATE jobs'", DE, "psql: TRUNCATE empties tables"),
    sh("redis-cli -h cache FLUSHALL", DE,
       "redis-cli FLUSHALL removes or overwrites Redis data or state"),
    sh("kubectl exec -it web -- sh -c 'rm -rf /data'", DE,
       "kubectl exec: sh -c: rm deletes files"),
    sh("ls && rm x", DE, "rm deletes files"),
    sh("ls || rm x", DE, "rm deletes files"),
    sh("(cd /x; rm y)", DE, "rm deletes files"),
    sh("for f in *; do rm \"$f\"; done", DE, "rm deletes files"),
    sh("f() { rm x; }; f", DE, "rm deletes files"),
    sh("cat <<EOF | psql\nTRUNCATE t;\nEOF", DE, "psql: TRUNCATE empties tables"),
    sh("r\\\nm -rf x", DE, "rm deletes files"),  # backslash-newline inside a word
    sh("rm \\\n-rf x", DE, "rm deletes files"),
    sh("echo rm -f x | sh", DE, "sh runs its input: rm deletes files"),
    sh("X='DROP TABLE t'; psql <<< \"$X\"", DE,
       "psql runs SQL from its input, and it mentions DROP"),
    sh("psql < drop.sql", DE, "psql runs SQL from its input, and it mentions drop"),
    sh("cat <<EOF | grep x | sh\nrm y\nEOF", DE,
       "sh runs code from its input, and it mentions rm"),
]
CASES += [
    sh("grep -r delete logs/", RO, "grep only reads"),
    sh("echo 'kubectl delete pod x'", RO, "echo only reads"),
    sh("kubectl get pods | grep Terminating", RO, "kubectl get only reads"),
    sh("ps aux | grep kill", RO, "ps only reads"),
    sh("git log --grep reset", RO, "git log only reads"),
    sh("psql -c \"SELECT * FROM t WHERE note = 'DROP TABLE'\"", RO, "psql: SELECT only reads"),
    sh("redis-cli GET flushall", RO, "redis-cli GET only reads"),
    sh("cat rm.txt", RO, "cat only reads"),
    sh("docker logs drop-service", RO, "docker logs only reads"),
    sh("journalctl -u stop.service", RO, "journalctl only reads"),
    sh("find . -name '*.delete'", RO, "find only lists"),
    sh("sed -n '/delete/p' f", RO, "sed only prints"),
    sh("systemctl status restart-me", RO, "systemctl status only reads"),
    sh("echo rm > /dev/null", RO, "echo only reads"),
    sh("kubectl auth can-i delete pods", RO, "kubectl auth can-i only reads"),
    sh("docker ps --filter name=kill", RO, "docker ps only reads"),
    sh("tail -n 50 /var/log/shutdown.log", RO, "tail only reads"),
    sh("echo \"$(date) drop\"", RO, "date only prints"),  # $( ) runs first
]


CHUNK = 100  # cases a test checks: pytest's per-test cost would dominate one per case


@pytest.mark.parametrize("start", range(0, len(CASES), CHUNK))
def test_each_rule_gives_its_effect_and_reason(start: int) -> None:
    wrong = [(code, lang, effect.value, reason, got.effect.value, got.reason)
             for code, lang, effect, reason in CASES[start:start + CHUNK]
             if (got := classify(code, lang)) != Classification(effect, reason)]
    assert wrong == []


def test_redis_commands_from_expansions_and_empty() -> None:
    assert classify_redis([]) == Classification(RO, "no Redis command")
    assert classify_redis([None, "k"]) == Classification(
        CH, "the Redis command comes from an expansion")
    assert classify_redis(["GET", None]) == Classification(RO, "GET only reads")


def test_worst_keeps_the_first_reason_reaching_the_worst_effect() -> None:
    a, b, c = Classification(RO, "a"), Classification(CH, "b"), Classification(CH, "c")
    assert worst([a, b, c]) == b
    assert worst([]) == Classification(RO, "nothing to run")
    assert worst([], "none") == Classification(RO, "none")
    assert [e.rank for e in (RO, CH, DE)] == [0, 1, 2]


def test_nesting_deeper_than_eight_falls_back_to_the_word_scan() -> None:
    code = "rm x"
    for _ in range(9):
        code = f"eval {_q(code)}"
    assert classify(code) == Classification(
        DE, "eval: " * 9 + "nested too deep to follow, and it mentions rm")
    shallow = "rm x"
    for _ in range(8):
        shallow = f"eval {_q(shallow)}"
    assert classify(shallow) == Classification(DE, "eval: " * 8 + "rm deletes files")


def _q(code: str) -> str:
    return "'" + code.replace("'", "'\\''") + "'"


# The gate lives in tui/ (it imports the step runner): imported in the gate tests, so a
# classifier mutant that a rule case kills never pays for loading it.
GATES = [(RO, False, "run"), (RO, True, "run"), (CH, False, "confirm"), (CH, True, "locked"),
         (DE, False, "confirm"), (DE, True, "locked")]


@pytest.mark.parametrize(("effect", "read_only", "gate"), GATES)
def test_the_gate_confirms_what_is_not_read_only_and_read_only_mode_refuses_it(
        effect: Effect, read_only: bool, gate: str) -> None:
    from tui.incident.steps import Gate, effect_gate

    assert effect_gate(effect, read_only=read_only) is Gate(gate)


@pytest.mark.parametrize(("code", "lang", "read_only", "gate"), [
    ("kubectl get pods", "bash", False, "run"),
    ("kubectl get pods", "bash", True, "run"),
    ("kubectl rollout restart deploy/x", "bash", False, "confirm"),
    ("kubectl rollout restart deploy/x", "bash", True, "locked"),
    ("kubectl apply -f x", "bash", False, "confirm"),
    ("kubectl apply -f x", "bash", True, "locked"),
    ("SELECT pg_terminate_backend(1)", "sql", False, "confirm"),
    ("SELECT pg_terminate_backend(1)", "sql", True, "locked"),
    ("SELECT 1", "sql", True, "run"),
    ("FLUSHALL", "redis", True, "locked"),
    ("INFO", "redis", True, "run"),
])
def test_drill_down_actions_pass_the_same_gate(code: str, lang: str, read_only: bool,
                                               gate: str) -> None:
    from tui.incident.steps import Gate, action_gate

    assert action_gate(code, lang, read_only=read_only) is Gate(gate)


def test_refusals_name_the_effect() -> None:
    from tui.incident.steps import refusal

    assert refusal(DE) == "destructive"
    assert refusal(CH) == "changes the system"


# ---------------------------------------------------------------------------------------
# Interactive (needs the terminal) and streaming (runs until stopped), one case per rule

INTERACTIVE: list[tuple[str, bool]] = [(f"{e} f", True) for e in [
    "vim", "vi", "nvim", "view", "nano", "emacs", "pico", "joe", "mcedit", "less", "more",
    "most", "man", "visudo", "vipw", "vigr"]]
INTERACTIVE += [(f"{e} x", True) for e in [
    "htop", "atop", "btop", "iotop", "iftop", "nload", "watch", "tmux", "screen", "mc",
    "ncdu", "k9s", "lazydocker", "pgcli", "mycli", "iredis", "glances", "nmtui", "ctop",
    "bmon", "nethogs", "tig"]]
INTERACTIVE += [(r, True) for r in [
    "python", "python2", "python3", "ipython", "node", "irb", "pry", "bash", "sh", "zsh",
    "fish", "dash", "ksh", "sqlite3", "lua", "R", "ghci", "erl", "iex", "php", "python3.11",
    "python -i", "node -i", "python3 -i x.py"]]
INTERACTIVE += [(f"bundle exec rails {c}", True) for c in ["console", "c", "dbconsole", "db"]]
# the option's value is not the database: only a second positional (a script) runs and returns
INTERACTIVE += [(f"mongo {o} v db", True) for o in [
    "--host", "--port", "-u", "-p", "--username", "--password", "--authenticationDatabase"]]
INTERACTIVE += [
    ("node x.js", False), ("bash -i x", False), ("echo 1 | python3", False),
    ("top", True), ("top -b -n 1", False), ("top --batch", False),
    ("crontab -e", True), ("crontab -l", False),
    ("systemctl edit x", True), ("systemctl status x", False),
    ("rails", False), ("gitlab-rails runner x", False),
    ("bundle exec rails runner x", False), ("bundle exec rails", False),
    ("bundle exec rake x", False),
    ("gitlab-psql", True), ("gitlab-redis-cli", True), ("gitlab-psql -c 'select 1'", False),
    ("gitlab-psql --command x", False), ("gitlab-psql -f x", False),
    ("echo 'select 1' | gitlab-psql", False),
    ("kubectl attach x", True), ("kubectl debug node/x", True),
    ("kubectl debug node/x -- df", False), ("oc rsh pod", True), ("oc rsh pod ls", False),
    ("kubectl exec -it x -- sh", True), ("kubectl exec -i x -- sh", False),
    ("kubectl exec --stdin --tty x -- sh", True), ("kubectl run -it x --image=y", True),
    ("kubectl get pods", False),
    ("docker attach x", True), ("docker -H h attach x", True),
    ("docker exec --interactive --tty x sh", True), ("docker exec -i x sh", False),
    ("docker run -it x", True), ("docker ps", False), ("crictl exec -it x sh", True),
    ("su", True), ("su - app", True), ("su -c 'ls' app", False), ("su --command ls", False),
    ("sudo -s", True), ("sudo --login", True), ("doas --shell", True), ("sudo -u x ls", False),
    ("ssh -t host top", True), ("ssh -tT host top", False), ("ssh host", True),
    ("ssh -p 22 host", True), ("ssh host uptime", False),
    ("mongosh", True), ("mongo --host h", True), ("mongosh --eval 'x'", False),
    ("mongosh db h2", False), ("echo x | mongosh", False),
    ("psql", True), ("mysql", True), ("mariadb", True), ("psql -c 'select 1'", False),
    ("psql -l", False), ("psql -f x.sql", False),
    ("redis-cli", True), ("redis-cli -h h", True), ("redis-cli -h h GET k", False),
    ("redis-cli --tls", True), ("redis-cli --no-auth-warning -h h", True),
    ("redis-cli --stat", False), ("redis-cli --rdb x", False), ("redis-cli --pipe", False),
    ("redis-cli --intrinsic-latency 5", False),
    ("sudo vim f", True), ("env A=1 vim f", True), ("timeout 5 vim f", True),
    ("sudo A=1 vim f", True), ("bash -c 'vim f'", True), ("nohup", False), ("$X", False),
    ("xargs vim", False), ("ls", False),
]


def test_interactive_rules() -> None:
    wrong = [(code, want) for code, want in INTERACTIVE if is_interactive(code) is not want]
    assert wrong == []
    assert is_interactive("psql", "sql") is False
    assert is_interactive("vim", "redis") is False


STREAMING: list[tuple[str, bool]] = [
    ("tail -f x", True), ("tail -F x", True), ("tail --follow=name x", True),
    ("tail -n 5 x", False), ("journalctl -f", True), ("journalctl --follow", True),
    ("journalctl -u x", False), ("kubectl logs -f x", True), ("kubectl logs --follow x", True),
    ("oc logs x", False), ("kubectl -n ns logs -f x", True), ("kubectl get pods -w", True),
    ("kubectl get pods --watch", True), ("kubectl log -f x", True), ("kubectl get pods", False),
    ("kubectl rollout status deploy/x", True),
    ("kubectl rollout status deploy/x --watch=false", False),
    ("kubectl rollout history deploy/x", False), ("kubectl port-forward x 8080", True),
    ("kubectl proxy", True), ("kubectl attach x", True), ("kubectl describe x", False),
    ("docker logs -f x", True), ("docker logs --follow x", True), ("docker logs x", False),
    ("docker -H h logs --follow x", True), ("docker-compose -p proj logs --follow", True),
    ("docker compose --file x.yml logs --follow", True), ("docker compose -f x.yml logs", False),
    ("docker container logs -f x", True),
    ("podman logs -f x", True), ("nerdctl stats", True),
    ("docker stats", True), ("docker stats --no-stream", False), ("docker events", True),
    ("docker events --until 0s", False), ("docker events --until=0s", False),
    ("docker ps", False), ("gitlab-ctl tail", True), ("gitlab-ctl status", False),
    ("redis-cli GET k", False), ("ping h", True), ("ping6 h", True), ("ping -c 3 h", False),
    ("ping --count 3 h", False), ("tcpdump -i any", True), ("tcpdump -c 10", False),
    ("vmstat", False), ("vmstat 1 5", False), ("pidstat -p 123 1", True),
    ("iostat -t 1", True), ("sar -o f 1", True), ("watch ls", True), ("dmesg -w", True),
    ("dmesg --follow", True), ("dmesg", False), ("ls", False), ("sudo tail -f x", True),
]
STREAMING += [(f"redis-cli {c}", True) for c in [
    "monitor", "SUBSCRIBE c", "psubscribe c", "--stat", "--latency", "--latency-history",
    "--latency-dist"]]
STREAMING += [(f"{t} 1", True) for t in ["vmstat", "iostat", "mpstat", "pidstat", "sar",
                                         "dstat"]]


def test_streaming_rules() -> None:
    wrong = [(code, want) for code, want in STREAMING if is_streaming(code) is not want]
    assert wrong == []
    assert is_streaming("MONITOR", "redis") is True
    assert is_streaming("psubscribe x", "redis-cli") is True
    assert is_streaming("GET k", "redis") is False
    assert is_streaming("SELECT 1", "sql") is False
