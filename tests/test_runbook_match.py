"""Matching alerts to sections: declared names, the same condition under other names,
BM25 over the library's headings, and no answer when nothing is relevant."""

from __future__ import annotations

from pathlib import Path

from runbooks.library import load_library
from runbooks.match import canonical_for, match, split_alert


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


ONE_ALERT = ("# KubePodCrashLooping\n\n## Meaning\n\nThe pod restarts.\n\n## Impact\n\nOutage.\n\n"
             "## Diagnosis\n\n- `kubectl -n $NS describe pod $POD`\n\n## Mitigation\n\n"
             "- `kubectl -n $NS rollout undo deploy/$APP`\n")


def test_names_split_on_case_underscores_and_dashes() -> None:
    assert split_alert("DBPoolExhaustion") == ["db", "pool", "exhaustion"]
    assert split_alert("pg_xid_wraparound") == ["pg", "xid", "wraparound"]
    assert split_alert("task-queue-Stuck") == ["task", "queue", "stuck"]


def test_a_one_alert_runbook_opens_on_diagnosis_then_mitigation(tmp_path: Path) -> None:
    write(tmp_path, "k8s/KubePodCrashLooping.md", ONE_ALERT)
    ranked = match(load_library([tmp_path]), "KubePodCrashLooping")
    assert [m.section.slug for m in ranked[:2]] == ["diagnosis", "mitigation"]
    assert ranked[0].reason == "the runbook declares the alert"
    assert ranked[0].name == "KubePodCrashLooping"
    own = [m.section.slug for m in ranked if not m.section.bundled]
    assert set(own[-2:]) == {"meaning", "impact"}  # information last


def test_a_canonical_alert_reaches_a_team_runbook_for_the_same_condition(
        tmp_path: Path) -> None:
    write(tmp_path, "k8s/KubePodCrashLooping.md", ONE_ALERT)
    ranked = match(load_library([tmp_path]), "ContainerDown")
    first = ranked[0]
    assert first.section.ref == "k8s/KubePodCrashLooping.md#diagnosis"
    assert first.name == "KubePodCrashLooping" and "same condition" in first.reason
    bundled = [m for m in ranked if m.section.bundled]
    assert bundled and ranked.index(bundled[0]) > 1  # the team's runbook comes first


def test_a_team_alert_without_a_team_runbook_reaches_the_bundled_one() -> None:
    assert canonical_for("KubePodCrashLooping") == "ContainerDown"
    assert canonical_for("NodeFilesystemSpaceFillingUp") == "DiskFull"
    assert canonical_for("TargetDown") == "ServiceDown"
    assert canonical_for("DatabasePoolExhaustion") == "DBPoolExhaustion"
    assert canonical_for("ContainerDown") is None
    first = match(load_library([]), "KubePodCrashLooping")[0]
    assert first.section.ref == "containers.md#container-down"
    assert first.name == "ContainerDown"


def test_nothing_relevant_is_an_empty_answer(tmp_path: Path) -> None:
    write(tmp_path, "misc.md", "## Out of office\n\nThe printer is on floor 2.\n\n"
                               "## Paper trail\n\n1. `ls /srv/audit`\n")
    lib = load_library([tmp_path])
    assert match(lib, "PrinterOutOfPaper") == []
    assert match(lib, "ZooKeeperEnsembleSplit") == []


def test_a_generic_word_or_a_topic_without_its_condition_never_matches(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "## Service overview\n\n1. `uptime`\n\n"
                                "## Disk layout\n\n1. `lsblk`\n\n"
                                "## Storage is full\n\n1. `df -h`\n")
    lib = load_library([tmp_path], bundled=False)
    assert [m.section.slug for m in match(lib, "DiskFull")] == ["storage-is-full"]
    assert match(lib, "ServiceHighRate") == []


def test_rare_words_weigh_more_than_common_ones(tmp_path: Path) -> None:
    """BM25 over the library's headings: "gateway" is in every heading, "payment" in one."""
    headings = ["Gateway latency", "Payment latency"] + [
        f"Gateway {w}" for w in ("config", "certs", "deploy", "scaling", "logs", "owners")]
    write(tmp_path, "gw.md", "".join(f"## {h}\n\n1. `uptime`\n\n" for h in headings))
    ranked = match(load_library([tmp_path], bundled=False), "PaymentGatewayLatency")
    assert [m.section.slug for m in ranked[:2]] == ["payment-latency", "gateway-latency"]
    assert ranked[0].score > ranked[1].score


def test_a_runbook_title_gives_its_sections_context(tmp_path: Path) -> None:
    write(tmp_path, "redis.md", "---\ntitle: Redis alerts\n---\n\nChecks: memory usage.\n\n"
                                "## Debugging tools for high memory usage\n\n"
                                "1. `redis-cli --bigkeys`\n\n## Clients\n\n1. `redis-cli info`\n")
    ranked = match(load_library([tmp_path]), "RedisMemoryHigh")
    assert ranked[0].section.ref == "redis.md#debugging-tools-for-high-memory-usage"


def test_a_runbook_file_name_and_compound_words_say_what_it_is_about(tmp_path: Path) -> None:
    """`PgBouncerSaturation`: the file is pgbouncer-saturation.md, its title says
    "PgBouncer connections" (one word for two of the alert's)."""
    write(tmp_path, "gitlab/pgbouncer-saturation.md",
          "# Sidekiq or Web/API is using most of its PgBouncer connections\n\n"
          "## Symptoms\n\nSlow requests.\n\n## Troubleshoot\n\n1. `pgb-console -c 'show pools'`\n")
    ranked = match(load_library([tmp_path]), "PgBouncerSaturation")
    assert ranked[0].section.ref == "gitlab/pgbouncer-saturation.md#troubleshoot"
