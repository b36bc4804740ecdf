"""A Line API view's scrollable size, changed without a layout pass where none is needed."""
from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Give `view` a new scrollable size. Assigning `virtual_size` asks for a layout pass, which
    arranges and draws the whole screen again (~10 ms at 80x24); the view's own region does not
    depend on it, so that pass is needed only when the vertical scrollbar shows or hides (or the
    width changes). Otherwise the size is set directly and the scrollbar told its new range."""
    old = view.virtual_size
    height = view.scrollable_content_region.height
    if (not view.is_mounted or height <= 0 or size.width != old.width
            or (size.height > height) != (old.height > height)):
        view.virtual_size = size
        return
    if size == old:
        return
    view.set_reactive(ScrollView.virtual_size, size)
    if view.show_vertical_scrollbar:
        view.vertical_scrollbar.window_virtual_size = size.height
    if view.scroll_y > view.max_scroll_y:
        view.scroll_to(y=view.max_scroll_y, animate=False, immediate=True)
