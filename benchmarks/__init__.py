"""Benchmarks of recurrence against R, lifelines and statsmodels: `python -m benchmarks`."""
