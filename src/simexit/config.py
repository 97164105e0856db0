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
    # Data exports: where the ZIP files are written, and how long a download link stays valid.
    export_dir: Path = Field(default=Path("exports"))
    export_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)


@lru_cache
def get_settings() -> Settings:
    return Settings()
