"""Application settings from RF_* environment variables (one pydantic-settings class)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production-0123456789"


class Settings(BaseSettings):
    """Every tunable of ResolutionFlow; each field is `RF_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="RF_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'data' / 'resolutionflow.db'}",
        description="SQLAlchemy URL: SQLite file (default) or postgresql+psycopg://user:pw@host/db",
    )
    secret_key: str = Field(
        default=DEV_SECRET_KEY,
        description="Secret used to derive encryption keys; set a long random value in production",
    )
    encryption_keys: str = Field(
        default="",
        description="Comma-separated Fernet keys (newest first) for secrets at rest; empty = derived from RF_SECRET_KEY",
    )
    public_base_url: str = Field(
        default="http://localhost:3000", description="Base URL used to build share links"
    )
    token_ttl_hours: int = Field(default=12, ge=1, description="Lifetime of a login token")
    auth_rate_limit: str = Field(default="30/minute", description="Login/register attempts per client IP")
    share_lookup_rate_limit: str = Field(default="120/minute", description="Share-link lookups per client IP")
    share_retention_days: int = Field(default=30, ge=0, description="Days before expired/revoked share links are purged")
    allowed_internal_cidrs: str = Field(
        default="", description="Comma-separated CIDRs outbound HTTP may reach despite being private"
    )
    http_timeout_seconds: float = Field(default=30.0, gt=0, description="Outbound HTTP timeout")
    http_max_body_bytes: int = Field(default=1_000_000, gt=0, description="Outbound HTTP response cap")
    worker_mode: str = Field(default="inprocess", description="'inprocess' runs automations in the app; 'external' leaves them to `resolutionflow worker`")
    worker_concurrency: int = Field(default=4, ge=1, le=64, description="How many runs one worker executes at once")
    worker_poll_seconds: float = Field(default=1.0, gt=0, description="How often a worker looks for queued runs")
    scheduler_enabled: bool = Field(default=True, description="Run periodic jobs (cleanup, zombies, retention) inside the app")
    zombie_run_hours: float = Field(default=2.0, gt=0, description="Runs stuck in 'running' longer than this are recovered")
    demo_password: str = Field(default="demo-password-123", description="Password of the demo users created by `resolutionflow demo-data`")
    log_level: str = Field(default="INFO", description="Python log level")
    run_heartbeat_timeout_seconds: float = Field(default=30.0, ge=1, description="A running run whose worker has not heartbeaten for this long is taken over by another worker")

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        # psycopg 3 is the only PostgreSQL driver we ship; accept the common short forms.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix):]
        return value

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an SQLite file."""
        return self.database_url.startswith("sqlite")

    def cidr_list(self) -> list[str]:
        """The allowed internal CIDRs as a list."""
        return [c.strip() for c in self.allowed_internal_cidrs.split(",") if c.strip()]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return Settings()
