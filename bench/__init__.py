"""Benchmarks behind `emostream bench`: engine, local model load and speed, stream end to end, LLM backends.

Not part of the worker's run-time path: nothing in `workers/`, `stream/` or `trainer/` imports
this package (only the CLI mounts its command), and importing it loads nothing heavy;
each mode imports what it measures when it runs.
"""
