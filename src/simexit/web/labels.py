"""Words for codes (states, channels, events, reasons, card kinds) in the current language."""

from __future__ import annotations

from simexit.domain.errors import DomainError
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
        "execution_started": _("Closing started"), "completed": _("Line closed"),
        "needs_attention": _("Needs attention"), "retried": _("Tried again"),
        "sla_escalated": _("Review overdue: escalated"),
        # a family closure's parts (issue 17)
        "part_closed": _("Another part of the closure was closed"),
        "part_moved": _("A secondary line was moved to another main line"),
        "part_failed": _("A part of the closure could not be done"),
        "execution_partial": _("Closed in part: one part could not be done"),
    }.get(code, _humanise(code))


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


def evidence_key_label(code: str) -> str:
    """The name of an identity-evidence field that staff recorded (console)."""
    return {
        "checked_by": _("Checked by"), "document_last4": _("Last 4 characters of the ID document"),
        "note": _("Note"), "sign_in": _("Sign-in"), "second_factor": _("Second factor"), "session": _("Session"),
        "via": _("Received through"), "request_no": _("Request number"), "kind": _("Kind"),
        "recorded_via": _("Recorded through"), "method": _("Method"),
    }.get(code, _humanise(code))


def evidence_value_label(value: object) -> str:
    text = "" if value is None else str(value)
    return {
        "sms_otp": _("One-time code by SMS"), "id_tail_6": _("Last 6 characters of the ID number"),
        "public_cancellation": _("Cancellation button form"), "cli": _("Command line"),
        "ordinary": _("Ordinary cancellation"), "extraordinary": _("Extraordinary cancellation"),
    }.get(text, text)


def id_type_label(code: str | None) -> str:
    return {"passport": _("Passport"), "cn_resident_id": _("Resident identity card"),
            "national_id": _("National ID card")}.get(code or "", code or "")


def actor_label(code: str | None) -> str:
    return {"system": _("simexit"), "customer": _("Customer"), "staff": _("Staff"), "partner": _("Partner"),
            "public": _("Anyone")}.get(code or "", code or "")


def consequence_label(code: str) -> str:
    return {"NO_REACTIVATION": _("No reactivation"), "DATA_ERASURE": _("Data erasure"), "REFUND": _("Refund"),
            "FEES": _("Fees"), "AMOUNT_DUE": _("Amount still due")}.get(code, _humanise(code))


def note_label(note: str | None) -> str:
    """Notes simexit itself writes into timelines, in the reader's language; anything else as written."""
    if not note:
        return ""
    return {"clean application, approved automatically": _("Clean application, approved automatically"),
            "needs a person": _("Needs a person to review it")}.get(note, note)


def finding_label(code: str) -> str:
    return {
        "LINE_NOT_ACTIVE": _("The line is not active"), "IDENTITY_UNVERIFIED": _("Identity not verified"),
        "ARREARS": _("Unpaid bills"), "CONTRACT_ACTIVE": _("Contract term still running"),
        "SERVICES_BOUND": _("Services still use the number"), "DEVICES_BOUND": _("Devices still bound"),
        "ESIM_INSTALLED": _("eSIM still installed"), "PORT_OUT_PENDING": _("Number transfer in progress"),
        "APPLICATION_OPEN": _("An application is already open"), "RECENT_SIM_CHANGE": _("Recent SIM change"),
        "BALANCE_REFUNDABLE": _("Balance"), "CANCELLATION_FEE": _("Cancellation fee"),
    }.get(code, _humanise(code))


def error_text(e: DomainError) -> str:
    """A refusal (a DomainError's code) as a sentence in the reader's language, never the code itself."""
    code, data = e.code, e.data
    if code == "PRECHECK_BLOCKED":
        from simexit.web.i18n import localized

        texts = [localized(f.get("message")) for f in (data or {}).get("findings", [])
                 if isinstance(f, dict) and f.get("severity") == "blocker"]
        if texts:
            return _("The line cannot be closed yet:") + " " + " ".join(texts)
        return _("The line cannot be closed yet.")
    known = {
        "LINE_NOT_ACTIVE": _("This line is no longer active."),
        "LINE_NOT_FOUND": _("We do not know this line."),
        "APPLICATION_NOT_FOUND": _("No such application."),
        "CONSEQUENCES_NOT_CONFIRMED": _("Please tick every box to show you have read it."),
        "REFUND_METHOD_REQUIRED": _("Please choose where the refund goes."),
        "REFUND_METHOD_NOT_OFFERED": _("This refund method is not offered by this brand."),
        "REFUND_DESTINATION_INCOMPLETE": _("The refund details are incomplete or not valid."),
        "EFFECTIVE_DATE_TOO_EARLY": _("This end date is not possible. Please choose another date."),
        "EFFECTIVE_DATE_TOO_LATE": _("This end date is not possible. Please choose another date."),
        "CHANNEL_NOT_ALLOWED_FOR_ROLE": _("Your role may not take applications on this channel."),
        "CHANNEL_NOT_OFFERED": _("This brand does not take applications on this channel."),
        "IDENTITY_METHOD_NOT_ALLOWED": _("Staff cannot record a self-service check (a code sent to the line, "
                                         "an app session) on this channel."),
        "IDENTITY_MISMATCH": _("The identity details do not match the real-name record."),
        "REASON_TOO_LONG": _("The reason is too long."),
        "REJECTION_REASON_REQUIRED": _("Choose at least one reason the customer can act on."),
        "REJECTION_NOTE_REQUIRED": _("This reason needs a note for the customer."),
        "BRAND_NOT_PERMITTED": _("This brand is not one of yours."),
        "EMAIL_INVALID": _("Please give an e-mail address we can send the confirmation to."),
        "NAME_REQUIRED": _("Please give the name of the contract holder."),
        "ID_NUMBER_INVALID": _("That is not an ID number we can read."),
        "TRANSITION_NOT_ALLOWED": _("This cannot be done in the application's current state."),
        "RATE_LIMITED": _("Too many requests. Please wait and try again."),
        "CHANNEL_NOT_PERMITTED": _("Your role may not take applications on this channel."),
        "ROLE_NOT_PERMITTED": _("Your role may not do this."),
        "SECOND_FACTOR_REQUIRED": _("Please confirm the last 6 characters of your ID number first."),
        "REASON_REQUIRED": _("Please choose a reason."),
        "NOTE_REQUIRED": _("Write down what you checked at the outside system before you confirm its state."),
        "OUTSIDE_STATE_NOT_UNCERTAIN": _("There is no outside state to confirm: the outside system refused this "
                                         "step, it did not leave its state uncertain. Retry the step, or fix the "
                                         "cause first."),
        "NO_FAILED_STEP": _("This closure has no failed step to retry."),
    }
    if code in known:
        return known[code]
    if code.startswith("MSISDN"):
        return _("That is not a phone number we can read.")
    return _("This request could not be completed.")


def step_label(code: str) -> str:
    """A closing step of the saga (domain.saga.STEPS), as staff read it."""
    return {
        "start": _("Start the closure"), "network_bar": _("Bar the line on the network"),
        "network_deregister": _("Detach the line from the network"),
        "esim_release": _("Cancel the eSIM profile at the SM-DP+"),
        "network_delete": _("Delete the subscriber on the network"),
        "family_parts": _("Close or move the family's other parts"), "final_bill": _("Final bill"),
        "refund": _("Pay out the refund"), "account_close": _("Close the line and the account"),
        "confirmation": _("Send the confirmation to the customer"),
        "relying_parties": _("Tell relying parties of the disconnection"),
        "finish": _("Finish: schedule erasure and the number's quarantine"),
    }.get(code, _humanise(code))


def step_error_label(code: str | None) -> str:
    """What a failed step's outside error means, in words; the error itself is shown as the system wrote it."""
    return {
        "ESIM_STATE_UNCERTAIN": _("The SM-DP+ refused a repeated cancellation for the very state the first try may "
                                  "have set: the first try's answer was lost. Only a look at the SM-DP+ tells "
                                  "whether the profile is already Unavailable."),
        "PROFILE_CANNOT_BE_RELEASED": _("The SM-DP+ refused to cancel the profile in its current state."),
        "PROFILE_ALREADY_DOWNLOADED": _("The SM-DP+ says the profile was downloaded to a device: it cannot be "
                                        "cancelled there."),
        "ICCID_UNKNOWN": _("The SM-DP+ does not know this profile."),
    }.get(code or "", _("The outside system refused the step or could not be reached, every time it was "
                        "tried."))


def _humanise(code: str) -> str:
    """Last resort for a code without a label: words, never the raw code."""
    return code.replace("_", " ").strip().lower().capitalize()


def citation_label(law: str) -> str:
    """A retention rule's legal citation (brand policy text, written in English) in the reader's language."""
    return {
        "MIIT Order No. 25, Art. 11: real-name record 2 years after termination":
            _("MIIT Order No. 25, Art. 11: real-name record 2 years after termination"),
        "Accounting Archives Measures: 5 years (summary)": _("Accounting Archives Measures: 5 years (summary)"),
        "HGB §257 / AO §147: accounting records 10 years": _("HGB §257 / AO §147: accounting records 10 years"),
        "California auto-renewal law: consent evidence 3 years":
            _("California auto-renewal law: consent evidence 3 years"),
        "IRS record keeping, 7 years": _("IRS record keeping, 7 years"),
    }.get(law, law)


def role_label(code: str) -> str:
    return {"agent": _("Agent"), "store_clerk": _("Store clerk"), "reviewer": _("Reviewer"),
            "supervisor": _("Supervisor"), "admin": _("Administrator")}.get(code, _humanise(code))


def report_name_label(code: str) -> str:
    return {"applications": _("Applications by brand, channel, reason and outcome"),
            "sla": _("Reviews within the deadline"), "refunds": _("Refunds"),
            "erasures": _("Erasure of personal data")}.get(code, _humanise(code))


def report_column_label(code: str) -> str:
    return {
        "brand": _("Brand"), "channel": _("Channel"), "reason": _("Reason"), "outcome": _("Outcome"),
        "applications": _("Applications"), "decided": _("Decided"), "within_sla": _("On time"), "late": _("Late"),
        "open_overdue": _("Open and overdue"), "compliance_pct": _("On time (%)"), "currency": _("Currency"),
        "state": _("State"), "refunds": _("Refunds"), "amount_minor": _("Amount (minor units)"), "day": _("Day"),
        "record_set": _("Records"), "subjects": _("Subjects"), "rows_erased": _("Rows erased"),
    }.get(code, _humanise(code))


def report_cell_label(value: object, column: str) -> str:
    """A report's cell as staff read it: codes in words (the CSV keeps the codes)."""
    if value is None or value == "":
        return "–" if column == "reason" else ""
    text = str(value)
    if column == "channel":
        return channel_label(text)
    if column == "reason":
        return reason_label(text)
    if column == "outcome":
        return status_label(text)
    if column == "record_set":
        return record_set_label(text)
    if column == "state":
        return {"paid": _("Paid"), "pending": _("Pending"), "done": _("Done"), "due": _("Due")}.get(text, text)
    return text


def audit_action_label(code: str) -> str:
    """An audit entry's action (``application.approved``, ``auth.sign_in``) in words."""
    known = {"auth.sign_in": _("Signed in"), "auth.sign_in_failed": _("Sign-in failed"),
             "auth.sign_out": _("Signed out"), "export.requested": _("Data export requested"),
             "export.built": _("Data export ready"), "erasure.done": _("Personal data erased")}
    if code in known:
        return known[code]
    subject, _sep, action = code.rpartition(".")
    return event_label(action) if subject in ("application", "") else _humanise(action)
