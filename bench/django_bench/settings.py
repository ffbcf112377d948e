"""Settings of the benchmark project: PostgreSQL and Redis on loopback, three endpoints."""

from __future__ import annotations

import importlib.util

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = ["dephealth_django"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "django_bench.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "NAME": "test",
        "USER": "postgres",
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"application_name": "dephealth-bench"},
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
    }
}
DEPHEALTH = {"name": "django-bench", "group": "bench", "check_interval": 5, "timeout": 2}
#: django-health-check, when bench/.venv-peers is on the path.
HAS_PEER = importlib.util.find_spec("health_check") is not None
if HAS_PEER:
    INSTALLED_APPS.append("health_check")
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
