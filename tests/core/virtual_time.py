"""The virtual clock of the engine's unit tests: the public one of ``dephealth_core.testing``."""

from __future__ import annotations

from dephealth_core.testing import VirtualTimeLoop, run_virtual

__all__ = ["VirtualTimeLoop", "run_virtual"]
