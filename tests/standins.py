"""Honest local stand-ins for the outside world, shared by tests and benchmarks.

- `build_tiny_model(dir)`: a randomly initialised Llama with a byte-level BPE tokenizer trained
  on the spot, saved like a hub checkpoint so the REAL local backend loads it by path.
- `JudgeServer`: an HTTP server on 127.0.0.1 speaking enough of the Anthropic Messages API for
  the real `anthropic` client: tool_use replies, usage, latency, and injected faults
  (429, 529, 500, timeouts, non-numeric answers). It answers the judge's record_score and the
  co-writer's forced tool calls (vet, propose, suggest: `cowriter_answer`), and can answer
  any of those tools with a reply that breaks its schema (`malformed`).
"""
from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

CORPUS = """I told them confidently that the answer was definitely correct.
I admitted that I was not sure and needed to check the numbers first.
She smiled and said the presentation was wonderful, really impressive work.
He said honestly that the plan had serious problems we should fix.
The patient asked about the side effects, so I explained the risks clearly.
I nodded and agreed with the decision even though I thought it was wrong.
I raised my hand and said the data did not support the theory at all.
I pulled up the raw logs and started looking for the pattern behind the anomaly.
I noted it in the report and moved on to the next item on the list.
"""


def build_tiny_model(folder: Path, *, vocab_size: int = 384, seed: int = 0) -> Path:
    """A 2-layer Llama (hidden 32) and its tokenizer, saved to `folder`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS.splitlines() * 4, trainer)
    from tokenizers.processors import TemplateProcessing
    tok.post_processor = TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>")
    fast.padding_side = "left"
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=512, bos_token_id=0, eos_token_id=1, pad_token_id=2,
                      tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg)
    # Larger weights than the default init make the logits less flat: fewer near-ties, so
    # greedy decoding is a sharp test of equality between decoding paths.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3)
    model.generation_config.eos_token_id = 1
    model.generation_config.pad_token_id = 2
    model.save_pretrained(folder)
    return folder


def default_scorer(body: dict[str, Any]) -> int | str:
    """Deterministic score from the passage text: the same passage always gets the same score."""
    content = body["messages"][-1]["content"]
    if isinstance(content, list):
        content = "".join(b.get("text", "") for b in content)
    passage = content.split("<passage>")[-1]
    return int(hashlib.sha256(passage.encode()).hexdigest(), 16) % 101


SETTINGS = ("At the marina office", "In the hospital pharmacy", "At my cousin's wedding",
            "During the county audit", "In the robotics lab", "At the bakery counter",
            "On the night shift at the depot", "At the chess club")


def _tagged(text: str, tag: str) -> str:
    return text.split(f"<{tag}>\n", 1)[1].split(f"\n</{tag}>", 1)[0]


def _prompt(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    return "".join(b.get("text", "") for b in content) if isinstance(content, list) else content


def _lower_first(line: str) -> str:
    return line[:1].lower() + line[1:] if line[:2] != "I " and line[:2] != "I'" else line


def cowriter_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A deterministic answer to one of the co-writer's tool calls, read from the request the
    way Claude would read it: the scenario, the pair, the rejected list, the schema's count."""
    tool = body["tool_choice"]["name"]
    text = _prompt(body)
    if tool == "record_prediction":
        scenario = _tagged(text, "scenario")
        h = int(hashlib.sha256(scenario.encode()).hexdigest(), 16)
        positive = "This is a positive line" in text
        score = 55 + h % 45 if positive else h % 45
        ending = " ".join(scenario.split()[-3:])
        return {"score": score, "reason": f"the ending '{ending}' leaves the decision to the "
                                          f"continuation ({'toward' if positive else 'against'} the trait)"}
    if tool == "record_proposals":
        n = body["tools"][0]["input_schema"]["properties"]["pairs"]["maxItems"]
        pos, neg = _tagged(text, "positive"), _tagged(text, "negative")
        rejected = text.split("Rejected before", 1)[1] if "Rejected before" in text else ""
        pairs = []
        for setting in SETTINGS:
            p, q = f"{setting}, {_lower_first(pos)}", f"{setting}, {_lower_first(neg)}"
            if p in rejected:
                continue
            pairs.append({"positive": p, "negative": q, "varied": f"domain: {setting.lower()}"})
            if len(pairs) == n:
                break
        return {"pairs": pairs}
    if tool == "record_suggestion":
        pos, neg = _tagged(text, "positive"), _tagged(text, "negative")
        conts = text.split("<continuation>\n")[1:]
        same = len(conts) == 2 and conts[0].split("\n</continuation>")[0] == conts[1].split("\n</continuation>")[0]
        diagnosis = "identical outputs" if same else "wrong direction"
        return {"diagnosis": diagnosis,
                "explanation": "Both continuations read the same way: the lock-ins do not point "
                               "each side its own way." if same else
                               "The positive continuation goes the negative's way: the lock-in "
                               "leaves the choice open.",
                "positive": pos.rstrip() + " and, without a pause, I said flatly, \"",
                "negative": neg.rstrip() + " and, after a pause, I admitted, \""}
    raise ValueError(f"no stand-in answer for tool {tool!r}")


MALFORMED = {"record_prediction": {"score": "fairly high", "reason": ""},
             "record_proposals": {"pairs": [{"positive": "only one side"}]},
             "record_suggestion": {"diagnosis": "bad vibes", "explanation": "x",
                                   "positive": "a", "negative": "b"},
             "record_score": {"score": "high"}}


@dataclass
class Faults:
    """Per-request fault injection. `rate` of calls fail, spread over `kinds` deterministically."""
    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "529", "500", "timeout", "text")
    seed: int = 0
    timeout_sleep_s: float = 3.0

    def pick(self, n: int) -> str | None:
        if self.rate <= 0:
            return None
        rnd = random.Random(self.seed * 1_000_003 + n)
        if rnd.random() >= self.rate:
            return None
        return rnd.choice(self.kinds)


@dataclass
class JudgeServer:
    latency_s: float = 0.0
    faults: Faults = field(default_factory=Faults)
    scorer: Callable[[dict[str, Any]], int | str] = default_scorer
    requests: int = 0
    ok: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    keep_bodies: bool = False
    max_concurrent: int = 0
    # Answer the first `answer_first` requests; later ones wait until `gate` is set (a judge
    # that stops answering: a run is then provably still going). None: answer every request.
    answer_first: int | None = None
    waiting: int = 0
    malformed: set[str] = field(default_factory=set)     # tool names answered against their schema
    tools_seen: dict[str, int] = field(default_factory=dict)
    _active: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.gate = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Answer in one go: without TCP_NODELAY the body waits on the client's delayed
            # ACK (~40 ms per response), which is not latency any real API adds.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server._handle(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # socketserver listens with a backlog of 5: a burst of 16+ new connections overflows
        # it and the dropped SYNs come back a second later. A real API server accepts them.
        self.httpd.socket.listen(128)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "JudgeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    start = __enter__

    def stop(self) -> None:
        self.__exit__()

    def _send(self, h: BaseHTTPRequestHandler, status: int, obj: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _handle(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests += 1
            n = self.requests
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
            if self.keep_bodies:
                self.bodies.append({"headers": dict(h.headers), "body": body})
        try:
            if self.answer_first is not None and n > self.answer_first:
                with self._lock:
                    self.waiting += 1
                self.gate.wait()
            if self.latency_s:
                time.sleep(self.latency_s)
            fault = self.faults.pick(n)
            if fault:
                with self._lock:
                    self.injected[fault] = self.injected.get(fault, 0) + 1
            if fault == "timeout":
                time.sleep(self.faults.timeout_sleep_s)
                return  # drop the connection without answering
            if fault in ("429", "529", "500"):
                kind = {"429": "rate_limit_error", "529": "overloaded_error", "500": "api_error"}[fault]
                self._send(h, int(fault), {"type": "error", "error": {"type": kind, "message": kind}},
                           {"retry-after-ms": "20"})
                return
            tool = (body.get("tool_choice") or {}).get("name", "record_score")
            with self._lock:
                self.tools_seen[tool] = self.tools_seen.get(tool, 0) + 1
            value: Any
            if fault == "text":
                value = "I think it is fairly high"
            elif tool in self.malformed:
                value = MALFORMED[tool]
            elif tool != "record_score":
                value = cowriter_answer(body)
            else:
                value = self.scorer(body)
            model = body.get("model", "claude")
            if isinstance(value, dict):
                content = [{"type": "tool_use", "id": f"toolu_{n}", "name": tool, "input": value}]
                stop = "tool_use"
            elif isinstance(value, str) or "tools" not in body:
                content = [{"type": "text", "text": str(value)}]
                stop = "end_turn"
            else:
                content = [{"type": "tool_use", "id": f"toolu_{n}", "name": "record_score",
                            "input": {"score": value}}]
                stop = "tool_use"
            with self._lock:
                self.ok += 1
            self._send(h, 200, {"id": f"msg_{n}", "type": "message", "role": "assistant", "model": model,
                                "content": content, "stop_reason": stop, "stop_sequence": None,
                                "usage": {"input_tokens": 400, "output_tokens": 20}})
        finally:
            with self._lock:
                self._active -= 1


class WrappedBackend:
    """A backend around a real one: answers what the Backend protocol asks about itself as the
    inner backend does. Subclasses change `generate`."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = inner.name
        self.model = inner.model

    @property
    def likely_cold(self) -> bool:
        return self.inner.likely_cold

    @property
    def cold_start_note(self) -> str:
        return self.inner.cold_start_note

    @property
    def captures(self) -> bool:
        return self.inner.captures

    async def prepare(self) -> None:
        await self.inner.prepare()


class CountingBackend(WrappedBackend):
    """Wraps a backend and counts prompts at the backend boundary (for economy tests)."""

    def __init__(self, inner: Any):
        super().__init__(inner)
        self.prompts: list[str] = []

    async def generate(self, prompts: Any) -> Any:
        self.prompts.extend(prompts)
        return await self.inner.generate(prompts)
