#!/usr/bin/env python
"""The plan's test command, kept working:

    python extraction/test_scenarios.py --model meta-llama/Llama-3.1-8B \
        --trait {category}/{trait} --modal --workdir /tmp/{trait}

A thin entry into `scenarios test` (core/cli.py); every flag of that command works here.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["test", *sys.argv[1:]]))
