"""spend-governance: keeps a company's LLM spend inside its budget."""

__version__ = "0.1.0"
