"""Fits of shipped artifacts (rag/ranker_weights.json, rag/refusal.json); run as python -m fit.<name>."""
