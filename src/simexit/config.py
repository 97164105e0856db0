"""Typed configuration from the environment (prefix ``SIMEXIT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_POLICY_DIR = Path(__file__).parent / "policies"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIMEXIT_", extra="ignore")

    database_url: str = Field(default="sqlite:///simexit.db", description="SQLAlchemy URL")
    policy_dir: Path = Field(default=DEMO_POLICY_DIR)
    # Key of the HMAC that makes ID numbers verifiable without storing them. Set your own in production;
    # changing it makes stored ID hashes unverifiable.
    secret_key: str = Field(default="simexit-demo-secret-change-me", min_length=16)
    # REST API (issue #3)
    api_max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="larger request bodies get 413")
    api_threads: int = Field(default=16, ge=1, le=200, description="threads that run use cases for requests")
    db_pool_size: int = Field(default=16, ge=1, le=200, description="database connections per process")
    cookie_secure: bool = Field(default=True, description="Secure session cookies (False: plain-HTTP demos only)")
    log_requests: bool = Field(default=False, description="one JSON log line per request (errors are always logged)")


@lru_cache
def get_settings() -> Settings:
    return Settings()
