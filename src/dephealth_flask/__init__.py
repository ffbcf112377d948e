"""dephealth adapter for Flask: ``DepHealth(app)`` or ``DepHealth()`` plus ``init_app(app)``.

The extension builds one :class:`~dephealth_core.DependencyHealth` per app from code and the
``DEPHEALTH_*`` keys of ``app.config``, serves the health views from a blueprint, and runs the
checks in the process's background thread (started at the first request by default).
"""

from __future__ import annotations

from ._blueprint import make_blueprint
from ._extension import EXTENSION_KEY, DepHealth
from ._state import DepHealthState, StartMode

__all__ = ["EXTENSION_KEY", "DepHealth", "DepHealthState", "StartMode", "make_blueprint"]
