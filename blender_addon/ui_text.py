"""Sentences in the sidebar: labels do not wrap, and Blender cuts a label that does not fit
with "…". A sentence is split into lines that fit the region's width, measured with the font
Blender draws labels with (``blf``, at the interface scale)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import blf

FALLBACK_POINTS = 11.0
"""Label font size when the preferences do not say (Blender's default)."""
PANEL_MARGIN = 64.0
"""Pixels (at scale 1) of the region a panel's label does not get: the category tabs, the
panel's borders and the label's padding (measured in Blender 3.4 at the default sidebar
width: a 229 px region cut labels wider than about 170 px at scale 1.04), plus a few for
rounding."""
BOX_MARGIN = 12.0
"""... and to a box's."""
ICON_WIDTH = 22.0
"""... and to an icon before the text."""
NO_REGION_WIDTH = 300.0
"""Width (at scale 1) assumed when a panel is drawn outside a region (scripts, tests)."""


def ui_scale(context: Any) -> float:
    """The interface scale (DPI included; the user's setting where there is no window)."""
    prefs = context.preferences
    return float(prefs.system.ui_scale or prefs.view.ui_scale or 1.0)


def text_width(context: Any, text: str) -> float:
    """Width in pixels of ``text`` drawn as a label."""
    style = context.preferences.ui_styles[0]
    widget = getattr(style, "widget", None)
    points = float(getattr(widget, "points", FALLBACK_POINTS) or FALLBACK_POINTS)
    blf.size(0, points * ui_scale(context))
    return float(blf.dimensions(0, text)[0])


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap: lines of ``text`` no wider than ``width`` (a single word wider than
    that is cut at characters)."""
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
            continue
        while measure(word) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and measure(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines


def label_width(context: Any, *, icon: bool = False, boxed: bool = False) -> float:
    """Pixels a full-width label has in the current panel's region."""
    scale = ui_scale(context)
    margin = PANEL_MARGIN + (BOX_MARGIN if boxed else 0.0) + (ICON_WIDTH if icon else 0.0)
    region = getattr(context, "region", None)
    width = float(region.width) if region is not None else NO_REGION_WIDTH * scale
    return max(40.0, width - margin * scale)


def sentence(layout: Any, context: Any, text: str, icon: str = "NONE", boxed: bool = False) -> None:
    """``text`` as full-width labels, wrapped to the region's width (the icon on the first
    line; the following lines are indented as far)."""
    with_icon = icon != "NONE"
    width = label_width(context, icon=with_icon, boxed=boxed)
    col = layout.column(align=True)
    for i, line in enumerate(wrap(text, width, lambda t: text_width(context, t))):
        col.label(text=line, icon=icon if i == 0 else ("BLANK1" if with_icon else "NONE"))
