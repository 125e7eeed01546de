"""Outbound adapters: SSRF-guarded HTTP, secrets encryption, webhooks, LLM providers, MCP, documents."""
