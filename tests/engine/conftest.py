from __future__ import annotations

import pytest

from tests.engine import measurements


@pytest.fixture(scope="session")
def tiny_loaded(tiny_model):
    """The tiny model and tokenizer loaded once through the real load_model."""
    from core.generation import load_model
    return load_model(str(tiny_model), "cpu")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if measurements.LINES:
        terminalreporter.write_sep("-", "engine pipeline overhead (instant backend, 0-latency loopback judge)")
        for line in measurements.LINES:
            terminalreporter.write_line(line)


@pytest.fixture
def judge_server():
    """Overrides the shared fixture with the same server that stops without a 0.5 s poll."""
    from tests.engine.helpers import FastJudgeServer
    with FastJudgeServer() as server:
        yield server
