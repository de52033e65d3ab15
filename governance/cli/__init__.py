"""The ``governance`` command: a click shell over the library (``main``), its verbs grouped by
what they do (``ops``, ``ingest``, ``evaluate``), and its output helpers (``kit``, ``textout``)."""

from governance.cli.main import main

__all__ = ["main"]
