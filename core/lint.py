"""`scenarios lint`: static checks of trait datasets, no model involved.

Every problem is a `Finding` printed as `path:line: level: message [code]`. Errors make the
dataset unusable or wrong (a missing file, a pair out of step, a duplicate); warnings are
heuristics that predict a failing pair (a closed ending, third-person narration, a template
used on too many lines). `scenarios lint` exits 1 on errors, and on warnings with --strict.

Layers, cheapest first:

* `lint_lines(positive, negative)` - every line- and pair-level check on in-memory lines. The
  editor calls it on its unsaved buffers after each edit, so it does no I/O and stays well under
  50 ms for 150 pairs (near duplicates use word-shingle Jaccard through an inverted index, not
  an O(n^2) difflib scan).
* `lint_definition(text, path)` - the judge's rubric: HIGH and LOW ranges and a Key line.
* `lint_trait(folder)` - reads the four files through `core.dataset`, turns its DatasetErrors
  into error findings (with file and line), and combines the above.
* `lint_main(argv)` - the command line.

Codes (level):
  errors:   missing-file, encoding, empty-file, blank-line, newline, file-limits, unreadable,
            count-mismatch, duplicate-line, same-as-partner,
            definition-missing, definition-high, definition-low, definition-key,
            steering-missing, steering-invalid
  warnings: trailing-whitespace, crlf, closed-ending, third-person, lock-in-pattern,
            near-duplicate, no-common-setup, asymmetric-length, few-pairs

Pair-level findings (same-as-partner, no-common-setup, asymmetric-length, count-mismatch when
positive.txt is the longer file) sit on positive.txt at the pair's line; since both editor panes
show one row per line number, (side, line - 1) always names the row.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Literal

from core.dataset import (
    DEFINITION,
    NEGATIVE,
    POSITIVE,
    STEERING,
    DatasetError,
    list_traits,
    parse_steering,
    read_definition,
    read_lines,
    resolve_trait,
    default_datasets_root,
)

Level = Literal["error", "warning"]

# ---------------------------------------------------------------- thresholds
MIN_PAIRS = 50                  # fewer pairs than this: few-pairs warning
LOCK_IN_SHARE = 0.20            # an ending pattern on more than this share of a side's lines
LOCK_IN_MIN_LINES = 10          # ... checked only when the side has at least this many lines
LOCK_IN_WORDS = 3               # an ending pattern is the last three words
SETUP_MIN_PREFIX = 3            # a pair shares at least this many leading words, or
SETUP_MIN_JACCARD = 0.35        # ... at least this word-set Jaccard similarity
NEAR_DUP_JACCARD = 0.80         # same-side lines with word-3-gram Jaccard >= this
SHINGLE = 3
ASYM_RATIO = 2.0                # longer side has more than this many times the words ...
ASYM_MIN_DIFF = 8               # ... and at least this many more words
# ASYM_RATIO is 2.0, not 1.8: the plan's own starter pair "The doctor recommended a treatment
# I'd read was outdated, but I didn't want to seem like I was googling over her, so I said" /
# "..., so I asked her" is 24 vs 13 words (1.85x) and is a well-formed pair.

FIRST_PERSON = frozenset({"i", "i'm", "i'd", "i've", "i'll", "me", "my", "mine", "myself",
                          "we", "we're", "we'd", "we've", "we'll", "our", "ours", "ourselves", "us"})
THIRD_PERSON_SUBJECTS = frozenset({"he", "she", "they", "he's", "she's", "they're", "he'd",
                                   "she'd", "they'd", "he'll", "she'll", "they'll", "they've"})
# A final clause with no first person that holds one of these speaks in someone else's voice
# ("The director frowned and said").
SPEECH_VERBS = frozenset({"said", "says", "asked", "asks", "told", "tells", "replied", "answered",
                          "explained", "insisted", "announced", "wrote", "added", "whispered",
                          "shouted", "admitted", "assured", "declared", "responded"})
# Capitalised words that do not name a person when they start or sit inside a clause.
NOT_NAMES = frozenset("""
a an the this that these those then when after before while during until since so but and or
nor yet if once as at in on of by for with without within from to into onto over under about
instead later now still even finally suddenly meanwhile next there here it its it's what how
why where who which whatever nobody everyone everybody someone somebody anyone no not nothing
all every each both either neither one two three some many most few several another other
our their your his her my is was were be been yes okay ok oh well please thanks sorry
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december christmas
""".split())
ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "vs", "etc",
                           "e.g", "i.e", "inc", "ltd", "co", "approx", "dept", "u.s"})

_WORD = re.compile(r"[a-z0-9']+")
_RAW_WORD = re.compile(r"[A-Za-z0-9']+")
_CLOSERS = "\"\u201d'\u2019)"


@dataclass(frozen=True)
class Finding:
    """One problem. `line` is 1-based (None: the whole file); `side` is "positive" or
    "negative" for findings on a scenario row, None for trait-level ones (definition,
    steering, pair count). `related` holds other line numbers involved (the duplicate's twin,
    the rest of a lock-in group), on the same side."""
    path: str
    line: int | None
    level: Level
    code: str
    message: str
    side: str | None = None
    related: tuple[int, ...] = ()

    @property
    def index(self) -> int | None:
        """0-based row index for the editor, or None."""
        return None if self.line is None else self.line - 1

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.level}: {self.message} [{self.code}]"


def finding_row(f: Finding) -> tuple[str, int] | None:
    """(side, 0-based index) of the editor row a finding belongs to, or None."""
    if f.side is None or f.line is None:
        return None
    return f.side, f.line - 1


# ---------------------------------------------------------------- text helpers

def words(text: str) -> list[str]:
    """Lowercased words: runs of [a-z0-9'] (punctuation and quotes dropped)."""
    return _WORD.findall(text.lower())


def ending_pattern(line: str) -> str:
    """The lock-in signature of a scenario: its last three words, lowercased, punctuation and
    quotes dropped: `... so I nodded and said "` -> `nodded and said`."""
    return " ".join(words(line)[-LOCK_IN_WORDS:])


def ending_groups(lines: Iterable[str]) -> dict[str, list[int]]:
    """Ending pattern -> 1-based line numbers that end with it (every pattern, any size)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(lines, start=1):
        p = ending_pattern(s)
        if p:
            groups[p].append(i)
    return dict(groups)


_CURLY = str.maketrans({"\u201c": '"', "\u201d": '"'})
_QUOTED = re.compile(r'"[^"]*(?:"|$)')
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u2019)]*(?=\s|$)")


def _quote_open_after(text: str) -> bool:
    """Is a double quote still open at the end of text? Double quotes alternate open/close
    (curly ones count as double quotes); single quotes are ignored (they are apostrophes far
    more often)."""
    return text.translate(_CURLY).count('"') % 2 == 1


def _narration(text: str) -> str:
    """text with quoted speech removed (what the narrator says, not what someone says); an
    unclosed quote runs to the end of the line."""
    return _QUOTED.sub(" ", text.translate(_CURLY))


def _is_abbreviation(text: str, dot: int) -> bool:
    """Does the '.' at text[dot] end an abbreviation (Dr., e.g., a single initial)?"""
    j = dot
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "."):
        j -= 1
    word = text[j:dot].lower()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha() and word != "i")


def sentences(line: str) -> list[str]:
    """Split a scenario into sentences at . ! ? or an ellipsis (runs of them, plus any closing
    quotes or parenthesis) followed by whitespace, but only where no double quote is open after
    the closers: speech inside an open quote stays part of the sentence that opened it.
    Abbreviations (Dr., e.g.) and single initials do not end a sentence."""
    t = line.translate(_CURLY)
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(t):
        if t.count('"', 0, m.end()) % 2:
            continue
        if m.group().rstrip("\"')\u2019") == "." and _is_abbreviation(t, m.start()):
            continue
        out.append(line[start:m.end()])
        start = m.end()
    out.append(line[start:])
    return [s.strip() for s in out if s.strip()]


def is_closed_ending(line: str) -> bool:
    """The scenario ends a finished sentence rather than leaving a cliffhanger.

    Closed: the last non-space character is . ! or ? (optionally followed by closing quotes or
    a parenthesis) and no double quote is left open. Not closed (fine): an open quote
    (`said "` or mid-speech `"Well, the numbers`), a comma, colon, dash or word at the end, a
    trailing ellipsis (`...` or the ellipsis character) which trails off, and an abbreviation
    such as `Dr.`.
    """
    s = line.rstrip()
    if not s or _quote_open_after(s):
        return False
    k = len(s)
    while k > 0 and s[k - 1] in _CLOSERS:
        k -= 1
    if k == 0 or s[k - 1] not in ".!?":
        return False
    if s[:k].endswith("..") or s[:k].endswith("\u2026"):
        return False
    if s[k - 1] == "." and _is_abbreviation(s, k - 1):
        return False
    return True


def _speaker_words(text: str) -> list[str]:
    """Words of the narration; the whole text's words when it is all speech."""
    narr = words(_narration(text))
    return narr if narr else words(text)


def _has_third_person_subject(text: str) -> bool:
    narr = _narration(text)
    if any(w in THIRD_PERSON_SUBJECTS or w in SPEECH_VERBS for w in words(narr)):
        return True
    for w in _RAW_WORD.findall(narr):
        base = w.lower().split("'")[0]
        if len(w) > 1 and w[0].isupper() and w[1:].islower() and base not in NOT_NAMES \
                and base not in FIRST_PERSON:
            return True
    return False


def third_person_ending(line: str) -> bool:
    """The scenario ends in someone else's voice, not the first-person speaker's.

    True when (a) the narration of the whole line (text outside double quotes) has no
    first-person word (I, I'm, I'd, I've, I'll, me, my, mine, myself, we, our, us, ...), or
    (b) the final sentence's narration has no first-person word and has a third-person subject:
    he/she/they (and contractions) or a capitalised name-like word (not a common sentence
    starter, weekday or month). Sentences split as in `sentences` (boundaries inside an open
    quote do not count). A line that is all speech is judged on its words.
    """
    if not any(w in FIRST_PERSON for w in _speaker_words(line)):
        return True
    parts = sentences(line)
    final = parts[-1] if parts else line
    if any(w in FIRST_PERSON for w in _speaker_words(final)):
        return False
    return _has_third_person_subject(final)


def _shingles(ws: list[str]) -> frozenset:
    if len(ws) < SHINGLE:
        return frozenset([tuple(ws)]) if ws else frozenset()
    return frozenset(tuple(ws[i:i + SHINGLE]) for i in range(len(ws) - SHINGLE + 1))


def jaccard(a: frozenset | set, b: frozenset | set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def common_prefix_words(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _lines_list(nums: list[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, nums[:limit]))
    return shown + (f", ... ({len(nums) - limit} more)" if len(nums) > limit else "")


# ---------------------------------------------------------------- per-line memo
# The editor re-lints its buffers after every cut, undo and edit, and almost every line is one
# it linted a moment ago. Every per-line check is a pure function of the line's text, so its
# result is kept by text (bounded caches); the checks that look across lines (duplicates, near
# duplicates, lock-in groups) still run on every call, over these memoised facts.
_MEMO = 1 << 15


@lru_cache(maxsize=_MEMO)
def _line_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


@lru_cache(maxsize=_MEMO)
def _line_flags(text: str) -> tuple[bool, bool]:
    """(closed ending, third-person ending) of a non-blank line."""
    return is_closed_ending(text), third_person_ending(text)


@lru_cache(maxsize=_MEMO)
def _line_shingles(text: str) -> frozenset:
    return _shingles(list(_line_words(text)))


# ---------------------------------------------------------------- line and pair checks

def _lint_side(lines: list[str], path: str, side: str,
               word_lists: list[list[str]]) -> list[Finding]:
    out: list[Finding] = []

    def add(line: int | None, level: Level, code: str, msg: str, related: tuple[int, ...] = ()):
        out.append(Finding(path, line, level, code, msg, side, related))

    first_seen: dict[str, int] = {}
    for i, s in enumerate(lines, start=1):
        if not s.strip():
            add(i, "error", "blank-line", "blank line; every line must be a scenario "
                "(pairs are matched by line number)")
            continue
        if "\n" in s or "\r" in s:
            add(i, "error", "newline", "a scenario may not contain a line break")
        if s != s.rstrip():
            add(i, "warning", "trailing-whitespace",
                "trailing whitespace; the model would see a trailing space token")
        key = s.strip()
        if key in first_seen:
            j = first_seen[key]
            add(i, "error", "duplicate-line", f"duplicate of line {j}", (j,))
        else:
            first_seen[key] = i
        closed, third = _line_flags(s)
        if closed:
            add(i, "warning", "closed-ending",
                "ends a finished sentence; end on a cliffhanger (an open quote or an unfinished "
                "clause) so the completion must express the trait")
        if third:
            add(i, "warning", "third-person",
                "ends in third person; the speaker with the trait should be 'I' "
                "(third-person narration is the most common cause of failure)")

    # Lock-in ending patterns over 20% of the side.
    nonblank = [s for s in lines if s.strip()]
    if len(nonblank) >= LOCK_IN_MIN_LINES:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, ws in enumerate(word_lists, start=1):
            if ws:
                groups[" ".join(ws[-LOCK_IN_WORDS:])].append(i)
        for pat, nums in groups.items():
            if len(nums) > LOCK_IN_SHARE * len(nonblank):
                pct = round(100 * len(nums) / len(nonblank))
                add(nums[0], "warning", "lock-in-pattern",
                    f"ending '{pat}' is on {len(nums)} of {len(nonblank)} lines ({pct}%, over "
                    f"{round(LOCK_IN_SHARE * 100)}%): lines {_lines_list(nums)}; vary the lock-ins",
                    tuple(nums[1:]))

    out.extend(_near_duplicates(lines, path, side, word_lists))
    return out


def _near_duplicates(lines: list[str], path: str, side: str,
                     word_lists: list[list[str]]) -> list[Finding]:
    """Same-side lines whose word-3-gram sets have Jaccard >= NEAR_DUP_JACCARD.

    Exact duplicates (same stripped text) are left to the duplicate-line error. To avoid
    comparing every pair, a prefix filter picks candidates: order each line's shingles rarest
    first (by how many lines of the side hold them); two sets with Jaccard >= t must share a
    shingle among the first |A| - ceil(t |A|) + 1 of each, so only those prefixes are indexed.
    Template phrases shared by many lines ("so I said") sort last and never make candidates.
    Candidates are then checked with a size bound and an exact set intersection.
    """
    t = NEAR_DUP_JACCARD
    sh = [_line_shingles(s) if s.strip() else frozenset() for s in lines]   # = _shingles(word_lists[i])
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
            out.append(Finding(path, i + 1, "warning", "near-duplicate",
                               f"nearly the same as line {best_j + 1} ({round(best * 100)}% of "
                               "word 3-grams shared); vary the setup or cut one", side,
                               (best_j + 1,)))
        for g in prefix:
            index[g].append(i)
    return out


def _lint_pairs(positive: list[str], negative: list[str], pos_path: str, neg_path: str,
                pos_words: list[list[str]], neg_words: list[list[str]]) -> list[Finding]:
    out: list[Finding] = []
    n, m = len(positive), len(negative)
    if n != m:
        longer, lpath, lside, shorter = ((POSITIVE, pos_path, "positive", NEGATIVE) if n > m
                                         else (NEGATIVE, neg_path, "negative", POSITIVE))
        lo, hi = min(n, m) + 1, max(n, m)
        span = f"line {lo}" if lo == hi else f"lines {lo}-{hi}"
        out.append(Finding(lpath, lo, "error", "count-mismatch",
                           f"{longer} has {max(n, m)} lines but {shorter} has {min(n, m)}: "
                           f"{span} of {longer} {'has' if lo == hi else 'have'} no partner "
                           "(pairs are matched by line number)", lside,
                           tuple(range(lo + 1, hi + 1))))
    for i, (p, q) in enumerate(zip(positive, negative), start=1):
        if not p.strip() or not q.strip():
            continue
        if p.strip() == q.strip():
            out.append(Finding(pos_path, i, "error", "same-as-partner",
                               f"positive line is identical to {NEGATIVE} line {i}", "positive"))
            continue
        a, b = pos_words[i - 1], neg_words[i - 1]
        prefix = common_prefix_words(a, b)
        sim = jaccard(set(a), set(b))
        if prefix < SETUP_MIN_PREFIX and sim < SETUP_MIN_JACCARD:
            out.append(Finding(pos_path, i, "warning", "no-common-setup",
                               f"pair shares no common setup with {NEGATIVE} line {i} "
                               f"({prefix} leading words, {round(sim * 100)}% word overlap); keep "
                               "the same setup up to the motivation", "positive"))
        short, long_ = sorted((len(a), len(b)))
        if short and long_ > ASYM_RATIO * short and long_ - short >= ASYM_MIN_DIFF:
            which = "positive" if len(a) > len(b) else "negative"
            out.append(Finding(pos_path, i, "warning", "asymmetric-length",
                               f"pair lengths differ strongly: positive {len(a)} words, negative "
                               f"{len(b)} words ({which} is {long_ / short:.1f}x); keep similar "
                               "lengths", "positive"))
    return out


def lint_lines(positive: list[str], negative: list[str],
               pos_path: str = POSITIVE, neg_path: str = NEGATIVE) -> list[Finding]:
    """All line- and pair-level checks on in-memory lines (no I/O, no pair-count warning).

    Per side: blank-line, newline, duplicate-line (errors); trailing-whitespace, closed-ending,
    third-person, lock-in-pattern, near-duplicate (warnings). Per pair: count-mismatch,
    same-as-partner (errors); no-common-setup, asymmetric-length (warnings). Returned sorted
    by side, line.
    """
    pos_words = [_line_words(s) for s in positive]      # memoised words(s), as tuples
    neg_words = [_line_words(s) for s in negative]
    out = _lint_side(positive, pos_path, "positive", pos_words)
    out += _lint_side(negative, neg_path, "negative", neg_words)
    out += _lint_pairs(positive, negative, pos_path, neg_path, pos_words, neg_words)
    return sort_findings(out)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    order = {"positive": 0, "negative": 1, None: 2}
    return sorted(findings, key=lambda f: (order.get(f.side, 3), f.line or 0,
                                           f.level != "error", f.code))


# ---------------------------------------------------------------- definition and steering

_RANGE = r"\(\s*(\d{1,3})\s*[-\u2013\u2014]\s*(\d{1,3})\s*\)"
_HIGH = re.compile(r"^[\s*#>_-]*HIGH\s*" + _RANGE, re.IGNORECASE | re.MULTILINE)
_LOW = re.compile(r"^[\s*#>_-]*LOW\s*" + _RANGE, re.IGNORECASE | re.MULTILINE)
_KEY = re.compile(r"^[\s*#>_-]*Key\s*\**\s*:", re.IGNORECASE | re.MULTILINE)


def lint_definition(text: str, path: str = DEFINITION) -> list[Finding]:
    """The judge's rubric must have a line starting `HIGH (70-100)`, one starting `LOW (0-40)`
    (any numbers 0-100, low <= high; markdown bullets or bold around them are fine) and a line
    starting `Key:`."""
    out: list[Finding] = []
    checks = (("definition-high", _HIGH, "HIGH", "a line 'HIGH (70-100): ...' describing a high score"),
              ("definition-low", _LOW, "LOW", "a line 'LOW (0-40): ...' describing a low score"))
    for code, rx, label, want in checks:
        m = rx.search(text)
        if not m:
            out.append(Finding(path, None, "error", code, f"no {label} range; add {want}"))
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if not (0 <= a <= b <= 100):
            line = text.count("\n", 0, m.start()) + 1
            out.append(Finding(path, line, "error", code,
                               f"{label} range ({a}-{b}) is not a range within 0-100"))
    if not _KEY.search(text):
        out.append(Finding(path, None, "error", "definition-key",
                           "no 'Key:' line; add one saying what separates HIGH from LOW"))
    return out


def _dataset_code(exc: DatasetError) -> str:
    msg = exc.bare
    if "is missing" in msg:
        return "missing-file"
    if "UTF-8" in msg:
        return "encoding"
    if "blank line" in msg:
        return "blank-line"
    if "line ending" in msg or "carriage return" in msg:
        return "newline"
    if "is empty" in msg:
        return "empty-file"
    if "refused" in msg:
        return "file-limits"
    return "unreadable"


def _from_error(exc: DatasetError, fallback: Path, side: str | None,
                code: str | None = None) -> Finding:
    path = str(exc.path) if exc.path is not None else str(fallback)
    return Finding(path, exc.line, "error", code or _dataset_code(exc), exc.bare,
                   side if exc.line else None)


def _lint_steering(path: Path) -> list[Finding]:
    if not path.exists():
        return [Finding(str(path), None, "error", "steering-missing",
                        'is missing; write {"questions": [10 questions]}')]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [Finding(str(path), None, "error", "encoding", "not valid UTF-8")]
    except OSError as exc:
        return [Finding(str(path), None, "error", "unreadable", f"cannot be read ({exc.strerror})")]
    try:
        parse_steering(text, path)
    except DatasetError as exc:
        return [_from_error(exc, path, None, "steering-invalid")]
    return []


# ---------------------------------------------------------------- whole traits

@dataclass(frozen=True)
class TraitReport:
    folder: Path
    findings: list[Finding]
    pairs: int


def lint_trait_report(folder: Path | str) -> TraitReport:
    """lint_trait, plus the number of pairs read (for the summary)."""
    folder = Path(folder)
    out: list[Finding] = []
    sides: dict[str, list[str] | None] = {}
    for name, side in ((POSITIVE, "positive"), (NEGATIVE, "negative")):
        try:
            lf = read_lines(folder / name)
        except DatasetError as exc:
            out.append(_from_error(exc, folder / name, side))
            sides[side] = None
            continue
        sides[side] = lf.lines
        if lf.newline == "\r\n":
            out.append(Finding(str(folder / name), None, "warning", "crlf",
                               "uses CRLF line endings; LF is the convention here"))
    pos, neg = sides["positive"], sides["negative"]
    pos_path, neg_path = str(folder / POSITIVE), str(folder / NEGATIVE)
    if pos is not None and neg is not None:
        out += lint_lines(pos, neg, pos_path, neg_path)
        pairs = min(len(pos), len(neg))
    else:
        for lines, path, side in ((pos, pos_path, "positive"), (neg, neg_path, "negative")):
            if lines is not None:
                out += _lint_side(lines, path, side, [words(s) for s in lines])
        pairs = 0
    if pairs < MIN_PAIRS and pos is not None and neg is not None:
        out.append(Finding(str(folder), None, "warning", "few-pairs",
                           f"{pairs} pair{'s' if pairs != 1 else ''}; the target is {MIN_PAIRS}+ "
                           "clean pairs"))
    try:
        text = read_definition(folder / DEFINITION)
    except DatasetError as exc:
        code = "definition-missing" if "missing" in exc.bare or "empty" in exc.bare else None
        out.append(_from_error(exc, folder / DEFINITION, None, code))
    else:
        out += lint_definition(text, str(folder / DEFINITION))
    out += _lint_steering(folder / STEERING)
    return TraitReport(folder, sort_findings(out), pairs)


def lint_trait(folder: Path | str) -> list[Finding]:
    """Every check on one trait folder: its files (through core.dataset; read errors become
    error findings with file and line), lint_lines, the pair count, definition.txt and
    steering.json."""
    return lint_trait_report(folder).findings


# ---------------------------------------------------------------- command line

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


def lint_main(argv: list[str] | None = None) -> int:
    """`scenarios lint [TRAIT_OR_DIR ...] [--strict]`. Returns the exit status."""
    ap = argparse.ArgumentParser(
        prog="scenarios lint",
        description="Static checks of trait datasets (no model). Findings print as "
                    "file:line: level: message [code].")
    ap.add_argument("paths", nargs="*", metavar="TRAIT_OR_DIR",
                    help="category/trait, a trait folder, or a folder of traits "
                         "(default: every trait under datasets/traits/)")
    ap.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    args = ap.parse_args(argv)

    root = default_datasets_root()
    folders: list[Path] = []
    errors = warnings = 0
    if args.paths:
        for spec in args.paths:
            try:
                folders += _expand(spec, root)
            except DatasetError as exc:
                print(f"{spec}: error: {exc} [no-trait]")
                errors += 1
    else:
        folders = [root / t for t in list_traits(root)]
        if not folders:
            print(f"{root}: error: no traits found (no positive.txt/negative.txt under it) [no-trait]")
            errors += 1

    seen: set[Path] = set()
    pairs = traits = 0
    for folder in folders:
        key = folder.resolve()
        if key in seen:
            continue
        seen.add(key)
        report = lint_trait_report(_display(folder))
        traits += 1
        pairs += report.pairs
        for f in report.findings:
            print(f)
            if f.level == "error":
                errors += 1
            else:
                warnings += 1
    print(f"{traits} trait{'s' if traits != 1 else ''}, {pairs} pair{'s' if pairs != 1 else ''}: "
          f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
    if errors or (args.strict and warnings):
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(lint_main())
