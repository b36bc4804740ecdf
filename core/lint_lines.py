"""Line and pair checks of lint, on in-memory lines: no I/O, fast enough for the editor to call
after every edit (under 50 ms for 150 pairs: per-line facts are memoised by text in
core.lint_text, and near duplicates use word-shingle Jaccard through an inverted index, not an
O(n^2) difflib scan).

Pair-level findings (same-as-partner, no-common-setup, asymmetric-length, count-mismatch when
positive.txt is the longer file) sit on positive.txt at the pair's line; since both editor panes
show one row per line number, (side, line - 1) always names the row. Unmatched datasets have no
pairs: they get the side checks and on-both-sides only.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Sequence

from .dataset_files import NEGATIVE, POSITIVE, DatasetCode
from .dataset_pairing import setup_overlap
from .lint_findings import Code, Finding, Level, LintCode, Side, sort_findings
from .lint_spread import LOCK_IN_MIN_LINES, LOCK_IN_SHARE, ending_groups
from .lint_text import line_flags, line_shingles, line_words, lines_list

NEAR_DUP_JACCARD = 0.80         # same-side lines with word-3-gram Jaccard >= this
ASYM_RATIO = 2.0                # longer side has more than this many times the words ...
ASYM_MIN_DIFF = 8               # ... and at least this many more words
# ASYM_RATIO is 2.0, not 1.8: the plan's own starter pair "The doctor recommended a treatment
# I'd read was outdated, but I didn't want to seem like I was googling over her, so I said" /
# "..., so I asked her" is 24 vs 13 words (1.85x) and is a well-formed pair.


def lint_side(lines: list[str], path: str, side: Side,
              word_lists: Sequence[Sequence[str]]) -> list[Finding]:
    """Every check of one side's lines on their own (blank, line break, duplicate, trailing
    whitespace, closed ending, third person, lock-in groups, near duplicates)."""
    out: list[Finding] = []

    def add(line: int | None, level: Level, code: Code, msg: str, related: tuple[int, ...] = ()):
        out.append(Finding(path, line, level, code, msg, side, related))

    first_seen: dict[str, int] = {}
    for i, s in enumerate(lines, start=1):
        if not s.strip():
            add(i, "error", DatasetCode.BLANK_LINE, "blank line; every line must be a scenario "
                "(pairs are matched by line number)")
            continue
        if "\n" in s or "\r" in s:
            add(i, "error", DatasetCode.NEWLINE, "a scenario may not contain a line break")
        if s != s.rstrip():
            add(i, "warning", LintCode.TRAILING_WHITESPACE,
                "trailing whitespace; the model would see a trailing space token")
        key = s.strip()
        if key in first_seen:
            j = first_seen[key]
            add(i, "error", LintCode.DUPLICATE_LINE, f"duplicate of line {j}", (j,))
        else:
            first_seen[key] = i
        closed, third = line_flags(s)
        if closed:
            add(i, "warning", LintCode.CLOSED_ENDING,
                "ends a finished sentence; end on a cliffhanger (an open quote or an unfinished "
                "clause) so the completion must express the trait")
        if third:
            add(i, "warning", LintCode.THIRD_PERSON,
                "ends in third person; the speaker with the trait should be 'I' "
                "(third-person narration is the most common cause of failure)")

    # Lock-in ending patterns over 20% of the side: a note, not a warning. Templated datasets
    # reach 90%+ pass rates with four or five endings; what a shared ending risks is a vector
    # that learns the template, which no pass rate shows.
    nonblank = [s for s in lines if s.strip()]
    if len(nonblank) >= LOCK_IN_MIN_LINES:
        for pat, nums in ending_groups(word_lists).items():
            if len(nums) > LOCK_IN_SHARE * len(nonblank):
                pct = round(100 * len(nums) / len(nonblank))
                add(nums[0], "note", LintCode.LOCK_IN_PATTERN,
                    f"ending '{pat}' is on {len(nums)} of {len(nonblank)} lines ({pct}%, over "
                    f"{round(LOCK_IN_SHARE * 100)}%): lines {lines_list(nums)}; vary the lock-ins",
                    tuple(nums[1:]))

    out.extend(_near_duplicates(lines, path, side))
    return out


def _near_duplicates(lines: list[str], path: str, side: Side) -> list[Finding]:
    """Same-side lines whose word-3-gram sets have Jaccard >= NEAR_DUP_JACCARD.

    Exact duplicates (same stripped text) are left to the duplicate-line error. To avoid
    comparing every pair, a prefix filter picks candidates: order each line's shingles rarest
    first (by how many lines of the side hold them); two sets with Jaccard >= t must share a
    shingle among the first |A| - ceil(t |A|) + 1 of each, so only those prefixes are indexed.
    Template phrases shared by many lines ("so I said") sort last and never make candidates.
    Candidates are then checked with a size bound and an exact set intersection.
    """
    t = NEAR_DUP_JACCARD
    sh = [line_shingles(s) if s.strip() else frozenset() for s in lines]
    df: dict[tuple, int] = defaultdict(int)
    for s in sh:
        for g in s:
            df[g] += 1
    index: dict[tuple, list[int]] = defaultdict(list)
    out: list[Finding] = []
    for i, s in enumerate(sh):
        if not s:
            continue
        ordered = sorted(s, key=lambda g: (df[g], g))
        prefix = ordered[: len(s) - math.ceil(t * len(s)) + 1]
        candidates: set[int] = set()
        for g in prefix:
            candidates.update(index.get(g, ()))
        best_j, best = None, 0.0
        for j in sorted(candidates):
            other = sh[j]
            if min(len(s), len(other)) < t * max(len(s), len(other)):
                continue
            if lines[i].strip() == lines[j].strip():
                continue
            shared = len(s & other)
            sim = shared / (len(s) + len(other) - shared)
            if sim >= t and sim > best:
                best_j, best = j, sim
        if best_j is not None:
            out.append(Finding(path, i + 1, "warning", LintCode.NEAR_DUPLICATE,
                               f"nearly the same as line {best_j + 1} ({round(best * 100)}% of "
                               "word 3-grams shared); vary the setup or cut one", side,
                               (best_j + 1,)))
        for g in prefix:
            index[g].append(i)
    return out


def _lint_pairs(positive: list[str], negative: list[str], pos_path: str, neg_path: str,
                pos_words: Sequence[Sequence[str]], neg_words: Sequence[Sequence[str]]) -> list[Finding]:
    """Matched datasets: count-mismatch, same-as-partner, no-common-setup, asymmetric-length."""
    out: list[Finding] = []
    n, m = len(positive), len(negative)
    if n != m:
        longer, lpath, lside, shorter = ((POSITIVE, pos_path, "positive", NEGATIVE) if n > m
                                         else (NEGATIVE, neg_path, "negative", POSITIVE))
        lo, hi = min(n, m) + 1, max(n, m)
        span = f"line {lo}" if lo == hi else f"lines {lo}-{hi}"
        out.append(Finding(lpath, lo, "error", DatasetCode.COUNT_MISMATCH,
                           f"{longer} has {max(n, m)} lines but {shorter} has {min(n, m)}: "
                           f"{span} of {longer} {'has' if lo == hi else 'have'} no partner "
                           "(pairs are matched by line number)", lside,
                           tuple(range(lo + 1, hi + 1))))
    for i, (p, q) in enumerate(zip(positive, negative), start=1):
        if not p.strip() or not q.strip():
            continue
        if p.strip() == q.strip():
            out.append(Finding(pos_path, i, "error", LintCode.SAME_AS_PARTNER,
                               f"positive line is identical to {NEGATIVE} line {i}", "positive"))
            continue
        a, b = pos_words[i - 1], neg_words[i - 1]
        setup = setup_overlap(a, b)
        if not setup.shared:
            out.append(Finding(pos_path, i, "warning", LintCode.NO_COMMON_SETUP,
                               f"pair shares no common setup with {NEGATIVE} line {i} "
                               f"({setup.prefix} leading words, {round(setup.overlap * 100)}% word "
                               "overlap); keep the same setup up to the motivation", "positive"))
        short, long_ = sorted((len(a), len(b)))
        if short and long_ > ASYM_RATIO * short and long_ - short >= ASYM_MIN_DIFF:
            which = "positive" if len(a) > len(b) else "negative"
            out.append(Finding(pos_path, i, "warning", LintCode.ASYMMETRIC_LENGTH,
                               f"pair lengths differ strongly: positive {len(a)} words, negative "
                               f"{len(b)} words ({which} is {long_ / short:.1f}x); keep similar "
                               "lengths", "positive"))
    return out


def _on_both_sides(positive: list[str], negative: list[str], neg_path: str) -> list[Finding]:
    """Unmatched datasets: a scenario that is on both sides must fail on one of them."""
    first = {}
    for i, s in enumerate(positive, start=1):
        first.setdefault(s.strip(), i)
    return [Finding(neg_path, j, "warning", LintCode.ON_BOTH_SIDES,
                    f"also on {POSITIVE} line {first[s.strip()]}: one of the two sides must fail it",
                    "negative", (first[s.strip()],))
            for j, s in enumerate(negative, start=1) if s.strip() and s.strip() in first]


def lint_lines(positive: list[str], negative: list[str], pos_path: str = POSITIVE,
               neg_path: str = NEGATIVE, *, matched: bool = True) -> list[Finding]:
    """All line-level checks, and the pair checks of a matched dataset, on in-memory lines
    (no I/O, no pair-count warning).

    Per side: blank-line, newline, duplicate-line (errors); trailing-whitespace, closed-ending,
    third-person, near-duplicate (warnings); lock-in-pattern (note). Matched, per pair: count-mismatch,
    same-as-partner (errors); no-common-setup, asymmetric-length (warnings). Unmatched:
    on-both-sides (warning). Returned sorted by side, line.
    """
    pos_words = [line_words(s) for s in positive]      # memoised words(s), as tuples
    neg_words = [line_words(s) for s in negative]
    out = lint_side(positive, pos_path, "positive", pos_words)
    out += lint_side(negative, neg_path, "negative", neg_words)
    if matched:
        out += _lint_pairs(positive, negative, pos_path, neg_path, pos_words, neg_words)
    else:
        out += _on_both_sides(positive, negative, neg_path)
    return sort_findings(out)
