"""opsdash in a real terminal: tmux runs the venv's console script against real Redis and
HTTP services; the test reads the screen with `capture-pane` and types keys.

It checks what only a real terminal shows: the cards and their figures, keys answered
while one target never answers, and the terminal given back (alternate screen left,
shell prompt visible, exit status 0) after `q`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.http import HTTPService
from tests.fixtures.redis import RedisServer

pytestmark = pytest.mark.e2e

OPSDASH = Path(sys.executable).parent / "opsdash"


class Tmux:
    """One private tmux server (its own socket) holding one shell window."""

    def __init__(self, tmp: Path, width: int = 100, height: int = 30) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            pytest.fail("tmux not found: install it with `apt-get install tmux`", pytrace=False)
        self.tmux = tmux
        self.socket = str(tmp / "tmux.sock")
        env = {**os.environ, "TERM": "xterm-256color"}
        self._run("new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height),
                  "bash --norc --noprofile", env=env)

    def _run(self, *args: str, env: dict[str, str] | None = None) -> str:
        out = subprocess.run([self.tmux, "-S", self.socket, *args], check=True,
                             capture_output=True, text=True, env=env, timeout=10)
        return out.stdout

    def send(self, *keys: str) -> None:
        self._run("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self._run("send-keys", "-t", "e2e", "-l", text)
        self.send("Enter")

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, *needles: str, timeout: float = 20.0) -> str:
        """The pane once it shows every needle; fails with the pane's text otherwise."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if all(n in text for n in needles):
                return text
            time.sleep(0.1)
        raise AssertionError(f"pane never showed {needles!r}; it shows:\n{text}")

    def wait_gone(self, needle: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if needle not in text:
                return text
            time.sleep(0.1)
        raise AssertionError(f"pane still shows {needle!r}:\n{text}")

    def kill(self) -> None:
        subprocess.run([self.tmux, "-S", self.socket, "kill-server"], capture_output=True,
                       timeout=10, check=False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(tmp_path)
    try:
        yield session
    finally:
        session.kill()


def test_dashboard_in_a_real_terminal(tmux: Tmux, tmp_path: Path, http_service: HTTPService,
                                      redis_server: RedisServer) -> None:
    http_service.route("/readyz", body={"database": {"ok": True}})
    http_service.route("/stuck", hang=True)
    config = tmp_path / "opsdash.toml"
    config.write_text(f"""
refresh = 1.0
[[health]]
name = "api"
url = "{http_service.url_for('/readyz')}"
[[health]]
name = "stuck"
url = "{http_service.url_for('/stuck')}"
timeout = 1.5
[[redis]]
name = "broker"
url = "{redis_server.url}"
queues = ["celery"]
""")
    tmux.type(f"{OPSDASH} --config {config}; echo opsdash-exit=$?")
    screen = tmux.wait_for("health api", "redis broker", "HTTP 200", "mem ")
    assert "✖ CRIT" in tmux.wait_for("timeout")  # the stuck target, by its own timeout
    assert "● OK" in screen

    # keys answer although one target never answers
    tmux.send("Right", "Enter")  # health api -> health stuck
    tmux.wait_for("last responses", "esc Back")
    tmux.send("Escape")
    tmux.wait_for("redis broker", "⏎ Details")
    tmux.send("p")
    tmux.wait_for("PAUSED")
    tmux.send("p")
    tmux.wait_gone("PAUSED")
    tmux.send("?")
    tmux.wait_for("opsdash keys", "Refresh now")
    tmux.send("Escape")
    tmux.wait_gone("opsdash keys")
    tmux.send("q")
    after = tmux.wait_for("opsdash-exit=0")
    # alternate screen left: the command line typed before is visible again, cards gone
    assert f"{OPSDASH} --config" in after.replace("\n", "")
    assert "redis broker" not in after


def test_an_interactive_step_gets_the_terminal_and_the_app_resumes(
        tmux: Tmux, tmp_path: Path, redis_server: RedisServer) -> None:
    """redis-cli with no command is a prompt: opsdash suspends, the engineer types into it,
    and the dashboard comes back with the step's exit code in the pane."""
    import redis

    redis.Redis.from_url(redis_server.url).rpush("celery", *range(1500))
    books = tmp_path / "books"
    books.mkdir()
    (books / "queue.md").write_text(f"""# Queue

## TaskQueueStuck

1. Look at the queue by hand:

   ```bash
   redis-cli -p {redis_server.port}
   ```
""")
    config = tmp_path / "opsdash.toml"
    config.write_text(f"""
refresh = 1.0
[runbooks]
dirs = ["{books}"]
[[redis]]
name = "broker"
url = "{redis_server.url}"
queues = ["celery"]
[alerts.TaskQueueStuck]
for = "0s"
""")
    tmux.type(f"{OPSDASH} --config {config} --journal {tmp_path / 'j.jsonl'}; "
              "echo opsdash-exit=$?")
    tmux.wait_for("redis broker", "TaskQueueStuck")
    tmux.send("r")
    tmux.wait_for("Look at the queue by hand")
    tmux.send("Enter")
    # a console can run anything: the exact command is shown and runs after `y`
    tmux.wait_for("Run exactly this?", f"redis-cli -p {redis_server.port}")
    tmux.send("y")
    prompt = f"127.0.0.1:{redis_server.port}>"
    tmux.wait_for("opsdash is suspended", prompt)
    tmux.type("LLEN celery")
    tmux.wait_for("(integer) 1500")
    tmux.type("quit")
    screen = tmux.wait_for("interactive command exited 0", "redis broker")
    assert prompt not in screen  # the dashboard is drawn again over the shell's lines
    tmux.send("q")
    tmux.wait_for("opsdash-exit=0")


def test_a_hostile_endpoint_never_retitles_or_wipes_the_terminal(
        tmux: Tmux, tmp_path: Path, http_service: HTTPService) -> None:
    """The reason phrase and body carry an OSC title and a screen wipe; the real terminal
    must keep its title and show the text harmlessly."""
    tmux._run("select-pane", "-t", "e2e", "-T", "before-opsdash")
    hostile = "\x1b]0;PWNED\x07\x1b[2J"
    http_service.route("/readyz", status=503, reason=f"OK {hostile}",
                       body=f"down {hostile}\x1b[31mred")
    config = tmp_path / "opsdash.toml"
    config.write_text(f'refresh = 0.5\n[[health]]\nname = "api"\n'
                      f'url = "{http_service.url_for("/readyz")}"\n')
    tmux.type(f"{OPSDASH} --config {config} --journal {tmp_path / 'j.jsonl'}; "
              "echo opsdash-exit=$?")
    screen = tmux.wait_for("health api", "CRIT", "HTTP 503")
    assert "PWNED" not in tmux._run("display-message", "-p", "-t", "e2e", "#{pane_title}")
    assert "health api" in screen  # nothing wiped the cards
    tmux.send("q")
    tmux.wait_for("opsdash-exit=0", timeout=15)
    assert tmux._run("display-message", "-p", "-t", "e2e", "#{pane_title}").strip() == \
        "before-opsdash"
