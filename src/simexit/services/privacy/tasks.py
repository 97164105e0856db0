"""What the worker runs for privacy (listed in worker/registry.py):

- ``erasure_due``: a closed line's personal data is due for erasure (``erasure.handle_erasure_due``);
- ``export_build``: a customer's requested data export is built (``export.handle_export_build``).
"""

from __future__ import annotations

from simexit.services.privacy.erasure import handle_erasure_due
from simexit.services.privacy.export import BUILD_TIMER, handle_export_build

STEPS: dict = {}
TIMERS = {"erasure_due": handle_erasure_due, BUILD_TIMER: handle_export_build}
