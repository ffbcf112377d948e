"""Django project of the reliability suite; addresses and timings come from the environment.

``REL_DB_*`` and ``REL_CACHE_*`` point ``DATABASES`` and ``CACHES`` (discovered by the
adapter) at the machine's PostgreSQL and Redis by default, often through fault proxies.
Other dependencies come from ``DEPHEALTH_*`` variables, read by the core. ``REL_LOG_LEVEL``
sets the level of the root logger (stderr).
"""

from __future__ import annotations

import os

SECRET_KEY = "reliability-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = ["dephealth_django"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "relproject.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("REL_DB_PORT", "5432"),
        "NAME": os.environ.get("REL_DB_NAME", "test"),
        "USER": os.environ.get("REL_DB_USER", "postgres"),
        "PASSWORD": os.environ.get("REL_DB_PASSWORD", "trust-auth-any-password"),
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"application_name": os.environ.get("REL_APP_NAME", "dephealth-reliability")},
    },
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get(
            "REL_CACHE_LOCATION", f"redis://127.0.0.1:{os.environ.get('REL_CACHE_PORT', '6379')}/15"
        ),
    },
}
DEPHEALTH = {
    "show_details": "always",
    "metrics": True,
    "caches": {"default": {"critical": True}},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("REL_LOG_LEVEL", "WARNING")},
    "loggers": {"dephealth": {"level": os.environ.get("REL_LOG_LEVEL", "INFO")}},
}
