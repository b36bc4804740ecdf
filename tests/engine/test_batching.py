"""Batch composition (core.batching): a re-test decodes its line in the batch a full run used."""
from __future__ import annotations

from core.batching import Chunk, full_run_batches, plan_chunks, reproducible
from core.cache import Cache
from core.config import Config
from core.events import CompletionReady
from core.runner import Item, Runner, items_for
from tests.engine.helpers import DEFINITION, InstantBackend, cache_rows, collect, of_type


def test_full_run_batches_are_unique_prompts_longest_first_in_dataset_order_on_ties():
    data = ["bb", "a", "cc", "bb", "ddd", "e"]
    assert full_run_batches(data, 2) == [("ddd", "bb"), ("cc", "a"), ("e",)]
    assert full_run_batches([], 4) == []


def test_reproducible_chunks_are_whole_full_run_batches():
    data = ["bb", "a", "cc", "ddd", "e"]
    assert plan_chunks(["a"], data, 2, reproducible=True) == [Chunk(("cc", "a"), frozenset({"a"}))]
    # two wanted lines in one full-run batch: one call
    assert plan_chunks(["bb", "ddd"], data, 2, reproducible=True) == [
        Chunk(("ddd", "bb"), frozenset({"ddd", "bb"}))]
    # a line the dataset does not hold (edited after the plan) still gets decoded
    assert plan_chunks(["zz", "e"], data, 2, reproducible=True) == [
        Chunk(("e",), frozenset({"e"})), Chunk(("zz",), frozenset({"zz"}))]


def test_without_reproducibility_only_the_wanted_lines_are_decoded():
    data = ["bb", "a", "cc", "ddd", "e"]
    assert plan_chunks(["a", "cc"], data, 2, reproducible=False) == [Chunk(("cc", "a"), frozenset({"cc", "a"}))]
    assert plan_chunks(["a"], data, 2, reproducible=False) == [Chunk(("a",), frozenset({"a"}))]


def test_auto_is_full_run_in_bf16_and_alone_in_float32():
    assert reproducible("auto", "bfloat16") and not reproducible("auto", "float32")
    assert reproducible("full-run", "float32") and not reproducible("alone", "bfloat16")


def test_the_setting_is_validated():
    import pytest
    from core.config import ConfigError, parse_config
    assert parse_config('[model]\nretest_batches = "alone"').retest_batches == "alone"
    with pytest.raises(ConfigError, match="retest_batches must be one of auto, full-run, alone"):
        parse_config('[model]\nretest_batches = "sometimes"')


class BatchRecorder(InstantBackend):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[tuple[str, ...]] = []

    async def generate(self, prompts):  # noqa: ANN001
        self.batches.append(tuple(prompts))
        return await super().generate(prompts)


def _runner(tmp_path, backend, *, reproducible: bool = True) -> Runner:
    cfg = Config(model="instant-model", batch_size=3, retest_batches="full-run" if reproducible else "alone")
    return Runner(cfg, Cache(tmp_path / "c.sqlite3"), trait="cat/t", definition=DEFINITION,
                  backend=backend, judge=None)


async def test_a_retest_sends_the_full_runs_batch_and_keeps_only_its_line(tmp_path):
    pos = ["short one", "a much longer positive line", "mid positive"]
    neg = ["neg", "a much longer negative line here", "mid negative!"]
    items = items_for(pos, neg)
    backend = BatchRecorder()
    await collect(_runner(tmp_path, backend), items)
    full_run = list(backend.batches)
    assert sorted(p for b in full_run for p in b) == sorted(pos + neg)

    # a re-test of one line, the rest of the dataset given as the plan
    backend.batches.clear()
    dataset = [i.scenario for i in items]
    target = Item("positive", 2, pos[2])
    rows_before = cache_rows(tmp_path / "c.sqlite3")
    events = [ev async for ev in _runner(tmp_path, backend).run([target], refresh=True, dataset=dataset)]
    home = next(b for b in full_run if pos[2] in b)
    assert backend.batches == [home] and len(home) == 3
    ready = of_type(events, CompletionReady)
    assert [(e.side, e.idx) for e in ready] == [("positive", 2)]
    # neighbours were decoded for the batch's shape only: not cached again, not reported
    assert cache_rows(tmp_path / "c.sqlite3") == rows_before


async def test_without_reproducibility_a_retest_decodes_its_line_alone(tmp_path):
    pos, neg = ["p one", "p two two"], ["n one", "n two two"]
    items = items_for(pos, neg)
    backend = BatchRecorder()
    runner = _runner(tmp_path, backend, reproducible=False)
    [ev async for ev in runner.run([items[0]], refresh=True, dataset=[i.scenario for i in items])]
    assert backend.batches == [(pos[0],)]


async def test_a_failing_batch_retries_only_the_wanted_lines(tmp_path):
    pos, neg = ["p one", "p two two"], ["n one", "n two two"]
    items = items_for(pos, neg)
    backend = BatchRecorder()
    backend.fail_on = {neg[1]}          # a neighbour that breaks the batch
    runner = _runner(tmp_path, backend)
    events = [ev async for ev in runner.run([items[1]], refresh=True, dataset=[i.scenario for i in items])]
    assert backend.batches[-1] == (pos[1],)     # retried alone after the batch failed
    assert [(e.side, e.idx) for e in of_type(events, CompletionReady)] == [("positive", 1)]
