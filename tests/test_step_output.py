"""A step's output in the runbook pane, as an engineer watching it mid-incident sees it.

StepOutput runs in a small real Textual app under run_test()/Pilot: a 9-row, 39-column
view (a 10-row widget less its top border, a 40-column screen less the scrollbar). What
is on screen is read row by row from the widget's own rendering. The last test runs a
real step through the real runbook pane (tests/test_runbook_pane.py's drill).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.test_app_support import HOST, T0, config_for, panels
from tests.test_runbook_pane import finished, open_pane, run_step, wait_until
from tui.config.loader import Config
from tui.dashboard.app import OpsdashApp
from tui.dashboard.widgets.step_output import MAX_LINES, PRUNE_LINES, QUEUE_LINES, StepOutput
from tui.incident.session import StepStatus

PAGE = 9


class OutputOnly(App[None]):
    CSS = "StepOutput { height: 10; }"

    def compose(self) -> ComposeResult:
        yield StepOutput()


def shown(output: StepOutput) -> list[str]:
    """The view's rows as drawn, trailing blanks stripped."""
    return [output.render_line(y).text.rstrip()
            for y in range(output.scrollable_content_region.height)]


async def printed(pilot: Pilot[Any], output: StepOutput, *texts: str) -> None:
    """The step prints `texts` (one read), and they reach the screen."""
    for text in texts:
        output.line("stdout", text)
    await wait_until(pilot, lambda: not output._pending and output.lines[-1:] == [texts[-1]],
                     what=f"{texts[-1]!r} on screen")


async def test_the_view_follows_the_tail_jumping_half_a_page_at_a_time() -> None:
    app = OutputOnly()
    async with app.run_test(size=(40, 20)) as pilot:
        output = app.query_one(StepOutput)
        tops = []
        for i in range(30):
            await printed(pilot, output, f"line {i}")
            assert output.following
            tops.append(round(output.scroll_y))
        # a page fills first; then each time the last line would pass the bottom the
        # view jumps so it sits half a page up: 5 scrolls for 30 lines, not 21
        assert sorted(set(tops)) == [0, 5, 10, 15, 20, 25]
        assert tops[8] == 0 and tops[9] == 5  # the 10th line is the first past the bottom
        assert shown(output) == [f"line {i}" for i in range(25, 30)] + ["", "", "", ""]
        assert output.max_scroll_x == 0  # nothing scrolls sideways


async def test_scrolling_up_stops_the_following_and_the_bottom_resumes_it() -> None:
    app = OutputOnly()
    async with app.run_test(size=(40, 20)) as pilot:
        output = app.query_one(StepOutput)
        await printed(pilot, output, *(f"line {i}" for i in range(30)))
        output.focus()
        await pilot.press("home")
        await wait_until(pilot, lambda: output.scroll_y == 0, what="the top")
        assert not output.following
        for i in range(30, 60):
            await printed(pilot, output, f"line {i}")
        # the engineer reads the start undisturbed while the step goes on printing
        assert output.scroll_y == 0 and not output.following
        assert shown(output) == [f"line {i}" for i in range(PAGE)]

        await pilot.press("end")
        await wait_until(pilot, lambda: output.following, what="following again")
        assert "line 59" in shown(output)
        for i in range(60, 75):
            await printed(pilot, output, f"line {i}")
            assert shown(output).count(f"line {i}") == 1
        assert output.following


async def test_a_shorter_view_keeps_the_last_line_in_sight() -> None:
    app = OutputOnly()
    async with app.run_test(size=(40, 20)) as pilot:
        output = app.query_one(StepOutput)
        await printed(pilot, output, *(f"line {i}" for i in range(30)))
        assert shown(output) == [f"line {i}" for i in range(25, 30)] + ["", "", "", ""]
        output.styles.height = 5  # the pane gives it 4 rows now: 9 // 2 rows of room is too many
        await wait_until(pilot, lambda: output.scrollable_content_region.height == 4,
                         what="the shorter view")
        await pilot.pause()
        assert shown(output) == ["line 28", "line 29", "", ""]
        assert output.following
        await printed(pilot, output, "line 30", "line 31")  # into the room below
        assert shown(output) == ["line 28", "line 29", "line 30", "line 31"]
        await printed(pilot, output, "line 32")  # past the bottom: half of 4 rows up
        assert shown(output) == ["line 31", "line 32", "", ""]


async def test_output_is_capped_and_a_flood_is_summarised() -> None:
    app = OutputOnly()
    async with app.run_test(size=(40, 20)) as pilot:
        output = app.query_one(StepOutput)
        for start in range(0, 2500, 250):  # ten reads of 250 lines each
            await printed(pilot, output, *(f"line {i}" for i in range(start, start + 250)))
            assert len(output.lines) <= MAX_LINES
        assert output.lines[-1] == "line 2499"
        assert len(output.lines) >= MAX_LINES - PRUNE_LINES
        first = int(output.lines[0].split()[1])
        assert output.lines == [f"line {i}" for i in range(first, 2500)]
        assert "line 2499" in shown(output) and output.following

        output.clear()
        flood = QUEUE_LINES + 500
        for i in range(flood):  # all in one read, faster than a frame: the queue is bounded
            output.line("stdout", f"flood {i}")
        await wait_until(pilot, lambda: not output._pending, what="the flood shown")
        assert output.lines == ["… 500 lines skipped (output too fast to show)",
                                *(f"flood {i}" for i in range(500, flood))]
        assert f"flood {flood - 1}" in shown(output)

        await printed(pilot, output, *(f"more {i}" for i in range(QUEUE_LINES)))
        assert len(output.lines) == MAX_LINES - PRUNE_LINES  # the oldest went, note included
        assert output.lines[0] == f"flood {flood - 1}"
        assert output.lines[-1] == f"more {QUEUE_LINES - 1}"


async def test_control_sequences_in_output_are_neutralised_and_long_lines_cut() -> None:
    app = OutputOnly()
    async with app.run_test(size=(40, 20)) as pilot:
        output = app.query_one(StepOutput)
        hostile = ("\x1b]0;owned\x07title \x1b[2Jclear \x1b[31mred\x1b[0m \x9b6n"
                   "bell\x07\ttab\rcr")
        await printed(pilot, output, hostile, "x" * 100, "ünïcødé 漢字 " * 5)
        rows = shown(output)
        assert rows[0] == "title clear red bell tabcr"
        assert rows[1] == "x" * 38 + "…"
        assert rows[2].endswith("…") and len(rows[2]) <= 39
        for y in range(PAGE):
            for segment in output.render_line(y):
                assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in segment.text)


SECRET_RUNBOOK = """\
# Secrets on screen

## ServiceDown

**Alert**: ServiceDown

1. Print the app's settings:

   ```bash
   echo '{"user": "app", "password": "s3cr3tpw"}'; echo "done"
   ```
"""


async def test_a_secret_printed_by_a_step_is_masked_on_screen(tmp_path: Path) -> None:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "secret.md").write_text(SECRET_RUNBOOK)
    base = config_for(panels())
    config = Config(refresh=base.refresh, panels=base.panels, runbook_dirs=(books,),
                    runbook_map={"ServiceDown": ("secret.md#servicedown",)})
    app = OpsdashApp(config, clock=lambda: T0 + 30, hostname=HOST, autostart=False,
                     journal=tmp_path / "journal.jsonl")
    async with app.run_test(size=(160, 48)) as pilot:
        pane = await open_pane(pilot)
        await run_step(pilot, pane, 0)
        assert await finished(pilot, pane, 0) is StepStatus.DONE
        output = pane.output
        await wait_until(pilot, lambda: "done" in output.lines, what="the step's output")
        rows = shown(output)
        assert '{"user": "app", "password": "****"}' in rows
        assert not any("s3cr3tpw" in line for line in [*rows, *output.lines])
