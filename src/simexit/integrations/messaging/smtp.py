"""E-mail over SMTP: one multipart/alternative message (plain text + HTML) per outbox row.

The Message-ID is derived from the idempotency key, so a resend after a crash carries the same id and the
receiving side (or a person) can recognise it as the same message.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Literal

from simexit.integrations import limits
from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.messaging.rendering import render

SYSTEM = "smtp"


def message_id(idempotency_key: str, domain: str) -> str:
    """``<sx-<first 32 hex of sha256(key)>@domain>``: the same key always gives the same Message-ID."""
    return f"<sx-{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


def build_email(message: OutgoingMessage, sender: str) -> EmailMessage:
    rendered = render(message.template, message.locale, message.payload)
    _, from_addr = parseaddr(sender)
    domain = from_addr.rpartition("@")[2] or "simexit.localhost"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = message.recipient
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(message.idempotency_key, domain)
    msg["X-Simexit-Template"] = message.template
    msg.set_content(rendered.text, charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    msg["Content-Language"] = message.locale  # after set_content, which drops Content-* headers
    return msg


class SmtpSender:
    """``MessageSender`` for ``kind == "email"``."""

    kind = "email"

    def __init__(self, host: str, port: int, sender: str, *, tls: Literal["none", "starttls", "tls"] = "none",
                 user: str | None = None, password: str | None = None, timeout_s: float = 10.0) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise ValueError(f"smtp tls must be none, starttls or tls, not {tls!r}")
        Address(addr_spec=parseaddr(sender)[1])  # refuse a malformed From at start-up
        self.host, self.port, self.sender, self.tls = host, port, sender, tls
        self.user, self.password, self.timeout_s = user, password, timeout_s

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s,
                                    context=ssl.create_default_context())
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        if self.tls == "starttls":
            conn.starttls(context=ssl.create_default_context())
        return conn

    def send(self, message: OutgoingMessage) -> str:
        msg = build_email(message, self.sender)
        try:
            with limits.gate(SYSTEM).slot(), self._connect() as conn:
                if self.user:
                    conn.login(self.user, self.password or "")
                conn.send_message(msg)
        except smtplib.SMTPAuthenticationError as e:
            raise IntegrationError(SYSTEM, "SMTP_AUTH_FAILED", f"login refused ({e.smtp_code})",
                                   retryable=False) from None
        except smtplib.SMTPRecipientsRefused as e:
            code = next(iter(e.recipients.values()))[0] if e.recipients else 550
            raise IntegrationError(SYSTEM, "SMTP_RECIPIENT_REFUSED", f"the server refused the recipient ({code})",
                                   retryable=400 <= code < 500) from None
        except smtplib.SMTPResponseException as e:
            raise IntegrationError(SYSTEM, "SMTP_REFUSED", f"the server answered {e.smtp_code}",
                                   retryable=400 <= e.smtp_code < 500) from None
        except TimeoutError:
            raise IntegrationError(SYSTEM, "SMTP_TIMEOUT", f"no answer from {self.host}:{self.port} within "
                                   f"{self.timeout_s} s", retryable=True) from None
        except (OSError, smtplib.SMTPException) as e:
            raise IntegrationError(SYSTEM, "SMTP_UNREACHABLE", f"{self.host}:{self.port}: {type(e).__name__}",
                                   retryable=True) from None
        return msg["Message-ID"]
