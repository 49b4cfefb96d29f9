"""`opsdash runbooks list|show|match|lint` keep the JSON contract and pick the right runbook."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from panels.alerts import CANONICAL_ALERTS
from runbooks.library import load_library
from runbooks.lint import lint_library
from tui.cli import main

SAMPLES = Path(__file__).parent / "runbooks_samples"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_list_json_is_one_summary_per_section(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "runbooks", "list", "--json", "--runbooks", str(SAMPLES))
    assert isinstance(data, list)
    assert all(set(item) == {"ref", "title", "alerts", "steps", "commands"} for item in data)
    refs = [item["ref"] for item in data]
    assert refs.index("per_alert.md#higherrorrate") < refs.index("service.md#high-error-rate")
    errors = next(item for item in data if item["ref"] == "per_alert.md#higherrorrate")
    assert errors == {"ref": "per_alert.md#higherrorrate", "title": "HighErrorRate",
                      "alerts": ["HighErrorRate"], "steps": 4, "commands": 3}


def test_show_json_adds_steps_with_commands(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "runbooks", "show", "words_with_meta.md#immediate-actions-0-5-minutes",
                    "--json", "--runbooks", str(SAMPLES))
    assert isinstance(data, dict)
    assert data["ref"] == "words_with_meta.md#immediate-actions-0-5-minutes"
    steps = data["steps"]
    assert [s["checklist"] for s in steps] == [False, False, False, True]
    assert steps[1]["commands"][0]["code"] == "docker logs --tail 50 <container>"
    assert {k: steps[2]["commands"][0][k] for k in ("lang", "destructive")} == {
        "lang": "sql", "destructive": False}
    assert steps[3]["text"] == "Tell the incident channel what you found."


@pytest.mark.parametrize("alert", CANONICAL_ALERTS)
def test_match_ranks_the_bundled_section_for_every_canonical_alert_first(
        alert: str, capsys: pytest.CaptureFixture[str]) -> None:
    ranked = run_json(capsys, "runbooks", "match", alert, "--json")
    assert isinstance(ranked, list) and ranked
    assert set(ranked[0]) >= {"ref", "title", "score"}
    scores = [m["score"] for m in ranked]
    assert scores == sorted(scores, reverse=True)
    best = load_library([]).find(ranked[0]["ref"])
    assert best.bundled and alert in best.alerts
    assert len(best.steps) >= 3 and best.commands


def test_a_users_runbook_beats_a_bundled_one_of_equal_strength(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "disk.md").write_text(
        "---\nalerts: [DiskFull]\n---\n## Our disk fills up\n\n**Alert**: DiskFull\n\n"
        "1. Empty the upload cache: `find /srv/uploads/tmp -mtime +1 -delete`\n")
    ranked = run_json(capsys, "runbooks", "match", "DiskFull", "--json",
                      "--runbooks", str(tmp_path))
    assert isinstance(ranked, list)
    assert [m["ref"] for m in ranked[:2]] == ["disk.md#our-disk-fills-up", "host.md#disk-full"]
    assert ranked[0]["score"] == ranked[1]["score"]


def test_a_users_heading_match_ranks_above_a_bundled_front_matter_match(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The team's own section for the alert comes first even though the bundled one names
    the alert in its front matter (a stronger score); keyword-only user text does not."""
    (tmp_path / "queue.md").write_text("## Celery backlog\n\n1. `celery -A app inspect active`\n")
    (tmp_path / "notes.md").write_text("## Misc\n\nThe queue is sometimes stuck.\n\n"
                                       "1. `uptime`\n")
    ranked = run_json(capsys, "runbooks", "match", "TaskQueueStuck", "--json",
                      "--runbooks", str(tmp_path))
    assert isinstance(ranked, list)
    refs = [m["ref"] for m in ranked]
    assert refs[:2] == ["queue.md#celery-backlog", "redis.md#task-queue-stuck"]
    assert ranked[0]["score"] < ranked[1]["score"]  # ranked first all the same
    assert refs.index("notes.md#misc") > refs.index("redis.md#task-queue-stuck")


def test_words_in_a_heading_match_without_an_alert_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pg.md").write_text("## Postgres connection refused\n\n1. `pg_isready -h db`\n"
                                    "## Slow API responses\n\n1. `docker stats --no-stream`\n")
    lib = load_library([tmp_path], bundled=False)
    from runbooks.match import match

    assert match(lib, "DatabaseUnreachable")[0].section.ref == "pg.md#postgres-connection-refused"
    assert match(lib, "HighLatency")[0].section.ref == "pg.md#slow-api-responses"


def test_a_config_mapping_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    books = tmp_path / "books"
    books.mkdir()
    (books / "ours.md").write_text("## Anything\n\n1. `df -h /srv`\n")
    config = tmp_path / "opsdash.toml"
    config.write_text(f'[runbooks]\ndirs = ["{books}"]\n'
                      'map = { DiskFull = ["ours.md#anything"] }\n')
    ranked = run_json(capsys, "--config", str(config), "runbooks", "match", "DiskFull", "--json")
    assert isinstance(ranked, list)
    assert ranked[0]["ref"] == "ours.md#anything" and ranked[0]["score"] == 100.0


def test_bundled_runbooks_pass_lint() -> None:
    """Only "not on PATH" may differ by host, and only for a tool this host truly lacks."""
    problems = lint_library(load_library([]))
    for problem in problems:
        assert problem.message.startswith("command not found on PATH: "), str(problem)
        assert shutil.which(problem.message.rsplit(" ", 1)[-1]) is None


def test_lint_exit_code_follows_the_problems(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbooks", "lint", "--runbooks", str(SAMPLES)]) == 1
    out = capsys.readouterr().out
    assert "command not found on PATH: celery" in out
    assert "unknown placeholder $HEALTH_URL" in out



#: every command the bundled runbooks and the story below call: on PATH as stubs, so the
#: expected verdict is the same on every host (a new tool in a bundled runbook shows up
#: here as "command not found on PATH: X"; add X)
TOOLS = ("curl", "df", "dmesg", "docker", "du", "find", "free", "grep", "head",
         "pg_isready", "ps", "psql", "redis-cli", "sort", "tail")


@pytest.fixture
def stub_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holding only stubs of TOOLS: lint checks presence, it never runs them."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        stub = bin_dir / tool
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("HEALTH_URL", raising=False)
    return bin_dir


@pytest.mark.parametrize(("front_matter", "code", "problems"), [
    # the placeholder declared: nothing to say, exit 0
    ("---\nvars: [HEALTH_URL]\n---\n", 0, []),
    # the same step without the declaration: one error on the step's line, exit 1
    ("", 1, ["{path}:3: error: unknown placeholder $HEALTH_URL (declare it in front "
             "matter `vars:` or set it)"]),
])
def test_lint_on_a_users_runbook_says_exactly_what_is_wrong(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], stub_path: Path,
        front_matter: str, code: int, problems: list[str]) -> None:
    books = tmp_path / "books"
    books.mkdir()
    (books / "ok.md").write_text(front_matter + "## Check\n\n1. `curl -sS \"$HEALTH_URL\"`\n")

    assert main(["runbooks", "lint", "--runbooks", str(books)]) == code

    lines = capsys.readouterr().out.splitlines()
    assert lines[:-1] == [p.format(path=books / "ok.md") for p in problems]
    assert lines[-1].endswith(f": {len(problems)} errors, 0 warnings")


def test_bad_files_are_reported_not_raised(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "gone.md").symlink_to(tmp_path / "missing-target.md")
    (tmp_path / "alert-only.md").write_text("## DiskFull\n\nWe should write this one.\n")
    (tmp_path / "odd.md").write_text("```bash\nunterminated 'quote\n")
    assert main(["runbooks", "lint", "--runbooks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "binary.md: error: not UTF-8 text" in out
    assert "gone.md: error: cannot read" in out
    assert "alert-only.md#diskfull names alerts DiskFull but has no steps" in out
    assert "cannot read shell command" in out
    assert main(["runbooks", "list", "--runbooks", str(tmp_path)]) == 0
    assert "binary.md" in capsys.readouterr().err


def test_unknown_ref_is_one_line_with_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbooks", "show", "host.md#disk-ful"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith("opsdash: unknown runbook section 'host.md#disk-ful'; "
                          "did you mean host.md#disk-full")


def test_show_text_marks_destructive_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbooks", "show", "database.md#long-running-query"]) == 0
    out = capsys.readouterr().out
    assert "sql (destructive):" in out and "pg_terminate_backend(<pid>)" in out
