"""Benchmarks: each module measures and writes bench/results/ (run as python -m bench.<name>)."""
