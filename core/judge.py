"""The LLM judge: Anthropic's Messages API through the official async client.

The judge reads the completion alone by default (the trait must show in the generated tokens,
not only in the prompt) and returns an integer 0-100 through a forced tool call. Rate limits,
overload and server errors are retried by the SDK with backoff; an answer that is not a strict
integer 0-100 is asked again, then recorded as an error: never as a pass or a fail.
"""
from __future__ import annotations

import asyncio
import importlib
import os
import re
import threading
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

JUDGE_PROMPT_VERSION = "v1"
SCORE_TOOL = "record_score"

# USD per million tokens (input, output); for the running cost estimate only.
PRICES: dict[str, tuple[float, float]] = {
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku-latest": (0.8, 4.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-opus-4-5": (5.0, 25.0),
}


class JudgeError(Exception):
    """One judgement failed after retries. The message is plain words for the user."""


class JudgeSetupError(JudgeError):
    """The judge cannot run at all (no key, a rejected key, no access to the model): a setup
    problem for the whole run (exit code 2), not a per-line error."""


@dataclass(frozen=True)
class Judgement:
    score: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class ToolReply:
    """A reply to a forced tool call: its content blocks and the tokens it used."""
    content: list[Any]
    input_tokens: int
    output_tokens: int


def estimate_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    base = re.sub(r"-\d{8}$", "", model)
    pin, pout = PRICES.get(base, PRICES.get(model, (0.0, 0.0)))
    return (input_tokens * pin + output_tokens * pout) / 1_000_000


SYSTEM_PROMPT = """You are a strict rater for a research dataset. You read a short passage of text and rate how strongly it expresses one behavioural trait, using the rubric you are given.

Rules:
- Rate only what the passage itself says or shows. Do not assume context that is not in it.
- Use the rubric's ranges: HIGH means the trait is clearly expressed, LOW means it is clearly absent or its opposite is expressed, scores between mean mixed or unclear evidence.
- A passage that is off-topic, empty, or does not bear on the trait gets a middle score (around 50) only if it is genuinely unclear; if it plainly shows the trait's absence, score it low.
- Answer by calling the record_score tool with a single integer from 0 to 100."""


def build_judge_messages(trait: str, definition: str, completion: str,
                         scenario: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, messages). Our own rubric prompt, built from definition.txt."""
    parts = [f"Trait: {trait}\n\nRubric:\n{definition.strip()}\n"]
    if scenario is not None:
        parts.append("The passage continues this opening (context only; rate the continuation):\n"
                     f"<opening>\n{scenario}\n</opening>\n")
    parts.append(f"<passage>\n{completion}\n</passage>\n\n"
                 "How strongly does the passage express the trait? Call record_score with an integer 0-100.")
    return SYSTEM_PROMPT, [{"role": "user", "content": "\n".join(parts)}]


SCORE_TOOL_SPEC = {
    "name": SCORE_TOOL,
    "description": "Record the trait score for the passage.",
    "input_schema": {
        "type": "object",
        "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 100,
                                 "description": "0 = trait clearly absent, 100 = clearly present"}},
        "required": ["score"],
    },
}

_INT_RE = re.compile(r"^\s*([0-9]{1,3})\s*$")  # ASCII digits only: int() also reads "٨٥"


def parse_score_value(value: Any) -> int:
    """Strict: an int (or an all-digit string) in 0..100. Anything else raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"not a score: {value!r}")
    if isinstance(value, int):
        score = value
    elif isinstance(value, float) and value.is_integer():
        score = int(value)
    elif isinstance(value, str) and _INT_RE.match(value):
        score = int(value.strip())
    else:
        raise ValueError(f"not an integer score: {str(value)[:60]!r}")
    if not 0 <= score <= 100:
        raise ValueError(f"score {score} is outside 0-100")
    return score


def parse_response(content: list[Any]) -> int:
    """Find the score in a Messages API reply: the tool_use block first, then a bare-integer text."""
    texts: list[str] = []
    for block in content:
        btype = getattr(block, "type", None) if not isinstance(block, dict) else block.get("type")
        if btype == "tool_use":
            data = block.input if not isinstance(block, dict) else block.get("input")
            if isinstance(data, dict) and "score" in data:
                return parse_score_value(data["score"])
            raise ValueError("the score tool was called without a score")
        if btype == "text":
            texts.append(block.text if not isinstance(block, dict) else block.get("text", ""))
    joined = "".join(texts)
    if _INT_RE.match(joined):
        return parse_score_value(joined)
    raise ValueError(f"the judge answered without a score: {joined[:80]!r}")


def _describe(exc: BaseException) -> str:
    import anthropic
    if isinstance(exc, anthropic.AuthenticationError):
        return "the judge API rejected the key (401): check ANTHROPIC_API_KEY"
    if isinstance(exc, anthropic.PermissionDeniedError):
        return "the judge API refused the request (403): the key lacks access to this model"
    if isinstance(exc, anthropic.NotFoundError):
        return "the judge model was not found (404): check --judge-model"
    if isinstance(exc, anthropic.RateLimitError):
        return "rate limited by the judge API (429) after retries"
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code == 529:
        return "the judge API is overloaded (529) after retries"
    if isinstance(exc, anthropic.APITimeoutError):
        return "the judge API timed out after retries"
    if isinstance(exc, anthropic.APIConnectionError):
        return "could not reach the judge API (connection failed after retries)"
    if isinstance(exc, anthropic.APIStatusError):
        return f"the judge API failed with HTTP {exc.status_code} after retries"
    return f"judge failed: {type(exc).__name__}"


def _sdk_loaded() -> bool:
    mod = sys.modules.get("anthropic")
    return mod is not None and not getattr(getattr(mod, "__spec__", None), "_initializing", False)


@dataclass(frozen=True)
class JudgeSettings:
    """What a Judge is built from: enough to build the same judge in another process (the
    editor's runner process, core.runner_process). The key, when given here rather than in
    ANTHROPIC_API_KEY, never shows in a repr."""
    model: str
    concurrency: int = 16
    max_retries: int = 4
    timeout_s: float = 60.0
    parse_retries: int = 2
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None


class Judge:
    """Scores completions with bounded concurrency. One instance per run (or per editor)."""

    def __init__(self, model: str, *, concurrency: int = 16, max_retries: int = 4,
                 timeout_s: float = 60.0, parse_retries: int = 2, api_key: str | None = None,
                 base_url: str | None = None):
        self.model = model
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.parse_retries = parse_retries
        self._api_key = api_key
        self._base_url = base_url
        self._client: Any = None
        self._client_lock = threading.Lock()   # warm_up() may build the client in a thread
        self._sem: asyncio.Semaphore | None = None
        self.calls = 0          # HTTP-level judge requests we made (not counting SDK retries)
        # Called on the client's loop between the steps of each call: as its request is about
        # to be sent (built; the connection not yet made) and as its reply's headers arrive
        # (before the SDK reads and parses it). The editor waits there while a key is answered
        # (tui.pacing.KeyGate): a first wave of 16 calls is ~200 ms of Python (new connections,
        # parsing) that holds the GIL its loop needs. None: never waits.
        self.between_steps: Optional[Callable[[], None]] = None

    @property
    def settings(self) -> JudgeSettings:
        return JudgeSettings(self.model, self.concurrency, self.max_retries, self.timeout_s,
                             self.parse_retries, self._api_key, self._base_url)

    @classmethod
    def from_settings(cls, s: JudgeSettings) -> "Judge":
        return cls(s.model, concurrency=s.concurrency, max_retries=s.max_retries,
                   timeout_s=s.timeout_s, parse_retries=s.parse_retries, api_key=s.api_key,
                   base_url=s.base_url)

    @staticmethod
    def check_setup(api_key: str | None = None) -> None:
        if not (api_key or os.environ.get("ANTHROPIC_API_KEY")):
            raise JudgeSetupError(
                "ANTHROPIC_API_KEY is not set: the judge scores completions with Anthropic's API. "
                "Run `export ANTHROPIC_API_KEY=...` (the key is never written to any file)")

    def _build_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self.check_setup(self._api_key)
                import anthropic
                kwargs: dict[str, Any] = {"max_retries": self.max_retries, "timeout": self.timeout_s}
                if self._api_key:
                    kwargs["api_key"] = self._api_key
                if self._base_url:
                    kwargs["base_url"] = self._base_url
                # the SDK's own client settings, with one hook (the SDK's helper keeps them)
                kwargs["http_client"] = anthropic.DefaultAsyncHttpxClient(
                    event_hooks={"request": [self._step], "response": [self._step]})
                self._client = anthropic.AsyncAnthropic(**kwargs)
            return self._client

    async def _step(self, request_or_response: Any) -> None:
        wait = self.between_steps
        if wait is not None:
            wait()

    def _ensure_client(self) -> Any:
        client = self._client if self._client is not None else self._build_client()
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.concurrency)
        return client

    def warm_up(self) -> None:
        """Blocking, for a background thread (the editor calls it after its first screen):
        import the SDK, build the client, and parse one sample reply so that the SDK's lazy
        one-time work (imports, response validators) is not done on the event loop by the
        first score() while the user is typing. Does nothing without a key."""
        if not (self._api_key or os.environ.get("ANTHROPIC_API_KEY")):
            return
        importlib.import_module("anthropic")
        self._build_client()
        try:
            asyncio.run(self._offline_call())
        except Exception:
            pass  # best effort: the first score() does the same work when it needs it

    async def _offline_call(self) -> None:
        """One scoring call through a throwaway client whose transport answers in this process
        (no network, no key): the SDK's one-time work for a request and its reply (building
        the request, its validators, parsing the reply: ~25 ms on the first call against ~4
        ms after) is done here, in the warm-up's thread, not on the runner's loop."""
        import anthropic
        import httpx2           # the SDK's HTTP library (it refuses httpx's objects)

        def answer(request: Any) -> Any:
            return httpx2.Response(200, json={
                "id": "msg_warm_up", "type": "message", "role": "assistant", "model": self.model,
                "content": [{"type": "tool_use", "id": "toolu_warm_up", "name": SCORE_TOOL,
                             "input": {"score": 50}}],
                "stop_reason": "tool_use", "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1}})

        async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as http:
            client = anthropic.AsyncAnthropic(api_key="offline-warm-up", base_url="http://warm-up.invalid",
                                              http_client=http, max_retries=0)
            system, messages = build_judge_messages("warm/up", "HIGH (70-100): x", " warm up", None)
            reply = await client.messages.create(
                model=self.model, max_tokens=64, system=system, messages=messages,
                tools=[SCORE_TOOL_SPEC], tool_choice={"type": "tool", "name": SCORE_TOOL})
            parse_response(reply.content)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
            self._sem = None

    async def ask(self, system: str, messages: list[dict[str, Any]], tool: dict[str, Any],
                  max_tokens: int) -> ToolReply:
        """One request forcing a call of `tool`, through this judge's client: its key, its SDK
        retries (429, 529, 5xx, timeouts) and its concurrency bound. The co-writer
        (core.cowriter) asks its questions this way too. Raises JudgeSetupError (key, access,
        model) or JudgeError (anything else, after retries), in plain words."""
        if not _sdk_loaded() and (self._api_key or os.environ.get("ANTHROPIC_API_KEY")):
            # The first import of the SDK takes ~0.5-3 s of pure Python: do it in a thread so
            # the editor's event loop keeps answering keys meanwhile.
            await asyncio.to_thread(importlib.import_module, "anthropic")
        import anthropic
        client = self._ensure_client()
        assert self._sem is not None
        async with self._sem:
            self.calls += 1
            try:
                reply = await client.messages.create(
                    model=self.model, max_tokens=max_tokens, system=system, messages=messages,
                    tools=[tool], tool_choice={"type": "tool", "name": tool["name"]})
            except (anthropic.AuthenticationError, anthropic.PermissionDeniedError,
                    anthropic.NotFoundError) as exc:
                raise JudgeSetupError(_describe(exc)) from None
            except anthropic.APIError as exc:
                raise JudgeError(_describe(exc)) from None
        usage = getattr(reply, "usage", None)
        return ToolReply(list(reply.content), getattr(usage, "input_tokens", 0) or 0,
                         getattr(usage, "output_tokens", 0) or 0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return estimate_cost(self.model, input_tokens, output_tokens)

    async def score(self, trait: str, definition: str, completion: str,
                    scenario: str | None = None) -> Judgement:
        system, messages = build_judge_messages(trait, definition, completion, scenario)
        tokens_in = tokens_out = 0
        last_problem = ""
        for _attempt in range(1 + self.parse_retries):
            reply = await self.ask(system, messages, SCORE_TOOL_SPEC, 64)
            tokens_in += reply.input_tokens
            tokens_out += reply.output_tokens
            try:
                value = parse_response(reply.content)
            except ValueError as exc:
                last_problem = str(exc)
                continue
            return Judgement(value, tokens_in, tokens_out, self.cost(tokens_in, tokens_out))
        raise JudgeError(f"unscored: {last_problem} (asked {1 + self.parse_retries} times)")
