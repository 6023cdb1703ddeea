"""Backends behind the `workers.backend.Backend` protocol: local, tgi, openai, hf.

Imported lazily by `workers.factory.build_backend`, so only the chosen one's
dependencies need to be importable.
"""
