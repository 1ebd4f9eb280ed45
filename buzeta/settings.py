"""BuzETA settings: one module, driven by the environment (see .env.example)."""

from __future__ import annotations

import warnings
from email.utils import formataddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from buzeta.env import (
    env_bool,
    env_clock,
    env_float,
    env_int,
    env_is_set,
    env_list,
    env_str,
    env_weekly,
    env_window,
)
from buzeta.private_files import private_dir, private_file

BASE_DIR = Path(__file__).resolve().parent.parent

APP_ENV = env_str("APP_ENV", "development").lower()
if APP_ENV not in ("development", "staging", "production"):
    raise ImproperlyConfigured(f"APP_ENV must be development, staging or production, not {APP_ENV!r}")
IS_DEVELOPMENT = APP_ENV == "development"

# Off unless asked for, even in development: `make run` is the product, and
# a customer must never see a debug page.
DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG and not IS_DEVELOPMENT:
    raise ImproperlyConfigured("DJANGO_DEBUG may only be on when APP_ENV=development")

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not IS_DEVELOPMENT:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when APP_ENV is not development")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 - development only, refused above

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if IS_DEVELOPMENT else [])
if not ALLOWED_HOSTS and not IS_DEVELOPMENT:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when APP_ENV is not development")

DATA_DIR = private_dir(Path(env_str("BUZETA_DATA_DIR", str(BASE_DIR / "var"))).resolve())

INSTALLED_APPS = [
    "buzeta",
    "buzeta.admin_app.BuzetaAdminConfig",  # django.contrib.admin, with our site (buzeta/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "csp",
    "audit",
    "customers",
    "statuses",
    "odata",
    "history",
    "reports",
    "notifications",
]

MIDDLEWARE = [
    "buzeta.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Straight after SecurityMiddleware, as whitenoise documents, so static
    # files skip the rest of the stack.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses pages (a big report's HTML shrinks ~10x). BREACH: Django pads each gzip
    # header with random bytes ("Heal the BREACH"), CSRF tokens are masked per response, and
    # the one secret on a customer page, its link id, is already in the URL an attacker
    # would have to know. Below WhiteNoise, so static files keep its precompressed copies.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns django-ratelimit's exception into RATELIMIT_VIEW's 429 (else it would be a 403).
    "django_ratelimit.middleware.RatelimitMiddleware",
    "buzeta.middleware.DatabaseTroubleMiddleware",
]

ROOT_URLCONF = "buzeta.urls"
WSGI_APPLICATION = "buzeta.wsgi.application"

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
                "buzeta.context_processors.brand",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Owner-only before SQLite first opens it (SQLite would create it world-readable).
    private_file(Path(DATABASES["default"]["NAME"]))
    # WAL lets readers carry on while the worker writes; the busy timeout
    # makes a writer wait for the lock instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too: in-memory SQLite shares one cache with table locks
    # that ignore the busy timeout, unlike the WAL file production runs on.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-au"
USE_I18N = True
USE_TZ = True

# --- Staff sign-in (django-allauth, Google) -----------------------------------

# Google sign-in for staff; passwords only for superusers (break-glass).
AUTHENTICATION_BACKENDS = ["buzeta.staff.auth.SuperuserPasswordBackend"]
ACCOUNT_ADAPTER = "buzeta.staff.auth.StaffAccountAdapter"
SOCIALACCOUNT_ADAPTER = "buzeta.staff.auth.StaffSocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_RATE_LIMITS = {"login_failed": "5/m/ip,10/5m/key"}
SOCIALACCOUNT_LOGIN_ON_GET = False  # a POST with CSRF starts the Google flow
SOCIALACCOUNT_AUTO_SIGNUP = False
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "admin:index"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online", "prompt": "select_account"},
        "APPS": (
            [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]
            if GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET
            else []
        ),
    }
}

# Branding (README, "The customer page"): who the customer buys from, and how to reach them, on the customer
# page, every e-mail and the error pages.
BUZ_COMPANY_NAME = env_str("BUZ_COMPANY_NAME", "BuzETA")
BUZ_CONTACT_EMAIL = env_str("BUZ_CONTACT_EMAIL")
BUZ_CONTACT_PHONE = env_str("BUZ_CONTACT_PHONE")

# E-mail: SMTP when EMAIL_URL or EMAIL_HOST is set (Django's usual EMAIL_* variables);
# otherwise development writes each message to a file under var/mail/.
EMAIL_URL = env_str("EMAIL_URL")
EMAIL_CONFIGURED = bool(EMAIL_URL) or env_is_set("EMAIL_HOST")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
if EMAIL_URL:
    # smtp:// (port 25), submission:// (STARTTLS, 587), smtps:// (TLS, 465); ?timeout=, ?tls=1, ?ssl=1.
    with warnings.catch_warnings():  # its notice that smtps:// may go; we read smtps ourselves below
        warnings.simplefilter("ignore")
        _email = dj_email_url.parse(EMAIL_URL)
    if EMAIL_URL.partition("://")[0] not in ("smtp", "smtps", "submission", "submit") or not _email["EMAIL_HOST"]:
        raise ImproperlyConfigured("EMAIL_URL must look like submission://user:password@smtp.example.com:587")
    _implicit_tls = EMAIL_URL.startswith("smtps://")  # TLS from the first byte; dj-email-url reads it as STARTTLS
    EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"], _email["EMAIL_PORT"] or (465 if _implicit_tls else 25)
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_USER"] or "", _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS, EMAIL_USE_SSL = (
        (False, True) if _implicit_tls else (_email["EMAIL_USE_TLS"], _email["EMAIL_USE_SSL"])
    )
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or EMAIL_TIMEOUT
elif EMAIL_CONFIGURED:
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_CONFIGURED:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif IS_DEVELOPMENT:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
else:
    # Nothing to send with: the subscribe form is hidden (NOTIFICATIONS_ENABLED) and nothing is queued.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", formataddr((BUZ_COMPANY_NAME, "no-reply@localhost")))

# --- Caches and rate limits ------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
# Caches shared by every process, so rate limits, allauth's throttle and anything else
# counted hold across web workers: Redis when configured, else tables in the database
# (created by `migrate`, see buzeta/apps.py; why not Django's own: buzeta/cache.py).
# The rate-limit counters have a cache of their own, where nothing else can crowd them out.
if REDIS_URL:
    _REDIS = "django.core.cache.backends.redis.RedisCache"
    _SHARED_CACHE = {"BACKEND": _REDIS, "LOCATION": REDIS_URL}
    _COUNTERS = {"BACKEND": _REDIS, "LOCATION": REDIS_URL, "KEY_PREFIX": "ratelimit"}
else:
    _SHARED_CACHE = {"BACKEND": "buzeta.cache.AtomicDatabaseCache", "LOCATION": "buzeta_cache"}
    _COUNTERS = {"BACKEND": "buzeta.cache.CounterCache", "LOCATION": "buzeta_ratelimit"}
CACHES = {
    "default": _SHARED_CACHE,
    "ratelimit": _COUNTERS,
    # Rendered report pages, reused for REPORT_PAGE_CACHE_SECONDS: per process and
    # bounded (entries and size, see reports/views.py), never shared.
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 100}},
}
# django-ratelimit knows only django_redis and memcached by name; both of ours are shared and atomic.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_PUBLIC = env_str("RATELIMIT_PUBLIC", "60/m")
RATELIMIT_POLLING = env_str("RATELIMIT_POLLING", "240/m")
RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "10/m")
RATELIMIT_SUBSCRIBE = env_str("RATELIMIT_SUBSCRIBE", "10/h")  # sign-ups for e-mail updates, per IP
RATELIMIT_API = env_str("RATELIMIT_API", "120/m")  # per API key
# Wrong API keys per IP: past this, every API request from that address waits out the window.
RATELIMIT_API_BAD_KEYS = env_str("RATELIMIT_API_BAD_KEYS", "10/m")
# Request bodies over 1 MB are refused (the API answers 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
RATELIMIT_VIEW = "buzeta.views.rate_limited"
RATELIMIT_IP_META_KEY = "buzeta.views.client_ip"
# Addresses of reverse proxies whose X-Real-IP header is believed (nginx on the same host by default).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["127.0.0.1", "::1"])

# --- HTTP security -----------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "buzeta.views.csrf_failure"
if not IS_DEVELOPMENT:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_PROXY", True):
        # The TLS-terminating proxy (nginx, a load balancer) says which scheme the client used.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_SELF],
        "frame-ancestors": [_NONE],
        # Google sign-in continues on Google's site after our form posts.
        "form-action": [_SELF, "https://accounts.google.com"],
    }
}

# --- Business rules (README, "Configuration") -------------------------------------------

BUZ_TIMEZONE = env_str("BUZ_TIMEZONE", "Australia/Sydney")
try:
    ZoneInfo(BUZ_TIMEZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"BUZ_TIMEZONE {BUZ_TIMEZONE!r} is not a known time zone") from None
TIME_ZONE = BUZ_TIMEZONE

BUZ_FINISHED_STATUSES = env_list(
    "BUZ_FINISHED_STATUSES",
    [
        "cancelled",
        "invoiced",
        "invoice ex gst fees - actioned in xero",
        "invoice ex gst fees - not in xero",
    ],
)
BUZ_CONNECT_TIMEOUT = env_float("BUZ_CONNECT_TIMEOUT", 5.0, minimum=0.1)
BUZ_READ_TIMEOUT = env_float("BUZ_READ_TIMEOUT", 20.0, minimum=0.1)
# The one upstream time budget: the longest one request to BuzManager may take (three
# connection attempts, one read). Everything that waits on upstream is sized from it.
BUZ_FETCH_BUDGET_SECONDS = env_float("BUZ_FETCH_BUDGET_SECONDS", 3 * BUZ_CONNECT_TIMEOUT + BUZ_READ_TIMEOUT, minimum=1)
# A fetch lease covers one request and is renewed before the next.
FETCH_LEASE_SECONDS = BUZ_FETCH_BUDGET_SECONDS + 10
# A report job makes a few requests (two accounts in parallel, paging, group members).
REPORT_JOB_TIMEOUT_SECONDS = int(6 * BUZ_FETCH_BUDGET_SECONDS) + 30
# Staff lookups still call upstream inside the request: gunicorn waits for three of them.
GUNICORN_TIMEOUT = int(3 * BUZ_FETCH_BUDGET_SECONDS) + 30
# A running job whose heart has not beaten for this long is taken as dead (re-queued once).
BUZ_JOB_STALL_SECONDS = env_int("BUZ_JOB_STALL_SECONDS", 60, minimum=5)
BUZ_COOLDOWN_MINUTES = env_int("BUZ_COOLDOWN_MINUTES", 10, minimum=0)
# A Retry-After longer than the cooldown is honoured, up to this.
BUZ_COOLDOWN_MAX_MINUTES = env_int("BUZ_COOLDOWN_MAX_MINUTES", 60, minimum=0)
# After any other failure (timeout, refused, 500…) the account is left alone this long,
# so page views during an outage are not each another upstream call.
BUZ_FAILURE_BACKOFF_SECONDS = env_int("BUZ_FAILURE_BACKOFF_SECONDS", 60, minimum=0)
# The longest a web request waits for upstream (through a report job) before it answers
# the loading page or a friendly error instead: well under gunicorn's timeout.
BUZ_WEB_WAIT_SECONDS = env_float("BUZ_WEB_WAIT_SECONDS", 8.0, minimum=0)
# Threads per web process (gunicorn.conf.py reads the same variable); at most half may wait on upstream.
GUNICORN_THREADS = env_int("GUNICORN_THREADS", 4, minimum=1)
BUZ_FRESH_MINUTES = env_int("BUZ_FRESH_MINUTES", 5, minimum=0)
BUZ_BLACKOUT = env_window("BUZ_BLACKOUT", "10:00-16:00")
# ETA history: a move this recent is told on the customer page; events and closed orders older go.
BUZ_ETA_CHANGE_DAYS = env_int("BUZ_ETA_CHANGE_DAYS", 14, minimum=1)
BUZ_ETA_HISTORY_DAYS = env_int("BUZ_ETA_HISTORY_DAYS", 400, minimum=30)
# "Likely by": from the slips of orders done in the last BUZ_FORECAST_DAYS, with at least
# BUZ_FORECAST_MIN_ORDERS of a line (else the account's); BUZ_FORECAST_PUBLIC=0 shows it to staff only.
BUZ_FORECAST_DAYS = env_int("BUZ_FORECAST_DAYS", 180, minimum=7)
BUZ_FORECAST_MIN_ORDERS = env_int("BUZ_FORECAST_MIN_ORDERS", 20, minimum=1)
BUZ_FORECAST_PUBLIC = env_bool("BUZ_FORECAST_PUBLIC", True)
# Staff's day list (/staff/today) names open orders still without a date after this many days.
BUZ_UNSCHEDULED_DAYS = env_int("BUZ_UNSCHEDULED_DAYS", 7, minimum=1)
BUZ_PREWARM_AT = env_clock("BUZ_PREWARM_AT", "09:30")

# E-mail alerts and the weekly digest (notifications/). Links in e-mails need the address
# customers use; in development it is this machine's `make run`.
BUZ_PUBLIC_URL = env_str(
    "BUZ_PUBLIC_URL", f"http://127.0.0.1:{env_str('BUZETA_PORT', '8000')}" if IS_DEVELOPMENT else ""
).rstrip("/")
NOTIFICATIONS_ENABLED = bool(BUZ_PUBLIC_URL) and (EMAIL_CONFIGURED or IS_DEVELOPMENT)
BUZ_NOTIFY_MINUTES = env_int("BUZ_NOTIFY_MINUTES", 15, minimum=0)
BUZ_DIGEST_AT = env_weekly("BUZ_DIGEST_AT", "mon 07:30")

# A link opened by a whole office at once: the rendered page is reused for this
# many seconds per URL (0 = off). Changes show at most this late.
REPORT_PAGE_CACHE_SECONDS = env_int("REPORT_PAGE_CACHE_SECONDS", 5, minimum=0)
# Per process, counted in lines (~1 KB of memory a line; the two share the rows they hold):
# cache entries' decoded rows, and the orders built from them, kept per data version.
CACHE_ROWS_MEMO_LINES = env_int("CACHE_ROWS_MEMO_LINES", 150_000, minimum=0)
REPORT_MEMO_LINES = env_int("REPORT_MEMO_LINES", 150_000, minimum=0)
# How long a process keeps the forecast table (history.forecast) before reading the finished orders again.
FORECAST_MEMO_SECONDS = env_int("FORECAST_MEMO_SECONDS", 600, minimum=0)
VIEW_COUNT_FLUSH_SECONDS = env_int("VIEW_COUNT_FLUSH_SECONDS", 30, minimum=0)

# Exports (README, "The report"): the fixed columns, then these upstream fields when
# allowed. Anything else, and anything matching the deny pattern in
# reports/exports.py (costs, prices, margins, keys, notes, barcodes…), never leaves.
BUZ_EXPORT_EXTRA_COLUMNS = env_list("BUZ_EXPORT_EXTRA_COLUMNS", ["Customer", "Qty", "Location"])
# A printout of the full report holds at most this many orders; past it, it says how many it
# leaves out and points to the Excel download.
BUZ_PRINT_MAX_ORDERS = env_int("BUZ_PRINT_MAX_ORDERS", 2000, minimum=1)
# Built exports kept on disk for repeat downloads (reports/kept_exports.py): at most this many
# per customer and in all, least recently used out first.
BUZ_EXPORTS_KEPT_PER_CUSTOMER = env_int("BUZ_EXPORTS_KEPT_PER_CUSTOMER", 10, minimum=1)
BUZ_EXPORTS_KEPT_TOTAL = env_int("BUZ_EXPORTS_KEPT_TOTAL", 500, minimum=1)

# --- BuzManager accounts ------------------------------------------------------

_HAS_CREDENTIALS = any(env_is_set(f"BUZ_{acc}_USERNAME") for acc in ("DD", "CBR"))
BUZ_DEMO = env_bool("BUZ_DEMO", IS_DEVELOPMENT and not _HAS_CREDENTIALS)
# Every customer's data refreshed this often (0: only the daily prewarm and visitors), so ETA
# history and alerts see a move within the hour; the demo refreshes often to show the simulator's.
BUZ_REFRESH_MINUTES = env_int("BUZ_REFRESH_MINUTES", 3 if BUZ_DEMO else 60, minimum=0)
# The built-in simulator (manage.py buz_simulator) and the login it accepts.
BUZ_SIMULATOR_URL = env_str("BUZ_SIMULATOR_URL", "http://127.0.0.1:8765/reports").rstrip("/")
BUZ_SIMULATOR_USERNAME = env_str("BUZ_SIMULATOR_USERNAME", "buzeta")
BUZ_SIMULATOR_PASSWORD = env_str("BUZ_SIMULATOR_PASSWORD", "demo")


def _account(name: str, path: str) -> dict[str, str]:
    if env_is_set(f"BUZ_{name}_URL"):  # an explicit URL always wins over demo mode
        url = env_str(f"BUZ_{name}_URL")
    elif BUZ_DEMO:
        url = f"{BUZ_SIMULATOR_URL}/{path}"
    else:
        url = f"https://api.buzmanager.com/reports/{path}"
    username = env_str(f"BUZ_{name}_USERNAME", BUZ_SIMULATOR_USERNAME if BUZ_DEMO else "")
    password = env_str(f"BUZ_{name}_PASSWORD", BUZ_SIMULATOR_PASSWORD if BUZ_DEMO else "")
    return {"url": url.rstrip("/"), "username": username, "password": password}


# What customers call each account, where an order number alone would not tell two orders apart.
BUZ_ACCOUNT_LABELS = {
    "DD": env_str("BUZ_DD_LABEL", "Factory 1"),
    "CBR": env_str("BUZ_CBR_LABEL", "Factory 2"),
}
BUZ_ACCOUNTS = {"DD": _account("DD", "DESDR"), "CBR": _account("CBR", "WATSO")}

# --- Static files -------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# Development serves straight from the source folders, no collectstatic needed.
# Files browsers and crawlers ask for at the root (/favicon.ico, /robots.txt), served by whitenoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
WHITENOISE_USE_FINDERS = IS_DEVELOPMENT
WHITENOISE_AUTOREFRESH = IS_DEVELOPMENT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if IS_DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Background jobs (django-q2) ----------------------------------------------

Q_CLUSTER = {
    "name": "buzeta",
    # REDIS_URL moves the queue to Redis; without it the database is the broker, which the
    # web process wakes when it queues a job (reports/broker.py).
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default", "broker_class": "reports.broker.WakeableOrm"}),
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": REPORT_JOB_TIMEOUT_SECONDS,
    "retry": REPORT_JOB_TIMEOUT_SECONDS + 30,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
}

# --- Logging and error tracking ----------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
# One JSON object per line outside development (for log shippers), readable text in it.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if IS_DEVELOPMENT else "json")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "buzeta.middleware.RequestIdLogFilter"},
        "redact_secrets": {"()": "buzeta.log_redaction.RedactSecretsFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        # No link ids, tokens or query strings in any line (buzeta/log_redaction.py).
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from buzeta.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=APP_ENV)
