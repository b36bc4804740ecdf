"""The co-writer's prompts and tool schemas (core.cowriter sends them, through the judge's client).

PROMPT_VERSION is part of every cached prediction's key: change it whenever a prompt or a schema
here changes meaning, and no prediction made with the old wording is shown as if it were new.
Requests carry only the trait's own files and results: its name, definition.txt, the lines in
question, their completions and scores, and the endings and setup words the dataset over-uses.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any, Sequence

PROMPT_VERSION = "cowriter-v1"
VET_TOOL = "record_prediction"
PROPOSE_TOOL = "record_proposals"
SUGGEST_TOOL = "record_suggestion"



class Diagnosis(StrEnum):
    """Why a pair fails, in the plan's terms (docs/trait_dataset_creation_agent.md, Step 4 and
    section 7): the only values the suggest tool's schema allows."""
    WRONG_DIRECTION = "wrong direction"
    IDENTICAL_OUTPUTS = "identical outputs"
    AMBIGUOUS = "ambiguous"
    DRIFT = "drift"
    EXPLAINS = "explains instead of expresses"

METHOD = """How these datasets work:
- A scenario is the opening of a first-person text. A base model (Llama-3.1-8B, greedy, about 32 tokens) continues it, and a judge that sees ONLY the continuation scores it 0-100 on the rubric (HIGH = the trait is shown).
- A matched pair shares one setup and differs only in the motivation and the lock-in: the positive line should make the continuation show the trait, the negative line its absence or opposite.
- Scenarios end on a cliffhanger (an opened quote, an act begun, an opened thought) so that the decision lands in the continuation. If the decision is already made in the prefix, the continuation can only explain it and the judge sees no trait.
- Lock-in types: speech (an opened quote), mid-claim (cut inside the quote), action, thought, physical gesture, written (email, note, form), deflection."""


def _rubric(trait: str, definition: str) -> str:
    return f"Trait: {trait}\n\nRubric (definition.txt):\n{definition.strip()}\n"


VET_SYSTEM = f"""You pre-screen scenarios for a research dataset before they are tested on a model.

{METHOD}

You read one scenario (not a continuation) and predict the judge's score of the base model's continuation: 0-100 on the rubric, where high means the continuation shows the trait. A good positive line gets a high prediction, a good negative line a low one. Give a one-line reason naming what decides it (for example "the decision is already made in the prefix; the completion can only explain it"). Answer by calling {VET_TOOL}."""

VET_TOOL_SPEC: dict[str, Any] = {
    "name": VET_TOOL,
    "description": "Record the predicted judge score of the continuation and why.",
    "input_schema": {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 0, "maximum": 100,
                      "description": "predicted judge score of the continuation on the rubric"},
            "reason": {"type": "string", "description": "one line: what decides the prediction"},
        },
        "required": ["score", "reason"],
    },
}


def vet_messages(trait: str, definition: str, side: str, scenario: str) -> tuple[str, list[dict[str, Any]]]:
    want = ("show the trait (a high score)" if side == "positive"
            else "show its absence or opposite (a low score)")
    text = (f"{_rubric(trait, definition)}\nThis is a {side} line: it should make the "
            f"continuation {want}.\n<scenario>\n{scenario}\n</scenario>\n\n"
            f"Predict the judge's score of the continuation. Call {VET_TOOL}.")
    return VET_SYSTEM, [{"role": "user", "content": text}]


PROPOSE_SYSTEM = f"""You help write matched scenario pairs for a research dataset.

{METHOD}

Given one pair that works, write new matched pairs that keep what makes it work (the same trait contrast, a shared setup, a lock-in that forces the decision into the continuation, first person) and vary what the plan says to vary: the domain (work, medical, legal, academic, social, technical, creative, family, trades...), the stakes (from a board-game rule to a pediatric overdose), the listener, and the lock-in type. Each line is one line of text (no line breaks). Avoid the endings and setup words the dataset already over-uses, and never repeat a pair you are told was rejected. Answer by calling {PROPOSE_TOOL}."""


def propose_tool_spec(n: int) -> dict[str, Any]:
    return {
        "name": PROPOSE_TOOL,
        "description": f"Record exactly {n} new matched pairs.",
        "input_schema": {
            "type": "object",
            "properties": {
                "pairs": {
                    "type": "array", "minItems": n, "maxItems": n,
                    "items": {
                        "type": "object",
                        "properties": {
                            "positive": {"type": "string", "description": "the positive line"},
                            "negative": {"type": "string", "description": "the negative line"},
                            "varied": {"type": "string",
                                       "description": "a few words: what this pair varies"},
                        },
                        "required": ["positive", "negative", "varied"],
                    },
                },
            },
            "required": ["pairs"],
        },
    }


def _results(label: str, completion: str | None, score: int | None) -> str:
    if completion is None:
        return f"{label}: not tested yet\n"
    scored = f"score {score}" if score is not None else "not scored"
    return f"{label} ({scored}):\n<continuation>\n{completion}\n</continuation>\n"


def propose_messages(trait: str, definition: str, positive: str, negative: str, n: int,
                     endings: Sequence[tuple[str, int]], words: Sequence[tuple[str, int]],
                     rejected: Sequence[tuple[str, str]]) -> tuple[str, list[dict[str, Any]]]:
    parts = [_rubric(trait, definition),
             f"The pair that works:\n<positive>\n{positive}\n</positive>\n"
             f"<negative>\n{negative}\n</negative>\n"]
    if endings:
        parts.append("Endings the dataset already over-uses (last words, lines): "
                     + "; ".join(f'"{p}" ({c})' for p, c in endings) + "\n")
    if words:
        parts.append("Setup words the dataset already over-uses (pairs): "
                     + ", ".join(f"{w} ({c})" for w, c in words) + "\n")
    if rejected:
        parts.append("Rejected before; do not propose these again:\n"
                     + "\n".join(f"- {p} || {q}" for p, q in rejected) + "\n")
    parts.append(f"Write {n} new matched pairs. Call {PROPOSE_TOOL}.")
    return PROPOSE_SYSTEM, [{"role": "user", "content": "\n".join(parts)}]


SUGGEST_SYSTEM = f"""You diagnose failing scenario pairs for a research dataset and rewrite them.

{METHOD}

The diagnoses, in the plan's terms:
- wrong direction: a line's continuation shows the opposite of what its side wants; strengthen the lock-in or state the motive plainly.
- identical outputs: both lines get the same continuation; differentiate the lock-ins so each side points its own way.
- ambiguous: a score of 40-60, the continuation is mixed or shows neither; revise so the first sentence commits.
- drift: the continuation follows another thread; simplify to one fact, one motive, one listener, a short lock-in.
- explains instead of expresses: the scenario already made the decision and the continuation only explains it; move the cut to before the committing words.
Pick the one diagnosis that fits best, explain it in one or two sentences using the continuations, and rewrite the pair (one line each, same setup on both sides). Answer by calling {SUGGEST_TOOL}."""

SUGGEST_TOOL_SPEC: dict[str, Any] = {
    "name": SUGGEST_TOOL,
    "description": "Record the diagnosis and the rewritten pair.",
    "input_schema": {
        "type": "object",
        "properties": {
            "diagnosis": {"type": "string", "enum": [d.value for d in Diagnosis]},
            "explanation": {"type": "string", "description": "one or two sentences"},
            "positive": {"type": "string", "description": "the rewritten positive line"},
            "negative": {"type": "string", "description": "the rewritten negative line"},
        },
        "required": ["diagnosis", "explanation", "positive", "negative"],
    },
}


def suggest_messages(trait: str, definition: str, positive: str, negative: str,
                     results: Sequence[tuple[str | None, int | None, str]],
                     problems: Sequence[str]) -> tuple[str, list[dict[str, Any]]]:
    """`results`: (completion, score, verdict) of the positive then the negative line."""
    (pc, ps, pv), (nc, ns, nv) = results
    text = (f"{_rubric(trait, definition)}\nThe pair:\n<positive>\n{positive}\n</positive>\n"
            f"<negative>\n{negative}\n</negative>\n\n"
            + _results(f"Positive continuation, verdict {pv}", pc, ps)
            + _results(f"Negative continuation, verdict {nv}", nc, ns)
            + (f"\nThe editor flags: {', '.join(problems)}.\n" if problems else "")
            + f"\nDiagnose the pair and rewrite it. Call {SUGGEST_TOOL}.")
    return SUGGEST_SYSTEM, [{"role": "user", "content": text}]
