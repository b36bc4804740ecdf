"""Re-test economy, counted at the backends (not inferred from the runner's own stats).

110 pairs. Generations are the prompts that reach the real local backend (the tiny random
Llama, wrapped in CountingBackend); judge calls are the requests the loopback Messages-API
server receives from the real anthropic client. Each step is a fresh Runner on the same
on-disk cache, as a CLI re-run or an editor save is.
"""
from __future__ import annotations

import pytest

from bench.common import DEFINITION, synth_pairs
from bench.economy import Economy, edit

N = 110


@pytest.fixture(scope="module")
def eco(tiny_model, tmp_path_factory):
    with Economy(tiny_model, tmp_path_factory.mktemp("economy"), max_new_tokens=8) as e:
        yield e


@pytest.fixture(scope="module")
def base(eco):
    """The dataset after its first full run: every line generated and judged once."""
    pos, neg = synth_pairs(N, seed=1)
    first = eco.step("first", pos, neg, DEFINITION, expect_gen=2 * N, expect_judge=2 * N)
    assert (first.generations, first.judge_requests, first.errors) == (2 * N, 2 * N, 0)
    assert sorted(first.prompts) == sorted(pos + neg)
    assert first.scored == 2 * N
    return pos, neg


def test_an_unchanged_rerun_costs_nothing(eco, base):
    pos, neg = base
    r = eco.step("again", pos, neg, DEFINITION, expect_gen=0, expect_judge=0)
    assert (r.generations, r.judge_requests, r.errors) == (0, 0, 0)
    assert r.scored == 2 * N          # every line still gets its (cached) score


@pytest.mark.parametrize("k", [1, 5])
def test_editing_k_lines_costs_k_generations_and_k_judge_calls_per_side(eco, base, k):
    pos, neg = list(base[0]), list(base[1])
    # rows disjoint between k=1 and k=5: two edits of one line that end alike can produce the
    # same completion on the tiny model, whose score is then (rightly) reused from the cache
    rows = [(2 if k == 1 else 9) + 17 * j for j in range(k)]
    for i in rows:
        pos[i] = edit(pos[i], f"perf-{k}")
    r = eco.step(f"k={k} positive", pos, neg, DEFINITION, expect_gen=k, expect_judge=k)
    assert (r.generations, r.judge_requests, r.errors) == (k, k, 0)
    assert sorted(r.prompts) == sorted(pos[i] for i in rows)

    for i in rows:                      # the other side too: k more of each, nothing else
        neg[i + 1] = edit(neg[i + 1], f"perf-{k}")
    r = eco.step(f"k={k} negative", pos, neg, DEFINITION, expect_gen=k, expect_judge=k)
    assert (r.generations, r.judge_requests, r.errors) == (k, k, 0)
    assert sorted(r.prompts) == sorted(neg[i + 1] for i in rows)
    assert r.scored == 2 * N


def test_a_cut_shifts_line_numbers_and_costs_nothing(eco, base):
    pos, neg = list(base[0]), list(base[1])
    del pos[30], neg[30]
    pos.insert(0, pos.pop())            # and a reorder
    neg.insert(0, neg.pop())
    r = eco.step("cut", pos, neg, DEFINITION, expect_gen=0, expect_judge=0)
    assert (r.generations, r.judge_requests, r.errors) == (0, 0, 0)
    assert r.scored == 2 * (N - 1)


def test_a_definition_edit_rejudges_every_line_and_generates_nothing(eco, base):
    pos, neg = base
    definition = DEFINITION.replace("LOW (0-40)", "LOW (0-35)")
    r = eco.step("definition", pos, neg, definition, expect_gen=0, expect_judge=2 * N)
    assert (r.generations, r.judge_requests, r.errors) == (0, 2 * N, 0)
    again = eco.step("definition again", pos, neg, definition, expect_gen=0, expect_judge=0)
    assert (again.generations, again.judge_requests) == (0, 0)
