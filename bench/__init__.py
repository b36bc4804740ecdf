"""Benchmarks: one command each (`python bench/NAME.py`), each printing one JSON object."""
