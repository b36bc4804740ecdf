"""Hidden states captured during the one greedy generation, for the vector preview.

The trait vector is the positive completions' residual stream minus the negative ones'. Its
inputs come from the same forward passes that produce the completions: `ResponseTap` puts a
forward hook on each chosen decoder layer while `core.generation.greedy_batch` decodes a batch,
and adds up the hidden state of every response token in the window (the first k response
tokens, or all of them; fewer when the completion is shorter, none after EOS) as that token is
fed back in. The hooks only read, so completions are token-identical with capture on and off.
Layer L is the residual stream after L decoder layers (the output of decoder layer L, 1-based;
before the final norm).

`capture_settings(cfg)` is the one owner of whether and how to capture; its `identity()` goes
into the activations' cache key next to the completion key. torch is imported by the caller
(generation); numpy only where arrays are made.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    import numpy as np

    from .config import Config

CAPTURE_VERSION = "residual-v1"   # bump when what a captured vector means changes
DEFAULT_FIRST_K = 5
DEFAULT_LAYER_COUNT = 5


class CaptureError(ValueError):
    """The capture cannot run on this model (a layer it lacks, layers it does not expose):
    every call would fail the same way, so backends report it as a setup problem."""


class Position(StrEnum):
    """Which response tokens' hidden states are averaged."""
    FIRST_K = "first-k"
    ALL = "all"


@dataclass(frozen=True)
class CaptureSettings:
    layers: Optional[tuple[int, ...]] = None   # None: DEFAULT_LAYER_COUNT over the middle
    position: Position = Position.FIRST_K
    first_k: int = DEFAULT_FIRST_K

    def in_window(self, t: int) -> bool:
        """Whether response token t (0-based) is averaged."""
        return self.position == Position.ALL or t < self.first_k

    @property
    def label(self) -> str:
        """The position as the extraction ecosystem writes it: response[:5], or response."""
        return f"response[:{self.first_k}]" if self.position == Position.FIRST_K else "response"

    def identity(self) -> dict[str, Any]:
        """What changes a captured vector, beyond the completion key (model, settings)."""
        return {"capture": CAPTURE_VERSION, "layers": list(self.layers) if self.layers else "default",
                "position": self.label}

    def to_wire(self) -> dict[str, Any]:
        """Plain values for the Modal call (its client must not need this module's classes)."""
        return {"layers": list(self.layers) if self.layers else None, "position": str(self.position),
                "first_k": self.first_k}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> "CaptureSettings":
        layers = wire.get("layers")
        return cls(tuple(int(x) for x in layers) if layers else None, Position(wire["position"]),
                   int(wire["first_k"]))


def capture_settings(cfg: "Config") -> Optional[CaptureSettings]:
    """The capture this config asks for; None when vectors are off."""
    if not cfg.vectors:
        return None
    return CaptureSettings(cfg.vector_layers or None, Position(cfg.vector_position), cfg.vector_first_k)


@dataclass(frozen=True)
class Activations:
    """One line's averaged hidden states: `layers` x `dim` float16, row-major, as bytes (compact
    on the wire and in the cache, and comparable with ==). `dim` 0: the completion had no
    response token in the window (it began with EOS), so there is nothing to average."""
    layers: tuple[int, ...]
    position: str
    dim: int
    data: bytes

    @property
    def empty(self) -> bool:
        return self.dim == 0

    @functools.cached_property
    def _floats(self) -> "np.ndarray":
        import numpy as np
        arr = np.frombuffer(self.data, dtype=np.float16).reshape(len(self.layers), self.dim).astype(np.float32)
        arr.flags.writeable = False
        return arr

    def array(self) -> "np.ndarray":
        """float32, layers x dim, read-only. Converted once per object: float16 conversion is
        slow on CPUs without F16C, and the editor asks again after every change."""
        return self._floats

    def layer(self, layer: int) -> "np.ndarray":
        return self.array()[self.layers.index(layer)]

    @classmethod
    def from_array(cls, layers: Sequence[int], position: str, arr: "np.ndarray") -> "Activations":
        import numpy as np
        a = np.ascontiguousarray(arr, dtype=np.float16)
        if a.shape[0] != len(layers):
            raise ValueError(f"{a.shape[0]} rows for {len(layers)} layers")
        return cls(tuple(int(x) for x in layers), position, int(a.shape[1]), a.tobytes())

    @classmethod
    def none(cls, layers: Sequence[int], position: str) -> "Activations":
        return cls(tuple(int(x) for x in layers), position, 0, b"")

    def to_wire(self) -> dict[str, Any]:
        return {"layers": list(self.layers), "position": self.position, "dim": self.dim, "data": self.data}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> "Activations":
        return cls(tuple(int(x) for x in wire["layers"]), str(wire["position"]), int(wire["dim"]),
                   bytes(wire["data"]))


def default_layers(n_layers: int, count: int = DEFAULT_LAYER_COUNT) -> tuple[int, ...]:
    """`count` layers spread evenly over the middle half of the network (Llama-3.1-8B's 32:
    8, 12, 16, 20, 24), where trait directions are usually cleanest."""
    lo, hi = max(1, round(n_layers / 4)), max(1, round(3 * n_layers / 4))
    if count <= 1 or hi == lo:
        return (max(1, round(n_layers / 2)),)
    return tuple(sorted({lo + round(i * (hi - lo) / (count - 1)) for i in range(count)}))


def decoder_layers(model: Any) -> Any:
    """The model's list of decoder layers (Llama, Mistral, Qwen, Gemma: model.model.layers)."""
    decoder = model.get_decoder() if hasattr(model, "get_decoder") else getattr(model, "model", None)
    layers = getattr(decoder, "layers", None)
    if layers is None:
        raise CaptureError(f"cannot find the decoder layers of {type(model).__name__} to capture vectors; "
                         "run with --no-vectors")
    return layers


def resolve_layers(settings: CaptureSettings, n_layers: int) -> tuple[int, ...]:
    """The settings' layers for a model of `n_layers` layers; a layer it lacks is an error."""
    if settings.layers is None:
        return default_layers(n_layers)
    bad = [x for x in settings.layers if not 1 <= x <= n_layers]
    if bad:
        raise CaptureError(f"vector layers {bad} are outside this model's 1-{n_layers}: "
                         "change --layers or [vectors] layers in scenarios.toml")
    return tuple(sorted(set(settings.layers)))


class ResponseTap:
    """Sums each hooked layer's last-position hidden state over a batch's response tokens.

    `greedy_batch` calls `feed(t, valid)` before each forward pass that feeds response token t
    (`valid`: rows whose token t is a response token, i.e. not EOS and not after one), and
    `feed(None, None)` before the prefill, which is not averaged. Weights stay on the device:
    capture adds no host synchronisation to the decode loop; `collect()` makes the one copy."""

    def __init__(self, model: Any, settings: CaptureSettings, layers: tuple[int, ...]):
        self.settings = settings
        self.layers = layers
        self._modules = [decoder_layers(model)[x - 1] for x in layers]
        self._sums: list[Any] = [None] * len(layers)
        self._count: Any = None
        self._weight: Any = None
        self._handles: list[Any] = []

    def wants(self, t: int) -> bool:
        return self.settings.in_window(t)

    def feed(self, t: Optional[int], valid: Any) -> None:
        if t is None or not self.wants(t):
            self._weight = None
            return
        w = valid.float()
        self._weight = w
        self._count = w.clone() if self._count is None else self._count + w

    def _hook(self, slot: int) -> Any:
        def hook(module: Any, args: Any, output: Any) -> None:
            if self._weight is None:
                return
            h = output[0] if isinstance(output, tuple) else output
            add = h[:, -1, :].float() * self._weight.to(h.device)[:, None]
            self._sums[slot] = add if self._sums[slot] is None else self._sums[slot] + add
        return hook

    def __enter__(self) -> "ResponseTap":
        self._handles = [m.register_forward_hook(self._hook(i)) for i, m in enumerate(self._modules)]
        return self

    def __exit__(self, *exc: Any) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def collect(self, rows: int) -> list[Activations]:
        """Each row's mean over its window, as float16 Activations (rows with no response
        token in the window get an empty one)."""
        import torch
        label = self.settings.label
        if self._count is None or any(s is None for s in self._sums):
            return [Activations.none(self.layers, label) for _ in range(rows)]
        count = self._count.to(self._sums[0].device)
        means = torch.stack(self._sums, dim=1) / count.clamp(min=1)[:, None, None]
        host = means.to(torch.float16).cpu().numpy()
        has = (count > 0).cpu().tolist()
        return [Activations.from_array(self.layers, label, host[r]) if has[r]
                else Activations.none(self.layers, label) for r in range(rows)]
