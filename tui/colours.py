"""The editor's colours by meaning, owned by studio.tcss (its `$studio-*` variables and the
`.studio--*` rules): widgets that write rich Text declare these component classes and ask for
a style by name, so a theme or a .tcss file changes every colour in one place."""
from __future__ import annotations

from typing import Callable

from rich.style import Style
from textual.widget import Widget

COLOUR_CLASSES = frozenset({
    "studio--pass", "studio--fail", "studio--warn", "studio--error", "studio--error-text",
    "studio--mark", "studio--busy", "studio--ok", "studio--caution", "studio--problem",
    "studio--predicted", "studio--added", "studio--removed", "studio--vector", "studio--key",
})

Colour = Callable[[str], Style]
"""A style by meaning: "pass", "fail", "warn", "error", ... (the names above without studio--)."""


def colour_of(widget: Widget) -> Colour:
    """`widget`'s styles for the colour classes: the colour and text style of each, without a
    background (the text sits on the widget's own). The colour is taken as declared (an ANSI
    colour stays one, so the terminal's palette and dimming behind a dialog apply to it)."""
    def colour(name: str) -> Style:
        st = widget.get_component_styles(f"studio--{name}")
        text_style = st.text_style
        return Style(color=st.color.rich_color, bold=text_style.bold or None,
                     italic=text_style.italic or None, strike=text_style.strike or None)
    return colour
