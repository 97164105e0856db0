"""Words for codes (states, channels, events, reasons, card kinds) in the current language."""

from __future__ import annotations

from simexit.web.i18n import _


def status_label(code: str) -> str:
    return {
        "submitted": _("Submitted"), "pending_review": _("Waiting for review"), "approved": _("Approved"),
        "executing": _("Being closed"), "completed": _("Closed"), "rejected": _("Rejected"),
        "withdrawn": _("Withdrawn"), "needs_attention": _("Needs attention"),
        "active": _("Active"), "suspended": _("Suspended"), "closed": _("Closed"),
    }.get(code, code)


def event_label(code: str) -> str:
    return {
        "submitted": _("Application received"), "queued_for_review": _("Queued for review"),
        "approved": _("Approved"), "rejected": _("Rejected"), "withdrawn": _("Withdrawn"),
        "network_service_until_next_auth": _("Network: service ends at the next authentication"),
        # a family closure's parts (issue 17)
        "part_closed": _("Another part of the closure was closed"),
        "part_moved": _("A secondary line was moved to another main line"),
        "part_failed": _("A part of the closure could not be done"),
        "execution_partial": _("Closed in part: one part could not be done"),
    }.get(code, code.replace("_", " "))


def channel_label(code: str) -> str:
    return {
        "online": _("Online"), "app": _("App"), "hotline": _("Hotline"), "chat": _("Online chat"),
        "store": _("Store"), "mail": _("Mail-in"),
    }.get(code, code)


def kind_label(code: str) -> str:
    return {"sim": _("SIM card"), "esim": _("eSIM"), "data": _("Data-only card")}.get(code, code)


def reason_label(code: str) -> str:
    return {
        "moving_abroad": _("Moving abroad"), "switching_operator": _("Switching to another operator"),
        "no_longer_needed": _("No longer needed"), "too_expensive": _("Too expensive"),
        "device_lost": _("Device lost"), "deceased_holder": _("The holder has died"),
        "business_closed": _("Business closed"), "other": _("Other"),
    }.get(code, code)


def refund_method_label(code: str) -> str:
    return {
        "original_payment": _("Back to the original payment method"), "bank_transfer": _("Bank transfer"),
        "alipay": _("Alipay"), "wechat_pay": _("WeChat Pay"), "store_cash": _("Cash at a store"),
        "account_credit": _("Credit on another account"),
    }.get(code, code)


def refund_field_label(code: str) -> str:
    return {"iban_or_account": _("IBAN or account number"), "holder": _("Account holder"),
            "account": _("Account")}.get(code, code)


def identity_method_label(code: str) -> str:
    return {
        "otp": _("One-time code to the line"), "id_number": _("ID number typed by the customer"),
        "id_document_inspected": _("ID document inspected in person"),
        "service_password": _("Service password (hotline)"), "id_copy_mailed": _("ID copies mailed in"),
        "esim_app_session": _("Signed in to the eSIM app"), "email_link": _("Link sent to the e-mail on file"),
    }.get(code, code)


def severity_label(code: str) -> str:
    return {"blocker": _("Must be fixed first"), "warning": _("Please note"), "info": _("For your information")
            }.get(code, code)


def record_set_label(code: str) -> str:
    return {"real_name": _("Real-name registration"), "billing": _("Billing records"),
            "consent": _("Consent records"), "application": _("This application")}.get(code, code)
