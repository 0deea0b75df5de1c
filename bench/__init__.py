"""Benchmarks (``make bench``). Each benchmark returns a JSON-able dict written to ``bench/results/<name>.json``.

Benchmarks report numbers; they assert nothing. Tests assert behaviour.
"""
