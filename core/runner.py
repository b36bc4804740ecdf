"""The test runner: cache lookups, generation, judging, as one async stream of events.

Judging of a line starts the moment its completion arrives. Every result is written to the
cache as it arrives, so a run that is interrupted keeps what it finished, and a re-run only
asks the backends for what is missing. Setup problems (no backend, no judge key) are reported
once as a BackendStatus and the lines they block stay pending: never a pass, never a fail.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Any, AsyncIterator, Callable, Iterable, Sequence

from .activations import Activations, CaptureSettings, capture_settings
from .backend_state import Slot, unconfigured
from .backends import Backend, BackendSetupError, completion_identity
from .batching import Chunk, plan_chunks, reproducible
from .cache import Cache, content_key
from .config import Config
from .events import (BackendState, BackendStatus, CompletionReady, Event, LineError, RunDone, RunStarted,
                     ScoreReady, Side)
from .generation import Generated
from .judge import JUDGE_PROMPT_VERSION, Judge, JudgeError, JudgeSetupError
from .redact import redact
from .rubric import Rubric


@dataclass(frozen=True)
class Item:
    side: Side
    idx: int
    scenario: str


def completion_key(identity: dict[str, Any], prompt: str) -> str:
    return content_key("completion", identity, prompt)


def activations_key(completion_key_: str, capture: CaptureSettings) -> str:
    """A completion's captured hidden states: its key plus what was captured and how."""
    return content_key("activations", completion_key_, capture.identity())


def score_key(judge_model: str, trait: str, definition: str, completion: str,
              scenario: str | None) -> str:
    return content_key("score", judge_model, JUDGE_PROMPT_VERSION, trait, definition, completion,
                       scenario)


def items_for(positive: Sequence[str], negative: Sequence[str]) -> list[Item]:
    return ([Item("positive", i, s) for i, s in enumerate(positive)]
            + [Item("negative", i, s) for i, s in enumerate(negative)])


def _scrub(event: Event | None) -> Event | None:
    """Error texts come from backends and the judge, and may quote a key or a token (a URL, a
    header, an echoed request): redact them here, once, for every consumer of the stream."""
    if isinstance(event, (LineError, BackendStatus)) and event.message:
        return replace(event, message=redact(event.message))
    if isinstance(event, RunDone) and event.fatal:
        return replace(event, fatal=redact(event.fatal))
    return event


@dataclass
class RunStats:
    generations: int = 0
    judge_calls: int = 0
    errors: int = 0
    cost_usd: float = 0.0
    cached_completions: int = 0
    cached_scores: int = 0
    fatal: list[str] = field(default_factory=list)
    judge_broken: bool = False


class Runner:
    """One per dataset session. `backend` and `judge` may be None (not configured)."""

    def __init__(self, cfg: Config, cache: Cache, *, trait: str, definition: str,
                 backend: Backend | None = None, judge: Judge | None = None,
                 backend_problem: str | None = None, judge_problem: str | None = None):
        self.cfg = cfg
        self.cache = cache
        self.trait = trait
        self.rubric = Rubric(definition)     # shared with the editor's session (one holder)
        self.backend = backend
        self.judge = judge
        self.backend_problem = backend_problem
        self.judge_problem = judge_problem
        self._run_ids = 0
        self.identity = completion_identity(cfg)
        self.capture = capture_settings(cfg)   # None: vectors off
        # A cached completion without its activations is generated again (the same tokens, now
        # with the hidden states) only by a backend that captures; otherwise it is used as is.
        self.must_capture = self.capture is not None and backend is not None and backend.captures

    @property
    def definition(self) -> str:
        """The rubric's current text: later score lookups and judge calls use it as it changes
        (cached completions still apply, so a new rubric regenerates nothing)."""
        return self.rubric.text

    def setup_status(self) -> dict[Slot, BackendStatus]:
        """Both backends as built, before any event: idle, or not configured and why."""
        out = unconfigured(self.backend.name if self.backend is not None else self.cfg.backend,
                           self.backend_problem, self.judge_problem)
        if self.backend is not None:
            out["generator"] = BackendStatus(self.backend.name, BackendState.IDLE)
        if self.judge is not None:
            out["judge"] = BackendStatus("judge", BackendState.IDLE)
        return out

    # -- pure-ish helpers the editor uses to show cached state without running anything
    def cached_results(self, scenarios: Iterable[str]) -> dict[str, tuple[Generated, int | None]]:
        """(completion with its cached hidden states, score or None) of every scenario with a
        cached completion, looked up together (what the editor shows as it opens)."""
        keys = {s: completion_key(self.identity, s) for s in scenarios}
        hits = self.cache.get_completions(keys.values())
        acts = (self.cache.get_activations_many(activations_key(keys[s], self.capture)
                                                for s in keys if keys[s] in hits)
                if self.capture else {})
        done = {s: Generated(hits[k].text, hits[k].tokens,
                             acts.get(activations_key(k, self.capture)) if self.capture else None)
                for s, k in keys.items() if k in hits}
        score_keys = {s: self._score_key(s, g.text) for s, g in done.items()}
        scores = self.cache.get_scores(score_keys.values())
        return {s: (g, scores[score_keys[s]].score if score_keys[s] in scores else None)
                for s, g in done.items()}

    def _cached_activations(self, key: str) -> Activations | None:
        return self.cache.get_activations(activations_key(key, self.capture)) if self.capture else None

    def _score_key(self, scenario: str, completion: str) -> str:
        return score_key(self.cfg.judge_model, self.trait, self.definition, completion,
                         scenario if self.cfg.judge_sees_scenario else None)

    async def run(self, items: Sequence[Item], *, refresh: bool = False,
                  dataset: Sequence[str] | None = None) -> AsyncIterator[Event]:
        """Yield events until every item has a completion and a score, or an error/blocker.
        `dataset`: every scenario of the dataset in items_for order, when `items` is only part
        of it (a re-test), so that lines are decoded in their full-run batches (core.batching)."""
        self._run_ids += 1
        run_id = self._run_ids
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        whole = list(dataset) if dataset is not None else [i.scenario for i in items]
        producer = asyncio.create_task(self._produce(run_id, list(items), whole, refresh,
                                                     lambda ev: queue.put_nowait(_scrub(ev))))
        try:
            while True:
                event = await queue.get()
                if event is None:
                    break
                yield event
            await producer
        finally:
            if not producer.done():
                producer.cancel()
                await asyncio.gather(producer, return_exceptions=True)

    async def _produce(self, run_id: int, items: list[Item], dataset: list[str], refresh: bool,
                       emit: Callable[[Event | None], None]) -> None:
        started = time.perf_counter()
        stats = RunStats()
        judge_tasks: set[asyncio.Task] = set()
        inflight_scores: dict[str, asyncio.Future] = {}
        judge_blocked = False
        cancelled = False

        def judge_later(item: Item, completion: str) -> None:
            nonlocal judge_blocked
            if stats.judge_broken:
                return  # a setup failure (e.g. a rejected key) was reported; the line stays pending
            if not refresh:
                # A new completion may still have a score: the score key is the completion's
                # content, so an edit that leaves the completion unchanged costs no judge call.
                cached = self.cache.get_score(self._score_key(item.scenario, completion))
                if cached is not None:
                    stats.cached_scores += 1
                    emit(ScoreReady(run_id, item.side, item.idx, item.scenario, completion, cached.score,
                                    True, cached.input_tokens, cached.output_tokens, 0.0))
                    return
            if self.judge is None:
                if not judge_blocked:
                    judge_blocked = True
                    msg = self.judge_problem or "no judge configured"
                    stats.fatal.append(msg)
                    emit(BackendStatus("judge", BackendState.NOT_CONFIGURED, msg))
                return
            task = asyncio.create_task(self._judge_one(run_id, item, completion, stats, emit,
                                                       inflight_scores))
            judge_tasks.add(task)
            task.add_done_callback(judge_tasks.discard)

        try:
            to_generate: dict[str, list[Item]] = {}
            to_judge: list[tuple[Item, str]] = []
            for item in items:
                key = completion_key(self.identity, item.scenario)
                hit = None if refresh else self.cache.get_completion(key)
                acts = self._cached_activations(key) if hit is not None else None
                if hit is None or (acts is None and self.must_capture):
                    to_generate.setdefault(item.scenario, []).append(item)
                    continue
                stats.cached_completions += 1
                emit(CompletionReady(run_id, item.side, item.idx, item.scenario, hit.text, hit.tokens, True,
                                     acts))
                cached = None if refresh else self.cache.get_score(self._score_key(item.scenario, hit.text))
                if cached is not None:
                    stats.cached_scores += 1
                    emit(ScoreReady(run_id, item.side, item.idx, item.scenario, hit.text, cached.score, True,
                                    cached.input_tokens, cached.output_tokens, 0.0))
                else:
                    to_judge.append((item, hit.text))
            emit(RunStarted(run_id, len(items), sum(len(v) for v in to_generate.values()),
                            len(to_judge) + sum(len(v) for v in to_generate.values())))
            for item, text in to_judge:
                judge_later(item, text)
            if to_generate:
                await self._generate_all(run_id, to_generate, dataset, stats, emit, judge_later)
            if judge_tasks:
                await asyncio.gather(*list(judge_tasks), return_exceptions=True)
        except asyncio.CancelledError:
            cancelled = True
            for t in list(judge_tasks):
                t.cancel()
            await asyncio.gather(*list(judge_tasks), return_exceptions=True)
            raise
        except Exception as exc:  # a bug must not look like results
            stats.fatal.append(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            emit(RunDone(run_id, cancelled, stats.generations, stats.judge_calls, stats.errors,
                         stats.cost_usd, time.perf_counter() - started,
                         "; ".join(stats.fatal) or None,
                         {"cached_completions": stats.cached_completions,
                          "cached_scores": stats.cached_scores}))
            emit(None)

    async def _generate_all(self, run_id: int, to_generate: dict[str, list[Item]], dataset: list[str],
                            stats: RunStats, emit: Callable[[Event | None], None],
                            judge_later: Callable[[Item, str], None]) -> None:
        backend = self.backend
        if backend is None:
            msg = self.backend_problem or "no generation backend configured"
            stats.fatal.append(msg)
            emit(BackendStatus("generator", BackendState.NOT_CONFIGURED, msg))
            return
        cold = backend.likely_cold
        remote = backend.name == "modal"
        # Local: prepare() is the model load. Modal: prepare() only looks the class up (it fails
        # fast when Modal is not set up); the container starts on the first call after it.
        if cold and not remote:
            emit(BackendStatus(backend.name, BackendState.LOADING, f"loading {backend.model}"))
        try:
            await backend.prepare()
        except BackendSetupError as exc:
            stats.fatal.append(str(exc))
            emit(BackendStatus(backend.name, BackendState.NOT_CONFIGURED, str(exc)))
            return
        if cold and remote:
            emit(BackendStatus(backend.name, BackendState.WARMING, backend.cold_start_note
                               or "starting a GPU container; a cold start takes a minute or more, "
                               "later runs reuse it"))
        first = True
        for chunk in plan_chunks(to_generate, dataset, self.cfg.batch_size,
                                 reproducible=reproducible(self.cfg.retest_batches,
                                                           self.identity["precision"])):
            try:
                results = await self._generate_chunk(chunk, stats)
            except BackendSetupError as exc:
                stats.fatal.append(str(exc))
                emit(BackendStatus(backend.name, BackendState.ERROR, str(exc)))
                return
            if first:
                emit(BackendStatus(backend.name, BackendState.READY, ""))
                first = False
            for prompt, result in results.items():
                for item in to_generate[prompt]:
                    if isinstance(result, Exception):
                        stats.errors += 1
                        emit(LineError(run_id, item.side, item.idx, item.scenario, "generate",
                                       f"generation failed: {type(result).__name__}: {str(result)[:200]}"))
                        continue
                    emit(CompletionReady(run_id, item.side, item.idx, item.scenario, result.text,
                                         result.tokens, False, result.activations))
                    judge_later(item, result.text)

    async def _generate_chunk(self, chunk: Chunk, stats: RunStats) -> dict[str, Generated | Exception]:
        """Generate one batch and return the wanted prompts' results; if the batch fails, retry
        the wanted prompts one by one so a single bad prompt does not take its neighbours down
        with it. Neighbours decoded only for the batch's shape are neither kept nor cached: a
        re-test never changes the completion of a line it was not asked about."""
        backend = self.backend
        try:
            stats.generations += len(chunk.prompts)
            out = await backend.generate(list(chunk.prompts))
            if len(out) != len(chunk.prompts):
                raise RuntimeError(f"backend returned {len(out)} results for {len(chunk.prompts)} prompts")
            results: dict[str, Generated | Exception] = {
                p: r for p, r in zip(chunk.prompts, out) if p in chunk.wanted}
        except BackendSetupError:
            raise
        except Exception as exc:
            wanted = [p for p in chunk.prompts if p in chunk.wanted]
            if len(chunk.prompts) == 1:
                return {wanted[0]: exc}
            results = {}
            for prompt in wanted:
                try:
                    stats.generations += 1
                    results[prompt] = (await backend.generate([prompt]))[0]
                except BackendSetupError:
                    raise
                except Exception as one:
                    results[prompt] = one
        for prompt, result in results.items():
            if not isinstance(result, Exception):
                key = completion_key(self.identity, prompt)
                self.cache.put_completion(key, self.cfg.model, prompt, result.text, result.tokens)
                if self.capture is not None and result.activations is not None:
                    self.cache.put_activations(activations_key(key, self.capture), result.activations)
        return results

    async def _judge_one(self, run_id: int, item: Item, completion: str, stats: RunStats,
                         emit: Callable[[Event | None], None],
                         inflight: dict[str, asyncio.Future]) -> None:
        key = self._score_key(item.scenario, completion)
        shared = inflight.get(key)
        try:
            if shared is None:
                fut = asyncio.get_running_loop().create_future()
                inflight[key] = fut
                try:
                    stats.judge_calls += 1
                    j = await self.judge.score(self.trait, self.definition, completion,
                                               item.scenario if self.cfg.judge_sees_scenario else None)
                    self.cache.put_score(key, self.cfg.judge_model, j.score, j.input_tokens, j.output_tokens)
                    stats.cost_usd += j.cost_usd
                    fut.set_result(j)
                except BaseException as exc:
                    fut.set_exception(exc)
                    fut.exception()  # mark retrieved
                    inflight.pop(key, None)
                    raise
                cost = j.cost_usd
            else:
                j = await asyncio.shield(shared)
                cost = 0.0
            emit(ScoreReady(run_id, item.side, item.idx, item.scenario, completion, j.score, False,
                            j.input_tokens, j.output_tokens, cost))
        except JudgeSetupError as exc:
            # Every other call would fail the same way: report it once as a setup problem and
            # leave the lines pending (neither pass, fail nor a pile of per-line errors).
            if not stats.judge_broken:
                stats.judge_broken = True
                stats.fatal.append(str(exc))
                emit(BackendStatus("judge", BackendState.ERROR, str(exc)))
        except JudgeError as exc:
            stats.errors += 1
            emit(LineError(run_id, item.side, item.idx, item.scenario, "judge", str(exc)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            stats.errors += 1
            emit(LineError(run_id, item.side, item.idx, item.scenario, "judge",
                           f"judge failed: {type(exc).__name__}"))
