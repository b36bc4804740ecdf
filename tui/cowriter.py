"""The editor's side of the co-writer (core.cowriter): V vets, p proposes, s suggests.

Each question runs as a worker (@work) that awaits the co-writer on the client loop (the judge's
HTTP client lives there, tui.runner_thread) and posts a message with the typed answer or the
error; the handlers fold it into the session (core.session_cowriter) and open the proposal or
suggestion screen. Nothing is written to the dataset here: an accepted proposal or suggestion is
an unsaved edit, tested when the user saves.
"""
from __future__ import annotations

import asyncio
from typing import Any, Optional

from textual import work

from core.cowriter import Answer, CoWriter, CowriterError
from core.session_cowriter import PairKey

from .messages import ProposalsReady, SuggestionReady, VetReady
from .screens.proposals import ProposalsScreen
from .screens.suggest import SuggestScreen

PROPOSE_N = 3


class CoWriterActions:
    """A StudioApp part: starts the co-writer's questions and draws their answers."""

    session: Any
    runner: Any
    cache: Any
    _runner_thread: Any
    _cowriter: Optional[CoWriter] = None

    # ------------------------------------------------------------------ the co-writer
    def _writer(self) -> Optional[CoWriter]:
        """The co-writer on the judge's client (the same rubric object as the session's), or
        None without a judge."""
        judge = self.runner.judge if self.runner is not None else None
        if judge is None or self.cache is None:
            return None
        if self._cowriter is None:
            self._cowriter = CoWriter(judge, self.cache, trait=self.session.name,
                                      rubric=self.session.rubric)
        return self._cowriter

    def cowriter(self) -> Optional[CoWriter]:
        """The co-writer, or None after saying why there is none."""
        writer = self._writer()
        if writer is None:
            why = self.runner.judge_problem if self.runner is not None else "no judge configured"
            self.say(f"The co-writer asks Claude through the judge's key: {why}", "error")
        return writer

    def prefill_predictions(self) -> int:
        """Show the cached vet predictions of the lines without a measured score (no request:
        an unchanged scenario is never vetted twice)."""
        writer = self._writer()
        if writer is None:
            return 0
        found = [hit for side, text in self.session.to_vet()
                 if (hit := writer.cached_vet(side, text)) is not None]
        self.session.adopt_predictions([Answer(p, 0.0, cached=True) for p in found])
        return len(found)

    async def _on_runner_loop(self, coro: Any) -> Any:
        return await asyncio.wrap_future(self._runner_thread.submit(coro))

    # ------------------------------------------------------------------ vet
    def start_vet(self) -> None:
        writer = self.cowriter()
        if writer is None:
            return
        items = self.session.to_vet()
        if not items:
            self.say("Every line without a measured score has a vet prediction already.")
            return
        self.say(f"Vetting {len(items)} line{'s' if len(items) != 1 else ''} with "
                 f"{writer.model} (predictions, not measurements)…")
        self._vet(writer, items)

    @work(group="cowriter-vet", exclusive=True, exit_on_error=False)
    async def _vet(self, writer: CoWriter, items: list) -> None:
        self.post_message(VetReady(await self._on_runner_loop(writer.vet_many(items))))

    def on_vet_ready(self, message: VetReady) -> None:
        n, errors = self.session.adopt_predictions(message.answers)
        if errors:
            self.say(f"Vetted {n} of {len(message.answers)} lines; the rest failed: {errors[0]}",
                     "error")
        else:
            self.say(f"Vetted {n} line{'s' if n != 1 else ''}: ~NN is a prediction, shown until "
                     "the line is tested.", "ok")
        self.main.refresh_view()

    # ------------------------------------------------------------------ propose
    def start_propose(self, row: int) -> None:
        key = self.session.pair_key(row)
        if self.session.proposals_for(key):
            self.open_proposals(key, row)
            return
        writer = self.cowriter()
        if writer is None:
            return
        self.say(f"Asking {writer.model} for {PROPOSE_N} variations of pair {row + 1}…")
        self._propose(writer, key, row, self.session.pair_results(row), self.session.spread(),
                      self.session.rejected_for(key))

    @work(group="cowriter-propose", exclusive=True, exit_on_error=False)
    async def _propose(self, writer: CoWriter, key: PairKey, row: int, pair: Any, spread: Any,
                       rejected: list) -> None:
        try:
            answer = await self._on_runner_loop(writer.propose(pair, PROPOSE_N, spread, rejected))
        except CowriterError as exc:
            self.post_message(ProposalsReady(key, row, None, [], str(exc)))
            return
        lines = [(side, text) for p in answer.value
                 for side, text in (("positive", p.positive), ("negative", p.negative))]
        vets = await self._on_runner_loop(writer.vet_many(lines))
        self.post_message(ProposalsReady(key, row, answer, vets))

    def on_proposals_ready(self, message: ProposalsReady) -> None:
        if message.proposals is None:
            self.say(f"No proposals: {message.error}", "error")
            return
        self.session.add_cowriter_cost(message.proposals.cost_usd)
        self.session.adopt_predictions(message.vets)
        kept = self.session.set_proposals(message.key, message.proposals.value)
        if not kept.kept:
            self.say(f"All {kept.dropped} proposals were rejected before or are already in the "
                     "dataset; p asks again.", "warning")
            self.main.refresh_view()
            return
        self.open_proposals(message.key, message.row, kept.dropped)

    def open_proposals(self, key: PairKey, row: int, dropped: int = 0) -> None:
        if isinstance(self.screen, ProposalsScreen):
            return
        self.push_screen(ProposalsScreen(key, row, dropped), self._back_from_cowriter)

    # ------------------------------------------------------------------ suggest
    def start_suggest(self, row: int) -> None:
        key = self.session.pair_key(row)
        if key in self.session.suggestions:
            self.push_screen(SuggestScreen(key, row), self._back_from_cowriter)
            return
        if not self.session.suggestible(row):
            self.say(f"Pair {row + 1} has no measured problem to diagnose: suggest works on "
                     "failing, ambiguous, mismatched or identical pairs.", "warning")
            return
        writer = self.cowriter()
        if writer is None:
            return
        self.say(f"Asking {writer.model} to diagnose pair {row + 1}…")
        self._suggest(writer, key, row, self.session.pair_results(row))

    @work(group="cowriter-suggest", exclusive=True, exit_on_error=False)
    async def _suggest(self, writer: CoWriter, key: PairKey, row: int, pair: Any) -> None:
        try:
            answer = await self._on_runner_loop(writer.suggest(pair))
        except CowriterError as exc:
            self.post_message(SuggestionReady(key, row, None, str(exc)))
            return
        self.post_message(SuggestionReady(key, row, answer))

    def on_suggestion_ready(self, message: SuggestionReady) -> None:
        if message.suggestion is None:
            self.say(f"No suggestion: {message.error}", "error")
            return
        self.session.add_cowriter_cost(message.suggestion.cost_usd)
        self.session.set_suggestion(message.key, message.suggestion.value)
        if not isinstance(self.screen, SuggestScreen):
            self.push_screen(SuggestScreen(message.key, message.row),
                             self._back_from_cowriter)

    def _back_from_cowriter(self, row: Optional[int] = None) -> None:
        """Back in the editor: on the pair just added or rewritten, if any."""
        self.main.refresh_view(keep=row)
