"""The result cache: SQLite in WAL mode, shared by the editor and the CLI.

Identity is content, not line number: a completion is keyed by (model, generation params,
prompt) and a score by (judge model, judge prompt version, trait, definition, completion
[, scenario]). Cutting or reordering lines therefore still hits the cache; editing one line
misses for that line alone; editing definition.txt misses every score but no completion.
Captured hidden states are keyed by the completion key plus the capture settings.
Each result is committed as it arrives, so a run that dies keeps what it finished.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .activations import Activations

SCHEMA_VERSION = 1
CHUNK = 500          # keys per query: well under SQLite's limit on bound parameters


def content_key(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedCompletion:
    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class CachedPrediction:
    score: int
    reason: str


@dataclass(frozen=True)
class CachedScore:
    score: int
    input_tokens: int
    output_tokens: int


class Cache:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection guarded by a lock: the runner and the editor's workers may call
        # from different threads; SQLite itself serialises writers across processes.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False,
                                   isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA busy_timeout = 30000")
            if str(path) != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript("""
                CREATE TABLE IF NOT EXISTS completions (
                    key TEXT PRIMARY KEY, model TEXT NOT NULL, prompt TEXT NOT NULL,
                    text TEXT NOT NULL, tokens TEXT NOT NULL, created REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS scores (
                    key TEXT PRIMARY KEY, judge_model TEXT NOT NULL, score INTEGER NOT NULL,
                    input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
                    created REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS review_marks (
                    key TEXT PRIMARY KEY, trait TEXT NOT NULL, side TEXT NOT NULL,
                    scenario TEXT NOT NULL, mark TEXT NOT NULL, updated REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS predictions (
                    key TEXT PRIMARY KEY, model TEXT NOT NULL, score INTEGER NOT NULL,
                    reason TEXT NOT NULL, input_tokens INTEGER NOT NULL,
                    output_tokens INTEGER NOT NULL, created REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS rejected_proposals (
                    key TEXT NOT NULL, positive TEXT NOT NULL, negative TEXT NOT NULL,
                    created REAL NOT NULL, PRIMARY KEY (key, positive, negative));
                CREATE TABLE IF NOT EXISTS activations (
                    key TEXT PRIMARY KEY, layers TEXT NOT NULL, position TEXT NOT NULL,
                    dim INTEGER NOT NULL, data BLOB NOT NULL, created REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
            """)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- completions
    def get_completion(self, key: str) -> CachedCompletion | None:
        return self.get_completions([key]).get(key)

    def get_completions(self, keys: Iterable[str]) -> dict[str, CachedCompletion]:
        """The hits among `keys`, in a few queries (the editor fills a whole dataset as it opens:
        one query per line cost it ~30 ms of its first screen)."""
        return {key: CachedCompletion(text, tuple(json.loads(tokens)))
                for key, text, tokens in self._select("SELECT key, text, tokens FROM completions", keys)}

    def _select(self, query: str, keys: Iterable[str]) -> list[tuple]:
        unique = list(dict.fromkeys(keys))
        rows: list[tuple] = []
        for i in range(0, len(unique), CHUNK):
            chunk = unique[i:i + CHUNK]
            with self._lock:
                rows += self._db.execute(f"{query} WHERE key IN ({','.join('?' * len(chunk))})",
                                         chunk).fetchall()
        return rows

    def put_completion(self, key: str, model: str, prompt: str, text: str, tokens: tuple[str, ...] | list[str]) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?)",
                             (key, model, prompt, text, json.dumps(list(tokens)), time.time()))

    # -- captured hidden states (core.activations): float16 bytes, layers x dim
    def get_activations(self, key: str) -> Activations | None:
        return self.get_activations_many([key]).get(key)

    def get_activations_many(self, keys: Iterable[str]) -> dict[str, Activations]:
        return {key: Activations(tuple(json.loads(layers)), position, int(dim), bytes(data))
                for key, layers, position, dim, data in
                self._select("SELECT key, layers, position, dim, data FROM activations", keys)}

    def put_activations(self, key: str, acts: Activations) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO activations VALUES (?, ?, ?, ?, ?, ?)",
                             (key, json.dumps(list(acts.layers)), acts.position, acts.dim,
                              sqlite3.Binary(acts.data), time.time()))

    # -- scores
    def get_score(self, key: str) -> CachedScore | None:
        return self.get_scores([key]).get(key)

    def get_scores(self, keys: Iterable[str]) -> dict[str, CachedScore]:
        return {key: CachedScore(*rest) for key, *rest in
                self._select("SELECT key, score, input_tokens, output_tokens FROM scores", keys)}

    def put_score(self, key: str, judge_model: str, score: int, input_tokens: int = 0, output_tokens: int = 0) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?)",
                             (key, judge_model, int(score), int(input_tokens), int(output_tokens), time.time()))

    # -- first-token review marks
    @staticmethod
    def review_key(trait: str, side: str, scenario: str, completion: str) -> str:
        return content_key("review", trait, side, scenario, completion)

    def get_mark(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT mark FROM review_marks WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_mark(self, key: str, trait: str, side: str, scenario: str, mark: str | None) -> None:
        with self._lock:
            if mark is None:
                self._db.execute("DELETE FROM review_marks WHERE key = ?", (key,))
            else:
                self._db.execute("INSERT OR REPLACE INTO review_marks VALUES (?, ?, ?, ?, ?, ?)",
                                 (key, trait, side, scenario, mark, time.time()))

    # -- co-writer: vet predictions (keyed by core.cowriter.vet_key) and rejected proposals
    def get_prediction(self, key: str) -> CachedPrediction | None:
        with self._lock:
            row = self._db.execute("SELECT score, reason FROM predictions WHERE key = ?",
                                   (key,)).fetchone()
        return CachedPrediction(*row) if row else None

    def put_prediction(self, key: str, model: str, score: int, reason: str,
                       input_tokens: int = 0, output_tokens: int = 0) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (key, model, int(score), reason, int(input_tokens),
                              int(output_tokens), time.time()))

    @staticmethod
    def pair_key(trait: str, positive: str, negative: str) -> str:
        return content_key("pair", trait, positive, negative)

    def rejected(self, key: str) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT positive, negative FROM rejected_proposals WHERE key = ? "
                                    "ORDER BY created", (key,)).fetchall()
        return [(p, n) for p, n in rows]

    def reject(self, key: str, positive: str, negative: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO rejected_proposals VALUES (?, ?, ?, ?)",
                             (key, positive, negative, time.time()))

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {t: self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("completions", "scores", "review_marks", "predictions",
                              "rejected_proposals", "activations")}
