"""The detail panel: wraps the selected pair to its fixed region, scrolls with [ and ], and
shows another pair without a layout pass (a layout pass arranges and draws the whole screen)."""
from __future__ import annotations

from tui.widgets.detail import DetailPanel

from .test_snapshots import build_app

SIZE = (80, 24)


def drawn(panel: DetailPanel) -> list[str]:
    """The panel's content lines as the compositor draws them (without padding)."""
    return [panel.render_line(y).text.rstrip() for y in range(panel.scrollable_content_region.height)]


async def test_scrolls_and_follows_the_cursor_without_a_layout_pass(tmp_path):
    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        panel = main.query_one(DetailPanel)
        region = panel.region
        # pair 1 needs more lines than the panel has: a scrollbar, and the text wrapped beside it
        assert panel.virtual_size.height > panel.scrollable_content_region.height
        assert panel.show_vertical_scrollbar
        assert drawn(panel)[0].startswith("POSITIVE 1")
        assert all(len(line) <= panel.scrollable_content_region.width for line in drawn(panel))

        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert panel.scroll_y == 3 and drawn(panel)[0] != "" and not drawn(panel)[0].startswith("POSITIVE 1")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert panel.scroll_y == 0 and drawn(panel)[0].startswith("POSITIVE 1")

        layouts: list[object] = []
        main.screen_layout_refresh_signal.subscribe(main, layouts.append, immediate=True)
        heights = set()
        for row in range(1, 7):
            await pilot.press("down")
            await pilot.pause()
            assert drawn(panel)[0].startswith(f"POSITIVE {row + 1}"), (row, drawn(panel))
            assert f"NEGATIVE {row + 1}" in panel.shown_text
            heights.add(panel.virtual_size.height)
        # the pairs took different numbers of lines, all overflowing: no layout pass, same region
        assert len(heights) > 1 and min(heights) > panel.scrollable_content_region.height
        assert layouts == [] and panel.region == region


async def test_cut_and_undo_need_no_layout_pass(tmp_path):
    """The table's row count and the detail's text change; neither panel's region does."""
    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        table, panel = main.table, main.query_one(DetailPanel)
        regions = (table.region, panel.region)
        layouts: list[object] = []
        main.screen_layout_refresh_signal.subscribe(main, layouts.append, immediate=True)
        await pilot.press("down", "d")
        await pilot.pause()
        assert app.session.n_pairs == 7 and table.virtual_size.height == 7
        assert panel.shown_text.startswith("POSITIVE 2") and "compliance" in panel.shown_text
        await pilot.press("u")
        await pilot.pause()
        assert app.session.n_pairs == 8 and table.virtual_size.height == 8
        assert layouts == [] and (table.region, panel.region) == regions


async def test_text_can_be_selected_with_the_mouse(tmp_path):
    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panel = app.main.query_one(DetailPanel)
        before = panel.render_line(1)
        # drag from the scenario's second character to the middle of its wrapped second line
        await pilot.mouse_down(panel, offset=(2, 2))
        await pilot.hover(panel, offset=(30, 3))
        await pilot.mouse_up(panel, offset=(30, 3))
        await pilot.pause()
        selected = app.screen.get_selected_text()
        assert selected.startswith("'d never treated this condition before,")
        assert selected.endswith('so I told them confidently, "') and "\n" not in selected
        assert panel.render_line(1) != before            # drawn highlighted


async def test_a_text_that_surely_overflows_does_overflow(tmp_path):
    """surely_overflows is a lower bound of the wrapped height: whenever it says so, Textual's
    own wrap at that width is taller than the panel (so wrapping once beside the scrollbar
    gives what wrapping twice gave)."""
    import random

    from rich.text import Text
    from textual.visual import Visual, visualize

    from tui.widgets.detail import surely_overflows

    words = 'I said quietly "well, to be honest" manager—report résumé 日本語 x supercalifragilistic'.split()
    rnd = random.Random(7)
    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panel = app.main.query_one(DetailPanel)
        said = 0
        for _ in range(1500):
            paras = [" ".join(rnd.choice(words) for _ in range(rnd.randint(0, 40)))
                     for _ in range(rnd.randint(1, 8))]
            text = Text("\n".join(paras) + ("\n" if rnd.random() < 0.5 else ""))
            width, height = rnd.randint(8, 80), rnd.randint(1, 12)
            if surely_overflows(text.plain, width, height):
                said += 1
                lines = Visual.to_strips(panel, visualize(panel, text), width, None, panel.visual_style)
                assert len(lines) > height, (width, height, text.plain)
        assert said > 500                          # the check is not vacuous


async def test_a_pair_moved_back_to_is_not_wrapped_again(tmp_path, monkeypatch):
    from textual.visual import Visual

    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panel = app.main.query_one(DetailPanel)
        first = drawn(panel)
        await pilot.press("down")
        await pilot.pause()
        second = drawn(panel)
        assert second != first
        wraps: list[int] = []
        real = Visual.to_strips
        monkeypatch.setattr(Visual, "to_strips",
                            staticmethod(lambda *a, **k: wraps.append(1) or real(*a, **k)))
        await pilot.press("up")
        await pilot.pause()
        assert drawn(panel) == first and wraps == []      # kept from the first time
        await pilot.press("down")
        await pilot.pause()
        assert drawn(panel) == second and wraps == []


async def test_a_cut_repaints_only_the_lines_that_show_another_pair(tmp_path, monkeypatch):
    """Lines above the cut still show the same pairs and are not drawn again; the lines from
    the cut down are, and the screen shows exactly what a full repaint shows."""
    from tui.widgets.pair_table import PairTable

    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.main.table
        await pilot.press("down", "down", "down")
        await pilot.pause()
        drawn_lines: list[int] = []
        real = PairTable.render_line
        monkeypatch.setattr(PairTable, "render_line",
                            lambda self, y: drawn_lines.append(y) or real(self, y))
        await pilot.press("d")                     # cut pair 4 of 8
        await pilot.pause()
        assert app.session.n_pairs == 7
        assert drawn_lines and min(drawn_lines) == 3 and set(range(3, 8)) <= set(drawn_lines)
        shown = [real(table, y).text for y in range(8)]
        table.refresh()
        await pilot.pause()
        assert [real(table, y).text for y in range(8)] == shown


async def test_a_cursor_move_repaints_the_two_lines_it_changes(tmp_path, monkeypatch):
    from tui.widgets.pair_table import PairTable

    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.main.table
        drawn_lines: list[int] = []
        real = PairTable.render_line
        monkeypatch.setattr(PairTable, "render_line",
                            lambda self, y: drawn_lines.append(y) or real(self, y))
        await pilot.press("down")
        await pilot.pause()
        assert table.cursor == 1 and sorted(set(drawn_lines)) == [0, 1]


async def test_an_empty_table_says_so_on_its_first_line(tmp_path):
    app = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.main.table
        for _ in range(app.session.n_pairs):
            await pilot.press("d")
        await pilot.pause()
        assert app.session.n_pairs == 0
        assert table.render_line(0).text.strip() == "No pairs: press a to add one"
        assert table.render_line(1).text.strip() == ""
