"""Benchmarks for searchapp (run from the project root, e.g. ``python -m benchmarks.retrieval``)."""
