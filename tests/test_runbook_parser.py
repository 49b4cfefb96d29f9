"""The parser reads runbooks in the shapes real teams write, without configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runbooks.model import Runbook, Section
from runbooks.parser import classify_block, is_command_line, parse_runbook, slugify

SAMPLES = Path(__file__).parent / "runbooks_samples"


def load(name: str) -> Runbook:
    return parse_runbook((SAMPLES / name).read_text(), name, source=SAMPLES / name)


def section(rb: Runbook, slug: str) -> Section:
    found = [s for s in rb.sections if s.slug == slug]
    assert found, f"no {slug} in {[s.slug for s in rb.sections]}"
    return found[0]


def codes(sec: Section) -> list[str]:
    return [c.code for c in sec.commands]


def test_one_section_per_alert_named_in_the_heading() -> None:
    rb = load("per_alert.md")
    assert rb.title == "Service alerts"
    assert [s.ref for s in rb.sections] == ["per_alert.md#higherrorrate",
                                           "per_alert.md#highlatency"]
    errors = section(rb, "higherrorrate")
    assert errors.alerts == ("HighErrorRate",)
    assert errors.parents == ("Service alerts",)
    assert [s.text.split(":")[0] for s in errors.steps] == [
        "Look at the error ratio on the traffic panel and note when it started.",
        "Read the last errors from the API container", "Check the recent deploys",
        "Roll back if a deploy lines up with the spike"]
    assert errors.steps[0].checklist and not errors.steps[0].runnable
    assert codes(errors) == ["docker logs --since 10m api", "git -C /srv/app log --oneline -5",
                             "docker restart api"]
    assert [c.destructive for c in errors.commands] == [False, False, True]
    latency = section(rb, "highlatency")
    sql = latency.steps[1].commands[0]
    assert sql.lang == "sql" and "pg_stat_activity" in sql.code and not sql.destructive
    curl = latency.steps[0].commands[0]
    assert curl.placeholders == ("HEALTH_URL",)  # curl's %{time_total} is not a placeholder


def test_worded_titles_with_alert_lines_nested_fences_and_checklists() -> None:
    rb = load("words_with_meta.md")
    top = section(rb, "database-connection-failures")
    assert top.alerts == ("DatabaseUnreachable",)
    assert (top.severity, top.duration, top.level) == ("P1", "15 minutes", 2)
    # the symptoms list is notes, the immediate actions and the checklist are steps
    assert [s.text.splitlines()[0] for s in top.steps] == [
        "Check that Postgres answers:", "Look at the server log for the last crash:",
        "Count connections by state:", "Tell the incident channel what you found.",
        "The postgres panel is green", "Error rate back under 1%", "Incident channel informed"]
    actions = section(rb, "immediate-actions-0-5-minutes")
    assert actions.duration == "0-5 minutes"
    assert actions.parents == ("Database runbook", "Database connection failures")
    assert [c.lang for c in actions.commands] == ["bash", "bash", "sql"]
    log_step = actions.steps[1]
    assert [b.lang for b in log_step.blocks] == ["bash", "log"]
    assert [b.runnable for b in log_step.blocks] == [True, False]
    assert log_step.commands[0].placeholders == ("container",)
    checklist = section(rb, "recovery-checklist")
    assert all(s.task and s.checklist for s in checklist.steps)
    assert len(checklist.steps) == 3


def test_numbered_headings_with_emoji_causes_and_fix_labels() -> None:
    rb = load("emoji_numbered.md")
    outage = section(rb, "p0-complete-system-outage")
    assert outage.title == "🔥 P0: Complete System Outage"
    assert outage.severity == "P0" and outage.alerts == ("ServiceDown",)
    assert codes(outage) == ['curl -sS -m 5 "$HEALTH_URL"', "docker start postgres",
                             "docker system prune -f"]
    assert outage.steps[0].text == "Run from a host outside the cluster:"
    cause_b = section(rb, "cause-b-disk-full")
    assert cause_b.level == 4
    assert cause_b.parents == ("Incident Runbook", "🔥 P0: Complete System Outage",
                               "2. Find the cause")
    assert cause_b.steps[0].label == "Fix" and cause_b.steps[0].destructive
    slow = section(rb, "p2-slow-responses-10-20-min")
    assert (slow.severity, slow.duration) == ("P2", "10-20 min")
    assert codes(slow) == ["docker stats --no-stream", "docker restart <worker>"]


def test_bold_labels_with_inline_commands_and_front_matter() -> None:
    rb = load("bold_labels.md")
    assert rb.alerts == ("TaskQueueStuck",) and rb.variables == ("REDIS_URL",)
    jobs = section(rb, "jobs-not-running")
    assert jobs.explicit_alerts == ("TaskQueueStuck",)
    assert [s.label for s in jobs.steps] == ["What to check"] * 3 + ["What to do"] * 2 + [
        "How to confirm fixed"] * 2
    # "`celery`" and "`docker-compose.yml`" are names, not commands
    assert not jobs.steps[2].runnable
    assert jobs.steps[3].commands[0].code == "python -m app.jobs.run --job <name> --once"
    assert jobs.steps[3].commands[0].placeholders == ("name",)
    assert jobs.steps[4].destructive  # celery purge
    assert jobs.steps[6].task and not jobs.steps[6].runnable


def test_prose_procedures_tables_and_blocks_that_are_not_commands() -> None:
    rb = load("prose_table.md")
    prose = section(rb, "failing-over-by-hand")
    assert len(prose.steps) == 3 and all(s.checklist for s in prose.steps)
    table = section(rb, "quick-reference")
    assert [s.text.split(" | ")[0] for s in table.steps] == ["Disk almost full",
                                                             "Too many inodes"]
    assert [c.code for c in table.steps[0].commands] == ["df -h /", "docker image prune -af"]
    examples = section(rb, "examples")
    assert [(b.lang, b.runnable) for b in examples.blocks] == [
        ("text", False), ("json", False), ("", False), ("console", True), ("", True)]
    console = examples.steps[0].commands[0]
    assert console.code == "df -h /var/lib/docker\ndu -sh /var/lib/docker/containers"
    assert codes(examples)[1] == "docker ps --filter status=exited"


@pytest.mark.parametrize(("text", "expected"), [
    ("python -m app.jobs.run --job <name> --once", True),
    ("docker ps", True),
    ("$ df -h", True),
    ("./scripts/drain.sh web", True),
    ("mytool --check", True),
    ("celery", False),
    ("docker-compose.yml", False),
    ("database.ok", False),
    ("connection refused", False),
])
def test_which_inline_code_is_a_command_line(text: str, expected: bool) -> None:
    assert is_command_line(text) is expected


def test_untagged_block_is_a_command_only_when_every_line_looks_like_one() -> None:
    assert classify_block("", "docker ps\ncurl -s http://x", 1)[1] is not None
    assert classify_block("", "ERROR worker crashed\nTraceback", 1)[1] is None
    assert classify_block("console", "Filesystem Size\n/dev/sda1 50G", 1)[1] is None
    assert classify_block("text", "docker ps", 1)[1] is None


def test_front_matter_that_is_not_key_values_is_left_to_markdown() -> None:
    rb = parse_runbook("---\nJust a rule and a heading\n---\n\n1. step `df -h`\n", "x.md")
    assert rb.alerts == ()
    assert [s.title for s in rb.sections] == ["Just a rule and a heading"]
    assert rb.sections[0].commands[0].code == "df -h"


def test_file_without_headings_is_one_section_named_after_it() -> None:
    rb = parse_runbook("alerts go here\n\n```bash\nuptime\n```\n", "team/quick.md")
    assert [s.ref for s in rb.sections] == ["team/quick.md#quick"]
    assert rb.sections[0].commands[0].code == "uptime"


def test_duplicate_headings_get_numbered_slugs() -> None:
    rb = parse_runbook("## Fix\n1. `df -h`\n## Fix\n1. `df -i`\n", "d.md")
    assert [s.slug for s in rb.sections] == ["fix", "fix-1"]
    assert slugify("🔥 P0: Complete System Outage") == "p0-complete-system-outage"


# ---- alert identity, in the shapes the public corpus showed -------------------------

ONE_ALERT = """---
title: Kube Pod Crash Looping
weight: 20
---

# KubePodCrashLooping

## Meaning

Pod is in CrashLoop which means the app dies:

- the app exits on start
- probes fail

## Diagnosis

- Check pod events via `kubectl -n $NAMESPACE describe pod $POD`.

Other things to check:

- missing configmaps or secrets

## Mitigation

Talk with developers.
"""


def test_a_lone_camelcase_h1_names_the_alert_of_every_section_below() -> None:
    rb = parse_runbook(ONE_ALERT, "team/KubePodCrashLooping.md")
    assert [s.slug for s in rb.sections] == ["meaning", "diagnosis", "mitigation"]
    assert all(s.alerts == ("KubePodCrashLooping",) for s in rb.sections)
    assert rb.title == "Kube Pod Crash Looping"


def test_bullets_under_meaning_are_notes_and_a_colon_paragraph_does_not_flip_them() -> None:
    rb = parse_runbook(ONE_ALERT, "k.md")
    assert section(rb, "meaning").steps == ()
    diagnosis = section(rb, "diagnosis")
    # "Other things to check:" keeps Diagnosis's list items as steps
    assert [s.text for s in diagnosis.steps][-1] == "missing configmaps or secrets"
    assert codes(diagnosis) == ["kubectl -n $NAMESPACE describe pod $POD"]


@pytest.mark.parametrize(("text", "alerts"), [
    ('##### Alert Name: "KubeAPIDown"\n+ *Message*: `gone`\n', ["KubeAPIDown"]),
    ("##### Alert Name: KubeletDown\n+ *Severity*: critical\n", ["KubeletDown"]),
    ("## Disk\n\n**Alert Name:** `DiskSpaceLow`\n\n1. `df -h`\n", ["DiskSpaceLow"]),
    ("## Disk\n\n- **Alert Name:** `DiskSpaceLow`\n- **Severity:** warning\n\n1. `df -h`\n",
     ["DiskSpaceLow"]),
    ("## Disk\n\n*Alert*: DiskFull\n\n1. `df -h`\n", ["DiskFull"]),
    ("## Architecture\n\n### CPUs\n\nRedis is single threaded.\n", []),
])
def test_alert_lines_in_any_emphasis_and_heading_level(text: str, alerts: list[str]) -> None:
    rb = parse_runbook(text, "x.md")
    assert sorted({a for s in rb.sections for a in s.alerts}) == alerts


def test_an_alert_table_names_the_alerts_of_its_section() -> None:
    text = ("# Alerts\n\n## thanos-compact\n\n|Name|Summary|Severity|\n|---|---|---|\n"
            "|ThanosCompactHalted|Compact halted.|warning|\n"
            "|ThanosCompactIsDown|Gone.|critical|\n\n## other\n\nText.\n")
    rb = parse_runbook(text, "thanos.md")
    assert section(rb, "thanos-compact").alerts == ("ThanosCompactHalted", "ThanosCompactIsDown")
    assert section(rb, "other").alerts == ()


def test_the_file_name_and_a_code_span_in_the_title_name_the_alert() -> None:
    rb = parse_runbook("# KubeAPIDown\n\nMoved to [there](https://x/y.md)\n", "KubeAPIDown.md")
    assert rb.sections[0].alerts == ("KubeAPIDown",)
    rb = parse_runbook("# `pg_xid_wraparound` Saturation Alert\n\n## Risk\n\n1. Vacuum.\n",
                       "pg.md")
    assert rb.sections[0].alerts == ("pg_xid_wraparound",)


def test_an_erb_title_heading_yields_to_the_front_matter_title() -> None:
    rb = parse_runbook("---\ntitle: Troubleshooting guide\n---\n\n# <%= current_page.data.title %>"
                       "\n\n## Logs\n\n1. `kubectl logs x`\n", "t.md")
    assert rb.title == "Troubleshooting guide"


def test_anchor_ids_become_the_slug_never_the_title() -> None:
    rb = parse_runbook("# Disk {#disk}\n\n## Mitigation {#fix-disk .unnumbered}\n\n"
                       "1. `df -h`\n\n## Diagnosis\n\n1. `du -sh /var`\n", "d.md")
    assert [(s.slug, s.title) for s in rb.sections] == [
        ("fix-disk", "Mitigation"), ("diagnosis", "Diagnosis")]
    assert rb.title == "Disk"


# ---- commands judged line by line ---------------------------------------------------

def test_psql_transcript_gives_sql_and_keeps_output_out() -> None:
    block, cmd = classify_block("sql", "locktest=# begin;\nBEGIN\nlocktest=# lock TABLE t ;\n"
                                "LOCK TABLE\n", 1)
    assert cmd is not None and cmd.lang == "sql"
    assert cmd.code == "begin;\nlock TABLE t ;"
    assert block.runnable


def test_redis_prompt_lines_are_redis_commands_whatever_the_fence_says() -> None:
    info = "REDISCLI_AUTH=$(sudo grep ^masterauth /etc/redis.conf) redis-cli"
    _, cmd = classify_block(info, "127.0.0.1:6379> SLOWLOG GET 10\n1) (integer) 4\n", 1)
    assert cmd is not None and (cmd.lang, cmd.code) == ("redis", "SLOWLOG GET 10")


def test_config_lines_in_a_shell_fence_are_not_commands() -> None:
    _, cmd = classify_block("bash", '# From the alert\ninstance: "10.0.0.1:9100"\n'
                            'mountpoint: "/var"\n', 1)
    assert cmd is None
    _, cmd = classify_block("bash", 'mountpoint: "/var"\ndf -h /var\n', 1)
    assert cmd is not None and cmd.code == "df -h /var"


@pytest.mark.parametrize("info", ["console", "promql", "text", "yaml", "json"])
def test_promql_labels_and_output_are_shown_never_run(info: str) -> None:
    assert classify_block(info, "node_filesystem_free_bytes\n", 1)[1] is None
    assert classify_block(info, " - alertname = KubeNodeNotReady\n ...\n", 1)[1] is None


def test_a_command_named_inside_a_sentence_is_not_a_step() -> None:
    rb = parse_runbook("## Tips\n\nIf Redis is using large amounts of memory you can use "
                       "`redis-cli --bigkeys` to find out what those things might be.\n\n"
                       "Run `redis-cli info memory`.\n\n`kubectl -n x get pods`\n", "r.md")
    assert codes(rb.sections[0]) == ["redis-cli info memory", "kubectl -n x get pods"]


# ---- reading files --------------------------------------------------------------------

def test_only_regular_files_up_to_the_size_limit_are_read(tmp_path: Path) -> None:
    import os

    from runbooks.library import load_library

    (tmp_path / "ok.md").write_text("## Fine\n\n1. `uptime`\n")
    (tmp_path / "big.md").write_text("## Big\n\n" + "x" * 5000 + "\n")
    os.mkfifo(tmp_path / "pipe.md")
    lib = load_library([tmp_path], bundled=False, max_bytes=4096)
    assert [rb.file for rb in lib.runbooks] == ["ok.md"]
    problems = {p.file.rsplit("/", 1)[-1]: p.message for p in lib.problems}
    assert "FIFO" in problems["pipe.md"] and "limit" in problems["big.md"]
    assert len(load_library([tmp_path], bundled=False).runbooks) == 2


def _calls_to_parse(text: str) -> int:
    """Python and C function calls made while parsing `text`: a count of work, the same
    on a quiet laptop and a loaded CI core (a clock is not)."""
    import sys
    from types import FrameType

    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        parse_runbook(text, "big.md")
    finally:
        sys.setprofile(None)
    return calls


def _headings(n: int) -> str:
    return "".join(f"## Section {i}\n\nSome text {i}.\n\n" for i in range(n))


def _table(cols: int) -> str:
    return ("| " + " | ".join(f"c{i}" for i in range(cols)) + " |\n|" + "---|" * cols + "\n"
            + ("| " + " | ".join(f"v{i}" for i in range(cols)) + " |\n") * 3)


@pytest.mark.parametrize("build, n", [(_headings, 500), (_table, 250)],
                         ids=["headings", "table-columns"])
def test_parsing_work_grows_linearly(build: Callable[[int], str], n: int) -> None:
    """Four times the headings (or table columns) costs four times the calls: measured
    3.97x and 4.00x; a quadratic step would make it ~16x, an n log n sort ~4.8x."""
    small, big = _calls_to_parse(build(n)), _calls_to_parse(build(4 * n))
    assert 3.5 < big / small < 4.4


def test_ten_thousand_headings_all_become_sections() -> None:
    assert len(parse_runbook(_headings(10000), "big.md").sections) == 10000


# ---- lint: errors are the file's real problems ----------------------------------------

def test_lint_warns_once_per_missing_tool_and_keeps_config_sections(tmp_path: Path) -> None:
    from runbooks.library import load_library
    from runbooks.lint import lint_library

    (tmp_path / "a.md").write_text(
        "## Check\n\n1. `frobctl status --all`\n2. `frobctl restart --all`\n\n"
        "## Example config\n\n```yaml\nretention: 15d\n```\n\n"
        "## Query\n\n```promql\nup == 0\n```\n")
    problems = lint_library(load_library([tmp_path], bundled=False), env={}, path="")
    tools = [p for p in problems if "not found on PATH" in p.message]
    assert len(tools) == 1 and tools[0].severity == "warning"
    assert not [p for p in problems if p.severity == "error"], problems


def test_lint_errors_stay_for_real_problems(tmp_path: Path) -> None:
    from runbooks.library import load_library
    from runbooks.lint import lint_library

    (tmp_path / "a.md").write_text("## DiskFull\n\nWe should write this one.\n\n"
                                   "## Other\n\n1. `curl -sS \"$HEALTH_URL\"`\n")
    (tmp_path / "moved.md").write_text("# KubeAPIDown\n\nMoved to [there](https://x/y.md)\n")
    errors = [p.message for p in lint_library(load_library([tmp_path], bundled=False),
                                              env={}, path="/usr/bin:/bin")
              if p.severity == "error"]
    assert any("unknown placeholder $HEALTH_URL" in m for m in errors)
    assert any("a.md#diskfull names alerts DiskFull but has no steps" in m for m in errors)
    assert not any("moved.md" in m for m in errors)  # a pointer elsewhere is not empty


def test_headings_inside_list_items_keep_their_nested_steps() -> None:
    """`- #### AlertName` followed by nested bullets, as some alert charts write them."""
    text = ("## Database alerts\n\n- #### PostgresDown\n  - Describe the CR and restart the pods\n"
            "  - Check pod status: `kubectl describe pod pg-0 -n db`\n"
            "- #### PostgresTooManyConnections | PostgresHighQPS\n"
            "  - Increase `max_connections`\n\n## After\n\n1. `df -h`\n")
    rb = parse_runbook(text, "remedy.md")
    down = section(rb, "postgresdown")
    assert down.alerts == ("PostgresDown",)
    assert [s.text for s in down.steps] == [
        "Describe the CR and restart the pods",
        "Check pod status: `kubectl describe pod pg-0 -n db`"]
    assert codes(down) == ["kubectl describe pod pg-0 -n db"]
    many = section(rb, "postgrestoomanyconnections-postgreshighqps")
    assert many.alerts == ("PostgresTooManyConnections", "PostgresHighQPS")
    assert len(many.steps) == 1
    assert codes(section(rb, "after")) == ["df -h"]


def test_a_fence_after_output_is_output_whatever_its_tag() -> None:
    rb = parse_runbook("## Status\n\n```shell\nkubectl cnpg status x\n```\n\nOutput:\n\n"
                       "```shell\nCluster in healthy state\nName:   x\n```\n", "s.md")
    assert codes(rb.sections[0]) == ["kubectl cnpg status x"]
    assert [b.runnable for b in rb.sections[0].blocks] == [True, False]


def test_config_stanzas_and_crontab_entries_in_a_shell_fence_are_not_commands() -> None:
    _, cmd = classify_block("bash", "sudo apt-get install logrotate\n/var/log/app/*.log {\n"
                            "    daily\n    postrotate\n        systemctl reload app\n"
                            "    endscript\n}\n", 1)
    assert cmd is not None and cmd.code == "sudo apt-get install logrotate"
    _, cmd = classify_block("bash", "crontab -e\n\n# weekly\n0 2 * * 0 docker system prune -af\n",
                            1)
    assert cmd is not None and "docker system prune" not in cmd.code


def test_lint_reports_unclosed_fences_and_broken_links_between_runbooks(tmp_path: Path) -> None:
    from runbooks.library import load_library
    from runbooks.lint import lint_library

    (tmp_path / "db.md").write_text("## Database down\n\n1. `pg_isready -h db`\n\n"
                                    "## Pods / Events\n\n1. `kubectl get events`\n")
    (tmp_path / "a.md").write_text(
        "## Fix\n\n1. See [the database](db.md#database-down), [events](db.md#pods--events),"
        " [gone](db.md#no-such-section), [other](elsewhere/x.md), [web](https://x/y.md).\n\n"
        "````\n$ ls -l\n```\n")
    problems = lint_library(load_library([tmp_path], bundled=False), env={}, path="/bin")
    errors = sorted(p.message for p in problems if p.severity == "error")
    assert errors == ["broken link db.md#no-such-section: db.md has no section #no-such-section",
                      "code fence is never closed: the rest of the file reads as code"]
    warnings = [p.message for p in problems if p.severity == "warning"]
    assert any("no runbook elsewhere/x.md" in w for w in warnings)
