"""Staff roles and what each may do. Every staff account is scoped to brands as well."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"  # hotline and online chat
    STORE_CLERK = "store_clerk"  # counter in a store
    REVIEWER = "reviewer"  # back office
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW_APPLICATIONS = "view_applications"
    APPLY_ON_BEHALF = "apply_on_behalf"
    REVIEW = "review"
    RETRY_EXECUTION = "retry_execution"
    VIEW_REPORTS = "view_reports"
    MANAGE_STAFF = "manage_staff"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset({Permission.VIEW_APPLICATIONS, Permission.APPLY_ON_BEHALF}),
    Role.STORE_CLERK: frozenset({Permission.VIEW_APPLICATIONS, Permission.APPLY_ON_BEHALF}),
    Role.REVIEWER: frozenset({Permission.VIEW_APPLICATIONS, Permission.REVIEW}),
    Role.SUPERVISOR: frozenset({Permission.VIEW_APPLICATIONS, Permission.APPLY_ON_BEHALF, Permission.REVIEW,
                                Permission.RETRY_EXECUTION, Permission.VIEW_REPORTS}),
    Role.ADMIN: frozenset(Permission),
}

# Channels on which each role takes applications for a customer.
INTAKE_CHANNELS: dict[Role, frozenset[str]] = {
    Role.AGENT: frozenset({"hotline", "chat", "mail"}),
    Role.STORE_CLERK: frozenset({"store", "mail"}),
    Role.REVIEWER: frozenset(),
    Role.SUPERVISOR: frozenset({"hotline", "chat", "store", "mail"}),
    Role.ADMIN: frozenset({"hotline", "chat", "store", "mail"}),
}


def allowed(role: Role | str, permission: Permission) -> bool:
    return permission in GRANTS[Role(role)]


# The channel a role works on first (a clerk at the counter: the store), listed first wherever it picks one.
HOME_CHANNEL: dict[Role, str] = {Role.AGENT: "hotline", Role.STORE_CLERK: "store", Role.SUPERVISOR: "store",
                                 Role.ADMIN: "store"}


def intake_channels(role: Role | str) -> list[str]:
    """The role's intake channels, its home channel first, then alphabetically."""
    r = Role(role)
    home = HOME_CHANNEL.get(r)
    return sorted(INTAKE_CHANNELS[r], key=lambda c: (c != home, c))
