"""Proposed variations of one pair (p): each new pair with what it varies, the vet prediction of
each line and lint's findings on it as if inserted. `y` accepts (the pair is added after its
parent, unsaved, and tested when saved), `x` rejects (never offered again for that pair).
Everything here is a proposal: nothing on this screen was measured."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from core.cowriter import Proposal
from core.session_cowriter import PairKey, predicted_verdict

from ..actions import PROPOSALS, bindings
from ..colours import COLOUR_CLASSES, Colour, colour_of
from ..render import clean
from ..widgets.footer import StudioFooter

if TYPE_CHECKING:
    from core.session import Session


def prediction_text(session: "Session", side: str, text: str, colour: Colour) -> Text:
    """`~NN predicted pass: reason` in the prediction's style, or that there is none."""
    p = session.predictions.get((side, text))
    if p is None:
        return Text("no vet prediction", style="dim")
    verdict = predicted_verdict(side, p.score, session.thresholds)
    return Text(f"~{p.score} predicted {verdict}: {clean(p.reason)}", style=colour("predicted"))


def proposal_text(session: "Session", i: int, n: int, row: int, p: Proposal,
                  colour: Colour) -> Text:
    t = Text()
    t.append(f"{i + 1}/{n} ", style="bold")
    t.append("proposal", style=colour("predicted"))
    if p.varied:
        t.append(f" · varies {clean(p.varied)}", style="dim")
    for sign, side, line in (("+", "positive", p.positive), ("-", "negative", p.negative)):
        t.append(f"\n{sign} ", style="bold")
        t.append(clean(line), style="italic")
        t.append("\n  ")
        t.append_text(prediction_text(session, side, line, colour))
    findings = session.proposal_findings(row, p)
    for f in findings:
        t.append(f"\n  lint {f.level}: ", style=colour("fail" if f.level == "error" else "warn"))
        t.append(f"{f.side}: {f.message} [{f.code}]")
    if not findings:
        t.append("\n  lint: no findings", style="dim")
    return t


class ProposalsScreen(Screen[Optional[int]]):
    """Dismissed with the row of the last accepted proposal (None: none accepted)."""

    BINDINGS = bindings(PROPOSALS)
    COMPONENT_CLASSES = COLOUR_CLASSES

    cursor: reactive[int] = reactive(0, init=False)

    def __init__(self, key: PairKey, row: int, dropped: int = 0) -> None:
        super().__init__(id="proposals")
        self.key = key
        self.row = row
        self.dropped = dropped
        self.after: Optional[int] = None     # the row the last accepted proposal went to

    @property
    def session(self) -> "Session":
        return self.app.session  # type: ignore[attr-defined]

    @property
    def proposals(self) -> list[Proposal]:
        return self.session.proposals_for(self.key)

    def compose(self) -> ComposeResult:
        yield Static(id="proposals-head")
        yield VerticalScroll(id="proposals-scroll")
        yield StudioFooter()

    async def on_mount(self) -> None:
        await self.rebuild()
        self.query_one("#proposals-scroll").focus()

    async def rebuild(self, note: str = "") -> None:
        colour = colour_of(self)
        items = self.proposals
        self.cursor = max(0, min(self.cursor, len(items) - 1))
        head = Text()
        head.append(f"Proposals for pair {self.row + 1}", style="bold")
        head.append(" · untested: predictions are guesses, not scores\n",
                    style=colour("predicted"))
        head.append(f"{len(items)} open", style="dim")
        if self.dropped:
            head.append(f" · {self.dropped} dropped (rejected before or already in the dataset)",
                        style="dim")
        if note:
            head.append(f" · {note}", style=colour("ok"))
        self.query_one("#proposals-head", Static).update(head)
        scroll = self.query_one("#proposals-scroll", VerticalScroll)
        await scroll.remove_children()
        await scroll.mount_all([Static(proposal_text(self.session, i, len(items), self.row, p, colour),
                                       classes="proposal" + (" -cursor" if i == self.cursor else ""))
                                for i, p in enumerate(items)])
        self.watch_cursor()

    def watch_cursor(self) -> None:
        for i, w in enumerate(self.query(".proposal")):
            w.set_class(i == self.cursor, "-cursor")
            if i == self.cursor:
                self.query_one("#proposals-scroll").scroll_to_widget(w, animate=False)

    def action_move(self, step: int) -> None:
        self.cursor = max(0, min(self.cursor + step, len(self.proposals) - 1))

    async def action_accept(self) -> None:
        items = self.proposals
        if not items:
            return
        op = self.session.accept_proposal(self.key, items[self.cursor], self.row, self.after)
        self.after = op.cursor_after
        self.app.say(f"Added pair {op.cursor_after + 1} (unsaved, untested): ctrl+s saves and "  # type: ignore[attr-defined]
                     "tests it; u undoes.", "ok")
        await self._next(f"accepted as pair {op.cursor_after + 1}")

    async def action_reject(self) -> None:
        items = self.proposals
        if not items:
            return
        self.session.reject_proposal(self.key, items[self.cursor])
        self.app.say("Rejected: never offered again for this pair.")  # type: ignore[attr-defined]
        await self._next("rejected")

    async def _next(self, note: str) -> None:
        if not self.proposals:
            self.dismiss(self.after)
            return
        await self.rebuild(note)

    def action_save(self) -> None:
        """The editor's save (tui.actions.SAVE): accepted proposals are written and tested
        without leaving the list."""
        self.app.save()  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.dismiss(self.after)
