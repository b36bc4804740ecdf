"""The keys named in the help screen and the conflict dialog take their colour from studio.tcss
(`$studio-key`, through tui.colours), never from a style string of their own: the same editor
with another key colour in its stylesheet draws them in that colour."""
from __future__ import annotations

from pathlib import Path

from rich.color import Color

from core.dataset import load_trait
from tui.app import StudioApp
from tui.screens.conflict import ConflictScreen
from tui.screens.help import HelpScreen

from .helpers import wait_until

SIZE = (80, 24)
KEY = "#ff00ff"


def key_coloured_app(tmp_path: Path, trait: Path) -> StudioApp:
    studio = Path(StudioApp.CSS_PATH).read_text(encoding="utf-8")
    assert "$studio-key: ansi_cyan;" in studio
    css = tmp_path / "studio.tcss"
    css.write_text(studio.replace("$studio-key: ansi_cyan;", f"$studio-key: {KEY};"), encoding="utf-8")

    class KeyColoured(StudioApp):
        CSS_PATH = str(css)

    return KeyColoured(load_trait(str(trait), check_steering=False), runner=None, cache=None,
                       autorun=False, watch=False)


def coloured(widget, colour: str) -> list[str]:
    """The text of every segment `widget` draws in `colour`."""
    want = Color.parse(colour)
    return [seg.text.strip() for y in range(widget.size.height)
            for seg in widget.render_line(y) if seg.style and seg.style.color == want]


async def test_help_keys_take_the_stylesheet_key_colour(tmp_path, trait_copy):
    app = key_coloured_app(tmp_path, trait_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        await pilot.pause(0.1)
        keys = coloured(app.screen.query_one("#help-body"), KEY)
        assert keys[:3] == ["^s", "w", "d"]                 # the editor's first keys, all of them
        assert not any("save" in k for k in keys)           # and only the keys


async def test_conflict_keys_take_the_stylesheet_key_colour(tmp_path, trait_copy):
    app = key_coloured_app(tmp_path, trait_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")                              # unsaved: pair 1 cut
        pos = trait_copy / "positive.txt"
        lines = pos.read_text(encoding="utf-8").splitlines()
        lines[3] = "THEIRS " + lines[3]
        pos.write_text("\n".join(lines) + "\n", encoding="utf-8")
        app.check_disk()
        await wait_until(pilot, lambda: isinstance(app.screen, ConflictScreen), 10, "the conflict")
        await pilot.pause(0.1)
        assert coloured(app.screen.query_one("#conflict-body"), KEY) == ["m", "t", "b", "esc"]
