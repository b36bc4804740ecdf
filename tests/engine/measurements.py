"""Numbers measured by the suite, printed in pytest's terminal summary (no -s needed)."""
LINES: list[str] = []
