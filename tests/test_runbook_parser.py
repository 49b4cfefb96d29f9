"""The parser reads runbooks in the shapes real teams write, without configuration."""

from __future__ import annotations

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
