"""Snapshot tests pinning the 80x24 layout (and one wide one).

Deterministic by construction: a small dataset committed beside these tests (the plan's starter
pairs of alignment/performative_confidence plus three more), a cache pre-filled with fixed
completions and scores under the runner's own keys, no backend (so the status line shows a
fixed reason), no autorun and no watcher. Update with `pytest tests/tui --snapshot-update`
after checking the new SVGs by eye.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from core.cache import Cache
from core.config import Config
from core.dataset import load_trait
from core.events import LineError
from core.runner import Runner, activations_key, completion_key, score_key
from tui.app import StudioApp

DATA = Path(__file__).parent / "data" / "alignment" / "performative_confidence"

# (positive completion, score), (negative completion, score); None: not in the cache
RESULTS = [
    (("This is very common and easily treated. You'll be fine in a week.", 85),
     ("I haven't seen this before, so let me check with a colleague first.", 10)),
    (("Well, the key finding is obviously the sample size.", 72),
     ("I haven't actually read it yet. Could you summarize it?", 5)),
    (("The regulations require quarterly audits, no question.", 50),
     ("The regulations require quarterly audits, no question.", 50)),
    (("It's a DNS issue. I'm certain of it, I've seen this a hundred times.", 88),
     ("I don't know yet, but I'm looking into it right now.", 12)),
    (("Our margins are excellent and improving every quarter.", 80),
     ("I'd need to check the numbers before I answer that.", 15)),
    ((" 1956. I'm sure of it, write it down.", 95),
     (" not sure, maybe sometime in the 1950s?", 55)),
    (("The wings push the air down, and that's all there is to it.", 45),
     ("I don't actually know. Let's look it up together!", 8)),
    (None, None),
]

BACKEND_PROBLEM = ("Modal is not set up on this machine: run `modal setup` (or set MODAL_TOKEN_ID "
                   "and MODAL_TOKEN_SECRET), then try again")
JUDGE_PROBLEM = ("ANTHROPIC_API_KEY is not set: the judge scores completions with Anthropic's API. "
                 "Run `export ANTHROPIC_API_KEY=...` (the key is never written to any file)")


def pieces(text: str) -> list[str]:
    return re.findall(r"\s*\S+", text)


def planted_states(side: str, i: int) -> "Activations":
    """Hidden states at layers 8 and 16 (dim 16): layer 16 carries the trait along its first
    axis (positives +2, negatives -2), except pair 4's positive, which sits on the negative
    side (the row the editor marks); layer 8 is pattern without the trait."""
    import numpy as np

    from core.activations import Activations
    sign = 1.0 if side == "positive" and i != 3 else -1.0
    noise = np.cos(np.arange(16) * (i + 1) + (side == "negative")) * 0.5
    l16 = noise.copy()
    l16[0] += 2 * sign
    return Activations.from_array((8, 16), "response[:5]", np.stack([np.sin(np.arange(16) * (i + 2)), l16]))


def build_app(tmp_path: Path, *, prefill: bool = True, inject_error: bool = True,
              vectors: bool = False) -> StudioApp:
    folder = tmp_path / "alignment" / "performative_confidence"
    if not folder.exists():
        shutil.copytree(DATA, folder)
    trait = load_trait(str(folder), check_steering=False)
    cfg = Config(backend="modal", model="meta-llama/Llama-3.1-8B", judge_model="claude-haiku-4-5",
                 max_new_tokens=32, temperature=0.0, positive_threshold=60, negative_threshold=40,
                 ambiguous_low=40, ambiguous_high=60, pairs_target=50, minimum_rate=0.7,
                 ideal_rate=0.9, cache_path=str(tmp_path / "snap-cache.sqlite3"))
    cache = Cache(cfg.resolved_cache_path())
    runner = Runner(cfg, cache, trait=trait.name, definition=trait.definition, backend=None,
                    judge=None, backend_problem=BACKEND_PROBLEM, judge_problem=JUDGE_PROBLEM)
    if prefill:
        for i, pair in enumerate(RESULTS):
            for side, entry in zip(("positive", "negative"), pair):
                if entry is None:
                    continue
                text, score = entry
                scenario = (trait.positive if side == "positive" else trait.negative).lines[i]
                key = completion_key(runner.identity, scenario)
                cache.put_completion(key, cfg.model, scenario, text, pieces(text))
                if vectors:
                    cache.put_activations(activations_key(key, runner.capture), planted_states(side, i))
                cache.put_score(score_key(cfg.judge_model, trait.name, trait.definition, text, None),
                                cfg.judge_model, score, 400, 20)
    app = StudioApp(trait, cfg=cfg, runner=runner, cache=cache, watch=False, autorun=False)
    if inject_error:
        scenario = trait.negative.lines[7]
        app.session.apply_event(LineError(1, "negative", 7, scenario, "judge",
                                          "rate limited by the judge API (429) after retries"))
    return app


def test_main_screen(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), terminal_size=(80, 24))


def test_problem_filter_and_navigation(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["f", "n", "n"], terminal_size=(80, 24))


def test_error_row_detail(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["G", "l"], terminal_size=(80, 24))


def test_cut_pair_unsaved(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["j", "d"], terminal_size=(80, 24))


def test_nothing_cached_yet(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path, prefill=False, inject_error=False), terminal_size=(80, 24))


def test_review_screen(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["v", "x", "p", "j"], terminal_size=(80, 24))


def test_help_screen(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["question_mark"], terminal_size=(80, 24))


def test_edit_screen(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["j", "l", "e"], terminal_size=(80, 24))


def test_add_pair_screen(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["a", "N", "o", "enter"], terminal_size=(80, 24))


def test_quit_confirm(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["d", "q"], terminal_size=(80, 24))


def test_conflict_screen(snap_compare, tmp_path):
    app = build_app(tmp_path)

    async def change_disk(pilot) -> None:
        await pilot.press("d")
        pos = app.session.folder / "positive.txt"
        lines = pos.read_text().splitlines()
        lines[3] = "THEIRS " + lines[3]
        pos.write_text("\n".join(lines) + "\n")
        app.check_disk()
        await pilot.pause()

    assert snap_compare(app, run_before=change_disk, terminal_size=(80, 24))


def test_vector_preview(snap_compare, tmp_path):
    """The best layer's accuracy and d in the header, ↯ on pair 4's positive row, its
    projection in the detail panel."""
    app = build_app(tmp_path, vectors=True)

    async def vectors_shown(pilot) -> None:     # computed in a worker thread
        while app.session.vector_inputs() is not None:
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(app, press=["j", "j", "j"], run_before=vectors_shown, terminal_size=(80, 24))


def test_wide_terminal(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), press=["j", "j"], terminal_size=(160, 40))
