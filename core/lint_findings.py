"""What lint reports: a `Finding` (file, line, level, typed code, message) and the codes.

Levels: an error means the dataset cannot be used as it is (a file that does not load, a pair
out of step, a duplicate); a warning points at something that predicts a failing line or a
missed target; a note is worth knowing and predicts nothing (`--strict` ignores notes).
docs/lint.md says what each code predicts.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Literal

from .dataset_files import DatasetCode

Level = Literal["error", "warning", "note"]
Side = Literal["positive", "negative"]


class LintCode(StrEnum):
    """Codes lint finds itself; a file that does not load is reported with its DatasetCode."""
    DUPLICATE_LINE = "duplicate-line"
    SAME_AS_PARTNER = "same-as-partner"
    TRAILING_WHITESPACE = "trailing-whitespace"
    CLOSED_ENDING = "closed-ending"
    THIRD_PERSON = "third-person"
    LOCK_IN_PATTERN = "lock-in-pattern"
    NEAR_DUPLICATE = "near-duplicate"
    NO_COMMON_SETUP = "no-common-setup"
    ASYMMETRIC_LENGTH = "asymmetric-length"
    FEW_PAIRS = "few-pairs"
    ON_BOTH_SIDES = "on-both-sides"
    UNMATCHED = "unmatched"
    CRLF = "crlf"
    DEFINITION_HIGH = "definition-high"
    DEFINITION_LOW = "definition-low"
    DEFINITION_KEY = "definition-key"
    STEERING_MISSING = "steering-missing"
    STEERING_COUNT = "steering-count"


Code = LintCode | DatasetCode


@dataclass(frozen=True)
class Finding:
    """One problem. `line` is 1-based (None: the whole file); `side` is "positive" or
    "negative" for findings on a scenario row, None for trait-level ones (definition,
    steering, pairing). `related` holds other line numbers involved (the duplicate's twin,
    the rest of a lock-in group), on the same side."""
    path: str
    line: int | None
    level: Level
    code: Code
    message: str
    side: Side | None = None
    related: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.level}: {self.message} [{self.code}]"


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    order = {"positive": 0, "negative": 1, None: 2}
    levels = {"error": 0, "warning": 1, "note": 2}
    return sorted(findings, key=lambda f: (order.get(f.side, 3), f.line or 0, levels[f.level],
                                           f.code))
