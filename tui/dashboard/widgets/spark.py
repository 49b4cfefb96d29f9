"""A one-line sparkline as bar levels, so a card can tell whether what it draws changed.

Same arithmetic as Textual's Sparkline (buckets of the data summarised with max, scaled
between the data's min and max, eight bar heights), but it returns the levels instead of
painting them: a card compares the levels at its current width with the ones on screen
and repaints only when they differ. Colours step with the bar height (eight shades from
`min_color` to `max_color`), so runs of equal bars are one styled span on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from textual.color import Color

BARS = "▁▂▃▄▅▆▇█"
TOP = len(BARS) - 1
#: an empty series: a flat line of the lowest bar in the min colour
EMPTY = -1
#: a single point: full bars in the max colour
SINGLE = -2


def levels(data: Sequence[float], width: int) -> tuple[int, ...]:
    """Bar heights 0-7 for `width` columns (EMPTY/SINGLE markers for 0 or 1 points)."""
    if width <= 0:
        return ()
    if not data:
        return (EMPTY,) * width
    if len(data) == 1:
        return (SINGLE,) * width
    low, high = min(data), max(data)
    extent = high - low or 1
    # bucket n is data[floor(n*len/width):floor((n+1)*len/width)], as Textual's Fraction
    # arithmetic gives, in integers (Fractions cost more than the rest of a card's update)
    size = len(data)
    buckets = []
    for n in range(width):
        part = data[size * n // width:size * (n + 1) // width]
        if part:
            buckets.append(max(part))
    # fewer points than columns: each one is stretched; the index accumulates as a float
    # exactly as Textual's does, so the bars match its Sparkline column for column
    stride = len(buckets) / width
    out = []
    index = 0.0
    for _ in range(width):
        out.append(int((buckets[int(index)] - low) / extent * TOP))
        index += stride
    return tuple(out)


def spark_parts(bars: Sequence[int], min_color: Color, max_color: Color
                ) -> list[tuple[str, Style | None]]:
    """The levels as (text, style) runs, equal neighbours in one run."""
    parts: list[tuple[str, Style | None]] = []
    run_start = 0
    for i in range(1, len(bars) + 1):
        if i < len(bars) and bars[i] == bars[run_start]:
            continue
        level = bars[run_start]
        if level == EMPTY:
            glyph, color = BARS[0], min_color
        elif level == SINGLE:
            glyph, color = BARS[TOP], max_color
        else:
            glyph, color = BARS[level], min_color.blend(max_color, level / TOP)
        parts.append((glyph * (i - run_start), Style(color=color.rich_color)))
        run_start = i
    return parts
