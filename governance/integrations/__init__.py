"""Integrations with the gateways routers run in (LiteLLM's proxy first)."""
