"""LiteLLM's PostgreSQL ``LiteLLM_SpendLogs`` table, read incrementally by ``startTime``.

Its rows are SpendLogs rows, parsed as the ``litellm`` format parses them; they come from a
database, never from a file, so this format is never detected.
"""

from __future__ import annotations

from governance.sources.base import Format
from governance.sources.litellm import parse

FORMAT = Format(name="litellm-db", layer="gateway", sniff=lambda value: False, parse=parse)
