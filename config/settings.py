"""Django settings. Every value an operator may change comes from search_service.settings (the environment)."""

import logging
from pathlib import Path

from search_service.database import database_config
from search_service.instantsearch.params import MAX_BODY_BYTES
from search_service.settings import load_settings

BASE_DIR = Path(__file__).resolve().parent.parent

SEARCH = load_settings()

SECRET_KEY = SEARCH.django_secret_key.get_secret_value()
DEBUG = SEARCH.django_debug
ALLOWED_HOSTS = SEARCH.django_allowed_hosts

INSTALLED_APPS = [
    "servestatic",  # its configuration checks (manage.py check)
    "corsheaders",  # its configuration checks
    "django.contrib.staticfiles",  # finds ninja's Swagger UI assets and the search page's; collectstatic
    "ninja",
    "search_service",
]

# Only what this API needs: every middleware costs time per request, a sync one a thread hop; each of these is
# async (django-cors-headers' is async-capable). It has no sessions, cookies, CSRF-protected forms or users.
# The access log and the metrics are outermost, so that their durations cover every answer the others make.
# The security headers go on every answer, refusals included. CORS answers preflights before the rate limit and the
# API key, which browsers never send with them, and puts its headers on their refusals (a page can read a 429).
# The static files come after the Host check and the rate limit, which they obey like any path, and inside the
# JSON 405, so a POST to one answers like any other; for every other path ServeStatic costs a dictionary lookup.
MIDDLEWARE = [
    "search_service.access_log.access_log_middleware",
    "search_service.metrics.middleware.metrics_middleware",
    "search_service.middleware.security_headers_middleware",
    "search_service.middleware.instantsearch_errors_middleware",
    "search_service.middleware.allowed_hosts_middleware",
    "corsheaders.middleware.CorsMiddleware",
    "search_service.middleware.rate_limit_middleware",
    "search_service.analytics.middleware.search_analytics_middleware",
    "search_service.middleware.method_not_allowed_as_json",
    "servestatic.middleware.ServeStaticMiddleware",
]

# CORS (django-cors-headers): which browser origins may call the API, and what their scripts may send and read.
# No credentials (cookies): the API uses none; a page sends its API key as a header, if it must.
CORS_ALLOWED_ORIGINS = SEARCH.cors_allowed_origins
# POST and the x-algolia-* headers: InstantSearch's clients (endpoints/instantsearch.py).
CORS_ALLOW_METHODS = ("GET", "POST", "OPTIONS")
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "x-api-key",
    "x-request-id",
    "x-algolia-api-key",
    "x-algolia-application-id",
)
CORS_EXPOSE_HEADERS = ("Retry-After", "X-Request-ID", "WWW-Authenticate")
CORS_PREFLIGHT_MAX_AGE = 3600

# Every endpoint is GET but InstantSearch's POSTs. SearchASGIHandler refuses any other request that announces a
# body before reading it, and theirs past MAX_BODY_BYTES; should one get through, reading it fails too.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

# Elasticsearch holds the documents; the database only search analytics (search_service/database.py).
DATABASES = {"default": database_config(SEARCH, BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]

# Static files (the OpenAPI page's Swagger UI, the search page's script and style) are served by the app itself in
# every mode, by ServeStatic.
# The image runs `collectstatic` at build time: STATIC_ROOT then holds every file and its gzip variant, which is
# served to clients that accept it. Without it (tests, `make dev`) the files are served from where the apps ship them.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_COLLECTED = STATIC_ROOT.is_dir()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # Django's default; nothing uses it
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedStaticFilesStorage"},
}
SERVESTATIC_USE_STATIC_ROOT = STATIC_COLLECTED
SERVESTATIC_USE_FINDERS = not STATIC_COLLECTED
# The names carry no content hash (ninja's template names them, and a manifest would make /docs fail wherever
# collectstatic has not run), so browsers may keep a copy for an hour, then revalidate it (a 304 by ETag).
SERVESTATIC_MAX_AGE = 3600
USE_TZ = True
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"


def not_an_elasticsearch_fault(record: logging.LogRecord) -> bool:
    """False for Django's log line of a 502/503/504: errors.py has logged the cause (Elasticsearch unreachable,
    slow, answering 503 or nonsense) at the level it deserves, and Django would repeat it at ERROR, without it."""
    return getattr(record, "status_code", None) not in (502, 503, 504)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "search_service.json_logs.JsonFormatter"},
    },
    "filters": {
        "not_an_elasticsearch_fault": {"()": "django.utils.log.CallbackFilter", "callback": not_an_elasticsearch_fault}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # The access log on stdout, one JSON object a line, apart from the other logs (stderr, plain text).
        "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    # The client logs every request at INFO; at WARNING it reports only failures.
    "loggers": {
        "elastic_transport.transport": {"level": "WARNING"},
        "django.request": {"filters": ["not_an_elasticsearch_fault"]},
        "search_service.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
