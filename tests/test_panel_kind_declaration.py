"""A seventh kind through its declaration alone: configured, polled, carded, exported.

The toy kind lives in a module written into a temporary folder; the only thing that
tells opsdash about it is one entry in `panels.registry.KINDS`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panels.registry import KINDS, Option, PanelKind
from tests.test_app_live import card_text, until
from tui.cli import main
from tui.config.loader import ConfigError, load_config
from tui.dashboard.app import OpsdashApp

TOY_MODULE = '''
from typing import Any
from panels.base import Condition, Panel

class ToyPanel(Panel[int]):
    kind = "toy"

    def __init__(self, name: str, *, level: int = 1, **common: Any) -> None:
        super().__init__(name, **common)
        self.level = level

    async def collect(self) -> int:
        return self.level * 6

    def metrics(self, sample: int) -> dict[str, Any]:
        return {"widgets": sample}

    def detail(self, sample: int) -> dict[str, Any]:
        return {"rows": [{"widget": n} for n in range(sample)]}

    def conditions(self, sample: int) -> list[Condition]:
        return []

    def summary(self, sample: int) -> str:
        return f"{sample} widgets"

def card(metrics):
    return [f"widgets {metrics.get('widgets')}", "toy line two"]
'''


@pytest.fixture
def toy_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "opsdash_toy_kind.py").write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setitem(KINDS, "toy", PanelKind("opsdash_toy_kind:ToyPanel",
                                                {"level": Option(int)},
                                                card="opsdash_toy_kind:card"))
    config = tmp_path / "opsdash.toml"
    config.write_text('refresh = 0.2\n\n[[toy]]\nname = "bench"\nlevel = 7\n')
    yield config
    sys.modules.pop("opsdash_toy_kind", None)


def test_the_toy_kind_is_configured_and_validated(toy_kind: Path, tmp_path: Path) -> None:
    config = load_config(toy_kind)
    assert [(s.kind, s.name, s.options) for s in config.panels] == [
        ("toy", "bench", {"level": 7})]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[toy]]\nname = "bench"\nlevle = 7\n')
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert str(err.value) == (f'{bad}:3: [[toy]] #1 "levle": unknown key '
                              '(did you mean "level"?)')


def test_the_toy_kind_is_exported_by_check_json(toy_kind: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", "--config", str(toy_kind)]) == 0
    out = capsys.readouterr().out
    assert '"rows"' not in out  # drill-down detail never reaches the JSON contract
    report = json.loads(out)
    assert report["status"] == "ok"
    assert [(p["id"], p["kind"], p["status"], p["summary"], p["metrics"])
            for p in report["panels"]] == [("toy:bench", "toy", "ok", "42 widgets",
                                            {"widgets": 42})]


async def test_the_toy_kind_is_polled_and_carded(toy_kind: Path) -> None:
    app = OpsdashApp(load_config(toy_kind), hostname="test")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "widgets 42" in card_text(app, "toy:bench"),
                    what="the toy card's figures")
        text: Any = card_text(app, "toy:bench")
        assert "toy line two" in text
        await app.action_quit()
