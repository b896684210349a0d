"""Settings for citesmart: one module, every value from the environment (see dotenv-sample)."""

import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from citesmart.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent  # the checkout, when run from a clone
VAR_DIR = Path(env_str("CITESMART_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "insecure-development-key-do-not-use-in-production"  # noqa: S105 - DEBUG only
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 40):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or too short while DEBUG is off. Set a random value of 50+ "
        "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))', "
        "or set DEBUG=1 for local development."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "citesmart.geo",
    "citesmart.network",
    "citesmart.accounts",
    "citesmart.units",
    "citesmart.records",
    "citesmart.analytics",
    "citesmart.service_requests",
    "citesmart.opendata",
    "citesmart.portal",
    "citesmart.targets",
    "citesmart.historic",
    "citesmart.reports",
    "citesmart.publications",
    "citesmart.surveys",
    "citesmart.demo",  # the demo data generator and its commands (make demo)
    "ninja",  # ships the Swagger UI files served at /api/v1/docs/
    "citesmart.api",
    "citesmart.ops",
]

MIDDLEWARE = [
    # First: request id, access metrics, CSP and a clean 503 when the database is away.
    "citesmart.ops.middleware.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # whitenoise's, serving collectstatic's compressed copies in demo mode too (ops.staticfiles)
    "citesmart.ops.staticfiles.StaticFilesMiddleware",
    # Compresses pages (static files come precompressed from whitenoise, above). BREACH: the
    # portal's figures pages carry no secret; forms carry Django's per-request masked CSRF
    # token, and GZipMiddleware pads its output with random bytes (Django >= 4.2).
    # (The page cache's entries are compressed once, when stored: see portal.pagecache.)
    "citesmart.ops.middleware.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "citesmart.api.middleware.ApiMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "citesmart.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns lock-outs into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "citesmart.urls"
WSGI_APPLICATION = "citesmart.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "citesmart.ops.demo.demo_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'citesmart.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while one writer commits; a busy timeout avoids spurious
    # "database is locked" errors under the development server's threads.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lock an account+client pair out for an hour after five failed logins, and a client address
# out of every account after twenty failures across accounts (a spray: accounts/lockout.py).
# The client address comes from ops.clients (TRUSTED_PROXIES), not from the proxy's address.
# Surveys (citesmart.surveys, docs/SURVEYS.md): link lifetime, how far back send_surveys
# looks, per-client answers per minute, and the fewest respondents a published figure has.
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 30)
SURVEY_SEND_WINDOW_DAYS = env_int("SURVEY_SEND_WINDOW_DAYS", 90)
SURVEY_REQUESTS_PER_MINUTE = env_int("SURVEY_REQUESTS_PER_MINUTE", 20)
SURVEY_MIN_RESPONDENTS = env_int("SURVEY_MIN_RESPONDENTS", 10)

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "citesmart.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "citesmart.ops.clients.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False
# ITP staff (national administrators and analysts, who reach every center's personal data)
# must pass TOTP; off by default only in DEBUG (demo, development). The older name of the
# variable, OTP_REQUIRED_FOR_NATIONAL_ADMINS, is still read.
OTP_REQUIRED_FOR_NATIONAL_STAFF = env_bool(
    "OTP_REQUIRED_FOR_NATIONAL_STAFF", env_bool("OTP_REQUIRED_FOR_NATIONAL_ADMINS", not DEBUG)
)
OTP_TOTP_ISSUER = "citesmart"
# Four eyes: whoever recorded a service report's content does not validate it (another
# manager of the center or a national administrator does); off by default only in DEBUG.
RECORDS_FOUR_EYES = env_bool("RECORDS_FOUR_EYES", not DEBUG)

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "es-pe")
LANGUAGES = [("es-pe", "Español (Perú)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/Lima")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]  # the portal's CSS and JS (not inside an app)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Compressed copies (.gz; .br with the brotli package) in demo mode too, without the
        # manifest's hashed names (a file added in development needs no collectstatic).
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # a working day for staff
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A monitor or load balancer on the private network asks the app server itself over
    # plain HTTP (through nginx a client address is only known with TRUSTED_PROXIES).
    SECURE_REDIRECT_EXEMPT = [r"^salud/$", r"^metricas/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list is a decision for the owner of the whole domain
        # (gob.pe), not for one application: opt in with SECURE_HSTS_PRELOAD=1.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The answer time the request form promises (working days); the ITP sets the real figure.
SERVICE_REQUEST_ANSWER_DAYS = env_int("SERVICE_REQUEST_ANSWER_DAYS", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "citesmart <no-responder@itp.gob.pe>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Uploaded import files that no batch names (an import killed midway) are removed after this
# many minutes by `citesmart sweep_uploads` (hourly timer) or by an import, at most once per
# IMPORT_SWEEP_INTERVAL_MINUTES; an import in progress holds its file with a renewed lease
# whatever its age (records/imports/uploads.py).
IMPORT_ORPHAN_MINUTES = env_int("IMPORT_ORPHAN_MINUTES", 60)
IMPORT_SWEEP_INTERVAL_MINUTES = env_int("IMPORT_SWEEP_INTERVAL_MINUTES", 60)
# A checked file ("solo verificación") can be registered without a new upload for this many
# hours; the sweep removes it after that.
IMPORT_CHECK_HOURS = env_int("IMPORT_CHECK_HOURS", 72)
# Targets: a center is flagged as behind when its achievement to date falls short of the
# phased target to date by more than this fraction (0.10 = ten percentage points).
TARGETS_BEHIND_MARGIN = float(env_str("TARGETS_BEHIND_MARGIN", "0.10"))
# Public API (citesmart.api): anonymous rate per IP, token rate, body size, cache lifetime.
API_ANON_RATE = env_str("API_ANON_RATE", "300/min")
API_TOKEN_RATE = env_str("API_TOKEN_RATE", "600/min")
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
API_CACHE_SECONDS = env_int("API_CACHE_SECONDS", 300)
# Tokens travel only over HTTPS unless DEBUG or this is set (e.g. a TLS-terminating proxy
# that does not send X-Forwarded-Proto).
API_ALLOW_HTTP_TOKENS = env_bool("API_ALLOW_HTTP_TOKENS", False)
# Client addresses for lock-out, rate limits, logs and /metricas/ (ops/clients.py):
# REMOTE_ADDR, unless it is one of TRUSTED_PROXIES (addresses or CIDRs, e.g. 127.0.0.1 for
# nginx on the same host); then the first address of X-Forwarded-For, read from the right,
# that is not a trusted proxy. API_NUM_PROXIES (older: the N-th address from the right of
# X-Forwarded-For) applies only while TRUSTED_PROXIES is empty.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
API_NUM_PROXIES = env_int("API_NUM_PROXIES", 0)
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or CIDR network "
            "(e.g. 127.0.0.1 or 10.0.0.0/8, separated by commas)."
        ) from _error
# Operations (citesmart.ops, docs/DEPLOYMENT.md): JSON logs with request ids unless
# LOG_FORMAT=text; who may read /metricas/ (through a proxy an address counts only when the
# proxy is one of TRUSTED_PROXIES: ops.clients.known_client_ip); when /salud/ reports trouble.
LOGGING["filters"] = {"request_id": {"()": "citesmart.ops.logs.RequestIdFilter"}}
LOGGING["formatters"] = {
    "json": {"()": "citesmart.ops.logs.JsonFormatter"},
    "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
}
LOGGING["handlers"]["console"]["filters"] = ["request_id"]
LOGGING["handlers"]["console"]["formatter"] = env_str("LOG_FORMAT", "text" if DEBUG else "json")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1/32,::1/128")
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
HEALTH_ANALYTICS_MAX_LAG = env_int("HEALTH_ANALYTICS_MAX_LAG", 600)
HEALTH_OPENDATA_MAX_AGE_DAYS = env_int("HEALTH_OPENDATA_MAX_AGE_DAYS", 35)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Web workers of a server running `citesmart analytics watch` need not refresh themselves.
ANALYTICS_AUTO_REFRESH = env_bool("ANALYTICS_AUTO_REFRESH", True)
# `citesmart serve` turns this on: requests never wait for a freshness check or a refresh.
ANALYTICS_BACKGROUND_REFRESH = env_bool("ANALYTICS_BACKGROUND_REFRESH", False)
# Server processes (gunicorn, runserver) and `analytics watch` listen for committed writes
# and refresh the read model at once (analytics/push.py): LISTEN/NOTIFY or, on SQLite, a poll.
ANALYTICS_PUSH = env_bool("ANALYTICS_PUSH", True)

# Analytics answers and the rendered public dashboard pages, shared by the worker processes
# of one app server (analytics/sharedcache.py, docs/DEPLOYMENT.md). Like the DuckDB read model:
# one directory per app server, never on a disk shared by several servers. Keys name the
# read model's build, so a new generation makes every old entry unreachable; MAX_ENTRIES caps
# the directory. ANALYTICS_CACHE_BACKEND may name e.g. Django's RedisCache (LOCATION
# redis://...) or DummyCache (no sharing at all).
_FILE_CACHE = "citesmart.analytics.filecache.AmortizedFileBasedCache"
_ANALYTICS_CACHE_BACKEND = env_str("ANALYTICS_CACHE_BACKEND", _FILE_CACHE)
CACHES = {
    # The rate limits (the API's, the lookups of requests by tracking code) are counted here:
    # files under var/cache/default, so the worker processes of one app server count together
    # (a cache in each process gave a client WEB_CONCURRENCY times its limit). Several app
    # servers count together in a cache they share, e.g. CACHE_BACKEND=django.core.cache.
    # backends.db.DatabaseCache with CACHE_LOCATION=citesmart_cache (after `citesmart
    # createcachetable`), or Django's RedisCache (docs/DEPLOYMENT.md, scaling out).
    "default": {
        "BACKEND": env_str("CACHE_BACKEND", _FILE_CACHE),
        "LOCATION": env_str("CACHE_LOCATION", str(VAR_DIR / "cache" / "default")),
    },
    "analytics": {
        "BACKEND": _ANALYTICS_CACHE_BACKEND,
        "LOCATION": env_str("ANALYTICS_CACHE_LOCATION", str(VAR_DIR / "cache" / "analytics")),
        "TIMEOUT": env_int("ANALYTICS_CACHE_TIMEOUT", 7 * 24 * 3600),
        "KEY_PREFIX": "citesmart",
    },
}
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    # One entry per client and limit: room for many clients before Django culls at random.
    CACHES["default"]["OPTIONS"] = {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 20000)}
if _ANALYTICS_CACHE_BACKEND.endswith(("FileBasedCache", "LocMemCache")):
    # Beyond MAX_ENTRIES a third of the entries is dropped at random (Django's culling).
    CACHES["analytics"]["OPTIONS"] = {
        "MAX_ENTRIES": env_int("ANALYTICS_CACHE_MAX_ENTRIES", 5000),
        "CULL_FREQUENCY": 3,
    }
# Seconds a rendered dashboard or center page is reused within one read model build: the
# pages also show registry data (catalogue, names) and today's date, which reach them within
# this time on every server (at once on the server where the registry was edited). 0: off.
ANALYTICS_PAGE_CACHE_SECONDS = env_int("ANALYTICS_PAGE_CACHE_SECONDS", 600)
