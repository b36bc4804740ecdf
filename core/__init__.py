"""scenario studio engine: datasets, backends, judge, cache, runner, verdicts, lint, CLI.

Nothing in this package imports Textual; the editor in `tui/` builds on it.
"""
__version__ = "0.1.0"
