"""What a dataset already uses a lot: ending patterns (lint's lock-in-pattern rule) and setup
words (a crude signal of a domain: "surgeon", "invoice", "quarterly"). Pure functions of the
lines; lint reports the ending groups, and the co-writer (core.cowriter) passes both to Claude
so that proposed variations steer away from them.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

from .lint_text import LOCK_IN_WORDS, line_words

LOCK_IN_SHARE = 0.20            # an ending pattern on more than this share of a side's lines
LOCK_IN_MIN_LINES = 10          # ... checked only when the side has at least this many lines

COMMON_SHARE = 0.05             # "used a lot" for the co-writer: on at least this share ...
COMMON_MIN = 3                  # ... and on at least this many lines
COMMON_TOP = 8                  # at most this many of each kind are passed on
MIN_WORD_LEN = 5                # shorter words are mostly function words
# Past tenses, adverbs and gerunds are the narration ("needed", "honestly", "selling"), not the
# domain: a crude stand-in for a part-of-speech tagger, which lint does without.
_NARRATION_SUFFIXES = ("ed", "ly", "ing")

# Words that say nothing about a domain (pronouns, connectives, speech and thought verbs that
# every scenario of this kind uses).
_NOT_DOMAIN = frozenset("""
about after again against already always another asked because before being below between
could didn't doesn't during every first going great having might myself never nothing other
really right said saying should since something still their there these thing think thought
those though three through today told under until wanted where which while would wouldn't
yours couldn't asking answer whether without instead rather better straight wrong sorry
honest second maybe guess looks
""".split())


def _domain_word(w: str) -> bool:
    return (len(w) >= MIN_WORD_LEN and w.isalpha() and w not in _NOT_DOMAIN
            and not w.endswith(_NARRATION_SUFFIXES))


def ending_groups(word_lists: Sequence[Sequence[str]]) -> dict[str, list[int]]:
    """Lines (1-based) by ending pattern: the last LOCK_IN_WORDS words."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(word_lists, start=1):
        if ws:
            groups[" ".join(ws[-LOCK_IN_WORDS:])].append(i)
    return groups


@dataclass(frozen=True)
class Spread:
    """The most used ending patterns and setup words of a dataset, each with how many lines
    hold it, most used first."""
    endings: tuple[tuple[str, int], ...]
    words: tuple[tuple[str, int], ...]
    lines: int


def dataset_spread(positive: Sequence[str], negative: Sequence[str]) -> Spread:
    """Endings (both sides) on at least COMMON_MIN lines, and setup words (each pair counted
    once) on at least COMMON_SHARE of the pairs and COMMON_MIN of them; COMMON_TOP of each at
    most. Endings count from fewer lines than lint's lock-in-pattern note: the co-writer steers
    away from an ending long before lint would call it a template."""
    lines = [s for s in list(positive) + list(negative) if s.strip()]
    n = len(lines)
    floor = COMMON_MIN
    endings = Counter({pat: len(nums) for pat, nums in
                       ending_groups([line_words(s) for s in lines]).items()})
    pairs = max(len(positive), len(negative))
    word_floor = max(COMMON_MIN, COMMON_SHARE * pairs)
    counts: Counter[str] = Counter()
    for i in range(pairs):
        seen: set[str] = set()
        for side in (positive, negative):
            if i < len(side):
                seen.update(w.removesuffix("'s") for w in line_words(side[i])
                            if _domain_word(w.removesuffix("'s")))
        counts.update(seen)
    return Spread(tuple((p, c) for p, c in endings.most_common(COMMON_TOP) if c >= floor),
                  tuple((w, c) for w, c in counts.most_common(COMMON_TOP) if c >= word_floor),
                  n)
