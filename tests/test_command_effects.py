"""Every command has an effect, and `read-only` is earned: one case per rule, reasons pinned.

The tables name the simple command that decided each verdict; the property test builds
random compositions around a destructive command and checks none is ever `read-only`.
"""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbooks.model import Command
from runbooks.safety import (
    Classification,
    Effect,
    classify,
    is_destructive,
    is_interactive,
    is_streaming,
)

DESTRUCTIVE = [
    pytest.param('oc debug node/n -- chroot /host crictl rmi --prune', 'bash',
                 'oc debug: crictl rmi removes images', id='oc-debug-runs-destructive'),
    pytest.param('bash -c "rm -rf /tmp/x"', 'bash', 'bash -c: rm deletes files', id='bash-c'),
    pytest.param("sh -c 'rm -rf x'", 'bash', 'sh -c: rm deletes files', id='sh-c'),
    pytest.param("eval 'rm -rf x'", 'bash', 'eval: rm deletes files', id='eval'),
    pytest.param('echo `rm -rf x`', 'bash', 'rm deletes files', id='backticks'),
    pytest.param('echo "$(rm -rf /x)"', 'bash', 'rm deletes files', id='dollar-paren'),
    pytest.param('> important.log', 'bash', '> overwrites important.log', id='redirect-overwrite'),
    pytest.param(': > file', 'bash', '> overwrites file', id='colon-truncate'),
    pytest.param('kubectl -n <namespace> delete pod x', 'bash',
                 'kubectl delete deletes resources', id='kubectl-ns-placeholder-delete'),
    pytest.param('kubectl rollout undo deploy/x', 'bash',
                 'kubectl rollout undo rolls back', id='kubectl-rollout-undo'),
    pytest.param('kubectl -n prod scale deploy/web --replicas=0', 'bash',
                 'kubectl scale scales (maybe down)', id='kubectl-scale'),
    pytest.param('kubectl drain node-1 --ignore-daemonsets', 'bash',
                 'kubectl drain drains', id='kubectl-drain'),
    pytest.param('kubectl exec web-1 -- rm -rf /data', 'bash',
                 'kubectl exec: rm deletes files', id='kubectl-exec-rm'),
    pytest.param('gitlab-ctl restart nginx', 'bash',
                 'gitlab-ctl restart restarts services', id='gitlab-ctl-restart'),
    pytest.param('sudo systemctl restart nginx', 'bash',
                 'systemctl restart restarts units', id='systemctl-restart'),
    pytest.param('systemctl stop postgresql', 'bash',
                 'systemctl stop stops units', id='systemctl-stop'),
    pytest.param('service nginx restart', 'bash',
                 'service restart restarts a service', id='service-restart'),
    pytest.param('docker restart api', 'bash', 'docker restart restarts', id='docker-restart'),
    pytest.param('docker rm -f api', 'bash', 'docker rm removes', id='docker-rm'),
    pytest.param('docker compose down', 'bash',
                 'docker compose down takes down', id='docker-compose-down'),
    pytest.param("docker exec db psql -U app -c 'DROP TABLE jobs'", 'bash',
                 'docker exec: psql: DROP drops objects', id='docker-exec-psql-drop'),
    pytest.param('journalctl --vacuum-size=200M', 'bash',
                 'journalctl --vacuum-size deletes journal files', id='journalctl-vacuum'),
    pytest.param('curl -X DELETE http://x', 'bash',
                 'curl -X DELETE deletes a resource', id='curl-delete'),
    pytest.param('curl -sXDELETE http://x', 'bash',
                 'curl -X DELETE deletes a resource', id='curl-delete-clustered'),
    pytest.param('terraform destroy', 'bash',
                 'terraform destroy destroys infrastructure', id='terraform-destroy'),
    pytest.param('crontab -r', 'bash', 'crontab -r deletes the crontab', id='crontab-r'),
    pytest.param('rsync -a --delete a/ b/', 'bash',
                 'rsync --delete deletes files', id='rsync-delete'),
    pytest.param('python3 -c \'import shutil; shutil.rmtree("/x")\'', 'bash',
                 'python3 code calls shutil.rmtree', id='python-rmtree'),
    pytest.param('python -c \'import os; os.remove("/x")\'', 'bash',
                 'python code calls os.remove', id='python-os-remove'),
    pytest.param('a=rm; $a -rf /x', 'bash',
                 'the command name comes from an expansion, and it mentions rm',
                 id='variable-command-word'),
    pytest.param('echo cm0gLXJmIC8K | base64 -d | sh', 'bash',
                 'sh runs its input: rm deletes files', id='base64-sh'),
    pytest.param('echo x | tee /dev/sda', 'bash',
                 'tee writes to the device /dev/sda', id='tee-device'),
    pytest.param('echo x | tee notes.txt', 'bash', 'tee overwrites notes.txt', id='tee-overwrite'),
    pytest.param('echo 0 > /dev/sda', 'bash',
                 '> writes to the device /dev/sda', id='redirect-device'),
    pytest.param('dd if=/dev/zero of=/dev/sdb bs=1M', 'bash',
                 'dd of=/dev/sdb overwrites its target', id='dd-of'),
    pytest.param('mv a b', 'bash', 'mv moves files and may overwrite', id='mv'),
    pytest.param('cp a b', 'bash', 'cp may overwrite its target', id='cp'),
    pytest.param('sed -i s/a/b/ f', 'bash', 'sed -i edits files in place', id='sed-i'),
    pytest.param('truncate -s 0 app.log', 'bash', 'truncate cuts files', id='truncate'),
    pytest.param('rm -rf /var/lib/app/cache', 'bash', 'rm deletes files', id='rm'),
    pytest.param('sudo env A=1 timeout 5 nice -n 10 nohup /bin/rm -f x', 'bash',
                 'rm deletes files', id='wrapped-rm'),
    pytest.param('\\rm x', 'bash', 'rm deletes files', id='escaped-rm'),
    pytest.param('command exec rm x', 'bash', 'rm deletes files', id='command-exec-rm'),
    pytest.param('time rm x', 'bash', 'rm deletes files', id='time-rm'),
    pytest.param('ls | xargs rm', 'bash', 'xargs: rm deletes files', id='xargs-rm'),
    pytest.param("find /var/log -name '*.gz' -delete", 'bash',
                 'find -delete deletes files', id='find-delete'),
    pytest.param("find . -name '*.tmp' -exec rm {} +", 'bash',
                 'find -exec: rm deletes files', id='find-exec-rm'),
    pytest.param('kill -9 1234', 'bash', 'kill kills processes', id='kill'),
    pytest.param('pkill -f worker', 'bash', 'pkill kills processes', id='pkill'),
    pytest.param('killall gunicorn', 'bash', 'killall kills processes', id='killall'),
    pytest.param('helm rollback web 3', 'bash', 'helm rollback rolls back', id='helm-rollback'),
    pytest.param('alembic downgrade -1', 'bash',
                 'alembic downgrade rolls back the schema', id='alembic-downgrade'),
    pytest.param('git push --force', 'bash',
                 'git push --force rewrites or deletes remote history', id='git-push-force'),
    pytest.param('git push -f origin main', 'bash',
                 'git push --force rewrites or deletes remote history', id='git-push-f'),
    pytest.param('git reset --hard', 'bash', 'git reset --hard discards work', id='git-reset-hard'),
    pytest.param('git clean -fdx', 'bash',
                 'git clean -f deletes untracked files', id='git-clean-f'),
    pytest.param('redis-cli -u "$REDIS_URL" FLUSHALL', 'bash',
                 'redis-cli FLUSHALL removes or overwrites Redis data or state',
                 id='redis-flushall'),
    pytest.param('redis-cli DEL <key>', 'bash',
                 'redis-cli DEL removes or overwrites Redis data or state', id='redis-del'),
    pytest.param('psql "$DATABASE_URL" -c \'DROP TABLE jobs\'', 'bash',
                 'psql: DROP drops objects', id='psql-drop'),
    pytest.param("psql -c 'DELETE FROM jobs WHERE id = 1'", 'bash',
                 'psql: DELETE deletes rows', id='psql-delete-where'),
    pytest.param('psql -Atc "SELECT pg_terminate_backend(42)"', 'bash',
                 'psql: pg_terminate_backend ends or removes something', id='psql-terminate'),
    pytest.param("cat <<'SQL' | psql\nDELETE FROM sessions;\nSQL", 'bash',
                 'psql: DELETE deletes rows', id='heredoc-into-psql'),
    pytest.param("ssh host 'rm -rf /srv/x'", 'bash', 'ssh: rm deletes files', id='ssh-remote-rm'),
    pytest.param("watch 'rm -f /tmp/x'", 'bash', 'watch: rm deletes files', id='watch-rm'),
    pytest.param('perl -e \'unlink "x"\'', 'bash', 'perl code calls unlink', id='perl-unlink'),
    pytest.param("trap 'rm -rf /tmp/x' EXIT", 'bash', 'trap: rm deletes files', id='trap'),
    pytest.param("yq -i '.a = 1' f.yaml", 'bash', 'yq -i edits files in place', id='yq-i'),
    pytest.param('redis-cli EVAL "return redis.call(\'flushall\')" 0', 'bash',
                 'redis-cli EVAL runs a script that calls flushall', id='redis-eval-flushall'),
    pytest.param('echo x | tee >(rm y)', 'bash', 'rm deletes files', id='process-substitution'),
    pytest.param('{ ls; } > out', 'bash', '> overwrites out', id='group-redirect'),
    pytest.param('cat <<EOF\n$(rm -rf x)\nEOF', 'bash', 'rm deletes files',
                 id='unquoted-heredoc-runs-substitutions'),
    pytest.param("echo 'unbalanced; rm -rf /", 'bash',
                 'bash cannot parse it, and it mentions rm', id='unparseable'),
    pytest.param('UPDATE t SET x=1', 'sql',
                 'UPDATE without WHERE rewrites every row', id='sql-update-no-where'),
    pytest.param('DELETE FROM jobs WHERE id = 1', 'sql', 'DELETE deletes rows', id='sql-delete'),
    pytest.param('DROP TABLE jobs', 'sql', 'DROP drops objects', id='sql-drop'),
    pytest.param('TRUNCATE jobs', 'sql', 'TRUNCATE empties tables', id='sql-truncate'),
    pytest.param('ALTER TABLE t DROP COLUMN x', 'sql', 'DROP drops objects', id='sql-alter-drop'),
    pytest.param("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle'",
                 'sql', 'pg_terminate_backend ends or removes something', id='sql-terminate'),
    pytest.param('SELECT pg_cancel_backend(1)', 'sql',
                 'pg_cancel_backend ends or removes something', id='sql-cancel'),
    pytest.param("SELECT pg_drop_replication_slot('x')", 'sql',
                 'pg_drop_replication_slot ends or removes something', id='sql-drop-slot'),
    pytest.param('WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone', 'sql',
                 'DELETE deletes rows', id='sql-cte-delete'),
    pytest.param('EXPLAIN ANALYZE DELETE FROM t', 'sql',
                 'DELETE deletes rows', id='sql-explain-analyze-delete'),
    pytest.param('127.0.0.1:6379> FLUSHDB', 'redis',
                 'FLUSHDB removes or overwrites Redis data or state', id='redis-lang-flushdb'),
]

READ_ONLY = [
    pytest.param('kubectl get pods', 'bash', 'kubectl get only reads', id='kubectl-get'),
    pytest.param('kubectl -n <namespace> get pods -o wide', 'bash',
                 'kubectl get only reads', id='kubectl-flags-before-get'),
    pytest.param('kubectl --context prod -n x describe pod y', 'bash',
                 'kubectl describe only reads', id='kubectl-describe'),
    pytest.param('kubectl logs deploy/web --tail 50', 'bash',
                 'kubectl logs only reads', id='kubectl-logs'),
    pytest.param('kubectl top pods', 'bash', 'kubectl top only reads', id='kubectl-top'),
    pytest.param('kubectl explain pod.spec', 'bash',
                 'kubectl explain only reads', id='kubectl-explain'),
    pytest.param('kubectl api-resources', 'bash',
                 'kubectl api-resources only reads', id='kubectl-api-resources'),
    pytest.param('kubectl version', 'bash', 'kubectl version only reads', id='kubectl-version'),
    pytest.param('kubectl config view', 'bash',
                 'kubectl config view only reads', id='kubectl-config-view'),
    pytest.param('kubectl auth can-i delete pods', 'bash',
                 'kubectl auth can-i only reads', id='kubectl-auth-can-i'),
    pytest.param('kubectl exec web-1 -- cat /etc/hosts', 'bash',
                 'cat only reads', id='kubectl-exec-cat'),
    pytest.param('docker ps -a --filter status=restarting', 'bash',
                 'docker ps only reads', id='docker-ps'),
    pytest.param('docker logs --tail 50 api 2>&1 | grep -i error', 'bash',
                 'docker logs only reads', id='docker-logs'),
    pytest.param("docker inspect --format '{{.State.Status}}' api", 'bash',
                 'docker inspect only reads', id='docker-inspect'),
    pytest.param('docker stats --no-stream', 'bash', 'docker stats only reads', id='docker-stats'),
    pytest.param('docker images', 'bash', 'docker images only reads', id='docker-images'),
    pytest.param('docker top api', 'bash', 'docker top only reads', id='docker-top'),
    pytest.param('docker port api', 'bash', 'docker port only reads', id='docker-port'),
    pytest.param('docker events --since 10m --until 0s', 'bash',
                 'docker events only reads', id='docker-events'),
    pytest.param('systemctl status nginx', 'bash',
                 'systemctl status only reads', id='systemctl-status'),
    pytest.param('systemctl is-active nginx', 'bash',
                 'systemctl is-active only reads', id='systemctl-is-active'),
    pytest.param('systemctl list-units --failed', 'bash',
                 'systemctl list-units only reads', id='systemctl-list-units'),
    pytest.param('systemctl show -p ActiveState nginx', 'bash',
                 'systemctl show only reads', id='systemctl-show'),
    pytest.param('systemctl cat nginx', 'bash', 'systemctl cat only reads', id='systemctl-cat'),
    pytest.param("journalctl -u nginx --since '1 hour ago' --no-pager", 'bash',
                 'journalctl only reads', id='journalctl'),
    pytest.param('git status', 'bash', 'git status only reads', id='git-status'),
    pytest.param('git log --oneline -5', 'bash', 'git log only reads', id='git-log'),
    pytest.param('git diff HEAD~1', 'bash', 'git diff only reads', id='git-diff'),
    pytest.param('git show HEAD', 'bash', 'git show only reads', id='git-show'),
    pytest.param('curl -sS -m 5 "$HEALTH_URL"', 'bash', 'curl only fetches', id='curl-get'),
    pytest.param('curl -I -X HEAD http://x', 'bash', 'curl only fetches', id='curl-head'),
    pytest.param("curl -s -o /dev/null -w '%{http_code}' http://x", 'bash',
                 'curl only fetches', id='curl-devnull'),
    pytest.param('redis-cli -u "$REDIS_URL" INFO memory', 'bash',
                 'redis-cli INFO only reads', id='redis-info'),
    pytest.param('redis-cli LLEN celery', 'bash', 'redis-cli LLEN only reads', id='redis-llen'),
    pytest.param('redis-cli CLIENT LIST', 'bash',
                 'redis-cli CLIENT LIST only reads', id='redis-client-list'),
    pytest.param('redis-cli SLOWLOG GET 10', 'bash',
                 'redis-cli SLOWLOG GET only reads', id='redis-slowlog-get'),
    pytest.param('redis-cli CONFIG GET maxmemory', 'bash',
                 'redis-cli CONFIG GET only reads', id='redis-config-get'),
    pytest.param('redis-cli MEMORY USAGE key', 'bash',
                 'redis-cli MEMORY USAGE only reads', id='redis-memory-usage'),
    pytest.param("redis-cli --scan --pattern 'x*'", 'bash',
                 'redis-cli --scan only reads', id='redis-scan-mode'),
    pytest.param('psql "$DATABASE_URL" -Atc \'SELECT count(*) FROM pg_stat_activity\'', 'bash',
                 'psql: SELECT only reads', id='psql-select'),
    pytest.param("psql -c 'EXPLAIN DELETE FROM t'", 'bash',
                 'psql: EXPLAIN without ANALYZE only plans', id='psql-explain'),
    pytest.param("psql -c 'SHOW max_connections'", 'bash', 'psql: SHOW only reads', id='psql-show'),
    pytest.param('psql <<SQL\nSELECT 1;\nSQL', 'bash',
                 'psql: SELECT only reads', id='psql-heredoc-select'),
    pytest.param('ps aux | grep -v grep | sort -k3 -rn | head -n 5 | wc -l', 'bash',
                 'ps only reads', id='readers-pipeline'),
    pytest.param('while read l; do echo "$l"; done < f', 'bash', 'read only reads',
                 id='loop-reading-a-file'),
    pytest.param("cat <<'EOF'\n$(rm -rf x)\nEOF", 'bash', 'cat only reads',
                 id='quoted-heredoc-is-data'),
    pytest.param('uptime; free -m && df -h || echo fail', 'bash',
                 'uptime only reads', id='list-and-or'),
    pytest.param("awk '{print $1}' access.log | uniq -c", 'bash', 'awk only reads', id='awk-print'),
    pytest.param("sed -n '1,5p' app.log", 'bash', 'sed only prints', id='sed-print'),
    pytest.param("find /var/log -name '*.gz' -mtime +14", 'bash',
                 'find only lists', id='find-plain'),
    pytest.param("find . -name '*.log' -exec grep -l error {} +", 'bash',
                 'find only lists', id='find-exec-grep'),
    pytest.param('top -b -n 1', 'bash', 'top only reads', id='top-batch'),
    pytest.param('dig +short example.com', 'bash', 'dig only reads', id='dig'),
    pytest.param('ss -tlnp', 'bash', 'ss only reads', id='ss'),
    pytest.param('env', 'bash', 'env only reads', id='env-alone'),
    pytest.param('ls /x > /dev/null 2>&1', 'bash', 'ls only reads', id='devnull-redirects'),
    pytest.param('echo x | tee /dev/null', 'bash', 'echo only reads', id='tee-devnull'),
    pytest.param("sudo -u postgres psql -c 'select 1'", 'bash',
                 'psql: SELECT only reads', id='sudo-reader'),
    pytest.param('(cd /var/log && ls -la)', 'bash', 'cd only reads', id='subshell-readers'),
    pytest.param('echo "up since $(uptime -s)"', 'bash',
                 'uptime only reads', id='command-substitution-reader'),
    pytest.param("bash -c 'df -h'", 'bash', 'bash -c: df only reads', id='bash-c-reader'),
    pytest.param('ssh host uptime', 'bash', 'ssh: uptime only reads', id='ssh-remote-reader'),
    pytest.param('ls | xargs -n1 echo', 'bash', 'ls only reads', id='xargs-reader'),
    pytest.param('kill -0 1234', 'bash', 'kill -0 only checks a process exists', id='kill-0'),
    pytest.param('kubectl -n [NAMESPACE_NAME] logs {id} <pod name> {{ $labels.pod }}', 'bash',
                 'kubectl logs only reads', id='placeholders-as-values'),
    pytest.param('SELECT * FROM pg_stat_activity', 'sql', 'SELECT only reads', id='sql-select'),
    pytest.param('SHOW max_connections', 'sql', 'SHOW only reads', id='sql-show'),
    pytest.param('WITH x AS (SELECT 1) SELECT * FROM x', 'sql',
                 'WITH only reads', id='sql-with-select'),
    pytest.param('EXPLAIN SELECT * FROM t', 'sql',
                 'EXPLAIN without ANALYZE only plans', id='sql-explain'),
    pytest.param("SELECT 'DROP TABLE x' AS text", 'sql',
                 'SELECT only reads', id='sql-literal-not-code'),
    pytest.param('INFO memory\nredis> LLEN q', 'redis', 'INFO only reads', id='redis-lang-info'),
]

CHANGES = [
    pytest.param('frobnicate --all', 'bash',
                 'frobnicate is not known to only read', id='unknown-command'),
    pytest.param('echo x >> log.txt', 'bash', '>> appends to log.txt', id='append-redirect'),
    pytest.param('echo x | tee -a f', 'bash', 'tee -a appends to f', id='tee-append'),
    pytest.param("curl -d 'a=1' http://x", 'bash', 'curl -d sends data (a POST)', id='curl-post'),
    pytest.param('curl -o out.json http://x', 'bash',
                 'curl writes the file out.json', id='curl-output-file'),
    pytest.param('curl -s http://x/install | sh', 'bash',
                 'sh runs code from its input', id='curl-pipe-sh'),
    pytest.param('kubectl apply -f x.yaml', 'bash',
                 'kubectl apply changes the cluster or is not known', id='kubectl-apply'),
    pytest.param('docker start api', 'bash',
                 'docker start changes containers or is not known', id='docker-start'),
    pytest.param('systemctl start nginx', 'bash',
                 'systemctl start changes a unit', id='systemctl-start'),
    pytest.param('awk \'BEGIN{system("date")}\'', 'bash',
                 'awk system() runs commands', id='awk-system'),
    pytest.param("python3 -c 'print(1)'", 'bash', 'python3 runs code', id='python-code'),
    pytest.param('eval "$CMD"', 'bash', 'eval runs code we cannot see', id='eval-variable'),
    pytest.param('$CMD --now', 'bash',
                 'the command name comes from an expansion', id='variable-command'),
    pytest.param("echo 'unbalanced", 'bash', 'bash cannot parse it', id='unparseable-harmless'),
    pytest.param('INSERT INTO t VALUES (1)', 'sql', 'INSERT is not a plain read', id='sql-insert'),
    pytest.param('UPDATE t SET x = 1 WHERE id = 2', 'sql',
                 'UPDATE changes rows', id='sql-update-where'),
    pytest.param("SELECT nextval('s')", 'sql', 'nextval() has side effects', id='sql-nextval'),
    pytest.param("SELECT set_config('a.b', 'c', false)", 'sql',
                 'set_config() has side effects', id='sql-set-config'),
    pytest.param('SELECT pg_reload_conf()', 'sql',
                 'pg_reload_conf() has side effects', id='sql-reload-conf'),
    pytest.param('redis-cli SET k v', 'bash',
                 'redis-cli SET is not known to only read', id='redis-set'),
    pytest.param("git -c core.pager='less' log", 'bash',
                 'git -c sets configuration that can run commands (core.pager, ...)',
                 id='git-c-config'),
    pytest.param('git log --output=x', 'bash',
                 'git log --output/--ext-diff writes a file or runs a program', id='git-output'),
    pytest.param('redis-cli EVAL "return 1" 0', 'bash', 'redis-cli EVAL runs a script',
                 id='redis-eval'),
    pytest.param('LD_PRELOAD=/x.so ls', 'bash', 'setting LD_PRELOAD changes what runs',
                 id='ld-preload'),
    pytest.param('export PATH=/tmp:$PATH; ls', 'bash', 'setting PATH changes what runs',
                 id='path'),
    pytest.param("alias ls='rm -rf /'", 'bash', 'alias defines a command', id='alias'),
]


@pytest.mark.parametrize(("code", "lang", "reason"), DESTRUCTIVE)
def test_destructive_rules(code: str, lang: str, reason: str) -> None:
    assert classify(code, lang) == Classification(Effect.DESTRUCTIVE, reason)
    assert is_destructive(code, lang)


@pytest.mark.parametrize(("code", "lang", "reason"), READ_ONLY)
def test_read_only_rules(code: str, lang: str, reason: str) -> None:
    assert classify(code, lang) == Classification(Effect.READ_ONLY, reason)
    assert not is_destructive(code, lang)


@pytest.mark.parametrize(("code", "lang", "reason"), CHANGES)
def test_everything_else_changes(code: str, lang: str, reason: str) -> None:
    assert classify(code, lang) == Classification(Effect.CHANGES, reason)


def test_effect_values_are_the_words_the_screen_shows() -> None:
    assert [e.value for e in Effect] == ["read-only", "changes", "destructive"]
    assert Command("bash", "kubectl get pods").effect is Effect.READ_ONLY
    assert Command("bash", "rm -rf /x").classification == Classification(
        Effect.DESTRUCTIVE, "rm deletes files")
    assert Command("bash", "tail -f /var/log/syslog").streaming is True


@pytest.mark.parametrize(("code", "interactive"), [
    pytest.param("oc -n x rsh pod-1", True, id="oc-rsh-shell"),
    pytest.param("oc rsh pod-1 ls /tmp", False, id="oc-rsh-command"),
    pytest.param("oc debug node/n -- chroot /host df -h", False, id="oc-debug-command"),
    pytest.param("kubectl -n x debug node/n", True, id="kubectl-debug-shell"),
    pytest.param("vim /etc/hosts", True, id="vim"),
    pytest.param("vi x", True, id="vi"),
    pytest.param("nano x", True, id="nano"),
    pytest.param("emacs x", True, id="emacs"),
    pytest.param("less /var/log/syslog", True, id="less"),
    pytest.param("journalctl -u x | more", True, id="more"),
    pytest.param("gitlab-rails console", True, id="gitlab-rails-console"),
    pytest.param("rails c", True, id="rails-c"),
    pytest.param("python", True, id="python-repl"),
    pytest.param("python3 script.py", False, id="python-script"),
    pytest.param("psql \"$DATABASE_URL\"", True, id="psql-prompt"),
    pytest.param("psql -Atc 'select 1'", False, id="psql-c"),
    pytest.param("redis-cli -u \"$REDIS_URL\"", True, id="redis-cli-prompt"),
    pytest.param("redis-cli ping", False, id="redis-cli-command"),
    pytest.param("mongo", True, id="mongo"),
    pytest.param("mysql -h db", True, id="mysql-prompt"),
    pytest.param("mysql -e 'select 1'", False, id="mysql-e"),
    pytest.param("kubectl edit deploy/x", True, id="kubectl-edit"),
    pytest.param("oc edit dc/x", True, id="oc-edit"),
    pytest.param("kubectl -n x exec -it pod -- bash", True, id="kubectl-exec-it"),
    pytest.param("kubectl exec pod -- ls", False, id="kubectl-exec"),
    pytest.param("kubectl -n x debug node/y", True, id="kubectl-debug-flags-first"),
    pytest.param("kubectl attach web-1", True, id="kubectl-attach"),
    pytest.param("docker exec -it api bash", True, id="docker-exec-it"),
    pytest.param("docker exec api ls", False, id="docker-exec"),
    pytest.param("watch -n1 kubectl get pods", True, id="watch"),
    pytest.param("top", True, id="top"),
    pytest.param("top -b -n 1", False, id="top-batch"),
    pytest.param("htop", True, id="htop"),
    pytest.param("ssh db-1", True, id="ssh-no-command"),
    pytest.param("ssh db-1 uptime", False, id="ssh-command"),
    pytest.param("sudo -u postgres psql", True, id="sudo-psql"),
    pytest.param("echo 'select 1' | psql", False, id="piped-psql"),
    pytest.param("tail -f /var/log/syslog", False, id="streaming-is-not-interactive"),
])
def test_interactive(code: str, interactive: bool) -> None:
    assert is_interactive(code) is interactive


@pytest.mark.parametrize(("code", "streaming"), [
    pytest.param("tail -f /var/log/syslog", True, id="tail-f"),
    pytest.param("tail -n 100 -F app.log", True, id="tail-F"),
    pytest.param("tail -n 100 app.log", False, id="tail"),
    pytest.param("journalctl -fu nginx", True, id="journalctl-f"),
    pytest.param("journalctl -u nginx", False, id="journalctl"),
    pytest.param("kubectl -n x logs -f deploy/web", True, id="kubectl-logs-f"),
    pytest.param("kubectl logs deploy/web", False, id="kubectl-logs"),
    pytest.param("docker logs -f api", True, id="docker-logs-f"),
    pytest.param("docker logs --tail 5 api", False, id="docker-logs"),
    pytest.param("docker stats", True, id="docker-stats"),
    pytest.param("docker stats --no-stream", False, id="docker-stats-no-stream"),
    pytest.param("redis-cli monitor", True, id="redis-monitor"),
    pytest.param("ping host", True, id="ping"),
    pytest.param("ping -c 3 host", False, id="ping-c"),
    pytest.param("sudo tail -f x | grep y", True, id="wrapped-and-piped"),
])
def test_streaming(code: str, streaming: bool) -> None:
    assert is_streaming(code) is streaming


# --- property: wrapping or composing a destructive command never makes it read-only -------

_DESTRUCTIVE_CORES = [
    "rm -rf /tmp/x", "kubectl delete pod web-1", "systemctl restart nginx",
    "redis-cli FLUSHALL", "psql -c 'DROP TABLE t'", "kill -9 1", "git push --force",
    "docker rm -f api", "truncate -s0 f", "mv a b", "dd if=/dev/zero of=/dev/sdb",
    "curl -X DELETE http://x", "terraform destroy", "echo x > important.log",
    "find / -delete", "journalctl --vacuum-size=1M", "crontab -r",
]
_READERS = ["ls", "cat /etc/hosts", "echo hi", "df -h", "grep x f", "true", "uptime"]


def _wrap(core: str, how: str, reader: str) -> str:
    if how == "sudo":
        return f"sudo -u root {core}"
    if how == "env":
        return f"env A=1 {core}"
    if how == "timeout":
        return f"timeout 5 {core}"
    if how == "nice":
        return f"nice -n 5 nohup {core}"
    if how == "pipe-after":
        return f"{reader} | {core}"
    if how == "pipe-before":
        return f"{core} | {reader}"
    if how == "semicolon":
        return f"{reader}; {core}"
    if how == "and":
        return f"{reader} && {core}"
    if how == "or":
        return f"{reader} || {core}"
    if how == "dollar":
        return f"echo \"$({core})\""
    if how == "backticks":
        return f"echo `{core}`" if "`" not in core else f"echo $({core})"
    if how == "bash-c":
        return f"bash -c {shlex.quote(core)}"
    if how == "sh-c-double":
        escaped = core.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
        return f'sh -c "{escaped}"'
    if how == "eval":
        return f"eval {shlex.quote(core)}"
    if how == "subshell":
        return f"( {reader}; {core} )"
    if how == "group":
        return f"{{ {core}; }}"
    if how == "if":
        return f"if {reader}; then {core}; fi"
    if how == "xargs":
        return f"echo x | xargs {core}"
    return core


_HOWS = ["sudo", "env", "timeout", "nice", "pipe-after", "pipe-before", "semicolon", "and",
         "or", "dollar", "backticks", "bash-c", "sh-c-double", "eval", "subshell", "group",
         "if", "xargs", "none"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_DESTRUCTIVE_CORES), st.lists(st.sampled_from(_HOWS), min_size=1,
                                                     max_size=4),
       st.sampled_from(_READERS))
def test_wrapped_destructive_commands_are_never_read_only(core: str, hows: list[str],
                                                           reader: str) -> None:
    code = core
    for how in hows:
        code = _wrap(code, how, reader)
    result = classify(code)
    assert result.effect is not Effect.READ_ONLY, (code, result)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abrmfkil -;|&$()`'\"\\<>{}\n=", max_size=40))
def test_classify_never_raises_and_unparseable_text_is_never_read_only(text: str) -> None:
    result = classify(text)
    assert result.reason
    from runbooks.bashtree import ParseError, parse

    try:
        parse(text)
    except ParseError:
        assert result.effect is not Effect.READ_ONLY
