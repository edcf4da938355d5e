"""Settings, read from the environment (see README "Configuration").

Every setting taken from the environment is declared once, here, through a typed reader of
config/env.py: `NAME = env.integer("NAME", default)`. A bad value stops the process with a line
naming the variable and the form it expects.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config import env
from config.development import development_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.boolean("DJANGO_DEBUG", False)
SECRET_KEY = env.text("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise env.ConfigurationError("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).")
    SECRET_KEY = development_secret_key(BASE_DIR / ".development-secret-key")
ALLOWED_HOSTS = env.items("DJANGO_ALLOWED_HOSTS", ("127.0.0.1", "localhost") if DEBUG else ())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the docs page's assets, served by us: no CDN
    "django_tasks",  # the task engine (background scans), before the apps whose admin adjusts it
    "django_tasks_db",
    "axes",  # admin login throttling
    "core",
    "projects",
    "jobs",
    "artifacts",
]

MIDDLEWARE = [
    "core.observability.RequestLogMiddleware",  # first: it times and counts the whole request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.AwsErrorPageMiddleware",
    "core.api.errors.ApiExceptionMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Users, sessions, tokens, the admin log and login attempts; domain data lives in DynamoDB and S3.
DATABASE_URL = env.url(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    schemes=("postgres", "postgresql", "sqlite"),
    example="postgres://user:password@host:5432/name",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What processes share besides the database: throttle counts, what is known of a token's user
# (core/api/authentication.py) and the health report. Local memory (per process) by default;
# Redis (redis://host:port/db) when several processes serve the app.
CACHE_URL = env.url(
    "CACHE_URL", "locmem://", schemes=("locmem", "redis", "rediss", "unix"), example="redis://127.0.0.1:6379/1"
)
if CACHE_URL.startswith("locmem:"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 10_000}}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # A Redis that stops answering fails the request quickly instead of holding the worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins before checking passwords
    "django.contrib.auth.backends.ModelBackend",
]
# Admin logins: after AXES_FAILURE_LIMIT failures for one username from one client address, that
# pair is refused for AXES_COOLOFF_MINUTES. Attempts are kept in the database, which every
# process shares (and `manage.py axes_reset` clears); the address is read as the API's throttles
# read it (NUM_PROXIES).
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.number("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.auth.client_address"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- AWS (boto3 reads the same variables; they are declared here once with their defaults) ---
AWS_ENDPOINT_URL = env.url("AWS_ENDPOINT_URL", None, schemes=("http", "https"))
AWS_ENDPOINT_URL_DYNAMODB = env.url("AWS_ENDPOINT_URL_DYNAMODB", AWS_ENDPOINT_URL, schemes=("http", "https"))
AWS_ENDPOINT_URL_S3 = env.url("AWS_ENDPOINT_URL_S3", AWS_ENDPOINT_URL, schemes=("http", "https"))
AWS_DEFAULT_REGION = env.text("AWS_DEFAULT_REGION", "us-east-1")
# Seconds; a down endpoint must turn into a 503 quickly, not hang a request.
AWS_CONNECT_TIMEOUT = env.number("AWS_CONNECT_TIMEOUT", 3)
AWS_READ_TIMEOUT = env.number("AWS_READ_TIMEOUT", 10)
AWS_MAX_ATTEMPTS = env.integer("AWS_MAX_ATTEMPTS", 3, minimum=1)

DYNAMODB_PROJECTS_TABLE = env.text("DYNAMODB_PROJECTS_TABLE", "AgentProjects")
DYNAMODB_JOBS_TABLE = env.text("DYNAMODB_JOBS_TABLE", "Jobs")
DYNAMODB_ARTIFACTS_TABLE = env.text("DYNAMODB_ARTIFACTS_TABLE", "artifacts_metadata")
AWS_STORAGE_BUCKET_NAME = env.text("AWS_STORAGE_BUCKET_NAME", "job-artifacts")
EXECUTION_STEPS_OFFLOAD_BYTES = env.integer("EXECUTION_STEPS_OFFLOAD_BYTES", 307200, minimum=1)
# Most DynamoDB requests one filtered list page makes while it looks for `limit` matches.
LIST_MAX_REQUESTS = env.integer("LIST_MAX_REQUESTS", 8, minimum=1)
# The most stages of one project that its admin page reads (then pages through); the API serves them all.
PROJECT_STAGES_MAX_COUNT = env.integer("PROJECT_STAGES_MAX_COUNT", 10000, minimum=1)
# Bounds on reading one job's offloaded steps (other services write the objects): decompressed
# JSON bytes read, and steps parsed. A document past either is not served; the job says why.
EXECUTION_STEPS_MAX_BYTES = env.integer("EXECUTION_STEPS_MAX_BYTES", 32 * 1024 * 1024, minimum=1)
EXECUTION_STEPS_MAX_COUNT = env.integer("EXECUTION_STEPS_MAX_COUNT", 100_000, minimum=1)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Execution steps offloaded from the Jobs table. Private objects, no public URLs.
    "execution_steps": {
        "BACKEND": "core.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_ENDPOINT_URL_S3,
            "region_name": AWS_DEFAULT_REGION,
        },
    },
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- API ---
# Largest JSON request body the API reads (execution steps may be megabytes; S3 holds them).
API_MAX_BODY_BYTES = env.integer("API_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1)
# How long a token's user and permissions are kept in the cache (core/api/authentication.py); any
# change to them made through Django deletes the entries at once, this bounds the rest.
API_AUTH_CACHE_SECONDS = env.number("API_AUTH_CACHE_SECONDS", 60)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that anonymous requests get 401 with WWW-Authenticate.
        "core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.StaffModelPermission"],
    # JSON first (clients); the browsable pages only for staff browsers (core.api.negotiation).
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.ExactJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.StaffBrowsableNegotiation",
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonRateThrottle",
        "core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.rate("API_THROTTLE_ANON", "60/minute"),
        "user": env.rate("API_THROTTLE_USER", "6000/minute"),
    },
    # Proxies in front of the app that append to X-Forwarded-For: the client is the address the
    # nearest of them saw. With None, DRF would believe whatever a client puts in the header.
    "NUM_PROXIES": env.integer("NUM_PROXIES", 1),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DynamoDB window API",
    "DESCRIPTION": "Projects, jobs, artifacts and stale-key repairs stored in DynamoDB and S3.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Production hardening (active when DEBUG is off) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.boolean("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is polled over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# /healthz answers from the cache for this long, so that a storm of polls is not one of AWS requests.
HEALTHZ_CACHE_SECONDS = env.number("HEALTHZ_CACHE_SECONDS", 5)

# One JSON object per line, each with the request id of the request it belongs to
# (core/observability.py); one line per request from the `request` logger.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {"json": {"()": "core.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.text("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": []},  # in place of Django's plain-text console handler: JSON via the root
        "axes": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
        "werkzeug": {"level": "ERROR"},
        # The request log says what django.server and django.request would say again.
        "django.server": {"level": "ERROR"},
        "request": {"level": "INFO"},
    },
}

# Background work (stale-key scans): Django's Tasks API (django-tasks) with its database backend,
# so the queue lives in DATABASE_URL and workers need nothing else (`manage.py run_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
REPAIR_SCAN_SEGMENTS = env.integer("REPAIR_SCAN_SEGMENTS", 4, minimum=1)
REPAIR_SCAN_LEASE_SECONDS = env.number("REPAIR_SCAN_LEASE_SECONDS", 60)
REPAIR_SCAN_SCHEDULE_SECONDS = env.number("REPAIR_SCAN_SCHEDULE_SECONDS", 0)  # 0: no scheduled scans
# What a scan's findings step holds at once: recorded rows, and bytes of their stored items.
REPAIR_SCAN_BATCH = env.integer("REPAIR_SCAN_BATCH", 1000, minimum=1)
REPAIR_SCAN_BATCH_BYTES = env.integer("REPAIR_SCAN_BATCH_BYTES", 16 * 1024 * 1024, minimum=1)
REPAIR_SCANS_KEPT = env.integer("REPAIR_SCANS_KEPT", 50, minimum=1)  # finished scans kept with their findings
