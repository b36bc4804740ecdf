"""The status bar: trait, unsaved mark, pass rates, target, backends, cost; and the message line."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.backend_state import BLOCKING, generator_name, reason

from ..colours import COLOUR_CLASSES, Colour, colour_of
from ..render import short_model

if TYPE_CHECKING:
    from core.config import Config
    from core.session import Session

# A backend state's colour (studio.tcss, tui.colours); idle is drawn faint.
STATE_COLOUR = {"ready": "ok", "loading": "caution", "warming": "caution",
                "not configured": "fail", "error": "fail"}
TARGET_COLOUR = {"ideal": "pass", "meets minimum": "warn"}
LEVEL_COLOUR = {"error": "fail", "warning": "caution", "ok": "ok"}


@dataclass
class BackendView:
    """What the status line says about one backend."""
    label: str
    state: str
    why: str = ""


@dataclass
class StatusInfo:
    generator: BackendView
    judge: BackendView
    running: int = 0                       # items in the current run
    problems_only: bool = False
    extra: dict = field(default_factory=dict)


def rate(n: int, d: int) -> str:
    return f"{(100 * n // d) if d else 0}%"


def status_text(session: "Session", info: StatusInfo, width: int, colour: Colour) -> Text:
    s = session.summary()
    t = Text(no_wrap=True, overflow="ellipsis")
    # line 1: trait, unsaved, filter, cost
    left = Text()
    left.append(session.name, style="bold")
    if session.dirty:
        left.append("  ● unsaved", style=colour("warn"))
    if info.problems_only:
        left.append("  [problems only]", style=colour("mark"))
    if info.running:
        left.append(f"  testing {info.running}…", style=colour("busy"))
    right = vector_badge(session, colour)
    right.append(f"cost ${session.cost_usd:.4f}", style="dim")
    gap = max(1, width - left.cell_len - right.cell_len)
    t.append_text(left)
    t.append(" " * gap)
    t.append_text(right)
    t.append("\n")
    # line 2: pass rates and the target
    t_ = session.thresholds
    t.append("pos ", style="dim")
    t.append(f"{s.positive.passed}/{s.positive.scored} {rate(s.positive.passed, s.positive.scored)}",
             style="bold")
    t.append("  neg ", style="dim")
    t.append(f"{s.negative.passed}/{s.negative.scored} {rate(s.negative.passed, s.negative.scored)}",
             style="bold")
    if session.matched:
        t.append("  pairs ", style="dim")
        t.append(f"{s.pairs_passing}/{s.pairs} {rate(s.pairs_passing, s.pairs)}", style="bold")
        status_style = colour(TARGET_COLOUR.get(s.target_status, "fail"))
        t.append("  goal ", style="dim")
        t.append(f"{s.pairs_passing}/{t_.pairs_target}", style="bold")
        t.append(": ", style="dim")
        t.append(s.target_status, style=status_style)
    else:       # no pairs: each side's pass rate is the whole story
        t.append(f"  unmatched {s.positive.total}/{s.negative.total} lines", style="dim")
    pending = s.positive.pending + s.negative.pending
    if pending and not info.running:        # while a run is going, line 1 says "testing N…"
        t.append(f"  {pending} untested", style="dim")
    t.append("\n")
    t.append_text(backends_line(info.generator, info.judge, width, colour))
    return t


def vector_badge(session: "Session", colour: Colour) -> Text:
    """The vector preview's best layer: held-out accuracy and Cohen's d (core.vectors), or how
    many passing pairs it still needs; nothing while no hidden states were captured."""
    t = Text()
    report = session.shown_vectors()
    if report is None:
        return t
    best = report.best
    t.append("vec ", style="dim")
    if best is None:
        t.append(f"{min(report.used)}/2 pairs", style="dim")
    else:
        d = "-" if best.cohens_d is None else f"{best.cohens_d:.1f}"
        t.append(f"L{best.layer} {best.accuracy:.0%} d {d}", style=colour("vector"))
    t.append("  ")
    return t


def short_why(why: str) -> str:
    """The first clause of a reason: 'ANTHROPIC_API_KEY is not set: the judge...' -> the key part."""
    return why.split(": ", 1)[0].split("; ", 1)[0]


def backends_line(gen: BackendView, judge: BackendView, width: int, colour: Colour) -> Text:
    """Both backends in one line. A backend with a problem keeps its reason visible: the
    most verbose variant that fits is used, the others give up labels first, then detail."""
    views = (gen, judge)
    short_names = ("gen", "judge")
    bad = [bool(b.why) for b in views]

    def variant(full_label_ok: bool, full_label_bad: bool, why_fn) -> list[tuple[str, str, str]]:
        out = []
        for b, short, has_why in zip(views, short_names, bad):
            label = b.label if (full_label_bad if has_why else full_label_ok) else short
            out.append((label, b.state, why_fn(b.why) if has_why else ""))
        return out

    def plain(parts: list[tuple[str, str, str]]) -> str:
        return "  ".join(f"{lab}: {st}" + (f": {why}" if why else "") for lab, st, why in parts)

    candidates = [variant(True, True, lambda w: w), variant(True, True, short_why),
                  variant(False, True, short_why), variant(False, False, short_why)]
    parts = next((c for c in candidates if len(plain(c)) <= width), None)
    two_lines = parts is None          # both have a problem and no one line holds both reasons
    if parts is None:
        parts = variant(False, False, lambda w: w)
    t = Text()
    for i, ((label, state, why), b) in enumerate(zip(parts, views)):
        if i:
            t.append("\n" if two_lines else "  ")
        t.append(f"{label}: ", style="dim")
        name = STATE_COLOUR.get(state)
        t.append(state, style=colour(name) if name else Style(dim=True) if state == "idle" else "")
        if why:
            t.append(f": {why}", style=colour("problem") if state in BLOCKING else Style(dim=True))
    return t


def backend_views(session: "Session", cfg: "Config") -> tuple[BackendView, BackendView]:
    """Generator and judge as core.backend_state has them, labelled for the status line."""
    backends = session.backends
    gen, judge = backends["generator"], backends["judge"]
    gen_label = f"gen {generator_name(backends, cfg.backend)} {short_model(cfg.model)}"
    return (BackendView(gen_label, gen.state, reason(gen)),
            BackendView(f"judge {cfg.judge_model}", judge.state, reason(judge)))


class StatusBar(Widget):
    """Three lines; four when both backends have a problem that one line cannot hold."""

    DEFAULT_CSS = "StatusBar { height: auto; max-height: 4; }"
    COMPONENT_CLASSES = COLOUR_CLASSES

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._text: Optional[Text] = None       # what render shows, built for _text_width
        self._text_width = -1

    def set(self, session: "Session", info: StatusInfo) -> None:
        """Show this state. Repaints only when the text changes (results stream in many times a
        second; most of them leave the three lines as they were)."""
        self._session = session
        self._info = info
        width = self._width()
        lines = 4 if "\n" in backends_line(info.generator, info.judge, width, colour_of(self)).plain else 3
        text = self._build(width)
        same = self._text is not None and width == self._text_width and text == self._text \
            and lines == getattr(self, "_lines", 0)
        self._text, self._text_width = text, width
        if same:
            return
        self.refresh(layout=lines != getattr(self, "_lines", 0))
        self._lines = lines

    def _width(self) -> int:
        return self.content_region.width or self.size.width or 80

    def _build(self, width: int) -> Text:
        out = Text()
        for i, line in enumerate(status_text(self._session, self._info, width, colour_of(self)).split("\n")):
            line.truncate(width, overflow="ellipsis")
            if i:
                out.append("\n")
            out.append_text(line)
        return out

    def render(self) -> Text:
        session: Optional["Session"] = getattr(self, "_session", None)
        if session is None:
            return Text("")
        width = self._width()
        if self._text is None or width != self._text_width:
            self._text, self._text_width = self._build(width), width
        return self._text


class MessageLine(Widget):
    """One line for the latest message: saved, reloaded, conflict, errors."""

    DEFAULT_CSS = "MessageLine { height: 1; }"
    COMPONENT_CLASSES = COLOUR_CLASSES

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._msg = Text("")
        self.level = "info"

    def say(self, message: str, level: str = "info") -> None:
        self.level = level
        name = LEVEL_COLOUR.get(level)
        style = colour_of(self)(name) if name else ""
        self._msg = Text(message, style=style, no_wrap=True, overflow="ellipsis")
        self.refresh()

    @property
    def message(self) -> str:
        return self._msg.plain

    def render(self) -> Text:
        return self._msg
