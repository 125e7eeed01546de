"""The /api/v1 JSON API (FastAPI): thin routers over the services."""
