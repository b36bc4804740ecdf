"""Text helpers shared by the widgets: safe display of model output, truncation by cell width."""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Sequence

from rich.cells import cell_len
from rich.text import Text

from core.verdicts import first_pieces

ELLIPSIS = "…"
NEWLINE_MARK = "⏎"

@lru_cache(maxsize=8192)   # pure; the table redraws the same cells many times
def clean(text: str) -> str:
    """Model output is untrusted: control characters would move the terminal's cursor.
    Newlines become ⏎, tabs a space, other control/format characters the replacement mark."""
    out = []
    for ch in text:
        if ch == "\n" or ch == "\r":
            out.append(NEWLINE_MARK)
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != "\u200d":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def clean_multiline(text: str) -> str:
    """Like clean() but keeps real line breaks (for the detail panel), marked with ⏎."""
    parts = text.replace("\r\n", "\n").split("\n")
    return (NEWLINE_MARK + "\n").join(clean(p) for p in parts)


def _fit(text: str, width: int, keep_end: bool) -> str:
    """`text` in `width` cells, padded; when too long, cut with an ellipsis at the start
    (keep_end) or at the end."""
    if width <= 0:
        return ""
    text = clean(text)
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    out: list[str] = []
    used = 1
    for ch in (reversed(text) if keep_end else text):
        w = cell_len(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    s = ELLIPSIS + "".join(reversed(out)) if keep_end else "".join(out) + ELLIPSIS
    return s + " " * (width - cell_len(s))


@lru_cache(maxsize=8192)   # pure; the table redraws the same cells many times
def fit_end(text: str, width: int) -> str:
    """The END of `text` in `width` cells, truncated at the start with an ellipsis, padded."""
    return _fit(text, width, keep_end=True)


@lru_cache(maxsize=8192)
def fit_start(text: str, width: int) -> str:
    """The START of `text` in `width` cells, truncated at the end with an ellipsis, padded."""
    return _fit(text, width, keep_end=False)


def completion_text(tokens: Sequence[str], completion: str | None, n: int = 5) -> Text:
    """The whole completion with its first n tokens set apart (reverse video, boundaries marked)."""
    t = Text()
    if completion is None:
        return t
    if not completion:
        t.append("(empty completion)", style="dim italic")
        return t
    head = first_pieces(tokens, completion, n)
    if not completion.startswith("".join(head)):     # pieces that do not spell it: its words
        head = first_pieces((), completion, n)
    rest = completion[len("".join(head)):]
    for i, piece in enumerate(head):
        if i:
            t.append("│", style="dim")
        t.append(clean(piece) or "∅", style="bold reverse")
    if rest:
        t.append(" ┃ ", style="dim")
        t.append(clean_multiline(rest))
    return t


def score_cell(score: int | None, verdict: str, inflight: bool) -> str:
    """Three cells: the score, ERR, … while being tested, · when not tested."""
    if verdict == "error":
        return "ERR"
    if score is None:
        return "  …" if inflight else "  ·"
    return f"{score:>3}"


def predicted_cell(score: int) -> str:
    """Three cells for a vet prediction: ~NN (100 has no room for the tilde; its style alone
    sets it apart from a measured score)."""
    return f"~{score}".rjust(3) if score < 100 else "100"


def short_model(model: str) -> str:
    """A model id or path, short enough for the status line: its last component."""
    return model.rstrip("/").rsplit("/", 1)[-1] or model
