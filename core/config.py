"""scenarios.toml: model, backend, judge, thresholds, cache. CLI flags override it.

Looked up in this order: --config PATH, ./scenarios.toml, the user config dir
(e.g. ~/.config/scenario-studio/scenarios.toml). Every key is optional.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from platformdirs import user_cache_dir, user_config_dir

from .activations import Position
from .batching import RETEST_BATCHES, RetestBatches
from .dataset_pairing import PAIRINGS, Pairing
from .verdicts import Thresholds

APP_NAME = "scenario-studio"
DEFAULT_MODEL = "meta-llama/Llama-3.1-8B"
DEFAULT_JUDGE = "claude-haiku-4-5"
DEFAULT_MODAL_APP = "scenario-studio"


VECTOR_POSITIONS = tuple(str(p) for p in Position)


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    model: str = DEFAULT_MODEL
    backend: str = "local"          # "local" or "modal" (--modal, as in the plan's command)
    max_new_tokens: int = 32
    temperature: float = 0.0
    chat_template: bool = False     # base models get the raw prompt
    device: str = "auto"            # local backend: auto / cuda / mps / cpu
    batch_size: int = 64            # prompts decoded together
    retest_batches: RetestBatches = "auto"  # "full-run", "alone" or "auto" (core.batching)
    cpu_threads: int = 0            # local backend: torch's intra-op threads (0: torch's default)
    modal_app: str = os.environ.get("SCENARIOS_MODAL_APP", DEFAULT_MODAL_APP)
    modal_gpu: str = ""             # empty: the GPU the app was deployed with
    judge_model: str = DEFAULT_JUDGE
    judge_sees_scenario: bool = False
    judge_concurrency: int = 16
    judge_max_retries: int = 4
    judge_timeout_s: float = 60.0
    positive_threshold: int = 60
    negative_threshold: int = 40
    ambiguous_low: int = 40
    ambiguous_high: int = 60
    pairs_target: int = 50
    minimum_rate: float = 0.70
    ideal_rate: float = 0.90
    cache_path: str = ""            # empty: the user cache dir
    pairing: Pairing = "auto"       # datasets: "auto" (detect), "matched" or "unmatched"
    vectors: bool = True            # capture hidden states for the vector preview (core.activations)
    vector_layers: tuple[int, ...] = ()   # empty: five layers over the middle of the network
    vector_position: str = "first-k"      # "first-k" (the first vector_first_k response tokens) or "all"
    vector_first_k: int = 5
    source: str = "defaults"

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(positive=self.positive_threshold, negative=self.negative_threshold,
                          ambiguous_low=self.ambiguous_low, ambiguous_high=self.ambiguous_high,
                          pairs_target=self.pairs_target, minimum_rate=self.minimum_rate,
                          ideal_rate=self.ideal_rate)

    def resolved_cache_path(self) -> Path:
        if self.cache_path:
            return Path(self.cache_path).expanduser()
        # platformdirs honours XDG_CACHE_HOME on Linux.
        return Path(user_cache_dir(APP_NAME)) / "cache.sqlite3"

    def with_overrides(self, **kw: Any) -> "Config":
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in kw.items() if k in known and v is not None})


# toml table.key -> Config field
_KEYS = {
    ("model", "id"): "model", ("model", "backend"): "backend",
    ("model", "max_new_tokens"): "max_new_tokens", ("model", "temperature"): "temperature",
    ("model", "chat_template"): "chat_template", ("model", "device"): "device",
    ("model", "batch_size"): "batch_size", ("model", "retest_batches"): "retest_batches",
    ("model", "cpu_threads"): "cpu_threads",
    ("modal", "app"): "modal_app", ("modal", "gpu"): "modal_gpu",
    ("judge", "model"): "judge_model", ("judge", "include_scenario"): "judge_sees_scenario",
    ("judge", "concurrency"): "judge_concurrency", ("judge", "max_retries"): "judge_max_retries",
    ("judge", "timeout_s"): "judge_timeout_s",
    ("thresholds", "positive"): "positive_threshold", ("thresholds", "negative"): "negative_threshold",
    ("thresholds", "ambiguous_low"): "ambiguous_low", ("thresholds", "ambiguous_high"): "ambiguous_high",
    ("targets", "pairs"): "pairs_target", ("targets", "minimum_rate"): "minimum_rate",
    ("targets", "ideal_rate"): "ideal_rate",
    ("cache", "path"): "cache_path",
    ("dataset", "pairing"): "pairing",
    ("vectors", "enabled"): "vectors", ("vectors", "layers"): "vector_layers",
    ("vectors", "position"): "vector_position", ("vectors", "first_k"): "vector_first_k",
}


def config_candidates() -> list[Path]:
    return [Path.cwd() / "scenarios.toml", Path(user_config_dir(APP_NAME)) / "scenarios.toml"]


def parse_config(text: str, source: str = "scenarios.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    values: dict[str, Any] = {}
    types = {f.name: f.type for f in fields(Config)}
    for table, entries in data.items():
        if not isinstance(entries, dict):
            raise ConfigError(f"{source}: top-level key '{table}' must be a table like [model]")
        for key, value in entries.items():
            name = _KEYS.get((table, key))
            if name is None:
                known = ", ".join(sorted(f"{t}.{k}" for t, k in _KEYS))
                raise ConfigError(f"{source}: unknown setting {table}.{key} (known: {known})")
            values[name] = _coerce(value, types[name], f"{source}: {table}.{key}")
    cfg = Config(source=source, **values)
    validate(cfg, source)
    return cfg


def _coerce(value: Any, typ: Any, where: str) -> Any:
    typ = str(typ)
    if typ == "tuple[int, ...]":
        if not isinstance(value, list) or any(isinstance(x, bool) or not isinstance(x, int) for x in value):
            raise ConfigError(f"{where} must be a list of integers, like [8, 12, 16]")
        return tuple(value)
    if typ == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if typ == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer")
        return value
    if typ == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string")
    return value


def validate(cfg: Config, source: str = "config") -> None:
    if cfg.backend not in ("modal", "local"):
        raise ConfigError(f"{source}: backend must be 'modal' or 'local', not '{cfg.backend}'")
    if not 0 <= cfg.negative_threshold <= 100 or not 0 <= cfg.positive_threshold <= 100:
        raise ConfigError(f"{source}: thresholds must be between 0 and 100")
    if cfg.max_new_tokens < 1:
        raise ConfigError(f"{source}: max_new_tokens must be at least 1")
    if cfg.judge_concurrency < 1:
        raise ConfigError(f"{source}: judge concurrency must be at least 1")
    if cfg.temperature < 0:
        raise ConfigError(f"{source}: temperature must be >= 0")
    if not 0 <= cfg.ambiguous_low <= cfg.ambiguous_high <= 100:
        raise ConfigError(f"{source}: the ambiguous band needs 0 <= ambiguous_low <= ambiguous_high <= 100")
    if not 0 <= cfg.minimum_rate <= cfg.ideal_rate <= 1:
        raise ConfigError(f"{source}: target rates need 0 <= minimum_rate <= ideal_rate <= 1")
    if cfg.pairs_target < 1 or cfg.batch_size < 1:
        raise ConfigError(f"{source}: targets.pairs and model.batch_size must be at least 1")
    if cfg.retest_batches not in RETEST_BATCHES:
        raise ConfigError(f"{source}: model.retest_batches must be one of {', '.join(RETEST_BATCHES)}, "
                          f"not '{cfg.retest_batches}'")
    if cfg.cpu_threads < 0:
        raise ConfigError(f"{source}: model.cpu_threads must be 0 (torch's default) or more")
    if cfg.pairing not in PAIRINGS:
        raise ConfigError(f"{source}: dataset pairing must be one of {', '.join(PAIRINGS)}, "
                          f"not '{cfg.pairing}'")
    if cfg.vector_position not in VECTOR_POSITIONS:
        raise ConfigError(f"{source}: vectors position must be one of {', '.join(VECTOR_POSITIONS)}, "
                          f"not '{cfg.vector_position}'")
    if cfg.vector_first_k < 1 or any(layer < 1 for layer in cfg.vector_layers):
        raise ConfigError(f"{source}: vectors first_k and every vector layer must be at least 1")
    if cfg.judge_timeout_s <= 0 or cfg.judge_max_retries < 0:
        raise ConfigError(f"{source}: judge timeout_s must be > 0 and max_retries >= 0")
    if cfg.backend == "modal" and looks_like_local_model(cfg.model):
        # The container downloads from the hub; it cannot see this machine's folders.
        raise ConfigError(f"{source}: model {cfg.model!r} is a local folder, which a Modal container "
                          "cannot read: give a Hugging Face hub id (e.g. meta-llama/Llama-3.1-8B), "
                          "or generate here with --local")


def looks_like_local_model(model: str) -> bool:
    """A model folder on this machine rather than a hub id ("org/name" or "name")."""
    if model.startswith((".", "~", "/")) or "\\" in model or model.count("/") > 1 or model.endswith("/"):
        return True
    return (Path(model).expanduser() / "config.json").is_file()


def load_config(path: str | os.PathLike | None = None) -> Config:
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: config file not found")
        return parse_config(p.read_text(encoding="utf-8"), str(p))
    for p in config_candidates():
        if p.is_file():
            return parse_config(p.read_text(encoding="utf-8"), str(p))
    return Config()
