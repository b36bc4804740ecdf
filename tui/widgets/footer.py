"""Textual's Footer, rebuilt only when the keys it shows change."""
from __future__ import annotations

from typing import Any, Optional

from textual.screen import Screen
from textual.widgets import Footer


class StudioFooter(Footer):
    """As the editor opens, focus, the screen stack and app focus each announce that the
    bindings changed, and the Footer rebuilt its ~15 key widgets each time: three times within
    0.2 s of the first frame, while the first keys waited. The same keys are not rebuilt."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self._shown: Optional[tuple] = None

    def bindings_changed(self, screen: Screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = tuple((key, b.action, b.description, b.key_display, enabled, tooltip)
                          for key, (_, b, enabled, tooltip) in screen.active_bindings.items()
                          if b.show)
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)
