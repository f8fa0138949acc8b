"""Leadsy settings: every knob is read from the environment, with an embedded default that needs no server.

Defaults give a self-contained development setup (SQLite, a filesystem Celery broker, files on
local disk). Production sets DEBUG=False and points DATABASE_URL, CELERY_BROKER_URL, CACHE_URL and the
AWS_* variables at real services; see the README for the full table.
"""

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from leadsy import logs
from leadsy.storage import local_storages, s3_storages

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("LEADSY_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "django-insecure-leadsy-development-key-do-not-use-in-production"  # noqa: S105 - refused when DEBUG is off

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "storages",
    "django_prometheus",
    "leadsy.api",
    "accounts",
    "companies",
    "billing",
    "legal",
    "campaigns",
    "imports",
    "devdata",
]

MIDDLEWARE = [
    # First: every response, redirects and errors included, carries the request id and gets its log line.
    "leadsy.logs.RequestContextMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "leadsy.api.middleware.OptionalTrailingSlashMiddleware",
    "leadsy.api.middleware.ApiNotFoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "leadsy.urls"
WSGI_APPLICATION = "leadsy.wsgi.application"
ASGI_APPLICATION = "leadsy.asgi.application"
# The API's trailing slash is optional (OptionalTrailingSlashMiddleware); never redirect.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "leadsy" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker share the file: WAL lets readers poll import progress
    # while the worker writes, and IMMEDIATE transactions avoid "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file (not :memory:) so that a real Celery worker started by the tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A process frozen inside a transaction (SIGSTOP, a stalled storage write) must not hold its locks for
    # ever: PostgreSQL ends the session, the transaction rolls back and the import's lease runs out.
    IDLE_IN_TRANSACTION_MS = env.int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=60_000)
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttles) --------------------------------------------------------------------------
# LocMem is per process: fine for `make run`; production must share it (CACHE_URL=redis://...).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://leadsy")}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24 * 3)
# Links in emails (set-password, invitations) point at the web client.
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000")
# The API's public origin (https://api.example.com), for file links built outside a request (webhook bodies,
# sent by a worker). Unset: those links are paths on the API's host.
API_BASE_URL = env.str("API_BASE_URL", default="")

# Production must give the JWTs a key of their own (deploy check leadsy.E001); development derives one.
JWT_SIGNING_KEY_IS_OWN = bool(env.str("JWT_SIGNING_KEY", default=""))
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # A separate key: leaking one of SECRET_KEY / the JWT key must not forge the other's tokens.
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=hashlib.sha256(f"jwt:{SECRET_KEY}".encode()).hexdigest()),
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a hash of the password: changing it revokes every access token at once.
    "CHECK_REVOKE_TOKEN": True,
}

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["leadsy.api.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: the schema then declares one request content type per operation, which is what client
    # generators need (openapi-python-client cannot import a client whose operations offer three). The upload
    # declares its own multipart parser; avatars travel as base64 inside JSON.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "leadsy.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "leadsy.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "leadsy.api.throttles.UserThrottle",
        "leadsy.api.throttles.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("THROTTLE_USER", default="1000/min"),
        "anon": env.str("THROTTLE_ANON", default="300/min"),
        "login_ip": env.str("THROTTLE_LOGIN_IP", default="20/min"),
        "login_email": env.str("THROTTLE_LOGIN_EMAIL", default="10/min"),
        "password_reset_ip": env.str("THROTTLE_PASSWORD_RESET_IP", default="30/hour"),
        "password_reset_email": env.str("THROTTLE_PASSWORD_RESET_EMAIL", default="5/hour"),
        "signup": env.str("THROTTLE_SIGNUP", default="20/hour"),
        "signup_user": env.str("THROTTLE_SIGNUP_USER", default="50/day"),
        "token_refresh": env.str("THROTTLE_TOKEN_REFRESH", default="60/min"),
        "verify_email_resend": env.str("THROTTLE_VERIFY_EMAIL_RESEND", default="5/hour"),
        "invitations_company": env.str("THROTTLE_INVITATIONS_COMPANY", default="100/day"),
        "invitation_code": env.str("THROTTLE_INVITATION_CODE", default="30/min"),
    },
    # Behind a proxy set NUM_PROXIES so the client IP is read from X-Forwarded-For; 0 ignores it
    # (a spoofed header must not reset a throttle).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_PAGE_SIZE = 25
API_MAX_PAGE_SIZE = 100

SPECTACULAR_SETTINGS = {
    "TITLE": "Leadsy API",
    "DESCRIPTION": (
        "Lead management: companies, users, campaigns and lead imports. Every object is wrapped in "
        "its singular name and every list in its plural name with a `meta` block. Validation errors "
        "are 422 with `{message, errors}`; other errors are `{message}`. The trailing slash of every "
        "path is optional. Send the JWT as `Authorization: Bearer <token>` (a bare token works too)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"HealthStateEnum": "leadsy.api.views.HEALTH_STATES"},
    # Swagger UI and ReDoc from the installed drf-spectacular-sidecar (pinned), not a CDN's @latest: the docs
    # work offline and change only when we upgrade. Swagger UI keeps the pasted token across reloads.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True},
}
# companies/billing: several models have a `status`; name each enum after its model.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "InvitationStatusEnum": "companies.models.Invitation.Status",
        "SubscriptionStatusEnum": "billing.models.Subscription.Status",
        "UserStatusEnum": "accounts.models.User.Status",
        "AuthErrorCodeEnum": "leadsy.api.schema.AUTH_ERROR_CODES",
    }
)

# --- CORS / CSRF (the web client lives on another origin) -------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# The web client may send its own request id and read ours (support quotes it from an error screen).
CORS_ALLOW_HEADERS = (*default_headers, "x-request-id")
CORS_EXPOSE_HEADERS = ["X-Request-ID"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Email ----------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Leadsy <no-reply@leadsy.local>")

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "leadsy" / "static"]  # the project's own (the back office's stylesheet)
# The image collects static files at build time outside the data volume (STATIC_ROOT=/app/static), so an upgrade
# serves the new release's assets instead of the ones a volume kept.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Import files hold customer data: never under MEDIA_ROOT, never served without authentication.
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES = s3_storages(
        bucket=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=None),
        region_name=env.str("AWS_S3_REGION_NAME", default=None),
    )
else:
    STORAGES = local_storages(private_root=str(PRIVATE_MEDIA_ROOT))
STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if not DEBUG
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# A 5 MB avatar in base64 JSON is about 6.7 MB; a larger body is answered 413 in JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads spool to a temporary file

# --- Celery ---------------------------------------------------------------------------------------
# A hostname kombu ignores for this transport, but warns about on every connection when it is missing.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task still running past this is delivered again; imports hold a database lease, so a
        # second delivery waits or resumes instead of duplicating work.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "socket_connect_timeout": 5,
    }
# The embedded defaults keep their state in folders under var/, which git ignores: create the ones in use
# here, so that the first command on a fresh clone (`make run`, or any manage.py command) finds them.
_embedded_folders = [VAR_DIR]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _embedded_folders.append(Path(DATABASES["default"]["NAME"]).parent)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _embedded_folders += [CELERY_BROKER_DIR, CELERY_BROKER_DIR / "control"]
if not AWS_STORAGE_BUCKET_NAME:
    _embedded_folders += [MEDIA_ROOT, PRIVATE_MEDIA_ROOT]
for _folder in _embedded_folders:
    _folder.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False
# Results are tracked in our own models (ImportFile), not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
# Acknowledge after the task ran, and requeue it when the worker child dies (late acks alone lose
# a task whose child is SIGKILLed).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A million-row import takes minutes; the soft limit lets a task record its state before the hard
# limit kills it. Imports resume from their checkpoint, so a kill loses no committed chunk.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60 + 300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "flush-expired-tokens": {
        "task": "leadsy.flush_expired_tokens",
        "schedule": crontab(hour=3, minute=30),  # daily, at a quiet hour (UTC)
    },
}

# Emails have a queue of their own (leadsy/mail.py), so a worker busy with long imports can be kept from
# delaying a password link (`celery worker -Q emails`); a worker started without -Q consumes both.
CELERY_IMPORTS = ["leadsy.mail"]
CELERY_TASK_DEFAULT_QUEUE = "celery"  # named: the metrics read its depth
CELERY_TASK_QUEUES = [Queue("celery"), Queue("emails"), Queue("webhooks"), Queue("search")]
# Webhook deliveries (up to 10 s each against a slow receiver) have their queue too, so they never wait
# behind an import nor hold one up; so does the lead-search indexing that follows each import.
CELERY_TASK_ROUTES = {
    "leadsy.send_email": {"queue": "emails"},
    "imports.import_finished": {"queue": "webhooks"},
    "imports.webhook_deliver": {"queue": "webhooks"},
    "imports.webhook_retry_due": {"queue": "webhooks"},
    "campaigns.index_lead_search": {"queue": "search"},
}

# --- Metrics (leadsy/metrics.py) ------------------------------------------------------------------
# /metrics answers `Authorization: Bearer <METRICS_TOKEN>`; unset, it is not served at all (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# prometheus-client's multiprocess mode: every web and worker process writes its samples here and /metrics adds
# them up, so web and worker must share it. Set before prometheus-client is first imported (it reads it then).
PROMETHEUS_MULTIPROC_DIR = Path(env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "metrics")))
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(PROMETHEUS_MULTIPROC_DIR)
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Error tracking (leadsy/sentry.py) -----------------------------------------------------------
# Off unless SENTRY_DSN is set; events carry no personal data (see leadsy/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from leadsy import sentry

    sentry.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default=None),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Security (production) ------------------------------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Health probes (the container's, a load balancer's) speak plain HTTP to the process itself.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/?$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies follow the redirect: on plain HTTP (docker-compose on localhost) secure cookies would never come
    # back and the admin login would fail its CSRF check.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=SECURE_SSL_REDIRECT)
    if env.bool("USE_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- I18N -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------------
# json in production (one object a line, with request_id, user_id, company_id, import_code: leadsy/logs.py);
# text for people (`make run`). The default follows DEBUG, so a production setting needs no extra knob.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "leadsy.logs.ContextFilter"}},
    "formatters": logs.formatters(),
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own console handler (on with DEBUG) printed every request warning a second time beside the
        # root's; and leadsy.request already writes one line per request with its status, so django.request
        # keeps only errors (an exception that no DRF handler logged) and runserver's access line goes.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
        "django.server": {"handlers": ["null"], "propagate": False},
    },
}

# campaigns: stable enum names whatever other `status`/`kind` fields the schema holds.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "QuestionKindEnum": "campaigns.models.Question.Kind",
        "LeadBulkActionEnum": "campaigns.services.BULK_ACTIONS",
    }
)

# --- Imports (file limits) ------------------------------------------------------------------------
# Checked at upload before anything is stored: over a size limit -> 413, over rows/columns -> 422.
IMPORT_MAX_CSV_BYTES = env.int("IMPORT_MAX_CSV_BYTES", default=512 * 1024 * 1024)
IMPORT_MAX_XLSX_BYTES = env.int("IMPORT_MAX_XLSX_BYTES", default=100 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_048_576)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=1000)
# calamine holds the whole first sheet in memory: an XLSX whose parts inflate beyond this (or that
# compress more than IMPORT_MAX_XLSX_RATIO times, a zip bomb) is refused before it is opened.
IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES", default=1024 * 1024 * 1024)
IMPORT_MAX_XLSX_RATIO = env.int("IMPORT_MAX_XLSX_RATIO", default=100)
# ...and peaks near 100 bytes a cell while loading it: 9 million cells (a full 1,048,576-row sheet of
# 8 columns) keep a worker under 1 GiB.
IMPORT_MAX_XLSX_CELLS = env.int("IMPORT_MAX_XLSX_CELLS", default=9_000_000)
IMPORT_CHUNK_SIZE = env.int("IMPORT_CHUNK_SIZE", default=50_000)

# --- Lead export (endpoint 62) --------------------------------------------------------------------
# An XLSX sheet holds 1,048,576 rows, the header included: a larger export answers 422 (CSV has no limit).
LEAD_EXPORT_XLSX_MAX_ROWS = env.int("LEAD_EXPORT_XLSX_MAX_ROWS", default=1_048_576)

# --- Import processing (the imports app) ----------------------------------------------------------
# A runner holds an import's lease this long past its last chunk commit; a dead runner's import is
# picked up again by the reaper once it expires, whatever the broker's visibility timeout.
IMPORT_LEASE_SECONDS = env.int("IMPORT_LEASE_SECONDS", default=60)
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=5)
# A pending import nobody picked up this long after upload (lost message, broker down) is queued again.
IMPORT_PENDING_REQUEUE_SECONDS = env.int("IMPORT_PENDING_REQUEUE_SECONDS", default=300)
IMPORT_REAPER_INTERVAL_SECONDS = env.int("IMPORT_REAPER_INTERVAL_SECONDS", default=30)
# An import of at least this many rows ends with ANALYZE of the lead table (PostgreSQL).
IMPORT_ANALYZE_MIN_ROWS = env.int("IMPORT_ANALYZE_MIN_ROWS", default=10_000)
CELERY_BEAT_SCHEDULE["imports-reap-expired-leases"] = {
    "task": "imports.reap_expired_leases",
    "schedule": IMPORT_REAPER_INTERVAL_SECONDS,
}
# A finished import's original and error files are deleted this many days after it finished (the import and
# its counters stay, with `files_expired_at`); 0 keeps them for ever. Deleting an import deletes them at once.
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=90)
CELERY_BEAT_SCHEDULE["imports-expire-files"] = {
    "task": "imports.expire_files",
    "schedule": crontab(hour=3, minute=45),  # daily, at a quiet hour (UTC), after the token flush
}

# --- Webhooks (imports/webhooks/) -----------------------------------------------------------------
# Off in production: receivers must be https:// and resolve only to public addresses. On, plain http and
# private/loopback addresses are allowed too (development, and the tests' loopback receivers).
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)
# One attempt (connect, send, answer) is cut after this many seconds in all.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# A receiver's name must resolve within this long (at save, in the request, and at each delivery).
WEBHOOK_RESOLVE_SECONDS = env.float("WEBHOOK_RESOLVE_SECONDS", default=3.0)
# Receivers' certificates are checked against the system's CAs, or this bundle's (a private CA).
WEBHOOK_CA_FILE = env.str("WEBHOOK_CA_FILE", default="")
# Attempt n+1 waits BASE * 4**(n-1) seconds: 1 min, 4 min, 16 min, ~1 h, ~4 h, ~17 h (7 tries, ~23 h).
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=7)
# A webhook whose attempts kept failing this long (no success since) is disabled and its owners e-mailed.
WEBHOOK_DISABLE_AFTER_DAYS = env.int("WEBHOOK_DISABLE_AFTER_DAYS", default=3)
CELERY_BEAT_SCHEDULE["imports-webhook-retry-due"] = {
    "task": "imports.webhook_retry_due",
    "schedule": env.int("WEBHOOK_RETRY_INTERVAL_SECONDS", default=30),
}

# --- Lead list (the campaigns app) ----------------------------------------------------------------
# The lead list counts its matches exactly up to this many; past it, `meta.total_count` is this number and
# `meta.total_count_capped` is true ("more than"), so a company with a million leads never counts them per page.
LEAD_LIST_COUNT_CAP = env.int("LEAD_LIST_COUNT_CAP", default=10_000)
# Imported leads are indexed for `?q=` by a task queued after each import; beat queues it this often as well,
# for imports that failed or were cancelled part-way (their committed chunks still need indexing).
LEAD_SEARCH_INDEX_INTERVAL_SECONDS = env.int("LEAD_SEARCH_INDEX_INTERVAL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["campaigns-index-lead-search"] = {
    "task": "campaigns.index_lead_search",
    "schedule": LEAD_SEARCH_INDEX_INTERVAL_SECONDS,
}
