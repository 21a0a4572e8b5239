"""Benchmarks run by hand (`python -m bench` lists them); not part of the test suite."""
