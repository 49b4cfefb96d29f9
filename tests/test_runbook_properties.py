"""Whatever Markdown it is given, the parser answers and keeps every code block."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from runbooks.parser import parse_runbook
from runbooks.safety import Effect

_WORDS = st.text(alphabet="abcXYZ019 -_*`[]<>{}$#|:;!\"'()/.", min_size=0, max_size=30)
_LANGS = st.sampled_from(["", "bash", "sh", "console", "sql", "text", "log", "json", "yaml",
                          "python", "shell", "{.bash}", "bash title=x"])
_CODE = st.lists(st.sampled_from(["docker ps", "$ df -h", "rm -rf /tmp/x", "ERROR boom",
                                  "SELECT 1;", "<name>", "${VAR}", "```", "~~~", "   ", "",
                                  "echo 'a", "kill -9 1"]) | _WORDS, max_size=4).map("\n".join)


@st.composite
def fence(draw: st.DrawFn, indent: str = "") -> str:
    marker = draw(st.sampled_from(["```", "~~~", "````"]))
    lang = draw(_LANGS)
    body = draw(_CODE).replace(marker, "")
    lines = [f"{marker}{lang}", *body.split("\n"), marker]
    return "\n".join(indent + ln if ln else ln for ln in lines)


@st.composite
def piece(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 11))
    text = draw(_WORDS)
    if kind == 0:
        return "#" * draw(st.integers(1, 5)) + " " + text
    if kind == 1:
        return f"{draw(st.integers(1, 12))}. {text}\n" + draw(fence("   "))
    if kind == 2:
        return f"- {draw(st.sampled_from(['[ ] ', '[x] ', '']))}{text}"
    if kind == 3:
        return draw(fence())
    if kind == 4:
        return f"**{text}:**"
    if kind == 5:
        return f"**Alert**: {text}\n**Severity**: {draw(_WORDS)}"
    if kind == 6:
        return f"| a | b |\n|---|---|\n| {text} | `{draw(_WORDS)}` |"
    if kind == 7:
        return f"---\nalerts: [{text}]\n---"
    if kind == 8:
        return f"> {text}\n> " + draw(fence())
    if kind == 9:
        return "    " + text  # indented code
    if kind == 10:
        return f"- {text}\n  - nested `{draw(_WORDS)}`\n" + draw(fence("    "))
    return draw(st.text(max_size=80))


documents = st.lists(piece(), max_size=12).map("\n\n".join) | st.text(max_size=300)


def reference_blocks(text: str) -> list[tuple[str, int | None]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(
        text.replace("\r\n", "\n").lstrip("\ufeff"))
    return [(t.content.rstrip("\n"), t.map[0] + 1 if t.map else None)
            for t in tokens if t.type in {"fence", "code_block"}]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_parser_never_raises_and_never_loses_a_code_block(text: str) -> None:
    rb = parse_runbook(text, "prop.md")
    assert not rb.problems or all(p.message for p in rb.problems)
    kept = {(b.code, b.line) for s in rb.sections for b in s.blocks}
    for block in reference_blocks(text):
        assert block in kept, f"lost {block!r}"


@settings(max_examples=150, deadline=None)
@given(documents)
def test_steps_keep_document_order(text: str) -> None:
    rb = parse_runbook(text, "prop.md")
    for sec in rb.sections:
        lines = [s.line for s in sec.steps if s.line is not None]
        assert lines == sorted(lines)
        assert all(c.code.strip() for s in sec.steps for c in s.commands)


@settings(max_examples=150, deadline=None)
@given(documents)
def test_every_parsed_command_has_an_effect_and_a_reason(text: str) -> None:
    for sec in parse_runbook(text, "prop.md").sections:
        for cmd in sec.commands:
            assert cmd.effect in set(Effect)
            assert cmd.classification.reason
            assert cmd.destructive is (cmd.effect is Effect.DESTRUCTIVE)
