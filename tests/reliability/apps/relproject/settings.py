"""Django project of the reliability suite; addresses and timings come from the environment.

``REL_DB_PORT`` and ``REL_CACHE_PORT`` point ``DATABASES`` and ``CACHES`` (discovered by the
adapter) at the machine's PostgreSQL and Redis, usually through fault proxies. Other
dependencies come from ``DEPHEALTH_*`` variables, read by the core.
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
        "NAME": "test",
        "USER": "postgres",
        "PASSWORD": os.environ.get("REL_DB_PASSWORD", "trust-auth-any-password"),
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"application_name": os.environ.get("REL_APP_NAME", "dephealth-reliability")},
    },
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{os.environ.get('REL_CACHE_PORT', '6379')}/15",
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
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"dephealth": {"handlers": ["stderr"], "level": "INFO"}},
}
