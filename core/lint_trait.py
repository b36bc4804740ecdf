"""Lint of a whole trait folder: its files through core.dataset (a file that does not load is
an error finding with its file, line and DatasetCode), matched or unmatched, the line and
pair checks, the pair count, definition.txt and steering.json."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .dataset_files import (DEFINITION, NEGATIVE, POSITIVE, STEERING, STEERING_QUESTIONS,
                            DatasetError, read_definition, read_lines, read_steering)
from .dataset_pairing import Pairing, decide_pairing
from .lint_findings import Finding, LintCode, Side, sort_findings
from .lint_lines import lint_lines, lint_side
from .lint_text import line_words

MIN_PAIRS = 50                  # fewer pairs than this: few-pairs warning (the plan's target)

_RANGE = r"\(\s*(\d{1,3})\s*[-\u2013\u2014]\s*(\d{1,3})\s*\)"
_HIGH = re.compile(r"^[\s*#>_-]*HIGH\s*" + _RANGE, re.IGNORECASE | re.MULTILINE)
_LOW = re.compile(r"^[\s*#>_-]*LOW\s*" + _RANGE, re.IGNORECASE | re.MULTILINE)
_KEY = re.compile(r"^[\s*#>_-]*Key\s*\**\s*:", re.IGNORECASE | re.MULTILINE)


def lint_definition(text: str, path: str = DEFINITION) -> list[Finding]:
    """The judge's rubric should have a line starting `HIGH (70-100)` and one starting
    `LOW (0-40)` (any numbers 0-100, low <= high; markdown bullets or bold around them are
    fine): without them the judge has no anchor for a score, and scores drift into the
    ambiguous band (warnings). A `Key:` line is the plan's format (a note)."""
    out: list[Finding] = []
    checks = ((LintCode.DEFINITION_HIGH, _HIGH, "HIGH", "a line 'HIGH (70-100): ...' describing a high score"),
              (LintCode.DEFINITION_LOW, _LOW, "LOW", "a line 'LOW (0-40): ...' describing a low score"))
    for code, rx, label, want in checks:
        m = rx.search(text)
        if not m:
            out.append(Finding(path, None, "warning", code, f"no {label} range; add {want}"))
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if not (0 <= a <= b <= 100):
            line = text.count("\n", 0, m.start()) + 1
            out.append(Finding(path, line, "warning", code,
                               f"{label} range ({a}-{b}) is not a range within 0-100"))
    if not _KEY.search(text):
        out.append(Finding(path, None, "note", LintCode.DEFINITION_KEY,
                           "no 'Key:' line; the plan's rubrics end with one saying what separates "
                           "HIGH from LOW"))
    return out


def _from_error(exc: DatasetError, fallback: Path, side: Side | None) -> Finding:
    path = str(exc.path) if exc.path is not None else str(fallback)
    return Finding(path, exc.line, "error", exc.code, exc.bare, side if exc.line else None)


def _lint_steering(path: Path) -> list[Finding]:
    """steering.json is read by the steering evaluation, not by testing: broken is an error,
    missing or another count than the plan's 10 questions a warning; other keys are fine."""
    try:
        steering = read_steering(path)
    except DatasetError as exc:
        return [_from_error(exc, path, None)]
    if steering is None:
        return [Finding(str(path), None, "warning", LintCode.STEERING_MISSING,
                        f'is missing; the steering evaluation needs {{"questions": '
                        f'[{STEERING_QUESTIONS} questions]}}')]
    n = len(steering.questions)
    if n != STEERING_QUESTIONS:
        return [Finding(str(path), 1, "warning", LintCode.STEERING_COUNT,
                        f"{n} question{'s' if n != 1 else ''}; the plan asks new datasets for "
                        f"{STEERING_QUESTIONS}")]
    return []


@dataclass(frozen=True)
class TraitReport:
    folder: Path
    findings: list[Finding]
    pairs: int              # pairs of a matched dataset; 0 for an unmatched one
    lines: int              # scenario lines read, both sides
    matched: bool


def lint_trait_report(folder: Path | str, pairing: Pairing = "auto",
                      pairing_source: str = "") -> TraitReport:
    """Every check on one trait folder, with the counts for the summary line."""
    folder = Path(folder)
    out: list[Finding] = []
    sides: dict[str, list[str] | None] = {}
    files: tuple[tuple[str, Side], ...] = ((POSITIVE, "positive"), (NEGATIVE, "negative"))
    for name, side in files:
        try:
            lf = read_lines(folder / name)
        except DatasetError as exc:
            out.append(_from_error(exc, folder / name, side))
            sides[side] = None
            continue
        sides[side] = lf.lines
        if lf.newline == "\r\n":
            out.append(Finding(str(folder / name), None, "note", LintCode.CRLF,
                               "uses CRLF line endings (kept when saving; the model never sees them)"))
    pos, neg = sides["positive"], sides["negative"]
    pos_path, neg_path = str(folder / POSITIVE), str(folder / NEGATIVE)
    pairs, matched = 0, True
    if pos is not None and neg is not None:
        decision = decide_pairing(pos, neg, pairing, pairing_source)
        matched = decision.matched
        out += lint_lines(pos, neg, pos_path, neg_path, matched=matched)
        if matched:
            pairs = min(len(pos), len(neg))
            if pairs < MIN_PAIRS:
                out.append(Finding(str(folder), None, "warning", LintCode.FEW_PAIRS,
                                   f"{pairs} pair{'s' if pairs != 1 else ''}; the target is "
                                   f"{MIN_PAIRS}+ clean pairs"))
        else:
            out.append(Finding(str(folder), None, "note", LintCode.UNMATCHED,
                               f"unmatched dataset ({len(pos)} positive, {len(neg)} negative lines; "
                               f"{decision.reason}): pair checks are off and `scenarios test` "
                               "reports each side's pass rate"))
    else:
        for (_, side), lines, path in zip(files, (pos, neg), (pos_path, neg_path)):
            if lines is not None:
                out += lint_side(lines, path, side, [line_words(s) for s in lines])
    try:
        text = read_definition(folder / DEFINITION)
    except DatasetError as exc:
        out.append(_from_error(exc, folder / DEFINITION, None))
    else:
        out += lint_definition(text, str(folder / DEFINITION))
    out += _lint_steering(folder / STEERING)
    lines = len(pos or ()) + len(neg or ())
    return TraitReport(folder, sort_findings(out), pairs, lines, matched)


def lint_trait(folder: Path | str, pairing: Pairing = "auto") -> list[Finding]:
    """Every check on one trait folder: its files (through core.dataset; read errors become
    error findings with file and line), lint_lines, the pair count, definition.txt and
    steering.json."""
    return lint_trait_report(folder, pairing).findings
