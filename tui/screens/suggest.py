"""A suggested fix for one pair (s): Claude's diagnosis in the plan's terms and the rewritten pair
as a word diff against the current lines. `y` rewrites the pair (one undoable, unsaved edit,
tested when saved), `x` drops the suggestion. A suggestion, not a measurement."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from core.cowriter import DiffOp, Suggestion, word_diff
from core.session_cowriter import PairKey

from ..actions import SUGGEST, bindings
from ..colours import COLOUR_CLASSES, Colour, colour_of
from ..render import clean
from ..widgets.footer import StudioFooter

if TYPE_CHECKING:
    from core.session import Session

DIFF_COLOUR = {DiffOp.REMOVED: "removed", DiffOp.ADDED: "added"}


def diff_text(old: str, new: str, colour: Colour) -> Text:
    """The old line with its removed words struck, then the new one with its added words."""
    t = Text()
    parts = word_diff(old, new)
    for sign, keep in (("- ", DiffOp.REMOVED), ("+ ", DiffOp.ADDED)):
        t.append(sign, style=colour(DIFF_COLOUR[keep]))
        for op, words in parts:
            if op is DiffOp.SAME:
                t.append(clean(words))
            elif op is keep:
                t.append(clean(words), style=colour(DIFF_COLOUR[op]))
        t.append("\n")
    return t


def suggestion_text(key: PairKey, s: Suggestion, colour: Colour) -> Text:
    t = Text()
    t.append("diagnosis: ", style="bold")
    t.append(str(s.diagnosis), style=colour("warn"))
    t.append(f"\n{clean(s.explanation)}\n\n")
    for side, old, new in (("POSITIVE", key[0], s.positive), ("NEGATIVE", key[1], s.negative)):
        t.append(side, style="bold underline")
        t.append("\n")
        t.append_text(diff_text(old, new, colour))
    return t


class SuggestScreen(Screen[Optional[int]]):
    """Dismissed with the rewritten row (None: nothing rewritten)."""

    BINDINGS = bindings(SUGGEST)
    COMPONENT_CLASSES = COLOUR_CLASSES

    def __init__(self, key: PairKey, row: int) -> None:
        super().__init__(id="suggest")
        self.key = key
        self.row = row

    @property
    def session(self) -> "Session":
        return self.app.session  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(id="suggest-head")
        with VerticalScroll(id="suggest-scroll"):
            yield Static(id="suggest-body")
        yield StudioFooter()

    def on_mount(self) -> None:
        colour = colour_of(self)
        head = Text()
        head.append(f"Suggested fix for pair {self.row + 1}", style="bold")
        head.append(" · untested: save and test it before keeping it",
                    style=colour("predicted"))
        self.query_one("#suggest-head", Static).update(head)
        s = self.session.suggestions.get(self.key)
        body = suggestion_text(self.key, s, colour) if s is not None else Text("No suggestion.")
        self.query_one("#suggest-body", Static).update(body)
        self.query_one("#suggest-scroll").focus()

    def action_scroll(self, step: int) -> None:
        self.query_one("#suggest-scroll").scroll_relative(y=step, animate=False)

    def action_accept(self) -> None:
        op = self.session.accept_suggestion(self.key, self.row)
        if op is None:
            self.app.say("The pair changed meanwhile: the suggestion no longer applies.", "warning")  # type: ignore[attr-defined]
        else:
            self.app.say(f"Rewrote pair {op.cursor_after + 1} (unsaved, untested): ctrl+s saves "  # type: ignore[attr-defined]
                         "and tests it; u undoes.", "ok")
        self.dismiss(op.cursor_after if op is not None else None)

    def action_reject(self) -> None:
        self.session.reject_suggestion(self.key)
        self.app.say("Dropped the suggestion; the pair is unchanged.")  # type: ignore[attr-defined]
        self.dismiss(None)

    def action_save(self) -> None:
        """The editor's save (tui.actions.SAVE), from here too: saves the edits made so far."""
        self.app.save()  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss(None)
