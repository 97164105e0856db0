"""Use cases of bulk closure that change state: register a file as a batch, run it, approve it.

Callers: staff through the API (an agent's or clerk's batch is limited to their brands and their role's intake
channels; approving needs the review permission), and ``System`` — simexit's operators on the server (the CLI)
and the API's background job that runs an uploaded batch. The CLI's ``bulk approve --staff`` builds a staff
caller with every brand.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from simexit.domain.errors import Forbidden
from simexit.domain.roles import INTAKE_CHANNELS, Permission
from simexit.services.access.caller import Caller, StaffIdentity, System, require_staff, require_system
from simexit.services.bulk import approval, closure, queue_decisions
from simexit.services.bulk.decision import BulkOptions
from simexit.services.bulk.views import BatchApproval, BatchProgress, QueueDecision
from simexit.services.closure.applications import Actor
from simexit.services.context import Simexit

DEFAULT_CHUNK = closure.DEFAULT_CHUNK


def intake_options(caller: Caller, channel: str, identity_method: str, *, confirm: list[str] | None = None,
                   refund_method: str | None = None, refund_destination: dict[str, str] | None = None,
                   staff_ref: str | None = None) -> BulkOptions:
    """What holds for every row of the caller's batch. Staff: their role's channels, their name, their brands.
    ``System`` (the CLI): the staff member named by ``staff_ref`` takes the applications, on any channel."""
    if isinstance(caller, System):
        return BulkOptions(channel=channel, identity_method=identity_method, staff_ref=staff_ref,
                           staff_role="agent" if staff_ref else None, confirm=confirm, refund_method=refund_method,
                           refund_destination=refund_destination)
    who = require_staff(caller, Permission.APPLY_ON_BEHALF)
    channels = INTAKE_CHANNELS[who.role]
    if channel not in channels:
        raise Forbidden("CHANNEL_NOT_ALLOWED_FOR_ROLE", f"a {who.role.value} takes applications on "
                        f"{', '.join(sorted(channels))}", allowed=sorted(channels))
    return BulkOptions(channel=channel, identity_method=identity_method, staff_ref=who.username,
                       staff_role=who.role.value, confirm=confirm, refund_method=refund_method,
                       refund_destination=refund_destination, brands=sorted(who.brands))


def start(app: Simexit, caller: Caller, path: Path, opts: BulkOptions, *, fmt: str | None = None) -> BatchProgress:
    """Register the file as a batch (or find the batch it already is); nothing is applied yet. A refused file
    (not UTF-8, a line too long, not CSV) is refused here, before anything is stored."""
    if not isinstance(caller, System):
        who = require_staff(caller, Permission.APPLY_ON_BEHALF)
        if opts.staff_ref != who.username or opts.brands != sorted(who.brands):
            raise Forbidden("CALLER_NOT_PERMITTED", "these batch options were made for someone else")
    return BatchProgress(**closure.start_batch(app, path, opts, fmt=fmt))


def run(app: Simexit, caller: Caller, batch_id: str, path: Path, *, progress: closure.Progress | None = None,
        chunk_size: int = DEFAULT_CHUNK) -> BatchProgress:
    """Apply for every row not yet done, chunk by chunk (one transaction each); resumable at any point."""
    require_system(caller)
    return BatchProgress(**closure.run_batch(app, batch_id, path, progress=progress, chunk_size=chunk_size))


def approve(app: Simexit, caller: Caller, batch_id: str, *, only: Sequence[str] | None = None,
            note: str | None = None) -> BatchApproval:
    """Approve the batch's applications waiting for review, or only the numbers in ``only`` (one transaction)."""
    who: StaffIdentity = require_staff(caller, Permission.REVIEW)
    return BatchApproval(**approval.approve_batch(app, batch_id, Actor.of_staff(who), only=only, note=note,
                                                  caller=who))


def decide_queue_selection(app: Simexit, caller: Caller, selection: queue_decisions.QueueFilter, decision: str, *,
                           reasons: Sequence[str] = (), note: str | None = None, exclude: Sequence[str] = (),
                           shown: Sequence[str] | None = None) -> QueueDecision:
    """A reviewer approves or rejects (with a reason) the applications of their filtered review queue, but the
    excluded ones (queue_decisions.decide_selection)."""
    return queue_decisions.decide_selection(app, caller, selection, decision, reasons=reasons, note=note,
                                            exclude=exclude, shown=shown)
