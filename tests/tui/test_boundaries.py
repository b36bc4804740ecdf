"""Architecture rules: core imports no Textual; tui/ talks to core only through its API."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parents[2] / "tui"
FORBIDDEN_IN_TUI = {"sqlite3", "httpx", "requests", "urllib", "http", "anthropic", "torch",
                    "transformers", "modal", "watchfiles", "aiohttp", "socket"}


def test_core_session_and_watch_import_without_textual():
    code = ("import sys; sys.modules['textual'] = None; "
            "import core.session, core.watch, core.cowriter, core.cowriter_cli; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=TUI.parent, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_tui_uses_no_http_sql_or_torch_directly():
    offenders = []
    for path in TUI.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN_IN_TUI:
                    offenders.append(f"{path.relative_to(TUI.parent)}:{node.lineno} imports {name}")
    assert offenders == []
