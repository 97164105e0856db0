"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Msisdn = Field(min_length=3, max_length=32, description="the line's number, E.164 (+8613900001234), or national "
               "(0151 12340000) read in the region of `brand`, or of the operator's brands when no brand is given")
PhoneBrand = Field(None, pattern=r"^[a-z][a-z0-9-]{1,31}$",
                   description="the brand whose page the number was typed on: a national number is read in its "
                   "region (without it: in the regions of every brand; MSISDN_AMBIGUOUS when two fit)")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Incoming(BaseModel):
    """A request body: text never carries NUL characters (PostgreSQL refuses them)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("text may not contain NUL characters")
        return value


class Body(Incoming):
    model_config = ConfigDict(extra="forbid")


# --- sign-in ---------------------------------------------------------------------------------------------
class SignInStart(Body):
    msisdn: str = Msisdn
    brand: str | None = PhoneBrand


class SignInStarted(BaseModel):
    status: Literal["code_sent_if_the_number_is_a_customers"]
    expires_in_seconds: int


class SignInVerify(Body):
    msisdn: str = Msisdn
    brand: str | None = PhoneBrand
    code: str = Field(min_length=1, max_length=12)


class CustomerSessionOut(BaseModel):
    token: str | None = Field(None, description="bearer token for apps (shown once; browsers use the cookie)")
    expires_at: datetime
    second_factor_until: datetime | None = None


class SecondFactor(Body):
    id_tail: str = Field(min_length=1, max_length=12, description="the last 6 characters of your ID number")


class StaffSignIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    totp: str | None = Field(None, max_length=10)


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: str
    brands: list[str]
    permissions: list[str]
    intake_channels: list[str]


class StaffSessionOut(StaffOut):
    token: str


# --- lines, pre-check, applications ---------------------------------------------------------------------
class LineOut(BaseModel):
    msisdn: str
    iccid: str
    brand: str
    card_kind: str
    kind: str
    payment: str
    plan: str
    status: str
    number_keeping: bool


class LinePage(BaseModel):
    items: list[LineOut]
    limit: int
    offset: int


class PrecheckIn(Body):
    msisdn: str = Msisdn
    end_date: date | None = Field(None, description="the end date wanted, where the brand lets the customer choose")


class PrecheckOut(BaseModel):
    msisdn: str
    brand: str
    kind: str
    payment: str
    status: str
    eligible: bool
    checked_at: datetime
    findings: list[dict[str, Any]]
    quote: dict[str, Any]
    consequences: dict[str, Any]
    refund_methods: list[str]
    channels: list[str]


class ApplyCommon(Body):
    msisdn: str = Msisdn
    reason_code: str | None = Field(None, max_length=32)
    reason_text: str | None = Field(None, max_length=1000)
    consequences_confirmed: list[str] = Field(default_factory=list, max_length=20)
    refund_method: str | None = Field(None, max_length=24)
    refund_destination: dict[str, str] | None = Field(None, max_length=5)
    end_date: date | None = None


class CustomerApply(ApplyCommon):
    channel: Literal["online", "app"] = "online"


class StaffApply(ApplyCommon):
    channel: Literal["hotline", "chat", "store", "mail"]
    identity_method: Literal["id_document_inspected", "service_password", "id_copy_mailed", "id_number"] = Field(
        description="how you checked the customer's identity")
    identity_evidence: dict[str, str] = Field(default_factory=dict, max_length=10,
                                              description="e.g. document type and its last 4 characters")
    id_number: str | None = Field(None, max_length=32, description="checked against the record, never stored")


class ApplyOut(BaseModel):
    application_no: str
    status: str
    replayed: bool = Field(description="true when the line already had an open application (returned again)")


class TimelineEntry(BaseModel):
    at: datetime
    event: str
    from_status: str | None
    to_status: str | None
    actor_type: str
    actor_id: str | None
    actor_role: str | None
    channel: str | None
    note: str | None


class ApplicationOut(BaseModel):
    application_no: str
    status: str
    brand: str
    msisdn: str
    kind: str
    channel: str
    staff_ref: str | None
    identity_method: str
    reason_code: str | None
    reason_text: str | None
    submitted_at: datetime
    review_due_at: datetime
    effective_date: date
    needs_person: bool
    decided_at: datetime | None
    decided_by: str | None
    rejection_reasons: list[dict[str, Any]]
    refund_method: str | None
    quote: dict[str, Any]
    findings: list[dict[str, Any]]
    batch_id: str | None
    timeline: list[TimelineEntry]


class ApplicationSummary(BaseModel):
    application_no: str
    status: str
    brand: str
    msisdn: str
    kind: str
    channel: str
    staff_ref: str | None
    submitted_at: datetime
    review_due_at: datetime
    effective_date: date
    needs_person: bool


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    total: int
    limit: int
    offset: int


class Note(Body):
    note: str | None = Field(None, max_length=1000)


class StaffWithdraw(Note):
    channel: Literal["hotline", "chat", "store", "mail"]


class Reject(Body):
    reasons: list[str] = Field(min_length=1, max_length=10, description="rejection reason codes")
    note: str | None = Field(None, max_length=1000)


# --- public ----------------------------------------------------------------------------------------------
class CancellationIn(Body):
    kind: Literal["ordinary", "extraordinary"]
    reason: str | None = Field(None, max_length=2000, description="required for an extraordinary cancellation")
    customer_name: str = Field(min_length=1, max_length=200)
    msisdn: str = Msisdn
    end_date_wanted: date | None = Field(None, description="empty: as soon as possible")
    email: str = Field(min_length=3, max_length=254)
    locale: Literal["en", "de", "zh-CN"] = "en"
    brand: str | None = PhoneBrand


class ReceiptOut(BaseModel):
    request_no: str
    received_at: datetime = Field(description="date and time of receipt (UTC)")
    received_at_local: str = Field(description="the same in the brand's time zone")
    kind: str
    end_date_wanted: date | None
    email: str
    msisdn: str


class CancellationConfirm(Body):
    code: str = Field(min_length=1, max_length=12, description="the code sent by SMS to the line")
    consequences_confirmed: list[str] | None = Field(
        None, max_length=20, description="absent: the answer is the quote and the consequences to show (state "
        "`quote`); then every consequence code shown, confirmed, makes the application")
    id_tail: str | None = Field(None, max_length=6, description="the last 6 characters of the ID number, where "
                                "the brand's identity rule asks for it (`identity`: line_code_and_id_tail)")


class CancellationOutcome(BaseModel):
    request_no: str
    state: Literal["quote", "confirmed", "blocked", "awaiting_confirmation", "expired"]
    quote: dict[str, Any] | None = Field(None, description="state quote: the exact amounts and dates")
    consequences: dict[str, dict[str, str]] | None = Field(
        None, description="state quote: code → the sentence to show; confirm every one")
    identity: Literal["line_code", "line_code_and_id_tail"] | None = Field(
        None, description="state quote: line_code_and_id_tail asks for id_tail too")
    application_no: str | None = None
    status: str | None = None
    code: str | None = None
    message: str | None = None
    findings: list[dict[str, Any]] = Field(default_factory=list)


class StatusLookup(Body):
    application_no: str = Field(min_length=1, max_length=20)
    line_last4: str = Field(min_length=4, max_length=4, pattern=r"^[0-9]{4}$",
                            description="the last 4 digits of the line's number")


class StatusOut(BaseModel):
    application_no: str
    status: str
    brand: str
    submitted_at: datetime
    updated_at: datetime
    review_due_at: datetime
    effective_date: date


# --- ES2+ ------------------------------------------------------------------------------------------------
class Es2Header(Incoming):
    functionRequesterIdentifier: str = Field(min_length=1, max_length=120)
    functionCallIdentifier: str = Field(min_length=1, max_length=120)


class NotificationPointStatus(Incoming):
    status: Literal["Executed-Success", "Executed-WithWarning", "Failed", "Expired"]
    statusCodeData: dict[str, Any] | None = None


class DownloadProgressInfo(Incoming):
    """ES2+ handleDownloadProgressInfo (SGP.22), SM-DP+ → operator."""

    header: Es2Header
    iccid: str = Field(pattern=r"^[0-9]{18,20}[Ff]?$")
    profileType: str = Field(max_length=120)
    timestamp: datetime
    notificationPointId: int | str = Field(description="an integer, or a decimal string (pySim)")
    notificationPointStatus: NotificationPointStatus
    eid: str | None = Field(None, pattern=r"^[0-9]{32}$")
    resultData: str | None = Field(None, max_length=20000)
    tac: str | None = Field(None, max_length=16)
    imei: str | None = Field(None, max_length=20)


class Health(BaseModel):
    status: Literal["ok"]
