"""coach: a local-first knowledge base and coaching memory for sales teams."""

__version__ = "0.1.0"
