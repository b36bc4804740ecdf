"""Trait datasets: resolving a trait, loading its files into a `Trait`, and the public API.

A trait folder holds positive.txt and negative.txt (one scenario per line), definition.txt (the
judge's rubric) and steering.json ({"questions": [...]}, any other keys kept as they are).
Matched datasets pair line N of one file with line N of the other; unmatched ones are two sets
of scenarios, possibly of different lengths (core.dataset_pairing decides which). Every problem
is a DatasetError naming the file and, where it applies, the line.

The rest of the package lives beside this module, and is re-exported here so callers import
`core.dataset` alone: core.dataset_files (names, errors, parsing one file), core.dataset_save
(atomic pair saves, the journal) and core.dataset_pairing (matched or unmatched).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .dataset_files import (DEFINITION, JOURNAL, MAX_LINE_CHARS, MAX_LINES, NEGATIVE, POSITIVE,
                            STEERING, STEERING_QUESTIONS, ConflictError, DatasetCode, DatasetError,
                            LinesFile, Steering, file_digest, parse_lines, parse_steering,
                            read_definition, read_lines, read_steering, sha256)
from .dataset_pairing import UNMATCHED_HINT, Pairing, PairingDecision, decide_pairing
from .dataset_save import atomic_write, check_interrupted_save, render_lines, save_pair_files

__all__ = [
    "DEFINITION", "JOURNAL", "MAX_LINE_CHARS", "MAX_LINES", "NEGATIVE", "POSITIVE", "STEERING",
    "STEERING_QUESTIONS", "ConflictError", "DatasetCode", "DatasetError", "LinesFile", "Pairing",
    "PairingDecision", "Steering", "Trait", "atomic_write", "check_interrupted_save",
    "check_links", "check_pairing", "decide_pairing", "default_datasets_root", "file_digest",
    "list_traits", "load_files", "load_trait", "parse_lines", "parse_steering", "read_definition",
    "read_lines", "read_steering", "render_lines", "repo_root", "resolve_trait", "save_pair_files",
    "sha256",
]


@dataclass
class Trait:
    """A loaded dataset. `matched` says whether line N of each side form a pair (then both
    sides have the same length); `pairing` says how that was decided. `steering` is None when
    steering.json was not read, is absent, or cannot be used (then `warnings` says why:
    testing and editing never need it)."""
    name: str
    path: Path
    positive: LinesFile
    negative: LinesFile
    definition: str | None
    steering: Steering | None = None
    pairing: PairingDecision = PairingDecision(True, "matched", None)
    notes: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.pairing.matched

    @property
    def warnings(self) -> list[str]:
        return self.positive.warnings + self.negative.warnings + self.notes


# ---------------------------------------------------------------- resolving a trait

def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_datasets_root() -> Path:
    """datasets/traits in the working directory if there is one, else the one beside core/."""
    here = Path.cwd() / "datasets" / "traits"
    return here if here.is_dir() else repo_root() / "datasets" / "traits"


def resolve_trait(spec: str, root: Path | None = None) -> tuple[str, Path]:
    """Turn `category/trait` or a folder path into (display name, folder).

    A folder that exists and holds a positive.txt or negative.txt is taken as given. Anything
    else is a name under the datasets root, and may not leave it (no '..', no absolute path,
    no symlink pointing outside).
    """
    NO_TRAIT = DatasetCode.NO_TRAIT
    if not spec or not spec.strip():
        raise DatasetError("empty trait name; give category/trait or a folder path", code=NO_TRAIT)
    root = (root or default_datasets_root())
    as_path = Path(spec).expanduser()
    if as_path.is_dir() and ((as_path / POSITIVE).exists() or (as_path / NEGATIVE).exists()):
        folder = as_path.resolve()
        try:
            name = str(folder.relative_to(root.resolve()))
        except ValueError:
            # Outside the root: name it category/trait like the shipped layout, so results,
            # marks and reports read the same as for `--trait category/trait`.
            name = f"{folder.parent.name}/{folder.name}" if folder.parent.name else folder.name
        return name, folder
    if as_path.is_absolute():
        raise DatasetError(
            f"trait '{spec}' is an absolute path but not a folder holding {POSITIVE}/{NEGATIVE}; "
            f"give category/trait (under {root}) or a dataset folder", code=NO_TRAIT)
    parts = Path(spec).parts
    if ".." in parts:
        raise DatasetError(f"trait name '{spec}' contains '..'; give category/trait under {root}",
                           code=NO_TRAIT)
    candidate = root / spec
    resolved = candidate.resolve()
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        raise DatasetError(
            f"trait '{spec}' resolves to {resolved}, outside the datasets root {root} "
            "(a symlink pointing elsewhere?); pass that folder's path explicitly if you mean it",
            code=NO_TRAIT) from None
    if not resolved.is_dir():
        near = _near_names(root, spec)
        hint = f" Did you mean: {', '.join(near)}?" if near else ""
        raise DatasetError(f"no trait '{spec}' under {root}.{hint}", code=NO_TRAIT)
    return spec.strip("/"), resolved


def list_traits(root: Path | None = None) -> list[str]:
    root = root or default_datasets_root()
    if not root.is_dir():
        return []
    found = set()
    for p in root.rglob(POSITIVE):
        found.add(str(p.parent.relative_to(root)))
    for p in root.rglob(NEGATIVE):
        found.add(str(p.parent.relative_to(root)))
    return sorted(found)


def _near_names(root: Path, spec: str) -> list[str]:
    import difflib
    return difflib.get_close_matches(spec, list_traits(root), n=3, cutoff=0.5)


# ---------------------------------------------------------------- loading

def check_pairing(pos: LinesFile, neg: LinesFile, hint: str = "") -> None:
    """A matched dataset needs equal counts: name the lines that have no partner (`hint`: what
    else the user may mean, appended)."""
    n, m = len(pos.lines), len(neg.lines)
    if n == m:
        return
    longer, shorter = (pos, neg) if n > m else (neg, pos)
    lo, hi = len(shorter.lines) + 1, len(longer.lines)
    span = f"line {lo}" if lo == hi else f"lines {lo}-{hi}"
    raise DatasetError(
        f"{longer.path.name} has {len(longer.lines)} lines but {shorter.path.name} has "
        f"{len(shorter.lines)}: {longer.path.name} {span} {'has' if lo == hi else 'have'} no partner "
        f"(pairs are matched by line number){'; ' + hint if hint else ''}", longer.path, lo,
        DatasetCode.COUNT_MISMATCH)


def _pair_up(pos: LinesFile, neg: LinesFile, pairing: Pairing, source: str
             ) -> tuple[PairingDecision, list[str]]:
    """Decide matched or unmatched; refuse a matched dataset whose counts differ. Returns the
    decision and the note to show for an unmatched dataset."""
    decision = decide_pairing(pos.lines, neg.lines, pairing, source)
    if decision.matched:
        # Detected (not declared) pairs may be two sets that happen to look paired: say the way out.
        check_pairing(pos, neg, f"{decision.reason}; {UNMATCHED_HINT}"
                      if decision.declared == "auto" else "")
        return decision, []
    if not pos.lines or not neg.lines:
        side, lines = ("positive", pos.lines) if pos.lines else ("negative", neg.lines)
        return decision, [f"testing the {side} side alone ({len(lines)} lines): no pair verdicts"]
    return decision, [f"unmatched dataset ({len(pos.lines)} positive, {len(neg.lines)} negative "
                      f"lines; {decision.reason}): each side is scored on its own, no pair verdicts"]


def _steering(folder: Path) -> tuple[Steering | None, list[str]]:
    """steering.json never stops a load: a broken one is a warning (lint says more)."""
    try:
        return read_steering(folder / STEERING), []
    except DatasetError as exc:
        return None, [f"{exc} (ignored: testing does not use steering.json; see scenarios lint)"]


def load_trait(spec: str | Path, root: Path | None = None, *, definition: str | None = None,
               require_definition: bool = True, check_steering: bool = True,
               pairing: Pairing = "auto", pairing_source: str = "") -> Trait:
    """Load and validate a whole trait. `definition` (e.g. from --definition) replaces the file.
    `pairing` says matched or unmatched ("auto": detect; `pairing_source` names who declared
    it). `check_steering=False` skips steering.json (the editor never reads it)."""
    name, folder = resolve_trait(str(spec), root)
    check_links(folder, root)
    check_interrupted_save(folder)
    pos = read_lines(folder / POSITIVE)
    neg = read_lines(folder / NEGATIVE)
    decision, notes = _pair_up(pos, neg, pairing, pairing_source)
    if definition is not None:
        if not definition.strip():
            raise DatasetError("--definition is empty; give the rubric text", code=DatasetCode.USAGE)
        defn: str | None = definition.strip()
    elif require_definition or (folder / DEFINITION).exists():
        defn = read_definition(folder / DEFINITION)
    else:
        defn = None
    steering = None
    if check_steering:
        steering, steering_notes = _steering(folder)
        notes += steering_notes
    return Trait(name, folder, pos, neg, defn, steering, decision, notes)


def check_links(folder: Path, root: Path | None = None) -> None:
    """A trait's files may not be symlinks leading out of the datasets root (or, for a folder
    outside the root given by path, out of that folder): their text would be sent to the
    model and the judge, and a save would replace the link with a plain file."""
    base = (root or default_datasets_root()).resolve()
    try:
        folder.resolve().relative_to(base)
    except ValueError:
        base = folder.resolve()
    for name in (POSITIVE, NEGATIVE, DEFINITION, STEERING):
        path = folder / name
        if not path.is_symlink():
            continue
        target = path.resolve()
        try:
            target.relative_to(base)
        except ValueError:
            raise DatasetError(f"is a symlink to {target}, outside {base}; copy the file into the "
                               "trait folder instead", path, code=DatasetCode.SYMLINK) from None


def load_files(positive: Path | None, negative: Path | None, definition: str, *,
               pairing: Pairing = "auto", pairing_source: str = "") -> Trait:
    """The --positive/--negative/--definition form: two files anywhere and a rubric (text, or a
    path to a definition file). One of the two files may be left out: that side is tested
    alone (candidate lines) and the other stays empty."""
    if positive is None and negative is None:
        raise DatasetError("give --positive, --negative or both", code=DatasetCode.USAGE)
    if not definition or not definition.strip():
        raise DatasetError("--definition is empty; give the rubric text or a path to definition.txt",
                           code=DatasetCode.USAGE)
    given = Path(positive if positive is not None else negative).resolve()
    pos = read_lines(Path(positive)) if positive is not None else LinesFile(given.parent / POSITIVE, [])
    neg = read_lines(Path(negative)) if negative is not None else LinesFile(given.parent / NEGATIVE, [])
    decision, notes = _pair_up(pos, neg, pairing, pairing_source)
    d = Path(definition)
    if len(definition) < 4096 and "\n" not in definition and d.is_file():
        definition = read_definition(d)
    folder = given.parent
    return Trait(folder.name, folder, pos, neg, definition.strip(), None, decision, notes)
