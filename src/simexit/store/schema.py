"""Every table module, imported once, so that ``metadata`` knows the whole schema.

Add one import line here for each new ``tables_<area>.py`` (migrations and tests use this module).
"""

import simexit.store.tables_bulk  # noqa: F401
from simexit.store import tables  # noqa: F401
from simexit.store.tables import metadata

__all__ = ["metadata"]
