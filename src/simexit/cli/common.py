"""What every command module of the CLI shares: building the application, printing results (``--json``) and
turning refusals into exit code 2 with a message on stderr. Command modules import this and the use cases,
never each other (the registry in ``simexit.cli.main`` loads them)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from simexit.domain.errors import DomainError
from simexit.domain.policy import PolicyError

DEFAULT_IDENTITY = {"online": "otp", "app": "otp", "hotline": "service_password", "chat": "service_password",
                    "store": "id_document_inspected", "mail": "id_copy_mailed"}


def _fail(message: str) -> None:
    click.echo(f"simexit: {message}", err=True)
    sys.exit(2)


def refusals(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map domain and policy errors to exit code 2 with a clear message (and, with --json, a JSON error)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DomainError as e:
            detail = "".join(f"\n  - {f['code']}: {f['message']['en']}" for f in e.data.get("findings", []))
            detail += "".join(f"\n  - line {x['line']}: {x['message']}" for x in e.data.get("errors", [])[1:])
            detail += "".join(f"\n  - did you mean {r}?" for r in e.data.get("readings", []))
            detail += "".join(f"\n  - {region}: {ex}" for region, ex in e.data.get("examples", {}).items())
            _fail(f"{e.code}: {e.message}{detail}")
        except PolicyError as e:
            _fail(f"{e.code}: {e}")

    return wrapper


def _app(migrate: bool = False):  # type: ignore[no-untyped-def]
    from simexit.bootstrap import bootstrap

    return bootstrap(migrate=migrate)


def _out(obj: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False, default=str, indent=2))
    else:
        human(obj)


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def refund_destination(items: tuple[str, ...]) -> dict[str, str]:
    """``--refund-to KEY=VALUE`` options as a dict (a malformed one is a usage error, exit 2)."""
    dest: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--refund-to")
        dest[key] = value
    return dest
