"""Settings of the test project; the environment picks addresses for subprocess tests."""

from __future__ import annotations

import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "dephealth_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "project.urls"
APP_NAME = os.environ.get("DJTEST_APP_NAME", "dephealth-django-tests")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("DJTEST_PG_PORT", "5432"),
        "NAME": "test",
        "USER": "postgres",
        "PASSWORD": "not-a-real-secret",
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"application_name": APP_NAME},
    },
    "local": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
if os.environ.get("DJTEST_SQLITE_DEFAULT"):
    # For management commands that write (migrate): keep the shared PostgreSQL untouched.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["DJTEST_SQLITE_DEFAULT"],
        },
        "pg": DATABASES["default"],
    }
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("DJTEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    },
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
DEPHEALTH = {
    "name": "django-tests",
    "group": "dephealth",
    "check_interval": float(os.environ.get("DJTEST_INTERVAL", "15")),
    "timeout": float(os.environ.get("DJTEST_TIMEOUT", "2")),
    "caches": {"default": {"critical": True}},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"dephealth": {"handlers": ["stderr"], "level": "INFO"}},
}
