"""Benchmarks that print the figures behind DESIGN.md's budgets; none of them asserts a time.

Each `bench_*.py` module has a `main()` that sets up what it needs, measures, prints its
figures and cleans up. `python -m benchmarks [NAME ...]` runs them (all by default).
"""
