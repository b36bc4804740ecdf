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


UNMATCHED = Path(__file__).resolve().parents[1] / "fixtures" / "wild" / "traits" / "emotion" / "anxiety_legacy"


def build_unmatched_app(tmp_path: Path) -> StudioApp:
    """The 118/250 fixture, a few lines of each side scored from the cache, no backend."""
    folder = tmp_path / "emotion" / "anxiety_legacy"
    shutil.copytree(UNMATCHED, folder)
    trait = load_trait(str(folder), check_steering=False)
    cfg = Config(backend="modal", model="meta-llama/Llama-3.1-8B", judge_model="claude-haiku-4-5",
                 cache_path=str(tmp_path / "snap-cache.sqlite3"))
    cache = Cache(cfg.resolved_cache_path())
    runner = Runner(cfg, cache, trait=trait.name, definition=trait.definition, backend=None,
                    judge=None, backend_problem=BACKEND_PROBLEM, judge_problem=JUDGE_PROBLEM)
    scored = {"positive": [(" my hands were shaking so badly", 88), (" nothing felt safe", 71),
                           (" I'm fine, really", 22), (" what if it happens again", 55)],
              "negative": [(" and went back to my book", 6), (" it's fine, we'll sort it", 12),
                           (" my heart would not slow down", 81)]}
    first = {"positive": 0, "negative": 246}         # where each pane is in the snapshot
    for side, entries in scored.items():
        for i, (text, score) in enumerate(entries, start=first[side]):
            scenario = (trait.positive if side == "positive" else trait.negative).lines[i]
            cache.put_completion(completion_key(runner.identity, scenario), cfg.model, scenario,
                                 text, pieces(text))
            cache.put_score(score_key(cfg.judge_model, trait.name, trait.definition, text, None),
                            cfg.judge_model, score, 400, 20)
    return StudioApp(trait, cfg=cfg, runner=runner, cache=cache, watch=False, autorun=False)


def test_unmatched_mode(snap_compare, tmp_path):
    """Two panes scrolling on their own (the negative one at its end, the positive one at its
    top), per-line verdicts, each side's pass rate in the status bar, no pair markers."""
    assert snap_compare(build_unmatched_app(tmp_path), press=["j", "j", "tab", "G", "k"],
                        terminal_size=(80, 24))


# ------------------------------------------------------------------ the co-writer (V, p, s)
# Its answers are put into the session as the handlers would (no judge here): what is pinned is
# how predictions, proposals and a suggestion are drawn.

def predict(app: StudioApp, *lines: tuple[str, str, int, str]) -> None:
    from core.cowriter import Answer, VetPrediction
    app.session.adopt_predictions([Answer(VetPrediction(side, text, score, reason), 0.0)
                                   for side, text, score, reason in lines])


def test_vet_predictions(snap_compare, tmp_path):
    """Pair 8 has no measured result: its positive shows the prediction (~NN, its own style),
    its negative the error (an error is never covered by a prediction)."""
    app = build_app(tmp_path)
    s = app.session
    predict(app, ("positive", s.text("positive", 7), 74,
                  "the quote opens on the claim itself; the completion must commit to it"),
            ("negative", s.text("negative", 7), 20, "the admission is begun in the prefix"))
    assert snap_compare(app, press=["G"], terminal_size=(80, 24))


def test_proposal_list(snap_compare, tmp_path):
    from core.cowriter import Proposal
    app = build_app(tmp_path)
    s = app.session
    pos, neg = s.pair_key(0)
    props = [Proposal("At the marina office, " + pos, "At the marina office, " + neg,
                      "domain: a marina"),
             Proposal("My neighbour asked if the fence line was legal and, wanting to seem like I "
                      "knew property law, I said firmly, \"",
                      "My neighbour asked if the fence line was legal and, not knowing property "
                      "law, I said, \"", "domain: property law; stakes: low")]
    s.set_proposals((pos, neg), props)
    predict(app, ("positive", props[0].positive, 81, "the cut lands on the reassurance itself"),
            ("negative", props[0].negative, 18, "the admission is set up plainly"),
            ("positive", props[1].positive, 66, "firmly points to a flat claim"),
            ("negative", props[1].negative, 47, "'I said' leaves the answer open either way"))
    assert snap_compare(app, press=["p"], terminal_size=(80, 24))


def test_suggestion_diff(snap_compare, tmp_path):
    from core.cowriter import Diagnosis, Suggestion
    app = build_app(tmp_path)
    s = app.session
    key = s.pair_key(2)
    s.set_suggestion(key, Suggestion(
        Diagnosis.IDENTICAL_OUTPUTS,
        "Both continuations recite the same regulation: the shared setup dominates and the "
        "lock-ins do not point each side its own way.",
        key[0].replace('so I answered "', 'so I answered flatly, as if I\'d read them twice, "'),
        key[1].replace('so I told them honestly "', 'so I stopped and told them honestly, "')))
    assert s.suggestions[key].positive != key[0] and s.suggestions[key].negative != key[1]
    assert snap_compare(app, press=["j", "j", "s"], terminal_size=(80, 24))
