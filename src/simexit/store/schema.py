"""Every table module, imported once, so that ``metadata`` knows the whole schema.

Add one import line here for each new ``tables_<area>.py`` (migrations and tests use this module).
"""

from simexit.store import (  # noqa: F401
    tables,
    tables_api,
    tables_audit,
    tables_auth,
    tables_bulk,
    tables_messaging,
    tables_numbers,
    tables_public,
    tables_worker,
)
from simexit.store.tables import metadata

__all__ = ["metadata"]
