"""Every action of the editor, once: its keys, its footer label, its help line and its palette
entry. The screens' BINDINGS, the command palette and the help screen are all built from these
lists, so a key or a sentence changed here changes everywhere (after Harlequin's actions.py)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from textual.binding import Binding


@dataclass(frozen=True)
class StudioAction:
    action: str               # what Textual runs: `action_<name>` of the screen, or "app.<name>"
    label: str                # the footer's word
    help: str                 # one line for the help screen and the palette
    keys: str = ""            # comma-separated; "" when only the palette offers it
    show: bool = False        # in the footer
    palette: str = ""         # the palette's title; "" when the palette does not offer it
    id: str | None = None     # for keymaps
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.label, show=self.show, id=self.id,
                       tooltip=self.help, priority=self.priority)


def bindings(actions: Iterable[StudioAction]) -> list[Binding]:
    return [a.binding() for a in actions if a.keys]


def palette(actions: Iterable[StudioAction]) -> list[StudioAction]:
    return [a for a in actions if a.palette]


A = StudioAction

# Saving, wherever unsaved edits can be made: the editors and the co-writer's screens (an
# accepted proposal or suggestion is an unsaved edit). Each screen's `action_save` is the app's.
SAVE: tuple[StudioAction, ...] = (
    A("save", "Save", "save both files atomically, then re-test what changed", "ctrl+s", True,
      "Save", "save"),
    A("save", "Save", "save, for terminals that eat ctrl+s (XON/XOFF flow control)", "w"),
)

EDITOR: tuple[StudioAction, ...] = SAVE + (
    A("cut", "Cut", "cut the selected pair (both lines)", "d", True, id="cut"),
    A("undo", "Undo", "undo the last cut, edit, add or reload", "u", True, "Undo", "undo"),
    A("redo", "Redo", "redo what was undone", "U,ctrl+y", palette="Redo", id="redo"),
    A("edit", "Edit", "edit the selected line in place (left/right or tab picks the side)",
      "e,enter", True, id="edit"),
    A("add", "Add", "add a pair after the cursor", "a", True, id="add"),
    A("next_problem", "Next",
      "next problem pair (fail, mismatch, identical, ambiguous, error, lint error)", "n", True,
      id="next_problem"),
    A("prev_problem", "Prev", "previous problem pair", "N", id="prev_problem"),
    A("filter", "Filter", "show problem pairs only / all pairs", "f", True,
      "Toggle problem filter", "filter"),
    A("review", "Review", "first-token review: mark EXPRESS / EXPLAIN", "v", True,
      "First-token review", "review"),
    A("retest", "Retest", "re-test the selected pair ignoring the cache", "r",
      palette="Retest selected pair", id="retest"),
    A("retest_all", "Retest all", "test every line still without a result (after fixing a backend)",
      "R", palette="Retest untested lines", id="retest_all"),
    A("vet", "Vet", "vet: predict each untested line's score from its scenario alone (Claude; "
      "a prediction, not a measurement)", "V", palette="Vet untested lines", id="vet"),
    A("propose", "Propose", "propose 3 new pairs varying the selected one (Claude; untested "
      "proposals to accept or reject)", "p", palette="Propose variations of this pair",
      id="propose"),
    A("suggest", "Suggest", "suggest a fix for a failing, ambiguous or mismatched pair: a "
      "diagnosis and a rewrite (Claude)", "s", palette="Suggest a fix for this pair",
      id="suggest"),
    A("detail_down", "Detail down", "scroll the detail panel down", "right_square_bracket"),
    A("detail_up", "Detail up", "scroll the detail panel up", "left_square_bracket"),
    A("app.show_last_conflict", "Last conflict",
      "both versions of the last conflict with the disk", palette="Show last conflict"),
    A("app.reload", "Reload", "read the files again (asks on unsaved edits)",
      palette="Reload from disk"),
    A("app.write_results", "Write results",
      "results and review marks to scenario-runs/<category>/<trait>/results.json",
      palette="Write results.json"),
    A("app.help", "Help", "this help", "question_mark,f1", True, "Keys and colours", "help"),
    A("app.quit", "Quit", "quit (asks first when there are unsaved changes)", "q", True, id="quit"),
)

TABLE: tuple[StudioAction, ...] = (
    A("cursor_up", "Up", "previous pair", "up,k"),
    A("cursor_down", "Down", "next pair", "down,j"),
    A("page_up", "Page up", "one screen up", "pageup"),
    A("page_down", "Page down", "one screen down", "pagedown"),
    A("first", "First", "first pair", "home,g"),
    A("last", "Last", "last pair", "end,G"),
    A("side('positive')", "Positive", "select the positive line (left pane)", "left,h"),
    A("side('negative')", "Negative", "select the negative line (right pane)", "right,l"),
    A("toggle_side", "Other side", "switch between the panes", "tab"),
)


def _for_lines(actions: tuple[StudioAction, ...], changes: dict[str, str]) -> tuple[StudioAction, ...]:
    """The same actions, keys and order with other help lines (the unmatched mode's words)."""
    return tuple(replace(a, help=changes[a.action]) if a.action in changes else a for a in actions)


# An unmatched dataset (tui.screens.sides): the same keys, acting on one line of one side.
# Proposals and suggested fixes are made for pairs, so an unmatched dataset has neither.
SIDES_EDITOR = _for_lines(tuple(a for a in EDITOR if a.action not in ("propose", "suggest")), {
    "cut": "cut the selected line (this side only; the other side is untouched)",
    "edit": "edit the selected line in place",
    "add": "add a line after the cursor, on this side",
    "next_problem": "next problem line on this side (fail, ambiguous, error, lint error)",
    "prev_problem": "previous problem line on this side",
    "filter": "show problem lines only / all lines (both sides)",
    "retest": "re-test the selected line ignoring the cache",
})

SIDE_TABLE = _for_lines(TABLE, {
    "cursor_up": "previous line", "cursor_down": "next line", "first": "first line",
    "last": "last line", "side('positive')": "the positive pane (left; each pane scrolls alone)",
    "side('negative')": "the negative pane (right)", "toggle_side": "the other pane",
})

# The pane keys belong to the screen, not to a pane: switching panes must take effect before the
# next key is routed (a fast `tab G` would otherwise move the pane it left).
SIDE_PANES = tuple(a for a in SIDE_TABLE if a.action.startswith(("side(", "toggle_side")))
SIDE_MOVES = tuple(a for a in SIDE_TABLE if a not in SIDE_PANES)

REVIEW: tuple[StudioAction, ...] = (
    A("mark('EXPRESS')", "EXPRESS", "the first tokens EXPRESS the trait (then the next line)",
      "x", True, id="express"),
    A("mark('EXPLAIN')", "EXPLAIN",
      "they EXPLAIN an act the scenario already committed (then the next line)", "p", True,
      id="explain"),
    A("skip", "Skip", "leave unmarked, go to the next line", "space,s", True, id="skip"),
    A("clear", "Clear", "remove this line's mark", "backspace,delete"),
    A("move(1)", "Down", "next line", "down,j"),
    A("move(-1)", "Up", "previous line", "up,k"),
    A("other_side", "Other side", "the pair's other line", "tab"),
    A("move(10)", "Page down", "ten lines down", "pagedown"),
    A("move(-10)", "Page up", "ten lines up", "pageup"),
    A("next_unmarked", "Next unmarked", "the next line with a completion and no mark", "n", True,
      id="next_unmarked"),
    A("app.help", "Help", "the help screen", "question_mark,f1", True),
    A("back", "Back", "back to the editor", "escape,v,q", True, id="back"),
)

SIDES_REVIEW = _for_lines(REVIEW, {"other_side": "the same line number on the other side"})

PROPOSALS: tuple[StudioAction, ...] = (
    A("accept", "Accept", "add this proposal after its pair (unsaved; tested when you save)",
      "y", True, id="accept_proposal"),
    A("reject", "Reject", "reject it: never offered again for this pair", "x", True,
      id="reject_proposal"),
    *SAVE,
    A("move(1)", "Down", "next proposal", "down,j"),
    A("move(-1)", "Up", "previous proposal", "up,k"),
    A("app.help", "Help", "the help screen", "question_mark,f1", True),
    A("back", "Back", "back to the editor (open proposals stay for p)", "escape,q", True,
      id="proposals_back"),
)

SUGGEST: tuple[StudioAction, ...] = (
    A("accept", "Accept", "rewrite the pair as suggested (unsaved, one u undoes it)", "y", True,
      id="accept_suggestion"),
    A("reject", "Reject", "drop the suggestion, keep the pair as it is", "x", True,
      id="reject_suggestion"),
    *SAVE,
    A("scroll(3)", "Down", "scroll down", "down,j"),
    A("scroll(-3)", "Up", "scroll up", "up,k"),
    A("app.help", "Help", "the help screen", "question_mark,f1", True),
    A("back", "Back", "back to the editor (the suggestion stays for s)", "escape,q", True,
      id="suggest_back"),
)

EVERYWHERE: tuple[StudioAction, ...] = (
    A("quit", "Quit", "quit (asks when there are unsaved changes)", "ctrl+q", priority=True),
)

PALETTE_HELP = ("command palette: save, retest, show last conflict, write results.json, review, "
                "vet, propose, suggest, theme…")
