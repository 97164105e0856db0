"""A brand's policy: one TOML file per brand, checked by pydantic at start-up.

A bad file is refused with PolicyError naming the file, the field and the problem.
"""

from __future__ import annotations

import tomllib
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simexit.domain.business_days import BusinessCalendar
from simexit.domain.money import MINOR_UNITS

CHANNELS = ("online", "app", "hotline", "chat", "store", "mail")
LOCALES = ("zh-CN", "en", "de")
CARD_KINDS = ("K1", "K2", "K3", "K4", "K5", "K6")
REFUND_METHODS = ("original_payment", "bank_transfer", "alipay", "wechat_pay", "store_cash", "account_credit")


class Severity(StrEnum):
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandSection(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,31}$")
    name: str = Field(min_length=1)
    name_zh: str | None = None
    card_kind: Literal["K1", "K2", "K3", "K4", "K5", "K6"]
    jurisdiction: Literal["CN", "DE", "US", "EU", "GB"]
    subdivision: str | None = None
    time_zone: str
    currency: str
    locales: list[Literal["zh-CN", "en", "de"]] = Field(min_length=1)
    channels: list[Literal["online", "app", "hotline", "chat", "store", "mail"]] = Field(min_length=1)
    phone_region: str = Field(pattern=r"^[A-Z]{2}$", description="region for numbers typed without +country")

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @field_validator("currency")
    @classmethod
    def _cur(cls, v: str) -> str:
        if v not in MINOR_UNITS:
            raise ValueError(f"unsupported currency {v!r} (known: {', '.join(sorted(MINOR_UNITS))})")
        return v


class ReviewSection(Strict):
    sla_business_days: int = Field(ge=0, le=30)
    auto_approve_clean: bool = False
    # Identity checks strong enough for an automatic approval; others always go to a person.
    auto_approve_identity_methods: list[str] = ["otp", "id_document_inspected", "esim_app_session"]


class ChecksSection(Strict):
    """For each configurable check: does it block the application, or only inform?"""

    ARREARS: Severity = Severity.BLOCKER
    CONTRACT_ACTIVE: Severity = Severity.WARNING
    SERVICES_BOUND: Severity = Severity.WARNING
    DEVICES_BOUND: Severity = Severity.WARNING
    ESIM_INSTALLED: Severity = Severity.WARNING
    PORT_OUT_PENDING: Severity = Severity.BLOCKER
    recent_sim_change_days: int = Field(default=7, ge=0, le=365)


class FeesSection(Strict):
    cancellation_fee_minor: int = Field(default=0, ge=0)
    # line_fee: the early-termination fee recorded on the line; prorated: that fee times the share of
    # the contract term still to run; waived: none.
    early_termination: Literal["line_fee", "prorated", "waived"] = "line_fee"


class RefundSection(Strict):
    fee_minor: int = Field(default=0, ge=0)
    minimum_minor: int = Field(default=0, ge=0, description="below this no payout is made; the amount is shown")
    methods: list[Literal["original_payment", "bank_transfer", "alipay", "wechat_pay", "store_cash",
                          "account_credit"]] = Field(min_length=1)
    request_window_days: int = Field(default=31, ge=1)
    payout_business_days: int = Field(default=5, ge=0, le=60)


class ClosureSection(Strict):
    effective: Literal["immediate", "end_of_billing_period", "chosen_date"] = "immediate"
    billing_cycle_day: int = Field(default=1, ge=1, le=28)
    max_notice_days: int = Field(default=31, ge=0, le=366, description="latest end date a customer may choose")


class KeepRule(Strict):
    record_set: Literal["real_name", "billing", "consent", "application"]
    days: int = Field(ge=1)
    law: str = Field(min_length=1)


class RetentionSection(Strict):
    erase_after_days: int = Field(ge=0)
    keep: list[KeepRule] = []


class NumbersSection(Strict):
    quarantine_days: int = Field(ge=0)


class IdentitySection(Strict):
    """How the public cancellation form (no sign-in) checks who declares: ``line_code`` — the code sent by SMS
    to the line, nothing more (DE case law on BGB §312k: a cancellation declaration needs no further
    verification gate, no password, no ID); ``line_code_and_id_tail`` — the code and the last 6 characters of
    the ID number, as the portal asks (CN real-name rules)."""

    public_cancellation: Literal["line_code", "line_code_and_id_tail"] | None = None


class Policy(Strict):
    brand: BrandSection
    review: ReviewSection
    checks: ChecksSection = ChecksSection()
    fees: FeesSection = FeesSection()
    refund: RefundSection
    closure: ClosureSection = ClosureSection()
    retention: RetentionSection
    numbers: NumbersSection
    identity: IdentitySection = IdentitySection()

    @property
    def public_identity(self) -> str:
        """The public form's identity rule: the policy's, else the jurisdiction's (CN: the real-name check)."""
        if self.identity.public_cancellation:
            return self.identity.public_cancellation
        return "line_code_and_id_tail" if self.brand.jurisdiction == "CN" else "line_code"

    @model_validator(mode="after")
    def _jurisdiction_rules(self) -> Policy:
        j = self.brand.jurisdiction
        if j == "US" and self.numbers.quarantine_days < 45:
            raise ValueError("numbers.quarantine_days: US numbers age at least 45 days before reassignment (FCC)")
        if j == "CN":
            if not any(k.record_set == "real_name" and k.days >= 730 for k in self.retention.keep):
                raise ValueError("retention.keep: CN keeps the real-name record 2 years (730 days) after "
                                 "termination (MIIT Order No. 25, Art. 11)")
            if self.checks.ARREARS != Severity.BLOCKER:
                raise ValueError("checks.ARREARS: in CN arrears block a closure")
            if self.identity.public_cancellation == "line_code":
                raise ValueError("identity.public_cancellation: in CN closing a line needs the real-name check "
                                 "(line_code_and_id_tail)")
        if j == "DE" and self.identity.public_cancellation == "line_code_and_id_tail":
            raise ValueError("identity.public_cancellation: a German cancellation declaration needs no further "
                             "verification gate (BGB §312k; use line_code)")
        if j in ("DE", "EU") and self.checks.ARREARS == Severity.BLOCKER:
            raise ValueError("checks.ARREARS: in the EU arrears do not block a cancellation (use warning or info)")
        return self

    @property
    def code(self) -> str:
        return self.brand.code

    def calendar(self, overrides: dict[date, bool] | None = None) -> BusinessCalendar:
        country = "DE" if self.brand.jurisdiction == "EU" else self.brand.jurisdiction
        return BusinessCalendar(country, self.brand.subdivision, overrides or {})

    def keep_days(self, record_set: str) -> int | None:
        return next((k.days for k in self.retention.keep if k.record_set == record_set), None)


class PolicyError(Exception):
    """A policy file is malformed: names the file, the field and the problem."""

    code = "POLICY_INVALID"

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path, self.field, self.problem = str(path), field, problem
        super().__init__(f"{path}: {field}: {problem}")


def parse_policy(text: str, path: Path | str = "<policy>") -> Policy:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(path, "(file)", f"not valid TOML: {exc}") from None
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(policy)"
        msg = err["msg"].removeprefix("Value error, ")
        if field == "(policy)" and ": " in msg:
            field, msg = msg.split(": ", 1)
        raise PolicyError(path, field, msg) from None


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(path, "(file)", f"cannot read: {exc.strerror}") from None
    policy = parse_policy(text, path)
    if path.stem != policy.brand.code:
        raise PolicyError(path, "brand.code", f"must match the file name ({path.stem!r}), got {policy.brand.code!r}")
    return policy


def load_policies(directory: Path) -> dict[str, Policy]:
    if not directory.is_dir():
        raise PolicyError(directory, "(directory)", "policy directory does not exist")
    policies = {}
    for path in sorted(directory.glob("*.toml")):
        p = load_policy(path)
        policies[p.code] = p
    if not policies:
        raise PolicyError(directory, "(directory)", "no *.toml policy files found")
    return policies


def brand_display_name(policy: Policy, locale: str | None) -> str:
    """The brand's name for a message in ``locale``: the Chinese name for zh* when the policy has one."""
    if policy.brand.name_zh and (locale or "").lower().startswith("zh"):
        return policy.brand.name_zh
    return policy.brand.name
