"""`scenarios lint`: static checks of trait datasets, no model involved.

Every problem is a `Finding` printed as `path:line: level: message [code]`. Errors make the
dataset unusable or wrong (a file that does not load, a pair out of step, a duplicate);
warnings point at something that predicts a failing line or a missed target (a closed ending,
third-person narration, a template on too many lines); notes predict nothing but are worth
knowing (an unmatched dataset, CRLF endings). `scenarios lint` exits 1 on errors, and on
warnings with --strict; notes never change the exit status. docs/lint.md lists every code and
what it predicts.

The checks live beside this module, cheapest first:

* core.lint_text - text heuristics of one line (sentence ends, quotes, voice), memoised by text.
* core.lint_lines - `lint_lines(positive, negative, matched=)`: every line- and pair-level check
  on in-memory lines. The editor calls it on its unsaved buffers after each edit.
* core.lint_trait - `lint_definition`, steering.json and `lint_trait(folder)`: the files through
  core.dataset, matched or unmatched, and all of the above.
* core.lint_findings - `Finding`, `LintCode` and the levels.

This module is the command line, and the one import for callers.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .dataset import DatasetCode, DatasetError, default_datasets_root, list_traits, resolve_trait
from .dataset_files import NEGATIVE, POSITIVE
from .dataset_pairing import PAIRINGS
from .lint_findings import Code, Finding, Level, LintCode, sort_findings
from .lint_lines import lint_lines
from .lint_text import ending_pattern, is_closed_ending, sentences, third_person_ending
from .lint_trait import TraitReport, lint_definition, lint_trait, lint_trait_report

__all__ = [
    "Code", "Finding", "Level", "LintCode", "TraitReport", "ending_pattern", "is_closed_ending",
    "lint_definition", "lint_lines", "lint_main", "lint_trait", "lint_trait_report", "sentences",
    "sort_findings", "third_person_ending",
]


def _expand(spec: str, root: Path) -> list[Path]:
    """A trait name, a trait folder, or a folder of traits (a category, the datasets root)."""
    as_path = Path(spec).expanduser()
    if as_path.is_dir() and not (as_path / POSITIVE).exists() and not (as_path / NEGATIVE).exists():
        found = list_traits(as_path)
        if found:
            return [as_path / t for t in found]
    _, folder = resolve_trait(spec, root)
    if not (folder / POSITIVE).exists() and not (folder / NEGATIVE).exists():
        found = list_traits(folder)
        if found:
            return [folder / t for t in found]
    return [folder]


def _display(folder: Path) -> Path:
    try:
        rel = os.path.relpath(folder)
    except ValueError:
        return folder
    return Path(rel) if not rel.startswith("..") else folder


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def lint_main(argv: list[str] | None = None) -> int:
    """`scenarios lint [TRAIT_OR_DIR ...] [--strict] [--pairing P]`. Returns the exit status."""
    from .config import ConfigError, load_config
    ap = argparse.ArgumentParser(
        prog="scenarios lint",
        description="Static checks of trait datasets (no model). Findings print as "
                    "file:line: level: message [code]; docs/lint.md says what each code predicts.")
    ap.add_argument("paths", nargs="*", metavar="TRAIT_OR_DIR",
                    help="category/trait, a trait folder, or a folder of traits "
                         "(default: every trait under datasets/traits/)")
    ap.add_argument("--strict", action="store_true", help="exit 1 on warnings too (notes never)")
    ap.add_argument("--pairing", choices=PAIRINGS,
                    help="matched, unmatched or auto (detect); default: [dataset] pairing in "
                         "scenarios.toml, else auto")
    args = ap.parse_args(argv)
    if args.pairing:
        pairing, source = args.pairing, "--pairing"
    else:
        try:
            cfg = load_config()
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        pairing, source = cfg.pairing, cfg.source

    root = default_datasets_root()
    folders: list[Path] = []
    counts = {"error": 0, "warning": 0, "note": 0}
    if args.paths:
        for spec in args.paths:
            try:
                folders += _expand(spec, root)
            except DatasetError as exc:
                print(f"{spec}: error: {exc} [{exc.code}]")
                counts["error"] += 1
    else:
        folders = [root / t for t in list_traits(root)]
        if not folders:
            print(f"{root}: error: no traits found (no positive.txt/negative.txt under it) "
                  f"[{DatasetCode.NO_TRAIT}]")
            counts["error"] += 1

    seen: set[Path] = set()
    pairs = traits = unmatched = 0
    for folder in folders:
        key = folder.resolve()
        if key in seen:
            continue
        seen.add(key)
        report = lint_trait_report(_display(folder), pairing, source)
        traits += 1
        pairs += report.pairs
        unmatched += not report.matched
        for f in report.findings:
            print(f)
            counts[f.level] += 1
    what = _plural(traits, "trait") + (f" ({unmatched} unmatched)" if unmatched else "")
    print(f"{what}, {_plural(pairs, 'pair')}: {_plural(counts['error'], 'error')}, "
          f"{_plural(counts['warning'], 'warning')}"
          + (f", {_plural(counts['note'], 'note')}" if counts["note"] else ""))
    if counts["error"] or (args.strict and counts["warning"]):
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(lint_main())
