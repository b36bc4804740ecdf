"""The readable end-of-run summary of `scenarios test` (rich, to stdout)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .config import Config

TAIL = 46


def printable(text: str) -> str:
    """Control characters (an ESC from a model's completion) shown as symbols, never sent to the terminal."""
    return "".join(chr(0x2400 + ord(c)) if ord(c) < 32 else "\u2421" if ord(c) == 127
                   else "\ufffd" if 0x80 <= ord(c) < 0xA0 else c for c in text)


def tail(text: str, width: int = TAIL) -> str:
    """The END of a scenario: the lock-in matters most, so truncate at the start."""
    text = printable(" ".join(text.split()))
    return text if len(text) <= width else "…" + text[-(width - 1):]


def head(text: str | None, width: int = 34) -> str:
    if text is None:
        return ""
    text = printable(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def print_summary(payload: dict[str, Any], path: Path, cfg: Config, console: Console | None = None,
                  limit: int = 15) -> None:
    console = console or Console(highlight=False)
    s = payload["summary"]
    table = Table(title=Text(f"{payload['config']['trait']}  ·  {cfg.model}  ·  judge {cfg.judge_model}"),
                  show_edge=False, title_justify="left")
    for col in ("side", "passed", "scored", "rate", "ambiguous", "errors", "pending"):
        table.add_column(col, justify="right" if col != "side" else "left")
    for side in ("positive", "negative"):
        ss = s[side]
        scored = ss["passed"] + ss["failed"]
        if ss["total"] == 0:        # a one-sided run: this side was not given
            table.add_row(side, "-", "-", "-", "-", "-", "-")
            continue
        table.add_row(side, str(ss["passed"]), str(scored), f"{ss['pass_rate']:.0%}",
                      str(ss["ambiguous"]), str(ss["errors"]), str(ss["pending"]))
    console.print(table)
    pr = s["pairs"]
    if pr is None and not (s["positive"]["total"] and s["negative"]["total"]):
        console.print("one side tested alone (no pair verdicts)")
    elif pr is None:
        console.print("unmatched dataset: each side is scored on its own (no pair verdicts, no pair target)")
    else:
        _print_pairs(console, s)
    if payload.get("vectors") is not None:
        _print_vectors(console, payload)

    def rows(pred: Any) -> list[tuple[str, dict[str, Any]]]:
        return [(side, r) for side in ("positive", "negative") for r in payload[side] if pred(r)]

    sections = [
        ("failures", lambda r: r["verdict"] == "fail", "red"),
        ("ambiguous (40-60)", lambda r: r["verdict"] == "ambiguous", "yellow"),
        ("errors", lambda r: r["verdict"] == "error", "magenta"),
    ]
    for title, pred, style in sections:
        found = rows(pred)
        if not found:
            continue
        console.print(Text(f"\n{title} ({len(found)})", style=f"bold {style}"))
        for side, r in found[:limit]:
            score = "err" if r["score"] is None else str(r["score"])
            detail = r["error"] if r["verdict"] == "error" else head(r["response"])
            # Scenarios and completions are data: never parsed as rich markup ("[/]" would crash it).
            console.print(f"  {side[:3]} {r['line']:>3}  {score:>3}  {tail(r['scenario'])}  → {detail}",
                          markup=False)
        if len(found) > limit:
            console.print(f"  … and {len(found) - limit} more (see results.json)")
    identical = [p for p in payload["pairs"] or () if p["identical"]]
    if identical:
        console.print(Text(f"\nidentical completions ({len(identical)})", style="bold cyan"))
        for p in identical[:limit]:
            r = payload["positive"][p["idx"]]
            console.print(f"  pair {p['idx'] + 1:>3}  {' '.join(r['first_tokens'])!r}", markup=False)
    run = payload.get("run", {})
    cost = run.get("cost_usd", 0.0)
    console.print(f"\n{run.get('generations', 0)} generations, {run.get('judge_calls', 0)} judge calls, "
                  f"est. ${cost:.4f}, {run.get('elapsed_s', 0):.1f}s  →  {path}", markup=False)


def _print_pairs(console: Console, s: dict[str, Any]) -> None:
    pr = s["pairs"]
    status = s["target"]["status"]
    colour = {"ideal": "green", "meets minimum": "yellow"}.get(status, "red")
    console.print(Text.assemble(
        "pairs passing both sides: ", (f"{pr['passing']}/{pr['total']}", "bold"),
        f" ({pr['pass_rate']:.0%} of scored)  target {s['target']['pairs']}+ at "
        f"{s['target']['minimum_rate']:.0%} min, {s['target']['ideal_rate']:.0%} ideal: ",
        (status, f"bold {colour}"),
        f"   mismatched {pr['mismatched']}, identical {pr['identical']}"))


def _print_vectors(console: Console, payload: dict[str, Any]) -> None:
    """The vector preview: one line per layer (held-out accuracy, Cohen's d), the best layer,
    and the lines that project the wrong way on its vector."""
    from .vectors import on_its_side
    v = payload["vectors"]
    used = v["used"]
    console.print(Text.assemble(("\nvector preview", "bold"),
                                f" ({v['position']}, from {used['positive']} positive and "
                                f"{used['negative']} negative passing lines)"))
    if not v["layers"]:
        console.print(f"  {v['note']}", markup=False)
        return
    table = Table(show_edge=False, box=None, padding=(0, 2))
    for col in ("layer", "accuracy", "d"):
        table.add_column(col, justify="right")
    table.add_column("")
    for layer, st in v["layers"].items():
        d = "-" if st["cohens_d"] is None else f"{st['cohens_d']:.2f}"
        table.add_row(layer, f"{st['accuracy']:.1%}", d,
                      Text("← best", style="bold") if int(layer) == v["best_layer"] else "")
    console.print(table)
    best = v["layers"][str(v["best_layer"])]
    wrong = [(side, r) for side in ("positive", "negative") for r in payload[side]
             if r["projection"] is not None and not on_its_side(side, r["projection"])]
    d = "-" if best["cohens_d"] is None else f"{best['cohens_d']:.2f}"
    console.print(f"best layer {v['best_layer']}: {best['accuracy']:.1%} held-out accuracy, d {d}; "
                  f"{len(wrong)} line{'s' * (len(wrong) != 1)} project{'s' * (len(wrong) == 1)} the wrong way", markup=False)
    for side, r in wrong[:5]:
        console.print(f"  {side[:3]} {r['line']:>3}  {r['projection']:+.2f}  {tail(r['scenario'])}", markup=False)
    if len(wrong) > 5:
        console.print(f"  … and {len(wrong) - 5} more (see results.json)")
