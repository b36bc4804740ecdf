"""Text heuristics of lint: words, sentence ends, quotes, voice, word 3-grams. Pure functions
of one line's text, memoised by text (the editor re-lints after every edit, and almost every line
is one it linted a moment ago).
"""
from __future__ import annotations

import re
from functools import lru_cache

from .dataset_pairing import words

LOCK_IN_WORDS = 3               # an ending pattern is the last three words
SHINGLE = 3                     # near duplicates compare word 3-grams

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

_RAW_WORD = re.compile(r"[A-Za-z0-9']+")
_CLOSERS = "\"\u201d'\u2019)"


def ending_pattern(line: str) -> str:
    """The lock-in signature of a scenario: its last three words, lowercased, punctuation and
    quotes dropped: `... so I nodded and said "` -> `nodded and said`."""
    return " ".join(words(line)[-LOCK_IN_WORDS:])


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


def shingles(ws: list[str]) -> frozenset:
    if len(ws) < SHINGLE:
        return frozenset([tuple(ws)]) if ws else frozenset()
    return frozenset(tuple(ws[i:i + SHINGLE]) for i in range(len(ws) - SHINGLE + 1))


def lines_list(nums: list[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, nums[:limit]))
    return shown + (f", ... ({len(nums) - limit} more)" if len(nums) > limit else "")


# ---------------------------------------------------------------- per-line memo
# The editor re-lints its buffers after every cut, undo and edit, and almost every line is one
# it linted a moment ago. Every per-line check is a pure function of the line's text, so its
# result is kept by text (bounded caches); the checks that look across lines (duplicates, near
# duplicates, lock-in groups) still run on every call, over these memoised facts.
_MEMO = 1 << 15


@lru_cache(maxsize=_MEMO)
def line_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


@lru_cache(maxsize=_MEMO)
def line_flags(text: str) -> tuple[bool, bool]:
    """(closed ending, third-person ending) of a non-blank line."""
    return is_closed_ending(text), third_person_ending(text)


@lru_cache(maxsize=_MEMO)
def line_shingles(text: str) -> frozenset:
    return shingles(list(line_words(text)))


