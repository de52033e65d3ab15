"""Benchmarks: each script prints its figures, the target and a verdict (README, Performance)."""
