"""Application settings from RF_* environment variables (one pydantic-settings class)."""

from __future__ import annotations

import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production-0123456789"
log = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Every tunable of ResolutionFlow; each field is `RF_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="RF_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'data' / 'resolutionflow.db'}",
        description="SQLAlchemy URL: SQLite file (default) or postgresql+psycopg://user:pw@host/db",
    )
    secret_key: str = Field(
        default="",
        description=(
            "Secret used to derive encryption keys; empty = a random key generated once into the SQLite data "
            "directory; required with PostgreSQL"
        ),
    )
    encryption_keys: str = Field(
        default="",
        description=(
            "Comma-separated Fernet keys (newest first) for secrets at rest; empty = derived from RF_SECRET_KEY"
        ),
    )
    public_base_url: str = Field(default="http://localhost:3000", description="Base URL used to build share links")
    token_ttl_hours: int = Field(default=12, ge=1, description="Lifetime of a login token")
    # argon2id cost: the library's recommended defaults (RFC 9106 second choice). Tune to the hardware; a
    # stored hash keeps the parameters it was made with, and a login re-hashes it with the current ones.
    password_hash_time_cost: int = Field(default=3, ge=1, le=20, description="argon2id passes over memory")
    password_hash_memory_kib: int = Field(
        default=65536, ge=1024, le=4_194_304, description="argon2id memory per hash, in KiB"
    )
    password_hash_parallelism: int = Field(default=4, ge=1, le=16, description="argon2id lanes")
    auth_rate_limit: str = Field(default="30/minute", description="Login/register attempts per client IP")
    share_lookup_rate_limit: str = Field(default="120/minute", description="Share-link lookups per client IP")
    share_retention_days: int = Field(
        default=30, ge=0, description="Days before expired/revoked share links are purged"
    )
    allowed_internal_cidrs: str = Field(
        default="", description="Comma-separated CIDRs outbound HTTP may reach despite being private"
    )
    http_timeout_seconds: float = Field(default=30.0, gt=0, description="Outbound HTTP timeout")
    http_max_body_bytes: int = Field(default=1_000_000, gt=0, description="Outbound HTTP response cap")
    worker_mode: str = Field(
        default="inprocess",
        description="'inprocess' runs automations in the app; 'external' leaves them to `resolutionflow worker`",
    )
    worker_concurrency: int = Field(default=4, ge=1, le=64, description="How many runs one worker executes at once")
    worker_poll_seconds: float = Field(default=1.0, gt=0, description="How often a worker looks for queued runs")
    scheduler_enabled: bool = Field(
        default=True, description="Run periodic jobs (cleanup, zombies, retention) inside the app"
    )
    zombie_run_hours: float = Field(
        default=2.0, gt=0, description="Runs stuck in 'running' longer than this are recovered"
    )
    demo_password: str = Field(
        default="demo-password-123", description="Password of the demo users created by `resolutionflow demo-data`"
    )
    desktop_login_file: str = Field(
        default="",
        description=(
            "Set by `resolutionflow desktop` only: the file holding the hash of the window's one-time sign-in code; "
            "empty = desktop sign-in refused (404)"
        ),
    )
    log_level: str = Field(default="INFO", description="Python log level")
    log_format: str = Field(
        default="text",
        pattern="^(text|json)$",
        description="'json' writes one JSON object per log line (structured logs); secrets are redacted either way",
    )
    run_heartbeat_timeout_seconds: float = Field(
        default=30.0,
        ge=1,
        description="A running run whose worker has not heartbeaten for this long is taken over by another worker",
    )
    max_body_bytes: int = Field(
        default=5_000_000, ge=1024, description="Largest request body the API accepts (413 above it, before parsing)"
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest file upload (POST /files, 413 above it)"
    )
    trusted_proxy_hops: int = Field(
        default=0,
        ge=0,
        le=10,
        description="Reverse proxies in front of the app that append to X-Forwarded-For (0: the header is ignored)",
    )
    redis_url: str = Field(
        default="",
        description="redis://host:port/db: rate limits are shared by every app replica through it (empty: per process)",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated extra browser origins allowed to call the API (besides RF_PUBLIC_BASE_URL)",
    )
    queue: str = Field(
        default="auto",
        pattern="^(auto|table|procrastinate)$",
        description=(
            "How runs and periodic jobs reach workers: 'procrastinate' (PostgreSQL job queue), 'table' (workers poll "
            "the runs table, in-process scheduler), 'auto' = procrastinate on PostgreSQL, table on SQLite"
        ),
    )

    def cors_allowed_origins(self) -> list[str]:
        """Browser origins allowed to call the API with credentials: the app's own base URL, the
        local dev frontend, and RF_CORS_ORIGINS. Never `*`, never `null`."""
        origins = [_origin(self.public_base_url), "http://localhost:3000", "http://127.0.0.1:3000"]
        origins += [_origin(o) for o in self.cors_origins.split(",") if o.strip()]
        return [o for i, o in enumerate(origins) if o and o != "null" and "*" not in o and o not in origins[:i]]

    @model_validator(mode="after")
    def _secret_key_is_never_the_built_in_one(self) -> Settings:
        # The built-in key is in the source: real secrets must never be encrypted with it.
        production = (
            not self.database_url.startswith("sqlite") or os.environ.get("REFLEX_ENV_MODE", "").lower() == "prod"
        )
        if self.secret_key == DEV_SECRET_KEY:
            if production:
                raise ValueError(
                    "RF_SECRET_KEY is the built-in development key; set a long random value for production."
                )
            log.warning("RF_SECRET_KEY is the built-in development key: stored secrets are not protected.")
        if not self.secret_key:
            if not self.database_url.startswith("sqlite"):
                raise ValueError(
                    "RF_SECRET_KEY must be set when the database is PostgreSQL (every app and worker process needs "
                    "the same value)."
                )
            self.secret_key = _embedded_secret_key(self.database_url)
        return self

    @model_validator(mode="after")
    def _procrastinate_needs_postgres(self) -> Settings:
        if self.queue == "procrastinate" and self.is_sqlite:
            raise ValueError(
                "RF_QUEUE=procrastinate needs PostgreSQL (RF_DATABASE_URL=postgresql+psycopg://...); use 'table' or "
                "'auto' with SQLite."
            )
        return self

    @property
    def queue_backend(self) -> str:
        """'procrastinate' or 'table': RF_QUEUE with 'auto' resolved by the database."""
        if self.queue == "auto":
            return "table" if self.is_sqlite else "procrastinate"
        return self.queue

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        # psycopg 3 is the only PostgreSQL driver we ship; accept the common short forms.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an SQLite file."""
        return self.database_url.startswith("sqlite")

    def cidr_list(self) -> list[str]:
        """The allowed internal CIDRs as a list."""
        return [c.strip() for c in self.allowed_internal_cidrs.split(",") if c.strip()]


def _embedded_secret_key(database_url: str) -> str:
    """The embedded default's secret: generated once, kept beside the SQLite file (mode 0600)."""
    path = database_url.split("///", 1)[-1]
    if not path or path.startswith(":memory:"):
        return secrets.token_urlsafe(48)  # a throwaway database gets a throwaway key
    key_file = Path(path).resolve().parent / "secret_key"
    try:
        return key_file.read_text().strip() or _write_key(key_file)
    except FileNotFoundError:
        try:
            return _write_key(key_file)
        except FileExistsError:  # another process of this install won the race: use its key
            return key_file.read_text().strip()


def _write_key(key_file: Path) -> str:
    key = secrets.token_urlsafe(48)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.encode())
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    log.info("generated a secret key in %s", key_file)
    return key


def _origin(url: str) -> str:
    """`scheme://host[:port]` of a URL (an origin as browsers send it), or "" when it has none."""
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme in ("http", "https") and parts.netloc else ""


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return Settings()
