"""No text from outside reaches the terminal with control sequences (DESIGN: Terminal safety).

Unit cases pin what `safe_text`/`safe_output` make of each kind of sequence; the stories
send hostile text through the real boundaries (an HTTP endpoint, a runbook file, a step's
output) and check the CLI's bytes and a VT emulator's screen (pyte) afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pyte
import pytest

from common.terminal import safe_output, safe_text
from panels.base import Condition, Panel
from panels.errors import ProbeError
from panels.health import HealthPanel
from panels.watch import PanelWatch
from runbooks.execute import run_command
from tests.fixtures.http import HTTPService
from tui.cli import main

REPO = Path(__file__).resolve().parent.parent
HOSTILE = "\x1b]0;PWNED\x07\x1b[2J"
CONTROL_BYTES = {chr(c) for c in [*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0)]}


def assert_clean(text: str) -> None:
    """Nothing a terminal would act on: no C0 (but \\n, \\t), no DEL, no C1."""
    found = sorted({repr(c) for c in text if c in CONTROL_BYTES})
    assert not found, f"control characters {found} in {text!r}"


def strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def screen_after(data: bytes, title: str = "opsdash-test") -> pyte.Screen:
    """A VT emulator that has been fed `data`, starting from a known window title."""
    screen = pyte.Screen(120, 60)
    screen.title = title
    stream = pyte.ByteStream(screen)
    stream.feed(data.replace(b"\n", b"\r\n"))
    return screen


# --- safe_text: one case per kind of sequence ------------------------------------------------

@pytest.mark.parametrize(("raw", "clean"), [
    ("plain text, ünïcode ✓", "plain text, ünïcode ✓"),
    ("OK \x1b]0;PWNED\x07\x1b[2J", "OK "),                     # OSC title (BEL), CSI clear
    ("a\x1b]2;title\x1b\\b", "ab"),                             # OSC ended by ST
    ("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC 8 hyperlink
    ("a\x9d0;title\x9cb", "ab"),                                # 8-bit OSC ... ST
    ("a\x1b]0;never ended", "a"),                               # cut short: to line end
    ("a\x1b]0;cut\nnext line", "a\nnext line"),                 # ... not past it
    ("a\x1b[31mred\x1b[0m", "ared"),                            # SGR too
    ("a\x1b[10;20Hb\x1b[?1049hc\x1b[6n", "abc"),                # cursor, alt screen, query
    ("a\x9b2Jb\x9b31mc", "abc"),                                # 8-bit CSI
    ("a\x1bP1$r0m\x1b\\b", "ab"),                               # DCS
    ("a\x1b_apc\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d", "abcd"),  # APC, PM, SOS
    ("a\x90dcs\x9cb\x9f8bit apc\x9cc", "abc"),                  # 8-bit DCS, APC
    ("a\x1b(Bb\x1b#8c", "abc"),                                 # nF (charset, DECALN)
    ("a\x1bcb\x1b7c\x1b8d\x1bMe", "abcde"),                     # RIS, DECSC/RC, RI
    ("ends with ESC\x1b", "ends with ESC"),
    ("bell\x07 bs\x08 cr\r del\x7f nel\x85 nul\x00", "bell bs cr del nel nul"),
    ("keeps\ttabs\nand newlines", "keeps\ttabs\nand newlines"),
])
def test_safe_text_removes_each_kind_of_sequence(raw: str, clean: str) -> None:
    assert safe_text(raw) == clean


def test_single_line_turns_newlines_and_tabs_into_spaces() -> None:
    assert safe_text("a\tb\nc\x1b[2J\r\n", single_line=True) == "a b c "


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b[1;31mred\x1b[0m \x1b[32mgreen\x1b[m", "\x1b[1;31mred\x1b[0m \x1b[32mgreen\x1b[m"),
    ("\x1b[2K\x1b[1Gdone\x1b]0;PWNED\x07", "done"),             # clear line, column, title
    ("\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"),       # private modes are not SGR
    ("\x1b[38:5:1mcolon\x1b[0m", "colon\x1b[0m"),               # only digits and ;
    ("\x9b31m8-bit sgr", "8-bit sgr"),
    ("10%\r50%\r100%", "100%"),                                 # a progress bar's last state
    ("\x1b[32m 10%\r\x1b[32m100%\x1b[0m", "\x1b[32m100%\x1b[0m"),
    ("trailing cr\r", "trailing cr"),
    ("one\r\ntwo\rTWO", "one\nTWO"),                            # per line
    ("tab\tstays", "tab\tstays"),
])
def test_safe_output_keeps_colours_only(raw: str, shown: str) -> None:
    assert safe_output(raw) == shown


# --- panels: everything leaving PanelWatch.judge is clean -------------------------------------

class _HostileSample:
    pass


class HostilePanel(Panel[_HostileSample]):
    """Every string a panel can hand out carries escapes: names, labels, details, errors."""

    kind: ClassVar[str] = "hostile"
    unreachable_alert: ClassVar[str | None] = "ServiceDown"
    fail = False

    async def collect(self) -> _HostileSample:
        if self.fail:
            raise ConnectionRefusedError(f"connection refused by {HOSTILE}db")
        return _HostileSample()

    def metrics(self, sample: _HostileSample) -> dict[str, Any]:
        return {"queues": {f"celery{HOSTILE}": 3}, "by_state": [f"idle{HOSTILE}", 2],
                "query": f"select 1{HOSTILE}\nfrom t", "n": 1.5}

    def conditions(self, sample: _HostileSample) -> list[Condition]:
        return [Condition("TaskQueueStuck", True, detail=f"depth 3 in {HOSTILE}celery",
                          target=f"celery{HOSTILE}")]

    def summary(self, sample: _HostileSample) -> str:
        return f"app {HOSTILE}name\tup"

    @property
    def target(self) -> str:
        return f"redis://h{HOSTILE}/0"


async def test_every_string_a_panel_hands_out_is_clean() -> None:
    panel = HostilePanel(f"broker{HOSTILE}")
    watch = PanelWatch(panel)
    state = await watch.poll()
    assert state.summary == "app name up"
    assert state.target == "redis://h/0"
    assert state.name == "broker"
    assert state.panel_id == f"hostile:broker{HOSTILE}"  # the card's key, as configured
    assert state.metrics == {"queues": {"celery": 3}, "by_state": ["idle", 2],
                             "query": "select 1\nfrom t", "n": 1.5}
    (alert,) = state.alerts
    assert (alert.detail, alert.target) == ("depth 3 in celery", "celery")

    panel.fail = True
    failed = await watch.poll()
    assert failed.error == ProbeError("refused", "connection refused by db")
    assert failed.summary == "refused: connection refused by db"
    assert [a.detail for a in failed.alerts if a.name == "ServiceDown"] == [
        "connection refused by db"]


async def test_a_hostile_endpoint_never_reaches_the_card(http_service: HTTPService) -> None:
    url = http_service.route("/readyz", reason=f"OK {HOSTILE}",
                             body=f"up {HOSTILE}\x1b[31mred\x9b2J\n",
                             headers={"X-Note": "a\x9bb"})
    panel = HealthPanel("api", url=url)
    try:
        probe = await panel.probe()
        assert probe.sample is not None and probe.sample.reason == f"OK {HOSTILE}"  # it came
        state = PanelWatch(panel).judge(probe, 0.0)
    finally:
        await panel.aclose()
    assert state.summary.startswith("200 OK  in ")
    assert state.extra["body_excerpt"] == "up red\n"
    assert_clean(repr(state.extra).replace("\\", ""))
    assert_clean(state.summary)
    assert_clean(repr(state.metrics).replace("\\", ""))
    for value in (state.target, *(a.detail for a in state.alerts)):
        assert_clean(value)


def check_cli(tmp_path: Path, url: str, *args: str) -> bytes:
    """`opsdash check` on one health target that answers 503: crit, so exit 2."""
    config = tmp_path / "opsdash.toml"
    config.write_text(textwrap.dedent(f"""
        [[health]]
        name = "api"
        url = "{url}"
    """))
    done = subprocess.run([sys.executable, "-m", "tui.cli", "check", "--config", str(config),
                           *args], cwd=tmp_path, capture_output=True, timeout=60, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 2, done.stderr
    assert done.stdout, done.stderr
    return done.stdout


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["text", "json"])
def test_check_writes_no_escape_from_a_hostile_endpoint(
        http_service: HTTPService, tmp_path: Path, json_flag: tuple[str, ...]) -> None:
    url = http_service.route("/readyz", status=503, reason=f"Down {HOSTILE}",
                             body=f"down {HOSTILE}")
    out = check_cli(tmp_path, url, *json_flag)
    assert b"\x1b" not in out and b"\x07" not in out and b"\xc2\x9b" not in out
    assert b"503 Down" in out
    if json_flag:  # JSON escapes ESC as \u001b: what a consumer decodes must be clean too
        for text in strings(json.loads(out)):
            assert_clean(text)
    screen = screen_after(out)
    assert screen.title == "opsdash-test"  # the window title was not changed
    assert any("503 Down" in line for line in screen.display)  # and nothing was cleared


# --- runbooks: a file with escapes is clean in list/show/match -------------------------------

HOSTILE_RUNBOOK = (
    f"# Disk full {HOSTILE}\n\n**Alert**: DiskFull\n\n"
    "## Free space \x1b[31mnow\x1b[0m\n\n"
    f"1. Look at the mounts{HOSTILE}:\n\n   ```bash\n   df -h /{HOSTILE}\n   ```\n"
)


@pytest.mark.parametrize("argv", [
    ["runbooks", "list"], ["runbooks", "list", "--json"],
    ["runbooks", "show", "disk.md#free-space-now"],
    ["runbooks", "show", "disk.md#free-space-now", "--json"],
    ["runbooks", "match", "DiskFull"], ["runbooks", "match", "DiskFull", "--json"],
], ids=lambda a: "-".join(a[1:]))
def test_runbook_cli_output_has_no_escape(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[str]) -> None:
    (tmp_path / "disk.md").write_text(HOSTILE_RUNBOOK)
    assert main([*argv, "--runbooks", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "disk.md#free-space-now" in out
    assert screen_after(out.encode()).title == "opsdash-test"


def test_a_hostile_file_name_is_clean_in_refs(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "di\x1b]0;PWNED\x07sk.md").write_text("## Disk full\n\n1. `df -h`\n")
    assert main(["runbooks", "list", "--json", "--runbooks", str(tmp_path)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["ref"] == "disk.md#disk-full"  # (the text listing also prints the
    for text in strings(listed):                     # folder's path: tui's to clean)
        assert_clean(text)


def test_runbook_text_is_clean_once_read(tmp_path: Path) -> None:
    from runbooks.library import load_library

    (tmp_path / "disk.md").write_text(HOSTILE_RUNBOOK)
    section = load_library([tmp_path], bundled=False).find("disk.md#free-space-now")
    assert section.title == "Free space now"
    assert [c.code for s in section.steps for c in s.commands] == ["df -h /"]


# --- step output: colours kept, everything else gone, before on_line sees it ------------------

async def test_step_output_reaches_on_line_with_colours_only() -> None:
    seen: list[tuple[str, str]] = []
    code = (r"printf 'a\033[31mred\033[0m\033]0;PWNED\007\033[2J\n'; "
            r"printf '10%%\r100%%\n'; printf 'err\033[H\033P1$r\033\\\n' >&2")
    result = await run_command(code, on_line=lambda stream, text: seen.append((stream, text)))
    assert result.exit_code == 0
    assert sorted(seen) == [("stderr", "err"), ("stdout", "100%"),
                            ("stdout", "a\x1b[31mred\x1b[0m")]
    assert sorted(result.tail) == ["100%", "a\x1b[31mred\x1b[0m", "err"]
