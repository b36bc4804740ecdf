"""Claude as co-writer: vet a scenario, propose variations of a pair, suggest a fix for one.

Every question goes through the judge's client (core.judge.Judge.ask: its model, key, retries on
429/529/5xx, timeout, concurrency) as one forced tool call with a JSON schema
(core.cowriter_prompts), and every reply is parsed strictly into a typed result: a reply that
does not parse is asked again like the judge's, then raised as a CowriterError, never turned
into an empty list. Each answer carries its cost. Nothing here writes to the dataset: accepting a
proposal or a suggestion is an edit in the session (core.session_cowriter), saved by the user.

Vet predictions are cached by content (core.cache): (judge model, PROMPT_VERSION, trait,
definition, side, scenario). An unchanged scenario is never vetted twice.
"""
from __future__ import annotations

import asyncio
import difflib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Sequence, TypeVar

from .cache import Cache, content_key
from .cowriter_prompts import (PROMPT_VERSION, Diagnosis, PROPOSE_TOOL, SUGGEST_TOOL,
                               SUGGEST_TOOL_SPEC, VET_TOOL, VET_TOOL_SPEC, propose_messages,
                               propose_tool_spec, suggest_messages, vet_messages)
from .events import Side
from .judge import Judge, JudgeError, parse_score_value
from .lint_spread import Spread
from .redact import redact
from .rubric import Rubric

T = TypeVar("T")
REASON_MAX = 240          # characters of a vet reason kept (one line in the detail panel)
MAX_PROPOSALS = 8


class CowriterError(Exception):
    """A question that got no usable answer (the API failed after retries, or the reply did not
    parse). The message is plain words for the user."""


@dataclass(frozen=True)
class VetPrediction:
    """A predicted judge score of the continuation of `scenario`, read from the scenario alone.
    A prediction, never a measurement."""
    side: Side
    scenario: str
    score: int
    reason: str


@dataclass(frozen=True)
class Proposal:
    """A new matched pair proposed from an existing one; `varied` says what it changes."""
    positive: str
    negative: str
    varied: str


@dataclass(frozen=True)
class Suggestion:
    """A diagnosis of a pair and its rewrite."""
    diagnosis: Diagnosis
    explanation: str
    positive: str
    negative: str


@dataclass(frozen=True)
class Answer(Generic[T]):
    """A typed answer and what it cost (0 when it came from the cache)."""
    value: T
    cost_usd: float
    cached: bool = False


@dataclass(frozen=True)
class PairResults:
    """What the co-writer may see of a pair: its two lines and their measured results."""
    positive: str
    negative: str
    completions: tuple[str | None, str | None] = (None, None)
    scores: tuple[int | None, int | None] = (None, None)
    verdicts: tuple[str, str] = ("pending", "pending")
    problems: tuple[str, ...] = ()


# ------------------------------------------------------------------ strict parsing (pure)
def tool_input(content: Sequence[Any], tool: str) -> dict[str, Any]:
    """The input of the `tool` call in a reply's content blocks; ValueError when there is none."""
    for block in content:
        get = block.get if isinstance(block, dict) else lambda k, b=block: getattr(b, k, None)
        if get("type") == "tool_use":
            if get("name") != tool:
                raise ValueError(f"called {get('name')!r} instead of {tool!r}")
            data = get("input")
            if not isinstance(data, dict):
                raise ValueError("the tool was called without an object")
            return data
    raise ValueError(f"answered without calling {tool}")


def _line(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what}: {key!r} is missing or not text")
    if "\n" in value.strip() or "\r" in value.strip():
        raise ValueError(f"{what}: {key!r} has a line break (a scenario is one line)")
    return value.strip()


def parse_vet(data: dict[str, Any]) -> tuple[int, str]:
    """(score, reason) from a vet tool call. Strict: an integer 0-100 and a non-empty reason."""
    if "score" not in data:
        raise ValueError("the prediction has no score")
    score = parse_score_value(data["score"])
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("the prediction has no reason")
    reason = " ".join(reason.split())
    return score, reason[:REASON_MAX]


def parse_proposals(data: dict[str, Any], n: int) -> list[Proposal]:
    """1..n proposals, each with a positive and a negative line (one line each, different)."""
    pairs = data.get("pairs")
    if not isinstance(pairs, list) or not pairs:
        raise ValueError("no list of pairs in the reply")
    if len(pairs) > n:
        raise ValueError(f"{len(pairs)} pairs where {n} were asked for")
    out: list[Proposal] = []
    for i, item in enumerate(pairs, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"pair {i} is not an object")
        pos, neg = _line(item, "positive", f"pair {i}"), _line(item, "negative", f"pair {i}")
        if pos == neg:
            raise ValueError(f"pair {i} has the same positive and negative line")
        varied = item.get("varied")
        out.append(Proposal(pos, neg, " ".join(varied.split()) if isinstance(varied, str) else ""))
    return out


def parse_suggestion(data: dict[str, Any]) -> Suggestion:
    raw = data.get("diagnosis")
    try:
        diagnosis = Diagnosis(raw)
    except ValueError:
        raise ValueError(f"unknown diagnosis {str(raw)[:40]!r}") from None
    explanation = data.get("explanation")
    if not isinstance(explanation, str) or not explanation.strip():
        raise ValueError("the suggestion has no explanation")
    pos, neg = _line(data, "positive", "the rewrite"), _line(data, "negative", "the rewrite")
    if pos == neg:
        raise ValueError("the rewrite has the same positive and negative line")
    return Suggestion(diagnosis, " ".join(explanation.split()), pos, neg)


class DiffOp(StrEnum):
    SAME = "same"
    REMOVED = "removed"
    ADDED = "added"


_DIFF_WORD = re.compile(r"\s*\S+")


def word_diff(old: str, new: str) -> list[tuple[DiffOp, str]]:
    """`old` turned into `new`, word by word (each word with its leading spaces)."""
    a, b = _DIFF_WORD.findall(old), _DIFF_WORD.findall(new)
    out: list[tuple[DiffOp, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append((DiffOp.SAME, "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append((DiffOp.REMOVED, "".join(a[i1:i2])))
        if j2 > j1:
            out.append((DiffOp.ADDED, "".join(b[j1:j2])))
    return out


def vet_key(judge_model: str, trait: str, definition: str, side: str, scenario: str) -> str:
    """The one cache key of a vet prediction."""
    return content_key("vet", judge_model, PROMPT_VERSION, trait, definition, side, scenario)


# ------------------------------------------------------------------ the co-writer
class CoWriter:
    """Asks Claude through `judge`'s client; one per open trait (the editor) or per command."""

    def __init__(self, judge: Judge, cache: Cache, *, trait: str, rubric: Rubric):
        self.judge = judge
        self.cache = cache
        self.trait = trait
        self.rubric = rubric

    @property
    def model(self) -> str:
        return self.judge.model

    async def _ask(self, system: str, messages: list[dict[str, Any]], tool: dict[str, Any],
                   max_tokens: int, parse: Any) -> tuple[Any, int, int]:
        """Ask, parse strictly; a reply that does not parse is asked again (parse_retries, as
        the judge does), then a CowriterError. Returns (value, input tokens, output tokens)."""
        tokens_in = tokens_out = 0
        problem = ""
        for _ in range(1 + self.judge.parse_retries):
            try:
                reply = await self.judge.ask(system, messages, tool, max_tokens)
            except JudgeError as exc:
                raise CowriterError(redact(str(exc))) from None
            tokens_in += reply.input_tokens
            tokens_out += reply.output_tokens
            try:
                return parse(tool_input(reply.content, tool["name"])), tokens_in, tokens_out
            except ValueError as exc:
                problem = str(exc)
        raise CowriterError(f"Claude's reply did not parse: {redact(problem)} "
                            f"(asked {1 + self.judge.parse_retries} times; "
                            f"${self.judge.cost(tokens_in, tokens_out):.4f} spent)")

    # -- vet
    def _vet_key(self, side: str, scenario: str) -> str:
        return vet_key(self.model, self.trait, self.rubric.text, side, scenario)

    def cached_vet(self, side: Side, scenario: str) -> VetPrediction | None:
        hit = self.cache.get_prediction(self._vet_key(side, scenario))
        return VetPrediction(side, scenario, hit.score, hit.reason) if hit else None

    async def vet(self, side: Side, scenario: str) -> Answer[VetPrediction]:
        hit = self.cached_vet(side, scenario)
        if hit is not None:
            return Answer(hit, 0.0, cached=True)
        key = self._vet_key(side, scenario)
        system, messages = vet_messages(self.trait, self.rubric.text, side, scenario)
        (score, reason), tin, tout = await self._ask(system, messages, VET_TOOL_SPEC, 200, parse_vet)
        self.cache.put_prediction(key, self.model, score, reason, tin, tout)
        return Answer(VetPrediction(side, scenario, score, reason), self.judge.cost(tin, tout))

    async def vet_many(self, items: Sequence[tuple[Side, str]]
                       ) -> list[Answer[VetPrediction] | CowriterError]:
        """Vet every (side, scenario), concurrently within the judge's bound; identical items
        are asked once. A failure is returned in place of its answer, not raised."""
        unique = list(dict.fromkeys(items))

        async def one(item: tuple[Side, str]) -> Answer[VetPrediction] | CowriterError:
            try:
                return await self.vet(*item)
            except CowriterError as exc:
                return exc

        done = dict(zip(unique, await asyncio.gather(*(one(i) for i in unique))))
        return [done[i] for i in items]

    # -- propose
    async def propose(self, pair: PairResults, n: int, spread: Spread,
                      rejected: Sequence[tuple[str, str]] = ()) -> Answer[list[Proposal]]:
        if not 1 <= n <= MAX_PROPOSALS:
            raise ValueError(f"ask for 1-{MAX_PROPOSALS} proposals, not {n}")
        system, messages = propose_messages(self.trait, self.rubric.text, pair.positive,
                                            pair.negative, n, spread.endings, spread.words,
                                            rejected)
        value, tin, tout = await self._ask(system, messages, propose_tool_spec(n), 400 * n + 200,
                                           lambda data: parse_proposals(data, n))
        return Answer(value, self.judge.cost(tin, tout))

    # -- suggest
    async def suggest(self, pair: PairResults) -> Answer[Suggestion]:
        results = tuple(zip(pair.completions, pair.scores, pair.verdicts))
        system, messages = suggest_messages(self.trait, self.rubric.text, pair.positive,
                                            pair.negative, results, pair.problems)
        value, tin, tout = await self._ask(system, messages, SUGGEST_TOOL_SPEC, 800,
                                           parse_suggestion)
        return Answer(value, self.judge.cost(tin, tout))


__all__ = ["Answer", "CoWriter", "CowriterError", "Diagnosis", "DiffOp", "word_diff", "PairResults", "Proposal",
           "Suggestion", "VetPrediction", "parse_proposals", "parse_suggestion", "parse_vet",
           "tool_input", "vet_key", "PROPOSE_TOOL", "SUGGEST_TOOL", "VET_TOOL"]
