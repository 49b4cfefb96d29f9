"""Terminal-safe text: nothing from outside may move the cursor, clear, retitle or query.

Text that opsdash did not write itself (an endpoint's reason phrase or body, a metric
label, a queue or container name, a runbook file, a step's output) can carry control
sequences. Printed raw, `ESC ] 0 ; title BEL` renames the operator's terminal window,
`ESC [ 2 J` wipes the screen mid-incident, and some terminals answer queries by typing
into the shell. Two functions, both one linear regex pass:

    safe_text(text)                     # every control character and sequence removed,
                                        #   `\\n` and `\\t` kept
    safe_text(text, single_line=True)   # ... and newlines/tabs become spaces (card lines)
    safe_output(line)                   # a step's output line: SGR colours kept, the rest
                                        #   removed; `\\r` keeps what a terminal would show

Sequences recognised (ECMA-48): CSI (`ESC [` or 8-bit `\\x9b`, parameters, intermediates,
final byte), OSC (`ESC ]`/`\\x9d`, ended by BEL or ST), DCS/SOS/PM/APC (`ESC P`/`X`/`^`/`_`
and their 8-bit forms, ended by ST or BEL), nF escapes (`ESC ( B`), two-byte `ESC x`;
then any C0 (except `\\n`, `\\t`), DEL and C1 character left over. A string sequence cut
short (no terminator) is dropped to the end of its line.
"""

from __future__ import annotations

import re

# A string sequence's body runs to BEL or ST (ESC \ or 8-bit \x9c); an ESC that does not
# start ST ends the body too, so the next sequence is recognised on its own, and so does a
# newline, so one stray `ESC ]` in a runbook costs a line, not the rest of the file.
_STRING_BODY = r"[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
_SEQUENCES = (
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])" + _STRING_BODY  # OSC, DCS, SOS, PM, APC
    + r"|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"  # CSI
    + r"|\x1b[\x20-\x2f]+[\x30-\x7e]?"  # nF: character set selection and the like
    + r"|\x1b[\x30-\x7e]?"  # Fp/Fe/Fs two-byte escapes, and a lone ESC
)
_CONTROLS_TEXT = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # C0 but \t \n, DEL, C1
_CONTROLS_OUTPUT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # also keeps \r, handled after

_UNSAFE_TEXT = re.compile(_SEQUENCES + "|" + _CONTROLS_TEXT)
# SGR is tried first at each position: `ESC [ 1;31 m` survives, every other CSI does not
_UNSAFE_OUTPUT = re.compile(r"(\x1b\[[0-9;]*m)|" + _SEQUENCES + "|" + _CONTROLS_OUTPUT)
_ANY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = str.maketrans({"\n": " ", "\t": " "})


def safe_text(text: str, *, single_line: bool = False) -> str:
    """`text` with every control sequence and control character removed.

    `\\n` and `\\t` are kept (a runbook, a log excerpt); `single_line=True` turns them
    into spaces too, for a card line or a table cell that must stay one line.
    """
    if _ANY_CONTROL.search(text) is not None:
        text = _UNSAFE_TEXT.sub("", text)
    return text.translate(_LINE_BREAKS) if single_line else text


def _keep_sgr(match: re.Match[str]) -> str:
    return match.group(1) or ""


def safe_output(text: str) -> str:
    """A step's output line as a terminal would leave it, minus everything but colour.

    SGR (`ESC [ digits;... m`) is kept so `ls --color` and test runners stay readable;
    cursor moves, clears, titles, hyperlinks, queries and 8-bit forms are removed. A
    `\\r` (a progress bar redrawing itself) keeps only the last non-empty segment, which
    is what the line shows once the program is done with it.
    """
    if _ANY_CONTROL.search(text) is None:
        return text
    text = _UNSAFE_OUTPUT.sub(_keep_sgr, text)
    if "\r" in text:
        text = "\n".join(_last_segment(line) for line in text.split("\n"))
    return text


def _last_segment(line: str) -> str:
    segments = [s for s in line.split("\r") if s]
    return segments[-1] if segments else ""
