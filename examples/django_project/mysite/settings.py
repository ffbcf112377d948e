"""Example settings: PostgreSQL and Redis discovered, one explicit HTTP dependency."""

from __future__ import annotations

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "dephealth_django",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "NAME": os.environ.get("PGDATABASE", "test"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"application_name": "dephealth-example"},
    },
    # Not checked (SQLite): the log says so once.
    "scratch": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
}

DEPHEALTH = {
    "name": "example-shop",
    "group": "example-team",
    "check_interval": 10,
    "timeout": 3,
    # Discovered: DATABASES["default"] as "postgres-main", CACHES["default"] as "cache-default".
    "databases": {"default": {"name": "postgres-main", "critical": True}},
    "caches": {"default": {"critical": False}},
    # Any other dependency, in the core's configuration format.
    "dependencies": {
        "payment-api": {
            "type": "http",
            "url": os.environ.get("PAYMENT_URL", "http://127.0.0.1:8081/health"),
            "critical": False,
        },
    },
    "prefix": "/ops",
    "metrics": True,
    # Staff see hosts, latencies and details on /ops/health and /ops/health/details.
    "show_details": lambda request: request.user.is_staff,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"dephealth": {"handlers": ["console"], "level": "INFO"}},
}
