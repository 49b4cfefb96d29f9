"""One step runner, two doors: every case runs through `opsdash runbooks run` and through
the runbook pane (Pilot), and both must come out the same.

A case is a runbook step, the values given, whether the person says yes, and --read-only;
the outcome is what ran (its output), what was refused, and whether the victim survived.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from runbooks.journal import Journal
from runbooks.library import load_library
from runbooks.match import Match
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.redis import RedisServer
from tests.test_runbook_pane import wait_until
from tui.cli import main
from tui.dashboard.screens.confirm import ConfirmScreen
from tui.dashboard.screens.prompt import PromptScreen
from tui.dashboard.widgets.runbook_pane import RunbookPane
from tui.incident.session import RunbookSession, StepStatus

BOOK = """\
## Drill

1. Greet: `echo "hello <name>"`
2. Clean up:

   ```bash
   rm -rf <victim>
   ```
"""


@dataclass(frozen=True)
class Case:
    id: str
    step: int
    values: dict[str, str]
    yes: bool
    read_only: bool
    ran: bool
    output: str  # the step's output when it ran ("" when it did not)


def cases(victim: Path, marker: Path) -> list[Case]:
    hostile = f"x; touch {marker} $(touch {marker}) `touch {marker}` \\\" '"
    return [
        Case("read-only-runs-on-enter", 1, {"name": "db1"}, False, False, True, "hello db1"),
        Case("hostile-value-is-data", 1, {"name": hostile}, False, False, True,
             f"hello {hostile}"),
        Case("destructive-needs-yes", 2, {"victim": str(victim)}, False, False, False, ""),
        Case("destructive-after-yes", 2, {"victim": str(victim)}, True, False, True, ""),
        Case("read-only-locks-destructive", 2, {"victim": str(victim)}, True, True, False, ""),
    ]


def run_cli(books: Path, case: Case, journal: Path,
            capsys: pytest.CaptureFixture[str]) -> tuple[bool, str]:
    args = ["runbooks", "run", "ops.md#drill", "--step", str(case.step), "--runbooks",
            str(books), "--journal", str(journal)]
    args += [f"--var={k}={v}" for k, v in case.values.items()]
    if case.yes:
        args.append("--yes")
    if case.read_only:
        args.insert(0, "--read-only")
    rc = main(args)
    out = capsys.readouterr().out
    return rc == 0, out.rstrip("\n")


class PaneApp(App[None]):
    def __init__(self, session: RunbookSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield RunbookPane(self.session, None)


async def run_pane(books: Path, case: Case, journal: Path) -> tuple[bool, str]:
    section = load_library([books], bundled=False).find("ops.md#drill")
    session = RunbookSession([Match(section, 100.0, "test")], read_only=case.read_only,
                             journal=Journal(journal))
    app = PaneApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunbookPane)
        pane.steps.focus()
        index = case.step - 1
        pane.steps.highlighted = index
        await pilot.press("enter")
        locked = case.read_only and case.step == 2  # refused before any value is asked
        for name, value in ({} if locked else case.values).items():
            await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen),
                             what=f"the prompt for {name}")
            app.screen.query_one("Input").value = value  # type: ignore[attr-defined]
            await pilot.press("enter")
        if case.step == 2 and not case.read_only:
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                             what="the confirmation")
            await pilot.press("y" if case.yes else "escape")
        await wait_until(pilot, lambda: not pane.busy, what="the step to end")
        record = session.record(index)
        ran = record.status is StepStatus.DONE
        lines = [line for line in pane.output.text().splitlines()
                 if not line.startswith(("$", "▶", "✔", "✖", "🔒", "step ", "──"))
                 and line.strip()]
        return ran, "\n".join(lines[1:] if lines and lines[0].startswith("#") else lines)


def check(case: Case, ran: bool, output: str, victim: Path, marker: Path,
          journal: Path) -> None:
    assert ran is case.ran
    assert not marker.exists()
    assert victim.exists() is not (case.step == 2 and case.ran)
    if case.output:
        assert output.splitlines()[-1] == case.output
    started = journal.read_text().count('"step_started"') if journal.exists() else 0
    assert started == (1 if case.ran else 0)


def setup(tmp_path: Path, index: int) -> tuple[Path, Case, Path, Path, Path]:
    books = tmp_path / "books"
    books.mkdir()
    (books / "ops.md").write_text(BOOK)
    victim = tmp_path / "victim"
    victim.mkdir()
    marker = tmp_path / "pwned"
    return books, cases(victim, marker)[index], victim, marker, tmp_path / "journal.jsonl"


IDS = [c.id for c in cases(Path(), Path())]


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_through_the_cli(index: int, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    books, case, victim, marker, journal = setup(tmp_path, index)
    ran, output = run_cli(books, case, journal, capsys)
    check(case, ran, output, victim, marker, journal)


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
async def test_through_the_pane(index: int, tmp_path: Path) -> None:
    books, case, victim, marker, journal = setup(tmp_path, index)
    ran, output = await run_pane(books, case, journal)
    check(case, ran, output, victim, marker, journal)


# -- placeholder values in SQL are data ------------------------------------------------

DROP = "x'; DROP TABLE victims; --"


def test_a_sql_step_binds_a_hostile_value_and_the_table_survives(
        postgres_server: PostgresServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    import psycopg

    dsn = postgres_server.dsn
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS victims; CREATE TABLE victims (name text);"
                     "INSERT INTO victims VALUES ('a'), ('b')")
    books = tmp_path / "books"
    books.mkdir()
    (books / "ops.md").write_text("## Count\n\n```sql\nSELECT count(*) AS n FROM victims "
                                  "WHERE name = '<name>';\n```\n")
    rc = main(["runbooks", "run", "ops.md#count", "--step", "1", "--runbooks", str(books),
               "--journal", str(tmp_path / "j.jsonl"), "--var", f"name={DROP}",
               "--var", f"DATABASE_URL={dsn}"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out.splitlines()[:2] == ["n", "0"]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM victims").fetchone() == (2,)


def test_a_hostile_value_inside_psql_c_is_refused_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    books = tmp_path / "books"
    books.mkdir()
    (books / "ops.md").write_text(
        '## Look\n\n```bash\npsql "$DATABASE_URL" -c "SELECT * FROM jobs WHERE '
        "id::text = '<name>'\"\n```\n")
    rc = main(["runbooks", "run", "ops.md#look", "--step", "1", "--runbooks", str(books),
               "--journal", str(tmp_path / "j.jsonl"), "--var", f"name={DROP}",
               "--var", "DATABASE_URL=postgresql://127.0.0.1:1/x", "--yes"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("opsdash: ") and "<name>" in err[0]
    assert not (tmp_path / "j.jsonl").exists()  # nothing started, nothing journaled


# -- redis-cli transcripts run against the configured Redis ----------------------------

REDIS_BOOK = """\
## Queue

1. How deep is it:

   ```
   127.0.0.1:6379> LLEN celery
   (integer) 1500
   ```

2. Drop it:

   ```
   127.0.0.1:6379> DEL celery
   (integer) 1
   ```
"""


def test_redis_transcript_lines_run_on_the_configured_redis(
        redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.rpush("celery", "a", "b", "c")
    books = tmp_path / "books"
    books.mkdir()
    (books / "ops.md").write_text(REDIS_BOOK)
    config = tmp_path / "opsdash.toml"
    config.write_text(f'[[redis]]\nname = "broker"\nurl = "{redis_server.url}"\n')
    base = ["--config", str(config), "runbooks", "run", "ops.md#queue", "--runbooks",
            str(books), "--journal", str(tmp_path / "j.jsonl")]
    assert main([*base, "--step", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["(integer) 3"]
    assert main([*base, "--step", "2"]) == 2  # DEL destroys: it needs --yes
    assert "refusing destructive command without --yes" in capsys.readouterr().err
    assert client.llen("celery") == 3
    assert main([*base, "--step", "2", "--yes"]) == 0
    assert capsys.readouterr().out.splitlines() == ["(integer) 1"]
    assert client.exists("celery") == 0
