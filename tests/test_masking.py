"""One masker for every secret shape, the same on screen, in the CLI and in the journal.

Each case pins the exact masked text: the secret is gone and the rest still reads as
the command it was (`postgres://app:****@db:5432/app`), so a timeline says what ran where.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.masking import MASK, LineMasker, is_secret_name, mask_secrets, secret_values
from runbooks.journal import Journal
from tui.cli import main

GH = "ghp_" + "Ab1" * 12  # 36 characters after the prefix, as GitHub issues them
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

#: (id, text, the secret inside it, the text as shown)
CASES: list[tuple[str, str, str, str]] = [
    ("url-userinfo", "psql postgres://app:pw4db@db:5432/app", "pw4db",
     "psql postgres://app:****@db:5432/app"),
    ("url-at-in-password", "redis-cli -u redis://:p@ssw0rd@cache:6379/0 ping", "p@ssw0rd",
     "redis-cli -u redis://:****@cache:6379/0 ping"),
    ("curl-u", "curl -u admin:s3cr3tpw https://api/x", "s3cr3tpw",
     "curl -u admin:**** https://api/x"),
    ("curl-user", "curl --user admin:s3cr3tpw https://api/x", "s3cr3tpw",
     "curl --user admin:**** https://api/x"),
    ("redis-cli-a", "redis-cli -h cache -a s3cr3tpw info memory", "s3cr3tpw",
     "redis-cli -h cache -a **** info memory"),
    ("mysql-p", "mysql -u root -ps3cr3tpw -e 'show processlist'", "s3cr3tpw",
     "mysql -u root -p**** -e 'show processlist'"),
    ("docker-login-p", "docker login -u ci -p s3cr3tpw registry.example.com", "s3cr3tpw",
     "docker login -u ci -p **** registry.example.com"),
    ("docker-login-password", "docker login --password s3cr3tpw -u ci reg.io", "s3cr3tpw",
     "docker login --password **** -u ci reg.io"),
    ("sshpass-p", "sshpass -p s3cr3tpw ssh ops@web1 uptime", "s3cr3tpw",
     "sshpass -p **** ssh ops@web1 uptime"),
    ("htpasswd-b", "htpasswd -b /etc/nginx/.htpasswd ops s3cr3tpw", "s3cr3tpw",
     "htpasswd -b /etc/nginx/.htpasswd ops ****"),
    ("htpasswd-nb", "htpasswd -nbB ops s3cr3tpw", "s3cr3tpw", "htpasswd -nbB ops ****"),
    ("authorization-bearer", "curl -H 'Authorization: Bearer abc.def-123' https://api",
     "abc.def-123", "curl -H 'Authorization: Bearer ****' https://api"),
    ("authorization-basic", "Authorization: Basic YWRtaW46czNjcjN0", "YWRtaW46czNjcjN0",
     "Authorization: Basic ****"),
    ("api-key-header", 'curl -H "X-API-Key: k3y-v4lue" https://api', "k3y-v4lue",
     'curl -H "X-API-Key: ****" https://api'),
    ("query-access-token", "curl 'https://api/v1/me?access_token=t0k3nv4l&pretty=1'",
     "t0k3nv4l", "curl 'https://api/v1/me?access_token=****&pretty=1'"),
    ("query-amz-signature",
     "curl 'https://b.s3.amazonaws.com/k?X-Amz-Expires=60&X-Amz-Signature=fe5f80f77d5fa3'",
     "fe5f80f77d5fa3", "curl 'https://b.s3.amazonaws.com/k?X-Amz-Expires=60&X-Amz-Signature=****'"),
    ("query-in-an-env-url", "HEALTH_URL=https://api/readyz?api_key=k3yv4lue ./probe",
     "k3yv4lue", "HEALTH_URL=https://api/readyz?api_key=**** ./probe"),
    ("env-assignment", "PGPASSWORD=s3cr3tpw psql -h db -c 'select 1'", "s3cr3tpw",
     "PGPASSWORD=**** psql -h db -c 'select 1'"),
    ("env-quoted", 'export DEPLOY_TOKEN="a b c d"', "a b c d", 'export DEPLOY_TOKEN="****"'),
    ("dsn-keyword", "psql 'host=db user=app password=s3cr3tpw dbname=app'", "s3cr3tpw",
     "psql 'host=db user=app password=**** dbname=app'"),
    ("json-field", '{"user": "app", "password": "s3cr3tpw"}', "s3cr3tpw",
     '{"user": "app", "password": "****"}'),
    ("github-ghp", f"gh auth login --with-token <<< {GH}", GH[4:],
     "gh auth login --with-token <<< ghp_****"),
    ("flag-with-a-variable", "mytool --password s3cr3tpw --token $TOKEN", "s3cr3tpw",
     "mytool --password **** --token $TOKEN"),
    ("github-gho-ghs", f"echo gho_{'x' * 36} ghs_{'y' * 36}", "x" * 36,
     "echo gho_**** ghs_****"),
    ("github-pat", f"git clone https://github_pat_{'Z9' * 20}@github.com/o/r", "Z9" * 20,
     "git clone https://github_pat_****@github.com/o/r"),
    ("slack-token", "curl -d token=xoxb-123456789012-abcdefABCDEF slack.com/api", "abcdefABCDEF",
     "curl -d token=**** slack.com/api"),
    ("slack-token-bare", "SLACK=xoxp-123456789012-abcdefABCDEF", "abcdefABCDEF",
     "SLACK=xoxp-****"),
    ("slack-webhook",
     "curl -X POST https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aBcDeFgHiJkLmNoP",
     "aBcDeFgHiJkLmNoP",
     "curl -X POST https://hooks.slack.com/services/T0123ABCD/B0456EFGH/****"),
    ("aws-key-id", "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
     "IOSFODNN7EXAMPLE", "aws configure set aws_access_key_id AKIA****"),
    ("aws-secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI", "aws_secret_access_key = ****"),
    ("jwt", f"curl -b session={JWT} https://api", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",
     "curl -b session=**** https://api"),
    ("private-key",
     "cat > id <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
     "-----END OPENSSH PRIVATE KEY-----\nEOF", "b3BlbnNzaC1rZXktdjEAAAAA",
     "cat > id <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\n****\n"
     "-----END OPENSSH PRIVATE KEY-----\nEOF"),
]


@pytest.mark.parametrize(("text", "secret", "shown"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_secret_shape_is_masked_in_place(text: str, secret: str, shown: str) -> None:
    assert mask_secrets(text) == shown
    assert secret not in shown


@pytest.mark.parametrize("text", [
    "curl -s http://127.0.0.1:8000/readyz",
    "redis-cli -h 127.0.0.1 -p 6379 llen celery",
    "mysql -u root -p app",          # -p alone prompts: `app` is the database
    "docker login -u ci --password-stdin reg.io",
    "htpasswd -c /etc/nginx/.htpasswd ops",
    "kubectl get secret db -o yaml",
    "cd $PWD && ls $OLDPWD",
    "PASSWORD_FILE=/run/secrets/db TOKEN_URL=https://auth/token ./run",
    "select pid, state from pg_stat_activity where wait_event_type = 'Lock'",
])
def test_ordinary_commands_are_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


def test_literal_values_are_masked_longest_first() -> None:
    assert mask_secrets("echo hunter22 hunter2222", ["hunter22", "hunter2222"]) == \
        "echo **** ****"
    assert mask_secrets("a b", ["a"]) == "a b"  # too short to mask without blanking words


@pytest.mark.parametrize(("name", "secret"), [
    ("PGPASSWORD", True), ("MYSQL_PWD", True), ("REDISCLI_AUTH", True), ("GITHUB_TOKEN", True),
    ("clientSecret", True), ("X-Amz-Signature", True), ("api_key", True), ("SSH_KEY", True),
    ("AWS_SECRET_ACCESS_KEY", True), ("access_token", True), ("sig", True),
    ("PWD", False), ("OLDPWD", False), ("PASSWORD_FILE", False), ("TOKEN_URL", False),
    ("AWS_ACCESS_KEY_ID", False), ("keyword", False), ("author", False), ("DATABASE_URL", False),
])
def test_is_secret_name_is_the_one_word_list(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_secret_values_come_from_names_and_url_passwords() -> None:
    assert secret_values({"DB_PASSWORD": "pw1x", "DATABASE_URL": "postgres://a:pw2x@h/db",
                          "REGION": "eu"}) == ["pw1x", "pw2x"]


def test_a_line_masker_hides_a_private_key_printed_line_by_line() -> None:
    masker = LineMasker()
    lines = ["$ cat id_rsa", "-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA",
             "x9Jq+/abc=", "-----END RSA PRIVATE KEY-----", "PGPASSWORD=s3cr3tpw psql"]
    assert [masker(line) for line in lines] == [
        "$ cat id_rsa", "-----BEGIN RSA PRIVATE KEY-----", MASK, MASK,
        "-----END RSA PRIVATE KEY-----", "PGPASSWORD=**** psql"]


def test_one_mask_string_for_urls_dsns_and_text() -> None:
    assert MASK == "****"
    assert mask_secrets("postgres://app:hunter2@db:5432/app") == "postgres://app:****@db:5432/app"


@pytest.mark.parametrize(("text", "secret", "shown"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_the_journal_writes_each_secret_masked(tmp_path: Path, text: str, secret: str,
                                               shown: str) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.step_started("x.md#y", 1, text)
    journal.step_output("x.md#y", 1, text.split("\n"))
    raw = path.read_text()
    assert secret not in raw
    started, output = (json.loads(line) for line in raw.splitlines())
    assert started["command"] == shown
    assert output["tail"] == shown.split("\n")  # a key's inner lines too, one by one


def test_runbooks_show_masks_every_secret_shape(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # a fence belongs to its list item when indented as far as the item's text: 3 spaces
    # under "9. ", 4 under "10. " (CommonMark)
    steps = "".join(f"{n}. Step {n}:\n\n{pad}```bash\n"
                    + "".join(f"{pad}{line}\n" for line in text.split("\n")) + f"{pad}```\n\n"
                    for n, (_, text, _, _) in enumerate(CASES, 1)
                    for pad in [" " * len(f"{n}. ")])
    (tmp_path / "ops.md").write_text(f"## Secrets everywhere\n\n{steps}")
    assert main(["runbooks", "show", "ops.md#secrets-everywhere",
                 "--runbooks", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for case_id, _, secret, shown in CASES:
        assert secret not in out, case_id
        for line in shown.split("\n"):
            assert line in out, (case_id, line)
