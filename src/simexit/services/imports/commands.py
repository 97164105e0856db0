"""Use cases of the import: load a JSON Lines file of customers, lines and their records, all or nothing.

Only simexit's own operators import (the CLI on the server, the demo loader): the caller is ``System``.
"""

from __future__ import annotations

from collections.abc import Iterable

from simexit.services.access.caller import Caller, require_system
from simexit.services.context import Simexit
from simexit.services.imports import importer
from simexit.services.imports.views import ImportReport


def import_jsonl(app: Simexit, caller: Caller, rows: Iterable[str | bytes]) -> ImportReport:
    """Import every line of ``rows`` in one transaction; ``ImportFailed`` (IMPORT_INVALID) names each bad line
    and field, and then nothing is stored."""
    require_system(caller)
    return importer.import_jsonl(app, rows)
