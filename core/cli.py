"""`scenarios`: test, lint, vet and edit trait datasets.

Exit codes of `scenarios test`: 0 every line got a verdict (and --fail-under is met); 1 some
lines ended in error or the pass rate is under --fail-under; 2 bad input or missing setup;
130 interrupted (what finished is kept in the cache and in results.json).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .config import VECTOR_POSITIONS, Config, ConfigError, load_config, validate
from .dataset_pairing import PAIRINGS

EXIT_OK, EXIT_FAIL, EXIT_SETUP, EXIT_INTERRUPTED = 0, 1, 2, 130


def _add_backend_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("backends")
    g.add_argument("--model", help="hub id or local model folder (default from scenarios.toml, "
                                   "else meta-llama/Llama-3.1-8B)")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--modal", action="store_true", help="generate on Modal GPUs (deployed app)")
    where.add_argument("--local", action="store_true", help="generate locally with transformers")
    g.add_argument("--device", help="local backend device: auto, cuda, mps, cpu")
    g.add_argument("--modal-gpu", help="Modal GPU type, e.g. H100, A100-80GB, L40S")
    g.add_argument("--judge-model", help="Claude model for the judge (default claude-haiku-4-5)")
    g.add_argument("--judge-sees-scenario", action="store_true",
                   help="show the judge the scenario as well as the completion")
    g.add_argument("--max-tokens", type=int, dest="max_new_tokens", help="new tokens per completion (32)")
    g.add_argument("--temperature", type=float, help="0 = greedy (default)")
    g.add_argument("--pos-threshold", type=int, help="positive passes at score >= this (60)")
    g.add_argument("--neg-threshold", type=int, help="negative passes at score <= this (40)")
    g.add_argument("--concurrency", type=int, help="judge calls in flight (16)")
    g.add_argument("--batch-size", type=int, help="prompts per generation batch (64)")
    v = p.add_argument_group("vector preview")
    v.add_argument("--no-vectors", action="store_true",
                   help="do not capture hidden states (no per-layer accuracy, no projections)")
    v.add_argument("--layers", type=_layers_arg, metavar="L,L,...",
                   help="layers to capture, 1-based (default: five spread over the middle of the model)")
    v.add_argument("--position", choices=VECTOR_POSITIONS,
                   help="average the first k response tokens (first-k, k from [vectors] first_k, "
                        "default 5) or all of them")
    g.add_argument("--config", help="scenarios.toml to read (default ./scenarios.toml, then the user config dir)")
    p.add_argument("--pairing", choices=PAIRINGS,
                   help="matched: line N of each file is a pair; unmatched: two separate sets of "
                        "scenarios (any lengths, no pair verdicts); auto (default, or [dataset] "
                        "pairing in scenarios.toml): detect")


def _layers_arg(value: str) -> tuple[int, ...]:
    try:
        layers = tuple(int(x) for x in value.replace(" ", "").split(",") if x)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: give layer numbers separated by commas, like 8,12,16") from None
    if not layers or min(layers) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: layers are numbered from 1")
    return layers


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config)
    backend = "modal" if args.modal else "local" if args.local else None
    cfg = cfg.with_overrides(
        model=args.model, backend=backend, device=args.device, modal_gpu=args.modal_gpu,
        judge_model=args.judge_model, judge_sees_scenario=True if args.judge_sees_scenario else None,
        max_new_tokens=args.max_new_tokens, temperature=args.temperature,
        positive_threshold=args.pos_threshold, negative_threshold=args.neg_threshold,
        judge_concurrency=args.concurrency, batch_size=args.batch_size, pairing=args.pairing,
        vectors=False if args.no_vectors else None, vector_layers=args.layers,
        vector_position=args.position)
    # Flags are checked like the file is: --concurrency 0 would otherwise hang the judge forever.
    validate(cfg, "command line")
    return cfg


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scenarios", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("test", help="generate, judge and summarise a trait's scenario pairs",
                       description="Generate a greedy completion of every scenario, judge it "
                                   "against definition.txt, and summarise. Cached by content: a "
                                   "re-run only calls the backends for what changed.")
    src = t.add_argument_group("dataset")
    src.add_argument("--trait", help="category/trait under datasets/traits, or a dataset folder")
    src.add_argument("--positive", help="positive scenarios file (with --definition; with or "
                                        "without --negative: one file alone tests candidate lines)")
    src.add_argument("--negative", help="negative scenarios file (likewise)")
    src.add_argument("--definition", help="rubric text or a path to definition.txt (overrides the trait's)")
    t.add_argument("--workdir", help="where results.json goes (default ./scenario-runs/<category>/<trait>, where the editor writes too)")
    t.add_argument("--refresh", action="store_true", help="ignore the cache and redo every call")
    t.add_argument("--fail-under", type=float, metavar="RATE",
                   help="exit 1 when the pair pass rate is under RATE (0-1 or a percentage; "
                        "for an unmatched dataset, either side's pass rate)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_backend_flags(t)

    lint = sub.add_parser("lint", help="static checks of datasets (no model)", add_help=False)
    lint.add_argument("rest", nargs=argparse.REMAINDER)

    vet = sub.add_parser("vet", help="predict each line's score from the scenario alone (Claude; "
                                     "a pre-screen, not a measurement)", add_help=False)
    vet.add_argument("rest", nargs=argparse.REMAINDER)

    e = sub.add_parser("edit", help="open the editor on a trait",
                       description="Edit a trait's scenario pairs while they are being tested.")
    e.add_argument("trait", help="category/trait under datasets/traits, or a dataset folder")
    e.add_argument("--refresh", action="store_true", help="re-test everything, ignoring the cache")
    _add_backend_flags(e)

    sub.add_parser("traits", help="list the traits under datasets/traits")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lint"]:
        from .lint import lint_main
        return lint_main(argv[1:])
    if argv[:1] == ["vet"]:
        from .cowriter_cli import vet_main
        return vet_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "traits":
        from .dataset import default_datasets_root, list_traits
        for name in list_traits():
            print(name)
        if not list_traits():
            print(f"no traits under {default_datasets_root()}", file=sys.stderr)
        return EXIT_OK
    try:
        cfg = config_from_args(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    if args.command == "edit":
        from tui.run import run_editor
        return run_editor(args.trait, cfg, refresh=args.refresh)
    return cmd_test(args, cfg)


# ------------------------------------------------------------------------------------ test

def _parse_rate(value: float | None) -> float | None:
    if value is None:
        return None
    return value / 100 if value > 1 else value


def _definition_arg(value: str | None) -> str | None:
    """--definition is rubric text or a path to a definition file, in both forms of the command.
    A value that looks like a file name but names no file is a typo, not a rubric."""
    from .dataset import read_definition
    if not value or "\n" in value or len(value) >= 4096:
        return value
    path = Path(value).expanduser()
    if path.is_file():
        return read_definition(path)
    if path.suffix.lower() in (".txt", ".md") and not any(c.isspace() for c in value):
        read_definition(path)  # raises: "<path>: is missing"
    return value


def _pairing_source(args: argparse.Namespace, cfg: Config) -> str:
    return "--pairing" if args.pairing else cfg.source


def load_dataset_from_args(args: argparse.Namespace, cfg: Config) -> Any:
    from .dataset import DatasetCode, DatasetError, load_files, load_trait
    pairing = dict(pairing=cfg.pairing, pairing_source=_pairing_source(args, cfg))
    if args.trait:
        if args.positive or args.negative:
            raise DatasetError("give either --trait or --positive/--negative, not both",
                               code=DatasetCode.USAGE)
        return load_trait(args.trait, definition=_definition_arg(args.definition), **pairing)
    if not (args.positive or args.negative):
        raise DatasetError("say what to test: --trait category/trait, or --positive P and/or "
                           "--negative N with --definition TEXT_OR_FILE", code=DatasetCode.USAGE)
    if not args.definition:
        raise DatasetError("--positive/--negative need --definition (the rubric text or a "
                           "definition.txt path)", code=DatasetCode.USAGE)
    return load_files(Path(args.positive) if args.positive else None,
                      Path(args.negative) if args.negative else None,
                      _definition_arg(args.definition), **pairing)


@dataclass
class TestState:
    positive: list[Any]
    negative: list[Any]
    errors: int = 0
    generated: int = 0
    judged: int = 0
    cost: float = 0.0
    done: Any = None
    blockers: list[str] = field(default_factory=list)


def cmd_test(args: argparse.Namespace, cfg: Config) -> int:
    from .cache import Cache
    from .dataset import DatasetError
    from .results import build_results, results_dir, write_results
    from .runner import items_for
    from .setup import make_runner, redact
    from .verdicts import LineResult

    try:
        trait = load_dataset_from_args(args, cfg)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SETUP
    for w in trait.warnings:
        print(f"note: {w}", file=sys.stderr)
    workdir = Path(args.workdir) if args.workdir else results_dir(trait.name)
    cache = Cache(cfg.resolved_cache_path())
    runner = make_runner(cfg, cache, trait.name, trait.definition)
    items = items_for(trait.positive.lines, trait.negative.lines)

    if runner.judge is None and not args.refresh:
        # Fail fast, before paying for generation, unless everything is already judged.
        cached = runner.cached_results([it.scenario for it in items])
        missing = [it for it in items
                   if it.scenario not in cached or cached[it.scenario][1] is None]
        if missing:
            print(f"error: {runner.judge_problem}", file=sys.stderr)
            return EXIT_SETUP
    elif runner.judge is None:
        print(f"error: {runner.judge_problem}", file=sys.stderr)
        return EXIT_SETUP

    state = TestState([LineResult(s) for s in trait.positive.lines],
                      [LineResult(s) for s in trait.negative.lines])
    started = time.perf_counter()
    interrupted = False
    try:
        asyncio.run(_consume(runner, items, state, refresh=args.refresh, quiet=args.quiet))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        cache.close()
    elapsed = time.perf_counter() - started
    run_info = {"elapsed_s": round(elapsed, 3), "generations": state.generated, "judge_calls": state.judged,
                "cost_usd": round(state.cost, 6), "interrupted": interrupted,
                "blockers": [redact(b) for b in state.blockers]}
    known = any(r.completion is not None or r.error is not None
                for r in state.positive + state.negative)
    if state.blockers and not known and not interrupted:
        # Nothing ran and nothing was cached: say what to fix, and leave any earlier
        # results.json in the workdir as it was rather than replace it with a page of pending.
        for b in dict.fromkeys(state.blockers):
            print(f"error: {redact(b)}", file=sys.stderr)
        return EXIT_SETUP
    payload = build_results(state.positive, state.negative, cfg=cfg, definition=trait.definition,
                            trait=trait.name, review=_review_marks(cfg, trait.name, state), run=run_info,
                            matched=trait.matched)
    path = write_results(workdir, payload)
    from .report import print_summary
    print_summary(payload, path, cfg)
    if interrupted:
        print("interrupted: finished results are kept (cache and results.json); run again to fill the gaps",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if state.blockers:
        for b in dict.fromkeys(state.blockers):
            print(f"error: {redact(b)}", file=sys.stderr)
        return EXIT_SETUP
    summary = payload["summary"]
    if not summary["complete"]:
        return EXIT_FAIL
    rate = _parse_rate(args.fail_under)
    for what, got in _rates(summary).items() if rate is not None else ():
        if got < rate:
            print(f"{what} pass rate {got:.1%} is under --fail-under {rate:.0%}", file=sys.stderr)
            return EXIT_FAIL
    return EXIT_OK


def _rates(summary: dict[str, Any]) -> dict[str, float]:
    """What --fail-under checks: the pair pass rate of a matched dataset; each tested side's
    pass rate of an unmatched one."""
    if summary["pairs"] is not None:
        return {"pair": summary["pairs"]["pass_rate"]}
    return {side: summary[side]["pass_rate"] for side in ("positive", "negative")
            if summary[side]["total"]}


def _review_marks(cfg: Config, trait: str, state: TestState) -> dict[tuple[str, int], str]:
    from .cache import Cache
    cache = Cache(cfg.resolved_cache_path())
    try:
        marks = {}
        for side, rows in (("positive", state.positive), ("negative", state.negative)):
            for i, r in enumerate(rows):
                if r.completion is None:
                    continue
                m = cache.get_mark(Cache.review_key(trait, side, r.scenario, r.completion))
                if m:
                    marks[(side, i)] = m
        return marks
    finally:
        cache.close()


async def _consume(runner: Any, items: list[Any], state: TestState, *, refresh: bool, quiet: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .backend_state import BLOCKING
    from .events import BackendState, BackendStatus, CompletionReady, LineError, ScoreReady
    from .stream import RunTally

    total = len(items)
    progress = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[note]}"),
                        disable=quiet, transient=False, redirect_stderr=False)
    try:
        with progress:
            gen = progress.add_task("generated", total=total, note="")
            jud = progress.add_task("judged", total=total, note="")
            tally = RunTally()
            async for ev in runner.run(items, refresh=refresh):
                # core.stream folds the event (the editor's reducer too); this draws progress
                tally.fold(ev, lambda e: (state.positive if e.side == "positive" else state.negative)[e.idx])
                if isinstance(ev, CompletionReady):
                    progress.advance(gen)
                elif isinstance(ev, ScoreReady):
                    progress.advance(jud)
                    progress.update(jud, note=f"${tally.cost_usd:.4f}" if tally.cost_usd else "")
                elif isinstance(ev, LineError):
                    progress.advance(jud)
                    if ev.stage == "generate":
                        progress.advance(gen)
                elif isinstance(ev, BackendStatus) and ev.state not in BLOCKING:
                    progress.update(gen, note="" if ev.state == BackendState.READY
                                    else f"{ev.backend}: {ev.state}")
                state.generated, state.judged, state.cost = tally.generated, tally.judged, tally.cost_usd
                state.errors, state.done, state.blockers = tally.errors, tally.last_run, tally.blockers
    finally:
        if runner.judge is not None:
            await runner.judge.aclose()


if __name__ == "__main__":
    sys.exit(main())
