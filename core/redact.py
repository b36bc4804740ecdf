"""Secrets never reach a file or a log: the values to hide, and the function that hides them."""
from __future__ import annotations

import os

SECRET_ENV = ("ANTHROPIC_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "MODAL_TOKEN_ID",
              "MODAL_TOKEN_SECRET")


def secret_values() -> list[str]:
    """Values that must never reach a file or a log (used to redact and in tests)."""
    return [v for v in (os.environ.get(n) for n in SECRET_ENV) if v and len(v) >= 8]


def redact(text: str) -> str:
    for value in secret_values():
        text = text.replace(value, "[redacted]")
    return text
