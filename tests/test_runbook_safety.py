"""Destructive and interactive commands are recognised by their words, not substrings."""

from __future__ import annotations

import pytest

from common.masking import mask_secrets
from runbooks.placeholders import fill_placeholders, find_placeholders
from runbooks.safety import Effect, classify, is_destructive, is_interactive


@pytest.mark.parametrize("code", [
    "rm -rf /var/lib/app/cache", "redis-cli -u \"$REDIS_URL\" FLUSHALL", "redis-cli FLUSHDB",
    "psql \"$DATABASE_URL\" -c 'DROP TABLE jobs'", "psql -c 'TRUNCATE jobs'",
    "psql -c 'DELETE FROM jobs'", "kill -9 1234", "pkill -f worker", "killall gunicorn",
    "docker restart api", "sudo systemctl stop nginx", "systemctl restart postgresql",
    "docker system prune -af", "docker rm -f api", "celery -A app purge -f",
    "patronictl failover", "alembic downgrade -1", "reboot", "shutdown -h now",
    "mkfs.ext4 /dev/sdb1", "dd if=/dev/zero of=/dev/sdb bs=1M", "iptables -F",
    "echo 0 > /dev/sda", "psql -c \"SELECT pg_terminate_backend(42)\"",
    "find /var/log -name '*.gz' -delete", "kubectl delete pod web-1",
    "cat <<'SQL' | psql\nDELETE FROM sessions;\nSQL", "echo 'unbalanced; rm -rf /",
    # was listed as safe: a DELETE deletes rows, WHERE or not, as a `sql` step's DELETE does
    "psql -c 'DELETE FROM jobs WHERE id = 1'",
])
def test_destructive_shell_commands_are_flagged(code: str) -> None:
    assert is_destructive(code)


@pytest.mark.parametrize("code", [
    "echo \"this restarts the worker\"", "grep -i kill app.log", "skill", "df -h",
    "docker ps -a --filter status=restarting", "docker logs --tail 50 api", "kill -0 1234",
    "curl -s \"$HEALTH_URL\" > /dev/null", "redis-cli INFO memory", "systemctl status nginx",
    "psql -c 'UPDATE jobs SET state = 1 WHERE id = 1'",
])
def test_safe_commands_are_not_flagged(code: str) -> None:
    assert not is_destructive(code)
    # "skill" is unknown, so it changes; the rest only read
    assert classify(code).effect is (Effect.CHANGES if code.startswith(("skill", "psql"))
                                     else Effect.READ_ONLY)


@pytest.mark.parametrize(("sql", "destructive"), [
    ("SELECT * FROM pg_stat_activity", False),
    ("SHOW max_connections", False),
    ("SELECT 'DROP TABLE x' AS text", False),
    ("DELETE FROM jobs WHERE id = 1", True),  # any write: it cannot run read-only
    ("SELECT pg_cancel_backend(1)", True),
    ("WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone", True),
])
def test_sql_is_destructive_unless_it_only_reads(sql: str, destructive: bool) -> None:
    assert is_destructive(sql, "sql") is destructive


@pytest.mark.parametrize(("code", "interactive"), [
    ("psql \"$DATABASE_URL\"", True), ("psql \"$DATABASE_URL\" -c 'select 1'", False),
    ("docker exec -it api bash", True), ("docker exec api ls", False), ("top", True),
    ("redis-cli -u \"$REDIS_URL\"", True), ("redis-cli -u \"$REDIS_URL\" ping", False),
    ("less /var/log/syslog", True), ("echo 'select 1' | psql", False),
])
def test_interactive_commands_are_flagged(code: str, interactive: bool) -> None:
    assert is_interactive(code) is interactive


def test_placeholders_are_found_once_each_and_shell_locals_are_not_placeholders() -> None:
    code = ("for c in $(docker ps -q); do docker logs $c; done\n"
            "docker logs <container> | grep {id}; echo \"$DATABASE_URL <container> $HOME\"\n"
            "echo '$NOT_ONE' ${DEFAULTED:-x} %{time_total}")
    assert find_placeholders(code) == ("container", "id", "DATABASE_URL")


def test_values_are_quoted_for_where_they_land() -> None:
    value = "a'b\"c $(id) `id`; d"
    code = "echo <v> \"<v>\" '<v>'"
    filled = fill_placeholders(code, {"v": value})
    import subprocess

    out = subprocess.run(["bash", "-c", filled], capture_output=True, text=True, check=True)
    assert out.stdout == f"{value} {value} {value}\n"
    assert fill_placeholders("WHERE a = <n> AND b = '<s>'", {"n": "5", "s": "o'x"}, "sql") \
        == "WHERE a = 5 AND b = 'o''x'"
    assert fill_placeholders("WHERE b = <s>", {"s": "x'; DROP TABLE t; --"}, "sql") \
        == "WHERE b = 'x''; DROP TABLE t; --'"


def test_mask_secrets_keeps_the_rest_readable() -> None:
    assert mask_secrets("postgresql://app:pw123@db:5432/app") == "postgresql://app:****@db:5432/app"
    assert mask_secrets("http://127.0.0.1:8000/readyz") == "http://127.0.0.1:8000/readyz"
    assert mask_secrets("X_API_KEY=abc123 run") == "X_API_KEY=**** run"
    assert mask_secrets("token is hunter22", ["hunter22"]) == "token is ****"
