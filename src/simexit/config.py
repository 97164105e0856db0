"""Typed configuration from the environment (prefix ``SIMEXIT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_POLICY_DIR = Path(__file__).parent / "policies"
DEMO_SECRET_KEY = "simexit-demo-secret-change-me"  # public: anyone can forge tokens signed with it
MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIMEXIT_", extra="ignore")

    database_url: str = Field(default="sqlite:///simexit.db", description="SQLAlchemy URL")
    policy_dir: Path = Field(default=DEMO_POLICY_DIR)
    # Key of the HMAC that makes ID numbers verifiable without storing them. Set your own in production;
    # changing it makes stored ID hashes unverifiable.
    secret_key: str = Field(default=DEMO_SECRET_KEY, min_length=16)
    # Start-up checks (joints, issue 12 item 3): `simexit serve`, `simexit worker` and the ASGI app refuse to start
    # with the public default or a secret key shorter than MIN_SECRET_KEY_LENGTH, unless this demo mode is on
    # (scripts/start and the tests set SIMEXIT_DEMO=1).
    demo: bool = Field(default=False, description="demo mode: the public default secret key is accepted")
    # Data exports: where the ZIP files are written, and how long a download link stays valid.
    export_dir: Path = Field(default=Path("exports"))
    export_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    # Audit log (privacy): entries are chained with HMAC-SHA256 under a key derived from secret_key (or this
    # key of its own: changing either makes the existing chain unverifiable). Signed checkpoints (Ed25519,
    # `simexit audit keygen`) are appended to a file outside the database by the worker's sweep, at least every
    # `audit_checkpoint_entries` entries or `audit_checkpoint_minutes`; `simexit audit verify` checks the log
    # against them. Without a signing key no checkpoints are written (truncation goes unnoticed).
    audit_chain_key: str | None = Field(default=None, min_length=16)
    audit_signing_key: Path | None = Field(default=None, description="Ed25519 private key PEM (checkpoints)")
    audit_verify_key: Path | None = Field(default=None, description="public key PEM that checks checkpoints "
                                          "(default: the signing key's)")
    audit_checkpoint_file: Path = Field(default=Path("audit-checkpoints.jsonl"))
    audit_checkpoint_entries: int = Field(default=1000, ge=1)
    audit_checkpoint_minutes: float = Field(default=5, gt=0)

    # Messaging (defaults: the local simulators `simexit sim mail` and `simexit sim sms`).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "simexit <no-reply@simexit.localhost>"
    smtp_timeout_s: float = 10.0
    mail_sink_page_port: int = Field(default=8026, description="`simexit sim all`: the mail sink's web page")
    sms_gateway_url: str = "http://127.0.0.1:8031"
    sms_api_key: str = "demo-sms-key"
    sms_sender: str = "simexit"
    sms_timeout_s: float = 5.0
    # Links in messages (the certificate of cancellation) start with this.
    public_base_url: str = "http://127.0.0.1:8000"
    # Refunds are ordered from the payment system through a signed webhook (default: `simexit sim payments`).
    payments_url: str = "http://127.0.0.1:8032"
    payments_secret: str = Field(default="demo-payments-secret-change-me", min_length=16)
    payments_timeout_s: float = 10.0
    # Permanent-disconnect webhooks to relying parties.
    relying_party_timeout_s: float = 5.0
    # Where a ported-in number is returned to its range holder after its rest (a signed POST; none: not sent).
    number_return_url: str | None = None
    number_return_secret: str | None = None

    # The worker (durable execution).
    worker_poll_seconds: float = Field(default=0.5, gt=0, description="sleep when no work is due")
    worker_lease_seconds: float = Field(default=60, gt=0, description="a claimed item is another's after this")
    worker_batch: int = Field(default=20, ge=1)
    worker_max_attempts: int = Field(default=8, ge=1, description="then needs_attention (steps) or dead (messages)")
    worker_backoff_seconds: float = Field(default=5, gt=0, description="first retry delay; doubles each time")
    worker_backoff_max_seconds: float = Field(default=3600, gt=0)
    embedded_worker: bool = Field(default=True, description="`simexit serve` runs a worker in the same process")
    worker_sweep_seconds: float = Field(default=60, gt=0, description="SLA escalation and auto-approval sweeps")
    worker_concurrency: int = Field(default=16, ge=1, le=256,
                                    description="saga steps and messages a worker runs at once (threads)")
    # Per-system limits on outside calls, as the operators' contracts set them (integrations/limits.py), per
    # worker process: {"hss": {"max_in_flight": 16, "rate_per_s": 200}, "smtp": {"max_in_flight": 4}, ...}
    # for hss, smdp, sms, payments, smtp, relying_parties.
    outside_limits: dict[str, dict[str, float]] = Field(default_factory=dict)
    supervisor_email: str = Field(default="supervisors@example.invalid")
    # Network: pyhss | open5gs | http (a generic JSON provisioning hook) | a plug-in's name (issue 17: the
    # entry-point group simexit.integrations, ``network.<name>``; see integrations/wiring.py).
    network: str = Field(default="pyhss", pattern=r"^[A-Za-z0-9_.:-]+$")
    # Issue 17: where the facts of a line come from (sql: simexit's tables | bss: the operator's BSS over TMF
    # APIs | a plug-in's ``facts.<name>``), the eSIM adapter (``esim.<name>``), what executes a family
    # closure's other parts (``orders.<name>``), and the BSS (integrations/bss/tmf.py).
    facts_source: str = Field(default="sql", pattern=r"^[A-Za-z0-9_.:-]+$")
    esim: str = Field(default="es2plus", pattern=r"^[A-Za-z0-9_.:-]+$")
    family_orders: str = Field(default="bss", pattern=r"^[A-Za-z0-9_.:-]+$")
    bss_url: str = "http://127.0.0.1:8033"
    bss_token: str | None = None
    bss_timeout_s: float = Field(default=3.0, gt=0, description="all the facts calls of one pre-check, at most")
    bss_cache_s: float = Field(default=300.0, ge=0, description="one line's BSS facts are reused this long")
    pyhss_url: str = "http://127.0.0.1:8080"
    pyhss_provisioning_key: str | None = None
    open5gs_url: str = "http://127.0.0.1:9999"
    open5gs_username: str = "admin"
    open5gs_password: str = "1423"
    network_hook_url: str = "http://127.0.0.1:8090/provisioning"
    network_hook_token: str | None = None
    # eSIM server (SM-DP+) over ES2+.
    smdp_url: str = "http://127.0.0.1:8443"
    smdp_requester_id: str = "simexit"
    smdp_client_cert: Path | None = Field(default=None, description="PEM with the client certificate and key (mTLS)")
    smdp_client_key: Path | None = Field(default=None, description="the client key, if not in smdp_client_cert")
    smdp_ca_file: Path | None = Field(default=None, description="CA bundle that signs the SM-DP+ certificate")
    # Real systems (issue 13): who the SM-DP+ is on the ES2+ callback, and what its notifications mean.
    # A verified TLS client certificate names the partner: natively when `simexit serve` terminates TLS with
    # tls_client_ca, or from trusted_proxies' client_cert_header (the certificate's SHA-256 or SHA-1
    # fingerprint, or its subject DN as RFC 4514). partner_certificates maps a fingerprint (hex, colons
    # optional) or a subject to the name of a partner that has an active key with the smdp scope.
    partner_certificates: dict[str, str] = Field(default_factory=dict,
                                                 description='e.g. {"CN=smdp.vendor.example,O=Vendor": "vendor"}')
    trusted_proxies: list[str] = Field(default_factory=list, description="addresses of the TLS-terminating proxy")
    client_cert_header: str = Field(default="X-Client-Cert", description="the proxy's verified-certificate header")
    partner_api_key_allowed: bool = Field(default=True, description="partners may still use X-Api-Key")
    tls_certfile: Path | None = Field(default=None, description="`simexit serve` terminates TLS with this")
    tls_keyfile: Path | None = None
    tls_client_ca: Path | None = Field(default=None, description="CA of the partners' client certificates")
    # notificationPointId → operation per SM-DP+ partner name ("*" for all); operations: eligibility_check,
    # confirmation_failure, download, install, enable, disable, delete. Default: 1–4 as published, 5 delete.
    smdp_notification_points: dict[str, dict[int, str]] = Field(default_factory=dict)
    integration_timeout_seconds: float = Field(default=10, gt=0)
    # Senders, refund gateway and relying-party notifier: a plug-in's name (``sender.<name>``, ``refunds.<name>``,
    # ``notifier.<name>``) or "package.module:factory" (called with Settings).
    message_senders: dict[str, str] = Field(default_factory=dict, description='e.g. {"email": "pkg.mod:make"}')
    refund_gateway: str | None = None
    disconnect_notifier: str | None = None

    # REST API (issue #3)
    api_max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="larger request bodies get 413")
    api_bulk_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024,
                                    description="bulk closure uploads: most bytes (streamed to a temporary file)")
    api_bulk_max_lines: int = Field(default=200_000, ge=1, description="bulk closure uploads: most lines")
    bulk_upload_dir: Path | None = Field(default=None, description="where uploads wait while their batch runs "
                                         "(default: the system's temporary directory)")
    api_threads: int = Field(default=16, ge=1, le=200, description="threads that run use cases for requests")
    db_pool_size: int = Field(default=16, ge=1, le=200, description="database connections per process")
    cookie_secure: bool = Field(default=True, description="Secure session cookies (False: plain-HTTP demos only)")
    log_requests: bool = Field(default=False, description="one JSON log line per request (errors are always logged)")


@lru_cache
def get_settings() -> Settings:
    return Settings()
