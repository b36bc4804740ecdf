"""The rubric (definition.txt's text): one holder, shared by the runner and the editor's session.

`epoch` counts changes, so a score judged against an older rubric can be told apart and dropped
instead of shown as current.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Rubric:
    text: str
    epoch: int = 0

    def change(self, text: str) -> bool:
        """Adopt a new text. Returns False (and keeps the epoch) when it is the same."""
        if text == self.text:
            return False
        self.text = text
        self.epoch += 1
        return True
