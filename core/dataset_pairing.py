"""Matched or unmatched: does line N of positive.txt belong with line N of negative.txt?

The plan's datasets are matched pairs: both lines share a setup and differ in the motivation,
so a pair isolates the trait. Many older datasets of the same layout are not: each side is a
set of scenarios of its own, and the two files may have different lengths (118 and 250 lines).
Both kinds are tested; only matched ones get pair verdicts and pair lint.

Detection, when nobody says: a line "shares a setup" with a partner when they start with
SETUP_MIN_PREFIX equal words or their word sets overlap by SETUP_MIN_JACCARD (the same test
lint's no-common-setup uses). A dataset is matched when at least MATCHED_SHARE of the lines
of the shorter side share a setup with the line opposite, or one up to NEAR_WINDOW lines away
when the counts differ (a matched dataset with a line missing in the middle is still matched,
and its count mismatch is a real error). The six shipped datasets score 100% on this; the
same lines shuffled score 1%. Equal counts under MIN_DETECT lines are taken as matched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Sequence

Pairing = Literal["auto", "matched", "unmatched"]
PAIRINGS: tuple[Pairing, ...] = ("auto", "matched", "unmatched")

SETUP_MIN_PREFIX = 3            # a pair shares at least this many leading words, or
SETUP_MIN_JACCARD = 0.35        # ... at least this word-set Jaccard similarity
MATCHED_SHARE = 0.5             # share of lines with a setup partner that makes a dataset matched
NEAR_WINDOW = 3                 # with unequal counts, a partner may sit this many lines away
MIN_DETECT = 5                  # equal counts and fewer lines than this: too few to tell; matched

_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Lowercased words: runs of [a-z0-9'] (punctuation and quotes dropped)."""
    return _WORD.findall(text.lower())


def jaccard(a: frozenset | set, b: frozenset | set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def common_prefix_words(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True)
class SetupOverlap:
    prefix: int         # equal leading words
    overlap: float      # word-set Jaccard

    @property
    def shared(self) -> bool:
        return self.prefix >= SETUP_MIN_PREFIX or self.overlap >= SETUP_MIN_JACCARD


def setup_overlap(a: Sequence[str], b: Sequence[str]) -> SetupOverlap:
    """How much of a setup two lines (as word lists) share."""
    return SetupOverlap(common_prefix_words(a, b), jaccard(set(a), set(b)))


@dataclass(frozen=True)
class PairingDecision:
    matched: bool
    reason: str             # one phrase for notes: "declared in scenarios.toml", "detected: ..."
    share: float | None     # lines sharing a setup with a partner (None: not measured)
    declared: Pairing = "auto"      # what was declared; "auto": nobody said (detected)


def setup_share(positive: Sequence[str], negative: Sequence[str]) -> float:
    """Share of the shorter side's lines that share a setup with their partner line (see the
    module docstring for the window used when the counts differ)."""
    n = min(len(positive), len(negative))
    if n == 0:
        return 0.0
    window = min(abs(len(positive) - len(negative)), NEAR_WINDOW)
    pw = [words(s) for s in positive]
    nw = [words(s) for s in negative]
    found = 0
    for i in range(n):
        lo, hi = max(0, i - window), min(len(negative), i + window + 1)
        if any(setup_overlap(pw[i], nw[j]).shared for j in range(lo, hi)):
            found += 1
    return found / n


def decide_pairing(positive: Sequence[str], negative: Sequence[str],
                   declared: Pairing = "auto", source: str = "") -> PairingDecision:
    """Matched or not: what `declared` says (from scenarios.toml or a flag, named by `source`),
    else detected. A side with no lines (a one-sided run) is always unmatched."""
    if not positive or not negative:
        return PairingDecision(False, "one side only", None)
    if declared != "auto":
        return PairingDecision(declared == "matched", f"declared {declared} by {source or 'the caller'}",
                               None, declared)
    if len(positive) == len(negative) < MIN_DETECT:
        return PairingDecision(True, "too few lines to tell; matched, the plan's format", None)
    share = setup_share(positive, negative)
    matched = share >= MATCHED_SHARE
    return PairingDecision(matched, f"detected: {round(share * 100)}% of lines share a setup with "
                                    "the line opposite", share)


# ---------------------------------------------------------------- after an unmatched save

UNMATCHED_HINT = "if the two files are separate sets of scenarios, open them with --pairing unmatched"


class Reopen(StrEnum):
    """How a load that declares nothing (no --pairing, no [dataset] pairing) opens two files."""
    UNMATCHED = "unmatched"     # detected unmatched: as the unmatched editor saved them
    PAIRS = "pairs"             # detected matched with equal counts: opened as pairs
    REFUSED = "refused"         # detected matched with unequal counts: refused (count mismatch)


def reopen_as(positive: Sequence[str], negative: Sequence[str]) -> tuple[Reopen, PairingDecision]:
    """What detection makes of these lines (core.dataset refuses matched pairs of unequal counts)."""
    decision = decide_pairing(positive, negative)
    if not decision.matched:
        return Reopen.UNMATCHED, decision
    return (Reopen.PAIRS if len(positive) == len(negative) else Reopen.REFUSED), decision


@dataclass(frozen=True)
class ReopenNote:
    """Said after saving an unmatched dataset that a plain load would not open unmatched:
    `short` fits the editor's message line, `detail` says what happens and what to do."""
    how: Reopen
    short: str
    detail: str

    @property
    def warning(self) -> bool:
        """A plain load refuses the files (PAIRS opens them, only in the other mode)."""
        return self.how is Reopen.REFUSED


def unmatched_save_note(positive: Sequence[str], negative: Sequence[str], declared: Pairing,
                        spec: str) -> ReopenNote | None:
    """After saving an unmatched dataset opened as `declared` ("auto": detected unmatched):
    None when the next plain load opens the saved lines unmatched again, or when the pairing
    was declared (whoever declared it opens it the same way, and a refused load names
    --pairing unmatched itself). `spec` names the dataset on the command line."""
    if declared != "auto":
        return None
    how, decision = reopen_as(positive, negative)
    if how is Reopen.UNMATCHED:
        return None
    why = (f"{round(decision.share * 100)}% of lines share a setup with the line opposite"
           if decision.share is not None else
           f"equal counts under {MIN_DETECT} lines are taken as pairs")
    reopen = f"scenarios edit {spec} --pairing unmatched"
    if how is Reopen.REFUSED:
        return ReopenNote(how, "Saved; a plain load now refuses these files: reopen with "
                               "--pairing unmatched.",
                          f"Detection now reads these files as pairs ({why}), and pairs need "
                          f"equal counts ({len(positive)} positive, {len(negative)} negative "
                          "lines): without --pairing, scenarios edit and test stop on a count "
                          f"mismatch. Nothing is lost. Reopen with: {reopen} (or set pairing = "
                          '"unmatched" under [dataset] in scenarios.toml), or give both files '
                          "the same number of lines to make them pairs.")
    return ReopenNote(how, "Saved; these files now look like pairs: the next load opens them as "
                           "pairs.",
                      f"Detection now reads these files as pairs ({why}): the next scenarios edit "
                      "or test opens them as matched pairs, with pair verdicts and pair lint. "
                      f"Nothing is lost. To keep two separate sets, reopen with: {reopen}.")
