"""The Django app: registers system checks and signal receivers; no I/O, builds nothing."""

from __future__ import annotations

from django.apps import AppConfig


class DepHealthConfig(AppConfig):
    """``"dephealth_django"`` in ``INSTALLED_APPS``."""

    name = "dephealth_django"
    label = "dephealth"
    verbose_name = "Dependency health"

    def ready(self) -> None:
        from django.core import checks
        from django.core.signals import request_started
        from django.test.signals import setting_changed

        from ._runtime import ensure_started, on_setting_changed
        from .checks import check_settings

        checks.register(check_settings, "dephealth")
        request_started.connect(ensure_started, dispatch_uid="dephealth-start")
        setting_changed.connect(on_setting_changed, dispatch_uid="dephealth-settings")
