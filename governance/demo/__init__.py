"""`governance demo`: a month of a made-up company's LLM traffic, in the producers' real formats.

``scenario`` is the pure, seeded model of the month; ``litellm_out``, ``pages`` and
``focus_out`` write it as LiteLLM gateway logs, OpenAI and Anthropic billing pages and a Google
Cloud FOCUS export; ``run`` writes the files and ingests them.
"""

from governance.demo.run import Demo, run_demo

__all__ = ["Demo", "run_demo"]
