"""Benchmarks of the kit (not run by the test suite)."""
