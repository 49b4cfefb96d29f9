"""The whole ranking for an alert across the team's and the bundled runbooks, pinned: order,
scores, reasons, and the tie-breaks (a team section of equal score comes before a bundled
one, below the heading threshold too; then document order)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbooks.library import load_library
from runbooks.match import HEADING_MATCH, Match, canonical_for, match
from tui.cli import main


def _team_library(folder: Path) -> Path:
    """A heading match, a runbook whose title (not its headings) names the condition, and
    a chores note that says "disk is full" only in its text."""
    (folder / "notes.md").write_text("## Weekly chores\n\nIf the disk is full, page the "
                                     "storage team.\n\n1. `uptime`\n")
    (folder / "storage.md").write_text("## Storage is full\n\n1. `df -h`\n")
    (folder / "k8s").mkdir()
    (folder / "k8s" / "disk-full.md").write_text(
        "# Disk full on the build runners\n\n## Clean up\n\n1. `docker system df`\n\n"
        "## Background\n\nRunners keep images.\n")
    return folder


def _rows(ranked: list[Match]) -> list[tuple[str, float, str, bool]]:
    return [(m.section.ref, m.score, m.reason, m.section.bundled) for m in ranked]


DISK_FULL = [
    # the team's sections about the alert (heading or title, >= HEADING_MATCH) first
    ("storage.md#storage-is-full", 80.0, "alert words in the heading", False),
    ("k8s/disk-full.md#clean-up", 79.0, "alert words in the runbook's title", False),
    ("k8s/disk-full.md#background", 72.0, "alert words in the runbook's title", False),
    # then everything else by score: the bundled runbook's own section
    ("host.md#disk-full", 96.0, "front matter names the alert", True),
    # equal scores under the threshold: the team's before the bundled one
    ("notes.md#weekly-chores", 30.0, "alert words in the text", False),
    ("database.md#database-unreachable", 30.0, "alert words in the text", True),
]


def test_the_whole_ranking_for_an_alert(tmp_path: Path) -> None:
    ranked = match(load_library([_team_library(tmp_path)]), "DiskFull")
    assert _rows(ranked) == DISK_FULL
    assert {m.name for m in ranked} == {"DiskFull"}
    assert HEADING_MATCH == 50.0


def test_below_the_heading_threshold_a_team_section_wins_only_ties(tmp_path: Path) -> None:
    """notes.md scores 30: under 50 it is no heading match, so it stays below the bundled
    96; at 30 against the bundled 30 the team's comes first, whichever file loads first."""
    ranked = match(load_library([_team_library(tmp_path)]), "DiskFull")
    under = [m for m in ranked if m.score < HEADING_MATCH]
    assert [(m.section.ref, m.section.bundled) for m in under] == [
        ("notes.md#weekly-chores", False), ("database.md#database-unreachable", True)]
    assert ranked.index(under[0]) == ranked.index(
        next(m for m in ranked if m.section.ref == "host.md#disk-full")) + 1


def test_equal_bundled_scores_keep_document_order() -> None:
    lib = load_library([])
    assert _rows(match(lib, "PostgresReplicationLag")) == [
        ("database.md#database-unreachable", 13.1, "alert words in the text", True),
        ("service.md#high-latency", 13.1, "alert words in the text", True)]
    assert _rows(match(lib, "NginxWorkerCrash")) == [
        ("redis.md#task-queue-stuck", 12.0, "alert words in the text", True),
        ("service.md#service-down", 12.0, "alert words in the text", True)]


def test_another_name_for_the_condition_reaches_the_same_sections(tmp_path: Path) -> None:
    ranked = match(load_library([_team_library(tmp_path)]), "NodeFilesystemSpaceFillingUp")
    assert _rows(ranked) == [
        ("storage.md#storage-is-full", 58.6, "alert words in the heading", False),
        ("k8s/disk-full.md#clean-up", 57.5, "alert words in the heading", False),
        ("k8s/disk-full.md#background", 50.6, "alert words in the runbook's title", False),
        ("host.md#disk-full", 79.0, "NodeFilesystemSpaceFillingUp is DiskFull by another name",
         True),
        ("database.md#database-unreachable", 10.8, "alert words in the text", True),
        ("notes.md#weekly-chores", 7.2, "alert words in the text", False)]
    assert ranked[3].name == "DiskFull"


@pytest.mark.parametrize(("alert", "first", "name"), [
    ("DiskFull", ("host.md#disk-full", 96.0, "front matter names the alert"), "DiskFull"),
    # a label after the name, spaces, and case do not change which alert it is
    (" diskfull:web-1 ", ("host.md#disk-full", 96.0, "front matter names the alert"),
     "diskfull"),
    ("DISKFULL", ("host.md#disk-full", 96.0, "front matter names the alert"), "DISKFULL"),
    # written with an underscore it is DiskFull by another name
    ("disk_full", ("host.md#disk-full", 79.0, "disk_full is DiskFull by another name"),
     "DiskFull"),
])
def test_alert_names_are_normalised(alert: str, first: tuple[str, float, str],
                                    name: str) -> None:
    ranked = match(load_library([]), alert)
    assert (ranked[0].section.ref, ranked[0].score, ranked[0].reason) == first
    assert ranked[0].name == name


def test_a_mapping_comes_first_in_its_order_and_skips_unknown_refs(tmp_path: Path) -> None:
    lib = load_library([_team_library(tmp_path)])
    mapping = {"DISKFULL": ["notes.md#weekly-chores", "nope.md#x", "host.md#disk-full"],
               "Other": ["storage.md#storage-is-full"]}
    ranked = match(lib, "DiskFull", mapping, limit=4)
    assert [(m.section.ref, round(m.score, 6), m.reason) for m in ranked] == [
        ("notes.md#weekly-chores", 100.0, "mapped in the config"),
        ("host.md#disk-full", 99.8, "mapped in the config"),
        ("storage.md#storage-is-full", 80.0, "alert words in the heading"),
        ("k8s/disk-full.md#clean-up", 79.0, "alert words in the runbook's title")]
    assert _rows(match(lib, "DiskFull", {"Other": ["storage.md#storage-is-full"]})) == DISK_FULL


def test_nothing_about_the_alert_is_an_empty_answer_and_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    books = str(_team_library(tmp_path))
    assert match(load_library([Path(books)]), "PrinterOnFire") == []
    assert match(load_library([Path(books)], bundled=False), "ContainerDown:web") == []
    assert main(["runbooks", "match", "PrinterOnFire", "--runbooks", books]) == 1
    assert capsys.readouterr().out == "No runbook section matches PrinterOnFire.\n"
    assert main(["runbooks", "match", "PrinterOnFire", "--json", "--runbooks", books]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_the_cli_prints_the_ranking_with_the_teams_sections_marked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    books = str(_team_library(tmp_path))
    assert main(["runbooks", "match", "DiskFull", "--runbooks", books]) == 0
    assert capsys.readouterr().out.splitlines() == [
        " 80.0  storage.md#storage-is-full  Storage is full  — alert words in the heading  (yours)",
        " 79.0  k8s/disk-full.md#clean-up  Clean up  — alert words in the runbook's title  (yours)",
        " 72.0  k8s/disk-full.md#background  Background  — alert words in the runbook's title"
        "  (yours)",
        " 96.0  host.md#disk-full  Disk full  — front matter names the alert",
        " 30.0  notes.md#weekly-chores  Weekly chores  — alert words in the text  (yours)",
        " 30.0  database.md#database-unreachable  Database unreachable  — alert words in the text"]
    assert main(["runbooks", "match", "DiskFull", "--json", "--runbooks", books]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"ref": ref, "title": title, "score": score, "reason": reason}
        for (ref, score, reason, _), title in zip(DISK_FULL, [
            "Storage is full", "Clean up", "Background", "Disk full", "Weekly chores",
            "Database unreachable"], strict=True)]


@pytest.mark.parametrize(("alert", "canonical"), [
    ("InstanceDown", "ServiceDown"), ("NodeFilesystemSpaceFillingUp", "DiskFull"),
    ("KubePodCrashLooping", "ContainerDown"), ("PgbouncerConnectionsHigh", "DBPoolExhaustion"),
    ("CeleryQueueBacklog", "TaskQueueStuck"), ("Http5xxRateHigh", "HighErrorRate"),
    ("PostgresSlowQueries", "LongRunningQuery"), ("RedisMemoryFragmentation", "RedisMemoryHigh"),
    ("NodeMemoryPressure", "MemoryHigh"), ("ContainerOOMKilled", "MemoryHigh"),
    ("ApiLatencyHigh", "HighLatency"),
    # a canonical name, in any case, and an unknown one have none
    ("ContainerDown", None), ("diskfull", None), ("PrinterOnFire", None),
])
def test_each_condition_has_its_canonical_alert(alert: str, canonical: str | None) -> None:
    assert canonical_for(alert) == canonical


def test_a_canonical_alert_and_a_teams_name_for_it_reach_each_other(tmp_path: Path) -> None:
    (tmp_path / "pg.md").write_text("## Slow queries\n\n**Alert**: PostgresSlowQueries\n\n"
                                    "1. `psql -c \"select 1\"`\n")
    lib = load_library([tmp_path])
    ranked = match(lib, "LongRunningQuery")
    assert _rows(ranked) == [
        ("pg.md#slow-queries", 81.0, "declares PostgresSlowQueries, the same condition", False),
        ("database.md#long-running-query", 96.0, "front matter names the alert", True),
        ("service.md#high-latency", 30.0, "alert words in the text", True)]
    assert ranked[0].name == "PostgresSlowQueries"
    ranked = match(lib, "PostgresSlowQueries")
    assert _rows(ranked) == [
        ("pg.md#slow-queries", 92.0, "the section declares the alert", False),
        ("database.md#long-running-query", 79.0,
         "PostgresSlowQueries is LongRunningQuery by another name", True),
        ("database.md#database-unreachable", 30.0, "alert words in the text", True),
        ("service.md#high-latency", 30.0, "alert words in the text", True)]
    assert ranked[1].name == "LongRunningQuery"


def test_generic_words_weigh_less_and_another_components_heading_loses_10(
        tmp_path: Path) -> None:
    """HighErrorRate hits only "errors" (high and rate are generic, weighed 0.3): 60; a
    heading about the API or a queue is about another component: 50 each."""
    (tmp_path / "ops.md").write_text(
        "## API errors\n\n1. `uptime`\n\n## Queue worker errors\n\n1. `uptime`\n\n"
        "## Queries running for hours\n\n1. `uptime`\n\n## Volume of the pvc is full\n\n"
        "1. `df -h`\n")
    lib = load_library([tmp_path], bundled=False)

    def rows(alert: str) -> list[tuple[str, float]]:
        return [(m.section.slug, m.score) for m in match(lib, alert)]

    assert rows("HighErrorRate") == [("api-errors", 50.0), ("queue-worker-errors", 50.0)]
    assert rows("LongRunningQuery") == [("queries-running-for-hours", 80.0)]
    assert rows("PvcFull") == rows("DiskFull") == [("volume-of-the-pvc-is-full", 80.0)]
