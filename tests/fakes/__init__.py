"""Real loopback servers for tests: a fake OpenAI-compatible model, a webhook receiver, a fake MCP server."""
